"""What a worker process holds while it runs jobs: database, upstream clients, catalog channel."""

from __future__ import annotations

import uuid
from dataclasses import dataclass

import grpc
from redis.asyncio import Redis
from redis.asyncio.retry import Retry
from redis.backoff import ExponentialBackoff
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError
from sqlalchemy.ext.asyncio import AsyncEngine

from services.sync.catalog import CatalogClient
from services.sync.domain.jobs import Jobs
from services.sync.fingerprints import Fingerprints
from services.sync.models import SCHEMA
from services.sync.pipeline.context import ImportContext
from services.sync.pipeline.lease import JobLeases
from services.sync.settings import SyncSettings
from services.sync.upstream_status import StatusBoard, StatusPublisher
from services.sync.upstreams import Upstreams, UpstreamSettings, build_upstreams
from shared import db
from shared.grpc.channel import create_channel


def connect_redis(url: str) -> Redis:
    """An asyncio Redis client that reconnects on its own after Redis restarts.

    `Redis.from_url` retries nothing by default: after a restart each pooled connection
    fails its next command ("Connection closed by server"), failing an import attempt or
    an RPC although Redis is back. Retried here on a fresh connection (while Redis is
    really down, a command still fails, after about 0.7 s).
    """
    return Redis.from_url(
        url,
        retry=Retry(ExponentialBackoff(cap=0.5, base=0.05), 3),
        retry_on_error=[RedisConnectionError, RedisTimeoutError],
    )


@dataclass
class Runtime:
    """Resources bound to the event loop that created them (the worker's asyncio thread)."""

    settings: SyncSettings
    engine: AsyncEngine
    jobs: Jobs
    redis: Redis
    upstreams: Upstreams
    channel: grpc.aio.Channel
    catalog: CatalogClient
    fingerprints: Fingerprints
    status: StatusPublisher | None = None
    leases: JobLeases | None = None

    @classmethod
    def create(cls, settings: SyncSettings, upstream_settings: UpstreamSettings) -> Runtime:
        engine = db.create_engine(settings.database_url, schema=SCHEMA)
        redis = connect_redis(settings.redis_url or "redis://127.0.0.1:6379/0")
        channel = create_channel(
            settings.catalog_addr, token=settings.catalog_token(), timeout=30.0
        )
        upstreams = build_upstreams(upstream_settings, redis)
        sessions = db.session_factory(engine)
        # Every answer's ETag and content hash are kept, so a later refresh can ask
        # "changed since?" instead of fetching everything again.
        fingerprints = Fingerprints(sessions)
        for client in upstreams.clients:
            client.etag_cache = fingerprints.cache(client.name)
        # GetUpstreamStatus sums what every worker publishes.
        status = StatusPublisher(StatusBoard(redis), upstreams)
        status.start()
        return cls(
            settings=settings,
            engine=engine,
            # Workers never enqueue: only the gRPC server starts jobs.
            jobs=Jobs(sessions, enqueue=_never),
            redis=redis,
            upstreams=upstreams,
            channel=channel,
            catalog=CatalogClient(channel),
            fingerprints=fingerprints,
            status=status,
            # A dead worker's lease must lapse before the broker redelivers its message
            # (after the heartbeat timeout), or the redelivered run would find it held.
            leases=JobLeases(redis, ttl_ms=settings.sync_heartbeat_timeout_ms // 2),
        )

    def context(self, job_id: uuid.UUID) -> ImportContext:
        return ImportContext(
            job_id=job_id,
            jobs=self.jobs,
            upstreams=self.upstreams,
            catalog=self.catalog,
            setlist_pages=self.settings.sync_setlist_pages,
            fingerprints=self.fingerprints,
            leases=self.leases,
        )

    async def close(self) -> None:
        if self.status is not None:
            await self.status.stop()
        await self.upstreams.aclose()
        await self.channel.close()
        await self.redis.aclose()
        await self.engine.dispose()


def _never(job_id: uuid.UUID) -> None:
    raise RuntimeError("workers do not start jobs")


class LazyRuntime:
    """Creates the Runtime on first use, inside the loop that will use it."""

    def __init__(
        self, settings: SyncSettings, upstream_settings: UpstreamSettings | None = None
    ) -> None:
        self._settings = settings
        self._upstream_settings = upstream_settings
        self._runtime: Runtime | None = None

    async def get(self) -> Runtime:
        if self._runtime is None:
            self._runtime = Runtime.create(
                self._settings, self._upstream_settings or UpstreamSettings()
            )
        return self._runtime

    async def close(self) -> None:
        if self._runtime is not None:
            await self._runtime.close()
            self._runtime = None
