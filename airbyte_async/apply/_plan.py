"""
The pure half of apply: a :class:`~._spec.Spec` and a :class:`Snapshot` of the server in, a
:class:`Plan` out (:func:`make_plan`), and plans rendered for people. No I/O here.

Each :class:`PlanItem` carries what its execution sends (:class:`ActorWrite`,
:class:`ConnectionWrite`) and the *fingerprint* of the object as the planner saw it, so a runner
can check that nothing moved and then do exactly that, deciding nothing of its own. The one
thing a plan cannot know is the catalog of a source it creates or updates: such a connection's
streams are selected (:func:`selected_catalog`) once the source is written, and the item says so
in its *note*.
"""

from __future__ import annotations

import difflib
import enum
import hashlib
import json
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any

import attrs

from .._diff import (
    ABSENT,
    Difference,
    actor_differences,
    changed_settings,
    connection_differences,
    masked_paths,
    only_match,
)
from .._schema import Mismatch, mismatches
from .._secrets import SECRET_MASK, is_secret_path, masked
from .._serde import unstructure
from ..catalog import StreamSelection, modes_toward, select_streams, stream_name
from ..errors import AirbyteError, InvalidArgumentError, SpecError
from ..models import (
    Catalog,
    Connection,
    ConnectionSettings,
    ConnectionStatus,
    Destination,
    DestinationDefinition,
    DestinationSyncMode,
    EnsureAction,
    JsonObject,
    Source,
    SourceDefinition,
    SyncMode,
)
from ..models._ensured import secrets_note
from ._spec import ActorSpec, ConnectionSpec, Spec
from ._types import convert, declared_type, described

__all__ = [
    "ABSENT_STATE",
    "ActorWrite",
    "Change",
    "ConnectionWrite",
    "FIXED_SOURCE",
    "Plan",
    "PlanItem",
    "Snapshot",
    "actor_id",
    "fingerprint",
    "make_plan",
    "modes_for",
    "selected_catalog",
    "show_changes",
    "UPDATED_SOURCE",
]

_SHOWN = 60

#: The fingerprint of an object that does not exist.
ABSENT_STATE = "absent"


def fingerprint(found: Source | Destination | Connection | None) -> str:
    """
    ``sha256:...`` of what a plan relies on in *found*, or :data:`ABSENT_STATE`: equal
    fingerprints mean nothing the plan read has moved.

    A connection counts whole, in its wire form; a source or destination by id, name,
    definition and configuration (secrets as the server masks them), not by the counters a
    sync moves (``lastSync``, ``numConnections``).
    """
    if found is None:
        return ABSENT_STATE
    state: Any
    if isinstance(found, Connection):
        state = unstructure(found)
    else:
        state = [actor_id(found), found.name, found.definition_id, found.configuration]
    text = json.dumps(state, sort_keys=True, separators=(",", ":"))
    return "sha256:" + hashlib.sha256(text.encode()).hexdigest()


def actor_id(actor: Source | Destination) -> str:
    """The id of a source or destination."""
    return actor.source_id if isinstance(actor, Source) else actor.destination_id


# -- what the planner reads -----------------------------------------------------------------


@attrs.frozen(kw_only=True)
class Snapshot:
    """
    The server as the planner needs it, read once: the workspace's sources, destinations and
    connections; the definitions the spec names (by the name of the spec's object); the
    discovered catalogs of the sources its connections read (by source id, or why discovery
    failed); and the *problems* reading found (definitions that do not resolve).
    """

    workspace_id: str
    source_definitions: Mapping[str, SourceDefinition] = attrs.field(factory=dict)
    destination_definitions: Mapping[str, DestinationDefinition] = attrs.field(factory=dict)
    sources: tuple[Source, ...] = ()
    destinations: tuple[Destination, ...] = ()
    connections: tuple[Connection, ...] = ()
    catalogs: Mapping[str, Catalog | str] = attrs.field(factory=dict)
    #: Per existing source and destination (their ids) a connection of the spec joins, each
    #: stream's allowed pairs of read and write modes (see ``DiscoveredSchema.sync_modes``).
    sync_modes: Mapping[tuple[str, str], ModesByStream] = attrs.field(factory=dict)
    #: Per destination definition (its id), on the Config API, the write modes its
    #: specification offers (``supportedDestinationSyncModes``): what a destination the plan
    #: creates can take, which the server does not check when a connection is written.
    write_modes: Mapping[str, tuple[DestinationSyncMode, ...]] = attrs.field(factory=dict)
    #: Per definition (its id), the paths of the configuration fields its specification flags
    #: ``airbyte_secret`` (see :func:`~airbyte_async._secrets.flagged_paths`).
    secret_fields: Mapping[str, frozenset[str]] = attrs.field(factory=dict)
    #: Per definition (its id), the paths of the configuration fields its specification
    #: declares an integer, a number or a boolean (see :func:`~._types.declared_types`).
    field_types: Mapping[str, Mapping[str, str]] = attrs.field(factory=dict)
    #: Per definition (its id), its specification's JSON schema of the configuration (its
    #: ``connectionSpecification``), which every configuration of the spec must fit.
    schemas: Mapping[str, Any] = attrs.field(factory=dict)
    problems: tuple[str, ...] = ()


