"""Helpers that assemble a Dataset in code: the demo and the synthetic generators use them."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from fakes import ids
from fakes.dataset import (
    Dataset,
    SfArtist,
    SfSetlist,
    SfVenue,
    SpotifyAlbum,
    SpotifyArtist,
    SpotifyTrack,
    TmAttraction,
    TmEvent,
    TmVenue,
)


@dataclass(frozen=True)
class Recording:
    """One recording; `song` names the studio song hygiene keeps it as, None when dropped."""

    title: str
    isrc: str
    duration_ms: int
    song: str | None
    explicit: bool = False
    artist_ids: tuple[str, ...] = ()


@dataclass(frozen=True)
class Place:
    """A real-world venue known to both Ticketmaster and setlist.fm."""

    key: str
    name: str
    city: str
    country_code: str
    country_name: str
    timezone: str
    lat: float
    long: float
    state_code: str | None = None
    state_name: str | None = None
    address: str = ""
    postal_code: str = ""


@dataclass
class Builder:
    """Accumulates records into a Dataset with deterministic ids."""

    dataset: Dataset = field(default_factory=Dataset)
    isrc_prefix: str = "QZHD1"
    _isrc_count: int = 0
    _recordings: dict[str, list[Recording]] = field(default_factory=dict)

    # Spotify.

    def spotify_artist(
        self,
        key: str,
        name: str,
        genres: list[str] | None,
        popularity: int,
        followers: int,
        images: list[dict[str, Any]] | None = None,
    ) -> str:
        """Add an artist; returns its Spotify id."""
        artist_id = ids.spotify_id("artist:" + key)
        if images is None:
            images = [
                {
                    "url": f"https://i.scdn.co/image/{ids.hex_id(key + str(size), 40)}",
                    "height": size,
                    "width": size,
                }
                for size in (640, 320, 160)
            ]
        self.dataset.spotify_artists[artist_id] = SpotifyArtist(
            artist_id, name, genres, popularity, followers, images
        )
        return artist_id

    def recording(
        self,
        title: str,
        *,
        song: str | None = "",
        year: int = 2020,
        seed: str = "",
        duration_ms: int | None = None,
        explicit: bool = False,
        artist_ids: tuple[str, ...] = (),
    ) -> Recording:
        """A new recording with a fresh ISRC; `song=""` means a studio song named like the title."""
        self._isrc_count += 1
        isrc = f"{self.isrc_prefix}{year % 100:02d}{self._isrc_count:05d}"
        if duration_ms is None:
            duration_ms = ids.number(f"duration:{seed}:{title}", 150_000, 330_000)
        return Recording(
            title, isrc, duration_ms, title if song == "" else song, explicit, artist_ids
        )

    def album(
        self,
        key: str,
        name: str,
        artist_ids: list[str],
        album_type: str,
        release_date: str,
        discs: list[list[Recording]],
        precision: str = "day",
        label: str = "Fictional Records",
    ) -> str:
        """Add an album (discs of recordings in order); returns its Spotify id."""
        album_id = ids.spotify_id("album:" + key)
        tracks = []
        for disc_number, disc in enumerate(discs, start=1):
            for track_number, rec in enumerate(disc, start=1):
                tracks.append(
                    SpotifyTrack(
                        id=ids.spotify_id(f"track:{key}:{disc_number}:{track_number}"),
                        name=rec.title,
                        artist_ids=list(rec.artist_ids or artist_ids),
                        track_number=track_number,
                        disc_number=disc_number,
                        duration_ms=rec.duration_ms,
                        isrc=rec.isrc,
                        explicit=rec.explicit,
                        preview_url=None,
                        popularity=ids.number("pop:" + rec.isrc + key, 5, 80),
                    )
                )
        images = [
            {
                "url": f"https://i.scdn.co/image/{ids.hex_id(key + str(size), 40)}",
                "height": size,
                "width": size,
            }
            for size in (640, 300, 64)
        ]
        self.dataset.spotify_albums[album_id] = SpotifyAlbum(
            id=album_id,
            name=name,
            album_type=album_type,
            release_date=release_date,
            release_date_precision=precision,
            artist_ids=artist_ids,
            tracks=tracks,
            label=label,
            upc=f"{ids.number('upc:' + key, 10**11, 10**12 - 1):012d}",
            popularity=ids.number("album-pop:" + key, 10, 70),
            images=images,
        )
        self._recordings[album_id] = [rec for disc in discs for rec in disc]
        return album_id

    def studio_songs(self, artist_id: str) -> set[str]:
        """Songs a correct hygiene pass keeps from the artist's albums and singles."""
        return {
            rec.song
            for group, album in self.dataset.albums_of(artist_id)
            if group in ("album", "single")
            for rec in self._recordings[album.id]
            if rec.song
        }

    # Ticketmaster and setlist.fm places.

    def place(self, place: Place) -> tuple[str, str]:
        """Add a venue to both services; returns (Ticketmaster id, setlist.fm id)."""
        tm_id, sf_id = ids.tm_venue_id(place.key), ids.hex_id("sf-venue:" + place.key)
        if tm_id not in self.dataset.tm_venues:
            self.dataset.tm_venues[tm_id] = TmVenue(
                id=tm_id,
                name=place.name,
                city=place.city,
                country_code=place.country_code,
                country_name=place.country_name,
                timezone=place.timezone,
                latitude=f"{place.lat:.6f}",
                longitude=f"{place.long:.6f}",
                address=place.address,
                postal_code=place.postal_code,
                state_code=place.state_code,
                state_name=place.state_name,
            )
            self.dataset.sf_venues[sf_id] = SfVenue(
                id=sf_id,
                name=place.name,
                city_id=str(ids.number("geonames:" + place.city, 1_000_000, 9_999_999)),
                city=place.city,
                country_code=place.country_code,
                country_name=place.country_name,
                lat=round(place.lat, 4),
                long=round(place.long, 4),
                state=place.state_name,
                state_code=place.state_code,
            )
        return tm_id, sf_id

    def attraction(
        self,
        key: str,
        name: str,
        spotify_ids: list[str] | None = None,
        mbids: list[str] | None = None,
        genre: str = "Rock",
        homepage: str | None = None,
    ) -> str:
        """Add a Ticketmaster attraction; returns its id."""
        attraction_id = ids.tm_attraction_id(key)
        self.dataset.tm_attractions[attraction_id] = TmAttraction(
            attraction_id, name, spotify_ids or [], mbids or [], homepage, genre
        )
        return attraction_id

    def event(
        self,
        key: str,
        name: str,
        attraction_ids: list[str],
        place: Place,
        local_date: date,
        local_time: str | None = "20:00:00",
        **extra: Any,
    ) -> str:
        """Add a Ticketmaster event at a place; returns its id."""
        tm_venue, _ = self.place(place)
        event_id = ids.tm_event_id(key)
        self.dataset.tm_events[event_id] = TmEvent(
            id=event_id,
            name=name,
            attraction_ids=attraction_ids,
            venue_id=tm_venue,
            local_date=local_date.isoformat(),
            local_time=local_time,
            **extra,
        )
        return event_id

    def sf_artist(
        self, key: str, name: str, sort_name: str, disambiguation: str = "", tmid: int | None = None
    ) -> str:
        """Add a setlist.fm artist; returns its MBID."""
        mbid = ids.mbid(key)
        self.dataset.sf_artists[mbid] = SfArtist(mbid, name, sort_name, disambiguation, tmid)
        return mbid

    def setlist(
        self,
        key: str,
        mbid: str,
        place: Place,
        day: date,
        sets: list[dict[str, Any]],
        tour: str | None = None,
        info: str | None = None,
    ) -> str:
        """Add a setlist; returns its id."""
        _, sf_venue = self.place(place)
        setlist_id = ids.hex_id("setlist:" + key)
        updated = day + timedelta(days=ids.number("upd:" + key, 1, 20))
        millis = ids.number("ms:" + key, 0, 999)
        self.dataset.sf_setlists[setlist_id] = SfSetlist(
            id=setlist_id,
            version_id="g" + ids.hex_id("version:" + key),
            event_date=day.strftime("%d-%m-%Y"),
            last_updated=f"{updated.isoformat()}T0{millis % 10}:{millis % 60:02d}:{(millis * 7) % 60:02d}.{millis:03d}+0000",
            artist_mbid=mbid,
            venue_id=sf_venue,
            sets=sets,
            tour=tour,
            info=info,
        )
        return setlist_id

    def sf_artist_ref(self, mbid: str) -> dict[str, Any]:
        """The artist shape used inside `cover` and `with`."""
        artist = self.dataset.sf_artists[mbid]
        return {
            "mbid": artist.mbid,
            "name": artist.name,
            "sortName": artist.sort_name,
            "disambiguation": artist.disambiguation,
            "url": f"https://www.setlist.fm/setlists/{artist.mbid[:8]}.html",
        }


def song(
    name: str,
    *,
    tape: bool = False,
    cover: dict[str, Any] | None = None,
    with_: dict[str, Any] | None = None,
    info: str | None = None,
) -> dict[str, Any]:
    """A setlist.fm song entry with only the keys that apply."""
    entry: dict[str, Any] = {"name": name}
    if with_:
        entry["with"] = with_
    if cover:
        entry["cover"] = cover
    if info:
        entry["info"] = info
    if tape:
        entry["tape"] = True
    return entry
