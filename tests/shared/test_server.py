"""The shared server through a real grpc.aio server: auth, errors, validation, health, shutdown, channel."""

from __future__ import annotations

import asyncio
import logging
import os
import signal
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import timedelta

import grpc
import pytest
import pytest_asyncio
from google.rpc import error_details_pb2, status_pb2
from grpc_health.v1 import health_pb2, health_pb2_grpc
from grpc_status import rpc_status
from mysetlist.catalog.v1 import catalog_pb2, catalog_pb2_grpc, resources_pb2
from mysetlist.events.v1 import events_pb2

from shared.auth import Authenticator, Role, mint_token, require_principal
from shared.errors import FailedPrecondition, NotFound
from shared.grpc.channel import create_channel
from shared.grpc.interceptors import SLOW_CALL_S, access_log_level
from shared.grpc.server import HealthState, ServiceRegistration, create_server, serve

SECRET = "test-secret-at-least-32-bytes-long-for-hs256"
DOMAIN = "catalog.mysetlist.test"
SONG_ID = "123e4567-e89b-12d3-a456-426614174000"


def token(*roles: Role | str, subject: str = "user-1") -> str:
    """A valid test token with these roles."""
    return mint_token(SECRET, subject, roles)


class FakeCatalog(catalog_pb2_grpc.CatalogServiceServicer):
    """Just enough catalog to exercise auth, errors, validation and streaming."""

    def __init__(self) -> None:
        self.release = asyncio.Event()
        self.started = asyncio.Event()

    async def GetArtist(
        self, request: catalog_pb2.GetArtistRequest, context: grpc.aio.ServicerContext
    ) -> catalog_pb2.GetArtistResponse:
        match request.artist:
            case "missing":
                raise NotFound(
                    "artist missing not found",
                    reason="ARTIST_NOT_FOUND",
                    metadata={"artist": "missing"},
                )
            case "boom":
                raise RuntimeError("database password is hunter2")
            case "slow":
                self.started.set()
                await self.release.wait()
        return catalog_pb2.GetArtistResponse(artist=resources_pb2.Artist(name=request.artist))

    async def CastVote(
        self, request: catalog_pb2.CastVoteRequest, context: grpc.aio.ServicerContext
    ) -> catalog_pb2.CastVoteResponse:
        voter = require_principal().subject
        if request.setlist_song_id == "00000000-0000-0000-0000-000000000000":
            raise FailedPrecondition("voting is closed", reason="VOTING_CLOSED")
        return catalog_pb2.CastVoteResponse(
            setlist_song_id=f"{request.setlist_song_id}/{voter}", voted=True
        )

    async def StreamEvents(
        self, request: catalog_pb2.StreamEventsRequest, context: grpc.aio.ServicerContext
    ) -> AsyncIterator[catalog_pb2.StreamEventsResponse]:
        for sequence in range(request.after_sequence + 1, request.after_sequence + 4):
            yield catalog_pb2.StreamEventsResponse(event=events_pb2.Event(sequence=sequence))
        raise NotFound("feed ended", reason="FEED_ENDED")


@dataclass
class Running:
    """A started server and what tests need to reach it."""

    server: grpc.aio.Server
    port: int
    health: HealthState
    servicer: FakeCatalog

    @property
    def target(self) -> str:
        return f"127.0.0.1:{self.port}"


def build_server() -> tuple[grpc.aio.Server, int, HealthState, FakeCatalog]:
    servicer = FakeCatalog()
    registration = ServiceRegistration(
        name=catalog_pb2.DESCRIPTOR.services_by_name["CatalogService"].full_name,
        add_to_server=catalog_pb2_grpc.add_CatalogServiceServicer_to_server,
        servicer=servicer,
    )
    server, port, health = create_server(
        "127.0.0.1:0",
        domain=DOMAIN,
        services=[registration],
        authenticator=Authenticator(secret=SECRET),
    )
    return server, port, health, servicer


@pytest_asyncio.fixture
async def running() -> AsyncIterator[Running]:
    server, port, health, servicer = build_server()
    await server.start()
    await health.set_serving(True)
    yield Running(server, port, health, servicer)
    await server.stop(None)