# -- the plan -------------------------------------------------------------------------------


@attrs.frozen(kw_only=True)
class Change:
    """
    One difference in a plan: at *path*, *before* on the server and *after* as declared, both
    as display text with secrets masked (None when only the path is known).
    """

    path: str
    before: str | None = None
    after: str | None = None

    def __str__(self) -> str:
        if self.before is None or self.after is None:
            return self.path
        return f"{self.path}: {self.before} -> {self.after}"


@attrs.frozen(kw_only=True, repr=False)
class ActorWrite:
    """
    What creating or updating a source or destination sends: the whole *configuration* (the
    Config API replaces it). *env_names* maps the paths of values read from the environment
    to their variables; a saved plan keeps those names, never the values. *env_defaults* maps
    the paths of defaults taken for variables not set to those variables. *env_types* maps the
    paths of values from the environment sent as another type than text (an integer, a number,
    a boolean) to that type, which a saved plan keeps to convert them alike. *secret_fields*
    are the paths the connector's specification flags secret, masked as the env values are.
    """

    definition_id: str
    configuration: JsonObject
    env_names: Mapping[str, str] = attrs.field(factory=dict)
    env_defaults: Mapping[str, str] = attrs.field(factory=dict)
    env_types: Mapping[str, str] = attrs.field(factory=dict)
    secret_fields: frozenset[str] = frozenset()

    @property
    def secret_paths(self) -> frozenset[str]:
        """The paths never shown beyond the name rules: env values and flagged fields."""
        return frozenset(self.env_names) | self.secret_fields

    def __repr__(self) -> str:
        shown = masked(self.configuration, "configuration", self.secret_paths)
        return f"ActorWrite(definition_id={self.definition_id!r}, configuration={shown!r})"


@attrs.frozen(kw_only=True)
class ConnectionWrite:
    """
    What creating or updating a connection sends: *settings* (for an update, only what
    differs) between the objects of the plan named *source* and *destination*.

    When *streams* is set, the plan could not know the catalog: the source is written by an
    earlier item, then discovered, and *streams* selected from it; an update then also sends
    the catalog if its selected streams differ from the connection's.
    """

    source: str
    destination: str
    settings: ConnectionSettings
    streams: tuple[StreamSelection, ...] | None = None


@attrs.frozen(kw_only=True)
class PlanItem:
    """
    What :func:`~airbyte_async.apply.apply` does, or did, to one object: *kind* is ``source``,
    ``destination`` or ``connection``; *id* is the object's id when it exists (always, once
    applied); *note* says what the plan cannot know yet.

    *where* is the object's key in the spec (``connections[0]``); *fingerprint* is the
    object's state when planned (see :func:`fingerprint`); *write* is what executing the item
    sends, None when it sends nothing.

    *uncompared* are the paths of the secret values declared for an existing source or
    destination that the plan could not compare, the server masking them: an update sends
    them as declared, an object left unchanged keeps what the server has, whatever that is.
    """

    kind: str
    name: str
    action: EnsureAction
    detail: str = ""
    id: str | None = None
    changes: tuple[Change, ...] = ()
    note: str = ""
    where: str = ""
    fingerprint: str = ABSENT_STATE
    write: ActorWrite | ConnectionWrite | None = attrs.field(default=None, repr=False)
    uncompared: tuple[str, ...] = ()

    @property
    def changed(self) -> bool:
        """True when the object is (or was) created or updated."""
        return self.action is not EnsureAction.UNCHANGED

    @property
    def secrets_unsent(self) -> int:
        """How many secret values the server masks were left as the server has them."""
        return 0 if self.changed else len(self.uncompared)

    def secrets_note(self) -> str:
        """What became of the secret values the plan could not compare, or ``""``."""
        return secrets_note(self.uncompared, sent=self.changed)


