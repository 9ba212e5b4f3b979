"""Dramatiq on Redis: the broker and the actors that run import and refresh jobs off the gRPC server.

Actors take ids, never objects, and are idempotent: Redis redelivers a
message whose worker died (after the heartbeat timeout), and the job
then runs again from its first stage to the same result. A worker busy
with long imports may also miss heartbeats and see its message
redelivered while it still runs it: the job's lease (pipeline/lease.py)
lets only one run proceed, and the other returns (its message acked).
"""

from __future__ import annotations

import logging
import time
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

import dramatiq
import redis
from dramatiq.brokers.redis import RedisBroker
from dramatiq.middleware import Retries, default_middleware
from dramatiq.middleware.asyncio import AsyncIO

from services.sync.pipeline.run import MAX_ATTEMPTS, run_import, run_refresh
from services.sync.runtime import Runtime

log = logging.getLogger(__name__)

IMPORT_QUEUE = "imports"
# Refreshes wait in their own queue: a schedule starting hundreds must not delay an import.
REFRESH_QUEUE = "refreshes"


# How often a worker tries again to queue the retry of a failed message while Redis is down.
RETRY_ENQUEUE_PAUSE_S = 1.0


class _EnqueueWhenRedisAnswers:
    """The broker as `RetriesSurvivingRedisOutages` hands it to Retries."""

    def __init__(self, broker: dramatiq.Broker) -> None:
        self._broker = broker

    def __getattr__(self, name: str) -> Any:
        return getattr(self._broker, name)

    def enqueue(self, message: dramatiq.Message, *, delay: int | None = None) -> Any:
        warned = False
        while True:
            try:
                return self._broker.enqueue(message, delay=delay)
            except (redis.ConnectionError, redis.TimeoutError):
                if not warned:
                    log.warning(
                        "Redis is unreachable: queueing the retry of %s once it answers",
                        message,
                        extra={"message_id": message.message_id},
                    )
                    warned = True
                time.sleep(RETRY_ENQUEUE_PAUSE_S)


class RetriesSurvivingRedisOutages(Retries):
    """Dramatiq's Retries, except that the retry of a failed message outlasts a Redis outage.

    Retries queues the retry of a failed message, then the worker acknowledges the
    original. Dramatiq repeats the acknowledgement until Redis answers again, but not
    the enqueue: it logs the error and moves on, the acknowledgement goes through once
    Redis is back, and the retry is lost (its job stays RUNNING for good). Here the
    enqueue waits for Redis as the acknowledgement does; a worker stopped meanwhile has
    acknowledged nothing, so the message is redelivered after the heartbeat timeout.
    """

    def after_process_message(
        self,
        broker: dramatiq.Broker,
        message: dramatiq.Message,
        *,
        result: Any = None,
        exception: BaseException | None = None,
    ) -> None:
        super().after_process_message(
            _EnqueueWhenRedisAnswers(broker),  # type: ignore[arg-type]
            message,
            result=result,
            exception=exception,
        )


def create_broker(
    redis_url: str, *, heartbeat_timeout_ms: int = 60_000, maintenance_chance: int = 1_000
) -> RedisBroker:
    """A Redis broker that can run async actors."""
    broker = RedisBroker(
        url=redis_url,
        heartbeat_timeout=heartbeat_timeout_ms,
        maintenance_chance=maintenance_chance,
        middleware=[
            RetriesSurvivingRedisOutages() if kind is Retries else kind()
            for kind in default_middleware
        ],
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
