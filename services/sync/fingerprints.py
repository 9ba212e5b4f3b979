"""What sync remembers of upstream answers (ETag and content hash), for incremental refresh.

Two kinds of resources share the upstream_fingerprint table:

- what the upstream clients fetched, keyed on the resource key of the GET
  (`/artists/{id}/albums?include_groups=album,single&limit=10&offset=10`): the ETag
  and the body's hash, recorded for every answer through the clients' EtagCache;
- what a stage derived, keyed on a `#name:id` resource (`#album:{id}`, the hash of
  an album as the artist's release list shows it; `#events:{attraction}`...).

Nothing is written while a job runs: a job's fingerprints collect in a batch bound
to the job's task (a context variable, so jobs sharing one worker's clients keep
apart) and are written after each stage that succeeded. A stored fingerprint thus
always describes data the catalog already holds; a job that dies mid-stage leaves
the old ones, and the next refresh sees the change again instead of skipping it.

Bodies are not kept: only a refresh makes conditional requests (passing `etag=`
itself), and it needs no body for a 304.
"""

from __future__ import annotations

import contextlib
import hashlib
import logging
from collections.abc import Collection, Iterator
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any

from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from services.sync.models import utcnow
from services.sync.repository import fingerprints as repo
from services.sync.upstreams import fingerprint

__all__ = ["Fingerprint", "Fingerprints", "UpstreamCache"]

log = logging.getLogger(__name__)

MAX_RESOURCE = 500  # upstream_fingerprint.resource
WRITE_CHUNK = 1_000


@dataclass(frozen=True, slots=True)
class Fingerprint:
    """An ETag (None when the upstream sends none) and a content hash."""

    etag: str | None
    content_hash: str


_Batch = dict[tuple[str, str], Fingerprint]
_batch: ContextVar[_Batch | None] = ContextVar("sync_fingerprint_batch", default=None)


def stored_resource(resource: str) -> str:
    """The resource as stored: long keys (batch GETs of many ids) end in a hash of the rest."""
    if len(resource) <= MAX_RESOURCE:
        return resource
    digest = hashlib.sha256(resource.encode()).hexdigest()
    return f"{resource[: MAX_RESOURCE - len(digest) - 1]}#{digest}"


class Fingerprints:
    """The fingerprint store over sync's database."""

    def __init__(self, sessions: async_sessionmaker[AsyncSession]) -> None:
        self._sessions = sessions

    def cache(self, upstream: str) -> UpstreamCache:
        """The EtagCache one upstream client records its answers through."""
        return UpstreamCache(self, upstream)

    # The running job's batch -------------------------------------------------

    @contextlib.contextmanager
    def batch(self) -> Iterator[None]:
        """Collect what the current task records until `flush`; unflushed entries are dropped."""
        token = _batch.set({})
        try:
            yield
        finally:
            _batch.reset(token)

    def record(
        self, upstream: str, resource: str, content_hash: str, etag: str | None = None
    ) -> None:
        """Note a fingerprint for the next `flush`; outside a batch nothing is kept."""
        pending = _batch.get()
        if pending is not None:
            pending[(upstream, stored_resource(resource))] = Fingerprint(etag, content_hash)

    def pending(self, upstream: str, resource: str) -> Fingerprint | None:
        """What this job recorded for a resource and has not written yet."""
        pending = _batch.get()
        return pending.get((upstream, stored_resource(resource))) if pending else None

    async def flush(self) -> int:
        """Write the batch (after a stage succeeded); how many fingerprints were written.

        A failed write is logged, not raised: fingerprints only save work, and the next
        refresh redoes what they would have let it skip.
        """
        pending = _batch.get()
        if not pending:
            return 0
        now = utcnow()
        rows = [
            {
                "upstream": upstream,
                "resource": resource,
                "etag": f.etag[:200] if f.etag else None,
                "content_hash": f.content_hash,
                "fetched_at": now,
            }
            for (upstream, resource), f in sorted(pending.items())
        ]
        pending.clear()
        try:
            async with self._sessions.begin() as session:
                for start in range(0, len(rows), WRITE_CHUNK):
                    await repo.upsert(session, rows[start : start + WRITE_CHUNK])
        except SQLAlchemyError:
            log.warning("upstream fingerprints not stored", exc_info=True)
            return 0
        return len(rows)

    # Stored fingerprints -------------------------------------------------------

    async def get(self, upstream: str, resource: str) -> Fingerprint | None:
        """The stored fingerprint of a resource (what the catalog was last brought up to)."""
        async with self._sessions() as session:
            row = await repo.get(session, upstream, stored_resource(resource))
        return Fingerprint(row.etag, row.content_hash) if row is not None else None

    async def under(self, upstream: str, prefix: str) -> dict[str, Fingerprint]:
        """Stored fingerprints of every resource starting with `prefix`."""
        async with self._sessions() as session:
            rows = await repo.under(session, upstream, prefix)
        return {r.resource: Fingerprint(r.etag, r.content_hash) for r in rows}

    async def forget(self, upstream: str, resources: Collection[str]) -> int:
        """Delete stored fingerprints (resources that no longer exist upstream)."""
        async with self._sessions.begin() as session:
            return await repo.delete_many(
                session, upstream, [stored_resource(r) for r in resources]
            )


class UpstreamCache:
    """One client's EtagCache: records each answer's ETag and body hash in the job's batch."""

    def __init__(self, store: Fingerprints, upstream: str) -> None:
        self._store = store
        self._upstream = upstream

    def get(self, key: str) -> tuple[str, Any] | None:
        # No bodies are kept, so no request becomes conditional behind its caller's back.
        return None

    def put(self, key: str, etag: str | None, data: Any) -> None:
        self._store.record(self._upstream, key, fingerprint(data), etag)
