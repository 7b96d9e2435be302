"""The retry policy: the pure table, then what a client really sends to a failing emulator."""

from __future__ import annotations

import logging
import random
import time
from collections.abc import Awaitable, Callable
from typing import Any

import anyio
import pytest
from client_support import client_for, requests_to

from airbyte_async import AirbyteClient, RetryBudget, RetryPolicy
from airbyte_async._retry import (
    TOKEN_ROUTE,
    Outage,
    OutageLog,
    decide,
    is_retryable,
    never_reached_server,
)
from airbyte_async._throttle import RateLimiter
from airbyte_async.errors import (
    AirbyteError,
    ConnectError,
    ConnectionLostError,
    NotFoundError,
    RateLimitError,
    RequestTimeoutError,
    ResponseValidationError,
    ServerError,
    UnprocessableEntityError,
    error_for,
)
from airbyte_async.testing import pytest_plugin

airbyte_emulator_factory = pytest_plugin.airbyte_emulator_factory
Factory = pytest_plugin.EmulatorFactory


def api(status: int, route: str = "jobs/get", **headers: str) -> AirbyteError:
    """The error a *status* answer on *route* gives."""
    return error_for(status, {"message": "x"}, route=route, headers=headers)


# (error, retried when idempotent, retried when not)
POLICY: list[tuple[str, AirbyteError, bool, bool]] = [
    ("connect error", ConnectError("refused", route="jobs/get"), True, True),
    ("429", api(429), True, True),
    ("timeout", RequestTimeoutError("timed out", route="jobs/get"), True, False),
    ("reset", ConnectionLostError("reset", route="jobs/get"), True, False),
    ("500", api(500), True, False),
    ("502", api(502), True, False),
    ("503", api(503), True, False),
    ("504", api(504), True, False),
    ("501", api(501), False, False),
    *[(f"cloudflare {s}", api(s), True, False) for s in (520, 521, 522, 523, 524)],
    *[(f"cloudflare {s}", api(s), False, False) for s in (525, 526)],
    ("408", api(408), True, False),
    ("425", api(425), True, False),
    ("2xx not JSON", ResponseValidationError("x", malformed=True), True, False),
    ("2xx wrong shape", ResponseValidationError("x"), False, False),
    *[(str(s), api(s), False, False) for s in (400, 401, 403, 404, 409, 410, 422, 423)],
    ("token: connect error", ConnectError("refused", route=TOKEN_ROUTE), True, True),
    ("token: timeout", RequestTimeoutError("timed out", route=TOKEN_ROUTE), True, True),
    ("token: 503", api(503, TOKEN_ROUTE), True, True),
    ("token: cloudflare 522", api(522, TOKEN_ROUTE), True, True),
    ("token: cloudflare 526", api(526, TOKEN_ROUTE), False, False),
    ("token: 500", api(500, TOKEN_ROUTE), False, False),
    ("token: 400", api(400, TOKEN_ROUTE), False, False),
    ("token: 401", api(401, TOKEN_ROUTE), False, False),
]


@pytest.mark.parametrize(
    ("error", "idempotent", "not_idempotent"),
    [p[1:] for p in POLICY],
    ids=[p[0] for p in POLICY],
)
def test_policy_table(error: AirbyteError, idempotent: bool, not_idempotent: bool) -> None:
    """Reads retry what may pass; non-idempotent calls only what never reached the server."""
    assert is_retryable(error, idempotent=True) is idempotent
    assert is_retryable(error, idempotent=False) is not_idempotent


@pytest.mark.parametrize(
    ("error", "expected"),
    [
        (ConnectError("refused"), True),
        (api(429), True),
        (api(503, TOKEN_ROUTE), True),
        (RequestTimeoutError("timed out"), False),
        (ConnectionLostError("reset"), False),
        (api(502), False),
        (ResponseValidationError("x", malformed=True), False),
    ],
)
def test_never_reached_server(error: AirbyteError, expected: bool) -> None:
    """Only connect errors, 429s and failed token requests prove the call never acted."""
    assert never_reached_server(error) is expected


