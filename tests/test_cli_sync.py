"""``airbyte-async sync`` and ``demo`` as a user runs them: real processes, exit codes, stdout."""

from __future__ import annotations

import datetime
import fcntl
import json
import os
import pty
import signal
import subprocess
import sys
import termios
import time
import urllib.request
from collections.abc import Iterator
from typing import Any

import pytest
from pipeline_support import PIPELINE

# Real processes (the CLI and an emulator) for every test: run by `pytest -m slow` (CI does).
pytestmark = pytest.mark.slow


def _emulator(*flags: str) -> tuple[subprocess.Popen[str], str]:
    proc = subprocess.Popen(
        [sys.executable, "-m", "airbyte_async", "emulator", "--port", "0", *flags],
        stdout=subprocess.PIPE,
        text=True,
    )
    assert proc.stdout is not None
    return proc, proc.stdout.readline().strip()


def _stop(server: subprocess.Popen[str]) -> None:
    """Stop an emulator process and close its pipe."""
    server.terminate()
    server.wait(timeout=10)
    if server.stdout is not None:
        server.stdout.close()


@pytest.fixture
def emulator(request: pytest.FixtureRequest) -> Iterator[str]:
    """An emulator process with the flags the test's ``emulator_flags`` marker gives."""
    marker = request.node.get_closest_marker("emulator_flags")
    flags = marker.args if marker else ("--connections", "4", "--sync-duration", "0.05", "0.1")
    proc, url = _emulator(*flags)
    try:
        yield url
    finally:
        _stop(proc)


def _stats(url: str) -> dict[str, Any]:
    with urllib.request.urlopen(f"{url}/_emulator/stats", timeout=10) as answer:
        stats: dict[str, Any] = json.load(answer)
        return stats


def _cancel_job(url: str, job_id: str) -> None:
    """Cancel job *job_id* on the emulator at *url*, as another user would, until the cancel is
    heard: one sent as the job starts running is ignored, its answer showing the job running
    (the emulator's start lag, as Airbyte's workflow has)."""
    request = urllib.request.Request(
        f"{url}/api/v1/jobs/cancel",
        data=json.dumps({"id": int(job_id)}).encode(),
        headers={"Content-Type": "application/json"},
    )
    for _ in range(50):
        with urllib.request.urlopen(request, timeout=10) as answer:
            if json.load(answer)["job"]["status"] != "running":
                return
        time.sleep(0.1)
    raise AssertionError(f"job {job_id} still runs after 50 cancels")


def _cli(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "airbyte_async", *args],
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, **(env or {})},
    )


def test_sync_json_prints_one_object_per_connection_and_nothing_else(emulator: str) -> None:
    """--json: every stdout line is a JSON result; all succeeded, so the exit status is 0."""
    done = _cli("sync", "--all", "--json", "--url", emulator)

    lines = done.stdout.splitlines()
    results = [json.loads(line) for line in lines]
    assert done.returncode == 0, done.stderr
    assert len(results) == 4
    for r in results:
        assert {"connection_id", "job_id", "outcome", "records_synced", "bytes_synced"} <= set(r)
        assert r["outcome"] == "succeeded"
        assert r["ok"] is True
        assert r["duration_s"] is not None


@pytest.mark.emulator_flags(
    "--connections", "6", "--sync-duration", "0.05", "0.1", "--failure-rate", "0.5", "--seed", "3"
)
def test_sync_exits_1_when_any_sync_failed(emulator: str) -> None:
    """A batch with failed syncs exits 1 and lists them in the summary."""
    done = _cli("sync", "--all", "--url", emulator)

    assert done.returncode == 1
    assert "failed" in done.stdout
    assert "not succeeded:" in done.stdout


def test_sync_with_the_url_from_the_environment(emulator: str) -> None:
    """AIRBYTE_URL is used when --url is not given."""
    done = _cli("sync", "--all", "--json", env={"AIRBYTE_URL": emulator})

    assert done.returncode == 0, done.stderr
    assert len(done.stdout.splitlines()) == 4


