"""AIP-158 page sizes and keyset page tokens."""

from __future__ import annotations

import base64

import pytest

from shared.errors import InvalidArgument
from shared.paging import (
    DEFAULT_PAGE_SIZE,
    MAX_PAGE_SIZE,
    decode_page_token,
    encode_page_token,
    page_size,
    paginate,
)


@pytest.mark.parametrize(
    ("requested", "expected"),
    [
        (0, DEFAULT_PAGE_SIZE),
        (1, 1),
        (MAX_PAGE_SIZE, MAX_PAGE_SIZE),
        (MAX_PAGE_SIZE + 1, MAX_PAGE_SIZE),
    ],
)
def test_page_size_defaults_zero_and_caps_large_values(requested: int, expected: int) -> None:
    assert page_size(requested) == expected


def test_negative_page_size_is_invalid_on_the_named_field() -> None:
    with pytest.raises(InvalidArgument) as caught:
        page_size(-1, field="limit")
    assert caught.value.violations == (("limit", "must be at least 0"),)


def test_token_round_trips_the_key() -> None:
    key = ["Beyoncé", 42, 1.5, None]
    token = encode_page_token(key, scope="artists?country=US")
    assert "=" not in token and "+" not in token and "/" not in token
    assert decode_page_token(token, scope="artists?country=US") == key


def test_empty_token_means_first_page() -> None:
    assert decode_page_token("", scope="any") is None


def test_token_reused_with_other_filters_is_refused() -> None:
    token = encode_page_token(["a"], scope="artists?country=US")
    with pytest.raises(InvalidArgument) as caught:
        decode_page_token(token, scope="artists?country=FR")
    assert caught.value.violations == (("page_token", "invalid page token"),)


@pytest.mark.parametrize(
    "token",
    [
        "not base64!",
        base64.urlsafe_b64encode(b"not json").decode(),
        base64.urlsafe_b64encode(b'{"k": 1}').decode(),
        base64.urlsafe_b64encode(b'["x", [[1]]]').decode(),
    ],
)
def test_malformed_token_is_invalid_argument(token: str) -> None:
    with pytest.raises(InvalidArgument, match="page_token: invalid page token"):
        decode_page_token(token, scope="s")


async def test_paginate_walks_every_row_once_and_ends_with_an_empty_token() -> None:
    rows = [f"row-{i:02d}" for i in range(7)]

    async def fetch(after, limit):
        start = 0 if after is None else rows.index(after[0]) + 1
        return rows[start : start + limit]

    seen, token, pages = [], "", 0
    while True:
        page, token = await paginate(
            fetch, lambda row: [row], requested_size=3, page_token=token, scope="s"
        )
        seen += page
        pages += 1
        if not token:
            break
    assert seen == rows and pages == 3


async def test_paginate_refuses_a_token_whose_key_the_fetch_cannot_parse() -> None:
    async def fetch(after, limit):
        raise ValueError("not a date")

    token = encode_page_token(["not-a-date", "x"], scope="s")
    with pytest.raises(InvalidArgument, match="page_token"):
        await paginate(fetch, lambda row: [row], requested_size=3, page_token=token, scope="s")
