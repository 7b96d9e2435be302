"""The wire format: payloads of each server version in, models out, and minimal bodies back."""

from __future__ import annotations

import copy
import json
import logging
import pickle
from datetime import UTC, date, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import cattrs
import pytest

from airbyte_async import _serde
from airbyte_async._serde import structure, unstructure, wire_name
from airbyte_async.errors import ResponseValidationError
from airbyte_async.models import (
    Attempt,
    AttemptStatus,
    BasicSchedule,
    Catalog,
    CheckResult,
    Connection,
    ConnectionStatus,
    CronSchedule,
    DestinationDefinition,
    DestinationSyncMode,
    DiscoveredSchema,
    FailureOrigin,
    FailureType,
    Health,
    Job,
    JobPage,
    JobStatus,
    JobType,
    NamespaceDefinition,
    Schedule,
    ScheduleData,
    ScheduleType,
    Source,
    SourceDefinition,
    Stream,
    SupportLevel,
    SyncMode,
    SyncProgress,
    TimeUnit,
    Workspace,
)
from airbyte_async.models import _wire as w
from airbyte_async.models._common import IsoDateTime
from airbyte_async.resources.jobs import _change

#: Ids in the form the client checks for (every Airbyte id is a UUID).
W = "00000000-0000-4000-8000-00000000000a"
X = "00000000-0000-4000-8000-00000000000b"
S = "00000000-0000-4000-8000-00000000000c"
D = "00000000-0000-4000-8000-00000000000d"
C = "00000000-0000-4000-8000-00000000000e"
ORG = "00000000-0000-4000-8000-00000000000f"


PAYLOADS = Path(__file__).parent / "payloads"


def payload(name: str) -> Any:
    """A fresh copy of a saved payload."""
    return json.loads((PAYLOADS / f"{name}.json").read_text())


def at(seconds: int) -> datetime:
    """Epoch seconds as the aware datetime the models hold."""
    return datetime.fromtimestamp(seconds, UTC)


# -- jobs ---------------------------------------------------------------------------------------


def test_job_0_40_reads_info_shape_without_aggregated_stats() -> None:
    """A 0.40 jobs/get answer: job fields, both attempts with logs, no aggregated stats."""
    job = structure(payload("job_get_0_40"), Job, route="jobs/get")

    assert (job.id, job.job_type, job.status) == (41, JobType.SYNC, JobStatus.FAILED)
    assert job.config_id == job.connection_id == "8c2b1f6e-3a0d-4f5e-9b7a-0d1e2f3a4b5c"
    assert job.aggregated_stats is None
    assert [a.id for a in job.attempts] == [0, 1]
    assert job.attempts[0].logs is not None
    assert job.attempts[0].logs.lines == (
        "2023-01-29 13:46:50 INFO starting",
        "2023-01-29 13:53:20 ERROR timeout",
    )


def test_job_0_40_counts_fall_back_to_synced_then_emitted() -> None:
    """Without aggregatedStats or committed counts: recordsSynced per attempt, summed; bytes too."""
    job = structure(payload("job_get_0_40"), Job)

    assert job.records_synced == 120 + 30
    assert job.bytes_synced == 4096


def test_job_bytes_fall_back_to_emitted_when_nothing_else_says() -> None:
    """An attempt with only totalStats.bytesEmitted counts those bytes."""
    data = payload("job_get_0_40")
    del data["attempts"][0]["attempt"]["bytesSynced"]

    assert structure(data, Job).bytes_synced == 5000


def test_job_counts_are_none_when_no_attempt_reports_any() -> None:
    """A job whose attempts carry no counters reports None, not zero."""
    job = structure({"job": payload("job_get_0_40")["job"]}, Job)

    assert job.records_synced is None
    assert job.bytes_synced is None


def test_job_failure_reason_comes_from_the_last_failed_attempt() -> None:
    """The last attempt's first failure, external message first, with origin and type."""
    job = structure(payload("job_get_0_40"), Job)

    assert job.failure is not None
    assert job.failure.failure_origin is FailureOrigin.SOURCE
    assert job.failure.failure_type is FailureType.CONFIG_ERROR
    assert job.failure_reason == "source/config_error: Invalid credentials for user airbyte"


