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


def test_a_value_read_before_an_invalidation_is_not_cached_after_it():
    cache: ReadCache[dict] = ReadCache(ttl=60, slug_of=lambda v: v["slug"])
    entity = uuid.uuid4()
    ticket = cache.ticket()  # a reader starts...
    cache.forget(entity)  # ...a write lands meanwhile...
    cache.put(entity, {"slug": "old"}, ticket)  # ...the reader's stale value is refused

    assert cache.get(str(entity)) is None and cache.get("old") is None
    cache.put(entity, {"slug": "new"}, cache.ticket())
    assert cache.get("new") == {"slug": "new"}


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
