"""IMPORTING_SETLISTS: the artist's recent setlist.fm setlists as actual setlists in the catalog.

Calls: `ctx.setlist_pages` pages of the artist's setlists (20 each, newest
first). When identify found no MBID hard link, one artist search by name first;
namesakes tied on the name ("Meridian") are told apart by which one's recent
setlists are mostly songs of the artist's catalog, one setlist page each.

Each setlist belongs to the artist's Ticketmaster show on that local date in
that city (`match_show`); otherwise to a past show keyed on the setlist id,
at a venue keyed on the setlist.fm venue id, its time zone taken from a known
venue in the same place, else from the venue city's coordinates (none when
neither is known: the catalog then stores no instant, only the local date).

Empty setlists (nobody has entered the songs yet) still record their show,
which did take place, but no actual setlist: an empty actual setlist would lock
the crowd's prediction and score it against nothing. A later refresh that
finds the songs records them.

A refresh reads only the newest page (setlists arrive newest first) and goes on
only when its content hash differs from the stored one; its setlists are then
recorded as the import records them (upserts: known ones are rewritten as they are).
"""

from __future__ import annotations

import asyncio
import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import grpc
from mysetlist.catalog.v1 import catalog_pb2 as api
from mysetlist.catalog.v1 import resources_pb2 as pb

from services.sync.domain.identity import (
    MARGIN,
    Ambiguous,
    Matched,
    match_by_setlist_overlap,
    match_setlistfm,
)
from services.sync.domain.setlists import (
    Setlist,
    SetlistError,
    SetlistVenue,
    ShowRef,
    distance_km,
    match_show,
    parse_setlist,
)
from services.sync.domain.showtimes import is_past_local_date, zone_at
from services.sync.pipeline.context import ImportContext, ImportFailed
from services.sync.pipeline.identify import candidates_for_log, log_match
from services.sync.upstreams import fingerprint
from shared.text import normalize

Json = dict[str, Any]
PAGE_SIZE = 20  # setlist.fm's fixed page size
MAX_SONGS = 200  # UpsertActualSetlist's limit
BATCH = 10  # setlists written at once
NEWEST = "#newest-setlists:"  # the fingerprint of an artist's newest page of setlists


@dataclass(frozen=True)
class KnownVenue:
    """A catalog venue, for matching shows and borrowing time zones."""

    id: str
    name: str
    city: str
    country_code: str
    latitude: float | None
    longitude: float | None
    timezone: str


async def _known_venues(ctx: ImportContext, shows: Iterable[pb.Show]) -> dict[str, KnownVenue]:
    ids = sorted({s.venue_id for s in shows})
    found = await asyncio.gather(*(ctx.catalog.venue(venue_id) for venue_id in ids))
    venues: dict[str, KnownVenue] = {}
    for venue_id, venue in zip(ids, found, strict=True):
        venues[venue_id] = KnownVenue(
            venue.id,
            venue.name,
            venue.city,
            venue.country_code,
            venue.latitude if venue.HasField("latitude") else None,
            venue.longitude if venue.HasField("longitude") else None,
            venue.timezone,
        )
    return venues


def zone_for(venue: SetlistVenue, known: Iterable[KnownVenue]) -> str:
    """The time zone of a known venue at the same place (same city and country, or near),
    else the zone at the city's coordinates ("" when neither is known)."""
    best: tuple[float, str] | None = None
    for other in known:
        if not other.timezone:
            continue
        if venue.country_code and other.country_code and venue.country_code != other.country_code:
            continue
        if (
            venue.latitude is not None
            and venue.longitude is not None
            and other.latitude is not None
            and other.longitude is not None
        ):
            km = distance_km(venue.latitude, venue.longitude, other.latitude, other.longitude)
        elif normalize(venue.city) and normalize(venue.city) == normalize(other.city):
            km = 0.0
        else:
            continue
        if km <= 50.0 and (best is None or km < best[0]):
            best = (km, other.timezone)
    if best:
        return best[1]
    return zone_at(venue.latitude, venue.longitude) or ""


