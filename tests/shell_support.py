"""The command line run in-process against an emulator served from a thread."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import anyio.from_thread
import pytest

from airbyte_async.cli import main
from airbyte_async.testing import Emulator

__all__ = ["Run", "cli_shell"]

#: ``run(*argv, faults=None, **env)``: main's status, stdout and stderr.
Run = Callable[..., tuple[int, str, str]]


@contextmanager
def cli_shell(
    folder: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    *,
    pipeline: str,
    env: Mapping[str, str],
    **options: Any,
) -> Iterator[tuple[Emulator, Run]]:
    """
    An emulator (made with *options*) served from a thread, *pipeline* as pipeline.toml in
    *folder*, the working folder, *env* set and no other ``AIRBYTE_`` variable; and ``run``,
    which sets the emulator's *faults* first, when given, and *env* for that run only.
    """
    for name in [n for n in os.environ if n.startswith("AIRBYTE_")]:
        monkeypatch.delenv(name)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    (folder / "pipeline.toml").write_text(pipeline)
    monkeypatch.chdir(folder)
    emulator = Emulator(host="127.0.0.1", port=0, **options)

    def run(
        *argv: str, faults: list[dict[str, Any]] | None = None, **more: str
    ) -> tuple[int, str, str]:
        if faults is not None:
            portal.call(emulator.set_faults, faults)
        with monkeypatch.context() as scoped:
            for name, value in more.items():
                scoped.setenv(name, value)
            capsys.readouterr()
            code = main(list(argv))
            out, err = capsys.readouterr()
        return code, out, err

    with (
        anyio.from_thread.start_blocking_portal() as portal,
        portal.wrap_async_context_manager(emulator),
    ):
        monkeypatch.setenv("AIRBYTE_URL", emulator.url)
        yield emulator, run
