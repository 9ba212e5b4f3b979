"""Cached GetArtist/GetShow answers follow writes on every replica through the change feed."""

from __future__ import annotations

import asyncio
import uuid

from mysetlist.catalog.v1 import catalog_pb2 as api
from mysetlist.catalog.v1 import catalog_pb2_grpc

from services.catalog import server as catalog_server
from services.catalog.domain.cache import ReadCache
from shared.auth import Role, mint_token
from shared.grpc.channel import create_channel
from tests.catalog.conftest import SECRET


def cache_of_dicts(ttl: float = 60) -> ReadCache[dict]:
    return ReadCache(ttl=ttl, slug_of=lambda v: v["slug"], id_of=lambda v: v["id"])


class Loads:
    """A load function that counts its calls and answers only when released."""

    def __init__(self, value: dict | Exception) -> None:
        self.value = value
        self.calls = 0
        self.release = asyncio.Event()

    async def __call__(self) -> dict:
        self.calls += 1
        await self.release.wait()
        if isinstance(self.value, Exception):
            raise self.value
        return self.value


async def started() -> None:
    """Lets every task created so far run up to its first real wait."""
    for _ in range(3):
        await asyncio.sleep(0)


def test_a_value_read_before_an_invalidation_is_not_cached_after_it():
    cache = cache_of_dicts()
    entity = uuid.uuid4()
    ticket = cache.ticket()  # a reader starts...
    cache.forget(entity)  # ...a write lands meanwhile...
    cache.put(entity, {"slug": "old"}, ticket)  # ...the reader's stale value is refused

    assert cache.get(str(entity)) is None and cache.get("old") is None
    cache.put(entity, {"slug": "new"}, cache.ticket())
    assert cache.get("new") == {"slug": "new"}


async def test_concurrent_misses_of_one_key_share_a_single_load():
    cache = cache_of_dicts()
    entity = uuid.uuid4()
    load = Loads({"id": entity, "slug": "the-band"})
    readers = [asyncio.create_task(cache.get_or_load("the-band", load)) for _ in range(20)]
    await started()
    load.release.set()

    assert [await r for r in readers] == [load.value] * 20
    assert load.calls == 1
    # Cached under both keys now: no more loads.
    assert await cache.get_or_load(str(entity), Loads({})) == load.value


async def test_a_failed_load_fails_every_waiter_and_caches_nothing():
    cache = cache_of_dicts()
    load = Loads(LookupError("no such band"))
    readers = [asyncio.create_task(cache.get_or_load("nobody", load)) for _ in range(5)]
    await started()
    load.release.set()

    results = await asyncio.gather(*readers, return_exceptions=True)
    assert all(isinstance(r, LookupError) for r in results)
    retry = Loads({"id": uuid.uuid4(), "slug": "nobody"})
    retry.release.set()
    assert await cache.get_or_load("nobody", retry) == retry.value and retry.calls == 1


async def test_a_caller_that_hangs_up_does_not_cancel_the_load_others_wait_on():
    cache = cache_of_dicts()
    load = Loads({"id": uuid.uuid4(), "slug": "the-band"})
    first, second = (asyncio.create_task(cache.get_or_load("the-band", load)) for _ in range(2))
    await started()
    first.cancel()
    load.release.set()

    assert await second == load.value
    assert first.cancelled() and load.calls == 1


async def test_a_write_during_a_load_sends_later_readers_to_a_fresh_load():
    cache = cache_of_dicts()
    entity = uuid.uuid4()
    stale = Loads({"id": entity, "slug": "the-band", "popularity": 10})
    early = asyncio.create_task(cache.get_or_load("the-band", stale))
    await started()
    cache.forget(entity)  # a write commits while the old row is being read

    fresh = Loads({"id": entity, "slug": "the-band", "popularity": 77})
    late = asyncio.create_task(cache.get_or_load("the-band", fresh))
    await started()
    stale.release.set()
    fresh.release.set()

    assert (await early)["popularity"] == 10  # it began before the write
    assert (await late)["popularity"] == 77
    assert fresh.calls == 1
    assert cache.get("the-band")["popularity"] == 77  # the stale value was not cached


async def test_with_caching_off_every_read_loads():
    cache = cache_of_dicts(ttl=0)
    load = Loads({"id": uuid.uuid4(), "slug": "the-band"})
    load.release.set()
    for _ in range(3):
        await cache.get_or_load("the-band", load)
    assert load.calls == 3


async def test_a_write_on_one_replica_reaches_the_other_replicas_cache(catalog_settings):
    settings = catalog_settings.model_copy(update={"catalog_cache_ttl_seconds": 60})
    replicas = [catalog_server.build(settings, address="127.0.0.1:0") for _ in range(2)]
    followers = []
    for app in replicas:
        await app.server.start()
        followers.append(asyncio.create_task(app.catalog.follow_changes()))
    token = mint_token(SECRET, "sync", [Role.SERVICE])
    channels = [create_channel(f"127.0.0.1:{app.port}", token=token) for app in replicas]
    writer, reader = (catalog_pb2_grpc.CatalogServiceStub(c) for c in channels)
    try:
        artist = (
            await writer.UpsertArtist(
                api.UpsertArtistRequest(
                    artist=api.ArtistInput(
                        name="Cached Band", spotify_id=f"sp{uuid.uuid4().hex[:10]}", popularity=10
                    )
                )
            )
        ).artist
        before = (await reader.GetArtist(api.GetArtistRequest(artist=artist.id))).artist

        await writer.UpsertArtist(
            api.UpsertArtistRequest(
                artist=api.ArtistInput(
                    name="Cached Band", spotify_id=artist.spotify_id, popularity=77
                )
            )
        )
        after = before
        for _ in range(50):  # the feed is polled twice a second
            after = (await reader.GetArtist(api.GetArtistRequest(artist=artist.slug))).artist
            if after.popularity == 77:
                break
            await asyncio.sleep(0.1)
    finally:
        for task in followers:
            task.cancel()
        await asyncio.gather(*followers, return_exceptions=True)
        for channel in channels:
            await channel.close()
        for app in replicas:
            await app.server.stop(0)
            await app.engine.dispose()

    assert before.popularity == 10
    assert after.popularity == 77
