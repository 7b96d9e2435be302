"""client.sources against the emulator: the actor operations, checks and discovery."""

from __future__ import annotations

from typing import Any

import pytest
from resource_support import bodies, sent
from test_resources_destinations import create as create_destination

from airbyte_async import AirbyteClient
from airbyte_async.errors import NotFoundError, UnprocessableEntityError
from airbyte_async.models import DestinationSyncMode, EnsureAction, Source, SyncMode
from airbyte_async.testing import Emulator, Fault
from airbyte_async.testing._versions import since

pytest_plugins = ["resource_fixtures"]
pytestmark = pytest.mark.anyio

CONFIG = {
    "host": "db.example.com",
    "port": 5432,
    "database": "app",
    "username": "airbyte",
    "password": "s3cret-password",
    "ssl_mode": {"mode": "require"},
}


async def create(api: AirbyteClient, workspace_id: str, **config: Any) -> Source:
    """A new Postgres source in the workspace."""
    postgres = await api.source_definitions.find(name="postgres")
    return await api.sources.create(
        workspace_id=workspace_id,
        name="app-db",
        definition_id=postgres.definition_id,
        configuration={**CONFIG, **config},
    )


async def test_create_returns_the_source(api: AirbyteClient, workspace_id: str) -> None:
    """sources/create: the new source with its definition's name."""
    source = await create(api, workspace_id)

    assert (source.name, source.workspace_id, source.definition_name) == (
        "app-db",
        workspace_id,
        "Postgres",
    )


async def test_create_sends_the_configuration_untouched(
    api: AirbyteClient, emu: Emulator, workspace_id: str
) -> None:
    """The configuration goes out exactly as given, under the API's keys."""
    source = await create(api, workspace_id)

    [body] = bodies(emu, "sources/create")
    assert body["connectionConfiguration"] == CONFIG
    assert body["sourceDefinitionId"] == source.definition_id


async def test_secrets_come_back_masked_and_hidden(api: AirbyteClient, workspace_id: str) -> None:
    """The server masks secrets; the repr hides them anyway."""
    source = await create(api, workspace_id)

    assert source.configuration["password"] == "**********"
    assert "s3cret" not in repr(source)


async def test_bad_configuration_is_unprocessable(api: AirbyteClient, workspace_id: str) -> None:
    """A configuration the connector's spec rejects: 422."""
    with pytest.raises(UnprocessableEntityError):
        await create(api, workspace_id, port="not a number")


#: Integers beyond 64 bits, which orjson reads as floats: a Postgres LSN past 2**64, say.
BEYOND_64_BITS = {"start_lsn": 2**64 + 7, "floor": -(2**63) - 1}


async def test_integers_beyond_64_bits_in_a_configuration_read_back_exact(
    api: AirbyteClient, workspace_id: str
) -> None:
    """A configuration holding integers beyond 64 bits is sent and read back exact, so
    ensure with it again finds nothing to update."""
    source = await create(api, workspace_id, **BEYOND_64_BITS)

    read = await api.sources.get(source_id=source.source_id)
    ensured = await api.sources.ensure(
        workspace_id=workspace_id,
        name=source.name,
        definition_id=source.definition_id,
        configuration={**CONFIG, **BEYOND_64_BITS},
    )

    assert {key: read.configuration[key] for key in BEYOND_64_BITS} == BEYOND_64_BITS
    assert all(type(read.configuration[key]) is int for key in BEYOND_64_BITS)
    assert (ensured.action, ensured.changes) == (EnsureAction.UNCHANGED, ())


async def test_a_rename_writes_integers_beyond_64_bits_back_exact(
    api: AirbyteClient, emu: Emulator, workspace_id: str
) -> None:
    """update(name=...) sends the configuration it read back: its integers beyond 64 bits are
    stored as they were, not as floats."""
    source = await create(api, workspace_id, **BEYOND_64_BITS)

    await api.sources.update(source_id=source.source_id, name="renamed")

    stored = emu.stored_configuration(source.source_id)
    assert {key: stored[key] for key in BEYOND_64_BITS} == BEYOND_64_BITS


