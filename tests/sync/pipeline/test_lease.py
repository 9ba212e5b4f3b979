"""The per-job lease: one run of a job at a time, however often Dramatiq delivers it.

Two runs of one job at once (a message requeued while its first run still works) must
not both run the stages; a lease left by a dead run lapses and the next run takes it.
"""

from __future__ import annotations

import asyncio
import dataclasses
import uuid
from collections.abc import AsyncIterator
from typing import Any, cast

import pytest
from mysetlist.catalog.v1 import resources_pb2 as pb
from redis.asyncio import Redis

from services.sync.domain.jobs import Jobs
from services.sync.models import JobKind, JobState
from services.sync.pipeline.context import ImportContext
from services.sync.pipeline.lease import JobLeases, lease_key
from services.sync.pipeline.run import run_import, run_refresh
from tests.support.polling import until
from tests.sync.pipeline.catalog_view import read_artist
from tests.sync.pipeline.conftest import Pipeline

ARTIST = "chloe_saint_emile"
# Short, so the runs below renew many times and a dead run's lease lapses quickly.
TTL_MS = 600


@pytest.fixture
async def redis(redis_url: str) -> AsyncIterator[Redis]:
    client = Redis.from_url(redis_url)
    yield client
    await client.aclose()


class Touches:
    """A Jobs that records which of its methods a run called."""

    def __init__(self, jobs: Jobs) -> None:
        self._jobs = jobs
        self.calls: list[str] = []

    def __getattr__(self, name: str) -> Any:
        self.calls.append(name)
        return getattr(self._jobs, name)


def watched(
    pipeline: Pipeline, job_id: uuid.UUID, leases: JobLeases
) -> tuple[ImportContext, Touches]:
    touches = Touches(pipeline.jobs)
    ctx = dataclasses.replace(pipeline.context(job_id), jobs=cast(Jobs, touches), leases=leases)
    return ctx, touches


async def assert_imported(pipeline: Pipeline, job_id: uuid.UUID, facts: dict[str, Any]) -> None:
    """The job completed and the catalog holds exactly the artist's rows, none twice."""
    job = await pipeline.jobs.get(job_id)
    assert job.state is JobState.COMPLETED, (job.error_reason, job.error_message)
    view = await read_artist(pipeline.catalog, str(job.artist_id))
    assert len(view.songs) == facts["studio_songs"]
    assert len({s.title for s in view.songs}) == len(view.songs)
    assert len(view.ticketed_shows) == facts["events"]
    assert len({s.ticketmaster_id for s in view.ticketed_shows}) == facts["events"]
    assert len({s.venue_id for s in view.ticketed_shows}) == facts["venues"]
    assert len(view.setlistfm_shows) == facts["setlists"]
    recorded = facts["setlists"] - facts["empty_setlists"]
    assert len(view.actual()) == recorded
    upcoming = [
        s for s in view.shows if s.status in (pb.SHOW_STATUS_UPCOMING, pb.SHOW_STATUS_RESCHEDULED)
    ]
    assert len(view.predicted()) == len(upcoming)
    assert all(len(sets) <= 2 for sets in view.setlists.values())  # one actual, one predicted
    assert job.counters == {
        "songs": facts["studio_songs"],
        "releases": facts["releases"],
        "shows": facts["events"],
        "venues": facts["venues"],
        "setlists": recorded,
        "predictions": len(upcoming),
    }


async def test_two_runs_of_one_job_at_once_do_its_work_once(
    pipeline: Pipeline, redis: Redis, expected: dict[str, dict[str, Any]]
) -> None:
    facts = expected[ARTIST]
    job = await pipeline.start(facts["spotify_id"])
    leases = JobLeases(redis, ttl_ms=TTL_MS)
    runs = [watched(pipeline, job.id, leases) for _ in range(2)]

    tasks = [asyncio.create_task(run_import(ctx)) for ctx, _ in runs]
    done, pending = await asyncio.wait(tasks, return_when=asyncio.FIRST_COMPLETED)
    # One run found the lease taken and left at once, the other is still at work.
    assert (len(done), len(pending)) == (1, 1)
    left = done.pop()
    await left  # returned, did not raise: the message would be acknowledged
    await asyncio.wait_for(pending.pop(), timeout=60)

    loser = tasks.index(left)
    assert runs[loser][1].calls == []  # the job untouched
    assert runs[1 - loser][1].calls[0] == "begin_attempt"
    assert (await pipeline.jobs.get(job.id)).attempts == 1
    await assert_imported(pipeline, job.id, facts)
    assert not await redis.exists(lease_key(job.id))  # released at the end


