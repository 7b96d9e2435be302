"""
The one cattrs converter: every rule of the Config API's wire format lives here.

- Keys are camelCase on the wire and snake_case in the models, except the API's odd keys
  (``created_at`` on ConnectionRead, ``page_size`` on SourceReadList, ``disable_cache`` on
  SourceDiscoverSchemaRequestBody, ...) and the keys that depend on the actor kind
  (``sourceDefinitionId`` / ``destinationDefinitionId``). All of it is decided in
  :func:`wire_name`, used by the hook factories.
- Times are epoch seconds on the wire and aware UTC :class:`~datetime.datetime` in the models;
  :data:`~airbyte_async.models._common.IsoDateTime` fields travel as ISO-8601 strings.
- Reading is tolerant of what it does not use (unknown keys are ignored, unknown enum values are
  kept, a null where a field has a non-null default reads as that default: Java servers write
  unset fields as null) and strict about what it does: a missing or mistyped known key is a
  :class:`~airbyte_async.errors.ResponseValidationError` naming the route and the path of the bad
  field, with the cattrs error as ``__cause__``.
- Writing is minimal: fields left at their default (None, mostly) are not sent.
- Opaque JSON (connector configuration, JSON schemas) passes through as the very same object.
- Large parts rarely needed (a connection's catalog, logs) are kept as
  :class:`~airbyte_async.models.Deferred` raw JSON and read on first use.

Hooks are generated once per class by cattrs and cached; nothing reflects per call.
"""

from __future__ import annotations

import enum
import logging
from collections.abc import Callable, Iterator
from contextvars import ContextVar
from datetime import UTC, date, datetime
from functools import partial
from types import UnionType
from typing import Any, TypeVar, Union, get_args, get_origin

import attrs
import cattrs
from cattrs.errors import (
    AttributeValidationNote,
    ClassValidationError,
    IterableValidationError,
    IterableValidationNote,
    StructureHandlerNotFoundError,
)
from cattrs.gen import make_dict_structure_fn, make_dict_unstructure_fn, override

from .errors import ResponseValidationError
from .models import (
    Actor,
    Attempt,
    AttemptLogs,
    AttemptStats,
    AttemptStatus,
    Catalog,
    Connection,
    Destination,
    DestinationDefinition,
    FailureSummary,
    Job,
    JobPage,
    JobStatus,
    JobType,
    Source,
    SourceDefinition,
    StreamAttemptStats,
    StreamStats,
)
from .models import _wire as w
from .models._common import Deferred, IsoDateTime, JsonObject, OpenEnum, StreamDescriptor

__all__ = ["iso", "job_status", "structure", "unstructure", "wire_name"]

T = TypeVar("T")

log = logging.getLogger("airbyte_async.http")

_MAX_PROBLEMS = 5

# The route being read, for the errors of Deferred parts read later.
_ROUTE: ContextVar[str] = ContextVar("airbyte_async_route", default="")

# -- wire names -------------------------------------------------------------------------------

_RENAMES: dict[type, dict[str, str]] = {
    Actor: {"configuration": "connectionConfiguration"},
    w.ActorCreate: {"configuration": "connectionConfiguration"},
    w.ActorUpdate: {"configuration": "connectionConfiguration"},
    w.SourceCoreConfig: {"configuration": "connectionConfiguration"},
    Connection: {"created_at": "created_at"},
    Job: {"job_type": "configType"},
    JobPage: {"total_count": "totalJobCount"},
    w.DiscoverSchemaBody: {"disable_cache": "disable_cache"},
    w.SourceList: {"items": "sources", "page_size": "page_size"},
    w.DestinationList: {"items": "destinations", "page_size": "page_size"},
    w.SourceDefinitionList: {"items": "sourceDefinitions"},
    w.DestinationDefinitionList: {"items": "destinationDefinitions"},
}

# Written even when left at their default: the server requires them.
_ALWAYS_WRITTEN: dict[type, tuple[str, ...]] = {Catalog: ("streams",)}

