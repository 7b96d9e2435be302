"""
Sources and destinations, written once (API-FACTS 2.3, 2.4): each handler takes the kind, and
:func:`_register` routes both. Configurations are checked against the definition's spec by
the state (422 "does not fulfill the specification"); secrets read back masked.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping
from functools import partial
from typing import Any

from .. import _render as render
from .._catalog import unreachable_host
from .._errors import not_found
from .._state import Actor, Connection
from .._versions import since
from .core import SINCE_050, Api, Body, Reply, add, page, route

__all__ = ["CURSOR_PAGE_SIZE", "actor_matches"]

#: The page a cursor-paged listing (2.0, head) answers without ``pageSize`` (``DEFAULT_PAGE_SIZE``).
CURSOR_PAGE_SIZE = 20


def _actor_reply(api: Api, actor: Actor) -> Reply:
    return Reply(render.actor(actor, api.version))


def _actor_list(api: Api, kind: str, actors: Iterable[Actor]) -> Reply:
    return Reply({f"{kind}s": [render.actor(a, api.version) for a in actors]})


def _cursor_page(api: Api, kind: str, actors: list[Actor], body: Body) -> Reply:
    """Head's cursor paging: the page after the actor named by ``cursor``."""
    listing = _listings(api, kind, actors)
    filters = body.get("filters") or {}
    if states := filters.get("states"):
        actors = [a for a in actors if listing[a.actor_id]["status"] in states]
    if term := (filters.get("searchTerm") or "").lower():
        actors = [a for a in actors if term in a.name.lower() or term in a.definition.name.lower()]
    sort_key = body.get("sortKey") or "actorName_asc"
    field, _, direction = sort_key.rpartition("_")
    if field == "actorName":
        actors.sort(key=lambda a: (a.name.lower(), a.actor_id))
    elif field == "actorDefinitionName":
        actors.sort(key=lambda a: (a.definition.name.lower(), a.actor_id))
    else:
        actors.sort(key=lambda a: (listing[a.actor_id].get("lastSync", 0), a.actor_id))
    if direction == "desc":
        actors.reverse()
    start = 0
    if (cursor := body.get("cursor")) is not None:
        ids = [a.actor_id for a in actors]
        if cursor not in ids:
            raise not_found(f"{kind.upper()}_CONNECTION", cursor)
        start = ids.index(cursor) + 1
    size = body.get("pageSize") or CURSOR_PAGE_SIZE
    chosen = actors[start : start + size]
    return Reply(
        {
            f"{kind}s": [render.actor(a, api.version, listing=listing[a.actor_id]) for a in chosen],
            "page_size": size,
            "num_connections": len(actors),
        }
    )


def _listings(api: Api, kind: str, actors: list[Actor]) -> dict[str, dict[str, Any]]:
    """Head's list-only fields per actor: connection count, status, last sync, job statuses."""
    key = "source_id" if kind == "source" else "destination_id"
    by_actor: dict[str, list[Connection]] = {a.actor_id: [] for a in actors}
    for c in api.state.connections.values():
        if c.status != "deprecated" and getattr(c, key) in by_actor:
            by_actor[getattr(c, key)].append(c)
    now = api.now
    listings = {}
    for actor_id, connections in by_actor.items():
        statuses: Counter[str] = Counter()
        last_sync = None
        for c in connections:
            jobs = api.state.jobs_of(c.connection_id)
            if jobs:
                statuses[jobs[-1].status(now)] += 1
                last_sync = max(last_sync or 0, int(jobs[-1].created_at))
        active = any(c.status == "active" for c in connections)
        listing: dict[str, Any] = {
            "numConnections": len(connections),
            "status": "active" if active else "inactive",
            "connectionJobStatuses": {k: v for k, v in statuses.items() if k != "queued"},
        }
        if last_sync is not None:
            listing["lastSync"] = last_sync
        listings[actor_id] = listing
    return listings


async def create(kind: str, api: Api, body: Body) -> Reply:
    """The new actor's read; 404 for an unknown workspace or definition, 422 for a
    configuration its spec rejects."""
    created = api.state.create_actor(
        kind,
        workspace_id=body["workspaceId"],
        definition_id=body[f"{kind}DefinitionId"],
        name=body["name"],
        config=body["connectionConfiguration"],
    )
    return _actor_reply(api, created)


async def get(kind: str, api: Api, body: Body) -> Reply:
    """A SourceRead or DestinationRead (deleted ones too)."""
    return _actor_reply(api, api.state.actor(kind, body[f"{kind}Id"]))


async def list_in_workspace(kind: str, api: Api, body: Body) -> Reply:
    """
    The workspace's live actors; cursor-paged and filtered from 1.8 on (2.0, head). An unknown
    or deleted workspace has none: the handlers (``listSourcesForWorkspace``,
    ``listDestinationsForWorkspace``) list by workspace id without looking the workspace up.
    """
    workspace_id = body["workspaceId"]
    actors = api.state.live_actors(kind, [workspace_id])
    if not since(api.version, "2.0"):
        return _actor_list(api, kind, actors)
    return _cursor_page(api, kind, actors, body)


