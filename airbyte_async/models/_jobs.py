"""
Jobs and their attempts.

One :class:`Job` model reads every shape the server sends for a job: ``JobInfoRead`` (jobs/get,
jobs/cancel, connections/sync and reset), ``JobInfoLightRead`` (jobs/get_light) and the elements
of ``JobReadList.jobs`` (jobs/list). Record and byte counts live in different places on different
servers and routes; :attr:`Job.records_synced` and :attr:`Job.bytes_synced` look in all of them.
"""

from __future__ import annotations

import enum
from collections.abc import Callable, Collection, Iterable
from datetime import UTC, datetime

import attrs

from .._error_base import NoMatchError, UnsupportedOperationError
from .._secrets import masked_text, redacted_repr
from ._common import Deferred, JsonObject, OpenEnum, StreamDescriptor, resolved

__all__ = [
    "Attempt",
    "AttemptLogs",
    "AttemptStats",
    "AttemptStatus",
    "FailureOrigin",
    "FailureReason",
    "FailureSummary",
    "FailureType",
    "Job",
    "JobPage",
    "JobStatus",
    "JobType",
    "LogEvent",
    "RefreshMode",
    "StreamAttemptStats",
    "StreamStats",
    "SynchronousJob",
]


class JobStatus(OpenEnum):
    """
    A job's status. Only ``failed``, ``succeeded`` and ``cancelled`` are final.

    ``queued`` exists on recent servers only. ``incomplete`` means an attempt failed and the job
    may still retry. A value this library does not know is kept and treated as not final.
    """

    PENDING = "pending"
    QUEUED = "queued"
    RUNNING = "running"
    INCOMPLETE = "incomplete"
    FAILED = "failed"
    SUCCEEDED = "succeeded"
    CANCELLED = "cancelled"

    @property
    def is_terminal(self) -> bool:
        """True once the job can no longer change: failed, succeeded or cancelled."""
        return self in _TERMINAL


_TERMINAL = frozenset({JobStatus.FAILED, JobStatus.SUCCEEDED, JobStatus.CANCELLED})


class JobType(OpenEnum):
    """What a job does (the Config API's ``JobConfigType``); refresh and clear are 0.63+."""

    CHECK_CONNECTION_SOURCE = "check_connection_source"
    CHECK_CONNECTION_DESTINATION = "check_connection_destination"
    DISCOVER_SCHEMA = "discover_schema"
    GET_SPEC = "get_spec"
    SYNC = "sync"
    RESET_CONNECTION = "reset_connection"
    REFRESH = "refresh"
    CLEAR = "clear"


class RefreshMode(enum.StrEnum):
    """
    How a refresh (``connections.refresh``) reloads its streams (the Config API's
    ``RefreshMode``): *truncate* drops the data loaded so far once the new copy is in, *merge*
    keeps it and loads the new copy beside it (deduplicated streams dedupe it away).
    """

    TRUNCATE = "Truncate"
    MERGE = "Merge"


_CONNECTION_JOBS = frozenset(
    {JobType.SYNC, JobType.RESET_CONNECTION, JobType.REFRESH, JobType.CLEAR}
)

#: The job types a sync trigger makes: a sync, or a refresh while streams of the connection
#: wait for one (``connections/refresh``, or a schema change), whatever the trigger asked
#: for (airbytehq/airbyte-platform ``SchedulerHandler.createJob``; a refresh is a sync that
#: first resets the streams it refreshes, one of ``SYNC_REPLICATION_TYPES``).
SYNC_TYPES = (JobType.SYNC, JobType.REFRESH)


def made_by(job_type: JobType) -> tuple[JobType, ...]:
    """The job types a trigger of *job_type* makes (see :data:`SYNC_TYPES`)."""
    return SYNC_TYPES if job_type is JobType.SYNC else (job_type,)


class AttemptStatus(OpenEnum):
    """An attempt's status."""

    RUNNING = "running"
    FAILED = "failed"
    SUCCEEDED = "succeeded"


