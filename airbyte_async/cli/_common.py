"""What every command shares as it runs: exit codes, Ctrl-C, the client its flags make."""

from __future__ import annotations

import argparse
import errno
import os
import signal
import stat
import sys
from collections.abc import Awaitable, Callable, Iterator, Mapping
from contextlib import contextmanager
from typing import TextIO
from urllib.parse import urlsplit

import anyio

from .._auth import Auth, BasicAuth, BearerToken, ClientCredentials
from .._checks import seconds
from .._client import AirbyteClient
from ..errors import AirbyteError, AuthenticationError, InvalidArgumentError

__all__ = [
    "EXIT_BROKEN_PIPE",
    "EXIT_FAILED",
    "EXIT_INTERRUPTED",
    "EXIT_OK",
    "EXIT_USAGE",
    "Command",
    "Interrupt",
    "client_from_args",
    "credentials_hint",
    "fresh_line",
    "reader_gone",
    "report_error",
    "silence_stdout",
    "silence_terminals",
    "tell",
]

EXIT_OK = 0
EXIT_FAILED = 1
EXIT_USAGE = 2
EXIT_INTERRUPTED = 130
#: 128 + SIGPIPE: what a shell reports for a writer whose reader went away.
EXIT_BROKEN_PIPE = 141

Command = Callable[[argparse.Namespace, "Interrupt"], Awaitable[int]]


class Interrupt:
    """
    Ctrl-C (SIGINT), SIGTERM and SIGHUP, turned into the cancellation of one scope.

    A command wraps the work that a signal should stop in :meth:`scope`; the signal cancels it,
    the command finishes (its cleanup shielded) and reports, and the process exits with 128
    plus the signal's number (130 for Ctrl-C, 143 for SIGTERM, 129 for SIGHUP). A scope may
    say what stopping does, and take a way to hurry: a second signal calls it.
    """

    def __init__(self) -> None:
        #: Whether the signals come here yet: before, one stops the program before anything
        #: was done.
        self.listening = False
        self.received = False
        self.signal_number = signal.SIGINT.value
        self._scopes: list[tuple[anyio.CancelScope, str | None, Callable[[], None] | None]] = []

    @property
    def exit_code(self) -> int:
        """128 plus the number of the first signal received."""
        return 128 + self.signal_number

    @contextmanager
    def scope(
        self, *, stopping: str | None = None, hurry: Callable[[], None] | None = None
    ) -> Iterator[anyio.CancelScope]:
        """
        A cancel scope that the next signal cancels, printing *stopping* (what the command
        does on its way out); a signal after that calls *hurry*.
        """
        with anyio.CancelScope() as scope:
            entry = (scope, stopping, hurry)
            self._scopes.append(entry)
            try:
                yield scope
            finally:
                self._scopes.remove(entry)

    def fire(self, fallback: anyio.CancelScope, signal_number: int = signal.SIGINT) -> None:
        """Cancel the innermost registered scope, or *fallback* when there is none; on a
        repeated signal, hurry that scope's cleanup."""
        if not self._scopes:
            self._note(signal_number)
            fallback.cancel()
            return
        scope, stopping, hurry = self._scopes[-1]
        if not self.received:
            self._note(signal_number)
            if stopping is not None:
                tell(f"stopping: {stopping}")
            scope.cancel()
        elif hurry is not None:
            hurry()

    def _note(self, signal_number: int) -> None:
        if not self.received:
            self.received = True
            self.signal_number = int(signal_number)


def client_from_args(args: argparse.Namespace, **options: object) -> AirbyteClient:
    """An :class:`AirbyteClient` from the flags, the environment filling what they leave out."""
    kinds = [
        kind
        for kind, present in (
            ("--username/--password", bool(args.username or args.password)),
            ("--token", bool(args.token)),
            ("--client-id/--client-secret", bool(args.client_id or args.client_secret)),
        )
        if present
    ]
    if len(kinds) > 1:
        raise InvalidArgumentError(f"give one kind of credentials, not {' and '.join(kinds)}")
    env = options.get("env")
    environ: Mapping[str, str] = env if isinstance(env, Mapping) else os.environ
    auth: Auth | None = None
    if args.token:
        auth = BearerToken(args.token)
    elif args.client_id or args.client_secret:
        client_id = _flag_or_env(args.client_id, "--client-id", "AIRBYTE_CLIENT_ID", environ)
        secret = _flag_or_env(
            args.client_secret, "--client-secret", "AIRBYTE_CLIENT_SECRET", environ
        )
        auth = ClientCredentials(client_id, secret)
    elif args.username or args.password:
        username = _flag_or_env(args.username, "--username", "AIRBYTE_USERNAME", environ)
        auth = BasicAuth(
            username, _flag_or_env(args.password, "--password", "AIRBYTE_PASSWORD", environ)
        )
    if not (args.url or environ.get("AIRBYTE_URL")):
        raise InvalidArgumentError("no Airbyte URL: pass --url or set AIRBYTE_URL")
    options.setdefault("api", args.api)
    timeout = seconds("--request-timeout", args.request_timeout)
    return AirbyteClient(args.url, auth=auth, timeout=timeout, **options)  # type: ignore[arg-type]


