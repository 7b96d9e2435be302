"""
The public REST API (``/api/public/v1``), over the same :class:`State` as the Config API routes.

A job triggered here is the job ``jobs/list`` shows, and a connection created through either
API is one object. Shapes follow public-api-head.yaml; errors are RFC 9457 problems
(API-FACTS 6.4), sent as ``application/json`` as Airbyte's ``AbstractThrowableProblemHandler``
sends them, and as the real server's ``ConfigClientErrorHandler`` maps them (API-FACTS 6.3):
a trigger while a job runs is a 409 ``try-again-later``, and any ``IllegalStateException`` (a
sync of an inactive connection, head's sync that met a job not running yet) a 409
``state-conflict`` that says only "Could not fulfill request". Lists page by
``limit``/``offset`` and name the next page in ``next`` (an empty string when there is none),
built as ``PaginationMapper`` does: only ``jobType`` and the workspace or connection filter
are carried over, so a client must build its own pages to keep its other filters. A query
parameter Micronaut cannot convert to its argument's type is refused before the controller
runs, with Micronaut's own 400 body, not a problem (see :class:`Unconvertible`). The
application-token route stays with the Config API routes.
"""

from __future__ import annotations

import json
import re
from collections.abc import Awaitable, Callable, Iterable, Mapping, Sequence
from datetime import UTC, datetime
from operator import attrgetter
from typing import Any, TypeVar, overload
from urllib.parse import urlencode

import attrs
from aiohttp import web
from multidict import MultiMapping

from .._cron import CronError, parse
from . import _render as render
from ._catalog import DESTINATION_DEFINITIONS, SOURCE_DEFINITIONS, ConnectorDefinition, mask_secrets
from ._errors import ApiError, error_body, micronaut_body, unreadable
from ._load import Overloaded
from ._routes import Api, cancel, create_job, reset_job, run_job
from ._state import DEFAULT_ORGANIZATION_ID, Actor, Connection, Job, JobQuery, Workspace
from ._validate import (
    BOOL,
    MISSING,
    STR,
    UUID,
    UUID_TEXT,
    Arr,
    Enum,
    Obj,
    Shape,
    problems,
    read,
    read_datetime,
)

__all__ = [
    "PREFIX",
    "Problem",
    "PublicApi",
    "is_open",
    "public_route_key",
    "unexpected_problem",
]

PREFIX = "/public/v1"
#: The image of Connector Builder sources (``AirbyteCatalogConstants
#: .AIRBYTE_SOURCE_DECLARATIVE_MANIFEST_IMAGE``).
_DECLARATIVE_IMAGE = "airbyte/source-declarative-manifest"
_ERRORS = "https://reference.airbyte.com/reference/errors"
#: ``UnexpectedProblemResponse``'s detail (``api-problems.yaml``).
_UNEXPECTED = (
    "An unexpected problem has occurred. If this is an error that needs to be addressed, "
    "please submit a pull request or github issue."
)

Json = dict[str, Any]


class Problem(Exception):
    """An RFC 9457 problem answer (``BaseProblemFields``)."""

    def __init__(
        self, status: int, kind: str, title: str, detail: str, data: Json | None = None
    ) -> None:
        super().__init__(detail)
        self.status = status
        self.kind = kind
        self.title = title
        self.detail = detail
        self.data = data

    def body(self) -> Json:
        """The problem as JSON (Airbyte's carry ``documentationUrl``, null)."""
        body: Json = {
            "status": self.status,
            "type": self.kind,
            "title": self.title,
            "detail": self.detail,
            "documentationUrl": None,
        }
        if self.data is not None:
            body["data"] = self.data
        return body


def bad_request(message: str) -> Problem:
    """400 ``BadRequestProblem``."""
    detail = "The request could not be understood by the server due to malformed syntax."
    return Problem(400, f"{_ERRORS}#bad-request", "bad-request", detail, {"message": message})


def not_found(resource_type: str, resource_id: object) -> Problem:
    """
    ``ResourceNotFoundProblem``, which Airbyte answers with status 400, not 404
    (airbytehq/airbyte-platform ``api-problems.yaml``: its ``status`` is 400; earlier,
    ``ResourceNotFoundProblem`` was ``HttpStatus.BAD_REQUEST``).
    """
    data = {"resourceType": resource_type, "resourceId": str(resource_id)}
    return _resource_not_found(data)


def _resource_not_found(data: dict[str, str]) -> Problem:
    detail = "The requested resource could not be found."
    return Problem(400, f"{_ERRORS}#resource-not-found", "resource-not-found", detail, data)


#: The roles the public routes require (``AuthRoleConstants``).
_READER, _RUNNER, _EDITOR = "WORKSPACE_READER", "WORKSPACE_RUNNER", "WORKSPACE_EDITOR"


def forbidden(role: str | None) -> Problem:
    """
    403 ``ForbiddenProblem`` of ``RoleResolver.requireRole`` (api-problems.yaml), naming the
    *role*; None: of ``requireOneOfRoles``, which names none.
    """
    required = "required" if role is None else f"required {role}"
    message = f"Caller does not have the {required} permissions to access the resource(s)."
    kind = f"{_ERRORS}#forbidden"
    return Problem(403, kind, "forbidden", "The request is forbidden.", {"message": message})


#: The texts ``ConfigClientErrorHandler`` puts in place of an ``IllegalStateException``'s own.
_NOT_FULFILLED = "Could not fulfill request"
_JOB_NOT_RUNNING = "Job is not currently running"


def state_conflict(message: str) -> Problem:
    """409 ``StateConflictProblem``."""
    kind = f"{_ERRORS}#409-state-conflict"
    return Problem(409, kind, "state-conflict", "State conflict", {"message": message})


def try_again_later(message: str) -> Problem:
    """409 ``TryAgainLaterConflictProblem``: a sync or reset of a connection whose job runs."""
    kind = f"{_ERRORS}#try-again-later"
    return Problem(409, kind, "try-again-later", "Please try again later.", {"message": message})


def unprocessable(message: str) -> Problem:
    """422 ``UnprocessableEntityProblem``."""
    detail = "The body of the request was not understood"
    kind = f"{_ERRORS}#unprocessable-entity"
    return Problem(422, kind, "unprocessable-entity", detail, {"message": message})


@attrs.frozen
class Call:
    """One request to a public route: its path parameters, query and JSON body."""

    params: Mapping[str, str]
    query: MultiMapping[str]
    body: Any


Handler = Callable[["PublicApi", Call], Awaitable[Any]]
#: The check of one query parameter's conversion: why its text cannot be converted (the Java
#: exception's message), else None.
Conversion = Callable[[str], "str | None"]
H = TypeVar("H", bound=Handler)
T = TypeVar("T")


@attrs.frozen
class PublicRoute:
    """A public route: method, spec path (``/jobs/{jobId}``), its matcher and handler."""

    method: str
    path: str
    pattern: re.Pattern[str]
    handler: Handler
    status: int = 200
    #: Served without credentials (``security: []``).
    open: bool = False
    #: The query parameters the controller takes as other than strings, each with the check
    #: of its conversion (see :class:`Unconvertible`), in the controller's order.
    query: Mapping[str, Conversion] = attrs.field(factory=dict)


#: Every emulated public route, in registration order.
PUBLIC_ROUTES: list[PublicRoute] = []


def _pattern(path: str) -> re.Pattern[str]:
    return re.compile("^" + re.sub(r"\{(\w+)\}", r"(?P<\1>[^/]+)", path) + "$")


def public(
    method: str,
    path: str,
    *,
    status: int = 200,
    open: bool = False,
    query: Mapping[str, Conversion] | None = None,
) -> Callable[[H], H]:
    """
    Register the decorated handler for *method* on *path* (relative to ``/public/v1``); its
    typed *query* parameters are converted (checked) before it runs.
    """

    def register(handler: H) -> H:
        route = PublicRoute(method, path, _pattern(path), handler, status, open, query or {})
        PUBLIC_ROUTES.append(route)
        return handler

    return register


def _match(path: str) -> tuple[list[PublicRoute], dict[str, str]]:
    found: list[PublicRoute] = []
    params: dict[str, str] = {}
    for candidate in PUBLIC_ROUTES:
        if m := candidate.pattern.match(path):
            found.append(candidate)
            params = m.groupdict()
    return found, params


def is_open(route: str) -> bool:
    """True for a public route served without credentials (its spec path, as the key gives)."""
    return any(PREFIX + r.path == route and r.open for r in PUBLIC_ROUTES)


def public_route_key(route: str) -> str:
    """The spec path of a public request path: ``/public/v1/jobs/7`` becomes
    ``/public/v1/jobs/{jobId}``, so that stats and fault globs see one route per operation."""
    found, _ = _match(route.removeprefix(PREFIX))
    return PREFIX + found[0].path if found else route


# -- rendering ---------------------------------------------------------------------------------


def _instant(moment: float) -> str:
    """An epoch-second instant as Java's ``OffsetDateTime.toString`` prints it in UTC."""
    when = datetime.fromtimestamp(int(moment), UTC)
    text = when.strftime("%Y-%m-%dT%H:%M")
    return text + (f":{when.second:02d}Z" if when.second else "Z")


