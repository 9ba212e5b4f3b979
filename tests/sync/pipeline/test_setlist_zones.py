"""zone_for: a past show's time zone, from a known venue nearby, else its city's coordinates."""

from __future__ import annotations

from services.sync.domain.setlists import SetlistVenue
from services.sync.pipeline.setlists import KnownVenue, zone_for


def setlist_venue(city: str, lat: float | None, lon: float | None, country: str) -> SetlistVenue:
    return SetlistVenue("sfm-1", "Some Club", city, None, country, lat, lon)


# Known venues carry the zones Ticketmaster gave them, which the catalog already shows.
DETROIT = KnownVenue("v1", "Fox Theatre", "Detroit", "US", 42.3382, -83.0524, "America/Detroit")


def test_a_known_venue_nearby_lends_its_zone() -> None:
    venue = setlist_venue("Detroit", 42.3314, -83.0458, "US")
    assert zone_for(venue, [DETROIT]) == "America/Detroit"


def test_with_no_known_venue_nearby_the_city_coordinates_tell() -> None:
    # Boise keeps Mountain time, though northern Idaho runs on Pacific time.
    venue = setlist_venue("Boise", 43.6150, -116.2023, "US")
    assert zone_for(venue, [DETROIT]) == "America/Boise"


def test_without_a_known_venue_or_coordinates_the_zone_is_unknown() -> None:
    assert zone_for(setlist_venue("Nowhere", None, None, "US"), [DETROIT]) == ""