class FailureOrigin(OpenEnum):
    """Which part of the pipeline a failure came from."""

    SOURCE = "source"
    DESTINATION = "destination"
    REPLICATION = "replication"
    PERSISTENCE = "persistence"
    NORMALIZATION = "normalization"
    DBT = "dbt"
    AIRBYTE_PLATFORM = "airbyte_platform"
    UNKNOWN_ORIGIN = "unknown"


class FailureType(OpenEnum):
    """What kind of failure it was."""

    CONFIG_ERROR = "config_error"
    SYSTEM_ERROR = "system_error"
    MANUAL_CANCELLATION = "manual_cancellation"
    REFRESH_SCHEMA = "refresh_schema"
    HEARTBEAT_TIMEOUT = "heartbeat_timeout"
    DESTINATION_TIMEOUT = "destination_timeout"
    TRANSIENT_ERROR = "transient_error"


@attrs.frozen(kw_only=True)
class FailureReason:
    """
    One failure of an attempt or check.

    *timestamp* is kept as sent: Airbyte fills it in epoch milliseconds, unlike every other time.
    ``repr`` and :meth:`describe` show the messages with the password of any URL and the
    secret-keyed parameters they quote masked: a connector's failure quotes its configuration.
    The failure of a check or a discovery holds its messages so masked; any other, as sent.
    """

    failure_origin: FailureOrigin | None = None
    failure_type: FailureType | None = None
    external_message: str | None = attrs.field(default=None, repr=redacted_repr)
    internal_message: str | None = attrs.field(default=None, repr=redacted_repr)
    stacktrace: str | None = attrs.field(default=None, repr=False)
    retryable: bool | None = None
    timestamp: int | None = None
    from_trace_message: bool | None = None
    stream_descriptor: StreamDescriptor | None = None

    def describe(self) -> str:
        """``"origin/type: message"``, with whatever of those the server gave, its secrets
        masked (see the class)."""
        message = masked_text(self.external_message or self.internal_message or "no message")
        kind = "/".join(str(p) for p in (self.failure_origin, self.failure_type) if p is not None)
        return f"{kind}: {message}" if kind else message

    def _hiding(self, secrets: Collection[str]) -> FailureReason:
        """This failure with each of *secrets* its texts quote masked, and what
        :func:`~airbyte_async._secrets.masked_text` masks in any message."""
        return attrs.evolve(
            self,
            external_message=_masked(self.external_message, secrets),
            internal_message=_masked(self.internal_message, secrets),
            stacktrace=_masked(self.stacktrace, secrets),
        )


def _masked(text: str | None, secrets: Collection[str]) -> str | None:
    return None if text is None else masked_text(text, secrets)


@attrs.frozen(kw_only=True)
class FailureSummary:
    """The failures of one attempt (``AttemptFailureSummary``)."""

    failures: tuple[FailureReason, ...] = ()
    partial_success: bool | None = None


@attrs.frozen(kw_only=True)
class AttemptStats:
    """
    Counters of an attempt (``AttemptStats``), also used for a job's ``aggregatedStats``.

    Every counter may be missing: servers fill them at different times and 0.40 has no
    *bytes_committed*.
    """

    records_emitted: int | None = None
    bytes_emitted: int | None = None
    records_committed: int | None = None
    bytes_committed: int | None = None
    records_rejected: int | None = None
    state_messages_emitted: int | None = None
    estimated_records: int | None = None
    estimated_bytes: int | None = None


@attrs.frozen(kw_only=True)
class StreamAttemptStats:
    """One stream's counters within an attempt (``AttemptStreamStats``)."""

    stream_name: str
    stream_namespace: str | None = None
    stats: AttemptStats = AttemptStats()


