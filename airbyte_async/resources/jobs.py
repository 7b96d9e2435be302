"""``client.jobs``."""

from __future__ import annotations

import enum
import logging
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable
from datetime import datetime
from functools import partial
from typing import Any, TypeVar

import anyio
import attrs

from .._backend import JobChange, Paging, fresh_read
from .._checks import INT_MAX, seconds, whole
from .._retry import (
    RESEND_TRIES,
    Outage,
    OutageLog,
    is_ambiguous,
    is_retryable,
    resent_after_read,
)
from .._serde import job_status, structure, unstructure, wire_name
from ..errors import (
    AirbyteError,
    BadRequestError,
    ConflictError,
    InvalidArgumentError,
    NotFoundError,
    ResponseValidationError,
    ServerError,
)
from ..models import Job, JobPage, JobStatus, JobType
from ..models import _wire as w
from ..models._common import IsoDateTime
from ._base import Request
from ._call import call, named
from .workspaces import Workspaces

__all__ = ["Jobs"]

log = logging.getLogger("airbyte_async.jobs")

DEFAULT_PAGE_SIZE = 100

#: Statuses of a job no attempt of which runs: Airbyte may ignore a cancel then (see
#: :func:`cancel_heard`).
NO_ATTEMPT_RUNS = frozenset({JobStatus.PENDING, JobStatus.QUEUED, JobStatus.INCOMPLETE})

#: The job types every version knows: 0.50 has no refresh or clear (API-FACTS 3).
_BEFORE_REFRESH = tuple(t for t in JobType if t not in {JobType.REFRESH, JobType.CLEAR})


@attrs.define
class JobTypesKnown:
    """Whether the server has refresh and clear jobs: False once it refused a listing of
    them (0.50 and before), which then asks for none."""

    refresh: bool = True


_Listing = TypeVar("_Listing", bound=w.JobListBody | w.JobListForWorkspacesBody)


def _known_types(types: tuple[JobType, ...]) -> tuple[JobType, ...]:
    """*types* but those a server before 0.63 does not know."""
    return tuple(t for t in types if t in _BEFORE_REFRESH)


def _known_statuses(statuses: tuple[JobStatus, ...]) -> tuple[JobStatus, ...]:
    """*statuses* but ``queued``, which a server before 2.1 does not know."""
    return tuple(s for s in statuses if s is not JobStatus.QUEUED)


async def _read_after_failure(read: Callable[[], Awaitable[Job]]) -> Job | None:
    """The job as *read* gives it after its cancel failed; None when the read fails."""
    try:
        return await read()
    except AirbyteError as e:
        log.debug("could not read a job after its cancel failed: %s", e)
        return None


#: Seconds between the reads that wait for an attempt to run, at first and at most.
_HEARD_FIRST_PAUSE = 0.25
_HEARD_MAX_PAUSE = 2.0

#: Seconds a job may still read running after a cancel's answer showed it running before the
#: cancel is taken for unheard and sent again (see :func:`cancel_heard`), and how many times.
_UNHEARD_AFTER = 1.5
_UNHEARD_RESENDS = 2


