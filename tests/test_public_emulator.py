"""
The emulator's public REST API (``/api/public/v1``): what it answers, and that every route
and answer fits public-api-head.yaml. Each request and response sent through :class:`Driver`
is checked against the spec; the conformance test skips when ``../shared/airbyte`` is absent.
"""

from __future__ import annotations

import argparse
import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import aiohttp
import anyio
import attrs
import public_conformance as pc
import pytest
import spec_conformance as sc

from airbyte_async.cli._parser import add_emulator_arguments
from airbyte_async.testing import Emulator, Fault, RequireClientCredentials
from airbyte_async.testing._cli import _emulator
from airbyte_async.testing._public_routes import PUBLIC_ROUTES
from airbyte_async.testing.pytest_plugin import TEST_TRIGGER_LATENCY

pytestmark = pytest.mark.anyio

PG = {"host": "db", "port": 5432, "database": "shop", "username": "u", "password": "p"}


@attrs.define
class Driver:
    """Sends public API requests; checks each against the spec when one is loaded."""

    emu: Emulator
    session: aiohttp.ClientSession
    spec: sc.Spec | None = None
    headers: dict[str, str] = attrs.Factory(dict)
    seen: set[tuple[str, str]] = attrs.Factory(set)

    async def call(
        self,
        method: str,
        path: str,
        body: Any = None,
        *,
        query: list[tuple[str, str]] | None = None,
        expect: int = 200,
        check_request: bool = True,
    ) -> Any:
        """One request; asserts its status and, with a spec, that both messages fit it."""
        query = query or []
        if self.spec is not None and check_request:
            problems = pc.check_request(self.spec, method, path, query, body, body is not None)
            assert problems == [], problems
        url = f"{self.emu.url}/api/public/v1{path}"
        kwargs: dict[str, Any] = {"params": query, "headers": self.headers}
        if body is not None:
            kwargs["json"] = body
        async with self.session.request(method, url, **kwargs) as response:
            text = await response.text()
            status = response.status
        parsed = json.loads(text) if text else None
        assert status == expect, f"{method} {path}: {status} {text[:400]}"
        if self.spec is not None:
            assert pc.check_response(self.spec, method, path, status, parsed) == [], parsed
            name, _, _ = pc.operation(self.spec, method, path)
            self.seen.add((method, name))
        return parsed


@pytest.fixture
async def session() -> AsyncIterator[aiohttp.ClientSession]:
    """One client session per test."""
    async with aiohttp.ClientSession() as s:
        yield s


async def _until_ended(d: Driver, job_id: int) -> dict[str, Any]:
    """The job once it ended, and its workflow wrapped it up (a sync is refused until then)."""
    while True:
        job: dict[str, Any] = await d.call("GET", f"/jobs/{job_id}")
        if job["status"] in ("succeeded", "failed", "cancelled"):
            await anyio.sleep(d.emu.wrap_up)
            return job
        await anyio.sleep(0.01)


async def _until_running(d: Driver, job_id: int) -> dict[str, Any]:
    """The job once it runs and its workflow says so: only then does a cancel stop it
    (``cancelJob`` ignores a job whose workflow does not report running yet)."""
    while True:
        job: dict[str, Any] = await d.call("GET", f"/jobs/{job_id}")
        if job["status"] != "pending":
            await anyio.sleep(d.emu.start_lag)
            return job
        await anyio.sleep(0.01)


async def _exercise(d: Driver) -> None:
    """Every public route the emulator serves, with good and bad calls."""
    assert await d.call("GET", "/health") is None
    workspaces = await d.call("GET", "/workspaces", query=[("limit", "1")])
    wid = workspaces["data"][0]["workspaceId"]
    await d.call("GET", f"/workspaces/{wid}")
    await d.call("GET", f"/workspaces/{d.emu.connection_ids[0]}", expect=400)
    await d.call("GET", "/workspaces", query=[("limit", "0")], expect=400, check_request=False)
    created = await d.call("POST", "/workspaces", {"name": "pub-ws"})
    assert created["name"] == "pub-ws"
    await d.call("POST", "/workspaces", {}, expect=400, check_request=False)
    await d.call("GET", f"/workspaces/{wid}/definitions/sources")
    await d.call("GET", f"/workspaces/{wid}/definitions/destinations")
    await d.call("GET", "/connector_definitions", query=[("type", "source"), ("workspaceId", wid)])

    source = await d.call(
        "POST",
        "/sources",
        {"name": "pub-src", "workspaceId": wid, "configuration": {"sourceType": "postgres", **PG}},
    )
    sid = source["sourceId"]
    await d.call("GET", f"/sources/{sid}")
    await d.call("PATCH", f"/sources/{sid}", {"name": "pub-src-2"})
    await d.call("PUT", f"/sources/{sid}", {"name": "pub-src-3", "configuration": PG})
    await d.call("GET", "/sources", query=[("workspaceIds", wid), ("limit", "2")])
    await d.call(
        "POST", "/sources", {"name": "x", "workspaceId": wid, "configuration": {}}, expect=400
    )
    s3 = {
        "destinationType": "s3",
        "s3_bucket_name": "b",
        "s3_bucket_path": "p",
        "s3_bucket_region": "us-east-1",
        "format": {"format_type": "Parquet"},
    }
    destination = await d.call(
        "POST", "/destinations", {"name": "pub-dst", "workspaceId": wid, "configuration": s3}
    )
    did = destination["destinationId"]
    await d.call("GET", f"/destinations/{did}")
    await d.call("PATCH", f"/destinations/{did}", {"name": "pub-dst-2"})
    s3.pop("destinationType")
    await d.call("PUT", f"/destinations/{did}", {"name": "pub-dst-3", "configuration": s3})
    await d.call("GET", "/destinations", query=[("workspaceIds", wid)])

    streams = await d.call("GET", "/streams", query=[("sourceId", sid)])
    assert {s["streamName"] for s in streams} >= {"customers"}
    created = await d.call(
        "POST",
        "/connections",
        {
            "sourceId": sid,
            "destinationId": did,
            "name": "pub-conn",
            "configurations": {
                "streams": [{"name": "customers", "syncMode": "full_refresh_overwrite"}]
            },
            "schedule": {"scheduleType": "manual"},
        },
    )
    cid = created["connectionId"]
    await d.call("GET", f"/connections/{cid}")
    await d.call(
        "PATCH",
        f"/connections/{cid}",
        {"schedule": {"scheduleType": "cron", "cronExpression": "0 0 * * * ?"}, "status": "active"},
    )
    await d.call("GET", "/connections", query=[("workspaceIds", wid), ("includeDeleted", "true")])

    # Longer than head's second trigger, which meets the job pending and waits a minute.
    d.emu.set_sync_plan(cid, duration=300.0)
    job = await d.call("POST", "/jobs", {"jobType": "sync", "connectionId": cid})
    await d.call("POST", "/jobs", {"jobType": "sync", "connectionId": cid}, expect=409)
    await d.call("POST", "/jobs", {"jobType": "refresh", "connectionId": cid}, expect=422)
    await d.call("GET", f"/jobs/{job['jobId']}")
    await d.call("GET", "/jobs/99999", expect=403)
    await d.call("DELETE", f"/jobs/{job['jobId']}")
    await d.call("DELETE", f"/jobs/{job['jobId']}", expect=409)  # it ended: none runs
    d.emu.set_sync_plan(cid, duration=0.0)
    reset = await d.call("POST", "/jobs", {"jobType": "reset", "connectionId": cid})
    await _until_ended(d, reset["jobId"])
    await d.call(
        "GET",
        "/jobs",
        query=[
            ("workspaceIds", wid),
            ("updatedAtStart", "2020-01-01T00:00:00Z"),
            ("status", "succeeded"),
            ("orderBy", "updatedAt|ASC"),
            ("limit", "1"),
            ("offset", "0"),
        ],
    )
    await d.call("GET", "/jobs", query=[("connectionId", cid), ("jobType", "reset")])
    await d.call("GET", "/jobs", query=[("orderBy", "name|UP")], expect=400, check_request=False)

    await d.call("DELETE", f"/connections/{cid}", expect=204)
    # API-FACTS 5: deleting a connection sets it to deprecated; it still reads.
    assert (await d.call("GET", f"/connections/{cid}"))["status"] == "deprecated"
    await d.call("DELETE", f"/sources/{sid}", expect=204)
    await d.call("DELETE", f"/destinations/{did}", expect=204)
    await d.call("GET", f"/sources/{sid}", expect=400)


