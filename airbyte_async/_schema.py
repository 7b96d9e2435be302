"""
A connector configuration checked against its specification's JSON schema (the
``connectionSpecification``), for the part of JSON Schema (draft 7) that Airbyte's server
validator refuses and people get wrong: ``type`` (a list of types too), ``required``,
``enum``, ``const``, ``minimum``, ``maximum``, ``properties``, ``items``, ``allOf``, ``anyOf``
and ``oneOf``.

Airbyte validates a configuration on every create and update (``JsonSchemaValidator.ensure``,
networknt 1.4.0, the dialect its ``$schema`` names, draft 7 by default: ``5432.0`` is an
integer, but not under draft 4) and refuses it with 422 ``BadObjectSchemaKnownException``
(API-FACTS 2.3, 6.2). Where this subset cannot tell, a value passes: keys no ``properties``
name, keywords outside the subset (``pattern``, ``additionalProperties``, ``minItems``), a
value that fits more than one ``oneOf`` option. A :class:`Mismatch` carries types, field
names and the specification's own values, never the value checked.
"""

from __future__ import annotations

import operator
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import attrs

__all__ = ["Mismatch", "json_type", "mismatches"]


@attrs.frozen(kw_only=True)
class Mismatch:
    """
    One way a value fails its schema, at *path* (``configuration.ssl_mode``, ``[0]`` for list
    items). *rule* is:

    - ``type``: *expected* the types the schema allows, *found* the value's JSON type;
    - ``required``: the field *field* is missing from the object at *path*;
    - ``enum``/``const``: *expected* the values the schema allows;
    - ``minimum``/``maximum``: a number beyond the bound *expected* holds;
    - ``options``: the value fits none of the ``oneOf``/``anyOf`` options, *expected* their
      names (the value of the property that tells them apart, *selector*, else their title).

    *option* names the option of an enclosing ``oneOf``/``anyOf`` the problem lies in, when the
    value's *selector* chose one.
    """

    path: str
    rule: str
    expected: tuple[Any, ...] = ()
    found: str = ""
    field: str = ""
    selector: str = ""
    option: str = ""

    @property
    def where(self) -> str:
        """The path of the value in question: the missing field's own for ``required``."""
        return f"{self.path}.{self.field}" if self.field else self.path


#: Whether the value at a path passes unchecked (a masked secret, say).
Passes = Callable[[str, Any], bool]


