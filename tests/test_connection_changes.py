"""
Connections that change under their jobs: disabled (``inactive``) while a job runs or waits
between attempts, enabled again, deleted; what the emulator answers, as Airbyte does, and what
a batch of the orchestrator reports for each.
"""

from __future__ import annotations

from typing import Any

import aiohttp
import emulator_support
import pytest
from emulator_support import call, public, sync

from airbyte_async.testing import Emulator, ManualClock, pytest_plugin

pytestmark = pytest.mark.anyio

# The plugin's fixtures, also when the package is not installed as a pytest plugin.
airbyte_emulator_factory = pytest_plugin.airbyte_emulator_factory
Factory = pytest_plugin.EmulatorFactory
http = emulator_support.http

_DISABLED_SOURCES = """
    Each attempt's sync workflow reads the connection's status before it replicates and, for
    an inactive one, answers a CANCELLED replication status ("Connection ... is disabled.
    Cancelling run.": airbytehq/airbyte-platform ``SyncWorkflowImpl``). Head's connection
    manager reports that job cancelled (``ConnectionManagerWorkflowImpl.kt``
    ``getCancelledStatus``, ``reportCancelledAndContinueWith``, at ``1b8991b4``); the Java
    workflow of 0.x has no branch for it and reports it succeeded (``getFailStatus`` false,
    ``reportSuccess``, ``ConnectionManagerWorkflowImpl.java`` at ``07d28131``; airbytehq/airbyte
    issue #37417). Disabling signals nothing to a running attempt (``ConnectionsHandler``
    ``updateConnection`` calls ``eventRunner.update``, heeded only while the workflow waits).
"""

#: A plan whose first attempt fails after 2 s, the second starting 10 s later (the backoff).
_RETRIED = {"duration": 2.0, "failed_attempts": 1, "outcome": "succeeded"}


async def _disable(http: aiohttp.ClientSession, emu: Emulator, cid: str, status: str) -> None:
    answer = await call(http, emu, "connections/update", {"connectionId": cid, "status": status})
    assert answer.status == 200, answer.text


async def _job(http: aiohttp.ClientSession, emu: Emulator, job_id: int) -> dict[str, Any]:
    answer = await call(http, emu, "jobs/get", {"id": job_id})
    assert answer.status == 200, answer.text
    got: dict[str, Any] = answer.json
    return got


@pytest.mark.parametrize("version", ["1.7", "2.0", "head"])
async def test_a_job_whose_connection_was_disabled_is_cancelled_at_its_next_attempt(
    airbyte_emulator_factory: Factory, http: aiohttp.ClientSession, version: str
) -> None:
    """A connection disabled while its first attempt runs: the job goes on (incomplete after
    that attempt fails), and its second attempt, finding the connection inactive, ends it
    cancelled."""
    clock = ManualClock()
    emu = await airbyte_emulator_factory(airbyte_version=version, connections=1, clock=clock)
    [cid] = emu.connection_ids
    emu.set_sync_plan(cid, **_RETRIED)
    job_id = (await sync(http, emu, cid))["job"]["id"]
    clock.advance(0.5)
    await _disable(http, emu, cid, "inactive")

    clock.advance(2.0)
    assert (await _job(http, emu, job_id))["job"]["status"] == "incomplete"
    clock.advance(11.0)
    got = await _job(http, emu, job_id)

    assert got["job"]["status"] == "cancelled"
    assert len(got["attempts"]) == 2


test_a_job_whose_connection_was_disabled_is_cancelled_at_its_next_attempt.__doc__ += (
    _DISABLED_SOURCES
)


