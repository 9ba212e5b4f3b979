"""Dedicated PostgreSQL and Redis servers for the restart tests.

Tests here stop and start their servers, so they never share the session-wide ones of
tests/conftest.py. Each server is removed afterwards, also when the test fails.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest

from tests.reliability.restartable import RestartablePostgres, RestartableRedis


@pytest.fixture(scope="module")
async def restartable_postgres() -> AsyncIterator[RestartablePostgres]:
    """A PostgreSQL of this module only, with the `mysetlist_test` database."""
    server = RestartablePostgres()
    try:
        await asyncio.to_thread(server.start)
        yield server
    finally:
        await asyncio.to_thread(server.stop)


@pytest.fixture
async def restartable_redis() -> AsyncIterator[RestartableRedis]:
    """A Redis of this test only, with an append-only file."""
    server = RestartableRedis()
    try:
        await asyncio.to_thread(server.start)
        yield server
    finally:
        await asyncio.to_thread(server.stop)


@pytest.fixture
def redis_url(restartable_redis: RestartableRedis) -> str:
    """Overrides the session-wide Redis here: fixtures built on `redis_url` (the sync
    worker world of tests/sync/test_worker.py) run on the test's own, restartable one."""
    return restartable_redis.url
