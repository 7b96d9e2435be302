"""
Connector definitions and their specifications, for sources and destinations alike
(API-FACTS 2.2): each handler takes the kind, and :func:`_register` routes both.
"""

from __future__ import annotations

from functools import partial

from .. import _render as render
from .._catalog import DESTINATION_DEFINITIONS, SOURCE_DEFINITIONS
from .core import Api, Body, Reply, add


def _listing(api: Api, kind: str, workspace_id: str | None = None, *, used: bool) -> Reply:
    table = SOURCE_DEFINITIONS if kind == "source" else DESTINATION_DEFINITIONS
    if used and workspace_id is not None:
        in_use = {a.definition.definition_id for a in api.state.live_actors(kind, [workspace_id])}
        table = tuple(d for d in table if d.definition_id in in_use)
    return Reply({f"{kind}Definitions": [render.definition(d, api.version) for d in table]})


async def list_all(kind: str, api: Api, body: Body) -> Reply:
    """Every definition of the deployment; the route takes no body (a sent one is ignored)."""
    return _listing(api, kind, used=False)


async def list_for_workspace(kind: str, api: Api, body: Body) -> Reply:
    """The definitions a workspace may use (or uses, with ``filterByUsed``)."""
    api.state.workspace(body["workspaceId"])
    return _listing(api, kind, body["workspaceId"], used=bool(body.get("filterByUsed")))


async def get(kind: str, api: Api, body: Body) -> Reply:
    """A Source- or DestinationDefinitionRead."""
    found = api.state.definition(kind, body[f"{kind}DefinitionId"])
    return Reply(render.definition(found, api.version))


async def get_for_workspace(kind: str, api: Api, body: Body) -> Reply:
    """A definition read, checking the workspace first."""
    api.state.workspace(body["workspaceId"])
    return await get(kind, api, body)


async def specification(kind: str, api: Api, body: Body) -> Reply:
    """A Source- or DestinationDefinitionSpecificationRead."""
    api.state.workspace(body["workspaceId"])
    found = api.state.definition(kind, body[f"{kind}DefinitionId"])
    return Reply(render.definition_spec(found, api.version, api.log_format, api.now))


def _register() -> None:
    for kind in ("source", "destination"):
        base = f"/v1/{kind}_definitions"
        add(f"{base}/list", partial(list_all, kind))
        add(f"{base}/list_latest", partial(list_all, kind))
        add(f"{base}/list_for_workspace", partial(list_for_workspace, kind))
        add(f"{base}/get", partial(get, kind))
        add(f"{base}/get_for_workspace", partial(get_for_workspace, kind))
        add(f"/v1/{kind}_definition_specifications/get", partial(specification, kind))


_register()
