"""The emulator's behaviour: job lifecycle, errors, CRUD details, auth, ground truth."""

from __future__ import annotations

import base64
import math
import time
from datetime import UTC, datetime
from functools import partial
from typing import Any

import aiohttp
import anyio
import emulator_support
import pytest
from emulator_support import (
    call,
    in_a_task_of_its_own,
    jobs_created,
    public,
    sync,
    wait_terminal,
    waiting_job,
)

from airbyte_async.testing import (
    Emulator,
    ManualClock,
    RequireBasic,
    RequireBearer,
    RequireClientCredentials,
    pytest_plugin,
)
from airbyte_async.testing._catalog import SECRET_MASK, mask_secrets, merge_masked, secret_paths

pytestmark = pytest.mark.anyio

# The plugin's fixtures, also when the package is not installed as a pytest plugin.
airbyte_emulator = pytest_plugin.airbyte_emulator
airbyte_emulator_factory = pytest_plugin.airbyte_emulator_factory
Factory = pytest_plugin.EmulatorFactory
http = emulator_support.http

DEFAULT_ORG = "00000000-0000-0000-0000-000000000000"
PG = {"host": "db", "port": 5432, "database": "shop", "username": "u", "password": "hunter2"}


def iso(moment: float) -> str:
    """An ISO-8601 date-time for *moment*."""
    return datetime.fromtimestamp(moment, UTC).isoformat()


# -- construction and pre-loading -----------------------------------------------------------


def test_unknown_version_is_rejected() -> None:
    """A version the emulator does not play is refused."""
    with pytest.raises(ValueError, match="airbyte_version"):
        Emulator(airbyte_version="1.0")


def test_client_credentials_need_a_token_route() -> None:
    """0.40 has no applications/token, so client credentials are refused there."""
    with pytest.raises(ValueError, match=r"0\.40"):
        Emulator(airbyte_version="0.40", auth=RequireClientCredentials("a", "b"))


def test_secrets_stay_out_of_reprs() -> None:
    """Auth policies never show their secrets."""
    text = repr(
        [RequireBasic("u", "pw-1"), RequireBearer("tok-2"), RequireClientCredentials("i", "s-3")]
    )
    assert "pw-1" not in text
    assert "tok-2" not in text
    assert "s-3" not in text


async def test_url_points_at_loopback_and_api_url_adds_the_prefix(
    airbyte_emulator: Emulator,
) -> None:
    """The fixture's emulator listens on 127.0.0.1; api_url ends in /api/v1."""
    assert airbyte_emulator.url.startswith("http://127.0.0.1:")
    assert airbyte_emulator.api_url == airbyte_emulator.url + "/api/v1"


async def test_preloaded_connections_are_spread_round_robin(
    airbyte_emulator_factory: Factory, http: aiohttp.ClientSession
) -> None:
    """N connections land round-robin in W workspaces, active, with their own actors."""
    emu = await airbyte_emulator_factory(connections=10, workspaces=3)
    counts = []
    for wid in emu.workspace_ids:
        listed = (await call(http, emu, "connections/list", {"workspaceId": wid})).json
        counts.append(len(listed["connections"]))
        for c in listed["connections"]:
            assert c["status"] == "active"
            assert [s["stream"]["name"] for s in c["syncCatalog"]["streams"]] == [
                "customers",
                "orders",
                "products",
            ]
    assert counts == [4, 3, 3]
    first = (await call(http, emu, "connections/get", {"connectionId": emu.connection_ids[0]})).json
    assert first["name"] == "conn-00000"
    source = (await call(http, emu, "sources/get", {"sourceId": first["sourceId"]})).json
    assert source["sourceName"] == "Postgres"
    assert source["connectionConfiguration"]["password"] == SECRET_MASK
    dest = await call(http, emu, "destinations/get", {"destinationId": first["destinationId"]})
    assert dest.json["destinationName"] == "S3"


async def test_ten_thousand_connections_preload(airbyte_emulator_factory: Factory) -> None:
    """An emulator with 10,000 connections starts and lists them (a sanity check, not a timing)."""
    emu = await airbyte_emulator_factory(connections=10_000, workspaces=10)
    assert len(emu.connection_ids) == 10_000
    assert len(set(emu.connection_ids)) == 10_000


async def test_ids_are_reproducible_for_a_seed(airbyte_emulator_factory: Factory) -> None:
    """The same seed gives the same ids; another seed gives others."""
    a = await airbyte_emulator_factory(connections=3, seed=7)
    b = await airbyte_emulator_factory(connections=3, seed=7)
    c = await airbyte_emulator_factory(connections=3, seed=8)
    assert a.connection_ids == b.connection_ids != c.connection_ids


# -- entering and exiting --------------------------------------------------------------------


async def test_an_emulator_entered_in_one_task_is_exited_in_another(
    http: aiohttp.ClientSession,
) -> None:
    """Entered in one task and exited in another, an emulator serves the tasks in between, and
    its exit stops both the server and its background work (scheduled restarts)."""
    emu = Emulator()
    await in_a_task_of_its_own(emu.__aenter__)
    url = emu.url
    assert (await call(http, emu, "health", method="GET")).status == 200
    emu.set_faults([{"kind": "restart", "every": 0.01}])
    with anyio.fail_after(5):
        while emu.stats().restarts == 0:  # noqa: ASYNC110 (polling the ground truth)
            await anyio.sleep(0.005)

    await in_a_task_of_its_own(partial(emu.__aexit__, None, None, None))

    restarts = emu.stats().restarts
    await anyio.sleep(0.05)
    assert emu.stats().restarts == restarts
    with pytest.raises(aiohttp.ClientConnectionError):
        await http.get(url + "/api/v1/health")


async def test_a_failed_scheduled_restart_is_raised_on_exit(
    monkeypatch: pytest.MonkeyPatch, http: aiohttp.ClientSession
) -> None:
    """Background work that fails (a scheduled restart) is raised by the emulator's exit, which
    still stops the server."""

    async def failing(self: Emulator, *, downtime: float = 0.0) -> None:
        raise OSError("address in use")

    monkeypatch.setattr(Emulator, "restart", failing)
    emu = Emulator(faults=[{"kind": "restart", "every": 0.01}])

    with pytest.RaisesGroup(
        pytest.RaisesExc(OSError, match="address in use"), flatten_subgroups=True
    ):
        async with emu:
            url = emu.url
            with anyio.fail_after(5):
                while "restart" not in emu.stats().faults_injected:  # noqa: ASYNC110
                    await anyio.sleep(0.005)
            await anyio.sleep(0.02)

    with pytest.raises(aiohttp.ClientConnectionError):
        await http.get(url + "/api/v1/health")


# -- job lifecycle ---------------------------------------------------------------------------


async def test_a_sync_goes_pending_running_succeeded(
    airbyte_emulator_factory: Factory, http: aiohttp.ClientSession
) -> None:
    """
    A job is pending, then running, then succeeded, with its stats once finished; before head,
    the trigger answers only once it runs, with its first attempt (API-FACTS 6.3, 6.3b).
    """
    emu = await airbyte_emulator_factory(connections=1, pending_duration=0.3)
    cid = emu.connection_ids[0]
    emu.set_sync_plan(cid, duration=0.2, outcome="succeeded")
    answers: list[dict[str, Any]] = []
    async with anyio.create_task_group() as tg:

        async def trigger() -> None:
            answers.append(await sync(http, emu, cid))

        tg.start_soon(trigger)
        await jobs_created(emu, 1)
        listed = await call(http, emu, "jobs/list", {"configTypes": ["sync"], "configId": cid})
        assert listed.json["jobs"][0]["job"]["status"] == "pending"
        assert not answers
    [info] = answers
    assert info["job"]["status"] == "running"
    assert [a["attempt"]["status"] for a in info["attempts"]] == ["running"]
    assert await wait_terminal(http, emu, info["job"]["id"]) == ["running", "succeeded"]
    final = (await call(http, emu, "jobs/get", {"id": info["job"]["id"]})).json
    attempt = final["attempts"][0]["attempt"]
    assert attempt["id"] == 0
    assert attempt["status"] == "succeeded"
    assert attempt["recordsSynced"] == attempt["totalStats"]["recordsCommitted"] > 0
    assert "endedAt" in attempt
    assert "failureSummary" not in attempt
    assert final["attempts"][0]["logs"]["logLines"]
    assert "aggregatedStats" not in final["job"]


async def test_head_public_sync_answers_while_its_job_waits_for_capacity(
    airbyte_emulator_factory: Factory, http: aiohttp.ClientSession
) -> None:
    """Head's public ``POST /jobs`` answers as soon as the job exists: pending (API-FACTS 6.3,
    ``returnAfterJobId``, startNewManualSyncAndWaitForJobId)."""
    emu = await airbyte_emulator_factory(airbyte_version="head", connections=1, pending_duration=30)
    job_id = await waiting_job(http, emu, emu.connection_ids[0])
    assert emu.job_status(job_id) == "pending"


async def test_head_config_sync_answers_only_once_its_job_runs(
    airbyte_emulator_factory: Factory, http: aiohttp.ClientSession
) -> None:
    """
    Head's Config API ``connections/sync`` answers once the job runs, after its wait for
    capacity: the controller passes ``syncConnection`` no organization, so it takes
    ``startNewManualSync`` (airbytehq/airbyte-platform ``SchedulerHandler.kt`` at
    ``727e1210``, ``submitManualSyncToWorker``; ``ConnectionApiController.kt`` at
    ``08783db5``).
    """
    emu = await airbyte_emulator_factory(
        airbyte_version="head", connections=1, pending_duration=0.6, sync_duration=(30, 30)
    )
    began = time.monotonic()
    info = await sync(http, emu, emu.connection_ids[0])
    assert time.monotonic() - began >= 0.6
    assert info["job"]["status"] == "running"
    assert len(info["attempts"]) == 1


