"""How UpsertActualSetlist links played titles to the artist's songs: the one linking rule.

The catalog is where setlist titles are linked (sync sends setlist.fm titles as they
are). These cases come from the tests of sync's former `link_setlist` and of the
title keys it linked by (`shared.titles.title_key`): case, accents,
punctuation and "&"/"and" never matter; a misspelt or longer title is another song;
a tape of a catalog recording is that song; a cover never links to the artist's
same-titled song; a reprise keeps its first position only.
Re-issue and featured-artist qualifiers never matter either, and a cover is
identified by the covered artist as well as the title.
"""

from __future__ import annotations

import pytest
from mysetlist.catalog.v1 import catalog_pb2 as api
from mysetlist.catalog.v1 import resources_pb2 as pb

from services.sync.domain.hygiene import select_studio_songs
from services.sync.domain.setlists import parse_setlist
from services.sync.pipeline.setlists import played_input
from services.sync.pipeline.songs import song_input
from tests.catalog.builders import uid
from tests.sync.domain import wire

# Catalog titles as sync writes them: re-issue qualifiers dropped, featured artists kept.
CATALOG = (
    "Static",
    "Live Wire",
    "Intro",
    "Café de l'Aube",
    "Rock & Roll",
    "星の歌",
    "Glass Highways (feat. Marigold Vance)",
)


def case(name: str, played: str, linked: str | None) -> object:
    """A played title and the catalog title it links to (None: a setlist-only song)."""
    return pytest.param(played, linked, id=name)


LINKS = [
    case("exact", "Static", "Static"),
    case("case", "STATIC", "Static"),
    case("typed loosely", "live wire", "Live Wire"),
    case("punctuation", "LIVE WIRE!", "Live Wire"),
    case("accents", "Cafe de l'Aube", "Café de l'Aube"),
    case("typographic apostrophe", "Café de l’Aube", "Café de l'Aube"),
    case("ampersand spelled out", "Rock and Roll", "Rock & Roll"),
    case("non-latin script", "星の歌", "星の歌"),
    case("bracketed title", "(Intro)", "Intro"),
    case("misspelt", "Statik", None),
    case("longer title", "Static Bloom", None),
    case("reissue qualifier", "Static (Remastered)", "Static"),
    case("reissue dash suffix", "Static - 2011 Remaster", "Static"),
    case(
        "featured artist on the catalog title",
        "Glass Highways",
        "Glass Highways (feat. Marigold Vance)",
    ),
    case("featured artist on the played title", "Static (feat. Marigold Vance)", "Static"),
]


async def _record(clients, show: pb.Show, artist: pb.Artist, songs) -> pb.Setlist:
    response = await clients.service().UpsertActualSetlist(
        api.UpsertActualSetlistRequest(show_id=show.id, artist_id=artist.id, songs=songs)
    )
    return response.setlist


async def _artist_songs(clients, artist: pb.Artist) -> dict[str, pb.Song]:
    response = await clients.anonymous().ListArtistSongs(
        api.ListArtistSongsRequest(artist=artist.id, include_non_catalog=True, page_size=100)
    )
    return {s.id: s for s in response.songs}


@pytest.mark.parametrize(("played", "linked"), LINKS)
async def test_a_played_title_links_to_the_artists_song(
    clients, world, played: str, linked: str | None
) -> None:
    artist = await world.artist()
    ids = dict(zip(CATALOG, await world.songs(artist, CATALOG), strict=True))
    show = await world.show(artist, await world.venue())

    setlist = await _record(clients, show, artist, [api.ActualSongInput(title=played)])

    [entry] = setlist.songs
    if linked is not None:
        assert (entry.song_id, entry.title) == (ids[linked], linked)
    else:
        assert entry.song_id not in ids.values()
        song = (await _artist_songs(clients, artist))[entry.song_id]
        assert (song.title, song.is_catalog) == (played, False)


