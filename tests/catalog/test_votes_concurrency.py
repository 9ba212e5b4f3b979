"""Many fans voting on one song at once: exact tally, one event per change."""

from __future__ import annotations

import asyncio
import random

from mysetlist.catalog.v1 import catalog_pb2 as api

from tests.catalog.feed_reader import collect_events

USERS = 50
ACTIONS_PER_USER = 6


async def test_concurrent_votes_and_retractions_end_with_exact_tally(clients, world):
    _, _, _, setlist = await world.voting_setup()
    entry_id = setlist.songs[0].id
    rng = random.Random(7)
    plans = {
        f"fan-{i}": [rng.choice(("cast", "retract")) for _ in range(ACTIONS_PER_USER)]
        for i in range(USERS)
    }
    stubs = {user: clients.user(user) for user in plans}

    async def act(user: str) -> int:
        changes, voted = 0, False
        for action in plans[user]:
            if action == "cast":
                response = await stubs[user].CastVote(api.CastVoteRequest(setlist_song_id=entry_id))
                changes += not voted
                voted = True
            else:
                response = await stubs[user].RetractVote(
                    api.RetractVoteRequest(setlist_song_id=entry_id)
                )
                changes += voted
                voted = False
            assert response.voted == voted
        return changes

    changes = sum(await asyncio.gather(*(act(user) for user in plans)))

    expected_tally = sum(plan[-1] == "cast" for plan in plans.values())
    stored = await clients.anonymous().GetSetlist(api.GetSetlistRequest(setlist_id=setlist.id))
    assert stored.setlist.songs[0].upvotes == expected_tally
    events = await collect_events(
        clients.service(),
        lambda e: (
            e.WhichOneof("payload") in ("vote_cast", "vote_retracted")
            and getattr(e, e.WhichOneof("payload")).setlist_song_id == entry_id
        ),
    )
    assert len(events) == changes
    casts = sum(e.WhichOneof("payload") == "vote_cast" for e in events)
    assert casts - (len(events) - casts) == expected_tally
