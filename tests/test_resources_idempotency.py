"""Every resource method declares whether it may be replayed: a table, over our Request seam."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from typing import Any

import attrs
import pytest

from airbyte_async.resources import (
    Connections,
    DestinationDefinitions,
    Destinations,
    Jobs,
    SourceDefinitions,
    Sources,
    Workspaces,
)

#: Ids in the form the client checks for (every Airbyte id is a UUID).
W = "00000000-0000-4000-8000-00000000000a"
X = "00000000-0000-4000-8000-00000000000b"
S = "00000000-0000-4000-8000-00000000000c"
D = "00000000-0000-4000-8000-00000000000d"
C = "00000000-0000-4000-8000-00000000000e"


pytestmark = pytest.mark.anyio

WORKSPACE = {"workspaceId": "w", "name": "n", "slug": "s"}
DEFINITION = {"name": "Postgres", "dockerRepository": "r", "dockerImageTag": "1"}
ACTOR = {"workspaceId": "w", "name": "n", "connectionConfiguration": {}}
JOB = {"job": {"id": 1, "configType": "sync", "configId": "c", "createdAt": 1, "updatedAt": 1,
               "status": "succeeded"}, "attempts": []}  # fmt: skip
STREAM = {
    "stream": {"name": "users"},
    "config": {"syncMode": "full_refresh", "destinationSyncMode": "append", "selected": True},
}
CONNECTION = {"connectionId": "c", "name": "n", "sourceId": "s", "destinationId": "d",
              "status": "active", "syncCatalog": {"streams": [STREAM]}}  # fmt: skip
CHECK = {"status": "succeeded"}

ANSWERS: dict[str, Any] = {
    "workspaces/get": WORKSPACE,
    "workspaces/get_by_slug": WORKSPACE,
    "workspaces/create": WORKSPACE,
    "workspaces/list": {"workspaces": [WORKSPACE]},
    "source_definitions/list": {"sourceDefinitions": [{**DEFINITION, "sourceDefinitionId": "x"}]},
    "source_definitions/list_for_workspace": {"sourceDefinitions": []},
    "source_definitions/get": {**DEFINITION, "sourceDefinitionId": "x"},
    "source_definition_specifications/get": {"sourceDefinitionId": "x"},
    "destination_definitions/get": {**DEFINITION, "destinationDefinitionId": "x"},
    "sources/create": {**ACTOR, "sourceId": "s", "sourceDefinitionId": "x"},
    "sources/get": {**ACTOR, "sourceId": "s", "sourceDefinitionId": "x"},
    "sources/update": {**ACTOR, "sourceId": "s", "sourceDefinitionId": "x"},
    "sources/list": {"sources": []},
    "sources/delete": None,
    "sources/check_connection": CHECK,
    "sources/discover_schema": {},
    "scheduler/sources/discover_schema": {},
    "destinations/get": {**ACTOR, "destinationId": "d", "destinationDefinitionId": "x"},
    "destinations/update": {**ACTOR, "destinationId": "d", "destinationDefinitionId": "x"},
    "destinations/delete": None,
    "destinations/check_connection": CHECK,
    "connections/create": CONNECTION,
    "connections/get": CONNECTION,
    "connections/update": CONNECTION,
    "connections/list": {"connections": [CONNECTION]},
    "connections/delete": None,
    "connections/sync": JOB,
    "connections/reset": JOB,
    "connections/sync_progress": {"connectionId": "c"},
    "jobs/get": JOB,
    "jobs/get_light": JOB,
    "jobs/cancel": JOB,
    "jobs/list": {"jobs": [JOB], "totalJobCount": 1},
    "jobs/list_for_workspaces": {"jobs": [JOB], "totalJobCount": 1},
}


@attrs.define
class Recorder:
    """A Request that answers from ANSWERS and records each call's route and idempotency."""

    calls: list[tuple[str, bool]] = attrs.Factory(list)

    async def __call__(
        self,
        route: str,
        body: Mapping[str, Any] | None = None,
        *,
        idempotent: bool,
        method: str = "POST",
    ) -> Any:
        self.calls.append((route, idempotent))
        return ANSWERS[route]


async def drain(iterator: Any) -> list[Any]:
    """Every item of an async iterator."""
    return [item async for item in iterator]


Call = Callable[[Recorder], Awaitable[Any]]