@pytest.mark.parametrize("retry_number", [1, 2, 3, 6, 50, 5000])
def test_backoff_is_full_jitter_under_a_capped_exponential(retry_number: int) -> None:
    """Waits spread over [0, min(max_wait, initial_wait * 2**(n-1))]."""
    policy = RetryPolicy(initial_wait=0.5, max_wait=8.0)
    rng = random.Random(7)
    ceiling = min(8.0, 0.5 * 2 ** min(retry_number - 1, 60))

    waits = [policy.backoff(retry_number, api(503), rng) for _ in range(2000)]

    assert all(0.0 <= w <= ceiling for w in waits)
    assert min(waits) < ceiling * 0.05
    assert max(waits) > ceiling * 0.95


@pytest.mark.parametrize("status", [429, 503])
def test_backoff_honours_retry_after(status: int) -> None:
    """A Retry-After answer (429 or 503) waits exactly what it asks."""
    error = api(status, **{"Retry-After": "3"})

    assert RetryPolicy().backoff(1, error, random.Random()) == 3.0


def test_backoff_caps_retry_after() -> None:
    """A Retry-After longer than max_retry_after waits max_retry_after."""
    policy = RetryPolicy(max_retry_after=5.0)

    assert policy.backoff(1, api(429, **{"Retry-After": "3600"}), random.Random()) == 5.0


def decision(error: AirbyteError, **kwargs: Any) -> Any:
    """decide() with defaults for what a test does not vary."""
    options: dict[str, Any] = {
        "idempotent": True,
        "retries_done": 0,
        "elapsed": 0.0,
        "policy": RetryPolicy(),
        "budget": RetryBudget(),
        "rng": random.Random(1),
    }
    return decide(error, **(options | kwargs))


def test_decide_stops_after_the_last_attempt() -> None:
    """With attempts=3, the failure of the third attempt is final."""
    policy = RetryPolicy(attempts=3)

    assert decision(api(503), policy=policy, retries_done=1).retry
    assert not decision(api(503), policy=policy, retries_done=2).retry


def test_decide_stops_before_a_wait_that_passes_the_total_timeout() -> None:
    """A wait that would end past total_timeout is not taken."""
    policy = RetryPolicy(total_timeout=10.0)
    slow = api(429, **{"Retry-After": "4"})

    assert decision(slow, policy=policy, elapsed=5.0).retry
    assert not decision(slow, policy=policy, elapsed=6.5).retry


def test_decide_spends_the_budget_only_when_it_retries() -> None:
    """Final failures leave the budget alone; each retry takes one token."""
    budget = RetryBudget(capacity=2)

    decision(api(404), budget=budget)
    decision(api(503), budget=budget, retries_done=4)
    assert budget.tokens == 2
    assert decision(api(503), budget=budget).retry
    assert decision(api(503), budget=budget).retry
    assert not decision(api(503), budget=budget).retry
    assert budget.tokens == 0


def test_budget_refills_a_fraction_per_success_up_to_capacity() -> None:
    """Five successes at refill 0.2 buy one retry back; the budget never exceeds capacity."""
    budget = RetryBudget(capacity=3, refill=0.2)
    for _ in range(3):
        assert budget.try_spend()
    assert not budget.try_spend()

    for _ in range(5):
        budget.on_success()
    assert budget.try_spend()
    for _ in range(100):
        budget.on_success()
    assert budget.tokens == 3


def test_rate_limiter_hands_out_slots_one_interval_apart() -> None:
    """At 4 per second, slots are 0.25 s apart in arrival order; idle time is not saved up."""
    limiter = RateLimiter(4)

    assert [limiter.reserve(10.0) for _ in range(4)] == [0.0, 0.25, 0.5, 0.75]
    assert limiter.reserve(20.0) == 0.0
    assert limiter.reserve(20.0) == 0.25


# -- against the emulator ------------------------------------------------------------------

