"""Rate limiters shaped like the upstreams' own: rolling windows and fixed quotas.

Limiters keep only their history; the limit itself is passed on every call so
a test can change a fake's config while it runs.
"""

from __future__ import annotations

import math
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass


@dataclass
class Limit:
    """At most `max_requests` per `window_s` seconds; `max_requests=None` turns it off."""

    max_requests: int | None
    window_s: float

    @classmethod
    def off(cls) -> Limit:
        """A limit that never refuses."""
        return cls(None, 1.0)


class RollingWindow:
    """Counts accepted requests over the last `window_s` seconds (Spotify, per-second limits)."""

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        self._accepted: deque[float] = deque()

    def acquire(self, limit: Limit) -> float | None:
        """Admit one request and return None, or refuse it and return seconds until a slot frees."""
        now = self._clock()
        while self._accepted and self._accepted[0] <= now - limit.window_s:
            self._accepted.popleft()
        if limit.max_requests is None or len(self._accepted) < limit.max_requests:
            self._accepted.append(now)
            return None
        # Refused requests are not recorded: the window slides on accepted calls only,
        # so a client that backs off for the advertised time always gets through.
        if limit.max_requests == 0:
            return limit.window_s
        oldest = self._accepted[-limit.max_requests]
        return max(oldest + limit.window_s - now, 0.0)

    def reset(self) -> None:
        """Forget the history."""
        self._accepted.clear()


class FixedQuota:
    """Counts requests in periods that start at the first request and reset together (daily quotas)."""

    def __init__(self, clock: Callable[[], float] = time.time) -> None:
        self._clock = clock
        self._period_end: float | None = None
        self.used = 0

    def _roll(self, limit: Limit) -> float:
        now = self._clock()
        if self._period_end is None or now >= self._period_end:
            self._period_end = now + limit.window_s
            self.used = 0
        return now

    def acquire(self, limit: Limit) -> bool:
        """Admit one request (True) or refuse it because the period's quota is spent (False)."""
        self._roll(limit)
        if limit.max_requests is not None and self.used >= limit.max_requests:
            return False
        self.used += 1
        return True

    def remaining(self, limit: Limit) -> int | None:
        """Requests left in the current period, None when unlimited."""
        self._roll(limit)
        if limit.max_requests is None:
            return None
        return max(limit.max_requests - self.used, 0)

    def reset_at(self, limit: Limit) -> float:
        """Wall-clock time (epoch seconds) when the current period ends."""
        self._roll(limit)
        assert self._period_end is not None
        return self._period_end

    def reset(self) -> None:
        """Start a fresh period on the next request."""
        self._period_end = None
        self.used = 0


def retry_after_header(seconds: float) -> str:
    """Retry-After is whole seconds; round up so a client that obeys it is never early."""
    return str(max(math.ceil(seconds), 1))
