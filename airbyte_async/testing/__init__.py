"""
An Airbyte Config API emulator for tests, benchmarks and demos.

``async with Emulator(connections=100) as emu:`` serves an in-memory Airbyte on
``emu.url`` (the API is under ``/api/v1``); ``emu.stats()`` tells what really happened.
"""

from ._auth import RequireBasic, RequireBearer, RequireClientCredentials
from ._clock import ManualClock
from ._faults import Fault, FaultKind, parse_faults
from ._server import VERSIONS, Emulator, serve
from ._stats import EmulatorStats, RecordedRequest

__all__ = [
    "Emulator",
    "VERSIONS",
    "serve",
    "EmulatorStats",
    "RecordedRequest",
    "RequireBasic",
    "RequireBearer",
    "RequireClientCredentials",
    "Fault",
    "FaultKind",
    "parse_faults",
    "ManualClock",
]
