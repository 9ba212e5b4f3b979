"""AIP-158 paging: page sizes and opaque keyset page tokens."""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
from collections.abc import Awaitable, Callable, Sequence
from typing import TypeVar

from shared.errors import InvalidArgument

__all__ = [
    "DEFAULT_PAGE_SIZE",
    "MAX_PAGE_SIZE",
    "paginate",
    "decode_page_token",
    "encode_page_token",
    "page_size",
]

DEFAULT_PAGE_SIZE = 50
MAX_PAGE_SIZE = 500

Key = Sequence[str | int | float | None]
T = TypeVar("T")


def page_size(
    requested: int,
    *,
    default: int = DEFAULT_PAGE_SIZE,
    maximum: int = MAX_PAGE_SIZE,
    field: str = "page_size",
) -> int:
    """The effective page size: 0 means `default`, above `maximum` is capped, negative is invalid."""
    if requested < 0:
        raise InvalidArgument.field(field, "must be at least 0")
    if requested == 0:
        return default
    return min(requested, maximum)


def _scope_hash(scope: str) -> str:
    # Short is enough: it only has to catch a token reused with other filters.
    return hashlib.blake2b(scope.encode(), digest_size=6).hexdigest()


def encode_page_token(key: Key, *, scope: str) -> str:
    """An opaque token for the page after `key`, bound to `scope` (the request's filters)."""
    payload = json.dumps([_scope_hash(scope), list(key)], separators=(",", ":"), allow_nan=False)
    return base64.urlsafe_b64encode(payload.encode()).rstrip(b"=").decode("ascii")


def _invalid() -> InvalidArgument:
    return InvalidArgument.field("page_token", "invalid page token")


def decode_page_token(token: str, *, scope: str) -> list[str | int | float | None] | None:
    """The key a token resumes after; None for an empty token; InvalidArgument if bad or foreign."""
    if not token:
        return None
    try:
        raw = base64.b64decode(token + "=" * (-len(token) % 4), altchars=b"-_", validate=True)
        decoded = json.loads(raw)
    except (binascii.Error, ValueError):
        raise _invalid() from None
    match decoded:
        case [str(scope_hash), list(key)] if scope_hash == _scope_hash(scope) and all(
            item is None or (isinstance(item, (str, int, float)) and not isinstance(item, bool))
            for item in key
        ):
            return key
    raise _invalid()


async def paginate(
    fetch: Callable[[list[str] | None, int], Awaitable[list[T]]],
    key: Callable[[T], Key],
    *,
    requested_size: int,
    page_token: str,
    scope: str,
) -> tuple[list[T], str]:
    """One keyset page of `fetch(after, limit)` and the next page's token ('' at the end).

    It asks for one row more than the page holds: that row only tells whether
    another page follows. A token whose key the fetch cannot parse (a forged
    date, say) is INVALID_ARGUMENT, like any other bad token.
    """
    size = page_size(requested_size)
    after = decode_page_token(page_token, scope=scope)
    if after is not None and not all(isinstance(part, str) for part in after):
        raise _invalid()
    try:
        rows = await fetch(after, size + 1)  # type: ignore[arg-type]
    except ValueError:
        raise _invalid() from None
    if len(rows) <= size:
        return list(rows), ""
    page = list(rows[:size])
    return page, encode_page_token(key(page[-1]), scope=scope)
