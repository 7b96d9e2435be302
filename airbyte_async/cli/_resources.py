"""
``airbyte-async workspaces|sources|destinations|connections|jobs ...``: look things up and act on
one job, from a shell.

Every command prints a readable table, or with ``--json`` one JSON object per line and nothing
else on stdout. Errors go to stderr with exit status 2; Ctrl-C exits with 130.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Awaitable, Callable, Iterable, Sequence
from datetime import UTC, datetime
from functools import partial
from typing import Any

from .._backend import fresh_read
from .._client import AirbyteClient
from .._serde import iso
from ..errors import AirbyteError
from ..models import Attempt, Connection, Destination, Job, JobType, Source, Workspace
from ._common import (
    EXIT_INTERRUPTED,
    EXIT_OK,
    Command,
    Interrupt,
    client_from_args,
    reader_gone,
    report_error,
    silence_stdout,
)

__all__ = ["command", "run_with_client"]

Action = Callable[[argparse.Namespace, AirbyteClient], Awaitable[None]]


def run_with_client(action: Action) -> Command:
    """
    A command that opens a client from the flags and runs *action* with it, inside a scope
    that Ctrl-C cancels; errors of this package become a message and exit status 2.
    """

    async def command(args: argparse.Namespace, interrupt: Interrupt) -> int:
        try:
            async with client_from_args(args) as client:
                with interrupt.scope():
                    await action(args, client)
                    return EXIT_OK
                return EXIT_INTERRUPTED
        except AirbyteError as e:
            return report_error(e, args)
        except OSError as e:
            if not reader_gone(e):
                raise
            # The reader went away (``| head``, a terminal hung up): stop quietly, as shell
            # tools do.
            silence_stdout()
            return EXIT_OK

    return command


# -- output -----------------------------------------------------------------------------------


def _json_line(obj: dict[str, Any]) -> None:
    print(json.dumps(obj, default=iso), flush=True)


def _table(headers: Sequence[str], rows: Iterable[Sequence[str]], *, empty: str) -> None:
    rows = list(rows)
    if not rows:
        print(empty)
        return
    widths = [max(len(h), *(len(r[i]) for r in rows)) for i, h in enumerate(headers)]
    for row in (headers, *rows):
        print("  ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True)).rstrip())


def _time(moment: datetime | None) -> str:
    """*moment* in UTC, saying so: Airbyte's stamps are epoch seconds, and a time shown bare
    reads as the reader's own zone."""
    return moment.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S UTC") if moment is not None else "-"


def _count(n: int | None) -> str:
    return f"{n:,}" if n is not None else "-"


def _size(n: int | None) -> str:
    if n is None:
        return "-"
    size = float(n)
    for unit in ("B", "kB", "MB", "GB", "TB"):
        if size < 1000 or unit == "TB":
            return f"{size:.0f} {unit}" if unit == "B" else f"{size:.1f} {unit}"
        size /= 1000
    raise AssertionError("unreachable")


def _duration(job: Job) -> str:
    end = job.ended_at
    if end is None:
        return "-"
    seconds = int((end - job.created_at).total_seconds())
    minutes, seconds = divmod(max(seconds, 0), 60)
    hours, minutes = divmod(minutes, 60)
    return f"{hours}h{minutes:02d}m{seconds:02d}s" if hours else f"{minutes}m{seconds:02d}s"


def _job_json(job: Job) -> dict[str, Any]:
    end = job.ended_at
    return {
        "job_id": job.id,
        "job_type": str(job.job_type),
        "connection_id": job.connection_id,
        "status": str(job.status),
        "created_at": job.created_at,
        "updated_at": job.updated_at,
        "ended_at": end,
        "duration_s": (end - job.created_at).total_seconds() if end is not None else None,
        "attempts": len(job.attempts) if job.attempts_reported else None,
        "records_synced": job.records_synced,
        "bytes_synced": job.bytes_synced,
        "failure_reason": job.failure_reason,
    }


def _attempt_json(attempt: Attempt) -> dict[str, Any]:
    return {
        "attempt": attempt.id,
        "status": str(attempt.status),
        "created_at": attempt.created_at,
        "ended_at": attempt.ended_at,
        "records": attempt.records,
        "bytes": attempt.bytes,
        "failures": [f.describe() for f in attempt.failures],
    }


