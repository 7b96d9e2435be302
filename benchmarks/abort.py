"""
Giving a batch up midway, every way a user can, and what is left running on Airbyte.

Each row starts a fresh emulator (in its own process) with ``--connections`` long syncs and
gives the batch up after ``--after`` seconds: by the orchestrator's own deadline, by the
caller's ``anyio.fail_after``, by cancelling the task, by SIGINT to ``airbyte-async sync``, and
by SIGKILL to it (which no program can clean up after) followed by a second run with
``--on-running attach`` that adopts the jobs the killed run left and starts the rest. The table
gives the jobs started, their statuses on the emulator at the end, and duplicated syncs.

    python benchmarks/abort.py --connections 300 --max-running 100
"""

from __future__ import annotations

import argparse
import asyncio
import json
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import anyio

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _harness import emulator_process, emulator_stats, print_table

from airbyte_async import AirbyteClient, NoAuth
from airbyte_async.orchestrator import Orchestrator, Selection


def _client(url: str) -> AirbyteClient:
    return AirbyteClient(url, auth=NoAuth(), env={})


async def _deadline(url: str, after: float, max_running: int) -> str:
    async with _client(url) as client:
        orchestrator = Orchestrator(client, max_running=max_running, timeout=after)
        results = await orchestrator.run(Selection(all_workspaces=True))
    return f"returned {len(results)} results"


async def _fail_after(url: str, after: float, max_running: int) -> str:
    async with _client(url) as client:
        try:
            with anyio.fail_after(after):
                await Orchestrator(client, max_running=max_running).run(
                    Selection(all_workspaces=True)
                )
        except TimeoutError:
            return "TimeoutError raised"
    return "finished?"


async def _cancel(url: str, after: float, max_running: int) -> str:
    async with _client(url) as client, anyio.create_task_group() as tg:
        tg.start_soon(
            Orchestrator(client, max_running=max_running).run, Selection(all_workspaces=True)
        )
        await anyio.sleep(after)
        tg.cancel_scope.cancel()
    return "task cancelled"


def _cli(url: str, max_running: int, *extra: str) -> subprocess.Popen[str]:
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


def _sigint(url: str, after: float, max_running: int) -> str:
    proc = _cli(url, max_running)
    _wait_for_jobs(url, max_running)
    time.sleep(max(0.0, after - 1))
    proc.send_signal(signal.SIGINT)
    out, _ = proc.communicate(timeout=120)
    return f"exit {proc.returncode}, {len(out.splitlines())} JSON lines"


def _sigkill_then_attach(url: str, after: float, max_running: int) -> str:
    proc = _cli(url, max_running)
    _wait_for_jobs(url, max_running)
    time.sleep(max(0.0, after - 1))
    proc.kill()
    proc.communicate(timeout=30)
    second = _cli(url, max_running, "--on-running", "attach")
    out, _ = second.communicate(timeout=600)
    attached = sum(1 for line in out.splitlines() if json.loads(line)["attached"])
    return f"killed; rerun exit {second.returncode}, adopted {attached}"


#: Each way of giving up, with the sync duration its emulator plays: the rerun after SIGKILL
#: waits for its syncs to end, so they are short there.
MODES: dict[str, tuple[Any, str]] = {
    "orchestrator timeout=": (_deadline, "600"),
    "anyio.fail_after": (_fail_after, "600"),
    "task group cancelled": (_cancel, "600"),
    "SIGINT to the CLI": (_sigint, "600"),
    "SIGKILL, then rerun (attach)": (_sigkill_then_attach, "4"),
}


def main() -> None:
    """One fresh emulator per mode; a row per mode."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--connections", type=int, default=300)
    parser.add_argument("--max-running", type=int, default=100)
    parser.add_argument("--after", type=float, default=2.0, help="seconds before giving up")
    args = parser.parse_args()
    rows = []
    for name, (mode, duration) in MODES.items():
        flags = ("--connections", str(args.connections), "--sync-duration", duration, duration)
        with emulator_process(*flags) as url:
            started = time.monotonic()
            if asyncio.iscoroutinefunction(mode):
                what = anyio.run(mode, url, args.after, args.max_running)
            else:
                what = mode(url, args.after, args.max_running)
            elapsed = time.monotonic() - started
            stats = emulator_stats(url)
        statuses = list(stats["job_statuses"].values())
        runs = [len(ids) for ids in stats["jobs_by_connection"].values()]
        rows.append(
            [
                name,
                stats["jobs_created"],
                statuses.count("cancelled"),
                statuses.count("succeeded"),
                sum(1 for s in statuses if s in ("running", "pending", "queued")),
                sum(n - 1 for n in runs if n > 1),
                elapsed,
                what,
            ]
        )
    print(
        f"\n{args.connections} connections of 10-minute syncs, max_running={args.max_running}, "
        f"given up after {args.after:g} s\n"
    )
    print_table(
        ["how", "jobs", "cancelled", "succeeded", "left running", "duplicates", "s", "caller saw"],
        rows,
    )


if __name__ == "__main__":
    main()
