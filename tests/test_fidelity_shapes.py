"""
Fidelity: the shapes and rules of API-FACTS sections 2 to 5 that the client reads, per version.

Each test names its fact. Shapes the spec alone fixes are also checked route by route in
``test_emulator_conformance.py``; these tests prove what a spec check cannot: defaults, where a
value lives, what a route ignores, and what changes between versions.
"""

from __future__ import annotations

import datetime as dt
import itertools
import time
from typing import Any

import aiohttp
import anyio
import emulator_support
import pytest
from emulator_support import call, only_actor, sync, wait_terminal, waiting_job

from airbyte_async.testing import ManualClock, pytest_plugin
from airbyte_async.testing._catalog import DESTINATION_DEFINITIONS, SOURCE_DEFINITIONS

pytestmark = pytest.mark.anyio

airbyte_emulator_factory = pytest_plugin.airbyte_emulator_factory
Factory = pytest_plugin.EmulatorFactory
http = emulator_support.http

VERSIONS = pytest.mark.parametrize("version", ["0.40", "0.50", "head"])
SINCE_050 = pytest.mark.parametrize("version", ["0.50", "head"])
MASK = "**********"


# -- 2.2 definitions --------------------------------------------------------------------------


@VERSIONS
async def test_definition_lists_ignore_a_body_and_cover_the_deployment(
    airbyte_emulator_factory: Factory, http: aiohttp.ClientSession, version: str
) -> None:
    """
    source_definitions/list has no request body: a workspaceId sent anyway is ignored and the
    deployment's whole list comes back under sourceDefinitions; a SourceDefinitionRead has no
    destinationDefinitionId (API-FACTS 2.2, 9a, 9f).
    """
    emu = await airbyte_emulator_factory(airbyte_version=version, workspaces=2)
    plain = await call(http, emu, "source_definitions/list")
    scoped = await call(http, emu, "source_definitions/list", {"workspaceId": emu.workspace_ids[1]})
    assert plain.json == scoped.json
    names = {d["name"] for d in plain.json["sourceDefinitions"]}
    assert names == {d.name for d in SOURCE_DEFINITIONS}
    assert all("destinationDefinitionId" not in d for d in plain.json["sourceDefinitions"])
    destinations = (await call(http, emu, "destination_definitions/list")).json
    assert len(destinations["destinationDefinitions"]) == len(DESTINATION_DEFINITIONS)


@VERSIONS
async def test_the_workspace_definition_list_needs_a_workspace(
    airbyte_emulator_factory: Factory, http: aiohttp.ClientSession, version: str
) -> None:
    """list_for_workspace takes {workspaceId} (required) and 404s an unknown one (2.2)."""
    emu = await airbyte_emulator_factory(airbyte_version=version)
    route = "source_definitions/list_for_workspace"
    assert (await call(http, emu, route, {})).status == 400
    unknown = {"workspaceId": "22222222-2222-4222-8222-222222222222"}
    assert (await call(http, emu, route, unknown)).status == 404
    found = await call(http, emu, route, {"workspaceId": emu.workspace_ids[0]})
    assert found.json["sourceDefinitions"]


# -- 0 and 2.3 actors --------------------------------------------------------------------------


@VERSIONS
async def test_secrets_come_back_masked_and_source_name_is_the_definitions(
    airbyte_emulator_factory: Factory, http: aiohttp.ClientSession, version: str
) -> None:
    """
    A source's airbyte_secret values read back as "**********" (API-FACTS 0, SECRETS_MASK) and
    its sourceName is the definition's name (2.3).
    """
    emu = await airbyte_emulator_factory(airbyte_version=version, connections=1)
    source = await only_actor(http, emu, "source")
    assert source["connectionConfiguration"]["password"] == MASK
    assert source["connectionConfiguration"]["host"] == "postgres.emulator.internal"
    assert source["sourceName"] == "Postgres"
    assert (version == "head") == ("createdAt" in source)


