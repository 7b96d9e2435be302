"""
What each route accepts, per version, and the check of a body against it.

Airbyte reads a body with Jackson into the models openapi-generator's ``jaxrs-spec`` generator
writes from the spec (airbytehq/airbyte-platform ``airbyte-api/server-api/build.gradle.kts``;
Micronaut's ``ObjectMapperFactory`` configures Jackson). A body that is not of the right Java
types fails the mapping: 422 on the real server. One that maps but lacks a required field fails
bean validation (``ConstraintViolationException``): 400. :data:`MISSING` marks the second kind.
The shapes follow the request schemas of the three Config API specs, and hold what the server
checks of them:

- ``required`` (``@NotNull``), ``type`` and ``enum`` (Jackson's mapping);
- ``format: uuid``, a ``java.util.UUID``: Jackson reads 36 characters with hyphens at 8, 13,
  18 and 23 and hex digits elsewhere, or 24 characters of Base64 holding 16 bytes, after
  trimming blanks; a blank one is null (jackson-databind ``UUIDDeserializer``,
  ``FromStringDeserializer``). :func:`read` gives the body as the server then holds it, each
  id in its lower-case form;
- ``type: integer``: an ``Integer`` (32 bits), or with ``format: int64`` a ``Long``; a whole
  number beyond either is a 422 (Jackson's ``InputCoercionException``, wrapped into a
  ``JsonMappingException`` by ``BeanDeserializerBase.wrapAndThrow``);
- ``format: date-time``, an ``OffsetDateTime``, which Jackson reads with
  ``DateTimeFormatter.ISO_OFFSET_DATE_TIME`` (jackson-datatype-jsr310
  ``InstantDeserializer.OFFSET_DATE_TIME``): :func:`read_datetime`.

Like the real server, unknown fields are ignored and ``null`` counts as absent; connector
configurations are opaque objects (checked against the connector's spec by the state). The
request keywords ``tests/spec_keywords.py`` counts that are left unchecked are the ones the
server does not check either:

- ``additionalProperties: false`` (``AirbyteStream``, ``AirbyteStreamConfiguration``,
  ``ScopedResourceRequirements``...): Micronaut's ``ObjectMapperFactory`` turns
  ``FAIL_ON_UNKNOWN_PROPERTIES`` off, so an unknown key is dropped;
- ``format: email`` (``WorkspaceCreate.email``): the ``jaxrs-spec`` templates emit no
  ``@Email`` before openapi-generator#24271 (merged 2026-07-10); whether head was generated
  with it could not be found, so it is left unchecked on every version;
- ``minItems``, ``oneOf`` and ``discriminator`` under a stream mapper's
  ``mapperConfiguration``: the server maps ``MapperConfiguration`` to a plain ``JsonNode``
  (``schemaMappings`` in the same build files), so bean validation never sees them;
- ``nullable``: allows null, which every optional field takes anyway.

Jackson also takes what this check refuses, and which no client of this library sends: a
number for a string, a string for a number or a boolean, a fraction for an integer, a single
value for an array (Micronaut turns ``ACCEPT_SINGLE_VALUE_AS_ARRAY`` on).
The strict, spec-driven check of what clients send lives in ``tests/spec_conformance.py``.
"""

from __future__ import annotations

import base64
import re
import uuid
from collections.abc import Mapping
from datetime import datetime
from typing import Any

import attrs

from ._versions import VERSIONS, since

__all__ = [
    "MISSING",
    "Arr",
    "Enum",
    "Obj",
    "Scalar",
    "Shape",
    "parse_datetime",
    "problems",
    "read",
    "read_datetime",
    "read_uuid",
    "request_shape",
]

#: The message of a required field that is absent or null (bean validation's ``@NotNull``).
MISSING = "must not be null"


@attrs.frozen
class Scalar:
    """
    A JSON scalar: ``string``, ``uuid`` (a ``java.util.UUID``), ``uuid-text`` (a string the
    handler reads as a UUID itself), ``integer`` (32 bits), ``int64``, ``number``, ``boolean``,
    ``date-time``.
    """

    kind: str


