"""Calls that run a connector (checks, discoveries) wait as long as Airbyte lets them run."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

import pytest

from airbyte_async import AirbyteClient, NoAuth
from airbyte_async.testing import Emulator, Fault

pytestmark = pytest.mark.anyio

#: The client's per-request timeout here; the connector takes 1.5 times as long.
TIMEOUT = 1.0

Run = Callable[[AirbyteClient, Any], Awaitable[object]]

#: Each call that runs a connector: the API, its route (a fault's glob, its method), the call.
CALLS: dict[str, tuple[str, str, str | None, Run]] = {
    "sources.check_connection": (
        "config",
        "sources/check_connection",
        None,
        lambda c, conn: c.sources.check_connection(source_id=conn.source_id),
    ),
    "destinations.check_connection": (
        "config",
        "destinations/check_connection",
        None,
        lambda c, conn: c.destinations.check_connection(destination_id=conn.destination_id),
    ),
    "sources.discover_schema": (
        "config",
        "sources/discover_schema",
        None,
        lambda c, conn: c.sources.discover_schema(source_id=conn.source_id),
    ),
    "public sources.discover_schema": (
        "public",
        "/public/v1/streams",
        "GET",
        lambda c, conn: c.sources.discover_schema(source_id=conn.source_id),
    ),
}


@pytest.mark.parametrize("name", sorted(CALLS))
async def test_a_connector_slower_than_the_timeout_is_waited_for_and_run_once(name: str) -> None:
    """A check or a discovery whose connector takes longer than the client's ``timeout`` (1.5
    times it, every time) returns its result from one request: such a call has
    ``connector_timeout`` (600 s by default) per attempt. Airbyte answers these calls once the
    connector's pod has run, minutes for a large database (a proxy's 60 s read timeout failed
    discoveries: airbytehq/airbyte#19290), and its own public API server gives its Config API
    calls ten minutes (``READ_TIMEOUT:10m``, airbyte-api-server/src/main/resources/
    application.yml, airbytehq/airbyte-platform 190c598e). Before, each attempt was cut at
    ``timeout`` and sent again: five connector runs, then ``RequestTimeoutError``."""
    api, route, method, run = CALLS[name]
    async with (
        Emulator(airbyte_version="head", connections=1, record_requests=True) as emu,
        AirbyteClient(emu.url, auth=NoAuth(), env={}, api=api, timeout=TIMEOUT) as client,
    ):
        connection = await client.connections.get(connection_id=emu.connection_ids[0])
        slow = Fault(kind="latency", route=route, method=method, delay=1.5 * TIMEOUT)
        emu.set_faults([slow])

        answer = await run(client, connection)

        sent = [r for r in emu.requests if slow.applies_to(r.route, r.method)]
    assert answer is not None
    assert len(sent) == 1


@pytest.mark.parametrize("name", sorted(CALLS))
async def test_a_retry_of_a_call_that_runs_a_connector_has_connector_timeout_too(
    name: str,
) -> None:
    """A check or a discovery whose first attempt a proxy failed (a 502, never passed on) is
    retried, and the retry, whose connector takes 1.5 times the client's ``timeout``, has
    ``connector_timeout`` as the first attempt had: two requests and the result, not retries
    cut at ``timeout`` (or at what is left of the policy's total time) until none is left."""
    api, route, method, run = CALLS[name]
    async with (
        Emulator(airbyte_version="head", connections=1, record_requests=True) as emu,
        AirbyteClient(emu.url, auth=NoAuth(), env={}, api=api, timeout=TIMEOUT) as client,
    ):
        connection = await client.connections.get(connection_id=emu.connection_ids[0])
        refused = Fault(kind="proxy_error", route=route, method=method, status=502, times=1)
        slow = Fault(kind="latency", route=route, method=method, delay=1.5 * TIMEOUT)
        emu.set_faults([refused, slow])

        answer = await run(client, connection)

        sent = [r for r in emu.requests if slow.applies_to(r.route, r.method)]
    assert answer is not None
    assert len(sent) == 2
