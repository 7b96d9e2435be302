"""
The resources on the public REST API (``https://api.airbyte.com/v1``, ``/api/public/v1``).

Each class is the Config API resource of the same name with its wire details replaced: the
methods both APIs have keep their signatures and models, so code written against
``client.jobs`` runs on either. The Config API resource underneath is given a request callable
that refuses every call with :class:`~airbyte_async.errors.UnsupportedOperationError`, so an
operation only the Config API has can never send a request that would 404; the known ones
say what to use instead.

The public API differs in ways callers see (public-api-head.yaml, API-FACTS 7):

- jobs carry no attempts, logs or per-stream counts; ``rowsSynced``/``bytesSynced`` become
  :attr:`Job.aggregated_stats`, and :attr:`Job.updated_at` is the start plus ``duration``;
- a job list filters by one status: several are filtered here, on pages the server cut;
- a connection lists its selected streams only (the server stores no others), without their
  namespaces; schedules are manual or cron (a cron in UTC unless the server names a zone);
- ``DELETE /jobs/{id}`` cancels as the Config API's ``jobs/cancel`` does, the connection's
  current job whatever id is sent: :meth:`PublicJobs.cancel` reads the job first, and a job
  that ended is returned as it ended.
"""

from __future__ import annotations

import logging
import re
from collections.abc import (
    AsyncGenerator,
    AsyncIterator,
    Awaitable,
    Callable,
    Collection,
    Iterable,
    Mapping,
    Sequence,
)
from contextlib import aclosing
from datetime import datetime, timedelta
from functools import partial
from operator import attrgetter
from typing import Any, ClassVar, NoReturn, Protocol, TypeVar, Unpack

import anyio
import attrs

from .._backend import JobChange, Paging, fresh_read
from .._checks import LONG_MAX, json_object, uuid_id, whole
from .._retry import running_a_connector
from .._serde import structure, unstructure
from .._transport import ObjectHook
from ..catalog import stream_name
from ..errors import (
    AirbyteError,
    AmbiguousMatchError,
    ConflictError,
    InvalidArgumentError,
    NoMatchError,
    NotFoundError,
    PermissionDeniedError,
    UnprocessableEntityError,
    UnsupportedOperationError,
)
from ..models import (
    AttemptStats,
    BasicSchedule,
    Catalog,
    CheckResult,
    Connection,
    ConnectionSettings,
    ConnectionSettingsArgs,
    ConnectionStatus,
    CronSchedule,
    DefinitionSpecification,
    Destination,
    DestinationDefinition,
    DestinationSyncMode,
    DiscoveredSchema,
    InstanceConfiguration,
    Job,
    JobPage,
    JobStatus,
    JobType,
    JsonObject,
    NamespaceDefinition,
    NonBreakingChangesPreference,
    OpenEnum,
    RefreshMode,
    Schedule,
    ScheduleData,
    ScheduleType,
    Source,
    SourceDefinition,
    Stream,
    StreamAndConfig,
    StreamConfig,
    StreamDescriptor,
    SyncMode,
    SyncProgress,
    TimeUnit,
    Workspace,
)
from ..models import _public_wire as pw
from ..models import _wire as w
from ..models._definitions import _Definition
from ._actors import Actors
from ._base import Request
from ._call import named, unseen
from ._reconcile import trigger_exactly_once
from ._written import delete_through, sent_once, written_once
from .connections import Connections, _connection_note, _settings, kept_catalogs
from .definitions import DestinationDefinitions, SourceDefinitions, _Definitions
from .destinations import Destinations
from .jobs import (
    DEFAULT_PAGE_SIZE,
    Jobs,
    _iso,
    _job_types,
    _order,
    _sorted,
    _statuses,
    _workspace_ids,
    cancel_heard,
)
from .sources import Sources
from .workspaces import Workspaces, _workspace_note

__all__ = [
    "PublicCall",
    "PublicConnections",
    "PublicDestinationDefinitions",
    "PublicDestinations",
    "PublicJobs",
    "PublicSourceDefinitions",
    "PublicSources",
    "PublicWorkspaces",
    "config_only",
    "public_mode",
]

log = logging.getLogger("airbyte_async.resources")

T = TypeVar("T")
T_co = TypeVar("T_co", covariant=True)
E = TypeVar("E", bound=OpenEnum)
A = TypeVar("A", Source, Destination)
D = TypeVar("D", bound=_Definition)

#: The largest ``limit`` the public API takes.
MAX_PAGE = 100


class PublicCall(Protocol):
    """
    Perform one public API call and return its decoded JSON (None for 204).

    *path* is relative to the public API's root (``"jobs/7"``); *query* is sent as given
    (repeated keys for arrays). *idempotent* as for the Config API's
    :class:`~airbyte_async.resources._base.Request`.
    """

    async def __call__(
        self,
        method: str,
        path: str,
        *,
        query: Sequence[tuple[str, str]] = (),
        body: Mapping[str, Any] | None = None,
        idempotent: bool,
    ) -> Any: ...


def unsupported(
    operation: str, instead: str, *, why: str = "exists only on the Config API"
) -> NoReturn:
    """Raise :class:`UnsupportedOperationError` for *operation*, naming what to do *instead*."""
    raise UnsupportedOperationError(f"{operation} {why}, not on the public REST API; {instead}")


def config_only() -> Request:
    """A Config API request callable that refuses every call without sending it."""

    async def refuse(
        route: str,
        body: Mapping[str, Any] | None = None,
        *,
        idempotent: bool,
        method: str = "POST",
        object_hook: ObjectHook | None = None,
    ) -> Any:
        unsupported(
            route,
            "use AirbyteClient(api='config') against a self-managed server",
            why="is a Config API route this client offers",
        )

    return refuse


async def _read(
    api: PublicCall, path: str, cls: type[T], query: Sequence[tuple[str, str]] = ()
) -> T:
    data = await api("GET", path, query=query, idempotent=True)
    return structure(data, cls, route=path)


async def _write(api: PublicCall, method: str, path: str, body: object, cls: type[T]) -> T:
    # A replayed PUT or PATCH is harmless alone, but undoes a change made meanwhile: like the
    # Config API's updates, none is sent again after an answer that may not have come.
    data = await api(method, path, body=unstructure(body), idempotent=False)
    return structure(data, cls, route=path)


class _Page(Protocol[T_co]):
    """A list answer: ``{data, next, previous}``."""

    @property
    def data(self) -> tuple[T_co, ...]: ...

    @property
    def next(self) -> str | None: ...


#: The id of a listed workspace and of a listed connection.
_WORKSPACE_ID, _CONNECTION_ID = attrgetter("workspace_id"), attrgetter("connection_id")

#: Pages of a list read at once once it runs past its first page.
PAGES_AT_ONCE = 4


async def _pages(
    api: PublicCall,
    path: str,
    cls: type[_Page[T]],
    query: Sequence[tuple[str, str]],
    key: Callable[[T], object],
    size: int = MAX_PAGE,
) -> AsyncIterator[T]:
    """
    Every item of a list, in order, by ``limit``/``offset`` built here: the server's ``next``
    link drops most filters (``PaginationMapper``). A list longer than its first page is read
    :data:`PAGES_AT_ONCE` pages at a time (pages of 100 read one after another kept 2,000
    connections a second or more from their first sync); the batch that passes its end costs
    a few requests more. A page that fails raises its error once the pages before it are
    yielded. An item two pages hold (the same *key*) is yielded once: Airbyte pages these
    lists with no ``ORDER BY`` (``listWorkspaceStandardSyncsLimitOffsetPaginated``), so
    nothing promises that each page's rows come in the same order. A row two pages hold took
    the place of one that neither holds (dagster-io/dagster#32443): the list is then read
    again, for the rows not yet yielded, up to :data:`_READINGS` times in all.
    """
    seen: set[object] = set()
    for _ in range(_READINGS):
        repeated = 0
        async with aclosing(_reading(api, path, cls, query, size)) as reading:
            async for item in reading:
                if key(item) in seen:
                    repeated += 1
                else:
                    seen.add(key(item))
                    yield item
        if not repeated:
            return
        log.info("%s listed %d rows twice while it was read: reading it again", path, repeated)


