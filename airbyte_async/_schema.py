r"""
A connector configuration checked against its specification's JSON schema (the
``connectionSpecification``), for the keywords Airbyte's server validator refuses values by:
``type`` (a list of types too), ``required``, ``enum``, ``const``, ``minimum``, ``maximum``,
``exclusiveMinimum``, ``exclusiveMaximum``, ``multipleOf``, ``minLength``, ``maxLength``,
``pattern``, ``format`` (``date-time`` and ``date``), ``minItems``, ``maxItems``,
``uniqueItems``, ``properties``, ``additionalProperties`` (``false``, or a schema the other keys
must fit), ``items``, ``allOf``, ``anyOf`` and ``oneOf``.

Airbyte validates a configuration on every create and update (``JsonSchemaValidator.ensure``,
networknt 1.4.0, the dialect its ``$schema`` names, draft 7 by default) and refuses it with 422
``BadObjectSchemaKnownException`` (API-FACTS 2.3, 6.2). Under draft 4, ``5432.0`` is no
integer and ``exclusiveMinimum``/``exclusiveMaximum`` are booleans beside ``minimum`` and
``maximum``; from draft 6 on they are numbers. A ``pattern`` is searched for, not matched
whole, as ``java.util.regex`` ``Matcher.find`` does. A key starting with ``#`` is never an
additional property (networknt skips such keys). ``format`` is asserted under drafts 4 to 7
(Airbyte's default ``SchemaValidatorsConfig`` leaves it to the dialect), not under 2019-09 and
2020-12: a ``date-time`` needs seconds and an offset (``2024-01-01`` and
``2024-01-01T00:00:00`` are refused), a ``date`` is ``YYYY-MM-DD``, both a real day.

Where this check cannot tell what the server does, a value passes: a wrong refusal would block
a deploy the server takes. So pass keys no ``properties`` name (unless ``additionalProperties``
forbids them), a value that fits more than one ``oneOf`` option unless two fit surely (fit with
no masked secret, unread keyword or unsure pattern or format on the way: networknt refuses a
value valid to several), and a ``pattern`` Python's ``re`` cannot compile (Java syntax such as
``\p{L}``, ``\Q...\E``, ``[a-z&&[^e]]``) or may read otherwise than Java does (``\v``, ``\Z``;
``\b`` against a non-ASCII value; a value holding a line break other than ``\n``, which ``$``
and ``.`` treat differently). These keywords are not checked, and why:

- ``format`` other than ``date-time`` and ``date`` (``email``, ``uri``, ``hostname``,
  ``ipv4``...): networknt checks them with rules of its own (an email parser ported from
  Apache Commons, ``java.net.URI``) that could not be read at the 1.4.0 release, so they may
  refuse otherwise than a Python rule would; a ``date-time`` with second 60 or an offset of
  ``-00:00`` or beyond 18 hours passes for the same reason;
- ``patternProperties``' own schemas, ``propertyNames``: keys would be matched with Java
  regular expressions, with the doubts ``pattern`` has, for keywords connector specifications
  hardly use;
- ``minProperties``/``maxProperties``, ``dependencies``, ``if``/``then``/``else``, ``not``,
  ``contains``: not used by the connector specifications read, so left until one does;
- ``$ref``: networknt resolves it, but whether draft 7 also checks the keywords beside it
  could not be read at 1.4.0 (the draft says they are ignored); a schema holding a ``$ref``
  is not checked at all, neither its target nor the keywords beside it.

A :class:`Mismatch` carries types, field names, counts and the specification's own values,
never the value checked.
"""

from __future__ import annotations

import decimal
import functools
import json
import operator
import re
import warnings
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import attrs

__all__ = ["Mismatch", "json_type", "mismatches"]