@VERSIONS
async def test_check_connection_answers_with_job_info(
    airbyte_emulator_factory: Factory, http: aiohttp.ClientSession, version: str
) -> None:
    """CheckConnectionRead carries jobInfo (required), and status and message (2.3)."""
    emu = await airbyte_emulator_factory(airbyte_version=version, connections=1)
    source = await only_actor(http, emu, "source")
    check = (await call(http, emu, "sources/check_connection", source)).json
    assert check["status"] == "succeeded"
    assert {"id", "configType", "createdAt", "endedAt", "succeeded"} <= set(check["jobInfo"])


# -- 2.5 connections ---------------------------------------------------------------------------


async def _actors(http: aiohttp.ClientSession, emu: Any) -> tuple[str, str]:
    source = await only_actor(http, emu, "source")
    destination = await only_actor(http, emu, "destination")
    return source["sourceId"], destination["destinationId"]


@VERSIONS
async def test_a_connection_created_without_a_catalog_has_an_empty_one(
    airbyte_emulator_factory: Factory, http: aiohttp.ClientSession, version: str
) -> None:
    """Without syncCatalog the connection is stored with an empty catalog (2.5,
    ConnectionsHandler)."""
    emu = await airbyte_emulator_factory(airbyte_version=version, connections=1)
    source_id, destination_id = await _actors(http, emu)
    body = {"sourceId": source_id, "destinationId": destination_id, "status": "active"}
    created = await call(http, emu, "connections/create", body)
    assert created.status == 200
    assert created.json["syncCatalog"] == {"streams": []}


@VERSIONS
async def test_the_legacy_schedule_reads_back_only_for_basic_schedules(
    airbyte_emulator_factory: Factory, http: aiohttp.ClientSession, version: str
) -> None:
    """ConnectionRead.schedule is filled for a basic schedule and absent for manual or cron
    (API-FACTS 5, toLegacyConnectionSchedule)."""
    emu = await airbyte_emulator_factory(airbyte_version=version, connections=1)
    source_id, destination_id = await _actors(http, emu)
    base = {"sourceId": source_id, "destinationId": destination_id, "status": "active"}
    basic = {"basicSchedule": {"timeUnit": "hours", "units": 6}}
    cron = {"cron": {"cronExpression": "0 0 * * * ?", "cronTimeZone": "UTC"}}
    made = {
        kind: (await call(http, emu, "connections/create", {**base, **extra})).json
        for kind, extra in (
            ("basic", {"scheduleType": "basic", "scheduleData": basic}),
            ("cron", {"scheduleType": "cron", "scheduleData": cron}),
            ("manual", {"scheduleType": "manual"}),
        )
    }
    assert made["basic"]["schedule"] == {"units": 6, "timeUnit": "hours"}
    assert made["cron"].get("schedule") is None
    assert made["manual"].get("schedule") is None
    assert made["cron"]["scheduleType"] == "cron"


@SINCE_050
async def test_connection_status_is_a_json_array(
    airbyte_emulator_factory: Factory, http: aiohttp.ClientSession, version: str
) -> None:
    """connections/status answers a bare JSON array, one read per connection id (2.5)."""
    emu = await airbyte_emulator_factory(airbyte_version=version, connections=2)
    answer = await call(http, emu, "connections/status", {"connectionIds": emu.connection_ids})
    assert isinstance(answer.json, list)
    assert [s["connectionId"] for s in answer.json] == emu.connection_ids


@SINCE_050
async def test_paged_lists_default_to_twenty(
    airbyte_emulator_factory: Factory, http: aiohttp.ClientSession, version: str
) -> None:
    """*/list_paginated without a pageSize returns 20 (2.1, PaginationHelper)."""
    emu = await airbyte_emulator_factory(airbyte_version=version, workspaces=25)
    body = {"workspaceIds": emu.workspace_ids, "pagination": {}}
    answer = await call(http, emu, "workspaces/list_paginated", body)
    assert len(answer.json["workspaces"]) == 20


# -- 3 job shapes ------------------------------------------------------------------------------


