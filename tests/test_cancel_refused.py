"""
``client.jobs.cancel`` refused without being acted on: a 429 (Airbyte Cloud's load shedding
answers one before anything is done, and with no ``Retry-After``: API-FACTS 7), on the Config
API's ``jobs/cancel`` and the public API's ``DELETE /jobs/{jobId}``; and one a proxy gave up on
while Airbyte acted.

Either cancels the connection's *current* job, whatever id it names (API-FACTS 6.3b;
``JobServiceImpl.cancelJob`` runs the Config API's ``SchedulerHandler.cancelJob``): a refused
cancel sent again after its job ended would stop a newer one.
"""

from __future__ import annotations

import itertools
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any, Literal

import anyio
import pytest
import stamina

from airbyte_async import AirbyteClient, NoAuth, RetryBudget, RetryPolicy
from airbyte_async.errors import RateLimitError, ServerError
from airbyte_async.models import Job, JobStatus
from airbyte_async.testing import Emulator

pytestmark = pytest.mark.anyio

Api = Literal["config", "public"]
APIS: list[Api] = ["config", "public"]


def _cancel_route(api: Api) -> dict[str, Any]:
    """The fault settings that pick *api*'s cancel, and only it."""
    if api == "config":
        return {"route": "jobs/cancel"}
    return {"route": "/public/v1/jobs/*", "method": "DELETE"}


def _is_cancel(api: Api, method: str, route: str) -> bool:
    if api == "config":
        return route == "/v1/jobs/cancel"
    return method == "DELETE" and route.startswith("/public/v1/jobs/")


def _is_read(api: Api, method: str, route: str) -> bool:
    if api == "config":
        return route in ("/v1/jobs/get_light", "/v1/jobs/get")
    return method == "GET" and route.startswith("/public/v1/jobs/")


@asynccontextmanager
async def _one_client(
    api: Api, *, trigger_latency: float = 0.0, cancel_latency: float = 0.0, **settings: Any
) -> AsyncIterator[tuple[Emulator, AirbyteClient]]:
    """An emulator of one connection (its triggers and cancels taking *trigger_latency* and
    *cancel_latency*), and a client on *api* with *settings*."""
    emulator = Emulator(
        airbyte_version="head",
        connections=1,
        trigger_latency=trigger_latency,
        cancel_latency=cancel_latency,
        record_requests=True,
    )
    async with emulator as emu:
        client = AirbyteClient(emu.url, auth=NoAuth(), env={}, api=api, **settings)
        async with client:
            yield emu, client


@pytest.mark.parametrize("api", APIS)
async def test_a_refused_cancel_whose_job_ended_meanwhile_leaves_the_newer_job_alone(
    api: Api,
) -> None:
    """
    A cancel refused with 429s for two seconds while its job ends (0.6 s in) and another
    client starts the connection's next sync: the cancel is not sent again once a read shows
    the job ended, which is returned as it ended, and the newer job runs on. (Retried within
    its call through the refusals, the cancel reached the server after the job ended, and
    Airbyte cancelled the newer job: API-FACTS 6.3b. The client's policy retries every 0.2 s
    at most, so that it would retry through the whole window, whatever the jitter draws.)
    """
    policy = RetryPolicy(attempts=100, initial_wait=0.1, max_wait=0.2)
    budget = RetryBudget(capacity=1000)
    async with _one_client(api, retry=policy, retry_budget=budget) as (emu, client):
        other = AirbyteClient(emu.url, auth=NoAuth(), env={}, api=api)
        connection_id = emu.connection_ids[0]
        emu.set_sync_plan(connection_id, duration=0.6)
        job = await client.connections.sync(connection_id=connection_id)
        newer: list[Job] = []

        async def sync_once_it_ended() -> None:
            async with other:
                await other.jobs.wait(job_id=job.id, poll_interval=0.02)
                emu.set_sync_plan(connection_id, duration=60.0)
                newer.append(await other.connections.sync(connection_id=connection_id))

        emu.set_faults([{"kind": "rate_limit", **_cancel_route(api), "lasting": 2.0}])
        with stamina.set_testing(False), anyio.fail_after(20):
            async with anyio.create_task_group() as tg:
                tg.start_soon(sync_once_it_ended)
                answer = await client.jobs.cancel(job_id=job.id)
        refused = emu.stats().faults_injected.get("rate_limit", 0)
        cancels = [r for r in emu.requests if _is_cancel(api, r.method, r.route)]

        assert (answer.id, answer.status) == (job.id, JobStatus.SUCCEEDED)
        assert emu.job_status(newer[0].id) == "running"
        assert len(cancels) == refused  # none reached Airbyte