@pytest_asyncio.fixture
async def catalog(running: Running) -> AsyncIterator[catalog_pb2_grpc.CatalogServiceStub]:
    """An anonymous stub; tests pass metadata or build their own channel for tokens."""
    async with create_channel(running.target) as channel:
        yield catalog_pb2_grpc.CatalogServiceStub(channel)


SERVING = health_pb2.HealthCheckResponse.SERVING
NOT_SERVING = health_pb2.HealthCheckResponse.NOT_SERVING


def bearer(value: str) -> tuple[tuple[str, str], ...]:
    return (("authorization", f"Bearer {value}"),)


def details(
    error: grpc.aio.AioRpcError,
) -> tuple[error_details_pb2.ErrorInfo, list[tuple[str, str]]]:
    """The ErrorInfo and BadRequest violations a failed call carries."""
    status: status_pb2.Status | None = rpc_status.from_call(error)
    assert status is not None
    info, violations = error_details_pb2.ErrorInfo(), []
    for detail in status.details:
        if detail.Is(error_details_pb2.ErrorInfo.DESCRIPTOR):
            detail.Unpack(info)
        elif detail.Is(error_details_pb2.BadRequest.DESCRIPTOR):
            bad_request = error_details_pb2.BadRequest()
            detail.Unpack(bad_request)
            violations = [(v.field, v.description) for v in bad_request.field_violations]
    return info, violations


async def fails(call: object) -> grpc.aio.AioRpcError:
    with pytest.raises(grpc.aio.AioRpcError) as caught:
        await call  # type: ignore[misc]
    return caught.value


VOTE = catalog_pb2.CastVoteRequest(setlist_song_id=SONG_ID)
ARTIST = catalog_pb2.GetArtistRequest(artist="abba")


@pytest.mark.asyncio
@pytest.mark.parametrize(
    ("roles", "expected"),
    [
        (("user",), grpc.StatusCode.OK),
        (("admin",), grpc.StatusCode.OK),
        (("service",), grpc.StatusCode.PERMISSION_DENIED),
    ],
)
async def test_user_methods_accept_users_and_admins_only(
    catalog: catalog_pb2_grpc.CatalogServiceStub, roles: tuple[str, ...], expected: grpc.StatusCode
) -> None:
    call = catalog.CastVote(VOTE, metadata=bearer(token(*roles, subject="u7")))
    if expected is grpc.StatusCode.OK:
        assert (await call).setlist_song_id == f"{SONG_ID}/u7"  # the servicer saw the principal
    else:
        error = await fails(call)
        assert error.code() is expected
        assert details(error)[0].reason == "ROLE_REQUIRED"


@pytest.mark.asyncio
@pytest.mark.parametrize(
    ("metadata", "reason"),
    [
        ((), "TOKEN_MISSING"),
        (bearer("garbage"), "TOKEN_INVALID"),
        ((("authorization", "Basic dXNlcjpwdw=="),), "TOKEN_INVALID"),
        (bearer(mint_token(SECRET, "u1", ["user"], ttl=timedelta(minutes=-5))), "TOKEN_EXPIRED"),
    ],
)
async def test_user_methods_without_a_valid_token_are_unauthenticated(
    catalog: catalog_pb2_grpc.CatalogServiceStub, metadata: tuple[tuple[str, str], ...], reason: str
) -> None:
    error = await fails(catalog.CastVote(VOTE, metadata=metadata))
    assert error.code() is grpc.StatusCode.UNAUTHENTICATED
    info, _ = details(error)
    assert (info.reason, info.domain) == (reason, DOMAIN)


@pytest.mark.asyncio
async def test_public_methods_need_no_token_but_refuse_a_bad_one(
    catalog: catalog_pb2_grpc.CatalogServiceStub,
) -> None:
    assert (await catalog.GetArtist(ARTIST)).artist.name == "abba"
    error = await fails(catalog.GetArtist(ARTIST, metadata=bearer("garbage")))
    assert error.code() is grpc.StatusCode.UNAUTHENTICATED


@pytest.mark.asyncio
async def test_service_stream_checks_role_and_maps_errors_after_messages(
    catalog: catalog_pb2_grpc.CatalogServiceStub,
) -> None:
    denied = catalog.StreamEvents(
        catalog_pb2.StreamEventsRequest(), metadata=bearer(token("admin"))
    )
    assert (await fails(denied.read())).code() is grpc.StatusCode.PERMISSION_DENIED

    call = catalog.StreamEvents(
        catalog_pb2.StreamEventsRequest(after_sequence=5), metadata=bearer(token("service"))
    )
    sequences = []
    with pytest.raises(grpc.aio.AioRpcError) as caught:
        async for response in call:
            sequences.append(response.event.sequence)
    assert sequences == [6, 7, 8]
    assert caught.value.code() is grpc.StatusCode.NOT_FOUND
    assert details(caught.value)[0].reason == "FEED_ENDED"


