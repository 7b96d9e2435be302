"""
The public REST API's shapes (public-api-head.yaml), as private wire classes.

The one converter reads and writes them like the Config API's (camelCase keys, minimal bodies,
opaque configuration passed through); :mod:`airbyte_async.resources._public` turns them into
the same models the Config API gives (:class:`~airbyte_async.models.Job`, ...). Times are ISO
strings here, except the epoch-second ``createdAt`` of actors and connections.
"""

from __future__ import annotations

from datetime import datetime

import attrs

from .._checks import canonical_uuid, canonical_uuid_or_none, string_field, uuid_field
from .._secrets import redacted_repr
from ._catalog import SelectedField
from ._common import IsoDateTime, JsonObject
from ._connections import ConnectionStatus, Tag
from ._jobs import JobStatus

# The public API's query parameters: their camelCase names live here, with the bodies'.
WORKSPACE_IDS = "workspaceIds"
SOURCE_ID = "sourceId"
IGNORE_CACHE = "ignoreCache"
DESTINATION_ID = "destinationId"
CONNECTION_ID = "connectionId"
CREATED_AT_START = "createdAtStart"
UPDATED_AT_START = "updatedAtStart"
JOB_TYPE = "jobType"
ORDER_BY = "orderBy"
#: ``orderBy`` for the newest change first.
BY_UPDATE_DESCENDING = "updatedAt|DESC"
#: ``orderBy`` for the newest job first: the Config API's order, which callers of a job
#: listing count on. The public API's own default is the oldest first
#: (``JobsHelper.orderByToFieldAndMethod``): a page would hold a connection's oldest jobs.
BY_CREATION_DESCENDING = "createdAt|DESC"
#: The key at the top of a source's or destination's configuration that names its connector
#: on the public API (the ``oneOf``'s discriminator), which Airbyte drops from every
#: configuration it stores (``removeSourceTypeNode``, ``removeDestinationType``).
SOURCE_TYPE = "sourceType"
DESTINATION_TYPE = "destinationType"

# -- answers ----------------------------------------------------------------------------------


@attrs.frozen(kw_only=True)
class JobResponse:
    job_id: int
    status: JobStatus
    job_type: str
    start_time: IsoDateTime
    connection_id: str
    last_updated_at: IsoDateTime | None = None
    duration: str | None = None
    bytes_synced: int | None = None
    rows_synced: int | None = None


@attrs.frozen(kw_only=True)
class JobsResponse:
    data: tuple[JobResponse, ...]
    next: str | None = None


@attrs.frozen(kw_only=True)
class WorkspaceResponse:
    workspace_id: str
    name: str
    data_residency: str | None = None


@attrs.frozen(kw_only=True)
class WorkspacesResponse:
    data: tuple[WorkspaceResponse, ...]
    next: str | None = None


@attrs.frozen(kw_only=True)
class DefinitionResponse:
    """A source or destination definition (``DefinitionResponse``); *documentation_url* is
    the text ``"null"`` for a definition without one (the controller's ``toString()``)."""

    id: str
    name: str
    docker_repository: str
    docker_image_tag: str
    documentation_url: str | None = None


@attrs.frozen(kw_only=True)
class DefinitionsResponse:
    data: tuple[DefinitionResponse, ...]


@attrs.frozen(kw_only=True)
class SourceResponse:
    source_id: str
    name: str
    source_type: str | None = None
    definition_id: str
    workspace_id: str
    configuration: JsonObject = attrs.field(repr=redacted_repr)
    created_at: datetime | None = None


@attrs.frozen(kw_only=True)
class SourcesResponse:
    data: tuple[SourceResponse, ...]
    next: str | None = None


@attrs.frozen(kw_only=True)
class DestinationResponse:
    destination_id: str
    name: str
    destination_type: str | None = None
    definition_id: str
    workspace_id: str
    configuration: JsonObject = attrs.field(repr=redacted_repr)
    created_at: datetime | None = None


@attrs.frozen(kw_only=True)
class DestinationsResponse:
    data: tuple[DestinationResponse, ...]
    next: str | None = None


