"""Fixtures for the fake upstream tests: running fakes with limits off unless a test sets them."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable

import httpx
import pytest
import pytest_asyncio

from fakes import FakeUpstreams, Limit
from fakes.dataset import Dataset
from fakes.setlistfm import SetlistFmConfig
from fakes.spotify import SpotifyConfig
from fakes.ticketmaster import TicketmasterConfig


@pytest.fixture(scope="session")
def demo() -> Dataset:
    """The shipped demo dataset, loaded once (the fakes never modify it)."""
    return Dataset.demo()


@pytest_asyncio.fixture
async def fakes(demo: Dataset) -> AsyncIterator[FakeUpstreams]:
    """All three fakes on port 0 with rate limits off; tests turn on what they check."""
    async with FakeUpstreams(
        demo,
        spotify=SpotifyConfig(rate_limit=Limit.off()),
        ticketmaster=TicketmasterConfig(per_second=Limit.off(), per_day=Limit.off()),
        setlistfm=SetlistFmConfig(per_second=Limit.off(), per_day=Limit.off()),
    ) as running:
        yield running


@pytest_asyncio.fixture
async def http() -> AsyncIterator[httpx.AsyncClient]:
    """A plain HTTP client with a short timeout."""
    async with httpx.AsyncClient(timeout=5.0) as client:
        yield client


NewToken = Callable[[], Awaitable[dict[str, str]]]


@pytest.fixture
def new_token(fakes: FakeUpstreams, http: httpx.AsyncClient) -> NewToken:
    """Fetches Authorization headers carrying a fresh client-credentials token."""

    async def fetch() -> dict[str, str]:
        env = fakes.env()
        response = await http.post(
            f"{env['SPOTIFY_ACCOUNTS_URL']}/api/token",
            data={"grant_type": "client_credentials"},
            auth=(env["SPOTIFY_CLIENT_ID"], env["SPOTIFY_CLIENT_SECRET"]),
        )
        response.raise_for_status()
        return {"Authorization": f"Bearer {response.json()['access_token']}"}

    return fetch


@pytest_asyncio.fixture
async def spotify(fakes: FakeUpstreams, new_token: NewToken) -> AsyncIterator[httpx.AsyncClient]:
    """A client for the fake Spotify API, authorized, based at SPOTIFY_API_URL."""
    headers = await new_token()
    async with httpx.AsyncClient(
        base_url=fakes.env()["SPOTIFY_API_URL"], headers=headers, timeout=5.0
    ) as client:
        yield client


@pytest_asyncio.fixture
async def ticketmaster(fakes: FakeUpstreams) -> AsyncIterator[httpx.AsyncClient]:
    """A client for the fake Discovery API with the key in every query."""
    env = fakes.env()
    async with httpx.AsyncClient(
        base_url=env["TICKETMASTER_API_URL"],
        params={"apikey": env["TICKETMASTER_API_KEY"]},
        timeout=5.0,
    ) as client:
        yield client


@pytest_asyncio.fixture
async def setlistfm(fakes: FakeUpstreams) -> AsyncIterator[httpx.AsyncClient]:
    """A client for the fake setlist.fm API asking for JSON."""
    env = fakes.env()
    headers = {"x-api-key": env["SETLISTFM_API_KEY"], "Accept": "application/json"}
    async with httpx.AsyncClient(
        base_url=env["SETLISTFM_API_URL"], headers=headers, timeout=5.0
    ) as client:
        yield client
