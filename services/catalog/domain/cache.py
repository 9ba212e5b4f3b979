"""A read-through cache for hot lookups by id or slug, kept honest by writes and the change feed."""

from __future__ import annotations

import itertools
import uuid
from collections.abc import Callable
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
    """

    def __init__(self, *, ttl: float, slug_of: Callable[[T], str], maxsize: int = 20_000) -> None:
        self._values: TTLCache[str, T] = TTLCache(maxsize=maxsize, ttl=ttl)
        self._forgotten: TTLCache[str, int] = TTLCache(maxsize=maxsize, ttl=max(ttl, 1.0))
        self._clock = itertools.count(1)
        self._slug_of = slug_of
        self._enabled = ttl > 0

    def get(self, ref: str) -> T | None:
        return self._values.get(ref)

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
