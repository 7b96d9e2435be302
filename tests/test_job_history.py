"""
Reading job history as a monitoring job does: listings that page while jobs change, against
the emulator on a :class:`~airbyte_async.testing.ManualClock`, which moves only when a test
moves it.
"""

from __future__ import annotations

from contextlib import AsyncExitStack

import pytest
from client_support import started

from airbyte_async import AirbyteClient
from airbyte_async.models import JobStatus
from airbyte_async.testing import Emulator, ManualClock

pytestmark = pytest.mark.anyio


async def _one_long_job_then_four_short(
    emu: Emulator, client: AirbyteClient, clock: ManualClock
) -> tuple[int, list[int]]:
    """A job of the first connection that runs on, then four short ones of the second,
    each ended: the long job's last change is the oldest of all. Their ids."""
    long, short = emu.connection_ids
    emu.set_sync_plan(long, duration=10_000.0)
    emu.set_sync_plan(short, duration=1.0)
    first = (await client.connections.sync(connection_id=long)).id
    ids = []
    for _ in range(4):
        clock.advance(5.0)
        ids.append((await client.connections.sync(connection_id=short)).id)
        clock.advance(5.0)
    return first, ids


@pytest.mark.parametrize("order_by", ["updated_at", "-updated_at"])
async def test_a_job_that_changes_while_its_listing_pages_by_update_time_costs_no_job(
    order_by: str,
) -> None:
    """
    A listing ordered by update time on the public API gives every job once, though one of
    them ends between two pages: by ``updatedAt`` with ``offset`` paging, the job that changed
    moves to the other end of the order, and the rows behind it shift by one row over a page
    boundary (one skipped, ascending), or it moves into the pages already read (it is missed,
    descending). Airbyte's public ``GET /jobs`` pages by ``limit``/``offset`` over the order
    ``orderBy`` names (public-api-head.yaml ``listJobs``; ``JobsHelper.orderByToFieldAndMethod``).
    """
    clock = ManualClock()
    async with AsyncExitStack() as stack:
        emu, client = await started(stack, api="public", connections=2, clock=clock)
        first, others = await _one_long_job_then_four_short(emu, client, clock)
        workspace_ids = emu.workspace_ids
        listed = []
        jobs = client.jobs.list_for_workspaces(
            workspace_ids=workspace_ids, page_size=2, order_by=order_by
        )
        async for job in jobs:
            listed.append(job.id)
            if len(listed) == 2:
                clock.advance(20_000.0)  # the long job ends between the first two pages
        assert emu.job_status(first) == "succeeded"
    assert sorted(listed) == sorted([first, *others])


async def test_a_listing_by_update_time_comes_in_that_order() -> None:
    """The public API's jobs listed oldest change first come oldest change first, the job that
    ran longest last."""
    clock = ManualClock()
    async with AsyncExitStack() as stack:
        emu, client = await started(stack, api="public", connections=2, clock=clock)
        first, others = await _one_long_job_then_four_short(emu, client, clock)
        clock.advance(20_000.0)
        jobs = client.jobs.list_for_workspaces(
            workspace_ids=emu.workspace_ids, page_size=2, order_by="updated_at"
        )
        listed = [job async for job in jobs]
    assert [job.id for job in listed] == [*others, first]
    assert all(job.status is JobStatus.SUCCEEDED for job in listed)
