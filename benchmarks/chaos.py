"""
Chaos: a batch of syncs through every fault the emulator can inject, checked against its ground
truth.

1,000 connections (``--connections``) are synced by the orchestrator while the emulator
injects, at the seeded rates below, 5xx answers, 429s with and without ``Retry-After``,
latency, answers slower than the client's timeout, connections reset before and after the
server acted, sync triggers whose answer is lost (the job starts, the client times out), HTML
proxy pages, truncated JSON, answers cut halfway through their body, tokens that expire (every
3 s) or are revoked, server restarts, and answers delivered late but within the client's
timeout (sync triggers, reconcile listings and polls, whose jobs may have ended before the
answer is read). Triggers take 0.2 s, as on a quiet real server. The run passes when every
connection got exactly one job and, connection by connection, its result names that job, its
outcome is the job's real final status, and a succeeded job's records and bytes are the
server's; when no job was cancelled that the batch did not start or that had already ended;
nothing raised; and the run ended. Prints a table of faults injected and the checks.

    python benchmarks/chaos.py --connections 1000 --seed 1
    python benchmarks/chaos.py --connections 1000 --seed 1 --api public

``--disable N`` sets N connections (a seeded choice) ``inactive`` ``--disable-at`` seconds into
the batch, as a user in Airbyte's UI would, behind the faults' back; the batch takes inactive
connections too. Such a connection's trigger sent after that is refused, and its result must be
an error saying only active connections sync, with no job; a job that ran meanwhile ends as its
next attempt starts (give ``--attempts``): cancelled from 1.7 on, "succeeded" on 0.x, whose
result must then be ``cancelled``; a job that had ended is left be.

``--timeout`` sets the client's per-request timeout, ``--version`` the emulator's Airbyte
version, ``--attempts`` the attempts a failing sync makes (``--retry-backoff`` seconds apart
at first), and ``--faults`` adds faults to the bad day's, e.g. every job listing slower than the
client's timeout for twenty seconds from the fifth::

    python benchmarks/chaos.py --seed 1 --faults '{"kind": "latency", "delay": 3,
        "route": "jobs/list_for_workspaces", "after": 5, "lasting": 20}'

With ``--api public`` the client speaks the public REST API to a head emulator, and the faults
of the trigger and job routes hit ``/public/v1/jobs`` (``POST`` triggers and ``GET`` polls alike)
and ``/public/v1/jobs/{jobId}``.
"""

from __future__ import annotations

import argparse
import logging
import random
import sys
import time
from collections import Counter
from pathlib import Path
from typing import Any

import anyio
import attrs

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _harness import print_table

from airbyte_async import AirbyteClient, BasicAuth, ClientCredentials
from airbyte_async.errors import TransportError
from airbyte_async.orchestrator import Orchestrator, Outcome, Selection
from airbyte_async.testing import (
    Emulator,
    RequireBasic,
    RequireClientCredentials,
    parse_faults,
)

#: The faults of a bad day, with the share of requests each one hits.
FAULTS: list[dict[str, Any]] = [
    {"kind": "error", "route": "connections/sync", "status": 502, "rate": 0.03},
    {"kind": "error", "route": "connections/sync", "status": 504, "rate": 0.02},
    {"kind": "error", "route": "jobs/*", "status": 500, "rate": 0.03},
    {"kind": "error", "route": "*", "status": 503, "rate": 0.02},
    {"kind": "rate_limit", "route": "*", "rate": 0.02, "retry_after": 0.2},
    {"kind": "rate_limit", "route": "*", "rate": 0.02},
    {"kind": "latency", "route": "*", "rate": 0.05, "delay": 0.2},
    {"kind": "slow", "route": "jobs/*", "rate": 0.01, "delay": 3.0},
    {"kind": "reset_before", "route": "*", "rate": 0.02},
    {"kind": "reset_after", "route": "connections/sync", "rate": 0.03},
    {"kind": "hang_after", "route": "connections/sync", "rate": 0.03},
    {"kind": "proxy_error", "route": "*", "rate": 0.02},
    {"kind": "truncated_json", "route": "*", "rate": 0.02},
    {"kind": "token_expiry", "route": "*", "rate": 0.003},
    {"kind": "restart", "every": 5.0, "downtime": 0.3},
    # Within the 1 s client timeout, on top of the 0.2 s a trigger takes.
    {"kind": "late", "route": "connections/sync", "rate": 0.05, "delay": 0.2, "max_delay": 0.6},
    {"kind": "late", "route": "jobs/list", "rate": 0.05, "delay": 0.2, "max_delay": 0.7},
    {
        "kind": "late",
        "route": "jobs/list_for_workspaces",
        "rate": 0.05,
        "delay": 0.2,
        "max_delay": 0.7,
    },
    # Last, so that the faults above draw as they did before it came: an answer cut halfway
    # through its body once the server acted (a trigger's job started, a cancel sent).
    {"kind": "cut_body", "route": "*", "rate": 0.02},
]

