"""A read-through cache for hot lookups by id or slug, kept honest by writes and the change feed."""

from __future__ import annotations

import asyncio
import itertools
import uuid
from collections.abc import Awaitable, Callable
from typing import Generic, TypeVar

from cachetools import TTLCache

T = TypeVar("T")


class ReadCache(Generic[T]):
    """Values by id and by slug, dropped when their entity changes.

    A reader that loaded a value before a write committed must not put that
    stale value back after the write's invalidation: `ticket()` before the
    read and `put(..., ticket)` after it refuses values older than the last
    invalidation of their id. The TTL bounds whatever slips through (a
    replica that misses the change feed for a while).

    `get_or_load` runs one load per key at a time: a hot show that is not
    cached yet (a cold start, a write just dropped it) would otherwise send
    every concurrent reader to the database at once.
    """

    def __init__(
        self,
        *,
        ttl: float,
        slug_of: Callable[[T], str],
        id_of: Callable[[T], uuid.UUID],
        maxsize: int = 20_000,
    ) -> None:
        self._values: TTLCache[str, T] = TTLCache(maxsize=maxsize, ttl=ttl)
        self._forgotten: TTLCache[str, int] = TTLCache(maxsize=maxsize, ttl=max(ttl, 1.0))
        self._loading: dict[str, asyncio.Task[T]] = {}
        self._clock = itertools.count(1)
        self._slug_of = slug_of
        self._id_of = id_of
        self._enabled = ttl > 0

    def get(self, ref: str) -> T | None:
        return self._values.get(ref)

    async def get_or_load(self, ref: str, load: Callable[[], Awaitable[T]]) -> T:
        """The cached value for `ref` (id or slug), else `load()`'s, shared by concurrent callers.

        A failed load fails every caller waiting on it and caches nothing.
        """
        cached = self._values.get(ref)
        if cached is not None:
            return cached
        if not self._enabled:
            return await load()
        loading = self._loading.get(ref)
        if loading is None:
            loading = asyncio.create_task(self._load(ref, load), name=f"cache load {ref}")
            self._loading[ref] = loading
        # Shielded: a caller that hangs up does not cancel the load others wait on.
        return await asyncio.shield(loading)

    async def _load(self, ref: str, load: Callable[[], Awaitable[T]]) -> T:
        me = asyncio.current_task()
        ticket = self.ticket()
        try:
            value = await load()
            self.put(self._id_of(value), value, ticket)
            return value
        finally:
            if self._loading.get(ref) is me:
                del self._loading[ref]

    def ticket(self) -> int:
        """Taken before reading from the database."""
        return next(self._clock)

    def put(self, entity_id: uuid.UUID, value: T, ticket: int) -> None:
        """Cache a value read after `ticket`, unless its entity changed since."""
        key = str(entity_id)
        if not self._enabled or self._forgotten.get(key, 0) > ticket:
            return
        self._values[key] = self._values[self._slug_of(value)] = value

    def forget(self, entity_id: uuid.UUID) -> None:
        """Drop an entity after a write (here, or seen on the change feed)."""
        key = str(entity_id)
        self._forgotten[key] = next(self._clock)
        cached = self._values.pop(key, None)
        if cached is not None:
            self._values.pop(self._slug_of(cached), None)
        # A load in flight may have read the old row, and it may be keyed by a slug we
        # cannot map to this id: callers from now on start a fresh load. (Writes are
        # rare next to reads, so losing the sharing of other keys' loads costs little.)
        self._loading.clear()
