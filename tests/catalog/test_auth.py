"""Who may call what: the access rule of every method, checked before anything else."""

import datetime as dt
import uuid
from collections.abc import AsyncIterator, Callable

import grpc
import pytest
from mysetlist.catalog.v1 import catalog_pb2 as api
from mysetlist.catalog.v1 import catalog_pb2_grpc

from shared.auth import Role, mint_token
from shared.grpc.channel import create_channel
from tests.catalog.builders import future, uid
from tests.catalog.conftest import SECRET
from tests.catalog.errors import expect_error, first_message


def _id() -> str:
    return str(uuid.uuid4())


# Well-formed requests, so that only the caller's identity can make them fail.
INTERNAL = {
    "UpsertArtist": lambda: api.UpsertArtistRequest(
        artist=api.ArtistInput(name="Auth Probe", spotify_id=f"sp{uid()}")
    ),
    "BatchUpsertSongs": lambda: api.BatchUpsertSongsRequest(
        artist_id=_id(), songs=[api.SongInput(spotify_id=f"tr{uid()}", title="Probe")]
    ),
    "BatchUpsertVenues": lambda: api.BatchUpsertVenuesRequest(
        venues=[api.VenueInput(name="Probe Hall", ticketmaster_id=f"KovZ{uid()}")]
    ),
    "BatchUpsertShows": lambda: api.BatchUpsertShowsRequest(
        shows=[
            api.ShowInput(
                ticketmaster_id=f"G5v{uid()}",
                name="Probe",
                venue_id=_id(),
                artist_ids=[_id()],
                local_date=future(),
            )
        ]
    ),
    "UpsertActualSetlist": lambda: api.UpsertActualSetlistRequest(
        show_id=_id(), artist_id=_id(), songs=[api.ActualSongInput(title="Probe")]
    ),
    "SeedPredictedSetlist": lambda: api.SeedPredictedSetlistRequest(
        show_id=_id(), artist_id=_id(), song_ids=[_id()]
    ),
    "StreamEvents": lambda: api.StreamEventsRequest(after_sequence=0),
}

USER = {
    "CastVote": lambda: api.CastVoteRequest(setlist_song_id=_id()),
    "RetractVote": lambda: api.RetractVoteRequest(setlist_song_id=_id()),
    "FollowArtist": lambda: api.FollowArtistRequest(artist_id=_id()),
    "UnfollowArtist": lambda: api.UnfollowArtistRequest(artist_id=_id()),
    "AddSetlistSong": lambda: api.AddSetlistSongRequest(setlist_id=_id(), song_id=_id()),
    "ListFollowedArtists": lambda: api.ListFollowedArtistsRequest(),
}

# Requests that break the method's validation rules.
INVALID = {
    "UpsertArtist": api.UpsertArtistRequest(),
    "BatchUpsertSongs": api.BatchUpsertSongsRequest(artist_id="nope"),
    "BatchUpsertVenues": api.BatchUpsertVenuesRequest(),
    "BatchUpsertShows": api.BatchUpsertShowsRequest(),
    "UpsertActualSetlist": api.UpsertActualSetlistRequest(show_id="nope"),
    "SeedPredictedSetlist": api.SeedPredictedSetlistRequest(),
    "StreamEvents": api.StreamEventsRequest(after_sequence=-1),
    "CastVote": api.CastVoteRequest(setlist_song_id="nope"),
    "RetractVote": api.RetractVoteRequest(),
    "FollowArtist": api.FollowArtistRequest(artist_id="nope"),
    "UnfollowArtist": api.UnfollowArtistRequest(),
    "AddSetlistSong": api.AddSetlistSongRequest(),
    "ListFollowedArtists": api.ListFollowedArtistsRequest(page_size=-1),
}