async def cancel_heard(
    send: Callable[[], Awaitable[Job]],
    read: Callable[[], Awaitable[Job]],
    *,
    job_id: int,
    tries: int = RESEND_TRIES,
) -> Job:
    """
    The answer of a cancel (*send*) that Airbyte heard. The connection's workflow ignores a
    cancel while it does not report running, which it does only while an attempt runs, and
    from 0.50 on between two attempts too (airbytehq/airbyte-platform
    ``ConnectionManagerWorkflowImpl.cancelJob`` returns unless ``workflowState.isRunning``, set
    by ``reportJobStarting``, and by ``initializeWorkflowStateFromInput`` for a run that
    continues from a failure): the answer then shows the job pending (on 0.40, also between
    two attempts), and it runs on. Head's job that waits for data-worker capacity is the
    exception: ``cancelJob`` records the cancel and the wait cancels the job before it runs,
    but the answer, given at once, may still show it pending or queued. So the job is *read*
    again, a little later each time, and the cancel sent again once an attempt runs. The
    workflow reports running only after the ``reportJobStart`` activity that follows
    ``createAttempt``, so a cancel sent as an attempt starts may be ignored too, its answer
    showing the job running: a heard cancel is answered only once the workflow stopped
    (``TemporalClient.startNewCancellation`` waits while it reports running), with the job
    final. Such a job is read again too, and sent the cancel again (twice at most) if it still
    runs :data:`_UNHEARD_AFTER` seconds after the answer: not at once, since reads that see
    an end late show a job that did stop running as well. A job
    that ended meanwhile (cancelled while it waited, say) is returned as read, and no cancel
    sent: a cancel stops whatever job the connection runs now (API-FACTS 6.3b), maybe a
    newer one. For the same reason a cancel refused before Airbyte acted (a 429) is sent
    again only after a read shows its job still running, up to *tries* tries each time it is
    sent (:func:`~airbyte_async._retry.resent_after_read`). A cancel (job *job_id*'s) that
    failed in a way that leaves open whether Airbyte acted (its answer past the client's
    timeout, the connection lost, a proxy's read timeout) is followed by a read: the job, when
    that shows it ended (the cancel did its work), and as the cancel's answer when it shows no
    attempt running (the cancel was ignored: an attempt is waited for, as above); else the
    error, with a note saying the cancel may still be at work (a proxy's read timeout while
    the job was stopping, say). One that came once the job ended,
    the connection running none, fails on the server (Airbyte looks up job -1: a 500 on the
    Config API, a 409 on the public one; see ``State.stop_current`` in the emulator): the job
    is read, and returned when it reads ended.
    """

    async def sent() -> Job:
        try:
            return await send()
        except AirbyteError as e:
            uncertain = is_ambiguous(e)
            if isinstance(e, ServerError | ConflictError) or uncertain:
                now = await _read_after_failure(read)
                if now is not None and now.status.is_terminal:
                    return now
                if now is not None and uncertain and now.status in NO_ATTEMPT_RUNS:
                    return now  # Airbyte ignored it, as it does any while no attempt runs
            if uncertain:
                e.add_note(_UNCERTAIN_CANCEL.format(job_id=job_id))
            raise

    answer = await resent_after_read(sent, read, _ended, tries=tries)
    answered, pause, resent = time.monotonic(), _HEARD_FIRST_PAUSE, 0
    while not answer.status.is_terminal:
        unheard = answer.status not in NO_ATTEMPT_RUNS  # an attempt ran as it was answered
        if unheard and resent == _UNHEARD_RESENDS:
            return answer
        await anyio.sleep(pause)
        pause = min(2 * pause, _HEARD_MAX_PAUSE)
        now = await read()
        if now.status.is_terminal:
            return now
        if now.status in NO_ATTEMPT_RUNS:
            answer = now  # no attempt runs (any more): wait for one
        elif not unheard or time.monotonic() - answered >= _UNHEARD_AFTER:
            resent += unheard
            answer = await resent_after_read(sent, read, _ended, tries=tries)
            answered, pause = time.monotonic(), _HEARD_FIRST_PAUSE
    return answer


_UNCERTAIN_CANCEL = (
    "the cancel of job {job_id} may have reached the server, which may be stopping the job: "
    "read the job before cancelling again (a cancel stops whatever job its connection runs "
    "then, maybe a newer one)"
)


def _ended(job: Job) -> bool:
    return job.status.is_terminal


E = TypeVar("E", bound=enum.Enum)

_ORDER = {
    "created_at": (w.OrderField.CREATED_AT, w.OrderMethod.ASC),
    "-created_at": (w.OrderField.CREATED_AT, w.OrderMethod.DESC),
    "updated_at": (w.OrderField.UPDATED_AT, w.OrderMethod.ASC),
    "-updated_at": (w.OrderField.UPDATED_AT, w.OrderMethod.DESC),
}
#: Newest created first: every server's order when none is sent.
_DEFAULT_ORDER = "-created_at"


