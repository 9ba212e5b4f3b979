"""Catalog read throughput against a bare grpc.aio echo server (DESIGN.md §8, "Reads").

    PYTHONPATH=.:gen .venv/bin/python bench/catalog_reads.py [--seconds 5] [--concurrency 32] [--channels 1]

Seeds one artist with songs, venues and ~200 shows, then drives, for --seconds
each, with --concurrency requests in flight over --channels channels:

  echo/artist   bare server answering with a stored GetArtistResponse
  GetArtist     by id, served from the catalog's cache
  echo/show     bare server answering with a stored GetShowResponse
  GetShow       cycling over every show by id, cached (every show is read once first)
  echo/list     bare server answering with a stored ListShowsResponse (50 shows)
  ListShows     artist filter, page_size 50, each client walking the pages (database)

Both servers run in their own process; the client is this process. The echo
calls go through the same channel code and deserialize the same message type
and size, so the only difference is what the server does. Target: cached
GetArtist and GetShow at >= 0.5x their echo's QPS.
"""

from __future__ import annotations

import asyncio
import itertools
import sys

from _lib import harness  # sets up sys.path for the project imports below
from mysetlist.catalog.v1 import catalog_pb2 as api
from mysetlist.catalog.v1 import catalog_pb2_grpc

from shared.auth import Role, mint_token
from shared.grpc.channel import create_channel
from tests.catalog.builders import World, future, uid

SHOWS = 200
VENUES = 10
SONGS = 40
PAGE_SIZE = 50
TARGET_RATIO = 0.5


async def seed(target: str) -> tuple[str, list[str]]:
    """One artist, its songs, venues and shows; returns (artist id, show ids)."""
    channel = create_channel(target, token=mint_token(harness.SECRET, "bench-sync", [Role.SERVICE]))
    try:
        service = catalog_pb2_grpc.CatalogServiceStub(channel)
        world = World(service)
        artist = await world.artist(
            f"Bench Artist {uid()}",
            genres=["indie rock", "alternative", "post-punk"],
            image_url=f"https://i.scdn.co/image/ab6761610000e5eb{uid()}{uid()}",
            popularity=71,
            spotify_followers=1_234_567,
        )
        await world.songs(artist, [f"Song number {n}" for n in range(SONGS)])
        venues = [
            await world.venue(f"Venue {n}", city=f"City {n}", country_code="US", state="CA")
            for n in range(VENUES)
        ]
        shows = [
            api.ShowInput(
                ticketmaster_id=f"G5v{uid()}",
                name=f"{artist.name} live, night {n}",
                venue_id=venues[n % VENUES],
                artist_ids=[artist.id],
                local_date=future(1 + n),
                local_time="20:00:00",
                ticket_url=f"https://www.ticketmaster.com/event/{uid()}",
            )
            for n in range(SHOWS)
        ]
        show_ids: list[str] = []
        for start in range(0, SHOWS, 100):
            response = await service.BatchUpsertShows(
                api.BatchUpsertShowsRequest(shows=shows[start : start + 100])
            )
            show_ids += response.show_ids
        return artist.id, show_ids
    finally:
        await channel.close()


async def samples(target: str, artist_id: str, show_id: str) -> dict[str, bytes]:
    """Real responses, stored for the echo server to send back."""
    channel = create_channel(target)
    try:
        stub = catalog_pb2_grpc.CatalogServiceStub(channel)
        artist = await stub.GetArtist(api.GetArtistRequest(artist=artist_id))
        show = await stub.GetShow(api.GetShowRequest(show=show_id))
        page = await stub.ListShows(api.ListShowsRequest(artist_id=artist_id, page_size=PAGE_SIZE))
        assert len(page.shows) == PAGE_SIZE, len(page.shows)
        return {
            "GetArtist": artist.SerializeToString(),
            "GetShow": show.SerializeToString(),
            "ListShows": page.SerializeToString(),
        }
    finally:
        await channel.close()


async def prime(target: str, artist_id: str, show_ids: list[str]) -> None:
    """Reads the artist and every show once, so the runs below measure the cache, not its fill.

    Done twice, a feed poll apart: the catalog's change-feed follower may drop shows
    the first pass cached when it meets the seeding's show_created events.
    """
    channel = create_channel(target)
    try:
        stub = catalog_pb2_grpc.CatalogServiceStub(channel)
        for attempt in range(2):
            if attempt:
                await asyncio.sleep(1.0)
            await stub.GetArtist(api.GetArtistRequest(artist=artist_id))
            await asyncio.gather(*(stub.GetShow(api.GetShowRequest(show=s)) for s in show_ids))
    finally:
        await channel.close()


def _workers(channels, concurrency, make):
    """`concurrency` call functions, spread round-robin over the channels."""
    return [make(n, channels[n % len(channels)]) for n in range(concurrency)]


