"""
A small, strict OpenAPI checker for Config API requests and responses.

``load_spec("0.50")`` reads ``config-api-0.50.yaml`` from ``../shared/airbyte`` beside the
repository (and skips the calling test when that folder is absent). ``check_request`` and
``check_response`` return a list of problems, empty when the message fits the spec:

- the route must exist in that version, and a body is only allowed where one is declared;
- required fields must be present, and a field the schema does not declare is a problem,
  recursively through ``$ref``, ``allOf``, ``oneOf``/``anyOf`` and arrays; types, enums and the
  ``uuid``/``date-time``/``int32`` formats are checked; an object schema without properties
  (connector configuration, JSON schemas) is opaque;
- a response status must be declared, or be one the real server sends without declaring it
  (API-FACTS 6.2/6.3): 500 anywhere, 401 where auth applies, 404/422 on routes that take a
  body, 409 on the trigger and cancel routes, 400 and 401 on the token routes. Error bodies may
  take the real server's shapes (``KnownExceptionInfo``; head's ``{"errorId"}``).

Spec quirks handled on purpose: a ``required`` name the schema does not declare as a property
(``AirbyteStream.json_schema``, ``grant_type``) is allowed but not required, and a few required
response fields the real server leaves out when it has no value are listed in
``REAL_OMISSIONS``.
"""

from __future__ import annotations

import functools
import os
import uuid
from collections.abc import Mapping
from datetime import datetime
from pathlib import Path
from typing import Any

import attrs
import pytest
import yaml

__all__ = [
    "REAL_OMISSIONS",
    "SPEC_DIR",
    "Spec",
    "check_request",
    "check_response",
    "load_spec",
    "normalize_route",
]

#: ``../shared/airbyte`` beside the repository, or the folder ``AIRBYTE_ASYNC_SPECS`` names (a
#: checkout elsewhere, such as a git worktree).
SPEC_DIR = Path(
    os.environ.get("AIRBYTE_ASYNC_SPECS")
    or Path(__file__).resolve().parents[2] / "shared" / "airbyte"
)

_FILES = {
    "0.40": "config-api-0.40.yaml",
    "0.50": "config-api-0.50.yaml",
    "head": "config-api-head.yaml",
}

#: Per version and route: required response fields the real server omits when it has no value
#: (Jackson drops nulls), by schema name.
REAL_OMISSIONS: dict[tuple[str, str], dict[str, frozenset[str]]] = {
    # ConnectionsHandler.getConnectionStatuses sets these from Optionals, nextSync always null.
    ("0.50", "/v1/connections/status"): {
        "ConnectionStatusRead": frozenset({"lastSyncJobStatus", "lastSuccessfulSync", "nextSync"})
    },
    # getJobInfoWithoutLogsRead builds AttemptInfoRead without logs.
    ("0.50", "/v1/jobs/get_without_logs"): {"AttemptInfoRead": frozenset({"logs"})},
    # A community edition has no license.
    ("head", "/v1/instance_configuration"): {
        "InstanceConfigurationResponse": frozenset({"licenseStatus"})
    },
}

_ERROR_SCHEMAS = ("KnownExceptionInfo", "InvalidInputExceptionInfo", "NotFoundKnownExceptionInfo")


@attrs.frozen
class Spec:
    """One Config API spec: its version name and the parsed document."""

    version: str
    doc: Mapping[str, Any] = attrs.field(repr=False)


@functools.cache
def _load(name: str) -> Spec:
    path = SPEC_DIR / _FILES.get(name, name)
    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    with path.open() as f:
        return Spec(name, yaml.load(f, Loader=loader))


def load_spec(name: str) -> Spec:
    """The spec for ``"0.40"``, ``"0.50"`` or ``"head"``; skips the test when it is absent."""
    if not SPEC_DIR.is_dir():
        pytest.skip(f"the Airbyte specs are not at {SPEC_DIR}")
    return _load(name)


def normalize_route(route: str) -> str:
    """``/api/v1/jobs/get``, ``v1/jobs/get`` and ``jobs/get`` all become ``/v1/jobs/get``."""
    route = route.removeprefix("/api").rstrip("/")
    if not route.startswith("/"):
        route = "/" + route
    if not route.startswith(("/v1/", "/public/")):
        route = "/v1" + route
    return route


