"""
``adopt_since``: a retried task takes on the syncs its previous try started instead of
starting duplicates (apache/airflow#72414, PEERS.md 3.1), on the Config API (0.50: one
``jobs/list_for_workspaces``; 0.40: ``jobs/list`` per connection, API-FACTS 8) and the public API
(``GET /jobs`` with ``createdAtStart``, API-FACTS 7).
"""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack, asynccontextmanager
from typing import Any

import anyio
import pytest
from client_support import requests_to, started, until
from test_orchestrator import Start, _orchestrator

from airbyte_async import AirbyteClient, NoAuth
from airbyte_async.cli._parser import parse_adopt_since
from airbyte_async.errors import InvalidArgumentError
from airbyte_async.models import JobType
from airbyte_async.orchestrator import EventKind, Orchestrator, Outcome, SyncEvent, SyncResult
from airbyte_async.testing import Emulator, Fault, ManualClock

pytestmark = pytest.mark.anyio


@pytest.fixture(params=["config", "public", "public@2.0"])
async def start(request: pytest.FixtureRequest) -> AsyncIterator[Start]:
    """Starts an emulator and a client of its Config API (0.50) or public API (head, or 2.0,
    whose sync answers once its job runs: ``testing._versions``)."""
    api = request.param
    async with AsyncExitStack() as stack:

        async def start(**options: Any) -> tuple[Emulator, AirbyteClient]:
            return await started(stack, api=api, **options)

        yield start


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


async def _previous_try(client: AirbyteClient, emu: Emulator, cid: str, duration: float) -> int:
    """The sync a previous try of the task started: its job id."""
    emu.set_sync_plan(cid, duration=duration)
    return (await client.connections.sync(connection_id=cid)).id


async def _ended(client: AirbyteClient, job_id: int) -> None:
    await client.jobs.wait(job_id=job_id, poll_interval=0.01)


async def _synced_then_reset(client: AirbyteClient, emu: Emulator, cid: str) -> tuple[int, int]:
    """A previous try's sync, ended, then a reset of the connection, ended: their job ids."""
    first = await _previous_try(client, emu, cid, duration=0.0)
    await _ended(client, first)
    reset = await client.connections.reset(connection_id=cid)
    await _ended(client, reset.id)
    return first, reset.id


async def _run_advancing(
    clock: ManualClock, orchestrator: Orchestrator, ids: list[str], **options: Any
) -> list[SyncResult]:
    """The batch's results, the emulator's clock moved on until it ends."""
    results: list[SyncResult] = []

    async def run() -> None:
        results.extend(await orchestrator.run(ids, **options))

    async with anyio.create_task_group() as tg:
        tg.start_soon(run)
        while not results:
            await anyio.sleep(0.01)
            clock.advance(0.05)
    return results


async def test_a_running_sync_since_adopt_since_is_adopted_not_triggered(start: Start) -> None:
    """A sync the previous try started that still runs is watched to its end, with no trigger:
    the result is that job's, adopted, and the connection has no second job."""
    emu, client = await start(connections=1)
    (cid,) = emu.connection_ids
    since = _now()
    running = await _previous_try(client, emu, cid, duration=0.5)
    events: list[EventKind] = []

    def seen(event: SyncEvent) -> None:
        events.append(event.kind)

    [result] = await _orchestrator(client, on_event=seen).run([cid], adopt_since=since)

    assert (result.job_id, result.outcome, result.adopted) == (running, Outcome.SUCCEEDED, True)
    assert not result.attached and result.to_json()["adopted"] is True
    assert emu.stats().jobs_by_connection[cid] == [running]
    assert EventKind.ADOPTED in events and EventKind.TRIGGERED not in events


async def test_a_succeeded_sync_since_adopt_since_is_reported_as_it_ended(start: Start) -> None:
    """A sync the previous try started that has succeeded is the result at once, and nothing
    is triggered."""
    emu, client = await start(connections=1)
    (cid,) = emu.connection_ids
    since = _now()
    emu.set_sync_plan(cid, duration=0.0)
    ended = (await client.connections.sync(connection_id=cid)).id
    await _ended(client, ended)

    [result] = await _orchestrator(client).run([cid], adopt_since=since)

    assert (result.job_id, result.outcome, result.adopted) == (ended, Outcome.SUCCEEDED, True)
    assert not result.left_running
    assert emu.stats().jobs_by_connection[cid] == [ended]


