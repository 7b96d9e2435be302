"""
Triggering a sync exactly once, although the trigger is not idempotent.

Airbyte takes no idempotency key. When a trigger fails in a way that leaves open whether the
server acted (timeout, connection lost, 5xx, a mangled body), triggering again could start a
second sync. Instead the connection's jobs created since just before the attempt are listed:
if one exists, it is the job the lost answer would have named, and it is adopted; only when none
exists is the trigger sent again. A 409 "already running" on that second trigger means the first
one worked after all: the running job is adopted, or, when none runs any more (a short sync
that ended before head answered the 409, a minute on), the one created since the first attempt.

"Since just before the attempt" is measured on the server's clock, from the ``Date`` of the
listing's own answer less the time the client has counted since the attempt began: the local
clock's skew cancels out, and ``Date``'s one-second steps only make the window start earlier.
A proxy's ``Date`` off the job stamps is allowed for as the server's clock says (see
:meth:`~airbyte_async._throttle.ServerClock.look_now`).

A sync trigger that meets a job not running yet starts none, and is no refusal: the Config API
answers it with that job once it runs (``TemporalClient.startNewManualSync`` refuses only while
the workflow reports running, then answers the workflow's current job); head's public
``POST /jobs``, which answers once a new job exists, fails after a minute (a 409:
``startNewManualSyncAndWaitForJobId``; a bare 500 where a Config API took that path). Such an
answer (a job of another type, or one created before the first attempt) and such a failure (the
look shows the job that was there, waiting still or ended within that minute) raise
:class:`~airbyte_async.errors.SyncAlreadyRunningError` naming the job. On the public API a sync
trigger unanswered for a few seconds while the connection's job, there before it, is not final
raises so without waiting the minute out (see :func:`_met_while_held`).
"""

from __future__ import annotations

import enum
import functools
import logging
import math
import time
from collections import deque
from collections.abc import Awaitable, Callable, Iterable, Mapping
from typing import TYPE_CHECKING, Any

import anyio
import attrs

from .._backend import TRIGGER_DEADLINE, own_job
from .._checks import uuid_id
from .._limiter import the_trigger
from .._retry import (
    TOKEN_ROUTE,
    Outage,
    OutageLog,
    RefusalLog,
    about,
    is_ambiguous,
    round_pause,
)
from .._serde import structure, unstructure
from .._throttle import ServerClock
from ..errors import (
    AirbyteError,
    APIError,
    ConflictError,
    ConnectionLostError,
    InvalidArgumentError,
    RateLimitError,
    RequestTimeoutError,
    ResponseValidationError,
    ServerError,
    SyncAlreadyRunningError,
    TransportError,
)
from ..models import Job, JobType
from ..models import _wire as w
from ..models._jobs import made_by
from .jobs import Jobs

if TYPE_CHECKING:
    from ._base import Request

__all__ = [
    "KnownJobs",
    "find_running_job",
    "jobs_since",
    "trigger_exactly_once",
]

log = logging.getLogger("airbyte_async.triggers")

#: Seconds before the attempt from which a listed job counts as its own: job times are whole
#: seconds (rounded down), and the server's clock is estimated to within a second.
_SKEW = 2.0

#: How many of the connection's newest jobs are looked at.
_PAGE = 10

#: Seconds from the first attempt during which a server that is away uses up no round: a
#: trigger that may have started a job keeps looking for it, past its rounds, while the look
#: fails on errors that may pass (giving up then would leave the caller to guess, and a guess
#: that triggers again may start a second sync), and one that never reached a server which
#: had answered before is sent again. Long enough for a server restart or upgrade.
SETTLE_PATIENCE = 300.0


#: Seconds from a trigger that timed out before it is sent again (within the settle patience,
#: so the whole of it, which then runs again from the trigger sent after the hold): its server
#: is up but still working on it
#: (queued behind others for a scheduler thread, which works through the queue whether or not
#: the client still waits, or on a replica that is slow). Meanwhile its job is looked for,
#: _HOLD_PAUSE seconds after the attempt, then less often, up to _HOLD_MAX_PAUSE. Sent again
#: while the first still waits its turn, it would start a second sync once that turn came
#: (a hold of 30 s let queues of a minute or two do so: 17 of 80 connections synced twice).
_HOLD = SETTLE_PATIENCE

#: Seconds a trigger answered 504, 502, 503 or 524 must have waited for that answer (from sending
#: it) for it to be a proxy's read timeout, held as the client's own timeout is (see _HOLD), unless
#: it asked to be sent again later (``Retry-After``): the proxy gave up on a request airbyte-server
#: still holds, queued or on a busy replica, and may act on. The read timeouts in front of
#: airbyte-server are 30 s and more: nginx's and ingress-nginx's ``proxy_read_timeout`` default to
#: 60 s (abctl installs ingress-nginx), the docker-compose airbyte-proxy's
#: ``BASIC_AUTH_PROXY_TIMEOUT`` to 600 s, an AWS ALB's idle timeout to 60 s (Airbyte's own ALB
#: ingress example sets 30 s), all answering 504; a Google Cloud load balancer's backend service
#: timeout, 30 s, answers 502 (``backend_timeout``, as GKE's default ingress does), as Azure's
#: Application Gateway does its request timeout, Azure Front Door's (classic) 30 s 503, and
#: Cloudflare's, 100 s, 524. A gateway that fails without passing the request on does so within
#: seconds (an upstream refused or away; ingress-nginx's connect timeout, whose 504 never reached
#: the server, is 5 s; the emulator's ``proxy_error``, 2 % of the chaos benchmark's requests, at
#: once): such an answer is looked for once, then sent again, not held five minutes. (A 504 from
#: plain nginx's 60 s connect timeout is held too, and a 502 from an upstream that died after a long
#: wait: that costs time, never a second sync.) A TCP proxy has no page to send: HAProxy in
#: ``mode tcp`` cuts a connection idle for its ``timeout server``, so a connection lost after as
#: long a wait is held too (a server that restarted meanwhile costs its syncs time the same way).
_PROXY_READ_TIMEOUT = 10.0

