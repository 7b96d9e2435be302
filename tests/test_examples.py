"""The examples and the README's guide run, against the emulator, as users will run them."""

from __future__ import annotations

import ast
import datetime as dt
import inspect
import os
import re
import subprocess
import sys
from collections import Counter
from collections.abc import AsyncIterator
from functools import partial
from pathlib import Path
from types import ModuleType
from typing import Any

import anyio
import anyio.to_thread
import pytest
from aiohttp.test_utils import TestClient, TestServer
from readme_support import FENCE, console_block, guide_blocks, section
from script_support import load_script
from shell_support import cli_shell

from airbyte_async import AirbyteClient, BasicAuth
from airbyte_async.models import EnsureAction, JobStatus
from airbyte_async.orchestrator import Orchestrator, Outcome
from airbyte_async.testing import Emulator, RequireBasic, RequireClientCredentials
from airbyte_async.testing.pytest_plugin import TEST_TRIGGER_LATENCY

pytestmark = pytest.mark.anyio

ROOT = Path(__file__).resolve().parents[1]
EXAMPLES = ROOT / "examples"


def example(name: str) -> ModuleType:
    """Import ``examples/<name>.py`` as a module."""
    return load_script(EXAMPLES / f"{name}.py", f"example_{name}")


@pytest.fixture
async def emulator() -> AsyncIterator[Emulator]:
    """An emulator whose syncs take a few milliseconds."""
    async with Emulator(trigger_latency=TEST_TRIGGER_LATENCY, sync_duration=(0.01, 0.02)) as emu:
        yield emu


@pytest.fixture
async def client(emulator: Emulator) -> AsyncIterator[AirbyteClient]:
    """A client on it."""
    async with AirbyteClient(emulator.url, env={}) as client:
        yield client


# -- examples/pipeline.py -------------------------------------------------------------------


async def test_the_pipeline_example_is_safe_to_run_twice(
    client: AirbyteClient, capsys: pytest.CaptureFixture[str]
) -> None:
    """pipeline.py: created and synced, then unchanged and synced again, one of each object."""
    pipeline = example("pipeline")

    first = await pipeline.run(client, {}, real=False, poll_interval=0.01)
    second = await pipeline.run(client, {}, real=False, poll_interval=0.01)

    assert first.status is second.status is JobStatus.SUCCEEDED
    assert first.connection_id == second.connection_id
    assert second.records_synced and second.bytes_synced
    out = capsys.readouterr().out
    assert "source shop-postgres: created; destination shop-lake: created" in out
    assert "source shop-postgres: unchanged; destination shop-lake: unchanged" in out
    assert "connection shop-postgres-to-lake: unchanged" in out
    workspace_id = (await client.workspaces.default()).workspace_id
    connections = [c async for c in client.connections.list(workspace_id=workspace_id)]
    assert [c.name for c in connections] == ["shop-postgres-to-lake"]
    assert connections[0].schedule_description == "every 6 hours"
    assert sorted(s.stream.name for s in connections[0].sync_catalog.selected) == [
        "customers",
        "orders",
    ]


async def test_the_pipeline_example_joins_a_running_sync(
    client: AirbyteClient, emulator: Emulator
) -> None:
    """pipeline.py's sync(): a sync already running is waited for, not an error."""
    pipeline = example("pipeline")
    connection = await pipeline.ensure_pipeline(client, {}, real=False)
    emulator.set_sync_plan(connection.connection_id, duration=0.3)
    running = await client.connections.sync(connection_id=connection.connection_id)

    job = await pipeline.sync(client, connection.connection_id, poll_interval=0.01)

    assert job.id == running.id
    assert job.status is JobStatus.SUCCEEDED


