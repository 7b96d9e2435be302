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
from airbyte_async.testing._catalog import SOURCE_DEFINITIONS
from airbyte_async.testing._versions import since

pytestmark = pytest.mark.anyio

airbyte_emulator_factory = pytest_plugin.airbyte_emulator_factory
Factory = pytest_plugin.EmulatorFactory
http = emulator_support.http

UNKNOWN = "11111111-1111-4111-8111-111111111111"
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


@VERSIONS
@pytest.mark.parametrize("route", ["connections/create", "connections/update"])
@pytest.mark.parametrize("unsaid", ["no selected", "no config"])
async def test_a_catalog_with_a_stream_that_does_not_say_it_is_selected_fails(
    airbyte_emulator_factory: Factory,
    http: aiohttp.ClientSession,
    version: str,
    route: str,
    unsaid: str,
) -> None:
    """
    A catalog with a stream whose configuration, or whose ``selected``, is missing fails with
    a 500 on a create and an update, in every version: ``CatalogConverter`` reads
    ``config.selected`` unboxed (0.x's ``toProtocol``: ``.filter(s ->
    s.getConfig().getSelected())``; airbyte-platform's ``toConfiguredInternal``, and before it
    ``ConnectionsHandler.validateCatalogIncludeFiles``), a NullPointerException no handler maps.
    """
    emu = await airbyte_emulator_factory(airbyte_version=version, connections=1)
    source_id, _ = await actors_of(http, emu, 0)
    catalog = await discovered(http, emu, source_id)
    pair = catalog["streams"][0]
    if unsaid == "no config":
        del pair["config"]
    else:
        del pair["config"]["selected"]
    if route == "connections/create":
        answer = await create(http, emu, syncCatalog=catalog)
    else:
        body = {"connectionId": emu.connection_ids[0], "syncCatalog": catalog}
        answer = await call(http, emu, route, body)
    assert answer.status == 500
    assert_body(version, answer.json, "NullPointerException", known=False)


# -- workspaces -------------------------------------------------------------------------------


async def live(http: aiohttp.ClientSession, emu: Emulator, kind: str, workspace_id: str) -> int:
    """How many live sources or destinations (*kind*) ``<kind>s/list`` shows in a workspace."""
    body: dict[str, Any] = {"workspaceId": workspace_id}
    if since(emu.airbyte_version, "2.0"):
        body["pageSize"] = 100
    answer = await call(http, emu, f"{kind}s/list", body)
    assert answer.status == 200, answer.text
    return len(answer.json[f"{kind}s"])


@VERSIONS
async def test_deleting_a_workspace_deletes_its_connections_destinations_and_sources(
    airbyte_emulator_factory: Factory, http: aiohttp.ClientSession, version: str
) -> None:
    """
    ``workspaces/delete`` deletes the workspace's connections (``deprecated``), then its
    destinations and sources (tombstoned), then the workspace (``WorkspacesHandler.
    deleteWorkspace`` in every version); another workspace's stay.
    """
    emu = await airbyte_emulator_factory(airbyte_version=version, connections=4, workspaces=2)
    gone, kept = emu.workspace_ids
    connection_ids = emu.connection_ids
    answer = await call(http, emu, "workspaces/delete", {"workspaceId": gone})
    assert answer.status == 204
    statuses = []
    for cid in connection_ids:
        read = await call(http, emu, "connections/get", {"connectionId": cid})
        statuses.append(read.json["status"])
    # The emulator seeds connection i in workspace i % 2.
    assert statuses == ["deprecated", "active", "deprecated", "active"]
    for kind in ("source", "destination"):
        assert await live(http, emu, kind, gone) == 0
        assert await live(http, emu, kind, kept) == 2


@pytest.mark.parametrize("version", ["1.7", "2.0", "head"])
async def test_deleting_a_workspace_deletes_the_first_page_of_its_actors_from_2_0_on(
    airbyte_emulator_factory: Factory, http: aiohttp.ClientSession, version: str
) -> None:
    """
    From 1.8 on (2.0, head) ``WorkspacesHandler.deleteWorkspace`` lists the actors to delete
    with an ``ActorListCursorPaginatedRequestBody`` naming no page size, so it deletes the
    first ``DEFAULT_PAGE_SIZE`` (20) of each and leaves the rest live; 1.7 lists them all.
    """
    emu = await airbyte_emulator_factory(airbyte_version=version, workspaces=1)
    [workspace_id] = emu.workspace_ids
    postgres = SOURCE_DEFINITIONS[0]
    for i in range(23):
        body = {
            "workspaceId": workspace_id,
            "name": f"s{i:02d}",
            "sourceDefinitionId": postgres.definition_id,
            "connectionConfiguration": {
                "host": "db.example",
                "port": 5432,
                "database": "shop",
                "username": "u",
                "password": "p",
                "ssl_mode": {"mode": "disable"},
                "replication_method": {"method": "Standard"},
            },
        }
        assert (await call(http, emu, "sources/create", body)).status == 200
    answer = await call(http, emu, "workspaces/delete", {"workspaceId": workspace_id})
    assert answer.status == 204
    assert await live(http, emu, "source", workspace_id) == (3 if since(version, "2.0") else 0)


