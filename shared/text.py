"""Text normalisation shared by search, slugs and cross-upstream matching.

One normaliser for every backend and service, so that "Beyoncé", "BEYONCE"
and "beyonce" compare equal whether the catalog runs on PostgreSQL or SQLite
and whether sync is matching a setlist.fm title or a Spotify one.
"""

from __future__ import annotations

import re
import unicodedata

# Letters that Unicode decomposition leaves alone but readers treat as plain
# Latin ones (PostgreSQL's unaccent maps them the same way).
_FOLD = str.maketrans(
    {
        "ø": "o",
        "æ": "ae",
        "œ": "oe",
        "ß": "ss",
        "đ": "d",
        "ð": "d",
        "ł": "l",
        "þ": "th",
        "ı": "i",
    }
)
_NON_WORD = re.compile(r"[^\w]+", re.UNICODE)
_SLUG_INVALID = re.compile(r"[^a-z0-9]+")


def fold(text: str) -> str:
    """Lower-case and strip accents: 'Sigur Rós' -> 'sigur ros'."""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    stripped = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return stripped.translate(_FOLD)


def normalize(text: str) -> str:
    """Fold, turn '&' into 'and', drop punctuation and collapse spaces."""
    folded = fold(text).replace("&", " and ")
    return " ".join(_NON_WORD.sub(" ", folded).split())


def slugify(text: str, *, max_len: int = 80) -> str:
    """URL slug of ASCII letters, digits and single dashes ('' if none remain)."""
    slug = _SLUG_INVALID.sub("-", normalize(text)).strip("-")
    return slug[:max_len].rstrip("-")


def trigrams(text: str) -> set[str]:
    """The trigram set pg_trgm builds: each word padded with two spaces before, one after."""
    grams: set[str] = set()
    for word in normalize(text).split():
        padded = f"  {word} "
        grams.update(padded[i : i + 3] for i in range(len(padded) - 2))
    return grams


def similarity(a: str, b: str) -> float:
    """pg_trgm's similarity(): shared trigrams over all trigrams, in 0..1."""
    ta, tb = trigrams(a), trigrams(b)
    if not ta or not tb:
        return 0.0
    return len(ta & tb) / len(ta | tb)


def word_similarity(query: str, target: str) -> float:
    """Best similarity of the query to any run of consecutive words of the target.

    A close stand-in for pg_trgm's word_similarity(), so that 'ros' finds
    'Sigur Rós' on SQLite as it does on PostgreSQL.
    """
    words = normalize(target).split()
    best = 0.0
    width = max(1, len(normalize(query).split()))
    for size in range(1, width + 1):
        for start in range(len(words) - size + 1):
            best = max(best, similarity(query, " ".join(words[start : start + size])))
    return best
