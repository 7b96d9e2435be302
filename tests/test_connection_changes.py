"""
Connections that change under their jobs: disabled (``inactive``) while a job runs or waits
between attempts, enabled again, deleted; what the emulator answers, as Airbyte does, and what
a batch of the orchestrator reports for each.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from contextlib import AsyncExitStack
from typing import Any

import aiohttp
import anyio
import emulator_support
import pytest
from client_support import started, until
from emulator_support import call, public, sync

from airbyte_async import AirbyteClient
from airbyte_async.errors import ConflictError
from airbyte_async.models import ConnectionStatus, JobStatus
from airbyte_async.orchestrator import Orchestrator, Outcome, SyncResult
from airbyte_async.testing import Emulator, Fault, ManualClock, pytest_plugin

pytestmark = pytest.mark.anyio

# The plugin's fixtures, also when the package is not installed as a pytest plugin.
airbyte_emulator_factory = pytest_plugin.airbyte_emulator_factory
Factory = pytest_plugin.EmulatorFactory
http = emulator_support.http

_DISABLED_SOURCES = """
    Each attempt's sync workflow reads the connection's status before it replicates and, for
    an inactive one, answers a CANCELLED replication status ("Connection ... is disabled.
    Cancelling run.": airbytehq/airbyte-platform ``SyncWorkflowImpl``). Head's connection
    manager reports that job cancelled (``ConnectionManagerWorkflowImpl.kt``
    ``getCancelledStatus``, ``reportCancelledAndContinueWith``, at ``1b8991b4``); the Java
    workflow of 0.x has no branch for it and reports it succeeded (``getFailStatus`` false,
    ``reportSuccess``, ``ConnectionManagerWorkflowImpl.java`` at ``07d28131``; airbytehq/airbyte
    issue #37417). Disabling signals nothing to a running attempt (``ConnectionsHandler``
    ``updateConnection`` calls ``eventRunner.update``, heeded only while the workflow waits).
"""

#: A plan whose first attempt fails after 2 s, the second starting 10 s later (the backoff).
_RETRIED = {"duration": 2.0, "failed_attempts": 1, "outcome": "succeeded"}


async def _disable(http: aiohttp.ClientSession, emu: Emulator, cid: str, status: str) -> None:
    answer = await call(http, emu, "connections/update", {"connectionId": cid, "status": status})
    assert answer.status == 200, answer.text


async def _job(http: aiohttp.ClientSession, emu: Emulator, job_id: int) -> dict[str, Any]:
    answer = await call(http, emu, "jobs/get", {"id": job_id})
    assert answer.status == 200, answer.text
    got: dict[str, Any] = answer.json
    return got


async def _syncing(
    factory: Factory, http: aiohttp.ClientSession, version: str, **plan: Any
) -> tuple[ManualClock, Emulator, str, int]:
    """An emulator of *version* on a ManualClock whose one connection syncs as *plan* says:
    the clock, the emulator, the connection and its job, triggered half a second ago."""
    clock = ManualClock()
    emu = await factory(airbyte_version=version, connections=1, clock=clock)
    [cid] = emu.connection_ids
    emu.set_sync_plan(cid, **plan)
    job_id = (await sync(http, emu, cid))["job"]["id"]
    clock.advance(0.5)
    return clock, emu, cid, job_id


@pytest.mark.parametrize("version", ["1.7", "2.0", "head"])
async def test_a_job_whose_connection_was_disabled_is_cancelled_at_its_next_attempt(
    airbyte_emulator_factory: Factory, http: aiohttp.ClientSession, version: str
) -> None:
    """A connection disabled while its first attempt runs: the job goes on (incomplete after
    that attempt fails), and its second attempt, finding the connection inactive, ends it
    cancelled."""
    clock, emu, cid, job_id = await _syncing(airbyte_emulator_factory, http, version, **_RETRIED)
    await _disable(http, emu, cid, "inactive")

    clock.advance(2.0)
    assert (await _job(http, emu, job_id))["job"]["status"] == "incomplete"
    clock.advance(11.0)
    got = await _job(http, emu, job_id)

    assert got["job"]["status"] == "cancelled"
    assert len(got["attempts"]) == 2


test_a_job_whose_connection_was_disabled_is_cancelled_at_its_next_attempt.__doc__ += (
    _DISABLED_SOURCES
)


async def test_on_0_50_a_job_whose_connection_was_disabled_succeeds_at_its_next_attempt(
    airbyte_emulator_factory: Factory, http: aiohttp.ClientSession
) -> None:
    """0.50 ends the job at the same point, but succeeded: its last attempt synced nothing."""
    clock, emu, cid, job_id = await _syncing(airbyte_emulator_factory, http, "0.50", **_RETRIED)
    await _disable(http, emu, cid, "inactive")

    clock.advance(13.0)
    got = await _job(http, emu, job_id)

    assert got["job"]["status"] == "succeeded"
    first, last = (a["attempt"] for a in got["attempts"])
    assert (first["status"], last["status"]) == ("failed", "succeeded")
    assert not last.get("recordsSynced")


test_on_0_50_a_job_whose_connection_was_disabled_succeeds_at_its_next_attempt.__doc__ += (
    _DISABLED_SOURCES
)

_COUNTS_SOURCES = """
    The attempt that finds its connection disabled returns ``new StandardSyncSummary()
    .withStatus(CANCELLED).withTotalStats(new SyncStats())`` (airbytehq/airbyte-platform
    ``airbyte-workers/.../temporal/sync/SyncWorkflowImpl.java`` at ``fd729e93``), which
    ``JobConverter.getAttemptRead`` turns into no ``recordsSynced``/``bytesSynced`` and a
    ``totalStats`` of nulls (airbytehq/airbyte ``airbyte-server/.../converters/
    JobConverter.java`` at ``98f91ace``). An attempt that replicated sets ``recordsSynced``
    from its message tracker: 0 when nothing was new (``ReplicationWorker``
    ``withRecordsSynced(messageTracker.getTotalRecordsEmitted())``).
"""


@pytest.mark.parametrize("records", [None, 0])
async def test_on_0_50_only_the_attempt_that_found_its_connection_disabled_counts_nothing(
    airbyte_emulator_factory: Factory, http: aiohttp.ClientSession, records: int | None
) -> None:
    """On 0.50, the succeeded attempt that found its connection disabled has no record count
    at all (its stats empty), while one that replicated nothing new counts 0 records."""
    clock, emu, cid, job_id = await _syncing(
        airbyte_emulator_factory, http, "0.50", **_RETRIED, records=0
    )
    if records is None:
        await _disable(http, emu, cid, "inactive")

    clock.advance(16.0)
    [*_, last] = (a["attempt"] for a in (await _job(http, emu, job_id))["attempts"])

    assert last["status"] == "succeeded"
    assert last.get("recordsSynced") == records
    assert last["totalStats"].get("recordsCommitted") == records


test_on_0_50_only_the_attempt_that_found_its_connection_disabled_counts_nothing.__doc__ += (
    _COUNTS_SOURCES
)


@pytest.mark.parametrize("version", ["0.50", "head"])
async def test_the_attempt_under_way_when_the_connection_is_disabled_runs_to_its_end(
    airbyte_emulator_factory: Factory, http: aiohttp.ClientSession, version: str
) -> None:
    """A job of one attempt is not touched by its connection's disabling: it succeeds with
    its records."""
    clock, emu, cid, job_id = await _syncing(
        airbyte_emulator_factory, http, version, duration=2.0, outcome="succeeded"
    )
    await _disable(http, emu, cid, "inactive")

    clock.advance(2.0)
    got = await _job(http, emu, job_id)

    assert got["job"]["status"] == "succeeded"
    assert got["attempts"][-1]["attempt"]["recordsSynced"] > 0


test_the_attempt_under_way_when_the_connection_is_disabled_runs_to_its_end.__doc__ += (
    _DISABLED_SOURCES
)


@pytest.mark.parametrize("version", ["0.50", "head"])
async def test_a_connection_enabled_again_before_the_next_attempt_lets_it_run(
    airbyte_emulator_factory: Factory, http: aiohttp.ClientSession, version: str
) -> None:
    """Disabled, then enabled again while the job waits between attempts: the next attempt
    finds it active and the job ends as planned, with its records."""
    clock, emu, cid, job_id = await _syncing(airbyte_emulator_factory, http, version, **_RETRIED)
    await _disable(http, emu, cid, "inactive")
    clock.advance(3.0)
    await _disable(http, emu, cid, "active")

    clock.advance(12.0)
    got = await _job(http, emu, job_id)

    assert got["job"]["status"] == "succeeded"
    assert got["attempts"][-1]["attempt"]["recordsSynced"] > 0


test_a_connection_enabled_again_before_the_next_attempt_lets_it_run.__doc__ += _DISABLED_SOURCES


async def test_the_public_api_shows_a_job_cut_short_by_a_disabled_connection_cancelled(
    airbyte_emulator_factory: Factory, http: aiohttp.ClientSession
) -> None:
    """``PATCH /connections/{id}`` with status inactive does what ``connections/update`` does:
    head's ``GET /jobs/{id}`` then shows the job cancelled from its next attempt on."""
    clock, emu, cid, job_id = await _syncing(airbyte_emulator_factory, http, "head", **_RETRIED)
    patched = await public(http, emu, "PATCH", f"/connections/{cid}", {"status": "inactive"})
    assert patched.status == 200, patched.text

    clock.advance(13.0)
    got = await public(http, emu, "GET", f"/jobs/{job_id}")

    assert got.json["status"] == "cancelled"


test_the_public_api_shows_a_job_cut_short_by_a_disabled_connection_cancelled.__doc__ += (
    _DISABLED_SOURCES
)


@pytest.mark.parametrize("version", ["0.50", "1.7", "2.0", "head"])
async def test_deleting_a_connection_cancels_its_running_job_which_still_reads(
    airbyte_emulator_factory: Factory, http: aiohttp.ClientSession, version: str
) -> None:
    """``connections/delete`` marks the connection deprecated, then signals its workflow,
    which cancels the running sync and reports the job cancelled before it ends
    (``ConnectionsHandler.deleteConnection``: ``connectionHelper.deleteConnection``, then
    ``eventRunner.forceDeleteConnection``; ``ConnectionManagerWorkflowImpl.deleteConnection``
    then ``reportCancelled``, at ``1b8991b4``; the Java workflow at ``07d28131`` likewise).
    Jobs outlive their connection: ``jobs/get`` answers with the cancelled job."""
    clock = ManualClock()
    emu = await airbyte_emulator_factory(airbyte_version=version, connections=1, clock=clock)
    [cid] = emu.connection_ids
    emu.set_sync_plan(cid, duration=60.0)
    job_id = (await sync(http, emu, cid))["job"]["id"]
    clock.advance(1.0)
    deleted = await call(http, emu, "connections/delete", {"connectionId": cid})
    assert deleted.status == 204

    got = await _job(http, emu, job_id)

    assert got["job"]["status"] == "cancelled"


@pytest.mark.parametrize("api", ["config@head", "public"])
async def test_a_sync_of_a_deleted_connection_says_it_was_deleted(api: str) -> None:
    """A connection deleted (Airbyte marks it deprecated, API-FACTS 5), here through the
    deletion of its source, which deletes its connections: the trigger's refusal (a bare 500,
    or the public API's 409, API-FACTS 6.2) raises ConflictError saying the connection is
    deleted, and starts no job."""
    async with AsyncExitStack() as stack:
        emu, client = await started(stack, api=api, connections=1)
        [cid] = emu.connection_ids
        connection = await client.connections.get(connection_id=cid)
        await client.sources.delete(source_id=connection.source_id)

        with pytest.raises(ConflictError, match=r"is deprecated \(deleted\)"):
            await client.connections.sync(connection_id=cid)

    assert emu.stats().jobs_created == 0


# -- what a batch reports ------------------------------------------------------------------

Change = Callable[[AirbyteClient, str], Awaitable[object]]


async def _delete(client: AirbyteClient, cid: str) -> None:
    await client.connections.delete(connection_id=cid)


async def _deactivate(client: AirbyteClient, cid: str) -> None:
    await client.connections.update(connection_id=cid, status=ConnectionStatus.INACTIVE)


async def _batch_changing(
    api: str, change: Change, plan: dict[str, Any], **options: Any
) -> tuple[SyncResult, SyncResult]:
    """
    A batch of two connections on *api*, the first syncing as *plan* says, the second for a
    moment; *change* is made to the first once both jobs exist. Both results.
    """
    async with AsyncExitStack() as stack:
        emu, client = await started(stack, api=api, connections=2, retry_backoff=0.5, **options)
        first, second = emu.connection_ids
        emu.set_sync_plan(first, **plan)
        emu.set_sync_plan(second, duration=0.1, outcome="succeeded")
        orchestrator = Orchestrator(client, poll_interval=0.02, max_poll_interval=0.05)
        results: list[SyncResult] = []

        async def run() -> None:
            results.extend(await orchestrator.run([first, second]))

        async with anyio.create_task_group() as tg:
            tg.start_soon(run)
            await until(lambda: emu.stats().jobs_created == 2)
            await change(client, first)
        return results[0], results[1]


@pytest.mark.parametrize("version", ["0.40", "0.50"])
async def test_the_attempt_that_found_its_connection_disabled_is_listed(
    airbyte_emulator_factory: Factory, http: aiohttp.ClientSession, version: str
) -> None:
    """A job whose first attempt failed and whose connection was disabled meanwhile lists the
    attempt that found it inactive, whatever the times: the first failed, the second ended
    the job (succeeded on 0.x) with empty stats, as that attempt's sync workflow returns
    (``new SyncStats()``). Without it, the job read succeeded with a failed attempt of 0
    records last, a success that replicated nothing (chaos seed 816 on 0.50, connections
    disabled mid-batch: a result ``succeeded`` for such a job; with these times the second
    attempt's start, summed attempt by attempt, fell a hair after the end it caused)."""
    for start, duration in ((1_765_000_000.0, 1.1), (1_765_000_000.3, 1.1)):
        clock = ManualClock(now=start)
        emu = await airbyte_emulator_factory(
            airbyte_version=version, connections=1, clock=clock, retry_backoff=0.1
        )
        [cid] = emu.connection_ids
        emu.set_sync_plan(cid, duration=duration, failed_attempts=1, outcome="succeeded")
        job_id = (await sync(http, emu, cid))["job"]["id"]
        clock.advance(duration / 2)
        await _disable(http, emu, cid, "inactive")
        clock.advance(duration + 5)

        read = await _job(http, emu, job_id)

        assert read["job"]["status"] == "succeeded"
        attempts = [a["attempt"] for a in read["attempts"]]
        assert [a["status"] for a in attempts] == ["failed", "succeeded"], (start, duration)
        assert attempts[1]["totalStats"] == {} and "recordsSynced" not in attempts[1]


test_the_attempt_that_found_its_connection_disabled_is_listed.__doc__ += _DISABLED_SOURCES


@pytest.mark.parametrize("api", ["config@0.50", "config@head", "public"])
async def test_a_sync_whose_connection_is_deleted_ends_cancelled_saying_so(api: str) -> None:
    """A connection deleted while its sync runs: Airbyte cancels the job at once (its workflow
    gets the delete signal, cancels the sync and reports it cancelled:
    ``ConnectionManagerWorkflowImpl`` ``deleteConnection``, then ``reportCancelled``, at
    ``1b8991b4``). The result is ``cancelled`` and its error says the connection was deleted,
    not that the batch cancelled it; the other sync succeeds."""
    result, other = await _batch_changing(api, _delete, {"duration": 30.0})

    assert (result.outcome, result.status) == (Outcome.CANCELLED, JobStatus.CANCELLED)
    assert result.error is not None and "the connection was deleted" in result.error
    assert not result.cancel_requested and not result.left_running
    assert other.ok


@pytest.mark.parametrize("api", ["config@head", "public"])
async def test_a_sync_whose_connection_is_disabled_ends_cancelled_saying_so(api: str) -> None:
    """A connection disabled while its sync runs, whose first attempt fails: the next attempt
    finds it inactive and Airbyte cancels the job. The result says the connection was
    disabled."""
    plan = {"duration": 1.0, "failed_attempts": 1, "outcome": "succeeded"}
    result, other = await _batch_changing(api, _deactivate, plan)

    assert (result.outcome, result.status) == (Outcome.CANCELLED, JobStatus.CANCELLED)
    assert result.error is not None and "disabled (inactive)" in result.error
    assert other.ok


test_a_sync_whose_connection_is_disabled_ends_cancelled_saying_so.__doc__ += _DISABLED_SOURCES


async def test_on_0_50_a_sync_ended_by_its_disabled_connection_is_not_reported_succeeded() -> None:
    """0.50 reports that job succeeded, its last attempt having synced nothing: the result is
    ``cancelled``, its status the server's ``succeeded``, its error saying why."""
    plan = {"duration": 1.0, "failed_attempts": 1, "outcome": "succeeded"}
    result, other = await _batch_changing("config@0.50", _deactivate, plan)

    assert (result.outcome, result.status) == (Outcome.CANCELLED, JobStatus.SUCCEEDED)
    assert result.error is not None and "connection is inactive" in result.error
    assert not result.ok and other.ok


test_on_0_50_a_sync_ended_by_its_disabled_connection_is_not_reported_succeeded.__doc__ += (
    _DISABLED_SOURCES
)


@pytest.mark.parametrize("version", ["0.40", "0.50"])
async def test_on_0_x_a_sync_whose_first_attempt_found_it_disabled_is_not_reported_succeeded(
    version: str,
) -> None:
    """A connection disabled after its sync was triggered, before the job ran (pending for a
    second): the first attempt finds it inactive, and 0.x reports the job succeeded, its one
    attempt having synced nothing. The result is ``cancelled``, its status the server's
    ``succeeded``, its error saying why (chaos seed 5 on 0.40 with connections disabled mid-batch
    reported two such syncs succeeded)."""
    plan = {"duration": 1.0, "outcome": "succeeded"}
    result, other = await _batch_changing(
        f"config@{version}", _deactivate, plan, pending_duration=1.0
    )

    assert (result.outcome, result.status) == (Outcome.CANCELLED, JobStatus.SUCCEEDED)
    assert result.attempts == 1 and result.records_synced is None
    assert result.error is not None and "connection is inactive" in result.error
    assert not result.ok and other.ok


test_on_0_x_a_sync_whose_first_attempt_found_it_disabled_is_not_reported_succeeded.__doc__ += (
    _DISABLED_SOURCES
)


@pytest.mark.parametrize("api", ["config@head", "public"])
async def test_a_sync_cancelled_by_someone_else_says_it_was_not_the_batch(api: str) -> None:
    """A job cancelled by another client while its connection stays active: ``cancelled``,
    its error saying the cancel was not the batch's."""

    async def cancel_elsewhere(client: AirbyteClient, cid: str) -> None:
        [job] = [j async for j in client.jobs.list(connection_id=cid)]
        await client.jobs.cancel(job_id=job.id)

    result, other = await _batch_changing(api, cancel_elsewhere, {"duration": 30.0})

    assert result.outcome is Outcome.CANCELLED
    assert result.error is not None and "not by this batch" in result.error
    assert "deleted" not in result.error and "disabled" not in result.error
    assert other.ok


@pytest.mark.parametrize("api", ["config@0.50", "config@head"])
async def test_a_sync_that_succeeds_on_its_second_attempt_stays_succeeded(api: str) -> None:
    """A job that passes on its second attempt, its connection active, is ``succeeded`` with
    no error: only a disabled or deleted connection turns a success into ``cancelled``."""

    async def nothing(client: AirbyteClient, cid: str) -> None:
        return None

    plan = {"duration": 1.0, "failed_attempts": 1, "outcome": "succeeded"}
    result, other = await _batch_changing(api, nothing, plan)

    assert result.ok and result.error is None
    assert other.ok


@pytest.mark.parametrize("api", ["config@0.50", "config@head"])
async def test_a_sync_that_synced_nothing_new_stays_succeeded_when_its_connection_is_disabled(
    api: str,
) -> None:
    """A job whose second attempt really succeeds with 0 records (nothing new), its connection
    disabled while that attempt runs (which then runs to its end), stays ``succeeded``: a
    record count of 0 is a replication, not the empty attempt of a disabled connection."""

    async def disable_during_the_second_attempt(client: AirbyteClient, cid: str) -> None:
        with anyio.fail_after(10):
            while True:
                [job] = [j async for j in client.jobs.list(connection_id=cid)]
                if len(job.attempts) == 2:
                    break
                await anyio.sleep(0.02)
        await _deactivate(client, cid)

    plan = {"duration": 1.0, "failed_attempts": 1, "outcome": "succeeded", "records": 0}
    result, other = await _batch_changing(api, disable_during_the_second_attempt, plan)

    assert (result.outcome, result.status) == (Outcome.SUCCEEDED, JobStatus.SUCCEEDED)
    assert result.error is None and result.records_synced == 0
    assert other.ok


test_a_sync_that_synced_nothing_new_stays_succeeded_when_its_connection_is_disabled.__doc__ += (
    _COUNTS_SOURCES
)


async def test_a_batch_given_up_while_it_reads_why_a_job_ended_keeps_that_jobs_result() -> None:
    """The batch's deadline passes while it reads the connection of a job Airbyte cancelled (a
    slow ``connections/get``): that sync is still reported with its job, cancelled, not as
    one never started."""
    async with AsyncExitStack() as stack:
        emu, client = await started(stack, api="config@head", connections=2)
        first, second = emu.connection_ids
        emu.set_sync_plan(first, duration=30.0)
        emu.set_sync_plan(second, duration=30.0)
        orchestrator = Orchestrator(
            client, poll_interval=0.02, max_poll_interval=0.05, timeout=2.0, cancel_grace=5.0
        )
        results: list[SyncResult] = []

        async def run() -> None:
            results.extend(await orchestrator.run([first, second]))

        async with anyio.create_task_group() as tg:
            tg.start_soon(run)
            await until(lambda: emu.stats().jobs_created == 2)
            emu.faults = [Fault(kind="latency", route="connections/get", delay=3.0)]
            await client.connections.delete(connection_id=first)

    deleted, other = results
    assert (deleted.outcome, deleted.status) == (Outcome.CANCELLED, JobStatus.CANCELLED)
    assert deleted.job_id is not None and not deleted.left_running
    assert other.outcome is Outcome.TIMED_OUT


async def test_a_batch_given_up_while_it_reads_a_failed_jobs_log_keeps_that_jobs_result() -> None:
    """The same for ``log_tail``'s read of a failed job's log (a slow ``jobs/get``): the
    sync is still reported failed, with its job, when the deadline passes during the read."""
    async with AsyncExitStack() as stack:
        emu, client = await started(stack, api="config@head", connections=2)
        first, second = emu.connection_ids
        emu.set_sync_plan(first, duration=0.2, outcome="failed")
        emu.set_sync_plan(second, duration=30.0)
        emu.faults = [Fault(kind="latency", route="jobs/get", delay=3.0)]
        orchestrator = Orchestrator(
            client,
            poll_interval=0.02,
            max_poll_interval=0.05,
            timeout=2.0,
            cancel_grace=5.0,
            log_tail=5,
        )

        failed, other = await orchestrator.run([first, second])

    assert (failed.outcome, failed.status) == (Outcome.FAILED, JobStatus.FAILED)
    assert failed.job_id is not None
    assert other.outcome is Outcome.TIMED_OUT


async def test_a_failed_jobs_log_read_slower_than_cancel_grace_still_gives_its_tail() -> None:
    """Outside a give-up, ``log_tail``'s read of a failed job's log is a read as any other:
    a ``jobs/get`` that answers after more than ``cancel_grace`` (which bounds only the reads
    of a batch giving up) still gives the result its log's last lines."""
    async with AsyncExitStack() as stack:
        emu, client = await started(stack, api="config@head", connections=1)
        [cid] = emu.connection_ids
        emu.set_sync_plan(cid, duration=0.2, outcome="failed")
        emu.faults = [Fault(kind="latency", route="jobs/get", delay=0.5)]
        orchestrator = Orchestrator(
            client, poll_interval=0.02, max_poll_interval=0.05, cancel_grace=0.1, log_tail=5
        )

        [failed] = await orchestrator.run([cid])

    assert failed.outcome is Outcome.FAILED
    assert 0 < len(failed.log_tail) <= 5


# -- disabled by Airbyte for a breaking schema change ----------------------------------------

_BREAKING_SOURCES = """
    On a breaking change in the source's schema (found by a discover), Airbyte disables the
    connection by a patch of ``breakingChange`` true and status ``inactive``, which
    ``updateConnection`` applies as any update's patch (``ConnectionsHandler``, reached from
    ``diffCatalogAndConditionallyDisable``: airbytehq/airbyte-platform ``ConnectionsHandler.kt``
    at ``52d62597``; the same in 0.x's ``ConnectionsHandler.java``). ``ConnectionRead`` carries
    ``breakingChange`` on every version (config-api-0.40.yaml, 0.50, head); the public API's
    ``ConnectionResponse`` does not. An auto-disable after failed syncs sets the status alone
    (``disableConnectionsById``); its reason is only in the connection's timeline.
"""


@pytest.mark.parametrize("version", ["0.50", "head"])
async def test_a_breaking_change_patch_reads_back_on_the_connection(
    airbyte_emulator_factory: Factory, http: aiohttp.ClientSession, version: str
) -> None:
    """A connections/update of ``breakingChange`` true and status inactive (the patch of
    Airbyte's schema-change disable) reads back with both."""
    emu = await airbyte_emulator_factory(airbyte_version=version, connections=1)
    [cid] = emu.connection_ids
    patch = {"connectionId": cid, "status": "inactive", "breakingChange": True}
    assert (await call(http, emu, "connections/update", patch)).status == 200

    read = (await call(http, emu, "connections/get", {"connectionId": cid})).json

    assert (read["status"], read["breakingChange"]) == ("inactive", True)


test_a_breaking_change_patch_reads_back_on_the_connection.__doc__ += _BREAKING_SOURCES


async def test_a_batch_names_a_breaking_schema_change_as_why_a_connection_cannot_sync(
    http: aiohttp.ClientSession,
) -> None:
    """A batch's result for a connection Airbyte disabled for a breaking schema change is
    ``error`` saying so; the other connection syncs."""
    async with AsyncExitStack() as stack:
        emu, client = await started(stack, api="config@head", connections=2)
        broken, fine = emu.connection_ids
        patch = {"connectionId": broken, "status": "inactive", "breakingChange": True}
        assert (await call(http, emu, "connections/update", patch)).status == 200
        orchestrator = Orchestrator(client, poll_interval=0.02, max_poll_interval=0.05)

        results = await orchestrator.run([broken, fine])

    assert results[0].outcome is Outcome.ERROR
    assert "breaking change in its source's schema" in (results[0].error or "")
    assert results[1].ok
    assert broken not in emu.stats().jobs_by_connection


test_a_batch_names_a_breaking_schema_change_as_why_a_connection_cannot_sync.__doc__ += (
    _BREAKING_SOURCES
)


@pytest.mark.parametrize("version", ["1.7", "head"])
async def test_a_reset_of_an_inactive_connection_is_cancelled_as_its_attempt_starts(
    airbyte_emulator_factory: Factory, http: aiohttp.ClientSession, version: str
) -> None:
    """A reset of an inactive connection is not refused: its job is made, and its first
    attempt, finding the connection disabled, ends it cancelled, nothing reset. The sync
    workflow's status check spares no reset (``SyncWorkflowV2Impl.kt`` at ``37d38e81``, the
    same in ``SyncWorkflowImpl``); ``TemporalClient.resetConnection`` checks no status."""
    clock = ManualClock()
    emu = await airbyte_emulator_factory(airbyte_version=version, connections=1, clock=clock)
    [cid] = emu.connection_ids
    await _disable(http, emu, cid, "inactive")

    answer = await call(http, emu, "connections/reset", {"connectionId": cid})
    assert answer.status == 200, answer.text
    clock.advance(1.0)
    got = await _job(http, emu, answer.json["job"]["id"])

    assert (got["job"]["configType"], got["job"]["status"]) == ("reset_connection", "cancelled")


test_a_reset_of_an_inactive_connection_is_cancelled_as_its_attempt_starts.__doc__ += (
    _DISABLED_SOURCES
)
