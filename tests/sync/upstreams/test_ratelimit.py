"""The limiters on their own: pacing, several windows, pauses shared through Redis."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Callable

import pytest
import pytest_asyncio
from redis.asyncio import Redis

from services.sync.upstreams import (
    MemoryRateLimiter,
    RateLimiter,
    RedisRateLimiter,
    Window,
    parse_windows,
)


def test_limits_parse_with_units() -> None:
    assert parse_windows("5/1s, 5000/86400s") == (Window(5, 1.0), Window(5000, 86400.0))
    assert parse_windows("180/30") == (Window(180, 30.0),)
    assert parse_windows("10/500ms,2/1m,1/1d") == (
        Window(10, 0.5),
        Window(2, 60.0),
        Window(1, 86400.0),
    )
    assert parse_windows("") == ()
    with pytest.raises(ValueError):
        parse_windows("5 per second")


MakeLimiter = Callable[[str, tuple[Window, ...]], RateLimiter]


@pytest_asyncio.fixture(params=["memory", "redis"])
async def make_limiter(
    request: pytest.FixtureRequest, key_prefix: str
) -> AsyncIterator[MakeLimiter]:
    """Builds limiters of either kind; Redis ones share state when given the same name."""
    if request.param == "memory":
        yield lambda name, windows: MemoryRateLimiter(name, windows)
        return
    redis = Redis.from_url(request.getfixturevalue("redis_url"))
    yield lambda name, windows: RedisRateLimiter(redis, name, windows, prefix=key_prefix)
    await redis.aclose()


async def test_a_burst_then_one_slot_per_expiry(make_limiter: MakeLimiter) -> None:
    limiter: RateLimiter = make_limiter("burst", parse_windows("4/300ms"))
    started = time.monotonic()

    admitted = []
    for _ in range(9):
        await limiter.acquire()
        admitted.append(time.monotonic() - started)

    assert all(t < 0.05 for t in admitted[:4])  # the burst
    assert 0.29 < admitted[4] < 0.4 and 0.59 < admitted[8] < 0.7


async def test_the_tightest_window_decides_the_wait(make_limiter: MakeLimiter) -> None:
    limiter: RateLimiter = make_limiter("windows", parse_windows("3/200ms,4/10s"))
    for _ in range(3):
        assert await limiter.try_acquire() == 0
    assert 0.1 < await limiter.try_acquire() <= 0.2  # the short window is full
    await asyncio.sleep(0.2)
    assert await limiter.try_acquire() == 0
    assert 9.5 < await limiter.try_acquire() <= 10.0  # now the long one is


async def test_a_pause_holds_every_caller_back(make_limiter: MakeLimiter) -> None:
    one: RateLimiter = make_limiter("pause", parse_windows("100/1s"))
    await one.pause(0.3)

    wait = await one.try_acquire()

    assert 0.2 < wait <= 0.3


async def test_workers_on_one_redis_share_windows_and_pauses(
    redis_url: str, key_prefix: str
) -> None:
    redis = Redis.from_url(redis_url)
    windows = parse_windows("2/1s")
    one, two = (RedisRateLimiter(redis, "shared", windows, prefix=key_prefix) for _ in range(2))

    assert await one.try_acquire() == 0
    assert await two.try_acquire() == 0
    assert await one.try_acquire() > 0.9  # the second worker took the last slot
    await two.pause(5)
    assert await RedisRateLimiter(redis, "shared", (), prefix=key_prefix).try_acquire() > 4.9
    await redis.aclose()


async def test_a_refused_request_gives_its_slot_back(make_limiter: MakeLimiter) -> None:
    limiter: RateLimiter = make_limiter("refused", parse_windows("1/10s"))
    assert await limiter.try_acquire("first") == 0
    assert await limiter.try_acquire("second") > 9

    await limiter.settle("first", counted=False)

    assert await limiter.try_acquire("second") == 0


async def test_an_answered_request_holds_its_slot_from_the_answer_on(
    make_limiter: MakeLimiter,
) -> None:
    limiter: RateLimiter = make_limiter("answered", parse_windows("1/400ms"))
    assert await limiter.try_acquire("slow") == 0
    await asyncio.sleep(0.3)  # the answer takes 300 ms: the upstream counted it on arrival

    await limiter.settle("slow", counted=True)

    assert 0.35 < await limiter.try_acquire("next") <= 0.4  # 400 ms from the answer, not the send
