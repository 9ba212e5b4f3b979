"""When a show starts, in the venue's own time zone."""

from __future__ import annotations

import datetime as dt
from typing import Protocol

from services.catalog.models import ShowStatus
from shared.clock import as_utc, zone

CLOSED_STATUSES = frozenset({ShowStatus.COMPLETED, ShowStatus.CANCELLED})


class Scheduled(Protocol):
    """What the voting window depends on: a Show row, or the columns of one."""

    local_date: dt.date
    timezone: str | None
    starts_at: dt.datetime | None
    status: ShowStatus


def voting_closes_at(show: Scheduled) -> dt.datetime:
    """The start instant; with no announced time, the start of the local day.

    Closing at local midnight when the time is unknown errs towards freezing
    the prediction before anything is played, never after.
    """
    if show.starts_at is not None:
        return as_utc(show.starts_at)
    tzinfo = zone(show.timezone) or dt.UTC
    return dt.datetime.combine(show.local_date, dt.time(0), tzinfo).astimezone(dt.UTC)


def voting_open(show: Scheduled, now: dt.datetime) -> bool:
    """Whether fans may still vote on or add to the show's predictions."""
    return show.status not in CLOSED_STATUSES and now < voting_closes_at(show)
