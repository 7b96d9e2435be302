"""
Fidelity: the public REST API's refusals are RFC 9457 problems (API-FACTS 6.4), sent as
``application/json``, but for a missing or refused token (Micronaut's own 401); a query
parameter that does not convert gets Micronaut's own 400; and the client maps them all into
its error tree, whatever their Content-Type, without leaking the credentials it sent.
"""

from __future__ import annotations

import json
from contextlib import AbstractAsyncContextManager
from typing import Any

import aiohttp
import emulator_support
import pytest
from aiohttp import web
from client_support import serving

from airbyte_async import AirbyteClient, BearerToken, ClientCredentials, NoAuth
from airbyte_async.errors import (
    APIError,
    AuthenticationError,
    BadRequestError,
    ConflictError,
    NotFoundError,
    SyncAlreadyRunningError,
    UnprocessableEntityError,
)
from airbyte_async.testing import (
    Emulator,
    Fault,
    RequireBearer,
    RequireClientCredentials,
    pytest_plugin,
)

pytestmark = pytest.mark.anyio

airbyte_emulator_factory = pytest_plugin.airbyte_emulator_factory
Factory = pytest_plugin.EmulatorFactory
http = emulator_support.http

SECRET = "not-the-token-4f9c2e"


async def get(
    http: aiohttp.ClientSession, emu: Emulator, path: str, token: str | None
) -> tuple[int, str, object]:
    """``GET /api/public/v1<path>`` with *token* as a bearer token: status, type, JSON body."""
    headers = {} if token is None else {"Authorization": f"Bearer {token}"}
    async with http.get(f"{emu.url}/api/public/v1{path}", headers=headers) as response:
        return response.status, response.content_type, await response.json(content_type=None)


@pytest.mark.parametrize("api", ["public", "config"])
@pytest.mark.parametrize("token", [None, SECRET])
async def test_a_route_refuses_a_missing_or_wrong_token_with_micronaut_s_own_401(
    airbyte_emulator_factory: Factory, http: aiohttp.ClientSession, token: str | None, api: str
) -> None:
    """
    A route called without a token, or with one the server did not mint (expired, revoked),
    answers Micronaut's own 401 (``JsonError``, message "Unauthorized", as
    ``application/json``), on the public API as on the Config API: SecurityFilter refuses the
    request before any controller runs, every route that takes a token being @Secured
    (airbytehq/airbyte-platform @ea59859a ``publicapi/controllers/JobsController.kt``:
    ``@Secured(SecurityRule.IS_AUTHENTICATED)`` on the class), so nothing was done. The public
    API's ``InvalidApiKeyProblem`` is thrown only for a Config API answer that the old
    forwarding ``airbyte-api-server`` got back (@45c2efb7 ``ConfigClientErrorHandler``
    ``handleError(response, ...)``: ``HttpStatus.UNAUTHORIZED -> throw InvalidApiKeyProblem()``).
    """
    emu = await airbyte_emulator_factory(airbyte_version="head", auth=RequireBearer("right"))
    headers = {} if token is None else {"Authorization": f"Bearer {token}"}
    path = "/api/public/v1/workspaces" if api == "public" else "/api/v1/source_definitions/list"
    method = http.get if api == "public" else http.post
    async with method(f"{emu.url}{path}", headers=headers) as response:
        status, content_type = response.status, response.content_type
        body = await response.json(content_type=None)
    assert status == 401
    assert content_type == "application/json"
    assert body == {
        "message": "Unauthorized",
        "_links": {"self": {"href": path, "templated": False}},
        "_embedded": {"errors": [{"message": "Unauthorized"}]},
    }
    assert (await get(http, emu, "/workspaces", "right"))[0] == 200


async def test_a_refused_token_is_an_authentication_error_without_the_secret(
    airbyte_emulator_factory: Factory,
) -> None:
    """
    The client raises its AuthenticationError for the public API's 401, says what its body
    says, and never shows the token it sent.
    """
    emu = await airbyte_emulator_factory(airbyte_version="head", auth=RequireBearer("right"))
    client = AirbyteClient(emu.url, api="public", auth=BearerToken(SECRET), env={})
    async with client:
        with pytest.raises(AuthenticationError) as caught:
            await client.workspaces.get(workspace_id=emu.workspace_ids[0])
    error = caught.value
    assert error.status == 401
    assert "Unauthorized" in str(error)
    assert SECRET not in str(error) and SECRET not in repr(error)


