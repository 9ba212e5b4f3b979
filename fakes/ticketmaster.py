"""Fake Ticketmaster Discovery API v2, fronted like the real one by an Apigee gateway."""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

from aiohttp import web

from fakes.dataset import TmAttraction, TmEvent, TmVenue
from fakes.faults import FaultPlan
from fakes.ratelimit import FixedQuota, Limit, RollingWindow
from fakes.text import matches, normalize, slug
from fakes.upstream import FakeUpstream, Refusal, UpstreamConfig, json_response

BASE = "/discovery/v2"
DATE_TIME = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$")
MUSIC_SEGMENT = {"id": "KZFzniwnSyZfZ7v7nJ", "name": "Music"}


@dataclass
class TicketmasterConfig(UpstreamConfig):
    """Ticketmaster settings: key, Apigee limits and paging bounds."""

    api_key: str = "fake-ticketmaster-key"
    per_second: Limit = field(default_factory=lambda: Limit(5, 1.0))
    # Apigee's SpikeArrest can also smooth: 5 per second as one call per 200 ms, refusing
    # two calls closer than that even when the second is far below 5 in the last second.
    # Off by default (a rolling window, as observed); on, it is the stricter reading.
    spike_smoothing: bool = False
    per_day: Limit = field(default_factory=lambda: Limit(5000, 86400.0))
    max_page_size: int = 199  # size must be below 200 (DIS1036)
    max_depth: int = 1000  # page * size must stay below this (DIS1035)


class BadParam(Exception):
    """A query parameter the Discovery API rejects with 400 and a DIS code."""

    def __init__(self, code: str, detail: str) -> None:
        super().__init__(detail)
        self.code = code
        self.detail = detail


