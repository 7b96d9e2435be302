"""
Pipeline files read and checked: :func:`load` and :func:`loads` make a :class:`Spec` or raise a
:class:`~airbyte_async.errors.SpecError` listing every problem at its key.

The file's shape is declared as attrs classes (the tables below, and :class:`StreamSpec`) and
checked by a cattrs converter of its own, whose hooks word each problem for people
(``unknown value 'incrementl' (expected one of: ...)``); the cattrs errors are then turned
into ``"key.path: problem"`` lines. What cattrs cannot see is checked after: names declared
twice, connections naming what the file does not declare, environment references.

In a connector's configuration, any table with an ``env`` key is an environment reference:
``{ env = "NAME" }``, or ``{ env = "NAME", default = "value" }`` (the default is sent when
NAME is not set), each also taking ``type = "integer"`` (see :mod:`._types`); anything else
there is a problem. ``{ literal = X }`` sends X as written, so that a configuration can hold a
table of its own with an ``env`` key (or a ``literal`` one).
"""

from __future__ import annotations

import difflib
import enum
import math
import os
import tomllib
from collections.abc import Callable, Iterator, Mapping
from typing import Any, NewType

import attrs
import cattrs
from cattrs.errors import (
    AttributeValidationNote,
    ClassValidationError,
    ForbiddenExtraKeysError,
    IterableValidationError,
    IterableValidationNote,
)

from .._checks import is_uuid
from .._cron import schedule_problem
from .._secrets import masked
from ..catalog import StreamSelection
from ..errors import SpecError
from ..models import (
    BasicSchedule,
    ConnectionSettings,
    ConnectionStatus,
    CronSchedule,
    DestinationSyncMode,
    JsonObject,
    NamespaceDefinition,
    NonBreakingChangesPreference,
    ScheduleData,
    ScheduleType,
    SyncMode,
    TimeUnit,
)
from ._types import TYPES, convert, described, fits

__all__ = ["ActorSpec", "ConnectionSpec", "Spec", "StreamSpec", "load", "loads"]


@attrs.frozen(kw_only=True, repr=False)
class ActorSpec:
    """
    A source or destination as the file declares it.

    *configuration* has its environment references resolved; *env_names* maps where those
    values went (``"configuration.password"``) to the variables they came from, so that they
    are never shown nor saved. *env_defaults* maps where a reference's default was taken to
    its variable, which was not set: a default is written in the file, and shown as such.
    *env_types* maps the paths of values read from the environment whose reference names a
    type (``type = "integer"``) to that type; those values are converted already.
    """

    name: str
    definition: str
    configuration: JsonObject = attrs.field(hash=False)
    env_names: Mapping[str, str] = attrs.field(factory=dict, hash=False)
    env_defaults: Mapping[str, str] = attrs.field(factory=dict, hash=False)
    env_types: Mapping[str, str] = attrs.field(factory=dict, hash=False)

    @property
    def secret_paths(self) -> frozenset[str]:
        """The paths of the values read from the environment."""
        return frozenset(self.env_names)

    def __repr__(self) -> str:
        # Values read from the environment are masked wherever they sit, as secret keys are.
        shown = masked(self.configuration, "configuration", self.secret_paths)
        return (
            f"ActorSpec(name={self.name!r}, definition={self.definition!r}, "
            f"configuration={shown!r})"
        )


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


# -- the file's shape -------------------------------------------------------------------------


class _Problem(ValueError):
    """A value that does not fit; its message is what the reader is shown at the key."""


#: Any string, the empty one too (``prefix``); a plain ``str`` must not be empty.
_AnyText = NewType("_AnyText", str)
#: A whole number above 0.
_Count = NewType("_Count", int)
#: A connector's configuration, as is.
_Table = NewType("_Table", dict[str, Any])
#: The streams of a connection: a non-empty array of tables.
_Streams = NewType("_Streams", tuple[StreamSpec, ...])
#: A ``[[section]]``: an array of tables, read one by one afterwards.
_Tables = NewType("_Tables", tuple[dict[str, Any], ...])


@attrs.frozen(kw_only=True)
class _Document:
    workspace: str | None = None
    sources: _Tables = _Tables(())
    destinations: _Tables = _Tables(())
    connections: _Tables = _Tables(())


@attrs.frozen(kw_only=True)
class _ActorTable:
    name: str
    definition: str
    configuration: _Table


