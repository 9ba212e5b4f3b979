"""Users following artists: idempotent, with the artist's follower tally kept in step."""

from __future__ import annotations

import uuid
from collections.abc import Callable

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from services.catalog.domain import errors
from services.catalog.models import Artist
from services.catalog.repository import artists, events, follows


class Follows:
    """Follow and unfollow artists; the tally and the event commit with the change."""

    def __init__(
        self,
        sessions: async_sessionmaker[AsyncSession],
        *,
        on_events: Callable[[], None],
        on_artist_changed: Callable[[uuid.UUID], None],
    ) -> None:
        self._sessions = sessions
        self._on_events = on_events
        self._on_artist_changed = on_artist_changed

    async def follow(self, user_id: str, artist_id: uuid.UUID) -> Artist:
        return await self._change(user_id, artist_id, +1)

    async def unfollow(self, user_id: str, artist_id: uuid.UUID) -> Artist:
        return await self._change(user_id, artist_id, -1)

    async def _change(self, user_id: str, artist_id: uuid.UUID, delta: int) -> Artist:
        async with self._sessions.begin() as session:
            if await session.get(Artist, artist_id) is None:
                raise errors.ArtistNotFound(f"artist {artist_id} not found")
            changed = (
                await follows.add(session, user_id, artist_id)
                if delta > 0
                else await follows.remove(session, user_id, artist_id)
            )
            if changed:
                await artists.add_followers(session, artist_id, delta)
                kind = "follow_added" if delta > 0 else "follow_removed"
                await events.append(
                    session, [(kind, {"user_id": user_id, "artist_id": str(artist_id)})]
                )
            artist = await session.get(Artist, artist_id, populate_existing=True)
        if changed:
            self._on_artist_changed(artist_id)
            self._on_events()
        assert artist is not None
        return artist
