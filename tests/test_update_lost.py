"""An update whose answer is lost: sent once, and its error says it may have been applied."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

import pytest

from airbyte_async import AirbyteClient, NoAuth
from airbyte_async.errors import ConnectionLostError
from airbyte_async.models import Connection
from airbyte_async.testing import Emulator, Fault

pytestmark = pytest.mark.anyio

Update = Callable[[AirbyteClient, Connection], Awaitable[Any]]
Name = Callable[[AirbyteClient, Connection], Awaitable[str]]

#: Each update: the call, the route it goes to on each API (a fault's glob, its method), the
#: note's object and read, and how to read the name it sets.
UPDATES: dict[str, tuple[Update, dict[str, tuple[str, str]], str, Name]] = {
    "source": (
        lambda c, conn: c.sources.update(source_id=conn.source_id, name="renamed"),
        {"config": ("sources/update", "POST"), "public": ("/public/v1/sources/*", "PATCH")},
        "the source {source_id} may have been updated although the answer was lost, and the "
        "update was not sent again: read it (sources.get(source_id='{source_id}')) before "
        "updating it again",
        lambda c, conn: _name(c.sources.get(source_id=conn.source_id)),
    ),
    "connection": (
        lambda c, conn: c.connections.update(connection_id=conn.connection_id, name="renamed"),
        {
            "config": ("connections/update", "POST"),
            "public": ("/public/v1/connections/*", "PATCH"),
        },
        "the connection {connection_id} may have been updated although the answer was lost, "
        "and the update was not sent again: read it (connections.get(connection_id="
        "'{connection_id}')) before updating it again",
        lambda c, conn: _name(c.connections.get(connection_id=conn.connection_id)),
    ),
}


async def _name(read: Awaitable[Any]) -> str:
    return str((await read).name)


@pytest.mark.parametrize("api", ["config", "public"])
@pytest.mark.parametrize("kind", sorted(UPDATES))
async def test_an_update_whose_answer_is_lost_says_it_may_have_been_applied(
    kind: str, api: str
) -> None:
    """The server applied the update and the connection dropped before its answer (README,
    "What is retried": an update is not sent again, a replay would undo a change made
    meanwhile): the error is raised with a note naming the object, saying the update may
    have been applied and was not sent again, and giving the call that reads it."""
    update, routes, note, name = UPDATES[kind]
    route, method = routes[api]
    async with (
        Emulator(airbyte_version="head", connections=1, record_requests=True) as emu,
        AirbyteClient(emu.url, auth=NoAuth(), env={}, api=api) as client,
    ):
        connection = await client.connections.get(connection_id=emu.connection_ids[0])
        fault = Fault(kind="reset_after", route=route, method=method, times=1)
        emu.set_faults([fault])

        with pytest.raises(ConnectionLostError) as raised:
            await update(client, connection)

        emu.set_faults([])
        now = await name(client, connection)
        sent = [r for r in emu.requests if fault.applies_to(r.route, r.method)]
    expected = note.format(source_id=connection.source_id, connection_id=connection.connection_id)
    assert raised.value.__notes__ == [expected]
    assert (now, len(sent)) == ("renamed", 1)
