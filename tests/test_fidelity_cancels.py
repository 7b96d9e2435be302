"""
Fidelity: a cancel takes time, on both APIs, and the public trigger does not wait for its job
to run (API-FACTS 6.3 and 6.3b).

``SchedulerHandler.cancelJob`` signals the connection's workflow, then waits while the workflow
still reports running (``TemporalClient.startNewCancellation``: ``Thread.sleep`` of
``DELAY_BETWEEN_QUERY_MS`` while ``isWorkflowStateRunning``) before it reads the requested job
again. The public ``DELETE /jobs/{jobId}`` goes through the same call (``JobService.cancelJob``).
The tests move a :class:`ManualClock` by hand, so none of them measures time.
"""

from __future__ import annotations

import argparse
from collections.abc import Awaitable, Callable
from functools import partial

import aiohttp
import anyio
import emulator_support
import pytest
from emulator_support import Answer, call, cancels_held, public, sync, triggers_held, waiting_job

from airbyte_async.cli._parser import add_emulator_arguments
from airbyte_async.testing import Emulator, ManualClock, pytest_plugin
from airbyte_async.testing._cli import _emulator

pytestmark = pytest.mark.anyio

airbyte_emulator_factory = pytest_plugin.airbyte_emulator_factory
Factory = pytest_plugin.EmulatorFactory
http = emulator_support.http


async def while_waiting(
    emu: Emulator,
    send: Callable[[], Awaitable[Answer]],
    during: Callable[[], Awaitable[None]],
    held: Callable[[Emulator, int], Awaitable[None]] = cancels_held,
    advance: float | None = None,
) -> Answer:
    """
    Send a cancel (or what else *held* waits for the emulator to hold) with *send*; once the
    emulator holds it, run *during* (it has not answered yet), then move the clock past the
    cancel latency (or *advance* seconds); its answer.
    """
    clock = emu.clock
    assert isinstance(clock, ManualClock)
    answers: list[Answer] = []

    async def cancel() -> None:
        answers.append(await send())

    async with anyio.create_task_group() as tg:
        tg.start_soon(cancel)
        await held(emu, 1)
        await during()
        assert answers == []
        clock.advance(emu.cancel_latency if advance is None else advance)
    return answers[0]


async def running_job(http: aiohttp.ClientSession, emu: Emulator) -> tuple[str, int]:
    """A connection of *emu* and the id of its running 60 s job."""
    cid = emu.connection_ids[0]
    emu.set_sync_plan(cid, duration=60)
    return cid, (await sync(http, emu, cid))["job"]["id"]


@pytest.mark.parametrize("version", ["0.40", "0.50", "1.7", "2.0", "head"])
async def test_a_cancel_answers_once_its_job_stopped_and_the_job_runs_until_then(
    airbyte_emulator_factory: Factory, http: aiohttp.ClientSession, version: str
) -> None:
    """
    jobs/cancel answers only once the workflow stops running, with the job cancelled; while it
    waits, the job still reads running and a trigger meets the running workflow: 409 (API-FACTS
    6.3b, ``TemporalClient.startNewCancellation`` loops while ``isWorkflowStateRunning``; 6.3).
    """
    emu = await airbyte_emulator_factory(
        airbyte_version=version, connections=1, clock=ManualClock(), cancel_latency=0.2
    )
    cid, job_id = await running_job(http, emu)

    async def during() -> None:
        read = await call(http, emu, "jobs/get", {"id": job_id})
        assert read.json["job"]["status"] == "running"
        again = await call(http, emu, "connections/sync", {"connectionId": cid})
        assert again.status == 409

    answer = await while_waiting(
        emu, lambda: call(http, emu, "jobs/cancel", {"id": job_id}), during
    )
    assert answer.status == 200
    assert answer.json["job"]["status"] == "cancelled"
    assert emu.job_status(job_id) == "cancelled"


