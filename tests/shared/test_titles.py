"""Title rules: which qualifiers mark live/demo/session versions, re-issues, and title keys."""

from __future__ import annotations

import pytest

from shared.titles import (
    Version,
    album_version,
    display_title,
    is_reissue,
    song_key,
    split_qualifiers,
    title_key,
    track_version,
)

TRACKS = [
    # Studio titles that merely contain a version word.
    ("Live Wire", None),
    ("Live and Let Die", None),
    ("Radio Ga Ga", None),
    ("Demolition", None),
    ("Alive", None),
    ("Deliver", None),
    ("Live Forever", None),
    ("Sessions of Sweet Silent Thought", None),
    ("Saint-Germain", None),
    ("Song (feat. Live)", None),
    ("Song - Remastered 2011", None),
    ("Song (Radio Edit)", None),
    # Versions declared in qualifiers.
    ("Song (Live)", Version.LIVE),
    ("Song [Live]", Version.LIVE),
    ("Song - Live", Version.LIVE),
    ("Song - Live at The Fillmore, 2006", Version.LIVE),
    ("Live Wire - Live from Abbey Road", Version.LIVE),
    ("Élan - Live à l'Olympia", Version.LIVE),
    ("星の歌 (Live at Budokan)", Version.LIVE),
    ("星の歌（Live）", Version.LIVE),
    ("Canción (En Vivo)", Version.LIVE),
    ("Song - Live Version", Version.LIVE),
    ("Song - Recorded Live in Paris", Version.LIVE),
    ("Song (MTV Unplugged)", Version.UNPLUGGED),
    ("Song - Unplugged", Version.UNPLUGGED),
    ("Song - BBC Session", Version.SESSION),
    ("Song - Acoustic Session", Version.SESSION),
    ("Song (Peel Sessions 1991)", Version.SESSION),
    ("Song - Demo", Version.DEMO),
    ("Untitled 3 (Demo)", Version.DEMO),
    ("Song - 1998 Demo Version", Version.DEMO),
    ("Song (Rehearsal)", Version.REHEARSAL),
]


@pytest.mark.parametrize(("title", "version"), TRACKS, ids=[t for t, _ in TRACKS])
def test_track_version_reads_only_qualifiers(title: str, version: Version | None) -> None:
    assert track_version(title) == version


ALBUMS = [
    ("Live Wire", None),
    ("Live and Let Die", None),
    ("Demolition", None),
    ("Alive", None),
    ("Live a Little", None),
    ("Northern Lights (Deluxe Edition)", None),
    ("Static Bloom (Remastered 2011)", None),
    ("Greatest Hits 2002–2025", None),
    ("Live at Red Rocks", Version.LIVE),
    ("Live in Tokyo", Version.LIVE),
    ("Live à l'Olympia", Version.LIVE),
    ("Live", Version.LIVE),
    ("Halcyon Drive: Live", Version.LIVE),
    ("In Concert", Version.LIVE),
    ("Live Wire (Live from Abbey Road)", Version.LIVE),
    ("星の歌 (Live at Budokan)", Version.LIVE),
    ("Unplugged at the Troubadour", Version.UNPLUGGED),
    ("MTV Unplugged in New York", Version.UNPLUGGED),
    ("The BBC Sessions", Version.SESSION),
    ("Spotify Sessions", Version.SESSION),
    ("The Demos", Version.DEMO),
]


@pytest.mark.parametrize(("name", "version"), ALBUMS, ids=[n for n, _ in ALBUMS])
def test_album_version_adds_bare_live_album_names(name: str, version: Version | None) -> None:
    assert album_version(name) == version


REISSUES = [
    ("Northern Lights (Deluxe Edition)", True),
    ("Lumière (Édition Deluxe)", True),
    ("Paper Satellites (Super Deluxe Edition)", True),
    ("Static Bloom (Remastered 2011)", True),
    ("Coastal Engines (2019 Remaster)", True),
    ("Album (20th Anniversary Edition)", True),
    ("Album (Expanded)", True),
    ("Song - Bonus Track", True),
    ("Northern Lights", False),
    ("Deluxe", False),
    ("Remaster Me", False),
]


@pytest.mark.parametrize(("name", "reissue"), REISSUES, ids=[n for n, _ in REISSUES])
def test_reissue_qualifiers(name: str, reissue: bool) -> None:
    assert is_reissue(name) is reissue


DISPLAY = [
    ("Song - Remastered 2011", "Song"),
    ("Song - 2019 Remaster", "Song"),
    ("Song (Remastered)", "Song"),
    ("Song (feat. Marigold Vance)", "Song (feat. Marigold Vance)"),
    ("Song - Live", "Song - Live"),
    ("Song (Deluxe) - 2011 Remaster", "Song"),
    ("Où es-tu ?", "Où es-tu ?"),
]


@pytest.mark.parametrize(("title", "shown"), DISPLAY, ids=[t for t, _ in DISPLAY])
def test_display_title_drops_reissue_qualifiers_only(title: str, shown: str) -> None:
    assert display_title(title) == shown


KEYS = [
    ("Live Wire", "live wire"),
    ("live wire", "live wire"),
    ("LIVE WIRE!", "live wire"),
    ("Song - Remastered 2011", "song"),
    ("Song (2019 Remaster)", "song"),
    ("Song (feat. X & Y)", "song"),
    ("Song [ft. X]", "song"),
    ("Song (Radio Edit)", "song radio edit"),
    ("Café de l'Aube", "cafe de l aube"),
    ("Rock & Roll", "rock and roll"),
    ("星の歌", "星の歌"),
    ("(Intro)", "intro"),
]


@pytest.mark.parametrize(("title", "key"), KEYS, ids=[t for t, _ in KEYS])
def test_title_key(title: str, key: str) -> None:
    assert title_key(title) == key


SONG_KEYS = [
    # (title, covered artist, key)
    ("Crazy", None, "crazy"),
    ("Crazy", "Gnarls Barkley", "crazy|gnarls barkley"),
    ("crazy (Remastered)", "GNARLS BARKLEY", "crazy|gnarls barkley"),
    ("Crazy", "Patsy Cline", "crazy|patsy cline"),
    ("Ça plane pour moi", "Plastic Bertrand", "ca plane pour moi|plastic bertrand"),
    ("?!", None, "?!"),  # nothing left to normalize: the folded title
]


@pytest.mark.parametrize(("title", "cover_artist", "key"), SONG_KEYS)
def test_song_key_adds_the_covered_artist(title: str, cover_artist: str | None, key: str) -> None:
    assert song_key(title, cover_artist) == key


def test_split_qualifiers_reads_brackets_and_dash_suffixes() -> None:
    assert split_qualifiers("Song (Remastered) - Live at X") == (
        "Song",
        ["Remastered", "Live at X"],
    )
    assert split_qualifiers("Saint-Germain") == ("Saint-Germain", [])
