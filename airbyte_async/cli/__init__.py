"""
The ``airbyte-async`` command line; :func:`main` is the console script.

This module imports next to nothing, and parsing the command line (:mod:`._parser`, the
standard library only) next to nothing more, so that ``--help`` and a usage error answer at
once. Then :func:`main` imports what runs the chosen command (aiohttp, cattrs, the client and
the rest: about half a second), so that a Ctrl-C or SIGTERM during those imports ends the
program with one line, not with a traceback or silently.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ._parser import build_parser
from ._starting import interrupted_while_starting, stop_on_sigterm

if TYPE_CHECKING:
    from collections.abc import Sequence

__all__ = ["main"]


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; returns the exit status (0, 1, 2, or 128 plus a signal's number:
    130 after Ctrl-C, 143 after SIGTERM, 129 after SIGHUP)."""
    restore = stop_on_sigterm()
    try:
        try:
            args = build_parser().parse_args(argv)
            from ._app import run
        except KeyboardInterrupt as stopped:
            return interrupted_while_starting(stopped)
        return run(args)
    finally:
        restore()
