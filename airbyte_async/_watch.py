"""
Watching many jobs at once, with a constant number of requests per poll cycle.

One :class:`JobWatcher` asks its :class:`~airbyte_async._backend.SyncBackend` for every job
changed since the newest update the server has returned (the server's clock, less an overlap),
and wakes the watches whose job reached a terminal status. On the Config API that is one
``jobs/list_for_workspaces`` listing (all pages) whose answer carries attempts and stats, so a
finished job needs no further request. Servers without that route (0.40) are detected on the
first poll and their jobs read with :meth:`~airbyte_async._backend.SyncBackend.read_jobs`.
"""

from __future__ import annotations

import asyncio
import collections
import datetime as dt
import itertools
import logging
import math
import random
import time
from collections.abc import Callable, Iterable
from contextlib import nullcontext

import anyio
import anyio.abc
import attrs

from ._backend import JobChanges, SyncBackend, workspaces_of
from ._retry import MAX_OUTAGE, WARN_EVERY, Outage, OutageLog, is_retryable, one_attempt
from .errors import AirbyteError, RequestTimeoutError, UnsupportedOperationError
from .models import Job, JobStatus, JobType
from .models._jobs import SYNC_TYPES

__all__ = ["POLL_MAX_PAUSE", "Done", "JobWatcher", "Watch", "poll_pace", "some"]

log = logging.getLogger("airbyte_async.jobs")

#: Seconds of recent job ends the poll pace is computed from.
_RATE_WINDOW = 3.0

#: The longest pause after a failed poll: one request every two seconds, whatever the number of
#: jobs watched, costs a server that is away nothing, and sees it back within seconds.
POLL_MAX_PAUSE = 2.0

#: Job ids a warning names at most: a lag that hides hundreds of ends is one line, not a page.
_IDS_SHOWN = 10

#: A listing not answered within this many times the usual (and at least _HEDGE_FLOOR
#: seconds) is sent again, and the first answer of the two taken: one slow answer (a busy
#: server, a proxy's hiccup) would hold up every end, and every slot they free, until it came.
_HEDGE_FACTOR = 4.0
_HEDGE_FLOOR = 1.0
#: The weight of the newest listing's time in the usual one (an exponential average).
_HEDGE_WEIGHT = 0.2

#: Seconds the watched jobs are read each by itself after a poll's listing timed out (it takes
#: longer than the client's timeout, while the server answers reads of one job: a listing over
#: a big table of jobs), before a listing is tried again, once.
_EACH_AFTER_TIMEOUT = 60.0
#: The shortest pause between two polls that read each job (one request per job watched),
#: and the most such reads a second on average: a server whose listings are slow is loaded.
_EACH_MIN_INTERVAL = 1.0
_EACH_READS_PER_SECOND = 100.0


class Done:
    """
    Set once, when a watched job is final; any number of tasks may wait for it, as for an
    :class:`anyio.Event` (a wait for one already set is a checkpoint).

    A batch makes one per sync, each waited on for the whole sync: a future per waiter and
    nothing else, where :class:`anyio.Event` wraps an :class:`asyncio.Event`, its queue of
    waiters and a coroutine more, every one of them kept until the sync ends and so carried
    into the collector's oldest generation.
    """

    __slots__ = ("_set", "_waiters")

    def __init__(self) -> None:
        self._set = False
        #: The one waiter's future, or a list of them when several wait.
        self._waiters: asyncio.Future[None] | list[asyncio.Future[None]] | None = None

    def is_set(self) -> bool:
        """Whether :meth:`set` was called."""
        return self._set

    def set(self) -> None:
        """Wake every waiter; later waits return at once."""
        if self._set:
            return
        self._set = True
        waiters, self._waiters = self._waiters, None
        if waiters is None:
            return
        for waiter in waiters if isinstance(waiters, list) else (waiters,):
            if not waiter.done():
                waiter.set_result(None)

    async def wait(self) -> None:
        """Until :meth:`set` is called (a cancellation point either way)."""
        if self._set:
            await anyio.lowlevel.checkpoint()
            return
        waiter: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        waiters = self._waiters
        if waiters is None:
            self._waiters = waiter
        elif isinstance(waiters, list):
            waiters.append(waiter)
        else:
            self._waiters = [waiters, waiter]
        try:
            await waiter
        finally:
            waiters = self._waiters
            if waiters is waiter:
                self._waiters = None
            elif isinstance(waiters, list) and waiter in waiters:
                waiters.remove(waiter)