@pytest.mark.parametrize("outcome", ["failed", "cancelled"])
async def test_a_failed_or_cancelled_sync_since_adopt_since_is_run_again(
    start: Start, outcome: str
) -> None:
    """A retry is for the first try's failure (or its give-up, which cancelled the sync): a
    newest sync that failed or was cancelled is not adopted, and the connection syncs again,
    once."""
    emu, client = await start(connections=1)
    (cid,) = emu.connection_ids
    since = _now()
    emu.set_sync_plan(cid, duration=0.0 if outcome == "failed" else 30.0, outcome="failed")
    first = (await client.connections.sync(connection_id=cid)).id
    if outcome == "cancelled":
        await client.jobs.cancel(job_id=first)
    await _ended(client, first)
    emu.set_sync_plan(cid, duration=0.0)

    [result] = await _orchestrator(client).run([cid], adopt_since=since)

    again = emu.stats().jobs_by_connection[cid]
    assert len(again) == 2 and again[0] == first
    assert (result.job_id, result.outcome, result.adopted) == (again[1], Outcome.SUCCEEDED, False)


async def test_a_sync_created_before_adopt_since_does_not_count(start: Start) -> None:
    """A job created in an earlier second than adopt_since is someone else's: the connection
    is triggered, once, and the result is not adopted."""
    clock = ManualClock()
    emu, client = await start(connections=1, clock=clock)
    (cid,) = emu.connection_ids
    old = await _previous_try(client, emu, cid, duration=0.0)
    clock.advance(5)
    await _ended(client, old)
    emu.set_sync_plan(cid, duration=0.1)
    since = dt.datetime.fromtimestamp(clock.now, dt.UTC)

    [result] = await _run_advancing(clock, _orchestrator(client), [cid], adopt_since=since)

    assert result.outcome is Outcome.SUCCEEDED and not result.adopted
    assert emu.stats().jobs_by_connection[cid] == [old, result.job_id]


async def test_a_sync_created_in_adopt_since_own_second_counts(start: Start) -> None:
    """Airbyte stamps jobs in whole seconds: a job created earlier in adopt_since's own second
    (stamped before adopt_since) is adopted."""
    clock = ManualClock(now=1_900_000_000.2)
    emu, client = await start(connections=1, clock=clock)
    (cid,) = emu.connection_ids
    job = await _previous_try(client, emu, cid, duration=0.0)
    await _ended(client, job)
    since = dt.datetime.fromtimestamp(clock.now + 0.7, dt.UTC)

    [result] = await _run_advancing(clock, _orchestrator(client), [cid], adopt_since=since)

    assert (result.job_id, result.adopted) == (job, True)
    assert emu.stats().jobs_by_connection[cid] == [job]


async def test_only_connections_without_such_a_sync_are_triggered(start: Start) -> None:
    """Of three connections, the one whose previous try's sync exists is adopted, the two
    others are triggered once each."""
    emu, client = await start(connections=3)
    first, *others = emu.connection_ids
    since = _now()
    running = await _previous_try(client, emu, first, duration=0.3)

    results = await _orchestrator(client).run(emu.connection_ids, adopt_since=since)

    assert [r.adopted for r in results] == [True, False, False]
    assert all(r.ok for r in results) and results[0].job_id == running
    jobs = emu.stats().jobs_by_connection
    assert jobs[first] == [running] and all(len(jobs[cid]) == 1 for cid in others)


async def test_a_give_up_cancels_an_adopted_running_sync(start: Start) -> None:
    """An adopted sync is the batch's own (a previous try's): when the batch times out, it is
    cancelled on Airbyte, unlike a sync attached on a 409."""
    emu, client = await start(connections=1)
    (cid,) = emu.connection_ids
    since = _now()
    running = await _previous_try(client, emu, cid, duration=60)

    [result] = await _orchestrator(client, timeout=0.5).run([cid], adopt_since=since)

    assert (result.job_id, result.adopted, result.cancel_requested) == (running, True, True)
    assert result.outcome is Outcome.TIMED_OUT
    assert emu.job_status(running) == "cancelled"


async def test_a_give_up_cancels_an_adopted_sync_no_worker_reached(start: Start) -> None:
    """With one sync at a time, the second adopted sync waits for a worker: the batch timing
    out meanwhile cancels it too, and its result says so, not "never started"."""
    emu, client = await start(connections=2)
    since = _now()
    running = [await _previous_try(client, emu, cid, duration=60) for cid in emu.connection_ids]

    results = await _orchestrator(client, timeout=0.5, max_running=1).run(
        emu.connection_ids, adopt_since=since
    )

    assert [(r.job_id, r.adopted, r.cancel_requested) for r in results] == [
        (job, True, True) for job in running
    ]
    assert [emu.job_status(job) for job in running] == ["cancelled", "cancelled"]


