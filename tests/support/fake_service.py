"""A stand-in service for supervisor tests: `python -m tests.support.fake_service [migrate]`.

Serves only the gRPC health service on $FAKE_ADDR. $FAKE_MODE picks a behaviour:
"ok" (default), "crash" (exits 7 soon after starting), "bad-migration" (migrate exits 3).
"""

from __future__ import annotations

import asyncio
import os
import signal
import sys

import grpc
from grpc_health.v1 import health, health_pb2_grpc


async def serve(mode: str) -> int:
    server = grpc.aio.server()
    servicer = health.aio.HealthServicer()
    health_pb2_grpc.add_HealthServicer_to_server(servicer, server)
    server.add_insecure_port(os.environ["FAKE_ADDR"])
    await server.start()
    print("serving", flush=True)
    stop = asyncio.Event()
    asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, stop.set)
    if mode == "crash":
        await asyncio.sleep(0.5)
        print("crashing", flush=True)
        await server.stop(None)
        return 7
    await stop.wait()
    await servicer.enter_graceful_shutdown()
    await server.stop(1)
    print("drained", flush=True)
    return 0


def main() -> int:
    mode = os.environ.get("FAKE_MODE", "ok")
    if sys.argv[1:] == ["migrate"]:
        print("migrated", os.environ["DATABASE_URL"], flush=True)
        return 3 if mode == "bad-migration" else 0
    return asyncio.run(serve(mode))


if __name__ == "__main__":
    sys.exit(main())
