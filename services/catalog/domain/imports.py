"""Batch writes from the sync service, keyed on upstream ids: idempotent, a few statements per batch."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from services.catalog.domain import errors
from services.catalog.domain.views import UpsertResult
from services.catalog.models import Artist, Show, ShowStatus, Venue
from services.catalog.repository import artists, events, shows, slugs, songs, venues
from shared import text
from shared.clock import utc_instant, zone
from shared.errors import Aborted, InvalidArgument
from shared.titles import title_key

# A concurrent importer can take a slug or an upstream id between our read and
# our insert; the unique constraint refuses it and the whole batch is retried.
_ATTEMPTS = 3


@dataclass(frozen=True)
class ArtistData:
    name: str
    spotify_id: str = ""
    ticketmaster_id: str = ""
    mbid: str = ""
    genres: list[str] = field(default_factory=list)
    image_url: str = ""
    popularity: int = 0
    spotify_followers: int = 0


@dataclass(frozen=True)
class SongData:
    spotify_id: str
    title: str
    isrc: str = ""
    duration_ms: int = 0
    album_name: str = ""
    release_date: str = ""
    popularity: int = 0


@dataclass(frozen=True)
class VenueData:
    name: str
    ticketmaster_id: str = ""
    setlistfm_id: str = ""
    city: str = ""
    state: str = ""
    country_code: str = ""
    address: str = ""
    postal_code: str = ""
    latitude: float | None = None
    longitude: float | None = None
    timezone: str = ""


@dataclass(frozen=True)
class ShowData:
    name: str
    venue_id: uuid.UUID
    artist_ids: list[uuid.UUID]
    local_date: dt.date
    ticketmaster_id: str = ""
    # Past shows known only from setlist.fm are keyed on its setlist's event id.
    setlistfm_id: str = ""
    local_time: dt.time | None = None
    timezone: str = ""
    status: ShowStatus = ShowStatus.UPCOMING
    ticket_url: str = ""

    @property
    def key(self) -> str:
        return f"tm:{self.ticketmaster_id}" if self.ticketmaster_id else f"fm:{self.setlistfm_id}"


def _nulls(values: dict[str, Any]) -> dict[str, Any]:
    """Empty strings stored as NULL, so unique upstream ids bind only real ids."""
    return {k: (None if v == "" else v) for k, v in values.items()}


class Imports:
    """Upserts the sync service calls, each one transaction."""

    def __init__(
        self,
        sessions: async_sessionmaker[AsyncSession],
        *,
        on_events: Callable[[], None],
        on_artist_changed: Callable[[uuid.UUID], None],
        on_shows_changed: Callable[[Sequence[uuid.UUID]], None],
    ) -> None:
        self._sessions = sessions
        self._on_events = on_events
        self._on_artist_changed = on_artist_changed
        self._on_shows_changed = on_shows_changed

    async def _retrying(self, work: Callable[[AsyncSession], Any]) -> Any:
        for attempt in range(1, _ATTEMPTS + 1):
            try:
                async with self._sessions.begin() as session:
                    return await work(session)
            except IntegrityError:
                if attempt == _ATTEMPTS:
                    raise Aborted("a concurrent write conflicted; retry the call") from None
        raise AssertionError("unreachable")

    # Artists -----------------------------------------------------------

    async def upsert_artist(self, data: ArtistData) -> tuple[Artist, bool]:
        """Create or update the artist holding any of these upstream ids."""
        if not (data.spotify_id or data.ticketmaster_id or data.mbid):
            raise InvalidArgument.field(
                "artist", "needs at least one of spotify_id, ticketmaster_id, mbid"
            )
        artist, created = await self._retrying(lambda session: self._upsert_artist(session, data))
        self._on_artist_changed(artist.id)
        self._on_events()
        return artist, created

    async def _upsert_artist(self, session: AsyncSession, data: ArtistData) -> tuple[Artist, bool]:
        matches = await artists.find_by_upstream_ids(
            session,
            spotify_id=data.spotify_id,
            ticketmaster_id=data.ticketmaster_id,
            mbid=data.mbid,
        )
        if len(matches) > 1:
            raise errors.UpstreamIdConflict(
                "these upstream ids belong to different artists: "
                + ", ".join(f"{a.name} ({a.id})" for a in matches)
            )
        values = _nulls(asdict(data)) | {
            "search_name": text.normalize(data.name),
            "genres": list(data.genres),
        }
        if matches:
            artist = matches[0]
            # An upstream that lacks a field (Ticketmaster has no popularity,
            # Spotify's development mode withholds it) must not erase what
            # another upstream supplied: only given values overwrite.
            for name, value in values.items():
                if value not in (None, 0, []):
                    setattr(artist, name, value)
            created = False
        else:
            slug = (await slugs.assign(session, Artist, [("new", data.name, data.spotify_id)]))[
                "new"
            ]
            artist = Artist(id=uuid.uuid4(), slug=slug, **values)
            session.add(artist)
            created = True
        await session.flush()
        await events.append(
            session,
            [
                (
                    "artist_updated",
                    {
                        "artist_id": str(artist.id),
                        "popularity": artist.popularity,
                        "created": created,
                    },
                )
            ],
        )
        return artist, created

    # Songs -------------------------------------------------------------

    async def upsert_songs(self, artist_id: uuid.UUID, batch: Sequence[SongData]) -> UpsertResult:
        """Create or update an artist's catalog songs keyed on Spotify id."""
        result = await self._retrying(lambda session: self._upsert_songs(session, artist_id, batch))
        return result

    async def _upsert_songs(
        self, session: AsyncSession, artist_id: uuid.UUID, batch: Sequence[SongData]
    ) -> UpsertResult:
        if await session.get(Artist, artist_id) is None:
            raise errors.ArtistNotFound(f"artist {artist_id} not found")
        unique = {s.spotify_id: s for s in batch}  # last one wins within a batch
        existing = await songs.by_spotify_ids(session, unique)
        rows = {
            spotify_id: _nulls(asdict(s)) | {"title_key": title_key(s.title)}
            for spotify_id, s in unique.items()
        }
        # A song first seen in a setlist becomes the catalog song: same id, no duplicate.
        setlist_only = await songs.non_catalog_by_title(
            session, artist_id, [r["title_key"] for k, r in rows.items() if k not in existing]
        )
        promoted: dict[str, uuid.UUID] = {}
        for spotify_id, row in rows.items():
            song = setlist_only.pop(row["title_key"], None) if spotify_id not in existing else None
            if song is not None:
                promoted[spotify_id] = song.id
        await songs.promote(
            session,
            [rows[k] | {"id": song_id, "is_catalog": True} for k, song_id in promoted.items()],
        )
        to_upsert = [
            row | {"id": uuid.uuid4(), "primary_artist_id": artist_id, "is_catalog": True}
            for spotify_id, row in sorted(rows.items())
            if spotify_id not in promoted
        ]
        ids = await songs.upsert(session, to_upsert) | promoted
        await songs.link(session, artist_id, ids.values())
        created = len(unique) - len(existing) - len(promoted)
        return UpsertResult([ids[s.spotify_id] for s in batch], created)

    # Venues ------------------------------------------------------------

    async def upsert_venues(self, batch: Sequence[VenueData]) -> UpsertResult:
        """Create or update venues keyed on their Ticketmaster or setlist.fm id."""
        violations = [
            (f"venues[{i}]", "needs a ticketmaster_id or a setlistfm_id")
            for i, v in enumerate(batch)
            if not (v.ticketmaster_id or v.setlistfm_id)
        ] + [
            (f"venues[{i}].timezone", "must be an IANA time zone")
            for i, v in enumerate(batch)
            if v.timezone and zone(v.timezone) is None
        ]
        if violations:
            raise InvalidArgument("some venues are invalid", violations=violations)
        return await self._retrying(lambda session: self._upsert_venues(session, batch))

    async def _upsert_venues(
        self, session: AsyncSession, batch: Sequence[VenueData]
    ) -> UpsertResult:
        existing = await venues.by_upstream_ids(
            session,
            [v.ticketmaster_id for v in batch if v.ticketmaster_id],
            [v.setlistfm_id for v in batch if v.setlistfm_id],
        )
        by_tm = {v.ticketmaster_id: v for v in existing if v.ticketmaster_id}
        by_fm = {v.setlistfm_id: v for v in existing if v.setlistfm_id}
        _check_venue_keys(batch, by_tm, by_fm)
        ids: list[uuid.UUID] = []
        updates: dict[uuid.UUID, dict[str, Any]] = {}
        new: dict[str, dict[str, Any]] = {}
        for data in batch:
            values = _nulls(asdict(data))
            if values["country_code"]:
                values["country_code"] = values["country_code"].upper()
            found = by_tm.get(data.ticketmaster_id) or by_fm.get(data.setlistfm_id)
            key = (
                f"tm:{data.ticketmaster_id}" if data.ticketmaster_id else f"fm:{data.setlistfm_id}"
            )
            if found is not None:
                # Keep ids the venue already has when this source lacks them.
                updates[found.id] = {k: v for k, v in values.items() if v is not None} | {
                    "id": found.id
                }
                ids.append(found.id)
            elif key in new:
                ids.append(new[key]["id"])
            else:
                new[key] = values | {"id": uuid.uuid4()}
                ids.append(new[key]["id"])
        chosen = await slugs.assign(
            session, Venue, [(k, f"{v['name']} {v['city'] or ''}", k) for k, v in new.items()]
        )
        await venues.insert_many(session, [v | {"slug": chosen[k]} for k, v in sorted(new.items())])
        await venues.update_many(session, [updates[i] for i in sorted(updates)])
        return UpsertResult(ids, len(new))

    # Shows -------------------------------------------------------------

    async def upsert_shows(self, batch: Sequence[ShowData]) -> UpsertResult:
        """Create or update shows keyed on their Ticketmaster (else setlist.fm) id, with their bills."""
        missing = [
            (f"shows[{i}].ticketmaster_id", "needs a ticketmaster_id or a setlistfm_id")
            for i, s in enumerate(batch)
            if not (s.ticketmaster_id or s.setlistfm_id)
        ]
        if missing:
            raise InvalidArgument("some shows have no upstream id", violations=missing)
        result, changed = await self._retrying(lambda session: self._upsert_shows(session, batch))
        self._on_shows_changed(changed)
        if changed:
            self._on_events()
        return result

    async def _upsert_shows(
        self, session: AsyncSession, batch: Sequence[ShowData]
    ) -> tuple[UpsertResult, list[uuid.UUID]]:
        await _check_references(session, batch)
        unique = {s.key: s for s in batch}
        existing = await shows.by_keys(session, unique)
        old_bills = await shows.bills(session, [s.id for s in existing.values()])
        venue_rows = await venues.get_many(session, {s.venue_id for s in unique.values()})
        headliners = await artists.get_many(session, [s.artist_ids[0] for s in unique.values()])
        ids: dict[str, uuid.UUID] = {}
        inserts, updates, new_bills, out = [], [], {}, []
        for key, data in sorted(unique.items()):
            venue = venue_rows[data.venue_id]
            tz = data.timezone or venue.timezone or ""
            show = existing.get(key)
            values = {
                "name": data.name,
                # An id this source lacks is kept, never erased.
                "ticketmaster_id": data.ticketmaster_id or (show and show.ticketmaster_id) or None,
                "setlistfm_id": data.setlistfm_id or (show and show.setlistfm_id) or None,
                "headliner_artist_id": data.artist_ids[0],
                "venue_id": data.venue_id,
                "local_date": data.local_date,
                "local_time": data.local_time,
                "timezone": tz or None,
                "starts_at": utc_instant(data.local_date, data.local_time, tz),
                "status": data.status,
                "ticket_url": data.ticket_url or None,
            }
            bill = list(dict.fromkeys(data.artist_ids))
            if show is None:
                show_id = uuid.uuid4()
                inserts.append(values | {"id": show_id})
                new_bills[show_id] = bill
                out.append(("show_created", show_id, values, bill))
            else:
                show_id = show.id
                if _differs(show, values) or old_bills.get(show_id) != bill:
                    updates.append(values | {"id": show_id})
                    new_bills[show_id] = bill
                    out.append(("show_updated", show_id, values, bill))
            ids[key] = show_id
        chosen = await slugs.assign(
            session,
            Show,
            [
                (
                    str(row["id"]),
                    f"{headliners[row['headliner_artist_id']].slug} {venue_rows[row['venue_id']].slug} {row['local_date']}",
                    row["ticketmaster_id"] or row["setlistfm_id"],
                )
                for row in inserts
            ],
        )
        await shows.insert_many(
            session, [row | {"slug": chosen[str(row["id"])]} for row in inserts]
        )
        await shows.update_many(session, updates)
        await shows.replace_bills(session, new_bills)
        await events.append(session, [_show_event(*change) for change in out])
        result = UpsertResult([ids[s.key] for s in batch], len(inserts))
        return result, [show_id for _, show_id, _, _ in out]


