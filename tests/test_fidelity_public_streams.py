"""
Fidelity: the stream configurations a public ``POST /connections`` or ``PATCH
/connections/{id}`` takes, as airbytehq/airbyte-platform checks and maps them
(``airbyte-server/src/main/kotlin/io/airbyte/server/apis/publicapi/helpers/
AirbyteCatalogHelper.kt`` @6768a528: ``getValidConfiguredStreams``, ``validateStreamConfig``
and the helpers it calls, ``toAirbyteStreamConfiguration``). Every refusal is a 400
``BadRequestProblem``. See ``airbyte_async.testing._public_routes``.
"""

from __future__ import annotations

from typing import Any

import aiohttp
import emulator_support
import pytest
from emulator_support import Answer, call
from test_fidelity_cancels import public
from test_fidelity_public_schedules import BAD_REQUEST

from airbyte_async.testing import Emulator, pytest_plugin
from airbyte_async.testing._catalog import DESTINATION_DEFINITIONS, SOURCE_DEFINITIONS

pytestmark = pytest.mark.anyio

airbyte_emulator_factory = pytest_plugin.airbyte_emulator_factory
Factory = pytest_plugin.EmulatorFactory
http = emulator_support.http

DB = {"host": "db", "port": 5432, "database": "shop", "username": "u", "password": "p"}
CONFIGS: dict[str, dict[str, Any]] = {
    "Postgres": {**DB, "schema": "public"},
    "MySQL": DB,
    "Sample Data (Faker)": {"count": 10},
    "File (CSV, JSON, Excel, Feather, Parquet)": {
        "dataset_name": "rates",
        "format": "csv",
        "url": "https://example.com/rates.csv",
        "provider": {"storage": "HTTPS"},
    },
    "S3": {
        "s3_bucket_name": "b",
        "s3_bucket_path": "p",
        "s3_bucket_region": "eu-west-1",
        "format": {"format_type": "JSONL"},
    },
}
CUSTOMER_FIELDS = "[[id], [name], [email], [updated_at]]"
STREAM_PROPERTIES = "https://reference.airbyte.com/reference/getstreamproperties"


async def actor(http: aiohttp.ClientSession, emu: Emulator, kind: str, name: str) -> str:
    """A new source or destination of the definition called *name*; its id."""
    definitions = SOURCE_DEFINITIONS if kind == "source" else DESTINATION_DEFINITIONS
    (definition,) = [d for d in definitions if d.name == name]
    workspace = (await public(http, emu, "GET", "/workspaces")).json["data"][0]["workspaceId"]
    body = {
        "name": f"{kind}-{name}",
        "workspaceId": workspace,
        "definitionId": definition.definition_id,
        "configuration": CONFIGS[name],
    }
    answer = await public(http, emu, "POST", f"/{kind}s", body)
    assert answer.status == 200, answer.text
    return str(answer.json[f"{kind}Id"])


async def create(
    http: aiohttp.ClientSession,
    factory: Factory,
    streams: list[dict[str, Any]],
    *,
    source: str = "Postgres",
    destination: str = "Postgres",
) -> tuple[Emulator, Answer]:
    """``POST /connections`` from a new *source* to a new *destination* with *streams*."""
    emu = await factory(connections=0, airbyte_version="head")
    body = {
        "sourceId": await actor(http, emu, "source", source),
        "destinationId": await actor(http, emu, "destination", destination),
        "configurations": {"streams": streams},
    }
    return emu, await public(http, emu, "POST", "/connections", body)


def refused(answer: Answer, message: str) -> None:
    """*answer* is a 400 ``BadRequestProblem`` saying *message*."""
    assert answer.status == 400, answer.text
    assert answer.json == {**BAD_REQUEST, "data": {"message": message}}


async def stored(http: aiohttp.ClientSession, emu: Emulator, cid: str) -> dict[str, Any]:
    """The selected streams' configs, by name, as the Config API's ``connections/get`` reads."""
    body = (await call(http, emu, "connections/get", {"connectionId": cid})).json
    return {
        p["stream"]["name"]: p["config"]
        for p in body["syncCatalog"]["streams"]
        if p["config"]["selected"]
    }