@attrs.frozen(kw_only=True)
class Plan:
    """
    What :func:`~airbyte_async.apply.apply` will do in workspace *workspace_id*, or, when
    *applied*, what it did. *origin* names the spec file it was made from; *send_secrets*
    says it was made to send the secret values it cannot compare (see :func:`make_plan`).
    """

    workspace_id: str
    items: tuple[PlanItem, ...] = ()
    applied: bool = False
    origin: str = ""
    send_secrets: bool = False
    #: The catalogs of the source configurations the plan writes, discovered before any write,
    #: by source name (the Config API's :func:`~airbyte_async.apply.plan` fills it): executing
    #: the plan selects streams from them rather than discovering each source again once it
    #: is written. Not saved with the plan.
    discovered: Mapping[str, Catalog] = attrs.field(factory=dict, eq=False, repr=False)
    #: One warning per connection of the workspace, not deleted, that the file does not
    #: declare and that a rename may have left behind, still syncing if active (see
    #: :func:`make_plan`); it changes nothing. Not saved with the plan.
    unlisted_connections: tuple[str, ...] = ()

    def count(self, action: EnsureAction) -> int:
        """How many objects *action* applies to."""
        return sum(1 for item in self.items if item.action is action)

    @property
    def changes_anything(self) -> bool:
        """False when every object is already as declared, or may be (see
        :attr:`secrets_unsent`)."""
        return any(item.changed for item in self.items)

    @property
    def secrets_unsent(self) -> int:
        """How many declared secret values the plan could neither compare (the server masks
        them) nor sends, in the objects it leaves unchanged: those may differ."""
        return sum(item.secrets_unsent for item in self.items)

    def secret_warnings(self) -> tuple[str, ...]:
        """One line per object left unchanged with secret values that cannot be compared:
        ``"source shop: 1 secret value cannot be compared (the server masks it): pass
        --send-secrets to write it"`` (``send_secrets=True`` from Python)."""
        return tuple(
            f"{item.kind} {item.name}: {_unsent(item.secrets_unsent)}"
            for item in self.items
            if item.secrets_unsent
        )

    def warnings(self) -> tuple[str, ...]:
        """The :meth:`secret_warnings`, then the :attr:`unlisted_connections`."""
        return self.secret_warnings() + self.unlisted_connections

    def summary(self) -> str:
        """``"1 to create, 2 to update, 3 unchanged"``, or ``"1 created, ..."`` once applied."""
        created, updated = ("created", "updated") if self.applied else ("to create", "to update")
        return (
            f"{self.count(EnsureAction.CREATED)} {created}, "
            f"{self.count(EnsureAction.UPDATED)} {updated}, "
            f"{self.count(EnsureAction.UNCHANGED)} unchanged"
        )

    def render(self, *, warnings: bool = True) -> str:
        """
        The plan as readable text, one line per object and one per change, secrets masked,
        then the :meth:`warnings` (without them when not *warnings*: a caller that prints them
        later, after its last message).
        """
        marks = {EnsureAction.CREATED: "+", EnsureAction.UPDATED: "~", EnsureAction.UNCHANGED: "="}
        verbs = _DONE if self.applied else _TO_DO
        lines = [f"workspace {self.workspace_id}"]
        for item in self.items:
            title = f"{item.name} ({item.detail})" if item.detail else item.name
            verb = verbs[item.action]
            lines.append(f"  {marks[item.action]} {verb:<10} {item.kind:<12} {title}")
            lines.extend(f"      {change}" for change in item.changes)
            lines.extend(f"      ({note})" for note in (item.note, item.secrets_note()) if note)
        lines.append(f"{'applied' if self.applied else 'plan'}: {self.summary()}")
        if warnings:
            lines.extend(self.warnings())
        return "\n".join(lines)


