"""`python -m services.sync [serve|migrate|worker]`: the gRPC server, the migration, or a worker."""

from __future__ import annotations

import argparse
import asyncio

from services.sync import server
from services.sync.settings import SyncSettings
from shared.settings import load_settings


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m services.sync", description=__doc__)
    parser.add_argument(
        "command", nargs="?", choices=["serve", "migrate", "worker"], default="serve"
    )
    args = parser.parse_args()
    settings = load_settings(SyncSettings)
    if args.command == "migrate":
        server.migrate(settings)
    elif args.command == "worker":
        from services.sync.worker import run_worker

        run_worker(settings)
    else:
        asyncio.run(server.run(settings))


if __name__ == "__main__":
    main()