def call(stub: catalog_pb2_grpc.CatalogServiceStub, method: str, request, **kwargs):
    """An awaitable for any method; a server stream yields its first message."""
    rpc = getattr(stub, method)(request, **kwargs)
    return first_message(rpc) if method == "StreamEvents" else rpc


@pytest.fixture
async def stub_for() -> AsyncIterator[Callable[..., catalog_pb2_grpc.CatalogServiceStub]]:
    """Stubs sending an arbitrary token or authorization header."""
    channels: list[grpc.aio.Channel] = []

    def make(target: str, token: str | None = None) -> catalog_pb2_grpc.CatalogServiceStub:
        channel = create_channel(target, token=token)
        channels.append(channel)
        return catalog_pb2_grpc.CatalogServiceStub(channel)

    yield make
    for channel in channels:
        await channel.close()


# Internal methods ------------------------------------------------------------------


@pytest.mark.parametrize("method", sorted(INTERNAL))
async def test_internal_methods_refuse_anonymous_callers(clients, method):
    await expect_error(
        call(clients.anonymous(), method, INTERNAL[method]()),
        grpc.StatusCode.UNAUTHENTICATED,
        reason="TOKEN_MISSING",
    )


@pytest.mark.parametrize("method", sorted(INTERNAL))
@pytest.mark.parametrize("caller", ["user", "admin"])
async def test_internal_methods_refuse_users_and_admins(clients, method, caller):
    stub = getattr(clients, caller)()

    await expect_error(
        call(stub, method, INTERNAL[method]()),
        grpc.StatusCode.PERMISSION_DENIED,
        reason="ROLE_REQUIRED",
    )


@pytest.mark.parametrize("method", sorted(INTERNAL))
async def test_internal_methods_let_the_service_through(clients, method):
    # Random ids make most of them fail further on; what matters is that auth let them pass.
    try:
        await call(clients.service(), method, INTERNAL[method](), timeout=2)
    except grpc.aio.AioRpcError as err:
        assert err.code() not in (
            grpc.StatusCode.UNAUTHENTICATED,
            grpc.StatusCode.PERMISSION_DENIED,
        ), err.details()


@pytest.mark.parametrize("method", sorted(INTERNAL))
async def test_internal_methods_check_the_role_before_the_request(clients, method):
    await expect_error(
        call(clients.user(), method, INVALID[method]),
        grpc.StatusCode.PERMISSION_DENIED,
    )


# User methods ----------------------------------------------------------------------


@pytest.mark.parametrize("method", sorted(USER))
async def test_user_methods_refuse_anonymous_callers(clients, method):
    await expect_error(
        call(clients.anonymous(), method, USER[method]()),
        grpc.StatusCode.UNAUTHENTICATED,
        reason="TOKEN_MISSING",
    )


@pytest.mark.parametrize("method", sorted(USER))
async def test_user_methods_check_the_token_before_the_request(clients, method):
    await expect_error(
        call(clients.anonymous(), method, INVALID[method]),
        grpc.StatusCode.UNAUTHENTICATED,
    )


@pytest.mark.parametrize("method", sorted(USER))
async def test_user_methods_refuse_a_service_token(clients, method):
    await expect_error(
        call(clients.service(), method, USER[method]()),
        grpc.StatusCode.PERMISSION_DENIED,
        reason="ROLE_REQUIRED",
    )


async def test_user_methods_refuse_a_token_without_roles(clients, stub_for):
    stub = stub_for(clients.target, mint_token(SECRET, f"nobody-{uid()}", []))

    await expect_error(
        stub.FollowArtist(api.FollowArtistRequest(artist_id=_id())),
        grpc.StatusCode.PERMISSION_DENIED,
    )


# Public reads ----------------------------------------------------------------------


