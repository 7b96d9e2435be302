"""
Fidelity: triggers, cancels, late answers and the trigger load model (API-FACTS 6.3 and 6.3b).

Each test names the fact it proves. The emulator must be at least as slow and as strict as the
real server where a client's correctness rests on it.
"""

from __future__ import annotations

import argparse
import contextlib
import json
from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import anyio
import emulator_support
import pytest
from emulator_support import (
    Answer,
    call,
    jobs_created,
    public,
    sync,
    triggers_held,
    triggers_now,
    wait_terminal,
    waiting_job,
)

from airbyte_async.cli._parser import add_emulator_arguments
from airbyte_async.testing import Emulator, Fault, ManualClock, pytest_plugin
from airbyte_async.testing._cli import _emulator
from airbyte_async.testing._load import Overloaded, SchedulerThreads, TriggerLoad

pytestmark = pytest.mark.anyio

airbyte_emulator_factory = pytest_plugin.airbyte_emulator_factory
Factory = pytest_plugin.EmulatorFactory
http = emulator_support.http

VERSIONS = pytest.mark.parametrize("version", ["0.40", "0.50", "1.7", "2.0", "head"])


async def ended(http: aiohttp.ClientSession, emu: Emulator, cid: str, outcome: str) -> int:
    """Run one short job of *cid* to *outcome*; its id."""
    emu.set_sync_plan(cid, duration=0.0, outcome=outcome)  # type: ignore[arg-type]
    job_id: int = (await sync(http, emu, cid))["job"]["id"]
    await wait_terminal(http, emu, job_id)
    return job_id


# -- triggers answer once the job runs -------------------------------------------------------


@VERSIONS
async def test_a_trigger_answers_with_the_job_running_and_its_first_attempt(
    airbyte_emulator_factory: Factory, http: aiohttp.ClientSession, version: str
) -> None:
    """
    connections/sync answers only once the job runs: status running, attempt 0 running
    (API-FACTS 6.3b, TemporalClient.startNewManualSync waits for isWorkflowStateRunning).
    """
    emu = await airbyte_emulator_factory(
        airbyte_version=version, connections=1, trigger_latency=0.1
    )
    emu.set_sync_plan(emu.connection_ids[0], duration=30)
    info = await sync(http, emu, emu.connection_ids[0])
    assert info["job"]["status"] == "running"
    [entry] = info["attempts"]
    assert entry["attempt"]["id"] == 0
    assert entry["attempt"]["status"] == "running"


@VERSIONS
async def test_a_reset_answers_once_its_job_exists(
    airbyte_emulator_factory: Factory, http: aiohttp.ClientSession, version: str
) -> None:
    """
    connections/reset answers as soon as the workflow shows a new job id, the job still
    pending and without attempts: ``TemporalClient.resetConnection`` loops on ``getNewJobId``,
    not on ``isWorkflowStateRunning`` as a sync does (airbytehq/airbyte-platform
    ``airbyte-commons-temporal/.../TemporalClient.kt``; the same loop in the 0.x Java
    ``TemporalClient``). The workflow creates the job some activities after the signal
    (``ConnectionManagerWorkflowImpl``): nothing answers, and no job exists, before half the
    trigger latency has passed.
    """
    clock = ManualClock()
    emu = await airbyte_emulator_factory(
        airbyte_version=version, connections=1, clock=clock, trigger_latency=0.2
    )
    answers: list[Answer] = []

    async def reset() -> None:
        body = {"connectionId": emu.connection_ids[0]}
        answers.append(await call(http, emu, "connections/reset", body))

    async with anyio.create_task_group() as tg:
        tg.start_soon(reset)
        await triggers_held(emu, 1)
        clock.advance(0.09)
        await anyio.sleep(0.05)
        assert (answers, emu.stats().jobs_created) == ([], 0)
        clock.advance(0.02)
    [answer] = answers
    assert answer.status == 200
    assert answer.json["job"]["configType"] == "reset_connection"
    assert answer.json["job"]["status"] == "pending"
    assert answer.json["attempts"] == []


async def test_the_job_exists_pending_before_its_trigger_answers(
    airbyte_emulator_factory: Factory, http: aiohttp.ClientSession
) -> None:
    """
    The job is created when the trigger arrives and listed as pending while the trigger is
    still waiting for it to run (6.3b: the workflow creates the job, then the call returns).
    """
    clock = ManualClock()
    emu = await airbyte_emulator_factory(connections=1, clock=clock, trigger_latency=0.2)
    cid = emu.connection_ids[0]
    answered = anyio.Event()

    async def trigger() -> None:
        await sync(http, emu, cid)
        answered.set()

    async with anyio.create_task_group() as tg:
        tg.start_soon(trigger)
        listing = {"configTypes": ["sync"], "configId": cid}
        with anyio.fail_after(5):
            while True:
                jobs = (await call(http, emu, "jobs/list", listing)).json["jobs"]
                if jobs:
                    break
                await anyio.sleep(0.01)
        assert not answered.is_set()
        assert jobs[0]["job"]["status"] == "pending"
        assert jobs[0]["attempts"] == []
        clock.advance(0.2)


# -- a trigger that meets a job: what the connection's workflow reports decides ---------------

