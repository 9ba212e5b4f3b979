"""Upstream fingerprints (ETag and content hash per upstream resource): SQL only, no commits."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from services.sync.models import UpstreamFingerprint
from shared.db import insert


async def get(session: AsyncSession, upstream: str, resource: str) -> UpstreamFingerprint | None:
    """The fingerprint stored for one resource, if any."""
    return await session.get(UpstreamFingerprint, (upstream, resource))


async def under(session: AsyncSession, upstream: str, prefix: str) -> list[UpstreamFingerprint]:
    """Every fingerprint of an upstream whose resource starts with `prefix`, by resource."""
    return list(
        await session.scalars(
            select(UpstreamFingerprint)
            .where(
                UpstreamFingerprint.upstream == upstream,
                UpstreamFingerprint.resource.startswith(prefix, autoescape=True),
            )
            .order_by(UpstreamFingerprint.resource)
        )
    )


async def upsert(session: AsyncSession, rows: Sequence[dict[str, Any]]) -> None:
    """Insert or replace fingerprints keyed on (upstream, resource), in one statement."""
    if not rows:
        return
    stmt = insert(session, UpstreamFingerprint).values(list(rows))
    stmt = stmt.on_conflict_do_update(
        index_elements=[UpstreamFingerprint.upstream, UpstreamFingerprint.resource],
        set_={name: stmt.excluded[name] for name in ("etag", "content_hash", "fetched_at")},
    )
    await session.execute(stmt)


async def delete_many(session: AsyncSession, upstream: str, resources: Collection[str]) -> int:
    """Forget fingerprints; how many there were."""
    if not resources:
        return 0
    result = await session.execute(
        delete(UpstreamFingerprint).where(
            UpstreamFingerprint.upstream == upstream,
            UpstreamFingerprint.resource.in_(list(resources)),
        )
    )
    return result.rowcount or 0
