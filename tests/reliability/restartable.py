"""A PostgreSQL and a Redis that a test may stop and start again, under load.

Unlike the session-wide servers of tests/support/servers.py, these belong to one test:
it stops them the way an operator or an orchestrator would (a fast shutdown, SIGTERM)
and starts them again on the same port over the same data, while the services under
test keep running and must reconnect by themselves. Stopping and starting block for
up to a few seconds: async tests call them through `asyncio.to_thread`, so the servers
living on the event loop keep answering meanwhile.

They are configured as production would be where it matters to what survives a restart:
PostgreSQL commits synchronously (the session server trades that for speed), and Redis
keeps an append-only file, as Dramatiq's Redis broker holds its queued messages in
Redis (see deploy/README.md).
"""

from __future__ import annotations

import os
import signal
import subprocess
import time

from tests.support.servers import (
    TEST_DATABASE,
    PostgresServer,
    RedisServer,
    ServerError,
    _admin,
    _tail,
    check_extensions,
    free_port,
    run_blocking,
    with_database,
)

__all__ = ["RestartablePostgres", "RestartableRedis"]


class RestartablePostgres(PostgresServer):
    """A dedicated PostgreSQL cluster; `halt` and `resume` keep its port and data folder."""

    def _options(self) -> str:
        return " ".join(
            [
                "-c listen_addresses=127.0.0.1",
                f"-c unix_socket_directories={self.root}",
                "-c max_connections=100",
                # No OS crash is simulated, so skipping fsync loses nothing a restart keeps;
                # commits stay synchronous (the default), as in production.
                "-c fsync=off",
                "-c full_page_writes=off",
                "-c shared_buffers=32MB",
                f"-p {self.port}",
            ]
        )

    def _pg_ctl_start(self) -> None:
        self._run(
            "pg_ctl", "start", "-D", str(self.data), "-w", "-t", "60",
            "-l", str(self.log), "-o", self._options(),
        )  # fmt: skip
        self._started = True

    def start(self) -> str:
        """Initialise, start, create the test database; return its URL."""
        self._run(
            "initdb", "-D", str(self.data), "-U", "postgres", "--auth=trust",
            "--encoding=UTF8", "--locale=C.UTF-8", "--nosync",
        )  # fmt: skip
        for attempt in range(3):  # a free port can be taken before the server binds it
            self.port = free_port()
            try:
                self._pg_ctl_start()
                break
            except ServerError:
                if attempt == 2:
                    raise
        run_blocking(
            _admin(with_database(self.url, "postgres"), f"CREATE DATABASE {TEST_DATABASE}")
        )
        check_extensions(self.url)
        return self.url

    def halt(self, mode: str = "fast") -> None:
        """Stop the server: `fast` (what an orchestrator's SIGTERM does: sessions are cut,
        open transactions roll back, a shutdown checkpoint is written) or `immediate`."""
        self._run("pg_ctl", "stop", "-D", str(self.data), "-m", mode, "-w", "-t", "60")
        self._started = False

    def resume(self) -> None:
        """Start the stopped server again, on the same port over the same data."""
        self._pg_ctl_start()

    def stop(self) -> None:
        """Stop the server, whatever state a failed test left it in, and delete it."""
        if (self.data / "postmaster.pid").exists():
            self._started = True  # e.g. a `resume` that timed out after all started it
        super().stop()


class RestartableRedis(RedisServer):
    """A dedicated redis-server with an append-only file; `halt` and `resume` keep its port."""

    def _launch(self) -> subprocess.Popen[bytes]:
        options = {
            "port": str(self.port),
            "bind": "127.0.0.1",
            "save": "",  # no RDB snapshots: the append-only file is what survives
            "appendonly": "yes",
            "appendfsync": "everysec",  # Redis's default; a clean shutdown writes everything
            "daemonize": "no",
            "dir": str(self.root),
        }
        args = [self.binary, *(arg for k, v in options.items() for arg in (f"--{k}", v))]
        with open(self.log, "ab") as log:
            return subprocess.Popen(
                args, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL
            )

    def start(self, timeout: float = 20) -> str:
        """Start redis-server on a free port and wait until it answers PING; return its URL."""
        for _ in range(3):  # a free port can be taken before the server binds it
            self.port = free_port()
            self._proc = self._launch()
            if self._wait_ready(timeout):
                return self.url
            self.stop_process()
        raise ServerError(f"redis-server did not start; log {self.log}:\n{_tail(self.log)}")

    def halt(self) -> None:
        """SIGTERM, as an orchestrator stops it: Redis writes out its append-only file and exits."""
        assert self._proc is not None
        os.kill(self._proc.pid, signal.SIGTERM)
        try:
            code = self._proc.wait(timeout=20)
        except subprocess.TimeoutExpired as exc:
            raise ServerError(f"redis-server ignored SIGTERM; log:\n{_tail(self.log)}") from exc
        self._proc = None
        if code != 0:
            raise ServerError(f"redis-server exited with {code}; log:\n{_tail(self.log)}")

    def resume(self, timeout: float = 20) -> None:
        """Start again on the same port over the same folder; wait until its data is loaded."""
        deadline = time.monotonic() + timeout
        while True:
            self._proc = self._launch()
            if self._wait_ready(max(deadline - time.monotonic(), 1)):
                return
            self.stop_process()
            # The old socket may linger a moment on a busy machine; try until the deadline.
            if time.monotonic() >= deadline:
                raise ServerError(
                    f"redis-server did not start again; log {self.log}:\n{_tail(self.log)}"
                )
            time.sleep(0.1)
