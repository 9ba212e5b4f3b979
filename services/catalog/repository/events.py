"""The outbox: domain events appended in the writer's transaction, read in sequence order."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import bindparam, case, func, insert, null, select, text
from sqlalchemy.ext.asyncio import AsyncSession

from services.catalog.models import OutboxEvent, utcnow
from services.catalog.repository.base import dialect

# Core, built once: every vote batch appends (see repository/votes.py for why).
_APPEND = insert(OutboxEvent.__table__)


async def append(session: AsyncSession, events: Sequence[tuple[str, dict[str, Any]]]) -> None:
    """Append (type, payload) events in the caller's transaction.

    Call it after the change the events describe has been written, so the
    transaction already holds a transaction id when it takes its sequence
    numbers: the feed reader relies on that to tell in-flight writers apart.
    """
    if events:
        now = utcnow()
        await session.execute(
            _APPEND,
            [{"type": kind, "payload": payload, "occurred_at": now} for kind, payload in events],
        )


@dataclass(frozen=True)
class Batch:
    """Events read after a sequence, and the writers in flight at that moment."""

    events: list[OutboxEvent]  # or light rows with sequence, type, payload (`read_after`)
    # Transaction ids still running when the batch was read. Any sequence
    # number missing below the highest one read belongs to one of them (or
    # was rolled back): once they have all ended, a gap that is still there
    # is permanent.
    in_flight: list[int]


async def read_after(
    session: AsyncSession, sequence: int, limit: int, *, types: frozenset[str] | None = None
) -> Batch:
    """Committed events with a sequence above `sequence`, in order, from one snapshot.

    With `types`, every event still comes (a reader needs each sequence number to
    tell a gap), but as a light row (sequence, type, payload) whose payload is None
    unless its type is one of `types`: the cache follower reads every vote event
    this way without decoding one.
    """
    in_flight: list[int] = []
    if dialect(session) == "postgresql":
        await session.execute(text("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ"))
        snapshot = await session.scalar(text("SELECT pg_current_snapshot()::text"))
        in_flight = _snapshot_xip(snapshot)
    if types is None:
        rows: Sequence[Any] = list(
            await session.scalars(
                select(OutboxEvent)
                .where(OutboxEvent.sequence > sequence)
                .order_by(OutboxEvent.sequence)
                .limit(limit)
            )
        )
    else:
        rows = (
            await session.execute(
                _LIGHT, {"after": sequence, "limit": limit, "types": sorted(types)}
            )
        ).all()
    return Batch(list(rows), in_flight)


_outbox = OutboxEvent.__table__
_LIGHT = (
    select(
        _outbox.c.sequence,
        _outbox.c.type,
        case(
            (_outbox.c.type.in_(bindparam("types", expanding=True)), _outbox.c.payload),
            else_=null(),
        ).label("payload"),
    )
    .where(_outbox.c.sequence > bindparam("after"))
    .order_by(_outbox.c.sequence)
    .limit(bindparam("limit"))
)


async def still_running(session: AsyncSession, xids: Sequence[int]) -> bool:
    """Whether any of these transactions is still in progress."""
    if not xids or dialect(session) != "postgresql":
        return False
    running = await session.scalar(
        text(
            "SELECT count(*) FROM unnest(CAST(:xids AS text[])) AS x "
            "WHERE pg_xact_status(CAST(x AS xid8)) = 'in progress'"
        ),
        {"xids": [str(x) for x in xids]},
    )
    return bool(running)


async def last_sequence(session: AsyncSession) -> int:
    """The highest sequence written so far (0 when none)."""
    return int(await session.scalar(select(func.max(OutboxEvent.sequence))) or 0)


def _snapshot_xip(snapshot: str | None) -> list[int]:
    # Format "xmin:xmax:xip1,xip2,...": the in-progress list is the third field.
    if not snapshot:
        return []
    parts = snapshot.split(":")
    return [int(x) for x in parts[2].split(",") if x] if len(parts) == 3 else []
