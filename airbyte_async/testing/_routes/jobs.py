"""
Jobs: read, list, cancel (API-FACTS 2.6, 3, 4, 6.3b).
"""

from __future__ import annotations

from .. import _render as render
from .._errors import internal
from .._state import Job, JobQuery
from .._validate import read_datetime
from .core import SINCE_050, SINCE_17, Api, Body, Reply, route


@route("/v1/jobs/get")
async def jobs_get(api: Api, body: Body) -> Reply:
    """JobInfoRead with logs; 500 for an unknown id, as on the real server."""
    found = api.state.job(body["id"])
    return Reply(render.job_info(found, api.version, api.now, api.log_format))


@route("/v1/jobs/get_light")
async def jobs_get_light(api: Api, body: Body) -> Reply:
    """JobInfoLightRead."""
    found = api.state.job(body["id"])
    return Reply({"job": render.job(found, api.version, api.now)})


@route("/v1/jobs/get_without_logs", SINCE_050)
async def jobs_get_without_logs(api: Api, body: Body) -> Reply:
    """JobInfoRead without logs."""
    found = api.state.job(body["id"])
    return Reply(render.job_info(found, api.version, api.now, api.log_format, logs=False))


async def cancel(api: Api, job_id: int) -> Job:
    """
    Cancel as ``SchedulerHandler.cancelJob`` does (API-FACTS 6.3b): on a scheduler thread,
    which triggers wait for too (see ``_load``), signal the job's connection and wait while its
    workflow still runs (its current job stops *cancel_latency* seconds later, unless it ends
    first), then read the requested job again. The Config API's ``jobs/cancel`` and the
    public ``DELETE /jobs/{jobId}`` both go through it.
    """
    observer = api.observer
    observer.cancel_started()
    try:
        async with api.threads.thread():
            stops_at = api.state.cancel(job_id, latency=api.cancel_latency)
            await api.clock.sleep(max(0.0, stops_at - api.now))
            return api.state.job(job_id)
    finally:
        observer.cancel_finished()


@route("/v1/jobs/cancel")
async def jobs_cancel(api: Api, body: Body) -> Reply:
    """
    200 once the job stopped: the connection's current job is cancelled, whatever id was
    sent, and the requested job is read again (API-FACTS 6.3b); 500 for a deleted connection,
    and for a connection that runs no job (see ``State.stop_current``).
    """
    cancelled = await cancel(api, body["id"])
    return Reply(render.job_info(cancelled, api.version, api.now, api.log_format))


@route("/v1/jobs/get_last_replication_job")
async def jobs_last_replication(api: Api, body: Body) -> Reply:
    """JobOptionalRead: the newest job not cancelled, or ``{}``."""
    found = api.state.last_replication_job(body["connectionId"])
    return Reply({} if found is None else {"job": render.job(found, api.version, api.now)})


@route("/v1/jobs/get_last_replication_job_with_cancel", SINCE_17)
async def jobs_last_scheduled(api: Api, body: Body) -> Reply:
    """
    JobOptionalRead: the newest job Airbyte's scheduler started, cancelled or not, or ``{}``;
    a manual sync is none (``DefaultJobPersistence.getLastReplicationJobWithCancel``, see
    ``_schedule``).
    """
    found = api.state.last_scheduled_job(body["connectionId"])
    return Reply({} if found is None else {"job": render.job(found, api.version, api.now)})


#: The constant names of the order fields, which 0.50's ``JobHistoryHandler`` hands on.
_CONSTANTS = {"createdAt": "CREATED_AT", "updatedAt": "UPDATED_AT"}


