"""Every emulator route, in every version, answers what the matching spec declares."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import attrs
import pytest
import spec_conformance as sc

from airbyte_async.testing import Emulator, RequireClientCredentials
from airbyte_async.testing._routes import ROUTES
from airbyte_async.testing.pytest_plugin import TEST_TRIGGER_LATENCY

pytestmark = pytest.mark.anyio

VERSIONS = ["0.40", "0.50", "head"]
DEFAULT_ORG = "00000000-0000-0000-0000-000000000000"


@attrs.define
class Driver:
    """Sends raw requests and checks each request and response against the spec."""

    emu: Emulator
    session: aiohttp.ClientSession
    spec: sc.Spec
    seen: set[str] = attrs.Factory(set)

    async def call(
        self,
        route: str,
        body: Any = None,
        *,
        method: str = "POST",
        expect: int = 200,
        raw: bytes | None = None,
        check_request: bool = True,
    ) -> Any:
        """Send one request, assert its status, and check both messages against the spec."""
        spec_route = sc.normalize_route(route)
        if check_request and raw is None:
            assert sc.check_request(self.spec, spec_route, body, body is not None) == []
        kwargs: dict[str, Any] = {}
        if raw is not None:
            kwargs["data"] = raw
            kwargs["headers"] = {"Content-Type": "application/json"}
        elif body is not None:
            kwargs["json"] = body
        url = self.emu.url + "/api" + spec_route
        async with self.session.request(method, url, **kwargs) as response:
            text = await response.text()
            status = response.status
        try:
            parsed = json.loads(text) if text else None
        except ValueError:
            parsed = text  # a route the version lacks: NotFoundController's bare text
        assert status == expect, f"{route}: {status} {text[:500]}"
        if spec_route in self.spec.doc["paths"]:
            assert sc.check_response(self.spec, spec_route, status, parsed) == [], parsed
            self.seen.add(spec_route)
        return parsed


@pytest.fixture
async def session() -> AsyncIterator[aiohttp.ClientSession]:
    """One client session per test."""
    async with aiohttp.ClientSession() as s:
        yield s


def _config_only(catalog: dict[str, Any], version: str) -> dict[str, Any]:
    """The discovered catalog, with its streams set to incremental append."""
    for pair in catalog["streams"]:
        pair["config"] |= {"syncMode": "incremental", "cursorField": ["updated_at"]}
        pair["config"]["destinationSyncMode"] = "append"
    return catalog


async def _exercise(d: Driver, version: str) -> None:
    """Drive every route the emulator serves in *version*, with good and bad calls."""
    await d.call("health", method="GET")
    if version != "0.40":
        await d.call("instance_configuration", method="GET")
    create: dict[str, Any] = {"name": "Analytics", "email": "ops@example.com"}
    if version == "head":
        create["organizationId"] = DEFAULT_ORG
    ws = await d.call("workspaces/create", create)
    wid = ws["workspaceId"]
    await d.call("workspaces/get", {"workspaceId": wid})
    await d.call("workspaces/get_by_slug", {"slug": ws["slug"]})
    await d.call("workspaces/update", {"workspaceId": wid, "news": True})
    if version != "head":
        listed = await d.call("workspaces/list")
        assert wid in [w["workspaceId"] for w in listed["workspaces"]]
    else:
        await d.call("workspaces/list", expect=404, check_request=False)
    if version != "0.40":
        paged = {"workspaceIds": [wid], "pagination": {"pageSize": 5, "rowOffset": 0}}
        await d.call("workspaces/list_paginated", paged)
        await d.call("workspaces/list_by_organization_id", {"organizationId": DEFAULT_ORG})
        await d.call("workspaces/list_by_organization_id", {"organizationId": wid}, expect=404)

    defs = {}
    for kind in ("source", "destination"):
        listed = await d.call(f"{kind}_definitions/list")
        await d.call(f"{kind}_definitions/list_latest")
        await d.call(f"{kind}_definitions/list_for_workspace", {"workspaceId": wid})
        by_name = {x["name"]: x[f"{kind}DefinitionId"] for x in listed[f"{kind}Definitions"]}
        def_id = by_name["Postgres" if kind == "source" else "S3"]
        defs[kind] = def_id
        await d.call(f"{kind}_definitions/get", {f"{kind}DefinitionId": def_id})
        with_ws = {f"{kind}DefinitionId": def_id, "workspaceId": wid}
        await d.call(f"{kind}_definitions/get_for_workspace", with_ws)
        await d.call(f"{kind}_definition_specifications/get", with_ws)
        await d.call(f"{kind}_definitions/get", {f"{kind}DefinitionId": wid}, expect=404)

    pg = {"host": "db", "port": 5432, "database": "shop", "username": "u", "password": "p"}
    src = await d.call(
        "sources/create",
        {
            "workspaceId": wid,
            "name": "pg",
            "sourceDefinitionId": defs["source"],
            "connectionConfiguration": pg,
        },
    )
    sid = src["sourceId"]
    bad = {"workspaceId": wid, "name": "pg", "sourceDefinitionId": defs["source"]}
    await d.call("sources/create", {**bad, "connectionConfiguration": {"host": "db"}}, expect=422)
    await d.call("sources/get", {"sourceId": sid})
    listed = await d.call("sources/list", {"workspaceId": wid})
    assert [s["sourceId"] for s in listed["sources"]] == [sid]
    update = {
        "sourceId": sid,
        "name": "pg2",
        "connectionConfiguration": src["connectionConfiguration"],
    }
    await d.call("sources/update", update)
    await d.call("sources/check_connection", {"sourceId": sid})
    discovered = await d.call("sources/discover_schema", {"sourceId": sid})
    unsaved = {"sourceDefinitionId": defs["source"], "connectionConfiguration": pg}
    await d.call("scheduler/sources/discover_schema", {**unsaved, "workspaceId": wid})
    await d.call("sources/search", {"workspaceId": wid})
    s3 = {
        "s3_bucket_name": "b",
        "s3_bucket_path": "p",
        "s3_bucket_region": "us-east-1",
        "format": {"format_type": "JSONL"},
    }
    dst = await d.call(
        "destinations/create",
        {
            "workspaceId": wid,
            "name": "s3",
            "destinationDefinitionId": defs["destination"],
            "connectionConfiguration": s3,
        },
    )
    did = dst["destinationId"]
    await d.call("destinations/get", {"destinationId": did})
    await d.call("destinations/list", {"workspaceId": wid})
    dupdate = {"destinationId": did, "name": "s3b", "connectionConfiguration": s3}
    await d.call("destinations/update", dupdate)
    await d.call("destinations/check_connection", {"destinationId": did})
    await d.call("destinations/search", {"name": "s3b"})
    if version != "0.40":
        paged = {"workspaceIds": [wid], "pagination": {"pageSize": 10}}
        await d.call("sources/list_paginated", paged)
        await d.call("destinations/list_paginated", paged)
        await d.call("sources/partial_update", {"sourceId": sid, "name": "pg3"})
        await d.call("destinations/partial_update", {"destinationId": did, "name": "s3c"})

    catalog = _config_only(discovered["catalog"], version)
    conn_body = {"sourceId": sid, "destinationId": did, "status": "active", "syncCatalog": catalog}
    conn = await d.call("connections/create", {**conn_body, "name": "main"})
    cid = conn["connectionId"]
    legacy = {"units": 24, "timeUnit": "hours"}
    both = {**conn_body, "schedule": legacy, "scheduleType": "manual"}
    await d.call("connections/create", both, expect=422)
    await d.call("connections/get", {"connectionId": cid})
    await d.call("connections/get", {"connectionId": wid}, expect=404)
    await d.call("connections/list", {"workspaceId": wid})
    await d.call("connections/list_all", {"workspaceId": wid})
    await d.call("connections/search", {"sourceId": sid})
    basic = {"basicSchedule": {"timeUnit": "hours", "units": 1}}
    patch = {"connectionId": cid, "scheduleType": "basic", "scheduleData": basic}
    await d.call("connections/update", patch)
    await d.call("connections/update", {"connectionId": cid, "schedule": legacy}, expect=500)
    await d.call("connections/update", {"connectionId": cid, "scheduleType": "manual"})
    if version != "0.40":
        body = {"workspaceIds": [wid], "userId": DEFAULT_ORG, "pagination": {"pageSize": 5}}
        await d.call("connections/list_paginated", body)
        await d.call("connections/status", {"connectionIds": [cid]})
        await d.call("connections/sync_progress", {"connectionId": cid})

    d.emu.set_sync_plan(cid, duration=30.0)
    job = (await d.call("connections/sync", {"connectionId": cid}))["job"]
    await d.call("connections/sync", {"connectionId": cid}, expect=409)
    await d.call("jobs/get", {"id": job["id"]})
    await d.call("jobs/get", {"id": 10_000}, expect=500)
    await d.call("jobs/get_light", {"id": job["id"]})
    listing: dict[str, Any] = {"configTypes": ["sync"], "configId": cid}
    await d.call("jobs/list", listing)
    if version != "0.40":
        await d.call("jobs/get_without_logs", {"id": job["id"]})
        await d.call("connections/status", {"connectionIds": [cid]})
        await d.call("connections/sync_progress", {"connectionId": cid})
        when = "2000-01-01T00:00:00Z"
        filtered = {"configTypes": ["sync"], "updatedAtStart": when, "statuses": ["running"]}
        ordered = {**filtered, "orderByField": "updatedAt"}
        await d.call("jobs/list", ordered, expect=500 if version == "0.50" else 200)
        await d.call("jobs/list_for_workspaces", {**filtered, "workspaceIds": [wid]})
    else:
        await d.call("jobs/list", {"configTypes": ["sync"]}, expect=400, check_request=False)
    await d.call("jobs/get_last_replication_job", {"connectionId": cid})
    if version == "head":
        await d.call("jobs/get_last_replication_job_with_cancel", {"connectionId": cid})
    await d.call("jobs/cancel", {"id": job["id"]})
    # Ended, the connection running none: job -1 is looked up (State.stop_current).
    await d.call("jobs/cancel", {"id": job["id"]}, expect=500)
    await d.call("jobs/get", {"id": job["id"]})
    d.emu.set_sync_plan(cid, duration=0.0, outcome="failed")
    failed = (await d.call("connections/sync", {"connectionId": cid}))["job"]
    await asyncio.sleep(0.05)
    await d.call("jobs/get", {"id": failed["id"]})
    await d.call("jobs/list", listing)
    if version != "0.40":
        await d.call("connections/status", {"connectionIds": [cid]})
    reset = await d.call("connections/reset", {"connectionId": cid})
    assert reset["job"]["configType"] == "reset_connection"
    if version != "0.40":
        streams = {"connectionId": cid, "streams": [{"streamName": "orders"}]}
        some = await d.call("connections/reset/stream", streams)
        assert some["job"]["configType"] == "reset_connection"
    if version == "head":
        clear = await d.call("connections/clear", {"connectionId": cid})
        assert clear["job"]["configType"] == "reset_connection"
        # The clear's job there: the refresh waits for the connection's next job, its sync
        # refused (the job runs: an empty answer) or answered with that job once it runs.
        refresh = {"connectionId": cid, "refreshMode": "Truncate"}
        answer = await d.call("connections/refresh", refresh)
        assert answer == {} or answer["job"]["id"] == clear["job"]["id"]
    await d.call("connections/update", {"connectionId": cid, "status": "inactive"})
    await d.call("connections/sync", {"connectionId": cid}, expect=500)

    await d.call("workspaces/create", {"email": "x@example.com"}, expect=400, check_request=False)
    await d.call("workspaces/get", raw=b"{not json", expect=422)
    await d.call("connections/delete", {"connectionId": cid}, expect=204)
    await d.call("sources/delete", {"sourceId": sid}, expect=204)
    await d.call("destinations/delete", {"destinationId": did}, expect=204)
    await d.call("workspaces/delete", {"workspaceId": wid}, expect=204)
    await d.call("workspaces/get", {"workspaceId": wid}, expect=404)


@pytest.mark.parametrize("version", VERSIONS)
async def test_every_route_answers_as_its_spec_declares(
    version: str, session: aiohttp.ClientSession
) -> None:
    """Each route the emulator serves in a version gets requests and answers that fit that spec."""
    spec = sc.load_spec(version)
    async with Emulator(
        trigger_latency=TEST_TRIGGER_LATENCY, airbyte_version=version, record_requests=True
    ) as emu:
        driver = Driver(emu, session, spec)
        await _exercise(driver, version)
        for record in emu.requests:
            if record.route in ("/v1/workspaces/list",) and version == "head":
                continue
            assert record.route in spec.doc["paths"], record
    served = {path for path, r in ROUTES.items() if version in r.versions and "token" not in path}
    assert served <= driver.seen, sorted(served - driver.seen)


@pytest.mark.parametrize("version", ["0.50", "head"])
async def test_token_routes_answer_as_the_spec_declares(
    version: str, session: aiohttp.ClientSession
) -> None:
    """The token routes mint tokens and refuse bad credentials in the spec's shapes."""
    spec = sc.load_spec(version)
    auth = RequireClientCredentials("app", "s3cret")
    async with Emulator(airbyte_version=version, auth=auth) as emu:
        d = Driver(emu, session, spec)
        good = {"client_id": "app", "client_secret": "s3cret"}
        token = await d.call("applications/token", good)
        assert token["access_token"].count(".") == 2
        await d.call("applications/token", {**good, "client_secret": "no"}, expect=400)
        if version == "head":
            # public-api-head.yaml:3562: the public route requires grant_type too.
            granted = {**good, "grant_type": "client_credentials"}
            public = await d.call("/public/v1/applications/token", granted)
            assert public["token_type"] == "Bearer"
            assert public["expires_in"] == 900