def _unsent(count: int) -> str:
    if count == 1:
        return (
            "1 secret value cannot be compared (the server masks it): pass --send-secrets to "
            "write it"
        )
    return (
        f"{count} secret values cannot be compared (the server masks them): pass "
        "--send-secrets to write them"
    )


_TO_DO = {
    EnsureAction.CREATED: "create",
    EnsureAction.UPDATED: "update",
    EnsureAction.UNCHANGED: "unchanged",
}
_DONE = {
    EnsureAction.CREATED: "created",
    EnsureAction.UPDATED: "updated",
    EnsureAction.UNCHANGED: "unchanged",
}

_CREATED_SOURCE = "its streams are selected once its source is created"
FIXED_SOURCE = "its streams are checked once its source is updated"
UPDATED_SOURCE = "its streams are selected again once its source is updated"


# -- display --------------------------------------------------------------------------------


def _show(value: Any, path: str, secret_paths: frozenset[str]) -> str:
    """A value for display: secrets (see :func:`show_changes`) masked, long values cut."""
    if value is ABSENT:
        return "(absent)"
    if is_secret_path(path, secret_paths):
        return SECRET_MASK
    if isinstance(value, enum.Enum):
        value = value.value
    if isinstance(value, tuple):
        value = json.loads(json.dumps(value))
    text = json.dumps(masked(value, path, secret_paths))
    return text if len(text) <= _SHOWN else text[: _SHOWN - 3] + "..."


def show_changes(
    differences: Iterable[Difference], secret_paths: frozenset[str] = frozenset()
) -> tuple[Change, ...]:
    """
    *differences* as a plan shows them, secrets masked: values at or under *secret_paths*
    (the fields a connector's specification flags secret), under secret-looking keys, URLs'
    passwords. Where a value came from (the environment, the file) does not matter.
    """
    return tuple(
        Change(
            path=d.path,
            before=_show(d.before, d.path, secret_paths),
            after=_show(d.after, d.path, secret_paths),
        )
        for d in differences
    )


# -- planning -------------------------------------------------------------------------------


ModesByStream = Mapping[str, tuple[tuple[SyncMode, DestinationSyncMode], ...]]

#: What the servers take whatever a destination offers: the public API checks no other pair.
_ALWAYS = (SyncMode.FULL_REFRESH, DestinationSyncMode.OVERWRITE)


def selected_catalog(
    found: Catalog | str,
    streams: Sequence[StreamSelection],
    *,
    where: str,
    source: str,
    modes: ModesByStream | None = None,
    destination: str = "",
) -> tuple[Catalog | None, list[str]]:
    """
    *streams* selected from the catalog *found* (or why discovery failed) for the connection
    at *where* reading *source*; or None and the problems, each at its key. With *modes*
    (toward *destination*), a stream's pair of read and write modes must be one of its own.
    """
    if isinstance(found, str):
        return None, [f"{where}.source: discovering the streams of {source!r} {found}"]
    problems = []
    for i, selection in enumerate(streams):
        try:
            select_streams(found, selection)
        except InvalidArgumentError as e:
            problems.append(f"{where}.streams[{i}]: {e}")
    if problems:
        return None, problems
    catalog = select_streams(found, *streams)
    if modes is not None:
        problems = mode_problems(catalog, streams, modes, where=where, destination=destination)
    return (None, problems) if problems else (catalog, [])


def mode_problems(
    catalog: Catalog,
    streams: Sequence[StreamSelection],
    modes: ModesByStream,
    *,
    where: str,
    destination: str,
) -> list[str]:
    """
    The streams of *catalog* selected by *streams* whose pair of read and write modes is not
    among those *modes* allows them, each at its key.
    """
    problems = []
    for i, selection in enumerate(streams):
        for entry in catalog.streams:
            stream, config = entry.stream, entry.config
            name = stream_name(stream)
            if config is None or selection.name not in (name, stream.name):
                continue
            pair = (config.sync_mode, config.destination_sync_mode)
            allowed = modes.get(name)
            if allowed is None or pair == _ALWAYS or pair in allowed:
                continue
            offered = ", ".join(f"{r}/{w}" for r, w in allowed) or "none"
            problems.append(
                f"{where}.streams[{i}]: destination {destination!r} cannot take stream "
                f"{name!r} as {pair[0]}/{pair[1]} (it can: {offered})"
            )
    return problems


