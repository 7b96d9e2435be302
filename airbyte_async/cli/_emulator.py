"""``airbyte-async emulator``: serve the embedded Airbyte emulator until a signal stops it."""

from __future__ import annotations

import argparse

from ..testing import _cli as emulator_cli
from ._common import EXIT_OK, Interrupt

__all__ = ["command"]


async def command(args: argparse.Namespace, interrupt: Interrupt) -> int:
    """Serve the emulator the flags describe until Ctrl-C or SIGTERM; 0 once stopped, 2 for
    invalid settings."""
    with interrupt.scope():
        return await emulator_cli.run(args)
    return EXIT_OK
