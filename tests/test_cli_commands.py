"""
The everyday commands (workspaces, sources, destinations, connections, jobs, apply) against an
emulator on 127.0.0.1 and an ephemeral port, served from a background thread while ``main``
runs in the test's thread as it would in a shell.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import io
import json
import logging
import os
import re
import signal
import subprocess
import sys
import time
from collections.abc import Awaitable, Callable, Iterator
from datetime import UTC, datetime
from functools import partial
from pathlib import Path
from typing import Any, TypeVar

import anyio
import anyio.from_thread
import pytest
from pipeline_support import PIPELINE
from shell_support import cli_shell

from airbyte_async import AirbyteClient
from airbyte_async.cli import _sync, main
from airbyte_async.cli._app import _configure_logging
from airbyte_async.cli._parser import build_parser, parse_adopt_since
from airbyte_async.orchestrator import EventKind, Outcome, SyncEvent, SyncResult, SyncTarget
from airbyte_async.resources import _reconcile
from airbyte_async.testing import Emulator, Fault, RequireBasic, RequireClientCredentials
from airbyte_async.testing.pytest_plugin import TEST_TRIGGER_LATENCY

ROOT = Path(__file__).resolve().parents[1]
T = TypeVar("T")


class Served:
    """An emulator running in a portal's event loop, and helpers to use it from this thread."""

    def __init__(self, emulator: Emulator, portal: anyio.from_thread.BlockingPortal) -> None:
        self.emulator = emulator
        self.portal = portal

    def call(self, work: Callable[[AirbyteClient], Awaitable[T]]) -> T:
        """Run *work* with a client on the emulator, in the emulator's loop."""

        async def with_client() -> T:
            async with AirbyteClient(self.emulator.url, env={}) as client:
                return await work(client)

        return self.portal.call(with_client)

    def finished_job(self, **plan: Any) -> int:
        """The id of a sync of the first connection, run to its end."""
        connection_id = self.emulator.connection_ids[0]
        if plan:
            self.emulator.set_sync_plan(connection_id, **plan)

        async def run(client: AirbyteClient) -> int:
            job = await client.connections.sync(connection_id=connection_id)
            with anyio.fail_after(5):
                return (await client.jobs.wait(job_id=job.id, poll_interval=0.01)).id

        return self.call(run)


@pytest.fixture
def emulator_version() -> str:
    """The Airbyte version the emulator plays; a test overrides it with a parametrize."""
    return "0.50"


@pytest.fixture
def served(emulator_version: str) -> Iterator[Served]:
    """An emulator (two connections, quick syncs) on 127.0.0.1, port 0, in a thread."""
    emulator = Emulator(
        trigger_latency=TEST_TRIGGER_LATENCY,
        airbyte_version=emulator_version,
        connections=2,
        sync_duration=(0.01, 0.02),
        host="127.0.0.1",
        port=0,
    )
    with (
        anyio.from_thread.start_blocking_portal() as portal,
        portal.wrap_async_context_manager(emulator),
    ):
        yield Served(emulator, portal)


