"""
The public REST API behind :class:`~airbyte_async._backend.SyncBackend`.

It is the Config API's backend over the public resources, which carry the differences:

- changed jobs: ``GET /jobs?workspaceIds=…&updatedAtStart=…&orderBy=updatedAt|ASC``, paged by
  ``limit``/``offset`` (:meth:`PublicJobs.list_changes`);
- triggers: ``POST /jobs``, started at most once (:mod:`airbyte_async.resources._reconcile`);
- a connection's recent jobs: ``GET /jobs?connectionId=…&createdAtStart=…`` (here);
- cancel: ``DELETE /jobs/{id}``, whose 409 means the job is not running any more: the job is
  read and reported as it ended (:meth:`PublicJobs.cancel`).
"""

from __future__ import annotations

import datetime as dt
import time

import attrs

from ..models import Job, JobType
from ._backend import ConfigBackend
from ._public import MAX_PAGE

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
