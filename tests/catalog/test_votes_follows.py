"""Fans' votes on predicted setlists and follows of artists: idempotent, per caller."""

import datetime as dt
import uuid
from zoneinfo import ZoneInfo

import grpc
import pytest
from mysetlist.catalog.v1 import catalog_pb2 as api
from mysetlist.catalog.v1 import resources_pb2 as pb

from tests.catalog.builders import uid
from tests.catalog.errors import expect_error
from tests.catalog.pages import walk


def _today_in(tz: str) -> str:
    return dt.datetime.now(ZoneInfo(tz)).date().isoformat()


async def _upvotes(clients, setlist_id: str) -> list[int]:
    response = await clients.anonymous().GetSetlist(api.GetSetlistRequest(setlist_id=setlist_id))
    return [s.upvotes for s in response.setlist.songs]


async def _prediction_at(world, *, local_date: str, local_time: str = "20:00:00", **show_fields):
    artist = await world.artist()
    song_ids = await world.songs(artist, ["Only Song"])
    venue_id = await world.venue(timezone=show_fields.pop("venue_timezone", "America/Los_Angeles"))
    show = await world.show(
        artist, venue_id, local_date=local_date, local_time=local_time, **show_fields
    )
    return await world.predicted(show, artist, song_ids)


# CastVote / RetractVote -----------------------------------------------------------


async def test_casting_a_vote_twice_counts_once(clients, world):
    _, _, _, setlist = await world.voting_setup()
    alice = clients.user(f"alice-{uid()}")
    entry = setlist.songs[1].id
    await alice.CastVote(api.CastVoteRequest(setlist_song_id=entry))

    again = await alice.CastVote(api.CastVoteRequest(setlist_song_id=entry))

    assert (again.setlist_song_id, again.upvotes, again.voted) == (entry, 1, True)
    assert await _upvotes(clients, setlist.id) == [0, 1, 0]


async def test_votes_of_different_users_add_up(clients, world):
    _, _, _, setlist = await world.voting_setup()
    entry = setlist.songs[0].id
    await clients.user(f"alice-{uid()}").CastVote(api.CastVoteRequest(setlist_song_id=entry))

    response = await clients.user(f"bob-{uid()}").CastVote(
        api.CastVoteRequest(setlist_song_id=entry)
    )

    assert response.upvotes == 2
    assert await _upvotes(clients, setlist.id) == [2, 0, 0]


async def test_retracting_a_vote_takes_it_back_once(clients, world):
    _, _, _, setlist = await world.voting_setup()
    alice, bob = clients.user(f"alice-{uid()}"), clients.user(f"bob-{uid()}")
    entry = setlist.songs[0].id
    for voter in (alice, bob):
        await voter.CastVote(api.CastVoteRequest(setlist_song_id=entry))

    first = await alice.RetractVote(api.RetractVoteRequest(setlist_song_id=entry))
    again = await alice.RetractVote(api.RetractVoteRequest(setlist_song_id=entry))

    assert (first.setlist_song_id, first.upvotes, first.voted) == (entry, 1, False)
    assert (again.upvotes, again.voted) == (1, False)
    assert await _upvotes(clients, setlist.id) == [1, 0, 0]


async def test_retracting_a_vote_never_cast_changes_nothing(clients, world):
    _, _, _, setlist = await world.voting_setup()
    entry = setlist.songs[2].id
    await clients.user(f"alice-{uid()}").CastVote(api.CastVoteRequest(setlist_song_id=entry))

    response = await clients.user(f"bob-{uid()}").RetractVote(
        api.RetractVoteRequest(setlist_song_id=entry)
    )

    assert (response.upvotes, response.voted) == (1, False)
    assert await _upvotes(clients, setlist.id) == [0, 0, 1]


async def test_a_vote_can_be_cast_again_after_retracting(clients, world):
    _, _, _, setlist = await world.voting_setup()
    alice = clients.user(f"alice-{uid()}")
    entry = setlist.songs[0].id
    await alice.CastVote(api.CastVoteRequest(setlist_song_id=entry))
    await alice.RetractVote(api.RetractVoteRequest(setlist_song_id=entry))

    response = await alice.CastVote(api.CastVoteRequest(setlist_song_id=entry))

    assert (response.upvotes, response.voted) == (1, True)


async def test_voting_on_an_actual_setlist_is_refused(clients, world):
    artist, _, show, _ = await world.voting_setup()
    actual = (
        await clients.service().UpsertActualSetlist(
            api.UpsertActualSetlistRequest(
                show_id=show.id, artist_id=artist.id, songs=[api.ActualSongInput(title="Song A")]
            )
        )
    ).setlist

    await expect_error(
        clients.user().CastVote(api.CastVoteRequest(setlist_song_id=actual.songs[0].id)),
        grpc.StatusCode.FAILED_PRECONDITION,
        reason="SETLIST_NOT_PREDICTED",
    )


