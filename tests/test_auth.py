"""Credentials against the emulator: basic, bearer, and client credentials with their tokens."""

from __future__ import annotations

import asyncio
import base64
import json
import logging
import re
import threading
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from functools import partial
from typing import Any

import anyio
import pytest
import stamina
from aiohttp import web
from client_support import client_for, requests_to, serving

from airbyte_async import (
    AirbyteClient,
    BasicAuth,
    BearerToken,
    ClientCredentials,
    NoAuth,
    RetryBudget,
    RetryPolicy,
)
from airbyte_async._auth import renewal_pause, token_lifetime
from airbyte_async.errors import (
    AirbyteError,
    AuthenticationError,
    InvalidArgumentError,
    RateLimitError,
    RequestTimeoutError,
    ResponseValidationError,
    ServerError,
)
from airbyte_async.orchestrator import Orchestrator, Outcome
from airbyte_async.testing import (
    Emulator,
    Fault,
    RequireBasic,
    RequireBearer,
    RequireClientCredentials,
    pytest_plugin,
)

airbyte_emulator_factory = pytest_plugin.airbyte_emulator_factory
Factory = pytest_plugin.EmulatorFactory

pytestmark = pytest.mark.anyio

APP_ID, APP_SECRET = "app-7f3c", "client-secret-9b1e4d"
TOKEN = "/v1/applications/token"
PUBLIC_TOKEN = "/public/v1/applications/token"
READ = "source_definitions/list"


async def read(client: AirbyteClient) -> None:
    """One authenticated read."""
    await client.request(READ, None, idempotent=True)


async def app_server(factory: Factory, **kwargs: Any) -> Emulator:
    """An emulator that wants tokens minted for APP_ID / APP_SECRET."""
    lifetime = kwargs.pop("token_lifetime", 900.0)
    reject = kwargs.pop("reject_status", 400)
    policy = RequireClientCredentials(
        APP_ID, APP_SECRET, token_lifetime=lifetime, reject_status=reject
    )
    kwargs.setdefault("airbyte_version", "head")
    return await factory(auth=policy, record_requests=True, **kwargs)


def token_requests(emu: Emulator) -> int:
    """Requests on either token route."""
    by_route = emu.stats().requests_by_route
    return by_route.get(TOKEN, 0) + by_route.get(PUBLIC_TOKEN, 0)


# -- basic and bearer ------------------------------------------------------------------------


async def test_basic_auth_is_accepted(airbyte_emulator_factory: Factory) -> None:
    """The right username and password pass the proxy."""
    emu = await airbyte_emulator_factory(auth=RequireBasic("airbyte", "password"))
    async with client_for(emu, auth=BasicAuth("airbyte", "password")) as client:
        await read(client)


async def test_wrong_basic_auth_is_an_authentication_error_after_one_request(
    airbyte_emulator_factory: Factory,
) -> None:
    """A rejected password raises AuthenticationError at once: static credentials cannot heal."""
    emu = await airbyte_emulator_factory(auth=RequireBasic("airbyte", "password"))
    async with client_for(emu, auth=BasicAuth("airbyte", "wrong")) as client:
        with pytest.raises(AuthenticationError, match="401 on source_definitions/list"):
            await read(client)

    assert requests_to(emu, READ) == 1


async def test_credentials_in_the_url_are_sent_as_basic_auth(
    airbyte_emulator_factory: Factory,
) -> None:
    """http://user:pass@host works like BasicAuth(user, pass), and the URL keeps no password."""
    emu = await airbyte_emulator_factory(auth=RequireBasic("airbyte", "p@ss:word"))
    url = emu.url.replace("http://", "http://airbyte:p%40ss%3Aword@")
    async with AirbyteClient(url, env={}) as client:
        await read(client)

    assert "p@ss" not in str(client.base_url)


async def test_bearer_token_is_accepted(airbyte_emulator_factory: Factory) -> None:
    """The right fixed token passes."""
    emu = await airbyte_emulator_factory(auth=RequireBearer("tok-123"))
    async with client_for(emu, auth=BearerToken("tok-123")) as client:
        await read(client)


async def test_wrong_bearer_token_is_an_authentication_error(
    airbyte_emulator_factory: Factory,
) -> None:
    """A rejected fixed token raises AuthenticationError after one request."""
    emu = await airbyte_emulator_factory(auth=RequireBearer("tok-123"))
    async with client_for(emu, auth=BearerToken("tok-456")) as client:
        with pytest.raises(AuthenticationError):
            await read(client)

    assert requests_to(emu, READ) == 1


class _VaultToken(BearerToken):
    """A user's subclass whose ``headers()`` sends a token other than the one it was given
    (read from a vault, say)."""

    async def headers(self, fetch_token: Any) -> dict[str, str]:
        return {"Authorization": "Bearer tok-from-vault"}


async def test_a_subclass_of_a_fixed_credential_is_asked_for_its_headers(
    airbyte_emulator_factory: Factory,
) -> None:
    """The client reads the header of NoAuth, BasicAuth and BearerToken without awaiting
    their ``headers()``, but a subclass's ``headers()`` is what it sends."""
    emu = await airbyte_emulator_factory(auth=RequireBearer("tok-from-vault"))
    async with client_for(emu, auth=_VaultToken("tok-at-start")) as client:
        await read(client)


