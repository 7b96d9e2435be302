"""The configuration check against a connector specification's JSON schema (_schema.py)."""

from __future__ import annotations

from typing import Any

import pytest

from airbyte_async._schema import Mismatch, mismatches

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
        ({"additionalProperties": False}, {"any": 1}, []),
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
    and what the subset leaves alone (additionalProperties, an object with no properties)."""
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