@attrs.frozen
class Enum:
    """A string from a fixed set."""

    values: frozenset[str]


@attrs.frozen
class Arr:
    """A JSON array whose items all have one shape."""

    items: Shape


@attrs.frozen
class Obj:
    """A JSON object; *fields* maps each known key to its shape. Opaque when *fields* is empty."""

    fields: Mapping[str, Shape] = attrs.field(factory=dict)
    required: frozenset[str] = frozenset()


Shape = Scalar | Enum | Arr | Obj

STR = Scalar("string")
UUID = Scalar("uuid")
UUID_TEXT = Scalar("uuid-text")
INT = Scalar("integer")
LONG = Scalar("int64")
BOOL = Scalar("boolean")
DATETIME = Scalar("date-time")
OPAQUE = Obj()


def _obj(required: Mapping[str, Shape], optional: Mapping[str, Shape] | None = None) -> Obj:
    return Obj({**required, **(optional or {})}, frozenset(required))


def _enum(*values: str) -> Enum:
    return Enum(frozenset(values))


def parse_datetime(text: str) -> datetime | None:
    """An ISO-8601 date-time with an offset (``Z`` allowed), or None when *text* is not one."""
    try:
        parsed = datetime.fromisoformat(text)
    except ValueError:
        return None
    return parsed if parsed.tzinfo is not None else None


def problems(shape: Shape, value: Any, path: str = "$") -> list[tuple[str, str]]:
    """``(propertyPath, message)`` for each way *value* fails *shape*; empty when it fits."""
    if isinstance(shape, Obj):
        if not isinstance(value, dict):
            return [(path, "must be an object")]
        given = {k: v for k, v in value.items() if not _is_null(shape.fields.get(k), v)}
        found = [(f"{path}.{key}", MISSING) for key in sorted(shape.required) if key not in given]
        for key, sub in shape.fields.items():
            if key in given:
                found += problems(sub, given[key], f"{path}.{key}")
        return found
    if isinstance(shape, Arr):
        if not isinstance(value, list):
            return [(path, "must be an array")]
        return [
            p for i, item in enumerate(value) for p in problems(shape.items, item, f"{path}[{i}]")
        ]
    if isinstance(shape, Enum):
        if value not in shape.values:
            return [(path, f"must be one of {sorted(shape.values)}")]
        return []
    return _scalar_problems(shape.kind, value, path)


def read(shape: Shape, value: Any) -> Any:
    """
    *value*, which fits *shape*, as the server holds it once Jackson has read it: each
    ``uuid`` in its lower-case form (one in upper case, between blanks or in Base64 names the
    same object), a blank one null; each ``uuid-text`` too, as the handler's
    ``UUID.fromString`` reads it (either case names one object).
    """
    if isinstance(shape, Obj) and isinstance(value, dict):
        return {
            k: read(shape.fields[k], v) if k in shape.fields and v is not None else v
            for k, v in value.items()
        }
    if isinstance(shape, Arr) and isinstance(value, list):
        return [read(shape.items, item) for item in value]
    if shape == UUID and isinstance(value, str):
        return read_uuid(value)
    if shape == UUID_TEXT and isinstance(value, str) and _is_uuid(value):
        return str(uuid.UUID(value))
    return value


def _is_null(shape: Shape | None, value: Any) -> bool:
    """Whether Jackson reads *value* as null: null itself, or a blank ``uuid``."""
    return value is None or (shape == UUID and isinstance(value, str) and not _java_trim(value))


#: Whole numbers each integer kind holds, from -bound to bound - 1, and the Java type's name.
_INTEGERS = {"integer": (2**31, "int"), "int64": (2**63, "long")}


