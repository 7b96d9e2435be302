"""
The seam between the orchestration layer and an Airbyte API.

The orchestrator, its job watcher and the abort path need five operations, no more:
trigger, list the jobs that changed, read jobs, cancel, and find a connection's recent jobs;
and the server's clock, which every window on the server's stamps is reckoned in.
:class:`SyncBackend` names them; the Config API resources implement it
(:class:`airbyte_async.resources._backend.ConfigBackend`), and a second API plugs in here.

Times on this seam are the server's: a backend converts its own clock and stamps.
"""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable, Collection, Iterable, Mapping, Sequence
from contextvars import ContextVar
from datetime import datetime
from typing import Protocol

import attrs

from .models import Job, JobStatus, JobType

__all__ = ["TRIGGER_DEADLINE", "JobChange", "JobChanges", "Paging", "SyncBackend", "workspaces_of"]


@attrs.frozen
class JobChange:
    """
    One listed job, projected to what tells whether it matters; :meth:`job` reads the rest.

    *updated_at* is the job's last change in epoch seconds (the server's stamps are whole
    seconds). *config_id* is the id of what the job ran for (a connection's, for a sync), when
    the listing named it. Reading the full job costs a model structuring, so callers do it only
    for the jobs they watch.
    """

    id: int
    status: JobStatus
    updated_at: float
    _read: Callable[[], Job] = attrs.field(repr=False, eq=False)
    config_id: str | None = attrs.field(default=None, kw_only=True)

    def job(self) -> Job:
        """The job in full, as the listing sent it (attempts and their stats included)."""
        return self._read()


@attrs.frozen
class JobChanges:
    """
    The jobs that changed since a time, and *started*: the server's clock (epoch seconds) when
    the listing began, so a job that changed while it was paged is after *started*.
    """

    changes: tuple[JobChange, ...]
    started: float


@attrs.define(eq=False)
class Paging:
    """
    How far a listing of job changes got: the pages read before one failed. Given to the next
    listing of the same filters, it resumes at the page that failed rather than reading every
    page again: under a storm of 429s, which refuses requests one by one (API-FACTS 7), each
    page that passes then counts, where a listing of two pages each refused six times in seven
    passed whole once in fifty tries. Pages read newest change first (the public API's) repeat
    a row a change moved, and never skip one; a row that moves off the pages still to read is
    missed, as in one go. The rows last read on pages of an earlier listing are in
    :attr:`carried`: a job read there may have moved on since (unless it had ended).
    """

    _filters: object = None
    offset: int = 0
    changes: dict[int, JobChange] = attrs.field(factory=dict)
    carried: set[int] = attrs.field(factory=set)

    def start(self, filters: object) -> dict[int, JobChange]:
        """Begin a listing of *filters* (hashable): at :attr:`offset`, with the rows read so
        far, when the previous listing was of the same filters and did not end; else afresh.
        The rows so far, to add the pages' rows to."""
        if filters != self._filters:
            self._filters, self.offset, self.changes = filters, 0, {}
        self.carried = set(self.changes)
        return self.changes

    def read(self, change: JobChange) -> None:
        """A row read on a page of this listing."""
        self.changes[change.id] = change
        self.carried.discard(change.id)

    def ended(self) -> None:
        """The listing read its last page: the next one starts afresh (:attr:`carried` stays
        for the caller)."""
        self._filters, self.offset, self.changes = None, 0, {}


