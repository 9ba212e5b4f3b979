"""Stored rows and domain views to protobuf messages (and enum names both ways)."""

from __future__ import annotations

from google.protobuf import json_format
from mysetlist.catalog.v1 import resources_pb2 as pb
from mysetlist.events.v1 import events_pb2

from services.catalog.domain.views import SetlistView, ShowView
from services.catalog.models import Artist, OutboxEvent, SetlistKind, ShowStatus, Song, Venue
from services.catalog.repository.setlists import Entry
from shared.grpc.convert import timestamp

SHOW_STATUS_TO_PB = {
    ShowStatus.UPCOMING: pb.SHOW_STATUS_UPCOMING,
    ShowStatus.COMPLETED: pb.SHOW_STATUS_COMPLETED,
    ShowStatus.CANCELLED: pb.SHOW_STATUS_CANCELLED,
    ShowStatus.POSTPONED: pb.SHOW_STATUS_POSTPONED,
    ShowStatus.RESCHEDULED: pb.SHOW_STATUS_RESCHEDULED,
}
SHOW_STATUS_FROM_PB = {v: k for k, v in SHOW_STATUS_TO_PB.items()}
SETLIST_KIND_TO_PB = {
    SetlistKind.PREDICTED: pb.SETLIST_KIND_PREDICTED,
    SetlistKind.ACTUAL: pb.SETLIST_KIND_ACTUAL,
}
SETLIST_KIND_FROM_PB = {v: k for k, v in SETLIST_KIND_TO_PB.items()}


def artist(row: Artist) -> pb.Artist:
    return pb.Artist(
        id=str(row.id),
        slug=row.slug,
        name=row.name,
        spotify_id=row.spotify_id or "",
        ticketmaster_id=row.ticketmaster_id or "",
        mbid=row.mbid or "",
        genres=row.genres or [],
        image_url=row.image_url or "",
        popularity=row.popularity,
        spotify_followers=row.spotify_followers,
        follower_count=row.follower_count,
        create_time=timestamp(row.created_at),
        update_time=timestamp(row.updated_at),
    )


def song(row: Song) -> pb.Song:
    return pb.Song(
        id=str(row.id),
        title=row.title,
        spotify_id=row.spotify_id or "",
        isrc=row.isrc or "",
        duration_ms=row.duration_ms,
        album_name=row.album_name or "",
        release_date=row.release_date or "",
        popularity=row.popularity,
        is_catalog=row.is_catalog,
        original_artist_name=row.original_artist_name or "",
    )


def venue(row: Venue) -> pb.Venue:
    return pb.Venue(
        id=str(row.id),
        slug=row.slug,
        name=row.name,
        ticketmaster_id=row.ticketmaster_id or "",
        setlistfm_id=row.setlistfm_id or "",
        city=row.city or "",
        state=row.state or "",
        country_code=row.country_code or "",
        address=row.address or "",
        postal_code=row.postal_code or "",
        latitude=row.latitude,
        longitude=row.longitude,
        timezone=row.timezone or "",
    )


def show(view: ShowView) -> pb.Show:
    row = view.show
    return pb.Show(
        id=str(row.id),
        slug=row.slug,
        name=row.name,
        ticketmaster_id=row.ticketmaster_id or "",
        setlistfm_id=row.setlistfm_id or "",
        headliner_artist_id=str(row.headliner_artist_id),
        artists=[pb.ShowArtist(artist_id=str(a), order=i) for i, a in enumerate(view.artist_ids)],
        venue_id=str(row.venue_id),
        local_date=row.local_date.isoformat(),
        local_time=row.local_time.isoformat() if row.local_time else "",
        timezone=row.timezone or "",
        start_time=timestamp(row.starts_at),
        status=SHOW_STATUS_TO_PB[row.status],
        ticket_url=row.ticket_url or "",
        update_time=timestamp(row.updated_at),
    )


def setlist_song(entry: Entry) -> pb.SetlistSong:
    row = entry.row
    return pb.SetlistSong(
        id=str(row.id),
        song_id=str(row.song_id),
        title=entry.title,
        position=row.position,
        set_name=row.set_name or "",
        encore=row.encore,
        is_tape=row.is_tape,
        is_cover=row.is_cover,
        cover_artist_name=row.cover_artist_name or "",
        info=row.info or "",
        upvotes=row.upvotes,
    )


def setlist(view: SetlistView) -> pb.Setlist:
    row = view.setlist
    return pb.Setlist(
        id=str(row.id),
        show_id=str(row.show_id),
        artist_id=str(row.artist_id),
        kind=SETLIST_KIND_TO_PB[row.kind],
        locked=row.locked,
        source=row.source,
        setlistfm_id=row.setlistfm_id or "",
        songs=[setlist_song(e) for e in view.entries],
        update_time=timestamp(row.updated_at),
    )


def event(row: OutboxEvent) -> events_pb2.Event:
    message = events_pb2.Event(
        sequence=row.sequence, id=str(row.id), occur_time=timestamp(row.occurred_at)
    )
    payload = getattr(message, row.type)
    payload.SetInParent()
    # Unknown fields are dropped so that older readers survive newer payloads.
    json_format.ParseDict(row.payload, payload, ignore_unknown_fields=True)
    return message