#: How many times a list is read at most while its readings show rows twice (see _pages).
_READINGS = 3


async def _reading(
    api: PublicCall,
    path: str,
    cls: type[_Page[T]],
    query: Sequence[tuple[str, str]],
    size: int,
) -> AsyncGenerator[T, None]:
    """One reading of a list (see :func:`_pages`): every row of its pages, in order."""

    async def read(offset: int) -> _Page[T]:
        return await _read(api, path, cls, [*query, ("limit", str(size)), ("offset", str(offset))])

    batch: list[_Page[T] | AirbyteError] = [await read(0)]
    offset = 0
    while True:
        for page in batch:
            if isinstance(page, AirbyteError):
                raise page
            for item in page.data:
                yield item
            if not page.next or len(page.data) < size:
                return
            offset += len(page.data)
        batch = await _read_all(read, [offset + n * size for n in range(PAGES_AT_ONCE)])


async def _read_all(
    read: Callable[[int], Awaitable[_Page[T]]], offsets: Sequence[int]
) -> list[_Page[T] | AirbyteError]:
    """Each offset's page, read at once; a read that failed stands as its error, in place."""
    pages: list[_Page[T] | AirbyteError | None] = [None] * len(offsets)

    async def one(index: int) -> None:
        try:
            pages[index] = await read(offsets[index])
        except AirbyteError as e:
            pages[index] = e

    async with anyio.create_task_group() as tg:
        for index in range(len(offsets)):
            tg.start_soon(one, index)
    return [page for page in pages if page is not None]


# -- conversions ------------------------------------------------------------------------------

_JOB_TYPES = {"sync": JobType.SYNC, "reset": JobType.RESET_CONNECTION}
_PUBLIC_JOB_TYPES = {
    JobType.SYNC: "sync",
    JobType.RESET_CONNECTION: "reset",
    JobType.CLEAR: "clear",
    JobType.REFRESH: "refresh",
}
_DURATION = re.compile(r"^PT(?:(\d+)H)?(?:(\d+)M)?(?:(\d+(?:\.\d+)?)S)?$")


def _duration(text: str | None) -> timedelta | None:
    match = _DURATION.match(text or "")
    if match is None:
        return None
    hours, minutes, secs = (float(g) if g else 0.0 for g in match.groups())
    return timedelta(hours=hours, minutes=minutes, seconds=secs)


def job_of(r: pw.JobResponse) -> Job:
    """The :class:`Job` a JobResponse describes (no attempts: the public API has none)."""
    created = r.start_time
    elapsed = _duration(r.duration)
    updated = r.last_updated_at or (created + elapsed if elapsed is not None else created)
    stats = None
    if r.rows_synced is not None or r.bytes_synced is not None:
        stats = AttemptStats(records_committed=r.rows_synced, bytes_committed=r.bytes_synced)
    return Job(
        id=r.job_id,
        job_type=_JOB_TYPES.get(r.job_type) or JobType(r.job_type),
        config_id=r.connection_id,
        status=r.status,
        created_at=created,
        updated_at=updated,
        attempts_reported=False,
        aggregated_stats=stats,
    )


def _workspace_of(r: pw.WorkspaceResponse) -> Workspace:
    return Workspace(workspace_id=r.workspace_id, name=r.name, data_residency=r.data_residency)


def _source_of(r: pw.SourceResponse) -> Source:
    return Source(
        source_id=r.source_id,
        workspace_id=r.workspace_id,
        name=r.name,
        definition_id=r.definition_id,
        configuration=r.configuration,
        created_at=r.created_at,
        connector_type=r.source_type,
    )


def _destination_of(r: pw.DestinationResponse) -> Destination:
    return Destination(
        destination_id=r.destination_id,
        workspace_id=r.workspace_id,
        name=r.name,
        definition_id=r.definition_id,
        configuration=r.configuration,
        created_at=r.created_at,
        connector_type=r.destination_type,
    )


# The public ConnectionSyncModeEnum and the (read, write) pair each stands for.
_MODES: dict[str, tuple[SyncMode, DestinationSyncMode]] = {
    f"{sync}_{public}": (SyncMode(sync), DestinationSyncMode(write))
    for sync, public, write in (
        ("full_refresh", "overwrite", "overwrite"),
        ("full_refresh", "overwrite_deduped", "overwrite_dedup"),
        ("full_refresh", "append", "append"),
        ("full_refresh", "update", "update"),
        ("full_refresh", "soft_delete", "soft_delete"),
        ("incremental", "append", "append"),
        ("incremental", "deduped_history", "append_dedup"),
        ("incremental", "update", "update"),
        ("incremental", "soft_delete", "soft_delete"),
    )
}
_PUBLIC_MODES = {pair: name for name, pair in _MODES.items()}


def public_mode(sync: SyncMode, write: DestinationSyncMode) -> str | None:
    """The public API's name for the pair of modes *sync* / *write*; None when it has none."""
    mode = _PUBLIC_MODES.get((sync, write))
    if mode is None and not sync.is_known and str(sync) == str(write):
        mode = str(sync)  # a public mode read that this client does not know, as read
    return mode


# The public API's names for values it spells differently.
_NAMESPACES: dict[str, NamespaceDefinition] = {"custom_format": NamespaceDefinition.CUSTOM_FORMAT}
_PREFERENCES: dict[str, NonBreakingChangesPreference] = {
    "disable_connection": NonBreakingChangesPreference.DISABLE
}
_NONE = pw.StreamConfigurations()
_CRON_ZONE = re.compile(r"[A-Za-z_]+(?:/[A-Za-z0-9_+\-]+)*")
_BASIC = re.compile(r"^Every (\d+) (\w+)$")


def _read_enum(value: str | None, cls: type[E], renamed: Mapping[str, E]) -> E | None:
    """*value* as a *cls*, where the public API names it differently as *renamed* says."""
    return None if value is None else renamed.get(value) or cls(value)


def _write_enum(value: OpenEnum | None, renamed: Mapping[str, OpenEnum]) -> str | None:
    """*value* under the public API's name for it."""
    if value is None:
        return None
    return next((public for public, ours in renamed.items() if ours is value), str(value))


#: What a stream's modes read as when the server names none: older releases name only five of
#: the nine (ConnectionReadMapper.syncModesToConnectionSyncModeEnum).
_UNREPORTED = "unreported"


def _modes_of(public: str | None) -> tuple[SyncMode, DestinationSyncMode]:
    """
    The read and write modes a public ``syncMode`` stands for. One this client does not know
    stays as sent, in both; none at all reads as ``unreported``. Neither is guessed, so a
    catalog read back cannot turn a stream into a full refresh when it is written.
    """
    known = _MODES.get(public) if public is not None else None
    if known is not None:
        return known
    raw = public or _UNREPORTED
    return SyncMode(raw), DestinationSyncMode(raw)


def _catalog_of(configurations: pw.StreamConfigurations) -> Catalog:
    streams = []
    for s in configurations.streams:
        sync, write = _modes_of(s.sync_mode)
        # An empty selectedFields reads back for a stream syncing every field
        # (airbytehq/airbyte-api-python-sdk#116); sent back, it would be refused.
        fields = s.selected_fields or None
        config = StreamConfig(
            sync_mode=sync,
            destination_sync_mode=write,
            selected=True,
            cursor_field=s.cursor_field,
            primary_key=s.primary_key,
            field_selection_enabled=True if fields else None,
            selected_fields=fields,
            mappers=s.mappers,
        )
        streams.append(
            StreamAndConfig(stream=Stream(name=s.name, namespace=s.namespace), config=config)
        )
    return Catalog(streams=tuple(streams))