def _duration(seconds: int) -> str:
    """Java's ``Duration.ofSeconds(n).toString()``: ``PT1H2M3S``, ``PT0S``."""
    hours, rest = divmod(seconds, 3600)
    minutes, secs = divmod(rest, 60)
    text = "PT" + (f"{hours}H" if hours else "") + (f"{minutes}M" if minutes else "")
    return text + (f"{secs}S" if secs or not (hours or minutes) else "")


_TERMINAL = frozenset({"succeeded", "failed", "cancelled"})
#: The public ``JobTypeEnum`` of each job type the emulator makes (API-FACTS 7).
_JOB_TYPES = {"sync": "sync", "reset_connection": "reset", "clear": "clear", "refresh": "refresh"}


def job_response(j: Job, now: float, *, stats: bool = True) -> Json:
    """
    A JobResponse, as ``JobResponseMapper`` builds it from a job with its attempts. Rows and
    bytes come from the job's ``aggregatedStats`` (API-FACTS 3, item 4), which the trigger's
    and the cancel's ``JobInfoRead`` lack (``JobConverter.getJobRead`` never sets them):
    without *stats*, they are left out. With them, a job no attempt has run yet reads 0
    (``StatsAggregationHelper.hydrateWithAggregatedStats`` sums no streams' stats).
    """
    status = j.status(now)
    updated = int(j.updated_at(now))
    body: Json = {
        "jobId": j.job_id,
        "status": status,
        "jobType": _JOB_TYPES[j.config_type],
        "startTime": _instant(j.created_at),
        "connectionId": j.connection_id,
    }
    if status in _TERMINAL:
        body["lastUpdatedAt"] = _instant(updated)
    if status != "pending":
        body["duration"] = _duration(updated - int(j.created_at))
    if stats:
        counts = j.counts(now)
        body["bytesSynced"] = counts.bytes_committed
        body["rowsSynced"] = counts.records_committed
    return body


def _actor_type(d: ConnectorDefinition) -> str:
    return d.docker_repository.rsplit("/", 1)[-1].removeprefix(f"{d.kind}-")


def actor_response(a: Actor) -> Json:
    """A SourceResponse or DestinationResponse, secrets masked."""
    kind = a.definition.kind
    return {
        f"{kind}Id": a.actor_id,
        "name": a.name,
        f"{kind}Type": _actor_type(a.definition),
        "definitionId": a.definition.definition_id,
        "workspaceId": a.workspace_id,
        "configuration": mask_secrets(dict(a.config), a.definition.secret_paths),
        "createdAt": int(a.created_at),
    }


def workspace_response(w: Workspace) -> Json:
    """A WorkspaceResponse."""
    region = str(w.settings.get("defaultGeography", "auto"))
    return {
        "workspaceId": w.workspace_id,
        "name": w.name,
        "dataResidency": region,
        "notifications": {},
    }


# Config API (syncMode, destinationSyncMode) and the public ConnectionSyncModeEnum.
_SYNC_MODES = {
    ("full_refresh", "overwrite"): "full_refresh_overwrite",
    ("full_refresh", "overwrite_dedup"): "full_refresh_overwrite_deduped",
    ("full_refresh", "append"): "full_refresh_append",
    ("full_refresh", "update"): "full_refresh_update",
    ("full_refresh", "soft_delete"): "full_refresh_soft_delete",
    ("incremental", "append"): "incremental_append",
    ("incremental", "append_dedup"): "incremental_deduped_history",
    ("incremental", "update"): "incremental_update",
    ("incremental", "soft_delete"): "incremental_soft_delete",
}
_CONFIG_MODES = {public: pair for pair, public in _SYNC_MODES.items()}
# The pairs ConnectionReadMapper names when it reads a connection; others get no syncMode.
_READ_MODES = {
    pair: _SYNC_MODES[pair]
    for pair in (
        ("full_refresh", "overwrite"),
        ("full_refresh", "append"),
        ("full_refresh", "overwrite_dedup"),
        ("incremental", "append"),
        ("incremental", "append_dedup"),
    )
}
# The pairs GET /streams names, in its order (StreamsController.getValidSyncModes).
_STREAM_MODES = (
    ("full_refresh", "append"),
    ("full_refresh", "overwrite"),
    ("incremental", "append"),
    ("incremental", "append_dedup"),
)
_NAMESPACES = {"source": "source", "destination": "destination", "customformat": "custom_format"}
_CONFIG_NAMESPACES = {v: k for k, v in _NAMESPACES.items()}
_PREFERENCES = {
    "ignore": "ignore",
    "disable": "disable_connection",
    "propagate_columns": "propagate_columns",
    "propagate_fully": "propagate_fully",
}
_CONFIG_PREFERENCES = {v: k for k, v in _PREFERENCES.items()}


def _configurations(catalog: Mapping[str, Any]) -> Json:
    """The catalog's streams as ``ConnectionReadMapper`` lists them: the server stores the
    selected streams only (``CatalogConverter.toConfiguredInternal``), each without its
    namespace, with the joined sync mode where one of the five known pairs fits."""
    streams = []
    for pair in catalog.get("streams", ()):
        stream, config = pair.get("stream") or {}, pair.get("config") or {}
        if not config.get("selected", True):
            continue
        entry: Json = {"name": stream["name"]}
        mode = _READ_MODES.get(
            (str(config.get("syncMode")), str(config.get("destinationSyncMode")))
        )
        if mode is not None:
            entry["syncMode"] = mode
        entry["cursorField"] = list(config.get("cursorField") or [])
        entry["primaryKey"] = [list(k) for k in config.get("primaryKey") or []]
        entry["selectedFields"] = list(config.get("selectedFields") or [])
        if config.get("mappers") is not None:
            entry["mappers"] = list(config["mappers"])
        streams.append(entry)
    return {"streams": streams}


def _schedule(c: Connection) -> Json:
    """A ConnectionScheduleResponse: a cron expression carries its time zone after a space, a
    basic schedule reads ``Every 6 HOURS`` (``ConnectionReadMapper``)."""
    data = c.schedule_data or {}
    body: Json = {"scheduleType": c.schedule_type}
    if cron := data.get("cron"):
        body["cronExpression"] = f"{cron['cronExpression']} {cron['cronTimeZone']}"
    if c.schedule_type == "basic" and (basic := data.get("basicSchedule")):
        body["basicTiming"] = f"Every {basic['units']} {str(basic['timeUnit']).upper()}"
    return body


def connection_response(c: Connection) -> Json:
    """A ConnectionResponse."""
    settings = c.settings
    body: Json = {
        "connectionId": c.connection_id,
        "name": c.name,
        "sourceId": c.source_id,
        "destinationId": c.destination_id,
        "workspaceId": c.workspace_id,
        "status": c.status,
        "schedule": _schedule(c),
        "nonBreakingSchemaUpdatesBehavior": _PREFERENCES.get(
            settings.get("nonBreakingChangesPreference", "ignore"), "ignore"
        ),
        "namespaceDefinition": _NAMESPACES.get(
            settings.get("namespaceDefinition", "destination"), "destination"
        ),
        "configurations": _configurations(c.sync_catalog),
        "createdAt": int(c.created_at),
        "tags": list(settings.get("tags", ())),
    }
    for key in ("namespaceFormat", "prefix"):
        if settings.get(key) is not None:
            body[key] = settings[key]
    return body


# -- request shapes ------------------------------------------------------------------------------

_QUARTZ_FORMAT = (
    "https://www.quartz-scheduler.org/documentation/quartz-2.3.0/tutorials/crontrigger.html"
)


def _checked_cron(sent: str) -> str:
    """
    The expression *sent* as a public create or patch stores it, checked as
    ``AirbyteCatalogHelper.validateCronConfiguration`` checks it (400 ``BadRequestProblem``s).

    An expression ending in ``UTC`` loses every ``UTC`` in it, then surrounding blanks; any other
    zone stays in, to be read as a field and refused. What cron-utils cannot read is "not valid.
    Error: ...", the error text being this emulator's own (:func:`parse`, which also refuses
    what Quartz would). The seconds field must then be a plain number, and so must the minutes
    of an expression with a year: the rule counts cron-utils' fields, so six fields firing every
    minute pass. The messages quote the expression as sent.
    """
    expression = sent.replace("UTC", "").strip() if sent.endswith("UTC") else sent
    try:
        parse(expression)
    except CronError as error:
        raise bad_request(
            f"The cron expression {sent} is not valid. Error: {error}. Please check the cron "
            f"expression format at {_QUARTZ_FORMAT}"
        ) from None
    fields = expression.split()
    fixed = fields[:2] if len(fields) == 7 else fields[:1]
    if not all(f.isascii() and f.isdigit() for f in fixed):
        raise bad_request(
            f"The cron expression {sent} is not valid or is less than the one hour minimum. "
            "The seconds and minutes values cannot be `*`."
        )
    return expression


# -- stream configurations, as AirbyteCatalogHelper checks and maps them -----------------------
#
# airbytehq/airbyte-platform @6768a528, airbyte-server/.../publicapi/helpers/
# AirbyteCatalogHelper.kt: getValidConfiguredStreams takes each stream sent in turn: it finds
# the discovered stream, validateStreamConfig checks it (validateFieldSelection, the mode,
# validateCursorField, validatePrimaryKey), toAirbyteStreamConfiguration maps it, then a second
# entry for the same stream is refused. Every refusal is a 400 BadRequestProblem.