async def test_head_jobs_pass_through_queued(
    airbyte_emulator_factory: Factory, http: aiohttp.ClientSession
) -> None:
    """On head a pending job is queued before it runs, and logs are structured."""
    emu = await airbyte_emulator_factory(
        airbyte_version="head", connections=1, pending_duration=0.4
    )
    cid = emu.connection_ids[0]
    emu.set_sync_plan(cid, duration=0.05)
    job_id = await waiting_job(http, emu, cid)
    seen = await wait_terminal(http, emu, job_id)
    assert seen[:3] == ["pending", "queued", "running"]
    final = (await call(http, emu, "jobs/get", {"id": job_id})).json
    assert final["attempts"][0]["logType"] == "structured"
    assert final["attempts"][0]["logs"]["events"]


async def test_a_failed_sync_reports_a_failure_summary(
    airbyte_emulator_factory: Factory, http: aiohttp.ClientSession
) -> None:
    """A failed job's attempt has a realistic failureSummary with a millisecond timestamp."""
    emu = await airbyte_emulator_factory(connections=1, failure_rate=1.0, sync_duration=(0, 0))
    info = await sync(http, emu, emu.connection_ids[0])
    assert await wait_terminal(http, emu, info["job"]["id"]) in (["failed"], ["running", "failed"])
    attempt = (await call(http, emu, "jobs/get", {"id": info["job"]["id"]})).json["attempts"][0]
    assert attempt["attempt"]["status"] == "failed"
    [failure] = attempt["attempt"]["failureSummary"]["failures"]
    assert {"failureOrigin", "failureType", "externalMessage", "timestamp", "retryable"} <= set(
        failure
    )
    assert failure["timestamp"] > 10**12


async def test_a_second_sync_while_one_runs_is_a_409(
    airbyte_emulator_factory: Factory, http: aiohttp.ClientSession
) -> None:
    """While a job runs, another sync gets 409 with the real message; afterwards it works."""
    emu = await airbyte_emulator_factory(connections=1)
    cid = emu.connection_ids[0]
    emu.set_sync_plan(cid, duration=0.1)
    first = await sync(http, emu, cid)
    busy = await call(http, emu, "connections/sync", {"connectionId": cid})
    assert busy.status == 409
    assert busy.json["message"] == f"A sync is already running for: {cid}"
    assert busy.json["exceptionClassName"].endswith("ValueConflictKnownException")
    await wait_terminal(http, emu, first["job"]["id"])
    second = await sync(http, emu, cid)
    assert second["job"]["id"] == first["job"]["id"] + 1


async def test_head_errors_carry_only_an_error_id(
    airbyte_emulator_factory: Factory, http: aiohttp.ClientSession
) -> None:
    """On head, 404/422/500 send {errorId} and 409 sends {message, errorId}."""
    emu = await airbyte_emulator_factory(airbyte_version="head", connections=1)
    cid = emu.connection_ids[0]
    emu.set_sync_plan(cid, duration=5)
    await sync(http, emu, cid)
    busy = await call(http, emu, "connections/sync", {"connectionId": cid})
    assert busy.status == 409
    assert set(busy.json) == {"message", "errorId"}
    missing = await call(http, emu, "connections/get", {"connectionId": DEFAULT_ORG})
    assert missing.status == 404
    assert set(missing.json) == {"errorId"}
    bad = await call(http, emu, "connections/get", {"connectionId": 5})
    assert bad.status == 422
    assert set(bad.json) == {"errorId"}
    unknown_job = await call(http, emu, "jobs/get", {"id": 99})
    assert unknown_job.status == 500
    assert set(unknown_job.json) == {"errorId"}


async def test_cancel_ends_a_running_job_and_a_second_finds_none_running(
    airbyte_emulator_factory: Factory, http: aiohttp.ClientSession
) -> None:
    """
    Cancelling a running job ends it with a manual_cancellation failure (API-FACTS 6.3b); a
    second cancel, the connection running nothing, is a 500 "Could not find job with id: -1"
    (see ``State.stop_current``).
    """
    emu = await airbyte_emulator_factory(connections=1)
    cid = emu.connection_ids[0]
    emu.set_sync_plan(cid, duration=30)
    job_id = (await sync(http, emu, cid))["job"]["id"]
    cancelled = await call(http, emu, "jobs/cancel", {"id": job_id})
    assert cancelled.status == 200
    assert cancelled.json["job"]["status"] == "cancelled"
    attempt = cancelled.json["attempts"][0]["attempt"]
    assert attempt["status"] == "failed"
    assert attempt["failureSummary"]["failures"][0]["failureType"] == "manual_cancellation"
    again = await call(http, emu, "jobs/cancel", {"id": job_id})
    assert again.status == 500
    assert again.json["message"] == "Internal Server Error: Could not find job with id: -1"
    assert again.json["exceptionClassName"] == "java.lang.RuntimeException"
    read = await call(http, emu, "jobs/get", {"id": job_id})
    assert read.json["job"]["status"] == "cancelled"
    assert (await sync(http, emu, cid))["job"]["id"] == job_id + 1


async def test_cancelling_a_pending_job_leaves_no_attempt(
    airbyte_emulator_factory: Factory, http: aiohttp.ClientSession
) -> None:
    """A job cancelled before it ran (a reset's cancel: the workflow's ``resetConnection``
    signal cancels a job not yet running too, unlike ``cancelJob``) has no attempts."""
    emu = await airbyte_emulator_factory(airbyte_version="head", connections=1, pending_duration=30)
    cid = emu.connection_ids[0]
    job_id = await waiting_job(http, emu, cid)
    assert (await call(http, emu, "connections/reset", {"connectionId": cid})).status == 200
    cancelled = (await call(http, emu, "jobs/get", {"id": job_id})).json
    assert cancelled["job"]["status"] == "cancelled"
    assert cancelled["attempts"] == []


async def test_reset_creates_a_reset_job(
    airbyte_emulator_factory: Factory, http: aiohttp.ClientSession
) -> None:
    """connections/reset creates a reset_connection job naming the streams it resets."""
    emu = await airbyte_emulator_factory(connections=1)
    info = (
        await call(http, emu, "connections/reset", {"connectionId": emu.connection_ids[0]})
    ).json
    assert info["job"]["configType"] == "reset_connection"
    assert [s["name"] for s in info["job"]["resetConfig"]["streamsToReset"]] == [
        "customers",
        "orders",
        "products",
    ]


async def test_a_reset_while_a_commit_lag_hides_a_syncs_end_waits_and_is_no_409(
    airbyte_emulator_factory: Factory, http: aiohttp.ClientSession
) -> None:
    """A reset is never refused (``TemporalClient.resetConnection`` checks for no running job;
    it waits for the workflow's next job id): one sent while the end of the connection's sync
    is not yet read (a commit lag) answers with a new reset job, made once the end is read."""
    emu = await airbyte_emulator_factory(
        connections=1, sync_duration=(0.2, 0.2), commit_lag=1.5, trigger_latency=0.05
    )
    (cid,) = emu.connection_ids
    sync_id = (await sync(http, emu, cid))["job"]["id"]
    await anyio.sleep(0.6)  # the sync ended, its end not yet read
    assert emu.job_status(sync_id) == "running"

    answer = await call(http, emu, "connections/reset", {"connectionId": cid})

    assert answer.status == 200
    assert answer.json["job"]["configType"] == "reset_connection"
    assert answer.json["job"]["id"] == sync_id + 1
    assert emu.job_status(sync_id) == "succeeded"


async def test_two_resets_at_once_are_answered_with_one_reset_job(
    airbyte_emulator_factory: Factory, http: aiohttp.ClientSession
) -> None:
    """Two resets of one connection at once both signal its workflow and both wait for its
    next job id (``TemporalClient.resetConnection``): both are answered with the one reset
    job, neither with a 409."""
    emu = await airbyte_emulator_factory(connections=1, trigger_latency=0.4)
    (cid,) = emu.connection_ids
    answers: list[emulator_support.Answer] = []

    async def reset() -> None:
        answers.append(await call(http, emu, "connections/reset", {"connectionId": cid}))

    async with anyio.create_task_group() as tg:
        tg.start_soon(reset)
        tg.start_soon(reset)

    assert [a.status for a in answers] == [200, 200]
    assert {a.json["job"]["id"] for a in answers} == {1}
    assert emu.stats().jobs_by_connection[cid] == [1]


async def test_clear_creates_a_reset_job_and_a_sync_meanwhile_is_refused(
    airbyte_emulator_factory: Factory, http: aiohttp.ClientSession
) -> None:
    """Head's connections/clear (API-FACTS 2.5) is a reset: its handler is the reset's and the
    job it creates a ``reset_connection`` (``DefaultJobCreator.createResetConnectionJob``; no
    code creates the ``clear`` JobConfigType of API-FACTS 3), naming the streams it clears;
    a sync while it runs is a 409, as while any job of the connection runs (6.3)."""
    emu = await airbyte_emulator_factory(
        airbyte_version="head", connections=1, sync_duration=(60, 60), trigger_latency=0.0
    )
    (cid,) = emu.connection_ids
    info = (await call(http, emu, "connections/clear", {"connectionId": cid})).json
    refused = await call(http, emu, "connections/sync", {"connectionId": cid})

    assert info["job"]["configType"] == "reset_connection"
    assert [s["name"] for s in info["job"]["resetConfig"]["streamsToReset"]] == [
        "customers",
        "orders",
        "products",
    ]
    assert refused.status == 409


