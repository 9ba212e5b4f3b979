"""Time in UTC, the one way every service stores and compares it, and local times at a zone."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError


def utcnow() -> dt.datetime:
    """The current instant, timezone-aware."""
    return dt.datetime.now(dt.UTC)


def as_utc(value: dt.datetime) -> dt.datetime:
    """Aware UTC datetime; SQLite hands back naive values that are UTC already."""
    return value.replace(tzinfo=dt.UTC) if value.tzinfo is None else value.astimezone(dt.UTC)


def zone(name: str | None) -> ZoneInfo | None:
    """The IANA zone, or None when the name is empty or unknown."""
    if not name:
        return None
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return None


def utc_instant(
    local_date: dt.date, local_time: dt.time | None, timezone: str | None
) -> dt.datetime | None:
    """The UTC instant of a local date and time at a zone; None when either is unknown."""
    tzinfo = zone(timezone)
    if local_time is None or tzinfo is None:
        return None
    return dt.datetime.combine(local_date, local_time, tzinfo).astimezone(dt.UTC)