#: A gateway's answer that came sooner than _PROXY_READ_TIMEOUT is held all the same when
#: Airbyte itself answered a trigger of this client in the last _ANSWER_MEMORY seconds after
#: waiting at least 1/_QUEUED_FACTOR as long: a server that holds triggers that long (queued for
#: its scheduler threads) may hold this one too, behind a proxy whose read timeout is short (an
#: nginx set to 5 s: 32 of 60 connections synced twice in an audit's run, each 504 looked for once
#: and sent again, then run twice when the queue reached both). On a server that answers at once,
#: such a 504 is still a gateway that could not reach it (ingress-nginx's 5 s connect timeout).
_QUEUED_FACTOR = 2.0
_ANSWER_MEMORY = 60.0
#: Seconds under which a gateway's answer is one that could not pass the request on, whatever
#: the server's pace: no proxy's read timeout is set that short.
_QUICK_GATEWAY = 1.0

#: The proxies' answers when their read timeout passes: see _PROXY_READ_TIMEOUT.
_GATEWAY_TIMEOUTS = frozenset({502, 503, 504, 524})

#: Seconds from a trigger's first attempt (and again from the trigger sent once a hold ended)
#: during which a token endpoint that fails on errors that may pass is waited out (see
#: :func:`trigger_exactly_once`): a server restart's.
_TOKEN_PATIENCE = SETTLE_PATIENCE
_HOLD_PAUSE = 2.0
_HOLD_MAX_PAUSE = 15.0

#: A sync refused (409) with no job running, the newest having ended less than
#: _WRAP_UP_WINDOW seconds before by the server's clock, is sent again (see
#: :func:`_wrapping_up`) up to _WRAP_UPS times, _WRAP_UP_PAUSE seconds later at first, doubling
#: up to _WRAP_UP_MAX_PAUSE: about half a minute in all. The wrap-up takes a few of the
#: workflow's activities: well under a second on a quiet server.
_WRAP_UP_WINDOW = 60.0
_WRAP_UPS = 10
_WRAP_UP_PAUSE = 0.25
_WRAP_UP_MAX_PAUSE = 4.0


#: Seconds a public sync trigger may go unanswered before the connection's jobs are looked at
#: (at least _QUEUED_FACTOR times the longest a trigger of this client lately took, see
#: :meth:`KnownJobs.longest_wait`: one queued behind others for a scheduler thread is not
#: held on a job), then again _MET_PAUSE seconds later, doubling up to _HOLD_MAX_PAUSE. Head's
#: public ``POST /jobs`` that meets the connection's job not running yet (pending, queued)
#: starts none, and answers only a minute later (see :func:`_met_while_held`).
_MET_PROBE = 3.0
_MET_PAUSE = 2.0


async def find_running_job(jobs: Jobs, connection_id: str, job_type: JobType) -> Job | None:
    """The connection's newest job that is not final, if any (works on every server version);
    for a sync, a refresh too (see :data:`~airbyte_async.models._jobs.SYNC_TYPES`)."""
    page = await jobs.list_page(
        connection_id=connection_id, job_types=made_by(job_type), page_size=_PAGE
    )
    running = [job for job in page.jobs if not job.status.is_terminal]
    return max(running, key=lambda job: job.id) if running else None


async def jobs_since(
    jobs: Jobs, clock: ServerClock, connection_id: str, job_type: JobType, began: float | None
) -> list[Job]:
    """
    The connection's newest jobs, newest first; with *began* (a :func:`time.monotonic`
    reading), only those created since that moment by the server's clock, a little early.
    """
    _, since, _ = await _since(jobs, clock, connection_id, job_type, began)
    return since


async def _since(
    jobs: Jobs, clock: ServerClock, connection_id: str, job_type: JobType, began: float | None
) -> tuple[list[Job], list[Job], float]:
    """Every job listed, newest first; those of them :func:`jobs_since` keeps; and when the
    attempt was sent by the server's stamps (see :func:`_sent_at`; minus infinity without
    *began*)."""
    page = await jobs.list_page(
        connection_id=connection_id, job_types=made_by(job_type), page_size=_PAGE
    )
    newest = sorted(page.jobs, key=lambda job: job.id, reverse=True)
    if began is None:
        return newest, newest, -math.inf
    # After the listing: its answer's Date has just updated the clock.
    sent = _sent_at(clock, began, page.jobs)
    return newest, [job for job in newest if job.created_at.timestamp() >= sent - _SKEW], sent


async def _adopted_after_409(
    jobs: Jobs,
    clock: ServerClock,
    known: KnownJobs,
    connection_id: str,
    job_type: JobType,
    route: str,
    began: float,
    floor: int,
) -> Job | None:
    """
    The job an uncertain attempt (the first at monotonic *began*) started, found after a later
    attempt's 409, if any: the running one, unless this client saw it start before (*floor*)
    or it was created before the first attempt (someone else's, which the look since that
    attempt passed over); else one created since the first attempt, which the look missed
    (made after it, the signal taken before the reset) and which has ended since (head
    answers a trigger meeting a pending job only a minute later): the caller, told that none
    runs, would trigger a second sync.
    """
    job = await find_running_job(jobs, connection_id, job_type)
    if (
        job is not None
        and job.id > floor
        and job.created_at.timestamp() >= _sent_at(clock, began, [job]) - _SKEW
    ):
        log.info(
            "adopted running job %d of %s after an uncertain %s",
            job.id,
            connection_id,
            route,
            extra=about(connection_id, job.id),
        )
        return known.noted(connection_id, job)
    own, _ = await _job_since(jobs, clock, connection_id, job_type, began, floor)
    if own is None:
        return None
    log.info(
        "adopted job %d of %s after an uncertain %s",
        own.id,
        connection_id,
        route,
        extra=about(connection_id, own.id),
    )
    return known.noted(connection_id, own)


class _Unknown(enum.Enum):
    """What :func:`_adopted_or_unknown` returns when its look failed on an error that may
    pass."""

    UNKNOWN = "unknown"


_UNKNOWN = _Unknown.UNKNOWN


async def _adopted_or_unknown(
    jobs: Jobs,
    clock: ServerClock,
    known: KnownJobs,
    connection_id: str,
    job_type: JobType,
    route: str,
    began: float,
    floor: int,
) -> Job | _Unknown | None:
    """
    :func:`_adopted_after_409`, or :data:`_UNKNOWN` when its look failed on an error that may
    pass (the network, 5xx, a 429): whether an earlier uncertain attempt started the job is
    then still open, and is looked for again as after that attempt (within the settle
    patience, rounds and all). Raised, that error would end the trigger as though it had been
    refused or had failed itself: a 429 raised by a trigger is a storm waited out in vain,
    which stops a batch's triggers (chaos seed 820 on the public API: one 429 on this look,
    the client's retry budget spent, stopped 419 syncs).
    """
    try:
        return await _adopted_after_409(
            jobs, clock, known, connection_id, job_type, route, began, floor
        )
    except AirbyteError as e:
        if not _transient(e):
            raise
        log.debug(
            "could not look for the job of an uncertain %s for %s after a 409: %s",
            route,
            connection_id,
            e,
            extra=about(connection_id),
        )
        return _UNKNOWN


