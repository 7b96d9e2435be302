"""
Fidelity: the public REST API's refusals are RFC 9457 problems, the 401 included (API-FACTS 6.4),
and the client maps them into its error tree without leaking the credentials it sent.
"""

from __future__ import annotations

import aiohttp
import emulator_support
import pytest

from airbyte_async import AirbyteClient, BearerToken, ClientCredentials
from airbyte_async.errors import AuthenticationError
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
INVALID_API_KEY = {
    "status": 401,
    "type": "https://reference.airbyte.com/reference/errors#invalid-api-key",
    "title": "invalid-api-key",
    "detail": "The API key in the Authorization header is invalid.",
    "documentationUrl": None,
}


async def get(
    http: aiohttp.ClientSession, emu: Emulator, path: str, token: str | None
) -> tuple[int, str, object]:
    """``GET /api/public/v1<path>`` with *token* as a bearer token: status, type, JSON body."""
    headers = {} if token is None else {"Authorization": f"Bearer {token}"}
    async with http.get(f"{emu.url}/api/public/v1{path}", headers=headers) as response:
        return response.status, response.content_type, await response.json(content_type=None)


@pytest.mark.parametrize("token", [None, SECRET])
async def test_a_public_route_refuses_bad_credentials_with_an_invalid_api_key_problem(
    airbyte_emulator_factory: Factory, http: aiohttp.ClientSession, token: str | None
) -> None:
    """
    A public route called without a token, or with a wrong one, answers 401 with the
    ``InvalidApiKeyProblemResponse`` problem as ``application/problem+json`` (API-FACTS 6.4;
    api-problems.yaml gives its type, title and detail).
    """
    emu = await airbyte_emulator_factory(airbyte_version="head", auth=RequireBearer("right"))
    status, content_type, body = await get(http, emu, "/workspaces", token)
    assert status == 401
    assert content_type == "application/problem+json"
    assert body == INVALID_API_KEY
    assert (await get(http, emu, "/workspaces", "right"))[0] == 200


async def test_a_refused_token_is_an_authentication_error_without_the_secret(
    airbyte_emulator_factory: Factory,
) -> None:
    """
    The client raises its AuthenticationError for the public 401 problem, says what the
    problem says, and never shows the token it sent.
    """
    emu = await airbyte_emulator_factory(airbyte_version="head", auth=RequireBearer("right"))
    client = AirbyteClient(emu.url, api="public", auth=BearerToken(SECRET), env={})
    async with client:
        with pytest.raises(AuthenticationError) as caught:
            await client.workspaces.get(workspace_id=emu.workspace_ids[0])
    error = caught.value
    assert error.status == 401
    assert "The API key in the Authorization header is invalid." in str(error)
    assert SECRET not in str(error) and SECRET not in repr(error)


async def test_a_token_the_server_stops_taking_is_an_authentication_error_too(
    airbyte_emulator_factory: Factory,
) -> None:
    """
    With client credentials, a public 401 makes the client mint a fresh token and replay; when
    the fresh tokens are refused too, the 401 problem ends as AuthenticationError, with neither
    the client secret nor a token in it (API-FACTS 1.2, 6.4).
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
    assert "The API key in the Authorization header is invalid." in str(error)
    assert emu.stats().tokens_minted > 1
    assert SECRET not in str(error) and SECRET not in repr(error)
    assert "Bearer" not in str(error)
