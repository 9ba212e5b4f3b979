"""Venues: lookups, filtered keyset listing and batch writes."""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Sequence
from typing import Any

from sqlalchemy import func, insert, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from services.catalog.models import Venue, utcnow
from services.catalog.repository.base import after_key, any_of, as_uuid


async def get_by_ref(session: AsyncSession, ref: str) -> Venue | None:
    """The venue with this id or slug."""
    venue_id = as_uuid(ref)
    if venue_id is not None:
        return await session.get(Venue, venue_id)
    return await session.scalar(select(Venue).where(Venue.slug == ref))


async def list_page(
    session: AsyncSession,
    *,
    country_code: str | None,
    city: str | None,
    after: Sequence[str] | None,
    limit: int,
) -> list[Venue]:
    """Venues ordered by (name, id), optionally in one country or city."""
    query = select(Venue).order_by(Venue.name, Venue.id).limit(limit)
    if after is not None:
        query = query.where(after_key((Venue.name, Venue.id), (after[0], uuid.UUID(after[1]))))
    if country_code:
        query = query.where(Venue.country_code == country_code.upper())
    if city:
        query = query.where(func.lower(Venue.city) == city.lower())
    return list(await session.scalars(query))


def page_key(venue: Venue) -> list[str]:
    """The keyset key of a venue in list order."""
    return [venue.name, str(venue.id)]


async def by_upstream_ids(
    session: AsyncSession, ticketmaster_ids: Iterable[str], setlistfm_ids: Iterable[str]
) -> list[Venue]:
    """Existing venues holding any of these upstream ids."""
    tm, fm = set(ticketmaster_ids), set(setlistfm_ids)
    clause = any_of(
        Venue.ticketmaster_id.in_(tm) if tm else None,
        Venue.setlistfm_id.in_(fm) if fm else None,
    )
    return list(await session.scalars(select(Venue).where(clause)))


async def insert_many(session: AsyncSession, rows: Sequence[dict[str, Any]]) -> None:
    """Create venues (rows carry their id and slug) in one statement."""
    if rows:
        await session.execute(insert(Venue), list(rows))


async def update_many(session: AsyncSession, rows: Sequence[dict[str, Any]]) -> None:
    """Update venues by id (ORM bulk UPDATE: one executemany)."""
    if rows:
        await session.execute(update(Venue), [dict(r, updated_at=utcnow()) for r in rows])


async def get_many(session: AsyncSession, ids: Iterable[uuid.UUID]) -> dict[uuid.UUID, Venue]:
    """Venues by id."""
    wanted = set(ids)
    if not wanted:
        return {}
    return {v.id: v for v in await session.scalars(select(Venue).where(Venue.id.in_(wanted)))}
