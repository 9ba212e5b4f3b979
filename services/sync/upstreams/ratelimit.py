"""Client-side rate limiters that pace calls under an upstream's limits before it refuses them.

Algorithm: a sliding log per window (the timestamps of admitted requests over the last
period), the same rule the upstreams enforce, so a full burst is allowed and then each
slot reopens exactly one period after it was taken. An attempt either takes a slot in
every window at once or takes none and learns how long to wait; callers sleep that long
and try again. Once the answer is in, `settle` moves the slot to the answer's time (the
upstream counted the request on arrival, somewhere between sending and answering, so
this errs on the safe side by one round trip) or frees it when the upstream refused the
request (a 429 does not count against its window). `RedisRateLimiter` keeps the logs in
Redis so every worker process shares
them (one atomic Lua script per attempt, timed by the Redis server's clock);
`MemoryRateLimiter` is the same thing for one process (tests, embedded runs).
"""

from __future__ import annotations

import asyncio
import time
import uuid
from abc import ABC, abstractmethod
from collections import deque
from collections.abc import Sequence

from redis.asyncio import Redis

from services.sync.upstreams.config import Window

__all__ = ["MemoryRateLimiter", "RateLimiter", "RedisRateLimiter"]


class RateLimiter(ABC):
    """Paces one upstream's calls under its windows; `pause` holds every caller back."""

    def __init__(self, name: str, windows: Sequence[Window], margin_s: float = 0.0) -> None:
        self.name = name
        self.windows = tuple(windows)
        self.margin_s = margin_s

    @abstractmethod
    async def try_acquire(self, slot: str | None = None) -> float:
        """Take a slot (named `slot`) in every window and return 0, or none and the seconds to wait."""

    @abstractmethod
    async def settle(self, slot: str, *, counted: bool) -> None:
        """After the answer: re-time the slot to now, or free it if the upstream did not count it."""

    @abstractmethod
    async def pause(self, seconds: float) -> None:
        """Admit nobody for `seconds` (after an upstream 429: its limit is tighter than ours)."""

    async def acquire(self, slot: str | None = None) -> float:
        """Wait until a slot is free and take it; return the seconds spent waiting."""
        started = time.monotonic()
        while True:
            wait = await self.try_acquire(slot)
            if wait <= 0:
                return time.monotonic() - started
            # Sleeping the exact time the script computed (not polling) keeps pacing precise.
            await asyncio.sleep(wait)

    def _periods(self) -> list[float]:
        return [w.period_s + self.margin_s for w in self.windows]


class MemoryRateLimiter(RateLimiter):
    """The sliding-log limiter for one process."""

    def __init__(self, name: str, windows: Sequence[Window], margin_s: float = 0.0) -> None:
        super().__init__(name, windows, margin_s)
        # Each log holds (admission time, slot) in time order.
        self._logs: list[deque[tuple[float, str]]] = [deque() for _ in self.windows]
        self._paused_until = 0.0

    async def try_acquire(self, slot: str | None = None) -> float:
        now = time.monotonic()
        wait = max(self._paused_until - now, 0.0)
        for window, period, log in zip(self.windows, self._periods(), self._logs, strict=True):
            while log and log[0][0] <= now - period:
                log.popleft()
            if len(log) >= window.limit:
                wait = max(wait, log[len(log) - window.limit][0] + period - now)
        if wait > 0:
            return wait
        slot = slot or uuid.uuid4().hex
        for log in self._logs:
            log.append((now, slot))
        return 0.0

    async def settle(self, slot: str, *, counted: bool) -> None:
        now = time.monotonic()
        for log in self._logs:
            kept = [entry for entry in log if entry[1] != slot]
            if len(kept) != len(log) and counted:
                kept.append((now, slot))  # the latest time: the log stays in order
            log.clear()
            log.extend(kept)

    async def pause(self, seconds: float) -> None:
        self._paused_until = max(self._paused_until, time.monotonic() + seconds)


