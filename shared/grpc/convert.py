"""Python values to the protobuf well-known types every servicer returns."""

from __future__ import annotations

import datetime as dt

from google.protobuf.duration_pb2 import Duration
from google.protobuf.timestamp_pb2 import Timestamp

from shared.clock import as_utc


def timestamp(value: dt.datetime | None) -> Timestamp | None:
    """A Timestamp, or None to leave the field unset."""
    if value is None:
        return None
    ts = Timestamp()
    ts.FromDatetime(as_utc(value))
    return ts


def duration(seconds: float) -> Duration:
    """A Duration of this many seconds."""
    value = Duration()
    value.FromNanoseconds(round(seconds * 1e9))
    return value