async def test_get(api: AirbyteClient, workspace_id: str) -> None:
    """sources/get by id."""
    source = await create(api, workspace_id)

    assert await api.sources.get(source_id=source.source_id) == source


async def test_list_returns_every_source(api: AirbyteClient, workspace_id: str) -> None:
    """The workspace's sources, all of them."""
    names = [s.name async for s in api.sources.list(workspace_id=workspace_id)]

    assert names == ["src-00000", "src-00001", "src-00002"]


async def test_list_first_request_is_just_the_workspace(
    api: AirbyteClient, emu: Emulator, workspace_id: str
) -> None:
    """The first page asks with workspaceId only: a body every version accepts."""
    [s async for s in api.sources.list(workspace_id=workspace_id)]

    assert bodies(emu, "sources/list")[0] == {"workspaceId": workspace_id}


@pytest.mark.parametrize("emulator_options", [{"connections": 45}])
async def test_list_follows_the_cursor_from_1_8_on(
    api: AirbyteClient, emu: Emulator, version: str, workspace_id: str
) -> None:
    """2.0 and head page by cursor (the last id; v1.8.0, API-FACTS 2.3); 0.50 and 1.7 answer
    everything at once."""
    sources = [s async for s in api.sources.list(workspace_id=workspace_id)]

    assert len({s.source_id for s in sources}) == 45
    requests = bodies(emu, "sources/list")
    if since(version, "2.0"):
        assert [b.get("cursor") for b in requests] == [
            None,
            sources[19].source_id,
            sources[39].source_id,
        ]
    else:
        assert len(requests) == 1


async def test_update_name_only_keeps_the_configuration(
    api: AirbyteClient, emu: Emulator, workspace_id: str
) -> None:
    """The Config API replaces the whole object: the current configuration is sent back."""
    source = await create(api, workspace_id)

    renamed = await api.sources.update(source_id=source.source_id, name="renamed")

    assert renamed.name == "renamed"
    [body] = bodies(emu, "sources/update")
    assert body == {
        "sourceId": source.source_id,
        "name": "renamed",
        "connectionConfiguration": source.configuration,
    }


async def test_update_with_everything_given_is_one_call(
    api: AirbyteClient, emu: Emulator, workspace_id: str
) -> None:
    """Name and configuration both given: no read first."""
    source = await create(api, workspace_id)
    emu.reset_stats()

    await api.sources.update(source_id=source.source_id, name="n", configuration=CONFIG)

    assert [r.route for r in emu.requests] == ["/v1/sources/update"]


async def test_delete(api: AirbyteClient, workspace_id: str) -> None:
    """A deleted source is no longer listed."""
    source = await create(api, workspace_id)

    await api.sources.delete(source_id=source.source_id)

    listed = [s.source_id async for s in api.sources.list(workspace_id=workspace_id)]
    assert source.source_id not in listed


async def test_get_unknown_is_not_found(api: AirbyteClient) -> None:
    """An unknown source id is a NotFoundError."""
    with pytest.raises(NotFoundError):
        await api.sources.get(source_id="5e5e0000-0000-4000-8000-000000000000")


async def test_check_connection_succeeds(api: AirbyteClient, workspace_id: str) -> None:
    """A reachable configuration passes."""
    source = await create(api, workspace_id)

    result = await api.sources.check_connection(source_id=source.source_id)

    assert result.succeeded


async def test_failed_check_is_a_value(api: AirbyteClient, workspace_id: str) -> None:
    """An unreachable host fails the check, reported as a result with a message."""
    source = await create(api, workspace_id, host="db.nowhere.invalid")

    result = await api.sources.check_connection(source_id=source.source_id)

    assert not result.succeeded
    assert result.message is not None
    assert "db.nowhere.invalid" in result.message


