"""
Pipelines declared in a TOML file, made so on a server: :func:`load` the file, then
:func:`plan` or :func:`apply` it (``airbyte-async apply FILE [--dry-run]`` from a shell).

::

    workspace = "5ae6b09b-fdec-41af-aaf7-7d94cfc33ef6"   # optional

    [[sources]]
    name = "shop-postgres"
    definition = "Postgres"                  # a definition's name, or its id
    [sources.configuration]                  # the connector's configuration, as is
    host = "db.internal"
    port = 5432
    database = "shop"
    username = "reader"
    password = { env = "PG_PASSWORD" }      # read from the environment

    [[destinations]]
    name = "lake"
    definition = "S3"
    [destinations.configuration]
    s3_bucket_name = "lake"
    s3_bucket_path = "shop"
    s3_bucket_region = "us-east-1"
    access_key_id = { env = "S3_KEY_ID" }
    secret_access_key = { env = "S3_SECRET" }
    format = { format_type = "Parquet" }

    [[connections]]
    name = "shop-to-lake"
    source = "shop-postgres"                 # names of the sources and destinations above
    destination = "lake"
    schedule = { every = 6, unit = "hours" } # or { cron = "0 0 3 * * ?", timezone = "UTC" }
    status = "active"                        # the default; or "inactive"

    [[connections.streams]]
    name = "customers"
    sync_mode = "incremental"
    cursor_field = "updated_at"
    destination_sync_mode = "append"

    [[connections.streams]]
    name = "orders"
    sync_mode = "incremental"
    cursor_field = "updated_at"
    destination_sync_mode = "append_dedup"
    primary_key = "id"

Rules:

- ``schedule`` is ``"manual"`` (the default), ``{ every = N, unit = "hours" }`` (minutes,
  hours, days, weeks or months) or ``{ cron = "...", timezone = "UTC" }`` (Quartz syntax; the
  time zone defaults to UTC).
- Objects are found by name (connections by name, source and destination) in the workspace
  given as *workspace_id* (``--workspace``), else in the file's ``workspace``, else in the
  server's default workspace. What is missing is created, what differs is updated, what
  matches is left alone. Nothing is ever deleted.
- A table of exactly one key ``env`` anywhere in a configuration stands for the value of that
  environment variable; a missing variable is an error naming it. Values from the environment
  are never shown, nor are values under secret-looking keys or that the server masks.
- Streams: ``sync_mode`` is ``full_refresh`` or ``incremental``; ``destination_sync_mode`` one
  of :class:`~airbyte_async.models.DestinationSyncMode`; ``cursor_field`` a field name or a
  path (``["data", "updated_at"]``); ``primary_key`` a field name, a list of field names (a
  composite key) or a list of paths. What is left out keeps the discovered default; streams not
  listed are not synced. Streams are checked against the source's discovered catalog.
- Optional connection keys: ``namespace_definition`` (``source``, ``destination``,
  ``customformat``), ``namespace_format``, ``prefix``, ``non_breaking_changes_preference``.

Every problem in a file is reported at once, each pointing at its key
(``connections[1].streams[0].sync_mode: unknown value 'incrementl' ...``), as a
:class:`SpecError`.
"""

from __future__ import annotations

import difflib
import enum
import json
import os
import re
import tomllib
from collections.abc import Awaitable, Callable, Iterable, Mapping, Sequence
from typing import TYPE_CHECKING, Any, TypeVar

import attrs

from ._checks import is_uuid
from ._secrets import SECRET_MASK, is_secret_key, redacted_repr
from .catalog import StreamSelection, select_streams
from .errors import (
    AirbyteError,
    InvalidArgumentError,
    LookupFailedError,
    NotFoundError,
    SpecError,
)
from .models import (
    BasicSchedule,
    Catalog,
    ConnectionStatus,
    CronSchedule,
    Destination,
    DestinationDefinition,
    DestinationSyncMode,
    EnsureAction,
    Ensured,
    JsonObject,
    NamespaceDefinition,
    NonBreakingChangesPreference,
    ScheduleData,
    ScheduleType,
    Source,
    SourceDefinition,
    SyncMode,
    TimeUnit,
)
from .resources._diff import (
    ABSENT,
    ConnectionWanted,
    Difference,
    actor_differences,
    connection_differences,
    only_match,
)

if TYPE_CHECKING:
    from ._client import AirbyteClient

__all__ = [
    "ActorSpec",
    "Change",
    "ConnectionSpec",
    "Plan",
    "PlanItem",
    "Spec",
    "SpecError",
    "StreamSpec",
    "apply",
    "load",
    "loads",
    "plan",
]

E = TypeVar("E", bound=enum.Enum)
_A = TypeVar("_A", Source, Destination)

_SHOWN = 60


