"""
pytest fixtures for code that talks to Airbyte: a running :class:`Emulator` per test.

Registered as the ``airbyte_async`` pytest plugin. The fixtures are async: run the tests with
the anyio plugin (``pytest.mark.anyio``) on the asyncio backend. Their emulators answer triggers
after :data:`TEST_TRIGGER_LATENCY` and cancels after :data:`TEST_CANCEL_LATENCY` unless told
otherwise, to keep suites quick (at once on a ``ManualClock``, whose waits end only when the
test advances it); pass ``trigger_latency=`` or ``cancel_latency=`` where a test depends on it.
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
    "TEST_TRIGGER_LATENCY",
    "EmulatorFactory",
    "airbyte_emulator",
    "airbyte_emulator_factory",
]

#: The fixtures' default ``trigger_latency``: still after the job is created, never at once.
TEST_TRIGGER_LATENCY = 0.02
#: The fixtures' default ``cancel_latency``: a cancel still waits for its job to stop.
TEST_CANCEL_LATENCY = 0.02

#: Starts an emulator with the given keyword arguments (those of :class:`Emulator`).
EmulatorFactory = Callable[..., Awaitable[Emulator]]


@pytest.fixture
async def airbyte_emulator() -> AsyncIterator[Emulator]:
    """A running emulator with default settings, stopped after the test."""
    async with Emulator(
        trigger_latency=TEST_TRIGGER_LATENCY, cancel_latency=TEST_CANCEL_LATENCY
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
            return await stack.enter_async_context(Emulator(**kwargs))

        yield start
