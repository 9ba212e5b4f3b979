"""setlist.fm setlists: played entries, the show they belong to, and the linked shape.

Both shapes are read: the live one (`sets.set[]`) and the documented one
(`set[]` at the top level); also the XML-to-JSON quirks of a single object
where a list is expected and an empty string for no sets.

Played titles are linked to songs by the catalog (UpsertActualSetlist), not
here: sync sends the titles as setlist.fm has them. `Linked` and `LinkReport`
are the shape in which seeding reads the catalog's linked actual setlists.
"""

from __future__ import annotations

import math
import statistics
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from enum import StrEnum
from typing import Any

from shared.text import normalize, similarity, word_similarity

CITY_THRESHOLD = 0.5
NEAR_KM = 50.0


class SetlistError(ValueError):
    """A setlist field that cannot be read."""


@dataclass(frozen=True)
class Played:
    """One song entry of a setlist, in play order (position from 1)."""

    position: int
    name: str
    set_name: str | None = None
    encore: int | None = None  # 1, 2, ... for encores; None in the main set
    tape: bool = False  # a recording played, not a performance
    cover_artist: str | None = None
    cover_mbid: str | None = None
    with_artist: str | None = None
    with_mbid: str | None = None
    info: str | None = None

    @property
    def is_cover(self) -> bool:
        """True when another artist's song is played."""
        return self.cover_artist is not None or self.cover_mbid is not None


@dataclass(frozen=True)
class SetlistVenue:
    """The venue and city of a setlist."""

    id: str | None
    name: str
    city: str
    state_code: str | None
    country_code: str | None
    latitude: float | None
    longitude: float | None


@dataclass(frozen=True)
class Setlist:
    """A parsed setlist.fm setlist."""

    id: str
    version_id: str | None
    event_date: date  # the venue-local date of the show
    last_updated: datetime | None
    artist_mbid: str | None
    artist_name: str
    venue: SetlistVenue | None
    tour: str | None
    info: str | None
    entries: tuple[Played, ...]

    @property
    def is_empty(self) -> bool:
        """True when nobody has entered any song yet (common)."""
        return not self.entries


def parse_event_date(text: str) -> date:
    """setlist.fm's dd-MM-yyyy."""
    try:
        return datetime.strptime(text.strip(), "%d-%m-%Y").date()
    except (AttributeError, ValueError) as exc:
        raise SetlistError(f"bad eventDate {text!r}") from exc


def parse_last_updated(text: str | None) -> datetime | None:
    """'2025-04-28T05:24:44.041+0000' as an aware UTC datetime; None when absent."""
    if not text:
        return None
    try:
        return datetime.strptime(text.strip(), "%Y-%m-%dT%H:%M:%S.%f%z").astimezone(UTC)
    except ValueError:
        try:
            return datetime.fromisoformat(text.strip().replace("Z", "+00:00")).astimezone(UTC)
        except ValueError as exc:
            raise SetlistError(f"bad lastUpdated {text!r}") from exc


def _listed(value: Any) -> list[Any]:
    """A list from a list, a single object (XML-converted JSON) or nothing."""
    if isinstance(value, list):
        return value
    if isinstance(value, Mapping):
        return [value]
    return []


