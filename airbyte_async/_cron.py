"""
Quartz cron expressions, which Airbyte's scheduler reads with ``org.quartz.CronExpression``:
parsing (a pipeline file's schedules are checked before any write), and the next instant an
expression fires in a time zone (the emulator's scheduler, ``testing._schedule``).

An expression has six or seven fields, separated by spaces or tabs: seconds (0-59), minutes
(0-59), hours (0-23), day-of-month (1-31), month (1-12 or JAN-DEC), day-of-week (1-7 or
SUN-SAT, Sunday being 1) and an optional year (1970-2199). Letters may be in any case. A field
is ``*`` or a comma-separated list of items; an item is a value or a range ``a-b``, either one
optionally followed by a step ``/n`` (``*/n`` and ``a/n`` run from the start to the field's
highest value). A range whose end is below its start wraps around: hours ``22-2`` are 22, 23,
0, 1 and 2, days ``FRI-MON`` are Friday to Monday. Exactly one of day-of-month and day-of-week
is ``?`` ("no specific value"); the other one decides which days fire.

Quartz's special characters are modelled, each standing alone in its field as Quartz's own
documentation asks:

- day-of-month: ``L`` (the month's last day), ``L-n`` (n days before it, n up to 30), ``nW``
  (the weekday nearest day n, without leaving the month), ``LW`` and ``L-nW`` (the weekday
  nearest the last day, or nearest n days before it);
- day-of-week: ``L`` alone (Saturday, as ``7``), ``nL`` (the month's last n-day) and ``n#k``
  (its k-th n-day, k from 1 to 5).

A month without the day asked for (``6#5`` in most months, ``31W`` in April) has no fire.

:func:`parse` raises :class:`CronError`, a ValueError naming the field and the fault, for
whatever Quartz refuses with a ParseException. Where Quartz's parser is lax it is stricter: it
refuses fields after the seventh (Quartz ignores them), a zero step (Quartz reads ``5/0`` as
``5``) and letters after a value outside the L, W and # forms (Quartz drops them); and it
honours a step after a range of names (``MON-FRI/2``), which Quartz drops.

Time: :meth:`CronExpression.next_after` returns the first whole second strictly after the
instant given whose wall-clock time in the zone matches (``getNextValidTimeAfter``). A wall
time that a daylight-saving gap skips does not fire, as in Quartz; a wall time that the
autumn change repeats fires once, at its first occurrence (Quartz resolves it through
``java.util.Calendar``, whose choice is not modelled). The search gives up, answering None,
past the last year the expression lists or a hundred years after the instant given (Quartz's
``MAX_YEAR`` is a hundred years after its JVM's current year).
"""

from __future__ import annotations

import calendar
import functools
import math
import re
import zoneinfo
from bisect import bisect_left
from collections.abc import Callable, Mapping
from datetime import UTC, date, datetime, time, timedelta, timezone, tzinfo
from zoneinfo import ZoneInfo

import attrs

__all__ = [
    "CronError",
    "CronExpression",
    "DaysOfMonth",
    "DaysOfWeek",
    "next_fire",
    "parse",
    "schedule_problem",
    "time_zone",
]

#: How many years past the instant given the search for a fire goes on.
HORIZON_YEARS = 100

_MONTH_NAMES = ("JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC")
_MONTHS = {name: number for number, name in enumerate(_MONTH_NAMES, start=1)}
_DAYS = {"SUN": 1, "MON": 2, "TUE": 3, "WED": 4, "THU": 5, "FRI": 6, "SAT": 7}
_ITEM = re.compile(r"(?P<start>\*|\d+|[A-Z]+)(?:-(?P<end>\d+|[A-Z]+))?(?:/(?P<step>\d+))?")
_LAST_DAY = re.compile(r"L(?:-(?P<offset>\d+))?(?P<weekday>W)?")
_NEAREST = re.compile(r"(?P<day>\d+)W")
_LAST_OF = re.compile(r"(?P<day>\d+|[A-Z]+)L")
_NTH_OF = re.compile(r"(?P<day>\d+|[A-Z]+)#(?P<nth>\d+)")
#: Joda's offset ids (``DateTimeFormatterBuilder.TimeZoneOffset.parseInto``): hours, then
#: optional minutes and seconds, with colons or without (the milliseconds Joda also reads
#: after them are not taken).
_OFFSET = re.compile(
    r"(?P<sign>[+-])(?P<hours>\d{2})"
    r"(?:(?P<colon>:?)(?P<minutes>\d{2})(?:(?P=colon)(?P<seconds>\d{2}))?)?"
)


