"""Starting refresh jobs for catalog artists: the RefreshArtist RPC and the refresh-artists schedule."""

from __future__ import annotations

import uuid

import grpc
from mysetlist.catalog.v1 import resources_pb2 as pb

from services.sync.catalog import CatalogClient
from services.sync.domain.jobs import Jobs
from services.sync.models import ImportJob, JobKind
from shared.errors import NotFound

__all__ = ["ArtistNotFound", "Refreshes", "reference_of"]


class ArtistNotFound(NotFound):
    reason = "ARTIST_NOT_FOUND"


def reference_of(artist: pb.Artist) -> str:
    """How a refresh job names its artist: the strongest upstream id it has, else its name."""
    return artist.spotify_id or artist.ticketmaster_id or artist.mbid or artist.name


class Refreshes:
    """Refresh jobs, one active job per artist (an import or refresh already running is returned)."""

    def __init__(self, jobs: Jobs, catalog: CatalogClient) -> None:
        self._jobs = jobs
        self._catalog = catalog

    async def start(self, artist_id: str) -> tuple[ImportJob, bool]:
        """A queued refresh job for a catalog artist; ArtistNotFound when there is none."""
        try:
            artist = await self._catalog.artist(artist_id)
        except grpc.aio.AioRpcError as error:
            if error.code() is grpc.StatusCode.NOT_FOUND:
                raise ArtistNotFound(f"artist {artist_id} not found") from None
            raise
        return await self.start_for(artist)

    async def start_for(self, artist: pb.Artist) -> tuple[ImportJob, bool]:
        """A queued refresh job for an artist already read from the catalog."""
        return await self._jobs.start(
            reference_of(artist), kind=JobKind.REFRESH, artist_id=uuid.UUID(artist.id)
        )
