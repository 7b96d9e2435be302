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

import logging
from collections.abc import Awaitable, Callable
from typing import Any

import anyio
import pytest
from client_support import until

from airbyte_async import AirbyteClient, NoAuth, RetryPolicy
from airbyte_async.models import JobStatus
from airbyte_async.orchestrator import EventKind, Orchestrator, Outcome, SyncEvent, SyncResult
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
@pytest.mark.parametrize("how", ["caller", "timeout"])
async def test_a_job_whose_cancel_the_grace_cut_short_is_told_in_a_warning(
    api: str, how: str, caplog: pytest.LogCaptureFixture
) -> None:
    """
    A job whose cancel was not answered before cancel_grace ended is told in a warning of
    ``airbyte_async.orchestrator`` that names it, with its connection and job as attributes:
    a batch the caller stops (a scheduler cancelling or killing its task) ends in that
    exception, and no result reaches it.
    """
    caplog.set_level(logging.WARNING, logger="airbyte_async")
    clock = ManualClock()
    async with (
        _emulator(api, clock, how) as emu,
        AirbyteClient(emu.url, auth=NoAuth(), env={}, api=api) as client,
    ):
        result = await _given_up(emu, clock, client, how, cancel_grace=0.5)

    [record] = [r for r in caplog.records if "may still run" in r.getMessage()]
    assert record.name == "airbyte_async.orchestrator"
    assert record.getMessage() == (
        f"job {result.job_id} may still run: the cleanup ended (cancel_grace, or stopped) "
        "before its cancel was answered"
    )
    assert (getattr(record, "connection_id", None), getattr(record, "job_id", None)) == (
        result.connection_id,
        result.job_id,
    )


async def test_jobs_the_grace_cut_short_are_one_warning_naming_how_many(
    caplog: pytest.LogCaptureFixture,
) -> None:
    """
    Thirty jobs given up on whose cancels take longer than cancel_grace (25 sent at once, the
    other five never) are one warning, counting them and naming the first few, not one each.
    """
    caplog.set_level(logging.WARNING, logger="airbyte_async")
    clock = ManualClock()
    async with (
        Emulator(connections=30, clock=clock, trigger_latency=0.0, cancel_latency=2.0) as emu,
        AirbyteClient(emu.url, auth=NoAuth(), env={}) as client,
    ):
        orchestrator = Orchestrator(client, poll_interval=0.05, cancel_grace=0.5)
        async with anyio.create_task_group() as tg:
            tg.start_soon(orchestrator.run, emu.connection_ids)
            await until(lambda: emu.stats().jobs_created == 30)
            tg.cancel_scope.cancel()

    results = orchestrator.results.values()
    assert sum(r.left_running for r in results) == 30
    told = [m for m in caplog.messages if "may still run" in m]
    first = sorted(r.job_id or 0 for r in results)[:5]
    assert told == [
        "30 jobs given up on may still run: the cleanup ended (cancel_grace, or stopped) before "
        f"they were seen to stop (jobs {', '.join(map(str, first))} and 25 more)"
    ]


@pytest.mark.parametrize("api", ["config", "public"])
async def test_a_batch_told_not_to_cancel_logs_no_warning_for_the_jobs_it_leaves(
    api: str, caplog: pytest.LogCaptureFixture
) -> None:
    """With cancel_on_abort off, a job left running as asked is in its result alone
    (left_running), not in a warning: nothing went otherwise than the caller chose."""
    caplog.set_level(logging.WARNING, logger="airbyte_async")
    clock = ManualClock()
    async with (
        _emulator(api, clock, "caller") as emu,
        AirbyteClient(emu.url, auth=NoAuth(), env={}, api=api) as client,
    ):
        result = await _given_up(emu, clock, client, "caller", cancel_on_abort=False)

    assert (result.left_running, result.cancel_requested) == (True, False)
    assert [m for m in caplog.messages if "may still run" in m] == []


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


