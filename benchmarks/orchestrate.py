"""
Many syncs at once: the orchestrator against a hand-written raw-aiohttp baseline, same run.

For each contender a fresh emulator (same seed, so the same durations in trigger order) serves N
connections whose syncs last a seeded 2 to 5 s and whose triggers take ``--trigger-latency``
seconds, as many at once as are sent (the issue's stand-in server; pass
``--emulator-flag=--trigger-capacity=25`` for Airbyte's scheduler threads); the contender syncs
all of them with at most ``--max-running`` at once, in its own process. Each of ``--runs`` runs
has the raw-aiohttp baselines and the orchestrator, one after the other, each run in the reverse
order of the one before (an even number of runs gives each contender the first place as often);
the table gives the min/median/max over the runs, and the ratios are taken within each run.
The "baseline" polls as the issue's raw client did (every job updated in the last five
seconds); "lean" asks only for final jobs with a two-second reach-back, the cheapest a raw
client can poll, so its CPU is the floor; "brisk" is the lean client on the orchestrator's
schedule (a pool as large as the running slots, a poll every 0.1 s), so the gap between it and
the lean client is the price of that schedule, and what the orchestrator spends beyond it is
its own.

Columns: wall time and its ratio to the ideal schedule (every freed slot refilled at once,
computed from the emulator's durations); "to 1st sync", from the contender's start to the
first job (listing the connections); "1st wave", from the first job to the job that fills the
last slot (how long a healthy server is left part idle); "schedule/ideal", the span from the
first job's creation to the last job's end against the ideal; client CPU seconds and per job,
and of those seconds the cyclic garbage collector's and the system's; "loop turns", the
passes of the contender's event loop (on a virtual machine each costs CPU of its own: the
header gives what an empty one costs there); peak RSS; HTTP requests the emulator saw per
job; "conns", the TCP connections it accepted (each costs the client about a quarter of a
millisecond of CPU to open: filling 500 slots at once with 0.2 s triggers takes 500, where
the baseline's and the lean client's pool, aiohttp's default 100, fills them in five rounds);
"refill", the mean time between a
job's end and the start of the job taking its slot; then duplicated, missed and failed syncs,
and the triggers the emulator's load model turned away with 503 ("rejected"), summed over the
runs. Below the table, the orchestrator's CPU, wall and peak RSS over each raw client's in
the same run, and its CPU over theirs outside the collector.

    python benchmarks/orchestrate.py --runs 3 --trigger-latency 0.2
    python benchmarks/orchestrate.py --runs 3 --trigger-latency 1
    python benchmarks/orchestrate.py --runs 3 --connections 10000 --max-running 10000
    python benchmarks/orchestrate.py --runs 3 --limits \\
        --emulator-flag=--trigger-capacity=50 --emulator-flag=--trigger-overload=80

The last one overloads the emulator (50 triggers at full speed, 503 past 80) and prints the
trigger limit over time beside the triggers the server held.

    python benchmarks/orchestrate.py --runs 3 --api public

``--gc-threshold 10000,10,10`` sets the cyclic garbage collector's thresholds
(``gc.set_threshold``) in every contender's process before its timed region, as an
application running thousands of syncs may choose to; the libraries leave them alone.

``--api public`` runs the orchestrator alone, on the public REST API of a head emulator (the
baseline is a Config API client).
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import heapq
import json
import statistics
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _harness import (
    count_loop_turns,
    emulator_process,
    emulator_stats,
    measure,
    print_table,
    run_contender,
    wakeup_cost,
)

TERMINAL = {"succeeded", "failed", "cancelled"}

#: The raw-aiohttp contenders: as sloppy as the issue's, as lean as a raw client can be, and
#: lean on the orchestrator's schedule.
BASELINES = ("baseline", "lean", "brisk")


async def baseline(
    url: str, max_running: int, max_triggers: int | None, *, style: str = "baseline"
) -> dict[str, Any]:
    """
    The least code that does the job, with orjson: triggers bounded only by the running slots
    and aiohttp's default pool (100 connections), then a batch poll every second of every job
    updated in the last five seconds.

    In the "lean" style, each poll asks only for final jobs updated since two
    seconds before the previous poll: about a quarter of the listed jobs, the least a raw
    client can read without missing an end.

    The "brisk" style is the lean one on the orchestrator's schedule: a pool as large as the
    running slots, and a poll every 0.1 s for the final jobs updated since the previous poll
    began. It reaches back no further, which is safe only here, on the server's own clock and
    with no commit lag: it stands for what that schedule costs a raw client, not for a client
    to copy.

    An unbounded pool is worse at 10,000 connections: ten thousand connects at once delay the
    first trigger by seconds.
    """
    import aiohttp
    import orjson

    api = f"{url}/api/v1/"
    timeout = aiohttp.ClientTimeout(total=300)
    headers = {"Content-Type": "application/json"}
    brisk = style == "brisk"
    connector = aiohttp.TCPConnector(limit=max_running) if brisk else None
    async with aiohttp.ClientSession(timeout=timeout, connector=connector) as session:
        rejected = 0

        async def post(route: str, body: dict[str, Any] | None = None) -> Any:
            nonlocal rejected
            data = orjson.dumps(body) if body is not None else None
            while True:
                async with session.post(api + route, data=data, headers=headers) as answer:
                    if answer.status == 503 and route == "connections/sync":
                        # The emulator's load model created no job: try again in a second.
                        rejected += 1
                    else:
                        answer.raise_for_status()
                        return orjson.loads(await answer.read())
                await asyncio.sleep(1)

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
            reach_back = {"baseline": 5, "lean": 2, "brisk": 0}[style]
            since = time.time() - reach_back
            while True:
                await asyncio.sleep(0.1 if brisk else 1)
                stamp = dt.datetime.fromtimestamp(since, dt.UTC).isoformat()
                since = time.time() - reach_back
                body: dict[str, Any] = {
                    "configTypes": ["sync"],
                    "workspaceIds": workspaces,
                    "updatedAtStart": stamp,
                    "pagination": {"pageSize": 100_000},
                }
                if style != "baseline":
                    body["statuses"] = sorted(TERMINAL)
                for entry in (await post("jobs/list_for_workspaces", body))["jobs"]:
                    job = entry["job"]
                    if job["status"] in TERMINAL and job["id"] in waiting:
                        waiting.pop(job["id"]).set_result(entry)

        poller = asyncio.create_task(poll())
        results = await asyncio.gather(*(sync(cid) for cid in connections))
        poller.cancel()
        bad = sum(r["job"]["status"] != "succeeded" for r in results)
        return {"results": len(results), "not_succeeded": bad, "limits": [], "rejected": rejected}


async def orchestrator(
    url: str,
    max_running: int,
    max_triggers: int | None,
    api: str = "config",
    poll_interval: float | None = None,
    max_connections: int | None = None,
    sample_limits: bool = False,
) -> dict[str, Any]:
    """
    airbyte-async with its defaults (or *poll_interval*, *max_connections*): every active
    connection of every workspace. With *sample_limits*, the trigger limit in force is sampled
    every half second (a wake-up of the loop each time, which only this contender would pay:
    off unless the limits are printed).
    """
    from airbyte_async import AirbyteClient, NoAuth
    from airbyte_async.orchestrator import Orchestrator, Selection

    limits: list[tuple[float, int | None, int]] = []  # (epoch seconds, limit, in flight)
    pool = {} if max_connections is None else {"max_connections": max_connections}
    client = AirbyteClient(url, auth=NoAuth(), env={}, timeout=300, api=api, **pool)
    async with client:
        tuning = {} if poll_interval is None else {"poll_interval": poll_interval}
        orchestrator = Orchestrator(
            client, max_running=max_running, max_triggers=max_triggers, **tuning
        )
        async with orchestrator.stream(Selection(all_workspaces=True)) as batch:

            async def sample() -> None:
                while True:
                    limits.append((time.time(), batch.trigger_limit, batch.triggers_in_flight))
                    await asyncio.sleep(0.5)

            sampler = asyncio.create_task(sample()) if sample_limits else None
            async for _ in batch:
                pass
            if sampler is not None:
                sampler.cancel()
        results = list(batch.results.values())
        bad = sum(not r.ok for r in results)
        return {"results": len(results), "not_succeeded": bad, "limits": limits}


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
    Import airbyte-async and anyio's asyncio backend (which anyio imports on first use), and
    let the converter build its hooks for jobs and connections.

    These are one-time costs of a process (about 0.3 s), not of a batch: like the imports of
    either contender, they are kept out of the timed region.
    """
    import anyio._backends._asyncio  # noqa: F401

    # The package imports its names on first use, so the contender's own import of them
    # would fall in the timed region: import the client and the orchestrator here.
    from airbyte_async import AirbyteClient, NoAuth, orchestrator  # noqa: F401
    from airbyte_async._serde import structure
    from airbyte_async.models import Connection, Job

    stamp = {"createdAt": 0, "updatedAt": 0}
    attempt = {"id": 0, "status": "succeeded", **stamp, "totalStats": {}, "streamStats": []}
    job = {"id": 1, "configType": "sync", "configId": "c", "status": "succeeded", **stamp}
    structure({"job": job, "attempts": [{"attempt": attempt}]}, Job)
    structure({"job": job, "attempts": [attempt]}, Job)
    connection = {"connectionId": "c", "name": "n", "sourceId": "s", "destinationId": "d"}
    structure({**connection, "status": "active", "syncCatalog": {"streams": []}}, Connection)