@pytest.mark.parametrize(
    "args",
    [
        ["sync", "--connection", "not-a-uuid", "--url", "http://127.0.0.1:9"],
        ["sync", "--all", "--max-running", "0", "--url", "http://127.0.0.1:9"],
        ["sync", "--all", "--url", "ftp://example"],
        ["sync", "--all", "--url", "http://127.0.0.1:9"],
        ["sync"],
        [
            "sync",
            "--connection",
            "6f1c7a52-5d6e-4a49-9a0e-5f3f3c1d2b10",
            "--name",
            "x*",
            "--url",
            "http://127.0.0.1:9",
        ],
        [
            "sync",
            "--connection",
            "6f1c7a52-5d6e-4a49-9a0e-5f3f3c1d2b10",
            "--tag",
            "nightly",
            "--url",
            "http://127.0.0.1:9",
        ],
    ],
    ids=[
        "bad-id",
        "bad-limit",
        "bad-url",
        "unreachable",
        "no-selection",
        "name-with-ids",
        "tag-with-ids",
    ],
)
def test_usage_and_connection_errors_exit_2(args: list[str]) -> None:
    """Bad ids, limits, URLs, an unreachable server and missing flags exit 2 with a message."""
    done = _cli(*args, env={"AIRBYTE_URL": ""})

    assert done.returncode == 2
    assert done.stderr.strip()
    assert done.stdout == ""


def _piped(command: str, reader: str) -> subprocess.CompletedProcess[str]:
    """``airbyte-async COMMAND | READER`` in bash; the status is the command's, not the reader's."""
    return subprocess.run(
        f"{sys.executable} -m airbyte_async {command} | {reader}; exit ${{PIPESTATUS[0]}}",
        shell=True,
        executable="/bin/bash",
        capture_output=True,
        text=True,
        timeout=120,
    )


