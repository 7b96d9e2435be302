"""
``api="auto"`` on a bare host: the client asks the server which API it answers to (issue 12,
"otherwise what the server answers to"), and asks nothing when the user or the URL named it.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator

import anyio
import pytest
from aiohttp import web
from client_support import closed_port, serving
from test_cli_commands import Served, json_lines, run  # noqa: F401

from airbyte_async import AirbyteClient, ClientCredentials, NoAuth, RetryPolicy
from airbyte_async.errors import (
    ConnectError,
    RequestTimeoutError,
    ServerError,
    UnsupportedOperationError,
)
from airbyte_async.orchestrator import Orchestrator, Outcome
from airbyte_async.resources._public import PublicConnections, PublicJobs
from airbyte_async.testing import Emulator, Fault, RequireClientCredentials

pytestmark = pytest.mark.anyio

CONFIG_HEALTH = "/v1/health"
PUBLIC_HEALTH = "/public/v1/health"


def _health_probes(emu: Emulator) -> tuple[int, int]:
    routes = emu.stats().requests_by_route
    return routes.get(CONFIG_HEALTH, 0), routes.get(PUBLIC_HEALTH, 0)


@pytest.mark.parametrize("version", ["0.40", "0.50", "1.7", "2.0", "head"])
async def test_auto_picks_the_config_api_when_it_answers(version: str) -> None:
    """On a bare host whose ``/api/v1/health`` answers, auto speaks the Config API after one
    probe, and the public health is not asked."""
    async with (
        Emulator(airbyte_version=version, connections=1) as emu,
        AirbyteClient(emu.url, auth=NoAuth(), env={}) as client,
    ):
        assert client.api == "config"
        assert _health_probes(emu) == (1, 0)
        listed = [c async for c in client.connections.list(workspace_id=emu.workspace_ids[0])]
        assert [c.connection_id for c in listed] == emu.connection_ids
        assert _health_probes(emu) == (1, 0)


async def test_auto_picks_the_public_api_when_only_it_answers() -> None:
    """On a bare host whose Config API routes are not there (404), auto asks the public
    health, speaks the public API, and its calls reach only public routes."""
    async with (
        Emulator(airbyte_version="head", connections=2, config_api=False) as emu,
        AirbyteClient(emu.url, auth=NoAuth(), env={}) as client,
    ):
        assert client.api == "public"
        assert isinstance(client.connections, PublicConnections)
        assert isinstance(client.jobs, PublicJobs)
        listed = [c async for c in client.connections.list(workspace_id=emu.workspace_ids[0])]
        assert sorted(c.connection_id for c in listed) == sorted(emu.connection_ids)
        routes = emu.stats().requests_by_route
        assert routes[CONFIG_HEALTH] == 1 and routes[PUBLIC_HEALTH] == 1
        others = [r for r in routes if r != CONFIG_HEALTH]
        assert others and all(r.startswith("/public/v1/") for r in others), routes


@pytest.mark.parametrize(("config_api", "chosen"), [(True, "config"), (False, "public")])
async def test_entering_fetches_no_token(config_api: bool, chosen: str) -> None:
    """With client credentials, entering asks the open health routes without a token (none is
    minted); the first call fetches the one token it needs."""
    policy = RequireClientCredentials("app", "app-secret")
    async with (
        Emulator(airbyte_version="head", connections=1, auth=policy, config_api=config_api) as emu,
        AirbyteClient(emu.url, auth=ClientCredentials("app", "app-secret"), env={}) as client,
    ):
        assert client.api == chosen
        assert emu.stats().tokens_minted == 0
        assert (await client.connections.get(connection_id=emu.connection_ids[0])).name
        assert emu.stats().tokens_minted == 1


@pytest.mark.parametrize(
    ("suffix", "api", "env", "chosen"),
    [
        ("", "config", {}, "config"),
        ("", "public", {}, "public"),
        ("", None, {"AIRBYTE_API": "public"}, "public"),
        ("", None, {"AIRBYTE_API": "config"}, "config"),
        ("/api/v1", None, {}, "config"),
        ("/api/public/v1", None, {}, "public"),
        ("/api/public/v1", "auto", {}, "public"),
    ],
)
async def test_no_probe_when_the_api_is_named(
    suffix: str, api: str | None, env: dict[str, str], chosen: str
) -> None:
    """When ``api=``, ``AIRBYTE_API`` or the URL names the API, entering the client sends no
    request at all."""
    async with (
        Emulator(airbyte_version="head") as emu,
        AirbyteClient(emu.url + suffix, api=api, auth=NoAuth(), env=env) as client,
    ):
        assert client.api == chosen
        assert emu.stats().total_requests == 0


async def test_a_server_not_up_yet_neither_fails_the_entry_nor_decides() -> None:
    """When the probe gets no answer, entering still succeeds and the client stays on the
    Config API unsettled; the first call after the server is up asks again and takes what the
    server answers to (here the public API only)."""
    port = closed_port()
    url = f"http://127.0.0.1:{port}"
    async with AirbyteClient(url, auth=NoAuth(), env={}) as client:
        assert client.api == "config"
        async with Emulator(airbyte_version="head", port=port, config_api=False) as emu:
            health = await client.health()
            assert health.available
            assert client.api == "public"
            assert isinstance(client.jobs, PublicJobs)
            assert _health_probes(emu) == (1, 2)


async def test_no_answer_on_a_call_raises_what_kept_the_server_silent() -> None:
    """A call on an unsettled client whose server still does not answer fails with that
    transport error, and the client does not guess: the next call asks again."""
    port = closed_port()
    async with AirbyteClient(f"http://127.0.0.1:{port}", auth=NoAuth(), env={}) as client:
        with pytest.raises(ConnectError):
            await client.jobs.get(job_id=1)
        assert client.api == "config"
        async with Emulator(airbyte_version="head", port=port) as emu:
            assert (await client.health()).available
            assert client.api == "config"
            assert _health_probes(emu) == (2, 0)


async def test_calls_waiting_on_a_silent_probe_share_its_error() -> None:
    """Calls that queue behind a lazy probe that gets no answer raise that probe's error
    instead of each probing again with a full set of retries."""
    silent = Fault(kind="error", route=CONFIG_HEALTH, status=503)
    policy = RetryPolicy(attempts=3)
    async with (
        Emulator(airbyte_version="head", faults=[silent]) as emu,
        AirbyteClient(emu.url, auth=NoAuth(), env={}, retry=policy) as client,
    ):
        assert _health_probes(emu) == (1, 0)
        refused = 0

        async def call() -> None:
            nonlocal refused
            with pytest.raises(ServerError):
                await client.jobs.get(job_id=1)
            refused += 1

        async with anyio.create_task_group() as tg:
            for _ in range(3):
                tg.start_soon(call)
        assert refused == 3
        assert _health_probes(emu) == (1 + 3, 0)
        assert client.api == "config"


async def test_a_resource_taken_before_the_switch_refuses_to_send() -> None:
    """A Config API resource taken while the client was unsettled raises
    UnsupportedOperationError once the server turned out to serve only the public API, and
    sends no Config API request (which would 404)."""
    port = closed_port()
    async with AirbyteClient(f"http://127.0.0.1:{port}", auth=NoAuth(), env={}) as client:
        stale = client.jobs
        async with Emulator(airbyte_version="head", port=port, config_api=False) as emu:
            with pytest.raises(UnsupportedOperationError, match="public API"):
                await stale.get(job_id=1)
            assert client.api == "public"
            assert set(emu.stats().requests_by_route) == {CONFIG_HEALTH, PUBLIC_HEALTH}


@pytest.fixture
def served() -> Iterator[Served]:
    """A head emulator serving only the public API, in a thread (for ``run``)."""
    emulator = Emulator(
        airbyte_version="head", connections=2, sync_duration=(0.01, 0.02), config_api=False
    )
    with (
        anyio.from_thread.start_blocking_portal() as portal,
        portal.wrap_async_context_manager(emulator),
    ):
        yield Served(emulator, portal)


def test_the_cli_auto_takes_what_the_server_answers_to(
    run: Callable[..., tuple[int, str, str]],  # noqa: F811
    served: Served,
) -> None:
    """``connections list --api auto --json`` on a bare host serving only the public API lists
    the connections through it, after the two health probes."""
    code, out, err = run("connections", "list", "--api", "auto", "--json")

    assert code == 0, err
    assert sorted(c["connection_id"] for c in json_lines(out)) == sorted(
        served.emulator.connection_ids
    )
    routes = served.emulator.stats().requests_by_route
    assert routes[CONFIG_HEALTH] == 1 and routes[PUBLIC_HEALTH] == 1
    assert all(r.startswith("/public/v1/") for r in routes if r != CONFIG_HEALTH), routes


async def test_an_orchestrator_made_before_the_switch_follows_the_client() -> None:
    """An orchestrator made while the server was away (api="auto", nothing settled) drives
    the API the client settles on once the server answers, here the public API alone: its
    syncs succeed, rather than each failing on a Config API backend taken too early."""
    port = closed_port()
    async with AirbyteClient(f"http://127.0.0.1:{port}", auth=NoAuth(), env={}) as client:
        orchestrator = Orchestrator(client, poll_interval=0.05)
        async with Emulator(
            airbyte_version="head", port=port, config_api=False, connections=3
        ) as emu:
            results = await orchestrator.run(emu.connection_ids)
            again = await orchestrator.run(emu.connection_ids)

    assert client.api == "public"
    assert [r.outcome for r in results + again] == [Outcome.SUCCEEDED] * 6


async def test_a_health_that_timed_out_on_entry_is_asked_once_more_by_the_first_call() -> None:
    """With api="auto", a health route that did not answer within the timeout on entry is
    asked once more by the first call, not with a call's retries: two requests in all, and the
    error tells how to skip the question."""
    seen: list[str] = []
    answer = anyio.Event()

    async def slow(request: web.Request) -> web.Response:
        seen.append(request.path)
        await answer.wait()
        return web.json_response({"available": True})

    app = web.Application()
    app.router.add_get("/{tail:.*}", slow)
    async with serving(app) as url:
        try:
            async with AirbyteClient(url, env={}, timeout=0.2) as client:
                with pytest.raises(RequestTimeoutError) as caught:
                    await client.health()
        finally:
            answer.set()

    assert seen == ["/api/v1/health", "/api/v1/health"]
    assert any("name it (api='config' or 'public'" in note for note in caught.value.__notes__)