AMBIGUOUS_FAULTS = [
    {"kind": "error", "status": 500},
    {"kind": "error", "status": 502},
    {"kind": "proxy_error", "status": 408},
    {"kind": "error", "status": 503},
    {"kind": "error", "status": 504},
    {"kind": "proxy_error", "status": 502},
    {"kind": "proxy_error", "status": 504},
    {"kind": "proxy_error", "status": 522},
    {"kind": "proxy_error", "status": 524},
    {"kind": "reset_before"},
    {"kind": "reset_after"},
    {"kind": "truncated_json"},
    {"kind": "hang_after"},
]


def ids(fault: dict[str, Any]) -> str:
    """A test id for a fault."""
    return "-".join(str(v) for v in fault.values())


def timeout_for(fault: dict[str, Any]) -> float:
    """
    The client's timeout against *fault*: a server that hangs is left after a second, time
    enough for a request to reach it on a loaded machine (at 0.25 s one timed out before the
    server had read it, and so counted none); every other fault answers at once.
    """
    return 1.0 if fault["kind"] == "hang_after" else 60.0


@pytest.mark.anyio
@pytest.mark.parametrize(
    "fault", [*AMBIGUOUS_FAULTS, {"kind": "rate_limit", "retry_after": 1}], ids=ids
)
async def test_a_read_is_retried_after_a_failure_that_may_pass(
    airbyte_emulator_factory: Factory, fault: dict[str, Any]
) -> None:
    """connections/get succeeds on its second attempt after each transient failure."""
    emu = await airbyte_emulator_factory(
        connections=1, faults=[{**fault, "route": "connections/get", "times": 1}]
    )
    async with client_for(emu, timeout=timeout_for(fault)) as client:
        connection = await client.connections.get(connection_id=emu.connection_ids[0])

    assert connection.connection_id == emu.connection_ids[0]
    assert requests_to(emu, "connections/get") == 2


@pytest.mark.anyio
@pytest.mark.parametrize("fault", AMBIGUOUS_FAULTS, ids=ids)
async def test_a_non_idempotent_call_is_not_retried_when_the_server_may_have_acted(
    airbyte_emulator_factory: Factory, fault: dict[str, Any]
) -> None:
    """connections/update fails at once: replaying it blindly could apply it twice."""
    emu = await airbyte_emulator_factory(
        connections=1, faults=[{**fault, "route": "connections/update", "times": 1}]
    )
    async with client_for(emu, timeout=timeout_for(fault)) as client:
        with pytest.raises(AirbyteError):
            await client.connections.update(connection_id=emu.connection_ids[0], name="renamed")

    assert requests_to(emu, "connections/update") == 1


@pytest.mark.anyio
async def test_a_non_idempotent_call_is_retried_after_a_429(
    airbyte_emulator_factory: Factory,
) -> None:
    """A 429 refused the request: connections/update is sent again and succeeds."""
    emu = await airbyte_emulator_factory(
        connections=1,
        faults=[{"kind": "rate_limit", "route": "connections/update", "times": 2}],
    )
    async with client_for(emu) as client:
        updated = await client.connections.update(
            connection_id=emu.connection_ids[0], name="renamed"
        )

    assert updated.name == "renamed"
    assert requests_to(emu, "connections/update") == 3


@pytest.mark.anyio
async def test_the_first_attempt_has_the_whole_request_timeout(
    airbyte_emulator_factory: Factory,
) -> None:
    """timeout= above total_timeout: a read answered after 1 s (a slow discovery, say) is
    waited for, not cut at the retries' bound of 0.5 s."""
    slow = {"kind": "latency", "route": "connections/get", "delay": 1.0}
    emu = await airbyte_emulator_factory(connections=1, faults=[slow])
    policy = RetryPolicy(total_timeout=0.5)
    async with client_for(emu, timeout=3.0, retry=policy) as client:
        connection = await client.connections.get(connection_id=emu.connection_ids[0])

    assert connection.connection_id == emu.connection_ids[0]
    assert requests_to(emu, "connections/get") == 1


