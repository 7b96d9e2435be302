"""client.jobs against the emulator: get, list and page, cancel, wait."""

from __future__ import annotations

import contextlib
import re
from collections.abc import Awaitable
from datetime import UTC, datetime
from functools import partial

import anyio
import pytest
from client_support import cancel_as_another_sync_follows
from resource_support import bodies, sent

from airbyte_async import AirbyteClient, NoAuth, RetryBudget, RetryPolicy
from airbyte_async.errors import (
    ConnectError,
    InvalidArgumentError,
    NotFoundError,
    ServerError,
    TransportError,
)
from airbyte_async.models import Job, JobStatus, JobType
from airbyte_async.resources import jobs as jobs_module
from airbyte_async.testing import Emulator, ManualClock

pytest_plugins = ["resource_fixtures"]
pytestmark = pytest.mark.anyio


async def finished_syncs(api: AirbyteClient, connection_id: str, count: int) -> list[Job]:
    """Run *count* syncs of the connection one after the other; their final jobs."""
    jobs = []
    for _ in range(count):
        job = await api.connections.sync(connection_id=connection_id)
        with anyio.fail_after(5):
            jobs.append(await api.jobs.wait(job_id=job.id, poll_interval=0.01))
    return jobs


async def test_get_has_attempts_and_logs(api: AirbyteClient, emu: Emulator) -> None:
    """jobs/get: the job with its attempts and their logs."""
    [done] = await finished_syncs(api, emu.connection_ids[0], 1)

    job = await api.jobs.get(job_id=done.id)

    assert job.status is JobStatus.SUCCEEDED
    assert job.attempts
    assert job.attempts[-1].logs is not None
    assert job.attempts[-1].logs.lines
    assert job.records_synced is not None
    assert job.records_synced > 0


async def test_get_light_has_no_attempts(api: AirbyteClient, emu: Emulator) -> None:
    """jobs/get_light: the job alone (``JobInfoLightRead`` has no attempts), which says that it
    does not report them: the job made one."""
    [done] = await finished_syncs(api, emu.connection_ids[0], 1)

    job = await api.jobs.get_light(job_id=done.id)

    assert (job.id, job.status, job.attempts) == (done.id, JobStatus.SUCCEEDED, ())
    assert not job.attempts_reported
    assert done.attempts_reported and done.attempts


async def test_wait_returns_a_failed_job(api: AirbyteClient, emu: Emulator) -> None:
    """A failed job is returned by wait, with its failure reason, not raised."""
    connection_id = emu.connection_ids[0]
    emu.set_sync_plan(connection_id, outcome="failed", duration=0.01)

    [job] = await finished_syncs(api, connection_id, 1)

    assert job.status is JobStatus.FAILED
    assert job.failure_reason


async def test_wait_polls_light_then_reads_the_full_job(api: AirbyteClient, emu: Emulator) -> None:
    """wait polls jobs/get_light and reads jobs/get once, at the end."""
    [done] = await finished_syncs(api, emu.connection_ids[0], 1)

    assert len(sent(emu, "jobs/get")) == 1
    assert len(sent(emu, "jobs/get_light")) >= 1
    assert done.attempts


async def test_wait_outlives_a_server_restart(api: AirbyteClient, emu: Emulator) -> None:
    """
    The server's API restarts while the job runs and refuses connections for longer than a
    read's retries take: wait waits it out and returns the job as it ended.
    """
    connection_id = emu.connection_ids[0]
    emu.set_sync_plan(connection_id, duration=0.5)
    job = await api.connections.sync(connection_id=connection_id)
    async with anyio.create_task_group() as tg:
        tg.start_soon(partial(emu.restart, downtime=2.0))
        with anyio.fail_after(20):
            done = await api.jobs.wait(job_id=job.id, poll_interval=0.01)

    assert done.status is JobStatus.SUCCEEDED
    assert emu.stats().restarts == 1