_STATES = """
    ``TemporalClient.startNewManualSync`` (airbytehq/airbyte-platform
    ``airbyte-commons-temporal/.../TemporalClient.kt``; the same in the 0.x Java client) refuses
    with ``WORKFLOW_RUNNING`` ("A sync is already running for: <id>", 409 by
    ``SchedulerHandler.readJobFromResult``) only when
    ``ConnectionManagerUtils.isWorkflowStateRunning``: the workflow's
    ``WorkflowState.isRunning``, set by ``reportJobStarting`` once the job's
    attempt exists, and from 0.50 on by ``initializeWorkflowStateFromInput`` through the backoff
    between two attempts. Otherwise it signals ``submitManualSync`` (which only sets
    ``isSkipScheduling``: the workflow is past its wait, so it creates no job), loops until the
    workflow reports running, and answers with ``getCurrentJobId``: the job that was there.
"""


@pytest.mark.parametrize("version", ["0.40", "0.50", "1.7", "2.0"])
async def test_a_trigger_while_the_job_is_pending_answers_with_that_job_once_it_runs(
    airbyte_emulator_factory: Factory, http: aiohttp.ClientSession, version: str
) -> None:
    """
    A second connections/sync while the first one's job is pending starts no job: it answers
    200 with that same job, once it runs (a sync the scheduler started, pending, is met alike).
    """
    clock = ManualClock()
    emu = await airbyte_emulator_factory(
        airbyte_version=version, connections=1, clock=clock, trigger_latency=0.2
    )
    cid = emu.connection_ids[0]
    answers: list[Answer] = []

    async def trigger() -> None:
        answers.append(await call(http, emu, "connections/sync", {"connectionId": cid}))

    async with anyio.create_task_group() as tg:
        tg.start_soon(trigger)
        await jobs_created(emu, 1)
        tg.start_soon(trigger)
        await triggers_held(emu, 2)
        clock.advance(0.1)
        await anyio.sleep(0.05)
        assert answers == []
        clock.advance(0.15)
    first, second = answers
    assert (first.status, second.status) == (200, 200)
    assert first.json["job"]["id"] == second.json["job"]["id"]
    assert second.json["job"]["status"] == "running"
    assert emu.stats().jobs_created == 1


test_a_trigger_while_the_job_is_pending_answers_with_that_job_once_it_runs.__doc__ += _STATES


@VERSIONS
async def test_a_trigger_while_an_attempt_runs_is_a_409(
    airbyte_emulator_factory: Factory, http: aiohttp.ClientSession, version: str
) -> None:
    """connections/sync while an attempt of the connection's job runs: 409, no job created."""
    emu = await airbyte_emulator_factory(airbyte_version=version, connections=1)
    cid = emu.connection_ids[0]
    emu.set_sync_plan(cid, duration=30)
    await sync(http, emu, cid)
    busy = await call(http, emu, "connections/sync", {"connectionId": cid})
    assert busy.status == 409
    if version != "2.0" and version != "head":
        assert busy.json["message"] == f"A sync is already running for: {cid}"
    assert emu.stats().jobs_created == 1


test_a_trigger_while_an_attempt_runs_is_a_409.__doc__ += _STATES


def _retrying(version: str, clock: ManualClock) -> dict[str, Any]:
    """Emulator settings whose syncs fail once, then wait 10 s before their second attempt
    (from 0.50 on: 0.40 has no backoff, and makes it at once)."""
    return {
        "airbyte_version": version,
        "connections": 1,
        "clock": clock,
        "attempts": 2,
        "retry_backoff": 10,
        "failure_rate": 1.0,
    }


@pytest.mark.parametrize("version", ["0.50", "1.7", "2.0", "head"])
async def test_a_trigger_between_two_attempts_is_a_409(
    airbyte_emulator_factory: Factory, http: aiohttp.ClientSession, version: str
) -> None:
    """
    From 0.50 on, connections/sync while the job waits out the backoff after a failed attempt
    (``incomplete``) is refused: the run that continues from the failure reports running.
    """
    clock = ManualClock()
    emu = await airbyte_emulator_factory(**_retrying(version, clock))
    cid = emu.connection_ids[0]
    emu.set_sync_plan(cid, duration=1)
    job_id = (await sync(http, emu, cid))["job"]["id"]
    clock.advance(2)
    assert emu.job_status(job_id) == "incomplete"

    busy = await call(http, emu, "connections/sync", {"connectionId": cid})

    assert busy.status == 409
    assert emu.stats().jobs_created == 1


test_a_trigger_between_two_attempts_is_a_409.__doc__ += _STATES


async def test_a_trigger_between_two_attempts_on_040_answers_with_that_job_once_it_runs_again(
    airbyte_emulator_factory: Factory, http: aiohttp.ClientSession
) -> None:
    """
    On 0.40, connections/sync between two attempts (``incomplete``) starts no job: its workflow
    reports running only once the next attempt exists (no ``setRunning`` for a run that
    continues from a failure: airbytehq/airbyte ``ConnectionManagerWorkflowImpl.java`` of late
    2022), so the trigger answers 200 with the same job, once that attempt runs, moments later
    (0.40 has no backoff).
    """
    clock = ManualClock()
    emu = await airbyte_emulator_factory(**_retrying("0.40", clock))
    cid = emu.connection_ids[0]
    emu.set_sync_plan(cid, duration=1)
    job_id = (await sync(http, emu, cid))["job"]["id"]
    clock.advance(1)
    assert emu.job_status(job_id) == "incomplete"
    answers: list[Answer] = []

    async def trigger() -> None:
        answers.append(await call(http, emu, "connections/sync", {"connectionId": cid}))

    async with anyio.create_task_group() as tg:
        tg.start_soon(trigger)
        await triggers_held(emu, 1)
        clock.advance(0.1)
        await anyio.sleep(0.05)
        assert answers == []
        clock.advance(0.2)
    [answer] = answers
    assert answer.status == 200
    assert answer.json["job"]["id"] == job_id
    assert answer.json["job"]["status"] == "running"
    assert [a["attempt"]["status"] for a in answer.json["attempts"]] == ["failed", "running"]
    assert emu.stats().jobs_created == 1