async def _find_mbid(ctx: ImportContext, artist: pb.Artist) -> tuple[str, list[Json] | None]:
    """The setlist.fm MBID by name (and the first setlist page when it was fetched to decide)."""
    results = await ctx.upstreams.setlistfm.search_artists(artist.name)
    result = match_setlistfm(artist.name, results)
    await log_match(ctx, "setlistfm", result)
    if isinstance(result, Matched):
        return result.id, None
    if not isinstance(result, Ambiguous):
        return "", None
    top = result.candidates[0].score
    tied = [c for c in result.candidates if top - c.score < MARGIN]
    pages: dict[str, list[Json]] = {}
    played: dict[str, list[str]] = {}
    for candidate in tied:
        pages[candidate.id] = await ctx.upstreams.setlistfm.artist_setlists(candidate.id, pages=1)
        played[candidate.id] = [
            e.name
            for s in _parse_all(pages[candidate.id])[0]
            for e in s.entries
            if not e.tape and not e.is_cover
        ]
    catalog = [s.title for s in await ctx.catalog.artist_songs(artist.id)]
    settled = match_by_setlist_overlap(result, played, catalog)
    if isinstance(settled, Matched):
        await ctx.log(
            f"setlistfm: tie settled by setlists: {settled.id} plays the catalog",
            upstream="setlistfm",
            id=settled.id,
            method=settled.method.value,
            overlap=candidates_for_log(settled.candidates),
        )
        return settled.id, pages[settled.id]
    await ctx.log(
        f"setlistfm: tie not settled by setlists ({settled.reason}); importing no setlists",
        level="warning",
        upstream="setlistfm",
        overlap=candidates_for_log(settled.candidates),
    )
    return "", None


def _parse_all(raw: Sequence[Json]) -> tuple[list[Setlist], list[dict[str, str]]]:
    parsed, unreadable = [], []
    for item in raw:
        try:
            parsed.append(parse_setlist(item))
        except SetlistError as error:
            unreadable.append({"id": str(item.get("id")), "reason": str(error)})
    return parsed, unreadable


async def _record_mbid(ctx: ImportContext, artist: pb.Artist, mbid: str) -> bool:
    try:
        await ctx.catalog.upsert_artist(
            api.ArtistInput(name=artist.name, spotify_id=artist.spotify_id, mbid=mbid)
        )
    except grpc.aio.AioRpcError as error:
        if error.code() is not grpc.StatusCode.FAILED_PRECONDITION:
            raise
        await ctx.log(
            f"setlistfm: MBID {mbid} belongs to another catalog artist; importing no setlists",
            level="warning",
            mbid=mbid,
        )
        return False
    return True


def played_input(setlist: Setlist) -> list[api.ActualSongInput]:
    """The songs of a setlist as the catalog records them, in play order."""
    return [
        api.ActualSongInput(
            title=entry.name[:500],
            set_name=(entry.set_name or "")[:200],
            encore=min(entry.encore or 0, 20),
            is_tape=entry.tape,
            cover_artist_name=(entry.cover_artist or entry.cover_mbid or "")[:300]
            if entry.is_cover
            else "",
            info=(entry.info or "")[:1000],
        )
        for entry in setlist.entries[:MAX_SONGS]
    ]


def _venue_input(venue: SetlistVenue, timezone: str) -> api.VenueInput:
    values: dict[str, Any] = {
        "name": (venue.name or venue.city or str(venue.id))[:300],
        "setlistfm_id": str(venue.id),
        "city": venue.city[:200],
        "state": (venue.state_code or "")[:64],
        "country_code": (venue.country_code or "")[:2],
        "timezone": timezone,
    }
    if venue.latitude is not None and venue.longitude is not None:
        values.update(latitude=venue.latitude, longitude=venue.longitude)
    return api.VenueInput(**values)


async def _refreshed_page(ctx: ImportContext, artist: pb.Artist) -> list[Json] | None:
    """The newest page of setlists when it changed since it was stored; None when it did not."""
    if not artist.mbid:
        # A refresh does not search by name again: that is the import's call to make.
        await ctx.report(1.0, "no setlist.fm artist: no setlists", setlists=0)
        return None
    raw = await ctx.upstreams.setlistfm.artist_setlists(artist.mbid, pages=1)
    resource, digest = f"{NEWEST}{artist.mbid}", fingerprint(raw)
    stored = await ctx.remembered("setlistfm", resource)
    ctx.remember("setlistfm", resource, digest)
    if stored is not None and stored.content_hash == digest:
        await ctx.report(1.0, f"{len(raw)} newest setlists, none changed", setlists=0)
        return None
    return raw


