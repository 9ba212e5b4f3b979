"""What the domain hands the servicer: stored rows plus what they are shown with."""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from services.catalog.models import Artist, Setlist, Show
from services.catalog.repository.setlists import Entry


@dataclass(frozen=True)
class ShowView:
    show: Show
    # Artists on the bill, headliner first.
    artist_ids: list[uuid.UUID]


@dataclass(frozen=True)
class SetlistView:
    setlist: Setlist
    entries: list[Entry]


@dataclass(frozen=True)
class ArtistMatch:
    artist: Artist
    score: float


@dataclass(frozen=True)
class VoteState:
    setlist_song_id: uuid.UUID
    upvotes: int
    voted: bool


@dataclass(frozen=True)
class Accuracy:
    show_id: uuid.UUID
    artist_id: uuid.UUID
    predicted_count: int
    actual_count: int
    matched_song_ids: list[uuid.UUID]

    @property
    def matched_count(self) -> int:
        return len(self.matched_song_ids)

    @property
    def precision(self) -> float:
        return self.matched_count / self.predicted_count if self.predicted_count else 0.0

    @property
    def recall(self) -> float:
        return self.matched_count / self.actual_count if self.actual_count else 0.0


@dataclass(frozen=True)
class UpsertResult:
    ids: list[uuid.UUID]
    created_count: int