# KEYS[1]: the pause key; KEYS[2..n]: one sorted set per window (member: request id,
# score: admission time in µs). ARGV[1]: this request's id; then limit and period (µs)
# per window. Returns 0 when admitted, else the µs to wait. Times come from the server's
# clock so workers on hosts with skewed clocks still agree.
_ACQUIRE = """
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000000 + tonumber(t[2])
local wait = 0
local paused = tonumber(redis.call('GET', KEYS[1]) or '0')
if paused > now then wait = paused - now end
for i = 2, #KEYS do
  local limit = tonumber(ARGV[2 * i - 2])
  local period = tonumber(ARGV[2 * i - 1])
  redis.call('ZREMRANGEBYSCORE', KEYS[i], '-inf', now - period)
  local count = redis.call('ZCARD', KEYS[i])
  if count >= limit then
    local freeing = redis.call('ZRANGE', KEYS[i], count - limit, count - limit, 'WITHSCORES')
    local w = tonumber(freeing[2]) + period - now
    if w > wait then wait = w end
  end
end
if wait > 0 then return math.ceil(wait) end
for i = 2, #KEYS do
  redis.call('ZADD', KEYS[i], now, ARGV[1])
  redis.call('PEXPIRE', KEYS[i], math.ceil(tonumber(ARGV[2 * i - 1]) / 1000) + 1000)
end
return 0
"""

# KEYS: one sorted set per window. ARGV[1]: the slot; ARGV[2]: "1" to move it to the
# server's now (only if it is still logged), "0" to remove it.
_SETTLE = """
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000000 + tonumber(t[2])
for i = 1, #KEYS do
  if ARGV[2] == '1' then
    redis.call('ZADD', KEYS[i], 'XX', now, ARGV[1])
  else
    redis.call('ZREM', KEYS[i], ARGV[1])
  end
end
return 0
"""

# KEYS[1]: the pause key; ARGV[1]: µs to pause. Never shortens a longer pause.
_PAUSE = """
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000000 + tonumber(t[2])
local until_us = now + tonumber(ARGV[1])
local current = tonumber(redis.call('GET', KEYS[1]) or '0')
if until_us > current then
  redis.call('SET', KEYS[1], string.format('%d', until_us), 'PX', math.ceil(tonumber(ARGV[1]) / 1000) + 1000)
end
return 0
"""


class RedisRateLimiter(RateLimiter):
    """The sliding-log limiter shared by every process that uses the same Redis and name."""

    def __init__(
        self,
        redis: Redis,
        name: str,
        windows: Sequence[Window],
        margin_s: float = 0.0,
        prefix: str = "mysetlist:ratelimit",
    ) -> None:
        super().__init__(name, windows, margin_s)
        self.redis = redis
        # The hash tag keeps one upstream's keys in one Redis Cluster slot, as scripts need.
        base = self.key_base = f"{prefix}:{{{name}}}"
        self._pause_key = f"{base}:pause"
        # Keyed by period only: the log of admissions is valid whatever the limit, so a
        # changed limit keeps its history.
        self._keys = [f"{base}:log:{round(w.period_s * 1000)}ms" for w in self.windows]
        self._args: list[int] = []
        for window, period in zip(self.windows, self._periods(), strict=True):
            self._args += [window.limit, round(period * 1_000_000)]
        self._acquire = redis.register_script(_ACQUIRE)
        self._settle = redis.register_script(_SETTLE)
        self._pause = redis.register_script(_PAUSE)

    async def try_acquire(self, slot: str | None = None) -> float:
        keys = [self._pause_key, *self._keys]
        wait_us = await self._acquire(keys=keys, args=[slot or uuid.uuid4().hex, *self._args])
        return int(wait_us) / 1_000_000

    async def settle(self, slot: str, *, counted: bool) -> None:
        if self._keys:
            await self._settle(keys=self._keys, args=[slot, "1" if counted else "0"])

    async def pause(self, seconds: float) -> None:
        await self._pause(keys=[self._pause_key], args=[round(seconds * 1_000_000)])
