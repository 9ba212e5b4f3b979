"""Scrub API keys, client secrets and bearer tokens from text bound for logs and errors."""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable

__all__ = ["RedactingFilter", "Redactor", "redact_library_logs"]

MASK = "***"
# Credentials that travel in query strings or headers, whatever their value: a key we
# were never told about (e.g. one echoed back by a proxy) is still masked.
_CREDENTIAL_PATTERNS = (
    re.compile(r"(?i)(apikey=)[^&\s\"']+"),
    re.compile(r"(?i)(x-api-key[\"']?\s*[:=]\s*[\"']?)[^\s\"',}]+"),
    re.compile(r"(?i)(bearer\s+)[A-Za-z0-9._~+/=-]+"),
    re.compile(r"(?i)(basic\s+)[A-Za-z0-9+/=]+"),
)


class Redactor:
    """Masks known secrets and credential-shaped substrings."""

    def __init__(self, secrets: Iterable[str] = ()) -> None:
        self._secrets: set[str] = set()
        for secret in secrets:
            self.add(secret)

    def add(self, secret: str | None) -> None:
        """Mask this value from now on (short values are ignored: they would mask ordinary words)."""
        if secret and len(secret) >= 6:
            self._secrets.add(secret)

    def discard(self, secret: str | None) -> None:
        """Stop tracking a value (e.g. an access token that was replaced)."""
        self._secrets.discard(secret or "")

    def __call__(self, text: object) -> str:
        """The text with every known secret and credential pattern masked."""
        result = str(text)
        # Longest first, so a secret that contains another is masked whole.
        for secret in sorted(self._secrets, key=len, reverse=True):
            result = result.replace(secret, MASK)
        for pattern in _CREDENTIAL_PATTERNS:
            result = pattern.sub(rf"\g<1>{MASK}", result)
        return result


class RedactingFilter(logging.Filter):
    """Rewrites each record's message through a Redactor before any handler sees it."""

    def __init__(self, redactor: Redactor) -> None:
        super().__init__()
        self._redact = redactor

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        redacted = self._redact(message)
        if redacted != message:
            record.msg, record.args = redacted, ()
        return True


_LIBRARY_LOGGERS = ("httpx", "httpcore")


def redact_library_logs() -> None:
    """Mask credentials in httpx's own logs (its INFO line carries the full URL, apikey and all)."""
    for name in _LIBRARY_LOGGERS:
        logger = logging.getLogger(name)
        if not any(isinstance(f, RedactingFilter) for f in logger.filters):
            logger.addFilter(RedactingFilter(Redactor()))
