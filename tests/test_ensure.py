"""ensure for sources, destinations and connections: created, updated or unchanged, and why."""

from __future__ import annotations

from functools import partial
from typing import Any

import attrs
import pytest
from client_support import catalogs_asked
from resource_support import bodies, sent

from airbyte_async import AirbyteClient, NoAuth
from airbyte_async._diff import ABSENT, Difference, json_differences
from airbyte_async.catalog import StreamSelection, select_streams
from airbyte_async.errors import (
    AmbiguousMatchError,
    InvalidArgumentError,
    NoMatchError,
    ServerError,
)
from airbyte_async.models import (
    BasicSchedule,
    Catalog,
    ConnectionSettings,
    ConnectionSettingsArgs,
    ConnectionStatus,
    CronSchedule,
    DestinationSyncMode,
    EnsureAction,
    ScheduleData,
    ScheduleType,
    SyncMode,
    TimeUnit,
)
from airbyte_async.testing import Emulator

pytest_plugins = ["resource_fixtures"]
pytestmark = pytest.mark.anyio

PG = {
    "host": "db.example.com",
    "port": 5432,
    "database": "shop",
    "username": "reader",
    "password": "first-password",
    "ssl_mode": {"mode": "require"},
}
S3 = {
    "s3_bucket_name": "lake",
    "s3_bucket_path": "shop",
    "s3_bucket_region": "us-east-1",
    "s3_endpoint": "http://minio:9000",
    "access_key_id": "key-id",
    "secret_access_key": "secret-key",
    "format": {"format_type": "Parquet"},
}
EVERY_6_HOURS = ScheduleData(basic_schedule=BasicSchedule(time_unit=TimeUnit.HOURS, units=6))


@pytest.fixture
def emulator_options() -> dict[str, Any]:
    """An emulator without pre-loaded connections."""
    return {}


async def ensure_source(api: AirbyteClient, workspace_id: str, **config: Any) -> Any:
    """ensure a Postgres source named shop-db with PG updated by *config*."""
    postgres = await api.source_definitions.find(name="Postgres")
    return await api.sources.ensure(
        workspace_id=workspace_id,
        name="shop-db",
        definition_id=postgres.definition_id,
        configuration={**PG, **config},
    )


async def ensure_destination(api: AirbyteClient, workspace_id: str, **config: Any) -> Any:
    """ensure an S3 destination named lake with S3 updated by *config*."""
    s3 = await api.destination_definitions.find(name="S3")
    return await api.destinations.ensure(
        workspace_id=workspace_id,
        name="lake",
        definition_id=s3.definition_id,
        configuration={**S3, **config},
    )


# -- the comparison, without a server ---------------------------------------------------------


@pytest.mark.parametrize(
    ("wanted", "current", "paths"),
    [
        ({"a": 1}, {"a": 1}, []),
        ({"password": "new"}, {"password": "**********"}, []),
        ({"a": {"b": "x"}}, {"a": {"b": "**********"}}, []),
        ({"a": 1}, {"a": 2}, ["c.a"]),
        ({"a": True}, {"a": 1}, ["c.a"]),
        ({"a": 1}, {"a": 1.0}, []),
        ({"a": 1}, {}, ["c.a"]),
        ({}, {"a": "**********"}, ["c.a"]),
        ({}, {"a": 1}, ["c.a"]),
        ({"a": [1, 2]}, {"a": [1, 3]}, ["c.a[1]"]),
        ({"a": [1, 2]}, {"a": [1]}, ["c.a"]),
        ({"a": {"b": 1}}, {"a": "x"}, ["c.a"]),
    ],
)
def test_json_differences(wanted: Any, current: Any, paths: list[str]) -> None:
    """Leaf paths of what differs; masked values on either side count as equal."""
    assert [d.path for d in json_differences(wanted, current, "c")] == paths


def test_a_missing_key_differs_from_absent() -> None:
    """A key only one side has is reported with ABSENT on the other."""
    assert list(json_differences({"a": 1}, {}, "c")) == [Difference("c.a", ABSENT, 1)]


# -- sources and destinations -----------------------------------------------------------------


