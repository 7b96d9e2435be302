"""
What counts as a secret, and how it is hidden.

Connector configuration travels to the server untouched; only its *display* (reprs, logs, error
messages) goes through :func:`redact`. A value is secret when its key looks like one
(``password``, ``secret_access_key``, ``api_key``, anything with "token" or "secret" in it, ...)
or when it is Airbyte's own mask; the password of a URL (``postgres://user:password@host``), a
secret-keyed parameter in a string (``user=app&password=...``) and the value of a name/value
pair naming a secret (``{"name": "Authorization", "value": ...}``) are hidden under any key,
and so is a value a spec read from the environment or a field the connector's specification
flags ``airbyte_secret`` (:func:`flagged_paths`).
"""

from __future__ import annotations

import re
from collections.abc import Collection, Iterable, Mapping
from typing import Any

__all__ = [
    "SECRET_MASK",
    "flagged_paths",
    "is_flagged",
    "is_secret_key",
    "is_secret_path",
    "masked",
    "masked_text",
    "redact",
    "redacted_repr",
    "secret_values",
]

SECRET_MASK = "**********"
#: The shortest secret value looked for in a server's message: shorter ones would mask its
#: common words.
SHORTEST_QUOTED = 4

_SECRET_KEY = re.compile(
    r"(pass(word|wd|phrase)?|secret|token|api[_-]?key|apikey|private[_-]?key|credentials?"
    r"|access[_-]?key(_id)?|client[_-]?secret|auth(orization)?|session[_-]?key|pwd|jwt|cookie"
    r"|tunnel_user_password|ssh_key|service_account|connection_string|dsn|jaas"
    r"|(client|ssl|tls|encryption|signing|hmac|master|account|storage|shared|sas)[_-]?key"
    r"|(sa|key[_-]?file)[_-]?(json|content)|key[_-]?file)",
    re.IGNORECASE,
)

#: Words that make a key secret when the key is, or holds, one of them as a whole word
#: (``github_pat``, ``bearer``, ``slack_webhook_url``), and only then: "pat" is not "path".
_SECRET_WORDS = frozenset({"pat", "bearer", "creds", "webhook", "signature"})


#: Keys that end in "key" but name a column or a field, not a credential.
_FIELD_KEYS = frozenset(
    {
        "primary_key",
        "cursor_key",
        "partition_key",
        "sort_key",
        "sorting_key",
        "cluster_key",
        "clustering_key",
        "distribution_key",
        "dist_key",
        "foreign_key",
        "unique_key",
        "hash_key",
        "range_key",
        "row_key",
        "dedup_key",
        "dedupe_key",
        "join_key",
        "group_key",
        "grouping_key",
        "object_key",
        "s3_key",
        "file_key",
        "path_key",
        "record_key",
        "message_key",
    }
)
#: ... and keys that choose how to authenticate (``auth_type = "OAuth"``), which say no secret.
_NAMES_NOT_SECRETS = _FIELD_KEYS | {"auth_type", "auth_method"}


def is_secret_key(key: str) -> bool:
    """
    True when a configuration key names a value that must never be shown: it looks like a
    password, a token or a secret, in snake_case or camelCase (``connectionString``), or it
    names a key (``openai_key``, ``pineconeKey``: what
    vector stores and AI services call their credentials) that is not a column's or a field's.
    """
    snake = re.sub(r"(?<=[a-z0-9])(?=[A-Z])", "_", key).lower().replace("-", "_")
    if snake in _NAMES_NOT_SECRETS:
        return False
    return (
        bool(_SECRET_KEY.search(snake))
        or snake == "key"
        or snake.endswith("_key")
        or not _SECRET_WORDS.isdisjoint(snake.split("_"))
    )


def redact(value: Any) -> Any:
    """
    A copy of *value* (JSON-like) with every secret-keyed value replaced by the mask.

    Lists and nested objects are walked; *value* itself is never modified.
    """
    return masked(value, "", ())


def secret_values(value: Any) -> set[str]:
    """
    The values :func:`redact` hides in *value* (JSON-like), as text: what an error message
    that quotes *value* must not show. A string with a secret inside (a URL's password) is
    given whole.
    """
    found: set[str] = set()

    def walk(given: Any, shown: Any) -> None:
        if isinstance(given, Mapping) and isinstance(shown, Mapping):
            for key, item in given.items():
                walk(item, shown.get(key))
        elif isinstance(given, list) and isinstance(shown, list):
            for item, shown_item in zip(given, shown, strict=True):
                walk(item, shown_item)
        elif given != shown and given is not None and not isinstance(given, bool):
            found.add(str(given))

    walk(value, redact(value))
    return found


# The password runs to the last "@" before a space: a raw one may hold "/" or "@".
_URL_PASSWORD = re.compile(r"(://[^/:@\s]*:)\S+@")
#: A parameter in a query string or a JDBC URL's extra (``user=app&password=...``).
_PARAMETER = re.compile(r"(?<![^\s?&;])([\w.-]+)=([^&;\s]*)")
#: Keys that name the entry of a list of name/value pairs (HTTP headers, mostly).
_PAIR_NAMES = ("name", "key", "header", "header_name")