def test_job_failure_reason_uses_internal_message_without_an_external_one() -> None:
    """A failure with only an internal message still explains itself."""
    data = payload("job_get_0_40")
    del data["attempts"][1]

    assert structure(data, Job).failure_reason == (
        "destination/system_error: java.net.SocketTimeoutException"
    )


def test_job_ended_at_is_the_last_attempts_end_once_final() -> None:
    """A final job ended when its last attempt did."""
    assert structure(payload("job_get_0_40"), Job).ended_at == at(1675000900)


def test_job_list_element_0_50_reads_bare_attempts_and_aggregated_stats() -> None:
    """jobs/list elements: attempts are bare AttemptRead; aggregatedStats wins for counts."""
    page = structure(payload("job_list_0_50"), JobPage, route="jobs/list")

    assert page.total_count == 7
    first, second = page.jobs
    assert first.records_synced == 1990
    assert first.bytes_synced == 63500
    assert first.attempts[0].status is AttemptStatus.SUCCEEDED
    assert first.attempts[0].logs is None
    assert first.stream_aggregated_stats[0].records_committed == 1490
    assert [s.name for s in first.enabled_streams] == ["users", "orders"]
    assert first.failure_reason is None
    assert second.status is JobStatus.CANCELLED
    assert second.attempts == ()
    assert second.ended_at == at(1708800100)


def test_job_head_reads_queued_and_structured_log_events() -> None:
    """Head: the queued status, refresh jobs, structured events with logType beside them."""
    job = structure(payload("job_get_head"), Job)

    assert job.status is JobStatus.QUEUED
    assert not job.status.is_terminal
    assert job.job_type is JobType.REFRESH
    assert job.connection_id == job.config_id
    assert job.ended_at is None
    logs = job.attempts[0].logs
    assert logs is not None
    assert logs.log_type == "structured"
    assert [e.message for e in logs.events] == ["Starting replication", "Reading stream users"]
    assert (
        logs.lines[0] == "2026-08-17 20:53:21 INFO replication-orchestrator: Starting replication"
    )
    assert job.records_synced == 8
    assert job.attempts[0].total_stats is not None
    assert job.attempts[0].total_stats.records_rejected == 2


def test_job_light_has_no_attempts() -> None:
    """jobs/get_light answers {job} only."""
    job = structure({"job": payload("job_get_head")["job"]}, Job, route="jobs/get_light")

    assert job.id == 90210
    assert job.attempts == ()


def test_check_job_has_no_connection_id() -> None:
    """config_id of a check job names a source, not a connection."""
    data = {"job": {**payload("job_get_head")["job"], "configType": "check_connection_source"}}

    assert structure(data, Job).connection_id is None


@pytest.mark.parametrize(
    ("status", "terminal"),
    [
        ("pending", False),
        ("queued", False),
        ("running", False),
        ("incomplete", False),
        ("failed", True),
        ("succeeded", True),
        ("cancelled", True),
        ("some_future_value", False),
    ],
)
def test_job_status_is_terminal(status: str, terminal: bool) -> None:
    """Only failed, succeeded and cancelled are final; unknown values are not."""
    assert JobStatus(status).is_terminal is terminal


# -- enums, unknown keys, times -----------------------------------------------------------------


def test_unknown_enum_values_are_kept() -> None:
    """A status this library does not know is kept as it came, compares equal to it."""
    data = payload("job_get_head")
    data["job"]["status"] = "paused_for_maintenance"
    data["job"]["configType"] = "replicate_everything"

    job = structure(data, Job)

    assert job.status == "paused_for_maintenance"
    assert not job.status.is_known
    assert job.status.name == "UNKNOWN"
    assert not job.status.is_terminal
    assert job.job_type == "replicate_everything"
    assert job.connection_id is None


