"""Client channels with retries, keepalive, a default deadline and bearer-token metadata."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import grpc

__all__ = ["create_channel"]

# Retries only UNAVAILABLE: the server was unreachable or draining, or one of its
# dependencies (database, Redis) was down (shared.outages). In that last case a write
# may have committed before its reply was lost, so a retried call must be safe to
# repeat: every write in our contracts is (upserts keyed on upstream ids, votes and
# follows by user, one active import per artist); AddSetlistSong answers a repeat with
# ALREADY_EXISTS. A method that cannot be repeated needs a request id, or its own
# channel without this policy.
_SERVICE_CONFIG = json.dumps(
    {
        "methodConfig": [
            {
                "name": [{}],
                "retryPolicy": {
                    "maxAttempts": 4,
                    "initialBackoff": "0.1s",
                    "maxBackoff": "2s",
                    "backoffMultiplier": 2,
                    "retryableStatusCodes": ["UNAVAILABLE"],
                },
            }
        ]
    }
)

_CHANNEL_OPTIONS: list[tuple[str, Any]] = [
    ("grpc.service_config", _SERVICE_CONFIG),
    ("grpc.enable_retries", 1),
    # Pings detect dead peers (e.g. a restarted pod) before a call waits on them.
    ("grpc.keepalive_time_ms", 30_000),
    ("grpc.keepalive_timeout_ms", 10_000),
    ("grpc.keepalive_permit_without_calls", 1),
    ("grpc.http2.max_pings_without_data", 0),
    ("grpc.max_receive_message_length", 16 * 1024 * 1024),
]

TokenSource = str | Callable[[], str] | None


class _CallDefaults:
    """Adds a default deadline to unary-response calls and the bearer token to every call."""

    def __init__(self, token: TokenSource, timeout: float) -> None:
        self._token = token
        self._timeout = timeout

    def _details(
        self, details: grpc.aio.ClientCallDetails, *, default_deadline: bool
    ) -> grpc.aio.ClientCallDetails:
        timeout = details.timeout
        if timeout is None and default_deadline:
            timeout = self._timeout
        metadata = details.metadata
        token = self._token() if callable(self._token) else self._token
        if token:
            metadata = grpc.aio.Metadata(*(metadata or ()))
            # A caller forwarding someone else's token (the gateway) keeps it.
            if "authorization" not in metadata:
                metadata.add("authorization", f"Bearer {token}")
        return grpc.aio.ClientCallDetails(
            method=details.method,
            timeout=timeout,
            metadata=metadata,
            credentials=details.credentials,
            wait_for_ready=details.wait_for_ready,
        )


# grpc.aio files each interceptor under the first arity it implements, so one
# object per arity is needed.
class _UnaryUnary(_CallDefaults, grpc.aio.UnaryUnaryClientInterceptor):
    async def intercept_unary_unary(self, continuation: Any, details: Any, request: Any) -> Any:
        return await continuation(self._details(details, default_deadline=True), request)


class _StreamUnary(_CallDefaults, grpc.aio.StreamUnaryClientInterceptor):
    async def intercept_stream_unary(self, continuation: Any, details: Any, requests: Any) -> Any:
        return await continuation(self._details(details, default_deadline=True), requests)


# Streams (change feeds, progress watches) are meant to outlive any default
# deadline; callers that want one pass timeout= themselves.
class _UnaryStream(_CallDefaults, grpc.aio.UnaryStreamClientInterceptor):
    async def intercept_unary_stream(self, continuation: Any, details: Any, request: Any) -> Any:
        return await continuation(self._details(details, default_deadline=False), request)


class _StreamStream(_CallDefaults, grpc.aio.StreamStreamClientInterceptor):
    async def intercept_stream_stream(self, continuation: Any, details: Any, requests: Any) -> Any:
        return await continuation(self._details(details, default_deadline=False), requests)


def create_channel(
    target: str, *, token: TokenSource = None, timeout: float = 5.0
) -> grpc.aio.Channel:
    """An insecure channel to another service; call inside the running event loop."""
    # Looked up at call time so telemetry's client instrumentation applies.
    return grpc.aio.insecure_channel(
        target,
        options=_CHANNEL_OPTIONS,
        interceptors=[
            kind(token, timeout)
            for kind in (_UnaryUnary, _UnaryStream, _StreamUnary, _StreamStream)
        ],
    )
