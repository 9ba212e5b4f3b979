"""Async SQLAlchemy engines, sessions and Alembic helpers shared by every service."""

from __future__ import annotations

import asyncio
import concurrent.futures
import enum
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

from sqlalchemy import Engine, Enum, MetaData, event, text
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import URL, make_url
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)
from sqlalchemy.pool import StaticPool

__all__ = [
    "NAMING_CONVENTION",
    "create_engine",
    "dialect",
    "downgrade_migrations",
    "insert",
    "is_sqlite",
    "make_metadata",
    "ping",
    "string_enum",
    "run_migrations",
    "session_factory",
]

# Deterministic constraint names, so migrations can drop and alter what they created.
NAMING_CONVENTION: dict[str, str] = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

_SQLITE_PRAGMAS = (
    "PRAGMA journal_mode=WAL",
    "PRAGMA foreign_keys=ON",
    "PRAGMA busy_timeout=5000",
    "PRAGMA synchronous=NORMAL",
)

T = TypeVar("T")


def make_metadata(schema: str) -> MetaData:
    """MetaData for a service's tables: its own schema and the shared naming convention."""
    return MetaData(schema=schema, naming_convention=NAMING_CONVENTION)


def is_sqlite(engine_or_url: AsyncEngine | Engine | URL | str) -> bool:
    """Whether the engine or URL points at SQLite."""
    url = engine_or_url.url if isinstance(engine_or_url, AsyncEngine | Engine) else engine_or_url
    return make_url(url).get_backend_name() == "sqlite"


def create_engine(url: str, *, schema: str, echo: bool = False) -> AsyncEngine:
    """An async engine tuned per backend; on SQLite the service schema maps to the main database."""
    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite":
        options: dict[str, Any] = {}
        if parsed.get_backend_name() == "postgresql":
            options = {"pool_size": 10, "max_overflow": 20, "pool_pre_ping": True}
        return create_async_engine(parsed, echo=echo, **options)

    database = parsed.database or ""
    in_memory = database in ("", ":memory:") or database.startswith("file::memory:")
    if not in_memory:
        Path(database).expanduser().parent.mkdir(parents=True, exist_ok=True)
    # An in-memory database lives and dies with its connection: share one.
    extra: dict[str, Any] = {"poolclass": StaticPool} if in_memory else {}
    engine = create_async_engine(parsed, echo=echo, **extra)
    event.listen(engine.sync_engine, "connect", _apply_sqlite_pragmas)
    # SQLite has no schemas: the same models (schema="catalog") run on its main database.
    return engine.execution_options(schema_translate_map={schema: None})


def _apply_sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    try:
        for pragma in _SQLITE_PRAGMAS:
            cursor.execute(pragma)
    finally:
        cursor.close()


def string_enum(cls: type[enum.Enum], name: str) -> Enum:
    """An enum column stored as its values' strings with a CHECK constraint.

    Portable to SQLite and cheap to extend (no PostgreSQL ENUM type to ALTER).
    """
    return Enum(cls, name=name, native_enum=False, values_callable=lambda e: [m.value for m in e])


def dialect(session: AsyncSession) -> str:
    """'postgresql' or 'sqlite'."""
    return session.get_bind().dialect.name


def insert(session: AsyncSession, model: Any) -> Any:
    """An INSERT that supports ON CONFLICT and RETURNING on both backends."""
    if dialect(session) == "postgresql":
        return postgresql.insert(model)
    return sqlite.insert(model)


def session_factory(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    """Sessions that keep loaded attributes after commit (no lazy reloads in async code)."""
    return async_sessionmaker(engine, expire_on_commit=False)


async def ping(engine: AsyncEngine) -> None:
    """Round-trip `SELECT 1`; raises when the database is unreachable."""
    async with engine.connect() as connection:
        await connection.execute(text("SELECT 1"))


def _alembic_config(alembic_ini_or_dir: Path, url: str, schema: str) -> Any:
    from alembic.config import Config

    path = Path(alembic_ini_or_dir)
    if path.is_dir():
        config = Config()
        config.set_main_option("script_location", str(path))
    else:
        config = Config(str(path))
    # ConfigParser interpolates '%': URL-encoded passwords would break without escaping.
    config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    config.set_main_option("schema", schema)
    config.attributes["schema"] = schema
    return config


def _outside_event_loop(function: Callable[[], T]) -> T:
    # Alembic's async env.py calls asyncio.run(), which cannot nest in a running loop.
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return function()
    with concurrent.futures.ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(function).result()


def run_migrations(alembic_ini_or_dir: Path, url: str, schema: str) -> None:
    """`alembic upgrade head` with this URL; env.py may read `schema` from the config."""
    from alembic import command

    config = _alembic_config(alembic_ini_or_dir, url, schema)
    _outside_event_loop(lambda: command.upgrade(config, "head"))


def downgrade_migrations(
    alembic_ini_or_dir: Path, url: str, schema: str, *, revision: str = "base"
) -> None:
    """`alembic downgrade <revision>` (default: everything) with this URL."""
    from alembic import command

    config = _alembic_config(alembic_ini_or_dir, url, schema)
    _outside_event_loop(lambda: command.downgrade(config, revision))
