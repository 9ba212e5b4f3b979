"""Songs and their link to artists."""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Sequence
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from services.catalog.models import ArtistSong, Song, utcnow
from services.catalog.repository.base import after_key, insert

# Columns a catalog import may change on an existing song.
_UPDATABLE = (
    "title",
    "title_key",
    "isrc",
    "duration_ms",
    "album_name",
    "release_date",
    "popularity",
)


async def list_for_artist(
    session: AsyncSession,
    artist_id: uuid.UUID,
    *,
    include_non_catalog: bool,
    after: Sequence[str] | None,
    limit: int,
) -> list[Song]:
    """An artist's songs ordered by (normalised title, id)."""
    query = (
        select(Song)
        .join(ArtistSong, ArtistSong.song_id == Song.id)
        .where(ArtistSong.artist_id == artist_id)
        .where(
            after_key(
                (Song.title_key, Song.id),
                None if after is None else (after[0], uuid.UUID(after[1])),
            )
        )
        .order_by(Song.title_key, Song.id)
        .limit(limit)
    )
    if not include_non_catalog:
        query = query.where(Song.is_catalog.is_(True))
    return list(await session.scalars(query))


def page_key(song: Song) -> list[str]:
    """The keyset key of a song in list order."""
    return [song.title_key, str(song.id)]


async def by_spotify_ids(session: AsyncSession, spotify_ids: Iterable[str]) -> dict[str, Song]:
    """Existing songs keyed by Spotify id."""
    ids = set(spotify_ids)
    if not ids:
        return {}
    rows = await session.scalars(select(Song).where(Song.spotify_id.in_(ids)))
    return {s.spotify_id: s for s in rows if s.spotify_id}


async def non_catalog_by_title(
    session: AsyncSession, artist_id: uuid.UUID, title_keys: Iterable[str]
) -> dict[str, Song]:
    """The artist's setlist-only songs keyed by normalised title."""
    keys = set(title_keys)
    if not keys:
        return {}
    rows = await session.scalars(
        select(Song).where(
            Song.primary_artist_id == artist_id,
            Song.spotify_id.is_(None),
            Song.title_key.in_(keys),
        )
    )
    return {s.title_key: s for s in rows}


async def of_artist_by_title(
    session: AsyncSession, artist_id: uuid.UUID, title_keys: Iterable[str]
) -> list[Song]:
    """The artist's songs (catalog first) whose normalised title is one of these."""
    keys = set(title_keys)
    if not keys:
        return []
    rows = await session.scalars(
        select(Song)
        .join(ArtistSong, ArtistSong.song_id == Song.id)
        .where(ArtistSong.artist_id == artist_id, Song.title_key.in_(keys))
        .order_by(Song.is_catalog.desc(), Song.release_date, Song.id)
    )
    return list(rows)


async def upsert(session: AsyncSession, rows: Sequence[dict[str, Any]]) -> dict[str, uuid.UUID]:
    """Insert or update songs keyed on spotify_id in one statement; returns spotify_id -> id."""
    if not rows:
        return {}
    stmt = insert(session, Song).values(list(rows))
    stmt = stmt.on_conflict_do_update(
        index_elements=[Song.spotify_id],
        set_={name: stmt.excluded[name] for name in _UPDATABLE} | {"updated_at": utcnow()},
    ).returning(Song.spotify_id, Song.id)
    return {spotify_id: song_id for spotify_id, song_id in await session.execute(stmt)}


async def promote(session: AsyncSession, rows: Sequence[dict[str, Any]]) -> None:
    """Turn setlist-only songs into catalog songs (rows carry id and the new fields)."""
    if rows:
        # ORM bulk UPDATE by primary key: one executemany round trip.
        await session.execute(update(Song), [dict(r, updated_at=utcnow()) for r in rows])


async def insert_non_catalog(session: AsyncSession, rows: Sequence[dict[str, Any]]) -> None:
    """Create setlist-only songs, skipping any a concurrent writer created first."""
    if rows:
        stmt = (
            insert(session, Song)
            .values(list(rows))
            .on_conflict_do_nothing(
                index_elements=[Song.primary_artist_id, Song.title_key],
                index_where=Song.spotify_id.is_(None),
            )
        )
        await session.execute(stmt)


async def link(session: AsyncSession, artist_id: uuid.UUID, song_ids: Iterable[uuid.UUID]) -> None:
    """Link songs to an artist (idempotent)."""
    values = [{"artist_id": artist_id, "song_id": s} for s in set(song_ids)]
    if values:
        await session.execute(insert(session, ArtistSong).values(values).on_conflict_do_nothing())


async def linked_to(
    session: AsyncSession, artist_id: uuid.UUID, song_ids: Iterable[uuid.UUID]
) -> set[uuid.UUID]:
    """Which of these songs belong to the artist."""
    ids = set(song_ids)
    if not ids:
        return set()
    rows = await session.scalars(
        select(ArtistSong.song_id).where(
            ArtistSong.artist_id == artist_id, ArtistSong.song_id.in_(ids)
        )
    )
    return set(rows)


async def get_many(session: AsyncSession, ids: Iterable[uuid.UUID]) -> dict[uuid.UUID, Song]:
    """Songs by id."""
    wanted = set(ids)
    if not wanted:
        return {}
    return {s.id: s for s in await session.scalars(select(Song).where(Song.id.in_(wanted)))}
