"""``benchmarks/orchestrate.py``: what its flags change in the contenders' processes."""

from __future__ import annotations

import argparse
import json
import subprocess
import sys

import pytest
from script_support import ROOT, load_benchmark

SCRIPT = ROOT / "benchmarks" / "orchestrate.py"
EMULATOR = ("--connections", "3", "--sync-duration", "0.05", "0.1", "--trigger-latency", "0.01")


@pytest.mark.parametrize("text", ["1,x", "1,2,3,4", "-1", ""])
def test_a_malformed_gc_threshold_is_refused_with_what_is_wrong(text: str) -> None:
    with pytest.raises(argparse.ArgumentTypeError, match=repr(text)):
        load_benchmark("orchestrate")._thresholds(text)


@pytest.mark.parametrize("role", ["baseline", "orchestrator"])
def test_gc_threshold_is_set_in_the_contenders_process(role: str) -> None:
    """Each contender, raw or airbyte-async, runs its batch with the thresholds asked for."""
    with load_benchmark("_harness").emulator_process(*EMULATOR) as url:
        contender = [sys.executable, str(SCRIPT), "--role", role, "--url", url]
        flags = ["--max-running", "2", "--gc-threshold", "1234,5,6"]
        done = subprocess.run([*contender, *flags], capture_output=True, text=True, timeout=120)

    assert done.returncode == 0, done.stderr
    line = json.loads(done.stdout.splitlines()[-1])
    assert line["gc_threshold"] == [1234, 5, 6]
    assert line["results"] == 3
