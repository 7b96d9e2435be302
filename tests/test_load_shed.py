"""
Airbyte Cloud's load shedding, as a client of the public API meets it.

``PublicApiLoadShedFilter`` answers every public API request of a user the ``LoadShedPublicApi``
flag targets with 429 ``{"message":"You are being rate limited."}`` and deliberately no
``Retry-After``, before any controller runs: nothing a shed request asked for is done
(API-FACTS 7; its test: "shed requests must not reach the downstream chain"). The flag stays
on for as long as an operator leaves it: seconds, minutes, or for good. The emulator's
``rate_limit`` fault with a window (``lasting``) is that storm.
"""

from __future__ import annotations

import pickle
from collections.abc import AsyncIterator, Awaitable, Callable
from functools import partial
from typing import Any

import anyio
import pytest
from client_support import until

from airbyte_async import AirbyteClient, BearerToken, NoAuth, RetryPolicy, orchestrator
from airbyte_async._watch import JobWatcher
from airbyte_async.errors import RateLimitError
from airbyte_async.models import JobStatus
from airbyte_async.orchestrator import Orchestrator, Outcome, SyncTarget
from airbyte_async.resources import _reconcile
from airbyte_async.resources._public_backend import PublicBackend
from airbyte_async.testing import Emulator, RequireBearer

pytestmark = pytest.mark.anyio

TOKEN = "t0ken-that-must-not-show"
#: Every public API request shed, for good.
STORM = {"kind": "rate_limit", "route": "/public/v1/*"}

Call = Callable[[AirbyteClient, Emulator], Awaitable[Any]]


async def _first(items: AsyncIterator[Any]) -> Any:
    async for item in items:
        return item
    return None


#: Resource calls, reads and writes, each a call the retry policy governs.
CALLS: dict[str, Call] = {
    "jobs.get": lambda c, e: c.jobs.get(job_id=1),
    "connections.get": lambda c, e: c.connections.get(connection_id=e.connection_ids[0]),
    "connections.list": lambda c, e: _first(c.connections.list(workspace_id=e.workspace_ids[0])),
    "sources.list": lambda c, e: _first(c.sources.list(workspace_id=e.workspace_ids[0])),
    "connections.update": lambda c, e: c.connections.update(
        connection_id=e.connection_ids[0], name="renamed"
    ),
}


@pytest.mark.parametrize("call", list(CALLS))
async def test_a_call_shed_throughout_raises_a_rate_limit_error_saying_what_happened(
    call: str,
) -> None:
    """
    Every request shed: a resource call makes the policy's attempts (a 429 is retried, even
    for a write: it was not acted on), then raises RateLimitError saying how many were refused
    and that nothing was done, with the attempts and seconds as attributes; never the token.
    """
    emulator = Emulator(airbyte_version="head", connections=1, auth=RequireBearer(TOKEN))
    async with emulator as emu:
        emu.set_faults([STORM])
        client = AirbyteClient(
            emu.url, api="public", auth=BearerToken(TOKEN), env={}, retry=RetryPolicy(attempts=3)
        )
        async with client:
            with pytest.raises(RateLimitError) as caught:
                await CALLS[call](client, emu)
        stats = emu.stats()

    error = caught.value
    assert sum(stats.requests_by_route.values()) == 3
    assert stats.faults_injected == {"rate_limit": 3}
    assert (error.status, error.attempts, error.retry_after) == (429, 3, None)
    assert error.seconds is not None and error.seconds >= 0
    text = str(error)
    assert text.startswith(f"429 on {error.route}: You are being rate limited. (refused 3 times")
    assert "so nothing was done" in text and "all 3 attempts made" in text
    assert TOKEN not in text + repr(error.body) + repr(error.headers)


def test_a_rate_limit_error_pickles_with_what_it_says_of_its_refusals() -> None:
    """A RateLimitError crosses a process (pickled) with its attempts, seconds and text."""
    error = RateLimitError(429, "You are being rate limited.", route="jobs/1")
    error.refused(5, 2.25, "all 5 attempts made")

    copy = pickle.loads(pickle.dumps(error))

    assert (copy.attempts, copy.seconds, str(copy)) == (5, 2.25, str(error))
    assert str(copy).endswith(
        "(refused 5 times in 2.2 s, so nothing was done; the call gave up: all 5 attempts made)"
    )


#: The public API's trigger, ``POST /jobs``.
TRIGGERS = {"kind": "rate_limit", "route": "/public/v1/jobs", "method": "POST"}


async def test_a_trigger_shed_for_a_while_starts_one_sync_and_says_so_once(
    caplog: pytest.LogCaptureFixture,
) -> None:
    """
    A sync trigger shed for twelve requests (more than one call's attempts) is sent again, as a
    429 started nothing, and starts one job; the refusals are told in one warning that says
    the trigger is sent again, not once per refused request and not never.
    """
    emulator = Emulator(airbyte_version="head", connections=1)
    async with emulator as emu, _client(emu) as client:
        emu.set_faults([{**TRIGGERS, "times": 12}])
        with caplog.at_level("WARNING", logger="airbyte_async"):
            job = await client.connections.sync(connection_id=emu.connection_ids[0])
        stats = emu.stats()

    assert stats.jobs_created == 1 and job.id == next(iter(stats.job_statuses))
    assert stats.requests_by_route["/public/v1/jobs"] == 13
    [warning] = [r.getMessage() for r in caplog.records]
    cid = emu.connection_ids[0]
    assert warning.startswith(f"the sync trigger for {cid} was refused (429: You are being")
    assert "it started nothing, and is sent again" in warning


