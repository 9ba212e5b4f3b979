"""Upstream status, upstream search and the maintenance schedules through a real sync server.

The world: a catalog server and a sync server on port 0, each over its own migrated
PostgreSQL database; a real Redis (a database number of this module's own); the
fake upstreams over HTTP with the demo dataset plus one setlist played yesterday.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import uuid
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from urllib.parse import urlsplit, urlunsplit
from zoneinfo import ZoneInfo

import grpc
import pytest
from google.rpc import error_details_pb2
from grpc_status import rpc_status
from mysetlist.catalog.v1 import catalog_pb2 as capi
from mysetlist.catalog.v1 import catalog_pb2_grpc
from mysetlist.catalog.v1 import resources_pb2 as cpb
from mysetlist.sync.v1 import sync_pb2 as api
from mysetlist.sync.v1 import sync_pb2_grpc
from redis.asyncio import Redis
from sqlalchemy import select, update

from fakes import FakeUpstreams, Limit
from fakes.dataset import Dataset, SfSetlist, SfVenue
from fakes.faults import FaultPlan
from fakes.setlistfm import SetlistFmConfig
from fakes.spotify import SpotifyConfig
from fakes.ticketmaster import TicketmasterConfig
from services.catalog import server as catalog_server
from services.catalog.settings import CatalogSettings
from services.sync import server as sync_server
from services.sync.actors import IMPORT_QUEUE
from services.sync.domain.schedules import ScheduleLock
from services.sync.models import (
    SCHEMA,
    ImportJob,
    ImportLog,
    JobKind,
    JobState,
    Schedule,
    Stage,
)
from services.sync.pipeline.lease import lease_key
from services.sync.settings import SyncSettings
from services.sync.upstream_status import StatusBoard, StatusPublisher
from services.sync.upstreams import Unavailable, UpstreamSettings, build_upstreams
from shared import db
from shared.auth import Role, mint_token
from shared.grpc.channel import create_channel
from tests.catalog.builders import World, uid
from tests.support.servers import drop_database, fresh_database

SECRET = "sync-schedules-test-secret-at-least-32-bytes"
REDIS_DB = 7  # this module's own: status sums and locks see no other module's keys

HALCYON_SPOTIFY = "2mjE0dYV9mmNKhDMQhVUrK"
HALCYON_TM = "K8vZ9172RSF"
HALCYON_MBID = "d2e21051-d15a-4d2d-8247-28cca650259a"
# Kiritimati is UTC+14, Pago Pago UTC-11: at any instant their dates differ.
EAST, WEST = "Pacific/Kiritimati", "Pacific/Pago_Pago"
SETLIST_ID = "7bd6e2a1"
PLAYED = ["Painted Rivers", "Secret Canyons", "Live Wire"]


def local_today(zone: str) -> dt.date:
    return dt.datetime.now(ZoneInfo(zone)).date()


def dataset() -> Dataset:
    """The demo plus Halcyon Drive's setlist of yesterday (Kiritimati time) in Kiritimati."""
    extra = Dataset(
        sf_venues={
            "k1r1t1ma": SfVenue(
                "k1r1t1ma", "Cassidy Hall", "4030939", "Kiritimati", "KI", "Kiribati", 1.87, -157.4
            )
        },
        sf_setlists={
            SETLIST_ID: SfSetlist(
                id=SETLIST_ID,
                version_id="g1",
                event_date=(local_today(EAST) - dt.timedelta(days=1)).strftime("%d-%m-%Y"),
                last_updated="2026-01-01T00:00:00.000+0000",
                artist_mbid=HALCYON_MBID,
                venue_id="k1r1t1ma",
                sets=[{"song": [{"name": title} for title in PLAYED]}],
            )
        },
    )
    return Dataset.demo().merge(extra)