def _scalar_problems(kind: str, value: Any, path: str) -> list[tuple[str, str]]:
    if kind == "boolean":
        ok = isinstance(value, bool)
    elif kind in _INTEGERS:
        ok = isinstance(value, int) and not isinstance(value, bool)
        bound, java = _INTEGERS[kind]
        if ok and not -bound <= value < bound:
            return [(path, f"out of range of {java}")]
    elif kind == "number":
        ok = isinstance(value, int | float) and not isinstance(value, bool)
    elif not isinstance(value, str):
        ok = False
    elif kind == "uuid":
        try:
            read_uuid(value)
        except ValueError:
            ok = False
        else:
            ok = True
    elif kind == "uuid-text":
        ok = _is_uuid(value)
    elif kind == "date-time":
        ok = read_datetime(value) is not None
    else:
        ok = True
    return [] if ok else [(path, f"must be a {kind}")]


#: The form Jackson's UUIDDeserializer reads, and its Base64 one (16 bytes, padded).
_UUID_36 = re.compile(
    r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}"
)
_UUID_24 = re.compile(r"[A-Za-z0-9+/]{22}==")


def _java_trim(text: str) -> str:
    """*text* without what Java's ``String.trim`` removes: characters up to U+0020."""
    return text.strip("".join(map(chr, range(0x21))))


def read_uuid(text: str) -> str | None:
    """
    The UUID Jackson reads *text* as, in the lower-case form the server writes it in
    (``FromStringDeserializer`` trims it; a blank one is null; ``UUIDDeserializer`` takes the
    36-character form, either case, or 24 characters of Base64); ValueError for any other
    form, which the server refuses with a 422.
    """
    if _UUID_36.fullmatch(text):
        return text.lower()
    trimmed = _java_trim(text)
    if not trimmed:
        return None
    if _UUID_36.fullmatch(trimmed):
        return trimmed.lower()
    if _UUID_24.fullmatch(trimmed):
        return str(uuid.UUID(bytes=base64.b64decode(trimmed)))
    raise ValueError("UUID has to be represented by standard 36-char representation")


#: ``DateTimeFormatter.ISO_OFFSET_DATE_TIME`` as its javadoc has it: ``ISO_LOCAL_DATE``, 'T',
#: hours and minutes, seconds and a fraction of up to nine digits optional, an offset; parsed
#: case-insensitively. Offsets without colons or minutes pass: Jackson reads "+00" and "+0000"
#: as Z, and whether it mends others depends on its version.
_ISO_OFFSET_DATE_TIME = re.compile(
    r"[0-9]{4}-[0-9]{2}-[0-9]{2}[Tt][0-9]{2}:[0-9]{2}(?::[0-9]{2}(?:\.[0-9]{1,9})?)?"
    r"(?:[Zz]|[+-][0-9]{2}(?::?[0-9]{2}(?::?[0-9]{2})?)?)"
)


def read_datetime(text: str) -> datetime | None:
    """
    The instant Jackson reads *text* as for an ``OffsetDateTime`` field: None for a form
    ``ISO_OFFSET_DATE_TIME`` refuses though Python reads it (a blank for the 'T', the basic
    format, an hour alone, a week date, a decimal comma), which the server answers with a 422.
    Blanks around it are trimmed, as Jackson does. A string of digits, which Jackson takes for
    epoch milliseconds, is None too (stricter than the server; no client sends one).
    """
    trimmed = _java_trim(text)
    if not _ISO_OFFSET_DATE_TIME.fullmatch(trimmed):
        return None
    return parse_datetime(trimmed.upper())


def _is_uuid(text: str) -> bool:
    try:
        uuid.UUID(text)
    except ValueError:
        return False
    return True


def _pagination() -> Obj:
    return _obj({}, {"pageSize": INT, "rowOffset": INT})


def _catalog(version: str) -> Obj:
    sync_mode = _enum("full_refresh", "incremental")
    destination_modes = ["append", "overwrite", "append_dedup"]
    if since(version, "1.7"):
        destination_modes.append("overwrite_dedup")
    if since(version, "2.0"):
        destination_modes += ["update", "soft_delete"]
    keys = Arr(Arr(STR))
    stream = _obj(
        {"name": STR},
        {
            "jsonSchema": OPAQUE,
            "supportedSyncModes": Arr(sync_mode),
            "sourceDefinedCursor": BOOL,
            "defaultCursorField": Arr(STR),
            "sourceDefinedPrimaryKey": keys,
            "namespace": STR,
        },
    )
    config = _obj(
        {"syncMode": sync_mode, "destinationSyncMode": _enum(*destination_modes)},
        {
            "cursorField": Arr(STR),
            "primaryKey": keys,
            "aliasName": STR,
            "selected": BOOL,
            "suggested": BOOL,
            "fieldSelectionEnabled": BOOL,
        },
    )
    pair = _obj({}, {"stream": stream, "config": config})
    return _obj({"streams": Arr(pair)})


