"""The ``airbyte-async`` command: its parser, logging, signals and exit status."""

from __future__ import annotations

import argparse
import logging
import signal
import sys
from collections.abc import Sequence
from typing import TextIO

import anyio
from anyio.abc import TaskStatus

from ..errors import AirbyteError
from . import _apply, _demo, _resources, _sync
from ._common import (
    EXIT_OK,
    Command,
    Interrupt,
    fresh_line,
    report_error,
    silence_stdout,
)
from ._starting import exit_status, interrupted_while_starting

__all__ = ["run"]

_EPILOG = """\
examples:
  airbyte-async demo
  airbyte-async sync --url http://localhost:8000 --workspace <workspace-id> --max-running 20
  AIRBYTE_URL=http://localhost:8000 airbyte-async sync --connection <id> --connection <id> --json
  airbyte-async emulator --port 0 --connections 500
  airbyte-async apply pipeline.toml --dry-run
  airbyte-async connections list --workspace <workspace-id> --json
  airbyte-async jobs list --connection <connection-id>
  airbyte-async jobs logs <job-id> --attempt 0
  airbyte-async workspaces list

credentials come from --username/--password, --token or --client-id/--client-secret, else from
AIRBYTE_USERNAME/AIRBYTE_PASSWORD, AIRBYTE_TOKEN or AIRBYTE_CLIENT_ID/AIRBYTE_CLIENT_SECRET;
the server from --url, else AIRBYTE_URL; the API from --api, else AIRBYTE_API, else the URL
(https://api.airbyte.com/v1 and .../api/public/v1 speak the public REST API).
"""


_VERBOSE = "log every request and retry to stderr"


def _parser(command: str | None = None) -> argparse.ArgumentParser:
    """
    The command line's parser. The emulator's flags are added only when *command* is
    ``emulator``: they come with the emulator itself, a third of the start-up of any other
    command.
    """
    parser = argparse.ArgumentParser(
        prog="airbyte-async",
        description="Drive Airbyte from the command line: sync many connections at once.",
        epilog=_EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("-v", "--verbose", action="store_true", help=_VERBOSE)
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    _sync.register(sub)
    _apply.register(sub)
    _resources.register(sub)
    _demo.register(sub)
    emulator = sub.add_parser(
        "emulator",
        help="serve the embedded Airbyte emulator (prints its URL first)",
        description="Serve the embedded Airbyte emulator until Ctrl-C.",
    )
    if command == "emulator":
        from ..testing import _cli as emulator_cli

        emulator_cli.add_arguments(emulator)
    emulator.set_defaults(func=_emulator)
    _verbose_after(sub)
    return parser


def _verbose_after(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    """``-v`` after each command and subcommand too; SUPPRESS keeps one given before them."""
    for command in sub.choices.values():
        command.add_argument(
            "-v", "--verbose", action="store_true", default=argparse.SUPPRESS, help=_VERBOSE
        )
        for action in command._subparsers._group_actions if command._subparsers else ():
            if isinstance(action, argparse._SubParsersAction):
                _verbose_after(action)


async def _emulator(args: argparse.Namespace, interrupt: Interrupt) -> int:
    from ..testing import _cli as emulator_cli

    with interrupt.scope():
        return await emulator_cli.run(args)
    return EXIT_OK


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
                        # said would fail on it, so it goes nowhere; the run stops as on SIGTERM.
                        silence_stdout(stderr=True)
                    interrupt.fire(tg.cancel_scope, received)

        await tg.start(on_signal)
        try:
            code = await command(args, interrupt)
        finally:
            tg.cancel_scope.cancel()
    return interrupt.exit_code if interrupt.received else code


def run(argv: Sequence[str] | None = None) -> int:
    """:func:`airbyte_async.cli.main` once it has imported the command line: runs it and
    returns the exit status."""
    words = sys.argv[1:] if argv is None else list(argv)
    args: argparse.Namespace | None = None
    interrupt = Interrupt()
    try:
        # The only options before the command are flags: the first other word names it.
        parser = _parser(next((w for w in words if not w.startswith("-")), None))
        args = parser.parse_args(words)
        _configure_logging(verbose=args.verbose)
        return anyio.run(_main, args.func, args, interrupt)
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
