"""Run the three fakes on loopback: `FakeUpstreams` for tests, `python -m fakes` standalone."""

from __future__ import annotations

from types import TracebackType
from typing import Any

from aiohttp import web

from fakes.dataset import Dataset
from fakes.setlistfm import FakeSetlistFm, SetlistFmConfig
from fakes.spotify import FakeSpotify, SpotifyConfig
from fakes.ticketmaster import FakeTicketmaster, TicketmasterConfig
from fakes.upstream import FakeUpstream


class FakeUpstreams:
    """Spotify, Ticketmaster and setlist.fm fakes on 127.0.0.1, started in the running loop.

    Usage: `async with FakeUpstreams() as fakes: client(env=fakes.env())`. Each
    handle (`.spotify`, `.ticketmaster`, `.setlistfm`) has `.config` (mutable
    while running) and `.stats`.
    """

    def __init__(
        self,
        dataset: Dataset | None = None,
        *,
        host: str = "127.0.0.1",
        ports: tuple[int, int, int] = (0, 0, 0),
        spotify: SpotifyConfig | None = None,
        ticketmaster: TicketmasterConfig | None = None,
        setlistfm: SetlistFmConfig | None = None,
    ) -> None:
        self.dataset = dataset if dataset is not None else Dataset.demo()
        self.host = host
        self.spotify = FakeSpotify(self.dataset, spotify or SpotifyConfig())
        self.ticketmaster = FakeTicketmaster(self.dataset, ticketmaster or TicketmasterConfig())
        self.setlistfm = FakeSetlistFm(self.dataset, setlistfm or SetlistFmConfig())
        self._wanted_ports = ports
        self._runners: list[web.AppRunner] = []
        self.ports: dict[str, int] = {}

    @property
    def upstreams(self) -> tuple[FakeUpstream[Any], ...]:
        """The three fakes in a fixed order."""
        return (self.spotify, self.ticketmaster, self.setlistfm)

    async def start(self) -> None:
        """Bind and serve all three; ports of 0 are chosen by the OS."""
        try:
            for upstream, port in zip(self.upstreams, self._wanted_ports, strict=True):
                runner = web.AppRunner(upstream.build_app(), access_log=None)
                await runner.setup()
                self._runners.append(runner)
                site = web.TCPSite(runner, self.host, port)
                await site.start()
                self.ports[upstream.name] = runner.addresses[0][1]
        except BaseException:
            await self.stop()
            raise

    async def stop(self) -> None:
        """Stop serving and release the ports."""
        while self._runners:
            await self._runners.pop().cleanup()

    async def __aenter__(self) -> FakeUpstreams:
        await self.start()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.stop()

    def base_url(self, name: str) -> str:
        """http://host:port of one fake."""
        return f"http://{self.host}:{self.ports[name]}"

    def env(self) -> dict[str, str]:
        """The environment variables (DESIGN.md §6) that point a client at these fakes."""
        return upstream_env(
            self.host,
            (self.ports["spotify"], self.ports["ticketmaster"], self.ports["setlistfm"]),
            self.spotify.config,
            self.ticketmaster.config,
            self.setlistfm.config,
        )

    def reset_stats(self) -> None:
        """Zero every counter on all three fakes."""
        for upstream in self.upstreams:
            upstream.stats.reset()

    def reset_limits(self) -> None:
        """Forget rate-limit history on all three fakes."""
        for upstream in self.upstreams:
            upstream.reset_limits()


def upstream_env(
    host: str,
    ports: tuple[int, int, int],
    spotify: SpotifyConfig | None = None,
    ticketmaster: TicketmasterConfig | None = None,
    setlistfm: SetlistFmConfig | None = None,
) -> dict[str, str]:
    """The DESIGN.md §6 variables for fakes on these (Spotify, Ticketmaster, setlist.fm) ports."""
    spotify, ticketmaster, setlistfm = (
        spotify or SpotifyConfig(),
        ticketmaster or TicketmasterConfig(),
        setlistfm or SetlistFmConfig(),
    )
    sp, tm, sf = (f"http://{host}:{port}" for port in ports)
    return {
        "SPOTIFY_ACCOUNTS_URL": sp,
        "SPOTIFY_API_URL": f"{sp}/v1",
        "SPOTIFY_CLIENT_ID": spotify.client_id,
        "SPOTIFY_CLIENT_SECRET": spotify.client_secret,
        "TICKETMASTER_API_URL": f"{tm}/discovery/v2",
        "TICKETMASTER_API_KEY": ticketmaster.api_key,
        "SETLISTFM_API_URL": f"{sf}/rest/1.0",
        "SETLISTFM_API_KEY": setlistfm.api_key,
    }
