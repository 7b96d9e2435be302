"""
pytest fixtures for code that talks to Airbyte: a running :class:`Emulator` per test.

Registered as the ``airbyte_async`` pytest plugin. The fixtures are async: run the tests with
the anyio plugin (``pytest.mark.anyio``) on the asyncio backend.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import AsyncExitStack
from typing import Any

import pytest

from ._server import Emulator

__all__ = ["EmulatorFactory", "airbyte_emulator", "airbyte_emulator_factory"]

#: Starts an emulator with the given keyword arguments (those of :class:`Emulator`).
EmulatorFactory = Callable[..., Awaitable[Emulator]]


@pytest.fixture
async def airbyte_emulator() -> AsyncIterator[Emulator]:
    """A running emulator with default settings, stopped after the test."""
    async with Emulator() as emulator:
        yield emulator


@pytest.fixture
async def airbyte_emulator_factory() -> AsyncIterator[EmulatorFactory]:
    """``await factory(**kwargs)`` starts an emulator; all of them stop after the test."""
    async with AsyncExitStack() as stack:

        async def start(**kwargs: Any) -> Emulator:
            return await stack.enter_async_context(Emulator(**kwargs))

        yield start
