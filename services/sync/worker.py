"""`python -m services.sync worker`: a Dramatiq worker running imports until SIGTERM."""

from __future__ import annotations

import signal
import threading

import dramatiq
from dramatiq.asyncio import get_event_loop_thread

from services.sync.actors import create_broker, declare_actors
from services.sync.runtime import LazyRuntime
from services.sync.settings import SyncSettings
from shared.logging import configure_logging


class _CloseRuntime(dramatiq.Middleware):
    """Closes the worker's pools and publisher on its own event loop at shutdown.

    Dramatiq runs `after_worker_shutdown` hooks in reverse order, so this one
    runs while the AsyncIO middleware's loop is still alive, and after every
    in-flight import has finished.
    """

    def __init__(self, runtime: LazyRuntime) -> None:
        self._runtime = runtime

    def after_worker_shutdown(self, broker: dramatiq.Broker, worker: dramatiq.Worker) -> None:
        thread = get_event_loop_thread()
        if thread is not None:
            thread.run_coroutine(self._runtime.close())


def run_worker(settings: SyncSettings) -> None:
    """Consume import messages until SIGTERM or SIGINT, then finish in-flight work."""
    configure_logging("sync-worker", settings.log_level)
    if not settings.redis_url:
        raise SystemExit("sync worker: REDIS_URL is required")
    broker = create_broker(
        settings.redis_url,
        heartbeat_timeout_ms=settings.sync_heartbeat_timeout_ms,
        maintenance_chance=settings.sync_maintenance_chance,
    )
    runtime = LazyRuntime(settings)
    broker.add_middleware(_CloseRuntime(runtime))
    declare_actors(broker, runtime.get, time_limit_s=settings.sync_import_time_limit_seconds)
    worker = dramatiq.Worker(broker, worker_threads=settings.sync_worker_threads)
    stop = threading.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda *_: stop.set())
    worker.start()
    try:
        stop.wait()
    finally:
        worker.stop(timeout=int(settings.shutdown_grace_seconds * 1000))
        broker.close()
