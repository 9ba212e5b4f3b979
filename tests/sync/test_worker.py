"""Imports run end to end by real `python -m services.sync worker` subprocesses.

Each test builds one world: a catalog server and a sync gRPC server in this process,
each over its own PostgreSQL database cloned from the migrated templates of the
pipeline tests, the fake upstreams over HTTP, and Redis on a database number of its
own (queue, heartbeats and rate limiters see no other test's keys). Jobs are
started and watched through SyncService like a client would; what they wrote is
read back through the catalog's RPCs.

Workers are always stopped in teardown (SIGTERM, then SIGKILL), also when a test fails.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping
from contextlib import AsyncExitStack
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import grpc
import pytest
from mysetlist.catalog.v1 import resources_pb2 as pb
from mysetlist.sync.v1 import sync_pb2 as api
from mysetlist.sync.v1 import sync_pb2_grpc
from redis.asyncio import Redis

from fakes import FakeUpstreams, FaultPlan, Limit
from fakes.setlistfm import SetlistFmConfig
from fakes.spotify import SpotifyConfig
from fakes.ticketmaster import TicketmasterConfig
from services.catalog import server as catalog_server
from services.catalog.servicer import CatalogServicer
from services.sync import server as sync_server
from services.sync.catalog import CatalogClient
from services.sync.settings import SyncSettings
from services.sync.upstream_status import KEY_PREFIX
from shared.auth import Role, mint_token
from shared.grpc.channel import create_channel
from tests.support.servers import drop_database
from tests.support.worker_process import WorkerProcess
from tests.sync.pipeline import conftest as pipeline_fixtures
from tests.sync.pipeline.catalog_view import ArtistView, read_artist
from tests.sync.pipeline.conftest import (
    SECRET,
    SETLISTFM_LIMIT,
    SPOTIFY_LIMIT,
    TICKETMASTER_LIMIT,
    MakePipeline,
    Templates,
    _catalog_settings,
    _clone,
)

# The pipeline tests' fixtures: migrated templates, the demo dataset and its expectations,
# and isolated in-process pipelines (for a reference import).
templates = pipeline_fixtures.templates
demo = pipeline_fixtures.demo
expected = pipeline_fixtures.expected
make_pipeline = pipeline_fixtures.make_pipeline

# Redis databases of this module, one per test (tests/sync/test_status_search_schedules.py
# uses 7, everything else 0).
REDIS_DB_END_TO_END = 12
REDIS_DB_KILL = 13
REDIS_DB_TWO_WORKERS = 14
REDIS_DB_SHUTDOWN = 15

SETLIST_PAGES = 3  # as the pipeline tests import, so a reference import is comparable

STAGE_ORDER = [
    api.IMPORT_STAGE_UNSPECIFIED,  # queued
    api.IMPORT_STAGE_RESOLVING_IDENTITY,
    api.IMPORT_STAGE_IMPORTING_CATALOG,
    api.IMPORT_STAGE_IMPORTING_SHOWS,
    api.IMPORT_STAGE_IMPORTING_SETLISTS,
    api.IMPORT_STAGE_SEEDING_PREDICTIONS,
    api.IMPORT_STAGE_COMPLETED,
]
TERMINAL = {api.JOB_STATE_COMPLETED, api.JOB_STATE_FAILED, api.JOB_STATE_CANCELLED}


def stage_name(stage: int) -> str:
    return api.ImportStage.Name(stage).removeprefix("IMPORT_STAGE_")


def with_redis_db(url: str, number: int) -> str:
    return urlunsplit(urlsplit(url)._replace(path=f"/{number}"))


@dataclass
class World:
    """One isolated deployment: catalog, sync server, fakes, a Redis database, workers."""

    fakes: FakeUpstreams
    catalog: CatalogClient
    sync: sync_pb2_grpc.SyncServiceStub  # as a signed-in user
    redis: Redis
    worker_env: dict[str, str]
    log_dir: Path
    workers: list[WorkerProcess] = field(default_factory=list)

    def start_worker(self, name: str, **overrides: str) -> WorkerProcess:
        worker = WorkerProcess.start(name, {**self.worker_env, **overrides}, self.log_dir)
        self.workers.append(worker)
        return worker

    def logs(self) -> str:
        """Every worker's last lines, for assertion messages."""
        return "\n".join(w.tail() for w in self.workers)

    async def wait_for_workers(self, count: int, timeout: float = 20.0) -> None:
        """Until `count` workers poll the queue (each one's broker heartbeats on every fetch)."""
        async with asyncio.timeout(timeout):
            while await self.redis.zcard("dramatiq:__heartbeats__") < count:
                dead = [w for w in self.workers if not w.running]
                assert not dead, f"a worker exited early:\n{self.logs()}"
                await asyncio.sleep(0.05)

    async def start_import(self, reference: str) -> api.ImportJob:
        response = await self.sync.StartImport(api.StartImportRequest(reference=reference))
        assert response.created
        return response.job

    async def watch(
        self,
        job_id: str,
        *,
        until: Callable[[api.ImportJob], bool] = lambda job: job.state in TERMINAL,
        timeout: float = 40.0,
    ) -> list[api.ImportJob]:
        """Every update WatchImportJob streams, up to the first one `until` accepts."""
        call = self.sync.WatchImportJob(api.WatchImportJobRequest(job_id=job_id))
        updates: list[api.ImportJob] = []
        try:
            async with asyncio.timeout(timeout):
                while True:
                    response = await call.read()
                    assert response is not grpc.aio.EOF, (
                        f"the watch ended before the wanted update: {updates[-1:]}\n{self.logs()}"
                    )
                    updates.append(response.job)
                    if until(response.job):
                        return updates
        except TimeoutError:
            last = updates[-1] if updates else None
            pytest.fail(f"job {job_id} still at {last} after {timeout} s\n{self.logs()}")
        finally:
            call.cancel()

    async def view(self, job: api.ImportJob) -> ArtistView:
        return await read_artist(self.catalog, job.artist_id)


