"""
A busy Airbyte behind a proxy: syncs triggered through nginx's read timeout, raw client and
airbyte-async in turn.

The emulator plays a server whose scheduler is busy: two threads (``--threads``) work the sync
triggers first come first served, each for ``--trigger-latency`` seconds (a trigger answers only
once its job runs, API-FACTS 6.3b), and a proxy in front of it answers nginx's 504 page once a
request has waited ``--proxy-timeout`` seconds (the emulator's ``proxy_timeout`` fault), while
the server keeps the trigger queued and starts its job when a thread frees; with
``--proxy-status 502`` the proxy is a Google Cloud load balancer, whose backend service timeout
answers 502 (503: Azure Front Door, 524: Cloudflare; 0: a TCP proxy such as HAProxy in
``mode tcp``, which cuts the connection with no answer). The raw client is the common
snippet: aiohttp, ``--max-running`` triggers at once, a trigger answered 502, 503 or 504, or
whose connection was cut, sent again after a second (three times at most), then ``jobs/get``
every two seconds until the job ends. airbyte-async runs the orchestrator with its defaults
and the same ``max_running``. Each contender meets a fresh emulator with the same seed. The
table gives wall time, the triggers the server received and the jobs it started, and the syncs
duplicated, missed and not succeeded, from the emulator's ground truth.

    python benchmarks/busy_proxy.py
    python benchmarks/busy_proxy.py --airbyte-version head
    python benchmarks/busy_proxy.py --proxy-status 502
    python benchmarks/busy_proxy.py --proxy-status 0
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import sys
import time
from pathlib import Path
from typing import Any

import anyio

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _harness import print_table

from airbyte_async import AirbyteClient, NoAuth
from airbyte_async.orchestrator import Orchestrator, Selection
from airbyte_async.testing import Emulator

#: What the raw client sends again, as the usual retry snippets do (0: the connection was cut).
RETRIED = frozenset({0, 502, 503, 504})
TERMINAL = frozenset({"succeeded", "failed", "cancelled"})


async def raw(url: str, connection_ids: list[str], max_running: int) -> int:
    """The raw client's batch; how many syncs it saw succeed."""
    import aiohttp

    api = f"{url}/api/v1/"
    slots = asyncio.Semaphore(max_running)
    timeout = aiohttp.ClientTimeout(total=300)
    async with aiohttp.ClientSession(timeout=timeout) as session:

        async def post(route: str, body: dict[str, Any]) -> tuple[int, Any]:
            try:
                async with session.post(api + route, json=body) as answer:
                    data = await answer.json() if answer.status == 200 else None
                    return answer.status, data
            except aiohttp.ClientConnectionError:
                return 0, None  # a TCP proxy cut it: sent again as a 504 is

        async def sync(connection_id: str) -> bool:
            async with slots:
                for _ in range(4):
                    status, data = await post("connections/sync", {"connectionId": connection_id})
                    if status not in RETRIED:
                        break
                    await asyncio.sleep(1.0)
                if status != 200:
                    return False
                job_id = data["job"]["id"]
                while data["job"]["status"] not in TERMINAL:
                    await asyncio.sleep(2.0)
                    status, data = await post("jobs/get", {"id": job_id})
                return bool(data["job"]["status"] == "succeeded")

        done = await asyncio.gather(*(sync(cid) for cid in connection_ids))
    return sum(done)


async def orchestrated(url: str, max_running: int) -> int:
    """airbyte-async's batch with its defaults; how many syncs succeeded."""
    async with AirbyteClient(url, auth=NoAuth(), env={}) as client:
        results = await Orchestrator(client, max_running=max_running).run(
            Selection(all_workspaces=True)
        )
    return sum(r.ok for r in results)


async def one(role: str, args: argparse.Namespace) -> list[object]:
    """One contender against a fresh emulator: its row of the table."""
    emulator = Emulator(
        airbyte_version=args.airbyte_version,
        connections=args.connections,
        workspaces=1,
        seed=args.seed,
        sync_duration=(1.0, 4.0),
        trigger_latency=args.trigger_latency,
        trigger_capacity=args.threads,
        faults=[
            {
                "kind": "proxy_timeout",
                "route": "connections/sync",
                "delay": args.proxy_timeout,
                "status": args.proxy_status,
            }
        ],
    )
    async with emulator:
        started = time.monotonic()
        if role == "raw":
            succeeded = await raw(emulator.url, emulator.connection_ids, args.max_running)
        else:
            succeeded = await orchestrated(emulator.url, args.max_running)
        wall = time.monotonic() - started
        # Triggers still queued when the client is done start their jobs later: wait them out.
        while emulator.stats().syncs_in_flight:  # noqa: ASYNC110 (a count, not an event)
            await anyio.sleep(0.5)
        stats = emulator.stats()
    jobs = stats.jobs_by_connection
    return [
        role,
        wall,
        stats.requests_by_route.get("/v1/connections/sync", 0),
        stats.jobs_created,
        sum(len(ids) - 1 for ids in jobs.values()),
        args.connections - len(jobs),
        args.connections - succeeded,
    ]


async def main(args: argparse.Namespace) -> None:
    """Run both contenders in turn and print the table."""
    rows = [await one(role, args) for role in ("raw", "airbyte-async")]
    print(
        f"\n{args.connections} connections, Airbyte {args.airbyte_version}, "
        f"{args.threads} scheduler threads, triggers of {args.trigger_latency:g} s, "
        f"proxy read timeout {args.proxy_timeout:g} s (answered {args.proxy_status}), "
        f"max_running {args.max_running}\n"
    )
    print_table(
        [
            "contender",
            "wall s",
            "triggers sent",
            "jobs started",
            "duplicated syncs",
            "missed",
            "not succeeded",
        ],
        rows,
    )


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--connections", type=int, default=40)
    parser.add_argument("--max-running", type=int, default=30)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--trigger-latency", type=float, default=2.0)
    parser.add_argument("--proxy-timeout", type=float, default=12.0)
    parser.add_argument(
        "--proxy-status",
        type=int,
        choices=[504, 502, 503, 524, 0],
        default=504,
        help="the proxy's answer once its read timeout passes: nginx's 504, Google Cloud's 502, "
        "Azure Front Door's 503, Cloudflare's 524, or 0: a TCP proxy cuts the connection",
    )
    parser.add_argument("--airbyte-version", default="0.50")
    parser.add_argument("--seed", type=int, default=1)
    # The held triggers' warnings tell a story of their own; the table is the report here.
    logging.getLogger("airbyte_async").setLevel(logging.ERROR)
    anyio.run(main, parser.parse_args())
