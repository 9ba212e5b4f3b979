"""Batch upserts from sync: songs, venues and shows keyed on upstream ids, idempotent."""

import datetime as dt
import uuid

import grpc
import pytest
from mysetlist.catalog.v1 import catalog_pb2 as api
from mysetlist.catalog.v1 import resources_pb2 as pb

from tests.catalog.builders import future, uid
from tests.catalog.errors import expect_error


def _song(title: str, spotify_id: str | None = None, **fields: object) -> api.SongInput:
    return api.SongInput(spotify_id=spotify_id or f"tr{uid()}", title=title, **fields)


def _venue(name: str = "The Forum", **fields: object) -> api.VenueInput:
    fields.setdefault("ticketmaster_id", f"KovZ{uid()}")
    fields.setdefault("city", "Inglewood")
    fields.setdefault("timezone", "America/Los_Angeles")
    return api.VenueInput(name=name, **fields)


def _show(artist_ids: list[str], venue_id: str, **fields: object) -> api.ShowInput:
    fields.setdefault("ticketmaster_id", f"G5v{uid()}")
    fields.setdefault("local_date", future())
    fields.setdefault("local_time", "20:00")
    return api.ShowInput(name="A show", venue_id=venue_id, artist_ids=artist_ids, **fields)


async def _get_show(clients, show_id: str) -> pb.Show:
    return (await clients.anonymous().GetShow(api.GetShowRequest(show=show_id))).show


# BatchUpsertSongs -------------------------------------------------------------


async def test_batch_upsert_songs_returns_ids_in_request_order(clients, world):
    artist = await world.artist()
    # Spotify ids deliberately out of sorted order.
    batch = [_song("Zed", "trZZ" + uid()), _song("Ay", "trAA" + uid()), _song("Em", "trMM" + uid())]

    response = await clients.service().BatchUpsertSongs(
        api.BatchUpsertSongsRequest(artist_id=artist.id, songs=batch)
    )

    assert response.created_count == 3
    listed = await clients.anonymous().ListArtistSongs(api.ListArtistSongsRequest(artist=artist.id))
    by_id = {s.id: s for s in listed.songs}
    assert [by_id[i].spotify_id for i in response.song_ids] == [s.spotify_id for s in batch]
    assert [by_id[i].title for i in response.song_ids] == ["Zed", "Ay", "Em"]


async def test_batch_upsert_songs_again_returns_the_same_ids_and_creates_nothing(clients, world):
    artist = await world.artist()
    request = api.BatchUpsertSongsRequest(
        artist_id=artist.id, songs=[_song("One"), _song("Two"), _song("Three")]
    )
    first = await clients.service().BatchUpsertSongs(request)

    again = await clients.service().BatchUpsertSongs(request)

    assert list(again.song_ids) == list(first.song_ids)
    assert again.created_count == 0
    listed = await clients.anonymous().ListArtistSongs(api.ListArtistSongsRequest(artist=artist.id))
    assert len(listed.songs) == 3


async def test_batch_upsert_songs_applies_a_changed_title(clients, world):
    artist = await world.artist()
    spotify_id = f"tr{uid()}"
    [song_id] = (
        await clients.service().BatchUpsertSongs(
            api.BatchUpsertSongsRequest(
                artist_id=artist.id, songs=[_song("Old Title", spotify_id, popularity=10)]
            )
        )
    ).song_ids

    response = await clients.service().BatchUpsertSongs(
        api.BatchUpsertSongsRequest(
            artist_id=artist.id, songs=[_song("New Title", spotify_id, popularity=42)]
        )
    )

    assert list(response.song_ids) == [song_id]
    assert response.created_count == 0
    listed = await clients.anonymous().ListArtistSongs(api.ListArtistSongsRequest(artist=artist.id))
    assert [(s.id, s.title, s.popularity) for s in listed.songs] == [(song_id, "New Title", 42)]


async def test_batch_upsert_songs_mixes_new_and_known_songs(clients, world):
    artist = await world.artist()
    known = _song("Known")
    [known_id] = (
        await clients.service().BatchUpsertSongs(
            api.BatchUpsertSongsRequest(artist_id=artist.id, songs=[known])
        )
    ).song_ids

    response = await clients.service().BatchUpsertSongs(
        api.BatchUpsertSongsRequest(artist_id=artist.id, songs=[_song("Fresh"), known])
    )

    assert response.created_count == 1
    assert response.song_ids[1] == known_id
    assert response.song_ids[0] != known_id


