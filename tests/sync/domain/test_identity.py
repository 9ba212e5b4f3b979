"""Identity: artist references, hard links, scored name matching that reports instead of guessing."""

from __future__ import annotations

from typing import Any

import pytest

from services.sync.domain.hygiene import select_studio_songs
from services.sync.domain.identity import (
    Ambiguous,
    ArtistRef,
    HardLinks,
    Matched,
    Method,
    Named,
    NoMatch,
    RefKind,
    attraction_links,
    match_attraction_for_spotify,
    match_by_setlist_overlap,
    match_name,
    match_setlistfm,
    match_spotify_for_attraction,
    parse_artist_ref,
    score_name,
    setlist_overlap,
    spotify_id_from_url,
)
from services.sync.domain.setlists import parse_setlist
from tests.sync.domain import wire

SPOTIFY_ID = "2mjE0dYV9mmNKhDMQhVUrK"
MBID = "d2e21051-d15a-4d2d-8247-28cca650259a"

REFS = [
    ("spotify id", SPOTIFY_ID, ArtistRef(RefKind.SPOTIFY, SPOTIFY_ID, could_be_name=True)),
    ("spotify uri", f"spotify:artist:{SPOTIFY_ID}", ArtistRef(RefKind.SPOTIFY, SPOTIFY_ID)),
    (
        "spotify url with query",
        f"https://open.spotify.com/artist/{SPOTIFY_ID}?si=abc123",
        ArtistRef(RefKind.SPOTIFY, SPOTIFY_ID),
    ),
    (
        "spotify intl url",
        f"https://open.spotify.com/intl-de/artist/{SPOTIFY_ID}",
        ArtistRef(RefKind.SPOTIFY, SPOTIFY_ID),
    ),
    (
        "spotify url no scheme",
        f"open.spotify.com/artist/{SPOTIFY_ID}",
        ArtistRef(RefKind.SPOTIFY, SPOTIFY_ID),
    ),
    (
        "ticketmaster id",
        "K8vZ9172RSF",
        ArtistRef(RefKind.TICKETMASTER, "K8vZ9172RSF", could_be_name=True),
    ),
    (
        "ticketmaster legacy id",
        "Z7r9jZ1AdbxYk",
        ArtistRef(RefKind.TICKETMASTER, "Z7r9jZ1AdbxYk", could_be_name=True),
    ),
    (
        "ticketmaster url",
        "https://www.ticketmaster.com/halcyon-drive-tickets/artist/K8vZ9172RSF",
        ArtistRef(RefKind.TICKETMASTER, "K8vZ9172RSF"),
    ),
    ("mbid", MBID, ArtistRef(RefKind.MBID, MBID)),
    ("mbid upper case", MBID.upper(), ArtistRef(RefKind.MBID, MBID)),
    ("musicbrainz url", f"https://musicbrainz.org/artist/{MBID}", ArtistRef(RefKind.MBID, MBID)),
    ("name", "Halcyon Drive", ArtistRef(RefKind.NAME, "Halcyon Drive")),
    ("name with spaces collapsed", "  The   Meridian ", ArtistRef(RefKind.NAME, "The Meridian")),
    ("accented name", "Chloé Saint-Émile", ArtistRef(RefKind.NAME, "Chloé Saint-Émile")),
    ("non-latin name", "夜明けの街", ArtistRef(RefKind.NAME, "夜明けの街")),
    (
        "22-letter camel-case name",
        "TheDillingerEscapePlan",
        ArtistRef(RefKind.NAME, "TheDillingerEscapePlan"),
    ),
    ("short word", "Kraftwerk", ArtistRef(RefKind.NAME, "Kraftwerk")),
    (
        "unrelated url",
        "https://example.com/artist/x",
        ArtistRef(RefKind.NAME, "https://example.com/artist/x"),
    ),
]


@pytest.mark.parametrize(("text", "ref"), [r[1:] for r in REFS], ids=[r[0] for r in REFS])
def test_parse_artist_ref(text: str, ref: ArtistRef) -> None:
    assert parse_artist_ref(text) == ref


def test_empty_ref_is_rejected() -> None:
    with pytest.raises(ValueError):
        parse_artist_ref("   ")


@pytest.mark.parametrize(
    ("url", "spotify_id"),
    [
        (f"https://open.spotify.com/artist/{SPOTIFY_ID}", SPOTIFY_ID),
        (f"https://open.spotify.com/artist/{SPOTIFY_ID}?si=x&nd=1", SPOTIFY_ID),
        (f"https://open.spotify.com/artist/{SPOTIFY_ID}/", SPOTIFY_ID),
        (f"spotify:artist:{SPOTIFY_ID}", SPOTIFY_ID),
        ("https://open.spotify.com/artist/", None),
        ("not a url", None),
    ],
    ids=["plain", "query", "trailing slash", "uri", "no id", "garbage"],
)
def test_spotify_id_from_url(url: str, spotify_id: str | None) -> None:
    assert spotify_id_from_url(url) == spotify_id


