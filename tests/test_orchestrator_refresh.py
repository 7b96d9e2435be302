"""
Refreshes are syncs: a connection whose streams wait for a refresh (``connections/refresh``,
or a schema change) gets a ``refresh`` job from a plain sync trigger, and a running refresh is
the connection's sync (airbytehq/airbyte-platform ``SchedulerHandler.createJob``,
``SYNC_REPLICATION_TYPES``).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import AsyncIterator
from typing import Any

import anyio
import pytest

from airbyte_async import AirbyteClient, NoAuth, Orchestrator
from airbyte_async.models import JobType
from airbyte_async.orchestrator import OnRunning, Outcome
from airbyte_async.testing import Emulator

pytestmark = pytest.mark.anyio

_REFRESH = {"refreshMode": "Truncate"}


@pytest.fixture(params=["config", "public"])
async def served(request: pytest.FixtureRequest) -> AsyncIterator[tuple[Emulator, AirbyteClient]]:
    """A head emulator with two connections, and a client on the API the test is run for."""
    async with (
        Emulator(airbyte_version="head", connections=2, trigger_latency=0.05) as emu,
        AirbyteClient(emu.url, auth=NoAuth(), env={}, api=request.param) as client,
    ):
        yield emu, client


async def _refresh(emu: Emulator, connection_id: str) -> dict[str, Any]:
    """``connections/refresh`` of *connection_id* through the Config API: its answer."""
    async with AirbyteClient(emu.url, auth=NoAuth(), env={}, api="config") as config:
        answer: dict[str, Any] = await config.request(
            "connections/refresh", {"connectionId": connection_id, **_REFRESH}
        )
        return answer


async def _sync_all(client: AirbyteClient, emu: Emulator, **options: Any) -> list[Any]:
    orchestrator = Orchestrator(client, poll_interval=0.02, max_poll_interval=0.05, **options)
    with anyio.fail_after(30):
        return await orchestrator.run(emu.connection_ids)


async def test_a_trigger_whose_job_is_a_refresh_takes_it_for_its_sync(
    served: tuple[Emulator, AirbyteClient],
) -> None:
    """The connection's streams wait for a refresh (asked while a sync ran): the batch's
    trigger gets a ``refresh`` job, which is its sync, watched to its end; one job each."""
    emu, client = served
    waiting = emu.connection_ids[0]
    emu.set_sync_plan(waiting, duration=0.2)
    async with AirbyteClient(emu.url, auth=NoAuth(), env={}, api="config") as config:
        running = await config.connections.sync(connection_id=waiting)
        assert await _refresh(emu, waiting) == {}
        with anyio.fail_after(10):
            await config.jobs.wait(job_id=running.id, poll_interval=0.02)
    await anyio.sleep(emu.wrap_up)
    emu.reset_stats()

    results = await _sync_all(client, emu)

    refreshed = next(r for r in results if r.connection_id == waiting)
    assert [r.outcome for r in results] == [Outcome.SUCCEEDED] * 2
    assert refreshed.job_id is not None and not refreshed.attached
    async with AirbyteClient(emu.url, auth=NoAuth(), env={}, api="config") as config:
        job = await config.jobs.get_light(job_id=refreshed.job_id)
    assert job.job_type is JobType.REFRESH
    assert emu.stats().jobs_created == 2


async def test_a_running_refresh_is_attached_to_as_the_connections_sync(
    served: tuple[Emulator, AirbyteClient],
) -> None:
    """A refresh runs when the batch starts (Airbyte refuses a sync meanwhile, 409): with
    ``on_running=attach`` the batch follows it as the connection's sync, and starts none."""
    emu, client = served
    busy = emu.connection_ids[0]
    emu.set_sync_plan(busy, duration=1.0)
    started = await _refresh(emu, busy)
    emu.reset_stats()

    results = await _sync_all(client, emu, on_running=OnRunning.ATTACH)

    attached = next(r for r in results if r.connection_id == busy)
    assert (attached.outcome, attached.job_id) == (Outcome.SUCCEEDED, started["job"]["id"])
    assert attached.attached
    assert emu.stats().jobs_created == 1


