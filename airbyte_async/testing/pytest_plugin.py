"""
pytest fixtures for code that talks to Airbyte: a running :class:`Emulator` per test.

Registered as the ``airbyte_async`` pytest plugin. The fixtures are async: run the tests with
the anyio plugin (``pytest.mark.anyio``) on the asyncio backend. Their emulators answer triggers
after :data:`TEST_TRIGGER_LATENCY` unless told otherwise, to keep suites quick; pass
``trigger_latency=`` where a test depends on it.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import AsyncExitStack
from typing import Any

import pytest

from ._server import Emulator

__all__ = [
    "TEST_TRIGGER_LATENCY",
    "EmulatorFactory",
    "airbyte_emulator",
    "airbyte_emulator_factory",
]

#: The fixtures' default ``trigger_latency``: still after the job is created, never at once.
TEST_TRIGGER_LATENCY = 0.02

#: Starts an emulator with the given keyword arguments (those of :class:`Emulator`).
EmulatorFactory = Callable[..., Awaitable[Emulator]]


@pytest.fixture
async def airbyte_emulator() -> AsyncIterator[Emulator]:
    """A running emulator with default settings, stopped after the test."""
    async with Emulator(trigger_latency=TEST_TRIGGER_LATENCY) as emulator:
        yield emulator


@pytest.fixture
async def airbyte_emulator_factory() -> AsyncIterator[EmulatorFactory]:
    """``await factory(**kwargs)`` starts an emulator; all of them stop after the test."""
    async with AsyncExitStack() as stack:

        async def start(**kwargs: Any) -> Emulator:
            kwargs.setdefault("trigger_latency", TEST_TRIGGER_LATENCY)
            return await stack.enter_async_context(Emulator(**kwargs))

        yield start
