"""The emulator's command line: flags, the URL as the first line, clean shutdown."""

from __future__ import annotations

import argparse
import base64
import json
import os
import re
import signal
import sys
from pathlib import Path

import aiohttp
import anyio
import pytest

from airbyte_async import AirbyteClient, Auth, BasicAuth, BearerToken, ClientCredentials, NoAuth
from airbyte_async.cli._parser import add_emulator_arguments
from airbyte_async.errors import AuthenticationError
from airbyte_async.testing._cli import _emulator, run

pytestmark = pytest.mark.anyio

ROOT = Path(__file__).resolve().parents[1]


def parse(*argv: str) -> argparse.Namespace:
    """The emulator flags parsed from *argv*."""
    parser = argparse.ArgumentParser()
    add_emulator_arguments(parser)
    return parser.parse_args(argv)


def test_flags_have_the_documented_defaults() -> None:
    """Without flags: a free port, version 0.50, one workspace, no connections, no auth."""
    args = parse()
    assert (args.port, args.airbyte_version, args.workspaces, args.connections) == (0, "0.50", 1, 0)
    assert args.sync_duration == (0.05, 0.2)
    assert args.auth is None
    assert args.faults is None
    custom = parse("--sync-duration", "1", "2", "--failure-rate", "0.5", "--seed", "4")
    assert (custom.sync_duration, custom.failure_rate, custom.seed) == ([1.0, 2.0], 0.5, 4)


def test_the_cli_passes_retried_attempts_on() -> None:
    """--attempts and --retry-backoff reach the emulator (default: one attempt, 10 s)."""
    assert (_emulator(parse()).attempts, _emulator(parse()).retry_backoff) == (1, 10.0)
    emulator = _emulator(parse("--attempts", "5", "--retry-backoff", "0.5"))
    assert (emulator.attempts, emulator.retry_backoff) == (5, 0.5)


@pytest.mark.parametrize(
    ("flag", "auth"),
    [
        ("basic:airbyte:hunter2", BasicAuth("airbyte", "hunter2")),
        ("bearer:tok-123", BearerToken("tok-123")),
        ("credentials:app-id:app-secret", ClientCredentials("app-id", "app-secret")),
    ],
    ids=["basic", "bearer", "credentials"],
)
async def test_each_auth_form_the_readme_names_guards_the_emulator(flag: str, auth: Auth) -> None:
    """README: the emulator command takes ``--auth basic:USER:PASS``, ``bearer:TOKEN`` or
    ``credentials:ID:SECRET``. Served so, it answers a client holding those credentials and
    refuses one holding none."""
    async with _emulator(parse("--auth", flag, "--connections", "1")) as emulator:
        async with AirbyteClient(emulator.url, auth=auth, env={}) as client:
            [workspace] = [w async for w in client.workspaces.list()]
        async with AirbyteClient(emulator.url, auth=NoAuth(), env={}, api="config") as client:
            with pytest.raises(AuthenticationError):
                await client.workspaces.default()

    assert workspace.workspace_id == emulator.workspace_ids[0]


async def test_invalid_settings_exit_with_2(capsys: pytest.CaptureFixture[str]) -> None:
    """Impossible settings print one line to stderr, echo no secret, and return 2."""
    assert await run(parse("--failure-rate", "2")) == 2
    assert await run(parse("--auth", "basic-hunter2")) == 2
    assert await run(parse("--faults", '{"kind": "nope"}')) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    assert "failure_rate" in captured.err
    assert "hunter2" not in captured.err


@pytest.mark.slow
async def test_the_cli_prints_its_url_first_and_serves_until_terminated() -> None:
    """`python -m airbyte_async.testing` prints the URL, serves with auth and faults, stops."""
    faults = json.dumps([{"kind": "error", "route": "connections/sync", "status": 503, "times": 1}])
    command = [
        sys.executable,
        "-m",
        "airbyte_async.testing",
        "--port",
        "0",
        "--connections",
        "2",
        "--airbyte-version",
        "head",
        "--auth",
        "basic:airbyte:hunter2",
        "--faults",
        faults,
    ]
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    async with await anyio.open_process(command, env=env) as process:
        try:
            rest, errors = await _serve_then_stop(process)
        except BaseException:
            process.kill()  # else closing the process would wait for it forever
            raise
    assert rest == b""
    assert b"hunter2" not in errors


async def _serve_then_stop(process: anyio.abc.Process) -> tuple[bytes, bytes]:
    """Check what the emulator in *process* serves, stop it; what it printed after its URL."""
    assert process.stdout is not None
    assert process.stderr is not None
    with anyio.fail_after(20):
        first = b""
        while not first.endswith(b"\n"):
            first += await process.stdout.receive(1)
    url = first.decode().strip()
    assert re.fullmatch(r"http://127\.0\.0\.1:\d+", url)
    auth = {"Authorization": "Basic " + base64.b64encode(b"airbyte:hunter2").decode()}
    async with aiohttp.ClientSession() as http:
        async with http.get(url + "/api/v1/health") as response:
            assert response.status == 401  # nginx guards every path
        async with http.get(url + "/api/v1/health", headers=auth) as response:
            assert response.status == 200
        body = {"organizationId": "00000000-0000-0000-0000-000000000000"}
        route = url + "/api/v1/workspaces/list_by_organization_id"
        async with http.post(route, json=body) as response:
            assert response.status == 401
        async with http.post(route, json=body, headers=auth) as response:
            workspace_id = (await response.json())["workspaces"][0]["workspaceId"]
        async with http.post(
            url + "/api/v1/connections/list", json={"workspaceId": workspace_id}, headers=auth
        ) as response:
            connection_id = (await response.json())["connections"][0]["connectionId"]
        sync = url + "/api/v1/connections/sync"
        statuses = []
        for _ in range(2):
            async with http.post(sync, json={"connectionId": connection_id}, headers=auth) as r:
                statuses.append(r.status)
        assert statuses == [503, 200]
    process.send_signal(signal.SIGTERM)
    with anyio.fail_after(10):
        assert await process.wait() == 0
    rest = b""
    async for chunk in process.stdout:
        rest += chunk
    errors = b""
    async for chunk in process.stderr:
        errors += chunk
    return rest, errors
