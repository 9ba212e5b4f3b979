"""Vote throughput with exact tallies (DESIGN.md §8, "Votes").

    PYTHONPATH=.:gen .venv/bin/python bench/catalog_votes.py [--seconds 10] [--users 200] [--channels 4]

Seeds one predicted setlist of 20 songs on an upcoming show. --users simulated
fans (each with its own token, one request in flight each, spread over
--channels channels) pick a random song again and again: a song they have not
voted for gets a CastVote; one they have gets a RetractVote half the time and a
repeated CastVote (an idempotent no-op) otherwise.

Each fan knows its own vote on every song, so the harness knows every state
change the server acknowledged. A call that fails is retried (the same
idempotent call) until acknowledged before the fan moves on, so the outcome
stays exact. At the end it checks that

  - GetSetlist's upvotes for each song equal the fans who hold a vote on it,
  - the vote rows in the database say the same,
  - the outbox holds exactly one vote_cast / vote_retracted per state change,
  - StreamEvents from sequence 0 delivers them all, in order, none twice.

Target: >= 1,500 votes/s (acknowledged CastVote + RetractVote calls) sustained,
with every check OK. The catalog runs in its own process, PostgreSQL in its own;
the client (this process) shares the same 2 cores, so its CPU is reported too.
"""

from __future__ import annotations

import asyncio
import contextlib
import random
import sys
from collections import Counter
from dataclasses import dataclass, field

import asyncpg
import grpc
from _lib import harness  # sets up sys.path for the project imports below
from mysetlist.catalog.v1 import catalog_pb2 as api
from mysetlist.catalog.v1 import catalog_pb2_grpc

from shared.auth import Role, mint_token
from shared.grpc.channel import create_channel
from tests.catalog.builders import World
from tests.support.servers import asyncpg_dsn

SONGS = 20
RETRACT_SHARE = 0.5
TARGET_VOTES_PER_SECOND = 1500


@dataclass
class Fan:
    """One simulated user: its token and its own view of its votes."""

    subject: str
    metadata: tuple[tuple[str, str], ...]
    cast_stub: object
    retract_stub: object
    voted: list[bool]
    pending: tuple[bool, int] | None = None  # (cast?, song) of a call not yet acknowledged


@dataclass
class Tally:
    casts_changed: Counter[int] = field(default_factory=Counter)
    retracts_changed: Counter[int] = field(default_factory=Counter)
    noop_casts: int = 0
    acknowledged: int = 0
    failed_attempts: Counter[str] = field(default_factory=Counter)
    wrong_responses: int = 0


async def seed(target: str) -> tuple[str, list[str]]:
    """A predicted setlist of SONGS songs; returns (setlist id, setlist song ids)."""
    channel = create_channel(target, token=mint_token(harness.SECRET, "bench-sync", [Role.SERVICE]))
    try:
        world = World(catalog_pb2_grpc.CatalogServiceStub(channel))
        _, _, _, setlist = await world.voting_setup([f"Song {n}" for n in range(SONGS)])
        return setlist.id, [entry.id for entry in setlist.songs]
    finally:
        await channel.close()


def make_fan_call(fan: Fan, entries: list[str], tally: Tally, rng: random.Random):
    async def one_vote() -> None:
        if fan.pending is None:
            song = rng.randrange(len(entries))
            cast = not fan.voted[song] or rng.random() >= RETRACT_SHARE
            fan.pending = (cast, song)
        cast, song = fan.pending
        stub = fan.cast_stub if cast else fan.retract_stub
        request = (api.CastVoteRequest if cast else api.RetractVoteRequest)(
            setlist_song_id=entries[song]
        )
        try:
            response = await stub(request, metadata=fan.metadata)
        except grpc.aio.AioRpcError as error:
            tally.failed_attempts[error.code().name] += 1
            raise  # pending stays: the same call is retried next time
        fan.pending = None
        tally.acknowledged += 1
        if response.voted != cast or response.setlist_song_id != entries[song]:
            tally.wrong_responses += 1
        if cast and not fan.voted[song]:
            tally.casts_changed[song] += 1
        elif cast:
            tally.noop_casts += 1
        else:  # a retraction is only chosen for a song the fan has voted for
            tally.retracts_changed[song] += 1
        fan.voted[song] = cast

    return one_vote


async def settle(fans: list[Fan], calls) -> None:
    """Retry every call still unacknowledged, so each fan's state is known."""
    for fan, call in zip(fans, calls, strict=True):
        for _ in range(20):
            if fan.pending is None:
                break
            try:
                await call()
            except grpc.aio.AioRpcError:
                await asyncio.sleep(0.5)
        if fan.pending is not None:
            raise RuntimeError(f"{fan.subject}: a vote call never succeeded")


