"""
The emulator's Quartz cron evaluator (``airbyte_async.testing._cron``), on its own: which
seconds an expression fires at, in which time zone, and which expressions it refuses.

The grammar is Quartz's ``CronExpression`` (the class Airbyte's ``ConfigFetchActivityImpl``
builds); the expected instants are worked out by hand from the calendar.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from itertools import pairwise

import pytest

from airbyte_async._cron import CronError, next_fire, parse, time_zone


def fires(expression: str, start: str, zone: str = "UTC", count: int = 4) -> list[str]:
    """The next *count* fires after the ISO instant *start*, as ISO wall times in *zone*."""
    after: float | None = datetime.fromisoformat(start).timestamp()
    found = []
    for _ in range(count):
        assert after is not None
        after = next_fire(expression, zone, after)
        if after is None:
            break
        found.append(datetime.fromtimestamp(after, time_zone(zone)).isoformat())
    return found


@pytest.mark.parametrize(
    ("expression", "expected"),
    [
        # Lists, in the hours field.
        ("0 0 1,13,22 * * ?", ["01:00", "13:00", "22:00", "01:00"]),
        # A range.
        ("0 0 9-11 * * ?", ["09:00", "10:00", "11:00", "09:00"]),
        # A step from a start, and from '*'.
        ("0 10/20 * * * ?", ["00:10", "00:30", "00:50", "01:10"]),
        ("0 */15 * * * ?", ["00:15", "00:30", "00:45", "01:00"]),
        # A stepped range that wraps past midnight: 22, 0 and 2.
        ("0 0 22-2/2 * * ?", ["02:00", "22:00", "00:00", "02:00"]),
    ],
)
def test_lists_ranges_and_steps_pick_the_times_of_day(expression: str, expected: list[str]) -> None:
    """Lists, ranges, ``a/n``, ``*/n`` and a wrapping ``a-b/n`` give the hours and minutes."""
    found = fires(expression, "2027-01-04T00:00:00+00:00")
    assert [moment[11:16] for moment in found] == expected


def test_the_seconds_field_counts_and_a_fire_is_strictly_after() -> None:
    """Seconds are the first field, and an instant that fires is not its own next fire."""
    start = datetime(2027, 1, 4, 12, 0, 30, tzinfo=UTC).timestamp()
    assert next_fire("30 * * * * ?", "UTC", start) == start + 60
    assert next_fire("30 * * * * ?", "UTC", start - 0.5) == start


@pytest.mark.parametrize(
    ("expression", "expected"),
    [
        # Weekday names and Quartz numbers (Sunday is 1): Monday and Friday.
        ("0 0 8 ? * MON,FRI", ["2027-01-04", "2027-01-08", "2027-01-11", "2027-01-15"]),
        ("0 0 8 ? * 2,6", ["2027-01-04", "2027-01-08", "2027-01-11", "2027-01-15"]),
        # A range of names, any case: Saturday and Sunday.
        ("0 0 8 ? * sat-sun", ["2027-01-09", "2027-01-10", "2027-01-16", "2027-01-17"]),
        # A wrapping weekday range: Friday to Monday.
        ("0 0 8 ? * FRI-MON", ["2027-01-04", "2027-01-08", "2027-01-09", "2027-01-10"]),
        # Month names: the 1st of February and of April.
        ("0 0 8 1 FEB,APR ?", ["2027-02-01", "2027-04-01", "2028-02-01", "2028-04-01"]),
    ],
)
def test_names_pick_days_and_months(expression: str, expected: list[str]) -> None:
    """Three-letter weekday and month names read as their numbers, in any case."""
    found = fires(expression, "2027-01-03T12:00:00+00:00")
    assert [moment[:10] for moment in found] == expected


def test_the_question_mark_leaves_the_day_to_the_other_field() -> None:
    """``?`` in day-of-week lets day-of-month decide, and the other way round."""
    by_date = fires("0 0 0 13 * ?", "2027-01-01T00:00:00+00:00", count=3)
    by_weekday = fires("0 0 0 ? * FRI", "2027-01-01T00:00:00+00:00", count=3)
    assert [m[:10] for m in by_date] == ["2027-01-13", "2027-02-13", "2027-03-13"]
    assert [m[:10] for m in by_weekday] == ["2027-01-08", "2027-01-15", "2027-01-22"]


def test_day_of_month_and_day_of_week_cannot_both_be_given() -> None:
    """Quartz has no "the 13th and a Friday": one of the two day fields must be ``?``."""
    with pytest.raises(CronError, match="exactly one of day-of-month and day-of-week"):
        parse("0 0 0 13 * FRI")
    with pytest.raises(CronError, match="exactly one of day-of-month and day-of-week"):
        parse("0 0 0 ? * ?")


@pytest.mark.parametrize(
    ("expression", "expected"),
    [
        # The last day, and three days before it (February 2027 has 28 days).
        ("0 0 0 L * ?", ["2027-01-31", "2027-02-28", "2027-03-31"]),
        ("0 0 0 L-3 * ?", ["2027-01-28", "2027-02-25", "2027-03-28"]),
        # The last weekday: 2027-01-31 is a Sunday, 2027-02-28 a Sunday too.
        ("0 0 0 LW * ?", ["2027-01-29", "2027-02-26", "2027-03-31"]),
        # The weekday nearest the 16th: 2027-01-16 is a Saturday, 2027-05-16 a Sunday.
        ("0 0 0 16W 1,5 ?", ["2027-01-15", "2027-05-17", "2028-01-17"]),
        # 1W never leaves the month: 2028-01-01 is a Saturday, so Monday the 3rd.
        ("0 0 0 1W 1 ?", ["2028-01-03", "2029-01-01", "2030-01-01"]),
        # The last Friday, and the third Friday.
        ("0 0 0 ? * 6L", ["2027-01-29", "2027-02-26", "2027-03-26"]),
        ("0 0 0 ? * FRI#3", ["2027-01-15", "2027-02-19", "2027-03-19"]),
        # L alone in day-of-week is Saturday.
        ("0 0 0 ? * L", ["2027-01-02", "2027-01-09", "2027-01-16"]),
    ],
)
def test_l_w_and_hash_pick_days_as_in_quartz(expression: str, expected: list[str]) -> None:
    """``L``, ``L-n``, ``nW``, ``LW``, ``nL`` and ``n#k`` pick the days Quartz documents."""
    found = fires(expression, "2027-01-01T00:00:00+00:00", count=3)
    assert [moment[:10] for moment in found] == expected


