"""
``adopt_since`` and a previous try's triggers that the server runs late: Airbyte runs
``connections/sync`` and ``jobs/cancel`` on its scheduler executor
(``@ExecuteOn(AirbyteTaskExecutors.SCHEDULER)`` in airbyte-platform's ConnectionApiController and
JobsApiController, 25 threads by default; the emulator's ``trigger_capacity``), where a queued
trigger still runs after its client is gone (``test_fidelity_triggers``). A previous try's
trigger may so start its sync after the retry's look, and the retry's own trigger, queued
behind it, start a second sync once the first ended, with no 409 to tell.
"""

from __future__ import annotations

import datetime as dt
import logging
import uuid
from collections.abc import AsyncIterator, Callable
from contextlib import AsyncExitStack
from typing import Any

import anyio
import pytest
from client_support import requests_to, started, until
from test_orchestrator import Start, _orchestrator

from airbyte_async import AirbyteClient, NoAuth
from airbyte_async.orchestrator import EventKind, Outcome, SyncEvent, SyncResult
from airbyte_async.testing import Emulator, Fault

pytestmark = pytest.mark.anyio


@pytest.fixture(params=["config", "public", "public@2.0"])
async def start(request: pytest.FixtureRequest) -> AsyncIterator[Start]:
    """Starts an emulator and a client of its Config API (0.50) or public API (head, or 2.0)."""
    api = request.param
    async with AsyncExitStack() as stack:

        async def start(**options: Any) -> tuple[Emulator, AirbyteClient]:
            return await started(stack, api=api, **options)

        yield start


async def _retry_meeting_a_late_trigger(
    emu: Emulator,
    client: AirbyteClient,
    *,
    second: float,
    faults: tuple[Fault, ...] = (),
    **options: Any,
) -> tuple[SyncResult, int]:
    """
    A retry (adopt_since) of one connection whose own trigger the server holds while a
    previous try's trigger, run late, starts a sync that ends at once; the retry's trigger then
    starts a sync of *second* seconds (*faults* besides). The retry's result, and the previous
    try's job.
    """
    (cid,) = emu.connection_ids
    route = "connections/sync" if client.api == "config" else "/public/v1/jobs"

    def received() -> bool:
        return any(r.method == "POST" and r.route.endswith(route) for r in emu.requests)

    held = Fault(kind="latency", route=route, method="POST", delay=1.5, times=1)
    emu.set_faults([held, *faults])
    emu.set_sync_plan(cid, duration=0.0)
    since = dt.datetime.now(dt.UTC).replace(microsecond=0)
    with anyio.fail_after(30):
        async with _orchestrator(client, **options).stream([cid], adopt_since=since) as batch:
            await until(received)
            async with AirbyteClient(emu.url, auth=NoAuth(), env={}, api=client.api) as previous:
                late = await previous.connections.sync(connection_id=cid)
                await previous.jobs.wait(job_id=late.id, poll_interval=0.01)
            emu.set_sync_plan(cid, duration=second)
            [result] = [r async for r in batch]
    return result, late.id


async def test_a_second_sync_after_a_late_trigger_is_cancelled_and_the_first_adopted(
    start: Start, caplog: pytest.LogCaptureFixture
) -> None:
    """The retry's trigger starts a sync after the previous try's late one ended: that second
    sync is cancelled on the server, the previous try's is the result (adopted, succeeded),
    the result names the cancelled job, and one warning tells it."""
    emu, client = await start(connections=1, record_requests=True)
    (cid,) = emu.connection_ids

    result, late = await _retry_meeting_a_late_trigger(emu, client, second=5.0)

    [first, second] = emu.stats().jobs_by_connection[cid]
    assert first == late
    assert (emu.job_status(late), emu.job_status(second)) == ("succeeded", "cancelled")
    assert (result.job_id, result.outcome, result.adopted) == (late, Outcome.SUCCEEDED, True)
    assert (result.duplicate_job_id, result.error, result.left_running) == (second, None, False)
    assert result.to_json()["duplicate_job_id"] == second
    [warning] = [r for r in caplog.records if "repeated a previous try's" in r.getMessage()]
    assert warning.levelno == logging.WARNING and f"job {second} of job {late}" in warning.message


