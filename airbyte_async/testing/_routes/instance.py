"""
Health and the instance configuration: the routes that need no state but the version.
"""

from __future__ import annotations

from .. import _render as render
from .._state import DEFAULT_ORGANIZATION_ID
from .core import SINCE_050, Api, Body, Reply, route


@route("/v1/health", method="GET", public=True)
async def health(api: Api, body: Body) -> Reply:
    """HealthCheckRead."""
    return Reply({"available": True})


@route("/v1/instance_configuration", SINCE_050, method="GET", public=True)
async def instance_configuration(api: Api, body: Body) -> Reply:
    """InstanceConfigurationResponse; the default workspace is the first one."""
    workspaces = api.state.live_workspaces()
    default = workspaces[0].workspace_id if workspaces else DEFAULT_ORGANIZATION_ID
    return Reply(
        render.instance_configuration(
            api.version, default, api.base_url, auth_enabled=api.auth is not None
        )
    )