test_a_trigger_between_two_attempts_on_040_answers_with_that_job_once_it_runs_again.__doc__ += (
    _STATES
)


_JOB_ID_WAIT = """
    Head's trigger that answers once its job exists (``POST /jobs`` with
    ``returnAfterJobId``, API-FACTS 6.3; and a sync of an organization whose data-worker
    capacity is enforced, which the Config API's controller never names) is
    ``TemporalClient.startNewManualSyncAndWaitForJobId`` (airbytehq/airbyte-platform
    ``TemporalClient.kt`` at ``3fc02fdc``; ``JobsController.publicCreateJob`` at ``08783db5``
    passes ``returnAfterJobId = true``): refused (409) only when the workflow reports running,
    it notes the workflow's current job id, signals ``submitManualSync``, and polls
    ``getNewJobId`` for an id other than that one for
    ``START_MANUAL_SYNC_JOB_ID_WAIT_TIMEOUT_MS`` (60 s). The job already there never counts.
    The signal only sets ``isSkipScheduling``, which the capacity wait does not look at
    (``getCapacityWaitInterruptionReason`` reads deleted, cancelled-for-reset, cancelled and
    updated) and ``WorkflowState.reset`` clears when that job's run continues as new: no job
    follows, and the call fails with "Timed out waiting for a sync job to be created
    for: <id>" (``ErrorCode.UNKNOWN``): an ``IllegalStateException`` in
    ``SchedulerHandler.readJobFromResult``, a 409 ``state-conflict`` on the public API
    (``JobServiceImpl.sync`` hands it to ``ConfigClientErrorHandler.handleError``, at
    ``f6786d4b``, API-FACTS 6.3), without that text: not a 500.
"""


async def _queued(
    airbyte_emulator_factory: Factory, http: aiohttp.ClientSession, clock: ManualClock
) -> tuple[Emulator, str, int]:
    """A head emulator whose connection's job (its id returned) is queued, for 140 s more."""
    emu = await airbyte_emulator_factory(
        airbyte_version="head", connections=1, clock=clock, pending_duration=300
    )
    cid = emu.connection_ids[0]
    job_id = await waiting_job(http, emu, cid)
    assert emu.job_status(job_id) == "pending"
    clock.advance(160)
    assert emu.job_status(job_id) == "queued"
    return emu, cid, job_id


async def _held_for_a_minute(emu: Emulator, send: Any) -> list[Answer]:
    """The answers of *send*, held while the clock moves 59.9 s, then past 60."""
    clock = emu.clock
    assert isinstance(clock, ManualClock)
    answers: list[Answer] = []

    async def trigger() -> None:
        answers.append(await send())

    async with anyio.create_task_group() as tg:
        tg.start_soon(trigger)
        await triggers_now(emu, 1)
        await anyio.sleep(0.05)  # on to its wait, which reads the clock
        clock.advance(59.9)
        await anyio.sleep(0.05)
        assert answers == []
        clock.advance(0.2)
    return answers


async def test_a_head_sync_while_the_job_is_queued_answers_with_it_once_it_runs(
    airbyte_emulator_factory: Factory, http: aiohttp.ClientSession
) -> None:
    """
    On head, connections/sync while the connection's job waits for capacity (queued) is held
    until that job runs, then answered 200 with it, and starts no job: the Config API's
    controller passes ``syncConnection`` no organization, so it takes ``startNewManualSync``,
    which polls until the workflow reports running and answers its current job
    (airbytehq/airbyte-platform ``SchedulerHandler.kt`` at ``727e1210``,
    ``submitManualSyncToWorker``; ``ConnectionApiController.kt`` at ``08783db5``).
    """
    clock = ManualClock()
    emu, cid, job_id = await _queued(airbyte_emulator_factory, http, clock)
    answers: list[Answer] = []

    async def trigger() -> None:
        answers.append(await call(http, emu, "connections/sync", {"connectionId": cid}))

    async with anyio.create_task_group() as tg:
        tg.start_soon(trigger)
        await triggers_now(emu, 1)
        await anyio.sleep(0.05)  # on to its wait, which reads the clock
        clock.advance(100)  # past the minute a wait for a new job id would take
        await anyio.sleep(0.05)
        assert answers == []
        clock.advance(45)  # the queued job runs at 300 s

    [answer] = answers
    assert answer.status == 200
    assert (answer.json["job"]["id"], answer.json["job"]["status"]) == (job_id, "running")
    assert emu.stats().jobs_created == 1


async def test_a_head_public_sync_while_the_job_is_queued_is_a_state_conflict_after_a_minute(
    airbyte_emulator_factory: Factory, http: aiohttp.ClientSession
) -> None:
    """
    On head, ``POST /jobs`` (sync) while the connection's job is queued answers after 60 s
    with a 409 ``state-conflict`` problem that does not say why ("Could not fulfill request":
    ``ConfigClientErrorHandler.handleError`` puts it in place of an ``IllegalStateException``'s
    own text), and starts no job.
    """
    clock = ManualClock()
    emu, cid, _ = await _queued(airbyte_emulator_factory, http, clock)
    body = {"jobType": "sync", "connectionId": cid}

    [answer] = await _held_for_a_minute(emu, lambda: public(http, emu, "POST", "/jobs", body))

    assert answer.status == 409
    assert answer.json["title"] == "state-conflict"
    assert answer.json["data"]["message"] == "Could not fulfill request"
    assert emu.stats().jobs_created == 1