@pytest.fixture
def run(
    served: Served, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> Callable[..., tuple[int, str, str]]:
    """``run("jobs", "list", ...)``: main's exit status, stdout and stderr; AIRBYTE_URL set."""
    for name in [n for n in os.environ if n.startswith("AIRBYTE_")]:
        monkeypatch.delenv(name)
    monkeypatch.setenv("AIRBYTE_URL", served.emulator.url)

    def run(*argv: str) -> tuple[int, str, str]:
        capsys.readouterr()
        code = main(list(argv))
        out, err = capsys.readouterr()
        return code, out, err

    return run


def json_lines(out: str) -> list[dict[str, Any]]:
    """stdout as JSON lines; fails on anything else."""
    return [json.loads(line) for line in out.splitlines()]


# -- listings -----------------------------------------------------------------------------------


def test_workspaces_list(run: Callable[..., tuple[int, str, str]], served: Served) -> None:
    """A table with the workspace; with --json one object per workspace."""
    code, out, _ = run("workspaces", "list")
    assert code == 0
    assert out.splitlines()[0].split() == ["ID", "NAME", "SLUG"]
    assert served.emulator.workspace_ids[0] in out

    code, out, _ = run("workspaces", "list", "--json")
    assert [w["workspace_id"] for w in json_lines(out)] == served.emulator.workspace_ids


def test_sources_and_destinations_list(
    run: Callable[..., tuple[int, str, str]], served: Served
) -> None:
    """Both list the default workspace's actors, with their definitions."""
    code, out, _ = run("sources", "list")
    assert code == 0
    assert "src-00000" in out and "Postgres" in out

    code, out, _ = run("destinations", "list", "--json")
    rows = json_lines(out)
    assert [d["name"] for d in rows] == ["dst-00000", "dst-00001"]
    assert {d["definition_name"] for d in rows} == {"S3"}


def test_a_list_on_the_public_api_with_several_workspaces_asks_for_one(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """On the public API, which designates no default workspace, ``sources list`` without
    ``--workspace`` where several are listed exits 2 naming them and the flag, rather than
    list whichever workspace comes first; with ``--workspace`` it lists that one."""
    with cli_shell(
        tmp_path, monkeypatch, capsys, pipeline="", env={}, airbyte_version="head", workspaces=2
    ) as (emu, run):
        code, out, err = run("sources", "list", "--api", "public")
        named = run("sources", "list", "--api", "public", "--workspace", emu.workspace_ids[1])

    assert (code, out) == (2, "")
    assert err.startswith("airbyte-async: AmbiguousMatchError: 2 workspaces are listed")
    assert all(workspace_id in err for workspace_id in emu.workspace_ids)
    assert "--workspace ID" in err
    assert named[0] == 0


@pytest.mark.parametrize("kind", ["sources", "destinations", "connections"])
def test_a_list_of_a_workspace_the_server_lacks_is_an_error(
    run: Callable[..., tuple[int, str, str]], kind: str
) -> None:
    """Airbyte lists nothing for a workspace it lacks: the command says it is not there
    (exit 2), not that it holds nothing."""
    missing = "00000000-0000-4000-8000-00000000abcd"

    code, out, err = run(kind, "list", "--workspace", missing)

    assert (code, out) == (2, "")
    assert "NotFoundError" in err and missing in err


def test_connections_list(run: Callable[..., tuple[int, str, str]], served: Served) -> None:
    """Every connection of the named workspace; JSON has ids, schedule and streams."""
    workspace_id = served.emulator.workspace_ids[0]

    code, out, _ = run("connections", "list", "--workspace", workspace_id, "--json")

    assert code == 0
    rows = json_lines(out)
    assert [c["connection_id"] for c in rows] == served.emulator.connection_ids
    assert rows[0]["schedule"] == "manual"
    assert rows[0]["streams"] == ["public.customers", "public.orders", "public.products"]
    code, out, _ = run("connections", "list")
    assert out.splitlines()[0].split() == ["ID", "NAME", "STATUS", "SCHEDULE", "STREAMS"]


def test_an_empty_listing_says_so(run: Callable[..., tuple[int, str, str]], served: Served) -> None:
    """No connections in a workspace: a sentence, not an empty table; nothing with --json."""
    other = served.call(lambda c: c.workspaces.create(name="empty", organization_id=_ORG))

    assert run("connections", "list", "--workspace", other.workspace_id)[1].startswith(
        "no connections in workspace"
    )
    assert run("connections", "list", "--workspace", other.workspace_id, "--json")[1] == ""


_ORG = "00000000-0000-0000-0000-000000000000"


# -- jobs ---------------------------------------------------------------------------------------


def test_jobs_list(run: Callable[..., tuple[int, str, str]], served: Served) -> None:
    """A connection's jobs, newest first, limited by --limit."""
    first, second = served.finished_job(), served.finished_job()
    connection_id = served.emulator.connection_ids[0]

    code, out, _ = run("jobs", "list", "--connection", connection_id, "--json")
    assert code == 0
    assert [j["job_id"] for j in json_lines(out)] == [second, first]
    assert json_lines(out)[0]["status"] == "succeeded"

    code, out, _ = run("jobs", "list", "--connection", connection_id, "--limit", "1")
    assert out.splitlines()[0].split()[:3] == ["JOB", "TYPE", "STATUS"]
    assert len(out.splitlines()) == 2


def test_jobs_list_of_an_unknown_connection_says_so(
    run: Callable[..., tuple[int, str, str]], served: Served
) -> None:
    """Airbyte lists no jobs for an id it does not know: the command then checks the
    connection, so a mistyped id is an error (exit status 2), not a connection that never ran;
    a known connection without jobs is one line saying so (exit status 0)."""
    unknown = "11111111-2222-3333-4444-555555555555"

    code, out, err = run("jobs", "list", "--connection", unknown)
    assert (code, out) == (2, "")
    assert err.startswith("airbyte-async: NotFoundError: ")

    never_ran = served.emulator.connection_ids[-1]
    code, out, _ = run("jobs", "list", "--connection", never_ran)
    assert (code, out) == (0, f"no jobs for connection {never_ran}\n")


def test_jobs_get(run: Callable[..., tuple[int, str, str]], served: Served) -> None:
    """A failed job: its attempts and its failure, readable and as JSON (times as ISO text)."""
    job_id = served.finished_job(outcome="failed", duration=0.01)

    code, out, _ = run("jobs", "get", str(job_id))
    assert code == 0
    assert out.startswith(f"job {job_id}: sync failed")
    assert "failures:\n  attempt 0: " in out

    code, out, _ = run("jobs", "get", str(job_id), "--json")
    [job] = json_lines(out)
    assert (job["job_id"], job["status"]) == (job_id, "failed")
    assert job["attempts"] == len(job["attempt_details"]) == 1
    assert job["attempt_details"][0]["failures"]
    created, ended = (datetime.fromisoformat(job[key]) for key in ("created_at", "ended_at"))
    assert ended >= created


def test_jobs_get_and_list_print_times_in_utc_and_say_so(
    run: Callable[..., tuple[int, str, str]], served: Served
) -> None:
    """The times a job's table and its details print are UTC, and say so: Airbyte stamps jobs
    in epoch seconds, which read as UTC here, and a reader in another zone would otherwise
    take them for their own (API-FACTS 3, ``JobRead.createdAt``)."""
    job_id = served.finished_job()
    connection_id = served.emulator.connection_ids[0]
    [job] = json_lines(run("jobs", "get", str(job_id), "--json")[1])
    created = datetime.fromisoformat(job["created_at"]).astimezone(UTC)
    shown = created.strftime("%Y-%m-%d %H:%M:%S UTC")

    details = run("jobs", "get", str(job_id))[1].splitlines()
    assert f"  created     {shown}" in details

    code, out, _ = run("jobs", "list", "--connection", connection_id)
    assert code == 0
    assert shown in out.splitlines()[1]


def test_jobs_cancel(run: Callable[..., tuple[int, str, str]], served: Served) -> None:
    """A running job is cancelled and reported so."""
    served.emulator.set_sync_plan(served.emulator.connection_ids[1], duration=60)
    job = served.call(lambda c: c.connections.sync(connection_id=served.emulator.connection_ids[1]))

    code, out, _ = run("jobs", "cancel", str(job.id), "--json")

    assert code == 0
    assert json_lines(out)[0]["status"] == "cancelled"
    assert served.emulator.job_status(job.id) == "cancelled"


def test_jobs_cancel_of_an_ended_job_leaves_the_newer_one_running(
    run: Callable[..., tuple[int, str, str]], served: Served
) -> None:
    """
    Cancelling a job that already ended sends no cancel: on Airbyte it would stop the
    connection's newer job (API-FACTS 6.3b), and that one keeps running.
    """
    ended = served.finished_job()
    connection_id = served.emulator.connection_ids[0]
    served.emulator.set_sync_plan(connection_id, duration=60)
    newer = served.call(lambda c: c.connections.sync(connection_id=connection_id))

    code, out, err = run("jobs", "cancel", str(ended), "--json")

    assert code == 0
    assert json_lines(out)[0]["status"] == "succeeded"
    assert "nothing cancelled" in err
    assert served.emulator.job_status(newer.id) == "running"


def test_jobs_cancel_on_a_late_read_leaves_a_newer_job_running(
    run: Callable[..., tuple[int, str, str]], served: Served
) -> None:
    """
    The read the cancel goes on answers 2 s late, still saying "running", while the job ends
    and another client starts the connection's next one: the job is read again (the answer
    is as old as its request) and found ended, so no cancel is sent, which on Airbyte would
    stop that newer job (API-FACTS 6.3b).
    """
    emulator = served.emulator
    connection_id = emulator.connection_ids[1]
    emulator.set_sync_plan(connection_id, duration=1.0)
    job = served.call(lambda c: c.connections.sync(connection_id=connection_id))
    emulator.set_sync_plan(connection_id, duration=60)
    late = Fault(kind="late", route="jobs/get_light", delay=2.0, times=1)
    served.portal.call(emulator.set_faults, [late])
    newer: list[int] = []

    async def another_client() -> None:
        await anyio.sleep(1.5)
        async with AirbyteClient(emulator.url, env={}) as client:
            newer.append((await client.connections.sync(connection_id=connection_id)).id)

    served.portal.start_task_soon(another_client)
    code, out, err = run("jobs", "cancel", str(job.id), "--json")

    assert code == 0
    assert json_lines(out)[0]["status"] == "succeeded"
    assert "nothing cancelled" in err
    assert emulator.job_status(newer[0]) == "running"


def test_jobs_logs(run: Callable[..., tuple[int, str, str]], served: Served) -> None:
    """The last attempt's lines; --attempt picks one; --json gives objects with each line."""
    job_id = served.finished_job()

    code, out, _ = run("jobs", "logs", str(job_id))
    assert code == 0
    assert out.splitlines()[0].endswith(f"Starting attempt 0 of job {job_id}")

    assert run("jobs", "logs", str(job_id), "--attempt", "0")[1] == out
    code, out_json, _ = run("jobs", "logs", str(job_id), "--json")
    assert [line["line"] for line in json_lines(out_json)] == out.splitlines()


@pytest.mark.parametrize("emulator_version", ["head"])
def test_jobs_logs_json_of_structured_events(
    run: Callable[..., tuple[int, str, str]], served: Served
) -> None:
    """Head's structured events: --json gives time, level, source and message of each."""
    job_id = served.finished_job()

    code, out, _ = run("jobs", "logs", str(job_id), "--json")

    assert code == 0
    first = json_lines(out)[0]
    assert (first["level"], first["log_source"]) == ("info", "platform")
    assert first["message"] == f"Starting attempt 0 of job {job_id}"
    assert first["line"].endswith(f"INFO platform: {first['message']}")
    assert first["time"].endswith("+00:00")


# -- errors, help, Ctrl-C -----------------------------------------------------------------------


def test_an_error_goes_to_stderr_with_status_2(
    run: Callable[..., tuple[int, str, str]], served: Served
) -> None:
    """A missing attempt: one line on stderr, nothing on stdout, exit status 2."""
    job_id = served.finished_job()

    code, out, err = run("jobs", "logs", str(job_id), "--attempt", "4")

    assert (code, out) == (2, "")
    assert err == f"airbyte-async: NoMatchError: job {job_id} has no attempt 4 (attempts: 0)\n"


def test_no_url_is_a_usage_error(
    run: Callable[..., tuple[int, str, str]], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Neither --url nor AIRBYTE_URL: the message says so, exit status 2."""
    monkeypatch.delenv("AIRBYTE_URL")

    code, _, err = run("workspaces", "list")

    assert code == 2
    assert "no Airbyte URL: pass --url or set AIRBYTE_URL" in err


def test_an_api_error_is_reported(run: Callable[..., tuple[int, str, str]]) -> None:
    """An unknown job id (0.x answers 500, saying so): the error on stderr, exit status 2."""
    code, out, err = run("jobs", "get", "999999")

    assert (code, out) == (2, "")
    assert err.startswith("airbyte-async: NotFoundError: 500 on jobs/get")
    assert "Could not find job with id: 999999" in err


@pytest.mark.parametrize("emulator_version", ["head"])
def test_sync_under_a_path_that_serves_nothing_says_to_check_the_path(
    run: Callable[..., tuple[int, str, str]], served: Served
) -> None:
    """``sync --url <host>/foo --all``: one line saying nothing there serves the Config API (a
    route every version has is missing too), not that the server's version lacks a route."""
    code, out, err = run("sync", "--url", served.emulator.url + "/foo", "--all")

    assert (code, out) == (2, "")
    assert err.startswith(
        f"airbyte-async: UnsupportedOperationError: nothing at {served.emulator.url}/foo/api/v1/"
        " serves the Config API ("
    )
    assert "check the URL's path" in err
    assert "is not on this server" not in err
    assert err.count("\n") == 1


@pytest.mark.parametrize(
    "command",
    [
        ("workspaces", "list"),
        ("sources", "list"),
        ("destinations", "list"),
        ("connections", "list"),
        ("jobs", "list"),
        ("jobs", "get"),
        ("jobs", "cancel"),
        ("jobs", "logs"),
        ("apply",),
    ],
)
def test_help_shows_examples(command: tuple[str, ...], capsys: pytest.CaptureFixture[str]) -> None:
    """Every command's --help ends with examples of itself."""
    with pytest.raises(SystemExit) as exited:
        main([*command, "--help"])

    assert exited.value.code == 0
    out = capsys.readouterr().out
    assert "examples:" in out
    assert f"airbyte-async {' '.join(command)}" in out


@pytest.mark.slow
def test_ctrl_c_exits_with_130(served: Served, tmp_path: Path) -> None:
    """SIGINT while a command waits on the server: exit status 130, promptly."""
    slow = [Fault(kind="latency", route="workspaces/*", delay=30)]
    served.portal.call(served.emulator.set_faults, slow)
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith("AIRBYTE_")},
        "AIRBYTE_URL": served.emulator.url,
        "PYTHONPATH": str(ROOT),
    }
    command = [sys.executable, "-m", "airbyte_async", "workspaces", "list"]
    with subprocess.Popen(command, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE) as proc:
        deadline = time.monotonic() + 20
        while served.emulator.stats().max_in_flight_requests == 0:
            assert time.monotonic() < deadline, "the command never reached the server"
            time.sleep(0.02)
        proc.send_signal(signal.SIGINT)
        assert proc.wait(timeout=10) == 130


#: A sitecustomize that sends its own process SIGINT when aiohttp is first looked for: a Ctrl-C
#: that lands, every time, while the command line still imports what it runs on.
CTRL_C_DURING_IMPORTS = """\
import os, signal, sys


class InterruptOnImport:
    def find_spec(self, name, path=None, target=None):
        if name == "aiohttp":
            sys.meta_path.remove(self)
            os.kill(os.getpid(), signal.SIGINT)
        return None


sys.meta_path.insert(0, InterruptOnImport())
"""


@pytest.mark.parametrize("entry", ["console script", "python -m"])
def test_ctrl_c_during_the_imports_exits_with_130_and_one_line(entry: str, tmp_path: Path) -> None:
    """SIGINT while ``airbyte-async`` (or ``python -m airbyte_async``) still imports aiohttp and
    the rest, once it has parsed a command that needs them: exit status 130 and one line on
    stderr, no traceback."""
    script = Path(sys.executable).with_name("airbyte-async")
    if entry == "console script" and not script.exists():
        pytest.skip(f"the console script is not installed beside {sys.executable}")
    (tmp_path / "sitecustomize.py").write_text(CTRL_C_DURING_IMPORTS)
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(tmp_path), str(ROOT)])}
    command = [sys.executable, "-m", "airbyte_async"] if entry == "python -m" else [str(script)]

    done = subprocess.run(
        [*command, "workspaces", "list", "--url", "http://127.0.0.1:9"],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )

    assert (done.returncode, done.stdout) == (130, ""), done.stderr
    assert done.stderr == "airbyte-async: interrupted while starting: nothing was done\n"