@VERSIONS
async def test_job_timestamps_are_epoch_seconds_and_ids_are_integers(
    airbyte_emulator_factory: Factory, http: aiohttp.ClientSession, version: str
) -> None:
    """JobRead and AttemptRead times are int64 epoch seconds; job ids are int64 (API-FACTS 0,
    JobConverter)."""
    emu = await airbyte_emulator_factory(airbyte_version=version, connections=1)
    info = await sync(http, emu, emu.connection_ids[0])
    job, attempt = info["job"], info["attempts"][0]["attempt"]
    assert isinstance(job["id"], int)
    for value in (job["createdAt"], job["updatedAt"], attempt["createdAt"]):
        assert isinstance(value, int)
        assert abs(value - time.time()) < 60


@VERSIONS
async def test_jobs_get_wraps_attempts_with_their_logs(
    airbyte_emulator_factory: Factory, http: aiohttp.ClientSession, version: str
) -> None:
    """
    jobs/get is JobInfoRead {job, attempts[]}; each AttemptInfoRead wraps {attempt, logs}: a
    LogRead {logLines} on 0.40 and 0.50, structured LogEvents with logType on head; the attempt
    id is its number, 0 (API-FACTS 3).
    """
    emu = await airbyte_emulator_factory(
        airbyte_version=version, connections=1, sync_duration=(0, 0)
    )
    job_id = (await sync(http, emu, emu.connection_ids[0]))["job"]["id"]
    await wait_terminal(http, emu, job_id)
    info = (await call(http, emu, "jobs/get", {"id": job_id})).json
    [entry] = info["attempts"]
    assert entry["attempt"]["id"] == 0
    if version == "head":
        assert entry["logType"] == "structured"
        assert entry["logs"]["events"]
    else:
        assert entry["logs"]["logLines"]


@VERSIONS
async def test_counts_live_per_attempt_and_only_lists_aggregate_them(
    airbyte_emulator_factory: Factory, http: aiohttp.ClientSession, version: str
) -> None:
    """
    Records and bytes are per attempt (recordsSynced, totalStats); job.aggregatedStats comes
    only from jobs/list on 0.50 and head, never from jobs/get, and not on 0.40 (3, 9b).
    """
    emu = await airbyte_emulator_factory(
        airbyte_version=version, connections=1, sync_duration=(0, 0)
    )
    cid = emu.connection_ids[0]
    job_id = (await sync(http, emu, cid))["job"]["id"]
    await wait_terminal(http, emu, job_id)
    got = (await call(http, emu, "jobs/get", {"id": job_id})).json
    attempt = got["attempts"][0]["attempt"]
    assert attempt["recordsSynced"] == attempt["totalStats"]["recordsCommitted"] > 0
    assert "aggregatedStats" not in got["job"]
    listed = await call(http, emu, "jobs/list", {"configTypes": ["sync"], "configId": cid})
    job = listed.json["jobs"][0]["job"]
    if version == "0.40":
        assert "aggregatedStats" not in job
    else:
        assert job["aggregatedStats"]["recordsCommitted"] == attempt["recordsSynced"]


@VERSIONS
async def test_a_running_attempt_on_jobs_get_has_no_counts_yet(
    airbyte_emulator_factory: Factory, http: aiohttp.ClientSession, version: str
) -> None:
    """On jobs/get the counts come from the attempt's output, so a running attempt has none
    (3, JobConverter.getAttemptRead)."""
    emu = await airbyte_emulator_factory(
        airbyte_version=version, connections=1, sync_duration=(30, 30)
    )
    job_id = (await sync(http, emu, emu.connection_ids[0]))["job"]["id"]
    attempt = (await call(http, emu, "jobs/get", {"id": job_id})).json["attempts"][0]
    assert attempt["attempt"]["status"] == "running"
    assert "recordsSynced" not in attempt["attempt"]


