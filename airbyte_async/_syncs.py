"""
One connection's sync in a batch: what is synced (:class:`SyncTarget`), its job or trigger in
flight (:class:`Flight`, :class:`Triggering`), and how it ended (:class:`Outcome`,
:class:`SyncResult`): what the orchestrator and its give-up (:mod:`airbyte_async._giveup`)
share. The public names' import path is :mod:`airbyte_async.orchestrator`.
"""

from __future__ import annotations

import datetime as dt
import enum
from collections.abc import Iterable
from typing import Any

import anyio
import attrs

from ._backend import workspaces_of
from .errors import AirbyteError
from .models import Job, JobStatus

__all__ = [
    "Flight",
    "Outcome",
    "SyncResult",
    "SyncTarget",
    "Triggering",
    "from_job",
    "sync_result",
    "target_workspaces",
]


class Outcome(enum.StrEnum):
    """How one connection's sync ended, as far as the batch is concerned."""

    SUCCEEDED = "succeeded"
    FAILED = "failed"
    CANCELLED = "cancelled"
    TIMED_OUT = "timed_out"
    ALREADY_RUNNING = "already_running"
    ERROR = "error"


_OUTCOME_OF = {
    JobStatus.SUCCEEDED: Outcome.SUCCEEDED,
    JobStatus.FAILED: Outcome.FAILED,
    JobStatus.CANCELLED: Outcome.CANCELLED,
}


@attrs.frozen
class SyncTarget:
    """A connection to sync, with what the batch needs to know of it."""

    connection_id: str
    name: str | None = None
    workspace_id: str | None = None


@attrs.frozen
class SyncResult:
    """
    The end of one connection's sync in a batch.

    *job_id* is None when no job was triggered or adopted. *attached* is True when the job was
    already there and followed rather than started (a 409, or a job the trigger met,
    ``on_running=attach``); *adopted*
    when it was a job created since the batch's ``adopt_since``, taken on with no trigger sent
    (a previous try's); *cancel_requested* when the batch asked Airbyte to cancel it. Times come
    from the job (the server's clock) when there is one.
    """

    connection_id: str
    outcome: Outcome
    connection_name: str | None = None
    job_id: int | None = None
    status: JobStatus | None = None
    records_synced: int | None = None
    bytes_synced: int | None = None
    #: The attempts the job made; None when the API does not say (the public API).
    attempts: int | None = 0
    started_at: dt.datetime | None = None
    ended_at: dt.datetime | None = None
    failure_reason: str | None = None
    error: str | None = None
    attached: bool = False
    adopted: bool = False
    cancel_requested: bool = False
    #: The last lines of the failed attempt's log, when the batch was asked for them.
    log_tail: tuple[str, ...] = ()
    #: True when a sync may still be running on Airbyte for this connection: the batch let go
    #: of its job before seeing it end (an attached or skipped job, ``cancel_on_abort=False``,
    #: a cancel not made in time), or of a trigger cut short whose job it did not find. The
    #: outcome says why the batch let go (``cancelled``: the batch was).
    left_running: bool = False
    #: A job this batch's own trigger started that was a second sync of *job_id* (a previous
    #: try's, adopted: see ``adopt_since``), and that the batch cancelled; *error* says so
    #: when the cancel did not stop it (it ended first, or may still run).
    duplicate_job_id: int | None = None
    #: A newer job on the connection, not this batch's, that the batch's cancel of *job_id*
    #: stopped (as far as the server's stamps tell): *job_id* had ended by the time the
    #: cancel reached Airbyte, which cancels whatever job the connection runs. Trigger it
    #: again if it was needed.
    cancelled_other_job_id: int | None = None

    @property
    def ok(self) -> bool:
        """True when the sync succeeded."""
        return self.outcome is Outcome.SUCCEEDED

    @property
    def duration(self) -> dt.timedelta | None:
        """From the job's creation to its end, when both are known."""
        if self.started_at is None or self.ended_at is None:
            return None
        return self.ended_at - self.started_at

    def to_json(self) -> dict[str, Any]:
        """A flat JSON-ready dict (the CLI's ``--json`` lines)."""
        duration = self.duration
        return {
            "connection_id": self.connection_id,
            "connection_name": self.connection_name,
            "job_id": self.job_id,
            "outcome": self.outcome.value,
            "ok": self.ok,
            "status": self.status.value if self.status is not None else None,
            "records_synced": self.records_synced,
            "bytes_synced": self.bytes_synced,
            "attempts": self.attempts,
            "started_at": self.started_at.isoformat() if self.started_at else None,
            "ended_at": self.ended_at.isoformat() if self.ended_at else None,
            "duration_s": duration.total_seconds() if duration is not None else None,
            "failure_reason": self.failure_reason,
            "error": self.error,
            "attached": self.attached,
            "adopted": self.adopted,
            "cancel_requested": self.cancel_requested,
            "left_running": self.left_running,
            "duplicate_job_id": self.duplicate_job_id,
            "cancelled_other_job_id": self.cancelled_other_job_id,
            "log_tail": list(self.log_tail),
        }


