"""
Request bodies and list envelopes: private shapes that exist only on the wire.

Resources build these and :func:`airbyte_async._serde.unstructure` writes them (camelCase and the
API's odd keys are the converter's business). Bodies write minimally: fields left at None are
not sent. Classes whose wire keys depend on the actor kind (``sourceId`` / ``destinationId``)
come in a source and a destination flavour; ``_serde`` knows which is which.
"""

from __future__ import annotations

import enum

import attrs

from .._checks import (
    LONG_MAX,
    canonical_uuid,
    canonical_uuid_or_none,
    canonical_uuids,
    ids_field,
    string_field,
    uuid_field,
    whole,
)
from ._common import IsoDateTime, JsonObject
from ._connections import Connection, ConnectionSettings
from ._definitions import DestinationDefinition, SourceDefinition
from ._destinations import Destination
from ._jobs import JobStatus, JobType
from ._sources import Source
from ._workspaces import Workspace

# -- generic ----------------------------------------------------------------------------------


@attrs.frozen(kw_only=True)
class Pagination:
    """Offset paging, as jobs/list and the ``*_paginated`` routes take it."""

    page_size: int | None = None
    row_offset: int | None = None


# -- workspaces -------------------------------------------------------------------------------


@attrs.frozen(kw_only=True)
class WorkspaceIdBody:
    workspace_id: str = attrs.field(converter=canonical_uuid, validator=uuid_field())


@attrs.frozen(kw_only=True)
class SlugBody:
    slug: str = attrs.field(validator=string_field())


@attrs.frozen(kw_only=True)
class WorkspaceCreate:
    name: str = attrs.field(validator=string_field())
    organization_id: str | None = attrs.field(
        default=None, converter=canonical_uuid_or_none, validator=uuid_field(optional=True)
    )
    email: str | None = None


@attrs.frozen(kw_only=True)
class WorkspacesByOrganization:
    organization_id: str = attrs.field(converter=canonical_uuid, validator=uuid_field())
    pagination: Pagination | None = None


@attrs.frozen(kw_only=True)
class WorkspaceList:
    workspaces: tuple[Workspace, ...]


# -- definitions ------------------------------------------------------------------------------


@attrs.frozen(kw_only=True)
class DefinitionIdBody:
    definition_id: str = attrs.field(converter=canonical_uuid, validator=uuid_field())


@attrs.frozen(kw_only=True)
class SourceDefinitionIdBody(DefinitionIdBody):
    pass


@attrs.frozen(kw_only=True)
class DestinationDefinitionIdBody(DefinitionIdBody):
    pass


@attrs.frozen(kw_only=True)
class DefinitionSpecBody:
    definition_id: str = attrs.field(converter=canonical_uuid, validator=uuid_field())
    workspace_id: str = attrs.field(converter=canonical_uuid, validator=uuid_field())


@attrs.frozen(kw_only=True)
class SourceDefinitionSpecBody(DefinitionSpecBody):
    pass


@attrs.frozen(kw_only=True)
class DestinationDefinitionSpecBody(DefinitionSpecBody):
    pass


@attrs.frozen(kw_only=True)
class SourceDefinitionList:
    items: tuple[SourceDefinition, ...]


@attrs.frozen(kw_only=True)
class DestinationDefinitionList:
    items: tuple[DestinationDefinition, ...]


# -- sources and destinations -----------------------------------------------------------------


@attrs.frozen(kw_only=True)
class ActorIdBody:
    actor_id: str = attrs.field(
        converter=canonical_uuid, validator=uuid_field("the source or destination id")
    )


@attrs.frozen(kw_only=True)
class SourceIdBody(ActorIdBody):
    actor_id: str = attrs.field(converter=canonical_uuid, validator=uuid_field("source_id"))


@attrs.frozen(kw_only=True)
class DestinationIdBody(ActorIdBody):
    actor_id: str = attrs.field(converter=canonical_uuid, validator=uuid_field("destination_id"))


@attrs.frozen(kw_only=True)
class ActorCreate:
    workspace_id: str = attrs.field(converter=canonical_uuid, validator=uuid_field())
    name: str = attrs.field(validator=string_field())
    definition_id: str = attrs.field(converter=canonical_uuid, validator=uuid_field())
    configuration: JsonObject = attrs.field(repr=False)


@attrs.frozen(kw_only=True)
class SourceCreate(ActorCreate):
    pass


@attrs.frozen(kw_only=True)
class DestinationCreate(ActorCreate):
    pass


@attrs.frozen(kw_only=True)
class ActorUpdate:
    actor_id: str = attrs.field(
        converter=canonical_uuid, validator=uuid_field("the source or destination id")
    )
    name: str = attrs.field(validator=string_field())
    configuration: JsonObject = attrs.field(repr=False)


@attrs.frozen(kw_only=True)
class SourceUpdate(ActorUpdate):
    actor_id: str = attrs.field(converter=canonical_uuid, validator=uuid_field("source_id"))


@attrs.frozen(kw_only=True)
class DestinationUpdate(ActorUpdate):
    actor_id: str = attrs.field(converter=canonical_uuid, validator=uuid_field("destination_id"))