@attrs.frozen
class Jobs:
    """
    Jobs: get, list, cancel, read their logs, and wait for one to finish.

    List filters are sent only when given. 0.40 servers know none of them (only *connection_id*,
    which is always sent because 0.40 requires it) and answer every job: :meth:`list` applies
    *statuses*, *created_after* and *updated_after* to what comes back as well, so they hold on
    every version, while :meth:`list_page` gives the page as the server sent it. *order_by* is
    ``"created_at"``, ``"updated_at"``, or either with a leading ``-`` for descending; servers
    default to newest created first, and 0.40 always does; 0.50 answers 500 to any other order
    a page asks for (:meth:`list` and :meth:`list_for_workspaces` sort here instead). Times
    must be timezone-aware.
    """

    _request: Request
    #: The tries of a cancel refused before Airbyte acted (see :meth:`cancel`), asked at each
    #: cancel: the client's ``retry.attempts`` (:data:`~airbyte_async._retry.RESEND_TRIES`
    #: for a resource made on its own).
    _cancel_tries: Callable[[], int] = attrs.field(
        default=lambda: RESEND_TRIES, kw_only=True, eq=False, repr=False
    )
    #: What this client learned of the server's job types (see :meth:`_page`), shared with
    #: the other resources that list jobs.
    types: JobTypesKnown = attrs.field(
        factory=lambda: JobTypesKnown(), kw_only=True, eq=False, repr=False
    )
    #: The warnings of every :meth:`wait` on this client's jobs: one outage, one story.
    _waits: OutageLog = attrs.field(
        init=False,
        factory=lambda: OutageLog("reading the jobs waited on", ("read", "reads"), logger=log),
        eq=False,
        repr=False,
    )

    async def get(self, *, job_id: int) -> Job:
        """
        The job *job_id* with its attempts and their logs. Raises
        :class:`~airbyte_async.errors.NotFoundError` for a job that does not exist, on every
        version (see :meth:`_read`).
        """
        return await self._read("jobs/get", job_id)

    async def logs(self, *, job_id: int, attempt: int | None = None) -> tuple[str, ...]:
        """
        The log of one attempt of the job as text lines: the last attempt, or the one numbered
        *attempt* (the server's attempt id, from 0).

        Works with both log formats: formatted ``logLines`` come as they are, structured
        ``events`` (recent servers) one line each (see
        :attr:`~airbyte_async.models.AttemptLogs.lines`). Empty while the job has no attempt or
        when the server sent no logs. Raises :class:`~airbyte_async.errors.NoMatchError` when
        the job has no attempt *attempt*. For the structured events themselves, read
        ``(await jobs.get(job_id=...)).attempt(n).logs``.
        """
        if attempt is not None:
            whole("attempt", attempt, minimum=0)
        chosen = (await self.get(job_id=job_id)).attempt(attempt)
        logs = chosen.logs if chosen is not None else None
        return logs.lines if logs is not None else ()

    async def get_light(self, *, job_id: int) -> Job:
        """The job *job_id* without attempts (``attempts_reported`` False): cheap enough to
        poll."""
        job = await self._read("jobs/get_light", job_id)
        return job if job.attempts else attrs.evolve(job, attempts_reported=False)

    async def _read(self, route: str, job_id: int) -> Job:
        """
        The job read by *route*. Servers answer the read of a job that does not exist with a
        500 (API-FACTS 6.2; on 2.x a bare ``{errorId}``): after the call's retries, a listing
        says whether the job exists, and :class:`~airbyte_async.errors.NotFoundError` is
        raised when it does not.
        """
        try:
            read = call(self._request, route, w.JobIdBody(id=job_id), Job, idempotent=True)
            return await named("job", job_id, read)
        except ServerError as e:
            # Only the read's own 500: not a 502 of a proxy, nor a health probe's error.
            if e.route == route and e.status == 500 and await self._missing(job_id, e):
                raise NotFoundError(e.status, f"there is no job {job_id}", route=route) from e
            raise

    async def cancel(self, *, job_id: int, unless_ended: bool = True) -> Job:
        """
        Cancel the job if it still runs; returns it as the server re-read it, or as it ended.

        Airbyte cancels the connection's *current* job, whatever id is sent (API-FACTS 6.3b):
        the id of a job that ended would stop the connection's next sync. So the job is read
        first (``jobs/get_light``; again when its answer took over a second, as old as its
        request), and a job that ended is returned as it ended (``jobs/get``) with nothing
        cancelled; only a read that a new job could follow within its round trip is left to
        chance. *unless_ended* False sends the cancel without that read,
        for a caller that has just read the job itself. For the same reason the cancel is not
        replayed after an ambiguous failure: by then the connection may run a newer job; one
        refused before Airbyte acted (a 429) goes again only after a read shows the job still
        running (returned as read if it ended), up to the client's ``retry.attempts`` tries
        (:class:`~airbyte_async.RetryPolicy`, five by default), then raises
        :class:`~airbyte_async.errors.RateLimitError` saying nothing was done.

        Airbyte ignores a cancel while no attempt of the job runs (pending, or on 0.40 between
        two attempts; head cancels a job that waits for capacity before it runs): the call
        then waits for one to run and cancels again (see :func:`cancel_heard`), however long
        the job waits to run; wrap it in :func:`anyio.fail_after` to bound that.
        """
        if (
            unless_ended
            and (await fresh_read(partial(self.get_light, job_id=job_id))).status.is_terminal
        ):
            return await self.get(job_id=job_id)

        async def send() -> Job:
            body = w.JobIdBody(id=job_id)
            return await call(self._request, "jobs/cancel", body, Job, idempotent=False)

        async def read() -> Job:
            light = await self.get_light(job_id=job_id)
            return await self.get(job_id=job_id) if light.status.is_terminal else light

        return await cancel_heard(send, read, job_id=job_id, tries=self._cancel_tries())

    async def wait(self, *, job_id: int, poll_interval: float = 2.0) -> Job:
        """
        Poll until the job is final and return it in full; a failed job is returned, not raised.

        Takes no timeout: wrap the call in :func:`anyio.fail_after` to bound it. The job runs on
        while the server's API is away (a restart, an upgrade): reads that fail on errors that
        may pass (the network, a 5xx that is retried, 429) are tried again, after pauses
        growing to ten seconds (at least what ``Retry-After`` asks), for up to ten minutes
        from the first failure in a row (:class:`~airbyte_async._retry.Outage`); then, and on
        any other error, the error is raised. After the first failed read, each read is one
        request (the pauses are its retries): a wait spends at most a first call's retries of
        the client's retry budget per outage. *poll_interval* is seconds above 0.

        The waits of one client warn together (:class:`~airbyte_async._retry.OutageLog`): at
        the first read that fails, naming its job; at most once a minute while reads fail,
        counting those failed since; and when a read works again. Two hundred jobs waited on
        through a restart make two lines, not two hundred per failed round. When the last wait
        whose reads fail ends before one works (cancelled, or raising), the outage is closed
        with a line at INFO, and the next one is warned of at its start.
        """
        seconds("poll_interval", poll_interval)
        with Outage(warnings=self._waits) as outage:
            while True:
                began = time.monotonic()
                try:
                    with outage.attempt():
                        light = await self.get_light(job_id=job_id)
                        job = await self.get(job_id=job_id) if light.status.is_terminal else None
                except AirbyteError as e:
                    if not is_retryable(e, idempotent=True):
                        raise
                    outage.failed(began, e, about=f"job {job_id}")
                    if outage.over():
                        raise
                    await anyio.sleep(outage.pause())
                    continue
                # Before returning too: the read that finds the job ended may be the one that
                # tells the client's waits the outage is over.
                outage.ended(began)
                if job is not None:
                    return job
                await anyio.sleep(poll_interval)

    async def _page(self, route: str, body: w.JobListBody | w.JobListForWorkspacesBody) -> JobPage:
        """
        One page of a listing. A server older than the ``queued`` status (2.0 and before,
        API-FACTS 3) refuses it in a filter, as one older than ``refresh`` and ``clear`` jobs
        (0.50 and before) refuses those: none of its jobs is so, so the page is asked again
        without them (and is empty when only they were asked for). Such a server is then
        asked for no refresh or clear job again.
        """
        body = self._asked(body)
        if not body.config_types:
            return JobPage(jobs=(), total_count=0)
        try:
            return await call(self._request, route, body, JobPage, idempotent=True)
        except BadRequestError:
            queued = body.statuses is not None and JobStatus.QUEUED in body.statuses
            types = _known_types(body.config_types)
            if not queued and types == body.config_types:
                raise
            if types != body.config_types:
                self.types.refresh = False
        rest = None if body.statuses is None else _known_statuses(body.statuses)
        if not types or rest == ():
            return JobPage(jobs=(), total_count=0)
        without = attrs.evolve(body, statuses=rest, config_types=types)
        return await call(self._request, route, without, JobPage, idempotent=True)

    def _asked(self, body: _Listing) -> _Listing:
        """*body* without the job types the server has shown it lacks (see :meth:`_page`)."""
        if self.types.refresh:
            return body
        return attrs.evolve(body, config_types=_known_types(body.config_types))

    async def _missing(self, job_id: int, error: AirbyteError) -> bool:
        """
        True when the server, answering, lists no job *job_id*: 2.x answers the read of an
        unknown job with a bare 500 (API-FACTS 6.2), which looks like a server in trouble.
        ``includingJobId`` lists nothing for a job that does not exist (spec, JobListRequestBody).
        """
        if not isinstance(error, ServerError):
            return False
        for kinds in (tuple(JobType), _BEFORE_REFRESH):
            body = w.JobIncludingBody(
                config_types=kinds, including_job_id=job_id, pagination=_pagination(1, 0)
            )
            try:
                page = await call(self._request, "jobs/list", body, JobPage, idempotent=True)
            except BadRequestError:
                continue  # 0.50 refuses refresh and clear, names it does not know (6.2)
            except AirbyteError:
                return False  # an old server (configId required), or one really in trouble
            return not page.jobs
        return False

    async def list_page(
        self,
        *,
        connection_id: str,
        job_types: Iterable[JobType] = (JobType.SYNC,),
        statuses: Iterable[JobStatus] | None = None,
        created_after: datetime | None = None,
        updated_after: datetime | None = None,
        page_size: int = DEFAULT_PAGE_SIZE,
        row_offset: int = 0,
        order_by: str | None = None,
    ) -> JobPage:
        """One page of *connection_id*'s jobs, from *row_offset*; ``total_count`` counts all."""
        field, method = _sent_order(order_by)
        body = w.JobListBody(
            config_id=connection_id,
            config_types=_job_types(job_types),
            pagination=_pagination(page_size, row_offset),
            statuses=_statuses(statuses),
            created_at_start=_iso("created_after", created_after),
            updated_at_start=_iso("updated_after", updated_after),
            order_by_field=field,
            order_by_method=method,
        )
        return await named("connection", connection_id, self._page("jobs/list", body))

    def list(
        self,
        *,
        connection_id: str,
        job_types: Iterable[JobType] = (JobType.SYNC,),
        statuses: Iterable[JobStatus] | None = None,
        created_after: datetime | None = None,
        updated_after: datetime | None = None,
        page_size: int = DEFAULT_PAGE_SIZE,
        order_by: str | None = None,
    ) -> AsyncIterator[Job]:
        """
        Every matching job of *connection_id*, page by page (see :meth:`list_page`); the
        filters are checked here too, for servers that ignore them (0.40), and with
        *order_by* (other than newest created first) the jobs are all read in the server's
        order, then put in that one here (0.40 lists newest first whatever is asked, and 0.50
        fails an ordered listing).
        """
        job_types = _job_types(job_types)
        _order(order_by)
        wanted = _Wanted(
            None if statuses is None else frozenset(_statuses(statuses) or ()),
            _epoch("created_after", created_after),
            _epoch("updated_after", updated_after),
        )

        def page(offset: int) -> Awaitable[JobPage]:
            return self.list_page(
                connection_id=connection_id,
                job_types=job_types,
                statuses=statuses,
                created_after=created_after,
                updated_after=updated_after,
                page_size=page_size,
                row_offset=offset,
            )

        jobs = wanted.only(_all_pages(page, page_size))
        return jobs if order_by in (None, _DEFAULT_ORDER) else _sorted(jobs, order_by)

    async def list_for_workspaces_page(
        self,
        *,
        workspace_ids: Iterable[str],
        statuses: Iterable[JobStatus] | None = None,
        updated_at_start: datetime | None = None,
        job_types: Iterable[JobType] = (JobType.SYNC,),
        page_size: int = DEFAULT_PAGE_SIZE,
        row_offset: int = 0,
        order_by: str | None = None,
    ) -> JobPage:
        """
        One page of the jobs of several workspaces (0.50 and later). The server counts only
        this page in ``total_count``: a page shorter than *page_size* is the last.
        """
        field, method = _sent_order(order_by)
        body = w.JobListForWorkspacesBody(
            workspace_ids=_workspace_ids(workspace_ids),
            config_types=_job_types(job_types),
            pagination=_pagination(page_size, row_offset),
            statuses=_statuses(statuses),
            updated_at_start=_iso("updated_at_start", updated_at_start),
            order_by_field=field,
            order_by_method=method,
        )
        return await self._page("jobs/list_for_workspaces", body)

    def list_for_workspaces(
        self,
        *,
        workspace_ids: Iterable[str],
        statuses: Iterable[JobStatus] | None = None,
        updated_at_start: datetime | None = None,
        job_types: Iterable[JobType] = (JobType.SYNC,),
        page_size: int = DEFAULT_PAGE_SIZE,
        order_by: str | None = None,
    ) -> AsyncIterator[Job]:
        """Every matching job of several workspaces, page by page; with *order_by* (other than
        newest created first) all read, then put in that order here."""
        workspace_ids, job_types = _workspace_ids(workspace_ids), _job_types(job_types)
        _order(order_by)

        def page(offset: int) -> Awaitable[JobPage]:
            return self.list_for_workspaces_page(
                workspace_ids=workspace_ids,
                statuses=statuses,
                updated_at_start=updated_at_start,
                job_types=job_types,
                page_size=page_size,
                row_offset=offset,
            )

        # totalJobCount counts the page only on this route (JobHistoryHandler).
        jobs = _all_pages(page, page_size, counted=False)
        return jobs if order_by in (None, _DEFAULT_ORDER) else _sorted(jobs, order_by)

    async def list_changes(
        self,
        *,
        workspace_ids: Iterable[str],
        updated_at_start: datetime,
        statuses: Iterable[JobStatus] | None = None,
        job_types: Iterable[JobType] = (JobType.SYNC,),
        page_size: int = 2000,
        created_at_start: datetime | None = None,
        paging: Paging | None = None,
    ) -> tuple[JobChange, ...]:
        """
        Every job of *workspace_ids* (every workspace when empty, listed first: Airbyte's
        route takes no "every workspace"; 0.50 and later) updated since
        *updated_at_start* (and created since *created_at_start*, when given), newest created
        first (the server's own order: 0.50 fails an ordered listing), all pages, each as a light
        :class:`~airbyte_async._backend.JobChange`: only the jobs a caller asks for in full are
        read into models, so a poll over thousands of jobs stays cheap. A job seen twice while
        paging is kept once, as last seen. With *paging*, a listing that fails keeps the pages
        it read there, and the next one of the same filters resumes at the page that failed
        (see :class:`~airbyte_async._backend.Paging`).
        """
        route = "jobs/list_for_workspaces"
        margin = page_size // 10
        workspace_ids = _workspace_ids(workspace_ids)
        if not workspace_ids:
            # Absent, the server fails (a null it does not check), and [] matches nothing.
            listed = Workspaces(self._request).list()
            workspace_ids = tuple([workspace.workspace_id async for workspace in listed])
            if not workspace_ids:
                return ()
        body = w.JobListForWorkspacesBody(
            workspace_ids=workspace_ids,
            config_types=_job_types(job_types),
            pagination=_pagination(page_size, 0),
            statuses=_statuses(statuses),
            updated_at_start=_iso("updated_at_start", updated_at_start),
            created_at_start=_iso("created_at_start", created_at_start),
        )
        body = self._asked(body)
        if not body.config_types:
            return ()
        paging = Paging() if paging is None else paging
        changes = paging.start((body, page_size))
        while True:
            page = unstructure(attrs.evolve(body, pagination=_pagination(page_size, paging.offset)))
            try:
                data = await self._request(route, page, idempotent=True)
            except BadRequestError:
                # A server before 0.63 refuses refresh and clear jobs (see _page).
                types = _known_types(body.config_types)
                if types == body.config_types:
                    raise
                self.types.refresh = False
                if not types:
                    return ()
                body = attrs.evolve(body, config_types=types)
                changes = paging.start((body, page_size))
                continue
            entries = _light_page(data, route)
            for entry in entries:
                change = _change(entry, route)
                changes.pop(change.id, None)
                paging.read(change)
            # totalJobCount counts this page only, here (JobHistoryHandler): a short page ends.
            if len(entries) < page_size:
                paging.ended()
                return tuple(changes.values())
            # Pages overlap a little: a job that enters the listing while we page (it ended)
            # takes its place by creation, and the jobs after it move down by one.
            paging.offset += len(entries) - margin