async def test_sync_progress_grows_while_the_job_runs(
    airbyte_emulator_factory: Factory, http: aiohttp.ClientSession
) -> None:
    """sync_progress reports counters for the running job that grow over time."""
    clock = ManualClock()
    emu = await airbyte_emulator_factory(airbyte_version="head", connections=1, clock=clock)
    cid = emu.connection_ids[0]
    emu.set_sync_plan(cid, duration=2.0)
    job_id = (await sync(http, emu, cid))["job"]["id"]
    clock.advance(0.5)
    first = (await call(http, emu, "connections/sync_progress", {"connectionId": cid})).json
    clock.advance(0.5)
    second = (await call(http, emu, "connections/sync_progress", {"connectionId": cid})).json
    assert first["jobId"] == second["jobId"] == job_id
    assert 0 < first["recordsEmitted"] < second["recordsEmitted"]
    assert len(second["streams"]) == 3


async def test_jobs_get_has_no_aggregated_stats_but_lists_do(
    airbyte_emulator_factory: Factory, http: aiohttp.ClientSession
) -> None:
    """aggregatedStats and bytesCommitted come from lists (0.50+), not from jobs/get."""
    emu = await airbyte_emulator_factory(connections=1, sync_duration=(0, 0))
    cid = emu.connection_ids[0]
    job_id = (await sync(http, emu, cid))["job"]["id"]
    await wait_terminal(http, emu, job_id)
    got = (await call(http, emu, "jobs/get", {"id": job_id})).json
    assert "aggregatedStats" not in got["job"]
    assert "bytesCommitted" not in got["attempts"][0]["attempt"]["totalStats"]
    listed = (await call(http, emu, "jobs/list", {"configTypes": ["sync"], "configId": cid})).json
    [entry] = listed["jobs"]
    assert (
        entry["job"]["aggregatedStats"]["recordsCommitted"] == entry["attempts"][0]["recordsSynced"]
    )
    assert "bytesCommitted" in entry["attempts"][0]["totalStats"]


async def test_old_versions_lack_newer_routes_and_fields(
    airbyte_emulator_factory: Factory, http: aiohttp.ClientSession
) -> None:
    """0.40 has no list_for_workspaces and no aggregatedStats, and requires configId (400)."""
    emu = await airbyte_emulator_factory(
        airbyte_version="0.40", connections=1, sync_duration=(0, 0)
    )
    cid = emu.connection_ids[0]
    await sync(http, emu, cid)
    assert (
        await call(http, emu, "jobs/list_for_workspaces", {"configTypes": ["sync"]})
    ).status == 404
    assert (await call(http, emu, "jobs/list", {"configTypes": ["sync"]})).status == 400
    listed = (await call(http, emu, "jobs/list", {"configTypes": ["sync"], "configId": cid})).json
    assert "aggregatedStats" not in listed["jobs"][0]["job"]


async def test_jobs_list_filters_orders_and_pages(
    airbyte_emulator_factory: Factory, http: aiohttp.ClientSession
) -> None:
    """jobs/list: newest first, page size and offset, statuses, dates, order and config types."""
    emu = await airbyte_emulator_factory(connections=5, sync_duration=(0, 0))
    ids = emu.connection_ids
    for cid in ids[:4]:
        await sync(http, emu, cid)
    emu.set_sync_plan(ids[4], duration=30)
    running = (await sync(http, emu, ids[4]))["job"]["id"]

    async def listed(**body: Any) -> dict[str, Any]:
        answer = await call(http, emu, "jobs/list", {"configTypes": ["sync"], **body})
        assert answer.status == 200, answer.text
        result: dict[str, Any] = answer.json
        return result

    everything = await listed()
    assert [j["job"]["id"] for j in everything["jobs"]] == [5, 4, 3, 2, 1]
    assert everything["totalJobCount"] == 5
    page = await listed(pagination={"pageSize": 2, "rowOffset": 1})
    assert [j["job"]["id"] for j in page["jobs"]] == [4, 3]
    assert page["totalJobCount"] == 5
    ascending = await listed(orderByMethod="ASC")  # no field: the default order
    assert [j["job"]["id"] for j in ascending["jobs"]] == [5, 4, 3, 2, 1]
    only_running = await listed(statuses=["running"])
    assert [j["job"]["id"] for j in only_running["jobs"]] == [running]
    assert (await listed(createdAtStart=iso(9_999_999_999)))["totalJobCount"] == 0
    assert (await listed(updatedAtEnd=iso(0)))["totalJobCount"] == 0
    assert (await listed(updatedAtStart=iso(0)))["totalJobCount"] == 5
    by_connection = await listed(configId=ids[2])
    assert [j["job"]["configId"] for j in by_connection["jobs"]] == [ids[2]]
    resets = await call(http, emu, "jobs/list", {"configTypes": ["reset_connection"]})
    assert resets.json["totalJobCount"] == 0
    bad_date = await call(
        http, emu, "jobs/list", {"configTypes": ["sync"], "createdAtStart": "yesterday"}
    )
    assert bad_date.status == 422


async def test_jobs_list_on_0_40_ignores_filters_and_order(
    airbyte_emulator_factory: Factory, http: aiohttp.ClientSession
) -> None:
    """0.40's jobs/list has no statuses, dates or order (API-FACTS 4 and 8): all jobs, newest
    first, whatever of them a body carries (Jackson drops unknown fields)."""
    emu = await airbyte_emulator_factory(airbyte_version="0.40", connections=1)
    cid = emu.connection_ids[0]
    for _ in range(3):
        await wait_terminal(http, emu, (await sync(http, emu, cid))["job"]["id"])
    body = {
        "configTypes": ["sync"],
        "configId": cid,
        "statuses": ["failed"],
        "createdAtStart": iso(9_999_999_999),
        "orderByField": "createdAt",
        "orderByMethod": "ASC",
    }

    answer = await call(http, emu, "jobs/list", body)

    assert [j["job"]["id"] for j in answer.json["jobs"]] == [3, 2, 1]
    assert answer.json["totalJobCount"] == 3


async def test_list_for_workspaces_polls_by_update_time(
    airbyte_emulator_factory: Factory, http: aiohttp.ClientSession
) -> None:
    """Polling with updatedAtStart returns only jobs that changed since, per workspace."""
    clock = ManualClock()
    emu = await airbyte_emulator_factory(
        connections=4, workspaces=2, sync_duration=(0, 0), clock=clock
    )
    for cid in emu.connection_ids:
        await sync(http, emu, cid)
    clock.advance(1)
    mark = iso(clock.now)
    clock.advance(1)
    emu.set_sync_plan(emu.connection_ids[0], duration=30)
    fresh = (await sync(http, emu, emu.connection_ids[0]))["job"]["id"]
    every = list(emu.workspace_ids)
    body = {"configTypes": ["sync"], "workspaceIds": every, "updatedAtStart": mark}
    changed = (await call(http, emu, "jobs/list_for_workspaces", body)).json
    assert [j["job"]["id"] for j in changed["jobs"]] == [fresh]
    first_ws = {"configTypes": ["sync"], "workspaceIds": [emu.workspace_ids[0]]}
    in_first = (await call(http, emu, "jobs/list_for_workspaces", first_ws)).json
    assert in_first["totalJobCount"] == 3


async def test_list_for_workspaces_needs_its_workspaces(
    airbyte_emulator_factory: Factory, http: aiohttp.ClientSession
) -> None:
    """
    ``jobs/list_for_workspaces`` without ``workspaceIds`` is a 500, and with none matches
    nothing: ``JobHistoryHandler.listJobsForWorkspaces`` hands the list to ``listJobsLight``,
    which filters ``ACTOR.WORKSPACE_ID.in(workspaceIds)`` (airbytehq/airbyte-platform).
    """
    emu = await airbyte_emulator_factory(connections=1, sync_duration=(0, 0))
    await sync(http, emu, emu.connection_ids[0])

    absent = await call(http, emu, "jobs/list_for_workspaces", {"configTypes": ["sync"]})
    empty = {"configTypes": ["sync"], "workspaceIds": []}
    none = (await call(http, emu, "jobs/list_for_workspaces", empty)).json

    assert absent.status == 500
    assert none["jobs"] == []


async def test_last_replication_job_skips_cancelled_ones(
    airbyte_emulator_factory: Factory, http: aiohttp.ClientSession
) -> None:
    """get_last_replication_job returns the newest job that was not cancelled, or {}."""
    emu = await airbyte_emulator_factory(connections=1, sync_duration=(0, 0))
    cid = emu.connection_ids[0]
    assert (
        await call(http, emu, "jobs/get_last_replication_job", {"connectionId": cid})
    ).json == {}
    done = (await sync(http, emu, cid))["job"]["id"]
    await wait_terminal(http, emu, done)
    emu.set_sync_plan(cid, duration=30)
    later = (await sync(http, emu, cid))["job"]["id"]
    await call(http, emu, "jobs/cancel", {"id": later})
    last = (await call(http, emu, "jobs/get_last_replication_job", {"connectionId": cid})).json
    assert last["job"]["id"] == done


# -- ground truth ----------------------------------------------------------------------------


