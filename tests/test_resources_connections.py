"""client.connections against the emulator: create, read, patch, delete, trigger."""

from __future__ import annotations

import anyio
import pytest
from resource_support import bodies, sent

from airbyte_async import AirbyteClient
from airbyte_async.catalog import select_streams
from airbyte_async.errors import (
    ConflictError,
    InvalidArgumentError,
    NotFoundError,
    SyncAlreadyRunningError,
    UnprocessableEntityError,
)
from airbyte_async.models import (
    BasicSchedule,
    Catalog,
    Connection,
    ConnectionStatus,
    CronSchedule,
    JobStatus,
    JobType,
    Schedule,
    ScheduleData,
    ScheduleType,
    TimeUnit,
)
from airbyte_async.testing import Emulator, Fault
from airbyte_async.testing._versions import since

pytest_plugins = ["resource_fixtures"]
pytestmark = pytest.mark.anyio


async def pair(api: AirbyteClient, workspace_id: str) -> tuple[str, str, Catalog]:
    """An existing source, an existing destination and a catalog selecting one stream."""
    source = await anext(api.sources.list(workspace_id=workspace_id))
    destination = await anext(api.destinations.list(workspace_id=workspace_id))
    schema = await api.sources.discover_schema(source_id=source.source_id)
    assert schema.catalog is not None
    return source.source_id, destination.destination_id, select_streams(schema.catalog, "orders")


async def test_create_sends_status_and_catalog(
    api: AirbyteClient, emu: Emulator, workspace_id: str
) -> None:
    """connections/create always carries status; the catalog goes as syncCatalog."""
    source_id, destination_id, catalog = await pair(api, workspace_id)

    connection = await api.connections.create(
        source_id=source_id, destination_id=destination_id, name="c", sync_catalog=catalog
    )

    [body] = bodies(emu, "connections/create")
    assert body["status"] == "active"
    assert "schedule" not in body
    assert "scheduleType" not in body
    assert connection.status is ConnectionStatus.ACTIVE
    assert [s.stream.name for s in connection.sync_catalog.selected] == ["orders"]


async def test_create_converts_a_legacy_schedule(
    api: AirbyteClient, emu: Emulator, workspace_id: str
) -> None:
    """A legacy Schedule is sent as scheduleType basic + scheduleData, never as schedule."""
    source_id, destination_id, _ = await pair(api, workspace_id)

    connection = await api.connections.create(
        source_id=source_id,
        destination_id=destination_id,
        schedule=Schedule(units=6, time_unit=TimeUnit.HOURS),
    )

    [body] = bodies(emu, "connections/create")
    assert "schedule" not in body
    assert body["scheduleType"] == "basic"
    assert body["scheduleData"] == {"basicSchedule": {"timeUnit": "hours", "units": 6}}
    assert connection.schedule_type is ScheduleType.BASIC


async def test_create_with_cron(api: AirbyteClient, workspace_id: str) -> None:
    """A cron schedule given as schedule_data alone: the type is inferred."""
    source_id, destination_id, _ = await pair(api, workspace_id)
    cron = CronSchedule(cron_expression="0 0 * * * ?", cron_time_zone="UTC")

    connection = await api.connections.create(
        source_id=source_id, destination_id=destination_id, schedule_data=ScheduleData(cron=cron)
    )

    assert connection.schedule_type is ScheduleType.CRON
    assert connection.schedule_data is not None
    assert connection.schedule_data.cron == cron


@pytest.mark.parametrize("zone", ["+0530", "+05:30:15", "-0800"])
async def test_a_cron_in_an_offset_joda_reads_is_created(
    api: AirbyteClient, workspace_id: str, zone: str
) -> None:
    """
    A fixed offset without a colon, or with seconds, is a zone Airbyte takes: it reads zones
    with Joda's ``DateTimeZone.forID`` (``ConnectionScheduleHelper.kt``, airbytehq/airbyte-
    platform @10385af8), whose offset parser takes minutes and seconds with colons or without
    (``DateTimeFormatterBuilder.TimeZoneOffset.parseInto``, JodaOrg/joda-time @7fe4b477).
    """
    source_id, destination_id, _ = await pair(api, workspace_id)
    cron = CronSchedule(cron_expression="0 0 3 * * ?", cron_time_zone=zone)

    connection = await api.connections.create(
        source_id=source_id, destination_id=destination_id, schedule_data=ScheduleData(cron=cron)
    )

    assert connection.schedule_data == ScheduleData(cron=cron)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        (
            {
                "schedule": Schedule(units=1, time_unit=TimeUnit.DAYS),
                "schedule_type": ScheduleType.MANUAL,
            },
            "not both",
        ),
        (
            {
                "schedule_type": ScheduleType.MANUAL,
                "schedule_data": ScheduleData(
                    basic_schedule=BasicSchedule(time_unit=TimeUnit.DAYS, units=1)
                ),
            },
            "manual schedule takes no schedule_data",
        ),
        ({"schedule_type": ScheduleType.CRON}, "cron schedule needs"),
        ({"schedule_data": ScheduleData()}, "exactly one of"),
    ],
)
async def test_inconsistent_schedule_is_refused_before_any_request(
    api: AirbyteClient, emu: Emulator, kwargs: dict[str, object], message: str
) -> None:
    """Schedules the server would reject raise InvalidArgumentError and send nothing."""
    with pytest.raises(InvalidArgumentError, match=message):
        await api.connections.create(source_id="s", destination_id="d", **kwargs)  # type: ignore[arg-type]

    assert sent(emu, "connections/create") == []