def test_a_month_without_the_day_has_no_fire() -> None:
    """The 31st skips short months, and a fifth Monday fires only in months that have one."""
    assert [m[:10] for m in fires("0 0 0 31 * ?", "2027-01-31T12:00:00+00:00", count=2)] == [
        "2027-03-31",
        "2027-05-31",
    ]
    # February 2027 has four Mondays (1, 8, 15, 22); March has a fifth, the 29th.
    assert fires("0 0 0 ? * MON#5", "2027-02-01T00:00:00+00:00", count=1) == [
        "2027-03-29T00:00:00+00:00"
    ]


def test_the_year_rolls_over_and_a_year_field_ends_the_fires() -> None:
    """After December comes January of the next year; past the last listed year, no fire."""
    assert fires("0 0 0 1 * ?", "2027-11-15T00:00:00+00:00", count=3) == [
        "2027-12-01T00:00:00+00:00",
        "2028-01-01T00:00:00+00:00",
        "2028-02-01T00:00:00+00:00",
    ]
    assert fires("0 0 0 1 1 ? 2028-2029", "2027-06-01T00:00:00+00:00") == [
        "2028-01-01T00:00:00+00:00",
        "2029-01-01T00:00:00+00:00",
    ]
    assert fires("0 0 0 29 2 ?", "2027-03-01T00:00:00+00:00", count=1) == [
        "2028-02-29T00:00:00+00:00"
    ]
    assert next_fire("0 0 0 30 2 ?", "UTC", 1_800_000_000.0) is None


