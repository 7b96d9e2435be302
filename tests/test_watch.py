"""
The orchestrator's seam on the Config API (light listings, batch reads), and a watcher that never
loses a job: snapshots older than its window, late answers at every point.
"""

from __future__ import annotations

import datetime as dt
import re
import time
from collections.abc import AsyncIterator

import anyio
import attrs
import pytest
from client_support import FastClock, client_for, requests_to, until

from airbyte_async import AirbyteClient, NoAuth, _watch
from airbyte_async._backend import SyncBackend
from airbyte_async._watch import JobWatcher, Watch
from airbyte_async.errors import APIError
from airbyte_async.models import Job, JobStatus
from airbyte_async.models._jobs import SYNC_TYPES
from airbyte_async.orchestrator import EventKind, Orchestrator, Outcome, SyncEvent, SyncResult
from airbyte_async.resources._backend import ConfigBackend
from airbyte_async.testing import Emulator, Fault
from airbyte_async.testing.pytest_plugin import TEST_TRIGGER_LATENCY

pytestmark = pytest.mark.anyio

#: How much faster than real time the emulator's clock runs where a test needs server seconds
#: to pass (stamps and ``Date`` are whole seconds); a fault's delay stays real time.
RATE = 10.0


@pytest.fixture
async def emu() -> AsyncIterator[Emulator]:
    async with Emulator(
        connections=4, sync_duration=(0.05, 0.1), trigger_latency=TEST_TRIGGER_LATENCY
    ) as emu:
        yield emu


@pytest.fixture
async def fast_emu() -> AsyncIterator[Emulator]:
    """Three connections on a clock :data:`RATE` times faster than real time."""
    async with Emulator(connections=3, sync_duration=(0.05, 0.1), clock=FastClock(RATE)) as emu:
        yield emu


@pytest.fixture
async def client(emu: Emulator) -> AsyncIterator[AirbyteClient]:
    async with AirbyteClient(emu.url, auth=NoAuth(), env={}) as client:
        yield client


@pytest.fixture
async def fast_client(fast_emu: Emulator) -> AsyncIterator[AirbyteClient]:
    async with client_for(fast_emu) as client:
        yield client


def _backend(client: AirbyteClient) -> ConfigBackend:
    return ConfigBackend(client.connections, client.jobs)


async def _ended(client: AirbyteClient, job_id: int) -> None:
    with anyio.fail_after(10):
        await client.jobs.wait(job_id=job_id, poll_interval=0.02)


async def _clock_settled(client: AirbyteClient) -> None:
    """Ask just after the server's clock turns to a new second (the emulator's runs on this
    host's): the client's estimate of it is then within a few milliseconds, not up to a second
    early, and the test goes on early in a second."""
    await client.health()
    await anyio.sleep(1.002 - time.time() % 1.0)
    await client.health()


async def test_changed_jobs_project_lightly_and_read_in_full(
    emu: Emulator, client: AirbyteClient
) -> None:
    """changed_jobs lists each changed job once, and a change reads as the job jobs/get gives."""
    backend = _backend(client)
    since = dt.datetime.now(dt.UTC) - dt.timedelta(seconds=5)
    jobs = [await backend.trigger(connection_id=cid) for cid in emu.connection_ids]
    for job in jobs:
        await _ended(client, job.id)

    changed = await backend.changed_jobs(workspace_ids=emu.workspace_ids, since=since)

    assert sorted(c.id for c in changed.changes) == sorted(j.id for j in jobs)
    for change in changed.changes:
        full = await client.jobs.get(job_id=change.id)
        assert change.status == full.status == change.job().status
        assert change.job().records_synced == full.records_synced


async def test_changed_jobs_pages_overlap_without_repeating(
    emu: Emulator, client: AirbyteClient
) -> None:
    """With pages of two, every job of several pages is listed exactly once."""
    backend = ConfigBackend(client.connections, client.jobs, page_size=2)
    since = dt.datetime.now(dt.UTC) - dt.timedelta(seconds=5)
    # The jobs run on while the pages are read: none moves from one page to another.
    for cid in emu.connection_ids:
        emu.set_sync_plan(cid, duration=60)
    jobs = [await backend.trigger(connection_id=cid) for cid in emu.connection_ids]

    changed = await backend.changed_jobs(workspace_ids=emu.workspace_ids, since=since)

    assert sorted(c.id for c in changed.changes) == sorted(j.id for j in jobs)


async def test_read_jobs_turns_stale_snapshots_into_current_jobs(
    emu: Emulator, client: AirbyteClient
) -> None:
    """read_jobs answers the jobs' current state from their trigger snapshots, in one listing."""
    backend = _backend(client)
    snapshots = [await backend.trigger(connection_id=cid) for cid in emu.connection_ids]
    for job in snapshots:
        await _ended(client, job.id)
    emu.reset_stats()

    read = await backend.read_jobs(snapshots, workspace_ids=emu.workspace_ids)

    assert {j.id for j in snapshots} == set(read)
    assert all(job.status is JobStatus.SUCCEEDED for job in read.values())
    assert emu.stats().requests_by_route == {"/v1/jobs/list_for_workspaces": 1}


