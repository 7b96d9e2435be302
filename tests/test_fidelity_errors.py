"""
Fidelity: error statuses and bodies per version (API-FACTS 6.1, 6.2, 6.3; section 4; 2.3).

0.40 and 0.50 send ``{message, exceptionClassName, exceptionStack, ...}``; head (v2.0.0+) sends
``{errorId}`` alone, or ``{message, errorId}`` for a KnownException, never a stack.
"""

from __future__ import annotations

from typing import Any

import aiohttp
import emulator_support
import pytest
from emulator_support import call, only_actor, sync

from airbyte_async.testing import Emulator, pytest_plugin
from airbyte_async.testing._catalog import DESTINATION_DEFINITIONS, SOURCE_DEFINITIONS
from airbyte_async.testing._versions import since

pytestmark = pytest.mark.anyio

airbyte_emulator_factory = pytest_plugin.airbyte_emulator_factory
Factory = pytest_plugin.EmulatorFactory
http = emulator_support.http

VERSIONS = pytest.mark.parametrize("version", ["0.40", "0.50", "1.7", "2.0", "head"])
UNKNOWN = "11111111-1111-4111-8111-111111111111"


def assert_body(version: str, body: Any, exception_class: str, *, known: bool) -> None:
    """The version's error shape: 0.x with the Java class and a stack, head without either."""
    if since(version, "2.0"):
        assert set(body) == ({"message", "errorId"} if known else {"errorId"})
    else:
        assert body["exceptionClassName"].endswith(exception_class)
        assert body["exceptionStack"]
        assert "errorId" not in body


# -- 400 versus 422 ---------------------------------------------------------------------------


@VERSIONS
@pytest.mark.parametrize(
    ("route", "body", "path"),
    [
        ("jobs/get", {}, "$.id"),
        ("connections/sync", {}, "$.connectionId"),
        ("connections/create", {"sourceId": UNKNOWN, "destinationId": UNKNOWN}, "$.status"),
    ],
)
async def test_a_body_without_a_required_field_is_a_400(
    airbyte_emulator_factory: Factory,
    http: aiohttp.ClientSession,
    version: str,
    route: str,
    body: dict[str, Any],
    path: str,
) -> None:
    """
    A body missing a required field fails bean validation: 400, not 422 (API-FACTS 6.2:
    InvalidInputExceptionHandler, InvalidInputExceptionMapper on 0.40). 0.x bodies are
    InvalidInputExceptionInfo with validationErrors; head's are {errorId}.
    """
    emu = await airbyte_emulator_factory(airbyte_version=version)
    answer = await call(http, emu, route, body)
    assert answer.status == 400
    assert_body(version, answer.json, "ConstraintViolationException", known=False)
    if not since(version, "2.0"):
        assert answer.json["message"] == "Some properties contained invalid input."
        [error] = answer.json["validationErrors"]
        assert error["propertyPath"] == path
        assert error["message"] == "must not be null"


@pytest.mark.parametrize("version", ["0.50", "1.7", "2.0", "head"])
async def test_jobs_list_without_config_types_is_a_400(
    airbyte_emulator_factory: Factory, http: aiohttp.ClientSession, version: str
) -> None:
    """jobs/list without configTypes is refused before the handler: 400 (API-FACTS 6.2, 4)."""
    emu = await airbyte_emulator_factory(airbyte_version=version, connections=1)
    answer = await call(http, emu, "jobs/list", {"configId": emu.connection_ids[0]})
    assert answer.status == 400


async def test_jobs_list_on_0_40_needs_a_config_id(
    airbyte_emulator_factory: Factory, http: aiohttp.ClientSession
) -> None:
    """On 0.40 JobListRequestBody also requires configId: without it, 400 (API-FACTS 4, 8)."""
    emu = await airbyte_emulator_factory(airbyte_version="0.40")
    answer = await call(http, emu, "jobs/list", {"configTypes": ["sync"]})
    assert answer.status == 400
    assert answer.json["validationErrors"][0]["propertyPath"] == "$.configId"


