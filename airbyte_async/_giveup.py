"""
Giving a batch up: how the jobs it took on really stand, each told as a result.

When a batch is given up on (its deadline, the caller's cancel, *fail_fast*), the orchestrator
hands a :class:`Cleanup` the jobs in flight and the triggers on their way, and :class:`GiveUp`
settles them with what it needs of the orchestrator (the backend, ``cancel_on_abort``,
``cancel_grace``): the jobs are read at once (in shared rounds, see :class:`Reads`), a job that
ended is reported as it ended, and only a job the batch started that still runs is cancelled
(Airbyte cancels whatever job the connection runs, whatever id is sent). Meanwhile the
triggers on their way are heard out, the job each answer names settled as it comes; the jobs
of triggers cut short are looked for by the server's clock. A cancel answers only once its job
stopped, so up to :data:`CANCELS_IN_FLIGHT` are sent at once, as many as Airbyte's scheduler
executor runs by default. :meth:`Cleanup.results` then tells each job as the cleanup left it.
"""

from __future__ import annotations

import itertools
import logging
import math
import time
from collections.abc import AsyncIterator, Callable, Sequence
from contextlib import asynccontextmanager

import anyio
import attrs

from ._backend import _ENDED_MARGIN, STALE_READ, Paging, SyncBackend, own_job
from ._retry import (
    MAX_RETRY_AFTER,
    Outage,
    OutageLog,
    about,
    is_retryable,
    never_reached_server,
    one_attempt,
    round_pause,
)
from ._syncs import (
    Flight,
    Outcome,
    SyncResult,
    Triggering,
    from_job,
    sync_result,
    target_workspaces,
)
from ._watch import some
from .errors import AirbyteError, APIError, ConflictError, RateLimitError
from .models import Job, JobStatus

__all__ = ["CANCELS_IN_FLIGHT", "FIND_PATIENCE", "Cleanup", "GiveUp", "Left", "Reads"]

log = logging.getLogger("airbyte_async.orchestrator")

#: Cancels in flight at once when a batch is given up on. Each holds a thread of Airbyte's
#: scheduler executor until its job stops (``jobs/cancel`` runs there, a fixed pool of 25 by
#: default): one after another, 500 cancels of 0.2 s would take 100 s; more than the pool at
#: once would only queue on one server.
CANCELS_IN_FLIGHT = 25
#: Seconds without a cut-short trigger's job turning up after which the others are no longer
#: looked for (see GiveUp._find_job), at the least: twice what triggers were taking
#: when the batch gave up, if more (all of cancel_grace when none had answered yet). Then the
#: pauses between looks: the first, and the longest.
FIND_PATIENCE = 5.0
#: What a result says of a trigger cut short whose job was not found.
_UNFOUND = "its trigger was sent but its job was not found in time; a sync may still run"


@attrs.define
class _Turn:
    """The cancel slots a cleanup's cancels share, when the job about to be cancelled was
    last read, and how long that read took when it was read again (see GiveUp._sendable)."""

    slots: anyio.CapacityLimiter
    read_at: float
    read_took: float | None = None


def _time_for_another_read(turn: _Turn, reads: Reads) -> bool:
    """Whether the cleanup that *reads* serves has time for a read as slow as *turn*'s last
    one (as its age tells, before the job was read again) and then a cancel as slow."""
    took = turn.read_took
    if took is None:
        age = time.monotonic() - turn.read_at
        took = age if math.isfinite(age) else STALE_READ
    return anyio.current_time() + 2 * max(took, STALE_READ) < reads.deadline


#: Seconds after which the read a give-up's cancel would go on is too old (counted from its
#: asking): less than STALE_READ, which bounds the cancels of single jobs. A read answered
#: late is as old as its request, and the cancel stops whatever the connection runs when it
#: arrives (API-FACTS 6.3b): a job that ended meanwhile, its connection re-triggered by
#: someone else, has that sync stopped instead. A trigger's job takes some hundreds of
#: milliseconds to run (a cancel before then leaves it alone), so a read at most this old
#: leaves little room for it. With reads answered 0.3 to 0.95 s late and another client
#: re-triggering every freed connection, give-ups of 40 jobs stopped 20 of that client's
#: syncs in 10 runs with 1.0 s, none in 13 with 0.5 s or 0.25 s. A quiet server answers far
#: sooner: no read again there.
CANCEL_READ_AGE = 0.5
#: Reads again of a job about to be cancelled whose last read is older than CANCEL_READ_AGE,
#: or was made before its cancel waited for its turn longer than _TURN_WAIT.
_RE_READS = 2
_TURN_WAIT = 0.05
#: Seconds before a cleanup's end at which its last read goes, when the pause after a failed
#: read would end later (see Reads).
_LAST_READ_LEAD = 1.0
#: Jobs read at once, each by itself, by a cleanup's round of reads; and the fewest a round
#: lists rather than reads each by itself (a listing may take several pages).
_READS_IN_FLIGHT = 10
_LISTED_FROM = 3
_FIND_FIRST_PAUSE = 0.25
_FIND_MAX_PAUSE = 2.0
#: Seconds a cancel waits for its answer before its job is read too, and between two such
#: reads (see GiveUp._cancel_or_end): a cancel answers once its job stopped, a fraction of a
#: second on a quiet server.
_CANCEL_READ_AFTER = 2.0
#: The longest pause between a cleanup's rounds of reads after a 429 (see Reads). One listing
#: a round, every two seconds at most, costs a shed server some fifteen requests in a 30 s
#: cleanup; pausing up to ten seconds (as the polls of a batch do, for minutes) left a cleanup
#: five or six rounds, and a storm that refused most requests most jobs unread.
_RATE_LIMITED_PAUSE = 2.0


