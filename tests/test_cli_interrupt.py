"""Ctrl-C at any moment of ``airbyte-async``'s start, its imports included: exit 130, quietly."""

from __future__ import annotations

import signal
import subprocess
import sys
import time
import tomllib

import pytest
from script_support import ROOT

# Real processes: run by `pytest -m slow` (CI does).
pytestmark = pytest.mark.slow


def _console_script() -> list[str]:
    """The ``airbyte-async`` command as pip writes it, from pyproject.toml's entry point (an
    installed script may predate it)."""
    with (ROOT / "pyproject.toml").open("rb") as f:
        target = tomllib.load(f)["project"]["scripts"]["airbyte-async"]
    module, _, name = target.partition(":")
    code = f"import sys; from {module} import {name}; sys.exit({name}())"
    return [sys.executable, "-c", code]


@pytest.mark.parametrize("after", [0.05, 0.1, 0.15, 0.2, 0.3, 0.45, 0.7])
def test_ctrl_c_while_starting_exits_130_without_a_traceback(after: float) -> None:
    """
    SIGINT *after* seconds into ``airbyte-async emulator`` (which serves until Ctrl-C): while
    the package imports (about a third of a second), while the command line starts, or once
    it serves, the process exits 130 (or dies of SIGINT, when it came before Python's own
    handler was set) with at most one short line on stderr, never a traceback.
    """
    proc = subprocess.Popen(
        [*_console_script(), "emulator", "--port", "0"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
        cwd=ROOT,
    )
    time.sleep(after)
    proc.send_signal(signal.SIGINT)
    _, stderr = proc.communicate(timeout=60)

    assert "Traceback" not in stderr, stderr
    assert len(stderr.strip().splitlines()) <= 1, stderr
    assert proc.returncode in (130, -signal.SIGINT), (proc.returncode, stderr)
