"""
Listings of many objects: the public API's pages read four at once, and a connection found by
name without decoding every catalog.

In this process, against an in-process emulator of *--connections* connections in one
workspace, *--runs* times each (min / median / max):

- the public API's ``connections.list`` (a head emulator, pages of 100), with the code's
  four pages at a time past the first and with one at a time (``PAGES_AT_ONCE = 1``), on the
  emulator as it answers and with *--page-delay* seconds added to each page (a ``latency``
  fault), as a remote server's round trip would;
- the Config API's ``connections.find`` of the last connection, against the listing that keeps
  every catalog: CPU of client and emulator together, and the tracemalloc peak of each call
  after the first (which also builds the converter's readers).

    python benchmarks/lists.py --connections 2000 --runs 5 --page-delay 0.1
"""

from __future__ import annotations

import argparse
import statistics
import time
import tracemalloc
from collections.abc import Awaitable, Callable

import anyio

from airbyte_async import AirbyteClient
from airbyte_async.resources import _public
from airbyte_async.testing import Emulator, Fault


def spread(values: list[float], unit: str, digits: int = 2) -> str:
    low, mid, high = min(values), statistics.median(values), max(values)
    return f"{low:.{digits}f} / {mid:.{digits}f} / {high:.{digits}f} {unit}"


async def public_lists(connections: int, runs: int, delay: float) -> None:
    async with (
        Emulator(airbyte_version="head", connections=connections) as emulator,
        AirbyteClient(emulator.url + "/api/public/v1", env={}) as client,
    ):
        [workspace_id] = emulator.workspace_ids

        async def listing() -> float:
            began = time.monotonic()
            listed = [c async for c in client.connections.list(workspace_id=workspace_id)]
            assert len(listed) == connections
            return time.monotonic() - began

        await listing()
        for added in (0.0, delay):
            route = "/public/v1/connections"
            faults = [Fault(kind="latency", route=route, delay=added)] if added else []
            emulator.set_faults(faults)
            for at_once in (4, 1):
                _public.PAGES_AT_ONCE = at_once
                walls = [await listing() for _ in range(runs)]
                print(
                    f"public connections.list, {added:g} s added per page, "
                    f"{at_once} page{'s' * (at_once > 1)} at a time: {spread(walls, 's')}"
                )
        _public.PAGES_AT_ONCE = 4


async def config_find(connections: int, runs: int) -> None:
    async with (
        Emulator(connections=connections) as emulator,
        AirbyteClient(emulator.url, env={}) as client,
    ):
        [workspace_id] = emulator.workspace_ids
        last = f"conn-{connections - 1:05d}"

        async def find() -> object:
            return await client.connections.find(workspace_id=workspace_id, name=last)

        async def every() -> object:
            return [c async for c in client.connections.list(workspace_id=workspace_id)]

        calls: list[tuple[str, Callable[[], Awaitable[object]]]] = [
            ("connections.find", find),
            ("every catalog kept", every),
        ]
        for label, call in calls:
            await call()
            cpus = []
            for _ in range(runs):
                began = time.process_time()
                await call()
                cpus.append((time.process_time() - began) * 1000)
            tracemalloc.start()
            await call()
            peak = tracemalloc.get_traced_memory()[1] / 1e6
            tracemalloc.stop()
            print(f"{label}: CPU {spread(cpus, 'ms', 0)}, peak {peak:.1f} MB")


def main() -> None:
    assert __doc__ is not None
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[1].strip())
    parser.add_argument("--connections", type=int, default=2000, help="connections listed")
    parser.add_argument("--runs", type=int, default=5, help="listings of each kind")
    parser.add_argument(
        "--page-delay", type=float, default=0.1, help="seconds added to each public page"
    )
    args = parser.parse_args()
    anyio.run(public_lists, args.connections, args.runs, args.page_delay)
    anyio.run(config_find, args.connections, args.runs)


if __name__ == "__main__":
    main()