def test_the_wall_clock_of_the_zone_decides_across_the_spring_change() -> None:
    """
    Daily 09:00 in Europe/Paris is 08:00 UTC before 2027-03-28 and 07:00 UTC from then on, and
    02:30, which that night skips, does not fire on it.
    """
    nine = fires("0 0 9 * * ?", "2027-03-26T12:00:00+00:00", "Europe/Paris", count=3)
    assert nine == [
        "2027-03-27T09:00:00+01:00",
        "2027-03-28T09:00:00+02:00",
        "2027-03-29T09:00:00+02:00",
    ]
    as_utc = [datetime.fromisoformat(m).astimezone(UTC).hour for m in nine]
    assert as_utc == [8, 7, 7]
    skipped = fires("0 30 2 * * ?", "2027-03-27T00:00:00+00:00", "Europe/Paris", count=2)
    assert skipped == ["2027-03-27T02:30:00+01:00", "2027-03-29T02:30:00+02:00"]


def test_an_hour_repeated_in_autumn_fires_once() -> None:
    """On 2027-10-31 Paris lives 02:00-03:00 twice; ``0 30 * * * ?`` fires at its first 02:30."""
    found = fires("0 30 * * * ?", "2027-10-30T23:00:00+00:00", "Europe/Paris", count=4)
    assert found == [
        "2027-10-31T01:30:00+02:00",
        "2027-10-31T02:30:00+02:00",
        "2027-10-31T03:30:00+01:00",
        "2027-10-31T04:30:00+01:00",
    ]
    gaps = [datetime.fromisoformat(b) - datetime.fromisoformat(a) for a, b in pairwise(found)]
    assert gaps == [timedelta(hours=1), timedelta(hours=2), timedelta(hours=1)]


def test_time_zones_read_as_joda_reads_them() -> None:
    """UTC, IANA names and fixed offsets are zones; anything else is a CronError."""
    assert time_zone("UTC").utcoffset(None) == timedelta(0)
    assert time_zone("+05:30") == timezone(timedelta(hours=5, minutes=30))
    assert time_zone("-08") == timezone(timedelta(hours=-8))
    assert str(time_zone("America/New_York")) == "America/New_York"
    for bad in ("Mars/Olympus", "europe/paris", "", "../etc/passwd", "+25:00"):
        with pytest.raises(CronError, match="unknown time zone"):
            time_zone(bad)


@pytest.mark.parametrize(
    ("expression", "message"),
    [
        ("0 0 * * *", "6 or 7 fields"),
        ("0 0 0 * * ? 2027 extra", "6 or 7 fields"),
        ("60 * * * * ?", "seconds: values are 0-59, not 60"),
        ("0 0 24 * * ?", "hours: values are 0-23, not 24"),
        ("0 0 0 32 * ?", "day-of-month: values are 1-31, not 32"),
        ("0 0 0 1 13 ?", "month: values are 1-12, not 13"),
        ("0 0 0 ? * 8", "day-of-week: values are 1-7, not 8"),
        ("0 0 0 ? * 0", "day-of-week: values are 1-7, not 0"),
        ("0 0 0 1 1 ? 1969", "year: values are 1970-2199, not 1969"),
        ("0 0 0 1 FOO ?", "month: unknown name 'FOO'"),
        ("0 0 MON * * ?", "hours: 'MON' in 'MON' is not a number"),
        ("*/0 * * * * ?", "seconds: the step in '*/0' must be between 1 and 59"),
        ("0 0 */24 * * ?", "hours: the step in '*/24' must be between 1 and 23"),
        ("0 ? * * * ?", "minutes: '?' is only allowed as the whole"),
        ("0 0 0 1,L * ?", "day-of-month: L and W cannot be used in a list"),
        ("0 0 0 ? * 2#6", "day-of-week: a number from 1 to 5 must follow '#'"),
        ("0 0 0 L-31 * ?", "the offset from the last day must be at most 30"),
        ("0 0 0 1 1 ? 2029-2028", "year: the range '2029-2028' ends before it starts"),
        ("0 0 0 1,,2 * ?", "day-of-month: empty item"),
        ("0 0 0 1 * ? *-5", "year: '*' cannot start a range"),
        ("0 0 0 5X * ?", "day-of-month: cannot read '5X'"),
    ],
)
def test_invalid_expressions_raise_a_cron_error_naming_the_fault(
    expression: str, message: str
) -> None:
    """Every refusal is a CronError (a ValueError) whose message names the field and fault."""
    with pytest.raises(CronError, match=message.replace("?", r"\?").replace("*", r"\*")):
        parse(expression)
    assert issubclass(CronError, ValueError)
