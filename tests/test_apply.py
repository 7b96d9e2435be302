"""The declarative form: reading and checking pipeline files, planning, applying, re-applying."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

import airbyte_async.apply
from airbyte_async import AirbyteClient
from airbyte_async.apply import Plan, SpecError, apply, load, loads, plan
from airbyte_async.models import (
    ConnectionStatus,
    DestinationSyncMode,
    EnsureAction,
    ScheduleType,
    SyncMode,
    TimeUnit,
)
from airbyte_async.testing import Emulator

pytestmark = pytest.mark.anyio

ENV = {
    "PG_PASSWORD": "pg-secret-value",
    "S3_KEY_ID": "key-id-value",
    "S3_SECRET": "s3-secret-value",
}

PIPELINE = """
[[sources]]
name = "shop-postgres"
definition = "Postgres"
[sources.configuration]
host = "db.internal"
port = 5432
database = "shop"
username = "reader"
password = { env = "PG_PASSWORD" }

[[destinations]]
name = "lake"
definition = "S3"
[destinations.configuration]
s3_bucket_name = "lake"
s3_bucket_path = "shop"
s3_bucket_region = "us-east-1"
access_key_id = { env = "S3_KEY_ID" }
secret_access_key = { env = "S3_SECRET" }
format = { format_type = "Parquet" }

[[connections]]
name = "shop-to-lake"
source = "shop-postgres"
destination = "lake"
schedule = { every = 6, unit = "hours" }

[[connections.streams]]
name = "customers"
sync_mode = "incremental"
cursor_field = "updated_at"
destination_sync_mode = "append"

[[connections.streams]]
name = "orders"
sync_mode = "incremental"
cursor_field = "updated_at"
destination_sync_mode = "append"
"""

WRITES = ("sources/create", "sources/update", "destinations/create", "destinations/update")
WRITES += ("connections/create", "connections/update")


def problems(text: str, env: dict[str, str] | None = None) -> list[str]:
    """The problems loads reports for *text*."""
    with pytest.raises(SpecError) as caught:
        loads(text, env=ENV if env is None else env)
    return list(caught.value.problems)


def writes(emu: Emulator) -> list[str]:
    """The write routes the emulator received, in order."""
    return [r.route.removeprefix("/v1/") for r in emu.requests if r.route.endswith(WRITES)]


@pytest.fixture
async def emu() -> AsyncIterator[Emulator]:
    """A recording emulator with one empty workspace."""
    async with Emulator(record_requests=True) as emulator:
        yield emulator


@pytest.fixture
async def client(emu: Emulator) -> AsyncIterator[AirbyteClient]:
    """A client on the emulator."""
    async with AirbyteClient(emu.url, env={}) as client:
        yield client


# -- reading files --------------------------------------------------------------------------


def test_a_pipeline_file_reads_into_a_spec() -> None:
    """Sources, destinations, connections, schedule and streams, with env values filled in."""
    spec = loads(PIPELINE, env=ENV)

    [source] = spec.sources
    assert (source.name, source.definition) == ("shop-postgres", "Postgres")
    assert source.configuration["password"] == "pg-secret-value"
    assert source.secret_paths == {"configuration.password"}
    [connection] = spec.connections
    assert connection.settings.schedule_type is ScheduleType.BASIC
    assert connection.settings.schedule_data is not None
    assert connection.settings.schedule_data.basic_schedule is not None
    assert connection.settings.schedule_data.basic_schedule.time_unit is TimeUnit.HOURS
    assert connection.settings.status is ConnectionStatus.ACTIVE
    orders = connection.streams[1]
    assert (orders.name, orders.sync_mode, orders.cursor_field) == (
        "orders",
        SyncMode.INCREMENTAL,
        ("updated_at",),
    )
    assert orders.destination_sync_mode is DestinationSyncMode.APPEND


def test_the_module_s_example_is_a_valid_file() -> None:
    """The example in airbyte_async.apply's docstring reads without a problem."""
    doc = airbyte_async.apply.__doc__ or ""
    example = doc[doc.index("::") + 2 : doc.index("Rules:")]
    text = "\n".join(line.removeprefix("    ") for line in example.splitlines())
    env = {"PG_PASSWORD": "a", "S3_KEY_ID": "b", "S3_SECRET": "c"}

    spec = loads(text, env=env)

    assert [s.primary_key for s in spec.connections[0].streams] == [None, (("id",),)]