async def test_ground_truth_counts_the_connections_a_client_opened(
    airbyte_emulator_factory: Factory,
) -> None:
    """
    Stats count the TCP connections the server accepted: three triggers in flight at once
    open three, three requests after them reuse those, and after a reset of the stats a new
    client's request counts one.
    """
    emu = await airbyte_emulator_factory(connections=3, trigger_latency=0.1)
    async with aiohttp.ClientSession() as http:
        async with anyio.create_task_group() as tg:
            for cid in emu.connection_ids:
                tg.start_soon(sync, http, emu, cid)
        opened = emu.stats().connections_opened
        async with anyio.create_task_group() as tg:
            for _ in range(3):
                tg.start_soon(partial(call, http, emu, "health", method="GET"))
        reused = emu.stats().connections_opened
    emu.reset_stats()
    async with aiohttp.ClientSession() as fresh:
        await call(fresh, emu, "health", method="GET")

    assert (opened, reused, emu.stats().connections_opened) == (3, 3, 1)


async def test_ground_truth_counts_jobs_concurrency_and_requests(
    airbyte_emulator_factory: Factory, http: aiohttp.ClientSession
) -> None:
    """Stats give jobs per connection, exact peak of concurrent jobs, in-flight peaks, routes."""
    emu = await airbyte_emulator_factory(connections=4, trigger_latency=0.1)
    for cid in emu.connection_ids:
        emu.set_sync_plan(cid, duration=5)
    async with anyio.create_task_group() as tg:
        for cid in emu.connection_ids[:3]:
            tg.start_soon(sync, http, emu, cid)
    stats = emu.stats()
    assert stats.max_concurrent_jobs == 3
    assert stats.max_in_flight_syncs == 3
    assert stats.max_in_flight_requests >= 3
    assert stats.requests_by_route == {"/v1/connections/sync": 3}
    assert sorted(stats.jobs_by_connection) == sorted(emu.connection_ids[:3])
    assert all(len(v) == 1 for v in stats.jobs_by_connection.values())
    async with http.get(emu.url + "/_emulator/stats") as response:
        served = await response.json()
    assert served["jobs_created"] == 3
    assert served["max_concurrent_jobs"] == 3
    async with http.post(emu.url + "/_emulator/reset_stats") as response:
        assert response.status == 204
    after = emu.stats()
    assert after.total_requests == 0
    assert after.jobs_created == 0
    assert after.max_concurrent_jobs == 3  # the three jobs are still running


async def test_peak_concurrency_is_exact_for_sequential_jobs(
    airbyte_emulator_factory: Factory, http: aiohttp.ClientSession
) -> None:
    """Jobs that never overlap give a peak of one."""
    emu = await airbyte_emulator_factory(connections=3, sync_duration=(0, 0))
    for cid in emu.connection_ids:
        job_id = (await sync(http, emu, cid))["job"]["id"]
        await wait_terminal(http, emu, job_id)
    stats = emu.stats()
    assert stats.max_concurrent_jobs == 1
    assert set(stats.job_statuses.values()) == {"succeeded"}


async def test_recorded_requests_keep_method_route_and_body(
    airbyte_emulator_factory: Factory, http: aiohttp.ClientSession
) -> None:
    """With record_requests, each request is kept as (method, route, body, had_body)."""
    emu = await airbyte_emulator_factory(record_requests=True)
    await call(http, emu, "health", method="GET")
    await call(http, emu, "source_definitions/list")
    await call(http, emu, "workspaces/get", {"workspaceId": emu.workspace_ids[0]})
    assert [tuple(r) for r in emu.requests] == [
        ("GET", "/v1/health", None, False),
        ("POST", "/v1/source_definitions/list", None, False),
        ("POST", "/v1/workspaces/get", {"workspaceId": emu.workspace_ids[0]}, True),
    ]


# -- sources, destinations, connections -------------------------------------------------------


def test_masked_secrets_keep_their_stored_values() -> None:
    """Sending the mask back keeps the stored secret; new values replace it."""
    stored = {"host": "db", "password": "hunter2", "tunnel": {"key": "k1"}}
    paths = (("password",), ("tunnel", "key"))
    masked = mask_secrets(stored, paths)
    assert masked == {"host": "db", "password": SECRET_MASK, "tunnel": {"key": SECRET_MASK}}
    assert merge_masked(masked, stored, paths) == stored
    assert merge_masked({**masked, "password": "new"}, stored, paths)["password"] == "new"


def test_secret_paths_follow_the_platforms_traversal() -> None:
    """
    The paths of flagged fields as airbyte-platform's ``JsonSchemas.traverseJsonSchema`` walks
    a spec (``JsonSecretsProcessor.maskAllSecrets``): properties, each option of a ``oneOf``
    at its object's own path, list items as None; the key ``airbyte_secret`` counts whatever
    its value.
    """
    schema = {
        "type": "object",
        "properties": {
            "token": {"type": "string", "airbyte_secret": True},
            "auth": {
                "type": "object",
                "oneOf": [
                    {"properties": {"key": {"type": "string", "airbyte_secret": True}}},
                    {"properties": {"user": {"type": "string"}}},
                ],
            },
            "keys": {
                "type": "array",
                "items": {"properties": {"value": {"type": "string", "airbyte_secret": False}}},
            },
        },
    }

    assert secret_paths(schema) == (("token",), ("auth", "key"), ("keys", None, "value"))
    assert mask_secrets({"keys": [{"value": "a"}, {"other": "b"}]}, secret_paths(schema)) == {
        "keys": [{"value": SECRET_MASK}, {"other": "b"}]
    }


def _tunnelled(tunnel: dict[str, Any], emu: Emulator) -> dict[str, Any]:
    """A sources/create body: PG through *tunnel*."""
    return {
        "workspaceId": emu.workspace_ids[0],
        "name": "pg",
        "sourceDefinitionId": "decd338e-5647-4c0b-adf4-da0e75f5a750",
        "connectionConfiguration": {**PG, "tunnel_method": tunnel},
    }


SSH_KEY = {
    "tunnel_method": "SSH_KEY_AUTH",
    "tunnel_host": "bastion.example.com",
    "tunnel_port": 22,
    "tunnel_user": "airbyte",
    "ssh_key": "-----BEGIN RSA PRIVATE KEY-----PRIVATE",
}


SSH_PASSWORD = {
    "tunnel_method": "SSH_PASSWORD_AUTH",
    "tunnel_host": "bastion.example.com",
    "tunnel_port": 22,
    "tunnel_user": "airbyte",
    "tunnel_user_password": "jump-password",
}


@pytest.mark.parametrize(
    ("tunnel", "secret"), [(SSH_KEY, "ssh_key"), (SSH_PASSWORD, "tunnel_user_password")]
)
async def test_an_ssh_tunnels_key_or_password_is_read_back_masked(
    airbyte_emulator_factory: Factory,
    http: aiohttp.ClientSession,
    tunnel: dict[str, Any],
    secret: str,
) -> None:
    """
    Postgres's SSH tunnel, as the connector's specification has it (airbytehq/airbyte
    source-postgres ``src/test-integration/resources/expected_spec.json``: ``tunnel_method``,
    a oneOf whose ``ssh_key`` and ``tunnel_user_password`` are ``airbyte_secret``): the key or
    password is stored and read back masked, the rest of the tunnel in clear.
    """
    emu = await airbyte_emulator_factory()

    created = await call(http, emu, "sources/create", _tunnelled(tunnel, emu))
    read = await call(http, emu, "sources/get", {"sourceId": created.json["sourceId"]})

    for answer in (created, read):
        assert answer.json["connectionConfiguration"]["tunnel_method"] == {
            **tunnel,
            secret: SECRET_MASK,
        }
    assert emu.stored_configuration(created.json["sourceId"])["tunnel_method"] == tunnel


async def test_a_key_named_like_a_secret_elsewhere_is_read_in_clear(
    airbyte_emulator_factory: Factory, http: aiohttp.ClientSession
) -> None:
    """
    Airbyte masks the paths its specification flags, not every key of a flagged name
    (airbyte-platform ``JsonSecretsProcessor.maskAllSecrets``: ``airbyte_secret`` paths,
    ``JsonPaths.replaceAtString``): a ``password`` in an object Postgres's specification does
    not describe is read back as sent.
    """
    emu = await airbyte_emulator_factory()
    body = {
        "workspaceId": emu.workspace_ids[0],
        "name": "pg",
        "sourceDefinitionId": "decd338e-5647-4c0b-adf4-da0e75f5a750",
        "connectionConfiguration": {**PG, "options": {"password": "not-flagged"}},
    }

    created = await call(http, emu, "sources/create", body)

    configuration = created.json["connectionConfiguration"]
    assert (configuration["password"], configuration["options"]) == (
        SECRET_MASK,
        {"password": "not-flagged"},
    )


async def test_an_update_takes_the_stored_secret_only_for_a_flagged_field(
    airbyte_emulator_factory: Factory, http: aiohttp.ClientSession
) -> None:
    """
    The mask sent back in a flagged field (the tunnel's ``ssh_key``) keeps the stored key; the
    mask sent in a field the specification does not flag is stored as sent (airbyte-platform
    ``JsonSecretsProcessor.copySecrets`` copies only ``airbyte_secret`` fields).
    """
    emu = await airbyte_emulator_factory()
    body = _tunnelled(SSH_KEY, emu)
    body["connectionConfiguration"]["options"] = {"password": "not-flagged"}
    created = await call(http, emu, "sources/create", body)
    source_id = created.json["sourceId"]
    read = created.json["connectionConfiguration"]

    update = {"sourceId": source_id, "name": "pg", "connectionConfiguration": read}
    await call(http, emu, "sources/update", {**update})
    after_read = emu.stored_configuration(source_id)
    sent = {**read, "options": {"password": SECRET_MASK}}
    await call(http, emu, "sources/update", {**update, "connectionConfiguration": sent})

    assert after_read["tunnel_method"]["ssh_key"] == SSH_KEY["ssh_key"]
    stored = emu.stored_configuration(source_id)
    assert stored["tunnel_method"]["ssh_key"] == SSH_KEY["ssh_key"]
    assert stored["options"] == {"password": SECRET_MASK}