def upstream_settings(fakes: FakeUpstreams, **overrides: object) -> UpstreamSettings:
    env = {name.lower(): value for name, value in fakes.env().items()}
    values: dict[str, object] = {
        "spotify_rate_limit": "1000/1s",
        "ticketmaster_rate_limit": "1000/1s",
        "setlistfm_rate_limit": "1000/1s",
        "upstream_timeout_seconds": 2.0,
        "upstream_retry_attempts": 2,
        "upstream_retry_base_delay_seconds": 0.01,
        "upstream_retry_max_delay_seconds": 0.02,
        **overrides,
    }
    return UpstreamSettings(**env, **values)


def module_redis_url(redis_url: str) -> str:
    parts = urlsplit(redis_url)
    return urlunsplit(parts._replace(path=f"/{REDIS_DB}"))


@dataclass
class Env:
    """What the tests talk to."""

    sync: sync_server.SyncServer
    settings: SyncSettings
    fakes: FakeUpstreams
    catalog: catalog_pb2_grpc.CatalogServiceStub
    fan: catalog_pb2_grpc.CatalogServiceStub
    world: World
    stubs: dict[str, sync_pb2_grpc.SyncServiceStub]
    redis: Redis


@pytest.fixture(scope="module")
def databases(postgres_url: str) -> Iterator[tuple[str, str]]:
    catalog_url = fresh_database(postgres_url, "sched_catalog")
    catalog_server.migrate(CatalogSettings(database_url=catalog_url, environment="test"))
    sync_url = fresh_database(postgres_url, "sched_sync")
    sync_server.migrate(SyncSettings(database_url=sync_url, environment="test"))
    yield catalog_url, sync_url
    drop_database(catalog_url)
    drop_database(sync_url)


@pytest.fixture(scope="module")
async def env(databases: tuple[str, str], redis_url: str) -> AsyncIterator[Env]:
    catalog_url, sync_url = databases
    fakes = FakeUpstreams(
        dataset(),
        spotify=SpotifyConfig(rate_limit=Limit.off()),
        # A daily quota so Ticketmaster reports what remains of it.
        ticketmaster=TicketmasterConfig(per_second=Limit.off(), per_day=Limit(5000, 86400.0)),
        setlistfm=SetlistFmConfig(per_second=Limit.off(), per_day=Limit.off()),
    )
    await fakes.start()
    catalog_app = catalog_server.build(
        CatalogSettings(
            database_url=catalog_url,
            environment="test",
            auth_jwt_secret=SECRET,
            catalog_cache_ttl_seconds=0,
        ),
        address="127.0.0.1:0",
    )
    await catalog_app.server.start()
    await catalog_app.health.set_serving(True)
    settings = SyncSettings(
        database_url=sync_url,
        redis_url=module_redis_url(redis_url),
        environment="test",
        auth_jwt_secret=SECRET,
        catalog_addr=f"127.0.0.1:{catalog_app.port}",
        sync_prune_keep_per_artist=2,
    )
    app = sync_server.build(
        settings, address="127.0.0.1:0", upstream_settings=upstream_settings(fakes)
    )
    await app.server.start()
    redis = Redis.from_url(settings.redis_url or "")
    await redis.flushdb()
    target = f"127.0.0.1:{app.port}"
    channels = {
        "anonymous": create_channel(target, timeout=20.0),
        "user": create_channel(target, token=mint_token(SECRET, "fan", [Role.USER]), timeout=20.0),
        "admin": create_channel(
            target, token=mint_token(SECRET, "ops", [Role.ADMIN]), timeout=20.0
        ),
    }
    catalog_channel = create_channel(
        f"127.0.0.1:{catalog_app.port}", token=mint_token(SECRET, "sync", [Role.SERVICE])
    )
    fan_channel = create_channel(
        f"127.0.0.1:{catalog_app.port}", token=mint_token(SECRET, "fan-1", [Role.USER])
    )
    catalog = catalog_pb2_grpc.CatalogServiceStub(catalog_channel)
    yield Env(
        sync=app,
        settings=settings,
        fakes=fakes,
        catalog=catalog,
        fan=catalog_pb2_grpc.CatalogServiceStub(fan_channel),
        world=World(catalog),
        stubs={name: sync_pb2_grpc.SyncServiceStub(ch) for name, ch in channels.items()},
        redis=redis,
    )
    for channel in [*channels.values(), catalog_channel, fan_channel]:
        await channel.close()
    await app.server.stop(0)
    await app.close()
    await redis.flushdb()
    await redis.aclose()
    await catalog_app.server.stop(0)
    await catalog_app.engine.dispose()
    await fakes.stop()


