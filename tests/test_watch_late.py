"""The watcher never loses a job: snapshots older than its window, late answers at every point."""

from __future__ import annotations

from collections.abc import AsyncIterator

import anyio
import pytest

from airbyte_async import AirbyteClient, NoAuth
from airbyte_async._watch import JobWatcher
from airbyte_async.models import JobStatus
from airbyte_async.resources._backend import ConfigBackend
from airbyte_async.testing import Emulator

pytestmark = pytest.mark.anyio


@pytest.fixture
async def emu() -> AsyncIterator[Emulator]:
    async with Emulator(connections=3, sync_duration=(0.05, 0.1)) as emu:
        yield emu


@pytest.fixture
async def client(emu: Emulator) -> AsyncIterator[AirbyteClient]:
    async with AirbyteClient(emu.url, auth=NoAuth(), env={}) as client:
        yield client


async def test_a_snapshot_older_than_the_window_still_sees_its_job_end(
    emu: Emulator, client: AirbyteClient
) -> None:
    """A job that ended before the watcher's window began, registered with its old snapshot
    (a trigger answer read late), is still reported with its end."""
    stale_cid, busy_cid, later_cid = emu.connection_ids
    backend = ConfigBackend(client.connections, client.jobs)
    stale = await backend.trigger(connection_id=stale_cid)
    with anyio.fail_after(10):
        ended = await client.jobs.wait(job_id=stale.id, poll_interval=0.02)
    assert ended.ended_at is not None
    emu.set_sync_plan(busy_cid, duration=60)
    emu.set_sync_plan(later_cid, duration=2.5)
    watcher = JobWatcher(backend, min_interval=0.02, max_interval=0.05)

    async with anyio.create_task_group() as tg:
        tg.start_soon(watcher.run)
        watcher.watch(await backend.trigger(connection_id=busy_cid), None)
        later = watcher.watch(await backend.trigger(connection_id=later_cid), None)
        with anyio.fail_after(10):
            await later.done.wait()
        # The window now starts a second or more after the stale job's end.
        horizon = ended.updated_at.timestamp() + 1
        for _ in range(200):
            if watcher._since is not None and watcher._since > horizon:
                break
            await anyio.sleep(0.05)
        assert watcher._since is not None and watcher._since > horizon
        watch = watcher.watch(stale, None)
        with anyio.fail_after(10):
            await watch.done.wait()
        tg.cancel_scope.cancel()

    assert watch.job.id == stale.id
    assert watch.job.status is JobStatus.SUCCEEDED
    assert watch.job.records_synced == ended.records_synced
