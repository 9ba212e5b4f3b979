"""Spotify client against the fake: tokens, app modes (told, learnt, shared), paging, ETags, 429s with Retry-After."""

from __future__ import annotations

import asyncio
import logging
import time
from dataclasses import replace
from typing import Any

import pytest
from redis.asyncio import Redis
from redis.exceptions import ConnectionError as RedisConnectionError

from fakes import FakeUpstreams, FaultPlan, Limit
from fakes.dataset import Dataset
from services.sync.upstreams import (
    AuthError,
    MemoryEtagCache,
    RateLimited,
    SpotifyClient,
    UpstreamSettings,
    parse_windows,
)
from tests.sync.upstreams.conftest import quick, redis_limiter, spotify_client

HALCYON = "2mjE0dYV9mmNKhDMQhVUrK"


def halcyon_album_ids(demo: Dataset) -> list[str]:
    return [album.id for group, album in demo.albums_of(HALCYON) if group in ("album", "single")]


async def test_token_is_fetched_lazily_once_and_reused(
    spotify: SpotifyClient, fakes: FakeUpstreams
) -> None:
    assert fakes.spotify.stats.calls["token"] == 0

    for _ in range(3):
        await spotify.artist(HALCYON)

    assert fakes.spotify.stats.calls["token"] == 1
    assert fakes.spotify.stats.calls["artist"] == 3


async def test_token_is_renewed_before_it_expires(
    spotify: SpotifyClient, fakes: FakeUpstreams
) -> None:
    fakes.spotify.config.token_ttl_s = 1.0
    await spotify.artist(HALCYON)

    await asyncio.sleep(1.0)
    await spotify.artist(HALCYON)

    assert fakes.spotify.stats.calls["token"] == 2
    assert fakes.spotify.stats.endpoint_statuses[("artist", 401)] == 0


async def test_expired_token_mid_run_is_replaced_once_and_the_call_retried(
    spotify: SpotifyClient, fakes: FakeUpstreams, expected: dict[str, Any]
) -> None:
    fakes.spotify.config.mode = "development"  # pages of 10: several calls to expire between
    fakes.spotify.config.inject(FaultPlan("token_expired", after=2, endpoints={"artist_albums"}))

    albums = await spotify.artist_albums(HALCYON)

    assert len(albums) == expected["halcyon_drive"]["releases"]
    assert fakes.spotify.stats.endpoint_statuses[("artist_albums", 401)] == 1
    assert fakes.spotify.stats.calls["token"] == 2


async def test_lowercase_token_type_is_accepted(
    spotify: SpotifyClient, fakes: FakeUpstreams
) -> None:
    fakes.spotify.config.token_type = "bearer"

    artist = await spotify.artist(HALCYON)

    assert artist["id"] == HALCYON


async def test_bad_client_secret_is_an_auth_error_without_the_secret(
    settings: UpstreamSettings, fakes: FakeUpstreams
) -> None:
    fakes.spotify.config.client_secret = "a-different-secret"
    async with spotify_client(settings) as client:
        with pytest.raises(AuthError) as caught:
            await client.artist(HALCYON)

    assert "invalid_client" in str(caught.value)
    assert settings.spotify_client_secret.get_secret_value() not in str(caught.value)