@pytest.mark.parametrize("version", ["1.7", "2.0", "head"])
async def test_every_public_route_fits_the_public_spec(
    session: aiohttp.ClientSession, version: str
) -> None:
    """Every public route of the emulator, good calls and bad, answers as
    public-api-head.yaml declares (statuses, shapes, RFC 9457 problems: API-FACTS 6.4), on
    every version that serves the public API."""
    spec = pc.load_public_spec()
    async with Emulator(
        trigger_latency=TEST_TRIGGER_LATENCY, airbyte_version=version, connections=2
    ) as emu:
        d = Driver(emu, session, spec)
        await _exercise(d)
    served = {(r.method, r.path) for r in PUBLIC_ROUTES}
    assert served - d.seen == set()


@asynccontextmanager
async def one_connection(
    session: aiohttp.ClientSession,
) -> AsyncIterator[tuple[Emulator, Driver, str]]:
    """A head emulator with one connection, a driver of its public API, and the connection."""
    async with Emulator(
        trigger_latency=TEST_TRIGGER_LATENCY, airbyte_version="head", connections=1
    ) as emu:
        yield emu, Driver(emu, session), emu.connection_ids[0]


@asynccontextmanager
async def long_sync(
    session: aiohttp.ClientSession,
) -> AsyncIterator[tuple[Emulator, Driver, dict[str, Any]]]:
    """A head emulator with one connection whose 30 s sync ``POST /jobs`` started, running."""
    async with one_connection(session) as (emu, d, cid):
        emu.set_sync_plan(cid, duration=30.0)
        job = await d.call("POST", "/jobs", {"jobType": "sync", "connectionId": cid})
        yield emu, d, await _until_running(d, job["jobId"])


async def test_a_row_written_between_two_pages_shows_on_both_and_shifts_another_off(
    session: aiohttp.ClientSession,
) -> None:
    """
    Listings come in the order a table scan finds the rows, with no ``ORDER BY``
    (``ConnectionServiceJooqImpl.listWorkspaceStandardSyncsLimitOffsetPaginated``): a row
    written anew goes to the end. Renamed between the reads of two pages, the first row shows
    on both, and the row that was third shows on neither (dagster-io/dagster#32443).
    """
    async with Emulator(airbyte_version="head", connections=4) as emu:
        d = Driver(emu, session)
        first, second, _third, fourth = emu.connection_ids
        page = [("limit", "2")]
        one = await d.call("GET", "/connections", query=[*page, ("offset", "0")])
        await d.call("PATCH", f"/connections/{first}", {"name": "renamed"})
        two = await d.call("GET", "/connections", query=[*page, ("offset", "2")])
    assert [c["connectionId"] for c in one["data"]] == [first, second]
    assert [c["connectionId"] for c in two["data"]] == [fourth, first]


async def test_jobs_are_shared_with_the_config_api(session: aiohttp.ClientSession) -> None:
    """A job triggered by ``POST /jobs`` is the job the Config API's ``jobs/get`` reads, and a
    Config API trigger blocks a public one (one state behind both APIs; issue 12)."""
    async with long_sync(session) as (emu, d, job):
        cid = emu.connection_ids[0]
        async with session.post(f"{emu.url}/api/v1/jobs/get", json={"id": job["jobId"]}) as r:
            read = await r.json()
        assert read["job"]["configId"] == cid
        assert read["job"]["status"] in ("pending", "running")
        await d.call("DELETE", f"/jobs/{job['jobId']}")
        async with session.post(
            f"{emu.url}/api/v1/connections/sync", json={"connectionId": cid}
        ) as r:
            config_job = (await r.json())["job"]["id"]
        conflict = await d.call(
            "POST", "/jobs", {"jobType": "sync", "connectionId": cid}, expect=409
        )
        assert conflict["title"] == "try-again-later"
        assert conflict["data"]["message"] == f"A sync is already running for: {cid}"
        assert (await d.call("GET", f"/jobs/{config_job}"))["status"] == "running"