async def test_a_missing_source_is_created(api: AirbyteClient, workspace_id: str) -> None:
    """No source has the name: it is created."""
    ensured = await ensure_source(api, workspace_id)

    assert ensured.action is EnsureAction.CREATED
    assert ensured.value.name == "shop-db"
    assert [s.name async for s in api.sources.list(workspace_id=workspace_id)] == ["shop-db"]


async def test_a_source_whose_create_answer_was_lost_is_found_not_created_again(
    api: AirbyteClient, emu: Emulator, workspace_id: str
) -> None:
    """The create is done and its answer lost (the connection reset after the server acted):
    the source is looked for by its name and found, not created again."""
    emu.set_faults([{"kind": "reset_after", "route": "sources/create", "times": 1}])

    ensured = await ensure_source(api, workspace_id)

    assert ensured.action is EnsureAction.CREATED
    assert [s.name async for s in api.sources.list(workspace_id=workspace_id)] == ["shop-db"]
    assert len(sent(emu, "sources/create")) == 1


async def test_a_source_the_server_creates_after_the_client_gave_up_is_found(
    emu: Emulator, workspace_id: str
) -> None:
    """The server creates the source two seconds on, the client's timeout a second: the
    source is looked for again (the answer came from no server: it may still be at it) until
    it is there, and none is created again."""
    emu.set_faults([{"kind": "latency", "route": "sources/create", "delay": 2.0, "times": 1}])
    async with AirbyteClient(emu.url, auth=NoAuth(), env={}, timeout=1.0) as api:
        ensured = await ensure_source(api, workspace_id)
        listed = [s async for s in api.sources.list(workspace_id=workspace_id)]

    assert ensured.action is EnsureAction.CREATED
    assert [s.source_id for s in listed] == [ensured.value.source_id]
    assert len(sent(emu, "sources/create")) == 1


async def test_a_create_airbyte_answered_with_a_500_is_looked_for_once_then_raised(
    api: AirbyteClient, emu: Emulator, workspace_id: str
) -> None:
    """Airbyte's own 500 leaves open whether the source was written, but the server is done
    with the request: one look by name, and nothing there, the error is raised saying so."""
    emu.set_faults([{"kind": "error", "status": 500, "route": "sources/create", "times": 1}])

    with pytest.raises(ServerError) as raised:
        await ensure_source(api, workspace_id)

    assert raised.value.__notes__ == [
        "source 'shop-db' may have been created (the answer was lost) but was not found by its "
        "name: look for it before creating it again"
    ]
    assert len(sent(emu, "sources/create")) == 1
    assert [s async for s in api.sources.list(workspace_id=workspace_id)] == []


async def test_an_equal_source_is_left_alone(
    api: AirbyteClient, emu: Emulator, workspace_id: str
) -> None:
    """Ensured twice with the same configuration: unchanged, no update sent."""
    first = await ensure_source(api, workspace_id)

    again = await ensure_source(api, workspace_id)

    assert (again.action, again.changes, again.changed) == (EnsureAction.UNCHANGED, (), False)
    assert again.value.source_id == first.value.source_id
    assert bodies(emu, "sources/update") == []


async def test_a_masked_secret_is_not_rewritten_but_named_uncompared(
    api: AirbyteClient, emu: Emulator, workspace_id: str
) -> None:
    """
    The server shows the password masked (API-FACTS §0): ensured again with another password,
    the source is unchanged and nothing is sent, but the result names the password as a
    secret value it could not compare, in apply's words.
    """
    await ensure_source(api, workspace_id)

    again = await ensure_source(api, workspace_id, password="another-password")

    assert (again.action, again.changes) == (EnsureAction.UNCHANGED, ())
    assert (again.uncompared, again.secrets_unsent) == (("configuration.password",), 1)
    assert again.secrets_note() == (
        "secret values not compared, the server masks them: configuration.password"
    )
    assert bodies(emu, "sources/update") == []