MakeWorld = Callable[..., Awaitable[World]]


@pytest.fixture
async def make_world(
    templates: Templates,
    postgres_url: str,
    redis_url: str,
    tmp_path: Path,
) -> AsyncIterator[MakeWorld]:
    async with AsyncExitStack() as stack:

        async def make(
            *,
            redis_db: int,
            real_limits: bool = False,
            worker_env: Mapping[str, str] | None = None,
        ) -> World:
            # Catalog over its own database, on a free port.
            catalog_url = await _clone(templates.catalog)
            stack.callback(drop_database, catalog_url)
            catalog = catalog_server.build(_catalog_settings(catalog_url), address="127.0.0.1:0")
            await catalog.server.start()
            await catalog.health.set_serving(True)
            stack.push_async_callback(catalog.engine.dispose)
            stack.push_async_callback(catalog.server.stop, 0)
            catalog_addr = f"127.0.0.1:{catalog.port}"
            reader = create_channel(
                catalog_addr, token=mint_token(SECRET, "test", [Role.SERVICE]), timeout=30.0
            )
            stack.push_async_callback(reader.close)

            # A Redis database of this test only, empty before and after.
            url = with_redis_db(redis_url, redis_db)
            redis = Redis.from_url(url)
            await redis.flushdb()
            stack.push_async_callback(redis.aclose)
            stack.push_async_callback(redis.flushdb)

            # The sync server (it only enqueues: imports run in the worker subprocesses).
            sync_url = await _clone(templates.sync)
            stack.callback(drop_database, sync_url)
            settings = SyncSettings(
                database_url=sync_url,
                redis_url=url,
                catalog_addr=catalog_addr,
                environment="test",
                auth_jwt_secret=SECRET,
                sync_scheduler_enabled=False,
            )
            sync = sync_server.build(settings, address="127.0.0.1:0")
            await sync.server.start()
            stack.push_async_callback(sync.close)
            stack.callback(sync.actors.import_artist.broker.close)
            stack.push_async_callback(sync.server.stop, 0)
            user = create_channel(
                f"127.0.0.1:{sync.port}", token=mint_token(SECRET, "fan", [Role.USER])
            )
            stack.push_async_callback(user.close)

            # The fakes: the real published limits, or the sped-up ones of the pipeline tests.
            if real_limits:
                fakes = FakeUpstreams()
                limits: dict[str, str] = {}  # the workers keep their production defaults
            else:
                fakes = FakeUpstreams(
                    spotify=SpotifyConfig(rate_limit=Limit(*SPOTIFY_LIMIT)),
                    ticketmaster=TicketmasterConfig(
                        per_second=Limit(*TICKETMASTER_LIMIT), per_day=Limit.off()
                    ),
                    setlistfm=SetlistFmConfig(
                        per_second=Limit(*SETLISTFM_LIMIT), per_day=Limit.off()
                    ),
                )
                limits = {
                    "SPOTIFY_RATE_LIMIT": "{}/{}s".format(*SPOTIFY_LIMIT),
                    "TICKETMASTER_RATE_LIMIT": "{}/{}s".format(*TICKETMASTER_LIMIT),
                    "SETLISTFM_RATE_LIMIT": "{}/{}s".format(*SETLISTFM_LIMIT),
                }
            await stack.enter_async_context(fakes)

            world = World(
                fakes=fakes,
                catalog=CatalogClient(reader),
                sync=sync_pb2_grpc.SyncServiceStub(user),
                redis=redis,
                worker_env={
                    "ENVIRONMENT": "test",
                    "LOG_LEVEL": "INFO",
                    "DATABASE_URL": sync_url,
                    "REDIS_URL": url,
                    "CATALOG_ADDR": catalog_addr,
                    "AUTH_JWT_SECRET": SECRET,
                    "SHUTDOWN_GRACE_SECONDS": "2",
                    "SYNC_SETLIST_PAGES": str(SETLIST_PAGES),
                    **fakes.env(),
                    **limits,
                    **(worker_env or {}),
                },
                log_dir=tmp_path,
            )

            async def stop_workers() -> None:
                await asyncio.gather(*(w.stop() for w in world.workers))

            # Registered last, so it runs first: no worker outlives the servers it calls.
            stack.push_async_callback(stop_workers)
            return world

        yield make


