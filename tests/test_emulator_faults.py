"""Fault injection: each kind, whether the server acted, seeding, and the ground truth."""

from __future__ import annotations

import email.utils
import errno
import json
import socket
import time
from typing import Any

import aiohttp
import anyio
import emulator_support
import pytest

from airbyte_async.testing import (
    Emulator,
    Fault,
    ManualClock,
    RequireClientCredentials,
    parse_faults,
    pytest_plugin,
)

pytestmark = pytest.mark.anyio

airbyte_emulator_factory = pytest_plugin.airbyte_emulator_factory
Factory = pytest_plugin.EmulatorFactory

SYNC = "connections/sync"
http = emulator_support.http


async def post(
    http: aiohttp.ClientSession,
    emu: Emulator,
    route: str,
    body: Any,
    *,
    timeout: float | None = None,
    headers: dict[str, str] | None = None,
) -> tuple[int, Any, str, Any]:
    """POST to ``/api/v1/<route>``: status, headers, text and decoded JSON (or None)."""
    client_timeout = aiohttp.ClientTimeout(total=timeout) if timeout else None
    async with http.post(
        f"{emu.api_url}/{route}", json=body, timeout=client_timeout, headers=headers
    ) as response:
        text = await response.text()
        try:
            parsed = json.loads(text) if text else None
        except ValueError:
            parsed = None
        return response.status, response.headers, text, parsed


async def one_connection(factory: Factory, **kwargs: Any) -> tuple[Emulator, dict[str, str]]:
    """An emulator with one connection whose syncs run long, and the sync body for it."""
    emu = await factory(connections=1, **kwargs)
    cid = emu.connection_ids[0]
    emu.set_sync_plan(cid, duration=30)
    return emu, {"connectionId": cid}


def test_faults_parse_from_json_and_reject_nonsense() -> None:
    """The CLI's JSON becomes faults; unknown kinds and fields are refused."""
    faults = parse_faults('[{"kind": "error", "route": "connections/sync", "status": 503}]')
    assert faults == [Fault(kind="error", route="connections/sync", status=503)]
    assert parse_faults('{"kind": "rate_limit", "retry_after": 2}')[0].retry_after == 2
    with pytest.raises(ValueError, match="unknown fault kind"):
        parse_faults('{"kind": "gremlins"}')
    with pytest.raises(ValueError, match="unknown fault fields"):
        parse_faults('{"kind": "error", "when": "always"}')
    with pytest.raises(ValueError, match="rate"):
        Fault(kind="error", rate=2)
    with pytest.raises(ValueError, match="delay"):
        Fault(kind="latency")
    with pytest.raises(ValueError, match="delay"):
        Fault(kind="proxy_timeout", delay=-1)
    with pytest.raises(ValueError, match="504 \\(nginx\\), 502 \\(Google Cloud\\), 503"):
        Fault(kind="proxy_timeout", status=500)
    with pytest.raises(ValueError, match="date_lead dates a proxy's page"):
        Fault(kind="error", date_lead=5.0)
    with pytest.raises(ValueError, match="date_lead must be a finite"):
        Fault(kind="proxy_error", date_lead=float("nan"))


@pytest.mark.parametrize(
    "route", ["/api/v1/connections/sync", "connection/sync", "CONNECTIONS/SYNC", "public/v1/jobs"]
)
async def test_a_fault_whose_route_matches_no_route_is_refused(
    airbyte_emulator_factory: Factory, route: str
) -> None:
    """A route glob that no request of either API, on any version, can match (a request path
    in place of a spec path, a typo, another case) is refused when the faults are set, so
    that a test does not pass with a fault that never fired; one that matches is taken."""
    emu = await airbyte_emulator_factory()
    with pytest.raises(ValueError, match="matches no route of the emulator") as refused:
        emu.set_faults([Fault(kind="error", route=route)])
    assert "spec paths (connections/sync, jobs/*, /v1/jobs/get" in str(refused.value)
    emu.set_faults([Fault(kind="error", route="/public/v1/jobs*")])
    assert [f.route for f in emu.faults] == ["/public/v1/jobs*"]


def test_route_globs_are_spec_paths() -> None:
    """A route without a leading slash is under /v1/; '*' matches everything."""
    assert Fault(kind="error", route="jobs/*").applies_to("/v1/jobs/get")
    assert not Fault(kind="error", route="jobs/*").applies_to("/v1/connections/sync")
    assert Fault(kind="error").applies_to("/public/v1/applications/token")