async def run(ctx: ImportContext) -> None:
    """Fetch recent setlists, attach each to its show (creating past shows), record the songs."""
    job = await ctx.job()
    if job.artist_id is None:
        raise ImportFailed("INTERNAL", "the artist was not identified")
    artist = await ctx.catalog.artist(str(job.artist_id))
    mbid, first_page = artist.mbid, None
    if ctx.refresh:
        raw = await _refreshed_page(ctx, artist)
        if raw is None:
            return
    else:
        if not mbid:
            mbid, first_page = await _find_mbid(ctx, artist)
            if not mbid or not await _record_mbid(ctx, artist, mbid):
                await ctx.report(1.0, "no setlist.fm artist: no setlists", setlists=0)
                return
        if first_page is not None and (ctx.setlist_pages == 1 or len(first_page) < PAGE_SIZE):
            raw = first_page
        else:
            raw = await ctx.upstreams.setlistfm.artist_setlists(mbid, pages=ctx.setlist_pages)
        ctx.remember("setlistfm", f"{NEWEST}{mbid}", fingerprint(raw[:PAGE_SIZE]))
    setlists, unreadable = _parse_all(raw)
    if unreadable:
        await ctx.log(
            f"skipped {len(unreadable)} unreadable setlists", level="warning", setlists=unreadable
        )
    await ctx.report(0.3, f"{len(setlists)} setlists")

    shows = await ctx.catalog.artist_shows(artist.id)
    known = await _known_venues(ctx, shows)
    ticketed = [
        ShowRef(
            s.id,
            dt.date.fromisoformat(s.local_date),
            known[s.venue_id].city,
            known[s.venue_id].name,
            known[s.venue_id].latitude,
            known[s.venue_id].longitude,
        )
        for s in shows
        if s.ticketmaster_id
    ]

    show_for: dict[str, str] = {}
    past: list[Setlist] = []
    no_venue: list[str] = []
    for setlist in setlists:
        match = match_show(setlist, ticketed)
        if match.show_id is not None:
            show_for[setlist.id] = match.show_id
        elif setlist.venue is None or not setlist.venue.id:
            no_venue.append(setlist.id)
        else:
            past.append(setlist)
    if no_venue:
        await ctx.log(
            f"skipped {len(no_venue)} setlists with no venue and no matching show",
            level="warning",
            setlists=no_venue,
        )
    await ctx.report(0.5, f"{len(show_for)} setlists of known shows, {len(past)} past shows")

    if past:
        venues = {s.venue.id: s.venue for s in past if s.venue is not None}
        ordered = sorted(venues)
        inputs = [_venue_input(venues[v], zone_for(venues[v], known.values())) for v in ordered]
        venue_ids = dict(zip(ordered, await ctx.catalog.upsert_venues(inputs), strict=True))
        zones = {v: i.timezone for v, i in zip(ordered, inputs, strict=True)}
        now = dt.datetime.now(dt.UTC)
        show_inputs = []
        for setlist in past:
            assert setlist.venue is not None and setlist.venue.id is not None
            zone = zones[setlist.venue.id]
            done = is_past_local_date(setlist.event_date, zone or None, now)
            show_inputs.append(
                api.ShowInput(
                    setlistfm_id=setlist.id,
                    name=(setlist.tour or f"{artist.name} at {setlist.venue.name}")[:500],
                    venue_id=venue_ids[setlist.venue.id],
                    artist_ids=[artist.id],
                    local_date=setlist.event_date.isoformat(),
                    timezone=zone,
                    status=pb.SHOW_STATUS_COMPLETED if done else pb.SHOW_STATUS_UPCOMING,
                )
            )
        for setlist, show_id in zip(past, await ctx.catalog.upsert_shows(show_inputs), strict=True):
            show_for[setlist.id] = show_id

    with_songs = [s for s in setlists if s.id in show_for and not s.is_empty]
    recorded = 0
    for start in range(0, len(with_songs), BATCH):
        # Also the cancellation check: a cancelled job writes no further setlist.
        await ctx.report(
            0.6 + 0.4 * start / len(with_songs),
            f"setlists {start + 1}-{min(start + BATCH, len(with_songs))} of {len(with_songs)}",
        )
        batch = with_songs[start : start + BATCH]
        await asyncio.gather(
            *(
                ctx.catalog.upsert_actual_setlist(
                    show_for[s.id], artist.id, played_input(s), setlistfm_id=s.id
                )
                for s in batch
            )
        )
        recorded += len(batch)
    empty = sum(1 for s in setlists if s.is_empty)
    await ctx.report(
        1.0,
        f"{recorded} setlists ({empty} empty setlists left for later)",
        setlists=recorded,
    )
