"""`make run`: the whole suite on loopback with embedded defaults.

Starts an embedded Redis-compatible server (fakeredis) unless REDIS_URL is set,
gives every service its own SQLite file under .data/ unless DATABASE_URL is set,
migrates each service, starts each one, waits until each answers its gRPC health
check, prints addresses and ready-made tokens, and stops everything on Ctrl-C or
SIGTERM. Service output goes to .data/logs/<service>.log.
"""

from __future__ import annotations

import argparse
import os
import signal
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import IO

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT / ".data"
LOGS = DATA / "logs"
# Run as `python scripts/run_suite.py` from anywhere: find shared/, gen/ and healthcheck.py.
for _path in (ROOT, ROOT / "gen", Path(__file__).resolve().parent):
    if str(_path) not in sys.path:
        sys.path.insert(0, str(_path))

# Every gRPC service the suite runs, in start order, with its default port (overridable
# with <NAME>_ADDR). Later services join here: ("trending", 50053), ("monitor", 50054),
# ("gateway", 8080).
SERVICES: list[tuple[str, int]] = [("catalog", 50051), ("sync", 50052)]

# Processes without a port of their own: (name, module, arguments, the database they share).
WORKERS: list[tuple[str, str, tuple[str, ...], str]] = [
    ("sync-worker", "services.sync", ("worker",), "sync")
]

# The fake upstreams serve Spotify, Ticketmaster and setlist.fm on these three ports
# unless real credentials (SPOTIFY_CLIENT_ID) are set.
FAKES_PORT_BASE = int(os.environ.get("MYSETLIST_FAKES_PORT_BASE", "8701"))
DEMO_EXPECTED = ROOT / "fakes" / "data" / "demo" / "expected.json"

# Services probed over HTTP (GET path answers 200) instead of gRPC health, e.g. the
# gateway once it lands: {"gateway": "/healthz"}.
HTTP_READY_PATHS: dict[str, str] = {}

EMBEDDED_REDIS_PORT = int(os.environ.get("MYSETLIST_EMBEDDED_REDIS_PORT", "6380"))
TOKEN_TTL = timedelta(hours=12)


class SuiteError(RuntimeError):
    """The suite cannot start or keep running; the message says which service and why."""


@dataclass
class Service:
    name: str
    address: str
    log_path: Path
    module: str = ""  # run as `python -m <module>`; services.<name> unless given
    args: tuple[str, ...] = ()
    # "grpc": ready when its health check says SERVING; "http": when GET path answers
    # 200; "listening": when it answers HTTP at all; "process": when it is alive.
    ready: str = "grpc"
    migrates: bool = True
    database: str = ""  # the SQLite file it uses: its own name unless it shares one
    process: subprocess.Popen[bytes] | None = None
    log_file: IO[bytes] | None = field(default=None, repr=False)

    def __post_init__(self) -> None:
        self.module = self.module or f"services.{self.name}"

    @property
    def probe_address(self) -> str:
        """Where to reach it from here: a wildcard bind is reached on loopback."""
        host, _, port = self.address.rpartition(":")
        if host in ("", "0.0.0.0", "[::]", "::"):
            host = "127.0.0.1"
        return f"{host}:{port}"


def log_tail(path: Path, lines: int = 25) -> str:
    try:
        text = path.read_text(errors="replace").splitlines()[-lines:]
    except OSError:
        return "    (no log)"
    return "\n".join(f"    {line}" for line in text) or "    (log is empty)"


# -- embedded Redis -----------------------------------------------------------------


class EmbeddedRedis:
    """fakeredis' TCP server in a background thread: enough Redis for Dramatiq and caches."""

    def __init__(self, port: int) -> None:
        from fakeredis import TcpFakeServer

        try:
            self._server = TcpFakeServer(("127.0.0.1", port), server_type="redis")
        except OSError as exc:
            raise SuiteError(
                f"embedded Redis cannot listen on 127.0.0.1:{port} ({exc.strerror}); is another "
                "`make run` up? Free the port, set MYSETLIST_EMBEDDED_REDIS_PORT, or set "
                "REDIS_URL to a running Redis"
            ) from None
        self.url = f"redis://127.0.0.1:{port}/0"
        self._thread = threading.Thread(
            target=self._server.serve_forever,
            kwargs={"poll_interval": 0.2},
            name="embedded-redis",
            daemon=True,
        )

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        if self._thread.is_alive():  # shutdown() waits for serve_forever, so only if it runs
            self._server.shutdown()
        self._server.server_close()


