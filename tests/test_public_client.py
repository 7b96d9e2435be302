"""
The client on the public REST API: choosing it, its URLs, its credentials, its errors, the
resources it serves and the ones it refuses, against the emulator's ``/api/public/v1``.
"""

from __future__ import annotations

import datetime as dt
import functools
import inspect
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from operator import attrgetter
from typing import Any

import aiohttp
import anyio
import attrs
import pytest
from aiohttp import web
from client_support import UNKNOWN_ID, cancel_as_another_sync_follows, until

from airbyte_async import AirbyteClient, ClientCredentials, NoAuth
from airbyte_async._client import resolve_url
from airbyte_async.catalog import select_streams
from airbyte_async.errors import (
    AmbiguousMatchError,
    ConflictError,
    ConnectionLostError,
    InvalidArgumentError,
    NotFoundError,
    ServerError,
    SyncAlreadyRunningError,
    UnsupportedOperationError,
    error_for,
)
from airbyte_async.models import (
    Catalog,
    Connection,
    ConnectionStatus,
    CronSchedule,
    DestinationSyncMode,
    EnsureAction,
    JobStatus,
    JobType,
    NamespaceDefinition,
    NonBreakingChangesPreference,
    Schedule,
    ScheduleData,
    ScheduleType,
    SelectedField,
    StreamAndConfig,
    SyncMode,
    TimeUnit,
)
from airbyte_async.models import _public_wire as pw
from airbyte_async.resources import (
    Connections,
    DestinationDefinitions,
    Destinations,
    Jobs,
    SourceDefinitions,
    Sources,
    Workspaces,
)
from airbyte_async.resources._public import (
    PAGES_AT_ONCE,
    PublicConnections,
    PublicDestinationDefinitions,
    PublicDestinations,
    PublicJobs,
    PublicSourceDefinitions,
    PublicSources,
    PublicWorkspaces,
    _catalog_of,
    _configurations_for,
)
from airbyte_async.testing import Emulator, Fault, RequireClientCredentials
from airbyte_async.testing.pytest_plugin import TEST_TRIGGER_LATENCY

pytestmark = pytest.mark.anyio

PG = {"host": "db", "port": 5432, "database": "shop", "username": "u", "password": "p"}
_POSTGRES_SOURCE = "decd338e-5647-4c0b-adf4-da0e75f5a750"
_POSTGRES_DESTINATION = "25c5221d-dce2-4163-ade9-739ef790f503"


@pytest.fixture
async def emu() -> AsyncIterator[Emulator]:
    """A head emulator with two connections, open to anyone."""
    async with Emulator(
        trigger_latency=TEST_TRIGGER_LATENCY, airbyte_version="head", connections=2
    ) as server:
        yield server


def public_client(emu: Emulator, **kwargs: Any) -> AirbyteClient:
    """A client of the emulator's public API, ignoring the environment."""
    kwargs.setdefault("auth", NoAuth())
    return AirbyteClient(emu.url, api="public", env={}, **kwargs)


@pytest.mark.parametrize(
    ("url", "api", "chosen", "root"),
    [
        ("https://api.airbyte.com/v1", "auto", "public", "https://api.airbyte.com/v1/"),
        ("https://api.airbyte.com", "auto", "public", "https://api.airbyte.com/v1/"),
        ("http://host:8000/api/public/v1", "auto", "public", "http://host:8000/api/public/v1/"),
        (
            "http://host:8000/x/api/public/v1/",
            "auto",
            "public",
            "http://host:8000/x/api/public/v1/",
        ),
        ("http://host:8000", "public", "public", "http://host:8000/api/public/v1/"),
        ("http://host:8000", "auto", "config", "http://host:8000/api/v1/"),
        ("http://host:8000/api/v1", "auto", "config", "http://host:8000/api/v1/"),
    ],
)
def test_the_url_and_api_choose_the_root(url: str, api: str, chosen: str, root: str) -> None:
    """Cloud's URL, ``/api/public/v1`` and the bare host lead to the public root; ``auto`` takes
    the API the URL names, the public one on Cloud, else the Config API (issue 12)."""
    client = AirbyteClient(url, api=api, auth=NoAuth(), env={})
    assert client.api == chosen
    assert str(client.public_url if chosen == "public" else client.base_url) == root


def test_the_environment_chooses_the_api() -> None:
    """``AIRBYTE_API=public`` chooses the public API when ``api=`` is not given."""
    client = AirbyteClient("http://host:8000", auth=NoAuth(), env={"AIRBYTE_API": "public"})
    assert client.api == "public"
    assert isinstance(client.jobs, PublicJobs)


@pytest.mark.parametrize(
    ("url", "api"),
    [
        ("https://api.airbyte.com/v1", "config"),
        ("http://host:8000/api/public/v1", "config"),
        ("http://host:8000/api/v1", "public"),
        ("http://host:8000", "graphql"),
        ("https://api.airbyte.com/v2/jobs", "auto"),
    ],
)
def test_impossible_choices_are_invalid_arguments(url: str, api: str) -> None:
    """An unknown API, the Config API on a public-only URL, or a URL naming the other API is
    refused before any request, saying what to do."""
    with pytest.raises(InvalidArgumentError):
        AirbyteClient(url, api=api, auth=NoAuth(), env={})


@pytest.mark.parametrize(
    ("url", "api", "passed"),
    [
        ("http://u:secret@host:8000/api/public/v1", "config", "pass http://host:8000 or "),
        ("http://host:8000/api/v1", "public", "pass http://host:8000 or "),
        ("https://api.airbyte.com/v1", "config", "pass https://cloud.airbyte.com/api/v1"),
        ("http://host:8000/api/v1/api/v1", "config", "pass http://host:8000"),
        ("http://host:8000/pre/api/v1/jobs/get", "auto", "pass http://host:8000/pre"),
    ],
)
def test_a_url_for_the_other_api_says_what_to_pass(url: str, api: str, passed: str) -> None:
    """A URL naming the other API, Cloud's public URL for the Config API (which Cloud serves at
    cloud.airbyte.com/api: config-api-head.yaml servers; API-FACTS 0) or a URL with the routes
    already in it: the refusal names the URL to pass instead, and never a password."""
    with pytest.raises(InvalidArgumentError) as caught:
        AirbyteClient(url, api=api, auth=None, env={})

    assert passed in str(caught.value)
    assert "secret" not in str(caught.value)


def test_resolve_url_keeps_credentials_out_of_the_roots() -> None:
    """user:password in a public URL become basic credentials and leave both roots."""
    roots = resolve_url("http://u:p%40ss@host:8000/api/public/v1")
    assert roots.credentials is not None and roots.credentials.password == "p@ss"
    assert "p@ss" not in str(roots.public) and "p@ss" not in str(roots.config)


def test_a_try_again_later_problem_is_sync_already_running() -> None:
    """The public API's 409 ``try-again-later`` on ``POST /jobs`` maps to
    SyncAlreadyRunningError, whose message is the problem's ``data.message`` (API-FACTS 6.3)."""
    cid = "182a5f5f-4424-47f2-81c2-db42b056d7e2"
    body = {
        "status": 409,
        "type": "https://reference.airbyte.com/reference/errors#try-again-later",
        "title": "try-again-later",
        "detail": "Please try again later.",
        "data": {"message": f"A sync is already running for: {cid}"},
    }
    error = error_for(409, body, route="jobs")
    assert isinstance(error, SyncAlreadyRunningError)
    assert error.connection_id == cid
    assert error.title == "try-again-later"
    assert body["data"]["message"] in str(error)


async def test_a_second_trigger_is_sync_already_running(emu: Emulator) -> None:
    """``POST /jobs`` while the connection's job runs raises SyncAlreadyRunningError naming the
    connection, and starts nothing (API-FACTS 6.3)."""
    cid = emu.connection_ids[0]
    emu.set_sync_plan(cid, duration=30.0)
    async with public_client(emu) as client:
        first = await client.connections.sync(connection_id=cid)
        await until(lambda: emu.job_status(first.id) == "running")
        with pytest.raises(SyncAlreadyRunningError) as caught:
            await client.connections.sync(connection_id=cid)
        await client.jobs.cancel(job_id=first.id)
    assert caught.value.connection_id == cid
    assert emu.stats().jobs_by_connection == {cid: [first.id]}


async def test_a_404_names_the_resource_the_server_did_not_find(emu: Emulator) -> None:
    """A ``resource-not-found`` problem's detail is a stock sentence; its ``data`` names the
    resource's type and id (``ProblemResourceData``), which the error's message carries."""
    unknown = "7f3c1a2e-0000-4000-8000-000000000001"
    async with public_client(emu) as client:
        with pytest.raises(NotFoundError) as caught:
            await client.connections.get(connection_id=unknown)
    assert str(caught.value).endswith(f"could not be found: connection {unknown}")