async def feed_counts(
    target: str, upto: int, timeout: float = 60
) -> tuple[Counter[str], list[str]]:
    """StreamEvents from 0 until sequence `upto`: event kinds seen, and any ordering problems."""
    channel = create_channel(target, token=mint_token(harness.SECRET, "bench-feed", [Role.SERVICE]))
    kinds: Counter[str] = Counter()
    problems: list[str] = []
    last = 0
    try:
        stub = catalog_pb2_grpc.CatalogServiceStub(channel)
        stream = stub.StreamEvents(api.StreamEventsRequest(after_sequence=0), timeout=timeout)
        async for response in stream:
            event = response.event
            if event.sequence <= last:
                problems.append(f"sequence {event.sequence} after {last}")
            last = event.sequence
            kinds[event.WhichOneof("payload")] += 1
            if last >= upto:
                break
        stream.cancel()
    except grpc.aio.AioRpcError as error:
        problems.append(f"StreamEvents ended with {error.code().name} at sequence {last} of {upto}")
    finally:
        await channel.close()
    return kinds, problems


async def verify(
    url: str, target: str, setlist_id: str, entries: list[str], fans: list[Fan], tally: Tally
):
    """The checks; returns (lines to print, all passed)."""
    lines: list[str] = []
    ok = True
    expected = [sum(fan.voted[n] for fan in fans) for n in range(len(entries))]
    for n in range(len(entries)):
        # Sanity of the harness itself: per-song net changes = votes held.
        assert tally.casts_changed[n] - tally.retracts_changed[n] == expected[n]

    channel = create_channel(target)
    try:
        setlist = (
            await catalog_pb2_grpc.CatalogServiceStub(channel).GetSetlist(
                api.GetSetlistRequest(setlist_id=setlist_id)
            )
        ).setlist
    finally:
        await channel.close()
    served = {entry.id: entry.upvotes for entry in setlist.songs}
    wrong = [
        (n, served.get(e), expected[n])
        for n, e in enumerate(entries)
        if served.get(e) != expected[n]
    ]
    ok &= not wrong
    lines.append(
        f"GetSetlist upvotes = votes held, all {len(entries)} songs: "
        + ("OK" if not wrong else f"FAILED (song, served, expected): {wrong}")
    )

    conn = await asyncpg.connect(asyncpg_dsn(url))
    try:
        rows = await conn.fetch(
            "SELECT setlist_song_id::text AS id, count(*) AS n FROM catalog.vote "
            "WHERE setlist_song_id = ANY($1::uuid[]) GROUP BY 1",
            entries,
        )
        stored = {row["id"]: row["n"] for row in rows}
        wrong_rows = [
            (n, stored.get(e, 0), expected[n])
            for n, e in enumerate(entries)
            if stored.get(e, 0) != expected[n]
        ]
        ok &= not wrong_rows
        lines.append(
            "vote rows = votes held: "
            + ("OK" if not wrong_rows else f"FAILED (song, rows, expected): {wrong_rows}")
        )
        outbox = {
            row["type"]: row["n"]
            for row in await conn.fetch(
                "SELECT type, count(*) AS n FROM catalog.outbox_event "
                "WHERE payload->>'setlist_id' = $1 GROUP BY type",
                setlist_id,
            )
        }
        last_sequence = await conn.fetchval(
            "SELECT coalesce(max(sequence), 0) FROM catalog.outbox_event"
        )
    finally:
        await conn.close()

    want = {
        "vote_cast": sum(tally.casts_changed.values()),
        "vote_retracted": sum(tally.retracts_changed.values()),
    }
    got = {kind: outbox.get(kind, 0) for kind in want}
    ok &= got == want
    lines.append(
        f"outbox events = state changes ({want['vote_cast']:,} casts, {want['vote_retracted']:,} retractions): "
        + ("OK" if got == want else f"FAILED, outbox has {got}")
    )

    kinds, problems = await feed_counts(target, last_sequence)
    streamed = {kind: kinds.get(kind, 0) for kind in want}
    feed_ok = streamed == want and not problems
    ok &= feed_ok
    lines.append(
        f"StreamEvents from 0 to {last_sequence:,}: "
        + ("OK" if feed_ok else f"FAILED, streamed {streamed}; {problems[:5]}")
    )
    return lines, ok


SESSIONS_SQL = "SELECT sessions FROM pg_stat_database WHERE datname = current_database()"


async def sample_database(
    url: str, stop: asyncio.Event, every: float = 0.1
) -> tuple[Counter[str], int]:
    """What the catalog's database sessions are doing, sampled during the run, and how many
    connections were opened meanwhile (PostgreSQL >= 14 counts them)."""
    seen: Counter[str] = Counter()
    conn = await asyncpg.connect(asyncpg_dsn(url))
    try:
        sessions_before = await conn.fetchval(SESSIONS_SQL)
        while not stop.is_set():
            for row in await conn.fetch(
                "SELECT state, wait_event_type, wait_event FROM pg_stat_activity "
                "WHERE datname = current_database() AND pid <> pg_backend_pid() "
                "AND backend_type = 'client backend'"
            ):
                if row["state"] == "active":
                    what = (
                        f"active, waiting on {row['wait_event_type']}:{row['wait_event']}"
                        if row["wait_event"]
                        else "active, running"
                    )
                else:
                    what = str(row["state"])  # idle, idle in transaction
                seen[what] += 1
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), every)
        opened = await conn.fetchval(SESSIONS_SQL) - sessions_before
    finally:
        await conn.close()
    return seen, opened


