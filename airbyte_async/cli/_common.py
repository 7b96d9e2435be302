"""What every subcommand shares: exit codes, Ctrl-C, the server flags, the client they make."""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Awaitable, Callable, Iterator, Mapping
from contextlib import contextmanager

import anyio

from .._auth import Auth, BasicAuth, BearerToken, ClientCredentials
from .._client import APIS, AirbyteClient
from ..errors import AirbyteError, InvalidArgumentError

__all__ = [
    "EXIT_FAILED",
    "EXIT_INTERRUPTED",
    "EXIT_OK",
    "EXIT_USAGE",
    "Command",
    "Interrupt",
    "add_connection_arguments",
    "client_from_args",
    "report_error",
]

EXIT_OK = 0
EXIT_FAILED = 1
EXIT_USAGE = 2
EXIT_INTERRUPTED = 130

Command = Callable[[argparse.Namespace, "Interrupt"], Awaitable[int]]


class Interrupt:
    """
    Ctrl-C (SIGINT) and SIGTERM, turned into the cancellation of one scope.

    A command wraps the work that a signal should stop in :meth:`scope`; the signal cancels it,
    the command finishes (its cleanup shielded) and reports, and the process exits with 130.
    """

    def __init__(self) -> None:
        self.received = False
        self._scopes: list[anyio.CancelScope] = []

    @contextmanager
    def scope(self) -> Iterator[anyio.CancelScope]:
        """A cancel scope that the next signal cancels."""
        with anyio.CancelScope() as scope:
            self._scopes.append(scope)
            try:
                yield scope
            finally:
                self._scopes.remove(scope)

    def fire(self, fallback: anyio.CancelScope) -> None:
        """Cancel the innermost registered scope, or *fallback* when there is none."""
        self.received = True
        (self._scopes[-1] if self._scopes else fallback).cancel()


def add_connection_arguments(parser: argparse.ArgumentParser) -> None:
    """``--url`` and the credential flags every client command takes."""
    group = parser.add_argument_group("server")
    group.add_argument("--url", help="Airbyte URL (default: $AIRBYTE_URL)")
    group.add_argument(
        "--api",
        choices=APIS,
        help="the Config API or the public REST API (default: $AIRBYTE_API, else auto: the "
        "one the URL names, else the one a bare host's health routes answer to)",
    )
    group.add_argument("--username", help="basic auth user (default: $AIRBYTE_USERNAME)")
    group.add_argument("--password", help="basic auth password (default: $AIRBYTE_PASSWORD)")
    group.add_argument("--token", help="bearer token (default: $AIRBYTE_TOKEN)")
    group.add_argument("--client-id", help="application client id (default: $AIRBYTE_CLIENT_ID)")
    group.add_argument(
        "--client-secret", help="application client secret (default: $AIRBYTE_CLIENT_SECRET)"
    )
    group.add_argument(
        "--request-timeout", type=float, default=60.0, help="seconds per HTTP request"
    )


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
    auth: Auth | None = None
    if args.token:
        auth = BearerToken(args.token)
    elif args.client_id or args.client_secret:
        if not (args.client_id and args.client_secret):
            raise InvalidArgumentError("--client-id and --client-secret go together")
        auth = ClientCredentials(args.client_id, args.client_secret)
    elif args.username or args.password:
        if not args.username:
            raise InvalidArgumentError("--password needs --username")
        auth = BasicAuth(args.username, args.password or "")
    env = options.get("env")
    environ: Mapping[str, str] = env if isinstance(env, Mapping) else os.environ
    if not (args.url or environ.get("AIRBYTE_URL")):
        raise InvalidArgumentError("no Airbyte URL: pass --url or set AIRBYTE_URL")
    options.setdefault("api", args.api)
    return AirbyteClient(args.url, auth=auth, timeout=args.request_timeout, **options)  # type: ignore[arg-type]


def report_error(error: AirbyteError) -> int:
    """Print *error* to stderr as the command line does everywhere; the exit status (2)."""
    text = (
        str(error)
        if isinstance(error, InvalidArgumentError)
        else f"{type(error).__name__}: {error}"
    )
    print(f"airbyte-async: {text}", file=sys.stderr)
    return EXIT_USAGE
