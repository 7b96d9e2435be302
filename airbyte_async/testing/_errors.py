"""
Error answers, in each version's body shape.

Handlers raise :class:`ApiError`; the app renders it with :func:`error_body` for the running
version. 0.x bodies carry ``message``, ``exceptionClassName`` and a short ``exceptionStack``;
2.0 and later send ``{"errorId"}`` alone for not-found, malformed input and uncaught errors,
and ``{"message", "errorId"}`` for known exceptions such as 409 (API-FACTS 6.2), and a
problem exception's RFC 9457 body as it is. Messages name ids and keys, never configuration
values.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from typing import Any

from ._versions import since

__all__ = [
    "ApiError",
    "bad_config",
    "bad_request",
    "conflict",
    "cron_problem",
    "error_body",
    "internal",
    "invalid_input",
    "micronaut_body",
    "not_found",
    "unreadable",
]

_ERRORS = "io.airbyte.commons.server.errors"


class ApiError(Exception):
    """
    A failed API call: its status, message and the Java exception the real server would name.

    *known* marks the real server's ``KnownException`` family, whose message head still sends;
    *validation_errors* are ``(propertyPath, message)`` pairs for malformed input; *problem* is
    the whole body of a problem exception (head's ``AbstractThrowableProblemHandler``);
    *resource* the config type and id a ``ConfigNotFoundException`` names.
    """

    def __init__(
        self,
        status: int,
        message: str,
        *,
        exception_class: str,
        known: bool = True,
        root_cause: str | None = None,
        validation_errors: Sequence[tuple[str, str]] = (),
        problem: Mapping[str, Any] | None = None,
        resource: tuple[str, str] | None = None,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.exception_class = exception_class
        self.known = known
        self.root_cause = root_cause
        self.validation_errors = tuple(validation_errors)
        self.problem = problem
        self.resource = resource


def not_found(config_type: str, config_id: object) -> ApiError:
    """404 for an id that names nothing (``ConfigNotFoundException``)."""
    return ApiError(
        404,
        f"Could not find configuration for {config_type}: {config_id}.",
        exception_class=f"{_ERRORS}.IdNotFoundKnownException",
        known=False,
        root_cause="io.airbyte.data.exceptions.ConfigNotFoundException",
        resource=(config_type, str(config_id)),
    )


def invalid_input(errors: Sequence[tuple[str, str]]) -> ApiError:
    """
    400 for a body without a required field: bean validation's ConstraintViolationException,
    turned into ``InvalidInputExceptionInfo`` by ``InvalidInputExceptionHandler`` (0.50, head)
    or ``InvalidInputExceptionMapper`` (0.40); head sends only ``{errorId}`` (API-FACTS 6.2).
    """
    return ApiError(
        400,
        "Some properties contained invalid input.",
        exception_class="javax.validation.ConstraintViolationException",
        known=False,
        validation_errors=errors,
    )


def unreadable(errors: Sequence[tuple[str, str]], *, parse: bool = False) -> ApiError:
    """
    422 for a body Jackson cannot read: not JSON at all (*parse*, ``InvalidJsonExceptionHandler``)
    or not of the schema's types (``InvalidJsonInputExceptionHandler``, e.g. a bad enum value).
    0.x sends ``KnownExceptionInfo`` without ``validationErrors``; head only ``{errorId}``.
    """
    where = "; ".join(f"{path}: {text}" for path, text in errors)
    if parse:
        message = f"Invalid json. {where}"
        exception_class = "com.fasterxml.jackson.core.JsonParseException"
    else:
        message = f"Invalid json input. {where}"
        exception_class = "com.fasterxml.jackson.databind.exc.MismatchedInputException"
    return ApiError(422, message, exception_class=exception_class, known=False)


def bad_config(message: str) -> ApiError:
    """422 ``BadObjectSchemaKnownException`` (a ``JsonValidationException`` on the server)."""
    return ApiError(422, message, exception_class=f"{_ERRORS}.BadObjectSchemaKnownException")


def conflict(message: str) -> ApiError:
    """409 ``ValueConflictKnownException``, e.g. a sync that is already running."""
    return ApiError(409, message, exception_class=f"{_ERRORS}.ValueConflictKnownException")


def bad_request(message: str) -> ApiError:
    """400 ``BadRequestException``."""
    return ApiError(400, message, exception_class=f"{_ERRORS}.BadRequestException")


def cron_problem(
    name: str, kind: str, title: str, detail: str, data: Mapping[str, Any] | None = None
) -> ApiError:
    """
    400 ``CronValidation<name>Problem`` (head): its body is the problem, type
    ``error:cron-validation/<kind>``, with *title*, *detail* and *data* as ``api-problems.yaml``
    declares them (airbytehq/airbyte-platform ``airbyte-api/problems-api``).
    """
    body: dict[str, Any] = {
        "status": 400,
        "type": f"error:cron-validation/{kind}",
        "title": title,
        "detail": detail,
    }
    if data is not None:
        body["data"] = dict(data)
    exception_class = f"io.airbyte.api.problems.throwable.generated.CronValidation{name}Problem"
    return ApiError(400, detail, exception_class=exception_class, known=False, problem=body)


def internal(message: str, exception_class: str = "java.lang.IllegalStateException") -> ApiError:
    """500 for an exception the real server does not map (``UncaughtExceptionHandler``)."""
    return ApiError(500, message, exception_class=exception_class, known=False)


def micronaut_body(reason: str, href: str, *errors: tuple[str, str | None]) -> dict[str, Any]:
    """
    Micronaut's own error body, for what fails before a controller runs (an argument it cannot
    convert, a method a route lacks, a role check): ``JsonError`` with the status's *reason*
    as its message, a ``self`` link to *href* (the request's URI) and each of *errors* (its
    message and, when known, the path of the argument at fault) in ``_embedded.errors``, a
    list even of one (Micronaut 4 turned ``jackson.always-serialize-errors-as-list`` on:
    micronaut-core ``DefaultJsonErrorResponseBodyProvider``, ``HateoasErrorResponseProcessor``;
    its 4.0 upgrade notes). It is sent as ``application/json``.
    """
    embedded = [
        {"message": message} | ({"path": path} if path is not None else {})
        for message, path in errors
    ]
    return {
        "message": reason,
        "_links": {"self": {"href": href, "templated": False}},
        "_embedded": {"errors": embedded},
    }


def error_body(error: ApiError, version: str) -> dict[str, Any]:
    """The JSON body the real server of *version* sends for *error*."""
    if error.problem is not None:
        return dict(error.problem)
    error_id = str(uuid.uuid4())
    if since(version, "2.0"):
        if error.known:
            return {"message": error.message, "errorId": error_id}
        return {"errorId": error_id}
    message = error.message
    if error.status == 500 or (error.status == 404 and version == "0.40"):
        message = f"Internal Server Error: {message}"
    body: dict[str, Any] = {
        "message": message,
        "exceptionClassName": error.exception_class,
        "exceptionStack": [
            f"{error.exception_class}: {message}",
            "\tat io.airbyte.server.apis.ApiHelper.execute(ApiHelper.java:29)",
        ],
    }
    if error.root_cause:
        body["rootCauseExceptionClassName"] = error.root_cause
        body["rootCauseExceptionStack"] = [f"{error.root_cause}: {error.message}"]
    if error.validation_errors:
        body["validationErrors"] = [
            {"propertyPath": path, "message": text, "invalidValue": "null"}
            for path, text in error.validation_errors
        ]
    return body
