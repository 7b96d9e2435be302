"""
Connections: CRUD with the real server's schedule rules, listings encoded once, and the
triggers, which answer once their job runs (API-FACTS 2.5, 5, 6.3, 6.3b).

A cron schedule is checked as ``ConnectionScheduleHelper.populateSyncFromScheduleTypeAndData``
checks it (airbytehq/airbyte-platform ``airbyte-commons-server/.../handlers/helpers/
ConnectionScheduleHelper.kt`` at HEAD; airbytehq/airbyte ``airbyte-commons-server/.../
ConnectionScheduleHelper.java`` for 0.40):

- head answers 400 with the ``CronValidation*Problem`` body (``api-problems.yaml``): no cron
  block is ``missing-cron-data``; an expression cron-utils or Quartz refuses, or one that fires
  more than once a minute over its next three fires (``CronExpressionHelper``), is
  ``invalid-expression``; a zone starting with ``etc`` (any case) or one Joda cannot read is
  ``invalid-timezone``. The sub-hour check runs only without ``SubOneHourSyncSchedules``, on by
  default: not modelled.
- 0.40 throws ``JsonValidationException`` ("Etc/ timezones are unsupported", "invalid cron
  timezone", "invalid cron expression", checked in that order), which ``ApiHelper.execute``
  turns into 422 ``BadObjectSchemaKnownException``, its message prefixed "The provided
  configuration does not fulfill the specification. Errors: ".
- 0.50 is checked as head is: v0.50.56 (2024-02-26) falls between the two helpers above, and
  which of them it shipped was not found, but both refuse the same crons, and airbytehq/
  airbyte-platform's ``ConnectionScheduleHelper.java`` of 2024 (commit 3b744e9c) already
  throws the ``CronValidation*Problem``s: a server that took any cron would be kinder than
  either. Only the status (400 there, 422 in 0.40's way) is a guess.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from itertools import pairwise
from typing import Any

import attrs

from ..._cron import CronError, CronExpression, parse, time_zone
from .. import _render as render
from .._errors import ApiError, bad_config, cron_problem, internal
from .._load import Overloaded
from .._state import REPLICATION, Actor, Connection, Job
from .._versions import since
from .actors import actor_matches
from .core import SINCE_050, SINCE_17, Api, Body, Reply, page, route

# What a create or update may set: what any version reads back.
_CONNECTION_SETTINGS = frozenset().union(*render.CONNECTION_SETTINGS.values())


def _connection_reply(api: Api, connection: Connection) -> Reply:
    return Reply(render.connection(connection, api.version))


def _connection_list(api: Api, connections: Iterable[Connection]) -> Reply:
    # Listings of thousands of connections repeat: each connection is encoded once, until
    # it changes (a change makes a new Connection object).
    parts = []
    for c in connections:
        cached = api.encoded.get(c.connection_id)
        if cached is None or cached[0] is not c:
            cached = api.encoded[c.connection_id] = (c, _encode_connection(api, c))
        parts.append(cached[1])
    return Reply(raw=b'{"connections": [' + b", ".join(parts) + b"]}")


def _encode_connection(api: Api, c: Connection) -> bytes:
    # Seeded connections share one catalog object (catalogs are replaced, never edited in
    # place), so its JSON, most of a connection's, is encoded once and spliced in.
    body = render.connection(c, api.version)
    catalog = body.pop("syncCatalog")
    known = api.catalogs.get(id(catalog))
    if known is None or known[0] is not catalog:
        if len(api.catalogs) >= 256:
            api.catalogs.clear()
        known = api.catalogs[id(catalog)] = (catalog, json.dumps(catalog).encode())
    return json.dumps(body).encode()[:-1] + b', "syncCatalog": ' + known[1] + b"}"


#: What ``connections/create`` stores without a ``namespaceDefinition`` (``ConnectionsHandler.
#: createConnection``: "If not specified, default the NamespaceDefinition to 'source'", in
#: every version played).
_CREATED_NAMESPACE = "source"


@route("/v1/connections/create")
async def connections_create(api: Api, body: Body) -> Reply:
    """
    ConnectionRead of a new connection, checked in the real server's order: the source and
    the destination exist (404), share a workspace (500, see :func:`_same_workspace`), the
    catalog names no stream twice (500 from 0.50 on, see :func:`_check_duplicate_streams`),
    then the schedule rules. Without a name it gets the actors' (see
    :meth:`State.create_connection`); without a namespace definition, ``source``.
    """
    source = api.state.actor("source", body["sourceId"])
    destination = api.state.actor("destination", body["destinationId"])
    _same_workspace(source, destination)
    if body.get("syncCatalog") is not None:
        _check_selected(body["syncCatalog"])
        _check_duplicate_streams(api, body["syncCatalog"])
    schedule_type, schedule_data = _schedule(api, body, connection_id=None)
    settings = {k: v for k, v in body.items() if k in _CONNECTION_SETTINGS and v is not None}
    settings.setdefault("namespaceDefinition", _CREATED_NAMESPACE)
    created = api.state.create_connection(
        source_id=source.actor_id,
        destination_id=destination.actor_id,
        status=body["status"],
        name=body.get("name"),
        sync_catalog=body.get("syncCatalog"),
        schedule_type=schedule_type or "manual",
        schedule_data=schedule_data,
        settings=settings,
    )
    return _connection_reply(api, created)


def _same_workspace(source: Actor, destination: Actor) -> None:
    """
    Refuse a source and a destination of two workspaces as ``ConnectionHelper.validateWorkspace``
    does (airbytehq/airbyte-platform ``airbyte-commons-server/.../converters/
    ConnectionHelper.kt``; ``Preconditions.checkArgument`` in 0.x's Java): an
    ``IllegalArgumentException`` no handler maps, so a 500.
    """
    if source.workspace_id != destination.workspace_id:
        raise internal(
            "Source and destination do not belong to the same workspace. "
            f"Source id: {source.actor_id}, Source workspace id: {source.workspace_id}, "
            f"Destination id: {destination.actor_id}, "
            f"Destination workspace id: {destination.workspace_id}",
            "java.lang.IllegalArgumentException",
        )


def _check_selected(catalog: Body) -> None:
    """
    Fail a catalog with a stream that does not say whether it is selected (no ``config``, or
    none in it) as every version does: ``CatalogConverter`` reads ``config.selected`` unboxed
    (0.x's ``.filter(s -> s.getConfig().getSelected())``, airbyte-platform's
    ``toConfiguredInternal`` and, first on a create or an update,
    ``ConnectionsHandler.validateCatalogIncludeFiles``), a ``NullPointerException`` no handler
    maps, so a 500.
    """
    for pair in catalog.get("streams") or ():
        config = pair.get("config")
        if not isinstance(config, dict) or config.get("selected") is None:
            raise internal(
                'Cannot invoke "java.lang.Boolean.booleanValue()" because the return value of '
                '"io.airbyte.api.model.generated.AirbyteStreamConfiguration.getSelected()" is '
                "null",
                "java.lang.NullPointerException",
            )


def _check_duplicate_streams(api: Api, catalog: Body) -> None:
    """
    Refuse a catalog naming a stream (namespace and name) twice, selected or not, as
    ``ConnectionHelper.validateCatalogDoesntContainDuplicateStreamNames`` does on a create and
    an update: an ``IllegalArgumentException``, so a 500. 0.40's handlers have no such check
    (airbytehq/airbyte ``ConnectionsHandler.java`` of early 2023); airbyte-platform's of late
    2023, before v0.50.56, has it.
    """
    if api.version == "0.40":
        return
    seen: set[tuple[str | None, str | None]] = set()
    for pair in catalog.get("streams") or ():
        stream = pair.get("stream") or {}
        key = (stream.get("namespace"), stream.get("name"))
        if key in seen:
            namespace, name = (_java(part) for part in key)
            raise internal(
                f"Catalog contains duplicate stream names: {namespace}.{name}",
                "java.lang.IllegalArgumentException",
            )
        seen.add(key)


def _java(value: str | None) -> str:
    """*value* as Java's ``String.format`` writes it (None as ``null``)."""
    return "null" if value is None else value


@route("/v1/connections/get")
async def connections_get(api: Api, body: Body) -> Reply:
    """ConnectionRead (deleted connections read as ``deprecated``)."""
    return _connection_reply(api, api.state.connection(body["connectionId"]))


@route("/v1/connections/update")
async def connections_update(api: Api, body: Body) -> Reply:
    """
    Patch a connection as ``applyPatchToStandardSync`` does: a field sent as null, like one
    not sent, stays as it is. Checked first as ``validateConnectionPatch`` does (see
    :func:`_check_patch`), then for duplicate streams, then the schedule rules.
    """
    current = api.state.connection(body["connectionId"])
    _check_patch(body)
    if body.get("syncCatalog") is not None:
        _check_selected(body["syncCatalog"])
        _check_duplicate_streams(api, body["syncCatalog"])
    schedule_type, schedule_data = _schedule(api, body, connection_id=current.connection_id)
    changes: dict[str, Any] = {}
    if schedule_type is not None:
        changes |= {"schedule_type": schedule_type, "schedule_data": schedule_data}
    for key, attribute in (
        ("name", "name"),
        ("status", "status"),
        ("syncCatalog", "sync_catalog"),
    ):
        if body.get(key) is not None:
            changes[attribute] = body[key]
    settings = {
        **current.settings,
        **{k: v for k, v in body.items() if k in _CONNECTION_SETTINGS and v is not None},
    }
    updated = attrs.evolve(current, settings=settings, **changes)
    return _connection_reply(api, api.state.replace_connection(updated))


def _check_patch(body: Body) -> None:
    """
    Refuse the schedule fields of a ``connections/update`` that do not go together, as
    ``ConnectionsHandler.validateConnectionPatch`` does before anything else is checked
    (airbytehq/airbyte-platform ``ConnectionsHandler.kt``; ``Preconditions.checkArgument`` in
    0.x's Java): the legacy ``schedule``, ``scheduleData`` without a ``scheduleType``, a
    ``manual`` type with data, a ``basic`` or ``cron`` one without. Each is an
    ``IllegalArgumentException`` no handler maps, so a 500.
    """
    schedule_type, data = body.get("scheduleType"), body.get("scheduleData")
    if body.get("schedule") is not None:
        message = (
            "ConnectionUpdate should only make changes to the schedule by setting "
            "scheduleType and scheduleData. 'schedule' is no longer supported."
        )
    elif schedule_type is None and data is not None:
        message = (
            "ConnectionUpdate should not include any scheduleData without also specifying "
            "a valid scheduleType."
        )
    elif schedule_type == "manual" and data is not None:
        message = (
            "ConnectionUpdate should not include any scheduleData when setting the "
            "Connection scheduleType to MANUAL."
        )
    elif schedule_type in ("basic", "cron") and data is None:
        message = (
            "ConnectionUpdate should include scheduleData when setting the Connection "
            f"scheduleType to {schedule_type.upper()}."
        )
    else:
        return
    raise internal(message, "java.lang.IllegalArgumentException")


@route("/v1/connections/delete")
async def connections_delete(api: Api, body: Body) -> Reply:
    """Mark a connection ``deprecated``; 204."""
    api.state.delete_connection(body["connectionId"])
    return Reply(None, 204)


@route("/v1/connections/list")
async def connections_list(api: Api, body: Body) -> Reply:
    """
    The workspace's connections, without deleted ones. An unknown or deleted workspace has
    none of them live: ``listConnectionsForWorkspace`` lists by workspace id without looking
    the workspace up.
    """
    return _connection_list(api, api.state.connections_in([body["workspaceId"]], deleted=False))


@route("/v1/connections/list_all")
async def connections_list_all(api: Api, body: Body) -> Reply:
    """The workspace's connections, deleted ones included (an unknown workspace: none)."""
    return _connection_list(api, api.state.connections_in([body["workspaceId"]], deleted=True))


@route("/v1/connections/list_paginated", SINCE_050)
async def connections_list_paginated(api: Api, body: Body) -> Reply:
    """Connections of several workspaces, paged by offset (default 20)."""
    found = api.state.connections_in(body["workspaceIds"], deleted=bool(body.get("includeDeleted")))
    return _connection_list(api, page(found, body.get("pagination"), 20))


@route("/v1/connections/search")
async def connections_search(api: Api, body: Body) -> Reply:
    """Live connections whose fields equal the ones given."""
    found = [
        c
        for c in api.state.connections.values()
        if c.status != "deprecated" and _connection_matches(api, c, body)
    ]
    return _connection_list(api, found)


def _connection_matches(api: Api, c: Connection, search: Body) -> bool:
    values = {
        "connectionId": c.connection_id,
        "name": c.name,
        "sourceId": c.source_id,
        "destinationId": c.destination_id,
        "status": c.status,
        "scheduleType": c.schedule_type,
        "namespaceDefinition": c.settings.get(
            "namespaceDefinition", render.UNSET_NAMESPACE_DEFINITION
        ),
        "prefix": c.settings.get("prefix"),
    }
    for key, value in values.items():
        if search.get(key) is not None and search[key] != value:
            return False
    for kind in ("source", "destination"):
        sub = search.get(kind)
        actor = api.state.actor(kind, c.source_id if kind == "source" else c.destination_id)
        if isinstance(sub, dict) and not actor_matches(kind, actor, sub):
            return False
    return True


async def _trigger(api: Api, body: Body, config_type: str) -> Reply:
    in_flight = api.observer.sync_started(api.now)
    try:
        try:
            api.load.admit(in_flight)
        except Overloaded:
            api.observer.triggers_rejected += 1
            raise
        # Nothing happens until a scheduler thread takes the call (see _load): no job, no 409.
        async with api.threads.thread():
            latency = api.load.latency
            if config_type == "reset_connection":
                named = body.get("streams") or ()
                streams = [(s["streamName"], s.get("streamNamespace")) for s in named]
                created = await reset_job(api, body["connectionId"], latency, streams)
                return Reply(render.job_info(created, api.version, api.now, api.log_format))
            current, answered_at = await run_job(api, body["connectionId"], latency)
            return Reply(render.job_info(current, api.version, answered_at, api.log_format))
    finally:
        api.observer.sync_finished(api.now)


async def run_job(api: Api, connection_id: str, latency: float) -> tuple[Job, float]:
    """
    The job a sync trigger that answers once its job runs sees, and the moment of that
    answer: a new job, running *latency* from now. The connection is checked first (404, 500,
    409 while its workflow reports running). A job that is there but does not run yet
    (pending or queued; on 0.40, between two attempts) is the answer instead, once it runs:
    no job is created (``startNewManualSync`` polls until the workflow reports running, then
    answers with its current job). Head is no different: its controller passes
    ``syncConnection`` no organization, so the trigger never takes the path that answers once
    a job exists (``SchedulerHandler.submitManualSyncToWorker``, airbytehq/airbyte-platform
    ``727e1210``; ``ConnectionApiController.syncConnection``, ``08783db5``): only the public
    ``POST /jobs`` does (see :func:`create_job`).
    """
    api.state.check_trigger(connection_id, "sync")
    met = api.state.active_job(connection_id)
    if met is not None:
        return await until_running(api, met)
    # The real server answers once the workflow reports running (API-FACTS 6.3b), which it
    # does the job's start lag after the job runs: the snapshot is taken then, never
    # earlier; a job waiting for capacity (queued) holds the answer back.
    created = api.state.trigger(connection_id, "sync", latency=latency)
    answer = created.running_at + created.start_lag
    await api.clock.sleep(max(0.0, answer - api.now))
    answered_at = max(api.now, answer)
    return api.state.job(created.job_id), answered_at


#: A stream as ``(name, namespace)``.
Stream = tuple[str, str | None]

#: Seconds between the looks of a trigger that waits on the workflow (``TemporalClient`` polls
#: every ``DELAY_BETWEEN_QUERY_MS``, 10 ms; here less often).
_POLL = 0.1

#: Seconds head's public sync trigger waits for a new job id
#: (``START_MANUAL_SYNC_JOB_ID_WAIT_TIMEOUT_MS``).
NEW_JOB_WAIT = 60.0

#: Seconds of rounding in the clock's float readings that count as none.
_EPSILON = 1e-6


async def until_running(api: Api, met: Job) -> tuple[Job, float]:
    """
    *met*, once the workflow reports running for it, and that moment; or as it is at the
    moment it was to run, if it was cancelled meanwhile (not modelled: the real call waits on,
    for whatever job the workflow runs next).
    """
    at = api.state.next_run(met)
    await api.clock.sleep(max(0.0, at - api.now))
    return api.state.job(met.job_id), at


async def job_after(api: Api, connection_id: str, met: Job) -> Job:
    """
    What head's public sync trigger, which answers once a new job exists
    (``TemporalClient.startNewManualSyncAndWaitForJobId``) gets after it met *met*, the
    connection's job that does not run yet: the first job newer than *met* within
    :data:`NEW_JOB_WAIT` seconds (the scheduler's, say: the trigger's own signal makes none,
    *met*'s run drops it), else a 500 (an ``IllegalStateException``, as ``readJobFromResult``
    makes of the failure), which the public route answers as ``ConfigClientErrorHandler``
    does: a 409 ``state-conflict`` (airbytehq/airbyte-platform ``TemporalClient.kt`` at
    ``3fc02fdc``, ``ConfigClientErrorHandler.kt`` at ``f6786d4b``).
    """
    deadline = api.now + NEW_JOB_WAIT
    while True:
        api.catch_up()
        newer = api.state.job_after(connection_id, met.job_id)
        if newer is not None:
            return newer
        left = deadline - api.now
        if left <= _EPSILON:
            raise internal(f"Timed out waiting for a sync job to be created for: {connection_id}")
        await api.clock.sleep(min(left, _POLL))


async def reset_job(
    api: Api, connection_id: str, latency: float, streams: Sequence[Stream] = ()
) -> Job:
    """
    The job a reset (or a clear) of *streams* (none: every stream) answers with: a new reset
    job, created *latency* times :data:`CREATED_SHARE` seconds after the job the connection
    ran stopped, running *latency* after that; a sync when the reset has no stream to reset
    (see ``State.reset``). Never a 409: ``TemporalClient.resetConnection`` checks for no
    running job; it signals the workflow, whose ``resetConnection`` cancels the job that runs,
    and waits until the workflow's job id differs from the one it noted, however long that
    takes. So a job whose end reads do not see yet (a commit lag) is waited out, a sync
    started meanwhile is stopped too, and a job another reset's signal made since the call
    came is the answer. 404 for an unknown connection, 500 for a deleted one.
    """
    state = api.state
    connection = state.connection(connection_id)
    jobs = state.jobs_of(connection.connection_id)
    noted = jobs[-1].job_id if jobs else 0
    made = {"reset_connection"} if streams or connection.selected_streams else REPLICATION
    while True:
        stops_at = state.stop_current(connection_id, api.cancel_latency)
        await api.clock.sleep(max(0.0, stops_at - api.now))
        current = state.active_job(connection_id)
        if current is None:
            await api.clock.sleep(latency * CREATED_SHARE)
            current = state.active_job(connection_id)
            if current is None:
                return state.reset(connection_id, streams, latency=latency * (1 - CREATED_SHARE))
        if current.job_id > noted and current.config_type in made:
            return current
        # Ended, its end not yet read (a commit lag), or a sync started meanwhile.
        await api.clock.sleep(max(_EPSILON, current.final_at + current.commit_lag - api.now))


#: The share of a trigger's latency that passes before its job exists. After the trigger's
#: signal, Airbyte's workflow runs a few activities (the retry state, feature flags), then
#: ``getOrCreateJobId`` (the job exists), then more (the attempt, the job's start) before it
#: reports running (``ConnectionManagerWorkflowImpl``, airbytehq/airbyte-platform): about half.
CREATED_SHARE = 0.5


async def create_job(api: Api, connection_id: str, latency: float) -> Job:
    """
    The job a sync trigger that answers once its job exists (head's public sync) gets:
    created *latency* times :data:`CREATED_SHARE` seconds from now, running *latency* from now.
    The connection is checked (404, 500, 409) when the request comes. A sync that meets a job
    not yet running waits for a newer one (see :func:`job_after`). One whose signal joined
    another trigger's, whose job appeared meanwhile, answers with that job: it is the new job
    id ``getNewJobId`` waits for.
    """
    state = api.state
    state.check_trigger(connection_id)
    met = state.active_job(connection_id)
    if met is not None:
        return await job_after(api, connection_id, met)
    jobs = state.jobs_of(connection_id)
    newest = jobs[-1].job_id if jobs else 0
    await api.clock.sleep(latency * CREATED_SHARE)
    if (joined := state.job_after(connection_id, newest)) is not None:
        return joined
    return state.trigger(connection_id, latency=latency * (1 - CREATED_SHARE))


@route("/v1/connections/sync")
async def connections_sync(api: Api, body: Body) -> Reply:
    """
    JobInfoRead of a new sync job, answered once it runs (on every version); 409 while
    the connection's workflow runs a job, 500 for an inactive connection, 503 past the load
    model's overload bound. A job there that does not run yet is met (see :func:`run_job`).
    """
    return await _trigger(api, body, "sync")


@route("/v1/connections/reset")
async def connections_reset(api: Api, body: Body) -> Reply:
    """
    JobInfoRead of a new reset job, answered once the job exists, still pending (it runs
    after the trigger latency). Unlike a sync, the real call waits only for a new job id:
    ``TemporalClient.resetConnection`` signals the workflow, then loops until the workflow's
    job id changes (airbytehq/airbyte-platform ``airbyte-commons-temporal``, the same in the
    0.x Java ``TemporalClient``). It checks for no running job: the workflow's
    ``resetConnection`` signal cancels the job that runs (``setCancelledForReset``,
    ``ConnectionManagerWorkflowImpl``), so a reset while a sync runs answers once that sync
    stopped, cancelled. A deleted connection's workflow fails it (``DeletedWorkflowException``,
    not a known conflict): 500. A connection whose catalog selects no stream gets a sync job
    instead (there is nothing to reset: see ``State.reset``).
    """
    return await _trigger(api, body, "reset_connection")


@route("/v1/connections/reset/stream", SINCE_050)
async def connections_reset_stream(api: Api, body: Body) -> Reply:
    """
    JobInfoRead of a new reset job, answered as a reset is (see :func:`connections_reset`):
    ``SchedulerHandler.resetConnectionStream`` resets the streams named (none: every stream)
    through the same ``TemporalClient.resetConnection`` (airbytehq/airbyte-platform
    ``SchedulerHandler.kt`` at ``1aacafa9``; the route is in config-api-0.50.yaml, not in
    0.40's). The job names the streams sent, in the catalog or not (none is checked); none
    sent is every stream the catalog selects, and a sync when it selects none.
    """
    return await _trigger(api, body, "reset_connection")


@route("/v1/connections/clear", SINCE_17)
async def connections_clear(api: Api, body: Body) -> Reply:
    """
    JobInfoRead of a new ``reset_connection`` job, answered as a reset is (see
    :func:`connections_reset`): head's spec has the route ("Clear the data for the
    connection", API-FACTS 2.5), and its handler is ``SchedulerHandler.resetConnection``, as
    the reset's; ``DefaultJobCreator`` makes no job of the ``clear`` type the API lists. A
    sync meanwhile is refused (409), as while any job of the connection runs (API-FACTS 6.3).
    """
    return await _trigger(api, body, "reset_connection")


@route("/v1/connections/refresh", SINCE_17)
async def connections_refresh(api: Api, body: Body) -> Reply:
    """
    JobReadResponse: the connection's streams are marked to refresh, so that the next job its
    workflow makes is a ``refresh`` (``SchedulerHandler.createJob`` looks for resets, then
    refreshes, then makes a sync: a plain ``connections/sync`` makes it too), and a manual
    sync is started as ``connections/sync`` starts one, its job the answer. That start failing
    (a job running, an inactive connection) is not an error: the answer is then empty and the
    refresh waits for the next job (``StreamRefreshesHandler.createRefreshesForConnection``,
    airbytehq/airbyte-platform; the emulator's destinations all support refreshes, and the
    streams asked for are not told apart: a refresh is of them all). 404 for an unknown
    connection.
    """
    api.state.connection(body["connectionId"])
    api.state.refresh_pending.add(body["connectionId"])
    try:
        started = await _trigger(api, body, "sync")
    except ApiError:
        return Reply({})
    return Reply({"job": started.body["job"]})


@route("/v1/connections/status", SINCE_050)
async def connections_status(api: Api, body: Body) -> Reply:
    """A ConnectionStatusRead per connection; 404 for any unknown one."""
    now = api.now
    reads = []
    for connection_id in body["connectionIds"]:
        connection = api.state.connection(connection_id)
        jobs = api.state.jobs_of(connection_id)
        reads.append(render.connection_status(connection, jobs, api.version, now))
    return Reply(reads)


@route("/v1/connections/sync_progress", SINCE_050)
async def connections_sync_progress(api: Api, body: Body) -> Reply:
    """Live counters of the connection's running job."""
    connection = api.state.connection(body["connectionId"])
    active = api.state.active_job(connection.connection_id)
    return Reply(render.sync_progress(connection, active, api.version, api.now))


def _schedule(
    api: Api, body: Body, *, connection_id: str | None
) -> tuple[str | None, dict[str, Any] | None]:
    """
    The schedule type and data a create (*connection_id* None) or an update asks for, checked
    as the server does.
    """
    creating = connection_id is None
    legacy = body.get("schedule")
    schedule_type = body.get("scheduleType")
    data = body.get("scheduleData")
    if creating and legacy is not None and schedule_type is not None:
        raise bad_config("supply old or new schedule schema but not both")
    if creating and legacy is not None:
        return "basic", {
            "basicSchedule": {"timeUnit": legacy["timeUnit"], "units": legacy["units"]}
        }
    if schedule_type is None:
        return None, None
    if schedule_type == "manual":
        return "manual", None
    if data is None:
        # An update without data was refused before (see _check_patch).
        raise bad_config("schedule data must be populated if schedule type is populated")
    if schedule_type == "basic" and data.get("basicSchedule") is None:
        raise bad_config("if schedule type is basic, then scheduleData.basic must be populated")
    if schedule_type == "cron":
        _check_cron(api, data.get("cron"), connection_id)
    return schedule_type, data


_JSON_VALIDATION = "The provided configuration does not fulfill the specification. Errors: "


def _check_cron(api: Api, cron: dict[str, Any] | None, connection_id: str | None) -> None:
    """Refuse a cron block as the served version does (see the module docstring)."""
    if cron is None:
        if since(api.version, "1.7"):
            raise cron_problem(
                "MissingCron",
                "missing-cron-data",
                "Cron data is missing",
                "If schedule type is cron, scheduleData.cron must be provided.",
            )
        raise bad_config("if schedule type is cron, then scheduleData.cron must be populated")
    expression, zone = cron["cronExpression"], cron["cronTimeZone"]
    if api.version != "0.40":
        _check_cron_head(api, expression, zone, connection_id)
    else:
        if zone.lower().startswith("etc"):
            raise bad_config(_JSON_VALIDATION + "Etc/ timezones are unsupported")
        try:
            time_zone(zone)
        except CronError:
            raise bad_config(_JSON_VALIDATION + "invalid cron timezone") from None
        try:
            parse(expression)
        except CronError:
            raise bad_config(_JSON_VALIDATION + "invalid cron expression") from None


def _check_cron_head(api: Api, expression: str, zone: str, connection_id: str | None) -> None:
    invalid_expression = cron_problem(
        "InvalidExpression",
        "invalid-expression",
        "Invalid cron expression",
        "The cron expression is invalid",
        {"cronExpression": expression},
    )
    try:
        parsed = parse(expression)
    except CronError:
        raise invalid_expression from None
    if _fires_within_a_minute(parsed, api.now):
        raise invalid_expression
    zone_data = {"cronTimezone": zone}
    if connection_id is not None:
        zone_data = {"connectionId": connection_id, **zone_data}
    invalid_zone = cron_problem(
        "InvalidTimezone",
        "invalid-timezone",
        "Invalid cron timezone",
        "The specified cron timezone is invalid",
        zone_data,
    )
    if zone.lower().startswith("etc"):
        raise invalid_zone
    try:
        time_zone(zone)
    except CronError:
        raise invalid_zone from None


def _fires_within_a_minute(expression: CronExpression, now: float) -> bool:
    """Whether two of the next three fires after *now* (UTC) are less than 60 s apart."""
    fires: list[float] = []
    after: float | None = now
    while after is not None and len(fires) < 3:
        after = expression.next_after(after, time_zone("UTC"))
        if after is not None:
            fires.append(after)
    return any(later - earlier < 60 for earlier, later in pairwise(fires))
