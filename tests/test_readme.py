"""
What the README shows outside its Python blocks (which ``test_examples`` runs), against the
code: the commands of its quickstarts run, the flags it names are the commands' own, its
console blocks are what the commands print, and the defaults it states are the code's.
"""

from __future__ import annotations

import ast
import inspect
import itertools
import json
import re
import shlex
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import anyio
import attrs
import pytest
from readme_support import FENCE, README, console_block, guide_blocks, section, shown_as, table
from shell_support import Run, cli_shell

import airbyte_async
from airbyte_async import AirbyteClient, ClientCredentials, RetryBudget, RetryPolicy
from airbyte_async.cli import main
from airbyte_async.orchestrator import OnRunning, Orchestrator
from airbyte_async.testing import Emulator, RequireBasic, RequireClientCredentials
from airbyte_async.testing._clock import WallClock
from airbyte_async.testing.pytest_plugin import TEST_CANCEL_LATENCY, TEST_TRIGGER_LATENCY

#: The guide's pipeline file's variables, set.
SECRETS = {"PG_PASSWORD": "pw", "S3_ACCESS_KEY_ID": "ak", "S3_SECRET_ACCESS_KEY": "sk"}
#: An emulator whose triggers, cancels and syncs are quick.
QUICK = {
    "trigger_latency": TEST_TRIGGER_LATENCY,
    "cancel_latency": TEST_CANCEL_LATENCY,
    "sync_duration": (0.01, 0.02),
}


def guide_pipeline() -> str:
    [toml] = [code for language, code in guide_blocks() if language == "toml"]
    return toml


def commands(heading: str, language: str) -> list[list[str]]:
    """The ``airbyte-async`` command lines of the *language* blocks under *heading*, split as a
    shell does, comments dropped, less the command's name."""
    found = []
    for lang, code in (m.groups() for m in FENCE.finditer(section(heading))):
        if lang == language:
            for line in code.splitlines():
                if line.startswith("airbyte-async "):
                    found.append(shlex.split(line, comments=True)[1:])
    return found


def help_of(words: list[str], capsys: pytest.CaptureFixture[str]) -> str:
    """What ``airbyte-async WORDS --help`` prints; it must exit 0."""
    capsys.readouterr()
    with pytest.raises(SystemExit) as done:
        main([*words, "--help"])
    assert done.value.code == 0
    return capsys.readouterr().out


def takes(help_text: str, flag: str) -> bool:
    return re.search(rf"(?<![\w-]){re.escape(flag)}(?![\w-])", help_text) is not None


def flags(text: str) -> list[str]:
    """The flags named in *text*'s code spans of flags or commands (``--json``, ``-o PLAN``,
    ``airbyte-async sync --all``)."""
    spans = re.findall(r"`((?:-|airbyte-async )[^`\n]*)`", text)
    return sorted({f for span in spans for f in re.findall(r"(?<![\w-])--?[a-z][\w-]*", span)})


# -- the quickstarts' commands --------------------------------------------------------------