async def test_a_reset_since_adopt_since_does_not_count(start: Start) -> None:
    """Only sync jobs are adopted: a reset created since adopt_since leaves the connection to
    be triggered once."""
    emu, client = await start(connections=1)
    (cid,) = emu.connection_ids
    since = _now()
    emu.set_sync_plan(cid, duration=0.0)
    reset = await client.connections.reset(connection_id=cid)
    await _ended(client, reset.id)
    assert reset.job_type is JobType.RESET_CONNECTION

    [result] = await _orchestrator(client).run([cid], adopt_since=since)

    assert result.ok and not result.adopted
    assert emu.stats().jobs_by_connection[cid] == [reset.id, result.job_id]


@pytest.mark.parametrize(
    "since",
    [
        pytest.param(dt.datetime(2026, 1, 1, 12), id="naive"),
        pytest.param(_now() + dt.timedelta(hours=1), id="future"),
        pytest.param("2026-01-01T12:00:00+00:00", id="text"),
        pytest.param(-dt.timedelta(minutes=5), id="negative-timedelta"),
    ],
)
async def test_adopt_since_naive_future_or_not_a_datetime_is_refused(
    start: Start, since: Any
) -> None:
    """A naive datetime (no zone), a time past the server's clock, a string, or a timedelta
    below zero is an InvalidArgumentError, and no sync is triggered."""
    emu, client = await start(connections=1)
    (cid,) = emu.connection_ids

    with pytest.raises(InvalidArgumentError, match="adopt_since"):
        await _orchestrator(client).run([cid], adopt_since=since)

    assert emu.stats().jobs_by_connection.get(cid, []) == []


@pytest.mark.parametrize(
    ("since", "says"),
    [
        pytest.param(
            "2026-01-01 12:00:00+00:00",
            "an aware datetime or a timedelta, got the string '2026-01-01 12:00:00+00:00': "
            "parse it first (datetime.datetime.fromisoformat)",
            id="text",
        ),
        pytest.param(300, "an aware datetime or a timedelta, got 300", id="number"),
    ],
)
async def test_adopt_since_not_a_time_names_both_kinds_it_may_be(
    start: Start, since: object, says: str
) -> None:
    """adopt_since given as a string (a scheduler's rendered template) or a number is refused
    with a message naming both kinds it may be, a datetime or a timedelta, and for a string how
    to make it one."""
    emu, client = await start(connections=1)
    (cid,) = emu.connection_ids

    with pytest.raises(InvalidArgumentError) as raised:
        await _orchestrator(client).run([cid], adopt_since=since)  # type: ignore[arg-type]

    assert str(raised.value) == f"adopt_since must be {says}"


@asynccontextmanager
async def _config(**options: Any) -> AsyncIterator[tuple[Emulator, AirbyteClient]]:
    async with AsyncExitStack() as stack:
        emu = await stack.enter_async_context(Emulator(sync_duration=(0.05, 0.1), **options))
        client = AirbyteClient(emu.url, api="config", auth=NoAuth(), env={})
        yield emu, await stack.enter_async_context(client)


async def test_the_config_api_looks_in_one_listing_before_and_one_after_the_first() -> None:
    """On head, the previous try's syncs (and resets and clears) are found with one
    jobs/list_for_workspaces (created since adopt_since), sent before the first trigger, and
    one more like it once the first trigger answered, before the others
    (test_orchestrator_adopt_late); no connection's jobs are listed before the triggers
    (after, one jobs/list per sync triggered)."""
    async with _config(connections=4, record_requests=True, airbyte_version="head") as (
        emu,
        client,
    ):
        first = emu.connection_ids[0]
        since = _now()
        await _previous_try(client, emu, first, duration=0.2)
        emu.reset_stats()
        results = await _orchestrator(client).run(emu.connection_ids, adopt_since=since)

    assert [r.adopted for r in results] == [True, False, False, False]
    routes = [r.route for r in emu.requests]
    looks = [
        n
        for n, r in enumerate(emu.requests)
        if r.route == "/v1/jobs/list_for_workspaces" and "createdAtStart" in r.body
    ]
    triggers = [n for n, route in enumerate(routes) if route == "/v1/connections/sync"]
    assert len(looks) == 2 and looks[0] < triggers[0] < looks[1] < triggers[1]
    assert routes.index("/v1/jobs/list") > triggers[0]


