"""``airbyte-async sync``: one sync for each of many connections, with progress and a summary."""

from __future__ import annotations

import argparse
import datetime as dt
import json
import shutil
import sys
import threading
import time
from collections.abc import Callable, Sequence
from typing import Any, TextIO

import anyio
import attrs

from .._checks import seconds, whole
from .._client import AirbyteClient
from ..errors import InvalidArgumentError
from ..orchestrator import (
    Batch,
    EventKind,
    Orchestrator,
    Outcome,
    Selection,
    SyncEvent,
    SyncResult,
    summarize,
)
from ._common import (
    EXIT_BROKEN_PIPE,
    EXIT_FAILED,
    EXIT_OK,
    Interrupt,
    client_from_args,
    reader_gone,
    silence_stdout,
    tell,
)

__all__ = ["Progress", "command", "print_summary", "run_batch"]


class Progress:
    """
    Counts for a live status line, fed by the orchestrator's events.

    Draws on *stream* (``sys.stderr`` as it is when made) at most five times a second, and
    only when it is a terminal that *beside* (stdout, when JSON lines go there) does not write
    to.
    """

    def __init__(
        self, total: int, stream: TextIO | None = None, beside: TextIO | None = None
    ) -> None:
        self.total = total
        stream = sys.stderr if stream is None else stream
        self.stream = stream
        self.enabled = stream.isatty() and not (beside is not None and beside.isatty())
        self.started = time.monotonic()
        #: Syncs adopted (a previous try's, ``--adopt-since``).
        self.adopted = 0
        self.done = 0
        #: The connections whose sync was triggered or adopted and has no result yet: a
        #: result that no trigger came before (an error, a sync already running) is not one.
        self.running: set[str] = set()
        self.outcomes: dict[Outcome, int] = dict.fromkeys(Outcome, 0)
        #: Records emitted so far by each running sync, from live progress events.
        self.moving: dict[str, int] = {}
        #: Triggers allowed in flight, as the latest event told.
        self.trigger_limit: int | None = None
        #: Reads the triggers in flight now (a held trigger among them), once the batch runs.
        self.triggering: Callable[[], int] | None = None

    def on_event(self, event: SyncEvent) -> None:
        """Count one event."""
        if event.trigger_limit is not None:
            self.trigger_limit = event.trigger_limit
        if event.kind in (EventKind.TRIGGERED, EventKind.ADOPTED):
            self.adopted += event.kind is EventKind.ADOPTED
            self.running.add(event.target.connection_id)
        elif event.kind is EventKind.PROGRESS and event.progress is not None:
            self.moving[event.target.connection_id] = event.progress.records_emitted or 0
        elif event.kind is EventKind.FINISHED and event.result is not None:
            self.done += 1
            self.outcomes[event.result.outcome] += 1
            self.moving.pop(event.target.connection_id, None)
            self.running.discard(event.target.connection_id)

    def line(self) -> str:
        """The status line as text."""
        failed = self.done - self.outcomes[Outcome.SUCCEEDED]
        line = (
            f"[{time.monotonic() - self.started:6.1f}s] {self.done}/{self.total} done, "
            f"{len(self.running)} running, {self.outcomes[Outcome.SUCCEEDED]} succeeded, "
            f"{failed} not"
        )
        if self.adopted:
            line += f", {self.adopted} adopted"
        if self.moving:
            line += f", {_human(sum(self.moving.values()))} records moving"
        if triggering := self.triggering() if self.triggering is not None else 0:
            line += f", {triggering} triggering"
        if self.trigger_limit is not None:
            line += f", trigger limit {self.trigger_limit}"
        return line

    def fitted(self) -> str:
        """The status line cut to the terminal's width: a line that wrapped would be redrawn
        over its last row only, and every redraw would leave a row behind."""
        width = shutil.get_terminal_size().columns
        line = self.line()
        return line if len(line) < width else line[: max(width - 2, 0)] + "…"

    async def draw(self) -> None:
        """Redraw the line until cancelled."""
        if not self.enabled:
            return
        try:
            while True:
                self.stream.write("\r" + self.fitted() + "\x1b[K")
                self.stream.flush()
                await anyio.sleep(0.2)
        finally:
            self.stream.write("\r" + self.fitted() + "\x1b[K\n")
            self.stream.flush()