# Classes shared by sources and destinations name their ids generically; the kind picks the key.
_KIND: dict[type, str] = {
    Source: "source",
    Destination: "destination",
    SourceDefinition: "source",
    DestinationDefinition: "destination",
    w.SourceIdBody: "source",
    w.DestinationIdBody: "destination",
    w.SourceCreate: "source",
    w.SourceCoreConfig: "source",
    w.DestinationCreate: "destination",
    w.SourceUpdate: "source",
    w.DestinationUpdate: "destination",
    w.SourceDefinitionIdBody: "source",
    w.DestinationDefinitionIdBody: "destination",
    w.SourceDefinitionSpecBody: "source",
    w.DestinationDefinitionSpecBody: "destination",
}
_KIND_KEYS = {"actor_id": "{}Id", "definition_id": "{}DefinitionId", "definition_name": "{}Name"}


def _camel(name: str) -> str:
    head, *rest = name.lstrip("_").split("_")
    return head + "".join(part[:1].upper() + part[1:] for part in rest)


def wire_name(cls: type, field: str) -> str:
    """The JSON key of *cls*'s attribute *field*."""
    for klass in cls.__mro__:
        renamed = _RENAMES.get(klass, {}).get(field)
        if renamed is not None:
            return renamed
    kind = _KIND.get(cls)
    if kind is not None and field in _KIND_KEYS:
        return _KIND_KEYS[field].format(kind)
    return _camel(field)


# -- errors -----------------------------------------------------------------------------------


class _WireTypeError(TypeError):
    """A value of the wrong JSON type; the message names types only, never the value."""

    def __init__(self, expected: str, value: object) -> None:
        super().__init__(f"expected {expected}, got {_json_type(value)}")


def _json_type(value: object) -> str:
    names = {dict: "an object", list: "an array", str: "a string", bool: "a boolean"}
    if value is None:
        return "null"
    if isinstance(value, int | float) and not isinstance(value, bool):
        return "a number"
    return names.get(type(value), type(value).__name__)


#: What reading data that does not fit raises, directly or gathered in cattrs' groups.
#: Anything else came from elsewhere while a read ran, such as a signal handler (a SIGALRM
#: timeout that raises TimeoutError, as timeout decorators do): it must reach the caller as
#: itself, not as a ResponseValidationError, nor be swallowed by a fast path that gives up.
_DATA_ERRORS = (
    LookupError,
    TypeError,
    ValueError,
    AttributeError,
    ArithmeticError,
    StructureHandlerNotFoundError,
)


def _foreign(exc: BaseException) -> BaseException | None:
    """The exception in *exc* (itself, or one gathered in a group) not of _DATA_ERRORS."""
    if isinstance(exc, BaseExceptionGroup):
        return next(filter(None, map(_foreign, exc.exceptions)), None)
    return None if isinstance(exc, _DATA_ERRORS) else exc


def _raise_foreign(exc: BaseException) -> None:
    """
    Raise the foreign exception in *exc*, if any, as it came: without the notes cattrs added
    to it, nor the group it was gathered in as its shown context.
    """
    found = _foreign(exc)
    if found is None:
        return
    if found is not exc:
        found.__suppress_context__ = True
    notes = getattr(found, "__notes__", None)
    if notes is not None:
        kept = [
            n for n in notes if not isinstance(n, AttributeValidationNote | IterableValidationNote)
        ]
        if kept:
            found.__notes__ = kept
        else:
            del found.__notes__
    raise found


def _note_of(exc: BaseException, kind: type[str]) -> Any:
    return next((n for n in getattr(exc, "__notes__", ()) if isinstance(n, kind)), None)


def _problems(exc: BaseException, path: str) -> Iterator[tuple[str, str]]:
    if isinstance(exc, ClassValidationError):
        for sub in exc.exceptions:
            note = _note_of(sub, AttributeValidationNote)
            key = wire_name(exc.cl, note.name) if note is not None else "?"
            yield from _problems(sub, f"{path}.{key}")
    elif isinstance(exc, IterableValidationError):
        for sub in exc.exceptions:
            note = _note_of(sub, IterableValidationNote)
            yield from _problems(sub, f"{path}[{note.index if note is not None else '?'}]")
    elif isinstance(exc, KeyError):
        yield path, "missing"
    elif isinstance(exc, _WireTypeError):
        yield path, str(exc)
    else:
        # Other messages may quote the value (a secret, a whole body): name the kind only.
        yield path, f"invalid value ({type(exc).__name__})"


