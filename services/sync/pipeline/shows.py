"""IMPORTING_SHOWS: the artist's Ticketmaster events as catalog shows, with venues and bills.

Calls: every page of the attraction's events (the client narrows the date range
past Ticketmaster's paging depth); nothing else, since events embed their
venues and the attractions on the bill. Every event becomes a show, cancelled
ones included (with that status), so a cancellation reaches fans. The show
keeps the venue's local date and time and the venue's zone. Other acts on the
bill (support acts, or the headliner when the artist supports) are upserted by
their Ticketmaster id and name, plus the Spotify id their attraction links.

A refresh fetches the same pages and compares the events' content hash with the
stored one: unchanged, it writes nothing; changed, it upserts as the import does
(every upsert is keyed on Ticketmaster ids, so known shows are updated in place).

An upcoming show of the artist that Ticketmaster no longer lists at all was
called off without a cancelled status reaching us: it becomes cancelled, so
fans stop voting on it (should it come back, the next refresh restores it).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

import grpc
from mysetlist.catalog.v1 import catalog_pb2 as api
from mysetlist.catalog.v1 import resources_pb2 as pb

from services.sync.domain.identity import attraction_links
from services.sync.domain.showtimes import (
    Show,
    ShowStatus,
    ShowTimeError,
    Venue,
    is_past_local_date,
    parse_event,
)
from services.sync.pipeline.context import ImportContext, ImportFailed
from services.sync.upstreams import fingerprint

Json = dict[str, Any]
EVENTS = "#events:"  # the fingerprint of an attraction's events

STATUS = {
    ShowStatus.UPCOMING: pb.SHOW_STATUS_UPCOMING,
    ShowStatus.COMPLETED: pb.SHOW_STATUS_COMPLETED,
    ShowStatus.CANCELLED: pb.SHOW_STATUS_CANCELLED,
    ShowStatus.POSTPONED: pb.SHOW_STATUS_POSTPONED,
    ShowStatus.RESCHEDULED: pb.SHOW_STATUS_RESCHEDULED,
}


def venue_input(venue: Venue) -> api.VenueInput:
    """A catalog venue keyed on its Ticketmaster id."""
    values: dict[str, Any] = {
        "name": (venue.name or venue.city or venue.ticketmaster_id)[:300],
        "ticketmaster_id": venue.ticketmaster_id,
        "city": venue.city[:200],
        "state": (venue.state_code or "")[:64],
        "country_code": (venue.country_code or "")[:2],
        "address": (venue.address or "")[:500],
        "postal_code": (venue.postal_code or "")[:32],
        "timezone": venue.timezone or "",
    }
    if venue.latitude is not None and venue.longitude is not None:
        values.update(latitude=venue.latitude, longitude=venue.longitude)
    return api.VenueInput(**values)


def show_status(show: Show, now: dt.datetime) -> ShowStatus:
    """Ticketmaster's status; an upcoming show whose local date is over has taken place."""
    if show.status is ShowStatus.UPCOMING and is_past_local_date(
        show.local_date, show.timezone, now
    ):
        return ShowStatus.COMPLETED
    return show.status


NOT_YET_PLAYED = frozenset(
    {pb.SHOW_STATUS_UPCOMING, pb.SHOW_STATUS_POSTPONED, pb.SHOW_STATUS_RESCHEDULED}
)


def stored_show_input(show: pb.Show, status: pb.ShowStatus) -> api.ShowInput:
    """A stored show with a new status, whole: BatchUpsertShows replaces every field."""
    artists = sorted(show.artists, key=lambda a: a.order)
    return api.ShowInput(
        ticketmaster_id=show.ticketmaster_id,
        setlistfm_id=show.setlistfm_id,
        name=show.name,
        venue_id=show.venue_id,
        artist_ids=[a.artist_id for a in artists] or [show.headliner_artist_id],
        local_date=show.local_date,
        local_time=show.local_time,
        timezone=show.timezone,
        status=status,
        ticket_url=show.ticket_url,
    )


async def _cancel_vanished(
    ctx: ImportContext, artist: pb.Artist, listed: set[str], now: dt.datetime
) -> int:
    """Cancel the artist's upcoming Ticketmaster shows missing from `listed`; how many."""
    # No venue is more than a day ahead of UTC: earlier local dates are over everywhere.
    since = (now - dt.timedelta(days=1)).date().isoformat()
    gone = [
        show
        for show in await ctx.catalog.artist_shows(artist.id, start_date=since)
        if show.ticketmaster_id
        and show.ticketmaster_id not in listed
        and show.status in NOT_YET_PLAYED
        and show.headliner_artist_id == artist.id  # another act's show is theirs to judge
        and not is_past_local_date(
            dt.date.fromisoformat(show.local_date), show.timezone or None, now
        )
    ]
    if gone:
        await ctx.catalog.upsert_shows(
            [stored_show_input(s, pb.SHOW_STATUS_CANCELLED) for s in gone]
        )
        await ctx.log(
            f"{len(gone)} upcoming shows no longer listed by Ticketmaster: cancelled",
            level="warning",
            ticketmaster_ids=[s.ticketmaster_id for s in gone],
        )
    return len(gone)