def assert_expected_rows(view: ArtistView, facts: Mapping[str, Any]) -> None:
    """What a correct import of a demo artist leaves in the catalog (fakes/data/demo)."""
    assert (view.artist.spotify_id, view.artist.ticketmaster_id, view.artist.mbid) == (
        facts["spotify_id"],
        facts["attraction_id"],
        facts["mbid"],
    )
    assert len(view.songs) == facts["studio_songs"]
    assert len(view.ticketed_shows) == facts["events"]
    assert len({s.venue_id for s in view.ticketed_shows}) == facts["venues"]
    assert len(view.setlistfm_shows) == facts["setlists"]
    assert len(view.actual()) == facts["setlists"] - facts["empty_setlists"]
    upcoming = [
        s for s in view.shows if s.status in (pb.SHOW_STATUS_UPCOMING, pb.SHOW_STATUS_RESCHEDULED)
    ]
    assert len(view.predicted()) == len(upcoming) > 0
    assert all(s.songs for s in [*view.actual(), *view.predicted()])


async def test_an_import_started_over_grpc_runs_its_stages_in_a_worker_to_completion(
    make_world: MakeWorld, expected: dict[str, dict[str, Any]]
) -> None:
    facts = expected["yoake_no_machi"]
    world = await make_world(redis_db=REDIS_DB_END_TO_END)
    # One slowed call in each stage that calls an upstream, so a watcher polling the
    # job sees every one of them; seeding predictions calls none and may be too quick.
    for fake, endpoint in [
        (world.fakes.spotify, "artist"),  # resolving identity
        (world.fakes.spotify, "artist_albums"),  # importing the catalog
        (world.fakes.ticketmaster, "events"),  # importing shows
        (world.fakes.setlistfm, "artist_setlists"),  # importing setlists
    ]:
        fake.config.inject(
            FaultPlan("slow", count=None, delay=0.6, endpoints=frozenset({endpoint}))
        )
    world.start_worker("worker")

    queued = await world.start_import(facts["spotify_id"])
    updates = await world.watch(queued.id)

    job = updates[-1]
    assert (job.state, job.stage, job.percent) == (
        api.JOB_STATE_COMPLETED,
        api.IMPORT_STAGE_COMPLETED,
        100,
    ), (job, world.logs())
    seen = [u.stage for u in updates]
    distinct = [s for i, s in enumerate(seen) if i == 0 or s != seen[i - 1]]
    # Strictly in pipeline order, never back, never out of order...
    assert [STAGE_ORDER.index(s) for s in distinct] == sorted(
        {STAGE_ORDER.index(s) for s in distinct}
    ), [stage_name(s) for s in distinct]
    # ...and each stage that waited on a slow upstream was seen.
    assert set(distinct) >= {
        api.IMPORT_STAGE_RESOLVING_IDENTITY,
        api.IMPORT_STAGE_IMPORTING_CATALOG,
        api.IMPORT_STAGE_IMPORTING_SHOWS,
        api.IMPORT_STAGE_IMPORTING_SETLISTS,
        api.IMPORT_STAGE_COMPLETED,
    }, [stage_name(s) for s in distinct]
    assert [u.state for u in updates if u.state != api.JOB_STATE_RUNNING][-1:] == [
        api.JOB_STATE_COMPLETED
    ]
    percents = [u.percent for u in updates]
    assert percents == sorted(percents)
    # The job's own record of its stages has all five, in order, once each.
    assert [t.stage for t in job.stage_timings] == STAGE_ORDER[1:-1]
    assert job.attempts == 1
    assert job.artist_name and job.artist_id

    view = await world.view(job)
    assert_expected_rows(view, facts)
    assert dict(job.counters) == {
        "songs": facts["studio_songs"],
        "releases": facts["releases"],
        "shows": facts["events"],
        "venues": facts["venues"],
        "setlists": facts["setlists"] - facts["empty_setlists"],
        "predictions": len(view.predicted()),
    }
    for fake in world.fakes.upstreams:
        assert fake.stats.total_violations == 0, fake.name