@pytest.mark.parametrize("api", APIS)
async def test_a_cancel_refused_twice_is_sent_again_after_reads_show_its_job_running(
    api: Api,
) -> None:
    """
    A cancel whose first two tries are refused with a 429 (not acted on: API-FACTS 7) while
    its job runs on: each refusal is followed by a read showing the job running, then the
    cancel goes again; the third is acted on, once, and the job ends cancelled.
    """
    async with _one_client(api) as (emu, client):
        connection_id = emu.connection_ids[0]
        emu.set_sync_plan(connection_id, duration=60.0)
        job = await client.connections.sync(connection_id=connection_id)
        emu.set_faults([{"kind": "rate_limit", **_cancel_route(api), "times": 2}])
        start = len(emu.requests)

        with anyio.fail_after(10):
            answer = await client.jobs.cancel(job_id=job.id)
        sent = [(r.method, r.route) for r in emu.requests[start:]]
        refused = emu.stats().faults_injected.get("rate_limit", 0)
        status = emu.job_status(job.id)

    assert (answer.id, answer.status, status) == (job.id, JobStatus.CANCELLED, "cancelled")
    cancels = [i for i, (method, route) in enumerate(sent) if _is_cancel(api, method, route)]
    assert (len(cancels), refused) == (3, 2)  # one acted on
    for before, after in itertools.pairwise(cancels):
        between = sent[before + 1 : after]
        assert between
        assert all(_is_read(api, method, route) for method, route in between)


@pytest.mark.parametrize("api", APIS)
async def test_a_cancel_refused_throughout_raises_after_its_tries_saying_nothing_was_done(
    api: Api,
) -> None:
    """
    A cancel every try of which is refused with a 429 while its job runs on: it is tried as
    often as a default RetryPolicy tries a call (five times), each after a read showing the job
    running, then raises RateLimitError counting the refusals and saying nothing was done (no
    note says the cancel may have reached the server); the job runs on.
    """
    async with _one_client(api) as (emu, client):
        connection_id = emu.connection_ids[0]
        emu.set_sync_plan(connection_id, duration=60.0)
        job = await client.connections.sync(connection_id=connection_id)
        emu.set_faults([{"kind": "rate_limit", **_cancel_route(api)}])

        with anyio.fail_after(10), pytest.raises(RateLimitError) as caught:
            await client.jobs.cancel(job_id=job.id)
        cancels = [r for r in emu.requests if _is_cancel(api, r.method, r.route)]
        status = emu.job_status(job.id)

    tries = RetryPolicy().attempts
    assert (len(cancels), caught.value.attempts, status) == (tries, tries, "running")
    assert f"refused {tries} times" in str(caught.value)
    assert "so nothing was done" in str(caught.value)
    assert not any("may have reached" in n for n in getattr(caught.value, "__notes__", []))


@pytest.mark.parametrize("given", ["at-construction", "replaced-later"])
@pytest.mark.parametrize("attempts", [1, 2])
@pytest.mark.parametrize("api", APIS)
async def test_a_cancel_refused_throughout_is_tried_as_often_as_the_clients_retry_policy_says(
    api: Api, attempts: int, given: str
) -> None:
    """
    A cancel refused with a 429 on every try is tried ``RetryPolicy.attempts`` times (one: no
    retry), each again only after a read showing the job running, then raises RateLimitError
    counting them; the policy is the client's ``retry`` when the cancel is made, also when it
    was replaced after the client was made.
    """
    policy = RetryPolicy(attempts=attempts)
    settings = {"retry": policy} if given == "at-construction" else {}
    async with _one_client(api, **settings) as (emu, client):
        connection_id = emu.connection_ids[0]
        emu.set_sync_plan(connection_id, duration=60.0)
        job = await client.connections.sync(connection_id=connection_id)
        emu.set_faults([{"kind": "rate_limit", **_cancel_route(api)}])
        if given == "replaced-later":
            client.retry = policy

        with anyio.fail_after(10), pytest.raises(RateLimitError) as caught:
            await client.jobs.cancel(job_id=job.id)
        cancels = [r for r in emu.requests if _is_cancel(api, r.method, r.route)]
        status = emu.job_status(job.id)

    assert (len(cancels), caught.value.attempts, status) == (attempts, attempts, "running")
    assert "so nothing was done" in str(caught.value)