#: Each API's routes for the reads of jobs given up on: the listing of the batch's jobs
#: (``jobs/list_for_workspaces``, ``GET /jobs?workspaceIds=...``), and the read of one job
#: (``jobs/get_light``, ``GET /jobs/{jobId}``).
_READ_ROUTES = {
    "config": ({"route": "jobs/list_for_workspaces"}, {"route": "jobs/get_light"}),
    "public": (
        {"route": "/public/v1/jobs", "method": "GET"},
        {"route": "/public/v1/jobs/*", "method": "GET"},
    ),
}


async def _given_up_after_the_ends(
    api: str,
    faults: list[dict[str, Any]],
    *,
    meanwhile: Callable[[Emulator], Awaitable[None]] | None = None,
    retry: RetryPolicy | None = None,
    page_size: int | None = None,
    seed: int = 0,
    **options: Any,
) -> tuple[list[SyncResult], dict[int, Any]]:
    """
    Six syncs of one second, all ended by the server's clock before any poll saw them (polls
    a minute apart); *faults* (drawn with *seed*) are installed as the caller gives the batch
    up, and *meanwhile* runs from then on; the client retries as *retry* says, and its
    listings read *page_size* jobs a page. The results, and each job as the server has it once
    the faults are lifted.
    """
    clock = ManualClock()
    emulator = Emulator(
        airbyte_version="head" if api == "public" else "0.50",
        connections=6,
        clock=clock,
        trigger_latency=0.0,
        cancel_latency=0.0,
        sync_duration=(1.0, 1.0),
        seed=seed,
    )
    policy = {} if retry is None else {"retry": retry}
    async with (
        emulator as emu,
        AirbyteClient(emu.url, auth=NoAuth(), env={}, api=api, **policy) as client,
    ):
        triggered: list[int] = []

        def on_event(event: SyncEvent) -> None:
            if event.kind is EventKind.TRIGGERED and event.job is not None:
                triggered.append(event.job.id)

        orchestrator = Orchestrator(
            client, poll_interval=60.0, max_poll_interval=60.0, on_event=on_event, **options
        )
        if page_size is not None:
            orchestrator.backend.page_size = page_size  # type: ignore[attr-defined]
        scope = anyio.CancelScope()
        async with anyio.create_task_group() as tg:

            async def run() -> None:
                with scope:
                    await orchestrator.run(emu.connection_ids)

            tg.start_soon(run)
            await until(lambda: len(triggered) == 6)
            clock.advance(1.0)
            emu.set_faults(faults)
            scope.cancel()
            if meanwhile is not None:
                tg.start_soon(meanwhile, emu)
        emu.set_faults([])
        jobs = {job_id: await client.jobs.get(job_id=job_id) for job_id in triggered}
    return list(orchestrator.results.values()), jobs


@pytest.mark.parametrize("api", ["config", "public"])
async def test_jobs_that_ended_before_a_give_up_are_told_as_they_ended_through_a_429_storm(
    api: str,
) -> None:
    """
    Given up on just after its six jobs ended (unseen by any poll), while the server answers
    the reads 429: the listing of the jobs fails its five attempts, then reads of one job each
    fail, all six of them and then one more. A 429 refused the request, which a later one may
    pass (API-FACTS 7: Airbyte's load shedding, no Retry-After): every job is read again within
    cancel_grace and told as it ended, with its rows and bytes, none as possibly running (the
    job whose read failed was told "gave up waiting", left running, while the others were read).
    """
    listing, one = _READ_ROUTES[api]
    storm = [
        {"kind": "rate_limit", "times": 5, **listing},
        {"kind": "rate_limit", "times": 7, **one},
    ]
    results, jobs = await _given_up_after_the_ends(api, storm, cancel_grace=15.0)

    assert [(r.outcome, r.left_running, r.error) for r in results] == [
        (Outcome.SUCCEEDED, False, None)
    ] * 6
    for r in results:
        job = jobs[r.job_id or 0]
        assert (r.records_synced, r.bytes_synced) == (job.records_synced, job.bytes_synced)
        assert r.records_synced is not None


