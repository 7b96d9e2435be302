"""
The ``airbyte-async emulator`` subcommand: flags, and running the emulator until stopped.

The base URL is the first line written to stdout (flushed at once), so a script can read it and
connect; nothing else goes to stdout. Errors in the flags go to stderr with exit status 2.
"""

from __future__ import annotations

import argparse
import sys

import attrs

from ._auth import RequireClientCredentials, parse_auth
from ._faults import parse_faults
from ._server import VERSIONS, Emulator, serve

__all__ = ["add_arguments", "run"]


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Add the emulator's flags to *parser*."""
    parser.add_argument("--host", default="127.0.0.1", help="address to listen on")
    parser.add_argument("--port", type=int, default=0, help="port to listen on; 0 picks a free one")
    parser.add_argument("--airbyte-version", choices=VERSIONS, default="0.50")
    parser.add_argument("--workspaces", type=int, default=1, help="workspaces to pre-load")
    parser.add_argument("--connections", type=int, default=0, help="connections to pre-load")
    parser.add_argument("--seed", type=int, default=0, help="seed for ids, durations, faults")
    parser.add_argument(
        "--sync-duration",
        type=float,
        nargs=2,
        metavar=("MIN", "MAX"),
        default=(0.05, 0.2),
        help="seconds a sync runs, drawn uniformly",
    )
    parser.add_argument("--pending-duration", type=float, default=0.0, help="seconds pending")
    parser.add_argument("--failure-rate", type=float, default=0.0, help="share of syncs that fail")
    parser.add_argument(
        "--attempts", type=int, default=1, help="attempts a failing sync makes (Airbyte: up to 5)"
    )
    parser.add_argument(
        "--retry-backoff",
        type=float,
        default=10.0,
        help="seconds a job stays incomplete between two attempts",
    )
    parser.add_argument(
        "--commit-lag",
        type=float,
        default=0.0,
        help="seconds before reads see a job's end, stamped when it happened",
    )
    parser.add_argument(
        "--trigger-latency",
        type=float,
        default=0.2,
        help="seconds connections/sync takes on a quiet server (default 0.2)",
    )
    parser.add_argument(
        "--trigger-capacity",
        type=int,
        default=25,
        metavar="N",
        help="scheduler threads, as on Airbyte (default 25; 0: one for every call): triggers "
        "and cancels beyond wait, doing nothing",
    )
    parser.add_argument(
        "--trigger-overload",
        type=int,
        metavar="N",
        help="most triggers held at once; one more gets 503 and creates no job",
    )
    parser.add_argument(
        "--cancel-latency",
        type=float,
        default=0.2,
        help="seconds jobs/cancel takes to stop a running job and answer (default 0.2)",
    )
    parser.add_argument(
        "--date-lead",
        type=float,
        default=0.0,
        metavar="SECONDS",
        help="put the Date header this far ahead of the job stamps, as a drifting proxy does",
    )
    parser.add_argument(
        "--scheduler",
        action="store_true",
        help="start the syncs of connections on a basic or cron schedule, as Airbyte does",
    )
    parser.add_argument(
        "--auth",
        metavar="SPEC",
        help="basic:USER:PASS, bearer:TOKEN or credentials:ID:SECRET (default: no auth)",
    )
    parser.add_argument(
        "--token-lifetime", type=float, default=900.0, help="seconds a minted token lives"
    )
    parser.add_argument("--faults", metavar="JSON", help="a fault object or a list of them")
    parser.add_argument("--log-format", choices=("structured", "formatted"), default="structured")
    parser.add_argument(
        "--no-config-api",
        dest="config_api",
        action="store_false",
        help="serve the public API alone (1.7 on): every Config API route answers 404",
    )


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
        scheduler=args.scheduler,
        auth=auth,
        faults=parse_faults(args.faults) if args.faults else None,
        host=args.host,
        port=args.port,
        log_format=args.log_format,
        config_api=args.config_api,
        date_lead=args.date_lead,
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