async def _no_token(body: Any, url: str | None) -> Any:
    raise AssertionError("fixed credentials ask for no token")


@pytest.mark.parametrize("auth", [NoAuth(), BasicAuth("airbyte", "password"), BearerToken("t")])
async def test_fixed_credentials_say_their_headers_never_change(auth: Any) -> None:
    """NoAuth, BasicAuth and BearerToken hold the headers their ``headers()`` gives as
    ``fixed_headers``, the same mapping on every call, which the client reads instead."""
    assert await auth.headers(_no_token) is auth.fixed_headers
    assert await auth.headers(_no_token) is auth.fixed_headers


# -- client credentials ------------------------------------------------------------------------


async def test_a_token_is_minted_once_from_the_config_api_route_with_a_json_body(
    airbyte_emulator_factory: Factory,
) -> None:
    """/api/v1/applications/token gets {client_id, client_secret, grant_type} as JSON (Airbyte's
    mapper ignores keys it does not know: ``MoreMappers.configure`` turns off
    FAIL_ON_UNKNOWN_PROPERTIES); the token is reused."""
    emu = await app_server(airbyte_emulator_factory)
    async with client_for(emu, auth=ClientCredentials(APP_ID, APP_SECRET)) as client:
        for _ in range(3):
            await read(client)

    [request] = [r for r in emu.requests if r.route == TOKEN]
    grant = {"grant_type": "client_credentials"}
    assert request.body == {"client_id": APP_ID, "client_secret": APP_SECRET} | grant
    assert emu.stats().tokens_minted == 1
    assert requests_to(emu, READ) == 3


async def test_a_configured_token_url_is_used(airbyte_emulator_factory: Factory) -> None:
    """token_url= (here a path from the server's root) replaces the default routes."""
    emu = await app_server(airbyte_emulator_factory)
    auth = ClientCredentials(APP_ID, APP_SECRET, token_url="/api/public/v1/applications/token")
    async with client_for(emu, auth=auth) as client:
        await read(client)

    assert emu.stats().requests_by_route.get(PUBLIC_TOKEN) == 1
    assert TOKEN not in emu.stats().requests_by_route


async def test_the_public_token_request_carries_the_grant_type(
    airbyte_emulator_factory: Factory,
) -> None:
    """The public API's token request sends ``grant_type: client_credentials``, the name
    public-api-head.yaml:3562 lists as required (``ApplicationTokenRequestWithGrant``), though
    Airbyte reads no grant (``ApplicationsController.publicGetAccessToken``) and the emulator
    checks none: the token is minted and the call goes through."""
    emu = await app_server(airbyte_emulator_factory, connections=1)
    async with client_for(emu, auth=ClientCredentials(APP_ID, APP_SECRET), api="public") as client:
        await client.connections.get(connection_id=emu.connection_ids[0])

    [request] = [r for r in emu.requests if r.route == PUBLIC_TOKEN]
    assert request.body["grant_type"] == "client_credentials"
    assert emu.stats().tokens_minted == 1


async def test_without_a_config_api_token_route_the_public_one_is_tried_then_explained(
    airbyte_emulator_factory: Factory,
) -> None:
    """0.40 has neither route: both are tried once, and the error says to pass token_url."""
    emu = await airbyte_emulator_factory(airbyte_version="0.40")
    async with client_for(emu, auth=ClientCredentials(APP_ID, APP_SECRET)) as client:
        with pytest.raises(AuthenticationError, match="token_url"):
            await read(client)

    by_route = emu.stats().requests_by_route
    assert (by_route.get(TOKEN), by_route.get(PUBLIC_TOKEN)) == (1, 1)
    assert requests_to(emu, READ) == 0


@pytest.mark.parametrize("status", [400, 401, 500])
async def test_wrong_client_credentials_fail_clearly_after_one_token_request(
    airbyte_emulator_factory: Factory, status: int
) -> None:
    """Each way Airbyte rejects credentials gives AuthenticationError, not a loop."""
    emu = await app_server(airbyte_emulator_factory, reject_status=status)
    async with client_for(emu, auth=ClientCredentials(APP_ID, "not-the-secret")) as client:
        with pytest.raises(AuthenticationError) as caught:
            await read(client)

    expected = "the token request was refused: check the client id and secret"
    assert str(caught.value).startswith(f"{status} on applications/token: {expected}")
    assert token_requests(emu) == 1
    assert requests_to(emu, READ) == 0


async def test_concurrent_callers_share_one_failed_token_request(
    airbyte_emulator_factory: Factory,
) -> None:
    """Fifty calls waiting for one refresh that is refused all fail with it; no second try."""
    emu = await app_server(airbyte_emulator_factory)
    errors: list[BaseException] = []
    async with client_for(emu, auth=ClientCredentials(APP_ID, "not-the-secret")) as client:

        async def call() -> None:
            try:
                await read(client)
            except AuthenticationError as e:
                errors.append(e)

        async with anyio.create_task_group() as tg:
            for _ in range(50):
                tg.start_soon(call)

    assert len(errors) == 50
    assert token_requests(emu) == 1
    assert len({id(e) for e in errors}) == 50  # each its own object, with its own traceback


