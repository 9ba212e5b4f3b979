"""Venues and shows as fans read them: lookups, filters and date-ordered pages."""

import uuid

import grpc
import pytest
from mysetlist.catalog.v1 import catalog_pb2 as api
from mysetlist.catalog.v1 import resources_pb2 as pb

from tests.catalog.builders import future, uid
from tests.catalog.errors import expect_error
from tests.catalog.pages import walk

# Venues ------------------------------------------------------------------------


async def test_get_venue_by_id_and_by_slug(clients, world):
    venue_id = await world.venue(
        f"Harpa {uid()}",
        city="Reykjavík",
        country_code="IS",
        timezone="Atlantic/Reykjavik",
        latitude=64.15,
        longitude=-21.93,
    )

    by_id = (await clients.anonymous().GetVenue(api.GetVenueRequest(venue=venue_id))).venue
    by_slug = (await clients.anonymous().GetVenue(api.GetVenueRequest(venue=by_id.slug))).venue

    assert by_slug == by_id
    assert by_id.city == "Reykjavík"
    assert by_id.country_code == "IS"
    assert by_id.timezone == "Atlantic/Reykjavik"
    assert (by_id.latitude, by_id.longitude) == pytest.approx((64.15, -21.93))
    assert by_id.slug.startswith("harpa-")


async def test_get_venue_unknown_is_not_found(clients):
    await expect_error(
        clients.anonymous().GetVenue(api.GetVenueRequest(venue=str(uuid.uuid4()))),
        grpc.StatusCode.NOT_FOUND,
        reason="VENUE_NOT_FOUND",
    )


async def test_list_venues_filters_by_city_case_insensitively(clients, world):
    city = f"Springfield{uid()}"
    here = [await world.venue(f"Hall {i}", city=city, country_code="US") for i in range(2)]
    await world.venue("Elsewhere Hall", city=f"Shelbyville{uid()}", country_code="US")

    seen, _ = await walk(
        clients.anonymous().ListVenues, api.ListVenuesRequest(city=city.upper()), "venues"
    )

    assert sorted(v.id for v in seen) == sorted(here)


async def test_list_venues_filters_by_country(clients, world):
    city = f"Bergen{uid()}"
    norwegian = await world.venue("Grieghallen", city=city, country_code="NO")
    swedish = await world.venue("Grieghallen", city=city, country_code="SE")

    seen, _ = await walk(
        clients.anonymous().ListVenues,
        api.ListVenuesRequest(country_code="NO", page_size=500),
        "venues",
    )

    ids = {v.id for v in seen}
    assert norwegian in ids
    assert swedish not in ids
    assert {v.country_code for v in seen} == {"NO"}


async def test_list_venues_combines_country_and_city(clients, world):
    city = f"Paris{uid()}"
    french = await world.venue("Olympia", city=city, country_code="FR")
    await world.venue("Olympia", city=city, country_code="US")

    response = await clients.anonymous().ListVenues(
        api.ListVenuesRequest(country_code="FR", city=city)
    )

    assert [v.id for v in response.venues] == [french]


async def test_list_venues_pages_by_name(clients, world):
    city = f"Pageton{uid()}"
    ids = {name: await world.venue(name, city=city) for name in ("Echo", "Alpha", "Charlie")}

    seen, responses = await walk(
        clients.anonymous().ListVenues, api.ListVenuesRequest(city=city, page_size=2), "venues"
    )

    assert [v.id for v in seen] == [ids["Alpha"], ids["Charlie"], ids["Echo"]]
    assert len(responses) == 2


@pytest.mark.parametrize("country_code", ["USA", "U"])
async def test_list_venues_country_code_must_have_two_letters(clients, country_code):
    await expect_error(
        clients.anonymous().ListVenues(api.ListVenuesRequest(country_code=country_code)),
        grpc.StatusCode.INVALID_ARGUMENT,
        field="country_code",
    )


async def test_list_venues_refuses_a_token_issued_for_another_city(clients, world):
    city = f"Tokentown{uid()}"
    for name in ("A", "B"):
        await world.venue(name, city=city)
    page = await clients.anonymous().ListVenues(api.ListVenuesRequest(city=city, page_size=1))

    await expect_error(
        clients.anonymous().ListVenues(
            api.ListVenuesRequest(city="Elsewhere", page_size=1, page_token=page.next_page_token)
        ),
        grpc.StatusCode.INVALID_ARGUMENT,
        field="page_token",
    )


# GetShow -------------------------------------------------------------------------


async def test_get_show_by_id_and_by_slug(clients, world):
    artist = await world.artist()
    venue_id = await world.venue()
    show = await world.show(
        artist, venue_id, local_date=future(12), ticket_url="https://t.example/1"
    )

    by_id = (await clients.anonymous().GetShow(api.GetShowRequest(show=show.id))).show
    by_slug = (await clients.anonymous().GetShow(api.GetShowRequest(show=show.slug))).show

    assert by_slug == by_id
    assert by_id.venue_id == venue_id
    assert by_id.headliner_artist_id == artist.id
    assert by_id.local_date == future(12)
    assert by_id.status == pb.SHOW_STATUS_UPCOMING
    assert by_id.ticket_url == "https://t.example/1"
    assert by_id.slug.startswith(artist.slug)