@pytest.mark.parametrize("emulator_options", [{"connections": 20}])
async def test_waits_through_a_restart_warn_once_for_the_client_not_once_per_read(
    api: AirbyteClient, emu: Emulator, caplog: pytest.LogCaptureFixture
) -> None:
    """
    Twenty waits read their jobs through a one-second restart, each failing about twice: the
    client warns once at the first failure, naming the job and the error, and once when reads
    work again, saying how many failed; not once per failed read of each job.
    """
    jobs = []
    for connection_id in emu.connection_ids:
        emu.set_sync_plan(connection_id, duration=2.0)
        jobs.append(await api.connections.sync(connection_id=connection_id))
    polled = len(sent(emu, "jobs/get_light"))
    with anyio.fail_after(20), caplog.at_level("WARNING", logger="airbyte_async"):
        async with anyio.create_task_group() as tg:
            for job in jobs:
                tg.start_soon(partial(api.jobs.wait, job_id=job.id, poll_interval=0.1))
            while True:  # until every wait has read its job once
                if len(sent(emu, "jobs/get_light")) >= polled + len(jobs):
                    break
                await anyio.sleep(0.01)
            await emu.restart(downtime=1.0)

    failed, worked = [r.getMessage() for r in caplog.records if r.levelname == "WARNING"]
    assert re.match(r"reading the jobs waited on failed \(job \d+\), trying again: ", failed)
    assert "cannot connect" in failed
    assert re.fullmatch(
        r"reading the jobs waited on works again, after \d+ failed reads for \d+\.\d s", worked
    )
    assert set(emu.stats().job_statuses.values()) == {"succeeded"}


async def refused(read: Awaitable[object]) -> bool:
    """Whether the server refused *read*'s connection: it is away."""
    try:
        await read
    except ConnectError:
        return True
    except TransportError:  # a connection the restart reset
        pass
    return False


async def waits_through_an_outage(
    api: AirbyteClient, emu: Emulator, clock: ManualClock, connection_ids: list[str]
) -> list[Job]:
    """
    Wait on a sync of each connection while the server restarts; the jobs end (the clock moves
    past them) once it refuses connections, that is while it is away. The jobs waited on.
    """
    jobs = [await api.connections.sync(connection_id=c) for c in connection_ids]
    polled, restarts = len(sent(emu, "jobs/get_light")), emu.stats().restarts
    done: list[Job] = []

    async def wait(job_id: int) -> None:
        done.append(await api.jobs.wait(job_id=job_id, poll_interval=0.05))

    async with anyio.create_task_group() as tg:
        for job in jobs:
            tg.start_soon(wait, job.id)
        while True:  # until each wait has read its job running
            if len(sent(emu, "jobs/get_light")) >= polled + len(jobs):
                break
            await anyio.sleep(0.01)
        tg.start_soon(partial(emu.restart, downtime=1.0))
        while True:  # until the server is away
            if await refused(api.jobs.get_light(job_id=jobs[0].id)):
                break
            await anyio.sleep(0.01)
        clock.advance(60)
        assert {emu.job_status(j.id) for j in jobs} == {"succeeded"}
    assert emu.stats().restarts == restarts + 1
    return done


@pytest.mark.parametrize("version", ["head"])
@pytest.mark.parametrize(
    "emulator_options",
    [{"connections": 10, "clock": ManualClock(), "trigger_latency": 0.0, "cancel_latency": 0.0}],
)
async def test_waits_whose_jobs_end_during_an_outage_say_it_is_over_and_the_next_one_warns_anew(
    emu: Emulator, caplog: pytest.LogCaptureFixture
) -> None:
    """
    Five waits read their jobs through a restart during which the jobs end, then five more
    through a second restart: each outage is warned of when a read first fails and when reads
    work again, though the read that works again finds the job ended and the wait returns
    (the client's waits share one OutageLog, which must hear that a read worked).
    """
    assert isinstance(emu.clock, ManualClock)
    # One attempt per read: the first failed read fails at once, not after its retries.
    client = AirbyteClient(emu.url, auth=NoAuth(), env={}, retry=RetryPolicy(attempts=1))
    async with client as api:
        with anyio.fail_after(30), caplog.at_level("WARNING", logger="airbyte_async"):
            for connection_ids in (emu.connection_ids[:5], emu.connection_ids[5:]):
                done = await waits_through_an_outage(api, emu, emu.clock, connection_ids)
                assert {j.status for j in done} == {JobStatus.SUCCEEDED}

    told = [r.getMessage() for r in caplog.records if r.levelname == "WARNING"]
    failed = r"reading the jobs waited on failed \(job \d+\), trying again: .*cannot connect.*"
    worked = r"reading the jobs waited on works again, after \d+ failed reads? for \d+\.\d s"
    assert len(told) == 4, told
    for pattern, message in zip([failed, worked] * 2, told, strict=True):
        assert re.fullmatch(pattern, message), message


def warned(caplog: pytest.LogCaptureFixture, pattern: str) -> bool:
    """Whether a WARNING matching *pattern* was logged."""
    return any(
        r.levelname == "WARNING" and re.fullmatch(pattern, r.getMessage()) for r in caplog.records
    )