@attrs.frozen(kw_only=True)
class StreamStats:
    """One stream's counters over a whole job (``StreamStats``, 0.50 and later)."""

    stream_name: str
    stream_namespace: str | None = None
    records_emitted: int | None = None
    bytes_emitted: int | None = None
    records_committed: int | None = None
    bytes_committed: int | None = None
    records_rejected: int | None = None
    was_backfilled: bool | None = None
    was_resumed: bool | None = None


@attrs.frozen(kw_only=True)
class LogEvent:
    """One structured log event (recent servers); *timestamp* is epoch milliseconds as sent."""

    timestamp: int
    message: str
    level: str
    log_source: str
    stack_trace: str | None = attrs.field(default=None, repr=False)
    caller: JsonObject | None = attrs.field(default=None, repr=False, hash=False)

    @property
    def time(self) -> datetime:
        """:attr:`timestamp` as an aware UTC datetime."""
        return datetime.fromtimestamp(self.timestamp / 1000, UTC)

    @property
    def line(self) -> str:
        """
        The event as one text line, like the formatted logs of older servers:
        ``"2026-08-21 10:00:00 INFO replication-orchestrator: Starting replication"``.
        """
        stamp = self.time.strftime("%Y-%m-%d %H:%M:%S")
        return f"{stamp} {self.level.upper()} {self.log_source}: {self.message}"


@attrs.frozen(kw_only=True)
class AttemptLogs:
    """
    An attempt's logs as the server sent them.

    Servers up to 1.x send formatted *lines*; recent ones may send structured *events* instead.
    *log_type* is ``"formatted"`` or ``"structured"`` where the server says.
    """

    log_lines: tuple[str, ...] = attrs.field(default=(), repr=False)
    events: tuple[LogEvent, ...] = attrs.field(default=(), repr=False)
    version: str | None = None
    log_type: str | None = None

    @property
    def lines(self) -> tuple[str, ...]:
        """
        The log as text lines, whichever format the server used: its formatted lines as they
        are, or each structured event as :attr:`LogEvent.line` followed by the lines of its
        stack trace, if it has one.
        """
        if self.log_lines or not self.events:
            return self.log_lines
        lines: list[str] = []
        for event in self.events:
            lines.append(event.line)
            if event.stack_trace:
                lines.extend(event.stack_trace.splitlines())
        return tuple(lines)


def _resolved_or_none(logs: AttemptLogs | Deferred[AttemptLogs] | None) -> AttemptLogs | None:
    return None if logs is None else resolved(logs)


@attrs.frozen(kw_only=True)
class Attempt:
    """
    One attempt of a job (``AttemptRead``); *id* is the attempt number within the job.

    :attr:`logs` is set only where the route returns them (jobs/get), and read on first use.
    """

    id: int
    status: AttemptStatus
    created_at: datetime
    updated_at: datetime
    ended_at: datetime | None = None
    records_synced: int | None = None
    bytes_synced: int | None = None
    total_stats: AttemptStats | None = None
    _stream_stats: tuple[StreamAttemptStats, ...] | Deferred[tuple[StreamAttemptStats, ...]] = (
        attrs.field(alias="stream_stats", default=(), repr=False, eq=resolved)
    )
    failure_summary: FailureSummary | None = None
    _logs: AttemptLogs | Deferred[AttemptLogs] | None = attrs.field(
        alias="logs", default=None, repr=False, eq=_resolved_or_none
    )

    @property
    def logs(self) -> AttemptLogs | None:
        """The attempt's logs, read from the answer on first use."""
        return _resolved_or_none(self._logs)

    @property
    def stream_stats(self) -> tuple[StreamAttemptStats, ...]:
        """Each stream's counters in this attempt, read from the answer on first use."""
        return resolved(self._stream_stats)

    @property
    def failures(self) -> tuple[FailureReason, ...]:
        """What went wrong in this attempt, as the server summed it up; empty if nothing did."""
        return self.failure_summary.failures if self.failure_summary is not None else ()

    @property
    def records(self) -> int | None:
        """Records this attempt moved: committed, else synced, else emitted; None if unknown."""
        return _first_count(
            self, lambda s: s.records_committed, "records_synced", "records_emitted"
        )

    @property
    def bytes(self) -> int | None:
        """Bytes this attempt moved: committed, else synced, else emitted; None if unknown."""
        return _first_count(self, lambda s: s.bytes_committed, "bytes_synced", "bytes_emitted")


