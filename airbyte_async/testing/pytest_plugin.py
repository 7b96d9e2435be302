"""
pytest fixtures for code that talks to Airbyte: a running :class:`Emulator` per test.

Registered as the ``airbyte_async`` pytest plugin. The fixtures are async: run the tests with
the anyio plugin (``pytest.mark.anyio``) on the asyncio backend, or with pytest-asyncio 1.1
or later (``pytest.mark.asyncio``, in strict mode too, or its auto mode); a test that neither
runs fails at setup with what to do. Their emulators answer triggers
after :data:`TEST_TRIGGER_LATENCY` and cancels after :data:`TEST_CANCEL_LATENCY`, with a
workflow that reports running still :data:`TEST_WRAP_UP` after a job ended (and
:data:`TEST_START_LAG` after one runs), unless told otherwise, to keep suites quick (all of them
none on a ``ManualClock``, whose waits end only when the test advances it); pass
``trigger_latency=``, ``cancel_latency=``, ``start_lag=`` or ``wrap_up=`` where a test depends
on it.
"""

from __future__ import annotations

import functools
import sys
from collections.abc import AsyncIterator, Awaitable, Callable, Generator
from contextlib import AsyncExitStack, aclosing
from types import ModuleType
from typing import TYPE_CHECKING, Any, NoReturn, cast

import pytest

from ._clock import ManualClock
from ._server import Emulator

if TYPE_CHECKING:
    from collections.abc import AsyncGenerator

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


#: What a test that asks for one of the fixtures is told when no async test runner that can
#: run them runs it.
_NO_RUNNER = (
    "{fixture} is an async fixture, and no async test runner that can run it runs {test}: "
    "mark the test with pytest.mark.anyio (and have an anyio_backend fixture return "
    "'asyncio'), or, with pytest-asyncio 1.1 or later, with pytest.mark.asyncio (or set "
    "asyncio_mode = auto)"
)


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_fixture_setup(
    fixturedef: pytest.FixtureDef[Any], request: pytest.FixtureRequest
) -> Generator[None, object, object]:
    """
    Have the runner of the test run this plugin's fixtures: anyio's for a test that has an
    ``anyio_backend`` (anyio's own rule), else pytest-asyncio's for one of its tests, in its
    strict mode too, as though they were ``pytest_asyncio.fixture`` (they are not, or
    pytest-asyncio would also take them from anyio). A test that neither runs fails at once
    with what to do, rather than with pytest's generic error.
    """
    func = fixturedef.func
    if getattr(func, "__module__", None) != __name__ or "anyio_backend" in request.fixturenames:
        return (yield)
    pytest_asyncio = sys.modules.get("pytest_asyncio")
    if pytest_asyncio is not None and _runs(pytest_asyncio, request.node):
        # One of this module's fixtures: each is an async generator function.
        ours = cast("Callable[..., AsyncGenerator[object]]", func)
        stand_in = _for_pytest_asyncio(pytest_asyncio, ours)
    else:
        stand_in = _refuse(fixturedef.argname, request.node.name)
    # Until the test's teardown (each fixture here lives as long as its test), not only during
    # the setup: pytest-asyncio looks at the test's fixtures again when it runs the test.
    patch = pytest.MonkeyPatch()
    patch.setattr(fixturedef, "func", stand_in)
    request.node.addfinalizer(patch.undo)
    return (yield)


def _runs(pytest_asyncio: ModuleType, test: pytest.Item) -> bool:
    """Whether *pytest_asyncio* runs *test* and wraps the async fixtures it is given when a test
    sets them up: from 1.1 on (before, it did when it collected them, unless they were its
    own, which leaves this plugin nothing to give it)."""
    version = str(getattr(pytest_asyncio, "__version__", "0")).split(".")[:2]
    since = tuple(int(part) if part.isdigit() else 0 for part in version)
    return since >= (1, 1) and bool(pytest_asyncio.is_async_test(test))


def _for_pytest_asyncio(
    pytest_asyncio: ModuleType, func: Callable[..., AsyncGenerator[object]]
) -> Callable[..., AsyncGenerator[object]]:
    """*func*, as a fixture that pytest-asyncio runs in strict mode too: a wrapper that its
    ``fixture`` decorator marks (the original stays unmarked, for anyio's tests)."""

    @functools.wraps(func)
    async def fixture(*args: object, **kwargs: object) -> AsyncGenerator[object]:
        async with aclosing(func(*args, **kwargs)) as values:
            async for value in values:
                yield value

    pytest_asyncio.fixture(fixture)  # marks *fixture*; the definition it returns is not needed
    return fixture


def _refuse(fixture: str, test: str) -> Callable[[], NoReturn]:
    """A fixture function that fails *test* with what to do (a failure pytest records as the
    fixture's, as it does any other)."""

    def refuse() -> NoReturn:
        pytest.fail(_NO_RUNNER.format(fixture=repr(fixture), test=repr(test)), pytrace=False)

    return refuse