@pytest.mark.asyncio
async def test_domain_error_maps_to_its_status_with_error_info(
    catalog: catalog_pb2_grpc.CatalogServiceStub,
) -> None:
    error = await fails(catalog.GetArtist(catalog_pb2.GetArtistRequest(artist="missing")))
    info, _ = details(error)
    assert error.code() is grpc.StatusCode.NOT_FOUND
    assert error.details() == "artist missing not found"
    assert (info.reason, info.domain, dict(info.metadata)) == (
        "ARTIST_NOT_FOUND",
        DOMAIN,
        {"artist": "missing"},
    )


@pytest.mark.asyncio
async def test_unexpected_error_is_internal_without_leaking(
    catalog: catalog_pb2_grpc.CatalogServiceStub,
) -> None:
    error = await fails(catalog.GetArtist(catalog_pb2.GetArtistRequest(artist="boom")))
    assert error.code() is grpc.StatusCode.INTERNAL
    assert error.details() == "internal error"
    assert "hunter2" not in str(error)
    assert details(error)[0].reason == "INTERNAL"


@pytest.mark.asyncio
async def test_invalid_request_lists_every_violation(
    catalog: catalog_pb2_grpc.CatalogServiceStub,
) -> None:
    request = catalog_pb2.BatchUpsertSongsRequest(
        artist_id="nope",
        songs=[catalog_pb2.SongInput(spotify_id="s", title="t"), catalog_pb2.SongInput()],
    )
    error = await fails(catalog.BatchUpsertSongs(request, metadata=bearer(token("service"))))
    info, violations = details(error)
    assert error.code() is grpc.StatusCode.INVALID_ARGUMENT
    assert info.reason == "INVALID_REQUEST"
    assert violations == [
        ("artist_id", "must be a UUID"),
        ("songs[1].spotify_id", "is required"),
        ("songs[1].title", "is required"),
    ]


@pytest.mark.asyncio
async def test_auth_runs_before_validation(catalog: catalog_pb2_grpc.CatalogServiceStub) -> None:
    error = await fails(catalog.CastVote(catalog_pb2.CastVoteRequest()))
    assert error.code() is grpc.StatusCode.UNAUTHENTICATED


@pytest.mark.asyncio
async def test_unimplemented_method_stays_unimplemented(
    catalog: catalog_pb2_grpc.CatalogServiceStub,
) -> None:
    error = await fails(catalog.ListArtists(catalog_pb2.ListArtistsRequest()))
    assert error.code() is grpc.StatusCode.UNIMPLEMENTED


@pytest.mark.asyncio
async def test_health_and_reflection_ignore_tokens(running: Running) -> None:
    async with grpc.aio.insecure_channel(running.target) as channel:
        health = health_pb2_grpc.HealthStub(channel)
        for service in ("", "mysetlist.catalog.v1.CatalogService"):
            response = await health.Check(
                health_pb2.HealthCheckRequest(service=service), metadata=bearer("garbage")
            )
            assert response.status == SERVING


@pytest.mark.asyncio
async def test_health_follows_dependency_checks(running: Running) -> None:
    database_up = True

    async def ping_database() -> None:
        if not database_up:
            raise ConnectionError("database unreachable")

    running.health.watch({"database": ping_database}, interval=0.02)
    async with grpc.aio.insecure_channel(running.target) as channel:
        request = health_pb2.HealthCheckRequest(service="mysetlist.catalog.v1.CatalogService")
        watch = health_pb2_grpc.HealthStub(channel).Watch(request)

        async def next_status() -> int:
            return (await asyncio.wait_for(watch.read(), 2)).status

        assert await next_status() == SERVING
        database_up = False
        assert await next_status() == NOT_SERVING
        database_up = True
        assert await next_status() == SERVING
        watch.cancel()
    await running.health.enter_graceful_shutdown()


