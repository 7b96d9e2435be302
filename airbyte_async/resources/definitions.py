"""``client.source_definitions`` and ``client.destination_definitions``."""

from __future__ import annotations

import difflib
from collections.abc import AsyncIterator, Sequence
from typing import Generic, TypeVar, cast

import attrs

from .._checks import text
from ..errors import AmbiguousMatchError, NoMatchError
from ..models import DefinitionSpecification, DestinationDefinition, SourceDefinition
from ..models import _wire as w
from ..models._definitions import _Definition
from ._base import Request
from ._call import call

__all__ = ["DestinationDefinitions", "SourceDefinitions"]

D = TypeVar("D", bound=_Definition)


@attrs.frozen
class _Kind(Generic[D]):
    """Routes and wire shapes of one kind of definition."""

    noun: str
    model: type[D]
    envelope: type[w.SourceDefinitionList] | type[w.DestinationDefinitionList]
    id_body: type[w.DefinitionIdBody]
    spec_body: type[w.DefinitionSpecBody]


_SOURCE = _Kind(
    noun="source",
    model=SourceDefinition,
    envelope=w.SourceDefinitionList,
    id_body=w.SourceDefinitionIdBody,
    spec_body=w.SourceDefinitionSpecBody,
)
_DESTINATION = _Kind(
    noun="destination",
    model=DestinationDefinition,
    envelope=w.DestinationDefinitionList,
    id_body=w.DestinationDefinitionIdBody,
    spec_body=w.DestinationDefinitionSpecBody,
)


@attrs.frozen
class _Definitions(Generic[D]):
    _request: Request

    @property
    def _kind(self) -> _Kind[D]:
        raise NotImplementedError

    async def list(self) -> AsyncIterator[D]:
        """Every definition of the deployment (the route takes no body and no workspace)."""
        for definition in await self._of_deployment():
            yield definition

    async def list_for_workspace(self, *, workspace_id: str) -> AsyncIterator[D]:
        """The definitions available to the workspace *workspace_id* (custom ones included)."""
        for definition in await self._of_workspace(workspace_id):
            yield definition

    async def get(self, *, definition_id: str) -> D:
        """The definition *definition_id*; :class:`~airbyte_async.errors.NotFoundError` if none."""
        route = f"{self._kind.noun}_definitions/get"
        body = self._kind.id_body(definition_id=definition_id)
        return await call(self._request, route, body, self._kind.model, idempotent=True)

    async def find(self, *, name: str, workspace_id: str | None = None) -> D:
        """
        The definition called *name*, compared case-insensitively.

        An exact name wins over names that merely contain *name*. Searches the workspace's list
        when *workspace_id* is given, else the deployment's. Raises
        :class:`~airbyte_async.errors.NoMatchError` (with close names as candidates) when nothing
        matches, :class:`~airbyte_async.errors.AmbiguousMatchError` when several do.
        """
        text("name", name)
        if workspace_id is None:
            definitions = await self._of_deployment()
        else:
            definitions = await self._of_workspace(workspace_id)
        return self.pick(name=name, among=definitions)

    def pick(self, *, name: str, among: Sequence[D]) -> D:
        """
        The definition :meth:`find` would return for *name* among the definitions *among*
        (read once with :meth:`list_for_workspace`, say, for many names), raising alike.
        No request.
        """
        text("name", name)
        return _pick(name, among, self._kind.noun)

    async def get_specification(
        self, *, definition_id: str, workspace_id: str
    ) -> DefinitionSpecification:
        """The connector specification (configuration JSON schema) of *definition_id*."""
        route = f"{self._kind.noun}_definition_specifications/get"
        body = self._kind.spec_body(definition_id=definition_id, workspace_id=workspace_id)
        return await call(self._request, route, body, DefinitionSpecification, idempotent=True)

    async def _of_deployment(self) -> Sequence[D]:
        """Every definition of the deployment."""
        return await self._all(f"{self._kind.noun}_definitions/list", None)

    async def _of_workspace(self, workspace_id: str) -> Sequence[D]:
        """The definitions the workspace *workspace_id* may use."""
        route = f"{self._kind.noun}_definitions/list_for_workspace"
        return await self._all(route, w.WorkspaceIdBody(workspace_id=workspace_id))

    async def _all(self, route: str, body: object | None) -> Sequence[D]:
        page = await call(self._request, route, body, self._kind.envelope, idempotent=True)
        return cast("Sequence[D]", page.items)


def _pick(name: str, definitions: Sequence[D], noun: str) -> D:
    wanted = name.casefold()
    exact = [d for d in definitions if d.name.casefold() == wanted]
    matches = exact or [d for d in definitions if wanted in d.name.casefold()]
    if len(matches) == 1:
        return matches[0]
    if matches:
        names = sorted(d.name for d in matches)
        raise AmbiguousMatchError(
            f"{len(names)} {noun} definitions match {name!r}: {', '.join(names)}", candidates=names
        )
    by_folded = {d.name.casefold(): d.name for d in definitions}
    close = [by_folded[n] for n in difflib.get_close_matches(wanted, by_folded, n=5, cutoff=0.5)]
    hint = f"; close: {', '.join(close)}" if close else ""
    raise NoMatchError(f"no {noun} definition matches {name!r}{hint}", candidates=close)


@attrs.frozen
class SourceDefinitions(_Definitions[SourceDefinition]):
    """Source connector definitions: list, get, find by name, specification."""

    @property
    def _kind(self) -> _Kind[SourceDefinition]:
        return _SOURCE


@attrs.frozen
class DestinationDefinitions(_Definitions[DestinationDefinition]):
    """Destination connector definitions: list, get, find by name, specification."""

    @property
    def _kind(self) -> _Kind[DestinationDefinition]:
        return _DESTINATION
