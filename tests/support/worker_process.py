"""`python -m services.sync worker` as a real subprocess, for end-to-end tests.

The output goes to a log file whose tail failing assertions can show; `stop` and
`kill` never block the event loop (the fakes and servers the worker talks to may
live on it), and a worker that ignores SIGTERM is killed after a grace period.
"""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def base_env() -> dict[str, str]:
    """The least a Python subprocess of this repo needs: PATH, a locale, the import paths."""
    return {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "HOME": os.environ.get("HOME", "/tmp"),
        "LANG": "C.UTF-8",
        "PYTHONPATH": f"{ROOT}{os.pathsep}{ROOT / 'gen'}",
        "PYTHONUNBUFFERED": "1",
    }


@dataclass
class WorkerProcess:
    """One running worker; `tail()` shows what it logged."""

    name: str
    proc: subprocess.Popen[bytes]
    log_path: Path
    _log: object = field(repr=False, default=None)

    @classmethod
    def start(cls, name: str, env: Mapping[str, str], log_dir: Path) -> WorkerProcess:
        log_path = log_dir / f"{name}.log"
        log = log_path.open("wb")
        proc = subprocess.Popen(
            [sys.executable, "-m", "services.sync", "worker"],
            cwd=ROOT,
            env={**base_env(), **env},
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        return cls(name, proc, log_path, log)

    @property
    def pid(self) -> int:
        return self.proc.pid

    @property
    def running(self) -> bool:
        return self.proc.poll() is None

    async def wait(self, timeout: float) -> int | None:
        """The exit code, or None if still running after `timeout` seconds."""
        try:
            return await asyncio.to_thread(self.proc.wait, timeout)
        except subprocess.TimeoutExpired:
            return None

    async def kill(self) -> None:
        """SIGKILL: the process dies at once, acknowledging nothing."""
        if self.running:
            os.kill(self.pid, signal.SIGKILL)
        if await self.wait(10) is None:  # pragma: no cover - SIGKILL cannot be ignored
            raise RuntimeError(f"worker {self.name} (pid {self.pid}) survived SIGKILL")
        self._close_log()

    async def stop(self, grace: float = 5.0) -> None:
        """SIGTERM, then SIGKILL if it has not exited within `grace` seconds."""
        if self.running:
            self.proc.terminate()
            if await self.wait(grace) is None:
                await self.kill()
        self.proc.wait()
        self._close_log()

    def tail(self, lines: int = 25) -> str:
        try:
            text = self.log_path.read_text(errors="replace").splitlines()[-lines:]
        except OSError:
            return f"[{self.name}: no log]"
        return "\n".join(f"[{self.name}] {line}" for line in text)

    def _close_log(self) -> None:
        if self._log is not None:
            self._log.close()  # type: ignore[attr-defined]
            self._log = None