async def test_read_jobs_reads_by_itself_a_job_the_listing_missed(
    emu: Emulator, client: AirbyteClient
) -> None:
    """A job the listing does not show (paging skipped it while jobs moved; here a snapshot
    stamped later than its job's last change) is read by itself, not left out."""
    backend = _backend(client)
    snapshots = [await backend.trigger(connection_id=cid) for cid in emu.connection_ids]
    for job in snapshots:
        await _ended(client, job.id)
    ahead = attrs.evolve(snapshots[0], updated_at=snapshots[0].updated_at + dt.timedelta(hours=1))
    emu.reset_stats()

    read = await backend.read_jobs([ahead], workspace_ids=emu.workspace_ids)

    assert read[ahead.id].status is JobStatus.SUCCEEDED
    assert emu.stats().requests_by_route["/v1/jobs/get_light"] == 1


async def test_read_jobs_reads_each_job_on_0_40() -> None:
    """On 0.40, without jobs/list_for_workspaces, read_jobs reads each job instead."""
    async with (
        Emulator(airbyte_version="0.40", connections=3, sync_duration=(0.05, 0.05)) as emu,
        AirbyteClient(emu.url, auth=NoAuth(), env={}) as client,
    ):
        backend = _backend(client)
        snapshots = [await backend.trigger(connection_id=cid) for cid in emu.connection_ids]
        for job in snapshots:
            await _ended(client, job.id)

        read = await backend.read_jobs(snapshots, workspace_ids=emu.workspace_ids)

    assert {j.id for j in snapshots} == set(read)
    assert all(job.status is JobStatus.SUCCEEDED and job.attempts for job in read.values())


async def test_listing_connections_without_catalogs(emu: Emulator, client: AirbyteClient) -> None:
    """connections.list(catalogs=False) lists the same connections, with empty catalogs."""
    wid = emu.workspace_ids[0]
    full = [c async for c in client.connections.list(workspace_id=wid)]
    light = [c async for c in client.connections.list(workspace_id=wid, catalogs=False)]

    assert [c.connection_id for c in light] == [c.connection_id for c in full]
    assert all(c.sync_catalog.streams for c in full)
    assert not any(c.sync_catalog.streams for c in light)


async def test_a_snapshot_older_than_the_window_still_sees_its_job_end(
    fast_emu: Emulator, fast_client: AirbyteClient
) -> None:
    """A job that ended before the watcher's window began, registered with its old snapshot
    (a trigger answer read late), is still reported with its end."""
    emu, client = fast_emu, fast_client
    stale_cid, busy_cid, later_cid = emu.connection_ids[:3]
    backend = ConfigBackend(client.connections, client.jobs)
    stale = await backend.trigger(connection_id=stale_cid)
    with anyio.fail_after(10):
        ended = await client.jobs.wait(job_id=stale.id, poll_interval=0.02)
    assert ended.ended_at is not None
    emu.set_sync_plan(busy_cid, duration=60)
    emu.set_sync_plan(later_cid, duration=2.5)
    watcher = JobWatcher(backend, min_interval=0.02, max_interval=0.05)

    async with anyio.create_task_group() as tg:
        tg.start_soon(watcher.run)
        watcher.watch(await backend.trigger(connection_id=busy_cid), None)
        later = watcher.watch(await backend.trigger(connection_id=later_cid), None)
        with anyio.fail_after(10):
            await later.done.wait()
        # The window now starts a second or more after the stale job's end.
        horizon = ended.updated_at.timestamp() + 1
        for _ in range(200):
            if watcher._since is not None and watcher._since > horizon:
                break
            await anyio.sleep(0.05)
        assert watcher._since is not None and watcher._since > horizon
        watch = watcher.watch(stale, None)
        with anyio.fail_after(10):
            await watch.done.wait()
        tg.cancel_scope.cancel()

    assert watch.job.id == stale.id
    assert watch.job.status is JobStatus.SUCCEEDED
    assert watch.job.records_synced == ended.records_synced


async def _late_batch(
    route: str, extra: list[Fault] | None = None, *, rate: float = RATE
) -> tuple[Emulator, list[SyncResult]]:
    # In real time as on a wall clock: syncs of 0.05 to 0.3 s and answers late by a poll or
    # more. On a clock `rate` times faster, a late answer spans seconds of the server's time, so
    # the watcher's window moves past jobs that end meanwhile.
    delay, max_delay = (0.15, 0.5) if rate > 1 else (0.3, 1.5)
    late = Fault(kind="late", route=route, rate=0.5, delay=delay, max_delay=max_delay)
    faults = [late, *(extra or [])]
    async with (
        Emulator(
            connections=16,
            faults=faults,
            seed=7,
            sync_duration=(0.05 * rate, 0.3 * rate),
            clock=FastClock(rate),
        ) as emu,
        AirbyteClient(emu.url, auth=NoAuth(), env={}) as client,
    ):
        orchestrator = Orchestrator(
            client, max_running=8, poll_interval=0.05, max_poll_interval=0.2
        )
        # A lost job would hold the batch until this deadline: it fails the test.
        with anyio.fail_after(30):
            results = await orchestrator.run(emu.connection_ids)
        for r in results:
            assert r.job_id is not None
            job = await client.jobs.get(job_id=r.job_id)
            assert job.config_id == r.connection_id
            assert (r.status, r.records_synced, r.bytes_synced) == (
                job.status,
                job.records_synced,
                job.bytes_synced,
            )
    return emu, results