async def test_a_job_that_ends_while_its_cancel_waits_keeps_its_outcome(
    airbyte_emulator_factory: Factory, http: aiohttp.ClientSession
) -> None:
    """
    A job that ends on its own before the cancel stops it is not cancelled: the answer (the
    job re-read once the workflow stopped running) carries its real status (API-FACTS 6.3b).
    """
    clock = ManualClock()
    emu = await airbyte_emulator_factory(connections=1, clock=clock, cancel_latency=0.2)
    cid = emu.connection_ids[0]
    emu.set_sync_plan(cid, duration=0.1, outcome="failed")
    job_id = (await sync(http, emu, cid))["job"]["id"]

    async def during() -> None:
        pass

    answer = await while_waiting(
        emu, lambda: call(http, emu, "jobs/cancel", {"id": job_id}), during
    )
    assert answer.json["job"]["status"] == "failed"
    assert emu.job_status(job_id) == "failed"


async def test_a_second_cancel_waits_for_the_first_ones_stop(
    airbyte_emulator_factory: Factory, http: aiohttp.ClientSession
) -> None:
    """
    A cancel sent while another one waits does not push the stop back: both answer once the
    workflow stopped, with the job cancelled (API-FACTS 6.3b: each call waits while the
    workflow still runs).
    """
    clock = ManualClock()
    emu = await airbyte_emulator_factory(connections=1, clock=clock, cancel_latency=0.2)
    _, job_id = await running_job(http, emu)
    answers: list[Answer] = []

    async def cancel() -> None:
        answers.append(await call(http, emu, "jobs/cancel", {"id": job_id}))

    async with anyio.create_task_group() as tg:
        tg.start_soon(cancel)
        await cancels_held(emu, 1)
        clock.advance(0.1)
        tg.start_soon(cancel)
        await cancels_held(emu, 2)
        assert answers == []
        # Past the first cancel's stop (0.2 s), short of a stop the second would set (0.3 s).
        clock.advance(0.15)
    assert [a.json["job"]["status"] for a in answers] == ["cancelled", "cancelled"]


async def test_the_public_cancel_takes_the_same_wait(
    airbyte_emulator_factory: Factory, http: aiohttp.ClientSession
) -> None:
    """
    ``DELETE /jobs/{jobId}`` goes through the same cancellation (``JobService.cancelJob`` calls
    ``SchedulerHandler.cancelJob``; API-FACTS 6.3b, 7): it answers once the job stopped, and
    the job reads running until then.
    """
    emu = await airbyte_emulator_factory(
        airbyte_version="head", connections=1, clock=ManualClock(), cancel_latency=0.2
    )
    _, job_id = await running_job(http, emu)

    async def during() -> None:
        read = await public(http, emu, "GET", f"/jobs/{job_id}")
        assert read.json["status"] == "running"

    answer = await while_waiting(
        emu, lambda: public(http, emu, "DELETE", f"/jobs/{job_id}"), during
    )
    assert answer.status == 200
    assert answer.json["status"] == "cancelled"


async def test_the_public_trigger_answers_once_the_job_exists(
    airbyte_emulator_factory: Factory, http: aiohttp.ClientSession
) -> None:
    """
    ``POST /jobs`` (sync) answers as soon as the job exists, pending, without waiting for it
    to run: the public API passes ``returnAfterJobId = true`` and
    ``TemporalClient.startNewManualSyncAndWaitForJobId`` returns once the workflow exposes the
    new job id (API-FACTS 6.3, last point), which it creates some activities after the signal
    (``ConnectionManagerWorkflowImpl``): half the trigger latency here, the other half before
    the job runs.
    """
    clock = ManualClock()
    emu = await airbyte_emulator_factory(
        airbyte_version="head", connections=1, clock=clock, trigger_latency=0.2
    )
    body = {"jobType": "sync", "connectionId": emu.connection_ids[0]}

    async def no_job_yet() -> None:
        clock.advance(0.09)
        await anyio.sleep(0.05)
        assert emu.stats().jobs_created == 0

    answer = await while_waiting(
        emu,
        lambda: public(http, emu, "POST", "/jobs", body),
        no_job_yet,
        held=triggers_held,
        advance=0.02,
    )
    assert answer.status == 200
    assert answer.json["status"] == "pending"
    assert emu.job_status(answer.json["jobId"]) == "pending"


