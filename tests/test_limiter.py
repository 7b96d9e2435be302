"""The adaptive trigger limit: its rules on a fake clock, then batches against the emulator."""

from __future__ import annotations

import gc
import heapq
import io
import logging
import random
import statistics
import time
import weakref
from collections.abc import Callable
from typing import Any

import anyio
import attrs
import pytest
import stamina

from airbyte_async import AirbyteClient, NoAuth
from airbyte_async._limiter import (
    LimitRule,
    TriggerLimiter,
    note_overload,
    note_request,
    note_timeout,
    the_trigger,
)
from airbyte_async.cli._sync import Progress
from airbyte_async.errors import InvalidArgumentError
from airbyte_async.orchestrator import (
    EventKind,
    Orchestrator,
    Outcome,
    SyncEvent,
    SyncResult,
    SyncTarget,
)
from airbyte_async.resources import _reconcile
from airbyte_async.testing import Emulator, Fault


def _round_trip(
    rule: LimitRule, start: float, latency: float, *, overloaded: bool = False
) -> float:
    """Every slot in use sends one trigger at *start*; returns when they all answered."""
    for _ in range(rule.slots):
        rule.sample(
            started=start,
            ended=start + latency,
            in_flight=rule.slots,
            overloaded=overloaded,
        )
    return start + latency


def test_slow_start_doubles_the_limit_each_healthy_round_trip() -> None:
    """With flat latency and every slot in use, the limit goes 16, 32, 64, 128."""
    rule = LimitRule(1000)
    now, seen = 0.0, [rule.slots]
    for _ in range(3):
        now = _round_trip(rule, now, 0.2)
        seen.append(rule.slots)
    assert seen == [16, 32, 64, 128]


def test_an_overload_answer_halves_the_limit_once_per_round_trip() -> None:
    """A round trip of 503s halves the limit once, not once per 503."""
    rule = LimitRule(1000, initial=64)
    _round_trip(rule, 0.0, 0.2, overloaded=True)
    assert rule.slots == 32
    assert not rule.slow_start


def test_after_a_decrease_the_limit_grows_by_about_one_per_round_trip() -> None:
    """Out of slow start, a healthy round trip adds one slot, not a doubling."""
    rule = LimitRule(1000, initial=64)
    now = _round_trip(rule, 0.0, 0.2, overloaded=True)
    now = _round_trip(rule, now, 0.2)
    assert rule.limit == pytest.approx(33, abs=0.1)
    _round_trip(rule, now, 0.2)
    assert rule.limit == pytest.approx(34, abs=0.1)


def test_latency_grown_past_the_tolerance_lowers_the_limit() -> None:
    """Triggers that take three times the baseline cut the limit to 0.8 of itself."""
    rule = LimitRule(1000, initial=50)
    now = _round_trip(rule, 0.0, 0.2)
    assert rule.slots == 100
    _round_trip(rule, now, 0.6)
    assert rule.slots == 80
    assert "latency" in rule.last_reason


def test_a_latency_decrease_that_did_not_help_makes_the_latency_the_new_baseline() -> None:
    """Triggers as slow after a cut as before it: the server is slow of itself; no more cuts."""
    rule = LimitRule(1000, initial=50)
    now = _round_trip(rule, 0.0, 0.2)
    now = _round_trip(rule, now, 0.6)
    assert rule.slots == 80
    _round_trip(rule, now, 0.6)
    assert rule.slots >= 80
    assert rule.baseline == pytest.approx(0.6, abs=0.01)


def test_a_latency_decrease_that_helped_may_be_followed_by_another() -> None:
    """Latency that fell after a cut but is still too high cuts the limit again."""
    rule = LimitRule(1000, initial=50)
    now = _round_trip(rule, 0.0, 0.2)
    now = _round_trip(rule, now, 0.7)
    _round_trip(rule, now, 0.6)
    assert rule.slots == 64


def test_latency_within_the_tolerance_lets_the_limit_grow() -> None:
    """Triggers a little slower than the baseline (1.5 times) are no reason to back off."""
    rule = LimitRule(1000, initial=20)
    now = _round_trip(rule, 0.0, 0.2)
    _round_trip(rule, now, 0.3)
    assert rule.slots == 80


def test_samples_started_before_a_decrease_are_not_judged() -> None:
    """Answers to triggers sent before the limit went down neither lower nor raise it again."""
    rule = LimitRule(1000, initial=40)
    for _ in range(rule.overload_min):
        rule.sample(started=0.0, ended=1.0, in_flight=40, overloaded=True)
    assert rule.slots == 20
    rule.sample(started=0.5, ended=1.1, in_flight=40, overloaded=True)
    rule.sample(started=0.5, ended=1.2, in_flight=40, overloaded=False)
    assert rule.limit == 20


