"""The configuration check against a connector specification's JSON schema (_schema.py)."""

from __future__ import annotations

from typing import Any

import pytest

from airbyte_async._schema import Mismatch, mismatches
from airbyte_async.testing._catalog import config_errors

SSL = {
    "type": "object",
    "oneOf": [
        {"title": "disable", "properties": {"mode": {"const": "disable"}}, "required": ["mode"]},
        {
            "title": "verify-ca",
            "required": ["mode", "ca_certificate"],
            "properties": {"mode": {"const": "verify-ca"}, "ca_certificate": {"type": "string"}},
        },
    ],
}


@pytest.mark.parametrize(
    ("schema", "value", "found"),
    [
        ({"type": ["string", "null"]}, None, []),
        (
            {"type": ["string", "null"]},
            5,
            [Mismatch(path="$", rule="type", expected=("string", "null"), found="integer")],
        ),
        ({"type": "number"}, 5, []),
        ({"type": "integer"}, 5.0, []),
        (
            {"type": "integer"},
            True,
            [Mismatch(path="$", rule="type", expected=("integer",), found="boolean")],
        ),
        ({"enum": [1, 2]}, True, [Mismatch(path="$", rule="enum", expected=(1, 2))]),
        ({"enum": [1, 2]}, 2.0, []),
        ({"const": "a"}, "b", [Mismatch(path="$", rule="const", expected=("a",))]),
        ({"minimum": 0, "maximum": 65536}, 65536, []),
        ({"maximum": 65536}, 70000, [Mismatch(path="$", rule="maximum", expected=(65536,))]),
        ({"minimum": -5}, -5.5, [Mismatch(path="$", rule="minimum", expected=(-5,))]),
        ({"minimum": 1}, "0", []),
        (
            {"required": ["host"], "properties": {}},
            {},
            [Mismatch(path="$", rule="required", field="host")],
        ),
        ({"type": "object"}, {"any": {"thing": [1]}}, []),
        (
            {"type": "array", "items": {"type": "object", "required": ["name"]}},
            [{"name": "a"}, {}],
            [Mismatch(path="$[1]", rule="required", field="name")],
        ),
        (
            {"allOf": [{"type": "string"}, {"enum": ["a"]}]},
            "b",
            [Mismatch(path="$", rule="enum", expected=("a",))],
        ),
        ({"anyOf": [{"type": "string"}, {"type": "integer"}]}, 3, []),
        (
            {"anyOf": [{"type": "string", "title": "Text"}, {"type": "integer"}]},
            [],
            [Mismatch(path="$", rule="options", expected=("Text", "option 2"))],
        ),
        (SSL, {"mode": "disable"}, []),
        (
            SSL,
            {"mode": "verify-ca"},
            [Mismatch(path="$", rule="required", field="ca_certificate", option="verify-ca")],
        ),
        (
            SSL,
            {"mode": "verify_ca"},
            [
                Mismatch(
                    path="$", rule="options", expected=("disable", "verify-ca"), selector="mode"
                )
            ],
        ),
        ({"type": "string"}, "x", []),
        ("not a schema", 5, []),
    ],
)
def test_mismatches(schema: Any, value: Any, found: list[Mismatch]) -> None:
    """Each JSON Schema rule of the subset, as draft 7 reads it (1.0 is an integer, true is not 1),
    and what the subset leaves alone (an object with no properties)."""
    assert mismatches(value, schema) == found


def test_a_value_the_caller_passes_is_not_checked() -> None:
    """*passes* lets a value through as it is (a masked secret)."""
    schema = {"properties": {"port": {"type": "integer"}}}

    assert mismatches({"port": "**********"}, schema, passes=lambda _, v: v == "**********") == []


DRAFT_04 = "http://json-schema.org/draft-04/schema#"