_GIVEN_UP = (Outcome.CANCELLED, Outcome.TIMED_OUT)
#: The order of the rows of syncs not succeeded: those that ended on their own first.
_ROW_ORDER = {
    Outcome.FAILED: 0,
    Outcome.ERROR: 1,
    Outcome.TIMED_OUT: 2,
    Outcome.ALREADY_RUNNING: 3,
    Outcome.CANCELLED: 4,
    Outcome.SUCCEEDED: 5,
}


def _given_up(results: Sequence[SyncResult], outcome: Outcome) -> str:
    """What became of the syncs given up on with *outcome*: a job the run stopped, one never
    started, one left running (not cancelled in time, not asked to be, or not this run's)."""
    given_up = [r for r in results if r.outcome is outcome]
    parts = (
        ("job stopped", sum(r.job_id is not None and not r.left_running for r in given_up)),
        ("never started", sum(r.job_id is None and not r.left_running for r in given_up)),
        ("left running", sum(r.left_running for r in given_up)),
    )
    shown = [
        f"{count} {what.replace('job ', 'jobs ') if count > 1 else what}"
        for what, count in parts
        if count
    ]
    return f"   ({', '.join(shown)})" if shown else ""


def _human(n: float | None) -> str:
    if n is None:
        return "-"
    for unit in ("", "k", "M", "G", "T"):
        if abs(n) < 1000:
            return f"{n:.0f}{unit}" if unit == "" else f"{n:.1f}{unit}"
        n /= 1000
    return f"{n:.1f}P"


def print_summary(
    results: Sequence[SyncResult],
    elapsed: float,
    out: TextIO | None = None,
    limit: int = 20,
    *,
    gap: bool = True,
    reasons_reported: bool = True,
) -> None:
    """
    A readable summary: counts per outcome, the jobs left running, totals, and the syncs that
    did not succeed (failures and errors first, then the syncs given up on, each kind in the
    order of *results*); after a blank line when *gap* (below a progress line). Without
    *reasons_reported* (the public API, which says only that a job failed), a failed sync's
    reason says so. On *out*, else on ``sys.stdout`` as it is when called
    (``contextlib.redirect_stdout`` applies).
    """
    out = sys.stdout if out is None else out
    counts = summarize(results)
    records = sum(r.records_synced or 0 for r in results)
    volume = sum(r.bytes_synced or 0 for r in results)
    if gap:
        print(file=out)
    print(f"{len(results)} connections in {elapsed:.1f} s", file=out)
    for outcome, count in counts.items():
        if count:
            detail = _given_up(results, outcome) if outcome in _GIVEN_UP else ""
            print(f"  {outcome.value:<16} {count:>7}{detail}", file=out)
    adopted = sum(r.adopted for r in results)
    if adopted:
        print(
            f"  {'adopted':<16} {adopted:>7}   (a previous try's syncs, not started again)",
            file=out,
        )
    _print_duplicates(results, out)
    running = sum(r.left_running for r in results)
    if running:
        print(
            f"  {'left running':<16} {running:>7}   (their jobs may still run on Airbyte)", file=out
        )
    print(f"  records synced   {_human(records):>7}   bytes synced {_human(volume)}", file=out)
    # The syncs' own ends first: a failure that stopped a --fail-fast batch must not hide
    # among the "... and N more" behind the syncs it cancelled. A second sync not stopped is
    # told with its reason, although the adopted one succeeded.
    bad = sorted(
        (r for r in results if not r.ok or (r.duplicate_job_id is not None and r.error)),
        key=lambda r: _ROW_ORDER[r.outcome],
    )
    if not bad:
        return
    shown = bad[:limit]
    columns = _terminal_columns(out)
    names = [r.connection_name or r.connection_id for r in shown]
    if columns is None:
        wide = max(24, *map(len, names))
    else:
        wide = 24
        names = [_cut(name, wide) for name in names]
    twice = " (or a second sync not stopped)" if any(r.ok for r in bad) else ""
    print(f"\nnot succeeded{twice}:", file=out)
    print(f"  {'connection':<{wide}} {'job':>8}  {'outcome':<16} reason", file=out)
    for r, name in zip(shown, names, strict=True):
        # One row each: a reason's own line breaks would start rows of their own. A sync the
        # batch gave up on says why it was stopped, not what the cancel made Airbyte record.
        why = r.error if r.outcome in _GIVEN_UP and r.error else r.failure_reason or r.error
        reason = " ".join((why or "").split())
        if not reason and r.outcome is Outcome.FAILED and not reasons_reported:
            reason = "(the public API does not report why)"
        job = str(r.job_id) if r.job_id is not None else "-"
        row = f"  {name:<{wide}} {job:>8}  {r.outcome.value:<16} "
        if columns is not None:
            reason = _cut(reason, max(columns - 1 - len(row), 20))
        print(row + reason, file=out)
        for line in r.log_tail:
            print(f"      | {line}", file=out)
    if len(bad) > limit:
        print(f"  ... and {len(bad) - limit} more", file=out)