@VERSIONS
async def test_a_running_attempt_in_a_listing_has_live_stats_but_no_legacy_counts(
    airbyte_emulator_factory: Factory, http: aiohttp.ClientSession, version: str
) -> None:
    """Lists re-hydrate totalStats from the stats table while the job runs, but recordsSynced
    and bytesSynced come from the attempt's output, which a running attempt has not produced
    yet (3, JobConverter.getAttemptRead, StatsAggregationHelper.hydrateWithStats)."""
    emu = await airbyte_emulator_factory(
        airbyte_version=version, connections=1, sync_duration=(30, 30)
    )
    cid = emu.connection_ids[0]
    await sync(http, emu, cid)
    listed = await call(http, emu, "jobs/list", {"configTypes": ["sync"], "configId": cid})
    attempt = listed.json["jobs"][0]["attempts"][0]
    assert attempt["status"] == "running"
    assert "totalStats" in attempt
    assert "recordsSynced" not in attempt
    assert "bytesSynced" not in attempt


@VERSIONS
async def test_only_head_has_a_queued_status(
    airbyte_emulator_factory: Factory, http: aiohttp.ClientSession, version: str
) -> None:
    """
    JobStatus queued exists on head only; older versions go pending → running (3). The job
    is read from its creation on: started by head's public ``POST /jobs``, answered once it
    exists, or by the Config API's sync of older versions, in a task, read as it waits.
    """
    emu = await airbyte_emulator_factory(
        airbyte_version=version, connections=1, pending_duration=0.3, sync_duration=(0, 0)
    )
    cid = emu.connection_ids[0]
    if version == "head":
        seen = await wait_terminal(http, emu, await waiting_job(http, emu, cid))
    else:
        async with anyio.create_task_group() as tg:
            tg.start_soon(sync, http, emu, cid)
            await emulator_support.jobs_created(emu, 1)
            [job_id] = emu.stats().jobs_by_connection[cid]
            seen = await wait_terminal(http, emu, job_id)
        assert seen[0] == "pending"
    assert ("queued" in seen) == (version == "head")


# -- 4 jobs/list -------------------------------------------------------------------------------


@VERSIONS
async def test_job_list_elements_are_job_with_bare_attempts(
    airbyte_emulator_factory: Factory, http: aiohttp.ClientSession, version: str
) -> None:
    """
    JobReadList {jobs, totalJobCount}: each element is {job, attempts} with the id at
    jobs[i].job.id and bare AttemptReads without logs (API-FACTS 4, 9c).
    """
    emu = await airbyte_emulator_factory(
        airbyte_version=version, connections=1, sync_duration=(0, 0)
    )
    cid = emu.connection_ids[0]
    job_id = (await sync(http, emu, cid))["job"]["id"]
    await wait_terminal(http, emu, job_id)
    listed = (await call(http, emu, "jobs/list", {"configTypes": ["sync"], "configId": cid})).json
    assert listed["totalJobCount"] == 1
    [element] = listed["jobs"]
    assert element["job"]["id"] == job_id
    [attempt] = element["attempts"]
    assert "attempt" not in attempt
    assert "logs" not in attempt
    assert attempt["status"] == "succeeded"


@SINCE_050
async def test_job_lists_page_by_two_hundred_and_count_them_all(
    airbyte_emulator_factory: Factory, http: aiohttp.ClientSession, version: str
) -> None:
    """
    Without pagination jobs/list returns 200 jobs, newest first, and totalJobCount counts every
    match, ignoring the page (API-FACTS 4, JobHistoryHandler DEFAULT_PAGE_SIZE).
    """
    emu = await airbyte_emulator_factory(
        airbyte_version=version, connections=205, trigger_latency=0.0
    )
    async with anyio.create_task_group() as tg:
        for cid in emu.connection_ids:
            tg.start_soon(sync, http, emu, cid)
    listed = (await call(http, emu, "jobs/list", {"configTypes": ["sync"]})).json
    assert len(listed["jobs"]) == 200
    assert listed["totalJobCount"] == 205
    ids = [j["job"]["id"] for j in listed["jobs"]]
    assert ids == sorted(ids, reverse=True)


# -- 2.7 health --------------------------------------------------------------------------------


@VERSIONS
async def test_health_is_a_get_with_available(
    airbyte_emulator_factory: Factory, http: aiohttp.ClientSession, version: str
) -> None:
    """GET /v1/health answers HealthCheckRead {available: true}; POST is not its method
    (2.7)."""
    emu = await airbyte_emulator_factory(airbyte_version=version)
    assert (await call(http, emu, "health", method="GET")).json == {"available": True}
    assert (await call(http, emu, "health")).status == 405