async def wait_through_a_restart_then_cut_short(
    api: AirbyteClient, emu: Emulator, caplog: pytest.LogCaptureFixture, job_id: int, until: str
) -> None:
    """Wait on *job_id* while the server restarts, and cancel the wait once a warning
    matching *until* is logged; returns once the server is back."""
    scope = anyio.CancelScope()

    async def wait() -> None:
        with scope:
            await api.jobs.wait(job_id=job_id, poll_interval=0.05)

    async with anyio.create_task_group() as tg:
        tg.start_soon(partial(emu.restart, downtime=1.0))
        tg.start_soon(wait)
        while True:  # until the warning is logged
            if warned(caplog, until):
                break
            await anyio.sleep(0.01)
        scope.cancel()


@pytest.mark.parametrize("version", ["head"])
async def test_a_wait_cancelled_during_an_outage_leaves_the_next_outage_warned_at_its_start(
    emu: Emulator, caplog: pytest.LogCaptureFixture
) -> None:
    """
    A wait cancelled while its reads fail through a restart, no other wait reading then, does
    not leave the client's waits in that outage: a wait through a second restart warns when
    its first read fails, and when reads work again counts that outage's failures alone.
    """
    for connection_id in emu.connection_ids[:2]:
        emu.set_sync_plan(connection_id, duration=60.0)
    failed = r"reading the jobs waited on failed \(job {}\), trying again: .+"
    worked = r"reading the jobs waited on works again, after \d+ failed reads? for \d+\.\d s"
    client = AirbyteClient(emu.url, auth=NoAuth(), env={}, retry=RetryPolicy(attempts=1))
    async with client as api:
        with anyio.fail_after(30), caplog.at_level("WARNING", logger="airbyte_async"):
            first = await api.connections.sync(connection_id=emu.connection_ids[0])
            await wait_through_a_restart_then_cut_short(
                api, emu, caplog, first.id, failed.format(first.id)
            )
            second = await api.connections.sync(connection_id=emu.connection_ids[1])
            await wait_through_a_restart_then_cut_short(api, emu, caplog, second.id, worked)

    told = [r.getMessage() for r in caplog.records if r.levelname == "WARNING"]
    assert len(told) == 3, told
    for pattern, message in zip(
        [failed.format(first.id), failed.format(second.id), worked], told, strict=True
    ):
        assert re.fullmatch(pattern, message), message


async def test_a_wait_through_an_outage_leaves_the_retry_budget_to_other_calls(
    emu: Emulator,
) -> None:
    """
    A wait's reads answer 503 seven times in a row, on a client whose retry budget holds six
    retries: the first failed read is retried within itself (four retries), the next reads
    are one request each (the outage's pauses are their retries), so a read of the user's
    that meets one 503 afterwards is still retried, not failed for want of budget.
    """
    connection_id = emu.connection_ids[0]
    async with AirbyteClient(
        emu.url, auth=NoAuth(), env={}, retry_budget=RetryBudget(capacity=6)
    ) as client:
        job = await client.connections.sync(connection_id=connection_id)
        emu.set_faults([{"kind": "error", "status": 503, "route": "jobs/get_light", "times": 7}])
        with anyio.fail_after(20):
            await client.jobs.wait(job_id=job.id, poll_interval=0.01)
        emu.set_faults([{"kind": "error", "status": 503, "route": "connections/get", "times": 1}])
        connection = await client.connections.get(connection_id=connection_id)

    assert connection.connection_id == connection_id
    assert emu.stats().faults_injected == {"error": 8}


async def test_wait_raises_an_error_that_will_not_pass_at_once(
    api: AirbyteClient, emu: Emulator
) -> None:
    """A read answered 501 (not retried) ends wait with that error, without waiting."""
    job = await api.connections.sync(connection_id=emu.connection_ids[0])
    emu.set_faults([{"kind": "error", "status": 501, "route": "/v1/jobs/get_light"}])
    with anyio.fail_after(2), pytest.raises(ServerError):
        await api.jobs.wait(job_id=job.id, poll_interval=0.01)
    assert len(sent(emu, "jobs/get_light")) == 1


@pytest.mark.parametrize("version", ["0.50"])
async def test_wait_for_an_unknown_job_raises_not_found_at_once(
    api: AirbyteClient, emu: Emulator
) -> None:
    """0.x answers an unknown job id with a 500 that says so: NotFoundError, one read, no
    outage waited out."""
    with anyio.fail_after(2), pytest.raises(NotFoundError, match="Could not find job"):
        await api.jobs.wait(job_id=999, poll_interval=0.01)
    assert len(sent(emu, "jobs/get_light")) == 1


