"""
An exception raised from outside while the client works (a signal handler's) reaches the
caller as itself: reading an answer never turns it into a ResponseValidationError nor
swallows it, a TimeoutError is no request timeout before one could fire, a batch stops on it,
and a token request it interrupts is no failure for the calls waiting on it.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from types import FrameType
from typing import Any

import anyio
import pytest
from client_support import client_for

from airbyte_async import AirbyteClient, ClientCredentials
from airbyte_async._serde import structure
from airbyte_async.models import Connection, Job
from airbyte_async.models._wire import ConnectionList
from airbyte_async.orchestrator import EventKind, Orchestrator, SyncEvent
from airbyte_async.testing import Emulator, RequireClientCredentials, pytest_plugin

pytest_plugins = ["resource_fixtures"]
airbyte_emulator_factory = pytest_plugin.airbyte_emulator_factory


class Alarm(Exception):
    """Stands for what a signal handler raises: no data could cause it."""


@contextmanager
def raised_in(function: str, alarm: Exception | None = None) -> Iterator[None]:
    """
    Raise *alarm* (an :class:`Alarm`) at the first line run in the function whose qualified
    name is *function*, as a signal handler's exception lands in whatever the main thread runs.
    """
    fired: list[str] = []

    def on_line(frame: FrameType, event: str, arg: Any) -> Any:
        if event == "line" and not fired:
            fired.append(frame.f_code.co_name)
            raise Alarm("the alarm went off") if alarm is None else alarm
        return on_line

    def on_call(frame: FrameType, event: str, arg: Any) -> Any:
        return on_line if frame.f_code.co_qualname == function and not fired else None

    previous = sys.gettrace()
    sys.settrace(on_call)
    try:
        yield
    finally:
        sys.settrace(previous)
    assert fired, f"{function} never ran"


STAMP = {"createdAt": 1_700_000_000, "updatedAt": 1_700_000_100}
ATTEMPT = {"id": 0, "status": "succeeded", **STAMP, "streamStats": [], "totalStats": {}}
JOB = {
    "job": {"id": 7, "configType": "sync", "configId": "c", "status": "succeeded", **STAMP},
    "attempts": [{"attempt": ATTEMPT}],
}
CONNECTION = {
    "connectionId": "c",
    "name": "n",
    "sourceId": "s",
    "destinationId": "d",
    "status": "active",
    "syncCatalog": {"streams": []},
}


def test_the_fast_job_reader_does_not_swallow_it() -> None:
    """An exception raised inside the fast job reader is not taken for an unusual job."""
    with raised_in("_fast_attempt"), pytest.raises(Alarm):
        structure(JOB, Job, route="jobs/get")


def test_a_generated_hook_does_not_turn_it_into_a_validation_error() -> None:
    """Raised while cattrs reads a field (it gathers the fields' errors), it is raised alone."""
    with raised_in("_structure_str"), pytest.raises(Alarm) as raised:
        structure(CONNECTION, Connection, route="connections/get")
    assert not hasattr(raised.value, "__notes__")  # cattrs' notes on where it was are removed
    assert raised.value.__suppress_context__  # and so is the group it was gathered in


def test_the_fast_array_reader_does_not_swallow_it() -> None:
    """Raised while an array's elements are read, it is not retried element by element."""
    with raised_in("structure_Connection"), pytest.raises(Alarm):
        structure({"connections": [CONNECTION, CONNECTION]}, ConnectionList)


def test_a_deferred_part_does_not_turn_it_into_a_validation_error() -> None:
    """A part read when first used (an attempt's stream stats) raises it as itself too."""
    stats = [{"streamName": "users", "stats": {"recordsEmitted": 1}}]
    job = structure({**JOB, "attempts": [{"attempt": {**ATTEMPT, "streamStats": stats}}]}, Job)
    with raised_in("structure_StreamAttemptStats"), pytest.raises(Alarm):
        _ = job.attempts[0].stream_stats


def test_malformed_data_still_raises_a_validation_error() -> None:
    """Data that does not fit is still a ResponseValidationError (the other side of the line)."""
    from airbyte_async.errors import ResponseValidationError

    with pytest.raises(ResponseValidationError, match=r"\$\.connectionId: missing"):
        structure({k: v for k, v in CONNECTION.items() if k != "connectionId"}, Connection)


def test_an_epoch_the_platform_refuses_is_malformed_data(monkeypatch: pytest.MonkeyPatch) -> None:
    """Where the C library refuses a date (Windows, before 1970: OSError), the job does not fit."""
    from airbyte_async import _serde
    from airbyte_async.errors import ResponseValidationError

    class Refusing(datetime):
        @classmethod
        def fromtimestamp(cls, *args: Any, **kwargs: Any) -> Refusing:
            raise OSError(22, "Invalid argument")

    monkeypatch.setattr(_serde, "datetime", Refusing)
    job = {**JOB["job"], "createdAt": -86_399}
    with pytest.raises(ResponseValidationError, match=r"createdAt: invalid value"):
        structure({**JOB, "job": job}, Job)


@pytest.mark.anyio
async def test_a_call_raises_it_as_itself(api: AirbyteClient, emu: Emulator) -> None:
    """Over HTTP: a read interrupted so fails the call with that exception, not retried."""
    job = await api.connections.sync(connection_id=emu.connection_ids[0])
    with raised_in("_fast_attempt"), pytest.raises(Alarm):
        await api.jobs.get(job_id=job.id)


@pytest.mark.anyio
async def test_an_interrupted_token_request_is_not_shared_with_its_waiters(
    airbyte_emulator_factory: pytest_plugin.EmulatorFactory,
) -> None:
    """A call waiting on a token request that was interrupted mints its own, and succeeds."""
    app, secret = "app-7f3c", "client-secret-9b1e4d"
    policy = RequireClientCredentials(app, secret)
    emu = await airbyte_emulator_factory(auth=policy, airbyte_version="head")
    interrupted: list[Alarm] = []
    answered: list[object] = []
    async with client_for(emu, auth=ClientCredentials(app, secret)) as client:

        async def call() -> None:
            try:
                answered.append(
                    await client.request("source_definitions/list", None, idempotent=True)
                )
            except Alarm as e:
                interrupted.append(e)

        with raised_in("ClientCredentials._read"):
            async with anyio.create_task_group() as tg:
                tg.start_soon(call)
                tg.start_soon(call)

    assert len(interrupted) == 1
    assert len(answered) == 1


@pytest.mark.anyio
async def test_a_batch_stops_on_it_and_cancels_the_job_whose_answer_it_interrupted(
    api: AirbyteClient, emu: Emulator
) -> None:
    """Raised while a trigger's answer is read, it stops the batch and reaches the caller as
    itself (not a malformed answer whose job is adopted), once the job the trigger started is
    cancelled."""
    [cid] = emu.connection_ids[:1]
    emu.set_sync_plan(cid, duration=30)

    with raised_in("_fast_attempt"), pytest.raises(Alarm):
        await Orchestrator(api).run([cid])

    [job_id] = emu.stats().jobs_by_connection[cid]
    assert emu.job_status(job_id) == "cancelled"


@pytest.mark.anyio
async def test_a_timeout_error_not_of_the_request_is_not_a_request_timeout(
    api: AirbyteClient, emu: Emulator
) -> None:
    """A TimeoutError raised while a request runs, long before its own timeout could fire (a
    SIGALRM timeout's), is the caller's: not a RequestTimeoutError that a retry swallows."""
    alarm = TimeoutError("the alarm went off")
    job = await api.connections.sync(connection_id=emu.connection_ids[0])
    with raised_in("ClientRequest.send", alarm), pytest.raises(TimeoutError) as raised:
        await api.jobs.get(job_id=job.id)
    assert raised.value is alarm


@pytest.mark.anyio
async def test_a_request_that_outlasts_its_timeout_is_still_a_request_timeout(
    emu: Emulator,
) -> None:
    """The other side: a request whose answer comes after the client's timeout is a
    RequestTimeoutError (API-FACTS 6.3b: a trigger answers once its job runs)."""
    from airbyte_async import NoAuth
    from airbyte_async.errors import RequestTimeoutError

    emu.set_faults([{"kind": "latency", "route": "jobs/list", "rate": 1.0, "delay": 0.5}])
    async with AirbyteClient(emu.url, auth=NoAuth(), env={}, timeout=0.2) as client:
        with pytest.raises(RequestTimeoutError):
            await client.request(
                "jobs/list", {"configTypes": ["sync"], "configId": "x"}, idempotent=False
            )


@pytest.mark.anyio
async def test_a_cleanup_it_interrupts_still_leaves_a_result_for_every_connection(
    airbyte_emulator_factory: Any,
) -> None:
    """Raised in the cleanup of a batch given up on (a second Ctrl-C), it reaches the caller,
    and the batch's results still name every connection: the jobs not known to have stopped
    as possibly still running, the never-triggered as such."""
    emu = await airbyte_emulator_factory(
        connections=6, sync_duration=(60, 60), trigger_latency=0.0, cancel_latency=0.02
    )
    scope = anyio.CancelScope()
    triggered: list[SyncEvent] = []

    def on_event(event: SyncEvent) -> None:
        if event.kind is EventKind.TRIGGERED:
            triggered.append(event)
            if len(triggered) == 4:
                scope.cancel()  # give up once the four slots run

    async with AirbyteClient(emu.url, env={}) as client:
        orchestrator = Orchestrator(client, max_running=4, on_event=on_event)

        async def run_until_given_up() -> None:
            with scope:
                await orchestrator.run(emu.connection_ids)

        with raised_in("GiveUp.cancel"), pytest.raises(Alarm):
            await run_until_given_up()

    results = orchestrator.results
    assert list(results) == emu.connection_ids
    started = [r for r in results.values() if r.job_id is not None]
    assert len(started) == 4
    assert all(r.left_running for r in started)
    assert [r.error for r in results.values() if r.job_id is None] == 2 * [
        "the batch was cancelled"
    ]
