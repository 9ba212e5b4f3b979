"""The catalog's domain, assembled: reads, votes, follows, setlists, imports and the feed."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from services.catalog.domain.feed import EventFeed
from services.catalog.domain.follows import Follows
from services.catalog.domain.imports import Imports
from services.catalog.domain.reads import Reads
from services.catalog.domain.setlists import Setlists
from services.catalog.domain.votes import Votes


class Catalog:
    """One object per process, shared by every RPC; each operation opens its own session."""

    def __init__(
        self, sessions: async_sessionmaker[AsyncSession], *, cache_ttl: float = 5.0
    ) -> None:
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
