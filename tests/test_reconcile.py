"""trigger_exactly_once against the emulator: whatever happens to a trigger, one job at most."""

from __future__ import annotations

import logging
import re
import time
from functools import partial
from typing import Any

import anyio
import pytest
import stamina
from client_support import (
    SkewedClock,
    UnsetClock,
    client_for,
    closed_port,
    looks,
    requests_to,
    until,
)
from emulator_support import drop_date_headers, jobs_created, triggers_now
from yarl import URL

from airbyte_async import AirbyteClient, ClientCredentials, NoAuth, RetryPolicy
from airbyte_async._backend import TRIGGER_DEADLINE
from airbyte_async._retry import TOKEN_ROUTE, round_pause
from airbyte_async._throttle import ServerClock
from airbyte_async.errors import (
    AirbyteError,
    ConflictError,
    ConnectError,
    InvalidArgumentError,
    NotFoundError,
    RequestTimeoutError,
    ServerError,
    SyncAlreadyRunningError,
    error_for,
)
from airbyte_async.models import Job, JobType
from airbyte_async.resources import _reconcile
from airbyte_async.resources._reconcile import KnownJobs, trigger_exactly_once
from airbyte_async.testing import (
    Emulator,
    Fault,
    ManualClock,
    RequireClientCredentials,
    pytest_plugin,
)

airbyte_emulator_factory = pytest_plugin.airbyte_emulator_factory
Factory = pytest_plugin.EmulatorFactory

pytestmark = pytest.mark.anyio

SYNC = "connections/sync"
PUBLIC_JOBS = "/public/v1/jobs"


async def trigger(
    client: AirbyteClient, connection_id: str, clock: ServerClock | None = None, **kwargs: Any
) -> Job:
    """Trigger a sync of *connection_id* through trigger_exactly_once (on *clock* if given)."""
    return await trigger_exactly_once(
        client.request,
        client.jobs,
        clock or client.server_clock,
        route=SYNC,
        connection_id=connection_id,
        job_type=JobType.SYNC,
        **kwargs,
    )


async def one_connection(factory: Factory, *faults: dict[str, Any], **kwargs: Any) -> Emulator:
    """An emulator with one connection whose jobs run for a minute, faults on its trigger."""
    options: dict[str, Any] = {
        "connections": 1,
        "sync_duration": (60, 60),
        "record_requests": True,
        **kwargs,
    }
    return await factory(faults=[{"route": SYNC, **f} for f in faults], **options)


async def lost_trigger_then_failing_looks(factory: Factory, lost: str, failures: int) -> Emulator:
    """One connection whose first trigger is lost by the fault *lost*, and whose first
    *failures* job listings answer 503 (the client retries each listing five times)."""
    emu = await one_connection(factory)
    emu.set_faults(
        [
            {"kind": lost, "route": SYNC, "times": 1},
            {"kind": "error", "status": 503, "route": "jobs/list", "times": failures},
        ]
    )
    return emu


def jobs_of(emu: Emulator) -> list[int]:
    """The ids of the jobs the emulator created for its one connection (the ground truth)."""
    return list(emu.stats().jobs_by_connection.get(emu.connection_ids[0], []))


def ids(fault: dict[str, Any]) -> str:
    """A test id for a fault."""
    return "-".join(str(v) for v in fault.values())


@pytest.mark.parametrize(
    "fault",
    [{"kind": "hang_after"}, {"kind": "reset_after"}, {"kind": "truncated_json"}],
    ids=ids,
)
async def test_a_lost_answer_adopts_the_job_the_trigger_created(
    airbyte_emulator_factory: Factory, fault: dict[str, Any]
) -> None:
    """The server acted but the answer was lost: its job is found and returned, not doubled."""
    emu = await one_connection(airbyte_emulator_factory, {**fault, "times": 1})
    async with client_for(emu, timeout=0.25) as client:
        job = await trigger(client, emu.connection_ids[0])

    assert jobs_of(emu) == [job.id]
    assert requests_to(emu, SYNC) == 1


async def test_a_lost_answer_s_job_adopted_is_one_info_line_naming_connection_job_and_error(
    airbyte_emulator_factory: Factory, caplog: pytest.LogCaptureFixture
) -> None:
    """A trigger whose answer was lost, and whose job the look found, is told in one line at
    INFO that names the connection, the job adopted and what happened to the answer (it was
    two: the failure, naming the connection, then the job adopted, naming neither the
    connection nor the failure; 632 lines for 316 such triggers of a batch of 1,000)."""
    caplog.set_level(logging.INFO, logger="airbyte_async")
    emu = await one_connection(airbyte_emulator_factory, {"kind": "reset_after", "times": 1})
    cid = emu.connection_ids[0]
    async with client_for(emu) as client:
        job = await trigger(client, cid)

    told = [r.getMessage() for r in caplog.records]
    assert jobs_of(emu) == [job.id]
    assert len(told) == 1, told
    assert told[0].startswith(f"connections/sync for {cid} failed uncertainly (connection lost")
    assert told[0].endswith(f": adopted job {job.id}, which it started")


@pytest.mark.parametrize(
    "fault",
    [
        {"kind": "error", "status": 500},
        {"kind": "error", "status": 502},
        {"kind": "error", "status": 504},
        {"kind": "proxy_error", "status": 502},
        {"kind": "proxy_error", "status": 504},
        {"kind": "reset_before"},
    ],
    ids=ids,
)
async def test_an_ambiguous_failure_without_a_job_triggers_once_more(
    airbyte_emulator_factory: Factory, fault: dict[str, Any]
) -> None:
    """The server did not act: no job is listed, so the trigger is sent again, once."""
    emu = await one_connection(airbyte_emulator_factory, {**fault, "times": 1})
    async with client_for(emu, timeout=0.25) as client:
        job = await trigger(client, emu.connection_ids[0])

    assert jobs_of(emu) == [job.id]
    assert requests_to(emu, SYNC) == 2
    assert looks(emu) == 1


@pytest.mark.parametrize("version", ["0.50", "1.7", "2.0", "head"])
async def test_a_job_this_client_saw_start_is_never_taken_for_a_lost_triggers(
    airbyte_emulator_factory: Factory, version: str
) -> None:
    """Sync, cancel, sync again at once, and the trigger gets a proxy's 502: the cancelled job
    (created within the look's clock margin) is not adopted; one more trigger starts a job."""
    emu = await one_connection(airbyte_emulator_factory, airbyte_version=version)
    cid = emu.connection_ids[0]
    async with client_for(emu) as client:
        first = await client.connections.sync(connection_id=cid)
        await client.jobs.cancel(job_id=first.id)
        emu.set_faults([{"kind": "proxy_error", "status": 502, "route": SYNC, "times": 1}])
        second = await client.connections.sync(connection_id=cid)

    assert jobs_of(emu) == [first.id, second.id]


async def _two_connections_one_thread(
    factory: Factory, *, trigger_latency: float
) -> tuple[Emulator, str]:
    """An emulator with one scheduler thread and two connections; the second one's id."""
    emu = await factory(
        connections=2, trigger_latency=trigger_latency, trigger_capacity=1, sync_duration=(0, 0)
    )
    return emu, emu.connection_ids[1]


async def _trigger_behind_the_other(
    emu: Emulator,
    connection_id: str,
    *,
    timeout: float | None = 0.25,
    faults: list[dict[str, Any]] | None = None,
) -> Job:
    """Trigger *connection_id* (client *timeout*, None: the default) while the other
    connection's trigger holds the only scheduler thread, with *faults* set once it does."""
    busy = next(cid for cid in emu.connection_ids if cid != connection_id)
    options: dict[str, Any] = {} if timeout is None else {"timeout": timeout}
    async with (
        client_for(emu, **options) as client,
        client_for(emu) as other,
        anyio.create_task_group() as tg,
    ):
        tg.start_soon(partial(other.connections.sync, connection_id=busy))
        await jobs_created(emu, 1)
        if faults is not None:
            emu.set_faults(faults)
        return await trigger(client, connection_id)


