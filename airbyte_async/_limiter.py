"""
How many ``connections/sync`` calls may be in flight: a limit that follows the server.

A trigger answers only once Airbyte runs the job (API-FACTS 6.3b): a few hundred milliseconds on
a quiet server, seconds on a busy one. With a fixed bound, the batch starts at most
``bound / latency`` syncs a second: too few on a healthy server, too many on an overloaded one.
:class:`LimitRule` moves the bound with what the answers say, by additive increase and
multiplicative decrease (AIMD), as TCP does with its congestion window:

- Every trigger that ends is a *sample*: its latency, and whether the server said it was
  overloaded. Every answer that says so (a 429, 502, 503, 504, or Cloudflare's 522 or 524, on
  any request made for a trigger) is a sample of its own when it comes: a refused trigger is
  looked for and sent again inside its slot (``_reconcile``), and a server still full refuses it
  again; counted once per slot, and only when the slot ended, two triggers past a server's bound
  went on being refused for seconds while the answers of the others raised the limit. A trigger
  that times out is a sample then, of the timeout's length: a server slower than the client's
  timeout may still act on every trigger (its jobs are found, see ``_reconcile``), and taking
  that for overload halved the limit to one trigger for good.
- The *baseline* is the lowest latency of the last ``baseline_window`` seconds (five minutes):
  what the server takes when nothing queues. The window is long because a server these
  triggers keep busy shows no unqueued latency: a shorter one took the queue for the floor
  and let the limit climb again. A floor that rose for good is learned sooner, by a decrease
  that did not help (below).
- *standing* is the lowest latency of the last :meth:`~LimitRule.window_size` triggers
  (``window``, 32, or a quarter of the limit when that is more: a quarter of a round trip's
  answers). A queue at the server slows every trigger, while a server that takes 0.2 to 1 s
  at random (it waits for the workflow to run the job), a network that adds up to 0.8 s to
  triggers the public API answers in 10 ms, or a fault that holds one trigger in twenty,
  still answers some fast. A moving average took all of them for a queue and cut the limit
  to a few triggers; so did a window of 16 when hundreds answered each second, and a slack
  of 50 ms over a 10 ms baseline.
- Overload halves the limit, once it is a real share of what the server answers: at least
  ``overload_min`` of the last ``max(overload_window, limit)`` samples, and ``overload_share``
  of them, were overload answers. A server or proxy that fails a few requests at random (a
  502 here, a 429 there) is not asking for fewer triggers, and halving for each would starve
  the batch; one that sheds load refuses many at once, and again when they are sent again.
  *standing* above ``tolerance`` times the baseline plus ``slack`` seconds (the server
  queues) multiplies it by 0.8. At most one decrease per round trip: samples of triggers
  that started before the last decrease (or with more triggers in flight than the limit now
  allows: a slot freed just before a cut may be taken in the same loop turn), their refusals
  after it included, tell of the load before it, so only the baseline, and the latency the
  decrease is judged against, learn from them; the latency is judged again once a window of
  samples has come since.
- A cut for latency is judged when the window after it is full and still slow (a healthy
  *standing* ends its judgement: it helped). Latency below ``helped`` times what it was
  before: it helped, and the next cut follows. At least ``unchanged`` times it: the server
  is slow for reasons of its own, not because of these triggers; the cut is undone and
  *standing* becomes the baseline's floor for a baseline window. In between, the change is
  within the noise (a cut near what the server takes changes little): the limit is held and
  judged again on a fresh window, and the queue's latency does not become a floor from which
  the limit would climb. What the latency was before is *standing* when the cut was made,
  unless the server answers first come first served: Airbyte works triggers on a fixed pool
  of threads (25 by default), and past what the pool takes the latency grows with the
  triggers in flight; a cut made while that queue still grew must be judged against the
  queue it left, which the triggers sent before it show when they answer after it and before
  those sent after it (at most ``fifo_share`` of them answer later): their mean and the
  window's compare. Where answers interleave, those sent before a cut that answer after it
  are only the slowest of their time.
- A healthy sample (neither it nor *standing* slow), while the limit was in use (at least
  half of it in flight when the sample started), adds 1 to the limit until the first
  decrease (slow start: the limit doubles every round trip), and 1/limit afterwards (about 1
  per round trip).
- Slow start is also clocked by time: the limit doubles every ``ramp_interval`` seconds as long
  as no trigger in flight has waited longer than a healthy one would (the threshold above;
  before the first answer, ``first_wait``). A trigger takes up to a second on a quiet server,
  and doubling once per answer would leave it idle for five round trips on the way from 16 to
  500; the clock stops at the first trigger that waits too long or is told of overload, and
  the first decrease ends it. The answers that could stop the clock come through the event
  loop, some ten turns after their trigger took its slot (a connection, the request, the
  answer, the client's layers), and a busy loop (a shared CPU) takes tens of milliseconds a
  turn while the clock keeps time: so a tick that wakes late (by a fifth of the interval) first
  lets the loop turn :data:`TICK_TURNS` times and decides after them, and one that comes later
  still (more than two intervals after the last) does not double. A tick that wakes on time
  decides at once: the loop is idle enough that the answers come have been read, and the
  first wave, hundreds of triggers in a quarter of a second, is not held up. Deciding at once
  on a late tick took a loaded run from 16 to 128 triggers in flight before the server's first
  refusal was read.
- Slow start raises the limit only for triggers that would wait otherwise: once a trigger
  has answered, neither the clock nor an answer raises it while no more triggers wait for a
  slot than the limit lets fly (they all go within a round trip, on the slots the answers
  free), and the clock sleeps until more wait (a rerun's first trigger answers alone); the
  tick it wakes to is not a late one, whatever the time it slept. Before the first answer,
  with no more waiting than that, the clock holds its doubling until the oldest trigger has
  waited ``first_answer`` (0.3 s). Each trigger in flight holds a
  connection: a first wave of 500 against a server that answers in 0.2 s opened 500
  connections, and now 257, its last triggers going 0.2 s later (a new connection costs the
  client about 0.15 ms of CPU, and the server a socket); one that answers in a second still
  gets all 500 at once, 0.1 s later.
- The limit stays between ``floor`` and ``ceiling`` (``max_triggers``, a hard bound).

AIMD rather than a gradient limiter: its answer to a flood of 503s is simple to bound (each
round trip with one halves the limit, whatever the latencies say), a healthy server costs only
the slow start (log2(ceiling / initial) round trips), and it needs no tuning of a target queue.

:class:`TriggerLimiter` applies the rule to an :class:`anyio.CapacityLimiter`. What the server
answered inside a slot reaches it through :func:`note_overload`, which the transport calls;
nothing is recorded outside a slot.
"""