def _describe(exc: BaseException, cls: type, root: str = "$") -> str:
    problems = list(_problems(exc, root))
    shown = "; ".join(f"{path}: {what}" for path, what in problems[:_MAX_PROBLEMS])
    more = f" (and {len(problems) - _MAX_PROBLEMS} more)" if len(problems) > _MAX_PROBLEMS else ""
    return f"response does not fit {cls.__name__}: {shown}{more}"


def _rehome(exc: ClassValidationError, key: str, top_level: frozenset[str]) -> Exception:
    """Errors of fields merged out of the *key* sub-object, moved back under it for the path."""
    nested: list[Exception] = []
    top: list[Exception] = []
    for sub in exc.exceptions:
        note = _note_of(sub, AttributeValidationNote)
        (top if note is not None and note.name in top_level else nested).append(sub)
    if nested:
        group = ClassValidationError(exc.message, nested, exc.cl)
        group.__notes__ = [AttributeValidationNote(f"@ attribute {key}", key, exc.cl)]
        top.append(group)
    return ClassValidationError(exc.message, top, exc.cl)


# -- the converter ----------------------------------------------------------------------------

_converter = cattrs.Converter(detailed_validation=True, forbid_extra_keys=False)


def _structure_str(value: Any, _: Any) -> str:
    if value.__class__ is str:
        return value
    raise _WireTypeError("a string", value)


def _structure_int(value: Any, _: Any) -> int:
    if value.__class__ is int:
        return value
    raise _WireTypeError("an integer", value)


def _structure_float(value: Any, _: Any) -> float:
    if value.__class__ is float or value.__class__ is int:
        return float(value)
    raise _WireTypeError("a number", value)


def _structure_bool(value: Any, _: Any) -> bool:
    if value.__class__ is bool:
        return value
    raise _WireTypeError("a boolean", value)


# Whole seconds repeat across a job's stamps and across jobs: converting each once is cheaper
# than a datetime per field (a batch structures tens of thousands of them).
_EPOCHS: dict[int, datetime] = {}


def _structure_epoch(value: Any, _: Any) -> datetime:
    if value.__class__ is int:
        cached = _EPOCHS.get(value)
        if cached is None:
            if len(_EPOCHS) > 20_000:
                _EPOCHS.clear()
            cached = _EPOCHS[value] = _from_epoch(value)
        return cached
    if value.__class__ is float:
        return _from_epoch(value)
    raise _WireTypeError("epoch seconds", value)


def _from_epoch(value: float) -> datetime:
    try:
        return datetime.fromtimestamp(value, UTC)
    except OSError as e:
        # Some platforms' C library refuses dates far off so (Windows: before 1970).
        raise ValueError("epoch seconds out of range") from e


def _structure_iso(value: Any, _: Any) -> datetime:
    if value.__class__ is str:
        parsed = datetime.fromisoformat(value)
        return parsed if parsed.tzinfo is not None else parsed.replace(tzinfo=UTC)
    raise _WireTypeError("an ISO-8601 string", value)


def _structure_date(value: Any, _: Any) -> date:
    if value.__class__ is str:
        return date.fromisoformat(value)
    raise _WireTypeError("an ISO-8601 date", value)


def _structure_object(value: Any, _: Any) -> JsonObject:
    if value.__class__ is dict:
        return value
    raise _WireTypeError("an object", value)


def _structure_open_enum(value: Any, cls: Any) -> Any:
    if value.__class__ is str:
        member = cls._value2member_map_.get(value)
        return member if member is not None else cls(value)
    raise _WireTypeError("a string", value)


#: The job statuses this process has warned of, each once (a server that makes up a new one
#: for every job is told of no further than this many).
_UNKNOWN_STATUSES_TOLD: set[str] = set()
_UNKNOWN_STATUSES_MAX = 32


def job_status(value: str) -> JobStatus:
    """
    *value* (a string from the wire) as a :class:`JobStatus`. A status this library does not
    know is kept, read as not final, and logged at WARNING once per value and process: a job
    that ends in it would be waited for until a deadline, and the log says why.
    """
    status = _JOB_STATUSES.get(value)
    if status is not None:
        return status
    if value not in _UNKNOWN_STATUSES_TOLD and len(_UNKNOWN_STATUSES_TOLD) < _UNKNOWN_STATUSES_MAX:
        _UNKNOWN_STATUSES_TOLD.add(value)
        log.warning(
            "Airbyte answered the job status %r, which this version of airbyte-async does not "
            "know: it is taken as not final, so a job in it is waited for",
            value[:80],
        )
    return JobStatus(value)