@attrs.frozen(kw_only=True)
class _Every:
    every: _Count
    unit: TimeUnit


@attrs.frozen(kw_only=True)
class _Cron:
    cron: str
    timezone: str = "UTC"


_MANUAL = ConnectionSettings(schedule_type=ScheduleType.MANUAL)


@attrs.frozen(kw_only=True)
class _ConnectionTable:
    name: str
    source: str
    destination: str
    streams: _Streams
    #: The schedule, as the settings that carry it.
    schedule: ConnectionSettings = _MANUAL
    status: ConnectionStatus = ConnectionStatus.ACTIVE
    namespace_definition: NamespaceDefinition | None = None
    non_breaking_changes_preference: NonBreakingChangesPreference | None = None
    namespace_format: str | None = None
    prefix: _AnyText | None = None

    def spec(self) -> ConnectionSpec:
        settings = attrs.evolve(
            self.schedule,
            status=self.status,
            namespace_definition=self.namespace_definition,
            namespace_format=self.namespace_format,
            prefix=self.prefix,
            non_breaking_changes_preference=self.non_breaking_changes_preference,
        )
        return ConnectionSpec(
            name=self.name,
            source=self.source,
            destination=self.destination,
            streams=self.streams,
            settings=settings,
        )


def _kind(value: Any) -> str:
    names = {str: "a string", bool: "a boolean", int: "an integer", float: "a number"}
    names |= {dict: "a table", list: "an array"}
    return names.get(type(value), type(value).__name__)


def _text(value: Any, _: Any) -> str:
    if isinstance(value, str) and value.strip():
        return value
    got = "an empty string" if isinstance(value, str) else _kind(value)
    raise _Problem(f"must be a non-empty string, got {got}")


def _any_text(value: Any, _: Any) -> str:
    if isinstance(value, str):
        return value
    raise _Problem(f"must be a string, got {_kind(value)}")


def _count(value: Any, _: Any) -> int:
    if isinstance(value, int) and not isinstance(value, bool) and value >= 1:
        return value
    raise _Problem(f"must be a whole number above 0, got {value!r}")


def _names(value: Any) -> tuple[str, ...] | None:
    if isinstance(value, list) and value and all(isinstance(p, str) and p for p in value):
        return tuple(value)
    return None


def _path(value: Any, _: Any) -> tuple[str, ...]:
    path = (value,) if isinstance(value, str) and value else _names(value)
    if path is None:
        raise _Problem("must be a field name or a path (an array of field names)")
    return path


def _key(value: Any, _: Any) -> tuple[tuple[str, ...], ...]:
    parts = [value] if isinstance(value, str) else value
    if isinstance(parts, list) and parts:
        key = [(p,) if isinstance(p, str) and p else _names(p) for p in parts]
        if all(k is not None for k in key):
            return tuple(k for k in key if k is not None)
    raise _Problem("must be a field name, a list of field names, or a list of paths")


def _table(value: Any, _: Any) -> dict[str, Any]:
    if isinstance(value, dict):
        return value
    raise _Problem(f"must be a table, got {_kind(value)}")


def _tables(value: Any, _: Any) -> tuple[dict[str, Any], ...]:
    if isinstance(value, list) and all(isinstance(t, dict) for t in value):
        return tuple(value)
    raise _Problem("must be an array of tables ([[{key}]])")


def _streams(value: Any, _: Any) -> tuple[StreamSpec, ...]:
    if not isinstance(value, list) or not value or not all(isinstance(t, dict) for t in value):
        raise _Problem("must be a non-empty array of tables, one per stream")
    return _converter.structure(value, tuple[StreamSpec, ...])


def _choice(cls: type[enum.Enum]) -> Callable[[Any, Any], Any]:
    known = [str(m.value) for m in cls]

    def structure_choice(value: Any, _: Any) -> Any:
        if isinstance(value, str) and value in known:
            return cls(value)
        shown = repr(value) if isinstance(value, str) else _kind(value)
        raise _Problem(f"unknown value {shown} (expected one of: {', '.join(known)})")

    return structure_choice


def _status(value: Any, _: Any) -> ConnectionStatus:
    if value in (ConnectionStatus.ACTIVE.value, ConnectionStatus.INACTIVE.value):
        return ConnectionStatus(value)
    shown = repr(value) if isinstance(value, str) else _kind(value)
    raise _Problem(f"must be 'active' or 'inactive', not {shown}")


