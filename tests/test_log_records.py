"""What the library logs over a batch: its loggers, levels and the fields a filter reads."""

from __future__ import annotations

import logging

import pytest
from client_support import client_for

from airbyte_async.orchestrator import Orchestrator, Selection
from airbyte_async.testing import pytest_plugin

airbyte_emulator_factory = pytest_plugin.airbyte_emulator_factory
Factory = pytest_plugin.EmulatorFactory

pytestmark = pytest.mark.anyio

SYNC = "connections/sync"


async def test_a_calm_batch_logs_nothing_at_warning_or_above(
    airbyte_emulator_factory: Factory, caplog: pytest.LogCaptureFixture
) -> None:
    """A batch of 40 syncs on a server without faults, some of which fail (a failed job is a
    result, not a fault of the batch), logs nothing at WARNING or above."""
    caplog.set_level(logging.DEBUG, logger="airbyte_async")
    emu = await airbyte_emulator_factory(connections=40, failure_rate=0.3, seed=3)
    async with client_for(emu) as client:
        results = await Orchestrator(client, max_running=20).run(Selection(all_workspaces=True))

    assert len(results) == 40
    assert not all(r.ok for r in results)
    assert [r.getMessage() for r in caplog.records if r.levelno >= logging.WARNING] == []


async def test_a_record_about_one_trigger_names_its_concern_connection_and_job(
    airbyte_emulator_factory: Factory, caplog: pytest.LogCaptureFixture
) -> None:
    """The record of a trigger whose answer was lost, its job then adopted, comes from the
    ``airbyte_async.triggers`` logger and carries the sync's ``connection_id`` and ``job_id``
    as attributes; the request lines and retry decisions come from ``airbyte_async.http``: a
    handler or filter selects them by logger or by sync without parsing messages."""
    caplog.set_level(logging.DEBUG, logger="airbyte_async")
    emu = await airbyte_emulator_factory(
        connections=3, faults=[{"kind": "reset_after", "route": SYNC, "times": 1}]
    )
    async with client_for(emu) as client:
        results = await Orchestrator(client, max_running=3).run(Selection(all_workspaces=True))

    adopted = [r for r in caplog.records if "adopted job" in r.getMessage()]
    assert len(adopted) == 1, [r.getMessage() for r in caplog.records]
    [record] = adopted
    [result] = [r for r in results if r.connection_id == getattr(record, "connection_id", None)]
    assert record.name == "airbyte_async.triggers"
    assert getattr(record, "job_id", None) == result.job_id
    requests = [r for r in caplog.records if r.getMessage().startswith(f"POST {SYNC} -> ")]
    assert requests
    assert {r.name for r in requests} == {"airbyte_async.http"}
