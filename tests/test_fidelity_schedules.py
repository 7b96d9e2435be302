"""
Fidelity: syncs that Airbyte's scheduler starts for connections on a ``basic`` or ``cron``
schedule (API-FACTS 5; ``ConfigFetchActivityImpl.getTimeToWait``, see
``airbyte_async.testing._schedule``), and the cron checks of ``connections/create`` and
``connections/update`` (``ConnectionScheduleHelper``, see ``airbyte_async.testing._routes.
connections``).

Off unless ``Emulator(scheduler=True)``. The emulator runs on a :class:`ManualClock`: moving it
an hour produces that hour's scheduled jobs, each created at the instant it was due. Tests
without ``airbyte_version`` run 0.50's rules; where head's differ (which job counts as the
previous one, and whether a basic interval counts from its start or its creation), a test
names both.
"""

from __future__ import annotations

import argparse
from datetime import UTC, datetime
from typing import Any

import aiohttp
import emulator_support
import pytest
from emulator_support import call, sync

from airbyte_async.cli._parser import add_emulator_arguments
from airbyte_async.testing import Emulator, ManualClock, pytest_plugin
from airbyte_async.testing._cli import _emulator

pytestmark = pytest.mark.anyio

airbyte_emulator_factory = pytest_plugin.airbyte_emulator_factory
Factory = pytest_plugin.EmulatorFactory
http = emulator_support.http

HOURLY = {"basicSchedule": {"timeUnit": "hours", "units": 1}}
#: 2027-01-15T08:00:00Z, and an hour later.
T_START, H1 = 1_800_000_000, 1_800_003_600
#: 2027-01-15T08:16:40Z: sixteen minutes and forty seconds past a full hour.
T0 = 1_800_001_000.0
#: The full hours after T0.
H9, H10, H11, H12, H13 = (1_800_000_000 + h * 3_600 for h in range(1, 6))


async def scheduler_on(
    factory: Factory, now: float, *, duration: float | None = None, **options: Any
) -> tuple[Emulator, ManualClock, str]:
    """
    An emulator of one connection with its scheduler on, on a manual clock at *now*, its syncs
    lasting *duration* seconds when given: the emulator, the clock and the connection's id.
    """
    clock = ManualClock(now=now)
    if duration is not None:
        options["sync_duration"] = (duration, duration)
    emu = await factory(connections=1, clock=clock, scheduler=True, **options)
    return emu, clock, emu.connection_ids[0]


async def update_schedule(
    http: aiohttp.ClientSession, emu: Emulator, cid: str, kind: str, data: Any
) -> emulator_support.Answer:
    """``connections/update`` setting *cid*'s schedule to *kind* with *data*; the answer."""
    current = (await call(http, emu, "connections/get", {"connectionId": cid})).json
    body = {
        "connectionId": cid,
        "status": current["status"],
        "syncCatalog": current["syncCatalog"],
        "scheduleType": kind,
        "scheduleData": data,
    }
    return await call(http, emu, "connections/update", body)


async def scheduled(
    http: aiohttp.ClientSession, emu: Emulator, cid: str, data: Any = HOURLY
) -> None:
    """Put connection *cid* on a basic schedule through ``connections/update``."""
    answer = await update_schedule(http, emu, cid, "basic", data)
    assert answer.status == 200, answer.text


def cron(expression: str, zone: str = "UTC") -> dict[str, Any]:
    """The ``scheduleData`` of a cron schedule."""
    return {"cron": {"cronExpression": expression, "cronTimeZone": zone}}


async def on_cron(
    http: aiohttp.ClientSession, emu: Emulator, cid: str, expression: str, zone: str = "UTC"
) -> None:
    """Put connection *cid* on a cron schedule through ``connections/update``."""
    answer = await update_schedule(http, emu, cid, "cron", cron(expression, zone))
    assert answer.status == 200, answer.text