def _schedule_of(r: pw.ScheduleResponse) -> tuple[ScheduleType, ScheduleData | None]:
    """A schedule read back: cron expressions carry their zone after the last space."""
    if r.schedule_type == "cron" and r.cron_expression:
        expression, zone = r.cron_expression, "UTC"
        head, _, last = expression.rpartition(" ")
        if len(expression.split()) >= 7 and _CRON_ZONE.fullmatch(last):
            expression, zone = head, last
        cron = CronSchedule(cron_expression=expression, cron_time_zone=zone)
        return ScheduleType.CRON, ScheduleData(cron=cron)
    if r.schedule_type == "basic" and (m := _BASIC.match(r.basic_timing or "")):
        basic = BasicSchedule(units=int(m.group(1)), time_unit=TimeUnit(m.group(2).lower()))
        return ScheduleType.BASIC, ScheduleData(basic_schedule=basic)
    return ScheduleType(r.schedule_type), None


def connection_of(r: pw.ConnectionResponse) -> Connection:
    """The :class:`Connection` a ConnectionResponse describes."""
    schedule_type, schedule_data = _schedule_of(r.schedule)
    namespace = r.namespace_definition
    preference = r.non_breaking_schema_updates_behavior
    return Connection(
        connection_id=r.connection_id,
        name=r.name,
        source_id=r.source_id,
        destination_id=r.destination_id,
        status=r.status,
        sync_catalog=_catalog_of(r.configurations),
        workspace_id=r.workspace_id,
        schedule_type=schedule_type,
        schedule_data=schedule_data,
        namespace_definition=_read_enum(namespace, NamespaceDefinition, _NAMESPACES),
        namespace_format=r.namespace_format,
        prefix=r.prefix,
        non_breaking_changes_preference=_read_enum(
            preference, NonBreakingChangesPreference, _PREFERENCES
        ),
        created_at=r.created_at,
        status_reason=r.status_reason,
        tags=r.tags,
    )


def _configurations_for(catalog: Catalog) -> pw.StreamConfigurations:
    """
    The selected streams of *catalog*, as the public API names their modes.

    Each stream carries its field selection, mappers, ``include_files`` and
    ``destination_object_name``: what a stream leaves out, Airbyte takes from the discovered
    stream, not from the connection, so a catalog sent without them would sync every field and
    drop the mappers (``AirbyteCatalogHelper.toAirbyteStreamConfiguration``).
    """
    streams = []
    for pair in catalog.selected:
        config = pair.config
        assert config is not None
        sync, write = config.sync_mode, config.destination_sync_mode
        if sync == _UNREPORTED:
            raise InvalidArgumentError(
                f"stream {pair.stream.name}: the server did not say its sync mode when the "
                "connection was read (older Airbyte releases name only five of the public "
                "API's modes); set the stream's sync_mode and destination_sync_mode first"
            )
        mode = public_mode(sync, write)
        if mode is None:
            raise InvalidArgumentError(
                f"stream {pair.stream.name}: the public API has no mode for {sync}/{write}"
            )
        streams.append(
            pw.StreamConfiguration(
                name=pair.stream.name,
                namespace=pair.stream.namespace,
                sync_mode=mode,
                cursor_field=config.cursor_field or None,
                primary_key=config.primary_key or None,
                selected_fields=config.selected_fields if config.field_selection_enabled else None,
                mappers=config.mappers,
                include_files=config.include_files,
                destination_object_name=config.destination_object_name,
            )
        )
    if not streams:
        # AirbyteCatalogHelper.hasStreamConfigurations: an empty list is no list at all.
        raise InvalidArgumentError(
            "sync_catalog selects no stream, which the public API takes as none given (a new "
            "connection then gets every stream of its source, full refresh and overwrite; an "
            "update keeps its streams, or on some releases rebuilds them so): select at least one"
        )
    return pw.StreamConfigurations(streams=tuple(streams))


#: Sent beside a manual schedule, which Airbyte then ignores: see _public_schedule.
_IGNORED_CRON = "0 0 0 * * ?"


def _public_schedule(
    schedule_type: ScheduleType | None, data: ScheduleData | None
) -> pw.ScheduleRequest | None:
    if schedule_type is None:
        return None
    if schedule_type is ScheduleType.MANUAL:
        # Airbyte drops a schedule that has no cronExpression before it reads the type
        # (AirbyteCatalogHelper.normalizeCronExpression), so a bare "manual" would leave a cron
        # schedule in place. For manual, the expression is neither checked nor stored
        # (validateCronConfiguration, ConnectionUpdateMapper).
        return pw.ScheduleRequest(schedule_type="manual", cron_expression=_IGNORED_CRON)
    if schedule_type is ScheduleType.CRON and data is not None and data.cron is not None:
        if data.cron.cron_time_zone != "UTC":
            raise InvalidArgumentError("the public API runs cron schedules in UTC only")
        return pw.ScheduleRequest(schedule_type="cron", cron_expression=data.cron.cron_expression)
    if schedule_type is ScheduleType.BASIC:
        raise InvalidArgumentError(
            "the public API takes manual or cron schedules, not basic ones: give a cron schedule"
        )
    raise InvalidArgumentError(
        f"the public API takes manual or cron schedules, got schedule_type {schedule_type.value!r}"
    )


def _connection_fields(name: str | None, settings: ConnectionSettings) -> dict[str, Any]:
    """The public API's connection fields for *name* and *settings* (None: left out)."""
    catalog = settings.sync_catalog
    return {
        "name": name,
        "status": settings.status,
        "configurations": None if catalog is None else _configurations_for(catalog),
        "schedule": _public_schedule(settings.schedule_type, settings.schedule_data),
        "namespace_definition": _write_enum(settings.namespace_definition, _NAMESPACES),
        "namespace_format": settings.namespace_format,
        "prefix": settings.prefix,
        "non_breaking_schema_updates_behavior": _write_enum(
            settings.non_breaking_changes_preference, _PREFERENCES
        ),
    }


def _path(collection: str, name: str, object_id: object) -> str:
    """
    The path of one object, ``connections/<id>``. The id must be a UUID, as every Airbyte id
    but a job's is: any other text could name another path (``../sources/<id>``).
    """
    return f"{collection}/{uuid_id(name, object_id)}"


def _job_path(job_id: object) -> str:
    """``jobs/<id>``, for a job id that is a whole number a Long holds (``JobId``, int64)."""
    return f"jobs/{whole('job_id', job_id, minimum=0, maximum=LONG_MAX)}"


async def _on_job(api: PublicCall, method: str, job_id: int, *, idempotent: bool) -> Any:
    """
    *method* on ``/jobs/<job_id>``. A job that does not exist is a 403 on Airbyte, as for a
    job the credentials may not touch (the role check that runs first finds no workspace for
    it: ``JobsController``, ``RoleResolver.roles``), and a 404 elsewhere: either way a
    :class:`~airbyte_async.errors.NotFoundError` naming the job.
    """
    path = _job_path(job_id)
    try:
        return await api(method, path, idempotent=idempotent)
    except NotFoundError as e:
        raise NotFoundError(e.status, f"there is no job {job_id}", route=path) from e
    except PermissionDeniedError as e:
        raise unseen(e, "job", job_id) from e


async def _listed(query: Sequence[tuple[str, str]], call: Awaitable[T]) -> T:
    """
    *call*, a job listing by *query*'s connection or workspaces. Airbyte's role check answers
    403 for a connection or a workspace that does not exist, as for one the credentials hold
    no role in (``JobsController.listJobs``: WORKSPACE_READER on the connection, else on the
    workspaces named, taken as they are): raised as :func:`unseen` says, naming them.
    """
    try:
        return await call
    except PermissionDeniedError as e:
        connection = dict(query).get(pw.CONNECTION_ID)
        workspaces = [value for key, value in query if key == pw.WORKSPACE_IDS]
        if connection is not None:
            raise unseen(e, "connection", connection) from e
        if workspaces:
            raise unseen(e, "workspace", " or ".join(workspaces)) from e
        raise


