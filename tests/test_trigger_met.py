"""
A sync trigger that meets a job it did not start: the client tells it from one it started.

Airbyte refuses a sync (409) only while the connection's workflow reports running. A trigger
that meets a job not running yet (a scheduled sync pending, another client's, a reset) starts
none: the Config API answers it 200 with that job once it runs
(``TemporalClient.startNewManualSync`` answers ``getCurrentJobId``), head's too; head's public
``POST /jobs``, which answers once a new job exists, waits a minute for one, then fails (a 409
``state-conflict``: ``startNewManualSyncAndWaitForJobId``). See
test_fidelity_triggers for the emulator's side. The client raises
:class:`~airbyte_async.errors.SyncAlreadyRunningError` naming that job, so a batch attaches to
it (or skips it) as to a running one, and never cancels it when given up on.

The tests move the emulator's :class:`ManualClock` by hand while the client keeps real time.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import AsyncExitStack
from typing import Any

import aiohttp
import anyio
import attrs
import pytest
from client_support import started, until
from emulator_support import triggers_now

from airbyte_async import AirbyteClient
from airbyte_async.errors import SyncAlreadyRunningError
from airbyte_async.models import JobType
from airbyte_async.orchestrator import Orchestrator, Outcome, SyncEvent, SyncResult
from airbyte_async.testing import Emulator, Fault, ManualClock

pytestmark = pytest.mark.anyio

Start = Callable[..., Awaitable[tuple[Emulator, AirbyteClient]]]


@pytest.fixture
async def start() -> AsyncIterator[Start]:
    """Starts an emulator with the given options and a client on it; both stop at teardown."""
    async with AsyncExitStack() as stack:

        async def start(*, api: str = "config", **options: Any) -> tuple[Emulator, AirbyteClient]:
            return await started(stack, api=api, **options)

        yield start


async def _others_pending_sync(
    emu: Emulator, http: aiohttp.ClientSession, tg: anyio.abc.TaskGroup
) -> int:
    """
    Another client's sync of the emulator's connection, left pending (its trigger still
    waiting for it to run, in *tg*) while the clock moves 10 s on; its job id.
    """
    clock = emu.clock
    assert isinstance(clock, ManualClock)
    body = {"connectionId": emu.connection_ids[0]}

    async def theirs() -> None:
        async with http.post(f"{emu.api_url}/connections/sync", json=body) as answer:
            assert answer.status == 200

    tg.start_soon(theirs)
    await triggers_now(emu, 1)
    clock.advance(10)
    [job_id] = emu.stats().jobs_by_connection[emu.connection_ids[0]]
    assert emu.job_status(job_id) == "pending"
    return job_id


async def _held(emu: Emulator, count: int, advance: float) -> None:
    """Once *count* sync triggers are held, move the clock *advance* seconds on."""
    clock = emu.clock
    assert isinstance(clock, ManualClock)
    await triggers_now(emu, count)
    await anyio.sleep(0.05)  # on to their waits, which read the clock
    clock.advance(advance)


@pytest.mark.parametrize("version", ["0.50", "head"])
async def test_a_sync_answered_with_anothers_pending_job_raises_already_running(
    start: Start, version: str
) -> None:
    """
    ``connections.sync`` answered 200 with a job created ten seconds before it was sent (a
    pending sync another client started; on head, queued) raises SyncAlreadyRunningError
    naming that job: the trigger started none.
    """
    emu, client = await start(
        connections=1, clock=ManualClock(), pending_duration=30, airbyte_version=version
    )
    cid = emu.connection_ids[0]
    caught: list[SyncAlreadyRunningError] = []

    async def sync() -> None:
        with pytest.raises(SyncAlreadyRunningError) as raised:
            await client.connections.sync(connection_id=cid)
        caught.append(raised.value)

    async with aiohttp.ClientSession() as http, anyio.create_task_group() as tg:
        theirs = await _others_pending_sync(emu, http, tg)
        await client.connections.get(connection_id=cid)  # a Date since the clock moved
        tg.start_soon(sync)
        await _held(emu, 2, 20.5)
    [error] = caught
    assert error.job is not None and error.job.id == theirs
    assert error.connection_id == cid
    assert emu.stats().jobs_by_connection == {cid: [theirs]}


async def test_a_sync_answered_with_a_pending_reset_raises_already_running(
    start: Start,
) -> None:
    """
    ``connections.sync`` answered with a reset's job (the reset pending when the trigger came:
    Airbyte answers with the workflow's current job, whatever its type) raises
    SyncAlreadyRunningError naming the reset, however soon after it the sync was sent.
    """
    emu, client = await start(connections=1, clock=ManualClock(), pending_duration=5)
    cid = emu.connection_ids[0]
    reset = await client.connections.reset(connection_id=cid)
    caught: list[SyncAlreadyRunningError] = []

    async def sync() -> None:
        with pytest.raises(SyncAlreadyRunningError) as raised:
            await client.connections.sync(connection_id=cid)
        caught.append(raised.value)

    async with anyio.create_task_group() as tg:
        tg.start_soon(sync)
        await _held(emu, 1, 5.5)
    [error] = caught
    assert error.job is not None
    assert (error.job.id, error.job.job_type) == (reset.id, JobType.RESET_CONNECTION)
    assert emu.stats().jobs_by_connection == {cid: [reset.id]}


def _orchestrator(client: AirbyteClient, **options: Any) -> Orchestrator:
    options.setdefault("poll_interval", 0.02)
    options.setdefault("max_poll_interval", 0.05)
    return Orchestrator(client, **options)


@attrs.define
class _Batch:
    """A batch of *cid* to run in a task: its results, and an event set once it follows a job
    other than *besides*."""

    client: AirbyteClient
    cid: str
    besides: int | None = None
    results: list[SyncResult] = attrs.field(factory=list)
    following: anyio.Event = attrs.field(factory=anyio.Event)

    def _seen(self, event: SyncEvent) -> None:
        if event.job is not None and event.job.id != self.besides:
            self.following.set()

    async def run(self) -> None:
        batch = _orchestrator(self.client, on_event=self._seen)
        self.results.extend(await batch.run([self.cid]))


async def test_a_batch_attaches_to_the_pending_job_its_trigger_met(start: Start) -> None:
    """
    A batch whose trigger is answered with another client's pending sync follows it as an
    attached sync (not one it started), and starts no second sync.
    """
    emu, client = await start(connections=1, clock=ManualClock(), pending_duration=30)
    cid = emu.connection_ids[0]
    emu.set_sync_plan(cid, duration=1)
    batch = _Batch(client, cid)

    async with aiohttp.ClientSession() as http, anyio.create_task_group() as tg:
        theirs = await _others_pending_sync(emu, http, tg)
        await client.connections.get(connection_id=cid)
        tg.start_soon(batch.run)
        await _held(emu, 2, 20.5)
        await batch.following.wait()
        emu.clock.advance(2)  # type: ignore[union-attr]
    [result] = batch.results
    assert (result.outcome, result.job_id, result.attached) == (Outcome.SUCCEEDED, theirs, True)
    assert emu.stats().jobs_by_connection == {cid: [theirs]}


async def test_a_batch_syncs_once_the_pending_reset_its_trigger_met_ended(start: Start) -> None:
    """
    A batch whose trigger is answered with the connection's reset (pending when the trigger
    came) does not take the reset for its sync: it triggers its sync once the reset ended.
    """
    clock = ManualClock()
    emu, client = await start(connections=1, clock=clock, pending_duration=5)
    cid = emu.connection_ids[0]
    reset = await client.connections.reset(connection_id=cid)  # it runs for 0.15 s at most
    emu.set_sync_plan(cid, duration=1)
    batch = _Batch(client, cid)

    with anyio.fail_after(20):
        async with anyio.create_task_group() as tg:
            tg.start_soon(batch.run)
            await _held(emu, 1, 5.5)  # the reset runs (and ends): the trigger's answer
            await until(lambda: len(emu.stats().jobs_by_connection[cid]) == 2)
            await _held(emu, 1, 5.5)  # the batch's own sync runs
            await batch.following.wait()
            clock.advance(2)
    [result] = batch.results
    assert (result.outcome, result.attached) == (Outcome.SUCCEEDED, False)
    assert emu.stats().jobs_by_connection == {cid: [reset.id, result.job_id]}


async def test_skip_reports_the_pending_job_its_trigger_met(start: Start) -> None:
    """on_running=skip: a trigger answered with another's pending sync is already_running."""
    emu, client = await start(connections=1, clock=ManualClock(), pending_duration=30)
    cid = emu.connection_ids[0]
    results: list[SyncResult] = []

    async def run() -> None:
        results.extend(await _orchestrator(client, on_running="skip").run([cid]))

    async with aiohttp.ClientSession() as http, anyio.create_task_group() as tg:
        theirs = await _others_pending_sync(emu, http, tg)
        await client.connections.get(connection_id=cid)
        tg.start_soon(run)
        await _held(emu, 2, 20.5)
    [result] = results
    assert (result.outcome, result.job_id) == (Outcome.ALREADY_RUNNING, theirs)