@pytest.mark.parametrize("api", ["config", "public"])
async def test_the_pipeline_example_and_a_batch_with_a_third_of_all_answers_late(
    capsys: pytest.CaptureFixture[str], api: str
) -> None:
    """
    A busy Airbyte, or a proxy in front of it: a third of the answers on every route arrive
    late (a seeded draw up to a second; a trigger's answer waits for its job to run, seconds
    on a busy server: API-FACTS 6.3b), within the client's default timeout. pipeline.py
    creates each object once and syncs once, and a batch over its connection and six others
    syncs each once, with each result its own job's: a slow answer is waited for, never taken
    for a lost one and the call sent again.
    """
    pipeline = example("pipeline")
    late = {"kind": "late", "rate": 0.33, "delay": 0.2, "max_delay": 1.0}
    late["route"] = "*" if api == "config" else "/public/v1/*"
    async with (
        Emulator(
            airbyte_version="head",
            connections=6,
            sync_duration=(0.2, 0.5),
            faults=[late],
            seed=3,
            record_requests=True,
        ) as emu,
        AirbyteClient(emu.url, env={}, api=api) as client,
    ):
        others = list(emu.connection_ids)
        job = await pipeline.run(client, {}, real=False, poll_interval=0.05)
        targets = [*others, job.connection_id]
        results = await Orchestrator(client, max_running=7, poll_interval=0.05).run(targets)
        stats = emu.stats()

    assert stats.faults_injected["late"] >= 5
    assert "created" in capsys.readouterr().out
    posts = Counter(r.route for r in emu.requests if r.method == "POST")
    made = ["sources", "destinations", "connections"]
    if api == "config":
        assert [posts[f"/v1/{kind}/create"] for kind in made] == [1, 1, 1]
    else:
        assert [posts[f"/public/v1/{kind}"] for kind in made] == [1, 1, 1]
    assert stats.jobs_by_connection[job.connection_id] == [job.id, results[-1].job_id]
    assert all(len(stats.jobs_by_connection[cid]) == 1 for cid in others)
    assert [r.outcome for r in results] == [Outcome.SUCCEEDED] * 7
    assert all(r.job_id in stats.jobs_by_connection[r.connection_id] for r in results)