def _structure_job_status(value: Any, _: Any) -> JobStatus:
    if value.__class__ is str:
        return job_status(value)
    raise _WireTypeError("a string", value)


def _is_json_object(t: Any) -> bool:
    return bool(t == JsonObject)


def _is_homogeneous_tuple(t: Any) -> bool:
    args = get_args(t)
    return get_origin(t) is tuple and len(args) == 2 and args[1] is Ellipsis


def _is_optional(t: Any) -> bool:
    args = get_args(t)
    return len(args) == 2 and type(None) in args and get_origin(t) in (Union, UnionType)


def _optional_hook(t: Any) -> Callable[[Any, Any], Any]:
    inner = next(a for a in get_args(t) if a is not type(None))
    hook = _converter.get_structure_hook(inner)
    if inner is str or inner is int or inner is bool:
        # Most optional fields are plain scalars: one call instead of two.
        def structure_optional_scalar(value: Any, _: Any) -> Any:
            if value is None or value.__class__ is inner:
                return value
            return hook(value, inner)

        return structure_optional_scalar

    def structure_optional(value: Any, _: Any) -> Any:
        return None if value is None else hook(value, inner)

    return structure_optional


def _tuple_hook(t: Any) -> Callable[[Any, Any], tuple[Any, ...]]:
    elem = get_args(t)[0]
    hook = _converter.get_structure_hook(elem)

    def structure_tuple(value: Any, _: Any) -> tuple[Any, ...]:
        if value.__class__ is not list:
            raise _WireTypeError("an array", value)
        try:
            return tuple([hook(e, elem) for e in value])
        except Exception as exc:
            _raise_foreign(exc)
        # Slow path, only on failure: find the bad elements for the error path.
        errors = []
        for index, e in enumerate(value):
            try:
                hook(e, elem)
            except Exception as exc:
                exc.__notes__ = [
                    *getattr(exc, "__notes__", ()),
                    IterableValidationNote(f"@ index {index}", index, elem),
                ]
                errors.append(exc)
        raise IterableValidationError("while structuring an array", errors, t)

    if elem is str:
        # Log lines come by the thousand: check the element type inline, without a call each.
        def structure_strings(value: Any, _: Any) -> tuple[Any, ...]:
            if value.__class__ is list and all(e.__class__ is str for e in value):
                return tuple(value)
            return structure_tuple(value, t)

        return structure_strings

    return structure_tuple


def _renames(cls: Any) -> dict[str, Any]:
    attrs.resolve_types(cls)
    names: dict[str, Any] = {}
    for a in attrs.fields(cls):
        key = wire_name(cls, a.name)
        model = _deferred_model(a.type)
        empty = _empty_for_null(a)
        if model is not None:
            names[a.name] = override(
                rename=key,
                struct_hook=_defer(model, key, empty or _none),
                unstruct_hook=partial(_unstructure_deferred, model=model),
            )
        elif empty is not None:
            names[a.name] = override(rename=key, struct_hook=_null_as(empty))
        else:
            names[a.name] = override(rename=key)
    return names


def _empty_for_null(a: attrs.Attribute[Any]) -> Callable[[], Any] | None:
    """
    What a JSON null reads as in field *a*: its default, when that is not None and the field
    cannot hold None (an empty list, False). Java servers write an unset field as null, so
    null and absent mean the same thing there. None for any other field.
    """
    default = a.default
    if default is attrs.NOTHING or default is None or type(None) in get_args(a.type):
        return None
    if isinstance(default, attrs.Factory):  # type: ignore[arg-type]
        return default.factory  # type: ignore[no-any-return]
    return partial(_identity, default)


def _none() -> None:
    return None


def _null_as(empty: Callable[[], Any]) -> Callable[[Any, Any], Any]:
    def structure_or_empty(value: Any, t: Any) -> Any:
        if value is None:
            return empty()
        return _converter.get_structure_hook(t)(value, t)

    return structure_or_empty


def _deferred_model(t: Any) -> Any:
    """X for a field typed ``X | Deferred[X]`` (optionally ``| None``), else None."""
    if get_origin(t) not in (Union, UnionType):
        return None
    lazy = [a for a in get_args(t) if get_origin(a) is Deferred]
    return get_args(lazy[0])[0] if lazy else None