def _check_venue_keys(
    batch: Sequence[VenueData], by_tm: dict[str, Venue], by_fm: dict[str, Venue]
) -> None:
    """Refuse ids that point at two different venues, stored or in this batch."""
    for i, data in enumerate(batch):
        tm, fm = by_tm.get(data.ticketmaster_id), by_fm.get(data.setlistfm_id)
        if tm is not None and fm is not None and tm.id != fm.id:
            raise errors.UpstreamIdConflict(
                f"venues[{i}]: its Ticketmaster id belongs to {tm.name} ({tm.id}) "
                f"and its setlist.fm id to {fm.name} ({fm.id})"
            )
    owner: dict[str, str] = {}
    violations = []
    for i, data in enumerate(batch):
        if data.setlistfm_id and data.ticketmaster_id:
            first = owner.setdefault(data.setlistfm_id, data.ticketmaster_id)
            if first != data.ticketmaster_id:
                violations.append(
                    (f"venues[{i}].setlistfm_id", "is given to another venue of this batch")
                )
    if violations:
        raise InvalidArgument("a setlist.fm id names two venues", violations=violations)


def _differs(show: Show, values: dict[str, Any]) -> bool:
    for name, value in values.items():
        current = getattr(show, name)
        if name == "starts_at" and current is not None and value is not None:
            if current.replace(tzinfo=None) != value.astimezone(dt.UTC).replace(tzinfo=None):
                return True
        elif current != value:
            return True
    return False


