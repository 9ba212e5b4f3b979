"""First checks that the catalog answers through a real server."""

from mysetlist.catalog.v1 import catalog_pb2 as api


async def test_vote_round_trip(clients, world):
    artist, song_ids, show, setlist = await world.voting_setup()
    entry = setlist.songs[0]

    response = await clients.user("alice").CastVote(api.CastVoteRequest(setlist_song_id=entry.id))

    assert response.upvotes == 1 and response.voted