def test_an_unknown_job_status_is_told_once_however_it_is_read(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    """A job status this library does not know is waited on as not final: a WARNING says so,
    once per value, whether a full job or a poll's light listing brought it."""
    monkeypatch.setattr(_serde, "_UNKNOWN_STATUSES_TOLD", set())
    caplog.set_level(logging.WARNING, logger="airbyte_async")
    data = payload("job_get_head")
    data["job"]["status"] = "paused_for_maintenance"

    structure(data, Job)
    structure(data, Job)
    change = _change(data, "jobs/list_for_workspaces")
    data["job"]["status"] = "succeeded"
    structure(data, Job)

    told = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert change.status == "paused_for_maintenance" and not change.status.is_terminal
    assert len(told) == 1, told
    assert "job status 'paused_for_maintenance'" in told[0]
    assert "taken as not final" in told[0]


def test_unknown_enum_values_round_trip() -> None:
    """An unknown value goes back to the server exactly as it came."""
    stream = {
        "stream": {"name": "s"},
        "config": {"syncMode": "cdc_magic", "destinationSyncMode": "x"},
    }

    catalog = structure({"streams": [stream]}, Catalog)

    assert unstructure(catalog) == {"streams": [stream]}


def test_unknown_keys_are_ignored() -> None:
    """Keys the models do not know, at any depth, are skipped."""
    data = payload("job_get_head")
    data["brandNewTopLevel"] = {"x": 1}
    data["job"]["someNewField"] = [1, 2]
    data["attempts"][0]["attempt"]["totalStats"]["fancyCounter"] = 5

    assert structure(data, Job) == structure(payload("job_get_head"), Job)


@pytest.mark.parametrize("attempt_status", ["succeeded", "some_new_status"])
def test_a_null_list_in_a_job_reads_as_an_empty_one(attempt_status: str) -> None:
    """
    A Java server writes a list it never set as null (API-FACTS 3: ``"failureSummary": null``
    beside the stats): read as empty, as if absent, by the fast reader and by the general
    one (an attempt status this package does not know leaves the job to the latter).
    """
    data = payload("job_get_head")
    data["job"].update(enabledStreams=None, streamAggregatedStats=None)
    data["attempts"][0]["attempt"].update(status=attempt_status, streamStats=None)

    job = structure(data, Job, route="jobs/get")

    assert job.enabled_streams == ()
    assert job.stream_aggregated_stats == ()
    assert job.attempts[0].stream_stats == ()


def test_a_null_where_a_field_has_a_default_reads_as_that_default() -> None:
    """A null catalog is the empty catalog a connection without one holds (API-FACTS 2.5), a
    null list of operations none, a null flag false; a null in a required field is still an
    error that names it."""
    data = payload("connection_head")
    data.update(syncCatalog=None, operationIds=None)
    definition = payload("source_definitions_head")["sourceDefinitions"][0]
    definition.update(custom=None, enterprise=None)

    connection = structure(data, Connection, route="connections/get")
    read = structure(definition, SourceDefinition)

    assert connection.sync_catalog == Catalog()
    assert connection.operation_ids == ()
    assert (read.custom, read.enterprise) == (False, False)
    with pytest.raises(ResponseValidationError, match=r"\$\.sourceId"):
        structure({**data, "sourceId": None}, Connection, route="connections/get")


def test_epoch_seconds_become_aware_utc_datetimes() -> None:
    """createdAt and friends are epoch seconds on the wire, aware UTC datetimes in models."""
    job = structure(payload("job_list_0_50")["jobs"][0], Job)

    assert job.created_at == datetime(2024, 2, 25, 22, 26, 40, tzinfo=UTC)
    assert job.created_at.tzinfo is not None
    assert job.created_at.utcoffset() == timedelta(0)
    assert job.started_at == at(1708900005)


def test_iso_filters_are_written_as_iso_strings() -> None:
    """jobs/list date filters are ISO-8601 strings, offsets kept."""
    berlin = timezone(timedelta(hours=1))
    body = w.JobListBody(
        config_types=(JobType.SYNC,),
        config_id=C,
        created_at_start=IsoDateTime(datetime(2024, 1, 1, 12, tzinfo=berlin)),
    )

    assert unstructure(body)["createdAtStart"] == "2024-01-01T12:00:00+01:00"


# -- parts read on first use -------------------------------------------------------------------


def test_catalog_is_read_on_first_use() -> None:
    """A bad catalog does not fail the connection; reading it names route and path."""
    data = payload("connection_head")
    data["syncCatalog"]["streams"][0]["config"]["syncMode"] = 7

    connection = structure(data, Connection, route="connections/get")

    with pytest.raises(ResponseValidationError) as caught:
        _ = connection.sync_catalog
    assert caught.value.route == "connections/get"
    assert "$..syncCatalog.streams[0].config.syncMode: expected a string" in str(caught.value)


def test_catalog_must_at_least_be_an_object() -> None:
    """A catalog that is not even an object fails the connection at once."""
    data = payload("connection_head")
    data["syncCatalog"] = []

    with pytest.raises(ResponseValidationError, match=r"\$.syncCatalog: expected an object"):
        structure(data, Connection)


def test_unread_catalog_is_written_back_as_it_came() -> None:
    """Written back before being read, the catalog is the very JSON received."""
    data = payload("connection_head")

    written = unstructure(structure(data, Connection))

    assert written["syncCatalog"] is data["syncCatalog"]


def test_deferred_parts_compare_by_content() -> None:
    """Two connections read from equal JSON are equal, catalogs read or not."""
    first = structure(payload("connection_head"), Connection)
    second = structure(payload("connection_head"), Connection)
    _ = first.sync_catalog

    assert first == second


def test_models_with_unread_parts_pickle_and_copy() -> None:
    """Pickling or copying a model with unread parts keeps them readable."""
    connection = structure(payload("connection_head"), Connection)

    for clone in (pickle.loads(pickle.dumps(connection)), copy.deepcopy(connection)):
        assert clone == connection
        assert clone.sync_catalog.stream_names == ("charges",)


def test_stream_stats_and_logs_are_read_on_first_use() -> None:
    """Per-stream counters and logs are there when asked for."""
    job = structure(payload("job_list_0_50"), JobPage).jobs[0]

    assert job.attempts[0].stream_stats[0].stats.records_committed == 1490
    assert job.stream_aggregated_stats[0].stream_name == "users"


# -- connections --------------------------------------------------------------------------------


def test_connection_0_40_has_legacy_schedule_beside_schedule_type() -> None:
    """0.x reports a basic schedule twice: legacy schedule and scheduleType/scheduleData."""
    connection = structure(payload("connection_0_40"), Connection, route="connections/get")

    assert connection.schedule == Schedule(units=24, time_unit=TimeUnit.HOURS)
    assert connection.schedule_type is ScheduleType.BASIC
    assert connection.schedule_data == ScheduleData(
        basic_schedule=BasicSchedule(time_unit=TimeUnit.HOURS, units=24)
    )
    assert connection.status is ConnectionStatus.ACTIVE
    assert connection.namespace_definition is NamespaceDefinition.SOURCE
    assert connection.created_at is None
    assert connection.workspace_id is None
    assert connection.geography == "auto"


def test_connection_head_reads_snake_case_created_at_and_cron() -> None:
    """Head: created_at is snake_case on the wire; cron schedule; locked status."""
    connection = structure(payload("connection_head"), Connection)

    assert connection.created_at == at(1786000000)
    assert connection.schedule is None
    assert connection.schedule_data == ScheduleData(
        cron=CronSchedule(cron_expression="0 0 12 * * ?", cron_time_zone="Europe/Berlin")
    )
    assert connection.status is ConnectionStatus.LOCKED
    assert connection.workspace_id == "a0000000-0000-4000-8000-000000000001"


def test_connection_catalog_reads_every_stream_field() -> None:
    """The sync catalog keeps modes, keys, selected fields and mappers."""
    [entry] = structure(payload("connection_head"), Connection).sync_catalog.streams

    assert entry.stream.source_defined_cursor is True
    assert entry.stream.source_defined_primary_key == (("id",),)
    assert entry.stream.supported_sync_modes == (SyncMode.FULL_REFRESH, SyncMode.INCREMENTAL)
    assert entry.config is not None
    assert entry.config.destination_sync_mode is DestinationSyncMode.SOFT_DELETE
    assert entry.config.cursor_field == ("created",)
    assert [f.field_path for f in entry.config.selected_fields or ()] == [("id",), ("amount",)]
    assert entry.config.mappers is not None
    assert entry.config.mappers[0]["type"] == "hashing"


def test_catalog_round_trips_unchanged() -> None:
    """A catalog read from a connection goes back byte for byte: nothing lost on the way."""
    original = payload("connection_head")["syncCatalog"]

    written = unstructure(structure(copy.deepcopy(original), Catalog))

    assert json.dumps(written, sort_keys=True) == json.dumps(original, sort_keys=True)


def test_sync_progress_head() -> None:
    """connections/sync_progress on a recent server."""
    data = {
        "connectionId": "c",
        "jobId": 9,
        "configType": "sync",
        "syncStartedAt": 1787000000,
        "recordsEmitted": 10,
        "recordsCommitted": 7,
        "streams": [{"streamName": "users", "configType": "sync", "recordsCommitted": 7}],
    }

    progress = structure(data, SyncProgress)

    assert (progress.job_id, progress.records_committed) == (9, 7)
    assert progress.sync_started_at == at(1787000000)
    assert progress.streams[0].stream_name == "users"


# -- sources, workspaces, definitions -----------------------------------------------------------


def test_source_configuration_is_passed_through_untouched() -> None:
    """connectionConfiguration is the same object, keys not renamed, nested as it came."""
    data = payload("source_0_50")
    config = data["connectionConfiguration"]

    source = structure(data, Source)

    assert source.configuration is config
    assert source.configuration["replication_method"]["replication_slot"] == "airbyte_slot"
    assert source.definition_id == "decd338e-5647-4c0b-adf4-da0e75f5a750"
    assert source.definition_name == "Postgres"


def test_source_configuration_is_written_byte_for_byte() -> None:
    """Written back, the configuration serializes exactly as it was read."""
    data = payload("source_0_50")
    before = json.dumps(data["connectionConfiguration"])

    written = unstructure(structure(data, Source))

    assert json.dumps(written["connectionConfiguration"]) == before


def test_source_repr_hides_secrets() -> None:
    """Secrets in configuration never show in repr, masked or real."""
    data = payload("source_0_50")
    data["connectionConfiguration"]["password"] = "hunter2-real-secret"

    text = repr(structure(data, Source))

    assert "hunter2-real-secret" not in text
    assert "db.internal" in text


def test_workspace_0_50_has_geography_and_no_organization() -> None:
    """0.50 workspaces have defaultGeography and may lack organizationId."""
    workspace = structure(payload("workspace_0_50"), Workspace)

    assert workspace.organization_id is None
    assert workspace.default_geography == "auto"
    assert workspace.slug == "default-workspace"


def test_workspace_head_has_organization_and_dataplane_group() -> None:
    """Head workspaces carry organizationId and dataplaneGroupId."""
    workspace = structure(payload("workspace_head"), Workspace)

    assert workspace.organization_id == "00000000-0000-0000-0000-000000000000"
    assert workspace.dataplane_group_id == "dd000000-0000-4000-8000-000000000001"
    assert workspace.default_geography is None


def test_source_definitions_list_head() -> None:
    """Head source definitions: release date, support level, unknown levels kept."""
    page = structure(payload("source_definitions_head"), w.SourceDefinitionList)
    postgres, stripe = page.items

    assert isinstance(postgres, SourceDefinition)
    assert postgres.definition_id == "decd338e-5647-4c0b-adf4-da0e75f5a750"
    assert postgres.release_date == date(2021, 1, 19)
    assert postgres.support_level is SupportLevel.CERTIFIED
    assert postgres.source_type == "database"
    assert stripe.support_level == "gold"
    assert not stripe.support_level.is_known  # type: ignore[union-attr]


def test_destination_definitions_list_0_50() -> None:
    """0.50 destination definitions keyed by destinationDefinitionId, with supportsDbt."""
    page = structure(payload("destination_definitions_0_50"), w.DestinationDefinitionList)
    [bigquery] = page.items

    assert isinstance(bigquery, DestinationDefinition)
    assert bigquery.definition_id == "22f6c74f-5699-40ff-833c-4a879ea40133"
    assert bigquery.supports_dbt is True


# -- checks and discovery -----------------------------------------------------------------------

SYNC_JOB = {
    "id": "1e5c2b0e-0000-4000-8000-000000000001",
    "configType": "check_connection_source",
    "createdAt": 1708900000,
    "endedAt": 1708900003,
    "succeeded": True,
    "logs": {"logLines": ["ok"]},
}


def test_check_result_reads_status_and_message() -> None:
    """A check job that ran: status and message say how the check went."""
    data = {"status": "failed", "message": "Could not connect: timeout", "jobInfo": SYNC_JOB}

    result = structure(data, CheckResult, route="sources/check_connection")

    assert result.succeeded is False
    assert result.message == "Could not connect: timeout"


def test_check_result_without_status_reads_the_job() -> None:
    """A check job that itself failed: only jobInfo, whose failureReason explains."""
    job = {
        **SYNC_JOB,
        "succeeded": False,
        "failureReason": {
            "failureOrigin": "source",
            "externalMessage": "image pull failed",
            "timestamp": 1708900003000,
        },
    }

    result = structure({"jobInfo": job}, CheckResult)

    assert result.succeeded is False
    assert result.message == "source: image pull failed"


def test_check_result_succeeded() -> None:
    """A passing check."""
    result = structure({"status": "succeeded", "jobInfo": SYNC_JOB}, CheckResult)

    assert result.succeeded is True
    assert result.message is None


def test_discovered_schema_failure_is_a_value() -> None:
    """A discovery without catalog: succeeded is false and the failure is at hand."""
    failure = {"externalMessage": "bad schema", "timestamp": 1}
    job = {
        **SYNC_JOB,
        "configType": "discover_schema",
        "succeeded": False,
        "failureReason": failure,
    }

    schema = structure({"jobInfo": job}, DiscoveredSchema)

    assert schema.catalog is None
    assert not schema.succeeded
    assert schema.failure is not None
    assert schema.failure.external_message == "bad schema"


def test_discovered_schema_with_catalog() -> None:
    """A discovery with catalog and catalogId."""
    catalog = payload("connection_0_40")["syncCatalog"]

    schema = structure(
        {"catalog": catalog, "catalogId": "cat-1", "jobInfo": SYNC_JOB}, DiscoveredSchema
    )

    assert schema.succeeded
    assert schema.catalog_id == "cat-1"
    assert schema.catalog is not None
    assert schema.catalog.stream_names == ("users",)


# -- bad shapes ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("mutate", "path"),
    [
        (lambda d: d["job"].pop("status"), "$.job.status: missing"),
        (lambda d: d["job"].update(id="41"), "$.job.id: expected an integer, got a string"),
        (lambda d: d["job"].update(createdAt="yesterday"), "$.job.createdAt: expected epoch"),
        (lambda d: d["attempts"][1]["attempt"].update(status=3), "$.attempts[1].attempt.status"),
        (lambda d: d["attempts"].append("x"), "$.attempts[2]: expected an object, got a string"),
        (lambda d: d.update(attempts={}), "$.attempts: expected an array, got an object"),
        (lambda d: d.pop("job"), "$.job: missing"),
        (lambda d: d.update(job=[]), "$.job: expected an object, got an array"),
    ],
)
def test_bad_shapes_name_route_and_path(mutate: Any, path: str) -> None:
    """A missing or mistyped known key: ResponseValidationError naming route and JSON path."""
    data = payload("job_get_0_40")
    mutate(data)

    with pytest.raises(ResponseValidationError) as caught:
        structure(data, Job, route="jobs/get")

    assert path in str(caught.value)
    assert caught.value.route == "jobs/get"
    assert isinstance(caught.value.__cause__, cattrs.BaseValidationError | TypeError)


