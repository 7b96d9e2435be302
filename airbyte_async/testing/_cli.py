"""
The ``airbyte-async emulator`` subcommand: running the emulator until stopped (its flags:
:func:`airbyte_async.cli._parser.add_emulator_arguments`).

The base URL is the first line written to stdout (flushed at once), so a script can read it and
connect; nothing else goes to stdout. Errors in the flags go to stderr with exit status 2.
"""

from __future__ import annotations

import argparse
import sys

import attrs

from ._auth import RequireClientCredentials, parse_auth
from ._faults import parse_faults
from ._server import Emulator, serve

__all__ = ["run"]


def _emulator(args: argparse.Namespace) -> Emulator:
    auth = parse_auth(args.auth) if args.auth else None
    if isinstance(auth, RequireClientCredentials):
        auth = attrs.evolve(auth, token_lifetime=args.token_lifetime)
    return Emulator(
        airbyte_version=args.airbyte_version,
        workspaces=args.workspaces,
        connections=args.connections,
        seed=args.seed,
        sync_duration=tuple(args.sync_duration),
        pending_duration=args.pending_duration,
        failure_rate=args.failure_rate,
        commit_lag=args.commit_lag,
        attempts=args.attempts,
        retry_backoff=args.retry_backoff,
        trigger_latency=args.trigger_latency,
        trigger_capacity=args.trigger_capacity or None,
        trigger_overload=args.trigger_overload,
        cancel_latency=args.cancel_latency,
        start_lag=args.start_lag,
        wrap_up=args.wrap_up,
        scheduler=args.scheduler,
        auth=auth,
        faults=parse_faults(args.faults) if args.faults else None,
        host=args.host,
        port=args.port,
        log_format=args.log_format,
        config_api=args.config_api,
        date_lead=args.date_lead,
        instance_admin=args.instance_admin,
    )


async def run(args: argparse.Namespace) -> int:
    """Serve until SIGINT or SIGTERM; 0 when stopped, 2 for invalid settings."""
    try:
        emulator = _emulator(args)
    except (ValueError, TypeError) as e:
        print(f"airbyte-async emulator: {e}", file=sys.stderr)
        return 2

    def announce(url: str) -> None:
        print(url, flush=True)

    await serve(emulator, on_ready=announce)
    return 0