@attrs.define(eq=False)
class Watch:
    """One watched job: its latest known state, and an event set once it is final."""

    job: Job
    workspace_id: str | None
    registered: float
    done: Done = attrs.field(factory=Done)
    error: AirbyteError | None = None
    #: When the job was last read by itself (:func:`time.monotonic`), if ever.
    rechecked: float | None = None
    #: Where the listings' window began when the watch began (server clock): every end since
    #: is in some listing's window.
    window: float = -math.inf


@attrs.define(eq=False)
class JobWatcher:
    """
    Polls for many jobs at once; :meth:`run` polls until cancelled.

    The pace follows what is in flight (:func:`poll_pace`, with ±10 % jitter): one poll per
    *completions_per_poll* jobs expected to end, from the rate at which they ended over the
    last few seconds (or since they began to end, so a wave of ends is caught as it starts),
    and no later than a tenth of the oldest watched job's age (a job that has run for ten
    minutes is unlikely to end within the next second; one that has run for a second may). So
    a batch of short syncs is polled often while it frees slots, a few long syncs are polled
    rarely, and the last jobs of a batch are not left waiting for ends that cannot come.
    Once no sync is *waiting* for a slot (the orchestrator keeps the count), an end frees none
    that is wanted: a poll then waits for a quarter of the jobs left to end, even when that is
    more than *completions_per_poll*.
    A poll re-reads only the ends since the previous one began (less *overlap*), so it costs
    little more than its request: sixteen ends per poll keep a freed slot waiting about a
    twentieth of a second at 150 ends a second.

    Each poll asks for what changed since the previous poll began, by the server's clock, less
    *overlap* seconds, and never from later than the newest update returned so far. A job whose
    snapshot is older than that window (a trigger answer read late, a job adopted from a
    listing) may have ended before the window began. The listings of the last *remember*
    seconds are remembered (their windows and the ids of the ends they showed of jobs not
    watched then): a job that may have ended only since the oldest of them began, and whose
    end none of them showed, ends in the next listing's window. Any other is a *suspect*. At
    most every *suspect_interval* seconds, a second listing asks for the jobs created since
    the oldest suspect could have been, that changed since its snapshot: suspects are still
    seen to end, and the main window never reaches back for them (a trigger's answer comes a
    round trip after its job began, so nearly every job would pull every window back that
    far, and without the memory nearly every job would be a suspect).
    Unless *all_statuses*, both ask for final jobs only: watches then learn nothing of
    ``running``, and each poll carries half as much.

    Jobs run on while the server's API is away (a restart, an upgrade): polls that fail on
    errors that may pass (the network, a 5xx that is retried, 429) are waited out for up to
    *max_outage* seconds from the first failure in the row, each failed poll followed by a
    longer pause (half a second, doubling up to two seconds, or *min_interval* if longer; up
    to ten after a 429, and at least what ``Retry-After`` asks: see
    :class:`~airbyte_async._retry.Outage`), not by the pace, which counts on ends that the
    outage hides: the first poll after the server is back comes within seconds, and its
    listing covers every end the outage hid. Only the first failed poll of a row retries its
    requests within the call; the later ones send each once, leaving the client's retry
    budget to its other calls. Polls that fail otherwise (a 401, a 422) end
    every watch with the last error once *max_failures* have failed in a row, as do polls
    still failing after *max_outage*.
    The first failed poll of a row is warned of at once, naming its error; later ones at most
    once every *warn_every* seconds, saying how many polls failed since the last warning; and
    the first poll that works again says so (also a warning, so that whoever saw the failures
    sees them end), with how many failed and for how long.

    A listing by update time misses an end that the server stamps earlier than it shows it
    (Airbyte takes the time before the transaction that writes the status commits), by more
    than *overlap*. Such a lag is looked for: every *probe_min* seconds at first (and no more
    often than the suspects' listing, which carries the probe), that listing also reaches
    back *probe_reach* seconds (four times the overlap, once it is wider) before the window
    for every watched job. An end it finds there that no listing showed,
    although a window held it, proves the lag. The probe comes half as often each time it could
    judge (it held ends old enough to have been shown) and found none, down to once every
    *probe_max* seconds. So no end is lost for good, a job watched for twice as long as the
    longest watch that ended so far (at least *recheck_min*, at most *recheck_after* seconds)
    is also read by itself, and again as long after while it runs: at most *recheck_limit*
    jobs, the longest unread first, at most every *recheck_interval* seconds. An end found
    either way makes the overlap grow fourfold (to a second at least, *max_overlap* at most),
    makes every watched job a suspect, so that the ends missed meanwhile are found by one
    listing rather than one by one, and brings the probe back to every *probe_min* seconds, to
    check the wider windows soon. Only an end stamped after the windows last grew is taken as
    proof that they are still too narrow.
    """

    backend: SyncBackend
    min_interval: float = 0.09
    max_interval: float = 30.0
    completions_per_poll: float = 16.0
    overlap: float = 0.1
    suspect_interval: float = 1.0
    remember: float = 10.0
    recheck_min: float = 10.0
    recheck_after: float = 60.0
    recheck_interval: float = 10.0
    recheck_limit: int = 25
    max_overlap: float = 10.0
    probe_min: float = 1.0
    probe_max: float = 8.0
    probe_reach: float = 2.0
    max_failures: int = 10
    max_outage: float = MAX_OUTAGE
    warn_every: float = WARN_EVERY
    all_statuses: bool = False
    #: Syncs not yet triggered that wait for a slot an end would free.
    waiting: int = 0
    on_change: Callable[[Watch], None] | None = None
    #: Listings (or rounds of reads) made so far, the suspects' included.
    polls: int = attrs.field(init=False, default=0)
    entries_read: int = attrs.field(init=False, default=0)
    batch_mode: bool | None = attrs.field(init=False, default=None)
    _watches: dict[int, Watch] = attrs.field(init=False, factory=dict)
    #: How many of the watched jobs are refreshes (see ``SYNC_TYPES``).
    _refreshes: int = attrs.field(init=False, default=0)
    #: How many watches each workspace has (None: a job whose workspace is not known).
    _workspaces: collections.Counter[str | None] = attrs.field(
        init=False, factory=collections.Counter
    )
    _wake: anyio.Event = attrs.field(init=False, factory=anyio.Event)
    _since: float | None = attrs.field(init=False, default=None)
    #: For the suspects not looked for yet: the earliest each may have changed and been
    #: created (server clock), and when the last look began (monotonic).
    _suspect_updated: float = attrs.field(init=False, default=math.inf)
    _suspect_created: float = attrs.field(init=False, default=math.inf)
    _suspects_looked_at: float = attrs.field(init=False, default=-math.inf)
    #: The main listings of the last *remember* seconds, oldest first: when each was read
    #: (monotonic) and where its window began (server clock). Their windows follow on.
    _listings: collections.deque[tuple[float, float]] = attrs.field(
        init=False, factory=collections.deque
    )
    #: The ends those listings showed of jobs not watched then: job id -> when read.
    _unwatched_ends: dict[int, float] = attrs.field(init=False, factory=dict)
    _rechecked_at: float = attrs.field(init=False, default=-math.inf)
    #: When the last probe for a commit lag began (monotonic), and the wait before the next.
    _probed_at: float = attrs.field(init=False, default=-math.inf)
    _probe_every: float = attrs.field(init=False, default=0.0)
    #: Ends stamped before this (server clock) do not prove the windows still too narrow:
    #: they were hidden from the windows before the overlap last grew.
    _evidence_from: float = attrs.field(init=False, default=-math.inf)
    #: The longest a watch lasted until its end was seen (:func:`time.monotonic` seconds).
    _longest: float = attrs.field(init=False, default=0.0)
    _ended: collections.deque[float] = attrs.field(init=False, factory=collections.deque)
    #: When the ends now counted began: a rate that has just ramped up is not averaged down.
    _ends_from: float = attrs.field(init=False, default=0.0)
    _newest_stamp: float = attrs.field(init=False, default=0.0)
    #: How long a main listing usually takes to answer (seconds), and how many were sent
    #: again because one took too long (see _HEDGE_FACTOR).
    _listing_time: float = attrs.field(init=False, default=0.0)
    hedged: int = attrs.field(init=False, default=0)
    #: Where the second listings go (see :meth:`_hedged`), while :meth:`run` runs.
    _hedges: anyio.abc.TaskGroup | None = attrs.field(init=False, default=None)
    _outage: Outage = attrs.field(
        init=False,
        default=attrs.Factory(
            lambda self: Outage(
                max_pause=POLL_MAX_PAUSE,
                warnings=OutageLog(
                    "polling jobs", ("poll", "polls"), every=self.warn_every, logger=log
                ),
            ),
            takes_self=True,
        ),
    )
    _rng: random.Random = attrs.field(init=False, factory=random.Random)
    #: Until when (monotonic) the jobs are read each by itself, a listing having timed out,
    #: and whether the last listing tried timed out.
    _each_until: float = attrs.field(init=False, default=-math.inf)
    _listing_timed_out: bool = attrs.field(init=False, default=False)

    def watch(self, job: Job, workspace_id: str | None, *, live_at: float | None = None) -> Watch:
        """
        Start watching *job*; the returned watch's ``done`` is set when it is final.

        *live_at* is a time on the server's clock (epoch seconds) when the job had surely not
        ended, nor even been created, yet, such as when the request that started it was sent.
        The job may have ended since then, or since its snapshot's ``updated_at`` when that is
        later or *live_at* unknown; if that is before the window, it is a suspect (see the
        class).
        """
        watch = Watch(job, workspace_id, time.monotonic())
        if job.status.is_terminal:
            watch.done.set()
            return watch
        self._forget(job.id)
        self._workspaces[workspace_id] += 1
        self._refreshes += job.job_type is JobType.REFRESH
        self._watches[job.id] = watch
        # Stamps are whole seconds, rounded down: a trigger's send time is often the closer
        # bound of when the job may have ended, and of when it was created.
        stamp, created = job.updated_at.timestamp(), job.created_at.timestamp()
        if live_at is not None:
            stamp, created = max(stamp, live_at), max(created, live_at)
        stamp -= self.overlap
        if self._since is None:
            self._since = stamp
            self._probed_at, self._probe_every = time.monotonic(), self.probe_min
        watch.window = self._since
        if stamp < self._since and (
            not self._listings or stamp < self._listings[0][1] or job.id in self._unwatched_ends
        ):
            self._suspect_updated = min(self._suspect_updated, stamp)
            self._suspect_created = min(self._suspect_created, created - self.overlap)
        self._wake.set()
        return watch

    def unwatch(self, job_id: int) -> None:
        """Stop watching a job (its watch is left as it is)."""
        self._forget(job_id)

    def _forget(self, job_id: int) -> None:
        watch = self._watches.pop(job_id, None)
        if watch is not None:
            self._refreshes -= watch.job.job_type is JobType.REFRESH
            left = self._workspaces[watch.workspace_id] - 1
            if left:
                self._workspaces[watch.workspace_id] = left
            else:
                del self._workspaces[watch.workspace_id]

    def __len__(self) -> int:
        return len(self._watches)

    def interval(self) -> float:
        """Seconds until the next poll: :func:`poll_pace` with ±10 % jitter."""
        now = time.monotonic()
        ended = self._ended
        while ended and ended[0] < now - _RATE_WINDOW:
            ended.popleft()
        # Dicts keep insertion order, so the first watch is the oldest still watched.
        oldest = next(iter(self._watches.values()), None)
        base = poll_pace(
            oldest_age=None if oldest is None else now - oldest.registered,
            ended=len(ended),
            ended_over=min(_RATE_WINDOW, now - self._ends_from),
            watched=len(self._watches),
            waiting=self.waiting,
            completions_per_poll=self.completions_per_poll,
            min_interval=self.min_interval,
            max_interval=self.max_interval,
        )
        return base * self._rng.uniform(0.9, 1.1)

    async def run(self) -> None:
        """Poll while jobs are watched, sleep while none are; returns only when cancelled."""
        async with anyio.create_task_group() as self._hedges:
            await self._run()

    async def _run(self) -> None:
        last = time.monotonic()
        while True:
            if not self._watches:
                self._wake = anyio.Event()
                await self._wake.wait()
                last = time.monotonic()
            # The interval runs from the previous poll's start: a slow answer is not added to it.
            # The pace of a failing watcher is stale (no end seen): its syncs ended on meanwhile.
            if self._outage.failures:
                pause = max(self.min_interval, self._outage.pause())
            else:
                pause = self.interval()
            if time.monotonic() < self._each_until:
                # A request per job watched (see _EACH_AFTER_TIMEOUT): at most once a second,
                # and at most _EACH_READS_PER_SECOND reads a second however many are watched.
                each = len(self._watches) / _EACH_READS_PER_SECOND
                pause = max(pause, _EACH_MIN_INTERVAL, each)
            await anyio.sleep(max(0.0, last + pause - time.monotonic()))
            if not self._watches:
                continue
            last = time.monotonic()
            try:
                with self._outage.attempt():
                    await self.poll()
            except AirbyteError as e:
                self._failed(e, last)
            else:
                self._outage.ended(last)

    def _failed(self, error: AirbyteError, began: float) -> None:
        """Count a failed poll that began at *began*; end every watch if it is time to give up."""
        outage = self._outage
        outage.failed(began, error)
        if outage.lasted >= self.max_outage or (
            outage.failures >= self.max_failures and not is_retryable(error, idempotent=True)
        ):
            self._fail_all(error)

    async def poll(self) -> None:
        """
        One poll cycle over every watched job. A listing that times out (slower than the
        client's timeout) is not waited out as an outage, every end held up meanwhile: the jobs
        are read each by itself instead, for :data:`_EACH_AFTER_TIMEOUT` seconds at a time
        while such reads work, and a listing is then tried again, once.
        """
        self.polls += 1
        if self.batch_mode is not False:
            if time.monotonic() < self._each_until:
                await self._poll_each_instead()
                return
            try:
                # A listing that timed out before is tried once: its retries would take the
                # timeout each, every end held up meanwhile.
                with one_attempt() if self._listing_timed_out else nullcontext():
                    await self._poll_batch()
            except UnsupportedOperationError as e:
                # A page where the listing's answer should be (a proxy's sign-in page) is a
                # failed poll, not a server without the route.
                if self.batch_mode or e.wrong_url:
                    raise
                log.info("this server cannot list jobs by workspace: reading each job instead")
                self.batch_mode = False
            except RequestTimeoutError as e:
                if not self._listing_timed_out:
                    log.warning(
                        "listing the jobs watched timed out (%s): reading each job by itself "
                        "meanwhile, and trying a listing again every %.0f s",
                        e,
                        _EACH_AFTER_TIMEOUT,
                    )
                self._listing_timed_out = True
                self._each_until = time.monotonic() + _EACH_AFTER_TIMEOUT
                await self._poll_each_instead()
                return
            else:
                self.batch_mode = True
                if self._listing_timed_out:
                    self._listing_timed_out = False
                    log.warning("listing the jobs watched works again")
                return
        await self._poll_each()

    async def _poll_each_instead(self) -> None:
        """
        Read each watched job by itself, a listing having timed out: the oldest watch first,
        alone, and the others only once it answered, so that a server that answers nothing
        (an outage) costs one read a poll, not one a job. When that read fails, the next poll
        tries a listing again.
        """
        watches = list(self._watches.values())
        if not watches:
            return
        first, rest = watches[0], watches[1:]
        workspaces = workspaces_of(w.workspace_id for w in watches)
        try:
            jobs = await self.backend.read_jobs([first.job], workspace_ids=workspaces, each=True)
        except AirbyteError:
            self._each_until = -math.inf
            raise
        for job in jobs.values():
            self._read_one(job)
        if rest:
            jobs = await self.backend.read_jobs(
                [w.job for w in rest], workspace_ids=workspaces, each=True, on_read=self._read_one
            )
            for job in jobs.values():
                self._read_one(job)

    async def _poll_batch(self) -> None:
        assert self._since is not None, "the first watch sets the window"
        since = self._since
        changed = await self._hedged(since)
        self._remember(since)
        newest = self._take(changed)
        # Stamps are whole seconds: the newest one read proves the server's clock had reached it,
        # not passed the next second. A job that moved while we paged is after `started`.
        if newest:
            self._newest_stamp = max(self._newest_stamp, newest + 1)
        started = changed.started
        bound = min(started, self._newest_stamp) if self._newest_stamp else started
        self._since = bound - self.overlap
        now = time.monotonic()
        if now - self._suspects_looked_at >= self.suspect_interval:
            probing = now - self._probed_at >= self._probe_every
            if probing:
                self._probed_at = now
                self._suspect_all(
                    reach=min(self.max_overlap, max(self.probe_reach, 4 * self.overlap))
                )
            if self._suspect_updated < math.inf and await self._look_for_suspects() and probing:
                self._probe_every = min(self.probe_max, 2 * self._probe_every)
        if time.monotonic() - self._rechecked_at >= self.recheck_interval:
            await self._recheck()

    async def _recheck(self) -> None:
        now = self._rechecked_at = time.monotonic()
        age = min(self.recheck_after, max(self.recheck_min, 2 * self._longest))
        due = [
            w
            for w in self._watches.values()
            if now - (w.registered if w.rechecked is None else w.rechecked) >= age
        ]
        if not due:
            return
        due.sort(key=lambda w: w.registered if w.rechecked is None else w.rechecked)
        due = due[: self.recheck_limit]
        for watch in due:
            watch.rechecked = now
        self.polls += 1
        workspaces = workspaces_of(w.workspace_id for w in due)
        jobs = await self.backend.read_jobs(
            [w.job for w in due], workspace_ids=workspaces, each=True
        )
        hidden = []
        longest = self._longest  # a watch this late says nothing of how long syncs take
        for watch in due:
            job = jobs.get(watch.job.id)
            if job is None or job.status == watch.job.status or job.id not in self._watches:
                continue
            if self._hid(watch, job.status, job.updated_at.timestamp(), self._since):
                hidden.append(job.id)
            self._apply(watch, job)
        self._longest = longest
        if hidden:
            self._widen(hidden)

    def _widen(self, hidden: list[int]) -> None:
        before = self.overlap
        self.overlap = min(self.max_overlap, max(1.0, 4 * before))
        shown = some(hidden, _IDS_SHOWN)
        log.warning(
            "%s %s had ended unseen by the listings (the server stamps an end before it "
            "shows it): windows now overlap by %.1f s (%.1f s before)",
            "job" if len(hidden) == 1 else "jobs",
            shown,
            self.overlap,
            before,
        )
        assert self._since is not None, "the first watch sets the window"
        self._evidence_from = self._since
        self._probed_at, self._probe_every = time.monotonic(), self.probe_min
        self._suspect_all()
        self._suspects_looked_at = -math.inf

    def _suspect_all(self, *, reach: float | None = None) -> None:
        """Make every watched job a suspect; with *reach*, look only at the ends of the last
        *reach* seconds before the window (which a commit lag hides at most)."""
        floor = -math.inf if reach is None or self._since is None else self._since - reach
        for watch in self._watches.values():
            updated = max(floor, watch.job.updated_at.timestamp() - self.overlap)
            created = watch.job.created_at.timestamp() - self.overlap
            self._suspect_updated = min(self._suspect_updated, updated)
            self._suspect_created = min(self._suspect_created, created)

    async def _look_for_suspects(self) -> bool:
        """
        One listing for the suspects; True when it held an end old enough to have been shown
        by an earlier listing and none of them had been hidden.
        """
        # Suspects registered while this look is on its way wait for the next one.
        updated, created = self._suspect_updated, self._suspect_created
        self._suspect_updated = self._suspect_created = math.inf
        self._suspects_looked_at = time.monotonic()
        self.polls += 1
        window = self._since
        try:
            changed = await self._changed(since=updated, created_since=created)
        except BaseException:
            self._suspect_updated = min(self._suspect_updated, updated)
            self._suspect_created = min(self._suspect_created, created)
            raise
        hidden = [
            change.id
            for change in changed.changes
            if (watch := self._watches.get(change.id)) is not None
            and self._hid(watch, change.status, change.updated_at, window)
        ]
        self._take(changed)
        if hidden:
            self._widen(hidden)
            return False
        return window is not None and any(c.updated_at + 1 <= window for c in changed.changes)

    async def _hedged(self, since: float) -> JobChanges:
        """
        The main listing from *since*; when it takes longer than :data:`_HEDGE_FACTOR` times
        the usual, a second one from the same point, and the answer that comes first (a
        listing only reads, so the other is dropped). The first listing runs in this task and
        the second only once a timer calls for it, so the common case costs no task and no
        wakeup of its own (each costs CPU on every poll). A failure of the first is raised.
        """
        hedges = self._hedges
        if hedges is None:  # polled by hand, not by run(): no task group to send it in
            return await self._changed(since=since)
        began = time.monotonic()
        second: list[JobChanges] = []
        first = anyio.CancelScope()
        other = anyio.CancelScope()

        async def again() -> None:
            with other:
                try:
                    changed = await self._changed(since=since)
                except AirbyteError as e:
                    log.debug("a listing sent again failed (the first still runs): %s", e)
                    return
                second.append(changed)
                first.cancel()

        def send_again() -> None:
            self.hedged += 1
            hedges.start_soon(again)

        patience = max(_HEDGE_FLOOR, _HEDGE_FACTOR * self._listing_time)
        timer = asyncio.get_running_loop().call_later(patience, send_again)
        try:
            with first:
                changed = await self._changed(since=since)
        finally:
            timer.cancel()
            other.cancel()
        if first.cancelled_caught and second:
            return second[0]
        took = time.monotonic() - began
        usual = self._listing_time
        self._listing_time = took if not usual else usual + _HEDGE_WEIGHT * (took - usual)
        return changed

    async def _changed(self, *, since: float, created_since: float | None = None) -> JobChanges:
        # Refreshes only while one is watched: a server before 0.63 has none, and refuses a
        # listing that names them.
        types = SYNC_TYPES if self._refreshes else (JobType.SYNC,)
        return await self.backend.changed_jobs(
            workspace_ids=workspaces_of(self._workspaces),
            since=_utc(since),
            final_only=not self.all_statuses,
            created_since=None if created_since is None else _utc(created_since),
            job_types=types,
        )

    def _take(self, changed: JobChanges) -> float:
        """
        Apply what a listing says of the watched jobs, and remember the ends it shows of
        others; the newest stamp it holds.
        """
        newest = 0.0
        self.entries_read += len(changed.changes)
        now = time.monotonic()
        unwatched = self._unwatched_ends
        for change in changed.changes:
            newest = max(newest, change.updated_at)
            watch = self._watches.get(change.id)
            if watch is not None:
                if change.status != watch.job.status:
                    self._apply(watch, change.job())
            elif change.status.is_terminal:
                # Re-inserted: the dict stays in the order the ends were read.
                unwatched.pop(change.id, None)
                unwatched[change.id] = now
        return newest

    def _remember(self, since: float) -> None:
        """
        Remember a main listing whose window began at *since*, before its ends are taken (so
        that a listing is forgotten no later than the ends it showed); forget the old ones.
        """
        now = time.monotonic()
        listings, unwatched = self._listings, self._unwatched_ends
        listings.append((now, since))
        cutoff = now - self.remember
        while listings and listings[0][0] < cutoff:
            listings.popleft()
        stale = [
            job_id for job_id, _ in itertools.takewhile(lambda e: e[1] < cutoff, unwatched.items())
        ]
        for job_id in stale:
            del unwatched[job_id]

    async def _poll_each(self) -> None:
        watches = list(self._watches.values())
        workspaces = workspaces_of(w.workspace_id for w in watches)
        # Each job applied as soon as it is read: one slow read holds up no other's end.
        jobs = await self.backend.read_jobs(
            [w.job for w in watches], workspace_ids=workspaces, on_read=self._read_one
        )
        for job in jobs.values():
            self._read_one(job)

    def _read_one(self, job: Job) -> None:
        watch = self._watches.get(job.id)
        if watch is not None and job.status != watch.job.status:
            self._apply(watch, job)

    def _apply(self, watch: Watch, job: Job) -> None:
        watch.job = job
        if self.on_change is not None:
            self.on_change(watch)
        if job.status.is_terminal:
            self._forget(job.id)
            now = time.monotonic()
            self._longest = max(self._longest, now - watch.registered)
            if not self._ended:
                self._ends_from = now
            self._ended.append(now)
            watch.done.set()

    def _hid(self, watch: Watch, status: JobStatus, stamp: float, window: float | None) -> bool:
        """
        Whether an end stamped at *stamp* (whole seconds, rounded down) was hidden from the
        listings: stamped after *watch* began and before the current *window*, so some
        listing's window held it and none showed it. An end from before the watch began, or in
        the current window (it may have come after the last listing began), proves nothing;
        nor does one from before the windows last grew.
        """
        since = max(watch.window, self._evidence_from)
        return status.is_terminal and window is not None and since <= stamp and stamp + 1 <= window

    def _fail_all(self, error: AirbyteError) -> None:
        for watch in self._watches.values():
            watch.error = error
            watch.done.set()
        self._watches.clear()
        self._workspaces.clear()


