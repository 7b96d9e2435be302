"""
The command line on the public REST API: ``--api`` on every command that talks to a server,
``AIRBYTE_API``, and the issue's "done when" commands against the emulator's public API.
"""

# The fixtures ``run`` and ``served`` come from test_cli_commands; the tests name them.
# ruff: noqa: F811

from __future__ import annotations

import argparse
from collections.abc import Callable, Iterator

import pytest
from test_cli_commands import Served, json_lines, run, served  # noqa: F401
from test_cli_sync import (
    _emulator,
    _stats,
    test_after_sigkill_a_rerun_adopts_the_running_jobs_without_duplicates,
    test_sync_json_prints_one_object_per_connection_and_nothing_else,
)

from airbyte_async.cli._parser import build_parser

# Real CLI and emulator processes: end-to-end, so slow (their module marks them; a module's
# mark does not travel with an imported function).
pytest.mark.slow(test_after_sigkill_a_rerun_adopts_the_running_jobs_without_duplicates)
pytest.mark.slow(test_sync_json_prints_one_object_per_connection_and_nothing_else)

Run = Callable[..., tuple[int, str, str]]
NO_SERVER = {"demo", "emulator"}


@pytest.fixture
def emulator_version() -> str:
    """The public API is served by head emulators."""
    return "head"


@pytest.fixture
def emulator(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """For the tests taken from test_cli_sync: a head emulator process with the flags of their
    ``emulator_flags`` marker, and ``AIRBYTE_API=public`` for the commands they run; at the
    end, every request it saw was a public API one."""
    marker = request.node.get_closest_marker("emulator_flags")
    flags = marker.args if marker else ("--connections", "4", "--sync-duration", "0.05", "0.1")
    monkeypatch.setenv("AIRBYTE_API", "public")
    proc, url = _emulator(*flags, "--airbyte-version", "head")
    try:
        yield url
        routes = _stats(url)["requests_by_route"]
        assert routes and all(route.startswith("/public/v1/") for route in routes), routes
    finally:
        proc.terminate()
        proc.wait(timeout=10)
        if proc.stdout is not None:
            proc.stdout.close()


def _public_only(served: Served) -> dict[str, int]:
    by_route = dict(served.emulator.stats().requests_by_route)
    assert by_route and all(route.startswith("/public/v1/") for route in by_route), by_route
    return by_route


def test_every_server_command_takes_api() -> None:
    """Each subcommand that talks to a server (all but demo and emulator) has ``--api`` with
    the choices auto, config and public (issue 12)."""
    parser = build_parser()
    sub = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    leaves: list[argparse.ArgumentParser] = []
    todo = [p for name, p in sub.choices.items() if name not in NO_SERVER]
    while todo:
        current = todo.pop()
        nested = [a for a in current._actions if isinstance(a, argparse._SubParsersAction)]
        if nested:
            todo += list(nested[0].choices.values())
        else:
            leaves.append(current)
    assert len(leaves) >= 10
    for leaf in leaves:
        api = [a for a in leaf._actions if "--api" in a.option_strings]
        assert api, leaf.prog
        assert list(api[0].choices or ()) == ["auto", "config", "public"], leaf.prog


def test_connections_list_on_the_public_api(run: Run, served: Served) -> None:
    """``connections list --api public --json`` lists the connections through the public API
    only (issue 12, "done when")."""
    code, out, err = run("connections", "list", "--api", "public", "--json")

    assert code == 0, err
    assert [c["connection_id"] for c in json_lines(out)] == served.emulator.connection_ids
    _public_only(served)


def test_sync_all_on_the_public_api(run: Run, served: Served) -> None:
    """``sync --api public --all --json`` syncs every connection once through the public API
    and reports each job's real status (issue 12, "done when")."""
    code, out, err = run("sync", "--api", "public", "--all", "--json")

    assert code == 0, err
    results = json_lines(out)
    stats = served.emulator.stats()
    assert sorted(r["connection_id"] for r in results) == sorted(served.emulator.connection_ids)
    for r in results:
        assert r["outcome"] == "succeeded"
        assert stats.job_statuses[r["job_id"]] == r["status"]
    assert all(len(ids) == 1 for ids in stats.jobs_by_connection.values())
    _public_only(served)


def test_the_environment_chooses_the_public_api(
    run: Run, served: Served, monkeypatch: pytest.MonkeyPatch
) -> None:
    """``AIRBYTE_API=public`` does what ``--api public`` does."""
    monkeypatch.setenv("AIRBYTE_API", "public")
    code, _, err = run("workspaces", "list", "--json")

    assert code == 0, err
    assert _public_only(served) == {"/public/v1/workspaces": 1}


@pytest.mark.parametrize("form", [(), ("--json",)], ids=["text", "json"])
def test_a_config_only_command_says_so_and_sends_nothing(
    run: Run, served: Served, form: tuple[str, ...]
) -> None:
    """``jobs logs`` on the public API, as text or JSON lines, stops with
    UnsupportedOperationError naming an alternative, before any request (the JSON form printed
    nothing and exited 0)."""
    code, out, err = run("jobs", "logs", "1", "--api", "public", *form)

    assert (code, out) == (2, "")
    assert "UnsupportedOperationError" in err and "Config API" in err
    assert served.emulator.stats().total_requests == 0


def test_sync_says_the_public_api_does_not_report_why_a_sync_failed(
    run: Run, served: Served
) -> None:
    """The summary's reason for a failed sync on the public API says that API does not report
    why (its ``JobResponse`` has no failure details: public-api-head.yaml; API-FACTS 7), where
    it was blank; the JSON line counts the attempts as unknown (``null``)."""
    failing = served.emulator.connection_ids[0]
    served.emulator.set_sync_plan(failing, outcome="failed")
    code, out, err = run("sync", "--api", "public", "--connection", failing)

    assert code == 1, err
    [row] = [line for line in out.splitlines() if line.split()[:1] == ["conn-00000"]]
    assert " ".join(row.split()[2:]) == "failed (the public API does not report why)"

    code, out, err = run("sync", "--api", "public", "--connection", failing, "--json")
    assert code == 1, err
    [line] = json_lines(out)
    assert (line["outcome"], line["attempts"], line["failure_reason"]) == ("failed", None, None)


def test_jobs_get_json_counts_attempts_as_unknown_on_the_public_api(
    run: Run, served: Served
) -> None:
    """``jobs get --json`` on the public API, whose ``JobResponse`` has no attempts
    (public-api-head.yaml; API-FACTS 7), gives ``"attempts": null``, not 0."""
    job_id = served.finished_job()
    code, out, err = run("jobs", "get", str(job_id), "--api", "public", "--json")

    assert code == 0, err
    [job] = json_lines(out)
    assert (job["job_id"], job["attempts"], job["attempt_details"]) == (job_id, None, [])


def test_sync_under_a_path_that_serves_nothing_says_to_check_the_path(
    run: Run, served: Served
) -> None:
    """``sync --api public --url <host>/prefix --connection <id>``: one line saying nothing
    there serves the public API (its health is missing too), not a failed sync per connection
    blamed on the connection's id."""
    argv = ["sync", "--api", "public", "--url", served.emulator.url + "/prefix"]
    for cid in served.emulator.connection_ids:
        argv += ["--connection", cid]
    code, out, err = run(*argv)

    assert (code, out) == (2, "")
    assert err.startswith(
        f"airbyte-async: UnsupportedOperationError: nothing at {served.emulator.url}/prefix/api/"
        "public/v1/ serves Airbyte's public API ("
    )
    assert "the request named" not in err
    assert err.count("\n") == 1
