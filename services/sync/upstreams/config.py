"""Upstream settings from the environment (DESIGN.md §6): base URLs, credentials, limits, budgets."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Literal

from pydantic import Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

__all__ = [
    "BreakerConfig",
    "ClientConfig",
    "RetryConfig",
    "SpotifyAppMode",
    "UpstreamSettings",
    "Window",
    "parse_windows",
]

_WINDOW = re.compile(r"^\s*(\d+)\s*/\s*(\d+(?:\.\d+)?)\s*(ms|s|m|h|d)?\s*$")
_UNIT_SECONDS = {"ms": 0.001, "s": 1.0, "m": 60.0, "h": 3600.0, "d": 86400.0}

# Whether the Spotify app may use the batch endpoints (see UpstreamSettings).
SpotifyAppMode = Literal["auto", "development", "extended"]


@dataclass(frozen=True, slots=True)
class Window:
    """At most `limit` requests in any `period_s` seconds."""

    limit: int
    period_s: float

    def __str__(self) -> str:
        return f"{self.limit}/{self.period_s:g}s"


def parse_windows(spec: str) -> tuple[Window, ...]:
    """Parse "5/1s,5000/86400s" (units ms, s, m, h, d; seconds when omitted); "" means unlimited."""
    windows = []
    for part in filter(None, (p.strip() for p in spec.split(","))):
        match = _WINDOW.match(part)
        if match is None:
            raise ValueError(f"rate limit {part!r} is not LIMIT/PERIOD[unit], e.g. 5/1s")
        limit, amount, unit = int(match[1]), float(match[2]), match[3] or "s"
        period = amount * _UNIT_SECONDS[unit]
        if limit < 1 or period <= 0:
            raise ValueError(f"rate limit {part!r} needs a positive count and period")
        windows.append(Window(limit, period))
    return tuple(windows)


@dataclass(frozen=True, slots=True)
class RetryConfig:
    """How hard one call tries before giving up."""

    max_attempts: int = 5
    base_delay_s: float = 0.25
    max_delay_s: float = 8.0
    # Cap on all sleeping one call may do (backoff and Retry-After), so a job never stalls
    # for minutes on one resource; a longer Retry-After fails fast as RateLimited.
    max_sleep_s: float = 30.0
    # Pause after a 429 that names no Retry-After (Ticketmaster, setlist.fm).
    default_retry_after_s: float = 1.0


@dataclass(frozen=True, slots=True)
class BreakerConfig:
    """When the circuit opens and how long it stays open."""

    failure_threshold: int = 5
    cooldown_s: float = 30.0


@dataclass(frozen=True, slots=True)
class ClientConfig:
    """Everything one upstream client needs besides its credentials."""

    name: str
    base_url: str
    windows: tuple[Window, ...] = ()
    timeout_s: float = 10.0
    connect_timeout_s: float = 5.0
    # Added to each window's period: requests leave here but are counted on arrival there,
    # and arrival order jitters by the network's latency variance.
    rate_margin_s: float = 0.05
    retry: RetryConfig = field(default_factory=RetryConfig)
    breaker: BreakerConfig = field(default_factory=BreakerConfig)


class UpstreamSettings(BaseSettings):
    """The upstream part of the sync service's environment, read once at start.

    SPOTIFY_APP_MODE says whether the Spotify app may call the batch endpoints
    (/artists?ids, /albums?ids, /tracks?ids), which answer 403 in development mode:

    - `auto` (default): learn it. The first batch call is the probe; a 403 means
      development mode and one call per id from then on. With a Redis limiter the
      learnt development mode is remembered in Redis for an hour, so other workers
      and restarts make no probe of their own (extended mode needs no memory: its
      probe is an ordinary batch call).
    - `development`: never call a batch endpoint (no probe at all).
    - `extended`: always call the batch endpoints. Should one answer 403 anyway
      (the setting is wrong), the client logs a warning and falls back to one call
      per id for the rest of its life: slower, still correct.
    """

    model_config = SettingsConfigDict(env_file=None, extra="ignore")

    spotify_accounts_url: str = "https://accounts.spotify.com"
    spotify_api_url: str = "https://api.spotify.com/v1"
    spotify_client_id: str
    spotify_client_secret: SecretStr
    spotify_app_mode: SpotifyAppMode = "auto"
    ticketmaster_api_url: str = "https://app.ticketmaster.com/discovery/v2"
    ticketmaster_api_key: SecretStr
    setlistfm_api_url: str = "https://api.setlist.fm/rest/1.0"
    setlistfm_api_key: SecretStr

    # Spotify's rolling 30 s window is unpublished: this budget is ours to tune.
    spotify_rate_limit: str = "180/30s"
    # Apigee's spike arrest as observed: 5 in any second. Should the gateway smooth it
    # (SpikeArrestViolation while under 5/s), "1/200ms,5000/86400s" spaces the calls.
    ticketmaster_rate_limit: str = "5/1s,5000/86400s"
    setlistfm_rate_limit: str = "2/1s,1440/86400s"
    upstream_rate_margin_seconds: float = Field(default=0.05, ge=0)

    upstream_timeout_seconds: float = Field(default=10.0, gt=0)
    upstream_connect_timeout_seconds: float = Field(default=5.0, gt=0)
    upstream_retry_attempts: int = Field(default=5, ge=1)
    upstream_retry_base_delay_seconds: float = Field(default=0.25, ge=0)
    upstream_retry_max_delay_seconds: float = Field(default=8.0, ge=0)
    upstream_retry_max_sleep_seconds: float = Field(default=30.0, ge=0)
    upstream_breaker_failure_threshold: int = Field(default=5, ge=1)
    upstream_breaker_cooldown_seconds: float = Field(default=30.0, gt=0)

    @field_validator("spotify_rate_limit", "ticketmaster_rate_limit", "setlistfm_rate_limit")
    @classmethod
    def _valid_windows(cls, value: str) -> str:
        parse_windows(value)
        return value

    @field_validator("spotify_app_mode", mode="before")
    @classmethod
    def _app_mode_case(cls, value: object) -> object:
        return value.strip().lower() if isinstance(value, str) else value

    @field_validator(
        "spotify_accounts_url", "spotify_api_url", "ticketmaster_api_url", "setlistfm_api_url"
    )
    @classmethod
    def _no_trailing_slash(cls, value: str) -> str:
        return value.rstrip("/")

    def _client(
        self, name: str, base_url: str, limits: str, default_retry_after: float
    ) -> ClientConfig:
        return ClientConfig(
            name=name,
            base_url=base_url,
            windows=parse_windows(limits),
            timeout_s=self.upstream_timeout_seconds,
            connect_timeout_s=self.upstream_connect_timeout_seconds,
            rate_margin_s=self.upstream_rate_margin_seconds,
            retry=RetryConfig(
                max_attempts=self.upstream_retry_attempts,
                base_delay_s=self.upstream_retry_base_delay_seconds,
                max_delay_s=self.upstream_retry_max_delay_seconds,
                max_sleep_s=self.upstream_retry_max_sleep_seconds,
                default_retry_after_s=default_retry_after,
            ),
            breaker=BreakerConfig(
                failure_threshold=self.upstream_breaker_failure_threshold,
                cooldown_s=self.upstream_breaker_cooldown_seconds,
            ),
        )

    def spotify(self) -> ClientConfig:
        """The Web API client's config (the accounts service shares its timeouts)."""
        # Spotify always sends Retry-After; the default only covers a proxy's bare 429.
        return self._client("spotify", self.spotify_api_url, self.spotify_rate_limit, 1.0)

    def ticketmaster(self) -> ClientConfig:
        """The Discovery API client's config."""
        # Spike arrest counts per second: one second clears it.
        return self._client(
            "ticketmaster", self.ticketmaster_api_url, self.ticketmaster_rate_limit, 1.0
        )

    def setlistfm(self) -> ClientConfig:
        """The setlist.fm client's config."""
        # setlist.fm sends no Retry-After; its staff advise backing off about 2 s.
        return self._client("setlistfm", self.setlistfm_api_url, self.setlistfm_rate_limit, 2.0)