async def test_get(api: AirbyteClient, emu: Emulator) -> None:
    """connections/get by id."""
    connection = await api.connections.get(connection_id=emu.connection_ids[0])

    assert isinstance(connection, Connection)
    assert connection.name == "conn-00000"


async def test_list(api: AirbyteClient, workspace_id: str) -> None:
    """The workspace's connections."""
    names = [c.name async for c in api.connections.list(workspace_id=workspace_id)]

    assert names == ["conn-00000", "conn-00001", "conn-00002"]


async def test_a_listing_keeps_only_the_catalogs_of_the_connections_it_names(
    api: AirbyteClient, workspace_id: str
) -> None:
    """connections.list(catalogs=names): every connection, with its catalog only if named."""
    full = [c async for c in api.connections.list(workspace_id=workspace_id)]
    kept = {"conn-00001", "no such connection"}

    listed = [c async for c in api.connections.list(workspace_id=workspace_id, catalogs=kept)]

    assert [c.connection_id for c in listed] == [c.connection_id for c in full]
    assert [bool(c.sync_catalog.streams) for c in listed] == [False, True, False]
    assert listed[1] == full[1]


async def test_update_sends_only_what_changes(api: AirbyteClient, emu: Emulator) -> None:
    """A patch: connectionId and the changed field."""
    connection_id = emu.connection_ids[0]

    updated = await api.connections.update(connection_id=connection_id, name="renamed")

    assert updated.name == "renamed"
    assert bodies(emu, "connections/update") == [{"connectionId": connection_id, "name": "renamed"}]


async def test_update_takes_an_enum_value_as_a_plain_string(
    api: AirbyteClient, emu: Emulator
) -> None:
    """status="inactive" is sent as ConnectionStatus.INACTIVE would be; a value the server does
    not know is its typed 422, not an AttributeError."""
    connection_id = emu.connection_ids[0]

    updated = await api.connections.update(connection_id=connection_id, status="inactive")  # type: ignore[arg-type]

    assert updated.status is ConnectionStatus.INACTIVE
    with pytest.raises(UnprocessableEntityError):
        await api.connections.update(connection_id=connection_id, status="sleeping")  # type: ignore[arg-type]


async def test_update_turns_a_legacy_schedule_into_schedule_data(
    api: AirbyteClient, emu: Emulator
) -> None:
    """connections/update rejects legacy schedule: it goes as scheduleType/scheduleData."""
    connection_id = emu.connection_ids[0]

    updated = await api.connections.update(
        connection_id=connection_id, schedule=Schedule(units=30, time_unit=TimeUnit.MINUTES)
    )

    [body] = bodies(emu, "connections/update")
    assert body == {
        "connectionId": connection_id,
        "scheduleType": "basic",
        "scheduleData": {"basicSchedule": {"timeUnit": "minutes", "units": 30}},
    }
    assert updated.schedule_data == ScheduleData(
        basic_schedule=BasicSchedule(time_unit=TimeUnit.MINUTES, units=30)
    )


async def test_update_to_manual_sends_no_schedule_data(api: AirbyteClient, emu: Emulator) -> None:
    """A manual schedule goes without scheduleData."""
    connection_id = emu.connection_ids[0]

    await api.connections.update(connection_id=connection_id, schedule_type=ScheduleType.MANUAL)

    assert bodies(emu, "connections/update") == [
        {"connectionId": connection_id, "scheduleType": "manual"}
    ]


async def test_update_status(api: AirbyteClient, emu: Emulator) -> None:
    """Pausing a connection."""
    updated = await api.connections.update(
        connection_id=emu.connection_ids[0], status=ConnectionStatus.INACTIVE
    )

    assert updated.status is ConnectionStatus.INACTIVE


async def test_delete(api: AirbyteClient, emu: Emulator, workspace_id: str) -> None:
    """A deleted connection is deprecated and no longer listed."""
    connection_id = emu.connection_ids[0]

    await api.connections.delete(connection_id=connection_id)

    assert (await api.connections.get(connection_id=connection_id)).status is (
        ConnectionStatus.DEPRECATED
    )
    assert connection_id not in [
        c.connection_id async for c in api.connections.list(workspace_id=workspace_id)
    ]


async def test_sync_returns_the_new_job(api: AirbyteClient, emu: Emulator) -> None:
    """connections/sync gives a sync job of this connection."""
    connection_id = emu.connection_ids[0]
    # Long enough that the job still runs when the answer arrives on a busy machine.
    emu.set_sync_plan(connection_id, duration=60)

    job = await api.connections.sync(connection_id=connection_id)

    assert job.job_type is JobType.SYNC
    assert job.connection_id == connection_id
    assert not job.status.is_terminal


