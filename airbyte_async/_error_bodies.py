"""
Reading the server's error bodies: every shape Airbyte (or a proxy in front of it) answers an
error with, and the only place their field names are spelled.

- Config API 0.x: ``{message, exceptionClassName, exceptionStack, ...}``; a 400 or 422 with
  ``validationErrors`` (API-FACTS 6.1, 6.2).
- Config API 2.x: ``{errorId}`` or ``{message, errorId}`` (API-FACTS 6.2).
- The public REST API: RFC 9457 problems (API-FACTS 6.4), sent as ``application/json`` (never
  ``application/problem+json``: ``AbstractThrowableProblemHandler``); a body is read as what
  it holds, whatever its Content-Type says.
- Micronaut's own ``{message, _links, _embedded: {errors: [{message, path}]}}``, for what fails
  before a controller runs: a query parameter it cannot convert (``limit=abc``), a method
  the route lacks, a role check.
- A proxy's HTML page, or any text.

Pure functions over decoded JSON (or text); :mod:`airbyte_async.errors` builds its exceptions
from them.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from http import HTTPStatus
from typing import Any

__all__ = [
    "known_server_failure",
    "is_object_404",
    "is_problem",
    "is_resource_not_found",
    "is_try_again_later",
    "message_of",
    "problem_field",
    "reason",
    "running_match",
]

_MAX_MESSAGE = 500
#: "A sync is already running for: <id>" (``TemporalClient.startNewManualSync``), and what a
#: trigger that answers once a new job exists (head's public one) says after a minute without one
#: (``startNewManualSyncAndWaitForJobId``): the connection's job is there, not running yet.
_RUNNING_RE = re.compile(
    r"(?:sync is already running|timed out waiting for a sync job to be created) for:?"
    r"\s*([0-9a-fA-F-]{36})?",
    re.IGNORECASE,
)
_HTML_TITLE = re.compile(r"<title[^>]*>(.*?)</title>", re.IGNORECASE | re.DOTALL)
_TAG = re.compile(r"<[^>]*>")


def problem_field(body: Any, key: str) -> str | None:
    value = body.get(key) if isinstance(body, Mapping) else None
    return value if isinstance(value, str) and value else None


def _text(value: Any) -> str | None:
    return value.strip() or None if isinstance(value, str) else None


def message_of(body: Any, status: int) -> tuple[str, str | None]:
    """
    The server's message and errorId, from whichever body shape it sent: 0.x
    ``{message, exceptionClassName, ...}`` (422 with ``validationErrors``), 2.x ``{errorId}`` or
    ``{message, errorId}``, RFC 9457 problems (``detail``, ``title``, ``data.message``, a
    resource-not-found's ``data.resourceType`` and ``data.resourceId``, a value-not-found's
    ``data.value``), Micronaut's errors (the messages in ``_embedded.errors``, its own
    ``message`` being the status's reason), or the text of a proxy's HTML page. Validation
    errors contribute their paths and messages, never their ``invalidValue`` (it may be a
    secret).
    """
    if isinstance(body, Mapping):
        error_id = body.get("errorId")
        data = body.get("data")
        specific = _text(data.get("message")) if isinstance(data, Mapping) else None
        detail = _text(body.get("detail"))
        embedded = _embedded_messages(body)
        if embedded:
            message: str | None = "; ".join(embedded)
        elif is_problem(body):
            # A problem's detail is its type's stock sentence; data.message says what happened,
            # and a resource-not-found's data what was not found.
            message = specific or detail or _text(body.get("title"))
            missing = _resource(data) or _value(data)
            if specific is None and missing is not None:
                message = f"{(message or reason(status)).rstrip('.')}: {missing}"
        else:
            message = _text(body.get("message")) or detail or specific or _text(body.get("title"))
        validation = body.get("validationErrors")
        if isinstance(validation, list) and validation:
            parts = [
                f"{v.get('propertyPath', '?')}: {v.get('message', 'invalid')}"
                for v in validation
                if isinstance(v, Mapping)
            ]
            message = f"{message or 'invalid input'} ({'; '.join(parts)})"
        if message is None and error_id and status == 422:
            # 2.x (API-FACTS 6.2): the body could not be read into the route's types.
            message = f"{reason(status)}: {_UNREADABLE}"
        text = message or reason(status)
        return text[:_MAX_MESSAGE], str(error_id) if error_id else None
    if isinstance(body, str) and body.strip():
        title = _HTML_TITLE.search(body)
        page = title.group(1) if title else _TAG.sub(" ", body)
        squashed = " ".join(page.split())
        return (squashed[:200] or reason(status)), None
    return reason(status), None


def _embedded_messages(body: Mapping[str, Any]) -> list[str]:
    """The messages of a Micronaut error body's ``_embedded.errors`` (none for other bodies)."""
    embedded = body.get("_embedded")
    errors = embedded.get("errors") if isinstance(embedded, Mapping) else None
    if not isinstance(errors, list):
        return []
    found = [_text(e.get("message")) for e in errors if isinstance(e, Mapping)]
    return [text for text in found if text]