@pytest.mark.parametrize("version", ["head"])
async def test_wait_for_an_unknown_job_on_2x_raises_not_found_soon(
    api: AirbyteClient, emu: Emulator
) -> None:
    """2.x answers the read of an unknown job with a bare 500 (API-FACTS 6.2): once the read's
    retries are spent, jobs/list is asked for the pages including that job, and none means no
    such job (NotFoundError), not an outage to wait out for ten minutes; jobs.get says the
    same."""
    with anyio.fail_after(10), pytest.raises(NotFoundError, match="there is no job 999"):
        await api.jobs.wait(job_id=999, poll_interval=0.01)
    assert [b.get("includingJobId") for b in bodies(emu, "jobs/list")] == [999]
    with anyio.fail_after(10), pytest.raises(NotFoundError, match="there is no job 999"):
        await api.jobs.get(job_id=999)


@pytest.mark.parametrize("version", ["0.50"])
async def test_a_bare_500_for_an_unknown_job_on_0_50_raises_not_found(
    api: AirbyteClient, emu: Emulator
) -> None:
    """A 500 that does not say why (a proxy's page) on a 0.50 server, which refuses the job
    types it does not know, refresh and clear, with a 422 (API-FACTS 3, 6.2): the listing is
    asked again with the types 0.50 knows, and lists no such job."""
    emu.set_faults([{"kind": "error", "status": 500, "route": "/v1/jobs/get"}])

    with anyio.fail_after(10), pytest.raises(NotFoundError, match="there is no job 999"):
        await api.jobs.get(job_id=999)
    assert ["clear" in b["configTypes"] for b in bodies(emu, "jobs/list")] == [True, False]


async def test_wait_keeps_waiting_for_a_job_that_exists_while_its_reads_fail(
    api: AirbyteClient, emu: Emulator
) -> None:
    """Reads of an existing job answered 500 twice over (the first read's five attempts, then
    the next read's one): the job is listed, so wait goes on and returns it once reads work
    again."""
    job = await api.connections.sync(connection_id=emu.connection_ids[0])
    emu.set_faults([{"kind": "error", "status": 500, "route": "/v1/jobs/get_light", "times": 6}])

    with anyio.fail_after(10):
        done = await api.jobs.wait(job_id=job.id, poll_interval=0.01)

    assert (done.id, done.status) == (job.id, JobStatus.SUCCEEDED)


async def test_cancel_of_an_ended_job_leaves_the_connections_newer_job_alone(
    api: AirbyteClient, emu: Emulator
) -> None:
    """Airbyte would cancel whatever job the connection runs now (API-FACTS 6.3b): cancel
    reads the job first and sends nothing for one that ended, which it returns as it ended."""
    connection_id = emu.connection_ids[0]
    [ended] = await finished_syncs(api, connection_id, 1)
    emu.set_sync_plan(connection_id, duration=30.0)
    newer = await api.connections.sync(connection_id=connection_id)

    answer = await api.jobs.cancel(job_id=ended.id)

    assert (answer.id, answer.status) == (ended.id, JobStatus.SUCCEEDED)
    assert answer.attempts
    assert sent(emu, "jobs/cancel") == []
    assert emu.job_status(newer.id) == "running"


async def test_a_cancel_whose_read_comes_late_reads_again_and_leaves_a_newer_job_alone(
    api: AirbyteClient, emu: Emulator
) -> None:
    """The read before a cancel answered 1.5 s late, showing the job running as it was when
    asked (API-FACTS 6.3b: an answer as old as its request); meanwhile it ended and the
    connection started another sync. The read is made again, shows the job ended, and nothing
    is cancelled: the cancel would have stopped the newer job."""
    connection_id = emu.connection_ids[0]
    emu.set_sync_plan(connection_id, duration=0.5)
    job = await api.connections.sync(connection_id=connection_id)
    emu.set_faults([{"kind": "late", "route": "/v1/jobs/get_light", "delay": 1.5, "times": 1}])
    answer, newer = await cancel_as_another_sync_follows(emu, api, connection_id, job.id)

    assert emu.stats().faults_injected == {"late": 1}
    assert (answer.id, answer.status) == (job.id, JobStatus.SUCCEEDED)
    assert sent(emu, "jobs/cancel") == []
    assert emu.job_status(newer) == "running"