async def test_configuration_errors_name_keys_not_values(
    airbyte_emulator_factory: Factory, http: aiohttp.ClientSession
) -> None:
    """A configuration missing required keys is a 422 that never echoes a secret."""
    emu = await airbyte_emulator_factory()
    pg_def = "decd338e-5647-4c0b-adf4-da0e75f5a750"
    body = {
        "workspaceId": emu.workspace_ids[0],
        "name": "pg",
        "sourceDefinitionId": pg_def,
        "connectionConfiguration": {"password": "hunter2", "port": "5432"},
    }
    answer = await call(http, emu, "sources/create", body)
    assert answer.status == 422
    message = answer.json["message"]
    assert message.startswith("The provided configuration does not fulfill the specification.")
    assert "'host'" in message
    assert "$.port: string found, integer expected" in message
    assert "hunter2" not in answer.text


async def test_an_integral_number_passes_as_an_integer_under_draft_7(
    airbyte_emulator_factory: Factory, http: aiohttp.ClientSession
) -> None:
    """
    ``port: 5432.0`` fits Postgres's ``type: integer`` (its specification says draft 7), as
    Airbyte's validator takes it: networknt 1.4.0 ``JsonNodeUtil.equalsToSchemaType`` counts a
    number that ``canConvertToExactIntegral`` an integer from draft 6 on (airbyte-platform
    ``JsonSchemaValidator.getSchemaValidator`` picks the dialect from ``$schema``).
    """
    emu = await airbyte_emulator_factory()
    body = {
        "workspaceId": emu.workspace_ids[0],
        "name": "pg",
        "sourceDefinitionId": "decd338e-5647-4c0b-adf4-da0e75f5a750",
        "connectionConfiguration": {**PG, "port": 5432.0},
    }

    answer = await call(http, emu, "sources/create", body)

    assert answer.status == 200


async def test_update_with_the_mask_keeps_the_secret(
    airbyte_emulator_factory: Factory, http: aiohttp.ClientSession
) -> None:
    """A read configuration sent back in an update is accepted and stays masked."""
    emu = await airbyte_emulator_factory()
    pg_def = "decd338e-5647-4c0b-adf4-da0e75f5a750"
    created = await call(
        http,
        emu,
        "sources/create",
        {
            "workspaceId": emu.workspace_ids[0],
            "name": "pg",
            "sourceDefinitionId": pg_def,
            "connectionConfiguration": PG,
        },
    )
    assert created.status == 200
    assert "hunter2" not in created.text
    config = created.json["connectionConfiguration"]
    assert config["password"] == SECRET_MASK
    assert config["host"] == "db"
    update = {
        "sourceId": created.json["sourceId"],
        "name": "pg2",
        "connectionConfiguration": config,
    }
    updated = await call(http, emu, "sources/update", update)
    assert updated.status == 200
    assert updated.json["name"] == "pg2"
    assert updated.json["connectionConfiguration"]["password"] == SECRET_MASK


async def test_check_and_discover_fail_for_an_unresolvable_host(
    airbyte_emulator_factory: Factory, http: aiohttp.ClientSession
) -> None:
    """A host ending in .invalid fails check_connection and discover_schema; others succeed."""
    emu = await airbyte_emulator_factory()
    wid = emu.workspace_ids[0]
    pg_def = "decd338e-5647-4c0b-adf4-da0e75f5a750"
    ids = []
    for host in ("db", "unreachable.invalid"):
        body = {
            "workspaceId": wid,
            "name": host,
            "sourceDefinitionId": pg_def,
            "connectionConfiguration": {**PG, "host": host},
        }
        ids.append((await call(http, emu, "sources/create", body)).json["sourceId"])
    good = (await call(http, emu, "sources/check_connection", {"sourceId": ids[0]})).json
    bad = (await call(http, emu, "sources/check_connection", {"sourceId": ids[1]})).json
    assert good["status"] == "succeeded"
    assert good["jobInfo"]["succeeded"] is True
    assert bad["status"] == "failed"
    assert "unreachable.invalid" in bad["message"]
    assert "hunter2" not in bad["message"]
    discovered = (await call(http, emu, "sources/discover_schema", {"sourceId": ids[0]})).json
    streams = {s["stream"]["name"]: s["stream"] for s in discovered["catalog"]["streams"]}
    assert sorted(streams) == ["customers", "orders", "products"]
    for stream in streams.values():
        assert {"id", "updated_at"} <= set(stream["jsonSchema"]["properties"])
        assert stream["supportedSyncModes"] == ["full_refresh", "incremental"]
        assert stream["sourceDefinedPrimaryKey"] == [["id"]]
        assert stream["defaultCursorField"] == []
    failed = (await call(http, emu, "sources/discover_schema", {"sourceId": ids[1]})).json
    assert "catalog" not in failed
    assert failed["jobInfo"]["succeeded"] is False


async def test_a_failed_discovery_is_the_sources_failure(
    airbyte_emulator_factory: Factory, http: aiohttp.ClientSession
) -> None:
    """A failed discover_schema's failureReason names the source as its origin, never the
    destination: discovery runs the source alone (airbyte-platform
    ``airbyte-workers/.../commands/DiscoverCommand.kt`` labels the workload ActorType.SOURCE;
    ``.../sync/WorkloadClient.kt`` gives a failed workload terminated by "source" the origin
    SOURCE)."""
    emu = await airbyte_emulator_factory(airbyte_version="head")
    body = {
        "workspaceId": emu.workspace_ids[0],
        "name": "bad",
        "sourceDefinitionId": "decd338e-5647-4c0b-adf4-da0e75f5a750",
        "connectionConfiguration": {**PG, "host": "unreachable.invalid"},
    }
    source_id = (await call(http, emu, "sources/create", body)).json["sourceId"]
    failed = (await call(http, emu, "sources/discover_schema", {"sourceId": source_id})).json

    assert failed["jobInfo"]["failureReason"]["failureOrigin"] == "source"


async def test_definitions_include_ambiguous_names(
    airbyte_emulator_factory: Factory, http: aiohttp.ClientSession
) -> None:
    """Destination definitions include both S3 and S3 Glue, and Postgres exists on both sides."""
    emu = await airbyte_emulator_factory()
    dests = (await call(http, emu, "destination_definitions/list")).json["destinationDefinitions"]
    sources = (await call(http, emu, "source_definitions/list")).json["sourceDefinitions"]
    dest_names = {d["name"] for d in dests}
    assert {"S3", "S3 Glue", "Postgres", "BigQuery", "Local JSON"} <= dest_names
    assert {"Postgres", "MySQL", "File (CSV, JSON, Excel, Feather, Parquet)"} <= {
        s["name"] for s in sources
    }


async def test_a_source_definition_id_is_not_a_destination_definition(
    airbyte_emulator_factory: Factory, http: aiohttp.ClientSession
) -> None:
    """Creating a destination with a source definition's id is a 404, as on the real server."""
    emu = await airbyte_emulator_factory()
    pg_source_def = "decd338e-5647-4c0b-adf4-da0e75f5a750"
    body = {
        "workspaceId": emu.workspace_ids[0],
        "name": "d",
        "destinationDefinitionId": pg_source_def,
        "connectionConfiguration": {},
    }
    answer = await call(http, emu, "destinations/create", body)
    assert answer.status == 404
    assert "STANDARD_DESTINATION_DEFINITION" in answer.json["message"]


async def test_connection_schedules_follow_the_server_rules(
    airbyte_emulator_factory: Factory, http: aiohttp.ClientSession
) -> None:
    """Legacy schedule alone becomes basic; with scheduleType it is a 422; on update a 500."""
    emu = await airbyte_emulator_factory(connections=1)
    first = (await call(http, emu, "connections/get", {"connectionId": emu.connection_ids[0]})).json
    base = {
        "sourceId": first["sourceId"],
        "destinationId": first["destinationId"],
        "status": "active",
    }
    legacy = {"units": 24, "timeUnit": "hours"}
    created = (await call(http, emu, "connections/create", {**base, "schedule": legacy})).json
    assert created["scheduleType"] == "basic"
    assert created["scheduleData"] == {"basicSchedule": {"timeUnit": "hours", "units": 24}}
    assert created["syncCatalog"] == {"streams": []}
    both = await call(
        http, emu, "connections/create", {**base, "schedule": legacy, "scheduleType": "manual"}
    )
    assert both.status == 422
    assert both.json["message"] == "supply old or new schedule schema but not both"
    update = {"connectionId": created["connectionId"], "schedule": legacy}
    refused = await call(http, emu, "connections/update", update)
    assert refused.status == 500
    assert "'schedule' is no longer supported" in refused.json["message"]
    no_data = await call(http, emu, "connections/create", {**base, "scheduleType": "cron"})
    assert no_data.status == 422


