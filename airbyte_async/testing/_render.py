"""
State objects as the JSON bodies each Config API version sends.

One function per response schema. Each emits only fields the version's schema declares:
camelCase (snake_case where the spec says so, e.g. ``ConnectionRead.created_at``), epoch-second
integer timestamps, int64 job ids and UUID strings for other ids. Secrets are masked.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

from ._catalog import ConnectorDefinition, StreamTemplate, mask_secrets
from ._state import (
    DEFAULT_ORGANIZATION_ID,
    DEFAULT_USER_ID,
    REPLICATION,
    Actor,
    Connection,
    Counts,
    Failure,
    Job,
    Workspace,
)
from ._versions import since

__all__ = [
    "CONNECTION_SETTINGS",
    "UNSET_NAMESPACE_DEFINITION",
    "WORKSPACE_SETTINGS",
    "actor",
    "check_result",
    "connection",
    "connection_status",
    "definition",
    "definition_spec",
    "discover_result",
    "failure_reason",
    "instance_configuration",
    "job",
    "job_info",
    "job_with_attempts",
    "stream_catalog",
    "sync_progress",
    "workspace",
]

Json = dict[str, Any]

#: The optional WorkspaceRead fields a client sets and every version reads back.
WORKSPACE_SETTINGS = (
    "email",
    "anonymousDataCollection",
    "news",
    "securityUpdates",
    "notifications",
    "displaySetupWizard",
)


def _secs(moment: float) -> int:
    return int(moment)


def workspace(ws: Workspace, version: str) -> Json:
    """A WorkspaceRead."""
    body: Json = {
        "workspaceId": ws.workspace_id,
        "customerId": ws.customer_id,
        "name": ws.name,
        "slug": ws.slug,
        "initialSetupComplete": ws.initial_setup_complete,
        "displaySetupWizard": False,
        "anonymousDataCollection": False,
        "news": False,
        "securityUpdates": False,
        "notifications": [],
        "firstCompletedSync": False,
        "feedbackDone": False,
        "webhookConfigs": [],
    }
    body |= {k: ws.settings[k] for k in WORKSPACE_SETTINGS if k in ws.settings}
    if since(version, "1.7"):
        body["tombstone"] = ws.tombstone
        if "dataplaneGroupId" in ws.settings:
            body["dataplaneGroupId"] = ws.settings["dataplaneGroupId"]
    else:
        body["defaultGeography"] = ws.settings.get("defaultGeography", "auto")
    if version != "0.40":
        body["organizationId"] = ws.organization_id
        if "notificationSettings" in ws.settings:
            body["notificationSettings"] = ws.settings["notificationSettings"]
    return body


def definition(d: ConnectorDefinition, version: str) -> Json:
    """A SourceDefinitionRead or a DestinationDefinitionRead."""
    body: Json = {
        f"{d.kind}DefinitionId": d.definition_id,
        "name": d.name,
        "dockerRepository": d.docker_repository,
        "dockerImageTag": d.docker_image_tag,
        "documentationUrl": d.documentation_url,
        "protocolVersion": "0.2.0",
        "releaseStage": d.release_stage,
    }
    if d.kind == "source" and d.source_type:
        body["sourceType"] = d.source_type
    if d.kind == "destination" and not since(version, "1.7"):
        body["supportsDbt"] = False
        body["normalizationConfig"] = {"supported": False}
    if version != "0.40":
        body["custom"] = False
        body["supportLevel"] = d.support_level
    return body


def _logs(version: str, log_format: str, lines: Sequence[tuple[float, str]]) -> Json:
    """``logType`` and ``logs`` for an attempt or synchronous job (both only on head)."""
    if not since(version, "1.7"):
        return {"logs": {"logLines": [_log_line(t, m) for t, m in lines]}}
    if log_format == "formatted":
        return {"logType": "formatted", "logs": {"logLines": [_log_line(t, m) for t, m in lines]}}
    events = [
        {"timestamp": int(t * 1000), "message": m, "level": "info", "logSource": "platform"}
        for t, m in lines
    ]
    return {"logType": "structured", "logs": {"events": events, "version": "1"}}


def _log_line(moment: float, message: str) -> str:
    stamp = datetime.fromtimestamp(moment, UTC).strftime("%Y-%m-%d %H:%M:%S")
    return f"{stamp} platform > {message}"


def synchronous_job(
    config_type: str,
    config_id: str | None,
    version: str,
    log_format: str,
    now: float,
    *,
    failure: str | None = None,
) -> Json:
    """A SynchronousJobRead for a check, discover or spec job that has just run at *now*."""
    body: Json = {
        "id": str(uuid.uuid4()),
        "configType": config_type,
        "createdAt": _secs(now),
        "endedAt": _secs(now),
        "succeeded": failure is None,
        "connectorConfigurationUpdated": False,
    }
    if config_id is not None:
        body["configId"] = config_id
    message = "Completed" if failure is None else "Failed"
    body |= _logs(version, log_format, [(now, f"{config_type}: {message}")])
    if failure is not None and version != "0.40":
        body["failureReason"] = {
            # Only a destination's check runs the destination; discovery runs the source.
            "failureOrigin": "destination" if config_type.endswith("_destination") else "source",
            "failureType": "config_error",
            "externalMessage": failure,
            "timestamp": int(now * 1000),
            "retryable": False,
        }
    return body


def definition_spec(d: ConnectorDefinition, version: str, log_format: str, now: float) -> Json:
    """A Source- or DestinationDefinitionSpecificationRead."""
    body: Json = {
        f"{d.kind}DefinitionId": d.definition_id,
        "documentationUrl": d.documentation_url,
        "connectionSpecification": d.spec,
        "jobInfo": synchronous_job("get_spec", None, version, log_format, now),
    }
    if d.kind == "destination":
        body["supportedDestinationSyncModes"] = list(d.supported_sync_modes)
    return body


def actor(a: Actor, version: str, *, listing: Mapping[str, Any] | None = None) -> Json:
    """A SourceRead or DestinationRead, secrets masked; *listing* adds head list-only fields."""
    kind = a.definition.kind
    body: Json = {
        f"{kind}DefinitionId": a.definition.definition_id,
        f"{kind}Id": a.actor_id,
        "workspaceId": a.workspace_id,
        "connectionConfiguration": mask_secrets(dict(a.config), a.definition.secret_paths),
        "name": a.name,
        f"{kind}Name": a.definition.name,
    }
    if version != "0.40":
        body["isVersionOverrideApplied"] = False
        body["supportState"] = "supported"
    if since(version, "1.7"):
        body["createdAt"] = _secs(a.created_at)
        body |= listing or {}
    return body


def check_result(
    kind: str, actor_id: str | None, version: str, log_format: str, error: str | None, now: float
) -> Json:
    """A CheckConnectionRead of a check run at *now*; *error* is the reason it failed."""
    job_info = synchronous_job(f"check_connection_{kind}", actor_id, version, log_format, now)
    if error is None:
        return {"status": "succeeded", "jobInfo": job_info}
    return {"status": "failed", "message": error, "jobInfo": job_info}


def stream_catalog(streams: Sequence[StreamTemplate], namespace: str | None, version: str) -> Json:
    """An AirbyteCatalog of *streams*, each selected with a full-refresh overwrite default."""
    entries = []
    for s in streams:
        stream: Json = {
            "name": s.name,
            "jsonSchema": s.json_schema(),
            "supportedSyncModes": ["full_refresh", "incremental"]
            if s.incremental
            else ["full_refresh"],
            "sourceDefinedCursor": s.source_defined_cursor,
            "defaultCursorField": list(s.cursor),
            "sourceDefinedPrimaryKey": [[k] for k in s.primary_key],
        }
        if namespace is not None:
            stream["namespace"] = namespace
        if since(version, "1.7"):
            stream["isResumable"] = s.incremental
        config: Json = {
            "syncMode": "full_refresh",
            "cursorField": list(s.cursor),
            "destinationSyncMode": "overwrite",
            "primaryKey": [[k] for k in s.primary_key],
            "aliasName": s.name,
            "selected": True,
            "suggested": True,
        }
        entries.append({"stream": stream, "config": config})
    return {"streams": entries}


def discover_result(
    catalog: Json | None,
    source_id: str | None,
    version: str,
    log_format: str,
    error: str | None,
    now: float,
) -> Json:
    """A SourceDiscoverSchemaRead of a discovery run at *now*; no catalog when it failed."""
    body: Json = {
        "jobInfo": synchronous_job(
            "discover_schema", source_id, version, log_format, now, failure=error
        )
    }
    if catalog is not None:
        body["catalog"] = catalog
        body["catalogId"] = str(uuid.uuid4())
    return body


#: The optional ConnectionRead fields a client sets, by the versions that read them back.
CONNECTION_SETTINGS: dict[str, frozenset[str]] = {
    "common": frozenset(
        {
            "namespaceDefinition",
            "namespaceFormat",
            "prefix",
            "operationIds",
            "resourceRequirements",
            "sourceCatalogId",
            "notifySchemaChanges",
            "nonBreakingChangesPreference",
            # Set by an update's patch, as Airbyte's own schema-change disable sets it
            # (``ConnectionsHandler.updateConnection``, ``ConnectionsHandler.kt`` at ``52d62597``).
            "breakingChange",
        }
    ),
    "0.40": frozenset({"geography"}),
    "0.50": frozenset({"geography", "notifySchemaChangesByEmail", "backfillPreference"}),
    "head": frozenset(
        {
            "notifySchemaChangesByEmail",
            "backfillPreference",
            "dataplaneGroupId",
            "destinationCatalogId",
            "tags",
            "onDemandEnabled",
        }
    ),
}


def _settings_of(version: str) -> str:
    """The key of :data:`CONNECTION_SETTINGS` for *version*: 1.7 and 2.0 have head's."""
    return "head" if since(version, "1.7") else version