async def _ensure_bill_artists(
    ctx: ImportContext, attractions: Mapping[str, Json], own_id: str, own_attraction: str
) -> dict[str, str]:
    """Catalog artist ids for every attraction on the bills, creating the other acts."""
    ids = {own_attraction: own_id}
    others = [a for key, a in sorted(attractions.items()) if key != own_attraction]
    for attraction in others:
        attraction_id = str(attraction["id"])
        name = str(attraction.get("name") or attraction_id)[:300]
        spotify = attraction_links(attraction).spotify_ids
        artist = api.ArtistInput(
            name=name,
            ticketmaster_id=attraction_id,
            spotify_id=spotify[0] if len(spotify) == 1 else "",
        )
        try:
            stored, _ = await ctx.catalog.upsert_artist(artist)
        except grpc.aio.AioRpcError as error:
            if error.code() is not grpc.StatusCode.FAILED_PRECONDITION or not artist.spotify_id:
                raise
            # The linked Spotify id belongs to another catalog artist: keep the acts apart.
            await ctx.log(
                f"support act {name}: its Spotify link is another artist's; stored without it",
                level="warning",
                attraction_id=attraction_id,
                spotify_id=artist.spotify_id,
            )
            artist.spotify_id = ""
            stored, _ = await ctx.catalog.upsert_artist(artist)
        ids[attraction_id] = stored.id
    return ids


async def run(ctx: ImportContext) -> None:
    """Fetch every event of the artist's attraction and upsert venues, acts and shows."""
    job = await ctx.job()
    if job.artist_id is None:
        raise ImportFailed("INTERNAL", "the artist was not identified")
    artist = await ctx.catalog.artist(str(job.artist_id))
    if not artist.ticketmaster_id:
        await ctx.report(1.0, "no Ticketmaster attraction: no shows", shows=0, venues=0)
        return

    events = await ctx.upstreams.ticketmaster.events(artist.ticketmaster_id)
    # Ticketmaster sends no ETags: the events' content hash tells a refresh what changed.
    resource = f"{EVENTS}{artist.ticketmaster_id}"
    digest = fingerprint(sorted(events, key=lambda e: str(e.get("id"))))
    stored = await ctx.remembered("ticketmaster", resource) if ctx.refresh else None
    ctx.remember("ticketmaster", resource, digest)
    if stored is not None and stored.content_hash == digest:
        await ctx.report(1.0, f"{len(events)} events, none changed", shows=0, venues=0)
        return
    now = dt.datetime.now(dt.UTC)
    parsed: list[Show] = []
    attractions: dict[str, Json] = {}
    skipped: list[dict[str, str]] = []
    for event in events:
        try:
            show = parse_event(event)
        except ShowTimeError as error:
            skipped.append({"id": str(event.get("id")), "reason": str(error)})
            continue
        if show.venue is None or not show.venue.ticketmaster_id or not show.headliner_id:
            skipped.append({"id": show.ticketmaster_id, "reason": "no venue or no attraction"})
            continue
        parsed.append(show)
        for attraction in (event.get("_embedded") or {}).get("attractions") or []:
            if attraction.get("id"):
                attractions.setdefault(str(attraction["id"]), attraction)
    if skipped:
        await ctx.log(f"skipped {len(skipped)} unreadable events", level="warning", events=skipped)
    # Stop here if the job was cancelled while the events were fetched: nothing written yet.
    await ctx.report(0.4, f"{len(parsed)} events")

    venues = {s.venue.ticketmaster_id: s.venue for s in parsed if s.venue is not None}
    ordered = sorted(venues)
    venue_ids = (
        dict(
            zip(
                ordered,
                await ctx.catalog.upsert_venues([venue_input(venues[v]) for v in ordered]),
                strict=True,
            )
        )
        if ordered
        else {}
    )
    await ctx.report(0.6, f"{len(venue_ids)} venues")

    artist_ids = await _ensure_bill_artists(ctx, attractions, artist.id, artist.ticketmaster_id)
    inputs = []
    for show in parsed:
        assert show.venue is not None and show.headliner_id is not None
        bill = [show.headliner_id, *show.support_ids]
        inputs.append(
            api.ShowInput(
                ticketmaster_id=show.ticketmaster_id,
                name=(show.name or artist.name)[:500],
                venue_id=venue_ids[show.venue.ticketmaster_id],
                artist_ids=list(dict.fromkeys(artist_ids[a] for a in bill if a in artist_ids)),
                local_date=show.local_date.isoformat(),
                local_time=show.local_time.strftime("%H:%M:%S") if show.local_time else "",
                timezone=show.timezone or "",
                status=STATUS[show_status(show, now)],
                ticket_url=(show.url or "")[:2000],
            )
        )
    await ctx.report(0.8, f"{len(inputs)} shows to store")
    if inputs:
        await ctx.catalog.upsert_shows(inputs)
    cancelled = await _cancel_vanished(ctx, artist, {str(e.get("id")) for e in events}, now)
    done = f"{len(inputs)} shows" + (f", {cancelled} no longer listed" if cancelled else "")
    await ctx.report(1.0, done, shows=len(inputs), venues=len(venue_ids))
