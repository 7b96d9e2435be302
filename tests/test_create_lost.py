"""A create called alone whose answer is lost: sent once, and its error says what to do."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

import pytest

from airbyte_async import AirbyteClient, NoAuth
from airbyte_async.catalog import select_streams
from airbyte_async.errors import ConnectionLostError
from airbyte_async.testing import Emulator, Fault

pytestmark = pytest.mark.anyio

POSTGRES = "decd338e-5647-4c0b-adf4-da0e75f5a750"
S3 = "4816b78f-1489-44c1-9060-4b19d5fa9362"
ORGANIZATION = "00000000-0000-0000-0000-000000000000"
PG = {
    "host": "db.example.com",
    "port": 5432,
    "database": "shop",
    "username": "reader",
    "password": "pg-secret-value",
}
LAKE = {
    "s3_bucket_name": "lake",
    "s3_bucket_path": "shop",
    "s3_bucket_region": "us-east-1",
    "access_key_id": "key-id",
    "secret_access_key": "s3-secret-value",
    "format": {"format_type": "Parquet"},
}

Create = Callable[[AirbyteClient, str, dict[str, str]], Awaitable[Any]]

#: Each create, the route it is sent to on each API, what its note names, and what it counts.
CREATES: dict[str, tuple[Create, dict[str, str], str, str]] = {
    "source": (
        lambda c, ws, _: c.sources.create(
            workspace_id=ws, name="shop", definition_id=POSTGRES, configuration=PG
        ),
        {"config": "/v1/sources/create", "public": "/public/v1/sources"},
        "the source 'shop' may have been created although its answer was lost, and was not "
        "sent again: look for it (sources.find(workspace_id='{ws}', name='shop')) before "
        "creating it again (ensure looks for it itself)",
        "sources",
    ),
    "destination": (
        lambda c, ws, _: c.destinations.create(
            workspace_id=ws, name="lake", definition_id=S3, configuration=LAKE
        ),
        {"config": "/v1/destinations/create", "public": "/public/v1/destinations"},
        "the destination 'lake' may have been created although its answer was lost, and was "
        "not sent again: look for it (destinations.find(workspace_id='{ws}', name='lake')) "
        "before creating it again (ensure looks for it itself)",
        "destinations",
    ),
    "connection": (
        lambda c, _, ids: c.connections.create(name="shop-to-lake", **ids),
        {"config": "/v1/connections/create", "public": "/public/v1/connections"},
        "the connection 'shop-to-lake' may have been created although its answer was lost, and "
        "was not sent again: look for it (connections.find(workspace_id=<its source's "
        "workspace>, name='shop-to-lake', source_id='{source_id}', destination_id="
        "'{destination_id}')) before creating it again (ensure looks for it itself)",
        "connections",
    ),
    "workspace": (
        lambda c, _, __: c.workspaces.create(name="team", organization_id=ORGANIZATION),
        {"config": "/v1/workspaces/create", "public": "/public/v1/workspaces"},
        "the workspace 'team' may have been created although its answer was lost, and was not "
        "sent again: look for it (workspaces.find(name='team'{where})) before creating it "
        "again (ensure looks for it itself)",
        "workspaces",
    ),
}


def posts(emu: Emulator, route: str) -> list[Any]:
    """The POST requests the emulator received on *route*."""
    return [r for r in emu.requests if r.method == "POST" and r.route == route]


async def count(client: AirbyteClient, kind: str, workspace_id: str) -> int:
    """How many objects of *kind* the server holds (workspaces: the one named team)."""
    if kind == "workspaces":
        return len([w async for w in client.workspaces.list() if w.name == "team"])
    listing = getattr(client, kind).list(workspace_id=workspace_id)
    return len([item async for item in listing])


@pytest.mark.parametrize("api", ["config", "public"])
@pytest.mark.parametrize("kind", sorted(CREATES))
async def test_a_create_whose_answer_is_lost_says_the_object_may_exist_and_how_to_find_it(
    kind: str, api: str
) -> None:
    """The server created the object and the connection dropped before its answer (README,
    "What is retried": never sent again): the error is raised as it is, with a note naming
    the object, saying that nothing was sent again, and giving the call that looks for it,
    so that a caller does not create a second one blindly; no secret in it."""
    create, routes, note, listed = CREATES[kind]
    async with (
        Emulator(airbyte_version="head", record_requests=True) as emu,
        AirbyteClient(emu.url, auth=NoAuth(), env={}, api=api) as client,
    ):
        workspace_id = emu.workspace_ids[0]
        source = await client.sources.create(
            workspace_id=workspace_id, name="db", definition_id=POSTGRES, configuration=PG
        )
        destination = await client.destinations.create(
            workspace_id=workspace_id, name="out", definition_id=S3, configuration=LAKE
        )
        discovered = await client.sources.discover_schema(
            source_id=source.source_id, destination_id=destination.destination_id
        )
        assert discovered.catalog is not None
        ids = {
            "source_id": source.source_id,
            "destination_id": destination.destination_id,
            "sync_catalog": select_streams(discovered.catalog, "customers"),
        }
        before = await count(client, listed, workspace_id)
        sent_before = len(posts(emu, routes[api]))
        emu.set_faults([Fault(kind="reset_after", route=routes[api], method="POST", times=1)])

        with pytest.raises(ConnectionLostError) as raised:
            await create(client, workspace_id, ids)

        emu.set_faults([])
        after = await count(client, listed, workspace_id)
    # On the Config API a find without the organization looks in the default one alone
    # (README, "1.7": no workspaces/list); the public API's looks in every one listed.
    where = f", organization_id='{ORGANIZATION}'" if api == "config" else ""
    expected = note.format(
        ws=workspace_id,
        source_id=source.source_id,
        destination_id=destination.destination_id,
        where=where,
    )
    assert raised.value.__notes__ == [expected]
    assert "secret-value" not in str(raised.value) + expected
    assert len(posts(emu, routes[api])) == sent_before + 1
    assert after == before + 1