def test_secrets_do_not_show_in_the_spec_repr() -> None:
    """Values from the environment are masked in reprs."""
    spec = loads(PIPELINE, env=ENV)

    assert not any(value in repr(spec) for value in ENV.values())


def test_load_reads_a_file(tmp_path: Path) -> None:
    """load: the file's path becomes the spec's origin."""
    path = tmp_path / "pipeline.toml"
    path.write_text(PIPELINE)

    assert load(path, env=ENV).origin == str(path)


def test_a_missing_file_is_a_spec_error(tmp_path: Path) -> None:
    """load of a file that is not there: SpecError naming it."""
    with pytest.raises(SpecError, match="cannot read the file") as caught:
        load(tmp_path / "nope.toml")
    assert str(caught.value).startswith(str(tmp_path / "nope.toml"))


def test_a_missing_environment_variable_is_named() -> None:
    """An unset variable: the problem names the key and the variable."""
    found = problems(PIPELINE, env={"S3_KEY_ID": "x", "S3_SECRET": "y"})

    assert found == [
        "sources[0].configuration.password: environment variable PG_PASSWORD is not set"
    ]


def test_an_unknown_enum_value_points_at_its_key() -> None:
    """A misspelt sync mode is reported at connections[i].streams[j].sync_mode."""
    text = (
        PIPELINE
        + """
[[connections]]
name = "second"
source = "shop-postgres"
destination = "lake"
streams = [{ name = "orders", sync_mode = "incrementl" }]
"""
    )
    assert problems(text) == [
        "connections[1].streams[0].sync_mode: unknown value 'incrementl' "
        "(expected one of: full_refresh, incremental)"
    ]


def test_invalid_toml_is_reported_with_its_position() -> None:
    """Broken TOML: one problem saying where."""
    [problem] = problems("[[sources]\nname = 1")

    assert problem.startswith("invalid TOML: ")
    assert "line 1" in problem


@pytest.mark.parametrize(
    ("edit", "expected"),
    [
        (('definition = "Postgres"\n', ""), "sources[0].definition: missing"),
        (
            ('definition = "Postgres"', 'definition = "Postgres"\ncolor = "red"'),
            "sources[0].color: unknown key (expected: configuration, definition, name)",
        ),
        (('source = "shop-postgres"', 'source = "shop"'), "connections[0].source: no source named"),
        (('unit = "hours"', 'unit = "fortnights"'), "connections[0].schedule.unit: unknown value"),
        (("every = 6", "every = 0"), "connections[0].schedule.every: must be a whole number"),
        (
            ('cursor_field = "updated_at"', "cursor_field = 3"),
            "connections[0].streams[0].cursor_field: must be a field name or a path",
        ),
        (('name = "shop-to-lake"', 'name = ""'), "connections[0].name: must be a non-empty string"),
        (
            ('schedule = { every = 6, unit = "hours" }', 'schedule = "hourly"'),
            'connections[0].schedule: must be "manual"',
        ),
        (
            ('schedule = { every = 6, unit = "hours" }', 'status = "deprecated"'),
            "connections[0].status: must be 'active' or 'inactive'",
        ),
    ],
)
def test_problems_point_at_the_offending_key(edit: tuple[str, str], expected: str) -> None:
    """Each kind of mistake is reported once, at the key that is wrong."""
    old, new = edit
    assert old in PIPELINE
    [problem] = problems(PIPELINE.replace(old, new, 1))

    assert problem.startswith(expected)


def test_a_misspelt_key_gets_a_suggestion() -> None:
    """A misspelt key: unknown, with the key meant; and the one meant is missing."""
    text = PIPELINE.replace('definition = "Postgres"', 'defintion = "Postgres"')

    assert problems(text) == [
        "sources[0].definition: missing",
        "sources[0].defintion: unknown key (did you mean 'definition'?)",
    ]


def test_every_problem_is_reported_at_once() -> None:
    """Two mistakes in different places: both reported, in file order."""
    text = PIPELINE.replace('definition = "S3"', "definition = 3").replace(
        'sync_mode = "incremental"', 'sync_mode = "sometimes"', 1
    )

    assert [p.split(":")[0] for p in problems(text)] == [
        "destinations[0].definition",
        "connections[0].streams[0].sync_mode",
    ]


def test_a_name_declared_twice_is_a_problem() -> None:
    """Two sources with one name: reported at the second."""
    source = PIPELINE[PIPELINE.index("[[sources]]") : PIPELINE.index("[[destinations]]")]

    assert problems(source + PIPELINE) == [
        "sources[1].name: 'shop-postgres' is declared twice in sources"
    ]


