"""How a poll reads each listed job: three fields checked, the rest only for the jobs wanted."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from test_bad_input import Serve, odd_server  # noqa: F401 (a fixture)

from airbyte_async import AirbyteClient, NoAuth
from airbyte_async.errors import ResponseValidationError
from airbyte_async.models import JobStatus
from airbyte_async.testing import Emulator

#: Ids in the form the client checks for (every Airbyte id is a UUID).
W = "00000000-0000-4000-8000-00000000000a"
X = "00000000-0000-4000-8000-00000000000b"
S = "00000000-0000-4000-8000-00000000000c"
D = "00000000-0000-4000-8000-00000000000d"
C = "00000000-0000-4000-8000-00000000000e"


pytestmark = pytest.mark.anyio

_SINCE = dt.datetime(2026, 12, 2, tzinfo=dt.UTC)


def _entry(**job: Any) -> dict[str, Any]:
    fields = {"id": 7, "configType": "sync", "configId": "c", "createdAt": 1, "updatedAt": 2}
    return {"job": {**fields, "status": "succeeded", **job}, "attempts": []}


async def _changes(url: str) -> Any:
    async with AirbyteClient(url, auth=NoAuth(), env={}, api="config") as client:
        return await client.jobs.list_changes(workspace_ids=[W], updated_at_start=_SINCE)


async def test_a_status_this_library_does_not_know_is_kept_and_not_final(
    odd_server: Serve,  # noqa: F811
) -> None:
    """A listed job whose status is new to this library keeps it, and is not final."""
    url = await odd_server({"jobs": [_entry(status="paused_for_review")], "totalJobCount": 1})

    [change] = await _changes(url)

    assert change.status == "paused_for_review"
    assert not change.status.is_terminal
    assert change.job().status == "paused_for_review"


async def test_a_known_status_is_the_enum_member(odd_server: Serve) -> None:  # noqa: F811
    """A listed job's known status is the JobStatus member itself, stamped in seconds."""
    url = await odd_server({"jobs": [_entry(status="cancelled", updatedAt=5)]})

    [change] = await _changes(url)

    assert change.status is JobStatus.CANCELLED
    assert (change.id, change.updated_at) == (7, 5.0)


@pytest.mark.parametrize(
    "entry",
    [
        _entry(id="7"),
        _entry(id=True),
        _entry(status=3),
        _entry(updatedAt="2026-12-02"),
        {"attempts": []},
        {"job": [1]},
        "job",
    ],
)
async def test_a_listed_job_without_an_id_status_and_time_is_refused(
    odd_server: Serve,  # noqa: F811
    entry: Any,
) -> None:
    """A listed job whose id, status or update time is missing or of the wrong type raises
    ResponseValidationError naming where, never a TypeError or AttributeError."""
    url = await odd_server({"jobs": [entry]})

    with pytest.raises(ResponseValidationError, match=r"\$\.jobs\[\]\.job"):
        await _changes(url)


async def test_listing_the_jobs_of_workspaces_reads_every_page() -> None:
    """Every changed job is listed however many pages it takes, though the server counts
    only the page in totalJobCount (API-FACTS: JobHistoryHandler.listJobsForWorkspaces)."""
    async with (
        Emulator(connections=5, sync_duration=(0, 0), trigger_latency=0) as emu,
        AirbyteClient(emu.url, auth=NoAuth(), env={}, api="config") as client,
    ):
        ids = {(await client.connections.sync(connection_id=c)).id for c in emu.connection_ids}
        workspaces = [w.workspace_id async for w in client.workspaces.list()]
        changes = await client.jobs.list_changes(
            workspace_ids=workspaces, updated_at_start=_SINCE, page_size=2
        )
        listed = client.jobs.list_for_workspaces(workspace_ids=workspaces, page_size=2)

        assert {c.id for c in changes} == ids
        assert {job.id async for job in listed} == ids


@pytest.mark.parametrize("api", ["config", "public"])
async def test_a_listed_change_names_the_connection_its_job_ran_for(api: str) -> None:
    """Each change carries its job's configId (the connection's id, for a sync), so a caller
    picks a connection's jobs without reading every job in full."""
    async with (
        Emulator(airbyte_version="head", connections=3, sync_duration=(0, 0)) as emu,
        AirbyteClient(emu.url, auth=NoAuth(), env={}, api=api) as client,  # type: ignore[arg-type]
    ):
        jobs = {(await client.connections.sync(connection_id=c)).id: c for c in emu.connection_ids}
        changes = await client.sync_backend().changed_jobs(
            workspace_ids=emu.workspace_ids, since=_SINCE
        )

    assert {c.id: c.config_id for c in changes.changes} == jobs
