"""Import jobs: one active job per artist, progress persisted and watchable, cancellable."""

from __future__ import annotations

import asyncio
import datetime as dt
import uuid
from collections.abc import AsyncIterator, Iterator

import pytest

from services.sync.domain.jobs import JobNotFound, Jobs, Progress
from services.sync.models import SCHEMA, JobKind, JobState, Stage
from shared import db
from tests.support.servers import drop_database, fresh_database

ALEMBIC_INI = "services/sync/alembic.ini"


@pytest.fixture(scope="module")
def sync_database(postgres_url: str) -> Iterator[str]:
    url = fresh_database(postgres_url, "sync_jobs")
    db.run_migrations(ALEMBIC_INI, url, SCHEMA)
    yield url
    drop_database(url)


@pytest.fixture
async def queued() -> list[uuid.UUID]:
    """Job ids handed to the (recorded) queue."""
    return []


@pytest.fixture
async def job_store(sync_database: str, queued: list[uuid.UUID]) -> AsyncIterator[Jobs]:
    engine = db.create_engine(sync_database, schema=SCHEMA)
    yield Jobs(db.session_factory(engine), enqueue=queued.append, poll_interval=0.02)
    await engine.dispose()


def reference() -> str:
    return f"Band {uuid.uuid4().hex[:8]}"


async def test_a_new_job_is_queued_and_handed_to_the_workers(job_store, queued):
    job, created = await job_store.start(reference())

    assert created
    assert (job.state, job.stage) == (JobState.QUEUED, Stage.PENDING)
    assert queued == [job.id]


async def test_a_second_request_for_the_same_artist_gets_the_active_job(job_store, queued):
    name = reference()
    first, _ = await job_store.start(name)

    second, created = await job_store.start(f"  {name.upper()} ")

    assert not created
    assert second.id == first.id
    assert queued == [first.id]


async def test_concurrent_requests_create_exactly_one_job(job_store, queued):
    name = reference()

    results = await asyncio.gather(*(job_store.start(name) for _ in range(10)))

    assert len({job.id for job, _ in results}) == 1
    assert sum(created for _, created in results) == 1
    assert len(queued) == 1


async def test_a_finished_job_frees_the_artist_for_a_new_one(job_store):
    name = reference()
    first, _ = await job_store.start(name)
    await job_store.begin_attempt(first.id)
    await job_store.complete(first.id)

    second, created = await job_store.start(name)

    assert created and second.id != first.id


async def test_progress_is_persisted_with_merged_counters(job_store):
    job, _ = await job_store.start(reference())
    await job_store.begin_attempt(job.id)

    await job_store.progress(job.id, Progress(Stage.IMPORTING_CATALOG, 30, "albums", {"songs": 12}))
    await job_store.progress(job.id, Progress(Stage.IMPORTING_SHOWS, 55, "events", {"shows": 4}))
    await job_store.finish_stage(job.id, Stage.IMPORTING_CATALOG, 1.25)

    stored = await job_store.get(job.id)
    assert (stored.stage, stored.percent, stored.message) == (Stage.IMPORTING_SHOWS, 55, "events")
    assert stored.counters == {"songs": 12, "shows": 4}
    assert stored.stage_timings == [{"stage": "importing_catalog", "seconds": 1.25}]
    assert stored.attempts == 1


async def test_a_cancelled_job_tells_its_worker_to_stop(job_store):
    job, _ = await job_store.start(reference())
    await job_store.begin_attempt(job.id)

    cancelled = await job_store.cancel(job.id)
    keep_going = await job_store.progress(job.id, Progress(Stage.IMPORTING_SHOWS, 60, "events"))

    assert cancelled.state == JobState.CANCELLED and cancelled.ended_at is not None
    assert keep_going is False
    assert await job_store.begin_attempt(job.id) is None


async def test_a_failed_job_keeps_its_reason(job_store):
    job, _ = await job_store.start(reference())
    await job_store.begin_attempt(job.id)

    await job_store.fail(job.id, "UPSTREAM_UNAVAILABLE", "Spotify kept answering 503")

    stored = await job_store.get(job.id)
    assert (stored.state, stored.stage) == (JobState.FAILED, Stage.FAILED)
    assert (stored.error_reason, stored.error_message) == (
        "UPSTREAM_UNAVAILABLE",
        "Spotify kept answering 503",
    )


async def test_watching_streams_every_step_until_the_job_ends(job_store):
    job, _ = await job_store.start(reference())
    seen: list[tuple[JobState, Stage, int]] = []

    async def watch() -> None:
        async for update in job_store.watch(job.id):
            seen.append((update.state, update.stage, update.percent))

    watcher = asyncio.create_task(watch())
    steps = [
        Progress(Stage.RESOLVING_IDENTITY, 5, "matching"),
        Progress(Stage.IMPORTING_CATALOG, 40, "albums"),
        Progress(Stage.SEEDING_PREDICTIONS, 90, "seeding"),
    ]
    await asyncio.sleep(0.05)
    await job_store.begin_attempt(job.id)
    for step in steps:
        await job_store.progress(job.id, step)
        await asyncio.sleep(0.06)
    await job_store.complete(job.id)
    await asyncio.wait_for(watcher, 5)

    assert seen[0] == (JobState.QUEUED, Stage.PENDING, 0)
    assert [s[1] for s in seen if s[0] == JobState.RUNNING][-3:] == [step.stage for step in steps]
    assert seen[-1] == (JobState.COMPLETED, Stage.COMPLETED, 100)


async def test_an_unknown_job_is_not_found(job_store):
    with pytest.raises(JobNotFound):
        await job_store.get(uuid.uuid4())


async def test_decisions_are_logged_for_people(job_store):
    job, _ = await job_store.start(reference())

    await job_store.log(
        job.id, Stage.RESOLVING_IDENTITY, "ambiguous name", level="warning", candidates=["a", "b"]
    )

    [entry] = await job_store.logs(job.id)
    assert (entry.level, entry.message, entry.data) == (
        "warning",
        "ambiguous name",
        {"candidates": ["a", "b"]},
    )


async def test_a_refresh_of_an_artist_being_imported_gets_the_running_import(job_store):
    imported, _ = await job_store.start(reference())
    await job_store.begin_attempt(imported.id)
    artist_id = uuid.uuid4()
    await job_store.identified(imported.id, artist_id, "Band")

    refresh, created = await job_store.start("refresh", kind=JobKind.REFRESH, artist_id=artist_id)

    assert not created and refresh.id == imported.id


async def test_a_stalled_job_is_requeued_only_while_it_is_still_stalled(job_store, queued):
    job, _ = await job_store.start(reference())
    await job_store.begin_attempt(job.id)
    queued.clear()
    cutoff = dt.datetime.now(dt.UTC) + dt.timedelta(seconds=1)  # the job is older than this

    assert [j.id for j in await job_store.stalled(cutoff) if j.id == job.id] == [job.id]
    assert await job_store.requeue(job.id, cutoff)
    assert queued == [job.id]
    # Requeuing counts as a change: with the same cutoff it is not stalled any more...
    assert not await job_store.requeue(job.id, cutoff - dt.timedelta(seconds=2))
    # ...and a job that ended meanwhile is never requeued.
    await job_store.complete(job.id)
    assert not await job_store.requeue(job.id, dt.datetime.now(dt.UTC) + dt.timedelta(hours=1))
    assert queued == [job.id]
    assert (await job_store.get(job.id)).attempts == 1