# -- resources ---------------------------------------------------------------------------------


@attrs.frozen
class PublicWorkspaces(Workspaces):
    """
    Workspaces on the public API: get, list, create, find and ensure by name, and
    :meth:`default` (the only one listed). Their listing says no organization: a name is
    looked for among every workspace the credentials see, whatever *organization_id* is given.
    """

    _api: PublicCall = attrs.field(kw_only=True)
    # Its pages come without an order (see _pages): another client's delete shifts them.
    _listing_may_skip: ClassVar[bool] = True

    async def get(self, *, workspace_id: str) -> Workspace:
        """The workspace *workspace_id*."""
        path = _path("workspaces", "workspace_id", workspace_id)
        read = _read(self._api, path, pw.WorkspaceResponse)
        return _workspace_of(await named("workspace", workspace_id, read))

    async def list(self) -> AsyncIterator[Workspace]:
        """Every workspace the credentials may see."""
        async for found in _pages(
            self._api, "workspaces", pw.WorkspacesResponse, (), _WORKSPACE_ID
        ):
            yield _workspace_of(found)

    async def default(self) -> Workspace:
        """
        The only workspace listed. The public API designates no default workspace and lists
        them in no lasting order (see :func:`_pages`), so with several this raises
        :class:`~airbyte_async.errors.AmbiguousMatchError` naming them, rather than choose one
        that the next call may not; :class:`~airbyte_async.errors.NoMatchError` with none.
        """
        listed = [found async for found in self.list()]
        if len(listed) > 1:
            ids = [found.workspace_id for found in listed]
            raise AmbiguousMatchError(_no_default(listed), candidates=ids)
        if not listed:
            raise NoMatchError("no workspace found on the public API (GET /workspaces was empty)")
        return listed[0]

    async def create(
        self, *, name: str, organization_id: str | None = None, email: str | None = None
    ) -> Workspace:
        """
        Create a workspace (``POST /workspaces``) in *organization_id*. A self-managed server
        files every workspace it creates there in its default organization, whatever is sent
        (``WorkspaceServiceImpl.createWorkspace``), and gives it the caller's email: the
        public API takes no *email* (:class:`~airbyte_async.errors.InvalidArgumentError`).
        """
        if email is not None:
            raise InvalidArgumentError(
                "the public API takes no email for a workspace: it gives it the caller's"
            )
        body = pw.WorkspaceCreateRequest(name=name, organization_id=organization_id)
        created = _write(self._api, "POST", "workspaces", body, pw.WorkspaceResponse)
        # Its find looks among every workspace listed, whatever organization it is given.
        return _workspace_of(await sent_once(created, **_workspace_note(name, None)))

    def _listed(self, organization_id: str | None) -> AsyncIterator[Workspace]:
        """Every workspace listed: the public API's do not say their organization."""
        return self.list()

    def _where(self, organization_id: str | None) -> str:
        return "the workspaces listed"

    async def _default_organization(self) -> str | None:
        """None: the server chooses (a self-managed one, its default organization)."""
        return None

    async def get_by_slug(self, *, slug: str) -> Workspace:
        """Not on the public API: workspaces there have no slug."""
        unsupported("workspaces/get_by_slug", "list the workspaces and match by name")

    async def instance_configuration(self) -> InstanceConfiguration:
        """Not on the public API."""
        unsupported("instance_configuration", "use workspaces.default() for a workspace")


def _no_default(listed: Sequence[Workspace]) -> str:
    """Why the public API has no default workspace among the several *listed*: each named."""
    shown = ", ".join(f"{found.name!r} ({found.workspace_id})" for found in listed[:5])
    more = f" and {len(listed) - 5} more" if len(listed) > 5 else ""
    return (
        f"{len(listed)} workspaces are listed and the public API designates none as the "
        f"default: {shown}{more}; name one by its id (workspace_id=...; --workspace ID on the "
        "command line)"
    )


class _PublicDefinitions(_Definitions[D]):
    """The public API's side of source and destination definitions (mixed into both)."""

    __slots__ = ()
    _api: PublicCall

    async def get(self, *, definition_id: str) -> D:
        """Not on the public API without a workspace."""
        noun = self._kind.noun
        unsupported(
            f"{noun}_definitions/get",
            "use find(name=..., workspace_id=...) or list_for_workspace(workspace_id=...)",
            why="without a workspace is a Config API route",
        )

    async def get_specification(
        self, *, definition_id: str, workspace_id: str
    ) -> DefinitionSpecification:
        """Not on the public API."""
        unsupported(
            f"{self._kind.noun}_definition_specifications/get",
            "read the connector's documentation_url",
        )

    async def _of_deployment(self) -> Sequence[D]:
        noun = self._kind.noun
        unsupported(
            f"{noun}_definitions/list",
            f"the public API lists a workspace's {noun} definitions: give workspace_id "
            "(client.workspaces.default() is one)",
            why="(every definition of the deployment) is a Config API route",
        )

    async def _of_workspace(self, workspace_id: str) -> Sequence[D]:
        """
        ``GET /workspaces/{id}/definitions/sources`` (or ``destinations``): the standard
        definitions the workspace may use and its custom ones
        (``listSourceDefinitionsForWorkspace``), each with its name, image and documentation;
        Connector Builder sources are not among them (``DefinitionsController``).
        """
        workspace = _path("workspaces", "workspace_id", workspace_id)
        path = f"{workspace}/definitions/{self._kind.noun}s"
        read = _read(self._api, path, pw.DefinitionsResponse)
        listed = await named("workspace", workspace_id, read)
        return tuple(self._definition_of(r) for r in listed.data)

    def _definition_of(self, r: pw.DefinitionResponse) -> D:
        url = r.documentation_url if r.documentation_url not in ("", "null") else None
        return self._kind.model(
            definition_id=r.id,
            name=r.name,
            docker_repository=r.docker_repository,
            docker_image_tag=r.docker_image_tag,
            documentation_url=url,
        )


@attrs.frozen
class PublicSourceDefinitions(_PublicDefinitions[SourceDefinition], SourceDefinitions):
    """Source definitions on the public API: a workspace's, listed or found by name."""

    _api: PublicCall = attrs.field(kw_only=True)


@attrs.frozen
class PublicDestinationDefinitions(
    _PublicDefinitions[DestinationDefinition], DestinationDefinitions
):
    """Destination definitions on the public API: a workspace's, listed or found by name."""

    _api: PublicCall = attrs.field(kw_only=True)


