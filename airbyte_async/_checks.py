"""Checks of the numbers and ids callers give: each failure is an InvalidArgumentError naming it."""

from __future__ import annotations

import math
import re
import uuid
from collections.abc import Callable, Mapping
from typing import Any, TypeGuard

import attrs

from .errors import InvalidArgumentError

__all__ = [
    "ids_field",
    "is_uuid",
    "json_object",
    "seconds",
    "string",
    "string_field",
    "text",
    "uuid_field",
    "uuid_id",
    "whole",
]


def seconds(name: str, value: object) -> float:
    """*value* as a float when it is a finite number of seconds above 0."""
    if (
        isinstance(value, bool)
        or not isinstance(value, int | float)
        or not (value > 0 and math.isfinite(value))
    ):
        raise InvalidArgumentError(f"{name} must be a number of seconds above 0, got {value!r}")
    return float(value)


def whole(name: str, value: object, *, minimum: int) -> int:
    """*value* when it is a whole number (not a bool) of at least *minimum*."""
    if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
        raise InvalidArgumentError(f"{name} must be a whole number >= {minimum}, got {value!r}")
    return value


#: The form Airbyte writes ids in; others that :class:`uuid.UUID` reads are checked by it.
_CANONICAL_UUID = re.compile(
    r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}"
)


def is_uuid(value: object) -> TypeGuard[str]:
    """True when *value* is a string in the form of a UUID, as every Airbyte id is."""
    if not isinstance(value, str):
        return False
    if _CANONICAL_UUID.fullmatch(value):
        return True
    try:
        uuid.UUID(value)
    except ValueError:
        return False
    return True


def uuid_id(name: str, value: object) -> str:
    """*value* when it is an id in the form of a UUID."""
    if not is_uuid(value):
        raise InvalidArgumentError(f"{name} must be a UUID, got {value!r}")
    return value


def text(name: str, value: object) -> str:
    """*value* when it is a string with more than blanks in it (a name)."""
    if not isinstance(value, str) or not value.strip():
        raise InvalidArgumentError(f"{name} must be a non-empty string, got {value!r}")
    return value


def string(name: str, value: object) -> str:
    """*value* when it is a string, empty or not (a name the specs allow to be empty)."""
    if not isinstance(value, str):
        raise InvalidArgumentError(f"{name} must be a string, got {value!r}")
    return value


def json_object(name: str, value: object) -> dict[str, Any]:
    """
    A shallow copy of *value* when it is a mapping (a connector's configuration, say). The
    error names its type only: a configuration holds secrets.
    """
    if not isinstance(value, Mapping):
        raise InvalidArgumentError(
            f"{name} must be a mapping (a JSON object), got {type(value).__name__}"
        )
    return dict(value)


#: An attrs validator.
Validator = Callable[[Any, "attrs.Attribute[Any]", Any], None]


def uuid_field(name: str | None = None, *, optional: bool = False) -> Validator:
    """
    A validator for a request body's id field: a UUID (None too when *optional*), checked
    before anything is sent. *name* is what the caller called it (default: the field's name).
    """

    def check(_: object, attribute: attrs.Attribute[Any], value: object) -> None:
        if not (optional and value is None):
            uuid_id(name or attribute.name, value)

    return check


def string_field(*, optional: bool = False) -> Validator:
    """
    A validator for a request body's text field (a name, a slug): a string, empty included as
    the specs allow (None too when *optional*). Else the server's answer would say little: 2.x
    answers a missing one with a bare 400 and one of another type with a bare 422.
    """

    def check(_: object, attribute: attrs.Attribute[Any], value: object) -> None:
        if not (optional and value is None):
            string(attribute.name, value)

    return check


def ids_field(name: str) -> Validator:
    """A validator for a request body's tuple of ids: each a UUID."""

    def check(_: object, attribute: attrs.Attribute[Any], value: object) -> None:
        for item in value if isinstance(value, tuple) else (value,):
            uuid_id(name, item)

    return check