_STREAM_PROPERTIES = "https://reference.airbyte.com/reference/getstreamproperties"
# The modes whose selected fields must hold the key, and those that need a cursor.
_KEYED_MODES = frozenset(
    {
        "incremental_deduped_history",
        "full_refresh_overwrite_deduped",
        "incremental_update",
        "full_refresh_update",
    }
)
_INCREMENTAL_MODES = frozenset(
    {
        "incremental_deduped_history",
        "incremental_append",
        "incremental_update",
        "incremental_soft_delete",
    }
)


def _kotlin(value: Any) -> str:
    """*value* as Kotlin prints it: lists (nested too) as ``[[id], [updated_at]]``, null."""
    if isinstance(value, list | tuple):
        return f"[{', '.join(_kotlin(v) for v in value)}]"
    return "null" if value is None else str(value)


def _stream_fields(schema: Mapping[str, Any]) -> list[list[str]]:
    """Every field path of a JSON schema, each nested one after its parent
    (``getStreamFields``): the cursors and key parts a stream accepts."""
    found: list[list[str]] = []
    for name, nested in (schema.get("properties") or {}).items():
        found.append([name])
        if isinstance(nested, Mapping):
            found += [[name, *path] for path in _stream_fields(nested)]
    return found


def _selected_cursor(stream: Mapping[str, Any], chosen: Json) -> list[str]:
    """``selectCursorField``: the source's cursor when it defines one, else the one sent, else
    the source's default."""
    if not stream.get("sourceDefinedCursor") and chosen.get("cursorField"):
        return list(chosen["cursorField"])
    return list(stream.get("defaultCursorField") or [])


def _selected_key(stream: Mapping[str, Any], chosen: Json) -> list[list[str]]:
    """``selectPrimaryKey``: the source's key when it defines one, else the one sent."""
    return [
        list(k) for k in stream.get("sourceDefinedPrimaryKey") or chosen.get("primaryKey") or []
    ]


def _find_stream(catalog: Mapping[str, Any], name: str, namespace: str | None) -> Json:
    """The discovered stream and config a stream sent names
    (``findAndValidateCatalogStreamAndConfiguration``): by name, else by name and namespace."""
    named = [p for p in catalog["streams"] if p["stream"]["name"] == name]
    if len(named) != 1:
        named = [p for p in named if p["stream"].get("namespace") == namespace]
    if len(named) == 1:
        return dict(named[0])
    found = "Multiple streams found" if named else "No streams found"
    raise bad_request(
        f"{found} with name [{name}] and namespace [{_kotlin(namespace)}]. Please call the "
        f"{_STREAM_PROPERTIES} endpoint to see the valid stream name and namespace combinations."
    )


def _check_field_selection(stream: Mapping[str, Any], chosen: Json) -> None:
    """
    Refuse a field selection as ``validateFieldSelection`` does: none, an empty or nested
    path, a field twice, one the stream lacks, and (for the modes that need them) a selection
    without the key's or the cursor's top-level field, as :func:`_selected_key` and
    :func:`_selected_cursor` choose them.
    """
    if chosen.get("selectedFields") is None:
        return
    name = stream["name"]
    known = list(stream.get("jsonSchema", {}).get("properties", {}))
    if not chosen["selectedFields"]:
        raise bad_request(
            f"No fields selected for stream {name}. The list of valid field names includes: "
            f"{_kotlin(known)}."
        )
    paths = [list(s.get("fieldPath") or []) for s in chosen["selectedFields"]]
    if not all(paths):
        raise bad_request(f"Selected field path cannot be empty for stream:  {name}.")
    if any(len(path) > 1 for path in paths):
        raise bad_request(f"Nested field selection not supported for stream {name}.")
    fields = [path[0] for path in paths]
    if len(set(fields)) != len(fields):
        raise bad_request(f"Duplicate fields selected in configuration for stream: {name}.")
    if not set(fields) <= set(known):
        raise bad_request(
            f"Invalid fields selected for stream {name}. The list of valid field names "
            f"includes: {_kotlin(known)}."
        )
    mode = chosen.get("syncMode")
    key_fields = {part[0] for part in _selected_key(stream, chosen) if part}
    if mode in _KEYED_MODES and not key_fields <= set(fields):
        raise bad_request(
            f"Primary key fields are not selected properly for stream: {name}. Please include "
            "primary key(s) in the configuration for this stream."
        )
    cursor = _selected_cursor(stream, chosen)
    if mode in _INCREMENTAL_MODES and cursor and cursor[0] not in fields:
        raise bad_request(
            f"Cursor field is not selected properly for stream: {name}. Please include the "
            "cursor field in selected fields for this stream."
        )


def _valid_modes(stream: Mapping[str, Any], destination_modes: Iterable[str]) -> list[str]:
    """``validCombinedSyncModes``: each pair of a read mode the stream supports and a write
    mode the destination supports that ``ConnectionReadMapper`` names (five pairs)."""
    pairs = [(s, d) for s in stream["supportedSyncModes"] for d in destination_modes]
    return list(dict.fromkeys(_READ_MODES[p] for p in pairs if p in _READ_MODES))


def _check_cursor(sent: list[str] | None, stream: Mapping[str, Any]) -> None:
    """``validateCursorField``: a source-defined cursor must not be replaced; else the cursor
    sent must be a field of the stream, and one must be sent when the source has no default."""
    name, default = stream["name"], stream.get("defaultCursorField") or []
    if stream.get("sourceDefinedCursor"):
        if sent and set(sent) != set(default):
            raise bad_request(
                f"Cursor Field {_kotlin(sent)} is already defined by source for stream: {name}. "
                "Do not include a cursor field configuration for this stream."
            )
    elif sent:
        valid = _stream_fields(stream.get("jsonSchema") or {})
        if list(sent) not in valid:
            raise bad_request(
                f"Invalid cursor field for stream: {name}. The list of valid cursor fields "
                f"include: {_kotlin(valid)}."
            )
    elif not default:
        raise bad_request(
            f"No default cursor field for stream: {name}. Please include a cursor field "
            "configuration for this stream."
        )


def _check_key(sent: list[list[str]] | None, stream: Mapping[str, Any]) -> None:
    """``validatePrimaryKey``: a source-defined key must not be replaced; without one a key
    must be sent, each part a field of the stream, named once."""
    name, defined = stream["name"], stream.get("sourceDefinedPrimaryKey") or []
    if defined and sent and [list(k) for k in sent] != defined:
        raise bad_request(
            f"Primary key for stream: {name} is already pre-defined. Please remove the "
            f"primaryKey or provide the value as {_kotlin(defined)}."
        )
    if not defined and not sent:
        raise bad_request(
            f"No default primary key for stream: {name}. Please include a primary key "
            "configuration for this stream."
        )
    valid = _stream_fields(stream.get("jsonSchema") or {})
    for part in sent or []:
        if list(part) not in valid:
            raise bad_request(
                f"Invalid primary key for stream: {name}. The list of valid primary keys "
                f"fields: {_kotlin(valid)}."
            )
        if len(set(part)) != len(part):
            raise bad_request(
                f"Duplicate primary key detected for stream: {name}, please don't provide the "
                f"same column more than once. Key: {_kotlin(sent)}"
            )


def _check_stream(
    chosen: Json, destination_modes: Iterable[str], stream: Mapping[str, Any]
) -> None:
    """
    ``validateStreamConfig``: the field selection; then, for a mode other than
    ``full_refresh_overwrite`` (the default), that the stream and the destination support
    it, with the cursor checked for incremental modes and the key for the deduped one.

    The list of valid modes is printed from a Kotlin ``HashSet`` of enums, whose order varies
    from one server run to the next; here it is in the order the pairs are tried.
    """
    _check_field_selection(stream, chosen)
    mode = chosen.get("syncMode")
    if mode is None or mode == "full_refresh_overwrite":
        return
    valid = _valid_modes(stream, destination_modes)
    if mode not in valid:
        raise bad_request(
            f"Cannot set sync mode to {mode} for stream {chosen['name']}. Valid sync modes are: "
            f"{_kotlin(valid)}"
        )
    if mode in ("incremental_append", "incremental_deduped_history"):
        _check_cursor(chosen.get("cursorField"), stream)
    if mode in ("incremental_deduped_history", "full_refresh_update", "incremental_update"):
        _check_key(chosen.get("primaryKey"), stream)