def test_the_quickstarts_commands_run_on_a_self_hosted_server(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """Each ``airbyte-async`` line of the Quickstart, with a user and password in the
    environment as its exports set them (ID: a connection's), exits 0; ``--json`` prints one
    result line for the connection, succeeded."""
    lines = commands("## Quickstart", "sh")
    env = {**SECRETS, "AIRBYTE_USERNAME": "airbyte", "AIRBYTE_PASSWORD": "password"}
    auth = RequireBasic("airbyte", "password")
    with cli_shell(
        tmp_path,
        monkeypatch,
        capsys,
        pipeline=guide_pipeline(),
        env=env,
        auth=auth,
        connections=2,
        **QUICK,
    ) as (emulator, run):
        connection_id = emulator.connection_ids[0]
        done = [run(*[connection_id if w == "ID" else w for w in argv]) for argv in lines]

    assert len(lines) >= 5
    assert [code for code, _, _ in done] == [0] * len(lines), [err for _, _, err in done]
    [(_, out, _)] = [d for argv, d in zip(lines, done, strict=True) if "--json" in argv]
    [result] = [json.loads(line) for line in out.splitlines()]
    assert (result["connection_id"], result["ok"]) == (connection_id, True)


def test_the_cloud_quickstarts_commands_run_on_the_public_api(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """The Cloud quickstart's commands, on a head emulator's public API wanting an
    application's id and secret from the environment: one JSON line per connection each,
    every sync succeeded."""
    lines = commands("### Cloud quickstart", "shell")
    env = {"AIRBYTE_CLIENT_ID": "app-id", "AIRBYTE_CLIENT_SECRET": "app-secret"}
    auth = RequireClientCredentials("app-id", "app-secret")
    with cli_shell(
        tmp_path,
        monkeypatch,
        capsys,
        pipeline="",
        env=env,
        auth=auth,
        connections=2,
        airbyte_version="head",
        **QUICK,
    ) as (emulator, run):
        url = emulator.url + "/api/public/v1"
        done = [run(*argv, AIRBYTE_URL=url) for argv in lines]

    assert [argv[0] for argv in lines] == ["connections", "sync"]
    assert [code for code, _, _ in done] == [0, 0], [err for _, _, err in done]
    listed, synced = ([json.loads(line) for line in out.splitlines()] for _, out, _ in done)
    assert [c["connection_id"] for c in listed] == emulator.connection_ids
    assert sorted(r["connection_id"] for r in synced) == sorted(emulator.connection_ids)
    assert all(r["ok"] for r in synced)


# -- flags ----------------------------------------------------------------------------------


def command_rows() -> list[Any]:
    rows = []
    for cell, _ in table("| Command | What it does |"):
        words = cell.strip("`").split()[1:]
        name = list(itertools.takewhile(re.compile("[a-z]+").fullmatch, words))
        rows.append(pytest.param(name, flags(cell), id=" ".join(name)))
    return rows


@pytest.mark.parametrize(("words", "named"), command_rows())
def test_each_command_of_the_command_table_takes_the_flags_the_readme_names(
    words: list[str], named: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    """A row of "The command line": the command exists, takes the flags its row names and,
    when it talks to a server, the server flags the text below the table names."""
    text = section("### The command line")
    server = text[text.index("Every command that talks to a server") :]
    server = server[: server.index("else reads")]
    talks = words[0] not in ("emulator", "demo")

    shown = help_of(words, capsys)

    wanted = named + (flags(server) if talks else [])
    assert [flag for flag in wanted if not takes(shown, flag)] == []
    assert len(flags(server)) >= 8


def test_jobs_list_shows_the_newest_20_unless_told_and_every_job_with_limit_0(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """The command table's ``jobs list --connection ID [--limit N]``: "a connection's jobs,
    newest first (20 unless ``--limit``; 0 for all)", on a connection that ran 22 syncs."""
    row = next(what for cell, what in table("| Command | What it does |") if "jobs list" in cell)
    assert "newest first (20 unless `--limit`; 0 for all)" in row
    quick = {**QUICK, "start_lag": 0.0, "wrap_up": 0.0}
    with cli_shell(tmp_path, monkeypatch, capsys, pipeline="", env={}, connections=1, **quick) as (
        emulator,
        run,
    ):
        [connection_id] = emulator.connection_ids

        async def sync_22_times() -> list[int]:
            async with AirbyteClient(emulator.url, env={}) as client:
                jobs = []
                for _ in range(22):
                    job = await client.connections.sync(connection_id=connection_id)
                    jobs.append((await client.jobs.wait(job_id=job.id, poll_interval=0.01)).id)
                return jobs

        jobs = anyio.run(sync_22_times)
        shown = run("jobs", "list", "--connection", connection_id, "--json")
        every = run("jobs", "list", "--connection", connection_id, "--json", "--limit", "0")

    newest_first = jobs[::-1]
    assert [json.loads(line)["job_id"] for line in shown[1].splitlines()] == newest_first[:20]
    assert [json.loads(line)["job_id"] for line in every[1].splitlines()] == newest_first


def test_sync_takes_every_option_the_readme_lists(capsys: pytest.CaptureFixture[str]) -> None:
    """ "From a shell, ``airbyte-async sync`` takes the same options: ...": each is a flag of
    ``sync``."""
    text = section("### Many syncs: the orchestrator")
    start = text.index("From a shell, `airbyte-async sync` takes the same options")
    paragraph = text[start : text.index("\n\n", start)]

    shown = help_of(["sync"], capsys)

    assert len(flags(paragraph)) >= 18
    assert [flag for flag in flags(paragraph) if not takes(shown, flag)] == []


def test_the_emulator_command_takes_every_flag_its_section_names(
    capsys: pytest.CaptureFixture[str],
) -> None:
    """The flags "Testing your code with the emulator" names (``--commit-lag``, ``--auth``,
    ...) are ``airbyte-async emulator``'s."""
    text = section("### Testing your code with the emulator")

    shown = help_of(["emulator"], capsys)

    assert len(flags(text)) >= 10
    assert [flag for flag in flags(text) if not takes(shown, flag)] == []


BENCHMARKS = Path(__file__).resolve().parents[1] / "benchmarks"


def benchmark_commands() -> list[tuple[str, list[str]]]:
    """Each benchmark command the README shows, in an indented block or a code span outside
    fenced blocks: the script's name and the words after it, split as a shell does."""
    text = re.sub(r"^```.*?^```$", "", README.read_text(), flags=re.MULTILINE | re.DOTALL)
    indented = re.sub(r"\\\n {5,}", " ", text)
    commands = re.findall(r"^    (python benchmarks/.*)$", indented, re.MULTILINE)
    text = re.sub(r"^    \S.*$", "", text, flags=re.MULTILINE)
    commands += re.findall(r"`([^`]*\w\.py\b[^`]*)`", text)
    found = []
    for command in commands:
        for match in re.finditer(r"(?:benchmarks/)?(\w+)\.py\b", command):
            if (BENCHMARKS / f"{match.group(1)}.py").exists():
                words = shlex.split(command[match.end() :], comments=True)
                found.append((match.group(1), words))
    return found


def script_flags(name: str) -> set[str]:
    """The flags ``benchmarks/<name>.py``'s parser adds (its ``add_argument`` calls)."""
    tree = ast.parse((BENCHMARKS / f"{name}.py").read_text())
    return {
        arg.value
        for call in ast.walk(tree)
        if isinstance(call, ast.Call)
        and isinstance(call.func, ast.Attribute)
        and call.func.attr == "add_argument"
        for arg in call.args
        if isinstance(arg, ast.Constant) and str(arg.value).startswith("--")
    }


def test_each_benchmark_command_of_the_readme_takes_the_flags_it_is_given(
    capsys: pytest.CaptureFixture[str],
) -> None:
    """Every ``python benchmarks/<script>.py ...`` the README shows as a figure's source names
    a script there with the flags it passes, and each ``--emulator-flag`` an emulator flag."""
    emulator = help_of(["emulator"], capsys)
    commands = benchmark_commands()
    wrong = []
    for name, words in commands:
        flags_ = script_flags(name)
        for i, word in enumerate(words):
            flag, _, value = word.partition("=")
            if not flag.startswith("--"):
                continue
            if flag not in flags_:
                wrong.append(f"{name}.py {flag}")
            elif flag == "--emulator-flag":
                passed = (value or words[i + 1]).partition("=")[0]
                if not takes(emulator, passed):
                    wrong.append(f"{name}.py --emulator-flag={passed}")

    assert {name for name, _ in commands} >= {
        "orchestrate",
        "chaos",
        "abort",
        "outage",
        "busy_proxy",
        "client_overhead",
    }
    assert sum(len(words) for _, words in commands) >= 40
    assert wrong == []


# -- console blocks -------------------------------------------------------------------------


def printed(done: tuple[int, str, str]) -> list[str]:
    _, out, err = done
    return (out + err).splitlines()


@pytest.fixture
def shell(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> Iterator[tuple[Emulator, Run]]:
    """``(emulator, run)`` of a shell in *tmp_path* whose emulator holds the guide's pipeline,
    applied once."""
    with cli_shell(tmp_path, monkeypatch, capsys, pipeline=guide_pipeline(), env=SECRETS) as (
        emulator,
        run,
    ):
        assert run("apply", "pipeline.toml")[0] == 0
        yield emulator, run


def edit(path: Path, old: str, new: str) -> None:
    text = path.read_text()
    assert old in text
    path.write_text(text.replace(old, new))


def test_a_saved_plan_prints_what_the_readme_shows(
    shell: tuple[Emulator, Run], tmp_path: Path
) -> None:
    """``plan pipeline.toml -o plan.json`` once the guide's bucket path changed prints the
    README's block, and ``apply plan.json`` then executes it."""
    _, run = shell
    edit(tmp_path / "pipeline.toml", 's3_bucket_path = "shop"', 's3_bucket_path = "shop-v2"')

    planned = run("plan", "pipeline.toml", "-o", "plan.json")
    executed = run("apply", "plan.json")

    shown = console_block("$ airbyte-async plan pipeline.toml -o plan.json")
    assert planned[0] == 0
    assert shown_as(printed(planned), shown), printed(planned)
    assert executed[0] == 0
    assert "applied: 0 created, 1 updated, 2 unchanged" in printed(executed)


def test_a_stale_plan_is_refused_as_the_readme_shows(
    shell: tuple[Emulator, Run], tmp_path: Path
) -> None:
    """A plan saved, then its destination changed on the server (another run): ``apply
    plan.json`` refuses with the README's lines and exit status 2."""
    _, run = shell
    pipeline = tmp_path / "pipeline.toml"
    edit(pipeline, 's3_bucket_path = "shop"', 's3_bucket_path = "shop-v2"')
    assert run("plan", "pipeline.toml", "-o", "plan.json")[0] == 0
    edit(pipeline, 's3_bucket_path = "shop-v2"', 's3_bucket_path = "shop-v3"')
    assert run("apply", "pipeline.toml")[0] == 0

    refused = run("apply", "plan.json")

    assert refused[0] == 2
    assert shown_as(printed(refused), console_block("$ airbyte-async apply plan.json"))


def test_send_secrets_prints_what_the_readme_shows_and_writes_them(
    shell: tuple[Emulator, Run],
) -> None:
    """``PG_PASSWORD=new-pw airbyte-async apply pipeline.toml --send-secrets`` prints the
    README's block, and the server then holds the new password."""
    emulator, run = shell

    done = run("apply", "pipeline.toml", "--send-secrets", PG_PASSWORD="new-pw")

    shown = console_block("$ PG_PASSWORD=new-pw airbyte-async apply pipeline.toml --send-secrets")
    assert done[0] == 0
    assert shown_as(printed(done), shown), printed(done)
    [source_id] = re.findall(r"^updated source shop \((\S+)\)$", "\n".join(printed(done)), re.M)
    assert emulator.stored_configuration(source_id)["password"] == "new-pw"


def test_a_connection_renamed_in_the_file_is_named_as_the_readme_shows(
    shell: tuple[Emulator, Run], tmp_path: Path
) -> None:
    """The guide's connection renamed shop-to-lake-v2 in the file: ``apply`` creates it and
    names the old one, still joining the same source and destination, after its last
    message, as the README's block shows."""
    _, run = shell
    edit(tmp_path / "pipeline.toml", 'name = "shop-to-lake"', 'name = "shop-to-lake-v2"')

    done = run("apply", "pipeline.toml")

    first = "$ airbyte-async apply pipeline.toml              "
    first += "# shop-to-lake renamed shop-to-lake-v2 in the file"
    assert done[0] == 0
    assert shown_as(printed(done), console_block(first)), printed(done)


def test_a_source_renamed_on_the_server_is_named_as_the_readme_shows(
    shell: tuple[Emulator, Run],
) -> None:
    """The guide's source renamed shop-old on the server (as in Airbyte's UI): ``plan`` names
    the connection that joins it, as the README's block shows."""
    emulator, run = shell

    async def rename() -> None:
        async with AirbyteClient(emulator.url, env={}) as client:
            workspace_id = (await client.workspaces.default()).workspace_id
            shop = await client.sources.find(workspace_id=workspace_id, name="shop")
            await client.sources.update(
                source_id=shop.source_id, name="shop-old", configuration=shop.configuration
            )

    anyio.run(rename)
    done = run("plan", "pipeline.toml")

    first = (
        "$ airbyte-async plan pipeline.toml               # source shop renamed shop-old in the UI"
    )
    assert done[0] == 0
    assert shown_as(printed(done), console_block(first)), printed(done)


# -- defaults -------------------------------------------------------------------------------

#: Defaults the option tables give in words, and what they stand for in the code.
IN_WORDS: dict[str, Any] = {
    "`max_running`": None,
    "the client's API": None,
    "`attach`": OnRunning.ATTACH,
    "wall time": attrs.Factory(WallClock),
}


def table_defaults(header: str) -> dict[str, Any]:
    """The parameters an option table names, with the defaults it gives them."""
    found: dict[str, Any] = {}
    for names_cell, default_cell, _ in table(header):
        names = re.findall(r"`(\w+)`", names_cell)
        if default_cell in IN_WORDS:
            values: tuple[Any, ...] = (IN_WORDS[default_cell],)
        else:
            value = ast.literal_eval(default_cell.replace("`", ""))
            values = value if len(names) > 1 else (value,)
        found |= dict(zip(names, values, strict=True))
    return found


def test_the_orchestrator_table_gives_every_option_with_its_default() -> None:
    """The Orchestrator's option table names each of its parameters (but the client), each
    with the default the code gives it."""
    parameters = inspect.signature(Orchestrator).parameters.values()
    code = {p.name: p.default for p in parameters if p.name != "client"}

    assert table_defaults("| Option | Default | Meaning |") == code


def test_the_emulator_table_gives_every_option_with_its_default() -> None:
    """The ``Emulator(...)`` option table names each of its parameters, each with the default
    the code gives it (one reckoned from the others: what a default Emulator takes)."""
    made = Emulator()
    code = {
        f.alias: getattr(made, f.name) if getattr(f.default, "takes_self", False) else f.default
        for f in attrs.fields(Emulator)
        if f.init
    }

    assert table_defaults("| `Emulator(...)` option | Default |") == code


#: Where each setting the README gives as ``name=value`` is a parameter.
SETTINGS: dict[str, type] = {
    "attempts": RetryPolicy,
    "total_timeout": RetryPolicy,
    "initial_wait": RetryPolicy,
    "max_wait": RetryPolicy,
    "max_retry_after": RetryPolicy,
    "capacity": RetryBudget,
    "refill": RetryBudget,
    "margin": ClientCredentials,
    "timeout": AirbyteClient,
    "connect_timeout": AirbyteClient,
    "connector_timeout": AirbyteClient,
    "max_connections": AirbyteClient,
}


def test_the_client_settings_the_readme_gives_are_the_defaults() -> None:
    """Each ``name=number`` of "What is retried" and "The concepts" (``attempts=5``,
    ``timeout=60``, ...) is that setting's default."""
    text = section("## What is retried and what never is") + section("### The concepts")
    text = FENCE.sub("", text)
    given = [
        (m.group(1), float(m.group(2)))
        for span in re.findall(r"`([^`]*)`", text)
        for m in re.finditer(r"(\w+)=(\d[\d.]*)", span)
    ]

    defaults = {
        name: inspect.signature(owner).parameters[name].default for name, owner in SETTINGS.items()
    }
    assert len(given) >= 12
    assert [(name, value) for name, value in given if defaults.get(name) != value] == []


# -- how it is built ------------------------------------------------------------------------

PACKAGE = Path(airbyte_async.__file__).parent


def built_tree() -> dict[str, str]:
    """The tree "How it is built" draws of ``airbyte_async/``: each entry and its text."""
    [tree] = [
        code
        for code in re.findall(r"^```\n(.*?)^```$", section("## How it is built"), re.M | re.S)
        if code.startswith("airbyte_async/\n")
    ]
    entries = re.split(r"^  (?=\S)", tree, flags=re.MULTILINE)[1:]
    return {entry.split()[0]: " ".join(entry.split()[1:]) for entry in entries}


def test_the_tree_of_how_it_is_built_is_the_packages() -> None:
    """Every module and package of ``airbyte_async/`` is an entry of README's tree (but
    ``__main__.py``), every entry exists, so do the files an entry's text names inside it
    (``resources/``'s ``_reconcile.py``, ...), and the top level has the names it counts."""
    tree = built_tree()
    modules = {
        p.name + "/" * p.is_dir()
        for p in PACKAGE.iterdir()
        if (p.suffix == ".py" or (p / "__init__.py").exists()) and p.name != "__main__.py"
    }
    inside = [
        (folder, name)
        for folder, text in tree.items()
        if folder.endswith("/")
        for name in re.findall(r"(?<![\w/.])(_?\w+\.py|_\w+/)", text)
    ]
    [counted] = re.findall(r"\((\d+) names\)", tree["__init__.py"])

    assert set(tree) == modules
    assert len(inside) >= 10
    assert [
        f"{folder}{name}" for folder, name in inside if not (PACKAGE / folder / name).exists()
    ] == []
    assert int(counted) == len(airbyte_async.__all__)