async def test_late_trigger_answers_lose_no_job() -> None:
    """Trigger answers delivered late (their jobs may have ended meanwhile): every sync is
    reported with its own job and real outcome, none waits for the batch timeout."""
    emu, results = await _late_batch("connections/sync")

    assert emu.stats().faults_injected["late"] > 0
    assert all(r.outcome is Outcome.SUCCEEDED for r in results)


async def test_late_poll_answers_lose_no_job() -> None:
    """Poll answers (jobs/list_for_workspaces) delivered late: every sync is still reported."""
    emu, results = await _late_batch("jobs/list_for_workspaces")

    assert emu.stats().faults_injected["late"] > 0
    assert all(r.outcome is Outcome.SUCCEEDED for r in results)


async def test_jobs_adopted_through_late_reconcile_listings_are_not_lost() -> None:
    """Trigger answers lost (the job starts), and the reconcile listings that find the jobs
    answer late: each adopted job is still seen to end, with its own outcome."""
    lost = Fault(kind="reset_after", route="connections/sync", rate=0.5)
    # Real time: the reconcile listing counts the client's elapsed time against the server's
    # clock, and only a clock at the client's pace keeps the two in step.
    emu, results = await _late_batch("jobs/list", [lost], rate=1.0)

    injected = emu.stats().faults_injected
    assert injected["late"] > 0 and injected["reset_after"] > 0
    assert all(r.outcome is Outcome.SUCCEEDED for r in results)


async def test_an_attached_job_read_from_a_late_listing_is_not_lost() -> None:
    """on_running=attach, and the listing that finds the running job answers late, after the job
    ended and the watcher's window moved past that end: the adopted job is still seen to end,
    with its real outcome."""
    # The busy job runs until the test ends it (a cancel), once the listing has found it: a job
    # ending on its own clock could end before the orchestrator's trigger on a loaded machine.
    # The late answer waits real seconds: ample for a cancel and two listings, which the test
    # checks came first.
    late = 2.0
    async with (
        Emulator(connections=2, clock=FastClock(RATE), record_requests=True) as emu,
        AirbyteClient(emu.url, auth=NoAuth(), env={}) as client,
    ):
        busy, other = emu.connection_ids
        emu.set_sync_plan(busy, duration=3600.0)
        # Keeps the watcher polling, and so its window moving, until the test ends it too.
        emu.set_sync_plan(other, duration=3600.0)
        running = await client.connections.sync(connection_id=busy)
        # A client that has learned this server (0.50) has no refresh jobs: its look for the
        # running job is then one listing, the late one.
        await client.jobs.list_page(connection_id=busy, job_types=SYNC_TYPES)
        emu.set_faults([{"kind": "late", "route": "jobs/list", "delay": late}])
        watched: dict[str, int] = {}
        found = anyio.Event()

        def on_event(event: SyncEvent) -> None:
            if event.kind is EventKind.TRIGGERED and event.job is not None:
                watched[event.target.connection_id] = event.job.id
                if event.target.connection_id == busy:
                    found.set()

        orchestrator = Orchestrator(
            client, poll_interval=0.05, max_poll_interval=0.2, on_event=on_event
        )
        results: list[SyncResult] = []
        with anyio.fail_after(30):  # a lost job would hold the batch here
            async with anyio.create_task_group() as tg:

                async def run() -> None:
                    results.extend(await orchestrator.run([busy, other]))

                tg.start_soon(run)
                # The listing has found the job running; its answer is on its way.
                await until(lambda: emu.stats().faults_injected.get("late", 0) >= 1)
                ended = await client.jobs.cancel(job_id=running.id)
                await until(lambda: _windows_after(emu, ended.updated_at) >= 2)
                assert not found.is_set(), "the late answer came before the window moved"
                await found.wait()
                await client.jobs.cancel(job_id=watched[other])

    assert emu.stats().faults_injected["late"] == 1
    first = results[0]
    assert first.attached and first.job_id == running.id
    assert first.outcome is Outcome.CANCELLED
    assert emu.job_status(running.id) == "cancelled"
    # Seen to end by a listing, not by the safety net that reads a job watched for ten seconds
    # by itself.
    assert requests_to(emu, "jobs/get") == 0


def _windows_after(emu: Emulator, moment: dt.datetime) -> int:
    """How many job listings *emu* received whose window began after *moment*."""
    return sum(
        r.route == "/v1/jobs/list_for_workspaces"
        and dt.datetime.fromisoformat(r.body["updatedAtStart"]) > moment
        for r in emu.requests
    )


