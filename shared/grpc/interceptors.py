"""The server interceptor every service runs: access log, error mapping, auth, validation."""

from __future__ import annotations

import asyncio
import contextlib
import inspect
import logging
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Collection
from typing import Any

import grpc
from google.protobuf.message import Message
from google.rpc import code_pb2, error_details_pb2, status_pb2
from grpc_status import rpc_status
from mysetlist.options.v1 import options_pb2

from shared.auth import Authenticator, Principal, Role, reset_principal, set_principal
from shared.errors import (
    InvalidArgument,
    PermissionDenied,
    ServiceError,
    Unauthenticated,
    to_rpc_status,
)
from shared.grpc.descriptors import Access, method_access
from shared.grpc.validation import validate_message
from shared.outages import as_outage

__all__ = ["EXEMPT_SERVICES", "ServiceInterceptor"]

log = logging.getLogger(__name__)
access_log = logging.getLogger("mysetlist.access")

# Infrastructure services: probes and tooling must reach them without tokens,
# and they carry no contract options to enforce.
EXEMPT_SERVICES: frozenset[str] = frozenset(
    {
        "grpc.health.v1.Health",
        "grpc.reflection.v1alpha.ServerReflection",
        "grpc.reflection.v1.ServerReflection",
    }
)

# Which roles satisfy each access level; admin acts as a user, not as a service.
_ROLES_FOR: dict[int, tuple[frozenset[Role], Role]] = {
    options_pb2.ACCESS_USER: (frozenset({Role.USER, Role.ADMIN}), Role.USER),
    options_pb2.ACCESS_ADMIN: (frozenset({Role.ADMIN}), Role.ADMIN),
    options_pb2.ACCESS_SERVICE: (frozenset({Role.SERVICE}), Role.SERVICE),
}

_MAX_LISTED_VIOLATIONS = 5

# The access log writes failed calls, slow calls and streams at INFO, and every other
# call at DEBUG: one JSON line per vote cost a quarter of a vote's CPU at ~1,000 votes/s,
# and call counts and latencies are what the RPC metrics are for.
SLOW_CALL_S = 1.0


def access_log_level(code: grpc.StatusCode, seconds: float, streaming: bool) -> int:
    if code is grpc.StatusCode.OK and not streaming and seconds < SLOW_CALL_S:
        return logging.DEBUG
    return logging.INFO