test_a_head_public_sync_while_the_job_is_queued_is_a_state_conflict_after_a_minute.__doc__ += (
    _JOB_ID_WAIT
)


async def test_two_head_public_syncs_at_once_both_get_the_one_job(
    airbyte_emulator_factory: Factory, http: aiohttp.ClientSession
) -> None:
    """
    On head, a second ``POST /jobs`` (sync) that comes before the first one's job exists notes
    no job id (``NON_RUNNING_JOB_ID``), and the first one's job is the new id it waits for:
    both answer 200 with that one job.
    """
    clock = ManualClock()
    emu = await airbyte_emulator_factory(
        airbyte_version="head", connections=1, clock=clock, trigger_latency=0.2
    )
    body = {"jobType": "sync", "connectionId": emu.connection_ids[0]}
    answers: list[Answer] = []

    async def trigger() -> None:
        answers.append(await public(http, emu, "POST", "/jobs", body))

    async with anyio.create_task_group() as tg:
        tg.start_soon(trigger)
        tg.start_soon(trigger)
        await triggers_held(emu, 2)
        clock.advance(0.2)
    first, second = answers
    assert (first.status, second.status) == (200, 200)
    assert first.json["jobId"] == second.json["jobId"]
    assert emu.stats().jobs_created == 1


test_two_head_public_syncs_at_once_both_get_the_one_job.__doc__ += _JOB_ID_WAIT


def test_the_emulator_defaults_to_a_quiet_servers_trigger_latency() -> None:
    """Out of the box a trigger takes 0.2 s, a quiet real server's hundreds of ms (6.3b)."""
    assert Emulator().trigger_latency == 0.2
    parser = argparse.ArgumentParser()
    add_emulator_arguments(parser)
    assert _emulator(parser.parse_args([])).trigger_latency == 0.2


_WRAP_UP = """
    After it writes a job's end, the connection's workflow runs the end-of-sync activities (the
    post-sync child workflow's start, ``deleteResetJobStreams``, ``recordMetric``; after a
    failure ``autoDisableFailingConnection``) before ``prepareForNextRunAndContinueAsNew``
    resets its state (airbytehq/airbyte-platform ``ConnectionManagerWorkflowImpl.reportSuccess``,
    ``failJob``, ``reportCancelled``): it reports running meanwhile, and
    ``TemporalClient.startNewManualSync`` answers "A sync is already running for: <id>" while
    it does (API-FACTS 6.3).
"""


@pytest.mark.parametrize("version", ["0.40", "0.50", "head"])
@pytest.mark.parametrize("outcome", ["succeeded", "failed"])
async def test_a_sync_trigger_while_the_workflow_wraps_up_an_ended_job_is_a_409(
    airbyte_emulator_factory: Factory, http: aiohttp.ClientSession, version: str, outcome: str
) -> None:
    """
    connections/sync within *wrap_up* seconds of the end of the connection's job: 409 though
    the job reads ended and none runs, no job created; once the wrap-up is over, it starts one.
    """
    clock = ManualClock()
    emu = await airbyte_emulator_factory(
        airbyte_version=version, connections=1, clock=clock, wrap_up=0.5
    )
    cid = emu.connection_ids[0]
    emu.set_sync_plan(cid, duration=1, outcome=outcome)  # type: ignore[arg-type]
    job_id = (await sync(http, emu, cid))["job"]["id"]
    clock.advance(1.1)
    assert emu.job_status(job_id) == outcome

    refused = await call(http, emu, "connections/sync", {"connectionId": cid})
    assert refused.status == 409
    if version != "head":
        assert refused.json["message"] == f"A sync is already running for: {cid}"
    assert emu.stats().jobs_created == 1
    clock.advance(0.5)
    assert (await sync(http, emu, cid))["job"]["id"] == job_id + 1


test_a_sync_trigger_while_the_workflow_wraps_up_an_ended_job_is_a_409.__doc__ += _WRAP_UP


def test_the_emulator_defaults_to_a_quiet_servers_start_lag_and_wrap_up() -> None:
    """A tenth of a second for the ``reportJobStart`` activity, three for the wrap-up's few
    activities, in code and on the command line; none on a ManualClock, whose waits end only
    when the test moves it."""
    parser = argparse.ArgumentParser()
    add_emulator_arguments(parser)
    emulators = [Emulator(), _emulator(parser.parse_args([])), Emulator(clock=ManualClock())]
    assert [(e.start_lag, e.wrap_up) for e in emulators] == [(0.1, 0.3), (0.1, 0.3), (0, 0)]


# -- jobs/cancel cancels the connection's current job ----------------------------------------


@VERSIONS
async def test_cancel_of_a_running_job_cancels_it(
    airbyte_emulator_factory: Factory, http: aiohttp.ClientSession, version: str
) -> None:
    """jobs/cancel of the running job: 200, the job re-read as cancelled (6.3b)."""
    emu = await airbyte_emulator_factory(airbyte_version=version, connections=1)
    cid = emu.connection_ids[0]
    emu.set_sync_plan(cid, duration=30)
    job_id = (await sync(http, emu, cid))["job"]["id"]
    answer = await call(http, emu, "jobs/cancel", {"id": job_id})
    assert answer.status == 200
    assert answer.json["job"]["id"] == job_id
    assert answer.json["job"]["status"] == "cancelled"


