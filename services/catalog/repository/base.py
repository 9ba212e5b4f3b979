"""Helpers every repository module uses: dialect-aware upserts and keyset paging."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from typing import Any

from sqlalchemy import ColumnElement, and_, or_, tuple_

from shared.db import dialect, insert

__all__ = ["after_key", "any_of", "as_uuid", "dialect", "insert"]


def after_key(columns: Sequence[Any], key: Sequence[Any] | None, *, descending: bool = False):
    """WHERE clause for keyset paging: rows strictly after `key` in (columns) order."""
    if key is None:
        return and_(True)
    if descending:
        return tuple_(*columns) < tuple_(*key)
    return tuple_(*columns) > tuple_(*key)


def any_of(*clauses: ColumnElement[bool] | None) -> ColumnElement[bool]:
    """OR of the clauses that are not None (false when none are)."""
    present = [c for c in clauses if c is not None]
    return or_(*present) if present else and_(False)


def as_uuid(value: str) -> uuid.UUID | None:
    """The UUID a string spells, or None when it is not one."""
    try:
        return uuid.UUID(value)
    except (ValueError, AttributeError, TypeError):
        return None