async def created(http: aiohttp.ClientSession, emu: Emulator, cid: str) -> list[int]:
    """``createdAt`` of the connection's sync jobs, oldest first, as ``jobs/list`` shows them."""
    body = {"configTypes": ["sync"], "configId": cid}
    jobs = (await call(http, emu, "jobs/list", body)).json["jobs"]
    return sorted(j["job"]["createdAt"] for j in jobs)


async def test_a_basic_schedule_starts_at_once_then_every_interval_from_the_last_start(
    airbyte_emulator_factory: Factory, http: aiohttp.ClientSession
) -> None:
    """
    A connection put on an hourly basic schedule gets a job at once (no previous replication
    job: no wait), then one an hour after the previous one started, and none in between
    (``getTimeToWait``: ``prevRunStart + getIntervalInSecond``).
    """
    clock = ManualClock(now=1_800_000_000.0)
    emu = await airbyte_emulator_factory(
        connections=2, clock=clock, scheduler=True, sync_duration=(600, 600)
    )
    cid, manual = emu.connection_ids
    await scheduled(http, emu, cid)
    assert await created(http, emu, cid) == [1_800_000_000]
    clock.advance(3_599)
    assert len(await created(http, emu, cid)) == 1
    clock.advance(1 + 2 * 3_600)
    assert await created(http, emu, cid) == [1_800_000_000 + h * 3_600 for h in range(4)]
    assert await created(http, emu, manual) == []


# -- what each version counts a basic interval from ---------------------------------------------


@pytest.mark.parametrize(
    ("version", "counted_from"),
    [("0.40", T_START + 300), ("0.50", T_START + 300), ("head", T_START)],
)
async def test_a_basic_interval_counts_from_the_start_before_head_and_the_creation_on_head(
    airbyte_emulator_factory: Factory, http: aiohttp.ClientSession, version: str, counted_from: int
) -> None:
    """
    With jobs pending five minutes, 0.40 and 0.50 start the next hourly job an hour after the
    previous one started (``ConfigFetchActivityImpl.java`` at ``0daa0d2``: ``startedAt``, else
    ``createdAt``), head an hour after it was created (``ConfigFetchActivityImpl.kt`` at
    ``20c1603``: ``prevRunStart = previousJobOptional.job!!.createdAt``).
    """
    emu, clock, cid = await scheduler_on(
        airbyte_emulator_factory,
        T_START,
        duration=600,
        airbyte_version=version,
        pending_duration=300,
    )
    await scheduled(http, emu, cid)
    clock.advance(counted_from + 3_600 - T_START - 1)
    assert await created(http, emu, cid) == [T_START]
    clock.advance(1)
    assert await created(http, emu, cid) == [T_START, counted_from + 3_600]


@pytest.mark.parametrize(
    ("version", "second"), [("0.40", T_START + 100), ("0.50", T_START + 100), ("head", H1)]
)
async def test_a_cancelled_scheduled_job_counts_only_on_head(
    airbyte_emulator_factory: Factory, http: aiohttp.ClientSession, version: str, second: int
) -> None:
    """
    A scheduled job cancelled 100 s in is no previous job for 0.40 and 0.50, which then start
    the next at once (``getLastReplicationJob`` skips ``cancelled``), but it is for head, which
    waits the hour out (``getLastReplicationJobWithCancel``: "make sure that we don't
    immediately start a new job after a cancel", config.yaml).
    """
    emu, clock, cid = await scheduler_on(
        airbyte_emulator_factory, T_START, duration=600, airbyte_version=version
    )
    await scheduled(http, emu, cid)
    clock.advance(100)
    listed = await call(http, emu, "jobs/list", {"configTypes": ["sync"], "configId": cid})
    stopped = await call(http, emu, "jobs/cancel", {"id": listed.json["jobs"][0]["job"]["id"]})
    assert stopped.json["job"]["status"] == "cancelled"
    clock.advance(H1 - T_START - 100)
    assert await created(http, emu, cid) == [T_START, second]