async def test_cancel_of_an_ended_job_cancels_the_connections_current_one(
    session: aiohttp.ClientSession,
) -> None:
    """
    ``DELETE /jobs/{id}`` of a job that ended answers 200 with the job as it ended, and
    cancels the job the connection runs now: ``JobsController.publicCancelJob`` calls
    ``JobServiceImpl.cancelJob``, which calls ``SchedulerHandler.cancelJob`` with no check of
    its own (airbytehq/airbyte-platform; the Config API's cancel, API-FACTS 6.3b).
    """
    async with one_connection(session) as (emu, d, cid):
        emu.set_sync_plan(cid, duration=0.0, outcome="failed")
        old = await d.call("POST", "/jobs", {"jobType": "sync", "connectionId": cid})
        await _until_ended(d, old["jobId"])
        emu.set_sync_plan(cid, duration=30.0)
        new = await d.call("POST", "/jobs", {"jobType": "sync", "connectionId": cid})
        await _until_running(d, new["jobId"])

        answer = await d.call("DELETE", f"/jobs/{old['jobId']}")

        assert (answer["jobId"], answer["status"]) == (old["jobId"], "failed")
        assert (await d.call("GET", f"/jobs/{new['jobId']}"))["status"] == "cancelled"


async def test_a_listings_next_link_keeps_include_deleted(
    session: aiohttp.ClientSession,
) -> None:
    """The ``next`` link of a connection listing carries ``includeDeleted`` as it was asked
    (``ConnectionsResponseMapper`` adds it to every link), so following it still lists the
    deleted connections."""
    async with Emulator(
        trigger_latency=TEST_TRIGGER_LATENCY, airbyte_version="head", connections=2
    ) as emu:
        d = Driver(emu, session)
        both = list(emu.connection_ids)
        await d.call("DELETE", f"/connections/{both[1]}", expect=204)
        first = await d.call(
            "GET", "/connections", query=[("includeDeleted", "true"), ("limit", "1")]
        )
        query = parse_qsl(urlsplit(first["next"]).query)
        second = await d.call("GET", "/connections", query=query)
    assert ("includeDeleted", "true") in query
    assert [c["connectionId"] for c in first["data"] + second["data"]] == both


async def test_a_connection_listing_filters_by_any_of_the_tag_ids(
    session: aiohttp.ClientSession,
) -> None:
    """
    ``GET /connections?tagIds=`` lists the connections that carry any of the tags, each once,
    and pages after the filter; the ``next`` link drops ``tagIds`` (airbytehq/airbyte-platform
    ``ConnectionServiceJooqImpl.listWorkspaceStandardSyncsLimitOffsetPaginated``:
    ``CONNECTION_TAG.TAG_ID.in(tagIds)`` over a join grouped by connection;
    ``ConnectionsResponseMapper`` carries only ``includeDeleted`` and ``workspaceIds``).
    """
    async with Emulator(
        trigger_latency=TEST_TRIGGER_LATENCY, airbyte_version="head", connections=4
    ) as emu:
        d = Driver(emu, session, pc.load_public_spec())
        first, second, third, untagged = emu.connection_ids
        emu.tag_connection(first, "nightly")
        emu.tag_connection(second, "nightly", "finance")
        emu.tag_connection(third, "finance")
        tags = {
            t["name"]: t["tagId"] for t in (await d.call("GET", f"/connections/{second}"))["tags"]
        }

        async def listed(*query: tuple[str, str], spec: bool = True) -> list[str]:
            page = await d.call("GET", "/connections", query=list(query), check_request=spec)
            return [c["connectionId"] for c in page["data"]]

        nightly = await listed(("tagIds", tags["nightly"]))
        either = await listed(("tagIds", tags["nightly"]), ("tagIds", tags["finance"]))
        # Micronaut also splits a list parameter's value at commas (the spec repeats it).
        joined = await listed(("tagIds", f"{tags['nightly']},{tags['finance']}"), spec=False)
        unknown = await listed(("tagIds", "0b9f6c1e-8d4a-4f3b-9a2e-7c5d1e0f2a3b"))
        page = await d.call(
            "GET", "/connections", query=[("tagIds", tags["finance"]), ("limit", "1")]
        )
    assert nightly == [first, second]
    assert either == joined == [first, second, third]
    assert untagged not in either
    assert unknown == []
    assert [c["connectionId"] for c in page["data"]] == [second]
    assert "tagIds" not in dict(parse_qsl(urlsplit(page["next"]).query))


async def test_job_list_filters_orders_and_pages(session: aiohttp.ClientSession) -> None:
    """``GET /jobs`` filters by status and ``updatedAtStart``, orders by ``updatedAt|ASC`` and
    pages by ``limit``/``offset``; ``next`` names the following page while a page is full, and
    is empty after the last (API-FACTS 7; ``PaginationMapper``)."""
    async with Emulator(
        trigger_latency=TEST_TRIGGER_LATENCY, airbyte_version="head", connections=5
    ) as emu:
        d = Driver(emu, session)
        ids = []
        for cid in emu.connection_ids:
            emu.set_sync_plan(cid, duration=0.0)
            ids.append(
                (await d.call("POST", "/jobs", {"jobType": "sync", "connectionId": cid}))["jobId"]
            )
        for job_id in ids:
            await _until_ended(d, job_id)
        filters = [("status", "succeeded"), ("updatedAtStart", "2020-01-01T00:00:00Z")]
        filters.append(("orderBy", "updatedAt|ASC"))
        seen: list[int] = []
        pages = []
        offset = 0
        while True:
            page = await d.call(
                "GET", "/jobs", query=[*filters, ("limit", "2"), ("offset", str(offset))]
            )
            pages.append(page)
            seen += [j["jobId"] for j in page["data"]]
            if not page["next"]:
                break
            next_query = dict(parse_qsl(urlsplit(page["next"]).query))
            assert next_query["limit"] == "2"
            offset = int(next_query["offset"])
        assert sorted(seen) == ids
        assert [len(p["data"]) for p in pages] == [2, 2, 1]
        running = await d.call("GET", "/jobs", query=[("status", "running")])
        assert running["data"] == []