@pytest.fixture
async def catalog_data(clients, world) -> dict[str, str]:
    """One of everything, so every read has something to find."""
    artist = await world.artist(f"Public {uid()}")
    song_ids = await world.songs(artist, ["Public Song"])
    venue_id = await world.venue()
    show = await world.show(artist, venue_id)
    setlist = await world.predicted(show, artist, song_ids)
    await clients.service().UpsertActualSetlist(
        api.UpsertActualSetlistRequest(
            show_id=show.id, artist_id=artist.id, songs=[api.ActualSongInput(title="Public Song")]
        )
    )
    return {
        "artist": artist.id,
        "name": artist.name,
        "venue": venue_id,
        "show": show.id,
        "setlist": setlist.id,
    }


READS = {
    "GetArtist": lambda d: api.GetArtistRequest(artist=d["artist"]),
    "ListArtists": lambda d: api.ListArtistsRequest(page_size=1),
    "SearchArtists": lambda d: api.SearchArtistsRequest(query=d["name"]),
    "ListArtistSongs": lambda d: api.ListArtistSongsRequest(artist=d["artist"]),
    "GetVenue": lambda d: api.GetVenueRequest(venue=d["venue"]),
    "ListVenues": lambda d: api.ListVenuesRequest(page_size=1),
    "GetShow": lambda d: api.GetShowRequest(show=d["show"]),
    "ListShows": lambda d: api.ListShowsRequest(artist_id=d["artist"]),
    "GetSetlist": lambda d: api.GetSetlistRequest(setlist_id=d["setlist"]),
    "ListShowSetlists": lambda d: api.ListShowSetlistsRequest(show_id=d["show"]),
    "GetPredictionAccuracy": lambda d: api.GetPredictionAccuracyRequest(show_id=d["show"]),
}


@pytest.mark.parametrize("method", sorted(READS))
async def test_reads_work_anonymously(clients, catalog_data, method):
    response = await call(clients.anonymous(), method, READS[method](catalog_data))

    # Each read found something: its response is not the empty message.
    assert response.ByteSize() > 0


@pytest.mark.parametrize("method", sorted(READS))
async def test_reads_work_for_signed_in_users(clients, catalog_data, method):
    response = await call(clients.user(), method, READS[method](catalog_data))

    assert response.ByteSize() > 0


# Bad credentials -------------------------------------------------------------------


WRONG_SECRET = "another-secret-of-at-least-32-bytes!!"

BAD_TOKENS = {
    "expired": (
        lambda: mint_token(SECRET, "alice", [Role.USER], ttl=dt.timedelta(hours=-1)),
        "TOKEN_EXPIRED",
    ),
    "wrong secret": (lambda: mint_token(WRONG_SECRET, "alice", [Role.USER]), "TOKEN_INVALID"),
    "garbage": (lambda: "not.a.jwt", "TOKEN_INVALID"),
}


@pytest.mark.parametrize("kind", sorted(BAD_TOKENS))
async def test_a_bad_token_is_refused_even_on_public_reads(clients, stub_for, world, kind):
    artist = await world.artist()
    mint, reason = BAD_TOKENS[kind]
    stub = stub_for(clients.target, mint())

    await expect_error(
        stub.GetArtist(api.GetArtistRequest(artist=artist.id)),
        grpc.StatusCode.UNAUTHENTICATED,
        reason=reason,
    )


async def test_a_badly_signed_service_token_cannot_write(clients, stub_for):
    forged = mint_token(WRONG_SECRET, "sync", [Role.SERVICE])
    stub = stub_for(clients.target, forged)

    await expect_error(
        stub.UpsertArtist(INTERNAL["UpsertArtist"]()),
        grpc.StatusCode.UNAUTHENTICATED,
        reason="TOKEN_INVALID",
    )


async def test_an_authorization_header_that_is_not_bearer_is_refused(clients):
    await expect_error(
        clients.anonymous().ListArtists(
            api.ListArtistsRequest(), metadata=(("authorization", "Basic YWxpY2U6c2VjcmV0"),)
        ),
        grpc.StatusCode.UNAUTHENTICATED,
        reason="TOKEN_INVALID",
    )
