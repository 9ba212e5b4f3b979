"""Build and run the catalog's gRPC server."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from pathlib import Path

import grpc
from mysetlist.catalog.v1 import catalog_pb2, catalog_pb2_grpc
from sqlalchemy.ext.asyncio import AsyncEngine

from services.catalog.domain.catalog import Catalog
from services.catalog.models import SCHEMA
from services.catalog.servicer import CatalogServicer
from services.catalog.settings import CatalogSettings
from shared import db
from shared.auth import Authenticator
from shared.grpc.server import HealthState, ServiceRegistration, create_server, serve
from shared.logging import configure_logging
from shared.telemetry import configure_telemetry

SERVICE_NAME = catalog_pb2.DESCRIPTOR.services_by_name["CatalogService"].full_name
ALEMBIC_INI = Path(__file__).with_name("alembic.ini")


@dataclass
class CatalogServer:
    """A built, not yet started, catalog server and what it owns."""

    server: grpc.aio.Server
    port: int
    health: HealthState
    engine: AsyncEngine
    catalog: Catalog


def migrate(settings: CatalogSettings) -> None:
    """Bring the catalog schema to the newest migration."""
    db.run_migrations(ALEMBIC_INI, settings.database_url, SCHEMA)


def build(settings: CatalogSettings, *, address: str | None = None) -> CatalogServer:
    """The server bound to `address` (default CATALOG_ADDR; port 0 picks a free one)."""
    engine = db.create_engine(settings.database_url, schema=SCHEMA)
    catalog = Catalog(db.session_factory(engine), cache_ttl=settings.catalog_cache_ttl_seconds)
    server, port, health = create_server(
        address or settings.catalog_addr,
        domain="catalog.mysetlist.app",
        services=[
            ServiceRegistration(
                SERVICE_NAME,
                catalog_pb2_grpc.add_CatalogServiceServicer_to_server,
                CatalogServicer(catalog),
            )
        ],
        authenticator=Authenticator.from_settings(settings),
    )
    return CatalogServer(server, port, health, engine, catalog)


async def run(settings: CatalogSettings) -> None:
    """Serve until SIGTERM, reporting NOT_SERVING while the database is unreachable."""
    configure_logging("catalog", settings.log_level)
    shutdown_telemetry = configure_telemetry("catalog")
    app = build(settings)
    app.health.watch({"database": lambda: db.ping(app.engine)})
    invalidation = asyncio.create_task(app.catalog.follow_changes(), name="cache-invalidation")

    async def close() -> None:
        invalidation.cancel()
        await asyncio.gather(invalidation, return_exceptions=True)
        await app.engine.dispose()
        shutdown_telemetry()

    await serve(app.server, app.health, grace=settings.shutdown_grace_seconds, on_stop=[close])
