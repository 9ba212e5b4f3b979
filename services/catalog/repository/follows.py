"""Follows: which users follow which artists."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Sequence

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from services.catalog.models import Artist, Follow, utcnow
from services.catalog.repository.base import after_key, insert


async def add(session: AsyncSession, user_id: str, artist_id: uuid.UUID) -> bool:
    """Record the follow; False when it already stood."""
    result = await session.execute(
        insert(session, Follow)
        .values(user_id=user_id, artist_id=artist_id, created_at=utcnow())
        .on_conflict_do_nothing()
        .returning(Follow.user_id)
    )
    return result.first() is not None


async def remove(session: AsyncSession, user_id: str, artist_id: uuid.UUID) -> bool:
    """Delete the follow; False when there was none."""
    result = await session.execute(
        delete(Follow)
        .where(Follow.user_id == user_id, Follow.artist_id == artist_id)
        .returning(Follow.user_id)
    )
    return result.first() is not None


async def list_page(
    session: AsyncSession, user_id: str, *, after: Sequence[str] | None, limit: int
) -> list[tuple[Artist, dt.datetime]]:
    """The user's followed artists, most recent first, with when they were followed."""
    key = None if after is None else (dt.datetime.fromisoformat(after[0]), uuid.UUID(after[1]))
    rows = await session.execute(
        select(Artist, Follow.created_at)
        .join(Follow, Follow.artist_id == Artist.id)
        .where(Follow.user_id == user_id)
        .where(after_key((Follow.created_at, Follow.artist_id), key, descending=True))
        .order_by(Follow.created_at.desc(), Follow.artist_id.desc())
        .limit(limit)
    )
    return [(artist, followed_at) for artist, followed_at in rows]


def page_key(artist: Artist, followed_at: dt.datetime) -> list[str]:
    """The keyset key of a followed artist in list order."""
    return [followed_at.isoformat(), str(artist.id)]
