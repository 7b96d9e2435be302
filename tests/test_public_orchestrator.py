"""
The orchestrator on the public REST API.

A representative set of the orchestrator's own tests (bounds, on_running policies, deadlines,
cancel on abort, fail fast, events, streaming, selections, concurrent batches) is imported from
``test_orchestrator`` and collected again here, where the ``start`` fixture gives them a client
of the emulator's public API: the same tests, not copies, on the second backend. The tests
after them check what only the public API shows: how it polls, and exactly-once under faults.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import AsyncExitStack
from typing import Any

import aiohttp
import anyio
import pytest
import stamina
from client_support import started
from script_support import load_benchmark
from test_orchestrator import (  # noqa: F401  (collected again with this module's fixture)
    Start,
    _orchestrator,
    test_a_caller_deadline_cancels_the_jobs_then_raises,
    test_a_job_ended_before_its_trigger_was_answered_reports_its_counts,
    test_a_job_that_ended_before_the_abort_keeps_its_real_outcome,
    test_a_sync_past_its_deadline_is_timed_out_and_cancelled,
    test_a_trigger_error_is_a_result,
    test_attach_adopts_the_job_already_running,
    test_cancel_on_abort_can_be_turned_off,
    test_duplicate_ids_in_a_batch_are_synced_once,
    test_events_report_trigger_changes_and_end,
    test_fail_fast_results_name_the_failure_that_stopped_the_batch,
    test_fail_fast_stops_the_batch_at_the_first_failure,
    test_fail_reports_an_error,
    test_http_requests_in_flight_are_bounded_by_the_client_pool,
    test_jobs_of_triggers_cut_short_are_found_and_cancelled,
    test_leaving_the_stream_early_cancels_the_jobs_it_started,
    test_max_running_is_never_exceeded_on_airbyte,
    test_selection_by_tag,
    test_selection_by_workspace_and_name,
    test_skip_finds_the_running_job_behind_a_long_history,
    test_skip_reports_already_running,
    test_stream_yields_each_result_when_it_is_final,
    test_the_batch_deadline_cancels_what_it_started,
    test_two_concurrent_batches_on_one_orchestrator_are_independent,
)
from test_public_client_conformance import Recorder

from airbyte_async import AirbyteClient, NoAuth
from airbyte_async.errors import NotFoundError
from airbyte_async.orchestrator import Outcome
from airbyte_async.resources._public_backend import PublicBackend
from airbyte_async.testing import Emulator, Fault

pytestmark = pytest.mark.anyio


@pytest.fixture(params=["head", "2.0"])
async def start(request: pytest.FixtureRequest) -> AsyncIterator[Start]:
    """Starts a head or 2.0 emulator (2.0 answers a sync once its job runs:
    ``testing._versions``) and a client of its public API; both stop at teardown."""
    version = request.param
    async with AsyncExitStack() as stack:

        async def start(**options: Any) -> tuple[Emulator, AirbyteClient]:
            return await started(stack, api=f"public@{version}", **options)

        yield start


async def test_the_orchestrator_drives_the_public_backend(start: Start) -> None:
    """On a public client the orchestrator's default backend is the public one (issue 12)."""
    _, client = await start(connections=1)
    assert isinstance(_orchestrator(client).backend, PublicBackend)


async def test_config_api_only_options_say_once_that_they_do_nothing_here(
    start: Start, caplog: pytest.LogCaptureFixture
) -> None:
    """log_tail and progress events need job logs and connections/sync_progress, which the
    public API lacks: each says so once at WARNING, the progress reads stop, and the batch
    runs as without them."""
    emu, client = await start(connections=3, failure_rate=1.0, sync_duration=(0.3, 0.4))
    events: list[Any] = []
    orchestrator = _orchestrator(client, log_tail=5, progress_interval=0.05, on_event=events.append)
    with caplog.at_level("WARNING", logger="airbyte_async"):
        results = await orchestrator.run(emu.connection_ids)

    assert {r.outcome for r in results} == {Outcome.FAILED}
    assert all(r.log_tail == () for r in results)
    told = [r.getMessage() for r in caplog.records]
    assert sum("log_tail has no effect" in m for m in told) == 1
    assert sum(m.startswith("no progress events:") for m in told) == 1
    assert not [e for e in events if e.kind == "progress"]


