"""Job logs as text lines from either log format, and failures in readable form."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import anyio
import pytest

from airbyte_async import AirbyteClient
from airbyte_async.errors import NoMatchError
from airbyte_async.models import (
    Attempt,
    AttemptLogs,
    AttemptStatus,
    FailureOrigin,
    FailureReason,
    FailureSummary,
    FailureType,
    Job,
    JobStatus,
    JobType,
    LogEvent,
    StreamDescriptor,
)
from airbyte_async.testing import Emulator
from airbyte_async.testing.pytest_plugin import TEST_TRIGGER_LATENCY

pytestmark = pytest.mark.anyio

T0 = datetime(2026, 8, 21, 10, 0, tzinfo=UTC)


async def finished_job(emu: Emulator, client: AirbyteClient, **plan: Any) -> Job:
    """A sync of the emulator's first connection, run to its end."""
    connection_id = emu.connection_ids[0]
    if plan:
        emu.set_sync_plan(connection_id, **plan)
    job = await client.connections.sync(connection_id=connection_id)
    with anyio.fail_after(5):
        return await client.jobs.wait(job_id=job.id, poll_interval=0.01)


async def logs_on(version: str, **options: Any) -> tuple[str, ...]:
    """The log lines of a finished sync on an emulator of *version*."""
    async with (
        Emulator(
            trigger_latency=TEST_TRIGGER_LATENCY,
            airbyte_version=version,
            connections=1,
            sync_duration=(0.01, 0.02),
            **options,
        ) as emu,
        AirbyteClient(emu.url, env={}) as client,
    ):
        job = await finished_job(emu, client)
        return await client.jobs.logs(job_id=job.id)


async def test_formatted_log_lines_come_as_sent() -> None:
    """0.50 sends logLines: the lines are the server's own."""
    lines = await logs_on("0.50")

    assert len(lines) == 2
    assert lines[0].endswith("platform > Starting attempt 0 of job 1")


async def test_structured_events_become_lines() -> None:
    """Head sends structured events: one line each, with time, level and source."""
    lines = await logs_on("head")

    assert len(lines) == 2
    stamp, text = lines[0][:19], lines[0][20:]
    datetime.strptime(stamp, "%Y-%m-%d %H:%M:%S")
    assert text == "INFO platform: Starting attempt 0 of job 1"


async def test_head_with_formatted_logs() -> None:
    """Head configured for formatted logs sends logLines, read as they are."""
    lines = await logs_on("head", log_format="formatted")

    assert lines[-1].endswith("platform > Attempt 0 of job 1 ended: succeeded")


async def test_an_attempt_by_number_and_a_missing_one() -> None:
    """attempt=0 is the first attempt; a number the job lacks raises NoMatchError."""
    async with (
        Emulator(
            trigger_latency=TEST_TRIGGER_LATENCY, connections=1, sync_duration=(0.01, 0.02)
        ) as emu,
        AirbyteClient(emu.url, env={}) as client,
    ):
        job = await finished_job(emu, client)

        assert await client.jobs.logs(job_id=job.id, attempt=0) == await client.jobs.logs(
            job_id=job.id
        )
        with pytest.raises(NoMatchError, match=r"job 1 has no attempt 3 \(attempts: 0\)"):
            await client.jobs.logs(job_id=job.id, attempt=3)


async def test_a_job_without_attempts_has_no_logs() -> None:
    """A pending job (started on head's public API, which answers once it exists) has no
    attempt yet: no lines, no error."""
    async with (
        Emulator(
            trigger_latency=TEST_TRIGGER_LATENCY,
            airbyte_version="head",
            connections=1,
            pending_duration=60,
        ) as emu,
        AirbyteClient(emu.url, env={}) as client,
        AirbyteClient(emu.url, api="public", env={}) as public,
    ):
        job = await public.connections.sync(connection_id=emu.connection_ids[0])

        assert await client.jobs.logs(job_id=job.id) == ()


async def test_failures_of_a_failed_job_read_as_lines() -> None:
    """A failed sync: one readable line per failure, naming the attempt."""
    async with (
        Emulator(trigger_latency=TEST_TRIGGER_LATENCY, connections=1) as emu,
        AirbyteClient(emu.url, env={}) as client,
    ):
        job = await finished_job(emu, client, outcome="failed", duration=0.01)

    assert job.status is JobStatus.FAILED
    [line] = job.describe_failures()
    assert line.startswith("attempt 0: ")
    assert line == f"attempt 0: {job.failure_reason}"


async def test_a_succeeded_job_describes_no_failures() -> None:
    """A succeeded sync has no failures to describe."""
    async with (
        Emulator(
            trigger_latency=TEST_TRIGGER_LATENCY, connections=1, sync_duration=(0.01, 0.02)
        ) as emu,
        AirbyteClient(emu.url, env={}) as client,
    ):
        job = await finished_job(emu, client)

    assert job.describe_failures() == ()


# -- the models alone ---------------------------------------------------------------------------


def attempt(number: int, *failures: FailureReason, logs: AttemptLogs | None = None) -> Attempt:
    """A finished attempt with *failures*."""
    return Attempt(
        id=number,
        status=AttemptStatus.FAILED if failures else AttemptStatus.SUCCEEDED,
        created_at=T0,
        updated_at=T0,
        failure_summary=FailureSummary(failures=failures) if failures else None,
        logs=logs,
    )


def test_every_attempt_s_failures_are_described_in_order() -> None:
    """Two failed attempts: their failures in attempt order, with the stream when named."""
    source = FailureReason(
        failure_origin=FailureOrigin.SOURCE,
        failure_type=FailureType.CONFIG_ERROR,
        external_message="Could not connect",
        stream_descriptor=StreamDescriptor(name="orders", namespace="public"),
    )
    platform = FailureReason(internal_message="heartbeat lost")
    job = Job(
        id=7,
        job_type=JobType.SYNC,
        config_id="c",
        status=JobStatus.FAILED,
        created_at=T0,
        updated_at=T0,
        attempts=(attempt(0, source), attempt(1, platform)),
    )

    assert job.describe_failures() == (
        "attempt 0: source/config_error: Could not connect (stream public.orders)",
        "attempt 1: heartbeat lost",
    )
    assert job.attempt(0) is not None and job.attempt(0).failures == (source,)


def test_an_event_with_a_stack_trace_spans_several_lines() -> None:
    """A structured event's stack trace follows its line, one line per trace line."""
    event = LogEvent(
        timestamp=int(T0.timestamp() * 1000),
        message="Sync failed",
        level="error",
        log_source="replication-orchestrator",
        stack_trace="java.lang.RuntimeException: boom\n\tat Orchestrator.run(Orchestrator.java:42)",
    )

    assert AttemptLogs(events=(event,)).lines == (
        "2026-08-21 10:00:00 ERROR replication-orchestrator: Sync failed",
        "java.lang.RuntimeException: boom",
        "\tat Orchestrator.run(Orchestrator.java:42)",
    )