def test_other_schedules_and_key_shapes() -> None:
    """cron with a default time zone, manual by default, primary keys in every shape."""
    text = """
[[sources]]
name = "s"
definition = "Postgres"
configuration = {}
[[destinations]]
name = "d"
definition = "S3"
configuration = {}
[[connections]]
name = "cron"
source = "s"
destination = "d"
schedule = { cron = "0 0 3 * * ?" }
streams = [{ name = "a", primary_key = "id" }, { name = "b", primary_key = ["id", "day"] },
           { name = "c", primary_key = [["data", "id"]], cursor_field = ["data", "at"] }]
[[connections]]
name = "manual"
source = "s"
destination = "d"
streams = [{ name = "a" }]
"""
    spec = loads(text, env={})
    cron, manual = spec.connections

    assert cron.settings.schedule_type is ScheduleType.CRON
    assert cron.settings.schedule_data is not None and cron.settings.schedule_data.cron is not None
    assert cron.settings.schedule_data.cron.cron_time_zone == "UTC"
    assert [s.primary_key for s in cron.streams] == [
        (("id",),),
        (("id",), ("day",)),
        (("data", "id"),),
    ]
    assert cron.streams[2].cursor_field == ("data", "at")
    assert (manual.settings.schedule_type, manual.settings.schedule_data) == (
        ScheduleType.MANUAL,
        None,
    )


# -- planning and applying ------------------------------------------------------------------


async def test_apply_creates_everything(client: AirbyteClient, emu: Emulator) -> None:
    """First run: the plan says create three times, and the three are created."""
    seen: list[Plan] = []

    done = await apply(client, loads(PIPELINE, env=ENV), on_plan=seen.append)

    assert [(i.kind, i.action) for i in seen[0].items] == [
        ("source", EnsureAction.CREATED),
        ("destination", EnsureAction.CREATED),
        ("connection", EnsureAction.CREATED),
    ]
    assert done.applied and done.summary() == "3 created, 0 updated, 0 unchanged"
    assert all(item.id for item in done.items)
    assert writes(emu) == ["sources/create", "destinations/create", "connections/create"]
    connection = await client.connections.get(connection_id=done.items[2].id or "")
    assert connection.schedule_description == "every 6 hours"
    assert {s.stream.name for s in connection.sync_catalog.selected} == {"customers", "orders"}


async def test_the_second_run_is_a_no_op(client: AirbyteClient, emu: Emulator) -> None:
    """Applied twice: the second plan finds everything unchanged and writes nothing."""
    spec = loads(PIPELINE, env=ENV)
    await apply(client, spec)
    emu.reset_stats()

    again = await apply(client, spec)

    assert not again.changes_anything
    assert again.count(EnsureAction.UNCHANGED) == 3
    assert writes(emu) == []


async def test_a_dry_run_changes_nothing(client: AirbyteClient, emu: Emulator) -> None:
    """plan (a dry run) reports what would be created and sends no write."""
    planned = await plan(client, loads(PIPELINE, env=ENV))

    assert planned.count(EnsureAction.CREATED) == 3
    assert not planned.applied
    assert writes(emu) == []


async def test_changes_are_planned_then_applied(client: AirbyteClient, emu: Emulator) -> None:
    """A changed path, schedule and stream: planned with before and after, then updated."""
    await apply(client, loads(PIPELINE, env=ENV))
    emu.reset_stats()
    text = (
        PIPELINE.replace('s3_bucket_path = "shop"', 's3_bucket_path = "shop-v2"')
        .replace('unit = "hours"', 'unit = "days"')
        .replace('"orders"\nsync_mode = "incremental"', '"orders"\nsync_mode = "full_refresh"')
    )
    seen: list[Plan] = []

    done = await apply(client, loads(text, env=ENV), on_plan=seen.append)

    source, destination, connection = seen[0].items
    assert source.action is EnsureAction.UNCHANGED
    assert [str(c) for c in destination.changes] == [
        'configuration.s3_bucket_path: "shop" -> "shop-v2"'
    ]
    assert [str(c) for c in connection.changes] == [
        'schedule: "every 6 hours" -> "every 6 days"',
        'streams[public.orders].sync_mode: "incremental" -> "full_refresh"',
    ]
    assert done.summary() == "0 created, 2 updated, 1 unchanged"
    assert writes(emu) == ["destinations/update", "connections/update"]