def _print_duplicates(results: Sequence[SyncResult], out: TextIO) -> None:
    """The summary's line for this run's jobs that repeated a previous try's sync (see
    ``adopt_since``): how many were cancelled, how many not stopped, and which."""
    repeated = [r for r in results if r.duplicate_job_id is not None]
    if not repeated:
        return
    missed = sum(f"job {r.duplicate_job_id} is a second sync" in (r.error or "") for r in repeated)
    parts = [f"{len(repeated) - missed} cancelled"] + [f"{missed} not stopped"] * bool(missed)
    pairs = ", ".join(f"job {r.duplicate_job_id} of job {r.job_id}" for r in repeated[:5])
    more = f" and {len(repeated) - 5} more" if len(repeated) > 5 else ""
    print(
        f"  {'second syncs':<16} {len(repeated):>7}   (this run's jobs that repeated a previous "
        f"try's, adopted instead: {', '.join(parts)}; {pairs}{more})",
        file=out,
    )


def _terminal_columns(out: TextIO) -> int | None:
    """The width to fit when *out* is a terminal (``COLUMNS`` first); None elsewhere (a file,
    a pipe, a CI log), where rows are written whole."""
    try:
        terminal = out.isatty()
    except (AttributeError, ValueError):  # a stand-in without it, a closed stream
        terminal = False
    return shutil.get_terminal_size().columns if terminal else None


def _cut(text: str, width: int) -> str:
    """*text*, or its first *width* characters ending with an ellipsis."""
    return text if len(text) <= width else text[: width - 1] + "…"


async def run_batch(
    client: AirbyteClient,
    targets: Selection | Sequence[str],
    interrupt: Interrupt,
    *,
    as_json: bool,
    adopt_since: dt.datetime | dt.timedelta | None = None,
    **options: Any,
) -> int:
    """
    Run the batch (*adopt_since*: see :meth:`Orchestrator.stream`) with a progress line or
    JSON lines, print the end, return the exit code.
    """
    started = time.monotonic()
    progress = Progress(total=0, beside=sys.stdout if as_json else None)
    interval = options.get("progress_interval")
    if interval is not None and not progress.enabled:
        seconds("--live-progress", interval)  # refused as on a terminal
        # Live counters are only ever shown on a terminal's status line.
        options["progress_interval"] = None
    orchestrator = Orchestrator(client, on_event=progress.on_event, **options)
    printed: set[str] = set()
    lines = _Lines()
    batch: Batch | None = None
    cancels = options.get("cancel_on_abort", True)
    stopping = (
        "cancelling the jobs this run started or adopted (Ctrl-C, or the same signal, again to "
        "stop waiting for that)"
        if cancels
        else "leaving the jobs this run started running"
    )

    def hurry() -> None:
        if batch is not None and batch.stop_cleanup():
            tell("no longer waiting: jobs not cancelled yet may still run")

    with interrupt.scope(stopping=stopping, hurry=hurry) as scope:
        async with (
            orchestrator.stream(targets, adopt_since=adopt_since) as batch,
            anyio.create_task_group() as tg,
        ):
            progress.total = len(batch.targets)
            running: Batch = batch
            progress.triggering = lambda: running.triggers_in_flight
            tg.start_soon(progress.draw)
            async for result in batch:
                if as_json:
                    printed.add(result.connection_id)
                    if (
                        not await lines.emit(json.dumps(result.to_json()))
                        and not scope.cancel_called
                    ):
                        # The reader went away (``| head``): stop as a signal would.
                        tell(f"stdout closed: {stopping}")
                        scope.cancel()
            tg.cancel_scope.cancel()
    final = list(batch.results.values()) if batch is not None else []
    if as_json:
        # After Ctrl-C or a deadline: the results the stream had not delivered yet.
        for result in final:
            if result.connection_id not in printed:
                await lines.emit(json.dumps(result.to_json()))
    else:
        try:
            print_summary(
                final,
                time.monotonic() - started,
                gap=progress.enabled,
                reasons_reported=client.api != "public",
            )
            sys.stdout.flush()
        except OSError as e:
            if not reader_gone(e):
                raise
            lines.gone = True
            silence_stdout()
    if lines.gone:
        return EXIT_BROKEN_PIPE
    return EXIT_OK if final and all(r.ok for r in final) else EXIT_FAILED