def modes_for(
    snapshot: Snapshot, destination: str, catalog: Catalog | str, pair: tuple[str, str] | None
) -> ModesByStream | None:
    """
    What each stream of *catalog* may pair toward the spec's *destination* (its name): as
    read toward the existing destination when *pair* (source and destination ids) was, else
    from the write modes its definition offers; None when neither is known.
    """
    if pair is not None and pair in snapshot.sync_modes:
        return snapshot.sync_modes[pair]
    definition = snapshot.destination_definitions.get(destination)
    writes = snapshot.write_modes.get(definition.definition_id) if definition else None
    if not writes or isinstance(catalog, str):
        return None
    return modes_toward(catalog, writes)


def make_plan(spec: Spec, snapshot: Snapshot, *, send_secrets: bool = False) -> Plan:
    """
    Decide, for every object of *spec*, whether it is to be created, updated or left alone,
    from *snapshot* alone. With *send_secrets*, an existing source or destination whose
    declared secret values the server masks is updated with its configuration as declared,
    secrets included, even when nothing else differs (else it is left alone, see
    :attr:`PlanItem.uncompared`). Raises :class:`~airbyte_async.errors.SpecError` listing every
    problem (the snapshot's first) when the spec cannot be applied to that server: those of
    the sources and destinations, then those of the connections' streams, checked even when
    other objects have problems; only a connection whose source has problems of its own is
    not checked (the streams it reads depend on their fix).

    Objects are found by name, and nothing is deleted, so a rename leaves the old connection
    syncing. When the spec declares connections, the plan's :attr:`Plan.unlisted_connections`
    name each connection of the workspace the spec does not declare that joins a source and a
    destination it declares (found by name, as the plan finds them), or that has the name of
    a connection the plan creates (its source or destination renamed).
    """
    planner = _Planner(spec, snapshot, list(snapshot.problems), send_secrets=send_secrets)
    items = planner.actors()
    connections = [planner.connection(i, c) for i, c in enumerate(spec.connections)]
    planner.fail_if_any()
    items += [item for item in connections if item is not None]
    return Plan(
        workspace_id=snapshot.workspace_id,
        items=tuple(items),
        origin=spec.origin,
        send_secrets=send_secrets,
        unlisted_connections=planner.unlisted(items),
    )


