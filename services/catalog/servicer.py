"""CatalogService over gRPC: protobuf in, domain call, protobuf out.

Requests arrive validated against the rules in catalog.proto and with the
caller's access checked (shared interceptors); domain errors are mapped to
statuses by the error interceptor.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import AsyncIterator

import grpc
from mysetlist.catalog.v1 import catalog_pb2 as api
from mysetlist.catalog.v1 import catalog_pb2_grpc

from services.catalog import convert
from services.catalog.domain.catalog import Catalog
from services.catalog.domain.imports import ArtistData, ShowData, SongData, VenueData
from services.catalog.domain.setlists import PlayedSong
from services.catalog.repository.artists import UpstreamIds
from services.catalog.repository.shows import ShowFilter
from shared.auth import require_principal
from shared.errors import InvalidArgument

SEARCH_DEFAULT = 10


def _id(value: str) -> uuid.UUID:
    # The validation interceptor has checked the UUID format already.
    return uuid.UUID(value)


def _optional_id(value: str) -> uuid.UUID | None:
    return uuid.UUID(value) if value else None


def _date(value: str) -> dt.date | None:
    return dt.date.fromisoformat(value) if value else None


class CatalogServicer(catalog_pb2_grpc.CatalogServiceServicer):
    """Thin adapter from the CatalogService contract to the catalog domain."""

    def __init__(self, catalog: Catalog) -> None:
        self._catalog = catalog

    # Artists and songs --------------------------------------------------

    async def GetArtist(
        self, request: api.GetArtistRequest, context: grpc.aio.ServicerContext
    ) -> api.GetArtistResponse:
        return api.GetArtistResponse(
            artist=convert.artist(await self._catalog.reads.get_artist(request.artist))
        )

    async def ListArtists(
        self, request: api.ListArtistsRequest, context: grpc.aio.ServicerContext
    ) -> api.ListArtistsResponse:
        rows, token = await self._catalog.reads.list_artists(
            request.page_size,
            request.page_token,
            upstream_ids=UpstreamIds(
                spotify=tuple(request.spotify_ids),
                ticketmaster=tuple(request.ticketmaster_ids),
                musicbrainz=tuple(m.lower() for m in request.mbids),
            ),
        )
        return api.ListArtistsResponse(
            artists=[convert.artist(a) for a in rows], next_page_token=token
        )

    async def SearchArtists(
        self, request: api.SearchArtistsRequest, context: grpc.aio.ServicerContext
    ) -> api.SearchArtistsResponse:
        matches = await self._catalog.reads.search_artists(
            request.query, request.page_size or SEARCH_DEFAULT
        )
        return api.SearchArtistsResponse(
            matches=[
                api.ArtistMatch(artist=convert.artist(m.artist), score=m.score) for m in matches
            ]
        )

    async def ListArtistSongs(
        self, request: api.ListArtistSongsRequest, context: grpc.aio.ServicerContext
    ) -> api.ListArtistSongsResponse:
        rows, token = await self._catalog.reads.list_artist_songs(
            request.artist,
            include_non_catalog=request.include_non_catalog,
            page_size=request.page_size,
            page_token=request.page_token,
        )
        return api.ListArtistSongsResponse(
            songs=[convert.song(s) for s in rows], next_page_token=token
        )

    # Venues and shows ---------------------------------------------------

    async def GetVenue(
        self, request: api.GetVenueRequest, context: grpc.aio.ServicerContext
    ) -> api.GetVenueResponse:
        return api.GetVenueResponse(
            venue=convert.venue(await self._catalog.reads.get_venue(request.venue))
        )

    async def ListVenues(
        self, request: api.ListVenuesRequest, context: grpc.aio.ServicerContext
    ) -> api.ListVenuesResponse:
        rows, token = await self._catalog.reads.list_venues(
            country_code=request.country_code,
            city=request.city,
            page_size=request.page_size,
            page_token=request.page_token,
        )
        return api.ListVenuesResponse(
            venues=[convert.venue(v) for v in rows], next_page_token=token
        )

    async def GetShow(
        self, request: api.GetShowRequest, context: grpc.aio.ServicerContext
    ) -> api.GetShowResponse:
        return api.GetShowResponse(
            show=convert.show(await self._catalog.reads.get_show(request.show))
        )

    async def ListShows(
        self, request: api.ListShowsRequest, context: grpc.aio.ServicerContext
    ) -> api.ListShowsResponse:
        where = ShowFilter(
            artist_id=_optional_id(request.artist_id),
            venue_id=_optional_id(request.venue_id),
            status=convert.SHOW_STATUS_FROM_PB.get(request.status),
            start_date=_date(request.start_date),
            end_date=_date(request.end_date),
        )
        if where.start_date and where.end_date and where.start_date > where.end_date:
            raise InvalidArgument.field("end_date", "must not be before start_date")
        rows, token = await self._catalog.reads.list_shows(
            where, page_size=request.page_size, page_token=request.page_token
        )
        return api.ListShowsResponse(shows=[convert.show(s) for s in rows], next_page_token=token)

    # Setlists and votes ---------------------------------------------------

    async def GetSetlist(
        self, request: api.GetSetlistRequest, context: grpc.aio.ServicerContext
    ) -> api.GetSetlistResponse:
        view = await self._catalog.reads.get_setlist(_id(request.setlist_id))
        return api.GetSetlistResponse(setlist=convert.setlist(view))

    async def ListShowSetlists(
        self, request: api.ListShowSetlistsRequest, context: grpc.aio.ServicerContext
    ) -> api.ListShowSetlistsResponse:
        views = await self._catalog.reads.list_show_setlists(
            _id(request.show_id), convert.SETLIST_KIND_FROM_PB.get(request.kind)
        )
        return api.ListShowSetlistsResponse(setlists=[convert.setlist(v) for v in views])

    async def AddSetlistSong(
        self, request: api.AddSetlistSongRequest, context: grpc.aio.ServicerContext
    ) -> api.AddSetlistSongResponse:
        entry = await self._catalog.setlists.add_song(_id(request.setlist_id), _id(request.song_id))
        return api.AddSetlistSongResponse(setlist_song=convert.setlist_song(entry))

    async def CastVote(
        self, request: api.CastVoteRequest, context: grpc.aio.ServicerContext
    ) -> api.CastVoteResponse:
        state = await self._catalog.votes.cast(
            require_principal().subject, _id(request.setlist_song_id)
        )
        return api.CastVoteResponse(
            setlist_song_id=str(state.setlist_song_id), upvotes=state.upvotes, voted=state.voted
        )

    async def RetractVote(
        self, request: api.RetractVoteRequest, context: grpc.aio.ServicerContext
    ) -> api.RetractVoteResponse:
        state = await self._catalog.votes.retract(
            require_principal().subject, _id(request.setlist_song_id)
        )
        return api.RetractVoteResponse(
            setlist_song_id=str(state.setlist_song_id), upvotes=state.upvotes, voted=state.voted
        )

    async def GetPredictionAccuracy(
        self, request: api.GetPredictionAccuracyRequest, context: grpc.aio.ServicerContext
    ) -> api.GetPredictionAccuracyResponse:
        result = await self._catalog.setlists.accuracy(
            _id(request.show_id), _optional_id(request.artist_id)
        )
        return api.GetPredictionAccuracyResponse(
            show_id=str(result.show_id),
            artist_id=str(result.artist_id),
            predicted_count=result.predicted_count,
            actual_count=result.actual_count,
            matched_count=result.matched_count,
            precision=result.precision,
            recall=result.recall,
            matched_song_ids=[str(s) for s in result.matched_song_ids],
        )

    # Follows ------------------------------------------------------------

    async def FollowArtist(
        self, request: api.FollowArtistRequest, context: grpc.aio.ServicerContext
    ) -> api.FollowArtistResponse:
        artist = await self._catalog.follows.follow(
            require_principal().subject, _id(request.artist_id)
        )
        return api.FollowArtistResponse(artist=convert.artist(artist))

    async def UnfollowArtist(
        self, request: api.UnfollowArtistRequest, context: grpc.aio.ServicerContext
    ) -> api.UnfollowArtistResponse:
        artist = await self._catalog.follows.unfollow(
            require_principal().subject, _id(request.artist_id)
        )
        return api.UnfollowArtistResponse(artist=convert.artist(artist))

    async def ListFollowedArtists(
        self, request: api.ListFollowedArtistsRequest, context: grpc.aio.ServicerContext
    ) -> api.ListFollowedArtistsResponse:
        rows, token = await self._catalog.reads.list_followed_artists(
            require_principal().subject, page_size=request.page_size, page_token=request.page_token
        )
        return api.ListFollowedArtistsResponse(
            artists=[convert.artist(a) for a in rows], next_page_token=token
        )

    # Change feed ---------------------------------------------------------

    async def StreamEvents(
        self, request: api.StreamEventsRequest, context: grpc.aio.ServicerContext
    ) -> AsyncIterator[api.StreamEventsResponse]:
        async for row in self._catalog.feed.tail(request.after_sequence):
            yield api.StreamEventsResponse(event=convert.event(row))

    # Internal: imports ----------------------------------------------------

    async def UpsertArtist(
        self, request: api.UpsertArtistRequest, context: grpc.aio.ServicerContext
    ) -> api.UpsertArtistResponse:
        a = request.artist
        artist, created = await self._catalog.imports.upsert_artist(
            ArtistData(
                name=a.name,
                spotify_id=a.spotify_id,
                ticketmaster_id=a.ticketmaster_id,
                mbid=a.mbid.lower(),
                genres=list(a.genres),
                image_url=a.image_url,
                popularity=a.popularity,
                spotify_followers=a.spotify_followers,
            )
        )
        return api.UpsertArtistResponse(artist=convert.artist(artist), created=created)

    async def BatchUpsertSongs(
        self, request: api.BatchUpsertSongsRequest, context: grpc.aio.ServicerContext
    ) -> api.BatchUpsertSongsResponse:
        batch = [
            SongData(
                spotify_id=s.spotify_id,
                title=s.title,
                isrc=s.isrc.upper(),
                duration_ms=s.duration_ms,
                album_name=s.album_name,
                release_date=s.release_date,
                popularity=s.popularity,
            )
            for s in request.songs
        ]
        result = await self._catalog.imports.upsert_songs(_id(request.artist_id), batch)
        return api.BatchUpsertSongsResponse(
            song_ids=[str(i) for i in result.ids], created_count=result.created_count
        )

    async def BatchUpsertVenues(
        self, request: api.BatchUpsertVenuesRequest, context: grpc.aio.ServicerContext
    ) -> api.BatchUpsertVenuesResponse:
        batch = [
            VenueData(
                name=v.name,
                ticketmaster_id=v.ticketmaster_id,
                setlistfm_id=v.setlistfm_id,
                city=v.city,
                state=v.state,
                country_code=v.country_code,
                address=v.address,
                postal_code=v.postal_code,
                latitude=v.latitude if v.HasField("latitude") else None,
                longitude=v.longitude if v.HasField("longitude") else None,
                timezone=v.timezone,
            )
            for v in request.venues
        ]
        result = await self._catalog.imports.upsert_venues(batch)
        return api.BatchUpsertVenuesResponse(
            venue_ids=[str(i) for i in result.ids], created_count=result.created_count
        )

    async def BatchUpsertShows(
        self, request: api.BatchUpsertShowsRequest, context: grpc.aio.ServicerContext
    ) -> api.BatchUpsertShowsResponse:
        batch = [_show_data(i, s) for i, s in enumerate(request.shows)]
        result = await self._catalog.imports.upsert_shows(batch)
        return api.BatchUpsertShowsResponse(
            show_ids=[str(i) for i in result.ids], created_count=result.created_count
        )

    async def UpsertActualSetlist(
        self, request: api.UpsertActualSetlistRequest, context: grpc.aio.ServicerContext
    ) -> api.UpsertActualSetlistResponse:
        played = [
            PlayedSong(
                title=s.title,
                set_name=s.set_name,
                encore=s.encore,
                is_tape=s.is_tape,
                cover_artist_name=s.cover_artist_name,
                info=s.info,
            )
            for s in request.songs
        ]
        view = await self._catalog.setlists.record_actual(
            _id(request.show_id), _id(request.artist_id), played, setlistfm_id=request.setlistfm_id
        )
        return api.UpsertActualSetlistResponse(setlist=convert.setlist(view))

    async def SeedPredictedSetlist(
        self, request: api.SeedPredictedSetlistRequest, context: grpc.aio.ServicerContext
    ) -> api.SeedPredictedSetlistResponse:
        view = await self._catalog.setlists.seed_prediction(
            _id(request.show_id), _id(request.artist_id), [_id(s) for s in request.song_ids]
        )
        return api.SeedPredictedSetlistResponse(setlist=convert.setlist(view))

    async def BatchSeedPredictedSetlists(
        self, request: api.BatchSeedPredictedSetlistsRequest, context: grpc.aio.ServicerContext
    ) -> api.BatchSeedPredictedSetlistsResponse:
        report = await self._catalog.setlists.seed_many(
            _id(request.artist_id),
            [_id(s) for s in request.show_ids],
            [_id(s) for s in request.song_ids],
        )
        return api.BatchSeedPredictedSetlistsResponse(
            setlist_ids=[str(s) if s else "" for s in report.setlist_ids],
            songs_added=report.songs_added,
            locked_show_ids=[str(s) for s in report.locked_show_ids],
        )


def _show_data(index: int, s: api.ShowInput) -> ShowData:
    try:
        local_time = dt.time.fromisoformat(s.local_time) if s.local_time else None
    except ValueError:
        raise InvalidArgument.field(
            f"shows[{index}].local_time", "must be HH:MM or HH:MM:SS"
        ) from None
    return ShowData(
        ticketmaster_id=s.ticketmaster_id,
        setlistfm_id=s.setlistfm_id,
        name=s.name,
        venue_id=_id(s.venue_id),
        artist_ids=[_id(a) for a in s.artist_ids],
        local_date=dt.date.fromisoformat(s.local_date),
        local_time=local_time,
        timezone=s.timezone,
        status=convert.SHOW_STATUS_FROM_PB.get(s.status, convert.ShowStatus.UPCOMING),
        ticket_url=s.ticket_url,
    )
