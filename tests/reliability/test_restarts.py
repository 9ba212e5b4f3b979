"""Restarting PostgreSQL or Redis under load (DESIGN.md section 8, reliability).

Each test runs its own PostgreSQL or Redis (tests/reliability/restartable.py, never the
session-wide ones), puts the services under load, stops that server the way an
orchestrator would and starts it again on the same port and data, and checks that
every acknowledged write survived, that callers saw clean errors meanwhile, and that
the services recovered without being restarted themselves.
"""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any

import asyncpg
import grpc
import pytest
from grpc_health.v1 import health_pb2, health_pb2_grpc
from mysetlist.catalog.v1 import catalog_pb2 as api
from mysetlist.catalog.v1 import catalog_pb2_grpc
from mysetlist.sync.v1 import sync_pb2 as sync_api
from redis.asyncio import Redis

from services.catalog import server as catalog_server
from services.catalog.servicer import CatalogServicer
from services.catalog.settings import CatalogSettings
from shared import db
from shared.auth import Role, mint_token
from shared.grpc.channel import create_channel
from tests.catalog.builders import World
from tests.reliability.restartable import RestartablePostgres, RestartableRedis
from tests.support.polling import until
from tests.support.servers import asyncpg_dsn
from tests.support.worker_process import WorkerProcess
from tests.sync import test_worker as worker_tests
from tests.sync.test_worker import MakeWorld, assert_expected_rows

SECRET = "restart-test-secret-of-at-least-32-bytes"

FANS = 24  # fans voting at once

SERVING = health_pb2.HealthCheckResponse.SERVING
NOT_SERVING = health_pb2.HealthCheckResponse.NOT_SERVING


# Redis restart under import load ------------------------------------------------------

# The fixtures of the end-to-end worker tests; here `make_world` runs on the test's own
# Redis (tests/reliability/conftest.py overrides `redis_url`).
templates = worker_tests.templates
expected = worker_tests.expected
make_world = worker_tests.make_world


class HeldCatalogWrite:
    """Holds the first call of a catalog write until `release()`: its import waits mid-way."""

    def __init__(self, method: str) -> None:
        self.method = method
        self.entered = asyncio.Event()
        self.released = asyncio.Event()

    def install(self, monkeypatch: pytest.MonkeyPatch) -> None:
        original, gate = getattr(CatalogServicer, self.method), self

        async def held(self: CatalogServicer, request: Any, context: Any) -> Any:
            if not gate.entered.is_set():
                gate.entered.set()
                await gate.released.wait()
            return await original(self, request, context)

        # Before the catalog server is built: registration binds the servicer's methods.
        monkeypatch.setattr(CatalogServicer, self.method, held)

    def release(self) -> None:
        self.released.set()


def logged(worker: WorkerProcess, *fragments: str) -> bool:
    """Whether one line of the worker's log has every fragment."""
    try:
        lines = worker.log_path.read_text(errors="replace").splitlines()
    except OSError:
        return False
    return any(all(f in line for f in fragments) for line in lines)


