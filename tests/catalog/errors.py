"""Assertions on AIP-193 errors: the status code, the ErrorInfo reason, the offending field."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable
from typing import Any

import grpc
from google.rpc import error_details_pb2, status_pb2
from grpc_status import rpc_status


def reason_of(status: status_pb2.Status) -> str | None:
    """The ErrorInfo reason a status carries, if any."""
    for detail in status.details:
        if detail.Is(error_details_pb2.ErrorInfo.DESCRIPTOR):
            info = error_details_pb2.ErrorInfo()
            detail.Unpack(info)
            return info.reason
    return None


def fields_of(status: status_pb2.Status) -> list[str]:
    """The fields named by the status's BadRequest violations, in order."""
    fields: list[str] = []
    for detail in status.details:
        if detail.Is(error_details_pb2.BadRequest.DESCRIPTOR):
            bad_request = error_details_pb2.BadRequest()
            detail.Unpack(bad_request)
            fields.extend(v.field for v in bad_request.field_violations)
    return fields


async def expect_error(
    call: Awaitable[Any],
    code: grpc.StatusCode,
    *,
    field: str | None = None,
    reason: str | None = None,
) -> status_pb2.Status:
    """Await the call, assert it fails with `code` (and `field`, `reason`); return its status."""
    try:
        response = await call
    except grpc.aio.AioRpcError as err:
        assert err.code() == code, f"expected {code.name}, got {err.code().name}: {err.details()}"
        status = rpc_status.from_call(err)
        assert status is not None, f"{code.name} without a google.rpc.Status: {err.details()}"
        if field is not None:
            assert field in fields_of(status), (
                f"expected a violation on {field!r}, got {fields_of(status)}: {status.message}"
            )
        if reason is not None:
            assert reason_of(status) == reason, (
                f"expected reason {reason}, got {reason_of(status)}: {status.message}"
            )
        return status
    raise AssertionError(f"expected {code.name}, but the call succeeded with {response!r}")


async def first_message(stream: AsyncIterator[Any]) -> Any:
    """The first message of a server stream (so a stream's error can be awaited like a call)."""
    async for message in stream:
        return message
    return None
