"""
Server outages in the middle of a batch: what each sync's result says once the server is back.

Each row runs a batch against a fresh emulator (in this process) whose API restarts and
refuses connections for ``downtime`` seconds, ``at`` seconds after the batch began, as a
restart or an upgrade of Airbyte's server would (or, for "proxy 502s", whose every answer is
a proxy's 502 meanwhile, as nginx answers while the server behind it restarts); the syncs
keep running meanwhile, as they do on Airbyte, whose syncs run apart from its server. Syncs
take a seeded 2 to 5 s, triggers 0.2 s. The table gives the batch's time, its outcomes, and
the checks against the emulator's ground truth: duplicated syncs, connections never synced,
and results whose outcome is not the job's real status (an ``error`` result for a job that
ran counts there).

    python benchmarks/outage.py
    python benchmarks/outage.py --scenario "mid batch"

A run takes about three minutes, most of it the outages themselves.
"""

from __future__ import annotations

import argparse
import sys
import time
from collections import Counter
from pathlib import Path
from typing import Any

import anyio
import attrs

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _harness import print_table

from airbyte_async import AirbyteClient, NoAuth
from airbyte_async.orchestrator import Orchestrator, Outcome, Selection
from airbyte_async.testing import Emulator

_STATUS_OF = {
    Outcome.SUCCEEDED: "succeeded",
    Outcome.FAILED: "failed",
    Outcome.CANCELLED: "cancelled",
}


@attrs.frozen
class Scenario:
    """One outage: where it falls in a batch, and for how long."""

    name: str
    api: str
    connections: int
    max_running: int
    at: float
    downtime: float
    #: "restart": connections refused; "proxy": a proxy in front answers 502 to everything.
    kind: str = "restart"


SCENARIOS = (
    Scenario("first wave", "config", 400, 400, 0.3, 30.0),
    Scenario("mid batch", "config", 300, 100, 3.0, 60.0),
    Scenario("public API", "public", 300, 300, 0.5, 30.0),
    Scenario("proxy 502s", "config", 300, 100, 3.0, 30.0, kind="proxy"),
)


async def run(scenario: Scenario, seed: int) -> dict[str, Any]:
    """One batch through one outage; its figures and checks."""
    emulator = Emulator(
        airbyte_version="head" if scenario.api == "public" else "0.50",
        connections=scenario.connections,
        seed=seed,
        sync_duration=(2.0, 5.0),
        trigger_latency=0.2,
    )
    async with (
        emulator,
        AirbyteClient(emulator.url, auth=NoAuth(), env={}, api=scenario.api) as client,
    ):
        orchestrator = Orchestrator(client, max_running=scenario.max_running)
        began = time.monotonic()
        async with anyio.create_task_group() as tg:

            async def outage() -> None:
                await anyio.sleep(scenario.at)
                if scenario.kind == "restart":
                    await emulator.restart(downtime=scenario.downtime)
                    return
                emulator.set_faults([{"kind": "proxy_error", "status": 502}])
                await anyio.sleep(scenario.downtime)
                emulator.set_faults(None)

            tg.start_soon(outage)
            results = await orchestrator.run(Selection(all_workspaces=True))
            elapsed = time.monotonic() - began
        stats = emulator.stats()
        real = {job_id: emulator.job_status(job_id) for job_id in stats.job_statuses}
    jobs = stats.jobs_by_connection
    outcomes = Counter(r.outcome.value for r in results)
    return {
        "s": elapsed,
        "succeeded": outcomes.get("succeeded", 0),
        "failed": outcomes.get("failed", 0),
        "errors": outcomes.get("error", 0),
        "duplicates": sum(len(ids) - 1 for ids in jobs.values() if len(ids) > 1),
        "missed": scenario.connections - len(jobs),
        "mismatched": sum(
            r.job_id is None or _STATUS_OF.get(r.outcome) != real.get(r.job_id) for r in results
        ),
    }


def main() -> None:
    """Run the scenarios asked for and print one row each."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--scenario", action="append", choices=[s.name for s in SCENARIOS])
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    chosen = [s for s in SCENARIOS if not args.scenario or s.name in args.scenario]
    rows = []
    for scenario in chosen:
        got = anyio.run(run, scenario, args.seed)
        rows.append(
            (
                scenario.name,
                scenario.api,
                f"{scenario.connections} / {scenario.max_running}",
                f"{scenario.downtime:.0f} s at {scenario.at} s",
                f"{got['s']:.1f}",
                got["succeeded"],
                got["failed"],
                got["errors"],
                got["duplicates"],
                got["missed"],
                got["mismatched"],
            )
        )
    print_table(
        [
            "scenario",
            "API",
            "syncs / at once",
            "down",
            "batch s",
            "succeeded",
            "failed",
            "error",
            "duplicates",
            "missed",
            "outcome != job",
        ],
        rows,
    )


if __name__ == "__main__":
    main()