# -- the file, read -------------------------------------------------------------------------


@attrs.frozen(kw_only=True)
class ActorSpec:
    """
    A source or destination as the file declares it.

    *configuration* has its environment references resolved; *secret_paths* lists where those
    values went (``"configuration.password"``), so that they are never shown.
    """

    name: str
    definition: str
    configuration: JsonObject = attrs.field(repr=redacted_repr, hash=False)
    secret_paths: frozenset[str] = attrs.field(default=frozenset(), repr=False)


@attrs.frozen(kw_only=True)
class StreamSpec:
    """One stream of a connection; what is None keeps the discovered default."""

    name: str
    sync_mode: SyncMode | None = None
    destination_sync_mode: DestinationSyncMode | None = None
    cursor_field: tuple[str, ...] | None = None
    primary_key: tuple[tuple[str, ...], ...] | None = None

    def selection(self) -> StreamSelection:
        """This stream as :func:`~airbyte_async.catalog.select_streams` takes it."""
        return StreamSelection(
            self.name,
            sync_mode=self.sync_mode,
            destination_sync_mode=self.destination_sync_mode,
            cursor_field=self.cursor_field,
            primary_key=self.primary_key,
        )


@attrs.frozen(kw_only=True)
class ConnectionSpec:
    """A connection as the file declares it; *source* and *destination* are names."""

    name: str
    source: str
    destination: str
    streams: tuple[StreamSpec, ...]
    schedule_type: ScheduleType = ScheduleType.MANUAL
    schedule_data: ScheduleData | None = None
    status: ConnectionStatus = ConnectionStatus.ACTIVE
    namespace_definition: NamespaceDefinition | None = None
    namespace_format: str | None = None
    prefix: str | None = None
    non_breaking_changes_preference: NonBreakingChangesPreference | None = None


@attrs.frozen(kw_only=True)
class Spec:
    """A pipeline file, checked and with its environment references resolved."""

    sources: tuple[ActorSpec, ...] = ()
    destinations: tuple[ActorSpec, ...] = ()
    connections: tuple[ConnectionSpec, ...] = ()
    workspace_id: str | None = None
    origin: str = ""


def load(path: str | os.PathLike[str], *, env: Mapping[str, str] | None = None) -> Spec:
    """
    Read and check the pipeline file at *path*; environment references are resolved from
    *env* (default ``os.environ``). Raises :class:`SpecError` listing every problem.
    """
    origin = os.fspath(path)
    try:
        with open(path, "rb") as file:
            text = file.read().decode()
    except (OSError, UnicodeDecodeError) as e:
        reason = e.strerror if isinstance(e, OSError) and e.strerror else str(e)
        raise SpecError([f"cannot read the file: {reason}"], origin=origin) from None
    return loads(text, env=env, origin=origin)


def loads(text: str, *, env: Mapping[str, str] | None = None, origin: str = "") -> Spec:
    """:func:`load` for a string; *origin* names it in messages."""
    try:
        document = tomllib.loads(text)
    except tomllib.TOMLDecodeError as e:
        raise SpecError([f"invalid TOML: {e}"], origin=origin) from None
    reader = _Reader(os.environ if env is None else env)
    spec = reader.document(document, origin)
    if reader.problems:
        raise SpecError(reader.problems, origin=origin)
    return spec