# -- environment ----------------------------------------------------------------------


def dev_jwt_secret() -> str:
    # Imported here so this script loads even while shared/ is incomplete.
    from shared.settings import DEV_JWT_SECRET

    return DEV_JWT_SECRET


def base_environment(services: list[Service], redis_url: str) -> dict[str, str]:
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(
        [str(ROOT), str(ROOT / "gen"), *filter(None, [os.environ.get("PYTHONPATH")])]
    )
    env["PYTHONUNBUFFERED"] = "1"
    env["REDIS_URL"] = redis_url
    env.setdefault("ENVIRONMENT", "development")
    if "AUTH_JWT_SECRET" not in env and "AUTH_JWKS_URL" not in env:
        env["AUTH_JWT_SECRET"] = dev_jwt_secret()
    # Every service learns every address, so calls between them go where they listen.
    for service in services:
        if service.ready == "grpc":
            env[f"{service.name.upper()}_ADDR"] = service.address
    return env


def service_environment(base: dict[str, str], service: Service) -> dict[str, str]:
    env = dict(base)
    if "DATABASE_URL" not in os.environ:
        name = service.database or service.name
        env["DATABASE_URL"] = f"sqlite+aiosqlite:///{DATA / f'{name}.db'}"
    return env


# -- supervision ----------------------------------------------------------------------


