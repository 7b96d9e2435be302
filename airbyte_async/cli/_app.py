"""
The ``airbyte-async`` command once parsed: the chosen command's module (imported only now),
logging, signals and the exit status.
"""

from __future__ import annotations

import argparse
import logging
import signal
import sys
from importlib import import_module
from typing import TextIO

import anyio
from anyio.abc import TaskStatus

from ..errors import AirbyteError
from ._common import (
    EXIT_OK,
    Command,
    Interrupt,
    fresh_line,
    report_error,
    silence_terminals,
)
from ._parser import RUNNERS
from ._starting import exit_status, interrupted_while_starting

__all__ = ["run"]

_HANGUP = getattr(signal, "SIGHUP", None)  # not on Windows
_STOPPING_SIGNALS = (signal.SIGINT, signal.SIGTERM) + ((_HANGUP,) if _HANGUP is not None else ())


async def _main(command: Command, args: argparse.Namespace, interrupt: Interrupt) -> int:
    code = EXIT_OK
    async with anyio.create_task_group() as tg:

        async def on_signal(*, task_status: TaskStatus[None] = anyio.TASK_STATUS_IGNORED) -> None:
            with anyio.open_signal_receiver(*_STOPPING_SIGNALS) as signals:
                interrupt.listening = True
                task_status.started()
                async for received in signals:
                    if received == _HANGUP:
                        # The terminal is gone (closed, an ssh session dropped): what is still
                        # said to it would fail, so it goes nowhere; a pipe or a file still
                        # gets it. The run stops as on SIGTERM.
                        silence_terminals()
                    interrupt.fire(tg.cancel_scope, received)

        await tg.start(on_signal)
        try:
            code = await command(args, interrupt)
        finally:
            tg.cancel_scope.cancel()
    return interrupt.exit_code if interrupt.received else code


def run(args: argparse.Namespace) -> int:
    """:func:`airbyte_async.cli.main` once it has parsed the command line (*args*): imports
    the command's module, runs the command and returns the exit status."""
    interrupt = Interrupt()
    try:
        command: Command = import_module(RUNNERS[args.command]).command
        _configure_logging(verbose=args.verbose)
        return anyio.run(_main, command, args, interrupt)
    except BaseException as raised:  # sorted out below; re-raised when not ours
        error = _first(raised)
        if isinstance(error, KeyboardInterrupt) and not interrupt.listening:
            return interrupted_while_starting(error)
        if isinstance(error, KeyboardInterrupt):
            return exit_status(error)
        if isinstance(error, AirbyteError):
            return report_error(error, args)
        raise


class _StderrHandler(logging.StreamHandler):  # type: ignore[type-arg]
    """
    Writes to whatever ``sys.stderr`` is when a record comes, not when it was made; on a
    terminal, over the status line that ``sync`` may be drawing there (it is drawn again
    below), not after it.
    """

    @property
    def stream(self) -> TextIO:
        return sys.stderr

    @stream.setter
    def stream(self, _: TextIO) -> None:
        pass

    def format(self, record: logging.LogRecord) -> str:
        return fresh_line(self.stream) + super().format(record)


def _configure_logging(*, verbose: bool) -> None:
    """
    Warnings to stderr; with ``-v``, every request and retry too. stamina's own retry warnings
    are left out: airbyte-async logs each retry with its reason (at DEBUG) already.
    """
    logger = logging.getLogger("airbyte_async")
    handler = next((h for h in logger.handlers if h.get_name() == "airbyte-async-cli"), None)
    if handler is None:
        handler = _StderrHandler()
        handler.set_name("airbyte-async-cli")
        handler.setFormatter(logging.Formatter("airbyte-async: %(levelname)s %(message)s"))
        logger.addHandler(handler)
        # Any handler on the way keeps stamina's records from Python's last-resort printer.
        logging.getLogger("stamina").addHandler(logging.NullHandler())
    # Levels on the handler, not the loggers: a program that calls main() keeps its own.
    handler.setLevel(logging.DEBUG if verbose else logging.WARNING)
    if verbose and logger.getEffectiveLevel() > logging.DEBUG:
        logger.setLevel(logging.DEBUG)


def _first(error: BaseException) -> BaseException:
    """The first leaf of an exception group (task groups wrap what their tasks raise)."""
    while isinstance(error, BaseExceptionGroup) and error.exceptions:
        error = error.exceptions[0]
    return error
