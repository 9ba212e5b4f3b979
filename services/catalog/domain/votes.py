"""Fans' votes on predicted setlists: idempotent, one per user and song, closed at show start.

Votes are applied in batches: while one batch's transaction runs, new votes
queue up, and the next transaction takes them all. Under load a few
statements then carry hundreds of votes; at rest a vote waits for nobody.
Each caller still gets its own answer, and a vote is acknowledged only after
the transaction holding it (vote, tally and event) has committed.

While votes keep coming (the last batch carried more than one), the next batch
waits `batch_delay` before it starts, like PostgreSQL's commit_delay with
commit_siblings: a few milliseconds gather several times the votes into one
transaction, and the statements' cost, not the votes', bounds throughput
(bench/catalog_votes.py: ~690 -> ~1,000 votes/s on 2 cores). A vote arriving
at rest is written at once.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from services.catalog.domain import errors
from services.catalog.domain.showtime import voting_open
from services.catalog.domain.views import VoteState
from services.catalog.models import SetlistKind
from services.catalog.repository import events, setlists, votes
from services.catalog.repository.setlists import VoteTarget
from shared.clock import utcnow
from shared.errors import ServiceError

log = logging.getLogger(__name__)

MAX_BATCH = 500
BATCH_DELAY_S = 0.008


@dataclass
class _Request:
    user_id: str
    setlist_song_id: uuid.UUID
    cast: bool
    done: asyncio.Future[VoteState] = field(repr=False)


class Votes:
    """Cast and retract votes; the tally and the event commit with the vote."""

    def __init__(
        self,
        sessions: async_sessionmaker[AsyncSession],
        *,
        on_events: Callable[[], None],
        clock: Callable[[], dt.datetime] = utcnow,
        batch_delay: float = BATCH_DELAY_S,
    ) -> None:
        self._sessions = sessions
        self._on_events = on_events
        self._clock = clock
        self._batch_delay = batch_delay
        self._queue: list[_Request] = []
        self._writer: asyncio.Task[None] | None = None

    async def cast(self, user_id: str, setlist_song_id: uuid.UUID) -> VoteState:
        """Vote for the song; voting again changes nothing."""
        return await self._submit(user_id, setlist_song_id, cast=True)

    async def retract(self, user_id: str, setlist_song_id: uuid.UUID) -> VoteState:
        """Take the vote back; retracting a vote never cast changes nothing."""
        return await self._submit(user_id, setlist_song_id, cast=False)

    async def _submit(self, user_id: str, setlist_song_id: uuid.UUID, *, cast: bool) -> VoteState:
        request = _Request(
            user_id, setlist_song_id, cast, asyncio.get_running_loop().create_future()
        )
        self._queue.append(request)
        if self._writer is None or self._writer.done():
            self._writer = asyncio.create_task(self._drain())
        # Shielded: a caller that hangs up does not cancel a batch others wait on.
        return await asyncio.shield(request.done)

    async def _drain(self) -> None:
        busy = False
        while self._queue:
            if busy:
                await asyncio.sleep(self._batch_delay)
            batch, self._queue = self._queue[:MAX_BATCH], self._queue[MAX_BATCH:]
            busy = len(batch) > 1
            try:
                changed = await self._apply(batch)
            except Exception as exc:  # nothing committed: every caller learns it failed
                log.exception("vote batch of %d failed", len(batch))
                for request in batch:
                    if not request.done.done():
                        request.done.set_exception(exc)
                continue
            if changed:
                self._on_events()

    async def _apply(self, batch: Sequence[_Request]) -> bool:
        """One transaction for the batch; resolves each request's future after commit."""
        answers: dict[int, VoteState | ServiceError] = {}
        async with self._sessions.begin() as session:
            targets = await setlists.lock_vote_targets(session, {r.setlist_song_id for r in batch})
            valid = []
            for i, request in enumerate(batch):
                refusal = self._refusal(targets.get(request.setlist_song_id), request)
                if refusal is None:
                    valid.append((i, request))
                else:
                    answers[i] = refusal
            pairs = {(r.user_id, r.setlist_song_id) for _, r in valid}
            standing = await votes.standing(session, pairs)
            state = {pair: pair in standing for pair in pairs}
            changes: list[tuple[int, _Request]] = []
            for i, request in valid:
                pair = (request.user_id, request.setlist_song_id)
                if state[pair] != request.cast:
                    state[pair] = request.cast
                    changes.append((i, request))
            await votes.add(
                session, [p for p, voted in state.items() if voted and p not in standing]
            )
            await votes.remove(
                session, [p for p, voted in state.items() if not voted and p in standing]
            )
            deltas = {r.setlist_song_id: 0 for _, r in valid}
            for _, request in changes:
                deltas[request.setlist_song_id] += 1 if request.cast else -1
            await votes.move_tallies(session, deltas)
            # Replay in arrival order so every answer and event carries the
            # tally as it stood right after that change (from the tally as locked).
            running = {song_id: targets[song_id].upvotes for song_id in deltas}
            changed_at = {i for i, _ in changes}
            outbox = []
            for i, request in valid:
                if i in changed_at:
                    running[request.setlist_song_id] += 1 if request.cast else -1
                    outbox.append(
                        _event(
                            targets[request.setlist_song_id],
                            request,
                            running[request.setlist_song_id],
                        )
                    )
                answers[i] = VoteState(
                    request.setlist_song_id, running[request.setlist_song_id], request.cast
                )
            await events.append(session, outbox)
        for i, request in enumerate(batch):
            answer = answers[i]
            if isinstance(answer, ServiceError):
                request.done.set_exception(answer)
            else:
                request.done.set_result(answer)
        return bool(outbox)

    def _refusal(self, target: VoteTarget | None, request: _Request) -> ServiceError | None:
        if target is None:
            return errors.SetlistSongNotFound(f"setlist song {request.setlist_song_id} not found")
        if target.kind != SetlistKind.PREDICTED:
            return errors.NotAPrediction("votes go to predicted setlists only")
        if target.locked:
            return errors.SetlistLocked("this setlist is locked")
        if not voting_open(target, self._clock()):
            return errors.VotingClosed("voting closed when the show started")
        return None


def _event(target: VoteTarget, request: _Request, upvotes: int) -> tuple[str, dict]:
    payload = {
        "user_id": request.user_id,
        "setlist_song_id": str(target.setlist_song_id),
        "setlist_id": str(target.setlist_id),
        "show_id": str(target.show_id),
        "artist_id": str(target.artist_id),
        "song_id": str(target.song_id),
        "upvotes": upvotes,
    }
    return ("vote_cast" if request.cast else "vote_retracted", payload)
