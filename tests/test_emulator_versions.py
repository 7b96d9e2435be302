"""
The 1.7 and 2.0 profiles: what each fact that dates a change between 0.50 and head makes the
emulator answer (``airbyte_async/testing/_versions.py`` lists them).
"""

from __future__ import annotations

import aiohttp
import emulator_support
import pytest
from emulator_support import call, sync, wait_terminal

from airbyte_async.testing import VERSIONS, Emulator, pytest_plugin

pytestmark = pytest.mark.anyio

airbyte_emulator_factory = pytest_plugin.airbyte_emulator_factory
Factory = pytest_plugin.EmulatorFactory
http = emulator_support.http

UNKNOWN = "11111111-1111-4111-8111-111111111111"


def test_versions_run_oldest_first() -> None:
    """The emulator plays 0.40, 0.50, 1.7, 2.0 and head, and knows no other."""
    assert VERSIONS == ("0.40", "0.50", "1.7", "2.0", "head")
    with pytest.raises(ValueError, match=r"0\.40, 0\.50, 1\.7, 2\.0, head"):
        Emulator(airbyte_version="1.8")


@pytest.mark.parametrize(("version", "served"), [("0.50", True), ("1.7", False), ("2.0", False)])
async def test_workspaces_list_is_gone_from_1_7_on(
    airbyte_emulator_factory: Factory, http: aiohttp.ClientSession, version: str, served: bool
) -> None:
    """workspaces/list went in v1.7.0 (commit 3e5ff65d; API-FACTS 2.1 and 8): from 1.7 on,
    NotFoundController's "Object not found." answers it, while list_by_organization_id
    stays."""
    emu = await airbyte_emulator_factory(airbyte_version=version, workspaces=2)
    listed = await call(http, emu, "workspaces/list")
    by_org = await call(
        http,
        emu,
        "workspaces/list_by_organization_id",
        {"organizationId": "00000000-0000-0000-0000-000000000000"},
    )
    assert (listed.status, len(by_org.json["workspaces"])) == ((200, 2) if served else (404, 2))
    if not served:
        assert listed.text == "Object not found."


@pytest.mark.parametrize(("version", "stack"), [("1.7", True), ("2.0", False)])
async def test_error_bodies_lose_their_stack_in_2_0(
    airbyte_emulator_factory: Factory, http: aiohttp.ClientSession, version: str, stack: bool
) -> None:
    """Error bodies are 0.x's (message, exceptionClassName, exceptionStack) until v2.0.0,
    whose handlers send {errorId} for a missing id and {message, errorId} for a known
    exception such as the 409 of a sync already running (commit 75054177; API-FACTS 6.2, 8)."""
    emu = await airbyte_emulator_factory(airbyte_version=version, connections=1)
    cid = emu.connection_ids[0]
    emu.set_sync_plan(cid, duration=5)
    await sync(http, emu, cid)
    busy = await call(http, emu, "connections/sync", {"connectionId": cid})
    missing = await call(http, emu, "connections/get", {"connectionId": UNKNOWN})

    assert (busy.status, missing.status) == (409, 404)
    assert busy.json["message"] == f"A sync is already running for: {cid}"
    if stack:
        assert busy.json["exceptionClassName"].endswith("ValueConflictKnownException")
        assert missing.json["exceptionStack"]
        assert "errorId" not in busy.json
        assert "errorId" not in missing.json
    else:
        assert set(busy.json) == {"message", "errorId"}
        assert set(missing.json) == {"errorId"}


@pytest.mark.parametrize("version", ["1.7", "2.0"])
async def test_no_job_is_queued_before_head(
    airbyte_emulator_factory: Factory, http: aiohttp.ClientSession, version: str
) -> None:
    """JobStatus.queued came in commit 227f2d1f (2026-03-16), "absent in v2.0.0 and everything
    older" (API-FACTS 3): a pending job runs without being queued, the sync trigger answers
    once it runs (head's answer while pending is its capacity-bound path, API-FACTS 6.3), and
    jobs/list refuses the value as an unknown enum (422)."""
    emu = await airbyte_emulator_factory(
        airbyte_version=version, connections=1, pending_duration=0.2
    )
    cid = emu.connection_ids[0]
    emu.set_sync_plan(cid, duration=0.05)
    info = await sync(http, emu, cid)
    seen = await wait_terminal(http, emu, info["job"]["id"])
    refused = await call(http, emu, "jobs/list", {"configTypes": ["sync"], "statuses": ["queued"]})

    assert info["job"]["status"] == "running"
    assert "queued" not in seen
    assert refused.status == 422