async def test_a_plan_never_shows_a_secret(client: AirbyteClient) -> None:
    """A secret added from the environment, and one under a secret-looking key: masked."""
    await apply(client, loads(PIPELINE, env=ENV))
    text = PIPELINE.replace(
        'username = "reader"',
        'username = "reader"\njdbc_url_params = { env = "JDBC" }\ntunnel_password = "literal-pw"',
    )

    planned = await plan(client, loads(text, env={**ENV, "JDBC": "sslkey=abc"}))

    rendered = planned.render()
    assert "configuration.jdbc_url_params: (absent) -> **********" in rendered
    assert "configuration.tunnel_password: (absent) -> **********" in rendered
    for secret in (*ENV.values(), "sslkey=abc", "literal-pw"):
        assert secret not in rendered


async def test_an_unknown_definition_is_a_spec_error(client: AirbyteClient) -> None:
    """A definition no one has: SpecError at its key, with the close names."""
    text = PIPELINE.replace('definition = "Postgres"', 'definition = "Postgress"')

    with pytest.raises(SpecError) as caught:
        await plan(client, loads(text, env=ENV))

    [problem] = caught.value.problems
    assert problem.startswith("sources[0].definition: no source definition matches 'Postgress'")
    assert "Postgres" in problem


async def test_an_unknown_stream_is_a_spec_error(client: AirbyteClient, emu: Emulator) -> None:
    """A stream the source does not have: SpecError at the stream, nothing written for it."""
    await apply(client, loads(PIPELINE, env=ENV))
    text = PIPELINE.replace('name = "orders"', 'name = "ordres"')

    with pytest.raises(SpecError) as caught:
        await apply(client, loads(text, env=ENV))

    [problem] = caught.value.problems
    assert problem.startswith("connections[0].streams[1]: no stream 'ordres' in the catalog")


async def test_a_failed_discovery_is_a_spec_error(client: AirbyteClient) -> None:
    """The source cannot be reached for discovery: SpecError at connections[i].source."""
    text = PIPELINE.replace('host = "db.internal"', 'host = "db.example.invalid"')

    with pytest.raises(SpecError) as caught:
        await apply(client, loads(text, env=ENV))

    [problem] = caught.value.problems
    assert problem.startswith(
        "connections[0].source: discovering the streams of 'shop-postgres' failed: "
    )


async def test_a_source_being_fixed_is_discovered_after_its_update(
    client: AirbyteClient,
) -> None:
    """A source broken on the server and fixed in the file: its streams are checked later."""
    spec = loads(PIPELINE, env=ENV)
    await apply(client, spec)
    broken = PIPELINE.replace('host = "db.internal"', 'host = "db.example.invalid"')
    with pytest.raises(SpecError):
        await apply(client, loads(broken, env=ENV))
    seen: list[Plan] = []

    done = await apply(client, spec, on_plan=seen.append)

    connection = seen[0].items[2]
    assert connection.action is EnsureAction.UPDATED
    assert connection.note == "its streams are checked once its source is updated"
    assert [i.action for i in done.items] == [
        EnsureAction.UPDATED,
        EnsureAction.UNCHANGED,
        EnsureAction.UNCHANGED,
    ]


async def test_the_workspace_comes_from_the_argument(client: AirbyteClient) -> None:
    """workspace_id overrides the file's workspace and the default."""
    other = await client.workspaces.create(name="other", organization_id=_ORG)
    text = f'workspace = "{_ORG}"\n' + PIPELINE

    done = await apply(client, loads(text, env=ENV), workspace_id=other.workspace_id)

    assert done.workspace_id == other.workspace_id
    names = [s.name async for s in client.sources.list(workspace_id=other.workspace_id)]
    assert names == ["shop-postgres"]


_ORG = "00000000-0000-0000-0000-000000000000"


async def test_a_source_of_another_definition_under_the_name_is_refused(
    client: AirbyteClient, emu: Emulator
) -> None:
    """The server's source of that name uses another connector: SpecError, nothing written."""
    await apply(client, loads(PIPELINE, env=ENV))
    emu.reset_stats()
    text = PIPELINE.replace('definition = "Postgres"', 'definition = "MySQL"')

    with pytest.raises(SpecError, match=r"sources\[0\]\.definition: the source 'shop-postgres'"):
        await apply(client, loads(text, env=ENV))
    assert writes(emu) == []