async def test_discover_schema_returns_the_catalog(api: AirbyteClient, workspace_id: str) -> None:
    """Discovery gives the source's streams."""
    source = await create(api, workspace_id)

    schema = await api.sources.discover_schema(source_id=source.source_id)

    assert schema.succeeded
    assert schema.catalog is not None
    assert "orders" in schema.catalog.stream_names


async def test_a_configuration_is_discovered_without_a_source(
    api: AirbyteClient, emu: Emulator, workspace_id: str
) -> None:
    """
    discover_configuration sends a SourceCoreConfig to ``scheduler/sources/discover_schema``
    (API-FACTS 2.7; airbyte-platform ``SchedulerHandler.discoverSchemaForSourceFromSourceCreate``
    runs the discovery and stores no source) and gives the streams that configuration has.
    """
    postgres = await api.source_definitions.find(name="postgres")
    before = [s async for s in api.sources.list(workspace_id=workspace_id)]

    schema = await api.sources.discover_configuration(
        workspace_id=workspace_id, definition_id=postgres.definition_id, configuration=CONFIG
    )

    assert schema.catalog is not None and "orders" in schema.catalog.stream_names
    assert [s async for s in api.sources.list(workspace_id=workspace_id)] == before
    assert bodies(emu, "scheduler/sources/discover_schema") == [
        {
            "workspaceId": workspace_id,
            "sourceDefinitionId": postgres.definition_id,
            "connectionConfiguration": CONFIG,
        }
    ]


async def test_discovery_toward_a_destination_pairs_read_and_write_modes(
    api: AirbyteClient, workspace_id: str
) -> None:
    """With destination_id, each stream's allowed pairs: its read modes with the write modes
    of the destination's definition specification (S3: append and overwrite)."""
    source = await create(api, workspace_id)
    destination = await create_destination(api, workspace_id)

    plain = await api.sources.discover_schema(source_id=source.source_id)
    schema = await api.sources.discover_schema(
        source_id=source.source_id, destination_id=destination.destination_id
    )

    assert plain.sync_modes is None
    assert schema.sync_modes is not None and schema.catalog is not None
    [orders] = [name for name in schema.sync_modes if name.endswith("orders")]
    assert schema.sync_modes[orders] == (
        (SyncMode.FULL_REFRESH, DestinationSyncMode.OVERWRITE),
        (SyncMode.FULL_REFRESH, DestinationSyncMode.APPEND),
        (SyncMode.INCREMENTAL, DestinationSyncMode.APPEND),
    )


async def test_discover_schema_disable_cache_uses_the_snake_case_key(
    api: AirbyteClient, emu: Emulator, workspace_id: str
) -> None:
    """disable_cache is snake_case on the wire; left out when false."""
    source = await create(api, workspace_id)

    await api.sources.discover_schema(source_id=source.source_id)
    await api.sources.discover_schema(source_id=source.source_id, disable_cache=True)

    assert bodies(emu, "sources/discover_schema") == [
        {"sourceId": source.source_id},
        {"sourceId": source.source_id, "disable_cache": True},
    ]


async def test_failed_discovery_is_a_value(api: AirbyteClient, workspace_id: str) -> None:
    """A discovery that fails has no catalog and says why."""
    source = await create(api, workspace_id, host="db.nowhere.invalid")

    schema = await api.sources.discover_schema(source_id=source.source_id)

    assert not schema.succeeded
    assert schema.catalog is None
    assert schema.failure is not None


async def test_get_is_declared_idempotent(
    api: AirbyteClient, emu: Emulator, workspace_id: str
) -> None:
    """A 503 on get is retried (idempotent); the request count shows the retry."""
    source = await create(api, workspace_id)
    emu.set_faults([Fault(kind="error", route="sources/get", status=503, times=1)])

    assert (await api.sources.get(source_id=source.source_id)).source_id == source.source_id
    assert len(sent(emu, "sources/get")) == 2
