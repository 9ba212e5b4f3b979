"""Build the three clients from settings, sharing one Redis for their rate limiters."""

from __future__ import annotations

from dataclasses import dataclass
from types import TracebackType
from typing import Any, Self

from redis.asyncio import Redis

from services.sync.upstreams.config import ClientConfig, UpstreamSettings
from services.sync.upstreams.http import EtagCache, UpstreamClient
from services.sync.upstreams.ratelimit import MemoryRateLimiter, RateLimiter, RedisRateLimiter
from services.sync.upstreams.setlistfm import SetlistFmClient
from services.sync.upstreams.spotify import SpotifyClient
from services.sync.upstreams.ticketmaster import TicketmasterClient

__all__ = ["Upstreams", "build_upstreams"]


@dataclass
class Upstreams:
    """The three clients of one worker process."""

    spotify: SpotifyClient
    ticketmaster: TicketmasterClient
    setlistfm: SetlistFmClient

    @property
    def clients(self) -> tuple[UpstreamClient, ...]:
        """The three clients in a fixed order."""
        return (self.spotify, self.ticketmaster, self.setlistfm)

    def status(self) -> list[dict[str, Any]]:
        """Every client's counters and breaker state, for GetUpstreamStatus and metrics."""
        return [client.status() for client in self.clients]

    async def aclose(self) -> None:
        """Close all connection pools."""
        for client in self.clients:
            await client.aclose()

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.aclose()


def _limiter(redis: Redis | None, config: ClientConfig) -> RateLimiter:
    if redis is None:
        return MemoryRateLimiter(config.name, config.windows, config.rate_margin_s)
    return RedisRateLimiter(redis, config.name, config.windows, config.rate_margin_s)


def build_upstreams(
    settings: UpstreamSettings,
    redis: Redis | None = None,
    *,
    etag_cache: EtagCache | None = None,
) -> Upstreams:
    """The clients; with `redis` their limiters are shared with every other worker on it."""
    spotify, ticketmaster, setlistfm = (
        settings.spotify(),
        settings.ticketmaster(),
        settings.setlistfm(),
    )
    return Upstreams(
        spotify=SpotifyClient(
            spotify,
            _limiter(redis, spotify),
            etag_cache=etag_cache,
            accounts_url=settings.spotify_accounts_url,
            client_id=settings.spotify_client_id,
            client_secret=settings.spotify_client_secret.get_secret_value(),
            app_mode=settings.spotify_app_mode,
        ),
        ticketmaster=TicketmasterClient(
            ticketmaster,
            _limiter(redis, ticketmaster),
            api_key=settings.ticketmaster_api_key.get_secret_value(),
        ),
        setlistfm=SetlistFmClient(
            setlistfm,
            _limiter(redis, setlistfm),
            api_key=settings.setlistfm_api_key.get_secret_value(),
        ),
    )
