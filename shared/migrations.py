"""The body of every service's Alembic env.py: async engine, own schema, own version table.

Each service keeps its migrations beside its models; its env.py is three
lines that call `run_env(Base.metadata, SCHEMA)`. On SQLite the schema is
mapped away (one database file per service stands in for the schema).
"""

from __future__ import annotations

import asyncio

from alembic import context
from sqlalchemy import MetaData, text
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import create_async_engine
from sqlalchemy.pool import NullPool


def run_env(metadata: MetaData, schema: str) -> None:
    """Run the migrations Alembic asked for, online, against sqlalchemy.url."""
    url = context.config.get_main_option("sqlalchemy.url")
    if not url:
        raise RuntimeError("sqlalchemy.url is not set: pass the database URL to the migration")
    if context.is_offline_mode():
        raise RuntimeError("offline (SQL script) migrations are not supported")
    asyncio.run(_run_online(url, metadata, schema))


async def _run_online(url: str, metadata: MetaData, schema: str) -> None:
    sqlite = url.startswith("sqlite")
    engine = create_async_engine(url, poolclass=NullPool)
    try:
        async with engine.connect() as connection:
            if sqlite:
                connection = await connection.execution_options(schema_translate_map={schema: None})
            else:
                await connection.execute(text(f'CREATE SCHEMA IF NOT EXISTS "{schema}"'))
                await connection.commit()
            await connection.run_sync(_run_sync, metadata, schema, sqlite)
    finally:
        await engine.dispose()


def _run_sync(connection: Connection, metadata: MetaData, schema: str, sqlite: bool) -> None:
    context.configure(
        connection=connection,
        target_metadata=metadata,
        version_table_schema=None if sqlite else schema,
        include_schemas=not sqlite,
        # SQLite cannot ALTER most things: Alembic rebuilds tables instead.
        render_as_batch=sqlite,
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()
