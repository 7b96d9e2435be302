"""AirbyteClient basics: URLs, the environment, session ownership, timeouts, transport errors."""

from __future__ import annotations

import asyncio
from functools import partial
from typing import Any

import aiohttp
import anyio
import pytest
from client_support import UNKNOWN_ID, UNSEEN_CALLS, client_for, closed_port, requests_to
from emulator_support import in_a_task_of_its_own

from airbyte_async import (
    AirbyteClient,
    BasicAuth,
    BearerToken,
    ClientCredentials,
    NoAuth,
    RetryPolicy,
)
from airbyte_async._client import auth_from_env, normalize_url
from airbyte_async.errors import (
    AirbyteError,
    ClientStateError,
    ConnectError,
    ConnectionLostError,
    InvalidArgumentError,
    NotFoundError,
    RequestTimeoutError,
)
from airbyte_async.models import Health
from airbyte_async.testing import Emulator, pytest_plugin

airbyte_emulator_factory = pytest_plugin.airbyte_emulator_factory
Factory = pytest_plugin.EmulatorFactory

ONE_TRY = RetryPolicy(attempts=1)


# -- URLs --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("url", "root"),
    [
        ("http://host:8000", "http://host:8000/api/v1/"),
        ("http://host:8000/", "http://host:8000/api/v1/"),
        ("http://host:8000/api", "http://host:8000/api/v1/"),
        ("http://host:8000/api/", "http://host:8000/api/v1/"),
        ("http://host:8000/api/v1", "http://host:8000/api/v1/"),
        ("http://host:8000/api/v1/", "http://host:8000/api/v1/"),
        ("  https://cloud.airbyte.com/api/v1  ", "https://cloud.airbyte.com/api/v1/"),
        ("http://host/airbyte", "http://host/airbyte/api/v1/"),
        ("http://host/airbyte/api/v1/", "http://host/airbyte/api/v1/"),
        ("http://[::1]:8000/api", "http://[::1]:8000/api/v1/"),
    ],
)
def test_normalize_url_finds_the_api_root(url: str, root: str) -> None:
    """Host, /api, /api/v1, trailing slashes and proxy prefixes all lead to .../api/v1/."""
    base, creds = normalize_url(url)

    assert str(base) == root
    assert creds is None


def test_normalize_url_takes_credentials_out_of_the_url() -> None:
    """user:password in the URL become BasicAuth (percent-decoded) and leave the URL."""
    base, creds = normalize_url("http://airbyte:p%40ss@host:8000/api")

    assert str(base) == "http://host:8000/api/v1/"
    assert creds == BasicAuth("airbyte", "p@ss")


@pytest.mark.parametrize(
    "url",
    [
        "host:8000",
        "ftp://host/api",
        "http://",
        "http://:8000",
        "http://host:99999",
        "http://host:port",
        "http://host:8000/api/v1/connections/list",
        "http://host:8000/api/public/v1",
        "http://host:8000/api/v1?debug=1",
        "http://host:8000/#top",
        "",
    ],
)
def test_bad_urls_are_invalid_arguments(url: str) -> None:
    """Anything but http(s)://host[:port][/prefix][/api[/v1]] is refused."""
    with pytest.raises(InvalidArgumentError):
        normalize_url(url)


def test_a_bad_url_never_shows_its_password() -> None:
    """The message for an unparseable URL hides the credentials in it."""
    with pytest.raises(InvalidArgumentError) as caught:
        normalize_url("http://airbyte:hunter2@host:99999/api")

    assert "hunter2" not in str(caught.value)
    assert "***" in str(caught.value)


def test_a_url_with_a_query_never_shows_a_token_in_it() -> None:
    """A URL refused for its query string (``?token=...``, as some proxies take) is quoted
    with the token masked and the rest shown."""
    with pytest.raises(InvalidArgumentError) as caught:
        normalize_url("http://host:8000/api/v1?debug=1&token=hunter2-token")

    assert "hunter2" not in str(caught.value)
    assert "debug=1&token=**********" in str(caught.value)


