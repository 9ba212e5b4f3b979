"""HTTP clients for Spotify, Ticketmaster and setlist.fm: paced, retried, guarded, redacted.

`build_upstreams(UpstreamSettings(), redis)` gives one worker its three clients.
"""

from services.sync.upstreams.breaker import BreakerState, CircuitBreaker
from services.sync.upstreams.config import (
    BreakerConfig,
    ClientConfig,
    RetryConfig,
    SpotifyAppMode,
    UpstreamSettings,
    Window,
    parse_windows,
)
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
from services.sync.upstreams.factory import Upstreams, build_upstreams
from services.sync.upstreams.http import JsonResponse, MemoryEtagCache, UpstreamClient, fingerprint
from services.sync.upstreams.ratelimit import MemoryRateLimiter, RateLimiter, RedisRateLimiter
from services.sync.upstreams.setlistfm import SetlistFmClient, sets_of
from services.sync.upstreams.spotify import SpotifyClient
from services.sync.upstreams.ticketmaster import TicketmasterClient

__all__ = [
    "AuthError",
    "BadResponse",
    "BreakerConfig",
    "BreakerState",
    "CircuitBreaker",
    "CircuitOpen",
    "ClientConfig",
    "Forbidden",
    "JsonResponse",
    "MemoryEtagCache",
    "MemoryRateLimiter",
    "NotFound",
    "RateLimited",
    "RateLimiter",
    "RedisRateLimiter",
    "Rejected",
    "RetryConfig",
    "SetlistFmClient",
    "SpotifyAppMode",
    "SpotifyClient",
    "TicketmasterClient",
    "Unavailable",
    "UpstreamClient",
    "UpstreamError",
    "UpstreamSettings",
    "Upstreams",
    "Window",
    "build_upstreams",
    "fingerprint",
    "parse_windows",
    "sets_of",
]