async def test_polls_list_changed_jobs_in_one_request(start: Start) -> None:
    """Each poll is one ``GET /jobs`` for the batch's workspaces, changed since the previous
    poll, newest change first (see PublicJobs.list_changes); no job is read one by one
    (API-FACTS 7)."""
    emu, _ = await start(connections=12, sync_duration=(0.1, 0.3))
    recorder = Recorder("/api/public/v1")
    async with (
        aiohttp.ClientSession(trace_configs=[recorder.config()]) as session,
        AirbyteClient(emu.url, api="public", auth=NoAuth(), env={}, session=session) as client,
    ):
        orchestrator = _orchestrator(client)
        results = await orchestrator.run(emu.connection_ids)

    assert {r.outcome for r in results} == {Outcome.SUCCEEDED}
    polls = [dict(s.query) for s in recorder.sent if s.method == "GET" and s.path == "/jobs"]
    assert len(polls) == orchestrator.polls
    assert all(p["orderBy"] == "updatedAt|DESC" and "updatedAtStart" in p for p in polls)
    assert all(p["workspaceIds"] == emu.workspace_ids[0] for p in polls)
    assert not [s for s in recorder.sent if s.method == "GET" and s.path.startswith("/jobs/")]
    triggers = [s for s in recorder.sent if s.method == "POST" and s.path == "/jobs"]
    assert len(triggers) == 12


async def test_exactly_once_under_faults(start: Start) -> None:
    """Lost trigger answers, 5xx and resets on ``POST /jobs`` and on polls: every connection
    gets exactly one job, and every outcome is the job's real status."""
    faults = [
        Fault(kind="reset_after", route="/public/v1/jobs", rate=0.2),
        Fault(kind="error", route="/public/v1/jobs", rate=0.1, status=502),
        Fault(kind="reset_before", route="/public/v1/jobs", rate=0.05),
    ]
    emu, client = await start(connections=20, faults=faults, seed=7)
    results = await _orchestrator(client).run(emu.connection_ids)

    stats = emu.stats()
    assert sum(stats.faults_injected.values()) > 0
    assert all(len(stats.jobs_by_connection[cid]) == 1 for cid in emu.connection_ids)
    for r in results:
        assert r.job_id is not None
        assert str(r.status) == stats.job_statuses[r.job_id]


@pytest.mark.slow
async def test_the_chaos_run_holds_on_the_public_api() -> None:
    """``benchmarks/chaos.py --api public`` at a small scale: under every fault kind (token
    expiry and restarts included) each connection gets one job and each outcome is its job's
    real status."""
    chaos = load_benchmark("chaos")
    # As the script runs: retries and reconcile rounds wait, so restarts are waited out.
    with stamina.set_testing(False):
        assert await chaos.chaos(60, 1, 30, "public")


async def test_the_reads_of_a_batch_given_up_on_wait_for_no_polling_pace(start: Start) -> None:
    """The public backend spaces the watcher's listings (min_interval), not the reads of the
    jobs a batch gives up on: those go at once, so that a second Ctrl-C right after the first
    does not find the cancels still waiting for the pace (they were never sent)."""
    emu, client = await start(connections=1, sync_duration=(600, 600))
    backend = client.sync_backend()
    assert isinstance(backend, PublicBackend)
    backend.min_interval = 3600.0
    job = await backend.trigger(connection_id=emu.connection_ids[0])
    await backend.changed_jobs(workspace_ids=emu.workspace_ids, since=job.created_at)

    with anyio.fail_after(10):
        read = await backend.read_jobs([job], workspace_ids=emu.workspace_ids)

    assert not read[job.id].status.is_terminal