async def test_a_second_sync_that_ended_before_it_could_be_cancelled_is_told(
    start: Start,
) -> None:
    """The retry's second sync ends at once, before its cancel could stop it: the result, the
    previous try's job, says this try's job synced the connection a second time."""
    emu, client = await start(connections=1, record_requests=True)
    (cid,) = emu.connection_ids

    result, late = await _retry_meeting_a_late_trigger(emu, client, second=0.0)

    [_, second] = emu.stats().jobs_by_connection[cid]
    assert (result.job_id, result.adopted) == (late, True)
    assert result.duplicate_job_id == second
    assert "synced twice" in (result.error or "") and f"job {second}" in (result.error or "")
    assert emu.job_status(second) == "succeeded"


async def test_a_second_sync_whose_cancel_fails_is_reported_left_running(start: Start) -> None:
    """The cancel of the retry's second sync keeps failing (500) until cancel_grace: the result
    says that job may still run (left_running), and names it."""
    emu, client = await start(connections=1, record_requests=True)
    (cid,) = emu.connection_ids
    if client.api == "config":
        failing = Fault(kind="error", route="jobs/cancel", status=500)
    else:
        failing = Fault(kind="error", route="/public/v1/jobs/{jobId}", method="DELETE", status=500)

    result, late = await _retry_meeting_a_late_trigger(
        emu, client, second=10.0, faults=(failing,), cancel_grace=1.0
    )

    [_, second] = emu.stats().jobs_by_connection[cid]
    assert (result.job_id, result.left_running) == (late, True)
    assert result.duplicate_job_id == second
    assert "may still run" in (result.error or "")
    assert emu.job_status(second) == "running"


async def test_a_retry_right_after_a_try_cut_short_syncs_each_connection_once() -> None:
    """
    The audit's case in small: one scheduler thread (0.2 s a trigger), 10 connections whose
    syncs last 0.3 s; a first try cancelled at its first job, whose cleanup (cancel_grace
    0.5 s) leaves triggers queued on the server, and a retry at once with adopt_since. The
    first try's triggers run after the retry's look, their syncs ending before the retry's
    triggers, queued behind them, would run (and before a cancel would). The retry's probe,
    answered once the queue before it was taken, lets its second look adopt them: no
    connection syncs twice, and none gets a second sync started at all.
    """
    server = Emulator(
        connections=10,
        trigger_capacity=1,
        trigger_latency=0.2,
        cancel_latency=0.05,
        sync_duration=(0.3, 0.3),
    )
    async with server as emu, AirbyteClient(emu.url, auth=NoAuth(), env={}) as client:
        since = dt.datetime.now(dt.UTC).replace(microsecond=0)
        first_try = _orchestrator(
            client, max_triggers=10, adaptive_triggers=False, cancel_grace=0.5
        )
        async with anyio.create_task_group() as tg:
            tg.start_soon(first_try.run, emu.connection_ids)
            await until(lambda: emu.stats().jobs_created >= 1)
            tg.cancel_scope.cancel()
        retry = _orchestrator(client, max_triggers=5, adaptive_triggers=False)
        results = await retry.run(emu.connection_ids, adopt_since=since)
        stats = emu.stats()

    for jobs in stats.jobs_by_connection.values():
        [succeeded] = [j for j in jobs if stats.job_statuses[j] == "succeeded"]
        assert jobs[jobs.index(succeeded) + 1 :] == []  # no second sync started after it
    assert all(r.ok and r.duplicate_job_id is None for r in results)


@pytest.mark.parametrize("adopt", [True, False], ids=["adopt_since", "none"])
async def test_only_a_batch_with_adopt_since_waits_for_its_first_trigger(adopt: bool) -> None:
    """With adopt_since, a batch with several connections to trigger sends one trigger (the
    last connection's), and the others only once it was answered: the server holds one trigger,
    then none, then the rest. Without, it sends them all at once."""
    options = {"connections": 3, "trigger_latency": 1.0, "trigger_capacity": None}
    async with Emulator(**options, record_requests=True) as emu:
        async with AirbyteClient(emu.url, auth=NoAuth(), env={}) as client:
            since = dt.datetime.now(dt.UTC) if adopt else None
            results = await _orchestrator(client).run(emu.connection_ids, adopt_since=since)
        stats = emu.stats()

    assert all(r.ok and not r.adopted for r in results)
    in_flight = [count for _, count in stats.trigger_timeline]
    if adopt:
        assert in_flight[:3] == [0, 1, 0] and max(in_flight) == 2
        first = next(r for r in emu.requests if r.route.endswith("connections/sync"))
        assert first.body["connectionId"] == emu.connection_ids[-1]
    else:
        assert max(in_flight) == 3


