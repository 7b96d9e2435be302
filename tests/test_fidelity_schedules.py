"""
Fidelity: syncs that Airbyte's scheduler starts for connections on a ``basic`` schedule
(API-FACTS 5; ``ConfigFetchActivityImpl.getTimeToWait``, see ``airbyte_async.testing._schedule``).

Off unless ``Emulator(scheduler=True)``. The emulator runs on a :class:`ManualClock`: moving it
an hour produces that hour's scheduled jobs, each created at the instant it was due.
"""

from __future__ import annotations

import argparse
from typing import Any

import aiohttp
import emulator_support
import pytest
from emulator_support import call, sync

from airbyte_async.testing import Emulator, ManualClock, pytest_plugin
from airbyte_async.testing._cli import _emulator, add_arguments

pytestmark = pytest.mark.anyio

airbyte_emulator_factory = pytest_plugin.airbyte_emulator_factory
Factory = pytest_plugin.EmulatorFactory
http = emulator_support.http

HOURLY = {"basicSchedule": {"timeUnit": "hours", "units": 1}}


async def scheduled(
    http: aiohttp.ClientSession, emu: Emulator, cid: str, data: Any = HOURLY
) -> None:
    """Put connection *cid* on a basic schedule through ``connections/update``."""
    current = (await call(http, emu, "connections/get", {"connectionId": cid})).json
    body = {
        "connectionId": cid,
        "status": current["status"],
        "syncCatalog": current["syncCatalog"],
        "scheduleType": "basic",
        "scheduleData": data,
    }
    answer = await call(http, emu, "connections/update", body)
    assert answer.status == 200, answer.text


async def created(http: aiohttp.ClientSession, emu: Emulator, cid: str) -> list[int]:
    """``createdAt`` of the connection's sync jobs, oldest first, as ``jobs/list`` shows them."""
    body = {"configTypes": ["sync"], "configId": cid}
    jobs = (await call(http, emu, "jobs/list", body)).json["jobs"]
    return sorted(j["job"]["createdAt"] for j in jobs)


async def test_a_basic_schedule_starts_at_once_then_every_interval_from_the_last_start(
    airbyte_emulator_factory: Factory, http: aiohttp.ClientSession
) -> None:
    """
    A connection put on an hourly basic schedule gets a job at once (no previous replication
    job: no wait), then one an hour after the previous one started, and none in between
    (``getTimeToWait``: ``prevRunStart + getIntervalInSecond``).
    """
    clock = ManualClock(now=1_800_000_000.0)
    emu = await airbyte_emulator_factory(
        connections=2, clock=clock, scheduler=True, sync_duration=(600, 600)
    )
    cid, manual = emu.connection_ids
    await scheduled(http, emu, cid)
    assert await created(http, emu, cid) == [1_800_000_000]
    clock.advance(3_599)
    assert len(await created(http, emu, cid)) == 1
    clock.advance(1 + 2 * 3_600)
    assert await created(http, emu, cid) == [1_800_000_000 + h * 3_600 for h in range(4)]
    assert await created(http, emu, manual) == []


async def test_a_job_longer_than_the_interval_delays_the_next_one_to_its_end(
    airbyte_emulator_factory: Factory, http: aiohttp.ClientSession
) -> None:
    """
    The workflow runs one job at a time: when a job outlasts the interval, the next starts as
    it ends (``getTimeToWait`` answers ``max(0, ...)`` once the job is over).
    """
    clock = ManualClock(now=1_800_000_000.0)
    emu = await airbyte_emulator_factory(
        connections=1, clock=clock, scheduler=True, sync_duration=(5_400, 5_400)
    )
    cid = emu.connection_ids[0]
    await scheduled(http, emu, cid)
    clock.advance(3 * 3_600)
    assert await created(http, emu, cid) == [1_800_000_000, 1_800_005_400, 1_800_010_800]


async def test_a_manual_sync_moves_the_schedule_and_a_scheduled_job_blocks_a_trigger(
    airbyte_emulator_factory: Factory, http: aiohttp.ClientSession
) -> None:
    """
    The next scheduled job counts from the last replication job, a manual one included, and a
    trigger while the scheduled job runs meets the running workflow: 409 (API-FACTS 6.3).
    """
    clock = ManualClock(now=1_800_000_000.0)
    emu = await airbyte_emulator_factory(
        connections=1, clock=clock, scheduler=True, sync_duration=(600, 600)
    )
    cid = emu.connection_ids[0]
    await scheduled(http, emu, cid)
    busy = await call(http, emu, "connections/sync", {"connectionId": cid})
    assert busy.status == 409
    clock.advance(1_800)
    await sync(http, emu, cid)
    clock.advance(3_599)
    assert await created(http, emu, cid) == [1_800_000_000, 1_800_001_800]
    clock.advance(1)
    assert len(await created(http, emu, cid)) == 3


@pytest.mark.parametrize("status", ["inactive", "manual"])
async def test_inactive_and_manual_connections_get_no_scheduled_job(
    airbyte_emulator_factory: Factory, http: aiohttp.ClientSession, status: str
) -> None:
    """
    A manual connection, or an inactive one on a basic schedule, waits a hundred years
    (``getTimeToWaitFromScheduleType``).
    """
    clock = ManualClock()
    emu = await airbyte_emulator_factory(connections=1, clock=clock, scheduler=True)
    cid = emu.connection_ids[0]
    if status == "inactive":
        await scheduled(http, emu, cid)
        off = await call(
            http, emu, "connections/update", {"connectionId": cid, "status": "inactive"}
        )
        assert off.json["status"] == "inactive"
        before = len(await created(http, emu, cid))
    else:
        before = 0
    clock.advance(30 * 86_400)
    assert len(await created(http, emu, cid)) == before


async def test_the_scheduler_is_off_unless_asked_for(
    airbyte_emulator_factory: Factory, http: aiohttp.ClientSession
) -> None:
    """By default a basic schedule starts nothing: a test or benchmark sees only its own jobs."""
    clock = ManualClock()
    emu = await airbyte_emulator_factory(connections=1, clock=clock)
    await scheduled(http, emu, emu.connection_ids[0])
    clock.advance(86_400)
    assert emu.stats().jobs_created == 0
    assert Emulator().scheduler is False
    parser = argparse.ArgumentParser()
    add_arguments(parser)
    assert _emulator(parser.parse_args([])).scheduler is False
    assert _emulator(parser.parse_args(["--scheduler"])).scheduler is True
