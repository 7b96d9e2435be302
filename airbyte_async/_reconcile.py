"""
Triggering a sync exactly once, although the trigger is not idempotent.

Airbyte takes no idempotency key. When a trigger fails in a way that leaves open whether the
server acted (timeout, connection lost, 5xx, a mangled body), triggering again could start a
second sync. Instead the connection's jobs created since just before the attempt are listed:
if one exists, it is the job the lost answer would have named, and it is adopted; only when none
exists is the trigger sent again. A 409 "already running" on that second trigger means the first
one worked after all: the running job is adopted.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from ._retry import never_reached_server
from ._serde import structure
from ._throttle import ServerClock
from .errors import (
    AirbyteError,
    ResponseValidationError,
    ServerError,
    SyncAlreadyRunningError,
    TransportError,
)
from .models import Job, JobType

if TYPE_CHECKING:
    from .resources import Jobs
    from .resources._base import Request

__all__ = ["find_running_job", "is_ambiguous", "trigger_exactly_once"]

log = logging.getLogger("airbyte_async")

#: Seconds before the attempt from which a listed job counts as ours: the server's clock is
#: known to one second, and its timestamps are whole seconds.
_SKEW = 2.0


def is_ambiguous(exc: BaseException) -> bool:
    """True when *exc* leaves open whether the server acted on the request."""
    if isinstance(exc, TransportError):
        return exc.maybe_processed
    if isinstance(exc, ServerError):
        return True
    return isinstance(exc, ResponseValidationError) and exc.malformed


async def find_running_job(jobs: Jobs, connection_id: str, job_type: JobType) -> Job | None:
    """The connection's newest job that is not final, if any (works on every server version)."""
    page = await jobs.list_page(connection_id=connection_id, job_types=(job_type,), page_size=10)
    running = [job for job in page.jobs if not job.status.is_terminal]
    return max(running, key=lambda job: job.id) if running else None


async def _job_since(jobs: Jobs, connection_id: str, job_type: JobType, since: float) -> Job | None:
    page = await jobs.list_page(connection_id=connection_id, job_types=(job_type,), page_size=10)
    mine = [job for job in page.jobs if job.created_at.timestamp() >= since]
    return max(mine, key=lambda job: job.id) if mine else None


async def trigger_exactly_once(
    request: Request,
    jobs: Jobs,
    clock: ServerClock,
    *,
    route: str,
    connection_id: str,
    job_type: JobType,
    rounds: int = 3,
) -> Job:
    """
    Call *route* (``connections/sync`` or ``connections/reset``) so that at most one job starts.

    Raises :class:`~airbyte_async.errors.SyncAlreadyRunningError` when the *first* attempt finds
    a job already running (the caller decides whether to attach), and the last error when
    *rounds* ambiguous failures in a row leave no job behind.
    """
    body = {"connectionId": connection_id}
    first = True
    # From the first attempt on: a job that attempt created may show up late.
    since = clock.now() - _SKEW
    for round_ in range(rounds):
        try:
            data = await request(route, body, idempotent=False)
            return structure(data, Job, route=route)
        except SyncAlreadyRunningError:
            if first:
                raise
            job = await find_running_job(jobs, connection_id, job_type)
            if job is not None:
                log.info("adopted running job %d for %s after an uncertain trigger", job.id, route)
                return job
            raise
        except AirbyteError as e:
            if never_reached_server(e) or not is_ambiguous(e) or round_ == rounds - 1:
                raise
            log.info(
                "%s for %s failed uncertainly (%s): looking for its job", route, connection_id, e
            )
            first = False
            job = await _job_since(jobs, connection_id, job_type, since)
            if job is not None:
                log.info("adopted job %d created by the uncertain %s", job.id, route)
                return job
    raise AssertionError("unreachable")