async def _wrapping_up(
    jobs: Jobs,
    clock: ServerClock,
    connection_id: str,
    job_type: JobType,
    refusal: SyncAlreadyRunningError,
) -> bool:
    """
    Whether a trigger's clean 409 (*refusal*, naming no job) came while the connection's
    workflow wraps up a job that has just ended: none of its jobs of *job_type* or resets runs,
    and the latest ended within :data:`_WRAP_UP_WINDOW` seconds by the server's clock. Airbyte's
    workflow still reports running after the job's end is written, through the end-of-sync
    activities (airbytehq/airbyte-platform ``ConnectionManagerWorkflowImpl.reportSuccess``,
    ``failJob``, ``reportCancelled``, until ``prepareForNextRunAndContinueAsNew``), and
    ``TemporalClient.startNewManualSync`` refuses a sync meanwhile. A job that runs is set as
    the refusal's ``job``, for the caller; a look that fails leaves the refusal as it was.
    """
    if refusal.job is not None:
        return False
    kinds = (*made_by(job_type), JobType.RESET_CONNECTION)  # a reset's is wrapped up alike
    try:
        page = await jobs.list_page(connection_id=connection_id, job_types=kinds, page_size=_PAGE)
    except AirbyteError:
        return False
    running = [job for job in page.jobs if not job.status.is_terminal]
    if running:
        refusal.job = max(running, key=lambda job: job.id)
        return False
    if not page.jobs:
        return False
    ended = max(job.updated_at.timestamp() for job in page.jobs)
    return clock.look_now(ended) - ended < _WRAP_UP_WINDOW


async def _met_by_conflict(
    jobs: Jobs, connection_id: str, job_type: JobType, before: float
) -> tuple[Job | None, Job | None]:
    """
    The job a sync trigger refused with a 409 other than "already running" met, if one of
    the connection's jobs of *job_type*, resets or clears is not final; and, when none is, the
    newest of them that ended since the first attempt was sent (at *before*, the server's clock
    then, never ahead), if any.
    (None, None) when the look fails. Head's public ``POST /jobs`` that meets a job not running
    yet fails after a minute with a 409 ``state-conflict`` whose text says only "Could not
    fulfill request" (``startNewManualSyncAndWaitForJobId`` raises an
    ``IllegalStateException``, whose text ``ConfigClientErrorHandler.handleError`` drops), as a
    sync of an inactive connection does. The job it met may have run and ended within that
    minute: the second is that job, which the trigger found there (its signal, sent to a
    workflow past its wait, started nothing), and which a caller attaches to as to the job a
    409 "already running" names.
    """
    # Before 0.63, which has no refresh or clear jobs, the listing drops them (Jobs._page).
    kinds = (*made_by(job_type), JobType.RESET_CONNECTION, JobType.CLEAR)
    try:
        page = await jobs.list_page(connection_id=connection_id, job_types=kinds, page_size=_PAGE)
    except AirbyteError:
        return None, None
    waiting = [job for job in page.jobs if not job.status.is_terminal]
    if waiting:
        return max(waiting, key=lambda job: job.id), None
    ended = [job for job in page.jobs if job.updated_at.timestamp() >= before - _SKEW]
    return None, max(ended, key=lambda job: job.id) if ended else None


async def _met_while_held(
    send: Callable[[], Awaitable[Any]], look: Callable[[], Awaitable[Job | None]], after: float
) -> tuple[Any, Job | None]:
    """
    The answer of *send* (a sync trigger's request), or the job *look* shows it met, whichever
    comes first; *look* starts *after* seconds, and is made again while it shows none. A
    trigger of head's public API that meets the connection's job not running yet cannot start
    one: ``TemporalClient.startNewManualSyncAndWaitForJobId`` notes that job's id, signals a
    workflow past its wait (the signal is dropped when that run ends), then waits a minute
    for a newer job and fails (a 409 ``state-conflict``; airbytehq/airbyte-platform
    ``TemporalClient.kt`` at ``3fc02fdc``). The request is then given up on: held so, the
    server acts on it no more than it did. One still queued for a scheduler thread would run
    once it gets one, and start a sync if that job has ended by then: *after* is kept above
    the waits of the triggers the server answered lately for that (see :data:`_MET_PROBE`).
    """
    answer: list[Any] = []
    met: list[Job] = []
    failure: list[Exception] = []
    async with anyio.create_task_group() as tg:

        async def probe() -> None:
            await anyio.sleep(after)
            pause = _MET_PAUSE
            while (job := await look()) is None:
                await anyio.sleep(pause)
                pause = min(_HOLD_MAX_PAUSE, 2 * pause)
            met.append(job)
            tg.cancel_scope.cancel()

        tg.start_soon(probe)
        try:
            answer.append(await send())
        except Exception as error:  # raised below, out of the task group
            failure.append(error)
        tg.cancel_scope.cancel()
    if failure:
        raise failure[0]
    if answer:
        return answer[0], None
    return None, met[0]


def _sent_at(clock: ServerClock, began: float, listed: Iterable[Job]) -> float:
    """
    When the attempt that began at monotonic *began* was sent, in epoch seconds on the clock
    that stamps jobs, reckoned just after a listing of *listed*, whose stamps that clock has
    reached (see :meth:`~airbyte_async._throttle.ServerClock.look_now`).
    """
    newest = max((job.updated_at.timestamp() for job in listed), default=None)
    return clock.look_now(newest) - (time.monotonic() - began)


async def _job_since(
    jobs: Jobs, clock: ServerClock, connection_id: str, job_type: JobType, began: float, floor: int
) -> tuple[Job | None, Job | None]:
    """
    The job the attempt that began at monotonic *began* created, if the server has it (see
    :func:`~airbyte_async._backend.own_job`), among those newer than job *floor* (the newest
    this client had seen started before it); and the connection's job that is not final and
    was there before the attempt, if any (the one a trigger meets).
    """
    newest, since, sent = await _since(jobs, clock, connection_id, job_type, began)
    own = own_job([job for job in since if job.id > floor], sent)
    later = {job.id for job in since}
    there = next((j for j in newest if j.id not in later and not j.status.is_terminal), None)
    return own, there


