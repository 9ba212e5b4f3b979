"""Small Spotify album and track dicts in the Web API's shapes, for table-driven tests."""

from __future__ import annotations

from itertools import count
from typing import Any

ARTIST = "4Z8W4fKeB5YxbusRsdQVPb"
OTHER = "0OdUWJ0sBjDrqHygGUXeCF"
_ids = count(1)


def track(
    name: str,
    isrc: str | None,
    duration_ms: int = 200_000,
    *,
    popularity: int | None = 50,
    artists: tuple[str, ...] = (ARTIST,),
    number: int = 1,
    disc: int = 1,
) -> dict[str, Any]:
    """A full track (as /tracks returns it); isrc None for a simplified track."""
    data: dict[str, Any] = {
        "id": f"track{next(_ids):017d}",
        "name": name,
        "duration_ms": duration_ms,
        "track_number": number,
        "disc_number": disc,
        "explicit": False,
        "artists": [{"id": a, "name": "x"} for a in artists],
    }
    if isrc is not None:
        data["external_ids"] = {"isrc": isrc}
    if popularity is not None:
        data["popularity"] = popularity
    return data


def album(
    name: str,
    release_date: str,
    tracks: list[dict[str, Any]],
    *,
    album_type: str = "album",
    group: str | None = None,
    precision: str | None = None,
    artists: tuple[str, ...] = (ARTIST,),
) -> dict[str, Any]:
    """An album with its tracks embedded (`tracks.items`), numbered in order."""
    for n, t in enumerate(tracks, start=1):
        t.setdefault("track_number", n)
    data: dict[str, Any] = {
        "id": f"album{next(_ids):017d}",
        "name": name,
        "album_type": album_type,
        "release_date": release_date,
        "release_date_precision": precision
        or {1: "year", 2: "month", 3: "day"}[len(release_date.split("-"))],
        "artists": [{"id": a, "name": "x"} for a in artists],
        "tracks": {"items": tracks, "next": None, "total": len(tracks)},
    }
    if group is not None:
        data["album_group"] = group
    return data