@VERSIONS
async def test_a_new_workspace_has_not_completed_its_initial_setup(
    airbyte_emulator_factory: Factory, http: aiohttp.ClientSession, version: str
) -> None:
    """``workspaces/create`` sets ``initialSetupComplete`` false (``WorkspacesHandler.
    createWorkspace``: ``withInitialSetupComplete(false)``, 0.40's Java too)."""
    emu = await airbyte_emulator_factory(airbyte_version=version)
    body: dict[str, Any] = {"name": "My WS"}
    if version != "0.40":
        read = await call(http, emu, "workspaces/get", {"workspaceId": emu.workspace_ids[0]})
        body["organizationId"] = read.json["organizationId"]
    created = await call(http, emu, "workspaces/create", body)
    assert created.status == 200, created.text
    assert created.json["initialSetupComplete"] is False


@VERSIONS
async def test_a_workspace_renamed_gets_a_new_slug_from_1_7_on(
    airbyte_emulator_factory: Factory, http: aiohttp.ClientSession, version: str
) -> None:
    """
    From 1.7 on, a ``workspaces/update`` ``name`` renames the workspace and makes a new slug
    (head's ``applyPatchToStandardWorkspace`` → ``generateUniqueSlug``); a null name, or null
    ``initialSetupComplete``, keeps it. 0.40's and 0.50's ``WorkspaceUpdate`` has no ``name``
    and their ``applyPatchToStandardWorkspace`` renames nothing.
    """
    emu = await airbyte_emulator_factory(airbyte_version=version)
    [workspace_id] = emu.workspace_ids
    before = (await call(http, emu, "workspaces/get", {"workspaceId": workspace_id})).json
    body = {"workspaceId": workspace_id, "name": "Renamed WS"}
    renamed = await call(http, emu, "workspaces/update", body)
    assert renamed.status == 200, renamed.text
    if since(version, "1.7"):
        assert (renamed.json["name"], renamed.json["slug"]) == ("Renamed WS", "renamed-ws")
        by_slug = await call(http, emu, "workspaces/get_by_slug", {"slug": "renamed-ws"})
        assert by_slug.json["workspaceId"] == workspace_id
        old = await call(http, emu, "workspaces/get_by_slug", {"slug": before["slug"]})
        assert old.status == 404
    else:
        assert (renamed.json["name"], renamed.json["slug"]) == (before["name"], before["slug"])
    kept = await call(
        http,
        emu,
        "workspaces/update",
        {"workspaceId": workspace_id, "name": None, "initialSetupComplete": None},
    )
    assert kept.status == 200, kept.text
    assert kept.json["name"] == renamed.json["name"]
    assert kept.json["initialSetupComplete"] is before["initialSetupComplete"]


# -- listings of a workspace ------------------------------------------------------------------


@VERSIONS
@pytest.mark.parametrize(
    "route", ["sources/list", "destinations/list", "connections/list", "connections/list_all"]
)
@pytest.mark.parametrize("deleted", [False, True])
async def test_listing_an_unknown_or_deleted_workspace_answers_an_empty_list(
    airbyte_emulator_factory: Factory,
    http: aiohttp.ClientSession,
    version: str,
    route: str,
    deleted: bool,
) -> None:
    """
    ``sources/list``, ``destinations/list``, ``connections/list`` and ``list_all`` look no
    workspace up (``SourceHandler.listSourcesForWorkspace``, ``DestinationHandler.
    listDestinationsForWorkspace``, ``ConnectionsHandler.listConnectionsForWorkspace``, the
    same in 0.x): an unknown workspace, or a deleted one with nothing live left, lists
    nothing, with a 200. (``list_all`` of a deleted one lists its deprecated connections.)
    """
    emu = await airbyte_emulator_factory(airbyte_version=version, connections=1)
    workspace_id = UNKNOWN
    if deleted:
        workspace_id = emu.workspace_ids[0]
        answer = await call(http, emu, "workspaces/delete", {"workspaceId": workspace_id})
        assert answer.status == 204
    answer = await call(http, emu, route, {"workspaceId": workspace_id})
    assert answer.status == 200, answer.text
    key = route.split("/")[0]
    expected = 1 if deleted and route == "connections/list_all" else 0
    assert len(answer.json[key]) == expected
