"""
Scheduled syncs: when Airbyte's own scheduler starts a job for a connection on a ``basic``
schedule (off unless ``Emulator(scheduler=True)``).

Each connection's workflow asks ``ConfigFetchActivityImpl.getTimeToWait`` how long to wait
before its next job (airbytehq/airbyte-platform ``airbyte-workers/src/main/java/io/airbyte/
workers/temporal/scheduling/activities/ConfigFetchActivityImpl.java``):

- a manual connection, or one that is not active, waits a hundred years;
- a basic schedule without a previous replication job waits nothing: it starts at once;
- otherwise the next job starts *interval* after the previous replication job started (its
  ``startedAt``, else its ``createdAt``), or at once when that moment has passed;
- the interval is ``units`` times 60 s (minutes), 3,600 s (hours), 86,400 s (days), 7 days
  (weeks) or 30 days (months).

The workflow runs one job at a time and asks again when its job ends, or when the connection
changes (``connectionUpdated``), so a job never starts before the latest one ended or before
the schedule was set. Cron schedules and the scheduling jitter behind a feature flag are not
modelled.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

__all__ = ["SECONDS_PER_UNIT", "basic_interval", "next_start"]

#: Seconds in each ``timeUnit`` of a basic schedule (``getSecondsInUnit``).
SECONDS_PER_UNIT = {
    "minutes": 60,
    "hours": 3_600,
    "days": 86_400,
    "weeks": 7 * 86_400,
    "months": 30 * 86_400,
}


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
