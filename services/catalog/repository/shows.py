"""Shows and their bills (the artists playing them)."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import delete, insert, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from services.catalog.models import Show, ShowArtist, ShowStatus, utcnow
from services.catalog.repository.base import after_key, any_of, as_uuid


@dataclass(frozen=True)
class ShowFilter:
    """ListShows filters; None means no constraint."""

    artist_id: uuid.UUID | None = None
    venue_id: uuid.UUID | None = None
    status: ShowStatus | None = None
    start_date: dt.date | None = None
    end_date: dt.date | None = None


async def get_by_ref(session: AsyncSession, ref: str) -> Show | None:
    """The show with this id or slug."""
    show_id = as_uuid(ref)
    if show_id is not None:
        return await session.get(Show, show_id)
    return await session.scalar(select(Show).where(Show.slug == ref))


async def list_page(
    session: AsyncSession, where: ShowFilter, *, after: Sequence[str] | None, limit: int
) -> list[Show]:
    """Shows ordered by (local date, id), filtered."""
    query = select(Show).order_by(Show.local_date, Show.id).limit(limit)
    if after is not None:
        key = (dt.date.fromisoformat(after[0]), uuid.UUID(after[1]))
        query = query.where(after_key((Show.local_date, Show.id), key))
    if where.artist_id is not None:
        query = query.where(
            select(ShowArtist.show_id)
            .where(ShowArtist.show_id == Show.id, ShowArtist.artist_id == where.artist_id)
            .exists()
        )
    if where.venue_id is not None:
        query = query.where(Show.venue_id == where.venue_id)
    if where.status is not None:
        query = query.where(Show.status == where.status)
    if where.start_date is not None:
        query = query.where(Show.local_date >= where.start_date)
    if where.end_date is not None:
        query = query.where(Show.local_date <= where.end_date)
    return list(await session.scalars(query))


def page_key(show: Show) -> list[str]:
    """The keyset key of a show in list order."""
    return [show.local_date.isoformat(), str(show.id)]


async def by_keys(session: AsyncSession, keys: Iterable[str]) -> dict[str, Show]:
    """Existing shows by upstream key: "tm:<Ticketmaster id>" or "fm:<setlist.fm id>"."""
    wanted = set(keys)
    tm = {k[3:] for k in wanted if k.startswith("tm:")}
    fm = {k[3:] for k in wanted if k.startswith("fm:")}
    clause = any_of(
        Show.ticketmaster_id.in_(tm) if tm else None,
        Show.setlistfm_id.in_(fm) if fm else None,
    )
    found: dict[str, Show] = {}
    for show in await session.scalars(select(Show).where(clause)):
        if show.ticketmaster_id and f"tm:{show.ticketmaster_id}" in wanted:
            found[f"tm:{show.ticketmaster_id}"] = show
        if show.setlistfm_id and f"fm:{show.setlistfm_id}" in wanted:
            found[f"fm:{show.setlistfm_id}"] = show
    return found


async def insert_many(session: AsyncSession, rows: Sequence[dict[str, Any]]) -> None:
    """Create shows (rows carry their id and slug) in one statement."""
    if rows:
        await session.execute(insert(Show), list(rows))


async def update_many(session: AsyncSession, rows: Sequence[dict[str, Any]]) -> None:
    """Update shows by id (one executemany)."""
    if rows:
        await session.execute(update(Show), [dict(r, updated_at=utcnow()) for r in rows])


async def bills(
    session: AsyncSession, show_ids: Iterable[uuid.UUID]
) -> dict[uuid.UUID, list[uuid.UUID]]:
    """Artist ids on each show's bill, headliner first."""
    wanted = set(show_ids)
    result: dict[uuid.UUID, list[uuid.UUID]] = {s: [] for s in wanted}
    if not wanted:
        return result
    rows = await session.execute(
        select(ShowArtist.show_id, ShowArtist.artist_id)
        .where(ShowArtist.show_id.in_(wanted))
        .order_by(ShowArtist.show_id, ShowArtist.position)
    )
    for show_id, artist_id in rows:
        result[show_id].append(artist_id)
    return result


async def replace_bills(
    session: AsyncSession, bills_by_show: dict[uuid.UUID, Sequence[uuid.UUID]]
) -> None:
    """Set the bills of these shows (two statements for the whole batch)."""
    if not bills_by_show:
        return
    await session.execute(delete(ShowArtist).where(ShowArtist.show_id.in_(set(bills_by_show))))
    rows = [
        {"show_id": show_id, "artist_id": artist_id, "position": position}
        for show_id, artist_ids in bills_by_show.items()
        for position, artist_id in enumerate(artist_ids)
    ]
    if rows:
        await session.execute(insert(ShowArtist), rows)


async def get(session: AsyncSession, show_id: uuid.UUID) -> Show | None:
    """The show with this id."""
    return await session.get(Show, show_id)