async def test_rows_and_bytes_come_only_with_read_jobs(session: aiohttp.ClientSession) -> None:
    """``rowsSynced``/``bytesSynced`` come from ``aggregatedStats`` (API-FACTS 3, item 4): a
    read job has them, the cancel's answer (``getJobInfoRead``, no aggregated stats) does
    not."""
    async with long_sync(session) as (_, d, job):
        read = await d.call("GET", f"/jobs/{job['jobId']}")
        cancelled = await d.call("DELETE", f"/jobs/{job['jobId']}")
    assert {"rowsSynced", "bytesSynced"} <= set(read)
    assert cancelled["status"] == "cancelled"
    assert not {"rowsSynced", "bytesSynced"} & set(cancelled)


async def test_a_sync_trigger_s_answer_carries_no_rows_or_bytes(
    session: aiohttp.ClientSession,
) -> None:
    """The answer to ``POST /jobs`` has no ``rowsSynced``/``bytesSynced``, even for a job that
    ended before it was answered: it maps the trigger's ``JobInfoRead``, whose
    ``aggregatedStats`` ``JobConverter.getJobRead`` never sets (API-FACTS 3, items 3 and 4);
    a read of the job has them."""
    async with Emulator(
        trigger_latency=0.05, airbyte_version="2.0", connections=1, sync_duration=(0.0, 0.0)
    ) as emu:
        d = Driver(emu, session)
        cid = emu.connection_ids[0]
        job = await d.call("POST", "/jobs", {"jobType": "sync", "connectionId": cid})
        read = await d.call("GET", f"/jobs/{job['jobId']}")
    assert job["status"] == "succeeded"
    assert not {"rowsSynced", "bytesSynced"} & set(job)
    assert {"rowsSynced", "bytesSynced"} <= set(read)


async def test_a_job_no_attempt_has_run_reads_zero_rows_and_bytes(
    session: aiohttp.ClientSession,
) -> None:
    """A read job that is still pending carries ``rowsSynced`` and ``bytesSynced`` 0, not
    nothing: ``StatsAggregationHelper.hydrateWithAggregatedStats`` always sets the job's
    ``aggregatedStats``, summing no streams' stats when none were persisted."""
    async with Emulator(
        trigger_latency=0.0, airbyte_version="head", connections=1, pending_duration=30.0
    ) as emu:
        d = Driver(emu, session)
        cid = emu.connection_ids[0]
        job = await d.call("POST", "/jobs", {"jobType": "sync", "connectionId": cid})
        read = await d.call("GET", f"/jobs/{job['jobId']}")
        listed = await d.call("GET", "/jobs", query=[("connectionId", cid)])
    assert read["status"] == "pending"
    assert (read["rowsSynced"], read["bytesSynced"]) == (0, 0)
    assert [(j["rowsSynced"], j["bytesSynced"]) for j in listed["data"]] == [(0, 0)]


async def test_job_list_by_type_takes_each_type_as_its_own(
    session: aiohttp.ClientSession,
) -> None:
    """``jobType=refresh`` and ``clear`` name their own config types (``JobService``
    ``getJobConfigTypes``), not syncs or resets: here, none."""
    async with one_connection(session) as (_emu, d, cid):
        await d.call("POST", "/jobs", {"jobType": "reset", "connectionId": cid})
        listed = {
            kind: await d.call("GET", "/jobs", query=[("jobType", kind)])
            for kind in ("reset", "refresh", "clear")
        }
    assert [j["jobType"] for j in listed["reset"]["data"]] == ["reset"]
    assert listed["refresh"]["data"] == listed["clear"]["data"] == []


async def test_job_response_times_follow_the_mapper(session: aiohttp.ClientSession) -> None:
    """A JobResponse carries ``startTime`` as an ISO instant, an ISO-8601 ``duration`` once the
    job is past pending, and ``lastUpdatedAt`` only once it is terminal (``JobResponseMapper``;
    API-FACTS 7)."""
    async with one_connection(session) as (emu, d, cid):
        emu.set_sync_plan(cid, duration=30.0)
        pending = await d.call("POST", "/jobs", {"jobType": "sync", "connectionId": cid})
        await _until_running(d, pending["jobId"])
        cancelled = await d.call("DELETE", f"/jobs/{pending['jobId']}")
    assert pending["status"] == "pending"
    assert pending["startTime"].endswith("Z")
    assert "duration" not in pending and "lastUpdatedAt" not in pending
    assert cancelled["status"] == "cancelled"
    assert cancelled["lastUpdatedAt"].endswith("Z")
    assert cancelled["duration"].startswith("PT")


async def test_public_routes_take_application_tokens(session: aiohttp.ClientSession) -> None:
    """With client credentials required, a public route answers 401 without a token and 200
    with one from ``POST /api/public/v1/applications/token`` (``expires_in`` 900; API-FACTS 1.2);
    ``GET /health`` needs none (public-api-head.yaml: ``security: []``)."""
    auth = RequireClientCredentials("app", "s3cret")
    async with Emulator(airbyte_version="head", connections=1, auth=auth) as emu:
        d = Driver(emu, session)
        await d.call("GET", "/connections", expect=401)
        assert await d.call("GET", "/health") is None
        token = await d.call(
            "POST",
            "/applications/token",
            {"client_id": "app", "client_secret": "s3cret", "grant_type": "client_credentials"},
        )
        assert token["expires_in"] == 900
        assert token["token_type"] == "Bearer"
        d.headers["Authorization"] = f"Bearer {token['access_token']}"
        listed = await d.call("GET", "/connections")
        assert [c["connectionId"] for c in listed["data"]] == emu.connection_ids


@pytest.mark.parametrize(("method", "role"), [("GET", "READER"), ("DELETE", "RUNNER")])
async def test_a_job_that_does_not_exist_is_forbidden_not_missing(
    session: aiohttp.ClientSession, method: str, role: str
) -> None:
    """``GET``/``DELETE /jobs/{jobId}`` for a job id that names nothing answer 403
    ``forbidden``, as a job of another workspace would: airbytehq/airbyte-platform
    ``JobsController`` calls ``RoleResolver...requireRole(WORKSPACE_READER / _RUNNER)`` before
    it reads the job, ``WorkspaceHelper.getWorkspaceForJobId`` fails on the unknown id
    (``DefaultJobPersistence.getJob``: "Could not find job with id"), and ``RoleResolver.roles``
    answers no role on any exception, so the ForbiddenProblem comes first."""
    async with Emulator(airbyte_version="head", connections=1) as emu:
        d = Driver(emu, session)
        problem = await d.call(method, "/jobs/987654", expect=403)

    assert problem["type"] == "https://reference.airbyte.com/reference/errors#forbidden"
    assert f"WORKSPACE_{role} permissions" in problem["data"]["message"]


