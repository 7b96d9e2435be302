"""
Pipeline files read and checked: :func:`load` and :func:`loads` make a :class:`Spec` or raise a
:class:`~airbyte_async.errors.SpecError` listing every problem at its key.
"""

from __future__ import annotations

import difflib
import enum
import os
import tomllib
import uuid
from collections.abc import Mapping, Sequence
from typing import Any, TypeVar

import attrs

from .._secrets import redacted_repr
from ..catalog import StreamSelection
from ..errors import SpecError
from ..models import (
    BasicSchedule,
    ConnectionSettings,
    ConnectionStatus,
    CronSchedule,
    DestinationSyncMode,
    NamespaceDefinition,
    NonBreakingChangesPreference,
    ScheduleData,
    ScheduleType,
    SyncMode,
    TimeUnit,
)
from ..models.common import JsonObject

__all__ = ["ActorSpec", "ConnectionSpec", "Spec", "StreamSpec", "is_uuid", "load", "loads"]

E = TypeVar("E", bound=enum.Enum)


# -- the file, read -------------------------------------------------------------------------


@attrs.frozen(kw_only=True)
class ActorSpec:
    """
    A source or destination as the file declares it.

    *configuration* has its environment references resolved; *env_names* maps where those
    values went (``"configuration.password"``) to the variables they came from, so that they
    are never shown nor saved.
    """

    name: str
    definition: str
    configuration: JsonObject = attrs.field(repr=redacted_repr, hash=False)
    env_names: Mapping[str, str] = attrs.field(factory=dict, repr=False, hash=False)

    @property
    def secret_paths(self) -> frozenset[str]:
        """The paths of the values read from the environment."""
        return frozenset(self.env_names)


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
    """
    A connection as the file declares it; *source* and *destination* are names. *settings*
    holds all but the catalog, which the planner selects from the source's (*streams*).
    """

    name: str
    source: str
    destination: str
    streams: tuple[StreamSpec, ...]
    settings: ConnectionSettings


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
            secrets: dict[str, str] = {}
            resolved = self.resolve(
                configuration or {}, f"{path}.configuration", "configuration", secrets
            )
            if name is not None and definition is not None and configuration is not None:
                found.append(
                    ActorSpec(
                        name=name,
                        definition=definition,
                        configuration=resolved,
                        env_names=secrets,
                    )
                )
        return tuple(found)

    def resolve(self, value: Any, path: str, inner: str, secrets: dict[str, str]) -> Any:
        """
        *value* with every ``{ env = "NAME" }`` replaced, noting ``secrets[inner] = NAME``;
        *inner* is the path for display.
        """
        if isinstance(value, dict):
            if list(value) == ["env"] and isinstance(value["env"], str):
                name = value["env"]
                if name not in self.env:
                    self.problem(path, f"environment variable {name} is not set")
                    return None
                secrets[inner] = name
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
        settings = ConnectionSettings(
            schedule_type=schedule_type,
            schedule_data=schedule_data,
            status=status or ConnectionStatus.ACTIVE,
            namespace_definition=namespace,
            namespace_format=namespace_format,
            prefix=prefix,
            non_breaking_changes_preference=preference,
        )
        return ConnectionSpec(
            name=name, source=source, destination=destination, streams=streams, settings=settings
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


def is_uuid(value: str) -> bool:
    """True when *value* is a UUID (ids of workspaces, definitions, objects)."""
    try:
        uuid.UUID(value)
    except ValueError:
        return False
    return True