#: The ``namespaceDefinition`` of a connection that stores none: a seeded one, or one the public
#: API made without it (its spec's ``NamespaceDefinitionEnum`` declares that default). The Config
#: API's ``connections/create`` stores ``source`` then.
UNSET_NAMESPACE_DEFINITION = "destination"


def connection(c: Connection, version: str) -> Json:
    """A ConnectionRead."""
    body: Json = {
        "connectionId": c.connection_id,
        "name": c.name,
        "namespaceDefinition": UNSET_NAMESPACE_DEFINITION,
        "sourceId": c.source_id,
        "destinationId": c.destination_id,
        "operationIds": [],
        "syncCatalog": c.sync_catalog,
        "scheduleType": c.schedule_type,
        "status": c.status,
        "breakingChange": False,
        "notifySchemaChanges": False,
        "nonBreakingChangesPreference": "ignore",
    }
    if c.schedule_data is not None:
        body["scheduleData"] = c.schedule_data
        basic = c.schedule_data.get("basicSchedule")
        if c.schedule_type == "basic" and basic:
            body["schedule"] = {"units": basic["units"], "timeUnit": basic["timeUnit"]}
    if not since(version, "1.7"):
        body["geography"] = "auto"
    if version != "0.40":
        body["notifySchemaChangesByEmail"] = False
        body["created_at"] = _secs(c.created_at)
        body["backfillPreference"] = "disabled"
        body["workspaceId"] = c.workspace_id
    if since(version, "1.7"):
        # Always a list, if empty (ApiPojoConverters.internalToConnectionRead maps the tags).
        body["tags"] = []
    allowed = CONNECTION_SETTINGS["common"] | CONNECTION_SETTINGS[_settings_of(version)]
    body |= {k: v for k, v in c.settings.items() if k in allowed}
    return body


