"""The base upstream client: limiter, breaker, retries, timeouts, ETags and redaction for every call."""

from __future__ import annotations

import asyncio
import hashlib
import json
import logging
import time
import uuid
from collections.abc import Awaitable, Collection, Iterable, Mapping
from dataclasses import dataclass
from types import TracebackType
from typing import Any, Protocol, Self, TypeVar
from urllib.parse import parse_qsl, urlsplit

import httpx
from cachetools import LRUCache

from services.sync.upstreams.breaker import CircuitBreaker
from services.sync.upstreams.config import ClientConfig
from services.sync.upstreams.errors import (
    AuthError,
    BadResponse,
    CircuitOpen,
    Forbidden,
    NotFound,
    RateLimited,
    Rejected,
    Unavailable,
    UpstreamError,
)
from services.sync.upstreams.ratelimit import MemoryRateLimiter, RateLimiter
from services.sync.upstreams.redact import Redactor, redact_library_logs
from services.sync.upstreams.retry import RETRY_STATUSES, RetryBudget, parse_retry_after
from services.sync.upstreams.status import UpstreamStats

__all__ = [
    "EtagCache",
    "JsonResponse",
    "MemoryEtagCache",
    "UpstreamClient",
    "fingerprint",
    "gather_all",
]

logger = logging.getLogger(__name__)

Params = Mapping[str, str | int]
T = TypeVar("T")


