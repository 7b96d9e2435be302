"""Request bodies go out as JSON the standard library would accept, and nothing else does."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from airbyte_async._transport import Response, decode, encode

finite = st.floats(allow_nan=False, allow_infinity=False)
# Integers beyond 64 bits and keys that are not strings are JSON the standard library writes.
scalars = st.none() | st.booleans() | st.integers() | finite | st.text()
keys = st.text(max_size=8) | st.integers() | st.sampled_from(["null", "NaN"])
bodies = st.recursive(
    scalars,
    lambda children: st.lists(children, max_size=4) | st.dictionaries(keys, children, max_size=5),
    max_leaves=25,
)
# Floats JSON has no number for, and where they hide: anywhere in a body.
non_finite = st.sampled_from([float("nan"), float("inf"), float("-inf")])


def _place(value: Any, depth: int) -> Any:
    for n in range(depth):
        value = [value] if n % 2 else {"k": value, "null": None}
    return value


@given(bodies)
def test_a_body_reads_back_as_the_standard_library_writes_it(body: Any) -> None:
    """encode(body) decodes to what json.dumps(body) decodes to."""
    assert json.loads(encode(body)) == json.loads(json.dumps(body))


# Integers orjson reads as floats, and the 64-bit ones it reads exact, among the scalars.
beyond_64_bits = st.integers(min_value=2**64) | st.integers(max_value=-(2**63) - 1)
documents = st.recursive(
    scalars | beyond_64_bits | st.integers(min_value=-(2**63), max_value=2**64 - 1),
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(), children),
    max_leaves=25,
)


@given(documents)
def test_an_answer_reads_as_the_standard_library_reads_it(document: Any) -> None:
    """decode() of any 2xx JSON answer (but a job route's) gives what json.loads gives, every
    integer exact however long: orjson alone reads one beyond 64 bits as a float."""
    raw = json.dumps(document).encode()

    decoded = decode(Response(200, {}, raw), route="sources/get")

    assert decoded == json.loads(raw)
    assert repr(decoded) == repr(json.loads(raw))


@given(non_finite, st.integers(min_value=0, max_value=4))
def test_nan_and_infinities_are_refused_wherever_they_are(value: float, depth: int) -> None:
    """A NaN or infinity anywhere in a body raises ValueError (orjson alone writes null)."""
    with pytest.raises(ValueError, match="not JSON compliant"):
        encode(_place(value, depth))


@pytest.mark.parametrize(
    "value", [dt.datetime(2026, 1, 1, tzinfo=dt.UTC), object(), {1, 2}, b"bytes"]
)
def test_values_json_has_no_form_for_are_refused(value: object) -> None:
    """What the standard library cannot write raises TypeError, even where orjson could."""
    with pytest.raises(TypeError):
        encode({"value": value})
