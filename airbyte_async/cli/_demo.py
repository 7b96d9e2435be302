"""``airbyte-async demo``: a pipeline from scratch, then hundreds of syncs, on the emulator."""

from __future__ import annotations

import argparse
import time

from .._checks import whole
from .._client import AirbyteClient
from ..catalog import StreamSelection, select_streams
from ..errors import InvalidArgumentError
from ..models import DestinationSyncMode, Schedule, SyncMode, TimeUnit
from ..orchestrator import Selection
from ._common import EXIT_FAILED, EXIT_OK, Interrupt
from ._sync import run_batch

__all__ = ["command"]


async def set_up_pipeline(client: AirbyteClient) -> int:
    """Postgres source to S3 Parquet destination, customers and orders incremental, synced once."""
    workspace = await client.workspaces.default()
    wid = workspace.workspace_id
    postgres = await client.source_definitions.find(name="Postgres", workspace_id=wid)
    s3 = await client.destination_definitions.find(name="S3", workspace_id=wid)
    print(f"workspace {workspace.name}: source {postgres.name!r}, destination {s3.name!r}")

    source = await client.sources.create(
        workspace_id=wid,
        name="demo-postgres",
        definition_id=postgres.definition_id,
        configuration={
            "host": "db.internal",
            "port": 5432,
            "database": "shop",
            "username": "reader",
            "password": "demo-only-password",
        },
    )
    destination = await client.destinations.create(
        workspace_id=wid,
        name="demo-minio",
        definition_id=s3.definition_id,
        configuration={
            "s3_bucket_name": "lake",
            "s3_bucket_path": "shop",
            "s3_bucket_region": "us-east-1",
            "s3_endpoint": "http://minio:9000",
            "access_key_id": "minio",
            "secret_access_key": "demo-only-secret",
            "format": {"format_type": "Parquet"},
        },
    )
    for what, check in (
        ("source", await client.sources.check_connection(source_id=source.source_id)),
        (
            "destination",
            await client.destinations.check_connection(destination_id=destination.destination_id),
        ),
    ):
        print(f"check {what}: {'ok' if check.succeeded else 'failed: ' + str(check.message)}")

    schema = await client.sources.discover_schema(source_id=source.source_id)
    if schema.catalog is None:
        print("discovery failed")
        return EXIT_FAILED
    catalog = select_streams(
        schema.catalog,
        *(
            StreamSelection(
                name,
                sync_mode=SyncMode.INCREMENTAL,
                cursor_field=("updated_at",),
                destination_sync_mode=DestinationSyncMode.APPEND,
            )
            for name in ("customers", "orders")
        ),
    )
    connection = await client.connections.create(
        source_id=source.source_id,
        destination_id=destination.destination_id,
        name="demo-postgres-to-minio",
        sync_catalog=catalog,
        schedule=Schedule(units=6, time_unit=TimeUnit.HOURS),
    )
    job = await client.connections.sync(connection_id=connection.connection_id)
    job = await client.jobs.wait(job_id=job.id, poll_interval=0.2)
    print(
        f"first sync of {connection.name}: job {job.id} {job.status}, "
        f"{job.records_synced} records, {job.bytes_synced} bytes"
    )
    return EXIT_OK


async def command(args: argparse.Namespace, interrupt: Interrupt) -> int:
    """Run ``airbyte-async demo`` on an emulator of its own; the exit status."""
    from ..testing import VERSIONS, Emulator  # its weight only for the commands that serve it

    whole("--connections", args.connections, minimum=1)
    whole("--max-running", args.max_running, minimum=1)
    if args.airbyte_version not in VERSIONS:
        raise InvalidArgumentError(
            f"--airbyte-version must be one of {', '.join(VERSIONS)}, got {args.airbyte_version!r}"
        )
    emulator = Emulator(
        airbyte_version=args.airbyte_version,
        workspaces=3,
        connections=args.connections,
        seed=args.seed,
        sync_duration=(1.0, 4.0),
        failure_rate=0.05,
    )
    async with emulator, AirbyteClient(emulator.url) as client:
        print(f"Airbyte emulator ({args.airbyte_version}) at {emulator.url}\n")
        print("1. A pipeline from scratch")
        with interrupt.scope():
            code = await set_up_pipeline(client)
        if code != EXIT_OK or interrupt.received:
            return code
        print(
            f"\n2. One sync for each of {args.connections} connections, {args.max_running} at once"
        )
        started = time.monotonic()
        code = await run_batch(
            client,
            Selection(all_workspaces=True, name_glob="conn-*"),
            interrupt,
            as_json=False,
            max_running=args.max_running,
            max_triggers=20,
        )
        stats = emulator.stats()
        runs = [len(ids) for ids in stats.jobs_by_connection.values()]
        print(
            f"\nthe emulator saw {stats.total_requests} requests, at most "
            f"{stats.max_concurrent_jobs} jobs running at once "
            f"(bound {args.max_running}), {sum(1 for n in runs if n > 1)} duplicated syncs, "
            f"in {time.monotonic() - started:.1f} s"
        )
        # A demo with a few seeded failures is still a demo that worked.
        return EXIT_OK if code in (EXIT_OK, EXIT_FAILED) else code