@pytest.mark.anyio
async def test_other_4xx_answers_are_never_retried(airbyte_emulator_factory: Factory) -> None:
    """A 404 on a read and a 422 on a write are final after one request each."""
    emu = await airbyte_emulator_factory(connections=1)
    async with client_for(emu) as client:
        with pytest.raises(NotFoundError):
            await client.connections.get(connection_id="00000000-0000-4000-8000-000000000000")
        with pytest.raises(UnprocessableEntityError):
            await client.request("connections/update", {"connectionId": 5}, idempotent=True)

    assert requests_to(emu, "connections/get") == 1
    assert requests_to(emu, "connections/update") == 1


@pytest.mark.anyio
async def test_attempts_bound_the_requests_of_one_call(airbyte_emulator_factory: Factory) -> None:
    """RetryPolicy(attempts=3) against a server failing forever makes exactly 3 requests."""
    emu = await airbyte_emulator_factory(faults=[{"kind": "error", "status": 503}])
    async with client_for(emu, retry=RetryPolicy(attempts=3)) as client:
        with pytest.raises(ServerError):
            await client.health()

    assert requests_to(emu, "health") == 3


@pytest.mark.anyio
async def test_a_retry_after_beyond_the_total_timeout_is_not_waited_for(
    airbyte_emulator_factory: Factory, caplog: pytest.LogCaptureFixture
) -> None:
    """A 429 asking for 30 s when the call may take 5 s in all fails at once."""
    caplog.set_level(logging.DEBUG, logger="airbyte_async")
    emu = await airbyte_emulator_factory(faults=[{"kind": "rate_limit", "retry_after": 30}])
    async with client_for(emu, retry=RetryPolicy(total_timeout=5.0)) as client:
        with pytest.raises(RateLimitError):
            await client.health()

    assert requests_to(emu, "health") == 1
    assert "would pass the total timeout" in caplog.text


async def storm(emu: Any, budget: RetryBudget, calls: int) -> None:
    """*calls* concurrent reads against a server that answers 503 to everything."""
    async with client_for(emu, retry=RetryPolicy(attempts=5), retry_budget=budget) as client:

        async def read() -> None:
            with pytest.raises(ServerError):
                await client.health()

        async with anyio.create_task_group() as tg:
            for _ in range(calls):
                tg.start_soon(read)


@pytest.mark.anyio
async def test_an_outage_costs_at_most_the_budget_in_retries(
    airbyte_emulator_factory: Factory,
) -> None:
    """40 calls against 503-forever make 40 requests plus the budget's 10 retries, not 200."""
    emu = await airbyte_emulator_factory(faults=[{"kind": "error", "status": 503}])

    await storm(emu, RetryBudget(capacity=10), calls=40)

    assert requests_to(emu, "health") == 40 + 10


@pytest.mark.anyio
async def test_without_a_budget_every_call_spends_all_its_attempts(
    airbyte_emulator_factory: Factory,
) -> None:
    """The control: with an unlimited budget, 40 calls at 5 attempts make 200 requests."""
    emu = await airbyte_emulator_factory(faults=[{"kind": "error", "status": 503}])

    await storm(emu, RetryBudget(capacity=10**9), calls=40)

    assert requests_to(emu, "health") == 200


async def _logged(
    factory: Factory,
    caplog: pytest.LogCaptureFixture,
    fault: dict[str, Any],
    call: Callable[[AirbyteClient], Awaitable[object]],
    prefix: str,
) -> list[logging.LogRecord]:
    """The client's log records that start with *prefix* while *call* meets *fault*."""
    caplog.set_level(logging.DEBUG, logger="airbyte_async")
    emu = await factory(faults=[fault])
    async with client_for(emu) as client:
        await call(client)
    return [r for r in caplog.records if r.getMessage().startswith(prefix)]


@pytest.mark.anyio
async def test_every_retry_is_logged_at_debug_with_its_reason(
    airbyte_emulator_factory: Factory, caplog: pytest.LogCaptureFixture
) -> None:
    """Two 503s then success: two DEBUG lines naming the route, the reason and the error."""
    fault = {"kind": "error", "status": 503, "route": "health", "times": 2}
    retries = await _logged(
        airbyte_emulator_factory, caplog, fault, lambda client: client.health(), "retrying"
    )
    assert [r.levelno for r in retries] == [logging.DEBUG, logging.DEBUG]
    assert "retrying GET health (retry 1)" in retries[0].getMessage()
    assert "because the call is idempotent: 503 on health" in retries[0].getMessage()
    assert "(retry 2)" in retries[1].getMessage()