async def test_a_sync_of_an_inactive_connection_says_so(emu: Emulator) -> None:
    """``POST /jobs`` for an inactive connection is a 409 ``state-conflict`` saying only
    "Could not fulfill request" (``ConfigClientErrorHandler.handleError`` drops the
    ``IllegalStateException``'s text): no job is found waiting, so the client reads the
    connection and raises ConflictError saying why, after one trigger (and one look, whose
    listing of every type is followed by one of refreshes and one of clears: before head a
    listing without ``jobType`` leaves them out)."""
    cid = emu.connection_ids[0]
    async with public_client(emu) as client:
        await client.connections.update(connection_id=cid, status=ConnectionStatus.INACTIVE)
        with pytest.raises(ConflictError, match=f"active connection: {cid} is inactive"):
            await client.connections.sync(connection_id=cid)
    assert emu.stats().requests_by_route["/public/v1/jobs"] == 1 + 3
    assert emu.stats().jobs_created == 0


@pytest.mark.parametrize("status", [502, 503, 504])
async def test_a_gateway_error_on_post_jobs_reads_no_connection(emu: Emulator, status: int) -> None:
    """A ``POST /jobs`` answered 502, 503 or 504 that started no job is sent again without a
    ``GET /connections/{id}``: an inactive connection is a 409 here and a 500 on the Config
    API (API-FACTS 6.2, 6.3), never a gateway's answer (chaos seed 706: 130 such reads of
    1,000 connections after 502s, 503s and 504s)."""
    cid = emu.connection_ids[0]
    emu.set_faults(
        [Fault(kind="error", route="/public/v1/jobs", method="POST", status=status, times=1)]
    )
    async with public_client(emu) as client:
        job = await client.connections.sync(connection_id=cid)
    assert emu.stats().jobs_by_connection == {cid: [job.id]}
    assert emu.stats().requests_by_route.get("/public/v1/connections/{connectionId}", 0) == 0


async def test_a_lost_trigger_answer_starts_one_job(emu: Emulator) -> None:
    """A ``POST /jobs`` whose answer is lost after the job started is settled by listing the
    connection's jobs since the attempt: the job is adopted, never started twice."""
    cid = emu.connection_ids[0]
    emu.set_faults([Fault(kind="reset_after", route="/public/v1/jobs", times=1)])
    async with public_client(emu) as client:
        job = await client.connections.sync(connection_id=cid)
    assert emu.stats().jobs_by_connection == {cid: [job.id]}
    assert emu.stats().faults_injected == {"reset_after": 1}


async def test_an_uncertain_trigger_is_logged_as_the_public_route_it_sent(
    emu: Emulator, caplog: pytest.LogCaptureFixture
) -> None:
    """A proxy's 502 on ``POST /jobs``, then the look for its job and the second trigger, are
    logged as ``POST jobs``, the request sent, never as the Config API's
    ``connections/sync``, which a public client does not call."""
    cid = emu.connection_ids[0]
    emu.set_faults([Fault(kind="proxy_error", route="/public/v1/jobs", method="POST", times=1)])
    with caplog.at_level("INFO", logger="airbyte_async"):
        async with public_client(emu) as client:
            job = await client.connections.sync(connection_id=cid)

    told = [r.getMessage() for r in caplog.records if cid in r.getMessage()]
    assert emu.stats().jobs_by_connection == {cid: [job.id]}
    assert any("failed uncertainly" in m for m in told)
    assert all("POST jobs" in m and "connections/sync" not in m for m in told)


async def test_a_lost_trigger_answer_is_found_behind_a_long_history(emu: Emulator) -> None:
    """The look for a lost ``POST /jobs``'s job asks for the newest jobs: the public API lists
    the oldest first by default (``JobsHelper.orderByToFieldAndMethod``), and a page of a
    connection with a long history would not hold the new job, which would be started again."""
    cid = emu.connection_ids[0]
    emu.set_sync_plan(cid, duration=0.0)
    async with public_client(emu) as client:
        for _ in range(12):
            done = await client.connections.sync(connection_id=cid)
            await client.jobs.wait(job_id=done.id, poll_interval=0.01)
        emu.set_sync_plan(cid, duration=30.0)
        emu.set_faults([Fault(kind="reset_after", route="/public/v1/jobs", times=1)])
        job = await client.connections.sync(connection_id=cid)
        await client.jobs.cancel(job_id=job.id)
    assert len(emu.stats().jobs_by_connection[cid]) == 13
    assert emu.stats().jobs_by_connection[cid][-1] == job.id


async def test_a_job_this_client_saw_start_is_never_taken_for_a_lost_triggers(
    emu: Emulator,
) -> None:
    """Cancel a sync, sync again at once, and that trigger fails before reaching Airbyte (a
    proxy's 502): the cancelled job, created within the look's clock margin, is not adopted;
    the trigger goes again and a new job runs."""
    cid = emu.connection_ids[0]
    emu.set_sync_plan(cid, duration=30.0)
    async with public_client(emu) as client:
        first = await client.connections.sync(connection_id=cid)
        await client.jobs.cancel(job_id=first.id)
        emu.set_faults([Fault(kind="proxy_error", route="/public/v1/jobs", status=502, times=1)])
        second = await client.connections.sync(connection_id=cid)
    assert second.id != first.id
    assert emu.stats().jobs_by_connection == {cid: [first.id, second.id]}


async def test_cancel_of_an_ended_job_reports_how_it_ended_and_stops_nothing(
    emu: Emulator,
) -> None:
    """
    Cancelling a job that already ended, while the connection runs a newer one, returns the
    old job's real final status and leaves the newer job running: ``DELETE /jobs/{id}`` would
    cancel it (airbytehq/airbyte-platform ``JobServiceImpl.cancelJob``; API-FACTS 6.3b), so
    the job is read first.
    """
    cid = emu.connection_ids[0]
    emu.set_sync_plan(cid, duration=0.0, outcome="failed")
    async with public_client(emu) as client:
        job = await client.connections.sync(connection_id=cid)
        ended = await client.jobs.wait(job_id=job.id, poll_interval=0.01)
        emu.set_sync_plan(cid, duration=30.0)
        newer = await client.connections.sync(connection_id=cid)
        cancelled = await client.jobs.cancel(job_id=job.id)
    assert ended.status is JobStatus.FAILED
    assert cancelled.status is JobStatus.FAILED
    assert emu.job_status(newer.id) in ("pending", "running")


async def test_a_cancel_that_fails_ambiguously_is_not_sent_again(emu: Emulator) -> None:
    """
    A ``DELETE /jobs/{id}`` of a running job answered by a proxy's 502 may have reached
    Airbyte, and a replay could cancel the connection's next job: it is raised, not retried.
    (Of a job that still reads pending, it goes again once an attempt runs: a cancel then is
    ignored, tests/test_cancel_refused.py. The trigger answers with its job pending, so the
    job is waited for to run: a read that came before it ran made this test flaky.)
    """
    cid = emu.connection_ids[0]
    emu.set_sync_plan(cid, duration=30.0)
    async with public_client(emu) as client:
        job = await client.connections.sync(connection_id=cid)
        await until(lambda: emu.job_status(job.id) == "running")
        emu.set_faults(
            [Fault(kind="proxy_error", route="/public/v1/jobs/*", method="DELETE", status=502)]
        )
        with pytest.raises(ServerError):
            await client.jobs.cancel(job_id=job.id)
    assert emu.stats().faults_injected == {"proxy_error": 1}


async def test_cancel_of_a_running_job_cancels_it(emu: Emulator) -> None:
    """``DELETE /jobs/{id}`` of a running job ends it as cancelled (public-api-head.yaml); its
    answer has no rows or bytes (API-FACTS 3), so the job is read back: the counts are the
    server's."""
    cid = emu.connection_ids[0]
    emu.set_sync_plan(cid, duration=30.0)
    async with public_client(emu) as client:
        job = await client.connections.sync(connection_id=cid)
        await anyio.sleep(0.2)  # some rows synced
        cancelled = await client.jobs.cancel(job_id=job.id)
        read = await client.jobs.get(job_id=job.id)
    assert cancelled.status is JobStatus.CANCELLED
    assert emu.job_status(job.id) == "cancelled"
    assert cancelled.records_synced is not None
    assert (cancelled.records_synced, cancelled.bytes_synced) == (
        read.records_synced,
        read.bytes_synced,
    )