async def test_deleting_a_connection_deprecates_it(
    airbyte_emulator_factory: Factory, http: aiohttp.ClientSession
) -> None:
    """A deleted connection reads as deprecated and is only in list_all (API-FACTS 5: deleting
    a connection sets it to ``deprecated``; 2.5: ``connections/list`` "does not return deleted
    connections")."""
    emu = await airbyte_emulator_factory(connections=2)
    cid = emu.connection_ids[0]
    assert (await call(http, emu, "connections/delete", {"connectionId": cid})).status == 204
    assert (await call(http, emu, "connections/get", {"connectionId": cid})).json[
        "status"
    ] == "deprecated"
    wid = emu.workspace_ids[0]
    listed = (await call(http, emu, "connections/list", {"workspaceId": wid})).json["connections"]
    every = (await call(http, emu, "connections/list_all", {"workspaceId": wid})).json[
        "connections"
    ]
    assert cid not in [c["connectionId"] for c in listed]
    assert cid in [c["connectionId"] for c in every]
    assert (await call(http, emu, "connections/sync", {"connectionId": cid})).status == 500


async def test_workspace_routes_differ_by_version(
    airbyte_emulator_factory: Factory, http: aiohttp.ClientSession
) -> None:
    """workspaces/list is gone on head, where workspaces need an organization."""
    old = await airbyte_emulator_factory(airbyte_version="0.50", workspaces=2)
    assert len((await call(http, old, "workspaces/list")).json["workspaces"]) == 2
    head = await airbyte_emulator_factory(airbyte_version="head", workspaces=3)
    assert (await call(http, head, "workspaces/list")).status == 404
    assert (await call(http, head, "workspaces/create", {"name": "x"})).status == 400
    made = await call(http, head, "workspaces/create", {"name": "x", "organizationId": DEFAULT_ORG})
    assert made.json["organizationId"] == DEFAULT_ORG
    paged = await call(
        http,
        head,
        "workspaces/list_by_organization_id",
        {"organizationId": DEFAULT_ORG, "pagination": {"pageSize": 2, "rowOffset": 2}},
    )
    assert len(paged.json["workspaces"]) == 2
    config = await call(http, head, "instance_configuration", method="GET")
    assert config.json["defaultOrganizationId"] == DEFAULT_ORG
    assert config.json["defaultWorkspaceId"] == head.workspace_ids[0]


async def test_head_lists_sources_by_cursor(
    airbyte_emulator_factory: Factory, http: aiohttp.ClientSession
) -> None:
    """On head, sources/list pages by cursor (the last id seen), sorted by name."""
    emu = await airbyte_emulator_factory(airbyte_version="head", connections=5)
    wid = emu.workspace_ids[0]
    names: list[str] = []
    cursor = None
    while True:
        body: dict[str, Any] = {"workspaceId": wid, "pageSize": 2}
        if cursor:
            body["cursor"] = cursor
        page = (await call(http, emu, "sources/list", body)).json
        assert page["page_size"] == 2
        assert page["num_connections"] == 5
        names += [s["name"] for s in page["sources"]]
        if len(page["sources"]) < 2:
            break
        cursor = page["sources"][-1]["sourceId"]
    assert names == [f"src-{i:05d}" for i in range(5)]
    desc = (
        await call(http, emu, "sources/list", {"workspaceId": wid, "sortKey": "actorName_desc"})
    ).json
    assert desc["sources"][0]["name"] == "src-00004"
    assert desc["sources"][0]["numConnections"] == 1
    assert desc["sources"][0]["status"] == "active"


async def test_unknown_routes_and_methods(
    airbyte_emulator_factory: Factory, http: aiohttp.ClientSession
) -> None:
    """
    An unknown route is a 404, a known route with the wrong method a 405, an unreadable body a
    422 and one without a required field a 400 (API-FACTS 6.2).
    """
    emu = await airbyte_emulator_factory()
    assert (await call(http, emu, "nothing/here", {})).status == 404
    wrong = await call(http, emu, "jobs/get", method="GET")
    assert wrong.status == 405
    assert wrong.headers["Allow"] == "POST"
    async with http.post(emu.api_url + "/jobs/get", data=b"{oops") as response:
        assert response.status == 422
    missing = await call(http, emu, "jobs/get", {})
    assert missing.status == 400
    assert missing.json["validationErrors"][0]["propertyPath"] == "$.id"
    wrong_type = await call(http, emu, "jobs/get", {"id": "seven"})
    assert wrong_type.status == 422
    bad_enum = await call(http, emu, "jobs/list", {"configTypes": ["nope"]})
    assert bad_enum.status == 422


# -- auth ------------------------------------------------------------------------------------


async def test_basic_auth_is_required_on_every_route(
    airbyte_emulator_factory: Factory, http: aiohttp.ClientSession
) -> None:
    """Without the right basic credentials the proxy answers 401, on health and the token
    route too: docker-compose's nginx has ``auth_basic`` on ``location /`` with no exception
    (airbyte-proxy/nginx-auth.conf.template; API-FACTS 0)."""
    emu = await airbyte_emulator_factory(auth=RequireBasic("airbyte", "password"))
    denied = await call(http, emu, "workspaces/list")
    assert denied.status == 401
    assert denied.headers["WWW-Authenticate"].startswith("Basic")
    wrong = "Basic " + base64.b64encode(b"airbyte:nope").decode()
    assert (
        await call(http, emu, "workspaces/list", headers={"Authorization": wrong})
    ).status == 401
    right = "Basic " + base64.b64encode(b"airbyte:password").decode()
    assert (
        await call(http, emu, "workspaces/list", headers={"Authorization": right})
    ).status == 200
    assert (await call(http, emu, "health", method="GET")).status == 401
    token = {"client_id": "x", "client_secret": "y"}
    assert (await call(http, emu, "applications/token", token)).status == 401
    healthy = await call(http, emu, "health", method="GET", headers={"Authorization": right})
    assert healthy.status == 200


async def test_bearer_auth_checks_the_token(
    airbyte_emulator_factory: Factory, http: aiohttp.ClientSession
) -> None:
    """A fixed bearer token is required; the 401 does not echo what was sent."""
    emu = await airbyte_emulator_factory(auth=RequireBearer("tok"))
    denied = await call(http, emu, "workspaces/list", headers={"Authorization": "Bearer guess"})
    assert denied.status == 401
    assert "guess" not in denied.text
    ok = await call(http, emu, "workspaces/list", headers={"Authorization": "Bearer tok"})
    assert ok.status == 200


async def test_client_credentials_mint_tokens_that_expire(
    airbyte_emulator_factory: Factory, http: aiohttp.ClientSession
) -> None:
    """applications/token mints JWT-shaped tokens that work until they expire."""
    auth = RequireClientCredentials("app", "s3cret", token_lifetime=900)
    clock = ManualClock()
    emu = await airbyte_emulator_factory(auth=auth, clock=clock)
    minted = await call(
        http, emu, "applications/token", {"client_id": "app", "client_secret": "s3cret"}
    )
    token = minted.json["access_token"]
    header = {"Authorization": f"Bearer {token}"}
    assert (await call(http, emu, "workspaces/list", headers=header)).status == 200
    clock.advance(899)
    assert (await call(http, emu, "workspaces/list", headers=header)).status == 200
    clock.advance(2)
    assert (await call(http, emu, "workspaces/list", headers=header)).status == 401
    refused = await call(
        http, emu, "applications/token", {"client_id": "app", "client_secret": "x"}
    )
    assert refused.status == 400
    assert "x" not in refused.json["message"].split()
    assert emu.stats().tokens_minted == 1


async def test_the_stats_count_requests_accepted_with_an_older_token(
    airbyte_emulator_factory: Factory, http: aiohttp.ClientSession
) -> None:
    """A token stays valid until it expires though a newer one was minted, and the stats count
    the requests it carried after that: how a test sees a client use its token while renewing
    it. Airbyte's application tokens are stateless JWTs that nothing revokes when another is
    minted (``airbyte-data/.../impls/data/ApplicationServiceMicronautImpl.kt`` ``getToken``:
    ``JwtTokenGenerator.generateToken`` with an ``exp``, nothing stored)."""
    auth = RequireClientCredentials("app", "s3cret", token_lifetime=900)
    emu = await airbyte_emulator_factory(auth=auth)
    grant = {"client_id": "app", "client_secret": "s3cret"}
    first = (await call(http, emu, "applications/token", grant)).json["access_token"]
    old = {"Authorization": f"Bearer {first}"}
    assert (await call(http, emu, "workspaces/list", headers=old)).status == 200
    second = (await call(http, emu, "applications/token", grant)).json["access_token"]
    new = {"Authorization": f"Bearer {second}"}
    assert (await call(http, emu, "workspaces/list", headers=old)).status == 200
    assert (await call(http, emu, "workspaces/list", headers=new)).status == 200
    assert emu.stats().requests_on_older_tokens == 1


async def test_rejected_credentials_can_be_a_401(
    airbyte_emulator_factory: Factory, http: aiohttp.ClientSession
) -> None:
    """reject_status picks how the token route refuses bad credentials (Keycloak's 401)."""
    auth = RequireClientCredentials("app", "s3cret", reject_status=401)
    emu = await airbyte_emulator_factory(airbyte_version="head", auth=auth)
    refused = await call(
        http, emu, "applications/token", {"client_id": "app", "client_secret": "x"}
    )
    assert refused.status == 401
    assert set(refused.json) == {"errorId"}