_JOB_KEY = "job"
_JOBS_KEY = "jobs"
_ID_KEY, _STATUS_KEY, _UPDATED_KEY, _CONFIG_KEY = (
    wire_name(Job, f) for f in ("id", "status", "updated_at", "config_id")
)


def _light_page(data: Any, route: str) -> list[Any]:
    entries = data.get(_JOBS_KEY) if isinstance(data, dict) else None
    if not isinstance(entries, list):
        raise ResponseValidationError(f"$.{_JOBS_KEY}: expected an array", route=route)
    return entries


_STATUSES = JobStatus._value2member_map_


def _change(entry: Any, route: str) -> JobChange:
    # Runs for every job of every poll: exact class checks, and known statuses by lookup.
    job = entry.get(_JOB_KEY) if entry.__class__ is dict else None
    if job.__class__ is not dict:
        raise ResponseValidationError(
            f"$.{_JOBS_KEY}[].{_JOB_KEY}: expected an object", route=route
        )
    job_id, status, updated = job.get(_ID_KEY), job.get(_STATUS_KEY), job.get(_UPDATED_KEY)
    if not (job_id.__class__ is int and status.__class__ is str and updated.__class__ in _NUMBERS):
        raise ResponseValidationError(
            f"$.{_JOBS_KEY}[].{_JOB_KEY}: expected an id, a status and an update time", route=route
        )
    known = _STATUSES.get(status)
    config_id = job.get(_CONFIG_KEY)
    return JobChange(
        job_id,
        job_status(status) if known is None else known,  # type: ignore[arg-type]
        float(updated),
        partial(_full, entry, route),
        config_id=config_id if config_id.__class__ is str else None,
    )