class _PublicActors(Actors[A]):
    """The public API's side of sources and destinations (mixed into both resources)."""

    __slots__ = ()
    _api: PublicCall
    # Its pages come without an order (see _pages): another client's delete shifts them.
    _listing_may_skip: ClassVar[bool] = True

    @property
    def _answer(self) -> type[pw.SourceResponse] | type[pw.DestinationResponse]:
        raise NotImplementedError

    @property
    def _listing(self) -> type[pw.SourcesResponse] | type[pw.DestinationsResponse]:
        raise NotImplementedError

    def _model(self, answer: Any) -> A:
        raise NotImplementedError

    def _key(self, answer: Any) -> object:
        """The id of a listed *answer*, which a listing's pages hold once each."""
        return getattr(answer, f"{self._kind.noun}_id")

    async def create(
        self, *, workspace_id: str, name: str, definition_id: str, configuration: Mapping[str, Any]
    ) -> A:
        """Create one from *definition_id* (``POST /sources`` or ``/destinations``)."""
        body = pw.ActorCreateRequest(
            name=name,
            workspace_id=workspace_id,
            configuration=json_object("configuration", configuration),
            definition_id=definition_id,
        )
        path = self._kind.route
        created = _write(self._api, "POST", path, body, self._answer)
        return self._model(await sent_once(created, **self._create_note(workspace_id, name)))

    async def list(self, *, workspace_id: str) -> AsyncIterator[A]:
        """Every one in *workspace_id*, over all pages."""
        query = [(pw.WORKSPACE_IDS, uuid_id("workspace_id", workspace_id))]
        async for found in _pages(self._api, self._kind.route, self._listing, query, self._key):
            yield self._model(found)

    async def _get(self, actor_id: str) -> A:
        path = _path(self._kind.route, f"{self._kind.noun}_id", actor_id)
        return self._model(
            await named(self._kind.noun, actor_id, _read(self._api, path, self._answer))
        )

    async def _update(
        self, actor_id: str, name: str | None, configuration: Mapping[str, Any] | None
    ) -> A:
        """A new configuration replaces the old one (``PUT``); a new name alone is a ``PATCH``."""
        path = _path(self._kind.route, f"{self._kind.noun}_id", actor_id)
        noun = self._kind.noun
        what = f"the {noun} {actor_id}"
        read = f"{self._kind.route}.get({noun}_id='{actor_id}')"
        if configuration is None:
            patch = pw.ActorPatchRequest(name=name)
            written = _write(self._api, "PATCH", path, patch, self._answer)
            return self._model(
                await written_once(named(noun, actor_id, written), what=what, read=read)
            )
        configuration = json_object("configuration", configuration)
        if name is None:
            name = (await self._get(actor_id)).name
        put = pw.ActorPutRequest(name=name, configuration=configuration)
        written = _write(self._api, "PUT", path, put, self._answer)
        return self._model(await written_once(named(noun, actor_id, written), what=what, read=read))

    async def _delete(self, actor_id: str) -> None:
        path = _path(self._kind.route, f"{self._kind.noun}_id", actor_id)
        await delete_through(
            named(self._kind.noun, actor_id, self._api("DELETE", path, idempotent=True)),
            what=f"the {self._kind.noun} {actor_id}",
            read=f"{self._kind.route}.get({self._kind.noun}_id='{actor_id}')",
        )

    async def _check(self, actor_id: str) -> CheckResult:
        unsupported(f"{self._kind.route}/check_connection", "run a sync and read its job")


@attrs.frozen
class PublicSources(_PublicActors[Source], Sources):
    """Sources on the public API; :meth:`discover_schema` reads ``GET /streams``."""

    _api: PublicCall = attrs.field(kw_only=True)

    @property
    def _answer(self) -> type[pw.SourceResponse]:
        return pw.SourceResponse

    @property
    def _listing(self) -> type[pw.SourcesResponse]:
        return pw.SourcesResponse

    def _model(self, answer: Any) -> Source:
        return _source_of(answer)

    async def discover_schema(
        self, *, source_id: str, disable_cache: bool = False, destination_id: str | None = None
    ) -> DiscoveredSchema:
        """
        The source's streams (``GET /streams``): names, cursors and keys, and without stream
        configurations. A stream's *json_schema* holds only the names of its fields, nested
        ones too (``propertyFields``), so that cursors and primary keys are checked against
        them; no types. The server names the modes only for a
        *destination_id*: then ``sync_modes`` has each stream's allowed pairs toward it, and
        each stream its read modes; without one, neither is known.
        """
        query = [(pw.SOURCE_ID, uuid_id("source_id", source_id))]
        if destination_id is not None:
            query.append((pw.DESTINATION_ID, uuid_id("destination_id", destination_id)))
        if disable_cache:
            query.append((pw.IGNORE_CACHE, "true"))
        with running_a_connector():
            data = await self._api("GET", "streams", query=query, idempotent=True)
        found = structure(data, tuple[pw.StreamProperties, ...], route="streams")
        streams = tuple(
            StreamAndConfig(
                stream=Stream(
                    name=s.stream_name,
                    namespace=s.streamnamespace,
                    supported_sync_modes=tuple(
                        dict.fromkeys(_MODES[m][0] for m in s.sync_modes if m in _MODES)
                    ),
                    source_defined_cursor=s.source_defined_cursor_field,
                    default_cursor_field=s.default_cursor_field,
                    source_defined_primary_key=s.source_defined_primary_key,
                    json_schema=_fields_schema(s.property_fields),
                )
            )
            for s in found
        )
        catalog = Catalog(streams=streams)
        if destination_id is None:
            return DiscoveredSchema(catalog=catalog)
        modes = {
            stream_name(entry.stream): tuple(
                dict.fromkeys(_MODES[m] for m in s.sync_modes if m in _MODES)
            )
            for entry, s in zip(streams, found, strict=True)
        }
        return DiscoveredSchema(catalog=catalog, sync_modes=modes)


def _fields_schema(paths: Sequence[Sequence[str]]) -> JsonObject | None:
    """A JSON schema that declares the fields *paths* (``[["data"], ["data", "id"]]``) and
    nothing else, or None for no fields (an older server sends none)."""
    if not paths:
        return None
    schema: JsonObject = {"type": "object", "properties": {}}
    for path in paths:
        level: dict[str, Any] = schema
        for field in path:
            level = level.setdefault("properties", {}).setdefault(field, {})
    return schema


@attrs.frozen
class PublicDestinations(_PublicActors[Destination], Destinations):
    """Destinations on the public API."""

    _api: PublicCall = attrs.field(kw_only=True)

    @property
    def _answer(self) -> type[pw.DestinationResponse]:
        return pw.DestinationResponse

    @property
    def _listing(self) -> type[pw.DestinationsResponse]:
        return pw.DestinationsResponse

    def _model(self, answer: Any) -> Destination:
        return _destination_of(answer)


