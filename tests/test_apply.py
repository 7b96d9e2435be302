"""The declarative form: reading and checking pipeline files, planning, applying, re-applying."""

from __future__ import annotations

import json
import re
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import attrs
import pytest
from shell_support import Run, cli_shell

import airbyte_async.apply
from airbyte_async import AirbyteClient
from airbyte_async.apply import (
    ActorWrite,
    Plan,
    Spec,
    apply,
    dumps_plan,
    execute,
    load,
    loads,
    loads_plan,
    make_plan,
    plan,
    read_snapshot,
)
from airbyte_async.apply._types import declared_types
from airbyte_async.cli import main
from airbyte_async.errors import (
    AirbyteError,
    ServerError,
    SpecError,
    StalePlanError,
    UnprocessableEntityError,
)
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


def changes(emu: Emulator) -> list[str]:
    """The writes the emulator received on either API, in order."""
    public = [f"{r.method} {r.route}" for r in emu.requests if r.route.startswith("/public/")]
    return writes(emu) + [w for w in public if not w.startswith("GET ")]


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


def with_setting(line: str) -> str:
    """PIPELINE with *line* added to its source's configuration."""
    return PIPELINE.replace('username = "reader"', f'username = "reader"\n{line}')


def with_port(value: str) -> str:
    """PIPELINE with its source's port given as *value* (TOML)."""
    return PIPELINE.replace("port = 5432", f"port = {value}")


def test_a_reference_s_default_is_taken_when_its_variable_is_not_set() -> None:
    """``{ env = "NAME", default = ... }``: the variable's value when set, else the default."""
    text = with_setting('sslmode = { env = "PG_SSLMODE", default = "require" }')

    unset = loads(text, env=ENV).sources[0]
    given = loads(text, env={**ENV, "PG_SSLMODE": "verify-full"}).sources[0]

    assert unset.configuration["sslmode"] == "require"
    assert "configuration.sslmode" not in unset.secret_paths
    assert given.configuration["sslmode"] == "verify-full"
    assert "configuration.sslmode" in given.secret_paths


@pytest.mark.parametrize(
    ("line", "problem"),
    [
        (
            "schema = { env = 5 }",
            "sources[0].configuration.schema.env: must name an environment variable "
            "(a non-empty string), got an integer",
        ),
        (
            'schema = { env = "" }',
            "sources[0].configuration.schema.env: must name an environment variable "
            "(a non-empty string), got ''",
        ),
        (
            'schema = { env = "PG_SCHEMA", defualt = "public" }',
            "sources[0].configuration.schema.defualt: unknown key beside env (did you mean "
            "'default'? an environment reference takes env, default and type only; to send a "
            "table with an env key as it is, write { literal = { ... } })",
        ),
        (
            'schema = { env = "PG_SCHEMA", default = ["public"] }',
            "sources[0].configuration.schema.default: must be a string, a number or a boolean, "
            "got an array",
        ),
        (
            'timeout = { env = "PG_TIMEOUT", type = "int" }',
            "sources[0].configuration.timeout.type: unknown value 'int' (expected one of: string, "
            "integer, number, boolean)",
        ),
        (
            'timeout = { env = "PG_TIMEOUT", type = "integer", default = "30" }',
            "sources[0].configuration.timeout.default: must be an integer (type = 'integer'), "
            "got a string",
        ),
    ],
)
def test_a_malformed_environment_reference_is_a_problem_at_its_key(line: str, problem: str) -> None:
    """A table with an ``env`` key that is not a well-formed reference is reported at its
    key, not sent to the server as configuration."""
    assert problems(with_setting(line)) == [problem]


async def test_a_literal_table_is_sent_as_written(client: AirbyteClient, emu: Emulator) -> None:
    """``{ literal = ... }`` sends what it holds as written: a connector's own table whose
    only key is ``env`` reaches the server, no variable read."""
    text = with_setting('options = { literal = { env = "prod" } }')

    done = await apply(client, loads(text, env=ENV))

    source = await client.sources.get(source_id=done.items[0].id or "")
    assert source.configuration["options"] == {"env": "prod"}


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
        (("port = 5432", "port = nan"), "sources[0].configuration.port: nan is not a JSON number"),
        (("port = 5432", "port = -inf"), "sources[0].configuration.port: -inf is not a JSON"),
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
        (
            ('schedule = { every = 6, unit = "hours" }', 'status = "paused"'),
            "connections[0].status: must be 'active' or 'inactive', not 'paused'",
        ),
        (
            ('{ every = 6, unit = "hours" }', '{ cron = "not a cron" }'),
            "connections[0].schedule: a cron expression has 6 or 7 fields",
        ),
        (
            ('{ every = 6, unit = "hours" }', '{ cron = "0 0 25 * * ?" }'),
            "connections[0].schedule: hours",
        ),
        (
            ('{ every = 6, unit = "hours" }', '{ cron = "0 0 6 * * ?", timezone = "Mars/Base" }'),
            "connections[0].schedule: unknown time zone 'Mars/Base'",
        ),
    ],
)
def test_problems_point_at_the_offending_key(edit: tuple[str, str], expected: str) -> None:
    """Each kind of mistake is reported once, at the key that is wrong."""
    old, new = edit
    assert old in PIPELINE
    [problem] = problems(PIPELINE.replace(old, new, 1))

    assert problem.startswith(expected)


def test_an_empty_name_is_called_empty() -> None:
    """An empty name is reported as empty, not as "got a string" (which it is)."""
    [problem] = problems(PIPELINE.replace('name = "shop-to-lake"', 'name = ""'))

    assert problem == "connections[0].name: must be a non-empty string, got an empty string"


def test_a_misspelt_schedule_key_is_named() -> None:
    """A schedule table with a misspelt key says which key, and the one meant."""
    [problem] = problems(PIPELINE.replace("every = 6", "evry = 6"))

    assert problem.startswith('connections[0].schedule: must be "manual", ')
    assert problem.endswith(": unknown key 'evry' (did you mean 'every'?)")


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


