"""
Sync many connections at once: bounded, batch-polled, and cleaned up when given up on.

:class:`Orchestrator` triggers one sync per connection and returns one :class:`SyncResult` per
connection, never tearing the batch down for one connection's failure (unless *fail_fast*, or
a trigger answered that nothing at the client's URL serves the API: the batch raises that
:class:`~airbyte_async.errors.UnsupportedOperationError`, sending no more triggers). A
retried task passes ``adopt_since`` to take on the syncs its first try started instead of
starting them again (see :meth:`Orchestrator.stream`).

Bounds, each named for what it limits:

- ``max_running``: syncs running on Airbyte at once (a worker per slot, each owning one sync);
- ``max_triggers``: ``connections/sync`` calls in flight at once (they are slow under load), a
  ceiling for the limit that adapts to the server's answers (:mod:`airbyte_async._limiter`);
- HTTP requests in flight: the client's connection pool (``AirbyteClient(max_connections=...)``).

Polling costs a constant number of requests per cycle, however many jobs run (see
:mod:`airbyte_async._watch`). When the batch deadline passes, the caller cancels (a deadline of
its own, Ctrl-C), or *fail_fast* stops the batch, the jobs in flight are read at once (one batch
read) in a shielded scope: a job that ended is reported as it ended, and only a job this batch
started that still runs is cancelled on Airbyte (which cancels whatever job the connection runs,
whatever id is sent). Meanwhile the triggers on their way are heard out, and the job each
answer names is settled as it comes; the jobs of triggers cut short are found by the server's
clock first.
A cancel answers only once its job stopped, so up to 25 are sent at once, as many as Airbyte's
scheduler executor runs by default. The give-up's reads, cancels and results are
:mod:`airbyte_async._giveup`'s.
"""

from __future__ import annotations

import datetime as dt
import enum
import fnmatch
import logging
import math
import re
import time
from collections.abc import (
    AsyncIterator,
    Awaitable,
    Callable,
    Iterable,
    Iterator,
    Mapping,
    Sequence,
)
from contextlib import asynccontextmanager, contextmanager, suppress
from typing import TYPE_CHECKING, Literal, TypeVar

import anyio
import attrs
from anyio.streams.memory import MemoryObjectReceiveStream, MemoryObjectSendStream

from ._auth import ClientCredentials
from ._backend import TRIGGER_DEADLINE, JobChanges
from ._checks import canonical_uuid, canonical_uuid_or_none, seconds, uuid_id, whole
from ._giveup import FIND_PATIENCE, Cleanup, GiveUp
from ._limiter import TriggerLimiter
from ._retry import (
    MAX_OUTAGE,
    TOKEN_ROUTE,
    Outage,
    OutageLog,
    RefusalLog,
    about,
    is_retryable,
)
from ._syncs import (
    Flight,
    Outcome,
    SyncResult,
    SyncTarget,
    Triggering,
    from_job,
    sync_result,
    target_workspaces,
)
from ._watch import POLL_MAX_PAUSE, JobWatcher, Watch, some
from .errors import (
    AirbyteError,
    APIError,
    AuthenticationError,
    ConnectError,
    InvalidArgumentError,
    NoMatchError,
    NotFoundError,
    RateLimitError,
    RequestTimeoutError,
    ResponseValidationError,
    SyncAlreadyRunningError,
    TransportError,
    UnprocessableEntityError,
    UnsupportedOperationError,
)
from .models import Connection, ConnectionStatus, Job, JobStatus, JobType, SyncProgress
from .models._jobs import SYNC_TYPES

if TYPE_CHECKING:
    from ._backend import SyncBackend
    from ._client import AirbyteClient

__all__ = [
    "Batch",
    "EventKind",
    "OnRunning",
    "Orchestrator",
    "Outcome",
    "Selection",
    "SyncEvent",
    "SyncResult",
    "SyncTarget",
    "resolve_targets",
]

log = logging.getLogger("airbyte_async.orchestrator")

_T = TypeVar("_T")


class OnRunning(enum.StrEnum):
    """
    What to do when a connection already has a sync running (Airbyte answers 409), or one not
    running yet that the trigger met (Airbyte answers with that job, or on head fails after a
    minute: see :class:`~airbyte_async.errors.SyncAlreadyRunningError`): *attach* adopts that
    sync as this batch's, *skip* reports ``already_running`` with the sync's job, *fail*
    reports ``error``. A reset or clear that runs instead is no sync to attach to or skip:
    with *attach* or *skip*, the sync is triggered once it ended.
    A sync attached to is not cancelled when the batch is given up on: the batch did not
    start it.
    """

    ATTACH = "attach"
    SKIP = "skip"
    FAIL = "fail"


class EventKind(enum.StrEnum):
    """What a :class:`SyncEvent` reports."""

    TRIGGERED = "triggered"
    #: A sync a previous try started (``adopt_since``), taken on instead of a trigger.
    ADOPTED = "adopted"
    STATUS_CHANGED = "status_changed"
    PROGRESS = "progress"
    FINISHED = "finished"


@attrs.frozen
class SyncEvent:
    """
    What happened to one connection: its job was triggered (or *adopted*: a previous try's,
    see ``adopt_since``), its status changed, it reported
    live counters (*progress*, only with ``progress_interval``), or it finished (*result*).
    *trigger_limit* is the number of triggers allowed in flight when it was triggered or
    finished.

    The *kind* says which payload is set: *job* for ``triggered``, ``adopted`` and
    ``status_changed``, *progress* for ``progress``, *result* for ``finished``; the others are
    None. A type checker knows the kind's payload only as optional: test it
    (``if event.result is not None:``) to narrow it.
    """

    kind: EventKind
    target: SyncTarget
    job: Job | None = None
    result: SyncResult | None = None
    progress: SyncProgress | None = None
    trigger_limit: int | None = None


def _tag_names(value: str | Iterable[str]) -> frozenset[str]:
    # Typed as the callers are told (Selection's *tags*), checked as any value may come.
    names: object = (value,) if isinstance(value, str) else value
    if isinstance(names, Iterable):
        names = tuple(names)
        if all(isinstance(t, str) and t for t in names):
            return frozenset(names)
    raise InvalidArgumentError(f"tags must be tag names or ids (strings), got {value!r}")


@attrs.frozen
class Selection:
    """
    Connections chosen by where they live, what they are called and how they are tagged.

    *workspace_id* names one workspace, or *all_workspaces* takes every one. *name_glob*
    (``fnmatch``, case-sensitive) filters by connection name. *tags* (names or ids; one string
    is one tag) keeps the connections that carry any of them; a server that reports no tags
    (older releases) makes the selection raise
    :class:`~airbyte_async.errors.UnsupportedOperationError`. Only ``active`` connections are
    taken unless *include_inactive*.
    """

    workspace_id: str | None = attrs.field(default=None, converter=canonical_uuid_or_none)
    all_workspaces: bool = False
    name_glob: str | None = None
    include_inactive: bool = False
    tags: frozenset[str] = attrs.field(default=frozenset(), converter=_tag_names)

    def __attrs_post_init__(self) -> None:
        if (self.workspace_id is None) == (not self.all_workspaces) and not self.all_workspaces:
            raise InvalidArgumentError("a Selection needs workspace_id= or all_workspaces=True")
        if self.workspace_id is not None and self.all_workspaces:
            raise InvalidArgumentError("pass workspace_id= or all_workspaces=True, not both")
        if self.workspace_id is not None:
            uuid_id("workspace id", self.workspace_id)
        if self.name_glob is not None and not isinstance(self.name_glob, str):
            raise InvalidArgumentError(f"name_glob must be a string, got {self.name_glob!r}")

    def matches(self, connection: Connection) -> bool:
        """True when *connection* belongs to the selection (its workspace is not checked)."""
        if not self.include_inactive and connection.status is not ConnectionStatus.ACTIVE:
            return False
        # A tag id given in upper case is the id the server writes in lower case.
        ids = {canonical_uuid(t) for t in self.tags}
        if self.tags and not any(
            t.name in self.tags or t.tag_id in ids for t in connection.tags or ()
        ):
            return False
        return self.name_glob is None or fnmatch.fnmatchcase(connection.name, self.name_glob)


def _target(connection: Connection) -> SyncTarget:
    return SyncTarget(connection.connection_id, connection.name, connection.workspace_id)


#: What a result says of a trigger whose sync_timeout passed while it waited for a token.
_TOKENLESS = "its sync_timeout passed while it waited for an access token: not triggered"
#: Seconds the reads after a job ended still get once the batch gives up (see Batch._after_end).
_CAUSE_PATIENCE = 5.0
#: Seconds beyond cancel_grace that a client closing under a batch waits for it to give up:
#: the cleanup is bounded by cancel_grace, then the batch's tasks end.
_GIVE_UP_SLACK = 5.0

#: Connections of the client's pool that triggers leave to the rest of a batch's requests
#: (polls, look-ups, progress reads, cancels), or a quarter of a small pool.
_RESERVED_CONNECTIONS = 16

#: Up to this many ids are resolved one ``connections/get`` each; more go through listings.
_GET_EACH_LIMIT = 20

#: Connections whose jobs are looked for at once where the server cannot list workspaces'.
_LOOKS_IN_FLIGHT = 10
#: Jobs after which a sync's data is gone (the webapp shows both as "Clearing",
#: airbyte-platform ``isClearOrResetJob``): a sync they follow is run again, not adopted.
_CLEARING = frozenset({JobType.RESET_CONNECTION, JobType.CLEAR})
#: What the look for the syncs to adopt lists: the syncs (refreshes are syncs too, see
#: ``SYNC_TYPES``) and what clears their data; refresh and clear last (the Config API has
#: them from 0.63).
_LOOKED_AT = (JobType.SYNC, JobType.RESET_CONNECTION, JobType.REFRESH, JobType.CLEAR)
#: Seconds that adopt_since may be past the server's clock as this client knows it: the
#: estimate lags by up to a second, and a stamp is rounded down to one.
_ADOPT_AHEAD = 2.0
#: Seconds further back, at most, that the look for a relative adopt_since lists, for a ``Date``
#: that runs ahead of the job stamps by a lead the client has not learned yet (a proxy's
#: clock): the listing teaches the lead, and a lead beyond this may still miss the first try's
#: syncs. A sync created up to this much before the window may be adopted instead (see
#: _adoptable). It reaches back only as far as ``Date`` leads this host's clock, and
#: _LEAD_SLACK more (``Date`` is whole seconds): with no proxy, no further.
_LEAD_MARGIN = 120.0
_LEAD_SLACK = 2.0
#: Seconds between the probe's answer and the second look (see Orchestrator._probed): a
#: trigger a scheduler thread took just before the probe may still be creating its job.
_PROBE_SETTLE = 1.0


async def resolve_targets(
    client: AirbyteClient, connections: Selection | Iterable[str | SyncTarget]
) -> list[SyncTarget]:
    """
    The connections a batch will sync, de-duplicated, in the order given.

    Ids are checked to be UUIDs before any request (:class:`InvalidArgumentError`). Names and
    workspaces come from ``connections/get`` for a few ids, or from one listing per workspace
    for many. An id the server does not know is kept (its sync will report the error). An
    empty result raises :class:`InvalidArgumentError` (nothing given) or
    :class:`NoMatchError` (a selection that matched nothing); a look-up that fails, its own
    :class:`~airbyte_async.errors.AirbyteError`.
    """
    if isinstance(connections, Selection):
        return await _select(client, connections)
    given = _given(connections)
    missing = [
        cid for cid, target in given.items() if target is None or target.workspace_id is None
    ]
    known: dict[str, SyncTarget] = {}
    if len(missing) > _GET_EACH_LIMIT:
        async for workspace in client.workspaces.list():
            wid = workspace.workspace_id
            # Only names and workspaces are wanted: the catalogs, most of a listing, are dropped.
            async for conn in client.connections.list(workspace_id=wid, catalogs=False):
                known[conn.connection_id] = _target(conn)
    still = [cid for cid in missing if cid not in known]

    failed: list[AirbyteError] = []

    async def get_one(cid: str) -> None:
        try:
            known[cid] = _target(await client.connections.get(connection_id=cid))
        except NotFoundError:
            known[cid] = SyncTarget(cid)
        except AirbyteError as e:
            failed.append(e)

    limiter = anyio.CapacityLimiter(10)

    async def bounded(cid: str) -> None:
        async with limiter:
            await get_one(cid)

    async with anyio.create_task_group() as tg:
        for cid in still:
            tg.start_soon(bounded, cid)
    if failed:
        # As itself, not in a task group's exception group: callers catch AirbyteError.
        raise failed[0]
    return [target or known[cid] for cid, target in given.items()]