#: A sitecustomize that sends its own process the signal SIGNAL when MODULE is first looked
#: for: aiohttp while the command line still imports itself, anyio's asyncio backend once
#: ``_app.run`` has parsed the command and starts its event loop (before the command runs).
SIGNAL_DURING_IMPORT = """\
import os, signal, sys


class SignalOnImport:
    def find_spec(self, name, path=None, target=None):
        if name == "MODULE":
            sys.meta_path.remove(self)
            os.kill(os.getpid(), signal.SIGNAL)
        return None


sys.meta_path.insert(0, SignalOnImport())
"""


@pytest.mark.parametrize(
    ("module", "sent"),
    [
        ("aiohttp", signal.SIGTERM),
        ("anyio._backends._asyncio", signal.SIGINT),
        ("anyio._backends._asyncio", signal.SIGTERM),
    ],
)
def test_a_signal_before_the_command_starts_exits_with_128_plus_its_number_and_one_line(
    module: str, sent: signal.Signals, tmp_path: Path
) -> None:
    """SIGTERM while ``airbyte-async`` imports itself, or Ctrl-C or SIGTERM once it starts its
    event loop but before the command listens for signals: the same one line as a Ctrl-C
    during the imports, no traceback, and 128 plus the signal's number (not a death by
    SIGTERM, which a shell reports as 143 with no word from the program)."""
    sitecustomize = SIGNAL_DURING_IMPORT.replace("MODULE", module).replace("SIGNAL", sent.name)
    (tmp_path / "sitecustomize.py").write_text(sitecustomize)
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(tmp_path), str(ROOT)])}
    command = [sys.executable, "-m", "airbyte_async", "workspaces", "list"]

    done = subprocess.run(
        [*command, "--url", "http://127.0.0.1:9"],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )

    assert (done.returncode, done.stdout) == (128 + sent, ""), done.stderr
    assert done.stderr == "airbyte-async: interrupted while starting: nothing was done\n"


