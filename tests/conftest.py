"""Shared fixtures: the asyncio backend, retries without waiting, and the spec folder."""

from __future__ import annotations

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