async def expect(call, code: grpc.StatusCode) -> str:
    """The ErrorInfo reason of a call that must fail with `code`."""
    with pytest.raises(grpc.aio.AioRpcError) as caught:
        await call
    assert caught.value.code() == code, caught.value.details()
    for detail in rpc_status.from_call(caught.value).details:
        if detail.Is(error_details_pb2.ErrorInfo.DESCRIPTOR):
            info = error_details_pb2.ErrorInfo()
            detail.Unpack(info)
            return info.reason
    return ""


# GetUpstreamStatus ------------------------------------------------------------


async def test_upstream_status_sums_the_counters_of_every_process(env: Env):
    await env.redis.flushdb()
    board = StatusBoard(env.redis)
    calm = build_upstreams(upstream_settings(env.fakes), env.redis)
    failing = build_upstreams(
        upstream_settings(
            env.fakes, upstream_retry_attempts=1, upstream_breaker_failure_threshold=1
        ),
        env.redis,
    )
    first, second = StatusPublisher(board, calm), StatusPublisher(board, failing)
    try:
        await calm.spotify.search_artists("Halcyon Drive")
        await calm.ticketmaster.search_attractions("Halcyon Drive")
        await failing.ticketmaster.search_attractions("Quiet Harbor")
        env.fakes.spotify.config.inject(FaultPlan("503", endpoints=frozenset({"search"})))
        with pytest.raises(Unavailable):
            await failing.spotify.search_artists("Quiet Harbor")
        await first.publish()
        await second.publish()

        response = await env.stubs["admin"].GetUpstreamStatus(api.GetUpstreamStatusRequest())

        own = env.sync.upstreams.status() if env.sync.upstreams else []
        processes = [calm.status(), failing.status(), own]
        by_name = {u.name: u for u in response.upstreams}
        assert list(by_name) == ["spotify", "ticketmaster", "setlistfm"]
        for n, name in enumerate(by_name):
            status = by_name[name]
            assert status.calls == sum(p[n]["calls"] for p in processes)
            assert status.errors == sum(p[n]["errors"] for p in processes)
            assert status.rate_limited == sum(p[n]["rate_limited"] for p in processes)
        assert by_name["spotify"].errors >= 1
        # One process with an open breaker makes the upstream open.
        assert by_name["spotify"].breaker_state == api.BREAKER_STATE_OPEN
        assert by_name["ticketmaster"].breaker_state == api.BREAKER_STATE_CLOSED
        quotas = [p[1]["quota_remaining"] for p in processes if p[1]["quota_remaining"]]
        assert by_name["ticketmaster"].remaining_quota == min(quotas) < 5000
        assert by_name["setlistfm"].remaining_quota == -1

        await first.stop()
        after = await env.stubs["admin"].GetUpstreamStatus(api.GetUpstreamStatusRequest())
        assert after.upstreams[1].calls == by_name["ticketmaster"].calls - calm.status()[1]["calls"]
    finally:
        await first.stop()
        await second.stop()
        await calm.aclose()
        await failing.aclose()


async def test_upstream_status_is_for_admins_only(env: Env):
    request = api.GetUpstreamStatusRequest()
    await expect(env.stubs["anonymous"].GetUpstreamStatus(request), grpc.StatusCode.UNAUTHENTICATED)
    await expect(env.stubs["user"].GetUpstreamStatus(request), grpc.StatusCode.PERMISSION_DENIED)