class _Reader:
    """Checks a decoded TOML document, collecting every problem with the path of its key."""

    def __init__(self, env: Mapping[str, str]) -> None:
        self.env = env
        self.problems: list[str] = []
        #: Names declared per section, also those of entries with problems of their own, so
        #: that a connection naming one is not reported as well.
        self.declared: dict[str, list[str]] = {"sources": [], "destinations": []}

    def problem(self, path: str, message: str) -> None:
        self.problems.append(f"{path}: {message}")

    def document(self, doc: dict[str, Any], origin: str) -> Spec:
        self.keys(
            doc, "", required=(), optional=("workspace", "sources", "destinations", "connections")
        )
        workspace = self.string(doc, "workspace", "")
        if workspace is not None and not is_uuid(workspace):
            self.problem("workspace", f"not a workspace id (a UUID): {workspace!r}")
        sources = self.actors(doc, "sources")
        destinations = self.actors(doc, "destinations")
        connections = tuple(
            self.connection(table, f"connections[{i}]")
            for i, table in enumerate(self.tables(doc, "connections"))
        )
        self.references(sources, destinations, connections)
        return Spec(
            sources=sources,
            destinations=destinations,
            connections=tuple(c for c in connections if c is not None),
            workspace_id=workspace,
            origin=origin,
        )

    # -- building blocks

    def keys(
        self,
        table: Mapping[str, Any],
        path: str,
        *,
        required: Sequence[str],
        optional: Sequence[str],
    ) -> None:
        dot = f"{path}." if path else ""
        for key in required:
            if key not in table:
                self.problem(f"{dot}{key}", "missing")
        allowed = {*required, *optional}
        for key in table:
            if key not in allowed:
                close = difflib.get_close_matches(key, allowed, n=1)
                hint = (
                    f"did you mean {close[0]!r}?"
                    if close
                    else f"expected: {', '.join(sorted(allowed))}"
                )
                self.problem(f"{dot}{key}", f"unknown key ({hint})")

    def tables(self, doc: Mapping[str, Any], key: str) -> list[dict[str, Any]]:
        value = doc.get(key, [])
        if not isinstance(value, list) or not all(isinstance(t, dict) for t in value):
            self.problem(key, f"must be an array of tables ([[{key}]])")
            return []
        return value

    def string(self, table: Mapping[str, Any], key: str, path: str) -> str | None:
        """The non-empty string at *key*, None when absent (``keys`` reports it if required)."""
        value = table.get(key)
        where = f"{path}.{key}" if path else key
        if value is None:
            return None
        if not isinstance(value, str) or not value.strip():
            self.problem(where, f"must be a non-empty string, got {_kind(value)}")
            return None
        return value

    def choice(self, table: Mapping[str, Any], key: str, path: str, cls: type[E]) -> E | None:
        value = table.get(key)
        if value is None:
            return None
        known = [str(m.value) for m in cls]
        if not isinstance(value, str) or value not in known:
            shown = repr(value) if isinstance(value, str) else _kind(value)
            self.problem(
                f"{path}.{key}", f"unknown value {shown} (expected one of: {', '.join(known)})"
            )
            return None
        return cls(value)

    # -- sources and destinations

    def actors(self, doc: Mapping[str, Any], key: str) -> tuple[ActorSpec, ...]:
        found: list[ActorSpec] = []
        seen: set[str] = set()
        for i, table in enumerate(self.tables(doc, key)):
            path = f"{key}[{i}]"
            self.keys(table, path, required=("name", "definition", "configuration"), optional=())
            name = self.string(table, "name", path)
            definition = self.string(table, "definition", path)
            configuration = table.get("configuration")
            if configuration is not None and not isinstance(configuration, dict):
                self.problem(
                    f"{path}.configuration", f"must be a table, got {_kind(configuration)}"
                )
                configuration = None
            if name is not None and name in seen:
                self.problem(f"{path}.name", f"{name!r} is declared twice in {key}")
            if name is not None:
                seen.add(name)
                self.declared[key].append(name)
            secrets: set[str] = set()
            resolved = self.resolve(
                configuration or {}, f"{path}.configuration", "configuration", secrets
            )
            if name is not None and definition is not None and configuration is not None:
                found.append(
                    ActorSpec(
                        name=name,
                        definition=definition,
                        configuration=resolved,
                        secret_paths=frozenset(secrets),
                    )
                )
        return tuple(found)

    def resolve(self, value: Any, path: str, inner: str, secrets: set[str]) -> Any:
        """*value* with every ``{ env = "NAME" }`` replaced; *inner* is the path for display."""
        if isinstance(value, dict):
            if list(value) == ["env"] and isinstance(value["env"], str):
                name = value["env"]
                if name not in self.env:
                    self.problem(path, f"environment variable {name} is not set")
                    return None
                secrets.add(inner)
                return self.env[name]
            return {
                k: self.resolve(v, f"{path}.{k}", f"{inner}.{k}", secrets) for k, v in value.items()
            }
        if isinstance(value, list):
            return [
                self.resolve(v, f"{path}[{i}]", f"{inner}[{i}]", secrets)
                for i, v in enumerate(value)
            ]
        if isinstance(value, str | int | float | bool):
            return value
        self.problem(path, f"{_kind(value)} is not a JSON value")
        return None

    # -- connections

    def connection(self, table: dict[str, Any], path: str) -> ConnectionSpec | None:
        self.keys(
            table,
            path,
            required=("name", "source", "destination", "streams"),
            optional=(
                "schedule",
                "status",
                "namespace_definition",
                "namespace_format",
                "prefix",
                "non_breaking_changes_preference",
            ),
        )
        before = len(self.problems)
        name = self.string(table, "name", path)
        source = self.string(table, "source", path)
        destination = self.string(table, "destination", path)
        streams = self.streams(table.get("streams"), f"{path}.streams")
        schedule_type, schedule_data = self.schedule(table.get("schedule"), f"{path}.schedule")
        status = self.choice(table, "status", path, ConnectionStatus)
        if status is not None and status not in (
            ConnectionStatus.ACTIVE,
            ConnectionStatus.INACTIVE,
        ):
            self.problem(f"{path}.status", f"must be 'active' or 'inactive', not {status.value!r}")
        namespace = self.choice(table, "namespace_definition", path, NamespaceDefinition)
        preference = self.choice(
            table, "non_breaking_changes_preference", path, NonBreakingChangesPreference
        )
        namespace_format = self.string(table, "namespace_format", path)
        prefix = table.get("prefix")
        if prefix is not None and not isinstance(prefix, str):
            self.problem(f"{path}.prefix", f"must be a string, got {_kind(prefix)}")
        if len(self.problems) > before or name is None or source is None or destination is None:
            return None
        return ConnectionSpec(
            name=name,
            source=source,
            destination=destination,
            streams=streams,
            schedule_type=schedule_type,
            schedule_data=schedule_data,
            status=status or ConnectionStatus.ACTIVE,
            namespace_definition=namespace,
            namespace_format=namespace_format,
            prefix=prefix,
            non_breaking_changes_preference=preference,
        )

    def streams(self, value: Any, path: str) -> tuple[StreamSpec, ...]:
        if value is None:
            return ()
        if not isinstance(value, list) or not value or not all(isinstance(t, dict) for t in value):
            self.problem(path, "must be a non-empty array of tables, one per stream")
            return ()
        found: list[StreamSpec] = []
        seen: set[str] = set()
        for i, table in enumerate(value):
            where = f"{path}[{i}]"
            self.keys(
                table,
                where,
                required=("name",),
                optional=("sync_mode", "destination_sync_mode", "cursor_field", "primary_key"),
            )
            name = self.string(table, "name", where)
            if name is not None and name in seen:
                self.problem(f"{where}.name", f"stream {name!r} is listed twice")
            if name is not None:
                seen.add(name)
            spec = StreamSpec(
                name=name or "",
                sync_mode=self.choice(table, "sync_mode", where, SyncMode),
                destination_sync_mode=self.choice(
                    table, "destination_sync_mode", where, DestinationSyncMode
                ),
                cursor_field=self.cursor(table.get("cursor_field"), f"{where}.cursor_field"),
                primary_key=self.primary_key(table.get("primary_key"), f"{where}.primary_key"),
            )
            found.append(spec)
        return tuple(found)

    def cursor(self, value: Any, path: str) -> tuple[str, ...] | None:
        if value is None:
            return None
        if isinstance(value, str) and value:
            return (value,)
        if isinstance(value, list) and value and all(isinstance(p, str) and p for p in value):
            return tuple(value)
        self.problem(path, "must be a field name or a path (an array of field names)")
        return None

    def primary_key(self, value: Any, path: str) -> tuple[tuple[str, ...], ...] | None:
        if value is None:
            return None
        parts = [value] if isinstance(value, str) else value
        key: list[tuple[str, ...]] = []
        if isinstance(parts, list) and parts:
            for part in parts:
                if isinstance(part, str) and part:
                    key.append((part,))
                elif (
                    isinstance(part, list) and part and all(isinstance(p, str) and p for p in part)
                ):
                    key.append(tuple(part))
                else:
                    break
            else:
                return tuple(key)
        self.problem(path, "must be a field name, a list of field names, or a list of paths")
        return None

    def schedule(self, value: Any, path: str) -> tuple[ScheduleType, ScheduleData | None]:
        manual = (ScheduleType.MANUAL, None)
        if value is None or value == "manual":
            return manual
        if isinstance(value, dict) and "every" in value:
            self.keys(value, path, required=("every", "unit"), optional=())
            every, unit = value.get("every"), value.get("unit")
            units = [str(u.value) for u in TimeUnit]
            if isinstance(every, bool) or not isinstance(every, int) or every < 1:
                self.problem(f"{path}.every", f"must be a whole number above 0, got {every!r}")
            elif unit not in units:
                shown = repr(unit) if isinstance(unit, str) else _kind(unit)
                self.problem(
                    f"{path}.unit", f"unknown value {shown} (expected one of: {', '.join(units)})"
                )
            else:
                basic = BasicSchedule(time_unit=TimeUnit(unit), units=every)
                return ScheduleType.BASIC, ScheduleData(basic_schedule=basic)
            return manual
        if isinstance(value, dict) and "cron" in value:
            self.keys(value, path, required=("cron",), optional=("timezone",))
            cron = self.string(value, "cron", path)
            timezone = self.string(value, "timezone", path) or "UTC"
            if cron is None:
                return manual
            data = ScheduleData(cron=CronSchedule(cron_expression=cron, cron_time_zone=timezone))
            return ScheduleType.CRON, data
        self.problem(
            path,
            'must be "manual", { every = N, unit = "hours" } or { cron = "...", timezone = "UTC" }',
        )
        return manual

    def references(
        self,
        sources: Sequence[ActorSpec],
        destinations: Sequence[ActorSpec],
        connections: Sequence[ConnectionSpec | None],
    ) -> None:
        source_names = self.declared["sources"]
        destination_names = self.declared["destinations"]
        seen: set[str] = set()
        for i, connection in enumerate(connections):
            if connection is None:
                continue
            path = f"connections[{i}]"
            if connection.name in seen:
                self.problem(
                    f"{path}.name", f"{connection.name!r} is declared twice in connections"
                )
            seen.add(connection.name)
            for key, name, names in (
                ("source", connection.source, source_names),
                ("destination", connection.destination, destination_names),
            ):
                if name not in names:
                    listed = ", ".join(names) or "none"
                    self.problem(
                        f"{path}.{key}", f"no {key} named {name!r} in this file ({key}s: {listed})"
                    )