class CronError(ValueError):
    """A cron expression or time zone that Airbyte's scheduler cannot read; the message says why."""


@attrs.frozen
class _Field:
    name: str
    low: int
    high: int
    names: Mapping[str, int]
    #: The largest step Quartz accepts (None: any).
    max_step: int | None
    #: Whether a range may end below its start and wrap around.
    wraps: bool = True

    def value(self, text: str, item: str) -> int:
        if text.isdigit():
            number = int(text)
        elif text in self.names:
            number = self.names[text]
        elif self.names:
            raise CronError(f"{self.name}: unknown name {text!r} in {item!r}")
        else:
            raise CronError(f"{self.name}: {text!r} in {item!r} is not a number")
        if not self.low <= number <= self.high:
            raise CronError(f"{self.name}: values are {self.low}-{self.high}, not {number}")
        return number

    def values(self, item: str) -> set[int]:
        """The values one list item stands for."""
        found = _ITEM.fullmatch(item)
        if found is None:
            raise CronError(f"{self.name}: cannot read {item!r}")
        start_text, end_text, step_text = found.group("start", "end", "step")
        step = 1 if step_text is None else int(step_text)
        if step_text is not None and not (
            step >= 1 and (self.max_step is None or step <= self.max_step)
        ):
            top = "" if self.max_step is None else f" and {self.max_step}"
            raise CronError(f"{self.name}: the step in {item!r} must be between 1{top}")
        if start_text == "*":
            if end_text is not None:
                raise CronError(f"{self.name}: '*' cannot start a range ({item!r})")
            start, end = self.low, self.high
        else:
            start = self.value(start_text, item)
            if end_text is not None:
                end = self.value(end_text, item)
            else:
                end = self.high if step_text is not None else start
        if end >= start:
            return set(range(start, end + 1, step))
        if not self.wraps:
            raise CronError(f"{self.name}: the range {item!r} ends before it starts")
        span = self.high - self.low + 1
        return {self.low + (i - self.low) % span for i in range(start, end + span + 1, step)}

    def parse(self, text: str) -> frozenset[int]:
        """The values of a whole field of plain items."""
        if "?" in text:
            raise CronError(
                f"{self.name}: '?' is only allowed as the whole of day-of-month or day-of-week"
            )
        found: set[int] = set()
        for item in text.split(","):
            if not item:
                raise CronError(f"{self.name}: empty item in {text!r}")
            found |= self.values(item)
        return frozenset(found)


_SECONDS = _Field("seconds", 0, 59, {}, 59)
_MINUTES = _Field("minutes", 0, 59, {}, 59)
_HOURS = _Field("hours", 0, 23, {}, 23)
_DAY_OF_MONTH = _Field("day-of-month", 1, 31, {}, 31)
_MONTH = _Field("month", 1, 12, _MONTHS, 12)
_DAY_OF_WEEK = _Field("day-of-week", 1, 7, _DAYS, 7)
_YEAR = _Field("year", 1970, 2199, {}, None, wraps=False)


def _last_day(day: date) -> int:
    return calendar.monthrange(day.year, day.month)[1]


def _nearest_weekday(year: int, month: int, target: int, last: int) -> int:
    weekday = date(year, month, target).weekday()
    if weekday == 5:
        return target - 1 if target > 1 else target + 2
    if weekday == 6:
        return target + 1 if target < last else target - 2
    return target


def _quartz_weekday(day: date) -> int:
    """Quartz's day-of-week number: Sunday 1 to Saturday 7."""
    return (day.weekday() + 1) % 7 + 1


@attrs.frozen
class DaysOfMonth:
    """
    A day-of-month rule: the listed *days*, or with *last* the month's last day less
    *offset*, or with *nearest_weekday* the weekday nearest that day (or the single listed day).
    """

    days: frozenset[int] = frozenset()
    last: bool = False
    offset: int = 0
    nearest_weekday: bool = False

    def matches(self, day: date) -> bool:
        """Whether *day* fires."""
        last = _last_day(day)
        if not (self.last or self.nearest_weekday):
            return day.day in self.days
        target = last - self.offset if self.last else min(self.days)
        if not 1 <= target <= last:
            return False
        if self.nearest_weekday:
            target = _nearest_weekday(day.year, day.month, target, last)
        return day.day == target