#: The public API's routes for the Config API's ones the faults name.
_PUBLIC_ROUTES = {
    "connections/sync": "/public/v1/jobs",
    "jobs/list": "/public/v1/jobs",
    "jobs/list_for_workspaces": "/public/v1/jobs",
    "jobs/*": "/public/v1/jobs*",
}


def faults_for(api: str) -> list[dict[str, Any]]:
    """:data:`FAULTS`, aimed at the routes of *api* (``"config"`` or ``"public"``)."""
    if api == "config":
        return FAULTS
    return [
        {**f, "route": _PUBLIC_ROUTES.get(f["route"], f["route"])} if "route" in f else f
        for f in FAULTS
    ]


_STATUS_OF = {
    Outcome.SUCCEEDED: "succeeded",
    Outcome.FAILED: "failed",
    Outcome.CANCELLED: "cancelled",
    Outcome.TIMED_OUT: "cancelled",
}


async def chaos(
    connections: int,
    seed: int,
    max_running: int,
    api: str = "config",
    timeout: float = 1.0,
    version: str | None = None,
    extra: list[dict[str, Any]] | None = None,
    attempts: int = 1,
    retry_backoff: float = 10.0,
    disable: int = 0,
    disable_at: float = 3.0,
) -> bool:
    """
    Run the batch under faults (*extra* faults after those of :func:`faults_for`), the client's
    per-request *timeout* in seconds, against an emulator of *version* (by default head for the
    public API, 0.50 for the Config API), whose failing syncs make *attempts* attempts,
    *retry_backoff* seconds apart at first, *disable* connections of which are set inactive
    *disable_at* seconds in; print the tables; True when every check holds.
    """
    emulator_version = version or ("head" if api == "public" else "0.50")
    # Tokens live 3 s: the client renews them many times during the run, as over a long day.
    # 0.40 has no token route: its nginx asked for basic auth (API-FACTS 0), and
    # token_expiry then finds no token to revoke.
    auth: RequireBasic | RequireClientCredentials
    credentials: BasicAuth | ClientCredentials
    if emulator_version == "0.40":
        auth = RequireBasic("chaos-user", "chaos-password")
        credentials = BasicAuth("chaos-user", "chaos-password")
    else:
        auth = RequireClientCredentials("chaos-client", "chaos-secret", token_lifetime=3.0)
        credentials = ClientCredentials("chaos-client", "chaos-secret")
    emulator = Emulator(
        airbyte_version=emulator_version,
        connections=connections,
        workspaces=3,
        seed=seed,
        sync_duration=(0.5, 2.0),
        failure_rate=0.1,
        attempts=attempts,
        retry_backoff=retry_backoff,
        trigger_latency=0.2,
        auth=auth,
        faults=[*faults_for(api), *(extra or [])],
        record_requests=True,
    )
    disabled = set(random.Random(seed).sample(emulator.connection_ids, disable))
    started = time.monotonic()
    raised: BaseException | None = None
    results = []
    async with emulator:
        client = AirbyteClient(
            emulator.url,
            auth=credentials,
            timeout=timeout,
            env={},
            api=api,
        )
        async with client:
            orchestrator = Orchestrator(client, max_running=max_running, max_triggers=20)
            selection = Selection(all_workspaces=True, include_inactive=bool(disabled))
            try:
                async with anyio.create_task_group() as tg:
                    if disabled:
                        tg.start_soon(_disable, emulator, sorted(disabled), disable_at)
                    results = await orchestrator.run(selection)
                    tg.cancel_scope.cancel()
            except Exception as e:  # the check below reports it; the run must not raise
                raised = e
            elapsed = time.monotonic() - started
            emulator.set_faults(None)
            await _answering(client)
            stats = emulator.stats()
            real = {job_id: emulator.job_status(job_id) for job_id in stats.job_statuses}
            ended_disabled = {
                job_id
                for ids in stats.jobs_by_connection.values()
                for job_id in ids
                if _ended_by_disable(emulator, job_id)
            }
            counts = await _counts(client, [r.job_id for r in results if r.ok and r.job_id])
        cancels = [
            r.body["id"] for r in emulator.requests if r.route == "/v1/jobs/cancel" and r.body
        ]

    jobs = stats.jobs_by_connection
    duplicates = sum(len(ids) - 1 for ids in jobs.values() if len(ids) > 1)
    # A connection disabled before its trigger gets no job, and its result must say why.
    refused = [r for r in results if r.connection_id in disabled and r.connection_id not in jobs]
    told_refused = [
        r
        for r in refused
        if r.outcome is Outcome.ERROR and "an active connection" in (r.error or "")
    ]
    missed = connections - len(jobs) - len(told_refused)
    no_job = {r.connection_id for r in refused}
    mismatched = [
        r
        for r in results
        if r.connection_id not in no_job
        and (r.job_id is None or _expected(r, real, ended_disabled))
    ]
    wrong_job = [
        r
        for r in results
        if r.connection_id not in no_job and r.job_id not in jobs.get(r.connection_id, [])
    ]
    wrong_counts = [
        r
        for r in results
        if r.ok and r.job_id and counts.get(r.job_id) != (r.records_synced, r.bytes_synced)
    ]
    ours = {r.job_id for r in results if r.cancel_requested and not r.attached}
    cancelled_not_ours = [
        j
        for j, status in real.items()
        if status == "cancelled" and j not in ours and j not in ended_disabled
    ]
    cancels_of_ended = [j for j in cancels if real.get(j) != "cancelled"]
    print(
        f"\n{connections} connections, {api} API ({emulator_version}), seed {seed}, "
        f"{elapsed:.1f} s, client timeout {timeout:g} s, failing syncs make {attempts} "
        f"attempt(s)"
        + (f", {len(disabled)} disabled at {disable_at:g} s" if disabled else "")
        + "\n"
    )
    print_table(
        ["fault", "injected"],
        [
            *sorted(stats.faults_injected.items(), key=lambda kv: -kv[1]),
            ("restarts", stats.restarts),
            ("requests in all", stats.total_requests),
            ("requests per job", f"{stats.total_requests / max(1, stats.jobs_created):.2f}"),
        ],
    )
    print()
    outcomes = Counter(r.outcome.value for r in results)
    if disabled:
        print(
            f"disabled: {len(refused)} refused ({len(told_refused)} saying why), "
            f"{len(ended_disabled)} jobs ended by it, "
            f"{len(disabled) - len(refused) - len(ended_disabled)} jobs it did not end\n"
        )
    checks = [
        ("results", len(results), connections),
        ("duplicated syncs", duplicates, 0),
        ("missed syncs", missed, 0),
        ("outcome != job's real status", len(mismatched), 0),
        ("job id != the connection's job", len(wrong_job), 0),
        ("records or bytes != the server's", len(wrong_counts), 0),
        ("jobs cancelled the batch did not start", len(cancelled_not_ours), 0),
        ("cancels sent for jobs that had ended", len(cancels_of_ended), 0),
        ("unhandled exception", repr(raised) if raised else "none", "none"),
    ]
    print_table(
        ["check", "measured", "wanted"],
        [(name, got, want) for name, got, want in checks],
    )
    print("\noutcomes: " + ", ".join(f"{k} {v}" for k, v in sorted(outcomes.items())))
    for r in refused[:3]:
        print(f"  refused: {r.connection_id} {r.outcome} {r.error}")
    for r in mismatched[:5]:
        how = "disabled, " * (r.connection_id in disabled) + f"was {real.get(r.job_id)}"
        print(f"  mismatch: {r.connection_id} job {r.job_id} {r.outcome} ({how}) {r.error}")
    return all(got == want for _, got, want in checks)