def _met(job: Job, job_type: JobType, floor: int, before: float, took: float) -> bool:
    """
    Whether *job*, a sync trigger's answer, is a job the trigger met rather than started:
    Airbyte answers a trigger that meets a job not running yet with that job once it runs,
    whatever started it (``TemporalClient.startNewManualSync`` answers the workflow's current
    job). It is one of a type the trigger does not make (a reset: a sync trigger makes a
    refresh while streams wait for one, see ``SYNC_TYPES``), one this client saw a trigger
    start before
    (*floor*), or one created before the first attempt was sent by both the server's clock
    (*before*, its estimate then) and the job's own stamps (its last change, the answer's
    moment, less the *took* seconds the call took): either alone may err (``Date`` ahead of
    the stamps, a clock moved by hand), not both.
    """
    if job_type is not JobType.SYNC:
        return False
    if job.job_type not in made_by(job_type) or job.id <= floor:
        return True
    created = job.created_at.timestamp()
    return created < before - _SKEW and created < job.updated_at.timestamp() - took - _SKEW


def _ended_meanwhile(connection_id: str, route: str, conflict: APIError) -> Exception:
    """The :class:`SyncAlreadyRunningError` (naming no job) of a sync trigger refused with a
    409 that a job met explains, although that job has ended since: nothing started."""
    message = (
        f"A sync is already running for: {connection_id}: the trigger met a job that has "
        f"ended since, and started none ({conflict.message})"
    )
    return SyncAlreadyRunningError(conflict.status, message, route=route)


def _met_error(
    job: Job,
    connection_id: str,
    route: str,
    cause: AirbyteError | None,
    *,
    held: float | None = None,
) -> Exception:
    """The :class:`SyncAlreadyRunningError` of a sync trigger that met *job* (see :func:`_met`);
    with *held*, one still unanswered after that many seconds (see :func:`_met_while_held`)."""
    status = 200 if cause is None else getattr(cause, "status", 200)
    said = "" if cause is None else f" ({cause})"
    if held is not None:
        status = 409
        said = f" (unanswered after {held:.3g} s, its job there before it was sent)"
    message = (
        f"A sync is already running for: {connection_id}: the trigger met job {job.id} "
        f"({job.job_type}, {job.status}), which it did not start{said}"
    )
    error = SyncAlreadyRunningError(status, message, route=route)
    error.job = job
    return error


@attrs.define(eq=False)
class _Flight:
    """A sync trigger under way for a connection (see :attr:`KnownJobs.flights`): *done* is
    set once it ended, *job* then the job it returned or met (None when it raised otherwise),
    and *met* whether it met that job rather than start it."""

    done: anyio.Event = attrs.field(factory=anyio.Event)
    job: Job | None = None
    met: bool = False


def _joined_error(flight: _Flight, connection_id: str, route: str) -> Exception:
    """The :class:`SyncAlreadyRunningError` of a sync not sent because another call of the same
    client triggered the connection meanwhile, and got a job (*flight*'s)."""
    job = flight.job
    assert job is not None
    how = "met" if flight.met else "started"
    message = (
        f"A sync is already running for: {connection_id}: job {job.id}, which another sync "
        f"trigger of this client, under way when this one was asked for, {how}; this one "
        "was not sent"
    )
    error = SyncAlreadyRunningError(409, message, route=route)
    error.job = job
    return error


@attrs.define
class KnownJobs:
    """
    The newest job a client has seen a trigger start, per connection. A lost trigger answer
    cannot have named that job or an older one, although one created in the seconds before
    the attempt falls in the window a look allows for clock error (cancel, then sync again).
    """

    _newest: dict[str, int] = attrs.field(factory=dict)
    #: (when, seconds waited) of the triggers Airbyte answered in the last _ANSWER_MEMORY
    #: seconds, each wait longer than those after it (a sliding maximum).
    _waits: deque[tuple[float, float]] = attrs.field(factory=deque, eq=False, repr=False)
    #: When (:func:`time.monotonic`) a trigger of this client last had its job: a server that
    #: starts others' while it sheds one is overloaded, not broken.
    last_job_at: float = attrs.field(default=-math.inf, eq=False)
    #: The warnings of the looks for uncertain triggers' jobs on this client: the looks of a
    #: hundred triggers cut short by a restart fail together, and are told as one outage.
    looks: OutageLog = attrs.field(
        factory=lambda: OutageLog(
            "looking for the jobs of uncertain triggers", ("look", "looks"), logger=log
        ),
        eq=False,
        repr=False,
    )
    #: The warnings of this client's triggers refused with a 429 (Airbyte Cloud's load
    #: shedding, API-FACTS 7) and sent again: a storm is told once a minute at most, not once
    #: per trigger, and not never (a trigger refused for minutes would look hung).
    refusals: RefusalLog = attrs.field(
        factory=lambda: RefusalLog(_REFUSED, _STILL_REFUSED, logger=log), eq=False, repr=False
    )
    #: The warnings of this client's held triggers (see :data:`_HOLD`): a batch whose triggers
    #: all time out is told at the first, and once a minute at most after, with how many were
    #: held since, not twice per trigger (held, then its job found or it sent again); each is
    #: told at INFO, and so is its end, unless its hold was warned of.
    holds: RefusalLog = attrs.field(
        factory=lambda: RefusalLog(_HELD, _STILL_HELD, logger=log), eq=False, repr=False
    )

    #: The public API's sync triggers under way, by connection: a second one for the same
    #: connection waits for the first rather than be sent. Sent at once, it would meet the
    #: first one's job not running yet, which head's ``POST /jobs`` answers only a minute later
    #: (holding one of the server's scheduler threads meanwhile: triggers queued behind such
    #: holds start second syncs once the jobs they would have met have ended).
    flights: dict[str, _Flight] = attrs.field(factory=dict, eq=False, repr=False)

    def noted(self, connection_id: str, job: Job) -> Job:
        """Remember *job* as started for *connection_id*, if newer than what is known; *job*."""
        if job.id > self._newest.get(connection_id, 0):
            self._newest[connection_id] = job.id
        self.last_job_at = time.monotonic()
        return job

    def newest(self, connection_id: str) -> int:
        """The newest job id known for *connection_id*, 0 when none is."""
        return self._newest.get(connection_id, 0)

    def answered(self, waited: float) -> None:
        """Note that Airbyte answered a trigger of this client after *waited* seconds."""
        now, waits = time.monotonic(), self._waits
        while waits and waits[-1][1] <= waited:
            waits.pop()
        waits.append((now, waited))

    def longest_wait(self) -> float:
        """The longest Airbyte took to answer a trigger of this client in the last
        :data:`_ANSWER_MEMORY` seconds (0 when it answered none)."""
        waits, since = self._waits, time.monotonic() - _ANSWER_MEMORY
        while waits and waits[0][0] < since:
            waits.popleft()
        return waits[0][1] if waits else 0.0