@pytest.mark.parametrize(
    ("value", "says"),
    [("id", "expected an array, got a string"), (["a", 1], "[1]: expected a string")],
)
def test_a_bad_array_of_strings_names_its_path(value: Any, says: str) -> None:
    """A string-array field that is not one: the error names the field and what it expected."""
    with pytest.raises(ResponseValidationError, match=r"\$\.defaultCursorField") as caught:
        structure({"name": "users", "defaultCursorField": value}, Stream, route="r")

    assert says in str(caught.value)
    assert "NameError" not in str(caught.value)


@pytest.mark.parametrize("data", [None, [], "job", 3, True])
def test_non_objects_are_validation_errors(data: Any) -> None:
    """Not even an object: still a ResponseValidationError, at the root."""
    with pytest.raises(ResponseValidationError, match=r"\$: expected an object"):
        structure(data, Health, route="health")


def test_validation_errors_never_quote_values() -> None:
    """A bad configuration-bearing body does not leak its secrets into the message."""
    data = payload("source_0_50")
    data["connectionConfiguration"]["password"] = "hunter2-real-secret"
    data["name"] = {"password": "hunter2-real-secret"}

    with pytest.raises(ResponseValidationError) as caught:
        structure(data, Source, route="sources/get")

    assert "hunter2" not in str(caught.value)
    assert "$.name: expected a string, got an object" in str(caught.value)