async def test_an_incremental_mode_without_a_cursor_needs_a_default_one(
    airbyte_emulator_factory: Factory, http: aiohttp.ClientSession
) -> None:
    """
    An incremental mode without a cursor, on a stream whose source gives no default cursor,
    is refused: "No default cursor field for stream: <name>. Please include a cursor field
    configuration for this stream." (``validateCursorField``).
    """
    streams = [{"name": "customers", "syncMode": "incremental_append"}]
    _, answer = await create(http, airbyte_emulator_factory, streams)
    refused(
        answer,
        "No default cursor field for stream: customers. Please include a cursor field "
        "configuration for this stream.",
    )


async def test_a_cursor_other_than_the_source_defined_one_is_refused(
    airbyte_emulator_factory: Factory, http: aiohttp.ClientSession
) -> None:
    """
    A cursor other than the one the source defines is refused: "Cursor Field [<sent>] is
    already defined by source for stream: <name>. Do not include a cursor field configuration
    for this stream." (``validateCursorField``, ``sourceDefinedCursor`` branch).
    """
    streams = [{"name": "users", "syncMode": "incremental_append", "cursorField": ["created_at"]}]
    _, answer = await create(http, airbyte_emulator_factory, streams, source="Sample Data (Faker)")
    refused(
        answer,
        "Cursor Field [created_at] is already defined by source for stream: users. Do not "
        "include a cursor field configuration for this stream.",
    )


async def test_a_cursor_that_is_no_field_of_the_stream_is_refused(
    airbyte_emulator_factory: Factory, http: aiohttp.ClientSession
) -> None:
    """
    Where the source defines no cursor, one that is no field of the stream is refused, the
    message listing every field path: "Invalid cursor field for stream: <name>. The list of
    valid cursor fields include: [[id], ...]." (``validateCursorField``, ``getStreamFields``).
    """
    streams = [{"name": "customers", "syncMode": "incremental_append", "cursorField": ["nope"]}]
    _, answer = await create(http, airbyte_emulator_factory, streams)
    refused(
        answer,
        "Invalid cursor field for stream: customers. The list of valid cursor fields include: "
        f"{CUSTOMER_FIELDS}.",
    )


async def test_a_deduped_mode_needs_a_key_where_the_source_defines_none(
    airbyte_emulator_factory: Factory, http: aiohttp.ClientSession
) -> None:
    """
    ``incremental_deduped_history`` without a primary key, on a stream without a
    source-defined one, is refused: "No default primary key for stream: <name>. Please include
    a primary key configuration for this stream." (``validatePrimaryKey``).
    """
    streams = [
        {
            "name": "audit_log",
            "syncMode": "incremental_deduped_history",
            "cursorField": ["logged_at"],
        }
    ]
    _, answer = await create(http, airbyte_emulator_factory, streams, source="MySQL")
    refused(
        answer,
        "No default primary key for stream: audit_log. Please include a primary key "
        "configuration for this stream.",
    )


async def test_a_key_other_than_the_source_defined_one_is_refused(
    airbyte_emulator_factory: Factory, http: aiohttp.ClientSession
) -> None:
    """
    A primary key other than the source-defined one is refused: "Primary key for stream:
    <name> is already pre-defined. Please remove the primaryKey or provide the value as
    [[id]]." (``validatePrimaryKey``).
    """
    streams = [
        {
            "name": "customers",
            "syncMode": "incremental_deduped_history",
            "cursorField": ["updated_at"],
            "primaryKey": [["email"]],
        }
    ]
    _, answer = await create(http, airbyte_emulator_factory, streams)
    refused(
        answer,
        "Primary key for stream: customers is already pre-defined. Please remove the "
        "primaryKey or provide the value as [[id]].",
    )


async def test_a_key_that_is_no_field_of_the_stream_is_refused(
    airbyte_emulator_factory: Factory, http: aiohttp.ClientSession
) -> None:
    """
    Where the source defines no key, a key part that is no field of the stream is refused:
    "Invalid primary key for stream: <name>. The list of valid primary keys fields: [...]."
    (``validatePrimaryKey``).
    """
    streams = [
        {
            "name": "audit_log",
            "syncMode": "incremental_deduped_history",
            "cursorField": ["logged_at"],
            "primaryKey": [["id"]],
        }
    ]
    _, answer = await create(http, airbyte_emulator_factory, streams, source="MySQL")
    refused(
        answer,
        "Invalid primary key for stream: audit_log. The list of valid primary keys fields: "
        "[[event], [detail], [logged_at]].",
    )


