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
from payload_support import depths, json_values, paths, replace

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


@pytest.mark.parametrize("examples", depths(60))
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


@pytest.mark.parametrize("examples", depths(80))
@pytest.mark.parametrize("name", sorted(SAMPLES))
def test_one_corrupted_value_gives_a_model_or_a_validation_error(name: str, examples: int) -> None:
    """A real payload with any one value replaced by random JSON: still model-or-error."""
    data = json.loads((PAYLOADS / f"{name}.json").read_text())
    where = st.sampled_from(paths(data))

    @settings(max_examples=examples, deadline=None)
    @given(path=where, new=json_values)
    def check(path: tuple[Any, ...], new: Any) -> None:
        _check(replace(copy.deepcopy(data), path, new), SAMPLES[name])

    check()


@pytest.mark.parametrize("name", sorted(SAMPLES))
def test_real_payloads_survive_a_round_trip(name: str) -> None:
    """Structure, unstructure, structure again: the same model."""
    cls = SAMPLES[name]
    first = structure(json.loads((PAYLOADS / f"{name}.json").read_text()), cls)

    assert structure(unstructure(first), cls) == first
