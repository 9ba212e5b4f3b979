"""Catalog settings, read once from the environment."""

from __future__ import annotations

from typing import ClassVar

from pydantic import Field

from shared.settings import ServiceSettings


class CatalogSettings(ServiceSettings):
    service_name: ClassVar[str] = "catalog"

    # The embedded default: a SQLite file beside the checkout (see `make run`).
    database_url: str = "sqlite+aiosqlite:///.data/catalog.db"
    catalog_addr: str = "127.0.0.1:50051"
    # How long GetArtist/GetShow answers may be served from memory (0: no cache).
    # Writes drop entries at once on every replica through the change feed; the
    # TTL only bounds what a replica cut off from the feed could miss.
    catalog_cache_ttl_seconds: float = Field(default=60.0, ge=0)
