"""Random JSON for property tests of structuring, and ways to corrupt a real payload with it."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import strategies as st

# Keys the models read, so that random objects reach past the top level now and then.
WIRE_KEYS = ["job", "attempts", "attempt", "logs", "id", "status", "createdAt", "streams", "name"]

scalars = st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text()
json_values = st.recursive(
    scalars,
    lambda children: (
        st.lists(children, max_size=4)
        | st.dictionaries(st.sampled_from(WIRE_KEYS) | st.text(max_size=8), children, max_size=5)
    ),
    max_leaves=25,
)


def depths(thorough: int) -> list[Any]:
    """Examples per case: a sixth of *thorough* in the quick suite, all of them under -m slow."""
    return [
        pytest.param(thorough // 6, id="quick"),
        pytest.param(thorough, id="thorough", marks=pytest.mark.slow),
    ]


def paths(value: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    found = [prefix]
    if isinstance(value, dict):
        for key, child in value.items():
            found += paths(child, (*prefix, key))
    elif isinstance(value, list):
        for index, child in enumerate(value):
            found += paths(child, (*prefix, index))
    return found


def replace(value: Any, path: tuple[Any, ...], new: Any) -> Any:
    if not path:
        return new
    value[path[0]] = replace(value[path[0]], path[1:], new)
    return value