async def test_jobs_read_the_same_models(emu: Emulator) -> None:
    """A public JobResponse reads as a :class:`Job`: its type, connection, status, times, and
    rows and bytes as the job's synced counts (JobResponseMapper)."""
    cid = emu.connection_ids[0]
    emu.set_sync_plan(cid, duration=0.0)
    async with public_client(emu) as client:
        started = await client.connections.sync(connection_id=cid)
        job = await client.jobs.wait(job_id=started.id, poll_interval=0.01)
        listed = [j async for j in client.jobs.list(connection_id=cid)]
    assert job.connection_id == cid
    assert job.status is JobStatus.SUCCEEDED
    assert job.records_synced is not None and job.records_synced > 0
    assert job.updated_at >= job.created_at
    assert [j.id for j in listed] == [job.id]


async def test_a_job_list_with_several_statuses_is_filtered_here(emu: Emulator) -> None:
    """The public API filters jobs by one status; asked for several, the client asks for all
    and keeps the ones wanted, on the same pages (public-api-head.yaml ``GET /jobs``)."""
    first, second = emu.connection_ids
    emu.set_sync_plan(first, duration=0.0)
    emu.set_sync_plan(second, duration=30.0)
    async with public_client(emu) as client:
        done = await client.connections.sync(connection_id=first)
        running = await client.connections.sync(connection_id=second)
        await client.jobs.wait(job_id=done.id, poll_interval=0.01)
        workspace = await client.workspaces.default()
        final = (JobStatus.SUCCEEDED, JobStatus.FAILED, JobStatus.CANCELLED)
        page = await client.jobs.list_for_workspaces_page(
            workspace_ids=[workspace.workspace_id], statuses=final
        )
        await client.jobs.cancel(job_id=running.id)
    assert [j.id for j in page.jobs] == [done.id]


async def test_a_filtered_job_listing_pages_past_pages_it_shortened(emu: Emulator) -> None:
    """Every job with one of several statuses is listed: pages are counted in the server's
    rows, so a page the client's own filter shortened does not end the listing
    (public-api-head.yaml ``GET /jobs``, one status a request)."""
    cid = emu.connection_ids[0]
    failed = set()
    async with public_client(emu) as client:
        for n in range(6):
            emu.set_sync_plan(cid, duration=0.0, outcome="failed" if n % 2 else "succeeded")
            started = await client.connections.sync(connection_id=cid)
            ended = await client.jobs.wait(job_id=started.id, poll_interval=0.01)
            if ended.status is JobStatus.FAILED:
                failed.add(ended.id)
        wanted = (JobStatus.FAILED, JobStatus.CANCELLED)
        listed = client.jobs.list(connection_id=cid, statuses=wanted, page_size=2)
        found = [job.id async for job in listed]
    assert len(failed) == 3
    assert sorted(found) == sorted(failed)


async def test_sources_destinations_and_connections(emu: Emulator) -> None:
    """Sources and destinations are created, read, renamed, reconfigured, listed and deleted,
    and a connection created, read and patched, all through the public API (issue 12)."""
    async with public_client(emu) as client:
        workspace = await client.workspaces.default()
        wid = workspace.workspace_id
        existing = await client.sources.get(
            source_id=(await first_connection(client, wid)).source_id
        )
        source = await client.sources.create(
            workspace_id=wid, name="pub", definition_id=existing.definition_id, configuration=PG
        )
        renamed = await client.sources.update(source_id=source.source_id, name="pub-2")
        found = await client.sources.find(workspace_id=wid, name="pub-2")
        schema = await client.sources.discover_schema(source_id=source.source_id)
        assert schema.catalog is not None
        destination = next([d async for d in client.destinations.list(workspace_id=wid)].__iter__())
        connection = await client.connections.create(
            source_id=source.source_id,
            destination_id=destination.destination_id,
            name="pub-conn",
            status=ConnectionStatus.INACTIVE,
        )
        patched = await client.connections.update(
            connection_id=connection.connection_id, status=ConnectionStatus.ACTIVE
        )
        await client.connections.delete(connection_id=connection.connection_id)
        await client.sources.delete(source_id=source.source_id)
        with pytest.raises(NotFoundError):
            await client.sources.get(source_id=source.source_id)
    assert renamed.name == "pub-2" and found.source_id == source.source_id
    assert source.connector_type == "postgres"
    assert connection.status is ConnectionStatus.INACTIVE
    assert patched.status is ConnectionStatus.ACTIVE
    assert patched.schedule_type is ScheduleType.MANUAL
    assert {s.stream.name for s in patched.sync_catalog.streams} == set(schema.catalog.stream_names)


async def test_discovery_names_modes_only_toward_a_destination(emu: Emulator) -> None:
    """``GET /streams`` names a stream's modes only for a destination: without one, neither
    the read modes nor the pairs are known; with an S3 one, the pairs it allows (no
    append_dedup) and the read modes they use (StreamsController.getValidSyncModes)."""
    async with public_client(emu) as client:
        wid = (await client.workspaces.default()).workspace_id
        connection = await first_connection(client, wid)
        plain = await client.sources.discover_schema(source_id=connection.source_id)
        toward = await client.sources.discover_schema(
            source_id=connection.source_id, destination_id=connection.destination_id
        )

    assert plain.sync_modes is None and plain.catalog is not None
    assert all(entry.stream.supported_sync_modes == () for entry in plain.catalog.streams)
    assert toward.sync_modes is not None and toward.catalog is not None
    [orders] = [e.stream for e in toward.catalog.streams if e.stream.name == "orders"]
    assert orders.supported_sync_modes == (SyncMode.FULL_REFRESH, SyncMode.INCREMENTAL)
    assert toward.sync_modes["orders"] == (
        (SyncMode.FULL_REFRESH, DestinationSyncMode.APPEND),
        (SyncMode.FULL_REFRESH, DestinationSyncMode.OVERWRITE),
        (SyncMode.INCREMENTAL, DestinationSyncMode.APPEND),
    )


async def first_connection(client: AirbyteClient, workspace_id: str) -> Any:
    """The workspace's first connection."""
    async for connection in client.connections.list(workspace_id=workspace_id):
        return connection
    raise AssertionError("no connection")


#: An id in the form the client checks for.
ANY_ID = "00000000-0000-4000-8000-00000000000a"

CONFIG_ONLY: list[tuple[str, Callable[[AirbyteClient], Awaitable[Any]]]] = [
    ("sources.check_connection", lambda c: c.sources.check_connection(source_id=ANY_ID)),
    (
        "destinations.check_connection",
        lambda c: c.destinations.check_connection(destination_id=ANY_ID),
    ),
    ("jobs.logs", lambda c: c.jobs.logs(job_id=1)),
    ("connections.sync_progress", lambda c: c.connections.sync_progress(connection_id=ANY_ID)),
    ("workspaces.get_by_slug", lambda c: c.workspaces.get_by_slug(slug="x")),
    ("source_definitions.get", lambda c: c.source_definitions.get(definition_id=ANY_ID)),
    ("destination_definitions.list", lambda c: anext(c.destination_definitions.list())),
    ("source_definitions.find", lambda c: c.source_definitions.find(name="Postgres")),
    (
        "destination_definitions.get_specification",
        lambda c: c.destination_definitions.get_specification(
            definition_id=ANY_ID, workspace_id=ANY_ID
        ),
    ),
]


@pytest.mark.parametrize(("name", "operation"), CONFIG_ONLY, ids=[n for n, _ in CONFIG_ONLY])
async def test_config_only_operations_send_nothing(
    emu: Emulator, name: str, operation: Callable[[AirbyteClient], Awaitable[Any]]
) -> None:
    """An operation only the Config API has raises UnsupportedOperationError naming an
    alternative, and sends no request that would 404 (issue 12)."""
    async with public_client(emu) as client:
        with pytest.raises(UnsupportedOperationError) as caught:
            await operation(client)
    assert "public REST API" in str(caught.value)
    assert "; " in str(caught.value)
    assert emu.stats().total_requests == 0


@pytest.mark.parametrize("job_type", ["bogus", JobType.GET_SPEC, JobType.REFRESH])
async def test_a_job_type_the_public_api_cannot_start_is_refused_before_sending(
    emu: Emulator, job_type: Any
) -> None:
    """
    A trigger of a job type ``POST /jobs`` cannot start raises InvalidArgumentError and sends
    nothing: Airbyte would answer an unknown ``jobType`` with a bare 422 (Jackson cannot read
    it into ``JobTypeEnum``; API-FACTS 6.2) and a refresh with its 422 problem
    ("Refreshes are not supported in the public API", ``JobsController``).
    """
    cid = emu.connection_ids[0]
    async with public_client(emu) as client:
        assert isinstance(client.jobs, PublicJobs)
        with pytest.raises(InvalidArgumentError, match="cannot start"):
            await client.jobs.trigger(connection_id=cid, job_type=job_type)
    assert emu.stats().total_requests == 0