async def test_error_faults_answer_5xx_without_acting(
    airbyte_emulator_factory: Factory, http: aiohttp.ClientSession
) -> None:
    """An error fault answers the version's JSON error and creates no job."""
    fault = Fault(kind="error", route=SYNC, status=503, times=1)
    emu, body = await one_connection(airbyte_emulator_factory, faults=[fault])
    status, _, _, parsed = await post(http, emu, SYNC, body)
    assert status == 503
    assert "message" in parsed
    assert emu.stats().jobs_created == 0
    assert (await post(http, emu, SYNC, body))[0] == 200
    stats = emu.stats()
    assert stats.jobs_created == 1
    assert stats.faults_injected == {"error": 1}


async def test_proxy_errors_are_html(
    airbyte_emulator_factory: Factory, http: aiohttp.ClientSession
) -> None:
    """A proxy_error fault answers an HTML 502 page, not JSON."""
    emu = await airbyte_emulator_factory(faults=[{"kind": "proxy_error", "route": "jobs/*"}])
    status, headers, text, _ = await post(http, emu, "jobs/get", {"id": 1})
    assert status == 502
    assert headers["Content-Type"].startswith("text/html")
    assert "<html>" in text


async def test_rate_limits_with_and_without_retry_after(
    airbyte_emulator_factory: Factory, http: aiohttp.ClientSession
) -> None:
    """429 carries Retry-After only when the fault sets it."""
    emu = await airbyte_emulator_factory(
        faults=[
            {"kind": "rate_limit", "route": "jobs/get", "retry_after": 2},
            {"kind": "rate_limit", "route": "jobs/get_light"},
        ]
    )
    status, headers, _, _ = await post(http, emu, "jobs/get", {"id": 1})
    assert status == 429
    assert headers["Retry-After"] == "2"
    status, headers, _, _ = await post(http, emu, "jobs/get_light", {"id": 1})
    assert status == 429
    assert "Retry-After" not in headers


async def test_a_rate_limit_window_sheds_every_request_for_its_seconds_and_acts_on_none(
    airbyte_emulator_factory: Factory, http: aiohttp.ClientSession
) -> None:
    """
    A rate_limit fault with a window answers every request within it 429 with Airbyte's body
    and no Retry-After, and acts on none: Airbyte Cloud's ``PublicApiLoadShedFilter`` sheds a
    user's requests before they reach a controller ("shed requests must not reach the
    downstream chain", its test; API-FACTS 7). Before ``after`` and past ``after + lasting``
    (the emulator's clock) requests are served.
    """
    clock = ManualClock()
    storm = Fault(kind="rate_limit", route="/public/v1/*", after=5.0, lasting=20.0)
    emu = await airbyte_emulator_factory(
        airbyte_version="head", connections=1, clock=clock, faults=[storm]
    )
    cid = emu.connection_ids[0]
    emu.set_sync_plan(cid, duration=600)
    url = f"{emu.url}/api/public/v1/jobs"
    body = {"connectionId": cid, "jobType": "sync"}

    async def trigger() -> tuple[int, Any, Any]:
        async with http.post(url, json=body) as response:
            return response.status, response.headers, await response.json()

    async def workspaces() -> int:
        async with http.get(f"{emu.url}/api/public/v1/workspaces") as response:
            return response.status

    assert await workspaces() == 200
    clock.advance(5.0)
    for _ in range(3):
        status, headers, answer = await trigger()
        assert (status, answer) == (429, {"message": "You are being rate limited."})
        assert "Retry-After" not in headers
    assert await workspaces() == 429
    clock.advance(19.9)
    assert (await trigger())[0] == 429
    assert emu.stats().jobs_created == 0
    clock.advance(0.1)
    assert (await trigger())[0] == 200
    stats = emu.stats()
    assert (stats.jobs_created, stats.faults_injected) == (1, {"rate_limit": 5})