@SINCE_050
async def test_jobs_of_several_workspaces_count_only_the_page(
    airbyte_emulator_factory: Factory, http: aiohttp.ClientSession, version: str
) -> None:
    """
    jobs/list_for_workspaces answers totalJobCount as the length of the page it returns, not
    the number of matches (JobHistoryHandler.listJobsForWorkspaces: totalJobCount(jobs.size()),
    in 0.50 and head): a client cannot page by it.
    """
    emu = await airbyte_emulator_factory(airbyte_version=version, connections=5, trigger_latency=0)
    for cid in emu.connection_ids:
        await sync(http, emu, cid)
    body = {
        "configTypes": ["sync"],
        "workspaceIds": list(emu.workspace_ids),
        "pagination": {"pageSize": 2, "rowOffset": 0},
    }
    first = (await call(http, emu, "jobs/list_for_workspaces", body)).json
    assert (len(first["jobs"]), first["totalJobCount"]) == (2, 2)
    body["pagination"] = {"pageSize": 2, "rowOffset": 4}
    last = (await call(http, emu, "jobs/list_for_workspaces", body)).json
    assert (len(last["jobs"]), last["totalJobCount"]) == (1, 1)


@SINCE_050
async def test_jobs_of_several_workspaces_filter_by_creation_and_update_at_once(
    airbyte_emulator_factory: Factory, http: aiohttp.ClientSession, version: str
) -> None:
    """
    jobs/list_for_workspaces applies createdAtStart and updatedAtStart together, with the
    final statuses asked for (JobHistoryHandler.listJobsForWorkspaces passes the created and
    updated ranges and the statuses to listJobsLight): the watcher's look for suspects relies
    on it.
    """
    clock = ManualClock()
    emu = await airbyte_emulator_factory(
        airbyte_version=version, connections=2, trigger_latency=0, clock=clock
    )
    first, second = emu.connection_ids
    emu.set_sync_plan(first, duration=1)
    emu.set_sync_plan(second, duration=1)
    old = (await sync(http, emu, first))["job"]
    clock.advance(10)
    new = (await sync(http, emu, second))["job"]
    clock.advance(5)

    def iso(epoch: float) -> str:
        return dt.datetime.fromtimestamp(epoch, dt.UTC).isoformat()

    async def listed(**body: Any) -> list[int]:
        full = {
            "configTypes": ["sync"],
            "workspaceIds": list(emu.workspace_ids),
            "statuses": ["succeeded", "failed", "cancelled"],
            **body,
        }
        answer = (await call(http, emu, "jobs/list_for_workspaces", full)).json
        return [j["job"]["id"] for j in answer["jobs"]]

    start = old["createdAt"]
    assert sorted(await listed(updatedAtStart=iso(start))) == sorted([old["id"], new["id"]])
    assert await listed(updatedAtStart=iso(start), createdAtStart=iso(start + 5)) == [new["id"]]
    assert await listed(updatedAtStart=iso(start + 13), createdAtStart=iso(start)) == []


async def test_an_end_stamped_before_it_is_committed_is_missed_by_a_later_window(
    airbyte_emulator_factory: Factory, http: aiohttp.ClientSession
) -> None:
    """
    With a commit lag, reads see a job's end only that long after it, stamped with the moment
    it happened: DefaultJobPersistence reads ``timeSupplier`` before the
    ``jobDatabase.transaction`` that writes the status commits. A listing by update time that
    starts after the stamp but before the commit misses the end, and so does every later
    window; the job read by itself shows it.
    """
    clock = ManualClock()
    emu = await airbyte_emulator_factory(
        connections=1, trigger_latency=0, commit_lag=2.0, clock=clock
    )
    [cid] = emu.connection_ids
    emu.set_sync_plan(cid, duration=1)
    began = clock.now
    job = (await sync(http, emu, cid))["job"]
    final = ["succeeded", "failed", "cancelled"]

    async def listed(since: float) -> list[int]:
        start = dt.datetime.fromtimestamp(since, dt.UTC).isoformat()
        body = {
            "configTypes": ["sync"],
            "workspaceIds": list(emu.workspace_ids),
            "statuses": final,
            "updatedAtStart": start,
        }
        answer = (await call(http, emu, "jobs/list_for_workspaces", body)).json
        return [j["job"]["id"] for j in answer["jobs"]]

    async def status() -> str:
        answer = await call(http, emu, "jobs/get_light", {"id": job["id"]})
        return str(answer.json["job"]["status"])

    clock.advance(1.5)  # ended at +1, not committed yet
    assert await status() == "running"
    assert await listed(began) == []
    clock.advance(2)  # committed at +3
    assert await status() == "succeeded"
    assert await listed(began) == [job["id"]]
    answer = await call(http, emu, "jobs/get", {"id": job["id"]})
    assert answer.json["job"]["updatedAt"] == int(began + 1)
    assert await listed(began + 1.5) == []


