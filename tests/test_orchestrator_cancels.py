"""
The orchestrator's give-up path against cancels that take time, as on Airbyte (API-FACTS 6.3b:
``jobs/cancel`` answers once the job stopped). The emulator runs on a :class:`ManualClock`, so
a cancel is held until the test moves the clock: how many the server holds at once is counted,
never timed.
"""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import anyio
import pytest
import stamina
from client_support import until

from airbyte_async import AirbyteClient, NoAuth
from airbyte_async._giveup import CANCELS_IN_FLIGHT
from airbyte_async.orchestrator import (
    Batch,
    EventKind,
    Orchestrator,
    Outcome,
    SyncEvent,
)
from airbyte_async.testing import Emulator, ManualClock

pytestmark = pytest.mark.anyio

#: More running jobs than cancels the orchestrator sends at once.
JOBS = 2 * CANCELS_IN_FLIGHT + 10


@pytest.mark.parametrize("api", ["config", "public"])
async def test_a_give_up_cancels_its_running_jobs_concurrently_and_bounded(api: str) -> None:
    """
    Given up with many running jobs, the batch sends its cancels side by side, as many at once
    as its bound and never more, so the cleanup takes a few cancel latencies rather than one
    per job; every job ends cancelled.
    """
    clock = ManualClock()
    emulator = Emulator(
        airbyte_version="head" if api == "public" else "0.50",
        connections=JOBS,
        clock=clock,
        trigger_latency=0.0,
        cancel_latency=1.0,
        sync_duration=(600, 600),
    )
    async with emulator as emu:
        client = AirbyteClient(emu.url, auth=NoAuth(), env={}, api=api)
        async with client:
            orchestrator = Orchestrator(client, max_running=JOBS, poll_interval=0.05)
            async with given_up(orchestrator, emu) as gave_up:
                await until(lambda: emu.stats().cancels_in_flight == CANCELS_IN_FLIGHT)
                # One round per wave of cancels sent side by side, one per job if sent in turn.
                rounds = await answer_cancels(emu, clock, gave_up)

    stats = emu.stats()
    assert stats.max_in_flight_cancels == CANCELS_IN_FLIGHT
    assert rounds < JOBS / 4
    assert set(stats.job_statuses.values()) == {"cancelled"}
    results = orchestrator.results.values()
    assert len(results) == JOBS
    assert all(r.cancel_requested and r.outcome is Outcome.CANCELLED for r in results)


#: Reads of jobs answered 1.5 s late (still a 200: a loaded server), on either API.
_LATE_READS = {
    "config": [
        {"kind": "late", "route": "jobs/list*", "delay": 1.5},
        {"kind": "late", "route": "jobs/get*", "delay": 1.5},
    ],
    "public": [{"kind": "late", "route": "/public/v1/jobs*", "method": "GET", "delay": 1.5}],
}


@pytest.mark.parametrize(("api", "grace"), [("config", 10.0), ("public", 20.0)])
async def test_a_give_up_whose_reads_answer_late_still_cancels_every_job_in_its_grace(
    api: str, grace: float
) -> None:
    """
    Given up with six times as many running jobs as cancels go at once, while every read of a
    job answers 1.5 s late: the reads before the cancels (a stale read would cancel a newer
    sync), and the public API's read back of a cancelled job's rows, go in rounds of their
    own, out of the cancels' slots, so that no wave of cancels waits on late reads, and every
    job is cancelled within the cleanup's time (a round of the public API's reads takes two
    late pages of a hundred jobs).
    """
    jobs = 6 * CANCELS_IN_FLIGHT
    async with _long_syncs(api, jobs) as emu:
        client = AirbyteClient(emu.url, auth=NoAuth(), env={}, api=api)
        async with client:
            orchestrator = Orchestrator(
                client, max_running=jobs, poll_interval=0.05, cancel_grace=grace
            )
            emu.set_faults(_LATE_READS[api])
            async with given_up(orchestrator, emu) as gave_up:
                with anyio.fail_after(grace + 20):
                    await gave_up.wait()

    assert set(emu.stats().job_statuses.values()) == {"cancelled"}
    results = orchestrator.results.values()
    assert [r for r in results if r.left_running] == []


async def test_a_give_up_whose_reads_answer_too_late_to_read_again_cancels_on_them() -> None:
    """
    Given up while every read of a job answers 3 s late, with 7 s to clean up: a job read
    late is read again before its cancel (a stale read would cancel a newer sync), but not
    when the time left would not see such a read and the cancel through; the cancels go on
    the reads there are, and no job is left running (two reads again each left them all).
    """
    jobs = 20
    async with _long_syncs("config", jobs) as emu:
        client = AirbyteClient(emu.url, auth=NoAuth(), env={})
        async with client:
            orchestrator = Orchestrator(
                client, max_running=jobs, poll_interval=0.05, cancel_grace=7.0
            )
            emu.set_faults([{**fault, "delay": 3.0} for fault in _LATE_READS["config"]])
            async with given_up(orchestrator, emu) as gave_up:
                with anyio.fail_after(20):
                    await gave_up.wait()

    assert set(emu.stats().job_statuses.values()) == {"cancelled"}
    assert [r for r in orchestrator.results.values() if r.left_running] == []