@VERSIONS
async def test_jobs_list_with_empty_config_types_is_a_500(
    airbyte_emulator_factory: Factory, http: aiohttp.ClientSession, version: str
) -> None:
    """An empty configTypes passes validation and fails the handler's check(): 500 (4)."""
    emu = await airbyte_emulator_factory(airbyte_version=version, connections=1)
    body = {"configTypes": [], "configId": emu.connection_ids[0]}
    answer = await call(http, emu, "jobs/list", body)
    assert answer.status == 500


@VERSIONS
@pytest.mark.parametrize(
    ("route", "body"),
    [
        ("jobs/get", {"id": "seven"}),
        ("connections/get", {"connectionId": "not-a-uuid"}),
        ("jobs/list", {"configTypes": ["nope"], "configId": UNKNOWN}),
    ],
)
async def test_a_body_of_the_wrong_types_is_a_422(
    airbyte_emulator_factory: Factory,
    http: aiohttp.ClientSession,
    version: str,
    route: str,
    body: dict[str, Any],
) -> None:
    """
    A value Jackson cannot map (a string for an int64, a bad UUID, an unknown enum value) is a
    422 (API-FACTS 6.2: InvalidJsonInputExceptionHandler), without validationErrors.
    """
    emu = await airbyte_emulator_factory(airbyte_version=version)
    answer = await call(http, emu, route, body)
    assert answer.status == 422
    assert_body(version, answer.json, "MismatchedInputException", known=False)
    if not since(version, "2.0"):
        assert answer.json["message"].startswith("Invalid json input.")
        assert "validationErrors" not in answer.json


@VERSIONS
async def test_a_wrong_type_wins_over_a_missing_field(
    airbyte_emulator_factory: Factory, http: aiohttp.ClientSession, version: str
) -> None:
    """Jackson maps the body before it is validated: a type error is a 422 even with a
    required field missing (API-FACTS 6.2)."""
    emu = await airbyte_emulator_factory(airbyte_version=version)
    answer = await call(http, emu, "connections/create", {"sourceId": 7, "status": "active"})
    assert answer.status == 422


@VERSIONS
async def test_a_body_that_is_not_json_is_a_422(
    airbyte_emulator_factory: Factory, http: aiohttp.ClientSession, version: str
) -> None:
    """Malformed JSON is a 422 (API-FACTS 6.2: InvalidJsonExceptionHandler)."""
    emu = await airbyte_emulator_factory(airbyte_version=version)
    async with http.post(emu.api_url + "/jobs/get", data=b"{oops") as response:
        status, body = response.status, await response.json()
    assert status == 422
    assert_body(version, body, "JsonParseException", known=False)
    if not since(version, "2.0"):
        assert body["message"].startswith("Invalid json.")


# -- the other statuses a client meets --------------------------------------------------------


@pytest.mark.parametrize(
    ("version", "route"),
    [
        ("0.40", "connections/sync_progress"),
        ("0.50", "no/such_route"),
        ("1.7", "workspaces/list"),
        ("head", "workspaces/list"),
    ],
)
async def test_a_route_the_version_lacks_is_the_not_found_controllers_404(
    airbyte_emulator_factory: Factory, http: aiohttp.ClientSession, version: str, route: str
) -> None:
    """
    A path no controller serves gets NotFoundController's global 404: the bare text "Object not
    found." labelled application/json, no object body (airbytehq/airbyte
    airbyte-server/src/main/java/io/airbyte/server/apis/NotFoundController.java, 0.40 line;
    airbyte-platform HEAD airbyte-server/.../apis/controllers/NotFoundController.kt).
    """
    emu = await airbyte_emulator_factory(airbyte_version=version)
    answer = await call(http, emu, route, {"connectionId": UNKNOWN})
    assert answer.status == 404
    assert answer.headers["Content-Type"].startswith("application/json")
    assert answer.text == "Object not found."