@attrs.define(eq=False)
class Flight:
    """
    A sync in progress: the job, and whether this batch started it (or *adopted* it: a
    previous try's, which counts as started by this batch).
    """

    target: SyncTarget
    job: Job
    started_by_us: bool
    adopted: bool = False


@attrs.define(eq=False)
class Triggering:
    """
    A trigger in flight, when it was sent (:func:`time.monotonic`), and the scope it waits
    for its answer in, shielded meanwhile (its worker's, see
    ``Orchestrator._send_trigger``); once it is done, what
    it came to: the job its answer names, the error it was refused with, or None (cut short).
    """

    target: SyncTarget
    began: float
    scope: anyio.CancelScope
    answer: Job | AirbyteError | None = None
    done: bool = False
    #: Made only for a give-up's cleanup that waits for the answer (see heard_out).
    _heard: anyio.Event | None = None

    def finish(self) -> None:
        """Mark the trigger done (its *answer* set, if any) and wake whoever waits for it."""
        self.done = True
        if self._heard is not None:
            self._heard.set()

    async def heard_out(self) -> None:
        """Return once the trigger is done (answered, refused or cut short)."""
        if not self.done:
            if self._heard is None:
                self._heard = anyio.Event()
            await self._heard.wait()


def target_workspaces(targets: Iterable[SyncTarget]) -> set[str]:
    return workspaces_of(t.workspace_id for t in targets)


def sync_result(
    target: SyncTarget,
    outcome: Outcome,
    *,
    job: Job | None = None,
    job_id: int | None = None,
    attached: bool = False,
    adopted: bool = False,
    cancel_requested: bool = False,
    error: str | None = None,
    left_running: bool | None = None,
) -> SyncResult:
    """A result; *left_running* defaults to whether a job is known and not seen ended."""
    if job is None:
        return SyncResult(
            target.connection_id,
            outcome,
            connection_name=target.name,
            job_id=job_id,
            attached=attached,
            adopted=adopted,
            cancel_requested=cancel_requested,
            error=error,
            left_running=job_id is not None if left_running is None else left_running,
        )
    result = attrs.evolve(
        from_job(target, job, attached=attached, adopted=adopted),
        outcome=outcome,
        cancel_requested=cancel_requested,
        error=error,
    )
    return result if left_running is None else attrs.evolve(result, left_running=left_running)


def from_job(target: SyncTarget, job: Job, *, attached: bool, adopted: bool = False) -> SyncResult:
    return SyncResult(
        target.connection_id,
        _OUTCOME_OF.get(job.status, Outcome.ERROR),
        connection_name=target.name,
        job_id=job.id,
        status=job.status,
        records_synced=job.records_synced,
        bytes_synced=job.bytes_synced,
        attempts=len(job.attempts) if job.attempts_reported else None,
        started_at=job.created_at,
        ended_at=job.ended_at,
        failure_reason=job.failure_reason,
        attached=attached,
        adopted=adopted,
        left_running=not job.status.is_terminal,
    )
