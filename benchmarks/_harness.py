"""
What every benchmark shares: the emulator in its own process, contenders in their own
processes, and a table.

A contender is this same script run with ``--role NAME --url URL``: it does its work, then prints
one JSON line with what it measured of itself (wall seconds, CPU seconds, peak RSS).
"""

from __future__ import annotations

import asyncio
import gc
import json
import resource
import subprocess
import sys
import time
import urllib.request
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any

__all__ = [
    "Measured",
    "count_loop_turns",
    "emulator_process",
    "emulator_stats",
    "measure",
    "print_table",
    "run_contender",
    "wakeup_cost",
]


@contextmanager
def emulator_process(*flags: str) -> Iterator[str]:
    """Start ``airbyte-async emulator`` with *flags* on a free port; yield its base URL."""
    proc = subprocess.Popen(
        [sys.executable, "-m", "airbyte_async", "emulator", "--port", "0", *flags],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert proc.stdout is not None
        url = proc.stdout.readline().strip()
        if not url.startswith("http"):
            raise RuntimeError(f"the emulator did not start: {url!r}")
        yield url
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
        if proc.stdout is not None:
            proc.stdout.close()


def emulator_stats(url: str) -> dict[str, Any]:
    """The emulator's ground truth and counters (``GET /_emulator/stats``)."""
    with urllib.request.urlopen(f"{url}/_emulator/stats", timeout=30) as answer:
        stats: dict[str, Any] = json.load(answer)
        return stats


class Measured:
    """
    Wall time, CPU time and peak RSS of the current process around a block; of the CPU time,
    the system's share and the cyclic garbage collector's (timed by :data:`gc.callbacks`).
    """

    def __enter__(self) -> Measured:
        self.gc = 0.0
        self._gc_began = 0.0
        gc.callbacks.append(self._on_gc)
        self._sys = resource.getrusage(resource.RUSAGE_SELF).ru_stime
        self._wall = time.perf_counter()
        self._cpu = time.process_time()
        return self

    def __exit__(self, *exc: object) -> None:
        self.wall = time.perf_counter() - self._wall
        self.cpu = time.process_time() - self._cpu
        usage = resource.getrusage(resource.RUSAGE_SELF)
        gc.callbacks.remove(self._on_gc)
        self.sys = usage.ru_stime - self._sys
        # Linux reports kilobytes.
        self.peak_rss_mb = usage.ru_maxrss / 1024

    def _on_gc(self, phase: str, info: dict[str, int]) -> None:
        if phase == "start":
            self._gc_began = time.process_time()
        else:
            self.gc += time.process_time() - self._gc_began

    def as_dict(self) -> dict[str, float]:
        """The figures as a JSON-ready dict."""
        return {
            "wall": self.wall,
            "cpu": self.cpu,
            "sys": self.sys,
            "gc": self.gc,
            "peak_rss_mb": self.peak_rss_mb,
        }


def measure() -> Measured:
    """Measure a block: ``with measure() as m: ...``, then ``m.wall``, ``m.cpu``."""
    return Measured()


def count_loop_turns() -> Callable[[], int]:
    """
    Count the turns of every asyncio event loop of this process from now on; returns a
    function that reads the count.

    A turn is one pass of the loop: wait for sockets or timers, then run what is ready. On a
    virtual machine a turn that waited costs CPU even when it runs nothing (see
    :func:`wakeup_cost`), so a contender's CPU follows its turns as well as its work. The
    count wraps a private method of asyncio's base loop, in the contender's process only; every
    contender pays the same small price for it.
    """
    loop_class = asyncio.base_events.BaseEventLoop
    run_once = loop_class._run_once  # type: ignore[attr-defined]
    turns = 0

    def counted(self: asyncio.AbstractEventLoop) -> None:
        nonlocal turns
        turns += 1
        run_once(self)

    loop_class._run_once = counted  # type: ignore[attr-defined]
    return lambda: turns


def wakeup_cost(gap: float, wakeups: int) -> float:
    """
    Microseconds of this process's CPU per event-loop wakeup that runs nothing, after *gap*
    seconds asleep (the mean of *wakeups* of them): what each turn costs on this machine
    before any work.
    """

    async def sleep_often() -> float:
        began = time.process_time()
        for _ in range(wakeups):
            await asyncio.sleep(gap)
        return time.process_time() - began

    return 1e6 * asyncio.run(sleep_often()) / wakeups


def run_contender(script: str, role: str, url: str, *args: str) -> dict[str, Any]:
    """Run *script* as contender *role* in a fresh process and return its JSON line."""
    out = subprocess.run(
        [sys.executable, script, "--role", role, "--url", url, *args],
        check=True,
        capture_output=True,
        text=True,
    )
    lines = [line for line in out.stdout.splitlines() if line.startswith("{")]
    if not lines:
        raise RuntimeError(f"{role} printed no result:\n{out.stdout}\n{out.stderr}")
    result: dict[str, Any] = json.loads(lines[-1])
    return result


def print_table(headers: Sequence[str], rows: Sequence[Sequence[object]]) -> None:
    """A plain aligned table on stdout."""
    cells = [[str(h) for h in headers]] + [[_fmt(c) for c in row] for row in rows]
    widths = [max(len(row[i]) for row in cells) for i in range(len(headers))]
    for n, row in enumerate(cells):
        padded = [
            c.rjust(w) if i else c.ljust(w)
            for i, (c, w) in enumerate(zip(row, widths, strict=True))
        ]
        print("  ".join(padded))
        if n == 0:
            print("  ".join("-" * w for w in widths))


def _fmt(value: object) -> str:
    if isinstance(value, float):
        return f"{value:.3f}" if abs(value) < 100 else f"{value:.1f}"
    return str(value)