def test_the_emulator_defaults_to_a_quiet_servers_cancel_latency() -> None:
    """
    Out of the box a cancel takes 0.2 s to stop its job, like a trigger to start one on a
    quiet server (API-FACTS 6.3b); ``--cancel-latency`` sets it.
    """
    assert Emulator().cancel_latency == 0.2
    parser = argparse.ArgumentParser()
    add_emulator_arguments(parser)
    assert _emulator(parser.parse_args([])).cancel_latency == 0.2
    assert _emulator(parser.parse_args(["--cancel-latency", "1.5"])).cancel_latency == 1.5
    with pytest.raises(ValueError, match="cancel_latency"):
        Emulator(cancel_latency=-1)


async def test_cancels_share_the_schedulers_capacity_with_triggers(
    airbyte_emulator_factory: Factory, http: aiohttp.ClientSession
) -> None:
    """
    With the load model's capacity, a cancel held beside others takes longer, as triggers do:
    airbyte-server runs ``connections/sync`` and ``jobs/cancel`` on one scheduler executor
    (``@ExecuteOn(AirbyteTaskExecutors.SCHEDULER)``, 25 threads by default; API-FACTS 6.3b).
    Two cancels past a capacity of one: the first stops its job after 0.2 s, the second after
    0.4 s.
    """
    clock = ManualClock()
    emu = await airbyte_emulator_factory(
        connections=2, clock=clock, cancel_latency=0.2, trigger_capacity=1, sync_duration=(60, 60)
    )
    jobs = [(await sync(http, emu, cid))["job"]["id"] for cid in emu.connection_ids]
    answered: list[int] = []
    first = anyio.Event()

    async def cancel(job_id: int) -> None:
        await call(http, emu, "jobs/cancel", {"id": job_id})
        answered.append(job_id)
        first.set()

    async with anyio.create_task_group() as tg:
        tg.start_soon(cancel, jobs[0])
        await cancels_held(emu, 1)
        tg.start_soon(cancel, jobs[1])
        await cancels_held(emu, 2)
        clock.advance(0.25)
        with anyio.fail_after(5):
            await first.wait()
        assert answered == [jobs[0]]
        assert emu.job_status(jobs[1]) == "running"
        clock.advance(0.2)
    assert answered == jobs
    assert [emu.job_status(j) for j in jobs] == ["cancelled", "cancelled"]


async def reset_while_running(
    emu: Emulator, send: Callable[[], Awaitable[Answer]], sync_id: int
) -> Answer:
    """
    Send a reset with *send* while job *sync_id* runs; check that it has not answered and the
    sync still runs until the cancel latency has passed; the reset's answer.
    """
    emu.reset_stats()

    async def during() -> None:
        assert emu.job_status(sync_id) == "running"

    answer = await while_waiting(emu, send, during, held=triggers_held)
    assert emu.job_status(sync_id) == "cancelled"
    return answer


@pytest.mark.parametrize("version", ["0.40", "0.50", "1.7", "2.0", "head"])
async def test_a_reset_while_a_sync_runs_cancels_the_sync_and_answers_once_it_stopped(
    airbyte_emulator_factory: Factory, http: aiohttp.ClientSession, version: str
) -> None:
    """
    connections/reset checks for no running job, unlike a sync (no 409): the workflow's
    ``resetConnection`` signal cancels the job that runs (``ConnectionManagerWorkflowImpl``:
    ``setCancelledForReset(true)``, ``cancellableSyncWorkflow.cancel()``), and
    ``TemporalClient.resetConnection`` answers once the workflow's job id changed: after the
    sync stopped, with the new reset job (airbytehq/airbyte-platform; the same in the 0.x
    Java code).
    """
    emu = await airbyte_emulator_factory(
        airbyte_version=version, connections=1, clock=ManualClock(), cancel_latency=0.2
    )
    cid, sync_id = await running_job(http, emu)

    answer = await reset_while_running(
        emu, lambda: call(http, emu, "connections/reset", {"connectionId": cid}), sync_id
    )

    assert answer.status == 200
    assert answer.json["job"]["configType"] == "reset_connection"
    assert answer.json["job"]["id"] > sync_id


