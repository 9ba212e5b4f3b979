"""One sync worker process for bench/sync_import.py: runs import jobs it is handed, times them.

Wired exactly as `python -m services.sync worker` wires its imports (`Runtime.create` from
SyncSettings and UpstreamSettings read from the environment: the sync database, the shared
Redis limiters, the catalog channel with a service token); only Dramatiq is left out, so
queueing delay is not part of the figures. `run_import` runs as the actor would run it.

Protocol on stdin/stdout, one JSON object per line:
  worker -> {"ready": true}                       once the runtime exists
  bench  -> {"job_id": "..."}                     run this job (an empty line: exit)
  worker -> {"job_id", "wall_s", "stages", "calls"}

`stages` holds each stage's [name, start, end] and `calls` every HTTP request the upstream
clients sent, [monotonic start, upstream, endpoint, status, stage]; CLOCK_MONOTONIC is
system-wide on Linux, so the bench compares these with the fakes' own request log.
Recording wraps the stage functions and the clients' `_send` from the outside: the
pipeline itself runs unmodified.
"""

from __future__ import annotations

import asyncio
import json
import sys
import time
import uuid
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
for _path in (ROOT / "gen", ROOT):
    if str(_path) not in sys.path:
        sys.path.insert(0, str(_path))

from services.sync.pipeline import run as pipeline_run  # noqa: E402
from services.sync.runtime import Runtime  # noqa: E402
from services.sync.settings import SyncSettings  # noqa: E402
from services.sync.upstreams import UpstreamSettings  # noqa: E402
from shared.logging import configure_logging  # noqa: E402
from shared.settings import load_settings  # noqa: E402


class Recorder:
    """Stage boundaries and upstream requests of the job in progress."""

    def __init__(self) -> None:
        self.stage = "none"
        self.stages: list[list[Any]] = []
        self.calls: list[list[Any]] = []

    def reset(self) -> None:
        self.stage = "none"
        self.stages = []
        self.calls = []

    def wrap_stages(self) -> None:
        def timed(name: str, run: Any) -> Any:
            async def stage(ctx: Any) -> None:
                self.stage = name
                entry = [name, time.monotonic(), None]
                self.stages.append(entry)
                try:
                    await run(ctx)
                finally:
                    entry[2] = time.monotonic()

            return stage

        # run_import reads STAGES when it runs, so the wrapped list is the one it iterates.
        pipeline_run.STAGES = [
            (stage, timed(stage.value, run), span) for stage, run, span in pipeline_run.STAGES
        ]

    def wrap_client(self, client: Any) -> None:
        send = client._send

        async def recorded(endpoint: str, method: str, *args: Any, **kwargs: Any) -> Any:
            entry: list[Any] = [time.monotonic(), client.name, endpoint, "error", self.stage]
            self.calls.append(entry)
            response = await send(endpoint, method, *args, **kwargs)
            entry[3] = response.status_code
            return response

        client._send = recorded


def emit(message: dict[str, Any]) -> None:
    sys.stdout.write(json.dumps(message) + "\n")
    sys.stdout.flush()


async def main() -> None:
    settings = load_settings(SyncSettings)
    configure_logging("sync-worker", settings.log_level)
    recorder = Recorder()
    recorder.wrap_stages()
    runtime = Runtime.create(settings, UpstreamSettings())  # type: ignore[call-arg]
    for client in (
        runtime.upstreams.spotify,
        runtime.upstreams.ticketmaster,
        runtime.upstreams.setlistfm,
    ):
        recorder.wrap_client(client)
    loop = asyncio.get_running_loop()
    try:
        emit({"ready": True})
        while True:
            line = await loop.run_in_executor(None, sys.stdin.readline)
            if not line.strip():
                return
            job_id = uuid.UUID(json.loads(line)["job_id"])
            recorder.reset()
            started = time.monotonic()
            await pipeline_run.run_import(runtime.context(job_id))
            ended = time.monotonic()
            emit(
                {
                    "job_id": str(job_id),
                    "started": started,
                    "ended": ended,
                    "wall_s": ended - started,
                    "stages": recorder.stages,
                    "calls": recorder.calls,
                }
            )
    finally:
        await runtime.close()


if __name__ == "__main__":
    asyncio.run(main())
