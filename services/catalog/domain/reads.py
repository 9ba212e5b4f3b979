"""Read paths: lookups, lists and search, with a short-lived cache for hot lookups."""

from __future__ import annotations

import uuid
from collections.abc import Sequence

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from services.catalog.domain import errors
from services.catalog.domain.cache import ReadCache
from services.catalog.domain.views import ArtistMatch, SetlistView, ShowView
from services.catalog.models import Artist, SetlistKind, Song, Venue
from services.catalog.repository import artists, follows, setlists, shows, songs, venues
from services.catalog.repository.artists import UpstreamIds
from services.catalog.repository.shows import ShowFilter
from shared.paging import paginate


class Reads:
    """Every read the catalog serves."""

    def __init__(
        self, sessions: async_sessionmaker[AsyncSession], *, cache_ttl: float = 5.0
    ) -> None:
        self._sessions = sessions
        # GetArtist and GetShow are the hottest calls. Writers in this process
        # and the change feed (every replica's writes) drop entries as they change.
        self._artists: ReadCache[Artist] = ReadCache(
            ttl=cache_ttl, slug_of=lambda a: a.slug, id_of=lambda a: a.id
        )
        self._shows: ReadCache[ShowView] = ReadCache(
            ttl=cache_ttl, slug_of=lambda v: v.show.slug, id_of=lambda v: v.show.id
        )

    def forget_artist(self, artist_id: uuid.UUID) -> None:
        """Drop an artist from the cache after a write."""
        self._artists.forget(artist_id)

    def forget_shows(self, show_ids: Sequence[uuid.UUID]) -> None:
        """Drop shows from the cache after a write."""
        for show_id in show_ids:
            self._shows.forget(show_id)

    async def get_artist(self, ref: str) -> Artist:
        return await self._artists.get_or_load(ref, lambda: self._load_artist(ref))

    async def _load_artist(self, ref: str) -> Artist:
        async with self._sessions() as session:
            artist = await artists.get_by_ref(session, ref)
        if artist is None:
            raise errors.ArtistNotFound(f"artist {ref!r} not found")
        return artist

    async def list_artists(
        self, page_size: int, page_token: str, *, upstream_ids: UpstreamIds | None = None
    ) -> tuple[list[Artist], str]:
        async with self._sessions() as session:
            return await paginate(
                lambda after, limit: artists.list_page(
                    session, after=after, limit=limit, upstream_ids=upstream_ids or UpstreamIds()
                ),
                artists.page_key,
                requested_size=page_size,
                page_token=page_token,
                scope=f"artists:{upstream_ids!r}",
            )

    async def search_artists(self, query: str, limit: int) -> list[ArtistMatch]:
        async with self._sessions() as session:
            found = await artists.search(session, query, limit=limit)
        return [ArtistMatch(artist, round(score, 4)) for artist, score in found]

    async def list_artist_songs(
        self, ref: str, *, include_non_catalog: bool, page_size: int, page_token: str
    ) -> tuple[list[Song], str]:
        artist = await self.get_artist(ref)
        async with self._sessions() as session:
            return await paginate(
                lambda after, limit: songs.list_for_artist(
                    session,
                    artist.id,
                    include_non_catalog=include_non_catalog,
                    after=after,
                    limit=limit,
                ),
                songs.page_key,
                requested_size=page_size,
                page_token=page_token,
                scope=f"songs:{artist.id}:{include_non_catalog}",
            )

    async def get_venue(self, ref: str) -> Venue:
        async with self._sessions() as session:
            venue = await venues.get_by_ref(session, ref)
        if venue is None:
            raise errors.VenueNotFound(f"venue {ref!r} not found")
        return venue

    async def list_venues(
        self, *, country_code: str, city: str, page_size: int, page_token: str
    ) -> tuple[list[Venue], str]:
        async with self._sessions() as session:
            return await paginate(
                lambda after, limit: venues.list_page(
                    session,
                    country_code=country_code or None,
                    city=city or None,
                    after=after,
                    limit=limit,
                ),
                venues.page_key,
                requested_size=page_size,
                page_token=page_token,
                scope=f"venues:{country_code.upper()}:{city.lower()}",
            )

    async def get_show(self, ref: str) -> ShowView:
        return await self._shows.get_or_load(ref, lambda: self._load_show(ref))

    async def _load_show(self, ref: str) -> ShowView:
        async with self._sessions() as session:
            show = await shows.get_by_ref(session, ref)
            if show is None:
                raise errors.ShowNotFound(f"show {ref!r} not found")
            bill = await shows.bills(session, [show.id])
        return ShowView(show, bill[show.id])

    async def list_shows(
        self, where: ShowFilter, *, page_size: int, page_token: str
    ) -> tuple[list[ShowView], str]:
        async with self._sessions() as session:
            page, token = await paginate(
                lambda after, limit: shows.list_page(session, where, after=after, limit=limit),
                shows.page_key,
                requested_size=page_size,
                page_token=page_token,
                scope=f"shows:{where!r}",
            )
            bills = await shows.bills(session, [s.id for s in page])
        return [ShowView(s, bills[s.id]) for s in page], token

    async def get_setlist(self, setlist_id: uuid.UUID) -> SetlistView:
        async with self._sessions() as session:
            setlist = await setlists.get(session, setlist_id)
            if setlist is None:
                raise errors.SetlistNotFound(f"setlist {setlist_id} not found")
            entries = await setlists.entries(session, [setlist.id])
        return SetlistView(setlist, entries[setlist.id])

    async def list_show_setlists(
        self, show_id: uuid.UUID, kind: SetlistKind | None
    ) -> list[SetlistView]:
        async with self._sessions() as session:
            show = await shows.get(session, show_id)
            if show is None:
                raise errors.ShowNotFound(f"show {show_id} not found")
            found = await setlists.for_show(session, show_id, kind)
            entries = await setlists.entries(session, [s.id for s in found])
            bill = (await shows.bills(session, [show_id]))[show_id]
        order = {artist_id: i for i, artist_id in enumerate(bill)}
        found.sort(
            key=lambda s: (order.get(s.artist_id, len(order)), s.kind != SetlistKind.PREDICTED)
        )
        return [SetlistView(s, entries[s.id]) for s in found]

    async def list_followed_artists(
        self, user_id: str, *, page_size: int, page_token: str
    ) -> tuple[list[Artist], str]:
        async with self._sessions() as session:
            page, token = await paginate(
                lambda after, limit: follows.list_page(session, user_id, after=after, limit=limit),
                lambda row: follows.page_key(*row),
                requested_size=page_size,
                page_token=page_token,
                scope=f"follows:{user_id}",
            )
        return [artist for artist, _ in page], token
