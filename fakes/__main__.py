"""`python -m fakes --port-base 8701`: serve the fakes until interrupted, printing their env."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import signal
import sys
from pathlib import Path

from fakes.dataset import DEMO_DIR, Dataset
from fakes.ratelimit import Limit
from fakes.server import FakeUpstreams
from fakes.setlistfm import SetlistFmConfig
from fakes.spotify import SpotifyConfig
from fakes.ticketmaster import TicketmasterConfig


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    """Command-line options."""
    parser = argparse.ArgumentParser(prog="python -m fakes", description=__doc__)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument(
        "--port-base",
        type=int,
        default=0,
        help="Spotify on this port, Ticketmaster on +1, setlist.fm on +2 (0: any free ports)",
    )
    parser.add_argument("--data", type=Path, default=DEMO_DIR, help="dataset directory")
    parser.add_argument("--spotify-mode", choices=("development", "extended"), default="extended")
    parser.add_argument("--no-limits", action="store_true", help="turn every rate limit off")
    return parser.parse_args(argv)


async def serve(args: argparse.Namespace) -> None:
    """Start the fakes, print `KEY=value` lines, wait for SIGINT or SIGTERM."""
    spotify = SpotifyConfig(mode=args.spotify_mode)
    ticketmaster = TicketmasterConfig()
    setlistfm = SetlistFmConfig()
    if args.no_limits:
        spotify.rate_limit = Limit.off()
        ticketmaster.per_second = ticketmaster.per_day = Limit.off()
        setlistfm.per_second = setlistfm.per_day = Limit.off()
    base = args.port_base
    ports = (base, base + 1, base + 2) if base else (0, 0, 0)
    fakes = FakeUpstreams(
        Dataset.load(args.data),
        host=args.host,
        ports=ports,
        spotify=spotify,
        ticketmaster=ticketmaster,
        setlistfm=setlistfm,
    )
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(NotImplementedError):
            loop.add_signal_handler(sig, stop.set)
    async with fakes:
        for key, value in fakes.env().items():
            print(f"{key}={value}")
        sys.stdout.flush()
        await stop.wait()


def main(argv: list[str] | None = None) -> None:
    """Entry point."""
    asyncio.run(serve(parse_args(argv)))


if __name__ == "__main__":
    main()
