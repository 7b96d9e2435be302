"""
Triggering a sync exactly once, although the trigger is not idempotent.

Airbyte takes no idempotency key. When a trigger fails in a way that leaves open whether the
server acted (timeout, connection lost, 5xx, a mangled body), triggering again could start a
second sync. Instead the connection's jobs created since just before the attempt are listed:
if one exists, it is the job the lost answer would have named, and it is adopted; only when none
exists is the trigger sent again. A 409 "already running" on that second trigger means the first
one worked after all: the running job is adopted.

"Since just before the attempt" is measured on the server's clock, from the ``Date`` of the
listing's own answer less the time the client has counted since the attempt began: the local
clock's skew cancels out, and ``Date``'s one-second steps only make the window start earlier.
"""

from __future__ import annotations

import logging
import time
from typing import TYPE_CHECKING

from ._retry import never_reached_server
from ._serde import structure
from ._throttle import ServerClock
from .errors import (
    AirbyteError,
    InvalidArgumentError,
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

#: Seconds before the attempt from which a listed job counts as its own: job times are whole
#: seconds (rounded down), and the server's clock is estimated to within a second.
_SKEW = 2.0

#: How many of the connection's newest jobs are looked at.
_PAGE = 10


def is_ambiguous(exc: BaseException) -> bool:
    """True when *exc* leaves open whether the server acted on the request."""
    if never_reached_server(exc):
        return False
    if isinstance(exc, TransportError):
        return exc.maybe_processed
    if isinstance(exc, ServerError):
        return True
    return isinstance(exc, ResponseValidationError) and exc.malformed


async def find_running_job(jobs: Jobs, connection_id: str, job_type: JobType) -> Job | None:
    """The connection's newest job that is not final, if any (works on every server version)."""
    page = await jobs.list_page(connection_id=connection_id, job_types=(job_type,), page_size=_PAGE)
    running = [job for job in page.jobs if not job.status.is_terminal]
    return max(running, key=lambda job: job.id) if running else None


async def _job_since(
    jobs: Jobs, clock: ServerClock, connection_id: str, job_type: JobType, began: float
) -> Job | None:
    """The connection's newest job created since the attempt that began at monotonic *began*."""
    page = await jobs.list_page(connection_id=connection_id, job_types=(job_type,), page_size=_PAGE)
    # After the listing: its answer's Date has just updated the clock.
    since = clock.now() - (time.monotonic() - began) - _SKEW
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
    Call *route* (``connections/sync`` or ``connections/reset``) so that at most one job starts,
    and return that job.

    *clock* is the client's :class:`~airbyte_async._throttle.ServerClock`, which every answer
    (the listing's included) updates. Raises
    :class:`~airbyte_async.errors.SyncAlreadyRunningError` when the *first* attempt finds a job
    already running (the caller decides whether to attach). Raises the trigger's error when it
    is not ambiguous, when the listing that should settle it fails (with a note saying so), and
    when *rounds* ambiguous failures in a row leave no job behind. A 2xx answer that does not
    fit a job proves the job was started: it is looked up, never triggered again.
    """
    if rounds < 1:
        raise InvalidArgumentError(f"rounds must be at least 1, got {rounds!r}")
    body = {"connectionId": connection_id}
    first = True
    # From the first attempt on: a job that attempt created may show up late.
    began = time.monotonic()
    for round_ in range(rounds):
        try:
            data = await request(route, body, idempotent=False)
            return structure(data, Job, route=route)
        except SyncAlreadyRunningError:
            if first:
                raise
            job = await find_running_job(jobs, connection_id, job_type)
            if job is None:
                raise
            log.info("adopted running job %d for %s after an uncertain trigger", job.id, route)
            return job
        except AirbyteError as e:
            # A 2xx with the wrong shape: the job exists, only its description was unreadable.
            started = isinstance(e, ResponseValidationError) and not e.malformed
            if not (started or is_ambiguous(e)):
                raise
            log.info(
                "%s for %s failed uncertainly (%s): looking for its job", route, connection_id, e
            )
            first = False
            job, listing = None, None
            try:
                job = await _job_since(jobs, clock, connection_id, job_type, began)
            except AirbyteError as err:
                listing = err
            if listing is not None:
                # Unsettled: triggering again could start a second sync.
                e.add_note(f"could not check whether it started a job: {listing}")
                raise
            if job is not None:
                log.info("adopted job %d created by the uncertain %s", job.id, route)
                return job
            if started or round_ == rounds - 1:
                raise
            log.info("no job from the uncertain %s for %s: triggering again", route, connection_id)
    raise AssertionError("unreachable")
