"""What a worker does when Redis goes away for a while (a restart): no job is dropped.

End to end, with a real Redis stopped and started under imports, in
tests/reliability/test_restarts.py; here each safeguard on its own.
"""

from __future__ import annotations

import logging
import uuid
from typing import Any

import dramatiq
import pytest
import redis
from dramatiq.broker import MessageProxy
from dramatiq.brokers.stub import StubBroker
from dramatiq.middleware import Retries
from redis.asyncio import Redis
from redis.exceptions import ConnectionError as RedisConnectionError

from services.sync import actors
from services.sync.actors import RetriesSurvivingRedisOutages, create_broker, declare_actors
from services.sync.pipeline.lease import JobLeases, lease_key
from services.sync.runtime import connect_redis


class RedisDownFor(StubBroker):
    """A broker whose first `outage` enqueues fail as they do while Redis is down."""

    def __init__(self, outage: int) -> None:
        super().__init__()
        self.outage = outage

    def enqueue(self, message: dramatiq.Message, *, delay: int | None = None) -> Any:
        if self.outage:
            self.outage -= 1
            raise redis.ConnectionError("Error 111 connecting to 127.0.0.1:6379.")
        return super().enqueue(message, delay=delay)


def test_the_broker_retries_failed_messages_with_the_redis_outage_safe_middleware() -> None:
    broker = create_broker("redis://127.0.0.1:1/0")
    try:
        retries = [m for m in broker.middleware if isinstance(m, Retries)]
        assert [type(m) for m in retries] == [RetriesSurvivingRedisOutages]
    finally:
        broker.close()


def test_the_retry_of_a_failed_message_is_queued_once_redis_answers_again(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.setattr(actors, "RETRY_ENQUEUE_PAUSE_S", 0.001)
    broker = RedisDownFor(outage=3)
    declared = declare_actors(broker, runtime=None)  # type: ignore[arg-type] - never run
    message = MessageProxy(declared.import_artist.message(str(uuid.uuid4())))

    with caplog.at_level(logging.WARNING, logger=actors.__name__):
        RetriesSurvivingRedisOutages().after_process_message(
            broker, message, exception=RuntimeError("Redis went away mid-import")
        )

    assert broker.outage == 0  # it waited out the outage...
    (retry,) = broker.queues[f"{actors.IMPORT_QUEUE}.DQ"].queue  # ...and queued the retry once
    assert retry is not None
    assert not message.failed  # not dead-lettered: the job runs again
    assert message.options["retries"] == 1
    warnings = [r for r in caplog.records if "Redis is unreachable" in r.getMessage()]
    assert len(warnings) == 1  # said once, not once per attempt


async def _release_failing(leases: JobLeases, times: int | None) -> list[int]:
    """Make the lease's release script fail `times` times (None: always); returns the count."""
    release, calls = leases._release, [0]

    async def flaky(**kwargs: Any) -> Any:
        calls[0] += 1
        if times is None or calls[0] <= times:
            raise RedisConnectionError("Error 111 connecting to 127.0.0.1:6379.")
        return await release(**kwargs)

    leases._release = flaky  # type: ignore[method-assign]
    return calls


async def test_a_run_ending_while_redis_is_down_releases_its_lease_once_redis_answers(
    redis_url: str,
) -> None:
    client = Redis.from_url(redis_url)
    try:
        leases = JobLeases(client, ttl_ms=10_000)
        calls = await _release_failing(leases, times=2)
        job_id = uuid.uuid4()
        with pytest.raises(RuntimeError):
            async with leases.hold(job_id) as held:
                assert held
                raise RuntimeError("the attempt failed: Dramatiq retries the job at once")
        assert calls[0] == 3
        # The retry takes the lease instead of finding it held and leaving the job to nobody.
        assert not await client.exists(lease_key(job_id))
        async with leases.hold(job_id) as held:
            assert held
    finally:
        await client.aclose()


async def test_a_run_stops_waiting_to_release_its_lease_once_the_lease_has_lapsed(
    redis_url: str,
) -> None:
    client = Redis.from_url(redis_url)
    try:
        leases = JobLeases(client, ttl_ms=300)
        await _release_failing(leases, times=None)
        job_id = uuid.uuid4()
        async with leases.hold(job_id) as held:
            assert held
        # It returned (Redis never answered) only once the lease could no longer be held.
        assert not await client.exists(lease_key(job_id))
    finally:
        await client.aclose()


async def test_the_sync_redis_client_reconnects_after_a_restart_closed_its_connections(
    redis_url: str,
) -> None:
    client = connect_redis(redis_url)
    admin = Redis.from_url(redis_url)
    try:
        await client.set("outage:probe", "1")
        # What a restart does to every connection the client has pooled.
        name = f"outage-{uuid.uuid4().hex}"
        await client.client_setname(name)
        victims = [c["id"] for c in await admin.client_list() if c.get("name") == name]
        assert victims
        for victim in victims:
            await admin.client_kill_filter(_id=victim)
        assert await client.get("outage:probe") == b"1"  # no "Connection closed by server"
    finally:
        await client.delete("outage:probe")
        await client.aclose()
        await admin.aclose()