class Supervisor:
    def __init__(
        self,
        services: list[Service],
        env: dict[str, str],
        grace: float,
        stopping: threading.Event,
    ) -> None:
        self.services = services
        self.env = env
        self.grace = grace
        self.stopping = stopping  # set by SIGINT / SIGTERM / SIGHUP

    def _spawn(self, service: Service, *args: str) -> subprocess.Popen[bytes]:
        log = open(service.log_path, "ab")  # closed by migrate() or stop_all()
        service.log_file = log
        # Own process group: Ctrl-C reaches only the supervisor, which then stops the
        # children in order with SIGTERM (a graceful drain) instead of a SIGINT race.
        return subprocess.Popen(
            [sys.executable, "-m", service.module, *args],
            cwd=ROOT,
            env=service_environment(self.env, service),
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            process_group=0,
        )

    def migrate(self, service: Service, timeout: float = 300) -> None:
        proc = self._spawn(service, "migrate")
        deadline = time.monotonic() + timeout
        try:
            while proc.poll() is None:
                if self.stopping.is_set() or time.monotonic() > deadline:
                    terminate(proc, self.grace)
                    if self.stopping.is_set():
                        return
                    raise SuiteError(f"{service.name}: migration took over {timeout:.0f}s")
                time.sleep(0.1)
        finally:
            assert service.log_file is not None
            service.log_file.close()
            service.log_file = None
        if proc.returncode != 0:
            raise SuiteError(
                f"{service.name}: `python -m {service.module} migrate` failed "
                f"(exit {proc.returncode}); log {service.log_path}:\n{log_tail(service.log_path)}"
            )

    def start(self, service: Service) -> None:
        service.process = self._spawn(service, *service.args)

    def check_alive(self) -> None:
        for service in self.services:
            proc = service.process
            if proc is not None and proc.poll() is not None:
                raise SuiteError(
                    f"{service.name} exited unexpectedly (exit {proc.returncode}); "
                    f"log {service.log_path}:\n{log_tail(service.log_path)}"
                )

    def wait_ready(self, timeout: float) -> None:
        pending = [s for s in self.services if s.process is not None and s.ready != "process"]
        deadline = time.monotonic() + timeout
        last: dict[str, str] = {}
        while pending and not self.stopping.is_set():
            self.check_alive()
            for service in list(pending):
                last[service.name] = probe(service)
                if last[service.name] == "SERVING":
                    pending.remove(service)
            if pending and time.monotonic() > deadline:
                names = ", ".join(
                    f"{s.name} at {s.probe_address} ({last[s.name]})" for s in pending
                )
                logs = "\n".join(f"  {s.name}: {s.log_path}" for s in pending)
                raise SuiteError(f"not healthy after {timeout:.0f}s: {names}\nlogs:\n{logs}")
            if pending:
                self.stopping.wait(0.25)

    def watch(self) -> None:
        while not self.stopping.wait(0.5):
            self.check_alive()

    def stop_all(self) -> None:
        """SIGTERM every running service (last started first), SIGKILL after the grace period."""
        running = [s for s in reversed(self.services) if s.process and s.process.poll() is None]
        for service in running:
            assert service.process is not None
            signal_group(service.process, signal.SIGTERM)
        deadline = time.monotonic() + self.grace
        for service in running:
            assert service.process is not None
            try:
                service.process.wait(timeout=max(0.0, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                print(f"{service.name} did not stop within {self.grace:.0f}s: killing it")
                signal_group(service.process, signal.SIGKILL)
                service.process.wait()
        for service in self.services:
            if service.log_file is not None:
                service.log_file.close()
                service.log_file = None


def signal_group(proc: subprocess.Popen[bytes], signum: int) -> None:
    try:
        os.killpg(proc.pid, signum)
    except ProcessLookupError:
        pass


def terminate(proc: subprocess.Popen[bytes], grace: float) -> None:
    signal_group(proc, signal.SIGTERM)
    try:
        proc.wait(timeout=grace)
    except subprocess.TimeoutExpired:
        signal_group(proc, signal.SIGKILL)
        proc.wait()


def probe(service: Service) -> str:
    """SERVING when the service is ready, else a short reason."""
    path = HTTP_READY_PATHS.get(service.name)
    if service.ready in ("http", "listening"):
        path = path or "/"
    if path is None:
        from healthcheck import check

        return check(service.probe_address, timeout=1.0)
    try:
        with urllib.request.urlopen(f"http://{service.probe_address}{path}", timeout=1.0) as resp:
            return "SERVING" if resp.status == 200 else f"HTTP {resp.status}"
    except urllib.error.HTTPError as exc:
        return "SERVING" if service.ready == "listening" else f"HTTP {exc.code}"
    except OSError as exc:
        return str(exc)


# -- banner ---------------------------------------------------------------------------


def tokens(env: dict[str, str]) -> tuple[str, str] | None:
    secret = env.get("AUTH_JWT_SECRET")
    if not secret:
        return None  # JWKS mode: tokens come from the identity provider
    from shared.auth import mint_token

    user = mint_token(secret, "dev-user", ["user"], TOKEN_TTL)
    admin = mint_token(secret, "dev-admin", ["admin", "user"], TOKEN_TTL)
    return user, admin


def banner(services: list[Service], env: dict[str, str], embedded_redis: bool) -> str:
    width = max(len(s.name) for s in services)
    lines = ["", "MySetlist is up.", ""]
    for service in services:
        where = service.probe_address if service.address else "(worker)"
        lines.append(f"  {service.name:<{width}}  {where:<16} log {service.log_path}")
    database = os.environ.get("DATABASE_URL") or f"SQLite files in {DATA}/"
    redis = env["REDIS_URL"] + (" (embedded fakeredis)" if embedded_redis else "")
    lines += ["", f"  database  {database}", f"  redis     {redis}"]
    minted = tokens(env)
    if minted is not None:
        user, admin = minted
        hours = int(TOKEN_TTL.total_seconds() // 3600)
        lines += [
            "",
            f"Bearer tokens (valid {hours} h):",
            f"  export USER_TOKEN={user}",
            f"  export ADMIN_TOKEN={admin}",
        ]
    catalog = next((s for s in services if s.name == "catalog"), None)
    if catalog is not None:
        method = "mysetlist.catalog.v1.CatalogService/ListArtists"
        lines += [
            "",
            "Try:",
            f"  .venv/bin/buf curl --protocol grpc --http2-prior-knowledge "
            f'-H "authorization: Bearer $USER_TOKEN" -d \'{{"page_size": 5}}\' '
            f"http://{catalog.probe_address}/{method}",
            f'  grpcurl -plaintext -H "authorization: Bearer $USER_TOKEN" '
            f"-d '{{\"page_size\": 5}}' {catalog.probe_address} {method}",
        ]
    lines += ["", "Ctrl-C stops everything.", ""]
    return "\n".join(lines)


# -- main -----------------------------------------------------------------------------


def use_fakes() -> bool:
    """Whether to serve the fake upstreams (no real Spotify credentials in the environment)."""
    return "SPOTIFY_CLIENT_ID" not in os.environ


def build_services() -> list[Service]:
    services = []
    if use_fakes():
        services.append(
            Service(
                "fakes",
                f"127.0.0.1:{FAKES_PORT_BASE + 2}",
                LOGS / "fakes.log",
                module="fakes",
                args=("--port-base", str(FAKES_PORT_BASE)),
                ready="listening",
                migrates=False,
            )
        )
    for name, port in SERVICES:
        address = os.environ.get(f"{name.upper()}_ADDR", f"127.0.0.1:{port}")
        services.append(Service(name, address, LOGS / f"{name}.log"))
    for name, module, args, database in WORKERS:
        services.append(
            Service(
                name,
                "",
                LOGS / f"{name}.log",
                module=module,
                args=args,
                ready="process",
                migrates=False,
                database=database,
            )
        )
    return services


def fake_upstream_env() -> dict[str, str]:
    from fakes.server import upstream_env

    base = FAKES_PORT_BASE
    return upstream_env("127.0.0.1", (base, base + 1, base + 2))


def import_demo_artists(services: list[Service], env: dict[str, str]) -> list[str]:
    """Start an import of every demo artist (by Spotify id); returns the job ids."""
    import json

    import grpc
    from mysetlist.sync.v1 import sync_pb2, sync_pb2_grpc

    sync = next(s for s in services if s.name == "sync")
    minted = tokens(env)
    metadata = (("authorization", f"Bearer {minted[0]}"),) if minted else ()
    artists = json.loads(DEMO_EXPECTED.read_text())
    jobs = []
    with grpc.insecure_channel(sync.probe_address) as channel:
        stub = sync_pb2_grpc.SyncServiceStub(channel)
        for artist in artists.values():
            request = sync_pb2.StartImportRequest(reference=artist["spotify_id"])
            jobs.append(stub.StartImport(request, metadata=metadata, timeout=10).job.id)
    return jobs


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Run the MySetlist suite locally.")
    parser.add_argument("--startup-timeout", type=float, default=60.0, help="seconds per run")
    parser.add_argument("--grace", type=float, default=15.0, help="seconds to drain on stop")
    args = parser.parse_args(argv)

    LOGS.mkdir(parents=True, exist_ok=True)
    services = build_services()
    embedded: EmbeddedRedis | None = None
    supervisor: Supervisor | None = None
    # A stop signal only flags the stop; the main flow notices it and shuts down in order.
    stop_requested = threading.Event()
    for signum in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
        signal.signal(signum, lambda *_: stop_requested.set())
    try:
        redis_url = os.environ.get("REDIS_URL")
        if not redis_url:
            embedded = EmbeddedRedis(EMBEDDED_REDIS_PORT)
            embedded.start()
            redis_url = embedded.url
        try:
            env = base_environment(services, redis_url)
        except ImportError as exc:
            raise SuiteError(f"cannot read the development JWT secret from shared: {exc}") from None
        if use_fakes():
            env.update(fake_upstream_env())
        supervisor = Supervisor(services, env, args.grace, stop_requested)
        for service in services:
            service.log_path.write_text("")  # each log holds one run
        for service in services:
            if stop_requested.is_set():
                break
            if service.migrates:
                print(f"migrating {service.name} ...", flush=True)
                supervisor.migrate(service)
        for service in services:
            if stop_requested.is_set():
                break
            where = f" on {service.address}" if service.address else ""
            print(f"starting {service.name}{where} ...", flush=True)
            supervisor.start(service)
        supervisor.wait_ready(args.startup_timeout)
        if stop_requested.is_set():
            print("stopping ...")
            return 0
        print(banner(services, env, embedded is not None), flush=True)
        if use_fakes():
            try:
                jobs = import_demo_artists(services, env)
                print(
                    f"Importing {len(jobs)} demo artists from the fake upstreams "
                    f"(ListImportJobs or WatchImportJob on sync to follow them).",
                    flush=True,
                )
            except Exception as exc:  # the suite is still useful without demo data
                print(f"could not start the demo imports: {exc}", flush=True)
        supervisor.watch()
        print("stopping ...", flush=True)
        return 0
    except SuiteError as exc:
        print(f"\nmake run: {exc}", file=sys.stderr, flush=True)
        return 1
    finally:
        if supervisor is not None:
            supervisor.stop_all()
        if embedded is not None:
            embedded.stop()


if __name__ == "__main__":
    sys.exit(main())