async def test_a_public_reset_while_a_sync_runs_cancels_the_sync_too(
    airbyte_emulator_factory: Factory, http: aiohttp.ClientSession
) -> None:
    """``POST /jobs`` with jobType reset goes through the same reset (``JobService``)."""
    emu = await airbyte_emulator_factory(
        airbyte_version="head", connections=1, clock=ManualClock(), cancel_latency=0.2
    )
    cid, sync_id = await running_job(http, emu)
    body = {"jobType": "reset", "connectionId": cid}

    answer = await reset_while_running(
        emu, lambda: public(http, emu, "POST", "/jobs", body), sync_id
    )

    assert answer.status == 200
    assert answer.json["jobType"] == "reset"
    assert answer.json["jobId"] > sync_id


@pytest.mark.parametrize("version", ["0.50", "1.7", "2.0", "head"])
async def test_a_reset_of_a_deleted_connection_is_a_500(
    airbyte_emulator_factory: Factory, http: aiohttp.ClientSession, version: str
) -> None:
    """
    A deleted connection's workflow refuses the reset signal (``DeletedWorkflowException``),
    whose failing reason is no known conflict: ``IllegalStateException``, 500 (API-FACTS 6.3,
    ``SchedulerHandler.readJobFromResult``).
    """
    emu = await airbyte_emulator_factory(airbyte_version=version, connections=1)
    cid = emu.connection_ids[0]
    await call(http, emu, "connections/delete", {"connectionId": cid})

    answer = await call(http, emu, "connections/reset", {"connectionId": cid})

    assert answer.status == 500
    assert emu.stats().jobs_created == 0


# -- a cancel is heard only while an attempt runs ----------------------------------------------

_NOT_RUNNING = """
    The workflow ignores the cancel signal while it does not report running
    (airbytehq/airbyte-platform ``ConnectionManagerWorkflowImpl.cancelJob``: ``if
    (!workflowState.isRunning) { "Can't cancel a non-running sync" ; return }``), and it reports
    running only from ``reportJobStarting``, after ``getOrCreateJobId`` and ``createAttempt``,
    until the run continues as new (a fresh ``WorkflowState``), which it does after each job
    and after each failed attempt (from 0.50 on, a run that continues from a failure reports
    running again from its start: see the tests below). ``startNewCancellation`` then finds
    the workflow not running, and ``submitCancellationToWorker`` answers 200 with the job
    re-read (API-FACTS 6.3b). Head's job that waits for data-worker capacity is the exception
    (``test_a_cancel_of_a_job_waiting_for_capacity_cancels_it_before_it_runs``); a head job
    that does not queue (its capacity not enforced) has no such wait.
"""