async def test_cancel_returns_the_cancelled_job(api: AirbyteClient, emu: Emulator) -> None:
    """jobs/cancel of a running job."""
    connection_id = emu.connection_ids[0]
    emu.set_sync_plan(connection_id, duration=5.0)
    job = await api.connections.sync(connection_id=connection_id)

    cancelled = await api.jobs.cancel(job_id=job.id)

    assert cancelled.status is JobStatus.CANCELLED
    assert cancelled.ended_at is not None


async def test_list_page_counts_all_jobs(api: AirbyteClient, emu: Emulator) -> None:
    """One page, newest first, and the total count of matching jobs."""
    jobs = await finished_syncs(api, emu.connection_ids[0], 3)

    page = await api.jobs.list_page(connection_id=emu.connection_ids[0], page_size=2)

    assert page.total_count == 3
    assert [j.id for j in page.jobs] == [jobs[2].id, jobs[1].id]


async def test_list_reads_every_page(api: AirbyteClient, emu: Emulator) -> None:
    """The iterator pages by rowOffset until the last page."""
    jobs = await finished_syncs(api, emu.connection_ids[0], 5)

    listed = [j.id async for j in api.jobs.list(connection_id=emu.connection_ids[0], page_size=2)]

    assert listed == [j.id for j in reversed(jobs)]
    # The syncs may have looked too (a trigger refused as the previous job was wrapped up).
    pages = [b["pagination"] for b in bodies(emu, "jobs/list")]
    assert [p["rowOffset"] for p in pages if p["pageSize"] == 2] == [0, 2, 4]


async def test_list_sends_only_what_is_given(api: AirbyteClient, emu: Emulator) -> None:
    """configTypes, configId and pagination; no filter that was not asked for."""
    connection_id = emu.connection_ids[0]

    await api.jobs.list_page(connection_id=connection_id)

    assert bodies(emu, "jobs/list") == [
        {
            "configTypes": ["sync"],
            "configId": connection_id,
            "pagination": {"pageSize": 100, "rowOffset": 0},
        }
    ]


async def test_list_filters_are_sent_as_the_api_spells_them(
    api: AirbyteClient, emu: Emulator, version: str
) -> None:
    """Statuses, ISO-8601 times and ordering, under their wire names; 0.50 fails a page that
    asks for an order (its JobHistoryHandler hands on ``UPDATED_AT``, which
    ``DefaultJobPersistence.getJobOrderBy`` does not know)."""
    connection_id = emu.connection_ids[0]

    with contextlib.ExitStack() as stack:
        if version == "0.50":
            stack.enter_context(pytest.raises(ServerError, match="not valid for jobs orderBy"))
        await api.jobs.list_page(
            connection_id=connection_id,
            job_types=(JobType.SYNC, JobType.RESET_CONNECTION),
            statuses=(JobStatus.FAILED,),
            created_after=datetime(2024, 5, 1, tzinfo=UTC),
            updated_after=datetime(2024, 5, 2, tzinfo=UTC),
            order_by="-updated_at",
        )

    body = bodies(emu, "jobs/list")[0]
    assert body["configTypes"] == ["sync", "reset_connection"]
    assert body["statuses"] == ["failed"]
    assert body["createdAtStart"] == "2024-05-01T00:00:00+00:00"
    assert body["updatedAtStart"] == "2024-05-02T00:00:00+00:00"
    assert (body["orderByField"], body["orderByMethod"]) == ("updatedAt", "DESC")


@pytest.mark.parametrize("version", ["0.40", "0.50", "1.7", "2.0", "head"])
async def test_list_keeps_the_order_asked_for_on_every_version(
    api: AirbyteClient, emu: Emulator
) -> None:
    """order_by holds on every version: 0.40's JobListRequestBody has no order fields and
    lists newest first (config-api-0.40.yaml JobListRequestBody; API-FACTS 4), so the jobs
    are put in order on the client too."""
    connection_id = emu.connection_ids[0]
    made = [job.id for job in await finished_syncs(api, connection_id, 3)]

    oldest_first = [
        j.id async for j in api.jobs.list(connection_id=connection_id, order_by="created_at")
    ]
    newest_first = [
        j.id async for j in api.jobs.list(connection_id=connection_id, order_by="-created_at")
    ]

    assert oldest_first == made
    assert newest_first == made[::-1]