def _defer(model: Any, key: str, empty: Callable[[], Any]) -> Callable[[Any, Any], Any]:
    json_type, expected = (list, "an array") if get_origin(model) is tuple else (dict, "an object")

    def defer(value: Any, _: Any) -> Any:
        if value is None:
            return empty()
        if value.__class__ is not json_type:
            raise _WireTypeError(expected, value)
        return Deferred(value, _deferred_reader(model, _ROUTE.get(), key))

    return defer


#: One reader per part and route, shared by the Deferreds that read it (a poll makes
#: thousands): (model, route, key) -> reader. Routes can hold ids: emptied when full.
_READERS: dict[tuple[Any, str, str], Callable[[Any], Any]] = {}
_READERS_KEPT = 256


def _deferred_reader(model: Any, route: str, key: str) -> Callable[[Any], Any]:
    reader = _READERS.get((model, route, key))
    if reader is None:
        if len(_READERS) >= _READERS_KEPT:
            _READERS.clear()
        reader = _READERS[model, route, key] = partial(_read_deferred, model, route, key)
    return reader


def _read_deferred(model: type[T], route: str, key: str, raw: Any) -> T:
    try:
        return _converter.structure(raw, model)
    except Exception as exc:
        _raise_foreign(exc)
        raise ResponseValidationError(_describe(exc, model, f"$..{key}"), route=route) from exc


def _unstructure_deferred(value: Any, *, model: Any) -> Any:
    if isinstance(value, Deferred):
        return value.raw
    return None if value is None else _converter.unstructure(value, model)


def _structure_factory(cls: Any) -> Callable[[Any, Any], Any]:
    generated = make_dict_structure_fn(cls, _converter, **_renames(cls))
    if cls is Job:
        general = _envelope(generated, "job", frozenset({"attempts"}), required=True)

        def structure_job(value: Any, _: Any) -> Job:
            job = _read_job(value, _ROUTE.get())
            return job if job is not None else general(value, cls)

        return structure_job
    if cls is Attempt:
        return _envelope(generated, "attempt", frozenset({"logs"}), required=False, logs=True)

    def structure_object(value: Any, _: Any) -> Any:
        if value.__class__ is not dict:
            raise _WireTypeError("an object", value)
        return generated(value, cls)

    return structure_object


def _envelope(
    generated: Callable[[Any, Any], T],
    key: str,
    siblings: frozenset[str],
    *,
    required: bool,
    logs: bool = False,
) -> Callable[[Any, Any], T]:
    """
    Read a model whose fields sit in a sub-object *key*, with *siblings* beside it.

    ``{"job": {...}, "attempts": [...]}`` becomes one Job; ``{"attempt": {...}, "logs": {...},
    "logType": ...}`` one Attempt (with *logs*, ``logType`` moves into the logs). Without
    *required*, a bare object is read as it is.
    """

    def structure_enveloped(value: Any, cls: Any) -> T:
        if value.__class__ is not dict:
            raise _WireTypeError("an object", value)
        inner = value.get(key)
        if inner is None and not required:
            return generated(value, cls)
        if inner.__class__ is not dict:
            error = KeyError(key) if inner is None else _WireTypeError("an object", inner)
            error.__notes__ = [AttributeValidationNote(f"@ attribute {key}", key, cls)]
            raise ClassValidationError(f"While structuring {cls.__name__}", [error], cls)
        merged = dict(inner)
        for sibling in siblings:
            if sibling in value:
                merged[sibling] = value[sibling]
        log_type = value.get("logType") if logs else None
        if log_type is not None and merged.get("logs").__class__ is dict:
            merged["logs"] = {**merged["logs"], "logType": log_type}
        try:
            return generated(merged, cls)
        except ClassValidationError as exc:
            raise _rehome(exc, key, siblings) from None

    return structure_enveloped


# -- jobs, the fast way -----------------------------------------------------------------------
#
# A batch reads two jobs per sync (the trigger's answer, the final listing), tens of thousands
# in all: the generated hooks spend most of that time calling a hook per field. The readers
# below take the usual shape straight-line and give up (None) on anything else, which the
# generated hooks then read, or explain in their error; tests check that both agree.