CALLS: list[tuple[str, Call, bool]] = [
    ("workspaces/get", lambda r: Workspaces(r).get(workspace_id=W), True),
    ("workspaces/get_by_slug", lambda r: Workspaces(r).get_by_slug(slug="s"), True),
    ("workspaces/create", lambda r: Workspaces(r).create(name="n"), False),
    ("workspaces/list", lambda r: drain(Workspaces(r).list()), True),
    ("source_definitions/list", lambda r: drain(SourceDefinitions(r).list()), True),
    (
        "source_definitions/list_for_workspace",
        lambda r: drain(SourceDefinitions(r).list_for_workspace(workspace_id=W)),
        True,
    ),
    ("source_definitions/get", lambda r: SourceDefinitions(r).get(definition_id=X), True),
    (
        "source_definition_specifications/get",
        lambda r: SourceDefinitions(r).get_specification(definition_id=X, workspace_id=W),
        True,
    ),
    (
        "destination_definitions/get",
        lambda r: DestinationDefinitions(r).get(definition_id=X),
        True,
    ),
    (
        "sources/create",
        lambda r: Sources(r).create(workspace_id=W, name="n", definition_id=X, configuration={}),
        False,
    ),
    ("sources/get", lambda r: Sources(r).get(source_id=S), True),
    ("sources/list", lambda r: drain(Sources(r).list(workspace_id=W)), True),
    (
        "sources/update",
        lambda r: Sources(r).update(source_id=S, name="n", configuration={}),
        False,
    ),
    ("sources/delete", lambda r: Sources(r).delete(source_id=S), True),
    ("sources/check_connection", lambda r: Sources(r).check_connection(source_id=S), True),
    ("sources/discover_schema", lambda r: Sources(r).discover_schema(source_id=S), True),
    (
        "scheduler/sources/discover_schema",
        lambda r: Sources(r).discover_configuration(
            workspace_id=W, definition_id=X, configuration={}
        ),
        True,
    ),
    ("destinations/get", lambda r: Destinations(r).get(destination_id=D), True),
    (
        "destinations/update",
        lambda r: Destinations(r).update(destination_id=D, name="n", configuration={}),
        False,
    ),
    ("destinations/delete", lambda r: Destinations(r).delete(destination_id=D), True),
    (
        "destinations/check_connection",
        lambda r: Destinations(r).check_connection(destination_id=D),
        True,
    ),
    (
        "connections/create",
        lambda r: Connections(r).create(source_id=S, destination_id=D),
        False,
    ),
    ("connections/get", lambda r: Connections(r).get(connection_id=C), True),
    ("connections/list", lambda r: drain(Connections(r).list(workspace_id=W)), True),
    ("connections/update", lambda r: Connections(r).update(connection_id=C, name="n"), False),
    ("connections/delete", lambda r: Connections(r).delete(connection_id=C), True),
    ("connections/sync", lambda r: Connections(r).sync(connection_id=C), False),
    ("connections/reset", lambda r: Connections(r).reset(connection_id=C), False),
    (
        "connections/sync_progress",
        lambda r: Connections(r).sync_progress(connection_id=C),
        True,
    ),
    ("jobs/get", lambda r: Jobs(r).get(job_id=1), True),
    ("jobs/get_light", lambda r: Jobs(r).get_light(job_id=1), True),
    ("jobs/cancel", lambda r: Jobs(r).cancel(job_id=1, unless_ended=False), False),
    ("jobs/list", lambda r: Jobs(r).list_page(connection_id=C), True),
    (
        "jobs/list_for_workspaces",
        lambda r: Jobs(r).list_for_workspaces_page(workspace_ids=[W]),
        True,
    ),
]


@pytest.mark.parametrize(("route", "call", "idempotent"), CALLS, ids=[c[0] for c in CALLS])
async def test_each_operation_declares_its_idempotency(
    route: str, call: Call, idempotent: bool
) -> None:
    """Reads, lists, checks, discovery and deletes (deleting twice changes nothing) may be
    replayed; other writes, triggers and cancel not, and the reads one makes first (a reset
    reads its connection) may be."""
    recorder = Recorder()

    await call(recorder)

    assert recorder.calls[-1] == (route, idempotent)
    assert all(replayable for _, replayable in recorder.calls[:-1])