@asynccontextmanager
async def given_up(orchestrator: Orchestrator, emu: Emulator) -> AsyncIterator[anyio.Event]:
    """
    A batch of every connection of *emu*, run by *orchestrator* in a task of its own and given
    up on (its task cancelled) once every job exists; yields the event its return sets.
    """
    gave_up = anyio.Event()
    async with anyio.create_task_group() as tg:
        scope = anyio.CancelScope()

        async def run() -> None:
            with scope:
                await orchestrator.run(emu.connection_ids)
            gave_up.set()

        tg.start_soon(run)
        await until(lambda: emu.stats().jobs_created == len(emu.connection_ids))
        scope.cancel()
        yield gave_up


async def answer_cancels(emu: Emulator, clock: ManualClock, gave_up: anyio.Event) -> int:
    """
    Move *clock* a second at a time while the server holds cancels, until *gave_up* is set:
    each move answers every cancel held. Returns how many moves it took.
    """
    rounds = 0
    with anyio.fail_after(20):
        while not gave_up.is_set():
            if emu.stats().cancels_in_flight:
                clock.advance(1.0)
                rounds += 1
            await anyio.sleep(0.02)
    return rounds


def _long_syncs(api: str, connections: int, **options: Any) -> Emulator:
    """An emulator of *api*'s version whose syncs run ten minutes, triggers and cancels quick."""
    return Emulator(
        airbyte_version="head" if api == "public" else "0.50",
        connections=connections,
        trigger_latency=0.0,
        cancel_latency=0.05,
        sync_duration=(600, 600),
        **options,
    )


@pytest.mark.parametrize("api", ["config", "public"])
async def test_jobs_given_up_on_during_an_outage_are_cancelled_once_it_ends(api: str) -> None:
    """
    The batch's deadline passes while the server restarts for longer than a read's retries:
    its jobs run on meanwhile, so the reads before their cancels are tried again through the
    outage (within cancel_grace), and every job ends cancelled, not left running.
    """
    emulator = _long_syncs(api, 5)
    async with emulator as emu, AirbyteClient(emu.url, auth=NoAuth(), env={}, api=api) as client:
        orchestrator = Orchestrator(client, timeout=1.0, poll_interval=0.05)
        async with anyio.create_task_group() as tg:
            tg.start_soon(orchestrator.run, emu.connection_ids)
            await until(lambda: emu.stats().jobs_created == 5)
            await emu.restart(downtime=6.0)

    assert set(emu.stats().job_statuses.values()) == {"cancelled"}
    results = orchestrator.results.values()
    assert all(r.cancel_requested and r.outcome is Outcome.TIMED_OUT for r in results)


async def test_reads_of_jobs_given_up_on_through_an_outage_warn_at_first_and_when_they_work(
    caplog: pytest.LogCaptureFixture,
) -> None:
    """
    The batch's deadline passes while the server restarts for two seconds, so the read of its
    jobs before their cancels fails twice: one warning at the first failure, naming its
    error, and one when the read works again, not one per failed read.
    """
    emulator = _long_syncs("config", 5)
    async with emulator as emu, AirbyteClient(emu.url, auth=NoAuth(), env={}) as client:
        orchestrator = Orchestrator(client, timeout=1.0, poll_interval=0.05)
        with caplog.at_level("WARNING", logger="airbyte_async"):
            async with anyio.create_task_group() as tg:
                tg.start_soon(orchestrator.run, emu.connection_ids)
                await until(lambda: emu.stats().jobs_created == 5)
                await emu.restart(downtime=2.0)

    told = [r.getMessage() for r in caplog.records if "given up on" in r.getMessage()]
    failed, worked = told
    assert failed.startswith("reading the jobs given up on failed (5 jobs), trying again: ")
    assert "cannot connect" in failed
    assert re.fullmatch(
        r"reading the jobs given up on works again, after \d+ failed reads? for \d+\.\d s",
        worked,
    )
    assert set(emu.stats().job_statuses.values()) == {"cancelled"}


@pytest.mark.slow
async def test_a_cleanup_cut_short_while_its_reads_fail_leaves_the_next_outage_warned_at_start(
    caplog: pytest.LogCaptureFixture,
) -> None:
    """
    A batch's cleanup ends (cancel_grace) while the reads of its jobs still fail through a
    restart; a later batch of the same orchestrator gives up during a second, shorter restart:
    its first failed read is warned of at once, and the read that works again counts that
    outage's failures alone (the batches of one orchestrator share the reads' warnings).
    """
    emulator = _long_syncs("config", 10)
    triggered: list[SyncEvent] = []

    def on_event(event: SyncEvent) -> None:
        if event.kind is EventKind.TRIGGERED:
            triggered.append(event)

    async with emulator as emu, AirbyteClient(emu.url, auth=NoAuth(), env={}) as client:
        orchestrator = Orchestrator(
            client, timeout=1.0, cancel_grace=3.0, poll_interval=0.05, on_event=on_event
        )
        with caplog.at_level("WARNING", logger="airbyte_async"):
            for count, downtime in ((5, 7.0), (10, 1.5)):
                async with anyio.create_task_group() as tg:
                    tg.start_soon(orchestrator.run, emu.connection_ids[count - 5 : count])
                    # Once each trigger is answered: a restart does not cut one short.
                    await until(lambda: len(triggered) == count)  # noqa: B023
                    await emu.restart(downtime=downtime)

    told = [
        r.getMessage() for r in caplog.records if "reading the jobs given up on" in r.getMessage()
    ]
    failed = r"reading the jobs given up on failed \(5 jobs\), trying again: .+"
    worked = r"reading the jobs given up on works again, after \d+ failed reads? for \d+\.\d s"
    assert len(told) == 3, told
    for pattern, message in zip([failed, failed, worked], told, strict=True):
        assert re.fullmatch(pattern, message), message


