"""
Public API job listings that ask for refreshes or clears beside other types. Before head,
``GET /jobs`` without ``jobType`` lists syncs and resets alone (``JobService.getJobConfigTypes``,
airbytehq/airbyte-platform ``4ab2909f``; head lists every type, ``JobServiceTest`` at
``2c2663d2``): the client lists those types apart, by ``jobType``, and merges.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import AsyncIterator

import pytest

from airbyte_async import AirbyteClient, NoAuth
from airbyte_async.models import JobStatus, JobType
from airbyte_async.testing import Emulator

pytestmark = pytest.mark.anyio

SYNCS = (JobType.SYNC, JobType.REFRESH)
LIVE = (JobStatus.PENDING, JobStatus.RUNNING)


@pytest.fixture
async def refreshing() -> AsyncIterator[tuple[AirbyteClient, str, int]]:
    """A 2.0 emulator whose one connection runs a refresh (started through the Config API):
    a public client, the connection, and the refresh's job id."""
    async with Emulator(airbyte_version="2.0", connections=1, trigger_latency=0.0) as emu:
        (cid,) = emu.connection_ids
        emu.set_sync_plan(cid, duration=60.0)
        async with AirbyteClient(emu.url, auth=NoAuth(), env={}, api="config") as config:
            answer = await config.request(
                "connections/refresh", {"connectionId": cid, "refreshMode": "Truncate"}
            )
        async with AirbyteClient(emu.url, auth=NoAuth(), env={}, api="public") as client:
            yield client, cid, answer["job"]["id"]


async def test_every_job_listed_finds_a_refresh_listed_apart(
    refreshing: tuple[AirbyteClient, str, int],
) -> None:
    """``jobs.list`` of syncs and refreshes finds the refresh, as its first page does."""
    client, cid, refresh = refreshing

    listed = [job.id async for job in client.jobs.list(connection_id=cid, job_types=SYNCS)]
    page = await client.jobs.list_page(connection_id=cid, job_types=SYNCS)

    assert listed == [job.id for job in page.jobs] == [refresh]


async def test_a_page_whose_types_are_an_iterator_finds_the_refresh(
    refreshing: tuple[AirbyteClient, str, int],
) -> None:
    """Job types given as an iterator are read once, for the listing and the refreshes',
    rather than found empty the second time (an InvalidArgumentError)."""
    client, cid, refresh = refreshing

    page = await client.jobs.list_page(connection_id=cid, job_types=iter(SYNCS))

    assert [job.id for job in page.jobs] == [refresh]


async def test_a_page_whose_statuses_are_an_iterator_finds_the_refresh(
    refreshing: tuple[AirbyteClient, str, int],
) -> None:
    """Statuses given as an iterator filter the refreshes' listing too, rather than none
    passing there."""
    client, cid, refresh = refreshing

    page = await client.jobs.list_page(connection_id=cid, job_types=SYNCS, statuses=iter(LIVE))

    assert [job.id for job in page.jobs] == [refresh]


async def test_changes_whose_statuses_are_an_iterator_find_the_refresh(
    refreshing: tuple[AirbyteClient, str, int],
) -> None:
    """``list_changes`` with statuses given as an iterator finds the refresh listed apart."""
    client, _, refresh = refreshing
    since = dt.datetime.now(dt.UTC) - dt.timedelta(minutes=5)

    changes = await client.jobs.list_changes(
        workspace_ids=[], updated_at_start=since, statuses=iter(LIVE), job_types=SYNCS
    )

    assert [change.id for change in changes] == [refresh]
