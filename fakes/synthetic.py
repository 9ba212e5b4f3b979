"""A large synthetic artist for benchmarks: sizes are parameters, output is deterministic."""

from __future__ import annotations

from datetime import date, timedelta

from fakes.builder import Builder
from fakes.dataset import Dataset
from fakes.demo import P, titles


def synthetic_artist(
    *,
    name: str = "Synthetic Orchestra",
    albums: int = 40,
    tracks_per_album: int = 12,
    events: int = 1200,
    setlists: int = 100,
    seed: str = "synthetic",
) -> Dataset:
    """One artist hard-linked across all three upstreams, with the requested volume of data.

    Every album is a studio album of new songs, so a correct import keeps
    `albums * tracks_per_album` songs; events start 2027-01-01, one a day,
    cycling through the demo venues; setlists go back a week apart from 2026-11-01.
    """
    b = Builder(isrc_prefix="QZSY1")
    artist = b.spotify_artist(seed, name, ["benchmark"], 50, 100_000)
    for n in range(albums):
        year = 1990 + n % 36
        recs = [
            b.recording(f"{title} {n}", year=year, seed=seed)
            # Titles repeat across albums; the album number keeps songs distinct.
            for title in titles(f"{seed}:{n}", tracks_per_album, set())
        ]
        b.album(f"{seed}:album:{n}", f"Volume {n + 1}", [artist], "album", f"{year}-06-01", [recs])
    mbid = b.sf_artist(seed, name, name)
    attraction = b.attraction(seed, name, [artist], [mbid])
    places = list(P.values())
    for n in range(events):
        day = date(2027, 1, 1) + timedelta(days=n)
        b.event(f"{seed}:event:{n}", name, [attraction], places[n % len(places)], day)
    songs = [t.name for a in b.dataset.spotify_albums.values() for t in a.tracks]
    for n in range(setlists):
        day = date(2026, 11, 1) - timedelta(days=7 * n)
        played = [{"name": songs[(n * 7 + k) % len(songs)]} for k in range(15)] if songs else []
        sets = [{"song": played[:13]}, {"encore": 1, "song": played[13:]}] if played else []
        b.setlist(f"{seed}:setlist:{n}", mbid, places[n % len(places)], day, sets)
    b.dataset.expected = {
        seed: {
            "spotify_id": artist,
            "attraction_id": attraction,
            "mbid": mbid,
            "releases": albums,
            "studio_songs": len(b.studio_songs(artist)),
            "events": events,
            "setlists": setlists,
        }
    }
    b.dataset.reindex()
    return b.dataset
