"""
Giving a batch up midway, every way a user can, and what is left running on Airbyte.

Each row starts a fresh emulator (in its own process) with ``--connections`` syncs of 1 to 6 s
(triggers take ``--trigger-latency``, 0.3 s, and a cancel ``--cancel-latency``, 0.2 s, to stop
its job, on ``--trigger-capacity`` scheduler threads, 25 as on Airbyte, that triggers and
cancels wait for) and gives the batch up after ``--after`` seconds:
by the orchestrator's own deadline, by the caller's ``anyio.fail_after``, by cancelling the task,
by SIGINT to ``airbyte-async sync``, and by SIGKILL to it (which no program can clean up after)
followed by a second run with ``--on-running attach`` that adopts the jobs the killed run left
and starts the rest. So at the abort some syncs have just ended (often before any poll saw
it), most run, and triggers are in flight. Meanwhile a "scheduler" starts a newer sync on each
connection whose batch job has ended, as Airbyte's own schedule would: a cancel sent for an
ended job would kill it (Airbyte cancels the connection's current job, API-FACTS 6.3b).

A trigger still waiting for a thread at the abort has created no job yet, and creates it later
whether or not its client still waits. So the statuses are read ``--settle`` seconds after the
caller's return, and "ours left running" counts the batch's jobs still running then.

The table gives the jobs started, their statuses on the emulator at the end, duplicated syncs,
and the checks of every result against the server: outcome = the job's real status, job id =
the connection's job (none missing where a job exists), records and bytes of succeeded jobs,
and jobs cancelled that the batch did not ask to cancel (the scheduler's among them). "s" is
the time from the start to the caller's return, "cancels" the most cancels the server held at
once.

Two triggers of one connection that wait for scheduler threads at once (the batch's and the
scheduler's) are both answered with the one job the first of them starts: the second finds
it not running yet and waits for it to run (API-FACTS 6.3; ``TemporalClient.startNewManualSync``
signals the workflow and waits for its job). Both were sent before the job existed, so neither
can tell whose it is: a result naming such a job as its own is counted apart ("shared with the
scheduler", on the row's line), not as a wrong job id.

    python benchmarks/abort.py --connections 300 --max-running 100
    python benchmarks/abort.py --api public

``--faults`` installs emulator faults (JSON, as ``airbyte-async emulator --faults``) from the
emulator's start, ``--seed`` seeds them, and ``--modes`` runs some rows only: a storm of 429s
on the public API from two seconds in, as Airbyte Cloud's load shedding answers (API-FACTS 7),
given up on half a second later::

    python benchmarks/abort.py --api public --modes deadline,fail_after,cancel,sigint \
        --faults '{"kind": "rate_limit", "route": "/public/v1/*", "rate": 0.85, "after": 2}'

Each row's line before the table breaks its mismatches down by what the result told and what
was true: ``told timed_out/running/may still run, was succeeded`` is a result that said it did
not know how its job ended (``left_running``), ``records/bytes told unknown`` one that said its
rows and bytes were not known; the rest told something false.

The scheduler and the checks read the Config API, which a head emulator serves beside the
public one.
"""

from __future__ import annotations

import argparse
import asyncio
import collections
import itertools
import json
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from pathlib import Path
from typing import Any

import anyio

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _harness import emulator_process, emulator_stats, print_table

from airbyte_async import AirbyteClient, NoAuth
from airbyte_async.errors import AirbyteError
from airbyte_async.orchestrator import Orchestrator, Selection

Results = list[dict[str, Any]]


def _client(url: str, api: str = "config") -> AirbyteClient:
    return AirbyteClient(url, auth=NoAuth(), env={}, api=api)


async def _deadline(url: str, after: float, max_running: int, api: str) -> tuple[str, Results]:
    async with _client(url, api) as client:
        orchestrator = Orchestrator(client, max_running=max_running, timeout=after)
        results = await orchestrator.run(Selection(all_workspaces=True))
    return f"returned {len(results)} results", [r.to_json() for r in results]