async def test_one_failed_token_request_costs_the_retry_budget_one_token(
    airbyte_emulator_factory: Factory,
) -> None:
    """Two hundred calls wait for a token whose request gets a 503: they all retry and succeed;
    only the task that sent the request spends the budget (capacity 50), not every waiter."""
    emu = await app_server(
        airbyte_emulator_factory,
        faults=[{"kind": "error", "status": 503, "route": "applications/token", "times": 1}],
    )
    auth = ClientCredentials(APP_ID, APP_SECRET)
    async with client_for(emu, auth=auth) as client, anyio.create_task_group() as tg:
        for _ in range(200):
            tg.start_soon(read, client)

    assert requests_to(emu, READ) == 200
    assert token_requests(emu) == 2


async def test_fifty_calls_on_an_expired_token_make_one_token_request(
    airbyte_emulator_factory: Factory,
) -> None:
    """Once the token is due, fifty concurrent calls make a single token request."""
    # Renewed a quarter of its lifetime early: due at 3 s, and the new token 3 s after the
    # refresh, time for the fifty calls on a machine busy with other tests (1 s was not).
    emu = await app_server(airbyte_emulator_factory, token_lifetime=4.0)
    async with client_for(emu, auth=ClientCredentials(APP_ID, APP_SECRET)) as client:
        await read(client)
        await anyio.sleep(3.2)
        async with anyio.create_task_group() as tg:
            for _ in range(50):
                tg.start_soon(read, client)

    assert emu.stats().tokens_minted == 2
    assert token_requests(emu) == 2
    assert requests_to(emu, READ) == 51


async def test_fifty_calls_rejected_with_401_make_one_token_request(
    airbyte_emulator_factory: Factory,
) -> None:
    """A token revoked early: fifty 401s lead to one refresh, and each call is replayed once."""
    emu = await app_server(airbyte_emulator_factory)
    async with client_for(emu, auth=ClientCredentials(APP_ID, APP_SECRET)) as client:
        await read(client)
        emu.set_faults([{"kind": "token_expiry", "times": 1}])
        async with anyio.create_task_group() as tg:
            for _ in range(50):
                tg.start_soon(read, client)

    assert emu.stats().tokens_minted == 2
    assert requests_to(emu, READ) == 1 + 50 * 2


async def test_a_token_is_renewed_before_it_expires(airbyte_emulator_factory: Factory) -> None:
    """Past three quarters of a 0.4 s token's life, the next call mints first: no 401 at all."""
    emu = await app_server(airbyte_emulator_factory, token_lifetime=0.4)
    async with client_for(emu, auth=ClientCredentials(APP_ID, APP_SECRET)) as client:
        await read(client)
        await anyio.sleep(0.35)
        await read(client)

    assert emu.stats().tokens_minted == 2
    assert requests_to(emu, READ) == 2


async def test_calls_queued_by_the_rate_limit_past_a_tokens_life_are_sent_with_fresh_tokens(
    airbyte_emulator_factory: Factory,
) -> None:
    """Twelve calls at four a second on 1 s tokens: each takes its token once its turn has
    come, so none is sent with an expired one (no 401, no replay)."""
    emu = await app_server(airbyte_emulator_factory, token_lifetime=1.0)
    auth = ClientCredentials(APP_ID, APP_SECRET)
    async with client_for(emu, auth=auth, rate_limit=4) as client, anyio.create_task_group() as tg:
        for _ in range(12):
            tg.start_soon(read, client)

    assert requests_to(emu, READ) == 12
    assert emu.stats().tokens_minted >= 2


@pytest.mark.parametrize("revoked", [1, 2])
async def test_each_401_refreshes_the_token_and_replays_the_call(
    airbyte_emulator_factory: Factory, revoked: int
) -> None:
    """
    A token that dies early costs a 401, a token request and a replay; when the fresh token
    dies too (revoked while its replay was on its way), once more, and the call succeeds.
    """
    emu = await app_server(
        airbyte_emulator_factory,
        faults=[{"kind": "token_expiry", "route": READ, "times": revoked}],
    )
    async with client_for(emu, auth=ClientCredentials(APP_ID, APP_SECRET)) as client:
        await read(client)

    assert emu.stats().tokens_minted == 1 + revoked
    assert requests_to(emu, READ) == 1 + revoked


async def test_a_token_rejected_twice_is_an_authentication_error(
    airbyte_emulator_factory: Factory,
) -> None:
    """When fresh tokens are refused too, the call fails: two refreshes, never a loop."""
    emu = await app_server(airbyte_emulator_factory, faults=[{"kind": "token_expiry"}])
    async with client_for(emu, auth=ClientCredentials(APP_ID, APP_SECRET)) as client:
        with pytest.raises(AuthenticationError, match="401"):
            await read(client)

    assert emu.stats().tokens_minted == 3
    assert requests_to(emu, READ) == 3