def _expected(r: Any, real: dict[int, str], ended_disabled: set[int]) -> bool:
    """True when *r*'s outcome is not its job's: a job that its connection's disable ended
    reads ``succeeded`` on 0.x, whose result must be ``cancelled``."""
    if r.job_id in ended_disabled:
        return r.outcome is not Outcome.CANCELLED
    return _STATUS_OF.get(r.outcome) != real.get(r.job_id)


def _ended_by_disable(emulator: Emulator, job_id: int) -> bool:
    """True when job *job_id* ended as an attempt found its connection inactive."""
    # The emulator's ground truth, which no route tells apart from a sync's end on 0.x.
    state = emulator._state
    cut = state._disabled_cuts.get(job_id)
    return cut is not None and cut == state.job(job_id).final_at


async def _disable(emulator: Emulator, connection_ids: list[str], after: float) -> None:
    """Set *connection_ids* inactive *after* seconds from now, as a user in Airbyte's UI
    would: straight into the emulator's state, which the faults do not touch."""
    await anyio.sleep(after)
    state = emulator._state
    for connection_id in connection_ids:
        state.replace_connection(attrs.evolve(state.connection(connection_id), status="inactive"))


async def _answering(client: AirbyteClient) -> None:
    """
    Return once the server answers again: a restart under way when the faults went off runs
    out its downtime, and the batch may have spent the client's retry budget, so the reads
    that check the results would fail on the first refused connection.
    """
    with anyio.fail_after(30):
        while True:
            try:
                await client.health()
            except TransportError:
                await anyio.sleep(0.05)
            else:
                return