async def test_voting_after_the_show_started_is_closed(clients, world):
    past = (dt.date.today() - dt.timedelta(days=2)).isoformat()
    setlist = await _prediction_at(world, local_date=past)

    await expect_error(
        clients.user().CastVote(api.CastVoteRequest(setlist_song_id=setlist.songs[0].id)),
        grpc.StatusCode.FAILED_PRECONDITION,
        reason="VOTING_CLOSED",
    )
    assert await _upvotes(clients, setlist.id) == [0]


async def test_retracting_after_the_show_started_is_closed(clients, world):
    past = (dt.date.today() - dt.timedelta(days=2)).isoformat()
    setlist = await _prediction_at(world, local_date=past)

    await expect_error(
        clients.user().RetractVote(api.RetractVoteRequest(setlist_song_id=setlist.songs[0].id)),
        grpc.StatusCode.FAILED_PRECONDITION,
        reason="VOTING_CLOSED",
    )


async def test_voting_closes_at_the_start_in_the_venues_time_zone(clients, world):
    # Just after midnight on the venue's current day (UTC+14): the show has started.
    started = await _prediction_at(
        world,
        local_date=_today_in("Pacific/Kiritimati"),
        local_time="00:00:01",
        venue_timezone="Pacific/Kiritimati",
    )
    # Just before midnight on the venue's current day (UTC-11): it has not.
    not_yet = await _prediction_at(
        world,
        local_date=_today_in("Pacific/Pago_Pago"),
        local_time="23:59:59",
        venue_timezone="Pacific/Pago_Pago",
    )

    await expect_error(
        clients.user().CastVote(api.CastVoteRequest(setlist_song_id=started.songs[0].id)),
        grpc.StatusCode.FAILED_PRECONDITION,
        reason="VOTING_CLOSED",
    )
    response = await clients.user().CastVote(
        api.CastVoteRequest(setlist_song_id=not_yet.songs[0].id)
    )
    assert response.upvotes == 1


async def test_voting_on_a_show_without_a_time_closes_on_its_local_day(clients, world):
    setlist = await _prediction_at(
        world,
        local_date=_today_in("Pacific/Pago_Pago"),
        local_time="",
        venue_timezone="Pacific/Pago_Pago",
    )

    await expect_error(
        clients.user().CastVote(api.CastVoteRequest(setlist_song_id=setlist.songs[0].id)),
        grpc.StatusCode.FAILED_PRECONDITION,
        reason="VOTING_CLOSED",
    )


async def test_voting_on_a_cancelled_show_is_closed(clients, world):
    future = (dt.date.today() + dt.timedelta(days=20)).isoformat()
    setlist = await _prediction_at(world, local_date=future, status=pb.SHOW_STATUS_CANCELLED)

    await expect_error(
        clients.user().CastVote(api.CastVoteRequest(setlist_song_id=setlist.songs[0].id)),
        grpc.StatusCode.FAILED_PRECONDITION,
        reason="VOTING_CLOSED",
    )


async def test_voting_on_an_unknown_setlist_song_is_not_found(clients):
    await expect_error(
        clients.user().CastVote(api.CastVoteRequest(setlist_song_id=str(uuid.uuid4()))),
        grpc.StatusCode.NOT_FOUND,
        reason="SETLIST_SONG_NOT_FOUND",
    )


async def test_voting_with_a_malformed_id_is_invalid(clients):
    await expect_error(
        clients.user().CastVote(api.CastVoteRequest(setlist_song_id="42")),
        grpc.StatusCode.INVALID_ARGUMENT,
        field="setlist_song_id",
    )


# FollowArtist / UnfollowArtist ----------------------------------------------------


async def test_following_twice_counts_once(clients, world):
    artist = await world.artist()
    alice = clients.user(f"alice-{uid()}")
    await alice.FollowArtist(api.FollowArtistRequest(artist_id=artist.id))

    again = await alice.FollowArtist(api.FollowArtistRequest(artist_id=artist.id))

    assert again.artist.id == artist.id
    assert again.artist.follower_count == 1
    stored = (await clients.anonymous().GetArtist(api.GetArtistRequest(artist=artist.id))).artist
    assert stored.follower_count == 1