@pytest.mark.parametrize("api", ["config", "public"])
@pytest.mark.parametrize("job_type", [JobType("bogus"), JobType.CLEAR, JobType.REFRESH])
async def test_a_sync_backend_refuses_a_job_type_it_does_not_start(
    emu: Emulator, api: str, job_type: JobType
) -> None:
    """
    The orchestrator's backend starts syncs and resets; asked for another job type it raises
    InvalidArgumentError before sending anything, rather than start a sync nobody asked for.
    """
    async with AirbyteClient(emu.url, api=api, auth=NoAuth(), env={}) as client:
        backend = client.sync_backend()
        with pytest.raises(InvalidArgumentError, match="starts syncs and resets"):
            await backend.trigger(connection_id=emu.connection_ids[0], job_type=job_type)
    assert emu.stats().total_requests == 0


@pytest.mark.parametrize(
    ("config", "public"),
    [
        (Workspaces, PublicWorkspaces),
        (SourceDefinitions, PublicSourceDefinitions),
        (DestinationDefinitions, PublicDestinationDefinitions),
        (Sources, PublicSources),
        (Destinations, PublicDestinations),
        (Connections, PublicConnections),
        (Jobs, PublicJobs),
    ],
)
def test_each_public_resource_keeps_the_config_signatures(config: type, public: type) -> None:
    """Every operation the public resource implements takes the same arguments as the Config
    API's, so code written for one runs on the other."""
    own = {n for klass in public.__mro__ if klass not in config.__mro__ for n in vars(klass)}
    compared = 0
    for name in sorted(own):
        base = getattr(config, name, None)
        if name.startswith("_") or base is None or not callable(base):
            continue
        assert inspect.signature(getattr(public, name)) == inspect.signature(base), name
        compared += 1
    assert compared >= 2, f"{public.__name__} implements too little"


async def test_client_credentials_use_the_public_token_route() -> None:
    """ClientCredentials on the public API mint their token at
    ``/api/public/v1/applications/token`` (``expires_in`` 900) and use it (API-FACTS 1.2)."""
    policy = RequireClientCredentials("app", "s3cret")
    async with Emulator(
        trigger_latency=TEST_TRIGGER_LATENCY, airbyte_version="head", connections=1, auth=policy
    ) as emu:
        auth = ClientCredentials("app", "s3cret")
        async with AirbyteClient(emu.url, api="public", auth=auth, env={}) as client:
            workspace = await client.workspaces.default()
            listed = [c async for c in client.connections.list(workspace_id=workspace.workspace_id)]
        by_route = emu.stats().requests_by_route
    assert [c.connection_id for c in listed] == emu.connection_ids
    assert by_route["/public/v1/applications/token"] == 1
    assert "/v1/applications/token" not in by_route
    assert auth.refreshes == 1


async def connection_beside(client: AirbyteClient, emu: Emulator, **settings: Any) -> Connection:
    """A new connection between the source and destination of the emulator's first one."""
    existing = await client.connections.get(connection_id=emu.connection_ids[0])
    return await client.connections.create(
        source_id=existing.source_id, destination_id=existing.destination_id, **settings
    )


async def test_settings_the_public_api_spells_differently_read_back_as_sent(
    emu: Emulator,
) -> None:
    """A custom namespace format, a disabling schema-change preference and a cron schedule go
    out as the public API spells them (``custom_format``, ``disable_connection``, no time
    zone) and read back as the same models; the cron's zone comes back after the expression
    (ConnectionReadMapper)."""
    cron = CronSchedule(cron_expression="0 0 */6 * * ?", cron_time_zone="UTC")
    async with public_client(emu) as client:
        created = await connection_beside(
            client,
            emu,
            name="spelled",
            namespace_definition=NamespaceDefinition.CUSTOM_FORMAT,
            namespace_format="${SOURCE_NAMESPACE}_raw",
            non_breaking_changes_preference=NonBreakingChangesPreference.DISABLE,
            schedule_data=ScheduleData(cron=cron),
        )
        read = await client.connections.get(connection_id=created.connection_id)
        with pytest.raises(InvalidArgumentError, match="cron"):
            await client.connections.update(
                connection_id=created.connection_id,
                schedule=Schedule(units=6, time_unit=TimeUnit.HOURS),
            )
    assert read.namespace_definition is NamespaceDefinition.CUSTOM_FORMAT
    assert read.namespace_format == "${SOURCE_NAMESPACE}_raw"
    assert read.non_breaking_changes_preference is NonBreakingChangesPreference.DISABLE
    assert read.effective_schedule == (ScheduleType.CRON, ScheduleData(cron=cron))


async def test_a_cron_expression_ending_in_utc_is_taken_as_the_public_api_takes_it(
    emu: Emulator,
) -> None:
    """
    ``0 0 12 * * ? UTC``, the form the public API writes a cron in, is created as the server
    stores it: without every ``UTC`` (AirbyteCatalogHelper.normalizeCronExpression,
    airbytehq/airbyte-platform @6768a528), not refused as a year that is not a number.
    """
    sent = CronSchedule(cron_expression="0 0 12 * * ? UTC", cron_time_zone="UTC")
    async with public_client(emu) as client:
        created = await connection_beside(
            client, emu, name="utc-suffix", schedule_data=ScheduleData(cron=sent)
        )
    stored = CronSchedule(cron_expression="0 0 12 * * ?", cron_time_zone="UTC")
    assert created.effective_schedule == (ScheduleType.CRON, ScheduleData(cron=stored))


async def test_ensure_of_a_cron_ending_in_utc_finds_the_connection_unchanged(
    emu: Emulator,
) -> None:
    """A second ``ensure`` with ``0 0 12 * * ? UTC`` compares it as the server stored it, so
    the connection it created is unchanged, not updated on every run."""
    cron = CronSchedule(cron_expression="0 0 12 * * ? UTC", cron_time_zone="UTC")
    async with public_client(emu) as client:
        first = await client.connections.get(connection_id=emu.connection_ids[0])
        ensure = functools.partial(
            client.connections.ensure,
            workspace_id=first.workspace_id,
            source_id=first.source_id,
            destination_id=first.destination_id,
            name="utc-suffix",
            schedule_data=ScheduleData(cron=cron),
        )
        created, again = await ensure(), await ensure()
    assert (created.action, again.action) == (EnsureAction.CREATED, EnsureAction.UNCHANGED)


async def test_a_cron_connection_goes_back_to_manual(emu: Emulator) -> None:
    """
    ``update(schedule_type=MANUAL)`` takes a cron connection back to manual, although Airbyte
    drops a schedule sent without a cronExpression (AirbyteCatalogHelper.
    normalizeCronExpression): the client sends one, which a manual schedule ignores.
    """
    cron = CronSchedule(cron_expression="0 0 */6 * * ?", cron_time_zone="UTC")
    async with public_client(emu) as client:
        created = await connection_beside(
            client, emu, name="back-to-manual", schedule_data=ScheduleData(cron=cron)
        )
        await client.connections.update(
            connection_id=created.connection_id, schedule_type=ScheduleType.MANUAL
        )
        read = await client.connections.get(connection_id=created.connection_id)
    assert created.schedule_type is ScheduleType.CRON
    assert read.effective_schedule == (ScheduleType.MANUAL, None)


async def test_a_schedule_type_given_by_its_value_works_as_on_the_config_api(
    emu: Emulator,
) -> None:
    """``schedule_type="cron"`` or ``"manual"`` (the value, not the member) is taken as the
    member is, as on the Config API: not refused as "not basic ones"."""
    cron = CronSchedule(cron_expression="0 0 */6 * * ?", cron_time_zone="UTC")
    async with public_client(emu) as client:
        created = await connection_beside(client, emu, name="by-value")
        await client.connections.update(
            connection_id=created.connection_id,
            schedule_type="cron",  # type: ignore[arg-type]
            schedule_data=ScheduleData(cron=cron),
        )
        as_cron = await client.connections.get(connection_id=created.connection_id)
        await client.connections.update(
            connection_id=created.connection_id,
            schedule_type="manual",  # type: ignore[arg-type]
        )
        as_manual = await client.connections.get(connection_id=created.connection_id)
    assert as_cron.effective_schedule == (ScheduleType.CRON, ScheduleData(cron=cron))
    assert as_manual.effective_schedule == (ScheduleType.MANUAL, None)


