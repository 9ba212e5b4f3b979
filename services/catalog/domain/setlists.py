"""Setlists: fans' additions to predictions, seeded predictions, actual setlists, accuracy."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from services.catalog.domain import errors
from services.catalog.domain.showtime import voting_open
from services.catalog.domain.views import Accuracy, SetlistView
from services.catalog.models import Artist, Setlist, SetlistKind, Show, Song
from services.catalog.repository import events, setlists, shows, songs
from services.catalog.repository.setlists import Entry
from shared.clock import utcnow
from shared.errors import InvalidArgument
from shared.titles import song_key


@dataclass(frozen=True)
class PlayedSong:
    """One entry of an actual setlist as the source reports it."""

    title: str
    set_name: str = ""
    encore: int = 0
    is_tape: bool = False
    cover_artist_name: str = ""
    info: str = ""


class Setlists:
    """Changes to setlists and how well predictions did."""

    def __init__(
        self,
        sessions: async_sessionmaker[AsyncSession],
        *,
        on_events: Callable[[], None],
        clock: Callable[[], dt.datetime] = utcnow,
    ) -> None:
        self._sessions = sessions
        self._on_events = on_events
        self._clock = clock

    async def add_song(self, setlist_id: uuid.UUID, song_id: uuid.UUID) -> Entry:
        """Append a song of the artist's catalog to a predicted setlist."""
        async with self._sessions.begin() as session:
            setlist = await setlists.get(session, setlist_id, for_update=True)
            if setlist is None:
                raise errors.SetlistNotFound(f"setlist {setlist_id} not found")
            await self._check_open_prediction(session, setlist)
            song = await session.get(Song, song_id)
            if song is None:
                raise errors.SongNotFound(f"song {song_id} not found")
            if not await songs.linked_to(session, setlist.artist_id, [song_id]):
                raise InvalidArgument.field(
                    "song_id",
                    "is not a song of this setlist's artist",
                    reason="SONG_NOT_IN_CATALOG",
                )
            if song_id in await setlists.song_ids(session, setlist.id):
                raise errors.SongAlreadyInSetlist(f"song {song_id} is already in this setlist")
            entry = {
                "id": uuid.uuid4(),
                "setlist_id": setlist.id,
                "song_id": song_id,
                "position": await setlists.last_position(session, setlist.id) + 1,
            }
            await setlists.add_entries(session, [entry])
            await self._changed(session, setlist)
            added = (await setlists.entries(session, [setlist.id]))[setlist.id]
        self._on_events()
        return next(e for e in added if e.row.id == entry["id"])

    async def seed_prediction(
        self, show_id: uuid.UUID, artist_id: uuid.UUID, song_ids: Sequence[uuid.UUID]
    ) -> SetlistView:
        """Create the predicted setlist if missing and append the seeded songs it lacks."""
        async with self._sessions.begin() as session:
            await _show_and_artist(session, show_id, artist_id)
            await _check_seeded_songs(session, artist_id, song_ids)
            setlist = await setlists.ensure(
                session,
                show_id=show_id,
                artist_id=artist_id,
                kind=SetlistKind.PREDICTED,
                source="seed",
            )
            if setlist.locked:
                raise errors.SetlistLocked("this setlist is locked")
            present = await setlists.song_ids(session, setlist.id)
            position = await setlists.last_position(session, setlist.id)
            new_rows = []
            for song_id in dict.fromkeys(song_ids):
                if song_id not in present:
                    position += 1
                    new_rows.append(
                        {
                            "id": uuid.uuid4(),
                            "setlist_id": setlist.id,
                            "song_id": song_id,
                            "position": position,
                        }
                    )
            await setlists.add_entries(session, new_rows)
            if new_rows:
                await self._changed(session, setlist)
            view = await _view(session, setlist)
        if new_rows:
            self._on_events()
        return view

    async def seed_many(
        self, artist_id: uuid.UUID, show_ids: Sequence[uuid.UUID], song_ids: Sequence[uuid.UUID]
    ) -> SeedReport:
        """seed_prediction for many shows at once: a few statements for the whole batch."""
        async with self._sessions.begin() as session:
            if await session.get(Artist, artist_id) is None:
                raise errors.ArtistNotFound(f"artist {artist_id} not found")
            await _check_seeded_songs(session, artist_id, song_ids)
            bills = await shows.bills(session, show_ids)
            strangers = [
                (f"show_ids[{i}]", "is not a show of this artist")
                for i, show_id in enumerate(show_ids)
                if artist_id not in bills.get(show_id, [])
            ]
            if strangers:
                raise InvalidArgument(
                    "every show must have the artist on its bill", violations=strangers
                )
            found = await setlists.ensure_many(
                session,
                show_ids=show_ids,
                artist_id=artist_id,
                kind=SetlistKind.PREDICTED,
                source="seed",
            )
            open_setlists = [s for s in found.values() if not s.locked]
            present = await setlists.contents(session, [s.id for s in open_setlists])
            rows, changed = [], []
            wanted = list(dict.fromkeys(song_ids))
            for setlist in sorted(open_setlists, key=lambda s: s.id):
                songs, position = present[setlist.id]
                missing = [song_id for song_id in wanted if song_id not in songs]
                for song_id in missing:
                    position += 1
                    rows.append(
                        {
                            "id": uuid.uuid4(),
                            "setlist_id": setlist.id,
                            "song_id": song_id,
                            "position": position,
                        }
                    )
                if missing:
                    changed.append((setlist, len(songs) + len(missing)))
            await setlists.add_entries(session, rows)
            await setlists.touch_many(session, [s.id for s, _ in changed])
            await events.append(session, [_setlist_event(s, count) for s, count in changed])
        if changed:
            self._on_events()
        return SeedReport(
            setlist_ids=[found[s].id if not found[s].locked else None for s in show_ids],
            songs_added=len(rows),
            locked_show_ids=[s for s in show_ids if found[s].locked],
        )

    async def record_actual(
        self,
        show_id: uuid.UUID,
        artist_id: uuid.UUID,
        played: Sequence[PlayedSong],
        *,
        setlistfm_id: str = "",
    ) -> SetlistView:
        """Replace the actual setlist; link titles to the artist's songs, create the rest."""
        async with self._sessions.begin() as session:
            await _show_and_artist(session, show_id, artist_id)
            song_for = await _resolve_titles(session, artist_id, played)
            setlist = await setlists.ensure(
                session,
                show_id=show_id,
                artist_id=artist_id,
                kind=SetlistKind.ACTUAL,
                source="setlistfm",
            )
            await setlists.clear(session, setlist.id)
            rows, seen = [], set()
            for entry in played:
                song_id = song_for[_match_key(entry)]
                if song_id in seen:
                    continue  # a reprise: the setlist keeps one entry per song
                seen.add(song_id)
                rows.append(
                    {
                        "id": uuid.uuid4(),
                        "setlist_id": setlist.id,
                        "song_id": song_id,
                        "position": len(rows) + 1,
                        "set_name": entry.set_name or None,
                        "encore": entry.encore,
                        "is_tape": entry.is_tape,
                        "is_cover": bool(entry.cover_artist_name),
                        "cover_artist_name": entry.cover_artist_name or None,
                        "info": entry.info or None,
                    }
                )
            await setlists.add_entries(session, rows)
            await setlists.touch(session, setlist.id, setlistfm_id=setlistfm_id or None)
            # What was played is known: the crowd's prediction is final.
            prediction = await setlists.find(session, show_id, artist_id, SetlistKind.PREDICTED)
            if prediction is not None and not prediction.locked:
                await setlists.touch(session, prediction.id, locked=True)
            await self._changed(session, setlist, touched=True)
            view = await _view(session, setlist)
        self._on_events()
        return view

    async def accuracy(self, show_id: uuid.UUID, artist_id: uuid.UUID | None) -> Accuracy:
        """How many predicted songs were played, with precision and recall."""
        async with self._sessions() as session:
            show = await shows.get(session, show_id)
            if show is None:
                raise errors.ShowNotFound(f"show {show_id} not found")
            artist_id = artist_id or show.headliner_artist_id
            predicted = await setlists.find(session, show_id, artist_id, SetlistKind.PREDICTED)
            actual = await setlists.find(session, show_id, artist_id, SetlistKind.ACTUAL)
            if predicted is None or actual is None:
                missing = [
                    k for k, s in (("predicted", predicted), ("actual", actual)) if s is None
                ]
                raise errors.SetlistsMissing(
                    f"no {' or '.join(missing)} setlist for this artist at this show"
                )
            entries = await setlists.entries(session, [predicted.id, actual.id])
        predicted_ids = [e.row.song_id for e in entries[predicted.id]]
        played_ids = {e.row.song_id for e in entries[actual.id] if not e.row.is_tape}
        return Accuracy(
            show_id=show_id,
            artist_id=artist_id,
            predicted_count=len(predicted_ids),
            actual_count=len(played_ids),
            matched_song_ids=[s for s in predicted_ids if s in played_ids],
        )

    async def _check_open_prediction(self, session: AsyncSession, setlist: Setlist) -> None:
        if setlist.kind != SetlistKind.PREDICTED:
            raise errors.NotAPrediction("songs are added to predicted setlists only")
        if setlist.locked:
            raise errors.SetlistLocked("this setlist is locked")
        show = await shows.get(session, setlist.show_id)
        if show is None or not voting_open(show, self._clock()):
            raise errors.VotingClosed("the show has started: its prediction is closed")

    async def _changed(
        self, session: AsyncSession, setlist: Setlist, *, touched: bool = False
    ) -> None:
        if not touched:
            await setlists.touch(session, setlist.id)
        count = len(await setlists.song_ids(session, setlist.id))
        await events.append(session, [_setlist_event(setlist, count)])


