"""Throwaway PostgreSQL and Redis servers for the test session.

`make test` needs nothing but the system packages (postgresql, postgresql-contrib,
redis-server): each server is started on a free loopback port in a temporary folder
and removed at the end. Set MYSETLIST_TEST_DATABASE_URL / MYSETLIST_TEST_REDIS_URL
to use servers you already run instead.
"""

from __future__ import annotations

import asyncio
import glob
import os
import pwd
import re
import shutil
import socket
import subprocess
import tempfile
import threading
import time
import uuid
from collections.abc import Coroutine
from pathlib import Path
from typing import Any, TypeVar
from urllib.parse import urlsplit, urlunsplit

DATABASE_URL_ENV = "MYSETLIST_TEST_DATABASE_URL"
REDIS_URL_ENV = "MYSETLIST_TEST_REDIS_URL"
TEST_DATABASE = "mysetlist_test"
REQUIRED_EXTENSIONS = ("pg_trgm", "unaccent")

_T = TypeVar("_T")


class ServerError(RuntimeError):
    """A test server could not be started; the message says why and where its log is."""


def free_port() -> int:
    """A TCP port on 127.0.0.1 that was free a moment ago."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def asyncpg_dsn(url: str) -> str:
    """The plain libpq form of a SQLAlchemy URL (`postgresql+asyncpg://` -> `postgresql://`)."""
    scheme, rest = url.split("://", 1)
    return f"{scheme.split('+', 1)[0]}://{rest}"


def sqlalchemy_url(url: str) -> str:
    """The asyncpg SQLAlchemy form of any postgres URL."""
    scheme, rest = url.split("://", 1)
    if scheme in ("postgres", "postgresql"):
        scheme = "postgresql+asyncpg"
    return f"{scheme}://{rest}"


def with_database(url: str, database: str) -> str:
    """The same server URL pointing at another database."""
    parts = urlsplit(url)
    return urlunsplit(parts._replace(path=f"/{database}"))


def run_blocking(coro: Coroutine[Any, Any, _T]) -> _T:
    """Run a coroutine to completion from sync code, even inside a running event loop.

    Helpers here are called from sync fixtures and from async tests alike; a worker
    thread with its own loop works in both without touching the caller's loop.
    """
    result: list[_T] = []
    error: list[BaseException] = []

    def target() -> None:
        try:
            result.append(asyncio.run(coro))
        except BaseException as exc:  # re-raised in the caller's thread
            error.append(exc)

    thread = threading.Thread(target=target, name="test-db-admin")
    thread.start()
    thread.join()
    if error:
        raise error[0]
    return result[0]


async def _admin(url: str, *statements: str) -> list[Any]:
    import asyncpg

    conn = await asyncpg.connect(asyncpg_dsn(url), timeout=30)
    try:
        return [await conn.fetch(sql) for sql in statements]
    finally:
        await conn.close()


def fresh_database(postgres_url: str, name: str) -> str:
    """Create an empty database with a unique name derived from `name`; return its URL.

    For tests that need isolation, such as migrations up and down. The database
    lives until the server goes away (or `drop_database`).
    """
    slug = re.sub(r"[^a-z0-9_]+", "_", name.lower()).strip("_")[:40] or "db"
    database = f"{slug}_{uuid.uuid4().hex[:10]}"
    run_blocking(_admin(with_database(postgres_url, "postgres"), f'CREATE DATABASE "{database}"'))
    return with_database(postgres_url, database)


def drop_database(database_url: str) -> None:
    """Drop a database made by `fresh_database`, closing its remaining connections."""
    database = urlsplit(database_url).path.lstrip("/")
    run_blocking(
        _admin(
            with_database(database_url, "postgres"),
            f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)',
        )
    )


def check_extensions(postgres_url: str) -> None:
    """Fail fast, with the fix, when pg_trgm or unaccent cannot be created."""
    (rows,) = run_blocking(_admin(postgres_url, "SELECT name FROM pg_available_extensions"))
    missing = sorted(set(REQUIRED_EXTENSIONS) - {row["name"] for row in rows})
    if missing:
        raise ServerError(
            f"PostgreSQL at {postgres_url} lacks extensions {missing}; "
            "install postgresql-contrib (Debian) or the server's contrib package"
        )


def _pg_bindir() -> Path:
    candidates: list[str] = []
    if shutil.which("pg_config"):
        out = subprocess.run(["pg_config", "--bindir"], capture_output=True, text=True, check=False)
        candidates.append(out.stdout.strip())
    # Newest major version first; Debian keeps server binaries off PATH.
    candidates += sorted(
        glob.glob("/usr/lib/postgresql/*/bin"),
        key=lambda p: int(re.sub(r"\D", "", Path(p).parent.name) or 0),
        reverse=True,
    )
    for folder in candidates:
        if folder and (Path(folder) / "initdb").exists() and (Path(folder) / "pg_ctl").exists():
            return Path(folder)
    raise ServerError(
        "no PostgreSQL server binaries (initdb, pg_ctl) found via pg_config or in "
        f"/usr/lib/postgresql/*/bin; install postgresql, or set {DATABASE_URL_ENV}"
    )


def _tail(path: Path, lines: int = 30) -> str:
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return "(no log)"


class PostgresServer:
    """A PostgreSQL cluster in a temporary folder, reachable over TCP on 127.0.0.1."""

    def __init__(self) -> None:
        self.bindir = _pg_bindir()
        self.root = Path(tempfile.mkdtemp(prefix="mysetlist-pg-", dir="/tmp"))
        self.data = self.root / "data"
        self.log = self.root / "postgres.log"
        self.port = 0
        self._started = False
        # PostgreSQL refuses to run as root: run its tools as the postgres user.
        self._as_user: list[str] = []
        self._uid: int | None = None
        if os.geteuid() == 0:
            try:
                entry = pwd.getpwnam("postgres")
            except KeyError as exc:
                raise ServerError(
                    "running as root but there is no `postgres` user to run PostgreSQL as"
                ) from exc
            self._as_user = ["runuser", "-u", "postgres", "--"]
            self._uid = entry.pw_uid
            os.chown(self.root, entry.pw_uid, entry.pw_gid)

    @property
    def url(self) -> str:
        return f"postgresql+asyncpg://postgres@127.0.0.1:{self.port}/{TEST_DATABASE}"

    def _run(self, *args: str, timeout: float = 120) -> None:
        cmd = [*self._as_user, str(self.bindir / args[0]), *args[1:]]
        proc = subprocess.run(
            cmd, cwd=self.root, capture_output=True, text=True, timeout=timeout, check=False
        )
        if proc.returncode != 0:
            raise ServerError(
                f"{' '.join(cmd)} failed ({proc.returncode}):\n{proc.stdout}{proc.stderr}\n"
                f"server log {self.log}:\n{_tail(self.log)}"
            )

    def start(self) -> str:
        """Initialise, start, create the test database; return its URL."""
        self._run(
            "initdb", "-D", str(self.data), "-U", "postgres", "--auth=trust",
            "--encoding=UTF8", "--locale=C.UTF-8", "--nosync",
        )  # fmt: skip
        options = " ".join(
            [
                "-c listen_addresses=127.0.0.1",
                f"-c unix_socket_directories={self.root}",
                "-c max_connections=200",
                "-c fsync=off",
                "-c synchronous_commit=off",
                "-c full_page_writes=off",
                "-c shared_buffers=128MB",
            ]
        )
        # A free port can be taken between probing and binding: retry on a new one.
        for attempt in range(3):
            self.port = free_port()
            try:
                self._run(
                    "pg_ctl", "start", "-D", str(self.data), "-w", "-t", "60",
                    "-l", str(self.log), "-o", f"{options} -p {self.port}",
                )  # fmt: skip
                break
            except ServerError:
                if attempt == 2:
                    raise
        self._started = True
        run_blocking(
            _admin(with_database(self.url, "postgres"), f"CREATE DATABASE {TEST_DATABASE}")
        )
        check_extensions(self.url)
        return self.url

    def stop(self) -> None:
        """Stop the server (immediately: nothing in it is worth a checkpoint) and delete it."""
        try:
            if self._started:
                self._run("pg_ctl", "stop", "-D", str(self.data), "-m", "immediate", "-w")
                self._started = False
        finally:
            shutil.rmtree(self.root, ignore_errors=True)


class RedisServer:
    """A redis-server subprocess on a free loopback port, with persistence off."""

    def __init__(self) -> None:
        binary = shutil.which("redis-server")
        if binary is None:
            raise ServerError(
                f"redis-server not found; install redis-server, or set {REDIS_URL_ENV}"
            )
        self.binary = binary
        self.root = Path(tempfile.mkdtemp(prefix="mysetlist-redis-", dir="/tmp"))
        self.log = self.root / "redis.log"
        self.port = 0
        self._proc: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self, timeout: float = 20) -> str:
        """Start redis-server and wait until it answers PING; return its URL."""
        for attempt in range(3):
            self.port = free_port()
            options = {
                "port": str(self.port),
                "bind": "127.0.0.1",
                "save": "",  # no snapshots, no append-only file: nothing touches disk
                "appendonly": "no",
                "daemonize": "no",
                "dir": str(self.root),
            }
            args = [self.binary, *(arg for k, v in options.items() for arg in (f"--{k}", v))]
            with open(self.log, "ab") as log:
                self._proc = subprocess.Popen(
                    args,
                    stdout=log,
                    stderr=subprocess.STDOUT,
                    stdin=subprocess.DEVNULL,
                )
            if self._wait_ready(timeout):
                return self.url
            self.stop_process()
            if attempt == 2:
                break
        raise ServerError(f"redis-server did not start; log {self.log}:\n{_tail(self.log)}")

    def _wait_ready(self, timeout: float) -> bool:
        import redis

        deadline = time.monotonic() + timeout
        client = redis.Redis(host="127.0.0.1", port=self.port, socket_timeout=1)
        try:
            while time.monotonic() < deadline:
                assert self._proc is not None
                if self._proc.poll() is not None:
                    return False
                try:
                    if client.ping():
                        return True
                except redis.RedisError:
                    time.sleep(0.05)
            return False
        finally:
            client.close()

    def stop_process(self) -> None:
        if self._proc is None:
            return
        if self._proc.poll() is None:
            self._proc.terminate()
            try:
                self._proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self._proc.kill()
                self._proc.wait()
        self._proc = None

    def stop(self) -> None:
        """Stop the server and delete its folder."""
        try:
            self.stop_process()
        finally:
            shutil.rmtree(self.root, ignore_errors=True)