def _say(
    message: str,
    job_type: JobType,
    connection_id: str,
    *,
    level: int = logging.WARNING,
    **more: object,
) -> None:
    # A hold is long and quiet: without a word, a batch waiting on it looks hung. Named by the
    # job it starts: the public API's trigger is not the route the caller passed.
    trigger = _TRIGGERS.get(job_type, job_type.value)
    job = more.get("job")
    log.log(
        level,
        message,
        {"trigger": trigger, "connection": connection_id, **more},
        extra=about(connection_id, job if isinstance(job, int) else None),
    )


def _told_held(known: KnownJobs, job_type: JobType, connection_id: str, **more: object) -> bool:
    """Tell a hold (see :attr:`KnownJobs.holds`): True when it was warned of, else it is told
    at INFO."""
    fields = {"trigger": _TRIGGERS.get(job_type, job_type.value), "connection": connection_id}
    if known.holds.refused(extra=about(connection_id), **fields, **more):
        return True
    log.info(_HELD, {**fields, **more}, extra=about(connection_id))
    return False


_HELD = (
    "the %(trigger)s trigger for %(connection)s timed out after %(waited).3g s and no job has "
    "appeared yet: the server may still be working on it, so it is looked for, and sent again "
    "only if none appears within %(left)d s (sent sooner, it could start a second sync)%(hint)s"
)
#: Added to :data:`_HELD` when the client's own timeout came before a proxy's would.
_SHORT_TIMEOUT = (
    "; a request timeout this short holds triggers often: Airbyte answers one only once its "
    "job runs, seconds on a busy server"
)
_STILL_HELD = (
    "%(count)d more triggers of this client held since the last warning, the last the "
    "%(trigger)s trigger for %(connection)s (timed out after %(waited).3g s): each is "
    "looked for, and sent again only if none appears within the hold"
)
_FOUND = "job %(job)d of the held %(trigger)s trigger for %(connection)s turned up: adopted"
_SENT_AGAIN = "no job from the held %(trigger)s trigger for %(connection)s: triggering again"

_TRIGGERS = {JobType.SYNC: "sync", JobType.RESET_CONNECTION: "reset", JobType.REFRESH: "refresh"}
#: An uncertain trigger settled by the look for its job (not held), in one line each: the
#: route, the connection, the trigger's error, and the job adopted.
_ADOPTED = "%s for %s failed uncertainly (%s): adopted job %d, which it started"
_NO_JOB = "%s for %s failed uncertainly (%s) and started no job: triggering again"

_REFUSED = (
    "the %(trigger)s trigger for %(connection)s was refused (%(error)s): it started nothing, "
    "and is sent again, as are this client's other triggers refused so, until %(patience)g s "
    "after each one's first attempt"
)
_STILL_REFUSED = (
    "%(count)d more refusals of this client's triggers since the last warning, the last of "
    "the %(trigger)s trigger for %(connection)s (%(error)s); each is sent again until "
    "%(patience)g s after its first attempt"
)


def _answered(error: AirbyteError | None, job_type: JobType) -> bool:
    """
    Whether *error*, a sync attempt's, is Airbyte's own answer, after it acted on the request:
    a 500 (a proxy's are 502, 503 and 504, and a timed-out request may still be queued).
    """
    return job_type is JobType.SYNC and isinstance(error, ServerError) and error.status == 500


def _past_deadline(error: AirbyteError, *, may_act: bool) -> AirbyteError:
    """*error*, a trigger's last, as raised once its :data:`TRIGGER_DEADLINE` passed."""
    error.job_may_exist = may_act
    if may_act:
        error.add_note("its deadline passed while it was held: its job may still start")
    else:
        error.add_note("its deadline passed: not sent again")
    return error


def _held(exc: AirbyteError, longest_wait: float) -> bool:
    """
    Whether *exc*, a trigger's, leaves it possibly still queued on the server, so that it is
    held (see :data:`_HOLD`) rather than sent again after one look: the client's own timeout,
    a 504, 502, 503 or 524 that came after the request had waited as long as a proxy's read
    timeout (a quick one is a gateway that failed without passing it on) and did not ask to be
    sent again later (``Retry-After``), or a connection lost after such a wait (a TCP proxy's
    timeout, which cuts the connection with no answer; a quick loss is a connection that
    broke). As long is :data:`_PROXY_READ_TIMEOUT`, or a second or more on a server that lately
    took half as long or longer to answer a trigger (*longest_wait*, see
    :data:`_QUEUED_FACTOR`).
    """
    if isinstance(exc, RequestTimeoutError):
        return True
    waited = exc._waited
    read_timeout = waited >= _PROXY_READ_TIMEOUT or (
        _QUICK_GATEWAY <= waited <= _QUEUED_FACTOR * longest_wait
    )
    if isinstance(exc, ConnectionLostError):
        # A restart cuts connections too, its queue gone with them: held all the same, it
        # costs those syncs time, never a second run.
        return read_timeout
    return (
        isinstance(exc, ServerError)
        and exc.status in _GATEWAY_TIMEOUTS
        and read_timeout
        and exc.retry_after is None
    )


def _transient(exc: BaseException) -> bool:
    """A failure that waiting may cure: the network, the server's health, its rate limit;
    not a connection that failed in a way waiting does not mend (``_lasting``)."""
    if getattr(exc, "_lasting", False):
        return False
    return isinstance(exc, TransportError | ServerError | RateLimitError) or (
        isinstance(exc, ResponseValidationError) and exc.malformed
    )


#: The answers of a server (or its proxy) that sheds load: see :func:`_shed`. Cloudflare's
#: pages for its 522 and 524 name an origin short of resources as their likely cause.
_SHEDDING = frozenset({502, 503, 504, 522, 524})