async def test_a_trigger_that_timed_out_waiting_for_a_scheduler_thread_starts_one_job(
    airbyte_emulator_factory: Factory,
) -> None:
    """
    One scheduler thread, busy with another connection's trigger: the trigger times out while
    it waits, and no job is listed yet. It is not sent again while it may still act: it starts
    its job after the client gave up on it, and the job is found and adopted. Sent again at
    once, it would have queued behind the first and, the first job being short, started a
    second sync (the emulator's scheduler threads, see ``_load``).
    """
    emu, mine = await _two_connections_one_thread(airbyte_emulator_factory, trigger_latency=0.4)
    with stamina.set_testing(True):
        job = await _trigger_behind_the_other(emu, mine)

    assert emu.stats().jobs_by_connection[mine] == [job.id]
    assert requests_to(emu, SYNC) == 2  # the other connection's and this one's, once


@pytest.mark.parametrize("status", [504, 502, 503, 524, 0])
async def test_a_trigger_a_proxy_timed_out_while_it_waited_for_a_scheduler_thread_starts_one_job(
    airbyte_emulator_factory: Factory, monkeypatch: pytest.MonkeyPatch, status: int
) -> None:
    """
    One scheduler thread, busy with another connection's trigger, and a proxy in front of the
    server whose read timeout expires while the trigger waits for it (nginx's 504, a Google
    Cloud load balancer's 502, Azure Front Door's 503, Cloudflare's 524, or a TCP proxy's cut
    connection, status 0): such an end after a wait that long is held as the client's own
    timeout, since the server keeps the call and starts its job later (the emulator's
    ``proxy_timeout``); the job is found and adopted. Sent again at once, as a quick one is, it
    queued behind the first and, the first job being short, started a second sync.
    """
    monkeypatch.setattr(_reconcile, "_PROXY_READ_TIMEOUT", 0.2)  # 10 s, at this test's scale
    monkeypatch.setattr(_reconcile, "_HOLD_PAUSE", 0.1)
    emu, mine = await _two_connections_one_thread(airbyte_emulator_factory, trigger_latency=0.6)
    proxy = {"kind": "proxy_timeout", "route": SYNC, "delay": 0.3, "times": 1, "status": status}
    with stamina.set_testing(True):
        job = await _trigger_behind_the_other(emu, mine, timeout=None, faults=[proxy])

    assert emu.stats().faults_injected == {"proxy_timeout": 1}
    assert emu.stats().jobs_by_connection[mine] == [job.id]
    assert requests_to(emu, SYNC) == 2  # the other connection's and this one's, once


@pytest.mark.parametrize("status", [504, 0])
async def test_a_504_sooner_than_a_read_timeout_is_held_when_the_server_answers_as_slowly(
    airbyte_emulator_factory: Factory, monkeypatch: pytest.MonkeyPatch, status: int
) -> None:
    """
    A proxy whose read timeout is shorter than the usual ones (nginx set to 5 s; a TCP proxy,
    status 0, cuts the connection) answers 504 while the trigger waits for a scheduler thread:
    when Airbyte answered a trigger of this
    client lately after a wait about as long (here 0.6 s against the 504's 0.5 s, at this
    test's scale), the server holds triggers that long and may hold this one, so it is held
    and its job, started later, adopted; sent again after one look, it queued behind the first
    and, the first job being short, started a second sync (32 of 60 connections in an audit).
    """
    monkeypatch.setattr(_reconcile, "_QUICK_GATEWAY", 0.1)  # a second, at this test's scale
    monkeypatch.setattr(_reconcile, "_HOLD_PAUSE", 0.1)
    emu = await airbyte_emulator_factory(
        connections=3, trigger_latency=0.6, trigger_capacity=1, sync_duration=(0, 0)
    )
    first, busy, mine = emu.connection_ids
    proxy = {"kind": "proxy_timeout", "route": SYNC, "delay": 0.5, "times": 1, "status": status}
    with stamina.set_testing(True):
        async with (
            client_for(emu) as client,
            client_for(emu) as other,
            anyio.create_task_group() as tg,
        ):
            known = KnownJobs()  # the client's: it saw the first answer's wait
            await trigger(client, first, known=known)  # answered after 0.6 s
            tg.start_soon(partial(other.connections.sync, connection_id=busy))
            await jobs_created(emu, 2)
            emu.set_faults([proxy])
            job = await trigger(client, mine, known=known)

    assert emu.stats().faults_injected == {"proxy_timeout": 1}
    assert emu.stats().jobs_by_connection[mine] == [job.id]
    assert requests_to(emu, SYNC) == 3  # one for each connection


@pytest.mark.parametrize(
    ("version", "status"), [("head", 504), ("1.7", 504), ("1.7", 502), ("1.7", 0)]
)
async def test_a_public_trigger_a_proxy_timed_out_while_queued_for_a_thread_starts_one_job(
    airbyte_emulator_factory: Factory, monkeypatch: pytest.MonkeyPatch, version: str, status: int
) -> None:
    """
    The public API's ``POST /jobs`` holds a scheduler thread (head's until its job exists,
    older versions' until it runs, as ``connections/sync`` does; API-FACTS 6.3): queued behind
    another connection's trigger for the only one, it meets a proxy's read timeout, is held
    (the server starts its job later), and that job is found and returned, the trigger sent
    once. Sent again at once, it queued behind the first: on head it met the job the first had
    made, not running yet, and was answered a minute later (``job_after``); on 1.7 the job had
    ended, the first being short, and it started a second sync.
    """
    monkeypatch.setattr(_reconcile, "_PROXY_READ_TIMEOUT", 0.2)  # 10 s, at this test's scale
    monkeypatch.setattr(_reconcile, "_HOLD_PAUSE", 0.1)
    emu = await airbyte_emulator_factory(
        airbyte_version=version,
        connections=2,
        trigger_latency=1.2,  # head's holds the thread for half of it, until its job exists
        trigger_capacity=1,
        sync_duration=(0, 0),
        record_requests=True,
    )
    busy, mine = emu.connection_ids
    proxy = {
        "kind": "proxy_timeout",
        "route": PUBLIC_JOBS,
        "method": "POST",
        "delay": 0.3,
        "status": status,
    }
    with stamina.set_testing(True):
        async with (
            client_for(emu, api="public") as client,
            client_for(emu, api="public") as other,
            anyio.create_task_group() as tg,
        ):
            tg.start_soon(partial(other.connections.sync, connection_id=busy))
            await triggers_now(emu, 1)  # it has the thread
            emu.set_faults([{**proxy, "times": 1}])
            job = await client.connections.sync(connection_id=mine)

    assert emu.stats().faults_injected == {"proxy_timeout": 1}
    assert emu.stats().jobs_by_connection[mine] == [job.id]
    posts = [r for r in emu.requests if r.method == "POST" and r.route == PUBLIC_JOBS]
    assert len(posts) == 2  # the other connection's and this one's, once