def _rechecking(backend: SyncBackend, *, after: float, probe: float = 600.0) -> JobWatcher:
    """
    A quick watcher that reads a job by itself once it has been watched *after* seconds, and
    probes for a commit lag every *probe* seconds (by default: not within a test).
    """
    return JobWatcher(
        backend,
        min_interval=0.02,
        max_interval=0.05,
        recheck_min=after,
        recheck_after=after,
        recheck_interval=0.1,
        probe_min=probe,
    )


async def _lagging(
    client: AirbyteClient, emu: Emulator, *, after: float, probe: float = 600.0
) -> tuple[ConfigBackend, JobWatcher, str]:
    """A settled clock, then a Config API backend, a rechecking watcher and the workspace."""
    await _clock_settled(client)
    backend = _backend(client)
    return backend, _rechecking(backend, after=after, probe=probe), emu.workspace_ids[0]


async def _two_apart(
    watcher: JobWatcher,
    backend: SyncBackend,
    workspace: str,
    connections: tuple[str, str],
    *,
    gap: float,
) -> tuple[Watch, Watch]:
    """Run *watcher* while two syncs are triggered *gap* seconds apart, until both ended."""
    async with anyio.create_task_group() as tg:
        tg.start_soon(watcher.run)
        first = watcher.watch(await backend.trigger(connection_id=connections[0]), workspace)
        await anyio.sleep(gap)
        second = watcher.watch(await backend.trigger(connection_id=connections[1]), workspace)
        with anyio.fail_after(10):
            await first.done.wait()
            await second.done.wait()
        tg.cancel_scope.cancel()
    return first, second


@pytest.mark.parametrize("api", ["config", "public"])
async def test_an_end_no_listing_shows_is_found_by_reading_the_job(api: str) -> None:
    """
    When the server shows an end later than it stamps it, by more than the overlap (a commit
    lag), every listing window misses it; the watch still ends with the job's outcome, found
    by reading the job by itself once it has been watched *recheck_after* seconds.
    """
    lagging = Emulator(
        airbyte_version="head",
        connections=3,
        sync_duration=(0.1, 0.2),
        trigger_latency=0,
        commit_lag=1.0,
    )
    async with lagging as emu, AirbyteClient(emu.url, auth=NoAuth(), env={}, api=api) as client:
        await _clock_settled(client)
        backend = client.sync_backend()
        watcher = _rechecking(backend, after=1.5)
        async with anyio.create_task_group() as tg:
            tg.start_soon(watcher.run)
            watches = [
                watcher.watch(await backend.trigger(connection_id=cid), emu.workspace_ids[0])
                for cid in emu.connection_ids
            ]
            with anyio.fail_after(10):
                for watch in watches:
                    await watch.done.wait()
            tg.cancel_scope.cancel()

    assert [w.job.status for w in watches] == [JobStatus.SUCCEEDED] * 3
    assert any(w.rechecked is not None for w in watches)


async def test_an_end_found_by_reading_widens_the_windows_for_the_ends_missed_since(
    caplog: pytest.LogCaptureFixture,
) -> None:
    """
    Once an end is found by reading the job, the windows overlap by a second at least and
    every watched job is looked for: a job whose end was hidden after that first one is found
    by a listing, before its own time to be read comes. A warning names the job found so.
    """
    lagging = Emulator(connections=2, trigger_latency=0, commit_lag=0.5)
    async with lagging as emu, AirbyteClient(emu.url, auth=NoAuth(), env={}) as client:
        first, second = emu.connection_ids
        for cid in emu.connection_ids:
            emu.set_sync_plan(cid, duration=0.15)
        backend, watcher, workspace = await _lagging(client, emu, after=2.0)
        with caplog.at_level("WARNING", logger="airbyte_async"):
            early, late = await _two_apart(watcher, backend, workspace, (first, second), gap=1.0)

    assert early.rechecked is not None
    assert late.rechecked is None
    assert late.job.status is JobStatus.SUCCEEDED
    assert watcher.overlap >= 1.0
    told = [r.getMessage() for r in caplog.records if "unseen" in r.getMessage()]
    assert told[0].startswith(f"job {early.job.id} had ended unseen by the listings")


@pytest.mark.slow
async def test_a_lag_longer_than_the_widened_overlap_is_found_by_a_listing() -> None:
    """
    After the overlap grew, a later end that the wider windows still hide (a commit lag above
    a second) is found within seconds by the lag probe's listing, which reaches back four
    times the overlap, not by reading the job, and the overlap grows again. (The first end,
    hidden longer than the probe reaches at first, is found by reading the job.)
    """
    lagging = Emulator(connections=2, trigger_latency=0, commit_lag=2.5)
    async with lagging as emu, AirbyteClient(emu.url, auth=NoAuth(), env={}) as client:
        first, second = emu.connection_ids
        emu.set_sync_plan(first, duration=0.15)
        # Long enough that its end is stamped after its watch began, whatever the fraction of
        # the second (stamps are whole seconds).
        emu.set_sync_plan(second, duration=1.2)
        backend, watcher, workspace = await _lagging(client, emu, after=1.0, probe=1.0)
        async with anyio.create_task_group() as tg:
            tg.start_soon(watcher.run)
            early = watcher.watch(await backend.trigger(connection_id=first), workspace)
            with anyio.fail_after(10):
                await early.done.wait()
            assert watcher.overlap == 1.0
            # From here on, only a listing can find an end.
            watcher.recheck_min = watcher.recheck_after = 600.0
            late = watcher.watch(await backend.trigger(connection_id=second), workspace)
            with anyio.fail_after(10):
                await late.done.wait()
            tg.cancel_scope.cancel()

    assert early.rechecked is not None
    assert late.rechecked is None
    assert late.job.status is JobStatus.SUCCEEDED
    assert watcher.overlap == 4.0


