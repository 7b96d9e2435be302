"""The typing tests in tests/typing pass ``mypy --strict``: the public signatures hold."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


# A mypy process: 5 to 10 s from a cold cache, as on a fresh clone. `pytest -m slow` runs it.
@pytest.mark.slow
def test_the_typing_tests_pass_mypy_strict() -> None:
    """mypy --strict tests/typing reports no issue."""
    done = subprocess.run(
        [sys.executable, "-m", "mypy", "--strict", "tests/typing"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
    )

    assert done.returncode == 0, done.stdout + done.stderr
