"""
The catalog: the streams a source offers and how a connection syncs each of them.

A catalog comes from ``sources/discover_schema`` and goes back as a connection's ``syncCatalog``,
so every field the server sends is modelled: nothing is lost on the way round.
:mod:`airbyte_async.catalog` selects streams and sets their modes.
"""

from __future__ import annotations

import attrs

from ._common import JsonObject, OpenEnum

__all__ = [
    "Catalog",
    "DestinationSyncMode",
    "SelectedField",
    "Stream",
    "StreamAndConfig",
    "StreamConfig",
    "SyncMode",
]


class SyncMode(OpenEnum):
    """How the source reads a stream."""

    FULL_REFRESH = "full_refresh"
    INCREMENTAL = "incremental"


class DestinationSyncMode(OpenEnum):
    """
    How the destination writes a stream.

    0.x servers know ``append``, ``overwrite`` and ``append_dedup`` only; the others came with 1.x.
    """

    APPEND = "append"
    OVERWRITE = "overwrite"
    APPEND_DEDUP = "append_dedup"
    OVERWRITE_DEDUP = "overwrite_dedup"
    UPDATE = "update"
    SOFT_DELETE = "soft_delete"

    @property
    def needs_primary_key(self) -> bool:
        """True for the modes that deduplicate (or address rows) by primary key."""
        return self in _KEYED_MODES


_KEYED_MODES = frozenset(
    {
        DestinationSyncMode.APPEND_DEDUP,
        DestinationSyncMode.OVERWRITE_DEDUP,
        DestinationSyncMode.UPDATE,
        DestinationSyncMode.SOFT_DELETE,
    }
)


@attrs.frozen(kw_only=True)
class Stream:
    """A stream as the source describes it (``AirbyteStream``); *json_schema* is untouched."""

    name: str
    namespace: str | None = None
    json_schema: JsonObject | None = attrs.field(default=None, repr=False, hash=False)
    supported_sync_modes: tuple[SyncMode, ...] = ()
    source_defined_cursor: bool | None = None
    default_cursor_field: tuple[str, ...] = ()
    source_defined_primary_key: tuple[tuple[str, ...], ...] = ()
    is_resumable: bool | None = None
    is_file_based: bool | None = None


@attrs.frozen(kw_only=True)
class SelectedField:
    """One field picked for syncing (or hashing), as a path into the record."""

    field_path: tuple[str, ...] = ()


@attrs.frozen(kw_only=True)
class StreamConfig:
    """
    How a connection syncs one stream (``AirbyteStreamConfiguration``).

    *mappers* are kept as the server sent them, so a catalog read from a connection can be sent
    back without losing them.
    """

    sync_mode: SyncMode
    destination_sync_mode: DestinationSyncMode
    selected: bool | None = None
    cursor_field: tuple[str, ...] | None = None
    primary_key: tuple[tuple[str, ...], ...] | None = None
    namespace: str | None = None
    alias_name: str | None = None
    suggested: bool | None = None
    field_selection_enabled: bool | None = None
    selected_fields: tuple[SelectedField, ...] | None = None
    hashed_fields: tuple[SelectedField, ...] | None = None
    mappers: tuple[JsonObject, ...] | None = attrs.field(default=None, hash=False)
    destination_object_name: str | None = None
    include_files: bool | None = None
    minimum_generation_id: int | None = None
    generation_id: int | None = None
    sync_id: int | None = None


@attrs.frozen(kw_only=True)
class StreamAndConfig:
    """A stream and, when the server sent one, its configuration."""

    stream: Stream
    config: StreamConfig | None = None


@attrs.frozen(kw_only=True)
class Catalog:
    """A catalog (``AirbyteCatalog``): every stream with its configuration."""

    streams: tuple[StreamAndConfig, ...] = ()

    @property
    def stream_names(self) -> tuple[str, ...]:
        """The names of all streams, in catalog order."""
        return tuple(s.stream.name for s in self.streams)

    @property
    def selected(self) -> tuple[StreamAndConfig, ...]:
        """The streams whose configuration says they are selected."""
        return tuple(s for s in self.streams if s.config is not None and s.config.selected)