def contender_main(
    role: str,
    url: str,
    max_running: int,
    max_triggers: int | None,
    api: str = "config",
    profile: str | None = None,
    poll_interval: float | None = None,
    max_connections: int | None = None,
    sample_limits: bool = False,
    gc_threshold: tuple[int, ...] | None = None,
) -> None:
    """
    Run one contender in this process and print its JSON line (imports are not timed). With
    *profile*, the timed region runs under cProfile and its stats go to that file; with
    *gc_threshold*, the collector runs with those thresholds (``gc.set_threshold``).
    """
    import cProfile
    import gc

    import aiohttp  # noqa: F401
    import orjson  # noqa: F401

    if role == "orchestrator":
        warm_up()
    if gc_threshold is not None:
        gc.set_threshold(*gc_threshold)
    profiler = cProfile.Profile(time.process_time) if profile else None
    turns = count_loop_turns()
    started = time.time()
    with measure() as m:
        if profiler:
            profiler.enable()
        if role in BASELINES:
            done = asyncio.run(baseline(url, max_running, max_triggers, style=role))
        else:
            done = asyncio.run(
                orchestrator(
                    url,
                    max_running,
                    max_triggers,
                    api,
                    poll_interval,
                    max_connections,
                    sample_limits,
                )
            )
        if profiler:
            profiler.disable()
    if profiler and profile:
        profiler.dump_stats(f"{profile}.{role}")
    line = {"role": role, "started": started, "turns": turns(), "gc_threshold": gc.get_threshold()}
    print(json.dumps({**line, **done, **m.as_dict()}))


