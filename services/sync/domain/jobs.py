"""Import jobs: one active job per artist, progress persisted after every step, watchable.

The worker running a job's stages reports through `Jobs.progress`; every
report is committed before it returns, so a watcher (or a redelivered
message after a crash) sees exactly how far the job got.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import uuid
from collections.abc import AsyncIterator, Callable, Mapping, Sequence
from dataclasses import dataclass

from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from services.sync.models import ACTIVE_STATES, ImportJob, JobKind, JobState, Stage, utcnow
from services.sync.repository import jobs
from shared import text
from shared.errors import NotFound, Unavailable
from shared.paging import paginate

TERMINAL_STATES = frozenset({JobState.COMPLETED, JobState.FAILED, JobState.CANCELLED})


class JobNotFound(NotFound):
    reason = "JOB_NOT_FOUND"


def artist_key(reference: str) -> str:
    """What makes two import requests the same before the artist is identified."""
    return f"ref:{text.normalize(reference) or reference.strip().casefold()}"


@dataclass(frozen=True)
class Progress:
    """One step of a running job, as the worker reports it."""

    stage: Stage
    percent: int
    message: str
    counters: Mapping[str, int] | None = None


class Jobs:
    """Creates, reads, cancels and watches import jobs."""

    def __init__(
        self,
        sessions: async_sessionmaker[AsyncSession],
        *,
        enqueue: Callable[[uuid.UUID], None],
        enqueue_refresh: Callable[[uuid.UUID], None] | None = None,
        poll_interval: float = 0.25,
    ) -> None:
        """`enqueue` hands a job to the workers; refresh jobs go to `enqueue_refresh` if given."""
        self._sessions = sessions
        self._enqueue = {JobKind.IMPORT: enqueue, JobKind.REFRESH: enqueue_refresh or enqueue}
        self._poll_interval = poll_interval

    async def start(
        self, reference: str, *, kind: JobKind = JobKind.IMPORT, artist_id: uuid.UUID | None = None
    ) -> tuple[ImportJob, bool]:
        """A new queued job, or the active one for the same artist (created False)."""
        key = f"artist:{artist_id}" if artist_id else artist_key(reference)
        for _ in range(3):
            async with self._sessions() as session:
                existing = await jobs.active_for(session, key)
                if existing is None and artist_id is not None:
                    existing = await jobs.active_for_artist(session, artist_id)
                if existing is not None:
                    return existing, False
                job = ImportJob(
                    id=uuid.uuid4(),
                    kind=kind,
                    reference=reference.strip(),
                    artist_key=key,
                    artist_id=artist_id,
                    state=JobState.QUEUED,
                    stage=Stage.PENDING,
                    message="waiting for a worker",
                    counters={},
                    stage_timings=[],
                )
                session.add(job)
                try:
                    await session.commit()
                except IntegrityError:
                    # Another request created it between our read and insert.
                    await session.rollback()
                    continue
            try:
                self._enqueue[job.kind](job.id)
            except Exception as exc:
                # A job no worker will ever see must not block the artist.
                await self.fail(job.id, "QUEUE_UNAVAILABLE", "the job queue is unreachable")
                raise Unavailable("the job queue is unreachable; try again") from exc
            return job, True
        raise AssertionError("the active job vanished three times in a row")  # pragma: no cover

    async def get(self, job_id: uuid.UUID) -> ImportJob:
        async with self._sessions() as session:
            job = await jobs.get(session, job_id)
        if job is None:
            raise JobNotFound(f"import job {job_id} not found")
        return job

    async def list(
        self,
        *,
        state: JobState | None,
        artist_id: uuid.UUID | None,
        page_size: int,
        page_token: str,
    ) -> tuple[list[ImportJob], str]:
        """A page of jobs, newest first, and the next page's token."""
        async with self._sessions() as session:
            return await paginate(
                lambda after, limit: jobs.list_page(
                    session, state=state, artist_id=artist_id, after=after, limit=limit
                ),
                jobs.page_key,
                requested_size=page_size,
                page_token=page_token,
                scope=f"jobs:{state}:{artist_id}",
            )

    async def cancel(self, job_id: uuid.UUID) -> ImportJob:
        """Cancel a queued or running job; the worker stops at its next step."""
        async with self._sessions.begin() as session:
            job = await jobs.get(session, job_id)
            if job is None:
                raise JobNotFound(f"import job {job_id} not found")
            if job.state in TERMINAL_STATES:
                return job
            return await jobs.change(
                session,
                job_id,
                state=JobState.CANCELLED,
                message="cancelled",
                ended_at=utcnow(),
            )

    async def watch(self, job_id: uuid.UUID) -> AsyncIterator[ImportJob]:
        """The job now, then each new revision, until it finishes."""
        seen = -1
        while True:
            job = await self.get(job_id)
            if job.revision != seen:
                seen = job.revision
                yield job
            if job.state in TERMINAL_STATES:
                return
            await asyncio.sleep(self._poll_interval)

    # What the worker calls ------------------------------------------------

    async def begin_attempt(self, job_id: uuid.UUID) -> ImportJob | None:
        """Mark the job running for one more attempt; None when it is no longer active."""
        async with self._sessions.begin() as session:
            job = await jobs.get(session, job_id)
            if job is None or job.state not in ACTIVE_STATES:
                return None
            return await jobs.change(
                session, job_id, state=JobState.RUNNING, attempts=job.attempts + 1
            )

    async def progress(self, job_id: uuid.UUID, step: Progress) -> bool:
        """Persist a step; False when the job was cancelled meanwhile (stop working)."""
        async with self._sessions.begin() as session:
            job = await jobs.get(session, job_id)
            if job is None or job.state != JobState.RUNNING:
                return False
            counters = dict(job.counters) | dict(step.counters or {})
            await jobs.change(
                session,
                job_id,
                stage=step.stage,
                percent=max(0, min(100, step.percent)),
                message=step.message,
                counters=counters,
            )
            return True

    async def finish_stage(self, job_id: uuid.UUID, stage: Stage, seconds: float) -> None:
        """Record how long a stage took."""
        async with self._sessions.begin() as session:
            job = await jobs.get(session, job_id)
            if job is not None:
                # A redelivered job runs its stages again: keep the latest timing of each.
                timings = [t for t in job.stage_timings if t["stage"] != stage.value]
                timings.append({"stage": stage.value, "seconds": round(seconds, 3)})
                await jobs.change(session, job_id, stage_timings=timings)

    async def identified(
        self, job_id: uuid.UUID, artist_id: uuid.UUID, name: str
    ) -> ImportJob | None:
        """Attach the catalog artist; None when another active job already imports it."""
        try:
            async with self._sessions.begin() as session:
                return await jobs.change(session, job_id, artist_id=artist_id, artist_name=name)
        except IntegrityError:
            return None

    async def stalled(self, before: dt.datetime) -> list[ImportJob]:
        """Running jobs that have not changed since `before` (candidates for `requeue`)."""
        async with self._sessions() as session:
            return await jobs.stalled(session, before)

    async def requeue(self, job_id: uuid.UUID, before: dt.datetime) -> bool:
        """Hand a stalled running job to the workers again; False if it moved meanwhile.

        The job keeps its state and attempts: the run that picks it up resumes it
        like a redelivered message (a run already at work holds the job's lease,
        so a duplicate leaves at once).
        """
        async with self._sessions.begin() as session:
            job = await jobs.get(session, job_id)
            if job is None or job.state != JobState.RUNNING or job.updated_at >= before:
                return False
            # Bumps updated_at: the next sweep gives this hand-over its time too.
            await jobs.change(session, job_id, message="requeued: no worker was running it")
            await jobs.add_log(
                session,
                job_id,
                job.stage,
                "WARNING",
                "requeued: running, but no worker held it",
                {"idle_since": job.updated_at.isoformat()},
            )
        try:
            self._enqueue[job.kind](job_id)
        except Exception as exc:
            raise Unavailable("the job queue is unreachable; try again") from exc
        return True

    async def complete(self, job_id: uuid.UUID, message: str = "done") -> None:
        await self._end(job_id, JobState.COMPLETED, Stage.COMPLETED, message, percent=100)

    async def fail(self, job_id: uuid.UUID, reason: str, message: str) -> None:
        await self._end(
            job_id,
            JobState.FAILED,
            Stage.FAILED,
            message,
            error_reason=reason,
            error_message=message,
        )

    async def _end(
        self, job_id: uuid.UUID, state: JobState, stage: Stage, message: str, **values
    ) -> None:
        async with self._sessions.begin() as session:
            job = await jobs.get(session, job_id)
            if job is None or job.state in TERMINAL_STATES:
                return
            await jobs.change(
                session,
                job_id,
                state=state,
                stage=stage,
                message=message,
                ended_at=utcnow(),
                **values,
            )

    async def log(
        self, job_id: uuid.UUID, stage: Stage, message: str, *, level: str = "info", **data: object
    ) -> None:
        """Record a decision for people reading the import (ambiguous match, skipped release)."""
        async with self._sessions.begin() as session:
            await jobs.add_log(session, job_id, stage, level, message, dict(data))

    async def logs(self, job_id: uuid.UUID) -> Sequence:
        async with self._sessions() as session:
            return await jobs.logs(session, job_id)
