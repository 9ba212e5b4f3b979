"""The catalog as sync sees it: its internal batch RPCs and the reads an import needs."""

from __future__ import annotations

from collections.abc import Sequence

import grpc
from mysetlist.catalog.v1 import catalog_pb2 as api
from mysetlist.catalog.v1 import catalog_pb2_grpc
from mysetlist.catalog.v1 import resources_pb2 as pb

# The catalog's per-call batch limits (catalog.proto).
SONG_BATCH = 1000
VENUE_BATCH = 1000
SHOW_BATCH = 500
SEED_BATCH = 500


def _chunks(items: Sequence, size: int):
    for start in range(0, len(items), size):
        yield items[start : start + size]


class CatalogClient:
    """Typed calls to CatalogService over a channel that carries sync's service token."""

    def __init__(self, channel: grpc.aio.Channel) -> None:
        self._stub = catalog_pb2_grpc.CatalogServiceStub(channel)

    async def upsert_artist(self, artist: api.ArtistInput) -> tuple[pb.Artist, bool]:
        response = await self._stub.UpsertArtist(api.UpsertArtistRequest(artist=artist))
        return response.artist, response.created

    async def upsert_songs(self, artist_id: str, songs: Sequence[api.SongInput]) -> list[str]:
        ids: list[str] = []
        for chunk in _chunks(songs, SONG_BATCH):
            response = await self._stub.BatchUpsertSongs(
                api.BatchUpsertSongsRequest(artist_id=artist_id, songs=chunk)
            )
            ids.extend(response.song_ids)
        return ids

    async def upsert_venues(self, venues: Sequence[api.VenueInput]) -> list[str]:
        ids: list[str] = []
        for chunk in _chunks(venues, VENUE_BATCH):
            response = await self._stub.BatchUpsertVenues(
                api.BatchUpsertVenuesRequest(venues=chunk)
            )
            ids.extend(response.venue_ids)
        return ids

    async def upsert_shows(self, shows: Sequence[api.ShowInput]) -> list[str]:
        ids: list[str] = []
        for chunk in _chunks(shows, SHOW_BATCH):
            response = await self._stub.BatchUpsertShows(api.BatchUpsertShowsRequest(shows=chunk))
            ids.extend(response.show_ids)
        return ids

    async def upsert_actual_setlist(
        self,
        show_id: str,
        artist_id: str,
        songs: Sequence[api.ActualSongInput],
        *,
        setlistfm_id: str = "",
    ) -> pb.Setlist:
        response = await self._stub.UpsertActualSetlist(
            api.UpsertActualSetlistRequest(
                show_id=show_id, artist_id=artist_id, songs=songs, setlistfm_id=setlistfm_id
            )
        )
        return response.setlist

    async def seed_predictions(
        self, artist_id: str, show_ids: Sequence[str], song_ids: Sequence[str]
    ) -> tuple[int, list[str]]:
        """Seed the same songs into many shows' predictions; (songs added, locked show ids)."""
        added, locked = 0, []
        for chunk in _chunks(show_ids, SEED_BATCH):
            response = await self._stub.BatchSeedPredictedSetlists(
                api.BatchSeedPredictedSetlistsRequest(
                    artist_id=artist_id, show_ids=chunk, song_ids=song_ids
                )
            )
            added += response.songs_added
            locked += response.locked_show_ids
        return added, locked

    async def artist(self, artist_id: str) -> pb.Artist:
        return (await self._stub.GetArtist(api.GetArtistRequest(artist=artist_id))).artist

    async def venue(self, venue_id: str) -> pb.Venue:
        return (await self._stub.GetVenue(api.GetVenueRequest(venue=venue_id))).venue

    async def artists_by_upstream_ids(
        self,
        *,
        spotify_ids: Sequence[str] = (),
        ticketmaster_ids: Sequence[str] = (),
        mbids: Sequence[str] = (),
    ) -> list[pb.Artist]:
        if not (spotify_ids or ticketmaster_ids or mbids):
            return []
        request = api.ListArtistsRequest(
            page_size=100, spotify_ids=spotify_ids, ticketmaster_ids=ticketmaster_ids, mbids=mbids
        )
        return list((await self._stub.ListArtists(request)).artists)

    async def artist_songs(
        self, artist_id: str, *, include_non_catalog: bool = False
    ) -> list[pb.Song]:
        songs: list[pb.Song] = []
        token = ""
        while True:
            response = await self._stub.ListArtistSongs(
                api.ListArtistSongsRequest(
                    artist=artist_id,
                    page_size=500,
                    page_token=token,
                    include_non_catalog=include_non_catalog,
                )
            )
            songs.extend(response.songs)
            token = response.next_page_token
            if not token:
                return songs

    async def all_artists(self) -> list[pb.Artist]:
        """Every catalog artist, page by page."""
        artists: list[pb.Artist] = []
        token = ""
        while True:
            response = await self._stub.ListArtists(
                api.ListArtistsRequest(page_size=500, page_token=token)
            )
            artists.extend(response.artists)
            token = response.next_page_token
            if not token:
                return artists

    async def shows(
        self,
        *,
        start_date: str = "",
        end_date: str = "",
        status: pb.ShowStatus = pb.SHOW_STATUS_UNSPECIFIED,
    ) -> list[pb.Show]:
        """Every show (of any artist) in a status and local-date range."""
        return await self.artist_shows("", start_date=start_date, end_date=end_date, status=status)

    async def artist_shows(
        self,
        artist_id: str,
        *,
        start_date: str = "",
        end_date: str = "",
        status: pb.ShowStatus = pb.SHOW_STATUS_UNSPECIFIED,
    ) -> list[pb.Show]:
        shows: list[pb.Show] = []
        token = ""
        while True:
            response = await self._stub.ListShows(
                api.ListShowsRequest(
                    artist_id=artist_id,
                    start_date=start_date,
                    end_date=end_date,
                    status=status,
                    page_size=500,
                    page_token=token,
                )
            )
            shows.extend(response.shows)
            token = response.next_page_token
            if not token:
                return shows

    async def show_setlists(self, show_id: str) -> list[pb.Setlist]:
        response = await self._stub.ListShowSetlists(api.ListShowSetlistsRequest(show_id=show_id))
        return list(response.setlists)