async def test_a_cancel_that_waited_for_its_turn_reads_its_job_again_and_spares_a_newer_sync() -> (
    None
):
    """
    Given up with more running jobs than cancels go at once, the last cancel waits for its
    turn; meanwhile its job ends and another client starts a sync on the connection. Read
    again once its turn comes, the job shows its end and nothing is sent: Airbyte would have
    cancelled the newer sync (API-FACTS 6.3b).
    """
    clock = ManualClock()
    emulator = Emulator(
        connections=CANCELS_IN_FLIGHT + 1,
        clock=clock,
        trigger_latency=0.0,
        cancel_latency=1.0,
        sync_duration=(600, 600),
        trigger_capacity=None,  # the other client's trigger waits for no cancel's thread
    )
    async with (
        emulator as emu,
        AirbyteClient(emu.url, auth=NoAuth(), env={}) as client,
        AirbyteClient(emu.url, auth=NoAuth(), env={}) as someone_else,
    ):
        last = emu.connection_ids[-1]
        emu.set_sync_plan(last, duration=0.5)
        orchestrator = Orchestrator(client, max_running=len(emu.connection_ids), poll_interval=0.05)
        async with given_up(orchestrator, emu) as gave_up:
            await until(lambda: emu.stats().cancels_in_flight == CANCELS_IN_FLIGHT)
            await anyio.sleep(0.1)  # the last cancel waits for its turn
            clock.advance(0.6)  # its job ends...
            emu.set_sync_plan(last, duration=600)
            newer = await someone_else.connections.sync(connection_id=last)  # ...another starts
            await answer_cancels(emu, clock, gave_up)

    assert emu.job_status(newer.id) == "running"
    ended = orchestrator.results[last]
    assert (ended.outcome, ended.cancel_requested) == (Outcome.SUCCEEDED, False)


async def test_a_job_that_ended_unseen_before_its_cancel_is_reported_as_it_ended() -> None:
    """
    The batch times out just after a job ended on its own, an end the server shows only a
    second later (commit lag): the read and the cancel's answer still say running, so the
    job is read again until it shows its end, and it is reported succeeded, not timed out.
    """
    emulator = Emulator(
        connections=1,
        trigger_latency=0.0,
        cancel_latency=0.05,
        commit_lag=2.0,
        sync_duration=(0.6, 0.6),
    )
    async with emulator as emu, AirbyteClient(emu.url, auth=NoAuth(), env={}) as client:
        [result] = await Orchestrator(client, timeout=1.2, poll_interval=0.05).run(
            emu.connection_ids
        )

    assert (result.outcome, result.cancel_requested) == (Outcome.SUCCEEDED, True)
    assert set(emu.stats().job_statuses.values()) == {"succeeded"}


@pytest.mark.parametrize("version", ["0.40", "0.50"])
async def test_reads_that_fail_for_good_after_the_cancels_leave_results_not_a_crash(
    version: str,
) -> None:
    """
    Given up on, the batch cancels its jobs; the cancels answer with the jobs still shown
    running (an end committed late, API-FACTS 6.3b), and every read that follows fails with
    an error that does not pass (501). The run still returns a result per connection, each
    saying its job may still run, instead of raising.
    """
    emulator = Emulator(
        airbyte_version=version,
        connections=3,
        sync_duration=(60, 60),
        commit_lag=5.0,
        faults=[{"kind": "latency", "route": "jobs/cancel", "delay": 0.5}],
    )
    async with emulator as emu, AirbyteClient(emu.url, auth=NoAuth(), env={}) as client:
        orchestrator = Orchestrator(client, timeout=1.0)
        async with anyio.create_task_group() as tg:

            async def break_reads_once_cancels_arrive() -> None:
                await until(lambda: emu.stats().requests_by_route.get("/v1/jobs/cancel", 0) > 0)
                emu.set_faults(
                    [
                        {"kind": "latency", "route": "jobs/cancel", "delay": 0.5},
                        {"kind": "error", "status": 501, "route": "jobs/list*"},
                        {"kind": "error", "status": 501, "route": "jobs/get*"},
                    ]
                )

            tg.start_soon(break_reads_once_cancels_arrive)
            results = await orchestrator.run(emu.connection_ids)

    assert [r.outcome for r in results] == [Outcome.TIMED_OUT] * 3
    assert all(r.cancel_requested and r.left_running for r in results)


