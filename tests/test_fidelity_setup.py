"""
Fidelity: the Config API's set-up routes (connections, workspaces and their listings) as the
real handlers do them.

Each test names the handler it follows: airbytehq/airbyte-platform's Kotlin at head
(``airbyte-commons-server/.../handlers/ConnectionsHandler.kt``, ``WorkspacesHandler.kt``,
``SourceHandler.kt``, ``converters/ConnectionHelper.kt``, ``handlers/helpers/
CatalogConverter.kt``), its Java of 2023 for 0.50, and airbytehq/airbyte's Java under
``airbyte-commons-server`` for 0.40.
"""

from __future__ import annotations

from typing import Any

import aiohttp
import emulator_support
import pytest
from emulator_support import call
from test_fidelity_errors import VERSIONS, assert_body

from airbyte_async.testing import Emulator, pytest_plugin
from airbyte_async.testing._versions import since

pytestmark = pytest.mark.anyio

airbyte_emulator_factory = pytest_plugin.airbyte_emulator_factory
Factory = pytest_plugin.EmulatorFactory
http = emulator_support.http

HOURLY = {"basicSchedule": {"timeUnit": "hours", "units": 1}}


async def actors_of(http: aiohttp.ClientSession, emu: Emulator, index: int) -> tuple[str, str]:
    """The source and destination ids of the emulator's connection number *index*."""
    read = await call(http, emu, "connections/get", {"connectionId": emu.connection_ids[index]})
    return read.json["sourceId"], read.json["destinationId"]


async def discovered(http: aiohttp.ClientSession, emu: Emulator, source_id: str) -> Any:
    """The catalog a discover of *source_id* finds, every stream selected."""
    answer = await call(http, emu, "sources/discover_schema", {"sourceId": source_id})
    assert answer.status == 200, answer.text
    return answer.json["catalog"]


async def create(
    http: aiohttp.ClientSession, emu: Emulator, **fields: Any
) -> emulator_support.Answer:
    """``connections/create`` between connection 0's actors, with *fields* besides."""
    source_id, destination_id = await actors_of(http, emu, 0)
    body = {"sourceId": source_id, "destinationId": destination_id, "status": "active"}
    return await call(http, emu, "connections/create", body | fields)


# -- connections/create -----------------------------------------------------------------------


@VERSIONS
async def test_a_connection_created_without_a_namespace_definition_has_source(
    airbyte_emulator_factory: Factory, http: aiohttp.ClientSession, version: str
) -> None:
    """
    ``connections/create`` without ``namespaceDefinition`` stores ``source`` ("If not
    specified, default the NamespaceDefinition to 'source'", ``ConnectionsHandler.
    createConnection`` in every version); it reads back so, and a search finds it by it.
    """
    emu = await airbyte_emulator_factory(airbyte_version=version, connections=1)
    created = await create(http, emu, name="c")
    assert created.status == 200, created.text
    assert created.json["namespaceDefinition"] == "source"
    cid = created.json["connectionId"]
    read = await call(http, emu, "connections/get", {"connectionId": cid})
    assert read.json["namespaceDefinition"] == "source"
    found = await call(http, emu, "connections/search", {"namespaceDefinition": "source"})
    assert [c["connectionId"] for c in found.json["connections"]] == [cid]


@VERSIONS
async def test_a_connection_created_without_a_name_is_named_after_its_actors(
    airbyte_emulator_factory: Factory, http: aiohttp.ClientSession, version: str
) -> None:
    """
    ``connections/create`` without ``name`` names the connection ``<source name> <>
    <destination name>`` (``ConnectionsHandler.createConnection``'s ``defaultName``).
    """
    emu = await airbyte_emulator_factory(airbyte_version=version, connections=1)
    created = await create(http, emu)
    assert created.status == 200, created.text
    assert created.json["name"] == "src-00000 <> dst-00000"


@VERSIONS
async def test_a_connection_across_two_workspaces_is_refused_with_a_500(
    airbyte_emulator_factory: Factory, http: aiohttp.ClientSession, version: str
) -> None:
    """
    A source and a destination of two workspaces are refused: ``ConnectionHelper.
    validateWorkspace`` throws an ``IllegalArgumentException`` no handler maps, so a 500 in
    the version's body, and no connection is made.
    """
    emu = await airbyte_emulator_factory(airbyte_version=version, connections=2, workspaces=2)
    source_id, _ = await actors_of(http, emu, 0)
    _, destination_id = await actors_of(http, emu, 1)
    body = {"sourceId": source_id, "destinationId": destination_id, "status": "active"}
    answer = await call(http, emu, "connections/create", body)
    assert answer.status == 500
    assert_body(version, answer.json, "IllegalArgumentException", known=False)
    if not since(version, "2.0"):
        assert "do not belong to the same workspace" in answer.json["message"]
    for workspace_id in emu.workspace_ids:
        listed = await call(http, emu, "connections/list_all", {"workspaceId": workspace_id})
        assert len(listed.json["connections"]) == 1


# -- connections/update -----------------------------------------------------------------------


