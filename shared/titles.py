"""Reading release and track titles: version qualifiers, re-issue markers, match keys.

Spotify writes versions as qualifiers after the title, in brackets or after a
dash: "Song - Live at Red Rocks", "Song (Demo)", "Album (Deluxe Edition)",
"Song - Remastered 2011". Only qualifiers are searched for version words, so
studio titles that merely contain them ("Live Wire", "Alive", "Demolition",
"Live and Let Die", "Radio Ga Ga") stay studio songs. Album names get a few
more patterns on the bare title ("Live at Red Rocks", "Unplugged at ..."),
since live albums rarely put "live" in brackets.

`title_key` is a song title's identity, the one rule both services match titles
by: sync when it dedupes tracks and identifies artists, the catalog when it links
a played setlist title to a song. `song_key` adds the covered artist for covers;
the catalog stores it in `song.title_key`.
"""

from __future__ import annotations

import re
import unicodedata
from enum import StrEnum

from shared.text import fold, normalize


class Version(StrEnum):
    """Why a release or track is not a studio version."""

    LIVE = "live"
    UNPLUGGED = "unplugged"
    SESSION = "session"
    DEMO = "demo"
    REHEARSAL = "rehearsal"


_BRACKETED = re.compile(r"[(\[]([^()\[\]]*)[)\]]")
# Spotify's version suffix: "Title - Qualifier" (hyphen, en or em dash, spaced).
_DASH = re.compile(r"\s+[-–—]\s+")

# Version words inside a qualifier ("(Live)", "- Live at The Fillmore, 2006", "(BBC Session)").
_QUALIFIER_VERSION: list[tuple[Version, re.Pattern[str]]] = [
    (Version.UNPLUGGED, re.compile(r"\bunplugged\b")),
    (Version.SESSION, re.compile(r"\bsessions?\b")),
    (Version.DEMO, re.compile(r"\bdemos?\b")),
    (Version.REHEARSAL, re.compile(r"\brehearsal\b")),
    (
        Version.LIVE,
        re.compile(
            r"\blive\b|\bin concert\b|\ben (vivo|directo|concierto|public)\b|\bao vivo\b|ライブ"
        ),
    ),
]

# Bare album names that are live releases without brackets. Accents are kept on purpose:
# "Live à l'Olympia" is live, "Live a Little" is not.
_LIVE_PREPOSITIONS = r"(at|from|in|on|à|au|aux|aus|im|bei|dal|desde|en|at the)"
_ALBUM_VERSION: list[tuple[Version, re.Pattern[str]]] = [
    (Version.UNPLUGGED, re.compile(r"\bunplugged\b")),
    (
        Version.SESSION,
        re.compile(r"\b(bbc|peel|maida vale|spotify|acoustic|live|kexp|radio) sessions?\b"),
    ),
    (Version.DEMO, re.compile(r"\bthe demos\b|\bdemos$")),
    (
        Version.LIVE,
        re.compile(
            rf"^live\s+{_LIVE_PREPOSITIONS}\b|^live$|[:–—-]\s*live$|^live\s*[:–—-]"
            r"|\bin concert\b|\blive (album|recordings?)\b|\b(en|ao) vivo\b|\ben directo\b"
        ),
    ),
]

# Qualifiers that mark the same recording re-issued; stripped from titles and keys.
_REISSUE = re.compile(
    r"\bremaster(ed)?\b|\bre-?master\b|\bdeluxe\b|\bexpanded\b|\banniversary\b|\bedition\b"
    r"|\bédition\b|\bbonus( track)?\b|\breissue\b|\bre-issue\b|\b(mono|stereo)( version| mix)?$"
)
# Featured-artist credits; part of the displayed title, not of the song's identity.
_FEATURING = re.compile(r"^(feat|ft|featuring|with)\b\.?")


def _prepare(text: str) -> str:
    """NFKC (full-width brackets and dashes become ASCII) and case-folded, accents kept."""
    return unicodedata.normalize("NFKC", text).casefold().strip()


def split_qualifiers(title: str) -> tuple[str, list[str]]:
    """('Song', ['Live at X', 'Remastered']) from 'Song (Remastered) - Live at X'."""
    text = unicodedata.normalize("NFKC", title).strip()
    qualifiers: list[str] = []
    parts = _DASH.split(text)
    base, suffixes = parts[0], parts[1:]
    qualifiers.extend(s.strip() for s in suffixes if s.strip())
    inner = [m.group(1).strip() for m in _BRACKETED.finditer(base)]
    base = _BRACKETED.sub(" ", base)
    qualifiers[:0] = [q for q in inner if q]
    return " ".join(base.split()), qualifiers


def _qualifier_version(qualifier: str) -> Version | None:
    text = _prepare(qualifier)
    if _FEATURING.match(text):
        return None  # "(feat. Live)" credits the band Live, it is not a live version
    for version, pattern in _QUALIFIER_VERSION:
        if pattern.search(text):
            return version
    return None


def track_version(title: str) -> Version | None:
    """The non-studio version a track title declares, or None for a studio title."""
    _, qualifiers = split_qualifiers(title)
    for qualifier in qualifiers:
        version = _qualifier_version(qualifier)
        if version is not None:
            return version
    return None


def album_version(name: str) -> Version | None:
    """The non-studio version an album or single name declares, or None."""
    found = track_version(name)
    if found is not None:
        return found
    base, _ = split_qualifiers(name)
    text = _prepare(base)
    for version, pattern in _ALBUM_VERSION:
        if pattern.search(text):
            return version
    return None


def is_reissue(name: str) -> bool:
    """True when a title carries a re-issue qualifier (deluxe, remaster, anniversary...)."""
    _, qualifiers = split_qualifiers(name)
    return any(_REISSUE.search(_prepare(q)) for q in qualifiers)


def display_title(title: str) -> str:
    """The title without re-issue qualifiers: 'Song - Remastered 2011' -> 'Song'."""
    text = unicodedata.normalize("NFKC", title).strip()
    parts = _DASH.split(text)
    kept = [parts[0]] + [p for p in parts[1:] if not _REISSUE.search(_prepare(p))]
    text = " - ".join(kept)

    def drop(match: re.Match[str]) -> str:
        return " " if _REISSUE.search(_prepare(match.group(1))) else match.group(0)

    return " ".join(_BRACKETED.sub(drop, text).split()) or title.strip()


def title_key(title: str) -> str:
    """Identity of a song title: normalized, without re-issue or featured-artist qualifiers.

    "Static (Remastered)", "static - 2011 Remaster" and "Static (feat. X)" are all
    "static". A title that normalizes to nothing ("?!") keys by its folded self.
    """
    base, qualifiers = split_qualifiers(title)
    kept = [
        q
        for q in qualifiers
        if not _REISSUE.search(_prepare(q)) and not _FEATURING.match(_prepare(q))
    ]
    key = normalize(" ".join([base, *kept]))
    return key or normalize(title) or fold(title).strip()


def song_key(title: str, cover_artist: str | None = None) -> str:
    """A song's identity: its title key, and for a cover the covered artist's name too.

    Two artists' songs called "Crazy" are two songs; an artist's own "Live Wire" and
    its cover of another band's "Live Wire" are two songs as well.
    """
    key = title_key(title)
    return f"{key}|{normalize(cover_artist)}" if cover_artist else key
