"""Typed upstream failures: one root, a subclass per way a call can fail."""

from __future__ import annotations

__all__ = [
    "AuthError",
    "BadResponse",
    "CircuitOpen",
    "Forbidden",
    "NotFound",
    "RateLimited",
    "Rejected",
    "Unavailable",
    "UpstreamError",
]


class UpstreamError(Exception):
    """Root of every upstream failure; the message is already free of keys and tokens."""

    def __init__(
        self,
        upstream: str,
        endpoint: str,
        message: str,
        *,
        status: int | None = None,
        attempts: int = 1,
    ) -> None:
        super().__init__(f"{upstream} {endpoint}: {message}")
        self.upstream = upstream
        self.endpoint = endpoint
        self.status = status
        self.attempts = attempts


class NotFound(UpstreamError):
    """The upstream has no such resource (404)."""


class Rejected(UpstreamError):
    """The upstream refused the request as invalid (other 4xx): a bug or bad input, not retried."""


class AuthError(UpstreamError):
    """Credentials were refused (401, or a token grant that failed)."""


class Forbidden(AuthError):
    """The credentials are valid but may not use this endpoint (403)."""


class RateLimited(UpstreamError):
    """Still rate limited when the retry budget ran out, or a quota that will not reset soon."""

    def __init__(
        self,
        upstream: str,
        endpoint: str,
        message: str,
        *,
        status: int | None = 429,
        attempts: int = 1,
        retry_after: float | None = None,
    ) -> None:
        super().__init__(upstream, endpoint, message, status=status, attempts=attempts)
        self.retry_after = retry_after


class Unavailable(UpstreamError):
    """The upstream failed (5xx, timeout, connection error) on every attempt within the budget."""


class CircuitOpen(Unavailable):
    """Not called at all: the circuit breaker is open after repeated failures."""


class BadResponse(UpstreamError):
    """The answer was not the JSON promised (malformed, truncated or the wrong shape)."""
