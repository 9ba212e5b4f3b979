"""Per-service settings read once from the environment, failing fast when invalid."""

from __future__ import annotations

import sys
from typing import ClassVar, Literal, Self, TypeVar

from pydantic import Field, SecretStr, ValidationError, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

__all__ = ["DEV_JWT_SECRET", "ServiceSettings", "load_settings"]

# Signs and verifies tokens when no AUTH_JWT_SECRET / AUTH_JWKS_URL is set in the
# development and test environments, so `make run` works out of the box and can
# print ready-made tokens. It is public: production refuses to start without a
# real secret or JWKS URL (see ServiceSettings._require_auth_outside_development).
DEV_JWT_SECRET = "mysetlist-dev-secret-do-not-use-in-production"

Environment = Literal["development", "test", "production"]


class ServiceSettings(BaseSettings):
    """Settings every service shares; subclass it per service and give `database_url` a default."""

    model_config = SettingsConfigDict(env_file=None, extra="ignore")

    service_name: ClassVar[str]

    environment: Environment = "development"
    database_url: str
    redis_url: str | None = None
    auth_jwt_secret: SecretStr | None = None
    auth_jwks_url: str | None = None
    auth_audience: str | None = None
    log_level: str = "INFO"
    shutdown_grace_seconds: float = Field(default=10.0, gt=0)

    @model_validator(mode="after")
    def _require_auth_outside_development(self) -> Self:
        if self.environment not in ("development", "test") and not (
            self.auth_jwt_secret or self.auth_jwks_url
        ):
            raise ValueError(
                f"set AUTH_JWT_SECRET (HS256) or AUTH_JWKS_URL (RS256): "
                f"both are empty and ENVIRONMENT is {self.environment}"
            )
        return self

    def jwt_secret(self) -> str | None:
        """The HS256 secret: AUTH_JWT_SECRET, else DEV_JWT_SECRET in development/test without JWKS."""
        if self.auth_jwt_secret is not None:
            return self.auth_jwt_secret.get_secret_value()
        if self.environment in ("development", "test") and not self.auth_jwks_url:
            return DEV_JWT_SECRET
        return None


SettingsT = TypeVar("SettingsT", bound=ServiceSettings)


def load_settings(cls: type[SettingsT]) -> SettingsT:
    """Build the settings from the environment; on invalid config print one line per error and exit 2."""
    try:
        return cls()
    except ValidationError as exc:
        name = getattr(cls, "service_name", cls.__name__)
        for error in exc.errors():
            variable = "_".join(str(part) for part in error["loc"]).upper()
            # A model validator's ValueError carries the message we wrote; pydantic would
            # prefix it with "Value error, ".
            cause = error.get("ctx", {}).get("error")
            message = str(cause) if isinstance(cause, Exception) else error["msg"]
            where = f"{variable}: " if variable else ""
            print(f"{name}: invalid configuration: {where}{message}", file=sys.stderr)
        raise SystemExit(2) from None