def _probing(backend: SyncBackend, *, every: float) -> JobWatcher:
    """A quick watcher that never reads a job by itself (only a listing can find an end) and
    probes for a commit lag every *every* seconds at first."""
    return JobWatcher(
        backend,
        min_interval=0.02,
        max_interval=0.05,
        recheck_min=600.0,
        recheck_after=600.0,
        suspect_interval=min(every, 1.0),
        probe_min=every,
    )


async def test_a_commit_lag_is_found_by_the_probe_without_reading_any_job() -> None:
    """
    An end that the server shows later than it stamps it, by more than the overlap, is
    hidden from every listing window; the lag probe, a listing that reaches back seconds
    before the window, finds it within seconds, and the windows widen.
    """
    lagging = Emulator(connections=1, trigger_latency=0, commit_lag=0.5)
    async with lagging as emu, AirbyteClient(emu.url, auth=NoAuth(), env={}) as client:
        emu.set_sync_plan(emu.connection_ids[0], duration=0.15)
        await _clock_settled(client)
        backend = _backend(client)
        # Late enough that the end, a second old by then, can be judged (stamps are whole
        # seconds): a probe that finds it younger takes it as a plain end.
        watcher = _probing(backend, every=2.0)
        async with anyio.create_task_group() as tg:
            tg.start_soon(watcher.run)
            watch = watcher.watch(
                await backend.trigger(connection_id=emu.connection_ids[0]), emu.workspace_ids[0]
            )
            with anyio.fail_after(5):
                await watch.done.wait()
            tg.cancel_scope.cancel()

    assert watch.job.status is JobStatus.SUCCEEDED
    assert watch.rechecked is None
    assert watcher.overlap == 1.0


@pytest.mark.slow
async def test_ends_hidden_before_the_windows_grew_do_not_widen_them_again() -> None:
    """
    Once a hidden end has widened the windows, the listing of every watched job finds the
    other ends the narrow windows hid; they were hidden by the old overlap, say nothing of the
    new one, and the overlap grows only once.
    """
    lagging = Emulator(connections=2, trigger_latency=0, commit_lag=0.5)
    async with lagging as emu, AirbyteClient(emu.url, auth=NoAuth(), env={}) as client:
        early, late = emu.connection_ids
        for cid in emu.connection_ids:
            emu.set_sync_plan(cid, duration=0.15)
        await _clock_settled(client)
        backend = _backend(client)
        # The first probe, 4 s in, reaches back 2 s: it finds the late end, not the early one.
        watcher = _probing(backend, every=4.0)
        workspace = emu.workspace_ids[0]
        first, second = await _two_apart(watcher, backend, workspace, (early, late), gap=2.0)

    assert [first.job.status, second.job.status] == [JobStatus.SUCCEEDED] * 2
    assert first.rechecked is None and second.rechecked is None
    assert watcher.overlap == 1.0


async def test_a_probe_that_finds_every_end_shown_comes_half_as_often(emu: Emulator) -> None:
    """With no lag, a probe that could judge (it held ends old enough to have been shown)
    finds none hidden: the next comes twice as late, and the windows stay as they were."""
    busy, *quick = emu.connection_ids
    emu.set_sync_plan(busy, duration=4.0)
    async with AirbyteClient(emu.url, auth=NoAuth(), env={}) as client:
        backend = _backend(client)
        watcher = _probing(backend, every=0.2)
        workspace = emu.workspace_ids[0]
        async with anyio.create_task_group() as tg:
            tg.start_soon(watcher.run)
            long_one = watcher.watch(await backend.trigger(connection_id=busy), workspace)
            # Ends a second or more apart move the window on (stamps are whole seconds).
            for cid in quick:
                watcher.watch(await backend.trigger(connection_id=cid), workspace)
                await anyio.sleep(1.2)
            with anyio.fail_after(10):
                await long_one.done.wait()
            tg.cancel_scope.cancel()

    assert watcher._probe_every >= 0.4
    assert watcher.overlap == 0.1