def masked_text(text: str, secrets: Iterable[str] = ()) -> str:
    """
    *text*, a server's message, as it may be shown: each of *secrets* (the values of
    :func:`secret_values` of a configuration sent, say) it quotes masked, the longest first
    and none shorter than :data:`SHORTEST_QUOTED`; then the password of any URL in it and its
    secret-keyed parameters, as :func:`redact` masks a string.
    """
    for secret in sorted(secrets, key=len, reverse=True):
        if len(secret) >= SHORTEST_QUOTED and secret in text:
            text = text.replace(secret, SECRET_MASK)
    return _masked_string(text)


def redacted_repr(value: Any) -> str:
    """``repr`` of *value* with its secrets masked; for attrs ``field(repr=...)``."""
    return repr(redact(value))


def _segments(path: str) -> list[str]:
    return [p for p in re.split(r"[.\[\]]", path) if p and not p.isdigit()]


_INDEX = re.compile(r"\[\d+\]")


def is_secret_path(path: str, secret_paths: Collection[str]) -> bool:
    """
    True for a value at *path* (``"configuration.tunnel.password"``) that must never be shown:
    one of *secret_paths* (read from the environment, say; ``[]`` there stands for any list
    index) or under one (a table or list flagged secret as a whole), or under a secret-looking
    key.
    """
    return (
        path in secret_paths
        or is_flagged(path, secret_paths)
        or any(is_secret_key(s) for s in _segments(path))
    )


def is_flagged(path: str, flagged: Collection[str]) -> bool:
    """True when *path*, or a field it lies under, is one of *flagged* (see
    :func:`flagged_paths`)."""
    general = _INDEX.sub("[]", path)
    cuts = [i for i, c in enumerate(general) if c in ".["] + [len(general)]
    return any(general[:i] in flagged for i in cuts)


def flagged_paths(schema: Any, path: str = "configuration") -> frozenset[str]:
    """
    The paths under *path* of the fields a connector specification (its
    ``connectionSpecification``, a JSON schema) flags ``airbyte_secret``, in every
    ``oneOf``/``anyOf``/``allOf`` option and list item (``[]``), for :func:`is_secret_path`.
    A field that has the key at all counts, ``false`` included: Airbyte masks it so
    (airbyte-platform ``JsonSecretsProcessor.maskAllSecrets`` looks for the key alone).
    """
    found: set[str] = set()
    if not isinstance(schema, Mapping):
        return frozenset()
    properties = schema.get("properties")
    for key, field in (properties if isinstance(properties, Mapping) else {}).items():
        if isinstance(field, Mapping) and "airbyte_secret" in field:
            found.add(f"{path}.{key}")
        found |= flagged_paths(field, f"{path}.{key}")
    for combinator in ("oneOf", "anyOf", "allOf"):
        options = schema.get(combinator)
        for option in options if isinstance(options, list) else ():
            found |= flagged_paths(option, path)
    found |= flagged_paths(schema.get("items"), f"{path}[]")
    return frozenset(found)


def masked(value: Any, path: str, secret_paths: Collection[str]) -> Any:
    """
    A copy of *value*, found at *path*, with every secret (see :func:`is_secret_path`) masked
    (a null stays null: it hides nothing), and the password of any URL in it.
    """
    if value is not None and is_secret_path(path, secret_paths):
        return SECRET_MASK
    if isinstance(value, Mapping):
        shown = {k: masked(v, f"{path}.{k}", secret_paths) for k, v in value.items()}
        if shown.get("value") is not None and _names_a_secret(value):
            shown["value"] = SECRET_MASK  # {"name": "Authorization", "value": "Bearer ..."}
        return shown
    if isinstance(value, list | tuple):
        return [masked(v, f"{path}[{i}]", secret_paths) for i, v in enumerate(value)]
    if isinstance(value, str):
        return _masked_string(value)
    return value


def _masked_string(value: str) -> str:
    """*value* with the password of any URL in it and its secret-keyed parameters masked."""
    if "@" in value:
        # A URL with a password in it (postgres://user:password@host), under any key.
        value = _URL_PASSWORD.sub(rf"\1{SECRET_MASK}@", value)
    if "=" in value:
        value = _PARAMETER.sub(_masked_parameter, value)
    return value


def _names_a_secret(pair: Mapping[str, Any]) -> bool:
    """Whether *pair* is a name/value entry whose name is a secret's."""
    return any(isinstance(pair.get(k), str) and is_secret_key(pair[k]) for k in _PAIR_NAMES)


def _masked_parameter(found: re.Match[str]) -> str:
    name = found[1]
    return f"{name}={SECRET_MASK}" if found[2] and is_secret_key(name) else found[0]
