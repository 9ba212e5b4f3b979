"""Retry policy: what is worth another attempt, how long to wait, and when to give up."""

from __future__ import annotations

import random
import time
from dataclasses import dataclass
from email.utils import parsedate_to_datetime

import httpx

from services.sync.upstreams.config import RetryConfig

__all__ = ["RETRY_STATUSES", "RetryBudget", "parse_retry_after"]

# 429 and the 5xx answers a gateway gives for a transient fault; 501 and 505 are permanent.
RETRY_STATUSES = frozenset({429, 500, 502, 503, 504})


def parse_retry_after(response: httpx.Response) -> float | None:
    """Seconds to wait per the Retry-After header (delta-seconds or HTTP-date), None if absent."""
    raw = response.headers.get("Retry-After")
    if raw is None:
        return None
    raw = raw.strip()
    try:
        return max(float(raw), 0.0)
    except ValueError:
        pass
    try:
        return max(parsedate_to_datetime(raw).timestamp() - time.time(), 0.0)
    except (TypeError, ValueError):
        return None


@dataclass
class RetryBudget:
    """One call's allowance of attempts and sleep; every retry spends from it."""

    config: RetryConfig
    attempts: int = 0
    slept_s: float = 0.0

    def backoff(self) -> float:
        """Full-jitter exponential backoff for the attempt just made (AWS's "full jitter")."""
        ceiling = min(self.config.max_delay_s, self.config.base_delay_s * 2 ** (self.attempts - 1))
        return random.uniform(0, ceiling)

    def allows(self, delay: float) -> bool:
        """Whether another attempt after sleeping `delay` stays within the budget."""
        return (
            self.attempts < self.config.max_attempts
            and self.slept_s + delay <= self.config.max_sleep_s
        )
