"""Spotify Web API client: client-credentials token lifecycle, batch or per-id calls, paging by `next`."""

from __future__ import annotations

import asyncio
import base64
import hashlib
import logging
import time
from collections.abc import Awaitable, Callable, Sequence
from typing import Any

import httpx
from redis.asyncio import Redis

from services.sync.upstreams.config import SpotifyAppMode
from services.sync.upstreams.errors import AuthError, BadResponse, Forbidden, NotFound, Rejected
from services.sync.upstreams.http import UpstreamClient, gather_all
from services.sync.upstreams.ratelimit import RedisRateLimiter

__all__ = ["SpotifyClient"]

logger = logging.getLogger(__name__)

PAGE_LIMIT = 50  # the largest page Spotify serves; development mode cuts it to 10 (read `next`)
BATCH_SIZE = {"artists": 50, "albums": 20, "tracks": 50}
# Renew this long before expiry so no request leaves with a token about to lapse, but
# never more than a tenth of the lifetime (short-lived tokens in tests).
REFRESH_MARGIN_S = 60.0
# How long a learnt development mode stays in Redis: an app moved to extended mode
# gets its batch endpoints back within this long.
MODE_MEMORY_TTL_S = 3600
# A slow Redis must not hold calls up: past this the client just probes as if alone.
MODE_MEMORY_TIMEOUT_S = 1.0
# Workers starting together on a Redis that knows no mode yet: one claims the probe, the
# others wait this long at most for its outcome (then probe themselves), polling at this.
MODE_PROBE_WAIT_S = 5.0
MODE_PROBE_POLL_S = 0.05
DEVELOPMENT = "development"


