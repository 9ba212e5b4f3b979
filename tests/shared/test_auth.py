"""Token verification, the principal context, and the settings that configure auth."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import jwt
import pytest

from shared.auth import (
    Authenticator,
    Principal,
    Role,
    current_principal,
    mint_token,
    require_principal,
    reset_principal,
    set_principal,
)
from shared.errors import Unauthenticated
from shared.settings import DEV_JWT_SECRET, ServiceSettings, load_settings

SECRET = "test-secret-at-least-32-bytes-long-for-hs256"


class CatalogSettings(ServiceSettings):
    service_name = "catalog"
    database_url: str = "sqlite+aiosqlite:///.data/catalog.db"


def test_valid_token_yields_subject_and_known_roles() -> None:
    token = jwt.encode(
        {"sub": "u1", "roles": ["user", "wizard"], "exp": 4_000_000_000}, SECRET, algorithm="HS256"
    )
    principal = Authenticator(secret=SECRET).verify(token)
    assert principal == Principal(subject="u1", roles=frozenset({Role.USER}))
    assert principal.has(Role.USER) and not principal.has(Role.ADMIN)


@pytest.mark.parametrize(
    ("token", "reason", "message"),
    [
        (
            mint_token(SECRET, "u1", ["user"], ttl=timedelta(hours=-1)),
            "TOKEN_EXPIRED",
            "token has expired",
        ),
        (
            mint_token("another-secret-of-32-bytes-or-more!!", "u1", []),
            "TOKEN_INVALID",
            "signature is invalid",
        ),
        ("not.a.jwt", "TOKEN_INVALID", "token is malformed"),
        (jwt.encode({"sub": "u1"}, SECRET, algorithm="HS256"), "TOKEN_INVALID", "'exp' claim"),
        (
            jwt.encode({"exp": 4_000_000_000}, SECRET, algorithm="HS256"),
            "TOKEN_INVALID",
            "'sub' claim",
        ),
    ],
)
def test_bad_tokens_are_unauthenticated_without_echoing_the_token(
    token: str, reason: str, message: str
) -> None:
    with pytest.raises(Unauthenticated) as caught:
        Authenticator(secret=SECRET).verify(token)
    assert caught.value.reason == reason
    assert message in caught.value.message
    assert token not in caught.value.message


def test_audience_is_checked_when_configured() -> None:
    authenticator = Authenticator(secret=SECRET, audience="mysetlist")
    assert authenticator.verify(mint_token(SECRET, "u1", [], audience="mysetlist")).subject == "u1"
    with pytest.raises(Unauthenticated, match="audience"):
        authenticator.verify(mint_token(SECRET, "u1", [], audience="elsewhere"))


def test_mint_token_refuses_unknown_roles() -> None:
    with pytest.raises(ValueError):
        mint_token(SECRET, "u1", ["wizard"])


@pytest.mark.asyncio
async def test_principal_context_is_per_task() -> None:
    assert current_principal() is None
    with pytest.raises(Unauthenticated):
        require_principal()
    alice = Principal("alice", frozenset({Role.USER}))
    reset = set_principal(alice)
    try:
        assert require_principal() is alice
        assert await asyncio.create_task(asyncio.sleep(0, current_principal())) is alice
    finally:
        reset_principal(reset)
    assert current_principal() is None


def test_development_uses_the_documented_dev_secret(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ENVIRONMENT", "development")
    settings = load_settings(CatalogSettings)
    token = mint_token(DEV_JWT_SECRET, "dev", [Role.ADMIN])
    assert Authenticator.from_settings(settings).verify(token).has(Role.ADMIN)


def test_production_without_secret_exits_with_one_line_per_error(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("ENVIRONMENT", "production")
    monkeypatch.delenv("AUTH_JWT_SECRET", raising=False)
    monkeypatch.delenv("AUTH_JWKS_URL", raising=False)
    with pytest.raises(SystemExit) as caught:
        load_settings(CatalogSettings)
    assert caught.value.code == 2
    err = capsys.readouterr().err
    assert "AUTH_JWT_SECRET" in err and "Traceback" not in err
    assert err.count("\n") == 1


def test_production_secret_is_used(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ENVIRONMENT", "production")
    monkeypatch.setenv("AUTH_JWT_SECRET", SECRET)
    settings = load_settings(CatalogSettings)
    assert settings.jwt_secret() == SECRET
    assert (
        Authenticator.from_settings(settings).verify(mint_token(SECRET, "s", ["service"])).subject
        == "s"
    )


def test_invalid_values_name_the_variable(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("SHUTDOWN_GRACE_SECONDS", "0")
    with pytest.raises(SystemExit):
        load_settings(CatalogSettings)
    assert "SHUTDOWN_GRACE_SECONDS" in capsys.readouterr().err