async def test_send_secrets_writes_a_rotated_password(
    api: AirbyteClient, emu: Emulator, workspace_id: str
) -> None:
    """
    send_secrets=True: a source whose only secret the server masks is updated with the
    configuration as given, so a rotated password reaches the server's store, and the result
    says the secret was sent.
    """
    first = await ensure_source(api, workspace_id)
    postgres = await api.source_definitions.find(name="Postgres")

    again = await api.sources.ensure(
        workspace_id=workspace_id,
        name="shop-db",
        definition_id=postgres.definition_id,
        configuration={**PG, "password": "rotated-password"},
        send_secrets=True,
    )

    assert (again.action, again.changes) == (EnsureAction.UPDATED, ())
    assert (again.uncompared, again.secrets_unsent) == (("configuration.password",), 0)
    assert again.secrets_note().startswith("secret values sent: the server masks them")
    assert emu.stored_configuration(first.value.source_id)["password"] == "rotated-password"
    assert "rotated-password" not in repr(again)


async def test_send_secrets_leaves_alone_what_has_no_secret_to_send(
    api: AirbyteClient, emu: Emulator, workspace_id: str
) -> None:
    """send_secrets=True with a configuration that holds no secret: unchanged, nothing sent."""
    postgres = await api.source_definitions.find(name="Postgres")
    no_password = {k: v for k, v in PG.items() if k != "password"}
    ensured = [
        await api.sources.ensure(
            workspace_id=workspace_id,
            name="shop-db",
            definition_id=postgres.definition_id,
            configuration=no_password,
            send_secrets=True,
        )
        for _ in range(2)
    ]

    assert [e.action for e in ensured] == [EnsureAction.CREATED, EnsureAction.UNCHANGED]
    assert ensured[1].uncompared == ()
    assert bodies(emu, "sources/update") == []


async def test_an_update_for_another_change_sends_the_secrets_as_given(
    api: AirbyteClient, emu: Emulator, workspace_id: str
) -> None:
    """
    A destination updated for its changed bucket path is sent whole, its rotated key as
    given: the result names the secret values it could not compare, as sent.
    """
    first = await ensure_destination(api, workspace_id)

    again = await ensure_destination(
        api, workspace_id, s3_bucket_path="orders", secret_access_key="rotated-key"
    )

    assert (again.action, again.changes) == (
        EnsureAction.UPDATED,
        ("configuration.s3_bucket_path",),
    )
    assert again.uncompared == (
        "configuration.access_key_id",
        "configuration.secret_access_key",
    )
    assert again.secrets_unsent == 0
    stored = emu.stored_configuration(first.value.destination_id)
    assert stored["secret_access_key"] == "rotated-key"


async def test_ensure_shows_no_value_of_a_field_the_specification_flags_secret(
    api: AirbyteClient, workspace_id: str
) -> None:
    """
    ensure needs no specification to hide a flagged field whose name looks like no secret
    (Postgres's ``ssl_mode.ca_certificate``): its result is the server's answer, which masks
    it (API-FACTS: secrets come back as ``"**********"``), and its changes are paths only.
    """
    certificate = "-----BEGIN CERTIFICATE-----MIIDdzCCAl+gAwIBAgIE"
    verify_ca = {"mode": "verify-ca", "ca_certificate": certificate}

    created = await ensure_source(api, workspace_id, ssl_mode=verify_ca)
    updated = await ensure_source(api, workspace_id, ssl_mode=verify_ca, port=6432)

    assert updated.changes == ("configuration.port",)
    for ensured in (created, updated):
        assert ensured.value.configuration["ssl_mode"]["ca_certificate"] == "**********"
        assert certificate not in repr(ensured)


async def test_a_changed_value_is_updated(
    api: AirbyteClient, emu: Emulator, workspace_id: str
) -> None:
    """A changed port: updated, the change named, the whole configuration sent."""
    first = await ensure_source(api, workspace_id)

    again = await ensure_source(api, workspace_id, port=6432)

    assert (again.action, again.changes) == (EnsureAction.UPDATED, ("configuration.port",))
    assert again.value.source_id == first.value.source_id
    assert again.value.configuration["port"] == 6432
    [body] = bodies(emu, "sources/update")
    assert body["connectionConfiguration"] == {**PG, "port": 6432}