@attrs.frozen
class Left:
    """
    How a cleanup left one job given up on: as last read (None: never read), whether the batch
    asked Airbyte to cancel it, and whether the cleanup ended before it knew (*grace*). Told as
    a result once the batch's outcome is known: a give-up's cleanup begins before it is.
    """

    flight: Flight
    job: Job | None
    cancel_requested: bool = False
    grace: bool = False
    #: Why the job's rows and bytes are not known, when it ended before its cancel, whose
    #: answer lacks them (the public API's), and no read of it worked since.
    unknown_figures: str | None = None
    #: How many tries of its cancel failed, and the last failure, when none was answered.
    cancel_failures: int = 0
    cancel_error: AirbyteError | None = None
    #: A newer job of the connection, not the batch's, that its cancel stopped: the job had
    #: ended before the cancel reached Airbyte (see GiveUp._stopped_instead).
    cancelled_other: int | None = None

    @property
    def uncancelled(self) -> bool:
        """True when its cancel failed and the job was not seen to end: it may still run."""
        return self.cancel_error is not None and (
            self.job is None or not self.job.status.is_terminal
        )

    def result(self, outcome: Outcome, why: str) -> SyncResult:
        """
        The job's result: as it ended (saying so when its rows and bytes are not known),
        unless the batch's cancel ended it or it was not seen to end (then *outcome*, the
        batch's, and *why* it gave up).
        """
        flight, job = self.flight, self.job
        if job is not None and (
            job.status in (JobStatus.SUCCEEDED, JobStatus.FAILED)
            or (job.status.is_terminal and not self.cancel_requested)
        ):
            ended = from_job(
                flight.target, job, attached=not flight.started_by_us, adopted=flight.adopted
            )
            return attrs.evolve(
                ended,
                cancel_requested=self.cancel_requested,
                error=self.unknown_figures,
                cancelled_other_job_id=self.cancelled_other,
            )
        return _gave_up(
            flight,
            job,
            outcome,
            why,
            cancel_requested=self.cancel_requested,
            grace=self.grace,
            cancel_error=self.cancel_error,
        )


@attrs.define(eq=False)
class _Ask:
    """A read of one job asked of :class:`Reads`, and its answer: the job (None: the server
    does not have it), or a failure that waiting cannot cure."""

    flight: Flight
    #: Read by itself: a listing that answered left it out (a job the server no longer has,
    #: or one whose read of its own failed).
    single: bool = False
    job: Job | None = None
    error: AirbyteError | None = None
    done: anyio.Event = attrs.field(factory=anyio.Event)
    #: Asks of the same job made before this one, not answered yet: answered with it.
    earlier: list[_Ask] = attrs.field(factory=list)

    def answer(self, job: Job | None = None, error: AirbyteError | None = None) -> None:
        """Answer this ask and the earlier ones."""
        for ask in (self, *self.earlier):
            ask.job, ask.error = job, error
            ask.done.set()


