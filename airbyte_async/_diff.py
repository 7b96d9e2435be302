"""
What differs between the object the server has and the one wanted: the core of ``ensure``
and of :mod:`airbyte_async.apply`'s planner.

Pure functions, no I/O: the resources' ``ensure`` methods and the planner share them, so both
decide alike. A :class:`Difference` holds both values, for a
plan to show (masked); ``Ensured.changes`` keeps only the paths.

Equality is the server's: a value the server masks (``"**********"``) equals whatever was
given, because the server never says what it holds (:func:`masked_paths` names such values,
for ``Ensured.uncompared`` and a plan's items); a value missing on one side differs from any
value on the other; ``True`` differs from ``1``.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from typing import Any, TypeVar

import attrs

from ._secrets import SECRET_MASK
from .errors import AmbiguousMatchError
from .models import (
    Actor,
    Catalog,
    Connection,
    ConnectionSettings,
    Destination,
    StreamAndConfig,
    StreamConfig,
    SyncMode,
    describe_schedule,
)
from .models import _public_wire as pw

__all__ = [
    "ABSENT",
    "Difference",
    "actor_differences",
    "changed_settings",
    "connection_differences",
    "json_differences",
    "masked_paths",
    "only_match",
    "stream_key",
]

T = TypeVar("T")


class _Absent:
    """The value on the side of a difference where a key does not exist."""

    def __repr__(self) -> str:
        return "ABSENT"


ABSENT: Any = _Absent()


@attrs.frozen
class Difference:
    """One difference: at *path*, the server has *before* and *after* is wanted."""

    path: str
    before: Any = attrs.field(repr=False)
    after: Any = attrs.field(repr=False)


def only_match(
    items: Sequence[T], name: str, noun: str, where: str, ids: Sequence[str]
) -> T | None:
    """
    The one item of *items* (those named *name*), None when there is none; several raise
    :class:`~airbyte_async.errors.AmbiguousMatchError` listing their *ids*.
    """
    if len(items) > 1:
        raise AmbiguousMatchError(
            f"{len(items)} {noun}s are named {name!r} in {where}: {', '.join(ids)};"
            " rename or delete all but one",
            candidates=ids,
        )
    return items[0] if items else None


def _masked(value: Any) -> bool:
    return isinstance(value, str) and value == SECRET_MASK


def _same(wanted: Any, current: Any) -> bool:
    if isinstance(wanted, bool) or isinstance(current, bool):
        return type(wanted) is type(current) and wanted == current
    return bool(wanted == current)


def json_differences(wanted: Any, current: Any, path: str) -> Iterator[Difference]:
    """Leaf-level differences between two JSON values; masked values count as equal."""
    if _masked(wanted) or _masked(current):
        return
    if isinstance(wanted, Mapping) and isinstance(current, Mapping):
        for key in [*wanted, *(k for k in current if k not in wanted)]:
            where = f"{path}.{key}"
            if key not in current:
                yield Difference(where, ABSENT, wanted[key])
            elif key not in wanted:
                yield Difference(where, current[key], ABSENT)
            else:
                yield from json_differences(wanted[key], current[key], where)
        return
    if isinstance(wanted, list) and isinstance(current, list) and len(wanted) == len(current):
        for index, (w, c) in enumerate(zip(wanted, current, strict=True)):
            yield from json_differences(w, c, f"{path}[{index}]")
        return
    if not _same(wanted, current):
        yield Difference(path, current, wanted)


def masked_paths(wanted: Any, current: Any, path: str) -> Iterator[str]:
    """
    The paths where *current* holds the server's mask and *wanted* another value: what
    :func:`json_differences` cannot compare (the server never says what it holds there).
    """
    if _masked(wanted):
        return
    if _masked(current):
        yield path
    elif isinstance(wanted, Mapping) and isinstance(current, Mapping):
        for key in wanted:
            if key in current:
                yield from masked_paths(wanted[key], current[key], f"{path}.{key}")
    elif isinstance(wanted, list) and isinstance(current, list) and len(wanted) == len(current):
        for index, (w, c) in enumerate(zip(wanted, current, strict=True)):
            yield from masked_paths(w, c, f"{path}[{index}]")


def actor_differences(current: Actor, configuration: Mapping[str, Any]) -> list[Difference]:
    """
    How *current*'s configuration differs from *configuration* (paths ``configuration.*``).

    A ``sourceType`` (or ``destinationType``) at the top of *configuration* that *current*
    lacks is not a difference: it names the connector, as the public API's requests may, and
    Airbyte's public API drops it from every configuration it stores, so it is never read back.
    """
    wanted = dict(configuration)
    named_by = pw.DESTINATION_TYPE if isinstance(current, Destination) else pw.SOURCE_TYPE
    if named_by not in current.configuration:
        wanted.pop(named_by, None)
    return list(json_differences(wanted, current.configuration, "configuration"))


def stream_key(entry: StreamAndConfig) -> str:
    """``namespace.name``, or the name alone for a stream without namespace."""
    stream = entry.stream
    return f"{stream.namespace}.{stream.name}" if stream.namespace else stream.name


def _selected(catalog: Catalog) -> dict[str, StreamConfig]:
    # A stream whose configuration does not say is selected: old servers send only those.
    return {
        stream_key(entry): entry.config
        for entry in catalog.streams
        if entry.config is not None and entry.config.selected is not False
    }


def _catalog_differences(wanted: Catalog, current: Catalog) -> Iterator[Difference]:
    want, have = _selected(wanted), _selected(current)
    # Public API releases read a connection's streams back without their namespace
    # (ConnectionReadMapper): such a stream is the wanted one of its name, when only one is.
    by_name: dict[str, set[str]] = {}
    for entry in wanted.streams:
        if stream_key(entry) in want:
            by_name.setdefault(entry.stream.name, set()).add(stream_key(entry))
    for entry in current.streams:
        name = entry.stream.name
        keys = by_name.get(name, set())
        if entry.stream.namespace is None and name in have and name not in want and len(keys) == 1:
            [key] = keys
            if key not in have:
                have[key] = have.pop(name)
    for name in sorted(want.keys() - have.keys()):
        yield Difference(f"streams[{name}]", "not synced", "synced")
    for name in sorted(have.keys() - want.keys()):
        yield Difference(f"streams[{name}]", "synced", "not synced")
    for name in sorted(want.keys() & have.keys()):
        w, h = want[name], have[name]
        pairs: list[tuple[str, Any, Any]] = [
            ("sync_mode", w.sync_mode, h.sync_mode),
            ("destination_sync_mode", w.destination_sync_mode, h.destination_sync_mode),
        ]
        # A cursor matters to incremental reads only, a primary key to deduplicating writes.
        if w.sync_mode is SyncMode.INCREMENTAL:
            pairs.append(("cursor_field", w.cursor_field or (), h.cursor_field or ()))
        if w.destination_sync_mode.needs_primary_key:
            pairs.append(("primary_key", w.primary_key or (), h.primary_key or ()))
        for field, after, before in pairs:
            if after != before:
                yield Difference(f"streams[{name}].{field}", before, after)


def connection_differences(current: Connection, wanted: ConnectionSettings) -> list[Difference]:
    """How *current* differs from *wanted*, for the settings *wanted* sets (not None)."""
    found: list[Difference] = []
    if wanted.schedule_type is not None:
        have = describe_schedule(*current.effective_schedule)
        want = describe_schedule(wanted.schedule_type, wanted.schedule_data)
        if have != want:
            found.append(Difference("schedule", have, want))
    if wanted.sync_catalog is not None:
        found.extend(_catalog_differences(wanted.sync_catalog, current.sync_catalog))
    for field in (
        "status",
        "namespace_definition",
        "namespace_format",
        "prefix",
        "non_breaking_changes_preference",
    ):
        after = getattr(wanted, field)
        before = getattr(current, field)
        if after is not None and after != before:
            found.append(Difference(field, before, after))
    return found


def changed_settings(
    wanted: ConnectionSettings, differences: Sequence[Difference]
) -> ConnectionSettings:
    """
    The part of *wanted* that *differences* (from :func:`connection_differences`) touch: what an
    update sends. A changed schedule sends type and data together.
    """
    changed = {_setting_of(d.path) for d in differences}
    if "schedule" in changed:
        changed |= {"schedule_type", "schedule_data"}
    kept = {f.name: getattr(wanted, f.name) for f in attrs.fields(ConnectionSettings)}
    return ConnectionSettings(**{k: v for k, v in kept.items() if k in changed})


def _setting_of(path: str) -> str:
    """The setting a difference's *path* belongs to."""
    return "sync_catalog" if path.startswith("streams[") else path
