"""What every stage gets: the job, the upstream clients, the catalog, and a way to report."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field

from services.sync.catalog import CatalogClient
from services.sync.domain.jobs import Jobs, Progress
from services.sync.fingerprints import Fingerprint, Fingerprints
from services.sync.models import ImportJob, Stage
from services.sync.pipeline.lease import JobLeases
from services.sync.upstreams import Upstreams


class Cancelled(Exception):
    """The job was cancelled: stop at once, write nothing more."""


class ImportFailed(Exception):
    """A stage cannot go on; the job fails with this reason (UPPER_SNAKE) and message."""

    def __init__(self, reason: str, message: str) -> None:
        super().__init__(message)
        self.reason = reason
        self.message = message


@dataclass(frozen=True)
class Span:
    """The part of the job's 0..100 progress a stage covers."""

    start: int
    end: int

    def at(self, fraction: float) -> int:
        return self.start + round((self.end - self.start) * max(0.0, min(1.0, fraction)))


@dataclass
class ImportContext:
    job_id: uuid.UUID
    jobs: Jobs
    upstreams: Upstreams
    catalog: CatalogClient
    setlist_pages: int = 2
    # Refresh mode: the artist is in the catalog; each stage asks its upstream whether
    # anything changed since the fingerprints were stored and does only that work.
    refresh: bool = False
    fingerprints: Fingerprints | None = None
    # One run of the job at a time (see pipeline/lease.py); None runs without a lease,
    # for callers without Redis that never deliver a job twice at once.
    leases: JobLeases | None = None
    stage: Stage = Stage.PENDING
    span: Span = field(default_factory=lambda: Span(0, 100))

    async def job(self) -> ImportJob:
        return await self.jobs.get(self.job_id)

    async def report(self, fraction: float, message: str, **counters: int) -> None:
        """Persist progress within the current stage; raises Cancelled if the job was cancelled."""
        step = Progress(self.stage, self.span.at(fraction), message, counters or None)
        if not await self.jobs.progress(self.job_id, step):
            raise Cancelled()

    def remember(
        self, upstream: str, resource: str, content_hash: str, etag: str | None = None
    ) -> None:
        """Store a fingerprint once the current stage has succeeded."""
        if self.fingerprints is not None:
            self.fingerprints.record(upstream, resource, content_hash, etag)

    async def remembered(self, upstream: str, resource: str) -> Fingerprint | None:
        """The stored fingerprint of a resource; None without one (or without a store)."""
        if self.fingerprints is None:
            return None
        return await self.fingerprints.get(upstream, resource)

    async def log(self, message: str, *, level: str = "info", **data: object) -> None:
        """Record a decision (ambiguous match, skipped release) in the job's log."""
        await self.jobs.log(self.job_id, self.stage, message, level=level, **data)