@attrs.define(eq=False)
class Reads:
    """
    The reads of the jobs a cleanup settles, gathered in rounds: whoever needs a job as it is
    now asks (:meth:`now`), and the asks made while a round is under way go together in the
    next. A round of :data:`_LISTED_FROM` jobs or more reads them with one listing (with its
    call's retries: one request for many jobs; on a server that has none, each job by itself,
    as the backend does), which resumes at the page where the last round's failed
    (:class:`~airbyte_async._backend.Paging`: a job read running on a page of an earlier
    round is asked again, for it may have ended since); fewer, each job the listing left out,
    and every job after a listing failed otherwise than with a 429 (a listing too slow for the
    server) are read each by itself, one attempt each once a round failed. A rate limit, being
    about requests, is answered with one listing, not a read for each job: a round that failed
    is followed by one pause for the whole cleanup (growing, up to two seconds after a 429, at
    least what a ``Retry-After`` asks, see :class:`~airbyte_async._retry.Outage`), not by a
    pause of each job's read on its own, and the jobs whose reads failed are read in the next
    round; none is given up on before the cleanup ends. A pause that would end past the
    cleanup's *deadline* (anyio's clock) ends :data:`_LAST_READ_LEAD` seconds before it
    instead (not before a ``Retry-After``), so that a last round goes while an answer can
    still count. Failed rounds warn together in *warnings*.
    """

    backend: SyncBackend
    deadline: float
    warnings: OutageLog
    _asked: dict[int, _Ask] = attrs.field(factory=dict, init=False)
    _wake: anyio.Event = attrs.field(factory=anyio.Event, init=False)
    #: The last listing failed otherwise than with a 429: the next round reads each job.
    _listing_fails: bool = attrs.field(default=False, init=False)
    _last_round: bool = attrs.field(default=False, init=False)
    #: The pages of the listing a failed round left: the next round resumes it.
    _paging: Paging = attrs.field(factory=Paging, init=False)

    async def now(self, flight: Flight) -> Job | None:
        """
        *flight*'s job as a read begun after this call shows it; None when the server does not
        have it. Waits through failures that may pass (until the cleanup ends); raises one
        that waiting cannot cure.
        """
        ask = self._asked.get(flight.job.id)
        if ask is None:
            ask = self._asked[flight.job.id] = _Ask(flight)
            self._wake.set()
        await ask.done.wait()
        if ask.error is not None:
            raise ask.error
        return ask.job

    async def serve(self) -> None:
        """Read the jobs asked for, round after round, until cancelled."""
        with Outage(warnings=self.warnings, max_rate_limited_pause=_RATE_LIMITED_PAUSE) as outage:
            while True:
                if not self._asked:
                    self._wake = anyio.Event()
                    await self._wake.wait()
                    # The asks made at the same moment (the tasks started with this one's).
                    await anyio.lowlevel.checkpoint()
                asks, self._asked = self._asked, {}
                began = time.monotonic()
                failed = await self._round(list(asks.values()), outage)
                log.debug(
                    "a round of reads of %d job%s given up on: %s",
                    len(asks),
                    "" if len(asks) == 1 else "s",
                    "worked" if failed is None else failed,
                )
                for ask in asks.values():
                    if not ask.done.is_set():
                        newer = self._asked.setdefault(ask.flight.job.id, ask)
                        if newer is not ask:
                            newer.earlier.append(ask)
                            newer.single = newer.single or ask.single
                if failed is None:
                    outage.ended(began)
                    continue
                n = len(asks)
                about = f"job {next(iter(asks))}" if n == 1 else f"{n} jobs"
                outage.failed(began, failed, about=about)
                await anyio.sleep(self._pause(outage, failed))

    def _pause(self, outage: Outage, failed: AirbyteError) -> float:
        pause = outage.pause()
        now, last = anyio.current_time(), self.deadline - _LAST_READ_LEAD
        if now + pause > last and not self._last_round:
            self._last_round = True
            asked = failed.retry_after if isinstance(failed, APIError) else None
            pause = max(last - now, min(asked or 0.0, MAX_RETRY_AFTER), 0.0)
        return pause

    async def _round(self, asks: Sequence[_Ask], outage: Outage) -> AirbyteError | None:
        """
        One round: answers the asks it read, and those that failed for good; the rest are
        read again. The last failure that may pass, if any.
        """
        listed = [a for a in asks if not a.single and not self._listing_fails]
        if len(listed) < _LISTED_FROM:
            listed = []
        each = [a for a in asks if a not in listed]
        failures: list[AirbyteError] = []
        refusals: list[AirbyteError] = []

        def failed(ask: _Ask, e: AirbyteError) -> None:
            if is_retryable(e, idempotent=True):
                failures.append(e)
            else:
                refusals.append(e)
                ask.answer(error=e)

        async def list_them() -> None:
            snapshots = [a.flight.job for a in listed]
            paging = self._paging
            try:
                found = await self.backend.read_jobs(
                    snapshots,
                    workspace_ids=target_workspaces(a.flight.target for a in listed),
                    paging=paging,
                )
            except AirbyteError as e:
                self._listing_fails = not isinstance(e, RateLimitError)
                for ask in listed:
                    failed(ask, e)
                return
            for ask in listed:
                job = found.get(ask.flight.job.id)
                if job is None:
                    ask.single = True
                elif job.status.is_terminal or job.id not in paging.carried:
                    ask.answer(job)
                # else: read running on a page of an earlier round, it may have ended since:
                # asked again in the next round.

        limiter = anyio.CapacityLimiter(_READS_IN_FLIGHT)

        async def read_one(ask: _Ask) -> None:
            job = ask.flight.job
            async with limiter:
                try:
                    with outage.attempt():
                        found = await self.backend.read_jobs(
                            [job], workspace_ids=target_workspaces([ask.flight.target]), each=True
                        )
                except AirbyteError as e:
                    failed(ask, e)
                    return
            ask.answer(found.get(job.id))

        async with anyio.create_task_group() as tg:
            if listed:
                tg.start_soon(list_them)
            for ask in each:
                tg.start_soon(read_one, ask)
        if refusals:
            n = len(refusals)
            log.warning(
                "could not read %d job%s given up on: %s", n, "" if n == 1 else "s", refusals[0]
            )
        if not failures:
            self._listing_fails = False
            return None
        return failures[-1]


