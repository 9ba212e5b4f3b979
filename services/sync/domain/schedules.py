"""Maintenance schedules: which exist, when they are due, and running one at a time suite-wide.

Each schedule has a row (`schedule`: interval, next run, last run) and one row per
run (`schedule_run`: status, duration, counts, message). A run holds a Redis lock
(SET NX PX, renewed while it runs), so with several sync servers each due schedule
runs once, and RunSchedule on a schedule already running is refused.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import logging
import time
import uuid
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass

from redis.asyncio import Redis
from redis.exceptions import RedisError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from services.sync.maintenance import Maintenance, Outcome
from services.sync.models import ScheduleRun, utcnow
from services.sync.repository import schedules as repo
from shared.errors import FailedPrecondition, NotFound, Unavailable

__all__ = [
    "Definition",
    "ScheduleBusy",
    "ScheduleLock",
    "ScheduleNotFound",
    "ScheduleView",
    "Schedules",
    "definitions",
]

log = logging.getLogger(__name__)

LOCK_PREFIX = "sync:schedule-lock"
LOCK_TTL_S = 60.0  # renewed every third of it while the run goes on


class ScheduleNotFound(NotFound):
    reason = "SCHEDULE_NOT_FOUND"


class ScheduleBusy(FailedPrecondition):
    """The schedule is running (here or on another server); its run must end first."""

    reason = "SCHEDULE_RUNNING"


@dataclass(frozen=True)
class Definition:
    """One schedule: its name, what it does and how often, and the task."""

    name: str
    description: str
    interval: dt.timedelta
    task: Callable[[], Awaitable[Outcome]]


def definitions(maintenance: Maintenance) -> list[Definition]:
    """The suite's schedules (DESIGN.md section 5, "Keep fresh")."""
    return [
        Definition(
            "complete-shows",
            "Marks upcoming shows whose local date is over as completed, then fetches "
            "actual setlists from setlist.fm for recently completed shows",
            dt.timedelta(hours=1),
            maintenance.complete_shows,
        ),
        Definition(
            "refresh-artists",
            "Starts a refresh job for every imported artist with upcoming shows or followers",
            dt.timedelta(hours=6),
            maintenance.refresh_artists,
        ),
        Definition(
            "requeue-stalled-jobs",
            "Queues again the import and refresh jobs left running with no worker on them "
            "for 10 minutes (a message lost to a Redis outage)",
            dt.timedelta(minutes=5),
            maintenance.requeue_stalled,
        ),
        Definition(
            "prune",
            "Deletes finished import jobs and their logs older than 30 days, keeping each "
            "artist's newest, and old schedule runs",
            dt.timedelta(hours=24),
            maintenance.prune,
        ),
    ]


@dataclass(frozen=True)
class ScheduleView:
    """A schedule as ListSchedules shows it."""

    definition: Definition
    next_run_at: dt.datetime
    last_run: ScheduleRun | None


_RELEASE = """
if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('del', KEYS[1]) end
return 0
"""
_RENEW = """
if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('pexpire', KEYS[1], ARGV[2]) end
return 0
"""


class ScheduleLock:
    """A Redis lock per schedule name, owned by a random token, renewed while held."""

    def __init__(self, redis: Redis, *, prefix: str = LOCK_PREFIX, ttl_s: float = LOCK_TTL_S):
        self._redis = redis
        self._prefix = prefix
        self._ttl_ms = int(ttl_s * 1000)

    def _key(self, name: str) -> str:
        return f"{self._prefix}:{name}"

    async def acquire(self, name: str) -> str | None:
        """The owner token, or None when someone holds the lock."""
        token = uuid.uuid4().hex
        try:
            taken = await self._redis.set(self._key(name), token, nx=True, px=self._ttl_ms)
        except RedisError as error:
            raise Unavailable("Redis is unreachable; schedules cannot run") from error
        return token if taken else None

    async def renew(self, name: str, token: str) -> bool:
        return bool(await self._redis.eval(_RENEW, 1, self._key(name), token, self._ttl_ms))

    async def release(self, name: str, token: str) -> None:
        with contextlib.suppress(RedisError, OSError):
            await self._redis.eval(_RELEASE, 1, self._key(name), token)

    async def keep(self, name: str, token: str) -> None:
        """Renew until cancelled."""
        while True:
            await asyncio.sleep(self._ttl_ms / 3000)
            try:
                if not await self.renew(name, token):
                    log.error("schedule %s lost its lock while running", name)
                    return
            except (RedisError, OSError) as error:
                log.warning("cannot renew the lock of schedule %s: %s", name, error)


def _aware(value: dt.datetime) -> dt.datetime:
    # SQLite hands back naive UTC.
    return value if value.tzinfo else value.replace(tzinfo=dt.UTC)


