"""
The ``airbyte-async`` command line; :func:`main` is the console script.

This module imports next to nothing: the command line itself (aiohttp, cattrs, the client and
the rest: about half a second) is imported by :func:`main`, so that a Ctrl-C during those
imports ends the program as a Ctrl-C does, not with a traceback.
"""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from collections.abc import Sequence

__all__ = ["main"]


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; returns the exit status (0, 1, 2, or 128 plus a signal's number:
    130 after Ctrl-C, 143 after SIGTERM, 129 after SIGHUP)."""
    try:
        from ._app import run
    except KeyboardInterrupt:
        print("airbyte-async: interrupted while starting: nothing was done", file=sys.stderr)
        return 130  # _common.EXIT_INTERRUPTED, which comes with what is not imported yet
    return run(argv)