def _kind(value: Any) -> str:
    names = {str: "a string", bool: "a boolean", int: "an integer", float: "a number"}
    names |= {dict: "a table", list: "an array"}
    return names.get(type(value), type(value).__name__)


# -- the plan -------------------------------------------------------------------------------


@attrs.frozen(kw_only=True)
class Change:
    """
    One difference in a plan: at *path*, *before* on the server and *after* as declared, both
    as display text with secrets masked (None after the fact, when only the path is known).
    """

    path: str
    before: str | None = None
    after: str | None = None

    def __str__(self) -> str:
        if self.before is None or self.after is None:
            return self.path
        return f"{self.path}: {self.before} -> {self.after}"


@attrs.frozen(kw_only=True)
class PlanItem:
    """
    What :func:`apply` does, or did, to one object: *kind* is ``source``, ``destination`` or
    ``connection``; *id* is the object's id when it exists (always, once applied); *note* says
    what the plan cannot know yet.
    """

    kind: str
    name: str
    action: EnsureAction
    detail: str = ""
    id: str | None = None
    changes: tuple[Change, ...] = ()
    note: str = ""

    @property
    def changed(self) -> bool:
        """True when the object is (or was) created or updated."""
        return self.action is not EnsureAction.UNCHANGED


@attrs.frozen(kw_only=True)
class Plan:
    """
    What :func:`apply` will do in workspace *workspace_id*, or, when *applied*, what it did.
    """

    workspace_id: str
    items: tuple[PlanItem, ...] = ()
    applied: bool = False

    def count(self, action: EnsureAction) -> int:
        """How many objects *action* applies to."""
        return sum(1 for item in self.items if item.action is action)

    @property
    def changes_anything(self) -> bool:
        """False when every object is already as declared."""
        return any(item.changed for item in self.items)

    def summary(self) -> str:
        """``"1 to create, 2 to update, 3 unchanged"``, or ``"1 created, ..."`` once applied."""
        created, updated = ("created", "updated") if self.applied else ("to create", "to update")
        return (
            f"{self.count(EnsureAction.CREATED)} {created}, "
            f"{self.count(EnsureAction.UPDATED)} {updated}, "
            f"{self.count(EnsureAction.UNCHANGED)} unchanged"
        )

    def render(self) -> str:
        """The plan as readable text, one line per object and one per change, secrets masked."""
        marks = {EnsureAction.CREATED: "+", EnsureAction.UPDATED: "~", EnsureAction.UNCHANGED: "="}
        verbs = _DONE if self.applied else _TO_DO
        lines = [f"workspace {self.workspace_id}"]
        for item in self.items:
            title = f"{item.name} ({item.detail})" if item.detail else item.name
            verb = verbs[item.action]
            lines.append(f"  {marks[item.action]} {verb:<10} {item.kind:<12} {title}")
            lines.extend(f"      {change}" for change in item.changes)
            if item.note:
                lines.append(f"      ({item.note})")
        lines.append(f"{'applied' if self.applied else 'plan'}: {self.summary()}")
        return "\n".join(lines)


