"""Engines, sessions and Alembic helpers on SQLite."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import Column, Integer, String, Table, select, text

from shared.db import (
    create_engine,
    downgrade_migrations,
    is_sqlite,
    make_metadata,
    ping,
    run_migrations,
    session_factory,
)

ENV_PY = """
import asyncio
from alembic import context
from sqlalchemy.ext.asyncio import create_async_engine

def run(connection):
    context.configure(connection=connection, target_metadata=None)
    with context.begin_transaction():
        context.run_migrations()

async def main():
    engine = create_async_engine(context.config.get_main_option("sqlalchemy.url"))
    async with engine.begin() as connection:
        await connection.run_sync(run)
    await engine.dispose()

asyncio.run(main())
"""

REVISION = """
from alembic import op
import sqlalchemy as sa
revision = "0001"
down_revision = None

def upgrade():
    op.create_table("artist", sa.Column("id", sa.Integer, primary_key=True))

def downgrade():
    op.drop_table("artist")
"""


@pytest.mark.asyncio
async def test_sqlite_engine_maps_the_schema_and_sets_pragmas(tmp_path: Path) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path}/nested/catalog.db"
    metadata = make_metadata("catalog")
    artist = Table(
        "artist", metadata, Column("id", Integer, primary_key=True), Column("name", String(50))
    )
    engine = create_engine(url, schema="catalog")
    try:
        assert is_sqlite(engine) and not is_sqlite("postgresql+asyncpg://h/db")
        await ping(engine)
        async with engine.begin() as connection:
            await connection.run_sync(metadata.create_all)
            assert (await connection.execute(text("PRAGMA journal_mode"))).scalar() == "wal"
            assert (await connection.execute(text("PRAGMA foreign_keys"))).scalar() == 1
        async with session_factory(engine)() as session, session.begin():
            await session.execute(artist.insert().values(id=1, name="ABBA"))
        async with session_factory(engine)() as session:
            assert (await session.execute(select(artist.c.name))).scalar_one() == "ABBA"
    finally:
        await engine.dispose()
    assert (tmp_path / "nested" / "catalog.db").exists()


@pytest.mark.asyncio
async def test_migrations_upgrade_and_downgrade_from_async_code(tmp_path: Path) -> None:
    (tmp_path / "migrations" / "versions").mkdir(parents=True)
    (tmp_path / "migrations" / "env.py").write_text(ENV_PY)
    (tmp_path / "migrations" / "versions" / "0001_artist.py").write_text(REVISION)
    url = f"sqlite+aiosqlite:///{tmp_path}/m.db"
    engine = create_engine(url, schema="catalog")
    try:
        run_migrations(tmp_path / "migrations", url, "catalog")
        async with engine.connect() as connection:
            tables = await connection.run_sync(lambda c: c.dialect.get_table_names(c))
        assert "artist" in tables
        downgrade_migrations(tmp_path / "migrations", url, "catalog")
        async with engine.connect() as connection:
            tables = await connection.run_sync(lambda c: c.dialect.get_table_names(c))
        assert "artist" not in tables
    finally:
        await engine.dispose()