@pytest.mark.parametrize("version", ["0.50"])
async def test_a_server_without_the_queued_status_is_asked_again_without_it(
    api: AirbyteClient, emu: Emulator
) -> None:
    """0.50 knows no ``queued`` (API-FACTS 3: absent in 2.0 and before) and refuses it in a
    filter (422): none of its jobs is queued, so the page is asked again without it."""
    connection_id = emu.connection_ids[0]
    emu.set_sync_plan(connection_id, duration=30.0)
    running = await api.connections.sync(connection_id=connection_id)

    page = await api.jobs.list_page(
        connection_id=connection_id, statuses=[JobStatus.RUNNING, JobStatus.QUEUED]
    )
    only_queued = await api.jobs.list_page(connection_id=connection_id, statuses=[JobStatus.QUEUED])

    assert [j.id for j in page.jobs] == [running.id]
    assert only_queued.jobs == ()
    assert [b.get("statuses") for b in bodies(emu, "jobs/list")] == [
        ["running", "queued"],
        ["running"],
        ["queued"],
    ]


async def test_list_filters_by_status(api: AirbyteClient, emu: Emulator) -> None:
    """Only failed jobs, when asked."""
    connection_id = emu.connection_ids[0]
    await finished_syncs(api, connection_id, 1)
    emu.set_sync_plan(connection_id, outcome="failed", duration=0.01)
    [failed] = await finished_syncs(api, connection_id, 1)

    page = await api.jobs.list_page(connection_id=connection_id, statuses=[JobStatus.FAILED])

    assert [j.id for j in page.jobs] == [failed.id]


@pytest.mark.parametrize("version", ["0.40"])
async def test_list_on_0_40_sends_the_required_config_id(api: AirbyteClient, emu: Emulator) -> None:
    """0.40 requires configId: it is always sent, and the listing works."""
    jobs = await finished_syncs(api, emu.connection_ids[0], 2)

    listed = [j.id async for j in api.jobs.list(connection_id=emu.connection_ids[0])]

    assert listed == [jobs[1].id, jobs[0].id]
    assert bodies(emu, "jobs/list")[0]["configId"] == emu.connection_ids[0]


@pytest.mark.parametrize("version", ["0.40"])
async def test_list_filters_hold_on_0_40_which_ignores_them(
    api: AirbyteClient, emu: Emulator
) -> None:
    """0.40 answers every job whatever the filters (API-FACTS 8): list checks them itself."""
    connection_id = emu.connection_ids[0]
    await finished_syncs(api, connection_id, 1)
    emu.set_sync_plan(connection_id, outcome="failed", duration=0.01)
    [failed] = await finished_syncs(api, connection_id, 1)

    page = await api.jobs.list_page(connection_id=connection_id, statuses=[JobStatus.FAILED])
    listed = api.jobs.list(connection_id=connection_id, statuses=[JobStatus.FAILED])
    later = api.jobs.list(
        connection_id=connection_id, created_after=datetime(2100, 1, 1, tzinfo=UTC)
    )

    assert len(page.jobs) == 2
    assert [j.id async for j in listed] == [failed.id]
    assert [j.id async for j in later] == []


@pytest.mark.parametrize("version", ["0.40"])
async def test_list_keeps_a_job_stamped_in_the_second_its_bound_falls_in(
    api: AirbyteClient, emu: Emulator
) -> None:
    """Stamps are whole seconds: list's own check keeps a job stamped in the bound's second
    (it may have been created after the bound, and the server would then keep it)."""
    [done] = await finished_syncs(api, emu.connection_ids[0], 1)
    bound = datetime.fromtimestamp(done.created_at.timestamp() + 0.5, UTC)

    listed = api.jobs.list(connection_id=emu.connection_ids[0], created_after=bound)

    assert [j.id async for j in listed] == [done.id]


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"created_after": datetime(2024, 5, 1)}, "timezone-aware"),
        ({"order_by": "name"}, "order_by must be one of"),
        ({"job_types": ()}, "at least one job type"),
        ({"page_size": 0}, "page_size must be a whole number from 1"),
        ({"statuses": "running"}, "statuses must be a list of JobStatus"),
        ({"job_types": "sync"}, "job_types must be a list of JobType"),
        ({"created_after": "2024-05-01"}, "created_after must be a datetime"),
    ],
)
async def test_bad_list_arguments_are_refused_before_any_request(
    api: AirbyteClient, emu: Emulator, kwargs: dict[str, object], message: str
) -> None:
    """Arguments the server would reject: InvalidArgumentError, nothing sent."""
    with pytest.raises(InvalidArgumentError, match=message):
        await api.jobs.list_page(connection_id="c", **kwargs)  # type: ignore[arg-type]

    assert sent(emu, "jobs/list") == []


