"""Helpers for the client tests: a client on an emulator, a closed port, skewed and fast clocks."""

from __future__ import annotations

import socket
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Collection
from contextlib import AsyncExitStack, asynccontextmanager
from typing import Any

import anyio
import attrs
import pytest
from aiohttp import web

from airbyte_async import AirbyteClient, NoAuth
from airbyte_async._throttle import ServerClock
from airbyte_async.models import Job
from airbyte_async.testing import Emulator, ManualClock
from airbyte_async.testing.pytest_plugin import TEST_CANCEL_LATENCY, TEST_TRIGGER_LATENCY


def client_for(emu: Emulator, **kwargs: Any) -> AirbyteClient:
    """A client on *emu*, reading nothing from the environment (no credentials unless given),
    on the Config API unless *api* says otherwise: named, so that entering it sends nothing."""
    kwargs.setdefault("auth", NoAuth())
    kwargs.setdefault("api", "config")
    return AirbyteClient(emu.url, env={}, **kwargs)


def catalogs_asked(
    monkeypatch: pytest.MonkeyPatch, client: AirbyteClient
) -> list[bool | Collection[str]]:
    """A list that gets, for each listing of connections *client* makes from now on, the
    catalogs it was asked for (True, False or connection names)."""
    asked: list[bool | Collection[str]] = []
    listing = type(client.connections).list

    def recorded(self: Any, *, workspace_id: str, catalogs: bool | Collection[str] = True) -> Any:
        asked.append(catalogs)
        return listing(self, workspace_id=workspace_id, catalogs=catalogs)

    monkeypatch.setattr(type(client.connections), "list", recorded)
    return asked


