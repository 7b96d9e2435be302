"""``client.destinations``."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import attrs

from ..models import CheckResult, Destination
from ._actors import DESTINATION, Actors, Kind

__all__ = ["Destinations"]


@attrs.frozen
class Destinations(Actors[Destination]):
    """Destinations: create, get, find, list, update, ensure, delete, check."""

    @property
    def _kind(self) -> Kind[Destination]:
        return DESTINATION

    async def get(self, *, destination_id: str) -> Destination:
        """The destination; :class:`~airbyte_async.errors.NotFoundError` if there is none."""
        return await self._get(destination_id)

    async def update(
        self,
        *,
        destination_id: str,
        name: str | None = None,
        configuration: Mapping[str, Any] | None = None,
    ) -> Destination:
        """Rename or reconfigure the destination; what is left None stays as it is."""
        return await self._update(destination_id, name, configuration)

    async def delete(self, *, destination_id: str) -> None:
        """Delete the destination and, server-side, every connection that writes to it."""
        await self._delete(destination_id)

    async def check_connection(self, *, destination_id: str) -> CheckResult:
        """
        Check the stored configuration; a failed check is a result, not an exception. Its
        messages hold the password of any URL, and the secret-keyed parameters, they quote
        masked: a connector's failure quotes its configuration.
        """
        return await self._check(destination_id)