def test_attraction_links_read_spotify_and_musicbrainz() -> None:
    attraction = {
        "externalLinks": {
            "spotify": [
                {"url": f"https://open.spotify.com/artist/{SPOTIFY_ID}?si=1"},
                {"url": f"https://open.spotify.com/artist/{SPOTIFY_ID}"},
            ],
            "musicbrainz": [
                {"id": MBID.upper()},
                {"url": f"https://musicbrainz.org/artist/{MBID}"},
            ],
            "homepage": [{"url": "https://halcyondrive.example"}],
        }
    }
    assert attraction_links(attraction) == HardLinks((SPOTIFY_ID,), (MBID,))
    assert attraction_links({"name": "No links"}) == HardLinks()


SCORES = [
    ("equal", "Halcyon Drive", "Halcyon Drive", 1.0),
    ("case", "HALCYON DRIVE", "halcyon drive", 1.0),
    ("accents", "Chloe Saint-Emile", "Chloé Saint-Émile", 1.0),
    ("punctuation", "Guns N Roses", "Guns N' Roses", 1.0),
    ("ampersand", "Simon and Garfunkel", "Simon & Garfunkel", 1.0),
    ("plus", "Florence and the Machine", "Florence + the Machine", 1.0),
    ("leading the", "Meridian", "The Meridian", 0.9),
    ("spacing", "ACDC", "AC/DC", 0.9),
    ("bracketed alias", "夜明けの街 (Yoake no Machi)", "夜明けの街", 0.95),
    ("romanized alias", "Yoake no Machi", "夜明けの街 (Yoake no Machi)", 0.95),
    ("different", "Halcyon Drive", "Quiet Harbor", 0.068),
]


@pytest.mark.parametrize(
    ("query", "name", "score"), [s[1:] for s in SCORES], ids=[s[0] for s in SCORES]
)
def test_score_name(query: str, name: str, score: float) -> None:
    assert score_name(query, name) == pytest.approx(score)


def test_sort_name_alias_reads_back_in_order() -> None:
    assert score_name(
        "The Rolling Bones", "Rolling Bones", ["Rolling Bones, The"]
    ) == pytest.approx(0.95)


def test_fuzzy_names_stay_below_threshold() -> None:
    assert score_name("Halcyon Driv", "Halcyon Drive") < 0.8


def named(*names: str) -> list[Named]:
    return [Named(f"id{n}", name) for n, name in enumerate(names)]


MATCHES: list[tuple[str, str, list[Named], type, str | None]] = [
    ("exact single", "Halcyon Drive", named("Halcyon Drive"), Matched, "id0"),
    ("exact beats the-less", "The Meridian", named("Meridian", "The Meridian"), Matched, "id1"),
    ("the-less accepted alone", "The Meridian", named("Meridian"), Matched, "id0"),
    ("two equal names", "Meridian", named("Meridian", "Meridian", "The Meridian"), Ambiguous, None),
    (
        "not first search result",
        "Quiet Harbor",
        named("Quiet Harbour Band", "Quiet Harbor"),
        Matched,
        "id1",
    ),
    ("fuzzy only", "Halcyon Drive", named("Halcyon Driver", "Halcyon Days"), NoMatch, None),
    ("no candidates", "Halcyon Drive", [], NoMatch, None),
    (
        "same id twice",
        "Halcyon Drive",
        [Named("a", "Halcyon Drive"), Named("a", "Halcyon Drive")],
        Matched,
        "a",
    ),
    ("accents", "Chloe Saint Emile", named("Chloé Saint-Émile", "Chloé"), Matched, "id0"),
    ("non-latin", "夜明けの街", named("夜明けの街", "夜明け"), Matched, "id0"),
]


@pytest.mark.parametrize(
    ("query", "candidates", "kind", "winner"), [m[1:] for m in MATCHES], ids=[m[0] for m in MATCHES]
)
def test_match_name(query: str, candidates: list[Named], kind: type, winner: str | None) -> None:
    result = match_name(query, candidates)
    assert isinstance(result, kind)
    if winner is not None:
        assert isinstance(result, Matched) and result.id == winner
    # Every outcome carries the scored candidates for the import log.
    assert len(result.candidates) == len({c.id for c in candidates})


def test_ambiguous_result_lists_scores_best_first() -> None:
    result = match_name("Meridian", named("The Meridian", "Meridian", "Meridian"))
    assert isinstance(result, Ambiguous)
    assert [c.score for c in result.candidates] == [1.0, 1.0, 0.9]
    assert "within" in result.reason


# The demo dataset.


def sf_artist(mbid: str) -> dict[str, Any]:
    return next(a for a in wire.setlistfm_artists() if a["mbid"] == mbid)


