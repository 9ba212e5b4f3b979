"""A full import of each demo artist yields exactly the catalog rows the demo was built to yield."""

from __future__ import annotations

import math
import uuid
from typing import Any

import pytest
from mysetlist.catalog.v1 import resources_pb2 as pb

from fakes.dataset import Dataset
from services.sync.models import JobState
from services.sync.pipeline.run import STAGES
from shared.titles import album_version, track_version
from tests.sync.pipeline.catalog_view import read_artist
from tests.sync.pipeline.conftest import MakePipeline, Pipeline

ARTISTS = [
    "halcyon_drive",
    "chloe_saint_emile",
    "yoake_no_machi",
    "the_meridian",
    "meridian",
    "quiet_harbor",
]


def no_429s(pipeline: Pipeline) -> None:
    for fake in pipeline.fakes.upstreams:
        assert fake.stats.total_violations == 0, fake.name


@pytest.mark.parametrize("key", ARTISTS)
async def test_a_full_import_yields_exactly_the_expected_rows(
    pipeline: Pipeline, expected: dict[str, dict[str, Any]], demo: Dataset, key: str
) -> None:
    facts = expected[key]

    job = await pipeline.import_artist(facts["spotify_id"])

    assert job.state is JobState.COMPLETED, (job.error_reason, job.error_message)
    view = await read_artist(pipeline.catalog, str(job.artist_id))
    assert (view.artist.spotify_id, view.artist.ticketmaster_id, view.artist.mbid) == (
        facts["spotify_id"],
        facts["attraction_id"],
        facts["mbid"],
    )
    assert len(view.songs) == facts["studio_songs"]
    assert len(view.ticketed_shows) == facts["events"]
    assert len({s.venue_id for s in view.ticketed_shows}) == facts["venues"]
    # Every setlist is a show that took place; only the non-empty ones are actual setlists.
    assert len(view.setlistfm_shows) == facts["setlists"]
    assert {s.status for s in view.setlistfm_shows} <= {pb.SHOW_STATUS_COMPLETED}
    recorded = facts["setlists"] - facts["empty_setlists"]
    assert len(view.actual()) == recorded
    assert all(s.songs for s in view.actual())
    upcoming = [
        s for s in view.shows if s.status in (pb.SHOW_STATUS_UPCOMING, pb.SHOW_STATUS_RESCHEDULED)
    ]
    assert len(view.predicted()) == len(upcoming)
    assert all(s.songs for s in view.predicted())
    assert job.counters == {
        "songs": facts["studio_songs"],
        "releases": facts["releases"],
        "shows": facts["events"],
        "venues": facts["venues"],
        "setlists": recorded,
        "predictions": len(upcoming),
    }
    no_429s(pipeline)
    calls = {f.name: dict(f.stats.calls) for f in pipeline.fakes.upstreams}
    print(f"{key} extended: {calls}")  # noqa: T201 - measured for the report
    assert calls["spotify"] == minimum_spotify_calls(demo, facts["spotify_id"], "extended")
    assert calls["ticketmaster"] == {
        "attractions": 1,
        "events": max(1, math.ceil(facts["events"] / 199)),
    }
    pages = min(3, max(1, math.ceil(facts["setlists"] / 20)))
    if key == "meridian":
        # No MBID link: a name search, then one page of each namesake tied on the name
        # (the winner's page is reused: it holds all of its 5 setlists).
        assert calls["setlistfm"] == {"search_artists": 1, "artist_setlists": 2}
    elif key == "the_meridian":
        # No MBID link either, but the name alone decides: a search, then the pages.
        assert calls["setlistfm"] == {"search_artists": 1, "artist_setlists": pages}
    else:
        assert calls["setlistfm"] == {"artist_setlists": pages}


