"""
The client's estimate of the server's clock, on a local clock the tests move by hand.

``Date`` is the server's clock rounded down to the whole second (RFC 9110 §6.6.1, "the date
and time at which the message was originated"; aiohttp stamps it as the answer is prepared),
so an answer received at local time *t* proves only that the server's clock had reached its
``Date`` by then.
"""

from __future__ import annotations

import email.utils
import math

import attrs
from hypothesis import given
from hypothesis import strategies as st

from airbyte_async._throttle import ServerClock

#: Where the server's clock stands when the local clock reads 0.
BASE = 1_800_000_000.0
#: Seconds an answer counts toward the estimate (ServerClock's docstring).
KEPT = 30.0


@attrs.define
class Link:
    """A server whose clock reads ``BASE + rate * local + step`` and a client's clock that
    reads its answers, on a local clock moved by hand."""

    rate: float = 1.0
    step: float = 0.0
    t: float = 0.0
    clock: ServerClock = attrs.field(init=False)

    def __attrs_post_init__(self) -> None:
        self.clock = ServerClock(local=lambda: self.t)

    def server(self) -> float:
        """The server's true time now."""
        return BASE + self.rate * self.t + self.step

    def answer(self, at: float, latency: float) -> None:
        """An answer stamped at local time *at*, received *latency* seconds later."""
        self.t = at
        date = email.utils.formatdate(math.floor(self.server()), usegmt=True)
        self.t = at + latency
        self.clock.observe(date)


def test_the_answer_earliest_in_its_second_sets_the_estimate_whichever_came_first() -> None:
    """An answer stamped late in its second (sparse answers) does not pull the estimate back
    from one stamped early in another, before or after it: it bounds the server's clock
    lower."""
    for order in ((0.9, 10.05), (10.05, 20.9)):
        link = Link()
        for at in order:
            link.answer(at, latency=0.01)
        # Early in its second, 10 ms on the wire: 0.06 s behind, less 0.1 % of its age.
        age = link.t - (10.05 + 0.01)
        assert math.isclose(link.server() - link.clock.now(), 0.06 + 1e-3 * age, abs_tol=1e-6)


@given(
    rate=st.floats(1 - 1e-3, 1 + 1e-3),
    answers=st.lists(st.tuples(st.floats(0.0, 5.0), st.floats(0.0, 0.5)), min_size=1, max_size=60),
)
def test_the_estimate_never_leads_the_server(
    rate: float, answers: list[tuple[float, float]]
) -> None:
    """Whatever the gaps between answers, their latencies and the order they arrive in, and
    with the server's clock running up to 0.1 % slower or faster than the client's, the
    estimate never reads later than the server's clock, nor more than a second and the
    latency earlier."""
    link = Link(rate=rate)
    stamped = 0.0
    sent = []
    for gap, latency in answers:
        stamped += gap
        sent.append((stamped + latency, stamped, latency))
    for _, at, latency in sorted(sent):
        link.answer(at, latency)
        now = link.clock.now()
        assert now <= link.server() + 1e-6
        assert now >= link.server() - 1.0 - rate * latency - 1e-6


def test_a_server_clock_stepped_back_a_minute_is_followed_at_its_next_date() -> None:
    """A server clock set back by a minute is followed from the first answer after the step:
    a ``Date`` that much older than the estimate cannot be a late answer's."""
    link = Link()
    link.answer(0.05, latency=0.01)
    link.step = -60.0
    link.answer(1.05, latency=0.01)
    assert link.server() - 0.1 < link.clock.now() <= link.server()


def test_a_server_clock_stepped_back_a_little_is_followed_once_older_answers_are_forgotten() -> (
    None
):
    """A server clock set back by 1.2 s (less than an answer read late may show) leads the
    estimate only until the answers from before the step are KEPT seconds old; from then on it
    is followed, within a second."""
    link = Link()
    link.answer(0.0, latency=0.01)
    link.step = -1.2
    for at in (0.25 + 0.5 * i for i in range(2 * int(KEPT) + 4)):
        link.answer(at, latency=0.01)
        assert (link.clock.now() > link.server()) is (at < KEPT)
    assert link.server() - 1.0 < link.clock.now() <= link.server()


def test_an_answer_read_a_second_late_keeps_the_estimate() -> None:
    """An answer read 1.5 s after its ``Date`` (a busy event loop) is no step back: the
    estimate from earlier answers stands."""
    link = Link()
    link.answer(10.02, latency=0.01)
    before = link.server() - link.clock.now()
    link.answer(11.02, latency=1.5)
    assert math.isclose(link.server() - link.clock.now(), before + 1e-3 * 1.5, abs_tol=1e-3)