@pytest.mark.parametrize("version", ["1.7", "2.0"])
async def test_a_running_refresh_is_attached_to_through_a_public_api_that_lists_it_apart(
    version: str,
) -> None:
    """Before head, the public ``GET /jobs`` without ``jobType`` lists syncs and resets alone
    (``JobService.getJobConfigTypes``, airbytehq/airbyte-platform ``4ab2909f``): a refresh
    that runs when the batch starts is still found, and followed as the connection's sync,
    not reported as an error for the 409."""
    async with (
        Emulator(airbyte_version=version, connections=1, trigger_latency=0.05) as emu,
        AirbyteClient(emu.url, auth=NoAuth(), env={}, api="public") as client,
    ):
        (busy,) = emu.connection_ids
        emu.set_sync_plan(busy, duration=1.0)
        started = await _refresh(emu, busy)
        emu.reset_stats()

        [attached] = await _sync_all(client, emu, on_running=OnRunning.ATTACH)

    assert (attached.outcome, attached.job_id) == (Outcome.SUCCEEDED, started["job"]["id"])
    assert attached.attached
    assert emu.stats().jobs_created == 0


@pytest.mark.parametrize("version", ["2.0", "head"])
async def test_a_lost_public_sync_answer_whose_job_is_a_refresh_finds_that_refresh(
    version: str,
) -> None:
    """The connection's streams wait for a refresh, so the public sync trigger's job is a
    refresh; its answer is lost after the server acted: the look finds that refresh (listed
    apart before head, ``JobService.getJobConfigTypes`` at ``4ab2909f``) and returns it, the
    trigger sent once, one job."""
    async with Emulator(airbyte_version=version, connections=1, trigger_latency=0.05) as emu:
        (cid,) = emu.connection_ids
        emu.set_sync_plan(cid, duration=0.2)
        async with AirbyteClient(emu.url, auth=NoAuth(), env={}, api="config") as config:
            running = await config.connections.sync(connection_id=cid)
            assert await _refresh(emu, cid) == {}
            with anyio.fail_after(10):
                await config.jobs.wait(job_id=running.id, poll_interval=0.02)
        await anyio.sleep(emu.wrap_up)
        emu.set_sync_plan(cid, duration=30.0)
        lost = {"kind": "reset_after", "route": "/public/v1/jobs", "method": "POST", "times": 1}
        emu.set_faults([lost])
        async with AirbyteClient(emu.url, auth=NoAuth(), env={}, api="public") as client:
            job = await client.connections.sync(connection_id=cid)

        assert job.job_type is JobType.REFRESH
        assert emu.stats().jobs_by_connection[cid] == [running.id, job.id]


@pytest.mark.parametrize("version", ["2.0", "head"])
async def test_a_previous_trys_refresh_that_succeeded_is_adopted_through_the_public_api(
    version: str,
) -> None:
    """A retry's look for the syncs to adopt (``adopt_since``) finds the first try's refresh,
    its sync, which the public ``GET /jobs`` of 2.0 lists only when asked for by type
    (``JobService.getJobConfigTypes`` at ``4ab2909f``): reported as it ended, not run again."""
    async with Emulator(airbyte_version=version, connections=1, trigger_latency=0.05) as emu:
        (cid,) = emu.connection_ids
        emu.set_sync_plan(cid, duration=0.0)
        since = dt.datetime.now(dt.UTC)
        refreshed = (await _refresh(emu, cid))["job"]["id"]
        async with AirbyteClient(emu.url, auth=NoAuth(), env={}, api="public") as client:
            with anyio.fail_after(10):
                await client.jobs.wait(job_id=refreshed, poll_interval=0.02)
            orchestrator = Orchestrator(client, poll_interval=0.02, max_poll_interval=0.05)
            with anyio.fail_after(30):
                [result] = await orchestrator.run([cid], adopt_since=since)

        assert (result.job_id, result.outcome, result.adopted) == (
            refreshed,
            Outcome.SUCCEEDED,
            True,
        )
        assert emu.stats().jobs_by_connection[cid] == [refreshed]
