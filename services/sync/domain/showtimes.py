"""Ticketmaster events as shows: local date and time, venue time zone, status, bill.

A show's date is the venue's local date (`dates.start.localDate`), always. The
UTC `dateTime` of a 22:30 show in Los Angeles is already the next day; it is
only ever derived from the local date, time and zone.

The zone is the event's, else its venue's, else the one at the venue's
coordinates (`zone_at`, from the time-zone boundaries tzfpy ships).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from enum import StrEnum
from typing import Any
from zoneinfo import ZoneInfo

from tzfpy import get_tz

from shared.clock import utc_instant, zone

# With no known zone, judge "past" by the last zone on Earth to reach a date (UTC-12),
# so a show is never completed while it is still that day at its venue.
_LATEST_ZONE = ZoneInfo("Etc/GMT+12")


class ShowStatus(StrEnum):
    """The catalog's show statuses."""

    UPCOMING = "upcoming"
    COMPLETED = "completed"
    CANCELLED = "cancelled"
    POSTPONED = "postponed"
    RESCHEDULED = "rescheduled"


_STATUS = {
    "onsale": ShowStatus.UPCOMING,
    "offsale": ShowStatus.UPCOMING,
    "cancelled": ShowStatus.CANCELLED,
    "canceled": ShowStatus.CANCELLED,
    "postponed": ShowStatus.POSTPONED,
    "rescheduled": ShowStatus.RESCHEDULED,
}


class ShowTimeError(ValueError):
    """An event whose dates cannot be read or contradict each other."""


@dataclass(frozen=True)
class Venue:
    """Venue fields from a Ticketmaster venue object."""

    ticketmaster_id: str
    name: str
    city: str
    state_code: str | None
    country_code: str | None
    address: str | None
    postal_code: str | None
    timezone: str | None
    latitude: float | None
    longitude: float | None


@dataclass(frozen=True)
class Show:
    """Show fields from a Ticketmaster event."""

    ticketmaster_id: str
    name: str
    local_date: date
    local_time: time | None  # None: not announced (timeTBA, noSpecificTime, absent)
    timezone: str | None  # the event's zone, else its venue's
    starts_at: datetime | None  # the UTC instant, from local date, time and zone
    status: ShowStatus
    status_code: str  # Ticketmaster's own code, for the log
    date_tba: bool
    headliner_id: str | None
    support_ids: tuple[str, ...] = ()
    venue: Venue | None = None
    info: str | None = None
    url: str | None = None
    price_ranges: tuple[Mapping[str, Any], ...] = field(default_factory=tuple)


def map_status(code: str | None) -> ShowStatus:
    """Ticketmaster status code to show status; unknown codes count as upcoming."""
    return _STATUS.get((code or "").strip().lower(), ShowStatus.UPCOMING)


def _float(value: Any) -> float | None:
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    return number if number == number else None  # NaN is no coordinate


def zone_at(latitude: float | None, longitude: float | None) -> str | None:
    """The IANA time zone at these coordinates; None off land or without coordinates.

    Open sea has only nautical zones (`Etc/GMT+2`): no venue is there, so such an
    answer means bad coordinates, and no zone is better than a wrong one.
    """
    if latitude is None or longitude is None:
        return None
    if not (-90.0 <= latitude <= 90.0 and -180.0 <= longitude <= 180.0):
        return None
    name = get_tz(longitude, latitude)
    if not name or name.startswith("Etc/") or zone(name) is None:
        return None
    return name


def parse_venue(venue: Mapping[str, Any]) -> Venue:
    """Venue fields; coordinates arrive as strings and become floats.

    A venue without a (valid) time zone gets the one at its coordinates.
    """
    location = venue.get("location") or {}
    latitude, longitude = _float(location.get("latitude")), _float(location.get("longitude"))
    timezone = venue.get("timezone") if zone(venue.get("timezone")) else None
    return Venue(
        ticketmaster_id=str(venue.get("id") or ""),
        name=str(venue.get("name") or ""),
        city=str((venue.get("city") or {}).get("name") or ""),
        state_code=(venue.get("state") or {}).get("stateCode"),
        country_code=(venue.get("country") or {}).get("countryCode"),
        address=(venue.get("address") or {}).get("line1"),
        postal_code=venue.get("postalCode"),
        timezone=timezone or zone_at(latitude, longitude),
        latitude=latitude,
        longitude=longitude,
    )


def _local_time(start: Mapping[str, Any]) -> time | None:
    if start.get("timeTBA") or start.get("noSpecificTime") or start.get("dateTBA"):
        return None
    raw = start.get("localTime")
    if not raw:
        return None
    try:
        return time.fromisoformat(str(raw))
    except ValueError as exc:
        raise ShowTimeError(f"bad localTime {raw!r}") from exc


def parse_event(event: Mapping[str, Any]) -> Show:
    """Show fields from an event; the date is `localDate`, never derived from `dateTime`."""
    dates = event.get("dates") or {}
    start = dates.get("start") or {}
    raw_date = start.get("localDate")
    if not raw_date:
        raise ShowTimeError(f"event {event.get('id')}: no localDate")
    try:
        local_date = date.fromisoformat(str(raw_date))
    except ValueError as exc:
        raise ShowTimeError(f"event {event.get('id')}: bad localDate {raw_date!r}") from exc
    embedded = event.get("_embedded") or {}
    venues = embedded.get("venues") or []
    venue = parse_venue(venues[0]) if venues else None
    timezone = dates.get("timezone") if zone(dates.get("timezone")) else None
    timezone = timezone or (venue.timezone if venue else None)
    local_time = _local_time(start)
    attraction_ids = [str(a["id"]) for a in embedded.get("attractions") or [] if a.get("id")]
    code = str((dates.get("status") or {}).get("code") or "")
    return Show(
        ticketmaster_id=str(event.get("id") or ""),
        name=str(event.get("name") or ""),
        local_date=local_date,
        local_time=local_time,
        timezone=timezone,
        starts_at=utc_instant(local_date, local_time, timezone),
        status=map_status(code),
        status_code=code,
        date_tba=bool(start.get("dateTBA") or start.get("dateTBD")),
        headliner_id=attraction_ids[0] if attraction_ids else None,
        support_ids=tuple(dict.fromkeys(attraction_ids[1:])),
        venue=venue,
        info=event.get("info"),
        url=event.get("url"),
        price_ranges=tuple(event.get("priceRanges") or ()),
    )


def is_past_local_date(
    local_date: date, timezone: str | None, now: datetime, *, grace: timedelta = timedelta(0)
) -> bool:
    """True once the venue's local date is over (plus `grace`), the moment to complete a show."""
    end_of_day = datetime.combine(local_date + timedelta(days=1), time(0))
    tzinfo = zone(timezone) or _LATEST_ZONE
    if now.tzinfo is None:
        raise ValueError("now must be timezone-aware")
    return now >= end_of_day.replace(tzinfo=tzinfo) + grace