_UNKNOWN_CONNECTION = "7f3c1a2e-0000-4000-8000-0000000000aa"


@pytest.mark.parametrize(
    ("method", "path", "body", "role"),
    [
        ("GET", f"/connections/{_UNKNOWN_CONNECTION}", None, "READER"),
        ("PATCH", f"/connections/{_UNKNOWN_CONNECTION}", {"name": "x"}, "EDITOR"),
        ("DELETE", f"/connections/{_UNKNOWN_CONNECTION}", None, "EDITOR"),
        ("POST", "/jobs", {"jobType": "sync", "connectionId": _UNKNOWN_CONNECTION}, None),
        ("POST", "/jobs", {"jobType": "clear", "connectionId": _UNKNOWN_CONNECTION}, None),
        ("GET", f"/sources/{_UNKNOWN_CONNECTION}", None, "READER"),
        ("PATCH", f"/sources/{_UNKNOWN_CONNECTION}", {"name": "x"}, "EDITOR"),
        ("DELETE", f"/destinations/{_UNKNOWN_CONNECTION}", None, "EDITOR"),
        ("GET", f"/workspaces/{_UNKNOWN_CONNECTION}", None, "READER"),
        ("GET", f"/workspaces/{_UNKNOWN_CONNECTION}/definitions/sources", None, "READER"),
        ("GET", f"/workspaces/{_UNKNOWN_CONNECTION}/definitions/destinations", None, "READER"),
    ],
)
@pytest.mark.parametrize("admin", [True, False])
async def test_an_object_that_does_not_exist_is_forbidden_unless_to_an_instance_admin(
    session: aiohttp.ClientSession,
    method: str,
    path: str,
    body: Any,
    role: str | None,
    admin: bool,
) -> None:
    """A route naming a connection, a source, a destination or a workspace that does not exist
    answers 403 ``forbidden`` for the role it requires to anyone but an instance admin, and
    ``resource-not-found`` (a 400) to an instance admin (community's default user):
    airbytehq/airbyte-platform's public
    controllers check the role first (``RoleResolver.requireRole``, or
    ``ApiAuthorizationHelper.checkWorkspacePermission``), ``AuthenticationHeaderResolver
    .resolveWorkspace`` finds no workspace for the id, and only an instance admin holds roles
    without one (``RoleResolver.resolveRoles``). ``POST /jobs`` checks ``requireOneOfRoles``
    (the editors' for a clear, the runner's otherwise), whose message names no role."""
    async with Emulator(airbyte_version="head", connections=1, instance_admin=admin) as emu:
        d = Driver(emu, session)
        problem = await d.call(method, path, body, expect=400 if admin else 403)

    if admin:
        assert problem["data"]["resourceId"] == _UNKNOWN_CONNECTION
    else:
        assert problem["type"] == "https://reference.airbyte.com/reference/errors#forbidden"
        required = "required" if role is None else f"required WORKSPACE_{role}"
        assert problem["data"]["message"] == (
            f"Caller does not have the {required} permissions to access the resource(s)."
        )


@pytest.mark.parametrize("admin", [True, False])
async def test_the_jobs_of_a_connection_that_does_not_exist_are_none_or_forbidden(
    session: aiohttp.ClientSession, admin: bool
) -> None:
    """``GET /jobs?connectionId=`` of a connection that does not exist is an empty page to an
    instance admin (``JobHistoryHandler.listJobsFor`` never looks the connection up) and the
    role check's 403 to anyone else (``JobsController.listJobs``: WORKSPACE_READER)."""
    async with Emulator(airbyte_version="head", connections=1, instance_admin=admin) as emu:
        d = Driver(emu, session)
        query = [("connectionId", _UNKNOWN_CONNECTION)]
        answer = await d.call("GET", "/jobs", query=query, expect=200 if admin else 403)

    if admin:
        assert answer["data"] == []
    else:
        assert "WORKSPACE_READER permissions" in answer["data"]["message"]


@pytest.mark.parametrize("admin", [True, False])
async def test_the_jobs_of_a_workspace_that_does_not_exist_are_none_or_forbidden(
    session: aiohttp.ClientSession, admin: bool
) -> None:
    """
    ``GET /jobs?workspaceIds=`` naming a workspace that does not exist, alone or beside one
    that does, is an empty page to an instance admin and the role check's 403 to anyone else:
    airbytehq/airbyte-platform ``JobsController.listJobs`` (@08783db5) checks WORKSPACE_READER
    on the workspaces named when no ``connectionId`` is given, ``AuthenticationHeaderResolver
    .resolveWorkspace`` (@10a57bfc) takes the ids as they are, without a look-up, and
    ``RoleResolver.resolveRoles`` (@2a64d2d2) grants a workspace role only when every workspace
    named has a permission, while an instance admin holds every role.
    """
    async with Emulator(airbyte_version="head", connections=1, instance_admin=admin) as emu:
        d = Driver(emu, session)
        known = emu.workspace_ids[0]
        answers = [
            await d.call("GET", "/jobs", query=query, expect=200 if admin else 403)
            for query in (
                [("workspaceIds", _UNKNOWN_CONNECTION)],
                [("workspaceIds", known), ("workspaceIds", _UNKNOWN_CONNECTION)],
            )
        ]
        # With a connectionId, the role check is the connection's alone.
        by_connection = await d.call(
            "GET",
            "/jobs",
            query=[("connectionId", emu.connection_ids[0]), ("workspaceIds", _UNKNOWN_CONNECTION)],
        )

    assert by_connection["data"] == []
    for answer in answers:
        if admin:
            assert answer["data"] == []
        else:
            assert answer["data"]["message"] == (
                "Caller does not have the required WORKSPACE_READER permissions to access the "
                "resource(s)."
            )


