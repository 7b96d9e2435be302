"""Client-wide pacing: an optional cap on requests per second, and the server's clock."""

from __future__ import annotations

import collections
import email.utils
import math
import time
from collections.abc import Callable
from datetime import UTC

import anyio
import attrs

from .errors import InvalidArgumentError

__all__ = ["RateLimiter", "ServerClock"]

#: Seconds a ``Date`` observation counts toward :class:`ServerClock`'s estimate.
_KEPT = 30.0
#: Seconds an answer may take from its ``Date`` to being read here (the network, a busy event
#: loop): a ``Date`` older than the estimate by more (and its second) shows a server clock set
#: back, and the bounds from before are dropped. Too small a margin only drops good bounds.
_STEP_BACK_SLACK = 2.0
#: How much faster than the server's the local clock may run (s/s): an observation's bound
#: drops by this much a second as it ages, so that a server clock running slow cannot fall
#: behind an old one. Twice the most ntpd slews a clock.
_DRIFT = 1e-3
#: Seconds, at most, by which a look for an attempt's job trusts this host's clock over a
#: ``Date`` that no trigger's answer has yet placed against the job stamps (see
#: :meth:`ServerClock.look_now`); as far as the orchestrator's look for syncs to adopt reaches.
_HOST_REACH = 120.0


@attrs.define
class RateLimiter:
    """
    Spaces requests so that no more than *per_second* start in any second, in arrival order:
    each caller reserves the next free slot before it awaits, then sleeps until the slot comes.
    An idle limiter does not save up slots for a burst. Raises
    :class:`~airbyte_async.errors.InvalidArgumentError` unless *per_second* is a positive number.
    """

    per_second: float
    _next_slot: float = attrs.field(init=False, default=-math.inf)

    def __attrs_post_init__(self) -> None:
        if (
            isinstance(self.per_second, bool)
            or not isinstance(self.per_second, int | float)
            or not 0 < self.per_second < math.inf
        ):
            raise InvalidArgumentError(
                f"rate_limit must be a number of requests per second above 0, "
                f"got {self.per_second!r}"
            )

    def reserve(self, now: float) -> float:
        """Take the next free slot at monotonic time *now*; returns the seconds until it."""
        slot = max(now, self._next_slot)
        self._next_slot = slot + 1.0 / self.per_second
        return slot - now

    async def wait(self) -> None:
        """Return when the caller may send its request."""
        delay = self.reserve(time.monotonic())
        if delay > 0:
            await anyio.sleep(delay)


