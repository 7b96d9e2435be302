"""
The public REST API behind :class:`~airbyte_async._backend.SyncBackend`.

It is the Config API's backend over the public resources, which carry the differences:

- changed jobs: ``GET /jobs?workspaceIds=…&updatedAtStart=…&orderBy=updatedAt|DESC``, paged by
  ``limit``/``offset`` (:meth:`PublicJobs.list_changes`);
- triggers: ``POST /jobs``, started at most once (:mod:`airbyte_async.resources._reconcile`);
- a connection's recent jobs: ``GET /jobs?connectionId=…&createdAtStart=…`` (here);
- cancel: ``DELETE /jobs/{id}``, which stops the connection's current job whatever id is
  sent (as the Config API's ``jobs/cancel``), so it is sent only for a job just read running
  and never replayed; a 409 comes back as :class:`~airbyte_async.errors.ConflictError`, which
  the orchestrator answers by reading the job again;
- the watcher's listings start *min_interval* seconds apart at least (not the reads of
  :meth:`read_jobs`: a batch given up on reads its jobs at once). The public API pages 100 jobs
  at most and cannot filter final jobs (one status only), and each listing reaches back by the
  watcher's overlap and the server clock's error (about 0.15 s together) before the previous
  one began: at the 300 changes a second of 2,000 syncs of 2 to 5 s, 500 at a time
  (``benchmarks/orchestrate.py --api public``, on the emulator), listings every 0.1 s read
  1.3 pages each, 1.12 requests per job; every 0.25 s, 1.7 pages, 1.08 to 1.09 requests per job
  (within the 1.1 asked for), a freed slot refilled in 0.25 s (0.1 s of it the trigger's own,
  before its job exists); every 0.5 s, 2 pages, 1.07, and 0.38 s. Every 0.2 s, 1.10 to 1.11
  at a trigger latency of 1 s: over the 1.1, so not the default;
- the watcher's suspects' and commit-lag probes' listings (``createdAtStart``, reaching seconds
  back) list each final status by itself when the main listings within their window held many
  rows not final (just after hundreds of syncs started): the first two probes of that
  benchmark read 3 pages each instead of 6.
"""

from __future__ import annotations

import collections
import datetime as dt
import math
import time
from collections.abc import Collection
from typing import ClassVar

import anyio
import attrs

from .._backend import JobChange, JobChanges, Paging
from ..models import Job, JobStatus, JobType
from ..models._jobs import made_by
from ._backend import ConfigBackend
from ._public import MAX_PAGE, PublicJobs

__all__ = ["PublicBackend"]

#: Seconds before the attempt from which a listed job counts as the trigger's own (whole-second
#: stamps, and a server clock known to within a second); the server's filter reaches back twice
#: as far, and the answer's own ``Date`` decides.
_SKEW = 2.0
#: How many of a connection's newest jobs are looked at.
_RECENT = 10
#: The final statuses (:attr:`JobStatus.is_terminal`), which the API filters one at a time.
_FINAL = (JobStatus.SUCCEEDED, JobStatus.FAILED, JobStatus.CANCELLED)
#: Seconds of main listings remembered, by where their windows began (server clock).
_LISTINGS_KEPT = 60.0


@attrs.frozen
class _Mix:
    """What a main listing held: its rows of each final status (as :data:`_FINAL`), the
    others, and where its window began (server clock)."""

    finals: tuple[int, ...]
    others: int
    since: float