def _operation(spec: Spec, route: str, method: str | None) -> tuple[dict[str, Any] | None, str]:
    path = spec.doc["paths"].get(normalize_route(route))
    if path is None:
        return None, f"{route}: no such route in {spec.version}"
    ops = {m: op for m, op in path.items() if m in ("get", "post", "put", "patch", "delete")}
    if method is not None:
        op = ops.get(method.lower())
        return (op, "") if op is not None else (None, f"{route}: no {method} in {spec.version}")
    if len(ops) != 1:
        return None, f"{route}: several methods, name one"
    return next(iter(ops.values())), ""


def _resolve(spec: Spec, node: Mapping[str, Any]) -> tuple[Mapping[str, Any], str | None]:
    name = None
    while "$ref" in node:
        ref = node["$ref"]
        parts = ref.removeprefix("#/").split("/")
        target: Any = spec.doc
        for part in parts:
            target = target[part]
        name = parts[-1]
        node = target
    return node, name


def _json_schema(spec: Spec, content_holder: Mapping[str, Any]) -> Mapping[str, Any] | None:
    holder, _ = _resolve(spec, content_holder)
    content = holder.get("content") or {}
    media = content.get("application/json") or next(iter(content.values()), None)
    if media is None or "schema" not in media:
        return None
    schema: Mapping[str, Any] = media["schema"]
    return schema


@attrs.frozen
class _Ctx:
    spec: Spec
    omissions: Mapping[str, frozenset[str]]


def _check(ctx: _Ctx, schema: Mapping[str, Any], value: Any, path: str) -> list[str]:
    schema, name = _resolve(ctx.spec, schema)
    if value is None:
        return [] if schema.get("nullable") else [f"{path}: null is not allowed"]
    if "allOf" in schema:
        return _check(ctx, _merge_all_of(ctx, schema), value, path)
    for key in ("oneOf", "anyOf"):
        if key in schema:
            attempts = [_check(ctx, branch, value, path) for branch in schema[key]]
            if any(not a for a in attempts):
                return []
            best = min(attempts, key=len)
            return [f"{path}: fits no {key} branch", *best]
    kind = schema.get("type")
    if kind == "object" or "properties" in schema:
        return _check_object(ctx, schema, name, value, path)
    if kind == "array":
        if not isinstance(value, list):
            return [f"{path}: expected an array, got {type(value).__name__}"]
        items = schema.get("items", {})
        return [e for i, v in enumerate(value) for e in _check(ctx, items, v, f"{path}[{i}]")]
    found = _check_scalar(kind, schema.get("format"), value, path)
    if not found and "enum" in schema and value not in schema["enum"]:
        found.append(f"{path}: {value!r} is not one of {schema['enum']}")
    return found


def _merge_all_of(ctx: _Ctx, schema: Mapping[str, Any]) -> dict[str, Any]:
    merged: dict[str, Any] = {"type": "object", "properties": {}, "required": []}
    for part in schema["allOf"]:
        resolved, _ = _resolve(ctx.spec, part)
        if "allOf" in resolved:
            resolved = _merge_all_of(ctx, resolved)
        merged["properties"] |= resolved.get("properties", {})
        merged["required"] += resolved.get("required", [])
    return merged


def _check_object(
    ctx: _Ctx, schema: Mapping[str, Any], name: str | None, value: Any, path: str
) -> list[str]:
    if not isinstance(value, dict):
        return [f"{path}: expected an object, got {type(value).__name__}"]
    props: Mapping[str, Any] = schema.get("properties") or {}
    extra = schema.get("additionalProperties")
    if not props:
        if isinstance(extra, dict):
            return [e for k, v in value.items() for e in _check(ctx, extra, v, f"{path}.{k}")]
        return []  # free-form: connector configuration, JSON schemas
    required = schema.get("required") or []
    omitted = ctx.omissions.get(name or "", frozenset())
    found = [
        f"{path}: required field {key!r} is missing"
        for key in required
        if key in props and key not in value and key not in omitted
    ]
    for key, item in value.items():
        if key in props:
            found += _check(ctx, props[key], item, f"{path}.{key}")
        elif key in required or extra is True:
            continue
        elif isinstance(extra, dict):
            found += _check(ctx, extra, item, f"{path}.{key}")
        else:
            found.append(f"{path}: field {key!r} is not declared in {name or 'the schema'}")
    return found


