"""
Testing your own Airbyte code against the emulator, with the fixtures airbyte-async installs
as a pytest plugin (no conftest needed): ``airbyte_emulator`` (a running emulator with default
settings) and ``airbyte_emulator_factory`` (``await factory(**options)``, any number of them).

Copy it into your project and run it with ``python -m pytest test_with_emulator.py``
(``pip install pytest`` first: airbyte-async does not depend on it). Inside this repository,
whose ``pyproject.toml`` has pytest load the development tools, install those first
(``pip install -e '.[dev]'``). The fixtures are async: the tests run on anyio's pytest plugin
(installed with anyio), on asyncio. With pytest-asyncio (1.1 or later), mark them
``pytest.mark.asyncio`` instead of ``pytest.mark.anyio`` (or use its auto mode).
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import stamina

from airbyte_async import AirbyteClient, JobStatus
from airbyte_async.testing import Emulator, Fault
from airbyte_async.testing.pytest_plugin import EmulatorFactory

pytestmark = pytest.mark.anyio


@pytest.fixture
def anyio_backend() -> str:
    """aiohttp runs on asyncio only."""
    return "asyncio"


@pytest.fixture(autouse=True)
def _no_retry_waits() -> Iterator[None]:
    """Retries still happen, without their backoff sleeps: injected faults stay fast."""
    with stamina.set_testing(True, attempts=5):
        yield


# -- the code under test: what your project would import from its own package -------------


async def sync_and_count(client: AirbyteClient, connection_id: str) -> int:
    """Sync a connection and return the records it moved; a failed sync raises."""
    job = await client.connections.sync(connection_id=connection_id)
    job = await client.jobs.wait(job_id=job.id, poll_interval=0.01)
    if job.status is not JobStatus.SUCCEEDED:
        raise RuntimeError(f"sync {job.id} {job.status}: {job.failure_reason}")
    return job.records_synced or 0


# -- the tests ------------------------------------------------------------------------------


async def fast_emulator(factory: EmulatorFactory, **options: object) -> Emulator:
    """An emulator with one connection whose syncs take a few milliseconds."""
    return await factory(connections=1, sync_duration=(0.01, 0.02), **options)


async def test_a_sync_moves_records(airbyte_emulator_factory: EmulatorFactory) -> None:
    """A successful sync reports the records it moved."""
    emulator = await fast_emulator(airbyte_emulator_factory)
    async with AirbyteClient(emulator.url, env={}) as client:
        assert await sync_and_count(client, emulator.connection_ids[0]) > 0


async def test_a_failed_sync_raises(airbyte_emulator_factory: EmulatorFactory) -> None:
    """A sync the emulator is told to fail makes the code under test raise, with the reason."""
    emulator = await fast_emulator(airbyte_emulator_factory)
    connection_id = emulator.connection_ids[0]
    emulator.set_sync_plan(connection_id, outcome="failed", duration=0.01)

    async with AirbyteClient(emulator.url, env={}) as client:
        with pytest.raises(RuntimeError, match="failed"):
            await sync_and_count(client, connection_id)


async def test_a_lost_answer_starts_one_sync_only(
    airbyte_emulator_factory: EmulatorFactory,
) -> None:
    """The trigger's answer is lost after the server acted: still exactly one job."""
    lost = Fault(kind="reset_after", route="connections/sync", times=1)
    emulator = await fast_emulator(airbyte_emulator_factory, faults=[lost])
    connection_id = emulator.connection_ids[0]

    async with AirbyteClient(emulator.url, env={}) as client:
        assert await sync_and_count(client, connection_id) > 0

    assert len(emulator.stats().jobs_by_connection[connection_id]) == 1


async def test_the_default_emulator_has_one_empty_workspace(airbyte_emulator: Emulator) -> None:
    """``airbyte_emulator``: one workspace, no connections, Airbyte 0.50."""
    async with AirbyteClient(airbyte_emulator.url, env={}) as client:
        workspace = await client.workspaces.default()
        connections = [
            c async for c in client.connections.list(workspace_id=workspace.workspace_id)
        ]

    assert connections == []