async def test_a_suspect_that_ended_before_its_watch_began_does_not_widen(emu: Emulator) -> None:
    """A job whose snapshot is old (a trigger answer read late) and that ended before its watch
    began, before the listings' window, is found by the suspects' listing; it says nothing of a
    commit lag, and the overlap stays as it was."""
    busy, stale_cid, later = emu.connection_ids[:3]
    emu.set_sync_plan(busy, duration=5.0)
    workspace = emu.workspace_ids[0]
    async with AirbyteClient(emu.url, auth=NoAuth(), env={}) as client:
        backend = client.sync_backend()
        watcher = JobWatcher(backend, min_interval=0.02, max_interval=0.05)
        async with anyio.create_task_group() as tg:
            tg.start_soon(watcher.run)
            watcher.watch(await backend.trigger(connection_id=busy), workspace)
            stale = await backend.trigger(connection_id=stale_cid)
            await _ended(client, stale.id)
            # An end seconds later moves the window past the stale end's second.
            await anyio.sleep(1.5)
            pusher = watcher.watch(await backend.trigger(connection_id=later), workspace)
            with anyio.fail_after(5):
                await pusher.done.wait()
            watch = watcher.watch(stale, workspace)
            with anyio.fail_after(5):
                await watch.done.wait()
            tg.cancel_scope.cancel()

    assert watch.job.status is JobStatus.SUCCEEDED
    assert watcher.overlap == 0.1


async def test_an_end_read_after_the_window_began_does_not_widen_it(emu: Emulator) -> None:
    """A job read by itself that ended after the listings' window began may simply have ended
    since the last listing: it is taken, and the overlap stays as it was."""
    async with AirbyteClient(emu.url, auth=NoAuth(), env={}) as client:
        backend = client.sync_backend()
        watcher = _rechecking(backend, after=0.2)
        watch = watcher.watch(
            await backend.trigger(connection_id=emu.connection_ids[0]), emu.workspace_ids[0]
        )
        await _ended(client, watch.job.id)
        await anyio.sleep(0.2)
        await watcher._recheck()

    assert watch.job.status is JobStatus.SUCCEEDED
    assert watch.rechecked is not None
    assert watcher.overlap == 0.1


async def test_a_lag_warning_names_ten_jobs_and_counts_the_rest(
    client: AirbyteClient, caplog: pytest.LogCaptureFixture
) -> None:
    """Hundreds of hidden ends make one short warning line, not a page of job ids."""
    watcher = JobWatcher(_backend(client))
    watcher._since = 0.0
    with caplog.at_level("WARNING", logger="airbyte_async"):
        watcher._widen(list(range(100, 140)))

    (record,) = caplog.records
    message = record.getMessage()
    assert message.startswith("jobs 100, 101, 102, 103, 104, 105, 106, 107, 108, 109 and 30 more")
    assert "110" not in message


async def _watch_through(emu: Emulator, client: AirbyteClient, watcher: JobWatcher) -> Watch:
    """Trigger the emulator's first connection and watch its job until the watch is done."""
    backend = watcher.backend
    async with anyio.create_task_group() as tg:
        tg.start_soon(watcher.run)
        job = await backend.trigger(connection_id=emu.connection_ids[0])
        watch = watcher.watch(job, emu.workspace_ids[0])
        with anyio.fail_after(10):
            await watch.done.wait()
        tg.cancel_scope.cancel()
    return watch


async def test_a_listing_answered_late_is_sent_again_and_holds_up_no_end(
    emu: Emulator, client: AirbyteClient
) -> None:
    """A poll's listing that answers 30 s late (a 200 all the same: a busy server) is sent
    again once it takes more than a second, and the second answer shows the job's end: the
    watch ends without waiting for the late one, which is dropped."""
    late = {"kind": "late", "route": "jobs/list_for_workspaces", "delay": 30.0, "times": 1}
    emu.set_faults([late])
    watcher = JobWatcher(_backend(client), min_interval=0.01)
    watch = await _watch_through(emu, client, watcher)

    assert watch.error is None and watch.job.status is JobStatus.SUCCEEDED
    assert (emu.stats().faults_injected["late"], watcher.hedged) == (1, 1)


async def test_polls_failing_on_an_error_that_will_not_pass_end_the_watches(
    emu: Emulator, client: AirbyteClient
) -> None:
    """A listing that answers 501 (not retried) ends every watch after *max_failures* polls."""
    emu.set_faults([{"kind": "error", "status": 501, "route": "jobs/list_for_workspaces"}])
    watcher = JobWatcher(_backend(client), min_interval=0.01, max_failures=3)
    watch = await _watch_through(emu, client, watcher)

    assert isinstance(watch.error, APIError) and watch.error.status == 501
    assert watch.job.status is JobStatus.RUNNING
    assert emu.stats().requests_by_route["/v1/jobs/list_for_workspaces"] == 3


async def test_an_outage_past_max_outage_ends_the_watches(
    emu: Emulator, client: AirbyteClient
) -> None:
    """Polls failing on errors that may pass are waited out only for *max_outage* seconds."""
    emu.set_faults([{"kind": "error", "status": 503, "route": "jobs/list_for_workspaces"}])
    watcher = JobWatcher(_backend(client), min_interval=0.01, max_failures=1, max_outage=1.0)
    began = anyio.current_time()
    watch = await _watch_through(emu, client, watcher)

    assert isinstance(watch.error, APIError) and watch.error.status == 503
    assert anyio.current_time() - began >= 1.0
    assert watcher.polls >= 3