def test_credentials_in_the_url_and_in_auth_conflict() -> None:
    """Two sources of credentials are refused rather than one silently winning."""
    with pytest.raises(InvalidArgumentError, match="both in the URL and in auth"):
        AirbyteClient("http://u:p@host", auth=BearerToken("t"), env={})


# -- the environment ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("env", "expected"),
    [
        ({}, None),
        ({"AIRBYTE_TOKEN": "t0k"}, BearerToken("t0k")),
        ({"AIRBYTE_USERNAME": "airbyte", "AIRBYTE_PASSWORD": "pw"}, BasicAuth("airbyte", "pw")),
        (
            {"AIRBYTE_TOKEN": "", "AIRBYTE_USERNAME": "a", "AIRBYTE_PASSWORD": "b"},
            BasicAuth("a", "b"),
        ),
    ],
)
def test_auth_from_env_reads_one_kind_of_credentials(env: dict[str, str], expected: Any) -> None:
    """Each kind of variable gives its Auth; empty values count as unset."""
    assert auth_from_env(env) == expected


def test_auth_from_env_reads_client_credentials() -> None:
    """AIRBYTE_CLIENT_ID and AIRBYTE_CLIENT_SECRET give ClientCredentials."""
    auth = auth_from_env({"AIRBYTE_CLIENT_ID": "id", "AIRBYTE_CLIENT_SECRET": "secret"})

    assert isinstance(auth, ClientCredentials)
    assert (auth.client_id, auth.client_secret) == ("id", "secret")


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({"AIRBYTE_TOKEN": "t", "AIRBYTE_USERNAME": "u", "AIRBYTE_PASSWORD": "p"}, "conflicting"),
        (
            {"AIRBYTE_TOKEN": "t", "AIRBYTE_CLIENT_ID": "i", "AIRBYTE_CLIENT_SECRET": "s"},
            "conflicting",
        ),
        ({"AIRBYTE_CLIENT_ID": "i", "AIRBYTE_PASSWORD": "p"}, "conflicting"),
        ({"AIRBYTE_CLIENT_ID": "i"}, "both AIRBYTE_CLIENT_ID and AIRBYTE_CLIENT_SECRET"),
        ({"AIRBYTE_CLIENT_SECRET": "s"}, "both AIRBYTE_CLIENT_ID and AIRBYTE_CLIENT_SECRET"),
        ({"AIRBYTE_USERNAME": "u"}, "both AIRBYTE_USERNAME and AIRBYTE_PASSWORD"),
        ({"AIRBYTE_PASSWORD": "p"}, "both AIRBYTE_USERNAME and AIRBYTE_PASSWORD"),
    ],
)
def test_conflicting_or_half_set_variables_are_refused(env: dict[str, str], message: str) -> None:
    """Two kinds at once, or half a pair, is an InvalidArgumentError naming the variables."""
    with pytest.raises(InvalidArgumentError, match=message):
        auth_from_env(env)


def test_the_client_reads_url_and_credentials_from_the_environment() -> None:
    """AIRBYTE_URL and AIRBYTE_TOKEN configure a client given nothing else."""
    client = AirbyteClient(env={"AIRBYTE_URL": "http://host:8000/api", "AIRBYTE_TOKEN": "t0k"})

    assert str(client.base_url) == "http://host:8000/api/v1/"
    assert client.auth == BearerToken("t0k")


def test_explicit_auth_beats_the_environment() -> None:
    """auth= wins, and conflicting variables it replaces are not even read."""
    env = {"AIRBYTE_TOKEN": "t", "AIRBYTE_USERNAME": "u", "AIRBYTE_PASSWORD": "p"}

    client = AirbyteClient("http://host", auth=NoAuth(), env=env)

    assert client.auth == NoAuth()


def test_no_url_at_all_is_an_invalid_argument() -> None:
    """Without url= or AIRBYTE_URL there is nothing to talk to."""
    with pytest.raises(InvalidArgumentError, match="AIRBYTE_URL"):
        AirbyteClient(env={})


# -- session ownership --------------------------------------------------------------------------