async def measure(
    args, catalog: harness.ServerProcess, echo: harness.ServerProcess, artist_id, show_ids
):
    catalog_channels = [create_channel(catalog.target) for _ in range(args.channels)]
    echo_channels = [create_channel(echo.target) for _ in range(args.channels)]

    def echo_call(channel, name, request_type, response_type):
        return channel.unary_unary(
            f"/bench.Echo/{name}",
            request_serializer=request_type.SerializeToString,
            response_deserializer=response_type.FromString,
        )

    artist_request = api.GetArtistRequest(artist=artist_id)
    show_requests = [api.GetShowRequest(show=s) for s in show_ids]

    def get_artist(stub_for):
        def make(n, channel):
            call = stub_for(channel)
            return lambda: call(artist_request)

        return make

    def get_show(stub_for):
        def make(n, channel):
            call = stub_for(channel)
            requests = itertools.cycle(
                show_requests[n % len(show_requests) :] + show_requests[: n % len(show_requests)]
            )
            return lambda: call(next(requests))

        return make

    def list_shows(stub_for):
        def make(n, channel):
            call = stub_for(channel)
            token = ""

            async def page():
                nonlocal token
                response = await call(
                    api.ListShowsRequest(artist_id=artist_id, page_size=PAGE_SIZE, page_token=token)
                )
                token = response.next_page_token
                return response

            return page

        return make

    catalog_stub = lambda name: lambda ch: getattr(catalog_pb2_grpc.CatalogServiceStub(ch), name)  # noqa: E731
    plan = [
        (
            "echo/artist",
            echo,
            echo_channels,
            get_artist(
                lambda ch: echo_call(ch, "GetArtist", api.GetArtistRequest, api.GetArtistResponse)
            ),
        ),
        ("GetArtist", catalog, catalog_channels, get_artist(catalog_stub("GetArtist"))),
        (
            "echo/show",
            echo,
            echo_channels,
            get_show(lambda ch: echo_call(ch, "GetShow", api.GetShowRequest, api.GetShowResponse)),
        ),
        ("GetShow", catalog, catalog_channels, get_show(catalog_stub("GetShow"))),
        (
            "echo/list",
            echo,
            echo_channels,
            list_shows(
                lambda ch: echo_call(ch, "ListShows", api.ListShowsRequest, api.ListShowsResponse)
            ),
        ),
        ("ListShows", catalog, catalog_channels, list_shows(catalog_stub("ListShows"))),
    ]
    runs = {}
    try:
        for name, server, channels, make in plan:
            print(f"  {name} ...", flush=True)
            runs[name] = await harness.drive(
                name,
                _workers(channels, args.concurrency, make),
                seconds=args.seconds,
                warmup=args.warmup,
                server_pid=server.pid,
            )
    finally:
        for channel in catalog_channels + echo_channels:
            await channel.close()
    return runs


def report(args, runs) -> bool:
    echo_for = {"GetArtist": "echo/artist", "GetShow": "echo/show", "ListShows": "echo/list"}
    rows = []
    passed = True
    for name, run in runs.items():
        ratio = cpu_ratio = ""
        if name in echo_for:
            echo = runs[echo_for[name]]
            value = run.qps / echo.qps if echo.qps else 0.0
            ratio = f"{value:.2f}"
            cpu_ratio = f"{echo.server_ms_per_call / run.server_ms_per_call:.2f}"
            if name in ("GetArtist", "GetShow"):
                ok = value >= TARGET_RATIO
                passed &= ok
                ratio += "  ok" if ok else f"  BELOW {TARGET_RATIO}"
        rows.append(
            [
                name,
                run.qps,
                run.percentile_ms(0.50),
                run.percentile_ms(0.99),
                f"{run.server_cpu:.2f}",
                f"{run.client_cpu:.2f}",
                f"{run.other_cpu:.2f}",
                f"{run.server_ms_per_call:.3f}",
                sum(run.errors.values()),
                ratio,
                cpu_ratio,
            ]
        )
    print()
    print(
        f"catalog reads: {args.seconds:g} s per call, {args.concurrency} in flight over "
        f"{args.channels} channel(s), catalog LOG_LEVEL={args.log_level}; {harness.machine()}"
    )
    print(
        harness.table(
            [
                "call",
                "QPS",
                "p50 ms",
                "p99 ms",
                "server CPU",
                "client CPU",
                "other CPU",
                "server CPU ms/call",
                "errors",
                "x echo QPS",
                "x echo (CPU/call)",
            ],
            rows,
        )
    )
    for name, run in runs.items():
        if run.errors:
            print(f"  {name} errors: {dict(run.errors)}")
    print(
        "CPU columns: cores busy per wall second (1.00 = one full core); 'other' is every other "
        "process on the machine (PostgreSQL, and anything else running: if it is high for an echo "
        "row, the machine was shared and the figures are noisy). 'x echo (CPU/call)' is the echo's "
        "server CPU per call over the call's: the QPS ratio to expect when the server, not the "
        "client or a neighbour, is the limit.\n"
        f"Target: cached GetArtist and GetShow >= {TARGET_RATIO}x echo QPS: "
        + ("met" if passed else "NOT met")
    )
    return passed


async def main_async(args) -> bool:
    with harness.database("bench_reads") as url:
        harness.migrate(url)
        with harness.catalog_server(url, log_level=args.log_level) as catalog:
            print("seeding ...", flush=True)
            artist_id, show_ids = await seed(catalog.target)
            payloads = await samples(catalog.target, artist_id, show_ids[0])
            await prime(catalog.target, artist_id, show_ids)
            with harness.echo_server(payloads) as echo:
                runs = await measure(args, catalog, echo, artist_id, show_ids)
    return report(args, runs)


def main() -> None:
    parser = harness.base_arguments(__doc__.splitlines()[0], seconds=5, concurrency=32, channels=1)
    parser.add_argument(
        "--check",
        action="store_true",
        help="exit 1 when the target is not met (default: only report)",
    )
    args = parser.parse_args()
    passed = asyncio.run(main_async(args))
    if args.check and not passed:
        sys.exit(1)


if __name__ == "__main__":
    main()
