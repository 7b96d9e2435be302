"""
The command line's parser: its help as it was, and parsing that imports none of what runs the
commands (the client, aiohttp, the orchestrator, the emulator).
"""

from __future__ import annotations

import argparse
import ast
import importlib
import re
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


#: How Python 3.11 and 3.12 show a short option with a value; 3.13 on say the value once.
_SAID_TWICE = re.compile(r"(?<!\S)(-\w) (\S+), (--[\w-]+) \2(?!\S)")


def _layout_free(text: str) -> str:
    """
    A help without what argparse lays out otherwise from one Python version to the next: its
    words in order, one space apart (the column where helps begin, and so where lines wrap,
    moved in 3.13), and a short option's value said once (``-o, --output PLAN``, as 3.13 on
    print it, not ``-o PLAN, --output PLAN``).
    """
    return " ".join(_SAID_TWICE.sub(r"\1, \3 \2", text).split())


def _help(
    command: tuple[str, ...], capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> str:
    """What ``airbyte-async [COMMAND...] --help`` prints at 80 columns."""
    monkeypatch.setenv("COLUMNS", "80")
    with pytest.raises(SystemExit) as exited:
        main([*command, "--help"])
    assert exited.value.code == 0
    return capsys.readouterr().out


def _recorded(command: tuple[str, ...]) -> str:
    return (HELP / f"{'_'.join(command) or 'airbyte-async'}.txt").read_text()


@pytest.mark.parametrize("command", COMMANDS, ids=lambda c: " ".join(c) or "top")
def test_each_help_says_what_was_recorded_on_every_python(
    command: tuple[str, ...], capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """``airbyte-async [COMMAND...] --help`` says, word for word and in order, what the help
    recorded in tests/cli_help/ says, on any Python: only argparse's layout is left out, so an
    option, a command or a help lost or changed fails it."""
    assert _layout_free(_help(command, capsys, monkeypatch)) == _layout_free(_recorded(command))


@pytest.mark.skipif(
    sys.version_info[:2] not in ((3, 11), (3, 12)),
    reason="recorded with the argparse of Python 3.11 (3.12 lays out alike, 3.13 does not)",
)
@pytest.mark.parametrize("command", COMMANDS, ids=lambda c: " ".join(c) or "top")
def test_each_help_is_the_one_recorded_before_the_parser_moved(
    command: tuple[str, ...], capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """``airbyte-async [COMMAND...] --help`` prints, to the character, what it printed when
    each command's module still built its own part of the parser (tests/cli_help/, written
    by that code at 80 columns; sync, demo and emulator rewritten since, their defaults
    named)."""
    assert _help(command, capsys, monkeypatch) == _recorded(command)


#: One help's lines as Python 3.11 (and 3.12) and 3.13 lay them out, at 80 columns.
_LAID_OUT_BY_311 = """\
positional arguments:
  {sync,apply,destinations}
    sync         sync many connections at once and wait for them
    apply        create or update sources, destinations and connections from a
                 TOML file or plan
    destinations
                 list destinations

options:
  -o PLAN, --output PLAN
                        save the plan (JSON) here
"""
_LAID_OUT_BY_313 = """\
positional arguments:
  {sync,apply,destinations}
    sync          sync many connections at once and wait for them
    apply         create or update sources, destinations and connections from
                  a TOML file or plan
    destinations  list destinations

options:
  -o, --output PLAN     save the plan (JSON) here
"""


def test_the_layouts_of_python_3_11_and_3_13_say_the_same() -> None:
    """The same help laid out by Python 3.11's argparse and by 3.13's says the same once its
    layout is left out; without an option's help, or with a help under another option, it
    does not."""
    assert _layout_free(_LAID_OUT_BY_311) == _layout_free(_LAID_OUT_BY_313)
    lost = _LAID_OUT_BY_313.replace("save the plan (JSON) here", "")
    moved = _LAID_OUT_BY_313.replace("TOML file or plan", "").replace(
        "here", "here TOML file or plan"
    )
    assert _layout_free(lost) != _layout_free(_LAID_OUT_BY_311)
    assert _layout_free(moved) != _layout_free(_LAID_OUT_BY_311)


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


def _flags_with_help(
    parser: argparse.ArgumentParser, path: tuple[str, ...] = ()
) -> list[tuple[tuple[str, ...], argparse.Action]]:
    """Every flag of *parser* and of its subcommands that has a help, with its command."""
    found = []
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for name, sub in action.choices.items():
                found += _flags_with_help(sub, (*path, name))
        elif action.help and action.help is not argparse.SUPPRESS:
            found.append((path, action))
    return found


def test_each_default_a_help_states_is_the_flags_default() -> None:
    """A help's "(default 0.5)" (README: ``--poll-interval`` 0.5 s, ``--cancel-grace`` 30 s,
    ``jobs list`` 20) is the default the flag is parsed with."""
    stated = [
        (path, action.option_strings[0], said.group(1), action.default)
        for path, action in _flags_with_help(_parser.build_parser())
        if (said := re.search(r"\(default:? ([\d.]+)\)", action.help or ""))
    ]

    assert {(path, flag) for path, flag, _, _ in stated} >= {
        (("sync",), "--poll-interval"),
        (("sync",), "--cancel-grace"),
        (("jobs", "list"), "--limit"),
    }
    assert [s for s in stated if float(s[2]) != float(s[3])] == []
