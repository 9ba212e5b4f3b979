"""Catalog errors, each declaring its gRPC status (through its base) and AIP-193 reason."""

from __future__ import annotations

from shared.errors import AlreadyExists, FailedPrecondition, NotFound


class ArtistNotFound(NotFound):
    reason = "ARTIST_NOT_FOUND"


class SongNotFound(NotFound):
    reason = "SONG_NOT_FOUND"


class VenueNotFound(NotFound):
    reason = "VENUE_NOT_FOUND"


class ShowNotFound(NotFound):
    reason = "SHOW_NOT_FOUND"


class SetlistNotFound(NotFound):
    reason = "SETLIST_NOT_FOUND"


class SetlistSongNotFound(NotFound):
    reason = "SETLIST_SONG_NOT_FOUND"


class VotingClosed(FailedPrecondition):
    """The show has started (or is over, or was cancelled): the prediction is frozen."""

    reason = "VOTING_CLOSED"


class SetlistLocked(FailedPrecondition):
    reason = "SETLIST_LOCKED"


class NotAPrediction(FailedPrecondition):
    """Fans shape predicted setlists only; actual ones come from setlist.fm."""

    reason = "SETLIST_NOT_PREDICTED"


class SongAlreadyInSetlist(AlreadyExists):
    reason = "SONG_ALREADY_IN_SETLIST"


class UpstreamIdConflict(FailedPrecondition):
    """The upstream ids of one upsert belong to different stored artists."""

    reason = "UPSTREAM_ID_CONFLICT"


class SetlistsMissing(FailedPrecondition):
    """Accuracy needs both the predicted and the actual setlist."""

    reason = "SETLISTS_MISSING"