@pytest.mark.slow
async def test_the_pipeline_example_runs_on_its_own(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """pipeline.py without AIRBYTE_URL starts its own emulator and gets to the sync."""
    monkeypatch.delenv("AIRBYTE_URL", raising=False)

    await example("pipeline").main()

    assert re.search(r"sync job 1: succeeded, \d+ records, \d+ bytes", capsys.readouterr().out)


async def test_the_pipeline_example_demands_real_secrets(client: AirbyteClient) -> None:
    """Against a real Airbyte, a missing secret stops the script before anything is created."""
    with pytest.raises(SystemExit, match="set PG_PASSWORD"):
        await example("pipeline").ensure_pipeline(client, {}, real=True)


# -- examples/bulk_sync.py ------------------------------------------------------------------


async def test_the_bulk_sync_example(capsys: pytest.CaptureFixture[str]) -> None:
    """bulk_sync.py: one result per connection, printed as they come, and an exit status."""
    bulk = example("bulk_sync")
    async with (
        Emulator(
            trigger_latency=TEST_TRIGGER_LATENCY,
            connections=6,
            sync_duration=(0.01, 0.05),
            failure_rate=0.5,
            seed=2,
        ) as emu,
        AirbyteClient(emu.url, env={}) as client,
    ):
        results = await bulk.sync_workspace(client, emu.workspace_ids[0], max_running=3)

    assert [r.connection_id for r in results] == emu.connection_ids
    outcomes = {r.outcome for r in results}
    assert outcomes <= {Outcome.SUCCEEDED, Outcome.FAILED}
    assert bulk.summarize(results) == (0 if outcomes == {Outcome.SUCCEEDED} else 1)
    assert len(capsys.readouterr().out.splitlines()) == 6 + 1


# -- examples/orchestrator_task.py ----------------------------------------------------------


async def test_the_orchestrator_task_returns_results_or_fails_the_task() -> None:
    """orchestrator_task.py, called as a blocking task (in a worker thread): all synced, a list
    of JSON-ready results; one failed, SyncsFailed naming it, with every result."""
    task = example("orchestrator_task")
    async with Emulator(
        trigger_latency=TEST_TRIGGER_LATENCY, connections=2, sync_duration=(0.01, 0.05)
    ) as emu:
        run = partial(task.sync_connections, emu.connection_ids, url=emu.url, env={})
        done = await anyio.to_thread.run_sync(run)
        emu.set_sync_plan(emu.connection_ids[1], outcome="failed")
        with pytest.raises(task.SyncsFailed, match="1 of 2 syncs did not succeed: conn-00001") as e:
            await anyio.to_thread.run_sync(run)

    assert [r["outcome"] for r in done] == ["succeeded", "succeeded"]
    assert [r.outcome for r in e.value.results] == [Outcome.SUCCEEDED, Outcome.FAILED]


async def test_the_orchestrator_task_retried_syncs_again_only_what_did_not_succeed() -> None:
    """orchestrator_task.py retried with adopt_since, the first try's start as a template
    renders it (ISO 8601 text): the connection whose sync failed is synced again, the one whose
    sync succeeded is not, that sync adopted and reported as it ended."""
    task = example("orchestrator_task")
    async with Emulator(
        trigger_latency=TEST_TRIGGER_LATENCY, connections=2, sync_duration=(0.01, 0.05)
    ) as emu:
        ok, bad = emu.connection_ids
        first_try = (dt.datetime.now(dt.UTC) - dt.timedelta(seconds=1)).isoformat()
        run = partial(task.sync_connections, emu.connection_ids, url=emu.url, env={})
        emu.set_sync_plan(bad, outcome="failed")
        with pytest.raises(task.SyncsFailed):
            await anyio.to_thread.run_sync(run)
        emu.set_sync_plan(bad)
        done = await anyio.to_thread.run_sync(partial(run, adopt_since=first_try))
        jobs = emu.stats().jobs_by_connection

    assert [(r["outcome"], r["adopted"]) for r in done] == [
        ("succeeded", True),
        ("succeeded", False),
    ]
    assert (len(jobs[ok]), len(jobs[bad])) == (1, 2)


_TIMED_OUT_TASK = """
import signal, sys
sys.path.insert(0, sys.argv[2])
from orchestrator_task import sync_connections

class AirflowTaskTimeout(BaseException):  # as Airflow 2 has it: not an Exception
    pass

def timeout(*_):  # as execution_timeout does: raised in whatever the main thread runs
    raise AirflowTaskTimeout("execution_timeout")

signal.signal(signal.SIGALRM, timeout)
signal.setitimer(signal.ITIMER_REAL, float(sys.argv[3]))
try:
    sync_connections(sys.argv[4:], url=sys.argv[1], env={})
except AirflowTaskTimeout:
    print("timed out")
"""


@pytest.mark.slow
async def test_the_orchestrator_task_cancels_its_jobs_when_the_task_times_out() -> None:
    """orchestrator_task.py stopped by an exception its worker raises mid-wait (Airflow's
    execution_timeout): the jobs it started are cancelled in Airbyte before it returns."""
    async with Emulator(connections=2, sync_duration=(60, 60)) as emu:
        command = [sys.executable, "-c", _TIMED_OUT_TASK, emu.url, str(EXAMPLES), "1.5"]
        env = {**os.environ, "PYTHONPATH": str(ROOT)}
        done = await anyio.run_process([*command, *emu.connection_ids], env=env, check=False)
        stats = emu.stats()

    assert done.stdout.decode().strip() == "timed out", done.stderr.decode()
    assert sorted(stats.job_statuses.values()) == ["cancelled", "cancelled"]


# -- examples/test_with_emulator.py ---------------------------------------------------------


@pytest.mark.slow
def test_the_emulator_test_module_passes() -> None:
    """test_with_emulator.py passes under pytest, as a user would run it."""
    # Hypothesis' plugin only slows the start here: the module does not use it.
    command = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider"]
    command += ["-p", "no:_hypothesis_pytestplugin", "-n", "0"]
    command.append(str(EXAMPLES / "test_with_emulator.py"))
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    done = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)

    assert done.returncode == 0, done.stdout + done.stderr
    assert "4 passed" in done.stdout


# -- examples/web_app.py --------------------------------------------------------------------


async def test_the_web_app_triggers_and_reads_jobs(emulator: Emulator) -> None:
    """web_app.py: POST starts a sync (202), GET reads it, a second POST conflicts (409), and
    the caller's own bad ids are 400s, not Airbyte's failures (502)."""
    web_app = example("web_app")
    async with Emulator(connections=1, sync_duration=(0.5, 0.5)) as emu:
        connection_id = emu.connection_ids[0]
        async with TestClient(TestServer(web_app.create_app(emu.url))) as http:
            started = await http.post(f"/connections/{connection_id}/sync")
            job = await started.json()
            again = await http.post(f"/connections/{connection_id}/sync")
            read = await http.get(f"/jobs/{job['job_id']}")
            bad = await http.get("/jobs/not-a-number")
            negative = await http.get("/jobs/-5")
            no_id = await http.post("/connections/not-a-uuid/sync")

            assert (started.status, job["connection_id"]) == (202, connection_id)
            assert again.status == 409
            assert read.status == 200
            assert (await read.json())["job_id"] == job["job_id"]
            assert (bad.status, negative.status, no_id.status) == (400, 400, 400)