COLUMNS = [
    ("wall s", "wall"),
    ("wall/ideal", "wall_ideal"),
    ("to 1st sync s", "first"),
    ("1st wave s", "wave"),
    ("schedule/ideal", "schedule_ideal"),
    ("cpu s", "cpu"),
    ("cpu ms/job", "cpu_ms_job"),
    ("of it gc s", "gc"),
    ("of it sys s", "sys"),
    ("loop turns", "turns"),
    ("rss MB", "rss"),
    ("req/job", "req_job"),
    ("conns", "conns"),
    ("max running", "max_running"),
    ("refill ms", "refill_ms"),
]


#: Counts summed over the runs: what must stay at zero, and the 503s of the load model.
TOTALS = ("duplicates", "missed", "not_succeeded", "rejected")


def one_run(args: argparse.Namespace, role: str) -> dict[str, Any]:
    """One contender against a fresh emulator; its figures and the emulator's ground truth."""
    flags = ["--connections", str(args.connections), "--seed", str(args.seed)]
    flags += ["--sync-duration", *(str(d) for d in args.duration)]
    flags += ["--trigger-latency", str(args.trigger_latency), "--trigger-capacity", "0"]
    flags += args.emulator_flag
    if args.api == "public":
        flags += ["--airbyte-version", "head"]
    extra = ["--max-running", str(args.max_running), "--api", args.api]
    if args.max_triggers is not None:
        extra += ["--max-triggers", str(args.max_triggers)]
    if args.profile:
        extra += ["--profile", args.profile]
    if args.poll_interval is not None:
        extra += ["--poll-interval", str(args.poll_interval)]
    if args.max_connections is not None:
        extra += ["--max-connections", str(args.max_connections)]
    if args.limits:
        extra += ["--limits"]
    if args.gc_threshold is not None:
        extra += ["--gc-threshold", ",".join(map(str, args.gc_threshold))]
    with emulator_process(*flags) as url:
        mine = run_contender(__file__, role, url, *extra)
        stats = emulator_stats(url)
    durations = [stats["job_durations"][k] for k in sorted(stats["job_durations"], key=int)]
    ideal = ideal_makespan(durations, args.max_running)
    times = list(stats["job_times"].values())
    first = min(t[0] for t in times)
    runs = [len(ids) for ids in stats["jobs_by_connection"].values()]
    n = args.connections
    return {
        "wall": mine["wall"],
        "wall_ideal": mine["wall"] / ideal,
        "first": first - mine["started"],
        "wave": sorted(t[0] for t in times)[min(args.max_running, n) - 1] - first,
        "schedule_ideal": (max(t[1] for t in times) - first) / ideal,
        "cpu": mine["cpu"],
        "cpu_ms_job": 1000 * mine["cpu"] / n,
        "gc": mine["gc"],
        "sys": mine["sys"],
        "turns": mine["turns"],
        "rss": mine["peak_rss_mb"],
        "req_job": stats["total_requests"] / n,
        "conns": stats["connections_opened"] - 1,  # less the stats request's own
        "max_running": stats["max_concurrent_jobs"],
        "refill_ms": 1000 * refill_delay(times, args.max_running),
        "duplicates": sum(r - 1 for r in runs if r > 1),
        "missed": n - len(runs),
        "not_succeeded": mine["not_succeeded"],
        "in_flight_syncs": stats["max_in_flight_syncs"],
        "rejected": stats.get("triggers_rejected", 0),
        "limits": mine["limits"],
        "timeline": stats.get("trigger_timeline", []),
    }


