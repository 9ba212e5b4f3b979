"""The test harness itself: real servers answer and have what the services need."""

from __future__ import annotations

import asyncpg
import redis.asyncio as aioredis

from tests.support.servers import asyncpg_dsn, drop_database, fresh_database


async def test_postgres_answers_on_the_test_database(postgres_url: str) -> None:
    conn = await asyncpg.connect(asyncpg_dsn(postgres_url))
    try:
        assert await conn.fetchval("SELECT current_database()") == "mysetlist_test"
        assert await conn.fetchval("SHOW max_connections") == "200"
    finally:
        await conn.close()


async def test_postgres_can_create_trigram_and_unaccent_extensions(postgres_url: str) -> None:
    url = fresh_database(postgres_url, "extensions")
    conn = await asyncpg.connect(asyncpg_dsn(url))
    try:
        await conn.execute("CREATE EXTENSION pg_trgm")
        await conn.execute("CREATE EXTENSION unaccent")
        assert await conn.fetchval("SELECT unaccent('Beyoncé Sigur Rós')") == "Beyonce Sigur Ros"
        similarity = await conn.fetchval(
            "SELECT similarity(lower(unaccent('Motörhead')), 'motorhead')"
        )
        assert similarity == 1.0
    finally:
        await conn.close()
        drop_database(url)


async def test_fresh_database_is_empty_and_distinct(postgres_url: str) -> None:
    first = fresh_database(postgres_url, "Migrations Up/Down")
    second = fresh_database(postgres_url, "Migrations Up/Down")
    assert first != second
    conn = await asyncpg.connect(asyncpg_dsn(first))
    try:
        tables = await conn.fetchval(
            "SELECT count(*) FROM information_schema.tables WHERE table_schema = 'public'"
        )
        assert tables == 0
    finally:
        await conn.close()
        drop_database(first)
        drop_database(second)


async def test_redis_answers_ping(redis_url: str) -> None:
    client = aioredis.from_url(redis_url)
    try:
        assert await client.ping() is True
        await client.set("harness", "ok")
        assert await client.get("harness") == b"ok"
    finally:
        await client.aclose()