_NUMBERS = (int, float)


def _full(entry: Any, route: str) -> Job:
    return structure(entry, Job, route=route)


async def _all_pages(
    page: Callable[[int], Awaitable[JobPage]], page_size: int, *, counted: bool = True
) -> AsyncIterator[Job]:
    """Every job of every page; *counted*: the page's total_count counts all matches."""
    # Jobs created while paging shift later pages by one: skip what was already yielded.
    seen: set[int] = set()
    offset = 0
    while True:
        current = await page(offset)
        for job in current.jobs:
            if job.id not in seen:
                seen.add(job.id)
                yield job
        offset += len(current.jobs)
        if len(current.jobs) < page_size or (counted and offset >= current.total_count):
            return


@attrs.frozen
class _Wanted:
    """What :meth:`Jobs.list` asked the server to filter by, checked again on its answer."""

    statuses: frozenset[JobStatus] | None
    created_after: float | None
    updated_after: float | None

    def __call__(self, job: Job) -> bool:
        # Stamps are whole seconds, rounded down: a job stamped in the second a bound falls in
        # may be after it, and is kept, as the server (which compares exact times) keeps it.
        return (
            (self.statuses is None or job.status in self.statuses)
            and (self.created_after is None or job.created_at.timestamp() + 1 > self.created_after)
            and (self.updated_after is None or job.updated_at.timestamp() + 1 > self.updated_after)
        )

    async def only(self, jobs: AsyncIterator[Job]) -> AsyncIterator[Job]:
        async for job in jobs:
            if self(job):
                yield job