def _connection_fields(version: str) -> dict[str, Shape]:
    time_unit = _enum("minutes", "hours", "days", "weeks", "months")
    statuses = ["active", "inactive", "deprecated"] + (["locked"] if version == "head" else [])
    preferences = ["ignore", "disable"]
    if version != "0.40":
        preferences += ["propagate_columns", "propagate_fully"]
    fields: dict[str, Shape] = {
        "name": STR,
        "namespaceDefinition": _enum("source", "destination", "customformat"),
        "namespaceFormat": STR,
        "prefix": STR,
        "operationIds": Arr(UUID),
        "syncCatalog": _catalog(version),
        "schedule": _obj({"units": LONG, "timeUnit": time_unit}),
        "scheduleType": _enum("manual", "basic", "cron"),
        "scheduleData": _obj(
            {},
            {
                "basicSchedule": _obj({"timeUnit": time_unit, "units": LONG}),
                "cron": _obj({"cronExpression": STR, "cronTimeZone": STR}),
            },
        ),
        "status": _enum(*statuses),
        "resourceRequirements": OPAQUE,
        "sourceCatalogId": UUID,
        "notifySchemaChanges": BOOL,
        "nonBreakingChangesPreference": _enum(*preferences),
    }
    if since(version, "1.7"):
        fields |= {"dataplaneGroupId": UUID, "destinationCatalogId": UUID, "tags": Arr(OPAQUE)}
        fields |= {"onDemandEnabled": BOOL}
    else:
        fields["geography"] = _enum("auto", "us", "eu")
    if version != "0.40":
        fields |= {"notifySchemaChangesByEmail": BOOL}
        fields |= {"backfillPreference": _enum("enabled", "disabled")}
    return fields


def _job_list(version: str, *, workspaces: bool) -> Obj:
    config_types = [
        "check_connection_source",
        "check_connection_destination",
        "discover_schema",
        "get_spec",
        "sync",
        "reset_connection",
    ]
    statuses = ["pending", "running", "incomplete", "failed", "succeeded", "cancelled"]
    if since(version, "1.7"):
        config_types += ["refresh", "clear"]
    if version == "head":
        statuses.append("queued")
    required: dict[str, Shape] = {"configTypes": Arr(_enum(*config_types))}
    optional: dict[str, Shape] = {"pagination": _pagination()}
    if version == "0.40":
        return _obj({**required, "configId": STR}, {**optional, "includingJobId": LONG})
    optional |= {
        "configId": STR,
        "statuses": Arr(_enum(*statuses)),
        "createdAtStart": DATETIME,
        "createdAtEnd": DATETIME,
        "updatedAtStart": DATETIME,
        "updatedAtEnd": DATETIME,
        "orderByField": _enum("createdAt", "updatedAt"),
        "orderByMethod": _enum("ASC", "DESC"),
    }
    optional |= {"workspaceIds": Arr(UUID)} if workspaces else {"includingJobId": LONG}
    return _obj(required, optional)