async def test_list_for_workspaces_page(
    api: AirbyteClient, emu: Emulator, workspace_id: str
) -> None:
    """jobs/list_for_workspaces: the workspaces' jobs, with the filters given."""
    await finished_syncs(api, emu.connection_ids[0], 1)
    await finished_syncs(api, emu.connection_ids[1], 1)

    page = await api.jobs.list_for_workspaces_page(
        workspace_ids=[workspace_id], updated_at_start=datetime(2000, 1, 1, tzinfo=UTC)
    )

    assert page.total_count == 2
    [body] = bodies(emu, "jobs/list_for_workspaces")
    assert body["workspaceIds"] == [workspace_id]
    assert body["updatedAtStart"] == "2000-01-01T00:00:00+00:00"


async def test_changes_of_every_workspace_name_the_workspaces(
    api: AirbyteClient, emu: Emulator, workspace_id: str
) -> None:
    """list_changes with no workspace lists the workspaces and names them: Airbyte's route
    fails without ``workspaceIds`` and matches nothing with none (see the emulator's test)."""
    await finished_syncs(api, emu.connection_ids[0], 1)

    changes = await api.jobs.list_changes(
        workspace_ids=[], updated_at_start=datetime(2000, 1, 1, tzinfo=UTC)
    )

    assert len(changes) == 1
    [body] = bodies(emu, "jobs/list_for_workspaces")
    assert body["workspaceIds"] == [workspace_id]


async def test_list_for_workspaces_reads_every_page(
    api: AirbyteClient, emu: Emulator, workspace_id: str
) -> None:
    """The iterator over several workspaces' jobs."""
    for connection_id in emu.connection_ids:
        await finished_syncs(api, connection_id, 1)

    jobs = [
        j async for j in api.jobs.list_for_workspaces(workspace_ids=[workspace_id], page_size=2)
    ]

    assert sorted(j.connection_id or "" for j in jobs) == sorted(emu.connection_ids)
    assert len(sent(emu, "jobs/list_for_workspaces")) == 2


async def test_cancel_of_a_job_not_yet_running_waits_for_it_to_run_and_cancels_it() -> None:
    """
    Airbyte ignores a cancel while no attempt of the job runs (``ConnectionManagerWorkflowImpl
    .cancelJob`` returns unless ``workflowState.isRunning``, set by ``reportJobStarting``), and
    answers 200 with the job still pending: jobs.cancel of a job head's public trigger
    answered pending (a job that does not wait for capacity) sends the cancel again once the
    job runs, and returns it cancelled.
    """
    emulator = Emulator(
        airbyte_version="head", connections=1, trigger_latency=0.3, record_requests=True
    )
    async with emulator as emu, AirbyteClient(emu.url, api="public", env={}) as api:
        connection_id = emu.connection_ids[0]
        emu.set_sync_plan(connection_id, duration=30.0)
        job = await api.connections.sync(connection_id=connection_id)
        assert job.status is JobStatus.PENDING

        with anyio.fail_after(10):
            cancelled = await api.jobs.cancel(job_id=job.id)
        cancels = sum(1 for r in emu.requests if r.method == "DELETE")

    assert cancelled.status is JobStatus.CANCELLED
    assert emu.job_status(job.id) == "cancelled"
    assert cancels == 2


async def test_cancel_of_a_job_waiting_for_capacity_is_heard_the_first_time() -> None:
    """
    Head records a cancel of a job that waits for data-worker capacity (pending, queued) and
    cancels the job before it runs (``ConnectionManagerWorkflowImpl.cancelJob`` when
    ``isWaitingForCapacity``): jobs.cancel, whose answer may still show the job waiting,
    reads it again and returns it cancelled, with no attempt, having sent one cancel. (The
    job is started on the public API, whose trigger answers once the job exists.)
    """
    emulator = Emulator(airbyte_version="head", connections=1, pending_duration=30.0)
    async with (
        emulator as emu,
        AirbyteClient(emu.url, auth=NoAuth(), env={}) as api,
        AirbyteClient(emu.url, api="public", env={}) as public,
    ):
        connection_id = emu.connection_ids[0]
        job = await public.connections.sync(connection_id=connection_id)
        assert job.status in (JobStatus.PENDING, JobStatus.QUEUED)

        with anyio.fail_after(10):
            cancelled = await api.jobs.cancel(job_id=job.id)
        cancels = emu.stats().requests_by_route["/v1/jobs/cancel"]

    assert (cancelled.status, cancelled.attempts) == (JobStatus.CANCELLED, ())
    assert cancels == 1