def _configure(pair: Mapping[str, Any], chosen: Json) -> Json:
    """
    The config ``toAirbyteStreamConfiguration`` stores for *chosen*: incremental modes take
    the cursor :func:`_selected_cursor` picks, the keyed and incremental ones the key
    :func:`_selected_key` picks; the others keep the discovered cursor and key, whatever was
    sent. What the stream leaves out (fields, mappers, files, table name) stays as discovered.
    """
    stream, config = pair["stream"], dict(pair["config"])
    mode = chosen.get("syncMode") or "full_refresh_overwrite"
    sync, destination = _CONFIG_MODES[mode]
    config |= {"selected": True, "syncMode": sync, "destinationSyncMode": destination}
    if mode in _INCREMENTAL_MODES:
        config["cursorField"] = _selected_cursor(stream, chosen)
    if mode in _INCREMENTAL_MODES or mode in _KEYED_MODES:
        config["primaryKey"] = _selected_key(stream, chosen)
    if chosen.get("selectedFields") is not None:
        config |= {"fieldSelectionEnabled": True, "selectedFields": chosen["selectedFields"]}
    for key in ("mappers", "includeFiles", "destinationObjectName"):
        if chosen.get(key) is not None:
            config[key] = chosen[key]
    return config


_SCHEDULE = Obj(
    {"scheduleType": Enum(frozenset({"manual", "cron"})), "cronExpression": STR},
    frozenset({"scheduleType"}),
)
_STREAM = Obj(
    {
        "name": STR,
        "namespace": STR,
        "syncMode": Enum(frozenset(_CONFIG_MODES)),
        "cursorField": Arr(STR),
        "primaryKey": Arr(Arr(STR)),
        "selectedFields": Arr(Obj({"fieldPath": Arr(STR)})),
        "mappers": Arr(
            Obj(
                {"id": UUID, "type": STR, "mapperConfiguration": Obj()},
                frozenset({"type", "mapperConfiguration"}),
            )
        ),
        "includeFiles": BOOL,
        "destinationObjectName": STR,
    },
    frozenset({"name"}),
)
_CONNECTION_FIELDS: dict[str, Shape] = {
    "name": STR,
    "configurations": Obj({"streams": Arr(_STREAM)}),
    "schedule": _SCHEDULE,
    "namespaceDefinition": Enum(frozenset(_CONFIG_NAMESPACES)),
    "namespaceFormat": STR,
    "prefix": STR,
    "nonBreakingSchemaUpdatesBehavior": Enum(frozenset(_CONFIG_PREFERENCES)),
    "status": Enum(frozenset({"active", "inactive", "deprecated", "locked"})),
}
_SHAPES: dict[tuple[str, str], Obj] = {
    ("POST", "/jobs"): Obj(
        # ``format: UUID`` (upper case) is no format openapi-generator knows: a String, which
        # the controller reads with UUID.fromString.
        {
            "jobType": Enum(frozenset({"sync", "reset", "refresh", "clear"})),
            "connectionId": UUID_TEXT,
        },
        frozenset({"jobType", "connectionId"}),
    ),
    ("POST", "/connections"): Obj(
        {**_CONNECTION_FIELDS, "sourceId": UUID, "destinationId": UUID},
        frozenset({"sourceId", "destinationId"}),
    ),
    ("PATCH", "/connections/{connectionId}"): Obj(_CONNECTION_FIELDS),
}
# Before head, ConnectionStatus has no ``locked`` (37d38e81; API-FACTS 5).
_CONNECTION_FIELDS_2_0 = {
    **_CONNECTION_FIELDS,
    "status": Enum(frozenset({"active", "inactive", "deprecated"})),
}
_SHAPES_2_0: dict[tuple[str, str], Obj] = {
    ("POST", "/connections"): Obj(
        {**_CONNECTION_FIELDS_2_0, "sourceId": UUID, "destinationId": UUID},
        frozenset({"sourceId", "destinationId"}),
    ),
    ("PATCH", "/connections/{connectionId}"): Obj(_CONNECTION_FIELDS_2_0),
}
for _kind in ("source", "destination"):
    _SHAPES[("POST", f"/{_kind}s")] = Obj(
        {"name": STR, "workspaceId": UUID, "definitionId": UUID, "configuration": Obj()},
        frozenset({"name", "workspaceId", "configuration"}),
    )
    _SHAPES[("PATCH", f"/{_kind}s/{{{_kind}Id}}")] = Obj({"name": STR, "configuration": Obj()})
    _SHAPES[("PUT", f"/{_kind}s/{{{_kind}Id}}")] = Obj(
        {"name": STR, "configuration": Obj()}, frozenset({"name", "configuration"})
    )


_SHAPES[("POST", "/workspaces")] = Obj(
    {"name": STR, "organizationId": UUID, "regionId": UUID, "notifications": Obj()},
    frozenset({"name"}),
)


#: What :func:`problems` says of a ``uuid-text`` that is no UUID.
_NOT_UUID_TEXT = f"must be a {UUID_TEXT.kind}"


def _check_body(route: PublicRoute, raw: bytes, parsed: Any, version: str) -> Any:
    """
    The body of *route* as the controller gets it, or the error of what stops it before.

    A body Jackson cannot read into the request's types (a value of the wrong type, an enum
    value the spec does not list, such as an unknown ``jobType``) never reaches the controller:
    ``InvalidJsonInputExceptionHandler`` answers 422 with the Config API's body for the version
    (head ``{errorId}``; API-FACTS 6.2), an :class:`ApiError` here, not a problem. A body that
    is missing, not JSON or lacks a required field, or a ``uuid-text`` (a String, which Jackson
    reads whatever it holds) that is no UUID, is a 400 ``bad-request`` problem (the emulator's
    own reading).
    """
    key = (route.method, route.path)
    shape = _SHAPES_2_0.get(key) if version != "head" else None
    shape = shape or _SHAPES.get(key)
    if shape is None:
        return None
    if not raw or parsed is None:
        raise bad_request("Required request body is missing or is not JSON")
    wrong = problems(shape, parsed)
    if mistyped := [p for p in wrong if p[1] not in (MISSING, _NOT_UUID_TEXT)]:
        raise unreadable(mistyped)
    if wrong:
        raise bad_request("; ".join(f"{path} {message}" for path, message in wrong))
    return read(shape, parsed)


# -- query parameters ----------------------------------------------------------------------------
#
# Micronaut binds a controller's arguments before the controller runs; a query parameter it
# cannot convert to its argument's type is a ConversionErrorException, which its own
# ConversionErrorHandler answers (airbyte-server registers no handler of its own for it): a 400
# with Micronaut's JSON error body, not a problem (micronaut-core ``ConversionErrorHandler``,
# ``DefaultJsonErrorResponseBodyProvider``). Each check below says why a text does not
# convert, with the message of the Java exception behind it. Strings (``connectionId``,
# ``orderBy``, ``sourceId``) are checked by the controllers themselves.


class Unconvertible(Exception):
    """A query parameter Micronaut could not convert: ``Failed to convert argument [<name>]
    for value [<value>] due to: <cause>`` in a 400 :func:`micronaut_body`, whose error's
    path names the argument (``/limit``)."""

    def __init__(self, name: str, value: str, cause: str) -> None:
        super().__init__(f"Failed to convert argument [{name}] for value [{value}] due to: {cause}")
        self.name = name

    def response(self, href: str) -> web.Response:
        """The 400 answer; *href* is the request's URI, path and query."""
        body = micronaut_body("Bad Request", href, (str(self), f"/{self.name}"))
        return web.Response(
            body=json.dumps(body).encode(), status=400, content_type="application/json"
        )


def _int32(text: str) -> str | None:
    """``Integer.valueOf``: a sign and ASCII digits, within 32 bits (NumberFormatException)."""
    if re.fullmatch(r"[+-]?[0-9]+", text) and -(2**31) <= int(text) < 2**31:
        return None
    return f'For input string: "{text}"'


#: The form ``UUID.fromString`` reads (Java also takes groups of fewer digits, which no client
#: sends, and which this emulator refuses).
_UUID_FORM = re.compile(
    r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}"
)


def _uuids(text: str) -> str | None:
    """A ``List<UUID>``: comma-separated ``UUID.fromString`` forms (IllegalArgumentException)."""
    for item in text.split(","):
        if item and not _UUID_FORM.fullmatch(item):
            return "UUID string too large" if len(item) > 36 else f"Invalid UUID string: {item}"
    return None


def _date_time(text: str) -> str | None:
    """An ``OffsetDateTime`` (``ISO_OFFSET_DATE_TIME``; DateTimeParseException, whose "at index
    N" is left out)."""
    return None if read_datetime(text) is not None else f"Text '{text}' could not be parsed"


def _boolean(text: str) -> str | None:
    """A ``Boolean``: never refused (Micronaut's converter reads yes, y, on and true, in any
    case, as true and anything else as false: see :func:`_flag`)."""
    return None


def _enum(name: str, values: Iterable[str]) -> Conversion:
    """One of *values*, the public spec's enum *name* (IllegalArgumentException)."""
    allowed = frozenset(values)

    def check(text: str) -> str | None:
        return None if text in allowed else f"No enum constant {name}.{text}"

    return check


def _unconvertible(route: PublicRoute, query: MultiMapping[str]) -> Unconvertible | None:
    """The first of *route*'s typed query parameters in *query* that does not convert."""
    for name, conversion in route.query.items():
        for value in query.getall(name, ()):
            if (cause := conversion(value)) is not None:
                return Unconvertible(name, value, cause)
    return None