@pytest.mark.parametrize("storm", ["/public/v1/*", "*"])
async def test_load_shedding_lets_the_anonymous_token_request_through(
    airbyte_emulator_factory: Factory, http: aiohttp.ClientSession, storm: str
) -> None:
    """
    A rate_limit fault sheds a user's requests but not the token requests, which carry no
    user: ``PublicApiLoadShedFilter`` (``@Filter("/api/public/**")``, no path excluded) sheds
    only a request whose principal names a targeted token subject, and the token endpoints
    are ``@Secured(IS_ANONYMOUS)``, asked with the client's id and secret in the body and no
    token, so no principal: ``tokenSubject`` is null and the filter proceeds (airbytehq/
    airbyte-platform ``PublicApiLoadShedFilter.kt``, ``publicapi/controllers/
    ApplicationsController.kt`` ``publicGetAccessToken``; the Config API's token route is not
    under ``/api/public`` at all). A fault whose route names the token endpoint still sheds it.
    """
    emu = await airbyte_emulator_factory(
        airbyte_version="head",
        auth=RequireClientCredentials("app", "s3cret"),
        faults=[Fault(kind="rate_limit", route=storm)],
    )
    creds = {"client_id": "app", "client_secret": "s3cret", "grant_type": "client_credentials"}
    public_token = f"{emu.url}/api/public/v1/applications/token"

    async with http.post(public_token, json=creds) as response:
        assert response.status == 200
        minted = await response.json()
    assert (await post(http, emu, "applications/token", creds))[0] == 200
    bearer = {"Authorization": f"Bearer {minted['access_token']}"}
    async with http.get(f"{emu.url}/api/public/v1/workspaces", headers=bearer) as response:
        assert response.status == 429
    emu.set_faults([Fault(kind="rate_limit", route="/public/v1/applications/token")])
    async with http.post(public_token, json=creds) as response:
        assert response.status == 429
    assert emu.stats().faults_injected == {"rate_limit": 2}


async def test_a_window_starts_when_the_faults_are_set(
    airbyte_emulator_factory: Factory, http: aiohttp.ClientSession
) -> None:
    """Faults set at run time count their window from then; no window is never-ending."""
    clock = ManualClock()
    emu = await airbyte_emulator_factory(clock=clock)
    ws = {"workspaceId": emu.workspace_ids[0]}
    clock.advance(100.0)
    emu.set_faults([{"kind": "error", "status": 503, "lasting": 1.0}])
    assert (await post(http, emu, "workspaces/get", ws))[0] == 503
    clock.advance(1.0)
    assert (await post(http, emu, "workspaces/get", ws))[0] == 200
    emu.set_faults([{"kind": "error", "status": 503}])
    clock.advance(1e6)
    assert (await post(http, emu, "workspaces/get", ws))[0] == 503


@pytest.mark.parametrize(
    ("fields", "match"),
    [
        ({"kind": "rate_limit", "lasting": -1}, "not negative"),
        ({"kind": "rate_limit", "after": -0.5}, "not negative"),
        ({"kind": "restart", "every": 1, "lasting": 5}, "no window"),
        ({"kind": "rate_limit", "retry_after": -1}, "not negative"),
    ],
)
def test_a_window_out_of_range_is_refused(fields: dict[str, Any], match: str) -> None:
    """A window is seconds from now on; a restart keeps its own schedule instead."""
    with pytest.raises(ValueError, match=match):
        Fault.from_dict(fields)


@pytest.mark.parametrize("kind", ["error", "proxy_error"])
async def test_a_503_carries_retry_after_when_the_fault_sets_it(
    airbyte_emulator_factory: Factory, http: aiohttp.ClientSession, kind: str
) -> None:
    """A 503, from the server or a proxy in front of it, carries Retry-After when the fault
    sets it (RFC 9110 allows it with 503; the client obeys it there as on a 429)."""
    emu = await airbyte_emulator_factory(
        faults=[
            {"kind": kind, "route": "jobs/get", "status": 503, "retry_after": 4},
            {"kind": kind, "route": "jobs/get_light", "status": 503},
        ]
    )
    status, headers, _, _ = await post(http, emu, "jobs/get", {"id": 1})
    assert (status, headers["Retry-After"]) == (503, "4")
    status, headers, _, _ = await post(http, emu, "jobs/get_light", {"id": 1})
    assert status == 503
    assert "Retry-After" not in headers


async def test_latency_delays_but_answers(
    airbyte_emulator_factory: Factory, http: aiohttp.ClientSession
) -> None:
    """A latency fault still answers normally and acts."""
    emu, body = await one_connection(
        airbyte_emulator_factory, faults=[{"kind": "latency", "route": SYNC, "delay": 0.05}]
    )
    assert (await post(http, emu, SYNC, body))[0] == 200
    assert emu.stats().faults_injected == {"latency": 1}


