"""The benchmarks' shared measurement: what it reports is what happened in the block."""

from __future__ import annotations

import gc
import importlib.util
from pathlib import Path
from types import ModuleType

HARNESS = Path(__file__).resolve().parents[1] / "benchmarks" / "_harness.py"


def _harness() -> ModuleType:
    spec = importlib.util.spec_from_file_location("benchmark_harness", HARNESS)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


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
