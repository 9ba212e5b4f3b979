"""Seeding predicted setlists: recent play counts first, popularity to fill."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, timedelta
from typing import Any

import pytest
from mysetlist.catalog.v1 import resources_pb2 as pb

from services.sync.domain.hygiene import select_studio_songs
from services.sync.domain.predictions import Reason, seed_prediction
from services.sync.domain.setlists import (
    CatalogSong,
    LinkKind,
    LinkReport,
    Setlist,
    parse_setlist,
)
from services.sync.pipeline.predictions import history_entry
from shared.text import normalize
from tests.sync.domain import wire

CATALOG = [
    CatalogSong("a", "Alpha", 10),
    CatalogSong("b", "Bravo", 90),
    CatalogSong("c", "Charlie", 50),
    CatalogSong("d", "Delta", None),
    CatalogSong("e", "Echo", 70),
]
START = date(2026, 11, 1)


def as_catalog_holds(
    setlist: Setlist, catalog: Sequence[CatalogSong]
) -> tuple[Setlist, LinkReport]:
    """A parsed setlist as the catalog records it, read back the way seeding reads it.

    Mirrors UpsertActualSetlist as far as these tests need: a title links to the
    catalog song of the same normalized title, any other title (covers always) is a
    setlist-only song with an id of its own, and a reprise keeps its first play only.
    """
    own = {normalize(song.title): song for song in catalog}
    songs: list[pb.SetlistSong] = []
    for entry in setlist.entries:
        key = normalize(entry.name)
        song = None if entry.is_cover else own.get(key)
        song_id = song.id if song else f"setlist-only:{key}"
        if any(s.song_id == song_id for s in songs):
            continue
        songs.append(
            pb.SetlistSong(
                song_id=song_id,
                title=song.title if song else entry.name,
                position=len(songs) + 1,
                is_tape=entry.tape,
                is_cover=entry.is_cover,
                cover_artist_name=entry.cover_artist or entry.cover_mbid or "",
            )
        )
    show = pb.Show(local_date=setlist.event_date.isoformat())
    return history_entry(show, pb.Setlist(id=setlist.id, songs=songs), {s.id for s in catalog})


def history(*setlists: list[Any]) -> list[tuple[Setlist, LinkReport]]:
    """Setlists newest first; a song is a title, or a dict of setlist.fm song fields."""
    parsed = []
    for n, songs in enumerate(setlists):
        raw = {
            "id": f"s{n}",
            "eventDate": (START - timedelta(days=7 * n)).strftime("%d-%m-%Y"),
            "sets": {"set": [{"song": [s if isinstance(s, dict) else {"name": s} for s in songs]}]},
        }
        parsed.append(as_catalog_holds(parse_setlist(raw), CATALOG))
    return parsed


def titles(prediction: Any) -> list[str]:
    return [p.song.title for p in prediction.songs]


CASES = [
    ("no history: popularity", [], {"target": 3}, ["Bravo", "Echo", "Charlie"]),
    (
        "no history: default length capped by catalog",
        [],
        {},
        ["Bravo", "Echo", "Charlie", "Alpha", "Delta"],
    ),
    (
        "frequency first",
        [["Alpha", "Delta"], ["Alpha"], ["Alpha", "Delta"]],
        {"target": 2},
        ["Alpha", "Delta"],
    ),
    ("ties by recency", [["Delta"], ["Alpha"]], {"target": 2}, ["Delta", "Alpha"]),
    ("ties by popularity", [["Alpha", "Charlie"]], {"target": 2}, ["Charlie", "Alpha"]),
    ("fill by popularity", [["Delta"]], {"target": 3}, ["Delta", "Bravo", "Echo"]),
    (
        "median length",
        [["Alpha", "Charlie"], ["Alpha", "Charlie"], ["Alpha", "Charlie", "Delta", "Echo"]],
        {},
        ["Charlie", "Alpha"],
    ),
    (
        "tapes neither count nor lengthen",
        [[{"name": "Bravo", "tape": True}, "Alpha"]],
        {},
        ["Alpha"],
    ),
    ("empty setlists ignored", [[], ["Delta"]], {"target": 1}, ["Delta"]),
    (
        "only the recent ones",
        [["Alpha"], ["Delta"], ["Delta"]],
        {"target": 1, "recent": 1},
        ["Alpha"],
    ),
]


@pytest.mark.parametrize(
    ("setlists", "options", "expected"), [c[1:] for c in CASES], ids=[c[0] for c in CASES]
)
def test_seed_prediction(
    setlists: list[list[Any]], options: dict[str, Any], expected: list[str]
) -> None:
    assert titles(seed_prediction(CATALOG, history(*setlists), **options)) == expected


COVER = {"name": "Paint It Grey", "cover": {"name": "The Rolling Bones"}}


@pytest.mark.parametrize(
    ("setlists", "included"),
    [
        ([["Alpha", COVER], ["Alpha", COVER], ["Alpha"]], True),
        ([["Alpha", COVER], ["Alpha"], ["Alpha"]], False),
        ([["Alpha", "Unreleased"], ["Alpha", "Unreleased"]], True),
        ([["Alpha", "Unreleased"], ["Alpha"], ["Alpha"]], False),
    ],
    ids=["staple cover", "one-off cover", "regular unreleased song", "one-off debut"],
)
def test_off_catalog_songs_need_half_the_recent_setlists(
    setlists: list[list[Any]], included: bool
) -> None:
    prediction = seed_prediction(CATALOG, history(*setlists), target=5)
    kinds = {p.song.kind for p in prediction.songs}
    assert (kinds != {LinkKind.CATALOG}) is included


def test_evidence_is_recorded() -> None:
    prediction = seed_prediction(CATALOG, history(["Delta"], ["Delta", "Alpha"]), target=3)
    first, second, third = prediction.songs
    assert (first.reason, first.plays, first.last_played) == (Reason.PLAYED, 2, START)
    assert (second.reason, second.plays) == (Reason.PLAYED, 1)
    assert (third.reason, third.plays, third.popularity) == (Reason.POPULAR, 0, 90)
    assert (prediction.target_length, prediction.setlists_used) == (3, 2)


def test_target_is_capped_by_what_exists() -> None:
    assert len(seed_prediction(CATALOG, [], target=50).songs) == len(CATALOG)
    assert seed_prediction([], [], target=5).songs == ()


def test_no_song_is_seeded_twice() -> None:
    prediction = seed_prediction(
        CATALOG, history(["Alpha", "alpha", "ALPHA (Remastered)"]), target=5
    )
    assert len({(p.song.kind, p.song.key) for p in prediction.songs}) == len(prediction.songs)


# The demo dataset.


@pytest.mark.parametrize("key", wire.ARTISTS)
def test_demo_predictions(key: str) -> None:
    facts = wire.expected(key)
    artist = facts["spotify_id"]
    songs = select_studio_songs(artist, wire.albums(artist), wire.full_tracks(artist)).songs
    catalog = [CatalogSong(s.spotify_id, s.title, s.popularity) for s in songs]
    past = []
    for raw in wire.setlists(facts["mbid"]):
        past.append(as_catalog_holds(parse_setlist(raw), catalog))
    prediction = seed_prediction(catalog, past)
    assert len({p.song.key for p in prediction.songs}) == len(prediction.songs)
    if facts["setlists"] - facts["empty_setlists"] > 0:
        # Demo setlists hold 11 + 1 cover + 2-3 encore songs: the median is 14 or 15.
        assert prediction.target_length in (14, 15)
        assert prediction.songs[0].reason is Reason.PLAYED
        assert all(p.song.title not in ("Intro", "Outro") for p in prediction.songs)
    else:
        assert prediction.target_length == min(15, len(catalog))
        assert all(p.reason is Reason.POPULAR for p in prediction.songs)