async def _ended_during_its_cancel(
    faults: list[dict[str, Any]], **options: Any
) -> tuple[SyncResult, int | None]:
    """
    On the public API, a sync the caller gives up on is cancelled and ends by itself (succeeded)
    while the server holds the cancel; *faults* are installed as the cancel arrives. Its
    result, and the rows the server says it synced.
    """
    clock = ManualClock()
    async with (
        _emulator("public", clock, "caller") as emu,
        AirbyteClient(emu.url, auth=NoAuth(), env={}, api="public") as client,
    ):
        started = clock()
        async with anyio.create_task_group() as tg:

            async def end_the_sync_once_cancelled() -> None:
                await until(lambda: emu.stats().cancels_in_flight == 1)
                emu.set_faults(faults)
                clock.advance(started + 1.0 - clock())

            tg.start_soon(end_the_sync_once_cancelled)
            result = await _given_up(emu, clock, client, "caller", **options)
        emu.set_faults([])
        job = await client.jobs.get(job_id=result.job_id or 0)
    assert (job.status, result.status) == (JobStatus.SUCCEEDED, JobStatus.SUCCEEDED)
    assert job.records_synced is not None
    return result, job.records_synced


async def test_a_job_that_ended_before_its_cancel_keeps_its_rows_though_a_read_failed() -> None:
    """
    The public ``DELETE /jobs/{jobId}`` answers a job that ended by itself first as it ended,
    without its rows and bytes (API-FACTS 3: ``jobs/cancel`` answers ``getJobRead``, which sets
    no aggregated stats, and ``rowsSynced`` comes from them); the read of the job that follows
    fails its five attempts (500s). A GET may be sent again: it is, within cancel_grace, and the
    result is the succeeded sync with its rows (it was succeeded without rows or bytes).
    """
    fails = {"kind": "error", "status": 500, "route": "/public/v1/jobs/*", "method": "GET"}
    result, rows = await _ended_during_its_cancel([{**fails, "times": 5}])

    assert (result.outcome, result.left_running, result.error) == (Outcome.SUCCEEDED, False, None)
    assert (result.records_synced, result.bytes_synced is not None) == (rows, True)


async def test_a_job_whose_rows_cannot_be_read_within_the_grace_says_they_are_unknown() -> None:
    """
    As above, but every read fails until cancel_grace ends (429s: API-FACTS 7): the result is
    the succeeded sync the cancel's answer showed, and says that its rows and bytes are not
    known, rather than leaving them out silently.
    """
    storm = {"kind": "rate_limit", "route": "/public/v1/jobs*", "method": "GET"}
    result, _ = await _ended_during_its_cancel([storm], cancel_grace=3.0)

    assert (result.outcome, result.left_running) == (Outcome.SUCCEEDED, False)
    assert (result.records_synced, result.bytes_synced) == (None, None)
    assert (result.error or "").endswith(
        "its rows and bytes are not known: the reads after its cancel failed until the cleanup "
        "ended (cancel_grace, or stopped)"
    )


@pytest.mark.slow
async def test_a_last_read_goes_before_the_grace_ends_when_the_pause_would_pass_it() -> None:
    """
    Given up on just after its jobs ended, while every read is answered 429 (API-FACTS 7: no
    Retry-After), the reads pause longer each time (up to ten seconds). The storm passes eight
    seconds in, during a pause that would end past cancel_grace (eleven seconds): a last read
    goes a second before the grace ends instead, and every job is told as it ended (the next
    read came after the grace, and the jobs were told as possibly still running).
    """
    listing, one = _READ_ROUTES["config"]
    storm = [{"kind": "rate_limit", **listing}, {"kind": "rate_limit", **one}]

    async def lifted(emu: Emulator) -> None:
        await anyio.sleep(8.0)
        emu.set_faults([])

    results, _ = await _given_up_after_the_ends(
        "config", storm, cancel_grace=11.0, meanwhile=lifted
    )

    assert [(r.outcome, r.left_running) for r in results] == [(Outcome.SUCCEEDED, False)] * 6