def _shed(error: AirbyteError | None, known: KnownJobs, sent: float) -> bool:
    """
    Whether *error*, the answer to an attempt sent at monotonic *sent* that the look showed
    started no job, was load shed: a 502, 503 or 504 (Cloudflare: 522, 524) while other triggers
    of this client got their jobs (since the attempt was sent). Such an attempt uses up no round
    within the settle patience: an overloaded server (a bound on the triggers it holds, a
    proxy's queue) refuses some triggers while it runs others, and giving up on one after its
    rounds failed its sync for the client's own pressure. A server that starts none is counted
    as broken.
    """
    return isinstance(error, ServerError) and error.status in _SHEDDING and known.last_job_at > sent


def _patient(patient_from: float, resend_after: float, settle_patience: float) -> bool:
    """
    Whether a trigger is within its settle patience: from *patient_from* (its first attempt,
    or its sending after a hold); while a hold waits for the trigger to go again, from the
    hold's end at *resend_after*. The hold took the patience before it: a restart or a run of
    failed looks as it ends would otherwise use up the rounds, and the trigger end in an
    error, never sent again, its server merely flaky. (A function, not a closure: a closure's
    variables would be cells made on every trigger.)
    """
    return time.monotonic() - max(patient_from, resend_after) < settle_patience


async def _send_trigger(request: Request, route: str, body: Mapping[str, Any]) -> Any:
    """Send a trigger once, as the trigger itself (see :func:`the_trigger`)."""
    with the_trigger():
        return await request(route, body, idempotent=False)


async def _look_for_met(
    jobs: Jobs,
    clock: ServerClock,
    connection_id: str,
    job_type: JobType,
    began: float,
    floor: int,
) -> Job | None:
    """The job there before a trigger, when a look finds it and none of the trigger's own;
    None otherwise, or when the look fails (the trigger's answer will tell)."""
    try:
        own, there = await _job_since(jobs, clock, connection_id, job_type, began, floor)
    except AirbyteError:
        return None
    return there if own is None else None