_TO_DO = {
    EnsureAction.CREATED: "create",
    EnsureAction.UPDATED: "update",
    EnsureAction.UNCHANGED: "unchanged",
}
_DONE = {
    EnsureAction.CREATED: "created",
    EnsureAction.UPDATED: "updated",
    EnsureAction.UNCHANGED: "unchanged",
}


def _segments(path: str) -> list[str]:
    return [p for p in re.split(r"[.\[\]]", path) if p and not p.isdigit()]


def _secret(path: str, secret_paths: frozenset[str]) -> bool:
    return path in secret_paths or any(is_secret_key(s) for s in _segments(path))


def _masked_tree(value: Any, path: str, secret_paths: frozenset[str]) -> Any:
    if _secret(path, secret_paths):
        return SECRET_MASK
    if isinstance(value, dict):
        return {k: _masked_tree(v, f"{path}.{k}", secret_paths) for k, v in value.items()}
    if isinstance(value, list):
        return [_masked_tree(v, f"{path}[{i}]", secret_paths) for i, v in enumerate(value)]
    return value


def _show(value: Any, path: str, secret_paths: frozenset[str]) -> str:
    """A value for display: secrets masked, long values cut."""
    if value is ABSENT:
        return "(absent)"
    if _secret(path, secret_paths):
        return SECRET_MASK
    if isinstance(value, enum.Enum):
        value = value.value
    if isinstance(value, tuple):
        value = json.loads(json.dumps(value))
    text = json.dumps(_masked_tree(value, path, secret_paths))
    return text if len(text) <= _SHOWN else text[: _SHOWN - 3] + "..."