# SearchUpstreamArtists --------------------------------------------------------


async def test_search_marks_the_artists_already_imported(env: Env):
    imported = await halcyon(env, spotify_id=HALCYON_SPOTIFY)

    response = await env.stubs["user"].SearchUpstreamArtists(
        api.SearchUpstreamArtistsRequest(query="halcyon drive")
    )

    best = response.artists[0]
    assert (best.name, best.spotify_id) == ("Halcyon Drive", HALCYON_SPOTIFY)
    # Ticketmaster's attraction links to the Spotify artist: one candidate with both ids.
    assert (best.ticketmaster_id, best.mbid) == (HALCYON_TM, HALCYON_MBID)
    assert best.catalog_artist_id == imported.id
    assert best.popularity > 0 and best.image_url
    assert all(not a.catalog_artist_id for a in response.artists[1:])


async def test_search_leaves_artists_not_yet_imported_unmarked(env: Env):
    response = await env.stubs["user"].SearchUpstreamArtists(
        api.SearchUpstreamArtistsRequest(query="Quiet Harbor", page_size=5)
    )

    assert response.artists[0].name == "Quiet Harbor"
    assert not response.artists[0].catalog_artist_id
    assert len(response.artists) <= 5


async def test_an_artist_only_ticketmaster_knows_is_a_candidate_too(env: Env):
    response = await env.stubs["user"].SearchUpstreamArtists(
        api.SearchUpstreamArtistsRequest(query="Glass Coyotes")
    )

    best = response.artists[0]
    assert (best.name, best.ticketmaster_id, best.spotify_id) == (
        "Glass Coyotes",
        "K8vZ917zyew",
        "",
    )


async def test_search_needs_a_signed_in_user(env: Env):
    await expect(
        env.stubs["anonymous"].SearchUpstreamArtists(api.SearchUpstreamArtistsRequest(query="x")),
        grpc.StatusCode.UNAUTHENTICATED,
    )


async def test_a_spotify_outage_makes_search_unavailable(env: Env):
    env.fakes.spotify.config.inject(FaultPlan("503", count=2, endpoints=frozenset({"search"})))
    # A bare channel: the suite's channels retry UNAVAILABLE, which would hide it.
    channel = grpc.aio.insecure_channel(
        f"127.0.0.1:{env.sync.port}", options=[("grpc.enable_retries", 0)]
    )
    token = mint_token(SECRET, "fan", [Role.USER])
    try:
        reason = await expect(
            sync_pb2_grpc.SyncServiceStub(channel).SearchUpstreamArtists(
                api.SearchUpstreamArtistsRequest(query="Meridian"),
                metadata=[("authorization", f"Bearer {token}")],
                timeout=20.0,
            ),
            grpc.StatusCode.UNAVAILABLE,
        )
    finally:
        await channel.close()

    assert reason == "UPSTREAM_UNAVAILABLE"


# Schedules --------------------------------------------------------------------


async def test_schedules_are_listed_with_their_next_run(env: Env):
    response = await env.stubs["admin"].ListSchedules(api.ListSchedulesRequest())

    by_name = {s.name: s for s in response.schedules}
    assert set(by_name) == {"complete-shows", "refresh-artists", "requeue-stalled-jobs", "prune"}
    assert by_name["complete-shows"].interval.seconds == 3600
    assert by_name["requeue-stalled-jobs"].interval.seconds == 300
    assert by_name["refresh-artists"].interval.seconds == 6 * 3600
    assert by_name["prune"].interval.seconds == 24 * 3600
    assert all(s.description and s.next_run_time.seconds > 0 for s in response.schedules)


async def test_schedules_are_for_admins_only(env: Env):
    await expect(
        env.stubs["user"].ListSchedules(api.ListSchedulesRequest()),
        grpc.StatusCode.PERMISSION_DENIED,
    )
    await expect(
        env.stubs["user"].RunSchedule(api.RunScheduleRequest(name="prune")),
        grpc.StatusCode.PERMISSION_DENIED,
    )