@attrs.define(eq=False)
class Cleanup:
    """
    The reads, cancels and look-ups of the jobs a batch gives up on: the jobs it took on
    (*flights*, joined by the jobs of *triggering* as they are known), the triggers on their
    way it took on, and how it left each job, by connection.
    """

    flights: list[Flight]
    triggering: list[Triggering]
    left: dict[str, Left] = attrs.field(factory=dict)
    #: Connections whose trigger was refused while heard out: their workers report the error.
    refused: set[str] = attrs.field(factory=set)
    #: Whether the batch cancels the jobs it started (``cancel_on_abort``): if not, those it
    #: leaves running are no news to warn of.
    cancelling: bool = True

    def took(self) -> set[str]:
        """The connections it took on."""
        return {f.target.connection_id for f in self.flights} | {
            t.target.connection_id for t in self.triggering
        }

    def _warn_left(self, results: Sequence[SyncResult]) -> None:
        """
        One warning for the jobs the batch started that may still run, of *results* (those of
        :attr:`flights`): those whose cancels failed, else those the cleanup did not see stop
        before it ended (cancel_grace, or a second interruption). A caller whose batch ends in
        an exception (a cancelled or killed task) sees no result: this is all it is told.
        Nothing when the batch does not cancel (*cancelling* False): it leaves them as asked.
        """
        uncancelled = sorted(
            (left for left in self.left.values() if left.uncancelled),
            key=lambda left: left.flight.job.id,
        )
        if len(uncancelled) == 1:
            [left] = uncancelled
            n = left.cancel_failures
            log.warning(
                "job %d may still run: its cancel failed %d time%s, the last with %s",
                left.flight.job.id,
                n,
                "" if n == 1 else "s",
                left.cancel_error,
                extra=about(left.flight.target.connection_id, left.flight.job.id),
            )
        elif uncancelled:
            log.warning(
                "%d jobs given up on may still run: their cancels failed (jobs %s), the last "
                "with %s",
                len(uncancelled),
                some((str(left.flight.job.id) for left in uncancelled), 5),
                uncancelled[-1].cancel_error,
            )
        if not self.cancelling:
            return
        told = {left.flight.target.connection_id for left in uncancelled}
        ours = {f.target.connection_id for f in self.flights if f.started_by_us}
        cut = sorted(
            (
                r
                for r in results
                if r.left_running and r.connection_id in ours and r.connection_id not in told
            ),
            key=lambda r: r.job_id or 0,
        )
        if len(cut) == 1:
            [result] = cut
            sent = self.left.get(result.connection_id)
            done = (
                "its cancel was answered"
                if sent is not None and sent.cancel_requested
                else "it was read and cancelled"
            )
            log.warning(
                "job %d may still run: the cleanup ended (cancel_grace, or stopped) before %s",
                result.job_id,
                done,
                extra=about(result.connection_id, result.job_id),
            )
        elif cut:
            log.warning(
                "%d jobs given up on may still run: the cleanup ended (cancel_grace, or "
                "stopped) before they were seen to stop (jobs %s)",
                len(cut),
                some((str(r.job_id) for r in cut), 5),
            )

    def _warn_cancelled_others(self) -> None:
        """One warning for the cancels that stopped a newer job of someone else's."""
        stray = sorted(
            (left for left in self.left.values() if left.cancelled_other is not None),
            key=lambda left: left.flight.job.id,
        )
        if len(stray) == 1:
            [left] = stray
            log.warning(
                "the cancel of job %d reached Airbyte after that job had ended, and stopped "
                "job %d, which this batch did not start: Airbyte cancels whatever job a "
                "connection runs; trigger it again if it was needed",
                left.flight.job.id,
                left.cancelled_other,
                extra=about(left.flight.target.connection_id, left.flight.job.id),
            )
        elif stray:
            log.warning(
                "%d cancels reached Airbyte after their jobs had ended, and stopped jobs this "
                "batch did not start (%s): Airbyte cancels whatever job a connection runs; "
                "trigger them again if they were needed",
                len(stray),
                some(
                    (f"job {left.cancelled_other} for job {left.flight.job.id}" for left in stray),
                    5,
                ),
            )

    def results(self, outcome: Outcome, why: str) -> list[SyncResult]:
        """
        A result for each job taken on, then for each trigger cut short whose job was not
        found: as the cleanup left it, else as possibly still running (the cleanup ended, or
        was interrupted, before it knew). The jobs whose cancels failed, and the triggers whose
        jobs were not found, are told in one warning each: a batch given up on early, or in a
        storm of 429s, may have hundreds. So are the jobs the cleanup did not see stop before
        it ended, if it cancels them.
        """
        self._warn_cancelled_others()
        ended = [
            left.result(outcome, why)
            if (left := self.left.get(f.target.connection_id)) is not None
            else _gave_up(f, None, outcome, why, grace=True)
            for f in self.flights
        ]
        self._warn_left(ended)
        known = {f.target.connection_id for f in self.flights} | self.refused
        unfound = [
            sync_result(t.target, outcome, error=f"{why}: {_UNFOUND}", left_running=True)
            for t in self.triggering
            if t.target.connection_id not in known
        ]
        if unfound:
            log.warning(
                "no job found for %d trigger%s cut short (%s): if the server still acts on "
                "them, those syncs run on",
                len(unfound),
                "" if len(unfound) == 1 else "s",
                some((r.connection_id for r in unfound), 5),
            )
        return ended + unfound


@attrs.define(eq=False)
class _Lookout:
    """
    The search for the jobs of triggers cut short: a bound on its look-ups in flight, and
    when the latest job turned up (:func:`time.monotonic`).
    """

    lookups: anyio.CapacityLimiter
    last_found: float
    #: Seconds after *last_found* with no job turning up that end the search.
    patience: float = FIND_PATIENCE
    #: How many triggers' jobs are being looked for.
    looking: int = 0
    #: The warnings of every failed look: an outage during the search is told once, not once
    #: per look and connection.
    failures: OutageLog = attrs.field(
        factory=lambda: OutageLog(
            "looking for the jobs of triggers cut short", ("look", "looks"), logger=log
        )
    )