async def test_a_schedule_type_the_public_api_has_no_form_for_is_refused_by_its_name(
    emu: Emulator,
) -> None:
    """A schedule type that is neither manual nor cron nor basic (misspelt, or a newer
    server's) is refused before any write, naming it and the types the public API takes: not
    taken for a basic schedule, which the caller never gave."""
    async with public_client(emu) as client:
        created = await connection_beside(client, emu, name="odd-type")
        with pytest.raises(InvalidArgumentError, match="manual or cron") as caught:
            await client.connections.update(
                connection_id=created.connection_id,
                schedule_type="hourly",  # type: ignore[arg-type]
            )
    assert "'hourly'" in str(caught.value)
    assert "basic" not in str(caught.value)


async def test_field_selection_and_mappers_survive_a_catalog_sent_and_read_back(
    emu: Emulator,
) -> None:
    """
    A stream's selected fields and mappers go out with the catalog and read back; an update
    that sends the catalog read keeps them. Airbyte fills what a stream leaves out from the
    discovered stream, not from the connection (AirbyteCatalogHelper.
    toAirbyteStreamConfiguration), so a catalog sent without them would sync every field.
    """
    mapper = {"type": "hashing", "mapperConfiguration": {"targetField": "id", "method": "MD5"}}
    async with (
        public_client(emu) as client,
        AirbyteClient(emu.url, api="config", auth=NoAuth(), env={}) as config_client,
    ):
        existing = await client.connections.get(connection_id=emu.connection_ids[0])
        schema = await config_client.sources.discover_schema(source_id=existing.source_id)
        assert schema.catalog is not None
        first = schema.catalog.streams[0]
        assert first.config is not None and first.stream.json_schema is not None
        kept = tuple(SelectedField(field_path=(f,)) for f in first.stream.json_schema["properties"])
        picked = kept[:1]
        config = attrs.evolve(
            first.config, field_selection_enabled=True, selected_fields=picked, mappers=(mapper,)
        )
        catalog = Catalog(streams=(StreamAndConfig(stream=first.stream, config=config),))
        created = await connection_beside(client, emu, name="fields", sync_catalog=catalog)
        read = await client.connections.get(connection_id=created.connection_id)
        await client.connections.update(
            connection_id=created.connection_id, sync_catalog=read.sync_catalog
        )
        again = await client.connections.get(connection_id=created.connection_id)
        plain = await client.connections.get(connection_id=emu.connection_ids[0])
    for connection in (read, again):
        (stream,) = connection.sync_catalog.streams
        assert stream.config is not None
        assert stream.config.selected_fields == picked
        assert stream.config.field_selection_enabled is True
        assert stream.config.mappers == (mapper,)
    assert len(kept) > 1
    assert all(s.config and s.config.selected_fields is None for s in plain.sync_catalog.streams)


async def test_a_stream_whose_mode_the_server_does_not_name_is_not_written_back_as_a_full_refresh(
    emu: Emulator,
) -> None:
    """
    A stream in incremental/update mode (set through the Config API) reads back from the
    public API with no ``syncMode``, as ConnectionReadMapper names five modes only: its modes
    read as ``unreported``, and writing that catalog back is refused before any request
    rather than sent as a full refresh overwrite.
    """
    async with (
        public_client(emu) as client,
        AirbyteClient(emu.url, api="config", auth=NoAuth(), env={}) as config_client,
    ):
        cid = emu.connection_ids[0]
        before = await config_client.connections.get(connection_id=cid)
        first, *rest = before.sync_catalog.streams
        assert first.config is not None
        update = attrs.evolve(
            first.config,
            sync_mode=SyncMode.INCREMENTAL,
            destination_sync_mode=DestinationSyncMode("update"),
            cursor_field=("updated_at",),
            primary_key=(("id",),),
        )
        catalog = Catalog(streams=(attrs.evolve(first, config=update), *rest))
        await config_client.connections.update(connection_id=cid, sync_catalog=catalog)
        read = await client.connections.get(connection_id=cid)
        with pytest.raises(InvalidArgumentError, match="did not say its sync mode"):
            await client.connections.update(connection_id=cid, sync_catalog=read.sync_catalog)
        after = await config_client.connections.get(connection_id=cid)
    [stream] = [s for s in read.sync_catalog.streams if s.stream.name == first.stream.name]
    assert stream.config is not None
    assert stream.config.sync_mode == "unreported"
    [kept] = [s for s in after.sync_catalog.streams if s.stream.name == first.stream.name]
    assert kept.config is not None and kept.config.destination_sync_mode == "update"


def test_a_public_mode_this_client_does_not_know_is_written_back_as_read() -> None:
    """A ``syncMode`` newer than this client reads as itself, and goes back unchanged."""
    sent = pw.StreamConfigurations(
        streams=(pw.StreamConfiguration(name="s", sync_mode="incremental_someday"),)
    )
    catalog = _catalog_of(sent)
    [stream] = catalog.streams
    assert stream.config is not None and not stream.config.sync_mode.is_known
    assert _configurations_for(catalog).streams[0].sync_mode == "incremental_someday"


async def test_the_escape_hatch_calls_the_public_api(emu: Emulator) -> None:
    """``client.request`` on the public API sends to its root with the method given."""
    async with public_client(emu) as client:
        listed = await client.request("workspaces", method="GET", idempotent=True)
    assert [w["workspaceId"] for w in listed["data"]] == emu.workspace_ids
    assert dict(emu.stats().requests_by_route) == {"/public/v1/workspaces": 1}


async def test_a_listing_keeps_only_the_catalogs_of_the_connections_it_names(
    emu: Emulator,
) -> None:
    """connections.list(catalogs=names) on the public API: every connection, with its streams
    only if named."""
    async with AirbyteClient(emu.url, auth=NoAuth(), env={}, api="public") as client:
        workspace_id = emu.workspace_ids[0]
        full = [c async for c in client.connections.list(workspace_id=workspace_id)]
        named = full[1].name

        listed = [
            c async for c in client.connections.list(workspace_id=workspace_id, catalogs=[named])
        ]

    assert [c.connection_id for c in listed] == [c.connection_id for c in full]
    assert [bool(c.sync_catalog.streams) for c in listed] == [False, True]
    assert listed[1] == full[1]


async def test_a_long_list_is_read_in_order_several_pages_at_once() -> None:
    """
    250 connections: the first page, then pages at offsets 100 to 400 at once (three of them
    past the end: one short page and two empty ones); every connection once, in the server's
    order, in five requests rather than three one after another.
    """
    async with (
        Emulator(airbyte_version="head", connections=250) as emu,
        public_client(emu) as client,
    ):
        wid = emu.workspace_ids[0]
        listed = [c.connection_id async for c in client.connections.list(workspace_id=wid)]
        requests = emu.stats().requests_by_route["/public/v1/connections"]

    assert listed == emu.connection_ids
    assert requests == 1 + PAGES_AT_ONCE


async def test_a_page_that_fails_raises_after_the_pages_before_it() -> None:
    """A 500 on every page past the first (beyond its retries): the first page's items come,
    then the error itself, not an exception group."""
    fault = Fault(kind="error", route="/public/v1/connections", status=500)
    listed: list[str] = []
    async with (
        Emulator(airbyte_version="head", connections=150) as emu,
        public_client(emu) as client,
    ):

        async def collect() -> None:
            async for connection in client.connections.list(workspace_id=emu.workspace_ids[0]):
                listed.append(connection.connection_id)
                emu.set_faults([fault])

        with pytest.raises(ServerError):
            await collect()

    assert listed == emu.connection_ids[:100]


@pytest.mark.parametrize(
    "call",
    [
        lambda c, other: c.connections.delete(connection_id=f"../sources/{other}"),
        lambda c, other: c.connections.get(connection_id=f"{other}/../../workspaces"),
        lambda c, other: c.sources.delete(source_id="../connections/x"),
        lambda c, other: c.jobs.cancel(job_id="1/../../connections"),
    ],
    ids=["delete", "get", "source", "job"],
)
async def test_an_id_that_is_not_one_never_reaches_a_path(
    call: Callable[[AirbyteClient, str], Awaitable[Any]],
) -> None:
    """Ids go into the public API's paths: one that is not a UUID (a job's: a whole number)
    is refused before any request, so it cannot name another object to delete."""
    async with (
        Emulator(
            trigger_latency=TEST_TRIGGER_LATENCY,
            airbyte_version="head",
            connections=1,
            record_requests=True,
        ) as server,
        public_client(server) as client,
    ):
        source_id = (
            await anext(client.sources.list(workspace_id=server.workspace_ids[0]))
        ).source_id
        before = len(server.requests)
        with pytest.raises(InvalidArgumentError, match="must be"):
            await call(client, source_id)
        assert len(server.requests) == before
        assert (await client.sources.get(source_id=source_id)).source_id == source_id


