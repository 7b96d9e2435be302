"""
A reset of a connection whose catalog selects no stream: Airbyte has nothing to reset and
starts a sync instead; the client refuses such a reset before sending anything.

``SchedulerHandler.resetConnection`` resets ``connectionService.getAllStreamsForConnection``,
the stored catalog's streams (only the selected ones are stored, API-FACTS 2.5), through
``TemporalClient.resetConnection``, which stores them as stream resets and signals the
connection's workflow. The workflow's new job is made by ``SchedulerHandler.createJob``: a
reset when stream resets are stored, else a refresh when refreshes are, else a sync
(airbytehq/airbyte-platform ``SchedulerHandler.kt`` at ``1aacafa9``; the workflow's
``JobCreationAndStatusUpdateActivityImpl.createNewJob`` calls it, ``.kt`` at ``127181af``;
0.x's Java ``createNewJob`` makes the same choice itself, ``jobFactory.create`` for a sync).
``connections/reset/stream`` resets the streams named without checking them against the
catalog (``submitResetConnectionStreamsToWorker``; none named: every stream).
"""

from __future__ import annotations

from typing import Any

import aiohttp
import emulator_support
import pytest
from client_support import client_for, requests_to
from emulator_support import call

from airbyte_async.errors import InvalidArgumentError
from airbyte_async.testing import Emulator, pytest_plugin

pytestmark = pytest.mark.anyio

airbyte_emulator_factory = pytest_plugin.airbyte_emulator_factory
Factory = pytest_plugin.EmulatorFactory
http = emulator_support.http


async def _streamless(http: aiohttp.ClientSession, emu: Emulator) -> str:
    """A new active connection between the seeded connection's source and destination, made
    without a catalog: Airbyte stores it with an empty one (API-FACTS 2.5)."""
    seeded = await call(http, emu, "connections/get", {"connectionId": emu.connection_ids[0]})
    body = {
        "sourceId": seeded.json["sourceId"],
        "destinationId": seeded.json["destinationId"],
        "status": "active",
    }
    made = await call(http, emu, "connections/create", body)
    assert made.status == 200, made.text
    assert made.json["syncCatalog"]["streams"] == []
    connection_id: str = made.json["connectionId"]
    return connection_id


async def _reset(
    http: aiohttp.ClientSession, emu: Emulator, route: str, body: dict[str, Any]
) -> dict[str, Any]:
    answer = await call(http, emu, route, body)
    assert answer.status == 200, answer.text
    job: dict[str, Any] = answer.json["job"]
    return job


@pytest.mark.parametrize("version", ["0.40", "0.50", "1.7", "head"])
async def test_a_reset_of_a_connection_that_selects_no_stream_starts_a_sync(
    airbyte_emulator_factory: Factory, http: aiohttp.ClientSession, version: str
) -> None:
    """connections/reset of a connection with no stream to reset answers with a sync job
    (``SchedulerHandler.createJob``: no stream resets stored, so a sync)."""
    emu = await airbyte_emulator_factory(airbyte_version=version, connections=1)
    cid = await _streamless(http, emu)

    job = await _reset(http, emu, "connections/reset", {"connectionId": cid})

    assert (job["configType"], job["configId"]) == ("sync", cid)
    assert emu.stats().jobs_by_connection[cid] == [job["id"]]


async def test_a_reset_of_all_streams_by_stream_route_starts_a_sync_too(
    airbyte_emulator_factory: Factory, http: aiohttp.ClientSession
) -> None:
    """connections/reset/stream naming no stream resets every stream, none here: a sync job."""
    emu = await airbyte_emulator_factory(airbyte_version="head", connections=1)
    cid = await _streamless(http, emu)

    job = await _reset(http, emu, "connections/reset/stream", {"connectionId": cid, "streams": []})

    assert job["configType"] == "sync"


async def test_a_reset_naming_streams_resets_them_whatever_the_catalog_selects(
    airbyte_emulator_factory: Factory, http: aiohttp.ClientSession
) -> None:
    """connections/reset/stream naming a stream makes a reset job of that stream, even for a
    connection whose catalog selects none (the streams named are not checked)."""
    emu = await airbyte_emulator_factory(airbyte_version="head", connections=1)
    cid = await _streamless(http, emu)
    body = {"connectionId": cid, "streams": [{"streamName": "users", "streamNamespace": "shop"}]}

    job = await _reset(http, emu, "connections/reset/stream", body)

    assert job["configType"] == "reset_connection"
    assert job["resetConfig"]["streamsToReset"] == [{"name": "users", "namespace": "shop"}]


@pytest.mark.parametrize("api", ["config", "public"])
async def test_the_client_refuses_a_reset_with_no_stream_to_reset_and_sends_none(
    airbyte_emulator_factory: Factory, http: aiohttp.ClientSession, api: str
) -> None:
    """connections.reset of a connection whose catalog selects no stream raises
    InvalidArgumentError naming the connection and why, and sends no reset: Airbyte would
    start a sync of it instead (and a reset whose answer was lost would look for a reset job
    that never comes, then send the reset again)."""
    emu = await airbyte_emulator_factory(airbyte_version="head", connections=1)
    cid = await _streamless(http, emu)

    async with client_for(emu, api=api) as client:
        with pytest.raises(InvalidArgumentError) as caught:
            await client.connections.reset(connection_id=cid)

    assert cid in str(caught.value)
    assert "selects no stream" in str(caught.value)
    assert requests_to(emu, "connections/reset") == 0
    assert emu.stats().jobs_by_connection.get(cid, []) == []
