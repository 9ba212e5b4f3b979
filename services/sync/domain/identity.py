"""Who an artist is on each upstream: artist references, hard links, scored name matching.

Hard links first: a Ticketmaster attraction's `externalLinks` name the Spotify id
and the MBID, and setlist.fm is keyed by MBID. Without them, names are scored
(case, accents, punctuation, a leading "The", "&"/"and", "+" all ignored) and a
candidate is accepted only above `threshold` and `margin` ahead of the
runner-up. Anything else is an `Ambiguous` or `NoMatch` result that carries
every candidate and its score for the import log: never a guess, never the
first search result.

Scores: 1.0 for equal normalized names; 0.9 when they differ only by a
leading "The" or by spacing ("AC/DC", "ACDC"); otherwise 0.85 x trigram
similarity, so a fuzzy name alone never reaches the 0.8 threshold unless it is
nearly identical. Names taken from an alias (setlist.fm sortName, the bracketed
part of "夜明けの街 (Yoake no Machi)") score 0.95 of that.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any
from urllib.parse import urlsplit

from shared.text import normalize, similarity
from shared.titles import title_key

THRESHOLD = 0.8
MARGIN = 0.08
ALIAS_FACTOR = 0.95
_EXACT, _LOOSE, _FUZZY = 1.0, 0.9, 0.85

_SPOTIFY_ID = re.compile(r"^[0-9A-Za-z]{22}$")
# Ticketmaster Discovery attraction ids: "K8vZ917..." and the older "Z7r9jZ1...".
_TICKETMASTER_ID = re.compile(r"^(K8vZ9|Z7r9jZ)[0-9A-Za-z_-]{4,14}$")
_SPOTIFY_URI = re.compile(r"^spotify:artist:([0-9A-Za-z]{22})$")
_BRACKETED = re.compile(r"\s*[(\[]([^()\[\]]+)[)\]]\s*")


class RefKind(StrEnum):
    """What an artist reference given to StartImport points at."""

    SPOTIFY = "spotify"
    TICKETMASTER = "ticketmaster"
    MBID = "mbid"
    NAME = "name"


@dataclass(frozen=True)
class ArtistRef:
    """A classified artist reference; `could_be_name` when the shape alone decided."""

    kind: RefKind
    value: str
    could_be_name: bool = False


def parse_artist_ref(text: str) -> ArtistRef:
    """Classify a Spotify id/URL/URI, a Ticketmaster attraction id/URL, an MBID/URL or a name."""
    raw = " ".join(text.split())
    if not raw:
        raise ValueError("empty artist reference")
    uri = _SPOTIFY_URI.match(raw)
    if uri:
        return ArtistRef(RefKind.SPOTIFY, uri.group(1))
    if "://" in raw or raw.startswith(("open.spotify.com/", "www.", "musicbrainz.org/")):
        found = _ref_from_url(raw if "://" in raw else "https://" + raw)
        if found is not None:
            return found
    mbid = _as_uuid(raw)
    if mbid is not None:
        return ArtistRef(RefKind.MBID, mbid)
    if _TICKETMASTER_ID.match(raw):
        return ArtistRef(RefKind.TICKETMASTER, raw, could_be_name=True)
    if _SPOTIFY_ID.match(raw) and _looks_random(raw):
        return ArtistRef(RefKind.SPOTIFY, raw, could_be_name=True)
    return ArtistRef(RefKind.NAME, raw)


def _looks_random(text: str) -> bool:
    # "TheDillingerEscapePlan" has 22 letters too: a base62 id almost always has a digit.
    return any(ch.isdigit() for ch in text) or sum(ch.isupper() for ch in text) > 5


def _as_uuid(text: str) -> str | None:
    try:
        value = uuid.UUID(text)
    except ValueError:
        return None
    return str(value) if len(text.replace("-", "")) == 32 else None


def _ref_from_url(url: str) -> ArtistRef | None:
    parts = urlsplit(url)
    host = (parts.hostname or "").lower()
    segments = [s for s in parts.path.split("/") if s]
    if host.endswith("spotify.com") and "artist" in segments:
        index = segments.index("artist")
        if index + 1 < len(segments) and _SPOTIFY_ID.match(segments[index + 1]):
            return ArtistRef(RefKind.SPOTIFY, segments[index + 1])
    if host.endswith("musicbrainz.org") and "artist" in segments:
        index = segments.index("artist")
        mbid = _as_uuid(segments[index + 1]) if index + 1 < len(segments) else None
        if mbid:
            return ArtistRef(RefKind.MBID, mbid)
    if "ticketmaster" in host and segments:
        last = segments[-1].removesuffix(".json")
        if _TICKETMASTER_ID.match(last):
            return ArtistRef(RefKind.TICKETMASTER, last)
    return None


# Hard links -------------------------------------------------------------------


@dataclass(frozen=True)
class HardLinks:
    """Ids another upstream gives for an artist (Ticketmaster `externalLinks`)."""

    spotify_ids: tuple[str, ...] = ()
    mbids: tuple[str, ...] = ()


def spotify_id_from_url(url: str) -> str | None:
    """The artist id in a Spotify URL or URI: the last path segment, query string ignored."""
    uri = _SPOTIFY_URI.match(url.strip())
    if uri:
        return uri.group(1)
    segments = [s for s in urlsplit(url.strip()).path.split("/") if s]
    if segments and _SPOTIFY_ID.match(segments[-1]):
        return segments[-1]
    return None


def attraction_links(attraction: Mapping[str, Any]) -> HardLinks:
    """Spotify ids and MBIDs from a Ticketmaster attraction's externalLinks (deduplicated)."""
    links = attraction.get("externalLinks") or {}
    spotify: list[str] = []
    for link in links.get("spotify") or []:
        found = spotify_id_from_url(str(link.get("url") or ""))
        if found and found not in spotify:
            spotify.append(found)
    mbids: list[str] = []
    for link in links.get("musicbrainz") or []:
        mbid = _as_uuid(str(link.get("id") or ""))
        if mbid is None:  # some links carry only the URL
            segments = [s for s in urlsplit(str(link.get("url") or "")).path.split("/") if s]
            mbid = _as_uuid(segments[-1]) if segments else None
        if mbid and mbid not in mbids:
            mbids.append(mbid)
    return HardLinks(tuple(spotify), tuple(mbids))


