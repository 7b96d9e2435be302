"""
airbyte-async in an aiohttp.web application: one client for the application's whole life,
opened in a cleanup context on startup and closed on shutdown, shared by every request.

    AIRBYTE_URL=http://localhost:8000 AIRBYTE_USERNAME=airbyte AIRBYTE_PASSWORD=password \\
        python examples/web_app.py

    curl -X POST localhost:8080/connections/<connection-id>/sync   # 202, the new job
    curl localhost:8080/jobs/<job-id>                              # 200, the job now
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

from aiohttp import web

from airbyte_async import (
    AirbyteClient,
    AirbyteError,
    InvalidArgumentError,
    Job,
    NotFoundError,
    SyncAlreadyRunningError,
)

CLIENT = web.AppKey("airbyte_client", AirbyteClient)


def job_json(job: Job) -> dict[str, Any]:
    """What the handlers answer for a job."""
    return {
        "job_id": job.id,
        "connection_id": job.connection_id,
        "status": str(job.status),
        "records_synced": job.records_synced,
        "bytes_synced": job.bytes_synced,
        "failure_reason": job.failure_reason,
    }


async def trigger_sync(request: web.Request) -> web.Response:
    """``POST /connections/{connection_id}/sync``: start a sync; 202 with the job."""
    client = request.app[CLIENT]
    try:
        job = await client.connections.sync(connection_id=request.match_info["connection_id"])
    except InvalidArgumentError as e:
        # The caller's id is no id: nothing was sent to Airbyte.
        raise web.HTTPBadRequest(text=str(e)) from e
    except SyncAlreadyRunningError as e:
        raise web.HTTPConflict(text=e.message) from e
    except NotFoundError as e:
        raise web.HTTPNotFound(text="no such connection") from e
    except AirbyteError as e:
        raise web.HTTPBadGateway(text=f"Airbyte: {e}") from e
    return web.json_response(job_json(job), status=202)


async def read_job(request: web.Request) -> web.Response:
    """``GET /jobs/{job_id}``: the job as Airbyte has it now."""
    try:
        job_id = int(request.match_info["job_id"])
    except ValueError as e:
        raise web.HTTPBadRequest(text="a job id is a number") from e
    try:
        job = await request.app[CLIENT].jobs.get(job_id=job_id)
    except InvalidArgumentError as e:  # a negative id, say
        raise web.HTTPBadRequest(text=str(e)) from e
    except NotFoundError as e:
        raise web.HTTPNotFound(text=f"no job {job_id}") from e
    except AirbyteError as e:
        # Anything else Airbyte could not answer (an outage past the retries, a 5xx).
        raise web.HTTPBadGateway(text=f"Airbyte: {e}") from e
    return web.json_response(job_json(job))


def create_app(airbyte_url: str | None = None) -> web.Application:
    """The application; *airbyte_url* defaults to ``AIRBYTE_URL``, credentials to ``AIRBYTE_*``."""

    async def airbyte_client(app: web.Application) -> AsyncIterator[None]:
        # Created here, inside the running loop; closed when the application shuts down.
        async with AirbyteClient(airbyte_url) as client:
            app[CLIENT] = client
            yield

    app = web.Application()
    app.cleanup_ctx.append(airbyte_client)
    app.router.add_post("/connections/{connection_id}/sync", trigger_sync)
    app.router.add_get("/jobs/{job_id}", read_job)
    return app


if __name__ == "__main__":
    web.run_app(create_app(), port=8080)
