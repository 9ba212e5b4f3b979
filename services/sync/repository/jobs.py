"""Import jobs and their logs: SQL only, no commits."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Sequence
from typing import Any

from sqlalchemy import select, tuple_, update
from sqlalchemy.ext.asyncio import AsyncSession

from services.sync.models import ACTIVE_STATES, ImportJob, ImportLog, JobState, Stage, utcnow


async def get(session: AsyncSession, job_id: uuid.UUID) -> ImportJob | None:
    """The job, freshly read."""
    return await session.get(ImportJob, job_id, populate_existing=True)


async def active_for(session: AsyncSession, artist_key: str) -> ImportJob | None:
    """The queued or running job for this artist key, if any."""
    return await session.scalar(
        select(ImportJob).where(
            ImportJob.artist_key == artist_key, ImportJob.state.in_(ACTIVE_STATES)
        )
    )


async def active_for_artist(session: AsyncSession, artist_id: uuid.UUID) -> ImportJob | None:
    """The queued or running job of this catalog artist, whatever reference started it."""
    return await session.scalar(
        select(ImportJob).where(
            ImportJob.artist_id == artist_id, ImportJob.state.in_(ACTIVE_STATES)
        )
    )


async def list_page(
    session: AsyncSession,
    *,
    state: JobState | None,
    artist_id: uuid.UUID | None,
    after: Sequence[str] | None,
    limit: int,
) -> list[ImportJob]:
    """Jobs newest first, by (created_at, id) descending."""
    query = select(ImportJob).order_by(ImportJob.created_at.desc(), ImportJob.id.desc())
    if state is not None:
        query = query.where(ImportJob.state == state)
    if artist_id is not None:
        query = query.where(ImportJob.artist_id == artist_id)
    if after is not None:
        key = (dt.datetime.fromisoformat(after[0]), uuid.UUID(after[1]))
        query = query.where(tuple_(ImportJob.created_at, ImportJob.id) < tuple_(*key))
    return list(await session.scalars(query.limit(limit)))


def page_key(job: ImportJob) -> list[str]:
    """The keyset key of a job in list order."""
    return [job.created_at.isoformat(), str(job.id)]


async def change(session: AsyncSession, job_id: uuid.UUID, **values: Any) -> ImportJob | None:
    """Apply changes, bump the revision; returns the job as stored, None if missing."""
    await session.execute(
        update(ImportJob)
        .where(ImportJob.id == job_id)
        .values(revision=ImportJob.revision + 1, updated_at=utcnow(), **values)
    )
    return await get(session, job_id)


async def stalled(session: AsyncSession, before: dt.datetime) -> list[ImportJob]:
    """Running jobs whose last change is older than `before`, oldest first."""
    rows = await session.scalars(
        select(ImportJob)
        .where(ImportJob.state == JobState.RUNNING, ImportJob.updated_at < before)
        .order_by(ImportJob.updated_at)
    )
    return list(rows)


async def add_log(
    session: AsyncSession, job_id: uuid.UUID, stage: Stage, level: str, message: str, data: dict
) -> None:
    """Append one line to the job's log."""
    session.add(ImportLog(job_id=job_id, stage=stage, level=level, message=message, data=data))
    await session.flush()


async def logs(session: AsyncSession, job_id: uuid.UUID) -> list[ImportLog]:
    """The job's log, oldest first."""
    return list(
        await session.scalars(
            select(ImportLog).where(ImportLog.job_id == job_id).order_by(ImportLog.id)
        )
    )