@attrs.frozen
class PublicJobs(Jobs):
    """Jobs on the public API: get, list, cancel, wait. No attempts, hence no logs."""

    _api: PublicCall = attrs.field(kw_only=True)

    async def get(self, *, job_id: int) -> Job:
        """
        The job *job_id* (``GET /jobs/{jobId}``). Raises
        :class:`~airbyte_async.errors.NotFoundError` naming it when there is none (see
        :func:`_on_job`).
        """
        data = await _on_job(self._api, "GET", job_id, idempotent=True)
        return job_of(structure(data, pw.JobResponse, route=_job_path(job_id)))

    async def get_light(self, *, job_id: int) -> Job:
        """The same as :meth:`get`: the public API's job is always the light one."""
        return await self.get(job_id=job_id)

    async def cancel(self, *, job_id: int, unless_ended: bool = True) -> Job:
        """
        Cancel the job if it still runs (``DELETE /jobs/{jobId}``); returns it as it ended.

        The public API cancels as the Config API does, through the same server call: the
        connection's *current* job, whatever id is sent, and a 200 for a job that ended while a
        newer one runs (airbytehq/airbyte-platform ``JobServiceImpl.cancelJob``; API-FACTS
        6.3b); a 409 when none runs. So the job
        is read first (again when its answer took over a second), and a job that ended is
        returned as it ended with nothing cancelled; *unless_ended* False sends the cancel
        without that read, for a caller that has just read the job itself. Nor is the cancel
        replayed after an ambiguous failure: by then the connection may run a newer job. A 409
        (a server that refuses an ended job) is answered with the job read again. A cancel
        refused before Airbyte acted (a 429) goes again only after a read shows the job still
        running (up to the client's ``retry.attempts`` tries), and one Airbyte ignores (no
        attempt of the job runs yet) once one runs, as :meth:`Jobs.cancel
        <airbyte_async.resources.jobs.Jobs.cancel>` does.
        """
        if unless_ended:
            job = await fresh_read(partial(self.get, job_id=job_id))
            if job.status.is_terminal:
                return job
        try:
            return await self.cancel_running(job_id=job_id)
        except ConflictError:
            return await self.get(job_id=job_id)

    async def cancel_running(self, *, job_id: int, read_back: bool = True) -> Job:
        """
        Cancel the job (``DELETE /jobs/{jobId}``), which the caller has just read running, and
        return it as it ended; never replayed after an ambiguous failure, and after a refusal
        (a 429) only once a read shows the job still running (see :meth:`cancel`).
        The cancel's answer carries no rows or bytes (API-FACTS 3): with *read_back*, the job
        is read back for them, and the answer returned as it is when that read fails or still
        shows it running. Raises :class:`~airbyte_async.errors.ConflictError` when the server
        refuses it.
        """

        async def send() -> Job:
            data = await _on_job(self._api, "DELETE", job_id, idempotent=False)
            return job_of(structure(data, pw.JobResponse, route="jobs"))

        read = partial(self.get, job_id=job_id)
        answer = await cancel_heard(send, read, job_id=job_id, tries=self._cancel_tries())
        if not read_back:
            return answer
        try:
            ended = await self.get(job_id=job_id)
        except AirbyteError as e:
            log.debug("job %d was cancelled; reading its counts failed: %s", job_id, e)
            return answer
        return ended if ended.status.is_terminal else answer

    async def list_changes(
        self,
        *,
        workspace_ids: Iterable[str],
        updated_at_start: datetime,
        statuses: Iterable[JobStatus] | None = None,
        job_types: Iterable[JobType] = (JobType.SYNC,),
        page_size: int = 2000,
        created_at_start: datetime | None = None,
        paging: Paging | None = None,
    ) -> tuple[JobChange, ...]:
        """
        Every job of *workspace_ids* (every workspace when empty) updated since
        *updated_at_start* (and created since *created_at_start*, when given), oldest change
        first, all pages (of at most 100), as :class:`~airbyte_async._backend.JobChange`.

        Pages are read newest change first: a job updated while the pages are read moves to
        the front, so the rows after it shift to later pages, where they are read again, never
        skipped (oldest first, they would shift into pages already read). A job seen twice is
        kept as last updated; one updated after the first page was read may be missed here and
        is read by the next listing, whose window starts before this one's first page. With
        *paging*, a listing that fails keeps the pages it read there, and the next one of the
        same filters resumes at the page that failed (see :class:`~airbyte_async._backend.Paging`).
        Refreshes and clears asked for beside other types, which a listing without ``jobType``
        leaves out before head (see :data:`_LISTED_APART`), are listed by type too.
        """
        size = min(page_size, MAX_PAGE)
        # Read once: the listings by type below take them again.
        workspace_ids, types, statuses = (
            _workspace_ids(workspace_ids),
            _job_types(job_types),
            _statuses(statuses),
        )
        wanted = None if statuses is None else frozenset(statuses)
        query = self._filters(
            [(pw.WORKSPACE_IDS, uuid_id("workspace id", w)) for w in workspace_ids],
            types,
            wanted,
            updated_at_start,
        )
        if created_at_start is not None:
            query.append((pw.CREATED_AT_START, _instant("created_at_start", created_at_start)))
        query.append((pw.ORDER_BY, pw.BY_UPDATE_DESCENDING))
        paging = Paging() if paging is None else paging
        changes = paging.start((tuple(query), size))
        while True:
            paged = [*query, ("limit", str(size)), ("offset", str(paging.offset))]
            page = await _listed(paged, _read(self._api, "jobs", pw.JobsResponse, paged))
            for job in map(job_of, page.data):
                if job.job_type in types and (wanted is None or job.status in wanted):
                    seen = changes.get(job.id)
                    stamp = job.updated_at.timestamp()
                    if seen is None or seen.updated_at <= stamp:
                        paging.read(
                            JobChange(
                                job.id,
                                job.status,
                                stamp,
                                partial(_same, job),
                                config_id=job.config_id,
                            )
                        )
            if len(page.data) < size or not page.next:
                paging.ended()
                break
            paging.offset += len(page.data)
        found = dict(changes)
        for job_type in _listed_apart(types):  # left out of that listing before head
            try:
                apart = await self.list_changes(
                    workspace_ids=workspace_ids,
                    updated_at_start=updated_at_start,
                    statuses=statuses,
                    job_types=(job_type,),
                    page_size=page_size,
                    created_at_start=created_at_start,
                )
            except UnprocessableEntityError:
                continue  # a server whose jobType filter does not know it has none
            for change in apart:
                seen = found.get(change.id)
                if seen is None or seen.updated_at <= change.updated_at:
                    found[change.id] = change
        return tuple(sorted(found.values(), key=lambda change: change.updated_at))

    async def logs(self, *, job_id: int, attempt: int | None = None) -> tuple[str, ...]:
        """Not on the public API: its jobs have no attempts."""
        unsupported(
            "jobs/get (logs)",
            "read logs in the Airbyte UI, or with the Config API (api='config'; --api config)",
        )

    async def trigger(self, *, connection_id: str, job_type: JobType) -> Job:
        """``POST /jobs`` once, with no retry: the caller settles an uncertain answer."""
        # Airbyte refuses a refresh: "Refreshes are not supported in the public API" (422).
        kind = _PUBLIC_JOB_TYPES.get(job_type) if job_type is not JobType.REFRESH else None
        if kind is None:
            raise InvalidArgumentError(f"the public API cannot start a {job_type} job")
        body = pw.JobCreateRequest(job_type=kind, connection_id=connection_id)
        written = _write(self._api, "POST", "jobs", body, pw.JobResponse)
        return job_of(await named("connection", connection_id, written))

    async def list_page(
        self,
        *,
        connection_id: str,
        job_types: Iterable[JobType] = (JobType.SYNC,),
        statuses: Iterable[JobStatus] | None = None,
        created_after: datetime | None = None,
        updated_after: datetime | None = None,
        page_size: int = DEFAULT_PAGE_SIZE,
        row_offset: int = 0,
        order_by: str | None = None,
    ) -> JobPage:
        """
        One page of *connection_id*'s jobs (``GET /jobs?connectionId=``), newest first unless
        *order_by* says otherwise, as on the Config API. The public API counts no total:
        ``total_count`` says whether another page may follow. A first page of several types
        among them refreshes or clears, which a listing without ``jobType`` leaves out before
        head (see :data:`_LISTED_APART`), is made of that listing and one of each such type;
        later pages (a *row_offset*) are that listing's alone, and may miss a job of it that
        the merge pushed off the first page: :meth:`list` reads every job.
        """
        query = [(pw.CONNECTION_ID, uuid_id("connection_id", connection_id))]
        if created_after is not None:
            query.append((pw.CREATED_AT_START, _instant("created_after", created_after)))
        # Read once: the listings by type below take them again.
        job_types, statuses = _job_types(job_types), _statuses(statuses)
        fetch = partial(self._fetch, query, statuses=statuses, updated_after=updated_after)
        fetched = await fetch(
            job_types, page_size=page_size, row_offset=row_offset, order_by=order_by
        )
        apart = _listed_apart(job_types) if row_offset == 0 else ()
        if not apart:
            return _job_page(row_offset, *fetched)
        pages = [fetched]
        for job_type in apart:
            try:
                pages.append(
                    await fetch((job_type,), page_size=page_size, row_offset=0, order_by=order_by)
                )
            except UnprocessableEntityError:
                continue  # a server whose jobType filter does not know it has none
        return _merged_page(pages, page_size, order_by)

    async def list_for_workspaces_page(
        self,
        *,
        workspace_ids: Iterable[str],
        statuses: Iterable[JobStatus] | None = None,
        updated_at_start: datetime | None = None,
        job_types: Iterable[JobType] = (JobType.SYNC,),
        page_size: int = DEFAULT_PAGE_SIZE,
        row_offset: int = 0,
        order_by: str | None = None,
    ) -> JobPage:
        """One page of the jobs of several workspaces (``GET /jobs?workspaceIds=``)."""
        query = [
            (pw.WORKSPACE_IDS, uuid_id("workspace id", w)) for w in _workspace_ids(workspace_ids)
        ]
        fetched = await self._fetch(
            query, job_types, statuses, updated_at_start, page_size, row_offset, order_by
        )
        return _job_page(row_offset, *fetched)

    @staticmethod
    def _filters(
        query: list[tuple[str, str]],
        job_types: Iterable[JobType],
        wanted: frozenset[JobStatus] | None,
        updated_after: datetime | None,
    ) -> list[tuple[str, str]]:
        """*query* with the filters the server can apply: one job type, one status."""
        public_types = {_PUBLIC_JOB_TYPES.get(t) for t in _job_types(job_types)}
        if len(public_types) == 1 and None not in public_types:
            query.append((pw.JOB_TYPE, str(public_types.pop())))
        if wanted is not None and len(wanted) == 1:
            query.append(("status", str(next(iter(wanted)))))
        if updated_after is not None:
            query.append((pw.UPDATED_AT_START, _instant("updated_after", updated_after)))
        return query

    def list(
        self,
        *,
        connection_id: str,
        job_types: Iterable[JobType] = (JobType.SYNC,),
        statuses: Iterable[JobStatus] | None = None,
        created_after: datetime | None = None,
        updated_after: datetime | None = None,
        page_size: int = DEFAULT_PAGE_SIZE,
        order_by: str | None = None,
    ) -> AsyncIterator[Job]:
        """
        Every matching job of *connection_id*, page by page (``GET /jobs?connectionId=``); in
        the order *order_by* names; refreshes or clears asked for beside other types are listed
        by type too (see :meth:`_every`).
        """
        query = [(pw.CONNECTION_ID, uuid_id("connection_id", connection_id))]
        if created_after is not None:
            query.append((pw.CREATED_AT_START, _instant("created_after", created_after)))
        return self._every(query, job_types, statuses, updated_after, page_size, order_by)

    def list_for_workspaces(
        self,
        *,
        workspace_ids: Iterable[str],
        statuses: Iterable[JobStatus] | None = None,
        updated_at_start: datetime | None = None,
        job_types: Iterable[JobType] = (JobType.SYNC,),
        page_size: int = DEFAULT_PAGE_SIZE,
        order_by: str | None = None,
    ) -> AsyncIterator[Job]:
        """Every matching job of several workspaces, page by page (``GET /jobs?workspaceIds=``);
        in the order *order_by* names (see :meth:`_every`)."""
        query = [
            (pw.WORKSPACE_IDS, uuid_id("workspace id", w)) for w in _workspace_ids(workspace_ids)
        ]
        return self._every(query, job_types, statuses, updated_at_start, page_size, order_by)

    def _every(
        self,
        query: Sequence[tuple[str, str]],
        job_types: Iterable[JobType],
        statuses: Iterable[JobStatus] | None,
        updated_after: datetime | None,
        page_size: int,
        order_by: str | None,
    ) -> AsyncIterator[Job]:
        """
        Every job of *query*'s rows that passes the filters. Ordered by update time, the
        pages are read newest created first and the jobs put in order here, as the Config
        API's listings are: a job that changes while the pages are read moves to the other
        end of an order by ``updatedAt``, so with ``offset`` paging either a row behind it
        shifts back over a page boundary and is skipped (ascending) or it moves into the
        pages already read and is missed (descending); by creation, only a new job moves,
        to the front, which repeats a row rather than skipping one.
        """
        field, _ = _order(order_by)
        if field is not w.OrderField.UPDATED_AT:
            return self._merged(query, job_types, statuses, updated_after, page_size, order_by)
        jobs = self._merged(query, job_types, statuses, updated_after, page_size, None)
        assert order_by is not None
        return _sorted(jobs, order_by)

    async def _merged(
        self,
        query: Sequence[tuple[str, str]],
        job_types: Iterable[JobType],
        statuses: Iterable[JobStatus] | None,
        updated_after: datetime | None,
        page_size: int,
        order_by: str | None,
    ) -> AsyncIterator[Job]:
        """Every page of the listing; with refreshes or clears beside other types (see
        :data:`_LISTED_APART`), every page of it and of a listing of each such type, merged
        into the order asked for once all are read."""
        types, wanted = _job_types(job_types), _statuses(statuses)
        every = partial(self._pages, query, statuses=wanted, updated_after=updated_after)
        apart = _listed_apart(types)
        if not apart:
            async with aclosing(every(types, page_size=page_size, order_by=order_by)) as jobs:
                async for job in jobs:
                    yield job
            return
        found = {job.id: job async for job in every(types, page_size=page_size, order_by=order_by)}
        for job_type in apart:
            try:
                async for job in every((job_type,), page_size=page_size, order_by=order_by):
                    found[job.id] = job
            except UnprocessableEntityError:
                continue  # a server whose jobType filter does not know it has none
        for job in _in_order(found.values(), order_by):
            yield job

    async def _pages(
        self,
        query: Sequence[tuple[str, str]],
        job_types: tuple[JobType, ...],
        *,
        statuses: tuple[JobStatus, ...] | None,
        updated_after: datetime | None,
        page_size: int,
        order_by: str | None,
    ) -> AsyncGenerator[Job]:
        # Pages are counted in the server's rows: the filters applied here shorten a page
        # without ending the listing.
        seen: set[int] = set()
        offset = 0
        while True:
            kept, rows, more = await self._fetch(
                query, job_types, statuses, updated_after, page_size, offset, order_by
            )
            for job in kept:
                if job.id not in seen:
                    seen.add(job.id)
                    yield job
            if not more:
                return
            offset += rows

    async def _fetch(
        self,
        query: Sequence[tuple[str, str]],
        job_types: Iterable[JobType],
        statuses: Iterable[JobStatus] | None,
        updated_after: datetime | None,
        page_size: int,
        row_offset: int,
        order_by: str | None,
    ) -> tuple[tuple[Job, ...], int, bool]:
        """One page: the jobs that pass every filter, the rows the server sent, and whether
        another page may follow."""
        if not 1 <= page_size <= MAX_PAGE or row_offset < 0:
            raise InvalidArgumentError(
                f"page_size must be 1 to {MAX_PAGE} on the public API, row_offset at least 0"
            )
        types = _job_types(job_types)
        wanted = None if statuses is None else frozenset(_statuses(statuses) or ())
        query = self._filters([*query], types, wanted, updated_after)
        if order_by is None:
            query.append((pw.ORDER_BY, pw.BY_CREATION_DESCENDING))
        else:
            field, method = _order(order_by)
            query.append((pw.ORDER_BY, f"{_camel(str(field))}|{method}"))
        query += [("limit", str(page_size)), ("offset", str(row_offset))]
        page = await _listed(query, _read(self._api, "jobs", pw.JobsResponse, query))
        jobs = [job_of(r) for r in page.data]
        # Filters the server could not apply (several statuses or types) apply here.
        kept = tuple(
            j for j in jobs if j.job_type in types and (wanted is None or j.status in wanted)
        )
        more = bool(page.next) and len(page.data) == page_size
        return kept, len(page.data), more