@pytest.mark.parametrize(
    ("dialect", "found"),
    [
        (None, []),
        ("http://json-schema.org/draft-07/schema#", []),
        ("http://json-schema.org/draft-06/schema#", []),
        ("https://json-schema.org/draft/2020-12/schema", []),
        (DRAFT_04, [Mismatch(path="$.port", rule="type", expected=("integer",), found="number")]),
    ],
)
def test_an_integral_number_is_an_integer_from_draft_6_on(dialect: str | None, found: Any) -> None:
    """
    ``port = 5432.0`` fits ``type: integer`` as Airbyte's validator reads it: airbyte-platform's
    ``JsonSchemaValidator.getSchemaValidator`` (airbyte-json-validation) picks the dialect from
    the specification's ``$schema`` (draft 7 when there is none) with a default
    ``SchemaValidatorsConfig`` (no ``typeLoose``), and networknt json-schema-validator 1.4.0's
    ``JsonNodeUtil.equalsToSchemaType`` takes a number that ``canConvertToExactIntegral`` as an
    integer only from draft 6 on: under draft 4 it is a number.
    """
    schema: dict[str, Any] = {"properties": {"port": {"type": "integer"}}}
    if dialect is not None:
        schema["$schema"] = dialect

    assert mismatches({"port": 5432.0}, schema) == found


START_DATE = "^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}Z$"


def one(rule: str, *expected: Any, path: str = "$", **fields: str) -> list[Mismatch]:
    return [Mismatch(path=path, rule=rule, expected=expected, **fields)]


@pytest.mark.parametrize(
    ("schema", "value", "found"),
    [
        # networknt PatternValidator: java.util.regex Matcher.find, a search (regex.md:
        # "matches() is not called as that attempts to match the whole string").
        ({"pattern": START_DATE}, "2017-01-25T00:00:00Z", []),
        ({"pattern": START_DATE}, "2017-01-25", one("pattern", START_DATE)),
        ({"pattern": "[0-9]+"}, "port 5432 open", []),
        ({"pattern": "^[0-9]+$"}, "5432 ", one("pattern", "^[0-9]+$")),
        ({"pattern": "^[0-9]+$"}, 5432, []),
        # Min/MaxLengthValidator: codePointCount; a bound that is no whole number is none.
        ({"minLength": 1}, "", one("minLength", 1)),
        ({"maxLength": 2}, "\U0001f600\U0001f600", []),
        ({"maxLength": 2.0}, "abc", one("maxLength", 2)),
        ({"maxLength": 2.5}, "abc", []),
        ({"minLength": 3}, 12, []),
        # Min/MaxItemsValidator: arrays only (no typeLoose in Airbyte's config).
        ({"minItems": 1}, [], one("minItems", 1, found="0")),
        ({"maxItems": 1}, ["a", "b"], one("maxItems", 1, found="2")),
        ({"minItems": 2}, "ab", []),
        # UniqueItemsValidator: a HashSet of JsonNode, equal as Jackson finds (1 is an IntNode,
        # 1.0 a DoubleNode, objects equal whatever their key order).
        ({"uniqueItems": True}, ["a", "b", "a"], one("uniqueItems", found="[0] and [2]")),
        ({"uniqueItems": True}, [1, 1.0, True], []),
        (
            {"uniqueItems": True},
            [{"a": 1, "b": 2}, {"b": 2, "a": 1}],
            one("uniqueItems", found="[0] and [1]"),
        ),
        ({"uniqueItems": False}, ["a", "a"], []),
        # ExclusiveMinimum/MaximumValidator (draft 6 on), MultipleOfValidator (BigDecimal).
        ({"exclusiveMinimum": 0}, 0, one("exclusiveMinimum", 0)),
        ({"exclusiveMinimum": 0}, 0.5, []),
        ({"exclusiveMaximum": 10}, 10.0, one("exclusiveMaximum", 10)),
        ({"minimum": 0, "exclusiveMinimum": True}, 0, []),
        ({"multipleOf": 0.1}, 0.3, []),
        ({"multipleOf": 0.1}, 0.35, one("multipleOf", 0.1)),
        ({"multipleOf": 5}, 12, one("multipleOf", 5)),
        ({"multipleOf": 0}, 12, []),
        # AdditionalPropertiesValidator: keys neither properties nor patternProperties name,
        # keys starting with # skipped.
        (
            {"properties": {"host": {}}, "additionalProperties": False},
            {"host": "db", "hots": "db"},
            one("additionalProperties", "host", field="hots"),
        ),
        ({"properties": {"host": {}}, "additionalProperties": False}, {"#note": 1}, []),
        (
            {"patternProperties": {"^x_": {}}, "additionalProperties": False},
            {"x_tag": 1},
            [],
        ),
        ({"patternProperties": {"\\p{L}": {}}, "additionalProperties": False}, {"k": 1}, []),
        (
            {"properties": {"host": {}}, "additionalProperties": {"type": "integer"}},
            {"host": "db", "retries": "3"},
            one("type", "integer", path="$.retries", found="string"),
        ),
        ({"additionalProperties": True}, {"any": 1}, []),
    ],
)
def test_the_keywords_networknt_refuses_by(schema: Any, value: Any, found: list[Mismatch]) -> None:
    """
    pattern, minLength/maxLength, minItems/maxItems, uniqueItems, exclusiveMinimum/Maximum,
    multipleOf and additionalProperties, as networknt json-schema-validator 1.4.0 applies them
    under draft 7 (the validator classes named beside each group).
    """
    assert mismatches(value, schema) == found