@pytest.mark.anyio
async def test_the_client_closes_the_session_it_created(airbyte_emulator_factory: Factory) -> None:
    """The session opened in __aenter__ is closed in __aexit__."""
    emu = await airbyte_emulator_factory()
    async with client_for(emu) as client:
        session = client._session
        assert session is not None
        await client.health()

    assert session.closed


@pytest.mark.anyio
async def test_a_client_cancelled_while_entering_closes_its_session(
    airbyte_emulator_factory: Factory,
) -> None:
    """A bare host's entry asks its health route (api="auto"); cancelled during that request,
    the client closes the session it opened, as __aexit__ would have."""
    slow = {"kind": "latency", "route": "health", "delay": 5.0}
    emu = await airbyte_emulator_factory(faults=[slow])
    client = AirbyteClient(emu.url, env={})
    with anyio.move_on_after(0.3) as scope:
        async with client:
            pass

    assert scope.cancelled_caught
    assert client._session is None
    with pytest.raises(RuntimeError, match="cannot be reopened"):
        await client.__aenter__()


@pytest.mark.anyio
async def test_a_lent_session_stays_open(airbyte_emulator_factory: Factory) -> None:
    """A session passed in is used and left open for its owner."""
    emu = await airbyte_emulator_factory()
    async with aiohttp.ClientSession() as session:
        async with client_for(emu, session=session) as client:
            await client.health()

        assert not session.closed
    assert requests_to(emu, "health") == 1


@pytest.mark.anyio
async def test_a_lent_session_that_raises_for_status_still_gives_typed_errors(
    airbyte_emulator_factory: Factory,
) -> None:
    """A shared session made with raise_for_status=True: a 404 is still NotFoundError, sent
    once (not a lost connection, retried)."""
    emu = await airbyte_emulator_factory()
    missing = "00000000-0000-4000-8000-000000000000"
    async with (
        aiohttp.ClientSession(raise_for_status=True) as session,
        client_for(emu, session=session) as client,
    ):
        with pytest.raises(NotFoundError):
            await client.connections.get(connection_id=missing)

    assert requests_to(emu, "connections/get") == 1


@pytest.mark.anyio
async def test_a_closed_lent_session_is_refused(airbyte_emulator_factory: Factory) -> None:
    """Entering with a session that is already closed raises RuntimeError."""
    emu = await airbyte_emulator_factory()
    session = aiohttp.ClientSession()
    await session.close()

    with pytest.raises(RuntimeError, match="closed"):
        async with client_for(emu, session=session):
            pass


@pytest.mark.anyio
async def test_use_outside_async_with_is_a_runtime_error(airbyte_emulator_factory: Factory) -> None:
    """Calls before __aenter__ raise ClientStateError, an AirbyteError (``except
    AirbyteError`` catches it) and a RuntimeError, and send nothing."""
    emu = await airbyte_emulator_factory()
    client = client_for(emu)

    with pytest.raises(ClientStateError, match="async with") as caught:
        await client.health()
    assert isinstance(caught.value, AirbyteError)
    assert isinstance(caught.value, RuntimeError)
    assert emu.stats().total_requests == 0


@pytest.mark.anyio
async def test_use_after_close_is_a_runtime_error(airbyte_emulator_factory: Factory) -> None:
    """After __aexit__, calls raise RuntimeError saying the client is closed."""
    emu = await airbyte_emulator_factory()
    async with client_for(emu) as client:
        pass

    with pytest.raises(RuntimeError, match="closed"):
        await client.health()


@pytest.mark.anyio
async def test_a_closed_client_cannot_be_reopened(airbyte_emulator_factory: Factory) -> None:
    """Entering a client a second time raises RuntimeError."""
    emu = await airbyte_emulator_factory()
    client = client_for(emu)
    async with client:
        pass

    with pytest.raises(RuntimeError, match="reopened"):
        async with client:
            pass


