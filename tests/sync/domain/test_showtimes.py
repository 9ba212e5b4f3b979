"""Show times: the venue-local date always, zones, statuses, bills and venues."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

import pytest

from services.sync.domain.showtimes import (
    Show,
    ShowStatus,
    ShowTimeError,
    is_past_local_date,
    map_status,
    parse_event,
    parse_venue,
    zone_at,
)
from shared.clock import utc_instant
from tests.sync.domain import wire

VENUE = {
    "id": "KovZpZAb6SSQ",
    "name": "The Greek Theatre",
    "timezone": "America/Los_Angeles",
    "city": {"name": "Los Angeles"},
    "state": {"name": "California", "stateCode": "CA"},
    "country": {"name": "United States Of America", "countryCode": "US"},
    "address": {"line1": "2700 N Vermont Ave"},
    "postalCode": "90027",
    "location": {"longitude": "-118.296500", "latitude": "34.119700"},
}


def event(
    local_date: str = "2026-12-01",
    local_time: str | None = "22:30:00",
    date_time: str | None = "2026-12-02T06:30:00Z",
    *,
    timezone: str | None = "America/Los_Angeles",
    status: str = "onsale",
    venue: dict[str, Any] | None = None,
    attractions: tuple[str, ...] = ("K8vZ9172RSF",),
    **flags: bool,
) -> dict[str, Any]:
    start: dict[str, Any] = {"localDate": local_date, **flags}
    if local_time is not None:
        start["localTime"] = local_time
    if date_time is not None:
        start["dateTime"] = date_time
    dates: dict[str, Any] = {"start": start, "status": {"code": status}}
    if timezone is not None:
        dates["timezone"] = timezone
    return {
        "id": "vvG1MrCdyjkHmi",
        "name": "Halcyon Drive",
        "dates": dates,
        "_embedded": {
            "venues": [VENUE if venue is None else venue],
            "attractions": [{"id": a, "name": a} for a in attractions],
        },
    }


def assert_keeps_local_date(raw: dict[str, Any], show: Show) -> None:
    """The show is on the event's `localDate`, and its instant is Ticketmaster's `dateTime`."""
    start = raw["dates"]["start"]
    assert show.local_date.isoformat() == start["localDate"]
    if show.starts_at is not None and start.get("dateTime"):
        assert show.starts_at == datetime.fromisoformat(start["dateTime"].replace("Z", "+00:00"))


def test_late_west_coast_show_keeps_its_local_date() -> None:
    raw = event()
    show = parse_event(raw)
    assert show.local_date == date(2026, 12, 1)  # 06:30 UTC is already 2 December
    assert show.local_time == time(22, 30)
    assert show.starts_at == datetime(2026, 12, 2, 6, 30, tzinfo=UTC)
    assert_keeps_local_date(raw, show)


@pytest.mark.parametrize(
    ("local_date", "local_time", "zone", "utc"),
    [
        ("2026-12-01", "22:30:00", "America/Los_Angeles", "2026-12-02T06:30:00Z"),
        ("2026-12-01", "20:00:00", "America/New_York", "2026-12-02T01:00:00Z"),
        ("2027-04-30", "20:00:00", "Pacific/Honolulu", "2027-05-01T06:00:00Z"),
        ("2027-03-14", "23:00:00", "America/Chicago", "2027-03-15T04:00:00Z"),  # DST day
        ("2027-04-02", "18:30:00", "Asia/Tokyo", "2027-04-02T09:30:00Z"),
        ("2027-02-03", "00:30:00", "Australia/Sydney", "2027-02-02T13:30:00Z"),
    ],
    ids=["los angeles", "new york", "honolulu", "chicago dst", "tokyo", "sydney after midnight"],
)
def test_local_date_is_never_taken_from_utc(
    local_date: str, local_time: str, zone: str, utc: str
) -> None:
    raw = event(local_date, local_time, utc, timezone=zone)
    show = parse_event(raw)
    assert show.local_date.isoformat() == local_date
    assert_keeps_local_date(raw, show)


TIMES = [
    ("known", {}, time(22, 30)),
    ("absent", {"local_time": None, "date_time": None}, None),
    ("timeTBA", {"timeTBA": True}, None),
    ("noSpecificTime", {"noSpecificTime": True}, None),
    ("dateTBA", {"dateTBA": True}, None),
    ("seconds optional", {"local_time": "20:00"}, time(20, 0)),
]


@pytest.mark.parametrize(("changes", "expected"), [t[1:] for t in TIMES], ids=[t[0] for t in TIMES])
def test_local_time_may_be_unknown(changes: dict[str, Any], expected: time | None) -> None:
    kwargs = dict(changes)
    raw = event(
        local_time=kwargs.pop("local_time", "22:30:00"),
        date_time=kwargs.pop("date_time", "2026-12-02T06:30:00Z"),
        **kwargs,
    )
    show = parse_event(raw)
    assert show.local_time == expected
    assert (show.starts_at is None) is (expected is None)


def test_zone_falls_back_to_the_venue() -> None:
    show = parse_event(event(timezone=None))
    assert show.timezone == "America/Los_Angeles"
    assert show.starts_at == datetime(2026, 12, 2, 6, 30, tzinfo=UTC)


def test_invalid_zone_is_ignored() -> None:
    show = parse_event(event(timezone="Mars/Olympus_Mons"))
    assert show.timezone == "America/Los_Angeles"


def test_a_venue_without_a_zone_gets_the_one_at_its_coordinates() -> None:
    venue = {k: v for k, v in VENUE.items() if k != "timezone"}
    show = parse_event(event(timezone=None, venue=venue))
    assert show.timezone == "America/Los_Angeles"
    assert show.starts_at == datetime(2026, 12, 2, 6, 30, tzinfo=UTC)  # 22:30 PST


def test_no_zone_anywhere_leaves_the_instant_unknown() -> None:
    venue = {k: v for k, v in VENUE.items() if k not in ("timezone", "location")}
    show = parse_event(event(timezone=None, venue=venue))
    assert (show.timezone, show.starts_at, show.local_date) == (None, None, date(2026, 12, 1))


@pytest.mark.parametrize(
    ("latitude", "longitude", "zone"),
    [
        (34.1197, -118.2965, "America/Los_Angeles"),
        (35.6812, 139.7671, "Asia/Tokyo"),
        (48.8566, 2.3522, "Europe/Paris"),
        (-33.8568, 151.2153, "Australia/Sydney"),
        (64.1466, -21.9426, "Atlantic/Reykjavik"),
        (0.0, -30.0, None),  # the open Atlantic: nautical zones are no venue's
        (91.0, 0.0, None),  # not a coordinate
        (None, 2.35, None),
    ],
)
def test_zone_at_coordinates(
    latitude: float | None, longitude: float | None, zone: str | None
) -> None:
    assert zone_at(latitude, longitude) == zone


@pytest.mark.parametrize(
    ("raw", "bad"),
    [
        ({"id": "x", "dates": {"start": {}}}, "no localDate"),
        ({"id": "x", "dates": {"start": {"localDate": "01-12-2026"}}}, "bad localDate"),
    ],
    ids=["missing", "malformed"],
)
def test_unreadable_dates_raise(raw: dict[str, Any], bad: str) -> None:
    with pytest.raises(ShowTimeError, match=bad):
        parse_event(raw)


STATUSES = [
    ("onsale", ShowStatus.UPCOMING),
    ("offsale", ShowStatus.UPCOMING),
    ("cancelled", ShowStatus.CANCELLED),
    ("canceled", ShowStatus.CANCELLED),
    ("Cancelled", ShowStatus.CANCELLED),
    ("postponed", ShowStatus.POSTPONED),
    ("rescheduled", ShowStatus.RESCHEDULED),
    ("something-new", ShowStatus.UPCOMING),
    (None, ShowStatus.UPCOMING),
]


@pytest.mark.parametrize(("code", "status"), STATUSES, ids=[str(c) for c, _ in STATUSES])
def test_map_status(code: str | None, status: ShowStatus) -> None:
    assert map_status(code) is status


def test_headliner_and_support_follow_attraction_order() -> None:
    show = parse_event(event(attractions=("K8vZ9172RSF", "K8vZ917zyew", "K8vZ917zyew")))
    assert show.headliner_id == "K8vZ9172RSF"
    assert show.support_ids == ("K8vZ917zyew",)
    assert parse_event(event(attractions=())).headliner_id is None


def test_venue_fields_and_coordinates() -> None:
    venue = parse_venue(VENUE)
    assert (venue.city, venue.state_code, venue.country_code) == ("Los Angeles", "CA", "US")
    assert (venue.latitude, venue.longitude) == (34.1197, -118.2965)
    assert (venue.address, venue.postal_code, venue.timezone) == (
        "2700 N Vermont Ave",
        "90027",
        "America/Los_Angeles",
    )
    sparse = parse_venue({"id": "v", "name": "Somewhere", "location": {"latitude": "n/a"}})
    assert (sparse.latitude, sparse.longitude, sparse.state_code, sparse.timezone) == (
        None,
        None,
        None,
        None,
    )


PAST = [
    # (local date, zone, now in UTC, past?)
    ("evening still on in LA", "2026-12-01", "America/Los_Angeles", "2026-12-02T07:59:00", False),
    ("LA midnight passed", "2026-12-01", "America/Los_Angeles", "2026-12-02T08:00:00", True),
    ("Tokyo day over early in UTC", "2027-04-02", "Asia/Tokyo", "2027-04-02T15:00:00", True),
    ("Tokyo still that day", "2027-04-02", "Asia/Tokyo", "2027-04-02T14:59:00", False),
    ("no zone: waits for UTC-12", "2026-12-01", None, "2026-12-02T11:59:00", False),
    ("no zone: then completes", "2026-12-01", None, "2026-12-02T12:00:00", True),
    ("future show", "2027-01-01", "Europe/London", "2026-12-02T12:00:00", False),
]


@pytest.mark.parametrize(
    ("local_date", "zone", "now", "past"), [p[1:] for p in PAST], ids=[p[0] for p in PAST]
)
def test_is_past_local_date(local_date: str, zone: str | None, now: str, past: bool) -> None:
    moment = datetime.fromisoformat(now).replace(tzinfo=UTC)
    assert is_past_local_date(date.fromisoformat(local_date), zone, moment) is past


def test_grace_delays_completion_and_naive_now_is_refused() -> None:
    day = date(2026, 12, 1)
    now = datetime(2026, 12, 2, 9, 0, tzinfo=UTC)
    assert is_past_local_date(day, "America/Los_Angeles", now)
    assert not is_past_local_date(day, "America/Los_Angeles", now, grace=timedelta(hours=6))
    with pytest.raises(ValueError):
        is_past_local_date(day, "America/Los_Angeles", datetime(2026, 12, 2, 9, 0))


def test_utc_instant_needs_time_and_zone() -> None:
    assert utc_instant(date(2026, 12, 1), None, "America/Los_Angeles") is None
    assert utc_instant(date(2026, 12, 1), time(20), None) is None


# The demo dataset.


@pytest.mark.parametrize("key", wire.ARTISTS)
def test_demo_events_keep_local_dates_and_match_expected(key: str) -> None:
    facts = wire.expected(key)
    raws = wire.events(facts["attraction_id"])
    shows = [parse_event(raw) for raw in raws]
    for raw, show in zip(raws, shows, strict=True):
        assert_keeps_local_date(raw, show)
        assert show.timezone is not None
        assert facts["attraction_id"] in (show.headliner_id, *show.support_ids)
    assert len(shows) == facts["events"]
    assert len({s.venue.ticketmaster_id for s in shows if s.venue}) == facts["venues"]


def test_demo_halcyon_drive_statuses_and_late_shows() -> None:
    raws = wire.events(wire.expected("halcyon_drive")["attraction_id"])
    shows = [parse_event(raw) for raw in raws]
    statuses = Counter(s.status for s in shows)
    assert statuses[ShowStatus.CANCELLED] == 11  # "cancelled" and "canceled" alike
    assert statuses[ShowStatus.POSTPONED] == 5 and statuses[ShowStatus.RESCHEDULED] == 5
    late = [s for s in shows if s.local_time == time(22, 30)]
    assert late and all(s.starts_at and s.starts_at.date() > s.local_date for s in late)
    without_zone = [r for r in raws if "timezone" not in r["dates"]]
    assert without_zone and all(parse_event(r).timezone for r in without_zone)
    assert any(s.local_time is None for s in shows)
    assert any(s.support_ids for s in shows)
