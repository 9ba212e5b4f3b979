"""Fake Spotify: the accounts service (`/api/token`) and the Web API (`/v1`)."""

from __future__ import annotations

import base64
import binascii
import hashlib
import re
import secrets
import time
from dataclasses import dataclass, field
from typing import Any, Literal
from urllib.parse import urlencode

from aiohttp import web

from fakes.dataset import SpotifyAlbum, SpotifyArtist, SpotifyTrack
from fakes.faults import FaultPlan
from fakes.ratelimit import Limit, RollingWindow, retry_after_header
from fakes.text import matches, normalize
from fakes.upstream import FakeUpstream, Refusal, UpstreamConfig, json_response

AppMode = Literal["development", "extended"]

BASE62_ID = re.compile(r"^[0-9A-Za-z]{22}$")
MAX_LIMIT = 50  # Spotify's hard cap: above it the answer is 400 "Invalid limit"
DEV_MODE_CAP = 10
BATCH_MAX = {"artists": 50, "albums": 20, "tracks": 50}
# Endpoints served by the accounts service: no bearer token, no API rate limit.
ACCOUNTS_ENDPOINTS = frozenset({"token"})


@dataclass
class SpotifyConfig(UpstreamConfig):
    """Spotify settings; fields left None follow the app mode."""

    client_id: str = "fake-spotify-client-id"
    client_secret: str = "fake-spotify-client-secret"
    mode: AppMode = "extended"
    albums_page_cap: int | None = None  # None: 10 in development mode, 50 in extended
    search_page_cap: int | None = None  # None: 10 in development mode, 50 in extended
    popularity: bool | None = None  # None: absent in development mode, present in extended
    token_ttl_s: float = 3600.0
    token_type: str = "Bearer"  # live answers vary between "bearer" and "Bearer"
    rate_limit: Limit = field(default_factory=lambda: Limit(180, 30.0))  # rolling, unpublished
    etags: bool = True

    @property
    def development(self) -> bool:
        """True in development mode (no batch endpoints, small pages, no popularity)."""
        return self.mode == "development"

    def cap(self, override: int | None) -> int:
        """The page-size cap for an endpoint whose cap depends on the mode."""
        if override is not None:
            return override
        return DEV_MODE_CAP if self.development else MAX_LIMIT

    @property
    def shows_popularity(self) -> bool:
        """Whether popularity and followers appear in answers."""
        return (not self.development) if self.popularity is None else self.popularity


class BadRequest(Exception):
    """A parameter the real API would reject with 400."""


