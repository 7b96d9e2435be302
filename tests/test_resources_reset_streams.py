"""
``connections.reset(streams=...)``: a reset of some streams, started at most once.

``connections/reset/stream`` (config-api-0.50.yaml on; not in 0.40's) resets the streams named
through the same ``TemporalClient.resetConnection`` as a reset of the whole connection
(airbytehq/airbyte-platform ``SchedulerHandler.resetConnectionStream`` at ``1aacafa9``); head's
``connections/clear/stream`` is the same handler. The public API resets no single streams
(``POST /jobs`` takes a connection and a job type).
"""

from __future__ import annotations

import pytest
from client_support import client_for, requests_to

from airbyte_async.errors import InvalidArgumentError, UnsupportedOperationError
from airbyte_async.models import JobType, StreamDescriptor
from airbyte_async.testing import pytest_plugin

airbyte_emulator_factory = pytest_plugin.airbyte_emulator_factory
Factory = pytest_plugin.EmulatorFactory

pytestmark = pytest.mark.anyio

ROUTE = "connections/reset/stream"


@pytest.mark.parametrize("version", ["0.50", "head"])
async def test_a_reset_of_some_streams_returns_its_reset_job(
    airbyte_emulator_factory: Factory, version: str
) -> None:
    """The streams named go to ``connections/reset/stream`` in a body its spec takes, and the
    answer's reset job is returned."""
    emu = await airbyte_emulator_factory(airbyte_version=version, connections=1)
    (cid,) = emu.connection_ids
    streams = ["users", StreamDescriptor(name="orders", namespace="shop")]
    async with client_for(emu) as client:
        job = await client.connections.reset(connection_id=cid, streams=streams)

    assert job.job_type is JobType.RESET_CONNECTION
    assert emu.stats().jobs_by_connection[cid] == [job.id]
    assert (requests_to(emu, ROUTE), requests_to(emu, "connections/reset")) == (1, 0)


@pytest.mark.parametrize("lost", ["reset_after", "hang_after", "truncated_json"])
async def test_a_reset_of_some_streams_whose_answer_is_lost_starts_one_job(
    airbyte_emulator_factory: Factory, lost: str
) -> None:
    """The answer is lost after the server acted: the reset's job is looked for and returned,
    and the reset is not sent again (a second would cancel the first and start another)."""
    fault = {"kind": lost, "route": ROUTE, "method": "POST", "times": 1}
    emu = await airbyte_emulator_factory(
        airbyte_version="head", connections=1, sync_duration=(60, 60), faults=[fault]
    )
    (cid,) = emu.connection_ids
    async with client_for(emu, timeout=2.0) as client:
        job = await client.connections.reset(connection_id=cid, streams=["users"])

    assert job.job_type is JobType.RESET_CONNECTION
    assert emu.stats().jobs_by_connection[cid] == [job.id]
    assert requests_to(emu, ROUTE) == 1


async def test_a_reset_of_some_streams_on_0_40_names_the_version_that_has_it(
    airbyte_emulator_factory: Factory,
) -> None:
    """0.40 has no ``connections/reset/stream``: the error says 0.50 brought it; nothing
    starts."""
    emu = await airbyte_emulator_factory(airbyte_version="0.40", connections=1)
    (cid,) = emu.connection_ids
    async with client_for(emu) as client:
        with pytest.raises(UnsupportedOperationError, match=r"serves it from 0\.50 on"):
            await client.connections.reset(connection_id=cid, streams=["users"])

    assert emu.stats().jobs_created == 0


async def test_a_reset_of_some_streams_on_the_public_api_is_refused_before_anything_is_sent(
    airbyte_emulator_factory: Factory,
) -> None:
    """The public API resets whole connections only: the client says so and sends nothing."""
    emu = await airbyte_emulator_factory(airbyte_version="head", connections=1)
    (cid,) = emu.connection_ids
    async with client_for(emu, api="public") as client:
        with pytest.raises(UnsupportedOperationError, match="reset every stream"):
            await client.connections.reset(connection_id=cid, streams=["users"])

    assert sum(emu.stats().requests_by_route.values()) == 0


async def test_a_reset_naming_no_stream_is_refused_before_anything_is_sent(
    airbyte_emulator_factory: Factory,
) -> None:
    """``streams=[]`` would reach Airbyte as every stream: a typed error says to pass None for
    that, and nothing is sent."""
    emu = await airbyte_emulator_factory(airbyte_version="head", connections=1)
    (cid,) = emu.connection_ids
    async with client_for(emu) as client:
        with pytest.raises(InvalidArgumentError, match="streams=None to reset every stream"):
            await client.connections.reset(connection_id=cid, streams=[])

    assert emu.stats().jobs_created == 0
    assert requests_to(emu, ROUTE) == 0