def _actor_shapes(kind: str, version: str) -> dict[str, Obj]:
    id_key = f"{kind}Id"
    definition_key = f"{kind}DefinitionId"
    by_id = _obj({id_key: UUID})
    extra: dict[str, Shape] = {}
    if version != "0.40" and kind == "source":
        extra["secretId"] = STR
    if since(version, "1.7"):
        extra["resourceAllocation"] = OPAQUE
    shapes = {
        "create": _obj(
            {
                definition_key: UUID,
                "connectionConfiguration": OPAQUE,
                "workspaceId": UUID,
                "name": STR,
            },
            extra,
        ),
        "get": by_id,
        "delete": by_id,
        "check_connection": by_id,
        "update": _obj({id_key: UUID, "connectionConfiguration": OPAQUE, "name": STR}, extra),
        "search": _obj(
            {},
            {
                definition_key: UUID,
                id_key: UUID,
                "workspaceId": UUID,
                "connectionConfiguration": OPAQUE,
                "name": STR,
                f"{kind}Name": STR,
            },
        ),
    }
    if since(version, "2.0"):
        shapes["list"] = _obj(
            {"workspaceId": UUID},
            {
                "cursor": UUID,
                "sortKey": _enum(
                    "actorName_asc",
                    "actorName_desc",
                    "actorDefinitionName_asc",
                    "actorDefinitionName_desc",
                    "lastSync_asc",
                    "lastSync_desc",
                ),
                "filters": _obj(
                    {}, {"states": Arr(_enum("active", "inactive")), "searchTerm": STR}
                ),
                "pageSize": INT,
            },
        )
    else:
        shapes["list"] = _obj({"workspaceId": UUID})
    if version != "0.40":
        shapes["partial_update"] = _obj(
            {id_key: UUID}, {"connectionConfiguration": OPAQUE, "name": STR, **extra}
        )
        shapes["list_paginated"] = _list_for_workspaces()
    if kind == "source":
        discover: dict[str, Shape] = {"connectionId": UUID, "disable_cache": BOOL}
        if version == "0.50":
            discover["notifySchemaChange"] = BOOL
        if since(version, "1.7"):
            discover["priority"] = _enum("default", "high")
        shapes["discover_schema"] = _obj({"sourceId": UUID}, discover)
    return shapes


def _list_for_workspaces() -> Obj:
    return _obj(
        {"workspaceIds": Arr(UUID), "pagination": _pagination()},
        {"includeDeleted": BOOL, "nameContains": STR},
    )


def _workspace_shapes(version: str) -> dict[str, Obj]:
    settings: dict[str, Shape] = {
        "email": STR,
        "anonymousDataCollection": BOOL,
        "news": BOOL,
        "securityUpdates": BOOL,
        "notifications": Arr(OPAQUE),
        "displaySetupWizard": BOOL,
        "webhookConfigs": Arr(OPAQUE),
    }
    if since(version, "1.7"):
        settings["dataplaneGroupId"] = UUID
    else:
        settings["defaultGeography"] = _enum("auto", "us", "eu")
    if version != "0.40":
        settings["notificationSettings"] = OPAQUE
    by_id = _obj({"workspaceId": UUID}, {} if version == "0.40" else {"includeTombstone": BOOL})
    create_required: dict[str, Shape] = {"name": STR}
    create_optional = dict(settings)
    if since(version, "1.7"):
        create_required["organizationId"] = UUID
    elif version == "0.50":
        create_optional["organizationId"] = UUID
    update: dict[str, Shape] = {**settings, "initialSetupComplete": BOOL}
    if since(version, "1.7"):
        update["name"] = STR
    shapes = {
        "get": by_id,
        "delete": _obj({"workspaceId": UUID}),
        "get_by_slug": _obj({"slug": STR}),
        "create": _obj(create_required, create_optional),
        "update": _obj({"workspaceId": UUID}, update),
    }
    if version != "0.40":
        shapes["list_paginated"] = _list_for_workspaces()
        shapes["list_by_organization_id"] = _obj(
            {"organizationId": UUID}, {"pagination": _pagination(), "nameContains": STR}
        )
    return shapes


def _definition_shapes(kind: str, version: str) -> dict[str, Obj]:
    definition_key = f"{kind}DefinitionId"
    for_workspace: dict[str, Shape] = {}
    if version != "0.40":
        for_workspace["includeTombstone"] = BOOL
    if since(version, "2.0"):
        for_workspace["filterByUsed"] = BOOL
    with_workspace = _obj({definition_key: UUID, "workspaceId": UUID})
    return {
        f"{kind}_definitions/list_for_workspace": _obj({"workspaceId": UUID}, for_workspace),
        f"{kind}_definitions/get": _obj({definition_key: UUID}),
        f"{kind}_definitions/get_for_workspace": with_workspace,
        f"{kind}_definition_specifications/get": with_workspace,
    }


