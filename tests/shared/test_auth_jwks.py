"""RS256 verification against a real JWKS endpoint: keys, kids, rotation, outages, gRPC.

The JWKS endpoint is an aiohttp server on its own thread and event loop, so the blocking
`Authenticator.verify` (urllib under PyJWKClient) can be called straight from a test
without starving the server of the loop it needs to answer.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import hmac
import json
import socket
import threading
import time
import types
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import grpc
import jwt
import jwt.jwks_client
import pytest
import pytest_asyncio
from aiohttp import web
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from google.rpc import error_details_pb2, status_pb2
from grpc_status import rpc_status
from jwt.algorithms import RSAAlgorithm
from mysetlist.catalog.v1 import catalog_pb2, catalog_pb2_grpc

from shared.auth import Authenticator, Principal, Role, require_principal
from shared.errors import Unauthenticated, Unavailable
from shared.grpc.channel import create_channel
from shared.grpc.server import ServiceRegistration, create_server
from shared.settings import DEV_JWT_SECRET, ServiceSettings

DOMAIN = "catalog.mysetlist.test"
SONG_ID = "123e4567-e89b-12d3-a456-426614174000"


def _rsa_key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


KEY_A = _rsa_key()
KEY_B = _rsa_key()  # the key rotated in later
FOREIGN = _rsa_key()  # never served: an attacker's or another issuer's key


def jwk(key: rsa.RSAPrivateKey, kid: str) -> dict[str, Any]:
    """The public JWK of `key` as an identity provider would publish it."""
    public = RSAAlgorithm.to_jwk(key.public_key(), as_dict=True)
    assert isinstance(public, dict)
    return {**public, "kid": kid, "alg": "RS256", "use": "sig"}


def rs256(
    key: rsa.RSAPrivateKey,
    kid: str | None = "key-a",
    *,
    subject: str = "user-1",
    roles: tuple[str, ...] = ("user",),
    ttl: timedelta = timedelta(minutes=5),
    **claims: Any,
) -> str:
    now = datetime.now(UTC)
    payload = {"sub": subject, "roles": list(roles), "iat": now, "exp": now + ttl, **claims}
    headers = {"kid": kid} if kid is not None else None
    return jwt.encode(payload, key, algorithm="RS256", headers=headers)


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def hs256_forged(secret: bytes, kid: str = "key-a") -> str:
    """An HS256 token signed by hand, so any bytes (even a public key PEM) can be the secret."""
    header = _b64(json.dumps({"alg": "HS256", "typ": "JWT", "kid": kid}).encode())
    payload = _b64(
        json.dumps({"sub": "mallory", "roles": ["admin"], "exp": 4_000_000_000}).encode()
    )
    signature = hmac.new(secret, f"{header}.{payload}".encode(), hashlib.sha256).digest()
    return f"{header}.{payload}.{_b64(signature)}"


class JwksServer:
    """A JWKS endpoint on 127.0.0.1:<free port>; tests change what it serves as they go."""

    def __init__(self, *keys: dict[str, Any]) -> None:
        self.keys: list[dict[str, Any]] = list(keys)
        self.status = 200
        self.raw_body: str | None = None  # served as text/html instead of the key set
        self.hits = 0
        self.port = 0
        self._ready = threading.Event()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._stop: asyncio.Future[None] | None = None
        self._thread = threading.Thread(target=asyncio.run, args=(self._main(),), daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/.well-known/jwks.json"

    async def _handle(self, request: web.Request) -> web.Response:
        self.hits += 1
        if self.raw_body is not None:
            return web.Response(status=self.status, text=self.raw_body, content_type="text/html")
        return web.json_response({"keys": list(self.keys)}, status=self.status)

    async def _main(self) -> None:
        app = web.Application()
        app.router.add_get("/.well-known/jwks.json", self._handle)
        runner = web.AppRunner(app, access_log=None)
        await runner.setup()
        site = web.TCPSite(runner, "127.0.0.1", 0)
        await site.start()
        self.port = runner.addresses[0][1]
        self._loop = asyncio.get_running_loop()
        self._stop = self._loop.create_future()
        self._ready.set()
        try:
            await self._stop
        finally:
            await runner.cleanup()

    def start(self) -> JwksServer:
        self._thread.start()
        assert self._ready.wait(5), "JWKS server did not start"
        return self

    def stop(self) -> None:
        if self._loop is not None and self._stop is not None and not self._stop.done():
            self._loop.call_soon_threadsafe(self._stop.set_result, None)
        self._thread.join(5)


@pytest.fixture
def jwks() -> Iterator[JwksServer]:
    server = JwksServer(jwk(KEY_A, "key-a")).start()
    try:
        yield server
    finally:
        server.stop()


def closed_port_url() -> str:
    """A JWKS URL nothing listens on: connections are refused at once."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    return f"http://127.0.0.1:{port}/.well-known/jwks.json"