async def test_on_0_40_each_connection_is_looked_up_by_itself() -> None:
    """Airbyte 0.40 has no jobs/list_for_workspaces (API-FACTS 8): each connection's newest
    jobs are listed (jobs/list), and a running sync since adopt_since is adopted all the same."""
    async with _config(connections=2, airbyte_version="0.40") as (emu, client):
        first, second = emu.connection_ids
        since = _now()
        running = await _previous_try(client, emu, first, duration=0.3)
        results = await _orchestrator(client).run([first, second], adopt_since=since)

        assert [(r.adopted, r.ok) for r in results] == [(True, True), (False, True)]
        assert results[0].job_id == running
        jobs = emu.stats().jobs_by_connection
        assert jobs[first] == [running] and len(jobs[second]) == 1
        assert requests_to(emu, "jobs/list") >= 2


async def test_the_look_for_syncs_to_adopt_waits_out_an_outage() -> None:
    """The listing that looks for the previous try's syncs fails with 503 for longer than the
    call's own retries (a server restarting): it is tried again after a pause, as the listing
    of the connections is, and the sync is adopted, not triggered a second time."""
    fault = Fault(kind="error", route="jobs/list_for_workspaces", status=503, times=7)
    async with (
        Emulator(connections=1, sync_duration=(0.05, 0.15)) as emu,
        AirbyteClient(emu.url, api="config", auth=NoAuth(), env={}) as client,
    ):
        (cid,) = emu.connection_ids
        since = _now()
        running = await _previous_try(client, emu, cid, duration=0.5)
        emu.set_faults([fault])
        [result] = await _orchestrator(client).run([cid], adopt_since=since)

    assert (result.job_id, result.adopted) == (running, True)
    assert emu.stats().jobs_by_connection[cid] == [running]


async def test_adopted_running_syncs_hold_slots_before_any_trigger(start: Start) -> None:
    """The previous try's syncs that still run are taken on before any trigger, wherever they
    are among the targets: the server never runs more than max_running syncs of the batch."""
    emu, client = await start(connections=10)
    ids = list(emu.connection_ids)
    since = _now()
    for cid in ids[-3:]:
        await _previous_try(client, emu, cid, duration=0.5)

    results = await _orchestrator(client, max_running=3).run(ids, adopt_since=since)

    assert sum(r.adopted for r in results) == 3
    assert {r.outcome for r in results} == {Outcome.SUCCEEDED}
    assert emu.stats().max_concurrent_jobs == 3


@pytest.mark.parametrize(
    ("skew", "age", "adopted"),
    [
        pytest.param(300.0, 180.0, True, id="client-5-min-ahead"),
        pytest.param(-300.0, 360.0, False, id="client-5-min-behind"),
    ],
)
async def test_a_relative_adopt_since_is_reckoned_on_the_servers_clock(
    start: Start, skew: float, age: float, adopted: bool
) -> None:
    """``--adopt-since -4m`` means four minutes before now by the server's clock, which stamps
    the jobs (its ``Date``): with the client's clock 5 minutes ahead, the sync the first try
    started 3 minutes ago is still adopted, not started twice; 5 minutes behind, a sync
    started 6 minutes ago is not adopted."""
    clock = ManualClock(now=time.time() - skew - age)
    emu, client = await start(connections=1, clock=clock)
    (cid,) = emu.connection_ids
    first = await _previous_try(client, emu, cid, duration=0.0)
    clock.advance(age)
    await _ended(client, first)
    emu.set_sync_plan(cid, duration=0.1)
    since = parse_adopt_since("-4m")

    [result] = await _run_advancing(clock, _orchestrator(client), [cid], adopt_since=since)

    assert result.ok and result.adopted is adopted
    assert emu.stats().jobs_by_connection[cid] == [first] if adopted else [first, result.job_id]