@dataclass(frozen=True)
class SeedReport:
    """What a batch seed did: each show's setlist (None when locked), songs added."""

    setlist_ids: list[uuid.UUID | None]
    songs_added: int
    locked_show_ids: list[uuid.UUID]


def _setlist_event(setlist: Setlist, song_count: int) -> tuple[str, dict]:
    return (
        "setlist_updated",
        {
            "setlist_id": str(setlist.id),
            "show_id": str(setlist.show_id),
            "artist_id": str(setlist.artist_id),
            "kind": setlist.kind.value,
            "song_count": song_count,
        },
    )


async def _check_seeded_songs(
    session: AsyncSession, artist_id: uuid.UUID, song_ids: Sequence[uuid.UUID]
) -> None:
    linked = await songs.linked_to(session, artist_id, song_ids)
    strangers = [
        (f"song_ids[{i}]", "is not a song of this artist")
        for i, song_id in enumerate(song_ids)
        if song_id not in linked
    ]
    if strangers:
        raise InvalidArgument("every seeded song must belong to the artist", violations=strangers)


async def _show_and_artist(session: AsyncSession, show_id: uuid.UUID, artist_id: uuid.UUID) -> Show:
    show = await session.get(Show, show_id)
    if show is None:
        raise errors.ShowNotFound(f"show {show_id} not found")
    if await session.get(Artist, artist_id) is None:
        raise errors.ArtistNotFound(f"artist {artist_id} not found")
    return show