@overload
def _as_id(text: str) -> str: ...
@overload
def _as_id(text: None) -> None: ...
def _as_id(text: str | None) -> str | None:
    """
    An id a controller reads with ``UUID.fromString`` (a path's, a String query parameter's
    or body field's): in lower case when it is a UUID, either case naming one object, as
    ``UUID.toString`` writes it; anything else as sent, for the look-up to find nothing.
    """
    return text.lower() if text is not None and _UUID_FORM.fullmatch(text) else text


def _ids(query: MultiMapping[str], name: str) -> list[str] | None:
    """An array of ids, repeated or comma-separated (``uuidListToQueryString``), converted (so
    in lower case: ``UUID.fromString`` reads either case); None when none is given."""
    values = [v.lower() for raw in query.getall(name, ()) for v in raw.split(",") if v]
    return values or None


def _int(query: MultiMapping[str], name: str, default: int, low: int, high: int) -> int:
    """A converted whole number, refused outside *low* to *high* (the spec's bounds)."""
    text = query.get(name)
    if text is None:
        return default
    value = int(text)
    if not low <= value <= high:
        raise bad_request(f"{name} must be between {low} and {high}")
    return value


def _flag(query: MultiMapping[str], name: str) -> bool:
    """A ``Boolean`` as Micronaut converts it (micronaut-core ``DefaultMutableConversionService``,
    String to Boolean): yes, y, on or true in any case; anything else, false."""
    return query.get(name, "false").lower() in ("yes", "y", "on", "true")


def _when(query: MultiMapping[str], name: str) -> float | None:
    """A converted date-time, as epoch seconds."""
    text = query.get(name)
    parsed = None if text is None else read_datetime(text)
    return None if parsed is None else parsed.timestamp()


def _choice(query: MultiMapping[str], name: str, allowed: Iterable[str]) -> str | None:
    text = query.get(name)
    if text is not None and text not in allowed:
        raise bad_request(f"{name} must be one of {sorted(allowed)}")
    return text


@attrs.frozen
class _Page:
    limit: int
    offset: int

    @classmethod
    def of(cls, query: MultiMapping[str]) -> _Page:
        return cls(_int(query, "limit", 20, 1, 100), _int(query, "offset", 0, 0, 2**31 - 1))

    def cut(self, items: Sequence[Any]) -> list[Any]:
        """This page of *items*."""
        return list(items[self.offset : self.offset + self.limit])


#: ``JobsHelper.orderByToFieldAndMethod``'s pattern, which it looks for anywhere in ``orderBy``
#: (``Matcher.find``): text around it is ignored.
_ORDER = re.compile(r"([a-zA-Z0-9]+)\|(ASC|DESC)")
#: The fields of ``OrderByFieldEnum`` as ``toEnum`` compares names: in lower case, without
#: punctuation (``normalizeName``); True for ``UPDATED_AT``.
_ORDER_FIELDS = {"createdat": False, "updatedat": True}


def _order_by(text: str | None) -> tuple[bool, bool]:
    """
    Whether ``orderBy`` sorts by update time, and whether descending: ``createdAt|ASC`` when
    absent. As ``JobsHelper.orderByToFieldAndMethod`` reads it (airbytehq/airbyte-platform
    @52d62597 ``airbyte-server/.../publicapi/helpers/JobsHelper.kt``): the first
    ``<field>|ASC`` or ``<field>|DESC`` found anywhere in it (``createdAt|DESCENDING`` is
    descending), the field in any case and punctuation (``Enums.kt`` @df62c230 ``toEnum`` and
    ``normalizeName``: ``createdat`` is ``createdAt``), the method in upper case; anything
    else a 400 ``BadRequestProblem`` "Invalid order by clause provided: <orderBy>".
    """
    if text is None:
        return False, False
    found = _ORDER.search(text)
    field = _ORDER_FIELDS.get(found.group(1).lower()) if found else None
    if found is None or field is None:
        raise bad_request(f"Invalid order by clause provided: {text}")
    return field, found.group(2) == "DESC"


_JOB_TYPES_ASKED = ("sync", "reset", "refresh", "clear")
_JOB_STATUSES = ("pending", "queued", "running", "incomplete", "failed", "succeeded", "cancelled")

# The typed query parameters of each listing, in the controllers' (the spec's) order.
_LISTING_QUERY: dict[str, Conversion] = {
    "workspaceIds": _uuids,
    "includeDeleted": _boolean,
    "limit": _int32,
    "offset": _int32,
}
_CONNECTIONS_QUERY: dict[str, Conversion] = {
    "workspaceIds": _uuids,
    "tagIds": _uuids,
    "includeDeleted": _boolean,
    "limit": _int32,
    "offset": _int32,
}
_JOBS_QUERY: dict[str, Conversion] = {
    "limit": _int32,
    "offset": _int32,
    "jobType": _enum("JobTypeEnum", _JOB_TYPES_ASKED),
    "workspaceIds": _uuids,
    "status": _enum("JobStatusEnum", _JOB_STATUSES),
    "createdAtStart": _date_time,
    "createdAtEnd": _date_time,
    "updatedAtStart": _date_time,
    "updatedAtEnd": _date_time,
}


# -- the routes ----------------------------------------------------------------------------------