@attrs.define
class _Planner:
    spec: Spec
    snapshot: Snapshot
    problems: list[str]
    send_secrets: bool = attrs.field(default=False, kw_only=True)
    #: The planned sources and destinations, by kind and name.
    planned: dict[tuple[str, str], PlanItem] = attrs.field(factory=dict)
    #: The ids of the sources and destinations found on the server, by kind and name, those
    #: that could not be planned too.
    found: dict[tuple[str, str], str] = attrs.field(factory=dict)

    def fail_if_any(self) -> None:
        if self.problems:
            raise SpecError(self.problems, origin=self.spec.origin)

    def actors(self) -> list[PlanItem]:
        snapshot = self.snapshot
        kinds: list[tuple[str, Sequence[ActorSpec], Mapping[str, Any], Sequence[Any]]] = [
            ("source", self.spec.sources, snapshot.source_definitions, snapshot.sources),
            (
                "destination",
                self.spec.destinations,
                snapshot.destination_definitions,
                snapshot.destinations,
            ),
        ]
        for kind, actors, definitions, listed in kinds:
            for i, actor in enumerate(actors):
                item = self.actor(f"{kind}s[{i}]", kind, actor, definitions.get(actor.name), listed)
                if item is not None:
                    self.planned[kind, actor.name] = item
        return list(self.planned.values())

    def actor(
        self,
        where: str,
        kind: str,
        actor: ActorSpec,
        definition: SourceDefinition | DestinationDefinition | None,
        listed: Sequence[Source | Destination],
    ) -> PlanItem | None:
        matches = [a for a in listed if a.name == actor.name]
        try:
            current = only_match(
                matches,
                actor.name,
                kind,
                f"workspace {self.snapshot.workspace_id}",
                [actor_id(a) for a in matches],
            )
        except AirbyteError as e:
            self.problems.append(f"{where}.name: {e}")
            return None
        if current is not None:
            self.found[kind, actor.name] = actor_id(current)
        if definition is None:
            return None
        if current is not None and current.definition_id != definition.definition_id:
            self.problems.append(
                f"{where}.definition: the {kind} {actor.name!r} on the server uses "
                f"{current.definition_name or current.definition_id}, not {definition.name}; "
                "its definition cannot change: delete it or choose another name"
            )
            return None
        declared = self.snapshot.field_types.get(definition.definition_id, {})
        typed = _Typed(actor, declared, f"{where}.", definition.name)
        configuration = typed.convert(actor.configuration, "configuration")
        schema = self.snapshot.schemas.get(definition.definition_id)
        unfit = [
            f"{where}.{m.where}: {_unfit(m, definition.name)}"
            for m in mismatches(configuration, schema, "configuration", passes=typed.passes)
        ]
        if typed.problems or unfit:
            self.problems.extend(typed.problems + unfit)
            return None
        write = ActorWrite(
            definition_id=definition.definition_id,
            configuration=configuration,
            env_names=actor.env_names,
            env_defaults=actor.env_defaults,
            env_types=typed.types,
            secret_fields=self.snapshot.secret_fields.get(definition.definition_id, frozenset()),
        )
        item = PlanItem(
            kind=kind,
            name=actor.name,
            action=EnsureAction.CREATED,
            detail=definition.name,
            where=where,
            write=write,
        )
        if current is None:
            return item
        differences = actor_differences(current, configuration)
        uncompared = tuple(masked_paths(configuration, current.configuration, "configuration"))
        send = bool(differences) or (self.send_secrets and bool(uncompared))
        return attrs.evolve(
            item,
            action=EnsureAction.UPDATED if send else EnsureAction.UNCHANGED,
            id=actor_id(current),
            # Without the connector's specification (the public API serves none), a value
            # from the environment may be a secret under a name the rules do not know.
            changes=show_changes(
                differences,
                write.secret_fields
                if definition.definition_id in self.snapshot.secret_fields
                else write.secret_paths,
            ),
            fingerprint=fingerprint(current),
            write=write if send else None,
            uncompared=uncompared,
        )

    def connection(self, index: int, connection: ConnectionSpec) -> PlanItem | None:
        """The connection's item, or None when its source or destination has problems (its
        streams checked all the same when its source has none)."""
        where = f"connections[{index}]"
        source = self.planned.get(("source", connection.source))
        destination = self.planned.get(("destination", connection.destination))
        if source is None:
            return None
        destination_id = self.found.get(("destination", connection.destination))
        streams = tuple(s.selection() for s in connection.streams)
        # The catalog of a source this plan writes is known only once it is written.
        deferred = source.action is not EnsureAction.UNCHANGED
        catalog: Catalog | None = None
        note = _CREATED_SOURCE if source.id is None else ""
        if source.id is not None:
            found = self.snapshot.catalogs.get(source.id, "failed: it was not discovered")
            pair = (source.id, destination_id) if destination_id is not None else None
            modes = modes_for(self.snapshot, connection.destination, found, pair)
            catalog, problems = selected_catalog(
                found,
                streams,
                where=where,
                source=connection.source,
                modes=modes,
                destination=connection.destination,
            )
            if problems and not deferred:
                self.problems.extend(problems)
            elif deferred:
                note = FIXED_SOURCE if problems else UPDATED_SOURCE
        if destination is None:
            return None
        wanted = attrs.evolve(connection.settings, sync_catalog=catalog)
        write = ConnectionWrite(
            source=connection.source,
            destination=connection.destination,
            settings=wanted,
            streams=streams if deferred else None,
        )
        item = PlanItem(
            kind="connection",
            name=connection.name,
            action=EnsureAction.CREATED,
            detail=f"{connection.source} -> {connection.destination}",
            note=note,
            where=where,
            write=write,
        )
        current = self.current_connection(where, connection, source, destination)
        if current is None:
            return item
        differences = connection_differences(current, wanted)
        update = changed_settings(wanted, differences)
        if deferred:
            # The runner selects the streams afresh and sends them only if they differ.
            update = attrs.evolve(update, sync_catalog=None)
        changed = bool(differences) or (deferred and catalog is None)
        return attrs.evolve(
            item,
            action=EnsureAction.UPDATED if changed else EnsureAction.UNCHANGED,
            id=current.connection_id,
            changes=show_changes(differences),
            fingerprint=fingerprint(current),
            write=attrs.evolve(write, settings=update) if changed or deferred else None,
        )

    def unlisted(self, items: Sequence[PlanItem]) -> tuple[str, ...]:
        """The warnings about the connections of the snapshot the spec does not declare (see
        :func:`make_plan`)."""
        snapshot = self.snapshot
        declared = {(c.name, c.source, c.destination) for c in self.spec.connections}
        pairs = {(c.source, c.destination) for c in self.spec.connections}
        ends = {(kind, ident): name for (kind, name), ident in self.found.items()}
        created = {
            item.name: item.write
            for item in items
            if item.action is EnsureAction.CREATED and isinstance(item.write, ConnectionWrite)
        }
        names = {s.source_id: s.name for s in snapshot.sources}
        names |= {d.destination_id: d.name for d in snapshot.destinations}
        warnings = []
        for found in snapshot.connections:
            source = ends.get(("source", found.source_id))
            destination = ends.get(("destination", found.destination_id))
            if (found.name, source, destination) in declared:
                continue
            title = f"connection {found.name!r} ({found.connection_id}, {_state(found)})"
            joins = (
                f"source {names.get(found.source_id, found.source_id)!r} to destination "
                f"{names.get(found.destination_id, found.destination_id)!r}"
            )
            wanted = created.get(found.name)
            if wanted is not None:
                warnings.append(
                    f"{title} joins {joins}, not {wanted.source!r} to {wanted.destination!r} "
                    "as the file declares it: renamed? apply creates another and does not "
                    "delete this one"
                )
            elif source is not None and destination is not None:
                also = "also joins" if (source, destination) in pairs else "joins"
                warnings.append(
                    f"{title} {also} {joins} and is not in the file: renamed? apply does not "
                    "delete it"
                )
        return tuple(warnings)

    def current_connection(
        self, where: str, connection: ConnectionSpec, source: PlanItem, destination: PlanItem
    ) -> Connection | None:
        if source.id is None or destination.id is None:
            return None
        matches = [
            c
            for c in self.snapshot.connections
            if c.name == connection.name
            and c.source_id == source.id
            and c.destination_id == destination.id
        ]
        try:
            return only_match(
                matches,
                connection.name,
                "connection",
                f"workspace {self.snapshot.workspace_id}",
                [c.connection_id for c in matches],
            )
        except AirbyteError as e:
            self.problems.append(f"{where}.name: {e}")
            return None