async def list_paginated(kind: str, api: Api, body: Body) -> Reply:
    """Actors of several workspaces, paged by offset (20 by default)."""
    wanted = set(body["workspaceIds"])
    actors = [
        a
        for a in api.state.actors_of(kind).values()
        if a.workspace_id in wanted
        and (body.get("includeDeleted") or not a.tombstone)
        and body.get("nameContains", "").lower() in a.name.lower()
    ]
    return _actor_list(api, kind, page(actors, body["pagination"], 20))


async def update(kind: str, api: Api, body: Body, *, merge: bool = False) -> Reply:
    """Replace (or with *merge*, patch) the name and configuration; masked secrets sent back
    keep their stored values; the result is checked against the spec."""
    updated = api.state.update_actor(
        kind,
        body[f"{kind}Id"],
        name=body.get("name"),
        config=body.get("connectionConfiguration"),
        partial=merge,
    )
    return _actor_reply(api, updated)


async def delete(kind: str, api: Api, body: Body) -> Reply:
    """Tombstone the actor and delete its connections; 204."""
    api.state.delete_actor(kind, body[f"{kind}Id"])
    return Reply(None, 204)


async def check_connection(kind: str, api: Api, body: Body) -> Reply:
    """CheckConnectionRead; fails for a host ending in ``.invalid``."""
    found = api.state.actor(kind, body[f"{kind}Id"])
    host = unreachable_host(found.config, found.definition.secret_paths)
    error = None
    if host is not None:
        error = (
            f"Could not connect with provided configuration. Error: could not resolve host '{host}'"
        )
    return Reply(
        render.check_result(kind, found.actor_id, api.version, api.log_format, error, api.now)
    )


async def search(kind: str, api: Api, body: Body) -> Reply:
    """Live actors whose fields equal the ones given."""
    found = [a for a in api.state.live_actors(kind) if actor_matches(kind, a, body)]
    return _actor_list(api, kind, found)


@route("/v1/sources/discover_schema")
async def sources_discover(api: Api, body: Body) -> Reply:
    """SourceDiscoverSchemaRead; no catalog when the source is unreachable."""
    return _discovered(api, api.state.actor("source", body["sourceId"]))


@route("/v1/scheduler/sources/discover_schema")
async def scheduler_discover(api: Api, body: Body) -> Reply:
    """
    SourceDiscoverSchemaRead of a configuration no source stores (API-FACTS 2.7): discovered
    as is, no stored secret filled in for a mask, nothing created
    (airbyte-platform ``SchedulerHandler.discoverSchemaForSourceFromSourceCreate``).
    """
    workspace_id = body["workspaceId"]
    api.state.workspace(workspace_id)
    definition = api.state.definition("source", body["sourceDefinitionId"])
    unsaved = Actor(
        actor_id="",
        workspace_id=workspace_id,
        definition=definition,
        name="",
        config=body["connectionConfiguration"],
        created_at=api.now,
    )
    return _discovered(api, unsaved)


def _discovered(api: Api, source: Actor) -> Reply:
    host = unreachable_host(source.config, source.definition.secret_paths)
    config_id = source.actor_id or None
    if host is not None:
        error = f"Discovering schema failed: could not resolve host '{host}'"
        reply = render.discover_result(None, config_id, api.version, api.log_format, error, api.now)
        return Reply(reply)
    namespace: str | None = "public"
    if source.definition.namespace_key:
        namespace = str(source.config.get(source.definition.namespace_key, ""))
    elif source.definition.source_type != "database":
        namespace = None
    catalog = render.stream_catalog(api.state.discover(source), namespace, api.version)
    return Reply(
        render.discover_result(catalog, config_id, api.version, api.log_format, None, api.now)
    )


def actor_matches(kind: str, actor: Actor, search: Mapping[str, Any]) -> bool:
    """True when *actor* has every field *search* gives (secrets are never compared)."""
    values = {
        f"{kind}DefinitionId": actor.definition.definition_id,
        f"{kind}Id": actor.actor_id,
        "workspaceId": actor.workspace_id,
        "name": actor.name,
        f"{kind}Name": actor.definition.name,
    }
    for key, value in values.items():
        if search.get(key) is not None and search[key] != value:
            return False
    wanted = search.get("connectionConfiguration")
    if isinstance(wanted, dict):
        secret = {path[0] for path in actor.definition.secret_paths if len(path) == 1}
        for key, value in wanted.items():
            if key not in secret and actor.config.get(key) != value:
                return False
    return True


def _register() -> None:
    for kind in ("source", "destination"):
        base = f"/v1/{kind}s"
        add(f"{base}/create", partial(create, kind))
        add(f"{base}/get", partial(get, kind))
        add(f"{base}/list", partial(list_in_workspace, kind))
        add(f"{base}/list_paginated", partial(list_paginated, kind), SINCE_050)
        add(f"{base}/update", partial(update, kind))
        add(f"{base}/partial_update", partial(update, kind, merge=True), SINCE_050)
        add(f"{base}/delete", partial(delete, kind))
        add(f"{base}/check_connection", partial(check_connection, kind))
        add(f"{base}/search", partial(search, kind))


_register()