from __future__ import annotations

import collections
import contextvars
import logging
import math
import time
from types import TracebackType

import anyio
import attrs

from .errors import InvalidArgumentError, RateLimitError, ServerError

__all__ = [
    "OVERLOAD_STATUSES",
    "LimitRule",
    "TriggerLimiter",
    "note_overload",
    "note_request",
    "note_timeout",
    "the_trigger",
]

log = logging.getLogger("airbyte_async.orchestrator")

#: Statuses by which a server (or its proxy) says it has too much to do; Cloudflare's pages for
#: its 522 and 524 name an origin short of resources as their likely cause.
OVERLOAD_STATUSES = frozenset({429, 502, 503, 504, 522, 524})

#: Event loop turns a slow start's tick lets pass before it decides: twice the turns a refused
#: trigger's answer takes to reach the rule from the slot's taking, on a fresh connection.
TICK_TURNS = 20


def _check_ceiling(_: object, attribute: attrs.Attribute[int], value: int) -> None:
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise InvalidArgumentError(f"{attribute.name} must be an int of at least 1, got {value!r}")


# Its state changes with every trigger: no validator runs on assignment (the ceiling's runs once).
@attrs.define(on_setattr=attrs.setters.NO_OP)
class LimitRule:
    """
    The limit's arithmetic, without I/O: fed samples, it says how many triggers may be in flight.

    Times are seconds on any monotonic clock the caller chooses. See the module docstring for
    the rules. Raises :class:`~airbyte_async.errors.InvalidArgumentError` for a ceiling that is
    not a positive int.
    """

    ceiling: int = attrs.field(validator=_check_ceiling)
    initial: int = 16
    floor: int = 1
    tolerance: float = 2.0
    slack: float = 0.1
    window: int = 32
    window_share: float = 0.25
    overload_factor: float = 0.5
    latency_factor: float = 0.8
    baseline_window: float = 300.0
    helped: float = 0.9
    unchanged: float = 0.97
    fifo_share: float = 0.25
    ramp_interval: float = 0.05
    first_wait: float = 1.0
    first_answer: float = 0.3
    overload_min: int = 4
    overload_share: float = 0.35
    overload_window: int = 50
    #: The limit in force, a float so that additive steps below 1 add up.
    limit: float = attrs.field(init=False)
    slow_start: bool = attrs.field(init=False, default=True)
    #: The lowest latency of the last :meth:`window_size` triggers judged since the last
    #: decrease.
    standing: float | None = attrs.field(init=False, default=None)
    #: Why the limit last went down, for the log and events.
    last_reason: str = attrs.field(init=False, default="")
    # (ended, latency), latencies rising: the window's minimum is always first.
    _lows: collections.deque[tuple[float, float]] = attrs.field(
        init=False, factory=collections.deque
    )
    _decreased_at: float = attrs.field(init=False, default=-math.inf)
    #: Whether each sample judged since the last decrease was an overload answer, newest last.
    _told: collections.deque[bool] = attrs.field(init=False, factory=collections.deque)
    #: The triggers judged since the last decrease (the last :meth:`window_size` of them).
    _latest: _Recent = attrs.field(init=False, factory=lambda: _Recent())
    #: *standing* when the limit last went down for latency; None once that cut is judged,
    #: or after any other change.
    _before_cut_latency: float | None = attrs.field(init=False, default=None)
    #: The last :meth:`window_size` triggers sent before the cut and answered after it, but
    #: before any sent after it; how many answered before and after the first sent after it
    #: (see :meth:`_change_since_cut`).
    _stragglers: _Recent = attrs.field(init=False, factory=lambda: _Recent())
    _stragglers_first: int = attrs.field(init=False, default=0)
    _stragglers_late: int = attrs.field(init=False, default=0)
    #: The limit before the last cut for latency, restored if the cut did not help.
    _limit_before_cut: float = attrs.field(init=False, default=0.0)
    #: A latency a cut proved the server's own, and until when (the samples' clock) it stands
    #: as the baseline's floor.
    _own_latency: float = attrs.field(init=False, default=0.0)
    _own_until: float = attrs.field(init=False, default=-math.inf)
    _ramped_at: float = attrs.field(init=False, default=-math.inf)
    _ticked_at: float = attrs.field(init=False, default=math.inf)

    def __attrs_post_init__(self) -> None:
        self.floor = max(1, min(self.floor, self.ceiling))
        self.limit = float(max(self.floor, min(self.initial, self.ceiling)))

    @property
    def slots(self) -> int:
        """The limit as a whole number of triggers in flight."""
        return int(self.limit)

    @property
    def baseline(self) -> float | None:
        """
        The lowest latency of the baseline window, or the latency a cut that did not help
        proved the server's own when that is higher; None before the first sample.
        """
        return max(self._lows[0][1], self._own_latency) if self._lows else None

    def sample(
        self,
        *,
        started: float,
        ended: float,
        in_flight: int,
        overloaded: bool,
        clean: bool = True,
        waiting: int | None = None,
    ) -> None:
        """
        Learn from one trigger that ran from *started* to *ended* with *in_flight* triggers in
        flight when it started (itself included); *overloaded* when the server said so. A
        trigger that was not *clean* (it took more than its one request: a retry, a look for
        its job, a token) counts for the share of overload answers, but its time measures our
        retries, not the server, so the latency rules do not see it. *waiting* is how many
        triggers wait for a slot now (None: not known), see :meth:`wants_more`.
        """
        before_cut = self._before_cut(started, in_flight)
        if not clean and not overloaded:
            if not before_cut:
                self._tell(overloaded=False)
            return
        latency = ended - started
        lows = self._lows
        while lows and lows[-1][1] >= latency:
            lows.pop()
        lows.append((ended, latency))
        while lows[0][0] < ended - self.baseline_window:
            lows.popleft()
        if ended > self._own_until:
            self._own_latency = 0.0
        if before_cut:
            # Sent before the cut: the queue the cut is judged against.
            if self._before_cut_latency is not None:
                if self._latest:
                    self._stragglers_late += 1
                else:
                    self._stragglers_first += 1
                    self._stragglers.push(latency, self.window_size())
            return
        if overloaded:
            self.overloaded(started=started, now=ended, in_flight=in_flight)
            return
        self._tell(overloaded=False)
        latest = self._latest
        latest.push(latency, self.window_size())
        standing = self.standing = latest.low
        queued = self.slow_after()
        if standing <= queued:
            # Healthy again: the last cut did what it was for, and is not judged any more.
            self._before_cut_latency = None
            if latency <= queued and 2 * in_flight >= self.limit and self.wants_more(waiting):
                step = 1.0 if self.slow_start else 1.0 / self.limit
                self.limit = min(float(self.ceiling), self.limit + step)
            return
        if len(latest) < self.window_size():
            return
        change = self._change_since_cut(standing)
        if change >= self.unchanged:
            self._own_latency, self._own_until = standing, ended + self.baseline_window
            self.limit = max(self.limit, self._limit_before_cut)
            self._before_cut_latency = None
            latest.clear()
            return
        if change >= self.helped:
            # It helped a little, or not at all within the noise: hold, and judge afresh.
            latest.clear()
            return
        self._limit_before_cut = self.limit
        self._decrease(ended, self.latency_factor, f"trigger latency grew to {standing:.2f} s")
        self._before_cut_latency = standing

    def _change_since_cut(self, standing: float) -> float:
        """
        The latency now over the latency before the last cut for latency, if that was the
        last decrease (else 0: nothing to judge).

        That latency is *standing* when the cut was made, unless the server answers first come
        first served: then every trigger sent before the cut answers before any sent after it,
        and the last of them show the queue the cut left, which a cut made while the queue
        still grew did not see; the means of those and of the window compare. Where
        answers interleave, those sent before the cut that answered after it are only the
        slowest of their time, and say nothing of a queue.
        """
        before = self._before_cut_latency
        if before is None:
            return 0.0
        if self._stragglers and self._stragglers_late <= self.fifo_share * self._stragglers_first:
            return self._latest.mean / self._stragglers.mean
        return standing / before

    def overloaded(self, *, started: float, now: float, in_flight: int = 0) -> None:
        """
        The server said at *now* that it is overloaded, to a trigger that started at *started*
        with *in_flight* in flight: one sample, told at once, not when the trigger ends (which
        may be after retries, each of them one more such answer).
        """
        if self._before_cut(started, in_flight):
            return
        self._tell(overloaded=True)
        told = self._told
        overloads = sum(told)
        if overloads >= self.overload_min and overloads >= self.overload_share * len(told):
            self._decrease(now, self.overload_factor, "the server said it is overloaded")
            self._before_cut_latency = None

    def _before_cut(self, started: float, in_flight: int) -> bool:
        # A slot freed just before a cut may be taken just after it, in the same loop turn: a
        # trigger that started with more in flight than the limit now allows got its slot
        # under the old limit.
        return started < self._decreased_at or in_flight > self.slots

    def _tell(self, *, overloaded: bool) -> None:
        told = self._told
        told.append(overloaded)
        while len(told) > max(self.overload_window, self.slots):
            told.popleft()

    def window_size(self) -> int:
        """Triggers *standing* is the lowest latency of: ``window``, or ``window_share`` of
        the limit when that is more (a round trip's answers, not a few of them, must all be slow
        for a queue)."""
        return max(self.window, int(self.slots * self.window_share))

    def slow_after(self) -> float:
        """Seconds after which a trigger is slower than a healthy one."""
        baseline = self.baseline
        if baseline is None:
            return self.first_wait
        return baseline * self.tolerance + self.slack

    def wants_more(self, waiting: int | None) -> bool:
        """
        Whether slow start may raise the limit, with *waiting* triggers waiting for a slot
        (None: not known, so yes), once a trigger has answered: only while more wait than the
        limit lets fly. Fewer all go within a round trip, on the slots (and the connections)
        that the triggers in flight free as they answer.
        """
        return waiting is None or not self.slow_start or not self._lows or waiting > self.slots

    def rested(self) -> None:
        """
        The clock slept while nobody waited (see :meth:`wants_more`) and wakes for a wave: its
        next tick is not late, however long ago the last one was. Taken for a late one, the
        wave's first tick did not double, and on a busy loop the next came after its oldest
        trigger had waited past :meth:`slow_after`, which stopped the doubling for good.
        """
        self._ticked_at = math.inf

    def tick(self, now: float, oldest: float | None, *, waiting: int | None = None) -> None:
        """
        Time-clocked slow start at *now*, the oldest trigger in flight having started at
        *oldest* (None: none in flight), *waiting* triggers waiting for a slot: double the
        limit if a ramp interval has passed and :meth:`wants_more` says so. Before any
        answer, with no more waiting than the limit lets fly, it doubles only once the oldest
        trigger has waited ``first_answer`` seconds: a server that answers sooner lets them
        go on the connections its answers free.
        """
        late = now - self._ticked_at > 2 * self.ramp_interval
        self._ticked_at = now
        if not self.slow_start or now - self._ramped_at < self.ramp_interval:
            return
        few = waiting is not None and waiting <= self.slots
        if few and (self._lows or oldest is None or now - oldest < self.first_answer):
            return
        if oldest is not None and now - oldest > self.slow_after():
            return
        # A refusal, or a tick that came late (the event loop lags, and answers with it).
        if late or any(self._told):
            return
        self._ramped_at = now
        self.limit = min(float(self.ceiling), self.limit * 2)

    def _decrease(self, now: float, factor: float, why: str) -> None:
        self.limit = max(float(self.floor), self.limit * factor)
        self.slow_start = False
        self.standing = None
        self._latest.clear()
        self._stragglers.clear()
        self._stragglers_first = self._stragglers_late = 0
        self._decreased_at = now
        self._told.clear()
        self.last_reason = why