async def test_artist_albums_follows_next_through_every_page(
    spotify: SpotifyClient, fakes: FakeUpstreams, expected: dict[str, Any]
) -> None:
    fakes.spotify.config.mode = "development"

    albums = await spotify.artist_albums(HALCYON)

    releases = expected["halcyon_drive"]["releases"]
    assert len(albums) == releases == len({a["id"] for a in albums})
    assert fakes.spotify.stats.calls["artist_albums"] == -(-releases // 10)  # pages of 10


async def test_album_tracks_pages_past_fifty(spotify: SpotifyClient, demo: Dataset) -> None:
    longest = max(demo.spotify_albums.values(), key=lambda album: len(album.tracks))
    assert len(longest.tracks) > 50

    tracks = await spotify.album_tracks(longest.id)

    assert [t["id"] for t in tracks] == [t.id for t in longest.tracks]


async def test_extended_mode_batches_albums_by_twenty_and_tracks_by_fifty(
    spotify: SpotifyClient, fakes: FakeUpstreams, demo: Dataset
) -> None:
    ids = halcyon_album_ids(demo)[:45]
    track_ids = [t.id for t in demo.spotify_tracks.values()][:120]

    albums = await spotify.albums(ids)
    tracks = await spotify.tracks(track_ids)

    assert [a["id"] for a in albums] == ids
    assert [t["id"] for t in tracks] == track_ids
    assert all(t["external_ids"]["isrc"] for t in tracks)
    assert fakes.spotify.stats.calls["albums"] == 3
    assert fakes.spotify.stats.calls["tracks"] == 3
    assert spotify.batch_endpoints is True


async def development_import(client: SpotifyClient, demo: Dataset) -> tuple[int, int]:
    """25 albums then 7 tracks, checked against the dataset; the (albums, tracks) counts."""
    ids = halcyon_album_ids(demo)[:25]
    track_ids = [t.id for t in demo.spotify_tracks.values()][:7]

    albums = await client.albums(ids)
    tracks = await client.tracks(track_ids)

    assert [a["id"] for a in albums] == ids
    assert [t["id"] for t in tracks] == track_ids
    return len(ids), len(track_ids)


@pytest.mark.parametrize(("app_mode", "probes"), [("auto", 1), ("development", 0)])
async def test_development_mode_is_learnt_from_the_first_403_or_told_then_per_id(
    settings: UpstreamSettings, fakes: FakeUpstreams, demo: Dataset, app_mode: str, probes: int
) -> None:
    fakes.spotify.config.mode = "development"
    async with spotify_client(settings, app_mode=app_mode) as client:
        albums, tracks = await development_import(client, demo)

    calls = fakes.spotify.stats.calls
    # `auto`: one 403 probe, then one call per id; `development`: no probe at all.
    assert (calls["albums"], calls["album"]) == (probes, albums)
    assert (calls["tracks"], calls["track"]) == (0, tracks)  # the mode is known: no second probe
    assert fakes.spotify.stats.endpoint_statuses[("albums", 403)] == probes
    assert client.batch_endpoints is False


async def test_extended_setting_falls_back_per_id_with_a_warning_on_403(
    settings: UpstreamSettings,
    fakes: FakeUpstreams,
    demo: Dataset,
    caplog: pytest.LogCaptureFixture,
) -> None:
    fakes.spotify.config.mode = "development"  # the setting is wrong
    caplog.set_level(logging.WARNING, logger="services.sync.upstreams.spotify")
    async with spotify_client(settings, app_mode="extended") as client:
        assert client.batch_endpoints is True  # told: batch from the first call
        albums, tracks = await development_import(client, demo)

    calls = fakes.spotify.stats.calls
    assert (calls["albums"], calls["album"]) == (1, albums)  # the one 403, then per id
    assert (calls["tracks"], calls["track"]) == (0, tracks)
    warnings = [r for r in caplog.records if "SPOTIFY_APP_MODE" in r.getMessage()]
    assert len(warnings) == 1 and warnings[0].levelno == logging.WARNING


async def test_learnt_development_mode_is_shared_through_redis(
    settings: UpstreamSettings, fakes: FakeUpstreams, demo: Dataset, redis: Redis, key_prefix: str
) -> None:
    fakes.spotify.config.mode = "development"
    config = quick(settings.spotify())
    async with spotify_client(settings, config, redis_limiter(redis, config, key_prefix)) as first:
        albums, tracks = await development_import(first, demo)
    calls = fakes.spotify.stats.calls
    assert (calls["albums"], calls["album"]) == (1, albums)  # the first worker probes
    keys = [key async for key in redis.scan_iter(f"{key_prefix}:*app_mode*")]
    assert len(keys) == 1
    assert 0 < await redis.ttl(keys[0]) <= 3600

    # Another worker (or this one restarted) on the same Redis makes no probe.
    async with spotify_client(settings, config, redis_limiter(redis, config, key_prefix)) as second:
        await development_import(second, demo)
    assert (calls["albums"], calls["album"]) == (1, 2 * albums)
    assert (calls["tracks"], calls["track"]) == (0, 2 * tracks)
    assert second.batch_endpoints is False

    # Workers under another limiter prefix (another deployment, another test) learn afresh.
    other = f"{key_prefix}:other"
    async with spotify_client(settings, config, redis_limiter(redis, config, other)) as third:
        await development_import(third, demo)
    assert (calls["albums"], calls["album"]) == (2, 3 * albums)


async def test_workers_starting_together_pay_one_probe_between_them(
    settings: UpstreamSettings, fakes: FakeUpstreams, demo: Dataset, redis: Redis, key_prefix: str
) -> None:
    fakes.spotify.config.mode = "development"
    config = quick(settings.spotify())
    async with (
        spotify_client(settings, config, redis_limiter(redis, config, key_prefix)) as first,
        spotify_client(settings, config, redis_limiter(redis, config, key_prefix)) as second,
    ):
        (albums, tracks), _ = await asyncio.gather(
            development_import(first, demo), development_import(second, demo)
        )
    calls = fakes.spotify.stats.calls
    # One worker claimed the probe; the other waited for its 403 and never probed.
    assert fakes.spotify.stats.endpoint_statuses[("albums", 403)] == 1
    assert (calls["albums"], calls["album"]) == (1, 2 * albums)
    assert (calls["tracks"], calls["track"]) == (0, 2 * tracks)
    assert first.batch_endpoints is False and second.batch_endpoints is False
    assert [key async for key in redis.scan_iter(f"{key_prefix}:*probe*")] == []


async def test_extended_mode_remembers_nothing_and_told_modes_ignore_redis(
    settings: UpstreamSettings, fakes: FakeUpstreams, demo: Dataset, redis: Redis, key_prefix: str
) -> None:
    config = quick(settings.spotify())
    async with spotify_client(settings, config, redis_limiter(redis, config, key_prefix)) as first:
        await first.albums(halcyon_album_ids(demo)[:5])
    assert first.batch_endpoints is True
    assert [key async for key in redis.scan_iter(f"{key_prefix}:*app_mode*")] == []

    # A remembered development mode is a hint for `auto` only: `extended` still batches.
    fakes.spotify.config.mode = "development"
    async with spotify_client(settings, config, redis_limiter(redis, config, key_prefix)) as dev:
        await dev.albums(halcyon_album_ids(demo)[:5])
    fakes.spotify.config.mode = "extended"
    async with spotify_client(
        settings, config, redis_limiter(redis, config, key_prefix), app_mode="extended"
    ) as told:
        await told.albums(halcyon_album_ids(demo)[:5])
    assert told.batch_endpoints is True
    assert fakes.spotify.stats.endpoint_statuses[("albums", 200)] == 2


class BrokenRedis:
    """Stands in for the mode memory's Redis: every command fails as a dead server would."""

    async def get(self, key: str) -> Any:
        raise RedisConnectionError("connection refused")

    async def set(self, key: str, value: Any, **kwargs: Any) -> Any:
        raise RedisConnectionError("connection refused")


async def test_redis_errors_never_break_calls_the_client_just_probes(
    settings: UpstreamSettings,
    fakes: FakeUpstreams,
    demo: Dataset,
    redis: Redis,
    key_prefix: str,
    caplog: pytest.LogCaptureFixture,
) -> None:
    fakes.spotify.config.mode = "development"
    caplog.set_level(logging.WARNING, logger="services.sync.upstreams.spotify")
    config = quick(settings.spotify())
    limiter = redis_limiter(redis, config, key_prefix)
    limiter.redis = BrokenRedis()  # type: ignore[assignment]  # the limiter's scripts still work
    async with spotify_client(settings, config, limiter) as client:
        albums, tracks = await development_import(client, demo)

    calls = fakes.spotify.stats.calls
    assert (calls["albums"], calls["album"], calls["track"]) == (1, albums, tracks)
    assert len([r for r in caplog.records if "Redis" in r.getMessage()]) == 2  # read, write


async def test_unknown_ids_are_skipped_in_both_modes(
    spotify: SpotifyClient, fakes: FakeUpstreams, demo: Dataset
) -> None:
    ids = [halcyon_album_ids(demo)[0], "0000000000000000000000"]
    assert len(await spotify.albums(ids)) == 1
    fakes.spotify.config.mode = "development"
    spotify.batch_endpoints = None
    assert len(await spotify.albums(ids)) == 1


async def test_search_artists_returns_the_first_page(spotify: SpotifyClient) -> None:
    found = await spotify.search_artists("Halcyon Drive", limit=5)

    assert found[0]["id"] == HALCYON
    assert len(found) <= 5


async def test_conditional_get_returns_the_cached_body_on_304(
    settings: UpstreamSettings, fakes: FakeUpstreams
) -> None:
    async with spotify_client(settings, etag_cache=MemoryEtagCache()) as client:
        first = await client.get_json("artist", f"/artists/{HALCYON}")
        second = await client.get_json("artist", f"/artists/{HALCYON}")

    assert first.etag and not first.not_modified
    assert second.not_modified and second.data == first.data
    assert second.fingerprint == first.fingerprint
    assert fakes.spotify.stats.not_modified == 1


async def test_429_storm_honours_retry_after_and_pauses_other_workers(
    settings: UpstreamSettings, fakes: FakeUpstreams, redis: Redis, key_prefix: str
) -> None:
    fakes.spotify.config.inject(FaultPlan("429", count=2, retry_after=1, endpoints={"artist"}))
    config = quick(settings.spotify())
    async with (
        spotify_client(settings, config, redis_limiter(redis, config, key_prefix)) as first,
        spotify_client(settings, config, redis_limiter(redis, config, key_prefix)) as second,
    ):
        await second.search_artists("Halcyon")  # token in hand, so timings below are calls only
        started = time.monotonic()
        artist_task = asyncio.create_task(first.artist(HALCYON))
        await asyncio.sleep(0.2)  # the first 429 has paused the shared limiter by now
        await second.search_artists("Halcyon")
        second_done = time.monotonic() - started
        artist = await artist_task
        elapsed = time.monotonic() - started

    assert artist["id"] == HALCYON
    assert elapsed >= 2.0  # two Retry-After: 1
    assert second_done >= 0.9  # the other worker waited out the pause instead of piling on
    assert first.stats.rate_limited == 2
    assert fakes.spotify.stats.faults_injected["429"] == 2


async def test_quota_retry_after_beyond_the_budget_fails_fast(
    spotify: SpotifyClient, fakes: FakeUpstreams
) -> None:
    fakes.spotify.config.inject(FaultPlan("429", retry_after=3600, reason="QUOTA_EXCEEDED"))
    started = time.monotonic()

    with pytest.raises(RateLimited) as caught:
        await spotify.artist(HALCYON)

    assert time.monotonic() - started < 1.0
    assert caught.value.retry_after == 3600


async def test_pacing_under_the_rolling_window_provokes_no_429(
    settings: UpstreamSettings, fakes: FakeUpstreams
) -> None:
    fakes.spotify.config.rate_limit = Limit(10, 1.0)
    # The margin absorbs the delay between taking a slot and the fake counting the
    # request; a loaded machine (CI with two cores) needs more than production's.
    config = replace(settings.spotify(), windows=parse_windows("10/1s"), rate_margin_s=0.25)
    async with spotify_client(settings, config) as client:
        await asyncio.gather(*(client.artist(HALCYON) for _ in range(15)))

    assert fakes.spotify.stats.total_violations == 0
    assert fakes.spotify.stats.calls["artist"] == 15
