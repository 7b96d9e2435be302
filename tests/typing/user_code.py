"""
Typing tests: a user's ordinary code, under ``mypy --strict``, needs no cast and no ignore,
and a typo or a value of the wrong type is caught before it runs.

Not executed: ``mypy --strict tests/typing`` checks it (``tests/test_typing.py`` runs that).
A line that must not type-check carries ``# type: ignore[code]``: mypy's strict mode reports an
ignore that nothing needs, so such a line that type-checks fails the test.
"""

from __future__ import annotations

from typing import Literal, assert_type

import airbyte_async
from airbyte_async import (
    AirbyteClient,
    Job,
    OnRunning,
    Orchestrator,
    Selection,
    SyncAlreadyRunningError,
)
from airbyte_async.catalog import modes_toward
from airbyte_async.models import Catalog, DestinationSyncMode
from airbyte_async.testing import Fault


async def a_sync_already_running(client: AirbyteClient, connection_id: str) -> int | None:
    """The job a refused trigger met is a Job, not Any: its id returns as an int."""
    try:
        job = await client.connections.sync(connection_id=connection_id)
    except SyncAlreadyRunningError as e:
        assert_type(e.job, Job | None)
        assert_type(e.connection_id, str | None)
        return e.job.id if e.job is not None else None
    return job.id


def the_api_a_client_speaks(client: AirbyteClient) -> Literal["config", "public"]:
    """``client.api`` is one of two names (``api=`` is text, as ``AIRBYTE_API`` gives it)."""
    assert_type(client.api, Literal["config", "public"])
    AirbyteClient("http://localhost:8000", api=str(client.api), env={})
    return client.api


def orchestrator_options(client: AirbyteClient) -> None:
    """``on_running`` is an OnRunning or its value; a misspelt value is caught."""
    Orchestrator(client, on_running=OnRunning.SKIP)
    Orchestrator(client, on_running="skip")
    Orchestrator(client, on_running="atach")  # type: ignore[arg-type]


def selections() -> None:
    """Selection's tags are one name, or any iterable of names; anything else is caught."""
    Selection(all_workspaces=True, tags="nightly")
    Selection(all_workspaces=True, tags=["nightly", "critical"])
    Selection(all_workspaces=True, tags=frozenset({"nightly"}))
    Selection(all_workspaces=True, tags=5)  # type: ignore[arg-type]
    Selection(all_workspaces=True, tags=[1, 2])  # type: ignore[list-item]


def faults() -> None:
    """A fault's method is a string (or None)."""
    Fault(kind="error", route="/public/v1/jobs", method="GET")
    Fault(kind="error", route="/public/v1/jobs", method=1)  # type: ignore[arg-type]


def modes(catalog: Catalog) -> None:
    """The destination's write modes may come as any collection: a set, a tuple, a list."""
    assert_type(
        modes_toward(catalog, {DestinationSyncMode.APPEND, DestinationSyncMode.OVERWRITE}),
        dict[str, tuple[tuple[airbyte_async.SyncMode, DestinationSyncMode], ...]],
    )


def the_package_modules() -> None:
    """Each module a bare ``import airbyte_async`` gives as an attribute."""
    assert_type(airbyte_async.catalog.StreamSelection("users").name, str)
    assert_type(airbyte_async.resources.Jobs, type[airbyte_async.resources.Jobs])
    assert_type(airbyte_async.errors.NotFoundError, type[airbyte_async.errors.NotFoundError])
    assert_type(airbyte_async.models.Job, type[Job])
    assert_type(airbyte_async.orchestrator.Batch, type[airbyte_async.orchestrator.Batch])
