"""
The Config API routes: which versions have each one, and what each does to the state.

Handlers get a validated body and return a :class:`Reply`; they raise
:class:`~airbyte_async.testing._errors.ApiError` for the real server's error answers. HTTP
plumbing (auth, faults, recording, JSON) lives in ``_app``.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Awaitable, Callable, Iterable, Mapping
from typing import Any, TypeVar

import anyio
import attrs

from . import _render as render
from ._auth import AuthPolicy, RequireClientCredentials, TokenMinter
from ._catalog import DESTINATION_DEFINITIONS, SOURCE_DEFINITIONS, unreachable_host
from ._errors import ApiError, bad_config, internal, not_found
from ._load import Overloaded, TriggerLoad
from ._state import DEFAULT_ORGANIZATION_ID, Actor, Connection, JobQuery, State
from ._stats import Observer
from ._validate import parse_datetime

__all__ = ["ALL", "ROUTES", "Api", "Reply", "Route", "check_route"]

ALL = ("0.40", "0.50", "head")
SINCE_050 = ("0.50", "head")
UNTIL_050 = ("0.40", "0.50")

Body = dict[str, Any]


@attrs.frozen
class Reply:
    """
    A handler's answer: a JSON body (None for 204) and its status, or the body already encoded
    as *raw* JSON bytes.
    """

    body: Any = None
    status: int = 200
    raw: bytes | None = None


Handler = Callable[["Api", Body], Awaitable[Reply]]
H = TypeVar("H", bound=Handler)


@attrs.frozen
class Route:
    """A route: its spec path, HTTP method, versions, handler, and whether auth applies."""

    path: str
    method: str
    versions: tuple[str, ...]
    handler: Handler
    public: bool = False


#: Every emulated route by spec path (``/v1/...``, ``/public/v1/...``).
ROUTES: dict[str, Route] = {}


def route(
    path: str, versions: tuple[str, ...] = ALL, *, method: str = "POST", public: bool = False
) -> Callable[[H], H]:
    """Register the decorated handler for *path* in *versions*."""

    def register(handler: H) -> H:
        ROUTES[path] = Route(path, method, versions, handler, public)
        return handler

    return register


def _page(items: list[Any], pagination: Mapping[str, Any] | None, default: int) -> list[Any]:
    pagination = pagination or {}
    size = pagination.get("pageSize") or default
    offset = pagination.get("rowOffset") or 0
    return items[offset : offset + size]


def _epoch(text: str | None) -> float | None:
    if text is None:
        return None
    parsed = parse_datetime(text)
    return None if parsed is None else parsed.timestamp()


_CONNECTION_SETTINGS = frozenset(
    {
        "namespaceDefinition",
        "namespaceFormat",
        "prefix",
        "operationIds",
        "resourceRequirements",
        "sourceCatalogId",
        "notifySchemaChanges",
        "nonBreakingChangesPreference",
        "geography",
        "notifySchemaChangesByEmail",
        "backfillPreference",
        "dataplaneGroupId",
        "destinationCatalogId",
        "tags",
        "onDemandEnabled",
    }
)

_WORKSPACE_SETTINGS = frozenset(
    {
        "email",
        "anonymousDataCollection",
        "news",
        "securityUpdates",
        "notifications",
        "displaySetupWizard",
        "defaultGeography",
        "dataplaneGroupId",
        "notificationSettings",
    }
)


@attrs.define
class Api:
    """The route handlers, over one :class:`State`."""

    state: State
    version: str
    observer: Observer
    log_format: str = "structured"
    auth: AuthPolicy | None = None
    minter: TokenMinter | None = None
    load: TriggerLoad = attrs.field(factory=TriggerLoad)
    base_url: str = ""
    _encoded: dict[str, tuple[Connection, bytes]] = attrs.field(init=False, factory=dict)
    _catalogs: dict[int, tuple[Mapping[str, Any], bytes]] = attrs.field(init=False, factory=dict)

    @property
    def now(self) -> float:
        """The state's clock."""
        return self.state.clock()

    # -- health and instance ----------------------------------------------------------------

    @route("/v1/health", method="GET", public=True)
    async def health(self, body: Body) -> Reply:
        """HealthCheckRead."""
        return Reply({"available": True})

    @route("/v1/instance_configuration", SINCE_050, method="GET", public=True)
    async def instance_configuration(self, body: Body) -> Reply:
        """InstanceConfigurationResponse; the default workspace is the first one."""
        workspaces = self.state.live_workspaces()
        default = workspaces[0].workspace_id if workspaces else DEFAULT_ORGANIZATION_ID
        return Reply(
            render.instance_configuration(
                self.version, default, self.base_url, auth_enabled=self.auth is not None
            )
        )

    # -- workspaces -------------------------------------------------------------------------

    def _workspace_list(self, workspaces: Iterable[Any]) -> Reply:
        return Reply({"workspaces": [render.workspace(w, self.version) for w in workspaces]})

    @route("/v1/workspaces/list", UNTIL_050)
    async def workspaces_list(self, body: Body) -> Reply:
        """Every live workspace."""
        return self._workspace_list(self.state.live_workspaces())

    @route("/v1/workspaces/list_paginated", SINCE_050)
    async def workspaces_list_paginated(self, body: Body) -> Reply:
        """The named workspaces, filtered and paged (default page size 20)."""
        wanted = set(body["workspaceIds"])
        found = [
            w
            for w in self.state.workspaces.values()
            if w.workspace_id in wanted
            and (body.get("includeDeleted") or not w.tombstone)
            and body.get("nameContains", "").lower() in w.name.lower()
        ]
        return self._workspace_list(_page(found, body["pagination"], 20))

    @route("/v1/workspaces/list_by_organization_id", SINCE_050)
    async def workspaces_list_by_organization(self, body: Body) -> Reply:
        """The organization's workspaces; 404 for an unknown organization."""
        if body["organizationId"] != DEFAULT_ORGANIZATION_ID:
            raise not_found("ORGANIZATION", body["organizationId"])
        found = [
            w
            for w in self.state.live_workspaces()
            if body.get("nameContains", "").lower() in w.name.lower()
        ]
        if body.get("pagination") is not None:
            found = _page(found, body["pagination"], 20)
        return self._workspace_list(found)

    @route("/v1/workspaces/get")
    async def workspaces_get(self, body: Body) -> Reply:
        """WorkspaceRead."""
        found = self.state.workspace(
            body["workspaceId"], include_tombstone=bool(body.get("includeTombstone"))
        )
        return Reply(render.workspace(found, self.version))

    @route("/v1/workspaces/get_by_slug")
    async def workspaces_get_by_slug(self, body: Body) -> Reply:
        """WorkspaceRead by slug."""
        for w in self.state.live_workspaces():
            if w.slug == body["slug"]:
                return Reply(render.workspace(w, self.version))
        raise not_found("STANDARD_WORKSPACE", body["slug"])

    @route("/v1/workspaces/create")
    async def workspaces_create(self, body: Body) -> Reply:
        """A new workspace in the default organization (the only one)."""
        organization = body.get("organizationId") or DEFAULT_ORGANIZATION_ID
        if organization != DEFAULT_ORGANIZATION_ID:
            raise not_found("ORGANIZATION", organization)
        settings = {k: v for k, v in body.items() if k in _WORKSPACE_SETTINGS}
        created = self.state.create_workspace(
            body["name"], organization_id=organization, settings=settings
        )
        return Reply(render.workspace(created, self.version))

    @route("/v1/workspaces/update")
    async def workspaces_update(self, body: Body) -> Reply:
        """Patch a workspace."""
        changes = {
            k: v
            for k, v in body.items()
            if k in _WORKSPACE_SETTINGS or k in ("name", "initialSetupComplete")
        }
        updated = self.state.update_workspace(body["workspaceId"], changes)
        return Reply(render.workspace(updated, self.version))

    @route("/v1/workspaces/delete")
    async def workspaces_delete(self, body: Body) -> Reply:
        """Tombstone a workspace; 204."""
        self.state.delete_workspace(body["workspaceId"])
        return Reply(None, 204)

    # -- connector definitions --------------------------------------------------------------

    def _definitions(
        self, kind: str, workspace_id: str | None = None, *, used: bool = False
    ) -> Reply:
        table = SOURCE_DEFINITIONS if kind == "source" else DESTINATION_DEFINITIONS
        if used and workspace_id is not None:
            in_use = {
                a.definition.definition_id for a in self.state.live_actors(kind, [workspace_id])
            }
            table = tuple(d for d in table if d.definition_id in in_use)
        key = f"{kind}Definitions"
        return Reply({key: [render.definition(d, self.version) for d in table]})

    @route("/v1/source_definitions/list")
    async def source_definitions_list(self, body: Body) -> Reply:
        """Every source definition of the deployment."""
        return self._definitions("source")

    @route("/v1/source_definitions/list_latest")
    async def source_definitions_list_latest(self, body: Body) -> Reply:
        """The latest source definitions (the same set here)."""
        return self._definitions("source")

    @route("/v1/destination_definitions/list")
    async def destination_definitions_list(self, body: Body) -> Reply:
        """Every destination definition of the deployment."""
        return self._definitions("destination")

    @route("/v1/destination_definitions/list_latest")
    async def destination_definitions_list_latest(self, body: Body) -> Reply:
        """The latest destination definitions (the same set here)."""
        return self._definitions("destination")

    @route("/v1/source_definitions/list_for_workspace")
    async def source_definitions_for_workspace(self, body: Body) -> Reply:
        """The definitions a workspace may use (or uses, with ``filterByUsed``)."""
        self.state.workspace(body["workspaceId"])
        return self._definitions("source", body["workspaceId"], used=bool(body.get("filterByUsed")))

    @route("/v1/destination_definitions/list_for_workspace")
    async def destination_definitions_for_workspace(self, body: Body) -> Reply:
        """The definitions a workspace may use (or uses, with ``filterByUsed``)."""
        self.state.workspace(body["workspaceId"])
        used = bool(body.get("filterByUsed"))
        return self._definitions("destination", body["workspaceId"], used=used)

    async def _definition(self, kind: str, body: Body, *, workspace: bool) -> Reply:
        if workspace:
            self.state.workspace(body["workspaceId"])
        found = self.state.definition(kind, body[f"{kind}DefinitionId"])
        return Reply(render.definition(found, self.version))

    @route("/v1/source_definitions/get")
    async def source_definitions_get(self, body: Body) -> Reply:
        """SourceDefinitionRead."""
        return await self._definition("source", body, workspace=False)

    @route("/v1/source_definitions/get_for_workspace")
    async def source_definitions_get_for_workspace(self, body: Body) -> Reply:
        """SourceDefinitionRead, checking the workspace."""
        return await self._definition("source", body, workspace=True)

    @route("/v1/destination_definitions/get")
    async def destination_definitions_get(self, body: Body) -> Reply:
        """DestinationDefinitionRead."""
        return await self._definition("destination", body, workspace=False)

    @route("/v1/destination_definitions/get_for_workspace")
    async def destination_definitions_get_for_workspace(self, body: Body) -> Reply:
        """DestinationDefinitionRead, checking the workspace."""
        return await self._definition("destination", body, workspace=True)

    async def _specification(self, kind: str, body: Body) -> Reply:
        self.state.workspace(body["workspaceId"])
        found = self.state.definition(kind, body[f"{kind}DefinitionId"])
        return Reply(render.definition_spec(found, self.version, self.log_format))

    @route("/v1/source_definition_specifications/get")
    async def source_specification(self, body: Body) -> Reply:
        """SourceDefinitionSpecificationRead."""
        return await self._specification("source", body)

    @route("/v1/destination_definition_specifications/get")
    async def destination_specification(self, body: Body) -> Reply:
        """DestinationDefinitionSpecificationRead."""
        return await self._specification("destination", body)

    # -- sources and destinations -----------------------------------------------------------

    def _actor_reply(self, actor: Actor) -> Reply:
        return Reply(render.actor(actor, self.version))

    def _actor_list(self, kind: str, actors: Iterable[Actor]) -> Reply:
        return Reply({f"{kind}s": [render.actor(a, self.version) for a in actors]})

    async def _create_actor(self, kind: str, body: Body) -> Reply:
        created = self.state.create_actor(
            kind,
            workspace_id=body["workspaceId"],
            definition_id=body[f"{kind}DefinitionId"],
            name=body["name"],
            config=body["connectionConfiguration"],
        )
        return self._actor_reply(created)

    async def _list_actors(self, kind: str, body: Body) -> Reply:
        workspace_id = body["workspaceId"]
        self.state.workspace(workspace_id)
        actors = self.state.live_actors(kind, [workspace_id])
        if self.version != "head":
            return self._actor_list(kind, actors)
        return self._cursor_page(kind, actors, body)

    def _cursor_page(self, kind: str, actors: list[Actor], body: Body) -> Reply:
        """Head's cursor paging: the page after the actor named by ``cursor``."""
        listing = self._listings(kind, actors)
        filters = body.get("filters") or {}
        if states := filters.get("states"):
            actors = [a for a in actors if listing[a.actor_id]["status"] in states]
        if term := (filters.get("searchTerm") or "").lower():
            actors = [
                a for a in actors if term in a.name.lower() or term in a.definition.name.lower()
            ]
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
        size = body.get("pageSize") or 20
        page = actors[start : start + size]
        return Reply(
            {
                f"{kind}s": [
                    render.actor(a, self.version, listing=listing[a.actor_id]) for a in page
                ],
                "page_size": size,
                "num_connections": len(actors),
            }
        )

    def _listings(self, kind: str, actors: list[Actor]) -> dict[str, dict[str, Any]]:
        """Head's list-only fields per actor: connection count, status, last sync, job statuses."""
        key = "source_id" if kind == "source" else "destination_id"
        by_actor: dict[str, list[Connection]] = {a.actor_id: [] for a in actors}
        for c in self.state.connections.values():
            if c.status != "deprecated" and getattr(c, key) in by_actor:
                by_actor[getattr(c, key)].append(c)
        now = self.now
        listings = {}
        for actor_id, connections in by_actor.items():
            statuses: Counter[str] = Counter()
            last_sync = None
            for c in connections:
                jobs = self.state.jobs_of(c.connection_id)
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

    async def _list_actors_paginated(self, kind: str, body: Body) -> Reply:
        actors = [
            a
            for a in self.state.actors_of(kind).values()
            if a.workspace_id in set(body["workspaceIds"])
            and (body.get("includeDeleted") or not a.tombstone)
            and body.get("nameContains", "").lower() in a.name.lower()
        ]
        return self._actor_list(kind, _page(actors, body["pagination"], 20))

    async def _update_actor(self, kind: str, body: Body, *, partial: bool) -> Reply:
        updated = self.state.update_actor(
            kind,
            body[f"{kind}Id"],
            name=body.get("name"),
            config=body.get("connectionConfiguration"),
            partial=partial,
        )
        return self._actor_reply(updated)

    async def _check(self, kind: str, body: Body) -> Reply:
        found = self.state.actor(kind, body[f"{kind}Id"])
        host = unreachable_host(found.config, found.definition.secret_keys)
        error = None
        if host is not None:
            error = (
                "Could not connect with provided configuration. "
                f"Error: could not resolve host '{host}'"
            )
        return Reply(
            render.check_result(kind, found.actor_id, self.version, self.log_format, error)
        )

    async def _search(self, kind: str, body: Body) -> Reply:
        found = [a for a in self.state.live_actors(kind) if _actor_matches(kind, a, body)]
        return self._actor_list(kind, found)

    @route("/v1/sources/create")
    async def sources_create(self, body: Body) -> Reply:
        """SourceRead of a new source; 422 for a configuration the spec rejects."""
        return await self._create_actor("source", body)

    @route("/v1/destinations/create")
    async def destinations_create(self, body: Body) -> Reply:
        """DestinationRead of a new destination; 422 for a configuration the spec rejects."""
        return await self._create_actor("destination", body)

    @route("/v1/sources/get")
    async def sources_get(self, body: Body) -> Reply:
        """SourceRead."""
        return self._actor_reply(self.state.actor("source", body["sourceId"]))

    @route("/v1/destinations/get")
    async def destinations_get(self, body: Body) -> Reply:
        """DestinationRead."""
        return self._actor_reply(self.state.actor("destination", body["destinationId"]))

    @route("/v1/sources/list")
    async def sources_list(self, body: Body) -> Reply:
        """The workspace's sources (cursor-paged on head)."""
        return await self._list_actors("source", body)

    @route("/v1/destinations/list")
    async def destinations_list(self, body: Body) -> Reply:
        """The workspace's destinations (cursor-paged on head)."""
        return await self._list_actors("destination", body)

    @route("/v1/sources/list_paginated", SINCE_050)
    async def sources_list_paginated(self, body: Body) -> Reply:
        """Sources of several workspaces, paged by offset."""
        return await self._list_actors_paginated("source", body)

    @route("/v1/destinations/list_paginated", SINCE_050)
    async def destinations_list_paginated(self, body: Body) -> Reply:
        """Destinations of several workspaces, paged by offset."""
        return await self._list_actors_paginated("destination", body)

    @route("/v1/sources/update")
    async def sources_update(self, body: Body) -> Reply:
        """Replace a source's name and configuration; masked secrets keep their values."""
        return await self._update_actor("source", body, partial=False)

    @route("/v1/destinations/update")
    async def destinations_update(self, body: Body) -> Reply:
        """Replace a destination's name and configuration."""
        return await self._update_actor("destination", body, partial=False)

    @route("/v1/sources/partial_update", SINCE_050)
    async def sources_partial_update(self, body: Body) -> Reply:
        """Merge into a source's configuration."""
        return await self._update_actor("source", body, partial=True)

    @route("/v1/destinations/partial_update", SINCE_050)
    async def destinations_partial_update(self, body: Body) -> Reply:
        """Merge into a destination's configuration."""
        return await self._update_actor("destination", body, partial=True)

    @route("/v1/sources/delete")
    async def sources_delete(self, body: Body) -> Reply:
        """Tombstone a source and delete its connections; 204."""
        self.state.delete_actor("source", body["sourceId"])
        return Reply(None, 204)

    @route("/v1/destinations/delete")
    async def destinations_delete(self, body: Body) -> Reply:
        """Tombstone a destination and delete its connections; 204."""
        self.state.delete_actor("destination", body["destinationId"])
        return Reply(None, 204)

    @route("/v1/sources/check_connection")
    async def sources_check(self, body: Body) -> Reply:
        """CheckConnectionRead; fails for a host ending in ``.invalid``."""
        return await self._check("source", body)

    @route("/v1/destinations/check_connection")
    async def destinations_check(self, body: Body) -> Reply:
        """CheckConnectionRead; fails for a host ending in ``.invalid``."""
        return await self._check("destination", body)

    @route("/v1/sources/search")
    async def sources_search(self, body: Body) -> Reply:
        """Live sources whose fields equal the ones given."""
        return await self._search("source", body)

    @route("/v1/destinations/search")
    async def destinations_search(self, body: Body) -> Reply:
        """Live destinations whose fields equal the ones given."""
        return await self._search("destination", body)

    @route("/v1/sources/discover_schema")
    async def sources_discover(self, body: Body) -> Reply:
        """SourceDiscoverSchemaRead; no catalog when the source is unreachable."""
        source = self.state.actor("source", body["sourceId"])
        host = unreachable_host(source.config, source.definition.secret_keys)
        if host is not None:
            error = f"Discovering schema failed: could not resolve host '{host}'"
            reply = render.discover_result(
                None, source.actor_id, self.version, self.log_format, error
            )
            return Reply(reply)
        namespace: str | None = "public"
        if source.definition.namespace_key:
            namespace = str(source.config.get(source.definition.namespace_key, ""))
        elif source.definition.source_type != "database":
            namespace = None
        catalog = render.stream_catalog(self.state.discover(source), namespace, self.version)
        return Reply(
            render.discover_result(catalog, source.actor_id, self.version, self.log_format, None)
        )

    # -- connections ------------------------------------------------------------------------

    def _connection_reply(self, connection: Connection) -> Reply:
        return Reply(render.connection(connection, self.version))

    def _connection_list(self, connections: Iterable[Connection]) -> Reply:
        # Listings of thousands of connections repeat: each connection is encoded once, until
        # it changes (a change makes a new Connection object).
        parts = []
        for c in connections:
            cached = self._encoded.get(c.connection_id)
            if cached is None or cached[0] is not c:
                cached = self._encoded[c.connection_id] = (c, self._encode_connection(c))
            parts.append(cached[1])
        return Reply(raw=b'{"connections": [' + b", ".join(parts) + b"]}")

    def _encode_connection(self, c: Connection) -> bytes:
        # Seeded connections share one catalog object (catalogs are replaced, never edited in
        # place), so its JSON, most of a connection's, is encoded once and spliced in.
        body = render.connection(c, self.version)
        catalog = body.pop("syncCatalog")
        known = self._catalogs.get(id(catalog))
        if known is None or known[0] is not catalog:
            if len(self._catalogs) >= 256:
                self._catalogs.clear()
            known = self._catalogs[id(catalog)] = (catalog, json.dumps(catalog).encode())
        return json.dumps(body).encode()[:-1] + b', "syncCatalog": ' + known[1] + b"}"

    @route("/v1/connections/create")
    async def connections_create(self, body: Body) -> Reply:
        """ConnectionRead of a new connection; the schedule rules of the real server apply."""
        schedule_type, schedule_data = _schedule(body, creating=True)
        created = self.state.create_connection(
            source_id=body["sourceId"],
            destination_id=body["destinationId"],
            status=body["status"],
            name=body.get("name"),
            sync_catalog=body.get("syncCatalog"),
            schedule_type=schedule_type or "manual",
            schedule_data=schedule_data,
            settings={k: v for k, v in body.items() if k in _CONNECTION_SETTINGS},
        )
        return self._connection_reply(created)

    @route("/v1/connections/get")
    async def connections_get(self, body: Body) -> Reply:
        """ConnectionRead (deleted connections read as ``deprecated``)."""
        return self._connection_reply(self.state.connection(body["connectionId"]))

    @route("/v1/connections/update")
    async def connections_update(self, body: Body) -> Reply:
        """Patch a connection; the legacy ``schedule`` is refused with a 500 as on the server."""
        current = self.state.connection(body["connectionId"])
        if body.get("schedule") is not None:
            raise internal(
                "ConnectionUpdate should only make changes to the schedule by setting "
                "scheduleType and scheduleData. 'schedule' is no longer supported.",
                "java.lang.IllegalArgumentException",
            )
        schedule_type, schedule_data = _schedule(body, creating=False)
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
            **{k: v for k, v in body.items() if k in _CONNECTION_SETTINGS},
        }
        updated = attrs.evolve(current, settings=settings, **changes)
        return self._connection_reply(self.state.replace_connection(updated))

    @route("/v1/connections/delete")
    async def connections_delete(self, body: Body) -> Reply:
        """Mark a connection ``deprecated``; 204."""
        self.state.delete_connection(body["connectionId"])
        return Reply(None, 204)

    @route("/v1/connections/list")
    async def connections_list(self, body: Body) -> Reply:
        """The workspace's connections, without deleted ones."""
        self.state.workspace(body["workspaceId"])
        return self._connection_list(
            self.state.connections_in([body["workspaceId"]], deleted=False)
        )

    @route("/v1/connections/list_all")
    async def connections_list_all(self, body: Body) -> Reply:
        """The workspace's connections, deleted ones included."""
        self.state.workspace(body["workspaceId"])
        return self._connection_list(self.state.connections_in([body["workspaceId"]], deleted=True))

    @route("/v1/connections/list_paginated", SINCE_050)
    async def connections_list_paginated(self, body: Body) -> Reply:
        """Connections of several workspaces, paged by offset (default 20)."""
        found = self.state.connections_in(
            body["workspaceIds"], deleted=bool(body.get("includeDeleted"))
        )
        return self._connection_list(_page(found, body.get("pagination"), 20))

    @route("/v1/connections/search")
    async def connections_search(self, body: Body) -> Reply:
        """Live connections whose fields equal the ones given."""
        found = [
            c
            for c in self.state.connections.values()
            if c.status != "deprecated" and self._connection_matches(c, body)
        ]
        return self._connection_list(found)

    def _connection_matches(self, c: Connection, search: Body) -> bool:
        values = {
            "connectionId": c.connection_id,
            "name": c.name,
            "sourceId": c.source_id,
            "destinationId": c.destination_id,
            "status": c.status,
            "scheduleType": c.schedule_type,
            "namespaceDefinition": c.settings.get("namespaceDefinition", "destination"),
            "prefix": c.settings.get("prefix"),
        }
        for key, value in values.items():
            if search.get(key) is not None and search[key] != value:
                return False
        for kind in ("source", "destination"):
            sub = search.get(kind)
            actor = self.state.actor(kind, c.source_id if kind == "source" else c.destination_id)
            if isinstance(sub, dict) and not _actor_matches(kind, actor, sub):
                return False
        return True

    async def _trigger(self, body: Body, config_type: str) -> Reply:
        in_flight = self.observer.sync_started(self.now)
        try:
            try:
                latency = self.load.admit(in_flight)
            except Overloaded:
                self.observer.triggers_rejected += 1
                raise
            created = self.state.trigger(body["connectionId"], config_type, latency=latency)
            # The real server answers once the workflow runs the job (API-FACTS 6.3b): the
            # snapshot is taken then, never earlier than the job's start.
            await anyio.sleep(latency)
            answered_at = max(self.now, created.created_at + latency)
            current = self.state.job(created.job_id)
            return Reply(render.job_info(current, self.version, answered_at, self.log_format))
        finally:
            self.observer.sync_finished(self.now)

    @route("/v1/connections/sync")
    async def connections_sync(self, body: Body) -> Reply:
        """
        JobInfoRead of a new sync job, answered once it runs; 409 while one runs, 500 for an
        inactive connection, 503 past the load model's overload bound.
        """
        return await self._trigger(body, "sync")

    @route("/v1/connections/reset")
    async def connections_reset(self, body: Body) -> Reply:
        """JobInfoRead of a new reset job, answered once it runs; 409 while a job runs."""
        return await self._trigger(body, "reset_connection")

    @route("/v1/connections/status", SINCE_050)
    async def connections_status(self, body: Body) -> Reply:
        """A ConnectionStatusRead per connection; 404 for any unknown one."""
        now = self.now
        reads = []
        for connection_id in body["connectionIds"]:
            connection = self.state.connection(connection_id)
            jobs = self.state.jobs_of(connection_id)
            reads.append(render.connection_status(connection, jobs, self.version, now))
        return Reply(reads)

    @route("/v1/connections/sync_progress", SINCE_050)
    async def connections_sync_progress(self, body: Body) -> Reply:
        """Live counters of the connection's running job."""
        connection = self.state.connection(body["connectionId"])
        active = self.state.active_job(connection.connection_id)
        return Reply(render.sync_progress(connection, active, self.version, self.now))

    # -- jobs -------------------------------------------------------------------------------

    @route("/v1/jobs/get")
    async def jobs_get(self, body: Body) -> Reply:
        """JobInfoRead with logs; 500 for an unknown id, as on the real server."""
        found = self.state.job(body["id"])
        return Reply(render.job_info(found, self.version, self.now, self.log_format))

    @route("/v1/jobs/get_light")
    async def jobs_get_light(self, body: Body) -> Reply:
        """JobInfoLightRead."""
        found = self.state.job(body["id"])
        return Reply({"job": render.job(found, self.version, self.now)})

    @route("/v1/jobs/get_without_logs", SINCE_050)
    async def jobs_get_without_logs(self, body: Body) -> Reply:
        """JobInfoRead without logs."""
        found = self.state.job(body["id"])
        return Reply(render.job_info(found, self.version, self.now, self.log_format, logs=False))

    @route("/v1/jobs/cancel")
    async def jobs_cancel(self, body: Body) -> Reply:
        """
        Always 200: the connection's current job is cancelled, whatever id was sent, and the
        requested job is read again (API-FACTS 6.3b); 500 for a deleted connection.
        """
        cancelled = self.state.cancel(body["id"])
        return Reply(render.job_info(cancelled, self.version, self.now, self.log_format))

    @route("/v1/jobs/get_last_replication_job")
    async def jobs_last_replication(self, body: Body) -> Reply:
        """JobOptionalRead: the newest job not cancelled, or ``{}``."""
        found = self.state.last_replication_job(body["connectionId"])
        return Reply({} if found is None else {"job": render.job(found, self.version, self.now)})

    async def _list_jobs(self, body: Body, *, workspaces: bool) -> Reply:
        if not body["configTypes"]:
            raise internal("configTypes must not be empty")
        pagination = body.get("pagination") or {}
        workspace_ids = body.get("workspaceIds") if workspaces else None
        query = JobQuery(
            config_types=frozenset(body["configTypes"]),
            config_id=body.get("configId"),
            workspace_ids=None if workspace_ids is None else frozenset(workspace_ids),
            statuses=frozenset(body["statuses"]) if body.get("statuses") else None,
            created_start=_epoch(body.get("createdAtStart")),
            created_end=_epoch(body.get("createdAtEnd")),
            updated_start=_epoch(body.get("updatedAtStart")),
            updated_end=_epoch(body.get("updatedAtEnd")),
            order_by_updated=body.get("orderByField") == "updatedAt",
            descending=body.get("orderByMethod", "DESC") == "DESC",
            offset=pagination.get("rowOffset") or 0,
            limit=pagination.get("pageSize") or 200,
            including_job_id=body.get("includingJobId"),
        )
        page, total = self.state.list_jobs(query)
        now = self.now
        jobs = [render.job_with_attempts(j, self.version, now) for j in page]
        return Reply({"jobs": jobs, "totalJobCount": total})

    @route("/v1/jobs/list")
    async def jobs_list(self, body: Body) -> Reply:
        """JobReadList, newest first by default, 200 a page."""
        return await self._list_jobs(body, workspaces=False)

    @route("/v1/jobs/list_for_workspaces", SINCE_050)
    async def jobs_list_for_workspaces(self, body: Body) -> Reply:
        """JobReadList across workspaces (all of them when ``workspaceIds`` is absent)."""
        return await self._list_jobs(body, workspaces=True)

    # -- applications -----------------------------------------------------------------------

    def _mint(self, client_id: object, client_secret: object, *, public: bool) -> str:
        policy = self.auth
        if (
            not isinstance(policy, RequireClientCredentials)
            or self.minter is None
            or not policy.matches(client_id, client_secret)
        ):
            status = policy.reject_status if isinstance(policy, RequireClientCredentials) else 400
            if public:
                status = 400
            message = "Invalid client id or token"
            if status == 500:
                raise internal(message, "java.lang.IllegalArgumentException")
            raise ApiError(
                status,
                message,
                exception_class="io.airbyte.commons.server.errors.BadRequestException",
                known=status == 400,
            )
        return self.minter.mint(str(client_id))

    @route("/v1/applications/token", SINCE_050, public=True)
    async def applications_token(self, body: Body) -> Reply:
        """AccessToken for an application's client id and secret."""
        token = self._mint(body["client_id"], body["client_secret"], public=False)
        return Reply({"access_token": token})

    @route("/public/v1/applications/token", ("head",), public=True)
    async def public_applications_token(self, body: Body) -> Reply:
        """PublicAccessTokenResponse (JSON or form body)."""
        token = self._mint(body.get("client_id"), body.get("client_secret"), public=True)
        lifetime = self.minter.lifetime if self.minter is not None else 0.0
        return Reply({"access_token": token, "token_type": "Bearer", "expires_in": int(lifetime)})


def _actor_matches(kind: str, actor: Actor, search: Mapping[str, Any]) -> bool:
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
        secret = actor.definition.secret_keys
        for key, value in wanted.items():
            if key not in secret and actor.config.get(key) != value:
                return False
    return True


def _schedule(body: Body, *, creating: bool) -> tuple[str | None, dict[str, Any] | None]:
    """The schedule type and data a create or update asks for, checked as the server does."""
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
        if data is not None and not creating:
            raise bad_config("a manual schedule must not carry schedule data")
        return "manual", None
    if data is None:
        raise bad_config("schedule data must be populated if schedule type is populated")
    if schedule_type == "basic" and data.get("basicSchedule") is None:
        raise bad_config("if schedule type is basic, then scheduleData.basic must be populated")
    if schedule_type == "cron" and data.get("cron") is None:
        raise bad_config("if schedule type is cron, then scheduleData.cron must be populated")
    return schedule_type, data


def check_route(route_path: str, version: str) -> Route | None:
    """The route for *route_path* in *version*, or None when the version has no such route."""
    found = ROUTES.get(route_path)
    return found if found is not None and version in found.versions else None