async def test_a_latency_listed_first_delays_a_refusal_it_does_not_hide(
    airbyte_emulator_factory: Factory, http: aiohttp.ClientSession
) -> None:
    """A latency fault and a 429 that both fire on a request: the answer is the 429, late;
    a latency listed first takes nothing from the faults after it."""
    faults = [
        {"kind": "latency", "route": SYNC, "delay": 0.2},
        {"kind": "rate_limit", "route": SYNC},
    ]
    emu, body = await one_connection(airbyte_emulator_factory, faults=faults)
    began = time.monotonic()
    status = (await post(http, emu, SYNC, body))[0]
    assert (status, emu.stats().jobs_created) == (429, 0)
    assert time.monotonic() - began >= 0.2
    assert emu.stats().faults_injected == {"latency": 1, "rate_limit": 1}


async def test_a_slow_response_past_the_client_timeout_does_not_act(
    airbyte_emulator_factory: Factory, http: aiohttp.ClientSession
) -> None:
    """A slow fault outlasts the client's timeout; a client that gave up creates no job."""
    emu, body = await one_connection(
        airbyte_emulator_factory, faults=[{"kind": "slow", "route": SYNC, "delay": 0.2}]
    )
    with pytest.raises(TimeoutError):
        await post(http, emu, SYNC, body, timeout=0.05)
    await anyio.sleep(0.25)
    assert emu.stats().jobs_created == 0


async def test_reset_before_acting_creates_nothing(
    airbyte_emulator_factory: Factory, http: aiohttp.ClientSession
) -> None:
    """A reset before acting is a connection error for the client and no job."""
    emu, body = await one_connection(
        airbyte_emulator_factory, faults=[{"kind": "reset_before", "route": SYNC}]
    )
    with pytest.raises(aiohttp.ClientConnectionError):
        await post(http, emu, SYNC, body)
    assert emu.stats().jobs_created == 0


async def test_reset_after_acting_loses_the_response_but_keeps_the_job(
    airbyte_emulator_factory: Factory, http: aiohttp.ClientSession
) -> None:
    """A reset after acting is a connection error, yet the job exists in the ground truth."""
    emu, body = await one_connection(
        airbyte_emulator_factory, faults=[{"kind": "reset_after", "route": SYNC, "times": 1}]
    )
    with pytest.raises(aiohttp.ClientConnectionError):
        await post(http, emu, SYNC, body)
    assert emu.stats().jobs_by_connection == {body["connectionId"]: [1]}
    status, _, _, parsed = await post(http, emu, SYNC, body)
    assert status == 409
    assert "already running" in parsed["message"]


async def test_a_hung_response_times_out_after_the_job_started(
    airbyte_emulator_factory: Factory, http: aiohttp.ClientSession
) -> None:
    """hang_after: the sync is created but the client only sees its own timeout."""
    emu, body = await one_connection(
        airbyte_emulator_factory, faults=[{"kind": "hang_after", "route": SYNC}]
    )
    with pytest.raises(TimeoutError):
        await post(http, emu, SYNC, body, timeout=0.2)
    assert emu.stats().jobs_created == 1
    assert emu.job_status(1) == "running"


@pytest.mark.parametrize(
    "fault",
    [
        {"kind": "proxy_error"},
        {"kind": "rate_limit"},
        {"kind": "proxy_timeout", "route": SYNC, "delay": 0.05},
    ],
    ids=lambda f: f["kind"],
)
async def test_a_proxy_page_carries_the_proxy_s_own_date(
    airbyte_emulator_factory: Factory, http: aiohttp.ClientSession, fault: dict[str, Any]
) -> None:
    """
    A page a proxy writes is dated by the proxy's host: nginx stamps its own ``Date`` on what
    it sends (its ``proxy_pass_header`` documentation: the upstream's ``Date`` is not passed
    by default), so the pages of a load balancer on time and the answers of an nginx whose
    clock drifts 30 s behind (the emulator's ``date_lead``) tell two clocks.
    """
    emu, body = await one_connection(airbyte_emulator_factory, date_lead=-30.0, trigger_latency=0.5)
    emu.set_faults([{"route": SYNC, **fault, "date_lead": 0.0, "times": 1}])

    _, page, _, _ = await post(http, emu, SYNC, body)
    _, answer, _, _ = await post(http, emu, "connections/get", body)

    def dated(headers: Any) -> float:
        return email.utils.parsedate_to_datetime(headers["Date"]).timestamp()

    assert 28 <= dated(page) - dated(answer) <= 31
    assert "X-Emulator-Page-Date-Lead" not in page


