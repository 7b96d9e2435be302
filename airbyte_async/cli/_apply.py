"""
``airbyte-async plan FILE [-o PLAN.json]`` and ``airbyte-async apply FILE|PLAN.json``: make a
workspace match a pipeline file (:mod:`..apply`), at once or through a saved plan.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from functools import partial
from pathlib import Path

from .._checks import canonical_uuid
from ..apply import (
    Plan,
    PlanItem,
    execute,
    is_plan,
    loads,
    loads_plan,
    plan,
    save_plan,
)
from ..errors import AirbyteError, SpecError
from ._common import (
    EXIT_INTERRUPTED,
    EXIT_OK,
    EXIT_USAGE,
    Interrupt,
    client_from_args,
    report_error,
    tell,
)

__all__ = ["command"]


async def command(args: argparse.Namespace, interrupt: Interrupt) -> int:
    """Run ``airbyte-async plan`` or ``airbyte-async apply``; the exit status."""
    if args.command == "plan":
        return await _plan_command(args, interrupt)
    return await _apply_command(args, interrupt)


def _read(path: str) -> str:
    try:
        return Path(path).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as e:
        reason = e.strerror if isinstance(e, OSError) and e.strerror else str(e)
        raise SpecError([f"cannot read the file: {reason}"], origin=path) from None


async def _plan_command(args: argparse.Namespace, interrupt: Interrupt) -> int:
    try:
        spec = loads(_read(args.file), origin=args.file)
        async with client_from_args(args) as client:
            with interrupt.scope():
                planned = await plan(
                    client, spec, workspace_id=args.workspace, send_secrets=args.send_secrets
                )
                print(planned.render(), flush=True)
                return _save(planned, args.output) if args.output else EXIT_OK
            return EXIT_INTERRUPTED
    except SpecError as e:
        return _report_problems(e)
    except AirbyteError as e:
        return report_error(e, args)


def _save(planned: Plan, path: str) -> int:
    try:
        save_plan(planned, path)
    except OSError as e:
        print(f"airbyte-async: {path}: cannot write the plan: {e.strerror}", file=sys.stderr)
        return EXIT_USAGE
    print(f"plan saved to {path}: airbyte-async apply {path}")
    return EXIT_OK


async def _apply_command(args: argparse.Namespace, interrupt: Interrupt) -> int:
    try:
        text = _read(args.file)
        saved = _saved_plan(text, args) if is_plan(text) else None
        spec = loads(text, origin=args.file) if saved is None else None
        async with client_from_args(args) as client:
            written: list[PlanItem] = []
            planned: Plan | None = saved
            with interrupt.scope():
                if spec is not None:
                    planned = await plan(
                        client, spec, workspace_id=args.workspace, send_secrets=args.send_secrets
                    )
                assert planned is not None
                print(planned.render(warnings=False), flush=True)
                done = planned
                if not args.dry_run:
                    done = await execute(client, planned, on_done=partial(_written, written))
                _report(done, dry_run=args.dry_run)
                return EXIT_OK
            if planned is not None and not args.dry_run:
                _interrupted(planned, written)
            return EXIT_INTERRUPTED
    except SpecError as e:
        return _report_problems(e)
    except AirbyteError as e:
        return report_error(e, args)


def _saved_plan(text: str, args: argparse.Namespace) -> Plan:
    origin, workspace_id = args.file, args.workspace
    saved = loads_plan(text, origin=origin)
    if workspace_id is not None and canonical_uuid(workspace_id) != saved.workspace_id:
        problem = f"the plan is for workspace {saved.workspace_id}, not {workspace_id}"
        raise SpecError([problem], origin=origin)
    if args.send_secrets and not saved.send_secrets:
        problem = (
            "--send-secrets: the plan was made without it and is executed as it was made: "
            "make it again with 'airbyte-async plan FILE --send-secrets -o PLAN'"
        )
        raise SpecError([problem], origin=origin)
    return saved


def _report_problems(error: SpecError) -> int:
    prefix = f"{error.origin}: " if error.origin else ""
    for problem in error.problems:
        print(f"airbyte-async: {prefix}{problem}", file=sys.stderr)
    for note in getattr(error, "__notes__", ()):
        print(f"airbyte-async: {note}", file=sys.stderr)
    return EXIT_USAGE


def _written(written: list[PlanItem], item: PlanItem) -> None:
    """Say at once what an item wrote (a run stopped later has said it already)."""
    written.append(item)
    if item.changed:
        print(f"{item.action} {item.kind} {item.name} ({item.id})", flush=True)


def _interrupted(planned: Plan, written: Sequence[PlanItem]) -> None:
    """After a signal: the item that was being written may have been, and the rest were not."""
    if len(written) < len(planned.items):
        item = planned.items[len(written)]
        if item.changed:
            verb = "created" if item.id is None else "updated"
            tell(f"stopped before the end: the {item.kind} {item.name!r} may have been {verb}")
    tell("plan again to see what is left")


def _report(done: Plan, *, dry_run: bool) -> None:
    """The last message, then the objects whose secret values could not be compared and the
    connections a rename may have left behind."""
    unsent = done.secrets_unsent
    if dry_run:
        print("dry run: nothing was changed")
    elif not done.changes_anything and unsent:
        values = "1 secret value" if unsent == 1 else f"{unsent} secret values"
        print(f"nothing to do: everything is as declared but for {values} the server masks")
    elif not done.changes_anything:
        print("nothing to do: everything is as declared")
    else:
        print(f"applied: {done.summary()}")
    for line in done.warnings():
        print(line)