async def test_running_an_unknown_schedule_is_not_found(env: Env):
    reason = await expect(
        env.stubs["admin"].RunSchedule(api.RunScheduleRequest(name="reticulate-splines")),
        grpc.StatusCode.NOT_FOUND,
    )
    assert reason == "SCHEDULE_NOT_FOUND"


async def test_a_schedule_already_running_is_not_started_twice(env: Env):
    lock = ScheduleLock(env.redis)
    token = await lock.acquire("prune")  # another server is running it
    assert token is not None
    try:
        reason = await expect(
            env.stubs["admin"].RunSchedule(api.RunScheduleRequest(name="prune")),
            grpc.StatusCode.FAILED_PRECONDITION,
        )
    finally:
        await lock.release("prune", token)
    assert reason == "SCHEDULE_RUNNING"


async def test_complete_shows_completes_past_shows_and_records_their_setlists(env: Env):
    artist = await halcyon(env, spotify_id=HALCYON_SPOTIFY, mbid=HALCYON_MBID)
    east = await env.world.venue("Cassidy Hall", city="Kiritimati", timezone=EAST)
    west = await env.world.venue("Lupe Hall", city="Pago Pago", timezone=WEST)
    yesterday = (local_today(EAST) - dt.timedelta(days=1)).isoformat()
    played = await env.world.show(
        artist,
        east,
        local_date=yesterday,
        timezone=EAST,
        status=cpb.SHOW_STATUS_UPCOMING,
        ticket_url="https://tickets.example/1",
    )
    tonight = await env.world.show(
        artist,
        west,
        local_date=local_today(WEST).isoformat(),
        timezone=WEST,
        status=cpb.SHOW_STATUS_UPCOMING,
    )

    response = await env.stubs["admin"].RunSchedule(api.RunScheduleRequest(name="complete-shows"))

    run = response.run
    assert (run.schedule, run.status) == ("complete-shows", api.RUN_STATUS_SUCCEEDED), run.message
    assert run.counts["shows_completed"] >= 1 and run.counts["setlists_fetched"] >= 1
    assert run.duration.ToTimedelta() > dt.timedelta(0)
    done = await show(env, played.id)
    assert done.status == cpb.SHOW_STATUS_COMPLETED
    # Nothing but the status changed.
    for field in ("name", "venue_id", "local_date", "local_time", "timezone", "ticket_url"):
        assert getattr(done, field) == getattr(played, field), field
    assert [a.artist_id for a in done.artists] == [artist.id]
    setlists = await env.catalog.ListShowSetlists(
        capi.ListShowSetlistsRequest(show_id=played.id, kind=cpb.SETLIST_KIND_ACTUAL)
    )
    (actual,) = setlists.setlists
    assert actual.setlistfm_id == SETLIST_ID
    assert [s.title for s in actual.songs] == PLAYED
    assert (await show(env, tonight.id)).status == cpb.SHOW_STATUS_UPCOMING


async def test_a_run_is_listed_as_its_schedules_last_run(env: Env):
    ran = await env.stubs["admin"].RunSchedule(api.RunScheduleRequest(name="prune"))

    listed = await env.stubs["admin"].ListSchedules(api.ListSchedulesRequest())

    (prune,) = [s for s in listed.schedules if s.name == "prune"]
    assert prune.last_run.id == ran.run.id
    assert prune.last_run.status == api.RUN_STATUS_SUCCEEDED
    next_run = prune.next_run_time.ToDatetime(dt.UTC)
    started = ran.run.start_time.ToDatetime(dt.UTC)
    assert next_run == started + dt.timedelta(hours=24)