class FakeTicketmaster(FakeUpstream[TicketmasterConfig]):
    """Attractions, events and venues with Discovery paging and Apigee limits."""

    name = "ticketmaster"

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._spike = RollingWindow()
        self._quota = FixedQuota()

    # Pipeline hooks.

    def add_routes(self, app: web.Application) -> None:
        app.add_routes(
            [
                web.get(f"{BASE}/attractions.json", self.attractions, name="attractions"),
                web.get(f"{BASE}/attractions/{{id}}.json", self.attraction, name="attraction"),
                web.get(f"{BASE}/events.json", self.events, name="events"),
                web.get(f"{BASE}/events/{{id}}.json", self.event, name="event"),
                web.get(f"{BASE}/venues/{{id}}.json", self.venue, name="venue"),
            ]
        )

    def authenticate(self, request: web.Request, endpoint: str) -> web.StreamResponse | None:
        key = request.query.get("apikey")
        if key is None:
            return _fault(
                401,
                "Failed to resolve API Key variable request.queryparam.apikey",
                "steps.oauth.v2.FailedToResolveAPIKey",
            )
        if key != self.config.api_key:
            return _fault(401, "Invalid ApiKey", "oauth.v2.InvalidApiKey")
        return None

    def enforce_limits(self, request: web.Request, endpoint: str) -> None:
        key = self.config.api_key
        per = self.config.per_second
        if self.config.spike_smoothing and per.max_requests:
            per = Limit(1, per.window_s / per.max_requests)
        if self._spike.acquire(per) is not None:
            rate = (
                f"MessageRate{{messagesPerPeriod={per.max_requests}, "
                f"periodInMicroseconds={int(per.window_s * 1_000_000)}}}"
            )
            raise Refusal(
                "second",
                _fault(
                    429,
                    f"Spike arrest violation. Allowed rate : {rate}. Identifier : {key}",
                    "policies.ratelimit.SpikeArrestViolation",
                ),
            )
        if not self._quota.acquire(self.config.per_day):
            raise Refusal(
                "day",
                _fault(
                    429,
                    f"Rate limit quota violation. Quota limit  exceeded. Identifier : {key}",
                    "policies.ratelimit.QuotaViolation",
                ),
            )

    def error(self, request: web.Request, status: int, message: str) -> web.StreamResponse:
        return _fault(status, message, f"messaging.http.{status}")

    def fault_response(self, request: web.Request, plan: FaultPlan) -> web.StreamResponse:
        key = self.config.api_key
        if plan.kind == "429":
            return _fault(
                429,
                f"Spike arrest violation. Identifier : {key}",
                "policies.ratelimit.SpikeArrestViolation",
            )
        if plan.kind == "token_expired":
            return _fault(401, "Invalid ApiKey", "oauth.v2.InvalidApiKey")
        reasons = {
            "500": ("Internal Server Error", "messaging.adaptors.http.flow.InternalServerError"),
            "502": ("Bad Gateway", "messaging.adaptors.http.flow.BadGateway"),
            "503": (
                "The Service is temporarily unavailable",
                "messaging.adaptors.http.flow.ServiceUnavailable",
            ),
        }
        text, code = reasons[plan.kind]
        return _fault(int(plan.kind), text, code)

    def finish(
        self, request: web.Request, response: web.StreamResponse, endpoint: str
    ) -> web.StreamResponse:
        day = self.config.per_day
        remaining = self._quota.remaining(day)
        response.headers["Rate-Limit"] = str(day.max_requests if day.max_requests else 0)
        response.headers["Rate-Limit-Available"] = str(remaining if remaining is not None else 0)
        response.headers["Rate-Limit-Over"] = "0"
        response.headers["Rate-Limit-Reset"] = str(int(self._quota.reset_at(day) * 1000))
        return response

    def reset_limits(self) -> None:
        self._spike.reset()
        self._quota.reset()

    # Endpoints.

    async def attractions(self, request: web.Request) -> web.StreamResponse:
        """GET /attractions.json?keyword=: a paged search."""
        keyword = request.query.get("keyword", "")
        classification = request.query.get("classificationName", "").lower()
        found: list[TmAttraction] = []
        if classification in ("", "music"):  # every attraction in the data is music
            found = [a for a in self.dataset.tm_attractions.values() if matches(a.name, keyword)]
        exact = normalize(keyword)
        found.sort(key=lambda a: (normalize(a.name) != exact, a.name, a.id))
        return self._listing(request, "attractions", [self._attraction(a) for a in found])

    async def attraction(self, request: web.Request) -> web.StreamResponse:
        """GET /attractions/{id}.json."""
        attraction = self.dataset.tm_attractions.get(request.match_info["id"])
        if attraction is None:
            return _not_found(request.match_info["id"])
        return json_response(self._attraction(attraction))

    async def events(self, request: web.Request) -> web.StreamResponse:
        """GET /events.json?attractionId=&startDateTime=&endDateTime=&sort=: a paged search."""
        query = request.query
        try:
            start = _date_param(query.get("startDateTime"), "startDateTime")
            end = _date_param(query.get("endDateTime"), "endDateTime")
        except BadParam as exc:
            return _dis_error(400, exc.code, exc.detail)
        attraction_ids = {a for a in query.get("attractionId", "").split(",") if a}
        venue_ids = {v for v in query.get("venueId", "").split(",") if v}
        found = []
        for event in self.dataset.tm_events.values():
            if attraction_ids and not attraction_ids & set(event.attraction_ids):
                continue
            if venue_ids and event.venue_id not in venue_ids:
                continue
            instant = self._instant(event)
            if (start and instant < start) or (end and instant > end):
                continue
            found.append((instant, event))
        sort = query.get("sort", "relevance,desc")
        if sort.startswith("name"):
            found.sort(key=lambda pair: (pair[1].name, pair[1].id), reverse=sort.endswith("desc"))
        else:
            # Relevance without a keyword falls back to date order, as observed live.
            found.sort(key=lambda pair: (pair[0], pair[1].id), reverse=sort == "date,desc")
        return self._listing(request, "events", [self._event(e) for _, e in found])

    async def event(self, request: web.Request) -> web.StreamResponse:
        """GET /events/{id}.json."""
        event = self.dataset.tm_events.get(request.match_info["id"])
        if event is None:
            return _not_found(request.match_info["id"])
        return json_response(self._event(event))

    async def venue(self, request: web.Request) -> web.StreamResponse:
        """GET /venues/{id}.json."""
        venue = self.dataset.tm_venues.get(request.match_info["id"])
        if venue is None:
            return _not_found(request.match_info["id"])
        return json_response(self._venue(venue))

    # Paging.

    def _listing(
        self, request: web.Request, kind: str, items: list[dict[str, Any]]
    ) -> web.StreamResponse:
        """The Discovery envelope: `_embedded` only when there are items, zero-based pages."""
        try:
            size = _int(request.query.get("size"), 20, "size")
            page = _int(request.query.get("page"), 0, "page")
        except BadParam as exc:
            return _dis_error(400, exc.code, exc.detail)
        if size > self.config.max_page_size or size < 1:
            limit = self.config.max_page_size + 1
            return _dis_error(400, "DIS1036", f'Query param "size" must be less than {limit}')
        if page < 0:
            return _dis_error(400, "DIS1002", 'Query param "page" must be positive')
        if page * size >= self.config.max_depth:
            return _dis_error(
                400,
                "DIS1035",
                "API Limits Exceeded: Max paging depth exceeded. (page * size) must be less than "
                f"{self.config.max_depth:,}",
            )
        total = len(items)
        pages = math.ceil(total / size)
        chunk = items[page * size : (page + 1) * size]
        params = {k: v for k, v in request.query.items() if k not in ("apikey", "page", "size")}

        def link(number: int) -> dict[str, str]:
            query = urlencode({**params, "page": number, "size": size}, safe=",")
            return {"href": f"{request.path}?{query}"}

        links: dict[str, Any] = {"self": link(page)}
        if pages:
            links["first"] = link(0)
            links["last"] = link(pages - 1)
            if page + 1 < pages:
                links["next"] = link(page + 1)
            if 0 < page <= pages:
                links["prev"] = link(page - 1)
        body: dict[str, Any] = {}
        if chunk:
            body["_embedded"] = {kind: chunk}
        body["_links"] = links
        body["page"] = {"size": size, "totalElements": total, "totalPages": pages, "number": page}
        return json_response(body)

    # Rendering.

    def _instant(self, event: TmEvent) -> datetime:
        """When an event starts in UTC; unknown times sort as the local midnight."""
        venue = self.dataset.tm_venues[event.venue_id]
        local_time = event.local_time or "00:00:00"
        local = datetime.fromisoformat(f"{event.local_date}T{local_time}")
        return local.replace(tzinfo=ZoneInfo(venue.timezone)).astimezone(UTC)

    def _attraction(self, attraction: TmAttraction) -> dict[str, Any]:
        data: dict[str, Any] = {
            "name": attraction.name,
            "type": "attraction",
            "id": attraction.id,
            "test": False,
            "url": f"https://www.ticketmaster.com/{slug(attraction.name)}-tickets/artist/{attraction.id}",
            "locale": "en-us",
        }
        links: dict[str, list[dict[str, str]]] = {}
        if attraction.spotify_ids:
            links["spotify"] = [
                {"url": f"https://open.spotify.com/artist/{sid}"} for sid in attraction.spotify_ids
            ]
        if attraction.mbids:
            links["musicbrainz"] = [
                {"id": mbid, "url": f"https://musicbrainz.org/artist/{mbid}"}
                for mbid in attraction.mbids
            ]
        if attraction.homepage:
            links["homepage"] = [{"url": attraction.homepage}]
        if links:
            data["externalLinks"] = links
        upcoming = len(self.dataset.events_by_attraction.get(attraction.id, []))
        data["images"] = [
            {
                "ratio": "16_9",
                "url": f"https://s1.ticketm.net/dam/a/{attraction.id[-3:]}/{attraction.id}_RETINA_PORTRAIT_16_9.jpg",
                "width": 640,
                "height": 360,
                "fallback": False,
            }
        ]
        data["classifications"] = [
            {
                "primary": True,
                "segment": MUSIC_SEGMENT,
                "genre": {"id": "KnvZfZ7vAeA", "name": attraction.genre},
                "family": False,
            }
        ]
        data["upcomingEvents"] = {"ticketmaster": upcoming, "_total": upcoming, "_filtered": 0}
        data["_links"] = {"self": {"href": f"{BASE}/attractions/{attraction.id}?locale=en-us"}}
        return data

    def _venue(self, venue: TmVenue) -> dict[str, Any]:
        data: dict[str, Any] = {
            "name": venue.name,
            "type": "venue",
            "id": venue.id,
            "test": False,
            "url": f"https://www.ticketmaster.com/venue/{venue.id}",
            "locale": "en-us",
            "postalCode": venue.postal_code,
            "timezone": venue.timezone,
            "city": {"name": venue.city},
        }
        if venue.state_code:
            data["state"] = {
                "name": venue.state_name or venue.state_code,
                "stateCode": venue.state_code,
            }
        data["country"] = {"name": venue.country_name, "countryCode": venue.country_code}
        data["address"] = {"line1": venue.address}
        data["location"] = {"longitude": venue.longitude, "latitude": venue.latitude}
        data["_links"] = {"self": {"href": f"{BASE}/venues/{venue.id}?locale=en-us"}}
        return data

    def _event(self, event: TmEvent) -> dict[str, Any]:
        venue = self.dataset.tm_venues[event.venue_id]
        start: dict[str, Any] = {"localDate": event.local_date}
        known_time = event.local_time is not None and not (event.time_tba or event.date_tba)
        if known_time:
            start["localTime"] = event.local_time
            start["dateTime"] = self._instant(event).strftime("%Y-%m-%dT%H:%M:%SZ")
        start["dateTBD"] = False
        start["dateTBA"] = event.date_tba
        start["timeTBA"] = event.time_tba
        start["noSpecificTime"] = event.no_specific_time
        dates: dict[str, Any] = {"start": start}
        if event.timezone_in_dates:
            dates["timezone"] = venue.timezone
        dates["status"] = {"code": event.status}
        dates["spanMultipleDays"] = False
        data: dict[str, Any] = {
            "name": event.name,
            "type": "event",
            "id": event.id,
            "test": False,
            "url": f"https://www.ticketmaster.com/event/{event.id}",
            "locale": "en-us",
            "dates": dates,
            "classifications": [{"primary": True, "segment": MUSIC_SEGMENT, "family": False}],
        }
        if event.info:
            data["info"] = event.info
        if event.price_ranges:
            data["priceRanges"] = event.price_ranges
        attractions = [self.dataset.tm_attractions[a] for a in event.attraction_ids]
        data["_links"] = {
            "self": {"href": f"{BASE}/events/{event.id}?locale=en-us"},
            "attractions": [
                {"href": f"{BASE}/attractions/{a.id}?locale=en-us"} for a in attractions
            ],
            "venues": [{"href": f"{BASE}/venues/{venue.id}?locale=en-us"}],
        }
        data["_embedded"] = {
            "venues": [self._venue(venue)],
            "attractions": [self._attraction(a) for a in attractions],
        }
        return data