def _changes(differences: Iterable[Difference], secret_paths: frozenset[str]) -> tuple[Change, ...]:
    return tuple(
        Change(
            path=d.path,
            before=_show(d.before, d.path, secret_paths),
            after=_show(d.after, d.path, secret_paths),
        )
        for d in differences
    )


# -- planning and applying ------------------------------------------------------------------


async def plan(client: AirbyteClient, spec: Spec, *, workspace_id: str | None = None) -> Plan:
    """What :func:`apply` would do, without changing anything. Raises :class:`SpecError`."""
    return await apply(client, spec, workspace_id=workspace_id, dry_run=True)


async def apply(
    client: AirbyteClient,
    spec: Spec,
    *,
    workspace_id: str | None = None,
    dry_run: bool = False,
    on_plan: Callable[[Plan], None] | None = None,
) -> Plan:
    """
    Make the server match *spec*: plan first, hand the plan to *on_plan*, then (unless
    *dry_run*) ensure every source, destination and connection in that order, and return
    what was done. A second run finds everything unchanged.

    *workspace_id* overrides the file's ``workspace``; without either, the server's default
    workspace is used. Raises :class:`SpecError` (before changing anything) for definitions,
    names or streams the server cannot resolve, and the :mod:`~airbyte_async.errors` tree for
    what the server refuses; objects ensured before such an error stay as they are, and running
    again carries on from there.
    """
    run = _Run(client, spec)
    await run.start(workspace_id)
    planned = await run.plan()
    if on_plan is not None:
        on_plan(planned)
    if dry_run:
        return planned
    if not planned.changes_anything:
        return attrs.evolve(planned, applied=True)
    return await run.execute()