async def test_a_token_the_server_stops_taking_is_an_authentication_error_too(
    airbyte_emulator_factory: Factory,
) -> None:
    """
    With client credentials, a public 401 makes the client mint a fresh token and replay; when
    the fresh tokens are refused too, the 401 ends as AuthenticationError, with neither the
    client secret nor a token in it (API-FACTS 1.2).
    """
    emu = await airbyte_emulator_factory(
        airbyte_version="head",
        auth=RequireClientCredentials("app", SECRET),
        faults=[Fault(kind="token_expiry", route="*", rate=1.0)],
    )
    client = AirbyteClient(emu.url, api="public", auth=ClientCredentials("app", SECRET), env={})
    async with client:
        with pytest.raises(AuthenticationError) as caught:
            await client.workspaces.get(workspace_id=emu.workspace_ids[0])
    error = caught.value
    assert "Unauthorized" in str(error)
    assert emu.stats().tokens_minted > 1
    assert SECRET not in str(error) and SECRET not in repr(error)
    assert "Bearer" not in str(error)


async def test_every_public_problem_is_sent_as_application_json(
    airbyte_emulator_factory: Factory, http: aiohttp.ClientSession
) -> None:
    """
    The public API's problems (a 400 ``resource-not-found``, a 422 ``unprocessable-entity``
    for a refresh, a 403 ``forbidden``) come as ``application/json``, as Airbyte's
    ``AbstractThrowableProblemHandler`` sends them (airbytehq/airbyte-platform @312796a7).
    """
    emu = await airbyte_emulator_factory(airbyte_version="head", connections=1)
    base = f"{emu.url}/api/public/v1"
    cid = emu.connection_ids[0]
    asks = [
        ("GET", f"{base}/sources/{emu.connection_ids[0]}", None, 400, "resource-not-found"),
        ("POST", f"{base}/jobs", {"jobType": "refresh", "connectionId": cid}, 422, None),
        ("GET", f"{base}/jobs/987654", None, 403, "forbidden"),
    ]
    for method, url, body, status, title in asks:
        async with http.request(method, url, json=body) as response:
            assert response.status == status, await response.text()
            assert response.content_type == "application/json"
            problem = await response.json()
        assert title is None or problem["title"] == title


@pytest.mark.parametrize(
    ("path", "argument", "value", "cause"),
    [
        ("/jobs?limit=abc", "limit", "abc", 'For input string: "abc"'),
        ("/workspaces?offset=1.5", "offset", "1.5", 'For input string: "1.5"'),
        ("/connections?tagIds=nope", "tagIds", "nope", "Invalid UUID string: nope"),
        ("/sources?workspaceIds=nope", "workspaceIds", "nope", "Invalid UUID string: nope"),
        ("/jobs?createdAtStart=today", "createdAtStart", "today", "Text 'today' could not"),
        ("/jobs?jobType=bogus", "jobType", "bogus", "No enum constant JobTypeEnum.bogus"),
    ],
)
async def test_a_query_parameter_that_does_not_convert_gets_micronauts_400(
    airbyte_emulator_factory: Factory,
    http: aiohttp.ClientSession,
    path: str,
    argument: str,
    value: str,
    cause: str,
) -> None:
    """
    A query parameter Micronaut cannot convert to its argument's type fails before the
    controller runs: a 400 with Micronaut's own JSON error body, not a problem
    (micronaut-core ``ConversionErrorHandler``, ``DefaultJsonErrorResponseBodyProvider`` with
    errors always a list, as Micronaut 4 has it; airbyte-server has no handler of its own for
    ``ConversionErrorException``).
    """
    emu = await airbyte_emulator_factory(airbyte_version="head")
    async with http.get(f"{emu.url}/api/public/v1{path}") as response:
        assert response.status == 400
        assert response.content_type == "application/json"
        body = await response.json()
    assert body["message"] == "Bad Request"
    assert body["_links"]["self"]["href"] == f"/api/public/v1{path}"
    [error] = body["_embedded"]["errors"]
    assert error["message"].startswith(
        f"Failed to convert argument [{argument}] for value [{value}] due to: {cause}"
    )
    assert error["path"] == f"/{argument}"
    assert "type" not in body


async def test_a_boolean_query_parameter_never_fails_to_convert(
    airbyte_emulator_factory: Factory, http: aiohttp.ClientSession
) -> None:
    """
    ``includeDeleted`` converts whatever it says: Micronaut reads ``yes``, ``y``, ``on`` and
    ``true`` (any case) as true and anything else as false, never refusing one
    (micronaut-core ``DefaultMutableConversionService``, String to Boolean).
    """
    emu = await airbyte_emulator_factory(airbyte_version="head", connections=1)
    cid = emu.connection_ids[0]
    base = f"{emu.url}/api/public/v1"
    async with http.delete(f"{base}/connections/{cid}") as response:
        assert response.status == 204
    seen = {}
    for flag in ("maybe", "YES", "on", "false"):
        async with http.get(f"{base}/connections?includeDeleted={flag}&limit=100") as response:
            assert response.status == 200, await response.text()
            listed = (await response.json())["data"]
        seen[flag] = cid in [c["connectionId"] for c in listed]
    assert seen == {"maybe": False, "YES": True, "on": True, "false": False}


