"""Incremental refresh: an unchanged artist costs a handful of conditional calls; a changed
album or a new show is picked up; RefreshArtist queues a refresh job for a catalog artist."""

from __future__ import annotations

import dataclasses
import datetime as dt
import uuid
from collections.abc import AsyncIterator
from typing import Any

import grpc
import pytest
from mysetlist.catalog.v1 import catalog_pb2 as catalog_api
from mysetlist.catalog.v1 import resources_pb2 as pb
from mysetlist.sync.v1 import sync_pb2 as api
from mysetlist.sync.v1 import sync_pb2_grpc
from redis.asyncio import Redis

from fakes import ids
from fakes.dataset import Dataset, SpotifyAlbum, SpotifyTrack, TmEvent
from services.sync import server as sync_server
from services.sync.actors import REFRESH_QUEUE
from services.sync.models import ImportJob, JobKind, JobState
from services.sync.pipeline.run import run_refresh
from services.sync.settings import SyncSettings
from shared.auth import Role, mint_token
from shared.grpc.channel import create_channel
from shared.titles import album_version
from tests.sync.pipeline.catalog_view import ArtistView, read_artist
from tests.sync.pipeline.conftest import SECRET, MakePipeline, Pipeline

HALCYON = "halcyon_drive"


def calls(pipeline: Pipeline) -> dict[str, dict[str, int]]:
    """Requests each fake received, per endpoint (a 304 is a request like any other)."""
    return {f.name: dict(f.stats.calls) for f in pipeline.fakes.upstreams}


def total(counted: dict[str, dict[str, int]]) -> int:
    return sum(n for endpoints in counted.values() for n in endpoints.values())


# Development mode has no batch endpoints, so its import makes one call per album and
# track (about 250 for this artist): there a refresh must cost under 5% of it. Extended
# mode imports in a few dozen batch calls; there "a handful" is the bar.
@pytest.mark.parametrize(
    ("mode", "share", "most"), [("development", 0.05, None), ("extended", None, 8)]
)
async def test_refreshing_an_unchanged_artist_costs_a_handful_of_calls_and_writes_nothing(
    make_pipeline: MakePipeline,
    expected: dict[str, dict[str, Any]],
    mode: str,
    share: float | None,
    most: int | None,
) -> None:
    pipeline = await make_pipeline(mode=mode)
    imported = await pipeline.import_artist(expected[HALCYON]["spotify_id"])
    assert imported.state is JobState.COMPLETED, imported.error_message
    import_calls = calls(pipeline)
    before = await read_artist(pipeline.catalog, str(imported.artist_id))
    pipeline.fakes.reset_stats()

    refreshed = await pipeline.refresh(imported.artist_id)

    assert (refreshed.state, refreshed.kind) == (JobState.COMPLETED, JobKind.REFRESH)
    refresh_calls = calls(pipeline)
    print(  # noqa: T201 - measured for the report
        f"{mode}: import {total(import_calls)} {import_calls}; "
        f"refresh {total(refresh_calls)} {refresh_calls}"
    )
    if share is not None:
        assert total(refresh_calls) < share * total(import_calls)
    if most is not None:
        assert total(refresh_calls) <= most
    # Spotify: the artist and every page of the release list, all 304; nothing fetched in full.
    spotify = pipeline.fakes.spotify.stats
    assert set(refresh_calls["spotify"]) == {"artist", "artist_albums"}
    assert spotify.not_modified == sum(refresh_calls["spotify"].values())
    assert refresh_calls["setlistfm"] == {"artist_setlists": 1}
    after = await read_artist(pipeline.catalog, str(imported.artist_id))
    assert after.snapshot() == before.snapshot()
    assert refreshed.counters == {
        "songs": 0,
        "releases": 0,
        "shows": 0,
        "venues": 0,
        "setlists": 0,
        "predictions": 0,
    }


def predictions(view: ArtistView, but: str = "") -> dict[str, list[str]]:
    """Each show's predicted songs, in order."""
    return {s.show_id: [e.song_id for e in s.songs] for s in view.predicted() if s.show_id != but}


