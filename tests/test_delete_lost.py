"""A delete whose answer is lost: seen through to its end, never told "not found" for itself."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

import pytest

from airbyte_async import AirbyteClient, NoAuth, RetryBudget, RetryPolicy
from airbyte_async.errors import ConnectionLostError, NotFoundError
from airbyte_async.testing import Emulator, Fault

pytestmark = pytest.mark.anyio

#: The client's timeout in these tests; the late answers come after 1.5 of it.
TIMEOUT = 1.0

Delete = Callable[[AirbyteClient, str], Awaitable[None]]

#: Each kind: its delete, and the route it goes to on each API (a fault's glob, its method).
KINDS: dict[str, tuple[Delete, dict[str, tuple[str, str]]]] = {
    "source": (
        lambda c, i: c.sources.delete(source_id=i),
        {"config": ("sources/delete", "POST"), "public": ("/public/v1/sources/*", "DELETE")},
    ),
    "destination": (
        lambda c, i: c.destinations.delete(destination_id=i),
        {
            "config": ("destinations/delete", "POST"),
            "public": ("/public/v1/destinations/*", "DELETE"),
        },
    ),
    "connection": (
        lambda c, i: c.connections.delete(connection_id=i),
        {
            "config": ("connections/delete", "POST"),
            "public": ("/public/v1/connections/*", "DELETE"),
        },
    ),
}


async def an_id(client: AirbyteClient, kind: str, workspace_id: str) -> str:
    """The id of the one *kind* of the emulator's one connection."""
    [connection] = [c async for c in client.connections.list(workspace_id=workspace_id)]
    return str(getattr(connection, f"{kind}_id"))


async def listed(client: AirbyteClient, kind: str, workspace_id: str) -> set[str]:
    """The ids of the *kind* objects the server lists (deleted ones are not)."""
    items: Any = getattr(client, f"{kind}s").list(workspace_id=workspace_id)
    return {str(getattr(x, f"{kind}_id")) async for x in items}


def sent(emu: Emulator, fault: Fault) -> int:
    """How many requests the emulator received on *fault*'s route and method."""
    return len([r for r in emu.requests if fault.applies_to(r.route, r.method)])


@pytest.mark.parametrize("api", ["config", "public"])
@pytest.mark.parametrize("kind", sorted(KINDS))
@pytest.mark.parametrize(
    "lost",
    [
        pytest.param({"kind": "late", "delay": 1.5 * TIMEOUT}, id="answered-past-the-timeout"),
        pytest.param({"kind": "reset_after"}, id="connection-lost-after"),
        pytest.param({"kind": "proxy_error", "status": 502}, id="gateway-502-not-passed-on"),
    ],
)
async def test_a_delete_whose_answer_is_lost_returns_once_the_object_is_gone(
    kind: str, api: str, lost: dict[str, Any]
) -> None:
    """The server deleted the object and the answer came after the client's timeout (or the
    connection dropped after the server acted, or a proxy's 502 kept the delete from it):
    the delete is sent again (deleting is idempotent in effect: Airbyte tombstones a source or
    destination and marks a connection deprecated, SourceHandler.deleteSource and
    ConnectionHelper.deleteConnection, airbytehq/airbyte-platform 15dd5a93 and 3468d55a; the
    public API answers resource-not-found for one deleted, the Config API 204 again), and the
    call returns once the object is gone, rather than raise the lost answer's error or, as a
    caller who sent it again would get on the public API, "not found" for its own delete."""
    delete, routes = KINDS[kind]
    route, method = routes[api]
    async with (
        Emulator(airbyte_version="head", connections=1, record_requests=True) as emu,
        AirbyteClient(emu.url, auth=NoAuth(), env={}, api=api, timeout=TIMEOUT) as client,
    ):
        workspace_id = emu.workspace_ids[0]
        object_id = await an_id(client, kind, workspace_id)
        fault = Fault(route=route, method=method, times=1, **lost)
        emu.set_faults([fault])

        await delete(client, object_id)

        emu.set_faults([])
        assert object_id not in await listed(client, kind, workspace_id)
        assert sent(emu, fault) == 2


@pytest.mark.parametrize("api", ["config", "public"])
async def test_a_delete_of_an_unknown_object_still_raises_not_found(api: str) -> None:
    """A delete whose one answer says there is no such object (nothing was lost) raises
    NotFoundError as before: only a lost first answer makes "not found" a success."""
    missing = "00000000-0000-4000-8000-000000000042"
    async with (
        Emulator(airbyte_version="head", connections=1, record_requests=True) as emu,
        AirbyteClient(emu.url, auth=NoAuth(), env={}, api=api, timeout=TIMEOUT) as client,
    ):
        with pytest.raises(NotFoundError):
            await client.sources.delete(source_id=missing)


@pytest.mark.parametrize("api", ["config", "public"])
async def test_a_delete_whose_answer_is_lost_is_not_sent_again_under_a_one_attempt_policy(
    api: str,
) -> None:
    """``RetryPolicy(attempts=1)`` sends a call once (README, "How long and how often"): a
    delete whose answer is lost is not sent again either, and its error is raised with a note
    saying the object may have been deleted."""
    delete, routes = KINDS["source"]
    route, method = routes[api]
    async with (
        Emulator(airbyte_version="head", connections=1, record_requests=True) as emu,
        AirbyteClient(
            emu.url, auth=NoAuth(), env={}, api=api, retry=RetryPolicy(attempts=1)
        ) as client,
    ):
        source_id = await an_id(client, "source", emu.workspace_ids[0])
        fault = Fault(kind="reset_after", route=route, method=method, times=1)
        emu.set_faults([fault])

        with pytest.raises(ConnectionLostError) as raised:
            await delete(client, source_id)

    assert sent(emu, fault) == 1
    assert raised.value.__notes__ == [
        f"the source {source_id} may have been deleted although the answer was lost: read it "
        f"(sources.get(source_id='{source_id}')) before deleting it again"
    ]


@pytest.mark.parametrize("api", ["config", "public"])
async def test_a_delete_whose_answer_is_lost_is_not_sent_again_once_the_retry_budget_is_spent(
    api: str,
) -> None:
    """A client whose retry budget is spent (an outage's retries) sends a delete whose answer
    is lost once, as it does any call: the budget bounds the extra load an outage makes."""
    delete, routes = KINDS["destination"]
    route, method = routes[api]
    budget = RetryBudget(capacity=1, refill=0)
    assert budget.try_spend()
    async with (
        Emulator(airbyte_version="head", connections=1, record_requests=True) as emu,
        AirbyteClient(emu.url, auth=NoAuth(), env={}, api=api, retry_budget=budget) as client,
    ):
        destination_id = await an_id(client, "destination", emu.workspace_ids[0])
        fault = Fault(kind="reset_after", route=route, method=method, times=1)
        emu.set_faults([fault])

        with pytest.raises(ConnectionLostError):
            await delete(client, destination_id)

    assert sent(emu, fault) == 1
