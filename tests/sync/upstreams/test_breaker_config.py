"""Circuit breaker transitions on a fake clock, and settings read from the environment."""

from __future__ import annotations

import pytest

from services.sync.upstreams import (
    BreakerConfig,
    BreakerState,
    CircuitBreaker,
    UpstreamSettings,
    build_upstreams,
)
from services.sync.upstreams.redact import Redactor


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def test_breaker_opens_at_the_threshold_and_lets_one_probe_through() -> None:
    clock = Clock()
    breaker = CircuitBreaker("x", BreakerConfig(failure_threshold=2, cooldown_s=10), clock)
    breaker.record_failure()
    assert breaker.allow() and breaker.state is BreakerState.CLOSED
    breaker.record_failure()
    assert breaker.state is BreakerState.OPEN and not breaker.allow()
    assert breaker.retry_in() == 10

    clock.now += 10
    assert breaker.allow()  # the probe
    assert not breaker.allow()  # only one at a time
    breaker.record_success()
    assert breaker.state is BreakerState.CLOSED and breaker.consecutive_failures == 0


def test_a_successful_answer_resets_the_failure_count() -> None:
    breaker = CircuitBreaker("x", BreakerConfig(failure_threshold=2, cooldown_s=10), Clock())
    breaker.record_failure()
    breaker.record_success()
    breaker.record_failure()
    assert breaker.state is BreakerState.CLOSED


def test_settings_come_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    env = {
        "SPOTIFY_CLIENT_ID": "id",
        "SPOTIFY_CLIENT_SECRET": "secret-value",
        "TICKETMASTER_API_KEY": "tm-key-value",
        "SETLISTFM_API_KEY": "sf-key-value",
        "TICKETMASTER_API_URL": "http://tm.example/discovery/v2/",
        "TICKETMASTER_RATE_LIMIT": "4/1s,4000/1d",
        "UPSTREAM_RETRY_ATTEMPTS": "3",
        "SPOTIFY_APP_MODE": " Development ",
    }
    for name, value in env.items():
        monkeypatch.setenv(name, value)

    settings = UpstreamSettings()  # type: ignore[call-arg]

    tm = settings.ticketmaster()
    assert tm.base_url == "http://tm.example/discovery/v2"
    assert [(w.limit, w.period_s) for w in tm.windows] == [(4, 1.0), (4000, 86400.0)]
    assert tm.retry.max_attempts == 3
    assert settings.spotify().windows[0].period_s == 30.0
    assert "tm-key-value" not in repr(settings)
    assert settings.spotify_app_mode == "development"


def test_spotify_app_mode_defaults_to_auto_and_rejects_unknown_modes(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    for name in (
        "SPOTIFY_CLIENT_ID",
        "SPOTIFY_CLIENT_SECRET",
        "TICKETMASTER_API_KEY",
        "SETLISTFM_API_KEY",
    ):
        monkeypatch.setenv(name, "x")
    assert UpstreamSettings().spotify_app_mode == "auto"  # type: ignore[call-arg]
    assert build_upstreams(UpstreamSettings()).spotify.app_mode == "auto"  # type: ignore[call-arg]
    monkeypatch.setenv("SPOTIFY_APP_MODE", "extended")
    assert build_upstreams(UpstreamSettings()).spotify.batch_endpoints is True  # type: ignore[call-arg]
    monkeypatch.setenv("SPOTIFY_APP_MODE", "quota")
    with pytest.raises(ValueError, match="spotify_app_mode"):
        UpstreamSettings()  # type: ignore[call-arg]


def test_invalid_limits_fail_fast(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in (
        "SPOTIFY_CLIENT_ID",
        "SPOTIFY_CLIENT_SECRET",
        "TICKETMASTER_API_KEY",
        "SETLISTFM_API_KEY",
    ):
        monkeypatch.setenv(name, "x")
    monkeypatch.setenv("SETLISTFM_RATE_LIMIT", "lots")
    with pytest.raises(ValueError, match="LIMIT/PERIOD"):
        UpstreamSettings()  # type: ignore[call-arg]


def test_redactor_masks_known_secrets_and_credential_patterns() -> None:
    redact = Redactor(["s3cr3t-key"])
    text = "GET /x?apikey=other-key&a=1 Authorization: Bearer abc.def x-api-key: zzz s3cr3t-key"
    masked = redact(text)
    for secret in ("s3cr3t-key", "other-key", "abc.def", "zzz"):
        assert secret not in masked
    assert "a=1" in masked
