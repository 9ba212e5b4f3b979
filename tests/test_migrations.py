"""The catalog's migrations build exactly the models' schema, and undo it."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect
from sqlalchemy.ext.asyncio import create_async_engine

from services.catalog import server as catalog_server
from services.catalog.models import SCHEMA, Base
from shared import db
from tests.support.servers import drop_database, fresh_database


async def _inspect(url: str, look):
    engine = create_async_engine(url)
    try:
        async with engine.connect() as connection:
            return await connection.run_sync(look)
    finally:
        await engine.dispose()


def _tables(connection) -> set[str]:
    return set(inspect(connection).get_table_names(schema=SCHEMA))


def _drift(connection) -> list:
    context = MigrationContext.configure(
        connection,
        opts={
            "include_schemas": True,
            "compare_type": True,
            "version_table_schema": SCHEMA,
            # Only our schema, minus Alembic's own bookkeeping table.
            "include_name": lambda name, kind, parent: (
                name == SCHEMA if kind == "schema" else name != "alembic_version"
            ),
        },
    )
    return compare_metadata(context, Base.metadata)


async def test_upgrade_then_downgrade_then_upgrade_again(postgres_url):
    url = fresh_database(postgres_url, "catalog_migrations")
    try:
        db.run_migrations(catalog_server.ALEMBIC_INI, url, SCHEMA)
        tables = await _inspect(url, _tables)
        assert {"artist", "song", "show", "setlist_song", "vote", "outbox_event"} <= tables

        db.downgrade_migrations(catalog_server.ALEMBIC_INI, url, SCHEMA)
        assert await _inspect(url, _tables) <= {"alembic_version"}

        db.run_migrations(catalog_server.ALEMBIC_INI, url, SCHEMA)
        assert await _inspect(url, _tables) == tables
    finally:
        drop_database(url)


async def test_migrations_match_the_models(postgres_url):
    url = fresh_database(postgres_url, "catalog_drift")
    try:
        db.run_migrations(catalog_server.ALEMBIC_INI, url, SCHEMA)
        assert await _inspect(url, _drift) == []
    finally:
        drop_database(url)
