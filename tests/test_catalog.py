"""select_streams: a discovered catalog in, a checked sync catalog out."""

from __future__ import annotations

import pytest

from airbyte_async._serde import structure, unstructure
from airbyte_async.catalog import StreamSelection, select_streams
from airbyte_async.errors import InvalidArgumentError
from airbyte_async.models import Catalog, DestinationSyncMode, StreamConfig, SyncMode


def discovered() -> Catalog:
    """A discovery result with the variety the checks care about."""
    return structure(
        {
            "streams": [
                {
                    "stream": {
                        "name": "users",
                        "namespace": "public",
                        "jsonSchema": {
                            "type": "object",
                            "properties": {
                                "id": {"type": "integer"},
                                "email": {"type": "string"},
                                "updated_at": {"type": "string"},
                                "data": {"type": "object", "properties": {"id": {}}},
                            },
                        },
                        "supportedSyncModes": ["full_refresh", "incremental"],
                        "sourceDefinedCursor": False,
                        "defaultCursorField": [],
                        "sourceDefinedPrimaryKey": [["id"]],
                    },
                    "config": {
                        "syncMode": "full_refresh",
                        "destinationSyncMode": "overwrite",
                        "selected": True,
                        "aliasName": "users",
                    },
                },
                {
                    "stream": {
                        "name": "events",
                        "namespace": "public",
                        "supportedSyncModes": ["full_refresh", "incremental"],
                        "sourceDefinedCursor": True,
                        "defaultCursorField": ["occurred_at"],
                    },
                    "config": {"syncMode": "full_refresh", "destinationSyncMode": "append"},
                },
                {
                    "stream": {"name": "countries", "supportedSyncModes": ["full_refresh"]},
                },
                {
                    "stream": {
                        "name": "users",
                        "namespace": "archive",
                        "supportedSyncModes": ["full_refresh"],
                    },
                },
            ]
        },
        Catalog,
    )


def config_of(catalog: Catalog, full_name: str) -> StreamConfig:
    """The configuration of the stream called namespace.name (or name)."""
    for entry in catalog.streams:
        name = entry.stream.name
        if full_name in (name, f"{entry.stream.namespace}.{name}"):
            assert entry.config is not None
            return entry.config
    raise AssertionError(full_name)


def test_only_selected_streams_are_selected() -> None:
    """Unselected streams stay in the catalog with selected=False."""
    catalog = select_streams(discovered(), "countries")

    assert [s.stream.name for s in catalog.selected] == ["countries"]
    assert len(catalog.streams) == 4
    assert config_of(catalog, "public.users").selected is False


def test_a_bare_name_keeps_the_discovered_defaults() -> None:
    """Selected by name only: the discovered modes and other settings stay."""
    catalog = select_streams(discovered(), "public.users")
    config = config_of(catalog, "public.users")

    assert (config.sync_mode, config.destination_sync_mode) == (
        SyncMode.FULL_REFRESH,
        DestinationSyncMode.OVERWRITE,
    )
    assert config.alias_name == "users"
    assert config.primary_key == (("id",),)


def test_stream_without_config_gets_a_default_one() -> None:
    """A stream the server sent without configuration gets full refresh, overwrite."""
    config = config_of(select_streams(discovered(), "countries"), "countries")

    assert (config.sync_mode, config.destination_sync_mode, config.selected) == (
        SyncMode.FULL_REFRESH,
        DestinationSyncMode.OVERWRITE,
        True,
    )


def test_incremental_with_source_defined_cursor() -> None:
    """The source's cursor is used when the source defines one."""
    selection = StreamSelection("events", sync_mode=SyncMode.INCREMENTAL)

    config = config_of(select_streams(discovered(), selection), "events")

    assert config.sync_mode is SyncMode.INCREMENTAL
    assert config.cursor_field == ("occurred_at",)


def test_incremental_dedup_with_given_cursor() -> None:
    """A cursor given for a stream without one, dedup on the source's primary key."""
    selection = StreamSelection(
        "public.users",
        sync_mode=SyncMode.INCREMENTAL,
        destination_sync_mode=DestinationSyncMode.APPEND_DEDUP,
        cursor_field=["updated_at"],
    )

    config = config_of(select_streams(discovered(), selection), "public.users")

    assert config.cursor_field == ("updated_at",)
    assert config.primary_key == (("id",),)
    assert config.destination_sync_mode is DestinationSyncMode.APPEND_DEDUP


def test_result_writes_as_a_sync_catalog() -> None:
    """The catalog written for connections/create has camelCase config and the selection."""
    selection = StreamSelection("events", sync_mode=SyncMode.INCREMENTAL)

    written = unstructure(select_streams(discovered(), selection))

    events = written["streams"][1]
    assert events["config"] == {
        "syncMode": "incremental",
        "destinationSyncMode": "append",
        "cursorField": ["occurred_at"],
        "selected": True,
    }
    assert written["streams"][2]["config"]["selected"] is False


