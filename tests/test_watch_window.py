"""Where the watcher's next poll window starts once a job is registered (see JobWatcher.watch)."""

from __future__ import annotations

import datetime as dt
import math
import time
from collections.abc import AsyncIterator

import pytest

from airbyte_async import AirbyteClient, NoAuth
from airbyte_async._watch import JobWatcher
from airbyte_async.models import Job, JobStatus, JobType
from airbyte_async.resources._backend import ConfigBackend
from airbyte_async.testing import Emulator, ManualClock

pytestmark = pytest.mark.anyio

_STAMP = dt.datetime(2026, 12, 2, 1, 0, 0, tzinfo=dt.UTC)


@pytest.fixture
async def watcher() -> AsyncIterator[JobWatcher]:
    async with (
        Emulator(connections=1) as emu,
        AirbyteClient(emu.url, auth=NoAuth(), env={}) as client,
    ):
        yield JobWatcher(ConfigBackend(client.connections, client.jobs), overlap=0.1)


def _running(job_id: int) -> Job:
    return Job(
        id=job_id,
        job_type=JobType.SYNC,
        config_id="c",
        status=JobStatus.RUNNING,
        created_at=_STAMP,
        updated_at=_STAMP,
    )


async def test_a_send_time_after_the_whole_second_stamp_bounds_the_window(
    watcher: JobWatcher,
) -> None:
    """A job registered with the time its trigger was sent, later than its whole-second
    stamp, pulls the next window back only to that time (less the overlap)."""
    sent = _STAMP.timestamp() + 0.6
    watcher.watch(_running(1), None, live_at=sent)

    assert watcher._since == pytest.approx(sent - 0.1)


async def test_a_stamp_later_than_the_send_time_bounds_the_window(watcher: JobWatcher) -> None:
    """When the job's own stamp is later than the send time given (a slow trigger), the
    stamp bounds the window."""
    watcher.watch(_running(1), None, live_at=_STAMP.timestamp() - 3)

    assert watcher._since == pytest.approx(_STAMP.timestamp() - 0.1)


async def test_without_a_send_time_the_stamp_bounds_the_window(watcher: JobWatcher) -> None:
    """A job adopted from a listing (no send time) reaches back to its stamp."""
    watcher.watch(_running(1), None)

    assert watcher._since == pytest.approx(_STAMP.timestamp() - 0.1)


async def test_a_job_that_may_have_ended_before_the_window_is_a_suspect(
    watcher: JobWatcher,
) -> None:
    """A job registered once the window has moved past the time it may have ended from does
    not pull the window back: it is looked for by when it may have been created and
    changed, the earliest of the suspects winning."""
    watcher.watch(_running(1), None, live_at=_STAMP.timestamp() + 5)
    watcher.watch(_running(2), None, live_at=_STAMP.timestamp() + 0.8)
    watcher.watch(_running(3), None, live_at=_STAMP.timestamp() + 0.3)

    assert watcher._since == pytest.approx(_STAMP.timestamp() + 4.9)
    assert watcher._suspect_updated == pytest.approx(_STAMP.timestamp() + 0.2)
    assert watcher._suspect_created == pytest.approx(_STAMP.timestamp() + 0.2)


async def test_a_suspect_is_seen_to_end_and_the_window_moves_on() -> None:
    """A job that ended before the watcher's window began, registered late with its old
    snapshot, is reported as it ended by the suspects' listing, and the window does not move
    back for it."""
    clock = ManualClock()
    async with (
        Emulator(connections=2, sync_duration=(0.05, 0.05), trigger_latency=0, clock=clock) as emu,
        AirbyteClient(emu.url, auth=NoAuth(), env={}, api="config") as client,
    ):
        backend = ConfigBackend(client.connections, client.jobs)
        late, busy = emu.connection_ids
        emu.set_sync_plan(busy, duration=600)
        stale = await backend.trigger(connection_id=late)
        sent = backend.server_now()
        clock.advance(6)
        ended = await client.jobs.get(job_id=stale.id)
        watcher = JobWatcher(backend, suspect_interval=0)
        watcher.watch(await backend.trigger(connection_id=busy), None)
        await watcher.poll()
        window = watcher._since
        assert window is not None and window > ended.updated_at.timestamp() + 1

        watch = watcher.watch(stale, None, live_at=sent)
        await watcher.poll()

        assert watch.done.is_set()
        assert (watch.job.status, watch.job.records_synced) == (
            JobStatus.SUCCEEDED,
            ended.records_synced,
        )
        assert watcher._since is not None and watcher._since >= window