async def test_a_batch_given_up_on_leaves_the_job_its_trigger_met_running(start: Start) -> None:
    """
    A batch given up on (its timeout) while its trigger waits on another client's pending sync
    hears the answer out, and does not cancel that sync: the batch did not start it.
    """
    emu, client = await start(connections=1, clock=ManualClock(), pending_duration=30)
    cid = emu.connection_ids[0]
    emu.set_sync_plan(cid, duration=60)
    results: list[SyncResult] = []

    async def run() -> None:
        results.extend(await _orchestrator(client, timeout=0.5, cancel_grace=10).run([cid]))

    async with aiohttp.ClientSession() as http, anyio.create_task_group() as tg:
        theirs = await _others_pending_sync(emu, http, tg)
        await client.connections.get(connection_id=cid)
        tg.start_soon(run)
        await triggers_now(emu, 2)
        await anyio.sleep(1.0)  # past the batch's timeout: it is given up on
        emu.clock.advance(20.5)  # type: ignore[union-attr]
    [result] = results
    assert not result.cancel_requested
    assert emu.job_status(theirs) == "running"
    assert emu.stats().jobs_by_connection == {cid: [theirs]}


async def test_a_head_public_batch_attaches_to_the_queued_job_its_trigger_met(
    start: Start,
) -> None:
    """
    On head's public API, a batch's ``POST /jobs`` while the connection's job is queued gets a
    409 state-conflict after a minute ("Timed out waiting for a sync job to be created"): the
    batch follows the queued job as an attached sync, not an error.
    """
    clock = ManualClock()
    emu, client = await start(
        api="public", connections=1, clock=clock, airbyte_version="head", pending_duration=300
    )
    cid = emu.connection_ids[0]
    emu.set_sync_plan(cid, duration=1)
    queued = await client.connections.sync(connection_id=cid)
    clock.advance(160)
    batch = _Batch(client, cid)

    with anyio.fail_after(20):
        async with anyio.create_task_group() as tg:
            tg.start_soon(batch.run)
            await _held(emu, 1, 60.5)
            await batch.following.wait()
            clock.advance(100)  # the queued job runs, and ends
    [result] = batch.results
    assert (result.outcome, result.job_id, result.attached) == (
        Outcome.SUCCEEDED,
        queued.id,
        True,
    )
    assert emu.stats().jobs_by_connection == {cid: [queued.id]}


