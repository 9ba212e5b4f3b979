"""Setlists and their songs."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import bindparam, delete, func, insert, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from services.catalog.models import (
    Setlist,
    SetlistKind,
    SetlistSong,
    Show,
    ShowStatus,
    Song,
    utcnow,
)
from services.catalog.repository.base import insert as upsert_insert


@dataclass(frozen=True)
class Entry:
    """A setlist song with its song's title, as read for display."""

    row: SetlistSong
    title: str


async def get(
    session: AsyncSession, setlist_id: uuid.UUID, *, for_update: bool = False
) -> Setlist | None:
    """The setlist; with for_update, its row is locked until commit (serialises additions)."""
    query = select(Setlist).where(Setlist.id == setlist_id)
    if for_update:
        query = query.with_for_update()
    return await session.scalar(query)


async def find(
    session: AsyncSession, show_id: uuid.UUID, artist_id: uuid.UUID, kind: SetlistKind
) -> Setlist | None:
    """The setlist of this artist at this show, of this kind."""
    return await session.scalar(
        select(Setlist).where(
            Setlist.show_id == show_id, Setlist.artist_id == artist_id, Setlist.kind == kind
        )
    )


async def ensure(
    session: AsyncSession,
    *,
    show_id: uuid.UUID,
    artist_id: uuid.UUID,
    kind: SetlistKind,
    source: str,
) -> Setlist:
    """The setlist, created if missing; safe against a concurrent creator."""
    await session.execute(
        upsert_insert(session, Setlist)
        .values(
            id=uuid.uuid4(),
            show_id=show_id,
            artist_id=artist_id,
            kind=kind,
            source=source,
            locked=False,
            created_at=utcnow(),
            updated_at=utcnow(),
        )
        .on_conflict_do_nothing(index_elements=[Setlist.show_id, Setlist.artist_id, Setlist.kind])
    )
    setlist = await session.scalar(
        select(Setlist)
        .where(Setlist.show_id == show_id, Setlist.artist_id == artist_id, Setlist.kind == kind)
        .with_for_update()
    )
    assert setlist is not None  # just inserted or already there
    return setlist


async def ensure_many(
    session: AsyncSession,
    *,
    show_ids: Sequence[uuid.UUID],
    artist_id: uuid.UUID,
    kind: SetlistKind,
    source: str,
) -> dict[uuid.UUID, Setlist]:
    """The artist's setlists of this kind at these shows, created where missing, rows locked."""
    now = utcnow()
    await session.execute(
        upsert_insert(session, Setlist)
        .values(
            [
                {
                    "id": uuid.uuid4(),
                    "show_id": show_id,
                    "artist_id": artist_id,
                    "kind": kind,
                    "source": source,
                    "locked": False,
                    "created_at": now,
                    "updated_at": now,
                }
                for show_id in sorted(set(show_ids))
            ]
        )
        .on_conflict_do_nothing(index_elements=[Setlist.show_id, Setlist.artist_id, Setlist.kind])
    )
    rows = await session.scalars(
        select(Setlist)
        .where(
            Setlist.show_id.in_(set(show_ids)),
            Setlist.artist_id == artist_id,
            Setlist.kind == kind,
        )
        .order_by(Setlist.id)
        .with_for_update()
    )
    return {setlist.show_id: setlist for setlist in rows}


async def contents(
    session: AsyncSession, setlist_ids: Iterable[uuid.UUID]
) -> dict[uuid.UUID, tuple[set[uuid.UUID], int]]:
    """Each setlist's song ids and last position (one query)."""
    wanted = set(setlist_ids)
    result: dict[uuid.UUID, tuple[set[uuid.UUID], int]] = {s: (set(), 0) for s in wanted}
    if not wanted:
        return result
    rows = await session.execute(
        select(SetlistSong.setlist_id, SetlistSong.song_id, SetlistSong.position).where(
            SetlistSong.setlist_id.in_(wanted)
        )
    )
    for setlist_id, song_id, position in rows:
        songs, last = result[setlist_id]
        songs.add(song_id)
        result[setlist_id] = (songs, max(last, position))
    return result


async def touch_many(session: AsyncSession, setlist_ids: Iterable[uuid.UUID]) -> None:
    """Mark setlists changed."""
    wanted = set(setlist_ids)
    if wanted:
        await session.execute(
            update(Setlist).where(Setlist.id.in_(wanted)).values(updated_at=utcnow())
        )