async def test_a_proxy_read_timeout_passes_an_answer_that_comes_in_time(
    airbyte_emulator_factory: Factory, http: aiohttp.ClientSession
) -> None:
    """proxy_timeout: a trigger the server answers within the proxy's read timeout gets that
    answer, and its job exists."""
    emu, body = await one_connection(
        airbyte_emulator_factory, faults=[{"kind": "proxy_timeout", "route": SYNC, "delay": 5}]
    )
    status, _, _, parsed = await post(http, emu, SYNC, body)
    assert status == 200
    assert emu.stats().jobs_by_connection == {body["connectionId"]: [parsed["job"]["id"]]}
    assert emu.stats().faults_injected == {"proxy_timeout": 1}


@pytest.mark.parametrize(
    ("status", "title", "server"),
    [
        (None, "<title>504 Gateway Time-out</title>", None),
        # A Google Cloud load balancer: its backend service timeout (30 s by default) ends in
        # a 502 whose log entry says statusDetails "backend_timeout" (cloud.google.com,
        # "Troubleshoot issues with external Application Load Balancers"; GKE's ingress).
        (502, "<title>502 Server Error</title>", "Google Frontend"),
        # Cloudflare: no answer within 100 s of a request passed on to the origin is a 524
        # (developers.cloudflare.com, "Error 524: a timeout occurred").
        (524, "<title>524: A timeout occurred</title>", "cloudflare"),
        # Azure Front Door (classic): a 503 once its send/receive timeout (30 s) passes
        # (learn.microsoft.com, "Troubleshooting common routing problems", 503 after a few s).
        (503, "<title>503 Service Unavailable</title>", None),
    ],
)
async def test_a_proxy_read_timeout_answers_while_the_queued_trigger_goes_on_to_act(
    airbyte_emulator_factory: Factory,
    http: aiohttp.ClientSession,
    status: int | None,
    title: str,
    server: str | None,
) -> None:
    """
    proxy_timeout: a trigger still waiting for the one scheduler thread when the proxy's read
    timeout expires gets the proxy's HTML page then (nginx's 504 "Gateway Time-out", a Google
    Cloud load balancer's 502, or Cloudflare's 524), having created no job; the server keeps
    the call (a proxy that gives up on its upstream leaves it working, and the call runs
    whether or not anyone listens, API-FACTS 6.3b), so it starts its job once the thread is
    free.
    """
    got, before, after = await _queued_behind_a_busy_thread(airbyte_emulator_factory, http, status)

    assert not isinstance(got, BaseException)
    answer, headers, text, _ = got
    assert answer == (status or 504)
    assert headers["Content-Type"].startswith("text/html")
    assert title in text
    if server is not None:
        assert headers["Server"] == server
    assert (before, after) == (0, 1)


async def test_a_tcp_proxy_timeout_cuts_the_connection_while_the_queued_trigger_goes_on_to_act(
    airbyte_emulator_factory: Factory, http: aiohttp.ClientSession
) -> None:
    """
    proxy_timeout with status 0: a TCP proxy has no page to send, and cuts the connection of a
    trigger still waiting for the one scheduler thread once its timeout passes (HAProxy in
    ``mode tcp`` cuts both halves of a connection idle for its ``timeout server``); the server
    keeps the call (API-FACTS 6.3b) and starts its job once the thread is free.
    """
    got, before, after = await _queued_behind_a_busy_thread(airbyte_emulator_factory, http, 0)

    assert isinstance(got, aiohttp.ClientConnectionError)
    assert (before, after) == (0, 1)


async def _queued_behind_a_busy_thread(
    factory: Factory, http: aiohttp.ClientSession, status: int | None
) -> tuple[tuple[int, Any, str, Any] | aiohttp.ClientConnectionError, int, int]:
    """
    A trigger sent through a ``proxy_timeout`` of *status* (0.1 s) while another connection's
    holds the one scheduler thread: its answer (or the connection error), and how many jobs
    its connection had then and once the thread was free (the fault met once, checked).
    """
    clock = ManualClock()
    emu = await factory(
        connections=2, clock=clock, trigger_latency=0.5, trigger_capacity=1, sync_duration=(30, 30)
    )
    busy, queued = emu.connection_ids
    got: tuple[int, Any, str, Any] | aiohttp.ClientConnectionError
    async with anyio.create_task_group() as tg:
        tg.start_soon(post, http, emu, SYNC, {"connectionId": busy})
        await emulator_support.jobs_created(emu, 1)
        emu.set_faults([{"kind": "proxy_timeout", "route": SYNC, "delay": 0.1, "status": status}])
        try:
            got = await post(http, emu, SYNC, {"connectionId": queued})
        except aiohttp.ClientConnectionError as e:
            got = e
        before = len(emu.stats().jobs_by_connection.get(queued, []))
        clock.advance(0.5)  # the busy trigger answers; its thread goes to the queued one
        await emulator_support.jobs_created(emu, 2)
        clock.advance(0.5)
    assert emu.stats().faults_injected == {"proxy_timeout": 1}
    return got, before, len(emu.stats().jobs_by_connection[queued])


