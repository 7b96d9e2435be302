"""Whatever JSON arrives, structuring gives a model or a ResponseValidationError, nothing else."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import attrs
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from airbyte_async import models
from airbyte_async._serde import structure, unstructure
from airbyte_async.errors import ResponseValidationError
from airbyte_async.models import Deferred
from airbyte_async.models import _wire as w

PAYLOADS = Path(__file__).parent / "payloads"

MODELS = sorted(
    {getattr(models, name) for name in models.__all__ if attrs.has(getattr(models, name))}
    | {
        w.WorkspaceList,
        w.SourceList,
        w.DestinationList,
        w.SourceDefinitionList,
        w.DestinationDefinitionList,
        w.ConnectionList,
    },
    key=lambda cls: cls.__name__,
)

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


def _read_deferred(value: Any) -> None:
    """Read every Deferred part, as a caller touching each property would."""
    if isinstance(value, Deferred):
        try:
            value = value.get()
        except ResponseValidationError:
            return
    if attrs.has(type(value)):
        for field in attrs.fields(type(value)):
            _read_deferred(getattr(value, field.name))
    elif isinstance(value, tuple):
        for item in value:
            _read_deferred(item)


def _check(data: Any, cls: type) -> None:
    try:
        result = structure(data, cls, route="prop")
    except ResponseValidationError:
        return
    assert isinstance(result, cls)
    _read_deferred(result)


def _depths(thorough: int) -> list[Any]:
    """Examples per case: a sixth of *thorough* in the quick suite, all of them under -m slow."""
    return [
        pytest.param(thorough // 6, id="quick"),
        pytest.param(thorough, id="thorough", marks=pytest.mark.slow),
    ]


@pytest.mark.parametrize("examples", _depths(60))
@pytest.mark.parametrize("cls", MODELS, ids=lambda cls: cls.__name__)
def test_arbitrary_json_gives_a_model_or_a_validation_error(cls: type, examples: int) -> None:
    """Random JSON: a model or ResponseValidationError, never another exception."""

    @settings(max_examples=examples, deadline=None)
    @given(data=json_values)
    def check(data: Any) -> None:
        _check(data, cls)

    check()


SAMPLES = {
    "job_get_0_40": models.Job,
    "job_get_head": models.Job,
    "job_list_0_50": models.JobPage,
    "connection_0_40": models.Connection,
    "connection_head": models.Connection,
    "source_0_50": models.Source,
    "workspace_0_50": models.Workspace,
    "workspace_head": models.Workspace,
    "source_definitions_head": w.SourceDefinitionList,
    "destination_definitions_0_50": w.DestinationDefinitionList,
}


def _paths(value: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    found = [prefix]
    if isinstance(value, dict):
        for key, child in value.items():
            found += _paths(child, (*prefix, key))
    elif isinstance(value, list):
        for index, child in enumerate(value):
            found += _paths(child, (*prefix, index))
    return found


def _replace(value: Any, path: tuple[Any, ...], new: Any) -> Any:
    if not path:
        return new
    value[path[0]] = _replace(value[path[0]], path[1:], new)
    return value


@pytest.mark.parametrize("examples", _depths(80))
@pytest.mark.parametrize("name", sorted(SAMPLES))
def test_one_corrupted_value_gives_a_model_or_a_validation_error(name: str, examples: int) -> None:
    """A real payload with any one value replaced by random JSON: still model-or-error."""
    data = json.loads((PAYLOADS / f"{name}.json").read_text())
    paths = st.sampled_from(_paths(data))

    @settings(max_examples=examples, deadline=None)
    @given(path=paths, new=json_values)
    def check(path: tuple[Any, ...], new: Any) -> None:
        _check(_replace(copy.deepcopy(data), path, new), SAMPLES[name])

    check()


@pytest.mark.parametrize("name", sorted(SAMPLES))
def test_real_payloads_survive_a_round_trip(name: str) -> None:
    """Structure, unstructure, structure again: the same model."""
    cls = SAMPLES[name]
    first = structure(json.loads((PAYLOADS / f"{name}.json").read_text()), cls)

    assert structure(unstructure(first), cls) == first