@attrs.frozen(kw_only=True)
class ActorListBody:
    """``sources/list`` and ``destinations/list``; recent servers page by *cursor* (an actor id)."""

    workspace_id: str = attrs.field(converter=canonical_uuid, validator=uuid_field())
    cursor: str | None = None
    page_size: int | None = None


@attrs.frozen(kw_only=True)
class SourceList:
    """*page_size* is set only by servers that page (1.8+); it echoes the size used."""

    items: tuple[Source, ...]
    page_size: int | None = None


@attrs.frozen(kw_only=True)
class DestinationList:
    items: tuple[Destination, ...]
    page_size: int | None = None


@attrs.frozen(kw_only=True)
class DiscoverSchemaBody:
    source_id: str = attrs.field(converter=canonical_uuid, validator=uuid_field())
    disable_cache: bool = False


@attrs.frozen(kw_only=True)
class SourceCoreConfig:
    """A configuration run as a source's without storing one (``scheduler/sources/...``)."""

    workspace_id: str = attrs.field(converter=canonical_uuid, validator=uuid_field())
    definition_id: str = attrs.field(converter=canonical_uuid, validator=uuid_field())
    configuration: JsonObject = attrs.field(repr=False)


# -- connections ------------------------------------------------------------------------------


@attrs.frozen(kw_only=True)
class ConnectionIdBody:
    connection_id: str = attrs.field(converter=canonical_uuid, validator=uuid_field())


@attrs.frozen(kw_only=True)
class ConnectionCreate(ConnectionSettings):
    source_id: str = attrs.field(converter=canonical_uuid, validator=uuid_field())
    destination_id: str = attrs.field(converter=canonical_uuid, validator=uuid_field())
    name: str | None = attrs.field(default=None, validator=string_field(optional=True))


@attrs.frozen(kw_only=True)
class ConnectionUpdate(ConnectionSettings):
    """A patch: only what is set is sent."""

    connection_id: str = attrs.field(converter=canonical_uuid, validator=uuid_field())
    name: str | None = attrs.field(default=None, validator=string_field(optional=True))


@attrs.frozen(kw_only=True)
class ConnectionStream:
    """A stream a refresh (or a per-stream reset) names (``ConnectionStream``)."""

    stream_name: str
    stream_namespace: str | None = None


@attrs.frozen(kw_only=True)
class ConnectionStreamBody:
    """``connections/reset/stream``'s body (``ConnectionStreamRequestBody``)."""

    connection_id: str = attrs.field(converter=canonical_uuid, validator=uuid_field())
    streams: tuple[ConnectionStream, ...]


@attrs.frozen(kw_only=True)
class ConnectionStreamRefreshBody:
    """``connections/refresh``'s body (``ConnectionStreamRefreshRequestBody``): no streams,
    every stream of the connection (``ConnectionApiController.refreshConnectionStream``)."""

    connection_id: str = attrs.field(converter=canonical_uuid, validator=uuid_field())
    refresh_mode: str
    streams: tuple[ConnectionStream, ...] = ()


@attrs.frozen(kw_only=True)
class ConnectionList:
    connections: tuple[Connection, ...]


@attrs.frozen(kw_only=True)
class LegacyStreamProgress:
    """One element of 0.50's ``connections/sync_progress`` answer (a bare array)."""

    stream_name: str
    stream_namespace: str | None = None
    records_extracted: int | None = None
    records_loaded: int | None = None


# -- jobs -------------------------------------------------------------------------------------


class OrderField(enum.StrEnum):
    CREATED_AT = "createdAt"
    UPDATED_AT = "updatedAt"


class OrderMethod(enum.StrEnum):
    ASC = "ASC"
    DESC = "DESC"


@attrs.frozen(kw_only=True)
class JobIdBody:
    id: int = attrs.field(
        validator=lambda _, __, value: whole("job_id", value, minimum=0, maximum=LONG_MAX)
    )


@attrs.frozen(kw_only=True)
class JobFilter:
    """What jobs/list and jobs/list_for_workspaces share; only what is set is sent."""

    config_types: tuple[JobType, ...]
    pagination: Pagination | None = None
    statuses: tuple[JobStatus, ...] | None = None
    created_at_start: IsoDateTime | None = None
    updated_at_start: IsoDateTime | None = None
    order_by_field: OrderField | None = None
    order_by_method: OrderMethod | None = None


@attrs.frozen(kw_only=True)
class JobListBody(JobFilter):
    config_id: str = attrs.field(converter=canonical_uuid, validator=uuid_field("connection_id"))


@attrs.frozen(kw_only=True)
class JobIncludingBody:
    """jobs/list asked for the pages that include one job (0.50 and later: no configId)."""

    config_types: tuple[JobType, ...]
    including_job_id: int
    pagination: Pagination


@attrs.frozen(kw_only=True)
class JobListForWorkspacesBody(JobFilter):
    workspace_ids: tuple[str, ...] = attrs.field(
        converter=canonical_uuids, validator=ids_field("workspace id")
    )