async def test_a_batch_that_adopts_every_sync_learns_how_far_date_leads_the_job_stamps(
    start: Start,
) -> None:
    """Behind a proxy whose ``Date`` runs 30 s ahead of the job stamps (nginx answers with its
    own host's time), a retry that adopts every sync sends no trigger to learn that lead from:
    the look's listing tells it instead, so the listings see the adopted syncs end, none of
    them found only by reading its job alone (seconds later)."""
    emu, client = await start(connections=3, date_lead=30.0)
    since = _now()
    async with AirbyteClient(emu.url, auth=NoAuth(), env={}, api=client.api) as first_try:
        running = [await _previous_try(first_try, emu, cid, 0.5) for cid in emu.connection_ids]
    emu.reset_stats()

    results = await _orchestrator(client).run(emu.connection_ids, adopt_since=since)

    assert [(r.job_id, r.adopted, r.ok) for r in results] == [(j, True, True) for j in running]
    by_route = emu.stats().requests_by_route
    assert by_route.get("/v1/jobs/get", 0) + by_route.get("/public/v1/jobs/{jobId}", 0) == 0


@pytest.mark.parametrize(
    ("age", "adopted"),
    [
        pytest.param(20.0, True, id="within-the-window"),
        pytest.param(200.0, False, id="long-before-it"),
    ],
)
async def test_a_relative_adopt_since_behind_a_date_ahead_of_the_stamps_finds_the_first_try(
    start: Start, age: float, adopted: bool
) -> None:
    """Behind a proxy whose ``Date`` runs 30 s ahead of the job stamps, a fresh client asked
    to adopt the syncs of the last 25 s has learned no lead yet: the look reaches back further
    and learns it from its own listing (ServerClock.note_listed), so the first try's sync of 20 s
    ago is adopted, not started twice; one of 200 s ago, long before the window and its
    margin, is still synced again."""
    clock = ManualClock()
    emu, client = await start(connections=1, clock=clock, date_lead=30.0)
    (cid,) = emu.connection_ids
    async with AirbyteClient(emu.url, auth=NoAuth(), env={}, api=client.api) as first_try:
        first = await _previous_try(first_try, emu, cid, duration=0.0)
        clock.advance(age)
        await _ended(first_try, first)
    emu.set_sync_plan(cid, duration=0.1)

    [result] = await _run_advancing(
        clock, _orchestrator(client), [cid], adopt_since=dt.timedelta(seconds=25)
    )

    assert result.ok and result.adopted is adopted
    assert emu.stats().jobs_by_connection[cid] == [first] if adopted else [first, result.job_id]


async def test_the_look_for_syncs_to_adopt_is_within_the_batch_timeout(start: Start) -> None:
    """A server that holds the look's listing (here for a minute) holds the batch no longer
    than its timeout: every result is timed_out, and no sync is triggered, since the look did
    not say which connections the first try synced."""
    emu, client = await start(connections=2)
    since = _now()
    slow = "jobs/list_for_workspaces" if client.api == "config" else "/public/v1/jobs"
    emu.set_faults([Fault(kind="latency", route=slow, method=None, delay=60.0)])

    with anyio.fail_after(30):
        results = await _orchestrator(client, timeout=0.5).run(
            emu.connection_ids, adopt_since=since
        )

    assert [(r.outcome, r.job_id) for r in results] == [(Outcome.TIMED_OUT, None)] * 2
    assert "looking for the syncs to adopt" in (results[0].error or "")
    assert emu.stats().jobs_by_connection == {}


async def test_a_reset_after_the_adopted_sync_makes_it_sync_again(start: Start) -> None:
    """The first try's sync was followed by a reset (its data deleted since: the webapp counts
    ``reset_connection`` and ``clear`` alike as clearing, airbyte-platform
    ``isClearOrResetJob``): it is not adopted, and the connection syncs again, once."""
    emu, client = await start(connections=1)
    (cid,) = emu.connection_ids
    since = _now()
    first, reset = await _synced_then_reset(client, emu, cid)

    [result] = await _orchestrator(client).run([cid], adopt_since=since)

    assert result.ok and not result.adopted
    assert emu.stats().jobs_by_connection[cid] == [first, reset, result.job_id]


async def test_a_reset_before_the_sync_since_adopt_since_leaves_it_adopted(start: Start) -> None:
    """A reset that ran before the first try's sync (both since adopt_since) deleted nothing
    that sync wrote: the sync is adopted, no second one started."""
    emu, client = await start(connections=1)
    (cid,) = emu.connection_ids
    since = _now()
    emu.set_sync_plan(cid, duration=0.0)
    reset = await client.connections.reset(connection_id=cid)
    await _ended(client, reset.id)
    first = await _previous_try(client, emu, cid, duration=0.0)
    await _ended(client, first)

    [result] = await _orchestrator(client).run([cid], adopt_since=since)

    assert (result.job_id, result.adopted) == (first, True)
    assert emu.stats().jobs_by_connection[cid] == [reset.id, first]


