"""``airbyte-async apply FILE``: make a workspace match a pipeline file (:mod:`..apply`)."""

from __future__ import annotations

import argparse
import sys
from typing import Any

from ..apply import Plan, apply, load
from ..errors import AirbyteError, SpecError
from ._common import (
    EXIT_INTERRUPTED,
    EXIT_OK,
    EXIT_USAGE,
    Interrupt,
    add_connection_arguments,
    client_from_args,
    report_error,
)

__all__ = ["register"]

_EXAMPLES = """\
examples:
  airbyte-async apply pipeline.toml --dry-run
  PG_PASSWORD=... airbyte-async apply pipeline.toml --workspace <workspace-id>

The plan is printed first: + to create, ~ to update (each change listed, secrets masked),
= unchanged. Nothing is ever deleted. A second run changes nothing.
"""


def register(sub: Any) -> None:
    """Add the ``apply`` subcommand."""
    parser = sub.add_parser(
        "apply",
        help="create or update sources, destinations and connections from a TOML file",
        description=(
            "Make a workspace match a pipeline file: print the plan, then create what is "
            "missing and update what differs. Exit status: 0 when done, 2 for an invalid file "
            "or any error (each problem on stderr, pointing at its key), 130 after Ctrl-C."
        ),
        epilog=_EXAMPLES,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("file", metavar="FILE", help="the pipeline file (TOML)")
    parser.add_argument("--dry-run", action="store_true", help="print the plan and stop there")
    parser.add_argument(
        "--workspace", metavar="ID", help="the workspace (default: the file's, else the server's)"
    )
    add_connection_arguments(parser)
    parser.set_defaults(func=_command)


def _print_plan(plan: Plan) -> None:
    print(plan.render(), flush=True)


async def _command(args: argparse.Namespace, interrupt: Interrupt) -> int:
    try:
        spec = load(args.file)
        async with client_from_args(args) as client:
            with interrupt.scope():
                done = await apply(
                    client,
                    spec,
                    workspace_id=args.workspace,
                    dry_run=args.dry_run,
                    on_plan=_print_plan,
                )
                _report(done, dry_run=args.dry_run)
                return EXIT_OK
            return EXIT_INTERRUPTED
    except SpecError as e:
        prefix = f"{e.origin}: " if e.origin else ""
        for problem in e.problems:
            print(f"airbyte-async: {prefix}{problem}", file=sys.stderr)
        return EXIT_USAGE
    except AirbyteError as e:
        return report_error(e)


def _report(done: Plan, *, dry_run: bool) -> None:
    if dry_run:
        print("dry run: nothing was changed")
    elif not done.changes_anything:
        print("nothing to do: everything is as declared")
    else:
        for item in done.items:
            if item.changed:
                print(f"{item.action} {item.kind} {item.name} ({item.id})")
        print(f"applied: {done.summary()}")