async def test_a_head_public_batch_attaches_to_the_job_its_trigger_met_that_has_ended(
    start: Start,
) -> None:
    """
    On head's public API, a batch's ``POST /jobs`` that met a queued job gets a 409
    state-conflict saying only "Could not fulfill request" a minute later
    (``ConfigClientErrorHandler`` drops the ``IllegalStateException``'s text). When that job
    has ended meanwhile, the batch attaches to it, the job there when its trigger was sent (as
    a Config API 409 "already running" leads to): its trigger started nothing, and sending it
    again would sync the connection a second time.
    """
    clock = ManualClock()
    emu, client = await start(
        api="public", connections=1, clock=clock, airbyte_version="head", pending_duration=300
    )
    cid = emu.connection_ids[0]
    emu.set_sync_plan(cid, duration=1)
    queued = await client.connections.sync(connection_id=cid)
    clock.advance(250)  # queued, to run at 300 and end at 301
    batch = _Batch(client, cid)

    with anyio.fail_after(20):
        async with anyio.create_task_group() as tg:
            tg.start_soon(batch.run)
            await _held(emu, 1, 60.5)  # the met job ends within the trigger's minute
    [result] = batch.results
    assert (result.outcome, result.job_id, result.attached) == (
        Outcome.SUCCEEDED,
        queued.id,
        True,
    )
    assert emu.stats().jobs_by_connection == {cid: [queued.id]}


@pytest.mark.slow
async def test_a_resent_sync_that_meets_its_own_job_pending_returns_that_job(
    start: Start,
) -> None:
    """
    A public sync trigger whose connection was reset before its job existed (the workflow had
    its signal, and makes the job), and that is sent again once a look found none, meets that
    job pending: head holds it, to answer 409 a minute later. The job was created since the
    first attempt, so ``connections.sync`` returns it (found by the look a held trigger gets
    after a few seconds, or after the 409 once it has ended) instead of raising (a batch would
    then trigger a second sync). Real time: the look's window is reckoned from the server's
    clock less the time the client counted.
    """
    emu, client = await start(api="public", connections=1, trigger_latency=2.0)
    cid = emu.connection_ids[0]
    emu.set_sync_plan(cid, duration=3)
    # Listings answered as they were when asked, delivered 1.5 s later: the look that follows
    # the reset shows no job, although the job exists (made 1 s after the trigger) by the time
    # it is read, so that the trigger sent again meets it pending.
    emu.set_faults([Fault(kind="late", route="/public/v1/jobs", method="GET", delay=1.5)])
    got: list[Any] = []

    async def sync() -> None:
        got.append(await client.connections.sync(connection_id=cid))

    with anyio.fail_after(90):
        async with anyio.create_task_group() as tg:
            tg.start_soon(sync)
            await triggers_now(emu, 1)
            await emu.restart()  # the trigger's connection reset; its job is made a second on
    [job] = got
    [only] = emu.stats().jobs_by_connection[cid]
    assert job.id == only
