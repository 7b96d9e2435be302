"""The poll pace: how often the orchestrator's watcher asks for finished jobs."""

from __future__ import annotations

from typing import Any

import pytest

from airbyte_async._watch import poll_pace

DEFAULTS: dict[str, Any] = {
    "oldest_age": 60.0,
    "ended": 0,
    "ended_over": 3.0,
    "watched": 500,
    "waiting": 1000,
    "completions_per_poll": 12.0,
    "min_interval": 0.09,
    "max_interval": 30.0,
}


def pace(**changes: Any) -> float:
    """poll_pace with the defaults above, changed where given."""
    return poll_pace(**(DEFAULTS | changes))


def test_jobs_that_ended_nowhere_are_polled_by_a_tenth_of_the_oldest_age() -> None:
    """With no ends seen, a job that has run a minute is polled every six seconds."""
    assert pace(oldest_age=60.0) == pytest.approx(6.0)
    assert pace(oldest_age=600.0) == pytest.approx(30.0)


def test_young_jobs_are_polled_no_faster_than_min_interval() -> None:
    """Jobs a tenth of a second old are polled at min_interval, not every ten milliseconds."""
    assert pace(oldest_age=0.1) == pytest.approx(0.09)


def test_nothing_watched_means_the_longest_interval() -> None:
    """With no job watched, the pace is max_interval."""
    assert pace(oldest_age=None, watched=0) == pytest.approx(30.0)


def test_while_jobs_end_a_poll_comes_per_completions_per_poll_ends() -> None:
    """60 ends over the last 3 s (20/s): one poll per 12 ends is every 0.6 s."""
    assert pace(ended=60, ended_over=3.0) == pytest.approx(0.6)


def test_a_wave_of_ends_is_measured_over_its_own_span() -> None:
    """30 ends over the 0.5 s since ends began is 60/s, not 10/s over a 3 s window."""
    assert pace(ended=30, ended_over=0.5) == pytest.approx(0.2)


def test_a_single_early_end_does_not_look_like_a_flood() -> None:
    """One end a millisecond ago is counted over min_interval, not over a millisecond."""
    assert pace(ended=1, ended_over=0.001) == pytest.approx(12 * 0.09)


def test_near_the_end_a_poll_waits_for_a_quarter_of_the_jobs_left() -> None:
    """With 8 jobs left and 20 ending per second, a poll comes every 0.1 s, not every 0.6 s."""
    assert pace(ended=60, ended_over=3.0, watched=8) == pytest.approx(2 / 20)


def test_the_last_job_is_polled_per_expected_end() -> None:
    """With one job left, a poll comes per end expected, never faster than min_interval."""
    assert pace(ended=6, ended_over=3.0, watched=1) == pytest.approx(0.5)
    assert pace(ended=60, ended_over=3.0, watched=1) == pytest.approx(0.09)


def test_with_no_sync_waiting_a_poll_waits_for_a_quarter_of_the_jobs_left() -> None:
    """With 500 jobs left, 20 ending per second and none waiting for a slot: every 6.25 s."""
    assert pace(ended=60, ended_over=3.0, waiting=0, oldest_age=600.0) == pytest.approx(6.25)


def test_with_no_sync_waiting_the_last_job_is_still_polled_per_expected_end() -> None:
    """With one job left and none waiting, a poll still comes per end expected."""
    assert pace(ended=6, ended_over=3.0, watched=1, waiting=0) == pytest.approx(0.5)


def test_the_age_rule_bounds_a_slow_rate() -> None:
    """A slow rate of ends never stretches the pace past a tenth of the oldest job's age."""
    assert pace(ended=1, ended_over=3.0, oldest_age=5.0) == pytest.approx(0.5)