def _fault(status: int, faultstring: str, errorcode: str) -> web.Response:
    """An Apigee gateway fault body."""
    return json_response(
        {"fault": {"faultstring": faultstring, "detail": {"errorcode": errorcode}}}, status
    )


def _dis_error(status: int, code: str, detail: str) -> web.Response:
    """A Discovery API error body."""
    reason = {400: "400 BAD_REQUEST", 404: "404"}.get(status, str(status))
    return json_response(
        {
            "errors": [
                {
                    "code": code,
                    "detail": detail,
                    "status": reason,
                    "_links": {"about": {"href": f"{BASE}/errors.html#{code}"}},
                }
            ]
        },
        status,
    )


def _not_found(resource_id: str) -> web.Response:
    return _dis_error(
        404,
        "DIS1004",
        f"Resource not found with provided criteria (locale=en-us, id={resource_id})",
    )


def _int(raw: str | None, default: int, name: str) -> int:
    if raw is None or raw == "":
        return default
    try:
        return int(raw)
    except ValueError:
        raise BadParam("DIS1001", f'Query param "{name}" must be a number') from None


def _date_param(raw: str | None, name: str) -> datetime | None:
    """Parse a filter date; only exactly YYYY-MM-DDTHH:mm:ssZ is accepted (DIS1015)."""
    if raw is None:
        return None
    if not DATE_TIME.match(raw):
        raise BadParam(
            "DIS1015",
            f'Query param "{name}" must be a valid date with format YYYY-MM-DDTHH:mm:ssZ '
            "{example: 2016-01-01T00:00:00Z}",
        )
    try:
        return datetime.strptime(raw, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC)
    except ValueError:
        raise BadParam("DIS1015", f'Query param "{name}" is not a valid date') from None
