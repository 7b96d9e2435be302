"""
What a batch's results say of the jobs it cancelled on giving up, when the cancel's answer comes
late or the job ends by itself meanwhile: the status the server last gave, and, when the batch
does not know how the job ended, that it may still run.

``jobs/cancel`` (and the public ``DELETE /jobs/{jobId}``) answers only once the job stopped,
with the requested job read again; a job that ends by itself first is answered as it ended
(API-FACTS 6.3b). The emulator holds a cancel until its :class:`ManualClock` passes
``cancel_latency``, and ends a sync by itself at its ``sync_duration``, whichever comes first.
"""

from __future__ import annotations

from typing import Any

import anyio
import pytest
from client_support import until

from airbyte_async import AirbyteClient, NoAuth
from airbyte_async.models import JobStatus
from airbyte_async.orchestrator import Orchestrator, Outcome, SyncResult
from airbyte_async.testing import Emulator, ManualClock

pytestmark = pytest.mark.anyio

#: Each way a batch gives up on a running sync, and the outcome it then reports for a job it
#: did not see end: the batch's reason (``cancelled``: the batch was; SyncResult.left_running).
GIVE_UPS = {
    "timeout": Outcome.TIMED_OUT,
    "sync_timeout": Outcome.TIMED_OUT,
    "fail_fast": Outcome.CANCELLED,
    "caller": Outcome.CANCELLED,
}


async def _given_up(
    emu: Emulator, clock: ManualClock, client: AirbyteClient, how: str, **options: Any
) -> SyncResult:
    """
    Run a batch on *emu* until it gives up *how* while its sync of the first connection runs
    (the second, under fail_fast, fails after half a second); that sync's result.
    """
    deadlines = {"timeout": {"timeout": 1.0}, "sync_timeout": {"sync_timeout": 1.0}}
    orchestrator = Orchestrator(
        client,
        poll_interval=0.05,
        fail_fast=how == "fail_fast",
        **deadlines.get(how, {}),
        **options,
    )
    ids = emu.connection_ids
    if how == "fail_fast":
        emu.set_sync_plan(ids[1], duration=0.5, outcome="failed")
    scope = anyio.CancelScope()
    done = anyio.Event()

    async def run() -> None:
        with scope:
            await orchestrator.run(ids)
        done.set()

    async with anyio.create_task_group() as tg:
        tg.start_soon(run)
        await until(lambda: emu.stats().jobs_created == len(ids))
        if how == "caller":
            scope.cancel()
        elif how == "fail_fast":
            clock.advance(0.5)
        with anyio.fail_after(20):
            await done.wait()
    return orchestrator.results[ids[0]]


def _emulator(api: str, clock: ManualClock, how: str) -> Emulator:
    """Syncs of one second, cancels held two (both by *clock*), triggers answered at once."""
    return Emulator(
        airbyte_version="head" if api == "public" else "0.50",
        connections=2 if how == "fail_fast" else 1,
        clock=clock,
        trigger_latency=0.0,
        cancel_latency=2.0,
        sync_duration=(1.0, 1.0),
    )


@pytest.mark.parametrize("api", ["config", "public"])
@pytest.mark.parametrize("how", list(GIVE_UPS))
async def test_a_cancel_unanswered_when_the_grace_ends_leaves_the_job_told_as_possibly_running(
    api: str, how: str
) -> None:
    """
    Given up on (each way), a running job is cancelled, and cancel_grace ends before the
    cancel's answer: the result gives the status last read (running), says that a cancel was
    sent and not answered and that the job may still run, and its outcome is the batch's
    reason, not the job's end; the job then succeeds by itself.
    """
    clock = ManualClock()
    async with (
        _emulator(api, clock, how) as emu,
        AirbyteClient(emu.url, auth=NoAuth(), env={}, api=api) as client,
    ):
        result = await _given_up(emu, clock, client, how, cancel_grace=0.5)
        clock.advance(1.0)
        status = emu.job_status(result.job_id or 0)

    assert (result.status, result.left_running, result.cancel_requested) == (
        JobStatus.RUNNING,
        True,
        True,
    )
    assert result.outcome is GIVE_UPS[how]
    assert (result.error or "").endswith(
        f"gave up waiting for job {result.job_id}: its cancel was sent, and not answered before "
        "the cleanup ended (cancel_grace, or stopped); it may still run"
    )
    assert status == "succeeded"