WRITES: dict[str, Callable[[AirbyteClient, Connection], Awaitable[Any]]] = {
    "PUT source": lambda c, conn: c.sources.update(
        source_id=conn.source_id, name="s", configuration={**PG, "port": 1}
    ),
    "PATCH source": lambda c, conn: c.sources.update(source_id=conn.source_id, name="renamed"),
    "PATCH connection": lambda c, conn: c.connections.update(
        connection_id=conn.connection_id, name="renamed"
    ),
}


@pytest.mark.parametrize("fault", ["reset_after", "error"])
@pytest.mark.parametrize("write", sorted(WRITES))
async def test_an_update_whose_answer_is_lost_is_sent_once(write: str, fault: str) -> None:
    """A PUT or PATCH that may have acted (the connection reset after it was sent, a 503) is
    not sent again, by the retry policy or by aiohttp on a kept-alive connection: a replay
    would undo a change made meanwhile (README, "What is retried"). A DELETE is sent again,
    which changes nothing once done (tests/test_delete_lost.py)."""
    method = write.split()[0]
    async with Emulator(
        trigger_latency=TEST_TRIGGER_LATENCY,
        airbyte_version="head",
        connections=1,
        record_requests=True,
    ) as emu:
        async with public_client(emu, timeout=5) as client:
            # Read first: the write then goes on a kept-alive connection.
            conn = await client.connections.get(connection_id=emu.connection_ids[0])
            status = {"status": 503} if fault == "error" else {}
            emu.set_faults([Fault(kind=fault, method=method, times=1, **status)])
            with pytest.raises((ServerError, ConnectionLostError)):
                await WRITES[write](client, conn)
        assert [r.method for r in emu.requests].count(method) == 1


async def test_a_2_0_sync_whose_job_waits_for_a_worker_past_the_timeout_is_not_sent_again() -> None:
    """On 2.0 a sync's ``POST /jobs`` answers only once its job runs (``testing._versions``):
    when the job waits for a worker longer than the client's timeout, ``connections.sync``
    returns that job, still pending, found among the connection's jobs, and the trigger is
    sent once (README, "Public API quirks")."""
    async with (
        Emulator(
            airbyte_version="2.0", connections=1, pending_duration=30.0, record_requests=True
        ) as emu,
        public_client(emu, timeout=0.5) as client,
    ):
        cid = emu.connection_ids[0]
        job = await client.connections.sync(connection_id=cid)
        sent = [(r.method, r.route) for r in emu.requests]
        assert emu.stats().jobs_by_connection[cid] == [job.id]
    assert job.status is JobStatus.PENDING
    # The trigger, then the look that found its job: its syncs, then its refreshes, which 2.0
    # lists apart.
    assert sent == [("POST", "/public/v1/jobs")] + [("GET", "/public/v1/jobs")] * 2


async def test_a_listing_of_changes_misses_no_end_while_jobs_end_under_its_pages() -> None:
    """Every job that had ended before ``list_changes`` began is in its answer, although
    jobs end while its pages are read (0.2 s each): paged oldest change first, each end
    moved the rows after it into pages already read, and skipped one."""
    slow = Fault(kind="latency", route="/public/v1/jobs", method="GET", delay=0.2)
    async with (
        Emulator(airbyte_version="head", connections=300, seed=4, sync_duration=(0.5, 4.0)) as emu,
        public_client(emu, max_connections=300) as client,
    ):
        since = dt.datetime.now(dt.UTC) - dt.timedelta(seconds=2)
        async with anyio.create_task_group() as tg:
            for cid in emu.connection_ids:
                tg.start_soon(functools.partial(client.connections.sync, connection_id=cid))
        await anyio.sleep(1.5)
        emu.set_faults([slow])
        jobs = [j for ids in emu.stats().jobs_by_connection.values() for j in ids]
        ended = {j for j in jobs if emu.job_status(j) in ("succeeded", "failed")}
        changes = await client.jobs.list_changes(
            workspace_ids=emu.workspace_ids,
            updated_at_start=since,
            statuses=[JobStatus.SUCCEEDED, JobStatus.FAILED],
        )
    assert len(ended) > 100
    assert ended <= {c.id for c in changes}


async def test_ensure_of_a_connection_over_namespaced_streams_settles() -> None:
    """A source whose streams have a namespace (MySQL's database): the public API reads a
    connection's streams back without it (ConnectionReadMapper), and ensure still finds the
    second call unchanged and sends no PATCH."""
    mysql, postgres = "435bb9a5-7887-4809-aa58-28c27df0d7ad", "25c5221d-dce2-4163-ade9-739ef790f503"
    async with Emulator(airbyte_version="head", record_requests=True) as emu:
        async with public_client(emu) as client:
            wid = (await client.workspaces.default()).workspace_id
            source = await client.sources.create(
                workspace_id=wid, name="s", definition_id=mysql, configuration={**PG, "port": 3306}
            )
            destination = await client.destinations.create(
                workspace_id=wid,
                name="d",
                definition_id=postgres,
                configuration={**PG, "schema": "public"},
            )
            found = (await client.sources.discover_schema(source_id=source.source_id)).catalog
            assert found is not None and found.streams[0].stream.namespace
            catalog = select_streams(found, "customers")
            ensured = [
                await client.connections.ensure(
                    workspace_id=wid,
                    source_id=source.source_id,
                    destination_id=destination.destination_id,
                    name="c",
                    sync_catalog=catalog,
                )
                for _ in range(2)
            ]
        patches = [r for r in emu.requests if r.method == "PATCH"]
    assert [e.action for e in ensured] == [EnsureAction.CREATED, EnsureAction.UNCHANGED]
    assert patches == []


async def test_a_listing_read_while_a_row_is_written_still_yields_every_row_once() -> None:
    """
    Airbyte pages connections with no ``ORDER BY``, and a row written anew moves (the
    emulator: to the end of the scan): one renamed while its listing is read shows on two
    pages, and a row after the first page shows on none. The listing reads again for the
    rows it has not yielded, and yields each connection once.
    """
    async with (
        Emulator(airbyte_version="head", connections=150) as emu,
        public_client(emu) as client,
        public_client(emu) as other,
    ):
        listed = []
        async for connection in client.connections.list(workspace_id=emu.workspace_ids[0]):
            if not listed:
                await other.connections.update(connection_id=emu.connection_ids[0], name="renamed")
            listed.append(connection.connection_id)
    assert sorted(listed) == sorted(emu.connection_ids)


async def test_ensure_sends_the_catalog_it_was_given_with_any_change() -> None:
    """Some releases rebuild a connection's catalog on a PATCH that names no stream (README,
    "Public API quirks"): ensure given a catalog sends it with a change of schedule alone."""
    async with Emulator(airbyte_version="head", record_requests=True) as emu:
        async with public_client(emu) as client:
            wid = (await client.workspaces.default()).workspace_id
            source = await client.sources.create(
                workspace_id=wid, name="s", definition_id=_POSTGRES_SOURCE, configuration=PG
            )
            destination = await client.destinations.create(
                workspace_id=wid,
                name="d",
                definition_id=_POSTGRES_DESTINATION,
                configuration={**PG, "schema": "public"},
            )
            found = (await client.sources.discover_schema(source_id=source.source_id)).catalog
            assert found is not None
            ensure = functools.partial(
                client.connections.ensure,
                workspace_id=wid,
                source_id=source.source_id,
                destination_id=destination.destination_id,
                name="c",
                sync_catalog=select_streams(found, "customers"),
            )
            await ensure()
            hourly = ScheduleData(
                cron=CronSchedule(cron_expression="0 0 * * * ?", cron_time_zone="UTC")
            )
            changed = await ensure(schedule_type=ScheduleType.CRON, schedule_data=hourly)
        [patch] = [r for r in emu.requests if r.method == "PATCH"]
    assert changed.action is EnsureAction.UPDATED
    assert changed.changes == ("schedule",)
    assert [s["name"] for s in patch.body["configurations"]["streams"]] == ["customers"]


async def test_ensure_of_a_source_named_by_its_source_type_settles() -> None:
    """A configuration that names its connector (``sourceType``, as the public API's docs
    write one) is created with it, read back without it (the public API drops it:
    ``removeSourceTypeNode``), and a second ensure finds it unchanged and sends no update,
    secrets and all."""
    postgres = "decd338e-5647-4c0b-adf4-da0e75f5a750"
    configuration = {"sourceType": "postgres", **PG}
    async with Emulator(airbyte_version="head", record_requests=True) as emu:
        async with public_client(emu) as client:
            wid = (await client.workspaces.default()).workspace_id
            ensured = [
                await client.sources.ensure(
                    workspace_id=wid, name="s", definition_id=postgres, configuration=configuration
                )
                for _ in range(2)
            ]
        writes = [r for r in emu.requests if r.method in ("PATCH", "PUT")]
    assert [e.action for e in ensured] == [EnsureAction.CREATED, EnsureAction.UNCHANGED]
    assert (ensured[1].changes, writes) == ((), [])