@attrs.define
class PublicBackend(ConfigBackend):
    """:class:`~airbyte_async._backend.SyncBackend` over the public API resources."""

    page_size: int = MAX_PAGE
    #: The public API's job is always whole (``PublicJobs.get_light`` is ``get``).
    light_is_whole: ClassVar[bool] = True
    #: Seconds between the starts of two listings, at least (0: none).
    min_interval: float = 0.25
    _last_listing: float = attrs.field(init=False, default=-math.inf)
    #: The main listings (without *created_since*) of the last *_LISTINGS_KEPT* seconds.
    _mixes: collections.deque[_Mix] = attrs.field(init=False, factory=collections.deque)

    async def changed_jobs(
        self,
        *,
        workspace_ids: Collection[str],
        since: dt.datetime,
        final_only: bool = False,
        created_since: dt.datetime | None = None,
        job_types: Collection[JobType] = (JobType.SYNC,),
        paging: Paging | None = None,
    ) -> JobChanges:
        """
        See :meth:`airbyte_async._backend.SyncBackend.changed_jobs`; waits first when the
        previous listing began less than *min_interval* seconds ago (*paging*: see
        :meth:`~airbyte_async.resources._backend.ConfigBackend.read_jobs`; not for the
        listings by status).

        A listing of final jobs with *created_since* (the watcher's suspects and commit-lag
        probes, which reach back seconds) lists each final status by itself, three listings
        at once, when the main listings within its window say that reads fewer pages than
        one listing of every status: just after hundreds of jobs started, few ended.
        """
        wait = self._last_listing + self.min_interval - time.monotonic()
        if wait > 0:
            await anyio.sleep(wait)
        self._last_listing = time.monotonic()
        if final_only and created_since is not None and self._by_status(since.timestamp()):
            return await self._final_by_status(workspace_ids, since, created_since, job_types)
        listed = await super().changed_jobs(
            workspace_ids=workspace_ids,
            since=since,
            created_since=created_since,
            job_types=job_types,
            paging=paging,
        )
        finals = tuple(c for c in listed.changes if c.status.is_terminal)
        if created_since is None:
            mixes = self._mixes
            counts = tuple(sum(c.status == s for c in finals) for s in _FINAL)
            mixes.append(_Mix(counts, len(listed.changes) - len(finals), since.timestamp()))
            while mixes[0].since < mixes[-1].since - _LISTINGS_KEPT:
                mixes.popleft()
        return JobChanges(finals, listed.started) if final_only else listed

    def _by_status(self, since: float) -> bool:
        """
        Whether a listing from *since* would read fewer pages by final status than of every
        status, judged by the main listings within it: it holds as many rows not final as
        the most any of them held, at least, and about as many final rows as they all did
        (their windows overlap a little: more, if anything, which leans to every status).
        """
        within = [mix for mix in self._mixes if mix.since >= since]
        if not within:
            return False
        size = min(self.page_size, MAX_PAGE)
        finals = [sum(mix.finals[i] for mix in within) for i in range(len(_FINAL))]
        whole = sum(finals) + max(mix.others for mix in within)
        return whole // size + 1 > sum(n // size + 1 for n in finals)

    async def _final_by_status(
        self,
        workspace_ids: Collection[str],
        since: dt.datetime,
        created_since: dt.datetime,
        job_types: Collection[JobType],
    ) -> JobChanges:
        started = self.connections.clock.now()
        lists: list[tuple[JobChange, ...]] = []

        async def list_one(status: JobStatus) -> None:
            lists.append(
                await self.jobs.list_changes(
                    workspace_ids=sorted(workspace_ids),
                    updated_at_start=since,
                    statuses=(status,),
                    page_size=self.page_size,
                    created_at_start=created_since,
                    job_types=job_types,
                )
            )

        async with anyio.create_task_group() as tg:
            for status in _FINAL:
                tg.start_soon(list_one, status)
        # A final job changes no more: it is in one list only.
        changes = sorted((c for one in lists for c in one), key=lambda c: c.updated_at)
        return JobChanges(tuple(changes), started)

    async def cancel(self, *, job_id: int) -> Job:
        """See :meth:`SyncBackend.cancel <airbyte_async._backend.SyncBackend.cancel>`; raises
        :class:`~airbyte_async.errors.ConflictError` when the server refuses the cancel."""
        assert isinstance(self.jobs, PublicJobs)
        # The caller reads the rows and bytes back in its own rounds of reads (GiveUp._final),
        # not while it holds one of the cancel slots.
        return await self.jobs.cancel_running(job_id=job_id, read_back=False)

    async def jobs_since(
        self, *, connection_id: str, job_type: JobType = JobType.SYNC, began: float | None = None
    ) -> list[Job]:
        """See :meth:`SyncBackend.jobs_since <airbyte_async._backend.SyncBackend.jobs_since>`."""
        clock = self.connections.clock
        created_after = None
        if began is not None:
            reach = clock.look_now() - (time.monotonic() - began) - 2 * _SKEW
            created_after = dt.datetime.fromtimestamp(reach, dt.UTC)
        page = await self.jobs.list_page(
            connection_id=connection_id,
            job_types=made_by(job_type),
            created_after=created_after,
            page_size=_RECENT,
        )
        newest = sorted(page.jobs, key=lambda job: job.id, reverse=True)
        if began is None:
            return newest
        # After the listing: its answer's Date has just updated the clock, and its stamps
        # bound it (see ServerClock.look_now).
        stamped = max((job.updated_at.timestamp() for job in page.jobs), default=None)
        since = clock.look_now(stamped) - (time.monotonic() - began) - _SKEW
        return [job for job in newest if job.created_at.timestamp() >= since]
