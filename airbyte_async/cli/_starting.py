"""
The command line before it listens for signals itself: SIGTERM stops it as a Ctrl-C does, and
either says that nothing was done. Imports next to nothing, as :mod:`airbyte_async.cli` does.
"""

from __future__ import annotations

import signal
import sys
from collections.abc import Callable
from types import FrameType
from typing import NoReturn

__all__ = ["Terminated", "exit_status", "interrupted_while_starting", "stop_on_sigterm"]


class Terminated(KeyboardInterrupt):
    """SIGTERM, raised where the program is, as Python raises a Ctrl-C."""


def _raise(signal_number: int, frame: FrameType | None) -> NoReturn:
    raise Terminated


def stop_on_sigterm() -> Callable[[], None]:
    """
    Raise :class:`Terminated` on SIGTERM from now on, unless something else handles it
    already (a program that calls ``main()``) or this is not the main thread; returns what
    puts the default back (once the command's own handlers are gone, it is back already).
    """
    try:
        if signal.getsignal(signal.SIGTERM) is not signal.SIG_DFL:
            return lambda: None
        signal.signal(signal.SIGTERM, _raise)
    except ValueError:  # not the main thread
        return lambda: None

    def restore() -> None:
        if signal.getsignal(signal.SIGTERM) is _raise:
            signal.signal(signal.SIGTERM, signal.SIG_DFL)

    return restore


def exit_status(stopped: KeyboardInterrupt) -> int:
    """128 plus the signal's number: 143 for :class:`Terminated`, 130 for a Ctrl-C."""
    return 128 + (signal.SIGTERM if isinstance(stopped, Terminated) else signal.SIGINT)


def interrupted_while_starting(stopped: KeyboardInterrupt) -> int:
    """Say that a signal stopped the command line before it did anything; its exit status."""
    print("airbyte-async: interrupted while starting: nothing was done", file=sys.stderr)
    return exit_status(stopped)
