"""Reading the change feed in tests: until it goes quiet, or a given number of events."""

from __future__ import annotations

import asyncio
from collections.abc import Callable

from mysetlist.catalog.v1 import catalog_pb2 as api
from mysetlist.catalog.v1 import catalog_pb2_grpc
from mysetlist.events.v1 import events_pb2


async def collect_events(
    stub: catalog_pb2_grpc.CatalogServiceStub,
    keep: Callable[[events_pb2.Event], bool] = lambda e: True,
    *,
    after: int = 0,
    quiet: float = 0.7,
    limit: int | None = None,
) -> list[events_pb2.Event]:
    """Events after `after` that `keep` accepts, read until `limit` or `quiet` seconds with none."""
    call = stub.StreamEvents(api.StreamEventsRequest(after_sequence=after))
    kept: list[events_pb2.Event] = []
    try:
        while limit is None or len(kept) < limit:
            try:
                response = await asyncio.wait_for(call.read(), quiet)
            except TimeoutError:
                break
            if keep(response.event):
                kept.append(response.event)
    finally:
        call.cancel()
    return kept
