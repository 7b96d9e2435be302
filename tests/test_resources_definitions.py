"""client.source_definitions and client.destination_definitions against the emulator."""

from __future__ import annotations

import pytest
from resource_support import sent

from airbyte_async import AirbyteClient
from airbyte_async.errors import AmbiguousMatchError, NoMatchError, NotFoundError
from airbyte_async.models import DestinationDefinition, DestinationSyncMode, SourceDefinition
from airbyte_async.testing import Emulator

pytest_plugins = ["resource_fixtures"]
pytestmark = pytest.mark.anyio


async def test_list_is_sent_without_a_body(api: AirbyteClient, emu: Emulator) -> None:
    """source_definitions/list takes no body: the deployment-wide list."""
    names = [d.name async for d in api.source_definitions.list()]

    assert "Postgres" in names
    [request] = sent(emu, "source_definitions/list")
    assert not request.had_body


async def test_destination_list_reads_destination_definitions(api: AirbyteClient) -> None:
    """destination_definitions/list answers under destinationDefinitions, with their ids."""
    definitions = [d async for d in api.destination_definitions.list()]

    assert all(isinstance(d, DestinationDefinition) and d.definition_id for d in definitions)
    assert "S3" in [d.name for d in definitions]


async def test_list_for_workspace_sends_the_workspace(
    api: AirbyteClient, emu: Emulator, workspace_id: str
) -> None:
    """list_for_workspace is the workspace-scoped route with workspaceId."""
    definitions = [
        d async for d in api.source_definitions.list_for_workspace(workspace_id=workspace_id)
    ]

    assert definitions
    assert sent(emu, "source_definitions/list_for_workspace")[0].body == {
        "workspaceId": workspace_id
    }


async def test_get_by_id(api: AirbyteClient) -> None:
    """get returns the definition named by its id."""
    postgres = await api.source_definitions.find(name="Postgres")

    fetched = await api.source_definitions.get(definition_id=postgres.definition_id)

    assert isinstance(fetched, SourceDefinition)
    assert fetched == postgres


async def test_get_unknown_is_not_found(api: AirbyteClient) -> None:
    """An unknown definition id is a NotFoundError."""
    with pytest.raises(NotFoundError):
        await api.destination_definitions.get(definition_id="0d0d0000-0000-4000-8000-000000000000")


async def test_find_is_case_insensitive(api: AirbyteClient) -> None:
    """find('postgres') finds Postgres."""
    assert (await api.source_definitions.find(name="postgres")).name == "Postgres"


async def test_find_prefers_an_exact_name(api: AirbyteClient) -> None:
    """'s3' matches S3 exactly, and S3 Glue only as a substring: S3 wins."""
    assert (await api.destination_definitions.find(name="s3")).name == "S3"


async def test_find_accepts_a_unique_substring(api: AirbyteClient) -> None:
    """A part of one name is enough when no other name contains it."""
    assert (await api.source_definitions.find(name="faker")).name == "Sample Data (Faker)"


async def test_find_several_substring_matches_is_ambiguous(api: AirbyteClient) -> None:
    """Several names containing the text, none equal: AmbiguousMatchError listing them."""
    with pytest.raises(AmbiguousMatchError) as caught:
        await api.destination_definitions.find(name="s")

    assert {"S3", "S3 Glue"} <= set(caught.value.candidates)


async def test_find_nothing_suggests_close_names(api: AirbyteClient) -> None:
    """No match: NoMatchError with the close names as candidates."""
    with pytest.raises(NoMatchError, match="close: Postgres") as caught:
        await api.source_definitions.find(name="Postgress")

    assert caught.value.candidates == ("Postgres", "Stripe")


async def test_find_in_a_workspace_uses_its_list(
    api: AirbyteClient, emu: Emulator, workspace_id: str
) -> None:
    """find(workspace_id=...) searches the workspace's definitions."""
    await api.source_definitions.find(name="mysql", workspace_id=workspace_id)

    assert len(sent(emu, "source_definitions/list_for_workspace")) == 1
    assert sent(emu, "source_definitions/list") == []


async def test_source_specification(api: AirbyteClient, workspace_id: str) -> None:
    """The connector's configuration schema, untouched."""
    postgres = await api.source_definitions.find(name="postgres")

    spec = await api.source_definitions.get_specification(
        definition_id=postgres.definition_id, workspace_id=workspace_id
    )

    assert spec.connection_specification is not None
    assert "host" in spec.connection_specification["properties"]


async def test_a_specification_flags_secrets_a_name_does_not_reveal(
    api: AirbyteClient, workspace_id: str
) -> None:
    """
    Postgres's ``ssl_mode`` options flag ``ca_certificate`` and ``client_certificate``
    ``airbyte_secret`` (airbytehq/airbyte source-postgres ``spec.json``), though neither
    name looks secret; a source read back has them masked.
    """
    postgres = await api.source_definitions.find(name="postgres")
    spec = await api.source_definitions.get_specification(
        definition_id=postgres.definition_id, workspace_id=workspace_id
    )
    configuration = {
        "host": "db",
        "port": 5432,
        "database": "shop",
        "username": "u",
        "ssl_mode": {"mode": "verify-ca", "ca_certificate": "-----BEGIN CERTIFICATE-----"},
    }
    source = await api.sources.create(
        workspace_id=workspace_id,
        name="pg",
        definition_id=postgres.definition_id,
        configuration=configuration,
    )

    assert spec.connection_specification is not None
    options = spec.connection_specification["properties"]["ssl_mode"]["oneOf"]
    verify_ca = next(o for o in options if o["title"] == "verify-ca")["properties"]
    assert verify_ca["ca_certificate"]["airbyte_secret"] is True
    assert verify_ca["client_certificate"]["airbyte_secret"] is True
    assert source.configuration["ssl_mode"]["ca_certificate"] == "**********"


async def test_destination_specification_lists_sync_modes(
    api: AirbyteClient, workspace_id: str
) -> None:
    """Destination specifications say which destination sync modes they support."""
    s3 = await api.destination_definitions.find(name="s3")

    spec = await api.destination_definitions.get_specification(
        definition_id=s3.definition_id, workspace_id=workspace_id
    )

    assert DestinationSyncMode.APPEND in spec.supported_destination_sync_modes