@pytest.mark.parametrize("api", ["config", "public"])
@pytest.mark.parametrize(
    ("listing", "message"),
    [
        (lambda c, cid, wid: c.jobs.list(connection_id=cid, statuses="failed"), "statuses"),
        (lambda c, cid, wid: c.jobs.list(connection_id=cid, job_types="sync"), "job_types"),
        (lambda c, cid, wid: c.jobs.list_for_workspaces(workspace_ids=wid), "got one"),
    ],
)
async def test_a_string_where_a_list_goes_is_refused_on_either_api(
    emu: Emulator, api: str, listing: Callable[..., Any], message: str
) -> None:
    """One status, job type or workspace id given alone (a string) raises
    InvalidArgumentError before any request, on both APIs, rather than being read letter by
    letter (an empty listing on the public API, a 422 on the Config API)."""
    async with AirbyteClient(emu.url, api=api, env={}) as client:  # type: ignore[arg-type]
        wid = (await client.workspaces.default()).workspace_id
        before = emu.stats().total_requests
        with pytest.raises(InvalidArgumentError, match=message):
            [job async for job in listing(client, emu.connection_ids[0], wid)]
    assert emu.stats().total_requests == before


@pytest.mark.parametrize("operation", ["get", "cancel", "cancel_running"])
async def test_a_job_that_does_not_exist_is_a_not_found_error_naming_it(
    emu: Emulator, operation: str
) -> None:
    """Reading or cancelling job 987654, which does not exist, raises NotFoundError naming
    it: Airbyte answers 403, as for a job of a workspace the credentials may not touch
    (``JobsController`` checks the role before it reads the job; see the emulator's test)."""
    async with public_client(emu) as client:
        with pytest.raises(NotFoundError, match="there is no job 987654") as raised:
            await getattr(client.jobs, operation)(job_id=987654)

    assert raised.value.status == 403
    assert "WORKSPACE_" in str(raised.value)


async def test_a_cancel_whose_read_comes_late_reads_again_and_leaves_a_newer_job_alone(
    emu: Emulator,
) -> None:
    """The public ``DELETE /jobs/{id}`` cancels whatever the connection runs, as the Config
    API's cancel does: the read before it answered 1.5 s late, the job shown running as when
    asked, and meanwhile it ended and another sync started. The read is made again, shows
    the job ended, and nothing is cancelled."""
    connection_id = emu.connection_ids[0]
    emu.set_sync_plan(connection_id, duration=0.5)
    async with public_client(emu) as client:
        job = await client.connections.sync(connection_id=connection_id)
        late = {"kind": "late", "route": "/public/v1/jobs/*", "method": "GET", "delay": 1.5}
        emu.set_faults([{**late, "times": 1}])
        answer, newer = await cancel_as_another_sync_follows(emu, client, connection_id, job.id)

    assert emu.stats().faults_injected == {"late": 1}
    assert (answer.id, answer.status) == (job.id, JobStatus.SUCCEEDED)
    assert emu.job_status(newer) == "running"


async def test_the_jobs_of_an_unknown_connection_are_none_for_an_instance_admin(
    emu: Emulator,
) -> None:
    """Community's default user, an instance admin, lists no job for a connection that does
    not exist (200, an empty page), where Cloud answers 403: ``jobs.list`` yields nothing."""
    async with public_client(emu) as client:
        assert [job async for job in client.jobs.list(connection_id=UNKNOWN_ID)] == []


#: Job listings of *UNKNOWN_ID*, as a connection or as a workspace, and its noun.
_UNSEEN_LISTINGS: dict[str, tuple[str, Callable[[AirbyteClient], Awaitable[Any]]]] = {
    "every job of a connection": (
        "connection",
        lambda c: _every(c.jobs.list(connection_id=UNKNOWN_ID)),
    ),
    "a page of a workspace": (
        "workspace",
        lambda c: c.jobs.list_for_workspaces_page(workspace_ids=[UNKNOWN_ID]),
    ),
    "every job of a workspace": (
        "workspace",
        lambda c: _every(c.jobs.list_for_workspaces(workspace_ids=[UNKNOWN_ID])),
    ),
    "the changes of a workspace": (
        "workspace",
        lambda c: c.jobs.list_changes(
            workspace_ids=[UNKNOWN_ID], updated_at_start=dt.datetime(2020, 1, 1, tzinfo=dt.UTC)
        ),
    ),
}


async def _every(listing: AsyncIterator[Any]) -> list[Any]:
    return [item async for item in listing]


@pytest.mark.parametrize("listing", sorted(_UNSEEN_LISTINGS))
async def test_a_job_listing_a_role_check_forbids_as_unknown_is_a_not_found_error_naming_it(
    listing: str,
) -> None:
    """
    ``GET /jobs`` of a connection or a workspace that does not exist answers 403 to anyone
    but an instance admin, as for one the credentials hold no role in (``JobsController
    .listJobs`` checks WORKSPACE_READER on the connection, else on the workspaces named; see
    the emulator's tests): every job listing raises NotFoundError naming it, as
    ``jobs.list_page`` and the Config API's listings do.
    """
    kind, call = _UNSEEN_LISTINGS[listing]
    async with (
        Emulator(airbyte_version="head", connections=1, instance_admin=False) as emu,
        public_client(emu) as client,
    ):
        with pytest.raises(NotFoundError, match=f"there is no {kind} {UNKNOWN_ID}") as raised:
            await call(client)

    assert raised.value.status == 403
    assert "WORKSPACE_READER" in str(raised.value)


async def test_a_path_that_serves_nothing_is_named_not_the_workspace_or_an_id(
    emu: Emulator,
) -> None:
    """Under a path prefix nothing serves, ``workspaces.default()`` gets NotFoundController's
    bare "Object not found." (airbyte-platform ``.../apis/controllers/NotFoundController.kt``)
    and so does the public API's ``GET /health``, which it always has (public-api-head.yaml
    ``getHealthCheck``): the error says the URL's path is wrong, with ``wrong_url`` set."""
    async with AirbyteClient(emu.url + "/prefix", api="public", auth=NoAuth(), env={}) as client:
        with pytest.raises(UnsupportedOperationError) as raised:
            await client.workspaces.default()

    message = str(raised.value)
    assert message.startswith(
        f"nothing at {emu.url}/prefix/api/public/v1/ serves Airbyte's public API ("
    )
    assert "'Object not found.' for health, which the public API always has" in message
    assert "check the URL's path" in message
    assert message.endswith(
        "serves no public API: speak its Config API (api='config', --api config)"
    )
    assert raised.value.wrong_url
    assert isinstance(raised.value.__cause__, NotFoundError)


@attrs.define
class DeployingProxy:
    """
    A reverse proxy on 127.0.0.1 in front of *upstream*, as an ingress is: while *deploying*,
    it answers every request with its own HTML 404 page, as one whose backend is being
    replaced does; *health_held* holds the public API's health answer until it is set.
    """

    upstream: str
    deploying: bool = False
    health_held: anyio.Event | None = None
    url: str = ""

    async def handle(self, request: web.Request) -> web.StreamResponse:
        """Forward *request* upstream, or answer 404 while deploying."""
        if self.health_held is not None and request.path.endswith("/public/v1/health"):
            await self.health_held.wait()
        if self.deploying:
            return web.Response(status=404, text=NGINX_404, content_type="text/html")
        headers = {k: v for k, v in request.headers.items() if k.lower() != "host"}
        async with (
            aiohttp.ClientSession() as session,
            session.request(
                request.method,
                self.target(request),
                headers=headers,
                data=await request.read(),
            ) as answer,
        ):
            return web.Response(
                status=answer.status,
                body=await answer.read(),
                content_type=answer.content_type,
            )

    def target(self, request: web.Request) -> str:
        """The upstream URL *request* goes to."""
        return self.upstream + request.path_qs

    @asynccontextmanager
    async def running(self) -> AsyncIterator[DeployingProxy]:
        """Serve until the block ends; *url* is the proxy's."""
        app = web.Application()
        app.router.add_route("*", "/{path:.*}", self.handle)
        runner = web.AppRunner(app)
        await runner.setup()
        await web.TCPSite(runner, "127.0.0.1", 0).start()
        self.url = f"http://127.0.0.1:{runner.addresses[0][1]}"
        try:
            yield self
        finally:
            await runner.cleanup()