@attrs.frozen
class GiveUp:
    """
    What settling the jobs a batch gives up on takes of its orchestrator, as it stands at the
    give-up: where the jobs are read and cancelled (*backend*), whether the running jobs the
    batch started are cancelled (*cancel_on_abort*), how long the search for the jobs of
    triggers cut short may last when no trigger had answered yet (*cancel_grace*), and where
    the reads' failures warn (*warnings*, shared by the orchestrator's cleanups: an outage is
    told once).
    """

    backend: SyncBackend
    cancel_on_abort: bool
    cancel_grace: float
    warnings: OutageLog

    @asynccontextmanager
    async def reading(self, deadline: float) -> AsyncIterator[Reads]:
        """The reads of a cleanup that ends at *deadline* (anyio's clock), served meanwhile."""
        reads = Reads(self.backend, deadline, self.warnings)
        async with anyio.create_task_group() as tg:
            tg.start_soon(reads.serve)
            try:
                yield reads
            finally:
                tg.cancel_scope.cancel()

    async def settle(self, cleanup: Cleanup, reads: Reads, *, latency: float) -> None:
        """
        The reads, cancels and look-ups of *cleanup*, each job's end into ``cleanup.left``;
        *latency* is what the batch's triggers were taking to answer (0: none had answered).

        The jobs in flight are read at once: one that ended is reported as it ended. Only a
        job this batch started that the read shows still running is cancelled (with
        *cancel_on_abort*), since Airbyte cancels whatever job the connection runs now,
        whatever id is sent; the cancel's answer says how the job ended. An attached job is
        never cancelled. Meanwhile each trigger on its way is heard out (within what
        ``Batch._hear_out`` allows): the job its answer names is read and settled as it
        comes, a refusal (a 409: a sync someone else started) leaves nothing to settle, and
        the job of one cut short is looked for by the server's clock (see :meth:`_find_job`),
        each one found settled the same way. Each job is cancelled at most once (a cancel
        that failed is sent again only as :meth:`cancel` says).
        """
        left = cleanup.left
        cancels = anyio.CapacityLimiter(CANCELS_IN_FLIGHT)
        lookout: _Lookout | None = None

        def look_out() -> _Lookout:
            # A server that queues triggers took *latency* to answer one, and has held the
            # oldest cut short for as long: reaching the last may take twice that. One that
            # has answered no trigger yet may take any time: they are looked for all along.
            nonlocal lookout
            if lookout is None:
                now = time.monotonic()
                unanswered = [t for t in cleanup.triggering if t.answer is None]
                waited = max([latency, *(now - t.began for t in unanswered)])
                patience = max(FIND_PATIENCE, 2 * waited) if latency else self.cancel_grace
                lookout = _Lookout(anyio.CapacityLimiter(CANCELS_IN_FLIGHT), now, patience)
            return lookout

        async def read(flight: Flight, then: Job | None) -> Job | None:
            # None: not read (the server does not have the job, or refused the read for good).
            try:
                return await reads.now(flight)
            except AirbyteError as e:
                log.debug(
                    "could not read job %d given up on: %s",
                    flight.job.id,
                    e,
                    extra=about(flight.target.connection_id, flight.job.id),
                )
                return None

        async def one(flight: Flight, now: Job | None, read_at: float) -> None:
            key = flight.target.connection_id
            if now is None:
                # Made when sent: a late answer (a loaded server, a proxy) is as old as that.
                read_at = time.monotonic()
                now = await read(flight, now)
            if now is not None and now.status.is_terminal:
                left[key] = Left(flight, now)
            elif now is not None and flight.started_by_us and self.cancel_on_abort:
                turn = _Turn(cancels, read_at)
                sent = self.backend.server_now()  # before the cancel goes: never later
                told = left[key] = await self.cancel(
                    flight, now, reads, note=lambda told: left.__setitem__(key, told), turn=turn
                )
                if told.cancel_requested and told.job is not None and _ended_by_itself(told.job):
                    ours = {f.job.id for f in cleanup.flights if f.target.connection_id == key}
                    other = await self._stopped_instead(key, told.job, sent, ours)
                    if other is not None:
                        left[key] = attrs.evolve(told, cancelled_other=other)
            else:
                left[key] = Left(flight, now)

        async def hear(trigger: Triggering) -> None:
            await trigger.heard_out()
            job: Job | None
            if isinstance(trigger.answer, AirbyteError):
                cleanup.refused.add(trigger.target.connection_id)
                return
            if trigger.answer is None:
                read_at = time.monotonic()  # at most: the look for it began sooner
                job = await self._find_job(trigger, look_out())
            else:
                # An answer is no read: it may be as old as its request (a loaded server or
                # proxy delivers it late), its job ended since.
                job, read_at = trigger.answer, -math.inf
            if job is not None:
                flight = Flight(trigger.target, job, started_by_us=True)
                cleanup.flights.append(flight)
                await one(flight, job, read_at)

        flights = list(cleanup.flights)
        async with anyio.create_task_group() as tg:
            for trigger in cleanup.triggering:
                tg.start_soon(hear, trigger)
            # Read at once, in one round of reads (see Reads).
            for flight in flights:
                tg.start_soon(one, flight, None, -math.inf)

    async def _stopped_instead(
        self, cid: str, ended: Job, sent: float | None, ours: set[int]
    ) -> int | None:
        """
        The newer sync of connection *cid* that a cancel of *ended* (asked once the server's
        clock read *sent*, None: not known) may have stopped, if one shows so; the jobs in
        *ours* are the batch's own. *ended* had ended by itself by the time the cancel's
        answer, or a read after it, showed it, so the cancel may have reached Airbyte after
        it ended, when the connection ran another job (a schedule's, someone else's trigger):
        Airbyte cancels whatever job the connection runs (API-FACTS 6.3b). So the connection's
        newest jobs are listed, one request: the oldest job newer than *ended*, not the
        batch's, that was cancelled since the cancel was asked (whole-second stamps, the clock
        estimated: a margin early) is the one it stopped, as far as the stamps tell (someone
        else's cancel at the same moment would look the same). None when no such job shows,
        or the listing fails (logged).
        """
        try:
            jobs = await self.backend.jobs_since(connection_id=cid)
        except AirbyteError as e:
            log.debug(
                "could not list the jobs of %s after the cancel of job %d, which had ended: %s",
                cid,
                ended.id,
                e,
                extra=about(cid, ended.id),
            )
            return None
        since = -math.inf if sent is None else sent - _ENDED_MARGIN
        stopped = [
            job
            for job in jobs
            if job.id > ended.id
            and job.id not in ours
            and job.status is JobStatus.CANCELLED
            and job.updated_at.timestamp() >= since
        ]
        return min(job.id for job in stopped) if stopped else None

    async def _find_job(self, trigger: Triggering, lookout: _Lookout) -> Job | None:
        """
        The job of a trigger cut short, if the server has it or makes it soon.

        A server that queues triggers for its scheduler threads creates the job only when it
        gets to the request, whether or not the client still waits for the answer, and works
        through the queue in order. So the job is looked for again, less often each time,
        until no cut-short trigger's job has turned up for the lookout's patience (within the
        caller's *cancel_grace*). The failed looks of the search warn together (see
        :class:`~airbyte_async._retry.OutageLog`).
        """
        cid = trigger.target.connection_id
        pause = _FIND_FIRST_PAUSE
        lookout.looking += 1
        try:
            while True:
                began = time.monotonic()
                try:
                    async with lookout.lookups:
                        began = time.monotonic()
                        jobs = await self.backend.jobs_since(connection_id=cid, began=trigger.began)
                except AirbyteError as e:
                    n = lookout.looking
                    lookout.failures.failed(began, e, about=f"{n} trigger{'s' * (n != 1)}")
                    jobs = []
                else:
                    lookout.failures.worked(began)
                if jobs:
                    lookout.last_found = time.monotonic()
                    # The listing's answer has told the server's clock; without it, no job
                    # is known to have ended before the trigger, and the oldest is taken.
                    now = self.backend.server_now()
                    ago = time.monotonic() - trigger.began
                    return own_job(jobs, -math.inf if now is None else now - ago)
                if time.monotonic() + pause > lookout.last_found + lookout.patience:
                    log.info("no job found for %s's trigger cut short", cid, extra=about(cid))
                    return None
                await anyio.sleep(pause)
                pause = min(2 * pause, _FIND_MAX_PAUSE)
        finally:
            lookout.looking -= 1

    @asynccontextmanager
    async def _sendable(
        self, flight: Flight, now: Job, reads: Reads, turn: _Turn
    ) -> AsyncIterator[Job | None]:
        """
        *flight*'s job as a read fresh enough to cancel on shows it, with one of *turn*'s
        cancel slots held for the block (none for a job that ended, or None: not read).

        A read answered late, or made before the cancel waited for its turn (the other
        cancels took a while), may be stale: the job may have ended since and the connection
        started another (a schedule's, another client's), which the cancel would stop. So
        the job is read again, twice at most while the answers come late, and each time out
        of the slot: only the cancels hold one, and a round of reads, one listing however
        many jobs it covers, holds up no other job's cancel. Not when the cleanup's time left
        would not see a read as slow as the last one, then the cancel, through: a job left
        running is the worse of the two.
        """
        rereads = 0
        while True:
            while (
                not now.status.is_terminal
                and rereads < _RE_READS
                and time.monotonic() - turn.read_at > CANCEL_READ_AGE
                and _time_for_another_read(turn, reads)
            ):
                rereads += 1
                turn.read_at = time.monotonic()
                try:
                    again = await reads.now(flight)
                except AirbyteError as e:
                    log.debug(
                        "could not read job %d given up on: %s",
                        flight.job.id,
                        e,
                        extra=about(flight.target.connection_id, flight.job.id),
                    )
                    again = None
                turn.read_took = time.monotonic() - turn.read_at
                if again is None:
                    yield None
                    return
                now = again
            if now.status.is_terminal:
                yield now
                return
            queued = time.monotonic()
            async with turn.slots:
                if (
                    time.monotonic() - queued <= _TURN_WAIT
                    or rereads >= _RE_READS
                    or not _time_for_another_read(turn, reads)
                ):
                    yield now
                    return
            turn.read_at = -math.inf  # the turn was long in coming: read again first

    async def cancel(
        self,
        flight: Flight,
        now: Job,
        reads: Reads,
        *,
        note: Callable[[Left], None] | None = None,
        turn: _Turn | None = None,
    ) -> Left:
        """
        Cancel a running job this batch started, and tell how the answer left it (see
        :meth:`_final`; *note* hears of each change meanwhile). A failed cancel is not
        replayed blindly, not even within its call (one attempt each, a 429 included): after
        a pause that grows (see :func:`~airbyte_async._retry.round_pause`: at least what a
        429 or 503 asked), the job is read again (in *reads*' next round), and cancelled again
        only if that read, just made, shows it still running (a cancel stops whatever the
        connection runs now); so on until the cleanup's time (*cancel_grace*) is up. A failure
        that waiting cannot cure ends it at once.

        A failed try is logged at INFO; the Left tells how many failed and the last failure
        (see :meth:`Cleanup.results`, which warns of every job so left at once), and says a
        cancel was requested only when a try may have reached the server: a 429 refused it
        before Airbyte acted (API-FACTS 7).
        """
        job_id = flight.job.id
        failures = 0
        reached = False  # whether a try may have reached the server (a 429 did not)

        def told(error: AirbyteError, *, grace: bool = False) -> Left:
            return Left(
                flight,
                now,
                cancel_requested=reached,
                grace=grace,
                cancel_failures=failures,
                cancel_error=error,
            )

        for round_ in itertools.count(1):
            try:
                # Sent again after a read, below, not within its call: after the call's
                # backoff the job may have ended and the connection run a newer one.
                async with self._turn(flight, now, reads, turn) as current:
                    if current is None or current.status.is_terminal:
                        return Left(flight, now if current is None else current)
                    now = current
                    if note is not None:
                        # Stands if the cleanup's time ends while the cancel is under way.
                        note(Left(flight, now, cancel_requested=True, grace=True))
                    with one_attempt():
                        answer = await self._cancel_or_end(flight, reads)
            except AirbyteError as e:
                refused: AirbyteError = e
                failures += 1
                reached = reached or not never_reached_server(e)
                # A conflict is the race of a job ending as its cancel comes: read back below.
                quiet = round_ > 1 or isinstance(e, ConflictError)
                (log.debug if quiet else log.info)(
                    "could not cancel job %d (try %d): %s",
                    job_id,
                    round_,
                    e,
                    extra=about(flight.target.connection_id, job_id),
                )
            else:
                return await self._final(flight, answer, reads, note)
            if note is not None:
                # Stands if the cleanup's time ends meanwhile.
                note(told(refused, grace=True))
            # A conflict (the public API's "not currently running") is a read that lags.
            again = isinstance(refused, ConflictError) or is_retryable(refused, idempotent=True)
            if again:
                await anyio.sleep(round_pause(round_, refused))
            try:
                if turn is not None:
                    turn.read_at = time.monotonic()
                now = await reads.now(flight) or now
            except AirbyteError as e:
                log.debug(
                    "could not read job %d after a failed cancel: %s",
                    job_id,
                    e,
                    extra=about(flight.target.connection_id, job_id),
                )
                return told(refused)
            if now.status.is_terminal or not again:
                return told(refused)
        raise AssertionError("unreachable")

    async def _cancel_or_end(self, flight: Flight, reads: Reads) -> Job:
        """
        The answer of *flight*'s cancel; or, once it has waited :data:`_CANCEL_READ_AFTER`
        seconds, a read (in *reads*' rounds, again every :data:`_CANCEL_READ_AFTER` seconds)
        that shows the job ended. A cancel answers once its job stopped, but a slow one (a
        loaded server, a queue of cancels) would leave a job that ended meanwhile told as one
        that may still run, had the cleanup's time ended first. A read that fails leaves the
        cancel to answer. Raises what the cancel raised.
        """
        ended: list[Job] = []
        failed: list[AirbyteError] = []
        answer: Job | None = None
        async with anyio.create_task_group() as tg:

            async def watch() -> None:
                while True:
                    await anyio.sleep(_CANCEL_READ_AFTER)
                    try:
                        job = await reads.now(flight)
                    except AirbyteError as e:
                        log.debug(
                            "could not read job %d under cancel: %s",
                            flight.job.id,
                            e,
                            extra=about(flight.target.connection_id, flight.job.id),
                        )
                        return
                    if job is not None and job.status.is_terminal:
                        ended.append(job)
                        tg.cancel_scope.cancel()
                        return

            tg.start_soon(watch)
            try:
                answer = await self.backend.cancel(job_id=flight.job.id)
            except AirbyteError as e:
                failed.append(e)
            tg.cancel_scope.cancel()
        if failed:
            raise failed[0]
        if answer is not None:
            return answer
        log.debug(
            "job %d ended while its cancel was on its way",
            flight.job.id,
            extra=about(flight.target.connection_id, flight.job.id),
        )
        return ended[0]

    @asynccontextmanager
    async def _turn(
        self, flight: Flight, now: Job, reads: Reads, turn: _Turn | None
    ) -> AsyncIterator[Job | None]:
        """*now*, as is, without a *turn* (the caller has just read the job, and holds no
        slot); else as :meth:`_sendable` gives it."""
        if turn is None:
            yield now
            return
        async with self._sendable(flight, now, reads, turn) as current:
            yield current

    async def _final(
        self,
        flight: Flight,
        answer: Job,
        reads: Reads,
        note: Callable[[Left], None] | None = None,
    ) -> Left:
        """
        How the job stands after a cancel's *answer*, told to *note* as it changes. The cancel
        answers once the job stopped, but a server that commits an end late (see
        :class:`~airbyte_async._watch.JobWatcher`) may still show it running: it is read again,
        a little later each time, until it shows how it ended (a job that finished on its own
        is not reported as cancelled), for a few seconds at most. An answer that shows the job
        ended without its rows and bytes (the public API's ``DELETE /jobs/{jobId}``, whose read
        back failed) is followed by reads until one works, within the cleanup's time (a read
        may be sent again); until then the result says they are not known.
        """
        job, pause = answer, _FIND_FIRST_PAUSE
        until = time.monotonic() + FIND_PATIENCE
        unknown = _UNKNOWN_FIGURES if _lacks_figures(job) else None
        told = Left(flight, job, cancel_requested=True, unknown_figures=unknown)
        while not job.status.is_terminal or unknown is not None:
            if note is not None:
                note(told)
            read: Job | None = None
            try:
                if job.status.is_terminal:
                    read = await reads.now(flight)
                elif time.monotonic() + pause < until:
                    await anyio.sleep(pause)
                    pause = min(2 * pause, _FIND_MAX_PAUSE)
                    with anyio.move_on_after(until - time.monotonic()):
                        read = await reads.now(flight)
                else:
                    break
            except AirbyteError as e:
                log.warning(
                    "could not read job %d after its cancel: %s",
                    job.id,
                    e,
                    extra=about(flight.target.connection_id, job.id),
                )
                if unknown is not None:
                    told = attrs.evolve(told, unknown_figures=f"{_UNKNOWN_FIGURES_AT}: {e}")
                break
            if read is None:
                if job.status.is_terminal:
                    break
                continue
            if read.status.is_terminal or not job.status.is_terminal:
                job, unknown = read, None
            told = Left(flight, job, cancel_requested=True, unknown_figures=unknown)
        return told