def raw_sets(setlist: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    """The set objects of either shape: `sets.set[]` (live) or `set[]` (documented)."""
    sets = setlist.get("sets")
    if isinstance(sets, Mapping):
        return _listed(sets.get("set"))
    if isinstance(sets, list):
        return sets
    return _listed(setlist.get("set"))


def _encore(raw: Any) -> int | None:
    try:
        number = int(raw)
    except (TypeError, ValueError):
        return None
    return number if number > 0 else None


def _flag(raw: Any) -> bool:
    return raw is True or str(raw).lower() == "true"


def parse_entries(setlist: Mapping[str, Any]) -> tuple[Played, ...]:
    """Every song entry in play order; songs without a name (unknown songs) are skipped."""
    entries: list[Played] = []
    for raw_set in raw_sets(setlist):
        set_name = (raw_set.get("name") or None) if isinstance(raw_set, Mapping) else None
        encore = _encore(raw_set.get("encore")) if isinstance(raw_set, Mapping) else None
        for song in _listed(raw_set.get("song") if isinstance(raw_set, Mapping) else None):
            name = " ".join(str(song.get("name") or "").split())
            if not name:
                continue
            cover = song.get("cover") or {}
            guest = song.get("with") or {}
            entries.append(
                Played(
                    position=len(entries) + 1,
                    name=name,
                    set_name=set_name,
                    encore=encore,
                    tape=_flag(song.get("tape")),
                    cover_artist=cover.get("name") or None,
                    cover_mbid=cover.get("mbid") or None,
                    with_artist=guest.get("name") or None,
                    with_mbid=guest.get("mbid") or None,
                    info=song.get("info") or None,
                )
            )
    return tuple(entries)


def _venue(raw: Mapping[str, Any] | None) -> SetlistVenue | None:
    if not raw:
        return None
    city = raw.get("city") or {}
    coords = city.get("coords") or {}
    lat, long = coords.get("lat"), coords.get("long")
    return SetlistVenue(
        id=raw.get("id"),
        name=str(raw.get("name") or ""),
        city=str(city.get("name") or ""),
        state_code=city.get("stateCode"),
        country_code=(city.get("country") or {}).get("code"),
        latitude=float(lat) if lat is not None else None,
        longitude=float(long) if long is not None else None,
    )


def parse_setlist(setlist: Mapping[str, Any]) -> Setlist:
    """A setlist.fm setlist in either shape."""
    artist = setlist.get("artist") or {}
    return Setlist(
        id=str(setlist.get("id") or ""),
        version_id=setlist.get("versionId"),
        event_date=parse_event_date(str(setlist.get("eventDate") or "")),
        last_updated=parse_last_updated(setlist.get("lastUpdated")),
        artist_mbid=artist.get("mbid"),
        artist_name=str(artist.get("name") or ""),
        venue=_venue(setlist.get("venue")),
        tour=(setlist.get("tour") or {}).get("name"),
        info=setlist.get("info") or None,
        entries=parse_entries(setlist),
    )


# Linked setlists, as the catalog holds them ----------------------------------


class LinkKind(StrEnum):
    """What a played entry links to."""

    CATALOG = "catalog"  # one of the artist's catalog songs
    COVER = "cover"  # another artist's song: non-catalog, pointing at that artist
    NON_CATALOG = "non_catalog"  # the artist's song not in the catalog (unreleased, misspelt)


@dataclass(frozen=True)
class CatalogSong:
    """What seeding needs of a catalog song."""

    id: str
    title: str
    popularity: int | None = None


@dataclass(frozen=True)
class SongRef:
    """The song a played entry is, by its catalog id (setlist-only songs have one too)."""

    kind: LinkKind
    key: str  # the catalog song id
    title: str
    cover_artist: str | None = None


@dataclass(frozen=True)
class Linked:
    """A played entry and the song it is."""

    entry: Played
    song: SongRef


@dataclass(frozen=True)
class LinkReport:
    """Linked entries of one setlist, one per song, in play order."""

    linked: tuple[Linked, ...]


# Which show a setlist belongs to ----------------------------------------------


@dataclass(frozen=True)
class ShowRef:
    """What matching needs of one of the artist's shows."""

    id: str
    local_date: date
    city: str
    venue_name: str = ""
    latitude: float | None = None
    longitude: float | None = None


@dataclass(frozen=True)
class ShowMatch:
    """The outcome of matching a setlist to a show: a show id, or why none."""

    show_id: str | None
    candidates: tuple[str, ...] = ()
    reason: str = ""


def distance_km(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Great-circle distance (haversine)."""
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * 6371.0 * math.asin(math.sqrt(a))


def same_city(venue: SetlistVenue, show: ShowRef, *, threshold: float = CITY_THRESHOLD) -> bool:
    """Fuzzy city equality ('Montreal' ~ 'Montréal', 'New York' ~ 'New York City'), or near."""
    a, b = normalize(venue.city), normalize(show.city)
    if (
        a
        and b
        and (
            a == b
            or max(similarity(a, b), word_similarity(a, b), word_similarity(b, a)) >= threshold
        )
    ):
        return True
    coords = (venue.latitude, venue.longitude, show.latitude, show.longitude)
    if all(c is not None for c in coords):
        return distance_km(*coords) <= NEAR_KM  # type: ignore[arg-type]
    return False


def match_show(setlist: Setlist, shows: Sequence[ShowRef]) -> ShowMatch:
    """The artist's show this setlist is of: same local date, same city (fuzzy).

    `shows` are the artist's own shows. Two shows that day in the city (a
    matinee and an evening, say) are told apart by venue name, else reported.
    """
    same_day = [s for s in shows if s.local_date == setlist.event_date]
    if not same_day:
        return ShowMatch(None, (), "no show on that date")
    venue = setlist.venue
    if venue is None:
        ids = tuple(s.id for s in same_day)
        return (
            ShowMatch(ids[0], ids) if len(ids) == 1 else ShowMatch(None, ids, "no venue to compare")
        )
    in_city = [s for s in same_day if same_city(venue, s)]
    ids = tuple(s.id for s in in_city)
    if not in_city:
        return ShowMatch(None, tuple(s.id for s in same_day), "no show in that city that day")
    if len(in_city) == 1:
        return ShowMatch(in_city[0].id, ids)
    by_venue = sorted(
        in_city, key=lambda s: -similarity(normalize(venue.name), normalize(s.venue_name))
    )
    first, second = (similarity(venue.name, s.venue_name) for s in by_venue[:2])
    if first >= CITY_THRESHOLD and first - second >= 0.2:
        return ShowMatch(by_venue[0].id, ids)
    return ShowMatch(None, ids, "several shows in that city that day")


def median_length(setlists: Iterable[Setlist]) -> float | None:
    """Median count of performed songs (no tapes) over non-empty setlists."""
    lengths = [sum(1 for e in s.entries if not e.tape) for s in setlists if not s.is_empty]
    lengths = [n for n in lengths if n]
    return statistics.median(lengths) if lengths else None