@attrs.define
class _Recent:
    """The last latencies pushed: how many, their mean and their minimum, each in O(1)."""

    _values: collections.deque[float] = attrs.field(factory=collections.deque)
    _total: float = 0.0
    # (index, latency), latencies rising: the window's minimum is always first.
    _lows: collections.deque[tuple[int, float]] = attrs.field(factory=collections.deque)
    _pushed: int = 0

    def push(self, latency: float, size: int) -> None:
        """Add *latency*, keeping the last *size* (at least one)."""
        values, lows = self._values, self._lows
        values.append(latency)
        self._total += latency
        while len(values) > max(1, size):
            self._total -= values.popleft()
        index = self._pushed
        self._pushed += 1
        while lows and lows[-1][1] >= latency:
            lows.pop()
        lows.append((index, latency))
        while lows[0][0] < self._pushed - len(values):
            lows.popleft()

    @property
    def low(self) -> float:
        """The lowest latency kept (there must be one)."""
        return self._lows[0][1]

    @property
    def mean(self) -> float:
        """The mean of the latencies kept (there must be one)."""
        return self._total / len(self._values)

    def clear(self) -> None:
        """Forget every latency."""
        self._values.clear()
        self._lows.clear()
        self._total = 0.0

    def __len__(self) -> int:
        return len(self._values)