@pytest.mark.parametrize(
    ("source", "destination", "stream", "mode", "valid"),
    [
        # S3 writes append and overwrite only.
        (
            "Postgres",
            "S3",
            "customers",
            "incremental_deduped_history",
            {"full_refresh_overwrite", "full_refresh_append", "incremental_append"},
        ),
        # A File source's stream reads in full refresh only.
        (
            "File (CSV, JSON, Excel, Feather, Parquet)",
            "Postgres",
            "rates",
            "incremental_append",
            {"full_refresh_overwrite", "full_refresh_append"},
        ),
    ],
)
async def test_a_mode_the_stream_or_the_destination_cannot_do_is_refused(
    airbyte_emulator_factory: Factory,
    http: aiohttp.ClientSession,
    source: str,
    destination: str,
    stream: str,
    mode: str,
    valid: set[str],
) -> None:
    """
    A mode outside the pairs of the stream's read modes and the destination's write modes is
    refused: "Cannot set sync mode to <mode> for stream <name>. Valid sync modes are: [...]"
    (``validateStreamConfig``, ``validCombinedSyncModes``). Airbyte prints that set from a
    ``HashSet``, in no fixed order, so only its members are compared.
    """
    streams = [{"name": stream, "syncMode": mode, "cursorField": ["id"]}]
    _, answer = await create(
        http, airbyte_emulator_factory, streams, source=source, destination=destination
    )
    assert answer.status == 400, answer.text
    message = answer.json["data"]["message"]
    head = f"Cannot set sync mode to {mode} for stream {stream}. Valid sync modes are: ["
    assert message.startswith(head) and message.endswith("]")
    assert set(message[len(head) : -1].split(", ")) == valid


@pytest.mark.parametrize(
    ("stream", "expected"),
    [
        # The mode is checked before the cursor: S3 cannot dedupe, and no cursor was sent.
        (
            {"name": "customers", "syncMode": "incremental_deduped_history"},
            "Cannot set sync mode to incremental_deduped_history for stream customers.",
        ),
        # The field selection is checked before the mode.
        (
            {
                "name": "customers",
                "syncMode": "incremental_deduped_history",
                "selectedFields": [{"fieldPath": ["nope"]}],
            },
            "Invalid fields selected for stream customers.",
        ),
    ],
)
async def test_the_checks_run_in_airbytes_order(
    airbyte_emulator_factory: Factory,
    http: aiohttp.ClientSession,
    stream: dict[str, Any],
    expected: str,
) -> None:
    """
    ``validateStreamConfig`` checks the field selection first, then the mode, then the cursor
    and the key: with several faults, the first of these is the one reported.
    """
    _, answer = await create(http, airbyte_emulator_factory, [stream], destination="S3")
    assert answer.status == 400, answer.text
    assert answer.json["data"]["message"].startswith(expected)


async def test_the_cursor_is_checked_before_the_key(
    airbyte_emulator_factory: Factory, http: aiohttp.ClientSession
) -> None:
    """
    In ``incremental_deduped_history`` a missing cursor is reported before a wrong key
    (``validateStreamConfig`` calls ``validateCursorField`` before ``validatePrimaryKey``).
    """
    streams = [
        {"name": "customers", "syncMode": "incremental_deduped_history", "primaryKey": [["x"]]}
    ]
    _, answer = await create(http, airbyte_emulator_factory, streams)
    assert answer.status == 400, answer.text
    assert answer.json["data"]["message"].startswith("No default cursor field for stream")


async def test_selected_fields_must_hold_the_key_in_a_deduped_mode(
    airbyte_emulator_factory: Factory, http: aiohttp.ClientSession
) -> None:
    """
    In a deduped mode the selected fields must include the key's (source-defined, else sent):
    "Primary key fields are not selected properly for stream: <name>. Please include primary
    key(s) in the configuration for this stream." (``validateFieldSelection``, step 3).
    """
    streams = [
        {
            "name": "customers",
            "syncMode": "incremental_deduped_history",
            "cursorField": ["updated_at"],
            "selectedFields": [{"fieldPath": ["name"]}, {"fieldPath": ["updated_at"]}],
        }
    ]
    _, answer = await create(http, airbyte_emulator_factory, streams)
    refused(
        answer,
        "Primary key fields are not selected properly for stream: customers. Please include "
        "primary key(s) in the configuration for this stream.",
    )