async def test_a_structure_change_is_updated(api: AirbyteClient, workspace_id: str) -> None:
    """A nested value replaced and a key dropped are both changes."""
    await ensure_destination(api, workspace_id)
    wanted = {k: v for k, v in S3.items() if k != "s3_endpoint"}
    wanted["format"] = {"format_type": "JSONL"}
    s3 = await api.destination_definitions.find(name="S3")

    again = await api.destinations.ensure(
        workspace_id=workspace_id, name="lake", definition_id=s3.definition_id, configuration=wanted
    )

    assert again.action is EnsureAction.UPDATED
    assert set(again.changes) == {"configuration.format.format_type", "configuration.s3_endpoint"}
    assert again.value.configuration["format"] == {"format_type": "JSONL"}


async def test_a_destination_is_created_then_unchanged(
    api: AirbyteClient, workspace_id: str
) -> None:
    """Destinations follow the same rules: created, then unchanged despite masked keys."""
    first = await ensure_destination(api, workspace_id)
    again = await ensure_destination(api, workspace_id)

    assert (first.action, again.action) == (EnsureAction.CREATED, EnsureAction.UNCHANGED)
    assert again.value.configuration["secret_access_key"] == "**********"


async def test_several_sources_with_the_name_are_ambiguous(
    api: AirbyteClient, workspace_id: str
) -> None:
    """Two sources share the name: AmbiguousMatchError naming both ids, nothing changed."""
    postgres = await api.source_definitions.find(name="Postgres")
    ids = [
        (
            await api.sources.create(
                workspace_id=workspace_id,
                name="shop-db",
                definition_id=postgres.definition_id,
                configuration=PG,
            )
        ).source_id
        for _ in range(2)
    ]

    with pytest.raises(AmbiguousMatchError) as caught:
        await ensure_source(api, workspace_id, port=1)

    assert sorted(caught.value.candidates) == sorted(ids)
    assert "2 sources are named 'shop-db'" in str(caught.value)


async def test_another_definition_under_the_name_is_refused(
    api: AirbyteClient, workspace_id: str
) -> None:
    """A source of another connector holds the name: InvalidArgumentError, nothing changed."""
    await ensure_source(api, workspace_id)
    mysql = await api.source_definitions.find(name="MySQL")

    with pytest.raises(InvalidArgumentError, match="cannot change"):
        await api.sources.ensure(
            workspace_id=workspace_id,
            name="shop-db",
            definition_id=mysql.definition_id,
            configuration=PG,
        )


async def test_find_returns_the_one_with_the_name(api: AirbyteClient, workspace_id: str) -> None:
    """find: the source whose name is exactly the one given."""
    ensured = await ensure_source(api, workspace_id)

    found = await api.sources.find(workspace_id=workspace_id, name="shop-db")

    assert found.source_id == ensured.value.source_id


async def test_find_without_a_match_raises(api: AirbyteClient, workspace_id: str) -> None:
    """find: NoMatchError when no destination has the name (names match exactly)."""
    await ensure_destination(api, workspace_id)

    with pytest.raises(NoMatchError, match="no destination named 'Lake'"):
        await api.destinations.find(workspace_id=workspace_id, name="Lake")


# -- connections ------------------------------------------------------------------------------


async def pipeline(api: AirbyteClient, workspace_id: str) -> tuple[str, str, Catalog]:
    """A source and a destination, and the source's discovered catalog."""
    source = (await ensure_source(api, workspace_id)).value
    destination = (await ensure_destination(api, workspace_id)).value
    schema = await api.sources.discover_schema(source_id=source.source_id)
    assert schema.catalog is not None
    return source.source_id, destination.destination_id, schema.catalog


def incremental(catalog: Catalog, *names: str, mode: SyncMode = SyncMode.INCREMENTAL) -> Catalog:
    """*catalog* with *names* selected, incremental on updated_at, appended."""
    return select_streams(
        catalog,
        *(
            StreamSelection(
                name,
                sync_mode=mode,
                cursor_field=("updated_at",),
                destination_sync_mode=DestinationSyncMode.APPEND,
            )
            for name in names
        ),
    )