async def test_a_trigger_shed_past_its_patience_raises_counting_every_refusal(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """
    Shed for good, a sync trigger is sent again until its patience (five minutes from its first
    attempt; shortened here) ends, then raises RateLimitError counting every request refused
    over the whole call, not its last round's; no job exists.
    """
    monkeypatch.setattr(_reconcile, "SETTLE_PATIENCE", 0.2)
    emulator = Emulator(airbyte_version="head", connections=1)
    async with emulator as emu, _client(emu) as client:
        emu.set_faults([TRIGGERS])
        with pytest.raises(RateLimitError) as caught:
            await client.connections.sync(connection_id=emu.connection_ids[0])
        stats = emu.stats()

    sent = stats.requests_by_route["/public/v1/jobs"]
    assert stats.jobs_created == 0 and sent > 6
    assert caught.value.attempts == sent
    assert str(caught.value).endswith(
        "the call gave up: still refused 0.2 s after its first attempt)"
    )


def _client(emu: Emulator) -> AirbyteClient:
    return AirbyteClient(emu.url, api="public", auth=NoAuth(), env={})


@pytest.fixture
def short_patience(monkeypatch: pytest.MonkeyPatch) -> None:
    """A trigger waits a storm out for 0.2 s (five minutes by default), a batch's polls for
    half a second (ten minutes)."""
    monkeypatch.setattr(_reconcile, "SETTLE_PATIENCE", 0.2)
    monkeypatch.setattr(orchestrator, "JobWatcher", partial(JobWatcher, max_outage=0.5))


def _batch(client: AirbyteClient) -> Orchestrator:
    made = Orchestrator(client, max_running=2, poll_interval=0.02, max_poll_interval=0.05)
    assert isinstance(made.backend, PublicBackend)
    made.backend.min_interval = 0.05
    return made


@pytest.mark.usefixtures("short_patience")
async def test_a_batch_shed_for_good_from_its_start_triggers_no_more_after_one_wave() -> None:
    """
    Every request shed from the start, for good: the first wave's triggers are sent again for
    their patience, then fail saying every request was refused and nothing done; the others
    are not triggered at all (no request: they would each wait the storm out again), and say
    why. No sync started, none is told as possibly running.
    """
    emulator = Emulator(airbyte_version="head", connections=6, trigger_latency=0.0)
    async with emulator as emu, _client(emu) as client:
        emu.set_faults([STORM])
        [workspace] = emu.workspace_ids
        results = await _batch(client).run(
            [SyncTarget(c, workspace_id=workspace) for c in emu.connection_ids]
        )
        stats = emu.stats()

    assert stats.jobs_created == 0
    assert {r.outcome for r in results} == {Outcome.ERROR}
    assert not any(r.left_running or r.job_id for r in results)
    not_sent = [r for r in results if "not triggered: " in (r.error or "")]
    refused = [r for r in results if r not in not_sent and "so nothing was done" in (r.error or "")]
    assert (len(refused), len(not_sent)) == (2, 4)
    assert "still refused 0.2 s after its first attempt" in (refused[0].error or "")
    assert "rate limited" in (not_sent[0].error or "")


@pytest.mark.usefixtures("short_patience")
async def test_syncs_whose_polls_are_shed_for_good_are_told_as_possibly_running() -> None:
    """
    Shed for good once two syncs run: their polls are waited out (ten minutes; shortened), then
    their results are errors whose reason says the jobs may still run (their ends were never
    seen), with the status last read; the connections not triggered yet are not triggered.
    """
    emulator = Emulator(
        airbyte_version="head", connections=4, trigger_latency=0.0, sync_duration=(600, 600)
    )
    async with emulator as emu, _client(emu) as client:
        batch = _batch(client)
        async with anyio.create_task_group() as tg:

            async def storm() -> None:
                await until(lambda: emu.stats().jobs_created == 2)
                emu.set_faults([STORM])

            tg.start_soon(storm)
            results = await batch.run(emu.connection_ids)
        stats = emu.stats()

    assert stats.jobs_created == 2
    running, not_sent = results[:2], results[2:]
    assert all(r.outcome is Outcome.ERROR and r.left_running for r in running)
    assert all(r.job_id is not None and r.status is JobStatus.RUNNING for r in running)
    assert all("429" in (r.error or "") for r in running)
    assert all((r.error or "").endswith("; it may still run") for r in running)
    assert all("not triggered: " in (r.error or "") for r in not_sent)
    assert not any(r.left_running or r.job_id for r in not_sent)
