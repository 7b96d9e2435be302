"""
Turn a discovered catalog into a connection's ``sync_catalog``.

::

    schema = await client.sources.discover_schema(source_id=source.source_id)
    assert schema.catalog is not None, schema.failure  # None when discovery failed
    catalog = select_streams(
        schema.catalog,
        "users",
        StreamSelection("orders", sync_mode=SyncMode.INCREMENTAL,
                        destination_sync_mode=DestinationSyncMode.APPEND_DEDUP),
    )
    await client.connections.create(..., sync_catalog=catalog)

Every choice is checked against what the stream says it supports before any request is sent;
a wrong one raises :class:`~airbyte_async.errors.InvalidArgumentError`. Streams not selected stay
in the catalog with ``selected=False``.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence

import attrs

from .errors import InvalidArgumentError
from .models import (
    Catalog,
    DestinationSyncMode,
    Stream,
    StreamAndConfig,
    StreamConfig,
    SyncMode,
)

__all__ = ["MODE_PAIRS", "StreamSelection", "modes_toward", "select_streams", "stream_name"]

#: The pairs of read and write modes Airbyte knows (the public API names each one).
MODE_PAIRS: tuple[tuple[SyncMode, DestinationSyncMode], ...] = tuple(
    (SyncMode(read), DestinationSyncMode(write))
    for read, write in (
        ("full_refresh", "overwrite"),
        ("full_refresh", "overwrite_dedup"),
        ("full_refresh", "append"),
        ("full_refresh", "update"),
        ("full_refresh", "soft_delete"),
        ("incremental", "append"),
        ("incremental", "append_dedup"),
        ("incremental", "update"),
        ("incremental", "soft_delete"),
    )
)


def modes_toward(
    catalog: Catalog, writes: Collection[DestinationSyncMode]
) -> dict[str, tuple[tuple[SyncMode, DestinationSyncMode], ...]]:
    """
    Each stream's pairs of :data:`MODE_PAIRS` that it can read and a destination offering
    *writes* can write, by :func:`stream_name`.
    """
    return {
        stream_name(entry.stream): tuple(
            (read, write)
            for read, write in MODE_PAIRS
            if read in entry.stream.supported_sync_modes and write in writes
        )
        for entry in catalog.streams
    }


def stream_name(stream: Stream) -> str:
    """``namespace.name``, or ``name`` for a stream without a namespace."""
    return f"{stream.namespace}.{stream.name}" if stream.namespace else stream.name


def _key_tuple(
    value: str | Sequence[str | Sequence[str]] | None,
) -> tuple[tuple[str, ...], ...] | None:
    # A string is one field, not its characters: "id", ["id", "day"], [["data", "id"]].
    if value is None:
        return None
    if isinstance(value, str):
        return ((value,),)
    if not isinstance(value, Sequence):
        raise InvalidArgumentError(f"primary_key must name fields, got {value!r}")
    return tuple(_field_path(part, "primary_key") for part in value)


def _path_tuple(value: str | Sequence[str] | None) -> tuple[str, ...] | None:
    return None if value is None else _field_path(value, "cursor_field")


def _field_path(value: str | Sequence[str], what: str) -> tuple[str, ...]:
    if isinstance(value, str):
        return (value,)
    if not isinstance(value, Sequence):
        raise InvalidArgumentError(f"{what} must name fields, got {value!r}")
    path = tuple(value)
    if not path or not all(isinstance(part, str) for part in path):
        raise InvalidArgumentError(f"{what} must name fields, got {value!r}")
    return path


def _sync_mode(value: SyncMode | str | None) -> SyncMode | None:
    return None if value is None else SyncMode(_mode_name(value, "sync_mode"))


def _destination_sync_mode(
    value: DestinationSyncMode | str | None,
) -> DestinationSyncMode | None:
    return (
        None if value is None else DestinationSyncMode(_mode_name(value, "destination_sync_mode"))
    )


def _stream_name(value: object) -> None:
    if not isinstance(value, str) or not value:
        raise InvalidArgumentError(f"a stream's name must be a non-empty string, got {value!r}")


def _mode_name(value: object, what: str) -> str:
    if not isinstance(value, str):  # the enums are str enums too
        raise InvalidArgumentError(f"{what} must be a mode's name, got {value!r}")
    return value


@attrs.frozen
class StreamSelection:
    """
    One stream to sync and how; what is left None keeps the discovered default.

    *name* may be ``"namespace.name"`` when two streams share a name. *cursor_field* is a path
    (``("updated_at",)``; a string is one field), *primary_key* a list of paths
    (``[("id",)]``; a string, or a list of strings, names fields). The modes may be given by
    name (``"incremental"``).
    """

    name: str = attrs.field(validator=lambda _, __, name: _stream_name(name))
    sync_mode: SyncMode | None = attrs.field(default=None, kw_only=True, converter=_sync_mode)
    destination_sync_mode: DestinationSyncMode | None = attrs.field(
        default=None, kw_only=True, converter=_destination_sync_mode
    )
    cursor_field: tuple[str, ...] | None = attrs.field(
        default=None, kw_only=True, converter=_path_tuple
    )
    primary_key: tuple[tuple[str, ...], ...] | None = attrs.field(
        default=None, kw_only=True, converter=_key_tuple
    )


def select_streams(catalog: Catalog, *selections: str | StreamSelection) -> Catalog:
    """
    *catalog* with exactly *selections* selected and configured; the rest unselected.

    Checks, raising :class:`~airbyte_async.errors.InvalidArgumentError`: every stream exists
    (the message lists those that do), no stream is named twice, the sync mode is one the
    stream supports, destination modes are known ones, incremental streams have a cursor
    (the source's or one given), a cursor or primary key given where the source defines its own
    matches it, and deduplicating modes have a primary key.
    """
    if not isinstance(catalog, Catalog):
        hint = " (a discovery's is schema.catalog, None when it failed)"
        raise InvalidArgumentError(f"select_streams takes a Catalog{hint}, got {catalog!r:.80}")
    wanted: dict[int, StreamSelection] = {}
    for selection in selections:
        if not isinstance(selection, str | StreamSelection):
            raise InvalidArgumentError(
                f"streams are names or StreamSelections, one each, got {selection!r}"
            )
        chosen = StreamSelection(selection) if isinstance(selection, str) else selection
        index = _find(catalog, chosen.name)
        if index in wanted:
            raise InvalidArgumentError(f"stream {chosen.name!r} is selected twice")
        wanted[index] = chosen
    streams = []
    for index, entry in enumerate(catalog.streams):
        if index in wanted:
            config = _configure(entry, wanted[index])
        else:
            config = attrs.evolve(_base_config(entry), selected=False)
        streams.append(StreamAndConfig(stream=entry.stream, config=config))
    return Catalog(streams=tuple(streams))


def _find(catalog: Catalog, name: str) -> int:
    exact = [i for i, s in enumerate(catalog.streams) if stream_name(s.stream) == name]
    by_name = [i for i, s in enumerate(catalog.streams) if s.stream.name == name]
    found = exact or by_name
    if len(found) == 1:
        return found[0]
    if found:
        names = ", ".join(stream_name(catalog.streams[i].stream) for i in found)
        raise InvalidArgumentError(f"stream name {name!r} is ambiguous: use one of {names}")
    available = ", ".join(sorted(stream_name(s.stream) for s in catalog.streams)) or "none"
    raise InvalidArgumentError(f"no stream {name!r} in the catalog; available: {available}")


def _base_config(entry: StreamAndConfig) -> StreamConfig:
    if entry.config is not None:
        return entry.config
    supported = entry.stream.supported_sync_modes
    return StreamConfig(
        sync_mode=supported[0] if supported else SyncMode.FULL_REFRESH,
        destination_sync_mode=DestinationSyncMode.OVERWRITE,
    )


def _configure(entry: StreamAndConfig, choice: StreamSelection) -> StreamConfig:
    stream, base = entry.stream, _base_config(entry)
    name = stream_name(stream)
    sync_mode = choice.sync_mode or base.sync_mode
    if not sync_mode.is_known or (
        stream.supported_sync_modes and sync_mode not in stream.supported_sync_modes
    ):
        supported = ", ".join(stream.supported_sync_modes) or "none listed"
        raise InvalidArgumentError(
            f"stream {name!r} does not support sync mode {sync_mode!s} (supports: {supported})"
        )
    destination_mode = choice.destination_sync_mode or base.destination_sync_mode
    if not destination_mode.is_known:
        known = ", ".join(DestinationSyncMode)
        raise InvalidArgumentError(
            f"unknown destination sync mode {destination_mode!s} for {name!r} (known: {known})"
        )
    return attrs.evolve(
        base,
        selected=True,
        sync_mode=sync_mode,
        destination_sync_mode=destination_mode,
        cursor_field=_cursor(stream, name, sync_mode, choice.cursor_field, base.cursor_field),
        primary_key=_primary_key(stream, name, destination_mode, choice.primary_key, base),
    )


def _cursor(
    stream: Stream,
    name: str,
    sync_mode: SyncMode,
    given: tuple[str, ...] | None,
    configured: tuple[str, ...] | None,
) -> tuple[str, ...] | None:
    if stream.source_defined_cursor:
        if given is not None and given != stream.default_cursor_field:
            raise InvalidArgumentError(
                f"stream {name!r} defines its own cursor {'.'.join(stream.default_cursor_field)!r}"
                f"; it cannot be {'.'.join(given)!r}"
            )
        return stream.default_cursor_field or configured
    if given is not None:
        _check_declared(stream, name, given, "cursor_field")
    cursor = given or configured or stream.default_cursor_field or None
    if sync_mode is SyncMode.INCREMENTAL and not cursor:
        raise InvalidArgumentError(
            f"stream {name!r} has no source-defined cursor: incremental needs cursor_field"
        )
    return cursor


def _primary_key(
    stream: Stream,
    name: str,
    mode: DestinationSyncMode,
    given: tuple[tuple[str, ...], ...] | None,
    base: StreamConfig,
) -> tuple[tuple[str, ...], ...] | None:
    defined = stream.source_defined_primary_key
    if defined and given is not None and given != defined:
        raise InvalidArgumentError(
            f"stream {name!r} defines its own primary key {_keys(defined)}; "
            f"it cannot be {_keys(given)}"
        )
    for path in given or ():
        _check_declared(stream, name, path, "primary_key")
    key = defined or given or base.primary_key or None
    if mode.needs_primary_key and not key:
        raise InvalidArgumentError(
            f"destination sync mode {mode!s} needs a primary key and stream {name!r} has none:"
            " give primary_key"
        )
    return key


def _check_declared(stream: Stream, name: str, path: tuple[str, ...], what: str) -> None:
    """Refuse a field *path* that the stream's JSON schema does not declare (a schema, or a
    level of it, that lists no properties is taken on trust)."""
    schema: object = stream.json_schema
    for depth, field in enumerate(path):
        properties = schema.get("properties") if isinstance(schema, dict) else None
        if not isinstance(properties, dict) or not properties:
            return
        if field not in properties:
            fields = sorted(properties)
            shown = ", ".join(fields[:12]) + (", ..." if len(fields) > 12 else "")
            raise InvalidArgumentError(
                f"stream {name!r} has no field {'.'.join(path[: depth + 1])!r} for its {what}"
                f" (its fields: {shown})"
            )
        schema = properties[field]


def _keys(key: tuple[tuple[str, ...], ...]) -> str:
    return "[" + ", ".join(".".join(path) for path in key) + "]"