@VERSIONS
async def test_an_unknown_connection_is_a_404(
    airbyte_emulator_factory: Factory, http: aiohttp.ClientSession, version: str
) -> None:
    """
    ConfigNotFoundException → 404 "Could not find configuration for STANDARD_SYNC: <id>." on
    0.50; 0.40's IdNotFoundExceptionMapper prefixes "Internal Server Error: "; head sends
    {errorId} (API-FACTS 6.2).
    """
    emu = await airbyte_emulator_factory(airbyte_version=version)
    answer = await call(http, emu, "connections/get", {"connectionId": UNKNOWN})
    assert answer.status == 404
    assert_body(version, answer.json, "IdNotFoundKnownException", known=False)
    expected = f"Could not find configuration for STANDARD_SYNC: {UNKNOWN}."
    if version == "0.40":
        assert answer.json["message"] == "Internal Server Error: " + expected
    elif version == "0.50":
        assert answer.json["message"] == expected


@VERSIONS
async def test_an_unknown_job_is_a_500(
    airbyte_emulator_factory: Factory, http: aiohttp.ClientSession, version: str
) -> None:
    """jobs/get for a job that does not exist: an unmapped RuntimeException, 500 (6.2)."""
    emu = await airbyte_emulator_factory(airbyte_version=version)
    answer = await call(http, emu, "jobs/get", {"id": 4242})
    assert answer.status == 500
    assert_body(version, answer.json, "RuntimeException", known=False)
    if not since(version, "2.0"):
        assert "Could not find job with id: 4242" in answer.json["message"]


@VERSIONS
async def test_a_sync_already_running_is_a_409_with_the_known_message(
    airbyte_emulator_factory: Factory, http: aiohttp.ClientSession, version: str
) -> None:
    """
    A second sync while one runs: ValueConflictKnownException, 409, "A sync is already running
    for: <id>", on head as {message, errorId} (API-FACTS 6.3).
    """
    emu = await airbyte_emulator_factory(
        airbyte_version=version, connections=1, sync_duration=(30, 30)
    )
    cid = emu.connection_ids[0]
    await sync(http, emu, cid)
    answer = await call(http, emu, "connections/sync", {"connectionId": cid})
    assert answer.status == 409
    assert_body(version, answer.json, "ValueConflictKnownException", known=True)
    assert answer.json["message"] == f"A sync is already running for: {cid}"


@VERSIONS
async def test_syncing_an_inactive_connection_is_a_500(
    airbyte_emulator_factory: Factory, http: aiohttp.ClientSession, version: str
) -> None:
    """check(sync.status == ACTIVE) fails: IllegalStateException, 500, no job (6.2)."""
    emu = await airbyte_emulator_factory(airbyte_version=version, connections=1)
    cid = emu.connection_ids[0]
    await call(http, emu, "connections/update", {"connectionId": cid, "status": "inactive"})
    answer = await call(http, emu, "connections/sync", {"connectionId": cid})
    assert answer.status == 500
    assert_body(version, answer.json, "IllegalStateException", known=False)
    assert emu.stats().jobs_created == 0


# -- connector configuration against the definition's spec -----------------------------------


def _source(emu: Emulator, config: dict[str, Any]) -> dict[str, Any]:
    return {
        "workspaceId": emu.workspace_ids[0],
        "name": "pg",
        "sourceDefinitionId": SOURCE_DEFINITIONS[0].definition_id,
        "connectionConfiguration": config,
    }


def assert_spec_refusal(version: str, answer: emulator_support.Answer) -> None:
    """ApiHelper turns JsonValidationException into BadObjectSchemaKnownException: 422."""
    assert answer.status == 422
    assert_body(version, answer.json, "BadObjectSchemaKnownException", known=True)
    assert answer.json["message"].startswith(
        "The provided configuration does not fulfill the specification. Errors: "
    )


