"""
:class:`Emulator`: an in-memory Airbyte Config API served over HTTP on loopback.

Use it with ``async with``; it listens from ``__aenter__`` to ``__aexit__``, which may run in
different tasks of one event loop (a pytest-asyncio fixture's setup and teardown do).
:func:`serve` runs one until the process is told to stop.
"""

from __future__ import annotations

import asyncio
import copy
import math
import random
import signal
import socket
from collections.abc import Callable, Iterable, Mapping, Sequence
from types import TracebackType
from typing import TYPE_CHECKING, Any, Literal, Self

import anyio
import anyio.abc
import attrs
from aiohttp import web

from . import _render as render
from ._app import Http, known_routes, reset_transport
from ._auth import AuthPolicy, RequireBasic, RequireBearer, RequireClientCredentials, TokenMinter
from ._catalog import DESTINATION_DEFINITIONS, SOURCE_DEFINITIONS
from ._clock import Clock, ManualClock, WallClock
from ._errors import ApiError
from ._faults import Fault, FaultInjector, as_faults
from ._load import TriggerLoad
from ._routes import Api
from ._state import DEFAULT_ORGANIZATION_ID, State, SyncPlan
from ._stats import EmulatorStats, Observer, RecordedRequest
from ._versions import PUBLIC_API_SINCE, VERSIONS, serves_public_api

if TYPE_CHECKING:
    from aiohttp.web_protocol import RequestHandler

__all__ = ["VERSIONS", "Emulator", "serve"]


_PG_CONFIG: Mapping[str, Any] = {
    "host": "postgres.emulator.internal",
    "port": 5432,
    "database": "shop",
    "schemas": ["public"],
    "username": "airbyte",
    "password": "emulator-password",
    "ssl_mode": {"mode": "disable"},
    "replication_method": {"method": "Standard"},
}


def _s3_config(path: str) -> dict[str, Any]:
    return {
        "s3_bucket_name": "airbyte-emulator",
        "s3_bucket_path": path,
        "s3_bucket_region": "us-east-1",
        "s3_endpoint": "http://minio.emulator.internal:9000",
        "access_key_id": "emulator-access-key",
        "secret_access_key": "emulator-secret-key",
        "format": {"format_type": "JSONL", "compression": {"compression_type": "No Compression"}},
    }


#: Seconds in a day.
_DAY = 86_400.0


def _non_negative(_: object, attribute: attrs.Attribute[Any], value: float) -> None:
    if value < 0:
        raise ValueError(f"{attribute.name} must not be negative")


def _finite(_: object, attribute: attrs.Attribute[Any], value: float) -> None:
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise ValueError(f"{attribute.name} must be a finite number of seconds")


def _positive_int(_: object, attribute: attrs.Attribute[Any], value: int) -> None:
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise ValueError(f"{attribute.name} must be a whole number of at least 1")


def _check_version(_: object, __: object, value: str) -> None:
    if value not in VERSIONS:
        raise ValueError(f"airbyte_version must be one of {', '.join(VERSIONS)}, not {value!r}")


def _pair(value: Iterable[float]) -> tuple[float, float]:
    low, high = value
    return (float(low), float(high))


def _check_duration(_: object, __: object, value: tuple[float, float]) -> None:
    low, high = value
    if not 0 <= low <= high:
        raise ValueError("sync_duration must be (min, max) with 0 <= min <= max")


def _check_rate(_: object, __: object, value: float) -> None:
    if not 0.0 <= value <= 1.0:
        raise ValueError("failure_rate must be between 0 and 1")


def _on_wall_time(clock: Clock, seconds: float) -> float:
    """*seconds*, but none on a ``ManualClock``, whose waits end only when a test moves it."""
    return 0.0 if isinstance(clock, ManualClock) else seconds


def _check_port(_: object, __: object, value: int) -> None:
    if not 0 <= value <= 65535:
        raise ValueError("port must be between 0 and 65535")