@attrs.define
class _Typed:
    """
    Converts the values *actor* read from the environment to the types their references name
    or, failing that, the connector's specification declares (*declared*), noting the types
    sent (*types*) and the values that are not of theirs (*problems*, each at *prefix* and its
    path). A default taken for a variable not set is text converted alike.
    """

    actor: ActorSpec
    declared: Mapping[str, str]
    prefix: str
    connector: str
    types: dict[str, str] = attrs.field(factory=dict)
    problems: list[str] = attrs.field(factory=list)
    #: The paths of the values that are not of their type (already among *problems*).
    failed: set[str] = attrs.field(factory=set)

    def passes(self, path: str, value: Any) -> bool:
        """Whether the specification check takes the value at *path* as it is: a value the
        server masks, or one already reported."""
        return value == SECRET_MASK or path in self.failed

    def convert(self, value: Any, path: str) -> Any:
        name = self.actor.env_names.get(path)
        if name is not None:
            return self.read(value, path, name)
        unset = self.actor.env_defaults.get(path)
        if unset is not None:
            return self.default(value, path, unset)
        if isinstance(value, dict):
            return {k: self.convert(v, f"{path}.{k}") for k, v in value.items()}
        if isinstance(value, list):
            return [self.convert(v, f"{path}[{i}]") for i, v in enumerate(value)]
        return value

    def read(self, value: Any, path: str, name: str) -> Any:
        named = self.actor.env_types.get(path)
        if named is not None:
            self.types[path] = named  # converted when the file was read
            return value
        kind = declared_type(path, self.declared)
        if kind is None or not isinstance(value, str):
            return value
        self.types[path] = kind
        return self._converted(value, path, kind, name)

    def default(self, value: Any, path: str, name: str) -> Any:
        """The default taken for *name* (not set), text converted as the variable's would be."""
        kind = declared_type(path, self.declared)
        if kind is None or not isinstance(value, str):
            return value
        return self._converted(value, path, kind, f"the default of {name} (not set)")

    def _converted(self, value: str, path: str, kind: str, what: str) -> Any:
        """*value* as *kind*, or None with a problem at *path* naming *what* it is."""
        try:
            return convert(value, kind)
        except ValueError as e:
            self.failed.add(path)
            self.problems.append(
                f"{self.prefix}{path}: {what} {e}, the type the {self.connector} specification "
                "declares, and the only one it takes there"
            )
            return None