@attrs.define(eq=False)
class _Probe:
    """
    What one slot's holder has seen; lives in a context variable while the slot is held.

    Copies of that context outlive the slot: a connection the trigger opened keeps one for as
    long as it stays in the client's pool (its transport's reader callback runs in it), and a
    task started meanwhile (a token renewal) runs in one. So the slot's end drops *owner*: a
    released probe tells no limiter anything, and pins no finished batch's limiter in memory.
    """

    #: The limiter whose slot this is; None once the slot was released.
    owner: TriggerLimiter | None
    started: float
    in_flight: int
    overloaded: bool = False
    #: Whether the trigger's request timed out, its sample taken then.
    timed_out: bool = False
    requests: int = 0
    token: contextvars.Token[_Probe | None] | None = None


_probe: contextvars.ContextVar[_Probe | None] = contextvars.ContextVar(
    "airbyte_async_trigger_probe", default=None
)

#: Whether the request under way is the trigger itself (see :func:`the_trigger`).
_triggering: contextvars.ContextVar[bool] = contextvars.ContextVar(
    "airbyte_async_triggering", default=False
)


class the_trigger:
    """
    Mark the requests made inside as the trigger itself, whose overload answers and timeouts
    tell its slot of the server's load (:func:`note_overload`, :func:`note_timeout`). The
    looks a trigger makes for its job after an unclear answer, and the reads that explain a
    refusal, are not: a server or proxy that fails a share of every request at random is not
    refusing triggers, and counting each trigger's looks as well halved the limit to one or
    two triggers (200 syncs, 10 % 502 and 10 % 503 on every route: 25 to 50 s for 24).

    A class rather than a generator-based context manager: one object a trigger, where that
    makes four (its manager, generator, arguments and keywords), each for the collector.
    """

    __slots__ = ("_token",)

    def __enter__(self) -> None:
        self._token = _triggering.set(True)

    def __exit__(self, *exc: object) -> None:
        _triggering.reset(self._token)


