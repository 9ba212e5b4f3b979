"""Name matching for the fakes' search endpoints, on the suite's one normaliser."""

from __future__ import annotations

from shared.text import normalize, slugify


def matches(name: str, query: str) -> bool:
    """True when every query word starts some word of the name, as a loose search would."""
    words = normalize(name).split()
    return all(any(w.startswith(t) for w in words) for t in normalize(query).split())


def slug(text: str) -> str:
    """A URL slug for public page links."""
    return slugify(text) or "artist"


__all__ = ["matches", "normalize", "slug"]
