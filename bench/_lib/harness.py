"""Shared pieces of the benchmarks: a database, servers in subprocesses, a load driver.

Not a benchmark itself: it lives in a folder so `make bench` (bench/*.py) skips it.

Servers run in their own processes so that the client's event loop and GIL do
not share a core with the server's: on this 2-core machine the client then has
one core and the server the other (PostgreSQL takes from both). The bare echo
server used as the yardstick runs the same way, on the same interpreter, so a
ratio between the two compares like with like.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import math
import os
import signal
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Awaitable, Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
# Runnable as `python bench/x.py` without PYTHONPATH too.
for _path in (ROOT / "gen", ROOT):
    if str(_path) not in sys.path:
        sys.path.insert(0, str(_path))

import grpc  # noqa: E402
from grpc_health.v1 import health_pb2, health_pb2_grpc  # noqa: E402

from tests.support.servers import (  # noqa: E402
    PostgresServer,
    drop_database,
    free_port,
    fresh_database,
    sqlalchemy_url,
)

DATABASE_URL_ENV = "MYSETLIST_BENCH_DATABASE_URL"
SECRET = "bench-secret-of-at-least-32-bytes-long!!"
ECHO_SERVER = Path(__file__).with_name("echo_server.py")


def _raise_keyboard_interrupt(signum: int, frame: object) -> None:
    raise KeyboardInterrupt(f"signal {signum}")


# A SIGTERM (CI timeout, `kill`) must still stop the throwaway servers.
signal.signal(signal.SIGTERM, _raise_keyboard_interrupt)


def base_arguments(
    description: str, *, seconds: float, concurrency: int, channels: int
) -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--seconds", type=float, default=seconds, help="measured seconds per run")
    parser.add_argument(
        "--warmup", type=float, default=1.0, help="unmeasured seconds before each run"
    )
    parser.add_argument("--concurrency", type=int, default=concurrency, help="in-flight requests")
    parser.add_argument(
        "--channels", type=int, default=channels, help="client channels to spread them over"
    )
    parser.add_argument(
        "--log-level",
        default="INFO",
        help="the catalog's LOG_LEVEL (INFO, the default deployment, writes one access-log line per RPC)",
    )
    return parser


# Database ---------------------------------------------------------------------


@contextlib.contextmanager
def postgres() -> Iterator[str]:
    """A PostgreSQL server URL: $MYSETLIST_BENCH_DATABASE_URL's, else a throwaway one's."""
    external = os.environ.get(DATABASE_URL_ENV)
    if external:
        yield sqlalchemy_url(external)
        return
    server = PostgresServer()
    print(f"starting a throwaway PostgreSQL (set {DATABASE_URL_ENV} to use yours) ...", flush=True)
    base = server.start()
    try:
        yield base
    finally:
        server.stop()


@contextlib.contextmanager
def scratch_database(base: str, name: str) -> Iterator[str]:
    """A fresh, empty database on the server at `base`, dropped at the end."""
    url = fresh_database(base, name)
    try:
        yield url
    finally:
        drop_database(url)


@contextlib.contextmanager
def database(name: str) -> Iterator[str]:
    """A fresh, empty database: on $MYSETLIST_BENCH_DATABASE_URL's server, else a throwaway one."""
    with postgres() as base, scratch_database(base, name) as url:
        yield url


@contextlib.contextmanager
def redis_server() -> Iterator[str]:
    """A throwaway redis-server (persistence off) the way the tests start one; yields its URL."""
    from tests.support.servers import RedisServer

    server = RedisServer()
    url = server.start()
    try:
        yield url
    finally:
        server.stop()


def migrate(url: str) -> None:
    from services.catalog import server
    from services.catalog.settings import CatalogSettings

    server.migrate(CatalogSettings(database_url=url, environment="test", auth_jwt_secret=SECRET))


# Server subprocesses -------------------------------------------------------------


