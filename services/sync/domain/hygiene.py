"""Studio catalog selection: which of an artist's Spotify tracks become catalog songs.

Input is Spotify JSON as the client receives it: albums (from
`/artists/{id}/albums`, or full albums from `/albums`) with every page of their
`tracks.items` merged in, and optionally the full tracks from `/tracks` (the
only place ISRC and popularity appear), keyed by track id. The rules:

1. Release groups: albums and singles by the artist; compilations and
   appearances are skipped unless asked for.
2. Versions: releases named as live, unplugged, session or demo records are
   skipped whole; tracks whose title qualifiers say so are dropped
   (see `titles`: "Live Wire" stays, "Live Wire - Live from Abbey Road" goes).
3. One song per ISRC, the preferred release winning: original releases before
   re-issues (deluxe, remaster, anniversary...), albums before singles, then
   the earliest release date. A lead single shares its ISRC with the album
   track and comes out first; the album is still the song's home.
4. One song per title key + duration (within `tolerance_ms`): remasters issued
   with new ISRCs collapse onto the original this way.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from shared.titles import (
    album_version,
    display_title,
    is_reissue,
    title_key,
    track_version,
)

DEFAULT_GROUPS = frozenset({"album", "single"})
DURATION_TOLERANCE_MS = 2_000
_PRECISION_RANK = {"year": 0, "month": 1, "day": 2}
_TYPE_RANK = {"album": 0, "single": 1, "compilation": 2}


class DropReason(StrEnum):
    """Why a release or track was left out of the studio catalog."""

    GROUP = "group"  # compilation or appears_on, not asked for
    VERSION_RELEASE = "version_release"  # the whole release is live / demo / session
    VERSION_TRACK = "version_track"  # the track title declares a live / demo / session version
    NOT_BY_ARTIST = "not_by_artist"  # the artist is not credited on the track
    DUPLICATE_ISRC = "duplicate_isrc"
    DUPLICATE_TITLE = "duplicate_title"  # same title key and duration as a kept song


@dataclass(frozen=True)
class StudioSong:
    """One studio song as the catalog stores it, from its preferred recording."""

    spotify_id: str
    title: str
    title_key: str
    isrc: str | None
    duration_ms: int
    album_id: str
    album_name: str
    release_date: str
    popularity: int | None  # the best of its recordings; None in development mode
    explicit: bool = False
    # Every Spotify track id merged into this song (the chosen one first).
    track_ids: tuple[str, ...] = ()


@dataclass(frozen=True)
class Dropped:
    """A release or track left out, for the import log."""

    reason: DropReason
    title: str
    album_name: str
    spotify_id: str  # the track id, or the album id for a whole release
    detail: str = ""  # the version found, the group, or the id of the song kept instead


@dataclass
class HygieneReport:
    """The songs kept, in release order, and everything dropped with its reason."""

    songs: list[StudioSong] = field(default_factory=list)
    dropped: list[Dropped] = field(default_factory=list)
    releases: int = 0  # releases in the asked-for groups, before version filtering

    def count(self, reason: DropReason) -> int:
        """How many items were dropped for one reason."""
        return sum(1 for d in self.dropped if d.reason is reason)


@dataclass(frozen=True)
class _Recording:
    track: Mapping[str, Any]
    album: Mapping[str, Any]
    rank: tuple[Any, ...]

    @property
    def id(self) -> str:
        return str(self.track["id"])

    @property
    def name(self) -> str:
        return str(self.track.get("name") or "")

    @property
    def duration(self) -> int:
        return int(self.track.get("duration_ms") or 0)

    @property
    def isrc(self) -> str | None:
        isrc = (self.track.get("external_ids") or {}).get("isrc")
        return str(isrc).upper().replace("-", "") if isrc else None


def release_date_key(release_date: str | None, precision: str | None = None) -> tuple[int, ...]:
    """Sortable (year, month, day, precision): '2004-03' sorts before '2004-03-15'."""
    parts = [int(p) for p in (release_date or "9999").split("-")[:3] if p.isdigit()]
    year, month, day = (parts + [1, 1, 1])[:3] if parts else (9999, 1, 1)
    if precision is None:
        precision = ("year", "month", "day")[min(len(parts), 3) - 1] if parts else "year"
    return (year, month, day, _PRECISION_RANK.get(precision, 0))


def release_group(album: Mapping[str, Any], artist_id: str) -> str:
    """album, single, compilation or appears_on, as Spotify's `album_group` would say."""
    group = album.get("album_group")
    if group:
        return str(group)
    credited = {a.get("id") for a in album.get("artists") or []}
    if credited and artist_id not in credited:
        return "appears_on"
    return str(album.get("album_type") or "album")


def _release_rank(album: Mapping[str, Any], track: Mapping[str, Any]) -> tuple[Any, ...]:
    """Lower is preferred: originals, albums, earliest, then a stable position."""
    name = str(album.get("name") or "")
    return (
        is_reissue(name) or is_reissue(str(track.get("name") or "")),
        _TYPE_RANK.get(str(album.get("album_type")), 3),
        release_date_key(album.get("release_date"), album.get("release_date_precision")),
        str(album.get("id") or ""),
        int(track.get("disc_number") or 1),
        int(track.get("track_number") or 0),
        str(track.get("id") or ""),
    )


