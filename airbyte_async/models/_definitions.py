"""Connector definitions: what kinds of sources and destinations the deployment offers."""

from __future__ import annotations

from datetime import date

import attrs

from ._catalog import DestinationSyncMode
from ._common import JsonObject, OpenEnum

__all__ = [
    "DefinitionSpecification",
    "DestinationDefinition",
    "ReleaseStage",
    "SourceDefinition",
    "SupportLevel",
]


class ReleaseStage(OpenEnum):
    """How mature a connector is (``ReleaseStage``)."""

    ALPHA = "alpha"
    BETA = "beta"
    GENERALLY_AVAILABLE = "generally_available"
    CUSTOM = "custom"


class SupportLevel(OpenEnum):
    """Who supports a connector (``SupportLevel``, 0.50 and later)."""

    COMMUNITY = "community"
    CERTIFIED = "certified"
    ARCHIVED = "archived"
    NONE = "none"


@attrs.frozen(kw_only=True)
class _Definition:
    """Fields source and destination definitions share; *definition_id* is the definition's id."""

    definition_id: str
    name: str
    docker_repository: str
    docker_image_tag: str
    documentation_url: str | None = None
    icon: str | None = None
    protocol_version: str | None = None
    custom: bool = False
    enterprise: bool = False
    release_stage: ReleaseStage | None = None
    release_date: date | None = None
    support_level: SupportLevel | None = None
    cdk_version: str | None = None
    language: str | None = None


@attrs.frozen(kw_only=True)
class SourceDefinition(_Definition):
    """A source connector definition (``SourceDefinitionRead``)."""

    source_type: str | None = None


@attrs.frozen(kw_only=True)
class DestinationDefinition(_Definition):
    """A destination connector definition (``DestinationDefinitionRead``)."""

    supports_dbt: bool | None = None
    supports_data_activation: bool | None = None


@attrs.frozen(kw_only=True)
class DefinitionSpecification:
    """
    A definition's connector specification (``*DefinitionSpecificationRead``).

    *connection_specification* is the connector's JSON schema for its configuration, untouched.
    *supported_destination_sync_modes* is empty for sources.
    """

    documentation_url: str | None = None
    connection_specification: JsonObject | None = attrs.field(default=None, repr=False, hash=False)
    supported_destination_sync_modes: tuple[DestinationSyncMode, ...] = ()