@pytest.mark.parametrize("version", VERSIONS)
async def test_preloaded_objects_conform(version: str, session: aiohttp.ClientSession) -> None:
    """Pre-loaded workspaces, actors, connections and their jobs fit the spec too."""
    spec = sc.load_spec(version)
    async with Emulator(airbyte_version=version, connections=3, workspaces=2) as emu:
        d = Driver(emu, session, spec)
        for wid in emu.workspace_ids:
            await d.call("connections/list", {"workspaceId": wid})
            await d.call("sources/list", {"workspaceId": wid})
            await d.call("destinations/list", {"workspaceId": wid})
        cid = emu.connection_ids[0]
        await d.call("connections/sync", {"connectionId": cid})
        await d.call("jobs/list", {"configTypes": ["sync"], "configId": cid})


def test_every_emulated_route_exists_in_its_spec() -> None:
    """The route table only serves a route in versions whose spec has it, with its method."""
    for version in VERSIONS:
        spec = sc.load_spec(version)
        for path, r in ROUTES.items():
            if version not in r.versions:
                continue
            ops = spec.doc["paths"].get(path)
            assert ops is not None, (version, path)
            assert r.method.lower() in ops, (version, path)


@pytest.mark.parametrize(
    ("body", "problem"),
    [
        ({"connectionId": "not-a-uuid"}, "is not a uuid"),
        ({}, "required field 'connectionId' is missing"),
        ({"connectionId": "4f2a0e1c-1111-4a2b-8c3d-000000000000", "extra": 1}, "not declared"),
    ],
)
def test_checker_flags_bad_requests(body: dict[str, Any], problem: str) -> None:
    """The checker catches malformed ids, missing fields and undeclared fields."""
    spec = sc.load_spec("0.50")
    found = sc.check_request(spec, "connections/sync", body, True)
    assert any(problem in p for p in found), found


