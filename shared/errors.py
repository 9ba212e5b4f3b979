"""Domain exceptions that declare their gRPC status and AIP-193 reason."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import ClassVar, Self

import grpc
from google.protobuf import any_pb2
from google.rpc import error_details_pb2, status_pb2

__all__ = [
    "Aborted",
    "AlreadyExists",
    "FailedPrecondition",
    "InvalidArgument",
    "NotFound",
    "PermissionDenied",
    "ResourceExhausted",
    "ServiceError",
    "Unauthenticated",
    "Unavailable",
    "to_rpc_status",
]


class ServiceError(Exception):
    """Root of the errors a servicer raises; the message is shown to the caller."""

    code: ClassVar[grpc.StatusCode] = grpc.StatusCode.UNKNOWN
    reason: str = "UNKNOWN"

    def __init__(
        self,
        message: str,
        *,
        reason: str | None = None,
        metadata: Mapping[str, str] | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        if reason is not None:
            self.reason = reason
        self.metadata: dict[str, str] = dict(metadata or {})

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.message!r}, reason={self.reason!r})"


class InvalidArgument(ServiceError):
    """The request is malformed; carries per-field violations for `BadRequest`."""

    code = grpc.StatusCode.INVALID_ARGUMENT
    reason = "INVALID_ARGUMENT"

    def __init__(
        self,
        message: str,
        *,
        reason: str | None = None,
        metadata: Mapping[str, str] | None = None,
        violations: Sequence[tuple[str, str]] | None = None,
    ) -> None:
        super().__init__(message, reason=reason, metadata=metadata)
        self.violations: tuple[tuple[str, str], ...] = tuple(violations or ())

    @classmethod
    def field(cls, field: str, description: str, *, reason: str | None = None) -> Self:
        """An error about one field, e.g. `InvalidArgument.field("page_token", "invalid page token")`."""
        return cls(f"{field}: {description}", reason=reason, violations=[(field, description)])


class NotFound(ServiceError):
    """The resource does not exist."""

    code = grpc.StatusCode.NOT_FOUND
    reason = "NOT_FOUND"


class AlreadyExists(ServiceError):
    """The resource the caller tried to create exists already."""

    code = grpc.StatusCode.ALREADY_EXISTS
    reason = "ALREADY_EXISTS"


class FailedPrecondition(ServiceError):
    """The system is not in a state that allows the operation (e.g. voting closed)."""

    code = grpc.StatusCode.FAILED_PRECONDITION
    reason = "FAILED_PRECONDITION"


class PermissionDenied(ServiceError):
    """The caller is known but may not do this."""

    code = grpc.StatusCode.PERMISSION_DENIED
    reason = "PERMISSION_DENIED"


class Unauthenticated(ServiceError):
    """The caller presented no valid credentials."""

    code = grpc.StatusCode.UNAUTHENTICATED
    reason = "UNAUTHENTICATED"


class ResourceExhausted(ServiceError):
    """A quota or rate limit is exhausted."""

    code = grpc.StatusCode.RESOURCE_EXHAUSTED
    reason = "RESOURCE_EXHAUSTED"


class Aborted(ServiceError):
    """A concurrency conflict; the caller may retry the whole operation."""

    code = grpc.StatusCode.ABORTED
    reason = "ABORTED"


class Unavailable(ServiceError):
    """A dependency is unreachable; the caller may retry with backoff."""

    code = grpc.StatusCode.UNAVAILABLE
    reason = "UNAVAILABLE"


def _pack(message: object) -> any_pb2.Any:
    packed = any_pb2.Any()
    packed.Pack(message)  # type: ignore[arg-type]
    return packed


def to_rpc_status(error: ServiceError, domain: str) -> status_pb2.Status:
    """The `google.rpc.Status` for an error: ErrorInfo always, BadRequest for invalid input."""
    status = status_pb2.Status(code=error.code.value[0], message=error.message)
    info = error_details_pb2.ErrorInfo(reason=error.reason, domain=domain, metadata=error.metadata)
    status.details.append(_pack(info))
    if isinstance(error, InvalidArgument) and error.violations:
        bad_request = error_details_pb2.BadRequest(
            field_violations=[
                error_details_pb2.BadRequest.FieldViolation(field=field, description=description)
                for field, description in error.violations
            ]
        )
        status.details.append(_pack(bad_request))
    return status