def _first_count(
    attempt: Attempt, committed: Callable[[AttemptStats], int | None], synced: str, emitted: str
) -> int | None:
    stats = attempt.total_stats
    if stats is not None and committed(stats) is not None:
        return committed(stats)
    value: int | None = getattr(attempt, synced)
    if value is not None:
        return value
    return getattr(stats, emitted) if stats is not None else None


@attrs.frozen(kw_only=True)
class Job:
    """
    A job with its attempts (``JobRead`` plus attempts, from any job route).

    *config_id* is the connection id for sync, reset, refresh and clear jobs
    (:attr:`connection_id`). *aggregated_stats* is filled by jobs/list on 0.50 and later, never by
    jobs/get. Per-stream details are read on first use, so polling stays cheap. A failed job is a
    value like any other: check :attr:`status`.
    """

    id: int
    job_type: JobType
    config_id: str
    status: JobStatus
    created_at: datetime
    updated_at: datetime
    started_at: datetime | None = None
    attempts: tuple[Attempt, ...] = ()
    #: False when the answer that read the job reports no attempts (the public API's
    #: ``JobResponse``, the Config API's ``jobs/get_light``): *attempts* is then empty however
    #: many the job made.
    attempts_reported: bool = True
    aggregated_stats: AttemptStats | None = None
    _stream_aggregated_stats: tuple[StreamStats, ...] | Deferred[tuple[StreamStats, ...]] = (
        attrs.field(alias="stream_aggregated_stats", default=(), repr=False, eq=resolved)
    )
    _enabled_streams: tuple[StreamDescriptor, ...] | Deferred[tuple[StreamDescriptor, ...]] = (
        attrs.field(alias="enabled_streams", default=(), repr=False, eq=resolved)
    )

    @property
    def stream_aggregated_stats(self) -> tuple[StreamStats, ...]:
        """Each stream's counters over the job (jobs/list on 0.50+), read on first use."""
        return resolved(self._stream_aggregated_stats)

    @property
    def enabled_streams(self) -> tuple[StreamDescriptor, ...]:
        """The streams this job syncs (0.50+), read on first use."""
        return resolved(self._enabled_streams)

    @property
    def connection_id(self) -> str | None:
        """The connection this job belongs to; None for check, discover and spec jobs."""
        return self.config_id if self.job_type in _CONNECTION_JOBS else None

    @property
    def records_synced(self) -> int | None:
        """
        Records the job moved, from wherever this server and route put them.

        ``aggregatedStats.recordsCommitted`` when present, else the attempts' counts summed
        (each attempt: committed, else ``recordsSynced``, else emitted); None when nothing says.
        """
        if (
            self.aggregated_stats is not None
            and self.aggregated_stats.records_committed is not None
        ):
            return self.aggregated_stats.records_committed
        return _sum_known(a.records for a in self.attempts)

    @property
    def bytes_synced(self) -> int | None:
        """Bytes the job moved; looked up like :attr:`records_synced`."""
        if self.aggregated_stats is not None and self.aggregated_stats.bytes_committed is not None:
            return self.aggregated_stats.bytes_committed
        return _sum_known(a.bytes for a in self.attempts)

    @property
    def failure(self) -> FailureReason | None:
        """The first failure of the last attempt that reported any; None for a succeeded job."""
        if self.status is JobStatus.SUCCEEDED:
            return None
        for attempt in reversed(self.attempts):
            summary = attempt.failure_summary
            if summary is not None and summary.failures:
                return summary.failures[0]
        return None

    @property
    def failure_reason(self) -> str | None:
        """:attr:`failure` as ``"origin/type: message"``; None when there is none."""
        failure = self.failure
        return failure.describe() if failure is not None else None

    def attempt(self, number: int | None = None) -> Attempt | None:
        """
        The attempt numbered *number* (the server's attempt id, from 0), or the last one when
        *number* is None; None when the job has no attempt yet, or its read reported none.

        Raises :class:`~airbyte_async.errors.NoMatchError` naming the attempts there are when
        there is no attempt *number*, and
        :class:`~airbyte_async.errors.UnsupportedOperationError` for a *number* when the read
        reported no attempts (:attr:`attempts_reported` False).
        """
        if number is None:
            return self.attempts[-1] if self.attempts else None
        if not self.attempts_reported:
            raise UnsupportedOperationError(
                f"job {self.id}'s attempts are not known here: the public API reports none, "
                "nor does the Config API's jobs/get_light; read the job with jobs.get on the "
                "Config API (api='config'; --api config)"
            )
        for attempt in self.attempts:
            if attempt.id == number:
                return attempt
        there = ", ".join(str(a.id) for a in self.attempts) or "none yet"
        raise NoMatchError(
            f"job {self.id} has no attempt {number} (attempts: {there})",
            candidates=[str(a.id) for a in self.attempts],
        )

    def describe_failures(self) -> tuple[str, ...]:
        """
        Every failure of every attempt, one readable line each, oldest attempt first:
        ``"attempt 1: source/config_error: Could not connect (stream public.orders)"``.

        Only routes that return attempts (jobs/get, jobs/list) carry failures; a job read from
        jobs/get_light describes none.
        """
        lines = []
        for attempt in self.attempts:
            for failure in attempt.failures:
                stream = failure.stream_descriptor
                where = ""
                if stream is not None:
                    name = f"{stream.namespace}.{stream.name}" if stream.namespace else stream.name
                    where = f" (stream {name})"
                lines.append(f"attempt {attempt.id}: {failure.describe()}{where}")
        return tuple(lines)

    @property
    def ended_at(self) -> datetime | None:
        """When a final job ended: its last attempt's end, else its last update; else None."""
        if not self.status.is_terminal:
            return None
        if self.attempts and self.attempts[-1].ended_at is not None:
            return self.attempts[-1].ended_at
        return self.updated_at


