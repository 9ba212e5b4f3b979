"""A whole import on real parts: a catalog server on port 0 over its own migrated PostgreSQL
database, the sync job store on another, the fake upstreams with the demo dataset, and the
upstream clients paced by Redis limiters. `run_import` runs directly (no Dramatiq).

Each test gets fresh databases cloned from migrated templates (a clone costs far less
than a migration), so imports never see each other's rows.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from contextlib import AsyncExitStack
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
from redis.asyncio import Redis

from fakes import FakeUpstreams, Limit
from fakes.dataset import Dataset
from fakes.setlistfm import SetlistFmConfig
from fakes.spotify import SpotifyConfig
from fakes.ticketmaster import TicketmasterConfig
from services.catalog import server as catalog_server
from services.catalog.settings import CatalogSettings
from services.sync.catalog import CatalogClient
from services.sync.domain.jobs import Jobs
from services.sync.fingerprints import Fingerprints
from services.sync.models import SCHEMA, ImportJob, JobKind
from services.sync.pipeline.context import ImportContext
from services.sync.pipeline.lease import JobLeases
from services.sync.pipeline.run import run_import, run_refresh
from services.sync.upstreams import RedisRateLimiter, Upstreams, UpstreamSettings, build_upstreams
from shared import db
from shared.auth import Role, mint_token
from shared.grpc.channel import create_channel
from tests.support.servers import _admin, drop_database, fresh_database, with_database

SECRET = "pipeline-test-secret-of-at-least-32-bytes"
SYNC_ALEMBIC_INI = "services/sync/alembic.ini"
EXPECTED = Path(__file__).resolve().parents[3] / "fakes" / "data" / "demo" / "expected.json"

# The fakes' limits, sped up from the real ones (Spotify's unpublished window raised,
# Ticketmaster 5/s and setlist.fm 2/s quickened) so the folder runs in under a minute;
# the clients are configured to the same limits, so a 429 means the pacing is wrong.
SPOTIFY_LIMIT = (2000, 30.0)
TICKETMASTER_LIMIT = (25, 1.0)
SETLISTFM_LIMIT = (10, 1.0)


@pytest.fixture(scope="session")
def expected() -> dict[str, dict[str, Any]]:
    """What a correct import of each demo artist yields (fakes/data/demo/expected.json)."""
    return json.loads(EXPECTED.read_text())


@pytest.fixture(scope="session")
def demo() -> Dataset:
    return Dataset.demo()


@dataclass(frozen=True)
class Templates:
    catalog: str
    sync: str


@pytest.fixture(scope="session")
def templates(postgres_url: str) -> Iterator[Templates]:
    """Migrated catalog and sync databases that each test clones."""
    catalog_url = fresh_database(postgres_url, "pipeline_catalog_tmpl")
    catalog_server.migrate(_catalog_settings(catalog_url))
    sync_url = fresh_database(postgres_url, "pipeline_sync_tmpl")
    db.run_migrations(SYNC_ALEMBIC_INI, sync_url, SCHEMA)
    yield Templates(catalog_url, sync_url)
    drop_database(catalog_url)
    drop_database(sync_url)


def _catalog_settings(url: str) -> CatalogSettings:
    return CatalogSettings(
        database_url=url, environment="test", auth_jwt_secret=SECRET, catalog_cache_ttl_seconds=0
    )


async def _clone(template_url: str) -> str:
    template = urlsplit(template_url).path.lstrip("/")
    name = f"{template.removesuffix('_tmpl')[:30]}_{uuid.uuid4().hex[:10]}"
    await _admin(
        with_database(template_url, "postgres"), f'CREATE DATABASE "{name}" TEMPLATE "{template}"'
    )
    return with_database(template_url, name)


@dataclass
class Pipeline:
    """One isolated world: catalog, job store, fakes and clients; `start` + `run` an import."""

    catalog: CatalogClient
    jobs: Jobs
    fakes: FakeUpstreams
    upstreams: Upstreams
    catalog_url: str
    sync_sessions: Any
    queued: list[uuid.UUID] = field(default_factory=list)
    # As the worker wires them: every answer's ETag and content hash are stored.
    fingerprints: Fingerprints | None = None
    catalog_addr: str = ""
    sync_url: str = ""
    # As the worker wires them: one run of a job at a time.
    leases: JobLeases | None = None

    def context(self, job_id: uuid.UUID, *, setlist_pages: int = 3) -> ImportContext:
        return ImportContext(
            job_id=job_id,
            jobs=self.jobs,
            upstreams=self.upstreams,
            catalog=self.catalog,
            setlist_pages=setlist_pages,
            fingerprints=self.fingerprints,
            leases=self.leases,
        )

    async def refresh(self, artist_id: uuid.UUID) -> ImportJob:
        """Start and run a refresh job for a catalog artist (as the refresh actor does)."""
        job, _ = await self.jobs.start(str(artist_id), kind=JobKind.REFRESH, artist_id=artist_id)
        await run_refresh(self.context(job.id))
        return await self.jobs.get(job.id)

    async def start(self, reference: str) -> ImportJob:
        job, _ = await self.jobs.start(reference)
        return job

    async def run(self, job_id: uuid.UUID, *, setlist_pages: int = 3) -> ImportJob:
        await run_import(self.context(job_id, setlist_pages=setlist_pages))
        return await self.jobs.get(job_id)

    async def import_artist(self, reference: str, *, setlist_pages: int = 3) -> ImportJob:
        job = await self.start(reference)
        return await self.run(job.id, setlist_pages=setlist_pages)


MakePipeline = Callable[..., Awaitable[Pipeline]]


@pytest.fixture
async def make_pipeline(
    templates: Templates, redis_url: str, demo: Dataset
) -> AsyncIterator[MakePipeline]:
    """Builds isolated pipelines (several per test when a test compares two worlds)."""
    async with AsyncExitStack() as stack:
        redis = Redis.from_url(redis_url)
        stack.push_async_callback(redis.aclose)

        async def make(
            *, mode: str = "extended", dataset: Dataset | None = None, retry_attempts: int = 3
        ) -> Pipeline:
            catalog_url = await _clone(templates.catalog)
            stack.callback(drop_database, catalog_url)
            app = catalog_server.build(_catalog_settings(catalog_url), address="127.0.0.1:0")
            await app.server.start()
            await app.health.set_serving(True)
            stack.push_async_callback(app.engine.dispose)
            stack.push_async_callback(app.server.stop, 0)
            token = mint_token(SECRET, "sync", [Role.SERVICE])
            channel = create_channel(f"127.0.0.1:{app.port}", token=token, timeout=30.0)
            stack.push_async_callback(channel.close)

            sync_url = await _clone(templates.sync)
            stack.callback(drop_database, sync_url)
            engine = db.create_engine(sync_url, schema=SCHEMA)
            stack.push_async_callback(engine.dispose)
            sessions = db.session_factory(engine)

            fakes = FakeUpstreams(
                dataset or demo,
                spotify=SpotifyConfig(mode=mode, rate_limit=Limit(*SPOTIFY_LIMIT)),  # type: ignore[arg-type]
                ticketmaster=TicketmasterConfig(
                    per_second=Limit(*TICKETMASTER_LIMIT), per_day=Limit.off()
                ),
                setlistfm=SetlistFmConfig(per_second=Limit(*SETLISTFM_LIMIT), per_day=Limit.off()),
            )
            await stack.enter_async_context(fakes)
            env = {name.lower(): value for name, value in fakes.env().items()}
            settings = UpstreamSettings(
                **env,
                spotify_rate_limit="{}/{}s".format(*SPOTIFY_LIMIT),
                ticketmaster_rate_limit="{}/{}s".format(*TICKETMASTER_LIMIT),
                setlistfm_rate_limit="{}/{}s".format(*SETLISTFM_LIMIT),
                upstream_timeout_seconds=5.0,
                upstream_retry_attempts=retry_attempts,
                upstream_retry_base_delay_seconds=0.01,
                upstream_retry_max_delay_seconds=0.05,
                upstream_retry_max_sleep_seconds=5.0,
            )
            upstreams = build_upstreams(settings, redis)
            fingerprints = Fingerprints(sessions)
            for client in upstreams.clients:
                client.etag_cache = fingerprints.cache(client.name)
            prefix = f"test:{uuid.uuid4().hex}"  # limiter state of this world only
            for client in (upstreams.spotify, upstreams.ticketmaster, upstreams.setlistfm):
                config = client.config
                client.limiter = RedisRateLimiter(
                    redis, config.name, config.windows, config.rate_margin_s, prefix=prefix
                )
                # The fakes send no Retry-After for bare 429s: retry quickly in tests.
            stack.push_async_callback(upstreams.aclose)
            pipeline = Pipeline(
                CatalogClient(channel),
                Jobs(sessions, enqueue=lambda _: None, poll_interval=0.02),
                fakes,
                upstreams,
                catalog_url,
                sessions,
                fingerprints=fingerprints,
                catalog_addr=f"127.0.0.1:{app.port}",
                sync_url=sync_url,
                leases=JobLeases(redis),
            )
            return pipeline

        yield make


@pytest.fixture
async def pipeline(make_pipeline: MakePipeline) -> Pipeline:
    """One pipeline in Spotify's extended mode."""
    return await make_pipeline()
