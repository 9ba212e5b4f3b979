"""Collision-free slugs: stable once assigned, unique per table."""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from typing import Any

from sqlalchemy import or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from shared import text


async def assign(
    session: AsyncSession, model: Any, wanted: Iterable[tuple[str, str, str]]
) -> dict[str, str]:
    """Pick unused slugs for new rows, in one query.

    `wanted` holds (row key, name to slug, fallback). Each row gets its base
    slug when free, else the base plus `-2`, `-3`... A concurrent writer can
    still take a slug between this read and the insert; the insert's unique
    constraint then fails and the caller's transaction is retried.
    """
    wanted = list(wanted)
    bases = {
        key: text.slugify(name) or text.slugify(fallback) or _digest(key)
        for key, name, fallback in wanted
    }
    if not bases:
        return {}
    column = model.slug
    taken = set(
        await session.scalars(
            select(column).where(
                or_(
                    *(column == b for b in set(bases.values())),
                    *(column.like(f"{b}-%") for b in set(bases.values())),
                )
            )
        )
    )
    chosen: dict[str, str] = {}
    for key, base in bases.items():
        slug, n = base, 1
        while slug in taken:
            n += 1
            slug = f"{base}-{n}"
        taken.add(slug)
        chosen[key] = slug
    return chosen


def _digest(key: str) -> str:
    return hashlib.sha1(key.encode()).hexdigest()[:10]