# -- workspaces, sources, destinations --------------------------------------------------------


async def _workspace_id(args: argparse.Namespace, client: AirbyteClient) -> str:
    """The workspace *args* name, read to know it is there (Airbyte lists nothing, and says
    nothing, for a workspace it lacks); else the default one."""
    if args.workspace:
        return (await client.workspaces.get(workspace_id=str(args.workspace))).workspace_id
    return (await client.workspaces.default()).workspace_id


async def _workspaces_list(args: argparse.Namespace, client: AirbyteClient) -> None:
    found: list[Workspace] = []
    async for workspace in client.workspaces.list():
        if args.json:
            _json_line(
                {
                    "workspace_id": workspace.workspace_id,
                    "name": workspace.name,
                    "slug": workspace.slug,
                    "organization_id": workspace.organization_id,
                }
            )
        found.append(workspace)
    if not args.json:
        rows = [(w.workspace_id, w.name, w.slug or "") for w in found]
        _table(("ID", "NAME", "SLUG"), rows, empty="no workspaces")


async def _actors_list(args: argparse.Namespace, client: AirbyteClient) -> None:
    workspace_id = await _workspace_id(args, client)
    kind = args.kind
    resource = client.sources if kind == "source" else client.destinations
    found: list[Source | Destination] = []
    async for actor in resource.list(workspace_id=workspace_id):
        ident = actor.source_id if isinstance(actor, Source) else actor.destination_id
        if args.json:
            _json_line(
                {
                    f"{kind}_id": ident,
                    "name": actor.name,
                    "workspace_id": actor.workspace_id,
                    "definition_id": actor.definition_id,
                    "definition_name": actor.definition_name,
                }
            )
        found.append(actor)
    if not args.json:
        rows = [
            (
                a.source_id if isinstance(a, Source) else a.destination_id,
                a.name,
                a.definition_name or a.definition_id,
            )
            for a in found
        ]
        _table(("ID", "NAME", "DEFINITION"), rows, empty=f"no {kind}s in workspace {workspace_id}")


# -- connections ------------------------------------------------------------------------------


def _selected_streams(connection: Connection) -> list[str]:
    return [
        f"{s.stream.namespace}.{s.stream.name}" if s.stream.namespace else s.stream.name
        for s in connection.sync_catalog.streams
        if s.config is not None and s.config.selected is not False
    ]


async def _connections_list(args: argparse.Namespace, client: AirbyteClient) -> None:
    workspace_id = await _workspace_id(args, client)
    rows = []
    async for c in client.connections.list(workspace_id=workspace_id):
        streams = _selected_streams(c)
        if args.json:
            _json_line(
                {
                    "connection_id": c.connection_id,
                    "name": c.name,
                    "status": str(c.status),
                    "schedule": c.schedule_description,
                    "workspace_id": c.workspace_id or workspace_id,
                    "source_id": c.source_id,
                    "destination_id": c.destination_id,
                    "streams": streams,
                }
            )
        rows.append(
            (c.connection_id, c.name, str(c.status), c.schedule_description, str(len(streams)))
        )
    if not args.json:
        headers = ("ID", "NAME", "STATUS", "SCHEDULE", "STREAMS")
        _table(headers, rows, empty=f"no connections in workspace {workspace_id}")


# -- jobs -------------------------------------------------------------------------------------


async def _jobs_list(args: argparse.Namespace, client: AirbyteClient) -> None:
    jobs: list[Job] = []
    listed = client.jobs.list(
        connection_id=args.connection,
        job_types=(JobType.SYNC, JobType.REFRESH, JobType.RESET_CONNECTION),
        order_by="-created_at",
        page_size=min(args.limit, 100) if args.limit else 100,
    )
    async for job in listed:
        if args.json:
            _json_line(_job_json(job))
        jobs.append(job)
        if args.limit and len(jobs) >= args.limit:
            break
    if not jobs:
        # A listing of an id the server does not know is empty too: a mistyped id would read
        # as a connection that never ran. NotFoundError if so.
        await client.connections.get(connection_id=args.connection)
    if not args.json:
        rows = [
            (
                str(j.id),
                str(j.job_type),
                str(j.status),
                _time(j.created_at),
                _duration(j),
                _count(j.records_synced),
                _size(j.bytes_synced),
            )
            for j in jobs
        ]
        headers = ("JOB", "TYPE", "STATUS", "CREATED", "DURATION", "RECORDS", "BYTES")
        _table(headers, rows, empty=f"no jobs for connection {args.connection}")


