"""Retries, budgets, timeouts and the circuit breaker, driven through the fakes' fault plans."""

from __future__ import annotations

import asyncio
import time
from dataclasses import replace

import pytest

from fakes import FakeUpstreams, FaultPlan
from services.sync.upstreams import (
    BadResponse,
    BreakerConfig,
    BreakerState,
    CircuitOpen,
    NotFound,
    RateLimited,
    TicketmasterClient,
    Unavailable,
    UpstreamSettings,
)
from tests.sync.upstreams.conftest import quick, ticketmaster_client

HALCYON = "K8vZ9172RSF"


@pytest.mark.parametrize("kind", ["500", "502", "503", "disconnect"])
async def test_transient_failures_are_retried(
    ticketmaster: TicketmasterClient, fakes: FakeUpstreams, kind: str
) -> None:
    fakes.ticketmaster.config.inject(FaultPlan(kind, count=2))  # type: ignore[arg-type]

    attraction = await ticketmaster.attraction(HALCYON)

    assert attraction["id"] == HALCYON
    assert ticketmaster.stats.retries == 2


@pytest.mark.parametrize("kind", ["malformed", "truncated"])
async def test_a_bad_body_is_retried_then_reported_as_bad_response(
    ticketmaster: TicketmasterClient, fakes: FakeUpstreams, kind: str
) -> None:
    fakes.ticketmaster.config.inject(FaultPlan(kind, count=1))  # type: ignore[arg-type]
    assert (await ticketmaster.attraction(HALCYON))["id"] == HALCYON

    fakes.ticketmaster.config.inject(FaultPlan(kind, count=None))  # type: ignore[arg-type]
    with pytest.raises(BadResponse) as caught:
        await ticketmaster.attraction(HALCYON)

    assert caught.value.attempts == ticketmaster.config.retry.max_attempts
    assert "not JSON" in str(caught.value)


async def test_exhausted_budget_is_a_clear_typed_error(
    ticketmaster: TicketmasterClient, fakes: FakeUpstreams
) -> None:
    fakes.ticketmaster.config.inject(FaultPlan("503", count=None))

    with pytest.raises(Unavailable) as caught:
        await ticketmaster.attraction(HALCYON)

    error = caught.value
    assert (error.upstream, error.endpoint, error.status) == ("ticketmaster", "attraction", 503)
    assert error.attempts == 4
    assert str(error).startswith("ticketmaster attraction: 503 ")
    assert ticketmaster.status()["errors"] == 1


async def test_the_sleep_cap_ends_retries_before_the_attempts_do(
    settings: UpstreamSettings, fakes: FakeUpstreams
) -> None:
    fakes.ticketmaster.config.inject(FaultPlan("429", count=None))
    config = quick(settings.ticketmaster(), default_retry_after_s=0.3, max_sleep_s=0.5)
    async with ticketmaster_client(settings, config) as client:
        started = time.monotonic()
        with pytest.raises(RateLimited):
            await client.attraction(HALCYON)
        elapsed = time.monotonic() - started

    assert fakes.ticketmaster.stats.calls["attraction"] == 2  # 0.3 s fits, 0.6 s does not
    assert elapsed < 1.0


async def test_a_slow_answer_times_out_and_is_retried(
    settings: UpstreamSettings, fakes: FakeUpstreams
) -> None:
    fakes.ticketmaster.config.inject(FaultPlan("slow", delay=1.0))
    config = replace(quick(settings.ticketmaster()), timeout_s=0.2)
    async with ticketmaster_client(settings, config) as client:
        attraction = await client.attraction(HALCYON)

    assert attraction["id"] == HALCYON
    assert client.stats.retries == 1


async def test_breaker_opens_fails_fast_then_half_opens_and_recovers(
    settings: UpstreamSettings, fakes: FakeUpstreams
) -> None:
    config = replace(
        quick(settings.ticketmaster(), max_attempts=1),
        breaker=BreakerConfig(failure_threshold=3, cooldown_s=0.3),
    )
    fakes.ticketmaster.config.inject(FaultPlan("503", count=None))
    async with ticketmaster_client(settings, config) as client:
        for _ in range(3):
            with pytest.raises(Unavailable):
                await client.attraction(HALCYON)
        assert client.breaker.state is BreakerState.OPEN

        with pytest.raises(CircuitOpen):
            await client.attraction(HALCYON)
        assert fakes.ticketmaster.stats.calls["attraction"] == 3  # the open circuit sent nothing
        assert client.status()["breaker_state"] == "open"

        await asyncio.sleep(0.3)
        assert client.breaker.state is BreakerState.HALF_OPEN
        with pytest.raises(Unavailable):  # the probe fails: open again
            await client.attraction(HALCYON)
        assert client.breaker.state is BreakerState.OPEN

        fakes.ticketmaster.config.faults.clear()
        await asyncio.sleep(0.3)
        assert (await client.attraction(HALCYON))["id"] == HALCYON
        assert client.breaker.state is BreakerState.CLOSED


async def test_client_errors_do_not_trip_the_breaker(
    settings: UpstreamSettings, fakes: FakeUpstreams
) -> None:
    config = replace(settings.ticketmaster(), breaker=BreakerConfig(failure_threshold=2))
    async with ticketmaster_client(settings, config) as client:
        for _ in range(3):
            with pytest.raises(NotFound):
                await client.attraction("K8vZ917zzzz")

        assert client.breaker.state is BreakerState.CLOSED