def closed_port() -> int:
    """A loopback port nothing listens on: connecting to it is refused."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
    return port


def requests_to(emu: Emulator, route: str) -> int:
    """How many requests *emu* received on ``/api/v1/<route>``."""
    return emu.stats().requests_by_route.get(f"/v1/{route}", 0)


def looks(emu: Emulator) -> int:
    """
    The job listings (``jobs/list``) *emu* answered, from its recorded requests: a server
    before 0.63 refuses one that names refresh or clear jobs, which a client sends once to
    learn whether the server has them (and then asks again without), so that one is no look.
    """
    assert emu.record_requests, "looks() counts recorded requests: record_requests=True"
    newer = {"refresh", "clear"}
    refused = newer if emu.airbyte_version in ("0.40", "0.50") else set()
    return sum(
        1
        for r in emu.requests
        if r.route == "/v1/jobs/list" and not refused & set((r.body or {}).get("configTypes", ()))
    )


@attrs.define
class SkewedClock(ServerClock):
    """*inner*'s estimate of the server's clock, *skew* seconds off (positive: ahead)."""

    inner: ServerClock = attrs.field(factory=ServerClock, kw_only=True)
    skew: float = attrs.field(default=0.0, kw_only=True)

    def now(self) -> float:
        """The estimate, *skew* seconds off."""
        return self.inner.now() + self.skew


@attrs.define
class UnsetClock(ServerClock):
    """
    *inner*, except that until its first ``Date`` it trusts a local clock *local_skew* seconds
    off: a fresh client on a host whose clock is wrong.
    """

    inner: ServerClock = attrs.field(factory=ServerClock, kw_only=True)
    local_skew: float = attrs.field(default=0.0, kw_only=True)

    def now(self) -> float:
        """The skewed local clock until *inner* has observed the server, then *inner*."""
        return self.inner.now() if self.inner.observed else time.time() + self.local_skew


@attrs.frozen
class FastClock:
    """
    An emulator clock that runs *rate* times faster than real time from when it is made:
    server seconds (job durations, trigger waits, ``Date``) pass in a fraction of a second,
    while the client and the network (faults' delays) keep real time.
    """

    rate: float
    start: float = attrs.field(factory=time.time)

    def __call__(self) -> float:
        """Now on this clock, in epoch seconds."""
        return self.start + (time.time() - self.start) * self.rate

    async def sleep(self, seconds: float) -> None:
        """Return once *seconds* have passed on this clock."""
        await anyio.sleep(seconds / self.rate)


async def started(
    stack: AsyncExitStack, *, api: str, max_connections: int = 100, **options: Any
) -> tuple[Emulator, AirbyteClient]:
    """
    An emulator with *options* (short syncs, the tests' trigger and cancel latencies, none on a
    ManualClock; head for the public API) and a client of *api* on it, both closed with *stack*.
    *api* may name the version serving it after an ``@``: ``"public@2.0"`` is the public API of
    a 2.0 emulator.
    """
    api, _, version = api.partition("@")
    if version:
        options.setdefault("airbyte_version", version)
    options.setdefault("sync_duration", (0.05, 0.15))
    manual = isinstance(options.get("clock"), ManualClock)
    options.setdefault("trigger_latency", 0.0 if manual else TEST_TRIGGER_LATENCY)
    options.setdefault("cancel_latency", 0.0 if manual else TEST_CANCEL_LATENCY)
    if api == "public":
        options.setdefault("airbyte_version", "head")
    emu = await stack.enter_async_context(Emulator(**options))
    client = AirbyteClient(emu.url, auth=NoAuth(), env={}, max_connections=max_connections, api=api)
    await stack.enter_async_context(client)
    return emu, client


async def until(done: Callable[[], bool]) -> None:
    """Wait until *done* holds, looking every 20 ms (ten seconds at most)."""
    with anyio.fail_after(10):
        while True:
            if done():
                return
            await anyio.sleep(0.02)


async def cancel_as_another_sync_follows(
    emu: Emulator, client: AirbyteClient, connection_id: str, job_id: int
) -> tuple[Job, int]:
    """``client.jobs.cancel(job_id)`` while someone else starts a long sync of *connection_id*
    as soon as that job has ended; the cancel's answer and the newer job's id."""
    newer: list[int] = []

    async def someone_else() -> None:
        while emu.job_status(job_id) != "succeeded":  # noqa: ASYNC110 (the ground truth)
            await anyio.sleep(0.02)
        emu.set_sync_plan(connection_id, duration=30.0)
        newer.append((await client.connections.sync(connection_id=connection_id)).id)

    async with anyio.create_task_group() as tg:
        tg.start_soon(someone_else)
        answer = await client.jobs.cancel(job_id=job_id)
    return answer, newer[0]


#: An id that names nothing on any emulator.
UNKNOWN_ID = "7f3c1a2e-0000-4000-8000-0000000000bb"


#: Calls on one object that *UNKNOWN_ID* names, and the noun of that object.
UNSEEN_CALLS: dict[str, tuple[str, Callable[[AirbyteClient], Awaitable[Any]]]] = {
    "get": ("connection", lambda c: c.connections.get(connection_id=UNKNOWN_ID)),
    "update": ("connection", lambda c: c.connections.update(connection_id=UNKNOWN_ID, name="x")),
    "delete": ("connection", lambda c: c.connections.delete(connection_id=UNKNOWN_ID)),
    "sync": ("connection", lambda c: c.connections.sync(connection_id=UNKNOWN_ID)),
    "list_jobs": ("connection", lambda c: c.jobs.list_page(connection_id=UNKNOWN_ID)),
    "source": ("source", lambda c: c.sources.get(source_id=UNKNOWN_ID)),
    "rename source": ("source", lambda c: c.sources.update(source_id=UNKNOWN_ID, name="x")),
    "reconfigure destination": (
        "destination",
        lambda c: c.destinations.update(
            destination_id=UNKNOWN_ID, name="x", configuration={"bucket": "b"}
        ),
    ),
    "delete destination": (
        "destination",
        lambda c: c.destinations.delete(destination_id=UNKNOWN_ID),
    ),
    "workspace": ("workspace", lambda c: c.workspaces.get(workspace_id=UNKNOWN_ID)),
}


@asynccontextmanager
async def serving(app: web.Application) -> AsyncIterator[str]:
    """*app* served on 127.0.0.1 (a port of its own) while the block runs; its root URL."""
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", 0).start()
    try:
        yield f"http://127.0.0.1:{runner.addresses[0][1]}"
    finally:
        await runner.cleanup()