@attrs.define
class PublicApi:
    """The public routes, sharing the Config API routes' :class:`Api` and its state."""

    api: Api

    async def handle(self, request: web.Request, raw: bytes, parsed: Any) -> web.Response | None:
        """Answer a request under ``/api/public/v1``; None when no public route has its path."""
        path = request.path.removeprefix("/api").removeprefix(PREFIX).rstrip("/") or "/"
        found, params = _match(path)
        if not found:
            return None
        chosen = next((r for r in found if r.method == request.method), None)
        if chosen is None:
            allowed = ", ".join(r.method for r in found)
            response = _problem_response(
                Problem(
                    405,
                    f"{_ERRORS}#method-not-allowed",
                    "method-not-allowed",
                    f"Allowed: {allowed}",
                )
            )
            response.headers["Allow"] = allowed
            return response
        if (unconvertible := _unconvertible(chosen, request.query)) is not None:
            return unconvertible.response(request.raw_path)
        try:
            body = _check_body(chosen, raw, parsed, self.api.version)
        except ApiError as error:
            return web.Response(
                body=json.dumps(error_body(error, self.api.version)).encode(),
                status=error.status,
                content_type="application/json",
            )
        except Problem as problem:
            return _problem_response(problem)
        try:
            ids = {name: _as_id(value) for name, value in params.items()}
            answer = await chosen.handler(self, Call(ids, request.query, body))
        except Problem as problem:
            return _problem_response(problem)
        except ApiError as error:
            return _problem_response(_from_config_error(error))
        if answer is None:
            return web.Response(status=chosen.status)
        if isinstance(answer, web.Response):
            return answer
        return web.Response(
            body=json.dumps(answer).encode(), status=chosen.status, content_type="application/json"
        )

    @property
    def _now(self) -> float:
        return self.api.now

    def _list(self, route: str, chosen: list[Any], page: _Page, carried: Mapping[str, Any]) -> Json:
        """A ``{data, next, previous}`` page of *chosen* (the page's items), with the links
        ``PaginationMapper`` builds."""
        base = f"{self.api.base_url}/api{PREFIX}{route}?"
        kept = [(k, v) for k, v in carried.items() if v is not None]
        next_url = previous = ""
        if chosen and len(chosen) >= page.limit:
            next_url = base + urlencode(
                [*kept, ("limit", page.limit), ("offset", page.offset + page.limit)]
            )
        if page.offset:
            back = max(page.offset - page.limit, 0)
            previous = base + urlencode([*kept, ("limit", page.limit), ("offset", back)])
        return {"data": chosen, "next": next_url, "previous": previous}

    def _workspace_page(
        self,
        route: str,
        found: list[T],
        render: Callable[[T], Json],
        call: Call,
        wanted: list[str] | None,
        deleted: bool,
    ) -> Json:
        """A page of a listing by workspace, *found* in the order a table scan finds them
        (``State.scan_order``: no ``ORDER BY``); its links carry ``workspaceIds`` when some
        were asked for, and ``includeDeleted`` always (``WorkspacesResponseMapper``,
        ``ConnectionsResponseMapper``, ``SourcesResponseMapper``)."""
        page = _Page.of(call.query)
        joined = None if wanted is None else ",".join(wanted)
        chosen = [render(item) for item in page.cut(found)]
        carried = {"workspaceIds": joined, "includeDeleted": "true" if deleted else "false"}
        return self._list(route, chosen, page, carried)

    @public("GET", "/health", open=True)
    async def health(self, call: Call) -> None:
        """200 with no body, to anyone (``getHealthCheck``, ``security: []``)."""

    # -- workspaces ----------------------------------------------------------------------------

    @public("GET", "/workspaces", query=_LISTING_QUERY)
    async def workspaces_list(self, call: Call) -> Json:
        """WorkspacesResponse: the named workspaces (all when none are named)."""
        wanted = _ids(call.query, "workspaceIds")
        deleted = _flag(call.query, "includeDeleted")
        found = [
            w
            for w in self.api.state.workspaces.values()
            if (deleted or not w.tombstone) and (wanted is None or w.workspace_id in wanted)
        ]
        found = self.api.state.scan_order(found, attrgetter("workspace_id"))
        return self._workspace_page("/workspaces", found, workspace_response, call, wanted, deleted)

    @public("GET", "/workspaces/{workspaceId}")
    async def workspaces_get(self, call: Call) -> Json:
        """WorkspaceResponse."""
        return workspace_response(self._workspace(call.params["workspaceId"], _READER))

    @public("POST", "/workspaces")
    async def workspaces_create(self, call: Call) -> Json:
        """
        WorkspaceResponse of a new workspace, in the default organization whatever
        ``organizationId`` says, as self-managed Airbyte files it
        (airbytehq/airbyte-platform ``WorkspaceServiceImpl.createWorkspace`` at ``4ab2909f``:
        "For now this should always be true in OSS"), its setup not complete
        (``WorkspacesHandler.createWorkspace``).
        """
        created = self.api.state.create_workspace(
            call.body["name"], organization_id=DEFAULT_ORGANIZATION_ID, initial_setup_complete=False
        )
        return workspace_response(created)

    def _workspace(self, workspace_id: str, role: str | None = None) -> Workspace:
        """The workspace *workspace_id*; one that does not exist is a resource-not-found, or for
        a route that requires a *role*, a 403 to anyone but an instance admin (see
        :meth:`_connection`)."""
        found = self.api.state.workspaces.get(workspace_id)
        if found is None:
            self._unknown_to(role)
        if found is None or found.tombstone:
            raise not_found("workspace", workspace_id)
        return found

    # -- definitions ---------------------------------------------------------------------------

    def _definitions_of(self, kind: str, workspace_id: str) -> tuple[ConnectorDefinition, ...]:
        """
        The definitions *workspace_id* may use (``listSourceDefinitionsForWorkspace``: the
        public ones and the workspace's custom ones; the emulator has no custom ones). Read
        after a reader's role check, so a workspace that does not exist is a 403 to anyone but
        an instance admin (see :meth:`_connection`), and a resource-not-found to one; a
        deleted one still has its definitions (``getStandardWorkspaceNoSecrets(workspaceId,
        true)`` in ``listAllowedSourceDefinitions``).
        """
        if workspace_id not in self.api.state.workspaces:
            self._unknown_to(_READER)
            raise not_found("workspace", workspace_id)
        return SOURCE_DEFINITIONS if kind == "source" else DESTINATION_DEFINITIONS

    def _list_definitions(self, kind: str, call: Call) -> Json:
        """
        DefinitionsResponse (airbytehq/airbyte-platform ``DefinitionsController
        .publicListSourceDefinitions`` at ``8d2a5777``): every definition the workspace may
        use, but Connector Builder sources (``source-declarative-manifest``), each as
        ``toPublicApiModel`` has it; one list, no page links.
        """
        found = self._definitions_of(kind, call.params["workspaceId"])
        return {
            "data": [
                {
                    "id": d.definition_id,
                    "name": d.name,
                    "dockerRepository": d.docker_repository,
                    "dockerImageTag": d.docker_image_tag,
                    "documentationUrl": d.documentation_url,
                }
                for d in found
                if d.docker_repository != _DECLARATIVE_IMAGE
            ]
        }

    @public("GET", "/workspaces/{workspaceId}/definitions/sources")
    async def source_definitions(self, call: Call) -> Json:
        """DefinitionsResponse: the workspace's source definitions."""
        return self._list_definitions("source", call)

    @public("GET", "/workspaces/{workspaceId}/definitions/destinations")
    async def destination_definitions(self, call: Call) -> Json:
        """DefinitionsResponse: the workspace's destination definitions."""
        return self._list_definitions("destination", call)

    @public("GET", "/connector_definitions")
    async def connector_definitions(self, call: Call) -> Json | web.Response:
        """
        ConnectorDefinitionsResponse of the ``type`` given, for the workspace given
        (airbytehq/airbyte-platform ``ConnectorDefinitionsController`` at ``0ff2d848``,
        ``ConnectorDefinitionsServiceImpl`` and its mappers): the same definitions as the
        workspace's listing, Connector Builder sources included, each with its image tag as
        ``version``. Without ``workspaceId`` the controller throws an
        ``IllegalArgumentException`` that nothing maps: a 500 with an ``errorId`` alone
        (``UncaughtExceptionHandler``).
        """
        kind = _choice(call.query, "type", ("source", "destination"))
        if kind is None:
            raise bad_request("type must be one of ['destination', 'source']")
        workspace_id = call.query.get("workspaceId")
        if workspace_id is None:
            return web.json_response({"errorId": self.api.state.new_id()}, status=500)
        found = self._definitions_of(kind, workspace_id)
        return {
            "data": [
                {
                    "id": d.definition_id,
                    "name": d.name,
                    "connectorDefinitionType": kind,
                    "version": d.docker_image_tag,
                }
                for d in found
            ]
        }

    # -- sources and destinations --------------------------------------------------------------

    def _actor(self, kind: str, actor_id: str, role: str | None = None) -> Actor:
        """The source or destination *actor_id*; one that does not exist is a resource-not-found,
        or for a route that requires a *role*, a 403 to anyone but an instance admin (see
        :meth:`_connection`)."""
        found = self.api.state.actors_of(kind).get(actor_id)
        if found is None:
            self._unknown_to(role)
        if found is None or found.tombstone:
            raise not_found(kind, actor_id)
        return found

    def _list_actors(self, kind: str, call: Call) -> Json:
        wanted = _ids(call.query, "workspaceIds")
        deleted = _flag(call.query, "includeDeleted")
        found = [
            a
            for a in self.api.state.actors_of(kind).values()
            if (deleted or not a.tombstone) and (wanted is None or a.workspace_id in wanted)
        ]
        found = self.api.state.scan_order(found, attrgetter("actor_id"))
        return self._workspace_page(f"/{kind}s", found, actor_response, call, wanted, deleted)

    def _definition_for(self, kind: str, body: Json) -> str:
        if body.get("definitionId"):
            return str(body["definitionId"])
        wanted = body["configuration"].get(f"{kind}Type")
        table = SOURCE_DEFINITIONS if kind == "source" else DESTINATION_DEFINITIONS
        for definition in table:
            if wanted is not None and _actor_type(definition) == wanted:
                return definition.definition_id
        raise bad_request(f"One of configuration.{kind}Type or definitionId must be provided.")

    def _create_actor(self, kind: str, call: Call) -> Json:
        body = call.body
        self._workspace(body["workspaceId"])
        definition_id = self._definition_for(kind, body)
        config = {k: v for k, v in body["configuration"].items() if k != f"{kind}Type"}
        created = self.api.state.create_actor(
            kind,
            workspace_id=body["workspaceId"],
            definition_id=definition_id,
            name=body["name"],
            config=config,
        )
        return actor_response(created)

    def _update_actor(self, kind: str, call: Call, *, partial: bool) -> Json:
        actor = self._actor(kind, call.params[f"{kind}Id"], _EDITOR)
        config = call.body.get("configuration")
        if config is not None:
            config = {k: v for k, v in config.items() if k != f"{kind}Type"}
        updated = self.api.state.update_actor(
            kind, actor.actor_id, name=call.body.get("name"), config=config, partial=partial
        )
        return actor_response(updated)

    def _delete_actor(self, kind: str, call: Call) -> None:
        actor = self._actor(kind, call.params[f"{kind}Id"], _EDITOR)
        self.api.state.delete_actor(kind, actor.actor_id)

    # -- streams and connections ---------------------------------------------------------------

    def _discovered(self, source: Actor) -> Json:
        namespace = source.definition.namespace_key
        value = source.config.get(namespace) if namespace else None
        if isinstance(value, list):
            value = value[0] if value else None
        streams = self.api.state.discover(source)
        return render.stream_catalog(streams, value, self.api.version)

    @public("GET", "/streams", query={"ignoreCache": _boolean})
    async def streams(self, call: Call) -> list[Json]:
        """
        StreamPropertiesResponse: what a discover of the source finds. ``syncModes`` only with
        a ``destinationId``: the pairs of the stream's read modes and the destination's write
        modes that ``StreamsController.getValidSyncModes`` names (four at most); without one,
        null, so not sent. ``propertyFields``: every field path of the stream's JSON schema,
        nested ones too (``StreamsController.getStreamFields``).
        """
        source_id = _as_id(call.query.get("sourceId"))
        if source_id is None:
            raise bad_request("sourceId is required")
        source = self._actor("source", source_id)
        writes: tuple[str, ...] = ()
        if (destination_id := _as_id(call.query.get("destinationId"))) is not None:
            writes = self._actor("destination", destination_id).definition.supported_sync_modes
        found = []
        for pair in self._discovered(source)["streams"]:
            stream = pair["stream"]
            entry: Json = {"streamName": stream["name"]}
            if writes:
                entry["syncModes"] = [
                    _SYNC_MODES[read, write]
                    for read, write in _STREAM_MODES
                    if read in stream["supportedSyncModes"] and write in writes
                ]
            entry |= {
                "defaultCursorField": stream["defaultCursorField"],
                "sourceDefinedCursorField": stream["sourceDefinedCursor"],
                "sourceDefinedPrimaryKey": stream["sourceDefinedPrimaryKey"],
                "propertyFields": _stream_fields(stream["jsonSchema"]),
            }
            if stream.get("namespace") is not None:
                entry["streamnamespace"] = stream["namespace"]
            found.append(entry)
        return found

    def _catalog(
        self,
        source: Actor,
        destination: Actor,
        configurations: Json | None,
        current: Mapping[str, Any] | None,
    ) -> Mapping[str, Any]:
        """
        The sync catalog *configurations* ask for: the streams named, each checked and mapped
        in turn as ``getValidConfiguredStreams`` does (see :func:`_check_stream`,
        :func:`_configure`), selected; the others not. Without streams (none or an empty
        list, ``hasStreamConfigurations``), *current*, or on a create every stream as
        discovered, which is full refresh and overwrite.
        """
        if configurations is None or not configurations.get("streams"):
            return current if current is not None else self._discovered(source)
        catalog = self._discovered(source)
        modes = destination.definition.supported_sync_modes
        configured: dict[str, Json] = {}
        seen: set[tuple[str, str | None]] = set()
        for chosen in configurations["streams"]:
            name, namespace = chosen["name"], chosen.get("namespace")
            pair = _find_stream(catalog, name, namespace)
            _check_stream(chosen, modes, pair["stream"])
            configured[pair["stream"]["name"]] = _configure(pair, chosen)
            if (name, namespace) in seen:
                raise bad_request(
                    f"Duplicate stream found in configuration for stream name [{name}] in "
                    f"namespace [{_kotlin(namespace)}]."
                )
            seen.add((name, namespace))
        for pair in catalog["streams"]:
            pair["config"] = configured.get(pair["stream"]["name"]) or {
                **pair["config"],
                "selected": False,
            }
        return catalog

    @staticmethod
    def _schedule_of(body: Json) -> tuple[str, Json | None] | None:
        """
        The schedule type and data a create or a patch asks for; None leaves the schedule as
        it is (a create then makes a manual connection).

        As ``ConnectionsController`` does it (airbytehq/airbyte-platform ``airbyte-server/.../
        publicapi/``), before it looks up the source, destination or connection: a cron
        schedule without ``cronExpression`` is a 400 ``BadRequestProblem``, and its expression
        goes through :func:`_checked_cron`. ``AirbyteCatalogHelper.normalizeCronExpression``
        then drops a schedule whose ``cronExpression`` is absent, so a manual one only takes
        effect with some ``cronExpression`` beside it (not checked): ``{"scheduleType":
        "manual"}`` alone leaves a patched connection on its schedule. The mappers store a
        cron schedule in UTC, whatever the expression says, and a manual one without data
        (``ConnectionCreateMapper``, ``ConnectionUpdateMapper``; ``ConnectionScheduleHelper``).

        The Config API's cron checks run next, in ``ConnectionsHandler``, but cannot refuse
        what passed here: the zone is UTC and a fixed second fires at most once a minute. Were
        they to, a create would answer 500 ``UnexpectedProblem``
        (``ConfigClientErrorHandler.handleCreateConnectionError``) and a patch their 400
        ``CronValidation*Problem``. The role check that comes first is not modelled.
        """
        schedule = body.get("schedule")
        if schedule is None:
            return None
        kind, sent = schedule["scheduleType"], schedule.get("cronExpression")
        if sent is None:
            if kind == "cron":
                raise bad_request("Missing cron expression in the schedule.")
            return None
        if kind == "manual":
            return "manual", None
        return "cron", {"cron": {"cronExpression": _checked_cron(sent), "cronTimeZone": "UTC"}}

    @staticmethod
    def _settings(body: Json) -> Json:
        settings: Json = {}
        if body.get("namespaceDefinition") is not None:
            settings["namespaceDefinition"] = _CONFIG_NAMESPACES[body["namespaceDefinition"]]
        if body.get("nonBreakingSchemaUpdatesBehavior") is not None:
            preference = body["nonBreakingSchemaUpdatesBehavior"]
            settings["nonBreakingChangesPreference"] = _CONFIG_PREFERENCES[preference]
        for key in ("namespaceFormat", "prefix"):
            if body.get(key) is not None:
                settings[key] = body[key]
        return settings

    def _connection(self, connection_id: str, role: str, *, one_of: bool = False) -> Connection:
        """
        The connection *connection_id*. One that does not exist is a resource-not-found for an
        instance admin (community's default user), whom ``RoleResolver`` grants every role
        without finding a workspace, and a 403 for the *role* the route requires for anyone
        else (an Airbyte Cloud application): the role check runs first and finds no workspace
        to grant it in. A check of *one_of* several roles names none.
        """
        found = self.api.state.connections.get(connection_id)
        if found is None:
            if not self.api.instance_admin:
                raise forbidden(None if one_of else role)
            raise not_found("connection", connection_id)
        return found

    def _unknown_to(self, role: str | None) -> None:
        """Refuse an object that does not exist as the role check of a route requiring *role*
        does: to anyone but an instance admin, a 403 (``RoleResolver`` finds no workspace)."""
        if role is not None and not self.api.instance_admin:
            raise forbidden(role)

    @public("GET", "/connections", query=_CONNECTIONS_QUERY)
    async def connections_list(self, call: Call) -> Json:
        """
        ConnectionsResponse. With ``tagIds``, the connections that carry any of those tags,
        each once, paged after the filter; the links do not carry ``tagIds``, so a ``next``
        followed lists the page of every connection (airbytehq/airbyte-platform
        ``ConnectionServiceJooqImpl.listWorkspaceStandardSyncsLimitOffsetPaginated``:
        ``CONNECTION_TAG.TAG_ID.in(tagIds)`` over a join grouped by connection, no condition
        for none; ``ConnectionsResponseMapper`` builds the links without them).
        """
        wanted = _ids(call.query, "workspaceIds")
        tagged = _ids(call.query, "tagIds")
        deleted = _flag(call.query, "includeDeleted")
        found = [
            c
            for c in self.api.state.connections.values()
            if (deleted or c.status != "deprecated")
            and (wanted is None or c.workspace_id in wanted)
            and (tagged is None or any(t["tagId"] in tagged for t in c.settings.get("tags", ())))
        ]
        found = self.api.state.scan_order(found, attrgetter("connection_id"))
        return self._workspace_page(
            "/connections", found, connection_response, call, wanted, deleted
        )

    @public("POST", "/connections")
    async def connections_create(self, call: Call) -> Json:
        """ConnectionResponse of a new connection (active unless told otherwise)."""
        body = call.body
        schedule = self._schedule_of(body) or ("manual", None)
        destination = self._actor("destination", body["destinationId"])
        source = self._actor("source", body["sourceId"])
        created = self.api.state.create_connection(
            source_id=source.actor_id,
            destination_id=destination.actor_id,
            status=body.get("status") or "active",
            name=body.get("name"),
            sync_catalog=self._catalog(source, destination, body.get("configurations"), None),
            schedule_type=schedule[0],
            schedule_data=schedule[1],
            settings=self._settings(body),
        )
        return connection_response(created)

    @public("GET", "/connections/{connectionId}")
    async def connections_get(self, call: Call) -> Json:
        """ConnectionResponse."""
        return connection_response(self._connection(call.params["connectionId"], _READER))

    @public("PATCH", "/connections/{connectionId}")
    async def connections_patch(self, call: Call) -> Json:
        """ConnectionResponse after the changes given (schedule, status, streams, settings)."""
        body = call.body
        schedule = self._schedule_of(body)
        current = self._connection(call.params["connectionId"], _EDITOR)
        changes: Json = {}
        if schedule is not None:
            changes |= {"schedule_type": schedule[0], "schedule_data": schedule[1]}
        for key in ("name", "status"):
            if body.get(key) is not None:
                changes[key] = body[key]
        if body.get("configurations") is not None:
            source = self.api.state.actor("source", current.source_id)
            destination = self.api.state.actor("destination", current.destination_id)
            changes["sync_catalog"] = self._catalog(
                source, destination, body["configurations"], current.sync_catalog
            )
        settings = {**current.settings, **self._settings(body)}
        updated = attrs.evolve(current, settings=settings, **changes)
        return connection_response(self.api.state.replace_connection(updated))

    @public("DELETE", "/connections/{connectionId}", status=204)
    async def connections_delete(self, call: Call) -> None:
        """Mark the connection ``deprecated`` (cancelling its job); 204."""
        self.api.state.delete_connection(
            self._connection(call.params["connectionId"], _EDITOR).connection_id
        )

    # -- jobs ----------------------------------------------------------------------------------

    def _job(self, text: str, role: str) -> Job:
        """
        The job *text* names. One that does not exist is a 403 for the *role* the route
        requires, not a 404: ``JobsController`` checks the role first, and ``RoleResolver``
        finds no workspace for the job (``WorkspaceHelper.getWorkspaceForJobId``: the
        RuntimeException "Could not find job with id" of ``DefaultJobPersistence.getJob``
        escapes its cache unwrapped), so it grants no role at all (airbytehq/airbyte-platform
        ``RoleResolver.roles``, which answers an empty set on any exception).
        """
        try:
            job_id = int(text)
        except ValueError:
            raise bad_request("jobId must be an integer") from None
        try:
            return self.api.state.job(job_id)
        except ApiError:
            raise forbidden(role) from None

    @public("POST", "/jobs")
    async def jobs_create(self, call: Call) -> Json:
        """
        JobResponse of a new sync or reset; a sync while a job runs is a 409 try-again-later,
        a reset cancels that job first (as the Config API's, see ``connections_reset``). Head
        answers once the job exists (``returnAfterJobId``, API-FACTS 6.3), older versions a
        sync once it runs, as every Config API does (see ``_versions``). A sync that meets a
        job not running yet is answered with it once it runs before head (``run_job``); on
        head, after a minute, with a 409 ``state-conflict`` (``create_job``).
        """
        job_type = call.body["jobType"]
        # JobsController: a clear takes an editor's role, a sync or a reset a runner's.
        role = _EDITOR if job_type == "clear" else _RUNNER
        # requireOneOfRoles, whose 403 names no role.
        connection = self._connection(call.body["connectionId"], role, one_of=True)
        if job_type == "refresh":
            raise unprocessable("Refreshes are not supported in the public API")
        config_type = "sync" if job_type == "sync" else "reset_connection"
        observer = self.api.observer
        in_flight = observer.sync_started(self._now)
        try:
            # A scheduler thread is held until the workflow creates the job (or runs it).
            self.api.load.admit(in_flight)
            async with self.api.threads.thread():
                latency = self.api.load.latency
                if config_type == "reset_connection":
                    created = await reset_job(self.api, connection.connection_id, latency)
                elif config_type == "sync" and self.api.version != "head":
                    ran, answered_at = await run_job(self.api, connection.connection_id, latency)
                    return job_response(ran, answered_at, stats=False)
                else:
                    created = await create_job(self.api, connection.connection_id, latency)
        except Overloaded:
            observer.triggers_rejected += 1
            raise Problem(
                503,
                _ERRORS,
                "service-unavailable",
                "The server is currently unable to handle the request.",
            ) from None
        except ApiError as error:
            if error.status == 409:
                raise try_again_later(error.message) from None
            raise
        finally:
            observer.sync_finished(self._now)
        return job_response(created, self._now, stats=False)

    @public("GET", "/jobs/{jobId}")
    async def jobs_get(self, call: Call) -> Json:
        """JobResponse."""
        return job_response(self._job(call.params["jobId"], _READER), self._now)

    @public("DELETE", "/jobs/{jobId}")
    async def jobs_cancel(self, call: Call) -> Json:
        """
        JobResponse of the job named, read again once the connection's current job stopped:
        the Config API's cancel (API-FACTS 6.3b), which ``JobService.cancelJob`` calls with no
        check of its own (airbytehq/airbyte-platform ``JobsController.publicCancelJob``,
        ``JobServiceImpl.cancelJob``, ``SchedulerHandler.submitCancellationToWorker``). So a
        job that ended answers 200 as it ended while the connection runs a newer job, which is
        cancelled, and a 409 "Job is not currently running" when it runs none (see
        ``State.stop_current``).
        """
        job = self._job(call.params["jobId"], _RUNNER)
        return job_response(await cancel(self.api, job.job_id), self._now, stats=False)

    @public("GET", "/jobs", query=_JOBS_QUERY)
    async def jobs_list(self, call: Call) -> Json:
        """
        JobsResponse: filtered, ordered by ``orderBy``; the oldest first by default
        (``JobsHelper.orderByToFieldAndMethod`` defaults to ``createdAt|ASC``).
        """
        query = call.query
        page = _Page.of(query)
        connection_id = _as_id(query.get("connectionId"))
        unknown = connection_id is not None and connection_id not in self.api.state.connections
        if unknown and not self.api.instance_admin:
            # JobHistoryHandler.listJobsFor never looks the connection up: an instance admin
            # gets an empty page, anyone else the role check's 403.
            raise forbidden(_READER)
        workspaces = _ids(query, "workspaceIds")
        # Without a connection, the role check is on the workspaces named, taken as they are
        # (AuthenticationHeaderResolver.resolveWorkspace): one that does not exist holds no
        # permission, so no workspace role is granted for the lot.
        absent = any(w not in self.api.state.workspaces for w in workspaces or ())
        if absent and connection_id is None and not self.api.instance_admin:
            raise forbidden(_READER)
        job_type, status = query.get("jobType"), query.get("status")
        by_updated, descending = _order_by(query.get("orderBy"))
        # JobService.getJobConfigTypes: each type its own (the emulator makes no refresh jobs,
        # and Airbyte no clear jobs: a clear is a reset); none given, syncs and resets, and on
        # head clears and refreshes too (JobServiceTest, "null jobType").
        types = {"sync": {"sync"}, "reset": {"reset_connection"}, "clear": {"clear"}}
        every = {"sync", "reset_connection"}
        if self.api.version == "head":
            every |= {"clear", "refresh"}
        found, _ = self.api.state.list_jobs(
            JobQuery(
                config_types=frozenset(types.get(job_type, {job_type}) if job_type else every),
                config_id=connection_id,
                workspace_ids=None
                if workspaces is None or connection_id
                else frozenset(workspaces),
                statuses=None if status is None else frozenset({status}),
                created_start=_when(query, "createdAtStart"),
                created_end=_when(query, "createdAtEnd"),
                updated_start=_when(query, "updatedAtStart"),
                updated_end=_when(query, "updatedAtEnd"),
                order_by_updated=by_updated,
                descending=descending,
                offset=page.offset,
                limit=page.limit,
            )
        )
        now = self._now
        carried: dict[str, Any] = {"jobType": job_type}
        if connection_id is not None:
            carried["connectionId"] = connection_id
        elif workspaces is not None:
            carried["workspaceIds"] = ",".join(workspaces)
        return self._list("/jobs", [job_response(j, now) for j in found], page, carried)