class ServiceInterceptor(grpc.aio.ServerInterceptor):
    """Wraps every RPC handler: access log ⊃ error mapping ⊃ auth ⊃ validation ⊃ servicer."""

    def __init__(
        self,
        *,
        domain: str,
        authenticator: Authenticator,
        exempt_services: Collection[str] = EXEMPT_SERVICES,
    ) -> None:
        self._domain = domain
        self._authenticator = authenticator
        self._exempt = frozenset(exempt_services)
        self._internal_status = _internal_status(domain)
        # Wrapping is done once per method; continuation returns the same handler each time.
        self._wrapped: dict[str, tuple[grpc.RpcMethodHandler, grpc.RpcMethodHandler]] = {}

    async def intercept_service(
        self,
        continuation: Callable[[grpc.HandlerCallDetails], Awaitable[grpc.RpcMethodHandler | None]],
        handler_call_details: grpc.HandlerCallDetails,
    ) -> grpc.RpcMethodHandler | None:
        handler = await continuation(handler_call_details)
        method: str = handler_call_details.method  # type: ignore[attr-defined]
        if handler is None or method.lstrip("/").partition("/")[0] in self._exempt:
            return handler
        cached = self._wrapped.get(method)
        if cached is not None and cached[0] is handler:
            return cached[1]
        wrapped = self._wrap(handler, method)
        self._wrapped[method] = (handler, wrapped)
        return wrapped

    def _wrap(self, handler: grpc.RpcMethodHandler, method: str) -> grpc.RpcMethodHandler:
        access = method_access(method)
        serializers = {
            "request_deserializer": handler.request_deserializer,
            "response_serializer": handler.response_serializer,
        }
        if handler.request_streaming:
            behavior = handler.stream_stream if handler.response_streaming else handler.stream_unary

            async def from_stream(
                requests: AsyncIterator[Any], context: grpc.aio.ServicerContext
            ) -> Any:
                invoke = lambda: behavior(self._validated(requests), context)  # noqa: E731
                return await self._serve(
                    method, access, context, None, invoke, handler.response_streaming
                )

            if handler.response_streaming:
                return grpc.stream_stream_rpc_method_handler(from_stream, **serializers)
            return grpc.stream_unary_rpc_method_handler(from_stream, **serializers)

        behavior = handler.unary_stream if handler.response_streaming else handler.unary_unary

        async def from_unary(request: Any, context: grpc.aio.ServicerContext) -> Any:
            invoke = lambda: behavior(request, context)  # noqa: E731
            return await self._serve(
                method, access, context, request, invoke, handler.response_streaming
            )

        if handler.response_streaming:
            return grpc.unary_stream_rpc_method_handler(from_unary, **serializers)
        return grpc.unary_unary_rpc_method_handler(from_unary, **serializers)

    async def _serve(
        self,
        method: str,
        access: Access,
        context: grpc.aio.ServicerContext,
        request: Any,
        invoke: Callable[[], Any],
        streaming: bool,
    ) -> Any:
        started = time.perf_counter()
        code = grpc.StatusCode.OK
        principal: Principal | None = None
        reset = None
        try:
            principal = await self._authorize(context, access)
            # Same task as the servicer, so current_principal() sees it there.
            reset = set_principal(principal)
            if request is not None:
                self._validate(request)
            result = invoke()
            if streaming:
                await _drain(result, context)
                return None
            if inspect.isawaitable(result):
                result = await result
            return result
        except ServiceError as error:
            code = error.code
            await context.abort_with_status(
                rpc_status.to_status(to_rpc_status(error, self._domain))
            )
        except grpc.aio.AbortError:
            # The servicer aborted on its own; its status stands.
            code = context.code() or grpc.StatusCode.UNKNOWN
            raise
        except asyncio.CancelledError:
            code = grpc.StatusCode.CANCELLED
            raise
        except NotImplementedError:
            # Generated servicer stubs raise it for methods a service has not written yet.
            code = grpc.StatusCode.UNIMPLEMENTED
            await context.abort(code, "method not implemented")
        except Exception as error:
            # A database or Redis outage is the caller's to retry; anything else is a bug.
            outage = as_outage(error)
            if outage is None:
                code = grpc.StatusCode.INTERNAL
                log.exception("unhandled error in %s", method)
                status = self._internal_status
            else:
                code = outage.code
                log.warning("%s: %s (%s)", method, outage.reason, type(error).__name__)
                status = rpc_status.to_status(to_rpc_status(outage, self._domain))
            await context.abort_with_status(status)
        finally:
            if reset is not None:
                reset_principal(reset)
            seconds = time.perf_counter() - started
            level = access_log_level(code, seconds, streaming)
            if access_log.isEnabledFor(level):
                access_log.log(
                    level,
                    "rpc",
                    extra={
                        "method": method,
                        "code": code.name,
                        "duration_ms": round(seconds * 1000, 3),
                        "peer": context.peer(),
                        "principal": principal.subject if principal else None,
                    },
                )

    async def _authorize(
        self, context: grpc.aio.ServicerContext, access: Access
    ) -> Principal | None:
        header = next(
            (value for key, value in context.invocation_metadata() or () if key == "authorization"),
            None,
        )
        principal = None
        if header is not None:
            # A token that is present but bad is refused even on public methods:
            # silently treating the caller as anonymous would hide client bugs.
            scheme, _, token = str(header).partition(" ")
            token = token.strip()
            if scheme.lower() != "bearer" or not token:
                raise Unauthenticated(
                    "authorization metadata must be 'Bearer <token>'", reason="TOKEN_INVALID"
                )
            principal = await self._authenticator.verify_async(token)
        if access == options_pb2.ACCESS_PUBLIC:
            return principal
        if principal is None:
            raise Unauthenticated("this method requires a bearer token", reason="TOKEN_MISSING")
        allowed, role = _ROLES_FOR.get(access, (frozenset(), None))
        if role is None:  # an access level this library does not know: fail closed
            raise PermissionDenied("this method is not callable", reason="ACCESS_UNKNOWN")
        if not principal.roles & allowed:
            raise PermissionDenied(
                f"this method requires the {role.value} role",
                reason="ROLE_REQUIRED",
                metadata={"role": role.value},
            )
        return principal

    @staticmethod
    def _validate(request: Any) -> None:
        if not isinstance(request, Message):
            return
        violations = validate_message(request)
        if violations:
            listed = "; ".join(f"{f}: {d}" for f, d in violations[:_MAX_LISTED_VIOLATIONS])
            more = len(violations) - _MAX_LISTED_VIOLATIONS
            suffix = f" (and {more} more)" if more > 0 else ""
            raise InvalidArgument(
                f"invalid request: {listed}{suffix}",
                reason="INVALID_REQUEST",
                violations=violations,
            )

    async def _validated(self, requests: AsyncIterator[Any]) -> AsyncIterator[Any]:
        async for request in requests:
            self._validate(request)
            yield request


async def _drain(result: Any, context: grpc.aio.ServicerContext) -> None:
    """Run a streaming behavior of any style: writer coroutine, async or sync generator."""
    if inspect.isawaitable(result):
        await result
    elif hasattr(result, "__aiter__"):
        # aclosing: on cancel, the generator's cleanup (e.g. releasing a session) runs now.
        async with contextlib.aclosing(result) as responses:
            async for response in responses:
                await context.write(response)
    elif result is not None:
        for response in result:
            await context.write(response)


def _internal_status(domain: str) -> grpc.Status:
    status = status_pb2.Status(code=code_pb2.INTERNAL, message="internal error")
    status.details.add().Pack(error_details_pb2.ErrorInfo(reason="INTERNAL", domain=domain))
    return rpc_status.to_status(status)
