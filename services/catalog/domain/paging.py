"""Keyset pages: fetch one row more than asked to know whether another page follows."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from typing import Any, TypeVar

from shared.errors import InvalidArgument
from shared.paging import decode_page_token, encode_page_token, page_size

T = TypeVar("T")


async def paginate(
    fetch: Callable[[Sequence[Any] | None, int], Awaitable[list[T]]],
    key: Callable[[T], list[str]],
    *,
    requested_size: int,
    page_token: str,
    scope: str,
) -> tuple[list[T], str]:
    """One page of `fetch(after, limit)` results and the token for the next ('' at the end)."""
    size = page_size(requested_size)
    after = decode_page_token(page_token, scope=scope)
    if after is not None and not all(isinstance(part, str) for part in after):
        raise InvalidArgument.field("page_token", "invalid page token")
    try:
        rows = await fetch(after, size + 1)
    except ValueError:
        # A well-formed token whose key does not parse (e.g. a forged date).
        raise InvalidArgument.field("page_token", "invalid page token") from None
    if len(rows) <= size:
        return rows, ""
    rows = rows[:size]
    return rows, encode_page_token(key(rows[-1]), scope=scope)