async def test_a_redis_restart_mid_import_loses_no_job_and_every_job_completes(
    restartable_redis: RestartableRedis,
    make_world: MakeWorld,
    expected: dict[str, dict[str, Any]],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    redis = restartable_redis
    running, queued, refused = (
        expected["chloe_saint_emile"],
        expected["yoake_no_machi"],
        expected["meridian"],
    )
    # The running import is held in its catalog stage until Redis is down.
    gate = HeldCatalogWrite("BatchUpsertSongs")
    gate.install(monkeypatch)
    # One job at a time, and no prefetching: the second job waits in Redis's queue.
    world = await make_world(
        redis_db=0,
        worker_env={
            "SYNC_WORKER_THREADS": "1",
            "dramatiq_queue_prefetch": "1",
            "dramatiq_restart_delay": "200",  # Dramatiq's consumers reconnect sooner (3 s)
        },
    )
    worker = world.start_worker("worker")
    await world.wait_for_workers(1)
    first = await world.start_import(running["spotify_id"])
    second = await world.start_import(queued["spotify_id"])
    async with asyncio.timeout(30):
        await gate.entered.wait()
    assert await world.redis.llen("dramatiq:imports") == 1  # the second job's message

    # SIGTERM: Redis writes out its append-only file and exits.
    await asyncio.to_thread(redis.halt)
    # While it is down, an import cannot be queued: a clean UNAVAILABLE.
    with pytest.raises(grpc.aio.AioRpcError) as refusal:
        await world.sync.StartImport(sync_api.StartImportRequest(reference=refused["spotify_id"]))
    assert refusal.value.code() == grpc.StatusCode.UNAVAILABLE, refusal.value.details()
    assert "Traceback" not in (refusal.value.details() or "")
    # The held import goes on, needs Redis for its next upstream call (the shared rate
    # limiters live there) and fails its attempt; it is leaving when it gives up its lease.
    gate.release()
    await until(
        lambda: logged(worker, "could not release a job lease", first.id),
        lambda: f"the running import to fail for want of Redis\n{world.logs()}",
    )

    await asyncio.to_thread(redis.resume)
    # This test's own client (a plain one, like the harness's) drops its dead connections.
    await world.redis.connection_pool.disconnect()
    # The import refused while Redis was down has failed for good (it never reached the
    # queue: one failed job per attempt, as the service channel retries UNAVAILABLE), and
    # can be asked for again.
    failed = await world.sync.ListImportJobs(
        sync_api.ListImportJobsRequest(state=sync_api.JOB_STATE_FAILED)
    )
    assert failed.jobs
    assert {(j.reference, j.error.reason) for j in failed.jobs} == {
        (refused["spotify_id"], "QUEUE_UNAVAILABLE")
    }
    third = await world.start_import(refused["spotify_id"])

    jobs = {"running": (first, running), "queued": (second, queued), "again": (third, refused)}
    done = {name: (await world.watch(job.id, timeout=30))[-1] for name, (job, _) in jobs.items()}
    for name, (_, facts) in jobs.items():
        job = done[name]
        assert job.state == sync_api.JOB_STATE_COMPLETED, (name, job, world.logs())
        assert_expected_rows(await world.view(job), facts)
        assert job.counters["songs"] == facts["studio_songs"], name
        assert job.counters["shows"] == facts["events"], name
    # The attempt the outage broke was retried once; the other jobs ran once.
    assert [done[name].attempts for name in jobs] == [2, 1, 1], world.logs()
    # Every message was acknowledged; none is left behind or dead-lettered.
    await until(lambda: _queues_empty(world.redis), lambda: f"empty queues\n{world.logs()}")


async def _queues_empty(client: Redis) -> bool:
    pending = [
        await client.llen("dramatiq:imports"),
        await client.hlen("dramatiq:imports.msgs"),
        await client.llen("dramatiq:imports.DQ"),
        await client.hlen("dramatiq:imports.DQ.msgs"),
        await client.zcard("dramatiq:imports.XQ"),
        len(await client.keys("dramatiq:__acks__.*")),  # fetched, not yet acknowledged
    ]
    return pending == [0] * len(pending)


# PostgreSQL restart under vote load ---------------------------------------------------


@pytest.fixture(scope="module")
async def catalog(
    restartable_postgres: RestartablePostgres,
) -> AsyncIterator[catalog_server.CatalogServer]:
    """A catalog server over it, its health following the database as `catalog serve` does."""
    settings = CatalogSettings(
        database_url=restartable_postgres.url,
        environment="test",
        auth_jwt_secret=SECRET,
        catalog_cache_ttl_seconds=0,
    )
    catalog_server.migrate(settings)
    app = catalog_server.build(settings, address="127.0.0.1:0")
    await app.server.start()
    await app.health.set_serving(True)
    # Checked far more often than in production, so the outage shows within this test.
    app.health.watch({"database": lambda: db.ping(app.engine)}, interval=0.1)
    try:
        yield app
    finally:
        await app.health.enter_graceful_shutdown()
        await app.server.stop(0)
        await app.engine.dispose()


@dataclass
class VoteLoad:
    """Fans voting as fast as the catalog answers, each new fan for one song.

    A fan whose CastVote fails tries again after a short backoff until it is
    acknowledged, as a web client would (CastVote is idempotent), so every vote the
    load started ends acknowledged, some after failures.
    """

    stub: catalog_pb2_grpc.CatalogServiceStub
    song_ids: list[str]
    acked: list[tuple[str, str]] = field(default_factory=list)  # (user, setlist song)
    failures: list[grpc.aio.AioRpcError] = field(default_factory=list)
    stop: asyncio.Event = field(default_factory=asyncio.Event)

    async def fan_loop(self, slot: int) -> None:
        n = 0
        while not self.stop.is_set():
            user, song = f"fan-{slot}-{n}", self.song_ids[(slot + n) % len(self.song_ids)]
            n += 1
            auth = (("authorization", f"Bearer {mint_token(SECRET, user, [Role.USER])}"),)
            while True:
                try:
                    response = await self.stub.CastVote(
                        api.CastVoteRequest(setlist_song_id=song), metadata=auth, timeout=20
                    )
                except grpc.aio.AioRpcError as error:
                    self.failures.append(error)
                    await asyncio.sleep(0.05)
                    continue
                assert response.voted and response.setlist_song_id == song
                self.acked.append((user, song))
                break


@dataclass
class FeedFollower:
    """A change-feed consumer with a durable cursor, as trending is: it resumes after
    its last event whenever its stream breaks."""

    stub: catalog_pb2_grpc.CatalogServiceStub
    token: str
    sequences: list[int] = field(default_factory=list)  # of every event received
    votes: Counter[tuple[str, str]] = field(default_factory=Counter)  # vote_cast events
    failures: list[grpc.aio.AioRpcError] = field(default_factory=list)

    async def follow(self) -> None:
        while True:
            cursor = self.sequences[-1] if self.sequences else 0
            call = self.stub.StreamEvents(
                api.StreamEventsRequest(after_sequence=cursor),
                metadata=(("authorization", f"Bearer {self.token}"),),
            )
            try:
                async for response in call:
                    event = response.event
                    self.sequences.append(event.sequence)
                    if event.WhichOneof("payload") == "vote_cast":
                        self.votes[(event.vote_cast.user_id, event.vote_cast.setlist_song_id)] += 1
            except grpc.aio.AioRpcError as error:
                self.failures.append(error)
                await asyncio.sleep(0.05)


@dataclass(frozen=True)
class PostgresRestart:
    """What the load saw and what the database holds after the restart."""

    acked: list[tuple[str, str]]
    acked_before_halt: int
    failures: list[grpc.aio.AioRpcError]
    feed: FeedFollower
    vote_rows: list[tuple[str, str]]
    vote_events: list[tuple[str, str]]  # vote_cast events in the outbox
    tallies: dict[str, int]  # GetSetlist after the restart, by setlist song


async def health_is(stub: health_pb2_grpc.HealthStub, status: int) -> bool:
    response = await stub.Check(health_pb2.HealthCheckRequest(service=""), timeout=5)
    return response.status == status


@pytest.fixture(scope="module")
async def postgres_restart(
    restartable_postgres: RestartablePostgres, catalog: catalog_server.CatalogServer
) -> PostgresRestart:
    """Fans vote; PostgreSQL stops (fast shutdown) and starts again; the fans go on voting.

    Run once for the tests below, which each check one promise about it.
    """
    postgres = restartable_postgres
    target = f"127.0.0.1:{catalog.port}"
    token = mint_token(SECRET, "sync", [Role.SERVICE])
    service = create_channel(target, token=token)
    # Fans and the feed go over a plain channel, without the service channels' automatic
    # retries: every failed call is seen, with the status the catalog gave it.
    plain = grpc.aio.insecure_channel(target, options=[("grpc.enable_retries", 0)])
    tasks: list[asyncio.Task[None]] = []
    try:
        internal = catalog_pb2_grpc.CatalogServiceStub(service)
        health = health_pb2_grpc.HealthStub(plain)
        _, _, _, setlist = await World(internal).voting_setup([f"Song {i}" for i in range(8)])
        load = VoteLoad(catalog_pb2_grpc.CatalogServiceStub(plain), [e.id for e in setlist.songs])
        feed = FeedFollower(catalog_pb2_grpc.CatalogServiceStub(plain), token)
        tasks = [asyncio.create_task(load.fan_loop(slot)) for slot in range(FANS)]
        following = asyncio.create_task(feed.follow())
        tasks.append(following)

        await until(lambda: len(load.acked) >= 200, "votes before the restart")
        # Open transactions, vote batches among them, are cut off mid-way.
        await asyncio.to_thread(postgres.halt, "fast")
        acked_before_halt = len(load.acked)
        await until(lambda: len(load.failures) >= 50, "votes failing while PostgreSQL is down")
        # The follower reads at its poll interval while nothing commits: wait for its turn.
        await until(lambda: len(feed.failures) >= 1, "the feed failing while PostgreSQL is down")
        await until(lambda: health_is(health, NOT_SERVING), "catalog health NOT_SERVING")
        await asyncio.to_thread(postgres.resume)
        # The same catalog server, never restarted: its pool must reconnect by itself.
        resumed = len(load.acked)
        await until(lambda: len(load.acked) >= resumed + 200, "votes after the restart")
        await until(lambda: health_is(health, SERVING), "catalog health SERVING again")
        load.stop.set()
        await asyncio.wait_for(asyncio.gather(*tasks[:-1]), 20)  # each fan's last vote
        await until(
            lambda: feed.votes.total() >= len(load.acked) or following.done(),
            "the feed to catch up",
            timeout=10,
        )
        assert not following.done(), following.exception()

        stored = await internal.GetSetlist(api.GetSetlistRequest(setlist_id=setlist.id))
        conn = await asyncpg.connect(asyncpg_dsn(postgres.url))
        try:
            vote_rows = await conn.fetch(
                "SELECT user_id, setlist_song_id::text AS song FROM catalog.vote"
            )
            vote_events = await conn.fetch(
                "SELECT payload->>'user_id' AS user_id, payload->>'setlist_song_id' AS song "
                "FROM catalog.outbox_event WHERE type = 'vote_cast'"
            )
        finally:
            await conn.close()
    finally:
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        await plain.close()
        await service.close()
    return PostgresRestart(
        acked=list(load.acked),
        acked_before_halt=acked_before_halt,
        failures=list(load.failures),
        feed=feed,
        vote_rows=[(r["user_id"], r["song"]) for r in vote_rows],
        vote_events=[(r["user_id"], r["song"]) for r in vote_events],
        tallies={entry.id: entry.upvotes for entry in stored.setlist.songs},
    )


async def test_a_postgres_restart_under_vote_load_loses_and_doubles_no_acknowledged_vote(
    postgres_restart: PostgresRestart,
) -> None:
    run = postgres_restart
    print(  # noqa: T201 - for the report
        f"{len(run.acked)} votes acknowledged ({run.acked_before_halt} before the halt), "
        f"{len(run.failures)} failed calls during the outage"
    )
    acked = Counter(run.acked)
    assert len(acked) == len(run.acked)  # every fan voted once, for one song
    # Every acknowledged vote is stored, once; the fans retried every failed call until
    # it was acknowledged, so nothing else is stored either.
    assert Counter(run.vote_rows) == acked
    # The tallies the catalog serves count each of them once.
    per_song = Counter(song for _, song in run.acked)
    assert run.tallies == {song: per_song[song] for song in run.tallies}
    # One outbox event per change (a retried vote that had in fact committed changed
    # nothing the second time, so it has no second event)...
    assert Counter(run.vote_events) == acked
    # ...and a consumer that followed the feed through the restart, resuming after its
    # last event, got each exactly once, in sequence order.
    assert run.feed.votes == acked
    assert run.feed.sequences == sorted(set(run.feed.sequences))


def _failed_calls(run: PostgresRestart) -> list[grpc.aio.AioRpcError]:
    assert run.failures and run.feed.failures  # both votes and the feed saw the outage
    return [*run.failures, *run.feed.failures]


async def test_calls_failing_while_postgres_is_down_leak_no_internals(
    postgres_restart: PostgresRestart,
) -> None:
    for error in _failed_calls(postgres_restart):
        details = error.details() or ""
        assert "Traceback" not in details and 'File "' not in details, details
        assert "asyncpg" not in details and "sqlalchemy" not in details, details
        assert "127.0.0.1" not in details, details  # not even where the database is


async def test_calls_failing_while_postgres_is_down_get_unavailable(
    postgres_restart: PostgresRestart,
) -> None:
    codes = Counter(error.code().name for error in _failed_calls(postgres_restart))
    assert set(codes) == {"UNAVAILABLE"}, codes
