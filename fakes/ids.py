"""Deterministic identifiers in each upstream's own format, derived from a seed string."""

from __future__ import annotations

import hashlib
import uuid

BASE62 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"


def _number(seed: str) -> int:
    return int.from_bytes(hashlib.sha256(seed.encode()).digest(), "big")


def base62(seed: str, length: int) -> str:
    """`length` base62 characters derived from `seed`."""
    n = _number(seed)
    chars = []
    for _ in range(length):
        n, digit = divmod(n, 62)
        chars.append(BASE62[digit])
    return "".join(chars)


def spotify_id(seed: str) -> str:
    """A 22-character base62 Spotify id."""
    return base62("spotify:" + seed, 22)


def tm_attraction_id(seed: str) -> str:
    """A Ticketmaster attraction id, e.g. K8vZ917Gku7."""
    return "K8vZ917" + base62("tm-attraction:" + seed, 4)


def tm_venue_id(seed: str) -> str:
    """A Ticketmaster venue id, e.g. KovZpZAEdntA."""
    return "KovZpZA" + base62("tm-venue:" + seed, 5)


def tm_event_id(seed: str) -> str:
    """A Ticketmaster event id, e.g. vvG1IZ9YbKp3mE."""
    return "vvG1" + base62("tm-event:" + seed, 10)


def mbid(seed: str) -> str:
    """A MusicBrainz id (a version-4-shaped UUID)."""
    raw = bytearray(hashlib.sha256(("mbid:" + seed).encode()).digest()[:16])
    raw[6] = (raw[6] & 0x0F) | 0x40
    raw[8] = (raw[8] & 0x3F) | 0x80
    return str(uuid.UUID(bytes=bytes(raw)))


def hex_id(seed: str, length: int = 8) -> str:
    """Lowercase hex, as setlist.fm uses for setlist and venue ids."""
    return hashlib.sha256(seed.encode()).hexdigest()[:length]


def number(seed: str, low: int, high: int) -> int:
    """A deterministic integer in [low, high]."""
    return low + _number("n:" + seed) % (high - low + 1)
