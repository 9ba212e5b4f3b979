"""Fans' votes on predicted setlists: idempotent, one per user and song, closed at show start."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Callable

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from services.catalog.domain import errors
from services.catalog.domain.showtime import voting_open
from services.catalog.domain.views import VoteState
from services.catalog.models import SetlistKind
from services.catalog.repository import events, setlists, votes
from services.catalog.repository.setlists import VoteTarget


class Votes:
    """Cast and retract votes; the tally and the event commit with the vote."""

    def __init__(
        self,
        sessions: async_sessionmaker[AsyncSession],
        *,
        on_events: Callable[[], None],
        clock: Callable[[], dt.datetime] = lambda: dt.datetime.now(dt.UTC),
    ) -> None:
        self._sessions = sessions
        self._on_events = on_events
        self._clock = clock

    async def cast(self, user_id: str, setlist_song_id: uuid.UUID) -> VoteState:
        """Vote for the song; voting again changes nothing."""
        return await self._change(user_id, setlist_song_id, +1)

    async def retract(self, user_id: str, setlist_song_id: uuid.UUID) -> VoteState:
        """Take the vote back; retracting a vote never cast changes nothing."""
        return await self._change(user_id, setlist_song_id, -1)

    async def _change(self, user_id: str, setlist_song_id: uuid.UUID, delta: int) -> VoteState:
        async with self._sessions.begin() as session:
            target = await setlists.vote_target(session, setlist_song_id)
            self._check_open(target, setlist_song_id)
            assert target is not None
            changed = (
                await votes.add(session, user_id, setlist_song_id)
                if delta > 0
                else await votes.remove(session, user_id, setlist_song_id)
            )
            if not changed:
                # Idempotent repeat: report the standing tally, write nothing.
                return VoteState(
                    setlist_song_id, await votes.tally(session, setlist_song_id), delta > 0
                )
            upvotes = await votes.move_tally(session, setlist_song_id, delta)
            await events.append(session, [_event(target, user_id, upvotes, delta)])
        self._on_events()
        return VoteState(setlist_song_id, upvotes, delta > 0)

    def _check_open(self, target: VoteTarget | None, setlist_song_id: uuid.UUID) -> None:
        if target is None:
            raise errors.SetlistSongNotFound(f"setlist song {setlist_song_id} not found")
        if target.kind != SetlistKind.PREDICTED:
            raise errors.NotAPrediction("votes go to predicted setlists only")
        if target.locked:
            raise errors.SetlistLocked("this setlist is locked")
        if not voting_open(target.show, self._clock()):
            raise errors.VotingClosed("voting closed when the show started")


def _event(target: VoteTarget, user_id: str, upvotes: int, delta: int) -> tuple[str, dict]:
    payload = {
        "user_id": user_id,
        "setlist_song_id": str(target.setlist_song_id),
        "setlist_id": str(target.setlist_id),
        "show_id": str(target.show.id),
        "artist_id": str(target.artist_id),
        "song_id": str(target.song_id),
        "upvotes": upvotes,
    }
    return ("vote_cast" if delta > 0 else "vote_retracted", payload)
