"""Upstream counters of every sync process, shared through Redis for GetUpstreamStatus.

Each process holding upstream clients (the gRPC server, every worker) publishes
its `Upstreams.status()` every few seconds to its own Redis hash, which expires
unless refreshed, and an index of live processes. The server sums what the live
processes report. Counters are per process lifetime (as the contract says), so
a process that stops drops out of the sums once its hash expires.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import os
import socket
import time
import uuid
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from redis.asyncio import Redis
from redis.exceptions import RedisError

from services.sync.upstreams import Upstreams
from shared.errors import Unavailable

__all__ = [
    "UPSTREAM_NAMES",
    "AggregateStatus",
    "StatusBoard",
    "StatusPublisher",
    "aggregate",
    "collect",
]

log = logging.getLogger(__name__)

UPSTREAM_NAMES = ("spotify", "ticketmaster", "setlistfm")
KEY_PREFIX = "sync:upstream-status"
PUBLISH_INTERVAL_S = 5.0
# A process that missed this many publications in a row counts as gone.
TTL_S = 4 * PUBLISH_INTERVAL_S

# Worst first: one process with an open breaker makes the upstream look open.
_SEVERITY = {"open": 3, "half_open": 2, "closed": 1}


@dataclass(frozen=True)
class AggregateStatus:
    """One upstream as all live processes see it together."""

    name: str
    breaker_state: str  # "closed", "open", "half_open"; "" when no process reported
    calls: int
    errors: int
    rate_limited: int
    remaining_quota: int  # the least any process last saw; -1 when none knows
    processes: int


def aggregate(name: str, snapshots: Iterable[Mapping[str, Any]], now: float) -> AggregateStatus:
    """Sum counters, take the worst breaker and the lowest remaining quota of `snapshots`."""
    calls = errors = limited = processes = 0
    state = ""
    quotas: list[int] = []
    for snap in snapshots:
        processes += 1
        calls += int(snap.get("calls") or 0)
        errors += int(snap.get("errors") or 0)
        limited += int(snap.get("rate_limited") or 0)
        seen = _breaker_now(snap, now)
        if _SEVERITY.get(seen, 0) > _SEVERITY.get(state, 0):
            state = seen
        if snap.get("quota_remaining") is not None:
            quotas.append(int(snap["quota_remaining"]))
    return AggregateStatus(
        name=name,
        breaker_state=state,
        calls=calls,
        errors=errors,
        rate_limited=limited,
        remaining_quota=min(quotas) if quotas else -1,
        processes=processes,
    )


def _breaker_now(snap: Mapping[str, Any], now: float) -> str:
    # An open breaker turns half-open when its cool-down ends, also between publications.
    state = str(snap.get("breaker_state") or "")
    if state == "open":
        reopens_at = float(snap.get("published_at") or 0) + float(
            snap.get("breaker_retry_in_s") or 0
        )
        if now >= reopens_at:
            return "half_open"
    return state


class StatusBoard:
    """Where processes publish their upstream status and the server reads it back."""

    def __init__(self, redis: Redis, *, prefix: str = KEY_PREFIX, ttl_s: float = TTL_S) -> None:
        self._redis = redis
        self._prefix = prefix
        self._ttl_ms = int(ttl_s * 1000)

    @property
    def _index(self) -> str:
        return f"{self._prefix}:processes"

    def _key(self, process: str) -> str:
        return f"{self._prefix}:{process}"

    async def publish(self, process: str, statuses: Iterable[Mapping[str, Any]]) -> None:
        """Store one process's snapshots (one hash field per upstream) for `ttl_s`."""
        now = time.time()
        fields = {
            str(status["name"]): json.dumps({**status, "published_at": now}, default=str)
            for status in statuses
        }
        if not fields:
            return
        key = self._key(process)
        async with self._redis.pipeline(transaction=True) as pipe:
            pipe.hset(key, mapping=fields)
            pipe.pexpire(key, self._ttl_ms)
            pipe.zadd(self._index, {process: now + self._ttl_ms / 1000})
            await pipe.execute()

    async def withdraw(self, process: str) -> None:
        """Forget a process that is shutting down."""
        async with self._redis.pipeline(transaction=True) as pipe:
            pipe.delete(self._key(process))
            pipe.zrem(self._index, process)
            await pipe.execute()

    async def read(self) -> list[AggregateStatus]:
        """Every upstream aggregated over the live processes, in a fixed order."""
        now = time.time()
        await self._redis.zremrangebyscore(self._index, "-inf", now)
        processes = [
            p.decode() if isinstance(p, bytes) else str(p)
            for p in await self._redis.zrangebyscore(self._index, now, "+inf")
        ]
        per_upstream: dict[str, list[dict[str, Any]]] = {name: [] for name in UPSTREAM_NAMES}
        if processes:
            async with self._redis.pipeline(transaction=False) as pipe:
                for process in processes:
                    pipe.hgetall(self._key(process))
                hashes = await pipe.execute()
            for fields in hashes:
                for raw_name, raw in (fields or {}).items():
                    name = raw_name.decode() if isinstance(raw_name, bytes) else str(raw_name)
                    try:
                        per_upstream.setdefault(name, []).append(json.loads(raw))
                    except ValueError:
                        log.warning("unreadable upstream status of %s", name)
        return [aggregate(name, snaps, now) for name, snaps in per_upstream.items()]


def process_id() -> str:
    """A name for this publisher: host, pid and a random suffix (several per process in tests)."""
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


class StatusPublisher:
    """Publishes one process's `Upstreams.status()` every `interval_s` while started."""

    def __init__(
        self,
        board: StatusBoard,
        upstreams: Upstreams,
        *,
        process: str | None = None,
        interval_s: float = PUBLISH_INTERVAL_S,
    ) -> None:
        self.board = board
        self.upstreams = upstreams
        self.process = process or process_id()
        self._interval_s = interval_s
        self._task: asyncio.Task[None] | None = None

    async def publish(self) -> None:
        """Publish the current counters now."""
        await self.board.publish(self.process, self.upstreams.status())

    def start(self) -> None:
        """Publish in the background of the running loop until `stop()`."""
        if self._task is None:
            self._task = asyncio.get_running_loop().create_task(
                self._run(), name="upstream-status-publisher"
            )

    async def stop(self) -> None:
        """Stop publishing and withdraw this process's counters."""
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None
        with contextlib.suppress(RedisError, OSError):
            await self.board.withdraw(self.process)

    async def _run(self) -> None:
        while True:
            try:
                await self.publish()
            except (RedisError, OSError) as error:
                # Status is best effort: imports go on while Redis is away.
                log.warning("cannot publish upstream status: %s", error)
            await asyncio.sleep(self._interval_s)


async def collect(board: StatusBoard, own: StatusPublisher | None = None) -> list[AggregateStatus]:
    """Every upstream over all live processes, this one's counters (`own`) as of now."""
    try:
        if own is not None:
            await own.publish()
        return await board.read()
    except (RedisError, OSError) as error:
        raise Unavailable("Redis is unreachable; upstream status unknown") from error