@pytest.mark.parametrize("api", ["config", "public"])
@pytest.mark.parametrize("how", list(GIVE_UPS))
async def test_a_job_that_ends_by_itself_while_its_cancel_is_held_is_told_as_it_ended(
    api: str, how: str
) -> None:
    """
    Given up on (each way), a running job is cancelled, and it succeeds by itself while the
    server still holds the cancel: the cancel's answer says so, and the result is the job's
    (succeeded, not left running), with the cancel it was sent.
    """
    clock = ManualClock()
    async with (
        _emulator(api, clock, how) as emu,
        AirbyteClient(emu.url, auth=NoAuth(), env={}, api=api) as client,
    ):
        started = clock()  # the syncs start at once, and would end a second later
        async with anyio.create_task_group() as tg:

            async def end_the_sync_once_cancelled() -> None:
                await until(lambda: emu.stats().cancels_in_flight == 1)
                clock.advance(started + 1.0 - clock())

            tg.start_soon(end_the_sync_once_cancelled)
            result = await _given_up(emu, clock, client, how)

    assert (result.outcome, result.status, result.left_running, result.cancel_requested) == (
        Outcome.SUCCEEDED,
        JobStatus.SUCCEEDED,
        False,
        True,
    )
    assert emu.job_status(result.job_id or 0) == "succeeded"


@pytest.mark.parametrize("api", ["config", "public"])
async def test_a_caller_cancelling_while_a_timed_out_sync_is_cancelled_gets_its_result(
    api: str,
) -> None:
    """
    The caller cancels the batch while the cancel of a sync past its sync_timeout is held by
    the server: the batch ends in the caller's cancellation (not in an error about the
    stream the caller left), and that sync's result stands, told as the timeout's cleanup
    left it (timed out, a cancel sent, possibly still running).
    """
    clock = ManualClock()  # never moved: the cancel is never answered
    emulator = Emulator(
        airbyte_version="head" if api == "public" else "0.50",
        connections=1,
        clock=clock,
        trigger_latency=0.0,
        cancel_latency=2.0,
        sync_duration=(600, 600),
    )
    async with emulator as emu, AirbyteClient(emu.url, auth=NoAuth(), env={}, api=api) as client:
        orchestrator = Orchestrator(client, poll_interval=0.05, sync_timeout=0.3, cancel_grace=3.0)
        scope = anyio.CancelScope()

        async def run() -> None:
            with scope:
                await orchestrator.run(emu.connection_ids)

        async with anyio.create_task_group() as tg:
            tg.start_soon(run)
            await until(lambda: emu.stats().cancels_in_flight == 1)
            scope.cancel()

    assert scope.cancelled_caught
    [result] = orchestrator.results.values()
    assert (result.outcome, result.status, result.cancel_requested, result.left_running) == (
        Outcome.TIMED_OUT,
        JobStatus.RUNNING,
        True,
        True,
    )


async def test_a_sync_past_its_sync_timeout_says_why_it_was_given_up() -> None:
    """A sync past its sync_timeout, cancelled, says why it was given up, as a batch's
    timeout does (not an empty reason)."""
    emulator = Emulator(
        connections=1, trigger_latency=0.0, cancel_latency=0.0, sync_duration=(600, 600)
    )
    async with emulator as emu, AirbyteClient(emu.url, auth=NoAuth(), env={}) as client:
        orchestrator = Orchestrator(client, poll_interval=0.05, sync_timeout=0.3)
        [result] = await orchestrator.run(emu.connection_ids)

    assert (result.outcome, result.status, result.left_running) == (
        Outcome.TIMED_OUT,
        JobStatus.CANCELLED,
        False,
    )
    assert result.error == f"its sync_timeout passed: gave up waiting for job {result.job_id}"
