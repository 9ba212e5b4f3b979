"""The yardstick: a bare grpc.aio server with no interceptors, no database, no protobuf work.

`python echo_server.py --port P --payload NAME=FILE ...` serves `/bench.Echo/NAME`,
answering every call with FILE's bytes as they are (a serialized catalog response,
so the client deserializes a message of the same type and size as the real call),
and `/bench.Echo/Echo`, answering with the request's bytes. It also serves the
standard health service, so the harness can wait for it the same way.
"""

from __future__ import annotations

import argparse
import asyncio
import signal
from pathlib import Path

import grpc
from grpc_health.v1 import health_pb2, health_pb2_grpc
from grpc_health.v1.health import aio as health_aio


def _fixed(payload: bytes):
    async def handler(request: bytes, context: grpc.aio.ServicerContext) -> bytes:
        return payload

    return grpc.unary_unary_rpc_method_handler(handler)


async def _echo(request: bytes, context: grpc.aio.ServicerContext) -> bytes:
    return request


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--payload", action="append", default=[], metavar="NAME=FILE")
    args = parser.parse_args()
    payloads = {}
    for item in args.payload:
        name, _, path = item.partition("=")
        payloads[name] = Path(path).read_bytes()
    asyncio.run(serve(args.port, payloads))


async def serve(port: int, payloads: dict[str, bytes]) -> None:
    handlers = {"Echo": grpc.unary_unary_rpc_method_handler(_echo)}
    for name, payload in payloads.items():
        handlers[name] = _fixed(payload)

    server = grpc.aio.server()
    server.add_generic_rpc_handlers([grpc.method_handlers_generic_handler("bench.Echo", handlers)])
    health = health_aio.HealthServicer()
    health_pb2_grpc.add_HealthServicer_to_server(health, server)
    server.add_insecure_port(f"127.0.0.1:{port}")
    await server.start()
    await health.set("", health_pb2.HealthCheckResponse.SERVING)

    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    await stop.wait()
    await server.stop(0)


if __name__ == "__main__":
    main()
