"""
A Postgres to S3 pipeline set up from code, the way the classic ``requests`` snippets meant to.

It finds the Postgres source definition and the S3 destination definition by name, ensures a
Postgres source and an S3 (MinIO) Parquet destination, checks both, discovers the source's
streams, ensures a connection syncing ``customers`` and ``orders`` incrementally on
``updated_at`` (append) every 6 hours, then runs a sync and prints what it moved.

Safe to run again: every object is *ensured* (found by name; created when missing, updated
when different, left alone otherwise), so a second run changes nothing and just syncs again.

Against an embedded Airbyte emulator (the default)::

    python examples/pipeline.py

Against a real Airbyte::

    AIRBYTE_URL=http://localhost:8000 AIRBYTE_USERNAME=airbyte AIRBYTE_PASSWORD=password \\
    PG_HOST=db.internal PG_PASSWORD=... S3_ENDPOINT=http://minio:9000 \\
    S3_ACCESS_KEY_ID=... S3_SECRET_ACCESS_KEY=... python examples/pipeline.py

On the public REST API (Airbyte Cloud, or ``AIRBYTE_API=public`` anywhere, the emulator
included) the same script runs with three differences, each printed as it is met: connector
definitions are not looked up by name (Airbyte's registry ids are used), the source and
destination are not checked (the public API has no checks), and the schedule is a cron every
6 hours (the public API takes no basic schedules)::

    AIRBYTE_URL=https://api.airbyte.com/v1 AIRBYTE_CLIENT_ID=... AIRBYTE_CLIENT_SECRET=... \\
    PG_PASSWORD=... S3_ACCESS_KEY_ID=... S3_SECRET_ACCESS_KEY=... python examples/pipeline.py
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import Any

import anyio

from airbyte_async import (
    AirbyteClient,
    Connection,
    DestinationSyncMode,
    Job,
    Orchestrator,
    SyncMode,
)
from airbyte_async.catalog import StreamSelection, select_streams
from airbyte_async.models import BasicSchedule, CronSchedule, ScheduleData, TimeUnit
from airbyte_async.testing import Emulator

SOURCE = "shop-postgres"
DESTINATION = "shop-lake"
CONNECTION = "shop-postgres-to-lake"
STREAMS = ("customers", "orders")

#: Airbyte's registry ids of the Postgres source and the S3 destination, the same on every
#: deployment that takes these connectors from the registry: what the public API is given, as
#: it has no lookup of definitions by name.
POSTGRES_DEFINITION_ID = "decd338e-5647-4c0b-adf4-da0e75f5a750"
S3_DEFINITION_ID = "4816b78f-1489-44c1-9060-4b19d5fa9362"


def _setting(env: Mapping[str, str], name: str, default: str | None) -> str:
    """*name* from the environment; *default* only on the emulator, where nothing is real."""
    value = env.get(name, default)
    if value is None:
        raise SystemExit(f"set {name} to run this against a real Airbyte")
    return value


def postgres_configuration(env: Mapping[str, str], *, real: bool) -> dict[str, Any]:
    """The Postgres source's configuration; secrets come from the environment."""
    fallback = None if real else "emulator-only"
    return {
        "host": env.get("PG_HOST", "postgres.internal"),
        "port": int(env.get("PG_PORT", "5432")),
        "database": env.get("PG_DATABASE", "shop"),
        "schemas": ["public"],
        "username": env.get("PG_USER", "airbyte"),
        "password": _setting(env, "PG_PASSWORD", fallback),
        "ssl_mode": {"mode": "prefer"},
        "replication_method": {"method": "Standard"},
    }


def s3_configuration(env: Mapping[str, str], *, real: bool) -> dict[str, Any]:
    """The S3 (or MinIO) destination's configuration, writing Parquet."""
    fallback = None if real else "emulator-only"
    return {
        "s3_bucket_name": env.get("S3_BUCKET", "lake"),
        "s3_bucket_path": "shop",
        "s3_bucket_region": env.get("S3_REGION", "us-east-1"),
        "s3_endpoint": env.get("S3_ENDPOINT", "http://minio:9000"),
        "access_key_id": _setting(env, "S3_ACCESS_KEY_ID", fallback),
        "secret_access_key": _setting(env, "S3_SECRET_ACCESS_KEY", fallback),
        "format": {"format_type": "Parquet", "compression_codec": "SNAPPY"},
    }


