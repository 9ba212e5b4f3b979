"""Catalog hygiene: release groups, versions, one song per ISRC, then per title + duration."""

from __future__ import annotations

from typing import Any

import pytest

from services.sync.domain.hygiene import (
    DropReason,
    release_date_key,
    release_group,
    select_studio_songs,
)
from tests.sync.domain import wire
from tests.sync.domain.spotify_builders import ARTIST, OTHER, album, track


def titles(albums: list[dict[str, Any]], **kwargs: Any) -> list[str]:
    return [s.title for s in select_studio_songs(ARTIST, albums, **kwargs).songs]


def test_release_groups_keep_albums_and_singles_only() -> None:
    albums = [
        album("Record", "2010-01-01", [track("A", "ISRC0001")]),
        album("Single", "2011-01-01", [track("B", "ISRC0002")], album_type="single"),
        album("Hits", "2012-01-01", [track("C", "ISRC0003")], album_type="compilation"),
        album(
            "Benefit",
            "2013-01-01",
            [track("D", "ISRC0004")],
            album_type="compilation",
            artists=(OTHER,),
        ),
    ]
    report = select_studio_songs(ARTIST, albums)
    assert [s.title for s in report.songs] == ["A", "B"]
    assert [d.detail for d in report.dropped] == ["compilation", "appears_on"]
    assert report.releases == 2


def test_compilations_can_be_asked_for() -> None:
    albums = [album("Hits", "2012-01-01", [track("C", "ISRC0003")], album_type="compilation")]
    assert titles(albums, groups={"album", "single", "compilation"}) == ["C"]


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        ({"album_group": "appears_on", "album_type": "album"}, "appears_on"),
        ({"album_type": "single", "artists": [{"id": ARTIST}]}, "single"),
        ({"album_type": "album", "artists": [{"id": OTHER}]}, "appears_on"),
        ({"album_type": "compilation"}, "compilation"),
    ],
    ids=["album_group wins", "own single", "other artist's album", "no artists"],
)
def test_release_group(given: dict[str, Any], expected: str) -> None:
    assert release_group(given, ARTIST) == expected


VERSION_CASES = [
    ("live album", "Live at Red Rocks", "Static", [], DropReason.VERSION_RELEASE),
    ("unplugged album", "Unplugged at the Troubadour", "Static", [], DropReason.VERSION_RELEASE),
    (
        "live single",
        "Live Wire (Live from Abbey Road)",
        "Live Wire - Live from Abbey Road",
        [],
        DropReason.VERSION_RELEASE,
    ),
    ("live track", "Record", "Static - Live at The Fillmore, 2006", [], DropReason.VERSION_TRACK),
    ("demo track", "Record", "Static - Demo", [], DropReason.VERSION_TRACK),
    ("bbc track", "Record", "Static - BBC Session", [], DropReason.VERSION_TRACK),
    ("Live Wire", "Record", "Live Wire", ["Live Wire"], None),
    ("Live and Let Die", "Record", "Live and Let Die", ["Live and Let Die"], None),
    ("Radio Ga Ga", "Record", "Radio Ga Ga", ["Radio Ga Ga"], None),
    ("Demolition", "Demolition", "Demolition", ["Demolition"], None),
    ("Alive", "Alive", "Alive", ["Alive"], None),
    ("Deliver", "Record", "Deliver", ["Deliver"], None),
]


@pytest.mark.parametrize(
    ("album_name", "title", "kept", "reason"),
    [case[1:] for case in VERSION_CASES],
    ids=[case[0] for case in VERSION_CASES],
)
def test_versions_are_dropped_studio_lookalikes_kept(
    album_name: str, title: str, kept: list[str], reason: DropReason | None
) -> None:
    report = select_studio_songs(ARTIST, [album(album_name, "2010-01-01", [track(title, "ISRC1")])])
    assert [s.title for s in report.songs] == kept
    assert [d.reason for d in report.dropped] == ([reason] if reason else [])


def test_tracks_not_crediting_the_artist_are_dropped() -> None:
    albums = [
        album("Split", "2010-01-01", [track("Mine", "I1"), track("Theirs", "I2", artists=(OTHER,))])
    ]
    report = select_studio_songs(ARTIST, albums)
    assert [s.title for s in report.songs] == ["Mine"]
    assert report.count(DropReason.NOT_BY_ARTIST) == 1