def test_the_limit_stays_between_floor_and_ceiling() -> None:
    """Healthy answers stop at the ceiling; a storm of 503s stops at one trigger in flight."""
    rule = LimitRule(40)
    now = 0.0
    for _ in range(5):
        now = _round_trip(rule, now, 0.1)
    assert rule.slots == 40
    for _ in range(10):
        now = _round_trip(rule, now, 0.1, overloaded=True)
    assert rule.slots == 1


def test_an_unused_limit_does_not_grow() -> None:
    """Answers while fewer than half the slots are in use teach nothing about more."""
    rule = LimitRule(1000, initial=16)
    for n in range(50):
        rule.sample(started=n, ended=n + 0.2, in_flight=4, overloaded=False)
    assert rule.slots == 16


def test_the_baseline_forgets_lows_older_than_its_window() -> None:
    """A server that became slower for good becomes the new baseline after the window."""
    rule = LimitRule(1000, baseline_window=30.0)
    rule.sample(started=0.0, ended=0.1, in_flight=1, overloaded=False)
    rule.sample(started=40.0, ended=41.0, in_flight=1, overloaded=False)
    assert rule.baseline == 1.0


def test_slow_start_doubles_by_the_clock_while_no_trigger_waits_too_long() -> None:
    """Every ramp interval doubles the limit, until the oldest trigger waits past first_wait."""
    rule = LimitRule(1000, ramp_interval=0.1, first_wait=1.0)
    for at in (0.0, 0.1, 0.2):
        rule.tick(at, oldest=0.0)
    assert rule.slots == 128
    rule.tick(1.5, oldest=0.0)
    assert rule.slots == 128
    rule.tick(1.6, oldest=1.0)
    assert rule.slots == 256


def test_a_refusal_stops_the_clock() -> None:
    """One trigger told of overload, too few to lower the limit, stops the clock's doubling."""
    rule = LimitRule(1000, ramp_interval=0.1)
    rule.tick(0.0, oldest=0.0)
    rule.overloaded(started=0.0, now=0.05)
    rule.tick(0.1, oldest=0.0)
    assert rule.slots == 32


def test_a_late_tick_does_not_double() -> None:
    """A tick more than two intervals after the last (the event loop lags, and the answers
    that could stop the clock with it) leaves the limit; the next one in time doubles it."""
    rule = LimitRule(1000, ramp_interval=0.1)
    rule.tick(0.0, oldest=0.0)
    rule.tick(0.5, oldest=0.4)
    assert rule.slots == 32
    rule.tick(0.6, oldest=0.5)
    assert rule.slots == 64


def test_the_clock_stops_at_the_first_decrease() -> None:
    """After an overload answer the clock no longer raises the limit."""
    rule = LimitRule(1000)
    for _ in range(rule.overload_min):
        rule.sample(started=0.0, ended=0.05, in_flight=16, overloaded=True)
    rule.tick(1.0, oldest=None)
    assert rule.slots == 8


def test_once_a_trigger_answered_the_clock_doubles_only_while_more_wait_than_the_limit() -> None:
    """After the first answer, a tick with no more triggers waiting than the limit lets fly
    leaves the limit (they all go within a round trip); one with more waiting doubles it."""
    rule = LimitRule(1000, ramp_interval=0.1)
    rule.tick(0.0, oldest=0.0, waiting=100)
    rule.sample(started=0.0, ended=0.05, in_flight=1, overloaded=False)
    rule.tick(0.1, oldest=0.05, waiting=32)
    assert rule.slots == 32
    rule.tick(0.2, oldest=0.15, waiting=33)
    assert rule.slots == 64


def test_before_any_answer_few_waiting_hold_the_clock_until_the_first_answer_is_late() -> None:
    """With no more waiting than the limit lets fly and no answer yet, the clock holds its
    doubling until the oldest trigger has waited first_answer: a server that answers sooner
    takes them on the connections its answers free, a slower one gets them doubled then."""
    rule = LimitRule(1000, ramp_interval=0.1, first_answer=0.3)
    rule.tick(0.0, oldest=0.0, waiting=100)
    rule.tick(0.1, oldest=0.0, waiting=20)
    rule.tick(0.2, oldest=0.0, waiting=20)
    assert rule.slots == 32
    rule.tick(0.3, oldest=0.0, waiting=20)
    assert rule.slots == 64


def test_slow_start_answers_raise_the_limit_only_while_more_wait_than_it() -> None:
    """A healthy answer adds one to the limit in slow start only when more triggers wait for
    a slot than the limit lets fly."""
    rule = LimitRule(1000, initial=16)
    for n in range(8):
        rule.sample(started=n, ended=n + 0.2, in_flight=16, overloaded=False, waiting=16)
    assert rule.slots == 16
    for n in range(8):
        rule.sample(started=n, ended=n + 0.2, in_flight=16, overloaded=False, waiting=40)
    assert rule.slots == 24