async def test_batch_upsert_songs_for_unknown_artist_is_not_found(clients):
    await expect_error(
        clients.service().BatchUpsertSongs(
            api.BatchUpsertSongsRequest(artist_id=str(uuid.uuid4()), songs=[_song("Orphan")])
        ),
        grpc.StatusCode.NOT_FOUND,
        reason="ARTIST_NOT_FOUND",
    )


async def test_batch_upsert_songs_with_an_empty_batch_is_invalid(clients, world):
    artist = await world.artist()

    await expect_error(
        clients.service().BatchUpsertSongs(
            api.BatchUpsertSongsRequest(artist_id=artist.id, songs=[])
        ),
        grpc.StatusCode.INVALID_ARGUMENT,
        field="songs",
    )


async def test_batch_upsert_songs_without_a_title_names_the_song(clients, world):
    artist = await world.artist()

    await expect_error(
        clients.service().BatchUpsertSongs(
            api.BatchUpsertSongsRequest(
                artist_id=artist.id, songs=[_song("Fine"), api.SongInput(spotify_id=f"tr{uid()}")]
            )
        ),
        grpc.StatusCode.INVALID_ARGUMENT,
        field="songs[1].title",
    )


async def test_a_song_first_seen_in_a_setlist_is_promoted_when_the_catalog_imports_it(
    clients, world
):
    artist = await world.artist()
    show = await world.show(artist, await world.venue())
    actual = await clients.service().UpsertActualSetlist(
        api.UpsertActualSetlistRequest(
            show_id=show.id, artist_id=artist.id, songs=[api.ActualSongInput(title="Live Debut")]
        )
    )
    setlist_only_id = actual.setlist.songs[0].song_id

    song = _song("Live Debut")

    imported = await clients.service().BatchUpsertSongs(
        api.BatchUpsertSongsRequest(artist_id=artist.id, songs=[song])
    )

    assert list(imported.song_ids) == [setlist_only_id]
    assert imported.created_count == 0
    listed = await clients.anonymous().ListArtistSongs(
        api.ListArtistSongsRequest(artist=artist.id, include_non_catalog=True)
    )
    assert [(s.id, s.is_catalog, s.spotify_id) for s in listed.songs] == [
        (setlist_only_id, True, song.spotify_id)
    ]


# BatchUpsertVenues ------------------------------------------------------------


async def test_venues_with_the_same_name_get_distinct_slugs(clients):
    batch = [
        _venue("The Forum", city="Inglewood"),
        _venue("The Forum", city="London", timezone="Europe/London"),
        _venue("The Forum", city="Inglewood"),
    ]

    response = await clients.service().BatchUpsertVenues(api.BatchUpsertVenuesRequest(venues=batch))

    assert response.created_count == 3
    slugs = []
    for venue_id in response.venue_ids:
        venue = (await clients.anonymous().GetVenue(api.GetVenueRequest(venue=venue_id))).venue
        slugs.append(venue.slug)
    assert len(set(slugs)) == 3
    assert all(s.startswith("the-forum") for s in slugs)


async def test_a_venue_slug_is_not_reused_by_a_later_batch(clients):
    first = await clients.service().BatchUpsertVenues(
        api.BatchUpsertVenuesRequest(venues=[_venue(f"Hall {uid()}", city="Oslo")])
    )
    venue = (
        await clients.anonymous().GetVenue(api.GetVenueRequest(venue=first.venue_ids[0]))
    ).venue

    second = await clients.service().BatchUpsertVenues(
        api.BatchUpsertVenuesRequest(venues=[_venue(venue.name, city="Oslo")])
    )

    other = (
        await clients.anonymous().GetVenue(api.GetVenueRequest(venue=second.venue_ids[0]))
    ).venue
    assert other.id != venue.id
    assert other.slug != venue.slug


async def test_batch_upsert_venues_is_idempotent(clients):
    request = api.BatchUpsertVenuesRequest(
        venues=[
            _venue(f"Idem {uid()}"),
            _venue(f"Potent {uid()}", ticketmaster_id="", setlistfm_id=f"fm{uid()}"),
        ]
    )
    first = await clients.service().BatchUpsertVenues(request)

    again = await clients.service().BatchUpsertVenues(request)

    assert first.created_count == 2
    assert again.created_count == 0
    assert list(again.venue_ids) == list(first.venue_ids)


