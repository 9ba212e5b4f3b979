"""Per-upstream call accounting that tests and benchmarks read."""

from __future__ import annotations

import time
from collections import Counter, deque
from dataclasses import dataclass, field

LOG_LIMIT = 200_000


@dataclass(frozen=True, slots=True)
class CallRecord:
    """One answered request: when, which endpoint, what status."""

    at: float
    endpoint: str
    status: int


@dataclass
class Stats:
    """What one fake saw since it started or since the last `reset()`."""

    # Requests received per endpoint name, including refused ones.
    calls: Counter[str] = field(default_factory=Counter)
    # Responses per HTTP status, and per (endpoint, status).
    statuses: Counter[int] = field(default_factory=Counter)
    endpoint_statuses: Counter[tuple[str, int]] = field(default_factory=Counter)
    # 429s produced by the enforced limits, per limit name ("window", "second", "day").
    rate_limit_violations: Counter[str] = field(default_factory=Counter)
    # Faults injected by a FaultPlan, per kind.
    faults_injected: Counter[str] = field(default_factory=Counter)
    # Conditional GETs answered 304 Not Modified.
    not_modified: int = 0
    # Answered requests in order (monotonic time), for pacing checks in benchmarks; bounded
    # so a long `make run` does not grow without end.
    log: deque[CallRecord] = field(default_factory=lambda: deque(maxlen=LOG_LIMIT))

    @property
    def total_calls(self) -> int:
        """All requests received."""
        return sum(self.calls.values())

    @property
    def total_violations(self) -> int:
        """All 429s produced by the enforced limits."""
        return sum(self.rate_limit_violations.values())

    def record(self, endpoint: str, status: int) -> None:
        """Count one answered request."""
        self.statuses[status] += 1
        self.endpoint_statuses[(endpoint, status)] += 1
        if status == 304:
            self.not_modified += 1
        self.log.append(CallRecord(time.monotonic(), endpoint, status))

    def reset(self) -> None:
        """Forget everything counted so far."""
        for counter in (
            self.calls,
            self.statuses,
            self.endpoint_statuses,
            self.rate_limit_violations,
            self.faults_injected,
        ):
            counter.clear()
        self.not_modified = 0
        self.log.clear()