async def test_a_job_read_by_itself_that_ended_takes_one_request(start: Start) -> None:
    """A job that ended, read by itself (a batch given up on reads its jobs so after a failed
    listing), costs one ``GET /jobs/{jobId}``: the public API's job is the same whole job
    whichever read asks (``PublicJobs.get_light``), so a second read would only double the
    requests a 429 storm can fail."""
    emu, client = await start(connections=1, record_requests=True)
    backend = client.sync_backend()
    job = await backend.trigger(connection_id=emu.connection_ids[0])
    ended = await client.jobs.wait(job_id=job.id, poll_interval=0.05)
    emu.reset_stats()

    read = await backend.read_jobs([job], workspace_ids=emu.workspace_ids, each=True)

    assert read[job.id].records_synced == ended.records_synced
    assert emu.stats().requests_by_route.get("/public/v1/jobs/{jobId}") == 1


async def test_a_probe_lists_final_jobs_by_status_after_many_jobs_started(start: Start) -> None:
    """After a main listing that read many pages of jobs that had not ended, a listing of
    final jobs that reaches back over it (the watcher's suspects and commit-lag probes, with
    ``createdAtStart``) asks for each final status by itself (the public API filters one
    ``status``: public-api-head.yaml, ``GET /jobs``; final is ``JobStatus.is_terminal``,
    API-FACTS 4), one page each instead of five, and still returns the job that ended."""
    emu, _ = await start(connections=9, sync_duration=(600, 600), cancel_latency=0.0)
    recorder = Recorder("/api/public/v1")
    async with (
        aiohttp.ClientSession(trace_configs=[recorder.config()]) as session,
        AirbyteClient(emu.url, api="public", auth=NoAuth(), env={}, session=session) as client,
    ):
        backend = client.sync_backend()
        assert isinstance(backend, PublicBackend)
        backend.page_size, backend.min_interval = 2, 0.0
        jobs = [await backend.trigger(connection_id=c) for c in emu.connection_ids]
        since = min(job.created_at for job in jobs)
        main = await backend.changed_jobs(
            workspace_ids=emu.workspace_ids, since=since, final_only=True
        )
        await backend.cancel(job_id=jobs[0].id)
        assert (await client.jobs.get(job_id=jobs[0].id)).status == "cancelled"
        sent = len(recorder.sent)
        probe = await backend.changed_jobs(
            workspace_ids=emu.workspace_ids, since=since, final_only=True, created_since=since
        )

    assert main.changes == ()
    listings = [dict(s.query) for s in recorder.sent[sent:] if s.path == "/jobs"]
    assert sorted(q["status"] for q in listings) == ["cancelled", "failed", "succeeded"]
    assert [(c.id, c.status) for c in probe.changes] == [(jobs[0].id, "cancelled")]


async def test_a_failed_sync_says_its_attempts_are_unknown_and_invents_no_reason(
    start: Start,
) -> None:
    """The public API's ``JobResponse`` has no attempts and no failure details
    (public-api-head.yaml ``JobResponse``; API-FACTS 7): a failed sync's result counts its
    attempts as unknown (None, ``null`` in JSON), not 0, and gives no failure reason."""
    emu, client = await start(connections=1)
    emu.set_sync_plan(emu.connection_ids[0], outcome="failed")
    [result] = await _orchestrator(client).run(emu.connection_ids)

    assert result.outcome is Outcome.FAILED
    assert result.attempts is None and result.to_json()["attempts"] is None
    assert result.failure_reason is None


async def test_a_sync_of_an_unknown_connection_names_it(start: Start) -> None:
    """The public API's 404 for ``POST /jobs`` names no id in its detail (see the emulator's
    test), but in its ``data``: the error names the connection, as the Config API's does."""
    _, client = await start(connections=1)
    unknown = "7f3c1a2e-0000-4000-8000-000000000001"
    [result] = await _orchestrator(client).run([unknown])

    assert result.outcome is Outcome.ERROR
    assert result.error is not None and f"connection {unknown}" in result.error
    with pytest.raises(NotFoundError, match=f"connection {unknown}"):
        await client.connections.sync(connection_id=unknown)