def with_new_release_and_show(data: Dataset, facts: dict[str, Any]) -> tuple[int, str]:
    """Add a track to the newest studio album, a new album, and an event: (new songs, event id)."""
    artist = facts["spotify_id"]
    album = next(
        a for group, a in data.albums_of(artist) if group == "album" and not album_version(a.name)
    )
    album.tracks.append(
        SpotifyTrack(
            id=ids.spotify_id("refresh:bonus"),
            name="Lanterns Over the Bay",
            artist_ids=[artist],
            track_number=len(album.tracks) + 1,
            disc_number=1,
            duration_ms=214_000,
            isrc="USRF12600001",
        )
    )
    new_id = ids.spotify_id("refresh:album")
    data.spotify_albums[new_id] = SpotifyAlbum(
        id=new_id,
        name="Tidewater",
        album_type="album",
        release_date="2026-05-01",
        release_date_precision="day",
        artist_ids=[artist],
        tracks=[
            SpotifyTrack(
                id=ids.spotify_id(f"refresh:track:{n}"),
                name=title,
                artist_ids=[artist],
                track_number=n,
                disc_number=1,
                duration_ms=190_000 + n * 7_000,
                isrc=f"USRF1260001{n}",
            )
            for n, title in enumerate(["Tidewater", "Paper Lanterns"], start=1)
        ],
    )
    template = data.events_of(facts["attraction_id"])[0]
    event_id = ids.tm_event_id("refresh:event")
    data.tm_events[event_id] = dataclasses.replace(
        template,
        id=event_id,
        name="Tidewater Tour",
        local_date=(dt.date.today() + dt.timedelta(days=90)).isoformat(),
        local_time="20:00:00",
        status="onsale",
    )
    assert isinstance(data.tm_events[event_id], TmEvent)
    data.reindex()
    return 3, event_id


async def imported_on_own_data(
    make_pipeline: MakePipeline, facts: dict[str, Any]
) -> tuple[Dataset, Pipeline, ImportJob, ArtistView]:
    """The artist imported from a dataset of the test's own, which the fakes serve as it
    changes: (dataset, pipeline, finished import job, catalog view after the import)."""
    data = Dataset.demo()
    pipeline = await make_pipeline(dataset=data)
    imported = await pipeline.import_artist(facts["spotify_id"])
    return data, pipeline, imported, await read_artist(pipeline.catalog, str(imported.artist_id))


async def test_a_refresh_picks_up_a_changed_album_a_new_album_and_a_new_show(
    make_pipeline: MakePipeline, expected: dict[str, dict[str, Any]]
) -> None:
    facts = expected["chloe_saint_emile"]
    data, pipeline, imported, before = await imported_on_own_data(make_pipeline, facts)
    new_songs, event_id = with_new_release_and_show(data, facts)
    pipeline.fakes.reset_stats()

    refreshed = await pipeline.refresh(imported.artist_id)

    assert refreshed.state is JobState.COMPLETED, refreshed.error_message
    after = await read_artist(pipeline.catalog, str(imported.artist_id))
    added = {s.title for s in after.songs} - {s.title for s in before.songs}
    assert added == {"Lanterns Over the Bay", "Tidewater", "Paper Lanterns"}
    assert len(after.songs) == len(before.songs) + new_songs
    show = next(s for s in after.shows if s.ticketmaster_id == event_id)
    [prediction] = [s for s in after.setlists[show.id] if s.kind == pb.SETLIST_KIND_PREDICTED]
    assert prediction.songs
    # Only the new show was seeded: the other predictions are as they were.
    assert predictions(after, but=show.id) == predictions(before)
    # Only the two changed releases were fetched in full (one batch of albums, one of tracks).
    spotify = calls(pipeline)["spotify"]
    print(f"changed: {calls(pipeline)}")  # noqa: T201 - measured for the report
    assert (spotify["albums"], spotify["tracks"]) == (1, 1)
    assert refreshed.counters["releases"] == 2


async def test_a_refresh_cancels_an_upcoming_show_ticketmaster_no_longer_lists(
    make_pipeline: MakePipeline, expected: dict[str, dict[str, Any]]
) -> None:
    facts = expected["chloe_saint_emile"]
    data, pipeline, imported, before = await imported_on_own_data(make_pipeline, facts)
    upcoming = {
        s.ticketmaster_id: s.status
        for s in before.shows
        if s.ticketmaster_id and s.status == pb.SHOW_STATUS_UPCOMING
    }
    gone = sorted(upcoming)[0]
    del data.tm_events[gone]  # called off, and no cancelled status ever listed
    data.reindex()

    refreshed = await pipeline.refresh(imported.artist_id)

    assert refreshed.state is JobState.COMPLETED, refreshed.error_message
    after = {
        s.ticketmaster_id: s
        for s in (await read_artist(pipeline.catalog, str(imported.artist_id))).shows
    }
    assert after[gone].status == pb.SHOW_STATUS_CANCELLED
    # Everything else as it was: the other upcoming shows, and every past or setlist.fm show.
    assert {k: s.status for k, s in after.items() if k != gone} == {
        s.ticketmaster_id: s.status for s in before.shows if s.ticketmaster_id != gone
    }
    logs = await pipeline.jobs.logs(refreshed.id)
    assert any("no longer listed" in line.message for line in logs)