def json_type(value: Any) -> str:
    """The JSON type of *value*: ``null``, ``boolean``, ``integer``, ``number``, ...."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int):
        return "integer"
    if isinstance(value, float):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, Mapping):
        return "object"
    if isinstance(value, list | tuple):
        return "array"
    return "unknown"


def mismatches(
    value: Any, schema: Any, path: str = "$", *, passes: Passes | None = None
) -> list[Mismatch]:
    """
    Every way *value* fails *schema*, in the order of the schema's properties, each at its
    path under *path*. *passes* says which values pass as they are (a masked secret). A schema
    that is not an object (no specification) is no constraint.
    """
    return _Checker(passes or _never, _integral_is_integer(schema)).check(value, schema, path)


def _integral_is_integer(schema: Any) -> bool:
    """
    Whether a number with no fraction (``5432.0``) counts as an integer under *schema*: from
    draft 6 on, the dialect Airbyte takes from its ``$schema`` (draft 7 when there is none), not
    under draft 4 (airbyte-platform ``JsonSchemaValidator.getSchemaValidator``; networknt
    ``JsonNodeUtil.equalsToSchemaType``).
    """
    dialect = schema.get("$schema") if isinstance(schema, Mapping) else None
    return not (isinstance(dialect, str) and "json-schema.org/draft-04" in dialect)


def _never(path: str, value: Any) -> bool:
    return False


@attrs.frozen
class _Checker:
    passes: Passes
    integral_is_integer: bool

    def check(self, value: Any, schema: Any, path: str) -> list[Mismatch]:
        if not isinstance(schema, Mapping) or self.passes(path, value):
            return []
        wanted = _types(schema)
        if wanted and not _fits(value, wanted, integral_is_integer=self.integral_is_integer):
            return [Mismatch(path=path, rule="type", expected=wanted, found=json_type(value))]
        allowed = _listed(schema, "enum")
        if isinstance(schema.get("enum"), list) and not any(_same(value, v) for v in allowed):
            return [Mismatch(path=path, rule="enum", expected=tuple(allowed))]
        if "const" in schema and not _same(value, schema["const"]):
            return [Mismatch(path=path, rule="const", expected=(schema["const"],))]
        if json_type(value) in ("integer", "number"):
            for rule, beyond in (("minimum", operator.lt), ("maximum", operator.gt)):
                bound: Any = schema.get(rule)
                if json_type(bound) in ("integer", "number") and beyond(value, bound):
                    return [Mismatch(path=path, rule=rule, expected=(bound,))]
        found: list[Mismatch] = []
        if isinstance(value, Mapping):
            found += self.fields(value, schema, path)
        items = schema.get("items")
        if isinstance(value, list) and isinstance(items, Mapping):
            for i, item in enumerate(value):
                found += self.check(item, items, f"{path}[{i}]")
        for option in _listed(schema, "allOf"):
            found += self.check(value, option, path)
        for combinator in ("oneOf", "anyOf"):
            options = _listed(schema, combinator)
            if options:
                found += self.options(value, options, path)
        return found

    def fields(
        self, value: Mapping[str, Any], schema: Mapping[str, Any], path: str
    ) -> list[Mismatch]:
        required = schema.get("required")
        found = [
            Mismatch(path=path, rule="required", field=key)
            for key in (required if isinstance(required, list) else ())
            if isinstance(key, str) and key not in value
        ]
        properties = schema.get("properties")
        for key, field in (properties if isinstance(properties, Mapping) else {}).items():
            if key in value:
                found += self.check(value[key], field, f"{path}.{key}")
        return found

    def options(self, value: Any, options: Sequence[Any], path: str) -> list[Mismatch]:
        results = [self.check(value, option, path) for option in options]
        if any(not result for result in results):
            return []
        selector = _selector(options)
        names = tuple(_option_name(option, selector, i) for i, option in enumerate(options))
        if selector and isinstance(value, Mapping) and selector in value:
            chosen = [
                i
                for i, option in enumerate(options)
                if any(_same(value[selector], v) for v in _selector_values(option, selector))
            ]
            if len(chosen) == 1:
                name = names[chosen[0]]
                return [m if m.option else attrs.evolve(m, option=name) for m in results[chosen[0]]]
        return [Mismatch(path=path, rule="options", expected=names, selector=selector)]


def _listed(schema: Mapping[str, Any], key: str) -> list[Any]:
    found = schema.get(key)
    return found if isinstance(found, list) else []


def _types(schema: Mapping[str, Any]) -> tuple[str, ...]:
    kinds = schema.get("type")
    listed = kinds if isinstance(kinds, list) else [kinds]
    return tuple(k for k in listed if isinstance(k, str))


def _fits(value: Any, wanted: tuple[str, ...], *, integral_is_integer: bool) -> bool:
    kind = json_type(value)
    if kind in wanted or (kind == "integer" and "number" in wanted):
        return True
    integral = kind == "number" and float(value).is_integer()
    return integral and integral_is_integer and "integer" in wanted


def _same(value: Any, allowed: Any) -> bool:
    """JSON equality: ``true`` is not ``1``, ``1`` is ``1.0``."""
    if isinstance(value, bool) or isinstance(allowed, bool):
        return isinstance(value, bool) and isinstance(allowed, bool) and value == allowed
    if isinstance(value, Mapping) and isinstance(allowed, Mapping):
        return value.keys() == allowed.keys() and all(_same(value[k], allowed[k]) for k in value)
    if isinstance(value, list) and isinstance(allowed, list):
        return len(value) == len(allowed) and all(map(_same, value, allowed))
    numbers = ("integer", "number")
    if json_type(value) in numbers and json_type(allowed) in numbers:
        return bool(value == allowed)
    return type(value) is type(allowed) and bool(value == allowed)


def _selector_values(option: Any, key: str) -> list[Any]:
    """The values the property *key* of *option* allows when it is a ``const`` or an enum."""
    properties = option.get("properties") if isinstance(option, Mapping) else None
    field = properties.get(key) if isinstance(properties, Mapping) else None
    if not isinstance(field, Mapping):
        return []
    if "const" in field:
        return [field["const"]]
    enum = field.get("enum")
    return list(enum) if isinstance(enum, list) else []


def _selector(options: Sequence[Any]) -> str:
    """The property every option fixes to its own values (``mode``, ``format_type``), or ``""``."""
    first = options[0].get("properties") if isinstance(options[0], Mapping) else None
    for key in first if isinstance(first, Mapping) else ():
        if all(_selector_values(option, key) for option in options):
            return str(key)
    return ""


def _option_name(option: Any, selector: str, index: int) -> str:
    values = _selector_values(option, selector) if selector else []
    if len(values) == 1:
        return str(values[0])
    title = option.get("title") if isinstance(option, Mapping) else None
    return title if isinstance(title, str) else f"option {index + 1}"
