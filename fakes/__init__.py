"""Fake Spotify, Ticketmaster and setlist.fm servers for tests, benchmarks and `make run`.

Start them with `FakeUpstreams` (fakes.server) inside a running event loop, or
standalone with `python -m fakes`. UPSTREAMS.md is the behaviour they follow.
"""

from fakes.faults import FaultPlan
from fakes.ratelimit import Limit
from fakes.server import FakeUpstreams

__all__ = ["FakeUpstreams", "FaultPlan", "Limit"]