@pytest.mark.parametrize(("after", "status"), [(0.0, "pending"), (20.0, "queued")])
async def test_a_cancel_of_a_job_waiting_for_capacity_cancels_it_before_it_runs(
    airbyte_emulator_factory: Factory, http: aiohttp.ClientSession, after: float, status: str
) -> None:
    """
    On head, jobs/cancel of a job created but waiting for data-worker capacity (pending while
    the first capacity check runs, then queued) answers 200 at once with the job as it is,
    and the job is cancelled moments later without an attempt: it never runs. The workflow
    does not report running, but ``cancelJob`` records the cancel when
    ``isWaitingForCapacity()`` (done waiting, a job, no attempt yet), and the capacity wait
    (``waitForCapacityIfNeeded``: ``throwIfCapacityWaitInterrupted`` after each capacity
    check, ``Workflow.await`` woken by the flag) cancels the job before any attempt
    (``cancelJobBeforeAttempt``: "Job cancelled: cancellation requested while waiting for
    Data Worker capacity"), in airbytehq/airbyte-platform ``ConnectionManagerWorkflowImpl.kt``
    at ``727e1210`` (2026). ``startNewCancellation`` waits only while the workflow runs.
    """
    clock = ManualClock()
    emu = await airbyte_emulator_factory(
        airbyte_version="head",
        connections=1,
        clock=clock,
        pending_duration=30,
        cancel_latency=0.2,
    )
    cid = emu.connection_ids[0]
    emu.set_sync_plan(cid, duration=5, outcome="succeeded")
    job_id = await waiting_job(http, emu, cid)
    clock.advance(after)

    with anyio.fail_after(5):
        answer = await call(http, emu, "jobs/cancel", {"id": job_id})

    assert (answer.status, answer.json["job"]["status"]) == (200, status)
    clock.advance(0.2)
    assert emu.job_status(job_id) == "cancelled"
    clock.advance(60)
    read = (await call(http, emu, "jobs/get", {"id": job_id})).json
    assert (read["job"]["status"], read["attempts"]) == ("cancelled", [])


async def test_a_public_cancel_of_a_job_not_yet_running_is_ignored_too(
    airbyte_emulator_factory: Factory, http: aiohttp.ClientSession
) -> None:
    """
    ``DELETE /jobs/{jobId}`` right after ``POST /jobs`` answered (the job pending: head's
    public trigger answers once the job exists) leaves the job be: it runs once its trigger
    latency has passed (``JobService.cancelJob`` is the Config API's cancel).
    """
    clock = ManualClock()
    emu = await airbyte_emulator_factory(
        airbyte_version="head", connections=1, clock=clock, trigger_latency=0.2
    )
    cid = emu.connection_ids[0]
    emu.set_sync_plan(cid, duration=5)
    body = {"jobType": "sync", "connectionId": cid}
    answers: list[Answer] = []

    async def trigger() -> None:
        answers.append(await public(http, emu, "POST", "/jobs", body))

    async with anyio.create_task_group() as tg:
        tg.start_soon(trigger)
        await triggers_held(emu, 1)
        clock.advance(0.1)
    job_id = answers[0].json["jobId"]
    assert answers[0].json["status"] == "pending"

    answer = await public(http, emu, "DELETE", f"/jobs/{job_id}")

    assert (answer.status, answer.json["status"]) == (200, "pending")
    clock.advance(0.1)
    assert emu.job_status(job_id) == "running"


test_a_public_cancel_of_a_job_not_yet_running_is_ignored_too.__doc__ += _NOT_RUNNING


async def test_a_cancel_as_a_job_starts_running_is_ignored(
    airbyte_emulator_factory: Factory, http: aiohttp.ClientSession
) -> None:
    """
    A job reads running once ``createAttempt`` made its attempt, but its workflow reports
    running only after the ``reportJobStart`` activity that follows (``reportJobStarting`` sets
    ``isRunning`` last): jobs/cancel in between answers at once with the job running, and the
    job runs on; one sent once the workflow reports running stops it.
    """
    clock = ManualClock()
    emu = await airbyte_emulator_factory(
        connections=1, clock=clock, trigger_latency=1.0, start_lag=0.5
    )
    cid = emu.connection_ids[0]
    emu.set_sync_plan(cid, duration=60)
    ignored: list[Answer] = []

    async def cancel_once_it_reads_running() -> None:
        clock.advance(0.6)
        listed = await call(http, emu, "jobs/list", {"configTypes": ["sync"], "configId": cid})
        assert listed.json["jobs"][0]["job"]["status"] == "running"
        job_id = listed.json["jobs"][0]["job"]["id"]
        ignored.append(await call(http, emu, "jobs/cancel", {"id": job_id}))

    trigger = partial(call, http, emu, "connections/sync", {"connectionId": cid})
    answer = await while_waiting(
        emu, trigger, cancel_once_it_reads_running, held=triggers_held, advance=0.4
    )
    job_id = answer.json["job"]["id"]
    assert (ignored[0].status, ignored[0].json["job"]["status"]) == (200, "running")
    assert (answer.json["job"]["status"], emu.job_status(job_id)) == ("running", "running")

    heard = await while_waiting(
        emu, lambda: call(http, emu, "jobs/cancel", {"id": job_id}), _nothing
    )
    assert heard.json["job"]["status"] == "cancelled"


