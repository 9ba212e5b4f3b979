"""Votes and the tally kept beside them."""

from __future__ import annotations

import uuid

from sqlalchemy import delete, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from services.catalog.models import SetlistSong, Vote, utcnow
from services.catalog.repository.base import insert


async def add(session: AsyncSession, user_id: str, setlist_song_id: uuid.UUID) -> bool:
    """Record the vote; False when the user had already voted."""
    result = await session.execute(
        insert(session, Vote)
        .values(user_id=user_id, setlist_song_id=setlist_song_id, created_at=utcnow())
        .on_conflict_do_nothing()
        .returning(Vote.user_id)
    )
    return result.first() is not None


async def remove(session: AsyncSession, user_id: str, setlist_song_id: uuid.UUID) -> bool:
    """Delete the vote; False when there was none."""
    result = await session.execute(
        delete(Vote)
        .where(Vote.user_id == user_id, Vote.setlist_song_id == setlist_song_id)
        .returning(Vote.user_id)
    )
    return result.first() is not None


async def move_tally(session: AsyncSession, setlist_song_id: uuid.UUID, delta: int) -> int:
    """Add delta to the song's tally under its row lock; returns the new tally."""
    return int(
        await session.scalar(
            update(SetlistSong)
            .where(SetlistSong.id == setlist_song_id)
            .values(upvotes=SetlistSong.upvotes + delta)
            .returning(SetlistSong.upvotes)
        )
    )


async def tally(session: AsyncSession, setlist_song_id: uuid.UUID) -> int:
    """The song's current tally."""
    return int(
        await session.scalar(select(SetlistSong.upvotes).where(SetlistSong.id == setlist_song_id))
        or 0
    )


async def has_voted(session: AsyncSession, user_id: str, setlist_song_id: uuid.UUID) -> bool:
    """Whether the user's vote stands."""
    return (
        await session.scalar(
            select(Vote.user_id).where(
                Vote.user_id == user_id, Vote.setlist_song_id == setlist_song_id
            )
        )
    ) is not None
