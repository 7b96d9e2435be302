"""The orchestrator against the emulator: bounds, batch polling, policies, deadlines, isolation."""

from __future__ import annotations

import re
import socket
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import AsyncExitStack
from typing import Any

import anyio
import attrs
import pytest
from client_support import catalogs_asked, requests_to, started, until
from emulator_support import drop_date_headers

from airbyte_async import (
    AirbyteClient,
    BearerToken,
    ClientCredentials,
    NoAuth,
    RetryBudget,
    _watch,
)
from airbyte_async._retry import Outage
from airbyte_async._watch import JobWatcher
from airbyte_async.errors import (
    ConnectError,
    InvalidArgumentError,
    NoMatchError,
    RequestTimeoutError,
    ServerError,
    SyncAlreadyRunningError,
    UnsupportedOperationError,
)
from airbyte_async.models import ConnectionStatus, JobStatus
from airbyte_async.orchestrator import (
    EventKind,
    OnRunning,
    Orchestrator,
    Outcome,
    Selection,
    SyncEvent,
    SyncResult,
    SyncTarget,
    resolve_targets,
)
from airbyte_async.resources import _reconcile
from airbyte_async.resources._backend import ConfigBackend
from airbyte_async.resources._public_backend import PublicBackend
from airbyte_async.testing import (
    Emulator,
    Fault,
    ManualClock,
    RequireBearer,
    RequireClientCredentials,
)

pytestmark = pytest.mark.anyio

Start = Callable[..., Awaitable[tuple[Emulator, AirbyteClient]]]


@pytest.fixture
async def start() -> AsyncIterator[Start]:
    """Starts an emulator with the given options and a client on it; both stop at teardown."""
    async with AsyncExitStack() as stack:

        async def start(*, api: str = "auto", **options: Any) -> tuple[Emulator, AirbyteClient]:
            return await started(stack, api=api, **options)

        yield start


def _orchestrator(client: AirbyteClient, **options: Any) -> Orchestrator:
    options.setdefault("poll_interval", 0.02)
    options.setdefault("max_poll_interval", 0.05)
    orchestrator = Orchestrator(client, **options)
    if isinstance(orchestrator.backend, PublicBackend):
        # Its half-second spacing of listings saves requests at scale; no test here proves it.
        orchestrator.backend.min_interval = 0.05
    return orchestrator


async def test_every_connection_gets_one_succeeded_result_with_counts(start: Start) -> None:
    """Each connection ends with one succeeded result carrying job, records, bytes and times."""
    emu, client = await start(connections=12)
    results = await _orchestrator(client).run(emu.connection_ids)

    assert [r.connection_id for r in results] == emu.connection_ids
    assert {r.outcome for r in results} == {Outcome.SUCCEEDED}
    for r in results:
        assert r.job_id is not None
        assert r.connection_name is not None and r.connection_name.startswith("conn-")
        assert r.records_synced and r.bytes_synced and r.attempts == 1
        assert r.duration is not None and r.duration.total_seconds() >= 0
    truth = emu.stats().jobs_by_connection
    assert all(len(truth[cid]) == 1 for cid in emu.connection_ids)


@pytest.mark.parametrize("api", ["config", "public"])
async def test_ids_given_in_upper_case_are_synced_as_the_ids_they_spell(
    start: Start, api: str
) -> None:
    """
    A batch of connection ids in upper case, as targets too, and the same ids in lower case
    are one set of connections (Airbyte parses ids as UUIDs and names them in lower case):
    each is synced once, its result and its trigger's body name it in lower case, and the
    batch ends.
    """
    emu, client = await start(connections=2, airbyte_version="head", api=api, record_requests=True)
    first, second = emu.connection_ids
    given = [first.upper(), first, SyncTarget(second.upper(), workspace_id=emu.workspace_ids[0])]
    # Before ids were taken in lower case, the batch waited for jobs of ids no job names.
    with anyio.fail_after(20):
        results = await _orchestrator(client).run(given)
    triggers = [
        r.body["connectionId"]
        for r in emu.requests
        if r.route in ("/v1/connections/sync", "/public/v1/jobs") and r.method == "POST"
    ]

    assert sorted(triggers) == sorted([first, second])
    assert [r.connection_id for r in results] == [first, second]
    assert {r.outcome for r in results} == {Outcome.SUCCEEDED}
    assert {cid: len(jobs) for cid, jobs in emu.stats().jobs_by_connection.items()} == {
        first: 1,
        second: 1,
    }


async def test_a_selection_takes_ids_in_upper_case(start: Start) -> None:
    """A Selection's workspace id and a tag id given in upper case name the workspace and the
    tag the server names in lower case."""
    emu, client = await start(connections=2, airbyte_version="head")
    first, _ = emu.connection_ids
    emu.tag_connection(first, "nightly")
    [tag] = (await client.connections.get(connection_id=first)).tags or ()
    selection = Selection(workspace_id=emu.workspace_ids[0].upper(), tags=tag.tag_id.upper())
    results = await _orchestrator(client).run(selection)

    assert selection.workspace_id == emu.workspace_ids[0]
    assert [r.connection_id for r in results] == [first]


async def test_duplicate_ids_in_a_batch_are_synced_once(start: Start) -> None:
    """Giving an id three times starts one job and returns one result."""
    emu, client = await start(connections=2)
    cid = emu.connection_ids[0]
    results = await _orchestrator(client).run([cid, cid, emu.connection_ids[1], cid])

    assert [r.connection_id for r in results] == [cid, emu.connection_ids[1]]
    assert len(emu.stats().jobs_by_connection[cid]) == 1


async def test_max_running_is_never_exceeded_on_airbyte(start: Start) -> None:
    """With 30 connections and max_running=4, the emulator never sees more than 4 jobs at once."""
    emu, client = await start(connections=30, sync_duration=(0.02, 0.08))
    results = await _orchestrator(client, max_running=4).run(emu.connection_ids)

    stats = emu.stats()
    assert all(r.ok for r in results)
    assert stats.max_concurrent_jobs == 4
    assert stats.jobs_created == 30


async def test_triggers_in_flight_are_bounded(start: Start) -> None:
    """Slow triggers: no more than max_triggers connections/sync calls are handled at once."""
    emu, client = await start(connections=12, trigger_latency=0.05)
    await _orchestrator(client, max_running=12, max_triggers=3).run(emu.connection_ids)

    assert emu.stats().max_in_flight_syncs == 3


async def test_http_requests_in_flight_are_bounded_by_the_client_pool(start: Start) -> None:
    """A client with a pool of 2 never has more than 2 requests at the server at once."""
    emu, client = await start(connections=12, trigger_latency=0.02, max_connections=2)
    await _orchestrator(client, max_running=12, max_triggers=12).run(emu.connection_ids)

    assert emu.stats().max_in_flight_requests <= 2


async def test_triggers_leave_connections_of_the_pool_to_the_polls(start: Start) -> None:
    """
    With a pool of 8 and 20 triggers allowed, at most 6 are in flight: a quarter of a small
    pool is left to the polls, which would otherwise wait behind the triggers for a connection.
    """
    emu, client = await start(connections=20, trigger_latency=0.2, max_connections=8)
    orchestrator = _orchestrator(client, max_running=20, max_triggers=20, adaptive_triggers=False)
    results = await orchestrator.run(emu.connection_ids)

    assert orchestrator.trigger_limit == 6
    assert emu.stats().max_in_flight_syncs == 6
    assert all(r.ok for r in results)


async def test_one_poll_cycle_costs_one_request_not_one_per_job(start: Start) -> None:
    """Watching 40 jobs at once costs one jobs/list_for_workspaces per poll and no jobs/get."""
    emu, client = await start(connections=40, workspaces=1, sync_duration=(0.2, 0.3))
    emu.reset_stats()
    orchestrator = _orchestrator(client, max_running=40, max_triggers=40)
    await orchestrator.run(emu.connection_ids)

    by_route = emu.stats().requests_by_route
    polls = by_route.get("/v1/jobs/list_for_workspaces", 0)
    assert polls == orchestrator.polls
    assert polls < 40
    assert by_route.get("/v1/jobs/get", 0) == 0
    assert by_route.get("/v1/jobs/get_light", 0) == 0
    assert by_route["/v1/connections/sync"] == 40


async def test_poll_requests_scale_with_workspaces_not_jobs(start: Start) -> None:
    """Polling three workspaces is still one request per cycle (they go in one body)."""
    emu, client = await start(connections=30, workspaces=3, sync_duration=(0.2, 0.3))
    emu.reset_stats()
    orchestrator = _orchestrator(client, max_running=30, max_triggers=30)
    await orchestrator.run(Selection(all_workspaces=True))

    assert emu.stats().requests_by_route["/v1/jobs/list_for_workspaces"] == orchestrator.polls


async def test_long_syncs_are_polled_by_their_age_not_at_the_fastest_pace(start: Start) -> None:
    """Four 1.5 s syncs are polled about 30 times, not the 75 that 0.02 s polls would cost."""
    emu, client = await start(connections=4, sync_duration=(1.5, 1.6))
    orchestrator = _orchestrator(client, max_poll_interval=30.0)
    results = await orchestrator.run(emu.connection_ids)

    assert all(r.ok for r in results)
    assert 10 <= orchestrator.polls <= 45


async def test_poll_intervals_are_jittered_by_a_tenth(start: Start) -> None:
    """At a fixed pace of 1 s, the watcher's intervals vary between 0.9 and 1.1 s."""
    _, client = await start(connections=1)
    watcher = JobWatcher(
        ConfigBackend(client.connections, client.jobs), min_interval=1.0, max_interval=1.0
    )
    intervals = [watcher.interval() for _ in range(200)]

    assert all(0.9 <= i <= 1.1 for i in intervals)
    assert max(intervals) - min(intervals) > 0.1


async def test_servers_without_batch_listing_are_polled_per_job(start: Start) -> None:
    """On 0.40 (no jobs/list_for_workspaces) every result still arrives, via jobs/get_light."""
    emu, client = await start(airbyte_version="0.40", connections=5)
    results = await _orchestrator(client).run(emu.connection_ids)

    by_route = emu.stats().requests_by_route
    assert all(r.ok and r.records_synced for r in results)
    assert by_route.get("/v1/jobs/list_for_workspaces", 0) <= 1
    assert by_route["/v1/jobs/get_light"] >= 5


async def test_polls_that_fail_past_their_retries_are_counted_not_raised(start: Start) -> None:
    """
    On 0.40, where jobs are polled one by one, 30 answers of 500 to ``jobs/get_light`` (the
    first failed poll's five reads of five attempts each, then the next poll's five of one)
    make failed polls, which the watcher counts and outlives: every sync still succeeds, and
    no exception group escapes the batch.
    """
    fault = Fault(kind="error", route="jobs/get_light", status=500, times=30)
    emu, client = await start(airbyte_version="0.40", connections=5, faults=[fault])
    results = await _orchestrator(client).run(emu.connection_ids)

    assert [r.outcome for r in results] == [Outcome.SUCCEEDED] * 5
    assert emu.stats().faults_injected == {"error": 30}


