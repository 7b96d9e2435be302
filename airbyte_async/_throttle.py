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
    The server's wall clock, estimated from the ``Date`` header of its answers.

    ``Date`` is whole seconds and stamped before the answer travels, so :meth:`now` errs early:
    it may lag the server by up to a second plus the latency, never lead it. Code comparing
    against server timestamps must allow that much overlap.
    """

    #: The local wall clock (epoch seconds; :func:`time.time`), for tests to set.
    local: Callable[[], float] = attrs.field(default=time.time, kw_only=True, repr=False)
    offset: float = 0.0
    #: Seconds by which ``Date`` runs ahead of the clock that stamps jobs, at most (see
    #: :meth:`note_stamp`); subtracted by :meth:`now`.
    stamp_lead: float = 0.0
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
    _last: str | None = attrs.field(init=False, default=None, repr=False)

    def observe(self, date_header: str | None) -> None:
        """Update the estimate from one answer's ``Date`` header (cheap when unchanged)."""
        self.answered = True
        if date_header is None or date_header == self._last:
            return
        self._last = date_header
        try:
            parsed = email.utils.parsedate_to_datetime(date_header)
        except (TypeError, ValueError, IndexError):
            return
        if parsed.tzinfo is None:
            parsed = parsed.replace(tzinfo=UTC)
        self.offset = parsed.timestamp() - self.local()
        self.observed = True

    def note_stamp(self, stamp: float) -> None:
        """
        Learn from a job stamp the server has just made (a trigger's answer: the job it
        created, or made run, as it answered) how far ``Date`` runs ahead of the stamps: a
        proxy in front of Airbyte answers with its own host's time (nginx does), which may
        drift. ``Date`` less the stamp is the lead, give or take the second each of them is
        rounded down by, and more when the answer was slow: the least of the last eight is
        taken, so a slow answer or two does not count. Up to a second, rounding explains it
        and nothing is subtracted; beyond, a second more than it is, so that :meth:`now`
        still never leads the stamps and windows reaching back by it still reach the jobs.
        """
        self._leads.append(self.local() + self.offset - stamp)
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
        self._listed.append(self.local() + self.offset - stamp)
        if not self._leads:
            self._settle(self._listed)

    def _settle(self, leads: collections.deque[float]) -> None:
        least = min(leads)
        self.stamp_lead = least + 1.0 if least > 1.0 else 0.0

    def now(self) -> float:
        """The server's current time in epoch seconds (the local clock until observed), by
        the clock that stamps its jobs (see :meth:`note_stamp`)."""
        return self.local() + self.offset - self.stamp_lead