async def ensure_connection(
    api: AirbyteClient, workspace_id: str, source_id: str, destination_id: str, **settings: Any
) -> Any:
    """ensure the connection shop-to-lake with *settings*."""
    return await api.connections.ensure(
        workspace_id=workspace_id,
        source_id=source_id,
        destination_id=destination_id,
        name="shop-to-lake",
        **settings,
    )


async def test_a_missing_connection_is_created(api: AirbyteClient, workspace_id: str) -> None:
    """No connection has the name: created with the catalog and schedule, active."""
    source_id, destination_id, catalog = await pipeline(api, workspace_id)

    ensured = await ensure_connection(
        api,
        workspace_id,
        source_id,
        destination_id,
        sync_catalog=incremental(catalog, "customers", "orders"),
        schedule_type=ScheduleType.BASIC,
        schedule_data=EVERY_6_HOURS,
    )

    assert ensured.action is EnsureAction.CREATED
    assert ensured.value.status == "active"
    assert ensured.value.schedule_description == "every 6 hours"
    selected = [s.stream.name for s in ensured.value.sync_catalog.selected]
    assert sorted(selected) == ["customers", "orders"]


async def test_a_connection_whose_create_answer_was_lost_is_found_not_created_again(
    api: AirbyteClient, emu: Emulator, workspace_id: str
) -> None:
    """The connection's create is done and its answer lost: it is found by its name, source
    and destination, not created again."""
    source_id, destination_id, _ = await pipeline(api, workspace_id)
    emu.set_faults([{"kind": "reset_after", "route": "connections/create", "times": 1}])

    ensured = await ensure_connection(api, workspace_id, source_id, destination_id)

    assert ensured.action is EnsureAction.CREATED
    listed = [c async for c in api.connections.list(workspace_id=workspace_id)]
    assert [c.connection_id for c in listed] == [ensured.value.connection_id]
    assert len(sent(emu, "connections/create")) == 1


@pytest.mark.parametrize("kind", ["source", "connection"])
async def test_a_name_the_public_api_does_not_list_is_listed_for_again_before_creating(
    kind: str,
) -> None:
    """The public API's listings page without an order, so another client's delete can shift
    an object past the page being read: a name not found is listed for once more before it
    is created."""
    async with (
        Emulator(airbyte_version="head", record_requests=True) as emu,
        AirbyteClient(emu.url, auth=NoAuth(), env={}) as config,
        AirbyteClient(emu.url, auth=NoAuth(), env={}, api="public") as public,
    ):
        wid = emu.workspace_ids[0]
        if kind == "source":
            postgres = await config.source_definitions.find(name="Postgres")
            await public.sources.ensure(
                workspace_id=wid, name="db", definition_id=postgres.definition_id, configuration=PG
            )
        else:
            source_id, destination_id, _ = await pipeline(config, wid)
            await ensure_connection(public, wid, source_id, destination_id)
        listings = [r for r in emu.requests if r.method == "GET" and r.route.endswith(f"/{kind}s")]

    assert len(listings) == 2


@pytest.mark.parametrize("api_name", ["config", "public"])
async def test_a_connection_whose_source_is_in_another_workspace_is_refused_before_creating(
    api_name: str,
) -> None:
    """ensure looks for the connection in *workspace_id*, and Airbyte files a new one in its
    source's workspace (``ConnectionsHandler.createConnection`` takes no workspace): when the
    two differ, each call would create one more, so none is created and the error names both."""
    async with (
        Emulator(airbyte_version="head", workspaces=2, connections=0) as emu,
        AirbyteClient(emu.url, env={}) as setup,
        AirbyteClient(emu.url, api=api_name, env={}) as client,
    ):
        home, other = emu.workspace_ids
        source_id, destination_id, _ = await pipeline(setup, home)
        with pytest.raises(InvalidArgumentError, match=f"is in workspace {home}, not {other}"):
            await ensure_connection(client, other, source_id, destination_id)
        assert emu.stats().jobs_created == 0
        listed = [c async for c in client.connections.list(workspace_id=home)]

    assert listed == []