def spread(values: list[float]) -> str:
    """min / median / max of *values*."""
    ordered = sorted(values)
    lo, mid, hi = ordered[0], statistics.median(ordered), ordered[-1]
    return "/".join(_fmt(v) for v in (lo, mid, hi))


def _fmt(value: float) -> str:
    return f"{value:.3f}" if abs(value) < 10 else f"{value:.1f}"


def _thresholds(text: str) -> tuple[int, ...]:
    """``G0[,G1[,G2]]``: one to three whole numbers, for ``gc.set_threshold``."""
    try:
        values = tuple(int(part) for part in text.split(","))
    except ValueError:
        raise argparse.ArgumentTypeError(f"not whole numbers: {text!r}") from None
    if not 1 <= len(values) <= 3 or min(values) < 0:
        raise argparse.ArgumentTypeError(f"one to three whole numbers, none below 0: {text!r}")
    return values


def main() -> None:
    """Parse arguments; as the parent, run the contenders in turn, each against a fresh emulator."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--connections", type=int, default=2000)
    parser.add_argument("--max-running", type=int, default=500)
    parser.add_argument(
        "--max-triggers", type=int, help="the orchestrator's ceiling (default: its own)"
    )
    parser.add_argument(
        "--poll-interval",
        type=float,
        help="the orchestrator's shortest seconds between polls (default: its own)",
    )
    parser.add_argument(
        "--max-connections",
        type=int,
        help="the orchestrator's client's connection pool (default: its own)",
    )
    parser.add_argument("--duration", type=float, nargs=2, default=(2.0, 5.0))
    parser.add_argument(
        "--trigger-latency", type=float, default=0.2, help="seconds the emulator takes per trigger"
    )
    parser.add_argument(
        "--emulator-flag",
        action="append",
        default=[],
        metavar="FLAG",
        help="pass one more flag to the emulator (repeat; e.g. --emulator-flag=--faults=...)",
    )
    parser.add_argument("--runs", type=int, default=3, help="runs of each contender")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument(
        "--only",
        action="append",
        choices=[*BASELINES, "orchestrator"],
        help="run only this contender (repeat for several)",
    )
    parser.add_argument("--limits", action="store_true", help="print the trigger limit over time")
    parser.add_argument(
        "--profile",
        metavar="FILE",
        help="run each contender under cProfile (CPU time) and dump its stats to FILE.ROLE",
    )
    parser.add_argument(
        "--gc-threshold",
        type=_thresholds,
        metavar="G0[,G1[,G2]]",
        help="the collector's thresholds in each contender (default: Python's)",
    )
    parser.add_argument("--role", help=argparse.SUPPRESS)
    parser.add_argument("--url", help=argparse.SUPPRESS)
    parser.add_argument("--api", choices=["config", "public"], default="config")
    args = parser.parse_args()
    if args.role:
        contender_main(
            args.role,
            args.url,
            args.max_running,
            args.max_triggers,
            args.api,
            args.profile,
            args.poll_interval,
            args.max_connections,
            args.limits,
            args.gc_threshold,
        )
        return

    roles = [r for r in (*BASELINES, "orchestrator") if not args.only or r in args.only]
    if args.api == "public":
        roles = ["orchestrator"]
    runs: dict[str, list[dict[str, Any]]] = {role: [] for role in roles}
    idle = [wakeup_cost(gap, round(2 / gap)) for gap in (0.005, 0.05)]
    for i in range(args.runs):
        # Each run reverses the previous one's order: neither contender always goes first.
        for role in roles if i % 2 == 0 else roles[::-1]:
            runs[role].append(one_run(args, role))
    collector = (
        ""
        if args.gc_threshold is None
        else f", gc thresholds {','.join(map(str, args.gc_threshold))} in each contender"
    )
    print(
        f"\n{args.connections} connections, max_running={args.max_running}, "
        f"sync durations {args.duration[0]:g}-{args.duration[1]:g} s, trigger latency "
        f"{args.trigger_latency:g} s, {args.runs} runs, seed {args.seed}{collector}: "
        "min/median/max\n"
        f"this machine: an event-loop wakeup that runs nothing costs {idle[0]:.0f} us of CPU "
        f"after 5 ms asleep, {idle[1]:.0f} us after 50 ms\n"
    )
    rows = []
    for role in roles:
        done = runs[role]
        rows.append(
            [role]
            + [spread([r[key] for r in done]) for _, key in COLUMNS]
            + [sum(r[key] for r in done) for key in TOTALS]
        )
    print_table(
        ["contender"] + [title for title, _ in COLUMNS] + [k.replace("_", " ") for k in TOTALS],
        rows,
    )
    for raw in BASELINES:
        if raw not in runs or "orchestrator" not in runs:
            continue
        pairs = list(zip(runs[raw], runs["orchestrator"], strict=True))
        for what, key in (("CPU", "cpu"), ("wall", "wall"), ("peak RSS", "rss")):
            ratio = spread([o[key] / b[key] for b, o in pairs])
            print(f"orchestrator / {raw} {what}, same run: {ratio}")
        outside = spread([(o["cpu"] - o["gc"]) / (b["cpu"] - b["gc"]) for b, o in pairs])
        print(f"orchestrator / {raw} CPU outside the garbage collector, same run: {outside}")
        # Even runs go in the roles' order (the raw clients first), odd ones in reverse.
        by_run = " ".join(f"{o['cpu'] / b['cpu']:.2f}" for b, o in pairs)
        order = "the orchestrator last, then first, and so on"
        print(f"orchestrator / {raw} CPU by run ({order}): {by_run}")
    if args.limits and "orchestrator" in runs:
        last = runs["orchestrator"][-1]
        print("\ntrigger limit over time (last run)")
        print_table(
            ["s", "trigger limit", "in flight (client)", "in flight (server peak)"],
            limit_table(last["limits"], last["timeline"]),
        )


def limit_table(
    limits: list[list[Any]], timeline: list[list[float]]
) -> list[tuple[float, int | None, int, int]]:
    """
    The client's limit and triggers in flight at each sample, beside the server's peak of
    triggers in flight since the previous sample (from the emulator's timeline).
    """
    rows = []
    began = limits[0][0]
    events = iter(timeline)
    current = peak = 0
    pending = next(events, None)
    for at, limit, in_flight in limits:
        while pending is not None and pending[0] <= at:
            current = int(pending[1])
            peak = max(peak, current)
            pending = next(events, None)
        rows.append((round(at - began, 1), limit, in_flight, peak))
        peak = current
    return rows


if __name__ == "__main__":
    main()