@pytest.mark.parametrize("api", ["config", "public"])
async def test_cancels_that_time_out_are_sent_again_while_the_job_runs_within_the_grace(
    api: str,
) -> None:
    """
    Given up on, the batch's cancels reach a server too slow to act before the client's
    timeout, four times in a row; each time the job is read, still running, and cancelled
    again after a pause, until one acts within cancel_grace: the job ends cancelled, and the
    result says the batch asked for it (three timed-out cancels ended the attempts before).
    """
    cancel = "jobs/cancel" if api == "config" else "/public/v1/jobs/*"
    slow = {"kind": "slow", "route": cancel, "delay": 1.5, "times": 4}
    emulator = _long_syncs(
        api, 1, faults=[{**slow, "method": "DELETE" if api == "public" else None}]
    )
    async with (
        emulator as emu,
        AirbyteClient(emu.url, auth=NoAuth(), env={}, api=api, timeout=1.0) as client,
    ):
        [result] = await Orchestrator(client, timeout=1.0, poll_interval=0.05).run(
            emu.connection_ids
        )

    assert (result.outcome, result.cancel_requested) == (Outcome.TIMED_OUT, True)
    assert not result.left_running
    assert set(emu.stats().job_statuses.values()) == {"cancelled"}


def _cancel_fault(api: str, status: int, times: int) -> dict[str, Any]:
    """A *status* answer to *api*'s cancel, *times* times."""
    if api == "config":
        return {"kind": "error", "route": "jobs/cancel", "status": status, "times": times}
    route = "/public/v1/jobs/*"
    return {"kind": "error", "route": route, "method": "DELETE", "status": status, "times": times}


@pytest.mark.parametrize("api", ["config", "public"])
async def test_a_cancel_that_works_on_its_second_try_leaves_no_warning(
    api: str, caplog: pytest.LogCaptureFixture
) -> None:
    """
    Given up on, a job whose first cancel gets a 502 is read, still running, and cancelled on
    the next try: the failed try is told at INFO, and no WARNING leaves a reader of warnings
    thinking the job may still run (one said "could not cancel job N (try 1)" and nothing
    after).
    """
    emulator = _long_syncs(api, 1, faults=[_cancel_fault(api, 502, 1)])
    async with emulator as emu, AirbyteClient(emu.url, auth=NoAuth(), env={}, api=api) as client:
        with caplog.at_level("INFO", logger="airbyte_async"):
            [result] = await Orchestrator(client, timeout=1.0, poll_interval=0.05).run(
                emu.connection_ids
            )

    assert (result.outcome, result.cancel_requested, result.left_running) == (
        Outcome.TIMED_OUT,
        True,
        False,
    )
    assert set(emu.stats().job_statuses.values()) == {"cancelled"}
    told = [(r.levelname, r.getMessage()) for r in caplog.records if "cancel" in r.getMessage()]
    assert [level for level, _ in told] == ["INFO"]
    assert told[0][1].startswith(f"could not cancel job {result.job_id} (try 1): 502 on ")


@pytest.mark.parametrize("status", [501, 502], ids=["refused-for-good", "until-the-grace"])
@pytest.mark.parametrize("api", ["config", "public"])
async def test_a_cancel_that_never_works_is_one_warning_that_the_job_may_still_run(
    api: str, status: int, caplog: pytest.LogCaptureFixture
) -> None:
    """
    Given up on, a job whose cancels fail for good (a 501, which waiting cannot cure: one
    try) or until cancel_grace is up (502s, tried again after real pauses): one WARNING names
    it, says it may still run, and how many cancels failed with what; the result says it may
    still run (left_running).
    """
    emulator = _long_syncs(api, 1, faults=[_cancel_fault(api, status, 100)])
    async with emulator as emu, AirbyteClient(emu.url, auth=NoAuth(), env={}, api=api) as client:
        orchestrator = Orchestrator(client, timeout=1.0, poll_interval=0.05, cancel_grace=1.5)
        with caplog.at_level("WARNING", logger="airbyte_async"), stamina.set_testing(False):
            [result] = await orchestrator.run(emu.connection_ids)

    assert (result.outcome, result.cancel_requested, result.left_running) == (
        Outcome.TIMED_OUT,
        True,
        True,
    )
    [warning] = [r.getMessage() for r in caplog.records if "cancel" in r.getMessage()]
    tries = "1 time" if status == 501 else r"\d+ times?"
    assert re.fullmatch(
        rf"job {result.job_id} may still run: its cancel failed {tries}, the last with "
        rf"{status} on .*",
        warning,
    )
    assert set(emu.stats().job_statuses.values()) == {"running"}


async def test_a_trigger_cut_short_before_any_answered_is_looked_for_within_the_grace() -> None:
    """
    The batch gives up before the server (slower than the usual patience of 5 s) has answered
    any trigger: nothing tells how long it takes, so the cut-short trigger's job is looked for
    within all of cancel_grace, found when the server makes it, and cancelled, not left
    running.
    """
    emulator = Emulator(
        connections=1,
        trigger_latency=0.0,
        cancel_latency=0.05,
        sync_duration=(600, 600),
        faults=[{"kind": "latency", "route": "connections/sync", "delay": 6.5}],
    )
    async with emulator as emu, AirbyteClient(emu.url, auth=NoAuth(), env={}) as client:
        [result] = await Orchestrator(client, timeout=0.5, cancel_grace=15.0).run(
            emu.connection_ids
        )

    assert (result.outcome, result.cancel_requested, result.left_running) == (
        Outcome.TIMED_OUT,
        True,
        False,
    )
    assert set(emu.stats().job_statuses.values()) == {"cancelled"}


