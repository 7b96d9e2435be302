"""client.destinations against the emulator: the same actor operations, destination keys."""

from __future__ import annotations

import pytest
from resource_support import bodies

from airbyte_async import AirbyteClient
from airbyte_async.errors import NotFoundError
from airbyte_async.models import Destination
from airbyte_async.testing import Emulator

pytest_plugins = ["resource_fixtures"]
pytestmark = pytest.mark.anyio


async def create(api: AirbyteClient, workspace_id: str, bucket: str = "lake") -> Destination:
    """A new S3 destination in the workspace."""
    s3 = await api.destination_definitions.find(name="s3")
    return await api.destinations.create(
        workspace_id=workspace_id,
        name="lake",
        definition_id=s3.definition_id,
        configuration={
            "s3_bucket_name": bucket,
            "s3_bucket_path": "raw",
            "s3_bucket_region": "eu-west-1",
            "access_key_id": "AKIAEXAMPLE",
            "secret_access_key": "very-secret",
            "format": {"format_type": "JSONL"},
        },
    )


async def test_create_uses_destination_keys(
    api: AirbyteClient, emu: Emulator, workspace_id: str
) -> None:
    """destinations/create is keyed by destinationDefinitionId."""
    destination = await create(api, workspace_id)

    [body] = bodies(emu, "destinations/create")
    assert body["destinationDefinitionId"] == destination.definition_id
    assert destination.definition_name == "S3"


async def test_get(api: AirbyteClient, workspace_id: str) -> None:
    """destinations/get by destinationId."""
    destination = await create(api, workspace_id)

    assert await api.destinations.get(destination_id=destination.destination_id) == destination


async def test_list(api: AirbyteClient, workspace_id: str) -> None:
    """The workspace's destinations."""
    names = [d.name async for d in api.destinations.list(workspace_id=workspace_id)]

    assert names == ["dst-00000", "dst-00001", "dst-00002"]


async def test_update_configuration_only_keeps_the_name(
    api: AirbyteClient, emu: Emulator, workspace_id: str
) -> None:
    """A new configuration without a name: the current name is sent."""
    destination = await create(api, workspace_id)
    config = {**destination.configuration, "s3_bucket_path": "curated"}

    updated = await api.destinations.update(
        destination_id=destination.destination_id, configuration=config
    )

    assert updated.configuration["s3_bucket_path"] == "curated"
    assert bodies(emu, "destinations/update")[0]["name"] == "lake"


async def test_delete(api: AirbyteClient, workspace_id: str) -> None:
    """A deleted destination is no longer listed."""
    destination = await create(api, workspace_id)

    await api.destinations.delete(destination_id=destination.destination_id)

    listed = [d.destination_id async for d in api.destinations.list(workspace_id=workspace_id)]
    assert destination.destination_id not in listed


async def test_get_unknown_is_not_found(api: AirbyteClient) -> None:
    """An unknown destination id is a NotFoundError."""
    with pytest.raises(NotFoundError):
        await api.destinations.get(destination_id="de5e0000-0000-4000-8000-000000000000")


async def test_check_connection(api: AirbyteClient, workspace_id: str) -> None:
    """destinations/check_connection by destinationId."""
    destination = await create(api, workspace_id)

    result = await api.destinations.check_connection(destination_id=destination.destination_id)

    assert result.succeeded