@pytest.mark.parametrize(
    ("pattern", "value"),
    [
        ("^\\p{Lu}", "abc"),  # a Unicode class re cannot compile
        ("^a\\Qb\\E$", "x"),  # Java's quoting
        ("^[a-z&&[^e]]+$", "e"),  # Java's class intersection: re reads literal & and [
        ("^(?<name>x)$", "y"),  # Java's named group
        ("^\\v$", "\n"),  # \v is every vertical space in Java, \x0b only in re
        ("abc\\Z", "abc\n"),  # Java's \Z also matches before a final line break
        ("^ab$", "ab\r"),  # Java's $ matches before a final \r; re's does not
        ("^caf.\\b", "café"),  # a word boundary in non-ASCII text
    ],
)
def test_a_pattern_python_may_read_otherwise_than_java_lets_the_value_pass(
    pattern: str, value: str
) -> None:
    """Where re cannot compile a pattern, or may match otherwise than java.util.regex, the value
    passes: never refuse what Airbyte may accept."""
    assert mismatches(value, {"pattern": pattern}) == []


def test_classes_are_ascii_as_in_java() -> None:
    """\\d is [0-9] in Java without UNICODE_CHARACTER_CLASS, as under re.ASCII: an Arabic-Indic
    digit is refused, a non-ASCII letter fits \\W."""
    assert mismatches("\u0661", {"pattern": "^\\d$"}) == one("pattern", "^\\d$")
    assert mismatches("é", {"pattern": "^\\W$"}) == []


@pytest.mark.parametrize(
    ("schema", "value", "found"),
    [
        ({"minimum": 0, "exclusiveMinimum": True}, 0, one("exclusiveMinimum", 0)),
        ({"minimum": 0, "exclusiveMinimum": False}, 0, []),
        ({"maximum": 10, "exclusiveMaximum": True}, 10.0, one("exclusiveMaximum", 10)),
        ({"maximum": 10, "exclusiveMaximum": True}, 11, one("maximum", 10)),
        ({"exclusiveMinimum": 0}, 0, []),
    ],
)
def test_draft_4_exclusive_bounds_are_booleans_beside_minimum_and_maximum(
    schema: dict[str, Any], value: Any, found: list[Mismatch]
) -> None:
    """
    Under draft 4 networknt's MinimumValidator/MaximumValidator exclude the bound when a
    boolean exclusiveMinimum/exclusiveMaximum is true beside it; a numeric one is no keyword of
    draft 4 (ValidatorTypeCode: EXCLUSIVE_MINIMUM from V6).
    """
    assert mismatches(value, {**schema, "$schema": DRAFT_04}) == found


def test_a_masked_secret_passes_the_string_and_list_keywords() -> None:
    """The mask the server sends for a secret fails no pattern or length, and masked items are
    never taken for equal (the server restores each one's stored value)."""
    schema = {
        "properties": {
            "api_key": {"type": "string", "pattern": "^sk_", "minLength": 20},
            "keys": {"type": "array", "uniqueItems": True, "items": {"type": "string"}},
        }
    }
    masked = {"api_key": "**********", "keys": ["**********", "**********"]}

    assert mismatches(masked, schema, passes=lambda _, v: v == "**********") == []