@pytest.mark.parametrize("adopt", [True, False], ids=["adopt_since", "none"])
async def test_only_a_batch_with_adopt_since_checks_each_triggered_sync(adopt: bool) -> None:
    """With adopt_since, each connection the batch triggers costs one jobs/list page (none for
    the adopted one); without it, no batch sends one (head lists workspaces' jobs otherwise)."""
    options = {"connections": 3, "sync_duration": (0.05, 0.1), "airbyte_version": "head"}
    async with Emulator(**options) as emu, AirbyteClient(emu.url, auth=NoAuth(), env={}) as client:
        since = dt.datetime.now(dt.UTC)
        job = await client.connections.sync(connection_id=emu.connection_ids[0])
        await client.jobs.wait(job_id=job.id, poll_interval=0.01)
        await anyio.sleep(emu.wrap_up)  # a trigger before is refused, and looks (test_reconcile)
        emu.reset_stats()
        results = await _orchestrator(client).run(
            emu.connection_ids, adopt_since=since if adopt else None
        )

    assert all(r.ok for r in results)
    assert requests_to(emu, "jobs/list") == (2 if adopt else 0)


async def test_a_batch_given_up_while_it_looks_again_cancels_the_probes_sync() -> None:
    """The batch is given up on while its second look (after the probe's answer) is held: the
    probe's sync is cancelled and its result says so; no other connection was triggered."""
    options = {"connections": 3, "sync_duration": (30.0, 30.0), "airbyte_version": "head"}
    async with Emulator(**options, record_requests=True) as emu:
        async with AirbyteClient(emu.url, auth=NoAuth(), env={}) as client:
            since = dt.datetime.now(dt.UTC)
            looks = "jobs/list_for_workspaces"

            def looked_twice() -> bool:
                requests = emu.requests
                return (
                    sum(r.route.endswith(looks) and "createdAtStart" in r.body for r in requests)
                    >= 2
                )

            async with _orchestrator(client).stream(emu.connection_ids, adopt_since=since) as b:
                await until(lambda: emu.stats().jobs_created == 1)
                emu.set_faults([Fault(kind="latency", route=looks, delay=3.0, times=1)])
                await until(looked_twice)
        stats = emu.stats()

    [(probe, [job])] = stats.jobs_by_connection.items()
    assert probe == emu.connection_ids[-1] and emu.job_status(job) == "cancelled"
    assert (b.results[probe].outcome, b.results[probe].job_id) == (Outcome.CANCELLED, job)


async def test_a_probe_that_fails_leaves_the_others_triggered() -> None:
    """The probe's trigger fails (the last connection is unknown to the server: 404): the
    batch triggers the other connections anyway, and the probe's result tells its error."""
    options = {"connections": 2, "sync_duration": (0.05, 0.1), "airbyte_version": "head"}
    async with Emulator(**options) as emu, AirbyteClient(emu.url, auth=NoAuth(), env={}) as client:
        since = dt.datetime.now(dt.UTC)
        ids = [*emu.connection_ids, str(uuid.uuid4())]
        results = await _orchestrator(client).run(ids, adopt_since=since)

    assert [r.outcome for r in results] == [Outcome.SUCCEEDED, Outcome.SUCCEEDED, Outcome.ERROR]
    assert not any(r.adopted for r in results)