def _sync_until_started(url: str, *flags: str, jobs: int = 3) -> subprocess.Popen[str]:
    """``sync --all --json`` in the background, once the emulator has *jobs* jobs."""
    proc = subprocess.Popen(
        [sys.executable, "-m", "airbyte_async", "sync", "--all", "--json", "--url", url, *flags],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    _wait_for_jobs(url, jobs)
    return proc


def _wait_for_jobs(url: str, jobs: int) -> None:
    """Until the emulator at *url* has created *jobs* jobs (30 s at most)."""
    deadline = time.monotonic() + 30
    while _stats(url)["jobs_created"] < jobs and time.monotonic() < deadline:
        time.sleep(0.05)


@pytest.mark.parametrize(("sent", "code"), [(signal.SIGINT, 130), (signal.SIGTERM, 143)])
@pytest.mark.emulator_flags("--connections", "3", "--sync-duration", "60", "60")
def test_a_signal_cancels_the_started_jobs_and_exits_128_plus_its_number(
    emulator: str, sent: signal.Signals, code: int
) -> None:
    """Ctrl-C or SIGTERM during a batch: the CLI says it is stopping, every job it started is
    cancelled on Airbyte, then it exits 128 + the signal's number, as a shell reports it."""
    proc = _sync_until_started(emulator)
    proc.send_signal(sent)
    out, err = proc.communicate(timeout=60)

    assert proc.returncode == code, err
    assert "stopping: cancelling the jobs this run started" in err
    statuses = _stats(emulator)["job_statuses"]
    assert sorted(statuses.values()) == ["cancelled"] * 3
    outcomes = [json.loads(line)["outcome"] for line in out.splitlines()]
    assert outcomes == ["cancelled"] * 3


def test_a_second_ctrl_c_stops_waiting_for_a_server_that_is_away() -> None:
    """Ctrl-C while the server does not answer (stopped): the cancels wait for it; a second
    Ctrl-C stops waiting, and each job is reported as possibly still running."""
    server, url = _emulator("--connections", "3", "--sync-duration", "60", "60")
    try:
        proc = _sync_until_started(url)
        server.send_signal(signal.SIGSTOP)
        proc.send_signal(signal.SIGINT)
        time.sleep(1.0)
        proc.send_signal(signal.SIGINT)
        out, err = proc.communicate(timeout=60)
    finally:
        server.send_signal(signal.SIGCONT)
        _stop(server)

    assert proc.returncode == 130, err
    assert "no longer waiting" in err
    results = [json.loads(line) for line in out.splitlines()]
    assert [r["left_running"] for r in results] == [True] * 3
    assert all("may still run" in r["error"] for r in results)


def test_a_cancel_grace_below_the_schedulers_tells_the_results_before_its_sigkill() -> None:
    """Under a scheduler that sends SIGTERM, then SIGKILL some seconds later (here 15; 30 on
    Kubernetes, the default --cancel-grace), while the server does not answer (stopped):
    with --cancel-grace 2 the CLI stops trying to cancel in time to tell every result (each
    possibly still running) and exit 143 itself."""
    server, url = _emulator("--connections", "3", "--sync-duration", "60", "60")
    try:
        proc = _sync_until_started(url, "--cancel-grace", "2")
        server.send_signal(signal.SIGSTOP)
        proc.send_signal(signal.SIGTERM)
        try:
            out, err = proc.communicate(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()  # the scheduler's SIGKILL
            out, err = proc.communicate()
    finally:
        server.send_signal(signal.SIGCONT)
        _stop(server)

    assert proc.returncode == 143, err
    results = [json.loads(line) for line in out.splitlines()]
    assert [r["left_running"] for r in results] == [True] * 3


@pytest.mark.emulator_flags("--connections", "3", "--sync-duration", "60", "60")
def test_no_cancel_reports_the_jobs_left_running(emulator: str) -> None:
    """With --no-cancel, Ctrl-C leaves the jobs running, and the results say so."""
    proc = _sync_until_started(emulator, "--no-cancel")
    proc.send_signal(signal.SIGINT)
    out, err = proc.communicate(timeout=60)

    assert proc.returncode == 130, err
    assert "leaving the jobs this run started running" in err
    statuses = list(_stats(emulator)["job_statuses"].values())
    assert len(statuses) == 3 and set(statuses) <= {"pending", "running"}
    assert [json.loads(line)["left_running"] for line in out.splitlines()] == [True] * 3


@pytest.mark.emulator_flags("--connections", "4", "--sync-duration", "0.05", "30")
def test_a_reader_that_goes_away_stops_the_batch_quietly(emulator: str) -> None:
    """``sync --json | head -1``: once the reader is gone the batch stops as after Ctrl-C
    (its jobs cancelled), with one line on stderr, no traceback, and exit 141 (SIGPIPE's)."""
    done = _piped(f"sync --all --json --url {emulator}", "head -1")

    assert done.returncode == 141, done.stderr
    assert len(done.stdout.splitlines()) == 1
    assert "stdout closed" in done.stderr and "Traceback" not in done.stderr
    assert "running" not in _stats(emulator)["job_statuses"].values()


def _take_the_terminal() -> None:
    """In the child, a session leader: make its stdout, a pty, its controlling terminal, so
    that the kernel sends it SIGHUP when the pty hangs up, as a closed terminal does."""
    fcntl.ioctl(1, termios.TIOCSCTTY, 0)


@pytest.mark.parametrize("stderr", ["terminal", "pipe"])
@pytest.mark.emulator_flags("--connections", "3", "--sync-duration", "60", "60")
def test_a_closed_terminal_cancels_the_started_jobs_and_exits_129(
    emulator: str, stderr: str
) -> None:
    """The terminal closes (its pty hangs up, the kernel sends SIGHUP) during a batch: the
    jobs it started are cancelled, as on SIGTERM, and it exits 129; writing on, to the gone
    terminal, does not fail it. A hung-up terminal is no terminal to ``isatty()`` (its ioctl
    fails), yet it is not taken for a pipe to write to."""
    master, slave = pty.openpty()
    proc = subprocess.Popen(
        [sys.executable, "-m", "airbyte_async", "sync", "--all", "--json", "--url", emulator],
        stdin=subprocess.DEVNULL,
        stdout=slave,
        stderr=slave if stderr == "terminal" else subprocess.PIPE,
        text=True,
        start_new_session=True,
        preexec_fn=_take_the_terminal,
    )
    os.close(slave)
    _wait_for_jobs(emulator, 3)
    os.close(master)
    _, err = proc.communicate(timeout=60)

    assert proc.returncode == 129, err
    assert "Traceback" not in (err or "")
    assert sorted(_stats(emulator)["job_statuses"].values()) == ["cancelled"] * 3


@pytest.mark.emulator_flags("--connections", "3", "--sync-duration", "60", "60")
def test_a_terminal_gone_without_sighup_stops_the_batch_as_a_reader_gone(emulator: str) -> None:
    """stdout a terminal that hangs up while the batch runs, the CLI not its session (run under
    ``setsid``: no SIGHUP comes): the first line written meets EIO, and the batch stops as
    when a pipe's reader goes (its jobs cancelled), with no traceback."""
    master, slave = pty.openpty()
    proc = subprocess.Popen(
        [sys.executable, "-m", "airbyte_async", "sync", "--all", "--json", "--url", emulator],
        stdin=subprocess.DEVNULL,
        stdout=slave,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )
    os.close(slave)
    _wait_for_jobs(emulator, 3)
    os.close(master)
    deadline = time.monotonic() + 30
    while "running" not in _stats(emulator)["job_statuses"].values():
        assert time.monotonic() < deadline, "no job runs"
        time.sleep(0.05)
    [first, *_] = [k for k, v in _stats(emulator)["job_statuses"].items() if v == "running"]
    _cancel_job(emulator, first)  # its result is a line to write
    _, err = proc.communicate(timeout=60)

    assert "Traceback" not in err
    assert proc.returncode == 141, err
    assert "running" not in _stats(emulator)["job_statuses"].values()


@pytest.mark.emulator_flags("--connections", "3", "--sync-duration", "60", "60")
def test_after_sighup_json_lines_still_reach_a_pipe(emulator: str) -> None:
    """SIGHUP while ``sync --json`` writes to a pipe (an orchestrator reads it): the jobs are
    cancelled, and the reader still gets one JSON line per connection with its outcome; the
    process exits 129."""
    proc = _sync_until_started(emulator)
    proc.send_signal(signal.SIGHUP)
    out, err = proc.communicate(timeout=60)

    assert proc.returncode == 129, err
    assert "stopping: cancelling the jobs this run started" in err
    assert "Traceback" not in err
    assert [json.loads(line)["outcome"] for line in out.splitlines()] == ["cancelled"] * 3
    assert sorted(_stats(emulator)["job_statuses"].values()) == ["cancelled"] * 3


@pytest.mark.emulator_flags("--connections", "3", "--sync-duration", "60", "60")
def test_after_sighup_a_pipe_whose_reader_went_too_is_no_failure(emulator: str) -> None:
    """``sync --json 2>&1 | reader`` in a terminal that closes: the reader goes with it, so
    what the CLI says after SIGHUP (stderr too) meets a closed pipe; the jobs are still
    cancelled and it exits 129, not with a traceback."""
    proc = subprocess.Popen(
        [sys.executable, "-m", "airbyte_async", "sync", "--all", "--json", "--url", emulator],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    _wait_for_jobs(emulator, 3)
    assert proc.stdout is not None
    proc.stdout.close()
    proc.send_signal(signal.SIGHUP)

    assert proc.wait(timeout=60) == 129
    assert sorted(_stats(emulator)["job_statuses"].values()) == ["cancelled"] * 3


def test_a_summary_for_a_reader_that_went_away_exits_141_quietly(emulator: str) -> None:
    """``sync | true``: the summary finds its reader gone; no traceback, exit 141."""
    done = _piped(f"sync --all --url {emulator}", "true")

    assert done.returncode == 141, done.stderr
    assert "Traceback" not in done.stderr


def test_live_progress_is_checked_off_a_terminal_too(emulator: str) -> None:
    """``--live-progress -1`` with stderr piped (cron, CI): refused as on a terminal, exit 2,
    before any sync."""
    done = _cli("sync", "--all", "--url", emulator, "--live-progress", "-1")

    assert done.returncode == 2
    assert "--live-progress must be a number of seconds above 0" in done.stderr
    assert _stats(emulator)["jobs_created"] == 0


@pytest.mark.parametrize(
    ("flags", "message"),
    [
        (
            ["--airbyte-version", "9.9"],
            "--airbyte-version must be one of 0.40, 0.50, 1.7, 2.0, head, got '9.9'",
        ),
        (["--connections", "-1"], "--connections must be a whole number >= 1, got -1"),
        (["--max-running", "0"], "--max-running must be a whole number >= 1, got 0"),
    ],
)
def test_demo_refuses_bad_flags_in_one_line(flags: list[str], message: str) -> None:
    """demo with a flag out of range: one line, exit 2, no traceback, nothing set up."""
    done = _cli("demo", *flags)

    assert done.returncode == 2
    assert done.stderr == f"airbyte-async: {message}\n"
    assert done.stdout == ""


def test_apply_stopped_by_ctrl_c_has_said_what_it_wrote(tmp_path: Any) -> None:
    """Ctrl-C while apply writes its second object: the first was told as it was written,
    the one in flight is named as possibly written, and it exits 130."""
    slow = '{"kind": "slow", "route": "destinations/create", "delay": 30}'
    server, url = _emulator("--faults", slow)
    (tmp_path / "pipeline.toml").write_text(PIPELINE)
    try:
        proc = subprocess.Popen(
            [sys.executable, "-m", "airbyte_async", "apply", "pipeline.toml", "--url", url],
            cwd=tmp_path,
            env={**os.environ, "PG_PASSWORD": "pw"},
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        deadline = time.monotonic() + 30
        while (
            _stats(url)["requests_by_route"].get("/v1/destinations/create", 0) == 0
            and time.monotonic() < deadline
        ):
            time.sleep(0.05)
        proc.send_signal(signal.SIGINT)
        out, err = proc.communicate(timeout=60)
    finally:
        _stop(server)

    assert proc.returncode == 130, err
    assert "\ncreated source shop (" in out
    assert "the destination 'lake' may have been created" in err
    assert "plan again to see what is left" in err
    assert "Traceback" not in err


@pytest.mark.emulator_flags("--connections", "400", "--sync-duration", "0.05", "0.1")
def test_a_slow_reader_does_not_hold_the_batch_up(emulator: str) -> None:
    """``sync --json | (sleep 20; cat)``: the pipe fills after a hundred lines or so, yet the
    batch goes on meanwhile (writing on the event loop held every trigger and poll until the
    reader came), and every line reaches the reader in the end."""
    proc = subprocess.Popen(
        f"{sys.executable} -m airbyte_async sync --all --json --max-running 100 --url {emulator}"
        " | (sleep 20; wc -l)",
        shell=True,
        executable="/bin/bash",
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    deadline = time.monotonic() + 18
    while _stats(emulator)["jobs_created"] < 400 and time.monotonic() < deadline:
        time.sleep(0.2)
    created = _stats(emulator)["jobs_created"]
    out, err = proc.communicate(timeout=120)

    assert created == 400, err
    assert out.strip() == "400"


def test_demo_runs_and_reports(tmp_path: Any) -> None:
    """The demo sets up a pipeline, syncs a batch on its own emulator and exits 0."""
    done = _cli("demo", "--connections", "30", "--max-running", "10")

    assert done.returncode == 0, done.stderr
    assert "first sync of demo-postgres-to-minio" in done.stdout
    assert "30 connections in" in done.stdout
    assert "0 duplicated syncs" in done.stdout


# Jobs of 8 s: the rerun, a new interpreter on a loaded machine, must find them running.
@pytest.mark.emulator_flags("--connections", "6", "--sync-duration", "8", "8")
def test_after_sigkill_a_rerun_adopts_the_running_jobs_without_duplicates(emulator: str) -> None:
    """Kill -9 midway, run the same batch with attach: running jobs followed, one job each."""
    _killed_once_three_jobs_start(emulator)

    second = _cli("sync", "--all", "--json", "--url", emulator, "--on-running", "attach")

    assert second.returncode == 0, second.stderr
    results = [json.loads(line) for line in second.stdout.splitlines()]
    assert sum(r["attached"] for r in results) == 3
    assert {r["outcome"] for r in results} == {"succeeded"}
    runs = _stats(emulator)["jobs_by_connection"]
    assert sorted(len(ids) for ids in runs.values()) == [1] * 6


@pytest.mark.emulator_flags("--connections", "6", "--sync-duration", "0.3", "0.5")
def test_after_sigkill_a_retry_with_adopt_since_starts_no_sync_twice(emulator: str) -> None:
    """Kill -9 midway, wait until the syncs it started have ended, and retry with
    --adopt-since the first try's start: those syncs are adopted as they ended (attach alone
    would sync them again), the others synced once; one job per connection."""
    first_try = datetime.datetime.now(datetime.UTC).isoformat()
    deadline = _killed_once_three_jobs_start(emulator)
    while not set(_stats(emulator)["job_statuses"].values()) <= {"succeeded", "failed"}:
        assert time.monotonic() < deadline, "the first try's syncs did not end"
        time.sleep(0.05)
    started = _stats(emulator)["job_statuses"]

    second = _cli("sync", "--all", "--json", "--url", emulator, "--adopt-since", first_try)

    assert second.returncode == 0, second.stderr
    results = [json.loads(line) for line in second.stdout.splitlines()]
    adopted = {str(r["job_id"]) for r in results if r["adopted"]}
    assert adopted == set(started)
    runs = _stats(emulator)["jobs_by_connection"]
    assert sorted(len(ids) for ids in runs.values()) == [1] * 6


@pytest.mark.emulator_flags(
    "--connections", "2", "--sync-duration", "0.05", "0.1", "--auth", "basic:ops:Pw-9f3Kq7Lz"
)
def test_no_secret_reaches_the_cli_output_even_verbose(emulator: str) -> None:
    """-v, JSON, tables and a failed login: the password and its base64 never show."""
    import base64

    secret = "Pw-9f3Kq7Lz"
    encoded = base64.b64encode(f"ops:{secret}".encode()).decode()
    login = ["--url", emulator, "--username", "ops", "--password", secret]
    runs = [
        _cli("-v", "sync", "--all", "--json", *login),
        _cli("-v", "sources", "list", "--json", *login),
        _cli("-v", "connections", "list", *login),
        _cli("-v", "workspaces", "list", *login[:-1], secret + "x"),
        _cli("sync", "--all", "--url", emulator.replace("http://", f"http://ops:{secret}@")),
    ]

    assert [r.returncode for r in runs] == [0, 0, 0, 2, 0]
    for r in runs:
        for text in (r.stdout, r.stderr):
            assert secret not in text
            assert encoded not in text


def _killed_once_three_jobs_start(emulator: str) -> float:
    """Run ``sync --all --max-running 3`` and kill -9 it once three jobs exist; a deadline
    (:func:`time.monotonic`) 30 s from the start for what the test waits for next."""
    args = [sys.executable, "-m", "airbyte_async", "sync", "--all", "--json", "--url", emulator]
    first = subprocess.Popen([*args, "--max-running", "3"], stdout=subprocess.DEVNULL)
    deadline = time.monotonic() + 30
    while _stats(emulator)["jobs_created"] < 3 and time.monotonic() < deadline:
        time.sleep(0.05)
    first.kill()
    first.wait(timeout=10)
    return deadline