@pytest.mark.parametrize(
    ("kind", "value", "found"),
    [
        # DateTimeValidator: ethlo ITU parseDateTime (RFC 3339), then OffsetDateTime.of.
        ("date-time", "2017-01-25T00:00:00Z", []),
        ("date-time", "2017-01-25t00:00:00.123456789+05:30", []),
        ("date-time", "2017-01-25 00:00:00-08:00", []),
        ("date-time", "2017-01-25", one("format", "date-time")),
        ("date-time", "2017-01-25T00:00:00", one("format", "date-time")),
        ("date-time", "2017-01-25T00:00Z", one("format", "date-time")),
        ("date-time", "2017-01-25T00:00:00.Z", one("format", "date-time")),
        ("date-time", "2017-01-25T00:00:00.1234567890Z", one("format", "date-time")),
        ("date-time", "2017-02-30T00:00:00Z", one("format", "date-time")),
        ("date-time", "2017-01-25T24:00:00Z", one("format", "date-time")),
        ("date-time", "2017-01-25T00:00:00+0100", one("format", "date-time")),
        ("date-time", "2017-01-25T00:00:00Z ", one("format", "date-time")),
        ("date-time", "\u0662017-01-25T00:00:00Z", one("format", "date-time")),
        ("date-time", "2016-12-31T23:59:60Z", []),  # a leap second: taken on some dates only
        ("date-time", "2017-01-25T00:00:00-00:00", []),  # refused by some ITU versions only
        ("date-time", 20170125, []),
        # DateFormat: LocalDate.parse (ISO_LOCAL_DATE, strict), years 0 to 9999.
        ("date", "2024-02-29", []),
        ("date", "2023-02-29", one("format", "date")),
        ("date", "2024-1-5", one("format", "date")),
        ("date", "2024-01-31T00:00:00Z", one("format", "date")),
        ("date", "+12024-01-31", []),
        # Formats whose 1.4.0 rules could not be read pass.
        ("email", "no at sign", []),
        ("uri", "not a uri", []),
    ],
)
def test_the_formats_networknt_asserts(kind: str, value: Any, found: list[Mismatch]) -> None:
    """
    ``format`` as networknt 1.4.0 asserts it under draft 7 (FormatValidator over
    DateTimeValidator and DateFormat): a date-time needs seconds and an offset, a date is
    YYYY-MM-DD, both a real day; where ITU's versions differ, or the format's rule is not known,
    the value passes.
    """
    assert mismatches(value, {"format": kind}) == found


REFUSED_START = one("format", "date-time", path="$.start_date")


@pytest.mark.parametrize(
    ("dialect", "found"),
    [
        (None, REFUSED_START),
        (DRAFT_04, REFUSED_START),
        ("http://json-schema.org/draft-06/schema#", REFUSED_START),
        ("https://json-schema.org/draft/2019-09/schema", []),
        ("https://json-schema.org/draft/2020-12/schema", []),
    ],
)
def test_format_is_asserted_up_to_draft_7(dialect: str | None, found: Any) -> None:
    """
    networknt's BaseFormatJsonValidator asserts ``format`` for dialects before 2019-09 and,
    from 2019-09 on, only where the meta-schema's vocabulary asks (the standard ones do not);
    Airbyte's ``new SchemaValidatorsConfig()`` leaves formatAssertionsEnabled null, so the
    dialect decides (airbyte-platform JsonSchemaValidator.getSchemaValidator).
    """
    schema: dict[str, Any] = {"properties": {"start_date": {"format": "date-time"}}}
    if dialect is not None:
        schema["$schema"] = dialect

    assert mismatches({"start_date": "2017-01-25"}, schema) == found


def test_a_masked_secret_passes_its_format() -> None:
    """The server's mask for a secret date-time is no date-time, yet passes."""
    schema = {"properties": {"since": {"type": "string", "format": "date-time"}}}

    assert mismatches({"since": "**********"}, schema, passes=lambda _, v: v == "**********") == []