async def test_truncated_json_after_acting(
    airbyte_emulator_factory: Factory, http: aiohttp.ClientSession
) -> None:
    """A truncated 200 body does not parse, and the job was created."""
    emu, body = await one_connection(
        airbyte_emulator_factory, faults=[{"kind": "truncated_json", "route": SYNC}]
    )
    status, headers, text, parsed = await post(http, emu, SYNC, body)
    assert status == 200
    assert headers["Content-Type"].startswith("application/json")
    assert parsed is None
    assert text.startswith("{")
    assert emu.stats().jobs_created == 1


async def test_a_body_cut_midway_comes_with_its_status_and_the_job_created(
    airbyte_emulator_factory: Factory, http: aiohttp.ClientSession
) -> None:
    """cut_body: the 200 and its headers arrive, the body stops halfway and the connection
    drops (aiohttp's ClientPayloadError, a connection error), and the job was created."""
    emu, body = await one_connection(
        airbyte_emulator_factory, faults=[{"kind": "cut_body", "route": SYNC, "times": 1}]
    )
    url = f"{emu.url}/api/v1/{SYNC}"
    async with http.post(url, json=body) as response:
        assert response.status == 200
        assert int(response.headers["Content-Length"]) > 0
        with pytest.raises(aiohttp.ClientPayloadError):
            await response.read()
    assert emu.stats().jobs_by_connection == {body["connectionId"]: [1]}
    assert emu.stats().faults_injected == {"cut_body": 1}


async def test_cut_body_on_an_answer_with_no_body_is_no_fault_and_waits_for_one(
    airbyte_emulator_factory: Factory, http: aiohttp.ClientSession
) -> None:
    """cut_body has no body to cut in a 204 (``connections/delete`` answers 204 with no body:
    config-api-head.yaml line 3155, API-FACTS 2.5's table): the answer goes back whole, the
    fault is not counted as injected, and its one use cuts the next answer that has a body."""
    emu, body = await one_connection(
        airbyte_emulator_factory,
        faults=[{"kind": "cut_body", "route": "connections/*", "times": 1}],
    )
    async with http.post(f"{emu.api_url}/connections/delete", json=body) as response:
        assert response.status == 204
        assert await response.read() == b""
    assert emu.stats().faults_injected == {}

    async with http.post(f"{emu.api_url}/connections/list", json={}) as response:
        assert int(response.headers["Content-Length"]) > 0
        with pytest.raises(aiohttp.ClientPayloadError):
            await response.read()
    assert emu.stats().faults_injected == {"cut_body": 1}


async def test_token_expiry_makes_a_token_fail_for_good(
    airbyte_emulator_factory: Factory, http: aiohttp.ClientSession
) -> None:
    """An expired token gets 401 and stays dead; a fresh one works."""
    emu = await airbyte_emulator_factory(
        auth=RequireClientCredentials("app", "s3cret"),
        faults=[{"kind": "token_expiry", "times": 1}],
    )
    creds = {"client_id": "app", "client_secret": "s3cret"}

    async def token() -> dict[str, str]:
        minted = (await post(http, emu, "applications/token", creds))[3]
        return {"Authorization": f"Bearer {minted['access_token']}"}

    first = await token()
    ws = {"workspaceId": emu.workspace_ids[0]}
    assert (await post(http, emu, "workspaces/get", ws, headers=first))[0] == 401
    assert (await post(http, emu, "workspaces/get", ws, headers=first))[0] == 401
    assert (await post(http, emu, "workspaces/get", ws, headers=await token()))[0] == 200
    assert emu.stats().faults_injected == {"token_expiry": 1}


