"""Fixtures for the upstream clients: the fakes on port 0 and clients pointed at them."""

from __future__ import annotations

import json
import uuid
from collections.abc import AsyncIterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
import pytest_asyncio
from redis.asyncio import Redis

from fakes import FakeUpstreams, Limit
from fakes.dataset import Dataset
from fakes.setlistfm import SetlistFmConfig
from fakes.spotify import SpotifyConfig
from fakes.ticketmaster import TicketmasterConfig
from services.sync.upstreams import (
    ClientConfig,
    RateLimiter,
    RedisRateLimiter,
    SetlistFmClient,
    SpotifyClient,
    TicketmasterClient,
    UpstreamSettings,
)

EXPECTED = Path(__file__).resolve().parents[3] / "fakes" / "data" / "demo" / "expected.json"


@pytest.fixture(scope="session")
def demo() -> Dataset:
    """The shipped demo dataset, loaded once (the fakes never modify it)."""
    return Dataset.demo()


@pytest.fixture(scope="session")
def expected() -> dict[str, dict[str, Any]]:
    """What a correct import of each demo artist yields (fakes/data/demo/expected.json)."""
    return json.loads(EXPECTED.read_text())


@pytest_asyncio.fixture
async def fakes(demo: Dataset) -> AsyncIterator[FakeUpstreams]:
    """All three fakes with their rate limits off; tests turn on what they check."""
    async with FakeUpstreams(
        demo,
        spotify=SpotifyConfig(rate_limit=Limit.off()),
        ticketmaster=TicketmasterConfig(per_second=Limit.off(), per_day=Limit.off()),
        setlistfm=SetlistFmConfig(per_second=Limit.off(), per_day=Limit.off()),
    ) as running:
        yield running


@pytest.fixture
def settings(fakes: FakeUpstreams) -> UpstreamSettings:
    """Settings from the fakes' environment, with generous limits and quick retries."""
    env = {name.lower(): value for name, value in fakes.env().items()}
    return UpstreamSettings(
        **env,
        spotify_rate_limit="1000/1s",
        ticketmaster_rate_limit="1000/1s",
        setlistfm_rate_limit="1000/1s",
        upstream_timeout_seconds=2.0,
        upstream_retry_attempts=4,
        upstream_retry_base_delay_seconds=0.01,
        upstream_retry_max_delay_seconds=0.05,
        upstream_retry_max_sleep_seconds=5.0,
    )


def quick(config: ClientConfig, **retry: Any) -> ClientConfig:
    """The config with a short default pause after a bare 429, plus any retry overrides."""
    return replace(config, retry=replace(config.retry, **{"default_retry_after_s": 0.05, **retry}))


def spotify_client(
    settings: UpstreamSettings,
    config: ClientConfig | None = None,
    limiter: RateLimiter | None = None,
    **kwargs: Any,
) -> SpotifyClient:
    """A Spotify client against the fakes."""
    return SpotifyClient(
        config or quick(settings.spotify()),
        limiter,
        accounts_url=settings.spotify_accounts_url,
        client_id=settings.spotify_client_id,
        client_secret=settings.spotify_client_secret.get_secret_value(),
        **kwargs,
    )


def ticketmaster_client(
    settings: UpstreamSettings,
    config: ClientConfig | None = None,
    limiter: RateLimiter | None = None,
    **kwargs: Any,
) -> TicketmasterClient:
    """A Ticketmaster client against the fakes."""
    return TicketmasterClient(
        config or quick(settings.ticketmaster()),
        limiter,
        api_key=settings.ticketmaster_api_key.get_secret_value(),
        **kwargs,
    )


def setlistfm_client(
    settings: UpstreamSettings,
    config: ClientConfig | None = None,
    limiter: RateLimiter | None = None,
) -> SetlistFmClient:
    """A setlist.fm client against the fakes."""
    return SetlistFmClient(
        config or quick(settings.setlistfm()),
        limiter,
        api_key=settings.setlistfm_api_key.get_secret_value(),
    )


@pytest_asyncio.fixture
async def spotify(settings: UpstreamSettings) -> AsyncIterator[SpotifyClient]:
    """A Spotify client with quick retries."""
    async with spotify_client(settings) as client:
        yield client


@pytest_asyncio.fixture
async def ticketmaster(settings: UpstreamSettings) -> AsyncIterator[TicketmasterClient]:
    """A Ticketmaster client with quick retries."""
    async with ticketmaster_client(settings) as client:
        yield client


@pytest_asyncio.fixture
async def setlistfm(settings: UpstreamSettings) -> AsyncIterator[SetlistFmClient]:
    """A setlist.fm client with quick retries."""
    async with setlistfm_client(settings) as client:
        yield client


@pytest_asyncio.fixture
async def redis(redis_url: str) -> AsyncIterator[Redis]:
    """A connection to the session's real Redis."""
    client = Redis.from_url(redis_url)
    yield client
    await client.aclose()


@pytest.fixture
def key_prefix() -> str:
    """A Redis key prefix of this test's own, so limiter state never leaks between tests."""
    return f"test:{uuid.uuid4().hex}"


def redis_limiter(redis: Redis, config: ClientConfig, prefix: str) -> RedisRateLimiter:
    """A Redis limiter for `config`, as one worker process would build it."""
    return RedisRateLimiter(redis, config.name, config.windows, config.rate_margin_s, prefix=prefix)