async def test_the_server_time_is_unknown_until_an_answer_tells_it() -> None:
    """ConfigBackend.server_now is None before any answer, then never ahead of the server's
    clock (the emulator's is this machine's): a trigger's send time can only err early."""
    async with (
        Emulator(connections=1) as emu,
        AirbyteClient(emu.url, auth=NoAuth(), env={}, api="config") as client,
    ):
        backend = ConfigBackend(client.connections, client.jobs)
        assert backend.server_now() is None
        await client.health()
        now = backend.server_now()
        assert now is not None
        assert now <= time.time()


async def test_a_late_job_that_may_have_ended_only_within_the_remembered_listings_is_no_suspect(
    watcher: JobWatcher,
) -> None:
    """A job registered after the window moved on, which may have ended only since the
    oldest listing remembered began, and whose end no listing showed, ends in the next
    listing's window: it is not looked for."""
    watcher.watch(_running(1), None, live_at=_STAMP.timestamp() + 5)
    await watcher.poll()
    assert watcher._since is not None and watcher._since > _STAMP.timestamp() + 6

    watcher.watch(_running(2), None, live_at=_STAMP.timestamp() + 5.5)

    assert watcher._suspect_updated == math.inf


async def test_a_late_job_that_may_have_ended_before_the_remembered_listings_is_a_suspect(
    watcher: JobWatcher,
) -> None:
    """A job registered late that may have ended before the oldest remembered listing's
    window began is a suspect."""
    watcher.watch(_running(1), None, live_at=_STAMP.timestamp() + 5)
    await watcher.poll()

    watcher.watch(_running(2), None, live_at=_STAMP.timestamp() + 4)

    assert watcher._suspect_updated == pytest.approx(_STAMP.timestamp() + 3.9)


@pytest.mark.parametrize(("remember", "suspect"), [(0.0, True), (10.0, False)])
async def test_listings_older_than_remember_are_forgotten(remember: float, suspect: bool) -> None:
    """Once the listings that held a late job's possible end are forgotten (*remember*
    seconds after they were read), the job is a suspect again; until then it is not."""
    clock = ManualClock()
    async with (
        Emulator(connections=1, clock=clock) as emu,
        AirbyteClient(emu.url, auth=NoAuth(), env={}, api="config") as client,
    ):
        await client.health()
        watcher = JobWatcher(ConfigBackend(client.connections, client.jobs), remember=remember)
        began = clock.now
        watcher.watch(_running(1), None, live_at=began)
        await watcher.poll()
        clock.advance(5)
        for _ in range(3):  # the first answer after the advance moves the client's clock
            await watcher.poll()
        assert watcher._listings[-1][1] > began + 3

        watcher.watch(_running(2), None, live_at=began + 1)

        assert (watcher._suspect_updated < math.inf) is suspect


async def test_a_late_job_whose_end_a_remembered_listing_showed_is_a_suspect_and_ends() -> None:
    """A job whose end a listing showed before the job was watched (its trigger's answer came
    late) is a suspect, though the listings since it may have ended are remembered, and the
    suspects' listing reports it as it ended."""
    clock = ManualClock()
    async with (
        Emulator(connections=2, trigger_latency=0, clock=clock) as emu,
        AirbyteClient(emu.url, auth=NoAuth(), env={}, api="config") as client,
    ):
        backend = ConfigBackend(client.connections, client.jobs)
        quick, busy = emu.connection_ids
        emu.set_sync_plan(quick, duration=0.5)
        emu.set_sync_plan(busy, duration=600)
        await client.health()
        sent = backend.server_now()
        assert sent is not None
        early = await backend.trigger(connection_id=quick)
        watcher = JobWatcher(backend, suspect_interval=0)
        watcher.watch(await backend.trigger(connection_id=busy), None, live_at=sent)
        clock.advance(2)
        await watcher.poll()
        assert early.id in watcher._unwatched_ends

        watch = watcher.watch(early, None, live_at=sent)
        assert watcher._suspect_updated < math.inf
        await watcher.poll()

        assert watch.done.is_set()
        assert watch.job.status is JobStatus.SUCCEEDED