def _actor_routes(kind: str) -> None:
    """Register the list, create, get, patch, put and delete routes of sources or destinations."""
    many, one = f"/{kind}s", f"/{kind}s/{{{kind}Id}}"

    async def listed(api: PublicApi, call: Call) -> Json:
        return api._list_actors(kind, call)

    async def create(api: PublicApi, call: Call) -> Json:
        return api._create_actor(kind, call)

    async def get(api: PublicApi, call: Call) -> Json:
        return actor_response(api._actor(kind, call.params[f"{kind}Id"], _READER))

    async def patch(api: PublicApi, call: Call) -> Json:
        return api._update_actor(kind, call, partial=True)

    async def put(api: PublicApi, call: Call) -> Json:
        return api._update_actor(kind, call, partial=False)

    async def delete(api: PublicApi, call: Call) -> None:
        api._delete_actor(kind, call)

    public("GET", many, query=_LISTING_QUERY)(listed)
    public("POST", many)(create)
    public("GET", one)(get)
    public("PATCH", one)(patch)  # merges the configuration given into the stored one
    public("PUT", one)(put)  # replaces the configuration
    public("DELETE", one, status=204)(delete)  # and the actor's connections


_actor_routes("source")
_actor_routes("destination")


def unexpected_problem(status: int, message: str) -> web.Response:
    """A 5xx ``UnexpectedProblem`` answer, as the public API sends for an uncaught error."""
    detail = _UNEXPECTED
    problem = Problem(status, _ERRORS, "unexpected-problem", detail, {"message": message})
    return _problem_response(problem)