async def test_before_0_63_the_look_asks_again_without_clear_jobs_once() -> None:
    """0.50 has no clear jobs and answers a listing that names them with 422 (API-FACTS 3,
    6.2): the look asks again for syncs and resets, and a reset after the first try's sync
    still has the connection sync again; the next batch asks without clear at once."""
    async with _config(connections=1, record_requests=True, airbyte_version="0.50") as (
        emu,
        client,
    ):
        (cid,) = emu.connection_ids
        since = _now()
        first = await _previous_try(client, emu, cid, duration=0.0)
        await _ended(client, first)
        reset = await client.connections.reset(connection_id=cid)
        await _ended(client, reset.id)
        emu.set_sync_plan(cid, duration=0.0)
        orchestrator = _orchestrator(client)
        [result] = await orchestrator.run([cid], adopt_since=since)
        [again] = await orchestrator.run([cid], adopt_since=since)

    assert not result.adopted and (again.job_id, again.adopted) == (result.job_id, True)
    looks = [
        r.body["configTypes"]
        for r in emu.requests
        if r.route == "/v1/jobs/list_for_workspaces" and "reset_connection" in r.body["configTypes"]
    ]
    assert ["clear" in types for types in looks] == [True, False, False]


async def test_on_0_40_a_reset_after_the_sync_is_found_by_its_own_listing() -> None:
    """On 0.40 each connection's newest reset is listed too (jobs/list by configType): one
    after the first try's sync has the connection sync again."""
    async with _config(connections=1, airbyte_version="0.40") as (emu, client):
        (cid,) = emu.connection_ids
        since = _now()
        first, reset = await _synced_then_reset(client, emu, cid)
        [result] = await _orchestrator(client).run([cid], adopt_since=since)

    assert result.ok and not result.adopted
    assert emu.stats().jobs_by_connection[cid] == [first, reset, result.job_id]


async def test_a_previous_trys_sync_created_after_the_look_is_adopted_on_409(
    start: Start,
) -> None:
    """A previous try's trigger the server acted on only after the look (queued behind its
    scheduler threads): the batch's own trigger meets its running sync (409), created since
    adopt_since, and adopts it rather than attaching, so the batch's give-up cancels it."""
    emu, client = await start(connections=1, record_requests=True)
    (cid,) = emu.connection_ids
    emu.set_sync_plan(cid, duration=30.0)
    route = "connections/sync" if client.api == "config" else "/public/v1/jobs"

    def received() -> bool:
        return any(r.method == "POST" and r.route.endswith(route) for r in emu.requests)

    emu.set_faults([Fault(kind="latency", route=route, method="POST", delay=1.0, times=1)])
    since = _now().replace(microsecond=0)

    with anyio.fail_after(30):
        async with _orchestrator(client, timeout=2.5).stream([cid], adopt_since=since) as batch:
            await until(received)
            # The previous try's trigger, acted on now, while the batch's is held.
            async with AirbyteClient(emu.url, env={}, api=client.api) as previous:
                late = await previous.connections.sync(connection_id=cid)
            [result] = [r async for r in batch]

    assert (result.job_id, result.adopted, result.attached) == (late.id, True, False)
    assert result.outcome is Outcome.TIMED_OUT and result.cancel_requested
    assert emu.stats().jobs_by_connection == {cid: [late.id]}
    assert (await client.jobs.get(job_id=late.id)).status.value == "cancelled"


@pytest.mark.slow
async def test_a_relative_adopt_since_with_date_in_step_adopts_no_older_sync(
    start: Start,
) -> None:
    """With the server's ``Date`` in step with this host's clock (no proxy ahead), a fresh
    client's look for the syncs of the last 2 s reaches back no further than a second or two
    more: a sync someone ran 6 s ago, ended, is not taken for the first try's, and the
    connection syncs."""
    emu, client = await start(connections=1)
    (cid,) = emu.connection_ids
    async with AirbyteClient(emu.url, auth=NoAuth(), env={}, api=client.api) as someone:
        other = await _previous_try(someone, emu, cid, duration=0.0)
        await _ended(someone, other)
    await anyio.sleep(6.0)
    emu.set_sync_plan(cid, duration=0.1)

    [result] = await _orchestrator(client).run([cid], adopt_since=dt.timedelta(seconds=2))

    assert result.ok and not result.adopted
    assert emu.stats().jobs_by_connection[cid] == [other, result.job_id]