async def test_head_names_the_scheduled_job_it_counts_from_cancelled_or_not(
    airbyte_emulator_factory: Factory, http: aiohttp.ClientSession
) -> None:
    """
    Head's ``jobs/get_last_replication_job_with_cancel`` answers the newest job the scheduler
    started, cancelled or not, and no manual sync; ``get_last_replication_job`` the newest job
    not cancelled, however started (config-api-head.yaml; ``DefaultJobPersistence``).
    """
    emu, clock, cid = await scheduler_on(
        airbyte_emulator_factory, T_START, duration=600, airbyte_version="head"
    )
    body = {"connectionId": cid}
    route = "jobs/get_last_replication_job_with_cancel"
    assert (await call(http, emu, route, body)).json == {}
    await scheduled(http, emu, cid)
    clock.advance(1)
    [entry] = (await call(http, emu, "jobs/list", {"configTypes": ["sync"], "configId": cid})).json[
        "jobs"
    ]
    first = entry["job"]["id"]
    await call(http, emu, "jobs/cancel", {"id": first})
    assert (await call(http, emu, route, body)).json["job"]["id"] == first
    assert (await call(http, emu, "jobs/get_last_replication_job", body)).json == {}
    manual = (await sync(http, emu, cid))["job"]["id"]
    assert (await call(http, emu, route, body)).json["job"]["id"] == first
    last = (await call(http, emu, "jobs/get_last_replication_job", body)).json
    assert last["job"]["id"] == manual


async def test_before_head_there_is_no_route_for_the_scheduled_job(
    airbyte_emulator_factory: Factory, http: aiohttp.ClientSession
) -> None:
    """0.50 has no ``jobs/get_last_replication_job_with_cancel`` (config-api-0.50.yaml): 404."""
    emu = await airbyte_emulator_factory(connections=1)
    body = {"connectionId": emu.connection_ids[0]}
    answer = await call(http, emu, "jobs/get_last_replication_job_with_cancel", body)
    assert answer.status == 404


@pytest.mark.parametrize(("version", "third"), [("0.50", H1 + 1_800), ("head", H1)])
async def test_on_head_a_manual_sync_leaves_a_basic_schedule_be(
    airbyte_emulator_factory: Factory, http: aiohttp.ClientSession, version: str, third: int
) -> None:
    """
    A manual sync half an hour in moves 0.50's next hourly job to an hour after it, but not
    head's: head counts only jobs its scheduler started (``is_scheduled = true`` in
    ``DefaultJobPersistence.getLastReplicationJobWithCancel``; a manual trigger sets
    ``isSkipScheduling``, and the job is created with ``isScheduled`` false).
    """
    emu, clock, cid = await scheduler_on(
        airbyte_emulator_factory, T_START, duration=600, airbyte_version=version
    )
    await scheduled(http, emu, cid)
    clock.advance(1_800)
    await sync(http, emu, cid)
    clock.advance(third - T_START - 1_800 - 1)
    assert await created(http, emu, cid) == [T_START, T_START + 1_800]
    clock.advance(1)
    assert await created(http, emu, cid) == [T_START, T_START + 1_800, third]


async def test_a_job_longer_than_the_interval_delays_the_next_one_to_its_end(
    airbyte_emulator_factory: Factory, http: aiohttp.ClientSession
) -> None:
    """
    The workflow runs one job at a time: when a job outlasts the interval, the next starts as
    it ends (``getTimeToWait`` answers ``max(0, ...)`` once the job is over).
    """
    emu, clock, cid = await scheduler_on(airbyte_emulator_factory, 1_800_000_000.0, duration=5_400)
    await scheduled(http, emu, cid)
    clock.advance(3 * 3_600)
    assert await created(http, emu, cid) == [1_800_000_000, 1_800_005_400, 1_800_010_800]


