"""The Config API behind :class:`~airbyte_async._backend.SyncBackend`: connections and jobs."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Collection, Coroutine, Mapping
from typing import Any, ClassVar

import anyio
import attrs

from .._backend import JobChanges, Paging
from ..errors import (
    AirbyteError,
    InvalidArgumentError,
    NotFoundError,
    UnsupportedOperationError,
)
from ..models import Job, JobStatus, JobType
from ._reconcile import jobs_since
from .connections import Connections
from .jobs import Jobs

__all__ = ["ConfigBackend"]

_FINAL = (JobStatus.CANCELLED, JobStatus.FAILED, JobStatus.SUCCEEDED)
#: Jobs read at once, one request each, where the server cannot list several workspaces.
_READS_IN_FLIGHT = 10


@attrs.define
class ConfigBackend:
    """
    :class:`~airbyte_async._backend.SyncBackend` over the Config API resources.

    On 0.40, which lacks ``jobs/list_for_workspaces``, :meth:`read_jobs` reads each job
    (``jobs/get_light``, then ``jobs/get`` once it is final); the first answer that the route
    is missing is remembered.
    """

    connections: Connections
    jobs: Jobs
    page_size: int = 2000
    _lists_workspaces: bool | None = attrs.field(init=False, default=None)
    #: Whether ``jobs.get_light`` answers the whole job (its rows and bytes): then a job that
    #: ended is not read a second time for them.
    light_is_whole: ClassVar[bool] = False

    def server_now(self) -> float | None:
        """See :meth:`SyncBackend.server_now <airbyte_async._backend.SyncBackend.server_now>`."""
        clock = self.connections.clock
        return clock.now() if clock.observed else None

    def trigger(
        self, *, connection_id: str, job_type: JobType = JobType.SYNC
    ) -> Coroutine[Any, Any, Job]:
        """
        See :meth:`SyncBackend.trigger <airbyte_async._backend.SyncBackend.trigger>`. A
        *job_type* other than a sync or a reset raises
        :class:`~airbyte_async.errors.InvalidArgumentError` before anything is sent, rather
        than start a sync it did not ask for.

        The resource's coroutine itself, awaited by the caller: a coroutine of this method's
        own around it would be one more object for each trigger in flight, and one more frame
        each of its resumptions passes through.
        """
        if job_type == JobType.RESET_CONNECTION:
            return self.connections.reset(connection_id=connection_id)
        if job_type == JobType.SYNC:
            # What connections.sync awaits, without that coroutine around it.
            return self.connections._trigger("connections/sync", connection_id, JobType.SYNC)
        raise InvalidArgumentError(f"a sync backend starts syncs and resets, not {job_type!r}")

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
        """See :meth:`airbyte_async._backend.SyncBackend.changed_jobs`; with *paging*, as
        :meth:`read_jobs` has it."""
        started = self.connections.clock.now()
        try:
            changes = await self.jobs.list_changes(
                workspace_ids=sorted(workspace_ids),
                updated_at_start=since,
                statuses=_FINAL if final_only else None,
                page_size=self.page_size,
                created_at_start=created_since,
                job_types=job_types,
                paging=paging,
            )
        except UnsupportedOperationError:
            if not self._lists_workspaces:
                self._lists_workspaces = False
            raise
        self._lists_workspaces = True
        if changes:
            self.connections.clock.note_listed(max(c.updated_at for c in changes))
        return JobChanges(changes, started)

    async def read_jobs(
        self,
        snapshots: Collection[Job],
        *,
        workspace_ids: Collection[str],
        each: bool = False,
        on_read: Callable[[Job], None] | None = None,
        paging: Paging | None = None,
    ) -> Mapping[int, Job]:
        """See :meth:`SyncBackend.read_jobs <airbyte_async._backend.SyncBackend.read_jobs>`."""
        if not snapshots:
            return {}
        if not each and self._lists_workspaces is not False:
            # Stamps are whole seconds, rounded down: a second earlier covers every snapshot.
            oldest = min(job.updated_at for job in snapshots) - dt.timedelta(seconds=1)
            try:
                # This class's listing, not a subclass's paced one (see PublicBackend).
                listed = await ConfigBackend.changed_jobs(
                    self, workspace_ids=workspace_ids, since=oldest, paging=paging
                )
            except UnsupportedOperationError:
                if self._lists_workspaces:
                    raise
            else:
                wanted = {job.id for job in snapshots}
                found = {c.id: c.job() for c in listed.changes if c.id in wanted}
                # Paging by offset over a listing that changes under it can skip a job (one
                # that moved while pages were read): the few the listing missed, read each.
                missed = [job for job in snapshots if job.id not in found]
                if missed:
                    found |= await self._read_each(missed, on_read)
                return found
        return await self._read_each(snapshots, on_read)

    async def _read_each(
        self, snapshots: Collection[Job], on_read: Callable[[Job], None] | None = None
    ) -> dict[int, Job]:
        """
        Each job by itself, some at once. A job the server does not know is left out, and so
        is one whose read failed, unless every read failed: then the first error is raised, as
        itself (not in a group), for the caller to count a failed poll.
        """
        found: dict[int, Job] = {}
        failed: list[AirbyteError] = []
        limiter = anyio.CapacityLimiter(_READS_IN_FLIGHT)

        async def one(job_id: int) -> None:
            async with limiter:
                try:
                    job = await self.jobs.get_light(job_id=job_id)
                    if job.status.is_terminal and not self.light_is_whole:
                        job = await self.jobs.get(job_id=job_id)
                except NotFoundError:
                    return
                except AirbyteError as e:
                    failed.append(e)
                    return
            found[job_id] = job
            if on_read is not None:
                on_read(job)

        async with anyio.create_task_group() as tg:
            for job in snapshots:
                tg.start_soon(one, job.id)
        if failed and not found:
            raise failed[0]
        return found

    async def cancel(self, *, job_id: int) -> Job:
        """See :meth:`SyncBackend.cancel <airbyte_async._backend.SyncBackend.cancel>`."""
        # The orchestrator reads a job just before it cancels it (see SyncBackend.cancel).
        return await self.jobs.cancel(job_id=job_id, unless_ended=False)

    async def jobs_since(
        self, *, connection_id: str, job_type: JobType = JobType.SYNC, began: float | None = None
    ) -> list[Job]:
        """See :meth:`SyncBackend.jobs_since <airbyte_async._backend.SyncBackend.jobs_since>`."""
        return await jobs_since(self.jobs, self.connections.clock, connection_id, job_type, began)