@pytest.mark.parametrize("api_name", ["config", "public"])
async def test_ids_given_in_upper_case_are_the_ids_the_server_names_in_lower_case(
    api_name: str,
) -> None:
    """
    ensure given a workspace, definition, source and destination id in upper case (taken by
    the id checks, and parsed by Airbyte as the UUIDs they spell: ``UUIDDeserializer``,
    ``UUID.fromString``) finds what their lower-case forms name: the source is left alone, not
    refused for "another" definition nor created twice, and the connection is created in the
    workspace, not refused as filed in "another", then found.
    """
    async with (
        Emulator(airbyte_version="head", connections=0) as emu,
        AirbyteClient(emu.url, auth=NoAuth(), env={}) as setup,
        AirbyteClient(emu.url, auth=NoAuth(), env={}, api=api_name) as client,
    ):
        wid = emu.workspace_ids[0]
        source_id, destination_id, _ = await pipeline(setup, wid)
        postgres = await setup.source_definitions.find(name="Postgres")
        source = await client.sources.ensure(
            workspace_id=wid.upper(),
            name="shop-db",
            definition_id=postgres.definition_id.upper(),
            configuration=PG,
        )
        ends = (wid.upper(), source_id.upper(), destination_id.upper())
        created = await ensure_connection(client, *ends)
        again = await ensure_connection(client, *ends)
        sources = [s async for s in client.sources.list(workspace_id=wid.upper())]

    assert source.action is EnsureAction.UNCHANGED
    assert (created.action, again.action) == (EnsureAction.CREATED, EnsureAction.UNCHANGED)
    assert created.value.workspace_id == wid
    assert again.value.connection_id == created.value.connection_id
    assert [s.source_id for s in sources] == [source_id]


async def test_an_equal_connection_is_left_alone(
    api: AirbyteClient, emu: Emulator, workspace_id: str
) -> None:
    """The same settings again: unchanged, no update sent, even with a fresh discovery."""
    source_id, destination_id, catalog = await pipeline(api, workspace_id)
    settings = {"sync_catalog": incremental(catalog, "orders"), "schedule_data": EVERY_6_HOURS}
    await ensure_connection(api, workspace_id, source_id, destination_id, **settings)
    rediscovered = await api.sources.discover_schema(source_id=source_id, disable_cache=True)
    assert rediscovered.catalog is not None

    again = await ensure_connection(
        api,
        workspace_id,
        source_id,
        destination_id,
        sync_catalog=incremental(rediscovered.catalog, "orders"),
        schedule_data=EVERY_6_HOURS,
    )

    assert again.action is EnsureAction.UNCHANGED
    assert bodies(emu, "connections/update") == []


async def test_a_changed_schedule_sends_only_the_schedule(
    api: AirbyteClient, emu: Emulator, workspace_id: str
) -> None:
    """Only the schedule differs: the update carries the schedule and nothing else."""
    source_id, destination_id, catalog = await pipeline(api, workspace_id)
    await ensure_connection(
        api, workspace_id, source_id, destination_id, sync_catalog=incremental(catalog, "orders")
    )

    again = await ensure_connection(
        api,
        workspace_id,
        source_id,
        destination_id,
        sync_catalog=incremental(catalog, "orders"),
        schedule_type=ScheduleType.CRON,
        schedule_data=ScheduleData(
            cron=CronSchedule(cron_expression="0 0 3 * * ?", cron_time_zone="UTC")
        ),
    )

    assert (again.action, again.changes) == (EnsureAction.UPDATED, ("schedule",))
    [body] = bodies(emu, "connections/update")
    assert set(body) == {"connectionId", "scheduleType", "scheduleData"}
    assert again.value.schedule_description == "cron 0 0 3 * * ? (UTC)"


async def test_changed_streams_update_the_catalog(api: AirbyteClient, workspace_id: str) -> None:
    """A stream added and another's sync mode changed: both named, the catalog replaced."""
    source_id, destination_id, catalog = await pipeline(api, workspace_id)
    await ensure_connection(
        api, workspace_id, source_id, destination_id, sync_catalog=incremental(catalog, "orders")
    )
    wanted = select_streams(
        catalog,
        StreamSelection("orders", sync_mode=SyncMode.FULL_REFRESH),
        StreamSelection("customers"),
    )

    again = await ensure_connection(
        api, workspace_id, source_id, destination_id, sync_catalog=wanted
    )

    assert again.action is EnsureAction.UPDATED
    assert again.changes == (
        "streams[public.customers]",
        "streams[public.orders].sync_mode",
        "streams[public.orders].destination_sync_mode",
    )
    assert {s.stream.name for s in again.value.sync_catalog.selected} == {"customers", "orders"}


