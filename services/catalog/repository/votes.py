"""Votes and the tally kept beside them, written a batch at a time.

These statements run in every vote batch, so they are built once, at import:
building a SELECT or UPDATE and computing its cache key costs SQLAlchemy more
CPU than PostgreSQL spends running it. The lists vary per batch through
expanding bind parameters and executemany, never through the statement.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Mapping

from sqlalchemy import bindparam, delete, select, tuple_, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession

from services.catalog.models import SetlistSong, Vote, utcnow
from services.catalog.repository.base import dialect

Pair = tuple[str, uuid.UUID]  # (user id, setlist song id)

_vote = Vote.__table__
_setlist_song = SetlistSong.__table__

_STANDING = select(_vote.c.user_id, _vote.c.setlist_song_id).where(
    tuple_(_vote.c.user_id, _vote.c.setlist_song_id).in_(bindparam("pairs", expanding=True))
)
_REMOVE = delete(_vote).where(
    tuple_(_vote.c.user_id, _vote.c.setlist_song_id).in_(bindparam("pairs", expanding=True))
)
_ADD = {
    "postgresql": postgresql.insert(_vote).on_conflict_do_nothing(),
    "sqlite": sqlite.insert(_vote).on_conflict_do_nothing(),
}
_MOVE_TALLY = (
    update(_setlist_song)
    .where(_setlist_song.c.id == bindparam("b_song_id"))
    .values(upvotes=_setlist_song.c.upvotes + bindparam("delta"))
)


async def standing(session: AsyncSession, pairs: Iterable[Pair]) -> set[Pair]:
    """Which of these (user, setlist song) votes exist."""
    wanted = sorted(set(pairs))
    if not wanted:
        return set()
    rows = await session.execute(_STANDING, {"pairs": wanted})
    return {(user_id, song_id) for user_id, song_id in rows}


async def add(session: AsyncSession, pairs: Iterable[Pair]) -> None:
    """Record votes (one round trip)."""
    now = utcnow()
    values = [{"user_id": u, "setlist_song_id": s, "created_at": now} for u, s in sorted(pairs)]
    if values:
        await session.execute(_ADD[dialect(session)], values)


async def remove(session: AsyncSession, pairs: Iterable[Pair]) -> None:
    """Delete votes (one statement)."""
    wanted = sorted(pairs)
    if wanted:
        await session.execute(_REMOVE, {"pairs": wanted})


async def move_tallies(session: AsyncSession, deltas: Mapping[uuid.UUID, int]) -> None:
    """Add each (non-zero) delta to its song's tally, in one round trip (executemany).

    The caller holds the rows' locks (`setlists.lock_vote_targets`) and so knows the
    tallies before the change: it adds the deltas itself instead of reading them back.
    """
    moved = [{"b_song_id": song_id, "delta": delta} for song_id, delta in deltas.items() if delta]
    if moved:
        await session.execute(_MOVE_TALLY, moved)