_JOB_STATUSES: dict[Any, JobStatus] = JobStatus._value2member_map_  # type: ignore[assignment]
_JOB_TYPES: dict[Any, JobType] = JobType._value2member_map_  # type: ignore[assignment]
_ATTEMPT_STATUSES: dict[Any, AttemptStatus] = AttemptStatus._value2member_map_  # type: ignore[assignment]
_STATS_NAMES = {wire_name(AttemptStats, a.name): a.name for a in attrs.fields(AttemptStats)}


class _Unusual(ValueError):
    """Raised inside the fast readers: leave this one to the generated hooks."""


def _fast_epoch(value: Any) -> datetime:
    if value.__class__ is int:
        cached = _EPOCHS.get(value)
        if cached is not None:
            return cached
    return _structure_epoch(value, datetime)


def _fast_optional_epoch(value: Any) -> datetime | None:
    return None if value is None else _fast_epoch(value)


def _fast_stats(value: Any) -> AttemptStats | None:
    if value is None:
        return None
    if value.__class__ is not dict:
        raise _Unusual
    counts = {}
    for key, count in value.items():
        name = _STATS_NAMES.get(key)
        if name is not None and count is not None:
            if count.__class__ is not int:
                raise _Unusual
            counts[name] = count
    return AttemptStats(**counts)


def _fast_deferred(value: Any, model: Any, key: str, route: str) -> Any:
    if value is None:
        return ()  # every part read this way is a list, and null means none (see _empty_for_null)
    if value.__class__ is not list:
        raise _Unusual
    return Deferred(value, _deferred_reader(model, route, key))


def _fast_attempt(value: Any, route: str) -> Attempt:
    if value.__class__ is not dict:
        raise _Unusual
    inner = value.get("attempt")
    if inner is None:
        fields, logs = value, value.get("logs")
    elif inner.__class__ is dict:
        fields = inner
        logs = value["logs"] if "logs" in value else inner.get("logs")
        log_type = value.get("logType")
        if log_type is not None and logs.__class__ is dict:
            logs = {**logs, "logType": log_type}
    else:
        raise _Unusual
    number, summary = fields["id"], fields.get("failureSummary")
    records, size = fields.get("recordsSynced"), fields.get("bytesSynced")
    if number.__class__ is not int or not (
        (records is None or records.__class__ is int) and (size is None or size.__class__ is int)
    ):
        raise _Unusual
    extra: dict[str, Any] = {}
    if "streamStats" in fields:
        extra["stream_stats"] = _fast_deferred(
            fields["streamStats"], tuple[StreamAttemptStats, ...], "streamStats", route
        )
    if logs is not None:
        if logs.__class__ is not dict:
            raise _Unusual
        extra["logs"] = Deferred(logs, partial(_read_deferred, AttemptLogs, route, "logs"))
    return Attempt(
        id=number,
        status=_ATTEMPT_STATUSES[fields["status"]],
        created_at=_fast_epoch(fields["createdAt"]),
        updated_at=_fast_epoch(fields["updatedAt"]),
        ended_at=_fast_optional_epoch(fields.get("endedAt")),
        records_synced=records,
        bytes_synced=size,
        total_stats=_fast_stats(fields.get("totalStats")),
        failure_summary=None if summary is None else _converter.structure(summary, FailureSummary),
        **extra,
    )


def _read_job(value: Any, route: str) -> Job | None:
    """*value* (``{"job": {...}, "attempts": [...]}``) as a Job, or None when it is unusual."""
    try:
        fields = value["job"]
        number, config_id = fields["id"], fields["configId"]
        if number.__class__ is not int or config_id.__class__ is not str:
            return None
        attempts = value["attempts"] if "attempts" in value else fields.get("attempts", ())
        extra: dict[str, Any] = {}
        for key, name, model in _JOB_DEFERRED:
            if key in fields:
                extra[name] = _fast_deferred(fields[key], model, key, route)
        return Job(
            id=number,
            job_type=_JOB_TYPES[fields["configType"]],
            config_id=config_id,
            status=_JOB_STATUSES[fields["status"]],
            created_at=_fast_epoch(fields["createdAt"]),
            updated_at=_fast_epoch(fields["updatedAt"]),
            started_at=_fast_optional_epoch(fields.get("startedAt")),
            attempts=tuple([_fast_attempt(a, route) for a in attempts])
            if attempts.__class__ is list or attempts == ()
            else _unusual(),
            aggregated_stats=_fast_stats(fields.get("aggregatedStats")),
            **extra,
        )
    except Exception as exc:
        _raise_foreign(exc)
        return None