async def test_batch_upsert_venues_updates_fields_and_keeps_the_slug(clients):
    ticketmaster_id = f"KovZ{uid()}"
    [venue_id] = (
        await clients.service().BatchUpsertVenues(
            api.BatchUpsertVenuesRequest(
                venues=[_venue(f"Old Name {uid()}", ticketmaster_id=ticketmaster_id)]
            )
        )
    ).venue_ids
    before = (await clients.anonymous().GetVenue(api.GetVenueRequest(venue=venue_id))).venue

    await clients.service().BatchUpsertVenues(
        api.BatchUpsertVenuesRequest(
            venues=[
                _venue(
                    "New Name",
                    ticketmaster_id=ticketmaster_id,
                    setlistfm_id=f"fm{uid()}",
                    postal_code="90305",
                )
            ]
        )
    )

    after = (await clients.anonymous().GetVenue(api.GetVenueRequest(venue=venue_id))).venue
    assert after.name == "New Name"
    assert after.postal_code == "90305"
    assert after.setlistfm_id.startswith("fm")
    assert after.ticketmaster_id == ticketmaster_id
    assert after.slug == before.slug


async def test_a_venue_without_upstream_ids_is_invalid(clients):
    await expect_error(
        clients.service().BatchUpsertVenues(
            api.BatchUpsertVenuesRequest(venues=[_venue("Nowhere", ticketmaster_id="")])
        ),
        grpc.StatusCode.INVALID_ARGUMENT,
        field="venues[0]",
    )


async def test_a_venue_with_an_unknown_timezone_is_invalid(clients):
    await expect_error(
        clients.service().BatchUpsertVenues(
            api.BatchUpsertVenuesRequest(
                venues=[_venue("Fine"), _venue("Bad Zone", timezone="Mars/Olympus_Mons")]
            )
        ),
        grpc.StatusCode.INVALID_ARGUMENT,
        field="venues[1].timezone",
    )


async def test_a_refused_venue_batch_writes_nothing(clients):
    good = _venue(f"Never Stored {uid()}")

    await expect_error(
        clients.service().BatchUpsertVenues(
            api.BatchUpsertVenuesRequest(venues=[good, _venue("Bad", timezone="Nope/Nope")])
        ),
        grpc.StatusCode.INVALID_ARGUMENT,
    )

    response = await clients.service().BatchUpsertVenues(
        api.BatchUpsertVenuesRequest(venues=[good])
    )
    assert response.created_count == 1


# BatchUpsertShows -------------------------------------------------------------


async def test_batch_upsert_shows_returns_ids_in_request_order_and_is_idempotent(clients, world):
    artist = await world.artist()
    venue_id = await world.venue()
    batch = [
        _show([artist.id], venue_id, ticketmaster_id=f"G5vZ{uid()}", local_date=future(10)),
        _show([artist.id], venue_id, ticketmaster_id=f"G5vA{uid()}", local_date=future(20)),
        _show([artist.id], venue_id, ticketmaster_id=f"G5vM{uid()}", local_date=future(30)),
    ]
    request = api.BatchUpsertShowsRequest(shows=batch)

    first = await clients.service().BatchUpsertShows(request)
    again = await clients.service().BatchUpsertShows(request)

    assert first.created_count == 3
    assert again.created_count == 0
    assert list(again.show_ids) == list(first.show_ids)
    stored = [await _get_show(clients, i) for i in first.show_ids]
    assert [s.ticketmaster_id for s in stored] == [s.ticketmaster_id for s in batch]
    assert [s.local_date for s in stored] == [future(10), future(20), future(30)]


async def test_batch_upsert_shows_with_an_unknown_venue_is_invalid(clients, world):
    artist = await world.artist()

    await expect_error(
        clients.service().BatchUpsertShows(
            api.BatchUpsertShowsRequest(shows=[_show([artist.id], str(uuid.uuid4()))])
        ),
        grpc.StatusCode.INVALID_ARGUMENT,
        field="shows[0].venue_id",
    )


async def test_batch_upsert_shows_with_an_unknown_support_act_is_invalid(clients, world):
    artist = await world.artist()
    venue_id = await world.venue()

    await expect_error(
        clients.service().BatchUpsertShows(
            api.BatchUpsertShowsRequest(shows=[_show([artist.id, str(uuid.uuid4())], venue_id)])
        ),
        grpc.StatusCode.INVALID_ARGUMENT,
        field="shows[0].artist_ids[1]",
    )