@pytest.mark.parametrize("key", wire.ARTISTS)
def test_demo_identity_resolves_every_artist(key: str) -> None:
    facts = wire.expected(key)
    attraction = wire.attraction(facts["attraction_id"])
    spotify_artists = [wire.spotify_artist(a) for a in wire.demo().spotify_artists]
    spotify = match_spotify_for_attraction(attraction, spotify_artists)
    assert isinstance(spotify, Matched) and spotify.id == facts["spotify_id"]
    name = wire.spotify_artist(facts["spotify_id"])["name"]
    tm = match_attraction_for_spotify(facts["spotify_id"], name, wire.attractions())
    assert isinstance(tm, Matched) and tm.id == facts["attraction_id"]
    setlistfm = match_setlistfm(name, wire.setlistfm_artists(), attraction_links(attraction).mbids)
    if key == "meridian":
        # Two setlist.fm artists are called exactly "Meridian": reported, then settled by setlists.
        assert isinstance(setlistfm, Ambiguous)
        setlistfm = settle_by_setlists(setlistfm, facts["spotify_id"])
    assert isinstance(setlistfm, Matched) and setlistfm.id == facts["mbid"]


def settle_by_setlists(ambiguous: Ambiguous, spotify_id: str) -> Matched | Ambiguous | NoMatch:
    played = {}
    for candidate in ambiguous.candidates[:2]:
        setlists = [parse_setlist(s) for s in wire.setlists(candidate.id)]
        played[candidate.id] = [
            e.name for s in setlists for e in s.entries if not e.tape and not e.is_cover
        ]
    catalog = select_studio_songs(spotify_id, wire.albums(spotify_id), wire.full_tracks(spotify_id))
    return match_by_setlist_overlap(ambiguous, played, [s.title for s in catalog.songs])


def test_demo_the_meridian_matches_by_name_without_links() -> None:
    facts = wire.expected("the_meridian")
    attraction = wire.attraction(facts["attraction_id"])
    assert attraction_links(attraction) == HardLinks()
    result = match_spotify_for_attraction(
        attraction,
        [
            wire.spotify_artist(facts["spotify_id"]),
            wire.spotify_artist(wire.expected("meridian")["spotify_id"]),
        ],
    )
    assert isinstance(result, Matched) and result.method is Method.NAME
    assert [c.score for c in result.candidates] == [1.0, 0.9]


def test_attraction_linked_to_another_spotify_artist_is_never_a_candidate() -> None:
    meridian = wire.attraction(wire.expected("meridian")["attraction_id"])
    the_id = wire.expected("the_meridian")["spotify_id"]
    result = match_attraction_for_spotify(the_id, "Meridian", [meridian])
    assert isinstance(result, NoMatch)


def test_demo_metal_meridian_plays_nothing_from_the_catalog() -> None:
    metal = next(
        a["mbid"] for a in wire.setlistfm_artists() if a["disambiguation"] == "Swedish metal band"
    )
    titles = [e.name for s in wire.setlists(metal) for e in parse_setlist(s).entries]
    assert setlist_overlap(titles, ["Iron Tide"]) > 0
    artist = wire.expected("meridian")["spotify_id"]
    catalog = select_studio_songs(artist, wire.albums(artist), wire.full_tracks(artist))
    assert setlist_overlap(titles, [s.title for s in catalog.songs]) == 0.0


OVERLAPS = [
    ("clear winner", {"id0": ["A", "B", "C"], "id1": ["X", "Y"]}, Matched),
    ("minimum share is enough", {"id0": ["A", "Z"], "id1": ["Y"]}, Matched),
    ("both play the catalog", {"id0": ["A", "B"], "id1": ["A", "B"]}, Ambiguous),
    ("too close", {"id0": ["A", "B", "C"], "id1": ["A", "B", "C", "Y"]}, Ambiguous),
    ("nobody plays it", {"id0": ["X"], "id1": ["Y"]}, NoMatch),
    ("no setlists at all", {}, NoMatch),
]


@pytest.mark.parametrize(
    ("played", "kind"), [o[1:] for o in OVERLAPS], ids=[o[0] for o in OVERLAPS]
)
def test_setlist_overlap_settles_only_clear_ties(played: dict[str, list[str]], kind: type) -> None:
    tie = match_name("Meridian", named("Meridian", "Meridian"))
    assert isinstance(tie, Ambiguous)
    result = match_by_setlist_overlap(tie, played, ["A", "B", "C"])
    assert isinstance(result, kind)
    if isinstance(result, Matched):
        assert result.id == "id0" and result.method is Method.SETLIST_OVERLAP


def test_overlap_ignores_case_and_reissue_qualifiers() -> None:
    assert setlist_overlap(["static", "STATIC (Remastered)", "Other"], ["Static"]) == 0.5