def _print_job(job: Job) -> None:
    print(f"job {job.id}: {job.job_type} {job.status}")
    for label, value in (
        ("connection", job.connection_id or job.config_id),
        ("created", _time(job.created_at)),
        ("ended", _time(job.ended_at)),
        ("duration", _duration(job)),
        ("records", _count(job.records_synced)),
        ("bytes", _size(job.bytes_synced)),
    ):
        print(f"  {label:<11} {value}")
    if job.attempts:
        print("attempts:")
        rows = [
            (
                str(a.id),
                str(a.status),
                _time(a.created_at),
                _time(a.ended_at),
                _count(a.records),
                _size(a.bytes),
            )
            for a in job.attempts
        ]
        _table(
            ("  ATTEMPT", "STATUS", "STARTED", "ENDED", "RECORDS", "BYTES"), _indent(rows), empty=""
        )
    failures = job.describe_failures()
    if failures:
        print("failures:")
        for line in failures:
            print(f"  {line}")


def _indent(rows: Iterable[Sequence[str]]) -> list[Sequence[str]]:
    return [(f"  {row[0]}", *row[1:]) for row in rows]


async def _jobs_get(args: argparse.Namespace, client: AirbyteClient) -> None:
    job = await client.jobs.get(job_id=args.job_id)
    if args.json:
        details = [_attempt_json(a) for a in job.attempts]
        _json_line({**_job_json(job), "attempt_details": details})
    else:
        _print_job(job)


async def _jobs_cancel(args: argparse.Namespace, client: AirbyteClient) -> None:
    # Airbyte cancels the connection's current job whatever id it is sent (API-FACTS 6.3b):
    # the id of a job that ended would stop the connection's next sync, so the cancel goes
    # on a read as fresh as jobs.cancel's own.
    job = await fresh_read(partial(client.jobs.get_light, job_id=args.job_id))
    if job.status.is_terminal:
        print(f"job {job.id} had already ended ({job.status}): nothing cancelled", file=sys.stderr)
        job = await client.jobs.get(job_id=args.job_id)
    else:
        job = await client.jobs.cancel(job_id=args.job_id, unless_ended=False)
    if args.json:
        _json_line(_job_json(job))
    else:
        print(f"job {job.id}: {job.status}")


async def _jobs_logs(args: argparse.Namespace, client: AirbyteClient) -> None:
    # The public API has no logs: jobs.logs says so, with --json too.
    if not args.json or client.api == "public":
        for line in await client.jobs.logs(job_id=args.job_id, attempt=args.attempt):
            print(line)
        return
    job = await client.jobs.get(job_id=args.job_id)
    attempt = job.attempt(args.attempt)
    logs = attempt.logs if attempt is not None else None
    if attempt is None or logs is None:
        return
    if logs.events:
        for event in logs.events:
            _json_line(
                {
                    "attempt": attempt.id,
                    "line": event.line,
                    "time": event.time.isoformat(),
                    "level": event.level,
                    "log_source": event.log_source,
                    "message": event.message,
                }
            )
    else:
        for line in logs.lines:
            _json_line({"attempt": attempt.id, "line": line})


#: What each resource command does, by ``(args.command, args.action)``.
_ACTIONS: dict[tuple[str, str], Action] = {
    ("workspaces", "list"): _workspaces_list,
    ("sources", "list"): _actors_list,
    ("destinations", "list"): _actors_list,
    ("connections", "list"): _connections_list,
    ("jobs", "list"): _jobs_list,
    ("jobs", "get"): _jobs_get,
    ("jobs", "cancel"): _jobs_cancel,
    ("jobs", "logs"): _jobs_logs,
}


async def command(args: argparse.Namespace, interrupt: Interrupt) -> int:
    """Run the resource command the flags name (``jobs get``, ...); the exit status."""
    return await run_with_client(_ACTIONS[args.command, args.action])(args, interrupt)