@pytest.mark.slow
async def test_reads_refused_in_a_row_are_paced_so_that_more_of_them_fit_the_grace() -> None:
    """
    Given up on just after its jobs ended, on the public API, while the server refuses the
    first eight reads (429s, no Retry-After: API-FACTS 7, as a storm refusing most requests
    does), with one attempt a call: the cleanup's reads, one listing a round, pause at most
    two seconds after a 429, so that the ninth goes within a 14 s cancel_grace and every job
    is told as it ended. (Pausing up to ten seconds left room for six or seven: every job was
    told as possibly still running, though each had ended.) A cleanup of 30 s so costs a
    shed server some fifteen rounds.
    """
    storm = [{"kind": "rate_limit", "route": "/public/v1/jobs*", "method": "GET", "times": 8}]
    results, _ = await _given_up_after_the_ends(
        "public", storm, cancel_grace=14.0, retry=RetryPolicy(attempts=1)
    )

    assert [(r.outcome, r.left_running) for r in results] == [(Outcome.SUCCEEDED, False)] * 6


async def test_a_cancel_refused_with_a_429_goes_again_only_after_a_read_shows_its_job_running() -> (
    None
):
    """
    Given up on while its job runs, on the public API, whose first ``DELETE /jobs/{jobId}`` is
    answered 429 (API-FACTS 7: not acted on): the cancel is not sent again within its call
    (after its backoff the job may have ended and the connection run a newer one, which a
    cancel stops whatever id it names: API-FACTS 6.3b), but after a read of the job, made
    since, shows it still running; then it is cancelled.
    """
    refuse_once = {"kind": "rate_limit", "route": "/public/v1/jobs/*", "method": "DELETE"}
    emulator = Emulator(
        airbyte_version="head",
        connections=1,
        trigger_latency=0.0,
        cancel_latency=0.0,
        sync_duration=(600, 600),
        record_requests=True,
        faults=[{**refuse_once, "times": 1}],
    )
    async with emulator as emu, AirbyteClient(emu.url, auth=NoAuth(), env={}, api="public") as c:
        orchestrator = Orchestrator(c, poll_interval=0.05, timeout=0.5)
        [result] = await orchestrator.run(emu.connection_ids)
        sent = [(r.method, r.route) for r in emu.requests]

    assert (result.outcome, result.status, result.cancel_requested) == (
        Outcome.TIMED_OUT,
        JobStatus.CANCELLED,
        True,
    )
    cancels = [i for i, request in enumerate(sent) if request[0] == "DELETE"]
    assert len(cancels) == 2
    between = sent[cancels[0] + 1 : cancels[1]]
    assert between and all(method == "GET" for method, _ in between)


async def test_a_job_whose_cancels_were_all_refused_says_so_and_no_cancel_was_requested(
    caplog: pytest.LogCaptureFixture,
) -> None:
    """
    Given up on while its three jobs run, on the public API, whose every ``DELETE`` is refused
    (429: not acted on, API-FACTS 7), then every read too, until cancel_grace ends: each result
    says its cancels were refused, so that nothing was done and the job may still run, not
    that a cancel was sent and not answered, and says no cancel was requested (Airbyte never
    got one); the jobs whose cancels failed are told in one warning, not one each.
    """
    refused = {"kind": "rate_limit", "route": "/public/v1/jobs/*", "method": "DELETE"}
    reads = {"kind": "rate_limit", "route": "/public/v1/jobs*", "method": "GET"}
    emulator = Emulator(
        airbyte_version="head",
        connections=3,
        trigger_latency=0.0,
        cancel_latency=0.0,
        sync_duration=(600, 600),
        faults=[refused],
    )
    async with emulator as emu, AirbyteClient(emu.url, auth=NoAuth(), env={}, api="public") as c:
        orchestrator = Orchestrator(c, poll_interval=0.05, timeout=0.5, cancel_grace=2.0)
        async with anyio.create_task_group() as tg:

            async def then_the_reads() -> None:
                await until(lambda: emu.stats().faults_injected.get("rate_limit", 0) >= 3)
                emu.set_faults([refused, reads])

            tg.start_soon(then_the_reads)
            with caplog.at_level("WARNING", logger="airbyte_async"):
                results = await orchestrator.run(emu.connection_ids)
        statuses = [emu.job_status(r.job_id or 0) for r in results]

    assert statuses == ["running"] * 3
    for r in results:
        assert (r.outcome, r.left_running, r.cancel_requested) == (Outcome.TIMED_OUT, True, False)
        assert (r.error or "").endswith(
            f"gave up waiting for job {r.job_id}: its cancels were refused (429: You are being "
            "rate limited.), so nothing was done, until the cleanup ended (cancel_grace, or "
            "stopped); it may still run"
        )
    told = [m for m in caplog.messages if "cancel" in m]
    assert len(told) == 1
    assert told[0].startswith("3 jobs given up on may still run: their cancels failed")