class SlowSetlistWrites:
    """Holds each UpsertActualSetlist in the catalog for `delay` s while `on` is set."""

    def __init__(self, delay: float) -> None:
        self.delay = delay
        self.on = True
        self.original = CatalogServicer.UpsertActualSetlist

    def install(self, monkeypatch: pytest.MonkeyPatch) -> None:
        original, gate = self.original, self

        async def slowed(self: CatalogServicer, request: Any, context: Any) -> Any:
            if gate.on:
                await asyncio.sleep(gate.delay)
            return await original(self, request, context)

        # Before the catalog server is built: registration binds the servicer's methods.
        monkeypatch.setattr(CatalogServicer, "UpsertActualSetlist", slowed)


def comparable(view: ArtistView) -> dict[str, Any]:
    """Everything an import wrote, keyed by upstream ids and titles (equal across catalogs)."""
    shows = [s.ticketmaster_id or f"fm:{s.setlistfm_id}" for s in view.shows]
    key_of = {s.id: k for s, k in zip(view.shows, shows, strict=True)}
    songs = {s.id: s.spotify_id or s.title for s in [*view.songs, *view.setlist_songs]}
    return {
        "counts": {
            "songs": len(view.songs),
            "setlist_songs": len(view.setlist_songs),
            "shows": len(view.shows),
            "venues": len(view.venues),
            "actual": len(view.actual()),
            "predicted": len(view.predicted()),
        },
        "song_titles": sorted(s.title for s in view.songs),
        "show_ids": sorted(shows),
        "setlists": sorted(
            (
                key_of[s.show_id],
                s.kind,
                s.setlistfm_id,
                len(s.songs) if s.kind == pb.SETLIST_KIND_PREDICTED else None,
                tuple(songs[e.song_id] for e in s.songs)
                if s.kind == pb.SETLIST_KIND_ACTUAL
                else (),
            )
            for sets in view.setlists.values()
            for s in sets
        ),
        "content": view.content(),
    }