def test_bad_enum_type_is_a_validation_error() -> None:
    """An enum field holding a number is mistyped, not an unknown value."""
    with pytest.raises(ResponseValidationError, match=r"\$.available"):
        structure({"available": "yes"}, Health)


# -- writing ------------------------------------------------------------------------------------


def test_update_body_carries_only_what_was_set() -> None:
    """A patch writes connectionId and the changed fields, nothing else."""
    body = w.ConnectionUpdate(connection_id=C, name="renamed")

    assert unstructure(body) == {"connectionId": C, "name": "renamed"}


def test_create_body_always_carries_status() -> None:
    """status is required by the server: written even at its usual value."""
    body = w.ConnectionCreate(source_id=S, destination_id=D, status=ConnectionStatus.ACTIVE)

    assert unstructure(body) == {"sourceId": S, "destinationId": D, "status": "active"}


def test_schedule_data_written_in_camel_case() -> None:
    """scheduleType and scheduleData with camelCase inside."""
    body = w.ConnectionUpdate(
        connection_id=C,
        schedule_type=ScheduleType.BASIC,
        schedule_data=ScheduleData(basic_schedule=BasicSchedule(time_unit=TimeUnit.HOURS, units=6)),
    )

    assert unstructure(body) == {
        "connectionId": C,
        "scheduleType": "basic",
        "scheduleData": {"basicSchedule": {"timeUnit": "hours", "units": 6}},
    }


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        (w.DiscoverSchemaBody(source_id=S), {"sourceId": S}),
        (
            w.DiscoverSchemaBody(source_id=S, disable_cache=True),
            {"sourceId": S, "disable_cache": True},
        ),
        (w.SourceIdBody(actor_id=S), {"sourceId": S}),
        (w.DestinationIdBody(actor_id=D), {"destinationId": D}),
        (
            w.DestinationCreate(workspace_id=W, name="n", definition_id=X, configuration={}),
            {
                "workspaceId": W,
                "name": "n",
                "destinationDefinitionId": X,
                "connectionConfiguration": {},
            },
        ),
        (w.SourceDefinitionIdBody(definition_id=X), {"sourceDefinitionId": X}),
        (
            w.DestinationDefinitionSpecBody(definition_id=X, workspace_id=W),
            {"destinationDefinitionId": X, "workspaceId": W},
        ),
        (w.ActorListBody(workspace_id=W), {"workspaceId": W}),
        (
            w.JobListBody(config_types=(JobType.SYNC,), config_id=C),
            {"configTypes": ["sync"], "configId": C},
        ),
        (
            w.WorkspacesByOrganization(
                organization_id=ORG, pagination=w.Pagination(page_size=10, row_offset=0)
            ),
            {"organizationId": ORG, "pagination": {"pageSize": 10, "rowOffset": 0}},
        ),
    ],
)
def test_bodies_use_the_apis_keys(body: object, expected: dict[str, Any]) -> None:
    """Request bodies: camelCase, the odd snake_case keys, keys by actor kind, minimal."""
    assert unstructure(body) == expected