def _connection_shapes(version: str) -> dict[str, Obj]:
    fields = _connection_fields(version)
    by_id = _obj({"connectionId": UUID})
    create_optional = {k: v for k, v in fields.items() if k != "status"}
    update_optional = {**fields, "breakingChange": BOOL}
    shapes = {
        "create": _obj(
            {"sourceId": UUID, "destinationId": UUID, "status": fields["status"]},
            create_optional,
        ),
        "update": _obj({"connectionId": UUID}, update_optional),
        "get": by_id,
        "delete": by_id,
        "sync": by_id,
        "reset": by_id,
        "list": _obj({"workspaceId": UUID}),
        "list_all": _obj({"workspaceId": UUID}),
        "search": _obj(
            {},
            {
                "connectionId": UUID,
                "name": STR,
                "sourceId": UUID,
                "destinationId": UUID,
                "status": fields["status"],
                "scheduleType": fields["scheduleType"],
                "namespaceDefinition": fields["namespaceDefinition"],
                "prefix": STR,
                "source": OPAQUE,
                "destination": OPAQUE,
            },
        ),
    }
    # ConnectionStream: the streams a per-stream reset or a refresh names.
    stream = _obj({"streamName": STR}, {"streamNamespace": STR})
    if version != "0.40":
        # ConnectionStreamRequestBody (config-api-0.50.yaml; not in 0.40's spec).
        shapes["reset/stream"] = _obj({"connectionId": UUID, "streams": Arr(stream)})
    if since(version, "1.7"):
        shapes["clear"] = by_id
        # ConnectionStreamRefreshRequestBody.
        shapes["refresh"] = _obj(
            {"connectionId": UUID, "refreshMode": _enum("Truncate", "Merge")},
            {"streams": Arr(stream)},
        )
    if version != "0.40":
        shapes["status"] = _obj({"connectionIds": Arr(UUID)})
        shapes["sync_progress"] = by_id
        shapes["list_paginated"] = _obj(
            {"workspaceIds": Arr(UUID), "userId": UUID},
            {"pagination": _pagination(), "includeDeleted": BOOL},
        )
    return shapes


def _all_shapes(version: str) -> dict[str, Obj]:
    shapes: dict[str, Obj] = {}
    for group, table in (
        ("workspaces", _workspace_shapes(version)),
        ("sources", _actor_shapes("source", version)),
        ("destinations", _actor_shapes("destination", version)),
        ("connections", _connection_shapes(version)),
    ):
        shapes |= {f"{group}/{name}": shape for name, shape in table.items()}
    shapes |= _definition_shapes("source", version)
    shapes |= _definition_shapes("destination", version)
    by_job = _obj({"id": LONG})
    for name in ("get", "get_light", "cancel") + (
        () if version == "0.40" else ("get_without_logs",)
    ):
        shapes[f"jobs/{name}"] = by_job
    shapes["jobs/list"] = _job_list(version, workspaces=False)
    if version != "0.40":
        shapes["jobs/list_for_workspaces"] = _job_list(version, workspaces=True)
        shapes["applications/token"] = _obj({"client_id": STR, "client_secret": STR})
    shapes["scheduler/sources/discover_schema"] = _obj(
        {"sourceDefinitionId": UUID, "connectionConfiguration": OPAQUE, "workspaceId": UUID},
        {"sourceId": UUID},
    )
    shapes["jobs/get_last_replication_job"] = _obj({"connectionId": UUID})
    if since(version, "1.7"):
        shapes["jobs/get_last_replication_job_with_cancel"] = _obj({"connectionId": UUID})
    return shapes


_SHAPES: dict[str, dict[str, Obj]] = {v: _all_shapes(v) for v in VERSIONS}


def request_shape(route: str, version: str) -> Obj | None:
    """The body shape *route* (e.g. ``"connections/sync"``) takes in *version*; None if no body."""
    return _SHAPES[version].get(route)