@VERSIONS
@pytest.mark.parametrize("outcome", ["succeeded", "failed"])
async def test_cancel_of_an_ended_job_with_none_running_is_the_500_of_job_minus_one(
    airbyte_emulator_factory: Factory, http: aiohttp.ClientSession, version: str, outcome: str
) -> None:
    """
    Cancel of a job that already ended, with no job running (its workflow's wrap-up done): a
    500, and the job stays as it ended. ``TemporalClient.startNewCancellation`` notes the
    workflow's current job id, ``NON_RUNNING_JOB_ID`` (-1) then, and
    ``StreamResetRecordsHelper.deleteStreamResetRecordsForJob`` reads it:
    ``DefaultJobPersistence.getJob`` throws "Could not find job with id: -1", a
    RuntimeException nothing catches (airbytehq/airbyte-platform ``TemporalClient.kt`` at
    ``3fc02fdc``, ``DefaultJobPersistence.kt``; the same in 0.x's Java). API-FACTS 6.3b's
    200 holds while a newer job runs (below).
    """
    emu = await airbyte_emulator_factory(airbyte_version=version, connections=1)
    job_id = await ended(http, emu, emu.connection_ids[0], outcome)
    answer = await call(http, emu, "jobs/cancel", {"id": job_id})
    assert answer.status == 500
    if version in ("2.0", "head"):
        assert set(answer.json) == {"errorId"}
    else:
        assert answer.json["message"] == "Internal Server Error: Could not find job with id: -1"
    assert emu.job_status(job_id) == outcome


@VERSIONS
async def test_a_stale_cancel_cancels_the_connections_newer_job(
    airbyte_emulator_factory: Factory, http: aiohttp.ClientSession, version: str
) -> None:
    """
    Cancel of an ended job while the connection runs a newer one: the newer job is
    cancelled, and the answer shows the requested, ended job (6.3b, submitCancellationToWorker
    reads the job only for its connection).
    """
    emu = await airbyte_emulator_factory(airbyte_version=version, connections=1)
    cid = emu.connection_ids[0]
    old = await ended(http, emu, cid, "succeeded")
    emu.set_sync_plan(cid, duration=30, outcome="succeeded")
    newer = (await sync(http, emu, cid))["job"]["id"]
    answer = await call(http, emu, "jobs/cancel", {"id": old})
    assert answer.status == 200
    assert answer.json["job"]["id"] == old
    assert answer.json["job"]["status"] == "succeeded"
    assert emu.job_status(newer) == "cancelled"


async def test_cancel_leaves_other_connections_alone(
    airbyte_emulator_factory: Factory, http: aiohttp.ClientSession
) -> None:
    """A cancel signals only the workflow of the job's own connection (6.3b)."""
    emu = await airbyte_emulator_factory(connections=2, sync_duration=(30, 30))
    first, second = emu.connection_ids
    mine = (await sync(http, emu, first))["job"]["id"]
    theirs = (await sync(http, emu, second))["job"]["id"]
    await call(http, emu, "jobs/cancel", {"id": mine})
    assert emu.job_status(theirs) == "running"


@pytest.mark.parametrize(
    ("version", "keys"),
    [("0.50", {"message"}), ("1.7", {"message"}), ("2.0", {"errorId"}), ("head", {"errorId"})],
)
async def test_cancel_on_a_deleted_connection_is_a_500(
    airbyte_emulator_factory: Factory, http: aiohttp.ClientSession, version: str, keys: set[str]
) -> None:
    """
    Cancel of a job whose connection was deleted: the workflow is deleted, the failing reason
    becomes an IllegalStateException, 500 (6.3b; SchedulerHandler.submitCancellationToWorker
    `check(failingReason == null)`, DeletedWorkflowException's message).
    """
    emu = await airbyte_emulator_factory(airbyte_version=version, connections=1)
    cid = emu.connection_ids[0]
    job_id = await ended(http, emu, cid, "succeeded")
    await call(http, emu, "connections/delete", {"connectionId": cid})
    answer = await call(http, emu, "jobs/cancel", {"id": job_id})
    assert answer.status == 500
    assert keys <= set(answer.json)
    if version == "0.50":
        assert f"workflow for connection {cid} is deleted" in answer.json["message"]


# -- late answers ----------------------------------------------------------------------------


async def late_call(
    http: aiohttp.ClientSession, emu: Emulator, clock: ManualClock, route: str, body: Any
) -> emulator_support.Answer:
    """
    Send *route* while a ``late`` fault holds its answer, and move *clock* a minute on once the
    server has computed that answer (it yields only in the fault's wait): the answer reaches
    the client a minute stale.
    """
    seen = emu.stats().total_requests
    async with anyio.create_task_group() as tg:
        answers: list[emulator_support.Answer] = []

        async def send() -> None:
            answers.append(await call(http, emu, route, body))

        tg.start_soon(send)
        with anyio.fail_after(5):
            while True:
                if emu.stats().total_requests > seen:
                    break
                await anyio.sleep(0.01)
        clock.advance(60)
    return answers[0]


@VERSIONS
async def test_a_late_trigger_answer_shows_the_job_as_it_was_when_computed(
    airbyte_emulator_factory: Factory, http: aiohttp.ClientSession, version: str
) -> None:
    """
    A trigger answer that arrives late is still a 200 whose snapshot is as old as the request:
    the job shows running though it ended before the client read it (6.3b, last point).
    """
    clock = ManualClock()
    emu = await airbyte_emulator_factory(
        airbyte_version=version,
        connections=1,
        clock=clock,
        sync_duration=(10, 10),
        faults=[Fault(kind="late", route="connections/sync", delay=0.3)],
    )
    body = {"connectionId": emu.connection_ids[0]}
    info = (await late_call(http, emu, clock, "connections/sync", body)).json
    assert info["job"]["status"] == "running"
    assert emu.job_status(info["job"]["id"]) == "succeeded"
    assert emu.stats().faults_injected == {"late": 1}