async def test_a_token_request_failing_with_503_is_retried(
    airbyte_emulator_factory: Factory,
) -> None:
    """A 503 from the token endpoint is transient: the token request is sent again."""
    emu = await app_server(
        airbyte_emulator_factory,
        faults=[{"kind": "error", "status": 503, "route": "applications/token", "times": 1}],
    )
    async with client_for(emu, auth=ClientCredentials(APP_ID, APP_SECRET)) as client:
        await read(client)

    assert token_requests(emu) == 2
    assert emu.stats().tokens_minted == 1


async def test_a_token_endpoint_warned_of_says_so_when_it_works_again(
    airbyte_emulator_factory: Factory, caplog: pytest.LogCaptureFixture
) -> None:
    """A token endpoint that failed (a warning) and then answers is warned of again, with how
    often it failed: a log kept to warnings shows when the calls waiting for a token went on,
    not only when they began to wait."""
    caplog.set_level(logging.WARNING, logger="airbyte_async")
    emu = await app_server(
        airbyte_emulator_factory,
        faults=[{"kind": "error", "status": 503, "route": "applications/token", "times": 5}],
    )
    auth = ClientCredentials(APP_ID, APP_SECRET)
    async with client_for(emu, auth=auth, retry_budget=RetryBudget(capacity=1000)) as client:
        with pytest.raises(ServerError):
            await read(client)
        await read(client)

    warnings = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert emu.stats().tokens_minted == 1
    assert len(warnings) == 2, warnings
    assert warnings[0].startswith("the token request failed (503 on applications/token")
    assert re.fullmatch(
        r"the token request works again \(it failed 5 times over \d+\.\d s\): calls go on",
        warnings[1],
    ), warnings[1]


async def test_a_token_endpoint_down_fails_a_trigger_after_its_own_attempts_only(
    airbyte_emulator_factory: Factory,
) -> None:
    """No token: the trigger never left, so it is retried (5 attempts, not 5 x 5), never doubled."""
    emu = await app_server(
        airbyte_emulator_factory,
        connections=1,
        faults=[{"kind": "error", "status": 503, "route": "applications/token"}],
    )
    auth = ClientCredentials(APP_ID, APP_SECRET)
    async with client_for(emu, auth=auth, retry_budget=RetryBudget(capacity=1000)) as client:
        with pytest.raises(ServerError) as caught:
            await client.request("connections/sync", {"connectionId": emu.connection_ids[0]})

    assert caught.value.route == "applications/token"
    assert token_requests(emu) == 5
    assert requests_to(emu, "connections/sync") == 0


@pytest.mark.parametrize(
    "refusal",
    [
        {"kind": "rate_limit", "retry_after": 0.1},
        {"kind": "error", "status": 502},
        {"kind": "error", "status": 503},
        {"kind": "proxy_error", "status": 504},
    ],
    ids=["429", "502", "503", "504"],
)
@pytest.mark.parametrize("api", ["config", "public"])
async def test_a_token_endpoint_failing_once_holds_a_first_trigger_that_is_then_sent_once(
    airbyte_emulator_factory: Factory, api: str, refusal: dict[str, Any]
) -> None:
    """A fresh client's first call is a trigger, and its token request is refused once with a
    429 or a 5xx that may pass: the trigger, never sent without a token, waits for the token
    request's retry, and goes once, starting one sync (a 500 is a refusal of the credentials
    until they have minted a token, API-FACTS 1.1: not here)."""
    emu = await app_server(airbyte_emulator_factory, connections=1)
    route = "applications/token" if api == "config" else "/public/v1/applications/token"
    emu.set_faults([{**refusal, "route": route, "times": 1}])
    auth = ClientCredentials(APP_ID, APP_SECRET)
    async with client_for(emu, auth=auth, api=api) as client:
        job = await client.connections.sync(connection_id=emu.connection_ids[0])

    assert token_requests(emu) == 2
    assert emu.stats().jobs_by_connection == {emu.connection_ids[0]: [job.id]}


async def test_triggers_waiting_out_a_token_endpoint_add_no_line_each_at_info(
    airbyte_emulator_factory: Factory, caplog: pytest.LogCaptureFixture
) -> None:
    """Five triggers that wait out a failing token endpoint (each mint's five requests fail,
    twice) log nothing each above DEBUG: the token's own warnings tell the outage, at its
    start and its end (a batch of 1,000 made 82 INFO lines in an 8 s token outage)."""
    caplog.set_level(logging.INFO, logger="airbyte_async")
    emu = await app_server(
        airbyte_emulator_factory,
        connections=5,
        faults=[{"kind": "error", "status": 503, "route": "applications/token", "times": 10}],
    )
    auth = ClientCredentials(APP_ID, APP_SECRET)
    budget = RetryBudget(capacity=1000)
    async with client_for(emu, auth=auth, retry_budget=budget) as client:
        with stamina.set_testing(True):
            async with anyio.create_task_group() as tg:
                for cid in emu.connection_ids:
                    tg.start_soon(partial(client.connections.sync, connection_id=cid))

    told = [r.getMessage() for r in caplog.records]
    assert all(len(jobs) == 1 for jobs in emu.stats().jobs_by_connection.values())
    assert len(emu.stats().jobs_by_connection) == 5
    assert len(told) == 2, told
    assert told[0].startswith("the token request failed (503 on applications/token")
    assert told[1].startswith("the token request works again (it failed 10 times over ")