class FakeSpotify(FakeUpstream[SpotifyConfig]):
    """Spotify Web API and accounts service over one aiohttp app."""

    name = "spotify"

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._tokens: dict[str, float] = {}  # access token -> monotonic expiry
        self._window = RollingWindow()

    # Pipeline hooks.

    def add_routes(self, app: web.Application) -> None:
        routes = [
            web.post("/api/token", self.token, name="token"),
            web.get("/v1/artists", self.artists, name="artists"),
            web.get("/v1/artists/{id}", self.artist, name="artist"),
            web.get("/v1/artists/{id}/albums", self.artist_albums, name="artist_albums"),
            web.get("/v1/albums", self.albums, name="albums"),
            web.get("/v1/albums/{id}", self.album, name="album"),
            web.get("/v1/albums/{id}/tracks", self.album_tracks, name="album_tracks"),
            web.get("/v1/tracks", self.tracks, name="tracks"),
            web.get("/v1/tracks/{id}", self.track, name="track"),
            web.get("/v1/search", self.search, name="search"),
        ]
        app.add_routes(routes)

    def authenticate(self, request: web.Request, endpoint: str) -> web.StreamResponse | None:
        if endpoint in ACCOUNTS_ENDPOINTS:
            return None  # the token endpoint checks client credentials itself
        header = request.headers.get("Authorization", "")
        if not header:
            return self.error(request, 401, "No token provided")
        scheme, _, token = header.partition(" ")
        if scheme.lower() != "bearer" or not token:
            return self.error(request, 400, "Only valid bearer authentication supported")
        expiry = self._tokens.get(token.strip())
        if expiry is None:
            return self.error(request, 401, "Invalid access token")
        if time.monotonic() >= expiry:
            return self.error(request, 401, "The access token expired")
        return None

    def enforce_limits(self, request: web.Request, endpoint: str) -> None:
        if endpoint in ACCOUNTS_ENDPOINTS:
            return
        wait = self._window.acquire(self.config.rate_limit)
        if wait is not None:
            raise Refusal("window", self._too_many(request, wait, reason=None))

    def error(self, request: web.Request, status: int, message: str) -> web.StreamResponse:
        return json_response({"error": {"status": status, "message": message}}, status)

    def fault_response(self, request: web.Request, plan: FaultPlan) -> web.StreamResponse:
        if plan.kind == "429":
            return self._too_many(request, plan.retry_after, plan.reason)
        if plan.kind == "token_expired":
            return self.error(request, 401, "The access token expired")
        messages = {"500": "Server error.", "502": "Bad gateway.", "503": "Service unavailable"}
        return self.error(request, int(plan.kind), messages[plan.kind])

    def finish(
        self, request: web.Request, response: web.StreamResponse, endpoint: str
    ) -> web.StreamResponse:
        if not (self.config.etags and request.method == "GET" and response.status == 200):
            return response
        body = response.body if isinstance(response, web.Response) else None
        if not isinstance(body, bytes):
            return response
        etag = f'"{hashlib.sha256(body).hexdigest()[:32]}"'
        if etag in _if_none_match(request):
            return web.Response(status=304, headers={"ETag": etag, "Cache-Control": "max-age=0"})
        response.headers["ETag"] = etag
        response.headers["Cache-Control"] = "public, max-age=0"
        return response

    def reset_limits(self) -> None:
        self._window.reset()

    def _too_many(
        self, request: web.Request, retry_after: float | None, reason: str | None
    ) -> web.Response:
        error: dict[str, Any] = {"status": 429, "message": "API rate limit exceeded"}
        if reason:
            error["reason"] = reason
        headers = {} if retry_after is None else {"Retry-After": retry_after_header(retry_after)}
        return json_response({"error": error}, 429, headers)

    # Accounts service.

    async def token(self, request: web.Request) -> web.StreamResponse:
        """Client-credentials grant: a bearer token that expires after `token_ttl_s`."""
        form = await request.post()
        client_id, client_secret = _client_credentials(request, form)
        if form.get("grant_type") is None:
            return _oauth_error("unsupported_grant_type", "grant_type parameter is missing")
        if form.get("grant_type") != "client_credentials":
            return _oauth_error("unsupported_grant_type", "grant_type must be client_credentials")
        if client_id is None:
            return _oauth_error("invalid_client", "Invalid client", 400)
        if client_id != self.config.client_id:
            return _oauth_error("invalid_client", "Invalid client", 400)
        if client_secret != self.config.client_secret:
            return _oauth_error("invalid_client", "Invalid client secret", 400)
        token = "BQ" + secrets.token_urlsafe(96)
        ttl = self.config.token_ttl_s
        self._tokens[token] = time.monotonic() + ttl
        return json_response(
            {"access_token": token, "token_type": self.config.token_type, "expires_in": int(ttl)}
        )

    def expire_all_tokens(self) -> None:
        """Make every issued token expired, as if an hour had passed."""
        now = time.monotonic()
        self._tokens = {token: now for token in self._tokens}

    # Web API.

    async def artist(self, request: web.Request) -> web.StreamResponse:
        """GET /artists/{id}: a full artist."""
        artist = self._find(request, self.dataset.spotify_artists, request.match_info["id"])
        if isinstance(artist, web.StreamResponse):
            return artist
        return json_response(self._artist(request, artist, full=True))

    async def artists(self, request: web.Request) -> web.StreamResponse:
        """GET /artists?ids=: full artists, null for unknown ids (403 in development mode)."""
        return self._batch(request, "artists", self.dataset.spotify_artists, self._full_artist)

    async def artist_albums(self, request: web.Request) -> web.StreamResponse:
        """GET /artists/{id}/albums: a paging object of simplified albums."""
        artist_id = request.match_info["id"]
        found = self._find(request, self.dataset.spotify_artists, artist_id)
        if isinstance(found, web.StreamResponse):
            return found
        groups = request.query.get("include_groups", "album,single,compilation,appears_on")
        wanted = {g.strip() for g in groups.split(",") if g.strip()}
        invalid = wanted - {"album", "single", "compilation", "appears_on"}
        if invalid:
            return self.error(request, 400, "Invalid include_groups value")
        items = [
            self._album(request, album, group=group)
            for group, album in self.dataset.albums_of(artist_id)
            if group in wanted
        ]
        cap = self.config.cap(self.config.albums_page_cap)
        return self._paged(request, items, cap, default_limit=20)

    async def album(self, request: web.Request) -> web.StreamResponse:
        """GET /albums/{id}: a full album with its first page of tracks."""
        album = self._find(request, self.dataset.spotify_albums, request.match_info["id"])
        if isinstance(album, web.StreamResponse):
            return album
        return json_response(self._full_album(request, album))

    async def albums(self, request: web.Request) -> web.StreamResponse:
        """GET /albums?ids=: full albums (403 in development mode)."""
        return self._batch(request, "albums", self.dataset.spotify_albums, self._full_album)

    async def album_tracks(self, request: web.Request) -> web.StreamResponse:
        """GET /albums/{id}/tracks: a paging object of simplified tracks (cap 50)."""
        album = self._find(request, self.dataset.spotify_albums, request.match_info["id"])
        if isinstance(album, web.StreamResponse):
            return album
        items = [self._track(request, t, full=False) for t in album.tracks]
        return self._paged(request, items, MAX_LIMIT, default_limit=20)

    async def track(self, request: web.Request) -> web.StreamResponse:
        """GET /tracks/{id}: a full track with its ISRC."""
        track = self._find(request, self.dataset.spotify_tracks, request.match_info["id"])
        if isinstance(track, web.StreamResponse):
            return track
        return json_response(self._track(request, track, full=True))

    async def tracks(self, request: web.Request) -> web.StreamResponse:
        """GET /tracks?ids=: full tracks (403 in development mode)."""
        return self._batch(
            request,
            "tracks",
            self.dataset.spotify_tracks,
            lambda req, track: self._track(req, track, full=True),
        )

    async def search(self, request: web.Request) -> web.StreamResponse:
        """GET /search?q=&type=: artist, album or track results, each a paging object."""
        query = request.query.get("q", "")
        if not query.strip():
            return self.error(request, 400, "No search query")
        types = [t for t in request.query.get("type", "").split(",") if t]
        if not types:
            return self.error(request, 400, "Missing parameter type")
        if set(types) - {"artist", "album", "track"}:
            return self.error(request, 400, "Bad search type field")
        cap = self.config.cap(self.config.search_page_cap)
        answer: dict[str, Any] = {}
        for kind in types:
            items = self._search_items(request, kind, query)
            try:
                answer[kind + "s"] = self._page(request, items, cap, default_limit=20)
            except BadRequest as exc:
                return self.error(request, 400, str(exc))
        return json_response(answer)

    # Helpers.

    def _find(self, request: web.Request, table: dict[str, Any], item_id: str) -> Any:
        """The record, or the error the real API gives for a malformed or unknown id."""
        if not BASE62_ID.match(item_id):
            return self.error(request, 400, "Invalid base62 id")
        found = table.get(item_id)
        if found is None:
            return self.error(request, 404, "Resource not found")
        return found

    def _batch(
        self, request: web.Request, kind: str, table: dict[str, Any], render: Any
    ) -> web.StreamResponse:
        if self.config.development:
            # Since 2026 apps in development mode lose the batch endpoints.
            return self.error(request, 403, "Forbidden")
        ids = [i for i in request.query.get("ids", "").split(",") if i]
        if not ids:
            return self.error(request, 400, "Missing required parameter: ids")
        if len(ids) > BATCH_MAX[kind]:
            return self.error(request, 400, "Too many ids requested")
        if any(not BASE62_ID.match(i) for i in ids):
            return self.error(request, 400, "Invalid base62 id")
        return json_response(
            {kind: [render(request, table[i]) if i in table else None for i in ids]}
        )

    def _paged(
        self, request: web.Request, items: list[dict[str, Any]], cap: int, default_limit: int
    ) -> web.StreamResponse:
        try:
            return json_response(self._page(request, items, cap, default_limit))
        except BadRequest as exc:
            return self.error(request, 400, str(exc))

    def _page(
        self, request: web.Request, items: list[dict[str, Any]], cap: int, default_limit: int
    ) -> dict[str, Any]:
        """A Spotify paging object; pages larger than the cap are cut to it."""
        limit = _int_param(request, "limit", default_limit, "Invalid limit")
        offset = _int_param(request, "offset", 0, "Invalid offset")
        if not 1 <= limit <= MAX_LIMIT:
            raise BadRequest("Invalid limit")
        if offset < 0:
            raise BadRequest("Invalid offset")
        limit = min(limit, cap)
        total = len(items)
        base = str(request.url.with_query(None))
        params = {k: v for k, v in request.query.items() if k not in ("limit", "offset")}

        def url(at: int) -> str:
            return f"{base}?{urlencode({**params, 'offset': at, 'limit': limit}, safe=',')}"

        return {
            "href": url(offset),
            "items": items[offset : offset + limit],
            "limit": limit,
            "next": url(offset + limit) if offset + limit < total else None,
            "offset": offset,
            "previous": url(max(offset - limit, 0)) if offset > 0 else None,
            "total": total,
        }

    def _search_items(self, request: web.Request, kind: str, query: str) -> list[dict[str, Any]]:
        terms = normalize(re.sub(r"\b(artist|album|track):", " ", query)).split()
        if kind == "artist":
            pool: list[Any] = list(self.dataset.spotify_artists.values())
        elif kind == "album":
            pool = list(self.dataset.spotify_albums.values())
        else:
            pool = list(self.dataset.spotify_tracks.values())
        scored = []
        for item in pool:
            if matches(item.name, " ".join(terms)):
                exact = normalize(item.name) == " ".join(terms)
                scored.append((not exact, -getattr(item, "popularity", 0), item.name, item))
        scored.sort(key=lambda row: row[:3])
        if kind == "artist":
            return [self._artist(request, row[3], full=True) for row in scored]
        if kind == "album":
            return [self._album(request, row[3], group=None) for row in scored]
        return [self._track(request, row[3], full=True) for row in scored]

    def _api_base(self, request: web.Request) -> str:
        return f"{request.scheme}://{request.host}/v1"

    def _artist(self, request: web.Request, artist: SpotifyArtist, full: bool) -> dict[str, Any]:
        data: dict[str, Any] = {
            "external_urls": {"spotify": f"https://open.spotify.com/artist/{artist.id}"},
            "href": f"{self._api_base(request)}/artists/{artist.id}",
            "id": artist.id,
            "name": artist.name,
            "type": "artist",
            "uri": f"spotify:artist:{artist.id}",
        }
        if full:
            if artist.genres is not None:
                data["genres"] = artist.genres
            data["images"] = artist.images
            if self.config.shows_popularity:
                data["followers"] = {"href": None, "total": artist.followers}
                data["popularity"] = artist.popularity
        return data

    def _full_artist(self, request: web.Request, artist: SpotifyArtist) -> dict[str, Any]:
        return self._artist(request, artist, full=True)

    def _artist_refs(self, request: web.Request, ids: list[str]) -> list[dict[str, Any]]:
        refs = []
        for artist_id in ids:
            artist = self.dataset.spotify_artists.get(artist_id)
            name = artist.name if artist else "Unknown Artist"
            refs.append(self._artist(request, SpotifyArtist(artist_id, name, None, 0, 0), False))
        return refs

    def _album(
        self, request: web.Request, album: SpotifyAlbum, group: str | None
    ) -> dict[str, Any]:
        data: dict[str, Any] = {
            "album_type": album.album_type,
            "artists": self._artist_refs(request, album.artist_ids),
            "external_urls": {"spotify": f"https://open.spotify.com/album/{album.id}"},
            "href": f"{self._api_base(request)}/albums/{album.id}",
            "id": album.id,
            "images": album.images,
            "name": album.name,
            "release_date": album.release_date,
            "release_date_precision": album.release_date_precision,
            "total_tracks": len(album.tracks),
            "type": "album",
            "uri": f"spotify:album:{album.id}",
        }
        if group is not None:
            data["album_group"] = group
        return data

    def _full_album(self, request: web.Request, album: SpotifyAlbum) -> dict[str, Any]:
        data = self._album(request, album, group=None)
        tracks = [self._track(request, t, full=False) for t in album.tracks]
        base = f"{self._api_base(request)}/albums/{album.id}/tracks"
        first = tracks[:MAX_LIMIT]
        data["tracks"] = {
            "href": f"{base}?offset=0&limit={MAX_LIMIT}",
            "items": first,
            "limit": MAX_LIMIT,
            "next": f"{base}?offset={MAX_LIMIT}&limit={MAX_LIMIT}"
            if len(tracks) > MAX_LIMIT
            else None,
            "offset": 0,
            "previous": None,
            "total": len(tracks),
        }
        data["copyrights"] = [{"text": f"℗ {album.release_date[:4]} {album.label}", "type": "P"}]
        data["external_ids"] = {"upc": album.upc}
        data["genres"] = []
        data["label"] = album.label
        if self.config.shows_popularity:
            data["popularity"] = album.popularity
        return data

    def _track(self, request: web.Request, track: SpotifyTrack, full: bool) -> dict[str, Any]:
        data: dict[str, Any] = {
            "artists": self._artist_refs(request, track.artist_ids),
            "disc_number": track.disc_number,
            "duration_ms": track.duration_ms,
            "explicit": track.explicit,
            "external_urls": {"spotify": f"https://open.spotify.com/track/{track.id}"},
            "href": f"{self._api_base(request)}/tracks/{track.id}",
            "id": track.id,
            "is_local": False,
            "name": track.name,
            "preview_url": track.preview_url,
            "track_number": track.track_number,
            "type": "track",
            "uri": f"spotify:track:{track.id}",
        }
        if full:
            album = self.dataset.spotify_albums[track.album_id]
            data["album"] = self._album(request, album, group=None)
            data["external_ids"] = {"isrc": track.isrc}
            if self.config.shows_popularity:
                data["popularity"] = track.popularity
        return data


def _if_none_match(request: web.Request) -> set[str]:
    raw = request.headers.get("If-None-Match", "")
    return {tag.strip().removeprefix("W/") for tag in raw.split(",") if tag.strip()}


def _client_credentials(request: web.Request, form: Any) -> tuple[str | None, str | None]:
    """Client id and secret from the Basic header, or from the form as Spotify also allows."""
    header = request.headers.get("Authorization", "")
    if header.lower().startswith("basic "):
        try:
            decoded = base64.b64decode(header[6:].strip(), validate=True).decode()
        except (binascii.Error, UnicodeDecodeError):
            return None, None
        client_id, _, secret = decoded.partition(":")
        return client_id, secret
    client_id, secret = form.get("client_id"), form.get("client_secret")
    return (str(client_id) if client_id else None), (str(secret) if secret else None)


def _oauth_error(error: str, description: str, status: int = 400) -> web.Response:
    return json_response({"error": error, "error_description": description}, status)


def _int_param(request: web.Request, name: str, default: int, message: str) -> int:
    raw = request.query.get(name)
    if raw is None or raw == "":
        return default
    try:
        return int(raw)
    except ValueError:
        raise BadRequest(message) from None