# -- 3 attempts: a failed attempt is retried ------------------------------------------------


@SINCE_050
async def test_a_failed_attempt_leaves_the_job_incomplete_until_the_next_one_runs(
    airbyte_emulator_factory: Factory, http: aiohttp.ClientSession, version: str
) -> None:
    """
    Airbyte retries a failed attempt: the job is ``incomplete`` between two (API-FACTS 3,
    JobStatus: "an attempt failed and the job may retry", INCOMPLETE -> RUNNING), and ends
    failed only after its last attempt; each attempt is listed with its id (the attempt
    number) and its failure (``SYNC_JOB_RETRIES_COMPLETE_FAILURES_*`` set how many and how
    far apart: see the next test).
    """
    clock = ManualClock()
    emu = await airbyte_emulator_factory(
        airbyte_version=version, connections=1, clock=clock, retry_backoff=1.0
    )
    cid = emu.connection_ids[0]
    emu.set_sync_plan(cid, duration=2.0, outcome="failed", failed_attempts=2)
    job_id = (await sync(http, emu, cid))["job"]["id"]
    seen = []
    # Attempts at [0, 2), [3, 5) and [8, 10) (waits of 1 s, then 3 s); incomplete between;
    # the job fails at 10.
    for step in (0.5, 2.0, 1.0, 2.0, 3.0, 2.0):
        clock.advance(step)
        seen.append(emu.job_status(job_id))
    info = (await call(http, emu, "jobs/get", {"id": job_id})).json

    assert seen == ["running", "incomplete", "running", "incomplete", "running", "failed"]
    attempts = [entry["attempt"] for entry in info["attempts"]]
    assert [a["id"] for a in attempts] == [0, 1, 2]
    assert [a["status"] for a in attempts] == ["failed", "failed", "failed"]
    assert all(a["failureSummary"]["failures"] for a in attempts)
    assert [a["endedAt"] - a["createdAt"] for a in attempts] == [2, 2, 2]


@SINCE_050
async def test_each_wait_after_a_failed_attempt_is_three_times_the_last_up_to_a_cap(
    airbyte_emulator_factory: Factory, http: aiohttp.ClientSession, version: str
) -> None:
    """
    From 0.50 on, the wait before the next attempt grows with each attempt in a row that
    synced nothing: the first wait times 3 to the power of the failures before it, at most 180
    times the first (Airbyte's defaults: 10 s, 30 s, 90 s ... up to 30 min). A failure counts
    as complete when its attempt committed no record (``ProgressCheckerPredicates``), and
    ``RetryManager.backoff`` then asks the complete-failure ``BackoffPolicy``, whose
    ``getBackoff(n)`` is ``minInterval * base^(n-1)`` clamped to ``maxInterval``
    (airbytehq/airbyte-platform ``airbyte-commons-temporal/.../retries/RetryManager.kt`` and
    ``BackoffPolicy.kt`` at ``727e1210``; the defaults ``min-interval-s`` 10, ``base`` 3,
    ``max-interval-s`` 1800 in ``airbyte-workers/.../runtime/AirbyteWorkerRetryConfig.kt`` at
    ``6c9c8234``, ``SYNC_JOB_RETRIES_COMPLETE_FAILURES_BACKOFF_*``; the same policy in the Java
    ``RetryStateClient`` and ``BackoffPolicy`` of 2023). The emulator's *retry_backoff* is
    the first wait.
    """
    clock = ManualClock(now=1_700_000_000.0)
    emu = await airbyte_emulator_factory(
        airbyte_version=version, connections=1, clock=clock, retry_backoff=1.0
    )
    cid = emu.connection_ids[0]
    emu.set_sync_plan(cid, duration=1.0, outcome="failed", failed_attempts=6)
    job_id = (await sync(http, emu, cid))["job"]["id"]
    clock.advance(400)
    info = (await call(http, emu, "jobs/get", {"id": job_id})).json

    attempts = [entry["attempt"] for entry in info["attempts"]]
    waits = [b["createdAt"] - a["endedAt"] for a, b in itertools.pairwise(attempts)]
    assert info["job"]["status"] == "failed"
    assert waits == [1, 3, 9, 27, 81, 180]


