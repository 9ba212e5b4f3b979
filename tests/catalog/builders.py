"""Test data built through the catalog's own internal RPCs, unique per test."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Sequence

from mysetlist.catalog.v1 import catalog_pb2 as api
from mysetlist.catalog.v1 import catalog_pb2_grpc
from mysetlist.catalog.v1 import resources_pb2 as pb


def uid() -> str:
    """A short unique token for upstream ids and names."""
    return uuid.uuid4().hex[:12]


def future(days: int = 30) -> str:
    """A local date `days` from today, `YYYY-MM-DD`."""
    return (dt.date.today() + dt.timedelta(days=days)).isoformat()


class World:
    """Creates artists, songs, venues, shows and setlists the way sync does."""

    def __init__(self, service: catalog_pb2_grpc.CatalogServiceStub) -> None:
        self.service = service

    async def artist(self, name: str | None = None, **fields: object) -> pb.Artist:
        data = api.ArtistInput(name=name or f"Artist {uid()}", spotify_id=f"sp{uid()}", **fields)
        return (await self.service.UpsertArtist(api.UpsertArtistRequest(artist=data))).artist

    async def songs(self, artist: pb.Artist, titles: Sequence[str]) -> list[str]:
        batch = [
            api.SongInput(spotify_id=f"tr{uid()}", title=t, duration_ms=200_000) for t in titles
        ]
        response = await self.service.BatchUpsertSongs(
            api.BatchUpsertSongsRequest(artist_id=artist.id, songs=batch)
        )
        return list(response.song_ids)

    async def venue(self, name: str = "The Forum", **fields: object) -> str:
        fields.setdefault("city", "Inglewood")
        fields.setdefault("timezone", "America/Los_Angeles")
        response = await self.service.BatchUpsertVenues(
            api.BatchUpsertVenuesRequest(
                venues=[api.VenueInput(name=name, ticketmaster_id=f"KovZ{uid()}", **fields)]
            )
        )
        return response.venue_ids[0]

    async def show(
        self,
        artist: pb.Artist,
        venue_id: str,
        *,
        local_date: str | None = None,
        local_time: str = "20:00:00",
        support: Sequence[str] = (),
        **fields: object,
    ) -> pb.Show:
        show_input = api.ShowInput(
            ticketmaster_id=f"G5v{uid()}",
            name=f"{artist.name} live",
            venue_id=venue_id,
            artist_ids=[artist.id, *support],
            local_date=local_date or future(),
            local_time=local_time,
            **fields,
        )
        response = await self.service.BatchUpsertShows(
            api.BatchUpsertShowsRequest(shows=[show_input])
        )
        return (await self.service.GetShow(api.GetShowRequest(show=response.show_ids[0]))).show

    async def predicted(
        self, show: pb.Show, artist: pb.Artist, song_ids: Sequence[str]
    ) -> pb.Setlist:
        response = await self.service.SeedPredictedSetlist(
            api.SeedPredictedSetlistRequest(show_id=show.id, artist_id=artist.id, song_ids=song_ids)
        )
        return response.setlist

    async def voting_setup(self, titles: Sequence[str] = ("Song A", "Song B", "Song C")):
        """An artist with songs, an upcoming show and its seeded prediction."""
        artist = await self.artist()
        song_ids = await self.songs(artist, titles)
        show = await self.show(artist, await self.venue())
        setlist = await self.predicted(show, artist, song_ids)
        return artist, song_ids, show, setlist
