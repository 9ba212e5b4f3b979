"""Fake setlist.fm API 1.0: JSON when asked for, XML by default."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any
from xml.etree import ElementTree

from aiohttp import web

from fakes.dataset import SfArtist, SfSetlist, SfVenue
from fakes.faults import FaultPlan
from fakes.ratelimit import FixedQuota, Limit, RollingWindow
from fakes.text import matches, normalize, slug
from fakes.upstream import FakeUpstream, Refusal, UpstreamConfig, json_response

BASE = "/rest/1.0"
ITEMS_PER_PAGE = 20
EVENT_DATE = re.compile(r"^\d{2}-\d{2}-\d{4}$")
STATUS_TEXT = {
    400: "Bad Request",
    403: "Forbidden",
    404: "Not Found",
    405: "Method Not Allowed",
    429: "Too Many Requests",
    500: "Internal Server Error",
    502: "Bad Gateway",
    503: "Service Unavailable",
}


@dataclass
class SetlistFmConfig(UpstreamConfig):
    """setlist.fm settings: key, standard-key limits and the setlist shape."""

    api_key: str = "fake-setlistfm-key"
    per_second: Limit = field(default_factory=lambda: Limit(2, 1.0))
    per_day: Limit = field(default_factory=lambda: Limit(1440, 86400.0))
    # False: the live shape `sets: {set: [...]}`; True: the documented `set: [...]` at the top.
    documented_shape: bool = False


class FakeSetlistFm(FakeUpstream[SetlistFmConfig]):
    """Artist search, setlists by artist, by id and by date."""

    name = "setlistfm"

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._second = RollingWindow()
        self._day = FixedQuota()

    # Pipeline hooks.

    def add_routes(self, app: web.Application) -> None:
        app.add_routes(
            [
                web.get(f"{BASE}/search/artists", self.search_artists, name="search_artists"),
                web.get(f"{BASE}/search/setlists", self.search_setlists, name="search_setlists"),
                web.get(f"{BASE}/artist/{{mbid}}", self.artist, name="artist"),
                web.get(
                    f"{BASE}/artist/{{mbid}}/setlists", self.artist_setlists, name="artist_setlists"
                ),
                web.get(f"{BASE}/setlist/{{id}}", self.setlist, name="setlist"),
            ]
        )

    def authenticate(self, request: web.Request, endpoint: str) -> web.StreamResponse | None:
        if request.headers.get("x-api-key") != self.config.api_key:
            return self.error(request, 403, "Forbidden")
        return None

    def enforce_limits(self, request: web.Request, endpoint: str) -> None:
        # No Retry-After on either limit: clients back off on their own (about 2 s).
        if self._second.acquire(self.config.per_second) is not None:
            raise Refusal("second", self.error(request, 429, "Too Many Requests"))
        if not self._day.acquire(self.config.per_day):
            raise Refusal("day", self.error(request, 429, "Too Many Requests"))

    def error(self, request: web.Request, status: int, message: str) -> web.StreamResponse:
        body = {
            "code": status,
            "status": STATUS_TEXT.get(status, "Error"),
            "message": message,
            "timestamp": _timestamp(datetime.now(UTC)),
        }
        return self._respond(request, "error", body, status)

    def fault_response(self, request: web.Request, plan: FaultPlan) -> web.StreamResponse:
        if plan.kind == "429":
            return self.error(request, 429, "Too Many Requests")
        if plan.kind == "token_expired":
            return self.error(request, 403, "Forbidden")
        return self.error(request, int(plan.kind), STATUS_TEXT[int(plan.kind)])

    def reset_limits(self) -> None:
        self._second.reset()
        self._day.reset()

    # Endpoints.

    async def search_artists(self, request: web.Request) -> web.StreamResponse:
        """GET /search/artists?artistName=&artistMbid=&sort=: artists, 404 when none match."""
        name = request.query.get("artistName")
        mbid = request.query.get("artistMbid")
        if not name and not mbid:
            return self.error(request, 400, "at least one search parameter is required")
        found = [
            a
            for a in self.dataset.sf_artists.values()
            if (not mbid or a.mbid == mbid)
            and (not name or matches(a.name, name) or matches(a.sort_name, name))
        ]
        if request.query.get("sort") == "sortName":
            found.sort(key=lambda a: (a.sort_name.casefold(), a.mbid))
        else:
            wanted = normalize(name or "")
            found.sort(key=lambda a: (normalize(a.name) != wanted, a.sort_name.casefold(), a.mbid))
        return self._paged(request, "artists", "artist", [_artist(a) for a in found])

    async def artist(self, request: web.Request) -> web.StreamResponse:
        """GET /artist/{mbid}."""
        artist = self.dataset.sf_artists.get(request.match_info["mbid"])
        if artist is None:
            return self.error(request, 404, "unknown mbid")
        return self._respond(request, "artist", _artist(artist))

    async def artist_setlists(self, request: web.Request) -> web.StreamResponse:
        """GET /artist/{mbid}/setlists?p=: newest first, 404 for unknown artists or empty pages."""
        mbid = request.match_info["mbid"]
        if mbid not in self.dataset.sf_artists:
            return self.error(request, 404, "unknown mbid")
        setlists = [self._setlist(s) for s in self.dataset.setlists_of(mbid)]
        return self._paged(request, "setlists", "setlist", setlists)

    async def setlist(self, request: web.Request) -> web.StreamResponse:
        """GET /setlist/{id}."""
        setlist = self.dataset.sf_setlists.get(request.match_info["id"])
        if setlist is None:
            return self.error(request, 404, "not found")
        return self._respond(request, "setlist", self._setlist(setlist))

    async def search_setlists(self, request: web.Request) -> web.StreamResponse:
        """GET /search/setlists?artistMbid=&artistName=&date=dd-MM-yyyy&year=: 404 when none match."""
        query = request.query
        mbid, name = query.get("artistMbid"), query.get("artistName")
        date, year = query.get("date"), query.get("year")
        if not any((mbid, name, date, year)):
            return self.error(request, 400, "at least one search parameter is required")
        if date and not EVENT_DATE.match(date):
            return self.error(request, 400, "date must be formatted dd-MM-yyyy")
        found: list[SfSetlist] = []
        for artist in self.dataset.sf_artists.values():
            if mbid and artist.mbid != mbid:
                continue
            if name and not matches(artist.name, name):
                continue
            found.extend(self.dataset.setlists_of(artist.mbid))
        found = [
            s
            for s in found
            if (not date or s.event_date == date) and (not year or s.event_date.endswith(year))
        ]
        found.sort(
            key=lambda s: (s.event_date[6:] + s.event_date[3:5] + s.event_date[:2], s.id),
            reverse=True,
        )
        return self._paged(request, "setlists", "setlist", [self._setlist(s) for s in found])

    # Rendering.

    def _paged(
        self, request: web.Request, kind: str, key: str, items: list[dict[str, Any]]
    ) -> web.StreamResponse:
        """The setlist.fm envelope: fixed 20 per page, pages from 1, 404 instead of an empty page."""
        raw = request.query.get("p", "1")
        try:
            page = int(raw)
        except ValueError:
            return self.error(request, 400, "p must be a number")
        if page < 1:
            return self.error(request, 400, "p must be positive")
        chunk = items[(page - 1) * ITEMS_PER_PAGE : page * ITEMS_PER_PAGE]
        if not chunk:
            return self.error(request, 404, "not found")
        body = {
            "type": kind,
            "itemsPerPage": ITEMS_PER_PAGE,
            "page": page,
            "total": len(items),
            key: chunk,
        }
        return self._respond(request, kind, body)

    def _respond(
        self, request: web.Request, root: str, body: dict[str, Any], status: int = 200
    ) -> web.StreamResponse:
        """JSON when the client accepts it, XML (the default) otherwise, 406 for anything else."""
        accept = request.headers.get("Accept", "*/*").lower()
        if "application/json" in accept:
            return json_response(body, status)
        if any(t in accept for t in ("*/*", "application/xml", "text/xml", "application/*")):
            xml = ElementTree.tostring(_to_xml(root, body), encoding="utf-8", xml_declaration=True)
            return web.Response(
                body=xml, status=status, content_type="application/xml", charset="utf-8"
            )
        return web.Response(status=406)

    def _setlist(self, setlist: SfSetlist) -> dict[str, Any]:
        artist = self.dataset.sf_artists[setlist.artist_mbid]
        venue = self.dataset.sf_venues[setlist.venue_id]
        data: dict[str, Any] = {
            "id": setlist.id,
            "versionId": setlist.version_id,
            "eventDate": setlist.event_date,
            "lastUpdated": setlist.last_updated,
            "artist": _artist(artist),
            "venue": _venue(venue),
        }
        if setlist.tour:
            data["tour"] = {"name": setlist.tour}
        if self.config.documented_shape:
            data["set"] = setlist.sets
        else:
            data["sets"] = {"set": setlist.sets}
        if setlist.info:
            data["info"] = setlist.info
        data["url"] = (
            f"https://www.setlist.fm/setlist/{slug(artist.name)}/{setlist.event_date[6:]}/"
            f"{slug(venue.name)}-{setlist.id}.html"
        )
        return data


def _artist(artist: SfArtist) -> dict[str, Any]:
    data: dict[str, Any] = {"mbid": artist.mbid}
    if artist.tmid is not None:
        data["tmid"] = artist.tmid
    data.update(
        {
            "name": artist.name,
            "sortName": artist.sort_name,
            "disambiguation": artist.disambiguation,
            "url": f"https://www.setlist.fm/setlists/{slug(artist.name)}-{artist.mbid[:8]}.html",
        }
    )
    return data


def _venue(venue: SfVenue) -> dict[str, Any]:
    city: dict[str, Any] = {"id": venue.city_id, "name": venue.city}
    if venue.state:
        city["state"] = venue.state
    if venue.state_code:
        city["stateCode"] = venue.state_code
    city["coords"] = {"lat": venue.lat, "long": venue.long}
    city["country"] = {"code": venue.country_code, "name": venue.country_name}
    return {
        "id": venue.id,
        "name": venue.name,
        "city": city,
        "url": f"https://www.setlist.fm/venue/{slug(venue.name)}-{venue.id}.html",
    }


def _timestamp(moment: datetime) -> str:
    """setlist.fm's timestamp format: milliseconds and a +0000 offset."""
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}+0000"


def _to_xml(tag: str, value: Any) -> ElementTree.Element:
    """setlist.fm's XML: scalars as attributes, objects as child elements, lists repeated."""
    element = ElementTree.Element(tag)
    for key, item in value.items():
        if isinstance(item, dict):
            element.append(_to_xml(key, item))
        elif isinstance(item, list):
            for entry in item:
                element.append(
                    _to_xml(key, entry) if isinstance(entry, dict) else _text(key, entry)
                )
        elif item is not None:
            element.set(key, str(item).lower() if isinstance(item, bool) else str(item))
    return element


def _text(tag: str, value: Any) -> ElementTree.Element:
    element = ElementTree.Element(tag)
    element.text = str(value)
    return element