async def test_sync_while_running_is_a_conflict(api: AirbyteClient, emu: Emulator) -> None:
    """A second trigger while the first runs: SyncAlreadyRunningError, tried once."""
    connection_id = emu.connection_ids[0]
    emu.set_sync_plan(connection_id, duration=5.0)
    await api.connections.sync(connection_id=connection_id)

    with pytest.raises(SyncAlreadyRunningError):
        await api.connections.sync(connection_id=connection_id)

    assert len(sent(emu, "connections/sync")) == 2


async def test_sync_of_an_inactive_connection_is_a_conflict_without_retries(
    api: AirbyteClient, emu: Emulator
) -> None:
    """Airbyte answers 500 to a sync of an inactive connection (API-FACTS 6.2): it raises
    ConflictError after one trigger, 0.x by its message, head (no message) by one read of the
    connection, not after rounds of triggers."""
    connection_id = emu.connection_ids[0]
    await api.connections.update(connection_id=connection_id, status=ConnectionStatus.INACTIVE)

    with pytest.raises(ConflictError, match="active connection"):
        await api.connections.sync(connection_id=connection_id)

    assert len(sent(emu, "connections/sync")) == 1
    assert emu.stats().jobs_created == 0


@pytest.mark.parametrize("status", [502, 503, 504])
async def test_a_gateway_error_on_a_trigger_reads_no_connection(
    api: AirbyteClient, emu: Emulator, status: int
) -> None:
    """A sync trigger answered 502, 503 or 504 that started no job is sent again without a
    read of the connection: only an exception Airbyte does not map is a 500 (an inactive
    connection's ``IllegalStateException`` among them, API-FACTS 6.2), never a gateway's or an
    overloaded server's answer (chaos seed 704: 115 such reads in a batch of 1,000)."""
    connection_id = emu.connection_ids[0]
    emu.set_faults([Fault(kind="error", route="connections/sync", status=status, times=1)])

    job = await api.connections.sync(connection_id=connection_id)

    assert emu.stats().jobs_by_connection == {connection_id: [job.id]}
    assert sent(emu, "connections/get") == []


async def test_a_404_says_which_id_the_server_did_not_have(
    api: AirbyteClient, emu: Emulator, version: str
) -> None:
    """A sync of a connection the server lacks: 0.50 and 1.7 name it in their message; 2.x
    answers a 404 with an error id only (API-FACTS 6.2), so the error names the id the request
    sent."""
    missing = "00000000-0000-0000-0000-000000000000"

    with pytest.raises(NotFoundError) as caught:
        await api.connections.sync(connection_id=missing)

    assert missing in str(caught.value)
    if since(version, "2.0"):
        assert f"no object for one of connectionId {missing}" in caught.value.message


async def test_reset_returns_a_reset_job(api: AirbyteClient, emu: Emulator) -> None:
    """connections/reset gives a reset_connection job."""
    job = await api.connections.reset(connection_id=emu.connection_ids[0])

    assert job.job_type is JobType.RESET_CONNECTION


async def test_sync_progress_of_a_running_sync(api: AirbyteClient, emu: Emulator) -> None:
    """Live counters per stream while a sync runs (0.50's array shape and head's object)."""
    connection_id = emu.connection_ids[0]
    emu.set_sync_plan(connection_id, duration=5.0)
    await api.connections.sync(connection_id=connection_id)
    await anyio.sleep(0.05)

    progress = await api.connections.sync_progress(connection_id=connection_id)

    assert progress.connection_id == connection_id
    assert [s.stream_name for s in progress.streams] == ["customers", "orders", "products"]
    assert progress.records_emitted is not None
    assert progress.records_emitted >= sum(s.records_emitted or 0 for s in progress.streams) > 0


async def test_sync_progress_without_a_running_sync_knows_no_counts(
    api: AirbyteClient, emu: Emulator
) -> None:
    """No sync runs: 0.50 lists no stream (an empty array), head none either; the totals
    are unknown (None) on both, not zero records."""
    progress = await api.connections.sync_progress(connection_id=emu.connection_ids[0])

    assert progress.streams == ()
    assert (progress.records_emitted, progress.records_committed) == (None, None)


async def test_created_at_is_read(api: AirbyteClient, emu: Emulator) -> None:
    """ConnectionRead's snake_case created_at becomes an aware datetime."""
    connection = await api.connections.get(connection_id=emu.connection_ids[0])

    assert connection.created_at is not None
    assert connection.created_at.tzinfo is not None


async def test_synced_job_finishes(api: AirbyteClient, emu: Emulator) -> None:
    """A triggered sync ends succeeded, seen through jobs.wait."""
    job = await api.connections.sync(connection_id=emu.connection_ids[0])

    with anyio.fail_after(5):
        done = await api.jobs.wait(job_id=job.id, poll_interval=0.01)

    assert done.status is JobStatus.SUCCEEDED
