"""
Scheduled syncs: when Airbyte's own scheduler starts a job for a connection on a ``basic`` or a
``cron`` schedule (off unless ``Emulator(scheduler=True)``), by the rules of the emulated
version.

Each connection's workflow (``ConnectionManagerWorkflowImpl``: ``generateSyncWorkflowRunnable``
asks, then waits, then runs one job, then continues as new) asks
``ConfigFetchActivityImpl.getTimeToWait`` how long to wait before its next job. Its method
``getTimeToWaitFromScheduleType`` holds the rules, and they changed between the versions
served here (airbytehq/airbyte-platform, ``airbyte-workers/src/main/.../temporal/scheduling/
activities/``):

- 0.40 and 0.50 (the Java activity: ``ConfigFetchActivityImpl.java``, about lines 143-185 at
  ``0daa0d2``; the same rules in a late-2022 copy, of the 0.40 era, that still reads
  ``JobPersistence`` itself) take as the previous job ``getLastReplicationJob`` (about line
  150): the connection's newest sync or reset by ``created_at`` whose status is not
  ``cancelled``, whoever started it. A basic schedule counts its interval from that job's
  ``startedAt``, else its ``createdAt`` (about lines 157-158). Which activity commit the tags
  v0.40.32 and v0.50.56 hold was not pinned; that they follow these rules rests on every Java
  copy read, 2022 to 2025, counting from ``startedAt``, and on the route below missing from
  their specs.
- head (the Kotlin port: ``ConfigFetchActivityImpl.kt``, about lines 160-237 at ``20c1603``;
  the same at ``b83d919``) takes ``getLastReplicationJobWithCancel`` (about line 171): the
  newest replication job with ``is_scheduled = true``, whatever its status
  (``DefaultJobPersistence.kt``, same-named method, at ``0054885``). A basic schedule counts
  from that job's ``createdAt`` alone (about line 178). A job is ``is_scheduled`` only when the
  workflow created it without a manual trigger: ``getOrCreateJobId`` sends
  ``JobCreationInput(connectionId, !workflowState.isSkipScheduling)``, and ``submitManualSync``
  and ``resetConnection`` set ``isSkipScheduling`` (``ConnectionManagerWorkflowImpl.kt`` at
  ``1b8991b``); ``DefaultJobCreator`` enqueues resets and refreshes with ``false``. So on head a
  cancelled scheduled job still counts (the spec's summary of
  ``jobs/get_last_replication_job_with_cancel``: so "that we don't immediately start a new job
  after a cancel"), while manual syncs and resets do not count at all. Neither that route nor
  ``JobCreate.isScheduled`` is in the 0.50.56 or 0.40.32 spec, so those versions cannot have
  used it. The Java activity at ``9c10a75`` (2025) already calls
  ``getLastReplicationJobWithCancel`` but still counts from ``startedAt``: a state between the
  two that no version served here shipped.

In every version:

- a manual connection, or one that is not active, waits a hundred years;
- a basic schedule without a previous job waits nothing: it starts at once; otherwise the next
  basic job starts *interval* after the moment above, or at once when that moment has passed;
- the interval is ``units`` times 60 s (minutes), 3,600 s (hours), 86,400 s (days), 7 days
  (weeks) or 30 days (months).

A cron schedule (the ``else`` branch of the same method) builds a Quartz ``CronExpression`` in
the connection's ``cronTimeZone`` (through Joda's ``DateTimeZone.forID``) and takes the
expression's next fire time strictly after an earliest moment: now, or, when a previous job
exists, its start (``startedAt``, else ``createdAt``) plus ``MIN_CRON_INTERVAL_SECONDS`` (60),
whichever is later. Only the choice of the previous job differs by version, as above: on head a
manual sync just before a fire does not take its place, and a scheduled job cancelled within
its first minute still holds off the next fire. The 60 seconds keep one cron minute from
starting two jobs. Unlike the basic case, a cron connection without a previous job does not
start at once: it waits for the expression's next fire. A fire that passes while a job runs is
not made up: the workflow asks only once that job has ended, and the next job waits for the
first fire after that. ``CronSchedulingHelper.getNextRuntimeBasedOnPreviousJobAndSchedule``
(the previous job's ``createdAt`` plus 60 s, without "now") replaces this on head only behind
the feature flag ``UseNewCronScheduleCalculation``, off by default: not modelled. Expressions
are evaluated by ``_cron``.

A job's start here is when it runs; a job cancelled before it ran has no ``startedAt``, so its
creation stands in. The workflow runs one job at a time and asks again when its job ends, or
when the connection changes (``connectionUpdated``), so a job never starts before the latest
one ended or before the schedule was set. Not modelled: the scheduling jitter behind
``AddSchedulingJitter`` and the noise for a few listed workspaces, and retries after a failure
(``fromFailure`` backoff). A stored expression or time zone the emulator cannot evaluate (the
public API stores them unchecked) starts no job; Airbyte's activity fails and retries there.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import attrs

from .._cron import CronError, next_fire, parse, time_zone
from ._versions import since

__all__ = [
    "MIN_CRON_INTERVAL",
    "SECONDS_PER_UNIT",
    "Rules",
    "basic_interval",
    "cron_schedule",
    "next_cron_start",
    "next_start",
    "rules",
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


@attrs.frozen
class Rules:
    """Which job a version's scheduler takes as the previous one, and what it counts from."""

    #: The previous job is the newest one the scheduler itself started, cancelled or not
    #: (``getLastReplicationJobWithCancel``); otherwise the newest sync or reset, however
    #: started, that was not cancelled (``getLastReplicationJob``).
    scheduled_with_cancel: bool
    #: A basic interval counts from the previous job's creation; otherwise from its start.
    basic_from_creation: bool


#: The Java activity's rules (0.40 and 0.50).
_JAVA = Rules(scheduled_with_cancel=False, basic_from_creation=False)
#: The Kotlin port's rules (head).
_KOTLIN = Rules(scheduled_with_cancel=True, basic_from_creation=True)


def rules(version: str) -> Rules:
    """The scheduling rules of Airbyte *version* (one of ``_versions.VERSIONS``)."""
    return _KOTLIN if since(version, "1.7") else _JAVA


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
    interval: float, since: float, counted_from: float | None, latest_ends: float | None
) -> float:
    """
    When the scheduler starts the next job: *since* (when the schedule took effect) without a
    previous job, else *interval* after the moment it counts from (*counted_from*: the previous
    job's start or creation, see :class:`Rules`); never before the connection's latest job
    ends (*latest_ends*) nor before *since*.
    """
    due = since if counted_from is None else counted_from + interval
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
    at least :data:`MIN_CRON_INTERVAL` after the previous job started (*last_started*: its
    start, else its creation; the previous job as :class:`Rules` picks it). None when the
    expression fires no more.
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