@VERSIONS
async def test_a_source_whose_configuration_misses_the_spec_is_a_422(
    airbyte_emulator_factory: Factory, http: aiohttp.ClientSession, version: str
) -> None:
    """
    sources/create validates connectionConfiguration against the definition's
    connectionSpecification: 422 "The provided configuration does not fulfill the
    specification. Errors: ..." (API-FACTS 2.3; ApiHelper.execute, SourceHandler.validateSource),
    and no source is created.
    """
    emu = await airbyte_emulator_factory(airbyte_version=version)
    answer = await call(http, emu, "sources/create", _source(emu, {"host": "db", "port": 5432}))
    assert_spec_refusal(version, answer)
    listed = await call(http, emu, "sources/list", {"workspaceId": emu.workspace_ids[0]})
    assert listed.json["sources"] == []


@VERSIONS
async def test_an_update_that_breaks_the_spec_is_a_422_and_changes_nothing(
    airbyte_emulator_factory: Factory, http: aiohttp.ClientSession, version: str
) -> None:
    """sources/update is validated as create is (2.3); the stored source stays as it was."""
    emu = await airbyte_emulator_factory(airbyte_version=version, connections=1)
    source = await only_actor(http, emu, "source")
    body = {"sourceId": source["sourceId"], "name": "renamed", "connectionConfiguration": {}}
    assert_spec_refusal(version, await call(http, emu, "sources/update", body))
    again = await call(http, emu, "sources/get", {"sourceId": source["sourceId"]})
    assert again.json["name"] == source["name"]


@VERSIONS
async def test_a_destination_of_the_wrong_types_is_a_422(
    airbyte_emulator_factory: Factory, http: aiohttp.ClientSession, version: str
) -> None:
    """destinations/create checks JSON types against the spec too (2.4, 9f)."""
    emu = await airbyte_emulator_factory(airbyte_version=version)
    body = {
        "workspaceId": emu.workspace_ids[0],
        "name": "s3",
        "destinationDefinitionId": DESTINATION_DEFINITIONS[0].definition_id,
        "connectionConfiguration": {"s3_bucket_name": 5, "s3_bucket_path": "p"},
    }
    assert_spec_refusal(version, await call(http, emu, "destinations/create", body))


PG_OK = {"host": "db", "port": 5432, "database": "shop", "username": "reader"}
S3_OK = {
    "s3_bucket_name": "lake",
    "s3_bucket_path": "shop",
    "s3_bucket_region": "us-east-1",
    "format": {"format_type": "Parquet"},
}


def _destination(emu: Emulator, config: dict[str, Any]) -> dict[str, Any]:
    return {
        "workspaceId": emu.workspace_ids[0],
        "name": "s3",
        "destinationDefinitionId": DESTINATION_DEFINITIONS[0].definition_id,
        "connectionConfiguration": config,
    }