async def test_a_changed_status_is_updated(api: AirbyteClient, workspace_id: str) -> None:
    """status given and different: updated; status left out: not compared."""
    source_id, destination_id, _ = await pipeline(api, workspace_id)
    await ensure_connection(api, workspace_id, source_id, destination_id)

    paused = await ensure_connection(
        api, workspace_id, source_id, destination_id, status=ConnectionStatus.INACTIVE
    )
    untouched = await ensure_connection(api, workspace_id, source_id, destination_id)

    assert (paused.action, paused.changes) == (EnsureAction.UPDATED, ("status",))
    assert untouched.action is EnsureAction.UNCHANGED
    assert untouched.value.status == "inactive"


async def test_the_name_between_other_ends_is_another_connection(
    api: AirbyteClient, workspace_id: str
) -> None:
    """Same name, another destination: not a match, so a second connection is created."""
    source_id, destination_id, _ = await pipeline(api, workspace_id)
    first = await ensure_connection(api, workspace_id, source_id, destination_id)
    postgres = await api.destination_definitions.find(name="Postgres")
    other = await api.destinations.create(
        workspace_id=workspace_id,
        name="warehouse",
        definition_id=postgres.definition_id,
        configuration={k: v for k, v in PG.items() if k != "ssl_mode"} | {"schema": "public"},
    )

    second = await ensure_connection(api, workspace_id, source_id, other.destination_id)

    assert second.action is EnsureAction.CREATED
    assert second.value.connection_id != first.value.connection_id


async def test_several_matching_connections_are_ambiguous(
    api: AirbyteClient, workspace_id: str
) -> None:
    """Two connections share name, source and destination: AmbiguousMatchError."""
    source_id, destination_id, _ = await pipeline(api, workspace_id)
    for _ in range(2):
        await api.connections.create(
            source_id=source_id, destination_id=destination_id, name="shop-to-lake"
        )

    with pytest.raises(AmbiguousMatchError, match="2 connections are named 'shop-to-lake'"):
        await ensure_connection(api, workspace_id, source_id, destination_id)


async def test_find_connection_by_name_and_ends(api: AirbyteClient, workspace_id: str) -> None:
    """connections.find: by name alone, or narrowed by source; none matching raises."""
    source_id, destination_id, _ = await pipeline(api, workspace_id)
    created = (await ensure_connection(api, workspace_id, source_id, destination_id)).value

    found = await api.connections.find(workspace_id=workspace_id, name="shop-to-lake")
    narrowed = await api.connections.find(
        workspace_id=workspace_id, name="shop-to-lake", source_id=source_id
    )
    assert found.connection_id == narrowed.connection_id == created.connection_id
    with pytest.raises(NoMatchError):
        await api.connections.find(
            workspace_id=workspace_id, name="shop-to-lake", destination_id=source_id
        )


