"""
The orchestrator's own CPU per sync, without HTTP: an in-process backend, beside a minimal loop.

Both contenders drive the same in-process backend (no HTTP, no emulator): a trigger takes
``--trigger-latency`` seconds and returns a running job, which ends a seeded 0.2 to 0.5 s
later; a listing returns the jobs that ended since the time asked. The orchestrator runs with
its defaults (trigger limit, watcher, results stream); the minimal loop is a semaphore, one
future per job and a listing every 0.1 s. What the orchestrator spends beyond the loop is what
orchestration costs per sync, apart from the HTTP client and the server. Runs alternate; the
table gives CPU microseconds per sync, min / median / max.

    python benchmarks/orchestration_overhead.py --syncs 4000 --runs 5
"""

from __future__ import annotations

import argparse
import asyncio
import bisect
import datetime as dt
import random
import statistics
import sys
import time
import uuid
from collections.abc import Callable, Collection, Mapping
from pathlib import Path

import attrs

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _harness import print_table

from airbyte_async import AirbyteClient, NoAuth
from airbyte_async._backend import JobChange, JobChanges, Paging
from airbyte_async.models import Job, JobStatus, JobType
from airbyte_async.orchestrator import Orchestrator, SyncTarget

_EPOCH = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)
_WORKSPACE = str(uuid.UUID(int=0xA1B))
_RUNNING = Job(
    id=0,
    job_type=JobType.SYNC,
    config_id="",
    status=JobStatus.RUNNING,
    created_at=_EPOCH,
    updated_at=_EPOCH,
)


class InProcessBackend:
    """Jobs that end on their own after a seeded duration; no HTTP anywhere."""

    def __init__(self, trigger_latency: float, seed: int) -> None:
        self.trigger_latency = trigger_latency
        self._rng = random.Random(seed)
        self._jobs = 0
        self._ends: list[tuple[float, int, Job]] = []  # (end, id, final job), by end

    def server_now(self) -> float:
        """The local clock stands for the server's."""
        return time.time()

    async def trigger(self, *, connection_id: str, job_type: JobType = JobType.SYNC) -> Job:
        """A running job, after the trigger latency."""
        await asyncio.sleep(self.trigger_latency)
        self._jobs += 1
        now = time.time()
        stamp = dt.datetime.fromtimestamp(now, dt.UTC)
        job = attrs.evolve(
            _RUNNING, id=self._jobs, config_id=connection_id, created_at=stamp, updated_at=stamp
        )
        end = now + self._rng.uniform(0.2, 0.5)
        final = attrs.evolve(
            job, status=JobStatus.SUCCEEDED, updated_at=dt.datetime.fromtimestamp(end, dt.UTC)
        )
        bisect.insort(self._ends, (end, job.id, final))
        return job

    async def changed_jobs(
        self,
        *,
        workspace_ids: Collection[str],
        since: dt.datetime,
        final_only: bool = False,
        created_since: dt.datetime | None = None,
        job_types: Collection[JobType] = (JobType.SYNC,),
    ) -> JobChanges:
        """The jobs that ended between *since* and now."""
        await asyncio.sleep(0)
        now = time.time()
        first = bisect.bisect_left(self._ends, (since.timestamp(), 0))
        last = bisect.bisect_right(self._ends, (now, sys.maxsize))
        changes = tuple(
            JobChange(job_id, JobStatus.SUCCEEDED, end, lambda final=final: final)
            for end, job_id, final in self._ends[first:last]
        )
        return JobChanges(changes, now)

    async def read_jobs(
        self,
        snapshots: Collection[Job],
        *,
        workspace_ids: Collection[str],
        each: bool = False,
        on_read: Callable[[Job], None] | None = None,
        paging: Paging | None = None,
    ) -> Mapping[int, Job]:
        """Not needed here: every end is listed."""
        return {}

    async def cancel(self, *, job_id: int) -> Job:
        """Not needed here: nothing is given up."""
        raise NotImplementedError

    async def jobs_since(
        self, *, connection_id: str, job_type: JobType = JobType.SYNC, began: float | None = None
    ) -> list[Job]:
        """Not needed here: no trigger fails."""
        return []


def _targets(n: int) -> list[SyncTarget]:
    return [SyncTarget(str(uuid.UUID(int=i + 1)), f"conn-{i}", _WORKSPACE) for i in range(n)]


async def _orchestrator(n: int, slots: int, latency: float, seed: int) -> float:
    async with AirbyteClient("http://127.0.0.1:9", auth=NoAuth(), env={}) as client:
        backend = InProcessBackend(latency, seed)
        orchestrator = Orchestrator(client, max_running=slots, backend=backend)
        targets = _targets(n)
        began = time.process_time()
        results = await orchestrator.run(targets)
        spent = time.process_time() - began
    assert sum(r.ok for r in results) == n
    return spent


async def _loop(n: int, slots: int, latency: float, seed: int) -> float:
    backend = InProcessBackend(latency, seed)
    targets = _targets(n)
    began = time.process_time()
    slot = asyncio.Semaphore(slots)
    waiting: dict[int, asyncio.Future[Job]] = {}
    loop = asyncio.get_running_loop()

    async def sync(target: SyncTarget) -> Job:
        async with slot:
            job = await backend.trigger(connection_id=target.connection_id)
            done = waiting[job.id] = loop.create_future()
            return await done

    async def poll() -> None:
        since = time.time() - 1
        while True:
            await asyncio.sleep(0.1)
            changed = await backend.changed_jobs(
                workspace_ids=(), since=dt.datetime.fromtimestamp(since, dt.UTC)
            )
            since = changed.started
            for change in changed.changes:
                future = waiting.pop(change.id, None)
                if future is not None:
                    future.set_result(change.job())

    poller = asyncio.create_task(poll())
    results = await asyncio.gather(*(sync(t) for t in targets))
    poller.cancel()
    spent = time.process_time() - began
    assert all(j.status is JobStatus.SUCCEEDED for j in results)
    return spent


def main() -> None:
    """Alternate the contenders for ``--runs`` runs each and print CPU per sync."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--syncs", type=int, default=4000)
    parser.add_argument("--max-running", type=int, default=500)
    parser.add_argument("--trigger-latency", type=float, default=0.02)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    spent: dict[str, list[float]] = {"minimal loop": [], "orchestrator": []}
    for _ in range(args.runs):
        for name, contender in (("minimal loop", _loop), ("orchestrator", _orchestrator)):
            cpu = asyncio.run(
                contender(args.syncs, args.max_running, args.trigger_latency, args.seed)
            )
            spent[name].append(1e6 * cpu / args.syncs)
    print(
        f"\n{args.syncs} syncs, max_running={args.max_running}, trigger latency "
        f"{args.trigger_latency:g} s, {args.runs} runs: CPU µs per sync, min / median / max\n"
    )
    rows = [
        [name, "/".join(f"{v:.0f}" for v in (min(vs), statistics.median(vs), max(vs)))]
        for name, vs in spent.items()
    ]
    extra = [o - b for b, o in zip(spent["minimal loop"], spent["orchestrator"], strict=True)]
    rows.append(
        [
            "orchestrator - loop, same run",
            "/".join(f"{v:.0f}" for v in (min(extra), statistics.median(extra), max(extra))),
        ]
    )
    print_table(["contender", "cpu µs / sync"], rows)


if __name__ == "__main__":
    main()