async def test_get_show_unknown_is_not_found(clients):
    await expect_error(
        clients.anonymous().GetShow(api.GetShowRequest(show=f"no-such-show-{uid()}")),
        grpc.StatusCode.NOT_FOUND,
        reason="SHOW_NOT_FOUND",
    )


# ListShows -----------------------------------------------------------------------


async def _list_shows(clients, **filters: object) -> list[pb.Show]:
    seen, _ = await walk(
        clients.anonymous().ListShows, api.ListShowsRequest(page_size=100, **filters), "shows"
    )
    return seen


async def test_list_shows_by_artist_includes_shows_where_it_is_support(clients, world):
    artist, other = await world.artist(), await world.artist()
    venue_id = await world.venue()
    headlining = await world.show(artist, venue_id, local_date=future(5))
    supporting = await world.show(other, venue_id, local_date=future(6), support=[artist.id])
    await world.show(other, venue_id, local_date=future(7))

    shows = await _list_shows(clients, artist_id=artist.id)

    assert [s.id for s in shows] == [headlining.id, supporting.id]


async def test_list_shows_by_venue(clients, world):
    artist = await world.artist()
    venue_id, other_venue = await world.venue(), await world.venue()
    here = await world.show(artist, venue_id)
    await world.show(artist, other_venue)

    shows = await _list_shows(clients, venue_id=venue_id)

    assert [s.id for s in shows] == [here.id]


async def test_list_shows_by_status(clients, world):
    artist = await world.artist()
    venue_id = await world.venue()
    await world.show(artist, venue_id, local_date=future(3))
    cancelled = await world.show(
        artist, venue_id, local_date=future(4), status=pb.SHOW_STATUS_CANCELLED
    )

    shows = await _list_shows(clients, artist_id=artist.id, status=pb.SHOW_STATUS_CANCELLED)

    assert [s.id for s in shows] == [cancelled.id]


async def test_list_shows_by_date_range_includes_both_ends(clients, world):
    artist = await world.artist()
    venue_id = await world.venue()
    by_day = {d: await world.show(artist, venue_id, local_date=future(d)) for d in (1, 2, 3, 4, 5)}

    shows = await _list_shows(
        clients, artist_id=artist.id, start_date=future(2), end_date=future(4)
    )

    assert [s.id for s in shows] == [by_day[2].id, by_day[3].id, by_day[4].id]


async def test_list_shows_with_start_date_only(clients, world):
    artist = await world.artist()
    venue_id = await world.venue()
    await world.show(artist, venue_id, local_date=future(1))
    later = await world.show(artist, venue_id, local_date=future(9))

    shows = await _list_shows(clients, artist_id=artist.id, start_date=future(9))

    assert [s.id for s in shows] == [later.id]


async def test_list_shows_start_after_end_is_invalid(clients):
    await expect_error(
        clients.anonymous().ListShows(
            api.ListShowsRequest(start_date="2031-05-02", end_date="2031-05-01")
        ),
        grpc.StatusCode.INVALID_ARGUMENT,
        field="end_date",
    )


async def test_list_shows_malformed_date_is_invalid(clients):
    await expect_error(
        clients.anonymous().ListShows(api.ListShowsRequest(start_date="May 2nd")),
        grpc.StatusCode.INVALID_ARGUMENT,
        field="start_date",
    )


async def test_list_shows_malformed_artist_id_is_invalid(clients):
    await expect_error(
        clients.anonymous().ListShows(api.ListShowsRequest(artist_id="not-a-uuid")),
        grpc.StatusCode.INVALID_ARGUMENT,
        field="artist_id",
    )


async def test_list_shows_pages_in_date_order_without_gaps_or_repeats(clients, world):
    artist = await world.artist()
    venue_id = await world.venue()
    # Created out of date order, with two shows on one day straddling a page boundary.
    days = [9, 2, 5, 2, 7]
    created = [await world.show(artist, venue_id, local_date=future(d)) for d in days]

    seen, responses = await walk(
        clients.anonymous().ListShows,
        api.ListShowsRequest(artist_id=artist.id, page_size=2),
        "shows",
    )

    assert sorted(s.id for s in seen) == sorted(s.id for s in created)
    assert len(seen) == len({s.id for s in seen}) == 5
    assert [s.local_date for s in seen] == sorted(future(d) for d in days)
    assert [len(r.shows) for r in responses] == [2, 2, 1]
    assert responses[-1].next_page_token == ""


async def test_list_shows_refuses_a_token_issued_for_other_filters(clients, world):
    artist, other = await world.artist(), await world.artist()
    venue_id = await world.venue()
    for d in (1, 2):
        await world.show(artist, venue_id, local_date=future(d))
    page = await clients.anonymous().ListShows(
        api.ListShowsRequest(artist_id=artist.id, page_size=1)
    )

    await expect_error(
        clients.anonymous().ListShows(
            api.ListShowsRequest(artist_id=other.id, page_size=1, page_token=page.next_page_token)
        ),
        grpc.StatusCode.INVALID_ARGUMENT,
        field="page_token",
    )