def _check_scalar(kind: Any, fmt: Any, value: Any, path: str) -> list[str]:
    if kind == "string":
        if not isinstance(value, str):
            return [f"{path}: expected a string, got {type(value).__name__}"]
        if fmt == "uuid" and not _is_uuid(value):
            return [f"{path}: {value!r} is not a uuid"]
        if fmt == "date-time" and not _is_datetime(value):
            return [f"{path}: {value!r} is not a date-time"]
        return []
    if kind == "integer":
        if not isinstance(value, int) or isinstance(value, bool):
            return [f"{path}: expected an integer, got {type(value).__name__}"]
        if fmt == "int32" and not -(2**31) <= value < 2**31:
            return [f"{path}: {value} does not fit int32"]
        return []
    if kind == "number":
        if not isinstance(value, int | float) or isinstance(value, bool):
            return [f"{path}: expected a number, got {type(value).__name__}"]
        return []
    if kind == "boolean" and not isinstance(value, bool):
        return [f"{path}: expected a boolean, got {type(value).__name__}"]
    return []


def _is_uuid(text: str) -> bool:
    try:
        uuid.UUID(text)
    except ValueError:
        return False
    return True


def _is_datetime(text: str) -> bool:
    try:
        return datetime.fromisoformat(text).tzinfo is not None
    except ValueError:
        return False


def check_request(
    spec: Spec, route: str, body: Any, had_body: bool, *, method: str | None = None
) -> list[str]:
    """Problems with a request a client sent; empty when it fits the spec exactly."""
    op, problem = _operation(spec, route, method)
    if op is None:
        return [problem]
    request_body = op.get("requestBody")
    if request_body is None:
        return [f"{route}: takes no body, but one was sent"] if had_body else []
    resolved, _ = _resolve(spec, request_body)
    if not had_body:
        return [f"{route}: requires a body"] if resolved.get("required") else []
    schema = _json_schema(spec, resolved)
    if schema is None:
        return []
    ctx = _Ctx(spec, {})
    return _check(ctx, schema, body, "$")


def _undeclared_but_real(op: Mapping[str, Any], route: str, status: int) -> bool:
    route = normalize_route(route)
    if status == 500:
        return True
    if status == 401:
        return op.get("security") != []
    if status in (404, 422):
        return "requestBody" in op
    if status == 409:
        return route in ("/v1/connections/sync", "/v1/connections/reset")
    if status == 400:
        # InvalidInputExceptionHandler: a body without a required field (API-FACTS 6.2).
        return "requestBody" in op or route.endswith("/applications/token")
    return False


def check_response(
    spec: Spec, route: str, status: int, body: Any, *, method: str | None = None
) -> list[str]:
    """Problems with a response; empty when the status and body fit the spec (or the real
    server's undeclared behaviour)."""
    op, problem = _operation(spec, route, method)
    if op is None:
        return [problem]
    responses = op.get("responses") or {}
    declared = responses.get(str(status))
    if declared is None and not _undeclared_but_real(op, route, status):
        return [f"{route}: status {status} is neither declared nor one the real server sends"]
    schema = _json_schema(spec, declared) if declared is not None else None
    omissions = REAL_OMISSIONS.get((spec.version, normalize_route(route)), {})
    ctx = _Ctx(spec, omissions)
    if status >= 400:
        if not isinstance(body, dict):
            ok = status == 401 or (schema is None and body in (None, ""))
            return [] if ok else [f"{route}: {status} body is not a JSON object"]
        candidates = ([schema] if schema is not None else []) + [
            {"$ref": f"#/components/schemas/{n}"}
            for n in _ERROR_SCHEMAS
            if n in spec.doc["components"]["schemas"]
        ]
        attempts = [_check(ctx, c, body, "$") for c in candidates]
        return [] if any(not a for a in attempts) else min(attempts, key=len)
    if schema is None:
        return [] if body in (None, "", b"") else [f"{route}: {status} must have no body"]
    return _check(ctx, schema, body, "$")
