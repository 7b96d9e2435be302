"""The pytest plugin's fixtures in a user's test run: under anyio's plugin, under pytest-asyncio
(strict and auto mode, beside anyio), and with no async runner at all."""

from __future__ import annotations

import importlib.metadata

import pytest

pytest_plugins = ["pytester"]


def pytest_asyncio_version() -> tuple[int, ...]:
    """The installed pytest-asyncio's major and minor version, () when it is not installed."""
    try:
        version = importlib.metadata.version("pytest-asyncio")
    except importlib.metadata.PackageNotFoundError:
        return ()
    return tuple(int(part) for part in version.split(".")[:2] if part.isdigit())


#: pytest-asyncio wraps an async fixture when a test sets it up from 1.1 on (before, when it
#: collects the fixtures, which leaves this plugin no say in strict mode).
needs_pytest_asyncio = pytest.mark.skipif(
    pytest_asyncio_version() < (1, 1), reason="needs pytest-asyncio 1.1 or later"
)

#: The plugins of each inner run, named rather than autoloaded: only these take part.
ANYIO = ("-p", "anyio.pytest_plugin")
PYTEST_ASYNCIO = ("-p", "pytest_asyncio.plugin")
OURS = ("-p", "airbyte_async.testing.pytest_plugin")

#: A test module's opening: what a test of each runner needs.
HEADER = """
import pytest
from airbyte_async import AirbyteClient
from airbyte_async.testing import Emulator


@pytest.fixture
def anyio_backend():
    return "asyncio"


async def answers(emulator):
    async with AirbyteClient(emulator.url, env={}) as client:
        return (await client.health()).available
"""


def run(pytester: pytest.Pytester, ini: str, tests: str, *plugins: str) -> pytest.RunResult:
    """Run the test module *tests* (after :data:`HEADER`) with *ini*'s ``[pytest]`` settings
    and only *plugins* and this package's plugin loaded, in a new process, as a user runs it
    (a run in this one forgets the modules it imported when it ends, while the names the
    package imported lazily meanwhile keep them: two AirbyteClient classes)."""
    pytester.makeini(f"[pytest]\n{ini}")
    pytester.makepyfile(HEADER + tests)
    return pytester.runpytest_subprocess("--disable-plugin-autoload", *plugins, *OURS)


def test_a_test_no_async_runner_runs_is_told_how_to_run_the_fixtures(
    pytester: pytest.Pytester,
) -> None:
    """A test that asks for a fixture and that no async runner runs (no anyio mark, no
    pytest-asyncio) errors at setup with what to do, not pytest's generic async-fixture error."""
    tests = """
async def test_unmarked(airbyte_emulator):
    pass


def test_sync(airbyte_emulator_factory):
    pass
"""
    result = run(pytester, "", tests, *ANYIO)

    result.assert_outcomes(errors=2)
    result.stdout.fnmatch_lines(
        [
            "*'airbyte_emulator' is an async fixture, and no async test runner that can run it"
            " runs 'test_unmarked': mark the test with pytest.mark.anyio*",
            "*'airbyte_emulator_factory' is an async fixture*'test_sync'*pytest.mark.asyncio*",
        ]
    )


@needs_pytest_asyncio
@pytest.mark.parametrize("first", ["anyio", "pytest-asyncio"])
def test_pytest_asyncio_strict_mode_runs_the_fixtures_beside_anyio(
    pytester: pytest.Pytester, first: str
) -> None:
    """In pytest-asyncio's strict mode, tests marked asyncio get the fixtures (and a user's own
    fixture around an Emulator, set up and torn down in two tasks), with no warning, while
    tests marked anyio in the same run still get theirs from anyio, whichever plugin loads
    first."""
    tests = """
import pytest_asyncio


@pytest_asyncio.fixture
async def own_emulator():
    async with Emulator(airbyte_version="head") as emulator:
        yield emulator


@pytest.mark.asyncio
async def test_emulator(airbyte_emulator):
    assert await answers(airbyte_emulator)


@pytest.mark.asyncio
async def test_factory(airbyte_emulator_factory):
    assert await answers(await airbyte_emulator_factory(airbyte_version="head"))


@pytest.mark.asyncio
async def test_own_fixture(own_emulator):
    assert await answers(own_emulator)


@pytest.mark.anyio
async def test_anyio(airbyte_emulator, airbyte_emulator_factory):
    assert await answers(airbyte_emulator)
    assert await answers(await airbyte_emulator_factory())
"""
    plugins = (*ANYIO, *PYTEST_ASYNCIO) if first == "anyio" else (*PYTEST_ASYNCIO, *ANYIO)
    ini = "asyncio_mode = strict\nasyncio_default_fixture_loop_scope = function\n"

    result = run(pytester, ini, tests, *plugins)

    result.assert_outcomes(passed=4, warnings=0)


@needs_pytest_asyncio
def test_pytest_asyncio_auto_mode_runs_the_fixtures(pytester: pytest.Pytester) -> None:
    """In pytest-asyncio's auto mode, unmarked async tests get the fixtures, which, like a
    user's own fixture around an Emulator, set up and tear down in two tasks without error."""
    tests = """
import pytest_asyncio


@pytest_asyncio.fixture
async def own_emulator():
    async with Emulator() as emulator:
        yield emulator


async def test_emulator(airbyte_emulator):
    assert await answers(airbyte_emulator)


async def test_factory(airbyte_emulator_factory):
    assert await answers(await airbyte_emulator_factory())


async def test_own_fixture(own_emulator):
    assert await answers(own_emulator)
"""
    ini = "asyncio_mode = auto\nasyncio_default_fixture_loop_scope = function\n"

    result = run(pytester, ini, tests, *PYTEST_ASYNCIO)

    result.assert_outcomes(passed=3, warnings=0)