async def for_show(
    session: AsyncSession, show_id: uuid.UUID, kind: SetlistKind | None
) -> list[Setlist]:
    """The show's setlists."""
    query = select(Setlist).where(Setlist.show_id == show_id)
    if kind is not None:
        query = query.where(Setlist.kind == kind)
    return list(await session.scalars(query.order_by(Setlist.created_at, Setlist.kind)))


async def entries(
    session: AsyncSession, setlist_ids: Iterable[uuid.UUID]
) -> dict[uuid.UUID, list[Entry]]:
    """Songs of each setlist in position order, with titles (one query)."""
    wanted = set(setlist_ids)
    result: dict[uuid.UUID, list[Entry]] = {s: [] for s in wanted}
    if not wanted:
        return result
    rows = await session.execute(
        select(SetlistSong, Song.title)
        .join(Song, Song.id == SetlistSong.song_id)
        .where(SetlistSong.setlist_id.in_(wanted))
        .order_by(SetlistSong.setlist_id, SetlistSong.position)
    )
    for row, title in rows:
        result[row.setlist_id].append(Entry(row, title))
    return result


async def song_ids(session: AsyncSession, setlist_id: uuid.UUID) -> set[uuid.UUID]:
    """Songs already in the setlist."""
    return set(
        await session.scalars(
            select(SetlistSong.song_id).where(SetlistSong.setlist_id == setlist_id)
        )
    )


async def last_position(session: AsyncSession, setlist_id: uuid.UUID) -> int:
    """The highest position in the setlist (0 when empty)."""
    value = await session.scalar(
        select(func.max(SetlistSong.position)).where(SetlistSong.setlist_id == setlist_id)
    )
    return int(value or 0)


async def add_entries(session: AsyncSession, rows: Sequence[dict[str, Any]]) -> None:
    """Insert setlist songs (rows carry id, setlist_id, song_id, position...)."""
    if rows:
        await session.execute(insert(SetlistSong), list(rows))


async def clear(session: AsyncSession, setlist_id: uuid.UUID) -> None:
    """Remove every song of the setlist."""
    await session.execute(delete(SetlistSong).where(SetlistSong.setlist_id == setlist_id))


async def touch(session: AsyncSession, setlist_id: uuid.UUID, **changes: Any) -> None:
    """Mark the setlist changed (and apply column changes)."""
    await session.execute(
        update(Setlist).where(Setlist.id == setlist_id).values(updated_at=utcnow(), **changes)
    )


@dataclass(frozen=True)
class VoteTarget:
    """What the voting rules need to know about a setlist song (a Scheduled show too)."""

    setlist_song_id: uuid.UUID
    setlist_id: uuid.UUID
    song_id: uuid.UUID
    artist_id: uuid.UUID
    kind: SetlistKind
    locked: bool
    show_id: uuid.UUID
    local_date: dt.date
    timezone: str | None
    starts_at: dt.datetime | None
    status: ShowStatus
    upvotes: int  # as locked: no other transaction changes it before this one ends


# Built once: it runs in every vote batch (see repository/votes.py for why).
_song, _setlist, _show = SetlistSong.__table__, Setlist.__table__, Show.__table__
_LOCK_VOTE_TARGETS = (
    select(
        *(_song.c.id, _song.c.setlist_id, _song.c.song_id),
        *(_setlist.c.artist_id, _setlist.c.kind, _setlist.c.locked),
        *(_show.c.id, _show.c.local_date, _show.c.timezone, _show.c.starts_at, _show.c.status),
        _song.c.upvotes,
    )
    .join(_setlist, _setlist.c.id == _song.c.setlist_id)
    .join(_show, _show.c.id == _setlist.c.show_id)
    .where(_song.c.id.in_(bindparam("ids", expanding=True)))
    .order_by(_song.c.id)
    .with_for_update(of=_song)
)


async def lock_vote_targets(
    session: AsyncSession, setlist_song_ids: Iterable[uuid.UUID]
) -> dict[uuid.UUID, VoteTarget]:
    """The setlist songs with their setlist and show, each song's row locked until commit.

    Every change to a song's votes takes this lock first, so the votes read
    after it are exact for the rest of the transaction. Locks are taken in id
    order so concurrent batches cannot deadlock.
    """
    wanted = sorted(set(setlist_song_ids))
    if not wanted:
        return {}
    rows = await session.execute(_LOCK_VOTE_TARGETS, {"ids": wanted})
    return {row[0]: VoteTarget(*row) for row in rows}
