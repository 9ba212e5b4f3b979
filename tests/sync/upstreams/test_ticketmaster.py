"""Ticketmaster client against the fake: paging, date-range narrowing, quotas and key redaction."""

from __future__ import annotations

import asyncio
import logging
import time
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

import pytest
from redis.asyncio import Redis

from fakes import FakeUpstreams, FaultPlan, Limit
from services.sync.upstreams import (
    NotFound,
    RateLimited,
    TicketmasterClient,
    Unavailable,
    UpstreamError,
    UpstreamSettings,
    parse_windows,
)
from services.sync.upstreams.ticketmaster import format_datetime
from tests.sync.upstreams.conftest import quick, redis_limiter, ticketmaster_client

HALCYON = "K8vZ9172RSF"
QUIET_HARBOR = "K8vZ917Bjii"


def event_instant(event: dict[str, Any]) -> str:
    start = event["dates"]["start"]
    return start.get("dateTime") or start["localDate"]


async def test_all_events_in_two_pages_of_199(
    ticketmaster: TicketmasterClient, fakes: FakeUpstreams, expected: dict[str, Any]
) -> None:
    events = await ticketmaster.events(HALCYON)

    assert len(events) == expected["halcyon_drive"]["events"]
    assert fakes.ticketmaster.stats.calls["events"] == 2


async def test_date_range_narrows_instead_of_paging_past_the_depth_limit(
    settings: UpstreamSettings, fakes: FakeUpstreams, expected: dict[str, Any]
) -> None:
    # A shallow fake (depth 100) makes 261 events need three date windows.
    fakes.ticketmaster.config.max_depth = 100
    async with ticketmaster_client(settings, page_size=19, max_depth=100) as client:
        events = await client.events(HALCYON)

    ids = [e["id"] for e in events]
    assert len(ids) == len(set(ids)) == expected["halcyon_drive"]["events"]
    assert sorted(ids) == sorted(e.id for e in fakes.dataset.events_by_attraction[HALCYON])
    statuses = fakes.ticketmaster.stats.endpoint_statuses
    assert statuses[("events", 400)] == 0  # neither DIS1035 nor DIS1015
    assert statuses[("events", 200)] > 100 // 19 + 1  # it did narrow


async def test_no_embedded_key_means_no_events(ticketmaster: TicketmasterClient) -> None:
    assert await ticketmaster.events(QUIET_HARBOR) == []


def test_dates_are_sent_in_the_exact_discovery_format() -> None:
    moment = datetime(2026, 3, 4, 5, 6, 7, 890, tzinfo=UTC)
    assert format_datetime(moment) == "2026-03-04T05:06:07Z"


async def test_attraction_and_search(ticketmaster: TicketmasterClient) -> None:
    attraction = await ticketmaster.attraction(HALCYON)
    found = await ticketmaster.search_attractions("Halcyon Drive")

    assert attraction["externalLinks"]["spotify"]
    assert found[0]["id"] == HALCYON
    assert await ticketmaster.search_attractions("no such band at all") == []


async def test_unknown_attraction_is_not_found(ticketmaster: TicketmasterClient) -> None:
    with pytest.raises(NotFound):
        await ticketmaster.attraction("K8vZ917zzzz")


async def test_429_without_retry_after_backs_off_and_succeeds(
    ticketmaster: TicketmasterClient, fakes: FakeUpstreams
) -> None:
    fakes.ticketmaster.config.inject(FaultPlan("429", count=2))

    await ticketmaster.attraction(HALCYON)

    assert ticketmaster.stats.rate_limited == 2
    assert ticketmaster.stats.retries == 2


async def test_daily_quota_violation_fails_at_once_without_the_key(
    ticketmaster: TicketmasterClient, fakes: FakeUpstreams
) -> None:
    fakes.ticketmaster.config.per_day = Limit(1, 86400.0)
    await ticketmaster.attraction(HALCYON)

    with pytest.raises(RateLimited) as caught:
        await ticketmaster.attraction(HALCYON)

    assert "quota" in str(caught.value).lower()
    assert fakes.ticketmaster.config.api_key not in str(caught.value)
    assert fakes.ticketmaster.stats.calls["attraction"] == 2  # no retries against a daily quota
    assert ticketmaster.status()["quota_remaining"] == 0