@attrs.define(kw_only=True)
class Emulator:
    """
    An Airbyte emulator (the Config API, and from 1.7 on the public API): state in memory,
    served on *host*:*port* (0 = a free port).

    It pre-loads *workspaces* workspaces and *connections* active connections (``conn-00000``
    ...), each with its own Postgres source and S3 destination, spread round-robin.
    *airbyte_version* picks the routes, shapes and errors served (one of :data:`VERSIONS`).
    *seed* seeds ids, durations, outcomes and faults: the same run twice gives the same
    answers. With *record_requests*, every request is kept in :attr:`requests`.

    ``connections/sync`` creates the job at once and answers when it runs, *trigger_latency*
    seconds later (0.2 by default, a quiet real server), with the job ``running`` and its first
    attempt (API-FACTS 6.3b), and so does the public ``POST /jobs`` of a sync before head;
    ``connections/reset``, the public reset and head's public sync answer once the job exists,
    pending, and it runs as late. Triggers and cancels wait, first come first
    served, for one of *trigger_capacity* scheduler threads (25, as on Airbyte; None: one for
    every call), and a trigger that waits has created no job yet; *trigger_overload* turns the
    triggers past it away with 503 (see ``_load``). ``jobs/cancel`` (and the public ``DELETE
    /jobs/{jobId}``) answers once the job has stopped, *cancel_latency* seconds later (0.2 by
    default), as the real call waits while the connection's workflow still runs (API-FACTS
    6.3b); the job runs until then. With *start_lag*, the workflow reports running only that
    many seconds after a job reads running (the ``reportJobStart`` activity comes between; at
    most half the trigger's latency, which still ends when it does), and with *wrap_up* still that
    long after the job ended (its end-of-sync activities): a cancel in the first is ignored,
    answered with the job still running, and a sync trigger in the second refused (409) with
    no job running (see ``State.workflow_running``, ``State.wrapping_up``). Both are a few of
    the workflow's activities on a real server, tenths of a second when it is quiet: 0.1 and
    0.3 by default, none on a ``ManualClock`` (whose waits end only when a test moves it); the
    pytest fixtures (``pytest_plugin``) set no start lag and a shorter wrap-up. With
    *scheduler*, connections on a ``basic`` or ``cron`` schedule get their syncs started as
    Airbyte's scheduler starts them (see ``_schedule``; off by default, so a test sees only the
    jobs it started). With *pending_duration*, the job then
    stays pending (pending, then queued, on head) that long before it runs; head's public sync
    trigger answers with it pending (``returnAfterJobId``), the Config API's sync only once it
    runs, head's too. A cancel leaves a job that does not run yet be, but for head's that waits for
    capacity (pending then queued): that one is cancelled *cancel_latency* later, before it
    runs, and the cancel answers at once. A sync trigger is refused (409) only while the
    connection's workflow reports running: while an attempt runs, and from 0.50 on between
    two. One that meets a job not running yet (pending, queued; on 0.40 between two attempts)
    starts none: the Config API's answers with that job once it runs; head's public one
    waits a minute for a newer job, then fails (a 409 ``state-conflict``). Jobs run for a
    seeded uniform draw from *sync_duration* and fail at *failure_rate*; a failing sync makes
    *attempts* attempts, as Airbyte retries a failed attempt (by default up to 5 in a row that
    synced nothing: ``SYNC_JOB_RETRIES_COMPLETE_FAILURES_*``), each as long as the drawn
    duration, the job ``incomplete`` between two: *retry_backoff* seconds after the first, three
    times longer after each next, at most 180 times *retry_backoff* (Airbyte's backoff: 10 s,
    30 s, 90 s ... up to 30 min; see ``State.backoff_wait``). 0.40 has no backoff: it makes the
    next attempt at once, the job incomplete for 0.2 s, ``HANDOVER_040``, whatever
    *retry_backoff*. A sync that fails on a config error makes one attempt, as Airbyte retries
    none (a sync plan's *failed_attempts* fail on another error). With
    *commit_lag*, reads see a job's end only that many seconds after it, though it is stamped
    with the moment it happened, as when Airbyte takes the time before the transaction that
    writes the status commits
    (``DefaultJobPersistence`` reads ``timeSupplier`` before ``jobDatabase.transaction``): a
    listing by update time can then miss the end for good. *auth* is None (open) or a ``Require*``
    policy. *faults* are :class:`Fault` objects or their JSON dicts. *log_format* picks head's
    attempt logs. *clock* is what the server reads as now and waits on (a ``ManualClock`` lets
    a test move time by hand). *config_api* False serves the public API alone (1.7 on): every
    Config API route answers 404, credentials or not, as on a deployment whose ingress routes
    only ``/api/public`` to airbyte-server (airbytehq/airbyte
    ``docs/deploying-airbyte/integrations/ingress.md``). *date_lead* puts the ``Date`` header
    that many seconds ahead of the clock that stamps jobs (negative: behind), as a proxy in
    front of Airbyte whose host clock drifts does: nginx answers with its own ``Date``, not the
    server's (its ``proxy_pass_header`` documentation: ``Date`` is not passed by default).
    *instance_admin* True answers as to community's default user, an instance admin, whom the
    public API's role checks grant every role; False as Airbyte Cloud answers an application,
    whose roles are its workspaces': a public route naming a connection that does not exist is
    then a 403 ``ForbiddenProblem`` (the role check finds no workspace for it), not a 404, and
    ``GET /jobs?connectionId=`` of one (or ``?workspaceIds=`` naming a workspace that does not
    exist) a 403, not an empty page; from 1.7 on, the Config API
    answers so too (Micronaut's 403) for a body naming a connection, source, destination,
    workspace or job that does not exist, as a server with authentication does to any user
    but an instance admin.

    ``__aenter__`` and ``__aexit__`` may run in different tasks of one event loop: the
    emulator's background work (scheduled restarts) runs in a task of its own, started on entry
    and stopped and awaited on exit, which raises what that work raised.

    Raises ValueError for an unknown *airbyte_version* or an impossible setting, TypeError for
    an *auth* that is no policy.
    """

    airbyte_version: str = attrs.field(default="0.50", validator=_check_version)
    workspaces: int = attrs.field(default=1, validator=_non_negative)
    connections: int = attrs.field(default=0, validator=_non_negative)
    seed: int = 0
    sync_duration: tuple[float, float] = attrs.field(
        default=(0.05, 0.2), converter=_pair, validator=_check_duration
    )
    pending_duration: float = attrs.field(default=0.0, validator=_non_negative)
    failure_rate: float = attrs.field(default=0.0, validator=_check_rate)
    commit_lag: float = attrs.field(default=0.0, validator=_non_negative)
    attempts: int = attrs.field(default=1, validator=_positive_int)
    retry_backoff: float = attrs.field(default=10.0, validator=_non_negative)
    trigger_latency: float = attrs.field(default=0.2, validator=_non_negative)
    trigger_capacity: int | None = 25
    trigger_overload: int | None = None
    cancel_latency: float = attrs.field(default=0.2, validator=_non_negative)
    scheduler: bool = False
    auth: AuthPolicy | None = None
    record_requests: bool = False
    _initial_faults: Sequence[Fault | Mapping[str, Any]] | None = attrs.field(
        default=None, alias="faults"
    )
    host: str = "127.0.0.1"
    port: int = attrs.field(default=0, validator=_check_port)
    log_format: Literal["structured", "formatted"] = "structured"
    clock: Clock = attrs.field(factory=WallClock)
    start_lag: float = attrs.field(
        default=attrs.Factory(lambda self: _on_wall_time(self.clock, 0.1), takes_self=True),
        validator=_non_negative,
    )
    wrap_up: float = attrs.field(
        default=attrs.Factory(lambda self: _on_wall_time(self.clock, 0.3), takes_self=True),
        validator=_non_negative,
    )
    config_api: bool = True
    date_lead: float = attrs.field(default=0.0, validator=_finite)
    instance_admin: bool = True

    _state: State = attrs.field(init=False)
    _observer: Observer = attrs.field(init=False)
    _injector: FaultInjector = attrs.field(init=False)
    _api: Api = attrs.field(init=False)
    _http: Http = attrs.field(init=False)
    _runner: web.AppRunner | None = attrs.field(init=False, default=None)
    _site: web.TCPSite | None = attrs.field(init=False, default=None)
    _bound_port: int = attrs.field(init=False, default=0)
    #: The task that owns the background work, from entry to exit; it ends when *_stop* is set.
    _background: asyncio.Task[None] | None = attrs.field(init=False, default=None)
    _stop: anyio.Event | None = attrs.field(init=False, default=None)
    #: The background work's task group, while the background task runs.
    _tasks: anyio.abc.TaskGroup | None = attrs.field(init=False, default=None)
    _restart_scope: anyio.CancelScope | None = attrs.field(init=False, default=None)
    #: Which set of faults the restart schedule follows: a schedule started for an older set
    #: (set_faults() called before its task ran) starts no restarts of its own.
    _restart_generation: int = attrs.field(init=False, default=0)
    _restart_lock: anyio.Lock = attrs.field(init=False, factory=anyio.Lock)

    def __attrs_post_init__(self) -> None:
        if self.connections and not self.workspaces:
            raise ValueError("connections need at least one workspace")
        if self.log_format not in ("structured", "formatted"):
            raise ValueError("log_format must be 'structured' or 'formatted'")
        _check_auth(self.auth)
        if not self.config_api and not serves_public_api(self.airbyte_version):
            raise ValueError(
                f"{self.airbyte_version} serves no public API (it came in {PUBLIC_API_SINCE}), "
                "so it cannot do without the Config API"
            )
        self._state = State(
            version=self.airbyte_version,
            seed=self.seed,
            sync_duration=self.sync_duration,
            pending_duration=self.pending_duration,
            failure_rate=self.failure_rate,
            clock=self.clock,
            commit_lag=self.commit_lag,
            attempts=self.attempts,
            retry_backoff=self.retry_backoff,
            start_lag=self.start_lag,
            wrap_up=self.wrap_up,
        )
        self._observer = Observer(self.record_requests, self._state.clock())
        self._injector = FaultInjector(self.seed, clock=self.clock, routes=known_routes())
        self._injector.replace(self._initial_faults)
        minter = self._minter_for(self.auth)
        self._api = Api(
            state=self._state,
            version=self.airbyte_version,
            observer=self._observer,
            log_format=self.log_format,
            auth=self.auth,
            minter=minter,
            clock=self.clock,
            load=TriggerLoad(
                latency=self.trigger_latency,
                capacity=self.trigger_capacity,
                overload=self.trigger_overload,
            ),
            cancel_latency=self.cancel_latency,
            scheduler=self.scheduler,
            instance_admin=self.instance_admin,
        )
        self._http = Http(
            self._api,
            self._injector,
            self._stats_json,
            self.reset_stats,
            config_api=self.config_api,
            date_lead=self.date_lead,
        )
        self._preload()

    def _preload(self) -> None:
        state = self._state
        workspaces = [
            state.create_workspace(f"workspace-{i:03d}", organization_id=DEFAULT_ORGANIZATION_ID)
            for i in range(self.workspaces)
        ]
        postgres, s3 = SOURCE_DEFINITIONS[0], DESTINATION_DEFINITIONS[0]
        catalog = render.stream_catalog(postgres.streams, "public", self.airbyte_version)
        for pair in catalog["streams"]:
            pair["config"] |= {
                "syncMode": "incremental",
                "destinationSyncMode": "append",
                "cursorField": ["updated_at"],
            }
        for i in range(self.connections):
            workspace_id = workspaces[i % len(workspaces)].workspace_id
            source = state.create_actor(
                "source",
                workspace_id=workspace_id,
                definition_id=postgres.definition_id,
                name=f"src-{i:05d}",
                config=_PG_CONFIG,
                validate=False,
            )
            destination = state.create_actor(
                "destination",
                workspace_id=workspace_id,
                definition_id=s3.definition_id,
                name=f"dst-{i:05d}",
                config=_s3_config(f"conn-{i:05d}"),
                validate=False,
            )
            state.create_connection(
                source_id=source.actor_id,
                destination_id=destination.actor_id,
                status="active",
                name=f"conn-{i:05d}",
                sync_catalog=catalog,
            )

    # -- lifecycle --------------------------------------------------------------------------

    async def __aenter__(self) -> Self:
        if self._runner is not None:
            raise RuntimeError("this Emulator is already running")
        runner = web.AppRunner(
            self._http.app(), access_log=None, handle_signals=False, shutdown_timeout=0.25
        )
        await runner.setup()
        _count_connections(runner, self._observer)
        site = web.TCPSite(runner, self.host, self.port, reuse_address=True)
        try:
            await site.start()
        except BaseException:
            await runner.cleanup()
            raise
        self._runner, self._site = runner, site
        self._bound_port = runner.addresses[0][1]
        self._api.base_url = self.url
        # A task of its own, not a task group entered here: a task group's cancel scope must be
        # left in the task that entered it, and __aexit__ may run in another (pytest-asyncio
        # runs a fixture's setup and its teardown in two tasks). __aexit__ stops and awaits it.
        self._stop = anyio.Event()
        self._background = asyncio.get_running_loop().create_task(self._run_background(self._stop))
        return self

    async def _run_background(self, stop: anyio.Event) -> None:
        """The emulator's background work, until *stop* is set; its failures end it."""
        try:
            async with anyio.create_task_group() as tasks:
                self._tasks = tasks
                tasks.start_soon(self._scheduled_restarts, self._restart_generation)
                await stop.wait()
                tasks.cancel_scope.cancel()
        finally:
            self._tasks = None

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        background, self._background = self._background, None
        # Stopped even when the caller is cancelled: nothing of it outlives the block.
        with anyio.CancelScope(shield=True):
            try:
                if background is not None:
                    assert self._stop is not None
                    self._stop.set()
                    await background
            finally:
                if self._runner is not None:
                    await self._runner.cleanup()
                self._runner = self._site = None

    @property
    def url(self) -> str:
        """The host root, e.g. ``http://127.0.0.1:54321``; the API is under ``/api/v1``."""
        if self._runner is None:
            raise RuntimeError("the Emulator is not running: use it with `async with`")
        return f"http://{self.host}:{self._bound_port}"

    @property
    def api_url(self) -> str:
        """``url`` + ``/api/v1``."""
        return self.url + "/api/v1"

    # -- state and ground truth -------------------------------------------------------------

    @property
    def workspace_ids(self) -> list[str]:
        """Ids of the live workspaces, in creation order."""
        return [w.workspace_id for w in self._state.live_workspaces()]

    @property
    def connection_ids(self) -> list[str]:
        """Ids of the connections not deleted, in creation order."""
        return [
            c.connection_id for c in self._state.connections.values() if c.status != "deprecated"
        ]

    @property
    def requests(self) -> list[RecordedRequest]:
        """Requests received since the last reset (only when *record_requests*)."""
        return self._observer.requests

    def set_sync_plan(
        self,
        connection_id: str,
        *,
        duration: float | None = None,
        outcome: Literal["succeeded", "failed"] | None = None,
        failed_attempts: int | None = None,
        records: int | None = None,
    ) -> None:
        """
        Fix the duration (of each attempt), the outcome, the attempts that fail before the
        last one and/or the records a success syncs, of the connection's future syncs
        (``failed_attempts=1, outcome="succeeded"``: a sync that Airbyte retries once;
        ``records=0``: an incremental sync that finds nothing new); with none, go back to
        seeded draws. Raises KeyError for an unknown connection.
        """
        if connection_id not in self._state.connections:
            raise KeyError(connection_id)
        if duration is not None and duration < 0:
            raise ValueError("duration must not be negative")
        if outcome not in (None, "succeeded", "failed"):
            raise ValueError("outcome must be 'succeeded' or 'failed'")
        if failed_attempts is not None and failed_attempts < 0:
            raise ValueError("failed_attempts must not be negative")
        if records is not None and records < 0:
            raise ValueError("records must not be negative")
        if (duration, outcome, failed_attempts, records) == (None, None, None, None):
            self._state.plans.pop(connection_id, None)
        else:
            plan = SyncPlan(duration, outcome, failed_attempts, records)
            self._state.plans[connection_id] = plan

    def seed_history(
        self,
        *,
        days: float,
        syncs_per_day: float,
        connection_ids: Iterable[str] | None = None,
    ) -> int:
        """
        Give connections (every one by default) a past: a sync every ``1/syncs_per_day`` of a
        day over the last *days* days, each connection at its own time within the interval,
        every one ended by now, as Airbyte would have recorded them (ids growing with creation
        times; durations, outcomes, attempts and backoffs drawn as for any sync, sync plans
        applied; records, bytes, attempts, failures and logs read as for a job run here). Call
        it before any job exists; a monitoring test then reads thousands of jobs without
        running them. Returns the number of jobs made. Raises KeyError for an unknown
        connection and ValueError when a job exists already, or a sync may outlast the
        interval (a connection runs one job at a time).
        """
        if days <= 0 or syncs_per_day <= 0:
            raise ValueError("days and syncs_per_day must be above 0")
        ids = self.connection_ids if connection_ids is None else list(connection_ids)
        for connection_id in ids:
            if connection_id not in self._state.connections:
                raise KeyError(connection_id)
        start = self._state.clock() - days * _DAY
        return self._state.seed_history(ids, start=start, every=_DAY / syncs_per_day)

    def tag_connection(self, connection_id: str, *names: str) -> None:
        """
        Tag the connection with each of *names* (tags of its workspace, created when new), as
        Airbyte's UI does. Servers since tags came report them (the emulator's 1.7 on; the
        Config API's ``ConnectionRead.tags``, the public API's ``ConnectionResponse.tags``).
        Raises KeyError for an unknown connection.
        """
        if connection_id not in self._state.connections:
            raise KeyError(connection_id)
        for name in names:
            self._state.tag(connection_id, name)

    def stored_configuration(self, actor_id: str) -> dict[str, Any]:
        """
        A copy of the configuration the emulator holds for the source or destination
        *actor_id*, its secrets in clear: what Airbyte keeps in its secret store, and sends
        masked in every answer. Raises KeyError for an unknown id.
        """
        for kind in ("source", "destination"):
            actor = self._state.actors_of(kind).get(actor_id)
            if actor is not None:
                return copy.deepcopy(dict(actor.config))
        raise KeyError(actor_id)

    def job_status(self, job_id: int) -> str:
        """The job's status now. Raises KeyError for an unknown id."""
        self._api.catch_up()
        try:
            job = self._state.job(job_id)
        except ApiError:
            raise KeyError(job_id) from None
        return job.status(self._state.clock())

    def stats(self) -> EmulatorStats:
        """What happened since the start or the last :meth:`reset_stats`."""
        self._api.catch_up()
        start = self._observer.window_start
        now = self._state.clock()
        jobs = self._state.jobs_since(start)
        by_connection: dict[str, list[int]] = {}
        for job in jobs:
            by_connection.setdefault(job.connection_id, []).append(job.job_id)
        minter = self._api.minter
        return EmulatorStats(
            total_requests=self._observer.total,
            requests_by_route=dict(self._observer.by_route),
            max_in_flight_requests=self._observer.max_in_flight,
            max_in_flight_syncs=self._observer.max_syncs_in_flight,
            max_concurrent_jobs=self._state.max_concurrent_jobs(start),
            jobs_by_connection=by_connection,
            job_statuses={job.job_id: job.status(now) for job in jobs},
            job_durations={job.job_id: job.ends_at - job.created_at for job in jobs},
            job_times={job.job_id: (job.created_at, job.final_at) for job in jobs},
            faults_injected=dict(self._injector.counts),
            restarts=self._observer.restarts,
            tokens_minted=minter.minted if minter is not None else 0,
            since=start,
            triggers_rejected=self._observer.triggers_rejected,
            trigger_timeline=tuple(self._observer.trigger_timeline),
            max_in_flight_cancels=self._observer.max_cancels_in_flight,
            cancels_in_flight=self._observer.cancels_in_flight,
            syncs_in_flight=self._observer.syncs_in_flight,
            requests_on_older_tokens=minter.older_token_uses if minter is not None else 0,
            connections_opened=self._observer.connections_opened,
        )

    def _stats_json(self) -> dict[str, Any]:
        return self.stats().to_json()

    def reset_stats(self) -> None:
        """Start a new observation window: counters, peaks, recorded requests, fault counts."""
        self._observer.reset(self._state.clock())
        self._injector.counts.clear()

    # -- faults -----------------------------------------------------------------------------

    @property
    def faults(self) -> list[Fault]:
        """The active faults; assign a new list (of faults or dicts) to replace them."""
        return self._injector.faults

    @faults.setter
    def faults(self, faults: Sequence[Fault | Mapping[str, Any]] | None) -> None:
        self.set_faults(faults)

    def set_auth(self, auth: AuthPolicy | None) -> None:
        """
        Accept other credentials from now on, as after a password change or a revoked token
        or application: requests with the old ones get 401, and tokens minted before are no
        longer valid. Raises as the *auth* option does.
        """
        minter = self._minter_for(auth)  # raises first, for a wrong *auth*
        self.auth = auth
        self._api.auth = auth
        self._api.minter = minter

    def _minter_for(self, auth: AuthPolicy | None) -> TokenMinter | None:
        _check_auth(auth)
        if not isinstance(auth, RequireClientCredentials):
            return None
        if self.airbyte_version == "0.40":
            raise ValueError("Airbyte 0.40 has no applications/token route for client credentials")
        return TokenMinter(auth.token_lifetime, clock=self.clock)

    def set_faults(self, faults: Sequence[Fault | Mapping[str, Any]] | None) -> None:
        """Replace the active faults (seeded afresh); None or [] switches them off."""
        self._injector.replace(as_faults(faults))
        self._restart_generation += 1
        if self._restart_scope is not None:
            self._restart_scope.cancel()
        if self._tasks is not None:
            self._tasks.start_soon(self._scheduled_restarts, self._restart_generation)

    async def restart(self, *, downtime: float = 0.0) -> None:
        """
        Restart the server as a crash would: every open connection is reset, requests in
        flight do not act after it, and for *downtime* seconds new connections are refused.
        State is kept. A restart is not cut short: cancelled (faults switched off, the emulator
        stopped), it still ends with the server listening.
        """
        runner = self._runner
        if runner is None or self._site is None:
            raise RuntimeError("the Emulator is not running")
        with anyio.CancelScope(shield=True):
            async with self._restart_lock:  # one at a time: each replaces the listening site
                await self._restart(runner, downtime)

    async def _restart(self, runner: web.AppRunner, downtime: float) -> None:
        assert self._site is not None
        self._http.generation += 1
        self._api.threads.restarted()
        self._observer.restarts += 1
        held = None
        if downtime > 0:
            self._http.down = True
            await self._site.stop()
            held = _hold_port(self.host, self._bound_port)
        if runner.server is not None:
            for connection in runner.server.connections:
                reset_transport(connection.transport)
        if downtime > 0:
            try:
                await anyio.sleep(downtime)
            finally:
                self._http.down = False
                if held is not None:
                    held.close()
            self._site = web.TCPSite(runner, self.host, self._bound_port, reuse_address=True)
            await self._site.start()

    async def _scheduled_restarts(self, generation: int) -> None:
        schedules = self._injector.restart_faults()
        if not schedules or generation != self._restart_generation:
            return
        with anyio.CancelScope() as scope:
            self._restart_scope = scope
            async with anyio.create_task_group() as tg:
                for fault, rng in schedules:
                    tg.start_soon(self._restart_every, fault, rng)

    async def _restart_every(self, fault: Fault, rng: random.Random) -> None:
        every = fault.every or 1.0
        while True:
            await anyio.sleep(every * rng.uniform(0.5, 1.5))
            if rng.random() < fault.rate:
                self._injector.record("restart")
                await self.restart(downtime=fault.downtime)