def note_request() -> None:
    """Tell the trigger slot the current task holds, if any, that it sends one more request."""
    probe = _probe.get()
    if probe is not None and probe.owner is not None:
        probe.requests += 1


def note_overload() -> None:
    """
    Tell the trigger slot the current task holds, if any, that the server answered its trigger
    (see :func:`the_trigger`) that it is overloaded: every such answer counts, a trigger's
    second refusal as much as its first.
    """
    probe = _probe.get()
    if probe is not None and probe.owner is not None and _triggering.get():
        probe.overloaded = True
        probe.owner._overloaded(probe)


def note_timeout() -> None:
    """Tell the trigger slot the current task holds, if any, that its trigger (see
    :func:`the_trigger`) timed out."""
    probe = _probe.get()
    if (
        probe is not None
        and probe.owner is not None
        and _triggering.get()
        and not (probe.overloaded or probe.timed_out)
    ):
        probe.timed_out = True
        probe.owner._timed_out(probe)


def _says_overloaded(exc: BaseException | None) -> bool:
    if isinstance(exc, RateLimitError):
        return True
    return isinstance(exc, ServerError) and exc.status in OVERLOAD_STATUSES


class TriggerLimiter:
    """
    Slots for triggers in flight: ``async with limiter:`` holds one for the trigger's duration.

    With *adaptive* (the default) the number of slots follows :class:`LimitRule`, never above
    *ceiling*; without it, it is *ceiling*, fixed. :meth:`run` clocks the rule's slow start and
    must run beside the slots' users. A slot given up by cancellation teaches the rule nothing.
    Raises :class:`~airbyte_async.errors.InvalidArgumentError` for a ceiling that
    is not a positive int.
    """

    def __init__(self, ceiling: int, *, adaptive: bool = True, initial: int = 16) -> None:
        self.rule: LimitRule | None = LimitRule(ceiling, initial=initial) if adaptive else None
        self._slots = anyio.CapacityLimiter(self.rule.slots if self.rule else ceiling)
        # Holders by age: the first is the oldest trigger in flight.
        self._open: dict[_Probe, None] = {}
        #: Callers waiting for a slot now.
        self.waiting = 0
        # Set when more wait than the limit lets fly, for a clock sleeping until then.
        self._wanted: anyio.Event | None = None
        #: Seconds the latest trigger answered took (0 before the first answer).
        self.latency = 0.0

    @property
    def limit(self) -> int:
        """Triggers allowed in flight now."""
        return int(self._slots.total_tokens)

    @property
    def in_flight(self) -> int:
        """Triggers in flight now."""
        return self._slots.borrowed_tokens

    async def run(self) -> None:
        """
        Clock the slow start until it ends or reaches the ceiling, or the caller cancels. While
        it is not wanted (a trigger answered, and no more wait than the limit lets fly) the
        clock sleeps without ticking, until more wait.
        """
        rule = self.rule
        due = time.monotonic()
        while rule is not None and rule.slow_start and rule.slots < rule.ceiling:
            # Woken late, the loop is busy: the answers already come reach the rule first.
            if time.monotonic() - due > rule.ramp_interval / 5:
                for _ in range(TICK_TURNS):
                    await anyio.lowlevel.checkpoint()
            if not rule.wants_more(self.waiting):
                # A tick every 50 ms for a whole batch costs more than the first wave saves.
                self._wanted = anyio.Event()
                await self._wanted.wait()
                self._wanted = None
                rule.rested()
                due = time.monotonic()
                continue
            oldest = next(iter(self._open), None)
            rule.tick(
                time.monotonic(),
                oldest.started if oldest is not None else None,
                waiting=self.waiting,
            )
            self._apply(rule)
            due = time.monotonic() + rule.ramp_interval
            await anyio.sleep(rule.ramp_interval)

    def _timed_out(self, probe: _Probe) -> None:
        if self.rule is not None:
            now = time.monotonic()
            self.rule.sample(
                started=probe.started, ended=now, in_flight=probe.in_flight, overloaded=False
            )
            self._apply(self.rule)

    def _overloaded(self, probe: _Probe) -> None:
        if self.rule is not None:
            self.rule.overloaded(
                started=probe.started, now=time.monotonic(), in_flight=probe.in_flight
            )
            self._apply(self.rule)

    def _apply(self, rule: LimitRule) -> None:
        before = int(self._slots.total_tokens)
        if rule.slots != before:
            self._slots.total_tokens = rule.slots
            if rule.slots < before:
                log.debug("trigger limit %d -> %d: %s", before, rule.slots, rule.last_reason)

    async def __aenter__(self) -> None:
        # A cancelled caller must not go on to trigger: checked here, since a free slot is
        # then taken without the loop turn acquire() makes (one per trigger adds up).
        await anyio.lowlevel.checkpoint_if_cancelled()
        try:
            self._slots.acquire_nowait()
        except anyio.WouldBlock:
            self.waiting += 1
            if self._wanted is not None and self.waiting > self._slots.total_tokens:
                self._wanted.set()
            try:
                await self._slots.acquire()
            finally:
                self.waiting -= 1
        probe = _Probe(self, time.monotonic(), self._slots.borrowed_tokens)
        probe.token = _probe.set(probe)
        self._open[probe] = None

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        probe = _probe.get()
        assert probe is not None
        assert probe.token is not None
        _probe.reset(probe.token)
        del self._open[probe]
        probe.owner = None
        try:
            rule = self.rule
            cancelled = exc is not None and isinstance(exc, anyio.get_cancelled_exc_class())
            if exc is None:
                self.latency = time.monotonic() - probe.started
            overloaded = exc is not None and _says_overloaded(exc)
            # An overload answer was told the rule when it came, a timeout too: a trigger
            # that ended on one says no more. One that ended otherwise after overload answers
            # is a sample as well (not clean: it took more than one request).
            if rule is None or cancelled or probe.timed_out or (overloaded and probe.overloaded):
                return
            rule.sample(
                started=probe.started,
                ended=time.monotonic(),
                in_flight=probe.in_flight,
                overloaded=overloaded,
                clean=probe.requests == 1,
                waiting=self.waiting,
            )
            self._apply(rule)
        finally:
            self._slots.release()
