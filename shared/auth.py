"""Bearer JWT verification, roles, and the principal of the current call."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Iterable
from contextvars import ContextVar, Token
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from typing import Any

import jwt
from cachetools import TTLCache

from shared.errors import Unauthenticated, Unavailable
from shared.settings import ServiceSettings

__all__ = [
    "Authenticator",
    "Principal",
    "Role",
    "current_principal",
    "mint_token",
    "require_principal",
    "reset_principal",
    "set_principal",
]

_ASYMMETRIC = frozenset({"RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384"})


class Role(StrEnum):
    """Roles carried in the `roles` claim."""

    USER = "user"
    ADMIN = "admin"
    SERVICE = "service"


@dataclass(frozen=True, slots=True)
class Principal:
    """An authenticated caller: `sub` and its known roles."""

    subject: str
    roles: frozenset[Role]

    def has(self, role: Role) -> bool:
        """Whether the caller holds `role`."""
        return role in self.roles


class Authenticator:
    """Verifies bearer JWTs: HS256 with a shared secret and/or RS256 (etc.) via a JWKS URL."""

    def __init__(
        self,
        *,
        secret: str | None = None,
        jwks_url: str | None = None,
        audience: str | None = None,
        leeway: timedelta = timedelta(seconds=30),
        cache_size: int = 10_000,
    ) -> None:
        self._secret = secret
        # A short cool-down lets a rotated signing key verify within seconds of
        # being published; a short timeout keeps a hung key server from pinning
        # verification threads.
        self._jwks = jwt.PyJWKClient(jwks_url, timeout=5, cooldown_duration=5) if jwks_url else None
        self._audience = audience
        self._leeway = leeway
        # Verified tokens are reused for many calls (a session, a service client):
        # caching them skips a signature check per call. Entries never outlive `exp`.
        self._cache: TTLCache[str, tuple[Principal, float]] = TTLCache(cache_size, ttl=300)

    @classmethod
    def from_settings(cls, settings: ServiceSettings) -> Authenticator:
        """The authenticator a service's settings describe (dev secret in development/test)."""
        return cls(
            secret=settings.jwt_secret(),
            jwks_url=settings.auth_jwks_url,
            audience=settings.auth_audience,
        )

    def verify(self, token: str) -> Principal:
        """The principal a token proves; raises Unauthenticated (or Unavailable if JWKS is down)."""
        cached = self._cache.get(token)
        if cached is not None and cached[1] > time.time():
            return cached[0]
        algorithm = self._algorithm(token)
        key: Any
        if algorithm == "HS256" and self._secret:
            key = self._secret
        elif algorithm in _ASYMMETRIC and self._jwks is not None:
            key = self._signing_key(token)
        else:
            raise Unauthenticated(
                f"token algorithm {algorithm} is not accepted", reason="TOKEN_INVALID"
            )
        claims = self._decode(token, key, algorithm)
        principal = _principal_from(claims)
        self._cache[token] = (principal, float(claims["exp"]))
        return principal

    async def verify_async(self, token: str) -> Principal:
        """Like verify, but fetches JWKS keys in a thread so the event loop never blocks."""
        cached = self._cache.get(token)
        if cached is not None and cached[1] > time.time():
            return cached[0]
        if self._jwks is not None and self._algorithm(token) in _ASYMMETRIC:
            return await asyncio.to_thread(self.verify, token)
        return self.verify(token)

    @staticmethod
    def _algorithm(token: str) -> str:
        try:
            return str(jwt.get_unverified_header(token).get("alg"))
        except jwt.PyJWTError:
            raise Unauthenticated("token is malformed", reason="TOKEN_INVALID") from None

    def _signing_key(self, token: str) -> Any:
        assert self._jwks is not None
        try:
            return self._jwks.get_signing_key_from_jwt(token).key
        except (jwt.PyJWKClientConnectionError, jwt.PyJWKSetError, json.JSONDecodeError):
            # The key server is down or answers garbage: our fault, not the caller's.
            raise Unavailable(
                "cannot fetch token signing keys", reason="JWKS_UNAVAILABLE"
            ) from None
        except jwt.PyJWTError:
            raise Unauthenticated("token signing key is unknown", reason="TOKEN_INVALID") from None

    def _decode(self, token: str, key: Any, algorithm: str) -> dict[str, Any]:
        # Messages are ours, not PyJWT's, so nothing of the token is ever echoed.
        try:
            return jwt.decode(
                token,
                key,
                algorithms=[algorithm],
                audience=self._audience,
                leeway=self._leeway,
                options={"require": ["exp", "sub"], "verify_aud": self._audience is not None},
            )
        except jwt.ExpiredSignatureError:
            raise Unauthenticated("token has expired", reason="TOKEN_EXPIRED") from None
        except jwt.InvalidSignatureError:
            raise Unauthenticated("token signature is invalid", reason="TOKEN_INVALID") from None
        except jwt.MissingRequiredClaimError as exc:
            raise Unauthenticated(
                f"token lacks the {exc.claim!r} claim", reason="TOKEN_INVALID"
            ) from None
        except jwt.InvalidAudienceError:
            raise Unauthenticated(
                "token audience is not accepted", reason="TOKEN_INVALID"
            ) from None
        except jwt.ImmatureSignatureError:
            raise Unauthenticated("token is not valid yet", reason="TOKEN_INVALID") from None
        except jwt.PyJWTError:
            raise Unauthenticated("token is malformed", reason="TOKEN_INVALID") from None


def _principal_from(claims: dict[str, Any]) -> Principal:
    subject = claims.get("sub")
    if not isinstance(subject, str) or not subject:
        raise Unauthenticated(
            "token 'sub' claim must be a non-empty string", reason="TOKEN_INVALID"
        )
    raw_roles = claims.get("roles", [])
    if not isinstance(raw_roles, list):
        raise Unauthenticated("token 'roles' claim must be a list", reason="TOKEN_INVALID")
    known = {role.value for role in Role}
    # Unknown roles are ignored so issuers can add roles before every service knows them.
    roles = frozenset(Role(r) for r in raw_roles if isinstance(r, str) and r in known)
    return Principal(subject=subject, roles=roles)


def mint_token(
    secret: str,
    subject: str,
    roles: Iterable[Role | str],
    ttl: timedelta = timedelta(hours=12),
    *,
    audience: str | None = None,
) -> str:
    """An HS256 token for dev tooling and tests."""
    now = datetime.now(UTC)
    claims: dict[str, Any] = {
        "sub": subject,
        "roles": sorted({Role(r).value for r in roles}),
        "iat": now,
        "exp": now + ttl,
    }
    if audience is not None:
        claims["aud"] = audience
    return jwt.encode(claims, secret, algorithm="HS256")


_principal: ContextVar[Principal | None] = ContextVar("mysetlist_principal", default=None)


def current_principal() -> Principal | None:
    """The caller of the RPC being served, if it presented a valid token."""
    return _principal.get()


def require_principal() -> Principal:
    """The caller of the RPC being served; raises Unauthenticated when anonymous."""
    principal = _principal.get()
    if principal is None:
        raise Unauthenticated("authentication required", reason="TOKEN_MISSING")
    return principal


def set_principal(principal: Principal | None) -> Token[Principal | None]:
    """Make `principal` current; pass the returned token to reset_principal."""
    return _principal.set(principal)


def reset_principal(token: Token[Principal | None]) -> None:
    """Restore the principal that was current before set_principal."""
    _principal.reset(token)
