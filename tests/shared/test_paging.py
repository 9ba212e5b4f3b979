"""AIP-158 page sizes and keyset page tokens."""

from __future__ import annotations

import base64

import pytest

from shared.errors import InvalidArgument
from shared.paging import (
    DEFAULT_PAGE_SIZE,
    MAX_PAGE_SIZE,
    Page,
    decode_page_token,
    encode_page_token,
    page_size,
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


def test_page_from_rows_emits_a_token_only_when_more_rows_exist() -> None:
    rows = [("a", 1), ("b", 2), ("c", 3)]
    full = Page.from_rows(rows, size=2, key=lambda row: [row[0], row[1]], scope="s")
    last = Page.from_rows(rows[:2], size=2, key=lambda row: [row[0], row[1]], scope="s")
    assert full.items == rows[:2]
    assert decode_page_token(full.next_page_token, scope="s") == ["b", 2]
    assert last.next_page_token == ""
