"""What an import left in the catalog, read back through the catalog's own RPCs."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from typing import Any

from mysetlist.catalog.v1 import resources_pb2 as pb

from services.sync.catalog import CatalogClient


@dataclass(frozen=True)
class ArtistView:
    artist: pb.Artist
    songs: list[pb.Song]  # catalog songs only
    setlist_songs: list[pb.Song]  # songs known only from setlists
    shows: list[pb.Show]
    setlists: dict[str, list[pb.Setlist]]  # by show id
    venues: dict[str, pb.Venue]

    @property
    def ticketed_shows(self) -> list[pb.Show]:
        return [s for s in self.shows if s.ticketmaster_id]

    @property
    def setlistfm_shows(self) -> list[pb.Show]:
        return [s for s in self.shows if not s.ticketmaster_id]

    def actual(self, artist_id: str | None = None) -> list[pb.Setlist]:
        artist_id = artist_id or self.artist.id
        return [
            s
            for sets in self.setlists.values()
            for s in sets
            if s.kind == pb.SETLIST_KIND_ACTUAL and s.artist_id == artist_id
        ]

    def predicted(self, artist_id: str | None = None) -> list[pb.Setlist]:
        artist_id = artist_id or self.artist.id
        return [
            s
            for sets in self.setlists.values()
            for s in sets
            if s.kind == pb.SETLIST_KIND_PREDICTED and s.artist_id == artist_id
        ]

    def snapshot(self) -> dict[str, Any]:
        """Every row the import owns, ids included, without timestamps: equal means unchanged."""
        artist = pb.Artist()
        artist.CopyFrom(self.artist)
        artist.ClearField("update_time")
        artist.ClearField("create_time")
        return {
            "artist": artist.SerializeToString(deterministic=True),
            "songs": sorted(s.SerializeToString(deterministic=True) for s in self.songs),
            "setlist_songs": sorted(
                s.SerializeToString(deterministic=True) for s in self.setlist_songs
            ),
            "shows": sorted(_show(s) for s in self.shows),
            "venues": sorted(v.SerializeToString(deterministic=True) for v in self.venues.values()),
            "setlists": sorted(_setlist(s) for sets in self.setlists.values() for s in sets),
        }

    def content(self) -> dict[str, Any]:
        """The imported facts keyed by upstream ids (comparable across two catalogs)."""
        venue_key = {
            v.id: v.ticketmaster_id or f"fm:{v.setlistfm_id}" for v in self.venues.values()
        }
        by_id = {s.id: s for s in [*self.songs, *self.setlist_songs]}
        shows = {}
        for show in self.shows:
            key = show.ticketmaster_id or f"fm:{show.setlistfm_id}"
            actual = [
                [
                    (
                        by_id[e.song_id].spotify_id or by_id[e.song_id].title,
                        e.position,
                        e.set_name,
                        e.encore,
                        e.is_tape,
                        e.is_cover,
                        e.cover_artist_name,
                        e.info,
                    )
                    for e in s.songs
                ]
                for s in self.setlists.get(show.id, [])
                if s.kind == pb.SETLIST_KIND_ACTUAL
            ]
            shows[key] = (
                show.name,
                venue_key[show.venue_id],
                show.local_date,
                show.local_time,
                show.timezone,
                show.status,
                len(show.artists),
                actual,
            )
        return {
            "songs": sorted(
                (s.spotify_id, s.title, s.isrc, s.duration_ms, s.album_name, s.release_date)
                for s in self.songs
            ),
            "setlist_songs": sorted((s.title, s.original_artist_name) for s in self.setlist_songs),
            "shows": shows,
        }


def _show(show: pb.Show) -> bytes:
    copy = pb.Show()
    copy.CopyFrom(show)
    copy.ClearField("update_time")
    return copy.SerializeToString(deterministic=True)


def _setlist(setlist: pb.Setlist) -> tuple:
    return (
        setlist.id,
        setlist.show_id,
        setlist.artist_id,
        setlist.kind,
        setlist.locked,
        setlist.setlistfm_id,
        tuple(
            (e.song_id, e.position, e.set_name, e.encore, e.is_tape, e.is_cover, e.info)
            for e in setlist.songs
        ),
    )


async def read_artist(catalog: CatalogClient, artist_id: str) -> ArtistView:
    """Everything the import of one artist wrote, through catalog reads."""
    artist = await catalog.artist(artist_id)
    every = await catalog.artist_songs(artist_id, include_non_catalog=True)
    shows = await catalog.artist_shows(artist_id)
    found = await asyncio.gather(*(catalog.show_setlists(show.id) for show in shows))
    setlists = dict(zip((s.id for s in shows), found, strict=True))
    venue_ids = sorted({s.venue_id for s in shows})
    venues = dict(
        zip(venue_ids, await asyncio.gather(*(catalog.venue(v) for v in venue_ids)), strict=True)
    )
    return ArtistView(
        artist,
        [s for s in every if s.is_catalog],
        [s for s in every if not s.is_catalog],
        shows,
        setlists,
        venues,
    )