@pytest.mark.anyio
async def test_a_first_failure_not_retried_is_logged_at_debug_with_its_reason(
    airbyte_emulator_factory: Factory, caplog: pytest.LogCaptureFixture
) -> None:
    """A 503 on a create (non-idempotent) gets no retry, and a DEBUG line says why."""
    fault = {"kind": "error", "status": 503, "route": "workspaces/create", "times": 1}

    async def create(client: AirbyteClient) -> None:
        with pytest.raises(ServerError):
            await client.workspaces.create(name="analytics")

    [refusal] = await _logged(airbyte_emulator_factory, caplog, fault, create, "not retrying")
    assert refusal.levelno == logging.DEBUG
    assert refusal.getMessage().startswith(
        "not retrying POST workspaces/create: not retryable for a non-idempotent call; 503"
    )


@pytest.mark.anyio
async def test_a_retry_that_never_reached_the_server_says_so(
    airbyte_emulator_factory: Factory, caplog: pytest.LogCaptureFixture
) -> None:
    """A 429 on a non-idempotent call is retried 'because it never reached the server'."""
    caplog.set_level(logging.DEBUG, logger="airbyte_async")
    emu = await airbyte_emulator_factory(
        connections=1,
        faults=[{"kind": "rate_limit", "route": "connections/update", "times": 1}],
    )
    async with client_for(emu) as client:
        await client.connections.update(connection_id=emu.connection_ids[0], name="n")

    assert "because it never reached the server: 429 on connections/update" in caplog.text


@pytest.mark.anyio
async def test_rate_limit_spaces_requests(airbyte_emulator_factory: Factory) -> None:
    """At 5 requests/s, five concurrent 20 ms calls never overlap at the server."""
    emu = await airbyte_emulator_factory(faults=[{"kind": "latency", "delay": 0.02}])
    async with client_for(emu, rate_limit=5) as client, anyio.create_task_group() as tg:
        for _ in range(5):
            tg.start_soon(client.health)

    stats = emu.stats()
    assert stats.requests_by_route["/v1/health"] == 5
    assert stats.max_in_flight_requests == 1


@pytest.mark.anyio
async def test_without_a_rate_limit_the_same_calls_overlap(
    airbyte_emulator_factory: Factory,
) -> None:
    """The control: without rate_limit, the five slow calls are at the server together."""
    emu = await airbyte_emulator_factory(faults=[{"kind": "latency", "delay": 0.2}])
    async with client_for(emu) as client, anyio.create_task_group() as tg:
        for _ in range(5):
            tg.start_soon(client.health)

    assert emu.stats().max_in_flight_requests == 5


def test_an_outage_pauses_longer_after_each_failure_up_to_ten_seconds() -> None:
    """Half a second after the first failed read, doubling to ten (jittered down by at most a
    quarter); none once a read succeeds."""
    outage = Outage()
    pauses = []
    for _ in range(8):
        outage.failed(time.monotonic())
        pauses.append(outage.pause())
    bounds = [0.5, 1.0, 2.0, 4.0, 8.0, 10.0, 10.0, 10.0]
    assert all(0.75 * b <= p <= b for p, b in zip(pauses, bounds, strict=True))
    outage.ended(time.monotonic())
    assert outage.pause() == 0.0
    assert outage.lasted == 0.0


@pytest.mark.parametrize(("asked", "least"), [("7", 7.0), ("3600", 60.0)])
@pytest.mark.parametrize("status", [429, 503])
def test_an_outage_pauses_at_least_what_retry_after_asks_up_to_a_minute(
    status: int, asked: str, least: float
) -> None:
    """After a 429 or 503 with Retry-After, the pause is what it asks (a minute at most), even
    where the pauses would otherwise stop at two seconds (the orchestrator's polls)."""
    outage = Outage(max_pause=2.0)
    outage.failed(time.monotonic(), api(status, **{"Retry-After": asked}))

    assert outage.pause() == least