@pytest.mark.parametrize("local_date", ["2031-02-30", "2031/07/15", "15-07-2031"])
async def test_batch_upsert_shows_with_a_bad_local_date_is_invalid(clients, world, local_date):
    artist = await world.artist()
    venue_id = await world.venue()

    await expect_error(
        clients.service().BatchUpsertShows(
            api.BatchUpsertShowsRequest(shows=[_show([artist.id], venue_id, local_date=local_date)])
        ),
        grpc.StatusCode.INVALID_ARGUMENT,
        field="shows[0].local_date",
    )


async def test_batch_upsert_shows_with_a_bad_local_time_is_invalid(clients, world):
    artist = await world.artist()
    venue_id = await world.venue()

    await expect_error(
        clients.service().BatchUpsertShows(
            api.BatchUpsertShowsRequest(
                shows=[
                    _show([artist.id], venue_id),
                    _show([artist.id], venue_id, local_time="25:99"),
                ]
            )
        ),
        grpc.StatusCode.INVALID_ARGUMENT,
        field="shows[1].local_time",
    )


@pytest.mark.parametrize(
    ("local_date", "utc_start"),
    [
        # Pacific Daylight Time, UTC-7.
        ("2031-07-15", dt.datetime(2031, 7, 16, 5, 30, tzinfo=dt.UTC)),
        # Pacific Standard Time, UTC-8.
        ("2031-01-15", dt.datetime(2031, 1, 16, 6, 30, tzinfo=dt.UTC)),
    ],
)
async def test_a_late_show_keeps_its_local_date_and_starts_the_next_day_in_utc(
    clients, world, local_date, utc_start
):
    artist = await world.artist()
    venue_id = await world.venue(timezone="America/Los_Angeles")

    show = await world.show(artist, venue_id, local_date=local_date, local_time="22:30")

    assert show.local_date == local_date
    assert show.local_time == "22:30:00"
    assert show.timezone == "America/Los_Angeles"
    assert show.start_time.ToDatetime(tzinfo=dt.UTC) == utc_start


async def test_a_show_without_a_time_has_no_start_time(clients, world):
    artist = await world.artist()

    show = await world.show(artist, await world.venue(), local_time="")

    assert show.local_time == ""
    assert not show.HasField("start_time")


async def test_shows_of_the_same_artist_venue_and_day_get_distinct_slugs(clients, world):
    artist = await world.artist()
    venue_id = await world.venue()
    day = future(40)
    both = await clients.service().BatchUpsertShows(
        api.BatchUpsertShowsRequest(
            shows=[
                _show([artist.id], venue_id, local_date=day, local_time="15:00"),
                _show([artist.id], venue_id, local_date=day, local_time="20:00"),
            ]
        )
    )

    later = await clients.service().BatchUpsertShows(
        api.BatchUpsertShowsRequest(shows=[_show([artist.id], venue_id, local_date=day)])
    )

    slugs = [(await _get_show(clients, i)).slug for i in [*both.show_ids, *later.show_ids]]
    assert len(set(slugs)) == 3
    for slug in slugs:
        assert (await _get_show(clients, slug)).slug == slug


async def test_batch_upsert_shows_applies_a_status_change(clients, world):
    artist = await world.artist()
    venue_id = await world.venue()
    show_input = _show([artist.id], venue_id, status=pb.SHOW_STATUS_UPCOMING)
    [show_id] = (
        await clients.service().BatchUpsertShows(api.BatchUpsertShowsRequest(shows=[show_input]))
    ).show_ids
    show_input.status = pb.SHOW_STATUS_CANCELLED

    response = await clients.service().BatchUpsertShows(
        api.BatchUpsertShowsRequest(shows=[show_input])
    )

    assert list(response.show_ids) == [show_id]
    assert (await _get_show(clients, show_id)).status == pb.SHOW_STATUS_CANCELLED


async def test_batch_upsert_shows_applies_a_new_date(clients, world):
    artist = await world.artist()
    venue_id = await world.venue()
    show_input = _show([artist.id], venue_id, local_date="2031-07-15", local_time="20:00")
    [show_id] = (
        await clients.service().BatchUpsertShows(api.BatchUpsertShowsRequest(shows=[show_input]))
    ).show_ids
    before = await _get_show(clients, show_id)
    show_input.local_date = "2031-07-16"
    show_input.status = pb.SHOW_STATUS_RESCHEDULED

    await clients.service().BatchUpsertShows(api.BatchUpsertShowsRequest(shows=[show_input]))

    after = await _get_show(clients, show_id)
    assert after.local_date == "2031-07-16"
    assert after.status == pb.SHOW_STATUS_RESCHEDULED
    assert after.start_time.ToDatetime(tzinfo=dt.UTC) == dt.datetime(
        2031, 7, 17, 3, 0, tzinfo=dt.UTC
    )
    assert after.slug == before.slug