@pytest.mark.parametrize(
    "fault",
    [
        {"kind": "proxy_error", "status": 504},
        {"kind": "proxy_error", "status": 502},
        {"kind": "proxy_error", "status": 522},
        {"kind": "reset_before"},
    ],
    ids=["504", "502", "522", "reset"],
)
async def test_a_quick_504_is_sent_again_after_one_look_however_long_the_client_queued_it(
    airbyte_emulator_factory: Factory, monkeypatch: pytest.MonkeyPatch, fault: dict[str, Any]
) -> None:
    """
    The wait that makes a 504 (or a 502, or Cloudflare's 52x, or a lost connection) a proxy's
    read timeout is the request's own, from sending to the answer: a trigger that first waited
    its turn in the client's rate limit for longer than that, then met a gateway failing at
    once, or a connection reset at once (nothing done), is sent again after one look.
    """
    monkeypatch.setattr(_reconcile, "_PROXY_READ_TIMEOUT", 0.3)
    monkeypatch.setattr(_reconcile, "_HOLD", 2.0)  # a wrong hold shows as more looks
    monkeypatch.setattr(_reconcile, "_HOLD_PAUSE", 0.1)
    emu = await one_connection(airbyte_emulator_factory, {**fault, "times": 1})
    async with client_for(emu, rate_limit=2.0) as client:
        await client.request("health", method="GET")  # the trigger waits half a second after it
        with stamina.set_testing(True):
            job = await trigger(client, emu.connection_ids[0])

    assert jobs_of(emu) == [job.id]
    assert requests_to(emu, SYNC) == 2
    assert looks(emu) == 1


async def test_a_trigger_past_its_deadline_is_looked_for_but_not_sent_again(
    airbyte_emulator_factory: Factory,
) -> None:
    """
    Under a TRIGGER_DEADLINE that has passed (the orchestrator's sync_timeout), a trigger that
    met a quick gateway error (nothing done) is looked for once, as ever, but not sent again:
    its error is raised saying so, no job started and none said to maybe exist.
    """
    emu = await one_connection(
        airbyte_emulator_factory, {"kind": "error", "status": 502, "times": 1}
    )
    now = time.monotonic()
    token = TRIGGER_DEADLINE.set((now, now + 1.0))
    try:
        async with client_for(emu) as client:
            with stamina.set_testing(True), pytest.raises(ServerError) as raised:
                await trigger(client, emu.connection_ids[0])
    finally:
        TRIGGER_DEADLINE.reset(token)

    assert raised.value.__notes__ == ["its deadline passed: not sent again"]
    assert not raised.value.job_may_exist
    assert requests_to(emu, SYNC) == 1
    assert looks(emu) == 1
    assert jobs_of(emu) == []


async def test_a_slow_503_that_asks_to_be_sent_again_later_is_not_held(
    airbyte_emulator_factory: Factory, monkeypatch: pytest.MonkeyPatch
) -> None:
    """
    A 503 with ``Retry-After`` asks for the request again later: it says nothing was done, so
    however long it took (here any wait counts as a proxy's read timeout) the trigger is sent
    again after one look, not held.
    """
    monkeypatch.setattr(_reconcile, "_PROXY_READ_TIMEOUT", 0.0)
    monkeypatch.setattr(_reconcile, "_HOLD", 2.0)  # a wrong hold shows as more looks
    monkeypatch.setattr(_reconcile, "_HOLD_PAUSE", 0.1)
    emu = await one_connection(
        airbyte_emulator_factory,
        {"kind": "error", "status": 503, "retry_after": 0.1, "times": 1},
    )
    async with client_for(emu) as client:
        job = await trigger(client, emu.connection_ids[0])

    assert jobs_of(emu) == [job.id]
    assert requests_to(emu, SYNC) == 2
    assert looks(emu) == 1