#: An id in the form of a UUID, within text: several in one string are a list rendered as text.
_UUID_IN_TEXT = re.compile(r"[0-9a-fA-F]{8}(?:-[0-9a-fA-F]{4}){3}-[0-9a-fA-F]{12}")


def _given(connections: Iterable[str | SyncTarget]) -> dict[str, SyncTarget | None]:
    """
    The connections given, checked and de-duplicated in order, each with its target when
    one was given; :class:`InvalidArgumentError` for anything else, or for none.
    """
    if isinstance(connections, str) and len(ids := _UUID_IN_TEXT.findall(connections)) > 1:
        raise InvalidArgumentError(
            f"connections must be a list of ids or targets (or a Selection), got a string "
            f"holding {len(ids)} ids, a list rendered as text (a scheduler's template? Airflow's "
            f"render_template_as_native_obj=True keeps it a list): {connections!r}"
        )
    if isinstance(connections, str | SyncTarget):
        raise InvalidArgumentError(
            f"connections must be a list of ids or targets (or a Selection), got one: "
            f"{connections!r}; pass [it]"
        )
    if not isinstance(connections, Iterable):
        raise _not_a_list(connections)
    given: dict[str, SyncTarget | None] = {}
    for item in connections:
        # Ids in lower case, as the jobs listed name them: the batch compares them.
        if isinstance(item, SyncTarget):
            cid = uuid_id("connection id", item.connection_id)
            workspace = item.workspace_id
            if workspace is not None:
                workspace = uuid_id("workspace id", workspace)
            given.setdefault(cid, attrs.evolve(item, connection_id=cid, workspace_id=workspace))
        elif isinstance(item, str):
            given.setdefault(uuid_id("connection id", item), None)
        else:
            raise InvalidArgumentError(f"not a connection id: {item!r}")
    if not given:
        raise InvalidArgumentError("no connections to sync: the list is empty")
    return given


def _not_a_list(connections: object) -> InvalidArgumentError:
    return InvalidArgumentError(
        "connections must be a list of ids or targets (or a Selection), got "
        f"{type(connections).__name__}"
    )


async def _select(client: AirbyteClient, selection: Selection) -> list[SyncTarget]:
    if selection.workspace_id is not None:
        workspace_ids = [selection.workspace_id]
    else:
        workspace_ids = [w.workspace_id async for w in client.workspaces.list()]
    targets: list[SyncTarget] = []
    untagged = True  # no connection listed says what tags it has
    for wid in workspace_ids:
        # Catalogs make up most of a listing: dropped as it is decoded, never all held at once.
        async for conn in client.connections.list(workspace_id=wid, catalogs=False):
            untagged = untagged and conn.tags is None
            if selection.matches(conn):
                targets.append(SyncTarget(conn.connection_id, conn.name, conn.workspace_id or wid))
    if not targets:
        if selection.tags and untagged:
            raise UnsupportedOperationError(
                "this server does not report connections' tags (older Airbyte releases have "
                "none): select by workspace and name instead"
            )
        where = selection.workspace_id or "any workspace"
        glob = f" named like {selection.name_glob!r}" if selection.name_glob else ""
        tagged = f" tagged {' or '.join(sorted(selection.tags))}" if selection.tags else ""
        kind = "connection" if selection.include_inactive else "active connection"
        raise NoMatchError(f"no {kind}{glob}{tagged} in {where}")
    return list({t.connection_id: t for t in targets}.values())


@attrs.frozen
class _Duplicate:
    """
    A job this batch's trigger started (*job_id*) while a previous try's sync of the
    connection (*of*), whose trigger the server ran after the look, had already ended: a
    second sync. *left* is how the cancel left the job: as it ended, or None when its end was
    not seen (it may still run).
    """

    job_id: int
    of: int
    left: Job | None

    @property
    def stopped(self) -> bool:
        """True when the cancel stopped the job."""
        return self.left is not None and self.left.status is JobStatus.CANCELLED

    def told(self, result: SyncResult) -> SyncResult:
        """*result*, the earlier job's, saying what became of this batch's second sync."""
        if result.job_id != self.of:
            return result
        result = attrs.evolve(result, duplicate_job_id=self.job_id)
        if self.stopped:
            return result
        if self.left is not None and self.left.status.is_terminal:
            what = f"it ended ({self.left.status}) before its cancel: the connection synced twice"
        else:
            what = "its cancel did not stop it in time: it may still run"
        text = (
            f"this try's job {self.job_id} is a second sync of job {self.of} (a previous try's, "
            f"its trigger run by the server after the look for it); {what}"
        )
        return attrs.evolve(
            result,
            error=f"{result.error}; {text}" if result.error else text,
            left_running=result.left_running or self.left is None,
        )


@attrs.define(eq=False)
class Batch:
    """
    One batch run: its own targets, results, polls and bounds, whatever else the orchestrator
    runs at the same time. :meth:`Orchestrator.stream` yields it; iterate it for each result
    as soon as it is final. *results* is kept up to date while the batch runs (and stays
    readable after it was cancelled), in the order of *targets* once it ends.
    """

    targets: list[SyncTarget]
    _watcher: JobWatcher = attrs.field(alias="watcher")
    _send: MemoryObjectSendStream[SyncResult] = attrs.field(alias="send")
    _receive: MemoryObjectReceiveStream[SyncResult] = attrs.field(alias="receive")
    _triggers: TriggerLimiter = attrs.field(alias="triggers")
    results: dict[str, SyncResult] = attrs.field(factory=dict)
    _flights: dict[str, Flight] = attrs.field(factory=dict, init=False)
    #: Connections whose trigger is in flight: their job may exist before its id comes back.
    _triggering: dict[str, Triggering] = attrs.field(factory=dict, init=False)
    _targets_by_job: dict[int, SyncTarget] = attrs.field(factory=dict, alias="targets_by_job")
    #: The jobs to adopt instead of triggering, by connection (see ``adopt_since``), until a
    #: worker or a give-up takes them on.
    _adopt: dict[str, Flight] = attrs.field(factory=dict, alias="adopt")
    #: When the batch times out (anyio's clock), and why it triggers nothing, if it timed out
    #: before it knew what to trigger (listing its connections, or looking for the syncs to
    #: adopt).
    _deadline: float = attrs.field(default=math.inf, alias="deadline")
    _unsent: str | None = attrs.field(default=None, alias="unsent")
    #: The start of ``adopt_since``'s window, as the look reckoned it: a sync found running
    #: (409) that was created since is the previous try's too, its trigger answered late.
    _adopt_floor: dt.datetime | None = attrs.field(default=None, alias="adopt_floor")
    _late_adopted: set[str] = attrs.field(factory=set, init=False)
    #: The newest job id of each connection the look listed: a newer one appeared since.
    _looked: dict[str, int] = attrs.field(factory=dict, alias="looked")
    #: The connection whose trigger goes first, alone, when the look left several to trigger
    #: (see Orchestrator._probed); the others' triggers wait for *_probe_done*. When it left
    #: none, the first whose adopted sync a cancel not this batch's stops (see
    #: Orchestrator._cancelled_before_probe).
    _probe: str | None = attrs.field(default=None, alias="probe")
    #: The connections to trigger after the probe, which the look made again is for.
    _after_probe: list[SyncTarget] = attrs.field(factory=list, alias="after_probe")
    _probe_done: anyio.Event = attrs.field(factory=anyio.Event, init=False)
    #: Whether the probe's trigger is on its way (a worker took it on).
    _probe_sent: bool = attrs.field(default=False, init=False)
    #: The job the first look adopted, by connection: the look made again checks it.
    _first_adopted: dict[str, int] = attrs.field(factory=dict, alias="first_adopted")
    #: Those whose adopted sync the look made again saw cancelled: they are triggered again.
    _cancelled_adopted: set[str] = attrs.field(factory=set, init=False)
    #: This batch's jobs found to be second syncs of a previous try's, by connection.
    _duplicates: dict[str, _Duplicate] = attrs.field(factory=dict, init=False)
    #: The warnings of the checks for them that fail: an outage is told once.
    _check_failures: OutageLog = attrs.field(
        factory=lambda: OutageLog(
            "checking this try's syncs against a previous try's", ("check", "checks"), logger=log
        ),
        init=False,
    )
    _stopping: bool = attrs.field(default=False, init=False)
    #: Every worker is done with every target: the end of the batch gives nothing up.
    _completed: bool = attrs.field(default=False, init=False)
    _finished: bool = attrs.field(default=False, init=False)
    _ended: anyio.Event = attrs.field(factory=anyio.Event, init=False)
    #: Why the batch was cancelled, for its results.
    _why: str = attrs.field(default="the batch was cancelled", init=False)
    #: Why *fail_fast* stopped the batch: the result that did, named.
    _stopped_by: str = attrs.field(default="stopped by fail_fast", init=False)
    #: Until when (anyio's clock) triggers on their way may still answer, and when the batch
    #: was given up on: set on a give-up.
    _answers_until: float = attrs.field(default=math.inf, init=False)
    _given_up_at: float | None = attrs.field(default=None, init=False)
    #: The shielded reads about jobs that ended (see :meth:`_after_end`), each with the
    #: seconds it gets once the batch gives up.
    _late_reads: dict[anyio.CancelScope, float] = attrs.field(factory=dict, init=False)
    #: What stopped the batch's triggers, if anything: the client's credentials refused, or
    #: no access token to be had (the token endpoint down past a trigger's retries).
    _refused: AirbyteError | None = attrs.field(default=None, init=False)
    #: A trigger's answer that nothing at the client's URL serves the API: the batch stops
    #: triggering, as with *fail_fast*, and raises it.
    _wrong_url: UnsupportedOperationError | None = attrs.field(default=None, init=False)
    #: Whether :meth:`stop_cleanup` was called: a cleanup not begun yet ends as it begins.
    _hurried: bool = attrs.field(default=False, init=False)
    #: The shielded scope of the reads and cancels of the jobs given up on, while they run.
    _cleanup: anyio.CancelScope | None = attrs.field(default=None, init=False)
    #: Set on a give-up: the cleanup begins then, while triggers on their way are heard out.
    _giving_up: anyio.Event = attrs.field(factory=anyio.Event, init=False)
    #: The cleanup begun at the give-up, for the results (see Orchestrator._abandon), and
    #: what interrupted it (a second signal), raised once the results are told.
    _early: Cleanup | None = attrs.field(default=None, init=False)
    _interrupted: BaseException | None = attrs.field(default=None, init=False)

    @property
    def polls(self) -> int:
        """Listings made to watch the jobs so far (rounds of reads on 0.40)."""
        return self._watcher.polls

    @property
    def trigger_limit(self) -> int:
        """How many triggers may be in flight at once."""
        return self._triggers.limit

    @property
    def triggers_in_flight(self) -> int:
        """Triggers in flight now."""
        return self._triggers.in_flight

    def __aiter__(self) -> Batch:
        return self

    async def __anext__(self) -> SyncResult:
        """The next result as soon as it is final; the end of the batch stops the iteration."""
        try:
            result = self._receive.receive_nowait()
        except anyio.WouldBlock:
            pass  # waited for below
        except anyio.EndOfStream:
            raise StopAsyncIteration from None
        else:
            # Results come in bursts (one listing ends many syncs): one that is ready is taken
            # without a turn of the event loop each, which adds up, but still where a
            # cancelled caller stops.
            await anyio.lowlevel.checkpoint_if_cancelled()
            return result
        try:
            return await self._receive.receive()
        except anyio.EndOfStream:
            raise StopAsyncIteration from None
        except BaseException as stopped:
            # anyio waits inside its own `except WouldBlock`: what stops the wait (a Ctrl-C, a
            # deadline) would show that plumbing as its context in the caller's traceback.
            if isinstance(stopped.__context__, anyio.WouldBlock):
                stopped.__context__ = None
            raise

    def stop_cleanup(self) -> bool:
        """
        Stop the waits for triggers' answers, and the reads and cancels of the jobs, of this
        batch giving up (which may take up to ``cancel_grace`` while the server is away): the
        jobs not settled yet are reported as possibly still running. True when the batch was
        giving up.
        """
        if self._given_up_at is None:
            return False
        self._answers_until = -math.inf
        self._hurried = True
        for entry in self._triggering.values():
            entry.scope.cancel()
        for scope in self._late_reads:
            scope.cancel()
        if self._cleanup is not None:
            self._cleanup.cancel()
        return True

    @contextmanager
    def _after_end(self, patience: float) -> Iterator[None]:
        """
        Shield a read about a job that ended, whose flight is gone: a give-up meanwhile would
        otherwise lose that job's result and report a sync never started. The read runs as
        any other until the batch gives up, then gets *patience* seconds more.
        """
        with anyio.CancelScope(shield=True) as scope:
            if self._given_up_at is not None:
                scope.deadline = anyio.current_time() + patience
            self._late_reads[scope] = patience
            try:
                yield
            finally:
                del self._late_reads[scope]

    def _unclaimed(self) -> list[Flight]:
        """The adopted jobs no worker has taken on: a give-up settles them as its own."""
        flights = list(self._adopt.values())
        self._adopt.clear()
        return flights

    def _hear_out(self, seconds: float) -> None:
        """Give the triggers on their way *seconds* more to answer, then cut them short."""
        now = anyio.current_time()
        if self._given_up_at is None:
            self._given_up_at = now
            self._giving_up.set()
            for scope, patience in self._late_reads.items():
                scope.deadline = min(scope.deadline, now + patience)
        until = now + seconds
        if until < self._answers_until:
            self._answers_until = until
            for entry in self._triggering.values():
                entry.scope.deadline = min(entry.scope.deadline, until)

    def _ordered(self) -> None:
        """Put the results in the order the targets were given."""
        ordered = {t.connection_id: self.results[t.connection_id] for t in self.targets}
        self.results.clear()
        self.results.update(ordered)