async def test_triggers_cut_short_whose_jobs_never_appear_are_told_in_one_warning(
    caplog: pytest.LogCaptureFixture,
) -> None:
    """
    The batch gives up while its triggers wait on a server that drops them once their client
    has gone: no job appears within cancel_grace, and each result says its sync may still run
    (left_running); one WARNING names them all, not one per connection.
    """
    emulator = Emulator(
        connections=3,
        trigger_latency=0.0,
        faults=[{"kind": "slow", "route": "connections/sync", "delay": 5.0}],
    )
    async with emulator as emu, AirbyteClient(emu.url, auth=NoAuth(), env={}) as client:
        with caplog.at_level("WARNING", logger="airbyte_async"):
            results = await Orchestrator(client, timeout=0.5, cancel_grace=1.5).run(
                emu.connection_ids
            )

    assert all(r.left_running and r.job_id is None for r in results)
    told = [r.getMessage() for r in caplog.records if "cut short" in r.getMessage()]
    assert len(told) == 1
    assert told[0].startswith("no job found for 3 triggers cut short (")
    assert emu.stats().jobs_created == 0


async def test_looks_for_triggers_cut_short_through_an_outage_warn_at_first_and_when_they_work(
    caplog: pytest.LogCaptureFixture,
) -> None:
    """
    The batch gives up while 20 triggers wait on a server that drops them; heard out for five
    seconds, they are cut short and their jobs looked for, and the server restarts as the
    looks begin: the looks that fail through the outage are told in one warning at the first
    failure, naming how many triggers are looked for, and one when looks work again, not one
    per failed look and connection.
    """
    emulator = Emulator(
        connections=20,
        trigger_latency=0.0,
        record_requests=True,
        faults=[{"kind": "slow", "route": "connections/sync", "delay": 30.0}],
    )
    async with emulator as emu, AirbyteClient(emu.url, auth=NoAuth(), env={}) as client:
        orchestrator = Orchestrator(client, timeout=0.5, cancel_grace=10.0)
        with caplog.at_level("WARNING", logger="airbyte_async"):
            async with anyio.create_task_group() as tg:
                tg.start_soon(orchestrator.run, emu.connection_ids)
                await until(lambda: any(r.route == "/v1/jobs/list" for r in emu.requests))
                await emu.restart(downtime=1.0)

    told = [r.getMessage() for r in caplog.records if "look" in r.getMessage()]
    failed, worked = told
    assert failed.startswith(
        "looking for the jobs of triggers cut short failed (20 triggers), trying again: "
    )
    assert "cannot connect" in failed
    assert re.fullmatch(
        r"looking for the jobs of triggers cut short works again, after \d+ failed looks? "
        r"for \d+\.\d s",
        worked,
    )


@pytest.mark.parametrize("api", ["config", "public"])
async def test_a_client_closed_under_a_running_batch_cancels_its_syncs_first(api: str) -> None:
    """
    A batch left running in a task of its own when its client closes is given up before the
    session goes: the syncs it started are cancelled on the server, and the batch's results
    say why, rather than its requests failing on a closed client with the jobs left running.
    """
    emulator = Emulator(
        airbyte_version="head" if api == "public" else "0.50",
        connections=5,
        trigger_latency=0.0,
        cancel_latency=0.02,
        sync_duration=(600, 600),
    )
    async with emulator as emu, anyio.create_task_group() as tg:
        results: list[Any] = []
        async with AirbyteClient(emu.url, auth=NoAuth(), env={}, api=api) as client:
            orchestrator = Orchestrator(client, poll_interval=0.05)

            async def run() -> None:
                results.extend(await orchestrator.run(emu.connection_ids))

            tg.start_soon(run)
            await until(lambda: emu.stats().jobs_created == 5)
        # The client has closed: the batch ended before it did.
        assert len(results) == 5
    assert {r.outcome for r in results} == {Outcome.CANCELLED}
    assert all(r.cancel_requested for r in results)
    jobs = [job for jobs in emu.stats().jobs_by_connection.values() for job in jobs]
    assert {emu.job_status(job) for job in jobs} == {"cancelled"}


@pytest.mark.parametrize("api", ["config", "public"])
async def test_a_trigger_cut_short_is_heard_out_and_a_job_it_did_not_start_is_not_cancelled(
    api: str,
) -> None:
    """
    A batch given up on while a trigger waits for the server's one scheduler thread hears
    that trigger's answer out (within cancel_grace): a 409, because a sync someone else started
    a second before still runs, leaves that sync running. A look-up by time (Airbyte stamps
    jobs in whole seconds) took it for the trigger's own and cancelled it.
    """
    emulator = Emulator(
        airbyte_version="head" if api == "public" else "0.50",
        connections=2,
        trigger_latency=1.0,
        trigger_capacity=1,
        cancel_latency=0.02,
        sync_duration=(600, 600),
    )
    async with emulator as emu:
        first, busy = emu.connection_ids
        async with AirbyteClient(emu.url, auth=NoAuth(), env={}, api=api) as someone_else:
            theirs = await someone_else.connections.sync(connection_id=busy)
        async with AirbyteClient(emu.url, auth=NoAuth(), env={}, api=api) as client:
            orchestrator = Orchestrator(client)
            # The first trigger holds the thread for a second; the second waits behind it.
            with anyio.move_on_after(0.3):
                await orchestrator.run([first, busy])
        results = orchestrator.results

    assert emu.job_status(theirs.id) in {"pending", "running"}
    assert emu.stats().jobs_by_connection[busy] == [theirs.id]
    assert results[busy].outcome is Outcome.CANCELLED
    assert not results[busy].cancel_requested
    [ours] = emu.stats().jobs_by_connection[first]
    assert emu.job_status(ours) == "cancelled"
    assert results[first].cancel_requested