@pytest.mark.parametrize("status", [400, 401, 500])
async def test_the_public_token_route_refuses_bad_credentials_as_the_config_api_s_does(
    airbyte_emulator_factory: Factory, http: aiohttp.ClientSession, status: int
) -> None:
    """
    The public token route refuses bad credentials with the status the Config API's route
    gives (400 simple auth, 401 Keycloak, 500 the database's unknown pair: API-FACTS 1.1): its
    controller calls the same ApplicationService.getToken and catches nothing
    (airbytehq/airbyte-platform @bbf78ce1 publicapi/controllers/ApplicationsController.kt
    ``publicGetAccessToken``), so the same exception handlers answer.
    """
    auth = RequireClientCredentials("app", "s3cret", reject_status=status)
    emu = await airbyte_emulator_factory(airbyte_version="head", auth=auth)
    wrong = {"client_id": "app", "client_secret": "x", "grant_type": "client_credentials"}
    config = await call(http, emu, "applications/token", wrong)
    async with http.post(emu.url + "/api/public/v1/applications/token", json=wrong) as response:
        public = response.status
    assert config.status == public == status


async def test_the_public_token_route_takes_a_form(
    airbyte_emulator_factory: Factory, http: aiohttp.ClientSession
) -> None:
    """Head's /api/public/v1/applications/token accepts a form body and says how long it lives."""
    auth = RequireClientCredentials("app", "s3cret", token_lifetime=60)
    emu = await airbyte_emulator_factory(airbyte_version="head", auth=auth)
    form = {"client_id": "app", "client_secret": "s3cret", "grant_type": "client_credentials"}
    async with http.post(emu.url + "/api/public/v1/applications/token", data=form) as response:
        answer = await response.json()
    assert answer["token_type"] == "Bearer"
    assert answer["expires_in"] == 60
    header = {"Authorization": f"Bearer {answer['access_token']}"}
    assert (
        await call(
            http,
            emu,
            "workspaces/list_by_organization_id",
            {"organizationId": DEFAULT_ORG},
            headers=header,
        )
    ).status == 200
    config = (await call(http, emu, "instance_configuration", method="GET")).json
    assert config["auth"]["mode"] == "simple"


async def test_head_logs_can_be_formatted_lines(
    airbyte_emulator_factory: Factory, http: aiohttp.ClientSession
) -> None:
    """With log_format="formatted", head attempts carry logLines with logType formatted."""
    emu = await airbyte_emulator_factory(
        airbyte_version="head", connections=1, log_format="formatted"
    )
    info = await sync(http, emu, emu.connection_ids[0])
    assert info["attempts"][0]["logType"] == "formatted"
    assert info["attempts"][0]["logs"]["logLines"]


async def test_job_plans_are_reproducible_for_a_seed(
    airbyte_emulator_factory: Factory, http: aiohttp.ClientSession
) -> None:
    """The same seed gives the same record counts and outcomes for the same triggers."""
    results = []
    for _ in range(2):
        emu = await airbyte_emulator_factory(
            connections=4, seed=11, failure_rate=0.5, sync_duration=(0, 0)
        )
        run = []
        for cid in emu.connection_ids:
            job_id = (await sync(http, emu, cid))["job"]["id"]
            await wait_terminal(http, emu, job_id)
            attempt = (await call(http, emu, "jobs/get", {"id": job_id})).json["attempts"][0]
            run.append((attempt["attempt"]["status"], attempt["attempt"]["recordsSynced"]))
        results.append(run)
    assert results[0] == results[1]


async def test_including_job_id_widens_the_page(
    airbyte_emulator_factory: Factory, http: aiohttp.ClientSession
) -> None:
    """
    includingJobId returns whole pages from the first, one more than the jobs created since
    that job fill, and nothing for a job it does not find (``DefaultJobPersistence.
    listJobsIncludingId``: ``(countIncludingJob / pagesize + 1) * pagesize``; spec: "an empty
    list if this job ... cannot be found").
    """
    emu = await airbyte_emulator_factory(connections=5, sync_duration=(0, 0))
    for cid in emu.connection_ids:
        await sync(http, emu, cid)

    async def listed(**body: Any) -> list[int]:
        answer = await call(http, emu, "jobs/list", {"configTypes": ["sync"], **body})
        return [j["job"]["id"] for j in answer.json["jobs"]]

    assert await listed(pagination={"pageSize": 2}, includingJobId=4) == [5, 4, 3, 2]
    assert await listed(pagination={"pageSize": 1}, includingJobId=2) == [5, 4, 3, 2, 1]
    assert await listed(pagination={"pageSize": 2}, includingJobId=99) == []


async def test_a_page_of_nothing_is_a_page_of_nothing(
    airbyte_emulator_factory: Factory, http: aiohttp.ClientSession
) -> None:
    """pageSize 0 is sent to the database as LIMIT 0 (only an absent size means 200), and a
    negative size fails there: 500 (``JobHistoryHandler``, API-FACTS 4)."""
    emu = await airbyte_emulator_factory(connections=2, sync_duration=(0, 0))
    for cid in emu.connection_ids:
        await sync(http, emu, cid)
    empty = {"configTypes": ["sync"], "pagination": {"pageSize": 0}}
    negative = {"configTypes": ["sync"], "pagination": {"pageSize": -1}}

    assert (await call(http, emu, "jobs/list", empty)).json["jobs"] == []
    assert (await call(http, emu, "jobs/list", negative)).status == 500


async def test_a_listing_after_a_change_shows_the_change(
    airbyte_emulator_factory: Factory, http: aiohttp.ClientSession
) -> None:
    """Listed connections are encoded once and reused, but an update shows in the next list."""
    emu = await airbyte_emulator_factory(connections=2)
    wid, cid = emu.workspace_ids[0], emu.connection_ids[0]
    first = (await call(http, emu, "connections/list", {"workspaceId": wid})).json
    update = {"connectionId": cid, "name": "renamed"}
    assert (await call(http, emu, "connections/update", update)).status == 200
    second = (await call(http, emu, "connections/list", {"workspaceId": wid})).json

    names = {c["connectionId"]: c["name"] for c in second["connections"]}
    assert names[cid] == "renamed"
    assert first["connections"][1] == second["connections"][1]


async def test_a_listed_connection_is_the_one_get_returns(
    airbyte_emulator_factory: Factory, http: aiohttp.ClientSession
) -> None:
    """Each listed connection, catalog included, equals what connections/get answers for it:
    ``connections/list`` answers a ``ConnectionReadList`` of the ``ConnectionRead`` that
    ``connections/get`` answers (API-FACTS 2.5), so connections.find takes its match from the
    listing."""
    emu = await airbyte_emulator_factory(connections=3, workspaces=1)
    listed = await call(http, emu, "connections/list", {"workspaceId": emu.workspace_ids[0]})
    for connection in listed.json["connections"]:
        body = {"connectionId": connection["connectionId"]}
        assert (await call(http, emu, "connections/get", body)).json == connection


async def test_a_changed_catalog_shows_in_the_next_listing(
    airbyte_emulator_factory: Factory, http: aiohttp.ClientSession
) -> None:
    """Connections share their catalog's encoding until one of them gets a catalog of its own."""
    emu = await airbyte_emulator_factory(connections=2, workspaces=1)
    wid, cid = emu.workspace_ids[0], emu.connection_ids[0]
    first = (await call(http, emu, "connections/list", {"workspaceId": wid})).json["connections"]
    catalog = first[0]["syncCatalog"]
    catalog["streams"] = catalog["streams"][:1]
    update = {"connectionId": cid, "syncCatalog": catalog}
    assert (await call(http, emu, "connections/update", update)).status == 200
    second = (await call(http, emu, "connections/list", {"workspaceId": wid})).json["connections"]

    by_id = {c["connectionId"]: c for c in second}
    assert len(by_id[cid]["syncCatalog"]["streams"]) == 1
    assert by_id[emu.connection_ids[1]]["syncCatalog"] == first[1]["syncCatalog"]
    assert len(first[1]["syncCatalog"]["streams"]) > 1


# -- the injectable clock --------------------------------------------------------------------


async def test_a_manual_clock_drives_triggers_and_jobs(
    airbyte_emulator_factory: Factory, http: aiohttp.ClientSession
) -> None:
    """
    With a ManualClock, a trigger answers once the clock passes its latency and a job runs
    and ends as the clock moves, with no real waiting.
    """
    clock = ManualClock()
    emu = await airbyte_emulator_factory(
        connections=1, clock=clock, trigger_latency=0.2, sync_duration=(600, 600)
    )
    cid = emu.connection_ids[0]
    answers: list[dict[str, Any]] = []

    async def trigger() -> None:
        answers.append(await sync(http, emu, cid))

    async with anyio.create_task_group() as tg:
        tg.start_soon(trigger)
        await jobs_created(emu, 1)
        assert emu.job_status(1) == "pending"
        assert not answers
        clock.advance(0.2)
    assert answers[0]["job"]["status"] == "running"
    clock.advance(599.9)
    assert emu.job_status(1) == "running"
    clock.advance(0.1)
    assert emu.job_status(1) == "succeeded"
    final = (await call(http, emu, "jobs/get", {"id": 1})).json
    assert final["attempts"][0]["attempt"]["endedAt"] == int(clock.now)


async def test_the_date_header_reads_the_emulator_clock(
    airbyte_emulator_factory: Factory, http: aiohttp.ClientSession
) -> None:
    """
    Every answer carries a ``Date`` (RFC 9110 section 6.6.1: a server with a clock sends one;
    Airbyte's Micronaut stamps each response with its ``HttpDateHeader``, RFC 1123, whole
    seconds) read from the emulator's clock, not the host's, error answers too.
    """
    clock = ManualClock(now=1_000_000_000.75)
    emu = await airbyte_emulator_factory(connections=1, clock=clock)
    first = await call(http, emu, "workspaces/list", {})
    clock.advance(3600)
    failed = await call(http, emu, "jobs/get", {"id": 404})

    assert first.headers["Date"] == "Sun, 09 Sep 2001 01:46:40 GMT"
    assert failed.status >= 400
    assert failed.headers["Date"] == "Sun, 09 Sep 2001 02:46:40 GMT"


