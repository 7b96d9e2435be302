"""
Reading job history as a monitoring job does: listings that page while jobs change, against
the emulator on a :class:`~airbyte_async.testing.ManualClock`, which moves only when a test
moves it.
"""

from __future__ import annotations

import datetime as dt
import itertools
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


async def test_a_seeded_history_reads_as_the_jobs_airbyte_ran() -> None:
    """
    ``Emulator.seed_history`` gives each connection a sync every interval over the past days,
    read back as any job: ids growing with creation times (Airbyte's job ids come from one
    sequence), one job of a connection at a time, each ended, with its attempts and counts.
    """
    async with AsyncExitStack() as stack:
        emu, client = await started(
            stack, api="config", connections=3, failure_rate=0.3, attempts=3, retry_backoff=1.0
        )
        made = emu.seed_history(days=2, syncs_per_day=24)
        connection_id = emu.connection_ids[1]
        jobs = [job async for job in client.jobs.list(connection_id=connection_id)]
    assert 3 * 47 <= made <= 3 * 48
    assert 47 <= len(jobs) <= 48
    oldest_first = jobs[::-1]
    assert [job.id for job in oldest_first] == sorted(job.id for job in jobs)
    for earlier, later in itertools.pairwise(oldest_first):
        assert earlier.ended_at is not None and earlier.ended_at <= later.created_at
    assert all(job.status.is_terminal and job.attempts for job in jobs)
    assert {job.status for job in jobs} == {JobStatus.SUCCEEDED, JobStatus.FAILED}


async def test_a_look_for_new_failures_over_many_connections_is_one_listing() -> None:
    """A monitoring look (the jobs of every connection of a workspace changed since the last
    one) over a seeded history is one ``jobs/list_for_workspaces`` request, and finds the
    failures that reading each connection's jobs finds (API-FACTS 2.6: the listing takes
    ``workspaceIds`` and ``updatedAtStart``)."""
    async with AsyncExitStack() as stack:
        emu, client = await started(stack, api="config", connections=40, failure_rate=0.3)
        emu.seed_history(days=1, syncs_per_day=48)
        since = dt.datetime.now(dt.UTC) - dt.timedelta(hours=1)
        emu.reset_stats()
        changes = await client.jobs.list_changes(
            workspace_ids=emu.workspace_ids, updated_at_start=since
        )
        requests = emu.stats().requests_by_route
        failed = {c.id for c in changes if c.status is JobStatus.FAILED}
        one_by_one = set()
        for connection_id in emu.connection_ids:
            listed = client.jobs.list(
                connection_id=connection_id, statuses=[JobStatus.FAILED], updated_after=since
            )
            one_by_one |= {job.id async for job in listed}
    assert requests == {"/v1/jobs/list_for_workspaces": 1}
    assert failed and failed == one_by_one


@pytest.mark.parametrize(
    ("setup", "message"),
    [
        ("a job exists", "before any job exists"),
        ("syncs outlast the interval", "longer than the"),
    ],
)
async def test_a_history_that_real_runs_could_not_have_left_is_refused(
    setup: str, message: str
) -> None:
    """A history is seeded only before any job (ids grow with creation), and only with syncs
    that end before the next one of their connection starts."""
    async with AsyncExitStack() as stack:
        emu, client = await started(stack, api="config", connections=1)
        if setup == "a job exists":
            await client.connections.sync(connection_id=emu.connection_ids[0])
        else:
            emu.set_sync_plan(emu.connection_ids[0], duration=7200.0)
        with pytest.raises(ValueError, match=message):
            emu.seed_history(days=1, syncs_per_day=24)