def test_configuration_in_a_body_is_the_callers_object() -> None:
    """The configuration sent is the very object given, keys untouched."""
    config = {"snake_case_key": {"nestedKey": [1, 2]}, "password": "s3cret"}
    body = w.SourceCreate(workspace_id=W, name="n", definition_id=D, configuration=config)

    assert unstructure(body)["connectionConfiguration"] is config


def test_empty_catalog_is_written_with_its_streams() -> None:
    """The server requires streams: an empty catalog is written as an empty list."""
    assert unstructure(Catalog()) == {"streams": []}


def test_cron_schedule_always_carries_its_time_zone() -> None:
    """cronTimeZone is required by the server and always written."""
    cron = CronSchedule(cron_expression="0 0 * * * ?", cron_time_zone="UTC")

    assert unstructure(cron) == {"cronExpression": "0 0 * * * ?", "cronTimeZone": "UTC"}


@pytest.mark.parametrize(
    ("cls", "field", "key"),
    [
        (Connection, "created_at", "created_at"),
        (Job, "created_at", "createdAt"),
        (Job, "job_type", "configType"),
        (Attempt, "total_stats", "totalStats"),
        (w.SourceList, "page_size", "page_size"),
        (Source, "configuration", "connectionConfiguration"),
        (Source, "definition_name", "sourceName"),
        (DestinationDefinition, "definition_id", "destinationDefinitionId"),
        (CheckResult, "_message", "message"),
    ],
)
def test_wire_names(cls: type, field: str, key: str) -> None:
    """The table of wire names, odd keys included."""
    assert wire_name(cls, field) == key