async def test_tapes_covers_and_reprises_in_one_setlist(clients, world) -> None:
    artist = await world.artist()
    titles = ["Static", "Live Wire", "Northbound Train", "Radio Ga Ga", "Intro"]
    ids = dict(zip(titles, await world.songs(artist, titles), strict=True))
    show = await world.show(artist, await world.venue())
    bones = "The Rolling Bones"

    setlist = await _record(
        clients,
        show,
        artist,
        [
            api.ActualSongInput(title="Intro", is_tape=True),
            api.ActualSongInput(title="Static"),
            api.ActualSongInput(title="live wire"),
            api.ActualSongInput(title="Live Wire", cover_artist_name=bones, info="acoustic"),
            api.ActualSongInput(title="Everything After", info="live debut"),
            api.ActualSongInput(title="Northbound Train"),
            api.ActualSongInput(title="Static", info="again"),
            api.ActualSongInput(title="Glass Highways", set_name="Acoustic set"),
            api.ActualSongInput(title="Radio Ga Ga", encore=1),
            api.ActualSongInput(title="Outro", encore=2, is_tape=True),
        ],
    )

    entries = list(setlist.songs)
    assert [e.position for e in entries] == list(range(1, 10))  # the reprise is gone
    assert [e.info for e in entries if e.song_id == ids["Static"]] == [""]  # the first play
    by_title = {(e.title, e.is_cover): e for e in entries}
    assert by_title[("Intro", False)].song_id == ids["Intro"]  # a tape of a catalog song
    assert by_title[("Intro", False)].is_tape
    assert by_title[("Live Wire", False)].song_id == ids["Live Wire"]  # typed loosely
    cover = by_title[("Live Wire", True)]
    assert cover.song_id not in ids.values()  # never the artist's own "Live Wire"
    assert (cover.cover_artist_name, cover.info) == (bones, "acoustic")
    assert by_title[("Radio Ga Ga", False)].encore == 1

    songs = await _artist_songs(clients, artist)
    assert (songs[cover.song_id].is_catalog, songs[cover.song_id].original_artist_name) == (
        False,
        bones,
    )
    off_catalog = [e.title for e in entries if not songs[e.song_id].is_catalog and not e.is_cover]
    assert off_catalog == ["Everything After", "Glass Highways", "Outro"]


async def test_covers_of_two_artists_same_titled_songs_are_two_songs(clients, world) -> None:
    artist = await world.artist()
    venue = await world.venue()
    first = await _record(
        clients,
        await world.show(artist, venue),
        artist,
        [api.ActualSongInput(title="Crazy", cover_artist_name="Gnarls Barkley")],
    )
    second = await _record(
        clients,
        await world.show(artist, venue),
        artist,
        [api.ActualSongInput(title="Crazy", cover_artist_name="Patsy Cline")],
    )

    assert first.songs[0].song_id != second.songs[0].song_id


# The demo dataset, as sync sends it: studio songs, then setlist.fm titles unchanged.


@pytest.mark.parametrize("key", [k for k in wire.ARTISTS if wire.expected(k)["setlists"]])
async def test_demo_setlists_link_to_the_demo_catalog(clients, world, key: str) -> None:
    facts = wire.expected(key)
    spotify_id = facts["spotify_id"]
    studio = select_studio_songs(
        spotify_id, wire.albums(spotify_id), wire.full_tracks(spotify_id)
    ).songs
    artist = await world.artist()
    batch = [song_input(s) for s in studio]
    for song in batch:  # unique per run: one test database serves every catalog test
        song.spotify_id = f"{uid()}{song.spotify_id}"
    response = await clients.service().BatchUpsertSongs(
        api.BatchUpsertSongsRequest(artist_id=artist.id, songs=batch)
    )
    catalog_ids = set(response.song_ids)
    venue = await world.venue()

    off_catalog: set[str] = set()
    for raw in wire.setlists(facts["mbid"]):
        played = played_input(parse_setlist(raw))
        if not played:
            continue
        setlist = await _record(clients, await world.show(artist, venue), artist, played)
        for entry in setlist.songs:
            if entry.is_cover:
                assert entry.cover_artist_name and entry.song_id not in catalog_ids
            elif entry.song_id not in catalog_ids:
                off_catalog.add(entry.title)
    expected = {"Intro", "Outro"} | ({"Everything After"} if key == "halcyon_drive" else set())
    assert off_catalog <= expected  # only tapes and the one unreleased song stay off-catalog