def some(items: Iterable[object], shown: int) -> str:
    """The first *shown* of *items*, and how many more: a warning's list, not a page."""
    listed = list(items)
    more = len(listed) - shown
    return ", ".join(map(str, listed[:shown])) + (f" and {more} more" if more > 0 else "")


def poll_pace(
    *,
    oldest_age: float | None,
    ended: int,
    ended_over: float,
    watched: int,
    waiting: int,
    completions_per_poll: float,
    min_interval: float,
    max_interval: float,
) -> float:
    """
    Seconds between polls, within *min_interval* and *max_interval*.

    - No later than a tenth of the oldest watched job's age (*oldest_age*, None when none is).
    - While jobs end (*ended* of them over the last *ended_over* seconds), one poll per
      *completions_per_poll* ends expected at that rate.
    - Near a batch's end, one poll per quarter of the *watched* jobs left, if that is fewer:
      the batch waits for its last job.
    - With no sync *waiting* for a slot, one poll per quarter of the jobs left even if that is
      more: an end frees no slot that is wanted, and only the last end decides when the batch
      is done.
    """
    pace = max_interval if oldest_age is None else oldest_age / 10
    if ended:
        per_poll = max(1.0, watched / 4)
        if waiting:
            per_poll = min(completions_per_poll, per_poll)
        pace = min(pace, per_poll * max(ended_over, min_interval) / ended)
    return min(max_interval, max(min_interval, pace))


def _utc(epoch: float) -> dt.datetime:
    return dt.datetime.fromtimestamp(epoch, dt.UTC)