async def test_a_pending_job_that_ends_before_its_cancel_is_heard_is_not_cancelled_again(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """
    A cancel Airbyte ignored (the job pending) is not sent again once the job has ended by
    itself: a cancel stops whatever job the connection runs now (API-FACTS 6.3b), here
    another client's sync started meanwhile, which is left alone.
    """
    # The job is read again 1 s after the cancel: it ran and ended, and the other's runs.
    monkeypatch.setattr(jobs_module, "_HEARD_FIRST_PAUSE", 1.0)
    emulator = Emulator(airbyte_version="head", connections=1, trigger_latency=0.3)
    async with (
        emulator as emu,
        AirbyteClient(emu.url, api="public", env={}) as api,
        AirbyteClient(emu.url, api="public", env={}) as other,
    ):
        connection_id = emu.connection_ids[0]
        emu.set_sync_plan(connection_id, duration=0.1)
        job = await api.connections.sync(connection_id=connection_id)
        assert job.status is JobStatus.PENDING
        later: list[Job] = []

        async def sync_once_it_ended() -> None:
            await other.jobs.wait(job_id=job.id, poll_interval=0.02)
            emu.set_sync_plan(connection_id, duration=30.0)
            later.append(await other.connections.sync(connection_id=connection_id))

        with anyio.fail_after(10):
            async with anyio.create_task_group() as tg:
                tg.start_soon(sync_once_it_ended)
                answer = await api.jobs.cancel(job_id=job.id)

        assert answer.status is JobStatus.SUCCEEDED
        assert emu.job_status(later[0].id) != "cancelled"


async def running_job(api: AirbyteClient, connection_id: str) -> Job:
    """The connection's job once it reads running."""
    with anyio.fail_after(5):
        while True:
            page = await api.jobs.list_page(connection_id=connection_id)
            if page.jobs and page.jobs[0].status is JobStatus.RUNNING:
                return page.jobs[0]
            await anyio.sleep(0.02)


async def test_a_cancel_sent_as_the_job_starts_running_is_sent_again_until_heard() -> None:
    """
    A job reads running before its workflow reports running (the ``reportJobStart`` activity
    comes between, ``ConnectionManagerWorkflowImpl.reportJobStarting``), and a cancel then is
    ignored and answered with the job running; a heard one is answered only once the job
    stopped (``TemporalClient.startNewCancellation``). jobs.cancel sent in that moment reads
    the job again, sends the cancel again as it still runs, and returns it cancelled.
    """
    emulator = Emulator(connections=1, trigger_latency=1.0, start_lag=0.8)
    async with emulator as emu, AirbyteClient(emu.url, auth=NoAuth(), env={}) as api:
        connection_id = emu.connection_ids[0]
        emu.set_sync_plan(connection_id, duration=60.0)
        async with anyio.create_task_group() as tg:
            tg.start_soon(partial(api.connections.sync, connection_id=connection_id))
            job = await running_job(api, connection_id)
            with anyio.fail_after(10):
                cancelled = await api.jobs.cancel(job_id=job.id)
        cancels = emu.stats().requests_by_route["/v1/jobs/cancel"]

    assert cancelled.status is JobStatus.CANCELLED
    assert emu.job_status(job.id) == "cancelled"
    assert cancels == 2


@pytest.mark.parametrize("before", ["sync", "reset"])
async def test_a_sync_right_after_a_job_ended_waits_out_its_wrap_up(before: str) -> None:
    """
    For a moment after a job's end is written, the connection's workflow still reports running
    (its end-of-sync activities, a reset's as a sync's) and Airbyte refuses a sync trigger with
    "A sync is already running" though none runs (``ConnectionManagerWorkflowImpl
    .reportSuccess``, then ``prepareForNextRunAndContinueAsNew``): connections.sync right after
    jobs.wait sends the trigger again once the listing shows no job running, and starts one.
    """
    emulator = Emulator(connections=1, trigger_latency=0.02, wrap_up=1.0)
    async with emulator as emu, AirbyteClient(emu.url, auth=NoAuth(), env={}) as api:
        connection_id = emu.connection_ids[0]
        emu.set_sync_plan(connection_id, duration=0.1)
        start = api.connections.sync if before == "sync" else api.connections.reset
        first = await start(connection_id=connection_id)
        await api.jobs.wait(job_id=first.id, poll_interval=0.01)
        with anyio.fail_after(10):
            synced = await api.connections.sync(connection_id=connection_id)
        stats = emu.stats()

    assert synced.job_type is JobType.SYNC
    assert stats.jobs_by_connection[connection_id] == [first.id, synced.id]
    assert stats.requests_by_route["/v1/connections/sync"] > (2 if before == "sync" else 1)
