"""The data the fakes serve: an in-memory model loaded from (and saved to) JSON files.

Records hold facts, not wire shapes; each fake renders its own JSON from them.
Files: spotify.json, ticketmaster.json, setlistfm.json and an optional
expected.json of facts the data was built to exercise (counts after hygiene).
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path
from typing import Any, TypeVar

DEMO_DIR = Path(__file__).parent / "data" / "demo"


# Spotify ---------------------------------------------------------------------


@dataclass
class SpotifyArtist:
    """An artist as Spotify knows it."""

    id: str
    name: str
    genres: list[str] | None  # None: the key is absent from the answer
    popularity: int
    followers: int
    images: list[dict[str, Any]] = field(default_factory=list)


@dataclass
class SpotifyTrack:
    """A recording on one album; `isrc` only shows on full track objects."""

    id: str
    name: str
    artist_ids: list[str]
    track_number: int
    disc_number: int
    duration_ms: int
    isrc: str
    explicit: bool = False
    preview_url: str | None = None
    popularity: int = 0
    album_id: str = ""  # filled from the enclosing album on load


@dataclass
class SpotifyAlbum:
    """An album, single or compilation with its tracks in order."""

    id: str
    name: str
    album_type: str  # album, single, compilation
    release_date: str
    release_date_precision: str  # year, month, day
    artist_ids: list[str]
    tracks: list[SpotifyTrack]
    label: str = ""
    upc: str = ""
    popularity: int = 0
    images: list[dict[str, Any]] = field(default_factory=list)


# Ticketmaster ----------------------------------------------------------------


@dataclass
class TmAttraction:
    """A Ticketmaster attraction with its optional hard links to other services."""

    id: str
    name: str
    spotify_ids: list[str] = field(default_factory=list)
    mbids: list[str] = field(default_factory=list)
    homepage: str | None = None
    genre: str = "Rock"


@dataclass
class TmVenue:
    """A venue; coordinates are strings on the wire, as Ticketmaster sends them."""

    id: str
    name: str
    city: str
    country_code: str
    country_name: str
    timezone: str
    latitude: str
    longitude: str
    address: str = ""
    postal_code: str = ""
    state_code: str | None = None
    state_name: str | None = None


@dataclass
class TmEvent:
    """A show: local date and time at the venue, headliner first in `attraction_ids`."""

    id: str
    name: str
    attraction_ids: list[str]
    venue_id: str
    local_date: str  # YYYY-MM-DD
    local_time: str | None  # HH:MM:SS, None when the time is not yet known
    status: str = "onsale"  # onsale, offsale, cancelled, canceled, postponed, rescheduled
    timezone_in_dates: bool = True  # False: dates.timezone absent, use the venue's
    date_tba: bool = False
    time_tba: bool = False
    no_specific_time: bool = False
    price_ranges: list[dict[str, Any]] | None = None
    info: str | None = None


# setlist.fm ------------------------------------------------------------------


@dataclass
class SfArtist:
    """An artist on setlist.fm, keyed by MusicBrainz id."""

    mbid: str
    name: str
    sort_name: str
    disambiguation: str = ""
    tmid: int | None = None


@dataclass
class SfVenue:
    """A setlist.fm venue with its city."""

    id: str
    name: str
    city_id: str
    city: str
    country_code: str
    country_name: str
    lat: float
    long: float
    state: str | None = None
    state_code: str | None = None


@dataclass
class SfSetlist:
    """One show's setlist; `sets` is already in the live `sets.set[]` shape."""

    id: str
    version_id: str
    event_date: str  # dd-MM-yyyy
    last_updated: str  # 2025-04-28T05:24:44.041+0000
    artist_mbid: str
    venue_id: str
    sets: list[dict[str, Any]] = field(default_factory=list)
    tour: str | None = None
    info: str | None = None


# The whole dataset -----------------------------------------------------------

T = TypeVar("T")


def _build(cls: type[T], data: dict[str, Any]) -> T:
    """Build a record from a dict, rejecting unknown keys so typos in data files fail loudly."""
    known = {f.name for f in fields(cls)}  # type: ignore[arg-type]
    unknown = set(data) - known
    if unknown:
        raise ValueError(f"{cls.__name__}: unknown keys {sorted(unknown)}")
    return cls(**data)