def answering(status: int, body: Any, content_type: str) -> AbstractAsyncContextManager[str]:
    """A server that answers every request with *status* and the JSON *body*, labelled
    *content_type*; yields its URL."""

    async def handle(request: web.Request) -> web.Response:
        return web.Response(
            status=status, body=json.dumps(body).encode(), content_type=content_type
        )

    app = web.Application()
    app.router.add_route("*", "/{path:.*}", handle)
    return serving(app)


_ERRORS = "https://reference.airbyte.com/reference/errors"
CID = "9e6b4b4e-3c4f-4a8e-9d0a-2f0e3b7a5c11"
#: (status, body, class, message): problems as Airbyte sends them, and Micronaut's own 400.
PUBLIC_ERRORS: list[tuple[int, Any, type[APIError], str]] = [
    (
        400,
        {
            "status": 400,
            "type": f"{_ERRORS}#bad-request",
            "title": "bad-request",
            "detail": "The request could not be understood by the server due to malformed syntax.",
            "documentationUrl": None,
            "data": {"message": "Invalid order by clause provided: name|UP"},
        },
        BadRequestError,
        "Invalid order by clause provided: name|UP",
    ),
    (
        400,
        {
            "status": 400,
            "type": f"{_ERRORS}#resource-not-found",
            "title": "resource-not-found",
            "detail": "The requested resource could not be found.",
            "data": {"resourceType": "connection", "resourceId": CID},
        },
        NotFoundError,
        f"The requested resource could not be found: connection {CID}",
    ),
    (
        404,
        {"status": 404, "type": _ERRORS, "title": "not-found", "detail": "No such thing."},
        NotFoundError,
        "No such thing.",
    ),
    (
        409,
        {
            "status": 409,
            "type": f"{_ERRORS}#try-again-later",
            "title": "try-again-later",
            "detail": "Please try again later.",
            "data": {"message": f"A sync is already running for: {CID}"},
        },
        SyncAlreadyRunningError,
        f"A sync is already running for: {CID}",
    ),
    (
        409,
        {
            "status": 409,
            "type": f"{_ERRORS}#409-state-conflict",
            "title": "state-conflict",
            "detail": "State conflict",
            "data": {"message": "Job is not currently running"},
        },
        ConflictError,
        "Job is not currently running",
    ),
    (
        422,
        {
            "status": 422,
            "type": f"{_ERRORS}#unprocessable-entity",
            "title": "unprocessable-entity",
            "detail": "The body of the request was not understood",
            "data": {"message": "Refreshes are not supported in the public API"},
        },
        UnprocessableEntityError,
        "Refreshes are not supported in the public API",
    ),
    (
        400,
        {
            "message": "Bad Request",
            "_links": {"self": {"href": "/api/public/v1/jobs?limit=abc", "templated": False}},
            "_embedded": {
                "errors": [
                    {
                        "message": "Failed to convert argument [limit] for value [abc] due "
                        'to: For input string: "abc"',
                        "path": "/limit",
                    }
                ]
            },
        },
        BadRequestError,
        'Failed to convert argument [limit] for value [abc] due to: For input string: "abc"',
    ),
]


@pytest.mark.parametrize("content_type", ["application/json", "application/problem+json"])
@pytest.mark.parametrize(("status", "body", "cls", "message"), PUBLIC_ERRORS)
async def test_the_client_reads_a_public_error_whatever_its_content_type(
    content_type: str, status: int, body: Any, cls: type[APIError], message: str
) -> None:
    """
    The client reads an error by its status and body, not its Content-Type: a problem sent as
    ``application/json``, as Airbyte sends every one (``AbstractThrowableProblemHandler``),
    raises the class and says the message it does as ``application/problem+json``; Micronaut's
    own 400 says what its ``_embedded.errors`` say, not its bare "Bad Request".
    """
    async with (
        answering(status, body, content_type) as url,
        AirbyteClient(url, api="public", auth=NoAuth(), env={}) as client,
    ):
        with pytest.raises(APIError) as caught:
            await client.request(f"connections/{CID}", method="GET")
    assert type(caught.value) is cls
    assert (caught.value.status, caught.value.message) == (status, message)
