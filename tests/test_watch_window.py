"""Where the watcher's next poll window starts once a job is registered (see JobWatcher.watch)."""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import AsyncIterator

import pytest

from airbyte_async import AirbyteClient, NoAuth
from airbyte_async._watch import JobWatcher
from airbyte_async.models import Job, JobStatus, JobType
from airbyte_async.resources._backend import ConfigBackend
from airbyte_async.testing import Emulator

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


async def test_the_earliest_registration_bounds_the_window(watcher: JobWatcher) -> None:
    """Of several jobs registered before a poll, the one that may have ended first wins."""
    watcher.watch(_running(1), None, live_at=_STAMP.timestamp() + 0.8)
    watcher.watch(_running(2), None, live_at=_STAMP.timestamp() + 0.3)

    assert watcher._since == pytest.approx(_STAMP.timestamp() + 0.2)


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
