"""
The ``airbyte-async`` command line's words: each command's flags, help and examples, and which
module runs each command (:data:`RUNNERS`).

This module imports the standard library only, so that ``--help`` and a usage error answer at
once: what runs a command (the client, the orchestrator and aiohttp; the emulator) is imported
after parsing, and only what the chosen command needs.
"""

from __future__ import annotations

import argparse
import datetime as dt
import re
import textwrap
from collections.abc import Sequence
from typing import Any

__all__ = [
    "RUNNERS",
    "add_connection_arguments",
    "add_emulator_arguments",
    "build_parser",
    "parse_adopt_since",
]

#: The module that runs each command, by the command's name (``args.command``): its
#: ``command(args, interrupt)``. Only the chosen command's module is imported.
RUNNERS = {
    "sync": "airbyte_async.cli._sync",
    "plan": "airbyte_async.cli._apply",
    "apply": "airbyte_async.cli._apply",
    "workspaces": "airbyte_async.cli._resources",
    "sources": "airbyte_async.cli._resources",
    "destinations": "airbyte_async.cli._resources",
    "connections": "airbyte_async.cli._resources",
    "jobs": "airbyte_async.cli._resources",
    "demo": "airbyte_async.cli._demo",
    "emulator": "airbyte_async.cli._emulator",
}

# Copies of the library's values that flags offer: their homes import the client, the
# orchestrator or the emulator (tests/test_cli_parser.py pins each copy to its home).
_APIS = ("auto", "config", "public")  # airbyte_async._client.APIS
_ON_RUNNING = ("attach", "skip", "fail")  # airbyte_async.orchestrator.OnRunning
_EMULATED_VERSIONS = ("0.40", "0.50", "1.7", "2.0", "head")  # airbyte_async.testing.VERSIONS

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