@pytest.mark.parametrize(("version", "cursor"), [("1.7", False), ("2.0", True)])
async def test_actor_lists_page_from_1_8_on(
    airbyte_emulator_factory: Factory, http: aiohttp.ClientSession, version: str, cursor: bool
) -> None:
    """sources/list takes {workspaceId, cursor?, sortKey?, filters?, pageSize?} from v1.8.0
    (commit c742220e; API-FACTS 2.3, 8): 2.0 answers one page of pageSize, 1.7 ignores the
    key it does not know and answers every source, as 0.x does."""
    emu = await airbyte_emulator_factory(airbyte_version=version, connections=3)
    body = {"workspaceId": emu.workspace_ids[0], "pageSize": 2}
    page = await call(http, emu, "sources/list", body)

    assert page.status == 200
    assert len(page.json["sources"]) == (2 if cursor else 3)


@pytest.mark.parametrize(("version", "locked"), [("2.0", False), ("head", True)])
async def test_locked_connections_come_after_2_0(
    airbyte_emulator_factory: Factory, http: aiohttp.ClientSession, version: str, locked: bool
) -> None:
    """ConnectionStatus.locked came in commit 37d38e81 (2025-10-16, after v2.0.0; API-FACTS
    5): 2.0 refuses it as an unknown enum value."""
    emu = await airbyte_emulator_factory(airbyte_version=version, connections=1)
    cid = emu.connection_ids[0]
    answer = await call(http, emu, "connections/update", {"connectionId": cid, "status": "locked"})
    assert (answer.status == 200) is locked
    if not locked:
        assert answer.status == 422


@pytest.mark.parametrize("version", ["1.7", "2.0"])
async def test_1_x_has_what_came_by_0_63(
    airbyte_emulator_factory: Factory, http: aiohttp.ClientSession, version: str
) -> None:
    """What v0.63.0 already had is in 1.7 and 2.0 (API-FACTS 2.1, 3, 8): WorkspaceCreate
    requires organizationId (a bare 400 without it), and jobs/list knows refresh and clear."""
    emu = await airbyte_emulator_factory(airbyte_version=version)
    bare = await call(http, emu, "workspaces/create", {"name": "w"})
    listed = await call(http, emu, "jobs/list", {"configTypes": ["refresh", "clear"]})
    assert (bare.status, listed.status) == (400, 200)


async def _public(
    http: aiohttp.ClientSession, emu: Emulator, method: str, path: str, body: object = None
) -> tuple[int, dict[str, object]]:
    """One request to ``/api/public/v1<path>``: the status and the JSON body."""
    url = f"{emu.url}/api/public/v1{path}"
    async with http.request(method, url, json=body) as response:
        return response.status, await response.json(content_type=None)


@pytest.mark.parametrize(
    ("version", "answered"), [("1.7", "running"), ("2.0", "running"), ("head", "pending")]
)
async def test_a_public_sync_answers_once_its_job_runs_before_head(
    airbyte_emulator_factory: Factory, http: aiohttp.ClientSession, version: str, answered: str
) -> None:
    """The public ``POST /jobs`` of a sync answers once the job exists on head
    (``returnAfterJobId = true``, API-FACTS 6.3) but once it runs before: the 2025
    ``JobsController.publicCreateJob`` calls ``JobService.sync(connectionId)``, which calls
    ``SchedulerHandler.syncConnection`` (airbytehq/airbyte-platform ``ea59859a``,
    ``4ab2909f``); a pending job holds that answer back, and is never queued."""
    emu = await airbyte_emulator_factory(
        airbyte_version=version, connections=1, pending_duration=0.2
    )
    cid = emu.connection_ids[0]
    emu.set_sync_plan(cid, duration=0.05)
    status, job = await _public(
        http, emu, "POST", "/jobs", {"jobType": "sync", "connectionId": cid}
    )
    seen = await wait_terminal(http, emu, int(str(job["jobId"])))

    assert (status, job["status"]) == (200, answered)
    assert ("queued" in seen) is (version == "head")


@pytest.mark.parametrize(("version", "locked"), [("2.0", False), ("head", True)])
async def test_public_connections_are_not_locked_before_head(
    airbyte_emulator_factory: Factory, http: aiohttp.ClientSession, version: str, locked: bool
) -> None:
    """The public ``ConnectionStatusEnum`` maps onto the Config API's, whose ``locked`` came
    after v2.0.0 (commit 37d38e81; API-FACTS 5): before head a ``PATCH`` naming it is a body
    Jackson cannot read, as for any value the enum lacks: a 422 with the Config API's body
    (``InvalidJsonInputExceptionHandler``; 2.0's, an error id alone)."""
    emu = await airbyte_emulator_factory(airbyte_version=version, connections=1)
    cid = emu.connection_ids[0]
    status, answer = await _public(http, emu, "PATCH", f"/connections/{cid}", {"status": "locked"})
    if locked:
        assert (status, answer["status"]) == (200, "locked")
    else:
        assert (status, set(answer)) == (422, {"errorId"})
