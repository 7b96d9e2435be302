"""
``connections.refresh``: a refresh started at most once, on the servers that have one.

Airbyte's ``connections/refresh`` (0.63 on) marks the streams to refresh, then starts a sync,
whose job is a ``refresh``; while a job runs that start fails unsaid and the answer names no job
(airbytehq/airbyte-platform ``ConnectionApiController.refreshConnectionStream``,
``StreamRefreshesHandler.createRefreshesForConnection``). The public API refuses refreshes
(``JobsController.publicCreateJob``: 422 "Refreshes are not supported in the public API").
"""

from __future__ import annotations

from typing import Any

import anyio
import pytest
from client_support import client_for, requests_to

from airbyte_async.errors import InvalidArgumentError, UnsupportedOperationError
from airbyte_async.models import JobType, RefreshMode, StreamDescriptor
from airbyte_async.testing import pytest_plugin

airbyte_emulator_factory = pytest_plugin.airbyte_emulator_factory
Factory = pytest_plugin.EmulatorFactory

pytestmark = pytest.mark.anyio

REFRESH = "connections/refresh"


@pytest.mark.parametrize("version", ["1.7", "head"])
async def test_a_refresh_returns_its_refresh_job(
    airbyte_emulator_factory: Factory, version: str
) -> None:
    """The answer's job, a ``refresh``, is returned; the body (mode, named streams) is one the
    server's spec takes."""
    emu = await airbyte_emulator_factory(airbyte_version=version, connections=1)
    (cid,) = emu.connection_ids
    streams = ["users", StreamDescriptor(name="orders", namespace="shop")]
    async with client_for(emu) as client:
        job = await client.connections.refresh(
            connection_id=cid, mode=RefreshMode.MERGE, streams=streams
        )

    assert job is not None and job.job_type is JobType.REFRESH
    assert emu.stats().jobs_by_connection[cid] == [job.id]


@pytest.mark.parametrize("lost", ["reset_after", "hang_after", "truncated_json"])
async def test_a_refresh_whose_answer_is_lost_starts_one_job(
    airbyte_emulator_factory: Factory, lost: str
) -> None:
    """The answer is lost after the server acted: the refresh's job is looked for and returned,
    and the refresh is not sent again (a second would mark the streams once more, and refresh
    them twice)."""
    fault = {"kind": lost, "route": REFRESH, "method": "POST", "times": 1}
    emu = await airbyte_emulator_factory(
        airbyte_version="head", connections=1, sync_duration=(60, 60), faults=[fault]
    )
    (cid,) = emu.connection_ids
    async with client_for(emu, timeout=2.0) as client:
        job = await client.connections.refresh(connection_id=cid)

    assert job is not None and job.job_type is JobType.REFRESH
    assert emu.stats().jobs_by_connection[cid] == [job.id]
    assert requests_to(emu, REFRESH) == 1


async def test_a_refresh_while_a_sync_runs_returns_none_and_the_next_sync_refreshes(
    airbyte_emulator_factory: Factory,
) -> None:
    """While a sync runs the answer names no job: None, nothing started; the connection's next
    job, a plain sync's, is the refresh (``SchedulerHandler.createJob``)."""
    emu = await airbyte_emulator_factory(airbyte_version="head", connections=1)
    (cid,) = emu.connection_ids
    emu.set_sync_plan(cid, duration=0.2)
    async with client_for(emu) as client:
        running = await client.connections.sync(connection_id=cid)
        refreshed = await client.connections.refresh(connection_id=cid)
        await client.jobs.wait(job_id=running.id, poll_interval=0.02)
        assert emu.stats().jobs_by_connection[cid] == [running.id]
        await anyio.sleep(emu.wrap_up)
        emu.set_sync_plan(cid, duration=30.0)
        next_job = await client.connections.sync(connection_id=cid)

    assert refreshed is None
    assert next_job.job_type is JobType.REFRESH


async def test_a_refresh_before_0_63_names_the_version_that_has_it(
    airbyte_emulator_factory: Factory,
) -> None:
    """0.50 has no ``connections/refresh`` (config-api-0.50.yaml): the error says 0.63 brought
    it (airbytehq/airbyte#38067), and nothing starts."""
    emu = await airbyte_emulator_factory(airbyte_version="0.50", connections=1)
    (cid,) = emu.connection_ids
    async with client_for(emu) as client:
        with pytest.raises(UnsupportedOperationError, match=r"serves it from 0\.63 on"):
            await client.connections.refresh(connection_id=cid)

    assert emu.stats().jobs_created == 0


async def test_a_refresh_on_the_public_api_is_refused_before_anything_is_sent(
    airbyte_emulator_factory: Factory,
) -> None:
    """The public API refuses refreshes: the client says so, and sends nothing."""
    emu = await airbyte_emulator_factory(airbyte_version="head", connections=1)
    (cid,) = emu.connection_ids
    async with client_for(emu, api="public") as client:
        with pytest.raises(UnsupportedOperationError, match="Refreshes are not supported"):
            await client.connections.refresh(connection_id=cid)

    assert sum(emu.stats().requests_by_route.values()) == 0


@pytest.mark.parametrize(
    ("given", "said"),
    [
        ({"streams": "users"}, "give \\[name\\] for one"),
        ({"streams": []}, "streams=None to refresh every stream"),
        ({"streams": [3]}, "stream names or StreamDescriptors, got 3"),
        ({"mode": "full"}, "mode must be one of truncate, merge, got 'full'"),
    ],
)
async def test_a_refresh_asked_wrongly_says_what_is_wrong_and_sends_nothing(
    airbyte_emulator_factory: Factory, given: dict[str, Any], said: str
) -> None:
    """Bad streams or mode: a typed error naming the argument, before any request (an empty
    list would reach Airbyte as every stream)."""
    emu = await airbyte_emulator_factory(airbyte_version="head", connections=1)
    (cid,) = emu.connection_ids
    async with client_for(emu) as client:
        with pytest.raises(InvalidArgumentError, match=said):
            await client.connections.refresh(connection_id=cid, **given)

    assert requests_to(emu, REFRESH) == 0
