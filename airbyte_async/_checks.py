"""
Checks of the numbers and ids callers give: each failure is an InvalidArgumentError naming it.

Every id a caller gives passes through :func:`uuid_id` (or, in a request body, the
:func:`canonical_uuid` converter with the :func:`uuid_field` validator), which gives it back in
the one form Airbyte writes ids in, lower case: the client compares the ids it is given with
the ids the server answers as text, and Airbyte reads an id in either case (it parses UUIDs),
so ``DECD338E-…`` and ``decd338e-…`` must be one id here too.
"""

from __future__ import annotations

import math
import re
import uuid
from collections.abc import Callable, Mapping
from typing import Any, TypeGuard

import attrs

from ._error_base import InvalidArgumentError

__all__ = [
    "INT_MAX",
    "LONG_MAX",
    "canonical_uuid",
    "canonical_uuid_or_none",
    "canonical_uuids",
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


#: The largest whole numbers the server's ``Integer`` and ``Long`` fields hold (a spec's
#: ``type: integer``, and with ``format: int64``): Jackson refuses a larger one with a 422.
INT_MAX = 2**31 - 1
LONG_MAX = 2**63 - 1


def whole(name: str, value: object, *, minimum: int, maximum: int | None = None) -> int:
    """*value* when it is a whole number (not a bool) of at least *minimum* and, when given, at
    most *maximum*."""
    if (
        isinstance(value, bool)
        or not isinstance(value, int)
        or value < minimum
        or (maximum is not None and value > maximum)
    ):
        wanted = f">= {minimum}" if maximum is None else f"from {minimum} to {maximum}"
        raise InvalidArgumentError(f"{name} must be a whole number {wanted}, got {value!r}")
    return value


#: The form Airbyte writes ids in, and the only one this library sends: the server's Jackson
#: (``UUIDDeserializer``) refuses the others :class:`uuid.UUID` reads (braces, a URN, no
#: hyphens, non-ASCII digits) with a 422.
_CANONICAL_UUID = re.compile(
    r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}"
)


def is_uuid(value: object) -> TypeGuard[str]:
    """True when *value* is a string in the 36-character form of a UUID (either case), the
    form every Airbyte id is written in."""
    return isinstance(value, str) and _CANONICAL_UUID.fullmatch(value) is not None


def canonical_uuid(value: str) -> str:
    """
    *value* in lower case when it is an id in the form of a UUID, else as it is (for the
    validator to refuse): an attrs converter, run before :func:`uuid_field`.
    """
    return value.lower() if is_uuid(value) else value


def canonical_uuid_or_none(value: str | None) -> str | None:
    """:func:`canonical_uuid` of an optional id (None stays None)."""
    return None if value is None else canonical_uuid(value)


def canonical_uuids(values: tuple[str, ...]) -> tuple[str, ...]:
    """Each of *values* as :func:`canonical_uuid` gives it (a tuple of ids' converter)."""
    if not isinstance(values, tuple):
        return values
    return tuple(canonical_uuid(v) for v in values)


def uuid_id(name: str, value: object) -> str:
    """*value*, in lower case, when it is an id in the form of a UUID (in either case)."""
    if isinstance(value, uuid.UUID):
        raise InvalidArgumentError(f"{name} must be a UUID's string: pass str() of {value!r}")
    if not is_uuid(value):
        raise InvalidArgumentError(f"{name} must be a UUID, got {value!r}")
    return canonical_uuid(value)


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
    The field's converter, :func:`canonical_uuid`, has put it in lower case first.
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
