"""
Fixtures for the resource tests: an emulator per server version and a client talking to it.

Loaded with ``pytest_plugins = ["resource_fixtures"]``. ``version`` is parametrized over 0.50,
1.7, 2.0 and head; a test parametrizes ``version`` itself to pick others, and
``emulator_options`` to change the emulator's settings.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest

from airbyte_async import AirbyteClient, NoAuth
from airbyte_async.testing import Emulator
from airbyte_async.testing.pytest_plugin import TEST_CANCEL_LATENCY, TEST_TRIGGER_LATENCY

VERSIONS = ["0.50", "1.7", "2.0", "head"]


@pytest.fixture(params=VERSIONS)
def version(request: pytest.FixtureRequest) -> str:
    """The Airbyte version the emulator plays."""
    return str(request.param)


@pytest.fixture
def emulator_options() -> dict[str, Any]:
    """Emulator settings; a test module overrides this fixture to change them."""
    return {"connections": 3}


@pytest.fixture
async def emu(version: str, emulator_options: dict[str, Any]) -> AsyncIterator[Emulator]:
    """A running emulator that records requests and finishes syncs and triggers quickly."""
    options = {
        "sync_duration": (0.01, 0.02),
        "trigger_latency": TEST_TRIGGER_LATENCY,
        "cancel_latency": TEST_CANCEL_LATENCY,
        "record_requests": True,
        **emulator_options,
    }
    async with Emulator(airbyte_version=version, **options) as emulator:
        yield emulator


@pytest.fixture
async def api(emu: Emulator) -> AsyncIterator[AirbyteClient]:
    """A client on the emulator, no credentials, nothing read from the environment."""
    async with AirbyteClient(emu.url, auth=NoAuth(), env={}) as client:
        yield client


@pytest.fixture
def workspace_id(emu: Emulator) -> str:
    """The emulator's first workspace."""
    return emu.workspace_ids[0]