async def test_a_manual_sync_moves_the_schedule_and_a_scheduled_job_blocks_a_trigger(
    airbyte_emulator_factory: Factory, http: aiohttp.ClientSession
) -> None:
    """
    Before head (0.50 here) the next scheduled job counts from the last replication job, a
    manual one included (``getLastReplicationJob``), and a trigger while the scheduled job runs
    meets the running workflow: 409 (API-FACTS 6.3).
    """
    emu, clock, cid = await scheduler_on(airbyte_emulator_factory, 1_800_000_000.0, duration=600)
    await scheduled(http, emu, cid)
    busy = await call(http, emu, "connections/sync", {"connectionId": cid})
    assert busy.status == 409
    clock.advance(1_800)
    await sync(http, emu, cid)
    clock.advance(3_599)
    assert await created(http, emu, cid) == [1_800_000_000, 1_800_001_800]
    clock.advance(1)
    assert len(await created(http, emu, cid)) == 3


@pytest.mark.parametrize("status", ["inactive", "manual"])
async def test_inactive_and_manual_connections_get_no_scheduled_job(
    airbyte_emulator_factory: Factory, http: aiohttp.ClientSession, status: str
) -> None:
    """
    A manual connection, or an inactive one on a basic schedule, waits a hundred years
    (``getTimeToWaitFromScheduleType``).
    """
    clock = ManualClock()
    emu = await airbyte_emulator_factory(connections=1, clock=clock, scheduler=True)
    cid = emu.connection_ids[0]
    if status == "inactive":
        await scheduled(http, emu, cid)
        off = await call(
            http, emu, "connections/update", {"connectionId": cid, "status": "inactive"}
        )
        assert off.json["status"] == "inactive"
        before = len(await created(http, emu, cid))
    else:
        before = 0
    clock.advance(30 * 86_400)
    assert len(await created(http, emu, cid)) == before


async def test_the_scheduler_is_off_unless_asked_for(
    airbyte_emulator_factory: Factory, http: aiohttp.ClientSession
) -> None:
    """By default a basic schedule starts nothing: a test or benchmark sees only its own jobs."""
    clock = ManualClock()
    emu = await airbyte_emulator_factory(connections=1, clock=clock)
    await scheduled(http, emu, emu.connection_ids[0])
    clock.advance(86_400)
    assert emu.stats().jobs_created == 0
    assert Emulator().scheduler is False
    parser = argparse.ArgumentParser()
    add_emulator_arguments(parser)
    assert _emulator(parser.parse_args([])).scheduler is False
    assert _emulator(parser.parse_args(["--scheduler"])).scheduler is True


# -- cron schedules ---------------------------------------------------------------------------


async def test_a_cron_schedule_waits_for_its_next_fire_then_starts_a_job_at_each(
    airbyte_emulator_factory: Factory, http: aiohttp.ClientSession
) -> None:
    """
    A connection put on an hourly cron gets no job at once: its first job starts at the first
    fire strictly after the schedule was set, then one at each fire
    (``getTimeToWaitFromScheduleType``, cron branch: without a previous job the earliest run is
    now, and the wait lasts until ``CronExpression.getNextValidTimeAfter``).
    """
    emu, clock, cid = await scheduler_on(airbyte_emulator_factory, T0, duration=600)
    await on_cron(http, emu, cid, "0 0 * * * ?")
    assert await created(http, emu, cid) == []
    clock.advance(H9 - T0 - 1)
    assert await created(http, emu, cid) == []
    clock.advance(1)
    assert await created(http, emu, cid) == [H9]
    clock.advance(H11 - H9)
    assert await created(http, emu, cid) == [H9, H10, H11]