@pytest.mark.parametrize("version", ["0.40", "0.50", "head"])
async def test_a_sync_that_fails_on_a_config_error_makes_one_attempt(
    airbyte_emulator_factory: Factory, http: aiohttp.ClientSession, version: str
) -> None:
    """
    Airbyte never retries an attempt whose first failure is a ``config_error``: the job fails
    after it, however many attempts a failing sync may make; other failures are retried
    (``ConnectionManagerWorkflowImpl.reportFailure``: ``isWithinRetryLimit(attemptNumber) &&
    failureType != CONFIG_ERROR``, else ``failJob``; airbytehq/airbyte-platform
    ``ConnectionManagerWorkflowImpl.kt`` at ``275e6071``, ``.java`` at ``07d28131``, and
    airbytehq/airbyte's ``ConnectionManagerWorkflowImpl.java`` at ``003ab5b4`` for 0.40:
    ``maxAttempt > attemptNumber && failureType != FailureType.CONFIG_ERROR``).
    """
    emu = await airbyte_emulator_factory(
        airbyte_version=version,
        connections=12,
        attempts=3,
        failure_rate=1.0,
        retry_backoff=0.01,
        sync_duration=(0.01, 0.02),
    )
    jobs = [(await sync(http, emu, cid))["job"]["id"] for cid in emu.connection_ids]
    made: dict[str, set[int]] = {}
    for job_id in jobs:
        await wait_terminal(http, emu, job_id)
        info = (await call(http, emu, "jobs/get", {"id": job_id})).json
        failure = info["attempts"][-1]["attempt"]["failureSummary"]["failures"][0]
        made.setdefault(failure["failureType"], set()).add(len(info["attempts"]))

    assert made.pop("config_error") == {1}
    assert made and all(counts == {3} for counts in made.values())


async def test_on_040_the_next_attempt_starts_at_once_whatever_the_backoff(
    airbyte_emulator_factory: Factory, http: aiohttp.ClientSession
) -> None:
    """
    0.40 has no backoff between attempts: a failed attempt leaves the job ``incomplete``
    (``DefaultJobPersistence.failAttempt``) only while the workflow continues as new and
    creates the next attempt (``createAttempt`` sets it ``running``), as the run that
    continues from a failure waits for nothing: ``Workflow.await(timeToWait, () ->
    skipScheduling() || connectionUpdaterInput.isFromFailure())`` returns at once
    (airbytehq/airbyte-platform ``ConnectionManagerWorkflowImpl.java`` of early 2023, and
    airbytehq/airbyte's of late 2022; the backoff, ``resolveBackoff`` of a ``RetryManager``,
    came after 0.40). So the retry backoff the emulator is given does not apply there.
    """
    clock = ManualClock()
    emu = await airbyte_emulator_factory(
        airbyte_version="0.40", connections=1, clock=clock, retry_backoff=10.0
    )
    cid = emu.connection_ids[0]
    emu.set_sync_plan(cid, duration=2.0, outcome="failed", failed_attempts=1)
    job_id = (await sync(http, emu, cid))["job"]["id"]
    seen = []
    for step in (1.0, 1.0, 1.0, 2.0):
        clock.advance(step)
        seen.append(emu.job_status(job_id))
    info = (await call(http, emu, "jobs/get", {"id": job_id})).json

    assert seen == ["running", "incomplete", "running", "failed"]
    first, second = (entry["attempt"] for entry in info["attempts"])
    assert second["createdAt"] - first["endedAt"] <= 1