def _from_config_error(error: ApiError) -> Problem:
    """
    The problem ``ConfigClientErrorHandler.handleError`` makes of a Config API error
    (airbytehq/airbyte-platform ``airbyte-server/.../publicapi/errorHandlers``): a
    ``ConfigNotFoundException`` is a ``resource-not-found`` (status 400) naming its type and
    id; a
    ``ValueConflictKnownException`` keeps its text in a 409 ``try-again-later``; an
    ``IllegalStateException`` loses it, to a 409 ``state-conflict`` saying "Could not fulfill
    request" ("Job is not currently running" for a failed cancel), as does an unknown job.
    """
    if error.status == 404 and error.resource is not None:
        return not_found(*error.resource)
    if error.status == 404:
        return _resource_not_found({"message": error.message})
    if error.status == 409:
        return try_again_later(error.message)
    if error.status == 500 and "IllegalState" in error.exception_class:
        failed_cancel = "Failed to cancel" in error.message
        return state_conflict(_JOB_NOT_RUNNING if failed_cancel else _NOT_FULFILLED)
    if error.status == 500 and "Could not find job with id" in error.message:
        return state_conflict(_JOB_NOT_RUNNING)
    if error.status == 422:
        return unprocessable(error.message)
    if error.status == 400:
        return bad_request(error.message)
    detail = _UNEXPECTED
    return Problem(500, _ERRORS, "unexpected-problem", detail, {"message": error.message})


def _problem_response(problem: Problem) -> web.Response:
    """
    *problem* as Airbyte sends every problem: as ``application/json``, not
    ``application/problem+json`` (airbytehq/airbyte-platform @312796a7
    ``airbyte-commons-server/.../errors/problems/AbstractThrowableProblemHandler.kt``:
    ``.body(Jsons.serialize(problem)).contentType(MediaType.APPLICATION_JSON_TYPE)``).
    """
    return web.Response(
        body=json.dumps(problem.body()).encode(),
        status=problem.status,
        content_type="application/json",
    )