async def main_async(args) -> bool:
    with harness.database("bench_votes") as url:
        harness.migrate(url)
        with harness.catalog_server(url, log_level=args.log_level) as catalog:
            print("seeding ...", flush=True)
            setlist_id, entries = await seed(catalog.target)
            channels = [create_channel(catalog.target) for _ in range(args.channels)]
            try:
                tally = Tally()
                rng = random.Random(args.seed)
                fans = []
                for n in range(args.users):
                    stub = catalog_pb2_grpc.CatalogServiceStub(channels[n % len(channels)])
                    subject = f"bench-fan-{n}"
                    token = mint_token(harness.SECRET, subject, [Role.USER])
                    fans.append(
                        Fan(
                            subject,
                            (("authorization", f"Bearer {token}"),),
                            stub.CastVote,
                            stub.RetractVote,
                            [False] * len(entries),
                        )
                    )
                calls = [make_fan_call(fan, entries, tally, rng) for fan in fans]
                print(
                    f"voting: {args.users} fans for {args.warmup:g} + {args.seconds:g} s ...",
                    flush=True,
                )
                stop_sampling = asyncio.Event()
                sampler = asyncio.create_task(sample_database(url, stop_sampling))
                run = await harness.drive(
                    "votes", calls, seconds=args.seconds, warmup=args.warmup, server_pid=catalog.pid
                )
                stop_sampling.set()
                sessions, connections_opened = await sampler
                await settle(fans, calls)
            finally:
                for channel in channels:
                    await channel.close()
            print("checking ...", flush=True)
            lines, ok = await verify(url, catalog.target, setlist_id, entries, fans, tally)
            ok &= tally.wrong_responses == 0

    changes = sum(tally.casts_changed.values()) + sum(tally.retracts_changed.values())
    change_share = changes / tally.acknowledged if tally.acknowledged else 0.0
    print()
    print(
        f"catalog votes: {args.seconds:g} s measured after {args.warmup:g} s warm-up, {args.users} fans "
        f"over {args.channels} channel(s), {len(entries)} songs, catalog LOG_LEVEL={args.log_level}; {harness.machine()}"
    )
    print(
        harness.table(
            [
                "",
                "votes/s",
                "p50 ms",
                "p99 ms",
                "server CPU",
                "client CPU",
                "other CPU",
                "server CPU ms/vote",
                "failed calls",
            ],
            [
                [
                    "CastVote+RetractVote",
                    run.qps,
                    run.percentile_ms(0.50),
                    run.percentile_ms(0.99),
                    f"{run.server_cpu:.2f}",
                    f"{run.client_cpu:.2f}",
                    f"{run.other_cpu:.2f}",
                    f"{run.server_ms_per_call:.2f}",
                    sum(run.errors.values()),
                ]
            ],
        )
    )
    print(
        f"{tally.acknowledged:,} calls acknowledged in all; {change_share:.0%} changed a vote "
        f"(~{run.qps * change_share:,.0f} state changes/s), {tally.noop_casts:,} were repeated casts"
    )
    if run.server_ms_per_call == run.server_ms_per_call:  # not NaN
        print(
            f"at {run.server_ms_per_call:.2f} ms of server CPU per vote, one catalog process with a "
            f"whole core to itself tops out near {1000 / run.server_ms_per_call:,.0f} votes/s"
        )
    if tally.failed_attempts:
        print(f"failed attempts (retried until acknowledged): {dict(tally.failed_attempts)}")
    if tally.wrong_responses:
        print(f"responses with the wrong voted flag or id: {tally.wrong_responses}")
    samples = sum(sessions.values())
    if samples:
        print(
            f"catalog's PostgreSQL sessions during the run ({connections_opened:,} connections "
            f"opened in {args.warmup + args.seconds:g} s; share of samples):"
        )
        for what, n in sessions.most_common(6):
            print(f"  {n / samples:6.1%}  {what}")
    for line in lines:
        print("  " + line)
    met = run.qps >= TARGET_VOTES_PER_SECOND
    print(f"tally check: {'OK' if ok else 'FAILED'}")
    print(
        f"Target: >= {TARGET_VOTES_PER_SECOND:,} votes/s with exact tallies: "
        + ("met" if met and ok else "NOT met")
        + ". CPU columns: cores busy per wall second; 'other' is PostgreSQL plus anything else on the machine."
    )
    return ok, met


def main() -> None:
    parser = harness.base_arguments(
        __doc__.splitlines()[0], seconds=10, concurrency=200, channels=4
    )
    parser.add_argument(
        "--users", type=int, default=None, help="simulated fans (default: --concurrency, 200)"
    )
    parser.add_argument("--seed", type=int, default=1, help="random seed for the fans' choices")
    parser.add_argument(
        "--check", action="store_true", help="also exit 1 when the throughput target is missed"
    )
    args = parser.parse_args()
    args.users = args.users or args.concurrency
    ok, met = asyncio.run(main_async(args))
    # A wrong tally is a bug, always a failure; a slow machine is only reported unless --check.
    if not ok or (args.check and not met):
        sys.exit(1)


if __name__ == "__main__":
    main()