#: Configurations the real connectors' spec.json refuse below the top level, and the error the
#: server's validator (networknt, JsonSchemaValidator.ensure) gives for each.
NESTED_FAULTS = [
    pytest.param(
        "source",
        {**PG_OK, "ssl_mode": {"mode": "verify-ca"}},
        "$.ssl_mode: required property 'ca_certificate' not found",
        id="oneOf option's required field (source-postgres ssl_mode)",
    ),
    pytest.param(
        "source",
        {**PG_OK, "ssl_mode": {"mode": "verify_ca", "ca_certificate": "-----BEGIN"}},
        "$.ssl_mode: must be valid to one and only one schema, but 0 are valid",
        id="no oneOf option (source-postgres ssl_mode)",
    ),
    pytest.param(
        "source",
        {**PG_OK, "replication_method": {"method": "CDC", "replication_slot": "slot"}},
        "$.replication_method: required property 'publication' not found",
        id="CDC without a publication (source-postgres replication_method)",
    ),
    pytest.param(
        "source",
        {**PG_OK, "schemas": ["public", 5]},
        "$.schemas[1]: integer found, string expected",
        id="array item type (source-postgres schemas)",
    ),
    pytest.param(
        "source",
        {**PG_OK, "port": 70000},
        "$.port: must have a maximum value of 65536",
        id="maximum (source-postgres port)",
    ),
    pytest.param(
        "destination",
        {
            **S3_OK,
            "format": {
                "format_type": "Avro",
                "compression_codec": {"codec": "zstandard", "compression_level": 30},
            },
        },
        "$.format.compression_codec.compression_level: must have a maximum value of 22",
        id="maximum inside nested options (destination-s3 Avro zstandard)",
    ),
    pytest.param(
        "destination",
        {**S3_OK, "s3_bucket_region": "us-east-7"},
        "$.s3_bucket_region: does not have a value in the enumeration [, us-east-1,",
        id="enum (destination-s3 s3_bucket_region)",
    ),
    pytest.param(
        "destination",
        {**S3_OK, "format": {"format_type": "CSV"}},
        "$.format: required property 'flattening' not found",
        id="CSV without flattening (destination-s3 format)",
    ),
    pytest.param(
        "destination",
        {**S3_OK, "format": {"format_type": "Parquet", "block_size_mb": "128"}},
        "$.format.block_size_mb: string found, integer expected",
        id="type inside an option (destination-s3 Parquet)",
    ),
]


@pytest.mark.parametrize(("kind", "config", "error"), NESTED_FAULTS)
async def test_a_configuration_wrong_below_the_top_level_is_a_422(
    airbyte_emulator_factory: Factory,
    http: aiohttp.ClientSession,
    kind: str,
    config: dict[str, Any],
    error: str,
) -> None:
    """
    The server validates the whole configuration against the connectionSpecification (JSON
    schema draft 7: nested objects, list items, enums, oneOf options; API-FACTS 2.3, 6.2;
    airbyte-platform JsonSchemaValidator.ensure): 422 naming the path, and nothing created.
    """
    emu = await airbyte_emulator_factory()
    body = _source(emu, config) if kind == "source" else _destination(emu, config)
    answer = await call(http, emu, f"{kind}s/create", body)
    assert_spec_refusal("0.50", answer)
    assert error in answer.json["message"]
    listed = await call(http, emu, f"{kind}s/list", {"workspaceId": emu.workspace_ids[0]})
    assert listed.json[f"{kind}s"] == []


@pytest.mark.parametrize(
    ("kind", "config"),
    [
        ("source", {**PG_OK, "ssl_mode": {"mode": "verify-full", "ca_certificate": "-----"}}),
        ("source", {**PG_OK, "replication_method": {"method": "Standard"}, "extra": 1}),
        (
            "destination",
            {**S3_OK, "format": {"format_type": "Avro", "compression_codec": {"codec": "snappy"}}},
        ),
        ("destination", {**S3_OK, "format": {"format_type": "CSV", "flattening": "No flattening"}}),
    ],
)
async def test_a_configuration_that_fits_one_option_is_accepted(
    airbyte_emulator_factory: Factory,
    http: aiohttp.ClientSession,
    kind: str,
    config: dict[str, Any],
) -> None:
    """A value fitting exactly one oneOf option, and keys the spec does not name, pass."""
    emu = await airbyte_emulator_factory()
    body = _source(emu, config) if kind == "source" else _destination(emu, config)
    answer = await call(http, emu, f"{kind}s/create", body)
    assert answer.status == 200, answer.text


STRIPE = next(d for d in SOURCE_DEFINITIONS if d.name == "Stripe")
STRIPE_OK = {
    "account_id": "acct_1",
    "client_secret": "sk_live_1",
    "start_date": "2017-01-25T00:00:00Z",
}


