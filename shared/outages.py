"""Outages of what a service depends on (its database, Redis), told apart from bugs.

A servicer does not catch these: PostgreSQL restarting or Redis away surfaces as
a driver exception wherever the service happened to be. The interceptor asks
`as_outage` before treating an exception as a bug: an outage is answered with
UNAVAILABLE (the caller retries with backoff), a bug with INTERNAL.
"""

from __future__ import annotations

import socket

from redis import exceptions as redis_errors
from sqlalchemy import exc as sa_errors

from shared.errors import Unavailable

__all__ = ["as_outage"]

# SQLSTATE classes of a server that is unreachable, shutting down or starting up, or
# out of connections: 08 connection exception, 57P01-57P03 operator intervention
# (admin or crash shutdown, cannot connect now), 53300 too many connections.
_DATABASE_DOWN_STATES = ("08", "57P01", "57P02", "57P03", "53300")


def as_outage(error: BaseException) -> Unavailable | None:
    """The UNAVAILABLE to answer when `error` means a dependency is down, else None."""
    for cause in _chain(error):
        if _database_down(cause):
            return Unavailable(
                "the database is unavailable; try again", reason="DATABASE_UNAVAILABLE"
            )
        if isinstance(cause, redis_errors.ConnectionError | redis_errors.TimeoutError):
            return Unavailable("Redis is unavailable; try again", reason="REDIS_UNAVAILABLE")
    if isinstance(error, ConnectionError | socket.gaierror):
        # A connection refused or reset with no driver around it: a dependency is down.
        return Unavailable(
            "a dependency is unavailable; try again", reason="DEPENDENCY_UNAVAILABLE"
        )
    return None


def _database_down(error: BaseException) -> bool:
    if isinstance(error, sa_errors.DBAPIError) and error.connection_invalidated:
        return True
    if isinstance(error, sa_errors.TimeoutError):  # no pooled connection came free in time
        return True
    state = getattr(error, "sqlstate", None) or getattr(error, "pgcode", None)
    return isinstance(state, str) and state.startswith(_DATABASE_DOWN_STATES)


def _chain(error: BaseException, depth: int = 6) -> list[BaseException]:
    """The error, what it wraps (SQLAlchemy's `orig`) and what caused it, nearest first."""
    seen: list[BaseException] = []
    current: BaseException | None = error
    while current is not None and len(seen) < depth and current not in seen:
        seen.append(current)
        wrapped = getattr(current, "orig", None)
        current = (
            wrapped
            if isinstance(wrapped, BaseException)
            else current.__cause__ or current.__context__
        )
    return seen