@pytest.mark.parametrize("api", ["config", "public"])
async def test_a_listing_of_the_jobs_given_up_on_resumes_at_the_page_a_429_refused(
    api: str,
) -> None:
    """
    Given up on just after its six jobs ended, with listings of two jobs a page (the public
    API's pages hold 100: a batch of more spans several) while the server refuses every other
    listing request (429s: API-FACTS 7; seed 3195 draws pass, refuse, pass, refuse...), one
    attempt a call: each round of reads resumes the listing at the page that was refused,
    keeping the pages read, so every job is told as it ended. (Begun again at the first page,
    every listing failed at its second, and every job was told as possibly still running.)
    """
    listing, _ = _READ_ROUTES[api]
    storm = [{"kind": "rate_limit", "rate": 0.5, **listing}]
    results, jobs = await _given_up_after_the_ends(
        api, storm, cancel_grace=15.0, retry=RetryPolicy(attempts=1), page_size=2, seed=3195
    )

    assert [(r.outcome, r.left_running, r.error) for r in results] == [
        (Outcome.SUCCEEDED, False, None)
    ] * 6
    assert all(r.records_synced == jobs[r.job_id or 0].records_synced for r in results)


async def test_jobs_a_cleanup_could_not_read_are_told_as_the_server_last_said() -> None:
    """
    Given up on while every read of a job is refused (429s, as Airbyte Cloud's load shedding
    answers: API-FACTS 7) until cancel_grace ends: each job is told with the status the server
    last gave it (running, from the trigger's answer and the polls), not none, as possibly
    still running; the batch's own as not read and not cancelled, the one it attached to
    (another client's sync, never cancelled) as not read.
    """
    async with (
        Emulator(connections=2, sync_duration=(60, 60), trigger_latency=0.05) as emu,
        AirbyteClient(emu.url, auth=NoAuth(), env={}) as client,
        AirbyteClient(emu.url, auth=NoAuth(), env={}) as someone_else,
    ):
        mine, theirs = emu.connection_ids
        await someone_else.connections.sync(connection_id=theirs)
        orchestrator = Orchestrator(client, poll_interval=0.05, cancel_grace=0.5)
        async with anyio.create_task_group() as tg:
            scope = anyio.CancelScope()

            async def run() -> None:
                with scope:
                    await orchestrator.run(emu.connection_ids)

            tg.start_soon(run)
            await until(lambda: emu.stats().jobs_created == 2)
            await anyio.sleep(0.5)  # both jobs triggered or attached, and polled
            emu.set_faults([{"kind": "rate_limit", "route": "jobs/*"}])
            scope.cancel()

    ours, attached = orchestrator.results[mine], orchestrator.results[theirs]
    assert (ours.status, ours.left_running, attached.status, attached.left_running) == (
        JobStatus.RUNNING,
        True,
        JobStatus.RUNNING,
        True,
    )
    assert attached.attached
    assert (ours.error or "").endswith("before it was read and cancelled; it may still run")
    assert (attached.error or "").endswith("before it was read; it may still run")
