"""A real catalog server on a random loopback port, over a freshly migrated PostgreSQL database."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass

import grpc
import pytest
from mysetlist.catalog.v1 import catalog_pb2_grpc

from services.catalog import server as catalog_server
from services.catalog.settings import CatalogSettings
from shared.auth import Role, mint_token
from shared.grpc.channel import create_channel
from tests.catalog.builders import World
from tests.support.servers import drop_database, fresh_database

SECRET = "catalog-test-secret-of-at-least-32-bytes"


@pytest.fixture(scope="session")
def catalog_settings(postgres_url: str) -> Iterator[CatalogSettings]:
    """Settings for a catalog on its own migrated database."""
    url = fresh_database(postgres_url, "catalog_api")
    settings = CatalogSettings(
        database_url=url, environment="test", auth_jwt_secret=SECRET, catalog_cache_ttl_seconds=0
    )
    catalog_server.migrate(settings)
    yield settings
    drop_database(url)


@pytest.fixture(scope="session")
async def catalog(catalog_settings: CatalogSettings) -> AsyncIterator[catalog_server.CatalogServer]:
    """The running catalog server."""
    app = catalog_server.build(catalog_settings, address="127.0.0.1:0")
    await app.server.start()
    await app.health.set_serving(True)
    yield app
    await app.server.stop(0)
    await app.engine.dispose()


@dataclass
class Clients:
    """Catalog stubs for each kind of caller."""

    target: str
    _channels: list[grpc.aio.Channel]

    def _stub(self, token: str | None) -> catalog_pb2_grpc.CatalogServiceStub:
        channel = create_channel(self.target, token=token)
        self._channels.append(channel)
        return catalog_pb2_grpc.CatalogServiceStub(channel)

    def anonymous(self) -> catalog_pb2_grpc.CatalogServiceStub:
        return self._stub(None)

    def user(self, subject: str | None = None) -> catalog_pb2_grpc.CatalogServiceStub:
        return self._stub(token(subject or f"user-{uuid.uuid4().hex[:8]}", Role.USER))

    def admin(self) -> catalog_pb2_grpc.CatalogServiceStub:
        return self._stub(token("admin-1", Role.ADMIN))

    def service(self) -> catalog_pb2_grpc.CatalogServiceStub:
        return self._stub(token("sync", Role.SERVICE))

    async def close(self) -> None:
        for channel in self._channels:
            await channel.close()


def token(subject: str, *roles: Role) -> str:
    """A bearer token the test catalog accepts."""
    return mint_token(SECRET, subject, roles)


@pytest.fixture
async def clients(catalog: catalog_server.CatalogServer) -> AsyncIterator[Clients]:
    """Stubs for anonymous, user, admin and service callers (closed after the test)."""
    made = Clients(f"127.0.0.1:{catalog.port}", [])
    yield made
    await made.close()


@pytest.fixture
async def world(clients: Clients) -> World:
    """Builds catalog data through the internal RPCs, with unique upstream ids per test."""
    return World(clients.service())
