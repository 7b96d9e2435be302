"""error_for and Retry-After: real error bodies of each server version map to the right class."""

from __future__ import annotations

import email.utils
import pickle
from typing import Any

import pytest

from airbyte_async import errors
from airbyte_async.errors import (
    AirbyteError,
    APIError,
    AuthenticationError,
    BadRequestError,
    ConflictError,
    NotFoundError,
    PermissionDeniedError,
    RateLimitError,
    RequestTimeoutError,
    ServerError,
    SyncAlreadyRunningError,
    UnprocessableEntityError,
    error_for,
    parse_retry_after,
)

CONNECTION = "9e6b4b4e-3c4f-4a8e-9d0a-2f0e3b7a5c11"
ERROR_ID = "0c1d2e3f-4a5b-4c6d-8e7f-901234567890"

STACK_0X = {
    "exceptionClassName": "io.airbyte.commons.server.errors.IdNotFoundKnownException",
    "exceptionStack": ["at io.airbyte.server.apis.ApiHelper.execute(ApiHelper.java:29)"],
    "rootCauseExceptionClassName": "io.airbyte.data.exceptions.ConfigNotFoundException",
    "rootCauseExceptionStack": [],
}
NGINX_502 = (
    "<html>\r\n<head><title>502 Bad Gateway</title></head>\r\n<body>\r\n"
    "<center><h1>502 Bad Gateway</h1></center>\r\n<hr><center>nginx</center>\r\n"
    "</body>\r\n</html>\r\n"
)

# (status, body, expected class, expected message, expected errorId)
TABLE: list[tuple[int, Any, type[APIError], str, str | None]] = [
    (
        404,
        {"message": f"Could not find configuration for SOURCE: {CONNECTION}.", **STACK_0X},
        NotFoundError,
        f"Could not find configuration for SOURCE: {CONNECTION}.",
        None,
    ),
    (
        422,
        {
            "message": "The provided configuration does not fulfill the specification.",
            "exceptionClassName": "io.airbyte.server.errors.BadObjectSchemaKnownException",
            "exceptionStack": [],
            "validationErrors": [
                {
                    "propertyPath": "connectionConfiguration.host",
                    "invalidValue": "hunter2",
                    "message": "required property 'host' not found",
                }
            ],
        },
        UnprocessableEntityError,
        "The provided configuration does not fulfill the specification. "
        "(connectionConfiguration.host: required property 'host' not found)",
        None,
    ),
    (
        400,
        {
            "message": "Some properties contained invalid input.",
            "exceptionClassName": "io.airbyte.server.errors.InvalidInputExceptionMapper",
            "exceptionStack": [],
            "validationErrors": [{"propertyPath": "workspaceId", "message": "must not be null"}],
        },
        BadRequestError,
        "Some properties contained invalid input. (workspaceId: must not be null)",
        None,
    ),
    (404, {"errorId": ERROR_ID}, NotFoundError, "Not Found", ERROR_ID),
    (500, {"errorId": ERROR_ID}, ServerError, "Internal Server Error", ERROR_ID),
    (401, {"errorId": ERROR_ID}, AuthenticationError, "Unauthorized", ERROR_ID),
    (
        403,
        {"message": "User does not have the required permissions", "errorId": ERROR_ID},
        PermissionDeniedError,
        "User does not have the required permissions",
        ERROR_ID,
    ),
    (
        423,
        {
            "message": "State cannot be updated while a sync is running for this connection.",
            "errorId": ERROR_ID,
        },
        ConflictError,
        "State cannot be updated while a sync is running for this connection.",
        ERROR_ID,
    ),
    (
        409,
        {
            "type": "https://reference.airbyte.com/reference/errors#409-state-conflict",
            "title": "state-conflict",
            "status": 409,
            "detail": "Job is not currently running",
        },
        ConflictError,
        "Job is not currently running",
        None,
    ),
    (
        422,
        {
            "type": "https://reference.airbyte.com/reference/errors#422-unprocessable-entity",
            "title": "unprocessable-entity",
            "status": 422,
        },
        UnprocessableEntityError,
        "unprocessable-entity",
        None,
    ),
    # The public API's ResourceNotFoundProblem is a 400 (api-problems.yaml; as
    # airbytehq/terraform-provider-airbyte#58 shows a server answer it); its older form
    # named the id in its detail.
    (
        400,
        {
            "type": "https://reference.airbyte.com/reference/errors#resource-not-found",
            "title": "resource-not-found",
            "status": 400,
            "detail": f"Could not find a resource for: {CONNECTION}",
        },
        NotFoundError,
        f"Could not find a resource for: {CONNECTION}",
        None,
    ),
    # UnknownValueProblem, also a 400 "not found", is about a value the request sent (a
    # source type, say): bad input, not a missing object. Its message names the value.
    (
        400,
        {
            "type": "https://reference.airbyte.com/reference/errors",
            "title": "value-not-found",
            "status": 400,
            "detail": "The submitted value could not be found.",
            "documentationUrl": None,
            "data": {"value": "klaus-api"},
        },
        BadRequestError,
        "The submitted value could not be found: klaus-api",
        None,
    ),
    (502, NGINX_502, ServerError, "502 Bad Gateway", None),
    (
        410,
        {"message": "Entity deleted", "errorId": ERROR_ID},
        NotFoundError,
        "Entity deleted",
        ERROR_ID,
    ),
    (418, None, APIError, "I'm a Teapot", None),
    (599, "", ServerError, "HTTP error", None),
]


