"""
Scheduled syncs: when Airbyte's own scheduler starts a job for a connection on a ``basic`` or a
``cron`` schedule (off unless ``Emulator(scheduler=True)``).

Each connection's workflow (``ConnectionManagerWorkflowImpl``: ``generateSyncWorkflowRunnable``
asks, then waits, then runs one job, then continues as new) asks
``ConfigFetchActivityImpl.getTimeToWait`` how long to wait before its next job
(airbytehq/airbyte-platform ``airbyte-workers/src/main/java/io/airbyte/workers/temporal/
scheduling/activities/ConfigFetchActivityImpl.java``, ``getTimeToWaitFromScheduleType``,
about lines 143-185 at ``0daa0d2``; the Kotlin port ``src/main/kotlin/.../
ConfigFetchActivityImpl.kt`` keeps the same method, about lines 160-237 at ``20c1603``):

- a manual connection, or one that is not active, waits a hundred years;
- a basic schedule without a previous replication job waits nothing: it starts at once;
- otherwise the next basic job starts *interval* after the previous replication job started
  (its ``startedAt``, else its ``createdAt``), or at once when that moment has passed;
- the interval is ``units`` times 60 s (minutes), 3,600 s (hours), 86,400 s (days), 7 days
  (weeks) or 30 days (months).

A cron schedule (the ``else`` branch of the same method) builds a Quartz ``CronExpression`` in
the connection's ``cronTimeZone`` (through Joda's ``DateTimeZone.forID``) and takes the
expression's next fire time strictly after an earliest moment: now, or, when a previous
replication job exists, its start (``startedAt``, else ``createdAt``) plus
``MIN_CRON_INTERVAL_SECONDS`` (60), whichever is later. The 60 seconds keep one cron minute
from starting two jobs. Unlike the basic case, a cron connection without any job does not
start at once: it waits for the expression's next fire. A fire that passes while a job runs is
not made up: the workflow asks only once that job has ended, and the next job waits for the
first fire after that. ``CronSchedulingHelper.getNextRuntimeBasedOnPreviousJobAndSchedule``
(the previous job's ``createdAt`` plus 60 s, without "now") replaces this only behind the
feature flag ``UseNewCronScheduleCalculation``, off by default: not modelled. Expressions are
evaluated by ``_cron``.

The workflow runs one job at a time and asks again when its job ends, or when the connection
changes (``connectionUpdated``), so a job never starts before the latest one ended or before
the schedule was set. Not modelled: the scheduling jitter behind ``AddSchedulingJitter`` and
the noise for a few listed workspaces, retries after a failure (``fromFailure`` backoff), and
the newest sources' use of ``getLastReplicationJobWithCancel``, which counts cancelled
(scheduled) jobs as the previous job: here, as before, the previous replication job is the
newest sync or reset that was not cancelled. A stored expression or time zone the emulator
cannot evaluate (the public API and version 0.50 store them unchecked) starts no job; Airbyte's
activity fails and retries there.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ._cron import CronError, next_fire, parse, time_zone

__all__ = [
    "MIN_CRON_INTERVAL",
    "SECONDS_PER_UNIT",
    "basic_interval",
    "cron_schedule",
    "next_cron_start",
    "next_start",
    "starts_jobs",
]

#: Seconds in each ``timeUnit`` of a basic schedule (``getSecondsInUnit``).
SECONDS_PER_UNIT = {
    "minutes": 60,
    "hours": 3_600,
    "days": 86_400,
    "weeks": 7 * 86_400,
    "months": 30 * 86_400,
}

#: Seconds after the previous job's start before a cron job may start
#: (``MIN_CRON_INTERVAL_SECONDS``).
MIN_CRON_INTERVAL = 60.0


def basic_interval(
    status: str, schedule_type: str, schedule_data: Mapping[str, Any] | None
) -> float | None:
    """Seconds between the scheduler's jobs for a connection; None when it starts none."""
    if status != "active" or schedule_type != "basic":
        return None
    basic = (schedule_data or {}).get("basicSchedule") or {}
    unit = SECONDS_PER_UNIT.get(str(basic.get("timeUnit")))
    units = basic.get("units")
    if unit is None or not isinstance(units, int) or units < 1:
        return None
    return float(unit * units)


def next_start(
    interval: float, since: float, last_started: float | None, latest_ends: float | None
) -> float:
    """
    When the scheduler starts the next job: *since* (when the schedule took effect) without a
    previous replication job, else *interval* after that job started (*last_started*); never
    before the connection's latest job ends (*latest_ends*) nor before *since*.
    """
    due = since if last_started is None else last_started + interval
    return max(due, since, since if latest_ends is None else latest_ends)


def cron_schedule(
    status: str, schedule_type: str, schedule_data: Mapping[str, Any] | None
) -> tuple[str, str] | None:
    """
    The ``(expression, time zone)`` the scheduler follows for an active connection on a cron
    schedule; None when it starts no job: not active, not cron, or an expression or time zone
    that cannot be evaluated.
    """
    if status != "active" or schedule_type != "cron":
        return None
    cron = (schedule_data or {}).get("cron") or {}
    expression, zone = cron.get("cronExpression"), cron.get("cronTimeZone")
    if not isinstance(expression, str) or not isinstance(zone, str):
        return None
    try:
        parse(expression)
        time_zone(zone)
    except CronError:
        return None
    return expression, zone


def next_cron_start(
    expression: str,
    zone: str,
    since: float,
    last_started: float | None,
    latest_ends: float | None,
) -> float | None:
    """
    When the scheduler starts the next job of a cron schedule: the first fire of *expression*
    in *zone* strictly after the moment the workflow asks (*since*, when the schedule took
    effect, or the end of the connection's latest job, *latest_ends*, whichever is later), and
    at least :data:`MIN_CRON_INTERVAL` after the previous replication job started
    (*last_started*). None when the expression fires no more.
    """
    asked = since if latest_ends is None else max(since, latest_ends)
    earliest = asked if last_started is None else max(asked, last_started + MIN_CRON_INTERVAL)
    return next_fire(expression, zone, earliest)


def starts_jobs(status: str, schedule_type: str, schedule_data: Mapping[str, Any] | None) -> bool:
    """Whether the scheduler starts jobs for a connection with this status and schedule."""
    return (
        basic_interval(status, schedule_type, schedule_data) is not None
        or cron_schedule(status, schedule_type, schedule_data) is not None
    )