_SCHEDULE_KEYS = frozenset({"every", "unit", "cron", "timezone"})


def _schedule(value: Any, _: Any) -> ConnectionSettings:
    if value == "manual":
        return _MANUAL
    if isinstance(value, dict) and "every" in value:
        every = _converter.structure(value, _Every)
        basic = BasicSchedule(time_unit=every.unit, units=every.every)
        data = ScheduleData(basic_schedule=basic)
        return ConnectionSettings(schedule_type=ScheduleType.BASIC, schedule_data=data)
    if isinstance(value, dict) and "cron" in value:
        cron = _converter.structure(value, _Cron)
        _check_cron(cron)
        data = ScheduleData(
            cron=CronSchedule(cron_expression=cron.cron, cron_time_zone=cron.timezone)
        )
        return ConnectionSettings(schedule_type=ScheduleType.CRON, schedule_data=data)
    wanted = 'must be "manual", { every = N, unit = "hours" } or { cron = "...", timezone = "UTC" }'
    unknown = sorted(set(value) - _SCHEDULE_KEYS) if isinstance(value, dict) else []
    if unknown:
        close = difflib.get_close_matches(unknown[0], sorted(_SCHEDULE_KEYS), n=1)
        hint = f" (did you mean {close[0]!r}?)" if close else ""
        wanted += f": unknown key {unknown[0]!r}{hint}"
    raise _Problem(wanted)


def _check_cron(cron: _Cron) -> None:
    """Refuse an expression Quartz cannot read, or a zone no time-zone database names (when
    this machine has one: without it, no name could be checked)."""
    if problem := schedule_problem(cron.cron, cron.timezone):
        raise _Problem(problem)


_converter = cattrs.Converter(detailed_validation=True, forbid_extra_keys=True)
_converter.register_structure_hook(str, _text)
_converter.register_structure_hook(_AnyText, _any_text)
_converter.register_structure_hook(_Count, _count)
# StreamSpec's cursor (a field name or a path) and primary key (a field name, a list of field
# names or a list of paths): the only tuples of strings in a file.
_converter.register_structure_hook_func(lambda t: t == tuple[str, ...], _path)
_converter.register_structure_hook_func(lambda t: t == tuple[tuple[str, ...], ...], _key)
_converter.register_structure_hook(_Table, _table)
_converter.register_structure_hook(_Tables, _tables)
_converter.register_structure_hook(_Streams, _streams)
for _choices in (SyncMode, DestinationSyncMode, NamespaceDefinition, TimeUnit):
    _converter.register_structure_hook(_choices, _choice(_choices))
_converter.register_structure_hook(
    NonBreakingChangesPreference, _choice(NonBreakingChangesPreference)
)
_converter.register_structure_hook(ConnectionStatus, _status)
_converter.register_structure_hook(ConnectionSettings, _schedule)


def _problems(error: BaseException, path: str) -> Iterator[str]:
    """``"path: problem"`` for each error cattrs found under *path*."""
    if isinstance(error, ClassValidationError):
        for sub in error.exceptions:
            if isinstance(sub, ForbiddenExtraKeysError):
                yield from _problems(sub, path)
                continue
            field = next(n for n in sub.__notes__ if isinstance(n, AttributeValidationNote))
            yield from _problems(sub, f"{path}.{field.name}" if path else field.name)
    elif isinstance(error, IterableValidationError):
        for sub in error.exceptions:
            item = next(n for n in sub.__notes__ if isinstance(n, IterableValidationNote))
            yield from _problems(sub, f"{path}[{item.index}]")
    elif isinstance(error, ForbiddenExtraKeysError):
        allowed = {a.name for a in attrs.fields(error.cl)}
        for key in sorted(error.extra_fields):
            close = difflib.get_close_matches(key, allowed, n=1)
            hint = (
                f"did you mean {close[0]!r}?"
                if close
                else f"expected: {', '.join(sorted(allowed))}"
            )
            yield f"{path}.{key}: unknown key ({hint})" if path else f"{key}: unknown key ({hint})"
    elif isinstance(error, KeyError):
        yield f"{path}: missing"
    elif isinstance(error, _Problem):
        yield f"{path}: {str(error).replace('{key}', path.rsplit('.', 1)[-1])}"
    else:
        yield f"{path}: invalid value ({type(error).__name__})"