@pytest.mark.parametrize("api", ["config", "public", "public@2.0"])
@pytest.mark.parametrize("max_running", [10, 2], ids=["workers-to-spare", "workers-held"])
async def test_an_adopted_sync_a_previous_trys_queued_cancel_stops_is_triggered_again(
    api: str, max_running: int
) -> None:
    """
    The audit's case: one scheduler thread, so the cancels a first try's cleanup sends for its
    syncs (cancel_grace 0.5 s) wait behind its own queued triggers, time out, and run after
    the retry's first look has adopted those syncs, still running. The retry's second look,
    after its probe was answered (first come first served: the cancels queued before it ran),
    sees them cancelled (not by the retry): their connections are triggered again; so are
    those whose cancel lands before the probe is sent, every worker (max_running 2) held by
    adopted syncs. Every connection ends synced by the job its result names.
    """
    async with AsyncExitStack() as stack:
        emu, client = await started(
            stack,
            api=api,
            connections=6,
            trigger_capacity=1,
            trigger_latency=0.3,
            cancel_latency=0.05,
            sync_duration=(2.0, 2.0),
        )
        since = dt.datetime.now(dt.UTC).replace(microsecond=0)
        first_try = _orchestrator(client, max_triggers=6, adaptive_triggers=False, cancel_grace=0.5)
        async with anyio.create_task_group() as tg:
            tg.start_soon(first_try.run, emu.connection_ids)
            await until(lambda: emu.stats().jobs_created >= 2)
            tg.cancel_scope.cancel()
        retry = _orchestrator(
            client, max_triggers=6, adaptive_triggers=False, max_running=max_running
        )
        with anyio.fail_after(60):
            results = await retry.run(emu.connection_ids, adopt_since=since)
        stats = emu.stats()

    assert [r.outcome for r in results] == [Outcome.SUCCEEDED] * 6
    for result in results:
        jobs = stats.jobs_by_connection[result.connection_id]
        # A second sync _second_sync stopped may follow it (the previous try's late trigger).
        assert [j for j in jobs if j != result.duplicate_job_id][-1] == result.job_id


async def test_an_adopted_sync_cancelled_after_the_look_made_again_is_not_run_again(
    start: Start,
) -> None:
    """An adopted sync someone cancels once the retry's probe was answered and its second look
    made (the other connections triggered): its result is that cancel, and the connection is
    not triggered again."""
    emu, client = await start(connections=3)
    adopted_cid = emu.connection_ids[0]
    since = dt.datetime.now(dt.UTC)
    emu.set_sync_plan(adopted_cid, duration=30.0)
    adopted = (await client.connections.sync(connection_id=adopted_cid)).id
    for cid in emu.connection_ids[1:]:
        emu.set_sync_plan(cid, duration=0.05)

    with anyio.fail_after(30):
        async with _orchestrator(client).stream(emu.connection_ids, adopt_since=since) as batch:
            await until(lambda: emu.stats().jobs_created == 3)
            await client.jobs.cancel(job_id=adopted)
            results = {r.connection_id: r async for r in batch}

    assert (results[adopted_cid].job_id, results[adopted_cid].outcome) == (
        adopted,
        Outcome.CANCELLED,
    )
    assert emu.stats().jobs_by_connection[adopted_cid] == [adopted]


async def _previous_syncs(
    emu: Emulator, client: AirbyteClient, *durations: float
) -> dict[str, int]:
    """A previous try's sync of every connection, running, each of its duration in seconds (in
    the order of the connections); its job, by connection."""
    jobs = {}
    for cid, duration in zip(emu.connection_ids, durations, strict=True):
        emu.set_sync_plan(cid, duration=duration)
        jobs[cid] = (await client.connections.sync(connection_id=cid)).id
    await until(lambda: all(emu.job_status(job) == "running" for job in jobs.values()))
    return jobs


def _adopted(events: list[SyncEvent]) -> Callable[[SyncEvent], None]:
    """An on_event hook that keeps the adopted events in *events*."""

    def on_event(event: SyncEvent) -> None:
        if event.kind is EventKind.ADOPTED:
            events.append(event)

    return on_event


async def test_an_adopted_sync_cancelled_late_in_a_batch_with_nothing_to_trigger_runs_again(
    start: Start,
) -> None:
    """
    Every connection of the retry is adopted, so it sends no probe: a cancel the retry did
    not send (the previous try's give-up's, queued on the scheduler's threads) that stops an
    adopted sync once it was adopted is taken as the previous try's, as before a probe: the
    connection is triggered again, once, and its result is that sync's, not ``cancelled``.
    The other adopted sync is left as it is.
    """
    emu, client = await start(connections=2)
    stopped, other = emu.connection_ids
    since = dt.datetime.now(dt.UTC)
    jobs = await _previous_syncs(emu, client, 30.0, 1.0)
    adopted: list[SyncEvent] = []

    with anyio.fail_after(30):
        orchestrator = _orchestrator(client, on_event=_adopted(adopted))
        async with orchestrator.stream(emu.connection_ids, adopt_since=since) as batch:
            await until(lambda: len(adopted) == 2)
            emu.set_sync_plan(stopped, duration=0.05)
            await client.jobs.cancel(job_id=jobs[stopped])
            results = {r.connection_id: r async for r in batch}

    runs = emu.stats().jobs_by_connection
    [old, new] = runs[stopped]
    assert (old, emu.job_status(old)) == (jobs[stopped], "cancelled")
    assert (results[stopped].outcome, results[stopped].job_id) == (Outcome.SUCCEEDED, new)
    assert (results[other].outcome, results[other].job_id) == (Outcome.SUCCEEDED, jobs[other])
    assert results[other].adopted and runs[other] == [jobs[other]]