class SpotifyClient(UpstreamClient):
    """Typed calls to the Web API (SPOTIFY_API_URL) with a token from SPOTIFY_ACCOUNTS_URL."""

    def __init__(
        self,
        *args: Any,
        accounts_url: str,
        client_id: str,
        client_secret: str,
        app_mode: SpotifyAppMode = "auto",
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        if app_mode not in ("auto", "development", "extended"):
            raise ValueError(f"SPOTIFY_APP_MODE {app_mode!r} is not auto, development or extended")
        self.app_mode = app_mode
        self._token_url = f"{accounts_url.rstrip('/')}/api/token"
        self._basic = base64.b64encode(f"{client_id}:{client_secret}".encode()).decode()
        self.redact.add(client_secret)
        self.redact.add(self._basic)
        self._token: str | None = None
        self._token_renew_at = 0.0
        self._token_lock = asyncio.Lock()
        self._mode_lock = asyncio.Lock()
        # None until the first batch call tells (mode `auto`): False means development mode
        # (no batch endpoints). The other modes are told, not learnt.
        self.batch_endpoints: bool | None = {"development": False, "extended": True}.get(app_mode)
        # The Redis key of the app's learnt mode (the client id, hashed: one app, one mode).
        digest = hashlib.sha256(client_id.encode()).hexdigest()[:16]
        self._mode_key_suffix = f"app_mode:{digest}"
        self._mode_recalled = False
        self._probe_claim: str | None = None  # the Redis key of the probe this client claimed
        self.tokens_fetched = 0

    # Token lifecycle.

    async def _authorize(self, headers: dict[str, str], params: dict[str, str | int]) -> None:
        headers["Authorization"] = f"Bearer {await self._access_token()}"

    async def _reauthorize(self, response: httpx.Response, headers: dict[str, str]) -> bool:
        used = headers.get("Authorization", "").removeprefix("Bearer ")
        async with self._token_lock:
            # Concurrent calls that failed with the same token renew it once between them.
            if self._token == used:
                self._token = None
        return True

    async def _access_token(self) -> str:
        token = self._token
        if token is not None and time.monotonic() < self._token_renew_at:
            return token
        async with self._token_lock:
            if self._token is None or time.monotonic() >= self._token_renew_at:
                await self._fetch_token()
            assert self._token is not None
            return self._token

    async def _fetch_token(self) -> None:
        try:
            response = await self._call(
                "token",
                "POST",
                self._token_url,
                data={"grant_type": "client_credentials"},
                headers={"Authorization": f"Basic {self._basic}"},
                authorize=False,
                limited=False,  # the accounts service is not under the Web API's limit
            )
        except Rejected as error:  # RFC 6749 answers 400 for bad client credentials
            raise AuthError(self.name, "token", str(error.args[0]), status=error.status) from None
        body = response.data
        try:
            token = str(body["access_token"])
            token_type = str(body["token_type"])
            expires_in = float(body["expires_in"])
        except (KeyError, TypeError, ValueError):
            raise BadResponse(self.name, "token", "token answer lacks its fields") from None
        if token_type.lower() != "bearer":  # live answers say "bearer" or "Bearer"
            raise AuthError(self.name, "token", f"unexpected token_type {token_type!r}")
        self.redact.discard(self._token)
        self.redact.add(token)
        self._token = token
        self._token_renew_at = (
            time.monotonic() + expires_in - min(REFRESH_MARGIN_S, expires_in / 10)
        )
        self.tokens_fetched += 1

    # Endpoints.

    async def artist(self, artist_id: str) -> dict[str, Any]:
        """GET /artists/{id}: a full artist."""
        return (await self.get_json("artist", f"/artists/{artist_id}")).data

    async def artists(self, ids: Sequence[str]) -> list[dict[str, Any]]:
        """Full artists, batched by 50 (one call each in development mode); unknown ids are skipped."""
        return await self._batched("artists", ids, self.artist)

    async def artist_albums(
        self, artist_id: str, include_groups: str = "album,single", market: str | None = None
    ) -> list[dict[str, Any]]:
        """Every simplified album of an artist, following `next` through all pages."""
        params: dict[str, str | int] = {"include_groups": include_groups, "limit": PAGE_LIMIT}
        if market:
            params["market"] = market
        return await self._all_pages("artist_albums", f"/artists/{artist_id}/albums", params)

    async def album(self, album_id: str) -> dict[str, Any]:
        """GET /albums/{id}: a full album with its first page of tracks."""
        return (await self.get_json("album", f"/albums/{album_id}")).data

    async def albums(self, ids: Sequence[str]) -> list[dict[str, Any]]:
        """Full albums, batched by 20 (one call each in development mode); unknown ids are skipped."""
        return await self._batched("albums", ids, self.album)

    async def album_tracks(self, album_id: str) -> list[dict[str, Any]]:
        """Every simplified track of an album, following `next` through all pages."""
        params: dict[str, str | int] = {"limit": PAGE_LIMIT}
        return await self._all_pages("album_tracks", f"/albums/{album_id}/tracks", params)

    async def track(self, track_id: str) -> dict[str, Any]:
        """GET /tracks/{id}: a full track (the only shape with `external_ids.isrc`)."""
        return (await self.get_json("track", f"/tracks/{track_id}")).data

    async def tracks(self, ids: Sequence[str]) -> list[dict[str, Any]]:
        """Full tracks, batched by 50 (one call each in development mode); unknown ids are skipped."""
        return await self._batched("tracks", ids, self.track)

    async def search_artists(self, query: str, limit: int = 10) -> list[dict[str, Any]]:
        """The first page of artists matching `query` (development mode caps it at 10)."""
        params: dict[str, str | int] = {
            "q": query,
            "type": "artist",
            "limit": min(limit, PAGE_LIMIT),
        }
        body = (await self.get_json("search", "/search", params=params)).data
        try:
            return list(body["artists"]["items"])
        except (KeyError, TypeError):
            raise BadResponse(self.name, "search", "answer lacks artists.items") from None

    # Helpers.

    async def _all_pages(
        self, endpoint: str, url: str, params: dict[str, str | int]
    ) -> list[dict[str, Any]]:
        items: list[dict[str, Any]] = []
        next_url: str | None = url
        page_params: dict[str, str | int] | None = params
        while next_url:
            body = (await self.get_json(endpoint, next_url, params=page_params)).data
            try:
                items.extend(body["items"])
                next_url = body.get("next")
            except (KeyError, TypeError):
                raise BadResponse(self.name, endpoint, "answer is not a paging object") from None
            page_params = None  # `next` carries the query
        return items

    async def _batched(
        self,
        kind: str,
        ids: Sequence[str],
        one: Callable[[str], Awaitable[dict[str, Any]]],
    ) -> list[dict[str, Any]]:
        size = BATCH_SIZE[kind]
        results: list[dict[str, Any]] = []
        for start in range(0, len(ids), size):
            chunk = list(ids[start : start + size])
            batch = await self._try_batch(kind, chunk)
            if batch is None:
                answers = await gather_all(_skip_missing(one, item) for item in chunk)
                batch = [a for a in answers if a is not None]
            results.extend(batch)
        return results

    async def _try_batch(self, kind: str, chunk: list[str]) -> list[dict[str, Any]] | None:
        """One batch call, or None in development mode (told, remembered or learnt from a 403)."""
        if self.batch_endpoints is None:
            # While the mode is unknown one probe at a time, so a burst of callers costs one 403.
            async with self._mode_lock:
                if self.batch_endpoints is None and await self._recall_development():
                    self.batch_endpoints = False
                if self.batch_endpoints is None:
                    try:
                        return await self._batch_call(kind, chunk)
                    finally:
                        await self._end_probe()
        if self.batch_endpoints is False:
            return None
        return await self._batch_call(kind, chunk)

    async def _batch_call(self, kind: str, chunk: list[str]) -> list[dict[str, Any]] | None:
        try:
            body = (await self.get_json(kind, f"/{kind}", params={"ids": ",".join(chunk)})).data
        except Forbidden:
            if self.app_mode == "extended":
                if self.batch_endpoints is not False:  # once, however many chunks were in flight
                    logger.warning(
                        "spotify: SPOTIFY_APP_MODE is extended but batch endpoints answer 403: "
                        "one call per id from now on (is the app in development mode?)",
                        extra={"upstream": self.name},
                    )
                self.batch_endpoints = False
                return None
            if self.batch_endpoints:
                raise  # batch calls worked before: this 403 means something else
            if self.batch_endpoints is None:
                logger.info(
                    "spotify: batch endpoints answer 403: development mode, one call per id",
                    extra={"upstream": self.name},
                )
                self.batch_endpoints = False
                await self._remember_development()
            return None
        if self.batch_endpoints is None:
            self.batch_endpoints = True
        try:
            return [item for item in body[kind] if item is not None]
        except (KeyError, TypeError):
            raise BadResponse(self.name, kind, f"answer lacks {kind}[]") from None

    # The learnt mode in Redis (mode `auto` with a Redis limiter). Only development mode is
    # worth remembering: in extended mode the probe is an ordinary batch call and costs
    # nothing. Redis is a hint here: any error or delay just means probing as if alone.

    def _mode_memory(self) -> tuple[Redis, str] | None:
        # Resolved on use, not at construction: whoever shares this client's limiter (same
        # Redis, prefix and name) shares its budget and so its app.
        limiter = self.limiter
        if self.app_mode != "auto" or not isinstance(limiter, RedisRateLimiter):
            return None
        return limiter.redis, f"{limiter.key_base}:{self._mode_key_suffix}"

    async def _recall_development(self) -> bool:
        """Whether Redis says development mode, asking once per client.

        On a Redis that knows no mode yet, workers starting together would each pay a
        403 probe: one claims the probe (SET NX), the others wait for what it learns.
        """
        memory = self._mode_memory()
        if memory is None or self._mode_recalled:
            return False
        self._mode_recalled = True  # one look per client: later calls just probe
        redis, key = memory
        claim = f"{key}:probe"
        try:
            async with asyncio.timeout(MODE_MEMORY_TIMEOUT_S + MODE_PROBE_WAIT_S):
                if await self._remembered(redis, key):
                    return True
                if await redis.set(claim, "1", nx=True, px=int(MODE_PROBE_WAIT_S * 1000)):
                    self._probe_claim = claim  # ours: probe, then say what we learnt
                    return False
                # Another worker is probing: its 403 lands in Redis, or its claim goes.
                # (Polled: the prober is another process, there is no event to await.)
                while await redis.exists(claim):  # noqa: ASYNC110
                    await asyncio.sleep(MODE_PROBE_POLL_S)
                return await self._remembered(redis, key)
        except Exception as error:  # a hint only: never fail a call on it
            logger.warning(
                "spotify: could not read the learnt app mode from Redis: %s",
                type(error).__name__,
                extra={"upstream": self.name},
            )
            return False

    async def _remembered(self, redis: Redis, key: str) -> bool:
        value = await redis.get(key)
        if isinstance(value, bytes):
            value = value.decode(errors="replace")
        if value != DEVELOPMENT:
            return False
        logger.info(
            "spotify: development mode remembered in Redis: one call per id",
            extra={"upstream": self.name},
        )
        return True

    async def _end_probe(self) -> None:
        """Drop this client's probe claim, so waiting workers read the outcome now."""
        claim, self._probe_claim = self._probe_claim, None
        memory = self._mode_memory()
        if claim is None or memory is None:
            return
        try:
            async with asyncio.timeout(MODE_MEMORY_TIMEOUT_S):
                await memory[0].delete(claim)
        except Exception:  # it expires by itself
            pass

    async def _remember_development(self) -> None:
        memory = self._mode_memory()
        if memory is None:
            return
        redis, key = memory
        try:
            async with asyncio.timeout(MODE_MEMORY_TIMEOUT_S):
                await redis.set(key, DEVELOPMENT, ex=MODE_MEMORY_TTL_S)
        except Exception as error:  # a hint only: never fail a call on it
            logger.warning(
                "spotify: could not remember the app mode in Redis: %s",
                type(error).__name__,
                extra={"upstream": self.name},
            )


async def _skip_missing(
    one: Callable[[str], Awaitable[dict[str, Any]]], item_id: str
) -> dict[str, Any] | None:
    # The batch endpoints answer null for unknown ids; per-id calls answer 404: same meaning.
    try:
        return await one(item_id)
    except NotFound:
        return None