def _gave_up(
    flight: Flight,
    job: Job | None,
    outcome: Outcome,
    reason: str,
    *,
    cancel_requested: bool = False,
    grace: bool = False,
    cancel_error: AirbyteError | None = None,
) -> SyncResult:
    why = f"{reason}: gave up waiting for job {flight.job.id}"
    if job is not None and job.status.is_terminal:
        cancel_error = None  # it ended (cancelled): whatever failed before is moot
    if cancel_error is not None and not cancel_requested:
        until = (
            "until the cleanup ended (cancel_grace, or stopped)"
            if grace
            else "and then a read of it failed"
        )
        why += (
            f": its cancels were refused ({_short(cancel_error)}), so nothing was done, {until}; "
            "it may still run"
        )
    elif cancel_error is not None and not grace:
        why += f": its cancel failed ({_short(cancel_error)}); it may still run"
    elif grace and cancel_requested:
        why += (
            ": its cancel was sent, and not answered before the cleanup ended (cancel_grace, "
            "or stopped); it may still run"
        )
    elif grace:
        # An attached job (another's) is never cancelled: only read.
        done = "read and cancelled" if flight.started_by_us else "read"
        why += (
            f": the cleanup ended (cancel_grace, or stopped) before it was {done}; it may still run"
        )
    return sync_result(
        flight.target,
        outcome,
        # Unread since: as the server last said it was (a poll, the trigger's answer).
        job=flight.job if job is None else job,
        job_id=flight.job.id,
        attached=not flight.started_by_us,
        adopted=flight.adopted,
        cancel_requested=cancel_requested,
        error=why,
    )


def _short(error: AirbyteError) -> str:
    """*error* without its route (a result names its job): ``429: You are being rate limited.``"""
    return f"{error.status}: {error.message}" if isinstance(error, APIError) else str(error)


#: What a result says of a job that ended before its cancel, whose answer lacked its rows and
#: bytes, when no read of it worked since (see GiveUp._final).
_UNKNOWN_FIGURES_AT = "its rows and bytes are not known: the reads after its cancel failed"
_UNKNOWN_FIGURES = f"{_UNKNOWN_FIGURES_AT} until the cleanup ended (cancel_grace, or stopped)"


def _lacks_figures(job: Job) -> bool:
    """True for a job shown to have ended by itself (succeeded or failed, as its result will
    tell) with neither its rows nor its bytes (a public cancel's answer: API-FACTS 3)."""
    return (
        job.status in (JobStatus.SUCCEEDED, JobStatus.FAILED)
        and job.records_synced is None
        and job.bytes_synced is None
    )


def _ended_by_itself(job: Job) -> bool:
    """True for a job shown to have ended otherwise than cancelled: one that ended before its
    cancel stopped anything of it."""
    return job.status in (JobStatus.SUCCEEDED, JobStatus.FAILED)
