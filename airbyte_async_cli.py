"""
The ``airbyte-async`` console script, outside the ``airbyte_async`` package on purpose.

Importing the package takes a third of a second or more (aiohttp, cattrs, the models), and a
Ctrl-C meanwhile would end the process with a traceback. This module imports nothing but the
standard library's ``signal`` before it takes over SIGINT: from then until the command line
handles Ctrl-C itself, and again once it has returned, Ctrl-C exits with status 130 quietly.
"""

from __future__ import annotations

import signal
from types import FrameType

__all__ = ["main"]

_EXIT_INTERRUPTED = 130


def _interrupted(signum: int, frame: FrameType | None) -> None:
    raise SystemExit(_EXIT_INTERRUPTED)


def main() -> int:
    """Run the command line (see :func:`airbyte_async.cli.main`), Ctrl-C quiet throughout."""
    signal.signal(signal.SIGINT, _interrupted)
    from airbyte_async.cli import main as run

    # The command line turns Ctrl-C into exit status 130 itself, KeyboardInterrupt included.
    signal.signal(signal.SIGINT, signal.default_int_handler)
    try:
        return run()
    finally:
        signal.signal(signal.SIGINT, _interrupted)