@pytest.mark.parametrize(("status", "body", "cls", "message", "error_id"), TABLE)
def test_error_for_maps_each_body_shape(
    status: int, body: Any, cls: type[APIError], message: str, error_id: str | None
) -> None:
    """Each version's body gives the class for its status, the server's message and errorId."""
    error = error_for(status, body, route="sources/get")

    assert type(error) is cls
    assert (error.status, error.message, error.error_id, error.route) == (
        status,
        message,
        error_id,
        "sources/get",
    )
    assert error.body == body


def test_validation_errors_never_show_the_invalid_value() -> None:
    """A 422's invalidValue (possibly a secret) is kept in .body but never in the message."""
    error = error_for(422, TABLE[1][1])

    assert "hunter2" not in str(error)
    assert "hunter2" not in repr(error)


@pytest.mark.parametrize(
    "body",
    [
        {
            "message": f"A sync is already running for: {CONNECTION}",
            "exceptionClassName": "io.airbyte.commons.server.errors.ValueConflictKnownException",
            "exceptionStack": ["at io.airbyte..."],
        },
        {"message": f"A sync is already running for: {CONNECTION}", "errorId": ERROR_ID},
        {
            "type": "https://reference.airbyte.com/reference/errors#try-again-later",
            "title": "try-again-later",
            "status": 409,
            "detail": "Please try again later.",
            "data": {"message": f"A sync is already running for: {CONNECTION}"},
        },
    ],
    ids=["0.x", "2.x", "problem"],
)
def test_sync_already_running_names_the_connection(body: dict[str, Any]) -> None:
    """409 "A sync is already running for: <uuid>" is SyncAlreadyRunningError with its id."""
    error = error_for(409, body, route="connections/sync")

    assert isinstance(error, SyncAlreadyRunningError)
    assert isinstance(error, ConflictError)
    assert error.connection_id == CONNECTION


def test_a_public_state_conflict_alone_is_a_plain_conflict() -> None:
    """
    Head's public ``POST /jobs`` that met a job not running yet fails after a minute with a
    409 ``state-conflict`` saying only "Could not fulfill request", as a sync of an inactive
    connection does (``ConfigClientErrorHandler.handleError`` drops an
    ``IllegalStateException``'s text): by its body alone it is a plain ConflictError; the
    trigger's look at the connection's jobs tells the two apart (tests/test_trigger_met.py).
    """
    body = {
        "type": "https://reference.airbyte.com/reference/errors#409-state-conflict",
        "title": "state-conflict",
        "status": 409,
        "detail": "State conflict",
        "data": {"message": "Could not fulfill request"},
    }
    error = error_for(409, body, route="jobs")

    assert type(error) is ConflictError


def test_other_conflicts_are_not_sync_already_running() -> None:
    """A 409 about something else stays a plain ConflictError."""
    error = error_for(409, {"message": "Failed to access database", "errorId": ERROR_ID})

    assert type(error) is ConflictError


