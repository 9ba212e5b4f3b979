"""Per-upstream call accounting for GetUpstreamStatus and metrics."""

from __future__ import annotations

import time
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

import httpx

__all__ = ["UpstreamStats"]


@dataclass
class UpstreamStats:
    """What one client has seen since it started."""

    name: str
    calls: int = 0  # attempts that reached the network
    errors: int = 0  # calls that ended in an UpstreamError
    rate_limited: int = 0  # 429 answers
    retries: int = 0
    not_modified: int = 0
    statuses: Counter[int] = field(default_factory=Counter)
    rate_limit_wait_s: float = 0.0  # time spent waiting on our own limiter
    last_error: str | None = None
    last_error_at: float | None = None  # epoch seconds
    last_success_at: float | None = None
    # Ticketmaster's Rate-Limit headers: the daily quota as the upstream counts it.
    quota_limit: int | None = None
    quota_remaining: int | None = None
    quota_reset_at: float | None = None  # epoch seconds

    def record_response(self, response: httpx.Response) -> None:
        """Count one answer and read any quota headers it carries."""
        self.statuses[response.status_code] += 1
        if response.status_code == 429:
            self.rate_limited += 1
        elif response.status_code == 304:
            self.not_modified += 1
        if response.status_code < 500 and response.status_code != 429:
            self.last_success_at = time.time()
        headers = response.headers
        if "Rate-Limit-Available" in headers:
            self.quota_limit = _int(headers.get("Rate-Limit"))
            self.quota_remaining = _int(headers.get("Rate-Limit-Available"))
            reset_ms = _int(headers.get("Rate-Limit-Reset"))
            self.quota_reset_at = reset_ms / 1000 if reset_ms is not None else None

    def record_error(self, message: str) -> None:
        """Count a call that failed for good; `message` must already be redacted."""
        self.errors += 1
        self.last_error = message
        self.last_error_at = time.time()

    def snapshot(self, breaker_state: str, breaker_retry_in: float) -> dict[str, Any]:
        """A plain dict for GetUpstreamStatus and metrics."""
        return {
            "name": self.name,
            "breaker_state": breaker_state,
            "breaker_retry_in_s": round(breaker_retry_in, 3),
            "calls": self.calls,
            "errors": self.errors,
            "rate_limited": self.rate_limited,
            "retries": self.retries,
            "not_modified": self.not_modified,
            "statuses": dict(self.statuses),
            "rate_limit_wait_s": round(self.rate_limit_wait_s, 3),
            "last_error": self.last_error,
            "last_error_at": self.last_error_at,
            "last_success_at": self.last_success_at,
            "quota_limit": self.quota_limit,
            "quota_remaining": self.quota_remaining,
            "quota_reset_at": self.quota_reset_at,
        }


def _int(raw: str | None) -> int | None:
    try:
        return int(raw) if raw is not None else None
    except ValueError:
        return None