@pytest.mark.asyncio
async def test_sigterm_drains_in_flight_calls_then_runs_stop_callbacks() -> None:
    server, port, health, servicer = build_server()
    stopped = asyncio.Event()

    async def on_stop() -> None:
        stopped.set()

    handler_before = signal.getsignal(signal.SIGTERM)
    serving = asyncio.create_task(serve(server, health, grace=5, on_stop=[on_stop]))
    async with create_channel(f"127.0.0.1:{port}") as channel:
        health_stub = health_pb2_grpc.HealthStub(channel)
        watch = health_stub.Watch(health_pb2.HealthCheckRequest())
        async with asyncio.timeout(2):
            while (await watch.read()).status != SERVING:
                pass
        slow = asyncio.ensure_future(
            catalog_pb2_grpc.CatalogServiceStub(channel).GetArtist(
                catalog_pb2.GetArtistRequest(artist="slow")
            )
        )
        await asyncio.wait_for(servicer.started.wait(), 2)

        os.kill(os.getpid(), signal.SIGTERM)

        assert (await asyncio.wait_for(watch.read(), 2)).status == NOT_SERVING
        watch.cancel()
        servicer.release.set()
        assert (await asyncio.wait_for(slow, 2)).artist.name == "slow"
        await asyncio.wait_for(serving, 5)
    assert stopped.is_set()
    assert signal.getsignal(signal.SIGTERM) == handler_before


@pytest.mark.asyncio
async def test_channel_adds_the_token_from_a_provider(running: Running) -> None:
    issued = []

    def provider() -> str:
        issued.append(token("user", subject=f"u{len(issued)}"))
        return issued[-1]

    async with create_channel(running.target, token=provider) as channel:
        stub = catalog_pb2_grpc.CatalogServiceStub(channel)
        assert (await stub.CastVote(VOTE)).setlist_song_id == f"{SONG_ID}/u0"
        assert (await stub.CastVote(VOTE)).setlist_song_id == f"{SONG_ID}/u1"
        # The caller's own authorization (e.g. a forwarded user token) wins.
        forwarded = await stub.CastVote(VOTE, metadata=bearer(token("user", subject="fwd")))
        assert forwarded.setlist_song_id == f"{SONG_ID}/fwd"


@pytest.mark.asyncio
async def test_channel_applies_a_default_deadline(running: Running) -> None:
    async with create_channel(running.target, timeout=0.2) as channel:
        stub = catalog_pb2_grpc.CatalogServiceStub(channel)
        error = await fails(stub.GetArtist(catalog_pb2.GetArtistRequest(artist="slow")))
        assert error.code() is grpc.StatusCode.DEADLINE_EXCEEDED
        assert (await stub.GetArtist(ARTIST, timeout=1)).artist.name == "abba"


async def test_access_log_keeps_failures_at_info_and_successes_at_debug(
    catalog: catalog_pb2_grpc.CatalogServiceStub, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG, logger="mysetlist.access")
    await catalog.CastVote(
        catalog_pb2.CastVoteRequest(setlist_song_id=SONG_ID), metadata=bearer(token(Role.USER))
    )
    await fails(catalog.GetArtist(catalog_pb2.GetArtistRequest(artist="missing")))

    lines = [r for r in caplog.records if r.name == "mysetlist.access"]
    assert [(r.levelno, r.method.rsplit("/", 1)[-1], r.code) for r in lines] == [
        (logging.DEBUG, "CastVote", "OK"),
        (logging.INFO, "GetArtist", "NOT_FOUND"),
    ]
    assert lines[0].principal == "user-1" and lines[1].principal is None
    assert all(r.duration_ms >= 0 and r.peer for r in lines)


@pytest.mark.parametrize(
    ("code", "seconds", "streaming", "level"),
    [
        (grpc.StatusCode.OK, 0.01, False, logging.DEBUG),
        (grpc.StatusCode.OK, SLOW_CALL_S, False, logging.INFO),  # slow
        (grpc.StatusCode.OK, 0.01, True, logging.INFO),  # streams are few and long
        (grpc.StatusCode.CANCELLED, 0.01, False, logging.INFO),
        (grpc.StatusCode.INTERNAL, 0.01, False, logging.INFO),
    ],
)
def test_access_log_level(
    code: grpc.StatusCode, seconds: float, streaming: bool, level: int
) -> None:
    assert access_log_level(code, seconds, streaming) == level