def test_a_trigger_that_took_more_than_one_request_does_not_feed_the_latency_rules() -> None:
    """Retries and looks for a job make a trigger slow on our side: such samples, however
    long, never lower the limit; the same latencies from clean triggers do."""
    rule = LimitRule(1000, initial=20)
    for n in range(20):
        rule.sample(started=n * 0.01, ended=n * 0.01 + 0.05, in_flight=20, overloaded=False)
    for n in range(20, 60):
        rule.sample(
            started=n * 0.01, ended=n * 0.01 + 2.0, in_flight=20, overloaded=False, clean=False
        )
    assert rule.last_reason == ""

    for n in range(60, 100):
        rule.sample(started=n * 0.01, ended=n * 0.01 + 2.0, in_flight=20, overloaded=False)
    assert rule.last_reason.startswith("trigger latency grew")


def test_overload_told_to_a_few_triggers_at_random_does_not_lower_the_limit() -> None:
    """One trigger in ten told of overload (a flaky proxy, not a server shedding load): the
    limit keeps growing; one in two halves it."""
    rule = LimitRule(1000, initial=20)
    for n in range(200):
        rule.sample(started=n * 0.01, ended=n * 0.01 + 0.05, in_flight=20, overloaded=n % 10 == 0)
    assert rule.slots > 20 and rule.last_reason == ""

    for n in range(200, 400):
        rule.sample(started=n * 0.01, ended=n * 0.01 + 0.05, in_flight=20, overloaded=n % 2 == 0)
    assert rule.last_reason == "the server said it is overloaded"


def _thread_pool(
    rule: LimitRule,
    *,
    threads: int,
    service: float | tuple[float, float],
    seconds: float,
) -> tuple[int, float]:
    """
    Run *rule* for *seconds* against a server that works triggers on *threads* threads, first
    come first served, *service* seconds each (Airbyte's scheduler pool), or a seeded uniform
    draw within *service* when it is a pair, with syncs always waiting; the limit at the end
    and the mean latency of the last 50 triggers.
    """
    rng = random.Random(7)
    free = [0.0] * threads
    in_flight: list[tuple[float, float, int]] = []  # (ends, started, in flight at the start)
    latencies: list[float] = []
    now, next_tick = 0.0, 0.0
    while now < seconds:
        while len(in_flight) < rule.slots:
            takes = service if isinstance(service, float) else rng.uniform(*service)
            begins = max(now, heapq.heappop(free))
            heapq.heappush(free, begins + takes)
            # Sent a hair before whatever happens at `now`, as a trigger sent in the same turn.
            heapq.heappush(in_flight, (begins + takes, now - 1e-9, len(in_flight) + 1))
        ends, started, count = in_flight[0]
        if next_tick <= ends:
            now = next_tick
            rule.tick(now, min(s for _, s, _ in in_flight))
            next_tick += rule.ramp_interval
        else:
            heapq.heappop(in_flight)
            now = ends
            rule.sample(started=started, ended=ends, in_flight=count, overloaded=False)
            latencies.append(ends - started)
    return rule.slots, statistics.mean(latencies[-50:])


def test_against_a_pool_of_threads_the_limit_comes_down_to_what_the_pool_takes() -> None:
    """
    25 threads of 0.2 s (Airbyte's default pool) start 125 jobs a second and need 25
    triggers in flight. A slow start that overshoots leaves thousands queued there; cut by
    cut, each judged once the queue it left has drained, the limit comes down to a few dozen,
    and a trigger waits well under a second again.
    """
    limit, latency = _thread_pool(LimitRule(3000), threads=25, service=0.2, seconds=200)
    assert 25 <= limit <= 100
    assert latency < 1.0


def test_against_a_pool_whose_triggers_vary_the_limit_comes_down_and_stays_down() -> None:
    """
    50 threads whose triggers take 0.1 to 0.5 s: answers do not come back in the order sent,
    and cuts near what the pool takes change the latency by less than the noise. The limit
    comes down to what the pool takes and does not climb back (a cut that helped less than
    it should is held, not undone with the latency of the queue as the new floor).
    """
    limit, latency = _thread_pool(LimitRule(500), threads=50, service=(0.1, 0.5), seconds=120)
    assert 25 <= limit <= 100
    assert latency < 0.6


def test_triggers_that_take_longer_at_random_do_not_lower_the_limit() -> None:
    """
    A server with threads to spare whose triggers take 0.2 to 1 s at random (its scheduler
    polls the workflow) queues nothing: the fastest triggers stay fast, and the limit stays
    at max_triggers.
    """
    limit, latency = _thread_pool(LimitRule(500), threads=10_000, service=(0.2, 1.0), seconds=60)
    assert limit == 500
    assert latency == pytest.approx(0.6, abs=0.15)


