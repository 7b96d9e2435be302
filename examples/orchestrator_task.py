"""
Airbyte syncs as one task of Airflow, Dagster or Prefect: a plain, blocking function that syncs
the connections it is given, returns one JSON-ready result for each, and raises when any of
them did not succeed, so that the task fails and its scheduler's retries apply.

The waiting is the library's: every job is polled in the same few requests, a sync already
running (a schedule's) is joined rather than refused, a sync past *sync_timeout* is cancelled,
and when the task is stopped while it waits (Airflow's ``execution_timeout``, a SIGTERM turned
into an exception, a cancelled Dagster run or Prefect flow) the jobs it started are cancelled in
Airbyte before the exception leaves the function: nothing is left running behind a dead task.
Signals reach only a process's main thread: call it there, not from a pool's worker thread
(Prefect's ``task.submit``), where a SIGTERM leaves the batch waiting on, its jobs running.

A retry should not sync again what an earlier try synced: pass *adopt_since*, the first try's
start (a template renders it as text, which is taken too). A connection synced since then is
not triggered again: its sync, still running (the try was killed) or succeeded, is the
retry's, and only those that failed or were cancelled run again.

In Airflow (credentials from ``AIRBYTE_*`` in the worker's environment)::

    from airflow.operators.python import PythonOperator
    from orchestrator_task import sync_connections

    PythonOperator(
        task_id="airbyte_syncs",
        python_callable=sync_connections,
        op_args=[["9e6b4b4e-...", "1f2d3c4b-..."]],
        op_kwargs={"adopt_since": "{{ dag_run.start_date.isoformat() }}"},
        execution_timeout=timedelta(hours=3),
        retries=2,
    )

On its own, against an embedded Airbyte emulator with one connection that fails::

    python examples/orchestrator_task.py
"""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Mapping, Sequence
from functools import partial
from typing import Any

import anyio

from airbyte_async import AirbyteClient, Orchestrator, SyncResult
from airbyte_async.testing import Emulator


class SyncsFailed(RuntimeError):
    """Some connections did not sync; ``results`` holds every connection's result."""

    def __init__(self, results: Sequence[SyncResult]) -> None:
        bad = [r for r in results if not r.ok]
        names = ", ".join(f"{r.connection_name or r.connection_id} ({r.outcome})" for r in bad)
        super().__init__(f"{len(bad)} of {len(results)} syncs did not succeed: {names}")
        self.results = list(results)


def sync_connections(
    connection_ids: Sequence[str],
    *,
    sync_timeout: float = 3600.0,
    adopt_since: dt.datetime | str | None = None,
    url: str | None = None,
    env: Mapping[str, str] = os.environ,
) -> list[dict[str, Any]]:
    """
    Sync *connection_ids* (at most 20 at once, each within *sync_timeout* seconds) and return
    their results as dicts; raise :class:`SyncsFailed` when one did not succeed. *adopt_since*
    (an aware datetime, or ISO 8601 text with an offset) is the first try's start, for a retry.
    """
    if isinstance(adopt_since, str):
        adopt_since = dt.datetime.fromisoformat(adopt_since)
    results = anyio.run(partial(_sync, connection_ids, sync_timeout, adopt_since, url, env))
    for result in results:
        print(f"{result.connection_name or result.connection_id}: {result.outcome}")
    if not all(result.ok for result in results):
        raise SyncsFailed(results)
    return [result.to_json() for result in results]


async def _sync(
    connection_ids: Sequence[str],
    sync_timeout: float,
    adopt_since: dt.datetime | None,
    url: str | None,
    env: Mapping[str, str],
) -> list[SyncResult]:
    async with AirbyteClient(url, env=env) as client:
        orchestrator = Orchestrator(client, max_running=20, sync_timeout=sync_timeout, log_tail=20)
        return await orchestrator.run(connection_ids, adopt_since=adopt_since)


async def _demo_emulator() -> None:
    async with Emulator(connections=3, sync_duration=(0.5, 1.5)) as emulator:
        emulator.set_sync_plan(emulator.connection_ids[2], outcome="failed")
        print(f"(an embedded Airbyte emulator at {emulator.url})")
        try:
            done = await anyio.to_thread.run_sync(
                partial(sync_connections, emulator.connection_ids, url=emulator.url, env={})
            )
            print(f"all {len(done)} synced")
        except SyncsFailed as e:
            print(f"the task fails: {e}")


if __name__ == "__main__":
    anyio.run(_demo_emulator)