@attrs.frozen
class DaysOfWeek:
    """
    A day-of-week rule in Quartz's numbers (Sunday 1): the listed *days*, or only the last of
    the month's (*last*), or only its *nth* (1-5, 0 for any).
    """

    days: frozenset[int]
    last: bool = False
    nth: int = 0

    def matches(self, day: date) -> bool:
        """Whether *day* fires."""
        if _quartz_weekday(day) not in self.days:
            return False
        if self.last:
            return day.day + 7 > _last_day(day)
        return self.nth == 0 or (day.day - 1) // 7 + 1 == self.nth


@attrs.frozen
class CronExpression:
    """
    A parsed expression (see the module docstring): sorted seconds, minutes and hours, the
    months, the years (None: any) and the day rule, from day-of-month or day-of-week.
    """

    text: str
    seconds: tuple[int, ...]
    minutes: tuple[int, ...]
    hours: tuple[int, ...]
    months: frozenset[int]
    years: frozenset[int] | None
    days: DaysOfMonth | DaysOfWeek

    def next_after(self, after: float, zone: tzinfo) -> float | None:
        """
        The first whole second strictly after *after* (epoch seconds) at which the expression
        fires, its wall-clock time read in *zone*; None when none comes within the horizon.
        """
        start = math.floor(after) + 1
        wall = datetime.fromtimestamp(start, zone).replace(tzinfo=None, fold=0)
        horizon = wall.year + HORIZON_YEARS
        while (found := self._next_wall_time(wall, horizon)) is not None:
            instant = _instant(found, zone)
            if instant is not None and instant >= start:
                return float(instant)
            wall = found + timedelta(seconds=1)
        return None

    def _next_wall_time(self, start: datetime, horizon: int) -> datetime | None:
        """The first matching wall-clock time at or after *start*, in years up to *horizon*."""
        day, floor = start.date(), start.time()
        while day.year <= horizon:
            if self.years is not None and day.year not in self.years:
                later = [year for year in self.years if year > day.year]
                if not later:
                    return None
                day, floor = date(min(later), 1, 1), time()
            elif day.month not in self.months:
                later = [month for month in self.months if month > day.month]
                day = date(day.year, min(later), 1) if later else date(day.year + 1, 1, 1)
                floor = time()
            elif self.days.matches(day) and (moment := self._first_time(floor)) is not None:
                return datetime.combine(day, moment)
            else:
                day, floor = day + timedelta(days=1), time()
        return None

    def _first_time(self, floor: time) -> time | None:
        """The first matching time of day at or after *floor*."""
        for hour in self.hours[bisect_left(self.hours, floor.hour) :]:
            low_minute = floor.minute if hour == floor.hour else 0
            for minute in self.minutes[bisect_left(self.minutes, low_minute) :]:
                same = (hour, minute) == (floor.hour, floor.minute)
                index = bisect_left(self.seconds, floor.second if same else 0)
                if index < len(self.seconds):
                    return time(hour, minute, self.seconds[index])
        return None


def _instant(wall: datetime, zone: tzinfo) -> int | None:
    """Epoch seconds of *wall* in *zone* (its first occurrence); None when a DST gap skips it."""
    stamp = wall.replace(tzinfo=zone).timestamp()
    if datetime.fromtimestamp(stamp, zone).replace(tzinfo=None, fold=0) != wall:
        return None
    return int(stamp)


def _special(
    field: _Field, text: str, letters: str, build: Callable[[], DaysOfMonth | DaysOfWeek | None]
) -> DaysOfMonth | DaysOfWeek | None:
    """*build*'s rule for a field using any of *letters*, which must then stand alone."""
    if not any(letter in text for letter in letters):
        return None
    if "," in text:
        raise CronError(f"{field.name}: {' and '.join(letters)} cannot be used in a list")
    rule = build()
    if rule is None:
        raise CronError(f"{field.name}: cannot read {text!r}")
    return rule


def _days_of_month(text: str) -> DaysOfMonth:
    def build() -> DaysOfMonth | None:
        if found := _LAST_DAY.fullmatch(text):
            offset = int(found.group("offset") or 0)
            if offset > 30:
                raise CronError("day-of-month: the offset from the last day must be at most 30")
            return DaysOfMonth(last=True, offset=offset, nearest_weekday=bool(found["weekday"]))
        if found := _NEAREST.fullmatch(text):
            day = _DAY_OF_MONTH.value(found.group("day"), text)
            return DaysOfMonth(frozenset({day}), nearest_weekday=True)
        return None

    special = _special(_DAY_OF_MONTH, text, "LW", build)
    if isinstance(special, DaysOfMonth):
        return special
    return DaysOfMonth(_DAY_OF_MONTH.parse(text))


