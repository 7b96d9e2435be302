"""
A give-up's cancel that reaches Airbyte after its job ended, while the connection runs someone
else's newer sync. Airbyte's cancel names a job only to find its connection, then signals that
connection's workflow, whose ``cancelJob`` takes no job id and stops whatever it runs (API-FACTS
6.3b; airbytehq/airbyte-platform ``TemporalClient.startNewCancellation``,
airbyte-commons-temporal/.../TemporalClient.kt at 9c10a7592862647b7a55a5630fcf0bfe1895b3a7, and
``ConnectionManagerWorkflowImpl.cancelJob``, airbyte-workers/.../ConnectionManagerWorkflowImpl.kt
at 275e60712fa54c8a2a99fa25f19816cd95c90076; the public ``DELETE /jobs/{jobId}`` runs the same
code, ``JobsController.publicCancelJob`` at 08783db5acb7d5a1231b3a8fb7a148e5b629b416). Nothing in
the request binds it to the job named, so no client can rule this out; it can tell.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack
from typing import Any

import anyio
import pytest
from client_support import started, until

from airbyte_async import AirbyteClient
from airbyte_async.orchestrator import Orchestrator, Outcome
from airbyte_async.testing import Emulator, ManualClock

pytestmark = pytest.mark.anyio

#: A cancel held this long (real seconds) before the server acts on it: less than the wait
#: after which the give-up reads the job under its cancel (_giveup._CANCEL_READ_AFTER).
_HELD = 1.0
_CANCEL_ROUTE = {
    "config": {"route": "jobs/cancel"},
    "public": {"route": "/public/v1/jobs/*", "method": "DELETE"},
}


@pytest.fixture
async def stack() -> AsyncIterator[AsyncExitStack]:
    async with AsyncExitStack() as stack:
        yield stack


def _first_job_status(emu: Emulator, cid: str) -> str | None:
    jobs = emu.stats().jobs_by_connection.get(cid)
    return emu.job_status(jobs[0]) if jobs else None


async def _give_up_while_the_cancel_is_held(
    emu: Emulator, client: AirbyteClient, clock: ManualClock, api: str
) -> tuple[Orchestrator, int]:
    """
    Run a batch of *emu*'s one connection and give it up while its job runs; its cancel is held
    on its way, and meanwhile the job ends and someone else triggers a newer sync, which the
    held cancel then reaches. The orchestrator, and the newer job's id.
    """
    (cid,) = emu.connection_ids
    orchestrator = Orchestrator(client, poll_interval=0.02, max_poll_interval=0.05)
    newer: list[int] = []

    async def someone_else() -> None:
        await until(lambda: emu.stats().faults_injected == {"latency": 1})
        emu.set_sync_plan(cid, duration=600)
        clock.advance(11)  # the batch's job ends
        newer.append((await client.connections.sync(connection_id=cid)).id)

    fault: dict[str, Any] = {"kind": "latency", "delay": _HELD, "times": 1, **_CANCEL_ROUTE[api]}
    async with anyio.create_task_group() as tg:
        tg.start_soon(someone_else)
        async with anyio.create_task_group() as batch:
            batch.start_soon(orchestrator.run, [cid])
            await until(lambda: _first_job_status(emu, cid) == "running")
            emu.set_faults([fault])
            batch.cancel_scope.cancel()  # the batch is given up on
    return orchestrator, newer[0]


@pytest.mark.parametrize("api", ["config", "public"])
async def test_a_cancel_that_stopped_a_newer_job_names_it_in_the_result_and_a_warning(
    stack: AsyncExitStack, api: str, caplog: pytest.LogCaptureFixture
) -> None:
    """
    The give-up's cancel, sent while its job ran, reaches Airbyte once the job has succeeded
    and someone else's sync runs on the connection, and stops that sync: the result reports
    the job as it ended and names the job the cancel stopped, and one warning names both.
    """
    clock = ManualClock()
    emu, client = await started(stack, api=api, connections=1, clock=clock, sync_duration=(10, 10))
    with caplog.at_level(logging.WARNING, logger="airbyte_async"):
        orchestrator, newer = await _give_up_while_the_cancel_is_held(emu, client, clock, api)

    (result,) = orchestrator.results.values()
    assert emu.job_status(newer) == "cancelled"
    assert result.outcome is Outcome.SUCCEEDED and result.cancel_requested
    assert result.cancelled_other_job_id == newer
    assert result.to_json()["cancelled_other_job_id"] == newer
    [warning] = [r.getMessage() for r in caplog.records if f"job {newer}" in r.getMessage()]
    assert f"job {result.job_id}" in warning


async def test_a_cancel_after_its_job_ended_alone_names_no_other_job(
    stack: AsyncExitStack, caplog: pytest.LogCaptureFixture
) -> None:
    """
    The give-up's cancel reaches Airbyte once its job has succeeded and the connection runs
    nothing newer: the result reports the job as it ended, names no other job, and nothing
    warns of one stopped.
    """
    clock = ManualClock()
    emu, client = await started(
        stack, api="config", connections=1, clock=clock, sync_duration=(10, 10)
    )
    (cid,) = emu.connection_ids
    orchestrator = Orchestrator(client, poll_interval=0.02, max_poll_interval=0.05)

    async def its_job_ends() -> None:
        await until(lambda: emu.stats().faults_injected == {"latency": 1})
        clock.advance(11)

    fault = {"kind": "latency", "delay": _HELD, "times": 1, **_CANCEL_ROUTE["config"]}
    with caplog.at_level(logging.WARNING, logger="airbyte_async"):
        async with anyio.create_task_group() as tg:
            tg.start_soon(its_job_ends)
            async with anyio.create_task_group() as batch:
                batch.start_soon(orchestrator.run, [cid])
                await until(lambda: _first_job_status(emu, cid) == "running")
                emu.set_faults([fault])
                batch.cancel_scope.cancel()

    (result,) = orchestrator.results.values()
    assert result.outcome is Outcome.SUCCEEDED
    assert result.cancelled_other_job_id is None
    assert not [r for r in caplog.records if "stopped job" in r.getMessage()]


async def test_a_cancel_that_stopped_its_own_job_lists_no_jobs(stack: AsyncExitStack) -> None:
    """A give-up's cancel answered with its job cancelled sends no listing after it: the look
    for a job stopped instead costs a request only when the job had ended by itself."""
    emu, client = await started(
        stack, api="config", connections=1, sync_duration=(600, 600), record_requests=True
    )
    (cid,) = emu.connection_ids
    orchestrator = Orchestrator(client, poll_interval=0.02, max_poll_interval=0.05)
    async with anyio.create_task_group() as batch:
        batch.start_soon(orchestrator.run, [cid])
        await until(lambda: _first_job_status(emu, cid) == "running")
        batch.cancel_scope.cancel()

    (result,) = orchestrator.results.values()
    assert result.outcome is Outcome.CANCELLED and result.cancelled_other_job_id is None
    routes = [r.route for r in emu.requests]
    assert "/v1/jobs/list" not in routes[routes.index("/v1/jobs/cancel") :]


@pytest.mark.parametrize("api", ["config", "public"])
async def test_a_read_answered_under_a_second_late_is_read_again_before_its_cancel(
    stack: AsyncExitStack, api: str
) -> None:
    """
    The give-up's read of a running job is answered 0.7 s late (a 200 as old as its request,
    API-FACTS 6.3b), under a second: meanwhile the job ended and someone else's sync started
    on the connection. The read is too old to cancel on: the job is read again, seen ended,
    and not cancelled, and the newer sync runs on (a cancel stops whatever the connection
    runs, and a trigger's job runs within a fraction of a second).
    """
    clock = ManualClock()
    emu, client = await started(stack, api=api, connections=1, clock=clock, sync_duration=(10, 10))
    (cid,) = emu.connection_ids
    orchestrator = Orchestrator(client, poll_interval=0.02, max_poll_interval=0.05)
    newer: list[int] = []

    async def someone_else() -> None:
        await until(lambda: emu.stats().faults_injected == {"late": 1})
        emu.set_sync_plan(cid, duration=600)
        clock.advance(11)  # the batch's job ends
        newer.append((await client.connections.sync(connection_id=cid)).id)

    # A read of the one job by itself: the cleanup's, never a poll's listing.
    route = {"route": "/public/v1/jobs/*", "method": "GET"} if api == "public" else {}
    late = {"kind": "late", "route": "jobs/get*", "delay": 0.7, "times": 1, **route}
    async with anyio.create_task_group() as tg:
        tg.start_soon(someone_else)
        async with anyio.create_task_group() as batch:
            batch.start_soon(orchestrator.run, [cid])
            await until(lambda: _first_job_status(emu, cid) == "running")
            emu.set_faults([late])
            batch.cancel_scope.cancel()  # the batch is given up on

    (result,) = orchestrator.results.values()
    assert emu.job_status(newer[0]) == "running"
    assert result.outcome is Outcome.SUCCEEDED and not result.cancel_requested
