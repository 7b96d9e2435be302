"""
Typing tests: the public signatures of ensure, apply and logs, as a user's code meets them.

Not executed: ``mypy --strict tests/typing`` checks it (``tests/test_typing.py`` runs that).
"""

from __future__ import annotations

from pathlib import Path
from typing import assert_type

from airbyte_async import AirbyteClient
from airbyte_async.apply import (
    ActorSpec,
    Change,
    ConnectionSpec,
    Plan,
    PlanItem,
    Spec,
    StreamSpec,
    apply,
    load,
    loads,
    plan,
)
from airbyte_async.errors import SpecError
from airbyte_async.models import (
    Attempt,
    Catalog,
    Connection,
    ConnectionStatus,
    Destination,
    EnsureAction,
    Ensured,
    Job,
    LogEvent,
    Schedule,
    ScheduleData,
    ScheduleType,
    Source,
    TimeUnit,
    describe_schedule,
)


async def ensure(client: AirbyteClient, catalog: Catalog) -> None:
    """sources, destinations and connections: ensure and find."""
    source = await client.sources.ensure(
        workspace_id="w", name="s", definition_id="d", configuration={"host": "h", "port": 1}
    )
    assert_type(source, Ensured[Source])
    assert_type(source.action, EnsureAction)
    assert_type(source.value, Source)
    assert_type(source.changes, tuple[str, ...])
    assert_type(source.changed, bool)
    assert_type(source.uncompared, tuple[str, ...])
    assert_type(source.secrets_unsent, int)
    assert_type(source.secrets_note(), str)
    destination = await client.destinations.ensure(
        workspace_id="w", name="d", definition_id="d", configuration={}, send_secrets=True
    )
    assert_type(destination, Ensured[Destination])
    connection = await client.connections.ensure(
        workspace_id="w",
        source_id=source.value.source_id,
        destination_id=destination.value.destination_id,
        name="c",
        sync_catalog=catalog,
        schedule=Schedule(units=6, time_unit=TimeUnit.HOURS),
        status=ConnectionStatus.ACTIVE,
    )
    assert_type(connection, Ensured[Connection])
    assert_type(
        await client.connections.ensure(
            workspace_id="w",
            source_id="s",
            destination_id="d",
            name="c",
            schedule_type=ScheduleType.CRON,
            schedule_data=ScheduleData(),
        ),
        Ensured[Connection],
    )
    assert_type(await client.sources.find(workspace_id="w", name="s"), Source)
    assert_type(await client.destinations.find(workspace_id="w", name="d"), Destination)
    assert_type(
        await client.connections.find(workspace_id="w", name="c", source_id="s"), Connection
    )
    assert_type(connection.value.schedule_description, str)
    assert_type(connection.value.effective_schedule, tuple[ScheduleType, ScheduleData | None])
    assert_type(describe_schedule(ScheduleType.MANUAL, None), str)


async def logs(client: AirbyteClient, job: Job) -> None:
    """Logs as lines, failures as lines, attempts by number."""
    assert_type(await client.jobs.logs(job_id=1), tuple[str, ...])
    assert_type(await client.jobs.logs(job_id=1, attempt=0), tuple[str, ...])
    assert_type(job.describe_failures(), tuple[str, ...])
    assert_type(job.attempt(), Attempt | None)
    attempt = job.attempt(2)
    if attempt is not None and attempt.logs is not None:
        assert_type(attempt.logs.lines, tuple[str, ...])
        event: LogEvent = attempt.logs.events[0]
        assert_type(event.line, str)


async def declarative(client: AirbyteClient, path: Path) -> None:
    """load, plan, apply and what they return."""
    spec = load(path, env={"PG_PASSWORD": "x"})
    assert_type(spec, Spec)
    assert_type(load("pipeline.toml"), Spec)
    assert_type(loads("", origin="inline"), Spec)
    assert_type(spec.sources, tuple[ActorSpec, ...])
    assert_type(spec.connections, tuple[ConnectionSpec, ...])
    assert_type(spec.connections[0].streams, tuple[StreamSpec, ...])
    planned = await plan(client, spec, workspace_id="w")
    assert_type(planned, Plan)

    def show(p: Plan) -> None:
        print(p.render())

    done = await apply(client, spec, dry_run=False, on_plan=show)
    assert_type(done.items, tuple[PlanItem, ...])
    assert_type(done.items[0].changes, tuple[Change, ...])
    assert_type(done.summary(), str)
    assert_type(done.changes_anything, bool)
    try:
        load(path)
    except SpecError as e:
        assert_type(e.problems, tuple[str, ...])
