"""Votes and the tally kept beside them, written a batch at a time."""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Mapping

from sqlalchemy import case, delete, select, tuple_, update
from sqlalchemy.ext.asyncio import AsyncSession

from services.catalog.models import SetlistSong, Vote, utcnow
from services.catalog.repository.base import insert

Pair = tuple[str, uuid.UUID]  # (user id, setlist song id)


async def standing(session: AsyncSession, pairs: Iterable[Pair]) -> set[Pair]:
    """Which of these (user, setlist song) votes exist."""
    wanted = set(pairs)
    if not wanted:
        return set()
    rows = await session.execute(
        select(Vote.user_id, Vote.setlist_song_id).where(
            tuple_(Vote.user_id, Vote.setlist_song_id).in_(sorted(wanted))
        )
    )
    return {(user_id, song_id) for user_id, song_id in rows}


async def add(session: AsyncSession, pairs: Iterable[Pair]) -> None:
    """Record votes (one round trip).

    Executemany form rather than one multi-row VALUES: the statement compiles once
    and stays in SQLAlchemy's cache whatever the batch size.
    """
    now = utcnow()
    values = [{"user_id": u, "setlist_song_id": s, "created_at": now} for u, s in sorted(pairs)]
    if values:
        await session.execute(insert(session, Vote).on_conflict_do_nothing(), values)


async def remove(session: AsyncSession, pairs: Iterable[Pair]) -> None:
    """Delete votes (one statement)."""
    wanted = sorted(pairs)
    if wanted:
        await session.execute(
            delete(Vote).where(tuple_(Vote.user_id, Vote.setlist_song_id).in_(wanted))
        )


async def move_tallies(
    session: AsyncSession, deltas: Mapping[uuid.UUID, int]
) -> dict[uuid.UUID, int]:
    """Add each delta to its song's tally; returns every given song's new tally.

    One UPDATE for the whole batch. The rows are already locked (by
    `setlists.lock_vote_targets`), so the order of the update does not matter.
    """
    moved = {song_id: delta for song_id, delta in deltas.items() if delta}
    tallies: dict[uuid.UUID, int] = {}
    if moved:
        table = SetlistSong.__table__
        # Core, not ORM: no session objects to synchronise, and the statement is cached
        # per batch size (the CASE has one branch per song).
        rows = await session.execute(
            update(table)
            .where(table.c.id.in_(list(moved)))
            .values(upvotes=table.c.upvotes + case(moved, value=table.c.id, else_=0))
            .returning(table.c.id, table.c.upvotes)
        )
        tallies.update({song_id: int(upvotes) for song_id, upvotes in rows})
    unchanged = [s for s in deltas if s not in tallies]
    if unchanged:
        rows = await session.execute(
            select(SetlistSong.id, SetlistSong.upvotes).where(SetlistSong.id.in_(unchanged))
        )
        tallies.update({song_id: int(upvotes) for song_id, upvotes in rows})
    return tallies