async def test_client_credentials_come_from_the_environment(
    airbyte_emulator_factory: Factory,
) -> None:
    """AIRBYTE_CLIENT_ID and AIRBYTE_CLIENT_SECRET give ClientCredentials."""
    emu = await app_server(airbyte_emulator_factory)
    env = {"AIRBYTE_URL": emu.url, "AIRBYTE_CLIENT_ID": APP_ID, "AIRBYTE_CLIENT_SECRET": APP_SECRET}
    async with AirbyteClient(env=env) as client:
        assert isinstance(client.auth, ClientCredentials)
        await read(client)

    assert emu.stats().tokens_minted == 1


# -- renewing a token that is still good -------------------------------------------------------

#: A token's life in these tests: it is due for renewal after 1.5 s (less a quarter), and
#: requests carry it until 1.9 s (less a twentieth); see ClientCredentials.
SHORT = 2.0
#: When a call after the first finds the token due.
DUE = 1.52


async def token_request_arrives(emu: Emulator, count: int) -> None:
    """Wait until the emulator has received *count* token requests."""
    with anyio.fail_after(5):
        while True:
            if token_requests(emu) >= count:
                return
            await anyio.sleep(0.005)


async def read_until_it_fails(client: AirbyteClient) -> None:
    """Read, again and again, until a read raises."""
    while True:
        await read(client)


def reads_between_token_requests(emu: Emulator, first: int) -> int:
    """Reads the emulator received after its *first*-th token request and before the next."""
    seen = reads = 0
    for request in emu.requests:
        if request.route in (TOKEN, PUBLIC_TOKEN):
            seen += 1
        elif request.route == f"/v1/{READ}" and seen == first:
            reads += 1
    return reads


async def test_calls_made_while_a_slow_renewal_runs_are_sent_with_the_current_token(
    airbyte_emulator_factory: Factory,
) -> None:
    """Once the token is due, one call renews it; while the token endpoint takes a second to
    answer, five more calls are answered with the current token (the emulator accepts them
    after minting the new one), not held back until the renewal ends."""
    emu = await app_server(airbyte_emulator_factory, token_lifetime=SHORT)
    async with client_for(emu, auth=ClientCredentials(APP_ID, APP_SECRET)) as client:
        await read(client)
        await anyio.sleep(DUE)
        emu.set_faults([{"kind": "late", "route": "applications/token", "delay": 1.0}])
        async with anyio.create_task_group() as tg:
            tg.start_soon(read, client)
            await token_request_arrives(emu, 2)
            for _ in range(5):
                await read(client)

    # The five, and the renewing call's own once its renewal ran out of time.
    assert emu.stats().requests_on_older_tokens >= 5
    assert emu.stats().tokens_minted == 2


async def test_a_renewal_that_times_out_fails_no_call(
    airbyte_emulator_factory: Factory,
) -> None:
    """The token endpoint answers a due token's renewal after the client's timeout: the calls
    made meanwhile are sent with the current token (after that token request, before the next),
    and once it expires a call asks for a token again and gets one."""
    emu = await app_server(airbyte_emulator_factory, token_lifetime=SHORT)
    auth = ClientCredentials(APP_ID, APP_SECRET)
    async with client_for(emu, auth=auth, timeout=0.2) as client:
        await read(client)
        await anyio.sleep(DUE)
        emu.set_faults([{"kind": "slow", "route": "applications/token", "delay": 1, "times": 1}])
        async with anyio.create_task_group() as tg:
            tg.start_soon(read, client)
            await token_request_arrives(emu, 2)
            await read(client)
            await read(client)
        await anyio.sleep(0.5)
        await read(client)

    assert reads_between_token_requests(emu, 2) >= 2
    assert token_requests(emu) == 3
    assert emu.stats().tokens_minted == 2


@pytest.mark.parametrize(
    ("fault", "timeout", "error"),
    [
        ({"kind": "rate_limit", "retry_after": 0.05}, 60.0, RateLimitError),
        ({"kind": "slow", "delay": 1.0}, 0.2, RequestTimeoutError),
    ],
    ids=["429-retry-after", "timeout"],
)
async def test_renewals_failing_until_the_token_expires_fail_calls_only_then(
    airbyte_emulator_factory: Factory,
    fault: dict[str, Any],
    timeout: float,
    error: type[AirbyteError],
) -> None:
    """While the renewals of a due token fail, calls are answered with it; once it expires, a
    call fails with the token request's own typed error."""
    emu = await app_server(airbyte_emulator_factory, token_lifetime=SHORT)
    auth = ClientCredentials(APP_ID, APP_SECRET)
    async with client_for(emu, auth=auth, timeout=timeout) as client:
        await read(client)
        await anyio.sleep(DUE)
        emu.set_faults([fault | {"route": "applications/token"}])
        with pytest.raises(error) as caught, anyio.fail_after(10):
            await read_until_it_fails(client)

    assert isinstance(caught.value, error)
    assert caught.value.route == "applications/token"
    assert reads_between_token_requests(emu, 2) >= 1
    assert APP_SECRET not in str(caught.value)


