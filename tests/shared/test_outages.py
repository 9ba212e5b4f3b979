"""as_outage: which exceptions mean a dependency is down (UNAVAILABLE), not a bug (INTERNAL)."""

from __future__ import annotations

import asyncpg
import pytest
from redis import exceptions as redis_errors
from sqlalchemy import exc as sa_errors

from shared.outages import as_outage


def wrapped(orig: Exception, *, invalidated: bool = False) -> sa_errors.DBAPIError:
    """How SQLAlchemy hands a driver error up: a DBAPIError with the original inside."""
    return sa_errors.DBAPIError("SELECT 1", {}, orig, connection_invalidated=invalidated)


def caused_by(error: Exception, cause: Exception) -> Exception:
    error.__cause__ = cause
    return error


OUTAGES = [
    ("connection invalidated", wrapped(Exception("closed"), invalidated=True), "DATABASE"),
    ("starting up", wrapped(asyncpg.exceptions.CannotConnectNowError("starting")), "DATABASE"),
    ("admin shutdown", wrapped(asyncpg.exceptions.AdminShutdownError("bye")), "DATABASE"),
    ("connection gone", asyncpg.exceptions.ConnectionDoesNotExistError("gone"), "DATABASE"),
    ("too many connections", asyncpg.exceptions.TooManyConnectionsError("full"), "DATABASE"),
    ("pool timeout", sa_errors.TimeoutError("QueuePool limit reached"), "DATABASE"),
    (
        "driver error as a cause",
        caused_by(RuntimeError("while voting"), asyncpg.exceptions.CannotConnectNowError("x")),
        "DATABASE",
    ),
    ("redis refused", redis_errors.ConnectionError("refused"), "REDIS"),
    ("redis timeout", redis_errors.TimeoutError("slow"), "REDIS"),
    ("refused, bare", ConnectionRefusedError(111, "refused"), "DEPENDENCY"),
]

BUGS = [
    ("unique violation", wrapped(asyncpg.exceptions.UniqueViolationError("dup"))),
    ("syntax error", wrapped(asyncpg.exceptions.PostgresSyntaxError("oops"))),
    ("a plain bug", KeyError("missing")),
    ("redis answered an error", redis_errors.ResponseError("WRONGTYPE")),
]


@pytest.mark.parametrize(("error", "kind"), [o[1:] for o in OUTAGES], ids=[o[0] for o in OUTAGES])
def test_a_dependency_down_is_unavailable(error: Exception, kind: str) -> None:
    outage = as_outage(error)
    assert outage is not None
    assert outage.reason == f"{kind}_UNAVAILABLE"
    assert outage.code.name == "UNAVAILABLE"
    assert "asyncpg" not in outage.message and "Error" not in outage.message


@pytest.mark.parametrize("error", [b[1] for b in BUGS], ids=[b[0] for b in BUGS])
def test_anything_else_is_not_an_outage(error: Exception) -> None:
    assert as_outage(error) is None
