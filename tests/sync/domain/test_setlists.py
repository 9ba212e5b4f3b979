"""setlist.fm setlists: both shapes, entries, matching to shows."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

import pytest

from services.sync.domain.setlists import (
    SetlistError,
    ShowRef,
    match_show,
    parse_event_date,
    parse_last_updated,
    parse_setlist,
    raw_sets,
)
from services.sync.domain.showtimes import parse_event
from tests.sync.domain import wire

BONES = {"mbid": "e4f1969e-5373-48d7-8233-7bebeebf8e7b", "name": "The Rolling Bones"}
MARIGOLD = {"mbid": "23bd46c1-63be-4e50-81b7-2df27011792d", "name": "Marigold Vance"}
SETS = [
    {
        "song": [
            {"name": "Intro", "tape": True},
            {"name": "Static"},
            {"name": "live wire"},
            {"name": "Live Wire", "cover": BONES, "info": "acoustic"},
            {"name": "Everything After", "info": "live debut"},
            {"name": "Northbound Train", "with": MARIGOLD},
            {"name": ""},
            {"name": "Static", "info": "again"},
        ]
    },
    {"name": "Acoustic set", "song": [{"name": "Glass Highways"}]},
    {"encore": 1, "song": [{"name": "Radio Ga Ga"}]},
    {"encore": 2, "song": {"name": "Outro", "tape": True}},
]


def setlist(**shape: Any) -> dict[str, Any]:
    return {
        "id": "556f28b3",
        "versionId": "g0838b9cb",
        "eventDate": "01-12-2026",
        "lastUpdated": "2026-12-03T04:34:58.454+0000",
        "artist": {"mbid": "d2e21051-d15a-4d2d-8247-28cca650259a", "name": "Halcyon Drive"},
        "venue": {
            "id": "8d844d4c",
            "name": "The Greek Theatre",
            "city": {
                "name": "Los Angeles",
                "stateCode": "CA",
                "coords": {"lat": 34.1197, "long": -118.2965},
                "country": {"code": "US", "name": "United States"},
            },
        },
        "tour": {"name": "Afterglow Machine Tour"},
        **shape,
    }


SHAPES = [
    ("live", {"sets": {"set": SETS}}, 10),
    ("documented", {"set": SETS}, 10),
    ("live empty", {"sets": {"set": []}}, 0),
    ("empty string", {"sets": ""}, 0),
    ("no sets key", {}, 0),
    ("single set object", {"sets": {"set": SETS[2]}}, 1),
]


@pytest.mark.parametrize(("shape", "count"), [s[1:] for s in SHAPES], ids=[s[0] for s in SHAPES])
def test_both_shapes_and_empty_setlists(shape: dict[str, Any], count: int) -> None:
    parsed = parse_setlist(setlist(**shape))
    assert len(parsed.entries) == count
    assert parsed.is_empty is (count == 0)
    assert [e.position for e in parsed.entries] == list(range(1, count + 1))


def test_entry_fields() -> None:
    entries = parse_setlist(setlist(sets={"set": SETS})).entries
    by_position = {e.position: e for e in entries}
    assert by_position[1].tape and by_position[1].name == "Intro"
    assert (by_position[4].cover_artist, by_position[4].info) == ("The Rolling Bones", "acoustic")
    assert by_position[4].is_cover and not by_position[3].is_cover
    assert not by_position[6].is_cover  # a guest does not make it a cover
    assert (by_position[6].with_artist, by_position[6].with_mbid) == (
        "Marigold Vance",
        MARIGOLD["mbid"],
    )
    assert (by_position[8].set_name, by_position[8].encore) == ("Acoustic set", None)
    assert (by_position[9].name, by_position[9].encore) == ("Radio Ga Ga", 1)
    assert (by_position[10].encore, by_position[10].tape) == (2, True)


def test_setlist_fields() -> None:
    parsed = parse_setlist(setlist())
    assert parsed.event_date == date(2026, 12, 1)
    assert parsed.last_updated == datetime(2026, 12, 3, 4, 34, 58, 454000, tzinfo=UTC)
    assert parsed.tour == "Afterglow Machine Tour"
    assert parsed.venue and (parsed.venue.city, parsed.venue.latitude) == ("Los Angeles", 34.1197)


@pytest.mark.parametrize(
    ("text", "parsed"),
    [
        ("19-11-2026", date(2026, 11, 19)),
        ("01-02-2027", date(2027, 2, 1)),
    ],
    ids=["day first", "leading zeros"],
)
def test_event_date_is_day_month_year(text: str, parsed: date) -> None:
    assert parse_event_date(text) == parsed


@pytest.mark.parametrize(
    "text", ["2026-11-19", "31-02-2026", ""], ids=["iso", "no such day", "empty"]
)
def test_bad_event_dates_raise(text: str) -> None:
    with pytest.raises(SetlistError):
        parse_event_date(text)


@pytest.mark.parametrize(
    ("text", "parsed"),
    [
        ("2025-04-28T05:24:44.041+0000", datetime(2025, 4, 28, 5, 24, 44, 41000, tzinfo=UTC)),
        ("2025-04-28T07:24:44.041+0200", datetime(2025, 4, 28, 5, 24, 44, 41000, tzinfo=UTC)),
        ("2025-04-28T05:24:44Z", datetime(2025, 4, 28, 5, 24, 44, tzinfo=UTC)),
        (None, None),
    ],
    ids=["setlist.fm", "offset", "iso z", "absent"],
)
def test_last_updated(text: str | None, parsed: datetime | None) -> None:
    assert parse_last_updated(text) == parsed


def show(
    show_id: str,
    day: str,
    city: str,
    venue: str = "",
    lat: float | None = None,
    long: float | None = None,
) -> ShowRef:
    return ShowRef(show_id, date.fromisoformat(day), city, venue, lat, long)


SHOWS = [
    ("same date and city", [show("a", "2026-12-01", "Los Angeles")], "a"),
    ("city accents and case", [show("a", "2026-12-01", "LOS ÁNGELES")], "a"),
    ("city spelled longer", [show("a", "2026-12-01", "Los Angeles, CA")], "a"),
    (
        "near by coordinates",
        [show("a", "2026-12-01", "Hollywood", lat=34.0981, long=-118.3243)],
        "a",
    ),
    ("the next day in UTC is not it", [show("a", "2026-12-02", "Los Angeles")], None),
    (
        "another city that day",
        [show("a", "2026-12-01", "San Francisco", lat=37.78, long=-122.43)],
        None,
    ),
    (
        "two shows told apart by venue",
        [
            show("a", "2026-12-01", "Los Angeles", "Hollywood Bowl"),
            show("b", "2026-12-01", "Los Angeles", "The Greek Theatre"),
        ],
        "b",
    ),
    (
        "two shows at the same venue",
        [
            show("a", "2026-12-01", "Los Angeles", "The Greek Theatre"),
            show("b", "2026-12-01", "Los Angeles", "The Greek Theatre"),
        ],
        None,
    ),
]


@pytest.mark.parametrize(("shows", "expected"), [s[1:] for s in SHOWS], ids=[s[0] for s in SHOWS])
def test_match_show(shows: list[ShowRef], expected: str | None) -> None:
    result = match_show(parse_setlist(setlist()), shows)
    assert result.show_id == expected
    if expected is None:
        assert result.reason


# The demo dataset.


@pytest.mark.parametrize("key", wire.ARTISTS)
@pytest.mark.parametrize("documented", [False, True], ids=["live shape", "documented shape"])
def test_demo_setlists_match_expected(key: str, documented: bool) -> None:
    facts = wire.expected(key)
    setlists = [parse_setlist(s) for s in wire.setlists(facts["mbid"], documented_shape=documented)]
    assert len(setlists) == facts["setlists"]
    assert sum(s.is_empty for s in setlists) == facts["empty_setlists"]
    assert all(s.artist_mbid == facts["mbid"] for s in setlists)


def test_demo_setlists_match_halcyon_drive_shows_only_by_local_date() -> None:
    facts = wire.expected("halcyon_drive")
    shows = []
    for raw in wire.events(facts["attraction_id"]):
        parsed = parse_event(raw)
        venue = parsed.venue
        assert venue is not None
        shows.append(
            ShowRef(
                parsed.ticketmaster_id,
                parsed.local_date,
                venue.city,
                venue.name,
                venue.latitude,
                venue.longitude,
            )
        )
    setlists = [parse_setlist(s) for s in wire.setlists(facts["mbid"])]
    # The demo's setlists are from before the tour: none may be matched to a show.
    assert all(match_show(s, shows).show_id is None for s in setlists)
    # The same setlist moved to a show's date and venue matches that show, and only it.
    target = shows[0]
    moved = dict(wire.setlists(facts["mbid"])[0])
    moved["eventDate"] = target.local_date.strftime("%d-%m-%Y")
    moved["venue"] = {
        "name": target.venue_name,
        "city": {"name": target.city, "coords": {"lat": target.latitude, "long": target.longitude}},
    }
    assert match_show(parse_setlist(moved), shows).show_id == target.id


def test_raw_sets_prefers_the_live_shape() -> None:
    assert raw_sets({"sets": {"set": [{"song": []}]}, "set": [{}, {}]}) == [{"song": []}]