async def _list_jobs(api: Api, body: Body, *, workspaces: bool) -> Reply:
    """
    A JobReadList as ``JobHistoryHandler`` lists it. The order: newest created first when no
    field is sent (``DefaultJobPersistence.getJobOrderBy``) or, on ``jobs/list`` from 1.7 on,
    when either field or method is missing (``JobServiceDataImpl.buildPageable``); else
    ascending only for ``ASC``. 0.50 passes the field's enum constant (``UPDATED_AT``), which
    ``getJobOrderBy`` does not know: any order field is a 500 there (airbytehq/airbyte#34472,
    fixed by airbyte-platform ``eb2504aa``, later handlers passing ``value()``). From 1.7 on,
    ``jobs/list`` pages by ``Pageable.from(rowOffset / pageSize, pageSize)``: an offset is
    rounded down to a whole page, and a page size of 0 divides by zero.
    """
    if not body["configTypes"]:
        raise internal("configTypes must not be empty")
    pagination = body.get("pagination") or {}
    workspace_ids = body.get("workspaceIds") if workspaces else None
    if api.version == "0.40":
        # 0.40's JobListRequestBody has no filters and no order (API-FACTS 4, 8): Jackson drops
        # them, and every job comes newest first.
        body = {k: body[k] for k in ("configTypes", "configId", "includingJobId") if k in body}
    field, method = body.get("orderByField"), body.get("orderByMethod")
    if api.version == "0.50" and field is not None:
        raise internal(
            f"Value '{_CONSTANTS[field]}' is not valid for jobs orderByField",
            "java.lang.IllegalArgumentException",
        )
    # jobs/list runs on Micronaut Data from 1.7 on (JobServiceDataImpl), the other listings on
    # jOOQ (DefaultJobPersistence).
    micronaut = not workspaces and api.version not in ("0.40", "0.50")
    if field is None or (micronaut and method is None):
        field, method = "createdAt", "DESC"
    limit = _bound(pagination.get("pageSize"), 200)
    offset = _bound(pagination.get("rowOffset"), 0)
    if micronaut and "includingJobId" not in body:
        if limit == 0:
            raise internal("/ by zero", "java.lang.ArithmeticException")
        offset -= offset % limit  # Pageable.from(offset / limit, limit): whole pages
    query = JobQuery(
        config_types=frozenset(body["configTypes"]),
        config_id=body.get("configId"),
        workspace_ids=None if workspace_ids is None else frozenset(workspace_ids),
        statuses=frozenset(body["statuses"]) if body.get("statuses") else None,
        created_start=_epoch(body.get("createdAtStart")),
        created_end=_epoch(body.get("createdAtEnd")),
        updated_start=_epoch(body.get("updatedAtStart")),
        updated_end=_epoch(body.get("updatedAtEnd")),
        order_by_updated=field == "updatedAt",
        descending=method != "ASC",
        offset=offset,
        limit=limit,
        including_job_id=body.get("includingJobId"),
    )
    page, total = api.state.list_jobs(query)
    now = api.now
    jobs = [render.job_with_attempts(j, api.version, now) for j in page]
    if workspaces:
        # JobHistoryHandler.listJobsForWorkspaces answers totalJobCount(jobs.size()): the
        # page's length, not the matches (0.50 and head alike).
        total = len(page)
    return Reply({"jobs": jobs, "totalJobCount": total})


@route("/v1/jobs/list")
async def jobs_list(api: Api, body: Body) -> Reply:
    """JobReadList, newest first by default, 200 a page."""
    return await _list_jobs(api, body, workspaces=False)


@route("/v1/jobs/list_for_workspaces", SINCE_050)
async def jobs_list_for_workspaces(api: Api, body: Body) -> Reply:
    """
    JobReadList across the workspaces named; its ``totalJobCount`` is the page's length, as on
    Airbyte. No ``workspaceIds`` is a 500: ``JobHistoryHandler.listJobsForWorkspaces`` hands
    the request's list to ``listJobsLight``, whose query filters
    ``ACTOR.WORKSPACE_ID.in(workspaceIds)`` with no case for a null (airbytehq/airbyte-platform
    ``JobHistoryHandler.kt``, ``DefaultJobPersistence``); an empty list matches nothing.
    """
    if body.get("workspaceIds") is None:
        raise internal(
            "Parameter specified as non-null is null: parameter workspaceIds",
            "java.lang.NullPointerException",
        )
    return await _list_jobs(api, body, workspaces=True)


def _bound(sent: int | None, default: int) -> int:
    """
    A page size or row offset as ``JobHistoryHandler`` uses it: the default when absent, else
    as sent (0 is a page of nothing), and a negative one fails in the database: 500.
    """
    if sent is None:
        return default
    if sent < 0:
        raise internal(f"ERROR: LIMIT/OFFSET must not be negative: {sent}")
    return sent


def _epoch(text: str | None) -> float | None:
    if text is None:
        return None
    parsed = read_datetime(text)
    return None if parsed is None else parsed.timestamp()