def _state(connection: Connection) -> str:
    """``"active, every 6 hours"``: whether, and when, *connection* syncs; else its status."""
    if connection.status is ConnectionStatus.ACTIVE:
        return f"active, {connection.schedule_description}"
    return str(connection.status)


_SHOWN_VALUES = 8

#: What a specification wants where a value breaks a bound, by the bound's keyword.
_WANTS = {
    "minimum": "a number no less than {0}",
    "maximum": "a number no greater than {0}",
    "exclusiveMinimum": "a number greater than {0}",
    "exclusiveMaximum": "a number less than {0}",
    "multipleOf": "a multiple of {0}",
    "minLength": "a string of at least {0}",
    "maxLength": "a string of at most {0}",
}


#: What each format checked wants, with an example (the value given is never shown).
_FORMATS = {
    "date-time": "an RFC 3339 date-time with its offset, such as 2024-01-31T00:00:00Z",
    "date": "an RFC 3339 date, such as 2024-01-31",
}


def _unfit(mismatch: Mismatch, connector: str) -> str:
    """What *connector*'s specification wants where *mismatch* lies, never the value given."""
    spec = f"the {connector} specification"
    if mismatch.option:
        spec += f" (its {mismatch.option!r} option)"
    rule, expected = mismatch.rule, mismatch.expected
    if rule == "type":
        wanted = " or ".join(_a(kind) for kind in expected)
        return f"{spec} wants {wanted}, not {_a(mismatch.found)}"
    if rule == "required":
        return f"missing; {spec} requires it"
    if rule in ("minLength", "maxLength"):
        return f"{spec} wants " + _WANTS[rule].format(_counted(expected[0], "character"))
    if rule in _WANTS:
        return f"{spec} wants " + _WANTS[rule].format(expected[0])
    if rule == "pattern":
        return f"does not match the pattern {expected[0]} that {spec} sets"
    if rule == "format":
        return f"{spec} wants {_FORMATS.get(expected[0], expected[0])}"
    if rule in ("minItems", "maxItems"):
        least = "at least" if rule == "minItems" else "at most"
        return f"{_counted(int(mismatch.found), 'item')}; {spec} wants {least} {expected[0]}"
    if rule == "uniqueItems":
        return f"items {mismatch.found} are the same; {spec} wants each item once"
    if rule == "additionalProperties":
        return f"unknown key; {spec} takes no other keys than those it names " + _names(
            mismatch.field, expected
        )
    if rule in ("enum", "const"):
        return f"{spec} allows only {_shown(expected, json.dumps)}"
    names = ", ".join(expected)
    by = f" (told apart by {mismatch.selector})" if mismatch.selector else ""
    if rule == "oneOf":
        return f"fits more than one of the options {spec} offers: {names}{by}; it takes one only"
    return f"fits none of the options {spec} offers: {names}{by}"


def _shown(values: Sequence[Any], show: Callable[[Any], str]) -> str:
    shown = ", ".join(show(v) for v in values[:_SHOWN_VALUES])
    if len(values) > _SHOWN_VALUES:
        shown += f", ... ({len(values)} in all)"
    return shown


def _names(key: str, names: Sequence[str]) -> str:
    """The name *key* may be a typo of, else the names a specification has."""
    close = difflib.get_close_matches(key, names, n=1)
    if close:
        return f"(did you mean {close[0]!r}?)"
    return f"({_shown(names, str)})" if names else "(it names none here)"


def _counted(count: int, thing: str) -> str:
    return f"{count} {thing}" + ("" if count == 1 else "s")


def _a(kind: str) -> str:
    if kind in ("string", "integer", "number", "boolean"):
        return described(kind)
    return {"object": "an object", "array": "an array", "null": "null"}.get(kind, kind)
