"""What the maintenance schedules do: complete past shows and fetch their setlists, refresh
active artists, prune old jobs, hand stalled jobs back to the workers. Each task returns an `Outcome`; `domain.schedules` runs,
times and records them.
"""

from __future__ import annotations

import datetime as dt
import logging
import uuid
from collections import Counter
from dataclasses import dataclass, field

import grpc
from mysetlist.catalog.v1 import resources_pb2 as pb
from redis.asyncio import Redis
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from services.sync.catalog import CatalogClient
from services.sync.domain.jobs import Jobs
from services.sync.domain.setlists import SetlistError, ShowRef, match_show, parse_setlist
from services.sync.domain.showtimes import is_past_local_date
from services.sync.models import utcnow
from services.sync.pipeline.lease import lease_key
from services.sync.pipeline.setlists import played_input
from services.sync.pipeline.shows import stored_show_input
from services.sync.refresh import Refreshes
from services.sync.repository import schedules as repo
from services.sync.upstreams import CircuitOpen, UpstreamError, Upstreams

__all__ = ["Maintenance", "Outcome"]

log = logging.getLogger(__name__)

# setlist.fm allows 1,440 calls a day: a completed show whose setlist is not in yet
# is looked up again at most this often, for this many days after the show.
SETLIST_RETRY = dt.timedelta(hours=6)
SETLIST_WINDOW_DAYS = 7
LOOKUP_KEY = "sync:setlist-lookup"


@dataclass
class Outcome:
    """What a run did (counts for ScheduleRun.counts) and a summary; `failed` when it had errors."""

    counts: Counter[str] = field(default_factory=Counter)
    notes: list[str] = field(default_factory=list)
    failed: bool = False

    @property
    def message(self) -> str:
        return "; ".join(self.notes)


