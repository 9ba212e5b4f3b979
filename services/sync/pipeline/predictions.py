"""SEEDING_PREDICTIONS: a predicted setlist for each of the artist's upcoming shows.

No upstream calls: the history is the artist's actual setlists as the catalog
holds them (the setlists stage wrote them, with the catalog's own song
linking), so the seed is the same whether the setlists were imported a minute
or a month ago. Songs rank by how many recent setlists they were in, with
catalog popularity as the fallback (`domain.predictions.seed_prediction`).
Rescheduled shows are seeded like upcoming ones: they have a date and fans.
Seeding only appends the songs a prediction lacks, so a rerun changes nothing.
A refresh seeds only the shows that have no prediction yet (new shows): the
others already have fans' votes on theirs. When the artist's events are the
ones this stage last seeded for (their digest, as the shows stage stored it),
there is no new show and the stage reads nothing.
"""

from __future__ import annotations

import asyncio
import datetime as dt

from mysetlist.catalog.v1 import resources_pb2 as pb

from services.sync.domain.predictions import RECENT, Prediction, seed_prediction
from services.sync.domain.setlists import (
    CatalogSong,
    Linked,
    LinkKind,
    LinkReport,
    Played,
    Setlist,
    SongRef,
)
from services.sync.pipeline.context import ImportContext, ImportFailed
from services.sync.pipeline.shows import EVENTS

SEEDED_STATUSES = (pb.SHOW_STATUS_UPCOMING, pb.SHOW_STATUS_RESCHEDULED)
MAX_SONGS = 200  # BatchSeedPredictedSetlists' limit
BATCH = 16  # reads in flight at once
SEED_CHUNK = 100  # shows per seeding transaction
# The events digest whose shows were all seeded (see `shows.EVENTS`).
SEEDED = "#seeded-events:"


def history_entry(
    show: pb.Show, setlist: pb.Setlist, catalog_ids: set[str]
) -> tuple[Setlist, LinkReport]:
    """A catalog actual setlist in the shape the seeding rules read."""
    linked = []
    for song in sorted(setlist.songs, key=lambda s: s.position):
        entry = Played(
            position=song.position,
            name=song.title,
            set_name=song.set_name or None,
            encore=song.encore or None,
            tape=song.is_tape,
            cover_artist=song.cover_artist_name or None,
            info=song.info or None,
        )
        if song.song_id in catalog_ids:
            kind = LinkKind.CATALOG
        else:
            kind = LinkKind.COVER if song.is_cover else LinkKind.NON_CATALOG
        # Every played song has a catalog id (setlist-only songs too): it is the key.
        ref = SongRef(kind, song.song_id, song.title, song.cover_artist_name or None)
        linked.append(Linked(entry, ref))
    parsed = Setlist(
        id=setlist.id,
        version_id=None,
        event_date=dt.date.fromisoformat(show.local_date),
        last_updated=None,
        artist_mbid=None,
        artist_name="",
        venue=None,
        tour=None,
        info=None,
        entries=tuple(link.entry for link in linked),
    )
    return parsed, LinkReport(tuple(linked))


async def recent_history(
    ctx: ImportContext, artist_id: str, catalog_ids: set[str], recent: int = RECENT
) -> list[tuple[Setlist, LinkReport]]:
    """The artist's most recent non-empty actual setlists, newest first."""
    done = await ctx.catalog.artist_shows(artist_id, status=pb.SHOW_STATUS_COMPLETED)
    done.sort(key=lambda s: (s.local_date, s.id), reverse=True)
    history: list[tuple[Setlist, LinkReport]] = []
    for show in done:
        for setlist in await ctx.catalog.show_setlists(show.id):
            if (
                setlist.kind == pb.SETLIST_KIND_ACTUAL
                and setlist.artist_id == artist_id
                and setlist.songs
            ):
                history.append(history_entry(show, setlist, catalog_ids))
        if len(history) >= recent:
            break
    return history[:recent]


async def _unseeded(ctx: ImportContext, artist_id: str, shows: list[pb.Show]) -> list[pb.Show]:
    """The shows without the artist's predicted setlist: those a refresh seeds."""
    found: list[list[pb.Setlist]] = []
    for start in range(0, len(shows), BATCH):
        batch = shows[start : start + BATCH]
        found += await asyncio.gather(*(ctx.catalog.show_setlists(s.id) for s in batch))
    return [
        show
        for show, setlists in zip(shows, found, strict=True)
        if not any(
            s.kind == pb.SETLIST_KIND_PREDICTED and s.artist_id == artist_id for s in setlists
        )
    ]


async def run(ctx: ImportContext) -> None:
    """Seed the same ranked prediction into every upcoming show of the artist."""
    job = await ctx.job()
    if job.artist_id is None:
        raise ImportFailed("INTERNAL", "the artist was not identified")
    artist_id = str(job.artist_id)
    # The events digest the shows stage stored stands for the shows seeded below.
    artist = await ctx.catalog.artist(artist_id)
    events = (
        await ctx.remembered("ticketmaster", f"{EVENTS}{artist.ticketmaster_id}")
        if artist.ticketmaster_id
        else None
    )
    if events is not None:
        seeded = await ctx.remembered("ticketmaster", f"{SEEDED}{artist_id}")
        if ctx.refresh and seeded is not None and seeded.content_hash == events.content_hash:
            await ctx.report(1.0, "no new shows to seed", predictions=0)
            return
        ctx.remember("ticketmaster", f"{SEEDED}{artist_id}", events.content_hash)
    upcoming = [
        show
        for status in SEEDED_STATUSES
        for show in await ctx.catalog.artist_shows(artist_id, status=status)
    ]
    if ctx.refresh:
        upcoming = await _unseeded(ctx, artist_id, upcoming)
    if not upcoming:
        await ctx.report(1.0, "no upcoming shows to seed", predictions=0)
        return
    catalog = [
        CatalogSong(s.id, s.title, s.popularity or None)
        for s in await ctx.catalog.artist_songs(artist_id)
    ]
    history = await recent_history(ctx, artist_id, {s.id for s in catalog})
    prediction: Prediction = seed_prediction(catalog, history)
    song_ids = [p.song.key for p in prediction.songs][:MAX_SONGS]
    await ctx.log(
        f"seeding {len(song_ids)} songs from {prediction.setlists_used} recent setlists",
        setlists_used=prediction.setlists_used,
        songs=[p.song.title for p in prediction.songs[:MAX_SONGS]],
        reasons=[p.reason.value for p in prediction.songs[:MAX_SONGS]],
    )
    if not song_ids:
        await ctx.report(1.0, "no songs to seed", predictions=0)
        return
    upcoming.sort(key=lambda s: (s.local_date, s.id))
    seeded, locked = 0, []
    # One catalog transaction per chunk of shows; cancellation is checked between chunks.
    for start in range(0, len(upcoming), SEED_CHUNK):
        chunk = upcoming[start : start + SEED_CHUNK]
        await ctx.report(
            start / len(upcoming),
            f"seeding shows {start + 1}-{start + len(chunk)} of {len(upcoming)}",
        )
        _, refused = await ctx.catalog.seed_predictions(artist_id, [s.id for s in chunk], song_ids)
        locked += refused
        seeded += len(chunk) - len(refused)
    if locked:
        # Those predictions are final: their shows already have an actual setlist.
        await ctx.log(
            f"{len(locked)} predictions are locked and were left as they are", shows=locked
        )
    await ctx.report(1.0, f"{seeded} predictions seeded", predictions=seeded)
