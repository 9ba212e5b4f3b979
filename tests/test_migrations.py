"""Every service's migrations build exactly its models' schema, and undo it."""

from __future__ import annotations

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import MetaData, inspect
from sqlalchemy.ext.asyncio import create_async_engine

from services.catalog import models as catalog_models
from services.sync import models as sync_models
from shared import db
from tests.support.servers import drop_database, fresh_database

SERVICES = {
    "catalog": (
        "services/catalog/alembic.ini",
        catalog_models.Base.metadata,
        catalog_models.SCHEMA,
    ),
    "sync": ("services/sync/alembic.ini", sync_models.Base.metadata, sync_models.SCHEMA),
}


async def _inspect(url: str, look):
    engine = create_async_engine(url)
    try:
        async with engine.connect() as connection:
            return await connection.run_sync(look)
    finally:
        await engine.dispose()


def _tables(schema: str):
    return lambda connection: set(inspect(connection).get_table_names(schema=schema))


def _drift(metadata: MetaData, schema: str):
    def compare(connection) -> list:
        context = MigrationContext.configure(
            connection,
            opts={
                "include_schemas": True,
                "compare_type": True,
                "version_table_schema": schema,
                # Only this service's schema, minus Alembic's own bookkeeping table.
                "include_name": lambda name, kind, parent: (
                    name == schema if kind == "schema" else name != "alembic_version"
                ),
            },
        )
        return compare_metadata(context, metadata)

    return compare


@pytest.mark.parametrize("service", SERVICES)
async def test_upgrade_then_downgrade_then_upgrade_again(postgres_url, service):
    ini, metadata, schema = SERVICES[service]
    url = fresh_database(postgres_url, f"{service}_migrations")
    try:
        db.run_migrations(ini, url, schema)
        tables = await _inspect(url, _tables(schema))
        assert {t.name for t in metadata.sorted_tables} <= tables

        db.downgrade_migrations(ini, url, schema)
        assert await _inspect(url, _tables(schema)) <= {"alembic_version"}

        db.run_migrations(ini, url, schema)
        assert await _inspect(url, _tables(schema)) == tables
    finally:
        drop_database(url)


@pytest.mark.parametrize("service", SERVICES)
async def test_migrations_match_the_models(postgres_url, service):
    ini, metadata, schema = SERVICES[service]
    url = fresh_database(postgres_url, f"{service}_drift")
    try:
        db.run_migrations(ini, url, schema)
        assert await _inspect(url, _drift(metadata, schema)) == []
    finally:
        drop_database(url)
