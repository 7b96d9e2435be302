"""The orchestrator against a server whose clock is far from the client's."""

from __future__ import annotations

import email.utils
import time

import anyio
import attrs
import pytest

from airbyte_async import AirbyteClient, NoAuth
from airbyte_async._throttle import ServerClock
from airbyte_async.orchestrator import Orchestrator, Outcome, Selection
from airbyte_async.testing import Emulator
from airbyte_async.testing.pytest_plugin import TEST_CANCEL_LATENCY, TEST_TRIGGER_LATENCY

pytestmark = pytest.mark.anyio


@attrs.frozen
class _OffsetClock:
    """Real time, *offset* seconds off (the server's clock; ``Date`` follows it)."""

    offset: float

    def __call__(self) -> float:
        return time.time() + self.offset

    async def sleep(self, seconds: float) -> None:
        await anyio.sleep(seconds)


@pytest.mark.parametrize("offset", [-3600.0, 3600.0])
@pytest.mark.parametrize("api", ["config", "public"])
async def test_a_server_clock_an_hour_off_the_clients_loses_no_sync(
    offset: float, api: str
) -> None:
    """Windows and bounds are reckoned on the server's clock: with it an hour behind or ahead
    of the client's, every sync of a batch is seen to end, once."""
    options = {"airbyte_version": "head"} if api == "public" else {}
    async with (
        Emulator(
            connections=12,
            sync_duration=(0.1, 0.4),
            trigger_latency=TEST_TRIGGER_LATENCY,
            cancel_latency=TEST_CANCEL_LATENCY,
            clock=_OffsetClock(offset),
            **options,
        ) as emu,
        AirbyteClient(emu.url, auth=NoAuth(), env={}, api=api) as client,
    ):
        with anyio.fail_after(30):
            results = await Orchestrator(client, max_running=4).run(Selection(all_workspaces=True))

    assert [r.outcome for r in results] == [Outcome.SUCCEEDED] * 12
    truth = emu.stats().jobs_by_connection
    assert all(len(truth[cid]) == 1 for cid in emu.connection_ids)


@pytest.mark.parametrize("api", ["config", "public"])
async def test_a_date_far_ahead_of_the_job_stamps_still_lets_listings_see_the_ends(
    api: str,
) -> None:
    """
    A proxy's ``Date`` two minutes ahead of the clock that stamps jobs: the lead learnt from
    the trigger answers places the listings' windows on the stamps' clock, so every end is
    seen in a listing, none found only by reading its job alone.
    """
    async with (
        Emulator(
            airbyte_version="head",
            connections=12,
            sync_duration=(0.1, 0.4),
            trigger_latency=TEST_TRIGGER_LATENCY,
            date_lead=120.0,
        ) as emu,
        AirbyteClient(emu.url, auth=NoAuth(), env={}, api=api) as client,
    ):
        with anyio.fail_after(60):
            results = await Orchestrator(client, max_running=4).run(emu.connection_ids)

    assert [r.outcome for r in results] == [Outcome.SUCCEEDED] * 12
    by_route = emu.stats().requests_by_route
    assert by_route.get("/v1/jobs/get", 0) + by_route.get("/public/v1/jobs/{jobId}", 0) == 0


def _date_30_s_ahead() -> ServerClock:
    """A clock that read a ``Date`` of 1_000_030 and that time does not move: the stamps'
    clock reads 1_000_000 now."""
    clock = ServerClock(local=lambda: 0.0)
    clock.observe(email.utils.formatdate(1_000_030, usegmt=True))
    return clock


def test_a_listed_stamp_bounds_the_date_lead_from_above() -> None:
    """A listing's newest stamp, however old, leaves the clock at or behind the job stamps'
    clock (Date 30 s ahead of it here), lagging by the stamp's age; a listing showing a
    change of the last second brings it within about a second."""
    clock = _date_30_s_ahead()

    clock.note_listed(1_000_000.0 - 60)
    assert 1_000_000 - 62 <= clock.now() <= 1_000_000
    clock.note_listed(1_000_000.0)
    assert 1_000_000 - 2 <= clock.now() <= 1_000_000


def test_once_a_trigger_answered_listings_teach_the_clock_nothing() -> None:
    """A trigger's answer is the bound batches that trigger have always used: a listing read
    after it leaves the clock as that answer set it."""
    clock = _date_30_s_ahead()
    clock.note_stamp(1_000_000.0 - 5)  # a slow answer
    before = clock.now()

    clock.note_listed(1_000_000.0)

    assert clock.now() == before