async def _counts(client: AirbyteClient, job_ids: list[int]) -> dict[int, tuple[Any, Any]]:
    """Each job's records and bytes as the server reads them (faults off)."""
    counts: dict[int, tuple[Any, Any]] = {}
    readers = anyio.CapacityLimiter(20)

    async def one(job_id: int) -> None:
        async with readers:
            job = await client.jobs.get(job_id=job_id)
        counts[job_id] = (job.records_synced, job.bytes_synced)

    async with anyio.create_task_group() as tg:
        for job_id in job_ids:
            tg.start_soon(one, job_id)
    return counts


def main() -> None:
    """Parse arguments and run; exit 1 when a check fails."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--connections", type=int, default=1000)
    parser.add_argument("--max-running", type=int, default=200)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--api", choices=["config", "public"], default="config")
    parser.add_argument(
        "--timeout",
        type=float,
        default=1.0,
        help="the client's per-request timeout in seconds (the late answers fit within 1 s)",
    )
    parser.add_argument(
        "--version",
        default=None,
        help="the emulator's Airbyte version (default: head for the public API, 0.50 otherwise)",
    )
    parser.add_argument(
        "--faults",
        metavar="JSON",
        help="more faults, after the bad day's (JSON, as airbyte-async emulator --faults)",
    )
    parser.add_argument(
        "--attempts",
        type=int,
        default=1,
        help="the attempts a failing sync makes (the emulator's --attempts)",
    )
    parser.add_argument(
        "--disable",
        type=int,
        default=0,
        help="connections set inactive during the batch (a seeded choice)",
    )
    parser.add_argument(
        "--disable-at",
        type=float,
        default=3.0,
        help="seconds into the batch the --disable connections are set inactive",
    )
    parser.add_argument(
        "--retry-backoff",
        type=float,
        default=10.0,
        help="seconds between a failing sync's first two attempts (the emulator's)",
    )
    args = parser.parse_args()
    extra = [f.to_dict() for f in parse_faults(args.faults)] if args.faults else None
    # stamina warns of every retry on its own logger; the checks below are the report here.
    logging.getLogger("stamina").addHandler(logging.NullHandler())
    ok = anyio.run(
        chaos,
        args.connections,
        args.seed,
        args.max_running,
        args.api,
        args.timeout,
        args.version,
        extra,
        args.attempts,
        args.retry_backoff,
        args.disable,
        args.disable_at,
    )
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