class ShiftingPagesProxy(DeployingProxy):
    """A proxy whose pages past the first start one row early, as pages of a list with no
    ``ORDER BY`` may when each query orders its rows its own way."""

    def target(self, request: web.Request) -> str:
        """*request* upstream, its offset one less when it has one."""
        offset = int(request.query.get("offset", "0"))
        if not offset:
            return super().target(request)
        shifted = request.rel_url.update_query(offset=str(offset - 1))
        return self.upstream + str(shifted)


async def test_a_connection_two_pages_hold_is_listed_once() -> None:
    """
    Airbyte pages ``GET /connections`` with no ``ORDER BY``
    (``ConnectionServiceJooqImpl.listWorkspaceStandardSyncsLimitOffsetPaginated``), so a row
    may come on two pages: behind a proxy that starts each page after the first one row early,
    250 connections list as 250, each once, not with the two rows at the seams twice (which
    ``find`` would take for two connections of one name).
    """
    async with (
        Emulator(airbyte_version="head", connections=250) as emu,
        ShiftingPagesProxy(emu.url).running() as proxy,
        AirbyteClient(proxy.url, auth=NoAuth(), env={}, api="public") as client,
    ):
        wid = emu.workspace_ids[0]
        listed = [c.connection_id async for c in client.connections.list(workspace_id=wid)]
        name = (await client.connections.get(connection_id=emu.connection_ids[100])).name
        found = await client.connections.find(workspace_id=wid, name=name)

    assert listed == emu.connection_ids
    assert found is not None and found.connection_id == emu.connection_ids[100]


NGINX_404 = "<html><head><title>404 Not Found</title></head><body>nginx</body></html>"


async def test_a_proxys_404s_during_a_deploy_do_not_make_the_url_wrong_after_it(
    emu: Emulator,
) -> None:
    """
    A proxy 404s every path while Airbyte is redeployed, the public API's health too: a call
    then says the URL is wrong; once the deploy is over, a path the public API lacks is a
    NotFoundError again, its health asked anew, not the wrong URL kept for the client's life.
    """
    cid = emu.connection_ids[0]
    async with (
        DeployingProxy(emu.url).running() as proxy,
        AirbyteClient(proxy.url, api="public", auth=NoAuth(), env={}) as client,
    ):
        proxy.deploying = True
        with pytest.raises(UnsupportedOperationError) as during:
            await client.workspaces.default()
        proxy.deploying = False
        with pytest.raises(NotFoundError) as after:
            await client.request("syncs", {"connectionId": cid}, method="POST")

    assert during.value.wrong_url
    assert after.value.message == "Object not found."
    assert emu.stats().requests_by_route["/public/v1/health"] == 1


async def test_a_path_that_serves_nothing_asks_health_once_for_calls_at_the_same_time(
    emu: Emulator,
) -> None:
    """Every call under such a path says so; calls that meet it while the public API's health
    is being asked wait for that answer, and it is asked once for all of them."""
    async with DeployingProxy(emu.url + "/prefix").running() as proxy:
        proxy.health_held = anyio.Event()
        client = AirbyteClient(proxy.url, api="public", auth=NoAuth(), env={})

        async def sync(cid: str) -> None:
            with pytest.raises(UnsupportedOperationError, match="check the URL's path"):
                await client.connections.sync(connection_id=cid)

        with anyio.fail_after(10):
            async with client, anyio.create_task_group() as tg:
                for cid in emu.connection_ids:
                    tg.start_soon(sync, cid)
                while True:  # until every sync's trigger got its 404
                    if emu.stats().requests_by_route.get("/prefix/api/public/v1/jobs") == 2:
                        break
                    await anyio.sleep(0.01)
                proxy.health_held.set()

    assert emu.stats().requests_by_route["/prefix/api/public/v1/health"] == 1


async def test_a_route_the_server_lacks_is_not_blamed_on_the_ids_sent(emu: Emulator) -> None:
    """A 404 for a path the public API does not serve, at a URL whose health answers, stays
    a NotFoundError that names no id of the body: the ids did not cause it."""
    cid = emu.connection_ids[0]
    async with public_client(emu) as client:
        with pytest.raises(NotFoundError) as raised:
            await client.request("syncs", {"connectionId": cid}, method="POST")

    assert raised.value.message == "Object not found."
    assert cid not in str(raised.value)
    assert emu.stats().requests_by_route["/public/v1/health"] == 1


async def test_an_attempt_of_a_public_job_says_the_api_reports_none(emu: Emulator) -> None:
    """``job.attempt(0)`` of a job read on the public API, which ended with attempts made,
    says that API reports no attempts (its ``JobResponse`` has none: public-api-head.yaml),
    not that the job has none yet."""
    async with public_client(emu) as client:
        job = await client.connections.sync(connection_id=emu.connection_ids[0])
        with anyio.fail_after(10):
            job = await client.jobs.wait(job_id=job.id, poll_interval=0.01)
        assert job.status is JobStatus.SUCCEEDED and not job.attempts_reported
        with pytest.raises(UnsupportedOperationError, match="the public API reports none") as e:
            job.attempt(0)

    assert "none yet" not in str(e.value)


async def test_a_workspace_is_created_on_the_public_api(emu: Emulator) -> None:
    """``workspaces.create`` sends ``POST /workspaces`` with the name and the organization
    given, and answers the new workspace, which the listing then has."""
    async with public_client(emu) as client:
        created = await client.workspaces.create(name="analytics")
        listed = [w.name async for w in client.workspaces.list()]
        with pytest.raises(InvalidArgumentError, match="no email"):
            await client.workspaces.create(name="x", email="a@example.com")

    assert created.name == "analytics"
    assert created.data_residency == "auto"
    assert "analytics" in listed


async def test_definitions_are_found_on_the_public_api_as_on_the_config_api(
    emu: Emulator,
) -> None:
    """``find`` and ``list_for_workspace`` read ``GET /workspaces/{id}/definitions/...``:
    the same definitions, by the same names, with the same ids, images and documentation, as
    the Config API's."""
    workspace_id = emu.workspace_ids[0]
    async with public_client(emu) as public, AirbyteClient(emu.url, api="config", env={}) as config:
        for kind in ("source_definitions", "destination_definitions"):
            on_public = [
                d async for d in getattr(public, kind).list_for_workspace(workspace_id=workspace_id)
            ]
            on_config = [
                d async for d in getattr(config, kind).list_for_workspace(workspace_id=workspace_id)
            ]
            fields = attrgetter(
                "definition_id",
                "name",
                "docker_repository",
                "docker_image_tag",
                "documentation_url",
            )
            assert list(map(fields, on_public)) == list(map(fields, on_config))
        postgres = await public.source_definitions.find(name="postgres", workspace_id=workspace_id)
        s3 = await public.destination_definitions.find(name="S3", workspace_id=workspace_id)
        with pytest.raises(NotFoundError, match=f"workspace {UNKNOWN_ID}"):
            await public.source_definitions.find(name="Postgres", workspace_id=UNKNOWN_ID)

    assert postgres.definition_id == _POSTGRES_SOURCE
    assert s3.docker_repository == "airbyte/destination-s3"


async def test_a_workspace_is_ensured_once_on_the_public_api(emu: Emulator) -> None:
    """workspaces.ensure creates the workspace with ``POST /workspaces`` the first time and
    finds it by name in ``GET /workspaces`` the second."""
    async with public_client(emu) as client:
        first = await client.workspaces.ensure(name="analytics")
        second = await client.workspaces.ensure(name="analytics")
        names = [w.name async for w in client.workspaces.list()]

    assert (first.action, second.action) == (EnsureAction.CREATED, EnsureAction.UNCHANGED)
    assert second.value.workspace_id == first.value.workspace_id
    assert names.count("analytics") == 1


async def test_several_workspaces_give_the_public_api_no_default() -> None:
    """With several workspaces listed, ``workspaces.default()`` on the public API, which
    designates none (public-api-head.yaml: ``GET /workspaces`` and nothing else names
    workspaces) and lists them in no lasting order, raises AmbiguousMatchError naming each,
    rather than return whichever a listing puts first."""
    async with (
        Emulator(airbyte_version="head", workspaces=2) as emu,
        AirbyteClient(emu.url, api="public", env={}) as client,
    ):
        with pytest.raises(AmbiguousMatchError) as raised:
            await client.workspaces.default()

    assert set(raised.value.candidates) == set(emu.workspace_ids)
    assert str(raised.value) == (
        "2 workspaces are listed and the public API designates none as the default: "
        f"'workspace-000' ({emu.workspace_ids[0]}), 'workspace-001' ({emu.workspace_ids[1]}); "
        "name one by its id (workspace_id=...; --workspace ID on the command line)"
    )
