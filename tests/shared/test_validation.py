"""Request validation from contract annotations, with precise field paths."""

from __future__ import annotations

from mysetlist.catalog.v1 import catalog_pb2 as catalog

from shared.grpc.validation import validate_message

UUID = "123e4567-e89b-12d3-a456-426614174000"


def test_valid_request_has_no_violations() -> None:
    request = catalog.ListShowsRequest(page_size=10, artist_id=UUID, start_date="2024-02-29")
    assert validate_message(request) == []


def test_field_behavior_required_is_enforced() -> None:
    assert validate_message(catalog.GetArtistRequest()) == [("artist", "is required")]


def test_unset_optional_fields_skip_their_rules() -> None:
    assert validate_message(catalog.ListShowsRequest()) == []


def test_string_rules() -> None:
    request = catalog.ListShowsRequest(
        artist_id="nope", start_date="2024-02-30", end_date="2024-1-01"
    )
    request_2 = catalog.SearchArtistsRequest(query="x" * 201)
    assert validate_message(request) == [
        ("artist_id", "must be a UUID"),
        ("start_date", "must be a date YYYY-MM-DD"),
        ("end_date", "must be a date YYYY-MM-DD"),
    ]
    assert validate_message(request_2) == [("query", "must be at most 200 characters")]


def test_number_bounds() -> None:
    request = catalog.SearchArtistsRequest(query="abba", page_size=51)
    assert validate_message(request) == [("page_size", "must be at most 50")]
    assert validate_message(catalog.ListArtistsRequest(page_size=-1)) == [
        ("page_size", "must be at least 0")
    ]


def test_nested_and_repeated_messages_report_full_paths() -> None:
    request = catalog.BatchUpsertSongsRequest(
        artist_id=UUID,
        songs=[
            catalog.SongInput(spotify_id="s1", title="ok"),
            catalog.SongInput(spotify_id="s2", title="ok"),
            catalog.SongInput(spotify_id="s3", title="ok"),
            catalog.SongInput(spotify_id="s4", title="", popularity=101),
        ],
    )
    assert validate_message(request) == [
        ("songs[3].title", "is required"),
        ("songs[3].popularity", "must be at most 100"),
    ]


def test_required_sub_message_and_its_rules() -> None:
    assert validate_message(catalog.UpsertArtistRequest()) == [("artist", "is required")]
    request = catalog.UpsertArtistRequest(artist=catalog.ArtistInput(name="x", mbid="bad"))
    assert validate_message(request) == [("artist.mbid", "must be a UUID")]


def test_item_counts() -> None:
    assert validate_message(catalog.BatchUpsertVenuesRequest()) == [
        ("venues", "must have at least 1 item")
    ]
    too_many = catalog.BatchUpsertSongsRequest(
        artist_id=UUID, songs=[catalog.SongInput(spotify_id="s", title="t")] * 1001
    )
    assert validate_message(too_many) == [("songs", "must have at most 1000 items")]


def test_item_count_on_repeated_scalars() -> None:
    request = catalog.ArtistInput(name="x", genres=["rock"] * 51)
    assert validate_message(request) == [("genres", "must have at most 50 items")]


def test_explicit_presence_checks_bounds_even_at_zero_and_negative() -> None:
    request = catalog.BatchUpsertVenuesRequest(
        venues=[catalog.VenueInput(name="v", latitude=-90.5, longitude=0)]
    )
    assert validate_message(request) == [("venues[0].latitude", "must be at least -90")]


def test_enum_defined_only_refuses_unknown_numbers() -> None:
    show = catalog.ShowInput(
        ticketmaster_id="t",
        name="n",
        venue_id=UUID,
        artist_ids=[UUID],
        local_date="2025-06-01",
        status=99,
    )
    request = catalog.BatchUpsertShowsRequest(shows=[show])
    assert validate_message(request) == [("shows[0].status", "must be a defined enum value")]
