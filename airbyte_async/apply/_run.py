"""
The I/O half of apply: read a :class:`~._plan.Snapshot` of the server (:func:`read_snapshot`),
and execute exactly a plan's items (:func:`execute`) once a fresh read shows that nothing the
plan read has moved.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator, Mapping, Sequence
from functools import partial
from typing import TYPE_CHECKING, Any

import attrs

from .._checks import canonical_uuid, is_uuid
from .._diff import connection_differences
from .._retry import is_retryable
from .._secrets import SECRET_MASK, flagged_paths
from ..catalog import modes_toward
from ..errors import (
    AirbyteError,
    AmbiguousMatchError,
    InvalidArgumentError,
    LookupFailedError,
    NoMatchError,
    NotFoundError,
    SpecError,
    StalePlanError,
)
from ..models import (
    Catalog,
    Connection,
    ConnectionSettings,
    DefinitionSpecification,
    Destination,
    DestinationDefinition,
    DestinationSyncMode,
    DiscoveredSchema,
    EnsureAction,
    ScheduleType,
    Source,
    SourceDefinition,
)
from ..resources import Destinations, Sources
from ..resources._public import public_mode
from ..resources._written import create_once
from ._plan import (
    FIXED_SOURCE,
    UPDATED_SOURCE,
    ActorWrite,
    ConnectionWrite,
    ModesByStream,
    Plan,
    PlanItem,
    Snapshot,
    actor_id,
    fingerprint,
    make_plan,
    modes_for,
    selected_catalog,
    show_changes,
)
from ._spec import Spec
from ._types import declared_types

if TYPE_CHECKING:
    from .._client import AirbyteClient

__all__ = ["apply", "execute", "plan", "read_snapshot"]


async def read_snapshot(
    client: AirbyteClient, spec: Spec, *, workspace_id: str | None = None
) -> Snapshot:
    """
    Read what planning *spec* needs, once: the workspace (*workspace_id*, else the spec's,
    else the server's default: on the public API, the only one listed), the definitions it
    names (each once, those named by name from one list per kind; on the Config API, with
    their specifications: the fields they flag secret, the types they declare, and the schema
    every configuration is checked against), the workspace's sources, destinations and
    connections, and the catalogs of the sources its connections read.
    Definitions that do not resolve become the snapshot's problems.
    """
    if not isinstance(spec, Spec):
        raise InvalidArgumentError(
            f"spec must be a Spec (load() reads one from a file), got {type(spec).__name__}"
        )
    chosen = workspace_id or spec.workspace_id
    if chosen is None:
        try:
            chosen = (await client.workspaces.default()).workspace_id
        except AmbiguousMatchError as e:
            problem = f'workspace: {e}, or workspace = "<id>" in the file'
            raise SpecError([problem], origin=spec.origin) from e
    else:
        try:
            # Its id as the server writes it (lower case), which the plan keeps.
            chosen = (await client.workspaces.get(workspace_id=chosen)).workspace_id
        except NotFoundError:
            where = "workspace_id" if workspace_id else "workspace"
            problem = f"{where}: no workspace {chosen} on this server"
            raise SpecError([problem], origin=spec.origin) from None
    problems: list[str] = []
    if client.api == "public":
        problems += [
            f"connections[{i}].schedule: the public API takes cron schedules, not "
            'every-N ones: give schedule = { cron = "..." }'
            for i, connection in enumerate(spec.connections)
            if connection.settings.schedule_type is ScheduleType.BASIC
        ]
        problems += [
            f"connections[{i}].schedule: the public API runs cron schedules in UTC only, "
            f"not {zone}: give the expression in UTC"
            for i, connection in enumerate(spec.connections)
            if (zone := _cron_zone(connection.settings)) not in (None, "UTC")
        ]
    source_definitions: dict[str, SourceDefinition] = {}
    destination_definitions: dict[str, DestinationDefinition] = {}
    resolver = _Resolver(client, chosen)
    for i, actor in enumerate(spec.sources):
        found = await resolver.definition("source", actor.definition)
        if isinstance(found, SourceDefinition):
            source_definitions[actor.name] = found
        elif isinstance(found, str):
            problems.append(f"sources[{i}].definition: {found}")
    for i, actor in enumerate(spec.destinations):
        found = await resolver.definition("destination", actor.definition)
        if isinstance(found, DestinationDefinition):
            destination_definitions[actor.name] = found
        elif isinstance(found, str):
            problems.append(f"destinations[{i}].definition: {found}")
    secret_fields: dict[str, frozenset[str]] = {}
    field_types: dict[str, Mapping[str, str]] = {}
    schemas: dict[str, Any] = {}
    write_modes: dict[str, tuple[DestinationSyncMode, ...]] = {}
    if client.api == "config":
        # The public API has no specifications to read: its plans go by key names alone, and
        # its values from the environment by the types their references name.
        wanted = [("source", d.definition_id) for d in source_definitions.values()]
        wanted += [("destination", d.definition_id) for d in destination_definitions.values()]
        for kind, definition_id in wanted:
            if definition_id not in secret_fields:
                specification = await _specification(client, kind, definition_id, chosen)
                schema = specification.connection_specification
                write_modes[definition_id] = specification.supported_destination_sync_modes
                secret_fields[definition_id] = flagged_paths(schema)
                field_types[definition_id] = declared_types(schema)
                schemas[definition_id] = schema
    names = frozenset(c.name for c in spec.connections)
    sources, destinations, connections = await _listed(client, chosen, names)
    catalogs: dict[str, Catalog | str] = {}
    sync_modes: dict[tuple[str, str], ModesByStream] = {}
    for connection in spec.connections:
        named = [s for s in sources if s.name == connection.source]
        into = [d for d in destinations if d.name == connection.destination]
        if len(named) != 1:
            continue
        source_id = named[0].source_id
        pair = (source_id, into[0].destination_id) if len(into) == 1 else None
        if source_id in catalogs and (pair is None or pair in sync_modes):
            continue
        toward = pair[1] if pair is not None else None
        catalogs[source_id], modes = await _discover(client, source_id, fresh=False, toward=toward)
        if pair is not None and modes is not None:
            sync_modes[pair] = modes
    return Snapshot(
        workspace_id=chosen,
        source_definitions=source_definitions,
        destination_definitions=destination_definitions,
        sources=sources,
        destinations=destinations,
        connections=connections,
        catalogs=catalogs,
        sync_modes=sync_modes,
        secret_fields=secret_fields,
        field_types=field_types,
        schemas=schemas,
        write_modes=write_modes,
        problems=tuple(problems),
    )


def _cron_zone(settings: ConnectionSettings) -> str | None:
    data = settings.schedule_data
    return data.cron.cron_time_zone if data is not None and data.cron is not None else None


_Definition = SourceDefinition | DestinationDefinition


@attrs.define
class _Resolver:
    """
    The definitions a spec names, each looked up once however many of its objects name it;
    those named by name from one list per kind, the workspace's (``list_for_workspace``), on
    either API.
    """

    client: AirbyteClient
    workspace_id: str
    #: What each kind's name or id resolved to: a definition, or why none.
    resolved: dict[tuple[str, str], _Definition | str] = attrs.field(factory=dict)
    #: The definitions of the workspace, by kind, once listed (of that kind's model).
    listed: dict[str, Sequence[Any]] = attrs.field(factory=dict)

    async def definition(self, kind: str, wanted: str) -> _Definition | str:
        """The *kind* definition *wanted* (a name or an id), or why there is none."""
        if (kind, wanted) not in self.resolved:
            self.resolved[kind, wanted] = await self._resolve(kind, wanted)
        return self.resolved[kind, wanted]

    async def _resolve(self, kind: str, wanted: str) -> _Definition | str:
        client = self.client
        definitions = (
            client.source_definitions if kind == "source" else client.destination_definitions
        )
        if is_uuid(wanted) and client.api == "config":
            try:
                return await definitions.get(definition_id=wanted)
            except NotFoundError:
                return f"no {kind} definition has the id {wanted}"
        if kind not in self.listed:
            self.listed[kind] = [
                d async for d in definitions.list_for_workspace(workspace_id=self.workspace_id)
            ]
        if is_uuid(wanted):
            return _listed_or_taken(kind, canonical_uuid(wanted), self.listed[kind])
        try:
            return definitions.pick(name=wanted, among=self.listed[kind])
        except LookupFailedError as e:
            return str(e)


def _listed_or_taken(kind: str, definition_id: str, listed: Sequence[_Definition]) -> _Definition:
    """
    The public API's *kind* definition *definition_id* (in lower case, as the server writes
    ids): the workspace's listed one, named; else one taken as it is, for the server to check
    when the object is written, since its listing leaves Connector Builder sources out
    (airbytehq/airbyte-platform ``DefinitionsController.publicListSourceDefinitions`` at
    ``08783db5``) and it reads no definition by id without a workspace.
    """
    for definition in listed:
        if definition.definition_id == definition_id:
            return definition
    model = SourceDefinition if kind == "source" else DestinationDefinition
    return model(
        definition_id=definition_id, name=definition_id, docker_repository="", docker_image_tag=""
    )


async def _specification(
    client: AirbyteClient, kind: str, definition_id: str, workspace_id: str
) -> DefinitionSpecification:
    """The specification of a *kind* definition."""
    definitions = client.source_definitions if kind == "source" else client.destination_definitions
    return await definitions.get_specification(
        definition_id=definition_id, workspace_id=workspace_id
    )


async def _listed(
    client: AirbyteClient, workspace_id: str, connection_names: frozenset[str]
) -> tuple[tuple[Source, ...], tuple[Destination, ...], tuple[Connection, ...]]:
    """
    The workspace's sources and destinations; its connections when *connection_names* is not
    empty, only those so named with their catalogs (a workspace's catalogs are most of it).
    """
    sources = tuple([s async for s in client.sources.list(workspace_id=workspace_id)])
    destinations = tuple([d async for d in client.destinations.list(workspace_id=workspace_id)])
    connections: tuple[Connection, ...] = ()
    if connection_names:
        listed = client.connections.list(workspace_id=workspace_id, catalogs=connection_names)
        connections = tuple([c async for c in listed])
    return sources, destinations, connections


async def _discover(
    client: AirbyteClient, source_id: str, *, fresh: bool, toward: str | None = None
) -> tuple[Catalog | str, ModesByStream | None]:
    """
    The source's discovered catalog, or why there is none; and, *toward* a destination (its
    id), what modes each stream may take there.
    """
    schema = await client.sources.discover_schema(
        source_id=source_id, disable_cache=fresh, destination_id=toward
    )
    return _catalog_or_why(schema), schema.sync_modes if schema.catalog is not None else None


def _catalog_or_why(schema: DiscoveredSchema) -> Catalog | str:
    if schema.catalog is not None:
        return schema.catalog
    failure = schema.failure
    return f"failed: {failure.describe() if failure is not None else 'no reason given'}"


async def plan(
    client: AirbyteClient,
    spec: Spec,
    *,
    workspace_id: str | None = None,
    send_secrets: bool = False,
) -> Plan:
    """
    What :func:`apply` would do, without changing anything. Raises :class:`SpecError`.

    The server masks every secret it holds, so a plan cannot compare them: it leaves an object
    alone when nothing else differs, and says how many it could not compare
    (:meth:`Plan.secret_warnings`). With *send_secrets*, such an object is updated with its
    configuration as declared, secrets included (:func:`make_plan`).

    On the Config API, the streams of a connection whose source the plan creates or updates
    are checked too, against the catalog of the configuration the plan sends, discovered
    without writing it (:meth:`~airbyte_async.resources.Sources.discover_configuration`). Not
    where that configuration holds the mask the server sends for a secret (the discovery would
    run with the mask), nor on the public API, which has no such discovery: there the streams
    are checked once the source is written, before the first connection is.
    """
    snapshot = await read_snapshot(client, spec, workspace_id=workspace_id)
    planned = make_plan(spec, snapshot, send_secrets=send_secrets)
    if client.api != "config":
        if problems := _public_mode_problems(planned):
            raise SpecError(problems, origin=planned.origin)
        return planned
    discovered = await _check_unwritten_catalogs(client, planned, snapshot)
    # Checked already: no longer "checked once its source is updated".
    items = tuple(
        attrs.evolve(item, note=UPDATED_SOURCE)
        if item.note == FIXED_SOURCE
        and isinstance(item.write, ConnectionWrite)
        and item.write.source in discovered
        else item
        for item in planned.items
    )
    # Kept with the plan (not saved): executing it selects the streams from them.
    return attrs.evolve(planned, items=items, discovered=discovered)


def _public_mode_problems(planned: Plan) -> list[str]:
    """
    The streams *planned* writes, both modes given, whose pair the public API has no name for
    (``full_refresh`` with ``append_dedup``, say), each at its key: found before anything is
    written, where the catalog would be checked only once the source is.
    """
    return [
        f"{item.where}.streams[{i}]: the public API has no mode for {read}/{write}"
        for item in planned.items
        if isinstance(item.write, ConnectionWrite)
        for i, stream in enumerate(item.write.streams or ())
        if (read := stream.sync_mode) is not None
        and (write := stream.destination_sync_mode) is not None
        and public_mode(read, write) is None
    ]


async def _check_unwritten_catalogs(
    client: AirbyteClient, planned: Plan, snapshot: Snapshot
) -> dict[str, Catalog]:
    """
    The catalog of each source configuration *planned* writes that a connection takes streams
    from, discovered unwritten, by source name; raises :class:`SpecError` with the problems of
    every such connection's streams in it, write modes the destination's definition does not
    offer (in *snapshot*) included.
    """
    sources = {
        item.name: item.write
        for item in planned.items
        if item.kind == "source" and isinstance(item.write, ActorWrite)
    }
    found: dict[str, Catalog | str] = {}
    problems: list[str] = []
    for item in planned.items:
        write = item.write
        if not isinstance(write, ConnectionWrite) or write.streams is None:
            continue
        source = sources.get(write.source)
        if source is None or _holds_mask(source.configuration):
            continue
        if write.source not in found:
            schema = await client.sources.discover_configuration(
                workspace_id=planned.workspace_id,
                definition_id=source.definition_id,
                configuration=source.configuration,
            )
            found[write.source] = _catalog_or_why(schema)
        _, more = selected_catalog(
            found[write.source],
            write.streams,
            where=item.where,
            source=write.source,
            modes=modes_for(snapshot, write.destination, found[write.source], None),
            destination=write.destination,
        )
        problems += more
    if problems:
        raise SpecError(problems, origin=planned.origin)
    return {name: c for name, c in found.items() if isinstance(c, Catalog)}


def _holds_mask(value: Any) -> bool:
    if isinstance(value, dict):
        return any(_holds_mask(v) for v in value.values())
    if isinstance(value, list):
        return any(_holds_mask(v) for v in value)
    return bool(value == SECRET_MASK)


async def apply(
    client: AirbyteClient,
    spec: Spec,
    *,
    workspace_id: str | None = None,
    dry_run: bool = False,
    send_secrets: bool = False,
    on_plan: Callable[[Plan], None] | None = None,
) -> Plan:
    """
    Make the server match *spec*: plan, hand the plan to *on_plan*, then (unless *dry_run*)
    :func:`execute` that very plan, and return what was done. A second run finds everything
    unchanged.

    *workspace_id* overrides the file's ``workspace``; without either, the server's default
    workspace is used (on the public API, the only one listed: several are a
    :class:`SpecError`). *send_secrets* writes the secret values the server masks (see
    :func:`plan`): without it, a rotated password is not noticed, only counted.

    Raises :class:`SpecError` (before changing anything) for definitions, names or streams the
    server cannot resolve, :class:`~airbyte_async.errors.StalePlanError`
    when the server changed between planning and executing, and the
    :mod:`~airbyte_async.errors` tree for what the server refuses; objects written before such
    an error stay as they are, and running again carries on from there.
    """
    planned = await plan(client, spec, workspace_id=workspace_id, send_secrets=send_secrets)
    if on_plan is not None:
        on_plan(planned)
    if dry_run:
        return planned
    return await execute(client, planned)


async def execute(
    client: AirbyteClient, planned: Plan, *, on_done: Callable[[PlanItem], None] | None = None
) -> Plan:
    """
    Do exactly what *planned* says, item by item, and return it as done (*applied*, every
    item with its id). *on_done* hears of each item as soon as it is done (written or not),
    so that a caller interrupted partway knows what was written.

    First the objects the plan read are read again: when any of them differs from its
    fingerprint, :class:`~airbyte_async.errors.StalePlanError` names each and nothing is
    written. Nothing is listed or compared afterwards, except the catalog of a connection
    whose source the plan writes (its item's note says so): before the first connection is
    written, every such catalog is selected (on the Config API, one the plan did not discover
    is checked against the write modes of the destination's definition too), and their
    problems raise one :class:`SpecError`.
    Items before a failure stay done: the error's notes (``__notes__``) name what was written,
    and the item that may have been written too when its answer was lost.
    """
    if not isinstance(planned, Plan):
        raise InvalidArgumentError(
            f"planned must be a Plan (plan() makes one, load_plan() reads one), "
            f"got {type(planned).__name__}"
        )
    if not planned.changes_anything:
        return attrs.evolve(planned, applied=True)
    current = await _reread(client, planned)
    stale = [
        f"{item.where}: the {item.kind} {item.name!r} changed since the plan was made"
        for item in planned.items
        if fingerprint(current.get((item.kind, item.name))) != item.fingerprint
    ]
    if stale:
        raise StalePlanError([*stale, "nothing was written: plan again"], origin=planned.origin)
    runner = _Runner(client, planned, current, planned.discovered)
    done: list[PlanItem] = []
    for index, item in enumerate(planned.items):
        try:
            if item.kind == "connection" and (not done or done[-1].kind != "connection"):
                await runner.select_catalogs(planned.items[index:])
            done.append(await runner.run(item))
            if on_done is not None:
                on_done(done[-1])
        except AirbyteError as e:
            for note in _written_before(done, item, e, sent=runner.sending is item):
                e.add_note(note)
            raise
    return attrs.evolve(planned, items=tuple(done), applied=True)


def _written_before(
    done: Sequence[PlanItem], failed: PlanItem, error: AirbyteError, *, sent: bool
) -> list[str]:
    """What an apply that stopped on *error* at *failed* had written (*sent*: on *failed*'s
    own write, not a read before it), and the item it stopped at (a server's error names the
    route, not which of the file's objects it refused): the error's notes."""
    written = [f"{i.action} {i.kind} {i.name} ({i.id})" for i in done if i.changed]
    lines = ["written before it: " + ("; ".join(written) if written else "nothing")]
    # What a replay-safe call would be retried on and a write is not: it may have been done.
    ambiguous = is_retryable(error, idempotent=True) and not is_retryable(error, idempotent=False)
    verb = "created" if failed.id is None else "updated"
    if sent and ambiguous:
        # A create's error says so itself, once its object was looked for (create_once).
        if failed.id is not None:
            lines.append(
                f"the {failed.kind} {failed.name!r} may have been updated (its answer was "
                "lost): plan again to see"
            )
    elif not isinstance(error, SpecError):
        # A SpecError names each connection it stops, at its key, already.
        lines.append(f"the {failed.kind} {failed.name!r} ({failed.where}) was not {verb}")
    return lines


async def _reread(
    client: AirbyteClient, planned: Plan
) -> dict[tuple[str, str], Source | Destination | Connection]:
    """
    The plan's objects as the server has them now, by kind and name, absent ones left out:
    those the plan found by their id, the others by what would make them clash with what the
    plan creates (a name; for a connection, also its ends).
    """
    names = frozenset(item.name for item in planned.items if item.kind == "connection")
    sources, destinations, connections = await _listed(client, planned.workspace_id, names)
    actors: dict[str, Sequence[Source | Destination]] = {
        "source": sources,
        "destination": destinations,
    }
    found: dict[tuple[str, str], Source | Destination | Connection] = {}
    for item in planned.items:
        matches: list[Source | Destination | Connection]
        if item.kind == "connection" and item.id is not None:
            matches = [c for c in connections if c.connection_id == item.id]
        elif isinstance(item.write, ConnectionWrite):
            ends = _ids(sources, item.write.source), _ids(destinations, item.write.destination)
            matches = [
                c
                for c in connections
                if c.name == item.name and c.source_id in ends[0] and c.destination_id in ends[1]
            ]
        elif item.id is not None:
            matches = [a for a in actors[item.kind] if actor_id(a) == item.id]
        else:
            matches = [a for a in actors[item.kind] if a.name == item.name]
        if matches:
            found[item.kind, item.name] = matches[0]
    return found


def _ids(listed: Sequence[Source | Destination], name: str) -> set[str]:
    return {actor_id(a) for a in listed if a.name == name}


@attrs.define
class _Runner:
    client: AirbyteClient
    planned: Plan
    current: Mapping[tuple[str, str], Source | Destination | Connection]
    #: Catalogs of the configurations the plan writes, discovered unwritten, by source name.
    discovered: Mapping[str, Catalog]
    #: Ids by kind and name, filled in as objects are created.
    ids: dict[tuple[str, str], str] = attrs.field(init=False)
    #: Catalogs discovered after their source was written, by source id.
    catalogs: dict[str, Catalog | str] = attrs.field(factory=dict)
    #: The streams selected for each connection, by name.
    selected: dict[str, Catalog] = attrs.field(factory=dict)
    #: The write modes each destination's definition offers, by destination name.
    offered: dict[str, tuple[DestinationSyncMode, ...]] = attrs.field(factory=dict)
    #: The item whose write is on its way: an error then may leave it written.
    sending: PlanItem | None = attrs.field(default=None, init=False)

    def __attrs_post_init__(self) -> None:
        self.ids = {(i.kind, i.name): i.id for i in self.planned.items if i.id is not None}

    async def run(self, item: PlanItem) -> PlanItem:
        write = item.write
        if write is None:
            return item
        if isinstance(write, ActorWrite):
            with self._sending(item):
                ident = await self.actor(item, write)
            return attrs.evolve(item, id=ident)
        return await self.connection(item, write)

    @contextlib.contextmanager
    def _sending(self, item: PlanItem) -> Iterator[None]:
        # Left set when the write raises: the caller's notes tell whether it may be done.
        self.sending = item
        yield
        self.sending = None

    async def actor(self, item: PlanItem, write: ActorWrite) -> str:
        client = self.client
        written: Source | Destination
        if item.id is None:
            actors: Sources | Destinations
            actors = client.sources if item.kind == "source" else client.destinations
            workspace_id = self.planned.workspace_id
            create = partial(
                actors.create,
                workspace_id=workspace_id,
                name=item.name,
                definition_id=write.definition_id,
                configuration=write.configuration,
            )

            async def look() -> Source | Destination | None:
                with contextlib.suppress(NoMatchError):
                    return await actors.find(workspace_id=workspace_id, name=item.name)
                return None

            written = await create_once(create, look, what=f"the {item.kind} {item.name!r}")
        elif item.kind == "source":
            written = await client.sources.update(
                source_id=item.id, name=item.name, configuration=write.configuration
            )
        else:
            written = await client.destinations.update(
                destination_id=item.id, name=item.name, configuration=write.configuration
            )
        ident = self.ids[item.kind, item.name] = actor_id(written)
        return ident

    async def connection(self, item: PlanItem, write: ConnectionWrite) -> PlanItem:
        source_id = self.ids["source", write.source]
        destination_id = self.ids["destination", write.destination]
        settings, changes = write.settings, item.changes
        if write.streams is not None:
            catalog = await self.catalog(item, write, source_id)
            if item.id is None:
                settings = attrs.evolve(settings, sync_catalog=catalog)
            else:
                have = self.current[item.kind, item.name]
                assert isinstance(have, Connection)
                streams = connection_differences(have, ConnectionSettings(sync_catalog=catalog))
                if streams:
                    settings = attrs.evolve(settings, sync_catalog=catalog)
                kept = tuple(c for c in changes if not c.path.startswith("streams["))
                changes = kept + show_changes(streams)
        if item.id is None:
            connections = self.client.connections
            create = partial(
                connections.create,
                source_id=source_id,
                destination_id=destination_id,
                name=item.name,
                settings=settings,
            )

            async def look() -> Connection | None:
                with contextlib.suppress(NoMatchError):
                    return await connections.find(
                        workspace_id=self.planned.workspace_id,
                        name=item.name,
                        source_id=source_id,
                        destination_id=destination_id,
                    )
                return None

            with self._sending(item):
                created = await create_once(create, look, what=f"the connection {item.name!r}")
            return attrs.evolve(item, id=created.connection_id)
        if settings == ConnectionSettings():
            return attrs.evolve(item, action=EnsureAction.UNCHANGED, changes=changes)
        with self._sending(item):
            await self.client.connections.update(connection_id=item.id, settings=settings)
        return attrs.evolve(item, action=EnsureAction.UPDATED, changes=changes)

    async def select_catalogs(self, items: Sequence[PlanItem]) -> None:
        """
        Before the first connection is written: select the streams of every connection among
        *items* that takes them from its source's catalog as discovered now, and raise
        :class:`SpecError` with all their problems at once, rather than one per run.
        """
        problems: list[str] = []
        for item in items:
            write = item.write
            if isinstance(write, ConnectionWrite) and write.streams is not None:
                try:
                    await self.catalog(item, write, self.ids["source", write.source])
                except SpecError as e:
                    problems += e.problems
        if problems:
            raise SpecError(problems, origin=self.planned.origin)

    async def catalog(self, item: PlanItem, write: ConnectionWrite, source_id: str) -> Catalog:
        """
        The streams of *write*, selected from its source's catalog as discovered now. One the
        plan did not discover (a saved plan's, or a configuration holding the server's mask)
        was not checked against the write modes of *write*'s destination: on the Config API,
        whose server stores a connection whatever modes its destination lacks, it is here.
        """
        selected = self.selected.get(item.name)
        if selected is not None:
            return selected
        found: Catalog | str | None = self.discovered.get(write.source)
        modes: ModesByStream | None = None
        if found is None:
            found = self.catalogs.get(source_id)
            if found is None:
                found, _ = await _discover(self.client, source_id, fresh=True)
                self.catalogs[source_id] = found
            if isinstance(found, Catalog) and self.client.api == "config":
                offered = await self.write_modes(write.destination)
                modes = modes_toward(found, offered) if offered else None
        catalog, problems = selected_catalog(
            found,
            write.streams or (),
            where=item.where,
            source=write.source,
            modes=modes,
            destination=write.destination,
        )
        if catalog is None:
            raise SpecError(problems, origin=self.planned.origin)
        self.selected[item.name] = catalog
        return catalog

    async def write_modes(self, destination: str) -> tuple[DestinationSyncMode, ...]:
        """The write modes the definition of the plan's *destination* (its name) offers, read
        once; none when its definition is not known."""
        if destination not in self.offered:
            definition_id = self._definition_id(destination)
            self.offered[destination] = ()
            if definition_id is not None:
                specification = await _specification(
                    self.client, "destination", definition_id, self.planned.workspace_id
                )
                self.offered[destination] = specification.supported_destination_sync_modes
        return self.offered[destination]

    def _definition_id(self, destination: str) -> str | None:
        """The definition of the plan's *destination*: as written, else as read again."""
        for item in self.planned.items:
            written = item.kind == "destination" and item.name == destination
            if written and isinstance(item.write, ActorWrite):
                return item.write.definition_id
        found = self.current.get(("destination", destination))
        return found.definition_id if isinstance(found, Destination) else None
