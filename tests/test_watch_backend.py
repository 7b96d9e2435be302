"""The Config API behind the orchestrator's seam (SyncBackend): light listings and batch reads."""

from __future__ import annotations

import datetime as dt
from collections.abc import AsyncIterator

import anyio
import pytest

from airbyte_async import AirbyteClient, NoAuth
from airbyte_async.models import JobStatus
from airbyte_async.resources._backend import ConfigBackend
from airbyte_async.testing import Emulator

pytestmark = pytest.mark.anyio


@pytest.fixture
async def emu() -> AsyncIterator[Emulator]:
    async with Emulator(connections=4, sync_duration=(0.05, 0.1)) as emu:
        yield emu


@pytest.fixture
async def client(emu: Emulator) -> AsyncIterator[AirbyteClient]:
    async with AirbyteClient(emu.url, auth=NoAuth(), env={}) as client:
        yield client


def _backend(client: AirbyteClient) -> ConfigBackend:
    return ConfigBackend(client.connections, client.jobs)


async def _ended(client: AirbyteClient, job_id: int) -> None:
    with anyio.fail_after(10):
        await client.jobs.wait(job_id=job_id, poll_interval=0.02)


async def test_changed_jobs_project_lightly_and_read_in_full(
    emu: Emulator, client: AirbyteClient
) -> None:
    """changed_jobs lists each changed job once, and a change reads as the job jobs/get gives."""
    backend = _backend(client)
    since = dt.datetime.now(dt.UTC) - dt.timedelta(seconds=5)
    jobs = [await backend.trigger(connection_id=cid) for cid in emu.connection_ids]
    for job in jobs:
        await _ended(client, job.id)

    changed = await backend.changed_jobs(workspace_ids=emu.workspace_ids, since=since)

    assert sorted(c.id for c in changed.changes) == sorted(j.id for j in jobs)
    for change in changed.changes:
        full = await client.jobs.get(job_id=change.id)
        assert change.status == full.status == change.job().status
        assert change.job().records_synced == full.records_synced


async def test_changed_jobs_pages_overlap_without_repeating(
    emu: Emulator, client: AirbyteClient
) -> None:
    """With pages of two, every job of several pages is listed exactly once."""
    backend = ConfigBackend(client.connections, client.jobs, page_size=2)
    since = dt.datetime.now(dt.UTC) - dt.timedelta(seconds=5)
    jobs = [await backend.trigger(connection_id=cid) for cid in emu.connection_ids]

    changed = await backend.changed_jobs(workspace_ids=emu.workspace_ids, since=since)

    assert sorted(c.id for c in changed.changes) == sorted(j.id for j in jobs)


async def test_read_jobs_turns_stale_snapshots_into_current_jobs(
    emu: Emulator, client: AirbyteClient
) -> None:
    """read_jobs answers the jobs' current state from their trigger snapshots, in one listing."""
    backend = _backend(client)
    snapshots = [await backend.trigger(connection_id=cid) for cid in emu.connection_ids]
    for job in snapshots:
        await _ended(client, job.id)
    emu.reset_stats()

    read = await backend.read_jobs(snapshots, workspace_ids=emu.workspace_ids)

    assert {j.id for j in snapshots} == set(read)
    assert all(job.status is JobStatus.SUCCEEDED for job in read.values())
    assert emu.stats().requests_by_route == {"/v1/jobs/list_for_workspaces": 1}


async def test_read_jobs_reads_each_job_on_0_40() -> None:
    """On 0.40, without jobs/list_for_workspaces, read_jobs reads each job instead."""
    async with (
        Emulator(airbyte_version="0.40", connections=3, sync_duration=(0.05, 0.05)) as emu,
        AirbyteClient(emu.url, auth=NoAuth(), env={}) as client,
    ):
        backend = _backend(client)
        snapshots = [await backend.trigger(connection_id=cid) for cid in emu.connection_ids]
        for job in snapshots:
            await _ended(client, job.id)

        read = await backend.read_jobs(snapshots, workspace_ids=emu.workspace_ids)

    assert {j.id for j in snapshots} == set(read)
    assert all(job.status is JobStatus.SUCCEEDED and job.attempts for job in read.values())


async def test_listing_connections_without_catalogs(emu: Emulator, client: AirbyteClient) -> None:
    """connections.list(catalogs=False) lists the same connections, with empty catalogs."""
    wid = emu.workspace_ids[0]
    full = [c async for c in client.connections.list(workspace_id=wid)]
    light = [c async for c in client.connections.list(workspace_id=wid, catalogs=False)]

    assert [c.connection_id for c in light] == [c.connection_id for c in full]
    assert all(c.sync_catalog.streams for c in full)
    assert not any(c.sync_catalog.streams for c in light)