async def test_a_call_cancelled_while_it_renews_a_due_token_leaves_the_next_call_to_renew(
    airbyte_emulator_factory: Factory,
) -> None:
    """Outside a batch, the call that finds the token due renews it: cancelled while the token
    endpoint is slow, it takes its renewal with it, and the next call renews instead (no call
    fails, none waits for the cancelled one)."""
    emu = await app_server(airbyte_emulator_factory, token_lifetime=SHORT)
    async with client_for(emu, auth=ClientCredentials(APP_ID, APP_SECRET)) as client:
        await read(client)
        await anyio.sleep(DUE)
        slow = {"kind": "late", "route": "applications/token", "delay": 0.1, "times": 1}
        emu.set_faults([slow])
        async with anyio.create_task_group() as tg:
            tg.start_soon(read, client)
            await token_request_arrives(emu, 2)
            tg.cancel_scope.cancel()
        await read(client)

    assert token_requests(emu) == 3
    assert requests_to(emu, READ) == 2


async def test_a_batch_renews_a_due_token_in_its_own_task_while_its_polls_go_on(
    airbyte_emulator_factory: Factory,
) -> None:
    """In an orchestrator's batch the renewal of a due token is a task of the batch's: the
    polls, the only calls once every sync is triggered, are sent with the current token while
    a slow token endpoint renews it, instead of one of them waiting for the renewal."""
    emu = await app_server(
        airbyte_emulator_factory, token_lifetime=4.0, connections=3, sync_duration=(5.0, 5.0)
    )
    async with client_for(emu, auth=ClientCredentials(APP_ID, APP_SECRET)) as client:
        await read(client)
        # Answered within the time a renewal is given (half of the token's last 0.8 s), so a
        # poll that renewed would wait for it; polls every 0.1 s, so some fall in the wait.
        emu.set_faults([{"kind": "late", "route": "applications/token", "delay": 0.3}])
        orchestrator = Orchestrator(client, max_running=3, max_poll_interval=0.1)
        results = await orchestrator.run(list(emu.connection_ids))

    assert [r.outcome for r in results] == [Outcome.SUCCEEDED] * 3
    assert emu.stats().tokens_minted >= 2
    assert emu.stats().requests_on_older_tokens >= 1


async def test_a_batch_s_triggers_rejected_with_401_wait_for_one_slow_token_and_go_once(
    airbyte_emulator_factory: Factory, caplog: pytest.LogCaptureFixture
) -> None:
    """
    The access token dies while a batch's triggers are in flight (revoked: each request with it
    gets 401), and the token endpoint takes one to two seconds to answer. A 401 is the server's
    refusal before it acts (no job), so each refused trigger is sent again, once, with the one
    fresh token the refused calls all waited for: one token request at a time, every sync run
    once, no call failed, and no secret in the logs.
    """
    caplog.set_level(logging.DEBUG, logger="airbyte_async")
    emu = await app_server(
        airbyte_emulator_factory, connections=40, sync_duration=(0.5, 1.0), trigger_latency=0.2
    )
    emu.set_faults(
        [
            {"kind": "token_expiry", "route": "connections/sync", "times": 1},
            {"kind": "late", "route": "applications/token", "delay": 1.0, "max_delay": 2.0},
        ]
    )
    async with client_for(emu, auth=ClientCredentials(APP_ID, APP_SECRET)) as client:
        results = await Orchestrator(client, max_running=40).run(emu.connection_ids)

    assert [r.outcome for r in results] == [Outcome.SUCCEEDED] * 40
    assert sorted(len(jobs) for jobs in emu.stats().jobs_by_connection.values()) == [1] * 40
    assert token_requests(emu) == emu.stats().tokens_minted == 2
    assert requests_to(emu, "connections/sync") > 40
    assert APP_SECRET not in caplog.text


async def test_a_call_cancelled_while_it_asks_for_a_token_leaves_the_others_to_ask(
    airbyte_emulator_factory: Factory,
) -> None:
    """A call asking for a token (the last request failed with a 503) is cancelled while the
    token endpoint is slow: the call waiting for it asks again and succeeds, rather than fail
    with the 503 of the request before (no retries here to hide it)."""
    emu = await app_server(airbyte_emulator_factory)
    auth = ClientCredentials(APP_ID, APP_SECRET)
    async with client_for(emu, auth=auth, retry=RetryPolicy(attempts=1)) as client:
        emu.set_faults([{"kind": "error", "status": 503, "route": "applications/token"}])
        with pytest.raises(ServerError):
            await read(client)
        emu.set_faults([{"kind": "late", "route": "applications/token", "delay": 1.0}])
        asking = anyio.CancelScope()

        async def cancelled_read() -> None:
            with asking:
                await read(client)

        async with anyio.create_task_group() as tg:
            tg.start_soon(cancelled_read)
            await token_request_arrives(emu, 2)
            emu.set_faults([])
            tg.start_soon(read, client)
            await anyio.wait_all_tasks_blocked()
            asking.cancel()

    assert asking.cancelled_caught
    assert token_requests(emu) == 3
    assert requests_to(emu, READ) == 1


