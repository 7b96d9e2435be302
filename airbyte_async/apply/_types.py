"""
Values from the environment in the JSON type their field takes. The environment holds text;
a connector's configuration wants an integer for ``port``, a boolean for ``ssl``. A reference
names its type (``{ env = "PG_PORT", type = "integer" }``), or on the Config API the
connector's specification declares it (:func:`declared_types`); the same :func:`convert`
runs when planning and when a saved plan is read back, so both send the same value.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Mapping
from typing import Any

__all__ = [
    "TYPES",
    "JsonScalar",
    "convert",
    "declared_type",
    "declared_types",
    "described",
    "fits",
    "hashed_text",
]

#: The types a reference may name, ``string`` meaning the text as it is.
TYPES = ("string", "integer", "number", "boolean")

JsonScalar = str | int | float | bool

_INTEGER = re.compile(r"[+-]?\d+")
_NUMBER = re.compile(r"[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?")
_INDEX = re.compile(r"\[\d+\]")

_DESCRIBED = {
    "string": "a string",
    "integer": "an integer",
    "number": "a number",
    "boolean": "true or false",
}


def described(kind: str) -> str:
    """*kind* as a message names it: ``"an integer"``."""
    return _DESCRIBED[kind]


def convert(value: str, kind: str) -> JsonScalar:
    """
    The text *value* as a *kind* (one of :data:`TYPES`): an integer is digits with an
    optional sign, a number also takes a fraction and an exponent (an integer's text stays an
    integer), a boolean is ``true`` or ``false`` in any case; surrounding blanks are ignored.
    Raises ValueError, naming the type and never the value (it may be a secret).
    """
    if kind == "string":
        return value
    stripped = value.strip()
    if kind == "integer" and _INTEGER.fullmatch(stripped):
        return int(stripped)
    if kind == "number" and _INTEGER.fullmatch(stripped):
        return int(stripped)
    if kind == "number" and _NUMBER.fullmatch(stripped) and math.isfinite(float(stripped)):
        return float(stripped)
    if kind == "boolean" and stripped.lower() in ("true", "false"):
        return stripped.lower() == "true"
    raise ValueError(f"does not hold {described(kind)}")


def fits(value: Any, kind: str) -> bool:
    """Whether *value*, written in a file, is already a *kind*."""
    if kind == "boolean" or isinstance(value, bool):
        return kind == "boolean" and isinstance(value, bool)
    if kind == "integer":
        return isinstance(value, int)
    if kind == "number":
        return isinstance(value, int | float)
    return isinstance(value, str)


def hashed_text(value: JsonScalar) -> str:
    """The text a saved plan hashes for *value*: a string as it is, other values as JSON."""
    return value if isinstance(value, str) else json.dumps(value)


def declared_types(schema: Any, path: str = "configuration") -> dict[str, str]:
    """
    The paths under *path* (``[]`` for any list index) of the fields a connector
    specification (its ``connectionSpecification``) declares an integer, a number or a
    boolean, and that type, looking into every ``oneOf``/``anyOf``/``allOf`` option and list
    item. A field declared otherwise anywhere (a string too, or in another option) is left
    out: its text is sent as it is.
    """
    found: dict[str, set[str]] = {}
    _collect(schema, path, found)
    types: dict[str, str] = {}
    for where, kinds in found.items():
        if kinds == {"integer", "number"}:
            types[where] = "number"
        elif len(kinds) == 1 and (kind := next(iter(kinds))) in TYPES[1:]:
            types[where] = kind
    return types


def _collect(schema: Any, path: str, found: dict[str, set[str]]) -> None:
    if not isinstance(schema, Mapping):
        return
    kinds = schema.get("type")
    listed = kinds if isinstance(kinds, list) else [kinds] if isinstance(kinds, str) else []
    named = {k for k in listed if isinstance(k, str) and k != "null"}
    if named:
        found.setdefault(path, set()).update(named)
    properties = schema.get("properties")
    for key, field in (properties if isinstance(properties, Mapping) else {}).items():
        _collect(field, f"{path}.{key}", found)
    for combinator in ("oneOf", "anyOf", "allOf"):
        options = schema.get(combinator)
        for option in options if isinstance(options, list) else ():
            _collect(option, path, found)
    _collect(schema.get("items"), f"{path}[]", found)


def declared_type(path: str, types: Mapping[str, str]) -> str | None:
    """The type *types* (see :func:`declared_types`) declares for the value at *path*."""
    return types.get(path) or types.get(_INDEX.sub("[]", path))
