"""
What counts as a secret, and how it is hidden.

Connector configuration travels to the server untouched; only its *display* (reprs, logs, error
messages) goes through :func:`redact`. A value is secret when its key looks like one
(``password``, ``secret_access_key``, ``api_key``, anything with "token" or "secret" in it, ...)
or when it is Airbyte's own mask.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

__all__ = ["SECRET_MASK", "is_secret_key", "redact", "redacted_repr"]

SECRET_MASK = "**********"

_SECRET_KEY = re.compile(
    r"(pass(word|wd|phrase)?|secret|token|api[_-]?key|apikey|private[_-]?key|credentials?"
    r"|access[_-]?key(_id)?|client[_-]?secret|auth(orization)?|session[_-]?key|pwd|jwt|cookie"
    r"|tunnel_user_password|ssh_key|service_account|connection_string|dsn"
    r"|(client|ssl|tls|encryption|signing|hmac|master|account|storage|shared|sas)[_-]?key)",
    re.IGNORECASE,
)


def is_secret_key(key: str) -> bool:
    """True when a configuration key names a value that must never be shown."""
    return bool(_SECRET_KEY.search(key))


def redact(value: Any) -> Any:
    """
    A copy of *value* (JSON-like) with every secret-keyed value replaced by the mask.

    Lists and nested objects are walked; *value* itself is never modified.
    """
    if isinstance(value, Mapping):
        return {
            k: (
                SECRET_MASK
                if isinstance(k, str) and is_secret_key(k) and v is not None
                else redact(v)
            )
            for k, v in value.items()
        }
    if isinstance(value, list | tuple):
        return [redact(v) for v in value]
    return value


def redacted_repr(value: Any) -> str:
    """``repr`` of *value* with its secrets masked; for attrs ``field(repr=...)``."""
    return repr(redact(value))
