"""setlist.fm client against the fake: both setlist shapes, 404 as "none", 429 without Retry-After."""

from __future__ import annotations

from typing import Any

import pytest

from fakes import FakeUpstreams, FaultPlan
from services.sync.upstreams import Forbidden, SetlistFmClient, UpstreamSettings, sets_of
from tests.sync.upstreams.conftest import setlistfm_client

HALCYON = "d2e21051-d15a-4d2d-8247-28cca650259a"
QUIET_HARBOR = "31942502-11dc-41ef-8f44-03602f95420a"


@pytest.mark.parametrize("documented_shape", [False, True], ids=["live", "documented"])
async def test_setlists_come_back_in_one_shape_whichever_the_api_sends(
    setlistfm: SetlistFmClient,
    fakes: FakeUpstreams,
    expected: dict[str, Any],
    documented_shape: bool,
) -> None:
    fakes.setlistfm.config.documented_shape = documented_shape

    setlists = await setlistfm.artist_setlists(HALCYON, pages=5)

    halcyon = expected["halcyon_drive"]
    assert len(setlists) == halcyon["setlists"]
    assert fakes.setlistfm.stats.calls["artist_setlists"] == 3  # stops at the last page
    assert all(isinstance(s["sets"]["set"], list) and "set" not in s for s in setlists)
    assert sum(1 for s in setlists if not sets_of(s)) == halcyon["empty_setlists"]
    songs = [song for s in setlists for part in sets_of(s) for song in part["song"]]
    assert songs and all("name" in song for song in songs)


async def test_setlists_are_newest_first_and_pages_are_bounded(setlistfm: SetlistFmClient) -> None:
    setlists = await setlistfm.artist_setlists(HALCYON, pages=1)

    dates = [s["eventDate"][6:] + s["eventDate"][3:5] + s["eventDate"][:2] for s in setlists]
    assert len(setlists) == 20
    assert dates == sorted(dates, reverse=True)


async def test_a_search_without_match_is_empty_not_an_error(
    setlistfm: SetlistFmClient, fakes: FakeUpstreams
) -> None:
    assert await setlistfm.search_artists("no band by this name") == []
    assert await setlistfm.artist_setlists(QUIET_HARBOR) == []
    assert fakes.setlistfm.stats.statuses[404] == 2


async def test_search_artists_and_setlist_by_id(setlistfm: SetlistFmClient) -> None:
    found = await setlistfm.search_artists("Halcyon Drive")
    newest = (await setlistfm.artist_setlists(HALCYON))[0]

    assert found[0]["mbid"] == HALCYON
    assert (await setlistfm.setlist(newest["id"]))["id"] == newest["id"]
    by_date = await setlistfm.search_setlists(HALCYON, newest["eventDate"])
    assert newest["id"] in {s["id"] for s in by_date}


async def test_429_without_retry_after_waits_the_default_and_succeeds(
    setlistfm: SetlistFmClient, fakes: FakeUpstreams, settings: UpstreamSettings
) -> None:
    fakes.setlistfm.config.inject(FaultPlan("429", count=2))

    found = await setlistfm.search_artists("Halcyon Drive")

    assert found
    assert setlistfm.stats.rate_limited == 2
    assert settings.setlistfm().retry.default_retry_after_s == 2.0  # production: back off ~2 s


async def test_a_refused_key_is_forbidden_and_not_echoed(
    settings: UpstreamSettings, fakes: FakeUpstreams
) -> None:
    fakes.setlistfm.config.api_key = "another-key"
    async with setlistfm_client(settings) as client:
        with pytest.raises(Forbidden) as caught:
            await client.search_artists("Halcyon Drive")

    assert settings.setlistfm_api_key.get_secret_value() not in str(caught.value)
