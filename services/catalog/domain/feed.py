"""The change feed: outbox events in sequence order, with no gaps and no repeats.

Writers take sequence numbers before they commit, so on PostgreSQL a reader
can see event 7 committed while event 6's transaction is still open. Handing
out 7 then would skip 6 for good. The reader therefore stops at a gap and
waits until every transaction that was running when it saw the gap has
ended; a number still missing after that was rolled back and is skipped.

A tailing reader wakes on local commits, but reads at most every
`min_read_interval`: under a vote storm a commit lands every few
milliseconds, and one read per commit per reader would cost the catalog
more than the votes themselves. Waiting a little gathers many commits'
events into one read.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from services.catalog.models import OutboxEvent
from services.catalog.repository import events


@dataclass
class _Gap:
    # The first event read beyond the gap, and the writers running then.
    beyond: int
    in_flight: list[int]


class EventFeed:
    """Reads the outbox for StreamEvents and wakes tailing readers on new events."""

    def __init__(
        self,
        sessions: async_sessionmaker[AsyncSession],
        *,
        batch_size: int = 500,
        poll_interval: float = 0.5,
        gap_wait: float = 0.02,
        min_read_interval: float = 0.05,
    ) -> None:
        self._sessions = sessions
        self._batch_size = batch_size
        # Local writers wake readers at once; the poll catches other replicas' writes.
        self._poll_interval = poll_interval
        self._gap_wait = gap_wait
        self._min_read_interval = min_read_interval
        # One Event per generation: a reader keeps the one current before it
        # reads, so a commit landing between its read and its wait still wakes it.
        self._changed = asyncio.Event()

    def notify(self) -> None:
        """Called after a local commit that appended events."""
        self._changed.set()
        self._changed = asyncio.Event()

    async def tail(
        self,
        after: int,
        *,
        wake_on_commit: bool = True,
        payload_types: frozenset[str] | None = None,
    ) -> AsyncIterator[OutboxEvent]:
        """Events after `after`, forever: catches up, then follows new commits.

        With `wake_on_commit=False` the reader only polls: for one that needs
        other replicas' events and already learns of this process's writes.
        With `payload_types`, events come as light rows (sequence, type,
        payload), the payload only for those types (`events.read_after`).
        """
        loop = asyncio.get_running_loop()
        cursor, gap = after, None
        while True:
            changed = self._changed if wake_on_commit else asyncio.Event()
            read_at = loop.time()
            # Shielded: a reader that hangs up mid-read lets the read finish and
            # return its connection cleanly instead of abandoning it half-closed.
            batch, cursor, gap = await asyncio.shield(self._next(cursor, gap, payload_types))
            for event in batch:
                yield event
            if gap is not None:
                await asyncio.sleep(self._gap_wait)
            elif len(batch) < self._batch_size:
                await self._idle(changed)
                # Coalesce: commits keep landing while we wait out the rest of the interval.
                await asyncio.sleep(max(0.0, read_at + self._min_read_interval - loop.time()))

    async def _next(
        self, cursor: int, gap: _Gap | None, payload_types: frozenset[str] | None
    ) -> tuple[list[OutboxEvent], int, _Gap | None]:
        if gap is not None:
            async with self._sessions() as session:
                if await events.still_running(session, gap.in_flight):
                    return [], cursor, gap
        async with self._sessions() as session:
            read = await events.read_after(session, cursor, self._batch_size, types=payload_types)
        out: list[OutboxEvent] = []
        for event in read.events:
            if event.sequence != cursor + 1:
                if gap is not None and event.sequence <= gap.beyond:
                    # Every writer that could fill the hole has ended: it is permanent.
                    cursor = event.sequence - 1
                else:
                    return out, cursor, _Gap(event.sequence, read.in_flight)
            out.append(event)
            cursor = event.sequence
        return out, cursor, None

    async def _idle(self, changed: asyncio.Event) -> None:
        try:
            await asyncio.wait_for(changed.wait(), self._poll_interval)
        except TimeoutError:
            pass