async def test_a_lease_left_by_a_dead_run_is_taken_once_it_lapses(
    pipeline: Pipeline, redis: Redis, expected: dict[str, dict[str, Any]]
) -> None:
    facts = expected[ARTIST]
    job = await pipeline.start(facts["spotify_id"])
    # A worker began the job, then died holding its lease.
    await pipeline.jobs.begin_attempt(job.id)
    await redis.set(lease_key(job.id), "dead-worker", px=TTL_MS)
    leases = JobLeases(redis, ttl_ms=TTL_MS)

    # The message redelivered before the lease lapsed: that run leaves, the job untouched.
    ctx, touches = watched(pipeline, job.id, leases)
    await asyncio.wait_for(run_import(ctx), timeout=2)
    assert touches.calls == []
    early = await pipeline.jobs.get(job.id)
    assert (early.state, early.attempts) == (JobState.RUNNING, 1)

    # Once it lapsed, the redelivered run takes it and resumes the job.
    async def lapsed() -> bool:
        return not await redis.exists(lease_key(job.id))

    await until(lapsed, "the dead run's lease to lapse", timeout=10)
    ctx, touches = watched(pipeline, job.id, leases)
    await asyncio.wait_for(run_import(ctx), timeout=60)

    assert (await pipeline.jobs.get(job.id)).attempts == 2
    await assert_imported(pipeline, job.id, facts)
    assert not await redis.exists(lease_key(job.id))


async def test_a_refresh_finding_the_lease_taken_leaves_the_job_alone(
    pipeline: Pipeline, redis: Redis
) -> None:
    """run_refresh takes the lease before it even reads the job."""
    artist_id = uuid.uuid4()
    job, _ = await pipeline.jobs.start(str(artist_id), kind=JobKind.REFRESH, artist_id=artist_id)
    await redis.set(lease_key(job.id), "another-worker", px=5_000)
    ctx, touches = watched(pipeline, job.id, JobLeases(redis, ttl_ms=TTL_MS))

    await asyncio.wait_for(run_refresh(ctx), timeout=2)

    assert touches.calls == []
    after = await pipeline.jobs.get(job.id)
    assert (after.state, after.attempts) == (JobState.QUEUED, 0)
    assert await redis.get(lease_key(job.id)) == b"another-worker"
    await redis.delete(lease_key(job.id))


class Stalls(Touches):
    """A Jobs whose `finish_stage` never returns: the run stalls after its first stage."""

    def __init__(self, jobs: Jobs) -> None:
        super().__init__(jobs)
        self.stalled = asyncio.Event()

    async def finish_stage(self, *args: Any) -> None:
        self.stalled.set()
        await asyncio.Event().wait()


async def test_a_run_whose_lease_was_taken_stops_and_leaves_the_job_to_the_holder(
    pipeline: Pipeline, redis: Redis, expected: dict[str, dict[str, Any]]
) -> None:
    facts = expected[ARTIST]
    job = await pipeline.start(facts["spotify_id"])
    stalls = Stalls(pipeline.jobs)
    ctx = dataclasses.replace(
        pipeline.context(job.id), jobs=cast(Jobs, stalls), leases=JobLeases(redis, ttl_ms=TTL_MS)
    )
    run = asyncio.create_task(run_import(ctx))
    # Stalled mid-run, so only losing the lease can end it (an import is quick enough to
    # finish between two renewals otherwise).
    await asyncio.wait_for(stalls.stalled.wait(), timeout=30)

    # Another run holds the lease now (this one's lapsed in a stall, say).
    await redis.set(lease_key(job.id), "another-worker", px=10_000)
    await asyncio.wait_for(run, timeout=5)  # returns (acknowledged), does not raise

    after = await pipeline.jobs.get(job.id)
    assert (after.state, after.attempts) == (JobState.RUNNING, 1)  # not failed, not completed
    assert await redis.get(lease_key(job.id)) == b"another-worker"  # not deleted by the loser
    await redis.delete(lease_key(job.id))


async def test_a_lease_outlives_its_ttl_while_renewed_and_goes_at_the_end(redis: Redis) -> None:
    leases = JobLeases(redis, ttl_ms=300)
    job_id = uuid.uuid4()
    key = lease_key(job_id)
    lease = leases.hold(job_id)
    async with lease as held:
        assert held
        await asyncio.sleep(1.0)  # three TTLs
        assert await redis.get(key) == lease.owner.encode()
        async with leases.hold(job_id) as second:
            assert not second
        assert await redis.get(key) == lease.owner.encode()  # the second left it alone
    assert not await redis.exists(key)