@pytest.mark.parametrize(
    ("message", "cls"),
    [
        ("Internal Server Error: Could not find job with id: 99", NotFoundError),
        ("Internal Server Error: Can only sync an active connection", ConflictError),
        ("Internal Server Error: Connection refused", ServerError),
    ],
)
def test_a_500_that_names_a_lasting_cause_is_classed_by_it(
    message: str, cls: type[APIError]
) -> None:
    """0.x 500s for an unknown job or an inactive connection are what the public API calls
    them (API-FACTS 6.2): not server failures a retry could cure."""
    error = error_for(500, {"message": message, "exceptionClassName": "x"}, route="jobs/get")

    assert type(error) is cls
    assert error.status == 500


def test_problem_title_and_detail_are_exposed() -> None:
    """RFC 9457 problems keep their title and detail as attributes."""
    error = error_for(409, TABLE[8][1])

    assert (error.title, error.detail) == ("state-conflict", "Job is not currently running")


def test_429_reads_retry_after_in_seconds() -> None:
    """Retry-After: 7 gives retry_after == 7 seconds."""
    error = error_for(429, {"message": "You are being rate limited."}, headers={"Retry-After": "7"})

    assert isinstance(error, RateLimitError)
    assert error.retry_after == 7.0


def test_429_reads_retry_after_as_an_http_date_against_the_answers_date() -> None:
    """An HTTP-date Retry-After is measured from the answer's own Date, not the local clock."""
    date = email.utils.formatdate(1_000_000_000, usegmt=True)
    later = email.utils.formatdate(1_000_000_042, usegmt=True)

    error = error_for(429, None, headers={"Retry-After": later, "Date": date})

    assert error.retry_after == 42.0


@pytest.mark.parametrize(
    ("value", "expected"),
    [("0", 0.0), ("-5", 0.0), ("1.5", 1.5), ("nan", None), ("inf", None), ("soon", None)],
)
def test_parse_retry_after_accepts_seconds_only_when_finite(
    value: str, expected: float | None
) -> None:
    """Negative waits become 0; values that are neither numbers nor dates are ignored."""
    assert parse_retry_after({"retry-after": value}) == expected


def test_parse_retry_after_in_the_past_is_zero() -> None:
    """A date already passed asks for no wait."""
    past = email.utils.formatdate(1_000_000_000, usegmt=True)

    assert parse_retry_after({"Retry-After": past}, now=1_000_000_100) == 0.0


def test_str_shows_status_route_message_but_not_the_body() -> None:
    """str() is one line: status, route, message and errorId; the stack stays in .body."""
    error = error_for(404, TABLE[0][1], route="sources/get")

    assert (
        str(error) == f"404 on sources/get: Could not find configuration for SOURCE: {CONNECTION}."
    )
    assert "ApiHelper" not in str(error)


def test_request_timeout_is_not_the_builtin_timeout_error() -> None:
    """except TimeoutError around anyio.fail_after never catches one HTTP call's timeout."""
    assert not issubclass(RequestTimeoutError, TimeoutError)
    assert issubclass(RequestTimeoutError, AirbyteError)


def test_api_errors_are_picklable_enough_to_cross_processes() -> None:
    """An APIError survives pickling as an AirbyteError with its text."""
    error = error_for(404, {"errorId": ERROR_ID}, route="jobs/get")

    copy = pickle.loads(pickle.dumps(error))

    assert isinstance(copy, NotFoundError)
    assert (copy.status, copy.error_id, str(copy)) == (404, ERROR_ID, str(error))


def test_every_public_error_is_in_the_tree_the_module_docstring_draws() -> None:
    """Each exception errors.py exports derives from AirbyteError and is drawn in its docstring."""
    exported = [getattr(errors, name) for name in errors.__all__]
    classes = [c for c in exported if isinstance(c, type)]
    assert errors.SpecError in classes
    for cls in classes:
        assert issubclass(cls, errors.AirbyteError)
        assert f" {cls.__name__} " in errors.__doc__ or f"── {cls.__name__}" in errors.__doc__
    assert issubclass(errors.SpecError, errors.InvalidArgumentError)