def test_network_jitter_over_fast_triggers_does_not_lower_the_limit() -> None:
    """
    The public API answers a trigger once its job exists (10 ms); a network that adds up to
    0.8 s at random makes some slow and leaves some fast, and queues nothing.
    """
    limit, _ = _thread_pool(LimitRule(500), threads=10_000, service=(0.01, 0.81), seconds=60)
    assert limit == 500


def test_a_few_very_slow_triggers_do_not_lower_the_limit() -> None:
    """One trigger in twenty takes 3 s on a server that answers the rest in 0.05 s: a fault
    of those triggers, not a queue."""
    rule = LimitRule(500)
    for n in range(20_000):
        start = n * 0.002
        rule.sample(
            started=start,
            ended=start + (3.0 if n % 20 == 7 else 0.05),
            in_flight=rule.slots,
            overloaded=False,
        )
    assert rule.slots == 500


def test_a_server_with_threads_to_spare_gets_the_ceiling() -> None:
    """With a thread for every trigger (2 s each), the limit reaches max_triggers."""
    limit, latency = _thread_pool(LimitRule(3000), threads=10_000, service=2.0, seconds=10)
    assert limit == 3000
    assert latency == pytest.approx(2.0)


def test_a_cut_that_did_not_help_is_undone() -> None:
    """Triggers as slow after a cut as before it: the limit goes back to where it was."""
    rule = LimitRule(1000, initial=50)
    now = _round_trip(rule, 0.0, 0.2)
    now = _round_trip(rule, now, 0.6)
    assert rule.slots == 80
    _round_trip(rule, now, 0.6)
    assert rule.slots == 100


def test_a_cut_is_judged_against_the_queue_it_left_when_answers_come_in_order() -> None:
    """
    First come first served, every trigger sent before a cut answers before any sent after
    it, and the last of them show the queue the cut left (8 s), which the cut, made while the
    queue still grew, did not see (0.6 s): triggers that then take 6 s show that it helped,
    and the next cut follows.
    """
    rule = LimitRule(1000, initial=50)
    now = _round_trip(rule, 0.0, 0.2)
    for _ in range(rule.window_size()):
        rule.sample(started=now, ended=now + 0.6, in_flight=100, overloaded=False)
    assert rule.slots == 80
    for _ in range(40):
        rule.sample(started=now, ended=now + 8.0, in_flight=100, overloaded=False)
    later = now + 8.0
    for _ in range(rule.window_size()):
        rule.sample(started=later, ended=later + 6.0, in_flight=80, overloaded=False)
    assert rule.slots == 64


def test_where_answers_interleave_the_triggers_sent_before_a_cut_do_not_judge_it() -> None:
    """
    Triggers sent before a cut that answer among those sent after it are the slowest of
    their time, not a queue: the cut is judged against the latency that made it, and one
    that did not bring it down is undone.
    """
    rule = LimitRule(1000, initial=50)
    now = _round_trip(rule, 0.0, 0.2)
    for _ in range(rule.window_size()):
        rule.sample(started=now, ended=now + 0.6, in_flight=100, overloaded=False)
    assert rule.slots == 80
    cut_at = now + 0.6
    for n in range(4 * rule.window_size()):
        if n % 2:
            rule.sample(started=now, ended=cut_at + 2.0, in_flight=100, overloaded=False)
        else:
            rule.sample(started=cut_at, ended=cut_at + 0.6, in_flight=80, overloaded=False)
    assert rule.slots == 100


def test_the_baseline_outlasts_a_long_busy_spell() -> None:
    """A server kept busy for a minute shows no unqueued latency: the quiet one is kept."""
    rule = LimitRule(1000)
    rule.sample(started=0.0, ended=0.2, in_flight=1, overloaded=False)
    rule.sample(started=60.0, ended=63.0, in_flight=1, overloaded=False)
    assert rule.baseline == pytest.approx(0.2)


def test_a_slot_taken_under_the_old_limit_is_not_judged_after_a_cut() -> None:
    """A trigger that started just after a cut, with more in flight than the new limit
    allows, got its slot before the cut (in the same loop turn): its latency neither counts
    as the cut's effect nor cuts again."""
    rule = LimitRule(1000, initial=50)
    now = _round_trip(rule, 0.0, 0.2)
    _round_trip(rule, now, 0.6)
    assert rule.slots == 80
    cut_at = now + 0.6
    for _ in range(20):
        rule.sample(started=cut_at, ended=cut_at + 2.0, in_flight=99, overloaded=False)
    assert rule.slots == 80
    assert rule.baseline == pytest.approx(0.2)