async def ensure_pipeline(
    client: AirbyteClient, env: Mapping[str, str], *, real: bool
) -> Connection:
    """The connection, with its source and destination, as declared here; prints each step."""
    workspace_id = (await client.workspaces.default()).workspace_id
    postgres_id, s3_id = await definition_ids(client, workspace_id)

    source = await client.sources.ensure(
        workspace_id=workspace_id,
        name=SOURCE,
        definition_id=postgres_id,
        configuration=postgres_configuration(env, real=real),
    )
    destination = await client.destinations.ensure(
        workspace_id=workspace_id,
        name=DESTINATION,
        definition_id=s3_id,  # a *destination* definition's id
        configuration=s3_configuration(env, real=real),
    )
    print(f"source {SOURCE}: {source.action}; destination {DESTINATION}: {destination.action}")

    source_id, destination_id = source.value.source_id, destination.value.destination_id
    await check(client, source_id, destination_id)

    schema = await client.sources.discover_schema(source_id=source_id)
    if schema.catalog is None:
        reason = schema.failure.describe() if schema.failure else "no reason given"
        raise SystemExit(f"discovering the source's streams failed: {reason}")
    schedule = every_six_hours(client)
    catalog = select_streams(
        schema.catalog,
        *(
            StreamSelection(
                name,
                sync_mode=SyncMode.INCREMENTAL,
                cursor_field=("updated_at",),
                destination_sync_mode=DestinationSyncMode.APPEND,
            )
            for name in STREAMS
        ),
    )
    connection = await client.connections.ensure(
        workspace_id=workspace_id,
        source_id=source_id,
        destination_id=destination_id,
        name=CONNECTION,
        sync_catalog=catalog,
        schedule_data=schedule,  # basic or cron, as the data says
    )
    changed = f" ({', '.join(connection.changes)})" if connection.changes else ""
    print(f"connection {CONNECTION}: {connection.action}{changed}")
    return connection.value


async def definition_ids(client: AirbyteClient, workspace_id: str) -> tuple[str, str]:
    """The Postgres source's and the S3 destination's definition ids."""
    if client.api == "public":
        print("(public API: no definition lookup by name; using Airbyte's registry ids)")
        return POSTGRES_DEFINITION_ID, S3_DEFINITION_ID
    # Found by name: a deployment's own connectors have ids of their own.
    postgres = await client.source_definitions.find(name="Postgres", workspace_id=workspace_id)
    s3 = await client.destination_definitions.find(name="S3", workspace_id=workspace_id)
    return postgres.definition_id, s3.definition_id


async def check(client: AirbyteClient, source_id: str, destination_id: str) -> None:
    """Check that the source and the destination can connect; stop when one cannot."""
    if client.api == "public":
        print("(public API: no connection checks; skipped)")
        return
    checks = {
        "source": await client.sources.check_connection(source_id=source_id),
        "destination": await client.destinations.check_connection(destination_id=destination_id),
    }
    for what, result in checks.items():
        if not result.succeeded:
            raise SystemExit(f"the {what} check failed: {result.message}")


def every_six_hours(client: AirbyteClient) -> ScheduleData:
    """Every 6 hours: a basic schedule, or a cron in UTC where basic ones are not taken."""
    if client.api == "public":
        print("(public API: no basic schedules; a cron every 6 hours, UTC)")
        return ScheduleData(
            cron=CronSchedule(cron_expression="0 0 */6 * * ?", cron_time_zone="UTC")
        )
    return ScheduleData(basic_schedule=BasicSchedule(time_unit=TimeUnit.HOURS, units=6))


async def sync(client: AirbyteClient, connection_id: str, *, poll_interval: float) -> Job:
    """
    Sync once, or join the sync already running (a schedule's, a colleague's), and return the
    finished job. The orchestrator waits for it, even for one connection: when the hour runs
    out, or this task is cancelled, it cancels the job on Airbyte too rather than leave it
    running.
    """
    orchestrator = Orchestrator(client, sync_timeout=3600, poll_interval=poll_interval)
    [result] = await orchestrator.run([connection_id])
    if result.job_id is None:
        raise SystemExit(f"no sync ran: {result.error}")
    return await client.jobs.get(job_id=result.job_id)


async def run(
    client: AirbyteClient,
    env: Mapping[str, str] = os.environ,
    *,
    real: bool = True,
    poll_interval: float = 5.0,
) -> Job:
    """Ensure the pipeline, sync it once, print the outcome; returns the finished job."""
    connection = await ensure_pipeline(client, env, real=real)
    job = await sync(client, connection.connection_id, poll_interval=poll_interval)
    print(
        f"sync job {job.id}: {job.status}, {job.records_synced} records, {job.bytes_synced} bytes"
    )
    for line in job.describe_failures():
        print(f"  {line}")
    return job


async def main() -> None:
    """Run against ``AIRBYTE_URL`` when it is set, else against an embedded emulator."""
    if os.environ.get("AIRBYTE_URL"):
        async with AirbyteClient() as client:  # URL and credentials from AIRBYTE_*
            await run(client)
        return
    api = os.environ.get("AIRBYTE_API") or "auto"
    # The emulator serves the public API as the newest servers do.
    version = "head" if api == "public" else "0.50"
    async with Emulator(airbyte_version=version, sync_duration=(0.5, 1.5)) as emulator:
        print(f"(no AIRBYTE_URL: using an embedded Airbyte emulator at {emulator.url})")
        async with AirbyteClient(emulator.url, env={}, api=api) as client:
            await run(client, {}, real=False, poll_interval=0.2)


if __name__ == "__main__":
    anyio.run(main)
