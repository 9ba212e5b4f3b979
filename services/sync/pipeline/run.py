"""Run an import or refresh job's stages in order, persisting progress, timings and the outcome."""

from __future__ import annotations

import contextlib
import logging
import time
from collections.abc import AsyncIterator, Awaitable, Callable

from services.sync.domain.jobs import JobNotFound
from services.sync.models import Stage
from services.sync.pipeline import identify, predictions, setlists, shows, songs
from services.sync.pipeline.context import Cancelled, ImportContext, ImportFailed, Span
from services.sync.pipeline.lease import LeaseLost
from services.sync.upstreams import (
    AuthError,
    BadResponse,
    CircuitOpen,
    RateLimited,
    Unavailable,
    UpstreamError,
)

log = logging.getLogger(__name__)

StageRun = Callable[[ImportContext], Awaitable[None]]

STAGES: list[tuple[Stage, StageRun, Span]] = [
    (Stage.RESOLVING_IDENTITY, identify.run, Span(0, 10)),
    (Stage.IMPORTING_CATALOG, songs.run, Span(10, 40)),
    (Stage.IMPORTING_SHOWS, shows.run, Span(40, 65)),
    (Stage.IMPORTING_SETLISTS, setlists.run, Span(65, 90)),
    (Stage.SEEDING_PREDICTIONS, predictions.run, Span(90, 100)),
]

# After this many attempts an unexpected error fails the job instead of being retried.
MAX_ATTEMPTS = 3


def failure_reason(error: UpstreamError) -> str:
    """The job error reason for an upstream failure that exhausted its retries."""
    match error:
        case RateLimited():
            return "UPSTREAM_RATE_LIMITED"
        case CircuitOpen() | Unavailable():
            return "UPSTREAM_UNAVAILABLE"
        case AuthError():
            return "UPSTREAM_AUTH_FAILED"
        case BadResponse():
            return "UPSTREAM_BAD_RESPONSE"
        case _:
            return "UPSTREAM_ERROR"


async def run_import(ctx: ImportContext) -> None:
    """Run (or, after a redelivery, run again) every stage of the job.

    Only while holding the job's lease (`ctx.leases`): a run that finds another run of the
    same job at work returns at once without touching the job.
    """
    async with _leased(ctx) as held:
        if held:
            await _attempt(ctx)


async def _attempt(ctx: ImportContext) -> None:
    """One attempt at the job's stages, the lease held."""
    job = await ctx.jobs.begin_attempt(ctx.job_id)
    if job is None:
        return  # cancelled, finished, or unknown: nothing to do
    batch = ctx.fingerprints.batch() if ctx.fingerprints else contextlib.nullcontext()
    try:
        with batch:
            for stage, run, span in STAGES:
                ctx.stage, ctx.span = stage, span
                started = time.monotonic()
                await ctx.report(0.0, stage.value.replace("_", " "))
                await run(ctx)
                # The catalog now holds what the stage fetched: its fingerprints may say so.
                if ctx.fingerprints is not None:
                    await ctx.fingerprints.flush()
                await ctx.jobs.finish_stage(ctx.job_id, stage, time.monotonic() - started)
        await ctx.jobs.complete(ctx.job_id, "refreshed" if ctx.refresh else "imported")
    except Cancelled:
        log.info("import cancelled", extra={"job_id": str(ctx.job_id)})
    except ImportFailed as failure:
        await ctx.jobs.fail(ctx.job_id, failure.reason, failure.message)
    except UpstreamError as error:
        await ctx.jobs.fail(ctx.job_id, failure_reason(error), str(error))
    except Exception:
        if job.attempts >= MAX_ATTEMPTS:
            log.exception("import failed for good", extra={"job_id": str(ctx.job_id)})
            await ctx.jobs.fail(ctx.job_id, "INTERNAL", "the import failed unexpectedly")
            return
        raise  # Dramatiq retries the message; the stages are idempotent


async def run_refresh(ctx: ImportContext) -> None:
    """Run a refresh job: every stage in refresh mode, doing only what upstream changes need.

    A job without a catalog artist has nothing to refresh from, so it is imported in full.
    """
    async with _leased(ctx) as held:
        if not held:
            return
        try:
            job = await ctx.jobs.get(ctx.job_id)
        except JobNotFound:
            return
        ctx.refresh = job.artist_id is not None
        await _attempt(ctx)


@contextlib.asynccontextmanager
async def _leased(ctx: ImportContext) -> AsyncIterator[bool]:
    """Whether this run holds the job's lease (always, without `ctx.leases`) while inside.

    A run that loses the lease midway stops where it is and returns: another run of the
    job holds it and is at work (the stages are idempotent).
    """
    if ctx.leases is None:
        yield True
        return
    try:
        async with ctx.leases.hold(ctx.job_id) as held:
            if not held:
                log.info("job already running elsewhere", extra={"job_id": str(ctx.job_id)})
            yield held
    except LeaseLost:
        log.info("leaving the job to the lease holder", extra={"job_id": str(ctx.job_id)})
