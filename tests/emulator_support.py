"""Raw HTTP helpers for emulator tests: one request, a sync, waiting for a job to end; a task of
its own."""

from __future__ import annotations

import contextlib
import json
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import aiohttp
import aiohttp.web
import anyio
import attrs
import pytest

from airbyte_async.testing import Emulator
from airbyte_async.testing._app import Http

__all__ = [
    "Answer",
    "call",
    "drop_date_headers",
    "http",
    "in_a_task_of_its_own",
    "jobs_created",
    "only_actor",
    "sync",
    "wait_terminal",
]


@attrs.frozen
class Answer:
    """A response: status, headers, decoded JSON (or None) and raw text."""

    status: int
    headers: Any
    json: Any
    text: str


@pytest.fixture
async def http() -> AsyncIterator[aiohttp.ClientSession]:
    """A client session for raw requests."""
    async with aiohttp.ClientSession() as session:
        yield session


async def call(
    http: aiohttp.ClientSession,
    emu: Emulator,
    route: str,
    body: Any = None,
    *,
    method: str = "POST",
    headers: dict[str, str] | None = None,
) -> Answer:
    """One request to ``/api/v1/<route>``."""
    url = f"{emu.api_url}/{route}"
    async with http.request(method, url, json=body, headers=headers) as response:
        text = await response.text()
        ctype = response.content_type
        parsed = None
        if text and ctype == "application/json":
            # Airbyte labels some bodies JSON that are not (its "Object not found." 404).
            with contextlib.suppress(ValueError):
                parsed = json.loads(text)
        return Answer(response.status, response.headers, parsed, text)


async def public(
    http: aiohttp.ClientSession, emu: Emulator, method: str, path: str, body: Any = None
) -> Answer:
    """One request to ``/api/public/v1<path>``."""
    url = f"{emu.url}/api/public/v1{path}"
    async with http.request(method, url, json=body) as response:
        text = await response.text()
        parsed = await response.json(content_type=None) if text else None
        return Answer(response.status, response.headers, parsed, text)


async def wait_terminal(http: aiohttp.ClientSession, emu: Emulator, job_id: int) -> list[str]:
    """Poll ``jobs/get_light`` until the job ends, then wait out its workflow's wrap-up (a sync
    refused meanwhile: ``State.wrapping_up``), so that a trigger may follow; the distinct
    statuses seen, in order."""
    seen: list[str] = []
    with anyio.fail_after(5):
        while True:
            status = (await call(http, emu, "jobs/get_light", {"id": job_id})).json["job"]["status"]
            if not seen or seen[-1] != status:
                seen.append(status)
            if status in ("succeeded", "failed", "cancelled"):
                await anyio.sleep(emu.wrap_up)
                return seen
            await anyio.sleep(0.01)


async def sync(http: aiohttp.ClientSession, emu: Emulator, cid: str) -> dict[str, Any]:
    """Trigger a sync; the JobInfoRead."""
    answer = await call(http, emu, "connections/sync", {"connectionId": cid})
    assert answer.status == 200, answer.text
    result: dict[str, Any] = answer.json
    return result


async def waiting_job(http: aiohttp.ClientSession, emu: Emulator, cid: str) -> int:
    """
    The id of a new sync job of *cid*, answered before it runs: by head's public ``POST
    /jobs``, which answers once the job exists (``returnAfterJobId``). The Config API's
    ``connections/sync`` answers only once its job runs, head's too.
    """
    answer = await public(http, emu, "POST", "/jobs", {"connectionId": cid, "jobType": "sync"})
    assert answer.status == 200, answer.text
    return int(answer.json["jobId"])


async def jobs_created(emu: Emulator, count: int) -> None:
    """Wait until the emulator has created *count* jobs (ground truth, not the API)."""
    await _stat_reaches(emu, "jobs_created", count)


async def triggers_held(emu: Emulator, count: int) -> None:
    """Wait until the emulator holds *count* triggers at once (ground truth, not the API)."""
    await _stat_reaches(emu, "max_in_flight_syncs", count)


async def triggers_now(emu: Emulator, count: int) -> None:
    """Wait until the emulator is handling *count* sync triggers (ground truth, not the API)."""
    await _stat_reaches(emu, "syncs_in_flight", count)


async def cancels_held(emu: Emulator, count: int) -> None:
    """Wait until the emulator holds *count* cancels at once (ground truth, not the API)."""
    await _stat_reaches(emu, "max_in_flight_cancels", count)


async def _stat_reaches(emu: Emulator, name: str, count: int) -> None:
    with anyio.fail_after(5):
        while True:
            if getattr(emu.stats(), name) >= count:
                return
            await anyio.sleep(0.01)


async def only_actor(http: aiohttp.ClientSession, emu: Emulator, kind: str) -> dict[str, Any]:
    """The first workspace's only source or destination (``kind``), as sources/list reads it."""
    listed = await call(http, emu, f"{kind}s/list", {"workspaceId": emu.workspace_ids[0]})
    actors: list[dict[str, Any]] = listed.json[f"{kind}s"]
    assert len(actors) == 1
    return actors[0]


def drop_date_headers(monkeypatch: pytest.MonkeyPatch) -> None:
    """Emulators started from now on answer without a Date header, as behind a proxy that
    drops it."""

    async def no_date(self: Http, request: aiohttp.web.Request, response: Any) -> None:
        response.headers.popall("Date", None)

    monkeypatch.setattr(Http, "_stamp_date", no_date)


async def in_a_task_of_its_own(function: Callable[[], Awaitable[object]]) -> None:
    """Await ``function()`` in a new task, as pytest-asyncio runs a fixture's setup and then its
    teardown, each in a task of its own."""
    async with anyio.create_task_group() as tg:
        tg.start_soon(function)