def minimum_spotify_calls(demo: Dataset, spotify_id: str, mode: str) -> dict[str, int]:
    """The calls the data needs: every album page, the releases that can hold studio songs,
    their track pages beyond the first, and the tracks that can be studio songs."""
    releases = [(g, a) for g, a in demo.albums_of(spotify_id) if g in ("album", "single")]
    wanted = [a for _, a in releases if album_version(a.name) is None]
    tracks = {
        t.id
        for a in wanted
        for t in a.tracks
        if track_version(t.name) is None and (not t.artist_ids or spotify_id in t.artist_ids)
    }
    extra_pages = sum(max(0, math.ceil(len(a.tracks) / 50) - 1) for a in wanted)
    page = 10 if mode == "development" else 50
    calls = {
        "token": 1,
        "artist": 1,
        "artist_albums": max(1, math.ceil(len(releases) / page)),
    }
    if mode == "development":
        # One 403 teaches the client there are no batch endpoints; then one call per id.
        calls |= {"albums": 1, "album": len(wanted), "track": len(tracks)}
    else:
        calls |= {"albums": math.ceil(len(wanted) / 20), "tracks": math.ceil(len(tracks) / 50)}
    if extra_pages:
        calls["album_tracks"] = extra_pages
    return calls


async def run_catalog_stages(pipeline: Pipeline, reference: str) -> uuid.UUID:
    """Only the stages that call Spotify (identity and catalog): what the app mode changes."""
    job = await pipeline.start(reference)
    await pipeline.jobs.begin_attempt(job.id)
    ctx = pipeline.context(job.id)
    for stage, run, span in STAGES[:2]:
        ctx.stage, ctx.span = stage, span
        await run(ctx)
    return (await pipeline.jobs.get(job.id)).artist_id


@pytest.mark.parametrize("key", ["halcyon_drive", "chloe_saint_emile"])
async def test_both_spotify_app_modes_import_the_same_songs_with_the_fewest_calls(
    make_pipeline: MakePipeline, expected: dict[str, dict[str, Any]], demo: Dataset, key: str
) -> None:
    facts = expected[key]
    extended = await make_pipeline(mode="extended")
    development = await make_pipeline(mode="development")

    artist_ids = [await run_catalog_stages(p, facts["spotify_id"]) for p in (extended, development)]

    views = [
        await read_artist(p.catalog, str(a))
        for p, a in zip((extended, development), artist_ids, strict=True)
    ]
    assert views[0].content() == views[1].content()
    assert len(views[1].songs) == facts["studio_songs"]
    # Development mode withholds popularity: songs keep 0, not a guess.
    assert {s.popularity for s in views[1].songs} == {0}
    assert development.upstreams.spotify.batch_endpoints is False
    for pipeline, mode in ((extended, "extended"), (development, "development")):
        calls = dict(pipeline.fakes.spotify.stats.calls)
        assert calls == minimum_spotify_calls(demo, facts["spotify_id"], mode), mode
        print(f"{key} {mode}: spotify {calls}")  # noqa: T201 - measured for the report
        no_429s(pipeline)


@pytest.mark.parametrize(
    "reference",
    ["attraction_id", "mbid", "name"],
)
async def test_every_kind_of_reference_identifies_the_same_artist(
    pipeline: Pipeline, expected: dict[str, dict[str, Any]], reference: str
) -> None:
    facts = expected["yoake_no_machi"]
    given = "夜明けの街" if reference == "name" else facts[reference]
    job = await pipeline.start(given)
    await pipeline.jobs.begin_attempt(job.id)
    ctx = pipeline.context(job.id)
    stage, run, span = STAGES[0]
    ctx.stage, ctx.span = stage, span

    await run(ctx)

    artist = await pipeline.catalog.artist(str((await pipeline.jobs.get(job.id)).artist_id))
    assert (artist.spotify_id, artist.ticketmaster_id, artist.mbid) == (
        facts["spotify_id"],
        facts["attraction_id"],
        facts["mbid"],
    )
    assert artist.genres and artist.image_url