ISRC_CASES = [
    # (id, releases as (album name, type, date), expected album of the kept song)
    (
        "album over earlier lead single",
        [("Lead", "single", "2010-01-01"), ("Record", "album", "2010-03-01")],
        "Record",
    ),
    (
        "original over deluxe",
        [("Record (Deluxe Edition)", "album", "2012-01-01"), ("Record", "album", "2010-03-01")],
        "Record",
    ),
    (
        "original over remaster",
        [("Record", "album", "2010-03-01"), ("Record (2019 Remaster)", "album", "2019-03-01")],
        "Record",
    ),
    (
        "single over deluxe re-issue",
        [("Record (Deluxe)", "album", "2012-01-01"), ("Lead", "single", "2010-01-01")],
        "Lead",
    ),
    (
        "earliest of two albums",
        [("Second", "album", "2015-01-01"), ("First", "album", "2010-01-01")],
        "First",
    ),
    (
        "year precision before day in same year",
        [("Later", "album", "2010-05-01"), ("Year", "album", "2010")],
        "Year",
    ),
    ("month precision", [("Day", "album", "2004-03-15"), ("Month", "album", "2004-03")], "Month"),
    (
        "album over single on the same date",
        [("Lead", "single", "2010-01-01"), ("Record", "album", "2010-01-01")],
        "Record",
    ),
]


@pytest.mark.parametrize(
    ("releases", "home"), [c[1:] for c in ISRC_CASES], ids=[c[0] for c in ISRC_CASES]
)
def test_one_song_per_isrc_prefers_the_original_album(
    releases: list[tuple[str, str, str]], home: str
) -> None:
    albums = [
        album(name, day, [track("Static", "USABC1000001", popularity=10 * n)], album_type=kind)
        for n, (name, kind, day) in enumerate(releases, start=1)
    ]
    report = select_studio_songs(ARTIST, albums)
    assert len(report.songs) == 1
    song = report.songs[0]
    assert song.album_name == home
    assert song.popularity == 10 * len(releases)  # the best popularity of all its recordings
    assert len(song.track_ids) == len(releases)
    assert report.count(DropReason.DUPLICATE_ISRC) == len(releases) - 1


TITLE_CASES = [
    ("remaster with new ISRC, same duration", "Static - Remastered 2011", 200_000, 1),
    ("2011 Remaster suffix", "Static - 2011 Remaster", 201_500, 1),
    ("within tolerance", "Static", 202_000, 1),
    ("beyond tolerance", "Static", 202_001, 2),
    ("feat credit", "Static (feat. Marigold Vance)", 200_000, 1),
    ("case and punctuation", "STATIC!", 200_000, 1),
    ("different song", "Statics", 200_000, 2),
    ("radio edit is its own song", "Static - Radio Edit", 200_000, 2),
]


@pytest.mark.parametrize(
    ("title", "duration", "songs"), [c[1:] for c in TITLE_CASES], ids=[c[0] for c in TITLE_CASES]
)
def test_then_one_song_per_title_and_duration(title: str, duration: int, songs: int) -> None:
    albums = [
        album("Record", "2002", [track("Static", "ISRCA", 200_000)]),
        album("Record (Remastered 2011)", "2011-06-01", [track(title, "ISRCB", duration)]),
    ]
    report = select_studio_songs(ARTIST, albums)
    assert len(report.songs) == songs
    assert report.songs[0].album_name == "Record"
    assert report.songs[0].title == "Static"


def test_remaster_only_song_gets_a_clean_title() -> None:
    albums = [album("Record (Remastered)", "2011-06-01", [track("Static - Remastered 2011", "I1")])]
    [song] = select_studio_songs(ARTIST, albums).songs
    assert (song.title, song.title_key) == ("Static", "static")


def test_without_isrcs_title_and_duration_still_dedupe() -> None:
    albums = [
        album("Record", "2004-03", [track("Static", None)]),
        album("Record (2019 Remaster)", "2019-03-08", [track("Static - 2019 Remaster", None)]),
        album("Static", "2004-02", [track("Static", None)], album_type="single"),
    ]
    report = select_studio_songs(ARTIST, albums)
    assert [(s.title, s.album_name, s.isrc) for s in report.songs] == [("Static", "Record", None)]