def refused(auth: Authenticator, token: str) -> Unauthenticated:
    with pytest.raises(Unauthenticated) as caught:
        auth.verify(token)
    return caught.value


# --- verification -----------------------------------------------------------------------


def test_token_signed_with_the_served_key_verifies(jwks: JwksServer) -> None:
    auth = Authenticator(jwks_url=jwks.url)
    token = rs256(KEY_A, subject="u42", roles=("user", "admin", "wizard"))
    assert auth.verify(token) == Principal(subject="u42", roles=frozenset({Role.USER, Role.ADMIN}))
    assert jwks.hits == 1


async def test_verify_async_fetches_keys_once_for_concurrent_callers(jwks: JwksServer) -> None:
    auth = Authenticator(jwks_url=jwks.url)
    tokens = [rs256(KEY_A, subject=f"u{i}", roles=("service",)) for i in range(8)]
    principals = await asyncio.gather(*(auth.verify_async(t) for t in tokens))
    assert [p.subject for p in principals] == [f"u{i}" for i in range(8)]
    assert all(p.roles == frozenset({Role.SERVICE}) for p in principals)
    assert jwks.hits == 1  # the key set is cached, and the fetch is serialized


@pytest.mark.parametrize(
    ("kid", "message"),
    [
        ("key-a", "token signature is invalid"),  # same kid, another key
        ("key-unknown", "token signing key is unknown"),
        (None, "token signing key is unknown"),  # no kid header at all
    ],
)
def test_token_signed_with_another_key_is_refused(
    jwks: JwksServer, kid: str | None, message: str
) -> None:
    auth = Authenticator(jwks_url=jwks.url)
    error = refused(auth, rs256(FOREIGN, kid))
    assert (error.reason, error.message) == ("TOKEN_INVALID", message)


async def test_verify_async_refuses_another_key_too(jwks: JwksServer) -> None:
    auth = Authenticator(jwks_url=jwks.url)
    with pytest.raises(Unauthenticated) as caught:
        await auth.verify_async(rs256(FOREIGN, "key-a"))
    assert caught.value.reason == "TOKEN_INVALID"


class CatalogSettings(ServiceSettings):
    service_name = "catalog"
    database_url: str = "sqlite+aiosqlite:///.data/catalog.db"


@pytest.mark.parametrize(
    "token",
    [
        # The dev secret is not a fallback once JWKS is configured, even in test.
        pytest.param(jwt.encode({"sub": "u", "exp": 4_000_000_000}, DEV_JWT_SECRET), id="dev"),
        # Classic confusion: the served public key used as an HMAC secret.
        pytest.param(
            hs256_forged(
                KEY_A.public_key().public_bytes(
                    serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
                )
            ),
            id="public-key-as-hmac-secret",
        ),
        pytest.param(
            jwt.encode({"sub": "u", "exp": 4_000_000_000}, None, algorithm="none"), id="none"
        ),
    ],
)
async def test_symmetric_and_unsigned_tokens_are_refused_when_only_jwks_is_configured(
    jwks: JwksServer, token: str
) -> None:
    settings = CatalogSettings(environment="test", auth_jwt_secret=None, auth_jwks_url=jwks.url)
    auth = Authenticator.from_settings(settings)
    for verify in (auth.verify, auth.verify_async):
        with pytest.raises(Unauthenticated) as caught:
            result = verify(token)
            if asyncio.iscoroutine(result):
                await result
        assert caught.value.reason == "TOKEN_INVALID"
        assert "is not accepted" in caught.value.message
    assert jwks.hits == 0  # refused on the header alone


def test_expired_token_is_refused_as_expired(jwks: JwksServer) -> None:
    auth = Authenticator(jwks_url=jwks.url)
    error = refused(auth, rs256(KEY_A, ttl=timedelta(minutes=-5)))
    assert (error.reason, error.message) == ("TOKEN_EXPIRED", "token has expired")
    # Within the 30 s leeway the token still passes.
    assert auth.verify(rs256(KEY_A, ttl=timedelta(seconds=-5))).subject == "user-1"


