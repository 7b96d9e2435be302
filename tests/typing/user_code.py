"""
Typing tests: a user's ordinary code, under ``mypy --strict``, needs no cast and no ignore,
and a typo or a value of the wrong type is caught before it runs.

Not executed: ``mypy --strict tests/typing`` checks it (``tests/test_typing.py`` runs that).
A line that must not type-check carries ``# type: ignore[code]``: mypy's strict mode reports an
ignore that nothing needs, so such a line that type-checks fails the test.
"""

from __future__ import annotations

from typing import assert_type

from airbyte_async import AirbyteClient, Job, SyncAlreadyRunningError


async def a_sync_already_running(client: AirbyteClient, connection_id: str) -> int | None:
    """The job a refused trigger met is a Job, not Any: its id returns as an int."""
    try:
        job = await client.connections.sync(connection_id=connection_id)
    except SyncAlreadyRunningError as e:
        assert_type(e.job, Job | None)
        assert_type(e.connection_id, str | None)
        return e.job.id if e.job is not None else None
    return job.id