async def test_the_public_token_route_never_checks_the_grant_type(
    session: aiohttp.ClientSession,
) -> None:
    """
    ``POST /applications/token`` mints a token for the right credentials whatever the grant
    says: with ``grant_type`` (the name the spec's ``required`` lists), with ``grant-type``
    (the property public-api-head.yaml declares), with another grant, with none, as JSON or
    as a form. Airbyte never reads the grant (airbytehq/airbyte-platform @0bfb1002
    ``ApplicationsController.publicGetAccessToken`` passes only ``clientId`` and
    ``clientSecret`` to ``applicationService.getToken``), and the generated model's
    ``grant-type`` is optional, ``required`` naming another property (API-FACTS 1.2).
    """
    auth = RequireClientCredentials("app", "s3cret")
    credentials = {"client_id": "app", "client_secret": "s3cret"}
    url = "/api/public/v1/applications/token"
    grants: list[dict[str, str]] = [
        {"grant_type": "client_credentials"},
        {"grant-type": "client_credentials"},
        {"grant_type": "password"},
        {},
    ]
    async with Emulator(airbyte_version="head", auth=auth) as emu:
        for grant in grants:
            async with session.post(emu.url + url, json=credentials | grant) as response:
                assert response.status == 200, grant
                assert (await response.json())["token_type"] == "Bearer"
        async with session.post(emu.url + url, data=credentials) as response:
            assert response.status == 200
        wrong = {"client_id": "app", "client_secret": "nope"}
        async with session.post(emu.url + url, json=wrong) as response:
            assert response.status == 400


async def test_faults_and_stats_cover_public_routes(session: aiohttp.ClientSession) -> None:
    """Fault rules match public routes by spec path, an injected 5xx comes as the public API's
    ``unexpected-problem`` (API-FACTS 6.4), and stats count requests per spec path
    (``/public/v1/jobs/{jobId}``), so one job's reads are one route (issue 12)."""
    fault = Fault(kind="error", route="/public/v1/jobs", status=503, times=1)
    async with Emulator(airbyte_version="head", connections=1, faults=[fault]) as emu:
        d = Driver(emu, session)
        cid = emu.connection_ids[0]
        body = {"jobType": "sync", "connectionId": cid}
        problem = await d.call("POST", "/jobs", body, expect=503)
        job = await d.call("POST", "/jobs", {"jobType": "sync", "connectionId": cid})
        await d.call("GET", f"/jobs/{job['jobId']}")
        await d.call("GET", f"/jobs/{job['jobId']}")
        stats = emu.stats()
    assert stats.requests_by_route["/public/v1/jobs"] == 2
    assert stats.requests_by_route["/public/v1/jobs/{jobId}"] == 2
    assert stats.faults_injected == {"error": 1}
    assert stats.jobs_by_connection == {cid: [job["jobId"]]}
    assert problem["title"] == "unexpected-problem" and problem["status"] == 503


async def test_a_fault_with_a_method_spares_the_other_methods_of_its_route(
    session: aiohttp.ClientSession,
) -> None:
    """A fault for ``GET`` on ``/public/v1/jobs`` fails the listings and not the triggers that
    share the path."""
    fault = Fault(kind="error", route="/public/v1/jobs", method="get", status=503)
    async with Emulator(airbyte_version="head", connections=1, faults=[fault]) as emu:
        d = Driver(emu, session)
        cid = emu.connection_ids[0]
        job = await d.call("POST", "/jobs", {"jobType": "sync", "connectionId": cid})
        await d.call("GET", "/jobs", expect=503)
        stats = emu.stats()
    assert stats.jobs_by_connection == {cid: [job["jobId"]]}
    assert stats.faults_injected == {"error": 1}


async def _status(session: aiohttp.ClientSession, url: str, method: str = "GET") -> int:
    async with session.request(method, url, json={} if method == "POST" else None) as response:
        return response.status


@pytest.mark.parametrize(
    ("version", "public"), [("0.40", 404), ("0.50", 404), ("1.7", 200), ("2.0", 200), ("head", 200)]
)
async def test_health_routes_per_version(
    session: aiohttp.ClientSession, version: str, public: int
) -> None:
    """Every version answers the Config API's ``GET /api/v1/health`` (API-FACTS 2.7); the
    public API is served from 1.7 on (self-managed 1.0 on serves ``/api/public/v1``: API-FACTS
    1.2 and 7, PEERS 3.5), so 1.7, 2.0 and head answer ``GET /api/public/v1/health``
    (public-api-head.yaml ``/health``) and 0.x answers it 404."""
    async with Emulator(airbyte_version=version) as emu:
        assert await _status(session, f"{emu.url}/api/v1/health") == 200
        assert await _status(session, f"{emu.url}/api/public/v1/health") == public


async def test_a_public_path_no_controller_serves_is_the_not_found_controllers_404(
    session: aiohttp.ClientSession,
) -> None:
    """A public API path nothing serves, under a prefix (its health too) or not, gets
    NotFoundController's global 404, the bare text "Object not found." labelled JSON, not a
    problem (airbyte-platform ``airbyte-server/.../apis/controllers/NotFoundController.kt``)."""
    async with Emulator(airbyte_version="head") as emu:
        for url in (f"{emu.url}/prefix/api/public/v1/health", f"{emu.url}/api/public/v1/syncs"):
            async with session.get(url) as response:
                assert response.status == 404
                assert response.content_type == "application/json"
                assert await response.text() == "Object not found."


@pytest.mark.parametrize("version", ["1.7", "head"])
async def test_a_server_without_the_config_api(
    session: aiohttp.ClientSession, version: str
) -> None:
    """With ``config_api=False`` every Config API route answers 404 while the public API, its
    health and its token route work, as behind an ingress that routes only ``/api/public`` to
    airbyte-server (airbytehq/airbyte ``docs/deploying-airbyte/integrations/ingress.md``)."""
    async with Emulator(airbyte_version=version, connections=1, config_api=False) as emu:
        assert await _status(session, f"{emu.url}/api/v1/health") == 404
        assert await _status(session, f"{emu.url}/api/v1/connections/list", "POST") == 404
        assert await _status(session, f"{emu.url}/api/public/v1/health") == 200
        assert await _status(session, f"{emu.url}/api/public/v1/connections") == 200
        token = f"{emu.url}/api/public/v1/applications/token"
        assert await _status(session, token, "POST") != 404


async def test_the_emulator_command_takes_no_config_api(session: aiohttp.ClientSession) -> None:
    """``airbyte-async emulator --no-config-api`` builds the public-only server above."""
    parser = argparse.ArgumentParser()
    add_emulator_arguments(parser)
    args = parser.parse_args(["--airbyte-version", "head", "--no-config-api"])
    async with _emulator(args) as emu:
        assert await _status(session, f"{emu.url}/api/v1/health") == 404
        assert await _status(session, f"{emu.url}/api/public/v1/health") == 200


