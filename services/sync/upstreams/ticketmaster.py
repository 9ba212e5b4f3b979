"""Ticketmaster Discovery v2 client: key in the query, zero-based pages, date-range narrowing."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import httpx

from services.sync.upstreams.errors import BadResponse
from services.sync.upstreams.http import UpstreamClient

__all__ = ["TicketmasterClient", "format_datetime"]

MAX_PAGE_SIZE = 199  # size must be below 200 (DIS1036)
MAX_DEPTH = 1000  # size × page must stay below 1000 (DIS1035)


def format_datetime(moment: datetime) -> str:
    """The only date format the Discovery API accepts: YYYY-MM-DDTHH:mm:ssZ, in UTC."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


class TicketmasterClient(UpstreamClient):
    """Typed calls to the Discovery API (TICKETMASTER_API_URL)."""

    def __init__(
        self,
        *args: Any,
        api_key: str,
        page_size: int = MAX_PAGE_SIZE,
        max_depth: int = MAX_DEPTH,
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        if not 0 < page_size < max_depth:
            raise ValueError("page_size must be positive and below max_depth")
        self._api_key = api_key
        self.redact.add(api_key)
        self.page_size = page_size
        self.max_depth = max_depth

    async def _authorize(self, headers: dict[str, str], params: dict[str, str | int]) -> None:
        params["apikey"] = self._api_key  # a query parameter, never a header

    def _quota_exhausted(self, response: httpx.Response) -> bool:
        try:
            code = response.json()["fault"]["detail"]["errorcode"]
        except (ValueError, KeyError, TypeError):
            return False
        return str(code).endswith("QuotaViolation")

    async def attraction(self, attraction_id: str) -> dict[str, Any]:
        """GET /attractions/{id}.json."""
        return (await self.get_json("attraction", f"/attractions/{attraction_id}.json")).data

    async def search_attractions(self, keyword: str, size: int = 20) -> list[dict[str, Any]]:
        """The first page of music attractions matching `keyword`."""
        params: dict[str, str | int] = {
            "keyword": keyword,
            "classificationName": "music",
            "size": min(size, self.page_size),
            "page": 0,
        }
        body = (await self.get_json("attractions", "/attractions.json", params=params)).data
        return _embedded(self.name, "attractions", body)

    async def events(
        self,
        attraction_id: str,
        *,
        start: datetime | None = None,
        end: datetime | None = None,
    ) -> list[dict[str, Any]]:
        """Every event of an attraction in date order, narrowing the date range past the paging depth."""
        found: dict[str, dict[str, Any]] = {}
        window_start = start
        while True:
            page, last = 0, None
            while True:
                body = await self._events_page(attraction_id, window_start, end, page)
                items = _embedded(self.name, "events", body)
                for event in items:
                    found.setdefault(str(event.get("id")), event)
                last = items[-1] if items else last
                total_pages = _total_pages(self.name, body)
                if page + 1 >= total_pages:
                    return list(found.values())
                if (page + 1) * self.page_size >= self.max_depth:
                    break  # the next page is beyond the paging depth: narrow instead
                page += 1
            narrowed = _event_start(last) if last is not None else None
            if narrowed is None or (window_start is not None and narrowed <= window_start):
                raise BadResponse(
                    self.name, "events", "cannot narrow: a full paging depth of events at one time"
                )
            # Restart from the last event seen; events at that same instant come again and
            # are deduplicated by id.
            window_start = narrowed

    async def _events_page(
        self, attraction_id: str, start: datetime | None, end: datetime | None, page: int
    ) -> Any:
        params: dict[str, str | int] = {
            "attractionId": attraction_id,
            "size": self.page_size,
            "page": page,
            "sort": "date,asc",
        }
        if start is not None:
            params["startDateTime"] = format_datetime(start)
        if end is not None:
            params["endDateTime"] = format_datetime(end)
        return (await self.get_json("events", "/events.json", params=params)).data


def _embedded(upstream: str, kind: str, body: Any) -> list[dict[str, Any]]:
    """The items of a Discovery envelope; no `_embedded` key means no results."""
    if not isinstance(body, dict):
        raise BadResponse(upstream, kind, "answer is not an object")
    embedded = body.get("_embedded")
    if embedded is None:
        return []
    items = embedded.get(kind) if isinstance(embedded, dict) else None
    if not isinstance(items, list):
        raise BadResponse(upstream, kind, f"answer lacks _embedded.{kind}[]")
    return items


def _total_pages(upstream: str, body: dict[str, Any]) -> int:
    try:
        return int(body["page"]["totalPages"])
    except (KeyError, TypeError, ValueError):
        raise BadResponse(upstream, "events", "answer lacks page.totalPages") from None


def _event_start(event: dict[str, Any]) -> datetime | None:
    """When an event starts in UTC, as far as it says; a local date alone is widened a day back."""
    start = (event.get("dates") or {}).get("start") or {}
    if start.get("dateTime"):
        return datetime.strptime(start["dateTime"], "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC)
    if start.get("localDate"):
        # The venue's midnight can be up to 14 h either side of UTC midnight.
        local = datetime.strptime(start["localDate"], "%Y-%m-%d").replace(tzinfo=UTC)
        return local - timedelta(days=1)
    return None
