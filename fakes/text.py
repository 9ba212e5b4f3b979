"""Text helpers shared by the fakes' searches."""

from __future__ import annotations

import re
import unicodedata


def normalize(text: str) -> str:
    """Case-, accent- and punctuation-insensitive form of a name."""
    folded = unicodedata.normalize("NFKD", text.casefold())
    stripped = "".join(c for c in folded if not unicodedata.combining(c))
    return " ".join(re.sub(r"[^\w\s]", " ", stripped).split())


def matches(name: str, query: str) -> bool:
    """True when every query word starts some word of the name, as a loose search would."""
    words = normalize(name).split()
    return all(any(w.startswith(t) for w in words) for t in normalize(query).split())


def slug(text: str) -> str:
    """A URL slug for public page links."""
    return re.sub(r"[^\w]+", "-", normalize(text)).strip("-") or "artist"