async def test_a_show_lists_its_support_acts_in_bill_order(clients, world):
    headliner, first_support, second_support = (
        await world.artist(),
        await world.artist(),
        await world.artist(),
    )

    show = await world.show(
        headliner, await world.venue(), support=[second_support.id, first_support.id]
    )

    assert show.headliner_artist_id == headliner.id
    assert [(a.artist_id, a.order) for a in show.artists] == [
        (headliner.id, 0),
        (second_support.id, 1),
        (first_support.id, 2),
    ]


async def test_a_changed_bill_replaces_the_old_one(clients, world):
    headliner, support, replacement = (
        await world.artist(),
        await world.artist(),
        await world.artist(),
    )
    venue_id = await world.venue()
    show_input = _show([headliner.id, support.id], venue_id)
    [show_id] = (
        await clients.service().BatchUpsertShows(api.BatchUpsertShowsRequest(shows=[show_input]))
    ).show_ids
    del show_input.artist_ids[:]
    show_input.artist_ids.extend([headliner.id, replacement.id])

    await clients.service().BatchUpsertShows(api.BatchUpsertShowsRequest(shows=[show_input]))

    show = await _get_show(clients, show_id)
    assert [a.artist_id for a in show.artists] == [headliner.id, replacement.id]


async def test_a_venue_batch_naming_one_venue_twice_stores_it_once(clients):
    ticketmaster_id = f"KovZ{uid()}"

    response = await clients.service().BatchUpsertVenues(
        api.BatchUpsertVenuesRequest(
            venues=[
                _venue(f"Twice {uid()}", ticketmaster_id=ticketmaster_id),
                _venue("Twice Renamed", ticketmaster_id=ticketmaster_id),
            ]
        )
    )

    assert response.created_count == 1
    assert response.venue_ids[0] == response.venue_ids[1]


async def test_a_venue_upsert_with_ids_of_two_venues_is_a_conflict(clients):
    by_ticketmaster = _venue(f"Tm Only {uid()}")
    by_setlistfm = _venue(f"Fm Only {uid()}", ticketmaster_id="", setlistfm_id=f"fm{uid()}")
    await clients.service().BatchUpsertVenues(
        api.BatchUpsertVenuesRequest(venues=[by_ticketmaster, by_setlistfm])
    )

    await expect_error(
        clients.service().BatchUpsertVenues(
            api.BatchUpsertVenuesRequest(
                venues=[
                    _venue(
                        "Both",
                        ticketmaster_id=by_ticketmaster.ticketmaster_id,
                        setlistfm_id=by_setlistfm.setlistfm_id,
                    )
                ]
            )
        ),
        grpc.StatusCode.FAILED_PRECONDITION,
        reason="UPSTREAM_ID_CONFLICT",
    )


async def test_a_song_shared_by_two_artists_is_one_song_listed_under_both(clients, world):
    first, second = await world.artist(), await world.artist()
    collaboration = _song("Duet")
    [first_id] = (
        await clients.service().BatchUpsertSongs(
            api.BatchUpsertSongsRequest(artist_id=first.id, songs=[collaboration])
        )
    ).song_ids

    response = await clients.service().BatchUpsertSongs(
        api.BatchUpsertSongsRequest(artist_id=second.id, songs=[collaboration])
    )

    assert list(response.song_ids) == [first_id]
    assert response.created_count == 0
    for artist in (first, second):
        listed = await clients.anonymous().ListArtistSongs(
            api.ListArtistSongsRequest(artist=artist.id)
        )
        assert [s.id for s in listed.songs] == [first_id]


async def test_batch_upsert_shows_with_an_undefined_status_is_invalid(clients, world):
    artist = await world.artist()
    venue_id = await world.venue()

    await expect_error(
        clients.service().BatchUpsertShows(
            api.BatchUpsertShowsRequest(shows=[_show([artist.id], venue_id, status=99)])
        ),
        grpc.StatusCode.INVALID_ARGUMENT,
        field="shows[0].status",
    )