def _epoch(name: str, when: datetime | None) -> float | None:
    _iso(name, when)  # the same checks as the request's
    return None if when is None else when.timestamp()


def _job_types(job_types: Iterable[JobType]) -> tuple[JobType, ...]:
    types = _members("job_types", job_types, JobType)
    if not types:
        raise InvalidArgumentError("job_types must name at least one job type")
    return types


def _workspace_ids(values: Iterable[str]) -> tuple[str, ...]:
    """*values* as a tuple; one id given alone (a string) is refused, not read letter by letter."""
    if isinstance(values, str):
        raise InvalidArgumentError(f"workspace_ids must be a list of ids, got one: {values!r}")
    return tuple(values)


def _statuses(statuses: Iterable[JobStatus] | None) -> tuple[JobStatus, ...] | None:
    return None if statuses is None else _members("statuses", statuses, JobStatus)


def _members(name: str, values: Iterable[Any], enum: type[E]) -> tuple[E, ...]:
    """*values* as members of *enum* (their values as strings are taken too)."""
    if isinstance(values, str) or not isinstance(values, Iterable):
        raise InvalidArgumentError(f"{name} must be a list of {enum.__name__}, got {values!r}")
    try:
        return tuple(v if isinstance(v, enum) else enum(v) for v in values)
    except ValueError as e:
        raise InvalidArgumentError(f"{name}: {e}") from None


