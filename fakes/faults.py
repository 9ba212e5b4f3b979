"""Deterministic fault injection: small plans consumed request by request."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Literal

FaultKind = Literal[
    "429",  # the upstream's own 429 shape; Spotify adds Retry-After when `retry_after` is set
    "500",
    "502",
    "503",
    "slow",  # answer normally after `delay` seconds
    "truncated",  # a normal answer cut in half (valid HTTP, invalid JSON)
    "malformed",  # a 200 whose body is a proxy's HTML page, not JSON
    "token_expired",  # the upstream's auth failure (Spotify: expired bearer token)
    "disconnect",  # the connection is dropped without an answer
]

# Kinds that replace the answer instead of altering or delaying it.
SHORT_CIRCUIT: frozenset[str] = frozenset({"429", "500", "502", "503", "token_expired"})


@dataclass
class FaultPlan:
    """Fire `kind` on matching requests: skip `after`, then every `every`-th, `count` times."""

    kind: FaultKind
    count: int | None = 1  # None: never runs out
    every: int = 1
    after: int = 0
    endpoints: frozenset[str] | None = None  # endpoint names; None matches all
    retry_after: float | None = None  # 429 only; None sends no Retry-After
    delay: float = 0.0  # slow only
    reason: str | None = None  # Spotify 429 only, e.g. "QUOTA_EXCEEDED"
    seen: int = field(default=0, init=False)
    fired: int = field(default=0, init=False)

    def __post_init__(self) -> None:
        if self.every < 1:
            raise ValueError("every must be >= 1")
        if self.endpoints is not None and not isinstance(self.endpoints, frozenset):
            self.endpoints = frozenset(self.endpoints)

    @property
    def exhausted(self) -> bool:
        """True once the plan has fired `count` times."""
        return self.count is not None and self.fired >= self.count

    def consider(self, endpoint: str) -> bool:
        """Observe one request; return True when this plan fires on it."""
        if self.exhausted or (self.endpoints is not None and endpoint not in self.endpoints):
            return False
        self.seen += 1
        position = self.seen - self.after
        if position <= 0 or (position - 1) % self.every:
            return False
        self.fired += 1
        return True


def pick(plans: Iterable[FaultPlan], endpoint: str) -> FaultPlan | None:
    """Offer the request to the first live plan for this endpoint; later plans wait their turn."""
    for plan in plans:
        if plan.exhausted or (plan.endpoints is not None and endpoint not in plan.endpoints):
            continue
        return plan if plan.consider(endpoint) else None
    return None


def truncate(body: bytes) -> bytes:
    """Cut a body in half, as a dropped proxy stream would."""
    return body[: max(len(body) // 2, 1)]


MALFORMED_BODY = (
    b"<html><head><title>502 Bad Gateway</title></head>"
    b"<body><center><h1>502 Bad Gateway</h1></center></body></html>"
)