def failure_reason(failure: Failure, moment: float) -> Json:
    """A FailureReason (AttemptFailureReason on 0.40)."""
    return {
        "failureOrigin": failure.origin,
        "failureType": failure.failure_type,
        "externalMessage": failure.external_message,
        "internalMessage": failure.internal_message,
        "timestamp": int(moment * 1000),
        "retryable": failure.retryable,
    }


def _stats(counts: Counts, version: str, *, hydrated: bool) -> Json:
    stats: Json = {
        "recordsEmitted": counts.records_emitted,
        "bytesEmitted": counts.bytes_emitted,
        "recordsCommitted": counts.records_committed,
        "stateMessagesEmitted": counts.state_messages,
    }
    # The jobs/get converter reads the attempt output, which has no bytesCommitted; lists
    # re-hydrate from the stats table, which has it (API-FACTS 3).
    if hydrated and version != "0.40":
        stats["bytesCommitted"] = counts.bytes_committed
    if since(version, "1.7"):
        stats["recordsRejected"] = 0
    return stats


def _attempts(j: Job, version: str, now: float, *, hydrated: bool) -> list[Json]:
    """The AttemptReads of every attempt started by *now*, the first first."""
    return [
        _attempt(j, index, version, now, hydrated=hydrated) for index in range(j.attempts_at(now))
    ]


