"""
The strict checker of ``spec_conformance``, for the public REST API (public-api-head.yaml).

Public routes are REST: a request is named by its method and path (``/jobs/7``), which
:func:`operation` matches to a spec path (``/jobs/{jobId}``). :func:`check_request` checks
the query parameters too (declared ones only, repeated array parameters, integers, booleans,
enums, date-times, UUIDs, and the declared minimum and maximum) and the body against the
request schema; :func:`check_response` checks the status and body.

Statuses the spec does not declare but the real server sends (API-FACTS 6.3, 6.4, 7): 401 where
auth applies; 400 for a query or body the server cannot read; 404 on a path that names an id;
409 on ``POST /jobs`` (``try-again-later``, ``state-conflict``) and ``DELETE /jobs/{jobId}``
("Job is not currently running"); 422 on ``POST /jobs`` (refresh) and on bodies a connector
specification rejects; 5xx anywhere. An error body must be an RFC 9457 problem, or one of the
two shapes Airbyte sends for what never reaches a controller's problems: Micronaut's own error
body (a query parameter it cannot convert: ``ConversionErrorHandler``), and the Config API's
error body (a body Jackson cannot read into the request's types:
``InvalidJsonInputExceptionHandler``'s 422, API-FACTS 6.2).
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Mapping, Sequence
from typing import Any

import spec_conformance as sc

__all__ = ["check_request", "check_response", "load_public_spec", "operation"]

FILE = "public-api-head.yaml"

#: ``BaseProblemFields`` (``api-problems.yaml``); Airbyte's bodies carry a null
#: ``documentationUrl`` (airbytehq/terraform-provider-airbyte#210 shows one).
_PROBLEM = {
    "type": "object",
    "required": ["type", "title"],
    "properties": {
        "status": {"type": "integer"},
        "type": {"type": "string"},
        "title": {"type": "string"},
        "detail": {"type": "string"},
        "documentationUrl": {"type": "string", "nullable": True},
        "data": {"type": "object"},
    },
}


#: Micronaut's ``JsonError`` (errors always a list, as Micronaut 4 sends them).
_MICRONAUT_ERROR = {
    "type": "object",
    "required": ["message", "_embedded"],
    "properties": {
        "message": {"type": "string"},
        "_links": {"type": "object"},
        "_embedded": {
            "type": "object",
            "required": ["errors"],
            "properties": {
                "errors": {
                    "type": "array",
                    "items": {
                        "type": "object",
                        "required": ["message"],
                        "properties": {"message": {"type": "string"}, "path": {"type": "string"}},
                    },
                }
            },
        },
    },
}
#: The Config API's error bodies: head's ``{errorId}``, before 2.0 ``KnownExceptionInfo``.
_CONFIG_ERROR = {
    "type": "object",
    "properties": {
        "errorId": {"type": "string", "format": "uuid"},
        "message": {"type": "string"},
        "exceptionClassName": {"type": "string"},
        "exceptionStack": {"type": "array", "items": {"type": "string"}},
        "rootCauseExceptionClassName": {"type": "string"},
        "rootCauseExceptionStack": {"type": "array", "items": {"type": "string"}},
        "validationErrors": {"type": "array", "items": {"type": "object"}},
    },
}


def load_public_spec() -> sc.Spec:
    """public-api-head.yaml; skips the test when ``../shared/airbyte`` is absent."""
    return sc.load_spec(FILE)


def _template(path: str) -> re.Pattern[str]:
    return re.compile("^" + re.sub(r"\{\w+\}", "[^/]+", path) + "$")


def operation(
    spec: sc.Spec, method: str, path: str
) -> tuple[str, Mapping[str, Any] | None, list[Mapping[str, Any]]]:
    """The spec path matching *path*, its operation for *method* (None when it has none) and
    its parameters (path-level and operation-level)."""
    path = path.rstrip("/") or "/"
    paths = spec.doc["paths"]
    # An exact path wins over a template (/applications/token over /applications/{id}).
    names = [path] if path in paths else [n for n in paths if "{" in n and _template(n).match(path)]
    for name in names:
        op = paths[name].get(method.lower())
        if op is not None:
            params = [*paths[name].get("parameters", ()), *op.get("parameters", ())]
            return name, op, params
    return (names[0] if names else path), None, []


def _param_problems(
    spec: sc.Spec, name: str, schema: Mapping[str, Any], values: Sequence[str]
) -> list[str]:
    schema, _ = sc._resolve(spec, schema)
    if schema.get("type") == "array":
        items = schema.get("items", {})
        return [p for v in values for p in _param_problems(spec, name, items, [v])]
    if len(values) > 1:
        return [f"?{name}: sent {len(values)} times, but it is not an array"]
    value = values[0]
    kind, fmt = schema.get("type"), schema.get("format")
    if kind == "integer":
        try:
            number = int(value)
        except ValueError:
            return [f"?{name}: {value!r} is not an integer"]
        if "minimum" in schema and number < schema["minimum"]:
            return [f"?{name}: {number} is below {schema['minimum']}"]
        if "maximum" in schema and number > schema["maximum"]:
            return [f"?{name}: {number} is above {schema['maximum']}"]
        return []
    if kind == "boolean" and value not in ("true", "false"):
        return [f"?{name}: {value!r} is not true or false"]
    if "enum" in schema and value not in schema["enum"]:
        return [f"?{name}: {value!r} is not one of {schema['enum']}"]
    if fmt in ("uuid", "UUID"):
        try:
            uuid.UUID(value)
        except ValueError:
            return [f"?{name}: {value!r} is not a uuid"]
    if fmt == "date-time" and not sc._is_datetime(value):
        return [f"?{name}: {value!r} is not a date-time"]
    # OpenAPI patterns are unanchored (ECMA-262 search).
    if "pattern" in schema and not re.search(schema["pattern"], value):
        return [f"?{name}: {value!r} does not match {schema['pattern']}"]
    return []


def check_request(
    spec: sc.Spec,
    method: str,
    path: str,
    query: Sequence[tuple[str, str]],
    body: Any,
    had_body: bool,
) -> list[str]:
    """Problems with one public API request; empty when it fits the spec exactly."""
    name, op, params = operation(spec, method, path)
    if op is None:
        return [f"{method} {path}: no such operation in {FILE}"]
    declared = {p["name"]: p for p in params if p.get("in") == "query"}
    sent: dict[str, list[str]] = {}
    for key, value in query:
        sent.setdefault(key, []).append(value)
    found = [f"{method} {name}: ?{key} is not declared" for key in sent if key not in declared]
    found += [
        f"{method} {name}: required ?{key} is missing"
        for key, p in declared.items()
        if p.get("required") and key not in sent
    ]
    for key, values in sent.items():
        if key in declared:
            found += _param_problems(spec, key, declared[key].get("schema", {}), values)
    request_body = op.get("requestBody")
    if request_body is None:
        return found + ([f"{method} {name}: takes no body, but one was sent"] if had_body else [])
    resolved, _ = sc._resolve(spec, request_body)
    if not had_body:
        return found + ([f"{method} {name}: requires a body"] if resolved.get("required") else [])
    schema = sc._json_schema(spec, resolved)
    if schema is not None:
        found += sc._check(sc._Ctx(spec, {}), schema, body, "$")
    return found


def _undeclared_but_real(method: str, name: str, op: Mapping[str, Any], status: int) -> bool:
    if status >= 500:
        return True
    if status == 401:
        return op.get("security") != []
    if status == 400:
        return True
    if status == 404:
        return "{" in name or method in ("POST", "GET")
    if status == 409:
        return name in ("/jobs", "/jobs/{jobId}") and method in ("POST", "DELETE")
    if status == 422:
        return method in ("POST", "PATCH", "PUT")
    return False


def check_response(spec: sc.Spec, method: str, path: str, status: int, body: Any) -> list[str]:
    """Problems with one public API response; empty when status and body fit the spec (or the
    real server's undeclared statuses, with problem bodies)."""
    name, op, _ = operation(spec, method, path)
    if op is None:
        return [f"{method} {path}: no such operation in {FILE}"]
    declared = (op.get("responses") or {}).get(str(status))
    if declared is None and not _undeclared_but_real(method, name, op, status):
        return [f"{method} {name}: status {status} is neither declared nor one the server sends"]
    ctx = sc._Ctx(spec, {})
    if status >= 400:
        if status == 401 and body is None:
            return []
        if isinstance(body, Mapping) and "_embedded" in body:
            return sc._check(ctx, _MICRONAUT_ERROR, body, "$")
        if isinstance(body, Mapping) and "type" not in body:
            wrong = sc._check(ctx, _CONFIG_ERROR, body, "$")
            return wrong or ([] if body else ["$: an empty error body"])
        return sc._check(ctx, _PROBLEM, body, "$")
    schema = sc._json_schema(spec, declared) if declared is not None else None
    if schema is None:
        return [] if body in (None, "", b"") else [f"{method} {name}: {status} has a body"]
    return sc._check(ctx, schema, body, "$")