def _sum_known(values: Iterable[int | None]) -> int | None:
    known = [v for v in values if v is not None]
    return sum(known) if known else None


@attrs.frozen(kw_only=True)
class JobPage:
    """
    One page of a jobs list. On ``jobs/list`` *total_count* counts all matching jobs,
    ignoring paging; ``jobs/list_for_workspaces`` counts only the page (as Airbyte does). The
    public API counts no total: there it is the rows up to this page's end, plus one when
    another page may follow, so compare it with the offset and the page, not with a count.
    """

    jobs: tuple[Job, ...]
    total_count: int


@attrs.frozen(kw_only=True)
class SynchronousJob:
    """
    The short-lived job behind a check, a discovery or a spec fetch (``SynchronousJobRead``).

    *id* is a UUID string here, not a number.
    """

    id: str
    config_type: JobType
    succeeded: bool
    created_at: datetime
    ended_at: datetime
    config_id: str | None = None
    connector_configuration_updated: bool | None = None
    failure_reason: FailureReason | None = None
    _logs: AttemptLogs | Deferred[AttemptLogs] | None = attrs.field(
        alias="logs", default=None, repr=False, eq=_resolved_or_none
    )

    @property
    def logs(self) -> AttemptLogs | None:
        """The job's logs, read from the answer on first use."""
        return _resolved_or_none(self._logs)

    def _hiding(self, secrets: Collection[str]) -> SynchronousJob:
        """This job with its failure's texts hidden as :meth:`FailureReason._hiding` does."""
        if self.failure_reason is None:
            return self
        return attrs.evolve(self, failure_reason=self.failure_reason._hiding(secrets))