class ServerProcess:
    """A gRPC server in a child process on a free loopback port, stopped with SIGTERM."""

    def __init__(self, name: str, argv: Sequence[str], env: dict[str, str], port: int) -> None:
        self.name = name
        self.port = port
        self.target = f"127.0.0.1:{port}"
        self._log_dir = tempfile.mkdtemp(prefix=f"mysetlist-bench-{name}-")
        self.log = Path(self._log_dir) / "server.log"
        with open(self.log, "wb") as log:
            self.proc = subprocess.Popen(
                list(argv),
                cwd=ROOT,
                env={**os.environ, "PYTHONPATH": f"{ROOT}{os.pathsep}{ROOT / 'gen'}", **env},
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
            )

    @property
    def pid(self) -> int:
        return self.proc.pid

    def wait_serving(self, timeout: float = 60) -> None:
        deadline = time.monotonic() + timeout
        with grpc.insecure_channel(self.target) as channel:
            stub = health_pb2_grpc.HealthStub(channel)
            while time.monotonic() < deadline:
                if self.proc.poll() is not None:
                    raise RuntimeError(
                        f"{self.name} exited ({self.proc.returncode}):\n{self.tail()}"
                    )
                try:
                    status = stub.Check(health_pb2.HealthCheckRequest(), timeout=1).status
                    if status == health_pb2.HealthCheckResponse.SERVING:
                        return
                except grpc.RpcError:
                    pass
                time.sleep(0.1)
        raise RuntimeError(f"{self.name} not serving after {timeout}s:\n{self.tail()}")

    def tail(self, lines: int = 20) -> str:
        try:
            return "\n".join(self.log.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return "(no log)"

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        with contextlib.suppress(OSError):
            self.log.unlink()
            os.rmdir(self._log_dir)


@contextlib.contextmanager
def catalog_server(
    url: str, *, log_level: str = "INFO", extra_env: dict[str, str] | None = None
) -> Iterator[ServerProcess]:
    """The real catalog entry point (`python -m services.catalog`), as deployed."""
    port = free_port()
    env = {
        "DATABASE_URL": url,
        "CATALOG_ADDR": f"127.0.0.1:{port}",
        "AUTH_JWT_SECRET": SECRET,
        "ENVIRONMENT": "test",
        "LOG_LEVEL": log_level,
        **(extra_env or {}),
    }
    server = ServerProcess("catalog", [sys.executable, "-m", "services.catalog"], env, port)
    try:
        server.wait_serving()
        yield server
    finally:
        server.stop()


@contextlib.contextmanager
def echo_server(payloads: dict[str, bytes]) -> Iterator[ServerProcess]:
    """A bare grpc.aio server: `/bench.Echo/<name>` answers with payloads[name] as is."""
    port = free_port()
    with tempfile.TemporaryDirectory(prefix="mysetlist-bench-echo-") as folder:
        args = [sys.executable, str(ECHO_SERVER), "--port", str(port)]
        for name, payload in payloads.items():
            path = Path(folder) / name
            path.write_bytes(payload)
            args += ["--payload", f"{name}={path}"]
        server = ServerProcess("echo", args, {}, port)
        try:
            server.wait_serving()
            yield server
        finally:
            server.stop()


def busy_cpu_seconds() -> float:
    """CPU seconds all cores of the machine have spent busy so far (Linux /proc/stat)."""
    values = [int(v) for v in Path("/proc/stat").read_text().splitlines()[0].split()[1:]]
    idle = values[3] + values[4]  # idle + iowait
    return (sum(values[:8]) - idle) / os.sysconf("SC_CLK_TCK")


def cpu_seconds(pid: int) -> float:
    """User+system CPU seconds a process has used so far (Linux /proc)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


# Load ------------------------------------------------------------------------------


@dataclass
class Run:
    """What a timed run measured: per-call latencies (s) of the calls that succeeded."""

    name: str
    seconds: float = 0.0
    latencies: list[float] = field(default_factory=list)
    errors: Counter[str] = field(default_factory=Counter)
    server_cpu: float | None = None  # server CPU seconds per wall second (1.0 = one core)
    client_cpu: float | None = None
    # Every other process's share (PostgreSQL, and anything else running on the machine).
    other_cpu: float | None = None

    @property
    def ok(self) -> int:
        return len(self.latencies)

    @property
    def qps(self) -> float:
        return self.ok / self.seconds if self.seconds else 0.0

    @property
    def server_ms_per_call(self) -> float:
        """Server CPU milliseconds per successful call: robust to a shared, saturated machine."""
        if self.server_cpu is None or not self.ok:
            return math.nan
        return self.server_cpu * self.seconds / self.ok * 1000

    def percentile_ms(self, q: float) -> float:
        if not self.latencies:
            return math.nan
        ordered = sorted(self.latencies)
        index = min(len(ordered) - 1, max(0, math.ceil(q * len(ordered)) - 1))
        return ordered[index] * 1000


async def drive(
    name: str,
    workers: Sequence[Callable[[], Awaitable[object]]],
    *,
    seconds: float,
    warmup: float,
    server_pid: int | None = None,
) -> Run:
    """Call each worker's function back to back (one in flight per worker) for warmup+seconds.

    Only calls that start after the warmup and finish before the end are counted.
    """
    run = Run(name)
    loop = asyncio.get_running_loop()
    start = loop.time()
    measure_from = start + warmup
    end = measure_from + seconds
    marks: dict[str, float] = {}

    async def mark_start() -> None:
        await asyncio.sleep(max(0.0, measure_from - loop.time()))
        marks["wall"] = time.perf_counter()
        marks["client"] = time.process_time()
        marks["busy"] = busy_cpu_seconds()
        if server_pid is not None:
            marks["server"] = cpu_seconds(server_pid)

    async def worker(call: Callable[[], Awaitable[object]]) -> None:
        clock = time.perf_counter
        while True:
            now = loop.time()
            if now >= end:
                return
            counted = now >= measure_from
            t0 = clock()
            try:
                await call()
            except grpc.aio.AioRpcError as error:
                if counted:
                    run.errors[error.code().name] += 1
                continue
            if counted and loop.time() <= end:
                run.latencies.append(clock() - t0)

    marker = asyncio.create_task(mark_start())
    await asyncio.gather(*(worker(call) for call in workers))
    await marker
    wall = time.perf_counter() - marks["wall"]
    run.seconds = min(seconds, wall)
    run.client_cpu = (time.process_time() - marks["client"]) / wall
    busy = (busy_cpu_seconds() - marks["busy"]) / wall
    if server_pid is not None:
        run.server_cpu = (cpu_seconds(server_pid) - marks["server"]) / wall
    run.other_cpu = max(0.0, busy - run.client_cpu - (run.server_cpu or 0.0))
    return run


def table(headers: Sequence[str], rows: Sequence[Sequence[object]]) -> str:
    """A plain fixed-width table."""
    cells = [[str(h) for h in headers], *[[_cell(v) for v in row] for row in rows]]
    widths = [max(len(row[i]) for row in cells) for i in range(len(headers))]
    lines = []
    for n, row in enumerate(cells):
        lines.append(
            "  ".join(
                c.ljust(w) if i == 0 else c.rjust(w)
                for i, (c, w) in enumerate(zip(row, widths, strict=True))
            )
        )
        if n == 0:
            lines.append("  ".join("-" * w for w in widths))
    return "\n".join(lines)


def _cell(value: object) -> str:
    if isinstance(value, float):
        if math.isnan(value):
            return "-"
        return f"{value:,.0f}" if abs(value) >= 100 else f"{value:.2f}"
    return str(value)


def machine() -> str:
    """One line about where the figures came from."""
    return f"{os.cpu_count()} CPUs, Python {sys.version.split()[0]}, grpcio {grpc.__version__}"