async def test_on_0_50_a_job_whose_connection_was_disabled_succeeds_at_its_next_attempt(
    airbyte_emulator_factory: Factory, http: aiohttp.ClientSession
) -> None:
    """0.50 ends the job at the same point, but succeeded: its last attempt synced nothing."""
    clock = ManualClock()
    emu = await airbyte_emulator_factory(airbyte_version="0.50", connections=1, clock=clock)
    [cid] = emu.connection_ids
    emu.set_sync_plan(cid, **_RETRIED)
    job_id = (await sync(http, emu, cid))["job"]["id"]
    clock.advance(0.5)
    await _disable(http, emu, cid, "inactive")

    clock.advance(13.0)
    got = await _job(http, emu, job_id)

    assert got["job"]["status"] == "succeeded"
    first, last = (a["attempt"] for a in got["attempts"])
    assert (first["status"], last["status"]) == ("failed", "succeeded")
    assert not last.get("recordsSynced")


test_on_0_50_a_job_whose_connection_was_disabled_succeeds_at_its_next_attempt.__doc__ += (
    _DISABLED_SOURCES
)


@pytest.mark.parametrize("version", ["0.50", "head"])
async def test_the_attempt_under_way_when_the_connection_is_disabled_runs_to_its_end(
    airbyte_emulator_factory: Factory, http: aiohttp.ClientSession, version: str
) -> None:
    """A job of one attempt is not touched by its connection's disabling: it succeeds with
    its records."""
    clock = ManualClock()
    emu = await airbyte_emulator_factory(airbyte_version=version, connections=1, clock=clock)
    [cid] = emu.connection_ids
    emu.set_sync_plan(cid, duration=2.0, outcome="succeeded")
    job_id = (await sync(http, emu, cid))["job"]["id"]
    clock.advance(0.5)
    await _disable(http, emu, cid, "inactive")

    clock.advance(2.0)
    got = await _job(http, emu, job_id)

    assert got["job"]["status"] == "succeeded"
    assert got["attempts"][-1]["attempt"]["recordsSynced"] > 0


test_the_attempt_under_way_when_the_connection_is_disabled_runs_to_its_end.__doc__ += (
    _DISABLED_SOURCES
)


@pytest.mark.parametrize("version", ["0.50", "head"])
async def test_a_connection_enabled_again_before_the_next_attempt_lets_it_run(
    airbyte_emulator_factory: Factory, http: aiohttp.ClientSession, version: str
) -> None:
    """Disabled, then enabled again while the job waits between attempts: the next attempt
    finds it active and the job ends as planned, with its records."""
    clock = ManualClock()
    emu = await airbyte_emulator_factory(airbyte_version=version, connections=1, clock=clock)
    [cid] = emu.connection_ids
    emu.set_sync_plan(cid, **_RETRIED)
    job_id = (await sync(http, emu, cid))["job"]["id"]
    clock.advance(0.5)
    await _disable(http, emu, cid, "inactive")
    clock.advance(3.0)
    await _disable(http, emu, cid, "active")

    clock.advance(12.0)
    got = await _job(http, emu, job_id)

    assert got["job"]["status"] == "succeeded"
    assert got["attempts"][-1]["attempt"]["recordsSynced"] > 0


test_a_connection_enabled_again_before_the_next_attempt_lets_it_run.__doc__ += _DISABLED_SOURCES


async def test_the_public_api_shows_a_job_cut_short_by_a_disabled_connection_cancelled(
    airbyte_emulator_factory: Factory, http: aiohttp.ClientSession
) -> None:
    """``PATCH /connections/{id}`` with status inactive does what ``connections/update`` does:
    head's ``GET /jobs/{id}`` then shows the job cancelled from its next attempt on."""
    clock = ManualClock()
    emu = await airbyte_emulator_factory(airbyte_version="head", connections=1, clock=clock)
    [cid] = emu.connection_ids
    emu.set_sync_plan(cid, **_RETRIED)
    job_id = (await sync(http, emu, cid))["job"]["id"]
    clock.advance(0.5)
    patched = await public(http, emu, "PATCH", f"/connections/{cid}", {"status": "inactive"})
    assert patched.status == 200, patched.text

    clock.advance(13.0)
    got = await public(http, emu, "GET", f"/jobs/{job_id}")

    assert got.json["status"] == "cancelled"


test_the_public_api_shows_a_job_cut_short_by_a_disabled_connection_cancelled.__doc__ += (
    _DISABLED_SOURCES
)