# -- credentials --------------------------------------------------------------------------------


@pytest.fixture
def guarded(monkeypatch: pytest.MonkeyPatch) -> Iterator[Callable[[object], str]]:
    """``guarded(auth)``: the URL of an emulator that requires *auth*; no AIRBYTE_* set."""
    for name in [n for n in os.environ if n.startswith("AIRBYTE_")]:
        monkeypatch.delenv(name)
    with anyio.from_thread.start_blocking_portal() as portal:
        opened: list[Any] = []

        def start(auth: object) -> str:
            emulator = Emulator(
                airbyte_version="head",
                auth=auth,
                host="127.0.0.1",
                port=0,  # type: ignore[arg-type]
            )
            opened.append(portal.wrap_async_context_manager(emulator))
            opened[-1].__enter__()
            return emulator.url

        try:
            yield start
        finally:
            for context in reversed(opened):
                context.__exit__(None, None, None)


def test_a_username_flag_takes_its_password_from_the_environment(
    guarded: Callable[[object], str],
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """--username with AIRBYTE_PASSWORD set: the pair is the flag's user and the variable's
    password, as the flags' help says ($AIRBYTE_PASSWORD is --password's default)."""
    url = guarded(RequireBasic("ops", "pw-from-env"))
    monkeypatch.setenv("AIRBYTE_PASSWORD", "pw-from-env")

    assert main(["workspaces", "list", "--url", url, "--username", "ops"]) == 0, capsys.readouterr()


def test_a_client_id_flag_takes_its_secret_from_the_environment(
    guarded: Callable[[object], str],
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """--client-id with AIRBYTE_CLIENT_SECRET set: the secret comes from the variable."""
    url = guarded(RequireClientCredentials("app-1", "secret-from-env"))
    monkeypatch.setenv("AIRBYTE_CLIENT_SECRET", "secret-from-env")

    code = main(["workspaces", "list", "--url", url, "--client-id", "app-1"])
    assert code == 0, capsys.readouterr()


def test_half_a_pair_of_credentials_is_a_usage_error_naming_both_places(
    guarded: Callable[[object], str], capsys: pytest.CaptureFixture[str]
) -> None:
    """--username with no password anywhere: exit 2 before any request, naming the flag and
    the variable (an empty password would only earn a 401)."""
    url = guarded(RequireBasic("ops", "pw"))

    assert main(["workspaces", "list", "--url", url, "--username", "ops"]) == 2
    err = capsys.readouterr().err
    assert "--password" in err and "AIRBYTE_PASSWORD" in err
    assert "401" not in err


def test_a_401_with_no_credentials_says_what_gives_some(
    guarded: Callable[[object], str], capsys: pytest.CaptureFixture[str]
) -> None:
    """``sync`` refused with a 401 when no credentials were given: after the
    AuthenticationError, a line names every flag and variable the command reads credentials
    from (see client_from_args and auth_from_env)."""
    url = guarded(RequireBasic("ops", "pw"))

    assert main(["sync", "--all", "--url", url]) == 2
    first, hint = capsys.readouterr().err.splitlines()[-2:]
    assert first.startswith("airbyte-async: AuthenticationError: 401")
    assert hint.startswith("airbyte-async: no credentials were sent: pass --username/--password")
    for name in (
        "--token",
        "--client-id/--client-secret",
        "AIRBYTE_USERNAME/AIRBYTE_PASSWORD",
        "AIRBYTE_TOKEN",
        "AIRBYTE_CLIENT_ID/AIRBYTE_CLIENT_SECRET",
    ):
        assert name in hint


@pytest.mark.parametrize(
    ("flags", "variables", "source"),
    [
        (["--username", "ops", "--password", "wrong-pw-7"], {}, "--username/--password"),
        (["--username", "ops"], {"AIRBYTE_PASSWORD": "wrong-pw-7"}, "--username/AIRBYTE_PASSWORD"),
        (
            [],
            {"AIRBYTE_USERNAME": "ops", "AIRBYTE_PASSWORD": "wrong-pw-7"},
            "AIRBYTE_USERNAME/AIRBYTE_PASSWORD",
        ),
        (["--url-credentials"], {}, "the user and password in --url"),
    ],
    ids=["flags", "flag-and-variable", "variables", "url"],
)
def test_a_401_names_where_the_refused_credentials_came_from_and_never_them(
    guarded: Callable[[object], str],
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    flags: list[str],
    variables: dict[str, str],
    source: str,
) -> None:
    """``sync`` with wrong basic credentials: the line after the AuthenticationError names
    the flags, variables or URL they came from, and the password appears nowhere."""
    url = guarded(RequireBasic("ops", "pw"))
    if flags == ["--url-credentials"]:
        flags, url = [], url.replace("http://", "http://ops:wrong-pw-7@")
    for name, value in variables.items():
        monkeypatch.setenv(name, value)

    assert main(["sync", "--all", "--url", url, *flags]) == 2
    err = capsys.readouterr().err
    assert err.splitlines()[-1] == (
        f"airbyte-async: the server refused the credentials from {source}: check them, or "
        "give another kind (see --help)"
    )
    assert "wrong-pw-7" not in err


# -- apply --------------------------------------------------------------------------------------


@pytest.fixture
def pipeline(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The pipeline file, and its secret in the environment."""
    monkeypatch.setenv("PG_PASSWORD", "do-not-print-me")
    path = tmp_path / "pipeline.toml"
    path.write_text(PIPELINE)
    return path


def test_apply_dry_run_prints_the_plan_only(
    run: Callable[..., tuple[int, str, str]], pipeline: Path, served: Served
) -> None:
    """--dry-run: the plan, then nothing created."""
    code, out, _ = run("apply", str(pipeline), "--dry-run")

    assert code == 0
    assert "+ create     source       shop (Postgres)" in out
    assert out.rstrip().endswith("dry run: nothing was changed")
    assert served.call(_source_names) == [f"src-0000{i}" for i in range(2)]


async def _source_names(client: AirbyteClient) -> list[str]:
    workspace = await client.workspaces.default()
    return [s.name async for s in client.sources.list(workspace_id=workspace.workspace_id)]


def test_apply_twice(run: Callable[..., tuple[int, str, str]], pipeline: Path) -> None:
    """The first run creates and says so; the second has nothing to do but for the password,
    which the server masks; no secret shown."""
    code, out, err = run("apply", str(pipeline))
    assert code == 0
    assert "created connection shop-to-lake" in out
    assert out.rstrip().endswith("applied: 3 created, 0 updated, 0 unchanged")

    code, again, err_again = run("apply", str(pipeline))
    assert code == 0
    assert "plan: 0 to create, 0 to update, 3 unchanged" in again
    assert again.rstrip().endswith(
        "nothing to do: everything is as declared but for 1 secret value the server masks\n"
        "source shop: 1 secret value cannot be compared (the server masks it): pass "
        "--send-secrets to write it"
    )
    assert "do-not-print-me" not in out + err + again + err_again


def test_apply_an_invalid_file(
    run: Callable[..., tuple[int, str, str]], pipeline: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Each problem on its own stderr line, with the file and key; exit status 2."""
    pipeline.write_text(PIPELINE.replace('sync_mode = "incremental"', 'sync_mode = "incrementl"'))
    monkeypatch.delenv("PG_PASSWORD")

    code, out, err = run("apply", str(pipeline))

    assert (code, out) == (2, "")
    assert err.splitlines() == [
        f"airbyte-async: {pipeline}: sources[0].configuration.password: "
        "environment variable PG_PASSWORD is not set",
        f"airbyte-async: {pipeline}: connections[0].streams[0].sync_mode: unknown value "
        "'incrementl' (expected one of: full_refresh, incremental)",
    ]


@pytest.mark.parametrize(
    ("argv", "loads_emulator"),
    [
        (["workspaces", "list", "--url", "http://127.0.0.1:9"], False),
        (["-v", "sync", "--url", "http://127.0.0.1:9", "--all"], False),
        (["emulator", "--port", "-1"], True),
    ],
)
def test_only_the_emulator_commands_load_the_emulator(
    argv: list[str], loads_emulator: bool
) -> None:
    """The emulator is a third of the start-up: a command that does not serve it does not
    import it (run in a fresh interpreter, which nothing else has made import it)."""
    script = (
        "import sys\n"
        "from airbyte_async.cli import main\n"
        f"main({argv!r})\n"
        "print('airbyte_async.testing' in sys.modules)\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=120, check=False
    )
    assert done.stdout.strip().splitlines()[-1] == str(loads_emulator), done.stderr


def test_sync_help_ends_with_examples(capsys: pytest.CaptureFixture[str]) -> None:
    """``sync --help`` shows examples, as every command's help does."""
    with pytest.raises(SystemExit) as exited:
        main(["sync", "--help"])

    assert exited.value.code == 0
    help_text = capsys.readouterr().out
    assert "\nexamples:\n  airbyte-async sync " in help_text


# -- sync ---------------------------------------------------------------------------------------


class _Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_sync_tells_of_a_held_trigger_on_its_status_line_and_in_a_warning(
    run: Callable[..., tuple[int, str, str]], served: Served, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A trigger that timed out is held while its job is looked for (here 1 s, not five
    minutes): the status line counts it as triggering and a warning says why it waits."""
    monkeypatch.setattr(_reconcile, "_HOLD", 1.0)
    monkeypatch.setattr(_reconcile, "_HOLD_PAUSE", 0.2)
    terminal = _Terminal()
    monkeypatch.setattr(_sync, "Progress", partial(_sync.Progress, stream=terminal))
    slow = Fault(kind="slow", route="connections/sync", delay=1.0, times=1)
    served.portal.call(served.emulator.set_faults, [slow])

    code, _, err = run("sync", "--all", "--request-timeout", "0.25")

    assert code == 0, err
    assert "timed out after 0.25" in err and "no job has appeared yet" in err
    assert "a request timeout this short holds triggers often" in err
    assert ", 1 triggering" in terminal.getvalue()
    assert "triggering" not in terminal.getvalue().rsplit("\r", 1)[-1]  # the last line


def test_sync_json_into_a_file_keeps_the_status_line_on_the_terminal(
    run: Callable[..., tuple[int, str, str]], monkeypatch: pytest.MonkeyPatch
) -> None:
    """``sync --json > out.jsonl`` from a terminal: the JSON lines go to the file, and the
    status line is drawn on stderr, the terminal, all the same."""
    terminal = _Terminal()
    monkeypatch.setattr(_sync, "Progress", partial(_sync.Progress, stream=terminal))

    code, out, _ = run("sync", "--all", "--json")

    assert code == 0
    assert all(json.loads(line)["ok"] for line in out.splitlines())
    assert " done, " in terminal.getvalue()


def test_sync_draws_its_status_line_on_stderr_as_it_is_when_the_run_starts(
    run: Callable[..., tuple[int, str, str]],
) -> None:
    """The status line goes to ``sys.stderr`` as it is when the run starts (one a scheduler's
    task replaced with ``redirect_stderr``), not as it was when the module was imported: that
    one may have been closed since."""
    terminal = _Terminal()
    with contextlib.redirect_stderr(terminal):
        code, _, _ = run("sync", "--all")

    assert code == 0
    assert " done, " in terminal.getvalue()


def test_sync_prints_its_summary_on_stdout_as_it_is_when_the_run_ends(
    run: Callable[..., tuple[int, str, str]],
) -> None:
    """The summary goes to ``sys.stdout`` as it is at the end of the run (one replaced by
    ``redirect_stdout`` or a test's capture), not as it was when the module was imported."""
    code, out, err = run("sync", "--all")

    assert code == 0, err
    assert "2 connections in " in out and "  succeeded              2" in out


@pytest.mark.parametrize("form", ["iso", "relative"])
def test_sync_adopt_since_adopts_the_first_try_s_sync_in_either_form(
    run: Callable[..., tuple[int, str, str]],
    served: Served,
    monkeypatch: pytest.MonkeyPatch,
    form: str,
) -> None:
    """``--adopt-since`` as an ISO 8601 time with an offset, or as ``-30m``: the sync the first
    try started is adopted (no second job), the other connection triggered, and the status
    line and the summary count the adopted one."""
    given = (dt.datetime.now(dt.UTC) - dt.timedelta(minutes=1)).astimezone(
        dt.timezone(dt.timedelta(hours=2))
    )
    since = given.isoformat() if form == "iso" else "-30m"
    first, second = served.emulator.connection_ids
    job = served.finished_job()
    terminal = _Terminal()
    monkeypatch.setattr(_sync, "Progress", partial(_sync.Progress, stream=terminal))

    code, out, err = run("sync", "--all", "--adopt-since", since)

    assert code == 0, err
    assert ", 1 adopted" in terminal.getvalue()
    assert re.search(r"^  adopted +1 ", out, re.MULTILINE)
    jobs = served.emulator.stats().jobs_by_connection
    assert jobs[first] == [job] and len(jobs[second]) == 1


def test_sync_adopt_since_json_says_which_result_was_adopted(
    run: Callable[..., tuple[int, str, str]], served: Served
) -> None:
    """With --json, the adopted result carries ``"adopted": true`` and the first try's job."""
    job = served.finished_job()

    code, out, err = run("sync", "--all", "--json", "--adopt-since", "-1h")

    assert code == 0, err
    assert [(r["adopted"], r["job_id"] == job) for r in json_lines(out)] == [
        (True, True),
        (False, False),
    ]


@pytest.mark.parametrize(
    ("when", "message"),
    [
        ("2026-05-04T03:00:00", "has no offset"),
        ("30m", "not a time"),
        ("yesterday", "not a time"),
    ],
)
def test_sync_adopt_since_refuses_a_time_without_offset_or_sign(
    capsys: pytest.CaptureFixture[str], when: str, message: str
) -> None:
    """A time without offset (in no known zone), or a relative one without its minus, is a
    usage error (exit 2) that says what is wrong, before any request."""
    with pytest.raises(SystemExit) as exited:
        main(["sync", "--all", "--url", "http://127.0.0.1:9", "--adopt-since", when])

    assert exited.value.code == 2
    assert message in capsys.readouterr().err


def test_adopt_since_parses_both_forms() -> None:
    """``-2h`` is two hours ago, for the batch to reckon on the server's clock; an ISO time
    keeps its offset; ``Z`` is UTC."""
    assert parse_adopt_since("-2h") == dt.timedelta(hours=2)
    assert parse_adopt_since("2026-05-04T05:00:00+02:00") == dt.datetime(
        2026, 5, 4, 3, tzinfo=dt.UTC
    )
    assert parse_adopt_since("2026-05-04T03:00:00Z").utcoffset() == dt.timedelta(0)


def test_the_summary_says_what_became_of_the_syncs_given_up_on() -> None:
    """Cancelled syncs are told apart: a job stopped, one never started, one left running
    (not cancelled in time, or not this run's)."""
    results = [
        SyncResult("a", Outcome.CANCELLED, job_id=1, cancel_requested=True),
        SyncResult("b", Outcome.CANCELLED),
        SyncResult("c", Outcome.CANCELLED, job_id=3, attached=True, left_running=True),
        SyncResult("d", Outcome.SUCCEEDED, job_id=4),
    ]
    out = io.StringIO()

    _sync.print_summary(results, 1.0, out)

    assert "  cancelled              3   (1 job stopped, 1 never started, 1 left running)\n" in (
        out.getvalue()
    )


@pytest.mark.parametrize(
    ("flags", "message"),
    [
        (["--request-timeout", "0"], "--request-timeout must be a number of seconds above 0"),
        (["--timeout", "0"], "--timeout must be a number of seconds above 0"),
        (["--sync-timeout", "inf"], "--sync-timeout must be a number of seconds above 0"),
        (["--max-triggers", "0"], "--max-triggers must be a whole number >= 1"),
        (["--log-tail", "-1"], "--log-tail must be a whole number >= 0"),
    ],
)
def test_a_sync_flag_out_of_range_is_named_as_given(
    run: Callable[..., tuple[int, str, str]], served: Served, flags: list[str], message: str
) -> None:
    """A sync flag out of range is refused under its own name (a bad --request-timeout is
    not called --timeout, as the library's parameter is), exit 2, before any request."""
    served.emulator.reset_stats()

    code, out, err = run("sync", "--all", *flags)

    assert (code, out) == (2, "")
    assert err.startswith(f"airbyte-async: {message}, got ")
    assert served.emulator.stats().total_requests == 0


def test_the_status_line_counts_running_only_the_syncs_triggered_and_not_finished() -> None:
    """Results that no trigger came before (a sync already running with on_running fail, a
    trigger's error) do not take running syncs off the count: two triggered, two such
    results, is two running."""
    progress = _sync.Progress(total=4, stream=io.StringIO())
    for cid in ("a", "b"):
        progress.on_event(SyncEvent(EventKind.TRIGGERED, SyncTarget(cid)))
    for cid in ("c", "d"):
        result = SyncResult(cid, Outcome.ERROR, error="a sync was already running")
        progress.on_event(SyncEvent(EventKind.FINISHED, SyncTarget(cid), result=result))

    assert "2/4 done, 2 running, 0 succeeded, 2 not" in progress.line()
    done = SyncResult("a", Outcome.SUCCEEDED, job_id=1)
    progress.on_event(SyncEvent(EventKind.FINISHED, SyncTarget("a"), result=done))
    assert "3/4 done, 1 running, 1 succeeded, 2 not" in progress.line()


def test_a_sync_given_up_on_shows_why_the_batch_stopped_it_not_the_cancels_trace() -> None:
    """A sync the batch cancelled (fail_fast, a timeout) has, from the Config API, the failure
    Airbyte recorded for the cancel: its row says why the batch stopped it instead, as
    ``--json`` does; a failed sync's row keeps its own failure."""
    cancelled = "airbyte_platform/manual_cancellation: The sync was cancelled."
    results = [
        SyncResult("a", Outcome.FAILED, job_id=1, failure_reason="source: boom", error="x"),
        SyncResult(
            "b",
            Outcome.CANCELLED,
            job_id=2,
            cancel_requested=True,
            failure_reason=cancelled,
            error="stopped by fail_fast (a: failed)",
        ),
    ]
    out = io.StringIO()

    _sync.print_summary(results, 1.0, out)

    rows = out.getvalue().split("not succeeded:\n")[1].splitlines()[1:]
    assert rows[0].endswith("source: boom")
    assert rows[1].endswith("stopped by fail_fast (a: failed)")


def test_a_fail_fast_summary_lists_the_failure_that_stopped_the_batch_first(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """--fail-fast on the public API, 25 syncs at once, the 25th failing first: the summary's
    first row of syncs not succeeded is that failure, not one of the 24 it cancelled (which
    fill its first 20 rows otherwise, the failure left among the "... and N more"), and the
    cancelled rows say that fail-fast stopped them, after which failure."""
    for name in [n for n in os.environ if n.startswith("AIRBYTE_")]:
        monkeypatch.delenv(name)
    emulator = Emulator(
        trigger_latency=TEST_TRIGGER_LATENCY, airbyte_version="head", connections=25
    )
    with (
        anyio.from_thread.start_blocking_portal() as portal,
        portal.wrap_async_context_manager(emulator),
    ):
        ids = emulator.connection_ids
        for cid in ids[:-1]:
            emulator.set_sync_plan(cid, duration=30)
        emulator.set_sync_plan(ids[-1], duration=0.5, outcome="failed")
        argv = ["sync", "--url", emulator.url, "--api", "public", "--all", "--fail-fast"]
        code = main([*argv, "--max-running", "25"])
        out = capsys.readouterr().out

    rows = out.split("not succeeded:\n")[1].splitlines()[1:]
    assert code == 1
    name, _, outcome = rows[0].split()[:3]
    assert (name, outcome) == ("conn-00024", "failed")
    assert "stopped by fail_fast (conn-00024: failed)" in rows[1]


def test_the_summary_tells_the_second_syncs_a_retry_cancelled_or_did_not_stop() -> None:
    """A retry's jobs that repeated a previous try's sync (adopt_since) are counted and named,
    cancelled or not; one not stopped is a row with its reason, though the adopted one
    succeeded."""
    why = "this try's job 14 is a second sync of job 9 (...); it ended (succeeded) before ..."
    results = [
        SyncResult("a", Outcome.SUCCEEDED, job_id=7, adopted=True, duplicate_job_id=12),
        SyncResult("b", Outcome.SUCCEEDED, job_id=9, adopted=True, duplicate_job_id=14, error=why),
        SyncResult("c", Outcome.SUCCEEDED, job_id=15),
    ]
    out = io.StringIO()

    _sync.print_summary(results, 1.0, out)

    text = out.getvalue()
    assert re.search(
        r"^  second syncs +2 .*1 cancelled, 1 not stopped; job 12 of job 7, job 14 ", text, re.M
    )
    assert "not succeeded (or a second sync not stopped):" in text
    [row] = text.split("stopped):\n")[1].splitlines()[1:]
    assert row.startswith("  b ") and row.endswith(why)


_UNKNOWN = ("11111111-2222-3333-4444-555555555555", "11111111-2222-3333-4444-666666666666")


def test_the_sync_summary_off_a_terminal_shows_whole_ids_and_reasons(
    run: Callable[..., tuple[int, str, str]], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Into a file or a CI log (stdout not a terminal, whatever COLUMNS says), each row of
    syncs not succeeded holds the whole connection id and the whole reason, as --json has it
    (here the server's 404 for a connection it does not know)."""
    monkeypatch.setenv("COLUMNS", "60")
    argv = ["sync", "--connection", _UNKNOWN[0], "--connection", _UNKNOWN[1]]
    _, as_json, _ = run(*argv, "--json")
    errors = {row["connection_id"]: row["error"] for row in json_lines(as_json)}

    code, out, _ = run(*argv)

    rows = out.split("not succeeded:\n")[1].splitlines()[1:]
    assert code == 1
    assert len(rows) == 2
    for row, connection_id in zip(rows, _UNKNOWN, strict=True):
        assert row.startswith(f"  {connection_id}  ")
        assert row.endswith(f"  error            {errors[connection_id]}")


def test_the_sync_summary_on_a_terminal_fits_its_width(monkeypatch: pytest.MonkeyPatch) -> None:
    """On a terminal the rows are cut to its width (COLUMNS here), an ellipsis where."""
    monkeypatch.setenv("COLUMNS", "80")
    reason = "404 on connections/sync: Could not find configuration for STANDARD_SYNC: " * 2
    results = [SyncResult(_UNKNOWN[0], Outcome.ERROR, error=reason)]
    out = _Terminal()

    _sync.print_summary(results, 1.0, out)

    [row] = out.getvalue().split("not succeeded:\n")[1].splitlines()[1:]
    assert row.startswith(f"  {_UNKNOWN[0][:23]}…  ")
    assert row.endswith("…")
    assert len(row) == 79


@pytest.mark.parametrize("terminal", [True, False])
def test_a_warning_overwrites_the_status_line_on_a_terminal_only(
    terminal: bool, monkeypatch: pytest.MonkeyPatch
) -> None:
    """On a terminal a warning starts by erasing the line (the status line, drawn again
    below it); into a file or a pipe it is the bare text."""
    stream = _Terminal() if terminal else io.StringIO()
    monkeypatch.setattr(sys, "stderr", stream)
    _configure_logging(verbose=False)

    logging.getLogger("airbyte_async").warning("the server is slow")

    expected = "airbyte-async: WARNING the server is slow\n"
    assert stream.getvalue() == ("\r\x1b[K" + expected if terminal else expected)


@pytest.mark.parametrize(
    "argv",
    [
        ["-v", "sync", "--all"],
        ["sync", "--all", "-v"],
        ["jobs", "list", "--connection", "c", "--verbose"],
        ["-v", "jobs", "list", "--connection", "c"],
    ],
)
def test_verbose_goes_before_or_after_the_command(argv: list[str]) -> None:
    """-v is taken before the command, as the help shows, and after it or its subcommand, as
    operators append it."""
    assert build_parser().parse_args(argv).verbose is True
    assert build_parser().parse_args(["sync", "--all"]).verbose is False