# Scored name matching ---------------------------------------------------------


@dataclass(frozen=True)
class Named:
    """A search result to score: its id on that upstream, its name and aliases."""

    id: str
    name: str
    aliases: tuple[str, ...] = ()


@dataclass(frozen=True)
class Candidate:
    """A scored candidate, as recorded in the import log."""

    id: str
    name: str
    score: float


class Method(StrEnum):
    """How a match was decided."""

    HARD_LINK = "hard_link"
    NAME = "name"
    SETLIST_OVERLAP = "setlist_overlap"


@dataclass(frozen=True)
class Matched:
    """One candidate accepted."""

    id: str
    name: str
    method: Method
    score: float = 1.0
    candidates: tuple[Candidate, ...] = ()


@dataclass(frozen=True)
class Ambiguous:
    """Several candidates too close to call: reported, not guessed."""

    query: str
    candidates: tuple[Candidate, ...]
    reason: str = ""


@dataclass(frozen=True)
class NoMatch:
    """No candidate good enough (the candidates are kept for the log)."""

    query: str
    candidates: tuple[Candidate, ...] = field(default_factory=tuple)
    reason: str = ""


MatchResult = Matched | Ambiguous | NoMatch


def _forms(name: str) -> list[tuple[str, float]]:
    """Normalized forms of a name with their weight: the name, without and inside brackets."""
    forms = [(normalize(name.replace("+", " and ")), 1.0)]
    inner = _BRACKETED.findall(name)
    if inner:
        forms.append((normalize(_BRACKETED.sub(" ", name)), ALIAS_FACTOR))
        forms.extend((normalize(part), ALIAS_FACTOR) for part in inner)
    return [(text, weight) for text, weight in forms if text]


def _alias_forms(alias: str) -> list[tuple[str, float]]:
    # setlist.fm sortName: "Rolling Bones, The" and "Vance, Marigold" read back in order.
    if alias.count(",") == 1:
        last, first = (p.strip() for p in alias.split(","))
        alias = f"{first} {last}"
    return [(text, weight * ALIAS_FACTOR) for text, weight in _forms(alias)]


def _core(text: str) -> str:
    return text.removeprefix("the ") if text != "the" else text


def _pair_score(a: str, b: str) -> float:
    if a == b:
        return _EXACT
    if _core(a) == _core(b) or a.replace(" ", "") == b.replace(" ", ""):
        return _LOOSE
    return _FUZZY * similarity(_core(a), _core(b))


def score_name(query: str, name: str, aliases: Iterable[str] = ()) -> float:
    """How well a candidate's name (or an alias) matches the query, in 0..1."""
    queries = _forms(query)
    names = _forms(name) + [form for alias in aliases if alias for form in _alias_forms(alias)]
    best = 0.0
    for q, qw in queries:
        for n, nw in names:
            best = max(best, _pair_score(q, n) * qw * nw)
    return round(best, 4)


def rank_candidates(query: str, candidates: Iterable[Named]) -> tuple[Candidate, ...]:
    """Score candidates (one per id, the best score kept), best first, then by name and id."""
    best: dict[str, Candidate] = {}
    for named in candidates:
        scored = Candidate(named.id, named.name, score_name(query, named.name, named.aliases))
        if named.id not in best or scored.score > best[named.id].score:
            best[named.id] = scored
    return tuple(sorted(best.values(), key=lambda c: (-c.score, c.name, c.id)))


def match_name(
    query: str,
    candidates: Iterable[Named],
    *,
    threshold: float = THRESHOLD,
    margin: float = MARGIN,
) -> MatchResult:
    """Accept the best candidate only above `threshold` and `margin` ahead of the runner-up."""
    ranked = rank_candidates(query, candidates)
    if not ranked:
        return NoMatch(query, ranked, "no candidates")
    top = ranked[0]
    if top.score < threshold:
        return NoMatch(query, ranked, f"best score {top.score:.2f} below {threshold:.2f}")
    contenders = [c for c in ranked[1:] if top.score - c.score < margin]
    if contenders:
        return Ambiguous(
            query,
            ranked,
            f"{len(contenders) + 1} candidates within {margin:.2f} of {top.score:.2f}",
        )
    return Matched(top.id, top.name, Method.NAME, top.score, ranked)


