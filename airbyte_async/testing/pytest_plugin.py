"""
pytest fixtures for code that talks to Airbyte: a running :class:`Emulator` per test.

Registered as the ``airbyte_async`` pytest plugin. The fixtures are async: run the tests with
the anyio plugin (``pytest.mark.anyio``) on the asyncio backend. Their emulators answer triggers
after :data:`TEST_TRIGGER_LATENCY` and cancels after :data:`TEST_CANCEL_LATENCY`, with a
workflow that reports running still :data:`TEST_WRAP_UP` after a job ended (and
:data:`TEST_START_LAG` after one runs), unless told otherwise, to keep suites quick (all of them
none on a ``ManualClock``, whose waits end only when the test advances it); pass
``trigger_latency=``, ``cancel_latency=``, ``start_lag=`` or ``wrap_up=`` where a test depends
on it.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import AsyncExitStack
from typing import Any

import pytest

from ._clock import ManualClock
from ._server import Emulator

__all__ = [
    "TEST_CANCEL_LATENCY",
    "TEST_START_LAG",
    "TEST_TRIGGER_LATENCY",
    "TEST_WRAP_UP",
    "EmulatorFactory",
    "airbyte_emulator",
    "airbyte_emulator_factory",
]

#: The fixtures' default ``trigger_latency``: still after the job is created, never at once.
TEST_TRIGGER_LATENCY = 0.02
#: The fixtures' default ``cancel_latency``: a cancel still waits for its job to stop.
TEST_CANCEL_LATENCY = 0.02
#: The fixtures' default ``start_lag``: none, since a test that waits for a job to read running
#: and then triggers or cancels would meet it at random (a test of that moment sets its own).
TEST_START_LAG = 0.0
#: The fixtures' default ``wrap_up``: still there, shorter.
TEST_WRAP_UP = 0.05

#: Starts an emulator with the given keyword arguments (those of :class:`Emulator`).
EmulatorFactory = Callable[..., Awaitable[Emulator]]


@pytest.fixture
async def airbyte_emulator() -> AsyncIterator[Emulator]:
    """A running emulator with default settings, stopped after the test."""
    async with Emulator(
        trigger_latency=TEST_TRIGGER_LATENCY,
        cancel_latency=TEST_CANCEL_LATENCY,
        start_lag=TEST_START_LAG,
        wrap_up=TEST_WRAP_UP,
    ) as emulator:
        yield emulator


@pytest.fixture
async def airbyte_emulator_factory() -> AsyncIterator[EmulatorFactory]:
    """``await factory(**kwargs)`` starts an emulator; all of them stop after the test."""
    async with AsyncExitStack() as stack:

        async def start(**kwargs: Any) -> Emulator:
            # On a manual clock a trigger or a cancel waits until the test advances it: none
            # by default.
            manual = isinstance(kwargs.get("clock"), ManualClock)
            kwargs.setdefault("trigger_latency", 0.0 if manual else TEST_TRIGGER_LATENCY)
            kwargs.setdefault("cancel_latency", 0.0 if manual else TEST_CANCEL_LATENCY)
            kwargs.setdefault("start_lag", 0.0 if manual else TEST_START_LAG)
            kwargs.setdefault("wrap_up", 0.0 if manual else TEST_WRAP_UP)
            return await stack.enter_async_context(Emulator(**kwargs))

        yield start