async def test_of_two_tokens_minted_at_once_the_newer_is_kept(
    airbyte_emulator_factory: Factory,
) -> None:
    """Two threads, each with its own event loop, share credentials: the first's token request
    is answered late, after the second's token came; the first thread then sends the second
    token, not the older one it received (no request on an older token)."""
    late = Fault(kind="late", route="applications/token", delay=0.5, times=1)
    emu = await app_server(airbyte_emulator_factory, faults=[late])
    shared = ClientCredentials(APP_ID, APP_SECRET)

    def task() -> None:
        async def main() -> None:
            async with AirbyteClient(emu.url, auth=shared, env={}, api="config") as client:
                await read(client)

        asyncio.run(main())

    threads = [threading.Thread(target=task, daemon=True) for _ in range(2)]
    threads[0].start()
    await token_request_arrives(emu, 1)
    threads[1].start()
    for thread in threads:
        await anyio.to_thread.run_sync(thread.join, 10)

    assert emu.stats().tokens_minted == 2
    assert requests_to(emu, READ) == 2
    assert emu.stats().requests_on_older_tokens == 0


@pytest.mark.parametrize(
    ("failures", "retry_after", "left", "expected"),
    [
        (1, None, 100.0, 1.0),
        (3, None, 100.0, 4.0),
        (9, None, 1000.0, 30.0),
        (1, None, 2.0, 0.5),
        (1, 7.0, 100.0, 7.0),
        (4, 2.0, 100.0, 8.0),
        (1, 7.0, 3.0, 3.0),
        (2, None, -1.0, 0.0),
    ],
    ids=[
        "first",
        "doubling",
        "capped",
        "a-quarter-of-what-is-left",
        "retry-after",
        "backoff-longer",
        "at-expiry",
        "expired",
    ],
)
def test_a_failed_renewal_is_tried_again_after_a_pause(
    failures: int, retry_after: float | None, left: float, expected: float
) -> None:
    """1 s doubling up to 30 s and a quarter of the time left, at least what Retry-After asks,
    never past the token's end."""
    assert renewal_pause(failures, retry_after, left=left) == expected


# -- token lifetimes (pure) --------------------------------------------------------------------


def jwt(**claims: Any) -> str:
    """An unsigned JWT-shaped token carrying *claims*."""

    def part(data: dict[str, Any]) -> str:
        return base64.urlsafe_b64encode(json.dumps(data).encode()).rstrip(b"=").decode()

    return f"{part({'alg': 'none'})}.{part(claims)}.sig"


@pytest.mark.parametrize(
    ("token", "expires_in", "now", "expected"),
    [
        (jwt(exp=1_000_900, iat=1_000_000), None, 1_000_000.0, 900.0),
        (jwt(exp=1_000_180, iat=1_000_000), 900, 1_000_000.0, 180.0),
        (jwt(exp=1_000_900, iat=1_000_000), None, 1_000_600.0, 300.0),
        (jwt(exp=1_000_900, iat=1_000_000), None, 5_000_000.0, 900.0),
        (jwt(exp=1_000_900, iat=1_000_000), None, 0.0, 900.0),
        (jwt(exp=1_000_900), None, 1_000_000.0, 900.0),
        ("opaque-token", 900, 0.0, 900.0),
        ("opaque-token", None, 0.0, None),
        ("opaque-token", 0, 0.0, None),
        ("a.%%%.c", "900", 0.0, None),
    ],
    ids=[
        "exp-iat",
        "jwt-shorter-than-expires_in",
        "local-clock-says-less",
        "local-clock-far-ahead-ignored",
        "local-clock-far-behind",
        "exp-only",
        "expires_in-only",
        "nothing",
        "zero-ignored",
        "garbage",
    ],
)
def test_token_lifetime_takes_the_shortest_credible_estimate(
    token: str, expires_in: object, now: float, expected: float | None
) -> None:
    """exp-iat, exp-now and expires_in: the smallest positive one wins; skew cannot zero it."""
    assert token_lifetime(token, expires_in, now=now) == expected


@pytest.mark.parametrize(
    "kwargs",
    [
        {"client_id": "", "client_secret": "s"},
        {"client_id": "i", "client_secret": ""},
        {"client_id": "i", "client_secret": "s", "token_url": "ftp://host/token"},
        {"client_id": "i", "client_secret": "s", "token_url": "relative/path"},
        {"client_id": "i", "client_secret": "s", "token_url": "https://u:p@host/token"},
        {"client_id": "i", "client_secret": "s", "default_lifetime": 0},
        {"client_id": "i", "client_secret": "s\nX-Injected: 1"},
    ],
)
def test_client_credentials_refuse_bad_settings(kwargs: dict[str, Any]) -> None:
    """Empty ids, unusable token URLs, zero lifetimes and header injection are refused."""
    with pytest.raises(InvalidArgumentError):
        ClientCredentials(**kwargs)