_JOB_DEFERRED = (
    ("streamAggregatedStats", "stream_aggregated_stats", tuple[StreamStats, ...]),
    ("enabledStreams", "enabled_streams", tuple[StreamDescriptor, ...]),
)


def _unusual() -> Any:
    raise _Unusual


def _unstructure_factory(cls: Any) -> Callable[[Any], dict[str, Any]]:
    names = _renames(cls)
    for field in _ALWAYS_WRITTEN.get(cls, ()):
        names[field] = override(rename=wire_name(cls, field), omit_if_default=False)
    generated = make_dict_unstructure_fn(cls, _converter, _cattrs_omit_if_default=True, **names)
    if cls is not Job:
        return generated

    def unstructure_job(job: Job) -> dict[str, Any]:
        # Back to the JobInfoRead shape it was read from: {"job": {...}, "attempts": [...]}.
        fields = generated(job)
        attempts = fields.pop("attempts", [])
        return {"job": fields, "attempts": attempts}

    return unstructure_job


def iso(value: datetime) -> str:
    """*value* as ISO-8601 text, the form the API and this package's JSON output use."""
    return value.isoformat()


def _unstructure_epoch(value: datetime) -> int:
    return int(value.timestamp())


def _identity(value: Any) -> Any:
    return value


def _unstructure_enum(value: enum.Enum | str) -> Any:
    # A member's value; a caller's plain string ("inactive") goes as it is, for the server
    # to take or refuse (422), as it would the member.
    return value._value_ if isinstance(value, enum.Enum) else value


# Registered in order from general to special: later registrations win.
_converter.register_structure_hook(str, _structure_str)
_converter.register_structure_hook(int, _structure_int)
_converter.register_structure_hook(float, _structure_float)
_converter.register_structure_hook(bool, _structure_bool)
# More specific than str in a StrEnum's MRO, so enums do not fall to the str hook.
_converter.register_structure_hook(OpenEnum, _structure_open_enum)
_converter.register_structure_hook(JobStatus, _structure_job_status)
_converter.register_structure_hook(datetime, _structure_epoch)
_converter.register_structure_hook(date, _structure_date)
_converter.register_structure_hook(IsoDateTime, _structure_iso)
_converter.register_unstructure_hook(datetime, _unstructure_epoch)
_converter.register_unstructure_hook(date, date.isoformat)
_converter.register_unstructure_hook(IsoDateTime, iso)
_converter.register_structure_hook_func(_is_json_object, _structure_object)
_converter.register_unstructure_hook_func(_is_json_object, _identity)
_converter.register_unstructure_hook(enum.Enum, _unstructure_enum)
_converter.register_unstructure_hook(enum.StrEnum, _unstructure_enum)
_converter.register_structure_hook_factory(_is_optional, _optional_hook)
_converter.register_structure_hook_factory(_is_homogeneous_tuple, _tuple_hook)
_converter.register_structure_hook_factory(attrs.has, _structure_factory)
_converter.register_unstructure_hook_factory(attrs.has, _unstructure_factory)


# -- public helpers ---------------------------------------------------------------------------


def structure(data: Any, cls: type[T], *, route: str = "") -> T:
    """
    Read decoded JSON *data* as a *cls*.

    Raises :class:`~airbyte_async.errors.ResponseValidationError` (and nothing else) when *data*
    does not fit: its message names *route* and the JSON path of each bad field (never a value,
    so no secret leaks into it), and the cattrs error is its ``__cause__``. Parts kept as
    :class:`~airbyte_async.models.Deferred` raise the same way when first read.
    """
    token = _ROUTE.set(route)
    try:
        return _converter.structure(data, cls)
    except Exception as exc:
        _raise_foreign(exc)
        raise ResponseValidationError(_describe(exc, cls), route=route) from exc
    finally:
        _ROUTE.reset(token)


def unstructure(obj: Any) -> dict[str, Any]:
    """
    Write an attrs instance as a JSON-ready dict, minimally.

    Fields left at their default are left out, so a request body carries only what was set.
    Opaque configuration is passed through as the same object.
    """
    result: dict[str, Any] = _converter.unstructure(obj)
    return result