@attrs.define
class _Run:
    """One planning (and possibly applying) of a spec, with what it learnt of the server."""

    client: AirbyteClient
    spec: Spec
    workspace_id: str = ""
    problems: list[str] = attrs.field(factory=list)
    source_definitions: dict[str, SourceDefinition] = attrs.field(factory=dict)
    destination_definitions: dict[str, DestinationDefinition] = attrs.field(factory=dict)
    sources: dict[str, Source | None] = attrs.field(factory=dict)
    destinations: dict[str, Destination | None] = attrs.field(factory=dict)
    #: Discovered catalogs by source id, or why discovery failed.
    catalogs: dict[str, Catalog | str] = attrs.field(factory=dict)
    #: Names of the sources the plan updates.
    updating: set[str] = attrs.field(factory=set)

    def fail_if_any(self) -> None:
        if self.problems:
            raise SpecError(self.problems, origin=self.spec.origin)

    async def start(self, workspace_id: str | None) -> None:
        """Pick the workspace, resolve the definitions and find the existing objects."""
        chosen = workspace_id or self.spec.workspace_id
        if chosen is None:
            chosen = (await self.client.workspaces.default()).workspace_id
        self.workspace_id = chosen
        for i, actor in enumerate(self.spec.sources):
            found = await self._definition("source", actor.definition, f"sources[{i}].definition")
            if isinstance(found, SourceDefinition):
                self.source_definitions[actor.name] = found
        for i, actor in enumerate(self.spec.destinations):
            where = f"destinations[{i}].definition"
            found = await self._definition("destination", actor.definition, where)
            if isinstance(found, DestinationDefinition):
                self.destination_definitions[actor.name] = found
        listed_sources = [s async for s in self.client.sources.list(workspace_id=chosen)]
        listed_destinations = [d async for d in self.client.destinations.list(workspace_id=chosen)]
        for i, actor in enumerate(self.spec.sources):
            self.sources[actor.name] = self._existing(
                "source", actor, i, listed_sources, self.source_definitions, lambda s: s.source_id
            )
        for i, actor in enumerate(self.spec.destinations):
            self.destinations[actor.name] = self._existing(
                "destination",
                actor,
                i,
                listed_destinations,
                self.destination_definitions,
                lambda d: d.destination_id,
            )
        self.fail_if_any()

    async def _definition(
        self, kind: str, wanted: str, where: str
    ) -> SourceDefinition | DestinationDefinition | None:
        definitions = (
            self.client.source_definitions
            if kind == "source"
            else self.client.destination_definitions
        )
        try:
            if is_uuid(wanted):
                return await definitions.get(definition_id=wanted)
            return await definitions.find(wanted, workspace_id=self.workspace_id)
        except NotFoundError:
            self.problems.append(f"{where}: no {kind} definition has the id {wanted}")
        except LookupFailedError as e:
            self.problems.append(f"{where}: {e}")
        return None

    def _existing(
        self,
        kind: str,
        actor: ActorSpec,
        index: int,
        listed: Sequence[Any],
        definitions: Mapping[str, SourceDefinition | DestinationDefinition],
        id_of: Callable[[Any], str],
    ) -> Any:
        where = f"{kind}s[{index}]"
        matches = [a for a in listed if a.name == actor.name]
        try:
            current = only_match(
                matches,
                actor.name,
                kind,
                f"workspace {self.workspace_id}",
                [id_of(a) for a in matches],
            )
        except AirbyteError as e:
            self.problems.append(f"{where}.name: {e}")
            return None
        definition = definitions.get(actor.name)
        if (
            current is not None
            and definition is not None
            and current.definition_id != definition.definition_id
        ):
            self.problems.append(
                f"{where}.definition: the {kind} {actor.name!r} on the server uses "
                f"{current.definition_name or current.definition_id}, not {definition.name}; "
                "its definition cannot change: delete it or choose another name"
            )
        return current

    async def plan(self) -> Plan:
        """Decide, for every object, whether it is to be created, updated or left alone."""
        items: list[PlanItem] = []
        for actor in self.spec.sources:
            source = self.sources[actor.name]
            definition = self.source_definitions[actor.name]
            ident = source.source_id if source else None
            items.append(_actor_item("source", actor, definition.name, source, ident))
            if items[-1].action is EnsureAction.UPDATED:
                self.updating.add(actor.name)
        for actor in self.spec.destinations:
            destination = self.destinations[actor.name]
            definition_name = self.destination_definitions[actor.name].name
            ident = destination.destination_id if destination else None
            items.append(_actor_item("destination", actor, definition_name, destination, ident))
        listed = []
        if self.spec.connections:
            listed = [c async for c in self.client.connections.list(workspace_id=self.workspace_id)]
        for i, connection in enumerate(self.spec.connections):
            items.append(await self._connection_item(i, connection, listed))
        self.fail_if_any()
        return Plan(workspace_id=self.workspace_id, items=tuple(items))

    async def _connection_item(
        self, index: int, connection: ConnectionSpec, listed: Sequence[Any]
    ) -> PlanItem:
        item = PlanItem(
            kind="connection",
            name=connection.name,
            action=EnsureAction.CREATED,
            detail=f"{connection.source} -> {connection.destination}",
        )
        source = self.sources[connection.source]
        destination = self.destinations[connection.destination]
        if source is None or destination is None:
            return item
        wanted, problems = await self._wanted(index, connection, source.source_id, fresh=False)
        # A source about to be updated may only then discover what the file asks for.
        deferred = bool(problems) and connection.source in self.updating
        if not deferred:
            self.problems.extend(problems)
        matches = [
            c
            for c in listed
            if c.name == connection.name
            and c.source_id == source.source_id
            and c.destination_id == destination.destination_id
        ]
        try:
            current = only_match(
                matches,
                connection.name,
                "connection",
                f"workspace {self.workspace_id}",
                [c.connection_id for c in matches],
            )
        except AirbyteError as e:
            self.problems.append(f"connections[{index}].name: {e}")
            return item
        if current is None:
            return item
        item = attrs.evolve(item, id=current.connection_id)
        if wanted is None:
            note = "its streams are checked once its source is updated" if deferred else ""
            return attrs.evolve(item, action=EnsureAction.UPDATED, note=note)
        differences = connection_differences(current, wanted)
        return attrs.evolve(
            item,
            action=EnsureAction.UPDATED if differences else EnsureAction.UNCHANGED,
            changes=_changes(differences, frozenset()),
        )

    async def _wanted(
        self, index: int, connection: ConnectionSpec, source_id: str, *, fresh: bool
    ) -> tuple[ConnectionWanted | None, list[str]]:
        """
        The connection's settings, its streams selected from the source's catalog; or None
        and the problems that prevent it.
        """
        catalog = await self._catalog(source_id, fresh=fresh)
        if isinstance(catalog, str):
            where = f"connections[{index}].source"
            return None, [f"{where}: discovering the streams of {connection.source!r} {catalog}"]
        selections = [s.selection() for s in connection.streams]
        problems = []
        for i, selection in enumerate(selections):
            try:
                select_streams(catalog, selection)
            except InvalidArgumentError as e:
                problems.append(f"connections[{index}].streams[{i}]: {e}")
        if problems:
            return None, problems
        wanted = ConnectionWanted(
            sync_catalog=select_streams(catalog, *selections),
            schedule_type=connection.schedule_type,
            schedule_data=connection.schedule_data,
            status=connection.status,
            namespace_definition=connection.namespace_definition,
            namespace_format=connection.namespace_format,
            prefix=connection.prefix,
            non_breaking_changes_preference=connection.non_breaking_changes_preference,
        )
        return wanted, []

    async def _catalog(self, source_id: str, *, fresh: bool) -> Catalog | str:
        """The source's discovered catalog (cached unless *fresh*), or why there is none."""
        if fresh or source_id not in self.catalogs:
            schema = await self.client.sources.discover_schema(
                source_id=source_id, disable_cache=fresh
            )
            if schema.catalog is not None:
                self.catalogs[source_id] = schema.catalog
            else:
                failure = schema.failure
                reason = failure.describe() if failure is not None else "no reason given"
                self.catalogs[source_id] = f"failed: {reason}"
        return self.catalogs[source_id]

    async def _ensure_actors(
        self,
        kind: str,
        actors: Sequence[ActorSpec],
        definitions: Mapping[str, SourceDefinition | DestinationDefinition],
        ensure: Callable[..., Awaitable[Ensured[_A]]],
        id_of: Callable[[_A], str],
        items: list[PlanItem],
    ) -> tuple[dict[str, str], set[str]]:
        """Ensure each source or destination; their ids by name, and the ids that changed."""
        ids: dict[str, str] = {}
        changed: set[str] = set()
        for actor in actors:
            definition = definitions[actor.name]
            ensured = await ensure(
                workspace_id=self.workspace_id,
                name=actor.name,
                definition_id=definition.definition_id,
                configuration=actor.configuration,
            )
            ident = ids[actor.name] = id_of(ensured.value)
            if ensured.changed:
                changed.add(ident)
            items.append(
                _done(kind, actor.name, definition.name, ensured.action, ident, ensured.changes)
            )
        return ids, changed

    async def execute(self) -> Plan:
        """Ensure every object, in order, and say what was done."""
        items: list[PlanItem] = []
        source_ids, refreshed = await self._ensure_actors(
            "source",
            self.spec.sources,
            self.source_definitions,
            self.client.sources.ensure,
            lambda source: source.source_id,
            items,
        )
        destination_ids, _ = await self._ensure_actors(
            "destination",
            self.spec.destinations,
            self.destination_definitions,
            self.client.destinations.ensure,
            lambda destination: destination.destination_id,
            items,
        )
        for i, connection in enumerate(self.spec.connections):
            source_id = source_ids[connection.source]
            wanted, problems = await self._wanted(
                i, connection, source_id, fresh=source_id in refreshed
            )
            refreshed.discard(source_id)
            if wanted is None:
                raise SpecError(problems, origin=self.spec.origin)
            ensured_connection = await self.client.connections.ensure(
                workspace_id=self.workspace_id,
                source_id=source_id,
                destination_id=destination_ids[connection.destination],
                name=connection.name,
                sync_catalog=wanted.sync_catalog,
                schedule_type=wanted.schedule_type,
                schedule_data=wanted.schedule_data,
                status=wanted.status,
                namespace_definition=wanted.namespace_definition,
                namespace_format=wanted.namespace_format,
                prefix=wanted.prefix,
                non_breaking_changes_preference=wanted.non_breaking_changes_preference,
            )
            items.append(
                _done(
                    "connection",
                    connection.name,
                    f"{connection.source} -> {connection.destination}",
                    ensured_connection.action,
                    ensured_connection.value.connection_id,
                    ensured_connection.changes,
                )
            )
        return Plan(workspace_id=self.workspace_id, items=tuple(items), applied=True)


def _actor_item(
    kind: str,
    actor: ActorSpec,
    definition: str,
    current: Source | Destination | None,
    ident: str | None,
) -> PlanItem:
    if current is None:
        return PlanItem(kind=kind, name=actor.name, action=EnsureAction.CREATED, detail=definition)
    differences = actor_differences(current, actor.configuration)
    return PlanItem(
        kind=kind,
        name=actor.name,
        action=EnsureAction.UPDATED if differences else EnsureAction.UNCHANGED,
        detail=definition,
        id=ident,
        changes=_changes(differences, actor.secret_paths),
    )


def _done(
    kind: str, name: str, detail: str, action: EnsureAction, ident: str, changes: Sequence[str]
) -> PlanItem:
    return PlanItem(
        kind=kind,
        name=name,
        action=action,
        detail=detail,
        id=ident,
        changes=tuple(Change(path=p) for p in changes),
    )