def test_after_a_429_an_outage_pauses_up_to_ten_seconds_whatever_its_max_pause() -> None:
    """A 429 without Retry-After (Airbyte's load shedding sends none: API-FACTS 7, "Rate
    limiting and 429") comes from a server that is up and asks for fewer requests: the pauses
    double to ten seconds, not to the two that see a restarted server back soon."""
    outage = Outage(max_pause=2.0)
    for _ in range(6):
        outage.failed(time.monotonic(), api(429))
    limited = outage.pause()
    outage.failed(time.monotonic(), api(503))

    assert 7.5 <= limited <= 10.0
    assert outage.pause() <= 2.0


def test_after_a_429_of_the_token_request_an_outage_pauses_as_for_a_server_away() -> None:
    """A 429 of the token request is no answer of Airbyte's to the read, which was never sent:
    Airbyte sheds by the request's principal, which a token request has not got
    (airbyte-server PublicApiLoadShedFilter.kt, airbyte-platform commit 727e1210): the pauses
    stop at max_pause, as after a restart, so the polls see the limit end as soon."""
    outage = Outage(max_pause=2.0)
    for _ in range(6):
        outage.failed(time.monotonic(), api(429, route=TOKEN_ROUTE))

    assert outage.pause() <= 2.0


def test_a_failure_of_a_read_begun_before_the_one_that_worked_again_is_not_a_new_outage(
    caplog: pytest.LogCaptureFixture,
) -> None:
    """Waits sharing one OutageLog: a read begun during the outage that fails after another
    read worked again is part of the outage that ended, not the first failure of a new one;
    a read begun after that one is."""
    warnings = OutageLog("reading the jobs waited on", ("read", "reads"))
    began = time.monotonic()
    with caplog.at_level("WARNING", logger="airbyte_async"):
        warnings.failed(began, api(503), about="job 1")
        warnings.worked(began + 2.0)
        warnings.failed(began + 1.0, api(503), about="job 2")
        warnings.failed(began + 3.0, api(503), about="job 3")

    first, worked, again = [r.getMessage() for r in caplog.records]
    assert first.startswith("reading the jobs waited on failed (job 1), trying again: ")
    assert worked.startswith("reading the jobs waited on works again, after 1 failed read ")
    assert again.startswith("reading the jobs waited on failed (job 3), trying again: ")


def test_the_last_loop_leaving_while_failing_closes_the_outage_at_info(
    caplog: pytest.LogCaptureFixture,
) -> None:
    """Two loops sharing one OutageLog fail; the first leaves (cancelled) and the outage goes
    on for the other, its next failure not warned of; when it leaves too, still failing, one
    INFO line says the outage was not seen to end, and the next failure is warned of as a new
    outage's first."""
    warnings = OutageLog("reading the jobs waited on", ("read", "reads"))
    began = time.monotonic() - 10.0
    with caplog.at_level("INFO", logger="airbyte_async"):
        with Outage(warnings=warnings) as second:
            with Outage(warnings=warnings) as first:
                first.failed(began, api(503), about="job 1")
                second.failed(began + 1.0, api(503), about="job 2")
            second.failed(began + 2.0, api(503), about="job 2")
        Outage(warnings=warnings).failed(began + 3.0, api(503), about="job 3")

    told = [(r.levelname, r.getMessage()) for r in caplog.records]
    assert [level for level, _ in told] == ["WARNING", "INFO", "WARNING"], told
    assert told[1][1].startswith(
        "reading the jobs waited on: the tries stopped before the outage was seen to end, "
        "after 3 failed reads for "
    )
    assert told[2][1].startswith("reading the jobs waited on failed (job 3), trying again: ")


def test_an_outage_is_over_once_its_reads_failed_for_its_limit() -> None:
    """Counted from the start of the first failed read of the row, not from the last."""
    outage = Outage(limit=5.0)
    outage.failed(time.monotonic() - 4.0)
    assert not outage.over()
    outage.failed(time.monotonic())
    assert not outage.over()
    outage.ended(time.monotonic())
    outage.failed(time.monotonic() - 6.0)
    assert outage.over()