@pytest.mark.parametrize("value", ["Bearer tok-123", "bearer tok-123"])
def test_a_bearer_token_given_as_a_header_value_is_refused(value: str) -> None:
    """A whole header value would be sent as ``Bearer Bearer ...``: refused, without echoing
    the token."""
    with pytest.raises(InvalidArgumentError, match="the token alone") as caught:
        BearerToken(value)
    assert "tok-123" not in str(caught.value)


async def test_threads_each_with_its_own_loop_can_share_client_credentials(
    airbyte_emulator_factory: Factory,
) -> None:
    """
    One ClientCredentials shared by two threads, each running its own event loop (a
    scheduler's workers, each task an ``asyncio.run``): the thread that waits while the other
    mints gets its token too (it slept on, never woken, when one lock served every loop).
    """
    slow_token = Fault(kind="latency", route="applications/token", delay=0.5)
    emu = await app_server(airbyte_emulator_factory, faults=[slow_token])
    shared = ClientCredentials(APP_ID, APP_SECRET)
    done: dict[str, bool] = {}

    def task(name: str) -> None:
        async def main() -> None:
            async with AirbyteClient(emu.url, auth=shared, env={}, api="config") as client:
                await read(client)

        asyncio.run(main())
        done[name] = True

    threads = [threading.Thread(target=task, args=(name,), daemon=True) for name in "AB"]
    for thread in threads:
        thread.start()
        await anyio.sleep(0.1)
    for thread in threads:
        await anyio.to_thread.run_sync(thread.join, 10)
    assert done == {"A": True, "B": True}


async def test_a_500_from_the_token_route_after_a_token_was_minted_is_retried(
    airbyte_emulator_factory: Factory,
) -> None:
    """
    Once the credentials have minted a token, a 500 from the token route is the server's own
    failure, retried like a 502: the call succeeds, not an AuthenticationError that blames the
    client id and secret (a 500 before any token is still read as a refusal, API-FACTS 1.1).
    """
    emu = await app_server(airbyte_emulator_factory)
    async with client_for(emu, auth=ClientCredentials(APP_ID, APP_SECRET)) as client:
        await read(client)
        emu.set_faults(
            [
                {"kind": "token_expiry", "route": READ, "times": 1},
                {"kind": "error", "status": 500, "route": "applications/token", "times": 1},
            ]
        )
        await read(client)

    assert emu.stats().tokens_minted == 2


@asynccontextmanager
async def token_endpoint(answer: web.Response) -> AsyncIterator[str]:
    """A token endpoint of its own on 127.0.0.1 that gives every request *answer*; its URL."""

    async def token(request: web.Request) -> web.Response:
        return answer

    app = web.Application()
    app.router.add_post("/token", token)
    async with serving(app) as url:
        yield f"{url}/token"


async def test_a_token_answer_without_a_token_is_no_sync_that_may_have_started(
    airbyte_emulator_factory: Factory,
) -> None:
    """A 200 from the token endpoint without an access_token fails a sync trigger, which was
    never sent: nothing says a job may exist."""
    emu = await airbyte_emulator_factory(airbyte_version="0.50", connections=1)
    async with token_endpoint(web.json_response({"token_type": "Bearer"})) as url:
        auth = ClientCredentials(APP_ID, APP_SECRET, token_url=url)
        async with client_for(emu, auth=auth) as client:
            with pytest.raises(ResponseValidationError) as raised:
                await client.connections.sync(connection_id=emu.connection_ids[0])

    assert not raised.value.job_may_exist
    assert requests_to(emu, "connections/sync") == 0


async def test_a_secret_the_server_echoes_in_its_refusal_is_masked(
    airbyte_emulator_factory: Factory,
) -> None:
    """A refusal whose message quotes the client secret back says it masked."""
    emu = await airbyte_emulator_factory()
    echo = {"message": f"Invalid client id or token: {APP_SECRET}"}
    async with token_endpoint(web.json_response(echo, status=400)) as url:
        auth = ClientCredentials(APP_ID, APP_SECRET, token_url=url)
        async with client_for(emu, auth=auth) as client:
            with pytest.raises(AuthenticationError) as raised:
                await read(client)

    assert APP_SECRET not in str(raised.value)
    assert "Invalid client id or token: **********" in str(raised.value)


async def test_the_emulator_takes_other_credentials_from_set_auth(
    airbyte_emulator_factory: Factory,
) -> None:
    """After ``set_auth``, as after a password change, the old credentials get 401 (API-FACTS
    0 and 1.1: a rejected credential is a 401) and the new ones pass; tokens minted before are
    no longer valid."""
    emu = await app_server(airbyte_emulator_factory)
    async with client_for(emu, auth=ClientCredentials(APP_ID, APP_SECRET)) as client:
        await read(client)
        emu.set_auth(RequireBasic("airbyte", "new-password"))
        with pytest.raises(AuthenticationError):
            await read(client)
    async with client_for(emu, auth=BasicAuth("airbyte", "new-password")) as client:
        await read(client)