def test_only_a_version_with_the_public_api_can_do_without_the_config_api() -> None:
    """``config_api=False`` needs the public API, which 0.x does not serve: a ValueError."""
    with pytest.raises(ValueError, match=r"0\.50 serves no public API \(it came in 1\.7\)"):
        Emulator(airbyte_version="0.50", config_api=False)


async def _ended_syncs(d: Driver, emu: Emulator, cid: str, count: int) -> list[int]:
    """The ids of *count* syncs of *cid*, started one after another, each ended."""
    emu.set_sync_plan(cid, duration=0.0)
    made = []
    for _ in range(count):
        job = await d.call("POST", "/jobs", {"jobType": "sync", "connectionId": cid})
        await _until_ended(d, job["jobId"])
        made.append(job["jobId"])
    return made


async def test_jobs_are_listed_oldest_first_unless_ordered(session: aiohttp.ClientSession) -> None:
    """``GET /jobs`` without ``orderBy`` lists the oldest job first: the controller's
    ``JobsHelper.orderByToFieldAndMethod`` defaults to ``createdAt|ASC`` (airbyte-platform);
    ``createdAt|DESC`` lists the newest first."""
    async with one_connection(session) as (emu, d, cid):
        made = await _ended_syncs(d, emu, cid, 3)
        default = await d.call("GET", "/jobs", query=[("connectionId", cid), ("limit", "2")])
        newest = await d.call(
            "GET",
            "/jobs",
            query=[("connectionId", cid), ("limit", "2"), ("orderBy", "createdAt|DESC")],
        )
    assert [j["jobId"] for j in default["data"]] == made[:2]
    assert [j["jobId"] for j in newest["data"]] == made[:0:-1]


async def test_order_by_is_read_as_jobs_helper_reads_it(session: aiohttp.ClientSession) -> None:
    """
    ``orderBy`` is read as ``JobsHelper.orderByToFieldAndMethod`` reads it (airbytehq/airbyte-
    platform @52d62597): the first ``<field>|ASC`` or ``<field>|DESC`` found in it
    (``Matcher.find``: ``updatedAt|DESCENDING`` is descending, text around it ignored), its
    field in any case (``toEnum`` compares ``normalizeName``s, ``Enums.kt`` @df62c230), its
    method in upper case; anything else a 400 ``bad-request`` "Invalid order by clause
    provided: <orderBy>".
    """
    async with one_connection(session) as (emu, d, cid):
        made = await _ended_syncs(d, emu, cid, 3)

        async def listed(order: str) -> list[int]:
            query = [("connectionId", cid), ("orderBy", order)]
            return [j["jobId"] for j in (await d.call("GET", "/jobs", query=query))["data"]]

        orders = {
            text: await listed(text)
            for text in (
                "createdat|DESC",
                "CREATEDAT|ASC",
                "updatedAt|DESCENDING",
                "sort=updatedAt|ASC&x",
            )
        }
        refused = []
        for text in ("createdAt|desc", "name|ASC", "created_at|ASC", "createdAt"):
            query = [("connectionId", cid), ("orderBy", text)]
            refused.append(
                await d.call("GET", "/jobs", query=query, expect=400, check_request=False)
            )
    assert orders == {
        "createdat|DESC": made[::-1],
        "CREATEDAT|ASC": made,
        "updatedAt|DESCENDING": made[::-1],
        "sort=updatedAt|ASC&x": made,
    }
    assert [p["data"]["message"] for p in refused] == [
        "Invalid order by clause provided: createdAt|desc",
        "Invalid order by clause provided: name|ASC",
        "Invalid order by clause provided: created_at|ASC",
        "Invalid order by clause provided: createdAt",
    ]
    assert {p["title"] for p in refused} == {"bad-request"}


@pytest.mark.parametrize("version", ["1.7", "head"])
async def test_a_job_type_the_spec_does_not_list_is_a_422_before_the_controller(
    session: aiohttp.ClientSession, version: str
) -> None:
    """
    ``POST /jobs`` with a ``jobType`` ``JobTypeEnum`` lacks fails Jackson's reading of the
    body, before the controller runs: ``InvalidJsonInputExceptionHandler``'s 422 with the
    Config API's body of the version (head ``{errorId}``, before 2.0 ``KnownExceptionInfo``;
    API-FACTS 6.2), not a problem; no job starts. (A known type the controller refuses, a
    refresh, is its 422 ``unprocessable-entity`` problem.)
    """
    async with Emulator(
        trigger_latency=TEST_TRIGGER_LATENCY, airbyte_version=version, connections=1
    ) as emu:
        d = Driver(emu, session, pc.load_public_spec())
        cid = emu.connection_ids[0]
        body = {"jobType": "bogus", "connectionId": cid}
        answer = await d.call("POST", "/jobs", body, expect=422, check_request=False)
        listed = await d.call("GET", "/jobs", query=[("connectionId", cid)])
    assert "type" not in answer
    if version == "head":
        assert list(answer) == ["errorId"]
    else:
        assert answer["exceptionClassName"].startswith("com.fasterxml.jackson")
        assert "jobType" in answer["message"]
    assert listed["data"] == []