@attrs.define
class _Lines:
    """
    Lines on stdout, until its reader goes away (``| head``); then nothing is written.

    Each is written from a worker thread, in order: a reader slower than the batch (``|
    less``, a loop that posts each line) fills the pipe and blocks the write, which on the
    event loop froze every trigger and poll, and a Ctrl-C until the reader caught up.
    """

    gone: bool = False
    _order: threading.Lock = attrs.field(factory=threading.Lock)

    async def emit(self, line: str) -> bool:
        """Print *line*; False once the reader has gone. Cancelled, the write goes on."""
        if self.gone:
            return False
        await anyio.to_thread.run_sync(self._write, line, abandon_on_cancel=True)
        return not self.gone

    def _write(self, line: str) -> None:
        with self._order:
            if self.gone:
                return
            try:
                sys.stdout.write(line + "\n")
                sys.stdout.flush()
            except OSError as e:
                if not reader_gone(e):
                    raise
                self.gone = True
                silence_stdout()


def _check_flags(args: argparse.Namespace) -> None:
    """Refuse a sync flag out of range by its own name (the library's names the parameter:
    ``timeout`` would say --timeout of a bad --request-timeout)."""
    whole("--max-running", args.max_running, minimum=1)
    if args.max_triggers is not None:
        whole("--max-triggers", args.max_triggers, minimum=1)
    whole("--log-tail", args.log_tail, minimum=0)
    for flag in (
        "--poll-interval",
        "--timeout",
        "--sync-timeout",
        "--cancel-grace",
        "--live-progress",
    ):
        value = getattr(args, flag[2:].replace("-", "_"))
        if value is not None:
            seconds(flag, value)


async def command(args: argparse.Namespace, interrupt: Interrupt) -> int:
    """Run ``airbyte-async sync``: one sync per connection the flags select; the exit status."""
    targets: Selection | Sequence[str]
    if args.connection:
        if args.name or args.tag:
            raise InvalidArgumentError(
                "--name and --tag filter --workspace or --all, not --connection"
            )
        targets = args.connection
    else:
        targets = Selection(
            workspace_id=args.workspace,
            all_workspaces=args.all,
            name_glob=args.name,
            tags=args.tag,
        )
    _check_flags(args)
    max_triggers = args.max_running if args.max_triggers is None else args.max_triggers
    client = client_from_args(args, max_connections=max(10, max_triggers + 20))
    async with client:
        return await run_batch(
            client,
            targets,
            interrupt,
            as_json=args.json,
            adopt_since=args.adopt_since,
            max_running=args.max_running,
            max_triggers=args.max_triggers,
            adaptive_triggers=not args.fixed_triggers,
            poll_interval=args.poll_interval,
            max_poll_interval=max(30.0, args.poll_interval),
            timeout=args.timeout,
            sync_timeout=args.sync_timeout,
            on_running=args.on_running,
            cancel_on_abort=not args.no_cancel,
            cancel_grace=args.cancel_grace,
            fail_fast=args.fail_fast,
            log_tail=args.log_tail,
            progress_interval=args.live_progress,
        )