async def test_a_cron_schedule_fires_on_the_wall_clock_of_its_time_zone(
    airbyte_emulator_factory: Factory, http: aiohttp.ClientSession
) -> None:
    """
    Daily 09:00 in Europe/Paris starts at 08:00 UTC before the spring change of 2027-03-28 and
    at 07:00 UTC from that day on (the expression gets ``setTimeZone`` with
    ``DateTimeZone.forID(cronTimeZone)``).
    """
    emu, clock, cid = await scheduler_on(
        airbyte_emulator_factory, datetime(2027, 3, 26, 12, tzinfo=UTC).timestamp(), duration=600
    )
    await on_cron(http, emu, cid, "0 0 9 * * ?", "Europe/Paris")
    clock.advance(3 * 86_400)
    started = [datetime.fromtimestamp(at, UTC) for at in await created(http, emu, cid)]
    assert started == [
        datetime(2027, 3, 27, 8, tzinfo=UTC),
        datetime(2027, 3, 28, 7, tzinfo=UTC),
        datetime(2027, 3, 29, 7, tzinfo=UTC),
    ]


async def test_a_fire_that_passes_while_a_job_runs_is_not_made_up(
    airbyte_emulator_factory: Factory, http: aiohttp.ClientSession
) -> None:
    """
    One job at a time, and no catch-up: a 90-minute job started at 09:00 hides the 10:00 fire,
    and the next job starts at 11:00, the first fire after it ended (the workflow asks
    ``getTimeToWait`` only once its job is over, and the earliest run is then now).
    """
    emu, clock, cid = await scheduler_on(airbyte_emulator_factory, T0, duration=5_400)
    await on_cron(http, emu, cid, "0 0 * * * ?")
    clock.advance(H13 - T0)
    assert await created(http, emu, cid) == [H9, H11, H13]


@pytest.mark.parametrize(
    ("version", "before", "scheduled_jobs"),
    [
        ("0.50", 30, [H10]),
        ("0.50", 120, [H9, H10]),
        ("head", 30, [H9, H10]),
        ("head", 120, [H9, H10]),
    ],
)
async def test_a_manual_sync_within_a_minute_of_a_fire_takes_its_place_before_head(
    airbyte_emulator_factory: Factory,
    http: aiohttp.ClientSession,
    version: str,
    before: int,
    scheduled_jobs: list[int],
) -> None:
    """
    The next cron job waits for the first fire at least 60 s after the previous job started
    (``MIN_CRON_INTERVAL_SECONDS``). On 0.50 a manual sync is that job
    (``getLastReplicationJob``): one 30 s before 09:00 takes that fire's place, one 120 s
    before leaves it be. Head counts only jobs its scheduler started
    (``getLastReplicationJobWithCancel``, ``is_scheduled = true``), so 09:00 fires either way.
    """
    emu, clock, cid = await scheduler_on(
        airbyte_emulator_factory, T0, duration=10, airbyte_version=version
    )
    await on_cron(http, emu, cid, "0 0 * * * ?")
    clock.advance(H9 - before - T0)
    await sync(http, emu, cid)
    clock.advance(H10 - (H9 - before))
    assert await created(http, emu, cid) == [H9 - before, *scheduled_jobs]


@pytest.mark.parametrize(("version", "second"), [("0.50", int(T0) + 80), ("head", int(T0) + 140)])
async def test_a_cron_job_cancelled_in_its_first_minute_holds_off_the_next_fire_on_head(
    airbyte_emulator_factory: Factory, http: aiohttp.ClientSession, version: str, second: int
) -> None:
    """
    An every-minute cron starts a job at 08:17:00, cancelled at 08:17:05. 0.50 forgets it
    (``getLastReplicationJob`` skips ``cancelled``) and starts the next at 08:18:00, the first
    fire after now; head still counts it (``getLastReplicationJobWithCancel``), so the next
    must be after its start plus 60 s: 08:19:00 (``ConfigFetchActivityImpl.kt`` at
    ``20c1603``, ``earliestNextRun``).
    """
    emu, clock, cid = await scheduler_on(
        airbyte_emulator_factory, T0, duration=30, airbyte_version=version
    )
    await on_cron(http, emu, cid, "0 * * * * ?")
    clock.advance(25)
    [first] = await created(http, emu, cid)
    assert first == T0 + 20
    listed = await call(http, emu, "jobs/list", {"configTypes": ["sync"], "configId": cid})
    stopped = await call(http, emu, "jobs/cancel", {"id": listed.json["jobs"][0]["job"]["id"]})
    assert stopped.json["job"]["status"] == "cancelled"
    clock.advance(second - T0 - 25 - 1)
    assert await created(http, emu, cid) == [T0 + 20]
    clock.advance(1)
    assert await created(http, emu, cid) == [T0 + 20, second]