def test_checker_flags_bodies_on_bodiless_routes_and_unknown_routes() -> None:
    """A body sent to a route that takes none, and a route the version lacks, are problems."""
    spec = sc.load_spec("head")
    assert sc.check_request(spec, "source_definitions/list", {"workspaceId": "x"}, True)
    assert sc.check_request(spec, "workspaces/list", None, False)
    assert sc.check_request(spec, "source_definitions/list", None, False) == []


def test_checker_flags_invented_response_fields_and_undeclared_statuses() -> None:
    """A response with a field the schema lacks, or an impossible status, is a problem."""
    spec = sc.load_spec("0.50")
    job = {"id": 1, "configType": "sync", "configId": "c", "createdAt": 1, "updatedAt": 1}
    body = {"job": {**job, "status": "running", "summary": {}}, "attempts": []}
    found = sc.check_response(spec, "jobs/get", 200, body)
    assert any("'summary' is not declared" in p for p in found), found
    assert sc.check_response(spec, "jobs/get", 418, {"message": "x"})
    assert sc.check_response(spec, "connections/sync", 409, {"message": "busy"}) == []
    assert sc.check_response(spec, "jobs/list", 409, {"message": "busy"})


def test_checker_accepts_spec_quirks() -> None:
    """AirbyteStream's json_schema typo and oneOf logs do not trip the checker."""
    spec = sc.load_spec("head")
    attempt = {"id": 0, "status": "running", "createdAt": 1, "updatedAt": 1}
    logs = {"events": [], "version": "1"}
    job = {"id": 1, "configType": "sync", "configId": "c", "createdAt": 1, "updatedAt": 1}
    body = {
        "job": {**job, "status": "queued"},
        "attempts": [{"attempt": attempt, "logType": "structured", "logs": logs}],
    }
    assert sc.check_response(spec, "jobs/get", 200, body) == []
    old = sc.load_spec("0.50")
    assert sc.check_response(old, "jobs/get", 200, body)


def test_checks_skip_cleanly_without_the_specs(monkeypatch: pytest.MonkeyPatch) -> None:
    """Without ../shared/airbyte, loading a spec skips the test instead of failing it."""
    monkeypatch.setattr(sc, "SPEC_DIR", sc.SPEC_DIR / "missing")
    with pytest.raises(pytest.skip.Exception):
        sc.load_spec("0.50")