@VERSIONS
async def test_an_update_sending_null_keeps_the_field(
    airbyte_emulator_factory: Factory, http: aiohttp.ClientSession, version: str
) -> None:
    """
    A ``connections/update`` field sent as JSON null is left as it is, as if not sent
    (``ConnectionsHandler.applyPatchToStandardSync``: "Any fields that are null in the patch
    will be left unchanged").
    """
    emu = await airbyte_emulator_factory(airbyte_version=version, connections=1)
    cid = emu.connection_ids[0]
    set_first = {"connectionId": cid, "prefix": "p_", "namespaceDefinition": "customformat"}
    set_first["namespaceFormat"] = "${SOURCE_NAMESPACE}_x"
    assert (await call(http, emu, "connections/update", set_first)).status == 200
    nulls = dict.fromkeys(("prefix", "namespaceFormat", "namespaceDefinition", "name"))
    answer = await call(http, emu, "connections/update", {"connectionId": cid, **nulls})
    assert answer.status == 200, answer.text
    read = (await call(http, emu, "connections/get", {"connectionId": cid})).json
    for body in (answer.json, read):
        assert body["prefix"] == "p_"
        assert body["namespaceFormat"] == "${SOURCE_NAMESPACE}_x"
        assert body["namespaceDefinition"] == "customformat"
        assert body["name"] == "conn-00000"


@VERSIONS
@pytest.mark.parametrize(
    ("fields", "words"),
    [
        ({"scheduleData": HOURLY}, "without also specifying a valid scheduleType"),
        ({"scheduleType": "manual", "scheduleData": HOURLY}, "scheduleType to MANUAL"),
        ({"scheduleType": "basic"}, "scheduleType to BASIC"),
        ({"scheduleType": "cron"}, "scheduleType to CRON"),
        ({"schedule": {"units": 1, "timeUnit": "hours"}}, "'schedule' is no longer supported"),
    ],
)
async def test_an_update_whose_schedule_fields_do_not_go_together_is_a_500(
    airbyte_emulator_factory: Factory,
    http: aiohttp.ClientSession,
    version: str,
    fields: dict[str, Any],
    words: str,
) -> None:
    """
    ``ConnectionsHandler.validateConnectionPatch`` refuses, before anything else, the legacy
    ``schedule``, ``scheduleData`` without ``scheduleType``, ``manual`` with data, and ``basic``
    or ``cron`` without: an ``IllegalArgumentException`` (``require`` at head,
    ``Preconditions.checkArgument`` in 0.x) no handler maps, so a 500; the schedule stays.
    """
    emu = await airbyte_emulator_factory(airbyte_version=version, connections=1)
    cid = emu.connection_ids[0]
    answer = await call(http, emu, "connections/update", {"connectionId": cid, **fields})
    assert answer.status == 500
    assert_body(version, answer.json, "IllegalArgumentException", known=False)
    if not since(version, "2.0"):
        assert words in answer.json["message"]
    read = (await call(http, emu, "connections/get", {"connectionId": cid})).json
    assert read["scheduleType"] == "manual"
    assert "scheduleData" not in read


# -- catalogs ---------------------------------------------------------------------------------


@VERSIONS
async def test_a_connection_reads_back_its_selected_streams_only_each_selected(
    airbyte_emulator_factory: Factory, http: aiohttp.ClientSession, version: str
) -> None:
    """
    A connection stores the selected streams of the catalog it is sent and reads each back
    with ``selected: true`` (``CatalogConverter.toConfiguredInternal`` keeps the selected ones,
    ``toApi`` sets ``selected(true)``; the same in 0.40's ``CatalogConverter.java``), on a
    create and on an update.
    """
    emu = await airbyte_emulator_factory(airbyte_version=version, connections=1)
    source_id, _ = await actors_of(http, emu, 0)
    catalog = await discovered(http, emu, source_id)
    names = [pair["stream"]["name"] for pair in catalog["streams"]]
    assert len(names) >= 3
    for index, pair in enumerate(catalog["streams"]):
        pair["config"]["selected"] = index == 0
    created = await create(http, emu, syncCatalog=catalog)
    assert created.status == 200, created.text
    streams = created.json["syncCatalog"]["streams"]
    assert [(p["stream"]["name"], p["config"]["selected"]) for p in streams] == [(names[0], True)]
    cid = created.json["connectionId"]
    for pair in catalog["streams"]:
        pair["config"]["selected"] = pair["stream"]["name"] != names[0]
    body = {"connectionId": cid, "syncCatalog": catalog}
    assert (await call(http, emu, "connections/update", body)).status == 200
    read = (await call(http, emu, "connections/get", {"connectionId": cid})).json
    streams = read["syncCatalog"]["streams"]
    assert [p["stream"]["name"] for p in streams] == names[1:]
    assert all(p["config"]["selected"] is True for p in streams)


@VERSIONS
@pytest.mark.parametrize("route", ["connections/create", "connections/update"])
async def test_a_catalog_naming_a_stream_twice_is_refused_from_050_on(
    airbyte_emulator_factory: Factory, http: aiohttp.ClientSession, version: str, route: str
) -> None:
    """
    A catalog naming a stream (namespace and name) twice is refused by ``ConnectionHelper.
    validateCatalogDoesntContainDuplicateStreamNames`` on a create and an update, an
    ``IllegalArgumentException``, so a 500; 0.40's ``ConnectionsHandler.java`` has no such
    check and stores it.
    """
    emu = await airbyte_emulator_factory(airbyte_version=version, connections=1)
    source_id, _ = await actors_of(http, emu, 0)
    first = (await discovered(http, emu, source_id))["streams"][0]
    twice = {"streams": [first, first]}
    if route == "connections/create":
        answer = await create(http, emu, syncCatalog=twice)
    else:
        body = {"connectionId": emu.connection_ids[0], "syncCatalog": twice}
        answer = await call(http, emu, route, body)
    if version == "0.40":
        assert answer.status == 200, answer.text
        return
    assert answer.status == 500
    assert_body(version, answer.json, "IllegalArgumentException", known=False)
    if not since(version, "2.0"):
        stream = first["stream"]
        expected = f"duplicate stream names: {stream['namespace']}.{stream['name']}"
        assert expected in answer.json["message"]
