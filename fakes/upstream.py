"""The request pipeline every fake shares: count, authenticate, limit, inject faults, answer."""

from __future__ import annotations

import asyncio
import json
from abc import ABC, abstractmethod
from dataclasses import dataclass, field
from typing import Any, ClassVar, Generic, TypeVar

from aiohttp import web
from aiohttp.typedefs import Handler

from fakes.dataset import Dataset
from fakes.faults import MALFORMED_BODY, SHORT_CIRCUIT, FaultPlan, pick, truncate
from fakes.stats import Stats

# Status recorded when a "disconnect" fault drops the connection (nginx's "client closed").
DROPPED = 499


@dataclass
class UpstreamConfig:
    """Settings every fake has; each upstream's config extends it. Mutable while running."""

    faults: list[FaultPlan] = field(default_factory=list)

    def inject(self, *plans: FaultPlan) -> None:
        """Append fault plans, consumed in order by later requests."""
        self.faults.extend(plans)


C = TypeVar("C", bound=UpstreamConfig)


def json_response(
    data: Any, status: int = 200, headers: dict[str, str] | None = None
) -> web.Response:
    """A compact UTF-8 JSON answer, as the real APIs send."""
    body = json.dumps(data, ensure_ascii=False, separators=(",", ":")).encode()
    return web.Response(
        body=body, status=status, headers=headers, content_type="application/json", charset="utf-8"
    )


class Refusal(Exception):
    """Raised by a limit check: the response to send and the limit that refused."""

    def __init__(self, limit: str, response: web.StreamResponse) -> None:
        super().__init__(limit)
        self.limit = limit
        self.response = response


class FakeUpstream(ABC, Generic[C]):
    """One fake upstream: its aiohttp app, config, stats and the shared pipeline."""

    name: ClassVar[str]

    def __init__(self, dataset: Dataset, config: C) -> None:
        self.dataset = dataset
        self.config = config
        self.stats = Stats()

    def build_app(self) -> web.Application:
        """A fresh aiohttp application serving this upstream."""

        @web.middleware
        async def pipeline(request: web.Request, handler: Handler) -> web.StreamResponse:
            route = request.match_info.route
            endpoint = route.name or "unknown"
            self.stats.calls[endpoint] += 1
            response = await self._answer(request, handler, endpoint)
            self.stats.record(endpoint, response.status)
            return response

        app = web.Application(middlewares=[pipeline])
        self.add_routes(app)
        return app

    async def _answer(
        self, request: web.Request, handler: Handler, endpoint: str
    ) -> web.StreamResponse:
        http_error = request.match_info.http_exception
        if http_error is not None:
            return self.error(request, http_error.status, http_error.reason)
        refused = self.authenticate(request, endpoint)
        if refused is not None:
            return refused
        try:
            self.enforce_limits(request, endpoint)
        except Refusal as refusal:
            self.stats.rate_limit_violations[refusal.limit] += 1
            return self.finish(request, refusal.response, endpoint)

        plan = pick(self.config.faults, endpoint)
        if plan is not None:
            self.stats.faults_injected[plan.kind] += 1
            if plan.kind in SHORT_CIRCUIT:
                return self.finish(request, self.fault_response(request, plan), endpoint)
            if plan.kind == "disconnect":
                if request.transport is not None:
                    request.transport.close()
                return web.Response(status=DROPPED)
            if plan.kind == "slow":
                await asyncio.sleep(plan.delay)

        response = self.finish(request, await handler(request), endpoint)
        if plan is not None and plan.kind in ("truncated", "malformed"):
            return _corrupt(response, plan)
        return response

    # Hooks each upstream implements.

    @abstractmethod
    def add_routes(self, app: web.Application) -> None:
        """Register the upstream's routes, each named after its endpoint."""

    @abstractmethod
    def authenticate(self, request: web.Request, endpoint: str) -> web.StreamResponse | None:
        """Return the upstream's auth failure, or None when the credentials are good."""

    @abstractmethod
    def enforce_limits(self, request: web.Request, endpoint: str) -> None:
        """Admit the request or raise Refusal with the upstream's 429."""

    @abstractmethod
    def error(self, request: web.Request, status: int, message: str) -> web.StreamResponse:
        """The upstream's error body for a status."""

    @abstractmethod
    def fault_response(self, request: web.Request, plan: FaultPlan) -> web.StreamResponse:
        """The answer for a short-circuit fault (429, 5xx, token_expired)."""

    def finish(
        self, request: web.Request, response: web.StreamResponse, endpoint: str
    ) -> web.StreamResponse:
        """Last touch on every admitted answer (headers, ETags); identity by default."""
        return response

    def reset_limits(self) -> None:
        """Forget rate-limit history (between tests)."""


def _corrupt(response: web.StreamResponse, plan: FaultPlan) -> web.StreamResponse:
    """Rebuild an answer with a cut or non-JSON body, keeping status and headers."""
    body = response.body if isinstance(response, web.Response) else None
    raw = body if isinstance(body, bytes) else b"{}"
    corrupted = truncate(raw) if plan.kind == "truncated" else MALFORMED_BODY
    headers = {k: v for k, v in response.headers.items() if k.lower() != "content-length"}
    return web.Response(status=response.status, body=corrupted, headers=headers)