async def _nothing() -> None:
    pass


test_a_cancel_as_a_job_starts_running_is_ignored.__doc__ += _NOT_RUNNING


async def test_a_cancel_between_two_attempts_is_ignored_on_040(
    airbyte_emulator_factory: Factory, http: aiohttp.ClientSession
) -> None:
    """
    On 0.40, jobs/cancel in the moment a job is ``incomplete`` after a failed attempt answers
    at once with it incomplete, and its next attempt runs all the same: that workflow reports
    running only from ``reportJobStarting``, and a run that continues from a failure starts
    afresh (airbytehq/airbyte ``ConnectionManagerWorkflowImpl.java`` of late 2022: no
    ``setRunning`` before the next attempt, whose ``Workflow.await`` returns at once when
    ``isFromFailure``: no backoff, the job incomplete only while the next attempt is made).
    """
    clock = ManualClock()
    emu = await airbyte_emulator_factory(
        airbyte_version="0.40", connections=1, clock=clock, attempts=2, failure_rate=1.0
    )
    cid = emu.connection_ids[0]
    emu.set_sync_plan(cid, duration=1)
    job_id = (await sync(http, emu, cid))["job"]["id"]
    clock.advance(1)
    assert emu.job_status(job_id) == "incomplete"

    answer = await call(http, emu, "jobs/cancel", {"id": job_id})

    assert (answer.status, answer.json["job"]["status"]) == (200, "incomplete")
    clock.advance(0.5)
    assert emu.job_status(job_id) == "running"


test_a_cancel_between_two_attempts_is_ignored_on_040.__doc__ += _NOT_RUNNING


@pytest.mark.parametrize("version", ["0.50", "1.7", "2.0", "head"])
async def test_a_cancel_between_two_attempts_stops_the_job(
    airbyte_emulator_factory: Factory, http: aiohttp.ClientSession, version: str
) -> None:
    """
    From 0.50 on, jobs/cancel while a job waits out the backoff after a failed attempt
    (``incomplete``) cancels it: no further attempt runs. The run that continues from a
    failure reports running from its start, before the backoff
    (airbytehq/airbyte-platform ``ConnectionManagerWorkflowImpl.initializeWorkflowStateFromInput``:
    "if our previous attempt was a failure, we are still in a run", ``if (input.fromFailure)
    workflowState.isRunning = true``; the fix of airbytehq/airbyte#28536, "Attempts in Backoff
    can be canceled", 2023-07), so ``cancelJob`` sets ``isCancelled`` and cancels the scope
    whose ``Workflow.await`` holds the backoff, and ``reportCancelledAndContinueWith`` marks
    the job cancelled. ``startNewCancellation`` answers once the workflow no longer runs.
    """
    clock = ManualClock()
    emu = await airbyte_emulator_factory(
        airbyte_version=version,
        connections=1,
        clock=clock,
        attempts=2,
        retry_backoff=10,
        failure_rate=1.0,
    )
    cid = emu.connection_ids[0]
    emu.set_sync_plan(cid, duration=1)
    info = await sync(http, emu, cid)
    job_id = info["job"]["id"]
    clock.advance(2)
    assert emu.job_status(job_id) == "incomplete"

    answer = await call(http, emu, "jobs/cancel", {"id": job_id})

    assert (answer.status, answer.json["job"]["status"]) == (200, "cancelled")
    clock.advance(9)
    assert emu.job_status(job_id) == "cancelled"