def _attempt(j: Job, index: int, version: str, now: float, *, hydrated: bool) -> Json:
    status = j.attempt_status(now, index)
    started = j.attempt_start(index)
    ended = j.attempt_ended(now, index)
    body: Json = {
        "id": index,
        "status": status,
        "createdAt": _secs(started),
        "updatedAt": _secs(ended if ended is not None else started),
    }
    if ended is not None:
        body["endedAt"] = _secs(ended)
    if j.disabled_at is not None and started == j.disabled_at:
        # The attempt that found its connection disabled never replicated: its output's
        # summary has empty totalStats and no recordsSynced nor bytesSynced (SyncWorkflowImpl
        # returns ``new SyncStats()``; JobConverter.getAttemptRead reads them from it), which
        # tells it from a real success that synced nothing (0 records).
        body["totalStats"] = {}
        body["streamStats"] = []
    elif j.config_type in REPLICATION and (ended is not None or hydrated):
        # The attempts that failed before the last one synced nothing.
        counts = j.counts(now) if index == j.retries else Counts()
        # The legacy counts come from the attempt's output, which exists once it ended; lists
        # re-hydrate only the stats (API-FACTS 3).
        if ended is not None:
            body["recordsSynced"] = counts.records_committed
            body["bytesSynced"] = counts.bytes_committed
        body["totalStats"] = _stats(counts, version, hydrated=hydrated)
        body["streamStats"] = [
            {
                "streamName": name,
                **({"streamNamespace": ns} if ns is not None else {}),
                "stats": _stats(part, version, hydrated=hydrated),
            }
            for (name, ns), part in zip(j.streams, counts.split(len(j.streams)), strict=True)
        ]
    if (failure := j.attempt_failure(now, index)) is not None:
        moment = ended if ended is not None else j.final_at
        body["failureSummary"] = {"failures": [failure_reason(failure, moment)]}
    return body


def job(j: Job, version: str, now: float, *, aggregated: bool = False) -> Json:
    """A JobRead; *aggregated* adds ``aggregatedStats`` (lists on 0.50 and head)."""
    body: Json = {
        "id": j.job_id,
        "configType": j.config_type,
        "configId": j.connection_id,
        "createdAt": _secs(j.created_at),
        "updatedAt": _secs(j.updated_at(now)),
        "status": j.status(now),
    }
    if now >= j.running_at and j.attempt_status(now) is not None:
        body["startedAt"] = _secs(j.running_at)
    streams = [{"name": n, **({"namespace": ns} if ns is not None else {})} for n, ns in j.streams]
    if j.config_type in ("reset_connection", "clear"):
        body["resetConfig"] = {"streamsToReset": streams}
    elif version != "0.40":
        body["enabledStreams"] = streams
    if aggregated and version != "0.40":
        counts = j.counts(now)
        body["aggregatedStats"] = {
            "recordsEmitted": counts.records_emitted,
            "bytesEmitted": counts.bytes_emitted,
            "recordsCommitted": counts.records_committed,
            "bytesCommitted": counts.bytes_committed,
        }
        if since(version, "1.7"):
            body["aggregatedStats"]["recordsRejected"] = 0
    return body


def _attempt_logs(j: Job, index: int, now: float) -> list[tuple[float, str]]:
    lines = [(j.attempt_start(index), f"Starting attempt {index} of job {j.job_id}")]
    if (ended := j.attempt_ended(now, index)) is not None:
        status = j.attempt_status(now, index)
        lines.append((ended, f"Attempt {index} of job {j.job_id} ended: {status}"))
    return lines


def job_info(j: Job, version: str, now: float, log_format: str, *, logs: bool = True) -> Json:
    """
    A JobInfoRead: with logs for ``jobs/get``, ``jobs/cancel`` and the triggers; without
    them, and with re-hydrated stats, for ``jobs/get_without_logs``.
    """
    attempts = []
    for index, attempt in enumerate(_attempts(j, version, now, hydrated=not logs)):
        entry: Json = {"attempt": attempt}
        if logs:
            entry |= _logs(version, log_format, _attempt_logs(j, index, now))
        attempts.append(entry)
    aggregated = not logs and since(version, "1.7")
    return {"job": job(j, version, now, aggregated=aggregated), "attempts": attempts}


def job_with_attempts(j: Job, version: str, now: float) -> Json:
    """A JobWithAttemptsRead, as ``jobs/list`` returns: live stats, bare attempts, no logs."""
    return {
        "job": job(j, version, now, aggregated=True),
        "attempts": _attempts(j, version, now, hydrated=True),
    }


