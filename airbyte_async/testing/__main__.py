"""``python -m airbyte_async.testing``: run the emulator, as ``airbyte-async emulator`` does."""

from __future__ import annotations

import argparse
import sys

import anyio

from ..cli._parser import add_emulator_arguments
from ._cli import run


def main() -> int:
    """Parse the flags and serve until stopped."""
    parser = argparse.ArgumentParser(prog="python -m airbyte_async.testing")
    add_emulator_arguments(parser)
    return anyio.run(run, parser.parse_args())


if __name__ == "__main__":
    sys.exit(main())