async def test_a_worker_killed_mid_import_is_replaced_and_the_rows_match_an_uninterrupted_import(
    make_world: MakeWorld,
    make_pipeline: MakePipeline,
    expected: dict[str, dict[str, Any]],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    facts = expected["chloe_saint_emile"]
    recorded = facts["setlists"] - facts["empty_setlists"]
    assert recorded > 10  # more than one batch of setlist writes: the kill lands between
    # The uninterrupted reference, in a catalog of its own.
    reference = await make_pipeline()
    done = await reference.import_artist(facts["spotify_id"], setlist_pages=SETLIST_PAGES)
    assert done.state.value == "completed", (done.error_reason, done.error_message)
    want = comparable(await read_artist(reference.catalog, str(done.artist_id)))

    slow = SlowSetlistWrites(delay=3.0)
    slow.install(monkeypatch)
    # The replacement declares a worker dead after 2 s without heartbeat and runs queue
    # maintenance on every Redis command (the chance is per million commands).
    world = await make_world(
        redis_db=REDIS_DB_KILL,
        worker_env={"SYNC_HEARTBEAT_TIMEOUT_MS": "2000", "SYNC_MAINTENANCE_CHANCE": "1000000"},
    )
    first = world.start_worker("first")
    queued = await world.start_import(facts["spotify_id"])

    # The first batch of setlists is written and the second one is being written.
    await world.watch(
        queued.id,
        until=lambda job: (
            job.state in TERMINAL
            or (
                job.stage == api.IMPORT_STAGE_IMPORTING_SETLISTS
                and job.message.startswith("setlists 11-")
            )
        ),
    )
    await first.kill()
    killed = (await world.sync.GetImportJob(api.GetImportJobRequest(job_id=queued.id))).job
    assert (killed.state, killed.stage, killed.attempts) == (
        api.JOB_STATE_RUNNING,
        api.IMPORT_STAGE_IMPORTING_SETLISTS,
        1,
    ), world.logs()
    partial = await world.view(killed)
    assert 0 < len(partial.actual()) < recorded  # mid-way indeed
    assert partial.predicted() == []

    slow.on = False
    started = time.monotonic()
    world.start_worker("second")
    updates = await world.watch(queued.id, timeout=45)
    job = updates[-1]
    took = time.monotonic() - started

    assert job.state == api.JOB_STATE_COMPLETED, (job, world.logs())
    assert job.attempts >= 2
    print(f"redelivered and completed {took:.1f} s after the kill")  # noqa: T201 - for the report
    got = comparable(await world.view(job))
    assert got["counts"] == want["counts"]
    assert got["song_titles"] == want["song_titles"]
    assert got["show_ids"] == want["show_ids"]
    assert len(set(got["show_ids"])) == len(got["show_ids"])  # no show twice
    assert got["setlists"] == want["setlists"]
    assert got["content"] == want["content"]
    assert_expected_rows(await world.view(job), facts)


async def test_two_workers_importing_at_once_keep_to_the_real_upstream_limits(
    make_world: MakeWorld, expected: dict[str, dict[str, Any]]
) -> None:
    # Namesakes, both without an MBID link: each also searches setlist.fm, and the
    # Spotify/Ticketmaster/setlist.fm calls of the two imports interleave.
    keys = ["the_meridian", "meridian"]
    # One job at a time per worker (one thread, no prefetching beyond it): the two jobs
    # run in two processes, sharing nothing but Redis.
    world = await make_world(
        redis_db=REDIS_DB_TWO_WORKERS,
        real_limits=True,
        worker_env={"SYNC_WORKER_THREADS": "1", "dramatiq_queue_prefetch": "1"},
    )
    world.start_worker("a")
    world.start_worker("b")
    await world.wait_for_workers(2)

    jobs = [await world.start_import(expected[key]["spotify_id"]) for key in keys]
    running_at: dict[str, float] = {}
    finished_at: dict[str, float] = {}

    async def follow(job_id: str) -> api.ImportJob:
        def seen(job: api.ImportJob) -> bool:
            if job.state == api.JOB_STATE_RUNNING:
                running_at.setdefault(job_id, time.monotonic())
            return job.state in TERMINAL

        job = (await world.watch(job_id, until=seen, timeout=60))[-1]
        finished_at[job_id] = time.monotonic()
        return job

    finished = await asyncio.gather(*(follow(j.id) for j in jobs))

    for key, job in zip(keys, finished, strict=True):
        assert job.state == api.JOB_STATE_COMPLETED, (key, job, world.logs())
        assert job.attempts == 1
        assert job.counters["songs"] == expected[key]["studio_songs"]
        assert job.counters["shows"] == expected[key]["events"]
        artist = await world.catalog.artist(job.artist_id)
        assert (artist.spotify_id, artist.mbid) == (
            expected[key]["spotify_id"],
            expected[key]["mbid"],
        )
    a, b = (j.id for j in jobs)
    assert running_at[a] < finished_at[b] and running_at[b] < finished_at[a]  # at once
    calls = {f.name: dict(f.stats.calls) for f in world.fakes.upstreams}
    print(f"two workers: {calls}")  # noqa: T201 - measured for the report
    for fake in world.fakes.upstreams:
        assert fake.stats.total_violations == 0, (fake.name, fake.stats.rate_limit_violations)
        assert fake.stats.statuses[429] == 0, fake.name
    # Enough calls that unshared limiters would have provoked 429s at 5/s and 2/s.
    assert world.fakes.setlistfm.stats.total_calls > 2
    assert world.fakes.ticketmaster.stats.total_calls >= 4


async def test_a_worker_stopped_with_sigterm_closes_its_runtime(
    make_world: MakeWorld, expected: dict[str, dict[str, Any]]
) -> None:
    """SIGTERM: in-flight work ends, then the runtime closes (its upstream status withdrawn)."""
    world = await make_world(redis_db=REDIS_DB_SHUTDOWN)
    worker = world.start_worker("worker")
    started = await world.start_import(expected["quiet_harbor"]["spotify_id"])
    job = (await world.watch(started.id))[-1]
    assert job.state == api.JOB_STATE_COMPLETED, world.logs()

    def published_by_worker(processes: list[bytes]) -> list[bytes]:
        # Process names are host:pid:suffix; the sync server in this process publishes too.
        return [p for p in processes if p.split(b":")[1] == str(worker.pid).encode()]

    index = f"{KEY_PREFIX}:processes"
    assert published_by_worker(await world.redis.zrange(index, 0, -1)), world.logs()

    await worker.stop(grace=20)

    assert worker.proc.returncode == 0, world.logs()
    assert published_by_worker(await world.redis.zrange(index, 0, -1)) == [], world.logs()