def connection_status(c: Connection, jobs: Sequence[Job], version: str, now: float) -> Json:
    """A ConnectionStatusRead; 0.50 leaves out the fields the real server has no value for."""
    active = next((j for j in reversed(jobs) if not j.is_terminal(now)), None)
    finished = [j for j in jobs if j.is_terminal(now) and j.status(now) != "cancelled"]
    last = finished[-1] if finished else None
    succeeded = [j for j in finished if j.status(now) == "succeeded"]
    body: Json = {"connectionId": c.connection_id}
    if version == "0.50":
        body["isRunning"] = active is not None
        body["isLastCompletedJobReset"] = bool(last and last.config_type == "reset_connection")
        if last is not None:
            body["lastSyncJobStatus"] = last.status(now)
    else:
        body["connectionSyncStatus"] = _sync_status(c, active, last, now)
        if active is not None:
            body["activeJob"] = job(active, version, now)
        if c.schedule_data is not None:
            body["scheduleData"] = c.schedule_data
    if succeeded:
        body["lastSuccessfulSync"] = _secs(succeeded[-1].final_at)
    if last is not None:
        body["lastSyncJobId"] = last.job_id
        body["lastSyncAttemptNumber"] = 0
        if since(version, "1.7"):
            body["lastSyncJobCreatedAt"] = _secs(last.created_at)
        if last.status(now) == "failed" and last.failure is not None:
            body["failureReason"] = failure_reason(last.failure, last.final_at)
    return body


def _sync_status(c: Connection, active: Job | None, last: Job | None, now: float) -> str:
    if active is not None:
        status = active.status(now)
        return status if status in ("pending", "queued") else "running"
    if c.status != "active":
        return "paused"
    if last is None:
        return "pending"
    return "synced" if last.status(now) == "succeeded" else "failed"


def sync_progress(c: Connection, active: Job | None, version: str, now: float) -> Any:
    """A ConnectionSyncProgressRead (head) or the 0.50 list of per-stream progress items."""
    counts = active.counts(now) if active is not None else Counts()
    parts = counts.split(len(active.streams)) if active is not None else []
    streams = list(zip(active.streams, parts, strict=True)) if active is not None else []
    if version == "0.50":
        elapsed = 0 if active is None else max(0, _secs(now - active.running_at))
        span = 0.0 if active is None else max(active.ends_at - active.running_at, 1e-9)
        percent = 0 if active is None else min(100, int(100 * elapsed / span))
        return [
            {
                "streamName": name,
                "streamNamespace": ns or "",
                "recordsExtracted": part.records_emitted,
                "recordsLoaded": part.records_committed,
                "syncTimeElapsed": elapsed,
                "progressPercentage": percent,
                "lastCommittedTimestamp": _secs(now),
                "lastCursorValue": "",
            }
            for (name, ns), part in streams
        ]
    config_type = active.config_type if active is not None else "sync"
    body: Json = {"connectionId": c.connection_id, "streams": [], "configType": config_type}
    if active is None:
        return body
    body |= {
        "jobId": active.job_id,
        "recordsEmitted": counts.records_emitted,
        "recordsCommitted": counts.records_committed,
        "bytesEmitted": counts.bytes_emitted,
        "bytesCommitted": counts.bytes_committed,
        "syncStartedAt": _secs(active.running_at),
    }
    for (name, ns), part in streams:
        item: Json = {
            "streamName": name,
            "recordsEmitted": part.records_emitted,
            "bytesEmitted": part.bytes_emitted,
            "recordsCommitted": part.records_committed,
            "bytesCommitted": part.bytes_committed,
            "configType": config_type,
        }
        if ns is not None:
            item["streamNamespace"] = ns
        body["streams"].append(item)
    return body


def instance_configuration(
    version: str, default_workspace_id: str, url: str, *, auth_enabled: bool
) -> Json:
    """An InstanceConfigurationResponse of a community-edition deployment."""
    body: Json = {
        "edition": "community",
        "initialSetupComplete": True,
        "defaultUserId": DEFAULT_USER_ID,
        "defaultOrganizationId": DEFAULT_ORGANIZATION_ID,
        "defaultWorkspaceId": default_workspace_id,
        "trackingStrategy": "logging",
    }
    if version == "0.50":
        return body | {"webappUrl": url}
    return body | {
        "version": "dev",
        "airbyteUrl": url,
        "auth": {"mode": "simple" if auth_enabled else "none"},
        "defaultOrganizationEmail": "admin@example.com",
    }