async def test_selected_fields_must_hold_the_cursor_in_an_incremental_mode(
    airbyte_emulator_factory: Factory, http: aiohttp.ClientSession
) -> None:
    """
    In an incremental mode the selected fields must include the cursor's: "Cursor field is not
    selected properly for stream: <name>. Please include the cursor field in selected fields
    for this stream." (``validateFieldSelection``, step 4).
    """
    streams = [
        {
            "name": "users",
            "syncMode": "incremental_append",
            "selectedFields": [{"fieldPath": ["id"]}, {"fieldPath": ["name"]}],
        }
    ]
    _, answer = await create(http, airbyte_emulator_factory, streams, source="Sample Data (Faker)")
    refused(
        answer,
        "Cursor field is not selected properly for stream: users. Please include the cursor "
        "field in selected fields for this stream.",
    )


async def test_full_refresh_keeps_the_discovered_cursor_and_key(
    airbyte_emulator_factory: Factory, http: aiohttp.ClientSession
) -> None:
    """
    In ``full_refresh_append`` (and ``full_refresh_overwrite``) a cursor and key sent are
    neither checked nor kept: the stream keeps the discovered ones
    (``validateStreamConfig`` checks no cursor or key for them; ``toAirbyteStreamConfiguration``
    copies the discovered stream's).
    """
    streams = [
        {
            "name": name,
            "syncMode": mode,
            "cursorField": ["nope"],
            "primaryKey": [["email"]],
        }
        for name, mode in (
            ("customers", "full_refresh_append"),
            ("orders", "full_refresh_overwrite"),
        )
    ]
    emu, answer = await create(http, airbyte_emulator_factory, streams, destination="S3")
    assert answer.status == 200, answer.text
    configs = await stored(http, emu, answer.json["connectionId"])
    for name in ("customers", "orders"):
        assert (configs[name]["cursorField"], configs[name]["primaryKey"]) == ([], [["id"]])


async def test_an_incremental_stream_stores_the_key_and_cursor_chosen(
    airbyte_emulator_factory: Factory, http: aiohttp.ClientSession
) -> None:
    """
    A deduped stream keeps the cursor sent where the source defines none and the
    source-defined key when none is sent; a source-defined cursor sent again as it is passes
    (``selectCursorField``, ``selectPrimaryKey``; ``validateCursorField`` compares as sets).
    """
    emu = await airbyte_emulator_factory(connections=0, airbyte_version="head")
    faker = await actor(http, emu, "source", "Sample Data (Faker)")
    postgres = await actor(http, emu, "source", "Postgres")
    destination = await actor(http, emu, "destination", "Postgres")
    wanted = {
        postgres: {
            "name": "customers",
            "syncMode": "incremental_deduped_history",
            "cursorField": ["updated_at"],
        },
        faker: {
            "name": "users",
            "syncMode": "incremental_deduped_history",
            "cursorField": ["updated_at"],
            "primaryKey": [["id"]],
        },
    }
    for source, stream in wanted.items():
        body = {
            "sourceId": source,
            "destinationId": destination,
            "configurations": {"streams": [stream]},
        }
        answer = await public(http, emu, "POST", "/connections", body)
        assert answer.status == 200, answer.text
        config = (await stored(http, emu, answer.json["connectionId"]))[stream["name"]]
        assert (config["syncMode"], config["destinationSyncMode"]) == (
            "incremental",
            "append_dedup",
        )
        assert (config["cursorField"], config["primaryKey"]) == (["updated_at"], [["id"]])


async def test_a_refused_patch_leaves_the_streams_as_they_were(
    airbyte_emulator_factory: Factory, http: aiohttp.ClientSession
) -> None:
    """
    ``PATCH /connections/{id}`` checks its streams as a create does (``patchConnection`` calls
    ``getValidConfiguredStreams``), and a refusal changes nothing.
    """
    first = [{"name": "customers", "syncMode": "full_refresh_append"}]
    emu, created = await create(http, airbyte_emulator_factory, first)
    cid = created.json["connectionId"]
    before = await stored(http, emu, cid)
    bad = {"name": "orders", "syncMode": "incremental_append"}
    answer = await public(
        http, emu, "PATCH", f"/connections/{cid}", {"configurations": {"streams": [bad]}}
    )
    refused(
        answer,
        "No default cursor field for stream: orders. Please include a cursor field "
        "configuration for this stream.",
    )
    assert await stored(http, emu, cid) == before