async def test_the_web_app_closes_its_client_on_shutdown(emulator: Emulator) -> None:
    """The client lives from startup to shutdown: after it, it is closed."""
    web_app = example("web_app")
    app = web_app.create_app(emulator.url)
    async with TestClient(TestServer(app)):
        client = app[web_app.CLIENT]
        assert (await client.health()).available

    with pytest.raises(RuntimeError, match="closed"):
        await client.health()


# -- the README's guide ---------------------------------------------------------------------


def test_the_guide_has_python_and_toml() -> None:
    """The guide is there, with its scripts, snippets and pipeline file."""
    languages = [language for language, _ in guide_blocks()]

    assert languages.count("python") >= 8
    assert languages.count("toml") == 1


async def test_every_python_block_of_the_guide_runs(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """
    In order, like a REPL session: scripts against a self-hosted emulator with basic auth and a
    Cloud-like one with client credentials, snippets with ``client`` and top-level await.
    """
    blocks = guide_blocks()
    [toml] = [code for language, code in blocks if language == "toml"]
    (tmp_path / "pipeline.toml").write_text(toml)
    monkeypatch.chdir(tmp_path)
    for name in [n for n in os.environ if n.startswith("AIRBYTE_")]:
        monkeypatch.delenv(name)
    for name in ("PG_PASSWORD", "S3_ACCESS_KEY_ID", "S3_SECRET_ACCESS_KEY"):
        monkeypatch.setenv(name, f"{name.lower()}-value")
    monkeypatch.setenv("AIRBYTE_CLIENT_ID", "app-id")
    monkeypatch.setenv("AIRBYTE_CLIENT_SECRET", "app-secret")
    local = Emulator(
        auth=RequireBasic("airbyte", "password"), connections=2, sync_duration=(0.0, 0.0)
    )
    cloud = Emulator(
        airbyte_version="head",
        auth=RequireClientCredentials("app-id", "app-secret"),
        connections=1,
    )
    async with local, cloud:
        monkeypatch.setenv("AIRBYTE_WORKSPACE_ID", cloud.workspace_ids[0])
        urls = {
            "http://localhost:8000": local.url,
            "https://api.airbyte.com/v1/applications/token": cloud.api_url + "/applications/token",
            "https://api.airbyte.com/v1": cloud.url + "/api/public/v1",
        }
        auth = BasicAuth("airbyte", "password")
        async with AirbyteClient(local.url, auth=auth, env={}) as client:
            namespace: dict[str, Any] = {"client": client, "__name__": "readme"}
            for index, (language, code) in enumerate(blocks):
                if language == "python":
                    for old, new in urls.items():
                        code = code.replace(old, new)
                    await _run_block(code, f"README.md guide block {index}", namespace)

    out = capsys.readouterr().out
    assert "conn-00000 active manual" in out
    assert "created created created ()" in out
    assert "2 to update" in out


async def _run_block(code: str, filename: str, namespace: dict[str, Any]) -> None:
    compiled = compile(code, filename, "exec", flags=ast.PyCF_ALLOW_TOP_LEVEL_AWAIT)
    if "anyio.run(" in code:
        # A whole script: it runs its own event loop, so it gets a thread of its own.
        await anyio.to_thread.run_sync(exec, compiled, {"__name__": "__main__"})
        return
    result = eval(compiled, namespace)
    if inspect.iscoroutine(result):
        await result


def test_ensure_actions_are_strings() -> None:
    """EnsureAction values print as the words the guide uses."""
    assert [str(a) for a in EnsureAction] == ["created", "updated", "unchanged"]


def test_the_guides_dry_run_prints_what_the_readme_shows(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """``apply pipeline.toml --dry-run`` on the guide's pipeline, applied once and then changed
    as the README's block shows (bucket path, schedule), prints that block line for line."""
    [toml] = [code for language, code in guide_blocks() if language == "toml"]
    secrets = {"PG_PASSWORD": "pw", "S3_ACCESS_KEY_ID": "ak", "S3_SECRET_ACCESS_KEY": "sk"}
    with cli_shell(tmp_path, monkeypatch, capsys, pipeline=toml, env=secrets) as (_, run):
        assert run("apply", "pipeline.toml")[0] == 0
        changed = toml.replace('s3_bucket_path = "shop"', 's3_bucket_path = "shop-v2"')
        changed = changed.replace('{ every = 6, unit = "hours" }', '{ every = 1, unit = "days" }')
        (tmp_path / "pipeline.toml").write_text(changed)
        code, out, err = run("apply", "pipeline.toml", "--dry-run")

    assert code == 0, err
    assert (out + err).splitlines() == console_block(
        "$ airbyte-async apply pipeline.toml --dry-run"
    )


def test_the_guides_apply_with_a_rotated_secret_prints_what_the_readme_shows(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """``PG_PASSWORD=new-pw airbyte-async apply pipeline.toml`` on the guide's pipeline, once it
    was applied, prints the README's block: nothing to do, and the secrets it cannot compare."""
    [toml] = [code for language, code in guide_blocks() if language == "toml"]
    secrets = {"PG_PASSWORD": "pw", "S3_ACCESS_KEY_ID": "ak", "S3_SECRET_ACCESS_KEY": "sk"}
    with cli_shell(tmp_path, monkeypatch, capsys, pipeline=toml, env=secrets) as (_, run):
        assert run("apply", "pipeline.toml")[0] == 0
        code, out, err = run("apply", "pipeline.toml", PG_PASSWORD="new-pw")

    assert code == 0, err
    shown = console_block("$ PG_PASSWORD=new-pw airbyte-async apply pipeline.toml")
    assert (out + err).splitlines() == shown


def test_the_guides_problems_are_reported_as_the_readme_shows(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """The guide's pipeline with PG_PASSWORD unset and a misspelt sync mode in its second
    stream: ``apply`` reports both at their keys, as the README's block shows, exit status 2."""
    [toml] = [code for language, code in guide_blocks() if language == "toml"]
    head, orders = toml.split('name = "orders"\n')
    toml = head + 'name = "orders"\n' + orders.replace('"incremental"', '"incrementl"', 1)
    secrets = {"S3_ACCESS_KEY_ID": "ak", "S3_SECRET_ACCESS_KEY": "sk"}
    monkeypatch.delenv("PG_PASSWORD", raising=False)
    with cli_shell(tmp_path, monkeypatch, capsys, pipeline=toml, env=secrets) as (_, run):
        code, out, err = run("apply", "pipeline.toml")

    assert code == 2
    assert (out + err).splitlines() == console_block("$ airbyte-async apply pipeline.toml")


# -- the README outside its guide -----------------------------------------------------------


#: The README's sections outside the guide whose Python blocks a test runs.
RUN_OUTSIDE_THE_GUIDE = ["## Quickstart", "### Cloud quickstart"]


def test_every_python_block_of_the_readme_is_run_by_a_test() -> None:
    """A Python block outside the guide is in a section that a test runs the blocks of."""
    text = (ROOT / "README.md").read_text()
    guide = text[text.index("<!-- guide:start -->") : text.index("<!-- guide:end -->")]
    outside = text.replace(guide, "")
    checked = "".join(section(heading) for heading in RUN_OUTSIDE_THE_GUIDE)
    python = [m.group(2) for m in FENCE.finditer(outside) if m.group(1) == "python"]

    assert len(python) >= 2
    assert [code for code in python if code not in checked] == []


async def test_the_quickstart_syncs_every_connection_from_the_environment(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """The Quickstart's Python block, with AIRBYTE_URL and a user and password in the
    environment as its shell block sets them: one line per connection, each succeeded."""
    [code] = [
        m.group(2) for m in FENCE.finditer(section("## Quickstart")) if m.group(1) == "python"
    ]
    for name in [n for n in os.environ if n.startswith("AIRBYTE_")]:
        monkeypatch.delenv(name)
    async with Emulator(
        trigger_latency=TEST_TRIGGER_LATENCY,
        connections=3,
        sync_duration=(0.01, 0.02),
        auth=RequireBasic("airbyte", "password"),
    ) as emu:
        monkeypatch.setenv("AIRBYTE_URL", emu.url)
        monkeypatch.setenv("AIRBYTE_USERNAME", "airbyte")
        monkeypatch.setenv("AIRBYTE_PASSWORD", "password")
        await _run_block(code, "README.md quickstart", {})

    lines = capsys.readouterr().out.splitlines()
    assert [line.split()[:2] for line in lines] == [
        [f"conn-0000{i}", "succeeded"] for i in range(3)
    ]