async def test_adopted_syncs_the_previous_trys_queued_cancels_stop_each_run_again_once(
    start: Start,
) -> None:
    """
    Every connection adopted, and the previous try's cancels of both syncs queued on one
    scheduler thread (first come first served): the first to land has its connection
    triggered again, and that trigger, queued behind the second cancel, is the probe after
    which the look made again sees the second sync cancelled too. Each connection is triggered
    again once, and both end synced.
    """
    emu, client = await start(connections=2, trigger_capacity=1, cancel_latency=0.5)
    since = dt.datetime.now(dt.UTC)
    jobs = await _previous_syncs(emu, client, 30.0, 30.0)
    adopted: list[SyncEvent] = []

    async def cancel(job_id: int) -> None:
        async with AirbyteClient(emu.url, auth=NoAuth(), env={}, api=client.api) as previous:
            await previous.jobs.cancel(job_id=job_id)

    def held(cancels: int) -> Callable[[], bool]:
        return lambda: emu.stats().cancels_in_flight == cancels

    with anyio.fail_after(30):
        orchestrator = _orchestrator(client, on_event=_adopted(adopted))
        async with orchestrator.stream(emu.connection_ids, adopt_since=since) as batch:
            await until(lambda: len(adopted) == 2)
            for cid in emu.connection_ids:
                emu.set_sync_plan(cid, duration=0.05)
            async with anyio.create_task_group() as tg:
                for n, job in enumerate(jobs.values(), 1):
                    tg.start_soon(cancel, job)
                    await until(held(n))  # sent in this order
            results = [r async for r in batch]

    runs = emu.stats().jobs_by_connection
    assert all(r.ok and not r.adopted for r in results)
    for result in results:
        old, new = runs[result.connection_id]
        assert (old, emu.job_status(old), result.job_id) == (
            jobs[result.connection_id],
            "cancelled",
            new,
        )


async def test_an_adopted_sync_cancelled_after_the_late_probes_look_is_not_run_again() -> None:
    """
    Every connection adopted: once the connection triggered again after a late cancel has
    been answered and the look made again, a cancel of another adopted sync is someone
    else's, not a previous try's (those queued before that trigger have run): its result is
    that cancel, and its connection is not triggered again.
    """
    options = {"connections": 3, "airbyte_version": "head", "trigger_latency": 0.02}
    async with Emulator(**options, record_requests=True) as emu:
        async with AirbyteClient(emu.url, auth=NoAuth(), env={}) as client:
            late, kept, other = emu.connection_ids
            since = dt.datetime.now(dt.UTC)
            jobs = await _previous_syncs(emu, client, 30.0, 30.0, 1.0)
            adopted: list[SyncEvent] = []

            def looked_twice() -> bool:
                # The look lists resets too (they undo an adopted sync); the polls, syncs only.
                looks = [
                    r
                    for r in emu.requests
                    if r.route.endswith("jobs/list_for_workspaces")
                    and "reset_connection" in r.body["configTypes"]
                ]
                return len(looks) >= 2

            with anyio.fail_after(30):
                orchestrator = _orchestrator(client, on_event=_adopted(adopted))
                async with orchestrator.stream(emu.connection_ids, adopt_since=since) as batch:
                    await until(lambda: len(adopted) == 3)
                    emu.set_sync_plan(late, duration=0.05)
                    await client.jobs.cancel(job_id=jobs[late])
                    await until(looked_twice)
                    await client.jobs.cancel(job_id=jobs[kept])
                    results = {r.connection_id: r async for r in batch}
        runs = emu.stats().jobs_by_connection

    assert (results[late].outcome, len(runs[late])) == (Outcome.SUCCEEDED, 2)
    assert (results[kept].outcome, results[kept].job_id) == (Outcome.CANCELLED, jobs[kept])
    assert results[kept].adopted and runs[kept] == [jobs[kept]]
    assert (results[other].outcome, runs[other]) == (Outcome.SUCCEEDED, [jobs[other]])