async def test_syncs_outlive_a_server_restart_longer_than_ten_failed_polls(
    start: Start, caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    """
    The server's API restarts while its syncs run and refuses connections for 1.5 s; with the
    pause after a failed poll cut to a tenth of a second (two seconds by default), more polls
    fail in a row than the ten after which failures that will not pass end the watches: the
    watcher waits the outage out, and every sync ends as the server says, not as an error.
    """
    monkeypatch.setattr(_watch, "POLL_MAX_PAUSE", 0.1)
    emu, client = await start(connections=3, sync_duration=(2.0, 2.5))
    on_event, watched = _once_triggered(3)

    async with anyio.create_task_group() as tg:

        async def restart_once_every_job_is_watched() -> None:
            with anyio.fail_after(10):
                await watched.wait()
            await emu.restart(downtime=1.5)

        tg.start_soon(restart_once_every_job_is_watched)
        with caplog.at_level("WARNING", logger="airbyte_async"):
            results = await _orchestrator(client, on_event=on_event).run(emu.connection_ids)

    assert [r.outcome for r in results] == [Outcome.SUCCEEDED] * 3
    assert emu.stats().restarts == 1
    [worked] = [r.getMessage() for r in caplog.records if "works again" in r.getMessage()]
    failed = re.search(r"after (\d+) failed polls", worked)
    assert failed is not None
    assert int(failed[1]) > attrs.fields(JobWatcher).max_failures.default == 10


async def test_polls_failing_through_a_restart_leave_the_retry_budget_to_other_calls(
    start: Start,
) -> None:
    """
    A batch's polls fail through a 1.5 s restart, on a client whose retry budget holds eight
    retries (a scaled-down 50: the default's polls spent it in ~25 s): only the first failed
    poll is retried within itself, the later ones wait for the outage's pauses, so a read of
    the user's that meets one 503 once the server is back is still retried, not failed.
    """
    emu, _ = await start(connections=3, sync_duration=(3.0, 3.5))
    budget = RetryBudget(capacity=8)
    client = AirbyteClient(emu.url, auth=NoAuth(), env={}, retry_budget=budget)
    on_event, watched = _once_triggered(3)

    async with client, anyio.create_task_group() as tg:
        tg.start_soon(_orchestrator(client, on_event=on_event).run, emu.connection_ids)
        with anyio.fail_after(10):
            await watched.wait()
        await emu.restart(downtime=1.5)
        emu.set_faults([{"kind": "error", "status": 503, "route": "connections/get", "times": 1}])
        connection = await client.connections.get(connection_id=emu.connection_ids[0])

    assert connection.connection_id == emu.connection_ids[0]
    assert emu.stats().faults_injected == {"error": 1}


async def test_a_batch_started_during_an_outage_waits_for_its_connections(start: Start) -> None:
    """
    The connections' listing answers 503 seven times in a row, more than a call's retries
    (the first try's five attempts, then two tries of one): the batch waits the outage out, as
    its polls would, then syncs every connection once.
    """
    fault = Fault(kind="error", route="connections/list", status=503, times=7)
    emu, client = await start(connections=3, faults=[fault])

    with anyio.fail_after(30):
        results = await _orchestrator(client).run(Selection(all_workspaces=True))

    assert [r.outcome for r in results] == [Outcome.SUCCEEDED] * 3
    assert emu.stats().faults_injected == {"error": 7}
    assert all(len(ids) == 1 for ids in emu.stats().jobs_by_connection.values())


async def test_a_batch_started_during_an_outage_pauses_between_tries_as_its_polls_do(
    start: Start, monkeypatch: pytest.MonkeyPatch
) -> None:
    """
    The connections' listing answers 503 eight times in a row (the first try's five attempts,
    then three tries of one): the pauses between its tries stop at the polls' two seconds, as
    README and ``_waited_out`` say, so that the batch starts within seconds of the server's
    return (they reached four, then eight, up to ten).
    """
    pauses: list[float] = []
    pause = Outage.pause

    def recorded(self: Outage) -> float:
        pauses.append(pause(self))
        return pauses[-1]

    monkeypatch.setattr(Outage, "pause", recorded)
    fault = Fault(kind="error", route="connections/list", status=503, times=8)
    _, client = await start(connections=2, faults=[fault])

    with anyio.fail_after(30):
        results = await _orchestrator(client).run(Selection(all_workspaces=True))

    assert [r.outcome for r in results] == [Outcome.SUCCEEDED] * 2
    assert len(pauses) >= 4
    assert max(pauses[:4]) <= 2.0


async def test_a_listing_failing_through_an_outage_warns_at_first_and_when_it_works(
    start: Start, caplog: pytest.LogCaptureFixture
) -> None:
    """
    The connections' listing fails twice past its retries before it answers (the first try's
    five attempts, the second's one): one warning at the first failure, naming its error, and
    one when it works again, saying how many tries failed; not one line per failed try.
    """
    fault = Fault(kind="error", route="connections/list", status=503, times=6)
    _, client = await start(connections=2, faults=[fault])

    with anyio.fail_after(30), caplog.at_level("WARNING", logger="airbyte_async"):
        await _orchestrator(client).run(Selection(all_workspaces=True))

    failed, worked = [r.getMessage() for r in caplog.records if r.levelname == "WARNING"]
    assert failed.startswith("listing the connections to sync failed, trying again: ")
    assert "503" in failed
    assert re.fullmatch(
        r"listing the connections to sync works again, after 2 failed tries for \d+\.\d s",
        worked,
    )


async def test_ids_given_by_an_iterator_are_looked_up_again_after_an_outage(start: Start) -> None:
    """Ids from a generator, whose look-ups all fail past their retries at first (five
    attempts each): the look-ups are made again for the same ids, and every connection syncs
    once."""
    fault = Fault(kind="error", route="connections/get", status=503, times=15)
    emu, client = await start(connections=3, faults=[fault])

    with anyio.fail_after(30):
        results = await _orchestrator(client).run(cid for cid in emu.connection_ids)

    assert [r.outcome for r in results] == [Outcome.SUCCEEDED] * 3
    assert all(len(ids) == 1 for ids in emu.stats().jobs_by_connection.values())


async def test_a_batch_outage_longer_than_its_timeout_raises_the_last_error(start: Start) -> None:
    """A listing that keeps failing is waited for no longer than the batch's *timeout*."""
    fault = Fault(kind="error", route="connections/list", status=503)
    emu, client = await start(connections=2, faults=[fault])

    with anyio.fail_after(30), pytest.raises(ServerError):
        await _orchestrator(client, timeout=1.0).run(Selection(all_workspaces=True))
    assert emu.stats().jobs_by_connection == {}


async def test_a_listing_slower_than_the_client_timeout_is_not_waited_out(start: Start) -> None:
    """A listing that outlasts the client's timeout is a slow server, not an outage: the batch
    raises once the call's own retries are spent, instead of asking again for ten minutes."""
    fault = Fault(kind="slow", route="connections/list", delay=2.0)
    emu, _ = await start(connections=2, faults=[fault])
    async with AirbyteClient(emu.url, auth=NoAuth(), env={}, timeout=0.3) as client:
        with anyio.fail_after(20), pytest.raises(RequestTimeoutError):
            await _orchestrator(client).run(Selection(all_workspaces=True))


async def test_a_server_never_reached_fails_the_batch_at_once() -> None:
    """Connections refused by a server that never answered: a wrong address, not waited for."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    async with AirbyteClient(f"http://127.0.0.1:{port}", auth=NoAuth(), env={}) as client:
        with anyio.fail_after(30), pytest.raises(ConnectError):
            await _orchestrator(client).run(Selection(all_workspaces=True))


async def test_a_server_that_sends_no_date_is_still_waited_for_once_it_answered(
    start: Start, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Answers without a Date header (a proxy may drop it) still prove the server was reached:
    a restart just as the batch starts is waited out, not taken for a wrong address."""
    drop_date_headers(monkeypatch)
    emu, client = await start(connections=3)
    assert [w async for w in client.workspaces.list()]
    assert not client.server_clock.observed

    with anyio.fail_after(30):
        async with anyio.create_task_group() as tg:
            tg.start_soon(lambda: emu.restart(downtime=1.5))
            await anyio.sleep(0.2)
            results = await _orchestrator(client).run(Selection(all_workspaces=True))

    assert [r.outcome for r in results] == [Outcome.SUCCEEDED] * 3
    assert emu.stats().restarts == 1


async def test_a_failed_look_up_of_given_ids_raises_the_error_itself(start: Start) -> None:
    """Ids the listing did not name are read one by one; a read that fails past its retries
    raises its own error, not an exception group."""
    fault = Fault(kind="error", route="connections/get", status=500)
    emu, client = await start(connections=2, faults=[fault])
    targets = [SyncTarget(cid) for cid in emu.connection_ids]

    with pytest.raises(ServerError):
        await resolve_targets(client, targets)


async def test_head_servers_with_queued_jobs_work(start: Start) -> None:
    """On head, jobs pass through pending and queued and still end succeeded."""
    emu, client = await start(airbyte_version="head", connections=4, pending_duration=0.1)
    results = await _orchestrator(client).run(emu.connection_ids)

    assert all(r.ok for r in results)


async def _running_job(emu: Emulator, client: AirbyteClient, cid: str, duration: float = 60) -> int:
    """A sync of *cid* lasting *duration*, once it runs (head's public trigger answers before,
    and a trigger that meets a job not yet running is another case)."""
    emu.set_sync_plan(cid, duration=duration)
    job = await client.connections.sync(connection_id=cid)
    await until(lambda: emu.job_status(job.id) != "pending")
    return job.id


async def test_attach_adopts_the_job_already_running(start: Start) -> None:
    """on_running=attach: a connection already syncing is followed, not triggered again."""
    clock = ManualClock()
    emu, client = await start(connections=3, clock=clock)
    cid = emu.connection_ids[0]
    running = await _running_job(emu, client, cid, duration=0.3)
    # The clock moves once each connection has its job, so the running one cannot end first.
    started: set[str] = set()

    def seen(event: SyncEvent) -> None:
        if event.kind is EventKind.TRIGGERED:
            started.add(event.target.connection_id)

    orchestrator = _orchestrator(client, on_running=OnRunning.ATTACH, on_event=seen)
    results: list[Any] = []

    async def run() -> None:
        results.extend(await orchestrator.run(emu.connection_ids))

    async with anyio.create_task_group() as tg:
        tg.start_soon(run)
        await until(lambda: len(started) == 3)
        while not results:
            clock.advance(0.05)
            await anyio.sleep(0.01)

    first = results[0]
    assert first.job_id == running and first.attached and first.outcome is Outcome.SUCCEEDED
    assert emu.stats().jobs_by_connection[cid] == [running]


async def test_skip_reports_already_running(start: Start) -> None:
    """on_running=skip: the running connection's result is already_running, with no new job."""
    emu, client = await start(connections=2)
    cid = emu.connection_ids[0]
    running = await _running_job(emu, client, cid)
    results = await _orchestrator(client, on_running="skip").run(emu.connection_ids)

    assert results[0].outcome is Outcome.ALREADY_RUNNING
    assert (results[0].job_id, results[0].attached) == (running, False)
    assert results[1].outcome is Outcome.SUCCEEDED
    assert emu.stats().jobs_by_connection[cid] == [running]


async def test_skip_finds_the_running_job_behind_a_long_history(start: Start) -> None:
    """A connection with more past jobs than a look reads (a page of 10): the running one is
    still found, whatever order the server lists jobs in by default (the public API's is the
    oldest first)."""
    emu, client = await start(connections=1)
    cid = emu.connection_ids[0]
    emu.set_sync_plan(cid, duration=0.0)
    for _ in range(12):
        done = await client.connections.sync(connection_id=cid)
        await client.jobs.wait(job_id=done.id, poll_interval=0.01)
    running = await _running_job(emu, client, cid)
    [result] = await _orchestrator(client, on_running="skip").run([cid])

    assert (result.outcome, result.job_id) == (Outcome.ALREADY_RUNNING, running)


async def test_attach_syncs_once_a_running_reset_ended(start: Start) -> None:
    """on_running=attach while a reset runs (Airbyte refuses the sync, 409): the sync is
    triggered once the reset ended, not reported as an error, and the reset is not adopted."""
    emu, client = await start(connections=1)
    cid = emu.connection_ids[0]
    emu.set_sync_plan(cid, duration=0.3)
    reset = await client.connections.reset(connection_id=cid)
    await until(lambda: emu.job_status(reset.id) != "pending")

    [result] = await _orchestrator(client, on_running=OnRunning.ATTACH).run([cid])

    assert (result.outcome, result.attached) == (Outcome.SUCCEEDED, False)
    assert result.job_id != reset.id
    assert emu.stats().jobs_by_connection[cid] == [reset.id, result.job_id]


async def test_skip_syncs_once_a_running_reset_ended(start: Start) -> None:
    """on_running=skip while a reset runs: no sync is there to skip (Airbyte refuses the sync,
    409, for the reset: API-FACTS 6.3), so the sync is triggered once the reset ended, as
    attach does, not reported ``already_running``."""
    emu, client = await start(connections=1)
    cid = emu.connection_ids[0]
    emu.set_sync_plan(cid, duration=0.3)
    reset = await client.connections.reset(connection_id=cid)
    await until(lambda: emu.job_status(reset.id) != "pending")

    [result] = await _orchestrator(client, on_running=OnRunning.SKIP).run([cid])

    assert (result.outcome, result.attached, result.error) == (Outcome.SUCCEEDED, False, None)
    assert emu.stats().jobs_by_connection[cid] == [reset.id, result.job_id]


@pytest.mark.parametrize("api", ["config", "public"])
async def test_attach_syncs_once_a_running_clear_ended(start: Start, api: str) -> None:
    """on_running=attach while a clear job runs (head's connections/clear, a ``clear`` job
    from 0.63 on: API-FACTS 2.5, 3; a sync meanwhile is a 409, 6.3): the sync is triggered
    once the clear ended, as after a reset, not reported as an error."""
    emu, client = await start(connections=1, api=api, airbyte_version="head")
    cid = emu.connection_ids[0]
    emu.set_sync_plan(cid, duration=0.3)
    async with AirbyteClient(emu.url, auth=NoAuth(), env={}, api="config") as other:
        cleared = await other.request("connections/clear", {"connectionId": cid})

    [result] = await _orchestrator(client, on_running=OnRunning.ATTACH).run([cid])

    assert (result.outcome, result.attached, result.error) == (Outcome.SUCCEEDED, False, None)
    assert emu.stats().jobs_by_connection[cid] == [cleared["job"]["id"], result.job_id]


async def test_fail_reports_an_error(start: Start) -> None:
    """on_running=fail: the running connection's result is an error naming the conflict."""
    emu, client = await start(connections=2)
    cid = emu.connection_ids[0]
    await _running_job(emu, client, cid)
    results = await _orchestrator(client, on_running="fail").run(emu.connection_ids)

    assert results[0].outcome is Outcome.ERROR
    assert results[0].error is not None and "already running" in results[0].error


async def test_a_sync_past_its_deadline_is_timed_out_and_cancelled(start: Start) -> None:
    """sync_timeout: the slow job's result is timed_out and its job is cancelled on Airbyte."""
    emu, client = await start(connections=3)
    slow = emu.connection_ids[1]
    emu.set_sync_plan(slow, duration=30)
    results = await _orchestrator(client, sync_timeout=0.5).run(emu.connection_ids)

    assert [r.outcome for r in results] == [Outcome.SUCCEEDED, Outcome.TIMED_OUT, Outcome.SUCCEEDED]
    assert results[1].cancel_requested
    assert emu.job_status(results[1].job_id or 0) == "cancelled"


async def test_sync_timeout_counts_from_the_sending_of_the_trigger(start: Start) -> None:
    """
    sync_timeout bounds a sync from the sending of its trigger, not the wait for a trigger
    slot before it: ten syncs of about 0.8 s each from their sending, one trigger of 0.5 s in
    flight at a time, the last sent some 4.5 s after the batch began, all succeed within 3 s.
    """
    emu, client = await start(connections=10, trigger_latency=0.5, sync_duration=(0.2, 0.2))
    orchestrator = _orchestrator(
        client, max_running=10, max_triggers=1, adaptive_triggers=False, sync_timeout=3.0
    )

    results = await orchestrator.run(emu.connection_ids)

    assert [r.outcome for r in results] == [Outcome.SUCCEEDED] * 10


async def test_a_trigger_held_past_its_sync_timeout_is_timed_out_not_sent_again() -> None:
    """
    A trigger that timed out on the client (a server that dropped it once its client left) is
    held while its job is looked for. Once its sync_timeout passes, it is looked for a little
    longer, then given up on, never sent again: timed_out, saying a sync may still run, with
    no job started (it was held five minutes, then sent again and its new job cancelled).
    """
    slow = {"kind": "slow", "route": "connections/sync", "delay": 3.0, "times": 1}
    async with (
        Emulator(connections=2, faults=[slow], trigger_latency=0.05) as emu,
        AirbyteClient(emu.url, auth=NoAuth(), env={}, timeout=1.0) as client,
    ):
        orchestrator = _orchestrator(client, sync_timeout=2.0, cancel_grace=1.0)
        with anyio.fail_after(30):
            results = await orchestrator.run(emu.connection_ids)

    assert sorted(r.outcome for r in results) == [Outcome.SUCCEEDED, Outcome.TIMED_OUT]
    [late] = [r for r in results if r.outcome is Outcome.TIMED_OUT]
    assert late.left_running and late.job_id is None
    assert late.error is not None and "its sync_timeout passed" in late.error
    assert emu.stats().jobs_created == 1


async def test_the_batch_deadline_cancels_what_it_started(start: Start) -> None:
    """timeout: running jobs are cancelled and every unfinished connection is timed_out."""
    emu, client = await start(connections=6, sync_duration=(30, 30))
    results = await _orchestrator(client, max_running=2, timeout=0.5).run(emu.connection_ids)

    assert {r.outcome for r in results} == {Outcome.TIMED_OUT}
    started = [r for r in results if r.job_id is not None]
    assert len(started) == 2 and all(r.cancel_requested for r in started)
    assert all(emu.job_status(r.job_id or 0) == "cancelled" for r in started)
    assert emu.stats().jobs_created == 2
    assert not any(r.left_running for r in results)


@pytest.mark.parametrize("api", ["config", "public"])
async def test_many_ids_are_looked_up_in_listings_that_drop_the_catalogs(
    start: Start, api: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """
    A batch given more ids than it looks up one by one names them from the workspace's
    listing, asked without catalogs (most of a listing: thousands of them cost seconds of CPU
    and the memory of every catalog), and still gets each connection's name.
    """
    emu, client = await start(api=api, connections=25, airbyte_version="head")
    asked = catalogs_asked(monkeypatch, client)
    results = await _orchestrator(client).run(emu.connection_ids)

    assert asked == [False]
    assert all(r.outcome is Outcome.SUCCEEDED and r.connection_name for r in results)
    by_route = emu.stats().requests_by_route
    one, listing_route = (r if r.startswith("/") else f"/v1/{r}" for r in _LOOKUPS[api])
    assert (by_route.get(one, 0), by_route.get(listing_route, 0)) == (0, 1)


#: The routes of a connection's look-up and of the listing of a workspace's connections.
_LOOKUPS = {
    "config": ("connections/get", "connections/list"),
    "public": ("/public/v1/connections/{connectionId}", "/public/v1/connections"),
}


@pytest.mark.parametrize("api", ["config", "public"])
async def test_the_batch_timeout_covers_the_look_up_of_the_connections(
    start: Start, api: str
) -> None:
    """A server that holds each connection's look-up (a minute here) holds the batch no longer
    than its timeout: each id given is timed_out, saying that none was triggered, and no sync
    starts."""
    emu, client = await start(api=api, connections=2, airbyte_version="head")
    _hold_for_a_minute(emu, api, _LOOKUPS[api][0])

    with anyio.fail_after(30):
        results = await _orchestrator(client, timeout=0.5).run(emu.connection_ids)

    assert [(r.connection_id, r.outcome, r.job_id) for r in results] == [
        (cid, Outcome.TIMED_OUT, None) for cid in emu.connection_ids
    ]
    assert all(
        "listing the connections to sync: none was triggered" in (r.error or "") for r in results
    )
    assert emu.stats().jobs_by_connection == {}


async def test_the_batch_timeout_covers_the_look_up_in_stream(start: Start) -> None:
    """stream() too: the batch it yields, its look-ups held past its timeout, yields each
    connection given once (a SyncTarget or an id), timed_out, in the order given, and ends."""
    emu, client = await start(connections=2)
    emu.set_faults([Fault(kind="latency", route="connections/get", delay=60.0)])
    first, second = emu.connection_ids

    with anyio.fail_after(30):
        async with _orchestrator(client, timeout=0.5).stream(
            [SyncTarget(first, "orders"), second, first]
        ) as batch:
            yielded = [result async for result in batch]

    assert [(r.connection_id, r.connection_name, r.outcome) for r in yielded] == [
        (first, "orders", Outcome.TIMED_OUT),
        (second, None, Outcome.TIMED_OUT),
    ]
    assert yielded == list(batch.results.values())
    assert emu.stats().jobs_by_connection == {}


@pytest.mark.parametrize("api", ["config", "public"])
async def test_a_selection_whose_listing_outlasts_the_batch_timeout_raises(
    start: Start, api: str
) -> None:
    """A Selection whose connections the server holds the listing of past the batch's timeout
    has no connections to report on: RequestTimeoutError, saying nothing was triggered, and no
    sync starts."""
    emu, client = await start(api=api, connections=2, airbyte_version="head")
    _hold_for_a_minute(emu, api, _LOOKUPS[api][1])

    with anyio.fail_after(30), pytest.raises(RequestTimeoutError, match="none was triggered"):
        await _orchestrator(client, timeout=0.5).run(Selection(all_workspaces=True))

    assert emu.stats().jobs_by_connection == {}


async def test_a_caller_deadline_cancels_the_jobs_then_raises(start: Start) -> None:
    """anyio.fail_after around run(): TimeoutError, and no job is left running on Airbyte."""
    emu, client = await start(connections=5, sync_duration=(30, 30))
    orchestrator = _orchestrator(client)
    with pytest.raises(TimeoutError):
        with anyio.fail_after(0.5):
            await orchestrator.run(emu.connection_ids)

    statuses = emu.stats().job_statuses
    assert len(statuses) == 5 and set(statuses.values()) == {"cancelled"}
    assert {r.outcome for r in orchestrator.results.values()} == {Outcome.CANCELLED}


async def test_cancel_on_abort_can_be_turned_off(start: Start) -> None:
    """cancel_on_abort=False: jobs keep running on Airbyte after the batch gives up."""
    emu, client = await start(connections=3, sync_duration=(30, 30))
    results = await _orchestrator(client, timeout=0.3, cancel_on_abort=False).run(
        emu.connection_ids
    )

    assert all(not r.cancel_requested for r in results)
    assert set(emu.stats().job_statuses.values()) <= {"running", "pending"}
    assert all(r.left_running for r in results)


async def test_a_failed_sync_is_a_result_and_the_others_go_on(start: Start) -> None:
    """One failing connection gets a failed result with the reason; the others succeed."""
    emu, client = await start(connections=4)
    emu.set_sync_plan(emu.connection_ids[2], outcome="failed")
    results = await _orchestrator(client).run(emu.connection_ids)

    assert [r.outcome for r in results].count(Outcome.SUCCEEDED) == 3
    failed = results[2]
    assert failed.outcome is Outcome.FAILED and failed.failure_reason


@pytest.mark.parametrize("api", ["config", "public"])
async def test_retried_attempts_are_waited_for_and_counted(start: Start, api: str) -> None:
    """Airbyte retries failed attempts (the job incomplete between them): a sync that passes
    on its second attempt succeeds with its records; one whose three attempts fail is failed
    (on the Config API: with three attempts and the last one's reason); incomplete ends
    neither, and shows in the events."""
    emu, client = await start(airbyte_version="head", connections=2, retry_backoff=0.4, api=api)
    flaky, broken = emu.connection_ids
    emu.set_sync_plan(flaky, duration=0.1, outcome="succeeded", failed_attempts=1)
    emu.set_sync_plan(broken, duration=0.1, outcome="failed", failed_attempts=2)
    statuses: list[JobStatus] = []

    def seen(event: SyncEvent) -> None:
        if event.kind is EventKind.STATUS_CHANGED and event.job is not None:
            statuses.append(event.job.status)

    results = await _orchestrator(client, on_event=seen).run(emu.connection_ids)

    assert [r.outcome for r in results] == [Outcome.SUCCEEDED, Outcome.FAILED]
    assert results[0].records_synced
    if api == "config":  # the public API has no attempts, nor failure reasons
        assert [r.attempts for r in results] == [2, 3]
        assert results[1].failure_reason
    assert JobStatus.INCOMPLETE in statuses


_BACKOFF_SOURCES = """

    From 0.50 on, Airbyte's connection workflow reports running through the wait before a
    failed attempt's successor (``ConnectionManagerWorkflowImpl.initializeWorkflowStateFromInput``
    sets ``isRunning`` for a run that continues from a failure, airbytehq/airbyte-platform
    ``ConnectionManagerWorkflowImpl.java`` at ``07d28131``, the fix of airbytehq/airbyte#28536),
    so a trigger meanwhile gets the 409 of ``startNewManualSync`` (API-FACTS 6.3) and a cancel is
    heard: ``cancelJob`` cancels the scope whose ``Workflow.await(timeToWait, ...)`` holds the
    backoff, and the job is reported cancelled (``reportCancelledAndContinueWith``).
    """


@pytest.mark.parametrize("api", ["config", "public"])
async def test_a_trigger_while_the_job_waits_between_attempts_names_that_job(
    start: Start, api: str
) -> None:
    """A sync triggered while the connection's job waits out the backoff after a failed
    attempt raises SyncAlreadyRunningError naming that job, incomplete, and starts none."""
    emu, client = await start(airbyte_version="head", connections=1, retry_backoff=30.0, api=api)
    [cid] = emu.connection_ids
    emu.set_sync_plan(cid, duration=0.1, outcome="succeeded", failed_attempts=1)
    job = await client.connections.sync(connection_id=cid)
    await until(lambda: emu.job_status(job.id) == "incomplete")

    with pytest.raises(SyncAlreadyRunningError) as raised:
        await client.connections.sync(connection_id=cid)

    assert raised.value.job is not None
    assert (raised.value.job.id, raised.value.job.status) == (job.id, JobStatus.INCOMPLETE)
    assert emu.stats().jobs_created == 1


test_a_trigger_while_the_job_waits_between_attempts_names_that_job.__doc__ += _BACKOFF_SOURCES


@pytest.mark.parametrize("api", ["config", "public"])
async def test_a_sync_timeout_during_the_wait_between_attempts_cancels_the_job(
    start: Start, api: str
) -> None:
    """A sync_timeout that passes while the job waits out the backoff after a failed attempt
    ends the sync timed_out with its job cancelled: no further attempt runs."""
    emu, client = await start(airbyte_version="head", connections=1, retry_backoff=30.0, api=api)
    [cid] = emu.connection_ids
    emu.set_sync_plan(cid, duration=0.1, outcome="succeeded", failed_attempts=1)

    [result] = await _orchestrator(client, sync_timeout=1.0).run([cid])

    assert result.outcome is Outcome.TIMED_OUT and result.job_id is not None
    assert not result.left_running
    assert emu.job_status(result.job_id) == "cancelled"


test_a_sync_timeout_during_the_wait_between_attempts_cancels_the_job.__doc__ += _BACKOFF_SOURCES


async def test_a_trigger_error_is_a_result(start: Start) -> None:
    """A connection that cannot be synced (inactive: 500) ends as error; the rest succeed."""
    emu, client = await start(connections=3)
    bad = emu.connection_ids[0]
    await client.connections.update(connection_id=bad, status=ConnectionStatus.INACTIVE)
    results = await _orchestrator(client).run(emu.connection_ids)

    assert results[0].outcome is Outcome.ERROR and results[0].error
    assert all(r.ok for r in results[1:])


async def test_fail_fast_stops_the_batch_at_the_first_failure(start: Start) -> None:
    """fail_fast: after the first failure, running jobs are cancelled and the rest never start."""
    emu, client = await start(connections=6)
    emu.set_sync_plan(emu.connection_ids[0], duration=0.05, outcome="failed")
    for cid in emu.connection_ids[1:]:
        emu.set_sync_plan(cid, duration=30)
    results = await _orchestrator(client, max_running=2, fail_fast=True).run(emu.connection_ids)

    assert results[0].outcome is Outcome.FAILED
    assert {r.outcome for r in results[1:]} == {Outcome.CANCELLED}
    assert emu.stats().jobs_created == 2
    assert "running" not in emu.stats().job_statuses.values()


async def test_fail_fast_results_name_the_failure_that_stopped_the_batch(start: Start) -> None:
    """fail_fast: each sync the batch stopped, the jobs it cancelled as well as the syncs it
    never triggered, says in its error that fail_fast stopped it, and after whose failure."""
    emu, client = await start(connections=6)
    first = emu.connection_ids[0]
    emu.set_sync_plan(first, duration=0.3, outcome="failed")
    for cid in emu.connection_ids[1:]:
        emu.set_sync_plan(cid, duration=30)
    results = await _orchestrator(client, max_running=3, fail_fast=True).run(emu.connection_ids)

    stopped = results[1:]
    assert [r.job_id is not None for r in stopped] == [True, True, False, False, False]
    label = results[0].connection_name or first
    assert all(f"stopped by fail_fast ({label}: failed)" in (r.error or "") for r in stopped)


async def test_events_report_trigger_changes_and_end(start: Start) -> None:
    """The event hook sees triggered, status changes and finished for every connection."""
    emu, client = await start(connections=3, sync_duration=(0.1, 0.2))
    events: list[SyncEvent] = []
    await _orchestrator(client, on_event=events.append).run(emu.connection_ids)

    kinds = {(e.kind, e.target.connection_id) for e in events}
    for cid in emu.connection_ids:
        assert (EventKind.TRIGGERED, cid) in kinds
        assert (EventKind.STATUS_CHANGED, cid) in kinds
        assert (EventKind.FINISHED, cid) in kinds


@pytest.mark.parametrize("hook", [False, True])
async def test_without_an_event_hook_polls_fetch_final_jobs_only(start: Start, hook: bool) -> None:
    """Polls filter on final statuses unless a hook wants every change, so unused it is free."""
    emu, client = await start(connections=3, sync_duration=(0.1, 0.2), record_requests=True)
    events: list[SyncEvent] = []
    await _orchestrator(client, on_event=events.append if hook else None).run(emu.connection_ids)

    polls = [r.body for r in emu.requests if r.route == "/v1/jobs/list_for_workspaces"]
    assert polls
    final = sorted(["succeeded", "failed", "cancelled"])
    assert all(body.get("statuses") == (None if hook else final) for body in polls)
    assert bool(events) is hook


async def test_stream_yields_each_result_when_it_is_final(start: Start) -> None:
    """stream(): a quick sync's result arrives before a slow one's, not at the end."""
    emu, client = await start(connections=2)
    quick, slow = emu.connection_ids
    emu.set_sync_plan(quick, duration=0.05)
    emu.set_sync_plan(slow, duration=0.6)
    order = []
    async with _orchestrator(client).stream([slow, quick]) as results:
        async for result in results:
            order.append(result.connection_id)
    assert order == [quick, slow]


async def test_stream_yields_the_results_of_a_batch_that_timed_out(start: Start) -> None:
    """A batch that reaches its timeout yields the results it gave up on (the running sync
    cancelled, the one never triggered) before its iteration ends, not only in results."""
    emu, client = await start(connections=2)
    for cid in emu.connection_ids:
        emu.set_sync_plan(cid, duration=30.0)

    with anyio.fail_after(30):
        async with _orchestrator(client, timeout=0.5, max_running=1).stream(
            emu.connection_ids
        ) as batch:
            yielded = [result async for result in batch]

    assert sorted((r.connection_id, r.outcome) for r in yielded) == sorted(
        (cid, Outcome.TIMED_OUT) for cid in emu.connection_ids
    )
    assert sorted(r.cancel_requested for r in yielded) == [False, True]


@pytest.mark.parametrize("how", ["timeout", "cancelled"])
async def test_on_event_hears_finished_for_every_sync_a_give_up_settled(
    start: Start, how: str
) -> None:
    """A batch given up on (its timeout, or its caller cancelled) tells on_event of each sync
    it settled, as of the others: one finished event per connection, each with its result."""
    emu, client = await start(connections=3)
    quick, *slow = emu.connection_ids
    emu.set_sync_plan(quick, duration=0.05)
    for cid in slow:
        emu.set_sync_plan(cid, duration=30.0)
    events: list[SyncEvent] = []
    options: dict[str, Any] = {"timeout": 1.0} if how == "timeout" else {}
    orchestrator = _orchestrator(client, on_event=events.append, **options)

    with anyio.fail_after(30), anyio.move_on_after(1.0 if how == "cancelled" else 60):
        await orchestrator.run(emu.connection_ids)

    finished = {
        e.target.connection_id: e.result.outcome
        for e in events
        if e.kind is EventKind.FINISHED and e.result is not None
    }
    gave_up = Outcome.TIMED_OUT if how == "timeout" else Outcome.CANCELLED
    assert finished == {quick: Outcome.SUCCEEDED, **dict.fromkeys(slow, gave_up)}


async def test_stream_yields_the_results_fail_fast_gave_up_on(start: Start) -> None:
    """fail_fast: after the first sync that fails, the iteration yields the syncs it stopped
    (cancelled) too, then ends."""
    emu, client = await start(connections=3)
    failing, *others = emu.connection_ids
    emu.set_sync_plan(failing, duration=0.05, outcome="failed")
    for cid in others:
        emu.set_sync_plan(cid, duration=30.0)

    with anyio.fail_after(30):
        async with _orchestrator(client, fail_fast=True).stream(emu.connection_ids) as batch:
            yielded = {result.connection_id: result.outcome async for result in batch}

    assert yielded == {
        failing: Outcome.FAILED,
        **dict.fromkeys(others, Outcome.CANCELLED),
    }


async def test_results_ready_together_are_taken_without_a_loop_turn_each(start: Start) -> None:
    """Iterating a batch whose results are all in takes them all before any other task runs."""
    emu, client = await start(connections=5)
    async with _orchestrator(client).stream(emu.connection_ids) as batch:
        await until(lambda: batch._finished)
        others_ran = anyio.Event()
        async with anyio.create_task_group() as tg:
            tg.start_soon(_set, others_ran)
            taken = [result async for result in batch]
            assert not others_ran.is_set()
    assert sorted(r.connection_id for r in taken) == sorted(emu.connection_ids)


async def test_a_cancelled_consumer_stops_at_a_ready_result(start: Start) -> None:
    """A result that is ready is still a place where a cancelled caller stops."""
    emu, client = await start(connections=3)
    taken = []
    async with _orchestrator(client).stream(emu.connection_ids) as batch:
        await until(lambda: batch._finished)
        with anyio.CancelScope() as scope:
            scope.cancel()
            async for result in batch:
                taken.append(result)
    assert scope.cancelled_caught
    assert taken == []


async def test_a_caller_s_deadline_carries_no_internal_error_as_its_context(
    start: Start,
) -> None:
    """A deadline (or a Ctrl-C) that stops a caller waiting for the next result brings no
    error of the library's own plumbing into the caller's traceback as its context."""
    emu, client = await start(connections=1, sync_duration=(30, 30))
    async with _orchestrator(client).stream(emu.connection_ids) as batch:
        with pytest.raises(TimeoutError) as caught, anyio.fail_after(0.3):
            async for _ in batch:
                pass
        batch.stop_cleanup()

    contexts = []
    error: BaseException | None = caught.value
    while error is not None:
        contexts.append(type(error).__name__)
        error = error.__context__
    assert "WouldBlock" not in contexts, contexts


async def _set(event: anyio.Event) -> None:
    event.set()


async def test_selection_by_workspace_and_name(start: Start) -> None:
    """A Selection takes the active connections of a workspace whose names match the glob."""
    emu, client = await start(connections=20, workspaces=2)
    selection = Selection(workspace_id=emu.workspace_ids[1], name_glob="conn-0000*")
    results = await _orchestrator(client).run(selection)

    names = sorted(r.connection_name or "" for r in results)
    assert names == ["conn-00001", "conn-00003", "conn-00005", "conn-00007", "conn-00009"]


@pytest.mark.parametrize(
    ("tags", "synced"),
    [("nightly", [0, 1]), (["nightly", "hourly"], [0, 1, 2]), (["weekly"], [])],
)
async def test_selection_by_tag(start: Start, tags: str | list[str], synced: list[int]) -> None:
    """A Selection by tags takes the connections carrying any of them, by name (tags set in
    Airbyte's UI; ConnectionRead.tags, ConnectionResponse.tags); none is a NoMatchError
    naming the tags."""
    emu, client = await start(connections=4, airbyte_version="head")
    ids = emu.connection_ids
    emu.tag_connection(ids[0], "nightly")
    emu.tag_connection(ids[1], "nightly", "finance")
    emu.tag_connection(ids[2], "hourly")
    selection = Selection(all_workspaces=True, tags=tags)
    if not synced:
        with pytest.raises(NoMatchError, match="tagged weekly"):
            await _orchestrator(client).run(selection)
        return
    results = await _orchestrator(client).run(selection)

    assert sorted(r.connection_id for r in results) == sorted(ids[i] for i in synced)
    assert sorted(emu.stats().jobs_by_connection) == sorted(ids[i] for i in synced)


async def test_a_selection_by_tag_on_a_server_without_tags_says_so(start: Start) -> None:
    """On a server whose connections carry no tags (0.50), a Selection by tag raises
    UnsupportedOperationError rather than finding nothing, and starts nothing."""
    emu, client = await start(connections=2, airbyte_version="0.50")
    with pytest.raises(UnsupportedOperationError, match="tags"):
        await _orchestrator(client).run(Selection(all_workspaces=True, tags="nightly"))
    assert emu.stats().jobs_by_connection == {}


async def test_a_selection_by_tag_on_head_with_no_tag_set_yet_matches_nothing(
    start: Start,
) -> None:
    """Head lists every connection's tags, an empty list when it has none: a Selection by
    tag there is a NoMatchError (the tag is not used yet), not a server without tags."""
    emu, client = await start(connections=2, airbyte_version="head")
    with pytest.raises(NoMatchError, match="tagged nightly"):
        await _orchestrator(client).run(Selection(all_workspaces=True, tags="nightly"))
    assert emu.stats().jobs_by_connection == {}


async def test_a_selection_matching_nothing_is_an_error(start: Start) -> None:
    """An empty selection raises NoMatchError naming what was looked for."""
    _emu, client = await start(connections=2)
    with pytest.raises(NoMatchError, match="nothing-like-this"):
        await _orchestrator(client).run(
            Selection(all_workspaces=True, name_glob="nothing-like-this*")
        )


@pytest.mark.parametrize("include_inactive", [False, True])
async def test_a_selection_takes_active_connections_unless_told_to_include_inactive_ones(
    start: Start, include_inactive: bool
) -> None:
    """README's ``Selection(..., include_inactive=False)``: an inactive connection of the
    workspace is left out (no result, no request for it) unless *include_inactive*, which
    gives it a result of its own (an inactive connection cannot sync: ``error``)."""
    emu, client = await start(connections=3)
    inactive = emu.connection_ids[1]
    await client.connections.update(connection_id=inactive, status=ConnectionStatus.INACTIVE)
    selection = Selection(workspace_id=emu.workspace_ids[0], include_inactive=include_inactive)

    results = {r.connection_id: r for r in await _orchestrator(client).run(selection)}

    taken = emu.connection_ids if include_inactive else emu.connection_ids[::2]
    assert sorted(results) == sorted(taken)
    if include_inactive:
        assert results[inactive].outcome is Outcome.ERROR
    assert inactive not in emu.stats().jobs_by_connection


@pytest.mark.parametrize(
    ("include_inactive", "message"),
    [(False, "no active connection named"), (True, "no connection named")],
)
async def test_an_empty_selection_says_which_connections_it_took(
    start: Start, include_inactive: bool, message: str
) -> None:
    """The error names active connections only when inactive ones were left out."""
    _emu, client = await start(connections=1)
    selection = Selection(all_workspaces=True, name_glob="zz", include_inactive=include_inactive)
    with pytest.raises(NoMatchError, match=message):
        await _orchestrator(client).run(selection)


@pytest.mark.parametrize(
    "connections",
    [[], ["not-a-uuid"], [42]],
    ids=["empty", "not-a-uuid", "not-a-string"],
)
async def test_bad_connection_lists_fail_before_any_request(
    start: Start, connections: list[Any]
) -> None:
    """Empty lists and ids that are not UUIDs raise InvalidArgumentError; nothing is sent."""
    emu, client = await start(connections=1)
    emu.reset_stats()
    with pytest.raises(InvalidArgumentError):
        await _orchestrator(client).run(connections)
    assert emu.stats().total_requests == 0


async def test_one_id_in_place_of_a_list_is_named_as_such(start: Start) -> None:
    """A bare id string (iterable, one character at a time) raises InvalidArgumentError that
    says a list is wanted, not that its first character is no UUID; nothing is sent."""
    emu, client = await start(connections=1)
    emu.reset_stats()
    with pytest.raises(InvalidArgumentError, match="list of ids") as raised:
        await _orchestrator(client).run(emu.connection_ids[0])  # type: ignore[arg-type]
    assert emu.connection_ids[0] in str(raised.value)
    assert emu.stats().total_requests == 0


@pytest.mark.parametrize("render", [str, ",".join, lambda ids: str(tuple(ids))])
async def test_a_list_rendered_as_text_is_named_as_such(
    start: Start, render: Callable[[list[str]], str]
) -> None:
    """Ids a scheduler's template rendered into one string (Airflow renders Jinja to text
    unless the DAG sets ``render_template_as_native_obj``) raise InvalidArgumentError saying
    it is a list rendered as text, with how many ids it holds, not to wrap it in a list
    (which would then fail as one malformed id); nothing is sent."""
    emu, client = await start(connections=2)
    emu.reset_stats()
    rendered = render(list(emu.connection_ids))
    with pytest.raises(InvalidArgumentError) as raised:
        await _orchestrator(client).run(rendered)  # type: ignore[arg-type]
    assert str(raised.value) == (
        f"connections must be a list of ids or targets (or a Selection), got a string holding 2 "
        f"ids, a list rendered as text (a scheduler's template? Airflow's "
        f"render_template_as_native_obj=True keeps it a list): {rendered!r}"
    )
    assert emu.stats().total_requests == 0


async def test_a_refusal_answered_past_sync_timeout_attaches_to_the_sync_it_names(
    start: Start,
) -> None:
    """Another client's sync runs; the trigger's 409 comes back after the look for that sync,
    answered late, outlasted *sync_timeout*: the refusal is an answer all the same, and the
    result names the running sync it attached to (timed out, left running), not a trigger
    "not answered" with no job."""
    emu, client = await start(connections=1)
    cid = emu.connection_ids[0]
    emu.set_sync_plan(cid, duration=600)
    theirs = await client.connections.sync(connection_id=cid)
    emu.set_faults([Fault(kind="late", route="jobs/list", delay=2.0)])

    [result] = await _orchestrator(client, sync_timeout=1.0).run([cid])

    assert (result.outcome, result.job_id, result.attached) == (
        Outcome.TIMED_OUT,
        theirs.id,
        True,
    )
    assert "before its trigger was answered" not in (result.error or "")
    assert emu.job_status(theirs.id) == "running"


@pytest.mark.parametrize("connections", [None, 5])
async def test_connections_that_are_no_list_are_an_invalid_argument(
    start: Start, connections: object
) -> None:
    """None or a number in place of the connections raises InvalidArgumentError naming what
    was given, not a TypeError from iterating it; nothing is sent."""
    emu, client = await start(connections=1)
    emu.reset_stats()
    with pytest.raises(InvalidArgumentError, match=type(connections).__name__):
        await _orchestrator(client).run(connections)  # type: ignore[arg-type]
    assert emu.stats().total_requests == 0


@pytest.mark.parametrize(
    "options",
    [
        {"max_running": 0},
        {"max_triggers": -1},
        {"poll_interval": 0},
        {"poll_interval": -1.0},
        {"sync_timeout": 0},
        {"timeout": float("nan")},
        {"on_running": "sometimes"},
        {"poll_interval": 5.0, "max_poll_interval": 1.0},
        {"log_tail": -1},
        {"progress_interval": 0},
        {"progress_interval": 1.0},
        {"on_event": 5},
    ],
)
async def test_bad_options_are_refused(start: Start, options: dict[str, Any]) -> None:
    """Zero, negative or unknown options raise InvalidArgumentError naming the option."""
    _, client = await start()
    with pytest.raises(InvalidArgumentError, match=next(iter(options))):
        Orchestrator(client, **options)


def test_selection_needs_a_scope() -> None:
    """A Selection with neither a workspace nor all_workspaces is refused."""
    with pytest.raises(InvalidArgumentError):
        Selection()
    with pytest.raises(InvalidArgumentError):
        Selection(workspace_id="not-a-uuid")
    with pytest.raises(InvalidArgumentError, match="name_glob must be a string"):
        Selection(all_workspaces=True, name_glob=5)  # type: ignore[arg-type]


@pytest.mark.parametrize("tags", [[1], 7, [""], None])
def test_selection_tags_must_be_strings(tags: object) -> None:
    """Tags that are not non-empty strings are refused; one string is one tag."""
    with pytest.raises(InvalidArgumentError, match="tags"):
        Selection(all_workspaces=True, tags=tags)  # type: ignore[arg-type]
    assert Selection(all_workspaces=True, tags="nightly").tags == {"nightly"}
    assert Selection(all_workspaces=True, tags=(t for t in ["a", "b"])).tags == {"a", "b"}


async def test_a_job_that_ended_before_the_abort_keeps_its_real_outcome(start: Start) -> None:
    """A job finished but not yet polled when the batch times out is reported as it ended."""
    emu, client = await start(connections=2)
    quick, slow = emu.connection_ids
    emu.set_sync_plan(quick, duration=0.05)
    emu.set_sync_plan(slow, duration=30)
    orchestrator = Orchestrator(client, poll_interval=5.0, max_poll_interval=5.0, timeout=0.6)
    results = await orchestrator.run([quick, slow])

    assert results[0].outcome is Outcome.SUCCEEDED
    assert results[0].records_synced
    assert results[1].outcome is Outcome.TIMED_OUT
    assert emu.job_status(results[1].job_id or 0) == "cancelled"


async def test_leaving_the_stream_early_cancels_the_jobs_it_started(start: Start) -> None:
    """Breaking out of stream() gives the batch up: its running jobs are cancelled."""
    emu, client = await start(connections=3)
    quick = emu.connection_ids[0]
    emu.set_sync_plan(quick, duration=0.05)
    for cid in emu.connection_ids[1:]:
        emu.set_sync_plan(cid, duration=30)
    orchestrator = _orchestrator(client)
    async with orchestrator.stream(emu.connection_ids) as results:
        async for result in results:
            assert result.connection_id == quick
            break

    statuses = emu.stats().job_statuses
    assert sorted(statuses.values()) == ["cancelled", "cancelled", "succeeded"]


async def test_an_error_raised_in_the_stream_block_comes_out_as_itself(start: Start) -> None:
    """A ValueError raised inside ``async with stream()`` reaches the caller as a ValueError
    (not wrapped in an exception group), once the batch's jobs are cancelled."""
    emu, client = await start(connections=2)
    for cid in emu.connection_ids:
        emu.set_sync_plan(cid, duration=30)

    async def fail_inside() -> None:
        async with _orchestrator(client).stream(emu.connection_ids):
            await until(lambda: emu.stats().jobs_created == 2)
            raise ValueError("mine")

    with pytest.raises(ValueError, match="mine"):
        await fail_inside()

    assert sorted(emu.stats().job_statuses.values()) == ["cancelled", "cancelled"]


async def test_failed_results_carry_the_log_tail_when_asked(start: Start) -> None:
    """log_tail=5: a failed sync's result ends with the last five lines of its log."""
    emu, client = await start(connections=2)
    bad, good = emu.connection_ids
    emu.set_sync_plan(bad, outcome="failed")
    results = await _orchestrator(client, log_tail=5).run([bad, good])

    assert results[0].outcome is Outcome.FAILED
    assert 0 < len(results[0].log_tail) <= 5
    job = await client.jobs.get(job_id=results[0].job_id or 0)
    logs = job.attempts[-1].logs
    assert logs is not None
    assert list(results[0].log_tail) == list(logs.lines[-5:])
    assert results[1].log_tail == ()


@pytest.mark.parametrize("version", ["0.50", "1.7", "2.0", "head"])
async def test_live_progress_reports_records_of_running_syncs(start: Start, version: str) -> None:
    """progress_interval: running syncs report growing record counts through the event hook."""
    emu, client = await start(airbyte_version=version, connections=2, sync_duration=(0.6, 0.7))
    events: list[SyncEvent] = []
    await _orchestrator(client, on_event=events.append, progress_interval=0.1).run(
        emu.connection_ids
    )

    progress = [e.progress for e in events if e.kind is EventKind.PROGRESS]
    assert progress
    assert any(p is not None and (p.records_emitted or 0) > 0 for p in progress)


async def test_live_progress_stops_with_one_warning_where_the_server_lacks_it(
    start: Start, caplog: pytest.LogCaptureFixture
) -> None:
    """On 0.40 (no connections/sync_progress) the batch succeeds, reports no progress, and
    one warning says why."""
    emu, client = await start(airbyte_version="0.40", connections=2, sync_duration=(0.4, 0.5))
    events: list[SyncEvent] = []
    with caplog.at_level("WARNING", logger="airbyte_async"):
        results = await _orchestrator(client, on_event=events.append, progress_interval=0.05).run(
            emu.connection_ids
        )

    assert all(r.ok for r in results)
    assert not [e for e in events if e.kind is EventKind.PROGRESS]
    told = [r.getMessage() for r in caplog.records if "no progress events" in r.getMessage()]
    assert len(told) == 1 and "Airbyte serves it from 0.50 on" in told[0]
    assert emu.stats().requests_by_route.get("/v1/connections/sync_progress", 0) <= 2


async def test_jobs_of_triggers_cut_short_are_found_and_cancelled(start: Start) -> None:
    """Cancelled while its triggers wait for answers: the jobs they started are cancelled too."""
    # The clock stands still until the batch is cancelled, so the triggers are in flight
    # then, however busy the machine; it moves once the batch hears them out.
    clock = ManualClock()
    emu, client = await start(
        connections=3, clock=clock, trigger_latency=1.0, sync_duration=(60, 60)
    )
    orchestrator = _orchestrator(client)
    batch = anyio.CancelScope()

    async def run() -> None:
        with batch:
            await orchestrator.run(emu.connection_ids)

    async with anyio.create_task_group() as tg:
        tg.start_soon(run)
        await until(lambda: emu.stats().max_in_flight_syncs == 3)
        batch.cancel()
        clock.advance(1.0)
        # Head's public trigger answers with its job pending, whose cancel Airbyte ignores
        # until an attempt runs (ConnectionManagerWorkflowImpl.cancelJob): let them run.
        await until(lambda: emu.stats().jobs_created == 3)
        clock.advance(1.0)

    statuses = emu.stats().job_statuses
    assert len(statuses) == 3
    assert set(statuses.values()) == {"cancelled"}
    assert all(r.cancel_requested for r in orchestrator.results.values())


@pytest.mark.parametrize("version", ["0.50", "1.7", "2.0", "head"])
async def test_jobs_that_triggers_cut_short_start_later_are_cancelled_too(
    start: Start, version: str
) -> None:
    """
    Cancelled while two of its triggers wait for one of the server's scheduler threads: the
    server still starts their jobs once it gets to them, after the batch looked, and the
    batch keeps looking until it finds and cancels them. No job is left running.
    """
    emu, client = await start(
        airbyte_version=version,
        connections=3,
        trigger_latency=0.3,
        trigger_capacity=1,
        cancel_latency=0.05,
        sync_duration=(60, 60),
    )
    orchestrator = _orchestrator(client, max_triggers=3)

    async def run() -> None:
        await orchestrator.run(emu.connection_ids)

    async with anyio.create_task_group() as tg:
        tg.start_soon(run)
        await until(lambda: emu.stats().max_in_flight_syncs == 3)
        assert emu.stats().jobs_created == 1
        tg.cancel_scope.cancel()

    statuses = emu.stats().job_statuses
    assert len(statuses) == 3
    assert set(statuses.values()) == {"cancelled"}
    assert all(r.cancel_requested for r in orchestrator.results.values())


@pytest.mark.slow
async def test_a_trigger_queued_past_the_default_patience_is_still_found(start: Start) -> None:
    """
    One scheduler thread that takes 6 s per trigger (API-FACTS 6.3b: a trigger answers once
    its job runs, seconds on a busy server) gets to the third trigger 6 s after the batch,
    cancelled at the first answer, found the second job: longer than the 5 s the search waits
    at the least. The search waits twice what the answered trigger took, so it finds and
    cancels the third job too. No job is left running.
    """
    emu, client = await start(
        connections=3,
        trigger_latency=6.0,
        trigger_capacity=1,
        cancel_latency=0.05,
        sync_duration=(60, 60),
    )
    orchestrator = _orchestrator(client, max_triggers=3)

    async with anyio.create_task_group() as tg:
        tg.start_soon(orchestrator.run, emu.connection_ids)
        # The thread starts the second job as it answers the first trigger.
        await until(lambda: emu.stats().jobs_created == 2)
        await anyio.sleep(0.3)
        tg.cancel_scope.cancel()

    statuses = emu.stats().job_statuses
    assert len(statuses) == 3
    assert set(statuses.values()) == {"cancelled"}
    assert all(r.cancel_requested for r in orchestrator.results.values())


async def test_a_job_ended_before_its_trigger_was_answered_reports_its_counts(
    start: Start,
) -> None:
    """A sync that ended before its trigger's answer came back (a fast sync, a slow answer)
    reports the records and bytes its job counts, though that answer carried none."""
    emu, client = await start(connections=3, sync_duration=(0.0, 0.0))
    results = await _orchestrator(client).run(emu.connection_ids)

    for r in results:
        assert r.ok and r.job_id is not None
        job = await client.jobs.get(job_id=r.job_id)
        assert job.records_synced is not None
        assert (r.records_synced, r.bytes_synced) == (job.records_synced, job.bytes_synced)


async def test_two_concurrent_batches_on_one_orchestrator_are_independent(start: Start) -> None:
    """Two run() calls at once on one orchestrator, 20 connections each: each returns exactly
    its own connections, in order, with the job the server ran for each and its counts."""
    emu, client = await start(connections=40)
    orchestrator = _orchestrator(client, max_running=10, max_triggers=5)
    first, second = emu.connection_ids[:20], emu.connection_ids[20:]
    answers: dict[str, list[Any]] = {}

    async def run(name: str, ids: list[str]) -> None:
        answers[name] = await orchestrator.run(ids)

    async with anyio.create_task_group() as tg:
        tg.start_soon(run, "first", first)
        tg.start_soon(run, "second", second)

    for name, ids in (("first", first), ("second", second)):
        results = answers[name]
        assert [r.connection_id for r in results] == ids
        for r in results:
            assert r.ok and r.job_id is not None
            job = await client.jobs.get(job_id=r.job_id)
            assert job.config_id == r.connection_id
            assert (r.records_synced, r.bytes_synced) == (job.records_synced, job.bytes_synced)


async def test_each_batch_reports_its_own_state(start: Start) -> None:
    """Two streamed batches at once: each batch object holds its own targets, results and
    polls (together, every listing the server served), and the orchestrator's trigger bound."""
    emu, client = await start(connections=10)
    orchestrator = _orchestrator(client, max_triggers=3)
    batches: dict[int, Any] = {}

    async def stream(n: int, ids: list[str]) -> None:
        async with orchestrator.stream(ids) as batch:
            batches[n] = batch
            async for _ in batch:
                pass

    async with anyio.create_task_group() as tg:
        tg.start_soon(stream, 0, emu.connection_ids[:4])
        tg.start_soon(stream, 1, emu.connection_ids[4:])

    assert [t.connection_id for t in batches[0].targets] == emu.connection_ids[:4]
    assert list(batches[1].results) == emu.connection_ids[4:]
    assert all(r.ok for b in batches.values() for r in b.results.values())
    listings = emu.stats().requests_by_route["/v1/jobs/list_for_workspaces"]
    assert batches[0].polls + batches[1].polls == listings
    assert batches[0].trigger_limit == batches[1].trigger_limit == 3


def _once_triggered(count: int) -> tuple[Callable[[SyncEvent], None], anyio.Event]:
    """An on_event callback, and the event it sets once *count* syncs were triggered."""
    triggered = 0
    watched = anyio.Event()

    def on_event(event: SyncEvent) -> None:
        nonlocal triggered
        if event.kind is EventKind.TRIGGERED:
            triggered += 1
            if triggered == count:
                watched.set()

    return on_event, watched


def _hold_for_a_minute(emu: Emulator, api: str, route: str) -> None:
    """Have *emu* hold every request to *route* (a GET on the public API) for a minute."""
    method = "GET" if api == "public" else None
    emu.set_faults([Fault(kind="latency", route=route, method=method, delay=60.0)])


def _first_job_status(emu: Emulator, cid: str) -> str | None:
    jobs = emu.stats().jobs_by_connection.get(cid)
    return emu.job_status(jobs[0]) if jobs else None


async def test_a_stale_cancel_never_cancels_a_newer_job(start: Start) -> None:
    """A job ended unseen, then its connection started a newer sync (someone else's): when the
    batch gives up, the ended job is reported as it ended and the newer job keeps running."""
    emu, client = await start(connections=2)
    ended, slow = emu.connection_ids
    emu.set_sync_plan(ended, duration=0.05)
    emu.set_sync_plan(slow, duration=60)
    orchestrator = Orchestrator(client, poll_interval=30.0, max_poll_interval=30.0)
    newer = 0

    async def run() -> None:
        await orchestrator.run([ended, slow])

    async with anyio.create_task_group() as tg:
        tg.start_soon(run)
        await until(lambda: _first_job_status(emu, ended) == "succeeded")
        emu.set_sync_plan(ended, duration=60)
        newer = (await client.connections.sync(connection_id=ended)).id
        tg.cancel_scope.cancel()

    first, second = orchestrator.results.values()
    assert first.outcome is Outcome.SUCCEEDED and not first.cancel_requested
    assert first.job_id == emu.stats().jobs_by_connection[ended][0] != newer
    assert emu.job_status(newer) == "running"
    assert second.outcome is Outcome.CANCELLED and second.cancel_requested
    assert emu.job_status(second.job_id or 0) == "cancelled"


async def test_a_late_read_at_the_give_up_is_read_again_before_its_cancel(start: Start) -> None:
    """The give-up's read of a running job comes back 1.5 s late (a 200 as old as its request,
    API-FACTS 6.3b): meanwhile the job ended and someone else's sync started on the connection.
    The read counts as made when it was sent, so it is read again before the cancel, which
    Airbyte would have put on the newer job (a cancel stops whatever the connection runs)."""
    emu, client = await start(connections=1, sync_duration=(1.0, 1.0))
    (cid,) = emu.connection_ids
    orchestrator = _orchestrator(client)
    newer: list[int] = []

    async def someone_else() -> None:
        await until(lambda: _first_job_status(emu, cid) == "succeeded")
        emu.set_sync_plan(cid, duration=60)
        newer.append((await client.connections.sync(connection_id=cid)).id)

    async with anyio.create_task_group() as tg:
        tg.start_soon(someone_else)
        async with anyio.create_task_group() as batch:
            batch.start_soon(orchestrator.run, [cid])
            await until(lambda: _first_job_status(emu, cid) == "running")
            emu.set_faults([{"kind": "late", "route": "jobs/get*", "delay": 1.5, "times": 1}])
            batch.cancel_scope.cancel()  # the batch is given up on

    (result,) = orchestrator.results.values()
    assert emu.stats().faults_injected == {"late": 1}
    assert result.outcome is Outcome.SUCCEEDED and not result.cancel_requested
    assert emu.job_status(newer[0]) == "running"


async def test_a_trigger_in_flight_whose_job_ended_is_reported_not_cancelled(start: Start) -> None:
    """A trigger whose answer is late when the batch is given up: its job is found by the
    server's clock and reported with its id and real status; a job that ended is not cancelled."""
    emu, client = await start(
        connections=1,
        sync_duration=(0.05, 0.05),
        faults=[{"kind": "late", "route": "connections/sync", "delay": 30}],
    )
    (cid,) = emu.connection_ids
    orchestrator = _orchestrator(client)
    with pytest.raises(TimeoutError), anyio.fail_after(0.6):
        await orchestrator.run([cid])

    (result,) = orchestrator.results.values()
    (job_id,) = emu.stats().jobs_by_connection[cid]
    assert result.job_id == job_id and result.outcome is Outcome.SUCCEEDED
    assert not result.cancel_requested and result.records_synced
    assert emu.stats().requests_by_route.get("/v1/jobs/cancel", 0) == 0


async def test_a_job_that_ends_before_its_cancel_reports_its_real_outcome(start: Start) -> None:
    """A job running when the batch gives up but ended when the cancel arrives: the cancel's
    answer is read, and the result carries its real outcome, records and bytes."""
    emu, client = await start(
        connections=1,
        sync_duration=(0.8, 0.8),
        faults=[{"kind": "latency", "route": "jobs/cancel", "delay": 1.0}],
    )
    (cid,) = emu.connection_ids
    results = await _orchestrator(client, timeout=0.5).run([cid])

    (result,) = results
    job = await client.jobs.get(job_id=result.job_id or 0)
    assert result.outcome is Outcome.SUCCEEDED and result.cancel_requested
    assert (result.records_synced, result.bytes_synced) == (job.records_synced, job.bytes_synced)
    assert result.records_synced


async def test_an_attached_job_is_never_cancelled(start: Start) -> None:
    """on_running=attach and the batch times out: the adopted job keeps running on Airbyte."""
    emu, client = await start(connections=1)
    (cid,) = emu.connection_ids
    emu.set_sync_plan(cid, duration=60)
    running = (await client.connections.sync(connection_id=cid)).id
    results = await _orchestrator(client, timeout=0.5).run([cid])

    (result,) = results
    assert result.job_id == running and result.attached
    assert result.outcome is Outcome.TIMED_OUT and not result.cancel_requested
    assert emu.job_status(running) == "running"


@pytest.mark.parametrize(("fault", "cancels"), [("error", 2), ("reset_after", 1)])
async def test_a_failed_cancel_is_resent_only_while_the_job_still_runs(
    start: Start, fault: str, cancels: int
) -> None:
    """A cancel that fails is never replayed blindly: the job is read, and cancelled again only
    if it still runs (a 500 that did nothing: twice; a lost answer after acting: once)."""
    emu, client = await start(
        connections=1,
        sync_duration=(60, 60),
        faults=[{"kind": fault, "route": "jobs/cancel", "times": 1}],
    )
    (cid,) = emu.connection_ids
    (result,) = await _orchestrator(client, timeout=0.5).run([cid])

    assert result.outcome is Outcome.TIMED_OUT and result.cancel_requested
    assert emu.job_status(result.job_id or 0) == "cancelled"
    assert emu.stats().requests_by_route["/v1/jobs/cancel"] == cancels


@pytest.mark.slow
async def test_triggers_queued_by_the_server_longer_than_half_a_minute_sync_once() -> None:
    """One scheduler thread, 2 s per trigger, twenty triggers sent at once with a 5 s client
    timeout: the last waits about 40 s in the server's queue, long after its request timed
    out, and the server still runs it (API-FACTS 6.3b). None is sent again meanwhile, so each
    connection syncs once (a 30 s hold resent the last few, which then synced twice)."""
    server = Emulator(
        connections=20, trigger_capacity=1, trigger_latency=2.0, sync_duration=(0.1, 0.2)
    )
    async with server as emu, AirbyteClient(emu.url, auth=NoAuth(), env={}, timeout=5) as client:
        results = await _orchestrator(
            client, max_running=20, max_triggers=20, adaptive_triggers=False
        ).run(emu.connection_ids)

    assert all(r.ok for r in results)
    assert all(len(jobs) == 1 for jobs in emu.stats().jobs_by_connection.values())


async def test_triggers_a_proxy_timed_out_over_the_servers_queue_sync_once(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """One scheduler thread, 0.3 s per trigger, eight sent at once behind a proxy whose read
    timeout (0.5 s here; 30 s and more in front of Airbyte) expires while most of them wait
    in the server's queue: the server still runs each (API-FACTS 6.3b), and a 504 that came
    that late is held like a timeout until its job turns up, so each connection syncs once
    (sent again after one look, the queued triggers synced twice)."""
    monkeypatch.setattr(_reconcile, "_PROXY_READ_TIMEOUT", 0.4)  # 10 s, at this test's scale
    monkeypatch.setattr(_reconcile, "_HOLD_PAUSE", 0.2)
    proxy = {"kind": "proxy_timeout", "route": "connections/sync", "delay": 0.5}
    server = Emulator(
        connections=8,
        trigger_capacity=1,
        trigger_latency=0.3,
        sync_duration=(0.1, 0.2),
        faults=[proxy],
    )
    async with server as emu, AirbyteClient(emu.url, auth=NoAuth(), env={}) as client:
        results = await _orchestrator(
            client, max_running=8, max_triggers=8, adaptive_triggers=False
        ).run(emu.connection_ids)
        await until(lambda: emu.stats().syncs_in_flight == 0)  # the queue run to its end

    assert all(r.ok for r in results)
    assert sorted(len(jobs) for jobs in emu.stats().jobs_by_connection.values()) == [1] * 8


async def test_a_commit_lag_learned_by_one_batch_is_kept_for_the_next(
    caplog: pytest.LogCaptureFixture,
) -> None:
    """A server that commits ends late (commit lag): the first batch on an orchestrator finds
    it out (and warns once its windows widen); the batches after start from the wider windows,
    without finding it out, or warning, again."""
    lagging = Emulator(connections=6, trigger_latency=0, commit_lag=1.0, sync_duration=(0.2, 0.6))
    async with lagging as emu, AirbyteClient(emu.url, auth=NoAuth(), env={}) as client:
        orchestrator = _orchestrator(client)
        first = await orchestrator.run(emu.connection_ids)
        warned = [r for r in caplog.records if "ended unseen" in r.getMessage()]
        caplog.clear()
        second = await orchestrator.run(emu.connection_ids)

    assert all(r.ok for r in first + second)
    assert warned
    assert not [r for r in caplog.records if "ended unseen" in r.getMessage()]


async def test_a_batch_right_after_the_previous_one_syncs_each_connection_again() -> None:
    """A batch started as the previous one's jobs end meets Airbyte's workflows still wrapping
    them up (a 409 "A sync is already running" with none running, for a moment after each
    end: ``ConnectionManagerWorkflowImpl.reportSuccess``); each connection still syncs, once."""
    emulator = Emulator(connections=4, trigger_latency=0.02, wrap_up=1.0, sync_duration=(0.2, 0.2))
    async with emulator as emu, AirbyteClient(emu.url, auth=NoAuth(), env={}) as client:
        orchestrator = _orchestrator(client)
        first = await orchestrator.run(emu.connection_ids)
        with anyio.fail_after(30):
            second = await orchestrator.run(emu.connection_ids)
        stats = emu.stats()

    assert [r.outcome for r in first + second] == [Outcome.SUCCEEDED] * 8
    assert sorted(len(jobs) for jobs in stats.jobs_by_connection.values()) == [2] * 4
    assert stats.requests_by_route["/v1/connections/sync"] > 8


@pytest.mark.parametrize("outcome", list(Outcome))
def test_a_results_json_says_whether_it_succeeded(outcome: Outcome) -> None:
    """``ok`` in the JSON (the CLI's --json lines) is the result's ``ok``: succeeded only."""
    result = SyncResult("00000000-0000-4000-8000-000000000000", outcome)

    assert result.to_json()["ok"] is (outcome is Outcome.SUCCEEDED)


@pytest.mark.parametrize(
    "kind", [EventKind.TRIGGERED, EventKind.STATUS_CHANGED, EventKind.PROGRESS]
)
async def test_an_error_raised_in_a_task_of_the_batch_cancels_its_jobs_and_comes_out_as_itself(
    start: Start, kind: EventKind
) -> None:
    """An exception raised in one of the batch's own tasks (here an on_event callback, called
    by a worker, the watcher or the progress reader; or an exception a signal handler raises,
    as Airflow's execution_timeout does, in whatever task runs then) reaches the caller as
    itself, once the jobs the batch started are cancelled."""
    emu, client = await start(connections=3)
    short, *long = emu.connection_ids
    emu.set_sync_plan(short, duration=0.3)
    for cid in long:
        emu.set_sync_plan(cid, duration=30)
    triggered, raised = 0, False

    def on_event(event: SyncEvent) -> None:
        nonlocal triggered, raised
        triggered += event.kind is EventKind.TRIGGERED
        if event.kind is kind and triggered == 3 and not raised:
            raised = True
            raise RuntimeError("boom")

    orchestrator = _orchestrator(client, on_event=on_event, progress_interval=0.05)
    with pytest.raises(RuntimeError, match="boom"):
        await orchestrator.run(emu.connection_ids)

    assert [_first_job_status(emu, cid) for cid in long] == ["cancelled", "cancelled"]
    assert {orchestrator.results[cid].outcome for cid in long} == {Outcome.ERROR}


def raising_twice_at_once(clock: ManualClock) -> Callable[[SyncEvent], None]:
    """An on_event that, once both syncs of the batch are triggered, ends their jobs in the
    same instant (one poll sees both end) and raises AttributeError naming each finished."""
    triggered = 0

    def on_event(event: SyncEvent) -> None:
        nonlocal triggered
        if event.kind is EventKind.TRIGGERED:
            triggered += 1
            if triggered == 2:
                clock.advance(60)
        elif event.kind is EventKind.FINISHED:
            raise AttributeError(f"on_event failed on {event.target.connection_id}")

    return on_event


async def streamed(orchestrator: Orchestrator, connection_ids: list[str]) -> None:
    """Iterate a stream of the batch to its end, as a caller's block does."""
    async with orchestrator.stream(connection_ids) as batch:
        async for _ in batch:
            pass


async def ran(orchestrator: Orchestrator, connection_ids: list[str]) -> None:
    """Run the batch."""
    await orchestrator.run(connection_ids)


@pytest.mark.parametrize("way", [ran, streamed], ids=["run", "stream"])
async def test_on_event_raising_for_two_syncs_at_once_reaches_the_caller_as_the_first(
    start: Start, way: Callable[[Orchestrator, list[str]], Awaitable[None]]
) -> None:
    """Two syncs end in the same poll and on_event raises for each, in two tasks of the batch:
    run, and the block of a stream, get the first exception as itself, not an ExceptionGroup
    (README: on_event's exception "reaches the caller"); the second is named in its notes."""
    clock = ManualClock()
    emu, client = await start(connections=2, clock=clock, sync_duration=(60, 60))
    orchestrator = _orchestrator(client, max_running=2, on_event=raising_twice_at_once(clock))

    with pytest.raises(AttributeError, match=r"^on_event failed on ") as raised:
        await way(orchestrator, emu.connection_ids)

    [other] = set(emu.connection_ids) - {str(raised.value).rsplit(" ", 1)[1]}
    assert raised.value.__notes__ == [
        f"also raised in the batch, and dropped: AttributeError: on_event failed on {other}"
    ]


@pytest.mark.parametrize(
    ("fault", "first_error"),
    [
        pytest.param(
            Fault(kind="error", status=503, route="applications/token"), "503 on", id="503"
        ),
        pytest.param(
            Fault(kind="slow", delay=30.0, route="applications/token"),
            "timed out",
            id="timeout",
        ),
    ],
)
async def test_a_token_endpoint_that_stays_down_stops_the_batch_s_triggers(
    fault: Fault, first_error: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """
    The token endpoint answers 503, or not in time, throughout: the triggers of the first wave
    wait it out (the patience of a server restarting, shortened here) and end ``error`` with
    its failure; the rest are ``not triggered`` without a request, rather than each wave
    waiting it out again; no trigger was sent, so none may have started a sync.
    """
    monkeypatch.setattr(_reconcile, "_TOKEN_PATIENCE", 2.0)
    policy = RequireClientCredentials("app", "s3cret")
    emulator = Emulator(connections=6, auth=policy, faults=[fault], trigger_latency=0.0)
    auth = ClientCredentials("app", "s3cret")
    async with (
        emulator as emu,
        AirbyteClient(emu.url, auth=auth, env={}, api="config", timeout=0.3) as client,
    ):
        orchestrator = _orchestrator(client, max_running=2, timeout=60)
        [workspace] = emu.workspace_ids
        targets = [SyncTarget(cid, workspace_id=workspace) for cid in emu.connection_ids]
        results = await orchestrator.run(targets)

    assert requests_to(emu, "connections/sync") == 0
    assert {r.outcome for r in results} == {Outcome.ERROR}
    assert not any(r.left_running for r in results)
    assert first_error in (results[0].error or "")
    not_sent = [r for r in results if "not triggered: no access token" in (r.error or "")]
    assert len(not_sent) == 4


async def test_a_token_endpoint_that_comes_back_within_the_patience_loses_no_sync(
    caplog: pytest.LogCaptureFixture,
) -> None:
    """
    The token endpoint fails its first five requests (a server restarting): the triggers wait
    it out, warning once that they do and naming no secret, and every sync runs once.
    """
    policy = RequireClientCredentials("app", "s3cret")
    fault = Fault(kind="error", status=503, route="applications/token", times=5)
    emulator = Emulator(connections=6, auth=policy, faults=[fault], trigger_latency=0.0)
    auth = ClientCredentials("app", "s3cret")
    async with (
        emulator as emu,
        AirbyteClient(emu.url, auth=auth, env={}, api="config") as client,
    ):
        orchestrator = _orchestrator(client, max_running=2, timeout=120)
        [workspace] = emu.workspace_ids
        targets = [SyncTarget(cid, workspace_id=workspace) for cid in emu.connection_ids]
        results = await orchestrator.run(targets)
        runs = emu.stats().jobs_by_connection

    assert {r.outcome for r in results} == {Outcome.SUCCEEDED}
    assert sorted(len(jobs) for jobs in runs.values()) == [1] * 6
    warned = [r.getMessage() for r in caplog.records if "token request failed" in r.getMessage()]
    assert len(warned) == 1
    assert "s3cret" not in caplog.text


async def test_wrong_client_credentials_fail_the_batch_at_once_naming_no_secret() -> None:
    """Client credentials the token endpoint refuses (401, as Keycloak does; API-FACTS 1.1):
    one token request, no trigger, every result ``error`` saying to check the id and secret,
    without the secret."""
    policy = RequireClientCredentials("app", "s3cret", reject_status=401)
    auth = ClientCredentials("app", "wrong-secret-1234")
    async with (
        Emulator(connections=4, auth=policy, trigger_latency=0.0) as emu,
        AirbyteClient(emu.url, auth=auth, env={}, api="config") as client,
    ):
        [workspace] = emu.workspace_ids
        targets = [SyncTarget(cid, workspace_id=workspace) for cid in emu.connection_ids]
        results = await _orchestrator(client, max_running=2).run(targets)

    assert emu.stats().requests_by_route == {"/v1/applications/token": 1}
    assert {r.outcome for r in results} == {Outcome.ERROR}
    assert all("check the client id and secret" in (r.error or "") for r in results)
    assert not any("wrong-secret-1234" in (r.error or "") for r in results)


@pytest.mark.parametrize(
    ("limit", "expected"),
    [
        pytest.param({"timeout": 0.5, "cancel_grace": 2.0}, "the batch timed out", id="timeout"),
        pytest.param({"sync_timeout": 0.5}, "its sync_timeout passed", id="sync_timeout"),
    ],
)
async def test_triggers_still_waiting_for_a_slow_token_endpoint_at_their_deadline_are_not_sent(
    limit: dict[str, float], expected: str
) -> None:
    """
    The token endpoint answers, but only after 3 s, and the batch's timeout (or each sync's
    sync_timeout) passes while the triggers wait for the token: no trigger has left, so none is
    sent after its deadline, and each result is ``timed_out`` saying so, with no job and no
    "a sync may still run" (nor a look for jobs that cannot exist).
    """
    policy = RequireClientCredentials("app", "s3cret")
    late = Fault(kind="late", route="applications/token", delay=3.0)
    emulator = Emulator(connections=3, auth=policy, faults=[late], record_requests=True)
    async with (
        emulator as emu,
        AirbyteClient(emu.url, auth=ClientCredentials("app", "s3cret"), env={}) as client,
    ):
        [workspace] = emu.workspace_ids
        targets = [SyncTarget(cid, workspace_id=workspace) for cid in emu.connection_ids]
        results = await _orchestrator(client, **limit).run(targets)
        # Past the token's answer: a trigger sent after its deadline would have reached the
        # server by now.
        await anyio.sleep(3.5)

    assert [r.outcome for r in results] == [Outcome.TIMED_OUT] * 3
    assert all(r.job_id is None and not r.left_running for r in results)
    assert all(expected in (r.error or "") and "may still" not in (r.error or "") for r in results)
    assert requests_to(emu, "connections/sync") == requests_to(emu, "jobs/list") == 0
    assert emu.stats().jobs_by_connection == {}


@pytest.mark.parametrize(
    ("revoke_on", "refused_at"),
    [
        pytest.param(EventKind.FINISHED, 1, id="a-trigger-refused"),
        pytest.param(EventKind.TRIGGERED, 0, id="polls-refused", marks=pytest.mark.slow),
    ],
)
async def test_credentials_refused_mid_batch_stop_its_triggers(
    revoke_on: EventKind, refused_at: int
) -> None:
    """
    A token revoked while a batch runs (static credentials, which no replay renews; API-FACTS
    1.1): once a trigger is refused with 401 (revoked after the first sync ended), or the polls
    are, ten times in a row, about 14 s of outage pauses (revoked while the first sync runs),
    the batch sends no more triggers: the connections after it fail without a request, rather
    than each trigger being sent to be refused in turn.
    """
    emulator = Emulator(
        connections=6, auth=RequireBearer("tok-1"), trigger_latency=0.0, sync_duration=(2, 2)
    )

    def revoke(event: SyncEvent) -> None:
        if event.kind is revoke_on:
            emu.set_auth(RequireBearer("tok-2"))

    async with (
        emulator as emu,
        AirbyteClient(emu.url, auth=BearerToken("tok-1"), env={}, api="config") as client,
    ):
        orchestrator = _orchestrator(client, max_running=1, on_event=revoke)
        results = await orchestrator.run(emu.connection_ids)

    assert requests_to(emu, "connections/sync") == refused_at + 1
    outcomes = [Outcome.SUCCEEDED] * refused_at + [Outcome.ERROR] * (6 - refused_at)
    assert [r.outcome for r in results] == outcomes
    assert "401" in (results[refused_at].error or "")
    assert all(
        "not triggered: the credentials were refused" in (r.error or "")
        for r in results[refused_at + 1 :]
    )


@pytest.mark.parametrize(
    ("api", "trigger"), [("config", "v1/connections/sync"), ("public", "public/v1/jobs")]
)
async def test_a_batch_under_a_path_that_serves_nothing_fails_once(api: str, trigger: str) -> None:
    """200 targets (names and workspaces given, so nothing is looked up first) under a path
    prefix nothing serves: the first trigger's answer that the URL serves no API (health
    missing too, NotFoundController's "Object not found.") stops the triggers and the batch
    raises it, instead of 200 results of 200 failed triggers."""
    async with Emulator(airbyte_version="head", connections=1) as emu:
        wid = emu.workspace_ids[0]
        targets = [
            SyncTarget(f"00000000-0000-4000-8000-{n:012d}", f"c{n}", wid) for n in range(200)
        ]
        async with AirbyteClient(emu.url + "/prefix", api=api, auth=NoAuth(), env={}) as client:
            with pytest.raises(UnsupportedOperationError, match="check the URL's path") as raised:
                await _orchestrator(client, max_triggers=5).run(targets)
        sent = emu.stats().requests_by_route[f"/prefix/api/{trigger}"]

    assert raised.value.wrong_url
    assert sent <= 5


@pytest.mark.parametrize("api", ["config", "public"])
async def test_an_unknown_connection_a_role_check_forbids_fails_its_sync_not_the_batch(
    start: Start, api: str
) -> None:
    """Airbyte Cloud's public API, and both APIs of a 1.x server with authentication, answer
    403, not 404, for a connection that does not exist, to anyone but an instance admin
    (emulator ``instance_admin=False``): a batch naming one among others syncs the others,
    and that one's result is an error naming it, as on a server that answers 404."""
    emu, client = await start(api=api, airbyte_version="head", connections=2, instance_admin=False)
    unknown = "7f3c1a2e-0000-4000-8000-0000000000cd"
    results = await _orchestrator(client).run([unknown, *emu.connection_ids])

    by_id = {r.connection_id: r for r in results}
    assert by_id[unknown].outcome is Outcome.ERROR
    assert by_id[unknown].error is not None and f"connection {unknown}" in by_id[unknown].error
    assert [by_id[c].outcome for c in emu.connection_ids] == [Outcome.SUCCEEDED] * 2
