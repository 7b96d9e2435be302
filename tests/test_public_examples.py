"""``examples/pipeline.py`` on the public REST API (``AIRBYTE_API=public``)."""

from __future__ import annotations

import ast
import inspect
import re
from pathlib import Path
from typing import Any

import pytest
from test_examples import example

from airbyte_async import AirbyteClient
from airbyte_async.models import JobStatus, ScheduleType
from airbyte_async.orchestrator import Outcome
from airbyte_async.testing import Emulator, RequireClientCredentials
from airbyte_async.testing.pytest_plugin import TEST_TRIGGER_LATENCY

pytestmark = pytest.mark.anyio


async def test_the_pipeline_example_runs_twice_on_the_public_api(
    capsys: pytest.CaptureFixture[str],
) -> None:
    """pipeline.py on the public API: created then unchanged, synced twice, with a note for
    each thing the public API lacks (definition lookup, checks, basic schedules)."""
    pipeline = example("pipeline")
    async with (
        Emulator(
            trigger_latency=TEST_TRIGGER_LATENCY, airbyte_version="head", sync_duration=(0.02, 0.05)
        ) as emu,
        AirbyteClient(emu.url, env={}, api="public") as client,
    ):
        first = await pipeline.run(client, {}, real=False, poll_interval=0.01)
        second = await pipeline.run(client, {}, real=False, poll_interval=0.01)
        workspace = await client.workspaces.default()
        [connection] = [
            c async for c in client.connections.list(workspace_id=workspace.workspace_id)
        ]
        routes = set(emu.stats().requests_by_route)

    assert first.status is second.status is JobStatus.SUCCEEDED
    assert first.connection_id == second.connection_id
    out = capsys.readouterr().out
    assert "connection shop-postgres-to-lake: created" in out
    assert "connection shop-postgres-to-lake: unchanged" in out
    for lacking in ("no definition lookup", "no connection checks", "no basic schedules"):
        assert f"(public API: {lacking}" in out
    assert connection.schedule_type is ScheduleType.CRON
    assert sorted(s.stream.name for s in connection.sync_catalog.selected) == [
        "customers",
        "orders",
    ]
    assert routes and all(route.startswith("/public/v1/") for route in routes)


async def test_the_pipeline_example_main_takes_airbyte_api(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """``AIRBYTE_API=public python examples/pipeline.py`` without AIRBYTE_URL runs its own
    emulator and syncs through the public API (issue 12, "done when")."""
    monkeypatch.delenv("AIRBYTE_URL", raising=False)
    monkeypatch.setenv("AIRBYTE_API", "public")

    await example("pipeline").main()

    out = capsys.readouterr().out
    assert "(public API:" in out
    assert re.search(r"sync job 1: succeeded, \d+ records, \d+ bytes", out)


def _quickstart() -> str:
    """The Python block of the README's Cloud quickstart."""
    text = (Path(__file__).resolve().parents[1] / "README.md").read_text()
    part = text[text.index("### Cloud quickstart") : text.index("### Choosing the API")]
    return part.split("```python\n", 1)[1].split("```", 1)[0]


async def test_the_readme_cloud_quickstart_runs() -> None:
    """The README's Cloud quickstart, pointed at a head emulator wanting client credentials:
    every connection synced once through the public API."""
    policy = RequireClientCredentials("app-id", "app-secret")
    async with Emulator(airbyte_version="head", connections=3, auth=policy) as emu:
        code = _quickstart().replace("https://api.airbyte.com/v1", emu.url + "/api/public/v1")
        namespace: dict[str, Any] = {"client_id": "app-id", "client_secret": "app-secret"}
        compiled = compile(
            code, "README.md quickstart", "exec", flags=ast.PyCF_ALLOW_TOP_LEVEL_AWAIT
        )
        result = eval(compiled, namespace)
        if inspect.iscoroutine(result):
            await result
        stats = emu.stats()
    assert [r.outcome for r in namespace["results"]] == [Outcome.SUCCEEDED] * 3
    assert all(route.startswith("/public/v1/") for route in stats.requests_by_route)
    assert stats.requests_by_route["/public/v1/applications/token"] == 1