async def serve(emulator: Emulator, *, on_ready: Callable[[str], None] | None = None) -> None:
    """
    Run *emulator* until SIGINT or SIGTERM. *on_ready*, if given, is called with the base URL
    once it listens.
    """
    with anyio.open_signal_receiver(signal.SIGINT, signal.SIGTERM) as signals:
        async with emulator:
            if on_ready is not None:
                on_ready(emulator.url)
            async for _ in signals:
                return


def _check_auth(auth: object) -> None:
    """Raise TypeError for an *auth* that is no policy."""
    if auth is not None and not isinstance(
        auth, RequireBasic | RequireBearer | RequireClientCredentials
    ):
        raise TypeError(
            "auth must be None, RequireBasic, RequireBearer or RequireClientCredentials"
        )


def _count_connections(runner: web.AppRunner, observer: Observer) -> None:
    """Have *observer* count each connection *runner*'s server accepts."""
    server = runner.server
    assert server is not None  # set up
    accepted = server.connection_made

    # aiohttp's request handlers report each accepted connection to their server.
    def counted(handler: RequestHandler, transport: asyncio.Transport) -> None:
        observer.connection_opened()
        accepted(handler, transport)

    server.connection_made = counted  # type: ignore[method-assign]


def _hold_port(host: str, port: int) -> socket.socket | None:
    """
    A socket bound to *port*, not listening: connections to it are refused, and no other
    socket of this machine is given the port meanwhile (another emulator's listener, or a
    client connection's own end, which would keep the restart from binding it again). None when
    the port cannot be bound.
    """
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    held = socket.socket(family, socket.SOCK_STREAM)
    try:
        held.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        held.bind((host, port))
    except OSError:
        held.close()
        return None
    return held
