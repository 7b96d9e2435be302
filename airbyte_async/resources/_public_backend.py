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
  before its job exists); every 0.5 s, 2 pages, 1.07, and 0.38 s.
"""

from __future__ import annotations

import datetime as dt
import math
import time
from collections.abc import Collection

import anyio
import attrs

from .._backend import JobChanges
from ..models import Job, JobType
from ._backend import ConfigBackend
from ._public import MAX_PAGE, PublicJobs

__all__ = ["PublicBackend"]

#: Seconds before the attempt from which a listed job counts as the trigger's own (whole-second
#: stamps, and a server clock known to within a second); the server's filter reaches back twice
#: as far, and the answer's own ``Date`` decides.
_SKEW = 2.0
#: How many of a connection's newest jobs are looked at.
_RECENT = 10


@attrs.define
class PublicBackend(ConfigBackend):
    """:class:`~airbyte_async._backend.SyncBackend` over the public API resources."""

    page_size: int = MAX_PAGE
    #: Seconds between the starts of two listings, at least (0: none).
    min_interval: float = 0.25
    _last_listing: float = attrs.field(init=False, default=-math.inf)

    async def changed_jobs(
        self,
        *,
        workspace_ids: Collection[str],
        since: dt.datetime,
        final_only: bool = False,
        created_since: dt.datetime | None = None,
    ) -> JobChanges:
        """See :meth:`airbyte_async._backend.SyncBackend.changed_jobs`; waits first when the
        previous listing began less than *min_interval* seconds ago."""
        wait = self._last_listing + self.min_interval - time.monotonic()
        if wait > 0:
            await anyio.sleep(wait)
        self._last_listing = time.monotonic()
        return await super().changed_jobs(
            workspace_ids=workspace_ids,
            since=since,
            final_only=final_only,
            created_since=created_since,
        )

    async def cancel(self, *, job_id: int) -> Job:
        """See :meth:`SyncBackend.cancel <airbyte_async._backend.SyncBackend.cancel>`; raises
        :class:`~airbyte_async.errors.ConflictError` when the server refuses the cancel."""
        assert isinstance(self.jobs, PublicJobs)
        return await self.jobs.cancel_running(job_id=job_id)

    async def jobs_since(
        self, *, connection_id: str, job_type: JobType = JobType.SYNC, began: float | None = None
    ) -> list[Job]:
        """See :meth:`SyncBackend.jobs_since <airbyte_async._backend.SyncBackend.jobs_since>`."""
        clock = self.connections.clock
        created_after = None
        if began is not None:
            reach = clock.now() - (time.monotonic() - began) - 2 * _SKEW
            created_after = dt.datetime.fromtimestamp(reach, dt.UTC)
        page = await self.jobs.list_page(
            connection_id=connection_id,
            job_types=(job_type,),
            created_after=created_after,
            page_size=_RECENT,
        )
        newest = sorted(page.jobs, key=lambda job: job.id, reverse=True)
        if began is None:
            return newest
        # After the listing: its answer's Date has just updated the clock.
        since = clock.now() - (time.monotonic() - began) - _SKEW
        return [job for job in newest if job.created_at.timestamp() >= since]