@pytest.mark.parametrize("ceiling", [0, -3, 2.5, True, "10"])
def test_a_bad_ceiling_is_refused(ceiling: Any) -> None:
    """A ceiling that is not a positive int raises InvalidArgumentError naming it."""
    with pytest.raises(InvalidArgumentError, match="ceiling"):
        LimitRule(ceiling)


@pytest.mark.anyio
async def test_a_cancelled_caller_takes_no_slot() -> None:
    """Entering a slot from a cancelled scope raises there: no trigger can follow."""
    limiter = TriggerLimiter(4)
    entered = False
    with anyio.CancelScope() as scope:
        scope.cancel()
        async with limiter:
            entered = True
    assert not entered
    assert limiter.in_flight == 0


@pytest.mark.anyio
async def test_every_refusal_a_slot_gets_counts_when_it_comes() -> None:
    """
    A trigger refused (503) is looked for and sent again inside its slot, and refused again
    while the server is still full: each refusal counts toward the overload share when it
    comes, not the slot's first only. Four refusals halve the limit while the slot is held;
    more in that slot, which started before the cut, do not cut again.
    """
    limiter = TriggerLimiter(1000)
    async with limiter:
        with the_trigger():
            for _ in range(4):
                note_overload()
            assert limiter.limit == 8
            for _ in range(8):
                note_overload()
    assert limiter.limit == 8


@pytest.mark.anyio
async def test_refusals_of_a_slots_looks_do_not_count() -> None:
    """
    The looks a trigger makes for its job inside its slot (after an unclear answer) are not
    the trigger: their 502s and 503s, and their timeouts, say nothing of the load triggers
    put on the server, and leave the limit as it is.
    """
    limiter = TriggerLimiter(1000)
    async with limiter:
        for _ in range(8):
            note_overload()
            note_timeout()
        assert limiter.limit == 16


@pytest.mark.anyio
async def test_a_refusal_still_on_its_way_through_a_busy_loop_stops_the_next_doubling() -> None:
    """
    On a busy event loop (a shared CPU) an answer reaches the rule some loop turns after it
    came, while the slow start's clock runs on time: here the loop is held past the next
    tick's time (not two intervals: the tick is not late) and a refusal arrives three turns
    after the tick could run. The tick lets the loop turn before it decides, so the refusal
    stops the doubling (doubling at once took a loaded test run from 16 to 128 triggers
    before the server's first 503 was read: 141 refused instead of about 12).
    """
    limiter = TriggerLimiter(1000)
    async with anyio.create_task_group() as tg:
        tg.start_soon(limiter.run)
        async with limiter:
            while limiter.limit == 16:  # the first tick, which nothing stops
                await anyio.lowlevel.checkpoint()
            time.sleep(0.06)  # noqa: ASYNC251 - the loop is held: the next tick is due meanwhile
            for _ in range(3):
                await anyio.lowlevel.checkpoint()
            note_overload()
            assert limiter.limit == 32
        tg.cancel_scope.cancel()


@pytest.mark.anyio
async def test_a_wave_that_comes_after_the_first_answer_still_has_the_clock_double_for_it() -> None:
    """
    One trigger answers alone (a rerun's probe goes first, its batch waiting for it), then
    100 come at once and none answers yet: the clock, idle while nobody waited, doubles the
    limit again for them (answers alone would double it once per round trip: five round
    trips of a slow server from 16 to 500).
    """
    limiter = _slow_probe_limiter(LimitRule)
    at_wave: list[int] = []

    # Without the clock it stays at 16 and the wait for 64 fails.
    await _wave_after_a_lone_probe(
        limiter, at_wave=lambda: at_wave.append(limiter.limit), until=lambda: limiter.limit >= 64
    )

    assert at_wave == [16]


@attrs.define
class _TickLog(LimitRule):
    """A rule that keeps the limit after each tick."""

    after: list[int] = attrs.field(init=False, factory=list)

    def tick(self, now: float, oldest: float | None, *, waiting: int | None = None) -> None:
        super().tick(now, oldest, waiting=waiting)
        self.after.append(self.slots)


def _slow_probe_limiter(rule: type[LimitRule]) -> TriggerLimiter:
    """
    A limiter of 1000 whose rule (of type *rule*) lets a lone probe take a second: a healthy
    trigger then waits up to 2.1 s (:meth:`LimitRule.slow_after`), so the ticks that double
    for a wave come well within it on a busy machine too. (After a probe of 10 ms they had to
    come within 0.12 s of the wave: a loaded run missed that one time in four, and the clock
    stopped for good.)
    """
    limiter = TriggerLimiter(1000)
    limiter.rule = rule(1000, first_answer=60.0)  # no doubling for the lone probe
    return limiter