@pytest.mark.parametrize("route", ["jobs/get", "jobs/list", "jobs/list_for_workspaces"])
async def test_late_reads_are_stale_too(
    airbyte_emulator_factory: Factory, http: aiohttp.ClientSession, route: str
) -> None:
    """A late jobs/get or job listing shows the job as it was when the request came (6.3b)."""
    clock = ManualClock()
    emu = await airbyte_emulator_factory(connections=1, clock=clock, sync_duration=(10, 10))
    cid = emu.connection_ids[0]
    job_id = (await sync(http, emu, cid))["job"]["id"]
    emu.faults = [Fault(kind="late", route=route, delay=0.3)]
    body = {"id": job_id} if route == "jobs/get" else {"configTypes": ["sync"], "configId": cid}
    if route == "jobs/list_for_workspaces":
        body["workspaceIds"] = list(emu.workspace_ids)
    answer = await late_call(http, emu, clock, route, body)
    job = answer.json["job"] if route == "jobs/get" else answer.json["jobs"][0]["job"]
    assert emu.stats().faults_injected == {"late": 1}
    assert job["status"] == "running"
    assert emu.job_status(job_id) == "succeeded"


async def test_a_late_answer_after_the_client_gave_up_is_reset(
    airbyte_emulator_factory: Factory,
) -> None:
    """A late answer the client stopped waiting for is dropped; the job it made still exists."""
    emu = await airbyte_emulator_factory(
        connections=1, faults=[Fault(kind="late", route="connections/sync", delay=1.0)]
    )
    timeout = aiohttp.ClientTimeout(total=0.3)
    async with aiohttp.ClientSession(timeout=timeout) as session:
        with pytest.raises(TimeoutError):
            await call(session, emu, "connections/sync", {"connectionId": emu.connection_ids[0]})
    assert emu.stats().jobs_created == 1


def test_late_faults_take_a_seeded_delay_between_delay_and_max_delay() -> None:
    """A late fault needs a delay; max_delay widens it into a draw and must not be below it."""
    with pytest.raises(ValueError, match="delay"):
        Fault(kind="late")
    with pytest.raises(ValueError, match="max_delay"):
        Fault(kind="late", delay=2.0, max_delay=1.0)
    fault = Fault.from_dict({"kind": "late", "route": "*", "delay": 1.0, "max_delay": 5.0})
    assert fault.to_dict() == {"kind": "late", "delay": 1.0, "max_delay": 5.0}
    assert json.loads(json.dumps(fault.to_dict()))["max_delay"] == 5.0


# -- the trigger load model (issue 10) -------------------------------------------------------


def test_the_overload_bound_refuses_the_trigger_past_it() -> None:
    """A trigger past trigger_overload is refused, whether or not the bound is below the
    threads."""
    load = TriggerLoad(latency=0.2, capacity=10, overload=30)
    load.admit(30)
    with pytest.raises(Overloaded):
        load.admit(31)
    below = TriggerLoad(capacity=25, overload=2)
    below.admit(2)
    with pytest.raises(Overloaded):
        below.admit(3)
    with pytest.raises(ValueError, match="capacity"):
        TriggerLoad(capacity=0)


async def test_calls_take_the_scheduler_threads_first_come_first_served() -> None:
    """
    Two threads, five calls: two run at once, the others wait and get a thread in the order
    they came; one that gives up while waiting takes none.
    """
    threads = SchedulerThreads(2)
    order: list[int] = []
    gate = anyio.Event()

    async def one(n: int) -> None:
        async with threads.thread():
            order.append(n)
            await gate.wait()

    async with anyio.create_task_group() as tg:
        for n in range(4):
            tg.start_soon(one, n)
            await anyio.wait_all_tasks_blocked()
        with anyio.move_on_after(0.01):
            await one(99)  # gives up while waiting
        assert order == [0, 1] and threads.waiting == 2
        gate.set()
    assert order == [0, 1, 2, 3]
    assert threads.waiting == 0


@contextlib.asynccontextmanager
async def _thread_taken(
    factory: Factory, http: aiohttp.ClientSession
) -> AsyncIterator[tuple[Emulator, ManualClock]]:
    """
    Two connections and one scheduler thread, which the first one's trigger (0.5 s, on a
    clock moved by hand) holds when the block begins; every trigger answers after it.
    """
    clock = ManualClock()
    emu = await factory(
        connections=2, clock=clock, trigger_latency=0.5, trigger_capacity=1, sync_duration=(30, 30)
    )
    async with anyio.create_task_group() as tg:
        tg.start_soon(sync, http, emu, emu.connection_ids[0])
        await jobs_created(emu, 1)
        yield emu, clock
        clock.advance(1.0)


async def test_a_trigger_waiting_for_a_scheduler_thread_has_created_no_job(
    airbyte_emulator_factory: Factory, http: aiohttp.ClientSession
) -> None:
    """
    With one scheduler thread, a second trigger creates its job only once the first has
    answered: ``connections/sync`` runs on the scheduler executor
    (``@ExecuteOn(AirbyteTaskExecutors.SCHEDULER)``, 25 threads by default), and
    ``TemporalClient.startNewManualSync`` signals the workflow only there (API-FACTS 6.3b).
    """
    async with (
        _thread_taken(airbyte_emulator_factory, http) as (emu, clock),
        anyio.create_task_group() as tg,
    ):
        second = emu.connection_ids[1]
        tg.start_soon(sync, http, emu, second)
        await triggers_held(emu, 2)
        assert second not in emu.stats().jobs_by_connection
        clock.advance(0.5)  # the first answers; its thread goes to the second
        await jobs_created(emu, 2)
        clock.advance(0.5)  # the second answers
    assert emu.stats().jobs_created == 2


