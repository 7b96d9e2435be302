"""The fast job reader reads what the generated hooks read, and leaves them everything else."""

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

from airbyte_async import _serde
from airbyte_async._serde import structure, unstructure
from airbyte_async.errors import ResponseValidationError
from airbyte_async.models import Attempt, AttemptStats, Job

PAYLOADS = Path(__file__).parent / "payloads"

#: Every field of Job, Attempt and AttemptStats set, on the shapes of jobs/get and jobs/list.
FULL = {
    "job": {
        "id": 7,
        "configType": "sync",
        "configId": "0b7c1d2e-3f40-4a5b-8c6d-7e8f9a0b1c2d",
        "createdAt": 1787000000,
        "updatedAt": 1787000100,
        "startedAt": 1787000001,
        "status": "failed",
        "enabledStreams": [{"name": "users", "namespace": "public"}],
        "aggregatedStats": {"recordsEmitted": 3, "bytesCommitted": 40},
        "streamAggregatedStats": [{"streamName": "users", "recordsCommitted": 3}],
    },
    "attempts": [
        {
            "attempt": {
                "id": 0,
                "status": "failed",
                "createdAt": 1787000001,
                "updatedAt": 1787000100,
                "endedAt": 1787000100,
                "recordsSynced": 3,
                "bytesSynced": 40,
                "totalStats": {
                    "recordsEmitted": 3,
                    "bytesEmitted": 41,
                    "recordsCommitted": 3,
                    "bytesCommitted": 40,
                    "recordsRejected": 1,
                    "stateMessagesEmitted": 2,
                    "estimatedRecords": 5,
                    "estimatedBytes": 50,
                },
                "streamStats": [{"streamName": "users", "stats": {"recordsEmitted": 3}}],
                "failureSummary": {"failures": [{"failureOrigin": "source"}]},
            },
            "logType": "formatted",
            "logs": {"logLines": ["one", "two"]},
        }
    ],
}


def _job_payloads() -> dict[str, Any]:
    found: dict[str, Any] = {"full": FULL}
    # Not a server's shape, but one the generated hooks read: the attempts inside the job.
    found["attempts_inside"] = {"job": {**FULL["job"], "attempts": FULL["attempts"]}}
    for name in ("job_get_0_40", "job_get_head"):
        found[name] = json.loads((PAYLOADS / f"{name}.json").read_text())
    listed = json.loads((PAYLOADS / "job_list_0_50.json").read_text())
    for n, entry in enumerate(listed["jobs"]):
        found[f"job_list_0_50[{n}]"] = entry
    return found


JOBS = _job_payloads()


def _generated(data: Any, monkeypatch: pytest.MonkeyPatch) -> Job:
    with monkeypatch.context() as m:
        m.setattr(_serde, "_read_job", lambda value, route: None)
        return structure(data, Job, route="r")


def _same(fast: Job, slow: Job) -> None:
    # Deferred parts compare as the raw JSON kept (a corrupted one cannot be read, by either).
    assert unstructure(fast) == unstructure(slow)
    try:
        equal = fast == slow
    except ResponseValidationError:
        return
    assert equal


@pytest.mark.parametrize("name", sorted(JOBS))
def test_the_fast_reader_reads_every_real_payload_as_the_generated_hooks(
    name: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Each recorded job answer takes the fast way, to the same model."""
    fast = _serde._read_job(JOBS[name], "r")

    assert fast is not None
    _same(fast, _generated(JOBS[name], monkeypatch))


def test_the_full_payload_sets_every_field(monkeypatch: pytest.MonkeyPatch) -> None:
    """A field added to a job model must be added to FULL, which the fast reader is checked on."""
    job = _generated(FULL, monkeypatch)
    attempt = job.attempts[0]
    assert attempt.total_stats is not None
    for model, cls in ((job, Job), (attempt, Attempt), (attempt.total_stats, AttemptStats)):
        for field in attrs.fields(cls):
            if (cls, field.name) == (Job, "attempts_reported"):
                continue  # the public API's reader sets it; no Config API payload has it
            assert getattr(model, field.name) != field.default, f"{cls.__name__}.{field.name}"


@pytest.mark.parametrize("examples", depths(240))
@pytest.mark.parametrize("name", sorted(JOBS))
def test_the_fast_reader_agrees_or_steps_aside(name: str, examples: int) -> None:
    """Any one value replaced by random JSON: the fast reader gives the same job, or none."""
    where = st.sampled_from(paths(JOBS[name]))

    @settings(max_examples=examples, deadline=None)
    @given(path=where, new=json_values)
    def check(path: tuple[Any, ...], new: Any) -> None:
        data = replace(copy.deepcopy(JOBS[name]), path, new)
        fast = _serde._read_job(copy.deepcopy(data), "r")
        with pytest.MonkeyPatch.context() as m:
            try:
                slow = _generated(data, m)
            except ResponseValidationError:
                assert fast is None
                return
        if fast is not None:
            _same(fast, slow)

    check()


def test_a_part_read_later_names_its_route_however_many_routes_were_read() -> None:
    """Readers are shared per route, and a client reading routes with ids keeps few of them."""
    broken = copy.deepcopy(FULL)
    broken["job"]["enabledStreams"] = [{"name": 5}]
    for n in range(3 * _serde._READERS_KEPT):
        job = structure(broken, Job, route=f"jobs/{n}")
    assert len(_serde._READERS) <= _serde._READERS_KEPT

    with pytest.raises(ResponseValidationError) as caught:
        _ = job.enabled_streams
    assert caught.value.route == f"jobs/{3 * _serde._READERS_KEPT - 1}"