def fingerprint(data: Any, exclude: Collection[str] = ()) -> str:
    """sha256 of canonical JSON (sorted keys, no spaces), leaving out the top-level keys in `exclude`."""
    if exclude and isinstance(data, dict):
        data = {k: v for k, v in data.items() if k not in exclude}
    canonical = json.dumps(data, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(canonical.encode()).hexdigest()


@dataclass(frozen=True, slots=True)
class JsonResponse:
    """A parsed answer; on 304 `not_modified` is set and `data` is the cached body, if any."""

    status: int
    data: Any
    etag: str | None = None
    not_modified: bool = False

    @property
    def fingerprint(self) -> str:
        """Content hash of the body, for refreshes against upstreams that send no ETag."""
        return fingerprint(self.data)


class EtagCache(Protocol):
    """Where conditional GETs find the validator and body of an earlier answer.

    Keys are resource keys (`UpstreamClient.resource_key`): the path below the
    client's base URL with its query sorted, never a credential.
    """

    def get(self, key: str) -> tuple[str, Any] | None:
        """The (etag, body) stored for a request, if any."""
        ...

    def put(self, key: str, etag: str | None, data: Any) -> None:
        """Remember an answer: its validator (None when the upstream sent none) and body."""
        ...


class MemoryEtagCache:
    """A bounded in-process EtagCache."""

    def __init__(self, maxsize: int = 10_000) -> None:
        self._entries: LRUCache[str, tuple[str, Any]] = LRUCache(maxsize=maxsize)

    def get(self, key: str) -> tuple[str, Any] | None:
        return self._entries.get(key)

    def put(self, key: str, etag: str | None, data: Any) -> None:
        if etag is not None:
            self._entries[key] = (etag, data)


class UpstreamClient:
    """One upstream's HTTP client; subclasses add credentials and typed endpoint methods."""

    def __init__(
        self,
        config: ClientConfig,
        limiter: RateLimiter | None = None,
        *,
        breaker: CircuitBreaker | None = None,
        etag_cache: EtagCache | None = None,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        self.config = config
        self.name = config.name
        self.limiter = limiter or MemoryRateLimiter(
            config.name, config.windows, config.rate_margin_s
        )
        self.breaker = breaker or CircuitBreaker(config.name, config.breaker)
        self.etag_cache = etag_cache
        self.stats = UpstreamStats(config.name)
        self.redact = Redactor()
        redact_library_logs()
        self._http = httpx.AsyncClient(
            base_url=config.base_url,
            timeout=httpx.Timeout(config.timeout_s, connect=config.connect_timeout_s),
            headers={"User-Agent": "mysetlist-sync/1.0"},
            transport=transport,
        )

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        """Close the connection pool."""
        await self._http.aclose()

    def status(self) -> dict[str, Any]:
        """Counters, quota and breaker state, for GetUpstreamStatus and metrics."""
        return self.stats.snapshot(self.breaker.state.value, self.breaker.retry_in())

    # Hooks for subclasses.

    async def _authorize(self, headers: dict[str, str], params: dict[str, str | int]) -> None:
        """Add credentials to an outgoing request."""

    async def _reauthorize(self, response: httpx.Response, headers: dict[str, str]) -> bool:
        """After a 401: renew credentials and return True to retry once, or False to fail."""
        return False

    def _quota_exhausted(self, response: httpx.Response) -> bool:
        """Whether a 429 means a long quota (per day) rather than a short window: no retry."""
        return False

    def _error_detail(self, response: httpx.Response) -> str:
        """The upstream's own error message, from whichever error shape it uses."""
        try:
            body = response.json()
        except ValueError:
            return response.reason_phrase
        if isinstance(body, dict):
            error = body.get("error")
            if isinstance(error, dict) and "message" in error:
                return str(error["message"])  # Spotify Web API
            if isinstance(error, str):
                return f"{error}: {body.get('error_description', '')}"  # OAuth (RFC 6749)
            fault = body.get("fault")
            if isinstance(fault, dict):
                return str(fault.get("faultstring", ""))  # Apigee (Ticketmaster gateway)
            errors = body.get("errors")
            if isinstance(errors, list) and errors and isinstance(errors[0], dict):
                first = errors[0]
                return f"{first.get('code', '')} {first.get('detail', '')}".strip()  # Discovery
            if "message" in body:
                return str(body["message"])  # setlist.fm
        return response.reason_phrase

    # The call.

    async def get_json(
        self,
        endpoint: str,
        url: str,
        *,
        params: Params | None = None,
        etag: str | None = None,
    ) -> JsonResponse:
        """GET and parse JSON under the limiter, breaker and retry budget.

        `endpoint` names the call in logs, errors and stats. With `etag` (or an ETag cache)
        the request is conditional; a 304 comes back as `not_modified`.
        """
        return await self._call(endpoint, "GET", url, params=params, etag=etag)

    async def _call(
        self,
        endpoint: str,
        method: str,
        url: str,
        *,
        params: Params | None = None,
        data: Mapping[str, str] | None = None,
        headers: Mapping[str, str] | None = None,
        etag: str | None = None,
        authorize: bool = True,
        limited: bool = True,
    ) -> JsonResponse:
        try:
            return await self._attempts(
                endpoint, method, url, params, data, headers, etag, authorize, limited
            )
        except UpstreamError as error:
            self.stats.record_error(str(error))
            raise

    async def _attempts(
        self,
        endpoint: str,
        method: str,
        url: str,
        params: Params | None,
        data: Mapping[str, str] | None,
        headers: Mapping[str, str] | None,
        etag: str | None,
        authorize: bool,
        limited: bool,
    ) -> JsonResponse:
        cache_key = self.resource_key(url, params) if method == "GET" and self.etag_cache else None
        cached = self.etag_cache.get(cache_key) if self.etag_cache and cache_key else None
        if etag is None and cached is not None:
            etag = cached[0]
        # A 304 answers for the validator sent: the cached body only if it is that one's.
        body_for_304 = cached[1] if cached is not None and cached[0] == etag else None
        budget = RetryBudget(self.config.retry)
        reauthorized = False
        while True:
            budget.attempts += 1
            if not self.breaker.allow():
                raise CircuitOpen(
                    self.name,
                    endpoint,
                    f"circuit open after repeated failures; retry in {self.breaker.retry_in():.1f} s",
                    attempts=budget.attempts,
                )
            request_headers = dict(headers or {})
            request_params: dict[str, str | int] = dict(params or {})
            if etag is not None:
                request_headers["If-None-Match"] = etag
            slot = uuid.uuid4().hex if limited else None
            try:
                if slot is not None:
                    self.stats.rate_limit_wait_s += await self.limiter.acquire(slot)
                if authorize:
                    await self._authorize(request_headers, request_params)
                try:
                    response = await self._send(
                        endpoint, method, url, request_params, data, request_headers
                    )
                except BaseException:
                    if slot is not None:  # it may have reached the upstream, as late as now
                        await self.limiter.settle(slot, counted=True)
                    raise
                if slot is not None:
                    # A refused (429) request did not count upstream; an answered one did,
                    # on arrival, which was no later than now.
                    await self.limiter.settle(slot, counted=response.status_code != 429)
            except (httpx.TransportError, TimeoutError) as exc:
                self.breaker.record_failure()
                kind = (
                    "timed out"
                    if isinstance(exc, httpx.TimeoutException | TimeoutError)
                    else "failed"
                )
                failure: UpstreamError = Unavailable(
                    self.name,
                    endpoint,
                    f"request {kind}: {type(exc).__name__}: {self.redact(exc)}",
                    attempts=budget.attempts,
                )
                delay = budget.backoff()
            except BaseException:
                self.breaker.release()  # cancelled or a bug: no verdict on the upstream
                raise
            else:
                status = response.status_code
                if status == 304:
                    self.breaker.record_success()
                    return JsonResponse(304, body_for_304, etag, not_modified=True)
                if 200 <= status < 300:
                    try:
                        body = response.json()
                    except ValueError:
                        # A proxy's HTML page or a cut stream: the upstream path is unwell.
                        self.breaker.record_failure()
                        failure = BadResponse(
                            self.name,
                            endpoint,
                            f"{status} answer is not JSON ({len(response.content)} bytes)",
                            status=status,
                            attempts=budget.attempts,
                        )
                        delay = budget.backoff()
                    else:
                        self.breaker.record_success()
                        new_etag = response.headers.get("ETag")
                        if cache_key and self.etag_cache is not None:
                            # Without an ETag the cache still learns the content's fingerprint.
                            self.etag_cache.put(cache_key, new_etag, body)
                        return JsonResponse(status, body, new_etag)
                elif status == 401 and authorize and not reauthorized:
                    self.breaker.record_success()
                    reauthorized = True
                    if await self._reauthorize(response, request_headers):
                        budget.attempts -= 1  # a renewed token is not a retry of a failure
                        continue
                    raise self._client_error(endpoint, response, budget.attempts)
                elif status == 429:
                    self.breaker.record_success()  # alive, just busy
                    failure, delay = await self._rate_limited(endpoint, response, budget)
                elif status in RETRY_STATUSES:
                    self.breaker.record_failure()
                    failure = Unavailable(
                        self.name,
                        endpoint,
                        f"{status} {self.redact(self._error_detail(response))}",
                        status=status,
                        attempts=budget.attempts,
                    )
                    delay = max(budget.backoff(), parse_retry_after(response) or 0.0)
                else:
                    # Other answers prove the upstream is up; they are the caller's problem.
                    self.breaker.record_success()
                    raise self._client_error(endpoint, response, budget.attempts)
            if not budget.allows(delay):
                raise failure
            self.stats.retries += 1
            logger.info(
                "%s %s: retrying in %.2f s after: %s",
                self.name,
                endpoint,
                delay,
                failure,
                extra={"upstream": self.name, "endpoint": endpoint, "attempt": budget.attempts},
            )
            await asyncio.sleep(delay)
            budget.slept_s += delay

    async def _rate_limited(
        self, endpoint: str, response: httpx.Response, budget: RetryBudget
    ) -> tuple[UpstreamError, float]:
        """Turn a 429 into the error to raise and the delay before a retry; pause every worker."""
        detail = self.redact(self._error_detail(response))
        retry_after = parse_retry_after(response)
        if self._quota_exhausted(response):
            # A daily quota will not reset within any retry budget: fail now, loudly.
            raise RateLimited(
                self.name,
                endpoint,
                f"quota exhausted: {detail}",
                attempts=budget.attempts,
                retry_after=retry_after,
            )
        delay = retry_after if retry_after is not None else self.config.retry.default_retry_after_s
        # Our limiter let this through, so the upstream's limit is tighter than our window
        # (or another client shares the key): hold every worker back, not just this call.
        await self.limiter.pause(delay)
        failure = RateLimited(
            self.name,
            endpoint,
            f"429 {detail}",
            attempts=budget.attempts,
            retry_after=delay,
        )
        return failure, delay

    async def _send(
        self,
        endpoint: str,
        method: str,
        url: str,
        params: dict[str, str | int],
        data: Mapping[str, str] | None,
        headers: dict[str, str],
    ) -> httpx.Response:
        started = time.monotonic()
        status: int | str = "error"
        self.stats.calls += 1
        try:
            # httpx's timeouts bound each phase; this bounds the whole exchange, so a server
            # that drips bytes cannot hold a worker forever.
            async with asyncio.timeout(self.config.timeout_s):
                response = await self._http.request(
                    method, url, params=params or None, data=data, headers=headers
                )
            status = response.status_code
            self.stats.record_response(response)
            return response
        finally:
            duration_ms = (time.monotonic() - started) * 1000
            logger.debug(
                "%s %s %s -> %s in %.0f ms",
                self.name,
                method,
                endpoint,
                status,
                duration_ms,
                extra={
                    "upstream": self.name,
                    "endpoint": endpoint,
                    "status": status,
                    "duration_ms": round(duration_ms, 1),
                },
            )

    def _client_error(
        self, endpoint: str, response: httpx.Response, attempts: int
    ) -> UpstreamError:
        status = response.status_code
        message = f"{status} {self.redact(self._error_detail(response))}"
        kind: type[UpstreamError]
        if status == 401:
            kind = AuthError
        elif status == 403:
            kind = Forbidden
        elif status == 404:
            kind = NotFound
        else:
            kind = Rejected
        return kind(self.name, endpoint, message, status=status, attempts=attempts)

    def resource_key(self, url: str, params: Params | None = None) -> str:
        """The stable name of a GET: its path below the base URL and its query, sorted.

        A `next` link (absolute, query in the URL) and the same page asked for by path and
        params name the same resource; the host and credentials are never part of it.
        """
        split = urlsplit(url)
        path = split.path
        base = urlsplit(str(self._http.base_url)).path.rstrip("/")
        if split.netloc and base and path.startswith(base):
            path = path[len(base) :]
        query = dict(parse_qsl(split.query, keep_blank_values=True))
        query.update({k: str(v) for k, v in (params or {}).items()})
        return f"{path}?" + "&".join(f"{k}={v}" for k, v in sorted(query.items()))


async def gather_all(awaitables: Iterable[Awaitable[T]]) -> list[T]:
    """Run concurrently and return results in order; on the first failure cancel the rest."""
    tasks = [asyncio.ensure_future(a) for a in awaitables]
    try:
        return list(await asyncio.gather(*tasks))
    except BaseException:
        for task in tasks:
            task.cancel()
        raise