@attrs.define
class ServerClock:
    """
    The server's wall clock, estimated from the ``Date`` header of its answers (the client
    passes those of successes alone: an error may be a proxy's page, dated by another host).

    ``Date`` is whole seconds, rounded down, and stamped before the answer travels, so each
    answer proves only that the server's clock had reached its ``Date`` when the answer was
    received: the gap between the two, on the local monotonic clock, is a lower bound of the
    server's offset. The largest such bound of the last 30 seconds is the estimate, lowered
    by 0.1 % of its age (a server clock running that much slower than the local one does not
    fall behind it). It comes within the latency of the truth once an answer has arrived early
    in one of the server's seconds, and :meth:`now` never leads the server. Until then (the
    first answers, or sparse ones), it may lag by up to a second plus the latency: code
    comparing against server timestamps must allow that much overlap. A server clock stepped
    forward is followed at its next new ``Date``, as is one stepped back by more than three
    seconds (a ``Date`` that old cannot be a late answer's); one stepped back by less once the
    bounds from before the step are 30 seconds old. A step of the local wall clock changes
    nothing.
    """

    #: The clock observations are timed on (seconds; :func:`time.monotonic`), for tests to set.
    local: Callable[[], float] = attrs.field(default=time.monotonic, kw_only=True, repr=False)
    #: Lower bounds of the offset (``Date`` less :attr:`local` on receipt, stored plus
    #: ``_DRIFT`` times the receipt, so that subtracting ``_DRIFT`` times now ages them all),
    #: each with its receipt time: in order of receipt, each bound below the one before it,
    #: so the first is the estimate.
    _bounds: collections.deque[tuple[float, float]] = attrs.field(
        init=False, factory=collections.deque, repr=False
    )
    #: Seconds by which ``Date`` runs ahead of the clock that stamps jobs, at most (negative:
    #: behind it; see :meth:`note_stamp`); subtracted by :meth:`now`.
    stamp_lead: float = attrs.field(init=False, default=0.0)
    _leads: collections.deque[float] = attrs.field(
        init=False, factory=lambda: collections.deque(maxlen=8), repr=False
    )
    #: The same from listings (see :meth:`note_listed`), for as long as no trigger answered.
    _listed: collections.deque[float] = attrs.field(
        init=False, factory=lambda: collections.deque(maxlen=8), repr=False
    )
    #: Whether an answer carried a ``Date`` this clock could read.
    observed: bool = False
    #: Whether the server has answered at all (a proxy may drop ``Date``): it was reached.
    answered: bool = False
    #: The two newest ``Date`` values seen: a ``Date`` seen before proves less than it did then.
    _last: str | None = attrs.field(init=False, default=None, repr=False)
    _before: str | None = attrs.field(init=False, default=None, repr=False)

    def observe(self, date_header: str | None) -> None:
        """Update the estimate from one answer's ``Date`` header, just received (cheap when
        it is one of the last two seen)."""
        self.answered = True
        if date_header is None or date_header == self._last or date_header == self._before:
            return
        received = self.local()
        self._before, self._last = self._last, date_header
        try:
            parsed = email.utils.parsedate_to_datetime(date_header)
        except (TypeError, ValueError, IndexError):
            return
        if parsed.tzinfo is None:
            parsed = parsed.replace(tzinfo=UTC)
        aged = parsed.timestamp() - received + _DRIFT * received
        bounds = self._bounds
        if bounds and parsed.timestamp() + 1.0 + _STEP_BACK_SLACK < received + self._offset(
            received
        ):
            bounds.clear()  # the server's clock was set back
        while bounds and bounds[-1][1] <= aged:
            bounds.pop()
        while bounds and bounds[0][0] < received - _KEPT:
            bounds.popleft()
        bounds.append((received, aged))
        self.observed = True

    def _offset(self, at: float) -> float:
        """Server time less :attr:`local` time *at*, by ``Date`` (the wall clock's until
        observed)."""
        if not self._bounds:
            return time.time() - at
        return self._bounds[0][1] - _DRIFT * at

    @property
    def offset(self) -> float:
        """Seconds the server's ``Date`` runs ahead of this host's wall clock, as estimated."""
        at = self.local()
        return at + self._offset(at) - time.time()

    def note_stamp(self, stamp: float) -> None:
        """
        Learn from a job stamp the server has just made (a trigger's answer: the job it
        created, or made run, as it answered) how far ``Date`` runs ahead of the stamps: a
        proxy in front of Airbyte answers with its own host's time (nginx does), which may
        drift, either way. ``Date`` less the stamp is the lead (negative when ``Date`` is
        behind), give or take the second each of them is rounded down by, and more when the
        answer was slow: the least of the last eight is taken, so a slow answer or two does
        not count. ``Date`` is taken rounded down, as the answer's own was: a job stamped late
        in one second and answered early in the next (Airbyte answers a moment after it
        stamps) leads by one second, not more. Up to a second either way, rounding explains it
        and nothing is subtracted; beyond, a second more than it is, so that :meth:`now` still
        never leads the stamps and windows reaching back by it still reach the jobs. A
        ``Date`` behind moves :meth:`now` forward: left behind, windows reaching back from it
        would take in jobs of before.
        """
        self._leads.append(self._whole_date() - stamp)
        self._settle(self._leads)

    def note_listed(self, stamp: float) -> None:
        """
        Learn the same from the newest stamp of a job listing just read, until a trigger has
        answered: a batch that adopts every sync sends none. Any stamp is at or before the
        server's time, so ``Date`` less it bounds the lead from above as a trigger's stamp
        does, and :meth:`now` still never leads the stamps; but the job may have changed long
        before, and until a listing shows a change just after it happened (an end),
        :meth:`now` lags by that much. Once triggers answer, they alone teach (as before
        listings did): the listings' frequent and looser bounds neither push their eight out
        nor move the windows of batches that trigger.
        """
        self._listed.append(self._whole_date() - stamp)
        if not self._leads:
            self._settle(self._listed)

    def _date(self) -> float:
        """The server's clock now by ``Date``, as estimated."""
        at = self.local()
        return at + self._offset(at)

    def _whole_date(self) -> float:
        """:meth:`_date` rounded down to its second, as ``Date`` is: never before the ``Date``
        of an answer observed, so a lead from it bounds the stamps' clock as that one would."""
        return math.floor(self._date())

    def _settle(self, leads: collections.deque[float]) -> None:
        least = min(leads)
        self.stamp_lead = least + 1.0 if abs(least) > 1.0 else 0.0

    def now(self) -> float:
        """The server's current time in epoch seconds (the local clock until observed), by
        the clock that stamps its jobs (see :meth:`note_stamp`); never ahead of it."""
        at = self.local()
        return at + self._offset(at) - self.stamp_lead

    def look_now(self, newest: float | None = None) -> float:
        """
        The server's time now by its job stamps, for a look for the job an attempt created
        since a moment (a trigger whose answer was lost): late enough that the look takes no
        job of before the attempt, early enough that it misses not the attempt's. *newest* is
        the newest stamp the look's listing showed, if any: the stamps' clock has reached it.

        :meth:`now`, once a trigger's answer has told how ``Date`` stands to the stamps. Until
        then ``Date`` may be a proxy's own, off by any amount (nginx answers with its host's
        time), and this host's clock is the other witness: where ``Date`` leads it and no
        stamp shows this host behind instead, this host's time is taken (a proxy ahead would
        place the window past the attempt's job); where *newest* shows ``Date`` behind the
        stamps, this host's time if later (a proxy behind would reach back to jobs of before
        the attempt). Either by two minutes at most, and never earlier than *newest*.
        """
        now = self.now()
        seen = -math.inf if newest is None else newest
        if not self._leads and self.observed:
            host = time.time()
            if host < now and seen <= host + 1.0:
                now = max(host, now - _HOST_REACH)
            elif seen > now + 1.0 and host > now:
                now = min(host, now + _HOST_REACH)
        return max(now, seen)