AUTH = {
    "oneOf": [
        {
            "title": "API key",
            "required": ["api_key"],
            "properties": {"api_key": {"type": "string", "pattern": "^key_"}},
        },
        {
            "title": "Token",
            "required": ["token"],
            "properties": {"token": {"type": "string"}},
        },
    ]
}


@pytest.mark.parametrize(
    ("schema", "value", "found"),
    [
        (AUTH, {"api_key": "key_1"}, []),
        (AUTH, {"token": "t"}, []),
        (
            AUTH,
            {"api_key": "key_1", "token": "t"},
            one("oneOf", "API key", "Token", found="0, 1"),
        ),
        ({"anyOf": AUTH["oneOf"]}, {"api_key": "key_1", "token": "t"}, []),
        (
            {"oneOf": [{"type": "integer"}, {"minimum": 0}, {"type": "string"}]},
            1,
            one("oneOf", "option 1", "option 2", found="0, 1"),
        ),
        # An option that fits only maybe (a keyword or pattern not read) is never counted.
        ({"oneOf": [{"type": "integer"}, {"not": {"type": "string"}}]}, 1, []),
        ({"oneOf": [{"type": "string"}, {"pattern": "^\\p{L}"}]}, "a", []),
        ({"oneOf": [{"type": "string"}, {"format": "email"}]}, "a", []),
        ({"oneOf": [{"type": "array"}, {"items": False}]}, [1], []),
        # A nested oneOf fitting several makes its option fail.
        (
            {"oneOf": [{"oneOf": [{"type": "integer"}, {"minimum": 0}]}, {"type": "string"}]},
            1,
            [Mismatch(path="$", rule="options", expected=("option 1", "option 2"), selector="")],
        ),
    ],
)
def test_a_value_fitting_several_one_of_options_surely_is_refused(
    schema: Any, value: Any, found: list[Mismatch]
) -> None:
    """
    networknt's OneOfValidator refuses a value valid to more than one option ("must be valid to
    one and only one schema, but 2 are valid with indexes '0, 1'"); anyOf takes it. Only options
    the value surely fits count: one that fits by a keyword or pattern this check does not
    read may fail on the server, and the value passes.
    """
    assert mismatches(value, schema) == found


def test_a_masked_secret_never_makes_two_options_fit() -> None:
    """
    Options told apart only by a secret's pattern: the server's mask fits both here, but the
    server checks the stored secret, which fits one; the value passes. Nor does the mask make
    both fail.
    """
    schema = {
        "oneOf": [
            {"required": ["key"], "properties": {"key": {"type": "string", "pattern": "^sk_"}}},
            {"required": ["key"], "properties": {"key": {"type": "string", "pattern": "^pk_"}}},
        ]
    }
    masked = "**********"

    assert mismatches({"key": masked}, schema, passes=lambda _, v: v == masked) == []
    assert mismatches({"key": "sk_1"}, schema) == []
    assert mismatches({"key": "xx"}, schema) == [
        Mismatch(path="$", rule="options", expected=("option 1", "option 2"))
    ]


def test_the_emulator_words_a_value_fitting_several_options_as_networknt() -> None:
    """
    The emulator refuses a configuration fitting two oneOf options surely as the server's
    validator does (networknt 1.4.0 OneOfValidator, message key oneOf.indexes with the count and
    the options' indexes; API-FACTS 2.3, 6.2: 422), never showing the value. No emulated
    connector has options a value can fit together (each has a selector), so this is the
    emulator's check itself.
    """
    config = {"auth": {"api_key": "key_secret", "token": "secret-token"}}
    spec = {"type": "object", "properties": {"auth": AUTH}}

    errors = config_errors(config, spec)

    assert errors == [
        "$.auth: must be valid to one and only one schema, but 2 are valid with indexes '0, 1'"
    ]
    assert "secret" not in errors[0]


def test_a_schema_with_a_ref_is_not_checked_beside_it() -> None:
    """Draft 7 takes a $ref for the whole schema (the keywords beside it are ignored), and the
    reference is not followed: nothing there refuses a value the server may take."""
    schema = {"definitions": {"x": {}}, "$ref": "#/definitions/x", "type": "string"}

    assert mismatches(5, schema) == []
