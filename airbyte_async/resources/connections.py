"""``client.connections``."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Collection, Coroutine, Iterable, Mapping
from functools import partial
from typing import Any, ClassVar, TypeVar, Unpack

import attrs

from .._checks import text, uuid_id
from .._cron import schedule_problem
from .._diff import changed_settings, connection_differences, only_match
from .._serde import structure, unstructure, wire_name
from .._throttle import ServerClock
from ..errors import (
    AirbyteError,
    APIError,
    ConflictError,
    InvalidArgumentError,
    NoMatchError,
)
from ..models import (
    BasicSchedule,
    Catalog,
    Connection,
    ConnectionSettings,
    ConnectionSettingsArgs,
    ConnectionStatus,
    CronSchedule,
    EnsureAction,
    Ensured,
    Job,
    JobType,
    NamespaceDefinition,
    NonBreakingChangesPreference,
    RefreshMode,
    Schedule,
    ScheduleData,
    ScheduleType,
    StreamDescriptor,
    StreamProgress,
    SyncProgress,
)
from ..models import _wire as w
from ..models._common import OpenEnum
from ._base import Request
from ._call import call, call_no_content, named
from ._reconcile import KnownJobs, trigger_exactly_once
from ._written import create_once, delete_through, sent_once, written_once
from .jobs import Jobs, JobTypesKnown
from .sources import Sources

__all__ = ["Connections"]


@attrs.frozen
class Connections:
    """
    Connections: create, get, find, list, update, ensure, delete, and trigger syncs, resets
    and refreshes.

    Schedules are always sent as ``scheduleType`` + ``scheduleData``; a legacy
    :class:`~airbyte_async.models.Schedule` is converted to a basic schedule first, because
    ``connections/update`` rejects the legacy form and no body may carry both.
    """

    _request: Request
    #: Whether a listing may leave a connection out (see ``Actors._listing_may_skip``).
    _listing_may_skip: ClassVar[bool] = False
    #: Whether an update that names no stream may rebuild the catalog (see
    #: ``PublicConnections``): ensure then sends the catalog it was given with any change.
    _update_rebuilds_catalog: ClassVar[bool] = False
    #: Whether the server drops a trailing ``UTC`` from a cron expression before reading it
    #: (see ``PublicConnections``).
    _cron_drops_utc: ClassVar[bool] = False
    #: The server's clock, which tells which jobs a lost trigger answer may have named.
    clock: ServerClock = attrs.field(factory=ServerClock, kw_only=True)
    #: The jobs this client saw triggers start, which a lost trigger answer cannot have named.
    known_jobs: KnownJobs = attrs.field(factory=KnownJobs, kw_only=True)
    #: What the client learned of the server's job types (see ``Jobs.types``).
    job_types: JobTypesKnown = attrs.field(factory=JobTypesKnown, kw_only=True)
    #: The jobs resource the triggers look for their jobs with: one, not one per trigger.
    _jobs: Jobs = attrs.field(
        init=False,
        default=attrs.Factory(
            lambda self: Jobs(self._request, types=self.job_types), takes_self=True
        ),
        eq=False,
        repr=False,
    )

    async def create(
        self,
        *,
        source_id: str,
        destination_id: str,
        name: str | None = None,
        schedule: Schedule | None = None,
        settings: ConnectionSettings | None = None,
        **fields: Unpack[ConnectionSettingsArgs],
    ) -> Connection:
        """
        Create a connection from *source_id* to *destination_id* with *settings*, or with the
        same settings given as keyword arguments (these win over *settings*).

        Give the schedule either as a legacy *schedule* or as *schedule_type* / *schedule_data*
        (no schedule at all: manual); no status: active. Without *sync_catalog* the server
        stores an empty catalog: build one with :func:`airbyte_async.catalog.select_streams`.
        Raises :class:`~airbyte_async.errors.InvalidArgumentError` for an inconsistent schedule.
        """
        wanted = _settings(schedule, settings, fields, drop_utc=self._cron_drops_utc)
        if wanted.status is None:
            wanted = attrs.evolve(wanted, status=ConnectionStatus.ACTIVE)
        body = w.ConnectionCreate(
            source_id=source_id, destination_id=destination_id, name=name, **_fields(wanted)
        )
        created = call(self._request, "connections/create", body, Connection, idempotent=False)
        return await sent_once(created, **_connection_note(name, source_id, destination_id))

    async def get(self, *, connection_id: str) -> Connection:
        """The connection *connection_id*; :class:`~airbyte_async.errors.NotFoundError` if none."""
        body = w.ConnectionIdBody(connection_id=connection_id)
        read = call(self._request, "connections/get", body, Connection, idempotent=True)
        return await named("connection", connection_id, read)

    async def list(
        self, *, workspace_id: str, catalogs: bool | Collection[str] = True
    ) -> AsyncIterator[Connection]:
        """
        Every connection of *workspace_id* that is not deleted (one call on every server).

        Without *catalogs*, each catalog is dropped as the answer is decoded and
        ``sync_catalog`` is empty: thousands of connections then cost little memory. Given
        names, only the connections so named keep theirs.
        """
        route = "connections/list"
        body = unstructure(w.WorkspaceIdBody(workspace_id=workspace_id))
        kept = kept_catalogs(catalogs)
        if kept is None:
            data = await self._request(route, body, idempotent=True)
        else:
            hook = _catalogs_of(kept) if kept else _without_catalog
            data = await self._request(route, body, idempotent=True, object_hook=hook)
        page = structure(data, w.ConnectionList, route=route)
        for connection in page.connections:
            yield connection

    async def find(
        self,
        *,
        workspace_id: str,
        name: str,
        source_id: str | None = None,
        destination_id: str | None = None,
    ) -> Connection:
        """
        The connection of *workspace_id* named exactly *name* (and, when given, from
        *source_id* and to *destination_id*); deleted connections are not considered. The
        workspace is listed once, with the catalogs of the connections so named alone.

        Raises :class:`~airbyte_async.errors.NoMatchError` when there is none and
        :class:`~airbyte_async.errors.AmbiguousMatchError` (with their ids) when several match.
        """
        found = await self._named(workspace_id, name, source_id, destination_id)
        if found is None:
            raise NoMatchError(f"no connection named {name!r} in workspace {workspace_id}")
        return found

    async def ensure(
        self,
        *,
        workspace_id: str,
        source_id: str,
        destination_id: str,
        name: str,
        schedule: Schedule | None = None,
        settings: ConnectionSettings | None = None,
        **fields: Unpack[ConnectionSettingsArgs],
    ) -> Ensured[Connection]:
        """
        Make sure a connection named *name* runs from *source_id* to *destination_id* with
        these settings (as for :meth:`create`); the result says whether it was created, updated
        or left unchanged.

        The connection is looked up by workspace, source, destination and name. Settings left
        None are used on creation as :meth:`create` uses them (an absent *status* is active)
        and left alone on an existing connection. Of *sync_catalog*, what counts is the
        selected streams and their sync mode, destination sync mode, cursor (incremental
        streams) and primary key (deduplicating modes): a new stream discovered in the source
        changes nothing. An update sends only what differs. Raises
        :class:`~airbyte_async.errors.AmbiguousMatchError` when several connections match,
        :class:`~airbyte_async.errors.InvalidArgumentError` for an inconsistent schedule, and
        before creating one when the source is not in *workspace_id* (Airbyte would file the
        connection in the source's workspace, and the next call would create another).
        """
        wanted = _settings(schedule, settings, fields, drop_utc=self._cron_drops_utc)
        # In lower case, as the server answers them: compared below and in _named.
        workspace_id = uuid_id("workspace_id", workspace_id)
        source_id = uuid_id("source_id", source_id)
        destination_id = uuid_id("destination_id", destination_id)
        look = partial(self._named, workspace_id, name, source_id, destination_id)
        current = await look()
        if current is None and self._listing_may_skip:
            current = await look()
        if current is None:
            home = await self._workspace_of(source_id)
            if home != workspace_id:
                raise InvalidArgumentError(
                    f"source {source_id} is in workspace {home}, not {workspace_id}: Airbyte "
                    "files a connection in its source's workspace, where ensure, looking in "
                    f"{workspace_id}, would not find it and would create it again"
                )
            create = partial(
                self.create,
                source_id=source_id,
                destination_id=destination_id,
                name=name,
                settings=wanted,
            )
            created = await create_once(create, look, what=f"connection {name!r}")
            return Ensured(action=EnsureAction.CREATED, value=created)
        differences = connection_differences(current, wanted)
        if not differences:
            return Ensured(action=EnsureAction.UNCHANGED, value=current)
        send = changed_settings(wanted, differences)
        if self._update_rebuilds_catalog and wanted.sync_catalog is not None:
            send = attrs.evolve(send, sync_catalog=wanted.sync_catalog)
        updated = await self.update(connection_id=current.connection_id, settings=send)
        changes = tuple(d.path for d in differences)
        return Ensured(action=EnsureAction.UPDATED, value=updated, changes=changes)

    async def _workspace_of(self, source_id: str) -> str:
        """The workspace of the source *source_id*."""
        return (await Sources(self._request).get(source_id=source_id)).workspace_id

    async def _named(
        self, workspace_id: str, name: str, source_id: str | None, destination_id: str | None
    ) -> Connection | None:
        workspace_id = uuid_id("workspace_id", workspace_id)
        text("name", name)
        if source_id is not None:
            source_id = uuid_id("source_id", source_id)
        if destination_id is not None:
            destination_id = uuid_id("destination_id", destination_id)
        # The catalogs of the other connections, most of the listing, are dropped as it is
        # decoded: a workspace of thousands of connections is never held at once.
        matches = [
            c
            async for c in self.list(workspace_id=workspace_id, catalogs=(name,))
            if c.name == name
            and source_id in (None, c.source_id)
            and destination_id in (None, c.destination_id)
        ]
        ids = [c.connection_id for c in matches]
        return only_match(matches, name, "connection", f"workspace {workspace_id}", ids)

    async def update(
        self,
        *,
        connection_id: str,
        name: str | None = None,
        schedule: Schedule | None = None,
        settings: ConnectionSettings | None = None,
        **fields: Unpack[ConnectionSettingsArgs],
    ) -> Connection:
        """
        Change what is given (in *settings* or as keyword arguments) and nothing else (a
        patch); returns the updated connection.

        A legacy *schedule* becomes a basic *schedule_type* / *schedule_data*. Raises
        :class:`~airbyte_async.errors.InvalidArgumentError` for an inconsistent schedule.
        """
        wanted = _settings(schedule, settings, fields, drop_utc=self._cron_drops_utc)
        body = w.ConnectionUpdate(connection_id=connection_id, name=name, **_fields(wanted))
        written = call(self._request, "connections/update", body, Connection, idempotent=False)
        return await written_once(
            named("connection", connection_id, written),
            what=f"the connection {connection_id}",
            read=f"connections.get(connection_id='{connection_id}')",
        )

    async def delete(self, *, connection_id: str) -> None:
        """Delete the connection (the server marks it ``deprecated``)."""
        body = w.ConnectionIdBody(connection_id=connection_id)
        sent = call_no_content(self._request, "connections/delete", body, idempotent=True)
        await delete_through(
            named("connection", connection_id, sent),
            what=f"the connection {connection_id}",
            read=f"connections.get(connection_id='{connection_id}')",
        )

    async def sync(self, *, connection_id: str) -> Job:
        """
        Start a sync and return its job, starting at most one job however the call fails.

        Triggering is not idempotent: after a failure that leaves open whether the server acted
        (timeout, lost connection, 5xx), the connection's new job is looked up and adopted
        instead of triggering again (see :mod:`airbyte_async.resources._reconcile`); while the
        server cannot be asked (a restart), it is asked again for up to five minutes before the
        call gives up. Raises :class:`~airbyte_async.errors.SyncAlreadyRunningError` when a job
        was already running, and when the trigger met a job it did not start, one not running
        yet (a scheduled sync pending, another client's, a reset): Airbyte answers such a
        trigger with that job once it runs (head fails it after a minute), and the error's
        ``job`` names it.
        """
        return await self._trigger("connections/sync", connection_id, JobType.SYNC)

    async def reset(
        self,
        *,
        connection_id: str,
        streams: Iterable[str | StreamDescriptor] | None = None,
    ) -> Job:
        """
        Start a reset (clear the destination's data and state: Airbyte 1.0 calls it a clear)
        of *streams* (None: every stream) and return its job; at most one job starts, as for
        :meth:`sync`. Streams named go to ``connections/reset/stream`` (0.50 on).

        Unlike a sync, a reset is not refused while a job runs: Airbyte cancels the running
        job (a sync, or another reset), then answers with the reset's job once it stopped.
        To keep a running sync, check first
        (``jobs.list(connection_id=..., statuses=[JobStatus.RUNNING])``).

        A reset of an inactive connection is not refused, but Airbyte's sync workflow ends
        its job as its first attempt starts, having reset nothing (cancelled from 1.7 on):
        enable the connection first. A reset of every stream reads the connection first, and
        raises
        :class:`~airbyte_async.errors.InvalidArgumentError`, sending nothing, when its catalog
        selects no stream: Airbyte, finding nothing to reset, would start a sync instead.
        """
        if streams is None:
            connection_id = uuid_id("connection_id", connection_id)
            await self._check_resettable(connection_id)
            return await self._trigger("connections/reset", connection_id, JobType.RESET_CONNECTION)
        connection_id = uuid_id("connection_id", connection_id)
        body = w.ConnectionStreamBody(
            connection_id=connection_id, streams=_streams_named(streams, "reset")
        )
        return await self._trigger(
            "connections/reset/stream",
            connection_id,
            JobType.RESET_CONNECTION,
            body=unstructure(body),
        )

    async def _check_resettable(self, connection_id: str) -> None:
        """
        Raise InvalidArgumentError when the connection's catalog selects no stream. Airbyte
        resets the streams its stored catalog lists (``getAllStreamsForConnection``); with
        none, no stream reset is stored, and the job its workflow then makes is a sync
        (``SchedulerHandler.createJob``, airbytehq/airbyte-platform at ``1aacafa9``; 0.x's
        ``createNewJob`` alike). A stream whose configuration does not say counts as selected.
        """
        streams = (await self.get(connection_id=connection_id)).sync_catalog.streams
        if all(s.config is not None and s.config.selected is False for s in streams):
            raise InvalidArgumentError(
                f"connection {connection_id} selects no stream, so there is nothing to reset: "
                "Airbyte would start a sync of it instead. Select streams first "
                "(connections.update(sync_catalog=...))"
            )

    async def refresh(
        self,
        *,
        connection_id: str,
        mode: RefreshMode | str = RefreshMode.TRUNCATE,
        streams: Iterable[str | StreamDescriptor] | None = None,
    ) -> Job | None:
        """
        Refresh *streams* of the connection (None: every stream), reloading them from the
        source (*mode*: see :class:`~airbyte_async.models.RefreshMode`), and return the
        refresh's job; at most one job starts, as for :meth:`sync`.

        Airbyte (``connections/refresh``, 0.63 on) marks the streams to refresh, then starts a
        sync, whose job is a ``refresh`` (``StreamRefreshesHandler.createRefreshesForConnection``).
        While a job runs, that start fails without a word: the answer names no job, and the
        connection's next job, whatever starts it (:meth:`sync`, its schedule), is the refresh;
        None is returned then. Raises :class:`~airbyte_async.errors.UnsupportedOperationError`
        on a server before 0.63, and on the public API, which refuses refreshes.
        """
        connection_id = uuid_id("connection_id", connection_id)
        body = w.ConnectionStreamRefreshBody(
            connection_id=connection_id,
            refresh_mode=_refresh_mode(mode).value,
            streams=() if streams is None else _streams_named(streams, "refresh"),
        )
        sent = trigger_exactly_once(
            self._request,
            self._jobs,
            self.clock,
            route="connections/refresh",
            connection_id=connection_id,
            job_type=JobType.REFRESH,
            read=_refresh_job,
            known=self.known_jobs,
            body=unstructure(body),
        )
        try:
            return await named("connection", connection_id, sent)
        except _NoJobStarted:
            return None

    async def sync_progress(self, *, connection_id: str) -> SyncProgress:
        """
        Live counters of the running sync (0.50 and later).

        0.50 answers per stream only: there the totals are the streams' sums (None, unknown,
        when it lists no stream: no sync runs) and *job_id* is None; its counters are records
        extracted (emitted) and loaded (committed).
        """
        route = "connections/sync_progress"
        body = unstructure(w.ConnectionIdBody(connection_id=connection_id))
        data = await self._request(route, body, idempotent=True)
        if not isinstance(data, list):
            return structure(data, SyncProgress, route=route)
        items = structure(data, tuple[w.LegacyStreamProgress, ...], route=route)
        streams = tuple(
            StreamProgress(
                stream_name=item.stream_name,
                stream_namespace=item.stream_namespace or None,
                records_emitted=item.records_extracted,
                records_committed=item.records_loaded,
            )
            for item in items
        )
        return SyncProgress(
            connection_id=connection_id,
            records_emitted=_total(s.records_emitted for s in streams),
            records_committed=_total(s.records_committed for s in streams),
            streams=streams,
        )

    def _trigger(
        self,
        route: str,
        connection_id: str,
        job_type: JobType,
        *,
        body: Mapping[str, Any] | None = None,
    ) -> Coroutine[Any, Any, Job]:
        # The coroutine itself, for the caller to await: no coroutine of this method's own
        # around it (one object less a trigger in flight, one frame less each resumption).
        sent = trigger_exactly_once(
            self._request,
            self._jobs,
            self.clock,
            route=route,
            connection_id=connection_id,
            job_type=job_type,
            explain=self._refused_if_inactive if job_type is JobType.SYNC else None,
            known=self.known_jobs,
            body=body,
        )
        return named("connection", connection_id, sent)

    async def _refused_if_inactive(self, connection_id: str, error: APIError) -> None:
        """
        After a 500 on a sync trigger that started no job: Airbyte syncs only active
        connections and answers 500 otherwise, whose 2.x body says nothing (API-FACTS 6.2).
        Raise :class:`~airbyte_async.errors.ConflictError` when that is why; else nothing.
        """
        try:
            connection = await self.get(connection_id=connection_id)
        except AirbyteError:
            return
        status = connection.status
        if status is not ConnectionStatus.ACTIVE:
            # Airbyte deletes a connection by marking it deprecated (API-FACTS 5).
            said = f"{status} (deleted)" if status is ConnectionStatus.DEPRECATED else status
            if status is ConnectionStatus.INACTIVE and connection.breaking_change:
                # Airbyte's schema-change disable sets breakingChange with the status
                # (ConnectionsHandler.diffCatalogAndConditionallyDisable); the public API's
                # connection does not carry it.
                said = (
                    f"{said}: Airbyte disables a connection on a breaking change in its "
                    "source's schema, as here (review the change, then enable it)"
                )
            raise ConflictError(
                error.status,
                f"Can only sync an active connection: {connection_id} is {said}",
                route=error.route,
                error_id=error.error_id,
                body=error.body,
            )


class _NoJobStarted(Exception):
    """A refresh answered with no job: its sync could not start (a job runs)."""


def _refresh_job(data: Any) -> Job:
    """The job of a ``connections/refresh`` answer (``JobReadResponse``, whose job is absent
    when the refresh's sync could not start: :class:`_NoJobStarted`)."""
    if isinstance(data, dict) and data.get("job") is None:
        raise _NoJobStarted
    return structure(data, Job, route="connections/refresh")


def _refresh_mode(mode: object) -> RefreshMode:
    """*mode* as a :class:`RefreshMode`: a member, or its value in any case (``"merge"``)."""
    if isinstance(mode, RefreshMode):
        return mode
    if isinstance(mode, str):
        for member in RefreshMode:
            if mode.lower() == member.value.lower():
                return member
    known = ", ".join(m.value.lower() for m in RefreshMode)
    raise InvalidArgumentError(f"mode must be one of {known}, got {mode!r}")


def _streams_named(
    streams: Iterable[str | StreamDescriptor], verb: str
) -> tuple[w.ConnectionStream, ...]:
    """The streams a reset or refresh (*verb*) names, as sent; at least one."""
    if isinstance(streams, str | bytes) or not isinstance(streams, Iterable):
        raise InvalidArgumentError(
            "streams must be a list of stream names or StreamDescriptors, got "
            f"{streams!r}" + (": give [name] for one" if isinstance(streams, str) else "")
        )
    named_streams: list[w.ConnectionStream] = []
    for stream in streams:
        if isinstance(stream, StreamDescriptor):
            name, namespace = stream.name, stream.namespace
        else:
            name, namespace = stream, None
        if not isinstance(name, str) or not name or not isinstance(namespace, str | None):
            raise InvalidArgumentError(
                f"streams must hold stream names or StreamDescriptors, got {stream!r}"
            )
        named_streams.append(w.ConnectionStream(stream_name=name, stream_namespace=namespace))
    if not named_streams:
        # Airbyte reads no streams as every stream: an empty list left so would do them all.
        raise InvalidArgumentError(
            f"streams names no stream: pass streams=None to {verb} every stream"
        )
    return tuple(named_streams)


def _connection_note(name: str | None, source_id: str, destination_id: str) -> dict[str, str]:
    """What :func:`~._written.sent_once` names, for a connection created as *name* (None: the
    server names it) from *source_id* to *destination_id*."""
    joins = f"source_id={source_id!r}, destination_id={destination_id!r}"
    if name is None:
        return {
            "what": "the connection",
            "find": f"connections.list(workspace_id=<its source's workspace>) for one of {joins}",
        }
    return {
        "what": f"the connection {name!r}",
        "find": f"connections.find(workspace_id=<its source's workspace>, name={name!r}, {joins})",
    }


def _settings(
    legacy: Schedule | None,
    settings: ConnectionSettings | None,
    fields: ConnectionSettingsArgs,
    *,
    drop_utc: bool = False,
) -> ConnectionSettings:
    """One settings object from what a method was given, its schedule checked (with
    *drop_utc*, a cron expression as a server that drops a trailing ``UTC`` stores it)."""
    if settings is not None and not isinstance(settings, ConnectionSettings):
        raise InvalidArgumentError(
            f"settings must be a ConnectionSettings, got {type(settings).__name__}"
        )
    unknown = sorted(set(fields) - set(ConnectionSettingsArgs.__annotations__))
    if unknown:
        known = ", ".join(ConnectionSettingsArgs.__annotations__)
        raise InvalidArgumentError(
            f"no connection setting {', '.join(unknown)} (there are {known})"
        )
    catalog = fields.get("sync_catalog")
    if catalog is not None:
        _check_catalog(catalog)
    wanted = attrs.evolve(settings or ConnectionSettings(), **fields)
    for name in _TEXT_SETTINGS:
        value = getattr(wanted, name)
        if value is not None and not isinstance(value, str):
            raise InvalidArgumentError(f"{name} must be a string, got {value!r}")
    members: dict[str, Any] = {
        name: _member(name, getattr(wanted, name), enum)
        for name, enum in _ENUM_SETTINGS.items()
        if getattr(wanted, name) is not None
    }
    wanted = attrs.evolve(wanted, **members)
    for name, given, model in (
        ("schedule", legacy, Schedule),
        ("schedule_data", wanted.schedule_data, ScheduleData),
    ):
        if given is not None and not isinstance(given, model):
            raise InvalidArgumentError(
                f"{name} must be a {model.__name__}, got {type(given).__name__}"
            )
    schedule_type, schedule_data = _schedule(
        legacy, wanted.schedule_type, wanted.schedule_data, drop_utc=drop_utc
    )
    return attrs.evolve(wanted, schedule_type=schedule_type, schedule_data=schedule_data)


_CATALOG_KEY = wire_name(Connection, "sync_catalog")
_NAME_KEY = wire_name(Connection, "name")
#: The settings that are text on the wire: another type gets a bare 422 from 2.x servers.
_TEXT_SETTINGS = ("namespace_format", "prefix")


E = TypeVar("E", bound=OpenEnum)

_ENUM_SETTINGS: dict[str, type[OpenEnum]] = {
    "schedule_type": ScheduleType,
    "status": ConnectionStatus,
    "namespace_definition": NamespaceDefinition,
    "non_breaking_changes_preference": NonBreakingChangesPreference,
}


def _member(name: str, value: object, enum: type[E]) -> E:
    """*value* (a member or its value: ``"cron"``) as a member of *enum*; a value this client
    does not know goes as it is, for the server to judge (a newer one may take it)."""
    member = enum(value) if isinstance(value, str) else value
    if not isinstance(member, enum):
        known = ", ".join(m.value for m in enum)
        raise InvalidArgumentError(f"{name} must be one of {known}, got {value!r}")
    return member


def _check_catalog(catalog: object) -> None:
    """
    Refuse a *catalog* Airbyte fails without saying why: each stream must say whether it is
    selected (every version reads ``config.selected`` unboxed, ``CatalogConverter``: a stream
    without it is a 500, a ``NullPointerException``).
    """
    if not isinstance(catalog, Catalog):
        raise InvalidArgumentError(
            "sync_catalog must be a Catalog (a discovered schema's, or one built of "
            f"StreamAndConfig), got {type(catalog).__name__}"
        )
    unsaid = [
        pair.stream.name
        for pair in catalog.streams
        if pair.config is None or pair.config.selected is None
    ]
    if unsaid:
        raise InvalidArgumentError(
            f"sync_catalog: stream {', '.join(unsaid)} must say whether it is selected "
            "(a StreamConfig with selected=True or False; Airbyte fails a catalog that does "
            "not say, with a 500): catalog.select_streams() sets it"
        )


def _total(counts: Iterable[int | None]) -> int | None:
    """The sum of the counts known; None when none is."""
    known = [count for count in counts if count is not None]
    return sum(known) if known else None


def kept_catalogs(catalogs: bool | Collection[str]) -> frozenset[str] | None:
    """The names of the connections whose catalogs a listing keeps (None: every one's), from
    a ``list(catalogs=...)``."""
    if isinstance(catalogs, bool):
        return None if catalogs else frozenset()
    if isinstance(catalogs, str | bytes) or not isinstance(catalogs, Collection):
        raise InvalidArgumentError(
            "catalogs must be True, False or a collection of connection names, "
            f"got {catalogs!r}" + (": give [name] for one" if isinstance(catalogs, str) else "")
        )
    names = frozenset(catalogs)
    strange = sorted(repr(n) for n in names if not isinstance(n, str))
    if strange:
        raise InvalidArgumentError(
            f"catalogs must hold connection names (strings), got {', '.join(strange)}"
        )
    return names


def _without_catalog(obj: dict[str, Any]) -> dict[str, Any]:
    obj.pop(_CATALOG_KEY, None)
    return obj


def _catalogs_of(names: frozenset[str]) -> Callable[[dict[str, Any]], dict[str, Any]]:
    """An object hook that drops the catalog of every connection not named in *names*."""

    def keep_named(obj: dict[str, Any]) -> dict[str, Any]:
        if _CATALOG_KEY in obj and obj.get(_NAME_KEY) not in names:
            del obj[_CATALOG_KEY]
        return obj

    return keep_named


def _fields(settings: ConnectionSettings) -> dict[str, Any]:
    """*settings* as keyword arguments of a wire body that extends it."""
    return attrs.asdict(settings, recurse=False)


def _schedule(
    legacy: Schedule | None,
    schedule_type: ScheduleType | None,
    data: ScheduleData | None,
    *,
    drop_utc: bool = False,
) -> tuple[ScheduleType | None, ScheduleData | None]:
    """The one schedule form the server accepts everywhere, checked before any request."""
    if legacy is not None:
        if schedule_type is not None or data is not None:
            raise InvalidArgumentError(
                "give schedule= (legacy) or schedule_type=/schedule_data=, not both"
            )
        basic = BasicSchedule(time_unit=legacy.time_unit, units=legacy.units)
        return ScheduleType.BASIC, ScheduleData(basic_schedule=basic)
    if schedule_type is None and data is not None:
        if (data.basic_schedule is None) == (data.cron is None):
            raise InvalidArgumentError("schedule_data needs exactly one of basic_schedule, cron")
        schedule_type = ScheduleType.BASIC if data.basic_schedule is not None else ScheduleType.CRON
    if schedule_type is ScheduleType.MANUAL and data is not None:
        raise InvalidArgumentError("a manual schedule takes no schedule_data")
    if schedule_type is ScheduleType.BASIC and (data is None or data.basic_schedule is None):
        raise InvalidArgumentError("a basic schedule needs schedule_data.basic_schedule")
    if schedule_type is ScheduleType.CRON and (data is None or data.cron is None):
        raise InvalidArgumentError("a cron schedule needs schedule_data.cron")
    if data is not None and data.cron is not None:
        data = attrs.evolve(data, cron=_checked_cron(data.cron, drop_utc=drop_utc))
    return schedule_type, data


def _checked_cron(cron: CronSchedule, *, drop_utc: bool) -> CronSchedule:
    """
    *cron*, refused if Airbyte's scheduler cannot run it, saying why: servers answer only
    that it is invalid (head's Config API "The cron expression is invalid", 0.x's 422 "invalid
    cron expression"), and ``apply`` checks its files' schedules the same way. With
    *drop_utc*, an expression ending in ``UTC`` is checked, and kept, as the public API stores
    it: without every ``UTC`` in it (``AirbyteCatalogHelper.normalizeCronExpression``,
    airbytehq/airbyte-platform @6768a528).
    """
    expression, zone = cron.cron_expression, cron.cron_time_zone
    for name, value in (("cron_expression", expression), ("cron_time_zone", zone)):
        if not isinstance(value, str):
            raise InvalidArgumentError(f"schedule_data.cron.{name} must be a string, got {value!r}")
    if drop_utc and expression.endswith("UTC"):
        expression = expression.replace("UTC", "").strip()
    if problem := schedule_problem(expression, zone):
        raise InvalidArgumentError(
            f"schedule_data.cron ({cron.cron_expression!r} in {zone!r}) cannot run on "
            f"Airbyte: {problem}"
        )
    return attrs.evolve(cron, cron_expression=expression)
