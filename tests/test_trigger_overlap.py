"""
Two triggers of one connection at once on head's public API: the second starts no sync.

Head's public ``POST /jobs`` answers once a new job exists. A trigger that meets the
connection's job not running yet (pending, queued) cannot make one: its signal reaches a
workflow past its wait, and is dropped when that run ends. It waits a minute for some newer
job, then fails: ``TemporalClient.startNewManualSyncAndWaitForJobId`` returns ``ErrorCode.UNKNOWN``
("Timed out waiting for a sync job to be created"), ``SchedulerHandler.readJobFromResult``
raises an ``IllegalStateException``, and ``ConfigClientErrorHandler.handleError`` makes of it a
409 ``state-conflict`` saying "Could not fulfill request" (airbytehq/airbyte-platform
``airbyte-commons-temporal/.../TemporalClient.kt`` at ``3fc02fdc``,
``airbyte-server/.../publicapi/errorHandlers/ConfigClientErrorHandler.kt`` at ``f6786d4b``).

The client treats such a trigger as the Config API's 409 "already running": it names the job
that was there when the trigger was sent (SyncAlreadyRunningError), so a batch attaches to it
(or skips it), and never sends the trigger again, which would start a second sync once that job
ended. It does not wait the minute out when a look shows that job there before the trigger.

The emulator's clock is moved by hand (ManualClock); the client keeps real time.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import AsyncExitStack
from typing import Any

import anyio
import pytest
from client_support import started, until
from emulator_support import triggers_now

from airbyte_async import AirbyteClient
from airbyte_async.errors import SyncAlreadyRunningError
from airbyte_async.orchestrator import Orchestrator, Outcome, SyncResult
from airbyte_async.testing import Emulator, ManualClock

pytestmark = pytest.mark.anyio

Start = Callable[..., Awaitable[tuple[Emulator, AirbyteClient]]]


@pytest.fixture
async def start() -> AsyncIterator[Start]:
    """Starts an emulator with the given options and a client on it; both stop at teardown."""
    async with AsyncExitStack() as stack:

        async def start(*, api: str = "public", **options: Any) -> tuple[Emulator, AirbyteClient]:
            return await started(stack, api=api, **options)

        yield start


async def _pending_job(emu: Emulator, client: AirbyteClient, clock: ManualClock) -> int:
    """A sync of the emulator's connection through *client*, pending, ten seconds old by the
    server's clock (which *client* has read since); its job id."""
    cid = emu.connection_ids[0]
    job = await client.connections.sync(connection_id=cid)
    clock.advance(10)
    await client.connections.get(connection_id=cid)  # a Date since the clock moved
    assert emu.job_status(job.id) == "pending"
    return job.id


async def test_a_sync_that_meets_a_pending_job_raises_already_running_within_seconds(
    start: Start,
) -> None:
    """
    A second ``connections.sync`` on head's public API while the connection's job is pending
    raises SyncAlreadyRunningError naming that job within seconds (not after the server's
    minute), and starts no job.
    """
    clock = ManualClock()
    emu, client = await start(connections=1, clock=clock, pending_duration=30)
    cid = emu.connection_ids[0]
    theirs = await _pending_job(emu, client, clock)

    with anyio.fail_after(15), pytest.raises(SyncAlreadyRunningError) as raised:
        await client.connections.sync(connection_id=cid)
    assert raised.value.job is not None and raised.value.job.id == theirs
    assert emu.stats().jobs_by_connection == {cid: [theirs]}


def _orchestrator(client: AirbyteClient, **options: Any) -> Orchestrator:
    options.setdefault("poll_interval", 0.02)
    options.setdefault("max_poll_interval", 0.05)
    return Orchestrator(client, **options)


@pytest.mark.parametrize(
    ("on_running", "outcome"), [("attach", Outcome.SUCCEEDED), ("skip", Outcome.ALREADY_RUNNING)]
)
async def test_two_batches_of_one_connection_at_once_start_one_sync(
    start: Start, on_running: str, outcome: Outcome
) -> None:
    """
    Two batches of the same connection at once on head's public API: the second one's trigger
    meets the first one's pending job and is answered 409 a minute later, once that job ran and
    ended; with on_running attach it follows that job (skip: reports it already running), and
    the connection synced once.
    """
    clock = ManualClock()
    emu, client = await start(connections=1, clock=clock, pending_duration=30)
    cid = emu.connection_ids[0]
    emu.set_sync_plan(cid, duration=1)
    first: list[SyncResult] = []
    second: list[SyncResult] = []

    async def run(into: list[SyncResult], **options: Any) -> None:
        into.extend(await _orchestrator(client, **options).run([cid]))

    with anyio.fail_after(20):
        async with anyio.create_task_group() as tg:
            tg.start_soon(run, first)
            await until(lambda: cid in emu.stats().jobs_by_connection)
            clock.advance(10)
            await client.connections.get(connection_id=cid)
            tg.start_soon(lambda: run(second, on_running=on_running))
            await triggers_now(emu, 1)
            await anyio.sleep(0.05)  # on to its wait, which reads the clock
            clock.advance(60.5)  # the job runs at 30 and ends at 31; the trigger's minute ends
    [theirs] = emu.stats().jobs_by_connection[cid]
    assert [(r.outcome, r.job_id) for r in first] == [(Outcome.SUCCEEDED, theirs)]
    assert [(r.outcome, r.job_id) for r in second] == [(outcome, theirs)]
    assert emu.stats().jobs_by_connection == {cid: [theirs]}


async def test_two_syncs_of_one_connection_at_once_on_one_client_send_one_trigger(
    start: Start,
) -> None:
    """
    Two ``connections.sync`` of one connection at once on one client (head's public API, one
    scheduler thread, so that the second would meet the first one's job pending): the second
    is not sent; it waits for the first, and raises SyncAlreadyRunningError naming its job,
    within seconds rather than after the server's minute. One job, one ``POST /jobs``.
    """
    emu, client = await start(
        connections=1, trigger_latency=0.3, pending_duration=5, trigger_capacity=1
    )
    cid = emu.connection_ids[0]
    answers: list[Any] = []

    async def sync() -> None:
        try:
            answers.append(await client.connections.sync(connection_id=cid))
        except SyncAlreadyRunningError as error:
            answers.append(error)

    with anyio.fail_after(15):
        async with anyio.create_task_group() as tg:
            tg.start_soon(sync)
            tg.start_soon(sync)
    [job_id] = emu.stats().jobs_by_connection[cid]
    [refusal] = [a for a in answers if isinstance(a, SyncAlreadyRunningError)]
    assert refusal.job is not None and refusal.job.id == job_id
    assert [a.id for a in answers if not isinstance(a, SyncAlreadyRunningError)] == [job_id]
    assert emu.stats().requests_by_route["/public/v1/jobs"] == 1