#: Each kind of credentials the command line reads: its flags, then its variables.
_KINDS = (
    (("--token",), ("AIRBYTE_TOKEN",)),
    (("--client-id", "--client-secret"), ("AIRBYTE_CLIENT_ID", "AIRBYTE_CLIENT_SECRET")),
    (("--username", "--password"), ("AIRBYTE_USERNAME", "AIRBYTE_PASSWORD")),
)


def credentials_hint(args: argparse.Namespace, environ: Mapping[str, str] = os.environ) -> str:
    """
    What to do after the server refused the credentials (a 401): where those came from (a
    flag, the URL, a variable), or, when none were sent, what gives some. Never a value.
    """
    source = _credentials_source(args, environ)
    if source is None:
        return (
            "no credentials were sent: pass --username/--password (basic auth), --token, or "
            "--client-id/--client-secret (an application's), or set AIRBYTE_USERNAME/"
            "AIRBYTE_PASSWORD, AIRBYTE_TOKEN or AIRBYTE_CLIENT_ID/AIRBYTE_CLIENT_SECRET"
        )
    return (
        f"the server refused the credentials from {source}: check them, or give another kind "
        "(see --help)"
    )


def _credentials_source(args: argparse.Namespace, environ: Mapping[str, str]) -> str | None:
    """The flags, URL or variables the client took its credentials from (as client_from_args
    and AirbyteClient pick them); None when it sent none."""
    for flags, variables in _KINDS:
        values = [getattr(args, flag[2:].replace("-", "_"), None) for flag in flags]
        if any(values):
            return "/".join(
                flag if value is not None else variable
                for flag, variable, value in zip(flags, variables, values, strict=True)
            )
    url_flag = "--url" if args.url else "AIRBYTE_URL"
    if urlsplit(args.url or environ.get("AIRBYTE_URL", "")).username:
        return f"the user and password in {url_flag}"
    for _, variables in _KINDS:
        if any(environ.get(variable) for variable in variables):
            return "/".join(variables)
    return None


def _flag_or_env(value: str | None, flag: str, variable: str, environ: Mapping[str, str]) -> str:
    """The half of a pair of credentials given by *flag*, else by *variable* (set, if empty)."""
    if value is not None:
        return value
    if variable in environ:
        return environ[variable]
    raise InvalidArgumentError(f"credentials need {flag} or {variable} too")


def fresh_line(stream: TextIO) -> str:
    """
    What to write before a message on *stream*: on a terminal, back to the start of the line
    and erase it (``sync``'s status line, which is drawn again below); elsewhere nothing.
    """
    try:
        terminal = stream.isatty()
    except (AttributeError, ValueError):  # a stand-in without it, a closed stream
        terminal = False
    return "\r\x1b[K" if terminal else ""


def tell(text: str) -> None:
    """Say *text* on stderr, on a line of its own, as the command line says what it does;
    nowhere once stderr's reader has gone."""
    try:
        print(f"{fresh_line(sys.stderr)}airbyte-async: {text}", file=sys.stderr, flush=True)
    except OSError as e:
        if not reader_gone(e):
            raise
        _to_nowhere(sys.stderr)


def reader_gone(error: OSError) -> bool:
    """Whether a write failed with *error* because no one reads it any more: a pipe whose
    reader went (EPIPE), or a terminal that hung up (EIO; SIGHUP, which says so first, does
    not come to a process that the terminal does not control)."""
    return isinstance(error, BrokenPipeError) or error.errno == errno.EIO


def report_error(error: AirbyteError, args: argparse.Namespace | None = None) -> int:
    """
    Print *error* to stderr as the command line does everywhere; the exit status (2). After
    an :class:`~airbyte_async.errors.AuthenticationError`, the command's *args* say what to
    pass (:func:`credentials_hint`).
    """
    text = (
        str(error)
        if isinstance(error, InvalidArgumentError)
        else f"{type(error).__name__}: {error}"
    )
    print(f"airbyte-async: {text}", file=sys.stderr)
    for note in getattr(error, "__notes__", ()):
        print(f"airbyte-async: {note}", file=sys.stderr)
    if isinstance(error, AuthenticationError) and args is not None and hasattr(args, "token"):
        print(f"airbyte-async: {credentials_hint(args)}", file=sys.stderr)
    return EXIT_USAGE


def silence_stdout() -> None:
    """Send what is still written to stdout nowhere: its reader went away (``| head``)."""
    _to_nowhere(sys.stdout)


def silence_terminals() -> None:
    """
    After SIGHUP: send what is still written to stdout or stderr nowhere where that is a
    terminal (it is gone); a pipe or a file still gets it (an orchestrator reading ``sync
    --json``, a log).
    """
    for stream in (sys.stdout, sys.stderr):
        try:
            terminal = stat.S_ISCHR(os.fstat(stream.fileno()).st_mode)
        except (OSError, ValueError):  # a stand-in without a descriptor, a closed stream
            continue
        # Not isatty(): on a terminal that hung up, its ioctl fails, as on a pipe. A character
        # device is a terminal or /dev/null, where nothing is lost either.
        if terminal:
            _to_nowhere(stream)


def _to_nowhere(stream: TextIO) -> None:
    """Point *stream*'s descriptor at /dev/null."""
    devnull = os.open(os.devnull, os.O_WRONLY)
    try:
        os.dup2(devnull, stream.fileno())
    finally:
        os.close(devnull)
