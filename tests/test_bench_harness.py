"""The benchmarks' shared measurement: what it reports is what happened in the block."""

from __future__ import annotations

import gc
from types import ModuleType

from script_support import load_benchmark


def _harness() -> ModuleType:
    return load_benchmark("_harness")


def test_collections_inside_the_block_count_towards_its_gc_time() -> None:
    with _harness().measure() as m:
        for _ in range(20):
            gc.collect()
    assert 0 < m.gc <= m.cpu


def test_collections_after_the_block_do_not_count() -> None:
    with _harness().measure() as m:
        pass
    before = m.gc
    callbacks = len(gc.callbacks)
    gc.collect()
    assert m.gc == before
    assert len(gc.callbacks) == callbacks


def test_the_figures_reach_the_contenders_json_line() -> None:
    with _harness().measure() as m:
        sum(range(100_000))
    figures = m.as_dict()
    assert set(figures) == {"wall", "cpu", "sys", "gc", "peak_rss_mb"}
    assert 0 <= figures["sys"] <= figures["cpu"] + 0.01
