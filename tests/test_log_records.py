"""What the library logs over a batch: its loggers, levels and the fields a filter reads."""

from __future__ import annotations

import logging

import pytest
import stamina
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


async def test_log_tail_reads_that_fail_for_many_failed_syncs_are_one_warning(
    airbyte_emulator_factory: Factory, caplog: pytest.LogCaptureFixture
) -> None:
    """With ``log_tail``, the reads of the logs of six failed syncs that all fail (every
    ``jobs/get`` failing with a 500) make one warning, naming the first job and its error,
    not one each: the results carry no log lines, which is the whole of the harm."""
    caplog.set_level(logging.WARNING, logger="airbyte_async")
    emu = await airbyte_emulator_factory(
        connections=6,
        failure_rate=1.0,
        faults=[{"kind": "error", "route": "jobs/get", "status": 500}],
    )
    async with client_for(emu) as client:
        with stamina.set_testing(True):
            orchestrator = Orchestrator(client, max_running=6, log_tail=5)
            results = await orchestrator.run(Selection(all_workspaces=True))

    warnings = [r.getMessage() for r in caplog.records]
    assert len(results) == 6
    assert all(not r.ok and r.log_tail == () for r in results)
    assert len(warnings) == 1, warnings
    assert warnings[0].startswith("could not read the log of job ")
    assert "its result has no log_tail" in warnings[0]


async def test_the_warning_that_a_job_may_still_run_names_its_connection_and_job(
    airbyte_emulator_factory: Factory, caplog: pytest.LogCaptureFixture
) -> None:
    """A job given up on whose cancel is refused for good (a 501): the WARNING that it may
    still run carries the sync's ``connection_id`` and ``job_id``, as every record about one
    sync does."""
    emu = await airbyte_emulator_factory(
        connections=1,
        sync_duration=(600, 600),
        faults=[{"kind": "error", "route": "jobs/cancel", "status": 501, "times": 100}],
    )
    async with client_for(emu) as client:
        with caplog.at_level(logging.WARNING, logger="airbyte_async"):
            [result] = await Orchestrator(client, timeout=1.0, poll_interval=0.05).run(
                emu.connection_ids
            )

    [record] = [r for r in caplog.records if "may still run" in r.getMessage()]
    assert result.left_running
    assert (getattr(record, "connection_id", None), getattr(record, "job_id", None)) == (
        result.connection_id,
        result.job_id,
    )


async def test_a_log_tail_read_that_fails_names_its_connection_and_job(
    airbyte_emulator_factory: Factory, caplog: pytest.LogCaptureFixture
) -> None:
    """The record of a failed sync's log that could not be read (``log_tail``) carries the
    sync's ``connection_id`` and ``job_id``."""
    caplog.set_level(logging.INFO, logger="airbyte_async")
    emu = await airbyte_emulator_factory(
        connections=1,
        failure_rate=1.0,
        faults=[{"kind": "error", "route": "jobs/get", "status": 500}],
    )
    async with client_for(emu) as client:
        with stamina.set_testing(True):
            [result] = await Orchestrator(client, log_tail=5).run(emu.connection_ids)

    [record] = [r for r in caplog.records if "could not read the log" in r.getMessage()]
    assert (getattr(record, "connection_id", None), getattr(record, "job_id", None)) == (
        result.connection_id,
        result.job_id,
    )