@given(
    answers=st.lists(st.tuples(st.floats(0.0, 3.0), st.floats(0.0, 0.5)), min_size=1, max_size=30)
)
def test_a_date_ahead_of_the_job_stamps_is_taken_off_once_a_trigger_answered(
    answers: list[tuple[float, float]],
) -> None:
    """With ``Date`` 5 s ahead of the clock that stamps jobs (a proxy's host clock), each
    trigger answer's job stamp (whole seconds) shows it: from the first, the estimate never
    reads later than the stamps' clock, although answers early in their second move the
    estimate of ``Date`` up since."""
    link = Link(step=5.0)
    at = 0.0
    for gap, latency in answers:
        at += gap
        link.t = at
        made = link.server() - 5.0
        link.answer(at, latency)
        link.clock.note_stamp(math.floor(made))
        assert link.clock.now() <= link.server() - 5.0 + 1e-6


@given(
    answers=st.lists(st.tuples(st.floats(0.0, 3.0), st.floats(0.0, 0.5)), min_size=1, max_size=30)
)
def test_a_date_behind_the_job_stamps_is_made_up_once_a_trigger_answered(
    answers: list[tuple[float, float]],
) -> None:
    """With ``Date`` 30 s behind the clock that stamps jobs (a proxy's host clock), each
    trigger answer's job stamp shows it: from the first, the estimate reads the stamps' clock,
    never later, and within three seconds and an answer's time on the wire of it, not 30 s behind
    (a look reaching back from there would take in the jobs of the 30 s before)."""
    link = Link(step=-30.0)
    at = 0.0
    for gap, latency in answers:
        at += gap
        link.t = at
        made = link.server() + 30.0
        link.answer(at, latency)
        link.clock.note_stamp(math.floor(made))
        stamps = link.server() + 30.0
        assert stamps - 3.0 - latency <= link.clock.now() <= stamps + 1e-6


def test_a_server_clock_stepped_forward_is_followed_at_its_next_date() -> None:
    """A server clock set forward an hour, ``Date`` and job stamps alike, is followed from the
    first answer after the step: the triggers' stamps noted before it do not hold the
    estimate back."""
    link = Link()
    for at in (0.05, 1.05, 2.05):
        link.t = at
        made = link.server()
        link.answer(at, latency=0.01)
        link.clock.note_stamp(math.floor(made))
    link.step = 3600.0
    link.answer(3.05, latency=0.01)
    assert link.server() - 0.1 < link.clock.now() <= link.server()


def test_stamps_made_a_moment_before_answers_early_in_the_next_second_move_nothing() -> None:
    """With ``Date`` on the stamps' clock, eight triggers answered in the first tenth of a
    second, each 0.15 s after its job was stamped (late in the second before): the estimate
    stays within the answers' time on the wire of the server, not two seconds behind it (a
    watch's windows would reach back that far, re-reading every end of those seconds)."""
    link = Link()
    link.answer(0.0, latency=0.01)
    for i in range(8):
        at = 10.02 + 0.01 * i
        link.t = at
        made = link.server() - 0.15
        link.answer(at, latency=0.01)
        link.clock.note_stamp(math.floor(made))
        assert link.server() - 0.1 <= link.clock.now() <= link.server()


@given(
    lead=st.sampled_from([-30.0, -5.0, -2.5, 2.5, 5.0, 30.0]),
    answers=st.lists(
        st.tuples(st.floats(0.0, 3.0), st.floats(0.0, 0.5), st.floats(0.0, 2.0)),
        min_size=1,
        max_size=30,
    ),
)
def test_a_date_off_the_stamps_is_allowed_for_when_answers_come_after_their_stamps(
    lead: float, answers: list[tuple[float, float, float]]
) -> None:
    """With ``Date`` *lead* seconds off the clock that stamps jobs, and each trigger answered
    up to two seconds after its job's stamp (a sync trigger answers once its job runs): once a
    trigger answered, the estimate never reads later than the stamps' clock."""
    link = Link(step=lead)
    at = read = 0.0
    for gap, latency, after in answers:
        at += gap
        link.t = at
        made = link.server() - lead - after
        # The client reads answers one after the other, on a clock that never goes back.
        read = max(at + latency, read)
        link.answer(at, read - at)
        link.clock.note_stamp(math.floor(made))
        assert link.clock.now() <= link.server() - lead + 1e-6