async def _probe_answers_alone(limiter: TriggerLimiter) -> None:
    """One trigger takes a second and answers alone; returns once the clock has slept for
    longer than two ramp intervals (any longer will do)."""
    async with limiter:
        note_request()  # one request, answered: a clean sample
        await anyio.sleep(1.0)
    with anyio.fail_after(10):
        while limiter._wanted is None:  # the clock sleeps: nobody waits
            await anyio.lowlevel.checkpoint()
    await anyio.sleep(0.2)


async def _wave_after_a_lone_probe(
    limiter: TriggerLimiter, *, at_wave: Callable[[], object], until: Callable[[], bool]
) -> None:
    """
    Run *limiter*'s clock while one trigger answers alone (:func:`_probe_answers_alone`), call
    *at_wave*, then start 100 triggers at once and hold them until *until* holds (ten seconds
    at most: a hang, not slowness, fails).
    """
    release = anyio.Event()

    async def trigger() -> None:
        async with limiter:
            await release.wait()

    async with anyio.create_task_group() as tg:
        tg.start_soon(limiter.run)
        await _probe_answers_alone(limiter)
        at_wave()
        for _ in range(100):
            tg.start_soon(trigger)
        with anyio.fail_after(10):
            while not until():
                await anyio.lowlevel.checkpoint()
        release.set()
        tg.cancel_scope.cancel()


@pytest.mark.anyio
async def test_the_clock_s_first_tick_after_it_slept_for_want_of_waiting_doubles() -> None:
    """
    The clock that slept while nobody waited wakes when a wave comes, and its first tick
    doubles the limit: the time it slept does not make that tick a late one (which leaves the
    limit, the event loop being taken for lagging).
    """
    limiter = _slow_probe_limiter(_TickLog)
    rule = limiter.rule
    assert isinstance(rule, _TickLog)

    await _wave_after_a_lone_probe(
        limiter, at_wave=rule.after.clear, until=lambda: bool(rule.after)
    )

    assert rule.after[0] == 32


def test_the_status_line_shows_the_trigger_limit() -> None:
    """The CLI's status line carries the limit the latest event reported."""
    progress = Progress(total=3, stream=io.StringIO())
    target = SyncTarget("c")
    progress.on_event(SyncEvent(EventKind.TRIGGERED, target, trigger_limit=24))
    assert progress.line().endswith("trigger limit 24")


def test_the_status_line_shows_triggers_in_flight_only_while_there_are_some() -> None:
    """A trigger held for minutes (its job looked for) shows as triggering, not as nothing."""
    progress = Progress(total=3, stream=io.StringIO())
    in_flight = [1]
    progress.triggering = lambda: in_flight[0]
    assert ", 1 triggering" in progress.line()
    in_flight[0] = 0
    assert "triggering" not in progress.line()


def test_the_status_line_fits_the_terminal(monkeypatch: pytest.MonkeyPatch) -> None:
    """On a terminal narrower than the line, it is cut to fit: a line that wrapped would be
    redrawn over its last row only, leaving a row behind at every redraw."""
    monkeypatch.setenv("COLUMNS", "40")
    progress = Progress(total=300, stream=io.StringIO())
    progress.on_event(SyncEvent(EventKind.TRIGGERED, SyncTarget("c"), trigger_limit=240))

    assert len(progress.line()) > 40
    assert len(progress.fitted()) == 39
    assert progress.fitted().endswith("…")


def _limits(events: list[SyncEvent]) -> list[int]:
    return [e.trigger_limit for e in events if e.trigger_limit is not None]


async def _batch(
    emu: Emulator, faults: list[Fault], **options: Any
) -> tuple[list[SyncResult], list[int], Orchestrator]:
    """Sync every connection of *emu* with *faults* on; the results and the limits reported."""
    emu.set_faults(faults)
    events: list[SyncEvent] = []
    async with AirbyteClient(emu.url, auth=NoAuth(), env={}) as client:
        orchestrator = Orchestrator(client, on_event=events.append, **options)
        results = await orchestrator.run(emu.connection_ids)
    return results, _limits(events), orchestrator


def _last_reason(orchestrator: Orchestrator) -> str | None:
    """Why the latest batch's trigger limit last went down."""
    batch = orchestrator._latest
    assert batch is not None and batch._triggers.rule is not None
    return batch._triggers.rule.last_reason


_SLOW_503 = Fault(kind="error", route="connections/sync", status=503, times=30)