# Upstream shapes --------------------------------------------------------------


def spotify_named(artists: Iterable[Mapping[str, Any]]) -> list[Named]:
    """Spotify artist objects (search `artists.items`) as candidates."""
    return [Named(str(a["id"]), str(a.get("name") or "")) for a in artists if a.get("id")]


def setlistfm_named(artists: Iterable[Mapping[str, Any]]) -> list[Named]:
    """setlist.fm artists (search `artist[]`) as candidates, sortName as an alias."""
    return [
        Named(str(a["mbid"]), str(a.get("name") or ""), (str(a.get("sortName") or ""),))
        for a in artists
        if a.get("mbid")
    ]


def ticketmaster_named(attractions: Iterable[Mapping[str, Any]]) -> list[Named]:
    """Ticketmaster attractions as candidates."""
    return [Named(str(a["id"]), str(a.get("name") or "")) for a in attractions if a.get("id")]


def match_spotify_for_attraction(
    attraction: Mapping[str, Any], search_results: Iterable[Mapping[str, Any]] = ()
) -> MatchResult:
    """The Spotify artist of an attraction: its link when it has exactly one, else by name."""
    links = attraction_links(attraction).spotify_ids
    name = str(attraction.get("name") or "")
    if len(links) == 1:
        return Matched(links[0], name, Method.HARD_LINK)
    named = spotify_named(search_results)
    if links:  # several links: only they may match, and the name decides between them
        named = [n for n in named if n.id in links]
    return match_name(name, named)


def match_attraction_for_spotify(
    spotify_id: str, name: str, attractions: Iterable[Mapping[str, Any]]
) -> MatchResult:
    """The Ticketmaster attraction of a Spotify artist among search results.

    An attraction linking to this Spotify id wins outright; one linking only to
    other Spotify ids is somebody else and never a candidate; unlinked ones are
    scored by name.
    """
    attractions = list(attractions)
    linked = [a for a in attractions if spotify_id in attraction_links(a).spotify_ids]
    if len(linked) == 1:
        return Matched(str(linked[0]["id"]), str(linked[0].get("name") or ""), Method.HARD_LINK)
    if linked:
        return match_name(name, ticketmaster_named(linked))
    unlinked = [a for a in attractions if not attraction_links(a).spotify_ids]
    return match_name(name, ticketmaster_named(unlinked))


def match_setlistfm(
    name: str, artists: Iterable[Mapping[str, Any]], mbids: Iterable[str] = ()
) -> MatchResult:
    """The setlist.fm artist: by MBID when one is known, else by name."""
    artists = list(artists)
    known = list(dict.fromkeys(mbids))
    if len(known) == 1:
        found = next((a for a in artists if a.get("mbid") == known[0]), None)
        return Matched(known[0], str((found or {}).get("name") or name), Method.HARD_LINK)
    named = setlistfm_named(artists)
    if known:
        named = [n for n in named if n.id in known]
    return match_name(name, named)


# Evidence beyond names --------------------------------------------------------


def setlist_overlap(setlist_titles: Iterable[str], catalog_titles: Iterable[str]) -> float:
    """Share of the distinct titles a candidate played that are in the artist's catalog."""
    played = {title_key(t) for t in setlist_titles} - {""}
    catalog = {title_key(t) for t in catalog_titles}
    return round(len(played & catalog) / len(played), 4) if played else 0.0


def match_by_setlist_overlap(
    ambiguous: Ambiguous,
    played_titles: Mapping[str, Iterable[str]],
    catalog_titles: Iterable[str],
    *,
    minimum: float = 0.5,
    margin: float = 0.3,
) -> MatchResult:
    """Settle a tie between same-named setlist.fm artists by what they play.

    `played_titles` maps a tied candidate's MBID to the song titles (covers and
    tapes left out) of its recent setlists. The candidate whose songs are
    mostly in the artist's Spotify catalog, by `margin` over the others, wins.
    """
    catalog = list(catalog_titles)
    top_score = ambiguous.candidates[0].score if ambiguous.candidates else 0.0
    tied = [c for c in ambiguous.candidates if top_score - c.score < MARGIN]
    scored = sorted(
        (
            Candidate(c.id, c.name, setlist_overlap(played_titles.get(c.id, ()), catalog))
            for c in tied
        ),
        key=lambda c: (-c.score, c.name, c.id),
    )
    if not scored or scored[0].score < minimum:
        return NoMatch(ambiguous.query, tuple(scored), "no candidate plays the catalog")
    if len(scored) > 1 and scored[0].score - scored[1].score < margin:
        return Ambiguous(ambiguous.query, tuple(scored), "setlists overlap the catalog alike")
    best = scored[0]
    return Matched(best.id, best.name, Method.SETLIST_OVERLAP, best.score, tuple(scored))