def _album_tracks(album: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    tracks = album.get("tracks")
    if isinstance(tracks, Mapping):
        return list(tracks.get("items") or [])
    return list(tracks or [])


def select_studio_songs(
    artist_id: str,
    albums: Iterable[Mapping[str, Any]],
    full_tracks: Mapping[str, Mapping[str, Any]] | None = None,
    *,
    groups: Iterable[str] = DEFAULT_GROUPS,
    tolerance_ms: int = DURATION_TOLERANCE_MS,
) -> HygieneReport:
    """Apply the catalog hygiene rules to an artist's albums; see the module docstring."""
    wanted = frozenset(groups)
    full_tracks = full_tracks or {}
    report = HygieneReport()
    recordings: list[_Recording] = []
    seen_tracks: set[str] = set()

    for album in albums:
        album_name = str(album.get("name") or "")
        group = release_group(album, artist_id)
        if group not in wanted:
            report.dropped.append(
                Dropped(DropReason.GROUP, album_name, album_name, str(album.get("id")), group)
            )
            continue
        report.releases += 1
        version = album_version(album_name)
        if version is not None:
            report.dropped.append(
                Dropped(
                    DropReason.VERSION_RELEASE,
                    album_name,
                    album_name,
                    str(album.get("id")),
                    version.value,
                )
            )
            continue
        for simple in _album_tracks(album):
            track = {**simple, **full_tracks.get(str(simple.get("id")), {})}
            if not track.get("id") or track["id"] in seen_tracks:
                continue
            seen_tracks.add(str(track["id"]))
            name = str(track.get("name") or "")
            version = track_version(name)
            if version is not None:
                report.dropped.append(
                    Dropped(
                        DropReason.VERSION_TRACK, name, album_name, str(track["id"]), version.value
                    )
                )
                continue
            credited = {a.get("id") for a in track.get("artists") or []}
            if credited and artist_id not in credited:
                report.dropped.append(
                    Dropped(DropReason.NOT_BY_ARTIST, name, album_name, str(track["id"]))
                )
                continue
            recordings.append(_Recording(track, album, _release_rank(album, track)))

    recordings.sort(key=lambda r: r.rank)
    # Each kept song collects its duplicates: [preferred, *others].
    kept: list[list[_Recording]] = []
    by_isrc: dict[str, list[_Recording]] = {}
    by_key: dict[str, list[list[_Recording]]] = {}
    for rec in recordings:
        isrc = rec.isrc
        if isrc and isrc in by_isrc:
            by_isrc[isrc].append(rec)
            report.dropped.append(
                Dropped(
                    DropReason.DUPLICATE_ISRC,
                    rec.name,
                    str(rec.album.get("name") or ""),
                    rec.id,
                    by_isrc[isrc][0].id,
                )
            )
            continue
        key = title_key(rec.name)
        twin = next(
            (
                song
                for song in by_key.get(key, [])
                if abs(song[0].duration - rec.duration) <= tolerance_ms
            ),
            None,
        )
        if twin is not None:
            twin.append(rec)
            if isrc:
                by_isrc[isrc] = twin
            report.dropped.append(
                Dropped(
                    DropReason.DUPLICATE_TITLE,
                    rec.name,
                    str(rec.album.get("name") or ""),
                    rec.id,
                    twin[0].id,
                )
            )
            continue
        song = [rec]
        kept.append(song)
        by_key.setdefault(key, []).append(song)
        if isrc:
            by_isrc[isrc] = song

    kept.sort(key=lambda song: _release_order(song[0]))
    report.songs = [_studio_song(song) for song in kept]
    return report


def _release_order(rec: _Recording) -> tuple[Any, ...]:
    """Chronological catalog order: release date, release, disc, track."""
    album = rec.album
    return (
        release_date_key(album.get("release_date"), album.get("release_date_precision")),
        str(album.get("name") or ""),
        str(album.get("id") or ""),
        int(rec.track.get("disc_number") or 1),
        int(rec.track.get("track_number") or 0),
        rec.id,
    )


def _studio_song(recordings: list[_Recording]) -> StudioSong:
    first = recordings[0]
    popularities = [
        int(r.track["popularity"]) for r in recordings if r.track.get("popularity") is not None
    ]
    return StudioSong(
        spotify_id=first.id,
        title=display_title(first.name),
        title_key=title_key(first.name),
        isrc=first.isrc,
        duration_ms=first.duration,
        album_id=str(first.album.get("id") or ""),
        album_name=str(first.album.get("name") or ""),
        release_date=str(first.album.get("release_date") or ""),
        popularity=max(popularities) if popularities else None,
        explicit=bool(first.track.get("explicit")),
        track_ids=tuple(r.id for r in recordings),
    )
