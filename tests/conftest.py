"""Session-wide fixtures: a real PostgreSQL and Redis for every test that asks.

Servers start lazily (only when a test requests `postgres_url` or `redis_url`) and
stop at the end of the session, also when tests fail or the run is interrupted.
"""

from __future__ import annotations

import os
import signal
from collections.abc import Iterator

import pytest

from tests.support.servers import (
    DATABASE_URL_ENV,
    REDIS_URL_ENV,
    PostgresServer,
    RedisServer,
    check_extensions,
    sqlalchemy_url,
)


def _raise_keyboard_interrupt(signum: int, frame: object) -> None:
    raise KeyboardInterrupt(f"signal {signum}")


def pytest_configure(config: pytest.Config) -> None:
    # A SIGTERM (CI timeout, `kill`) would end Python without running fixture teardown
    # and leave the throwaway servers behind; pytest tears down on KeyboardInterrupt.
    signal.signal(signal.SIGTERM, _raise_keyboard_interrupt)


@pytest.fixture(scope="session")
def postgres_url() -> Iterator[str]:
    """URL (`postgresql+asyncpg://...`) of the `mysetlist_test` database on a real PostgreSQL."""
    external = os.environ.get(DATABASE_URL_ENV)
    if external:
        url = sqlalchemy_url(external)
        check_extensions(url)
        yield url
        return
    server = PostgresServer()
    try:
        yield server.start()
    finally:
        server.stop()


@pytest.fixture(scope="session")
def redis_url() -> Iterator[str]:
    """URL (`redis://127.0.0.1:PORT/0`) of a real, empty Redis."""
    external = os.environ.get(REDIS_URL_ENV)
    if external:
        yield external
        return
    server = RedisServer()
    try:
        yield server.start()
    finally:
        server.stop()
