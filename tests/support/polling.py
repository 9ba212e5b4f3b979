"""Waiting in tests for something that happens elsewhere (another task, process or server)."""

from __future__ import annotations

import asyncio
import inspect
import time
from collections.abc import Awaitable, Callable

import pytest


async def until(
    condition: Callable[[], bool | Awaitable[bool]],
    what: str | Callable[[], str],
    timeout: float = 15.0,
) -> None:
    """Poll `condition` (sync or async) until it holds; fail with `what` after `timeout` s."""
    deadline = time.monotonic() + timeout
    while True:
        held = condition()
        if inspect.isawaitable(held):
            held = await held
        if held:
            return
        if time.monotonic() > deadline:
            pytest.fail(
                f"timed out after {timeout} s waiting for {what if isinstance(what, str) else what()}"
            )
        await asyncio.sleep(0.02)