@dataclass
class Dataset:
    """Everything the three fakes serve, indexed by id."""

    spotify_artists: dict[str, SpotifyArtist] = field(default_factory=dict)
    spotify_albums: dict[str, SpotifyAlbum] = field(default_factory=dict)
    tm_attractions: dict[str, TmAttraction] = field(default_factory=dict)
    tm_venues: dict[str, TmVenue] = field(default_factory=dict)
    tm_events: dict[str, TmEvent] = field(default_factory=dict)
    sf_artists: dict[str, SfArtist] = field(default_factory=dict)
    sf_venues: dict[str, SfVenue] = field(default_factory=dict)
    sf_setlists: dict[str, SfSetlist] = field(default_factory=dict)
    # Facts the data was built to exercise, per artist key (see fakes.demo).
    expected: dict[str, dict[str, Any]] = field(default_factory=dict)
    # Derived indexes, rebuilt by reindex().
    spotify_tracks: dict[str, SpotifyTrack] = field(default_factory=dict, init=False)
    events_by_attraction: dict[str, list[TmEvent]] = field(default_factory=dict, init=False)

    def __post_init__(self) -> None:
        self.reindex()

    def reindex(self) -> None:
        """Rebuild the derived indexes after records were added."""
        self.spotify_tracks = {}
        for album in self.spotify_albums.values():
            for track in album.tracks:
                track.album_id = album.id
                self.spotify_tracks[track.id] = track
        self.events_by_attraction = {}
        for event in self.tm_events.values():
            for attraction_id in event.attraction_ids:
                self.events_by_attraction.setdefault(attraction_id, []).append(event)

    # Lookups used by the fakes.

    def albums_of(self, artist_id: str) -> list[tuple[str, SpotifyAlbum]]:
        """(album_group, album) for an artist, in Spotify's order: by group, newest first."""
        order = {"album": 0, "single": 1, "compilation": 2, "appears_on": 3}
        found: list[tuple[str, SpotifyAlbum]] = []
        for album in self.spotify_albums.values():
            if artist_id in album.artist_ids:
                found.append((album.album_type, album))
            elif any(artist_id in t.artist_ids for t in album.tracks):
                found.append(("appears_on", album))
        # Two stable sorts: newest first, then grouped.
        found.sort(key=lambda pair: (pair[1].release_date, pair[1].id), reverse=True)
        found.sort(key=lambda pair: order[pair[0]])
        return found

    def events_of(self, attraction_id: str) -> list[TmEvent]:
        """Events an attraction plays, headlining or supporting."""
        return list(self.events_by_attraction.get(attraction_id, []))

    def setlists_of(self, mbid: str) -> list[SfSetlist]:
        """An artist's setlists, newest first as setlist.fm lists them."""
        found = [s for s in self.sf_setlists.values() if s.artist_mbid == mbid]
        found.sort(key=lambda s: (_sf_date_key(s.event_date), s.id), reverse=True)
        return found

    # Files.

    @classmethod
    def load(cls, directory: Path | str = DEMO_DIR) -> Dataset:
        """Load a dataset from a directory of JSON files (missing files mean no data)."""
        directory = Path(directory)

        def read(name: str) -> dict[str, Any]:
            path = directory / name
            return json.loads(path.read_text(encoding="utf-8")) if path.exists() else {}

        sp, tm, sf = read("spotify.json"), read("ticketmaster.json"), read("setlistfm.json")
        albums = []
        for raw in sp.get("albums", []):
            raw = dict(raw)
            raw["tracks"] = [_build(SpotifyTrack, t) for t in raw.get("tracks", [])]
            albums.append(_build(SpotifyAlbum, raw))
        return cls(
            spotify_artists=_index(SpotifyArtist, sp.get("artists", []), "id"),
            spotify_albums={a.id: a for a in albums},
            tm_attractions=_index(TmAttraction, tm.get("attractions", []), "id"),
            tm_venues=_index(TmVenue, tm.get("venues", []), "id"),
            tm_events=_index(TmEvent, tm.get("events", []), "id"),
            sf_artists=_index(SfArtist, sf.get("artists", []), "mbid"),
            sf_venues=_index(SfVenue, sf.get("venues", []), "id"),
            sf_setlists=_index(SfSetlist, sf.get("setlists", []), "id"),
            expected=read("expected.json"),
        )

    @classmethod
    def demo(cls) -> Dataset:
        """The demo dataset shipped under fakes/data/demo."""
        return cls.load(DEMO_DIR)

    def dump(self, directory: Path | str) -> None:
        """Write the dataset as JSON files that `load` reads back unchanged."""
        directory = Path(directory)
        directory.mkdir(parents=True, exist_ok=True)

        def album_dict(album: SpotifyAlbum) -> dict[str, Any]:
            data = asdict(album)
            for track in data["tracks"]:
                del track["album_id"]  # implied by nesting
            return data

        files = {
            "spotify.json": {
                "artists": [asdict(a) for a in self.spotify_artists.values()],
                "albums": [album_dict(a) for a in self.spotify_albums.values()],
            },
            "ticketmaster.json": {
                "attractions": [asdict(a) for a in self.tm_attractions.values()],
                "venues": [asdict(v) for v in self.tm_venues.values()],
                "events": [asdict(e) for e in self.tm_events.values()],
            },
            "setlistfm.json": {
                "artists": [asdict(a) for a in self.sf_artists.values()],
                "venues": [asdict(v) for v in self.sf_venues.values()],
                "setlists": [asdict(s) for s in self.sf_setlists.values()],
            },
            "expected.json": self.expected,
        }
        for name, content in files.items():
            text = json.dumps(content, ensure_ascii=False, indent=1) + "\n"
            (directory / name).write_text(text, encoding="utf-8")

    def merge(self, other: Dataset) -> Dataset:
        """A new dataset holding both; `other` wins on id clashes."""
        merged = Dataset()
        for name in (
            "spotify_artists",
            "spotify_albums",
            "tm_attractions",
            "tm_venues",
            "tm_events",
            "sf_artists",
            "sf_venues",
            "sf_setlists",
            "expected",
        ):
            setattr(merged, name, {**getattr(self, name), **getattr(other, name)})
        merged.reindex()
        return merged


def _index(cls: type[T], rows: list[dict[str, Any]], key: str) -> dict[str, T]:
    records = [_build(cls, row) for row in rows]
    return {getattr(r, key): r for r in records}


def _sf_date_key(event_date: str) -> str:
    day, month, year = event_date.split("-")
    return f"{year}{month}{day}"
