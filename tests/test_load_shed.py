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
from typing import Any

import pytest

from airbyte_async import AirbyteClient, BearerToken, NoAuth, RetryPolicy
from airbyte_async.errors import RateLimitError
from airbyte_async.resources import _reconcile
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
