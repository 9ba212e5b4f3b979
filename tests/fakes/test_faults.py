"""Injected faults fire deterministically and look like each upstream's own failures."""

from __future__ import annotations

import json
import time

import httpx
import pytest

from fakes import FakeUpstreams, FaultPlan
from fakes.dataset import Dataset


@pytest.fixture
def artist_path(demo: Dataset) -> str:
    return f"/artists/{demo.expected['halcyon_drive']['spotify_id']}"


async def test_429_storm_with_retry_after_then_recovery(
    fakes: FakeUpstreams, spotify: httpx.AsyncClient, artist_path: str
) -> None:
    fakes.spotify.config.inject(FaultPlan("429", count=3, retry_after=2))

    responses = [await spotify.get(artist_path) for _ in range(4)]

    assert [r.status_code for r in responses] == [429, 429, 429, 200]
    assert all(r.headers["Retry-After"] == "2" for r in responses[:3])
    assert fakes.spotify.stats.faults_injected["429"] == 3
    assert fakes.spotify.stats.total_violations == 0  # injected, not enforced


async def test_429_without_retry_after_and_quota_reason(
    fakes: FakeUpstreams, spotify: httpx.AsyncClient, artist_path: str
) -> None:
    fakes.spotify.config.inject(FaultPlan("429", reason="QUOTA_EXCEEDED"))

    response = await spotify.get(artist_path)

    assert response.status_code == 429
    assert "Retry-After" not in response.headers
    assert response.json()["error"]["reason"] == "QUOTA_EXCEEDED"


@pytest.mark.parametrize("status", ["500", "502", "503"])
async def test_server_errors_use_the_spotify_error_shape(
    fakes: FakeUpstreams, spotify: httpx.AsyncClient, artist_path: str, status: str
) -> None:
    fakes.spotify.config.inject(FaultPlan(status))  # type: ignore[arg-type]

    response = await spotify.get(artist_path)

    assert response.status_code == int(status)
    assert response.json()["error"]["status"] == int(status)


async def test_every_and_after_pick_which_requests_fail(
    fakes: FakeUpstreams, spotify: httpx.AsyncClient, artist_path: str
) -> None:
    fakes.spotify.config.inject(FaultPlan("503", count=2, every=2, after=1))

    statuses = [(await spotify.get(artist_path)).status_code for _ in range(6)]

    assert statuses == [200, 503, 200, 503, 200, 200]


async def test_endpoint_filter_limits_a_plan_to_named_endpoints(
    fakes: FakeUpstreams, spotify: httpx.AsyncClient, artist_path: str
) -> None:
    fakes.spotify.config.inject(FaultPlan("500", count=None, endpoints={"artist_albums"}))

    artist = await spotify.get(artist_path)
    albums = await spotify.get(f"{artist_path}/albums")

    assert artist.status_code == 200 and albums.status_code == 500


async def test_slow_answers_after_the_delay(
    fakes: FakeUpstreams, spotify: httpx.AsyncClient, artist_path: str
) -> None:
    fakes.spotify.config.inject(FaultPlan("slow", delay=0.3))

    started = time.monotonic()
    response = await spotify.get(artist_path)

    assert response.status_code == 200
    assert time.monotonic() - started >= 0.3


async def test_truncated_body_is_cut_json(
    fakes: FakeUpstreams, spotify: httpx.AsyncClient, artist_path: str
) -> None:
    whole = (await spotify.get(artist_path)).content
    fakes.spotify.config.inject(FaultPlan("truncated"))

    response = await spotify.get(artist_path)

    assert response.status_code == 200
    assert whole.startswith(response.content) and len(response.content) < len(whole)
    with pytest.raises(json.JSONDecodeError):
        response.json()


async def test_malformed_body_is_not_json(
    fakes: FakeUpstreams, ticketmaster: httpx.AsyncClient
) -> None:
    fakes.ticketmaster.config.inject(FaultPlan("malformed"))

    response = await ticketmaster.get("/events.json")

    assert response.status_code == 200
    assert response.headers["content-type"].startswith("application/json")
    with pytest.raises(json.JSONDecodeError):
        response.json()


async def test_token_expired_fault_answers_the_expired_token_error(
    fakes: FakeUpstreams, spotify: httpx.AsyncClient, artist_path: str
) -> None:
    fakes.spotify.config.inject(FaultPlan("token_expired"))

    response = await spotify.get(artist_path)

    assert response.status_code == 401
    assert response.json()["error"]["message"] == "The access token expired"


async def test_disconnect_drops_the_connection(
    fakes: FakeUpstreams, setlistfm: httpx.AsyncClient, demo: Dataset
) -> None:
    fakes.setlistfm.config.inject(FaultPlan("disconnect"))

    with pytest.raises(httpx.TransportError):
        await setlistfm.get(f"/artist/{demo.expected['meridian']['mbid']}")
    again = await setlistfm.get(f"/artist/{demo.expected['meridian']['mbid']}")

    assert again.status_code == 200


async def test_ticketmaster_and_setlistfm_faults_use_their_own_shapes(
    fakes: FakeUpstreams, ticketmaster: httpx.AsyncClient, setlistfm: httpx.AsyncClient
) -> None:
    fakes.ticketmaster.config.inject(FaultPlan("503"), FaultPlan("429"))
    fakes.setlistfm.config.inject(FaultPlan("500"), FaultPlan("429", retry_after=5))

    tm = [await ticketmaster.get("/events.json") for _ in range(2)]
    sf = [await setlistfm.get("/search/artists", params={"artistName": "x"}) for _ in range(2)]

    assert [r.status_code for r in tm] == [503, 429]
    assert "fault" in tm[0].json() and "Retry-After" not in tm[1].headers
    assert [r.status_code for r in sf] == [500, 429]
    assert sf[0].json()["code"] == 500
    assert "Retry-After" not in sf[1].headers  # setlist.fm never sends it