class Orchestrator:
    """
    Runs one sync for each of many connections; reusable for several batches.

    At most *max_running* syncs run at once. *poll_interval* and *max_poll_interval* bound the
    pause between two polls of the batch's jobs, in seconds (0.09 and 30.0 by default; the pace
    between them follows the rate at which jobs end). *on_running* says what becomes of a sync
    already there when the batch triggers it (a 409, or one not running yet that the trigger
    met, see :class:`OnRunning`): ``attach`` (the default) follows it, ``skip`` reports
    ``already_running``, ``fail`` reports ``error``. *fail_fast* stops the
    batch at the first sync that does not succeed, as a give-up does.

    *sync_timeout* bounds one connection's sync from the sending of its trigger (its job is
    cancelled and the result is ``timed_out``); the trigger itself is waited for, so that its
    job is known and can be cancelled: one that answers after the deadline has its job
    cancelled at once. A trigger that timed out is held while its job is looked for (see
    :mod:`airbyte_async.resources._reconcile`), never sent again past the deadline: it is
    looked for as long as triggers are heard out on a give-up, then its result is
    ``timed_out``, saying a sync may still run. *timeout* bounds the whole
    batch (the same for every sync still running, and ``timed_out`` without a job for those
    never triggered) from the call, the listing of its connections and the look for the syncs
    to adopt (``adopt_since``) included: a batch that times out before it knows what to
    trigger (a server holding those calls) triggers nothing, each connection given
    ``timed_out`` ("none was triggered"), or, for a :class:`Selection`, whose connections it
    does not know, :class:`~airbyte_async.errors.RequestTimeoutError` is raised (a server
    failing them until then raises its last error, as an outage does). Both are optional:
    callers may also wrap a call in :func:`anyio.fail_after`, which cancels the jobs too, then
    raises. *cancel_on_abort* (default on) decides whether Airbyte jobs are cancelled when the
    batch is given up on (only jobs it started, or adopted from a previous try, that a read,
    made at once, shows running; a job
    that ended is reported as it ended; triggers on their way are heard out meanwhile for a
    while, the job each answer names settled as it comes, and the jobs of those still
    unanswered are looked for until they stop turning up, since a server that queues triggers
    starts them later); hearing out, reading and cancelling get *cancel_grace*
    seconds from the give-up, shielded from the cancellation that caused them. *backend* is
    where syncs are triggered, watched and cancelled
    (:class:`~airbyte_async._backend.SyncBackend`): the client's Config API unless given.

    *on_event*, when given, is called synchronously for every :class:`SyncEvent`; without it,
    polls ask for final jobs only. An exception it raises (or a signal handler raises while a
    task of the batch runs) stops the batch as a cancellation does, every result not final being
    ``error``, and then reaches the caller as itself (when it raised in several tasks at once,
    for syncs that ended in the same poll, the first does, each other named in a note of its,
    ``__notes__``, and dropped); one a signal handler raises in the
    caller's own code cancels the batch, whose results not final are then ``cancelled``. With
    *progress_interval*, the running syncs' live counters are read from
    ``connections/sync_progress`` (where the server has it), every running connection once per
    interval, four at a time, and reported as ``progress`` events: one request per running sync
    per interval, so keep it for small batches or long intervals.
    With *log_tail*, a failed sync's result carries the last *log_tail* lines of its log (one
    ``jobs/get`` with logs per failure).

    A server that is away for a while (a restart, an upgrade) does not fail the syncs it runs:
    failed polls are waited out for up to ten minutes (see
    :class:`~airbyte_async._watch.JobWatcher`), within *timeout* and *sync_timeout*; so is
    the listing of the connections a batch starts with, once the server has answered this
    client (a server never reached fails the batch at once).

    Syncs need an access token when the client holds
    :class:`~airbyte_async.ClientCredentials`. Credentials the token endpoint refuses, and a
    token endpoint that still fails once a trigger has waited it out (five minutes, as for a
    server restart), stop the batch's triggers: that trigger's result is ``error`` with the
    token request's error, and those not sent yet are ``error`` "not triggered" without a
    request, rather than each trigger waiting in turn for what could only fail the same way.
    No trigger that could not get a token was sent, so none may have started a sync. So do a
    trigger refused with 429s for as long as it waits (five minutes), and polls refused so for
    theirs (ten): Airbyte Cloud sheds a user's requests until an operator lifts it (API-FACTS
    7); a sync whose polls gave up is ``error``, ``left_running``. A trigger waits for its
    token before it leaves, unshielded: a batch given up on meanwhile (a slow token endpoint
    past *timeout*) ends the wait, and a sync whose *sync_timeout* passes first is not
    triggered (``timed_out``, no job), rather than started past its deadline.

    Triggers in flight start at 16 and follow the server (:mod:`airbyte_async._limiter`): up
    while their latency stays flat, down when it grows or the server answers 429, 502, 503 or
    504 (Cloudflare: 522, 524), never above *max_triggers* (default: *max_running*).
    *adaptive_triggers* False holds them at *max_triggers*. Either way they leave 16 of the
    client's connections (a quarter of a smaller pool, see ``AirbyteClient(max_connections=...)``)
    to the polls and cancels.
    """

    def __init__(
        self,
        client: AirbyteClient,
        *,
        max_running: int = 50,
        max_triggers: int | None = None,
        adaptive_triggers: bool = True,
        poll_interval: float = 0.09,
        max_poll_interval: float = 30.0,
        sync_timeout: float | None = None,
        timeout: float | None = None,
        on_running: OnRunning | Literal["attach", "skip", "fail"] = OnRunning.ATTACH,
        cancel_on_abort: bool = True,
        cancel_grace: float = 30.0,
        fail_fast: bool = False,
        on_event: Callable[[SyncEvent], None] | None = None,
        progress_interval: float | None = None,
        log_tail: int = 0,
        backend: SyncBackend | None = None,
    ) -> None:
        whole("max_running", max_running, minimum=1)
        if max_triggers is not None:
            whole("max_triggers", max_triggers, minimum=1)
        whole("log_tail", log_tail, minimum=0)
        seconds("poll_interval", poll_interval)
        seconds("max_poll_interval", max_poll_interval)
        seconds("cancel_grace", cancel_grace)
        for name, optional in (
            ("sync_timeout", sync_timeout),
            ("timeout", timeout),
            ("progress_interval", progress_interval),
        ):
            if optional is not None:
                seconds(name, optional)
        if progress_interval is not None and on_event is None:
            raise InvalidArgumentError("progress_interval needs on_event= to report to")
        if on_event is not None and not callable(on_event):
            raise InvalidArgumentError(f"on_event must be callable, got {on_event!r}")
        if max_poll_interval < poll_interval:
            raise InvalidArgumentError("max_poll_interval must not be below poll_interval")
        try:
            self.on_running = OnRunning(on_running)
        except ValueError:
            choices = ", ".join(o.value for o in OnRunning)
            raise InvalidArgumentError(
                f"on_running must be one of {choices}, got {on_running!r}"
            ) from None
        if backend is None and not callable(getattr(client, "sync_backend", None)):
            raise InvalidArgumentError(f"client must be an AirbyteClient, got {client!r}")
        self.client = client
        #: Where syncs are triggered, watched and cancelled: the client's API by default.
        self.backend: SyncBackend = backend or client.sync_backend()
        #: The client's jobs resource the default backend was made of (None: a backend given).
        self._backend_of: object | None = None if backend is not None else client.jobs
        self.max_running = max_running
        self.max_triggers = max_running if max_triggers is None else max_triggers
        self.adaptive_triggers = adaptive_triggers
        self.poll_interval = poll_interval
        self.max_poll_interval = max_poll_interval
        self.sync_timeout = sync_timeout
        self.timeout = timeout
        self.cancel_on_abort = cancel_on_abort
        self.cancel_grace = cancel_grace
        self.fail_fast = fail_fast
        self.on_event = on_event
        self.progress_interval = progress_interval
        self.log_tail = log_tail
        self._told_no_logs = False
        self._latest: Batch | None = None
        #: The widest listing overlap a batch's watcher learned (a server that commits ends
        #: late, see JobWatcher): the next batches start from it instead of learning it again.
        self._overlap = 0.0
        #: Whether the server may list clear jobs (0.63 and later, and the public API).
        self._lists_clears = True
        #: The warnings of every read of jobs given up on (one for each job, at the cleanup's
        #: turns): an outage during a cleanup is told once, not once per job and read.
        self._given_up_reads = OutageLog(
            "reading the jobs given up on", ("read", "reads"), logger=log
        )
        # The reads of failed syncs' logs (log_tail) fail together through an outage: warned of
        # at the first, once a minute at most after, not once per failed sync.
        self._log_reads = RefusalLog(_NO_LOG, _STILL_NO_LOG, logger=log)

    @property
    def results(self) -> dict[str, SyncResult]:
        """The results of the batch started last (see :attr:`Batch.results`)."""
        return self._latest.results if self._latest is not None else {}

    @property
    def targets(self) -> list[SyncTarget]:
        """The connections of the batch started last, resolved and de-duplicated."""
        return self._latest.targets if self._latest is not None else []

    @property
    def polls(self) -> int:
        """Listings made to watch the jobs of the batch started last (see :attr:`Batch.polls`)."""
        return self._latest.polls if self._latest is not None else 0

    @property
    def trigger_limit(self) -> int | None:
        """Triggers allowed in flight now by the latest batch (None before the first)."""
        return self._latest.trigger_limit if self._latest is not None else None

    async def run(
        self,
        connections: Selection | Iterable[str | SyncTarget],
        *,
        adopt_since: dt.datetime | dt.timedelta | None = None,
    ) -> list[SyncResult]:
        """
        Sync every connection and return all results, in the order the targets were given
        (*adopt_since*: see :meth:`stream`). A connection given twice is synced once and has
        one result, where it first came: match results by their ``connection_id``, not by
        their place in the list given.
        """
        async with self.stream(connections, adopt_since=adopt_since) as batch:
            async for _ in batch:
                pass
        return list(batch.results.values())

    @asynccontextmanager
    async def stream(
        self,
        connections: Selection | Iterable[str | SyncTarget],
        *,
        adopt_since: dt.datetime | dt.timedelta | None = None,
    ) -> AsyncIterator[Batch]:
        """
        Run a batch and yield it; iterate it for each result as soon as it is final::

            async with orchestrator.stream(ids) as batch:
                async for result in batch:
                    ...

        Leaving the block early gives the batch up (its jobs are cancelled, see the class).
        Batches run at the same time on one orchestrator share nothing but its settings.

        *adopt_since* (an aware datetime, not in the future) is for a retry of a task that
        ran a batch: a connection whose newest sync job was created at or after it (by the
        server's clock, to the whole second: Airbyte stamps whole seconds) gets no trigger,
        and that job is adopted as the batch's own, a previous try's: watched if it runs, and
        cancelled when the batch gives up (with *cancel_on_abort*), reported as it ended if it
        succeeded; its result says ``adopted``. A newest job that failed or was cancelled (the
        first try's failure, or its give-up) is not adopted: a retry runs that sync again; so
        is one followed by a reset or clear job (``reset_connection``, ``clear``), created
        since, whatever became of it: the data it synced may be gone. The
        others are triggered once, as without it. Adopted jobs are taken on before the
        triggers, so that those still running count against *max_running*. The
        jobs are looked for before any trigger is sent: one listing of the targets'
        workspaces (two ``jobs/list`` per connection, its syncs and its resets, ten at a time, on
        Airbyte 0.40; a server before 0.63, which has no clear jobs, refuses the first listing
        that names them, and is asked again without). A look
        that fails on errors that may pass is tried again through an outage, as the listing of
        the connections is; one that still fails raises its
        :class:`~airbyte_async.errors.AirbyteError`, no sync triggered. A trigger of the
        previous try's that the server acted on after the look shows as a trigger meeting a
        running sync (409): one created since *adopt_since* is adopted too, whatever
        *on_running*. One whose sync had ended by the time the batch's own trigger ran shows
        as no 409: so when the look left more than one connection to trigger (or one, besides
        adopted syncs), one trigger is sent first, alone (a probe), and once it answered (the
        server's queue of triggers is first come first served) the look is made again for the
        others, before their triggers (see :meth:`_probed`). That look also re-checks the
        syncs the first look adopted: one a previous try's late cancel stopped (it shows
        cancelled) is triggered again as the others; one cancelled after it is reported
        cancelled. A batch that adopted every connection sends no probe: the first adopted
        sync that a cancel not the batch's own stops is triggered again, that trigger the
        probe, and the look made again once it answered tells for the other adopted syncs as
        above. Besides, each sync the batch triggers is checked against
        one page of the connection's newest syncs (only with *adopt_since*), and one that
        repeats a sync of the previous try's is cancelled at once, that sync adopted instead,
        and the result names the cancelled job (``duplicate_job_id``); one warning per batch
        tells them. Its ``error`` says so when the cancel did not stop it (it ended first, or
        may still run: ``left_running``). A previous try's trigger run after this batch's sync
        ended is seen by no one.
        A time too early adopts a sync someone else started since.

        *adopt_since* may also be a :class:`~datetime.timedelta`: that long before this call,
        by the server's clock (its ``Date``, which the client has heard by the time it looks),
        not this host's, whose error would move the window: a host 5 minutes ahead of the
        server would miss the first try's syncs of those 5 minutes (or be refused, the time
        in the server's future), one behind would adopt syncs started before the first try.
        It reaches back up to a second more than asked (see
        :meth:`~airbyte_async._backend.SyncBackend.server_now`); a server that sends no
        ``Date`` leaves this host's clock. Behind a proxy whose ``Date`` runs ahead of the job
        stamps by a lead this client has not learned yet (no trigger answered it), the look
        lists further back by as much as ``Date`` runs ahead of this host's clock (two seconds
        more, two minutes at most) and learns the lead from the stamps it lists: the window
        may then start earlier than asked by up to the age of the newest job listed, within
        that margin (a sync a little older adopted, rather than one started twice); a lead
        beyond two minutes, or one this host's clock shares, may still miss the first try's
        syncs.
        """
        called = time.monotonic()
        deadline = math.inf if self.timeout is None else anyio.current_time() + self.timeout
        if adopt_since is not None:
            _since("adopt_since", adopt_since)
        if not isinstance(connections, Selection | str | SyncTarget):
            if not isinstance(connections, Iterable):
                raise _not_a_list(connections)
            connections = list(connections)  # an iterator is read once, and may be asked again
        self.client._open_session()  # a clear error now, not one from each task
        unsent: str | None = None
        try:
            targets = await self._resolve(connections, deadline)
        except _OutOfTime:
            targets = self._unlisted(connections)
            unsent = "the batch timed out listing the connections to sync: none was triggered"
        if self._backend_of is not None and self._backend_of is not self.client.jobs:
            # The client has settled on the other API since (api="auto", a server away then).
            self.backend = self.client.sync_backend()
            self._backend_of = self.client.jobs
        adopt: dict[str, Flight] = {}
        adopt_floor: dt.datetime | None = None
        looked: dict[str, int] = {}
        if adopt_since is not None and unsent is None:
            try:
                jobs, adopt_floor, looked, _ = await self._waited_out(
                    "looking for the syncs to adopt",
                    lambda: self._adoptable(targets, adopt_since, called),
                    deadline,
                )
            except _OutOfTime:
                # The first try's syncs are not known: any trigger might be a second one.
                unsent = "the batch timed out looking for the syncs to adopt: none was triggered"
            else:
                adopt = {
                    t.connection_id: Flight(t, jobs[t.connection_id], True, True)
                    for t in targets
                    if t.connection_id in jobs
                }
        to_trigger = [t for t in targets if t.connection_id not in adopt]
        probe: SyncTarget | None = None
        after_probe: list[SyncTarget] = []
        if adopt_floor is not None and (len(to_trigger) > 1 or (to_trigger and adopt)):
            # The look made again is for the others to trigger, and for the adopted syncs.
            *after_probe, probe = to_trigger
        send, receive = anyio.create_memory_object_stream[SyncResult](len(targets))
        targets_by_job: dict[int, SyncTarget] = {}
        watcher = JobWatcher(
            self.backend,
            min_interval=self.poll_interval,
            max_interval=self.max_poll_interval,
            on_change=self._on_change(targets_by_job) if self.on_event is not None else None,
            all_statuses=self.on_event is not None,
        )
        watcher.waiting = len(targets)
        watcher.overlap = max(watcher.overlap, self._overlap)
        batch = Batch(
            targets=targets,
            watcher=watcher,
            send=send,
            receive=receive,
            triggers=TriggerLimiter(self._trigger_ceiling(), adaptive=self.adaptive_triggers),
            targets_by_job=targets_by_job,
            adopt=adopt,
            deadline=deadline,
            unsent=unsent,
            adopt_floor=adopt_floor,
            looked=looked,
            probe=None if probe is None else probe.connection_id,
            after_probe=after_probe,
            first_adopted={cid: flight.job.id for cid, flight in adopt.items()},
        )
        self._latest = batch
        try:
            async with anyio.create_task_group() as tg, receive:

                async def give_up() -> None:
                    log.warning(
                        "the client was closed under a running batch: giving the batch up "
                        "(close the client after the batch ends)"
                    )
                    batch._why = "the client was closed under the batch"
                    tg.cancel_scope.cancel()
                    with anyio.move_on_after(self.cancel_grace + _GIVE_UP_SLACK):
                        await batch._ended.wait()

                tg.start_soon(self._run_batch, batch)
                try:
                    with self.client._in_use(give_up):
                        yield batch
                finally:
                    if not batch._finished:
                        tg.cancel_scope.cancel()
        except BaseExceptionGroup as group:
            # The task groups wrap what the caller's block or the batch's tasks raised: hand
            # back the first as it was.
            raise _unwrapped(group) from None

    async def _resolve(
        self, connections: Selection | Iterable[str | SyncTarget], deadline: float
    ) -> list[SyncTarget]:
        """:func:`resolve_targets`, waiting out an outage until *deadline* (see
        :meth:`_waited_out`)."""
        return await self._waited_out(
            "listing the connections to sync",
            lambda: resolve_targets(self.client, connections),
            deadline,
        )

    def _unlisted(self, connections: Selection | Iterable[str | SyncTarget]) -> list[SyncTarget]:
        """
        The targets of a batch that timed out resolving *connections*: the ids as given (the
        targets given, with what they say); for a *Selection*, which has none to report on,
        :class:`~airbyte_async.errors.RequestTimeoutError`.
        """
        if isinstance(connections, Selection):
            raise RequestTimeoutError(
                f"the batch timed out (timeout={self.timeout:g} s) listing the connections to "
                "sync: none was triggered"
            )
        return [target or SyncTarget(cid) for cid, target in _given(connections).items()]

    async def _waited_out(
        self, what: str, call: Callable[[], Awaitable[_T]], deadline: float = math.inf
    ) -> _T:
        """
        *call*'s answer, waiting out an outage as the polls do: failures that may pass are
        tried again after the pauses of :class:`~airbyte_async._retry.Outage`, for up to ten
        minutes (*timeout*, when shorter). A server this client has never reached is not
        waited for (more likely a wrong address than a restart), nor a call that outlasts the
        client's timeout. *what* names the call in the warnings: the first failure at once,
        then at most once a minute, and the try that works again (see
        :class:`~airbyte_async._retry.OutageLog`). At *deadline* (anyio's clock) the call is
        given up on: the outage's last error is raised, or, when none failed (a server that
        holds the call), :class:`_OutOfTime`.
        """
        limit = MAX_OUTAGE if self.timeout is None else min(MAX_OUTAGE, self.timeout)
        outage = Outage(
            limit=limit,
            max_pause=POLL_MAX_PAUSE,
            warnings=OutageLog(what, ("try", "tries"), logger=log),
        )
        last: AirbyteError | None = None
        with anyio.CancelScope(deadline=deadline) as scope:
            while True:
                began, resources = time.monotonic(), self.client.jobs
                try:
                    with outage.attempt():
                        answer = await call()
                except UnsupportedOperationError:
                    if self.client.jobs is resources:
                        raise
                    # The client settled on the other API meanwhile (api="auto"): its
                    # resources taken before refused; ask again with the new ones.
                    continue
                except AirbyteError as e:
                    never_reached = (
                        isinstance(e, ConnectError) and not self.client.server_clock.answered
                    )
                    # A call slower than the client's timeout is no outage: waiting on would
                    # only ask for it again and again (the call's own retries did).
                    slow = isinstance(e, RequestTimeoutError)
                    if never_reached or slow or not is_retryable(e, idempotent=True):
                        raise
                    outage.failed(began, e)
                    last = e
                    if outage.over():
                        raise
                else:
                    outage.ended(began)
                    return answer
                await anyio.sleep(outage.pause())
        assert scope.cancelled_caught
        if last is not None:
            raise last
        raise _OutOfTime(what)

    async def _adoptable(
        self,
        targets: Sequence[SyncTarget],
        adopt_since: dt.datetime | dt.timedelta,
        called: float,
    ) -> tuple[dict[str, Job], dt.datetime, dict[str, int], dict[str, int]]:
        """
        The newest sync job of each of *targets* created at or after *adopt_since* (to the
        whole second; a timedelta: before monotonic *called*, by the server's clock), by
        connection: one listing of their workspaces, or, where the server has none (0.40),
        each connection's newest jobs; the start of the window (whole seconds); the newest
        job id listed of each connection (see :meth:`_second_sync`); and the id of each
        connection's newest sync in the window when it was cancelled (see :meth:`_look_again`).
        A time past the server's clock now is an :class:`InvalidArgumentError`.

        A timedelta is reckoned again once the listing is read, which tells the clock how far
        ``Date`` leads the job stamps at most (:meth:`ServerClock.note_listed
        <airbyte_async._throttle.ServerClock.note_listed>`): a client that had not learned it
        would start the window late by the lead, and start the first try's syncs again. The
        listing reaches further back for that by as much as ``Date`` runs ahead of this host's
        clock (a proxy's clock ahead shows so), two seconds more, :data:`_LEAD_MARGIN` at
        most. The bound is the age of the newest stamp listed, so the window may then start
        earlier than asked by up to that age, within the margin: a sync a little older than
        asked adopted, rather than a sync started twice. With ``Date`` in step with this host's
        clock, the margin is two seconds: no older sync is adopted.
        """
        since = _resolved(adopt_since, self.backend, called)
        now = self.backend.server_now()
        now = time.time() if now is None else now
        if since.timestamp() > now + _ADOPT_AHEAD:
            raise InvalidArgumentError(
                f"adopt_since is in the future ({since.isoformat()}; the server's clock reads "
                f"{dt.datetime.fromtimestamp(now, dt.UTC).isoformat(timespec='seconds')}): "
                "pass the first try's start time"
            )
        relative = isinstance(adopt_since, dt.timedelta)
        margin = 0.0
        if relative and self.client.server_clock.observed:
            ahead = max(0.0, self.client.server_clock.offset)
            margin = min(_LEAD_MARGIN, ahead + _LEAD_SLACK)
        reach = _second(since - dt.timedelta(seconds=margin))
        wanted = {t.connection_id for t in targets}
        try:
            listed = await self._listed_since(targets, reach)
            # Only the targets' jobs are read in full: a workspace may have many more.
            jobs = [
                change.job()
                for change in listed.changes
                if change.config_id is None or change.config_id in wanted
            ]
        except UnsupportedOperationError:
            jobs = await self._newest_jobs(wanted)
        if relative:
            since = max(_resolved(adopt_since, self.backend, called), reach)
        floor = _second(since)
        newest: dict[str, Job] = {}
        cleared: dict[str, int] = {}
        seen: dict[str, int] = {}
        for job in jobs:
            cid = job.connection_id
            if cid in wanted:
                seen[cid] = max(job.id, seen.get(cid, job.id))
            if cid not in wanted or job.created_at < floor:
                continue
            if job.job_type in SYNC_TYPES and (cid not in newest or job.id > newest[cid].id):
                newest[cid] = job
            elif job.job_type in _CLEARING:
                cleared[cid] = max(job.id, cleared.get(cid, job.id))
        cancelled = {
            cid: job.id for cid, job in newest.items() if job.status is JobStatus.CANCELLED
        }
        for cid, job in list(newest.items()):
            # A failed or cancelled sync is what a retry is for: it runs again; so is one whose
            # data a reset or clear deleted since.
            if job.status in (JobStatus.FAILED, JobStatus.CANCELLED):
                del newest[cid]
            elif cleared.get(cid, 0) > job.id:
                log.info(
                    "sync %d of %s is not adopted: job %d cleared its data since",
                    job.id,
                    cid,
                    cleared[cid],
                    extra=about(cid, job.id),
                )
                del newest[cid]
        if newest:
            log.info(
                "adopting %d sync%s created since %s",
                len(newest),
                "" if len(newest) == 1 else "s",
                floor.isoformat(),
            )
        return newest, floor, seen, cancelled

    async def _listed_since(self, targets: Sequence[SyncTarget], floor: dt.datetime) -> JobChanges:
        """The sync, reset and clear jobs of *targets*' workspaces created since *floor*."""
        workspaces = target_workspaces(targets)
        if self._lists_clears:
            try:
                return await self.backend.changed_jobs(
                    workspace_ids=workspaces,
                    since=floor,
                    created_since=floor,
                    job_types=_LOOKED_AT,
                )
            except UnprocessableEntityError:
                # Before 0.63 the Config API has no refresh or clear jobs (API-FACTS 3), and a
                # name it does not know is a 422 (6.2): there are none to look for.
                self._lists_clears = False
        return await self.backend.changed_jobs(
            workspace_ids=workspaces, since=floor, created_since=floor, job_types=_LOOKED_AT[:2]
        )

    async def _newest_jobs(self, connection_ids: Iterable[str]) -> list[Job]:
        """Each connection's newest sync job and newest reset (0.40 has no clear jobs), ten
        connections at a time; a connection the server does not know has none. The first
        failure is raised as itself."""
        found: list[Job] = []
        failed: list[AirbyteError] = []
        limiter = anyio.CapacityLimiter(_LOOKS_IN_FLIGHT)

        async def one(cid: str) -> None:
            async with limiter:
                try:
                    jobs = await self.backend.jobs_since(connection_id=cid)
                    resets = await self.backend.jobs_since(
                        connection_id=cid, job_type=JobType.RESET_CONNECTION
                    )
                except NotFoundError:
                    return
                except AirbyteError as e:
                    failed.append(e)
                    return
            found.extend(jobs[:1] + resets[:1])

        async with anyio.create_task_group() as tg:
            for cid in connection_ids:
                tg.start_soon(one, cid)
        if failed:
            raise failed[0]
        return found

    def _trigger_ceiling(self) -> int:
        """
        *max_triggers*, less what the client's pool must keep for the polls, look-ups and
        cancels: a trigger past that would only wait for a connection, and the polls that
        free slots behind it.
        """
        pool = self.client.max_connections
        if pool is None:
            return self.max_triggers
        room = max(1, pool - min(_RESERVED_CONNECTIONS, pool // 4))
        if room < self.max_triggers:
            log.info(
                "triggers in flight capped at %d, below max_triggers=%d: the client has %d "
                "connections (max_connections=)",
                room,
                self.max_triggers,
                pool,
            )
            return room
        return self.max_triggers

    async def _run_batch(self, batch: Batch) -> None:
        # Adopted jobs first: those still running hold slots already; then the probe.
        ordered = batch.targets
        if batch._adopt or batch._probe is not None:
            ordered = sorted(
                ordered,
                key=lambda t: (
                    t.connection_id not in batch._adopt,
                    t.connection_id != batch._probe,
                ),
            )
        pending = iter(ordered)
        try:
            async with batch._send:
                if batch._unsent is not None:
                    await self._abandon(batch, pending, Outcome.TIMED_OUT, batch._unsent)
                    return
                with anyio.CancelScope(deadline=batch._deadline) as scope:
                    async with anyio.create_task_group() as tg:
                        tg.start_soon(batch._watcher.run)
                        tg.start_soon(batch._triggers.run)
                        tg.start_soon(self._hear_out_on_give_up, batch)
                        if self.progress_interval is not None:
                            tg.start_soon(self._report_progress, batch, self.progress_interval)
                        with self.client._renewing_in(tg):
                            async with anyio.create_task_group() as workers:
                                for n in range(min(self.max_running, len(batch.targets))):
                                    workers.start_soon(
                                        self._worker, batch, pending, workers.cancel_scope
                                    )
                                    if n % batch._triggers.limit == batch._triggers.limit - 1:
                                        # Let the first triggers leave before spawning the rest.
                                        await anyio.lowlevel.checkpoint()
                        batch._completed = not batch._stopping
                        tg.cancel_scope.cancel()
                if scope.cancelled_caught:
                    await self._abandon(batch, pending, Outcome.TIMED_OUT, "the batch timed out")
                elif batch._stopping:
                    why = batch._stopped_by
                    if batch._wrong_url is not None:
                        why = "not triggered: nothing at the client's URL serves the API"
                    await self._abandon(batch, pending, Outcome.CANCELLED, why)
                batch._ordered()
        except anyio.get_cancelled_exc_class():
            await self._abandon(batch, pending, Outcome.CANCELLED, batch._why)
            raise
        except BaseException as e:
            # One of the batch's tasks raised: a callback, or what a signal handler raised in
            # whichever task ran then (Airflow's execution_timeout does).
            failure = _first(e)
            why = f"the batch stopped on {type(failure).__name__}: {failure}"
            await self._abandon(batch, pending, Outcome.ERROR, why)
            raise
        finally:
            batch._finished = True
            batch._ended.set()
            self._overlap = max(self._overlap, batch._watcher.overlap)
            _tell_duplicates(batch._duplicates)
        if batch._wrong_url is not None:
            raise batch._wrong_url

    async def _worker(
        self, batch: Batch, pending: Iterator[SyncTarget], workers: anyio.CancelScope
    ) -> None:
        # One scope for all this worker's triggers, shielded while each is in flight (see
        # _send_trigger): a scope of its own for each trigger cost several µs a sync.
        with anyio.CancelScope() as hold:
            for target in pending:
                batch._watcher.waiting -= 1
                result = await self._sync(batch, target, hold)
                duplicate = batch._duplicates.get(target.connection_id)
                if duplicate is not None:
                    result = duplicate.told(result)
                batch.results[result.connection_id] = result
                # A caller may have left the stream while this sync's own cleanup (its
                # sync_timeout's cancel) ran shielded: the result stays in batch.results.
                try:  # noqa: SIM105 (suppress() is an object and three calls per sync)
                    batch._send.send_nowait(result)
                except (anyio.ClosedResourceError, anyio.BrokenResourceError):
                    pass
                if self.on_event is not None:
                    limit = batch._triggers.limit
                    self.on_event(
                        SyncEvent(EventKind.FINISHED, target, result=result, trigger_limit=limit)
                    )
                failed_fast = self.fail_fast and not result.ok
                if (failed_fast or batch._wrong_url is not None) and not batch._stopping:
                    batch._stopping = True
                    label = result.connection_name or result.connection_id
                    batch._stopped_by = f"stopped by fail_fast ({label}: {result.outcome.value})"
                    batch._hear_out(self._answer_patience(batch))
                    workers.cancel()

    async def _hear_out_on_give_up(self, batch: Batch) -> None:
        """
        Once the batch is given up on (this task is cancelled with it, or *fail_fast* says so),
        give the triggers on their way time to answer (see :meth:`_answer_patience`), and
        settle the jobs in flight at once (see :meth:`_settle`): the jobs known to run are
        cancelled without waiting for those answers, the job each answer names as it comes.
        """
        try:
            await batch._giving_up.wait()
        finally:
            if not batch._completed:
                await self._give_up_now(batch)

    async def _give_up_now(self, batch: Batch) -> None:
        batch._hear_out(self._answer_patience(batch))
        flights = [*batch._flights.values(), *batch._unclaimed()]
        if flights or batch._triggering:
            early = Cleanup(
                flights, list(batch._triggering.values()), cancelling=self.cancel_on_abort
            )
            batch._early = early
            try:
                await self._settle_within_grace(early, batch)
            except anyio.get_cancelled_exc_class():
                raise
            except BaseException as e:
                # It ends the cleanup, not the give-up, whose cause the results tell.
                batch._interrupted = e

    def _answer_patience(self, batch: Batch) -> float:
        """
        How long triggers on their way are heard out once the batch is given up on: twice what
        the latest answer took, at least five seconds, within *cancel_grace*. A server that
        holds them longer (a queue for its scheduler threads, a clock that stopped) has their
        jobs looked for instead, within what is left of *cancel_grace*.
        """
        return min(self.cancel_grace, max(FIND_PATIENCE, 2 * batch._triggers.latency))

    async def _trigger(
        self, batch: Batch, target: SyncTarget, hold: anyio.CancelScope
    ) -> tuple[Job, float | None, float, bool] | SyncResult:
        """
        The job to watch, when it was surely still running (see :meth:`JobWatcher.watch`),
        when (:func:`time.monotonic`) its sync began for *sync_timeout* (its trigger's sending,
        or its adoption), and whether it was adopted; or the result when there is none (a
        trigger given up on at its *sync_timeout* is ``timed_out``).

        One coroutine for all of it, awaited for as long as the trigger is in flight: a
        coroutine of its own for the part within the deadline was one more object for each
        trigger held, and one more frame that each of its resumptions passed through.
        """
        try:
            try:
                sent = await self._send_trigger(batch, target, hold)
            except SyncAlreadyRunningError as e:
                if self.on_running is OnRunning.FAIL and batch._adopt_floor is None:
                    return sync_result(target, Outcome.ERROR, error=str(e))
                refused = e
            except AirbyteError as e:
                self._note_refusal(batch, e)
                return sync_result(
                    target, Outcome.ERROR, error=str(e), left_running=e.job_may_exist
                )
            else:
                if sent is None:
                    return sync_result(target, Outcome.TIMED_OUT, error=_TOKENLESS)
                return *sent, False
            return await self._trigger_met(batch, target, hold, refused)
        except _TriggerOutOfTime as late:
            error = late.error
            return sync_result(
                target,
                Outcome.TIMED_OUT,
                error=f"its sync_timeout passed before its trigger was answered: {error}",
                left_running=error.job_may_exist,
            )

    async def _trigger_met(
        self,
        batch: Batch,
        target: SyncTarget,
        hold: anyio.CancelScope,
        refused: SyncAlreadyRunningError,
    ) -> tuple[Job, float | None, float, bool] | SyncResult:
        """:meth:`_trigger` once the trigger met a sync already there (*refused*): that sync
        attached to or adopted, the result, or the trigger sent again once a reset or clear
        that ran instead ended. A trigger given up on at its *sync_timeout* raises."""
        cid = target.connection_id
        try:
            met = refused.job  # the job the trigger met, when its answer or look named it
            if met is not None and met.job_type in SYNC_TYPES:
                running: Job | None = met
            else:
                running = await self._running_job(cid, JobType.SYNC)
            floor = batch._adopt_floor
            if running is not None and floor is not None and running.created_at >= floor:
                # The previous try's sync, its trigger answered after the look: adopted.
                batch._late_adopted.add(cid)
                return running, None, time.monotonic(), False
            if self.on_running is OnRunning.FAIL:
                return sync_result(target, Outcome.ERROR, error=str(refused))
            # A reset or clear that runs (Airbyte refuses a sync meanwhile) is no sync to
            # attach to or skip: sync once the connection is free.
            clearing = None if running is not None else await self._running_clear(cid)
            if self.on_running is OnRunning.SKIP and clearing is None:
                return sync_result(target, Outcome.ALREADY_RUNNING, job=running, error=str(refused))
            if running is None:
                # The reset or clear, or the sync that ended between the 409 and the look-up.
                if clearing is not None:
                    await self._outlast(clearing, target)
                sent = await self._send_trigger(batch, target, hold)
                if sent is None:
                    return sync_result(target, Outcome.TIMED_OUT, error=_TOKENLESS)
                return *sent, False
        except AirbyteError as e:
            return sync_result(target, Outcome.ERROR, error=str(e))
        return running, None, time.monotonic(), True

    def _note_refusal(self, batch: Batch, error: AirbyteError) -> None:
        """
        After a trigger, or the polls, failed on *error*: when it refused the credentials
        themselves (a token request refused, or a 401 for credentials that cannot be renewed),
        or no access token could be had, the batch sends no more triggers, which could only
        fail the same way.
        """
        if batch._refused is not None:
            return
        tokenless = getattr(error, "route", None) == TOKEN_ROUTE
        if isinstance(error, AuthenticationError):
            if not tokenless and isinstance(self.client.auth, ClientCredentials):
                return  # a 401 for a minted token: the next call mints another
            log.error("the server refused this client's credentials: no more syncs are triggered")
        elif tokenless:
            log.error("no access token could be had (%s): no more syncs are triggered", error)
        elif isinstance(error, RateLimitError):
            # Refused for as long as a trigger, or the polls, wait a storm out (API-FACTS 7:
            # Airbyte Cloud sheds a user's requests until an operator lifts it): each trigger
            # sent now would wait it out again, one wave of max_running after another.
            log.error(
                "the server still refuses this client's requests (%s): no more syncs are triggered",
                error,
            )
        else:
            return
        batch._refused = error

    async def _send_trigger(
        self, batch: Batch, target: SyncTarget, hold: anyio.CancelScope
    ) -> tuple[Job, float | None, float] | None:
        """
        Trigger *target*'s sync within the batch's bound on triggers in flight; the job, the
        server's time when the request was sent (the job cannot have ended before), and that
        moment by :func:`time.monotonic`; None when *sync_timeout* passed while the trigger
        waited for an access token (see :meth:`_token_in_time`), not sent. *hold* is the
        worker's scope, which the trigger shields once it has its token (see below).
        """
        async with batch._triggers:
            if batch._refused is not None:
                raise _not_triggered(batch._refused)
            if batch._wrong_url is not None:
                raise batch._wrong_url
            cid = target.connection_id
            began = time.monotonic()
            # Checked here first: a coroutine a trigger, for the rare client that waits.
            if self.client._awaits_token() and not await self._token_in_time():
                return None
            # Shielded: a batch given up on hears the answer out, until cancel_grace after the
            # give-up. It alone tells whether the trigger started a job: a 409 means a sync
            # someone else started still runs, one a look-up by time (Airbyte stamps jobs in
            # whole seconds) could take for the trigger's own, and cancel. An answer not heard
            # out in time cancels *hold*, which ends the worker (its batch is being given up
            # on), and the entry left tells the cleanup to look for the job.
            hold.shield = True
            if hold.deadline != batch._answers_until:  # anyio's setter costs a few calls
                hold.deadline = batch._answers_until
            entry = batch._triggering[cid] = Triggering(target, began, hold)
            # Past its sync_timeout, the trigger is not sent again, nor held long (see
            # TRIGGER_DEADLINE): its result is timed_out.
            due = None if self.sync_timeout is None else began + self.sync_timeout
            limit = None if due is None else (due, due + self._answer_patience(batch))
            token = TRIGGER_DEADLINE.set(limit) if limit is not None else None
            try:
                job = await self.backend.trigger(connection_id=cid)
            except AirbyteError as e:
                batch._triggering.pop(cid, None)
                entry.answer = e
                if isinstance(e, UnsupportedOperationError) and e.wrong_url:
                    # Before the slot is free: no trigger is sent after this answer.
                    batch._wrong_url = batch._wrong_url or e
                # A refusal (a 409: a sync someone else started, known now; a 404) is an
                # answer, and goes the way of one, however late; a failure (the network, a
                # 5xx, a 429) past the deadline left the trigger unheard, or not sent again.
                if due is not None and time.monotonic() >= due and not _refused(e):
                    raise _TriggerOutOfTime(e) from e
                raise
            else:
                batch._triggering.pop(cid, None)
                entry.answer = job
            finally:
                if token is not None:
                    TRIGGER_DEADLINE.reset(token)
                hold.shield = False
                entry.finish()
            # Reckoned once answered: the answer's Date and job stamps place the server's clock
            # (see ServerClock.note_stamp), which the sending could not yet know.
            now = self.backend.server_now()
            return job, None if now is None else now - (time.monotonic() - began), began

    async def _token_in_time(self) -> bool:
        """
        Wait, unshielded, for the access token a trigger is to carry, when the client holds
        :class:`~airbyte_async.ClientCredentials` without one good: a trigger waiting for its
        token has sent nothing, so a batch given up on meanwhile ends the wait, and knows that
        no sync started (a slow token endpoint, shielded, would hold the give-up up to
        *cancel_grace* and leave each result saying a sync may still run). False when
        *sync_timeout* passes first: the sync is not triggered after its deadline. A token
        request refused for good raises, as the trigger would; one that may pass is left to
        the trigger, which waits it out (see :func:`~.resources._reconcile.trigger_exactly_once`).
        """
        if not self.client._awaits_token():
            return True
        with anyio.move_on_after(math.inf if self.sync_timeout is None else self.sync_timeout):
            try:
                await self.client._token()
            except AirbyteError as e:
                if not is_retryable(e, idempotent=False):
                    raise
            return True
        return False

    async def _sync(
        self, batch: Batch, target: SyncTarget, hold: anyio.CancelScope, *, again: bool = False
    ) -> SyncResult:
        cid = target.connection_id
        previous = batch._adopt.pop(cid, None)
        earlier: Job | None = None
        if previous is None and not again and batch._probe not in (None, cid):
            await batch._probe_done.wait()
            previous = batch._adopt.pop(cid, None)
        if previous is not None:
            # A previous try's: no trigger (it would start a second sync); one that ended is
            # done at once, as its watch is.
            job, live_at, started, attached = previous.job, None, time.monotonic(), False
        else:
            if cid == batch._probe:
                triggered = await self._probed(batch, target, hold)
            else:
                triggered = await self._trigger(batch, target, hold)
            if isinstance(triggered, SyncResult):
                return triggered
            job, live_at, started, attached = triggered
            if batch._adopt_floor is not None and not attached and cid not in batch._late_adopted:
                earlier = await self._second_sync(batch, target, job)
                if earlier is not None:
                    job, live_at = earlier, None
        adopted = previous is not None or cid in batch._late_adopted or earlier is not None
        if self.on_event is not None:
            batch._targets_by_job[job.id] = target  # for the status changes' events
        watch = batch._watcher.watch(job, target.workspace_id, live_at=live_at)
        batch._flights[target.connection_id] = Flight(target, job, not attached, adopted)
        if self.on_event is not None:
            limit = batch._triggers.limit
            kind = EventKind.ADOPTED if adopted else EventKind.TRIGGERED
            self.on_event(SyncEvent(kind, target, job=job, trigger_limit=limit))
        # No finally: a cancelled batch leaves the flight registered for _abandon to cancel.
        timed_out = False
        if self.sync_timeout is None:
            await watch.done.wait()
        else:
            with anyio.move_on_after(self._remaining(started)) as scope:
                await watch.done.wait()
            timed_out = scope.cancelled_caught
        batch._watcher.unwatch(job.id)
        batch._flights.pop(target.connection_id, None)
        if timed_out:
            flight = Flight(target, job, not attached, adopted)
            [result] = await self._settle(
                [flight], [], Outcome.TIMED_OUT, "its sync_timeout passed"
            )
            return result
        if watch.error is not None:
            # The polls' 401 or 429: no more triggers either.
            self._note_refusal(batch, watch.error)
            error, running = str(watch.error), not watch.job.status.is_terminal
            if running:
                # Its end was never seen: the job may run on.
                error = f"the polls failed ({error}): gave up waiting for job {job.id}"
                error += "; it may still run"
            return sync_result(
                target,
                Outcome.ERROR,
                job=watch.job,
                adopted=adopted,
                error=error,
                left_running=running,
            )
        if (
            previous is not None
            and watch.job.status is JobStatus.CANCELLED
            and await self._cancelled_before_probe(batch, cid)
        ):
            log.info(
                "sync %d of %s, adopted, was cancelled before this try's first trigger was "
                "answered (a previous try's cancel, queued on the server): triggering it again",
                job.id,
                cid,
                extra=about(cid, job.id),
            )
            return await self._sync(batch, target, hold, again=True)
        final = watch.job
        if final is job and final.records_synced is None:
            final = await self._counted(batch, cid, final)
        result = from_job(target, final, attached=attached, adopted=adopted)
        if _cut_short_maybe(final):
            result = await self._cut_short(batch, result, final)
        if self.log_tail and result.outcome is Outcome.FAILED:
            result = attrs.evolve(result, log_tail=await self._log_tail(batch, cid, job.id))
        return result

    async def _probed(
        self, batch: Batch, target: SyncTarget, hold: anyio.CancelScope
    ) -> tuple[Job, float | None, float, bool] | SyncResult:
        """
        :meth:`_trigger` for the probe, the one trigger a batch with ``adopt_since`` sends
        before the others, then the look for the syncs to adopt made again for the connections
        still to trigger, which re-checks the first look's adoptions too (see
        :meth:`_look_again`); their triggers wait until then.

        Airbyte runs triggers on its scheduler executor, a thread pool whose queue is first
        come first served: once the probe is answered, every trigger queued before it (a
        previous try's, run after that try died) has been taken by a thread. The look waits
        :data:`_PROBE_SETTLE` more, for a trigger taken just before the probe that may still
        be creating its job, and adopts what it finds, as the first look did. The probe is
        the last connection to trigger: a previous try that triggered in the same order
        reached it last, if at all, so its sync, if any, is the likeliest to run still (a 409:
        adopted). A probe that failed (no answer from a thread), or a look that fails, leaves
        the others to trigger as without the probe, each checked by :meth:`_second_sync`, and
        the adopted syncs as adopted.
        """
        batch._probe_sent = True
        try:
            triggered = await self._trigger(batch, target, hold)
            if isinstance(triggered, SyncResult):
                if triggered.outcome is Outcome.ERROR:
                    return triggered
            else:
                # Registered now: a give-up meanwhile cancels it as any job of the batch's.
                job, _, _, attached = triggered
                cid = target.connection_id
                late = cid in batch._late_adopted
                batch._flights[cid] = Flight(target, job, not attached, late)
            await anyio.sleep(_PROBE_SETTLE)
            await self._look_again(batch)
            return triggered
        finally:
            batch._probe_done.set()

    async def _look_again(self, batch: Batch) -> None:
        """
        The look of :meth:`_adoptable` for the connections still to trigger (all but the
        adopted ones and the probe), its finds added to the jobs to adopt; and for those whose
        sync the first look adopted, which it re-checks.

        A previous try's cancels (its give-up's, timed out waiting on a busy scheduler) run
        as late as its triggers, and stop syncs the first look adopted running. An adopted
        sync this look shows cancelled (this batch cancels none before its give-up) is no
        longer adopted: its connection is triggered as the others (see
        :meth:`_cancelled_before_probe`). A sync cancelled after this look is not run again:
        any cancel queued before the probe has run by then.
        """
        floor = batch._adopt_floor
        assert floor is not None
        rest = batch._after_probe
        adopted = [t for t in batch.targets if t.connection_id in batch._first_adopted]
        try:
            jobs, _, seen, cancelled = await self._adoptable(
                [*rest, *adopted], floor, time.monotonic()
            )
        except AirbyteError as e:
            log.warning(
                "could not look again for the syncs to adopt after the first trigger: %s", e
            )
            return
        for target in rest:
            cid = target.connection_id
            if cid in seen:
                batch._looked[cid] = max(seen[cid], batch._looked.get(cid, 0))
            if cid in jobs:
                batch._adopt[cid] = Flight(target, jobs[cid], True, True)
        for target in adopted:
            cid = target.connection_id
            if cancelled.get(cid) == batch._first_adopted[cid]:
                batch._cancelled_adopted.add(cid)
                # Not taken on by a worker yet: its worker triggers it.
                batch._adopt.pop(cid, None)

    async def _cancelled_before_probe(self, batch: Batch, connection_id: str) -> bool:
        """
        Whether the connection's adopted sync, which ended cancelled (not by this batch), is
        to be triggered again: one the first look adopted that the look made again after the
        probe (waited for here) saw cancelled, or that ended before the probe was on its way
        (every worker held by adopted syncs), which leaves the window for a previous try's
        queued cancel open as well. A batch that adopted every connection has no probe until
        then: the first adopted sync to end so is triggered again, and that trigger is the
        probe (the look made again once it answered tells for the other adopted syncs).
        """
        if connection_id not in batch._first_adopted:
            return False
        if batch._probe is None:
            batch._probe = connection_id
            return True
        if not batch._probe_sent:
            return True
        await batch._probe_done.wait()
        return connection_id in batch._cancelled_adopted

    async def _second_sync(self, batch: Batch, target: SyncTarget, job: Job) -> Job | None:
        """
        The previous try's sync that *job*, this batch's, repeats, if any; *job* then cancelled.

        Airbyte runs triggers on its scheduler executor (``@ExecuteOn(SCHEDULER)``, 25 threads
        by default), and one queued there runs whether or not its client is still there: a
        previous try's trigger may start its sync after the look for it, and this batch's
        trigger, queued behind, start a second one once that ended (no 409 says so). One page
        of the connection's newest syncs tells: a sync created since the adopt floor, newer
        than what the look listed and older than *job*, that did not fail and was not
        cancelled (as the look would have adopted it). *job* is then cancelled at once,
        shielded, within *cancel_grace*, unless that page shows it ended (a cancel stops
        whatever the connection runs); how it ended is kept in ``batch._duplicates``. A page
        that cannot be read (through an outage) leaves *job* as it is. The trigger of a
        connection whose adopted sync a previous try's late cancel stopped (see
        :meth:`_look_again`) is checked as well.
        """
        cid = target.connection_id
        floor = batch._adopt_floor
        assert floor is not None
        # Registered first: a give-up meanwhile cancels it as any job of the batch's.
        batch._flights[cid] = Flight(target, job, True)
        listed = await self._newest_syncs(batch, cid)
        seen = batch._looked.get(cid, 0)
        earlier = max(
            (j for j in listed if seen < j.id < job.id and j.created_at >= floor),
            key=lambda j: j.id,
            default=None,
        )
        if earlier is None or earlier.status in (JobStatus.FAILED, JobStatus.CANCELLED):
            return None
        now = next((j for j in listed if j.id == job.id), job)
        flight = Flight(target, now, True)
        # The earlier job is the batch's now: a give-up during the cancel reads it, not this.
        batch._flights[cid] = Flight(target, earlier, True, True)
        left: Job | None = now
        if not now.status.is_terminal:
            left = await self._stop_second(batch, flight)
        batch._duplicates[cid] = _Duplicate(job.id, earlier.id, left)
        return earlier

    async def _stop_second(self, batch: Batch, flight: Flight) -> Job | None:
        """
        Cancel *flight*'s job, shielded, within *cancel_grace*, and how it ended (None: not
        seen to end). The cancel waits for a scheduler thread behind the triggers queued
        before it: a job that the polls see end meanwhile (a short sync) is not waited for.
        """
        cancelled: Job | None = None
        watch = batch._watcher.watch(flight.job, flight.target.workspace_id)
        give_up = self._give_up()
        with anyio.CancelScope(shield=True) as shield:
            shield.deadline = anyio.current_time() + self.cancel_grace
            async with (
                give_up.reading(shield.deadline) as reads,
                anyio.create_task_group() as race,
            ):

                async def cancel() -> None:
                    nonlocal cancelled
                    cancelled = (await give_up.cancel(flight, flight.job, reads)).job
                    race.cancel_scope.cancel()

                race.start_soon(cancel)
                await watch.done.wait()
                race.cancel_scope.cancel()
        batch._watcher.unwatch(flight.job.id)
        for job in (cancelled, watch.job):
            if job is not None and job.status.is_terminal:
                return job
        return None

    async def _newest_syncs(self, batch: Batch, connection_id: str) -> list[Job]:
        """One page of the connection's newest syncs, through an outage (none if it fails)."""
        with Outage(warnings=batch._check_failures) as outage:
            while True:
                began = time.monotonic()
                try:
                    with outage.attempt():
                        listed = await self.backend.jobs_since(connection_id=connection_id)
                except AirbyteError as e:
                    again = is_retryable(e, idempotent=True)
                    if again:
                        outage.failed(began, e, about=connection_id)
                    if not again or outage.over():
                        log.warning(
                            "could not check whether the sync of %s is a second one: %s",
                            connection_id,
                            e,
                            extra=about(connection_id),
                        )
                        return []
                else:
                    outage.ended(began)
                    return listed
                await anyio.sleep(outage.pause())

    @property
    def _cause_patience(self) -> float:
        """Seconds :meth:`_cut_short` and :meth:`_log_tail` still wait for their reads once
        the batch gives up."""
        return min(self.cancel_grace, _CAUSE_PATIENCE)

    async def _counted(self, batch: Batch, connection_id: str, job: Job) -> Job:
        """
        *job*, final already in its trigger's answer and counting nothing, read once more for
        its counts: the public API's answer to a sync trigger never carries them (its
        ``JobResponse`` takes rows and bytes from ``aggregatedStats``, which the trigger's
        ``JobInfoRead`` lacks: API-FACTS 3, item 4), while ``GET /jobs/{jobId}`` does. A read
        that fails leaves *job* as it was.
        """
        with batch._after_end(self._cause_patience):
            try:
                return await self.client.jobs.get(job_id=job.id)
            except AirbyteError as e:
                log.info(
                    "could not read job %d for its counts: %s",
                    job.id,
                    e,
                    extra=about(connection_id, job.id),
                )
        return job

    async def _cut_short(self, batch: Batch, result: SyncResult, job: Job) -> SyncResult:
        """
        *result*, of a job that Airbyte may have ended without this batch asking (see
        :func:`_cut_short_maybe`), saying why, from one read of its connection: deleted or
        disabled while the job ran, or, for a job cancelled while its connection is active,
        someone else's cancel (a user's, another client's, a reset). Airbyte cancels the job
        of a connection it deletes at once, and that of one disabled when its next attempt
        starts (its first, when disabled before the job ran); 0.x reports the latter succeeded
        (that attempt counting no records, not even 0), which ends ``cancelled`` here, its
        ``status`` still what the server said.
        """
        status = None
        with batch._after_end(self._cause_patience):
            try:
                connection = await self.client.connections.get(connection_id=result.connection_id)
                status = connection.status
            except AirbyteError as e:
                log.info(
                    "could not read connection %s: %s",
                    result.connection_id,
                    e,
                    extra=about(result.connection_id, job.id),
                )
        if job.status is JobStatus.SUCCEEDED:
            if status not in (ConnectionStatus.INACTIVE, ConnectionStatus.DEPRECATED):
                return result
            why = (
                f"Airbyte reports job {job.id} succeeded, but its connection is {status} and the "
                "job's last attempt counted no records: Airbyte 0.x ends a job so when an "
                "attempt finds the connection disabled"
            )
            return attrs.evolve(result, outcome=Outcome.CANCELLED, error=why)
        why = f"job {job.id} was cancelled on Airbyte, not by this batch"
        if status is ConnectionStatus.DEPRECATED:
            why += ": the connection was deleted"
        elif status is ConnectionStatus.INACTIVE:
            why += ": the connection was disabled (inactive)"
        elif status is not None:
            why += " (a cancel from Airbyte's UI or another client, or a reset)"
        return attrs.evolve(result, error=why)

    async def _log_tail(self, batch: Batch, connection_id: str, job_id: int) -> tuple[str, ...]:
        if self.client.api == "public":
            if not self._told_no_logs:
                self._told_no_logs = True
                log.warning("log_tail has no effect: the public API serves no job logs")
            return ()
        job = None
        with batch._after_end(self._cause_patience):
            try:
                job = await self.client.jobs.get(job_id=job_id)
            except AirbyteError as e:
                told = about(connection_id, job_id)
                if not self._log_reads.refused(extra=told, job=job_id, error=e):
                    log.info(_NO_LOG, {"job": job_id, "error": e}, extra=told)
        if job is None:
            return ()
        logs = job.attempts[-1].logs if job.attempts else None
        return tuple(logs.lines[-self.log_tail :]) if logs is not None else ()

    async def _report_progress(self, batch: Batch, interval: float) -> None:
        """Read live counters of the running syncs, each once per *interval*, until cancelled."""
        assert self.on_event is not None
        on_event = self.on_event
        readers = anyio.CapacityLimiter(4)
        told: list[bool] = []

        async def one(flight: Flight, found: list[bool]) -> None:
            found.append(await read(flight))

        async def read(flight: Flight) -> bool:
            async with readers:
                try:
                    progress = await self.client.connections.sync_progress(
                        connection_id=flight.target.connection_id
                    )
                except UnsupportedOperationError as e:
                    if not told:
                        told.append(True)
                        log.warning("no progress events: %s", e)
                    return False
                except AirbyteError as e:
                    log.debug(
                        "no progress for %s: %s",
                        flight.target.connection_id,
                        e,
                        extra=about(flight.target.connection_id, flight.job.id),
                    )
                    return True
            if flight.target.connection_id in batch._flights:
                on_event(SyncEvent(EventKind.PROGRESS, flight.target, progress=progress))
            return True

        supported = True
        while supported:
            await anyio.sleep(interval)
            found: list[bool] = []
            async with anyio.create_task_group() as tg:
                for flight in list(batch._flights.values()):
                    tg.start_soon(one, flight, found)
            # Unsupported for every connection: this server has no sync_progress.
            supported = not found or any(found)

    def _remaining(self, started: float) -> float:
        assert self.sync_timeout is not None
        return self.sync_timeout - (time.monotonic() - started)

    async def _running_job(self, connection_id: str, job_type: JobType) -> Job | None:
        """The connection's newest job of *job_type* that is not final, if any."""
        jobs = await self.backend.jobs_since(connection_id=connection_id, job_type=job_type)
        return next((job for job in jobs if not job.status.is_terminal), None)

    async def _running_clear(self, connection_id: str) -> Job | None:
        """
        The connection's reset or clear job that is not final, if any: a sync is refused while
        either runs. Before 0.63 there are no clear jobs (API-FACTS 3), and a listing that
        names them is a 422 (6.2): it is not asked for again.
        """
        reset = await self._running_job(connection_id, JobType.RESET_CONNECTION)
        if reset is not None or not self._lists_clears:
            return reset
        try:
            return await self._running_job(connection_id, JobType.CLEAR)
        except UnprocessableEntityError:
            self._lists_clears = False
            return None

    async def _outlast(self, job: Job, target: SyncTarget) -> None:
        """Wait until *job* (not ours, not watched) is final: a read every 1 s, up to 10 s."""
        log.info(
            "%s runs job %d (%s): syncing once it ends",
            target.connection_id,
            job.id,
            job.job_type,
            extra=about(target.connection_id, job.id),
        )
        workspaces = target_workspaces([target])
        pause = 1.0
        current: Job | None = job
        while current is not None and not current.status.is_terminal:
            await anyio.sleep(pause)
            pause = min(10.0, 2 * pause)
            found = await self.backend.read_jobs([job], workspace_ids=workspaces, each=True)
            current = found.get(job.id)

    async def _settle(
        self,
        flights: Sequence[Flight],
        triggering: Sequence[Triggering],
        outcome: Outcome,
        why: str,
        batch: Batch | None = None,
    ) -> list[SyncResult]:
        """
        How each job the batch gives up on really stands, shielded, within *cancel_grace*
        from the give-up of *batch* (or until its :meth:`Batch.stop_cleanup`); see
        :meth:`_settle_within_grace`. Interrupted (a second signal while it ran), what was
        settled stands, the rest is told as possibly still running, and the interruption goes
        on.
        """
        cleanup = Cleanup(list(flights), list(triggering), cancelling=self.cancel_on_abort)
        try:
            await self._settle_within_grace(cleanup, batch)
        except BaseException:
            if batch is not None:
                for result in cleanup.results(outcome, why):
                    batch.results[result.connection_id] = result
            raise
        return cleanup.results(outcome, why)

    async def _settle_within_grace(self, cleanup: Cleanup, batch: Batch | None) -> None:
        """
        The reads, cancels and look-ups of *cleanup* (see :meth:`GiveUp.settle
        <airbyte_async._giveup.GiveUp.settle>`), each job's end into ``cleanup.left``,
        shielded, until *cancel_grace* after the give-up of *batch* (or its
        :meth:`Batch.stop_cleanup`).
        """
        began = batch._given_up_at if batch is not None else None
        # The grace runs from the give-up: the triggers heard out take part of it.
        deadline = (anyio.current_time() if began is None else began) + self.cancel_grace
        try:
            with anyio.CancelScope(deadline=deadline, shield=True) as scope:
                if batch is not None:
                    batch._cleanup = scope
                    if batch._hurried:
                        scope.cancel()
                give_up = self._give_up()
                latency = batch._triggers.latency if batch is not None else 0.0
                async with give_up.reading(deadline) as reads:
                    await give_up.settle(cleanup, reads, latency=latency)
        finally:
            if batch is not None:
                batch._cleanup = None

    def _give_up(self) -> GiveUp:
        """What a cleanup takes of this orchestrator's settings, as they stand now."""
        return GiveUp(self.backend, self.cancel_on_abort, self.cancel_grace, self._given_up_reads)

    async def _abandon(
        self, batch: Batch, pending: Iterator[SyncTarget], outcome: Outcome, why: str
    ) -> None:
        """
        Tell every job the batch gave up on as its cleanup left it (see :meth:`_settle`):
        the cleanup begun at the give-up, then whatever it did not take on, settled now;
        record the never-started. What interrupted the cleanup is raised then.
        """
        delivered = set(batch.results)
        early, batch._early = batch._early, None
        took = early.took() if early is not None else set()
        flights = [f for f in batch._flights.values() if f.target.connection_id not in took]
        flights += batch._unclaimed()
        batch._flights.clear()
        triggering = [t for t in batch._triggering.values() if t.target.connection_id not in took]
        batch._triggering.clear()
        try:
            if early is not None:
                for result in early.results(outcome, why):
                    batch.results[result.connection_id] = result
            if flights or triggering:
                for result in await self._settle(flights, triggering, outcome, why, batch):
                    batch.results[result.connection_id] = result
        finally:
            for target in pending:
                # An adopted job no worker took on has the cleanup's result.
                batch.results.setdefault(
                    target.connection_id, sync_result(target, outcome, error=why)
                )
            for target in batch.targets:
                batch.results.setdefault(
                    target.connection_id, sync_result(target, outcome, error=why)
                )
            for cid, duplicate in batch._duplicates.items():
                if cid not in delivered and cid in batch.results:
                    batch.results[cid] = duplicate.told(batch.results[cid])
            batch._ordered()
            settled = [r for c, r in batch.results.items() if c not in delivered]
            self._deliver(batch, settled, announce=outcome is not Outcome.ERROR)
        interrupted, batch._interrupted = batch._interrupted, None
        if interrupted is not None:
            raise interrupted

    def _deliver(self, batch: Batch, results: Sequence[SyncResult], *, announce: bool) -> None:
        """
        Hand the results a give-up settled to whoever iterates *batch*, while it still can (a
        batch that gave up on its own, its timeout or *fail_fast*, ends its iteration with
        them; one whose caller left the block has none to end), and, when *announce*, tell
        *on_event* of each (``finished``), as the batch's other ends were. Not after a failure
        of the batch's own (*on_event* may be what raised): its error reaches the caller. The
        first exception *on_event* raises here is raised once the cleanup is done.
        """
        targets = {t.connection_id: t for t in batch.targets}
        for result in results:
            with suppress(anyio.ClosedResourceError, anyio.BrokenResourceError):
                batch._send.send_nowait(result)
            target = targets.get(result.connection_id)
            if not announce or self.on_event is None or target is None:
                continue
            event = SyncEvent(
                EventKind.FINISHED, target, result=result, trigger_limit=batch._triggers.limit
            )
            try:
                self.on_event(event)
            except Exception as e:
                if batch._interrupted is None:
                    batch._interrupted = e

    def _on_change(self, targets_by_job: dict[int, SyncTarget]) -> Callable[[Watch], None]:
        assert self.on_event is not None
        on_event = self.on_event

        def on_change(watch: Watch) -> None:
            target = targets_by_job.get(watch.job.id)
            if target is not None:
                on_event(SyncEvent(EventKind.STATUS_CHANGED, target, job=watch.job))

        return on_change


def _refused(error: AirbyteError) -> bool:
    """Whether *error* is the server's answer to a request it refused: a 4xx but a 429."""
    return isinstance(error, APIError) and 400 <= error.status < 500 and error.status != 429


class _TriggerOutOfTime(Exception):
    """A trigger given up on once its sync_timeout passed (see :data:`TRIGGER_DEADLINE`),
    *error* its last failure; never raised to the caller."""

    def __init__(self, error: AirbyteError) -> None:
        super().__init__(str(error))
        self.error = error


#: A failed sync's log that could not be read (log_tail): told as :class:`RefusalLog` tells.
_NO_LOG = (
    "could not read the log of job %(job)d (%(error)s): its result has no log_tail; the reads "
    "of other failed syncs' logs that fail are warned of once a minute at most"
)
_STILL_NO_LOG = (
    "%(count)d more failed syncs' logs could not be read since the last warning, the last of "
    "job %(job)d (%(error)s): their results have no log_tail"
)


class _OutOfTime(Exception):
    """The batch's deadline passed during a call it needed before any trigger (see
    :meth:`Orchestrator._waited_out`); never raised to the caller."""


def _not_triggered(refused: AirbyteError) -> AirbyteError:
    """The error of a trigger not sent because of *refused*, earlier in the batch: its kind."""
    if isinstance(refused, AuthenticationError):
        why = "the credentials were refused"
    elif isinstance(refused, RateLimitError) and refused.route != TOKEN_ROUTE:
        why = "the server kept refusing this client's requests (429)"
    else:
        why = "no access token could be had"
    text = f"not triggered: {why} earlier in the batch ({refused})"
    if isinstance(refused, APIError):
        return type(refused)(refused.status, text)
    if isinstance(refused, TransportError | ResponseValidationError):
        return type(refused)(text)
    return AirbyteError(text)


#: The most exceptions dropped from a group that are named, each in a note, on the one raised.
_NOTED = 5


def _leaves(exc: BaseException) -> list[BaseException]:
    """The exceptions the exception groups nested in *exc* hold, in their order; or *exc*."""
    if not isinstance(exc, BaseExceptionGroup):
        return [exc]
    return [leaf for inner in exc.exceptions for leaf in _leaves(inner)]


def _first(exc: BaseException) -> BaseException:
    """
    *exc*, or the first exception the exception groups nested in it hold: the first that is
    not an :class:`Exception` (KeyboardInterrupt, SystemExit) if any, so that none is masked.
    """
    leaves = _leaves(exc)
    return next((e for e in leaves if not isinstance(e, Exception)), leaves[0])


def _unwrapped(group: BaseExceptionGroup[BaseException]) -> BaseException:
    """
    :func:`_first` of *group*, each other exception it holds named in a note of its
    (``__notes__``: type and message, up to :data:`_NOTED` of them, then how many more) and
    dropped: several tasks of a batch can raise at once (*on_event* raising for two syncs that
    ended in the same poll), and the caller gets one exception, not a group.
    """
    first = _first(group)
    others = [e for e in _leaves(group) if e is not first]
    for other in others[:_NOTED]:
        first.add_note(f"also raised in the batch, and dropped: {type(other).__name__}: {other}")
    if len(others) > _NOTED:
        first.add_note(f"and {len(others) - _NOTED} more exceptions raised in the batch, dropped")
    return first


def _tell_duplicates(duplicates: Mapping[str, _Duplicate]) -> None:
    """One warning for the second syncs a batch started, if any: how many, which, and how
    many its cancels did not stop."""
    if not duplicates:
        return
    pairs = [f"job {d.job_id} of job {d.of}" for d in duplicates.values()]
    missed = [d.job_id for d in duplicates.values() if not d.stopped]
    n = len(duplicates)
    log.warning(
        "%d sync%s triggered by this try repeated a previous try's (its trigger run by the server "
        "after the look for it, adopt_since): %s; the previous try's adopted, this try's "
        "cancelled%s",
        n,
        "" if n == 1 else "s",
        some(pairs, 5),
        f", but {len(missed)} not stopped (jobs {some(missed, 5)}): ended first, or may run on"
        if missed
        else "",
    )


def _since(name: str, value: object) -> None:
    """Refuse *value* unless it is an aware datetime or a timedelta not below zero."""
    if isinstance(value, dt.timedelta):
        if value < dt.timedelta(0):
            raise InvalidArgumentError(
                f"{name} as a timedelta is how long ago, not below zero: got {value!r}"
            )
        return
    if isinstance(value, str):
        # A scheduler's template renders a time as text ("{{ dag_run.start_date }}"): say how
        # to pass it, rather than only that a string is no datetime.
        raise InvalidArgumentError(
            f"{name} must be an aware datetime or a timedelta, got the string {value!r}: "
            "parse it first (datetime.datetime.fromisoformat)"
        )
    if not isinstance(value, dt.datetime):
        raise InvalidArgumentError(
            f"{name} must be an aware datetime or a timedelta, got {value!r}"
        )
    _aware(name, value)


def _resolved(
    since: dt.datetime | dt.timedelta, backend: SyncBackend, called: float
) -> dt.datetime:
    """
    *since*, a timedelta being that long before monotonic *called* by the server's clock
    (this host's when the server has not told it).
    """
    if isinstance(since, dt.datetime):
        return since
    now = backend.server_now()
    if now is None:
        log.warning("adopt_since is reckoned on this host's clock: the server sent no Date")
        now = time.time()
    return dt.datetime.fromtimestamp(now - (time.monotonic() - called), dt.UTC) - since


def _second(moment: dt.datetime) -> dt.datetime:
    """*moment* rounded down to its whole second, as Airbyte stamps jobs."""
    return dt.datetime.fromtimestamp(math.floor(moment.timestamp()), dt.UTC)


def _aware(name: str, value: object) -> None:
    """Refuse *value* unless it is an aware datetime (a naive one is in no known zone)."""
    if not isinstance(value, dt.datetime):
        raise InvalidArgumentError(f"{name} must be a datetime, got {value!r}")
    if value.tzinfo is None or value.utcoffset() is None:
        raise InvalidArgumentError(
            f"{name} must be an aware datetime (with a time zone), got the naive {value!r}"
        )


def summarize(results: Sequence[SyncResult]) -> dict[Outcome, int]:
    """How many results ended with each outcome (every outcome listed, zeros included)."""
    counts = dict.fromkeys(Outcome, 0)
    for result in results:
        counts[result.outcome] += 1
    return counts


def _cut_short_maybe(job: Job) -> bool:
    """
    Whether the batch's *job*, seen ended without the batch asking, may have been ended by
    Airbyte because of its connection: it was cancelled; or it succeeded, its last attempt
    counting no records at all, as 0.x reports a job whose attempt found the connection
    disabled (see ``Orchestrator._cut_short``): the next after a failed one, or its first,
    when the connection was disabled between the trigger and that attempt's start. An attempt
    that replicated counts its records, 0 when there was nothing new: that success is real.
    """
    if job.status is JobStatus.CANCELLED:
        return True
    if job.status is not JobStatus.SUCCEEDED or not job.attempts:
        return False
    return job.attempts[-1].records is None