async def test_a_refresh_that_dies_mid_stage_sees_the_change_again_when_redelivered(
    make_pipeline: MakePipeline,
    expected: dict[str, dict[str, Any]],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    facts = expected["chloe_saint_emile"]
    data, pipeline, imported, before = await imported_on_own_data(make_pipeline, facts)
    new_songs, _ = with_new_release_and_show(data, facts)
    job, _ = await pipeline.jobs.start(
        facts["spotify_id"], kind=JobKind.REFRESH, artist_id=imported.artist_id
    )

    async def worker_dies(*args: Any, **kwargs: Any) -> Any:
        raise RuntimeError("worker died")

    real = pipeline.catalog.upsert_songs
    monkeypatch.setattr(pipeline.catalog, "upsert_songs", worker_dies)
    with pytest.raises(RuntimeError):
        await run_refresh(pipeline.context(job.id))  # the release list was fetched, not stored
    monkeypatch.setattr(pipeline.catalog, "upsert_songs", real)
    await run_refresh(pipeline.context(job.id))  # Dramatiq redelivers

    assert (await pipeline.jobs.get(job.id)).state is JobState.COMPLETED
    after = await read_artist(pipeline.catalog, str(imported.artist_id))
    assert len(after.songs) == len(before.songs) + new_songs


# RefreshArtist through a real sync server ---------------------------------------------


@pytest.fixture
async def sync_stubs(
    pipeline: Pipeline, redis_url: str
) -> AsyncIterator[dict[str, sync_pb2_grpc.SyncServiceStub]]:
    """A sync server over the pipeline's catalog and job store; stubs per role."""
    settings = SyncSettings(
        database_url=pipeline.sync_url,
        redis_url=redis_url,
        catalog_addr=pipeline.catalog_addr,
        environment="test",
        auth_jwt_secret=SECRET,
        sync_scheduler_enabled=False,
    )
    app = sync_server.build(settings, address="127.0.0.1:0")
    await app.server.start()
    target = f"127.0.0.1:{app.port}"
    channels = {
        role: create_channel(target, token=mint_token(SECRET, role, [getattr(Role, role.upper())]))
        for role in ("user", "admin")
    }
    yield {role: sync_pb2_grpc.SyncServiceStub(channel) for role, channel in channels.items()}
    for channel in channels.values():
        await channel.close()
    await app.server.stop(0)
    await app.close()


async def queued_messages(redis_url: str, queue: str) -> list[bytes]:
    redis = Redis.from_url(redis_url)
    try:
        ids_ = await redis.lrange(f"dramatiq:{queue}", 0, -1)
        return [m or b"" for m in [await redis.hget(f"dramatiq:{queue}.msgs", i) for i in ids_]]
    finally:
        await redis.aclose()


async def test_refresh_artist_queues_a_refresh_job_for_the_refresh_actor(
    pipeline: Pipeline, sync_stubs: dict[str, Any], redis_url: str
) -> None:
    artist, _ = await pipeline.catalog.upsert_artist(
        catalog_api.ArtistInput(name="Refresh Me", spotify_id=ids.spotify_id("refresh:rpc"))
    )

    first = await sync_stubs["admin"].RefreshArtist(api.RefreshArtistRequest(artist_id=artist.id))
    again = await sync_stubs["admin"].RefreshArtist(api.RefreshArtistRequest(artist_id=artist.id))

    assert first.created and not again.created
    assert again.job.id == first.job.id
    assert (first.job.kind, first.job.state) == (api.JOB_KIND_REFRESH, api.JOB_STATE_QUEUED)
    assert first.job.artist_id == artist.id
    messages = await queued_messages(redis_url, REFRESH_QUEUE)
    assert any(first.job.id.encode() in m and b"refresh_artist" in m for m in messages)


async def test_refresh_artist_is_not_found_for_an_unknown_artist_and_only_for_admins(
    pipeline: Pipeline, sync_stubs: dict[str, Any]
) -> None:
    request = api.RefreshArtistRequest(artist_id=str(uuid.uuid4()))
    with pytest.raises(grpc.aio.AioRpcError) as missing:
        await sync_stubs["admin"].RefreshArtist(request)
    with pytest.raises(grpc.aio.AioRpcError) as denied:
        await sync_stubs["user"].RefreshArtist(request)

    assert missing.value.code() is grpc.StatusCode.NOT_FOUND
    assert denied.value.code() is grpc.StatusCode.PERMISSION_DENIED