async def _fail_after(url: str, after: float, max_running: int, api: str) -> tuple[str, Results]:
    async with _client(url, api) as client:
        orchestrator = Orchestrator(client, max_running=max_running)
        what = "finished?"
        try:
            with anyio.fail_after(after):
                await orchestrator.run(Selection(all_workspaces=True))
        except TimeoutError:
            what = "TimeoutError raised"
    return what, [r.to_json() for r in orchestrator.results.values()]


async def _cancel(url: str, after: float, max_running: int, api: str) -> tuple[str, Results]:
    async with _client(url, api) as client:
        orchestrator = Orchestrator(client, max_running=max_running)
        async with anyio.create_task_group() as tg:
            tg.start_soon(orchestrator.run, Selection(all_workspaces=True))
            await anyio.sleep(after)
            tg.cancel_scope.cancel()
    return "task cancelled", [r.to_json() for r in orchestrator.results.values()]


def _cli(url: str, max_running: int, api: str, *extra: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [
            sys.executable,
            "-m",
            "airbyte_async",
            "sync",
            "--all",
            "--json",
            "--url",
            url,
            "--max-running",
            str(max_running),
            "--api",
            api,
            *extra,
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def _wait_for_jobs(url: str, count: int) -> None:
    deadline = time.monotonic() + 60
    while emulator_stats(url)["jobs_created"] < count and time.monotonic() < deadline:
        time.sleep(0.05)


def _lines(out: str) -> Results:
    return [json.loads(line) for line in out.splitlines() if line.startswith("{")]


def _sigint(url: str, after: float, max_running: int, api: str) -> tuple[str, Results]:
    proc = _cli(url, max_running, api)
    _wait_for_jobs(url, max_running // 2)
    time.sleep(max(0.0, after - 1))
    GAVE_UP.set()
    proc.send_signal(signal.SIGINT)
    out, _ = proc.communicate(timeout=120)
    return f"exit {proc.returncode}, {len(out.splitlines())} JSON lines", _lines(out)


def _sigkill_then_attach(url: str, after: float, max_running: int, api: str) -> tuple[str, Results]:
    proc = _cli(url, max_running, api)
    _wait_for_jobs(url, max_running // 2)
    time.sleep(max(0.0, after - 1))
    GAVE_UP.set()
    proc.kill()
    proc.communicate(timeout=30)
    second = _cli(url, max_running, api, "--on-running", "attach")
    out, _ = second.communicate(timeout=600)
    results = _lines(out)
    attached = sum(1 for r in results if r["attached"])
    return f"killed; rerun exit {second.returncode}, attached {attached}", results


MODES: dict[str, Any] = {
    "orchestrator timeout=": _deadline,
    "anyio.fail_after": _fail_after,
    "task group cancelled": _cancel,
    "SIGINT to the CLI": _sigint,
    "SIGKILL, then rerun (attach)": _sigkill_then_attach,
}
#: The names ``--modes`` takes.
MODE_NAMES = dict(
    zip(("deadline", "fail_after", "cancel", "sigint", "sigkill"), MODES, strict=True)
)


_LIVE = ("running", "pending", "queued", "incomplete")

#: The wrong outcomes of the row checked last, by what the result told and what was true.
WRONG: collections.Counter[str] = collections.Counter()
#: Results that name as their own a job the scheduler's trigger was answered with too.
SHARED: list[int] = []

#: Set by the CLI modes as they give up: the scheduler stops there.
GAVE_UP = threading.Event()


@contextmanager
def _scheduler(url: str, until: float) -> Iterator[set[int]]:
    """
    Start a newer sync on each connection whose first job has ended, until monotonic *until*
    or :data:`GAVE_UP`, as a schedule would, in a thread of its own; yield the ids of the jobs
    it started.
    """
    started: set[int] = set()
    stop = GAVE_UP
    stop.clear()

    async def run() -> None:
        done: set[str] = set()

        async def start(client: AirbyteClient, cid: str) -> None:
            with suppress(AirbyteError):
                started.add((await client.connections.sync(connection_id=cid)).id)

        async with _client(url) as client, anyio.create_task_group() as tg:
            while not stop.is_set() and time.monotonic() < until:
                stats = await anyio.to_thread.run_sync(emulator_stats, url)
                for cid, ids in stats["jobs_by_connection"].items():
                    ended = stats["job_statuses"][str(ids[0])] in ("succeeded", "failed")
                    if cid not in done and ended:
                        done.add(cid)
                        tg.start_soon(start, client, cid)
                await anyio.sleep(0.05)

    thread = threading.Thread(target=anyio.run, args=(run,))
    thread.start()
    try:
        yield started
    finally:
        stop.set()
        thread.join()


async def _counts(url: str, job_ids: list[int]) -> dict[int, tuple[Any, Any]]:
    """Each job's records and bytes as the server reads them."""
    counts: dict[int, tuple[Any, Any]] = {}
    async with _client(url) as client:
        for job_id in job_ids:
            job = await client.jobs.get(job_id=job_id)
            counts[job_id] = (job.records_synced, job.bytes_synced)
    return counts


def _check(
    results: Results, stats: dict[str, Any], scheduled: set[int], counts: dict[int, Any]
) -> dict[str, int]:
    """Every result against the server's ground truth; each count must be 0."""
    real = {int(k): v for k, v in stats["job_statuses"].items()}
    jobs = stats["jobs_by_connection"]
    ours = {r["job_id"] for r in results if r["cancel_requested"]}
    WRONG.clear()
    SHARED.clear()
    wrong_outcome = wrong_job = wrong_counts = 0
    for r in results:
        mine = [j for j in jobs.get(r["connection_id"], []) if j not in scheduled]
        job_id, outcome = r["job_id"], r["outcome"]
        if job_id is None:
            wrong_job += bool(mine)  # a job exists, the result does not name it
            continue
        # A rerun may adopt the scheduler's job, or share it (see the module's docstring);
        # nothing else may name it.
        if job_id in scheduled and not r["attached"]:
            SHARED.append(job_id)
        wrong_job += job_id not in mine and job_id not in scheduled
        status = real.get(job_id)
        if outcome in ("succeeded", "failed"):
            wrong = status != outcome
        elif outcome in ("cancelled", "timed_out"):
            wrong = status in ("succeeded", "failed")
        else:
            wrong = False
        wrong_outcome += wrong
        if wrong:
            told = f"{outcome}/{r['status']}" + "/may still run" * r["left_running"]
            WRONG[f"told {told}, was {status}"] += 1
        if outcome == "succeeded" and counts.get(job_id) != (
            r["records_synced"],
            r["bytes_synced"],
        ):
            wrong_counts += 1
            told = "unknown" if r["records_synced"] is None else "other"
            WRONG[f"records/bytes told {told}"] += 1
    return {
        "outcome": wrong_outcome,
        "job id": wrong_job,
        "records/bytes": wrong_counts,
        "cancelled, not asked": sum(
            1 for j, s in real.items() if s == "cancelled" and j not in ours
        ),
        "scheduled cancelled": sum(1 for j in scheduled if real.get(j) == "cancelled"),
    }


def _overlapping(stats: dict[str, Any]) -> int:
    """Duplicated syncs: jobs of one connection created while another of its jobs still ran."""
    times = stats["job_times"]
    duplicates = 0
    for ids in stats["jobs_by_connection"].values():
        spans = sorted(times[str(j)] for j in ids)
        duplicates += sum(1 for a, b in itertools.pairwise(spans) if b[0] < a[1])
    return duplicates


def main() -> None:
    """One fresh emulator per mode; a row per mode."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--connections", type=int, default=300)
    parser.add_argument("--max-running", type=int, default=100)
    parser.add_argument("--after", type=float, default=2.5, help="seconds before giving up")
    parser.add_argument("--trigger-latency", type=float, default=0.3)
    parser.add_argument("--cancel-latency", type=float, default=0.2)
    parser.add_argument(
        "--trigger-capacity", type=int, default=25, help="the emulator's scheduler threads"
    )
    parser.add_argument(
        "--settle", type=float, default=3.0, help="seconds after the return the jobs are read"
    )
    parser.add_argument(
        "--api",
        choices=["config", "public"],
        default="config",
        help="the API the batch speaks (public: a head emulator, DELETE /jobs/{id} to cancel)",
    )
    parser.add_argument("--faults", metavar="JSON", help="the emulator's faults from its start")
    parser.add_argument("--seed", type=int, default=0, help="the emulator's seed")
    parser.add_argument(
        "--modes",
        default=",".join(MODE_NAMES),
        help=f"the rows to run, comma-separated among {', '.join(MODE_NAMES)}",
    )
    args = parser.parse_args()
    rows = []
    wanted = [MODE_NAMES[m] for m in args.modes.split(",")]
    for name, mode in MODES.items():
        if name not in wanted:
            continue
        flags = (
            *("--connections", str(args.connections), "--sync-duration", "1", "6"),
            *("--trigger-latency", str(args.trigger_latency)),
            *("--cancel-latency", str(args.cancel_latency)),
            *("--trigger-capacity", str(args.trigger_capacity)),
            *(("--airbyte-version", "head") if args.api == "public" else ()),
            *(("--faults", args.faults) if args.faults else ()),
            *("--seed", str(args.seed)),
        )
        with emulator_process(*flags) as url:
            started = time.monotonic()
            # The CLI modes start later (a process of their own) and say when they give up.
            until = started + (args.after if asyncio.iscoroutinefunction(mode) else 600)
            with _scheduler(url, until) as scheduled:
                if asyncio.iscoroutinefunction(mode):
                    what, results = anyio.run(mode, url, args.after, args.max_running, args.api)
                else:
                    what, results = mode(url, args.after, args.max_running, args.api)
            elapsed = time.monotonic() - started
            time.sleep(args.settle)
            stats = emulator_stats(url)
            succeeded = [r["job_id"] for r in results if r["outcome"] == "succeeded"]
            counts = anyio.run(_counts, url, succeeded)
        checks = _check(results, stats, scheduled, counts)
        statuses = list(stats["job_statuses"].values())
        rows.append(
            [
                name,
                stats["jobs_created"] - len(scheduled),
                len(scheduled),
                statuses.count("cancelled"),
                sum(
                    1
                    for r in results
                    if r["outcome"] in ("succeeded", "failed")
                    and r["cancel_requested"] is False
                    and r["job_id"]
                ),
                sum(
                    1
                    for j, s in stats["job_statuses"].items()
                    if s in _LIVE and int(j) not in scheduled
                ),
                sum(1 for s in statuses if s in _LIVE),
                _overlapping(stats),
                sum(checks.values()),
                checks["cancelled, not asked"] + checks["scheduled cancelled"],
                elapsed,
                stats["max_in_flight_cancels"],
                what,
            ]
        )
        print(
            f"{name}: {checks}; wrong outcomes: {dict(WRONG)}; "
            f"shared with the scheduler: {len(SHARED)}",
            flush=True,
        )
    print(
        f"\n{args.api} API, {args.connections} connections of 1-6 s syncs, triggers of "
        f"{args.trigger_latency:g} s, cancels of {args.cancel_latency:g} s, "
        f"{args.trigger_capacity} scheduler threads, "
        f"max_running={args.max_running}, "
        f"given up after {args.after:g} s\n"
    )
    print_table(
        [
            "how",
            "jobs",
            "scheduled",
            "cancelled",
            "ended",
            "ours left running",
            "left running",
            "duplicates",
            "mismatches",
            "wrongly cancelled",
            "s",
            "cancels",
            "caller saw",
        ],
        rows,
    )


if __name__ == "__main__":
    main()
