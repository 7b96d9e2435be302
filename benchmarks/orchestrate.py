"""
Many syncs at once: the orchestrator against a hand-written raw-aiohttp baseline, same run.

For each contender a fresh emulator (same seed, so the same durations in trigger order) serves
N connections whose syncs last a seeded 2 to 5 s; the contender syncs all of them with at most
``--max-running`` at once, in its own process. The table gives wall time and its ratio to the
ideal schedule (every freed slot refilled at once, computed from the emulator's durations),
client CPU seconds and per job, peak RSS, the HTTP requests the emulator saw and per job, and
duplicated or missed syncs from the emulator's ground truth. "to 1st sync" is the time from the
contender's start to the first job (listing the connections); "schedule/ideal" compares the span
from the first job's creation to the last job's end with the ideal, so it leaves the listing out;
"refill" is the mean time between a job's end and the start of the job taking its slot.

    python benchmarks/orchestrate.py --connections 2000 --max-running 500
    python benchmarks/orchestrate.py --connections 10000 --max-running 10000 --only orchestrator
    python benchmarks/orchestrate.py --connections 2000 --max-running 500 --api public

``--api public`` runs the orchestrator alone, on the public REST API of a head emulator (the
baseline is a Config API client).
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import heapq
import json
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _harness import (
    emulator_process,
    emulator_stats,
    measure,
    print_table,
    run_contender,
)

TERMINAL = {"succeeded", "failed", "cancelled"}


async def baseline(url: str, max_running: int) -> int:
    """The least code that does the job: bounded triggers, then a batch poll every second."""
    import aiohttp

    api = f"{url}/api/v1/"
    timeout = aiohttp.ClientTimeout(total=300)
    async with aiohttp.ClientSession(timeout=timeout) as session:

        async def post(route: str, body: dict[str, Any] | None = None) -> Any:
            async with session.post(api + route, json=body) as answer:
                answer.raise_for_status()
                return await answer.json()

        workspaces = [w["workspaceId"] for w in (await post("workspaces/list"))["workspaces"]]
        connections = [
            c["connectionId"]
            for wid in workspaces
            for c in (await post("connections/list", {"workspaceId": wid}))["connections"]
        ]
        slots = asyncio.Semaphore(max_running)
        waiting: dict[int, asyncio.Future[dict[str, Any]]] = {}
        loop = asyncio.get_running_loop()

        async def sync(connection_id: str) -> dict[str, Any]:
            async with slots:
                job = (await post("connections/sync", {"connectionId": connection_id}))["job"]
                done = waiting[job["id"]] = loop.create_future()
                return await done

        async def poll() -> None:
            since = time.time() - 5
            while True:
                await asyncio.sleep(1)
                stamp = dt.datetime.fromtimestamp(since, dt.UTC).isoformat()
                since = time.time() - 5
                body = {
                    "configTypes": ["sync"],
                    "workspaceIds": workspaces,
                    "updatedAtStart": stamp,
                    "pagination": {"pageSize": 100_000},
                }
                for entry in (await post("jobs/list_for_workspaces", body))["jobs"]:
                    job = entry["job"]
                    if job["status"] in TERMINAL and job["id"] in waiting:
                        waiting.pop(job["id"]).set_result(entry)

        poller = asyncio.create_task(poll())
        results = await asyncio.gather(*(sync(cid) for cid in connections))
        poller.cancel()
        return len(results)


async def orchestrator(url: str, max_running: int, api: str = "config") -> int:
    """airbyte-async with its defaults: every active connection of every workspace."""
    from airbyte_async import AirbyteClient, NoAuth
    from airbyte_async.orchestrator import Orchestrator, Selection

    async with AirbyteClient(url, auth=NoAuth(), env={}, timeout=300, api=api) as client:
        results = await Orchestrator(client, max_running=max_running).run(
            Selection(all_workspaces=True)
        )
        return len(results)


def ideal_makespan(durations: list[float], slots: int) -> float:
    """The end of the last job when every freed slot is refilled at once, in trigger order."""
    free = [0.0] * min(slots, max(len(durations), 1))
    end = 0.0
    for duration in durations:
        start = heapq.heappop(free)
        heapq.heappush(free, start + duration)
        end = max(end, start + duration)
    return end


def refill_delay(times: list[list[float]], slots: int) -> float:
    """
    Mean seconds between a job's end and the start of the job that takes its slot.

    The k-th start after the first *slots* pairs with the k-th end: the client's reaction time.
    """
    starts = sorted(t[0] for t in times)[slots:]
    ends = sorted(t[1] for t in times)[: len(starts)]
    gaps = [s - e for s, e in zip(starts, ends, strict=True)]
    return sum(gaps) / len(gaps) if gaps else 0.0


def warm_up() -> None:
    """
    Import airbyte-async and let its converter build its hooks for jobs and connections.

    Both are one-time costs of a process (about 0.3 s), not of a batch: like the imports of
    either contender, they are kept out of the timed region.
    """
    from airbyte_async._serde import structure
    from airbyte_async.models import Connection, Job

    stamp = {"createdAt": 0, "updatedAt": 0}
    attempt = {"id": 0, "status": "succeeded", **stamp, "totalStats": {}, "streamStats": []}
    job = {"id": 1, "configType": "sync", "configId": "c", "status": "succeeded", **stamp}
    structure({"job": job, "attempts": [{"attempt": attempt}]}, Job)
    structure({"job": job, "attempts": [attempt]}, Job)
    connection = {"connectionId": "c", "name": "n", "sourceId": "s", "destinationId": "d"}
    structure({**connection, "status": "active", "syncCatalog": {"streams": []}}, Connection)


def contender_main(role: str, url: str, max_running: int, api: str = "config") -> None:
    """Run one contender in this process and print its JSON line (imports are not timed)."""
    import aiohttp  # noqa: F401

    if role == "orchestrator":
        warm_up()
    started = time.time()
    with measure() as m:
        if role == "baseline":
            done = asyncio.run(baseline(url, max_running))
        else:
            done = asyncio.run(orchestrator(url, max_running, api))
    print(json.dumps({"role": role, "results": done, "started": started, **m.as_dict()}))


def main() -> None:
    """Parse arguments; as the parent, run each contender against a fresh emulator."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--connections", type=int, default=2000)
    parser.add_argument("--max-running", type=int, default=500)
    parser.add_argument("--duration", type=float, nargs=2, default=(2.0, 5.0))
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--only", choices=["baseline", "orchestrator"])
    parser.add_argument("--role", help=argparse.SUPPRESS)
    parser.add_argument("--url", help=argparse.SUPPRESS)
    parser.add_argument("--api", choices=["config", "public"], default="config")
    args = parser.parse_args()
    if args.role:
        contender_main(args.role, args.url, args.max_running, args.api)
        return

    flags = ["--connections", str(args.connections), "--seed", str(args.seed)]
    flags += ["--sync-duration", *(str(d) for d in args.duration)]
    roles = [args.only] if args.only else ["baseline", "orchestrator"]
    if args.api == "public":
        flags += ["--airbyte-version", "head"]
        roles = ["orchestrator"]
    rows = []
    for role in roles:
        with emulator_process(*flags) as url:
            mine = run_contender(
                __file__, role, url, "--max-running", str(args.max_running), "--api", args.api
            )
            stats = emulator_stats(url)
        durations = [stats["job_durations"][k] for k in sorted(stats["job_durations"], key=int)]
        ideal = ideal_makespan(durations, args.max_running)
        times = list(stats["job_times"].values())
        refill = refill_delay(times, args.max_running)
        first = min(t[0] for t in times)
        schedule = max(t[1] for t in times) - first
        runs = [len(ids) for ids in stats["jobs_by_connection"].values()]
        n = args.connections
        rows.append(
            [
                role,
                mine["wall"],
                ideal,
                mine["wall"] / ideal,
                first - mine["started"],
                schedule / ideal,
                mine["cpu"],
                1000 * mine["cpu"] / n,
                mine["peak_rss_mb"],
                stats["total_requests"],
                stats["total_requests"] / n,
                stats["max_concurrent_jobs"],
                1000 * refill,
                sum(r - 1 for r in runs if r > 1),
                n - len(runs),
            ]
        )
    print(
        f"\n{args.connections} connections, max_running={args.max_running}, "
        f"sync durations {args.duration[0]:g}-{args.duration[1]:g} s, seed {args.seed}\n"
    )
    print_table(
        [
            "contender",
            "wall s",
            "ideal s",
            "wall/ideal",
            "to 1st sync s",
            "schedule/ideal",
            "cpu s",
            "cpu ms/job",
            "rss MB",
            "requests",
            "req/job",
            "max running",
            "refill ms",
            "duplicates",
            "missed",
        ],
        rows,
    )
    if len(rows) == 2:
        print(f"\norchestrator CPU / baseline CPU: {rows[1][6] / rows[0][6]:.2f}")


if __name__ == "__main__":
    main()