async def test_a_sync_that_passes_on_its_second_attempt_succeeds_with_two_attempts(
    airbyte_emulator_factory: Factory, http: aiohttp.ClientSession
) -> None:
    """A failed attempt then a good one: the job succeeds, the first attempt failed with a
    passing error and synced nothing, the second carries the records."""
    emu = await airbyte_emulator_factory(connections=1, retry_backoff=0.05)
    cid = emu.connection_ids[0]
    emu.set_sync_plan(cid, duration=0.05, outcome="succeeded", failed_attempts=1)
    job_id = (await sync(http, emu, cid))["job"]["id"]

    statuses = await wait_terminal(http, emu, job_id)
    info = (await call(http, emu, "jobs/get", {"id": job_id})).json

    assert statuses[-1] == "succeeded"
    first, second = (entry["attempt"] for entry in info["attempts"])
    assert (first["status"], second["status"]) == ("failed", "succeeded")
    assert first["recordsSynced"] == 0
    assert first["failureSummary"]["failures"][0]["failureType"] == "transient_error"
    assert second["recordsSynced"] > 0


async def test_failing_syncs_make_the_attempts_the_emulator_is_given(
    airbyte_emulator_factory: Factory, http: aiohttp.ClientSession
) -> None:
    """attempts=2 with every sync failing: each failed job has two attempts, both failed."""
    emu = await airbyte_emulator_factory(
        connections=1, failure_rate=1.0, attempts=2, retry_backoff=0.4, sync_duration=(0.05, 0.05)
    )
    job_id = (await sync(http, emu, emu.connection_ids[0]))["job"]["id"]

    assert "incomplete" in await wait_terminal(http, emu, job_id)
    info = (await call(http, emu, "jobs/get", {"id": job_id})).json
    assert [entry["attempt"]["status"] for entry in info["attempts"]] == ["failed", "failed"]


async def test_a_jobs_update_time_moves_with_each_attempt(
    airbyte_emulator_factory: Factory, http: aiohttp.ClientSession
) -> None:
    """
    A job's ``updatedAt`` is its latest status change, attempts included: the end of a failed
    attempt (the job turns ``incomplete``) and the start of the next (``running`` again), as
    ``DefaultJobPersistence.failAttempt`` and ``createAttempt`` set ``jobs.updated_at`` through
    ``updateJobStatus`` (airbytehq/airbyte-platform ``airbyte-persistence/job-persistence``). So
    a listing by ``updatedAtStart`` (API-FACTS 4) made after the first attempt started finds the
    job once it turned incomplete.
    """
    clock = ManualClock(now=1_800_000_000.0)
    emu = await airbyte_emulator_factory(
        connections=1, clock=clock, trigger_latency=0.0, retry_backoff=1.0
    )
    cid = emu.connection_ids[0]
    emu.set_sync_plan(cid, duration=2.0, outcome="succeeded", failed_attempts=1)
    job_id = (await sync(http, emu, cid))["job"]["id"]
    started = 1_800_000_000
    since = {
        "configTypes": ["sync"],
        "configId": cid,
        "updatedAtStart": "2027-01-15T08:00:01Z",  # started + 1 s
    }
    updated = []
    listed = []
    # The first attempt runs [0, 2), the job is incomplete [2, 3), the second runs [3, 5).
    for step in (0.5, 2.0, 1.0):
        clock.advance(step)
        updated.append((await call(http, emu, "jobs/get", {"id": job_id})).json["job"]["updatedAt"])
        listed.append(len((await call(http, emu, "jobs/list", since)).json["jobs"]))

    assert updated == [started, started + 2, started + 3]
    assert listed == [0, 1, 1]
