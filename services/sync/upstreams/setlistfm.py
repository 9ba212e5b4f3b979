"""setlist.fm API 1.0 client: JSON on request, pages of 20 from 1, 404 for "nothing found"."""

from __future__ import annotations

from typing import Any

from services.sync.upstreams.errors import BadResponse, NotFound
from services.sync.upstreams.http import UpstreamClient

__all__ = ["SetlistFmClient", "sets_of"]


def sets_of(setlist: dict[str, Any]) -> list[dict[str, Any]]:
    """A setlist's sets in either shape: live `sets.set[]` or documented top-level `set[]`."""
    sets = setlist.get("sets")
    if isinstance(sets, dict):
        return list(sets.get("set") or [])
    return list(setlist.get("set") or [])


def _normalized(setlist: dict[str, Any]) -> dict[str, Any]:
    """The setlist in the live shape, whichever shape it came in."""
    if isinstance(setlist.get("sets"), dict):
        return setlist
    normalized = {k: v for k, v in setlist.items() if k != "set"}
    normalized["sets"] = {"set": sets_of(setlist)}
    return normalized


class SetlistFmClient(UpstreamClient):
    """Typed calls to setlist.fm (SETLISTFM_API_URL); setlists come back in the live shape."""

    def __init__(self, *args: Any, api_key: str, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._api_key = api_key
        self.redact.add(api_key)

    async def _authorize(self, headers: dict[str, str], params: dict[str, str | int]) -> None:
        headers["x-api-key"] = self._api_key
        headers["Accept"] = "application/json"  # XML is the default

    async def search_artists(self, name: str, sort: str = "relevance") -> list[dict[str, Any]]:
        """The first page of artists matching `name`; none found is an empty list (the API says 404)."""
        params: dict[str, str | int] = {"artistName": name, "p": 1, "sort": sort}
        body = await self._page("search_artists", "/search/artists", params)
        return _items(self.name, "search_artists", body, "artist")

    async def artist_setlists(self, mbid: str, pages: int = 1) -> list[dict[str, Any]]:
        """Up to `pages` pages (20 each) of an artist's setlists, newest first; none is empty."""
        setlists: list[dict[str, Any]] = []
        for page in range(1, pages + 1):
            body = await self._page("artist_setlists", f"/artist/{mbid}/setlists", {"p": page})
            items = _items(self.name, "artist_setlists", body, "setlist")
            setlists.extend(_normalized(s) for s in items)
            if not items or _is_last_page(body):
                break
        return setlists

    async def setlist(self, setlist_id: str) -> dict[str, Any]:
        """GET /setlist/{id}, in the live shape."""
        return _normalized((await self.get_json("setlist", f"/setlist/{setlist_id}")).data)

    async def search_setlists(self, mbid: str, date: str) -> list[dict[str, Any]]:
        """An artist's setlists on one date (dd-MM-yyyy); none found is an empty list."""
        params: dict[str, str | int] = {"artistMbid": mbid, "date": date, "p": 1}
        body = await self._page("search_setlists", "/search/setlists", params)
        return [_normalized(s) for s in _items(self.name, "search_setlists", body, "setlist")]

    async def _page(self, endpoint: str, url: str, params: dict[str, str | int]) -> Any:
        try:
            return (await self.get_json(endpoint, url, params=params)).data
        except NotFound:
            # setlist.fm answers 404 for a search with no match and past the last page.
            return None


def _items(upstream: str, endpoint: str, body: Any, key: str) -> list[dict[str, Any]]:
    if body is None:
        return []
    items = body.get(key) if isinstance(body, dict) else None
    if not isinstance(items, list):
        raise BadResponse(upstream, endpoint, f"answer lacks {key}[]")
    return items


def _is_last_page(body: dict[str, Any]) -> bool:
    try:
        return int(body["page"]) * int(body["itemsPerPage"]) >= int(body["total"])
    except (KeyError, TypeError, ValueError):
        return False