class SyncBackend(Protocol):
    """
    What the orchestration layer asks of an API.

    Every method raises the :mod:`airbyte_async.errors` tree. A backend that cannot list the
    jobs of several workspaces at once raises
    :class:`~airbyte_async.errors.UnsupportedOperationError` from :meth:`changed_jobs`, and the
    watcher reads its jobs with :meth:`read_jobs` instead.
    """

    def server_now(self) -> float | None:
        """
        The server's clock now, in epoch seconds, never ahead of it (it lags by about the
        latency of an answer once one came early in a second of the server's; by up to a
        second more before); None until an answer has told it.
        """
        ...

    async def trigger(self, *, connection_id: str, job_type: JobType = JobType.SYNC) -> Job:
        """
        Start a sync (or a reset, *job_type* ``reset_connection``) and return its job as the
        answer describes it, starting at most one job however the call fails. Raises
        :class:`~airbyte_async.errors.InvalidArgumentError` for another *job_type*, before
        anything is sent; raises
        :class:`~airbyte_async.errors.SyncAlreadyRunningError` when a job was already running,
        or when the sync met a job it did not start (its ``job``, when known). Sends nothing
        more once a :data:`TRIGGER_DEADLINE` set by its caller has passed.
        """
        ...

    async def changed_jobs(
        self,
        *,
        workspace_ids: Collection[str],
        since: datetime,
        final_only: bool = False,
        created_since: datetime | None = None,
        job_types: Collection[JobType] = (JobType.SYNC,),
    ) -> JobChanges:
        """
        Every sync job (every job of *job_types*: ``SYNC_TYPES`` for the refreshes too) of
        *workspace_ids* (every workspace when empty) updated at or after *since*, all pages,
        oldest change first; with *final_only*, final jobs only; with *created_since*, only
        the jobs created at or after it.
        """
        ...

    async def read_jobs(
        self,
        snapshots: Collection[Job],
        *,
        workspace_ids: Collection[str],
        each: bool = False,
        on_read: Callable[[Job], None] | None = None,
        paging: Paging | None = None,
    ) -> Mapping[int, Job]:
        """
        The jobs of *snapshots* as they are now, read in one go where the API allows it, by
        id. *workspace_ids* are where they live; each snapshot's ``updated_at`` bounds the
        search. With *each*, every job is read by itself (for a few old snapshots, where one
        listing would carry every job changed since). A job the server no longer has is
        missing from the answer. *on_read*, if given, sees each job read by itself as soon as
        it is read (one slow read then holds up no other). With *paging*, a listing that
        fails keeps its pages there, and the next call with it resumes (see :class:`Paging`:
        a job in its ``carried`` was read by an earlier call).
        """
        ...

    async def cancel(self, *, job_id: int) -> Job:
        """
        Ask the server to cancel *job_id*, and return the job as the server answers.

        Airbyte cancels the connection's *current* job whatever id is sent, and answers with
        the requested job re-read (API-FACTS 6.3b; the public API's ``DELETE /jobs/{id}`` runs
        the same code): only send the id of a job known to run, and never replay it.
        """
        ...

    async def jobs_since(
        self, *, connection_id: str, job_type: JobType = JobType.SYNC, began: float | None = None
    ) -> list[Job]:
        """
        The connection's newest jobs of *job_type*, newest first. With *began*, a
        :func:`time.monotonic` reading, only those created since that moment, judged by the
        server's clock (a few seconds early, never late).
        """
        ...


def workspaces_of(workspace_ids: Iterable[str | None]) -> set[str]:
    """The workspaces to search for jobs: empty (every workspace) when one is not known."""
    found = set(workspace_ids)
    return set() if None in found else {w for w in found if w is not None}


#: Seconds after an attempt within which a job that ended may have ended before the attempt
#: reached the server: job stamps are whole seconds, and the server's clock is estimated.
_ENDED_MARGIN = 2.0


#: A deadline on the triggers of the task that sets it (the orchestrator's ``sync_timeout``), by
#: :func:`time.monotonic`: no attempt goes after the first moment, and a trigger that may still
#: be acted on then (one held while its job is looked for) is looked for until the second, then
#: given up on, its last error raised (``job_may_exist`` when it may still start a job). A
#: context variable, so that backends and resources take no argument for it; a backend of your
#: own may ignore it.
TRIGGER_DEADLINE: ContextVar[tuple[float, float] | None] = ContextVar(
    "airbyte_async_trigger_deadline", default=None
)


#: Seconds after which a read of a running job is too old to send its cancel on: Airbyte
#: cancels whatever the connection runs (API-FACTS 6.3b), and a read answered late (a loaded
#: server, a proxy) is as old as its request, its job maybe ended and another started since.
STALE_READ = 1.0


async def fresh_read(read: Callable[[], Awaitable[Job]]) -> Job:
    """
    The job *read* returns, read once more when it still ran and the answer took longer than
    :data:`STALE_READ` from the asking: the read a cancel is sent on.
    """
    asked = time.monotonic()
    job = await read()
    if job.status.is_terminal or time.monotonic() - asked <= STALE_READ:
        return job
    return await read()


def own_job(since: Sequence[Job], sent: float) -> Job | None:
    """
    Of *since*, a connection's jobs listed as created since an attempt to trigger one (newest
    first), the one the attempt created, if any did: the oldest. *sent* is when the attempt
    was sent, by the server's clock (epoch seconds). A connection runs one job at a time and a
    trigger that meets a running one is refused (API-FACTS 6.3), so a newer job is someone
    else's, started once the attempt's own ended. The exception is an older job that ended
    within a margin of the attempt: it may have ended before the attempt reached the server,
    and a newer one is taken.
    """
    for job in reversed(since[1:]):
        if not (job.status.is_terminal and job.updated_at.timestamp() < sent + _ENDED_MARGIN):
            return job
    return since[0] if since else None