async def test_restart_resets_in_flight_requests_and_keeps_state(
    airbyte_emulator_factory: Factory, http: aiohttp.ClientSession
) -> None:
    """A restart drops in-flight requests with a connection error; state survives."""
    emu, body = await one_connection(
        airbyte_emulator_factory, faults=[{"kind": "hang_after", "route": SYNC}]
    )
    outcome: list[BaseException] = []

    async def doomed() -> None:
        try:
            await post(http, emu, SYNC, body, timeout=5)
        except aiohttp.ClientConnectionError as e:
            outcome.append(e)

    async with anyio.create_task_group() as tg:
        tg.start_soon(doomed)
        with anyio.fail_after(5):
            while emu.stats().jobs_created == 0:  # noqa: ASYNC110 (polling the ground truth)
                await anyio.sleep(0.01)
        await emu.restart()
    assert len(outcome) == 1
    emu.faults = []
    status, _, _, parsed = await post(http, emu, "connections/get", body)
    assert status == 200
    assert parsed["connectionId"] == body["connectionId"]
    assert emu.stats().restarts == 1


async def test_restart_with_downtime_refuses_connections_meanwhile_and_keeps_its_port(
    airbyte_emulator_factory: Factory, http: aiohttp.ClientSession
) -> None:
    """
    During a restart's downtime connections are refused, the port still held (bound, not
    listening: no other socket is given it meanwhile, another test's emulator or a client
    connection's own end, which would keep the restart from binding it again); afterwards the
    same URL works.
    """
    emu = await airbyte_emulator_factory()
    port = int(emu.url.rsplit(":", 1)[1])
    ws = {"workspaceId": emu.workspace_ids[0]}
    async with anyio.create_task_group() as tg:
        tg.start_soon(lambda: emu.restart(downtime=0.3))
        await anyio.sleep(0.1)
        with pytest.raises(aiohttp.ClientConnectorError):
            await post(http, emu, "workspaces/get", ws)
        with socket.socket() as other, pytest.raises(OSError) as taken:
            other.bind(("127.0.0.1", port))
    assert taken.value.errno == errno.EADDRINUSE
    assert (await post(http, emu, "workspaces/get", ws))[0] == 200


async def test_a_request_that_reaches_a_server_that_is_down_has_its_connection_reset(
    airbyte_emulator_factory: Factory, http: aiohttp.ClientSession
) -> None:
    """
    A connection accepted just as a restart began escapes the restart's resets; a request on
    it while the server is down is reset too, not served. (Provoked here by marking the server
    down by hand: the race itself cannot be made to happen on purpose.)
    """
    emu = await airbyte_emulator_factory()
    ws = {"workspaceId": emu.workspace_ids[0]}
    assert (await post(http, emu, "workspaces/get", ws))[0] == 200
    emu._http.down = True
    try:
        with pytest.raises(aiohttp.ClientConnectionError):
            await post(http, emu, "workspaces/get", ws)
    finally:
        emu._http.down = False
    assert (await post(http, emu, "workspaces/get", ws))[0] == 200


async def test_a_sync_runs_on_and_ends_while_the_api_is_down(
    airbyte_emulator_factory: Factory, http: aiohttp.ClientSession
) -> None:
    """
    A restart stops the API, not the syncs: they run in workload pods of their own, apart from
    the server (docs.airbyte.com/understanding-airbyte/jobs; ``airbyte-server`` and
    ``airbyte-worker`` are separate services). A sync due to end during the downtime is read
    afterwards as it ended, stamped within the downtime.
    """
    emu, body = await one_connection(airbyte_emulator_factory, trigger_latency=0.0)
    emu.set_sync_plan(body["connectionId"], duration=0.3)
    status, _, _, started = await post(http, emu, SYNC, body)
    assert status == 200
    await emu.restart(downtime=1.5)
    _, _, _, read = await post(http, emu, "jobs/get", {"id": started["job"]["id"]})

    assert read["job"]["status"] == "succeeded"
    assert read["job"]["updatedAt"] <= started["job"]["createdAt"] + 1


async def answers_again(http: aiohttp.ClientSession, emu: Emulator) -> None:
    """Ask *emu* for a workspace until it answers 200 (five seconds at most)."""
    ws = {"workspaceId": emu.workspace_ids[0]}
    with anyio.fail_after(5):
        while True:
            try:
                status = (await post(http, emu, "workspaces/get", ws))[0]
            except aiohttp.ClientConnectionError:
                await anyio.sleep(0.02)
            else:
                assert status == 200
                return