async def test_a_date_lead_puts_the_date_header_ahead_of_the_job_stamps(
    airbyte_emulator_factory: Factory, http: aiohttp.ClientSession
) -> None:
    """
    With *date_lead*, ``Date`` runs that far ahead of the clock that stamps jobs, as behind a
    proxy whose host clock drifts: nginx answers with its own ``Date``, not the upstream's
    (``proxy_pass_header``: "nginx does not pass the header fields Date, Server...").
    """
    clock = ManualClock(now=1_000_000_000.75)
    emu = await airbyte_emulator_factory(
        connections=1, clock=clock, trigger_latency=0, date_lead=90
    )
    answer = await call(http, emu, "connections/sync", {"connectionId": emu.connection_ids[0]})

    assert answer.headers["Date"] == "Sun, 09 Sep 2001 01:48:10 GMT"
    assert answer.json["job"]["createdAt"] == 1_000_000_000
    with pytest.raises(ValueError, match="date_lead"):
        Emulator(date_lead=math.inf)


def test_a_manual_clock_only_moves_forward() -> None:
    """advance() refuses a negative step."""
    clock = ManualClock(now=100.0)
    clock.advance(5)
    assert clock() == 105.0
    with pytest.raises(ValueError, match="forward"):
        clock.advance(-1)


@pytest.mark.parametrize("version", ["0.50", "1.7", "2.0", "head"])
async def test_tags_read_back_where_the_version_has_them(
    airbyte_emulator_factory: Factory, http: aiohttp.ClientSession, version: str
) -> None:
    """A tagged connection reads with ``tags``, each a ``Tag`` (tagId, workspaceId, name,
    color; config-api-head ConnectionRead), one tag per name in a workspace; 0.50's
    ConnectionRead has no tags."""
    emu = await airbyte_emulator_factory(connections=2, airbyte_version=version)
    first, second = emu.connection_ids
    emu.tag_connection(first, "nightly", "finance")
    emu.tag_connection(second, "nightly")
    read = [
        (await call(http, emu, "connections/get", {"connectionId": cid})).json
        for cid in (first, second)
    ]
    if version == "0.50":
        assert all("tags" not in r for r in read)
        return
    assert [t["name"] for t in read[0]["tags"]] == ["nightly", "finance"]
    assert read[1]["tags"] == [read[0]["tags"][0]]
    assert set(read[0]["tags"][0]) == {"tagId", "workspaceId", "name", "color"}
    assert read[0]["tags"][0]["workspaceId"] == read[0]["workspaceId"]


async def test_head_lists_an_untagged_connection_with_empty_tags(
    airbyte_emulator_factory: Factory, http: aiohttp.ClientSession
) -> None:
    """Head's ConnectionRead always carries ``tags``, empty when there are none
    (ApiPojoConverters.internalToConnectionRead maps ``standardSync.tags`` to a list)."""
    emu = await airbyte_emulator_factory(connections=1, airbyte_version="head")
    body = {"workspaceId": emu.workspace_ids[0]}
    [listed] = (await call(http, emu, "connections/list", body)).json["connections"]
    got = (await call(http, emu, "connections/get", {"connectionId": listed["connectionId"]})).json
    assert listed["tags"] == got["tags"] == []


@pytest.mark.parametrize("version", ["head", "2.0"])
async def test_a_public_job_listing_without_a_type_holds_a_clears_job(
    airbyte_emulator_factory: Factory, http: aiohttp.ClientSession, version: str
) -> None:
    """``GET /jobs`` without ``jobType`` lists syncs and resets (``JobService.kt``; head
    clears and refreshes too, ``JobServiceTest``), and the job of a clear is a reset
    (``DefaultJobCreator.createResetConnectionJob``): listed on every version."""
    emu = await airbyte_emulator_factory(
        airbyte_version=version, connections=1, sync_duration=(60, 60), trigger_latency=0.0
    )
    (cid,) = emu.connection_ids
    job = (await call(http, emu, "connections/clear", {"connectionId": cid})).json["job"]
    answer = await public(http, emu, "GET", f"/jobs?connectionId={cid}")

    assert answer.status == 200
    assert [(j["jobId"], j["jobType"]) for j in answer.json["data"]] == [(job["id"], "reset")]


@pytest.mark.parametrize(("version", "listed"), [("2.0", []), ("head", ["refresh"])])
async def test_a_public_job_listing_without_a_type_holds_refreshes_on_head_alone(
    airbyte_emulator_factory: Factory,
    http: aiohttp.ClientSession,
    version: str,
    listed: list[str],
) -> None:
    """``GET /jobs`` without ``jobType`` asks for syncs and resets alone before head
    (``JobService.getJobConfigTypes``, airbytehq/airbyte-platform ``4ab2909f``), for every
    type on head (``JobServiceTest`` "null jobType returns all job types", ``2c2663d2``): a
    refresh is listed there, and elsewhere only when ``jobType=refresh`` asks for it."""
    emu = await airbyte_emulator_factory(
        airbyte_version=version, connections=1, sync_duration=(60, 60), trigger_latency=0.0
    )
    (cid,) = emu.connection_ids
    body = {"connectionId": cid, "refreshMode": "Truncate"}
    job = (await call(http, emu, "connections/refresh", body)).json["job"]
    every = await public(http, emu, "GET", f"/jobs?connectionId={cid}")
    asked = await public(http, emu, "GET", f"/jobs?connectionId={cid}&jobType=refresh")

    assert [j["jobType"] for j in every.json["data"]] == listed
    assert [(j["jobId"], j["jobType"]) for j in asked.json["data"]] == [(job["id"], "refresh")]


@pytest.mark.parametrize("version", ["0.50", "1.7", "head"])
async def test_jobs_list_orders_and_pages_as_each_version_does(
    airbyte_emulator_factory: Factory, http: aiohttp.ClientSession, version: str
) -> None:
    """
    An order field is a 500 on 0.50, whose ``JobHistoryHandler`` hands on the enum constant
    (``CREATED_AT``) that ``DefaultJobPersistence.getJobOrderBy`` does not know
    (airbytehq/airbyte#34472); later versions order as asked. From 1.7 on, ``jobs/list``
    pages through ``JobServiceDataImpl.buildPageable``: a field without a method is newest
    created first, a row offset is rounded down to a whole page, a page of 0 divides by zero.
    """
    emu = await airbyte_emulator_factory(
        airbyte_version=version, connections=5, sync_duration=(0, 0)
    )
    for cid in emu.connection_ids:
        await sync(http, emu, cid)

    async def listed(**body: Any) -> Any:
        return await call(http, emu, "jobs/list", {"configTypes": ["sync"], **body})

    ascending = await listed(orderByField="createdAt", orderByMethod="ASC")
    field_alone = await listed(orderByField="updatedAt")
    offset = await listed(pagination={"pageSize": 2, "rowOffset": 3})
    empty = await listed(pagination={"pageSize": 0})

    if version == "0.50":
        assert (ascending.status, field_alone.status) == (500, 500)
        assert "Value 'CREATED_AT' is not valid for jobs orderByField" in ascending.text
        assert [j["job"]["id"] for j in offset.json["jobs"]] == [2, 1]
        assert (empty.status, empty.json["jobs"]) == (200, [])
        return
    assert [j["job"]["id"] for j in ascending.json["jobs"]] == [1, 2, 3, 4, 5]
    assert [j["job"]["id"] for j in field_alone.json["jobs"]] == [5, 4, 3, 2, 1]
    assert [j["job"]["id"] for j in offset.json["jobs"]] == [3, 2]
    assert empty.status == 500


_NOBODY = "7f3c1a2e-0000-4000-8000-0000000000ee"


@pytest.mark.parametrize(
    ("route", "body", "admin_status"),
    [
        ("connections/get", {"connectionId": _NOBODY}, 404),
        ("connections/sync", {"connectionId": _NOBODY}, 404),
        ("jobs/list", {"configTypes": ["sync"], "configId": _NOBODY}, 200),
        ("jobs/get", {"id": 999}, 500),
        ("sources/get", {"sourceId": _NOBODY}, 404),
        ("workspaces/get", {"workspaceId": _NOBODY}, 404),
    ],
)
@pytest.mark.parametrize("admin", [True, False])
async def test_a_config_api_id_that_names_nothing_is_forbidden_unless_to_an_instance_admin(
    http: aiohttp.ClientSession, route: str, body: Any, admin_status: int, admin: bool
) -> None:
    """From 1.x on, with authentication, Airbyte's role check runs before the Config API's
    handler: it finds no workspace for a connection, source, destination, workspace or job
    that does not exist (``RoleResolver``), so anyone but an instance admin is refused with
    Micronaut's 403 (the route's ``@Secured`` roles); an instance admin gets the handler's
    answer (404, the listing's empty page, the read's 500)."""
    async with Emulator(airbyte_version="head", connections=1, instance_admin=admin) as emu:
        answer = await call(http, emu, route, body)

    assert answer.status == (admin_status if admin else 403)
    if not admin:
        assert answer.json["message"] == "Forbidden"


async def test_a_server_without_roles_answers_an_unknown_id_alike_for_everyone(
    http: aiohttp.ClientSession,
) -> None:
    """0.50 has no role checks: ``instance_admin=False`` changes nothing there (404)."""
    async with Emulator(airbyte_version="0.50", connections=1, instance_admin=False) as emu:
        answer = await call(http, emu, "connections/get", {"connectionId": _NOBODY})

    assert answer.status == 404