@pytest.mark.anyio
async def test_a_healthy_server_gets_more_triggers_than_the_start() -> None:
    """With flat trigger latency the limit grows past its start of 16, up to max_running."""
    async with Emulator(connections=300, trigger_latency=0.05, sync_duration=(0.3, 0.4)) as emu:
        results, limits, orchestrator = await _batch(emu, [], max_running=300)
        in_flight = emu.stats().max_in_flight_syncs

    assert all(r.outcome is Outcome.SUCCEEDED for r in results)
    assert max(limits) > 16
    assert in_flight > 16
    assert orchestrator.trigger_limit is not None and orchestrator.trigger_limit <= 300


@pytest.mark.anyio
async def test_a_first_wave_against_a_quiet_server_opens_fewer_connections_than_syncs() -> None:
    """
    500 syncs at once against a server that answers triggers in 0.2 s (API-FACTS 6.3b, a
    quiet server): once the first answers are in, the slow start stops doubling, and the
    triggers still waiting go on the connections the answers free. The batch opens about half
    a connection per sync (it opened 500).
    """
    async with Emulator(
        connections=500, trigger_latency=0.2, sync_duration=(0.5, 0.6), trigger_capacity=None
    ) as emu:
        results, _, _ = await _batch(emu, [], max_running=500)
        opened = emu.stats().connections_opened

    assert all(r.outcome is Outcome.SUCCEEDED for r in results)
    assert opened <= 0.7 * 500


