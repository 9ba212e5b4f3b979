"""Sync settings, read once from the environment (upstream ones: services.sync.upstreams.config)."""

from __future__ import annotations

import datetime as dt
from typing import ClassVar

from pydantic import Field, SecretStr

from shared.auth import Role, mint_token
from shared.settings import ServiceSettings


class SyncSettings(ServiceSettings):
    service_name: ClassVar[str] = "sync"

    database_url: str = "sqlite+aiosqlite:///.data/sync.db"
    redis_url: str | None = "redis://127.0.0.1:6379/0"
    sync_addr: str = "127.0.0.1:50052"
    catalog_addr: str = "127.0.0.1:50051"
    # The bearer token sync presents to catalog's internal methods. When unset,
    # sync signs its own service token with AUTH_JWT_SECRET (HS256 deployments).
    sync_service_token: SecretStr | None = None
    sync_worker_threads: int = Field(default=4, ge=1)
    # Dramatiq redelivers a dead worker's messages after this long without a heartbeat.
    sync_heartbeat_timeout_ms: int = Field(default=60_000, ge=1_000)
    # Chance, per 1,000,000 Redis commands, that a worker requeues dead workers'
    # messages (1_000_000: on every command).
    sync_maintenance_chance: int = Field(default=1_000, ge=1, le=1_000_000)
    sync_import_time_limit_seconds: float = Field(default=3_600, gt=0)
    # How many setlist.fm pages (20 setlists each, newest first) an import reads.
    sync_setlist_pages: int = Field(default=2, ge=1, le=20)
    # Maintenance schedules: every server checks for due ones; a Redis lock runs each once.
    sync_scheduler_enabled: bool = True
    sync_scheduler_tick_seconds: float = Field(default=30.0, gt=0)
    sync_prune_after_days: int = Field(default=30, ge=1)
    sync_prune_keep_per_artist: int = Field(default=5, ge=0)

    def catalog_token(self) -> str:
        """The service token for catalog calls."""
        if self.sync_service_token is not None:
            return self.sync_service_token.get_secret_value()
        secret = self.jwt_secret()
        if secret is None:
            raise RuntimeError("set SYNC_SERVICE_TOKEN (or AUTH_JWT_SECRET) for catalog calls")
        return mint_token(secret, "sync", [Role.SERVICE], ttl=dt.timedelta(days=365))