@pytest.mark.anyio
async def test_a_client_used_from_another_event_loop_says_so(
    airbyte_emulator_factory: Factory,
) -> None:
    """A call from an event loop other than the one the client was opened in (a scheduler's
    next ``asyncio.run``) raises a RuntimeError that says so, not aiohttp's "Event loop is
    closed" or a hang."""
    emu = await airbyte_emulator_factory()
    errors: list[BaseException] = []

    def elsewhere(client: AirbyteClient) -> None:
        try:
            asyncio.run(client.health())
        except BaseException as e:
            errors.append(e)

    async with client_for(emu) as client:
        await anyio.to_thread.run_sync(elsewhere, client)
        await client.health()  # still fine in its own loop

    [error] = errors
    assert isinstance(error, RuntimeError)
    assert "another event loop" in str(error)


@pytest.mark.anyio
async def test_a_client_entered_in_one_task_is_exited_in_another(
    airbyte_emulator_factory: Factory,
) -> None:
    """Entered in one task (asking a bare host which API it serves) and exited in another, as
    a pytest-asyncio fixture is, a client serves the tasks in between and closes its session."""
    emu = await airbyte_emulator_factory()
    client = AirbyteClient(emu.url, auth=NoAuth(), env={})
    await in_a_task_of_its_own(client.__aenter__)
    session = client._session
    assert session is not None
    assert (await client.health()).available

    await in_a_task_of_its_own(partial(client.__aexit__, None, None, None))

    assert session.closed
    with pytest.raises(ClientStateError, match="closed"):
        await client.health()


def test_a_client_entered_outside_asyncio_says_it_runs_on_asyncio() -> None:
    """Entered where no asyncio loop runs (trio, say), the client says what it needs."""
    client = AirbyteClient("http://127.0.0.1:9", auth=NoAuth(), env={}, api="config")
    entering = client.__aenter__()
    with pytest.raises(RuntimeError, match="runs on asyncio"):
        entering.send(None)


# -- timeouts and transport errors --------------------------------------------------------------


@pytest.mark.anyio
@pytest.mark.parametrize("kind", ["slow", "latency"])
async def test_a_slow_answer_is_a_request_timeout(
    airbyte_emulator_factory: Factory, kind: str
) -> None:
    """An answer later than timeout= raises RequestTimeoutError."""
    emu = await airbyte_emulator_factory(faults=[{"kind": kind, "delay": 1.0}])
    async with client_for(emu, timeout=0.1, retry=ONE_TRY) as client:
        with pytest.raises(RequestTimeoutError) as caught:
            await client.health()

    assert caught.value.maybe_processed


@pytest.mark.anyio
async def test_requests_past_the_pool_wait_for_a_connection_not_for_a_timeout(
    airbyte_emulator_factory: Factory,
) -> None:
    """
    With one connection, three calls whose answers take longer than connect_timeout all
    succeed, one after the other, without a retry: aiohttp would count the wait for the pool
    as connecting and time it out.
    """
    emu = await airbyte_emulator_factory(faults=[{"kind": "late", "route": "health", "delay": 0.3}])
    async with client_for(emu, max_connections=1, connect_timeout=0.1, retry=ONE_TRY) as client:
        assert client.max_connections == 1
        healths = [None, None, None]

        async def one(n: int) -> None:
            healths[n] = await client.health()

        async with anyio.create_task_group() as tg:
            for n in range(3):
                tg.start_soon(one, n)

    assert healths == [Health(available=True)] * 3
    assert emu.stats().max_in_flight_requests == 1


@pytest.mark.anyio
async def test_a_lent_session_bounds_requests_by_its_own_pool(
    airbyte_emulator_factory: Factory,
) -> None:
    """max_connections reads the lent session's pool once entered; None for an unbounded one."""
    emu = await airbyte_emulator_factory()
    bounded = aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=7))
    async with bounded, client_for(emu, session=bounded) as client:
        assert client.max_connections == 7
    unbounded = aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=0))
    async with unbounded, client_for(emu, session=unbounded) as client:
        assert client.max_connections is None
        await client.health()


@pytest.mark.anyio
async def test_a_refused_connection_is_a_connect_error() -> None:
    """Nothing listening: ConnectError, which says the request never left."""
    url = f"http://127.0.0.1:{closed_port()}"
    async with AirbyteClient(url, env={}, retry=ONE_TRY) as client:
        with pytest.raises(ConnectError) as caught:
            await client.health()

    assert not caught.value.maybe_processed
    assert "cannot connect to 127.0.0.1" in str(caught.value)