async def test_a_due_schedule_runs_once_across_two_servers(env: Env):
    other = sync_server.build(env.settings, address="127.0.0.1:0")  # a second server, not started
    engine = db.create_engine(env.settings.database_url, schema=SCHEMA)
    try:
        async with db.session_factory(engine).begin() as session:
            await session.execute(
                update(Schedule)
                .where(Schedule.name == "prune")
                .values(next_run_at=dt.datetime.now(dt.UTC) - dt.timedelta(minutes=1))
            )

        first, second = await asyncio.gather(
            env.sync.schedules.run_due(), other.schedules.run_due()
        )

        async with db.session_factory(engine)() as session:
            row = await session.get(Schedule, "prune")
    finally:
        await other.close()
        await engine.dispose()
    runs = [*first, *second]
    assert [r.schedule for r in runs] == ["prune"]
    assert row is not None and row.last_run_id == runs[0].id
    assert row.next_run_at > dt.datetime.now(dt.UTC) + dt.timedelta(hours=23)


def import_job(at: dt.datetime, state: JobState, stage: Stage, **values: object) -> ImportJob:
    """An import job as stored, last changed `at`, for inserting straight into sync's tables."""
    return ImportJob(
        id=uuid.uuid4(),
        kind=JobKind.IMPORT,
        reference=f"ref {uid()}",
        state=state,
        stage=stage,
        counters={},
        stage_timings=[],
        created_at=at,
        updated_at=at,
        **values,
    )


async def test_prune_deletes_old_finished_jobs_and_keeps_each_artists_newest(env: Env):
    now = dt.datetime.now(dt.UTC)
    artist, other = uuid.uuid4(), uuid.uuid4()

    def job(owner: uuid.UUID, days_ago: int, state: JobState = JobState.COMPLETED) -> ImportJob:
        at = now - dt.timedelta(days=days_ago)
        return import_job(
            at,
            state,
            Stage.COMPLETED,
            artist_key=f"artist:{owner}",
            artist_id=owner,
            ended_at=None if state is JobState.RUNNING else at,
        )

    recent, newest_old = job(artist, 5), job(artist, 40)
    old, old_failed = job(artist, 41), job(artist, 45, JobState.FAILED)
    stuck = job(artist, 50, JobState.RUNNING)  # still active: never pruned
    lone_old = job(other, 60)  # its artist's only job
    engine = db.create_engine(env.settings.database_url, schema=SCHEMA)
    sessions = db.session_factory(engine)
    try:
        async with sessions.begin() as session:
            session.add_all([recent, newest_old, old, old_failed, stuck, lone_old])
            await session.flush()
            session.add(ImportLog(job_id=old.id, stage=Stage.COMPLETED, level="info", message="x"))

        response = await env.stubs["admin"].RunSchedule(api.RunScheduleRequest(name="prune"))

        async with sessions() as session:
            left = set(
                await session.scalars(
                    select(ImportJob.id).where(ImportJob.artist_id.in_([artist, other]))
                )
            )
            logs = list(await session.scalars(select(ImportLog).where(ImportLog.job_id == old.id)))
    finally:
        await engine.dispose()
    assert left == {recent.id, newest_old.id, stuck.id, lone_old.id}
    assert logs == []
    assert response.run.counts["jobs_pruned"] == 2
    assert response.run.counts["logs_pruned"] == 1