@pytest.mark.parametrize(
    ("selection", "message"),
    [
        ("nope", r"no stream 'nope' in the catalog; available: archive\.users, countries, "),
        ("users", r"ambiguous: use one of public\.users, archive\.users"),
        (
            StreamSelection("countries", sync_mode=SyncMode.INCREMENTAL),
            r"does not support sync mode incremental \(supports: full_refresh\)",
        ),
        (
            StreamSelection("countries", sync_mode=SyncMode("cdc")),
            "does not support sync mode cdc",
        ),
        (
            StreamSelection("public.users", sync_mode=SyncMode.INCREMENTAL),
            "no source-defined cursor: incremental needs cursor_field",
        ),
        (
            StreamSelection("events", sync_mode=SyncMode.INCREMENTAL, cursor_field=["id"]),
            "defines its own cursor 'occurred_at'",
        ),
        (
            StreamSelection("public.users", primary_key=[["email"]]),
            r"defines its own primary key \[id\]",
        ),
        (
            StreamSelection("countries", destination_sync_mode=DestinationSyncMode.APPEND_DEDUP),
            "needs a primary key",
        ),
        (
            StreamSelection("public.users", sync_mode="incremental", cursor_field="updated"),  # type: ignore[arg-type]
            r"has no field 'updated' for its cursor_field \(its fields: data, email, id, upd",
        ),
        (
            StreamSelection("public.users", cursor_field=["data", "at"]),
            "has no field 'data.at' for its cursor_field",
        ),
        (
            StreamSelection("countries", destination_sync_mode=DestinationSyncMode("mirror")),
            "unknown destination sync mode mirror",
        ),
    ],
)
def test_wrong_choices_raise_before_any_request(
    selection: str | StreamSelection, message: str
) -> None:
    """Every check raises InvalidArgumentError with a message that says what to do."""
    with pytest.raises(InvalidArgumentError, match=message):
        select_streams(discovered(), selection)


def test_a_stream_selected_twice_is_an_error() -> None:
    """Naming the same stream twice is ambiguous, so refused."""
    with pytest.raises(InvalidArgumentError, match="selected twice"):
        select_streams(discovered(), "countries", StreamSelection("countries"))


def test_input_catalog_is_not_changed() -> None:
    """Models are frozen: the discovered catalog is left as it was."""
    before = discovered()

    select_streams(before, "countries")

    assert before == discovered()


def test_a_string_names_one_field_and_modes_may_be_named() -> None:
    """As in a pipeline file: a string cursor or key is one field (not its characters), a list
    of strings a key of several fields, and modes may be given by name."""
    selection = StreamSelection(
        "public.users",
        sync_mode="incremental",  # type: ignore[arg-type]
        destination_sync_mode="append_dedup",  # type: ignore[arg-type]
        cursor_field="updated_at",  # type: ignore[arg-type]
        primary_key="id",  # type: ignore[arg-type]
    )

    config = config_of(select_streams(discovered(), selection), "public.users")

    assert config.sync_mode is SyncMode.INCREMENTAL
    assert config.destination_sync_mode is DestinationSyncMode.APPEND_DEDUP
    assert config.cursor_field == ("updated_at",)
    assert config.primary_key == (("id",),)
    several = StreamSelection("countries", primary_key=["id", "day"])  # type: ignore[list-item]
    assert several.primary_key == (("id",), ("day",))


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda: select_streams(None, "users"), r"takes a Catalog \(a discovery's is"),  # type: ignore[arg-type]
        (lambda: select_streams(discovered(), ["users"]), "names or StreamSelections"),  # type: ignore[arg-type]
        (lambda: StreamSelection("users", sync_mode=3), "sync_mode must be a mode's name"),  # type: ignore[arg-type]
        (lambda: StreamSelection("users", cursor_field=[]), "cursor_field must name fields"),
        (lambda: StreamSelection("users", primary_key=[[1]]), "primary_key must name fields"),  # type: ignore[list-item]
        (lambda: StreamSelection("users", primary_key=5), "primary_key must name fields"),  # type: ignore[arg-type]
        (lambda: StreamSelection("users", primary_key=[5]), "primary_key must name fields"),  # type: ignore[list-item]
        (lambda: StreamSelection("users", cursor_field=5), "cursor_field must name fields"),  # type: ignore[arg-type]
        (lambda: StreamSelection(5), "a stream's name must be a non-empty string"),  # type: ignore[arg-type]
    ],
)
def test_wrong_types_are_invalid_arguments(call: object, message: str) -> None:
    """A wrong type where a catalog, a stream or a mode goes raises InvalidArgumentError
    saying what is wanted (not an AttributeError from deep inside)."""
    assert callable(call)
    with pytest.raises(InvalidArgumentError, match=message):
        call()
