"""A circuit breaker per upstream client: stop calling an upstream that keeps failing.

State lives in the process: each worker counts the failures it sees and opens on its
own within `failure_threshold` calls, which needs no Redis round-trip per call and keeps
working while Redis does not. The state is published through `UpstreamStats` for
GetUpstreamStatus and metrics.
"""

from __future__ import annotations

import enum
import logging
import time
from collections.abc import Callable

from services.sync.upstreams.config import BreakerConfig

__all__ = ["BreakerState", "CircuitBreaker"]

logger = logging.getLogger(__name__)


class BreakerState(enum.StrEnum):
    """Closed: calls flow. Open: calls fail fast. Half-open: one probe call decides."""

    CLOSED = "closed"
    OPEN = "open"
    HALF_OPEN = "half_open"


class CircuitBreaker:
    """Opens after `failure_threshold` consecutive failures, probes once after `cooldown_s`."""

    def __init__(
        self,
        name: str,
        config: BreakerConfig,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.name = name
        self.config = config
        self._clock = clock
        self._state = BreakerState.CLOSED
        self._failures = 0
        self._opened_at = 0.0
        self._probing = False

    @property
    def state(self) -> BreakerState:
        """The current state; an open breaker turns half-open once its cool-down has passed."""
        if self._state is BreakerState.OPEN and self.retry_in() == 0:
            self._transition(BreakerState.HALF_OPEN)
        return self._state

    @property
    def consecutive_failures(self) -> int:
        """Failures since the last success."""
        return self._failures

    def retry_in(self) -> float:
        """Seconds until an open breaker lets a probe through (0 when not open)."""
        if self._state is not BreakerState.OPEN:
            return 0.0
        return max(self._opened_at + self.config.cooldown_s - self._clock(), 0.0)

    def allow(self) -> bool:
        """Whether a call may go out now; in half-open only one probe at a time may."""
        state = self.state
        if state is BreakerState.CLOSED:
            return True
        if state is BreakerState.HALF_OPEN and not self._probing:
            self._probing = True
            return True
        return False

    def record_success(self) -> None:
        """The upstream answered (any answer that is not its own failure)."""
        self._failures = 0
        self._probing = False
        if self._state is not BreakerState.CLOSED:
            self._transition(BreakerState.CLOSED)

    def record_failure(self) -> None:
        """The upstream failed (5xx, timeout, connection error)."""
        self._failures += 1
        self._probing = False
        if self._state is BreakerState.HALF_OPEN or (
            self._state is BreakerState.CLOSED and self._failures >= self.config.failure_threshold
        ):
            self._opened_at = self._clock()
            self._transition(BreakerState.OPEN)

    def release(self) -> None:
        """A call ended without a verdict (cancelled): free the probe slot."""
        self._probing = False

    def _transition(self, state: BreakerState) -> None:
        logger.warning(
            "circuit breaker for %s: %s -> %s",
            self.name,
            self._state.value,
            state.value,
            extra={"upstream": self.name, "breaker_state": state.value},
        )
        self._state = state