def _resource(data: Any) -> str | None:
    """``<resourceType> <resourceId>`` of a problem's ``ProblemResourceData``, if it has one."""
    if not isinstance(data, Mapping):
        return None
    kind, resource_id = _text(data.get("resourceType")), _text(data.get("resourceId"))
    if resource_id is None:
        return None
    return f"{kind} {resource_id}" if kind else resource_id


def _value(data: Any) -> str | None:
    """The value an ``UnknownValueProblem`` (``value-not-found``) says it could not find."""
    return _text(data.get("value")) if isinstance(data, Mapping) else None


#: What Airbyte 2.x's bare 422 means: InvalidJsonExceptionHandler or
#: InvalidJsonInputExceptionHandler (a JsonParseException or JsonMappingException).
_UNREADABLE = (
    "the server could not read the body into the route's types (Airbyte 2.x says no more): "
    "a value of the wrong type, or an enum value this server's release does not know"
)


def is_object_404(body: Any) -> bool:
    """
    Whether a Config API 404's *body* is Airbyte's answer about an id: a JSON object naming the
    exception (0.x) or carrying an error id (2.x; API-FACTS 6.2). NotFoundController's bare
    "Object not found." for a path no controller serves is not, nor is a proxy's page.
    """
    return isinstance(body, Mapping) and ("exceptionClassName" in body or "errorId" in body)


def is_problem(body: Mapping[str, Any]) -> bool:
    """An RFC 9457 problem (the public API's errors, API-FACTS 6.4)."""
    return isinstance(body.get("type"), str) and isinstance(body.get("title"), str)


def is_resource_not_found(body: Any) -> bool:
    """
    Whether *body* is the public API's ``resource-not-found`` problem, which Airbyte sends
    with status 400, not 404 (airbytehq/airbyte-platform: ``ResourceNotFoundProblem`` is
    ``HttpStatus.BAD_REQUEST``; ``api-problems.yaml`` gives it ``status`` 400).
    """
    return (
        isinstance(body, Mapping)
        and is_problem(body)
        and (body["title"] == "resource-not-found" or body["type"].endswith("#resource-not-found"))
    )


def is_try_again_later(body: Any) -> bool:
    """The public API's 409 for a trigger while a job runs (``TryAgainLaterConflictProblem``)."""
    if not isinstance(body, Mapping) or not is_problem(body):
        return False
    kind: str = body["type"]
    return body["title"] == "try-again-later" or kind.endswith("#try-again-later")


def running_match(message: str, body: Any) -> re.Match[str] | None:
    texts: list[Any] = [message]
    if isinstance(body, Mapping):
        data = body.get("data")
        texts += [body.get("detail"), data.get("message") if isinstance(data, Mapping) else None]
    for text in texts:
        if isinstance(text, str) and (match := _RUNNING_RE.search(text)):
            return match
    return None


#: 500s whose 0.x message says what is wrong with the request: no retry can cure them
#: (API-FACTS 6.2, "Other notable runtime cases"). 2.x bodies carry no message.
_KNOWN_500 = (
    # DefaultJobPersistence.getJob's RuntimeException for an unknown job id.
    (re.compile(r"Could not find job with id"), "not_found"),
    # SchedulerHandler.submitManualSyncToWorker's check(status == ACTIVE).
    (re.compile(r"Can only sync an active connection"), "conflict"),
)


def known_server_failure(message: str) -> str | None:
    """``"not_found"`` or ``"conflict"`` for a 5xx message that names a lasting cause."""
    return next((kind for pattern, kind in _KNOWN_500 if pattern.search(message)), None)


def reason(status: int) -> str:
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return "HTTP error"