def test_audience_is_checked_when_configured(jwks: JwksServer) -> None:
    auth = Authenticator(jwks_url=jwks.url, audience="catalog")
    assert auth.verify(rs256(KEY_A, aud="catalog")).subject == "user-1"
    assert auth.verify(rs256(KEY_A, aud=["sync", "catalog"])).subject == "user-1"
    wrong = refused(auth, rs256(KEY_A, aud="sync"))
    assert (wrong.reason, wrong.message) == ("TOKEN_INVALID", "token audience is not accepted")
    missing = refused(auth, rs256(KEY_A))
    assert (missing.reason, missing.message) == ("TOKEN_INVALID", "token lacks the 'aud' claim")
    # Without a configured audience, any `aud` is accepted.
    assert Authenticator(jwks_url=jwks.url).verify(rs256(KEY_A, aud="sync")).subject == "user-1"


# --- rotation and caching ---------------------------------------------------------------


@pytest.fixture
def jwks_clock(monkeypatch: pytest.MonkeyPatch) -> list[float]:
    """Offset (seconds) added to the monotonic clock PyJWKClient's refresh cooldown reads.

    Only `jwt.jwks_client` sees it: the key-set cache (jwt.jwk_set_cache) and asyncio keep
    the real clock.
    """
    offset = [0.0]
    fake = types.SimpleNamespace(monotonic=lambda: time.monotonic() + offset[0])
    monkeypatch.setattr(jwt.jwks_client, "time", fake)
    return offset


def test_rotated_key_verifies_once_served_and_the_cooldown_has_passed(
    jwks: JwksServer, jwks_clock: list[float]
) -> None:
    auth = Authenticator(jwks_url=jwks.url)
    assert auth.verify(rs256(KEY_A)).subject == "user-1"
    assert jwks.hits == 1

    jwks.keys.append(jwk(KEY_B, "key-b"))
    rotated = rs256(KEY_B, "key-b", subject="after-rotation")
    # PyJWKClient refetches on an unknown kid at most once per `cooldown_duration`
    # (5 s in Authenticator): right after a fetch the new kid is unknown and the
    # endpoint is not asked again.
    assert refused(auth, rotated).reason == "TOKEN_INVALID"
    assert jwks.hits == 1

    jwks_clock[0] = 6.0
    assert auth.verify(rotated).subject == "after-rotation"
    assert jwks.hits == 2  # one forced refresh for the unknown kid
    assert auth.verify(rs256(KEY_A, subject="old-key")).subject == "old-key"  # both served
    assert jwks.hits == 2


def test_unknown_kids_do_not_hammer_the_endpoint(jwks: JwksServer, jwks_clock: list[float]) -> None:
    auth = Authenticator(jwks_url=jwks.url)
    for i in range(5):
        refused(auth, rs256(FOREIGN, f"bogus-{i}"))
    assert jwks.hits == 1  # initial fetch only; the cooldown blocks the refreshes
    jwks_clock[0] = 6.0
    for i in range(5):
        refused(auth, rs256(FOREIGN, f"bogus-again-{i}"))
    assert jwks.hits == 2


def test_a_fresh_authenticator_sees_a_rotated_key_at_once(jwks: JwksServer) -> None:
    jwks.keys = [jwk(KEY_A, "key-a"), jwk(KEY_B, "key-b")]
    auth = Authenticator(jwks_url=jwks.url)
    assert auth.verify(rs256(KEY_B, "key-b")).subject == "user-1"
    assert auth.verify(rs256(KEY_A, "key-a")).subject == "user-1"
    assert jwks.hits == 1


# --- outages ----------------------------------------------------------------------------


async def test_jwks_down_is_unavailable() -> None:
    auth = Authenticator(jwks_url=closed_port_url())
    token = rs256(KEY_A)
    with pytest.raises(Unavailable) as caught:
        auth.verify(token)
    assert (caught.value.reason, caught.value.message) == (
        "JWKS_UNAVAILABLE",
        "cannot fetch token signing keys",
    )
    assert caught.value.code is grpc.StatusCode.UNAVAILABLE
    with pytest.raises(Unavailable) as caught:
        await auth.verify_async(token)
    assert caught.value.reason == "JWKS_UNAVAILABLE"


def test_jwks_http_error_is_unavailable(jwks: JwksServer) -> None:
    jwks.status = 503
    with pytest.raises(Unavailable) as caught:
        Authenticator(jwks_url=jwks.url).verify(rs256(KEY_A))
    assert caught.value.reason == "JWKS_UNAVAILABLE"