def test_full_tracks_are_merged_over_simplified_ones() -> None:
    simple = track("Static", None, popularity=None)
    full = {**simple, "external_ids": {"isrc": "usabc1000001"}, "popularity": 77}
    report = select_studio_songs(ARTIST, [album("Record", "2010", [simple])], {simple["id"]: full})
    assert (report.songs[0].isrc, report.songs[0].popularity) == ("USABC1000001", 77)


def test_order_is_chronological_and_stable() -> None:
    albums = [
        album("Second", "2015-01-01", [track("C", "I3"), track("D", "I4")]),
        album("First", "2010", [track("A", "I1"), track("B", "I2")]),
    ]
    assert titles(albums) == ["A", "B", "C", "D"]
    assert titles(list(reversed(albums))) == ["A", "B", "C", "D"]


@pytest.mark.parametrize(
    ("day", "precision", "key"),
    [
        ("2002", "year", (2002, 1, 1, 0)),
        ("2004-03", "month", (2004, 3, 1, 1)),
        ("2006-09-12", "day", (2006, 9, 12, 2)),
        ("2006-09-12", None, (2006, 9, 12, 2)),
        ("", None, (9999, 1, 1, 0)),
    ],
    ids=["year", "month", "day", "inferred", "missing"],
)
def test_release_date_key(day: str, precision: str | None, key: tuple[int, ...]) -> None:
    assert release_date_key(day, precision) == key


# The demo dataset: counts must equal fakes/data/demo/expected.json.


@pytest.mark.parametrize("key", wire.ARTISTS)
@pytest.mark.parametrize("development", [False, True], ids=["extended", "development"])
def test_demo_studio_songs_match_expected(key: str, development: bool) -> None:
    facts = wire.expected(key)
    artist = facts["spotify_id"]
    report = select_studio_songs(
        artist,
        wire.albums(artist, development=development),
        wire.full_tracks(artist, development=development),
    )
    assert report.releases == facts["releases"]
    assert len(report.songs) == facts["studio_songs"]
    assert len({s.isrc for s in report.songs}) == len(report.songs)
    assert len({s.spotify_id for s in report.songs}) == len(report.songs)


def test_demo_halcyon_drive_keeps_tricky_titles_and_originals() -> None:
    artist = wire.expected("halcyon_drive")["spotify_id"]
    report = select_studio_songs(artist, wire.albums(artist), wire.full_tracks(artist))
    by_title = {s.title: s for s in report.songs}
    for title in ["Live Wire", "Live and Let Die", "Radio Ga Ga", "Demolition", "Alive"]:
        assert title in by_title
    # Bonus studio songs of the deluxe editions and the non-album singles are kept.
    for title in ["Lanterns", "Satellite Dreams", "Orbit Lane", "Northbound Train", "Signal Fire"]:
        assert title in by_title
    # Compilation-only and appears-on songs are not.
    assert "Lost Frequency" not in by_title and "Harbor Song" not in by_title
    assert not [s.title for s in report.songs if " - " in s.title or "(" in s.title]
    assert by_title["Live Wire"].album_name == "Northern Lights"
    assert report.count(DropReason.DUPLICATE_TITLE) == 11  # the 2011 remaster with new ISRCs
    assert {s.album_name for s in report.songs if s.release_date == "2002"} == {"Static Bloom"}


def test_demo_popularity_is_absent_in_development_mode() -> None:
    artist = wire.expected("quiet_harbor")["spotify_id"]
    report = select_studio_songs(
        artist, wire.albums(artist, development=True), wire.full_tracks(artist, development=True)
    )
    assert {s.popularity for s in report.songs} == {None}


def test_demo_accented_and_non_latin_titles_survive() -> None:
    chloe = wire.expected("chloe_saint_emile")["spotify_id"]
    report = select_studio_songs(chloe, wire.albums(chloe), wire.full_tracks(chloe))
    titles_kept = {s.title for s in report.songs}
    assert {"Café de l'Aube", "Où es-tu ?", "Minuit à Montmartre", "Noël à Paris"} <= titles_kept
    assert "Élan - Live à l'Olympia" not in titles_kept
    yoake = wire.expected("yoake_no_machi")["spotify_id"]
    report = select_studio_songs(yoake, wire.albums(yoake), wire.full_tracks(yoake))
    assert all("Live" not in s.title for s in report.songs)
    assert "星の歌" in {s.title for s in report.songs}
