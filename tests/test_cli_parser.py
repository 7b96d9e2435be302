"""
The command line's parser: its help as it was, and parsing that imports none of what runs the
commands (the client, aiohttp, the orchestrator, the emulator).
"""

from __future__ import annotations

import argparse
import ast
import importlib
import subprocess
import sys
from pathlib import Path

import pytest

from airbyte_async import orchestrator, testing
from airbyte_async._client import APIS
from airbyte_async.cli import _parser, main

HELP = Path(__file__).parent / "cli_help"

#: Every command and subcommand that has a help of its own; () is the top level.
COMMANDS = [
    (),
    ("sync",),
    ("plan",),
    ("apply",),
    ("demo",),
    ("emulator",),
    ("workspaces",),
    ("workspaces", "list"),
    ("sources",),
    ("sources", "list"),
    ("destinations",),
    ("destinations", "list"),
    ("connections",),
    ("connections", "list"),
    ("jobs",),
    ("jobs", "list"),
    ("jobs", "get"),
    ("jobs", "cancel"),
    ("jobs", "logs"),
]

#: What the tests below look for in ``sys.modules``: none is needed to parse.
HEAVY = ["aiohttp", "anyio", "cattrs", "airbyte_async._client", "airbyte_async.orchestrator"]
HEAVY += ["airbyte_async.testing", "airbyte_async.apply"]


@pytest.mark.skipif(
    sys.version_info[:2] != (3, 11),
    reason="recorded with Python 3.11's argparse; later versions lay options out otherwise",
)
@pytest.mark.parametrize("command", COMMANDS, ids=lambda c: " ".join(c) or "top")
def test_each_help_is_the_one_recorded_before_the_parser_moved(
    command: tuple[str, ...], capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """``airbyte-async [COMMAND...] --help`` prints, to the character, what it printed when
    each command's module still built its own part of the parser (tests/cli_help/, written
    by that code at 80 columns)."""
    monkeypatch.setenv("COLUMNS", "80")
    with pytest.raises(SystemExit) as exited:
        main([*command, "--help"])

    assert exited.value.code == 0
    recorded = (HELP / f"{'_'.join(command) or 'airbyte-async'}.txt").read_text()
    assert capsys.readouterr().out == recorded


def _modules_after(script: str) -> list[str]:
    """The modules of HEAVY that *script*, run in a fresh interpreter, has imported."""
    check = f"import sys\n{script}\nprint([m for m in {HEAVY!r} if m in sys.modules])\n"
    done = subprocess.run(
        [sys.executable, "-c", check], capture_output=True, text=True, timeout=60, check=False
    )
    assert done.returncode == 0, done.stderr
    found: list[str] = ast.literal_eval(done.stdout.strip().splitlines()[-1])
    return found


@pytest.mark.parametrize("command", COMMANDS, ids=lambda c: " ".join(c) or "top")
def test_help_imports_none_of_what_runs_the_commands(command: tuple[str, ...]) -> None:
    """``--help``, of any command, imports neither aiohttp, anyio nor cattrs, nor the client,
    the orchestrator, apply or the emulator: it answers at once."""
    script = (
        "from airbyte_async.cli import main\n"
        "try:\n"
        f"    main({[*command, '--help']!r})\n"
        "except SystemExit:\n"
        "    pass\n"
    )

    assert _modules_after(script) == []


def test_building_the_parser_and_parsing_import_none_of_what_runs_the_commands() -> None:
    """Importing ``airbyte_async.cli``, building the parser and parsing a command line of each
    command imports none of what runs them."""
    script = (
        "from airbyte_async.cli._parser import build_parser\n"
        "parser = build_parser()\n"
        "parser.parse_args(['sync', '--all', '--on-running', 'skip', '--adopt-since', '-2h'])\n"
        "parser.parse_args(['apply', 'pipeline.toml', '--dry-run'])\n"
        "parser.parse_args(['jobs', 'get', '12', '--api', 'public'])\n"
        "parser.parse_args(['emulator', '--airbyte-version', 'head'])\n"
        "parser.parse_args(['demo'])\n"
    )

    assert _modules_after(script) == []


def test_every_command_has_a_runner_with_a_command() -> None:
    """Each command the parser offers names, in RUNNERS, a module that has its
    ``command(args, interrupt)``; RUNNERS names no other command."""
    parser = _parser.build_parser()
    [sub] = [a for a in parser._actions if isinstance(a, argparse._SubParsersAction)]

    assert set(_parser.RUNNERS) == set(sub.choices)
    for module in _parser.RUNNERS.values():
        assert callable(importlib.import_module(module).command), module


def test_the_values_the_flags_offer_are_the_librarys() -> None:
    """The parser's copies of --api's, --on-running's and the emulator's --airbyte-version's
    choices are the values of their homes."""
    assert _parser._APIS == APIS
    assert tuple(orchestrator.OnRunning) == _parser._ON_RUNNING
    assert _parser._EMULATED_VERSIONS == testing.VERSIONS