def test_a_connection_with_a_problem_still_has_its_source_checked() -> None:
    """A misspelt sync mode and an undeclared source in one connection: both, at once."""
    text = PIPELINE.replace('source = "shop-postgres"', 'source = "shop"', 1).replace(
        'sync_mode = "incremental"', 'sync_mode = "sometimes"', 1
    )

    assert [p.split(":")[0] for p in problems(text)] == [
        "connections[0].streams[0].sync_mode",
        "connections[0].source",
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
    """A secret added from the environment (a field the specification flags), and one under a
    secret-looking key: masked."""
    await apply(client, loads(PIPELINE, env=ENV))
    text = PIPELINE.replace(
        'username = "reader"',
        'username = "reader"\ntunnel_password = "literal-pw"\n'
        'ssl_mode = { mode = "verify-ca", ca_certificate = { env = "PG_CA" } }',
    )

    planned = await plan(client, loads(text, env={**ENV, "PG_CA": "ca-from-env"}))

    rendered = planned.render()
    assert "configuration.tunnel_password: (absent) -> **********" in rendered
    assert (
        'configuration.ssl_mode: (absent) -> {"mode": "verify-ca", "ca_certificate": "**********"}'
        in rendered
    )
    for secret in (*ENV.values(), "ca-from-env", "literal-pw"):
        assert secret not in rendered


CERTIFICATE = "-----BEGIN CERTIFICATE-----MIIDdzCCAl+gAwIBAgIE"
VERIFY_CA = f'ssl_mode = {{ mode = "verify-ca", ca_certificate = "{CERTIFICATE}" }}'


async def test_a_plan_masks_what_the_connector_s_specification_flags_secret(
    client: AirbyteClient,
) -> None:
    """
    A field the definition's specification flags ``airbyte_secret`` is masked in a plan's
    changes and its writes' reprs, though its name looks like no secret (Postgres's
    ``ssl_mode.ca_certificate``, airbytehq/airbyte source-postgres ``spec.json``; read with
    ``source_definition_specifications/get``).
    """
    await apply(client, loads(PIPELINE, env=ENV))

    planned = await plan(client, loads(with_setting(VERIFY_CA), env=ENV))

    assert CERTIFICATE not in planned.render()
    assert CERTIFICATE not in repr(planned)
    assert CERTIFICATE not in repr(planned.items[0].write)
    assert (
        'configuration.ssl_mode: (absent) -> {"mode": "verify-ca", "ca_certificate": "**********"}'
        in planned.render()
    )


async def test_a_field_the_specification_flags_secret_is_not_saved(
    client: AirbyteClient,
) -> None:
    """Written in the file, a field the specification flags secret cannot be saved in a plan,
    whether the source is created or updated."""
    planned = await plan(client, loads(with_setting(VERIFY_CA), env=ENV))

    with pytest.raises(SpecError) as caught:
        dumps_plan(planned)

    [problem] = caught.value.problems
    assert problem.startswith("sources[0].configuration.ssl_mode.ca_certificate: a secret written")
    assert CERTIFICATE not in str(caught.value)


async def test_a_password_among_jdbc_parameters_is_masked_and_not_saved(
    client: AirbyteClient,
) -> None:
    """A password written in clear among a source's JDBC parameters (``jdbc_url_params``, a
    field no specification flags) shows masked in the plan's write and cannot be saved in one."""
    setting = f'jdbc_url_params = "connectTimeout=10&sslpassword={CERTIFICATE}"'

    planned = await plan(client, loads(with_setting(setting), env=ENV))

    assert CERTIFICATE not in planned.render() + repr(planned)
    assert "connectTimeout=10&sslpassword=**********" in repr(planned.items[0].write)
    with pytest.raises(SpecError) as caught:
        dumps_plan(planned)
    [problem] = caught.value.problems
    assert problem.startswith("sources[0].configuration.jdbc_url_params: a secret written")


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
    """A source broken on the server and fixed in the file: its streams are checked in the
    catalog of the fixed configuration, discovered before it is written."""
    spec = loads(PIPELINE, env=ENV)
    first = await apply(client, spec)
    source_id = first.items[0].id or ""
    stored = (await client.sources.get(source_id=source_id)).configuration
    broken = {**stored, "host": "db.example.invalid"}
    await client.sources.update(source_id=source_id, configuration=broken)
    seen: list[Plan] = []

    done = await apply(client, spec, on_plan=seen.append)

    connection = seen[0].items[2]
    assert connection.action is EnsureAction.UPDATED
    assert connection.note == "its streams are selected again once its source is updated"
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


async def test_a_workspace_the_server_lacks_is_a_problem_before_any_write(
    client: AirbyteClient, emu: Emulator
) -> None:
    """A file naming a workspace the server does not have: a SpecError at its key, with the
    id, from the first request (``workspaces/get``), not a 404 once sources are listed."""
    missing = "9e0c6a6e-0000-4000-8000-000000000000"
    emu.reset_stats()
    with pytest.raises(SpecError) as caught:
        await apply(client, loads(f'workspace = "{missing}"\n' + PIPELINE, env=ENV))

    assert caught.value.problems == (f"workspace: no workspace {missing} on this server",)
    assert [r.route for r in emu.requests] == ["/v1/workspaces/get"]


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


# -- plans executed as shown ----------------------------------------------------------------

CHANGED = (
    PIPELINE.replace('s3_bucket_path = "shop"', 's3_bucket_path = "shop-v2"')
    .replace('unit = "hours"', 'unit = "days"')
    .replace('"orders"\nsync_mode = "incremental"', '"orders"\nsync_mode = "full_refresh"')
)


def reads(emu: Emulator, route: str) -> int:
    """How many requests the emulator received on *route*."""
    return sum(1 for r in emu.requests if r.route == f"/v1/{route}")


async def test_the_planner_sends_no_request(client: AirbyteClient, emu: Emulator) -> None:
    """make_plan works from the snapshot alone: no request, and the same plan every time."""
    await apply(client, loads(PIPELINE, env=ENV))
    spec = loads(CHANGED, env=ENV)
    snapshot = await read_snapshot(client, spec)
    emu.reset_stats()

    first, second = make_plan(spec, snapshot), make_plan(spec, snapshot)

    assert emu.requests == []
    assert first == second
    assert first.summary() == "0 to create, 2 to update, 1 unchanged"


async def test_a_saved_plan_is_applied_as_shown(client: AirbyteClient, emu: Emulator) -> None:
    """A plan saved, read back and executed: exactly its updates are sent, and it says so."""
    await apply(client, loads(PIPELINE, env=ENV))
    shown = await plan(client, loads(CHANGED, env=ENV))
    saved = loads_plan(dumps_plan(shown), env=ENV)
    emu.reset_stats()

    done = await execute(client, saved)

    assert writes(emu) == ["destinations/update", "connections/update"]
    assert [(i.kind, i.action, i.changes) for i in done.items] == [
        (i.kind, i.action, i.changes) for i in shown.items
    ]
    connection = await client.connections.get(connection_id=done.items[2].id or "")
    assert connection.schedule_description == "every 6 days"
    modes = {
        s.stream.name: s.config.sync_mode for s in connection.sync_catalog.selected if s.config
    }
    assert modes == {"customers": SyncMode.INCREMENTAL, "orders": SyncMode.FULL_REFRESH}


async def test_a_stale_plan_is_refused_with_nothing_written(
    client: AirbyteClient, emu: Emulator
) -> None:
    """The destination changed on the server after planning: StalePlanError, no write."""
    await apply(client, loads(PIPELINE, env=ENV))
    saved = loads_plan(dumps_plan(await plan(client, loads(CHANGED, env=ENV))), env=ENV)
    [lake] = [d async for d in client.destinations.list(workspace_id=saved.workspace_id)]
    await client.destinations.update(
        destination_id=lake.destination_id,
        configuration={**lake.configuration, "s3_bucket_path": "x"},
    )
    emu.reset_stats()

    with pytest.raises(StalePlanError) as caught:
        await execute(client, saved)

    assert caught.value.problems[0] == (
        "destinations[0]: the destination 'lake' changed since the plan was made"
    )
    assert writes(emu) == []


async def test_a_plan_to_create_is_stale_once_the_object_exists(
    client: AirbyteClient, emu: Emulator
) -> None:
    """Someone created the source the plan creates: refused rather than a second one made."""
    planned = await plan(client, loads(PIPELINE, env=ENV))
    await apply(client, loads(PIPELINE.split("[[destinations]]")[0], env=ENV))
    emu.reset_stats()

    with pytest.raises(StalePlanError, match=r"sources\[0\]: the source 'shop-postgres' changed"):
        await execute(client, planned)
    assert writes(emu) == []


async def test_apply_executes_exactly_what_it_showed(client: AirbyteClient, emu: Emulator) -> None:
    """apply: one write per changed item shown; objects listed twice (plan, check), not per item."""
    await apply(client, loads(PIPELINE, env=ENV))
    emu.reset_stats()
    shown: list[Plan] = []

    await apply(client, loads(CHANGED, env=ENV), on_plan=shown.append)

    changed = [f"{i.kind}s/update" for i in shown[0].items if i.changed]
    assert writes(emu) == changed == ["destinations/update", "connections/update"]
    assert [reads(emu, f"{k}/list") for k in ("sources", "destinations", "connections")] == [
        2,
        2,
        2,
    ]
    assert reads(emu, "sources/discover_schema") == 1


async def test_a_run_stopped_by_a_lost_answer_says_what_it_wrote(
    client: AirbyteClient, emu: Emulator
) -> None:
    """The destination's create is answered by a 500, which leaves open whether it was made
    (it was not): the error's notes say that it may have been and was not found by its name,
    and name the source written before it."""
    emu.set_faults([{"kind": "error", "status": 500, "route": "destinations/create", "times": 1}])

    with pytest.raises(ServerError) as caught:
        await apply(client, loads(PIPELINE, env=ENV))

    workspace = await client.workspaces.default()
    [source] = [s async for s in client.sources.list(workspace_id=workspace.workspace_id)]
    assert caught.value.__notes__ == [
        "the destination 'lake' may have been created (the answer was lost) but was not found "
        "by its name: look for it before creating it again",
        f"written before it: created source shop-postgres ({source.source_id})",
    ]
    assert writes(emu) == ["sources/create", "destinations/create"]


async def test_a_create_whose_answer_was_lost_is_found_and_the_run_goes_on(
    client: AirbyteClient, emu: Emulator
) -> None:
    """The destination's create is done, its answer lost (the connection reset): it is found
    by its name, not created again, and the run goes on to the connection."""
    emu.set_faults([{"kind": "reset_after", "route": "destinations/create", "times": 1}])

    applied = await apply(client, loads(PIPELINE, env=ENV))

    workspace = await client.workspaces.default()
    wid = workspace.workspace_id
    [lake] = [d async for d in client.destinations.list(workspace_id=wid)]
    assert [(i.kind, i.action, i.id) for i in applied.items][1:] == [
        ("destination", EnsureAction.CREATED, lake.destination_id),
        ("connection", EnsureAction.CREATED, applied.items[2].id),
    ]
    assert writes(emu) == ["sources/create", "destinations/create", "connections/create"]


async def test_the_stream_problems_of_every_new_connection_come_together(
    client: AirbyteClient, emu: Emulator
) -> None:
    """Two connections of a source the plan creates, each naming a stream it lacks: both are
    reported at once, before anything is written (the configuration discovered unwritten,
    ``scheduler/sources/discover_schema``, API-FACTS 2.7)."""
    second = PIPELINE[PIPELINE.index("[[connections]]") :].replace("shop-to-lake", "shop-to-lake-2")
    text = (PIPELINE + second).replace('name = "orders"', 'name = "ordres"')

    with pytest.raises(SpecError) as caught:
        await apply(client, loads(text, env=ENV))

    assert [p.split(":")[0] for p in caught.value.problems] == [
        "connections[0].streams[1]",
        "connections[1].streams[1]",
    ]
    assert writes(emu) == []


async def test_a_source_the_plan_creates_is_discovered_once(
    client: AirbyteClient, emu: Emulator
) -> None:
    """The catalog discovered from the configuration before it is written selects the
    connection's streams once it is: no second discovery (each takes minutes on Airbyte)."""
    await apply(client, loads(PIPELINE, env=ENV))

    assert reads(emu, "scheduler/sources/discover_schema") == 1
    assert reads(emu, "sources/discover_schema") == 0


async def test_a_plan_executed_as_it_was_made_discovers_no_source_again(
    client: AirbyteClient, emu: Emulator
) -> None:
    """plan(), then execute() (as the command line runs them): the plan keeps the catalogs it
    discovered before any write, and the execution selects the streams from them."""
    planned = await plan(client, loads(PIPELINE, env=ENV))

    await execute(client, planned)

    assert reads(emu, "scheduler/sources/discover_schema") == 1
    assert reads(emu, "sources/discover_schema") == 0
    assert "discovered" not in json.loads(dumps_plan(planned))["plan"]


async def test_a_discovery_failing_after_the_writes_names_no_write_it_did_not_send(
    client: AirbyteClient, emu: Emulator
) -> None:
    """A saved plan discovers its new source once written: when that discovery fails, the
    error's notes name the source and destination written, and do not say the connection,
    never sent, may have been created."""
    saved = dumps_plan(await plan(client, loads(PIPELINE, env=ENV)))
    emu.set_faults([{"kind": "error", "route": "sources/discover_schema", "status": 500}])

    with pytest.raises(AirbyteError) as caught:
        await execute(client, loads_plan(saved, env=ENV))

    assert writes(emu) == ["sources/create", "destinations/create"]
    [note, stopped] = caught.value.__notes__
    assert note.startswith("written before it: created source shop-postgres (")
    assert stopped == "the connection 'shop-to-lake' (connections[0]) was not created"


async def test_a_write_the_server_refuses_is_named_with_its_key() -> None:
    """
    The public API refuses the second source's configuration with a 422 naming the route
    alone ("422 on sources"): the error's notes say what was written before it and which of
    the file's objects was refused, at its key, not written.
    """
    text = PIPELINE + (
        '[[sources]]\nname = "crm"\ndefinition = "Postgres"\n[sources.configuration]\n'
        'host = "crm.internal"\nport = "5432"\ndatabase = "crm"\nusername = "reader"\n'
    )
    async with (
        Emulator(airbyte_version="head", record_requests=True) as emu,
        AirbyteClient(emu.url, api="public", env={}) as client,  # type: ignore[arg-type]
    ):
        with pytest.raises(UnprocessableEntityError) as caught:
            await apply(client, loads(for_api("public", text), env=ENV))
        [source] = [s async for s in client.sources.list(workspace_id=emu.workspace_ids[0])]

    assert caught.value.__notes__ == [
        f"written before it: created source shop-postgres ({source.source_id})",
        "the source 'crm' (sources[1]) was not created",
    ]


async def test_a_stream_problem_of_a_source_being_updated_comes_before_any_write(
    client: AirbyteClient, emu: Emulator
) -> None:
    """An existing source whose configuration changes, and a cursor its stream lacks in the
    catalog of the new configuration: SpecError at the stream's key, the source not updated."""
    await apply(client, loads(PIPELINE, env=ENV))
    before = writes(emu)
    last = PIPELINE.rindex('cursor_field = "updated_at"')
    wrong = PIPELINE[:last] + 'cursor_field = "updated"' + PIPELINE[last + 27 :]
    wrong = wrong.replace('database = "shop"', 'database = "shop_v2"')

    with pytest.raises(SpecError) as caught:
        await apply(client, loads(wrong, env=ENV))

    [problem] = caught.value.problems
    assert problem.startswith("connections[0].streams[1]: stream 'public.orders' has no field")
    assert writes(emu) == before


async def test_a_source_update_whose_discovery_fails_is_refused_before_any_write(
    client: AirbyteClient, emu: Emulator
) -> None:
    """A new configuration of a source that a connection reads, whose discovery fails (an
    unresolvable host): SpecError saying so, nothing written."""
    await apply(client, loads(PIPELINE, env=ENV))
    before = writes(emu)
    broken = PIPELINE.replace('host = "db.internal"', 'host = "db.example.invalid"')

    with pytest.raises(SpecError) as caught:
        await apply(client, loads(broken, env=ENV))

    [problem] = caught.value.problems
    assert problem.startswith("connections[0].source: discovering the streams of 'shop-postgres'")
    assert writes(emu) == before


async def test_a_saved_plan_holds_no_secret(client: AirbyteClient) -> None:
    """Values from the environment are saved as the variable's name, never in clear."""
    text = dumps_plan(await plan(client, loads(PIPELINE, env=ENV)))

    assert not any(value in text for value in ENV.values())
    source = json.loads(text)["plan"]["items"][0]["write"]["configuration"]
    assert source["password"]["env"] == "PG_PASSWORD"


async def test_a_secret_written_in_the_file_is_not_saved(client: AirbyteClient) -> None:
    """A literal under a secret-looking key: the plan can be shown but not saved."""
    text = PIPELINE.replace('username = "reader"', 'username = "reader"\ntunnel_password = "pw"')
    planned = await plan(client, loads(text, env=ENV))

    with pytest.raises(SpecError) as caught:
        dumps_plan(planned)

    [problem] = caught.value.problems
    assert problem.startswith("sources[0].configuration.tunnel_password: a secret written")


async def test_a_secret_the_plan_masks_under_a_plain_key_is_not_saved(
    client: AirbyteClient,
) -> None:
    """
    What the plan shows masked, a literal under a secret-looking parent and a URL's password,
    cannot be saved either; an option selector (``auth_type``) beside them can.
    """
    text = PIPELINE.replace(
        'username = "reader"',
        'username = "reader"\n'
        'replica_url = "postgres://reader:hunter2@replica/shop"\n'
        'credentials = { auth_type = "static", value = "s3Secret" }',
    )
    planned = await plan(client, loads(text, env=ENV))

    with pytest.raises(SpecError) as caught:
        dumps_plan(planned)

    assert [p.split(":")[0] for p in caught.value.problems] == [
        "sources[0].configuration.replica_url",
        "sources[0].configuration.credentials.value",
    ]


async def test_a_saved_plan_keeps_a_literal_table_literal(client: AirbyteClient) -> None:
    """A configuration table with an ``env`` key, sent as written, is read back from a saved
    plan as that table, not as a reference."""
    text = with_setting('options = { literal = { env = "prod" } }')

    saved = loads_plan(dumps_plan(await plan(client, loads(text, env=ENV))), env=ENV)

    write = saved.items[0].write
    assert isinstance(write, ActorWrite)
    assert write.configuration["options"] == {"env": "prod"}


async def test_a_default_taken_then_its_variable_set_makes_a_saved_plan_stale(
    client: AirbyteClient,
) -> None:
    """A plan made with a variable unset saves the default it took, and is refused once the
    variable is set: it would no longer send what the environment says."""
    text = with_setting('sslmode = { env = "PG_SSLMODE", default = "require" }')
    saved = dumps_plan(await plan(client, loads(text, env=ENV)))

    source = json.loads(saved)["plan"]["items"][0]["write"]["configuration"]
    assert source["sslmode"] == {"env": "PG_SSLMODE", "default": "require"}
    write = loads_plan(saved, env=ENV).items[0].write
    assert isinstance(write, ActorWrite) and write.configuration["sslmode"] == "require"
    with pytest.raises(StalePlanError) as caught:
        loads_plan(saved, env={**ENV, "PG_SSLMODE": "disable"})
    assert caught.value.problems == (
        "sources[0].configuration.sslmode: PG_SSLMODE is set now; the plan was made with it "
        "unset, taking its default",
    )


async def test_a_secret_default_is_not_saved(client: AirbyteClient) -> None:
    """A default under a secret-looking key is a secret written in the file: not saved, and
    the problem says the default is what is written there, not the reference."""
    text = with_setting('tunnel_password = { env = "TUNNEL_PW", default = "pw" }')
    planned = await plan(client, loads(text, env=ENV))

    with pytest.raises(SpecError) as caught:
        dumps_plan(planned)

    assert caught.value.problems == (
        "sources[0].configuration.tunnel_password: TUNNEL_PW is not set, and its default is a "
        "secret written in the file, which cannot be saved in a plan: set TUNNEL_PW, or drop "
        "the default",
    )


async def test_another_secret_value_makes_a_saved_plan_stale(client: AirbyteClient) -> None:
    """Read back with another value in PG_PASSWORD: StalePlanError at the key."""
    text = dumps_plan(await plan(client, loads(PIPELINE, env=ENV)))

    with pytest.raises(StalePlanError) as caught:
        loads_plan(text, env={**ENV, "PG_PASSWORD": "another"})

    assert caught.value.problems == (
        "sources[0].configuration.password: PG_PASSWORD is not the value the plan was made with",
    )


async def test_a_malformed_saved_plan_names_the_key(client: AirbyteClient) -> None:
    """A saved plan with an item's kind missing: SpecError pointing at that key."""
    data = json.loads(dumps_plan(await plan(client, loads(PIPELINE, env=ENV))))
    del data["plan"]["items"][1]["kind"]

    with pytest.raises(SpecError) as caught:
        loads_plan(json.dumps(data), env=ENV)

    assert caught.value.problems == ("required field missing @ plan.items[1].kind",)


async def test_a_plan_is_saved_in_format_3(client: AirbyteClient) -> None:
    """
    A saved plan says ``airbyte-async-plan/3``: its ``{"env", "default"}`` and ``{"literal"}``
    values would be sent as configuration by a reader of ``/1``, and its items' ``uncompared``
    secrets refused by one of ``/2``; both refuse other formats.
    """
    text = with_setting('sslmode = { env = "PG_SSLMODE", default = "require" }')

    saved = json.loads(dumps_plan(await plan(client, loads(text, env=ENV))))

    assert saved["format"] == "airbyte-async-plan/3"
    assert saved["plan"]["items"][0]["uncompared"] == []


async def test_a_plan_saved_in_format_2_is_still_executed(
    client: AirbyteClient, emu: Emulator
) -> None:
    """A plan saved as ``airbyte-async-plan/2`` (by the previous version: no ``uncompared``
    in its items) is read and executed as it was shown."""
    data = json.loads(dumps_plan(await plan(client, loads(PIPELINE, env=ENV))))
    data["format"] = "airbyte-async-plan/2"
    for item in data["plan"]["items"]:
        del item["uncompared"]

    done = await execute(client, loads_plan(json.dumps(data), env=ENV))

    assert done.summary() == "3 created, 0 updated, 0 unchanged"
    assert writes(emu) == ["sources/create", "destinations/create", "connections/create"]


async def test_a_plan_saved_in_format_1_is_still_executed(
    client: AirbyteClient, emu: Emulator
) -> None:
    """A plan saved as ``airbyte-async-plan/1`` (by the previous version) is read and
    executed as it was shown."""
    data = json.loads(dumps_plan(await plan(client, loads(PIPELINE, env=ENV))))
    data["format"] = "airbyte-async-plan/1"

    done = await execute(client, loads_plan(json.dumps(data), env=ENV))

    assert done.summary() == "3 created, 0 updated, 0 unchanged"
    assert writes(emu) == ["sources/create", "destinations/create", "connections/create"]


@pytest.mark.parametrize("format_", ["airbyte-async-plan/4", 2])
async def test_a_plan_of_a_format_not_read_says_which_are(
    client: AirbyteClient, format_: object
) -> None:
    """A saved plan of another format (a later version's): SpecError naming the formats this
    version reads, before anything is resolved or written."""
    data = json.loads(dumps_plan(await plan(client, loads(PIPELINE, env=ENV))))
    data["format"] = format_

    with pytest.raises(SpecError) as caught:
        loads_plan(json.dumps(data), env=ENV)

    assert caught.value.problems == (
        f"format: {format_!r} is not a format this version of airbyte-async reads "
        "(airbyte-async-plan/1 or airbyte-async-plan/2 or airbyte-async-plan/3): apply it with "
        "the version that saved it, or plan again",
    )


async def test_the_snapshot_keeps_the_catalogs_of_declared_connections_alone(
    client: AirbyteClient,
) -> None:
    """read_snapshot reads every connection of the workspace and keeps the catalogs of those
    the spec declares only: a workspace's catalogs are most of its listing, and the other
    connections are only named in warnings."""
    spec = loads(PIPELINE, env=ENV)
    ids = {item.kind: item.id or "" for item in (await apply(client, spec)).items}
    declared = await client.connections.get(connection_id=ids["connection"])
    other = await client.connections.create(
        source_id=ids["source"],
        destination_id=ids["destination"],
        name="shop-to-lake-copy",
        sync_catalog=declared.sync_catalog,
    )
    assert other.sync_catalog.streams

    snapshot = await read_snapshot(client, spec)

    by_id = {c.connection_id: c for c in snapshot.connections}
    assert by_id.keys() == {declared.connection_id, other.connection_id}
    assert by_id[declared.connection_id] == declared
    assert not by_id[other.connection_id].sync_catalog.streams
    assert make_plan(spec, snapshot).summary() == "0 to create, 0 to update, 3 unchanged"


async def test_the_snapshot_is_read_once(client: AirbyteClient, emu: Emulator) -> None:
    """read_snapshot: each kind listed once, each source discovered once, nothing written."""
    await read_snapshot(client, loads(PIPELINE, env=ENV))

    assert [reads(emu, f"{k}/list") for k in ("sources", "destinations", "connections")] == [
        1,
        1,
        1,
    ]
    assert writes(emu) == []


# -- from a shell ---------------------------------------------------------------------------


@pytest.fixture
def shell(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> Iterator[tuple[Emulator, Run]]:
    """An emulator served from a thread, and ``run(*argv)``: main's status, stdout, stderr
    (``run(*argv, faults=[...])`` sets the emulator's faults first)."""
    with cli_shell(
        tmp_path, monkeypatch, capsys, pipeline=PIPELINE, env=ENV, record_requests=True
    ) as made:
        yield made


def test_plan_saves_and_apply_executes_it(
    shell: tuple[Emulator, Run],
) -> None:
    """plan -o writes a plan without secrets; apply PLAN.json creates what it showed."""
    emu, run = shell
    code, shown, _ = run("plan", "pipeline.toml", "-o", "plan.json")
    assert code == 0
    assert not any(value in Path("plan.json").read_text() for value in ENV.values())
    assert writes(emu) == []

    code, out, _ = run("apply", "plan.json")

    assert code == 0
    assert out.startswith(shown.splitlines()[0])
    assert "plan: 3 to create, 0 to update, 0 unchanged" in out
    assert out.rstrip().endswith("applied: 3 created, 0 updated, 0 unchanged")
    assert writes(emu) == ["sources/create", "destinations/create", "connections/create"]


def test_apply_refuses_a_stale_plan_with_exit_2(
    shell: tuple[Emulator, Run],
) -> None:
    """A plan made before another apply changed its objects: exit 2, nothing written."""
    emu, run = shell
    assert run("plan", "pipeline.toml", "-o", "plan.json")[0] == 0
    assert run("apply", "pipeline.toml")[0] == 0
    emu.reset_stats()

    code, _, err = run("apply", "plan.json")

    assert code == 2
    assert (
        "plan.json: sources[0]: the source 'shop-postgres' changed since the plan was made" in err
    )
    assert writes(emu) == []


def test_apply_stopped_partway_prints_what_it_wrote(
    shell: tuple[Emulator, Run],
) -> None:
    """The destination's create answered by a 500: stderr names the error, the destination
    that may exist and the source written before it; exit 2."""
    _, run = shell
    lost = {"kind": "error", "status": 500, "route": "destinations/create", "times": 1}

    code, _, err = run("apply", "pipeline.toml", faults=[lost])

    assert code == 2
    lines = err.splitlines()
    assert lines[0].startswith("airbyte-async: ServerError: ")
    assert lines[1] == (
        "airbyte-async: the destination 'lake' may have been created (the answer was lost) but "
        "was not found by its name: look for it before creating it again"
    )
    assert lines[2].startswith("airbyte-async: written before it: created source shop-postgres (")


def test_plan_help_shows_examples(capsys: pytest.CaptureFixture[str]) -> None:
    """plan --help ends with examples of itself, saving with -o among them."""
    with pytest.raises(SystemExit) as exited:
        main(["plan", "--help"])

    assert exited.value.code == 0
    assert "airbyte-async plan pipeline.toml -o plan.json" in capsys.readouterr().out


def test_a_plan_that_cannot_be_written_is_exit_2(
    shell: tuple[Emulator, Run],
) -> None:
    """plan -o into a missing folder: the plan is shown, the error names the path, exit 2."""
    _, run = shell

    code, out, err = run("plan", "pipeline.toml", "-o", "missing/plan.json")

    assert code == 2
    assert "plan: 3 to create" in out
    assert (
        err
        == "airbyte-async: missing/plan.json: cannot write the plan: No such file or directory\n"
    )


# -- the public API --------------------------------------------------------------------------

POSTGRES_ID = "decd338e-5647-4c0b-adf4-da0e75f5a750"
S3_ID = "4816b78f-1489-44c1-9060-4b19d5fa9362"
CRON = '{ cron = "0 0 */6 * * ?" }'


@asynccontextmanager
async def applied(api: str, text: str) -> AsyncIterator[tuple[Emulator, AirbyteClient]]:
    """A head emulator recording requests, a client of *api* on it, and *text* applied there."""
    async with (
        Emulator(airbyte_version="head", record_requests=True) as emu,
        AirbyteClient(emu.url, api=api, env={}) as client,  # type: ignore[arg-type]
    ):
        await apply(client, loads(text, env=ENV))
        yield emu, client


def for_api(
    api: str, text: str = PIPELINE, *, source: str = "Postgres", source_id: str = POSTGRES_ID
) -> str:
    """*text* as the public API takes it (definitions by id, a cron) when *api* is public."""
    if api != "public":
        return text
    text = text.replace(f'"{source}"', f'"{source_id}"').replace('"S3"', f'"{S3_ID}"')
    return text.replace('{ every = 6, unit = "hours" }', CRON)


async def test_apply_works_on_the_public_api_with_definition_ids() -> None:
    """On the public API (Airbyte Cloud), which has no connector definitions to read, a file
    naming definitions by id is applied as on the Config API, and a second run is a no-op."""
    spec = loads(for_api("public"), env=ENV)
    async with (
        Emulator(airbyte_version="head") as emu,
        AirbyteClient(emu.url, api="public", env={}) as client,
    ):
        first = await apply(client, spec)
        again = await apply(client, spec)
        connection = await client.connections.get(connection_id=first.items[2].id or "")

    assert first.summary() == "3 created, 0 updated, 0 unchanged"
    assert not again.changes_anything
    assert {s.stream.name for s in connection.sync_catalog.selected} == {"customers", "orders"}


@pytest.mark.parametrize("api", ["config", "public"])
async def test_one_file_naming_definitions_by_name_applies_on_either_api(api: str) -> None:
    """A file naming its definitions by name (and a cron schedule) is applied alike on both
    APIs: the public API finds them in the workspace's listing (``GET
    /workspaces/{id}/definitions/sources``, public-api-head.yaml ``listSourceDefinitions``),
    and a second run is a no-op."""
    spec = loads(PIPELINE.replace('{ every = 6, unit = "hours" }', CRON), env=ENV)
    async with (
        Emulator(airbyte_version="head") as emu,
        AirbyteClient(emu.url, api=api, env={}) as client,  # type: ignore[arg-type]
    ):
        first = await apply(client, spec)
        again = await apply(client, spec)
        source = await client.sources.get(source_id=first.items[0].id or "")
        destination = await client.destinations.get(destination_id=first.items[1].id or "")

    assert first.summary() == "3 created, 0 updated, 0 unchanged"
    assert not again.changes_anything
    assert (source.definition_id, destination.definition_id) == (POSTGRES_ID, S3_ID)


async def test_a_definition_id_on_the_public_api_is_planned_under_its_name() -> None:
    """A definition given by id on the public API shows in the plan under the name the
    workspace's listing gives it, as on the Config API."""
    async with (
        Emulator(airbyte_version="head") as emu,
        AirbyteClient(emu.url, api="public", env={}) as client,
    ):
        planned = await plan(client, loads(for_api("public"), env=ENV))

    assert "+ create     source       shop-postgres (Postgres)" in planned.render()
    assert "+ create     destination  lake (S3)" in planned.render()


async def test_an_unknown_definition_name_on_the_public_api_is_a_spec_error() -> None:
    """A definition name the public API's workspace listing lacks: a SpecError at its key
    with the close names, before any write."""
    text = PIPELINE.replace('"Postgres"', '"Postgress"').replace(
        '{ every = 6, unit = "hours" }', CRON
    )
    assert await _public_problems_unwritten(text) == (
        "sources[0].definition: no source definition matches 'Postgress'; close: Postgres, Stripe",
    )


async def _public_problems_unwritten(text: str) -> tuple[str, ...]:
    """The problems of the SpecError applying *text* on head's public API raises, once it
    is checked that nothing was written."""
    async with (
        Emulator(airbyte_version="head", record_requests=True) as emu,
        AirbyteClient(emu.url, api="public", env={}) as client,
    ):
        with pytest.raises(SpecError) as caught:
            await apply(client, loads(text, env=ENV))
    assert [r for r in emu.requests if r.method != "GET"] == []
    return caught.value.problems


async def test_an_ambiguous_definition_name_on_the_public_api_is_a_spec_error() -> None:
    """A name that several of the workspace's definitions contain and none is: a SpecError
    at its key naming each, before any write."""
    text = PIPELINE.replace('"S3"', '"3"').replace('{ every = 6, unit = "hours" }', CRON)
    assert await _public_problems_unwritten(text) == (
        "destinations[0].definition: 2 destination definitions match '3': S3, S3 Glue",
    )


async def test_several_public_workspaces_and_none_named_is_a_spec_error() -> None:
    """On the public API, which designates no default workspace, a file naming none applied
    where several are listed: a SpecError at ``workspace`` naming each and the ways to name
    one, before any write."""
    text = PIPELINE.replace('{ every = 6, unit = "hours" }', CRON)
    async with (
        Emulator(airbyte_version="head", workspaces=2, record_requests=True) as emu,
        AirbyteClient(emu.url, api="public", env={}) as client,
    ):
        with pytest.raises(SpecError) as caught:
            await apply(client, loads(text, env=ENV))

    [problem] = caught.value.problems
    assert problem.startswith("workspace: 2 workspaces are listed and the public API ")
    assert all(workspace_id in problem for workspace_id in emu.workspace_ids)
    assert problem.endswith(
        '(workspace_id=...; --workspace ID on the command line), or workspace = "<id>" in the file'
    )
    assert [r for r in emu.requests if r.method != "GET"] == []


def test_the_cli_applies_a_file_naming_definitions_on_the_public_api(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """``apply FILE --api public`` with definitions named by name creates the three objects,
    shown under their definitions' names, and a second run has nothing to do."""
    text = PIPELINE.replace('{ every = 6, unit = "hours" }', CRON)
    with cli_shell(
        tmp_path, monkeypatch, capsys, pipeline=text, env=ENV, airbyte_version="head"
    ) as (_, run):
        code, out, err = run("apply", "pipeline.toml", "--api", "public")
        again, repeated, _ = run("apply", "pipeline.toml", "--api", "public")

    assert (code, err) == (0, "")
    assert "+ create     source       shop-postgres (Postgres)" in out
    assert out.rstrip().endswith("applied: 3 created, 0 updated, 0 unchanged")
    assert again == 0
    assert "plan: 0 to create, 0 to update, 3 unchanged" in repeated


def test_the_cli_names_the_workspaces_when_the_public_api_has_several(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """``apply FILE --api public`` without ``--workspace`` where several workspaces are
    listed: exit 2, the error naming them and how to name one; ``--workspace`` applies."""
    text = PIPELINE.replace('{ every = 6, unit = "hours" }', CRON)
    with cli_shell(
        tmp_path, monkeypatch, capsys, pipeline=text, env=ENV, airbyte_version="head", workspaces=2
    ) as (emu, run):
        code, out, err = run("apply", "pipeline.toml", "--api", "public")
        chosen = emu.workspace_ids[1]
        named = run("apply", "pipeline.toml", "--api", "public", "--workspace", chosen)

    assert (code, out) == (2, "")
    assert err.startswith("airbyte-async: pipeline.toml: workspace: 2 workspaces are listed")
    assert "--workspace ID" in err
    assert named[0] == 0
    assert named[1].startswith(f"workspace {chosen}")


async def test_an_every_n_schedule_on_the_public_api_is_a_problem_before_any_write() -> None:
    """The public API takes cron schedules only: an every-N one is reported at its key when
    planning, not found out once the sources exist."""
    text = PIPELINE.replace('"Postgres"', f'"{POSTGRES_ID}"').replace('"S3"', f'"{S3_ID}"')
    async with (
        Emulator(airbyte_version="head", record_requests=True) as emu,
        AirbyteClient(emu.url, api="public", env={}) as client,
    ):
        with pytest.raises(SpecError) as caught:
            await apply(client, loads(text, env=ENV))

    assert caught.value.problems[0].startswith("connections[0].schedule: the public API takes")
    assert [r for r in emu.requests if r.method != "GET"] == []


async def test_a_cron_in_another_zone_on_the_public_api_is_a_problem_before_any_write() -> None:
    """The public API runs crons in UTC only: a file's zone is reported at its key when
    planning, not found out once the sources exist."""
    text = PIPELINE.replace('"Postgres"', f'"{POSTGRES_ID}"').replace('"S3"', f'"{S3_ID}"')
    zoned = '{ cron = "0 0 6 * * ?", timezone = "Europe/Berlin" }'
    async with (
        Emulator(airbyte_version="head", record_requests=True) as emu,
        AirbyteClient(emu.url, api="public", env={}) as client,
    ):
        with pytest.raises(SpecError) as caught:
            await apply(
                client, loads(text.replace('{ every = 6, unit = "hours" }', zoned), env=ENV)
            )

    assert caught.value.problems == (
        "connections[0].schedule: the public API runs cron schedules in UTC only, not "
        "Europe/Berlin: give the expression in UTC",
    )
    assert [r for r in emu.requests if r.method != "GET"] == []


async def test_a_cron_in_an_etc_zone_is_a_problem_before_any_write() -> None:
    """Airbyte refuses every ``Etc/`` zone (ConnectionScheduleHelper, 0.40 on: "Etc/ timezones
    are unsupported"; airbytehq/airbyte-platform @10385af8 ``ConnectionScheduleHelper.kt``):
    one in a file is reported at its key when planning, not once the sources exist."""
    zoned = '{ cron = "0 0 6 * * ?", timezone = "Etc/GMT+5" }'
    text = PIPELINE.replace('{ every = 6, unit = "hours" }', zoned)
    async with (
        Emulator(airbyte_version="0.50", record_requests=True) as emu,
        AirbyteClient(emu.url, env={}) as client,
    ):
        with pytest.raises(SpecError) as caught:
            await apply(client, loads(text, env=ENV))

    assert caught.value.problems == (
        "connections[0].schedule: Airbyte takes no Etc/ time zone, not 'Etc/GMT+5': name it "
        "UTC, a fixed offset (-05:00) or a place's zone (Europe/Paris)",
    )
    assert [r for r in emu.requests if r.method != "GET"] == []


@pytest.mark.parametrize("api", ["config", "public"])
async def test_a_write_mode_the_destination_lacks_is_a_problem_before_any_write(
    api: str,
) -> None:
    """
    A stream asking an existing destination for a write mode it does not offer (S3 has no
    append_dedup) is reported at its key when planning, with what the destination can take,
    rather than refused by the server once the other objects are written (the public API's
    ``GET /streams`` with a ``destinationId``; the Config API's destination definition
    specification).
    """
    text = for_api(api)
    async with applied(api, text) as (emu, client):
        before = changes(emu)
        last = text.rindex('destination_sync_mode = "append"')
        deduped = text[:last] + 'destination_sync_mode = "append_dedup"\nprimary_key = "id"\n'
        with pytest.raises(SpecError) as caught:
            await plan(client, loads(deduped, env=ENV))

    [problem] = caught.value.problems
    assert re.match(
        r"connections\[0\]\.streams\[1\]: destination 'lake' cannot take stream "
        r"'(public\.)?orders' as incremental/append_dedup \(it can: ",
        problem,
    )
    assert "incremental/append)" in problem or "incremental/append," in problem
    assert changes(emu) == before


def _deduped(text: str) -> str:
    """*text* with its last stream (orders) written append_dedup, which S3 does not offer."""
    last = text.rindex('destination_sync_mode = "append"')
    return text[:last] + 'destination_sync_mode = "append_dedup"\nprimary_key = "id"\n'


async def test_a_write_mode_a_destination_to_create_lacks_is_a_problem_before_any_write() -> None:
    """
    On the Config API, a stream asking a destination the plan creates for a write mode its
    definition does not offer (S3: append and overwrite) is reported when planning, nothing
    written: the server would store the connection all the same (``ConnectionsHandler
    .createConnection`` checks no write mode, airbyte-platform), leaving a first apply that
    "works", syncs that fail, and a second apply that reports the problem.
    """
    async with (
        Emulator(airbyte_version="head", record_requests=True) as emu,
        AirbyteClient(emu.url, api="config", env={}) as client,
    ):
        with pytest.raises(SpecError) as caught:
            await apply(client, loads(_deduped(PIPELINE), env=ENV))

    [problem] = caught.value.problems
    assert problem.startswith(
        "connections[0].streams[1]: destination 'lake' cannot take stream 'public.orders' as "
        "incremental/append_dedup (it can: "
    )
    assert changes(emu) == []


async def test_a_write_mode_is_checked_when_the_plan_writes_the_source_too() -> None:
    """
    On the Config API, a stream's write mode is checked against an existing destination also
    when the plan updates the connection's source (its catalog discovered from the new
    configuration), nothing written.
    """
    async with applied("config", PIPELINE) as (emu, client):
        before = changes(emu)
        moved = _deduped(PIPELINE).replace('host = "db.internal"', 'host = "db2.internal"')
        with pytest.raises(SpecError) as caught:
            await apply(client, loads(moved, env=ENV))

    [problem] = caught.value.problems
    assert problem.startswith(
        "connections[0].streams[1]: destination 'lake' cannot take stream 'public.orders' as "
        "incremental/append_dedup (it can: "
    )
    assert changes(emu) == before


@pytest.mark.parametrize("api", ["config", "public"])
async def test_a_cursor_the_stream_lacks_is_a_problem_before_any_write(api: str) -> None:
    """
    A cursor_field the stream does not have is reported at its key when planning, with the
    stream's fields, on either API: the public API's ``GET /streams`` names them
    (``propertyFields``, public-api-head.yaml ``StreamProperties``) where the Config API sends
    the JSON schema.
    """
    text = for_api(api)
    async with applied(api, text) as (emu, client):
        before = changes(emu)
        last = text.rindex('cursor_field = "updated_at"')
        wrong = text[:last] + 'cursor_field = "updated"' + text[last + 27 :]
        with pytest.raises(SpecError) as caught:
            await apply(client, loads(wrong, env=ENV))

    [problem] = caught.value.problems
    assert re.fullmatch(
        r"connections\[0\]\.streams\[1\]: stream '(public\.)?orders' has no field 'updated' "
        r"for its cursor_field \(its fields: amount, customer_id, id, status, updated_at\)",
        problem,
    )
    assert changes(emu) == before


async def test_configuration_and_stream_problems_are_reported_together() -> None:
    """
    A destination configuration its specification refuses and a cursor its stream lacks (its
    source on the server and unchanged): both problems in one SpecError, nothing written, not
    the second only once the first is fixed.
    """
    async with applied("config", PIPELINE) as (emu, client):
        before = changes(emu)
        last = PIPELINE.rindex('cursor_field = "updated_at"')
        wrong = PIPELINE[:last] + 'cursor_field = "updated"' + PIPELINE[last + 27 :]
        wrong = wrong.replace('format_type = "Parquet"', 'format_type = "Parquett"')
        with pytest.raises(SpecError) as caught:
            await apply(client, loads(wrong, env=ENV))

    assert [p.split(":")[0] for p in caught.value.problems] == [
        "destinations[0].configuration.format",
        "connections[0].streams[1]",
    ]
    assert changes(emu) == before


async def test_a_stream_problem_is_reported_beside_a_problem_of_another_source() -> None:
    """A second source whose definition does not resolve does not hide the stream problem of
    a connection whose own source and destination are fine."""
    async with applied("config", PIPELINE) as (_, client):
        last = PIPELINE.rindex('cursor_field = "updated_at"')
        wrong = PIPELINE[:last] + 'cursor_field = "updated"' + PIPELINE[last + 27 :]
        wrong += '\n[[sources]]\nname = "other"\ndefinition = "Nope"\nconfiguration = {}\n'
        with pytest.raises(SpecError) as caught:
            await plan(client, loads(wrong, env=ENV))

    assert [p.split(":")[0] for p in caught.value.problems] == [
        "sources[1].definition",
        "connections[0].streams[1]",
    ]


@pytest.mark.parametrize("api", ["config", "public"])
async def test_a_primary_key_the_stream_lacks_is_a_problem_before_any_write(api: str) -> None:
    """A primary_key part that a stream without a key of its own (MySQL's audit_log) does
    not have: the same, on either API."""
    mysql = "435bb9a5-7887-4809-aa58-28c27df0d7ad"
    text = for_api(api, PIPELINE.replace('"Postgres"', '"MySQL"'), source="MySQL", source_id=mysql)
    async with applied(api, text) as (emu, client):
        before = changes(emu)
        keyed = (
            text + '\n[[connections.streams]]\nname = "audit_log"\nprimary_key = ["event", "day"]\n'
        )
        with pytest.raises(SpecError) as caught:
            await apply(client, loads(keyed, env=ENV))

    assert caught.value.problems == (
        "connections[0].streams[2]: stream 'shop.audit_log' has no field 'day' for its "
        "primary_key (its fields: detail, event, logged_at)",
    )
    assert changes(emu) == before


# -- values from the environment, typed -----------------------------------------------------


async def test_a_value_from_the_environment_takes_the_type_the_specification_declares(
    client: AirbyteClient,
) -> None:
    """
    On the Config API, ``port = { env = "PG_PORT" }`` is sent as the integer the Postgres
    specification declares (source_definition_specifications/get), not as the string the
    environment holds, which the server refuses (API-FACTS: 422 "does not fulfill the
    specification"); a second run finds it unchanged.
    """
    spec = loads(with_port('{ env = "PG_PORT" }'), env={**ENV, "PG_PORT": "5432"})

    await _sends_port_5432_then_finds_it_unchanged(client, spec)


async def _sends_port_5432_then_finds_it_unchanged(client: AirbyteClient, spec: Spec) -> None:
    """Apply *spec*: its source is written with the integer port 5432, and a second plan finds
    nothing to change."""
    done = await apply(client, spec)
    again = await plan(client, spec)

    source = await client.sources.get(source_id=done.items[0].id or "")
    assert source.configuration["port"] == 5432
    assert not again.changes_anything


async def test_a_value_not_of_the_declared_type_is_a_problem_at_its_key(
    client: AirbyteClient, emu: Emulator
) -> None:
    """
    A variable whose text is not of the type the specification declares is a SpecError at
    its key naming the variable, before any write, and never showing the value.
    """
    spec = loads(with_port('{ env = "PG_PORT" }'), env={**ENV, "PG_PORT": "5432/tcp"})

    with pytest.raises(SpecError) as caught:
        await apply(client, spec)

    assert caught.value.problems == (
        "sources[0].configuration.port: PG_PORT does not hold an integer, the type the Postgres "
        "specification declares, and the only one it takes there",
    )
    assert "5432/tcp" not in str(caught.value)
    assert writes(emu) == []


async def test_a_default_takes_the_type_the_specification_declares(
    client: AirbyteClient,
) -> None:
    """
    ``port = { env = "PG_PORT", default = "5432" }`` with PG_PORT unset sends the integer the
    Postgres specification declares (source_definition_specifications/get), as the variable's
    value would be; a second run finds it unchanged.
    """
    spec = loads(with_port('{ env = "PG_PORT", default = "5432" }'), env=ENV)

    await _sends_port_5432_then_finds_it_unchanged(client, spec)


async def test_a_default_not_of_the_declared_type_is_a_problem_at_its_key(
    client: AirbyteClient, emu: Emulator
) -> None:
    """A default whose text is not of the type the specification declares: one problem at its
    key naming the variable, before any write."""
    spec = loads(with_port('{ env = "PG_PORT", default = "eighty" }'), env=ENV)

    with pytest.raises(SpecError) as caught:
        await apply(client, spec)

    assert caught.value.problems == (
        "sources[0].configuration.port: the default of PG_PORT (not set) does not hold an "
        "integer, the type the Postgres specification declares, and the only one it takes there",
    )
    assert writes(emu) == []


async def test_a_saved_plan_sends_a_default_as_converted(client: AirbyteClient) -> None:
    """A default converted to its declared type is saved converted, and sent so."""
    spec = loads(with_port('{ env = "PG_PORT", default = "5432" }'), env=ENV)
    saved = dumps_plan(await plan(client, spec))

    port = json.loads(saved)["plan"]["items"][0]["write"]["configuration"]["port"]
    assert port == {"env": "PG_PORT", "default": 5432}
    done = await execute(client, loads_plan(saved, env=ENV))
    source = await client.sources.get(source_id=done.items[0].id or "")
    assert source.configuration["port"] == 5432


async def test_a_reference_s_type_converts_its_value_on_the_public_api() -> None:
    """
    On the public API, which serves no specifications, ``{ env = "PG_PORT", type = "integer" }``
    sends the integer the server's validation wants (API-FACTS: 422 "does not fulfill the
    specification" otherwise).
    """
    text = with_port('{ env = "PG_PORT", type = "integer" }').replace(
        '"Postgres"', f'"{POSTGRES_ID}"'
    )
    text = text.replace('"S3"', f'"{S3_ID}"').replace('{ every = 6, unit = "hours" }', CRON)
    spec = loads(text, env={**ENV, "PG_PORT": "5432"})
    async with (
        Emulator(airbyte_version="head") as emu,
        AirbyteClient(emu.url, api="public", env={}) as client,
    ):
        done = await apply(client, spec)
        source = await client.sources.get(source_id=done.items[0].id or "")

    assert source.configuration["port"] == 5432


@pytest.mark.parametrize(
    ("kind", "given", "sent"),
    [
        ("integer", " 42 ", 42),
        ("integer", "-7", -7),
        ("number", "2.5", 2.5),
        ("number", "3", 3),
        ("number", "1e3", 1000.0),
        ("boolean", "TRUE", True),
        ("boolean", "false", False),
        ("string", "007", "007"),
    ],
)
def test_a_reference_s_type_converts_the_variable_s_text(kind: str, given: str, sent: Any) -> None:
    """``type = ...`` turns the variable's text into that JSON type."""
    text = with_setting(f'value = {{ env = "VALUE", type = "{kind}" }}')

    [source] = loads(text, env={**ENV, "VALUE": given}).sources

    assert source.configuration["value"] == sent
    assert type(source.configuration["value"]) is type(sent)


@pytest.mark.parametrize(
    ("kind", "given"),
    [
        ("integer", "4.0"),
        ("integer", "1_000"),
        ("number", "nan"),
        ("number", "inf"),
        ("boolean", "yes"),
        ("boolean", "1"),
    ],
)
def test_a_variable_not_of_its_reference_s_type_is_a_problem_at_its_key(
    kind: str, given: str
) -> None:
    """Text that does not read as the reference's type: a problem at its key naming the
    variable and the type, not the value."""
    text = with_setting(f'value = {{ env = "VALUE", type = "{kind}" }}')

    [problem] = problems(text, env={**ENV, "VALUE": given})

    assert problem.startswith("sources[0].configuration.value: VALUE does not hold ")
    assert problem.endswith(f"(type = {kind!r})")
    assert given not in problem


async def test_a_saved_plan_converts_a_value_from_the_environment_as_planned(
    client: AirbyteClient, emu: Emulator
) -> None:
    """
    A value from the environment converted by the specification's type is saved with that
    type, read again from the environment and converted alike, so the saved plan sends the
    integer it showed.
    """
    spec = loads(with_port('{ env = "PG_PORT" }'), env={**ENV, "PG_PORT": "5432"})
    saved = dumps_plan(await plan(client, spec))

    port = json.loads(saved)["plan"]["items"][0]["write"]["configuration"]["port"]
    assert set(port) == {"env", "scrypt", "type"}
    assert port["type"] == "integer"
    done = await execute(client, loads_plan(saved, env={**ENV, "PG_PORT": "5432"}))
    source = await client.sources.get(source_id=done.items[0].id or "")
    assert source.configuration["port"] == 5432


@pytest.mark.parametrize("now", ["5433", "port"])
async def test_a_typed_variable_that_changed_makes_a_saved_plan_stale(
    client: AirbyteClient, now: str
) -> None:
    """A typed variable holding another value, or one not of its type, when a saved plan is
    read back: StalePlanError at its key."""
    spec = loads(with_port('{ env = "PG_PORT" }'), env={**ENV, "PG_PORT": "5432"})
    saved = dumps_plan(await plan(client, spec))

    with pytest.raises(StalePlanError) as caught:
        loads_plan(saved, env={**ENV, "PG_PORT": now})

    assert caught.value.problems == (
        "sources[0].configuration.port: PG_PORT is not the value the plan was made with",
    )


def test_the_types_a_specification_declares_are_read_where_they_are_unambiguous() -> None:
    """
    declared_types: a nullable integer is an integer, list items and oneOf options are looked
    into (the SSH tunnel options database connectors share, ``ssh-tunnel-spec.json``, each
    declare ``tunnel_port`` an integer), integer beside number is a number, and a field that
    is a string anywhere is left out (its text is sent as is).
    """
    schema = {
        "properties": {
            "port": {"type": ["null", "integer"]},
            "ids": {"type": "array", "items": {"type": "integer"}},
            "ratio": {"anyOf": [{"type": "integer"}, {"type": "number"}]},
            "flag": {"type": "boolean"},
            "mixed": {"oneOf": [{"type": "integer"}, {"type": "string"}]},
            "tunnel_method": {
                "oneOf": [
                    {"properties": {"tunnel_port": {"type": "integer"}}},
                    {"properties": {"tunnel_port": {"type": "integer"}}},
                ]
            },
        }
    }

    assert declared_types(schema) == {
        "configuration.port": "integer",
        "configuration.ids[]": "integer",
        "configuration.ratio": "number",
        "configuration.flag": "boolean",
        "configuration.tunnel_method.tunnel_port": "integer",
    }


# -- configurations against their connector's specification ---------------------------------

SECOND_DESTINATION = """
[[destinations]]
name = "archive"
definition = "S3"
[destinations.configuration]
s3_bucket_name = 5
s3_bucket_path = "shop"
s3_bucket_region = "us-east-1"
format = { format_type = "Parquet" }
"""


async def test_a_configuration_the_specification_refuses_is_caught_before_any_write(
    client: AirbyteClient, emu: Emulator
) -> None:
    """
    A second destination whose s3_bucket_name is an integer: a SpecError at its key before
    anything is written, where the server would refuse it (422, API-FACTS 2.4) after the
    source and the first destination were written.
    """
    text = PIPELINE.replace("[[connections]]", SECOND_DESTINATION + "\n[[connections]]", 1)

    with pytest.raises(SpecError) as caught:
        await apply(client, loads(text, env=ENV))

    assert caught.value.problems == (
        "destinations[1].configuration.s3_bucket_name: the S3 specification wants a string, "
        "not an integer",
    )
    assert writes(emu) == []


REGIONS = (
    '"", "us-east-1", "us-east-2", "us-west-1", "us-west-2", "af-south-1", "ap-east-1", '
    '"ap-south-1", ... (26 in all)'
)


@pytest.mark.parametrize(
    ("old", "new", "problem"),
    [
        (
            "port = 5432",
            'port = "5432"',
            "sources[0].configuration.port: the Postgres specification wants an integer, "
            "not a string",
        ),
        (
            'host = "db.internal"',
            "",
            "sources[0].configuration.host: missing; the Postgres specification requires it",
        ),
        (
            "port = 5432",
            "port = 70000",
            "sources[0].configuration.port: the Postgres specification wants a number no "
            "greater than 65536",
        ),
        (
            's3_bucket_region = "us-east-1"',
            's3_bucket_region = "us-east-7"',
            "destinations[0].configuration.s3_bucket_region: the S3 specification allows only "
            + REGIONS,
        ),
        (
            'username = "reader"',
            'username = "reader"\nssl_mode = { mode = "verify_ca" }',
            "sources[0].configuration.ssl_mode: fits none of the options the Postgres "
            "specification offers: disable, allow, prefer, require, verify-ca, verify-full "
            "(told apart by mode)",
        ),
        (
            'username = "reader"',
            'username = "reader"\nssl_mode = { mode = "verify-ca" }',
            "sources[0].configuration.ssl_mode.ca_certificate: missing; the Postgres "
            "specification (its 'verify-ca' option) requires it",
        ),
        (
            'format = { format_type = "Parquet" }',
            'format = { format_type = "Parquet", block_size_mb = "128" }',
            "destinations[0].configuration.format.block_size_mb: the S3 specification (its "
            "'Parquet' option) wants an integer, not a string",
        ),
        (
            'format = { format_type = "Parquet" }',
            'format = { format_type = "Parquet", compression_codec = "snappy" }',
            "destinations[0].configuration.format.compression_codec: the S3 specification (its "
            '\'Parquet\' option) allows only "UNCOMPRESSED", "SNAPPY", "GZIP", "LZO", "BROTLI", '
            '"LZ4", "ZSTD"',
        ),
        (
            'username = "reader"',
            'username = "reader"\nschemas = ["public", 5]',
            "sources[0].configuration.schemas[1]: the Postgres specification wants a string, "
            "not an integer",
        ),
        (
            'username = "reader"',
            'username = "reader"\nschemas = ["public", "sales", "public"]',
            "sources[0].configuration.schemas: items [0] and [2] are the same; the Postgres "
            "specification wants each item once",
        ),
    ],
)
async def test_a_configuration_is_checked_against_its_specification(
    client: AirbyteClient, emu: Emulator, old: str, new: str, problem: str
) -> None:
    """
    Types, required fields, enum values, oneOf options (the option a value's selector picks,
    or all of them named when it picks none), unique list items, nested objects and list items
    are checked against the connectionSpecification (source-postgres, destination-s3
    spec.json), each problem at its key naming what the specification wants, before any write.
    """
    text = PIPELINE.replace(old, new, 1)

    with pytest.raises(SpecError) as caught:
        await apply(client, loads(text, env=ENV))

    assert caught.value.problems == (problem,)
    assert writes(emu) == []


STRIPE_SOURCE = """
[[sources]]
name = "billing"
definition = "Stripe"
[sources.configuration]
account_id = "acct_1"
client_secret = { env = "STRIPE_KEY" }
start_date = { env = "STRIPE_START" }

[[destinations]]"""


async def test_a_value_the_specifications_pattern_does_not_find_is_caught_before_any_write(
    client: AirbyteClient, emu: Emulator
) -> None:
    """
    A Stripe start_date (from the environment) that source-stripe's pattern does not find:
    the plan names the key and the pattern, never the value, and nothing is written, where the
    server would refuse the source with 422 (networknt PatternValidator; API-FACTS 2.3) after
    the Postgres source was written.
    """
    text = PIPELINE.replace("\n[[destinations]]", STRIPE_SOURCE, 1)
    env = {**ENV, "STRIPE_KEY": "sk_live_1", "STRIPE_START": "2017-01-25"}

    with pytest.raises(SpecError) as caught:
        await apply(client, loads(text, env=env))

    assert caught.value.problems == (
        "sources[1].configuration.start_date: does not match the pattern "
        "^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}Z$ that the Stripe "
        "specification sets",
    )
    assert "2017-01-25" not in str(caught.value)
    assert writes(emu) == []


async def test_a_start_date_on_no_calendar_day_is_caught_before_any_write(
    client: AirbyteClient, emu: Emulator
) -> None:
    """
    A Stripe start_date that fits source-stripe's pattern but is no date-time (February 30):
    the server would refuse the source with 422 (its spec.yaml sets ``format: date-time``,
    which networknt 1.4.0 asserts under draft 7: BaseFormatJsonValidator, DateTimeValidator;
    API-FACTS 2.3) after the Postgres source was written. The plan names the key and what the
    specification wants, never the value, and nothing is written.
    """
    text = PIPELINE.replace("\n[[destinations]]", STRIPE_SOURCE, 1)
    env = {**ENV, "STRIPE_KEY": "sk_live_1", "STRIPE_START": "2017-02-30T00:00:00Z"}

    with pytest.raises(SpecError) as caught:
        await apply(client, loads(text, env=env))

    assert caught.value.problems == (
        "sources[1].configuration.start_date: the Stripe specification wants an RFC 3339 "
        "date-time with its offset, such as 2024-01-31T00:00:00Z",
    )
    assert "2017-02-30" not in str(caught.value)
    assert writes(emu) == []


async def test_every_configuration_problem_is_reported_together(client: AirbyteClient) -> None:
    """Problems in a source and a destination come in one SpecError, in file order."""
    text = PIPELINE.replace("port = 5432", 'port = "5432"').replace(
        's3_bucket_region = "us-east-1"', 's3_bucket_region = "mars"'
    )

    with pytest.raises(SpecError) as caught:
        await plan(client, loads(text, env=ENV))

    assert [p.split(":")[0] for p in caught.value.problems] == [
        "sources[0].configuration.port",
        "destinations[0].configuration.s3_bucket_region",
    ]


async def test_a_value_from_the_environment_is_checked_after_its_conversion(
    client: AirbyteClient, emu: Emulator
) -> None:
    """
    ``{ env = ..., type = "integer" }`` for a field the specification wants a string: the
    converted integer is refused at its key, and the value (from the environment, so a
    possible secret) is never shown.
    """
    text = PIPELINE.replace(
        'password = { env = "PG_PASSWORD" }', 'password = { env = "PG_PIN", type = "integer" }'
    )

    with pytest.raises(SpecError) as caught:
        await apply(client, loads(text, env={**ENV, "PG_PIN": "918273"}))

    assert caught.value.problems == (
        "sources[0].configuration.password: the Postgres specification wants a string, "
        "not an integer",
    )
    assert "918273" not in str(caught.value)
    assert writes(emu) == []


async def test_a_value_not_of_its_declared_type_is_reported_once(client: AirbyteClient) -> None:
    """A variable that holds no integer for port: the conversion's problem, not a second one."""
    spec = loads(with_port('{ env = "PG_PORT" }'), env={**ENV, "PG_PORT": "eighty"})

    with pytest.raises(SpecError) as caught:
        await plan(client, spec)

    assert len(caught.value.problems) == 1
    assert "PG_PORT does not hold an integer" in caught.value.problems[0]


async def test_a_value_the_server_masks_and_unspecified_keys_pass(client: AirbyteClient) -> None:
    """
    The mask the server sends for a secret (``**********``) passes whatever the field's type
    (the server keeps the stored value on update), and keys or objects the specification
    leaves open (additionalProperties, an object with no properties) pass.
    """
    spec = loads(PIPELINE, env=ENV)
    snapshot = await read_snapshot(client, spec)
    [source] = spec.sources
    schema = {
        "type": "object",
        "required": ["pin"],
        "properties": {
            "pin": {"type": "integer", "airbyte_secret": True},
            "options": {"type": "object"},
        },
    }
    configuration = {"pin": "**********", "options": {"any": [1, "two"]}, "extra": True}
    definition_id = snapshot.source_definitions[source.name].definition_id
    masked_spec = attrs.evolve(spec, sources=(attrs.evolve(source, configuration=configuration),))

    made = make_plan(masked_spec, attrs.evolve(snapshot, schemas={definition_id: schema}))

    assert made.items[0].action is EnsureAction.CREATED


def _copies(text: str, section: str, name: str, names: list[str]) -> str:
    """The ``[[section]]`` table of *text* named *name* again under each of *names*."""
    start = text.index(f"[[{section}]]\nname = {json.dumps(name)}")
    end = text.index("\n[[", start + 1)
    table = text[start:end]
    return "".join(table.replace(json.dumps(name), json.dumps(n), 1) + "\n" for n in names)


async def test_a_plan_lists_each_kind_of_definition_once(
    client: AirbyteClient, emu: Emulator
) -> None:
    """Three sources and two destinations naming their definitions: the plan reads each kind's
    definitions once (``*_definitions/list_for_workspace``), not once per object (the
    emulator's stats count requests per route)."""
    text = PIPELINE + _copies(PIPELINE, "sources", "shop-postgres", ["crm", "billing"])
    text += _copies(PIPELINE, "destinations", "lake", ["archive"])
    emu.reset_stats()

    planned = await plan(client, loads(text, env=ENV))

    assert planned.count(EnsureAction.CREATED) == 6
    counted = emu.stats().requests_by_route
    assert counted["/v1/source_definitions/list_for_workspace"] == 1
    assert counted["/v1/destination_definitions/list_for_workspace"] == 1


@pytest.mark.parametrize("saved", [False, True])
async def test_a_write_mode_is_checked_when_streams_are_selected_after_the_source_is_written(
    saved: bool,
) -> None:
    """
    On the Config API, a source update whose configuration holds the mask the server sends for
    a secret (kept as stored) cannot be discovered before it is written, so its connection's
    streams are selected once it is: a write mode the destination lacks (S3 has no
    append_dedup) is then refused before the connection is written, applied at once or from a
    saved plan, as the server would store it (``ConnectionsHandler.createConnection`` and
    ``updateConnection`` check no write mode, airbyte-platform) and its syncs fail.
    """
    async with applied("config", PIPELINE) as (emu, client):
        before = changes(emu)
        moved = _deduped(PIPELINE).replace('host = "db.internal"', 'host = "db2.internal"')
        spec = loads(moved.replace('{ env = "PG_PASSWORD" }', '"**********"'), env=ENV)
        planned = await plan(client, spec)
        assert planned.items[2].note == "its streams are checked once its source is updated"
        if saved:
            planned = loads_plan(dumps_plan(planned), env=ENV)
        with pytest.raises(SpecError) as caught:
            await execute(client, planned)
        connection = await client.connections.get(connection_id=planned.items[2].id or "")

    [problem] = caught.value.problems
    assert problem.startswith(
        "connections[0].streams[1]: destination 'lake' cannot take stream 'public.orders' as "
        "incremental/append_dedup (it can: "
    )
    assert changes(emu) == [*before, "sources/update"]
    assert {
        s.config.destination_sync_mode for s in connection.sync_catalog.selected if s.config
    } == {DestinationSyncMode.APPEND}


# -- connections the file does not declare ----------------------------------------------------


@pytest.mark.parametrize("api", ["config", "public"])
async def test_a_connection_renamed_in_the_file_leaves_a_warning_about_the_old_one(
    api: str,
) -> None:
    """
    A connection renamed in the file is created anew and the old one, which joins the same
    source and destination, is named as a warning (active: it syncs) that changes nothing: the
    next apply is a no-op saying it again, until the old one is deleted.
    """
    text = for_api(api)
    async with applied(api, text) as (emu, client):
        [old] = [c async for c in client.connections.list(workspace_id=emu.workspace_ids[0])]
        renamed = loads(text.replace('"shop-to-lake"', '"shop-to-lake-v2"'), env=ENV)
        seen: list[Plan] = []

        done = await apply(client, renamed, on_plan=seen.append)
        before = changes(emu)
        again = await apply(client, renamed)
        unchanged = changes(emu) == before
        await client.connections.delete(connection_id=old.connection_id)
        after = await plan(client, renamed)

    warning = (
        f"connection 'shop-to-lake' ({old.connection_id}, active, {old.schedule_description}) "
        "also joins source 'shop-postgres' to destination 'lake' and is not in the file: "
        "renamed? apply does not delete it"
    )
    assert seen[0].items[2].action is EnsureAction.CREATED
    assert seen[0].unlisted_connections == done.unlisted_connections == (warning,)
    assert not again.changes_anything and unchanged
    assert again.unlisted_connections == (warning,)
    assert after.unlisted_connections == ()


async def test_an_inactive_connection_not_in_the_file_is_named_inactive(
    client: AirbyteClient,
) -> None:
    """The warning about a connection joining the file's objects says whether it syncs."""
    done = await apply(client, loads(PIPELINE, env=ENV))
    old = done.items[2].id or ""
    await client.connections.update(connection_id=old, status=ConnectionStatus.INACTIVE)

    planned = await plan(client, loads(PIPELINE.replace('"shop-to-lake"', '"v2"'), env=ENV))

    assert planned.unlisted_connections == (
        f"connection 'shop-to-lake' ({old}, inactive) also joins source 'shop-postgres' to "
        "destination 'lake' and is not in the file: renamed? apply does not delete it",
    )


async def test_a_source_renamed_on_the_server_leaves_a_warning_about_its_connection(
    client: AirbyteClient,
) -> None:
    """
    A source renamed in the UI is created anew under its name in the file, with its
    connection: the connection of that name on the server, which joins the renamed source to
    the destination, is named as a warning (apply does not delete it).
    """
    spec = loads(PIPELINE, env=ENV)
    first = await apply(client, spec)
    await client.sources.update(source_id=first.items[0].id or "", name="shop-old")

    planned = await plan(client, spec)

    assert [i.action for i in planned.items] == [
        EnsureAction.CREATED,
        EnsureAction.UNCHANGED,
        EnsureAction.CREATED,
    ]
    assert planned.unlisted_connections == (
        f"connection 'shop-to-lake' ({first.items[2].id}, active, every 6 hours) joins source "
        "'shop-old' to destination 'lake', not 'shop-postgres' to 'lake' as the file declares "
        "it: renamed? apply creates another and does not delete this one",
    )


async def test_the_warnings_about_connections_are_not_saved_with_the_plan(
    client: AirbyteClient,
) -> None:
    """A plan warning of a connection left by a rename is saved without the warning (shown
    when it was made), in the keys a reader of format 3 takes."""
    await apply(client, loads(PIPELINE, env=ENV))
    planned = await plan(client, loads(PIPELINE.replace('"shop-to-lake"', '"v2"'), env=ENV))

    text = dumps_plan(planned)

    assert planned.unlisted_connections
    assert set(json.loads(text)["plan"]) == {
        "workspace_id",
        "items",
        "applied",
        "origin",
        "send_secrets",
    }
    assert loads_plan(text, env=ENV).unlisted_connections == ()


def test_plan_and_apply_print_the_connections_the_file_does_not_declare(
    shell: tuple[Emulator, Run],
) -> None:
    """plan ends its output with the warning about a connection left by a rename, and apply
    prints it after its last message."""
    _, run = shell
    assert run("apply", "pipeline.toml")[0] == 0
    Path("pipeline.toml").write_text(PIPELINE.replace('"shop-to-lake"', '"shop-to-lake-v2"'))

    planned = run("plan", "pipeline.toml")
    applied_ = run("apply", "pipeline.toml")

    for code, out, _ in (planned, applied_):
        assert code == 0
        assert re.search(
            r"\nconnection 'shop-to-lake' \([0-9a-f-]+, active, every 6 hours\) also joins "
            r"source 'shop-postgres' to destination 'lake' and is not in the file: renamed\? "
            r"apply does not delete it\n$",
            out,
        )
    assert "applied: 1 created, 0 updated, 2 unchanged\n" in applied_[1]


@pytest.mark.parametrize(
    ("field", "value", "problem"),
    [
        (
            {"type": "string", "pattern": "^[a-z_]+$"},
            "Shop-1",
            "does not match the pattern ^[a-z_]+$ that the Postgres specification sets",
        ),
        ({"minLength": 1}, "", "the Postgres specification wants a string of at least 1 character"),
        (
            {"maxLength": 4},
            "verbose",
            "the Postgres specification wants a string of at most 4 characters",
        ),
        ({"minItems": 1}, [], "0 items; the Postgres specification wants at least 1"),
        ({"maxItems": 2}, [1, 2, 3], "3 items; the Postgres specification wants at most 2"),
        ({"exclusiveMinimum": 0}, 0, "the Postgres specification wants a number greater than 0"),
        ({"exclusiveMaximum": 1}, 1, "the Postgres specification wants a number less than 1"),
        ({"multipleOf": 5}, 12, "the Postgres specification wants a multiple of 5"),
        (
            {"type": "string", "format": "date"},
            "2024-01-31T00:00:00Z",
            "the Postgres specification wants an RFC 3339 date, such as 2024-01-31",
        ),
        (
            {
                "oneOf": [
                    {"title": "API key", "required": ["api_key"]},
                    {"title": "Token", "required": ["token"]},
                ]
            },
            {"api_key": "k", "token": "t"},
            "fits more than one of the options the Postgres specification offers: API key, "
            "Token; it takes one only",
        ),
    ],
)
async def test_each_keyword_says_what_the_specification_wants(
    client: AirbyteClient, field: dict[str, Any], value: Any, problem: str
) -> None:
    """Each keyword's problem at its key names the specification's bound or pattern."""
    spec = loads(PIPELINE, env=ENV)
    snapshot = await read_snapshot(client, spec)
    [source] = spec.sources
    schema = {"type": "object", "properties": {"setting": field}}
    definition_id = snapshot.source_definitions[source.name].definition_id
    changed = attrs.evolve(source, configuration={"setting": value})

    with pytest.raises(SpecError) as caught:
        make_plan(
            attrs.evolve(spec, sources=(changed,)),
            attrs.evolve(snapshot, schemas={definition_id: schema}),
        )

    assert caught.value.problems == (f"sources[0].configuration.setting: {problem}",)


async def test_a_key_the_specification_does_not_allow_suggests_the_one_meant(
    client: AirbyteClient,
) -> None:
    """additionalProperties false: an unknown key is refused, naming the closest known key."""
    spec = loads(PIPELINE, env=ENV)
    snapshot = await read_snapshot(client, spec)
    [source] = spec.sources
    schema = {"type": "object", "properties": {"host": {}}, "additionalProperties": False}
    definition_id = snapshot.source_definitions[source.name].definition_id
    changed = attrs.evolve(source, configuration={"host": "db", "hots": "db"})

    with pytest.raises(SpecError) as caught:
        make_plan(
            attrs.evolve(spec, sources=(changed,)),
            attrs.evolve(snapshot, schemas={definition_id: schema}),
        )

    assert caught.value.problems == (
        "sources[0].configuration.hots: unknown key; the Postgres specification takes no other "
        "keys than those it names (did you mean 'host'?)",
    )


async def test_a_mode_the_public_api_has_no_name_for_is_refused_at_plan_time() -> None:
    """On the public API a stream's pair of modes must have a public name (there is none for
    full_refresh with append_dedup): a plan of a new pipeline reports it at the stream's key,
    before anything is written, although its catalog is known only once the source is."""
    text = for_api("public").replace('sync_mode = "incremental"', 'sync_mode = "full_refresh"', 1)
    text = text.replace(
        'destination_sync_mode = "append"', 'destination_sync_mode = "append_dedup"', 1
    )
    async with (
        Emulator(airbyte_version="head", record_requests=True) as emu,
        AirbyteClient(emu.url, api="public", env={}) as client,
    ):
        with pytest.raises(SpecError) as caught:
            await plan(client, loads(text, env=ENV))

    assert caught.value.problems == (
        "connections[0].streams[0]: the public API has no mode for full_refresh/append_dedup",
    )
    assert all(r.method == "GET" for r in emu.requests)