async def test_faults_switched_off_during_a_restart_leave_the_server_up(
    airbyte_emulator_factory: Factory, http: aiohttp.ClientSession
) -> None:
    """Faults switched off while a scheduled restart refuses connections: the restart still
    ends, and the server answers again once its downtime is over."""
    emu = await airbyte_emulator_factory(
        faults=[{"kind": "restart", "every": 0.05, "downtime": 0.3}]
    )
    with anyio.fail_after(5):
        while emu.stats().restarts == 0:  # noqa: ASYNC110 (polling the ground truth)
            await anyio.sleep(0.005)
    emu.set_faults(None)
    await answers_again(http, emu)  # the downtime is 0.3 s: a server left down never does


async def test_a_restart_cancelled_in_its_downtime_still_brings_the_server_back(
    airbyte_emulator_factory: Factory, http: aiohttp.ClientSession
) -> None:
    """A restart is all or nothing: cancelling it while it refuses connections does not leave
    the server down."""
    emu = await airbyte_emulator_factory()
    async with anyio.create_task_group() as tg:
        tg.start_soon(lambda: emu.restart(downtime=0.3))
        await anyio.sleep(0.1)
        tg.cancel_scope.cancel()
    ws = {"workspaceId": emu.workspace_ids[0]}
    assert (await post(http, emu, "workspaces/get", ws))[0] == 200


async def test_scheduled_restarts_happen(airbyte_emulator_factory: Factory) -> None:
    """A restart fault restarts the server on its seeded schedule."""
    emu = await airbyte_emulator_factory(faults=[{"kind": "restart", "every": 0.05}])
    with anyio.fail_after(5):
        while emu.stats().restarts == 0:  # noqa: ASYNC110 (polling the ground truth)
            await anyio.sleep(0.02)
    assert emu.stats().faults_injected["restart"] >= 1


async def test_restarts_set_right_after_the_start_follow_one_schedule(
    http: aiohttp.ClientSession,
) -> None:
    """Restart faults set with ``set_faults`` before the start's own schedule task has run
    (none then) restart the server on one schedule, with downtimes, and it keeps serving: the
    start's task once began a second schedule, and two restarts at once stopped a listening
    site the other had replaced (a RuntimeError that ended the emulator)."""
    async with Emulator(connections=1) as emu:
        emu.set_faults([{"kind": "restart", "every": 0.1, "downtime": 0.2}])
        with anyio.fail_after(5):
            while emu.stats().restarts < 4:  # noqa: ASYNC110 (polling the ground truth)
                await anyio.sleep(0.02)
        emu.set_faults(None)
        await answers_again(http, emu)


async def test_faults_are_reproducible_for_a_seed(
    airbyte_emulator_factory: Factory, http: aiohttp.ClientSession
) -> None:
    """The same seed and requests meet the same faults; runtime changes take effect."""
    fault = {"kind": "error", "route": "workspaces/get", "rate": 0.5}
    outcomes = []
    for _ in range(2):
        emu = await airbyte_emulator_factory(seed=3, faults=[fault])
        ws = {"workspaceId": emu.workspace_ids[0]}
        outcomes.append([(await post(http, emu, "workspaces/get", ws))[0] for _ in range(20)])
    assert outcomes[0] == outcomes[1]
    assert set(outcomes[0]) == {200, 500}
    emu.faults = [{"kind": "error", "route": "workspaces/get", "status": 504}]
    assert (await post(http, emu, "workspaces/get", ws))[0] == 504
    emu.set_faults(None)
    assert (await post(http, emu, "workspaces/get", ws))[0] == 200


async def test_ground_truth_stats_endpoint_is_never_faulted(
    airbyte_emulator_factory: Factory, http: aiohttp.ClientSession
) -> None:
    """/_emulator/stats stays reachable under a global fault and reports injections."""
    emu = await airbyte_emulator_factory(faults=[{"kind": "error"}])
    assert (await post(http, emu, "workspaces/list", None))[0] == 500
    async with http.get(emu.url + "/_emulator/stats") as response:
        stats = await response.json()
    assert stats["faults_injected"] == {"error": 1}
    assert stats["requests_by_route"] == {"/v1/workspaces/list": 1}


@pytest.mark.parametrize("method", [5, "", "GET /jobs"])
def test_a_fault_method_that_is_not_an_http_method_is_refused(method: object) -> None:
    """A fault's method is a method name; anything else says so."""
    with pytest.raises(ValueError, match="HTTP method"):
        Fault.from_dict({"kind": "error", "method": method})
