"""SyncService's job methods through a real gRPC server, with jobs queued on a real Redis."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator, Iterator

import grpc
import pytest
from google.rpc import error_details_pb2
from grpc_status import rpc_status
from mysetlist.sync.v1 import sync_pb2 as api
from mysetlist.sync.v1 import sync_pb2_grpc
from redis.asyncio import Redis

from services.sync import server as sync_server
from services.sync.actors import IMPORT_QUEUE
from services.sync.settings import SyncSettings
from shared.auth import Role, mint_token
from shared.grpc.channel import create_channel
from tests.support.servers import drop_database, free_port, fresh_database

SECRET = "sync-service-test-secret-at-least-32-bytes"


@pytest.fixture(scope="module")
def sync_settings(postgres_url: str, redis_url: str) -> Iterator[SyncSettings]:
    url = fresh_database(postgres_url, "sync_service")
    settings = SyncSettings(
        database_url=url, redis_url=redis_url, environment="test", auth_jwt_secret=SECRET
    )
    sync_server.migrate(settings)
    yield settings
    drop_database(url)


async def _started(settings: SyncSettings) -> sync_server.SyncServer:
    app = sync_server.build(settings, address="127.0.0.1:0")
    await app.server.start()
    return app


async def _stopped(app: sync_server.SyncServer) -> None:
    await app.server.stop(0)
    await app.redis.aclose()
    await app.engine.dispose()


@pytest.fixture(scope="module")
async def sync(sync_settings: SyncSettings) -> AsyncIterator[sync_server.SyncServer]:
    app = await _started(sync_settings)
    yield app
    await _stopped(app)


@pytest.fixture
async def stubs(sync: sync_server.SyncServer):
    target = f"127.0.0.1:{sync.port}"
    channels = {
        "anonymous": create_channel(target),
        "user": create_channel(target, token=mint_token(SECRET, "fan", [Role.USER])),
        "admin": create_channel(target, token=mint_token(SECRET, "ops", [Role.ADMIN])),
    }
    yield {name: sync_pb2_grpc.SyncServiceStub(channel) for name, channel in channels.items()}
    for channel in channels.values():
        await channel.close()


def reference() -> str:
    return f"Band {uuid.uuid4().hex[:8]}"


async def expect(call, code: grpc.StatusCode) -> tuple[str, list[str]]:
    """The reason and offending fields of a call that must fail with `code`."""
    with pytest.raises(grpc.aio.AioRpcError) as caught:
        await call
    assert caught.value.code() == code
    status = rpc_status.from_call(caught.value)
    reason, fields = "", []
    for detail in status.details:
        if detail.Is(error_details_pb2.ErrorInfo.DESCRIPTOR):
            info = error_details_pb2.ErrorInfo()
            detail.Unpack(info)
            reason = info.reason
        if detail.Is(error_details_pb2.BadRequest.DESCRIPTOR):
            bad = error_details_pb2.BadRequest()
            detail.Unpack(bad)
            fields = [v.field for v in bad.field_violations]
    return reason, fields


async def test_start_import_queues_a_job_for_the_workers(stubs, redis_url):
    name = reference()

    response = await stubs["user"].StartImport(api.StartImportRequest(reference=name))

    assert response.created
    assert response.job.state == api.JOB_STATE_QUEUED and response.job.reference == name
    redis = Redis.from_url(redis_url)
    try:
        queued = await redis.lrange(f"dramatiq:{IMPORT_QUEUE}", 0, -1)
        messages = [await redis.hget(f"dramatiq:{IMPORT_QUEUE}.msgs", m) for m in queued]
    finally:
        await redis.aclose()
    assert any(response.job.id.encode() in (m or b"") for m in messages)


async def test_a_second_start_for_the_same_artist_returns_the_active_job(stubs):
    name = reference()
    first = await stubs["user"].StartImport(api.StartImportRequest(reference=name))

    again = await stubs["user"].StartImport(api.StartImportRequest(reference=name.upper()))

    assert not again.created and again.job.id == first.job.id


async def test_starting_an_import_needs_a_signed_in_user(stubs):
    reason, _ = await expect(
        stubs["anonymous"].StartImport(api.StartImportRequest(reference=reference())),
        grpc.StatusCode.UNAUTHENTICATED,
    )
    assert reason == "TOKEN_MISSING"


async def test_an_empty_reference_is_refused_naming_the_field(stubs):
    _, fields = await expect(
        stubs["user"].StartImport(api.StartImportRequest(reference="")),
        grpc.StatusCode.INVALID_ARGUMENT,
    )
    assert fields == ["reference"]


async def test_an_unknown_job_is_not_found(stubs):
    reason, _ = await expect(
        stubs["anonymous"].GetImportJob(api.GetImportJobRequest(job_id=str(uuid.uuid4()))),
        grpc.StatusCode.NOT_FOUND,
    )
    assert reason == "JOB_NOT_FOUND"


async def test_a_malformed_job_id_is_invalid(stubs):
    _, fields = await expect(
        stubs["anonymous"].GetImportJob(api.GetImportJobRequest(job_id="42")),
        grpc.StatusCode.INVALID_ARGUMENT,
    )
    assert fields == ["job_id"]


async def test_jobs_are_listed_newest_first_page_by_page(stubs):
    started = [
        (await stubs["user"].StartImport(api.StartImportRequest(reference=reference()))).job.id
        for _ in range(5)
    ]
    seen, token = [], ""
    while True:
        page = await stubs["anonymous"].ListImportJobs(
            api.ListImportJobsRequest(page_size=2, page_token=token, state=api.JOB_STATE_QUEUED)
        )
        assert len(page.jobs) <= 2
        seen += [job.id for job in page.jobs]
        token = page.next_page_token
        if not token:
            break
    mine = [job_id for job_id in seen if job_id in started]
    assert mine == list(reversed(started))
    assert len(seen) == len(set(seen))


async def test_cancelling_needs_an_admin_and_ends_the_watch(stubs):
    job = (await stubs["user"].StartImport(api.StartImportRequest(reference=reference()))).job
    await expect(
        stubs["user"].CancelImportJob(api.CancelImportJobRequest(job_id=job.id)),
        grpc.StatusCode.PERMISSION_DENIED,
    )
    watch = stubs["anonymous"].WatchImportJob(api.WatchImportJobRequest(job_id=job.id))
    first = await asyncio.wait_for(watch.read(), 5)

    cancelled = await stubs["admin"].CancelImportJob(api.CancelImportJobRequest(job_id=job.id))

    updates = [first.job]
    async for update in watch:
        updates.append(update.job)
    assert cancelled.job.state == api.JOB_STATE_CANCELLED
    assert [u.state for u in updates] == [api.JOB_STATE_QUEUED, api.JOB_STATE_CANCELLED]


async def test_without_a_reachable_queue_the_import_is_refused_and_not_left_pending(
    sync_settings: SyncSettings,
):
    settings = sync_settings.model_copy(update={"redis_url": f"redis://127.0.0.1:{free_port()}/0"})
    app = await _started(settings)
    channel = create_channel(f"127.0.0.1:{app.port}", token=mint_token(SECRET, "fan", [Role.USER]))
    try:
        stub = sync_pb2_grpc.SyncServiceStub(channel)
        name = reference()
        reason, _ = await expect(
            stub.StartImport(api.StartImportRequest(reference=name)), grpc.StatusCode.UNAVAILABLE
        )
        listed = await stub.ListImportJobs(api.ListImportJobsRequest(page_size=500))
    finally:
        await channel.close()
        await _stopped(app)
    # The client's retry policy may have tried again: every attempt failed cleanly.
    attempts = [job for job in listed.jobs if job.reference == name]
    assert attempts
    assert {(job.state, job.error.reason) for job in attempts} == {
        (api.JOB_STATE_FAILED, "QUEUE_UNAVAILABLE")
    }
