"""
Sync many connections from a script: every active connection of a workspace, at most 20 running
at once, each result printed as soon as it is final, and an exit status for cron or CI.

Against an embedded Airbyte emulator with 40 connections, a tenth of them failing (the
default)::

    python examples/bulk_sync.py

Against a real Airbyte, only the connections whose name matches a glob::

    AIRBYTE_URL=http://localhost:8000 AIRBYTE_TOKEN=... python examples/bulk_sync.py 'shop-*'
"""

from __future__ import annotations

import os
import sys

import anyio

from airbyte_async import AirbyteClient, OnRunning, Orchestrator, Selection, SyncResult
from airbyte_async.testing import Emulator


async def sync_workspace(
    client: AirbyteClient,
    workspace_id: str,
    *,
    name_glob: str | None = None,
    max_running: int = 20,
    sync_timeout: float = 2 * 3600,
    timeout: float = 6 * 3600,
) -> list[SyncResult]:
    """
    One sync for each active connection of the workspace (matching *name_glob*), printing each
    result as it comes; returns them all, in the order of the connections.
    """
    orchestrator = Orchestrator(
        client,
        max_running=max_running,  # syncs running on Airbyte at once
        max_triggers=5,  # connections/sync calls in flight at once
        sync_timeout=sync_timeout,  # one sync: past it, its job is cancelled (timed_out)
        timeout=timeout,  # the whole batch
        on_running=OnRunning.ATTACH,  # a sync already running is adopted, not an error
    )
    selection = Selection(workspace_id=workspace_id, name_glob=name_glob)
    async with orchestrator.stream(selection) as results:
        async for result in results:
            records = result.records_synced if result.records_synced is not None else "-"
            why = f"  ({result.failure_reason or result.error})" if not result.ok else ""
            print(f"{result.connection_name:<24} {result.outcome:<12} {records:>9} records{why}")
    return list(orchestrator.results.values())


def summarize(results: list[SyncResult]) -> int:
    """Print the totals; the exit status: 0 when every sync succeeded, 1 otherwise."""
    failed = [r for r in results if not r.ok]
    records = sum(r.records_synced or 0 for r in results)
    print(f"{len(results) - len(failed)}/{len(results)} succeeded, {records} records synced")
    return 1 if failed else 0


async def main(name_glob: str | None = None) -> int:
    """Run against ``AIRBYTE_URL`` when it is set, else against an embedded emulator."""
    if os.environ.get("AIRBYTE_URL"):
        async with AirbyteClient() as client:
            workspace = await client.workspaces.default()
            return summarize(
                await sync_workspace(client, workspace.workspace_id, name_glob=name_glob)
            )
    emulator = Emulator(connections=40, sync_duration=(0.2, 1.0), failure_rate=0.1, seed=3)
    async with emulator, AirbyteClient(emulator.url, env={}) as client:
        results = await sync_workspace(client, emulator.workspace_ids[0], name_glob=name_glob)
        return summarize(results)


if __name__ == "__main__":
    raise SystemExit(anyio.run(main, sys.argv[1] if len(sys.argv) > 1 else None))
