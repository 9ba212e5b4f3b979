"""Walking AIP-158 lists page by page."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

MAX_PAGES = 2_000


async def walk(
    rpc: Callable[[Any], Awaitable[Any]], request: Any, items: str
) -> tuple[list[Any], list[Any]]:
    """Every item of every page, following next_page_token, and each page's response."""
    seen: list[Any] = []
    responses: list[Any] = []
    for _ in range(MAX_PAGES):
        response = await rpc(request)
        responses.append(response)
        seen.extend(getattr(response, items))
        if not response.next_page_token:
            return seen, responses
        following = type(request)()
        following.CopyFrom(request)
        following.page_token = response.next_page_token
        request = following
    raise AssertionError(f"no last page after {MAX_PAGES} pages")