#: The job types ``GET /jobs`` without ``jobType`` leaves out before head: it asks the Config
#: API for syncs and resets alone (``JobService.getJobConfigTypes``, airbytehq/airbyte-platform
#: ``4ab2909f``; head asks for every type, ``JobServiceTest``, ``2c2663d2``).
_LISTED_APART = (JobType.REFRESH, JobType.CLEAR)


def _listed_apart(job_types: Iterable[JobType]) -> tuple[JobType, ...]:
    """Of *job_types*, those a listing of them all may leave out (see :data:`_LISTED_APART`):
    none when one ``jobType`` filter names them all."""
    types = _job_types(job_types)
    public_types = {_PUBLIC_JOB_TYPES.get(t) for t in types}
    if len(public_types) == 1 and None not in public_types:
        return ()
    return tuple(t for t in _LISTED_APART if t in types)


def _merged_page(
    pages: Sequence[tuple[tuple[Job, ...], int, bool]], page_size: int, order_by: str | None
) -> JobPage:
    """The first page of a listing made of *pages*, each a first page of its own (see
    :meth:`PublicJobs._fetch`): their jobs once each, in the listing's order, *page_size* at
    most; another page may follow when one of them may have more."""
    found = {job.id: job for kept, _, _ in pages for job in kept}
    ordered = _in_order(found.values(), order_by)
    more = any(more for _, _, more in pages) or len(ordered) > page_size
    jobs = tuple(ordered[:page_size])
    return JobPage(jobs=jobs, total_count=len(jobs) + (1 if more else 0))