@pytest.mark.anyio
async def test_triggers_slower_at_random_do_not_cut_the_limit_to_a_few() -> None:
    """
    Triggers that take 0.2 to 1.8 s at random (a latency fault on every one), on a server
    with room for every sync: some answer fast all along, so nothing queues, and the limit
    stays above what 100 running syncs of 0.3 s need (a moving average of the latencies cut
    it to a handful). The emulator shares the test's CPU: triggers of 0.05 to 0.45 s, judged
    slow past 0.2 s, were cut for a busy machine's delays one loaded run in six.
    """
    jitter = Fault(kind="latency", route="connections/sync", delay=0.0, max_delay=1.6)
    async with Emulator(connections=400, trigger_latency=0.2, sync_duration=(0.3, 0.4)) as emu:
        results, limits, _ = await _batch(emu, [jitter], max_running=100)

    assert all(r.outcome is Outcome.SUCCEEDED for r in results)
    assert min(limits[len(limits) // 2 :]) >= 32


@pytest.mark.anyio
async def test_triggers_slower_than_the_client_timeout_do_not_cut_the_limit(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """
    Every trigger outlasts the client's timeout, and every one starts its job (found by the
    look after it): the server is slow, not shedding load, so the limit is not cut (taking
    timeouts for overload halved it down to one trigger at a time, for good).
    """
    monkeypatch.setattr(_reconcile, "_HOLD_PAUSE", 0.2)
    async with Emulator(connections=24, trigger_latency=0.6, sync_duration=(0.1, 0.2)) as emu:
        events: list[SyncEvent] = []
        async with AirbyteClient(emu.url, auth=NoAuth(), env={}, timeout=0.3) as client:
            results = await Orchestrator(client, on_event=events.append, max_running=24).run(
                emu.connection_ids
            )
        jobs = emu.stats().jobs_by_connection

    assert all(r.outcome is Outcome.SUCCEEDED for r in results)
    assert all(len(jobs[cid]) == 1 for cid in emu.connection_ids)
    assert min(_limits(events)) >= 16


@pytest.mark.anyio
@pytest.mark.parametrize(
    "fault",
    [
        _SLOW_503,
        # Cloudflare's pages for these name an origin short of resources as the likely cause.
        Fault(kind="proxy_error", route="connections/sync", status=522, times=30),
        Fault(kind="proxy_error", route="connections/sync", status=524, times=30),
    ],
    ids=["503", "cloudflare-522", "cloudflare-524"],
)
async def test_overload_answers_on_triggers_lower_the_limit_and_fail_no_sync(fault: Fault) -> None:
    """
    The first 30 triggers answer 503, or Cloudflare's 522 or 524 (the emulator creates no job
    for them): the limit goes down for that reason, yet every connection ends with exactly one
    succeeded job.
    """
    async with Emulator(connections=60, trigger_latency=0.02, sync_duration=(0.05, 0.1)) as emu:
        results, _, orchestrator = await _batch(emu, [fault], max_running=60)
        stats = emu.stats()

    assert all(r.outcome is Outcome.SUCCEEDED for r in results)
    assert _last_reason(orchestrator) == "the server said it is overloaded"
    assert stats.faults_injected
    assert all(len(stats.jobs_by_connection[cid]) == 1 for cid in emu.connection_ids)


@pytest.mark.anyio
async def test_an_overloaded_server_sees_the_client_back_off_and_no_sync_fails(
    caplog: pytest.LogCaptureFixture,
) -> None:
    """
    A server that holds 20 triggers and answers 503 past them (the emulator's load model):
    150 syncs all succeed, each with one job, the server turns away fewer triggers than half
    the syncs (a fixed limit of 150 gets over twice that), and a 503, if one came, found the
    limit lowered: for it, or for latency. (On a loaded machine the limit may be cut for
    latency before the server refuses anything, or as it starts to: the refusals of triggers
    sent before that cut are not judged, one decrease per round trip; a loaded run had 15
    such 503s after a cut from 42 to 33 for latency.) The client's real pauses between trigger
    rounds are part of backing off, so they are kept.
    """
    async with Emulator(
        connections=150,
        trigger_latency=0.05,
        trigger_capacity=10,
        trigger_overload=20,
        sync_duration=(0.05, 0.1),
    ) as emu:
        caplog.set_level(logging.DEBUG, logger="airbyte_async")
        with stamina.set_testing(False):
            results, _, _ = await _batch(emu, [], max_running=150)
        stats = emu.stats()

    assert all(r.outcome is Outcome.SUCCEEDED for r in results)
    assert all(len(stats.jobs_by_connection[cid]) == 1 for cid in emu.connection_ids)
    assert stats.triggers_rejected < 75
    reasons = [r.getMessage() for r in caplog.records if r.getMessage().startswith("trigger limit")]
    assert reasons or stats.triggers_rejected == 0


@pytest.mark.anyio
async def test_a_server_full_before_any_trigger_answers_gets_the_limit_halved() -> None:
    """
    A server that holds 14 triggers (4 threads of 1.5 s each) turns away 2 of the first 16 at
    once; their slots send them again after a look, and the server, still full, turns them
    away again (the emulator's load model: an ingress's 503 past ``trigger_overload``). Those
    refusals halve the limit before any trigger has answered (counted once per slot, two were
    too few: the limit stayed at 16 while the server kept refusing), and every sync still
    runs once.
    """
    async with Emulator(
        connections=16,
        trigger_latency=1.5,
        trigger_capacity=4,
        trigger_overload=14,
        sync_duration=(0.05, 0.1),
    ) as emu:
        with stamina.set_testing(False):
            results, limits, orchestrator = await _batch(emu, [], max_running=16)
        stats = emu.stats()

    assert all(r.outcome is Outcome.SUCCEEDED for r in results)
    assert all(len(stats.jobs_by_connection[cid]) == 1 for cid in emu.connection_ids)
    assert stats.triggers_rejected >= 4
    assert limits[0] == 8
    assert _last_reason(orchestrator) == "the server said it is overloaded"


@pytest.mark.anyio
async def test_fixed_triggers_hold_at_max_triggers() -> None:
    """adaptive_triggers=False keeps the limit at max_triggers whatever the server says."""
    async with Emulator(connections=40, trigger_latency=0.02, sync_duration=(0.05, 0.1)) as emu:
        _, limits, _ = await _batch(
            emu, [_SLOW_503], max_running=40, max_triggers=5, adaptive_triggers=False
        )
        in_flight = emu.stats().max_in_flight_syncs

    assert set(limits) == {5}
    assert in_flight <= 5


@pytest.mark.anyio
async def test_a_finished_batch_leaves_its_trigger_limiter_to_the_collector() -> None:
    """
    A client kept open for hours keeps its pooled connections, and each connection a trigger
    opened keeps a copy of the trigger's context (its transport's reader callback runs in it):
    that copy must not pin the finished batch's limiter in memory.
    """
    async with (
        Emulator(connections=20, trigger_latency=0.02, sync_duration=(0.05, 0.1)) as emu,
        AirbyteClient(emu.url, auth=NoAuth(), env={}) as client,
    ):
        orchestrator = Orchestrator(client, max_running=20)
        results = await orchestrator.run(emu.connection_ids)
        assert orchestrator._latest is not None
        limiter = weakref.ref(orchestrator._latest._triggers)
        pooled = client._session.connector._conns if client._session else {}
        del orchestrator
        gc.collect()

        assert all(r.outcome is Outcome.SUCCEEDED for r in results)
        assert sum(len(idle) for idle in pooled.values()) > 0
        assert limiter() is None


@pytest.mark.anyio
async def test_an_overload_told_after_its_slot_ended_leaves_the_limit_alone() -> None:
    """
    A task started while a trigger held its slot (a token renewal a trigger's request found
    due) runs in a copy of the trigger's context: overload answers it gets after the slot
    ended are not the trigger's, and do not halve the limit.
    """
    limiter = TriggerLimiter(64)
    slot_ended = anyio.Event()

    async def later() -> None:
        await slot_ended.wait()
        with the_trigger():
            for _ in range(8):
                note_request()
                note_overload()
                note_timeout()

    async with anyio.create_task_group() as tg:
        async with limiter:
            tg.start_soon(later)
        slot_ended.set()

    assert limiter.limit == 16