async def test_stop_cleanup_while_triggers_are_heard_out_ends_the_give_up_there() -> None:
    """
    Stopped while the triggers on their way are heard out (a second Ctrl-C), the give-up waits
    no longer, neither for their answers nor to look for and cancel their jobs: those
    connections are reported as possibly running a sync.
    """
    clock = ManualClock()  # never moved: the triggers' answers never come
    emulator = Emulator(connections=2, clock=clock, trigger_latency=1.0, sync_duration=(60, 60))
    stopped: list[bool] = []
    async with (
        emulator as emu,
        AirbyteClient(emu.url, auth=NoAuth(), env={}, api="config") as client,
    ):
        orchestrator = Orchestrator(client)
        with anyio.fail_after(10):  # not the hear-out's 5 s plus the look-ups' 25
            async with orchestrator.stream(emu.connection_ids) as batch:
                await until(lambda: emu.stats().jobs_created == 2)
                stopped.append(batch.stop_cleanup())  # not giving up yet: nothing to stop
                batch._hear_out(orchestrator.cancel_grace)  # as a give-up does, first
                stopped.append(batch.stop_cleanup())
    assert stopped == [False, True]
    results = list(orchestrator.results.values())
    assert [r.left_running for r in results] == [True, True]
    assert not any(r.cancel_requested for r in results)


def _held_triggers(api: str, connections: int, clock: ManualClock, **options: Any) -> Emulator:
    """
    An emulator of *api*'s version whose triggers answer only when *clock* is moved a second
    (cancels at once, syncs of ten minutes): a trigger is on its way for as long as the test
    wants, however busy the machine.
    """
    return Emulator(
        airbyte_version="head" if api == "public" else "0.50",
        connections=connections,
        clock=clock,
        trigger_latency=1.0,
        cancel_latency=0.0,
        sync_duration=(600, 600),
        record_requests=True,
        **options,
    )


def _held(emu: Emulator) -> int:
    """Triggers the server holds now (each waits for the clock from its arrival on)."""
    return emu.stats().trigger_timeline[-1][1]


def _job_ids(emu: Emulator) -> list[int]:
    return [job for jobs in emu.stats().jobs_by_connection.values() for job in jobs]


def _cancels(emu: Emulator) -> int:
    """Cancels the emulator received (the public API's are DELETEs of ``/jobs/{jobId}``)."""
    return sum(
        r.route == "/v1/jobs/cancel" or (r.method == "DELETE" and r.route.endswith("/{jobId}"))
        for r in emu.requests
    )


class _Run:
    """A batch run in a task of its own, in a scope the test cancels to give it up."""

    def __init__(self, orchestrator: Orchestrator, ids: list[str]) -> None:
        self.orchestrator, self.ids = orchestrator, ids
        self.scope = anyio.CancelScope()
        self.batches: list[Batch] = []
        #: The job of each connection whose trigger answered.
        self.triggered: dict[str, int] = {}
        orchestrator.on_event = self.note

    def note(self, event: SyncEvent) -> None:
        if event.kind is EventKind.TRIGGERED and event.job is not None:
            self.triggered[event.target.connection_id] = event.job.id

    async def __call__(self) -> None:
        with self.scope:
            async with self.orchestrator.stream(self.ids) as batch:
                self.batches.append(batch)
                async for _ in batch:
                    pass

    def in_flight(self) -> int:
        """Triggers on their way (none before the batch began)."""
        return self.batches[0].triggers_in_flight if self.batches else 0


@pytest.mark.parametrize("api", ["config"])
async def test_running_jobs_are_cancelled_at_the_give_up_while_slow_triggers_are_heard_out(
    api: str,
) -> None:
    """
    Given up on while two of its jobs run and a third trigger is still on its way, the batch
    cancels the two running jobs at once, not once the trigger is heard out; the trigger's job
    is cancelled when its answer comes. Each job is cancelled once, none triggered twice.
    """
    clock = ManualClock()
    emulator = _held_triggers(api, 3, clock)
    async with emulator as emu, AirbyteClient(emu.url, auth=NoAuth(), env={}, api=api) as client:
        orchestrator = Orchestrator(
            client, max_triggers=2, adaptive_triggers=False, poll_interval=0.05
        )
        run = _Run(orchestrator, emu.connection_ids)
        async with anyio.create_task_group() as tg:
            tg.start_soon(run)
            await until(lambda: _held(emu) == 2)
            clock.advance(1.0)  # the first two answer, the third is sent
            await until(lambda: len(run.triggered) == 2 and _held(emu) == 1)
            run.scope.cancel()
            still_heard_out = await _in_flight_once_triggered_jobs_are_cancelled(run, emu)
            clock.advance(1.0)  # the third answers

    assert still_heard_out == 1
    _each_cancelled_once(emu, orchestrator, 3)