async def test_changing_the_expression_counts_from_the_change(
    airbyte_emulator_factory: Factory, http: aiohttp.ClientSession
) -> None:
    """
    A connection moved from an hourly cron to ``0 45 * * * ?`` at 08:30 gets its next job at
    08:45 (``connectionUpdated`` makes the waiting workflow ask ``getTimeToWait`` again).
    """
    emu, clock, cid = await scheduler_on(airbyte_emulator_factory, T0, duration=60)
    await on_cron(http, emu, cid, "0 0 * * * ?")
    clock.advance(H9 - 1_800 - T0)
    await on_cron(http, emu, cid, "0 45 * * * ?")
    clock.advance(899)
    assert await created(http, emu, cid) == []
    clock.advance(1 + 3_600)
    assert await created(http, emu, cid) == [H9 - 900, H9 + 2_700]


async def test_an_inactive_cron_schedule_starts_nothing(
    airbyte_emulator_factory: Factory, http: aiohttp.ClientSession
) -> None:
    """An inactive cron connection waits a hundred years (``getTimeToWaitFromScheduleType``)."""
    clock = ManualClock(now=T0)
    emu = await airbyte_emulator_factory(connections=1, clock=clock, scheduler=True)
    cid = emu.connection_ids[0]
    await on_cron(http, emu, cid, "0 0 * * * ?")
    off = await call(http, emu, "connections/update", {"connectionId": cid, "status": "inactive"})
    assert off.json["status"] == "inactive"
    clock.advance(7 * 86_400)
    assert await created(http, emu, cid) == []
    assert (await call(http, emu, "connections/get", {"connectionId": cid})).status == 200


# -- cron checks on connections/create and connections/update ----------------------------------


@pytest.mark.parametrize(
    "expression",
    [
        "0 0 * * *",  # five fields: a Unix cron, not a Quartz one
        "0 0 12 * * MON",  # day-of-month and day-of-week both given
        "0 0 25 * * ?",  # hour out of range
        "*/30 * * * * ?",  # twice a minute (CronExpressionHelper.validateCronExpression)
    ],
)
@pytest.mark.parametrize("version", ["0.50", "1.7", "2.0", "head"])
async def test_050_and_head_refuse_an_invalid_expression_with_a_400_problem(
    airbyte_emulator_factory: Factory, http: aiohttp.ClientSession, expression: str, version: str
) -> None:
    """
    Head answers an expression that cron-utils or Quartz refuses, or one firing more than once
    a minute, with 400 ``CronValidationInvalidExpressionProblem`` (``ConnectionScheduleHelper.kt
    validateCronFrequency``; status, type, title and detail from ``api-problems.yaml``); so does
    0.50, as the 2024 ``ConnectionScheduleHelper.java`` does (see
    ``airbyte_async.testing._routes.connections``).
    """
    emu = await airbyte_emulator_factory(connections=1, airbyte_version=version)
    cid = emu.connection_ids[0]
    answer = await update_schedule(http, emu, cid, "cron", cron(expression))
    assert answer.status == 400
    assert answer.json == {
        "status": 400,
        "type": "error:cron-validation/invalid-expression",
        "title": "Invalid cron expression",
        "detail": "The cron expression is invalid",
        "data": {"cronExpression": expression},
    }
    body = (await call(http, emu, "connections/get", {"connectionId": cid})).json
    assert body["scheduleType"] == "manual"


