"""Helpers for the resource tests: what the emulator received."""

from __future__ import annotations

from typing import Any

from airbyte_async.testing import Emulator, RecordedRequest

DEFAULT_ORGANIZATION = "00000000-0000-0000-0000-000000000000"


def sent(emu: Emulator, route: str) -> list[RecordedRequest]:
    """The requests the emulator received on *route* (``"jobs/list"``), in order."""
    return [r for r in emu.requests if r.route == f"/v1/{route}"]


def bodies(emu: Emulator, route: str) -> list[Any]:
    """The JSON bodies received on *route*, in order."""
    return [r.body for r in sent(emu, route)]