async def test_a_trigger_whose_client_hung_up_still_starts_its_job(
    airbyte_emulator_factory: Factory, http: aiohttp.ClientSession
) -> None:
    """
    A trigger that waited for a scheduler thread while its client gave up still starts its
    job once it has one: the server works on a call it took whether or not anyone still
    listens, so a client that gives up on a trigger must look for its job later too.
    """
    async with _thread_taken(airbyte_emulator_factory, http) as (emu, clock):
        second = emu.connection_ids[1]
        with anyio.move_on_after(0.2):
            await sync(http, emu, second)  # hangs up while it waits for the thread
        assert second not in emu.stats().jobs_by_connection
        clock.advance(0.5)
        await jobs_created(emu, 2)
    assert len(emu.stats().jobs_by_connection[second]) == 1


async def test_triggers_past_the_overload_bound_get_503_and_create_no_job(
    airbyte_emulator_factory: Factory, http: aiohttp.ClientSession
) -> None:
    """
    With trigger_overload=2, a third trigger in flight is answered 503 at once and creates no
    job; the stats count it and show the triggers in flight over time.
    """
    clock = ManualClock()
    emu = await airbyte_emulator_factory(
        connections=3,
        clock=clock,
        trigger_latency=0.5,
        trigger_overload=2,
        sync_duration=(30, 30),
    )
    answers: dict[str, int] = {}

    async def trigger(cid: str) -> None:
        answers[cid] = (await call(http, emu, "connections/sync", {"connectionId": cid})).status

    async with anyio.create_task_group() as tg:
        for cid in emu.connection_ids[:2]:
            tg.start_soon(trigger, cid)
        await jobs_created(emu, 2)
        third = await call(http, emu, "connections/sync", {"connectionId": emu.connection_ids[2]})
        clock.advance(0.5)
    assert third.status == 503
    assert third.headers["Content-Type"].startswith("text/html")
    assert "Retry-After" not in third.headers
    assert list(answers.values()) == [200, 200]
    stats = emu.stats()
    assert stats.jobs_created == 2
    assert emu.connection_ids[2] not in stats.jobs_by_connection
    assert stats.triggers_rejected == 1
    assert max(peak for _, peak in stats.triggers_in_flight(0.1)) == 3
    assert stats.trigger_timeline[-1][1] == 0
    served = stats.to_json()
    assert served["triggers_rejected"] == 1
    assert served["trigger_timeline"][-1][1] == 0


async def test_triggers_past_the_soft_capacity_queue_behind_each_other(
    airbyte_emulator_factory: Factory, http: aiohttp.ClientSession
) -> None:
    """
    With trigger_capacity=1, of two triggers sent together the second's job is created only
    once the first trigger's thread is free, a whole latency later: the server starts at most
    capacity/latency jobs a second. Each job's life runs from its creation, through its
    trigger's latency, to its end.
    """
    clock = ManualClock()
    emu = await airbyte_emulator_factory(
        connections=2, clock=clock, trigger_latency=0.3, trigger_capacity=1, sync_duration=(1, 1)
    )
    async with anyio.create_task_group() as tg:
        for cid in emu.connection_ids:
            tg.start_soon(sync, http, emu, cid)
        await triggers_held(emu, 2)
        await jobs_created(emu, 1)
        assert emu.stats().jobs_created == 1
        clock.advance(0.3)  # the first answers; its thread takes the second
        await jobs_created(emu, 2)
        clock.advance(0.3)  # the second answers
    clock.advance(2.0)  # both syncs end
    stats = emu.stats()
    assert stats.max_in_flight_syncs == 2
    assert sorted(stats.job_durations.values()) == pytest.approx([1.3, 1.3])
    starts = sorted(start for start, _ in stats.job_times.values())
    assert starts[1] - starts[0] == pytest.approx(0.3)


async def test_by_default_the_server_works_on_25_triggers_at_once(
    airbyte_emulator_factory: Factory, http: aiohttp.ClientSession
) -> None:
    """
    Airbyte's scheduler executor has 25 threads (``SCHEDULER_TASK_EXECUTOR_THREADS:25``, see
    ``_load``): of 26 triggers sent together, the 26th creates its job only once a thread is
    free, a latency later.
    """
    clock = ManualClock()
    emu = await airbyte_emulator_factory(
        connections=26, clock=clock, trigger_latency=0.5, sync_duration=(30, 30)
    )
    assert emu.trigger_capacity == 25
    async with anyio.create_task_group() as tg:
        for cid in emu.connection_ids:
            tg.start_soon(sync, http, emu, cid)
        await jobs_created(emu, 25)
        await triggers_held(emu, 26)
        assert emu.stats().jobs_created == 25
        clock.advance(0.5)
        await jobs_created(emu, 26)
        clock.advance(0.5)


def test_the_cli_passes_the_load_model_on() -> None:
    """The emulator CLI takes --trigger-capacity and --trigger-overload."""
    parser = argparse.ArgumentParser()
    add_emulator_arguments(parser)
    args = parser.parse_args(["--trigger-capacity", "50", "--trigger-overload", "200"])
    emulator = _emulator(args)
    assert (emulator.trigger_capacity, emulator.trigger_overload) == (50, 200)
    assert _emulator(parser.parse_args([])).trigger_capacity == 25
    assert _emulator(parser.parse_args(["--trigger-capacity", "0"])).trigger_capacity is None


