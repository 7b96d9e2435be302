"""
Workspaces: list, get, create, update and delete (API-FACTS 2.1).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from .. import _render as render
from .._errors import not_found
from .._state import DEFAULT_ORGANIZATION_ID
from .._versions import since
from .actors import CURSOR_PAGE_SIZE
from .core import SINCE_050, UNTIL_050, Api, Body, Reply, page, route

_WORKSPACE_SETTINGS = frozenset(render.WORKSPACE_SETTINGS) | {
    "defaultGeography",
    "dataplaneGroupId",
    "notificationSettings",
}


def _workspace_list(api: Api, workspaces: Iterable[Any]) -> Reply:
    return Reply({"workspaces": [render.workspace(w, api.version) for w in workspaces]})


@route("/v1/workspaces/list", UNTIL_050)
async def workspaces_list(api: Api, body: Body) -> Reply:
    """Every live workspace."""
    return _workspace_list(api, api.state.live_workspaces())


@route("/v1/workspaces/list_paginated", SINCE_050)
async def workspaces_list_paginated(api: Api, body: Body) -> Reply:
    """The named workspaces, filtered and paged (default page size 20)."""
    wanted = set(body["workspaceIds"])
    found = [
        w
        for w in api.state.workspaces.values()
        if w.workspace_id in wanted
        and (body.get("includeDeleted") or not w.tombstone)
        and body.get("nameContains", "").lower() in w.name.lower()
    ]
    return _workspace_list(api, page(found, body["pagination"], 20))


@route("/v1/workspaces/list_by_organization_id", SINCE_050)
async def workspaces_list_by_organization(api: Api, body: Body) -> Reply:
    """The organization's workspaces; 404 for an unknown organization."""
    if body["organizationId"] != DEFAULT_ORGANIZATION_ID:
        raise not_found("ORGANIZATION", body["organizationId"])
    found = [
        w
        for w in api.state.live_workspaces()
        if body.get("nameContains", "").lower() in w.name.lower()
    ]
    if body.get("pagination") is not None:
        found = page(found, body["pagination"], 20)
    return _workspace_list(api, found)


@route("/v1/workspaces/get")
async def workspaces_get(api: Api, body: Body) -> Reply:
    """WorkspaceRead."""
    found = api.state.workspace(
        body["workspaceId"], include_tombstone=bool(body.get("includeTombstone"))
    )
    return Reply(render.workspace(found, api.version))


@route("/v1/workspaces/get_by_slug")
async def workspaces_get_by_slug(api: Api, body: Body) -> Reply:
    """WorkspaceRead by slug."""
    for w in api.state.live_workspaces():
        if w.slug == body["slug"]:
            return Reply(render.workspace(w, api.version))
    raise not_found("STANDARD_WORKSPACE", body["slug"])


@route("/v1/workspaces/create")
async def workspaces_create(api: Api, body: Body) -> Reply:
    """
    A new workspace in the default organization (the only one), its initial setup not
    complete (``WorkspacesHandler.createWorkspace``: ``withInitialSetupComplete(false)``).
    """
    organization = body.get("organizationId") or DEFAULT_ORGANIZATION_ID
    if organization != DEFAULT_ORGANIZATION_ID:
        raise not_found("ORGANIZATION", organization)
    settings = {k: v for k, v in body.items() if k in _WORKSPACE_SETTINGS}
    created = api.state.create_workspace(
        body["name"], organization_id=organization, settings=settings, initial_setup_complete=False
    )
    return Reply(render.workspace(created, api.version))


@route("/v1/workspaces/update")
async def workspaces_update(api: Api, body: Body) -> Reply:
    """
    Patch a workspace: a field sent as null stays as it is. A ``name`` renames it, with a new
    slug, from 1.7 on (head's ``applyPatchToStandardWorkspace``); 0.40's and 0.50's
    ``WorkspaceUpdate`` has no ``name``, and their handler renames nothing.
    """
    renames = since(api.version, "1.7")
    changes = {
        k: v
        for k, v in body.items()
        if k in _WORKSPACE_SETTINGS or k == "initialSetupComplete" or (k == "name" and renames)
    }
    updated = api.state.update_workspace(body["workspaceId"], changes)
    return Reply(render.workspace(updated, api.version))


@route("/v1/workspaces/delete")
async def workspaces_delete(api: Api, body: Body) -> Reply:
    """
    Delete a workspace, its connections, destinations and sources (see
    :meth:`State.delete_workspace`); 204. From 1.8 on (so 2.0 and head) the handler lists the
    actors with the cursor body and no page size, so only the first page of each (20, by
    name) is deleted.
    """
    first = CURSOR_PAGE_SIZE if since(api.version, "2.0") else None
    api.state.delete_workspace(body["workspaceId"], first_actors=first)
    return Reply(None, 204)
