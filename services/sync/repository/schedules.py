"""Schedules and their runs, plus the job pruning and lookups maintenance needs: SQL only, no commits."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Iterable
from typing import Any

from sqlalchemy import String, cast, delete, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from services.sync.models import (
    ACTIVE_STATES,
    ImportJob,
    ImportLog,
    JobState,
    Schedule,
    ScheduleRun,
)

RUNNING = "running"
SUCCEEDED = "succeeded"
FAILED = "failed"
FINISHED_JOB_STATES = (JobState.COMPLETED, JobState.FAILED, JobState.CANCELLED)


async def ensure(
    session: AsyncSession, intervals: dict[str, float], first_run: dt.datetime
) -> None:
    """Create missing schedule rows (first run at `first_run`) and apply changed intervals."""
    rows = {s.name: s for s in await session.scalars(select(Schedule))}
    for name, seconds in intervals.items():
        row = rows.get(name)
        if row is None:
            session.add(Schedule(name=name, interval_seconds=seconds, next_run_at=first_run))
        elif row.interval_seconds != seconds:
            row.interval_seconds = seconds
    await session.flush()


async def all_schedules(session: AsyncSession) -> dict[str, Schedule]:
    return {s.name: s for s in await session.scalars(select(Schedule))}


async def get(session: AsyncSession, name: str) -> Schedule | None:
    """The schedule, freshly read."""
    return await session.get(Schedule, name, populate_existing=True)


async def runs(session: AsyncSession, ids: Iterable[uuid.UUID]) -> dict[uuid.UUID, ScheduleRun]:
    wanted = [i for i in ids if i is not None]
    if not wanted:
        return {}
    return {
        r.id: r
        for r in await session.scalars(select(ScheduleRun).where(ScheduleRun.id.in_(wanted)))
    }


async def start_run(session: AsyncSession, name: str, started_at: dt.datetime) -> ScheduleRun:
    """A new running run, made the schedule's last run."""
    run = ScheduleRun(
        id=uuid.uuid4(), schedule=name, status=RUNNING, started_at=started_at, counts={}, message=""
    )
    session.add(run)
    await session.flush()
    await session.execute(update(Schedule).where(Schedule.name == name).values(last_run_id=run.id))
    return run


async def interrupt_stale(session: AsyncSession, name: str, keep: uuid.UUID) -> int:
    """Mark runs left `running` by a process that died as failed; how many there were."""
    result = await session.execute(
        update(ScheduleRun)
        .where(ScheduleRun.schedule == name, ScheduleRun.status == RUNNING, ScheduleRun.id != keep)
        .values(status=FAILED, message="interrupted: the process running it stopped")
    )
    return result.rowcount or 0


async def finish_run(
    session: AsyncSession,
    run_id: uuid.UUID,
    *,
    status: str,
    duration_s: float,
    counts: dict[str, int],
    message: str,
) -> ScheduleRun:
    await session.execute(
        update(ScheduleRun)
        .where(ScheduleRun.id == run_id)
        .values(status=status, duration_seconds=duration_s, counts=counts, message=message)
    )
    run = await session.get(ScheduleRun, run_id, populate_existing=True)
    assert run is not None
    return run


async def set_next_run(session: AsyncSession, name: str, at: dt.datetime) -> None:
    await session.execute(update(Schedule).where(Schedule.name == name).values(next_run_at=at))


async def prune_runs(session: AsyncSession, before: dt.datetime) -> int:
    """Delete runs started before `before`, except each schedule's last run."""
    last = select(Schedule.last_run_id).where(Schedule.last_run_id.is_not(None))
    result = await session.execute(
        delete(ScheduleRun).where(ScheduleRun.started_at < before, ScheduleRun.id.not_in(last))
    )
    return result.rowcount or 0


# Import jobs, as maintenance sees them ------------------------------------------


async def prunable_jobs(session: AsyncSession, before: dt.datetime, keep: int) -> list[uuid.UUID]:
    """Finished jobs that ended before `before`, except each artist's `keep` newest jobs."""
    artist = func.coalesce(cast(ImportJob.artist_id, String), ImportJob.artist_key)
    ranked = select(
        ImportJob.id,
        ImportJob.state,
        func.coalesce(ImportJob.ended_at, ImportJob.updated_at).label("ended"),
        func.row_number()
        .over(partition_by=artist, order_by=(ImportJob.created_at.desc(), ImportJob.id.desc()))
        .label("rank"),
    ).subquery()
    query = select(ranked.c.id).where(
        ranked.c.state.in_(FINISHED_JOB_STATES), ranked.c.ended < before, ranked.c.rank > keep
    )
    return list(await session.scalars(query))


async def delete_jobs(session: AsyncSession, job_ids: list[uuid.UUID]) -> tuple[int, int]:
    """Delete jobs with their logs (explicitly: SQLite may not enforce the cascade)."""
    jobs = logs = 0
    for start in range(0, len(job_ids), 500):
        chunk = job_ids[start : start + 500]
        logs += (
            await session.execute(delete(ImportLog).where(ImportLog.job_id.in_(chunk)))
        ).rowcount or 0
        jobs += (
            await session.execute(delete(ImportJob).where(ImportJob.id.in_(chunk)))
        ).rowcount or 0
    return jobs, logs


async def artists_with_active_jobs(
    session: AsyncSession, artist_ids: Iterable[uuid.UUID]
) -> set[uuid.UUID]:
    """Which of these artists a queued or running job already imports or refreshes."""
    wanted = list(artist_ids)
    if not wanted:
        return set()
    found: set[Any] = set()
    for start in range(0, len(wanted), 500):
        found.update(
            await session.scalars(
                select(ImportJob.artist_id).where(
                    ImportJob.artist_id.in_(wanted[start : start + 500]),
                    ImportJob.state.in_(ACTIVE_STATES),
                )
            )
        )
    return found
