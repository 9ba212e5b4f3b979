"""A per-job Redis lease: one run of a job at a time, even when Dramatiq delivers it twice.

Dramatiq's Redis consumer heartbeats only when it fetches, so a worker busy with long
imports can look dead; another worker's queue maintenance then requeues the message
while the first run is still going. Before touching the job, a run takes
`sync:job-lease:<job id>` (SET NX PX), renews it in the background while the stages run
(only while it still owns it) and deletes it at the end (only if it still owns it; while
Redis is unreachable the run waits until it answers or the lease has lapsed, so the
retry Dramatiq sends after a failed run never finds the lease of the run it replaces).

A run that finds the lease taken leaves without touching the job: the holder is still
working, and the message is acknowledged. A holder that died stops renewing, so its
lease expires; the TTL must be shorter than the broker's heartbeat timeout, so the
lease is gone by the time the message is redelivered, and the redelivered run takes it.
A holder that finds its lease taken by another run when renewing is cancelled at its
next await and leaves with `LeaseLost` (a lease that merely lapsed, nobody else holding
it, is taken back; while Redis cannot be reached the run goes on and keeps trying).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import socket
import time
import uuid
from types import TracebackType

from redis.asyncio import Redis
from redis.exceptions import RedisError

log = logging.getLogger(__name__)

KEY_PREFIX = "sync:job-lease:"

# How often a run ending while Redis is unreachable tries again to release its lease.
_RELEASE_RETRY_S = 0.2

# Extend the TTL while the value is still ours; take the lease back if it lapsed (a
# stalled loop missed its renewals) and nobody else took it; 0 when another run holds it.
_RENEW = """
local owner = redis.call('get', KEYS[1])
if owner == ARGV[1] then
    return redis.call('pexpire', KEYS[1], ARGV[2])
end
if owner == false then
    redis.call('set', KEYS[1], ARGV[1], 'PX', ARGV[2])
    return 1
end
return 0
"""

# Delete only while the value is still ours.
_RELEASE = """
if redis.call('get', KEYS[1]) == ARGV[1] then
    return redis.call('del', KEYS[1])
end
return 0
"""


class LeaseLost(Exception):
    """This run no longer holds its job's lease: another run may be working on the job."""


def lease_key(job_id: uuid.UUID) -> str:
    return f"{KEY_PREFIX}{job_id}"


class JobLeases:
    """Hands out job leases on one Redis; `ttl_ms` must be below the heartbeat timeout."""

    def __init__(self, redis: Redis, *, ttl_ms: int = 30_000, renew_every_ms: int | None = None):
        if ttl_ms <= 0:
            raise ValueError("the lease TTL must be positive")
        self.redis = redis
        self.ttl_ms = ttl_ms
        # Three renewals per TTL: one late or failed renewal does not lose the lease.
        self.renew_every_ms = renew_every_ms or max(1, ttl_ms // 3)
        self._renew = redis.register_script(_RENEW)
        self._release = redis.register_script(_RELEASE)

    def hold(self, job_id: uuid.UUID) -> JobLease:
        """`async with leases.hold(job_id) as held:` (held False: another run has the job)."""
        return JobLease(self, job_id)


class JobLease:
    """One attempt at holding a job's lease; an async context manager giving whether it is held."""

    def __init__(self, leases: JobLeases, job_id: uuid.UUID) -> None:
        self._leases = leases
        self.job_id = job_id
        self.key = lease_key(job_id)
        self.owner = f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex}"
        self.held = False
        self.lost = False
        self._holder: asyncio.Task | None = None
        self._renewer: asyncio.Task | None = None
        self._lapses_at = 0.0  # monotonic time by which the lease has surely expired

    async def __aenter__(self) -> bool:
        leases = self._leases
        self.held = bool(await leases.redis.set(self.key, self.owner, nx=True, px=leases.ttl_ms))
        if self.held:
            self._lapses_at = time.monotonic() + leases.ttl_ms / 1000
            self._holder = asyncio.current_task()
            self._renewer = asyncio.create_task(self._keep(), name=f"lease {self.job_id}")
        return self.held

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if not self.held:
            return
        assert self._renewer is not None and self._holder is not None
        self._renewer.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await self._renewer
        await self._release()
        self.held = False
        # The renewer cancelled the holder; anyone else's cancellation goes on as it came.
        if self.lost and exc_type is asyncio.CancelledError and self._holder.uncancel() == 0:
            raise LeaseLost(f"lost the lease on job {self.job_id}") from exc

    async def _release(self) -> None:
        """Delete the lease (if still ours) before the run ends, waiting out a Redis outage.

        A run that fails is retried at once by Dramatiq, in a new message: had its lease
        been left behind (Redis unreachable at the end of the run), the retry would find
        it held, leave, and the job would stay RUNNING for good. So while Redis cannot be
        reached, keep trying until it answers or the lease has lapsed by itself.
        """
        warned = False
        while True:
            try:
                await self._leases._release(keys=[self.key], args=[self.owner])
                return
            except RedisError:
                left = self._lapses_at - time.monotonic()
                if left <= 0:
                    return  # expired: nobody holds it any more
                if not warned:
                    log.warning(
                        "could not release a job lease: trying again until Redis answers",
                        extra={"job_id": str(self.job_id)},
                    )
                    warned = True
                await asyncio.sleep(min(_RELEASE_RETRY_S, left))

    async def _keep(self) -> None:
        """Renew until cancelled; once another run holds the lease, cancel the holder."""
        leases = self._leases
        while True:
            await asyncio.sleep(leases.renew_every_ms / 1000)
            try:
                kept = await leases._renew(keys=[self.key], args=[self.owner, leases.ttl_ms])
            except RedisError:
                # It may have been renewed all the same (the answer lost on the way).
                self._lapses_at = time.monotonic() + leases.ttl_ms / 1000
                log.warning("could not renew a job lease", extra={"job_id": str(self.job_id)})
                continue
            if not kept:
                break
            # Redis set the expiry before it answered: this is no earlier than it.
            self._lapses_at = time.monotonic() + leases.ttl_ms / 1000
        log.warning("another run holds the job lease: stopping", extra={"job_id": str(self.job_id)})
        self.lost = True
        assert self._holder is not None
        self._holder.cancel()