class Schedules:
    """Lists schedules, runs one now, and runs the due ones in a loop."""

    def __init__(
        self,
        sessions: async_sessionmaker[AsyncSession],
        redis: Redis,
        schedules: Sequence[Definition],
        *,
        lock: ScheduleLock | None = None,
        clock: Callable[[], dt.datetime] = utcnow,
    ) -> None:
        self._sessions = sessions
        self._lock = lock or ScheduleLock(redis)
        self._definitions = {d.name: d for d in schedules}
        self._clock = clock
        self._ensured = False
        self._running: set[asyncio.Task[ScheduleRun]] = set()

    async def _ensure(self) -> None:
        if self._ensured:
            return
        now = self._clock()
        async with self._sessions.begin() as session:
            # A fresh install waits one interval before each first run, so a new
            # deployment does not start with a burst of refreshes.
            for name, definition in self._definitions.items():
                await repo.ensure(
                    session,
                    {name: definition.interval.total_seconds()},
                    now + definition.interval,
                )
        self._ensured = True

    def definition(self, name: str) -> Definition:
        try:
            return self._definitions[name]
        except KeyError:
            raise ScheduleNotFound(f"no schedule named {name!r}") from None

    async def list(self) -> list[ScheduleView]:
        """Every schedule with its next run time and last run, in definition order."""
        await self._ensure()
        async with self._sessions() as session:
            rows = await repo.all_schedules(session)
            runs = await repo.runs(session, (r.last_run_id for r in rows.values()))
        return [
            ScheduleView(
                definition,
                _aware(rows[name].next_run_at),
                runs.get(rows[name].last_run_id) if rows[name].last_run_id else None,
            )
            for name, definition in self._definitions.items()
        ]

    async def run_now(self, name: str) -> ScheduleRun:
        """Run a schedule now, outside its interval, and return the finished run.

        The run continues (and is recorded) even when the caller goes away.
        """
        definition = self.definition(name)
        await self._ensure()
        token = await self._lock.acquire(name)
        if token is None:
            raise ScheduleBusy(f"schedule {name!r} is already running", metadata={"schedule": name})
        task = asyncio.get_running_loop().create_task(self._run(definition, token))
        self._running.add(task)
        task.add_done_callback(self._running.discard)
        return await asyncio.shield(task)

    async def run_due(self) -> list[ScheduleRun]:
        """Run every schedule whose time has come and that no one else is running."""
        await self._ensure()
        now = self._clock()
        async with self._sessions() as session:
            rows = await repo.all_schedules(session)
        due = [
            self._definitions[name]
            for name, row in rows.items()
            if name in self._definitions and _aware(row.next_run_at) <= now
        ]
        results = await asyncio.gather(*(self._run_if_due(d) for d in due))
        return [r for r in results if r is not None]

    async def _run_if_due(self, definition: Definition) -> ScheduleRun | None:
        token = await self._lock.acquire(definition.name)
        if token is None:
            return None
        # Another server may have run it between our read and the lock.
        async with self._sessions() as session:
            row = await repo.get(session, definition.name)
        if row is None or _aware(row.next_run_at) > self._clock():
            await self._lock.release(definition.name, token)
            return None
        return await self._run(definition, token)

    async def loop(self, *, tick_s: float = 30.0) -> None:
        """Run due schedules every `tick_s` seconds until cancelled."""
        while True:
            try:
                await self.run_due()
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("scheduler tick failed")
            await asyncio.sleep(tick_s)

    async def close(self) -> None:
        """Cancel runs still going (they are recorded as failed)."""
        for task in list(self._running):
            task.cancel()
        await asyncio.gather(*self._running, return_exceptions=True)

    async def _run(self, definition: Definition, token: str) -> ScheduleRun:
        name = definition.name
        keeper = asyncio.get_running_loop().create_task(self._lock.keep(name, token))
        try:
            started = self._clock()
            async with self._sessions.begin() as session:
                run = await repo.start_run(session, name, started)
                stale = await repo.interrupt_stale(session, name, run.id)
            if stale:
                log.warning("schedule %s: %d earlier runs were interrupted", name, stale)
            clock = time.monotonic()
            status, counts, message = repo.FAILED, {}, ""
            try:
                outcome = await definition.task()
                counts = {k: int(v) for k, v in outcome.counts.items()}
                status = repo.FAILED if outcome.failed else repo.SUCCEEDED
                message = outcome.message
            except asyncio.CancelledError:
                message = "cancelled: the server shut down"
                raise
            except Exception as error:
                log.exception("schedule %s failed", name)
                message = f"failed: {type(error).__name__}: {str(error)[:500]}"
            finally:
                finished = await self._finish(
                    name, run.id, started, status, time.monotonic() - clock, counts, message
                )
            log.info(
                "schedule %s %s: %s",
                name,
                finished.status,
                finished.message,
                extra={"schedule": name, "counts": counts},
            )
            return finished
        finally:
            keeper.cancel()
            await self._lock.release(name, token)

    async def _finish(
        self,
        name: str,
        run_id: uuid.UUID,
        started: dt.datetime,
        status: str,
        seconds: float,
        counts: dict[str, int],
        message: str,
    ) -> ScheduleRun:
        interval = self.definition(name).interval
        # Keep the cadence; after a run longer than its interval, wait a full interval.
        next_run = started + interval
        if next_run <= self._clock():
            next_run = self._clock() + interval
        async with self._sessions.begin() as session:
            run = await repo.finish_run(
                session, run_id, status=status, duration_s=seconds, counts=counts, message=message
            )
            await repo.set_next_run(session, name, next_run)
        return run