@pytest.mark.parametrize("api", APIS)
async def test_a_cancel_a_proxy_gave_up_on_while_the_job_stopped_says_it_may_have_been_acted_on(
    api: Api,
) -> None:
    """
    A cancel answers once its job stopped (API-FACTS 6.3b); a proxy whose read timeout passes
    first answers 504 while the server goes on to cancel the job. The 504 is raised, not
    replayed (a replay after the job ended would stop a newer one), with a note saying the
    cancel may have reached the server and naming the job to read.
    """
    emulator = Emulator(
        airbyte_version="head", connections=1, trigger_latency=0.0, cancel_latency=1.0
    )
    async with emulator as emu, AirbyteClient(emu.url, auth=NoAuth(), env={}, api=api) as client:
        connection_id = emu.connection_ids[0]
        emu.set_sync_plan(connection_id, duration=60.0)
        job = await client.connections.sync(connection_id=connection_id)
        emu.set_faults([{"kind": "proxy_timeout", **_cancel_route(api), "delay": 0.2}])
        with anyio.fail_after(10), pytest.raises(ServerError) as raised:
            await client.jobs.cancel(job_id=job.id)
        await client.jobs.wait(job_id=job.id, poll_interval=0.05)

        assert raised.value.status == 504
        assert any(f"job {job.id} may have reached the server" in n for n in raised.value.__notes__)
        assert emu.job_status(job.id) == "cancelled"
        assert emu.stats().faults_injected == {"proxy_timeout": 1}


@pytest.mark.parametrize("api", APIS)
async def test_a_cancel_that_comes_once_its_job_ended_returns_the_job_as_it_ended(
    api: Api,
) -> None:
    """
    A cancel sent for a job that has ended, the connection running none (the race of a job
    ending as a give-up cancels it), fails on the server: Airbyte looks up job -1, a 500 on
    the Config API, a 409 on the public one (``State.stop_current``). The job is read and
    returned as it ended, not the failure raised.
    """
    async with _one_client(api) as (emu, client):
        connection_id = emu.connection_ids[0]
        emu.set_sync_plan(connection_id, duration=0.1)
        job = await client.connections.sync(connection_id=connection_id)
        await client.jobs.wait(job_id=job.id, poll_interval=0.05)
        await anyio.sleep(emu.wrap_up + 0.1)

        with anyio.fail_after(10):
            answer = await client.jobs.cancel(job_id=job.id, unless_ended=False)

        refused = [r for r in emu.requests if _is_cancel(api, r.method, r.route)]
        assert (answer.id, answer.status) == (job.id, JobStatus.SUCCEEDED)
        assert len(refused) == 1


@pytest.mark.parametrize(
    "lost",
    [
        pytest.param({"kind": "late", "delay": 1.5}, id="answered-past-the-timeout"),
        pytest.param({"kind": "reset_after"}, id="connection-lost-after"),
    ],
)
@pytest.mark.parametrize("api", APIS)
async def test_a_cancel_whose_answer_is_lost_returns_the_job_it_cancelled(
    api: Api, lost: dict[str, object]
) -> None:
    """
    A cancel the server acted on, whose answer came after the client's timeout (1 s here) or
    was lost with its connection: the job is read, and returned cancelled, rather than the
    lost answer's error raised with a note asking the caller to read it. The cancel is sent
    once (a replay could stop a newer job).
    """
    async with _one_client(api, cancel_latency=0.05, timeout=1.0) as (emu, client):
        connection_id = emu.connection_ids[0]
        emu.set_sync_plan(connection_id, duration=60.0)
        job = await client.connections.sync(connection_id=connection_id)
        emu.set_faults([{**lost, **_cancel_route(api), "times": 1}])

        with anyio.fail_after(10):
            cancelled = await client.jobs.cancel(job_id=job.id)
        cancels = [r for r in emu.requests if _is_cancel(api, r.method, r.route)]

    assert (cancelled.id, cancelled.status) == (job.id, JobStatus.CANCELLED)
    assert len(cancels) == 1


async def test_a_cancel_ignored_while_pending_whose_answer_is_lost_is_sent_again() -> None:
    """
    Head's public sync trigger answers with its job pending (``returnAfterJobId``); a cancel
    sent then is ignored (the workflow does not report running: ``cancelJob`` returns) and
    its answer lost with its connection. The read that follows shows the job still pending:
    the cancel was not heard, and is sent again once an attempt runs, as after an answer that
    showed the job pending. The job ends cancelled and is returned, not the lost answer's
    error raised while it runs on.
    """
    pending_first = _one_client("public", trigger_latency=0.5, cancel_latency=0.05, timeout=1.0)
    async with pending_first as (emu, client):
        connection_id = emu.connection_ids[0]
        emu.set_sync_plan(connection_id, duration=60.0)
        job = await client.connections.sync(connection_id=connection_id)
        assert job.status is JobStatus.PENDING
        emu.set_faults([{"kind": "reset_after", **_cancel_route("public"), "times": 1}])

        with anyio.fail_after(10):
            cancelled = await client.jobs.cancel(job_id=job.id)
        cancels = [r for r in emu.requests if _is_cancel("public", r.method, r.route)]

    assert (cancelled.id, cancelled.status) == (job.id, JobStatus.CANCELLED)
    assert len(cancels) == 2
