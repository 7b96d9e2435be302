"""
One client across Airbyte versions: a route the server lacks is told from an id it lacks.

Airbyte answers a path no controller serves with NotFoundController's 404, the bare text
"Object not found." (airbytehq/airbyte airbyte-server/.../server/apis/NotFoundController.java,
0.40 line; airbyte-platform HEAD .../apis/controllers/NotFoundController.kt), and an unknown id
with a JSON object (API-FACTS 6.2). Which versions serve which route: the three Config API specs
and API-FACTS 8.
"""

from __future__ import annotations

import pytest

from airbyte_async import AirbyteClient, NoAuth
from airbyte_async.errors import (
    BadRequestError,
    NotFoundError,
    UnprocessableEntityError,
    UnsupportedOperationError,
)
from airbyte_async.testing import Emulator

pytest_plugins = ["resource_fixtures"]

pytestmark = pytest.mark.anyio

UNKNOWN = "11111111-1111-4111-8111-111111111111"


@pytest.mark.parametrize("version", ["0.40"])
async def test_an_operation_0_40_lacks_is_unsupported_naming_the_route_and_version(
    api: AirbyteClient, workspace_id: str
) -> None:
    """connections/sync_progress is not in config-api-0.40.yaml: the error names the route and
    the version that brought it, and keeps the 404 as its cause."""
    with pytest.raises(UnsupportedOperationError) as caught:
        await api.connections.sync_progress(connection_id=UNKNOWN)

    message = str(caught.value)
    assert "connections/sync_progress" in message
    assert "from 0.50 on" in message
    assert isinstance(caught.value.__cause__, NotFoundError)


@pytest.mark.parametrize("version", ["0.40", "0.50", "1.7", "2.0", "head"])
async def test_an_id_that_names_nothing_stays_not_found(api: AirbyteClient) -> None:
    """An unknown connection on a route every version serves is a NotFoundError, as before."""
    with pytest.raises(NotFoundError):
        await api.connections.get(connection_id=UNKNOWN)


@pytest.mark.parametrize("version", ["head"])
async def test_a_route_removed_since_names_the_version_that_removed_it(
    api: AirbyteClient,
) -> None:
    """workspaces/list went in v1.7.0 (API-FACTS 2.1): asked by hand on head, the error says so."""
    with pytest.raises(UnsupportedOperationError, match=r"removed it in 1\.7"):
        await api.request("workspaces/list", idempotent=True)


@pytest.mark.parametrize("version", ["0.50"])
async def test_an_unknown_route_given_by_hand_says_the_server_has_no_such_route(
    api: AirbyteClient,
) -> None:
    """A route the client does not model: the server has no such route (the client cannot
    know which version would have it)."""
    with pytest.raises(UnsupportedOperationError, match="no route connections/nope"):
        await api.request("connections/nope", {"connectionId": UNKNOWN})


@pytest.mark.parametrize("version", ["0.50"])
async def test_a_url_that_is_not_the_config_apis_is_named_on_the_first_answer(
    emu: Emulator,
) -> None:
    """A path the URL alone cannot rule out (the standalone API server's /v1, given for the
    Config API) is found out on the first answer: a route every version serves is missing, so
    the error says the URL is not the Config API's and what to pass."""
    async with AirbyteClient(emu.url + "/v1", api="config", auth=NoAuth(), env={}) as client:
        with pytest.raises(UnsupportedOperationError) as caught:
            await client.connections.get(connection_id=UNKNOWN)

    message = str(caught.value)
    assert f"nothing at {emu.url}/v1/api/v1/ serves the Config API" in message
    assert "for connections/get, which every Airbyte version has" in message
    assert "pass the server's own" in message
    assert caught.value.wrong_url


@pytest.mark.parametrize("version", ["0.40", "0.50", "1.7", "2.0", "head"])
@pytest.mark.parametrize("call", ["default", "instance_configuration"])
async def test_a_path_that_serves_nothing_is_named_not_taken_for_a_version(
    emu: Emulator, call: str
) -> None:
    """Under a path prefix nothing serves, workspaces/list and instance_configuration (each
    missing on some version) get NotFoundController's "Object not found." as health does,
    which every version serves ([CFG-0.40], [CFG-0.50], [CFG] /v1/health): the error says the
    URL's path is wrong, not that the server is 1.7+ or older than 0.50."""
    async with AirbyteClient(emu.url + "/airbyte", api="config", auth=NoAuth(), env={}) as client:
        with pytest.raises(UnsupportedOperationError) as caught:
            await getattr(client.workspaces, call)()

    message = str(caught.value)
    assert message.startswith(f"nothing at {emu.url}/airbyte/api/v1/ serves the Config API (")
    assert "answered 404 'Object not found.' for health, which every Airbyte version has" in message
    assert "check the URL's path" in message
    assert caught.value.wrong_url
    assert isinstance(caught.value.__cause__, NotFoundError)


@pytest.mark.parametrize("version", ["0.50"])
async def test_a_route_given_by_hand_under_a_path_that_serves_nothing_names_the_path(
    emu: Emulator,
) -> None:
    """client.request's missing route, where health is missing too: the URL's path is named
    as the fault, not the route's spelling."""
    async with AirbyteClient(emu.url + "/airbyte", api="config", auth=NoAuth(), env={}) as client:
        with pytest.raises(UnsupportedOperationError, match="check the URL's path"):
            await client.request("connections/status", {"connectionIds": [UNKNOWN]})


async def test_a_proxys_404_page_for_the_config_api_is_not_an_ids_404() -> None:
    """Where an ingress routes only /api/public to Airbyte, its HTML 404 for a Config API route
    (airbytehq/airbyte docs/deploying-airbyte/integrations/ingress.md) says the Config API is
    not at that URL, not that the connection does not exist."""
    async with (
        Emulator(airbyte_version="head", config_api=False) as emu,
        AirbyteClient(emu.url, api="config", auth=NoAuth(), env={}) as client,
    ):
        with pytest.raises(UnsupportedOperationError, match=r"serves the Config API .*URL's path"):
            await client.connections.get(connection_id=UNKNOWN)


@pytest.mark.parametrize("version", ["head"])
@pytest.mark.parametrize(
    ("body", "shown"),
    [(None, "the request sent no body"), ({"connectionId": None}, "null fields: connectionId")],
)
async def test_a_bare_400_to_a_route_given_by_hand_says_what_the_request_shows(
    api: AirbyteClient, body: dict[str, None] | None, shown: str
) -> None:
    """2.x answers a body that fails bean validation with 400 {errorId} alone (API-FACTS 6.2,
    InvalidInputExceptionHandler): the error says a required field is missing or null, and
    names what of that the request shows."""
    with pytest.raises(BadRequestError) as caught:
        await api.request("connections/get", body)

    assert "a field the route requires is missing or null" in str(caught.value)
    assert shown in str(caught.value)
    assert caught.value.error_id is not None


@pytest.mark.parametrize("version", ["head"])
async def test_a_bare_422_says_the_body_could_not_be_read_into_the_route_s_types(
    api: AirbyteClient,
) -> None:
    """2.x answers a value it cannot map (an enum value it does not know) with 422 {errorId}
    alone (API-FACTS 6.2, InvalidJsonInputExceptionHandler): the error says what that means."""
    with pytest.raises(UnprocessableEntityError) as caught:
        await api.request("jobs/list", {"configTypes": ["nope"], "configId": UNKNOWN})

    assert "could not read the body into the route's types" in str(caught.value)
    assert "an enum value this server's release does not know" in str(caught.value)
    assert caught.value.error_id is not None