async def test_jobs_read_each_are_seen_as_each_read_answers() -> None:
    """Reading jobs one by one (0.40 has no listing by workspace), a read answered 30 s late
    holds up no other: each job is handed on as soon as its read answers, so a poll applies
    the ends it found while the slow read still waits."""
    server = Emulator(airbyte_version="0.40", connections=3, sync_duration=(0.05, 0.05))
    async with server as emu, AirbyteClient(emu.url, auth=NoAuth(), env={}) as client:
        backend = ConfigBackend(client.connections, client.jobs)
        jobs = [await backend.trigger(connection_id=cid) for cid in emu.connection_ids]
        await anyio.sleep(0.3)
        emu.set_faults([{"kind": "late", "route": "jobs/get_light", "delay": 30.0, "times": 1}])
        seen: list[int] = []
        with anyio.move_on_after(10) as waited:
            async with anyio.create_task_group() as tg:

                async def read() -> None:
                    await backend.read_jobs(jobs, workspace_ids=[], each=True, on_read=seen_one)

                def seen_one(job: Job) -> None:
                    seen.append(job.id)
                    if len(seen) == 2:
                        tg.cancel_scope.cancel()

                tg.start_soon(read)

    assert not waited.cancelled_caught
    assert sorted(seen) == sorted(j.id for j in jobs[1:])


def _failing_polls(emu: Emulator, polls: int) -> None:
    """The next *polls* polls answer 503 past their retries: the first of the row makes five
    attempts (the tests' stamina setting), the later ones one each (Outage.attempt)."""
    route = "jobs/list_for_workspaces"
    emu.set_faults([{"kind": "error", "status": 503, "route": route, "times": 5 + polls - 1}])


def _warnings(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.levelname == "WARNING"]


async def test_polls_failing_within_a_minute_warn_once_and_once_more_when_they_work_again(
    emu: Emulator, client: AirbyteClient, caplog: pytest.LogCaptureFixture
) -> None:
    """Three polls failing in a row make one warning, at the first, naming its error; the poll
    that works again says how many failed and for how long, not one line per failed poll."""
    _failing_polls(emu, 3)
    watcher = JobWatcher(_backend(client), min_interval=0.01)
    with caplog.at_level("WARNING", logger="airbyte_async"):
        watch = await _watch_through(emu, client, watcher)

    assert watch.job.status is JobStatus.SUCCEEDED
    failed, worked = _warnings(caplog)
    assert failed.startswith("polling jobs failed, trying again: ") and "503" in failed
    assert re.fullmatch(r"polling jobs works again, after 3 failed polls for \d+\.\d s", worked)


async def test_polls_still_failing_warn_every_seconds_later_count_those_failed_since(
    emu: Emulator, client: AirbyteClient, caplog: pytest.LogCaptureFixture
) -> None:
    """A failed poll that begins *warn_every* seconds after the last warning warns again, with
    how many polls failed since then: the first warns; the second (half a second later) is
    counted; the third (a second after it) says two failed since."""
    _failing_polls(emu, 3)
    watcher = JobWatcher(_backend(client), min_interval=0.01, warn_every=0.9)
    with caplog.at_level("WARNING", logger="airbyte_async"):
        await _watch_through(emu, client, watcher)

    failed, still, worked = _warnings(caplog)
    assert failed.startswith("polling jobs failed, trying again: ")
    assert still.startswith("polling jobs still fails: 2 polls failed since the last warning, 3 ")
    assert "503" in still
    assert worked.startswith("polling jobs works again, after 3 failed polls")


async def test_a_failed_poll_is_followed_within_seconds_not_after_the_pace(
    emu: Emulator, client: AirbyteClient
) -> None:
    """
    A sync that has run for ten minutes is polled every 30 s while nothing ends (a tenth of its
    age, at most *max_interval*). The server restarts and refuses connections for 1.5 s
    meanwhile, and the sync ends during it: after each failed poll the next comes within two
    seconds, so the end is seen within seconds of the server's return, not half a minute on.
    """
    backend = _backend(client)
    watcher = JobWatcher(backend)
    emu.set_sync_plan(emu.connection_ids[0], duration=0.5)
    job = await backend.trigger(connection_id=emu.connection_ids[0])
    async with anyio.create_task_group() as tg:
        tg.start_soon(lambda: emu.restart(downtime=1.5))
        watch = watcher.watch(job, emu.workspace_ids[0])
        tg.start_soon(watcher.run)
        with anyio.fail_after(5):
            while not watcher._outage.failures:  # noqa: ASYNC110 (the watcher has no event)
                await anyio.sleep(0.01)
        watch.registered -= 600
        with anyio.fail_after(10):
            await watch.done.wait()
        tg.cancel_scope.cancel()

    assert watch.job.status is JobStatus.SUCCEEDED
    assert emu.stats().restarts == 1


