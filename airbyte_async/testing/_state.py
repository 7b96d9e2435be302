"""
The emulator's in-memory Airbyte: workspaces, actors, connections, jobs, and the ground truth.

Nothing here knows about HTTP or JSON shapes. A job's whole life (pending, queued, running,
succeeded or failed, and its record counts) is decided when it is created, as wall-clock
instants; its status is computed from the clock when read, so idle jobs cost nothing. Only a
cancellation changes a job afterwards. Invalid operations raise
:class:`~airbyte_async.testing._errors.ApiError` with the status the real server answers.
"""

from __future__ import annotations

import bisect
import heapq
import random
import re
import time
import uuid
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any, Literal, TypeVar

import attrs

from ._catalog import (
    DESTINATION_DEFINITIONS,
    SOURCE_DEFINITIONS,
    ConnectorDefinition,
    StreamTemplate,
    config_errors,
    merge_masked,
)
from ._errors import bad_config, conflict, internal, not_found
from ._schedule import (
    basic_interval,
    cron_schedule,
    next_cron_start,
    next_start,
    rules,
    starts_jobs,
)
from ._versions import since as at_least

__all__ = [
    "CANCELLED",
    "DEFAULT_ORGANIZATION_ID",
    "DEFAULT_USER_ID",
    "Actor",
    "Connection",
    "Counts",
    "Failure",
    "Job",
    "JobQuery",
    "State",
    "SyncPlan",
    "Workspace",
]

#: A row of a listed table (see ``State.scan_order``).
_Row = TypeVar("_Row")

#: The organization and user every OSS deployment has.
DEFAULT_ORGANIZATION_ID = "00000000-0000-0000-0000-000000000000"
DEFAULT_USER_ID = "00000000-0000-0000-0000-000000000000"

#: Seconds a 0.40 job stays ``incomplete`` between two attempts. 0.40 has no backoff: the
#: run that continues from a failure waits for nothing, and creates the next attempt after a
#: few short activities (``Workflow.await`` returns at once ``isFromFailure``). How long
#: those take is this emulator's estimate, as long as its default trigger latency.
HANDOVER_040 = 0.2

#: From 0.50 on, each wait before the next attempt after one that synced nothing is this many
#: times the last (``BackoffPolicy.base``, ``SYNC_JOB_RETRIES_COMPLETE_FAILURES_BACKOFF_BASE``:
#: 3), and at most this many times the first (``maxInterval`` over ``minInterval``: 1,800 s over
#: 10 s), so that the emulator's *retry_backoff* scales the whole series.
BACKOFF_BASE = 3.0
BACKOFF_CAP = 180.0


def backoff_wait(first: float, growth: float, index: int) -> float:
    """
    Seconds between attempt *index* (from 0), failed, and the next: Airbyte's
    ``RetryManager.backoff`` after that many complete failures in a row
    (``BackoffPolicy.getBackoff``: the minimum, *first*, times the base, *growth*, to the power
    of the failures before, clamped to the maximum, :data:`BACKOFF_CAP` times the minimum).
    """
    return min(first * growth**index, first * BACKOFF_CAP)


Outcome = Literal["succeeded", "failed"]


@attrs.frozen
class Workspace:
    """A workspace; *settings* holds the optional WorkspaceRead fields a client set."""

    workspace_id: str
    customer_id: str
    organization_id: str
    name: str
    slug: str
    settings: Mapping[str, Any] = attrs.field(factory=dict)
    initial_setup_complete: bool = True
    tombstone: bool = False


@attrs.frozen
class Actor:
    """A source or a destination, with its configuration as stored (secrets unmasked)."""

    actor_id: str
    workspace_id: str
    definition: ConnectorDefinition
    name: str
    config: Mapping[str, Any]
    created_at: float
    tombstone: bool = False


@attrs.frozen
class Connection:
    """
    A connection. *settings* holds the optional ConnectionRead fields a client set (prefix,
    namespaceFormat, ...), keyed as on the wire.
    """

    connection_id: str
    workspace_id: str
    source_id: str
    destination_id: str
    name: str
    status: str
    sync_catalog: Mapping[str, Any]
    created_at: float
    schedule_type: str = "manual"
    schedule_data: Mapping[str, Any] | None = None
    settings: Mapping[str, Any] = attrs.field(factory=dict)

    @property
    def selected_streams(self) -> tuple[tuple[str, str | None], ...]:
        """``(name, namespace)`` of each stream the catalog selects."""
        found = []
        for pair in self.sync_catalog.get("streams", ()):
            stream, config = pair.get("stream") or {}, pair.get("config") or {}
            if config.get("selected", True) and "name" in stream:
                found.append((stream["name"], stream.get("namespace")))
        return tuple(found)


def _stored_catalog(catalog: Mapping[str, Any]) -> Mapping[str, Any]:
    """
    *catalog* as the real server stores a connection's and reads it back: its selected streams
    only, each ``selected: true`` (``CatalogConverter.toConfiguredInternal`` keeps the
    selected ones, ``toApi`` marks every stored one selected; airbytehq/airbyte-platform
    ``CatalogConverter.kt``, airbytehq/airbyte ``CatalogConverter.java`` in 0.x). A stream
    whose configuration does not say counts as selected. A catalog already so is kept as it
    is, so that seeded connections still share theirs.
    """
    streams = catalog.get("streams") or []
    if all((pair.get("config") or {}).get("selected") is True for pair in streams):
        return catalog
    kept = []
    for pair in streams:
        config = pair.get("config") or {}
        if config.get("selected", True):
            kept.append({**pair, "config": {**config, "selected": True}})
    return {**catalog, "streams": kept}


@attrs.frozen
class SyncPlan:
    """Per-connection overrides for the next jobs; None keeps the seeded draw."""

    duration: float | None = None
    outcome: Outcome | None = None
    #: Attempts that fail before the last one (which has the outcome); None: the default.
    failed_attempts: int | None = None
    #: Records the last attempt syncs when it succeeds (0: an incremental sync with nothing
    #: new); None: the seeded draw.
    records: int | None = None


@attrs.frozen
class Failure:
    """Why an attempt failed, as a FailureReason reports it."""

    origin: str
    failure_type: str
    external_message: str
    internal_message: str
    retryable: bool


_FAILURES = (
    Failure(
        "source",
        "system_error",
        "Something went wrong in the connector. See the logs for more details.",
        "java.net.SocketTimeoutException: Read timed out",
        True,
    ),
    Failure(
        "destination",
        "system_error",
        "Something went wrong in the connector. See the logs for more details.",
        "software.amazon.awssdk.services.s3.model.S3Exception: Service Unavailable (503)",
        True,
    ),
    Failure(
        "source",
        "config_error",
        "Connection refused: check the host, the port and the credentials.",
        "org.postgresql.util.PSQLException: Connection refused.",
        False,
    ),
    Failure(
        "replication",
        "system_error",
        "Something went wrong during replication",
        "java.lang.RuntimeException: Source process exited with non-zero exit code 1",
        True,
    ),
)