@pytest.mark.parametrize("api", ["config"])
async def test_a_trigger_answering_after_the_give_up_has_its_job_cancelled_as_it_answers(
    api: str,
) -> None:
    """
    Given up on while three triggers wait on a server with two scheduler threads, the batch
    hears them out: the two answered first have their jobs cancelled as their answers come,
    while the third, which waited for a thread, is still on its way; its job is cancelled
    when it answers in turn.
    """
    clock = ManualClock()
    emulator = _held_triggers(api, 3, clock, trigger_capacity=2)
    async with emulator as emu, AirbyteClient(emu.url, auth=NoAuth(), env={}, api=api) as client:
        orchestrator = Orchestrator(
            client, max_triggers=3, adaptive_triggers=False, poll_interval=0.05
        )
        run = _Run(orchestrator, emu.connection_ids)
        async with anyio.create_task_group() as tg:
            tg.start_soon(run)
            await until(lambda: emu.stats().max_in_flight_syncs == 3)
            run.scope.cancel()
            clock.advance(1.0)  # two answer; the third gets a thread
            await until(lambda: len(run.triggered) == 2)
            still_heard_out = await _in_flight_once_triggered_jobs_are_cancelled(run, emu)
            clock.advance(1.0)  # the third answers

    assert still_heard_out == 1
    _each_cancelled_once(emu, orchestrator, 3)


async def test_fail_fast_cancels_the_running_jobs_at_once_while_a_trigger_is_heard_out() -> None:
    """
    A sync fails under fail_fast while another runs and a third trigger is on its way: the
    running job is cancelled at once, not once the trigger is heard out, and the trigger's job
    when its answer comes; the failed sync is reported failed, the other two stopped. (The
    Config API's trigger answers once its job runs, API-FACTS 6.3b: the third is still held
    when the first sync fails. On head's public API it answers as the others' jobs start.)
    """
    clock = ManualClock()
    emulator = _held_triggers("config", 3, clock)
    async with emulator as emu, AirbyteClient(emu.url, auth=NoAuth(), env={}) as client:
        failing, running, slow = emu.connection_ids
        emu.set_sync_plan(failing, duration=0.5, outcome="failed")
        orchestrator = Orchestrator(
            client, max_triggers=2, adaptive_triggers=False, poll_interval=0.05, fail_fast=True
        )
        run = _Run(orchestrator, emu.connection_ids)
        async with anyio.create_task_group() as tg:
            tg.start_soon(run)
            await until(lambda: _held(emu) == 2)
            clock.advance(1.0)  # the first two answer and run, the third is sent
            await until(lambda: len(run.triggered) == 2 and _held(emu) == 1)
            clock.advance(0.5)  # the failing sync fails; the third trigger is still held
            await until(lambda: emu.job_status(run.triggered[running]) == "cancelled")
            still_heard_out = run.in_flight()
            clock.advance(0.5)  # the third answers

    assert still_heard_out == 1
    results = orchestrator.results
    assert results[failing].outcome is Outcome.FAILED
    for cid in (running, slow):
        assert (results[cid].outcome, results[cid].cancel_requested) == (Outcome.CANCELLED, True)
        assert emu.job_status(results[cid].job_id or 0) == "cancelled"
    assert _cancels(emu) == 2


async def test_an_answer_heard_out_is_read_before_its_job_is_cancelled() -> None:
    """
    Given up on while a trigger's answer is on its way late (a loaded proxy: the answer is as
    old as the request), the answer's job has ended meanwhile and someone else has started a
    sync on the connection. The answer is read again before its cancel: the job is reported as
    it ended and the other sync is not cancelled (API-FACTS 6.3b: ``jobs/cancel`` stops the
    connection's current job, whatever id is sent).
    """
    late = {"kind": "late", "route": "connections/sync", "delay": 3.0, "times": 1}
    emulator = Emulator(
        connections=1, trigger_latency=0.0, sync_duration=(0.05, 0.05), faults=[late]
    )
    async with emulator as emu, AirbyteClient(emu.url, auth=NoAuth(), env={}) as client:
        [cid] = emu.connection_ids
        orchestrator = Orchestrator(client, poll_interval=0.05)
        run = _Run(orchestrator, [cid])
        async with anyio.create_task_group() as tg:
            tg.start_soon(run)
            await until(lambda: emu.stats().jobs_created == 1)
            run.scope.cancel()
            [ours] = _job_ids(emu)
            await until(lambda: emu.job_status(ours) == "succeeded")
            emu.set_sync_plan(cid, duration=600)
            theirs = (await client.connections.sync(connection_id=cid)).id

    [result] = orchestrator.results.values()
    assert (result.outcome, result.job_id, result.cancel_requested) == (
        Outcome.SUCCEEDED,
        ours,
        False,
    )
    assert emu.job_status(theirs) == "running"


async def test_stop_cleanup_after_a_batch_that_ended_by_itself_says_nothing_was_given_up() -> None:
    """A batch whose syncs all ended gave nothing up: stop_cleanup() afterwards says False."""
    async with (
        Emulator(connections=2, trigger_latency=0.0, sync_duration=(0.1, 0.1)) as emu,
        AirbyteClient(emu.url, auth=NoAuth(), env={}, api="config") as client,
    ):
        orchestrator = Orchestrator(client)
        with anyio.fail_after(10):
            async with orchestrator.stream(emu.connection_ids) as batch:
                async for _ in batch:
                    pass
    assert [r.outcome for r in orchestrator.results.values()] == [Outcome.SUCCEEDED] * 2
    assert batch.stop_cleanup() is False