async def test_a_poll_refused_with_retry_after_is_followed_no_sooner_than_it_asks(
    emu: Emulator, client: AirbyteClient
) -> None:
    """A poll answered 429 with ``Retry-After: 30`` past its retries is followed by a pause of
    30 s, not by the two seconds that see a restarted server back."""
    route = "jobs/list_for_workspaces"
    emu.set_faults([{"kind": "rate_limit", "route": route, "retry_after": 30, "times": 5}])
    watcher = JobWatcher(_backend(client), min_interval=0.01)
    backend = watcher.backend
    job = await backend.trigger(connection_id=emu.connection_ids[0])
    async with anyio.create_task_group() as tg:
        watcher.watch(job, emu.workspace_ids[0])
        tg.start_soon(watcher.run)
        with anyio.fail_after(5):
            while not watcher._outage.failures:  # noqa: ASYNC110 (the watcher has no event)
                await anyio.sleep(0.01)
        tg.cancel_scope.cancel()

    assert watcher._outage.pause() == 30.0


@pytest.mark.parametrize(
    ("api", "listing", "route"),
    [
        ("config", {"route": "jobs/list_for_workspaces"}, "jobs/list_for_workspaces"),
        ("public", {"route": "/public/v1/jobs", "method": "GET"}, "jobs"),
    ],
)
async def test_a_listing_slower_than_the_timeout_holds_up_no_end(
    api: str, listing: dict[str, str], route: str, caplog: pytest.LogCaptureFixture
) -> None:
    """
    A batch whose every job listing takes longer than the client's timeout (a listing over a
    big table of jobs), while reads of one job answer at once, is not waited out as an outage
    (ten minutes, every end held up, then every sync an error): its syncs are seen to end by
    reading each job, and it returns with every sync succeeded. One warning says so.
    """
    slow = {"kind": "latency", "delay": 3.0, **listing}
    server = Emulator(
        airbyte_version="head", connections=3, sync_duration=(0.5, 1.0), faults=[slow]
    )
    async with server as emu, client_for(emu, api=api, timeout=0.5) as client:
        with caplog.at_level("WARNING", logger="airbyte_async"), anyio.fail_after(30):
            results = await Orchestrator(client).run(emu.connection_ids)
        host = emu.url.removeprefix("http://")

    assert [r.outcome for r in results] == [Outcome.SUCCEEDED] * 3
    assert [r.getMessage() for r in caplog.records] == [
        "listing the jobs watched timed out (request timed out: no whole answer from "
        f"{host} within 0.5 s ({route})): reading each job by itself meanwhile, and trying a "
        "listing again every 60 s"
    ]


async def test_a_listing_that_timed_out_is_tried_again_once_and_ends_the_reads_of_each_job(
    emu: Emulator, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    """
    After a listing timed out, the jobs are read each by itself for a while; then one listing
    is tried again, with no retry within its call, and once it answers the watcher lists again
    (saying so): a 4 s sync is seen to end by a listing, not by reading it.
    """
    monkeypatch.setattr(_watch, "_EACH_AFTER_TIMEOUT", 0.3)
    # The listings of the first 2.5 s time out (the first poll's five attempts among them).
    emu.set_faults(
        [{"kind": "latency", "delay": 1.0, "route": "jobs/list_for_workspaces", "lasting": 2.5}]
    )
    emu.set_sync_plan(emu.connection_ids[0], duration=4.0)
    async with client_for(emu, timeout=0.3) as client:
        watcher = JobWatcher(_backend(client), min_interval=0.05)
        with caplog.at_level("WARNING", logger="airbyte_async"):
            watch = await _watch_through(emu, client, watcher)
        read_each = requests_to(emu, "jobs/get_light")

    assert watch.job.status is JobStatus.SUCCEEDED
    host = emu.url.removeprefix("http://")
    assert [r.getMessage().split("): ")[0] for r in caplog.records] == [
        "listing the jobs watched timed out (request timed out: no whole answer from "
        f"{host} within 0.3 s (jobs/list_for_workspaces)",
        "listing the jobs watched works again",
    ]
    assert read_each > 0 and requests_to(emu, "jobs/get") == 0


async def test_a_server_that_answers_no_read_is_read_once_a_poll_not_once_a_job(
    emu: Emulator,
) -> None:
    """
    When the listings time out and the reads of one job fail too (the server is away), the
    polls fail as in any outage, each reading one job, not every job watched: three jobs
    watched, a failed read each after the listing tried again.
    """
    emu.set_faults(
        [
            {"kind": "latency", "delay": 1.0, "route": "jobs/list_for_workspaces"},
            {"kind": "error", "status": 503, "route": "jobs/get_light"},
        ]
    )
    async with client_for(emu, timeout=0.3) as client:
        backend = _backend(client)
        watcher = JobWatcher(backend, min_interval=0.05)
        for cid in emu.connection_ids[:3]:
            emu.set_sync_plan(cid, duration=30.0)
        jobs = [await backend.trigger(connection_id=c) for c in emu.connection_ids[:3]]
        async with anyio.create_task_group() as tg:
            for job in jobs:
                watcher.watch(job, emu.workspace_ids[0])
            tg.start_soon(watcher.run)
            await until(lambda: watcher._outage.failures >= 3)
            tg.cancel_scope.cancel()
        listings = requests_to(emu, "jobs/list_for_workspaces")
        reads = requests_to(emu, "jobs/get_light")

    # Each failed poll: a listing (five attempts at the first), then one read (five, then one).
    assert 0 < reads <= listings
