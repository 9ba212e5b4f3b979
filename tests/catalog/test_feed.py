"""The change feed: ordered, resumable, live, and never skipping a slow writer's event."""

from __future__ import annotations

import asyncio

from mysetlist.catalog.v1 import catalog_pb2 as api
from sqlalchemy import text

from services.catalog.repository import events
from shared import db
from tests.catalog.feed_reader import collect_events


async def _last_sequence(catalog) -> int:
    async with catalog.engine.connect() as connection:
        return int(
            await connection.scalar(
                text("SELECT coalesce(max(sequence), 0) FROM catalog.outbox_event")
            )
        )


async def _follow(clients, artist_id: str, user: str) -> None:
    await clients.user(user).FollowArtist(api.FollowArtistRequest(artist_id=artist_id))


async def test_a_reader_resuming_from_its_last_sequence_misses_nothing(catalog, clients, world):
    start = await _last_sequence(catalog)
    artist = await world.artist()
    for i in range(6):
        await _follow(clients, artist.id, f"resumer-{i}")
    service = clients.service()

    first = await collect_events(service, after=start, limit=3)
    rest = await collect_events(service, after=first[-1].sequence)

    sequences = [e.sequence for e in first + rest]
    assert sequences == sorted(set(sequences))
    follows = [e for e in first + rest if e.WhichOneof("payload") == "follow_added"]
    assert {e.follow_added.user_id for e in follows} == {f"resumer-{i}" for i in range(6)}
    async with catalog.engine.connect() as connection:
        stored = list(
            await connection.scalars(
                text("SELECT sequence FROM catalog.outbox_event WHERE sequence > :s ORDER BY 1"),
                {"s": start},
            )
        )
    assert sequences == stored


async def test_a_tailing_reader_receives_new_events_as_they_commit(catalog, clients, world):
    artist = await world.artist()
    start = await _last_sequence(catalog)
    call = clients.service().StreamEvents(api.StreamEventsRequest(after_sequence=start))

    await _follow(clients, artist.id, "live-fan")

    response = await asyncio.wait_for(call.read(), 5)
    call.cancel()
    assert response.event.WhichOneof("payload") == "follow_added"
    assert response.event.follow_added.artist_id == artist.id
    assert response.event.sequence > start


async def test_an_event_committed_late_is_delivered_before_later_ones(catalog, clients, world):
    artist = await world.artist()
    start = await _last_sequence(catalog)
    call = clients.service().StreamEvents(api.StreamEventsRequest(after_sequence=start))
    # A writer takes a sequence number and holds its transaction open...
    slow = await catalog.engine.connect()
    transaction = await slow.begin()
    await slow.execute(text("SELECT pg_current_xact_id()"))
    slow_sequence = await slow.scalar(
        text(
            "INSERT INTO catalog.outbox_event (id, type, payload, occurred_at) "
            "VALUES (gen_random_uuid(), 'follow_added', "
            '\'{"user_id": "slow-writer", "artist_id": "x"}\', now()) RETURNING sequence'
        )
    )
    # ...while a faster writer commits the next one.
    await _follow(clients, artist.id, "fast-writer")
    # (A timed-out read would cancel the whole call: wait on a task instead.)
    pending_read = asyncio.create_task(call.read())
    done, _ = await asyncio.wait({pending_read}, timeout=1.0)
    await transaction.commit()
    await slow.close()

    assert not done, "the reader must wait for the open transaction before moving on"
    first = await asyncio.wait_for(pending_read, 5)
    second = await asyncio.wait_for(call.read(), 5)
    call.cancel()
    assert first.event.sequence == slow_sequence
    assert first.event.follow_added.user_id == "slow-writer"
    assert second.event.follow_added.user_id == "fast-writer"


async def test_a_rolled_back_sequence_number_is_skipped_once_its_writer_ends(
    catalog, clients, world
):
    artist = await world.artist()
    start = await _last_sequence(catalog)
    aborted = await catalog.engine.connect()
    transaction = await aborted.begin()
    await aborted.execute(text("SELECT pg_current_xact_id()"))
    await aborted.execute(
        text(
            "INSERT INTO catalog.outbox_event (id, type, payload, occurred_at) "
            "VALUES (gen_random_uuid(), 'follow_added', '{}', now())"
        )
    )
    await _follow(clients, artist.id, "after-rollback")
    await transaction.rollback()
    await aborted.close()

    events = await collect_events(clients.service(), after=start, limit=1)

    assert [e.follow_added.user_id for e in events] == ["after-rollback"]


async def test_concurrent_writers_never_make_a_reader_skip_or_repeat(catalog, clients, world):
    artist = await world.artist()
    start = await _last_sequence(catalog)
    reader = asyncio.create_task(collect_events(clients.service(), after=start, quiet=1.5))

    await asyncio.gather(*(_follow(clients, artist.id, f"crowd-{i}") for i in range(40)))
    events = await reader

    async with catalog.engine.connect() as connection:
        stored = list(
            await connection.scalars(
                text("SELECT sequence FROM catalog.outbox_event WHERE sequence > :s ORDER BY 1"),
                {"s": start},
            )
        )
    assert [e.sequence for e in events] == stored
    crowd = {e.follow_added.user_id for e in events if e.WhichOneof("payload") == "follow_added"}
    assert {f"crowd-{i}" for i in range(40)} <= crowd


async def test_a_light_read_has_every_sequence_but_only_the_payloads_asked_for(
    catalog, clients, world
):
    start = await _last_sequence(catalog)
    artist = await world.artist()  # artist_updated
    await _follow(clients, artist.id, "light-reader")  # follow_added

    sessions = db.session_factory(catalog.engine)
    async with sessions() as session:
        full = (await events.read_after(session, start, 100)).events
    async with sessions() as session:
        light = (
            await events.read_after(session, start, 100, types=frozenset({"follow_added"}))
        ).events

    assert [(e.sequence, e.type) for e in light] == [(e.sequence, e.type) for e in full]
    assert {e.type for e in light} >= {"artist_updated", "follow_added"}
    for light_event, event in zip(light, full, strict=True):
        wanted = event.type == "follow_added"
        assert light_event.payload == (event.payload if wanted else None)