@pytest.mark.anyio
async def test_a_reset_connection_is_a_connection_lost_error(
    airbyte_emulator_factory: Factory,
) -> None:
    """A reset before any answer: ConnectionLostError, which says the server may have acted."""
    emu = await airbyte_emulator_factory(faults=[{"kind": "reset_before"}])
    async with client_for(emu, retry=ONE_TRY) as client:
        with pytest.raises(ConnectionLostError) as caught:
            await client.health()

    assert caught.value.maybe_processed


# -- the escape hatch and health ---------------------------------------------------------------


@pytest.mark.anyio
async def test_request_calls_any_route_and_returns_its_json(
    airbyte_emulator_factory: Factory,
) -> None:
    """client.request(route, body) POSTs the body and returns the decoded answer."""
    emu = await airbyte_emulator_factory(connections=2, record_requests=True)
    workspace_id = emu.workspace_ids[0]
    async with client_for(emu) as client:
        answer = await client.request(
            "connections/list", {"workspaceId": workspace_id}, idempotent=True
        )

    assert len(answer["connections"]) == 2
    [sent] = [r for r in emu.requests if r.route == "/v1/connections/list"]
    assert (sent.method, sent.body) == ("POST", {"workspaceId": workspace_id})


@pytest.mark.anyio
async def test_request_without_a_body_sends_none(airbyte_emulator_factory: Factory) -> None:
    """body=None sends no body at all."""
    emu = await airbyte_emulator_factory(record_requests=True)
    async with client_for(emu) as client:
        answer = await client.request("source_definitions/list", None, idempotent=True)

    assert answer["sourceDefinitions"]
    [sent] = [r for r in emu.requests if r.route == "/v1/source_definitions/list"]
    assert not sent.had_body


@pytest.mark.anyio
async def test_health_reads_the_health_check(airbyte_emulator_factory: Factory) -> None:
    """client.health() is GET /api/v1/health as a Health model."""
    emu = await airbyte_emulator_factory(record_requests=True)
    async with client_for(emu) as client:
        health = await client.health()

    assert health == Health(available=True)
    assert [(r.method, r.route) for r in emu.requests] == [("GET", "/v1/health")]


@pytest.mark.anyio
async def test_the_server_clock_follows_the_date_header(airbyte_emulator_factory: Factory) -> None:
    """After one answer, the client's server clock has observed the server's Date."""
    emu = await airbyte_emulator_factory()
    async with client_for(emu) as client:
        assert not client.server_clock.observed
        await client.health()

    assert client.server_clock.observed
    assert abs(client.server_clock.offset) < 2.0


@pytest.mark.anyio
@pytest.mark.parametrize("api", ["config", "public"])
@pytest.mark.parametrize("operation", sorted(UNSEEN_CALLS))
async def test_an_object_a_role_check_forbids_as_unknown_is_a_not_found_error_naming_it(
    operation: str, api: str
) -> None:
    """A connection, source, destination or workspace that does not exist answers 403, as one
    of a workspace the credentials hold no role in, on Airbyte Cloud's public API and on both
    APIs of a 1.x server with authentication, to anyone but an instance admin (the emulator's
    ``instance_admin=False``; see its tests): each call on it raises NotFoundError naming it
    (and the role the server names), as on a server that answers 404, so that code
    catching NotFoundError works on all."""
    kind, call = UNSEEN_CALLS[operation]
    async with (
        Emulator(airbyte_version="head", connections=1, instance_admin=False) as emu,
        client_for(emu, api=api) as client,
    ):
        with pytest.raises(NotFoundError, match=f"there is no {kind} {UNKNOWN_ID}") as raised:
            await call(client)

    assert raised.value.status == 403
    # The public API names the role, but for a trigger's check of one among several.
    assert ("WORKSPACE_" in str(raised.value)) is (api == "public" and operation != "sync")