async def test_a_trigger_queued_for_a_thread_through_a_restart_never_acts(
    airbyte_emulator_factory: Factory, http: aiohttp.ClientSession
) -> None:
    """
    A restart is a crash: the scheduler executor's queue dies with the JVM, so a sync trigger
    still waiting for a thread creates no job when one frees. Acting later, it started a second
    sync for a client whose look, made while it waited, found none and triggered again.
    """
    clock = ManualClock()
    emu = await airbyte_emulator_factory(
        airbyte_version="0.50",
        connections=2,
        clock=clock,
        trigger_latency=0.5,
        trigger_capacity=1,
        sync_duration=(30, 30),
    )
    busy, queued = emu.connection_ids

    async def trigger(cid: str) -> None:
        with contextlib.suppress(aiohttp.ClientError):
            await sync(http, emu, cid)

    async with anyio.create_task_group() as tg:
        tg.start_soon(trigger, busy)
        await jobs_created(emu, 1)
        tg.start_soon(trigger, queued)
        await triggers_held(emu, 2)
        await emu.restart()
        clock.advance(0.5)  # the busy trigger's thread is free: the queued one is gone
        clock.advance(0.5)
    assert list(emu.stats().jobs_by_connection) == [busy]


async def test_a_head_trigger_past_its_thread_makes_its_job_through_a_restart(
    airbyte_emulator_factory: Factory, http: aiohttp.ClientSession
) -> None:
    """
    Unlike one still queued for a thread, a head trigger that has a thread has signalled the
    connection's Temporal workflow, which runs outside airbyte-server: a restart while the
    trigger waits for the new job id (``startNewManualSyncAndWaitForJobId``) loses the answer,
    not the job, which the workflow makes about half the trigger latency on
    (``ConnectionManagerWorkflowImpl``: ``getOrCreateJobId``). A client that saw the reset
    and looked at once finds no job yet.
    """
    clock = ManualClock()
    emu = await airbyte_emulator_factory(
        airbyte_version="head", connections=1, clock=clock, trigger_latency=2.0
    )
    [cid] = emu.connection_ids

    async def trigger() -> None:
        with contextlib.suppress(aiohttp.ClientError):
            await public(http, emu, "POST", "/jobs", {"connectionId": cid, "jobType": "sync"})

    async with anyio.create_task_group() as tg:
        tg.start_soon(trigger)
        await triggers_now(emu, 1)
        await anyio.sleep(0.05)  # on to its wait, which reads the clock
        await emu.restart()
        assert emu.stats().jobs_by_connection == {}
        clock.advance(1.0)
    assert [len(ids) for ids in emu.stats().jobs_by_connection.values()] == [1]


# -- refreshes ---------------------------------------------------------------------------------

_REFRESH = {"refreshMode": "Truncate"}


@pytest.mark.parametrize("version", ["1.7", "head"])
async def test_a_refresh_of_an_idle_connection_answers_with_its_refresh_job(
    airbyte_emulator_factory: Factory, http: aiohttp.ClientSession, version: str
) -> None:
    """``connections/refresh`` marks the streams to refresh and starts a manual sync, whose job
    is a ``refresh`` and the answer (``StreamRefreshesHandler.createRefreshesForConnection``;
    ``SchedulerHandler.createJob`` makes a refresh while streams wait for one)."""
    emu = await airbyte_emulator_factory(airbyte_version=version, connections=1)
    cid = emu.connection_ids[0]

    answer = await call(http, emu, "connections/refresh", {"connectionId": cid, **_REFRESH})

    assert answer.status == 200, answer.text
    assert answer.json["job"]["configType"] == "refresh"
    assert emu.stats().jobs_created == 1


async def test_a_refresh_while_a_sync_runs_is_the_connections_next_job_whatever_starts_it(
    airbyte_emulator_factory: Factory, http: aiohttp.ClientSession
) -> None:
    """While a sync runs, ``connections/refresh`` answers an empty JobReadResponse (its manual
    sync could not start, which it ignores) and the streams wait: the next job the connection's
    workflow makes, a plain ``connections/sync``'s, is the refresh (``SchedulerHandler
    .createJob`` looks for refreshes before it makes a sync), and the one after it a sync."""
    emu = await airbyte_emulator_factory(airbyte_version="head", connections=1)
    cid = emu.connection_ids[0]
    emu.set_sync_plan(cid, duration=0.3)
    running = (await sync(http, emu, cid))["job"]["id"]

    answer = await call(http, emu, "connections/refresh", {"connectionId": cid, **_REFRESH})
    await wait_terminal(http, emu, running)
    refresh = (await sync(http, emu, cid))["job"]
    await wait_terminal(http, emu, refresh["id"])
    after = (await sync(http, emu, cid))["job"]

    assert (answer.status, answer.json) == (200, {})
    assert (refresh["configType"], after["configType"]) == ("refresh", "sync")


async def test_a_refresh_is_not_a_route_before_0_63(
    airbyte_emulator_factory: Factory, http: aiohttp.ClientSession
) -> None:
    """0.50 has no ``connections/refresh`` (config-api-0.50.yaml; refresh jobs came in 0.63,
    API-FACTS 3): NotFoundController's 404, and no job."""
    emu = await airbyte_emulator_factory(airbyte_version="0.50", connections=1)
    cid = emu.connection_ids[0]

    answer = await call(http, emu, "connections/refresh", {"connectionId": cid, **_REFRESH})

    assert answer.status == 404
    assert emu.stats().jobs_created == 0