async def test_quota_headers_are_reported_in_status(
    ticketmaster: TicketmasterClient, fakes: FakeUpstreams
) -> None:
    fakes.ticketmaster.config.per_day = Limit(5000, 86400.0)
    await ticketmaster.attraction(HALCYON)

    status = ticketmaster.status()

    assert (status["quota_limit"], status["quota_remaining"]) == (5000, 4999)
    assert status["quota_reset_at"] > time.time()


async def test_key_never_reaches_errors_or_logs(
    settings: UpstreamSettings, fakes: FakeUpstreams, caplog: pytest.LogCaptureFixture
) -> None:
    key = settings.ticketmaster_api_key.get_secret_value()
    caplog.set_level(logging.DEBUG)
    fakes.ticketmaster.config.inject(FaultPlan("429", count=None))  # the Apigee body echoes the key
    errors: list[UpstreamError] = []
    async with ticketmaster_client(settings) as client:
        with pytest.raises(RateLimited) as caught:
            await client.attraction(HALCYON)
        errors.append(caught.value)
    fakes.ticketmaster.config.faults.clear()
    # A refused key, and a connection that fails outright.
    fakes.ticketmaster.config.api_key = "another-key"
    async with ticketmaster_client(settings) as client:
        with pytest.raises(UpstreamError) as caught:
            await client.attraction(HALCYON)
        errors.append(caught.value)
    gone = replace(settings.ticketmaster(), base_url="http://127.0.0.1:9/discovery/v2")
    async with ticketmaster_client(settings, quick(gone, max_attempts=1)) as client:
        with pytest.raises(Unavailable) as caught:
            await client.attraction(HALCYON)
        errors.append(caught.value)

    for error in errors:
        assert key not in str(error) and key not in repr(error)
    assert caplog.records
    for record in caplog.records:
        assert key not in record.getMessage()
        assert key not in str(record.__dict__)


async def test_two_workers_share_the_limit_and_provoke_no_429(
    settings: UpstreamSettings, fakes: FakeUpstreams, redis: Redis, key_prefix: str
) -> None:
    fakes.ticketmaster.config.per_second = Limit(5, 1.0)  # the real spike arrest
    # A margin wide enough for a loaded CI machine (see the Spotify pacing test).
    config = replace(
        settings.ticketmaster(), windows=parse_windows("5/1s,5000/86400s"), rate_margin_s=0.2
    )
    calls_each = 10
    async with (
        ticketmaster_client(settings, config, redis_limiter(redis, config, key_prefix)) as one,
        ticketmaster_client(settings, config, redis_limiter(redis, config, key_prefix)) as two,
    ):
        started = time.monotonic()
        await asyncio.gather(
            *(client.attraction(HALCYON) for client in (one, two) for _ in range(calls_each))
        )
        elapsed = time.monotonic() - started

    # A burst of 5, then 5 more each second: the last of 20 calls may leave at t = 3 s.
    bound = (2 * calls_each - 5) / 5
    print(
        f"\n20 calls at 5/s by two workers: {elapsed:.2f} s, bound {bound:.2f} s ({elapsed / bound:.2f}x)"
    )
    assert fakes.ticketmaster.stats.total_violations == 0
    assert fakes.ticketmaster.stats.calls["attraction"] == 2 * calls_each
    assert elapsed <= 1.6 * bound


async def test_a_spaced_limit_keeps_to_a_smoothing_spike_arrest(
    settings: UpstreamSettings, fakes: FakeUpstreams, redis: Redis, key_prefix: str
) -> None:
    """TICKETMASTER_RATE_LIMIT=1/200ms,...: one call per 200 ms, never two closer."""
    fakes.ticketmaster.config.per_second = Limit(5, 1.0)
    fakes.ticketmaster.config.spike_smoothing = True
    config = replace(
        settings.ticketmaster(), windows=parse_windows("1/200ms,5000/1d"), rate_margin_s=0.05
    )
    async with (
        ticketmaster_client(settings, config, redis_limiter(redis, config, key_prefix)) as one,
        ticketmaster_client(settings, config, redis_limiter(redis, config, key_prefix)) as two,
    ):
        await asyncio.gather(
            *(client.attraction(HALCYON) for client in (one, two) for _ in range(4))
        )

    assert fakes.ticketmaster.stats.total_violations == 0
    assert fakes.ticketmaster.stats.calls["attraction"] == 8