@dataclass
class Maintenance:
    """The tasks, over the catalog, the upstream clients, sync's tables and the job queue."""

    sessions: async_sessionmaker[AsyncSession]
    catalog: CatalogClient
    upstreams: Upstreams | None
    jobs: Jobs
    redis: Redis
    prune_after: dt.timedelta = dt.timedelta(days=30)
    keep_per_artist: int = 5
    # Far beyond the broker's retry backoff (seconds) and heartbeat timeout (a minute),
    # and a live run reports progress much more often than this.
    stall_after: dt.timedelta = dt.timedelta(minutes=10)

    # complete-shows ---------------------------------------------------------

    async def complete_shows(self, now: dt.datetime | None = None) -> Outcome:
        """Upcoming shows whose local date is over become completed; then their actual setlists."""
        now = now or utcnow()
        out = Outcome()
        # No venue is more than a day ahead of UTC, so later dates cannot be over anywhere.
        upcoming = await self._shows(status=pb.SHOW_STATUS_UPCOMING, end_date=now.date())
        past = [
            s
            for s in upcoming
            if is_past_local_date(dt.date.fromisoformat(s.local_date), s.timezone or None, now)
        ]
        keyed = [s for s in past if s.ticketmaster_id or s.setlistfm_id]
        if len(keyed) < len(past):
            out.counts["shows_unkeyed"] += len(past) - len(keyed)
        if keyed:
            await self.catalog.upsert_shows(
                [stored_show_input(s, pb.SHOW_STATUS_COMPLETED) for s in keyed]
            )
        out.counts["shows_completed"] = len(keyed)
        await self._fetch_setlists(now, out, just_completed={s.id for s in keyed})
        summary = (
            f"{out.counts['shows_completed']} shows completed, "
            f"{out.counts['setlists_fetched']} setlists fetched"
        )
        out.notes.insert(0, summary)
        return out

    async def _shows(
        self, *, status: int, start_date: dt.date | None = None, end_date: dt.date | None = None
    ) -> list[pb.Show]:
        return await self.catalog.shows(
            status=status,
            start_date=start_date.isoformat() if start_date else "",
            end_date=end_date.isoformat() if end_date else "",
        )

    async def _fetch_setlists(
        self, now: dt.datetime, out: Outcome, *, just_completed: set[str]
    ) -> None:
        """Actual setlists for recently completed shows that have none yet (headliner's only)."""
        if self.upstreams is None:
            out.notes.append("no upstream clients: setlists not fetched")
            return
        recent = await self._shows(
            status=pb.SHOW_STATUS_COMPLETED,
            start_date=now.date() - dt.timedelta(days=SETLIST_WINDOW_DAYS),
            end_date=now.date() + dt.timedelta(days=1),
        )
        artists: dict[str, pb.Artist] = {}
        venues: dict[str, pb.Venue] = {}
        for show in recent:
            if not show.headliner_artist_id:
                continue
            if await self._has_actual(show):
                continue
            # Recently looked up and not found: let setlist.fm users catch up first.
            fresh = show.id in just_completed
            claimed = await self.redis.set(
                f"{LOOKUP_KEY}:{show.id}",
                "1",
                nx=True,
                px=int(SETLIST_RETRY.total_seconds() * 1000),
            )
            if not claimed and not fresh:
                out.counts["setlists_deferred"] += 1
                continue
            try:
                found = await self._fetch_one(show, artists, venues, out)
            except CircuitOpen as error:
                out.failed = True
                out.notes.append(f"stopped early: {error}")
                return
            except (UpstreamError, grpc.aio.AioRpcError) as error:
                out.failed = True
                out.counts["errors"] += 1
                log.warning("setlist of show %s: %s", show.id, error)
                await self.redis.delete(f"{LOOKUP_KEY}:{show.id}")
                continue
            out.counts["setlists_fetched" if found else "setlists_missing"] += 1
        if out.counts["errors"]:
            out.notes.append(f"{out.counts['errors']} shows failed")

    async def _has_actual(self, show: pb.Show) -> bool:
        return any(
            s.kind == pb.SETLIST_KIND_ACTUAL and s.artist_id == show.headliner_artist_id
            for s in await self.catalog.show_setlists(show.id)
        )

    async def _fetch_one(
        self,
        show: pb.Show,
        artists: dict[str, pb.Artist],
        venues: dict[str, pb.Venue],
        out: Outcome,
    ) -> bool:
        assert self.upstreams is not None
        artist_id = show.headliner_artist_id
        if artist_id not in artists:
            artists[artist_id] = await self.catalog.artist(artist_id)
        artist = artists[artist_id]
        if not artist.mbid:
            out.counts["artists_without_mbid"] += 1
            return False
        if show.venue_id not in venues:
            venues[show.venue_id] = await self.catalog.venue(show.venue_id)
        venue = venues[show.venue_id]
        local_date = dt.date.fromisoformat(show.local_date)
        raw = await self.upstreams.setlistfm.search_setlists(
            artist.mbid, local_date.strftime("%d-%m-%Y")
        )
        ref = ShowRef(
            show.id,
            local_date,
            venue.city,
            venue.name,
            venue.latitude if venue.HasField("latitude") else None,
            venue.longitude if venue.HasField("longitude") else None,
        )
        for item in raw:
            try:
                setlist = parse_setlist(item)
            except SetlistError:
                continue
            if match_show(setlist, [ref]).show_id != show.id or setlist.is_empty:
                # An empty actual setlist would lock the prediction and score it against
                # nothing: wait for someone to enter the songs.
                continue
            await self.catalog.upsert_actual_setlist(
                show.id, artist.id, played_input(setlist), setlistfm_id=setlist.id
            )
            return True
        return False

    # prune --------------------------------------------------------------------

    async def prune(self, now: dt.datetime | None = None) -> Outcome:
        """Delete finished jobs (and logs) older than `prune_after`, keeping each artist's newest."""
        now = now or utcnow()
        before = now - self.prune_after
        out = Outcome()
        async with self.sessions.begin() as session:
            ids = await repo.prunable_jobs(session, before, self.keep_per_artist)
            jobs, logs = await repo.delete_jobs(session, ids)
            runs = await repo.prune_runs(session, before)
        out.counts.update(jobs_pruned=jobs, logs_pruned=logs, runs_pruned=runs)
        out.notes.append(f"{jobs} jobs, {logs} log lines and {runs} schedule runs pruned")
        return out

    # requeue-stalled-jobs ---------------------------------------------------------

    async def requeue_stalled(self, now: dt.datetime | None = None) -> Outcome:
        """Queue again the running jobs no worker is running (no lease) for `stall_after`.

        A job's message can go missing while the job says RUNNING: Dramatiq keeps a
        failed attempt's delayed retry in the worker's memory and drops it when its
        Redis connection breaks, and a Redis without its data forgets queued messages.
        A run at work holds the job's lease, so a job without one is waiting on nobody.
        """
        before = (now or utcnow()) - self.stall_after
        out = Outcome()
        for job in await self.jobs.stalled(before):
            if await self.redis.exists(lease_key(job.id)):
                out.counts["jobs_still_running"] += 1  # slow, but a worker has it
                continue
            if await self.jobs.requeue(job.id, before):
                out.counts["jobs_requeued"] += 1
                log.warning("requeued stalled job %s", job.id, extra={"job_id": str(job.id)})
        out.notes.append(f"{out.counts['jobs_requeued']} stalled jobs requeued")
        return out

    # refresh-artists ------------------------------------------------------------

    async def refresh_artists(self, now: dt.datetime | None = None) -> Outcome:
        """A refresh job for every imported artist with upcoming shows or followers."""
        now = now or utcnow()
        out = Outcome()
        upcoming = await self._shows(
            status=pb.SHOW_STATUS_UPCOMING, start_date=now.date() - dt.timedelta(days=1)
        )
        on_bills = {a.artist_id for s in upcoming for a in s.artists}
        active = [
            a for a in await self.catalog.all_artists() if a.follower_count > 0 or a.id in on_bills
        ]
        async with self.sessions() as session:
            busy = await repo.artists_with_active_jobs(session, (uuid.UUID(a.id) for a in active))
        for artist in active:
            artist_id = uuid.UUID(artist.id)
            if artist_id in busy:
                out.counts["artists_busy"] += 1
                continue
            try:
                # The job store hands refresh jobs to the refresh actor.
                _, created = await Refreshes(self.jobs, self.catalog).start_for(artist)
            except Exception as error:  # one artist must not stop the others
                out.failed = True
                out.counts["errors"] += 1
                log.warning("refresh of artist %s not started: %s", artist.id, error)
                continue
            out.counts["artists_refreshed" if created else "artists_busy"] += 1
        out.counts["artists_active"] = len(active)
        out.notes.append(
            f"{out.counts['artists_refreshed']} refresh jobs started for {len(active)} active artists"
        )
        if out.counts["errors"]:
            out.notes.append(f"{out.counts['errors']} refreshes could not be started")
        return out