def test_cached_keys_outlive_a_jwks_outage(jwks: JwksServer) -> None:
    auth = Authenticator(jwks_url=jwks.url)
    assert auth.verify(rs256(KEY_A, subject="before")).subject == "before"
    jwks.stop()
    assert auth.verify(rs256(KEY_A, subject="during")).subject == "during"


def test_jwks_non_json_body_is_unavailable(jwks: JwksServer) -> None:
    jwks.raw_body = "<html>captive portal</html>"
    with pytest.raises(Unavailable) as caught:
        Authenticator(jwks_url=jwks.url).verify(rs256(KEY_A))
    assert caught.value.reason == "JWKS_UNAVAILABLE"


# --- end to end through grpc.aio --------------------------------------------------------


class VotingCatalog(catalog_pb2_grpc.CatalogServiceServicer):
    async def CastVote(
        self, request: catalog_pb2.CastVoteRequest, context: grpc.aio.ServicerContext
    ) -> catalog_pb2.CastVoteResponse:
        voter = require_principal().subject
        return catalog_pb2.CastVoteResponse(
            setlist_song_id=f"{request.setlist_song_id}/{voter}", voted=True
        )


@pytest_asyncio.fixture
async def jwks_catalog(
    jwks: JwksServer,
) -> AsyncIterator[catalog_pb2_grpc.CatalogServiceStub]:
    registration = ServiceRegistration(
        name=catalog_pb2.DESCRIPTOR.services_by_name["CatalogService"].full_name,
        add_to_server=catalog_pb2_grpc.add_CatalogServiceServicer_to_server,
        servicer=VotingCatalog(),
    )
    settings = CatalogSettings(environment="test", auth_jwt_secret=None, auth_jwks_url=jwks.url)
    server, port, health = create_server(
        "127.0.0.1:0",
        domain=DOMAIN,
        services=[registration],
        authenticator=Authenticator.from_settings(settings),
    )
    await server.start()
    await health.set_serving(True)
    try:
        async with create_channel(f"127.0.0.1:{port}") as channel:
            yield catalog_pb2_grpc.CatalogServiceStub(channel)
    finally:
        await server.stop(None)


def bearer(token: str) -> tuple[tuple[str, str], ...]:
    return (("authorization", f"Bearer {token}"),)


async def rpc_error(call: Any) -> tuple[grpc.StatusCode, str, str]:
    with pytest.raises(grpc.aio.AioRpcError) as caught:
        await call
    status: status_pb2.Status | None = rpc_status.from_call(caught.value)
    assert status is not None
    info = error_details_pb2.ErrorInfo()
    assert status.details[0].Unpack(info)
    return caught.value.code(), info.reason, info.domain


VOTE = catalog_pb2.CastVoteRequest(setlist_song_id=SONG_ID)


async def test_grpc_call_with_rs256_token_reaches_the_servicer(
    jwks_catalog: catalog_pb2_grpc.CatalogServiceStub,
) -> None:
    response = await jwks_catalog.CastVote(VOTE, metadata=bearer(rs256(KEY_A, subject="u7")))
    assert response.setlist_song_id == f"{SONG_ID}/u7"


async def test_grpc_call_with_a_foreign_or_hs256_token_is_unauthenticated(
    jwks_catalog: catalog_pb2_grpc.CatalogServiceStub,
) -> None:
    for token in (
        rs256(FOREIGN),
        jwt.encode({"sub": "u", "roles": ["user"], "exp": 4_000_000_000}, DEV_JWT_SECRET),
    ):
        call = jwks_catalog.CastVote(VOTE, metadata=bearer(token))
        assert await rpc_error(call) == (grpc.StatusCode.UNAUTHENTICATED, "TOKEN_INVALID", DOMAIN)


async def test_grpc_call_while_jwks_is_down_is_unavailable(
    jwks: JwksServer, jwks_catalog: catalog_pb2_grpc.CatalogServiceStub
) -> None:
    jwks.stop()  # before the first fetch: nothing is cached
    # create_channel retries UNAVAILABLE with backoff (~0.7 s here) before giving up.
    call = jwks_catalog.CastVote(VOTE, metadata=bearer(rs256(KEY_A)))
    assert await rpc_error(call) == (grpc.StatusCode.UNAVAILABLE, "JWKS_UNAVAILABLE", DOMAIN)
