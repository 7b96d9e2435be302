"""
The client's CPU per call, beside a raw-aiohttp loop making the same calls, in the same run.

The emulator runs in its own process; each contender runs in a fresh process of its own and
makes ``--calls`` calls of ``jobs/get`` and then of ``connections/list`` (``--concurrency`` at a
time): the raw loop posts JSON and decodes the answer, the client also builds the request from
keyword arguments, checks the status and structures the answer into models. The table gives
CPU microseconds per call and the ratio (target: at most 1.5).

    python benchmarks/client_overhead.py --calls 10000
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _harness import emulator_process, print_table, run_contender


async def _setup(url: str) -> tuple[int, str]:
    """A finished job and a workspace to read, made through plain HTTP."""
    import aiohttp

    async with aiohttp.ClientSession() as session:
        api = f"{url}/api/v1/"
        async with session.post(api + "workspaces/list") as r:
            workspace = (await r.json())["workspaces"][0]["workspaceId"]
        async with session.post(api + "connections/list", json={"workspaceId": workspace}) as r:
            connection = (await r.json())["connections"][0]["connectionId"]
        async with session.post(api + "connections/sync", json={"connectionId": connection}) as r:
            job = (await r.json())["job"]["id"]
        await asyncio.sleep(0.3)
        return job, workspace


async def _raw(url: str, calls: int, concurrency: int, route: str, body: dict[str, Any]) -> None:
    import aiohttp

    api = f"{url}/api/v1/"
    limit = asyncio.Semaphore(concurrency)
    async with aiohttp.ClientSession() as session:

        async def one() -> None:
            async with limit, session.post(api + route, json=body) as answer:
                answer.raise_for_status()
                await answer.json()

        await asyncio.gather(*(one() for _ in range(calls)))


async def _client(url: str, calls: int, concurrency: int, op: str, arg: Any) -> None:
    from airbyte_async import AirbyteClient, NoAuth

    limit = asyncio.Semaphore(concurrency)
    async with AirbyteClient(url, auth=NoAuth(), env={}, api="config") as client:

        async def one() -> None:
            async with limit:
                if op == "jobs.get":
                    await client.jobs.get(job_id=arg)
                else:
                    async for _ in client.connections.list(workspace_id=arg):
                        pass

        await asyncio.gather(*(one() for _ in range(calls)))


def contender_main(role: str, url: str, calls: int, concurrency: int) -> None:
    """Time each operation for *role* in this process; print one JSON line (imports untimed)."""
    import aiohttp  # noqa: F401

    if role == "client":
        # The package imports its names on first use: import the client's modules here.
        from airbyte_async import AirbyteClient  # noqa: F401
    job, workspace = asyncio.run(_setup(url))
    figures = {}
    for op in ("jobs.get", "connections.list"):
        if role == "raw":
            route, body = (
                ("jobs/get", {"id": job})
                if op == "jobs.get"
                else ("connections/list", {"workspaceId": workspace})
            )
            work = _raw(url, calls, concurrency, route, body)
        else:
            work = _client(url, calls, concurrency, op, job if op == "jobs.get" else workspace)
        cpu, wall = time.process_time(), time.perf_counter()
        asyncio.run(work)
        figures[op] = {
            "cpu": time.process_time() - cpu,
            "wall": time.perf_counter() - wall,
        }
    print(json.dumps({"role": role, "figures": figures}))


def main() -> None:
    """As the parent: one emulator, both contenders, one table."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--calls", type=int, default=10_000)
    parser.add_argument("--concurrency", type=int, default=10)
    parser.add_argument("--connections", type=int, default=20, help="in the listed workspace")
    parser.add_argument("--role", help=argparse.SUPPRESS)
    parser.add_argument("--url", help=argparse.SUPPRESS)
    args = parser.parse_args()
    extra = ["--calls", str(args.calls), "--concurrency", str(args.concurrency)]
    if args.role:
        contender_main(args.role, args.url, args.calls, args.concurrency)
        return
    with emulator_process("--connections", str(args.connections)) as url:
        raw = run_contender(__file__, "raw", url, *extra)["figures"]
        ours = run_contender(__file__, "client", url, *extra)["figures"]
    rows = []
    for op in ("jobs.get", "connections.list"):
        per_raw = 1e6 * raw[op]["cpu"] / args.calls
        per_ours = 1e6 * ours[op]["cpu"] / args.calls
        rows.append([op, args.calls, per_raw, per_ours, per_ours / per_raw])
    print(
        f"\n{args.calls} calls each, {args.concurrency} at a time, "
        f"connections.list over {args.connections} connections\n"
    )
    print_table(["operation", "calls", "raw us/call", "client us/call", "ratio"], rows)


if __name__ == "__main__":
    main()
