"""Build and run the sync service's gRPC server (imports themselves run in workers)."""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
from dataclasses import dataclass
from pathlib import Path

import grpc
from mysetlist.sync.v1 import sync_pb2, sync_pb2_grpc
from redis.asyncio import Redis
from sqlalchemy.ext.asyncio import AsyncEngine

from services.sync.actors import Actors, create_broker, declare_actors
from services.sync.catalog import CatalogClient
from services.sync.domain.jobs import Jobs
from services.sync.domain.schedules import Schedules, definitions
from services.sync.domain.search import UpstreamSearch
from services.sync.maintenance import Maintenance
from services.sync.models import SCHEMA
from services.sync.refresh import Refreshes
from services.sync.runtime import LazyRuntime, connect_redis
from services.sync.servicer import SyncServicer
from services.sync.settings import SyncSettings
from services.sync.upstream_status import StatusBoard, StatusPublisher
from services.sync.upstreams import Upstreams, UpstreamSettings, build_upstreams
from shared import db
from shared.auth import Authenticator
from shared.grpc.channel import create_channel
from shared.grpc.server import HealthState, ServiceRegistration, create_server, serve
from shared.logging import configure_logging
from shared.settings import load_settings
from shared.telemetry import configure_telemetry

SERVICE_NAME = sync_pb2.DESCRIPTOR.services_by_name["SyncService"].full_name
ALEMBIC_INI = Path(__file__).with_name("alembic.ini")


@dataclass
class SyncServer:
    """A built, not yet started, sync server and what it owns."""

    server: grpc.aio.Server
    port: int
    health: HealthState
    engine: AsyncEngine
    redis: Redis
    actors: Actors
    jobs: Jobs
    channel: grpc.aio.Channel
    upstreams: Upstreams | None
    status: StatusPublisher | None
    schedules: Schedules

    async def close(self) -> None:
        """Release what `build` made (after the server stopped)."""
        await self.schedules.close()
        if self.status is not None:
            await self.status.stop()
        if self.upstreams is not None:
            await self.upstreams.aclose()
        await self.channel.close()
        await self.redis.aclose()
        await self.engine.dispose()


def migrate(settings: SyncSettings) -> None:
    """Bring the sync schema to the newest migration."""
    db.run_migrations(ALEMBIC_INI, settings.database_url, SCHEMA)


def build(
    settings: SyncSettings,
    *,
    address: str | None = None,
    upstream_settings: UpstreamSettings | None = None,
) -> SyncServer:
    """The server bound to `address` (default SYNC_ADDR; port 0 picks a free one).

    Without `upstream_settings` the server makes no upstream calls: search answers
    UNAVAILABLE and complete-shows fetches no setlists.
    """
    if not settings.redis_url:
        raise SystemExit("sync: REDIS_URL is required")
    engine = db.create_engine(settings.database_url, schema=SCHEMA)
    sessions = db.session_factory(engine)
    broker = create_broker(settings.redis_url)
    actors = declare_actors(broker, LazyRuntime(settings).get)
    # Each kind of job goes to its actor, whoever starts it (RPCs or the refresh schedule).
    jobs = Jobs(sessions, enqueue=actors.enqueue_import, enqueue_refresh=actors.enqueue_refresh)
    redis = connect_redis(settings.redis_url)
    channel = create_channel(settings.catalog_addr, token=settings.catalog_token(), timeout=30.0)
    catalog = CatalogClient(channel)
    # Same Redis as the workers: rate limits are shared with them.
    upstreams = build_upstreams(upstream_settings, redis) if upstream_settings else None
    board = StatusBoard(redis)
    status = StatusPublisher(board, upstreams) if upstreams else None
    maintenance = Maintenance(
        sessions,
        catalog,
        upstreams,
        jobs,
        redis,
        prune_after=dt.timedelta(days=settings.sync_prune_after_days),
        keep_per_artist=settings.sync_prune_keep_per_artist,
    )
    schedules = Schedules(sessions, redis, definitions(maintenance))
    servicer = SyncServicer(
        jobs,
        refreshes=Refreshes(jobs, catalog),
        search=UpstreamSearch(upstreams, catalog),
        status=board,
        own_status=status,
        schedules=schedules,
    )
    server, port, health = create_server(
        address or settings.sync_addr,
        domain="sync.mysetlist.app",
        services=[
            ServiceRegistration(
                SERVICE_NAME, sync_pb2_grpc.add_SyncServiceServicer_to_server, servicer
            )
        ],
        authenticator=Authenticator.from_settings(settings),
    )
    return SyncServer(
        server, port, health, engine, redis, actors, jobs, channel, upstreams, status, schedules
    )


async def run(settings: SyncSettings) -> None:
    """Serve until SIGTERM; NOT_SERVING while the database or Redis is unreachable."""
    configure_logging("sync", settings.log_level)
    shutdown_telemetry = configure_telemetry("sync")
    # Fails fast, naming the variable, when upstream credentials are missing.
    upstream_settings = load_settings(UpstreamSettings)  # type: ignore[type-var]
    app = build(settings, upstream_settings=upstream_settings)

    async def redis_ping() -> None:
        await app.redis.ping()

    app.health.watch({"database": lambda: db.ping(app.engine), "redis": redis_ping})
    if app.status is not None:
        app.status.start()
    scheduler = (
        asyncio.get_running_loop().create_task(
            app.schedules.loop(tick_s=settings.sync_scheduler_tick_seconds), name="scheduler"
        )
        if settings.sync_scheduler_enabled
        else None
    )

    async def close() -> None:
        if scheduler is not None:
            scheduler.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await scheduler
        await app.close()
        shutdown_telemetry()

    await serve(app.server, app.health, grace=settings.shutdown_grace_seconds, on_stop=[close])
