"""Server construction (bindable to port 0 for tests), health state, and graceful serving."""

from __future__ import annotations

import asyncio
import logging
import signal
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import grpc
from grpc_health.v1 import health_pb2, health_pb2_grpc
from grpc_health.v1.health import aio as health_aio
from grpc_reflection.v1alpha import reflection

from shared.auth import Authenticator
from shared.grpc.interceptors import ServiceInterceptor

__all__ = ["HealthState", "ServiceRegistration", "create_server", "serve"]

log = logging.getLogger(__name__)

HealthCheck = Callable[[], Awaitable[None]]

# Clients keep idle connections alive with pings (see channel.py); the server must
# accept them or it answers with GOAWAY "too_many_pings".
_SERVER_OPTIONS: list[tuple[str, Any]] = [
    ("grpc.keepalive_permit_without_calls", 1),
    ("grpc.http2.min_recv_ping_interval_without_data_ms", 10_000),
    ("grpc.max_receive_message_length", 16 * 1024 * 1024),
]


@dataclass(frozen=True, slots=True)
class ServiceRegistration:
    """One servicer to host, e.g. `ServiceRegistration(CATALOG, add_CatalogServiceServicer_to_server, s)`."""

    name: str
    add_to_server: Callable[[Any, grpc.aio.Server], None]
    servicer: Any


class HealthState:
    """The health service's statuses: "" and every hosted service move together."""

    def __init__(self, servicer: health_aio.HealthServicer, services: Sequence[str]) -> None:
        self.servicer = servicer
        self._services = ("", *services)
        self._wanted = False  # what the server lifecycle asks for (serve() sets it)
        self._healthy = True  # what the dependency checks say
        self._published: bool | None = None
        self._watch_task: asyncio.Task[None] | None = None
        self._lock = asyncio.Lock()  # the lifecycle and the watcher publish concurrently

    async def set_serving(self, serving: bool) -> None:
        """Ask for SERVING (or NOT_SERVING); dependency checks can still hold it NOT_SERVING."""
        self._wanted = serving
        await self._publish()

    async def _publish(self) -> None:
        async with self._lock:
            serving = self._wanted and self._healthy
            if serving == self._published:
                return
            self._published = serving
            status = (
                health_pb2.HealthCheckResponse.SERVING
                if serving
                else health_pb2.HealthCheckResponse.NOT_SERVING
            )
            for service in self._services:
                await self.servicer.set(service, status)

    def watch(self, checks: Mapping[str, HealthCheck], interval: float = 5.0) -> asyncio.Task[None]:
        """Run dependency checks now and every `interval` s; NOT_SERVING while any fails."""
        if self._watch_task is not None:
            self._watch_task.cancel()
        self._watch_task = asyncio.get_running_loop().create_task(
            self._watch(dict(checks), interval), name="health-watch"
        )
        return self._watch_task

    async def _watch(self, checks: dict[str, HealthCheck], interval: float) -> None:
        while True:
            failures = await _run_checks(checks, timeout=interval)
            healthy = not failures
            if healthy != self._healthy:  # log transitions only, not every poll
                if healthy:
                    log.info("dependencies healthy again")
                else:
                    log.warning("dependency checks failing", extra={"failures": failures})
            self._healthy = healthy
            await self._publish()
            await asyncio.sleep(interval)

    async def enter_graceful_shutdown(self) -> None:
        """Stop watching and report NOT_SERVING for good."""
        if self._watch_task is not None:
            self._watch_task.cancel()
            self._watch_task = None
        await self.servicer.enter_graceful_shutdown()


async def _run_checks(checks: Mapping[str, HealthCheck], *, timeout: float) -> dict[str, str]:
    """Run all checks concurrently; the failing ones by name, with a short reason."""

    async def run(check: HealthCheck) -> None:
        async with asyncio.timeout(timeout):
            await check()

    results = await asyncio.gather(
        *(run(check) for check in checks.values()), return_exceptions=True
    )
    return {
        name: type(result).__name__ if isinstance(result, TimeoutError) else repr(result)[:200]
        for name, result in zip(checks, results, strict=True)
        if isinstance(result, BaseException)
    }


def create_server(
    address: str,
    *,
    domain: str,
    services: Sequence[ServiceRegistration],
    authenticator: Authenticator,
) -> tuple[grpc.aio.Server, int, HealthState]:
    """A server with the services, health, reflection and the interceptor, bound to `address`."""
    # Looked up at call time so telemetry's instrumentation of grpc.aio.server applies.
    server = grpc.aio.server(
        interceptors=[ServiceInterceptor(domain=domain, authenticator=authenticator)],
        options=_SERVER_OPTIONS,
    )
    for registration in services:
        registration.add_to_server(registration.servicer, server)
    health_servicer = health_aio.HealthServicer()
    health_pb2_grpc.add_HealthServicer_to_server(health_servicer, server)
    names = [registration.name for registration in services]
    reflection.enable_server_reflection(
        [
            *names,
            health_pb2.DESCRIPTOR.services_by_name["Health"].full_name,
            reflection.SERVICE_NAME,
        ],
        server,
    )
    port = server.add_insecure_port(address)
    if port == 0:
        raise OSError(f"cannot bind gRPC server to {address}")
    return server, port, HealthState(health_servicer, names)


async def serve(
    server: grpc.aio.Server,
    health: HealthState,
    *,
    grace: float,
    on_stop: Sequence[Callable[[], Awaitable[None]]] = (),
) -> None:
    """Start, report SERVING, and on SIGTERM/SIGINT drain in-flight calls within `grace` seconds."""
    loop = asyncio.get_running_loop()
    stop = asyncio.Event()
    signals = (signal.SIGTERM, signal.SIGINT)
    # remove_signal_handler() resets to the default action; restore what was there.
    previous = {sig: signal.getsignal(sig) for sig in signals}
    for sig in signals:
        loop.add_signal_handler(sig, stop.set)
    try:
        await server.start()
        await health.set_serving(True)
        log.info("serving")
        await stop.wait()
        log.info("shutting down", extra={"grace_seconds": grace})
    finally:
        for sig in signals:
            loop.remove_signal_handler(sig)
            if previous[sig] is not None:
                signal.signal(sig, previous[sig])
        # NOT_SERVING first, so load balancers stop routing before connections close.
        await health.enter_graceful_shutdown()
        await server.stop(grace)
        for callback in on_stop:
            try:
                await callback()
            except Exception:
                log.exception("shutdown callback failed")
        log.info("stopped")
