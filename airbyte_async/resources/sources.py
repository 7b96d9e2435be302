"""``client.sources``."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import attrs

from .._checks import json_object, uuid_id
from .._retry import running_a_connector
from .._secrets import secret_values
from ..catalog import modes_toward
from ..models import CheckResult, DefinitionSpecification, Destination, DiscoveredSchema, Source
from ..models import _wire as w
from ._actors import SOURCE, Actors, Kind
from ._call import call

__all__ = ["Sources"]


@attrs.frozen
class Sources(Actors[Source]):
    """Sources: create, get, find, list, update, ensure, delete, check, discover their schema
    (or a configuration's)."""

    @property
    def _kind(self) -> Kind[Source]:
        return SOURCE

    async def get(self, *, source_id: str) -> Source:
        """The source *source_id*; :class:`~airbyte_async.errors.NotFoundError` if none."""
        return await self._get(source_id)

    async def update(
        self,
        *,
        source_id: str,
        name: str | None = None,
        configuration: Mapping[str, Any] | None = None,
    ) -> Source:
        """Rename or reconfigure the source; what is left None stays as it is."""
        return await self._update(source_id, name, configuration)

    async def delete(self, *, source_id: str) -> None:
        """Delete the source and, server-side, every connection that reads from it."""
        await self._delete(source_id)

    async def check_connection(self, *, source_id: str) -> CheckResult:
        """
        Check the stored configuration; a failed check is a result, not an exception. Its
        messages hold the password of any URL, and the secret-keyed parameters, they quote
        masked: a connector's failure quotes its configuration.
        """
        return await self._check(source_id)

    async def discover_schema(
        self, *, source_id: str, disable_cache: bool = False, destination_id: str | None = None
    ) -> DiscoveredSchema:
        """
        Discover the source's streams; *disable_cache* forces a fresh discovery. With
        *destination_id*, ``sync_modes`` also says which read and write modes each stream may
        pair toward that destination: here the pairs of the stream's read modes and the write
        modes the destination's definition offers (``supportedDestinationSyncModes``; two more
        requests).

        A failed discovery is a result whose ``catalog`` is None, not an exception; its
        failure's texts hold the password of any URL, and the secret-keyed parameters, they
        quote masked.
        """
        if destination_id is not None:
            destination_id = uuid_id("destination_id", destination_id)
        body = w.DiscoverSchemaBody(source_id=source_id, disable_cache=disable_cache)
        route = "sources/discover_schema"
        with running_a_connector():
            found = await call(self._request, route, body, DiscoveredSchema, idempotent=True)
        schema = found._hiding(())
        if destination_id is None or schema.catalog is None:
            return schema
        destination = await call(
            self._request,
            "destinations/get",
            w.DestinationIdBody(actor_id=destination_id),
            Destination,
            idempotent=True,
        )
        spec_body = w.DestinationDefinitionSpecBody(
            definition_id=destination.definition_id, workspace_id=destination.workspace_id
        )
        spec = await call(
            self._request,
            "destination_definition_specifications/get",
            spec_body,
            DefinitionSpecification,
            idempotent=True,
        )
        modes = modes_toward(schema.catalog, spec.supported_destination_sync_modes)
        return attrs.evolve(schema, sync_modes=modes)

    async def discover_configuration(
        self, *, workspace_id: str, definition_id: str, configuration: Mapping[str, Any]
    ) -> DiscoveredSchema:
        """
        Discover the streams a source of *definition_id* with *configuration* would have,
        without creating or changing one (``scheduler/sources/discover_schema``, API-FACTS
        2.7). The server fills in no stored secret: a configuration holding the mask it sends
        for one is discovered with the mask. Config API only.

        A failed discovery is a result whose ``catalog`` is None, not an exception; its
        failure's texts hold every secret value of *configuration* they quote masked (see
        :func:`~airbyte_async._secrets.secret_values`), with the password of any URL and the
        secret-keyed parameters.
        """
        configuration = json_object("configuration", configuration)
        body = w.SourceCoreConfig(
            workspace_id=workspace_id, definition_id=definition_id, configuration=configuration
        )
        route = "scheduler/sources/discover_schema"
        with running_a_connector():
            found = await call(self._request, route, body, DiscoveredSchema, idempotent=True)
        return found._hiding(secret_values(configuration))