async def _check_references(session: AsyncSession, batch: Sequence[ShowData]) -> None:
    venue_ids = {s.venue_id for s in batch}
    artist_ids = {a for s in batch for a in s.artist_ids}
    known_venues = await venues.get_many(session, venue_ids)
    known_artists = await artists.get_many(session, list(artist_ids))
    violations = []
    for i, data in enumerate(batch):
        if data.venue_id not in known_venues:
            violations.append((f"shows[{i}].venue_id", "no such venue"))
        for j, artist_id in enumerate(data.artist_ids):
            if artist_id not in known_artists:
                violations.append((f"shows[{i}].artist_ids[{j}]", "no such artist"))
        if data.timezone and zone(data.timezone) is None:
            violations.append((f"shows[{i}].timezone", "must be an IANA time zone"))
    if violations:
        raise InvalidArgument(
            "some shows reference unknown venues or artists", violations=violations
        )


def _show_event(
    kind: str, show_id: uuid.UUID, values: dict[str, Any], bill: list[uuid.UUID]
) -> tuple[str, dict]:
    payload: dict[str, Any] = {
        "show_id": str(show_id),
        "artist_ids": [str(a) for a in bill],
        "venue_id": str(values["venue_id"]),
        "local_date": values["local_date"].isoformat(),
    }
    if values["starts_at"] is not None:
        payload["start_time"] = values["starts_at"].isoformat().replace("+00:00", "Z")
    if kind == "show_updated":
        payload["status"] = f"SHOW_STATUS_{values['status'].name}"
    return kind, payload