async def test_find_lists_once_keeping_only_the_catalog_of_the_connection_it_names(
    api: AirbyteClient, emu: Emulator, workspace_id: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """
    connections.find lists the workspace once and keeps the catalogs of the connections of
    that name alone (the others are most of a listing: a workspace of thousands is never held
    at once); the match comes with its catalog and is not read again.
    """
    source_id, destination_id, catalog = await pipeline(api, workspace_id)
    settings = {"sync_catalog": incremental(catalog, "orders")}
    await ensure_connection(api, workspace_id, source_id, destination_id, **settings)
    asked = catalogs_asked(monkeypatch, api)
    before = len(bodies(emu, "connections/get"))

    found = await api.connections.find(workspace_id=workspace_id, name="shop-to-lake")

    assert asked == [("shop-to-lake",)]
    assert [s.stream.name for s in found.sync_catalog.selected] == ["orders"]
    assert len(bodies(emu, "connections/get")) == before


async def test_a_deleted_connection_is_no_match_so_ensure_creates_anew(
    api: AirbyteClient, workspace_id: str
) -> None:
    """
    ensure after the connection it made was deleted: ``connections/list`` does not return
    deleted connections (API-FACTS 2.5), so a new one is created.
    """
    source_id, destination_id, _ = await pipeline(api, workspace_id)
    first = (await ensure_connection(api, workspace_id, source_id, destination_id)).value
    await api.connections.delete(connection_id=first.connection_id)

    again = await ensure_connection(api, workspace_id, source_id, destination_id)

    assert again.action is EnsureAction.CREATED
    assert again.value.connection_id != first.connection_id


# -- one settings type ------------------------------------------------------------------------


def test_the_keyword_form_names_exactly_the_settings() -> None:
    """ConnectionSettingsArgs (the keyword arguments) has the fields of ConnectionSettings."""
    fields = [f.name for f in attrs.fields(ConnectionSettings)]

    assert list(ConnectionSettingsArgs.__annotations__) == fields


async def test_settings_as_an_object_or_as_keywords_send_the_same(
    api: AirbyteClient, emu: Emulator, workspace_id: str
) -> None:
    """ensure with settings=ConnectionSettings(...) writes what the same keywords write."""
    source_id, destination_id, catalog = await pipeline(api, workspace_id)
    chosen = {"sync_catalog": incremental(catalog, "orders"), "schedule_data": EVERY_6_HOURS}
    await ensure_connection(api, workspace_id, source_id, destination_id, **chosen)
    [by_keywords] = bodies(emu, "connections/create")
    await api.connections.delete(
        connection_id=(
            await api.connections.find(workspace_id=workspace_id, name="shop-to-lake")
        ).connection_id
    )

    await ensure_connection(
        api, workspace_id, source_id, destination_id, settings=ConnectionSettings(**chosen)
    )

    assert bodies(emu, "connections/create")[1] == by_keywords


async def test_send_secrets_writes_a_rotated_password_on_the_public_api() -> None:
    """
    The public API masks secrets too (API-FACTS §0): ensure names the password it could not
    compare, and with send_secrets=True replaces the source's configuration (PUT), so the
    rotated password reaches the server's store.
    """
    postgres_id = "decd338e-5647-4c0b-adf4-da0e75f5a750"
    async with (
        Emulator(airbyte_version="head") as emu,
        AirbyteClient(emu.url, api="public", env={}) as client,
    ):
        ensure = partial(
            client.sources.ensure,
            workspace_id=emu.workspace_ids[0],
            name="shop-db",
            definition_id=postgres_id,
        )
        first = await ensure(configuration=PG)
        kept = await ensure(configuration={**PG, "password": "rotated-password"})
        sent = await ensure(configuration={**PG, "password": "rotated-password"}, send_secrets=True)

        stored = emu.stored_configuration(first.value.source_id)

    assert (kept.action, kept.uncompared) == (EnsureAction.UNCHANGED, ("configuration.password",))
    assert (sent.action, sent.uncompared) == (EnsureAction.UPDATED, ("configuration.password",))
    assert stored["password"] == "rotated-password"


async def test_on_the_public_api_find_lists_once_and_skips_a_deleted_connection() -> None:
    """
    The public API too: find takes the match from one listing, streams and all, with no read
    of it after; a deleted connection is no match.
    """
    async with (
        Emulator(airbyte_version="head", connections=3, record_requests=True) as emu,
        AirbyteClient(emu.url, api="public", env={}) as client,
    ):
        workspace_id = emu.workspace_ids[0]
        emu.reset_stats()
        found = await client.connections.find(workspace_id=workspace_id, name="conn-00001")
        routes = [f"{r.method} {r.route}" for r in emu.requests]
        await client.connections.delete(connection_id=emu.connection_ids[2])
        with pytest.raises(NoMatchError):
            await client.connections.find(workspace_id=workspace_id, name="conn-00002")

    assert found.connection_id == emu.connection_ids[1]
    assert found.sync_catalog.selected
    assert routes == ["GET /public/v1/connections"]
