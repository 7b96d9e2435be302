"""Shared fixtures: the asyncio backend, retries without waiting, and the spec folder; a quiet
garbage collector."""

from __future__ import annotations

import gc
import os
from collections.abc import Iterator
from pathlib import Path

import pytest
import stamina

SHARED = Path(
    os.environ.get("AIRBYTE_ASYNC_SPECS")
    or Path(__file__).resolve().parents[2] / "shared" / "airbyte"
)


@pytest.fixture
def anyio_backend() -> str:
    """aiohttp runs on asyncio only."""
    return "asyncio"


@pytest.fixture(autouse=True)
def _no_retry_waits() -> Iterator[None]:
    """Retries keep their attempt counts but skip their backoff sleeps."""
    with stamina.set_testing(True, attempts=5, cap=True):
        yield


@pytest.hookimpl(tryfirst=True)
def pytest_runtest_setup() -> None:
    """
    Each test starts with the garbage of the tests before it collected and what outlived them
    (modules, specs, caches) frozen, so a full pass of the cyclic collector during a test scans
    that test's objects only. A worker holds some 300,000 such objects after a few hundred
    tests, and a full pass over them took 0.2 to 0.5 s on a loaded machine: longer than the
    0.25 s client timeouts of tests whose server hangs on purpose, which then timed out on a
    request the server had not read yet.
    """
    gc.collect()
    gc.freeze()