async def _view(session: AsyncSession, setlist: Setlist) -> SetlistView:
    fresh = await setlists.get(session, setlist.id)
    assert fresh is not None
    await session.refresh(fresh)
    return SetlistView(fresh, (await setlists.entries(session, [setlist.id]))[setlist.id])


def _match_key(entry: PlayedSong) -> tuple[str, bool]:
    """(song key, is cover): a cover never links to the artist's own same-titled song."""
    return (song_key(entry.title, entry.cover_artist_name or None), bool(entry.cover_artist_name))


async def _resolve_titles(
    session: AsyncSession, artist_id: uuid.UUID, played: Sequence[PlayedSong]
) -> dict[tuple[str, bool], uuid.UUID]:
    """Song id for each (title key, is cover): the artist's song, else a new setlist-only song."""
    keys = {_match_key(e): e for e in played}
    own = await songs.of_artist_by_title(session, artist_id, [k for k, cover in keys if not cover])
    found: dict[tuple[str, bool], uuid.UUID] = {}
    for song in own:  # catalog songs come first: they win over setlist-only ones
        found.setdefault((song.title_key, False), song.id)
    existing = await songs.non_catalog_by_title(session, artist_id, [k for k, _ in keys])
    for key in keys:
        if key not in found and key[0] in existing:
            found[key] = existing[key[0]].id
    missing = {key: e for key, e in keys.items() if key not in found}
    if missing:
        await songs.insert_non_catalog(
            session,
            [
                {
                    "id": uuid.uuid4(),
                    "title": e.title,
                    "title_key": key[0],
                    "primary_artist_id": artist_id,
                    "is_catalog": False,
                    "original_artist_name": e.cover_artist_name or None,
                    "duration_ms": 0,
                    "popularity": 0,
                }
                for key, e in missing.items()
            ],
        )
        created = await songs.non_catalog_by_title(session, artist_id, [k for k, _ in missing])
        for key in missing:
            found[key] = created[key[0]].id
    await songs.link(session, artist_id, set(found.values()))
    return found
