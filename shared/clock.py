"""Time in UTC, the one way every service stores and compares it."""

from __future__ import annotations

import datetime as dt


def utcnow() -> dt.datetime:
    """The current instant, timezone-aware."""
    return dt.datetime.now(dt.UTC)


def as_utc(value: dt.datetime) -> dt.datetime:
    """Aware UTC datetime; SQLite hands back naive values that are UTC already."""
    return value.replace(tzinfo=dt.UTC) if value.tzinfo is None else value.astimezone(dt.UTC)
