"""
An Airbyte emulator (the Config API of 0.40, 0.50, 1.7, 2.0 and head, and from 1.7 on the
public API) for tests, benchmarks and demos.

``async with Emulator(connections=100) as emu:`` serves an in-memory Airbyte on
``emu.url`` (the API is under ``/api/v1``); ``emu.stats()`` tells what really happened.
Triggers answer once their job runs, after ``trigger_latency`` (0.2 s by default), which grows
with the load past ``trigger_capacity``; past ``trigger_overload`` they get 503 (see
``_load``). Cancels answer once their job stopped, after ``cancel_latency`` (0.2 s).
``clock=ManualClock()`` lets a test move time by hand.
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