def _in_order(jobs: Iterable[Job], order_by: str | None) -> list[Job]:
    """*jobs* in the order *order_by* names (None: newest created first), ties by job id."""
    field, method = _order(order_by)
    key = attrgetter("updated_at" if field is w.OrderField.UPDATED_AT else "created_at")
    ascending = method is w.OrderMethod.ASC
    return sorted(jobs, key=lambda job: (key(job), job.id), reverse=not ascending)


def _job_page(row_offset: int, kept: tuple[Job, ...], rows: int, more: bool) -> JobPage:
    """A page of the public API as a :class:`JobPage`: *total_count* tells whether more follow."""
    return JobPage(jobs=kept, total_count=row_offset + rows + (1 if more else 0))


def _same(job: Job) -> Job:
    return job


def _instant(name: str, when: datetime) -> str:
    checked = _iso(name, when)
    assert checked is not None
    return checked.isoformat()


def _camel(field: str) -> str:
    head, _, tail = field.partition("_")
    return head + tail[:1].upper() + tail[1:]


@attrs.frozen
class PublicConnections(Connections):
    """Connections on the public API: create, get, find, list, update, ensure, delete, sync
    and reset (``POST /jobs``, started at most once)."""

    _api: PublicCall = attrs.field(kw_only=True)
    _jobs: PublicJobs = attrs.field(kw_only=True)
    # Its pages come without an order (see _pages): another client's delete shifts them.
    _listing_may_skip: ClassVar[bool] = True
    # Some 2025 releases (about 1.5 on) rebuild the catalog on a PATCH that names no stream,
    # every stream full refresh overwrite (README, "Public API quirks").
    _update_rebuilds_catalog: ClassVar[bool] = True
    _cron_drops_utc: ClassVar[bool] = True

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
        """Create a connection (``POST /connections``); schedules are manual or cron.
        Without *sync_catalog* the server syncs every stream it discovers."""
        wanted = _settings(schedule, settings, fields, drop_utc=self._cron_drops_utc)
        if wanted.status is None:
            wanted = attrs.evolve(wanted, status=ConnectionStatus.ACTIVE)
        sent = _connection_fields(name, wanted)
        body = pw.ConnectionCreateRequest(
            source_id=source_id, destination_id=destination_id, **sent
        )
        created = _write(self._api, "POST", "connections", body, pw.ConnectionResponse)
        note = _connection_note(name, source_id, destination_id)
        return connection_of(await sent_once(created, **note))

    async def _workspace_of(self, source_id: str) -> str:
        source = await PublicSources(self._request, api=self._api).get(source_id=source_id)
        return source.workspace_id

    async def get(self, *, connection_id: str) -> Connection:
        """The connection *connection_id*."""
        path = _path("connections", "connection_id", connection_id)
        read = _read(self._api, path, pw.ConnectionResponse)
        return connection_of(await named("connection", connection_id, read))

    async def list(
        self, *, workspace_id: str, catalogs: bool | Collection[str] = True
    ) -> AsyncIterator[Connection]:
        """Every connection of *workspace_id* that is not deleted, over all pages; without
        *catalogs*, ``sync_catalog`` is left empty, and given names, it is filled only for the
        connections so named."""
        query = [(pw.WORKSPACE_IDS, uuid_id("workspace_id", workspace_id))]
        kept = kept_catalogs(catalogs)
        async for found in _pages(
            self._api, "connections", pw.ConnectionsResponse, query, _CONNECTION_ID
        ):
            if kept is None or found.name in kept:
                yield connection_of(found)
            else:
                yield connection_of(attrs.evolve(found, configurations=_NONE))

    async def update(
        self,
        *,
        connection_id: str,
        name: str | None = None,
        schedule: Schedule | None = None,
        settings: ConnectionSettings | None = None,
        **fields: Unpack[ConnectionSettingsArgs],
    ) -> Connection:
        """Change what is given and nothing else (``PATCH /connections/{id}``)."""
        sent = _connection_fields(
            name, _settings(schedule, settings, fields, drop_utc=self._cron_drops_utc)
        )
        body = pw.ConnectionPatchRequest(**sent)
        path = _path("connections", "connection_id", connection_id)
        written = _write(self._api, "PATCH", path, body, pw.ConnectionResponse)
        patched = await written_once(
            named("connection", connection_id, written),
            what=f"the connection {connection_id}",
            read=f"connections.get(connection_id='{connection_id}')",
        )
        return connection_of(patched)

    async def delete(self, *, connection_id: str) -> None:
        """Delete the connection (``DELETE /connections/{id}``; it becomes ``deprecated``)."""
        path = _path("connections", "connection_id", connection_id)
        await delete_through(
            named("connection", connection_id, self._api("DELETE", path, idempotent=True)),
            what=f"the connection {connection_id}",
            read=f"connections.get(connection_id='{connection_id}')",
        )

    async def refresh(
        self,
        *,
        connection_id: str,
        mode: RefreshMode | str = RefreshMode.TRUNCATE,
        streams: Iterable[str | StreamDescriptor] | None = None,
    ) -> Job | None:
        """Not on the public API: its ``POST /jobs`` refuses a refresh with a 422 "Refreshes
        are not supported in the public API" (``JobsController.publicCreateJob``)."""
        unsupported(
            "connections/refresh",
            "refresh with the Config API (api='config'; --api config) or in the Airbyte UI",
            why="is refused by the public API (POST /jobs: 'Refreshes are not supported in "
            "the public API') and exists only on the Config API",
        )

    async def sync_progress(self, *, connection_id: str) -> SyncProgress:
        """Not on the public API."""
        unsupported("connections/sync_progress", "poll client.jobs.get() for rows and bytes")

    async def reset(
        self,
        *,
        connection_id: str,
        streams: Iterable[str | StreamDescriptor] | None = None,
    ) -> Job:
        """A reset of every stream (``POST /jobs``, ``jobType`` reset): the public API resets
        no single streams."""
        if streams is not None:
            unsupported(
                "connections/reset/stream (a reset of some streams)",
                "reset every stream (streams=None), or use the Config API (api='config'; "
                "--api config)",
            )
        return await super().reset(connection_id=connection_id)

    async def _trigger(
        self,
        route: str,
        connection_id: str,
        job_type: JobType,
        *,
        body: Mapping[str, Any] | None = None,
    ) -> Job:
        jobs = self._jobs

        async def send(
            route: str,
            body: Mapping[str, Any] | None = None,
            *,
            idempotent: bool,
            method: str = "POST",
            object_hook: ObjectHook | None = None,
        ) -> Job:
            return await jobs.trigger(connection_id=connection_id, job_type=job_type)

        # Named in its logs as sent (the debug lines' "POST jobs"), not as the Config API's
        # *route*, which this client never calls.
        return await trigger_exactly_once(
            send,
            jobs,
            self.clock,
            route="POST jobs",
            connection_id=connection_id,
            job_type=job_type,
            read=lambda job: job,
            explain=self._refused_if_inactive if job_type is JobType.SYNC else None,
            known=self.known_jobs,
            guard_overlap=True,
        )