async def test_streams_are_checked_in_the_order_sent(
    airbyte_emulator_factory: Factory, http: aiohttp.ClientSession
) -> None:
    """
    Each stream is looked up and checked before the next, so an unknown stream sent after an
    invalid one is not the one reported; an unknown one is "No streams found with name
    [<name>] and namespace [null]. ..." (``getValidConfiguredStreams``,
    ``findAndValidateCatalogStreamAndConfiguration``).
    """
    streams = [{"name": "customers", "syncMode": "incremental_append"}, {"name": "nope"}]
    _, answer = await create(http, airbyte_emulator_factory, streams)
    assert answer.json["data"]["message"].startswith("No default cursor field for stream")
    _, answer = await create(http, airbyte_emulator_factory, streams[::-1])
    refused(
        answer,
        f"No streams found with name [nope] and namespace [null]. Please call the "
        f"{STREAM_PROPERTIES} endpoint to see the valid stream name and namespace combinations.",
    )


async def test_a_stream_sent_twice_is_refused(
    airbyte_emulator_factory: Factory, http: aiohttp.ClientSession
) -> None:
    """
    A stream named twice is refused once its second entry is checked: "Duplicate stream found
    in configuration for stream name [<name>] in namespace [null]."
    (``getValidConfiguredStreams``).
    """
    streams = [{"name": "customers"}, {"name": "customers", "syncMode": "full_refresh_append"}]
    _, answer = await create(http, airbyte_emulator_factory, streams)
    refused(
        answer,
        "Duplicate stream found in configuration for stream name [customers] in namespace [null].",
    )


@pytest.mark.parametrize(
    ("destination", "modes"),
    [
        (None, None),
        ("S3", ["full_refresh_append", "full_refresh_overwrite", "incremental_append"]),
        (
            "Postgres",
            [
                "full_refresh_append",
                "full_refresh_overwrite",
                "incremental_append",
                "incremental_deduped_history",
            ],
        ),
    ],
)
async def test_stream_properties_name_sync_modes_only_for_a_destination(
    airbyte_emulator_factory: Factory,
    http: aiohttp.ClientSession,
    destination: str | None,
    modes: list[str] | None,
) -> None:
    """
    ``GET /streams`` names the sync modes only when asked with a ``destinationId``: the
    stream's read modes paired with the destination's write modes, four pairs at most (S3 has
    no append_dedup); without one, none (``StreamsController.getValidSyncModes`` returns null
    for no destination modes).
    """
    emu = await airbyte_emulator_factory(connections=0, airbyte_version="head")
    query = f"?sourceId={await actor(http, emu, 'source', 'Postgres')}"
    if destination is not None:
        query += f"&destinationId={await actor(http, emu, 'destination', destination)}"
    answer = await public(http, emu, "GET", f"/streams{query}")

    assert answer.status == 200, answer.text
    customers = next(s for s in answer.json if s["streamName"] == "customers")
    assert customers.get("syncModes") == modes


async def test_stream_properties_name_fields_cursors_and_keys(
    airbyte_emulator_factory: Factory, http: aiohttp.ClientSession
) -> None:
    """
    ``GET /streams`` answers, per stream, every field path of its JSON schema
    (``propertyFields``), whether the source defines the cursor, its default cursor and its
    source-defined primary key (public-api-head.yaml ``StreamProperties``;
    ``StreamsController.getStreamProperties`` and ``getStreamFields``).
    """
    emu = await airbyte_emulator_factory(connections=0, airbyte_version="head")
    query = f"?sourceId={await actor(http, emu, 'source', 'Sample Data (Faker)')}"
    answer = await public(http, emu, "GET", f"/streams{query}")

    assert answer.status == 200, answer.text
    users = next(s for s in answer.json if s["streamName"] == "users")
    assert users["propertyFields"] == [["id"], ["created_at"], ["updated_at"], ["name"], ["email"]]
    assert users["sourceDefinedCursorField"] is True
    assert users["defaultCursorField"] == ["updated_at"]
    assert users["sourceDefinedPrimaryKey"] == [["id"]]