def _days_of_week(text: str) -> DaysOfWeek:
    def build() -> DaysOfWeek | None:
        if text == "L":
            return DaysOfWeek(frozenset({7}))
        if found := _LAST_OF.fullmatch(text):
            day = _DAY_OF_WEEK.value(found.group("day"), text)
            return DaysOfWeek(frozenset({day}), last=True)
        if found := _NTH_OF.fullmatch(text):
            day = _DAY_OF_WEEK.value(found.group("day"), text)
            nth = int(found.group("nth"))
            if not 1 <= nth <= 5:
                raise CronError("day-of-week: a number from 1 to 5 must follow '#'")
            return DaysOfWeek(frozenset({day}), nth=nth)
        return None

    special = _special(_DAY_OF_WEEK, text, "L#", build)
    if isinstance(special, DaysOfWeek):
        return special
    return DaysOfWeek(_DAY_OF_WEEK.parse(text))


@functools.lru_cache(maxsize=1024)
def parse(expression: str) -> CronExpression:
    """*expression* parsed (see the module docstring); :class:`CronError` when Quartz refuses it."""
    fields = expression.upper().split()
    if len(fields) not in (6, 7):
        raise CronError(
            "a cron expression has 6 or 7 fields (seconds minutes hours day-of-month month "
            f"day-of-week [year]), not {len(fields)}: {expression!r}"
        )
    second, minute, hour, day_of_month, month, day_of_week = fields[:6]
    if (day_of_month == "?") == (day_of_week == "?"):
        raise CronError(
            "exactly one of day-of-month and day-of-week must be '?' "
            f"(Quartz cannot combine them), not {day_of_month!r} and {day_of_week!r}"
        )
    days: DaysOfMonth | DaysOfWeek = (
        _days_of_week(day_of_week) if day_of_month == "?" else _days_of_month(day_of_month)
    )
    return CronExpression(
        text=expression,
        seconds=tuple(sorted(_SECONDS.parse(second))),
        minutes=tuple(sorted(_MINUTES.parse(minute))),
        hours=tuple(sorted(_HOURS.parse(hour))),
        months=_MONTH.parse(month),
        years=_YEAR.parse(fields[6]) if len(fields) == 7 else None,
        days=days,
    )


@functools.lru_cache(maxsize=256)
def time_zone(name: str) -> tzinfo:
    """
    The zone *name* names, in the forms Joda's ``DateTimeZone.forID`` reads: ``UTC``, an IANA
    name (``Europe/Paris``, through zoneinfo) or a fixed offset (``+05:30``, ``+0530``,
    ``-08``, ``+05:30:15``). :class:`CronError` for anything else.
    """
    if name == "UTC":
        return UTC
    if offset := _OFFSET.fullmatch(name):
        hours, minutes, seconds = (int(offset[f] or 0) for f in ("hours", "minutes", "seconds"))
        if hours > 23 or minutes > 59 or seconds > 59:
            raise CronError(f"unknown time zone {name!r}: offsets run to 23:59:59")
        sign = -1 if offset["sign"] == "-" else 1
        return timezone(sign * timedelta(hours=hours, minutes=minutes, seconds=seconds))
    try:
        return ZoneInfo(name)
    except (KeyError, ValueError, OSError):
        raise CronError(f"unknown time zone {name!r}") from None


def schedule_problem(expression: str, zone: str) -> str | None:
    """
    Why Airbyte's scheduler cannot run *expression* in *zone*, or None when it can: an
    expression :func:`parse` refuses, a zone under ``Etc/`` (Airbyte refuses any whose name
    starts so, in any case, before reading it: ``ConnectionScheduleHelper``, 0.40 on), or a
    zone no time-zone database names (checked only where this machine has one: without it, no
    name could be).
    """
    try:
        parse(expression)
    except CronError as e:
        return str(e)
    if zone.lower().startswith("etc"):
        return (
            f"Airbyte takes no Etc/ time zone, not {zone!r}: name it UTC, a fixed offset "
            "(-05:00) or a place's zone (Europe/Paris)"
        )
    try:
        time_zone(zone)
    except CronError as e:
        if zoneinfo.available_timezones():
            return f"{e} (an IANA name such as Europe/Paris, or UTC)"
    return None


@functools.lru_cache(maxsize=8192)
def next_fire(expression: str, zone: str, after: float) -> float | None:
    """
    The first instant (epoch seconds) strictly after *after* at which *expression* fires in the
    time zone *zone*; None when none comes. :class:`CronError` for an unreadable expression or
    an unknown zone.
    """
    return parse(expression).next_after(after, time_zone(zone))
