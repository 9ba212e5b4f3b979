"""Seeding the predicted setlist of an upcoming show from what the artist played lately.

Rules:
- History: the artist's `recent` (default 10) most recent non-empty setlists.
- Rank: songs by how many of those setlists they were in; ties by the most
  recent play, then Spotify popularity, then catalog order.
- Tapes never count (a recording played, not a performance). Off-catalog
  songs (covers and songs not in the catalog) enter only when played in at
  least `regular_share` (half) of the recent setlists: a staple cover belongs
  in the prediction, a one-off or a misspelling does not.
- Length: `target` if given, else the median length (tapes excluded) of the
  recent setlists, else 15; never more than the songs available.
- Fill: when history runs short (or there is none), catalog songs by
  popularity, then catalog order.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from enum import StrEnum

from services.sync.domain.setlists import (
    CatalogSong,
    LinkKind,
    LinkReport,
    Setlist,
    SongRef,
    median_length,
)

DEFAULT_LENGTH = 15
RECENT = 10
REGULAR_SHARE = 0.5


class Reason(StrEnum):
    """Why a song is in the seeded prediction."""

    PLAYED = "played"
    POPULAR = "popular"


@dataclass(frozen=True)
class PredictedSong:
    """One seeded song with the evidence for it."""

    song: SongRef
    reason: Reason
    plays: int = 0  # recent setlists it was in
    last_played: date | None = None
    popularity: int | None = None


@dataclass(frozen=True)
class Prediction:
    """A seeded prediction: songs in rank order and how it was built."""

    songs: tuple[PredictedSong, ...]
    target_length: int
    setlists_used: int


@dataclass
class _Tally:
    song: SongRef
    plays: int
    last_played: date


def seed_prediction(
    catalog: Sequence[CatalogSong],
    history: Iterable[tuple[Setlist, LinkReport]],
    *,
    recent: int = RECENT,
    target: int | None = None,
    default_length: int = DEFAULT_LENGTH,
    regular_share: float = REGULAR_SHARE,
) -> Prediction:
    """Rank songs for a predicted setlist; see the module docstring for the rules."""
    played = sorted(
        ((s, report) for s, report in history if not s.is_empty),
        key=lambda pair: (pair[0].event_date, pair[0].id),
        reverse=True,
    )[: max(recent, 0)]
    popularity = {song.id: song.popularity for song in catalog}
    order = {song.id: n for n, song in enumerate(catalog)}

    tallies: dict[tuple[LinkKind, str], _Tally] = {}
    for setlist, report in played:
        for linked in report.linked:
            if linked.entry.tape:
                continue
            key = (linked.song.kind, linked.song.key)
            tally = tallies.get(key)
            if tally is None:
                tallies[key] = _Tally(linked.song, 1, setlist.event_date)
            else:
                tally.plays += 1
                tally.last_played = max(tally.last_played, setlist.event_date)

    regular = math.ceil(regular_share * len(played)) if played else 0
    eligible = [
        t for t in tallies.values() if t.song.kind is LinkKind.CATALOG or t.plays >= max(regular, 1)
    ]
    eligible.sort(
        key=lambda t: (
            -t.plays,
            -t.last_played.toordinal(),
            -(popularity.get(t.song.key) or 0),
            order.get(t.song.key, len(order)),
            t.song.key,
        )
    )
    available = len(catalog) + sum(1 for t in eligible if t.song.kind is not LinkKind.CATALOG)
    median = median_length(s for s, _ in played)
    wanted = (
        target
        if target is not None
        else (int(median + 0.5) if median is not None else default_length)
    )
    length = max(0, min(wanted, available))

    songs = [
        PredictedSong(
            t.song,
            Reason.PLAYED,
            t.plays,
            t.last_played,
            popularity.get(t.song.key) if t.song.kind is LinkKind.CATALOG else None,
        )
        for t in eligible[:length]
    ]
    chosen = {p.song.key for p in songs if p.song.kind is LinkKind.CATALOG}
    fill = sorted(
        (song for song in catalog if song.id not in chosen),
        key=lambda song: (-(song.popularity or 0), order[song.id]),
    )
    for song in fill[: length - len(songs)]:
        songs.append(
            PredictedSong(
                SongRef(LinkKind.CATALOG, song.id, song.title),
                Reason.POPULAR,
                popularity=song.popularity,
            )
        )
    return Prediction(tuple(songs), length, len(played))
