"""
Every request the client sends on the public backend fits public-api-head.yaml: the path and
method exist, each query parameter is declared and well formed, a body only where one is
declared, and the body fits its schema.

The requests are captured as they leave, by aiohttp's request tracing on a session lent to the
client (method, URL with its query, body), while one test drives every public operation against
the emulator. Skipped when ``../shared/airbyte`` is absent.
"""

from __future__ import annotations

import json
from types import SimpleNamespace
from typing import Any

import aiohttp
import attrs
import public_conformance as pc
import pytest

from airbyte_async import AirbyteClient, ClientCredentials
from airbyte_async.catalog import StreamSelection, select_streams
from airbyte_async.models import (
    ConnectionStatus,
    CronSchedule,
    DestinationSyncMode,
    JobStatus,
    ScheduleData,
    ScheduleType,
    SyncMode,
)
from airbyte_async.orchestrator import Orchestrator, Selection
from airbyte_async.testing import Emulator, RequireClientCredentials
from airbyte_async.testing.pytest_plugin import TEST_TRIGGER_LATENCY

pytestmark = pytest.mark.anyio

PG = {"host": "db", "port": 5432, "database": "shop", "username": "u", "password": "p"}
S3 = {
    "s3_bucket_name": "b",
    "s3_bucket_path": "p",
    "s3_bucket_region": "us-east-1",
    "format": {"format_type": "Parquet"},
}


@attrs.define
class Sent:
    """One request as it left the client."""

    method: str
    path: str
    query: list[tuple[str, str]]
    body: Any
    had_body: bool


@attrs.define
class Recorder:
    """Collects every request a session sends, through aiohttp's tracing hooks."""

    prefix: str
    sent: list[Sent] = attrs.Factory(list)

    def config(self) -> aiohttp.TraceConfig:
        """A TraceConfig that records into this recorder."""
        trace = aiohttp.TraceConfig()
        trace.on_request_start.append(self._start)
        trace.on_request_chunk_sent.append(self._chunk)
        trace.on_request_end.append(self._end)
        return trace

    async def _start(self, _: Any, ctx: SimpleNamespace, params: Any) -> None:
        ctx.method, ctx.url, ctx.chunks = params.method, params.url, []

    async def _chunk(self, _: Any, ctx: SimpleNamespace, params: Any) -> None:
        ctx.chunks.append(params.chunk)

    async def _end(self, _: Any, ctx: SimpleNamespace, params: Any) -> None:
        raw = b"".join(ctx.chunks)
        path = ctx.url.path.removeprefix(self.prefix)
        body = json.loads(raw) if raw else None
        self.sent.append(Sent(ctx.method, path, list(ctx.url.query.items()), body, bool(raw)))


async def _every_operation(client: AirbyteClient, emu: Emulator) -> None:
    """Each public operation at least once, the way a pipeline would call them, and the
    orchestrator on the public backend."""
    await client.health()
    workspace = await client.workspaces.default()
    wid = workspace.workspace_id
    await client.workspaces.get(workspace_id=wid)
    existing = [c async for c in client.connections.list(workspace_id=wid)]
    template = await client.sources.get(source_id=existing[0].source_id)
    target = await client.destinations.get(destination_id=existing[0].destination_id)
    source = await client.sources.create(
        workspace_id=wid, name="c-src", definition_id=template.definition_id, configuration=PG
    )
    destination = await client.destinations.create(
        workspace_id=wid, name="c-dst", definition_id=target.definition_id, configuration=S3
    )
    await client.sources.update(source_id=source.source_id, name="c-src-2")
    await client.sources.update(source_id=source.source_id, configuration=PG)
    await client.destinations.update(destination_id=destination.destination_id, name="c-dst-2")
    _ = [s async for s in client.sources.list(workspace_id=wid)]
    _ = [d async for d in client.destinations.list(workspace_id=wid)]
    schema = await client.sources.discover_schema(source_id=source.source_id, disable_cache=True)
    assert schema.catalog is not None
    catalog = select_streams(
        schema.catalog,
        StreamSelection(
            "customers",
            sync_mode=SyncMode.INCREMENTAL,
            cursor_field=("updated_at",),
            destination_sync_mode=DestinationSyncMode.APPEND,
        ),
    )
    connection = await client.connections.create(
        source_id=source.source_id,
        destination_id=destination.destination_id,
        name="c-conn",
        sync_catalog=catalog,
        schedule_type=ScheduleType.CRON,
        schedule_data=ScheduleData(
            cron=CronSchedule(cron_expression="0 0 * * * ?", cron_time_zone="UTC")
        ),
        prefix="raw_",
    )
    cid = connection.connection_id
    await client.connections.get(connection_id=cid)
    await client.connections.update(connection_id=cid, schedule_type=ScheduleType.MANUAL)
    await client.connections.find(workspace_id=wid, name="c-conn")
    job = await client.connections.sync(connection_id=cid)
    job = await client.jobs.wait(job_id=job.id, poll_interval=0.01)
    await client.jobs.cancel(job_id=job.id)
    _ = [j async for j in client.jobs.list(connection_id=cid)]
    await client.jobs.list_page(
        connection_id=cid,
        statuses=(JobStatus.SUCCEEDED,),
        created_after=job.created_at,
        order_by="-created_at",
    )
    await client.jobs.list_for_workspaces_page(
        workspace_ids=(wid,),
        statuses=(JobStatus.SUCCEEDED, JobStatus.FAILED),
        updated_at_start=job.created_at,
        order_by="updated_at",
        page_size=5,
    )
    reset = await client.connections.reset(connection_id=cid)
    await client.jobs.wait(job_id=reset.id, poll_interval=0.01)
    await client.connections.update(connection_id=cid, status=ConnectionStatus.INACTIVE)
    await Orchestrator(client, poll_interval=0.01, max_poll_interval=0.05).run(
        Selection(all_workspaces=True, name_glob="conn-*")
    )
    await client.connections.delete(connection_id=cid)
    await client.sources.delete(source_id=source.source_id)
    await client.destinations.delete(destination_id=destination.destination_id)


async def test_every_request_the_public_client_sends_fits_the_spec() -> None:
    """The whole public surface, token request included: no request breaks
    public-api-head.yaml (issue 12)."""
    spec = pc.load_public_spec()
    policy = RequireClientCredentials("app", "s3cret")
    recorder = Recorder("/api/public/v1")
    async with (
        Emulator(
            trigger_latency=TEST_TRIGGER_LATENCY,
            airbyte_version="head",
            connections=2,
            sync_duration=(0.02, 0.05),
            auth=policy,
        ) as emu,
        aiohttp.ClientSession(trace_configs=[recorder.config()]) as session,
        AirbyteClient(
            emu.url,
            api="public",
            auth=ClientCredentials("app", "s3cret"),
            session=session,
            env={},
        ) as client,
    ):
        await _every_operation(client, emu)

    operations = {(s.method, pc.operation(spec, s.method, s.path)[0]) for s in recorder.sent}
    assert len(operations) >= 20
    assert ("POST", "/applications/token") in operations, sorted(s.path for s in recorder.sent)[:5]
    problems = [
        f"{s.method} {s.path}: {problem}"
        for s in recorder.sent
        for problem in pc.check_request(spec, s.method, s.path, s.query, s.body, s.had_body)
    ]
    assert problems == []