async def test_followers_of_different_users_add_up_and_unfollowing_is_idempotent(clients, world):
    artist = await world.artist()
    alice, bob = clients.user(f"alice-{uid()}"), clients.user(f"bob-{uid()}")
    await alice.FollowArtist(api.FollowArtistRequest(artist_id=artist.id))
    both = await bob.FollowArtist(api.FollowArtistRequest(artist_id=artist.id))

    first = await alice.UnfollowArtist(api.UnfollowArtistRequest(artist_id=artist.id))
    again = await alice.UnfollowArtist(api.UnfollowArtistRequest(artist_id=artist.id))

    assert both.artist.follower_count == 2
    assert first.artist.follower_count == 1
    assert again.artist.follower_count == 1


async def test_unfollowing_an_artist_never_followed_changes_nothing(clients, world):
    artist = await world.artist()
    await clients.user(f"alice-{uid()}").FollowArtist(api.FollowArtistRequest(artist_id=artist.id))

    response = await clients.user(f"bob-{uid()}").UnfollowArtist(
        api.UnfollowArtistRequest(artist_id=artist.id)
    )

    assert response.artist.follower_count == 1


async def test_following_an_unknown_artist_is_not_found(clients):
    await expect_error(
        clients.user().FollowArtist(api.FollowArtistRequest(artist_id=str(uuid.uuid4()))),
        grpc.StatusCode.NOT_FOUND,
        reason="ARTIST_NOT_FOUND",
    )


# ListFollowedArtists --------------------------------------------------------------


async def test_followed_artists_are_listed_most_recent_first_in_pages(clients, world):
    alice = clients.user(f"alice-{uid()}")
    artists = [await world.artist() for _ in range(3)]
    for artist in artists:
        await alice.FollowArtist(api.FollowArtistRequest(artist_id=artist.id))

    seen, responses = await walk(
        alice.ListFollowedArtists, api.ListFollowedArtistsRequest(page_size=2), "artists"
    )

    assert [a.id for a in seen] == [a.id for a in reversed(artists)]
    assert [len(r.artists) for r in responses] == [2, 1]
    assert responses[-1].next_page_token == ""


async def test_followed_artists_are_only_the_callers(clients, world):
    alice, bob = clients.user(f"alice-{uid()}"), clients.user(f"bob-{uid()}")
    hers, his = await world.artist(), await world.artist()
    await alice.FollowArtist(api.FollowArtistRequest(artist_id=hers.id))
    await bob.FollowArtist(api.FollowArtistRequest(artist_id=his.id))

    response = await alice.ListFollowedArtists(api.ListFollowedArtistsRequest())

    assert [a.id for a in response.artists] == [hers.id]


async def test_an_unfollowed_artist_leaves_the_list(clients, world):
    alice = clients.user(f"alice-{uid()}")
    kept, dropped = await world.artist(), await world.artist()
    for artist in (kept, dropped):
        await alice.FollowArtist(api.FollowArtistRequest(artist_id=artist.id))

    await alice.UnfollowArtist(api.UnfollowArtistRequest(artist_id=dropped.id))

    response = await alice.ListFollowedArtists(api.ListFollowedArtistsRequest())
    assert [a.id for a in response.artists] == [kept.id]


async def test_refollowing_moves_an_artist_to_the_top(clients, world):
    alice = clients.user(f"alice-{uid()}")
    first, second = await world.artist(), await world.artist()
    for artist in (first, second):
        await alice.FollowArtist(api.FollowArtistRequest(artist_id=artist.id))
    await alice.UnfollowArtist(api.UnfollowArtistRequest(artist_id=first.id))

    await alice.FollowArtist(api.FollowArtistRequest(artist_id=first.id))

    response = await alice.ListFollowedArtists(api.ListFollowedArtistsRequest())
    assert [a.id for a in response.artists] == [first.id, second.id]


async def test_a_followed_artists_token_of_another_user_is_refused(clients, world):
    alice, bob = clients.user(f"alice-{uid()}"), clients.user(f"bob-{uid()}")
    for _ in range(2):
        artist = await world.artist()
        await alice.FollowArtist(api.FollowArtistRequest(artist_id=artist.id))
    page = await alice.ListFollowedArtists(api.ListFollowedArtistsRequest(page_size=1))

    await expect_error(
        bob.ListFollowedArtists(
            api.ListFollowedArtistsRequest(page_size=1, page_token=page.next_page_token)
        ),
        grpc.StatusCode.INVALID_ARGUMENT,
        field="page_token",
    )


@pytest.mark.parametrize("page_size", [-1, -50])
async def test_followed_artists_negative_page_size_is_invalid(clients, page_size):
    await expect_error(
        clients.user().ListFollowedArtists(api.ListFollowedArtistsRequest(page_size=page_size)),
        grpc.StatusCode.INVALID_ARGUMENT,
        field="page_size",
    )