@pytest.mark.parametrize("version", ["0.50", "1.7", "2.0", "head"])
@pytest.mark.parametrize("zone", ["Etc/UTC", "etc/GMT+5", "Mars/Olympus"])
async def test_050_and_head_refuse_an_etc_or_unknown_time_zone_with_a_400_problem(
    airbyte_emulator_factory: Factory, http: aiohttp.ClientSession, zone: str, version: str
) -> None:
    """
    Head (and 0.50, as above) answers a zone starting with "etc" (any case) or one Joda cannot
    read with 400 ``CronValidationInvalidTimezoneProblem`` (``ConnectionScheduleHelper.kt
    validateCronExpressionAndTimezone``).
    """
    emu = await airbyte_emulator_factory(connections=1, airbyte_version=version)
    cid = emu.connection_ids[0]
    answer = await update_schedule(http, emu, cid, "cron", cron("0 0 * * * ?", zone))
    assert answer.status == 400
    assert answer.json["type"] == "error:cron-validation/invalid-timezone"
    assert answer.json["title"] == "Invalid cron timezone"
    assert answer.json["data"] == {"connectionId": cid, "cronTimezone": zone}


async def test_head_refuses_a_cron_schedule_without_its_cron_block(
    airbyte_emulator_factory: Factory, http: aiohttp.ClientSession
) -> None:
    """
    Head answers ``scheduleType: cron`` whose ``scheduleData`` has no ``cron`` with 400
    ``CronValidationMissingCronProblem`` (API-FACTS 5; ``ConnectionScheduleHelper.kt``).
    """
    emu = await airbyte_emulator_factory(connections=1, airbyte_version="head")
    answer = await update_schedule(http, emu, emu.connection_ids[0], "cron", {})
    assert answer.status == 400
    assert answer.json["type"] == "error:cron-validation/missing-cron-data"


async def test_head_accepts_names_in_any_case_and_keeps_the_expression_as_sent(
    airbyte_emulator_factory: Factory, http: aiohttp.ClientSession
) -> None:
    """A valid Quartz expression in lower case is stored and read back as it was sent."""
    emu = await airbyte_emulator_factory(connections=1, airbyte_version="head")
    cid = emu.connection_ids[0]
    data = cron("0 0 9 ? * mon-fri", "Europe/Paris")
    answer = await update_schedule(http, emu, cid, "cron", data)
    assert answer.status == 200, answer.text
    assert answer.json["scheduleData"] == data


@pytest.mark.parametrize(
    ("expression", "zone", "fault"),
    [
        ("0 0 * * *", "UTC", "invalid cron expression"),
        ("0 0 * * * ?", "Mars/Olympus", "invalid cron timezone"),
        ("0 0 * * *", "Etc/UTC", "Etc/ timezones are unsupported"),
    ],
)
async def test_040_refuses_an_invalid_cron_with_a_422(
    airbyte_emulator_factory: Factory,
    http: aiohttp.ClientSession,
    expression: str,
    zone: str,
    fault: str,
) -> None:
    """
    0.40 throws ``JsonValidationException`` for an Etc/ zone, then an unknown zone, then a bad
    expression, which ``ApiHelper.execute`` answers with 422 and a prefixed message
    (airbytehq/airbyte ``ConnectionScheduleHelper.java``, ``ApiHelper.java``).
    """
    emu = await airbyte_emulator_factory(connections=1, airbyte_version="0.40")
    cid = emu.connection_ids[0]
    answer = await update_schedule(http, emu, cid, "cron", cron(expression, zone))
    assert answer.status == 422
    assert answer.json["message"] == (
        f"The provided configuration does not fulfill the specification. Errors: {fault}"
    )