@attrs.frozen(kw_only=True)
class StreamConfiguration:
    """One stream of a connection; *sync_mode* joins the read and write modes
    (``incremental_deduped_history``). What a request leaves out comes from the discovered
    stream, not from the connection (``AirbyteCatalogHelper.toAirbyteStreamConfiguration``)."""

    name: str
    namespace: str | None = None
    sync_mode: str | None = None
    cursor_field: tuple[str, ...] | None = None
    primary_key: tuple[tuple[str, ...], ...] | None = None
    selected_fields: tuple[SelectedField, ...] | None = None
    mappers: tuple[JsonObject, ...] | None = None
    include_files: bool | None = None
    destination_object_name: str | None = None


@attrs.frozen(kw_only=True)
class StreamConfigurations:
    streams: tuple[StreamConfiguration, ...] = ()


@attrs.frozen(kw_only=True)
class ScheduleResponse:
    schedule_type: str
    cron_expression: str | None = None
    basic_timing: str | None = None


@attrs.frozen(kw_only=True)
class ConnectionResponse:
    connection_id: str
    name: str
    source_id: str
    destination_id: str
    workspace_id: str
    status: ConnectionStatus
    schedule: ScheduleResponse
    configurations: StreamConfigurations = StreamConfigurations()
    non_breaking_schema_updates_behavior: str | None = None
    namespace_definition: str | None = None
    namespace_format: str | None = None
    prefix: str | None = None
    created_at: datetime | None = None
    status_reason: str | None = None
    tags: tuple[Tag, ...] | None = None


@attrs.frozen(kw_only=True)
class ConnectionsResponse:
    data: tuple[ConnectionResponse, ...]
    next: str | None = None


@attrs.frozen(kw_only=True)
class StreamProperties:
    stream_name: str
    sync_modes: tuple[str, ...] = ()
    streamnamespace: str | None = None
    default_cursor_field: tuple[str, ...] = ()
    source_defined_cursor_field: bool | None = None
    source_defined_primary_key: tuple[tuple[str, ...], ...] = ()
    property_fields: tuple[tuple[str, ...], ...] = ()


# -- requests ---------------------------------------------------------------------------------


@attrs.frozen(kw_only=True)
class WorkspaceCreateRequest:
    name: str = attrs.field(validator=string_field())
    organization_id: str | None = attrs.field(default=None, validator=uuid_field(optional=True))


@attrs.frozen(kw_only=True)
class JobCreateRequest:
    job_type: str
    connection_id: str = attrs.field(converter=canonical_uuid, validator=uuid_field())


@attrs.frozen(kw_only=True)
class ActorCreateRequest:
    name: str = attrs.field(validator=string_field())
    workspace_id: str = attrs.field(converter=canonical_uuid, validator=uuid_field())
    configuration: JsonObject = attrs.field(repr=False)
    definition_id: str | None = attrs.field(
        default=None, converter=canonical_uuid_or_none, validator=uuid_field(optional=True)
    )


@attrs.frozen(kw_only=True)
class ActorPatchRequest:
    name: str | None = attrs.field(default=None, validator=string_field(optional=True))
    configuration: JsonObject | None = attrs.field(default=None, repr=False)


@attrs.frozen(kw_only=True)
class ActorPutRequest:
    name: str = attrs.field(validator=string_field())
    configuration: JsonObject = attrs.field(repr=False)


@attrs.frozen(kw_only=True)
class ScheduleRequest:
    schedule_type: str
    cron_expression: str | None = None


@attrs.frozen(kw_only=True)
class ConnectionPatchRequest:
    """What create and patch share; only what is set is sent."""

    name: str | None = attrs.field(default=None, validator=string_field(optional=True))
    configurations: StreamConfigurations | None = None
    schedule: ScheduleRequest | None = None
    namespace_definition: str | None = None
    namespace_format: str | None = None
    prefix: str | None = None
    non_breaking_schema_updates_behavior: str | None = None
    status: ConnectionStatus | None = None


@attrs.frozen(kw_only=True)
class ConnectionCreateRequest(ConnectionPatchRequest):
    source_id: str = attrs.field(converter=canonical_uuid, validator=uuid_field())
    destination_id: str = attrs.field(converter=canonical_uuid, validator=uuid_field())