#: What a job that fails on a config error in the end fails on instead when a sync plan asks
#: for failed attempts before its last: Airbyte retries no attempt whose first failure is a
#: ``config_error`` (``ConnectionManagerWorkflowImpl.reportFailure``: ``failureType !=
#: CONFIG_ERROR``, else ``failJob``), so such a job makes one attempt.
_RETRIED_INSTEAD = _FAILURES[3]

#: Why an attempt failed before a later one succeeded.
_TRANSIENT = Failure(
    "source",
    "transient_error",
    "Airbyte could not read from the source: the connection was reset. Retrying.",
    "java.net.SocketException: Connection reset",
    True,
)

CANCELLED = Failure(
    "airbyte_platform",
    "manual_cancellation",
    "The sync was cancelled.",
    "The sync was cancelled by a user request.",
    False,
)


@attrs.frozen
class Counts:
    """Records and bytes a job has emitted and committed so far."""

    records_emitted: int = 0
    bytes_emitted: int = 0
    records_committed: int = 0
    bytes_committed: int = 0
    state_messages: int = 0

    def split(self, parts: int) -> list[Counts]:
        """These counts shared out over *parts* streams, the remainder going to the first."""
        if parts <= 0:
            return []
        fields = attrs.astuple(self)
        shares = [
            [value // parts + (1 if i < value % parts else 0) for value in fields]
            for i in range(parts)
        ]
        return [Counts(*share) for share in shares]


#: The job types that move data: a refresh is a sync that first resets the streams it
#: refreshes (Airbyte's ``SYNC_REPLICATION_TYPES``).
REPLICATION = frozenset({"sync", "refresh"})


@attrs.frozen
class Job:
    """
    A sync or reset job with its life decided up front: queued at *queued_at* (head only),
    running from *running_at*, ending at *ends_at* with *outcome*, unless cancelled first.
    *scheduled* marks a job Airbyte's scheduler started (``is_scheduled``), not a trigger.
    """

    job_id: int
    config_type: str
    connection_id: str
    workspace_id: str
    streams: tuple[tuple[str, str | None], ...]
    created_at: float
    queued_at: float | None
    running_at: float
    ends_at: float
    outcome: Outcome
    records: int
    bytes_per_record: int
    fail_fraction: float
    failure: Failure | None
    cancelled_at: float | None = None
    #: Seconds after *final_at* before reads see the end, stamped *final_at* all the same.
    commit_lag: float = 0.0
    scheduled: bool = False
    #: Attempts that fail (having synced nothing) before the last one, which has *outcome*;
    #: between two, the job is ``incomplete`` (see :meth:`wait_after`): *retry_gap* seconds
    #: after the first, *retry_growth* times longer after each next one (Airbyte's backoff,
    #: capped at :data:`BACKOFF_CAP` times the first; on 0.40, which has none, the moment it
    #: takes to start the next attempt, every time).
    retries: int = 0
    retry_gap: float = 0.0
    retry_growth: float = 1.0
    #: Seconds from an attempt's start until the workflow reports running (see
    #: ``State.workflow_running``).
    start_lag: float = 0.0
    #: The start of the attempt that found the connection disabled, on a version whose
    #: workflow then reports the job succeeded (see ``State.disable_connection``): the job
    #: ends there, that attempt having synced nothing.
    disabled_at: float | None = None

    def wait_after(self, index: int) -> float:
        """Seconds the job is ``incomplete`` after attempt *index* (from 0) failed."""
        return backoff_wait(self.retry_gap, self.retry_growth, index)

    def _waits_before(self, index: int) -> float:
        """Seconds of waiting between attempts before attempt *index* starts."""
        return sum(self.wait_after(i) for i in range(index))

    @property
    def attempt_span(self) -> float:
        """How long each attempt runs: the running time shared out among them."""
        waits = self._waits_before(self.retries)
        return (self.ends_at - self.running_at - waits) / (self.retries + 1)

    def attempt_start(self, index: int) -> float:
        """When attempt *index* (from 0) starts."""
        return self.running_at + index * self.attempt_span + self._waits_before(index)

    def attempts_at(self, now: float) -> int:
        """How many attempts reads see started at *now* (none when cancelled before any)."""
        moment = min(now, self.final_at)
        if moment < self.running_at or (
            self.cancelled_at is not None and self.cancelled_at <= self.running_at
        ):
            return 0
        # Each start as attempt_start reckons it, to the last bit: a sum built up attempt by
        # attempt rounds otherwise, and could put the start of the attempt that a disable
        # ended the job at (its final_at, see disable_connection) a hair after that end.
        started = 1
        while started <= self.retries and self.attempt_start(started) <= moment:
            started += 1
        return started

    @property
    def final_at(self) -> float:
        """When the job reaches (or reached) its terminal status."""
        ends = [self.ends_at, self.cancelled_at, self.disabled_at]
        return min(t for t in ends if t is not None)

    @property
    def started_or_created(self) -> float:
        """Its ``startedAt``, else (cancelled before it ran) its ``createdAt``."""
        never_ran = self.cancelled_at is not None and self.cancelled_at <= self.running_at
        return self.created_at if never_ran else self.running_at

    def status(self, now: float) -> str:
        """The JobStatus reads see at *now* (the end only *commit_lag* after it happened)."""
        if self.is_terminal(now):
            if self.disabled_at is not None and self.disabled_at == self.final_at:
                return "succeeded"
            return "cancelled" if self.cancelled_at is not None else self.outcome
        moment = min(now, self.final_at)
        if moment >= self.running_at:
            last = self.attempts_at(now) - 1
            between = moment >= self.attempt_start(last) + self.attempt_span
            return "incomplete" if last < self.retries and between else "running"
        if self.queued_at is not None and moment >= self.queued_at:
            return "queued"
        return "pending"

    def is_terminal(self, now: float) -> bool:
        """True once reads see the job succeeded, failed or cancelled."""
        return now >= self.final_at + self.commit_lag

    def updated_at(self, now: float) -> float:
        """
        The latest transition reads see at *now*: each failed attempt's end (``incomplete``)
        and each later attempt's start (``running``) count, as ``failAttempt`` and
        ``createAttempt`` stamp ``jobs.updated_at`` (``DefaultJobPersistence``).
        """
        final = self.final_at if self.is_terminal(now) else None
        passed = [self.created_at, self.queued_at, self.running_at, final]
        for index in range(1, min(self.attempts_at(now), self.retries + 1)):
            passed += [self.attempt_start(index - 1) + self.attempt_span, self.attempt_start(index)]
        if (last := self.attempts_at(now) - 1) < self.retries and self.status(now) == "incomplete":
            passed.append(self.attempt_start(last) + self.attempt_span)
        return max(t for t in passed if t is not None and t <= now)

    def attempt_status(self, now: float, index: int | None = None) -> str | None:
        """
        The AttemptStatus of attempt *index* (the latest by default) at *now*; None before it
        starts. An attempt before the last one failed once it ended.
        """
        started = self.attempts_at(now)
        index = started - 1 if index is None else index
        if index < 0 or index >= started:
            return None
        status = self.status(now)
        if index < started - 1 or status == "incomplete":
            return "failed"
        return {"running": "running", "succeeded": "succeeded"}.get(status, "failed")

    def attempt_failure(self, now: float, index: int | None = None) -> Failure | None:
        """Why attempt *index* (the latest by default) failed, once it has."""
        if self.attempt_status(now, index) != "failed":
            return None
        last = index is None or index == self.attempts_at(now) - 1
        if last and self.status(now) == "cancelled":
            return CANCELLED
        # A job that fails in the end failed the same way each time; one that succeeds in the
        # end met a passing error first.
        return self.failure if self.outcome == "failed" and self.failure else _TRANSIENT

    def attempt_ended(self, now: float, index: int) -> float | None:
        """When attempt *index* ended, as reads see it at *now*; None while it runs."""
        if index < self.attempts_at(now) - 1:
            return self.attempt_start(index) + self.attempt_span
        if self.is_terminal(now):
            return self.final_at
        end = self.attempt_start(index) + self.attempt_span
        return end if index < self.retries and now >= end else None

    def counts(self, now: float) -> Counts:
        """
        Records and bytes moved by *now* in the last attempt (the failed ones before it synced
        nothing): growing while it runs, fixed once terminal.
        """
        first = self.attempt_start(self.retries)
        if self.config_type not in REPLICATION or now < first:
            return Counts()
        moment = min(now, self.final_at)
        span = self.ends_at - first
        progress = 1.0 if span <= 0 else min(1.0, max(0.0, (moment - first) / span))
        done = moment >= self.ends_at and self.outcome == "succeeded"
        if self.outcome == "failed":
            progress *= self.fail_fraction
        emitted = int(self.records * progress)
        if done:
            committed = emitted
        elif self.is_terminal(now):
            committed = emitted // 2
        else:
            committed = emitted * 9 // 10
        return Counts(
            records_emitted=emitted,
            bytes_emitted=emitted * self.bytes_per_record,
            records_committed=committed,
            bytes_committed=committed * self.bytes_per_record,
            state_messages=emitted // 1000 + (1 if emitted else 0),
        )


@attrs.frozen
class JobQuery:
    """The filters, order and page of a ``jobs/list`` or ``jobs/list_for_workspaces`` call."""

    config_types: frozenset[str]
    config_id: str | None = None
    workspace_ids: frozenset[str] | None = None
    statuses: frozenset[str] | None = None
    created_start: float | None = None
    created_end: float | None = None
    updated_start: float | None = None
    updated_end: float | None = None
    order_by_updated: bool = False
    descending: bool = True
    offset: int = 0
    limit: int = 200
    including_job_id: int | None = None


def _slug(name: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-") or "workspace"


@attrs.define
class State:
    """
    Everything the emulator holds, and the operations the routes perform on it.

    *version* decides version-specific behaviour (head jobs pass through ``queued``). *clock*
    gives epoch seconds; ids and job plans are drawn from RNGs seeded with *seed*.
    """

    version: str
    seed: int = 0
    sync_duration: tuple[float, float] = (0.05, 0.2)
    pending_duration: float = 0.0
    failure_rate: float = 0.0
    clock: Callable[[], float] = time.time
    commit_lag: float = 0.0
    #: Attempts a failing sync makes, and the seconds between its first two from 0.50 on, the
    #: later waits growing (see :func:`backoff_wait`; 0.40 waits :data:`HANDOVER_040`).
    attempts: int = 1
    retry_backoff: float = 10.0
    #: Seconds from an attempt's start (the job reads running) until the connection's workflow
    #: reports running, at most half its trigger's latency (see :meth:`workflow_running`), and
    #: from a job's end until it no longer does (see :meth:`wrapping_up`).
    start_lag: float = 0.0
    wrap_up: float = 0.0
    workspaces: dict[str, Workspace] = attrs.field(factory=dict)
    sources: dict[str, Actor] = attrs.field(factory=dict)
    destinations: dict[str, Actor] = attrs.field(factory=dict)
    connections: dict[str, Connection] = attrs.field(factory=dict)
    plans: dict[str, SyncPlan] = attrs.field(factory=dict)
    #: Connections whose next job is a refresh (``connections/refresh`` asked for one).
    refresh_pending: set[str] = attrs.field(factory=set)
    _jobs: list[Job] = attrs.field(factory=list)
    _jobs_by_connection: dict[str, list[int]] = attrs.field(factory=dict)
    _by_final: list[tuple[float, int]] = attrs.field(factory=list)
    #: When each connection's basic or cron schedule (or its activation) took effect, by id.
    _scheduled_since: dict[str, float] = attrs.field(factory=dict)
    #: Where disabling a connection cut its job short (see ``disable_connection``), by job id.
    _disabled_cuts: dict[int, float] = attrs.field(factory=dict)
    #: When each workspace, source, destination and connection was last written, by id, in
    #: writes counted from 1 (see :meth:`scan_order`).
    _written: dict[str, int] = attrs.field(factory=dict)
    _writes: int = 0
    _ids: random.Random = attrs.field(init=False)
    _plans_rng: random.Random = attrs.field(init=False)
    window_start: float = attrs.field(init=False, default=0.0)

    def __attrs_post_init__(self) -> None:
        self._ids = random.Random(f"ids-{self.seed}")
        self._plans_rng = random.Random(f"plans-{self.seed}")
        self.window_start = self.clock()

    def new_id(self) -> str:
        """A fresh UUID string, reproducible for a given seed and call order."""
        return str(uuid.UUID(int=self._ids.getrandbits(128), version=4))

    def _wrote(self, ident: str) -> None:
        """Note a write of the row *ident* (see :meth:`scan_order`)."""
        self._writes += 1
        self._written[ident] = self._writes

    def scan_order(self, rows: Iterable[_Row], key: Callable[[_Row], str]) -> list[_Row]:
        """
        *rows* in the order a table scan finds them, the last written last: the public API
        pages its workspaces, sources, destinations and connections with no ``ORDER BY``
        (``ConnectionServiceJooqImpl.listWorkspaceStandardSyncsLimitOffsetPaginated``,
        ``SourceServiceJooqImpl.listWorkspacesSourceConnections``, airbytehq/airbyte-platform),
        and Postgres writes an updated row anew, often on another page: a row written
        between the reads of two pages may show on both, or on neither
        (dagster-io/dagster#32443).
        """
        return sorted(rows, key=lambda row: self._written.get(key(row), 0))

    # -- workspaces -------------------------------------------------------------------------

    def create_workspace(
        self,
        name: str,
        *,
        organization_id: str,
        settings: Mapping[str, Any] | None = None,
        initial_setup_complete: bool = True,
    ) -> Workspace:
        """A new workspace; its slug is the name's, made unique (see :meth:`_unique_slug`)."""
        workspace = Workspace(
            workspace_id=self.new_id(),
            customer_id=self.new_id(),
            organization_id=organization_id,
            name=name,
            slug=self._unique_slug(name),
            settings=dict(settings or {}),
            initial_setup_complete=initial_setup_complete,
        )
        self.workspaces[workspace.workspace_id] = workspace
        self._wrote(workspace.workspace_id)
        return workspace

    def _unique_slug(self, name: str) -> str:
        """
        The slug of *name*, with a random suffix if any workspace, deleted ones and the one
        renamed included, has it (``WorkspacesHandler.generateUniqueSlug``).
        """
        slug = _slug(name)
        if any(w.slug == slug for w in self.workspaces.values()):
            slug = f"{slug}-{self.new_id()[:8]}"
        return slug

    def workspace(self, workspace_id: str, *, include_tombstone: bool = False) -> Workspace:
        """The workspace, or 404 (also for a deleted one unless *include_tombstone*)."""
        found = self.workspaces.get(workspace_id)
        if found is None or (found.tombstone and not include_tombstone):
            raise not_found("STANDARD_WORKSPACE", workspace_id)
        return found

    def update_workspace(self, workspace_id: str, changes: Mapping[str, Any]) -> Workspace:
        """
        Apply the fields of *changes* that are not None, as ``applyPatchToStandardWorkspace``
        does; a new name also gets a new slug (see :meth:`_unique_slug`).
        """
        workspace = self.workspace(workspace_id)
        settings = dict(workspace.settings)
        updated = workspace
        for key, value in changes.items():
            if value is None or key == "workspaceId":
                continue
            if key == "name":
                updated = attrs.evolve(updated, name=value, slug=self._unique_slug(value))
            elif key == "initialSetupComplete":
                updated = attrs.evolve(updated, initial_setup_complete=value)
            else:
                settings[key] = value
        updated = attrs.evolve(updated, settings=settings)
        self.workspaces[workspace_id] = updated
        self._wrote(workspace_id)
        return updated

    def delete_workspace(self, workspace_id: str, *, first_actors: int | None = None) -> None:
        """
        Delete the workspace as ``WorkspacesHandler.deleteWorkspace`` does: its connections,
        then its destinations and its sources (each as :meth:`delete_actor` does), then the
        workspace, tombstoned. With *first_actors*, only that many destinations and sources
        each, the first by name: the handler deletes what one listing answers, a first page
        where listings are cursor-paged.
        """
        workspace = self.workspace(workspace_id)
        for connection in self.connections_in([workspace_id], deleted=False):
            self.delete_connection(connection.connection_id)
        for kind in ("destination", "source"):
            actors = self.live_actors(kind, [workspace_id])
            if first_actors is not None:
                actors = sorted(actors, key=lambda a: (a.name.lower(), a.actor_id))
                actors = actors[:first_actors]
            for actor in actors:
                self.delete_actor(kind, actor.actor_id)
        self.workspaces[workspace_id] = attrs.evolve(workspace, tombstone=True)
        self._wrote(workspace_id)

    def live_workspaces(self) -> list[Workspace]:
        """Workspaces not deleted, in creation order."""
        return [w for w in self.workspaces.values() if not w.tombstone]

    # -- definitions and actors --------------------------------------------------------------

    @staticmethod
    def definition(kind: str, definition_id: str) -> ConnectorDefinition:
        """The source or destination definition, or 404."""
        table = SOURCE_DEFINITIONS if kind == "source" else DESTINATION_DEFINITIONS
        for definition in table:
            if definition.definition_id == definition_id:
                return definition
        config_type = f"STANDARD_{kind.upper()}_DEFINITION"
        raise not_found(config_type, definition_id)

    def actors_of(self, kind: str) -> dict[str, Actor]:
        """Every source or every destination, deleted ones included, by id."""
        return self.sources if kind == "source" else self.destinations

    def create_actor(
        self,
        kind: str,
        *,
        workspace_id: str,
        definition_id: str,
        name: str,
        config: Mapping[str, Any],
        validate: bool = True,
    ) -> Actor:
        """A new source or destination; 404 for an unknown workspace or definition, 422 for
        a configuration that does not fit the definition's spec."""
        self.workspace(workspace_id)
        definition = self.definition(kind, definition_id)
        if validate:
            _ensure_config(config, definition)
        actor = Actor(
            actor_id=self.new_id(),
            workspace_id=workspace_id,
            definition=definition,
            name=name,
            config=config,
            created_at=self.clock(),
        )
        self.actors_of(kind)[actor.actor_id] = actor
        self._wrote(actor.actor_id)
        return actor

    def actor(self, kind: str, actor_id: str) -> Actor:
        """The source or destination (deleted ones too, as on the real server), or 404."""
        found = self.actors_of(kind).get(actor_id)
        if found is None:
            raise not_found(f"{kind.upper()}_CONNECTION", actor_id)
        return found

    def update_actor(
        self,
        kind: str,
        actor_id: str,
        *,
        name: str | None,
        config: Mapping[str, Any] | None,
        partial: bool,
    ) -> Actor:
        """
        Replace (or, when *partial*, merge into) the configuration and rename. Masked secrets
        sent back keep their stored values.
        """
        actor = self.actor(kind, actor_id)
        new_config = dict(actor.config)
        if config is not None:
            merged = merge_masked(dict(config), actor.config, actor.definition.secret_paths)
            new_config = {**new_config, **merged} if partial else merged
        _ensure_config(new_config, actor.definition)
        updated = attrs.evolve(actor, name=name or actor.name, config=new_config)
        self.actors_of(kind)[actor_id] = updated
        self._wrote(actor_id)
        return updated

    def delete_actor(self, kind: str, actor_id: str) -> None:
        """Tombstone the actor and delete its connections, as the real server does."""
        actor = self.actor(kind, actor_id)
        key = "source_id" if kind == "source" else "destination_id"
        for connection in list(self.connections.values()):
            if getattr(connection, key) == actor_id and connection.status != "deprecated":
                self.delete_connection(connection.connection_id)
        self.actors_of(kind)[actor_id] = attrs.evolve(actor, tombstone=True)
        self._wrote(actor_id)

    def live_actors(self, kind: str, workspace_ids: Iterable[str] | None = None) -> list[Actor]:
        """Actors not deleted, optionally only those in *workspace_ids*, in creation order."""
        wanted = None if workspace_ids is None else set(workspace_ids)
        return [
            a
            for a in self.actors_of(kind).values()
            if not a.tombstone and (wanted is None or a.workspace_id in wanted)
        ]

    def discover(self, source: Actor) -> tuple[StreamTemplate, ...]:
        """The streams a discover of *source* finds."""
        if source.definition.streams:
            return source.definition.streams
        dataset = str(source.config.get("dataset_name") or "data")
        return (StreamTemplate(dataset, {"id": "integer", "value": "string"}, incremental=False),)

    # -- connections -------------------------------------------------------------------------

    def create_connection(
        self,
        *,
        source_id: str,
        destination_id: str,
        status: str,
        name: str | None = None,
        sync_catalog: Mapping[str, Any] | None = None,
        schedule_type: str = "manual",
        schedule_data: Mapping[str, Any] | None = None,
        settings: Mapping[str, Any] | None = None,
    ) -> Connection:
        """
        A new connection in the source's workspace; 404 for unknown actors. Without *name* it
        is named ``<source name> <> <destination name>``, as ``ConnectionsHandler.
        createConnection`` names it.
        """
        source = self.actor("source", source_id)
        destination = self.actor("destination", destination_id)
        connection = Connection(
            connection_id=self.new_id(),
            workspace_id=source.workspace_id,
            source_id=source_id,
            destination_id=destination_id,
            name=f"{source.name} <> {destination.name}" if name is None else name,
            status=status,
            sync_catalog=_stored_catalog(sync_catalog or {"streams": []}),
            created_at=self.clock(),
            schedule_type=schedule_type,
            schedule_data=schedule_data,
            settings=dict(settings or {}),
        )
        self.connections[connection.connection_id] = connection
        self._wrote(connection.connection_id)
        self._note_schedule(connection, None)
        return connection

    def connection(self, connection_id: str) -> Connection:
        """The connection (deleted ones too, with status ``deprecated``), or 404."""
        found = self.connections.get(connection_id)
        if found is None:
            raise not_found("STANDARD_SYNC", connection_id)
        return found

    def tag(self, connection_id: str, name: str) -> None:
        """
        Set the tag *name* of the connection's workspace on it, creating the tag (a ``Tag``:
        tagId, workspaceId, name, color) when the workspace has none of that name.
        """
        connection = self.connection(connection_id)
        workspace = connection.workspace_id
        known = [
            t
            for c in self.connections.values()
            if c.workspace_id == workspace
            for t in c.settings.get("tags", ())
        ]
        tag = next((t for t in known if t["name"] == name), None)
        if tag is None:
            tag = {
                "tagId": self.new_id(),
                "workspaceId": workspace,
                "name": name,
                "color": "#4f46e5",
            }
        tags = [t for t in connection.settings.get("tags", ()) if t["tagId"] != tag["tagId"]]
        settings = {**connection.settings, "tags": [*tags, tag]}
        self.replace_connection(attrs.evolve(connection, settings=settings))

    def replace_connection(self, connection: Connection) -> Connection:
        """Store an updated connection (its catalog as :func:`_stored_catalog` stores it)."""
        old = self.connections.get(connection.connection_id)
        catalog = _stored_catalog(connection.sync_catalog)
        if catalog is not connection.sync_catalog:
            connection = attrs.evolve(connection, sync_catalog=catalog)
        self.connections[connection.connection_id] = connection
        self._wrote(connection.connection_id)
        self._note_schedule(connection, old)
        if old is not None and old.status != connection.status:
            if connection.status == "inactive":
                self.disable_connection(connection.connection_id)
            elif connection.status == "active":
                self._enable_connection(connection.connection_id)
        return connection

    def disable_connection(self, connection_id: str) -> None:
        """
        What a connection set ``inactive`` does to its job that has not ended: nothing to
        the attempt under way, which runs to its end, but the next attempt (the first, if
        none started) ends the job as soon as it starts. Each attempt's sync workflow reads
        the connection's status before it replicates, and answers a ``CANCELLED`` replication
        status for an inactive one ("Connection ... is disabled. Cancelling run.",
        airbytehq/airbyte-platform ``SyncWorkflowImpl``); head's connection manager reports
        that job cancelled (``ConnectionManagerWorkflowImpl.kt`` ``getCancelledStatus`` then
        ``reportCancelledAndContinueWith``, at ``1b8991b4``), the Java workflow of 0.x
        succeeded, having no branch for it (``ConnectionManagerWorkflowImpl.java``
        ``getFailStatus`` false, then ``reportSuccess``, at ``07d28131``; airbytehq/airbyte
        issue #37417). 1.7 and 2.0, Kotlin ports as for the scheduler's rules, take head's.
        Neither disabling nor enabling signals a running job (``ConnectionsHandler``
        ``updateConnection``: ``eventRunner.update``, which the workflow heeds only while it
        waits to start one). A job that ends first, or has no attempt left, is left be.
        """
        job = self.active_job(connection_id)
        if job is None:
            return
        now = self.clock()
        starts = (job.attempt_start(i) for i in range(job.retries + 1))
        at = next((t for t in starts if t >= now), None)
        if at is None or at >= job.final_at:
            return
        if at_least(self.version, "1.7"):
            self._end(job, at)
        else:
            self._by_final.remove((job.final_at, job.job_id))
            self._jobs[job.job_id - 1] = attrs.evolve(job, disabled_at=at)
            bisect.insort(self._by_final, (at, job.job_id))
        self._disabled_cuts[job.job_id] = at

    def _enable_connection(self, connection_id: str) -> None:
        """
        Undo :meth:`disable_connection` for a job whose next attempt has not started yet: that
        attempt finds the connection active again and runs.
        """
        job = self.active_job(connection_id)
        if job is None or (at := self._disabled_cuts.pop(job.job_id, None)) is None:
            return
        if at <= self.clock() or job.final_at != at:
            return
        self._by_final.remove((job.final_at, job.job_id))
        if job.disabled_at == at:
            restored = attrs.evolve(job, disabled_at=None)
        else:
            restored = attrs.evolve(job, cancelled_at=None)
        self._jobs[job.job_id - 1] = restored
        bisect.insort(self._by_final, (restored.final_at, job.job_id))

    def _note_schedule(self, new: Connection, old: Connection | None) -> None:
        """Restart the scheduler's clock of *new* when its schedule or status changed."""
        cid = new.connection_id
        schedule = (new.status, new.schedule_type, new.schedule_data)
        if not starts_jobs(*schedule):
            self._scheduled_since.pop(cid, None)
        elif old is None or (old.status, old.schedule_type, old.schedule_data) != schedule:
            self._scheduled_since[cid] = self.clock()

    def delete_connection(self, connection_id: str) -> None:
        """Mark the connection ``deprecated`` and cancel its running job."""
        connection = self.connection(connection_id)
        if (job := self.active_job(connection_id)) is not None:
            self._end(job)
        self.connections[connection_id] = attrs.evolve(connection, status="deprecated")
        self._wrote(connection_id)

    def connections_in(self, workspace_ids: Iterable[str], *, deleted: bool) -> list[Connection]:
        """Connections of the workspaces, with or without deprecated ones, in creation order."""
        wanted = set(workspace_ids)
        return [
            c
            for c in self.connections.values()
            if c.workspace_id in wanted and (deleted or c.status != "deprecated")
        ]

    # -- jobs --------------------------------------------------------------------------------

    def trigger(
        self, connection_id: str, config_type: str = "sync", *, latency: float = 0.0
    ) -> Job:
        """
        Start a sync (or reset) job whose workflow reports running *latency* seconds from now
        (plus the pending duration), the job reading running its start lag before: 404 for an
        unknown connection, 500 for a sync of a connection that is not active, 409 while
        another job of the connection is not terminal (a connection runs one job at a time: a
        sync trigger that meets a job not yet running takes that job instead, see the routes'
        ``run_job``).
        """
        connection = self.check_trigger(connection_id, config_type)
        if self.active_job(connection_id) is not None:
            raise conflict(f"A sync is already running for: {connection_id}")
        return self._add_job(connection, config_type, latency)

    def reset(
        self,
        connection_id: str,
        streams: Sequence[tuple[str, str | None]] = (),
        *,
        latency: float = 0.0,
    ) -> Job:
        """
        The job the workflow makes for a reset of *streams* (none: every stream the catalog
        selects), running *latency* from now: a ``reset_connection`` job naming them, but a
        ``sync`` (a ``refresh`` when streams wait for one) when there is none to reset,
        whatever the connection's status. The reset route stores the streams to reset
        (``TemporalClient.resetConnection``: ``streamResetPersistence.createStreamResets``, of
        nothing for a connection that selects no stream: ``getAllStreamsForConnection`` lists
        the stored catalog's streams), then signals the workflow, whose new job is made by
        ``SchedulerHandler.createJob``: a reset when stream resets are stored, else a refresh
        when refreshes are, else a sync (``jobFactory.createSync``), with no status check
        (airbytehq/airbyte-platform ``SchedulerHandler.kt`` at ``1aacafa9``,
        ``JobCreationAndStatusUpdateActivityImpl.kt`` at ``127181af``; 0.x's Java
        ``JobCreationAndStatusUpdateActivityImpl.createNewJob`` tests the same stored resets
        before ``jobFactory.create``). 404 for an unknown connection; 409 while a job of it is
        not terminal (see :meth:`check_trigger`). The job of an inactive connection ends as its
        first attempt starts, as a job whose connection was disabled does (see
        :meth:`disable_connection`): the sync workflow's status check runs for every job, a
        reset's included (airbytehq/airbyte-platform ``SyncWorkflowV2Impl.kt`` at ``37d38e81``,
        ``SyncWorkflowImpl``), so on 1.7 and later nothing is reset and the job reads cancelled.
        """
        connection = self.check_trigger(connection_id, "reset_connection")
        if self.active_job(connection_id) is not None:
            raise conflict(f"A sync is already running for: {connection_id}")
        targets = tuple(streams) or connection.selected_streams
        if not targets:
            job = self._add_job(connection, "sync", latency)
        else:
            job = self._add_job(connection, "reset_connection", latency, streams=targets)
        if connection.status == "inactive":
            # Its first attempt finds the connection disabled, as any job's (see
            # disable_connection): the sync workflow's status check spares no reset.
            self.disable_connection(connection_id)
            job = self._jobs[job.job_id - 1]
        return job

    def check_trigger(self, connection_id: str, config_type: str = "sync") -> Connection:
        """
        The connection, when a trigger of *config_type* may go on: 404 for an unknown
        connection, 500 for a sync of one not active, 409 for a sync while the connection's
        workflow reports running (see :meth:`workflow_running` and :meth:`wrapping_up`:
        ``startNewManualSync`` refuses only then), for a reset or clear while any job of it is
        not terminal.
        """
        connection = self.connection(connection_id)
        if config_type == "sync" and connection.status != "active":
            raise internal("Can only sync an active connection")
        current = self.active_job(connection_id)
        running = current is not None and self.workflow_running(current)
        if (current is not None and config_type != "sync") or running:
            raise conflict(f"A sync is already running for: {connection_id}")
        if config_type == "sync" and current is None and self.wrapping_up(connection_id):
            raise conflict(f"A sync is already running for: {connection_id}")
        return connection

    def run_schedules(self, *, latency: float) -> None:
        """
        Create every job the scheduler started by now (see ``_schedule``), each at the instant
        it was due and running *latency* later, all in time order.
        """
        now = self.clock()
        due: list[tuple[float, str]] = []
        for cid in self._scheduled_since:
            if (at := self._scheduled_start(cid)) is not None and at <= now:
                heapq.heappush(due, (at, cid))
        while due:
            at, cid = heapq.heappop(due)
            self._add_job(self.connections[cid], "sync", latency, at=at, scheduled=True)
            if (at := self._scheduled_start(cid)) is not None and at <= now:
                heapq.heappush(due, (at, cid))

    def _scheduled_start(self, connection_id: str) -> float | None:
        c = self.connections[connection_id]
        schedule = (c.status, c.schedule_type, c.schedule_data)
        interval = basic_interval(*schedule)
        cron = cron_schedule(*schedule)
        if interval is None and cron is None:
            return None
        ids = self._jobs_by_connection.get(connection_id)
        latest = self._jobs[ids[-1] - 1].final_at if ids else None
        version_rules = rules(self.version)
        if version_rules.scheduled_with_cancel:
            last = self.last_scheduled_job(connection_id)
        else:
            last = self.last_replication_job(connection_id)
        since = self._scheduled_since[connection_id]
        if interval is not None:
            if last is None:
                counted_from = None
            elif version_rules.basic_from_creation:
                counted_from = last.created_at
            else:
                counted_from = last.started_or_created
            return next_start(interval, since, counted_from, latest)
        started = None if last is None else last.started_or_created
        return None if cron is None else next_cron_start(*cron, since, started, latest)

    def last_scheduled_job(self, connection_id: str) -> Job | None:
        """The connection's newest job the scheduler started, cancelled or not."""
        return next((j for j in reversed(self.jobs_of(connection_id)) if j.scheduled), None)

    def _add_job(
        self,
        connection: Connection,
        config_type: str,
        latency: float,
        *,
        at: float | None = None,
        scheduled: bool = False,
        streams: tuple[tuple[str, str | None], ...] | None = None,
    ) -> Job:
        rng = self._plans_rng
        duration = rng.uniform(*self.sync_duration)
        failed = rng.random() < self.failure_rate
        records = rng.randint(1_000, 200_000)
        bytes_per_record = rng.randint(80, 600)
        fail_fraction = rng.uniform(0.1, 0.9)
        failure = _FAILURES[rng.randrange(len(_FAILURES))]
        plan = self.plans.get(connection.connection_id, SyncPlan())
        if plan.duration is not None:
            duration = plan.duration
        outcome: Outcome = "failed" if failed else "succeeded"
        if plan.outcome is not None:
            outcome = plan.outcome
        retries = self.attempts - 1 if outcome == "failed" else 0
        if outcome == "failed" and not failure.retryable:
            # Airbyte fails the job at once on a config error (see :data:`_RETRIED_INSTEAD`).
            retries = 0
        if plan.records is not None:
            records = plan.records
        if plan.failed_attempts is not None:
            retries = plan.failed_attempts
            if outcome == "failed" and retries and not failure.retryable:
                failure = _RETRIED_INSTEAD
        if config_type == "sync" and connection.connection_id in self.refresh_pending:
            # The workflow's new job is a refresh while streams wait for one: it looks for
            # resets, then refreshes, then makes a sync (``SchedulerHandler.createJob``).
            self.refresh_pending.discard(connection.connection_id)
            config_type = "refresh"
        if config_type not in REPLICATION:
            outcome, records, retries = "succeeded", 0, 0
        backoff = self.retry_backoff if at_least(self.version, "0.50") else HANDOVER_040
        gap = backoff if retries else 0.0
        growth = BACKOFF_BASE if at_least(self.version, "0.50") else 1.0
        waits = sum(backoff_wait(gap, growth, i) for i in range(retries))
        now = self.clock() if at is None else at
        # The workflow reports running *latency* from now; the job reads running a moment
        # before, at most half of it (no trigger answers sooner than its latency, and a job
        # is pending for a while after it was created).
        lag = min(self.start_lag, latency / 2)
        running_at = now + latency - lag + self.pending_duration
        queued_at = None
        if self.version == "head" and self.pending_duration > 0:
            queued_at = now + latency + self.pending_duration / 2
        job = Job(
            job_id=len(self._jobs) + 1,
            config_type=config_type,
            connection_id=connection.connection_id,
            workspace_id=connection.workspace_id,
            streams=connection.selected_streams if streams is None else streams,
            created_at=now,
            queued_at=queued_at,
            running_at=running_at,
            ends_at=running_at + (retries + 1) * duration + waits,
            outcome=outcome,
            records=records,
            bytes_per_record=bytes_per_record,
            fail_fraction=fail_fraction,
            failure=failure if outcome == "failed" else None,
            commit_lag=self.commit_lag,
            scheduled=scheduled,
            retries=retries,
            retry_gap=gap,
            retry_growth=growth,
            start_lag=lag,
        )

        self._jobs.append(job)
        self._jobs_by_connection.setdefault(connection.connection_id, []).append(job.job_id)
        bisect.insort(self._by_final, (job.final_at, job.job_id))
        return job

    def seed_history(self, connection_ids: Sequence[str], *, start: float, every: float) -> int:
        """
        Sync jobs of *connection_ids* created every *every* seconds from *start* (each
        connection at its own offset within the interval) until each has ended by now, in
        creation order, so ids grow with creation times as Airbyte's sequence gives them:
        each as a manual trigger answered at once would have made it (durations, outcomes,
        attempts and backoffs drawn as for any sync; sync plans apply). Only while no job
        exists, and only when a job ends within *every* seconds at the longest (a connection
        runs one job at a time): ValueError otherwise. The number of jobs made.
        """
        if self._jobs:
            raise ValueError("a history can be seeded only before any job exists")
        connections = [self.connection(c) for c in connection_ids]
        longest = max((self._longest_job(c.connection_id) for c in connections), default=0.0)
        if longest >= every:
            raise ValueError(
                f"a sync may take up to {longest:g} s here, longer than the {every:g} s between "
                "two seeded syncs of a connection"
            )
        now = self.clock()
        slots = []
        for n in range(len(connections)):
            at = start + every * n / len(connections)
            while at + longest <= now:
                slots.append((at, n))
                at += every
        slots.sort()
        for at, n in slots:
            self._add_job(connections[n], "sync", 0.0, at=at)
        return len(slots)

    def _longest_job(self, connection_id: str) -> float:
        """The longest a sync of *connection_id* may take from its creation to its end."""
        plan = self.plans.get(connection_id, SyncPlan())
        duration = self.sync_duration[1] if plan.duration is None else plan.duration
        retries = self.attempts - 1 if plan.failed_attempts is None else plan.failed_attempts
        since_050 = at_least(self.version, "0.50")
        backoff = self.retry_backoff if since_050 else HANDOVER_040
        growth = BACKOFF_BASE if since_050 else 1.0
        waits = sum(backoff_wait(backoff, growth, i) for i in range(retries))
        return self.pending_duration + (retries + 1) * duration + waits

    def job(self, job_id: int) -> Job:
        """The job, or the real server's 500 for an unknown id."""
        if not 1 <= job_id <= len(self._jobs):
            raise internal(f"Could not find job with id: {job_id}", "java.lang.RuntimeException")
        return self._jobs[job_id - 1]

    def active_job(self, connection_id: str) -> Job | None:
        """The connection's non-terminal job, if any."""
        ids = self._jobs_by_connection.get(connection_id)
        if not ids:
            return None
        latest = self._jobs[ids[-1] - 1]
        return None if latest.is_terminal(self.clock()) else latest

    def workflow_running(self, job: Job) -> bool:
        """
        Whether the connection's workflow reports running (``WorkflowState.isRunning``) while
        *job* is its current job: while an attempt runs, but only from the job's *start_lag*
        seconds after it started (``createAttempt`` makes the job read running, then the
        ``reportJobStart`` activity runs before ``reportJobStarting`` sets the flag), never
        while the job is pending or queued, and between two attempts from 0.50 on only. Each
        run continues as new with a fresh state once the job or an attempt ends; from 0.50 on,
        a run that continues from a failure reports running from its start, through the
        backoff (airbytehq/airbyte-platform ``ConnectionManagerWorkflowImpl``'s
        ``initializeWorkflowStateFromInput``, the fix of airbytehq/airbyte#28536, 2023-07), so
        only the first attempt's start lags.
        0.40's starts the next attempt at once, reporting running only once it exists. (After
        the job ends, the workflow still reports running while it wraps up: see
        :meth:`wrapping_up`.)
        """
        now = self.clock()
        status = job.status(now)
        since_040 = at_least(self.version, "0.50")
        if status == "incomplete":
            return since_040
        if status != "running":
            return False
        attempt = 0 if since_040 else max(0, job.attempts_at(now) - 1)
        return now >= job.attempt_start(attempt) + job.start_lag

    def wrapping_up(self, connection_id: str) -> bool:
        """
        Whether the connection's workflow still reports running after its newest job ended:
        for *wrap_up* seconds after the end of a job that ran, while the workflow runs the
        end-of-sync hooks and the activities after them (the post-sync child workflow's
        start, ``deleteResetJobStreams``, ``recordMetric``; on a failure
        ``autoDisableFailingConnection``) until ``prepareForNextRunAndContinueAsNew`` resets
        its state (airbytehq/airbyte-platform ``ConnectionManagerWorkflowImpl.reportSuccess``,
        ``failJob``, ``reportCancelled``). A sync trigger is refused (409) meanwhile.
        """
        ids = self._jobs_by_connection.get(connection_id)
        if not ids or self.wrap_up <= 0:
            return False
        latest = self._jobs[ids[-1] - 1]
        ran = latest.started_or_created == latest.running_at
        return ran and latest.final_at <= self.clock() < latest.final_at + self.wrap_up

    def next_run(self, job: Job) -> float:
        """
        When the workflow next reports running for *job*, which it does not now (see
        :meth:`workflow_running`): *start_lag* after its next attempt starts; when it ends, if
        that comes first (a reset cancelled it, say).
        """
        now = self.clock()
        starts = (job.attempt_start(i) + job.start_lag for i in range(job.retries + 1))
        return min(next((at for at in starts if at >= now), job.final_at), job.final_at)

    def job_after(self, connection_id: str, job_id: int) -> Job | None:
        """The connection's job that is not terminal, if it is newer than job *job_id*."""
        current = self.active_job(connection_id)
        return current if current is not None and current.job_id > job_id else None

    def jobs_of(self, connection_id: str) -> list[Job]:
        """The connection's jobs, oldest first."""
        return [self._jobs[i - 1] for i in self._jobs_by_connection.get(connection_id, ())]

    def stop_current(
        self, connection_id: str, latency: float = 0.0, *, only_running: bool = False
    ) -> float:
        """
        Signal the connection's workflow to cancel its job that has not ended, if any (a
        cancel, a reset): the job stops *latency* seconds from now, unless it ends first, and
        runs until then. With *only_running* (a cancel), a job whose workflow does not report
        running (see :meth:`workflow_running`) is left be, unless it waits for capacity (see
        :meth:`waits_for_capacity`): that one is cancelled *latency* from now, before it runs.
        Returns when the workflow stops running: *wrap_up* after the job's end (see
        :meth:`wrapping_up`); now when it runs no job. 404 for an
        unknown connection, 500 for a deleted one (its workflow is gone). A cancel when the
        workflow has no current job (its job ended, its wrap-up done) is a 500 "Could not find
        job with id: -1": ``TemporalClient.startNewCancellation`` notes the workflow's job id,
        ``NON_RUNNING_JOB_ID`` then, and hands it to
        ``StreamResetRecordsHelper.deleteStreamResetRecordsForJob``, whose
        ``jobPersistence.getJob(-1)`` throws a RuntimeException it does not catch
        (airbytehq/airbyte-platform ``TemporalClient.kt`` at ``3fc02fdc``; the same in 0.x's
        ``TemporalClient.java``); the public API makes it a 409 "Job is not currently running"
        (``JobServiceTest``: "a real error message that we can get").
        """
        connection = self.connection(connection_id)
        if connection.status == "deprecated":
            raise internal(
                f"The connection manager workflow for connection {connection_id} "
                "is deleted, so no further operations cannot be performed on it."
            )
        current = self.active_job(connection_id)
        now = self.clock()
        if current is None:
            if not only_running:
                return now
            if self.wrapping_up(connection_id):
                return self.jobs_of(connection_id)[-1].final_at + self.wrap_up
            raise internal("Could not find job with id: -1", "java.lang.RuntimeException")
        if only_running and not self.workflow_running(current):
            if self.waits_for_capacity(current):
                self._end(current, min(now + latency, current.running_at))
            return now
        self._end(current, now + latency)
        return self._jobs[current.job_id - 1].final_at + self.wrap_up

    def waits_for_capacity(self, job: Job) -> bool:
        """
        Whether *job* waits for head's data-worker capacity (pending, then queued): its
        workflow does not report running, yet it records a cancel, and cancels the job
        before any attempt (airbytehq/airbyte-platform ``ConnectionManagerWorkflowImpl``
        ``cancelJob`` when ``isWaitingForCapacity``, then ``waitForCapacityIfNeeded`` and
        ``cancelJobBeforeAttempt``). A head job that does not queue has no such wait.
        """
        return job.queued_at is not None and self.clock() < job.running_at

    def cancel(self, job_id: int, *, latency: float = 0.0) -> float:
        """
        ``jobs/cancel`` as the real server does it (API-FACTS 6.3b): the job only names its
        connection, whose current job, if any, is cancelled, whatever id was sent (see
        :meth:`stop_current`), provided its workflow reports running (see
        :meth:`workflow_running`): the workflow ignores a cancel otherwise
        (``ConnectionManagerWorkflowImpl.cancelJob``), so a job pending (or, on 0.40, between
        two attempts) runs on; but head's job that waits for capacity is cancelled before it
        runs (see :meth:`waits_for_capacity`). 500 for an unknown job or a deleted connection.
        """
        return self.stop_current(self.job(job_id).connection_id, latency, only_running=True)

    def _end(self, job: Job, at: float | None = None) -> None:
        """Cancel a job that is not terminal at *at* (now by default), unless it ends first."""
        at = self.clock() if at is None else at
        if at >= job.final_at:
            return
        self._by_final.remove((job.final_at, job.job_id))
        cancelled = attrs.evolve(job, cancelled_at=at)
        self._jobs[job.job_id - 1] = cancelled
        bisect.insort(self._by_final, (cancelled.final_at, job.job_id))

    def list_jobs(self, query: JobQuery) -> tuple[list[Job], int]:
        """The page of jobs matching *query*, and how many match in all."""
        now = self.clock()
        if query.config_id is not None:
            candidates: Iterable[Job] = self.jobs_of(query.config_id)
        elif query.updated_start is not None:
            # A job last changed before updatedAtStart has all its transitions before it.
            start = bisect.bisect_left(self._by_final, (query.updated_start, 0))
            candidates = [self._jobs[i - 1] for _, i in self._by_final[start:]]
        else:
            candidates = self._jobs
        matched = [job for job in candidates if _matches(job, query, now)]
        if query.order_by_updated:
            matched.sort(key=lambda j: (j.updated_at(now), j.job_id), reverse=query.descending)
        else:
            matched.sort(key=lambda j: (j.created_at, j.job_id), reverse=query.descending)
        if query.including_job_id is not None:
            return self._including(query, candidates), len(matched)
        return matched[query.offset : query.offset + query.limit], len(matched)

    def _including(self, query: JobQuery, candidates: Iterable[Job]) -> list[Job]:
        """
        ``DefaultJobPersistence.listJobsIncludingId``: nothing when the job is not one of these
        types (and connection); else the newest jobs, from the first, in whole pages, one page
        more than the jobs created since that job take; other filters and the offset unused.
        """
        kinds = [j for j in candidates if j.config_type in query.config_types]
        kinds.sort(key=lambda j: (j.created_at, j.job_id), reverse=True)
        found = next((j for j in kinds if j.job_id == query.including_job_id), None)
        if found is None:
            return []
        since = sum(1 for j in kinds if j.created_at >= found.created_at)
        return kinds[: (since // query.limit + 1) * query.limit]

    def last_replication_job(self, connection_id: str) -> Job | None:
        """The connection's newest sync or reset job that was not cancelled."""
        now = self.clock()
        for job in reversed(self.jobs_of(connection_id)):
            if job.status(now) != "cancelled":
                return job
        return None

    # -- ground truth ------------------------------------------------------------------------

    def jobs_since(self, start: float) -> list[Job]:
        """Jobs created at or after *start*, oldest first."""
        return [job for job in self._jobs if job.created_at >= start]

    def max_concurrent_jobs(self, start: float) -> int:
        """The most jobs non-terminal at one instant between *start* and now, exactly."""
        now = self.clock()
        events: list[tuple[float, int]] = []
        for job in self._jobs:
            if job.final_at <= start or job.created_at > now:
                continue
            events.append((max(job.created_at, start), 1))
            if job.final_at <= now:
                events.append((job.final_at, -1))
        # A job counts from the instant it exists, even one that ends in the same instant.
        events.sort(key=lambda e: (e[0], -e[1]))
        running = peak = 0
        for _, delta in events:
            running += delta
            peak = max(peak, running)
        return peak


def _matches(job: Job, query: JobQuery, now: float) -> bool:
    if job.config_type not in query.config_types:
        return False
    if query.config_id is not None and job.connection_id != query.config_id:
        return False
    if query.workspace_ids is not None and job.workspace_id not in query.workspace_ids:
        return False
    if query.statuses is not None and job.status(now) not in query.statuses:
        return False
    if query.created_start is not None and job.created_at < query.created_start:
        return False
    if query.created_end is not None and job.created_at > query.created_end:
        return False
    if query.updated_start is not None or query.updated_end is not None:
        updated = job.updated_at(now)
        if query.updated_start is not None and updated < query.updated_start:
            return False
        if query.updated_end is not None and updated > query.updated_end:
            return False
    return True


def _ensure_config(config: Mapping[str, Any], definition: ConnectorDefinition) -> None:
    if errors := config_errors(config, definition.spec):
        raise bad_config(
            "The provided configuration does not fulfill the specification. Errors: "
            + "; ".join(errors)
        )