# -- reading --------------------------------------------------------------------------------


@attrs.define
class _Found:
    """The environment references of one configuration, by path: the variables whose values
    were read (*secrets*), and those not set whose default was taken (*defaults*)."""

    secrets: dict[str, str] = attrs.field(factory=dict)
    defaults: dict[str, str] = attrs.field(factory=dict)
    #: The types the references name, by path (of values read from the environment).
    types: dict[str, str] = attrs.field(factory=dict)


class _Reader:
    """Reads a decoded TOML document table by table, collecting every problem at its key."""

    def __init__(self, env: Mapping[str, str]) -> None:
        self.env = env
        self.problems: list[str] = []
        #: Names declared per section, also those of entries with problems of their own, so
        #: that a connection naming one is not reported as well.
        self.declared: dict[str, list[str]] = {"sources": [], "destinations": []}

    def structure(self, value: Any, cls: type[Any], path: str) -> Any:
        """*value* as a *cls*, or None with its problems noted."""
        try:
            return _converter.structure(value, cls)
        except (ClassValidationError, IterableValidationError, ForbiddenExtraKeysError) as e:
            self.problems.extend(_problems(e, path))
        return None

    def document(self, raw: dict[str, Any], origin: str) -> Spec:
        doc = self.structure(raw, _Document, "")
        workspace = doc.workspace if doc is not None else None
        if workspace is not None and not is_uuid(workspace):
            self.problems.append(f"workspace: not a workspace id (a UUID): {workspace!r}")
        sources = self.actors(raw, "sources")
        destinations = self.actors(raw, "destinations")
        tables = _sections(raw, "connections")
        connections = [
            self.structure(table, _ConnectionTable, f"connections[{i}]")
            for i, table in enumerate(tables)
        ]
        read = self.references(connections, tables)
        return Spec(
            sources=sources,
            destinations=destinations,
            connections=read,
            workspace_id=workspace,
            origin=origin,
        )

    def actors(self, raw: Mapping[str, Any], key: str) -> tuple[ActorSpec, ...]:
        found: list[ActorSpec] = []
        for i, table in enumerate(_sections(raw, key)):
            path = f"{key}[{i}]"
            actor = self.structure(table, _ActorTable, path)
            name = table.get("name")
            if isinstance(name, str) and name.strip():
                if name in self.declared[key]:
                    self.problems.append(f"{path}.name: {name!r} is declared twice in {key}")
                self.declared[key].append(name)
            configuration = table.get("configuration")
            if not isinstance(configuration, dict):
                continue
            references = _Found()
            resolved = self.resolve(
                configuration, f"{path}.configuration", "configuration", references
            )
            if actor is not None:
                found.append(
                    ActorSpec(
                        name=actor.name,
                        definition=actor.definition,
                        configuration=resolved,
                        env_names=references.secrets,
                        env_defaults=references.defaults,
                        env_types=references.types,
                    )
                )
        return tuple(found)

    def resolve(self, value: Any, path: str, inner: str, found: _Found) -> Any:
        """
        *value* with every environment reference replaced by its value (see
        :meth:`reference`) and every ``{ literal = ... }`` by what it holds, as written;
        *inner* is the path for display.
        """
        if isinstance(value, dict):
            if list(value) == ["literal"]:
                return self.literal(value["literal"], f"{path}.literal")
            if "env" in value:
                return self.reference(value, path, inner, found)
            return {
                k: self.resolve(v, f"{path}.{k}", f"{inner}.{k}", found) for k, v in value.items()
            }
        if isinstance(value, list):
            return [
                self.resolve(v, f"{path}[{i}]", f"{inner}[{i}]", found) for i, v in enumerate(value)
            ]
        return self.literal(value, path)

    def reference(self, table: dict[str, Any], path: str, inner: str, found: _Found) -> Any:
        """
        The value of ``{ env = "NAME" }``, noting ``found.secrets[inner] = NAME``; with
        ``type = "integer"`` (or ``number``, ``boolean``, ``string``), that value converted
        (see :func:`~._types.convert`), noting ``found.types[inner]``; with ``default = ...``,
        the default when NAME is not set (a value written in the file, of that type), noting
        ``found.defaults[inner] = NAME``. A malformed reference, or a value that is not of its
        type, is a problem at its key.
        """
        problems = len(self.problems)
        name = table["env"]
        if not isinstance(name, str) or not name:
            got = repr(name) if isinstance(name, str) else _kind(name)
            self.problems.append(
                f"{path}.env: must name an environment variable (a non-empty string), got {got}"
            )
        for key in sorted(set(table) - {"env", "default", "type"}):
            close = difflib.get_close_matches(key, ["default", "type"], n=1)
            hint = f"did you mean {close[0]!r}? " if close else ""
            self.problems.append(
                f"{path}.{key}: unknown key beside env ({hint}an environment reference takes "
                "env, default and type only; to send a table with an env key as it is, write "
                "{ literal = { ... } })"
            )
        kind = table.get("type")
        if kind is not None and kind not in TYPES:
            shown = repr(kind) if isinstance(kind, str) else _kind(kind)
            self.problems.append(
                f"{path}.type: unknown value {shown} (expected one of: {', '.join(TYPES)})"
            )
            kind = None
        default = table.get("default")
        if default is not None and not isinstance(default, str | int | float | bool):
            self.problems.append(
                f"{path}.default: must be a string, a number or a boolean, got {_kind(default)}"
            )
        elif default is not None and kind is not None and not fits(default, kind):
            self.problems.append(
                f"{path}.default: must be {described(kind)} (type = {kind!r}), got {_kind(default)}"
            )
        if len(self.problems) > problems:
            return None
        if name in self.env:
            found.secrets[inner] = name
            if kind is None:
                return self.env[name]
            found.types[inner] = kind
            try:
                return convert(self.env[name], kind)
            except ValueError as e:
                self.problems.append(f"{path}: {name} {e} (type = {kind!r})")
                return None
        if default is not None:
            found.defaults[inner] = name
            return default
        self.problems.append(f"{path}: environment variable {name} is not set")
        return None

    def literal(self, value: Any, path: str) -> Any:
        """*value* as written, checked to be JSON (TOML's dates and times are not, nor its
        ``nan`` and ``inf``)."""
        if isinstance(value, dict):
            return {k: self.literal(v, f"{path}.{k}") for k, v in value.items()}
        if isinstance(value, list):
            return [self.literal(v, f"{path}[{i}]") for i, v in enumerate(value)]
        if isinstance(value, float) and not math.isfinite(value):
            self.problems.append(f"{path}: {value!r} is not a JSON number")
            return None
        if isinstance(value, str | int | float | bool):
            return value
        self.problems.append(f"{path}: {_kind(value)} is not a JSON value")
        return None

    def references(
        self, connections: list[_ConnectionTable | None], tables: list[dict[str, Any]]
    ) -> tuple[ConnectionSpec, ...]:
        """
        The connections read, each checked against the names declared; those that could not
        be read (*tables* holds them as written) are checked for what names they give.
        """
        seen: set[str] = set()
        read: list[ConnectionSpec] = []
        for i, connection in enumerate(connections):
            path = f"connections[{i}]"
            if connection is None:
                written = {key: tables[i].get(key) for key in ("source", "destination")}
                self.declared_names(path, {k: v for k, v in written.items() if isinstance(v, str)})
                continue
            problems = len(self.problems)
            streams = [s.name for s in connection.streams]
            for j, name in enumerate(streams):
                if name in streams[:j]:
                    self.problems.append(
                        f"{path}.streams[{j}].name: stream {name!r} is listed twice"
                    )
            if connection.name in seen:
                self.problems.append(
                    f"{path}.name: {connection.name!r} is declared twice in connections"
                )
            seen.add(connection.name)
            given = {"source": connection.source, "destination": connection.destination}
            self.declared_names(path, given)
            if len(self.problems) == problems:
                read.append(connection.spec())
        return tuple(read)

    def declared_names(self, path: str, given: Mapping[str, str]) -> None:
        """Note each ``source`` or ``destination`` in *given* that this file does not declare."""
        for key, name in given.items():
            names = self.declared[f"{key}s"]
            if name not in names:
                listed = ", ".join(names) or "none"
                self.problems.append(
                    f"{path}.{key}: no {key} named {name!r} in this file ({key}s: {listed})"
                )


def _sections(raw: Mapping[str, Any], key: str) -> list[dict[str, Any]]:
    """The tables of ``[[key]]``; none when it is not an array of tables (a problem noted)."""
    value = raw.get(key, [])
    if isinstance(value, list) and all(isinstance(t, dict) for t in value):
        return value
    return []
