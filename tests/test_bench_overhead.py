"""``benchmarks/orchestration_overhead.py``: both contenders still run a batch to its end."""

from __future__ import annotations

import asyncio

import pytest
from script_support import load_benchmark


@pytest.mark.parametrize("contender", ["_loop", "_orchestrator"])
def test_each_contender_syncs_every_connection_of_the_in_process_backend(contender: str) -> None:
    """The in-process backend keeps up with the orchestrator's backend protocol (it broke once
    unseen: a workspace id that was not a UUID, a read_jobs without paging)."""
    run = getattr(load_benchmark("orchestration_overhead"), contender)
    assert asyncio.run(run(20, 5, 0.0, 1)) >= 0
