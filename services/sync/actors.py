"""Dramatiq on Redis: the broker and the actors that run import and refresh jobs off the gRPC server.

Actors take ids, never objects, and are idempotent: Redis redelivers a
message whose worker died (after the heartbeat timeout), and the job
then runs again from its first stage to the same result. A worker busy
with long imports may also miss heartbeats and see its message
redelivered while it still runs it: the job's lease (pipeline/lease.py)
lets only one run proceed, and the other returns (its message acked).
"""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

import dramatiq
from dramatiq.brokers.redis import RedisBroker
from dramatiq.middleware.asyncio import AsyncIO

from services.sync.pipeline.run import MAX_ATTEMPTS, run_import, run_refresh
from services.sync.runtime import Runtime

IMPORT_QUEUE = "imports"
# Refreshes wait in their own queue: a schedule starting hundreds must not delay an import.
REFRESH_QUEUE = "refreshes"


def create_broker(
    redis_url: str, *, heartbeat_timeout_ms: int = 60_000, maintenance_chance: int = 1_000
) -> RedisBroker:
    """A Redis broker that can run async actors."""
    broker = RedisBroker(
        url=redis_url,
        heartbeat_timeout=heartbeat_timeout_ms,
        maintenance_chance=maintenance_chance,
    )
    broker.add_middleware(AsyncIO())
    return broker


@dataclass(frozen=True)
class Actors:
    import_artist: dramatiq.Actor
    refresh_artist: dramatiq.Actor

    def enqueue_import(self, job_id: uuid.UUID) -> None:
        """Hand an import job to the workers."""
        self.import_artist.send(str(job_id))

    def enqueue_refresh(self, job_id: uuid.UUID) -> None:
        """Hand a refresh job to the workers."""
        self.refresh_artist.send(str(job_id))


def declare_actors(
    broker: dramatiq.Broker,
    runtime: Callable[[], Awaitable[Runtime]],
    *,
    time_limit_s: float = 3_600,
) -> Actors:
    """The actors, bound to this broker; `runtime` gives a worker its resources."""

    async def import_artist(job_id: str) -> None:
        await run_import((await runtime()).context(uuid.UUID(job_id)))

    async def refresh_artist(job_id: str) -> None:
        await run_refresh((await runtime()).context(uuid.UUID(job_id)))

    # The runners fail the job themselves after MAX_ATTEMPTS; until then a crash is
    # retried with backoff.
    options = {
        "broker": broker,
        "max_retries": MAX_ATTEMPTS,
        "min_backoff": 1_000,
        "time_limit": int(time_limit_s * 1000),
    }
    return Actors(
        import_artist=dramatiq.actor(
            import_artist, actor_name="import_artist", queue_name=IMPORT_QUEUE, **options
        ),
        refresh_artist=dramatiq.actor(
            refresh_artist, actor_name="refresh_artist", queue_name=REFRESH_QUEUE, **options
        ),
    )