async def test_jobs_answered_pending_at_the_give_up_are_cancelled_once_they_run() -> None:
    """
    Given up on as head's public triggers answer, their jobs pending (``POST /jobs`` answers
    once the job exists, API-FACTS 6.3), the batch's first cancels are not heard: Airbyte's
    workflow ignores a cancel until an attempt runs (``ConnectionManagerWorkflowImpl.cancelJob``
    returns unless ``workflowState.isRunning``, set by ``reportJobStarting``). The batch sends
    each cancel again once its job runs, and every job ends cancelled, none left running.
    (The two tests above need a trigger still on its way while jobs run, which the public
    API's trigger, answering before its job runs, does not give with the clock held.)
    """
    clock = ManualClock()
    emulator = _held_triggers("public", 3, clock)
    async with (
        emulator as emu,
        AirbyteClient(emu.url, auth=NoAuth(), env={}, api="public") as client,
    ):
        orchestrator = Orchestrator(
            client, max_triggers=3, adaptive_triggers=False, poll_interval=0.05
        )
        run = _Run(orchestrator, emu.connection_ids)
        async with anyio.create_task_group() as tg:
            tg.start_soon(run)
            await until(lambda: _held(emu) == 3)
            clock.advance(1.0)  # the jobs exist, pending; the triggers answer
            await until(lambda: len(run.triggered) == 3)
            run.scope.cancel()
            await until(lambda: _cancels(emu) >= 3)
            assert {emu.job_status(j) for j in run.triggered.values()} == {"pending"}
            clock.advance(1.0)  # the jobs run
            await _in_flight_once_triggered_jobs_are_cancelled(run, emu)

    results = list(orchestrator.results.values())
    assert [(r.outcome, r.cancel_requested, r.left_running) for r in results] == [
        (Outcome.CANCELLED, True, False)
    ] * 3


def _each_cancelled_once(emu: Emulator, orchestrator: Orchestrator, jobs: int) -> None:
    """The batch's *jobs* jobs all ended cancelled, by one cancel each, and say so."""
    assert [emu.job_status(job) for job in _job_ids(emu)] == ["cancelled"] * jobs
    assert _cancels(emu) == jobs
    results = list(orchestrator.results.values())
    assert [(r.outcome, r.cancel_requested, r.left_running) for r in results] == [
        (Outcome.CANCELLED, True, False)
    ] * jobs


async def _in_flight_once_triggered_jobs_are_cancelled(run: _Run, emu: Emulator) -> int:
    """Wait until every job *run* saw triggered is cancelled; the triggers still in flight."""
    await until(lambda: all(emu.job_status(j) == "cancelled" for j in run.triggered.values()))
    return run.in_flight()


async def test_a_trigger_cut_short_whose_job_ended_is_not_taken_for_a_later_one() -> None:
    """
    The batch gives up on a trigger whose answer never comes; by the time its job is looked
    for, that job has ended and another client's sync runs. The look takes the trigger's own
    job, the oldest since it was sent (a connection runs one job at a time, API-FACTS 6.3), and
    the other client's sync is left alone.
    """
    emulator = Emulator(
        connections=1,
        trigger_latency=0.0,
        sync_duration=(4.0, 4.0),
        faults=[{"kind": "hang_after", "route": "connections/sync", "times": 1}],
    )
    async with (
        emulator as emu,
        AirbyteClient(emu.url, auth=NoAuth(), env={}) as client,
        AirbyteClient(emu.url, auth=NoAuth(), env={}) as other,
    ):
        [cid] = emu.connection_ids

        async def sync_once_the_first_ended() -> None:
            await until(lambda: bool(emu.stats().jobs_by_connection.get(cid)))
            await other.jobs.wait(job_id=emu.stats().jobs_by_connection[cid][0], poll_interval=0.05)
            await other.connections.sync(connection_id=cid)

        async with anyio.create_task_group() as tg:
            tg.start_soon(sync_once_the_first_ended)
            [result] = await Orchestrator(client, timeout=0.5, cancel_grace=15.0).run([cid])

    first, second = emu.stats().jobs_by_connection[cid]
    assert result.job_id == first
    assert emu.stats().job_statuses[second] != "cancelled"


@pytest.mark.parametrize("api", ["config", "public"])
async def test_a_job_that_ends_while_its_cancel_waits_for_an_answer_is_reported_as_it_ended(
    api: str,
) -> None:
    """
    The batch times out while a job runs, and the cancel answers only after the cleanup's
    time (a loaded server): the job, which ended on its own meanwhile, is read while the
    cancel waits, and reported succeeded, not as one that may still run.
    """
    slow_cancel = {"kind": "latency", "delay": 30.0}
    slow_cancel |= (
        {"route": "jobs/cancel"}
        if api == "config"
        else {"route": "/public/v1/jobs/*", "method": "DELETE"}
    )
    emulator = Emulator(
        airbyte_version="head" if api == "public" else "0.50",
        connections=1,
        trigger_latency=0.0,
        sync_duration=(1.5, 1.5),
        faults=[slow_cancel],
    )
    async with emulator as emu, AirbyteClient(emu.url, auth=NoAuth(), env={}, api=api) as client:
        orchestrator = Orchestrator(client, timeout=0.5, cancel_grace=6.0, poll_interval=0.05)
        [result] = await orchestrator.run(emu.connection_ids)

    assert (result.outcome, result.left_running) == (Outcome.SUCCEEDED, False)