async def test_requeue_stalled_jobs_hands_back_running_jobs_no_worker_holds(env: Env):
    now = dt.datetime.now(dt.UTC)

    def job(idle_minutes: int, state: JobState = JobState.RUNNING) -> ImportJob:
        at = now - dt.timedelta(minutes=idle_minutes)
        return import_job(at, state, Stage.IMPORTING_SHOWS, artist_key=f"ref:{uid()}", attempts=1)

    # Earlier tests of this module left running jobs of their own: swept first, so the
    # run below counts only these.
    await env.stubs["admin"].RunSchedule(api.RunScheduleRequest(name="requeue-stalled-jobs"))
    lost = job(30)  # its message is gone: nobody runs it
    held = job(30)  # slow, but a worker holds its lease
    busy = job(1)  # reported progress a minute ago
    waiting = job(30, JobState.QUEUED)  # still in the queue: not the sweeper's business
    engine = db.create_engine(env.settings.database_url, schema=SCHEMA)
    sessions = db.session_factory(engine)
    await env.redis.set(lease_key(held.id), "a-worker", px=60_000)
    try:
        async with sessions.begin() as session:
            session.add_all([lost, held, busy, waiting])

        response = await env.stubs["admin"].RunSchedule(
            api.RunScheduleRequest(name="requeue-stalled-jobs")
        )

        async with sessions() as session:
            after = {
                j.id: j
                for j in await session.scalars(
                    select(ImportJob).where(
                        ImportJob.id.in_([lost.id, held.id, busy.id, waiting.id])
                    )
                )
            }
            logs = list(await session.scalars(select(ImportLog).where(ImportLog.job_id == lost.id)))
    finally:
        await env.redis.delete(lease_key(held.id))
        await engine.dispose()

    assert response.run.counts["jobs_requeued"] == 1
    assert response.run.counts["jobs_still_running"] == 1
    queued = b"".join(await env.redis.hvals(f"dramatiq:{IMPORT_QUEUE}.msgs"))
    assert str(lost.id).encode() in queued
    assert all(str(j.id).encode() not in queued for j in (held, busy, waiting))
    # Still running from where it was, its attempts untouched; the next sweep waits again.
    assert (after[lost.id].state, after[lost.id].stage, after[lost.id].attempts) == (
        JobState.RUNNING,
        Stage.IMPORTING_SHOWS,
        1,
    )
    assert after[lost.id].updated_at > now - dt.timedelta(minutes=1)
    assert [line.level for line in logs] == ["WARNING"]
    assert after[held.id].updated_at == held.updated_at


async def test_refresh_artists_starts_a_refresh_for_each_active_artist(env: Env):
    touring = await env.world.artist(f"Touring {uid()}")
    venue = await env.world.venue(f"Hall {uid()}")
    await env.world.show(touring, venue, timezone="America/Los_Angeles")
    followed = await env.world.artist(f"Followed {uid()}")
    await env.fan.FollowArtist(capi.FollowArtistRequest(artist_id=followed.id))
    idle = await env.world.artist(f"Idle {uid()}")

    first = await env.stubs["admin"].RunSchedule(api.RunScheduleRequest(name="refresh-artists"))
    again = await env.stubs["admin"].RunSchedule(api.RunScheduleRequest(name="refresh-artists"))

    assert first.run.status == api.RUN_STATUS_SUCCEEDED, first.run.message
    for artist in (touring, followed):
        jobs = await env.stubs["admin"].ListImportJobs(
            api.ListImportJobsRequest(artist_id=artist.id)
        )
        (job,) = jobs.jobs  # the second run found it still queued
        assert (job.kind, job.state) == (api.JOB_KIND_REFRESH, api.JOB_STATE_QUEUED)
        assert job.reference == artist.spotify_id
    idle_jobs = await env.stubs["admin"].ListImportJobs(
        api.ListImportJobsRequest(artist_id=idle.id)
    )
    assert not idle_jobs.jobs
    assert first.run.counts["artists_refreshed"] >= 2
    assert again.run.counts["artists_refreshed"] == 0
    assert again.run.counts["artists_busy"] >= 2


async def halcyon(env: Env, **ids: str) -> cpb.Artist:
    """The demo artist Halcyon Drive, imported into the catalog with these upstream ids."""
    response = await env.catalog.UpsertArtist(
        capi.UpsertArtistRequest(artist=capi.ArtistInput(name="Halcyon Drive", **ids))
    )
    return response.artist


async def show(env: Env, show_id: str) -> cpb.Show:
    return (await env.catalog.GetShow(capi.GetShowRequest(show=show_id))).show