def _pagination(page_size: int, row_offset: int) -> w.Pagination:
    """A page of the Config API, whose ``Pagination`` fields are Integers (no format: 32 bits)."""
    return w.Pagination(
        page_size=whole("page_size", page_size, minimum=1, maximum=INT_MAX),
        row_offset=whole("row_offset", row_offset, minimum=0, maximum=INT_MAX),
    )


def _iso(name: str, when: datetime | None) -> IsoDateTime | None:
    if when is None:
        return None
    if not isinstance(when, datetime):
        raise InvalidArgumentError(f"{name} must be a datetime, got {when!r}")
    if when.tzinfo is None or when.utcoffset() is None:
        raise InvalidArgumentError(f"{name} must be timezone-aware, got {when.isoformat()}")
    return IsoDateTime(when)


async def _sorted(jobs: AsyncIterator[Job], order_by: str) -> AsyncIterator[Job]:
    """*jobs* in the order *order_by* names (see :data:`_ORDER`), ties by job id."""
    field, method = _order(order_by)
    stamp = "created_at" if field is w.OrderField.CREATED_AT else "updated_at"
    found = [job async for job in jobs]
    found.sort(key=lambda job: (getattr(job, stamp), job.id), reverse=method is w.OrderMethod.DESC)
    for job in found:
        yield job


def _order(order_by: str | None) -> tuple[w.OrderField | None, w.OrderMethod | None]:
    if order_by is None:
        return None, None
    try:
        return _ORDER[order_by]
    except KeyError:
        raise InvalidArgumentError(
            f"order_by must be one of {', '.join(_ORDER)}, got {order_by!r}"
        ) from None


def _sent_order(order_by: str | None) -> tuple[w.OrderField | None, w.OrderMethod | None]:
    """
    The Config API's order fields for *order_by*: none for newest created first, every
    server's default, so that it holds on 0.50 too, whose listings fail on any order field (its
    ``JobHistoryHandler`` passes the enum's constant name, ``UPDATED_AT``, which
    ``DefaultJobPersistence.getJobOrderBy`` does not know: a 500).
    """
    fields = _order(order_by)
    return (None, None) if order_by == _DEFAULT_ORDER else fields