async def trigger_exactly_once(
    request: Request,
    jobs: Jobs,
    clock: ServerClock,
    *,
    route: str,
    connection_id: str,
    job_type: JobType,
    rounds: int = 6,
    read: Callable[[Any], Job] | None = None,
    settle_patience: float | None = None,
    explain: Callable[[str, APIError], Awaitable[None]] | None = None,
    known: KnownJobs | None = None,
    body: Mapping[str, Any] | None = None,
    guard_overlap: bool = False,
    probe_met: bool = False,
) -> Job:
    """
    Call *route* (``connections/sync``, ``connections/reset`` or ``connections/refresh``) so
    that at most one job (of *job_type*) starts, and return that job; *body* is the trigger's
    (default: ``{"connectionId": ...}``).

    Each round either settles an earlier uncertain attempt or sends the trigger: after a failure
    that may have started a job, the next rounds look for that job (and adopt it) until a listing
    succeeds, and only a listing that finds none lets the trigger go again. Rounds after a transient
    failure (the network, 5xx, 429, on the trigger or the listing) wait a little longer each time
    (up to eight seconds), so that a server restart is waited out, not hammered. A trigger that
    timed out, or drew a 504, 502, 503 or 524 after waiting as long as a proxy's read timeout (see
    :data:`_PROXY_READ_TIMEOUT`), may still be queued on the server: it is not sent again for five
    minutes (:data:`_HOLD`, within the settle patience) while its job is looked for; sent again
    after that and timed out again, it is held again. For *settle_patience* seconds (default
    :data:`SETTLE_PATIENCE`) from the first attempt, from a hold's end while its trigger waits
    to go again, and again from the trigger sent once a hold ended (the hold took the first
    patience), a look that fails so, and a trigger that never
    reached a server which had answered before (a 429 among them), use up no round, and rounds
    that only look for an attempt's job go on past *rounds*: a server restart ends with the job
    found, or the trigger sent once more. So does a 502, 503,
    504, 522 or 524 that the look shows started no job while other triggers of *known*'s client
    got theirs (see :func:`_shed`): an overloaded server sheds some triggers. Failed looks are
    warned of for all the client's triggers together (*known*'s ``looks``, an
    :class:`~airbyte_async._retry.OutageLog`), not one line each; so are attempts refused with
    a 429, which are sent again (*known*'s ``refusals``). A 429 raised at the end counts every
    request of the call it refused (``attempts``, see
    :meth:`~airbyte_async.errors.RateLimitError.refused`).

    *clock* is the client's :class:`~airbyte_async._throttle.ServerClock`, which every answer
    (the listing's included) updates. Raises
    :class:`~airbyte_async.errors.SyncAlreadyRunningError` when a job is running and no
    attempt of this call may have started it, and when a sync met a job not running yet (see
    the module's notes; the error's ``job`` then names it): the caller decides whether to
    attach. Raises the
    trigger's error when it is not transient, and the last error when *rounds* rounds end
    without a job (with a note when a possible job could not be looked for). A 2xx answer that
    does not fit a job proves the job was started: it is looked up, never triggered again.
    A trigger that could not get an access token was never sent: a token endpoint failing on
    errors that may pass is waited out, as a server that is away, for five minutes from the
    first attempt (and again from the trigger sent once a hold ended), then its error is
    raised. *read* turns the answer into the job (default: a
    Config API ``JobInfoRead``); the public API's backend sends ``POST /jobs`` through
    *request* and reads its answer there. *explain* is awaited (with *connection_id*) when a
    500 started no job, before the trigger goes again (a 502, 503 or 504 is a gateway's or an
    overloaded server's answer, never a refusal with a lasting cause), and when a sync's 409 other
    than "already running" met no job: it raises when the error has a lasting cause it can
    name (the server's body may not say, see :func:`~airbyte_async.errors.error_for`).
    *known* (the client's :class:`KnownJobs`) keeps a job this client saw started before from
    being taken for the attempt's, and learns the job returned. With *guard_overlap* (the
    public API's sync), a sync of a connection whose sync trigger from another call of *known*'s
    client is under way is not sent: it waits for that trigger, and raises
    SyncAlreadyRunningError naming its job (the 409 the Config API would answer), or is sent
    once that trigger failed; and a trigger unanswered after a few seconds while the
    connection's job, there before the first attempt, is not final raises
    SyncAlreadyRunningError naming that job without waiting for the answer (see
    :func:`_met_while_held`).
    """
    if guard_overlap and job_type is JobType.SYNC and known is not None:
        connection_id = uuid_id("connection_id", connection_id)
        while (other := known.flights.get(connection_id)) is not None:
            await other.done.wait()
            if other.job is not None:
                raise _joined_error(other, connection_id, route)
        flight = known.flights[connection_id] = _Flight()
        try:
            flight.job = await trigger_exactly_once(
                request,
                jobs,
                clock,
                route=route,
                connection_id=connection_id,
                job_type=job_type,
                rounds=rounds,
                read=read,
                settle_patience=settle_patience,
                explain=explain,
                known=known,
                body=body,
                guard_overlap=False,
                probe_met=True,
            )
        except SyncAlreadyRunningError as refusal:
            flight.job, flight.met = refusal.job, True
            raise
        else:
            return flight.job
        finally:
            del known.flights[connection_id]
            flight.done.set()
    known = KnownJobs() if known is None else known
    # In lower case, as the jobs listed name it: *known* and the looks compare it.
    connection_id = uuid_id("connection_id", connection_id)
    if settle_patience is None:
        settle_patience = SETTLE_PATIENCE
    floor = known.newest(connection_id)
    if rounds < 1:
        raise InvalidArgumentError(f"rounds must be at least 1, got {rounds!r}")
    if body is None:
        body = unstructure(w.ConnectionIdBody(connection_id=connection_id))
    # From the first attempt on: a job that attempt created may show up late.
    began = time.monotonic()
    before = clock.now()  # the server's clock then, never ahead
    sent = began  # when the latest attempt was sent
    may_have_started = False  # some attempt may have started a job
    unsettled = False  # ...and it has not been looked for since
    started = False  # an attempt certainly started one
    last: AirbyteError | None = None
    tries = 0  # every round, for the pause before the next
    round_ = 0  # the rounds that count: all but looks the server could not answer in time
    resend_after = began  # no trigger goes again before this (see _HOLD)
    # The settle patience runs from here: the first attempt, then the trigger sent again once a
    # hold ended (a hold takes the whole patience: counted from the first attempt, the trigger
    # sent after it would meet a restart, or time out again, with none left).
    patient_from = began
    held = 0  # looks made while a timed-out trigger is held
    refused = 0  # requests refused with a 429 (each started nothing)
    wraps = 0  # triggers refused while the connection's workflow wrapped up an ended job
    warned = False  # whether the caller was told of the current hold
    told = False  # whether that hold was warned of (see KnownJobs.holds)
    attempts = 0  # attempts sent
    wrapping: SyncAlreadyRunningError | None = None  # the latest refusal while a job wrapped up
    send_by, look_until = TRIGGER_DEADLINE.get() or (math.inf, math.inf)
    # The looks of every trigger of this client fail together through an outage, and are told
    # as one (see KnownJobs.looks). Made at the first look: a trigger answered at once (nearly
    # every one) pays for none of it.
    looks: Outage | None = None

    try:
        while round_ < rounds or (
            unsettled and _patient(patient_from, resend_after, settle_patience)
        ):
            if tries:
                hold = resend_after - time.monotonic()
                if hold > 0:
                    held += 1
                    pause = min(_HOLD_MAX_PAUSE, _HOLD_PAUSE * 2 ** (held - 1))
                    await anyio.sleep(max(0.0, min(pause, hold, look_until - time.monotonic())))
                else:
                    await anyio.sleep(round_pause(tries, last))
            tries += 1
            round_ += 1
            if unsettled:
                looked = time.monotonic()
                if looks is None:
                    looks = Outage(warnings=known.looks)
                try:
                    found = await _job_since(jobs, clock, connection_id, job_type, began, floor)
                except AirbyteError as err:
                    assert last is not None
                    if not _transient(err):
                        last.add_note(f"could not check whether it started a job: {err}")
                        last.job_may_exist = True
                        raise last from err
                    looks.failed(looked, err, about=f"the {route} of {connection_id}")
                    if _patient(patient_from, resend_after, settle_patience):
                        round_ -= 1  # a server that is away (a restart) uses up no round
                    continue
                looks.ended(looked)
                job, there = found
                if job is not None:
                    if warned:
                        level = logging.WARNING if told else logging.INFO
                        _say(_FOUND, job_type, connection_id, job=job.id, level=level)
                    else:
                        log.info(
                            _ADOPTED,
                            route,
                            connection_id,
                            last,
                            job.id,
                            extra=about(connection_id, job.id),
                        )
                    return known.noted(connection_id, job)
                if there is not None and not started and _answered(last, job_type):
                    # The server answered the attempt (it is not queued on it), and a trigger
                    # that meets a job not running yet starts none: one that answers once a job
                    # exists fails after a minute (startNewManualSyncAndWaitForJobId). Sent
                    # again, it would only wait another minute.
                    raise _met_error(there, connection_id, route, last) from last
                if time.monotonic() < resend_after and not started:
                    if time.monotonic() >= look_until:
                        assert last is not None
                        raise _past_deadline(last, may_act=True)
                    if not warned:
                        warned = True
                        # Rounded up: "within 0 s" of a hold with a moment left reads as none.
                        left = max(1, math.ceil(resend_after - time.monotonic()))
                        waited = 0.0 if last is None else last._waited
                        short = isinstance(last, RequestTimeoutError) and (
                            waited < _PROXY_READ_TIMEOUT
                        )
                        hint = _SHORT_TIMEOUT if short else ""
                        told = _told_held(
                            known, job_type, connection_id, left=left, waited=waited, hint=hint
                        )
                    round_ -= 1  # a timed-out trigger may still act: look again, do not resend
                    continue
                unsettled = False
                if _shed(last, known, sent) and time.monotonic() - patient_from < settle_patience:
                    round_ -= 1
                # Past its rounds, a round only looks: it never triggers again.
                if started or round_ > rounds:
                    break
                if explain is not None and isinstance(last, ServerError) and last.status == 500:
                    # Only a 500 may be a refusal with a lasting cause (an exception Airbyte
                    # does not map); a 502, 503 or 504 is a gateway's or an overloaded server's.
                    await explain(connection_id, last)
                if warned:
                    warned = False  # told once per hold
                    # At the level its hold was told at: a batch whose triggers were all held
                    # is not warned of once per trigger sent again (see KnownJobs.holds).
                    level = logging.WARNING if told else logging.INFO
                    _say(_SENT_AGAIN, job_type, connection_id, level=level)
                else:
                    log.info(_NO_JOB, route, connection_id, last, extra=about(connection_id))
            if attempts and time.monotonic() >= send_by:
                error = last or wrapping
                assert error is not None
                raise _past_deadline(error, may_act=False)
            attempts += 1
            sent = time.monotonic()
            if resend_after > patient_from:
                patient_from = sent  # sent again after a hold: a patience of its own
            try:
                if probe_met and job_type is JobType.SYNC:
                    # Partials, not closures: a closure's variables would be cells made on
                    # every trigger, this path's or not (nine objects for the collector).
                    send = functools.partial(_send_trigger, request, route, body)
                    look = functools.partial(
                        _look_for_met, jobs, clock, connection_id, job_type, began, floor
                    )
                    after = max(_MET_PROBE, _QUEUED_FACTOR * known.longest_wait())
                    data, held_on = await _met_while_held(send, look, after)
                    if held_on is not None:
                        waited = time.monotonic() - sent
                        log.info(
                            "%s for %s met job %d, there before it, and is still held after "
                            "%.3g s: it started none",
                            route,
                            connection_id,
                            held_on.id,
                            waited,
                        )
                        raise _met_error(held_on, connection_id, route, None, held=waited)
                else:
                    with the_trigger():
                        data = await request(route, body, idempotent=False)
                job = structure(data, Job, route=route) if read is None else read(data)
                known.answered(time.monotonic() - sent)
                clock.note_stamp(job.updated_at.timestamp())
                if _met(job, job_type, floor, before, time.monotonic() - began):
                    raise _met_error(job, connection_id, route, None)
                return known.noted(connection_id, job)
            except SyncAlreadyRunningError as refusal:
                if may_have_started:
                    adopted = await _adopted_or_unknown(
                        jobs, clock, known, connection_id, job_type, route, began, floor
                    )
                    if adopted is _UNKNOWN:
                        unsettled = True  # the rounds' looks settle it (see _UNKNOWN)
                        continue
                    if adopted is not None:
                        return adopted
                if wraps == _WRAP_UPS or not await _wrapping_up(
                    jobs, clock, connection_id, job_type, refusal
                ):
                    raise
                # Nothing started, nothing runs: the workflow still wraps up the job that just
                # ended. Sent again after a moment (each 409 proves it started none).
                wraps += 1
                wrapping = refusal
                log.info(
                    "%s refused while a job of %s wraps up",
                    route,
                    connection_id,
                    extra=about(connection_id),
                )
                await anyio.sleep(min(_WRAP_UP_MAX_PAUSE, _WRAP_UP_PAUSE * 2 ** (wraps - 1)))
                tries, round_ = tries - 1, round_ - 1  # no round used, no pause of its own
                continue
            except ConflictError as conflict:
                if conflict.status != 409 or job_type is not JobType.SYNC:
                    raise
                if may_have_started:
                    adopted = await _adopted_or_unknown(
                        jobs, clock, known, connection_id, job_type, route, began, floor
                    )
                    if adopted is _UNKNOWN:
                        unsettled = True  # the rounds' looks settle it (see _UNKNOWN)
                        continue
                    if adopted is not None:
                        return adopted
                met, ended = await _met_by_conflict(jobs, connection_id, job_type, before)
                if met is None:
                    if explain is not None:
                        await explain(connection_id, conflict)
                    if ended is not None:
                        # Active, and the job met (a minute ago) has ended since: named, so
                        # that a batch attaches to it rather than sync the connection twice.
                        raise _met_error(ended, connection_id, route, conflict) from conflict
                    raise _ended_meanwhile(connection_id, route, conflict) from conflict
                raise _met_error(met, connection_id, route, conflict) from conflict
            except AirbyteError as e:
                if getattr(e, "route", None) == TOKEN_ROUTE:
                    # No token, so this attempt never left. A token endpoint that is away (a
                    # restart) is waited out, using up no round, for _TOKEN_PATIENCE from the
                    # first attempt, or from the trigger sent once a hold ended (the hold took
                    # the first one's); past it the failure is raised (the orchestrator then
                    # stops its batch's triggers, so a batch waits this out once, not once per
                    # wave).
                    if not _transient(e) or time.monotonic() - patient_from >= _TOKEN_PATIENCE:
                        raise
                    # Told by the token's own warnings (at the first failure, once a minute
                    # after, and when it works again): here, one line per trigger per round.
                    log.debug(
                        "no access token for the %s of %s: %s",
                        route,
                        connection_id,
                        e,
                        extra=about(connection_id),
                    )
                    round_ -= 1
                    last = e
                    continue
                # A 2xx with the wrong shape: the job exists, only its description was unreadable.
                # (Not a token answer's: the trigger was never sent.)
                certain = (
                    isinstance(e, ResponseValidationError)
                    and not e.malformed
                    and e.route != TOKEN_ROUTE
                )
                if not (certain or _transient(e)):
                    raise
                last = e
                if isinstance(e, RateLimitError):
                    refused += e.attempts or 1
                    known.refusals.refused(
                        extra=about(connection_id),
                        trigger=_TRIGGERS.get(job_type, job_type.value),
                        connection=connection_id,
                        error=f"{e.status}: {e.message}",
                        patience=settle_patience,
                    )
                if certain or is_ambiguous(e):
                    # Told at INFO with what the look finds (_ADOPTED, _NO_JOB), or the hold.
                    log.debug(
                        "%s for %s failed uncertainly (%s)",
                        route,
                        connection_id,
                        e,
                        extra=about(connection_id),
                    )
                    may_have_started = unsettled = True
                    started = started or certain
                    if _held(e, known.longest_wait()):
                        waited = time.monotonic() - sent
                        resend_after = min(
                            patient_from + settle_patience, sent + max(_HOLD, 2 * waited)
                        )
                elif clock.answered and time.monotonic() - patient_from < settle_patience:
                    # It never reached a server that has answered before: away (a restart), and
                    # this attempt did nothing. (A server never reached may be a wrong address.)
                    round_ -= 1
        assert last is not None
        if unsettled:
            last.add_note("could not check whether it started a job")
            last.job_may_exist = True
        if isinstance(last, RateLimitError) and refused:
            elapsed = time.monotonic() - began
            since = "its first attempt" if patient_from == began else "it was sent after its hold"
            last.refused(
                refused,
                elapsed,
                f"still refused {settle_patience:g} s after {since}"
                if time.monotonic() - patient_from >= settle_patience
                else f"all {rounds} rounds made",
            )
        raise last
    finally:
        if looks is not None:
            looks.__exit__()  # a loop still failing leaves the warnings