async def test_an_id_in_upper_case_names_the_same_object_on_the_public_routes(
    session: aiohttp.ClientSession,
) -> None:
    """
    Airbyte parses the public API's ids as UUIDs, so an id in upper case names the object its
    lower-case form names, and answers name it in lower case: in a path (airbytehq/airbyte-
    platform ``SourcesController.publicGetSource``: ``UUID.fromString(sourceId)``, or a
    ``sourceId: UUID``), a ``List<UUID>`` query parameter (``workspaceIds``, converted by
    Micronaut), a String one the controller parses (``GET /jobs?connectionId=``:
    ``UUID.fromString(connectionId)``, ``JobsController``; ``GET /streams?sourceId=``) and a
    body's id (``format: uuid``, Jackson's ``UUIDDeserializer``; ``POST /jobs``'s
    ``connectionId``, a String, ``UUID.fromString`` again).
    """
    async with one_connection(session) as (emu, d, cid):
        emu.set_sync_plan(cid, duration=0.0)
        wid = emu.workspace_ids[0]
        created = await d.call(
            "POST",
            "/sources",
            {
                "name": "upper",
                "workspaceId": wid.upper(),
                "configuration": {"sourceType": "postgres", **PG},
            },
        )
        sid = created["sourceId"]
        got = await d.call("GET", f"/sources/{sid.upper()}")
        listed = await d.call("GET", "/sources", query=[("workspaceIds", wid.upper())])
        streams = await d.call("GET", "/streams", query=[("sourceId", sid.upper())])
        job = await d.call("POST", "/jobs", {"jobType": "sync", "connectionId": cid.upper()})
        jobs = await d.call("GET", "/jobs", query=[("connectionId", cid.upper())])
        connection = await d.call("GET", f"/connections/{cid.upper()}")
        workspace = await d.call("GET", f"/workspaces/{wid.upper()}")
    assert created["workspaceId"] == wid
    assert got["sourceId"] == sid
    assert sid in [s["sourceId"] for s in listed["data"]]
    assert streams
    assert job["connectionId"] == cid
    assert [j["jobId"] for j in jobs["data"]] == [job["jobId"]]
    assert connection["connectionId"] == cid
    assert workspace["workspaceId"] == wid


async def test_a_sync_of_an_unknown_connection_is_a_resource_not_found_problem(
    session: aiohttp.ClientSession,
) -> None:
    """``POST /jobs`` for a connection that does not exist answers ``ResourceNotFoundProblem``
    (``ConfigClientErrorHandler.handleSyncError`` maps ``ConfigNotFoundException`` to it),
    whose detail names no id, with status 400: API-FACTS 6.4 lists it as a 404, but
    airbytehq/airbyte-platform's ``api-problems.yaml`` gives it ``status`` 400 (before it,
    ``ResourceNotFoundProblem`` was ``HttpStatus.BAD_REQUEST``), as real servers answer."""
    unknown = "7f3c1a2e-0000-4000-8000-000000000001"
    async with one_connection(session) as (_, d, _):
        problem = await d.call(
            "POST", "/jobs", {"jobType": "sync", "connectionId": unknown}, expect=400
        )
    assert problem["status"] == 400
    assert problem["title"] == "resource-not-found"
    assert unknown not in problem["detail"]


async def _config(
    session: aiohttp.ClientSession, emu: Emulator, route: str, body: dict[str, Any]
) -> Any:
    """The emulator's Config API answer to *route* with *body*."""
    async with session.post(f"{emu.url}/api/v1/{route}", json=body) as r:
        assert r.status == 200, await r.text()
        return await r.json()


async def test_a_workspace_created_on_the_public_api_goes_to_the_default_organization(
    session: aiohttp.ClientSession,
) -> None:
    """``POST /workspaces`` files the workspace in the default organization whatever
    ``organizationId`` says (airbytehq/airbyte-platform ``WorkspaceServiceImpl.createWorkspace``
    at ``4ab2909f``: "For now this should always be true in OSS"), answers a WorkspaceResponse
    with 200, and the workspace is listed after."""
    async with Emulator(airbyte_version="head", connections=0) as emu:
        d = Driver(emu, session)
        other = "5e1a0000-0000-4000-8000-00000000000b"
        created = await d.call(
            "POST", "/workspaces", {"name": "analytics", "organizationId": other}
        )
        read = await _config(
            session, emu, "workspaces/get", {"workspaceId": created["workspaceId"]}
        )
        listed = await d.call("GET", "/workspaces")

    assert read["organizationId"] == "00000000-0000-0000-0000-000000000000"
    assert read["name"] == "analytics"
    assert created["workspaceId"] in {w["workspaceId"] for w in listed["data"]}


async def test_a_workspaces_definitions_are_the_ones_it_may_use(
    session: aiohttp.ClientSession,
) -> None:
    """``GET /workspaces/{id}/definitions/sources`` lists what the Config API's
    ``source_definitions/list_for_workspace`` does (airbytehq/airbyte-platform
    ``DefinitionsController.publicListSourceDefinitions`` at ``8d2a5777``, which calls
    ``listSourceDefinitionsForWorkspace``: the public definitions and the workspace's custom
    ones; ``SourceDefinitionsHandler.listAllowedSourceDefinitions`` at ``8a6509c2``), each as
    ``toPublicApiModel`` maps it: id, name, image, tag and documentation; destinations alike.
    ``GET /connector_definitions`` names the same, the tag as ``version``
    (``ConnectorDefinitionsController`` at ``0ff2d848``)."""
    async with Emulator(airbyte_version="head", connections=0) as emu:
        d = Driver(emu, session)
        wid = emu.workspace_ids[0]
        for kind in ("source", "destination"):
            public = await d.call("GET", f"/workspaces/{wid}/definitions/{kind}s")
            config = await _config(
                session, emu, f"{kind}_definitions/list_for_workspace", {"workspaceId": wid}
            )
            listed = await d.call(
                "GET", "/connector_definitions", query=[("type", kind), ("workspaceId", wid)]
            )
            expected = [
                {
                    "id": c[f"{kind}DefinitionId"],
                    "name": c["name"],
                    "dockerRepository": c["dockerRepository"],
                    "dockerImageTag": c["dockerImageTag"],
                    "documentationUrl": c["documentationUrl"],
                }
                for c in config[f"{kind}Definitions"]
            ]
            assert public == {"data": expected}
            assert listed["data"] == [
                {
                    "id": e["id"],
                    "name": e["name"],
                    "connectorDefinitionType": kind,
                    "version": e["dockerImageTag"],
                }
                for e in expected
            ]


async def test_connector_definitions_without_a_workspace_is_an_uncaught_error(
    session: aiohttp.ClientSession,
) -> None:
    """``GET /connector_definitions`` without ``workspaceId`` throws "Workspace ID must be
    provided." outside any problem mapping (``ConnectorDefinitionsController`` at
    ``0ff2d848``): the server's ``UncaughtExceptionHandler`` (``5c00290a``) answers 500 with
    an ``errorId`` alone."""
    async with Emulator(airbyte_version="head", connections=0) as emu:
        d = Driver(emu, session)
        answer = await d.call(
            "GET", "/connector_definitions", query=[("type", "source")], expect=500
        )

    assert list(answer) == ["errorId"]
