"""Artists: lookups, keyset listing, fuzzy search and follower tallies."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import func, literal, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from services.catalog.models import Artist
from services.catalog.repository.base import after_key, any_of, as_uuid, dialect
from shared import text

# pg_trgm's own default thresholds, applied by the SQLite fallback too.
SIMILARITY_THRESHOLD = 0.3
WORD_SIMILARITY_THRESHOLD = 0.6


async def get_by_ref(session: AsyncSession, ref: str) -> Artist | None:
    """The artist with this id or slug."""
    artist_id = as_uuid(ref)
    if artist_id is not None:
        return await session.get(Artist, artist_id)
    return await session.scalar(select(Artist).where(Artist.slug == ref))


async def get_many(session: AsyncSession, ids: Sequence[uuid.UUID]) -> dict[uuid.UUID, Artist]:
    """Artists by id; missing ids are absent from the result."""
    if not ids:
        return {}
    rows = await session.scalars(select(Artist).where(Artist.id.in_(set(ids))))
    return {a.id: a for a in rows}


@dataclass(frozen=True)
class UpstreamIds:
    """ListArtists filters: artists holding any of these ids (no filter when all are empty)."""

    spotify: tuple[str, ...] = ()
    ticketmaster: tuple[str, ...] = ()
    musicbrainz: tuple[str, ...] = ()

    def clause(self):
        if not (self.spotify or self.ticketmaster or self.musicbrainz):
            return None
        return any_of(
            Artist.spotify_id.in_(self.spotify) if self.spotify else None,
            Artist.ticketmaster_id.in_(self.ticketmaster) if self.ticketmaster else None,
            Artist.mbid.in_(self.musicbrainz) if self.musicbrainz else None,
        )


async def list_page(
    session: AsyncSession,
    *,
    after: Sequence[str] | None,
    limit: int,
    upstream_ids: UpstreamIds | None = None,
) -> list[Artist]:
    """Artists ordered by (name, id), strictly after the key, optionally by upstream ids."""
    query = (
        select(Artist)
        .where(after_key((Artist.name, Artist.id), _key(after)))
        .order_by(Artist.name, Artist.id)
        .limit(limit)
    )
    clause = upstream_ids.clause() if upstream_ids else None
    if clause is not None:
        query = query.where(clause)
    return list(await session.scalars(query))


def page_key(artist: Artist) -> list[str]:
    """The keyset key of an artist in list order."""
    return [artist.name, str(artist.id)]


def _key(after: Sequence[str] | None) -> tuple[str, uuid.UUID] | None:
    return None if after is None else (after[0], uuid.UUID(after[1]))


async def find_by_upstream_ids(
    session: AsyncSession, *, spotify_id: str | None, ticketmaster_id: str | None, mbid: str | None
) -> list[Artist]:
    """Every artist that holds any of these upstream ids (more than one means a conflict)."""
    clause = any_of(
        Artist.spotify_id == spotify_id if spotify_id else None,
        Artist.ticketmaster_id == ticketmaster_id if ticketmaster_id else None,
        Artist.mbid == mbid if mbid else None,
    )
    return list(await session.scalars(select(Artist).where(clause).order_by(Artist.created_at)))


async def search(session: AsyncSession, query: str, *, limit: int) -> list[tuple[Artist, float]]:
    """Artists whose normalised name is close to the query, best first, with scores."""
    needle = text.normalize(query)
    if not needle:
        return []
    if dialect(session) == "postgresql":
        return await _search_trigram_index(session, needle, limit)
    return await _search_portable(session, needle, limit)


async def _search_trigram_index(
    session: AsyncSession, needle: str, limit: int
) -> list[tuple[Artist, float]]:
    # `%` and `<%` are pg_trgm operators the GIN index serves; the score is
    # the better of whole-name and best-word similarity.
    whole = func.similarity(Artist.search_name, needle)
    score = func.greatest(whole, func.word_similarity(needle, Artist.search_name)).label("score")
    rows = await session.execute(
        select(Artist, score)
        .where(
            Artist.search_name.op("%", is_comparison=True)(needle)
            | literal(needle).op("<%", is_comparison=True)(Artist.search_name)
        )
        # On a tie, the name closest as a whole wins: "Björk" before "A Tribute to Björk".
        .order_by(score.desc(), whole.desc(), Artist.name, Artist.id)
        .limit(limit)
    )
    return [(artist, float(s)) for artist, s in rows]


async def _search_portable(
    session: AsyncSession, needle: str, limit: int
) -> list[tuple[Artist, float]]:
    # The embedded SQLite mode has no trigram index: score every name with the
    # same algorithm in Python. Fine for a development catalog.
    scored: list[tuple[float, float, str, uuid.UUID]] = []
    for artist_id, name, search_name in await session.execute(
        select(Artist.id, Artist.name, Artist.search_name)
    ):
        whole = text.similarity(search_name, needle)
        word = text.word_similarity(needle, search_name)
        if whole >= SIMILARITY_THRESHOLD or word >= WORD_SIMILARITY_THRESHOLD:
            scored.append((max(whole, word), whole, name, artist_id))
    scored.sort(key=lambda s: (-s[0], -s[1], s[2], str(s[3])))
    top = scored[:limit]
    artists = await get_many(session, [artist_id for *_, artist_id in top])
    return [(artists[artist_id], score) for score, *_, artist_id in top]


async def add_followers(session: AsyncSession, artist_id: uuid.UUID, delta: int) -> None:
    """Move the artist's follower tally by delta, in the caller's transaction."""
    await session.execute(
        update(Artist)
        .where(Artist.id == artist_id)
        .values(follower_count=Artist.follower_count + delta)
    )