@attrs.frozen(kw_only=True)
class Mismatch:
    """
    One way a value fails its schema, at *path* (``configuration.ssl_mode``, ``[0]`` for list
    items). *rule* is the keyword it fails:

    - ``type``: *expected* the types the schema allows, *found* the value's JSON type;
    - ``required``: the field *field* is missing from the object at *path*;
    - ``enum``/``const``: *expected* the values the schema allows;
    - ``minimum``/``maximum``, ``exclusiveMinimum``/``exclusiveMaximum``: a number beyond the
      bound *expected* holds (the exclusive ones refuse the bound itself too);
    - ``multipleOf``: a number that is no multiple of *expected*;
    - ``minLength``/``maxLength``: a string of fewer or more characters (code points) than
      *expected* holds;
    - ``pattern``: a string in which the regular expression *expected* holds is not found;
    - ``format``: a string that is no ``date-time`` or ``date``, the format *expected* holds;
    - ``minItems``/``maxItems``: a list of fewer or more items than *expected* holds, *found*
      its count;
    - ``uniqueItems``: a list with equal items, *found* their indexes (``[0] and [2]``);
    - ``additionalProperties``: the key *field* is none the object's ``properties`` name and
      the schema allows no other, *expected* the names it has;
    - ``options``: the value fits none of the ``oneOf``/``anyOf`` options, *expected* their
      names (the value of the property that tells them apart, *selector*, else their title).
    - ``oneOf``: the value surely fits several ``oneOf`` options, *expected* their names,
      *found* their indexes (``0, 1``).

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
        """The path of the value in question: the field's own for ``required`` and
        ``additionalProperties``."""
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
    checker = _Checker(passes or _never, _is_draft_4(schema), _asserts_format(schema))
    return checker.check(value, schema, path)


def _is_draft_4(schema: Any) -> bool:
    """
    Whether Airbyte reads *schema* as draft 4, the dialect its ``$schema`` names (draft 7 when
    there is none; airbyte-platform ``JsonSchemaValidator.getSchemaValidator``). Draft 4 takes a
    number with no fraction (``5432.0``) for no integer (networknt
    ``JsonNodeUtil.equalsToSchemaType``) and ``exclusiveMinimum``/``exclusiveMaximum`` as
    booleans beside ``minimum``/``maximum`` (``MinimumValidator``, ``MaximumValidator``);
    later drafts take them as bounds of their own (``ExclusiveMinimumValidator``, from V6).
    """
    dialect = schema.get("$schema") if isinstance(schema, Mapping) else None
    return isinstance(dialect, str) and "json-schema.org/draft-04" in dialect


def _asserts_format(schema: Any) -> bool:
    """
    Whether networknt asserts ``format`` under the dialect Airbyte reads *schema* in: under
    drafts 4, 6 and 7 it does (``BaseFormatJsonValidator``: dialects before 2019-09 assert, and
    ``SchemaValidatorsConfig``'s ``formatAssertionsEnabled`` is null, so the dialect decides);
    under 2019-09 and 2020-12 ``format`` is an annotation unless the meta-schema's vocabulary
    asks for assertions, which the standard ones do not.
    """
    dialect = schema.get("$schema") if isinstance(schema, Mapping) else None
    later = ("json-schema.org/draft/2019-09", "json-schema.org/draft/2020-12")
    return not (isinstance(dialect, str) and any(d in dialect for d in later))


def _never(path: str, value: Any) -> bool:
    return False


@attrs.frozen
class _Checker:
    """
    Checks values against schemas, noting in *doubts* the paths where a value passed only
    because this check cannot tell what networknt does (a masked secret, a keyword or pattern
    it does not read): a value that fits with no doubt surely fits.
    """

    passes: Passes
    draft_4: bool
    asserts_format: bool
    doubts: list[str] = attrs.field(factory=list, eq=False)

    def doubt(self, path: str) -> None:
        self.doubts.append(path)

    def passing(self, path: str, value: Any) -> bool:
        """Whether *value* passes as it is (a masked secret): then it fits, but not surely."""
        if self.passes(path, value):
            self.doubt(path)
            return True
        return False

    def check(self, value: Any, schema: Any, path: str) -> list[Mismatch]:
        if not isinstance(schema, Mapping) or self.passing(path, value):
            if schema is not True and not isinstance(schema, Mapping):
                self.doubt(path)  # no schema, or false, which nothing fits
            return []
        if _REFS.intersection(schema):
            # Draft 7 takes a $ref for the whole schema, the keywords beside it ignored: what
            # they say may not count, and the target is not followed.
            self.doubt(path)
            return []
        items = schema.get("items", True)
        if not _UNCHECKED.isdisjoint(schema) or not (items is True or isinstance(items, Mapping)):
            self.doubt(path)  # a keyword not read, or items as a list of schemas or false
        wanted = _types(schema)
        if wanted and not _fits(value, wanted, integral_is_integer=not self.draft_4):
            return [Mismatch(path=path, rule="type", expected=wanted, found=json_type(value))]
        allowed = _listed(schema, "enum")
        if isinstance(schema.get("enum"), list) and not any(_same(value, v) for v in allowed):
            return [Mismatch(path=path, rule="enum", expected=tuple(allowed))]
        if "const" in schema and not _same(value, schema["const"]):
            return [Mismatch(path=path, rule="const", expected=(schema["const"],))]
        broken = (
            self.number(value, schema)
            if _is_number(value)
            else self.text(value, schema)
            if isinstance(value, str)
            else None
        )
        if broken is not None:
            rule, bound = broken
            return [Mismatch(path=path, rule=rule, expected=(bound,))]
        found: list[Mismatch] = []
        if isinstance(value, Mapping):
            found += self.fields(value, schema, path)
            found += self.others(value, schema, path)
        if isinstance(value, list):
            found += self.sized(value, schema, path)
            for i, item in enumerate(value if isinstance(items, Mapping) else ()):
                found += self.check(item, items, f"{path}[{i}]")
        for option in _listed(schema, "allOf"):
            found += self.check(value, option, path)
        for combinator in ("oneOf", "anyOf"):
            options = _listed(schema, combinator)
            if options:
                found += self.options(value, options, path, only_one=combinator == "oneOf")
        return found

    def number(self, value: float, schema: Mapping[str, Any]) -> tuple[str, Any] | None:
        """The first of *schema*'s bounds the number *value* breaks, and the bound."""
        for rule, beyond, exclusive in _BOUNDS:
            bound: Any = schema.get(rule)
            if _is_number(bound) and beyond(value, bound):
                return rule, bound
            limit: Any = self.exclusive(schema, rule, exclusive)
            if _is_number(limit) and (beyond(value, limit) or value == limit):
                return exclusive, limit
        divisor: Any = schema.get("multipleOf")
        multiple = _is_multiple(value, divisor) if _is_number(divisor) else True
        if multiple is None:
            self.doubt("multipleOf")
        if multiple is False:
            return "multipleOf", divisor
        return None

    def text(self, value: str, schema: Mapping[str, Any]) -> tuple[str, Any] | None:
        """The first of ``minLength``, ``maxLength``, ``pattern`` and ``format`` the string
        *value* breaks, and the specification's value for it."""
        for rule, beyond in (("minLength", operator.lt), ("maxLength", operator.gt)):
            bound = _whole(schema.get(rule))
            if bound is not None and beyond(len(value), bound):
                return rule, bound
        pattern = schema.get("pattern")
        found = _finds(pattern, value) if isinstance(pattern, str) else True
        if found is False:
            return "pattern", pattern
        kind = schema.get("format")
        fits = _FORMATS[kind](value) if kind in _FORMATS else None
        if self.asserts_format and fits is False:
            return "format", kind
        if found is None or (self.asserts_format and "format" in schema and fits is None):
            self.doubt("text")
        return None

    def exclusive(self, schema: Mapping[str, Any], rule: str, exclusive: str) -> Any:
        """The exclusive bound: draft 4's *rule* when *exclusive* is ``true`` beside it, later
        drafts' *exclusive* (a boolean there makes networknt fail the schema: no bound)."""
        if self.draft_4:
            return schema.get(rule) if schema.get(exclusive) is True else None
        return schema.get(exclusive)

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

    def others(
        self, value: Mapping[str, Any], schema: Mapping[str, Any], path: str
    ) -> list[Mismatch]:
        """The keys of *value* neither ``properties`` nor ``patternProperties`` name, against
        ``additionalProperties``: refused when it is ``false``, checked when it is a schema."""
        others = schema.get("additionalProperties")
        if others is not False and not isinstance(others, Mapping):
            return []
        properties = schema.get("properties")
        names = tuple(properties) if isinstance(properties, Mapping) else ()
        patterns = schema.get("patternProperties")
        found: list[Mismatch] = []
        for key, item in value.items():
            if key in names or str(key).startswith("#") or _may_match_any(patterns, str(key)):
                continue
            if others is False:
                found.append(
                    Mismatch(path=path, rule="additionalProperties", field=key, expected=names)
                )
            else:
                found += self.check(item, others, f"{path}.{key}")
        return found

    def sized(self, value: list[Any], schema: Mapping[str, Any], path: str) -> list[Mismatch]:
        """*value* against ``minItems``, ``maxItems`` and ``uniqueItems``; items that pass as
        they are (masked secrets) are never taken for equal."""
        found = []
        for rule, beyond in (("minItems", operator.lt), ("maxItems", operator.gt)):
            bound = _whole(schema.get(rule))
            if bound is not None and beyond(len(value), bound):
                found.append(
                    Mismatch(path=path, rule=rule, expected=(bound,), found=str(len(value)))
                )
        if schema.get("uniqueItems") is True:
            compared = [
                (i, item) for i, item in enumerate(value) if not self.passing(f"{path}[{i}]", item)
            ]
            if pair := _repeated(compared):
                where = f"[{pair[0]}] and [{pair[1]}]"
                found.append(Mismatch(path=path, rule="uniqueItems", found=where))
        return found

    def options(
        self, value: Any, options: Sequence[Any], path: str, *, only_one: bool
    ) -> list[Mismatch]:
        """
        *value* against ``anyOf`` or (*only_one*) ``oneOf`` *options*: fitting none is refused,
        naming the option its selector picks or all of them; fitting several ``oneOf`` options
        is refused only when at least two fit surely (networknt ``OneOfValidator``: "but 2 are
        valid"), never when a masked secret or an unread keyword made one fit.
        """
        tried = [self.trial(value, option, path) for option in options]
        results = [result for result, _ in tried]
        selector = _selector(options)
        names = tuple(_option_name(option, selector, i) for i, option in enumerate(options))
        fitting = [i for i, result in enumerate(results) if not result]
        sure = [i for i in fitting if not tried[i][1]]
        if only_one and len(sure) > 1:
            indexes = ", ".join(map(str, sure))
            return [
                Mismatch(
                    path=path,
                    rule="oneOf",
                    expected=tuple(names[i] for i in sure),
                    found=indexes,
                    selector=selector,
                )
            ]
        if fitting:
            if not sure or (only_one and len(fitting) > 1):
                self.doubt(path)
            return []
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

    def trial(self, value: Any, option: Any, path: str) -> tuple[list[Mismatch], list[str]]:
        """How *value* fails *option*, and the doubts met on the way."""
        checker = attrs.evolve(self, doubts=[])
        return checker.check(value, option, path), checker.doubts


#: Keywords networknt validates by that this check does not read: a value checked against a
#: schema holding one fits it only maybe.
#: References, not followed: a schema holding one is not checked at all.
_REFS = frozenset(("$ref", "$recursiveRef", "$dynamicRef"))
_UNCHECKED = frozenset(
    (
        "$ref",
        "$recursiveRef",
        "$dynamicRef",
        "not",
        "if",
        "dependencies",
        "dependentRequired",
        "dependentSchemas",
        "propertyNames",
        "patternProperties",
        "minProperties",
        "maxProperties",
        "contains",
        "additionalItems",
        "prefixItems",
        "unevaluatedProperties",
        "unevaluatedItems",
    )
)


def _listed(schema: Mapping[str, Any], key: str) -> list[Any]:
    found = schema.get(key)
    return found if isinstance(found, list) else []


#: Each inclusive bound, how a number breaks it, and its exclusive keyword.
_BOUNDS = (
    ("minimum", operator.lt, "exclusiveMinimum"),
    ("maximum", operator.gt, "exclusiveMaximum"),
)


def _is_number(value: Any) -> bool:
    return json_type(value) in ("integer", "number")


def _whole(bound: Any) -> int | None:
    """*bound* as a count, when it is a whole number (networknt ``canConvertToExactIntegral``);
    else None, no bound."""
    if _is_number(bound) and float(bound).is_integer():
        return int(bound)
    return None


#: Room for the exact quotient of any two doubles.
_EXACT = decimal.Context(prec=1000)


def _is_multiple(value: float, divisor: float) -> bool | None:
    """
    Whether *value* is a multiple of *divisor* as networknt's ``MultipleOfValidator`` finds:
    both as ``BigDecimal.valueOf`` their double, the remainder exact (``0.3`` is a multiple of
    ``0.1``). A divisor of 0 is no constraint; None, cannot tell, for a value too large.
    """
    try:
        dividend, by = (decimal.Decimal(repr(float(n))) for n in (value, divisor))
        return by == 0 or _EXACT.remainder(dividend, by) == 0
    except (OverflowError, decimal.InvalidOperation):
        return None


#: Line breaks Java's ``$`` and ``.`` know as such and Python's do not.
_JAVA_LINE_BREAKS = frozenset("\r\x85\u2028\u2029")


def _finds(pattern: str, text: str) -> bool | None:
    """
    Whether ``java.util.regex`` finds *pattern* in *text* (``Matcher.find``, what networknt's
    ``JDKRegularExpression`` does): None when Python's ``re`` may read either otherwise
    (:func:`_java_regex`).
    """
    compiled = _java_regex(pattern)
    if compiled is None or not _JAVA_LINE_BREAKS.isdisjoint(text):
        return None
    regex, has_word_boundary = compiled
    if has_word_boundary and not text.isascii():
        return None
    return regex.search(text) is not None


@functools.cache
def _java_regex(pattern: str) -> tuple[re.Pattern[str], bool] | None:
    r"""
    *pattern* compiled to read as Java reads it, with ASCII classes (``\d``, ``\w``,
    ``\s`` without ``UNICODE_CHARACTER_CLASS``), and whether it holds a word boundary, which
    Java may draw elsewhere in non-ASCII text. None when Python cannot compile it (``\p{L}``,
    ``\Q...\E``, ``(?<name>...)``) or reads it otherwise: ``\v`` (a class of vertical
    spaces in Java), ``\Z`` (before a final line break in Java), a set operation or nested
    class (``[a-z&&[^e]]``, which ``re`` warns of).
    """
    escaped = set(re.findall(r"\\(.)", pattern, re.DOTALL))
    if escaped & {"v", "Z"}:
        return None
    with warnings.catch_warnings():
        warnings.simplefilter("error", FutureWarning)
        try:
            regex = re.compile(pattern, re.ASCII)
        except (re.error, FutureWarning):
            return None
    return regex, bool(escaped & {"b", "B"})


def _may_match_any(patterns: Any, key: str) -> bool:
    """Whether a ``patternProperties`` pattern may match *key* (when unsure, it may)."""
    listed = patterns if isinstance(patterns, Mapping) else {}
    return any(not isinstance(p, str) or _finds(p, key) is not False for p in listed)


#: RFC 3339's date-time as ethlo ITU's ``parseDateTime`` reads it: ``T``, ``t`` or a space
#: between date and time, seconds required, 1 to 9 digits of fraction, an offset required.
_DATE_TIME = re.compile(
    r"([0-9]{4})-([0-9]{2})-([0-9]{2})[Tt ]([0-9]{2}):([0-9]{2}):([0-9]{2})"
    r"(?:\.[0-9]{1,9})?(?:[Zz]|[+-][0-9]{2}:[0-9]{2})"
)
_FULL_DATE = re.compile(r"([0-9]{4})-([0-9]{2})-([0-9]{2})")


def _is_day(year: int, month: int, day: int) -> bool:
    """Whether the proleptic Gregorian calendar has that day (year 0 a leap year, as in
    ``java.time``)."""
    if not 1 <= month <= 12:
        return False
    leap = year % 4 == 0 and (year % 100 != 0 or year % 400 == 0)
    days = (31, 29 if leap else 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31)[month - 1]
    return 1 <= day <= days


def _date_time(text: str) -> bool | None:
    """
    Whether *text* is a ``date-time`` as networknt's ``DateTimeValidator`` finds (ethlo ITU
    ``parseDateTime``, then ``OffsetDateTime.of``): a plain date (``2024-01-01``) or a time
    with no offset (``2024-01-01T00:00:00``) is none, nor is February 30 or hour 24. None,
    cannot tell, for second 60 (a leap second, taken on some dates only) and offsets beyond
    ``+18:00`` or ``-00:00`` (refused by some ITU versions).
    """
    found = _DATE_TIME.fullmatch(text)
    if found is None:
        return False
    year, month, day, hour, minute, second = map(int, found.groups())
    if not _is_day(year, month, day) or hour > 23 or minute > 59 or second > 60:
        return False
    offset = text[-6:]
    if second == 60 or offset == "-00:00" or (offset[0] in "+-" and offset[1:3] >= "18"):
        return None
    return True


def _date(text: str) -> bool | None:
    """
    Whether *text* is a ``date`` as networknt's ``DateFormat`` finds (``LocalDate.parse``,
    ``ISO_LOCAL_DATE`` with its strict resolver, years 0 to 9999): ``2024-1-5``,
    ``2024-02-30`` and a date-time are none. None, cannot tell, for a signed year.
    """
    found = _FULL_DATE.fullmatch(text)
    if found is None:
        return None if text[:1] in ("+", "-") else False
    return _is_day(*map(int, found.groups()))


#: The formats checked, each a test that says whether a string is one (None: cannot tell).
#: Other formats pass (see the module docstring).
_FORMATS: dict[str, Callable[[str], bool | None]] = {"date-time": _date_time, "date": _date}


def _repeated(items: Sequence[tuple[int, Any]]) -> tuple[int, int] | None:
    """
    The indexes of the first two equal items, equal as Jackson's ``JsonNode.equals`` finds
    (networknt ``UniqueItemsValidator``): ``1`` is not ``1.0`` nor ``true``, key order does not
    count. None when they all differ.
    """
    seen: dict[str, int] = {}
    for index, item in items:
        text = json.dumps(item, sort_keys=True, default=repr)
        if text in seen:
            return seen[text], index
        seen[text] = index
    return None


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