def _stripe(emu: Emulator, config: dict[str, Any]) -> dict[str, Any]:
    return {**_source(emu, config), "sourceDefinitionId": STRIPE.definition_id}


@pytest.mark.parametrize(
    ("config", "error"),
    [
        pytest.param(
            {**STRIPE_OK, "start_date": "2017-01-25"},
            "$.start_date: does not match the regex pattern ^[0-9]{4}-[0-9]{2}-[0-9]{2}T",
            id="pattern (source-stripe start_date; networknt PatternValidator, Matcher.find)",
        ),
        pytest.param(
            {**STRIPE_OK, "start_date": "2017-02-30T00:00:00Z"},
            "$.start_date: does not match the date-time pattern must be a valid RFC 3339 date-time",
            id="format (source-stripe start_date is a date-time; networknt DateTimeValidator)",
        ),
        pytest.param(
            {**PG_OK, "schemas": ["public", "sales", "public"]},
            "$.schemas: must have only unique items in the array",
            id="uniqueItems (source-postgres schemas; networknt UniqueItemsValidator)",
        ),
    ],
)
async def test_a_configuration_breaking_a_string_or_list_keyword_is_a_422(
    airbyte_emulator_factory: Factory,
    http: aiohttp.ClientSession,
    config: dict[str, Any],
    error: str,
) -> None:
    """
    The server's validator (networknt 1.4.0 under draft 7, airbyte-platform
    JsonSchemaValidator.ensure; API-FACTS 2.3, 6.2) refuses by pattern, format and uniqueItems
    as by type: source-stripe's spec.yaml (commit 087613b) sets start_date's pattern and
    ``format: date-time`` (asserted under draft 7: networknt BaseFormatJsonValidator),
    source-postgres's spec.json (commit 035bb71) makes schemas uniqueItems. 422, nothing
    created.
    """
    emu = await airbyte_emulator_factory()
    body = _stripe(emu, config) if "account_id" in config else _source(emu, config)
    answer = await call(http, emu, "sources/create", body)
    assert_spec_refusal("0.50", answer)
    assert error in answer.json["message"]
    listed = await call(http, emu, "sources/list", {"workspaceId": emu.workspace_ids[0]})
    assert listed.json["sources"] == []


async def test_a_stripe_source_fitting_its_pattern_is_created(
    airbyte_emulator_factory: Factory, http: aiohttp.ClientSession
) -> None:
    """A start_date the pattern finds, and an empty schemas list (minItems 0), pass."""
    emu = await airbyte_emulator_factory()
    for body in (_stripe(emu, STRIPE_OK), _source(emu, {**PG_OK, "schemas": []})):
        answer = await call(http, emu, "sources/create", body)
        assert answer.status == 200, answer.text


async def test_a_nested_refusal_never_shows_the_value(
    airbyte_emulator_factory: Factory, http: aiohttp.ClientSession
) -> None:
    """The 422 names paths, types and the spec's values, never a secret's value."""
    emu = await airbyte_emulator_factory()
    config = {**PG_OK, "ssl_mode": {"mode": "verify-ca", "ca_certificate": ["secret-pem"]}}
    answer = await call(http, emu, "sources/create", _source(emu, config))
    assert "$.ssl_mode.ca_certificate: array found, string expected" in answer.json["message"]
    assert "secret-pem" not in answer.text


@pytest.mark.parametrize("version", ["0.50", "1.7", "2.0", "head"])
async def test_a_partial_update_is_checked_after_the_merge(
    airbyte_emulator_factory: Factory, http: aiohttp.ClientSession, version: str
) -> None:
    """sources/partial_update validates the merged configuration (2.3): a wrong type is 422."""
    emu = await airbyte_emulator_factory(airbyte_version=version, connections=1)
    source = await only_actor(http, emu, "source")
    body = {"sourceId": source["sourceId"], "connectionConfiguration": {"port": "5432"}}
    assert_spec_refusal(version, await call(http, emu, "sources/partial_update", body))