def build_parser() -> argparse.ArgumentParser:
    """The command line's parser: ``args.command`` names the command (a key of
    :data:`RUNNERS`); the resource commands name their ``args.action`` too."""
    parser = argparse.ArgumentParser(
        prog="airbyte-async",
        description="Drive Airbyte from the command line: sync many connections at once.",
        epilog=_EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("-v", "--verbose", action="store_true", help=_VERBOSE)
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    _add_sync(sub)
    _add_plan_and_apply(sub)
    _add_resources(sub)
    _add_demo(sub)
    emulator = sub.add_parser(
        "emulator",
        help="serve the embedded Airbyte emulator (prints its URL first)",
        description="Serve the embedded Airbyte emulator until Ctrl-C.",
    )
    add_emulator_arguments(emulator)
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


def add_connection_arguments(parser: argparse.ArgumentParser) -> None:
    """``--url`` and the credential flags every client command takes."""
    group = parser.add_argument_group("server")
    group.add_argument("--url", help="Airbyte URL (default: $AIRBYTE_URL)")
    group.add_argument(
        "--api",
        choices=_APIS,
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


# -- sync --------------------------------------------------------------------------------------


_SYNC_EXAMPLES = """\
examples:
  airbyte-async sync --url http://localhost:8000 --workspace <workspace-id> --max-running 20
  airbyte-async sync --all --name 'prod-*' --tag nightly --json
  AIRBYTE_URL=http://localhost:8000 airbyte-async sync --connection <id> --connection <id>
  airbyte-async sync --all --timeout 3600 --no-cancel
  airbyte-async sync --all --adopt-since 2026-05-04T03:00:00+00:00   # a retry: adopt, not repeat
"""

#: A time relative to now: a minus, a whole number, a unit.
_AGO = re.compile(r"-(\d+)([smhd])")
_UNITS = {"s": "seconds", "m": "minutes", "h": "hours", "d": "days"}


def parse_adopt_since(text: str) -> dt.datetime | dt.timedelta:
    """
    ``--adopt-since``: an ISO 8601 time with an offset (``Z`` or ``+02:00``), or one relative to
    now (``-30m``, ``-2h``; ``s``, ``m``, ``h``, ``d``), returned as how long ago, for the
    batch to reckon on the server's clock (see :meth:`Orchestrator.stream`). Raises
    :class:`argparse.ArgumentTypeError` for anything else, a time without offset among them.
    """
    ago = _AGO.fullmatch(text.strip())
    if ago is not None:
        return dt.timedelta(**{_UNITS[ago[2]]: int(ago[1])})
    try:
        when = dt.datetime.fromisoformat(text.strip())
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"not a time: {text!r} (an ISO 8601 time with an offset, such as "
            "2026-05-04T03:00:00+00:00, or one relative to now, such as -30m or -2h)"
        ) from None
    if when.utcoffset() is None:
        raise argparse.ArgumentTypeError(
            f"{text!r} has no offset: add one (Z, +00:00, +02:00) so the time is unambiguous"
        )
    return when


def _add_sync(sub: Any) -> None:
    parser = sub.add_parser(
        "sync",
        help="sync many connections at once and wait for them",
        description=textwrap.fill(
            "Trigger one sync per connection, watch them all with batch polling, and report one "
            "result per connection. Exit status: 0 when every sync succeeded, 1 when any did "
            "not, 2 on a usage or connection error, 130 after Ctrl-C, 143 after SIGTERM, 129 "
            "after SIGHUP and 141 when stdout is closed (jobs started are cancelled first in "
            "all four).",
            width=79,
        ),
        epilog=_SYNC_EXAMPLES,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    which = parser.add_mutually_exclusive_group(required=True)
    which.add_argument(
        "--connection", action="append", metavar="ID", help="a connection id (repeatable)"
    )
    which.add_argument("--workspace", metavar="ID", help="every active connection of a workspace")
    which.add_argument("--all", action="store_true", help="every active connection")
    parser.add_argument("--name", metavar="GLOB", help="only connections whose name matches")
    parser.add_argument(
        "--tag",
        action="append",
        default=[],
        metavar="TAG",
        help="only connections tagged so, by name or id (repeatable: any of them)",
    )
    parser.add_argument(
        "--max-running", type=int, default=50, help="syncs running at once (default 50)"
    )
    parser.add_argument(
        "--max-triggers",
        type=int,
        help="most sync triggers in flight (default: --max-running); the limit adapts below it",
    )
    parser.add_argument(
        "--fixed-triggers",
        action="store_true",
        help="hold triggers in flight at --max-triggers instead of adapting to the server",
    )
    parser.add_argument(
        "--poll-interval",
        type=float,
        default=0.5,
        help="shortest seconds between polls (default 0.5)",
    )
    parser.add_argument("--timeout", type=float, help="seconds for the whole batch")
    parser.add_argument("--sync-timeout", type=float, help="seconds for each sync")
    parser.add_argument(
        "--on-running",
        choices=_ON_RUNNING,
        default="attach",
        help="when a sync is already running: follow it, skip it, or count it as an error",
    )
    # argparse takes a word after an option for a value only if it does not start with "-", or
    # looks like a negative number: "-30m" does too now (``--adopt-since -30m``).
    parser._negative_number_matcher = re.compile(r"^-\d+$|^-\d*\.\d+$|^-\d+[smhd]$")
    parser.add_argument(
        "--adopt-since",
        type=parse_adopt_since,
        metavar="WHEN",
        help="for a retry: a connection whose newest sync was created since WHEN (ISO 8601 "
        "with an offset, or -30m, -2h by the server's clock) is not triggered; that sync, the "
        "first try's, is "
        "watched (cancelled on give-up) or reported as it ended. Pass the first try's start; "
        "an earlier time adopts syncs others started",
    )
    parser.add_argument(
        "--no-cancel", action="store_true", help="leave jobs running when giving up on them"
    )
    parser.add_argument(
        "--cancel-grace",
        type=float,
        default=30.0,
        metavar="SECONDS",
        help="most seconds spent cancelling the jobs given up on (a signal, a timeout) before "
        "the results are told and it exits (default 30); under a scheduler that kills a task "
        "some seconds after SIGTERM (Kubernetes: 30, docker stop: 10), give less",
    )
    parser.add_argument("--fail-fast", action="store_true", help="stop at the first failure")
    parser.add_argument(
        "--log-tail",
        type=int,
        default=0,
        metavar="N",
        help="give failed syncs the last N lines of their log",
    )
    parser.add_argument(
        "--live-progress",
        type=float,
        metavar="SECONDS",
        help="read running syncs' record counts every SECONDS (one request per sync each time)",
    )
    parser.add_argument(
        "--json", action="store_true", help="one JSON object per connection per line, only"
    )
    add_connection_arguments(parser)


# -- plan and apply ----------------------------------------------------------------------------

_APPLY_EXAMPLES = """\
examples:
  airbyte-async apply pipeline.toml --dry-run
  PG_PASSWORD=... airbyte-async apply pipeline.toml --workspace <workspace-id>
  PG_PASSWORD=... airbyte-async apply plan.json

The plan is printed first: + to create, ~ to update (each change listed, secrets masked),
= unchanged. Nothing is ever deleted. A second run changes nothing. A saved plan (from
airbyte-async plan -o) is executed as it was shown, or refused (exit status 2, nothing written)
when an object it read has changed since.

The server masks every secret it holds, so a plan cannot compare them: it counts them per
object instead. After rotating one (PG_PASSWORD=new-pw), --send-secrets writes the
configurations holding such values as declared, secrets included.
"""

_PLAN_EXAMPLES = """\
examples:
  airbyte-async plan pipeline.toml
  PG_PASSWORD=... airbyte-async plan pipeline.toml -o plan.json
  PG_PASSWORD=<rotated> airbyte-async plan pipeline.toml --send-secrets -o plan.json

A saved plan holds no secret: values from the environment are saved as the variable's name
(and a salted hash, so that apply refuses another value). Secrets written in the file itself
must move to the environment first.
"""


def _add_plan_and_apply(sub: Any) -> None:
    planner = sub.add_parser(
        "plan",
        help="show (and save) what apply would do with a TOML file",
        description=(
            "Print what applying a pipeline file would change; with -o, also save that plan for "
            "'airbyte-async apply PLAN.json'. Exit status: 0 when done, 2 for an invalid file or "
            "any error (each problem on stderr, pointing at its key), 130 after Ctrl-C."
        ),
        epilog=_PLAN_EXAMPLES,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    planner.add_argument("file", metavar="FILE", help="the pipeline file (TOML)")
    planner.add_argument("-o", "--output", metavar="PLAN", help="save the plan (JSON) here")
    _add_send_secrets(planner)
    _add_workspace(planner)
    add_connection_arguments(planner)

    applier = sub.add_parser(
        "apply",
        help="create or update sources, destinations and connections from a TOML file or plan",
        description=(
            "Make a workspace match a pipeline file: print the plan, then create what is "
            "missing and update what differs. Given a saved plan, execute it as it was shown. "
            "Exit status: 0 when done, 2 for an invalid file, a stale plan or any error (each "
            "problem on stderr, pointing at its key), 130 after Ctrl-C."
        ),
        epilog=_APPLY_EXAMPLES,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    applier.add_argument(
        "file", metavar="FILE", help="the pipeline file (TOML) or a saved plan (JSON)"
    )
    applier.add_argument("--dry-run", action="store_true", help="print the plan and stop there")
    _add_send_secrets(applier)
    _add_workspace(applier)
    add_connection_arguments(applier)


def _add_send_secrets(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--send-secrets",
        action="store_true",
        help=(
            "update each source and destination whose secrets the server masks with its "
            "configuration as declared, secrets included (else they cannot be compared)"
        ),
    )


def _add_workspace(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--workspace", metavar="ID", help="the workspace (default: the file's, else the server's)"
    )


# -- the resource commands --------------------------------------------------------------------


def _count_arg(text: str) -> int:
    value = int(text)
    if value < 0:
        raise argparse.ArgumentTypeError(f"must be 0 or more, got {value}")
    return value


def _examples(*lines: str) -> str:
    return "examples:\n" + "\n".join(f"  airbyte-async {line}" for line in lines)


def _leaf(
    group: Any,
    name: str,
    *,
    help: str,
    examples: Sequence[str],
    workspace: bool = False,
) -> argparse.ArgumentParser:
    parser: argparse.ArgumentParser = group.add_parser(
        name,
        help=help,
        description=help[:1].upper() + help[1:] + ".",
        epilog=_examples(*examples),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    if workspace:
        parser.add_argument(
            "--workspace",
            metavar="ID",
            help="the workspace (default: the server's default one; on the public API, the "
            "only one listed)",
        )
    parser.add_argument(
        "--json", action="store_true", help="one JSON object per line, and nothing else"
    )
    add_connection_arguments(parser)
    return parser


def _group(sub: Any, name: str, help: str, examples: Sequence[str]) -> Any:
    parser = sub.add_parser(
        name,
        help=help,
        description=help[:1].upper() + help[1:] + ".",
        epilog=_examples(*examples),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    return parser.add_subparsers(dest="action", required=True, metavar="ACTION")


_WORKSPACES = ("workspaces list", "workspaces list --json")
_SOURCES = ("sources list", "sources list --workspace <workspace-id> --json")
_DESTINATIONS = ("destinations list", "destinations list --workspace <workspace-id> --json")
_CONNECTIONS = (
    "connections list",
    "connections list --workspace <workspace-id> --json | jq -r .connection_id",
)
_JOBS_LIST = (
    "jobs list --connection <connection-id>",
    "jobs list --connection <connection-id> --limit 5 --json",
)
_JOBS_GET = ("jobs get 1234", "jobs get 1234 --json")
_JOBS_CANCEL = ("jobs cancel 1234",)
_JOBS_LOGS = ("jobs logs 1234", "jobs logs 1234 --attempt 0", "jobs logs 1234 --json")


def _add_resources(sub: Any) -> None:
    workspaces = _group(sub, "workspaces", "list workspaces", _WORKSPACES)
    _leaf(
        workspaces,
        "list",
        help="list the workspaces you can see",
        examples=_WORKSPACES,
    )

    for kind, examples in (("source", _SOURCES), ("destination", _DESTINATIONS)):
        group = _group(sub, f"{kind}s", f"list {kind}s", examples)
        parser = _leaf(
            group,
            "list",
            help=f"list the {kind}s of a workspace",
            examples=examples,
            workspace=True,
        )
        parser.set_defaults(kind=kind)

    connections = _group(sub, "connections", "list connections", _CONNECTIONS)
    _leaf(
        connections,
        "list",
        help="list the connections of a workspace",
        examples=_CONNECTIONS,
        workspace=True,
    )

    jobs = _group(
        sub,
        "jobs",
        "list, inspect and cancel jobs, and read their logs",
        (*_JOBS_LIST, *_JOBS_GET, *_JOBS_CANCEL, *_JOBS_LOGS),
    )
    listing = _leaf(
        jobs, "list", help="list a connection's jobs, newest first", examples=_JOBS_LIST
    )
    listing.add_argument("--connection", metavar="ID", required=True, help="the connection")
    listing.add_argument(
        "--limit",
        type=_count_arg,
        default=20,
        metavar="N",
        help="show at most N jobs; 0 for all (default 20)",
    )
    get = _leaf(jobs, "get", help="show a job, its attempts and its failures", examples=_JOBS_GET)
    get.add_argument("job_id", metavar="JOB_ID", type=int)
    cancel = _leaf(jobs, "cancel", help="cancel a job", examples=_JOBS_CANCEL)
    cancel.add_argument("job_id", metavar="JOB_ID", type=int)
    logs = _leaf(
        jobs,
        "logs",
        help="print the log of a job's last attempt, or of another",
        examples=_JOBS_LOGS,
    )
    logs.add_argument("job_id", metavar="JOB_ID", type=int)
    logs.add_argument(
        "--attempt", type=int, metavar="N", help="the attempt number (from 0; default: the last)"
    )


# -- demo and emulator ------------------------------------------------------------------------


def _add_demo(sub: Any) -> None:
    parser = sub.add_parser(
        "demo",
        help="run a pipeline and a few hundred syncs on the embedded emulator",
        description=(
            "Start the embedded Airbyte emulator, set up a Postgres to S3 pipeline on it from "
            "scratch, sync it once, then sync every connection of the emulator at once with "
            "bounded concurrency, and print what happened. Nothing leaves this machine."
        ),
    )
    parser.add_argument(
        "--connections", type=int, default=300, help="connections to sync (default 300)"
    )
    parser.add_argument(
        "--max-running", type=int, default=100, help="syncs running at once (default 100)"
    )
    parser.add_argument(
        "--airbyte-version", default="0.50", help="0.40, 0.50, 1.7, 2.0 or head (default 0.50)"
    )
    parser.add_argument("--seed", type=int, default=7, help="seed of the emulator's outcomes")


def add_emulator_arguments(parser: argparse.ArgumentParser) -> None:
    """Add the emulator's flags to *parser* (``airbyte-async emulator``, ``python -m
    airbyte_async.testing``)."""
    parser.add_argument("--host", default="127.0.0.1", help="address to listen on")
    parser.add_argument("--port", type=int, default=0, help="port to listen on; 0 picks a free one")
    parser.add_argument(
        "--airbyte-version",
        choices=_EMULATED_VERSIONS,
        default="0.50",
        help="the version whose routes, shapes and errors to serve (default 0.50)",
    )
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
    parser.add_argument(
        "--pending-duration",
        type=float,
        default=0.0,
        help="seconds a job stays pending before it runs",
    )
    parser.add_argument("--failure-rate", type=float, default=0.0, help="share of syncs that fail")
    parser.add_argument(
        "--attempts",
        type=int,
        default=1,
        help="attempts a failing sync makes (Airbyte: up to 5; 3 on 0.40)",
    )
    parser.add_argument(
        "--retry-backoff",
        type=float,
        default=10.0,
        help="seconds a job stays incomplete after its first failed attempt, 3 times longer "
        "after each next (0.50 on)",
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
        "--start-lag",
        type=float,
        default=0.1,
        help="seconds after a job runs before its workflow reports running (default 0.1)",
    )
    parser.add_argument(
        "--wrap-up",
        type=float,
        default=0.3,
        help="seconds after a job ends before its workflow stops reporting running (default 0.3)",
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
        "--token-lifetime",
        type=float,
        default=900.0,
        help="seconds a minted token lives (default 900)",
    )
    parser.add_argument("--faults", metavar="JSON", help="a fault object or a list of them")
    parser.add_argument(
        "--log-format",
        choices=("structured", "formatted"),
        default="structured",
        help="head's attempt logs: structured events (the default) or formatted lines",
    )
    parser.add_argument(
        "--no-config-api",
        dest="config_api",
        action="store_false",
        help="serve the public API alone (1.7 on): every Config API route answers 404",
    )
    parser.add_argument(
        "--no-instance-admin",
        dest="instance_admin",
        action="store_false",
        help="answer as Cloud answers an application: 403, not 404, for a connection not found",
    )
