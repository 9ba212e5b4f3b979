"""`python -m services.catalog` serves; `python -m services.catalog migrate` migrates and exits."""

from __future__ import annotations

import argparse
import asyncio

from services.catalog import server
from services.catalog.settings import CatalogSettings
from shared.settings import load_settings


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m services.catalog", description=__doc__)
    parser.add_argument("command", nargs="?", choices=["serve", "migrate"], default="serve")
    args = parser.parse_args()
    settings = load_settings(CatalogSettings)
    if args.command == "migrate":
        server.migrate(settings)
    else:
        asyncio.run(server.run(settings))


if __name__ == "__main__":
    main()
