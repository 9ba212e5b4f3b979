"""The catalog's domain, assembled: reads, votes, follows, setlists, imports and the feed."""

from __future__ import annotations

import uuid

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from services.catalog.domain.feed import EventFeed
from services.catalog.domain.follows import Follows
from services.catalog.domain.imports import Imports
from services.catalog.domain.reads import Reads
from services.catalog.domain.setlists import Setlists
from services.catalog.domain.votes import Votes
from services.catalog.repository import events

# Change-feed events that make a cached artist or show stale.
_ARTIST_EVENTS = frozenset({"artist_updated", "follow_added", "follow_removed"})
_SHOW_EVENTS = frozenset({"show_created", "show_updated"})


class Catalog:
    """One object per process, shared by every RPC; each operation opens its own session."""

    def __init__(
        self, sessions: async_sessionmaker[AsyncSession], *, cache_ttl: float = 5.0
    ) -> None:
        self._sessions = sessions
        self.feed = EventFeed(sessions)
        self.reads = Reads(sessions, cache_ttl=cache_ttl)
        self.votes = Votes(sessions, on_events=self.feed.notify)
        self.follows = Follows(
            sessions, on_events=self.feed.notify, on_artist_changed=self.reads.forget_artist
        )
        self.setlists = Setlists(sessions, on_events=self.feed.notify)
        self.imports = Imports(
            sessions,
            on_events=self.feed.notify,
            on_artist_changed=self.reads.forget_artist,
            on_shows_changed=self.reads.forget_shows,
        )

    async def follow_changes(self) -> None:
        """Drop cached artists and shows as the change feed reports them changed (runs forever).

        Every replica tails the feed, so a write on one replica reaches the
        others' caches within the feed's poll interval, not the cache TTL. It
        only polls: this replica's own writes drop their entries as they commit,
        and waking on every local commit (each batch of votes) would cost a read.
        """
        async with self._sessions() as session:
            start = await events.last_sequence(session)
        async for event in self.feed.tail(
            start, wake_on_commit=False, payload_types=_ARTIST_EVENTS | _SHOW_EVENTS
        ):
            if event.type in _ARTIST_EVENTS:
                self.reads.forget_artist(uuid.UUID(event.payload["artist_id"]))
            elif event.type in _SHOW_EVENTS:
                self.reads.forget_shows([uuid.UUID(event.payload["show_id"])])