async def test_a_held_trigger_whose_job_turns_up_says_so(
    airbyte_emulator_factory: Factory,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """The job of a held trigger that turns up after the hold was told is told too (it was
    queued behind another connection's trigger for the one scheduler thread), then adopted."""
    monkeypatch.setattr(_reconcile, "_HOLD_PAUSE", 0.05)
    caplog.set_level(logging.WARNING, logger="airbyte_async")
    emu, mine = await _two_connections_one_thread(airbyte_emulator_factory, trigger_latency=1.0)
    job = await _trigger_behind_the_other(emu, mine)

    warnings = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert emu.stats().jobs_by_connection[mine] == [job.id]
    assert len(warnings) == 2, warnings
    assert f"the sync trigger for {mine} timed out after " in warnings[0]
    assert " and no job has appeared yet" in warnings[0]
    assert warnings[1] == f"job {job.id} of the held sync trigger for {mine} turned up: adopted"


async def test_triggers_held_together_are_one_warning_and_their_jobs_one_more(
    airbyte_emulator_factory: Factory,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """Five triggers of one client that time out together (a server slower than its timeout)
    are held, and their jobs found, with two warnings, not ten: the first hold, and its job
    turning up; the others are told at INFO. (A batch of 200 made 400 warnings.) Their jobs come
    2 s after the triggers, 1.6 s after the first looks (the 0.25 s timeout, then a pause of
    0.15 s): a busy machine that makes those looks late still finds no job at them (with 0.15 s
    to spare, a loaded run found all five jobs at the first look, and held none)."""
    monkeypatch.setattr(_reconcile, "_HOLD_PAUSE", 0.15)
    caplog.set_level(logging.INFO, logger="airbyte_async")
    emu = await airbyte_emulator_factory(
        connections=5,
        sync_duration=(60, 60),
        faults=[{"kind": "latency", "route": SYNC, "delay": 2.0}],
    )
    async with client_for(emu, timeout=0.25) as client, anyio.create_task_group() as tg:
        for cid in emu.connection_ids:
            tg.start_soon(partial(client.connections.sync, connection_id=cid))

    warnings = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    held = [r for r in caplog.records if "no job has appeared yet" in r.getMessage()]
    assert all(len(jobs) == 1 for jobs in emu.stats().jobs_by_connection.values())
    assert len(held) == 5
    assert len(warnings) == 2, warnings
    assert "no job has appeared yet" in warnings[0]
    assert warnings[1].endswith("turned up: adopted")


async def test_held_triggers_sent_again_together_are_one_warning_with_their_holds(
    airbyte_emulator_factory: Factory,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """Five triggers of one client that time out and never act are held, then sent again,
    with two warnings, not six: the first hold and that trigger sent again; the other holds
    and resends are told at INFO, each naming its connection (the resends made one warning
    each)."""
    monkeypatch.setattr(_reconcile, "_HOLD", 1.0)
    monkeypatch.setattr(_reconcile, "_HOLD_PAUSE", 0.2)
    caplog.set_level(logging.INFO, logger="airbyte_async")
    emu = await airbyte_emulator_factory(
        connections=5,
        sync_duration=(60, 60),
        faults=[{"kind": "slow", "route": SYNC, "delay": 1.0, "times": 5}],
    )
    async with client_for(emu, timeout=0.25) as client, anyio.create_task_group() as tg:
        for cid in emu.connection_ids:
            tg.start_soon(partial(client.connections.sync, connection_id=cid))

    warnings = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    again = [r.getMessage() for r in caplog.records if r.getMessage().endswith("triggering again")]
    assert all(len(jobs) == 1 for jobs in emu.stats().jobs_by_connection.values())
    assert len(emu.stats().jobs_by_connection) == 5
    assert sorted(m.split(" for ")[1].split(":")[0] for m in again) == sorted(emu.connection_ids)
    assert len(warnings) == 2, warnings
    assert "no job has appeared yet" in warnings[0]
    assert warnings[1].endswith("triggering again")
    assert warnings[0].split(" for ")[1].split(" ")[0] in warnings[1]


async def test_a_timed_out_trigger_that_never_acts_is_sent_again_after_the_hold(
    airbyte_emulator_factory: Factory, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A trigger that timed out and never acts (a slow request dropped): looked for until the
    hold has passed (here 1 s, at least twice the 0.25 s waited), then sent again, once."""
    monkeypatch.setattr(_reconcile, "_HOLD", 1.0)
    monkeypatch.setattr(_reconcile, "_HOLD_PAUSE", 0.2)
    emu = await one_connection(airbyte_emulator_factory, {"kind": "slow", "delay": 1.0, "times": 1})
    async with client_for(emu, timeout=0.25) as client:
        began = anyio.current_time()
        job = await trigger(client, emu.connection_ids[0])
        took = anyio.current_time() - began

    assert jobs_of(emu) == [job.id]
    assert requests_to(emu, SYNC) == 2
    assert looks(emu) >= 3
    assert took >= 1.0


async def test_a_held_trigger_says_so_once_and_again_when_it_is_sent_again(
    airbyte_emulator_factory: Factory,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """A hold is told at WARNING when the first look finds no job (with how long the request
    waited, a timeout that short called so, and how long the hold may last), not at every
    look, and so is the trigger sent again after it, but not a later resend after an
    ordinary failure (here a 502): a batch waiting on a held trigger does not look hung."""
    monkeypatch.setattr(_reconcile, "_HOLD", 1.0)
    monkeypatch.setattr(_reconcile, "_HOLD_PAUSE", 0.2)
    caplog.set_level(logging.WARNING, logger="airbyte_async")
    emu = await one_connection(
        airbyte_emulator_factory,
        {"kind": "slow", "delay": 1.0, "times": 1},
        {"kind": "error", "status": 502, "times": 1},
    )
    connection_id = emu.connection_ids[0]
    async with client_for(emu, timeout=0.25) as client:
        with stamina.set_testing(True):
            await trigger(client, connection_id)

    warnings = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert requests_to(emu, SYNC) == 3  # timed out, 502, answered
    assert looks(emu) >= 4  # several looks, one word
    assert len(warnings) == 2, warnings
    held, again = warnings
    assert re.search(
        rf"the sync trigger for {connection_id} timed out after 0\.2[5-9]\d* s and no job has "
        "appeared yet",
        held,
    ), held
    assert re.search(r"sent again only if none appears within [1-9][0-9]* s ", held), held
    # The client's own timeout, 0.25 s: shorter than a proxy's, and said to be short.
    assert held.endswith("Airbyte answers one only once its job runs, seconds on a busy server")
    assert again == f"no job from the held sync trigger for {connection_id}: triggering again"


async def test_a_trigger_that_times_out_again_after_its_hold_is_held_again(
    airbyte_emulator_factory: Factory, monkeypatch: pytest.MonkeyPatch
) -> None:
    """
    A trigger whose hold ended with no job (the first request dropped) is sent again, and
    times out again queued for the one scheduler thread, which two other connections' syncs
    keep busy: it may still act, so it is held again, from when it was sent, and its job
    adopted. The hold is as long as the settle patience (five minutes each, here 2 s): the
    second hold, counted from the first attempt, had no time left, so the trigger was sent
    again after one look, queued behind the second, and started a second sync (the first job
    ends at once).
    """
    monkeypatch.setattr(_reconcile, "SETTLE_PATIENCE", 2.0)
    monkeypatch.setattr(_reconcile, "_HOLD", 2.0)
    monkeypatch.setattr(_reconcile, "_HOLD_PAUSE", 0.1)
    emu = await airbyte_emulator_factory(
        connections=3,
        trigger_latency=0.6,
        trigger_capacity=1,
        sync_duration=(0, 0),
        record_requests=True,
    )
    mine, *others = emu.connection_ids
    emu.set_faults([{"kind": "slow", "route": SYNC, "delay": 1.0, "times": 1}])
    done = anyio.Event()

    async def keep_busy(client: AirbyteClient, connection_id: str) -> None:
        await until(lambda: looks(emu) >= 1)  # the first request was dropped
        while not done.is_set():
            await client.connections.sync(connection_id=connection_id)

    async with (
        client_for(emu, timeout=0.25) as client,
        client_for(emu) as other,
        anyio.create_task_group() as tg,
    ):
        # No pause between rounds: a look right after the timeout, as a longer queue meets.
        with stamina.set_testing(True):
            for connection_id in others:
                tg.start_soon(keep_busy, other, connection_id)
            job = await trigger(client, mine)
            done.set()

    sent = [r for r in emu.requests if r.route == f"/v1/{SYNC}" and mine in str(r.body)]
    assert emu.stats().jobs_by_connection[mine] == [job.id]
    assert len(sent) == 2  # dropped, then held and adopted


async def test_a_trigger_sent_again_after_its_hold_waits_out_refusals_as_a_first_one_does(
    airbyte_emulator_factory: Factory, monkeypatch: pytest.MonkeyPatch
) -> None:
    """
    The settle patience (five minutes, here 1 s) in which refusals that started nothing use
    up no round runs from the first attempt and again from the trigger sent once a hold
    ended, which took the first one's: a trigger that timed out (dropped, no job), held, then
    refused with a 429 in five rounds on its way again is sent in a sixth and starts its sync.
    Counted from the first attempt, those refusals spent its six rounds and it raised the
    429, no sync started (a chaos run on the public API: a trigger held, then sent again
    into a restart and 503s, raised a 503 and its connection was never synced).
    """
    monkeypatch.setattr(_reconcile, "SETTLE_PATIENCE", 1.0)
    monkeypatch.setattr(_reconcile, "_HOLD", 1.0)
    monkeypatch.setattr(_reconcile, "_HOLD_PAUSE", 0.1)
    emu = await one_connection(
        airbyte_emulator_factory,
        {"kind": "slow", "delay": 1.0, "times": 1},
        # Each round's request is refused five times (the client's attempts): five rounds.
        {"kind": "rate_limit", "times": 25},
    )
    async with client_for(emu, timeout=0.25) as client:
        with stamina.set_testing(True):
            job = await trigger(client, emu.connection_ids[0])

    assert jobs_of(emu) == [job.id]
    assert requests_to(emu, SYNC) == 27  # dropped, 25 429s, answered


async def test_a_trigger_sent_again_after_its_hold_waits_out_a_token_endpoint_as_a_first_one_does(
    airbyte_emulator_factory: Factory, monkeypatch: pytest.MonkeyPatch
) -> None:
    """
    A trigger that timed out (dropped, no job) is held, then sent again; the server refuses
    the token it carries (401: refused before the controller runs, so nothing started) and the
    token endpoint answers 503 to the client's five token requests (a restart): the trigger
    waits that out as a first one does, its token patience (five minutes, here 1 s) running
    again from the trigger sent once the hold ended, and starts its sync. Counted from the
    first attempt, the hold had used it up: the 503 was raised at once, no sync started, and
    an orchestrator's batch stopped all its triggers ("no access token could be had").
    """
    monkeypatch.setattr(_reconcile, "SETTLE_PATIENCE", 1.0)
    monkeypatch.setattr(_reconcile, "_TOKEN_PATIENCE", 1.0)
    monkeypatch.setattr(_reconcile, "_HOLD", 1.0)
    monkeypatch.setattr(_reconcile, "_HOLD_PAUSE", 0.1)
    emu = await one_connection(
        airbyte_emulator_factory,
        {"kind": "slow", "delay": 1.0, "times": 1},
        auth=RequireClientCredentials("app-1", "secret-of-app-1"),
    )
    auth = ClientCredentials("app-1", "secret-of-app-1")
    async with client_for(emu, timeout=0.25, auth=auth) as client:
        with stamina.set_testing(True):
            async with anyio.create_task_group() as tg:
                triggered: list[Job] = []

                async def go() -> None:
                    triggered.append(await trigger(client, emu.connection_ids[0]))

                tg.start_soon(go)
                await until(lambda: looks(emu) >= 1)  # the first request was dropped: held
                emu.set_faults(
                    [
                        {"kind": "token_expiry", "route": SYNC, "times": 1},
                        {"kind": "error", "status": 503, "route": TOKEN_ROUTE, "times": 5},
                    ]
                )

    assert jobs_of(emu) == [triggered[0].id]
    assert requests_to(emu, SYNC) == 3  # dropped, 401, answered


async def test_a_429_is_retried_without_looking_for_a_job(
    airbyte_emulator_factory: Factory,
) -> None:
    """A 429 proves the trigger never acted: it is simply sent again."""
    emu = await one_connection(airbyte_emulator_factory, {"kind": "rate_limit", "times": 2})
    async with client_for(emu) as client:
        job = await trigger(client, emu.connection_ids[0])

    assert jobs_of(emu) == [job.id]
    assert requests_to(emu, SYNC) == 3
    assert looks(emu) == 0


async def _until_refused(emu: Emulator) -> None:
    """Return once the emulator refuses new connections (its restart has begun)."""
    url = URL(emu.url)
    assert url.host is not None and url.port is not None
    with anyio.fail_after(5):
        while True:
            try:
                stream = await anyio.connect_tcp(url.host, url.port)
            except OSError:
                return
            await stream.aclose()
            await anyio.sleep(0.005)


async def test_connect_errors_while_the_server_restarts_are_retried(
    airbyte_emulator_factory: Factory, caplog: pytest.LogCaptureFixture
) -> None:
    """Refused connections during a restart are retried with backoff; one job results."""
    caplog.set_level(logging.DEBUG, logger="airbyte_async")
    emu = await one_connection(airbyte_emulator_factory)
    policy = RetryPolicy(attempts=20, initial_wait=0.05, max_wait=0.1)
    with stamina.set_testing(False):
        async with client_for(emu, retry=policy) as client, anyio.create_task_group() as tg:
            tg.start_soon(lambda: emu.restart(downtime=0.5))
            await _until_refused(emu)
            job = await trigger(client, emu.connection_ids[0])

    assert jobs_of(emu) == [job.id]
    assert "because it never reached the server: cannot connect" in caplog.text


async def test_409_on_the_first_attempt_raises_sync_already_running(
    airbyte_emulator_factory: Factory,
) -> None:
    """A sync already running when we first ask is the caller's decision, not adopted."""
    emu = await one_connection(airbyte_emulator_factory)
    connection_id = emu.connection_ids[0]
    async with client_for(emu) as client:
        running = await trigger(client, connection_id)
        with pytest.raises(SyncAlreadyRunningError) as caught:
            await trigger(client, connection_id)

    assert caught.value.connection_id == connection_id
    assert jobs_of(emu) == [running.id]


async def test_409_on_a_retry_for_a_job_the_clock_cannot_place_is_not_taken(
    airbyte_emulator_factory: Factory,
) -> None:
    """The look missed the job of a timed-out trigger (a clock an hour off), the retry gets
    409: the running job may be someone else's for all the clock says, so the call raises
    SyncAlreadyRunningError rather than claim it (a batch then attaches to it); still one job."""
    emu = await one_connection(airbyte_emulator_factory, {"kind": "hang_after", "times": 1})
    async with client_for(emu, timeout=0.25) as client:
        clock = SkewedClock(inner=client.server_clock, skew=3600.0)
        with pytest.raises(SyncAlreadyRunningError):
            await trigger(client, emu.connection_ids[0], clock, settle_patience=1.0)

    assert len(jobs_of(emu)) == 1
    assert requests_to(emu, SYNC) == 2


@pytest.mark.parametrize("skew", [-1.0, 1.0])
async def test_a_second_of_clock_error_neither_misses_nor_doubles(
    airbyte_emulator_factory: Factory, skew: float
) -> None:
    """With the server clock estimated a second off either way, the lost job is still adopted."""
    emu = await one_connection(airbyte_emulator_factory, {"kind": "hang_after", "times": 1})
    async with client_for(emu, timeout=0.25) as client:
        clock = SkewedClock(inner=client.server_clock, skew=skew)
        job = await trigger(client, emu.connection_ids[0], clock)

    assert jobs_of(emu) == [job.id]
    assert requests_to(emu, SYNC) == 1


async def test_a_fresh_client_on_a_wrong_local_clock_still_finds_its_job(
    airbyte_emulator_factory: Factory,
) -> None:
    """The window is placed on the server's clock after listing, not the local one before."""
    emu = await one_connection(
        airbyte_emulator_factory, {"kind": "hang_after", "times": 1}, sync_duration=(0.01, 0.01)
    )
    async with client_for(emu, timeout=0.25) as client:
        clock = UnsetClock(inner=client.server_clock, local_skew=30.0)
        job = await trigger(client, emu.connection_ids[0], clock)

    assert jobs_of(emu) == [job.id]
    assert requests_to(emu, SYNC) == 1


async def test_a_job_finished_just_before_the_attempt_is_not_adopted(
    airbyte_emulator_factory: Factory,
) -> None:
    """The newest job created since the attempt wins over an older one inside the skew window."""
    emu = await one_connection(airbyte_emulator_factory, sync_duration=(0.01, 0.01))
    connection_id = emu.connection_ids[0]
    async with client_for(emu, timeout=0.25) as client:
        earlier = await trigger(client, connection_id)
        await client.jobs.wait(job_id=earlier.id, poll_interval=0.01)
        await anyio.sleep(emu.wrap_up)  # a trigger meanwhile: a 409 with no job running
        emu.set_faults([{"kind": "hang_after", "route": SYNC, "times": 1}])
        clock = SkewedClock(inner=client.server_clock, skew=-1.0)
        job = await trigger(client, connection_id, clock)

    assert jobs_of(emu) == [earlier.id, job.id]
    assert job.id != earlier.id


@pytest.mark.parametrize("api", ["config", "public"])
async def test_a_lost_answer_adopts_its_own_job_not_a_later_one_of_another_client(
    airbyte_emulator_factory: Factory, api: str
) -> None:
    """
    A trigger whose answer is lost, looked for only once its job ended and another client's
    began, adopts the older job: a connection runs one job at a time, and a trigger that met a
    running one is refused (API-FACTS 6.3), so the first job since the attempt is its own.
    """
    emu = await one_connection(
        airbyte_emulator_factory, airbyte_version="head", sync_duration=(3.5, 3.5)
    )
    trigger_route, list_route = (SYNC, "jobs/list") if api == "config" else (PUBLIC_JOBS,) * 2
    # The look waits until the trigger's job ended (3.5 s) and the other client's began.
    emu.set_faults(
        [
            {"kind": "reset_after", "route": trigger_route, "method": "POST", "times": 1},
            {
                "kind": "latency",
                "route": list_route,
                "method": "GET" if api == "public" else "POST",
                "delay": 4.5,
                "times": 1,
            },
        ]
    )
    connection_id = emu.connection_ids[0]
    async with (
        AirbyteClient(emu.url, auth=NoAuth(), env={}, api=api) as client,
        AirbyteClient(emu.url, auth=NoAuth(), env={}, api=api) as other,
    ):

        async def sync_later() -> None:
            await until(lambda: jobs_of(emu) != [])
            await other.jobs.wait(job_id=jobs_of(emu)[0], poll_interval=0.05)
            await other.connections.sync(connection_id=connection_id)

        async with anyio.create_task_group() as tg:
            tg.start_soon(sync_later)
            job = await client.connections.sync(connection_id=connection_id)

    first, _ = jobs_of(emu)
    assert job.id == first


async def test_rounds_of_ambiguous_failures_without_a_job_end_in_the_last_error(
    airbyte_emulator_factory: Factory,
) -> None:
    """A trigger failing with 502 every time is sent *rounds* times, then its error raised."""
    emu = await one_connection(airbyte_emulator_factory, {"kind": "error", "status": 502})
    async with client_for(emu) as client:
        with pytest.raises(ServerError):
            await trigger(client, emu.connection_ids[0], rounds=3)

    assert jobs_of(emu) == []
    assert requests_to(emu, SYNC) == 3


async def test_triggers_an_overloaded_server_sheds_while_it_starts_others_are_sent_again(
    airbyte_emulator_factory: Factory,
) -> None:
    """
    A server that holds two triggers at most answers 503 to the rest (no job) while it starts
    those two: each shed trigger, seeing others get their jobs, keeps trying past its one round
    instead of failing its sync, and every connection gets exactly one job.
    """
    emu = await airbyte_emulator_factory(
        connections=8,
        sync_duration=(60, 60),
        trigger_latency=0.1,
        trigger_capacity=None,
        trigger_overload=2,
    )
    jobs: dict[str, Job] = {}
    with stamina.set_testing(False):  # real pauses: the others answer while one waits
        async with client_for(emu) as client, anyio.create_task_group() as tg:

            async def one(cid: str) -> None:
                known = client.connections.known_jobs  # the client's, as in Connections.sync
                jobs[cid] = await trigger(client, cid, rounds=1, known=known)

            for cid in emu.connection_ids:
                tg.start_soon(one, cid)

    assert emu.stats().triggers_rejected > 0
    by_connection = emu.stats().jobs_by_connection
    assert {cid: [job.id] for cid, job in jobs.items()} == {
        cid: list(by_connection[cid]) for cid in emu.connection_ids
    }


@pytest.mark.parametrize("status", [522, 524])
async def test_triggers_shed_with_cloudflares_overload_pages_are_sent_again(
    airbyte_emulator_factory: Factory, status: int
) -> None:
    """
    Cloudflare answers the first three triggers with its 522 or 524 page (no job; its pages
    name an origin short of resources) while the server starts the others: each refused
    trigger, seeing others get their jobs, keeps trying past its one round, and every
    connection gets exactly one job.
    """
    emu = await airbyte_emulator_factory(
        connections=6,
        sync_duration=(60, 60),
        trigger_latency=0.1,
        faults=[{"kind": "proxy_error", "status": status, "route": SYNC, "times": 3}],
    )
    jobs: dict[str, Job] = {}
    with stamina.set_testing(False):  # real pauses: the others answer while one waits
        async with client_for(emu) as client, anyio.create_task_group() as tg:

            async def one(cid: str) -> None:
                known = client.connections.known_jobs
                jobs[cid] = await trigger(client, cid, rounds=1, known=known)

            for cid in emu.connection_ids:
                tg.start_soon(one, cid)

    assert emu.stats().faults_injected == {"proxy_error": 3}
    by_connection = emu.stats().jobs_by_connection
    assert {cid: [job.id] for cid, job in jobs.items()} == {
        cid: list(by_connection[cid]) for cid in emu.connection_ids
    }


async def test_a_failed_listing_never_triggers_again(airbyte_emulator_factory: Factory) -> None:
    """
    If the jobs cannot be listed within the patience, the trigger's own error is raised with
    a note; no retry.
    """
    emu = await one_connection(
        airbyte_emulator_factory,
        {"kind": "hang_after", "times": 1},
    )
    emu.set_faults(
        [
            {"kind": "hang_after", "route": SYNC, "times": 1},
            {"kind": "error", "status": 503, "route": "jobs/list"},
        ]
    )
    async with client_for(emu, timeout=0.25) as client:
        with pytest.raises(RequestTimeoutError) as caught:
            await trigger(client, emu.connection_ids[0], settle_patience=0.5)

    assert requests_to(emu, SYNC) == 1
    assert len(jobs_of(emu)) == 1
    assert any("could not check whether it started a job" in n for n in caught.value.__notes__)
    assert caught.value.job_may_exist


async def test_a_job_hidden_by_an_outage_longer_than_the_rounds_is_still_found(
    airbyte_emulator_factory: Factory,
) -> None:
    """
    The trigger's answer is lost and the listings fail for longer than its rounds (a server
    restarting): it keeps looking, within its patience, and adopts the job once a listing
    answers, instead of leaving its caller to guess.
    """
    emu = await lost_trigger_then_failing_looks(airbyte_emulator_factory, "hang_after", 8)
    async with client_for(emu, timeout=0.25) as client:
        job = await trigger(client, emu.connection_ids[0], rounds=2)

    assert jobs_of(emu) == [job.id]
    assert requests_to(emu, SYNC) == 1


async def test_the_failed_looks_of_many_lost_triggers_are_told_as_one_outage(
    airbyte_emulator_factory: Factory, caplog: pytest.LogCaptureFixture
) -> None:
    """
    Ten triggers whose answers are lost, and whose looks fail for a while (a restart): the
    failed looks are told twice for the whole client (the first, and the look that works
    again), not once per failed look of each trigger, which made hundreds of lines of a log.
    """
    caplog.set_level(logging.INFO, logger="airbyte_async")
    emu = await airbyte_emulator_factory(connections=10, sync_duration=(60, 60))
    emu.set_faults(
        [
            {"kind": "reset_after", "route": SYNC},
            {"kind": "error", "status": 503, "route": "jobs/list", "times": 150},
        ]
    )
    async with client_for(emu) as client, anyio.create_task_group() as tg:
        for cid in emu.connection_ids:
            tg.start_soon(partial(client.connections.sync, connection_id=cid))

    told = [r.getMessage() for r in caplog.records if "looking for the job" in r.getMessage()]
    assert all(len(jobs) == 1 for jobs in emu.stats().jobs_by_connection.values())
    assert len(emu.stats().jobs_by_connection) == 10
    assert requests_to(emu, "jobs/list") > 150  # every trigger's look failed at least once
    assert len(told) == 2, told
    assert told[0].startswith("looking for the jobs of uncertain triggers failed (the ")
    assert told[1].startswith("looking for the jobs of uncertain triggers works again, after ")


async def test_looks_the_server_could_not_answer_use_up_no_round(
    airbyte_emulator_factory: Factory,
) -> None:
    """
    A trigger lost before the server acted, then looks that fail for longer than the rounds
    (a restart): once a look answers that no job exists, the trigger is sent once more and
    its job returned, instead of the lost attempt's error.
    """
    emu = await lost_trigger_then_failing_looks(airbyte_emulator_factory, "reset_before", 15)
    async with client_for(emu) as client:
        job = await trigger(client, emu.connection_ids[0], rounds=2)

    assert jobs_of(emu) == [job.id]
    assert requests_to(emu, SYNC) == 2


@pytest.mark.parametrize("dated", [True, False], ids=["with Date", "without Date"])
async def test_a_trigger_that_cannot_reach_a_server_that_answered_before_waits_it_out(
    airbyte_emulator_factory: Factory, monkeypatch: pytest.MonkeyPatch, dated: bool
) -> None:
    """
    The server restarts and refuses connections for longer than the trigger's rounds take:
    attempts that never reached it use up no round, and the trigger starts its one job once
    the server is back. Answers without a Date header (a proxy may drop it) count as answers.
    """
    if not dated:
        drop_date_headers(monkeypatch)
    emu = await one_connection(airbyte_emulator_factory)
    async with client_for(emu) as client, anyio.create_task_group() as tg:
        await client.health()
        tg.start_soon(partial(emu.restart, downtime=1.0))
        await anyio.sleep(0.05)
        job = await trigger(client, emu.connection_ids[0], rounds=2)

    assert jobs_of(emu) == [job.id]


async def test_a_server_never_reached_is_given_up_after_the_rounds() -> None:
    """A server that never answered (a wrong address, say) gets *rounds* rounds, no patience."""
    client = AirbyteClient(f"http://127.0.0.1:{closed_port()}", auth=NoAuth(), env={}, api="config")
    async with client:
        with anyio.fail_after(5), pytest.raises(ConnectError):
            await trigger(client, "00000000-0000-4000-8000-000000000000", rounds=2)


async def test_past_its_rounds_a_trigger_only_looks(airbyte_emulator_factory: Factory) -> None:
    """
    Rounds past *rounds* settle the last attempt and never send the trigger again: a listing
    that finds no job then ends the call with the trigger's error, with no note (no job
    started).
    """
    emu = await one_connection(airbyte_emulator_factory, {"kind": "error", "status": 502})
    emu.set_faults(
        [
            {"kind": "error", "status": 502, "route": SYNC},
            {"kind": "error", "status": 503, "route": "jobs/list", "times": 3},
        ]
    )
    async with client_for(emu) as client:
        with pytest.raises(ServerError) as caught:
            await trigger(client, emu.connection_ids[0], rounds=1)

    assert jobs_of(emu) == []
    assert requests_to(emu, SYNC) == 1
    assert not getattr(caught.value, "__notes__", [])


async def test_a_final_error_is_raised_without_looking_for_a_job(
    airbyte_emulator_factory: Factory,
) -> None:
    """A 404 for an unknown connection is final: no listing, no second trigger."""
    emu = await one_connection(airbyte_emulator_factory)
    async with client_for(emu) as client:
        with pytest.raises(NotFoundError):
            await trigger(client, "00000000-0000-4000-8000-000000000000")

    assert requests_to(emu, SYNC) == 1
    assert looks(emu) == 0


async def test_rounds_must_be_positive(airbyte_emulator_factory: Factory) -> None:
    """rounds=0 is refused before any request."""
    emu = await one_connection(airbyte_emulator_factory)
    async with client_for(emu) as client:
        with pytest.raises(InvalidArgumentError, match="rounds"):
            await trigger(client, emu.connection_ids[0], rounds=0)

    assert emu.stats().total_requests == 0


@pytest.mark.parametrize(
    "fault", [{"kind": "hang_after"}, {"kind": "error", "status": 502}], ids=ids
)
async def test_connections_sync_goes_through_reconciliation(
    airbyte_emulator_factory: Factory, fault: dict[str, Any]
) -> None:
    """client.connections.sync itself neither doubles nor loses a job after an ambiguous failure."""
    emu = await one_connection(airbyte_emulator_factory, {**fault, "times": 1})
    async with client_for(emu, timeout=0.25) as client:
        job = await client.connections.sync(connection_id=emu.connection_ids[0])

    assert jobs_of(emu) == [job.id]


async def test_an_outage_while_looking_for_the_job_is_waited_out(
    airbyte_emulator_factory: Factory,
) -> None:
    """The listing fails for a whole call (503s), later rounds list again and adopt the job."""
    emu = await one_connection(airbyte_emulator_factory)
    emu.set_faults(
        [
            {"kind": "hang_after", "route": SYNC, "times": 1},
            {"kind": "error", "status": 503, "route": "jobs/list", "times": 6},
        ]
    )
    async with client_for(emu, timeout=0.25) as client:
        job = await trigger(client, emu.connection_ids[0])

    assert requests_to(emu, SYNC) == 1
    assert jobs_of(emu) == [job.id]


async def test_resets_in_a_row_are_each_settled_before_triggering_again(
    airbyte_emulator_factory: Factory,
) -> None:
    """Three resets in a row: each round looks for a job first, finds none, triggers; one job."""
    emu = await one_connection(airbyte_emulator_factory)
    emu.set_faults([{"kind": "reset_before", "route": SYNC, "times": 3}])
    async with client_for(emu) as client:
        job = await trigger(client, emu.connection_ids[0])

    assert jobs_of(emu) == [job.id]
    assert requests_to(emu, SYNC) == 4
    assert looks(emu) == 3


@pytest.mark.parametrize("status", [429, 503])
@pytest.mark.parametrize(("asked", "least"), [("3", 3.0), ("600", 60.0), (None, 0.0)])
def test_a_round_after_a_429_or_503_waits_what_its_retry_after_asked(
    asked: str | None, least: float, status: int
) -> None:
    """Between rounds, as between a call's attempts, the ``Retry-After`` of a 429 or a 503 is
    obeyed (up to a minute); without one, the round's own pause (a second or less in round 2)
    applies."""
    headers = {} if asked is None else {"Retry-After": asked}
    refused = error_for(status, {"message": "slow down"}, route="jobs", headers=headers)
    with stamina.set_testing(False):
        pauses = [round_pause(2, refused) for _ in range(20)]

    assert all(least <= pause <= max(least, 1.0) for pause in pauses)


@pytest.mark.parametrize(
    "lost", [{"kind": "proxy_error", "status": 502}, {"kind": "reset_before"}], ids=ids
)
async def test_a_sync_someone_else_started_before_an_uncertain_trigger_is_not_adopted(
    airbyte_emulator_factory: Factory, lost: dict[str, Any]
) -> None:
    """Another client's sync runs; this client's trigger fails uncertainly, the look finds no
    job since it, the trigger goes again and gets 409. The running job was created before the
    attempt, so it is someone else's: SyncAlreadyRunningError (README: a 409 on the first
    real answer), not a job this call started."""
    emu = await one_connection(airbyte_emulator_factory)
    cid = emu.connection_ids[0]
    async with client_for(emu) as other:
        foreign = await other.connections.sync(connection_id=cid)
    # Past the look's margin for clock error (_SKEW, and a Date header in whole seconds).
    await anyio.sleep(_reconcile._SKEW + 1.5)
    emu.set_faults([{"route": SYNC, "times": 1, **lost}])
    async with client_for(emu) as client:
        with pytest.raises(SyncAlreadyRunningError):
            await trigger(client, cid)

    assert jobs_of(emu) == [foreign.id]


@pytest.mark.parametrize("api", ["config", "public"])
async def test_a_date_ahead_of_the_job_stamps_is_learnt_from_trigger_answers(
    airbyte_emulator_factory: Factory, api: str
) -> None:
    """
    A proxy whose clock runs 5 s ahead answers with its own ``Date`` (nginx does): the answer
    of an earlier trigger tells how far ``Date`` leads the job stamps, so a later trigger whose
    answer is lost still finds the job it started, and nothing syncs twice.
    """
    emu = await airbyte_emulator_factory(
        airbyte_version="head", connections=2, sync_duration=(60, 60), date_lead=5.0
    )
    first, second = emu.connection_ids
    route = SYNC if api == "config" else "/public/v1/jobs"
    async with AirbyteClient(emu.url, auth=NoAuth(), env={}, api=api) as client:
        await client.connections.sync(connection_id=first)
        emu.set_faults([{"kind": "reset_after", "route": route, "method": "POST", "times": 1}])
        job = await client.connections.sync(connection_id=second)

    assert emu.stats().jobs_by_connection[second] == [job.id]


@pytest.mark.parametrize("kind", ["proxy_error", "rate_limit"])
@pytest.mark.parametrize("lead", [30.0, -30.0], ids=["date-ahead", "date-behind"])
async def test_a_proxy_page_dated_by_another_clock_leaves_the_server_clock_alone(
    airbyte_emulator_factory: Factory, lead: float, kind: str
) -> None:
    """
    Airbyte's answers come through an nginx whose clock runs 30 s off (either way), and a
    load balancer in front of it, on time, answers a request with its own page (a 502, a
    429): that page's ``Date`` is another host's, and the estimate of the clock that
    the looks for lost triggers place their windows on stays where the answers put it.
    """
    emu = await airbyte_emulator_factory(airbyte_version="head", date_lead=lead)
    page = {"kind": kind, "route": "health", "method": "GET", "date_lead": 0.0, "times": 1}
    async with client_for(emu, retry=RetryPolicy(attempts=1)) as client:
        await client.request("health", method="GET")
        before = client.server_clock.now() - time.monotonic()
        emu.set_faults([page])
        with pytest.raises(AirbyteError):
            await client.request("health", method="GET")
        after = client.server_clock.now() - time.monotonic()

    assert abs(after - before) < 1.5


def _posts(api: str) -> str:
    """The route a sync trigger is sent to on *api*."""
    return SYNC if api == "config" else PUBLIC_JOBS


@pytest.mark.parametrize("lead", [30.0, -30.0], ids=["date-ahead", "date-behind"])
@pytest.mark.parametrize("api", ["config", "public"])
async def test_a_fresh_client_behind_a_skewed_proxy_finds_the_job_of_its_lost_first_trigger(
    airbyte_emulator_factory: Factory, api: str, lead: float
) -> None:
    """
    A proxy whose clock runs 30 s ahead of Airbyte's (or behind it) answers with its own
    ``Date`` (nginx does). A fresh client's first request is a trigger, whose answer is lost
    after the server acted: no answer has told how ``Date`` stands to the job stamps, yet the
    look finds the job (this host's clock, and the stamps listed, place its window) instead of
    triggering again (a 409 then, the job running).
    """
    emu = await airbyte_emulator_factory(
        airbyte_version="head", connections=1, sync_duration=(60, 60), date_lead=lead
    )
    (cid,) = emu.connection_ids
    lost = {"kind": "reset_after", "route": _posts(api), "method": "POST", "times": 1}
    emu.set_faults([lost])
    async with AirbyteClient(emu.url, auth=NoAuth(), env={}, api=api) as client:
        job = await client.connections.sync(connection_id=cid)

    assert jobs_of(emu) == [job.id]


@pytest.mark.parametrize("lost", ["reset_after", "reset_before"])
@pytest.mark.parametrize("lead", [30.0, -30.0], ids=["date-ahead", "date-behind"])
async def test_a_fresh_client_behind_a_skewed_proxy_takes_no_sync_that_ended_before_its_trigger(
    airbyte_emulator_factory: Factory, lead: float, lost: str
) -> None:
    """
    Behind a proxy whose ``Date`` runs 30 s ahead of the job stamps (or behind them), another
    client's short sync ended seconds before this fresh client's first trigger, which is lost
    after the server acted (or before): the trigger's own job is adopted, or the trigger sent
    again, never that other sync (a ``Date`` behind would reach back to it), and no sync runs
    twice (a ``Date`` ahead would miss the job, and trigger again once it ended).
    """
    emu = await airbyte_emulator_factory(
        airbyte_version="head", connections=1, sync_duration=(0.1, 0.1), date_lead=lead
    )
    (cid,) = emu.connection_ids
    async with client_for(emu) as other:
        foreign = await other.connections.sync(connection_id=cid)
        await other.jobs.wait(job_id=foreign.id, poll_interval=0.05)
    # Past the look's margin for clock error (_SKEW, the stamps' whole seconds).
    await anyio.sleep(_reconcile._SKEW + 2.5)
    emu.set_faults([{"kind": lost, "route": SYNC, "times": 1}])
    async with client_for(emu) as client:
        job = await client.connections.sync(connection_id=cid)

    assert jobs_of(emu) == [foreign.id, job.id]


async def test_a_fresh_client_on_a_host_clock_behind_takes_no_sync_that_ended_before_its_trigger(
    airbyte_emulator_factory: Factory,
) -> None:
    """
    This host's clock runs 30 s behind Airbyte's, whose ``Date`` is right: ``Date`` leads this
    host as it would behind a proxy ahead, but the stamps of another client's sync, ended
    seconds before, show this host behind instead. A fresh client's first trigger, lost before
    the server acted, is sent again rather than reach back 30 s and adopt that sync.
    """
    clock = ManualClock(now=time.time() + 30.0)
    emu = await airbyte_emulator_factory(
        airbyte_version="head", connections=1, clock=clock, sync_duration=(1.0, 1.0)
    )
    (cid,) = emu.connection_ids
    async with client_for(emu) as other:
        foreign = await other.connections.sync(connection_id=cid)
    clock.advance(1.0 + _reconcile._SKEW + 2.5)
    emu.set_faults([{"kind": "reset_before", "route": SYNC, "times": 1}])
    async with client_for(emu) as client:
        job = await client.connections.sync(connection_id=cid)

    assert emu.job_status(foreign.id) == "succeeded"
    assert jobs_of(emu) == [foreign.id, job.id]


async def test_a_date_behind_the_job_stamps_learnt_from_an_answer_is_not_taken_as_in_step(
    airbyte_emulator_factory: Factory,
) -> None:
    """
    A proxy's ``Date`` runs 30 s behind the job stamps, and a trigger's answer has told this
    client so: its clock then reads the stamps' time, not ``Date``'s. So a later trigger, lost
    before the server acted, is sent again rather than adopt another client's sync that ended
    seconds before it (a window placed by ``Date`` would reach back 30 s to it).
    """
    emu = await airbyte_emulator_factory(
        airbyte_version="head", connections=2, sync_duration=(0.1, 0.1), date_lead=-30.0
    )
    first, second = emu.connection_ids
    async with client_for(emu) as client:
        await client.connections.sync(connection_id=first)
        async with client_for(emu) as other:
            foreign = await other.connections.sync(connection_id=second)
            await other.jobs.wait(job_id=foreign.id, poll_interval=0.05)
        await anyio.sleep(_reconcile._SKEW + 2.5)
        emu.set_faults([{"kind": "reset_before", "route": SYNC, "times": 1}])
        job = await client.connections.sync(connection_id=second)

    assert emu.stats().jobs_by_connection[second] == [foreign.id, job.id]


async def test_a_429_on_the_look_after_a_409_does_not_end_the_trigger_as_refused() -> None:
    """
    A public sync trigger whose first attempt was cut off (it may have started the job) and
    whose next one drew a 409 looks for the first one's job; a 429 on that look (the GET
    retried until its budget ran out) leaves open whether the job exists, and is settled by
    the rounds' looks, not raised: a RateLimitError from a trigger means a storm waited out in
    vain, which stops a batch's triggers (chaos seed 820, public API, connections disabled
    mid-batch: one such look stopped 419 syncs). Here the connection is inactive, so the 409 is
    head's refusal of its sync (``state-conflict``, API-FACTS 6.2), which the trigger then
    names. The faults are seeded: with seed 18 the look after the 409 draws 429s only.
    """
    faults = [
        Fault(kind="reset_before", route="/public/v1/jobs", method="POST", times=1),
        Fault(kind="rate_limit", route="/public/v1/jobs", method="GET", rate=0.5),
    ]
    async with Emulator(
        airbyte_version="head", connections=1, trigger_latency=0.02, seed=18
    ) as emu:
        [cid] = emu.connection_ids
        async with AirbyteClient(emu.url, auth=NoAuth(), api="public", env={}) as client:
            await client.connections.update(connection_id=cid, status="inactive")
            emu.set_faults(faults)
            with pytest.raises(ConflictError, match="Can only sync an active connection"):
                await client.connections.sync(connection_id=cid)
        assert emu.stats().jobs_created == 0


async def test_looks_failing_as_a_hold_ends_do_not_use_up_the_trigger_s_rounds(
    airbyte_emulator_factory: Factory, monkeypatch: pytest.MonkeyPatch
) -> None:
    """
    A trigger that timed out having done nothing is held for the settle patience, its looks
    failing meanwhile (503s) using up no round. Looks that go on failing as the hold ends are
    the server still away: they use up no round either, for another patience, and once a look
    works the trigger goes again and starts the sync. (They used up the rounds, the patience
    having been spent by the hold, and the trigger ended in its timeout, never sent again:
    chaos seeds 806 and 818 on the public API, a connection never synced among 1,000, its
    looks failing through a restart and 429s as its hold ended.)
    """
    monkeypatch.setattr(_reconcile, "SETTLE_PATIENCE", 1.0)
    monkeypatch.setattr(_reconcile, "_HOLD", 1.0)
    monkeypatch.setattr(_reconcile, "_HOLD_PAUSE", 0.1)
    emu = await one_connection(airbyte_emulator_factory)
    emu.set_faults(
        [
            {"kind": "slow", "route": SYNC, "delay": 1.0, "times": 1},
            {"kind": "error", "status": 503, "route": "jobs/list", "lasting": 1.6},
        ]
    )
    async with client_for(emu, timeout=0.3) as client:
        with stamina.set_testing(True):
            job = await trigger(client, emu.connection_ids[0], rounds=2)

    assert jobs_of(emu) == [job.id]
    assert requests_to(emu, SYNC) == 2
