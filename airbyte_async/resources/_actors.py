"""What ``client.sources`` and ``client.destinations`` share."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Mapping
from functools import partial
from typing import Any, ClassVar, Generic, TypeVar

import attrs

from .._checks import json_object, string, text, uuid_id
from .._diff import actor_differences, masked_paths, only_match
from .._retry import running_a_connector
from ..errors import InvalidArgumentError, NoMatchError
from ..models import CheckResult, Destination, EnsureAction, Ensured, Source
from ..models import _wire as w
from ._base import Request
from ._call import call, call_no_content, named
from ._written import create_once, delete_through, sent_once, written_once

__all__ = ["DESTINATION", "SOURCE", "Actors"]

A = TypeVar("A", Source, Destination)


@attrs.frozen
class Kind(Generic[A]):
    """Routes and wire shapes of one kind of actor."""

    route: str
    noun: str
    model: type[A]
    envelope: type[w.SourceList] | type[w.DestinationList]
    id_body: type[w.ActorIdBody]
    create_body: type[w.ActorCreate]
    update_body: type[w.ActorUpdate]
    id_of: Callable[[A], str]


SOURCE = Kind(
    route="sources",
    noun="source",
    model=Source,
    envelope=w.SourceList,
    id_body=w.SourceIdBody,
    create_body=w.SourceCreate,
    update_body=w.SourceUpdate,
    id_of=lambda s: s.source_id,
)
DESTINATION = Kind(
    route="destinations",
    noun="destination",
    model=Destination,
    envelope=w.DestinationList,
    id_body=w.DestinationIdBody,
    create_body=w.DestinationCreate,
    update_body=w.DestinationUpdate,
    id_of=lambda d: d.destination_id,
)


@attrs.frozen
class Actors(Generic[A]):
    """
    The operations sources and destinations share; subclasses name their id argument.

    *configuration* goes to the server untouched. The server answers with secrets masked.
    """

    _request: Request
    #: Whether a listing may leave an object out (pages without an order, as the public API's
    #: are, shift when another client deletes one): a name not found is looked for once more
    #: before it is created.
    _listing_may_skip: ClassVar[bool] = False

    @property
    def _kind(self) -> Kind[A]:
        raise NotImplementedError

    async def create(
        self, *, workspace_id: str, name: str, definition_id: str, configuration: Mapping[str, Any]
    ) -> A:
        """
        Create one in *workspace_id* from the connector definition *definition_id*.

        A *configuration* that does not fit the connector's specification gets
        :class:`~airbyte_async.errors.UnprocessableEntityError`.
        """
        body = self._kind.create_body(
            workspace_id=workspace_id,
            name=name,
            definition_id=definition_id,
            configuration=json_object("configuration", configuration),
        )
        route = f"{self._kind.route}/create"
        created = call(self._request, route, body, self._kind.model, idempotent=False)
        return await sent_once(created, **self._create_note(workspace_id, name))

    def _create_note(self, workspace_id: str, name: str) -> dict[str, str]:
        """What :func:`sent_once` names, for one named *name* created in *workspace_id*."""
        route, noun = self._kind.route, self._kind.noun
        return {
            "what": f"the {noun} {name!r}",
            "find": f"{route}.find(workspace_id={workspace_id!r}, name={name!r})",
        }

    async def list(self, *, workspace_id: str) -> AsyncIterator[A]:
        """
        Every one in *workspace_id*, over all pages.

        0.x servers return all at once; 1.8+ servers page by cursor (the last id of a page) and
        say so by echoing ``page_size``: a full page means there may be another.
        """
        route = f"{self._kind.route}/list"
        body = w.ActorListBody(workspace_id=workspace_id)
        while True:
            page = await call(self._request, route, body, self._kind.envelope, idempotent=True)
            items: tuple[A, ...] = page.items  # type: ignore[assignment]
            for item in items:
                yield item
            if not items or page.page_size is None or len(items) < page.page_size:
                return
            cursor = self._kind.id_of(items[-1])
            if cursor == body.cursor:
                return
            body = w.ActorListBody(
                workspace_id=workspace_id, cursor=cursor, page_size=page.page_size
            )

    async def find(self, *, workspace_id: str, name: str) -> A:
        """
        The one in *workspace_id* named exactly *name* (case-sensitive; names are not unique).

        Raises :class:`~airbyte_async.errors.NoMatchError` when there is none and
        :class:`~airbyte_async.errors.AmbiguousMatchError` (with their ids) when several share
        the name.
        """
        workspace_id = uuid_id("workspace_id", workspace_id)
        found = await self._named(workspace_id, text("name", name))
        if found is None:
            noun = self._kind.noun
            raise NoMatchError(f"no {noun} named {name!r} in workspace {workspace_id}")
        return found

    async def ensure(
        self,
        *,
        workspace_id: str,
        name: str,
        definition_id: str,
        configuration: Mapping[str, Any],
        send_secrets: bool = False,
    ) -> Ensured[A]:
        """
        Make sure one named *name* exists in *workspace_id* with this *configuration*.

        Creates it when no one has the name, updates its configuration when it differs, and
        otherwise leaves it alone; the result says which, and what changed. The server returns
        every secret masked (``"**********"``), so secret values cannot be compared: they are
        not taken as differences (running this twice rewrites nothing), and the result names
        them (:attr:`~airbyte_async.models.Ensured.uncompared`; a rotated password is among
        them). With *send_secrets*, an existing one with such values is updated with
        *configuration* as given, secrets included. An update for another difference sends
        them as given in any case.

        Raises :class:`~airbyte_async.errors.AmbiguousMatchError` when several share the name,
        and :class:`~airbyte_async.errors.InvalidArgumentError` when the one found uses another
        connector definition (the API cannot change that: delete it or choose another name).
        """
        configuration = json_object("configuration", configuration)
        # In lower case, as the server answers them: compared below.
        definition_id = uuid_id("definition_id", definition_id)
        workspace_id = uuid_id("workspace_id", workspace_id)
        current = await self._named(workspace_id, text("name", name))
        if current is None and self._listing_may_skip:
            current = await self._named(workspace_id, name)
        if current is None:
            create = partial(
                self.create,
                workspace_id=workspace_id,
                name=name,
                definition_id=definition_id,
                configuration=configuration,
            )
            look = partial(self._named, workspace_id, name)
            created = await create_once(create, look, what=f"{self._kind.noun} {name!r}")
            return Ensured(action=EnsureAction.CREATED, value=created)
        if current.definition_id != definition_id:
            raise InvalidArgumentError(
                f"{self._kind.noun} {name!r} ({self._kind.id_of(current)}) uses definition "
                f"{current.definition_id}, not {definition_id}; a {self._kind.noun}'s definition "
                "cannot change: delete it or choose another name"
            )
        differences = actor_differences(current, configuration)
        uncompared = tuple(masked_paths(configuration, current.configuration, "configuration"))
        if not differences and not (send_secrets and uncompared):
            return Ensured(action=EnsureAction.UNCHANGED, value=current, uncompared=uncompared)
        updated = await self._update(self._kind.id_of(current), name, configuration)
        changes = tuple(d.path for d in differences)
        return Ensured(
            action=EnsureAction.UPDATED, value=updated, changes=changes, uncompared=uncompared
        )

    async def _named(self, workspace_id: str, name: str) -> A | None:
        matches = [a async for a in self.list(workspace_id=workspace_id) if a.name == name]
        ids = [self._kind.id_of(a) for a in matches]
        return only_match(matches, name, self._kind.noun, f"workspace {workspace_id}", ids)

    async def _get(self, actor_id: str) -> A:
        body = self._kind.id_body(actor_id=actor_id)
        route = f"{self._kind.route}/get"
        read = call(self._request, route, body, self._kind.model, idempotent=True)
        return await named(self._kind.noun, actor_id, read)

    async def _update(
        self, actor_id: str, name: str | None, configuration: Mapping[str, Any] | None
    ) -> A:
        """
        Replace name and configuration: the Config API takes the whole object.

        What is left None is read from the server first. Masked secrets (``"**********"``) sent
        back keep their stored values server-side.
        """
        if configuration is not None:
            configuration = json_object("configuration", configuration)
        if name is not None:
            string("name", name)
        if name is None or configuration is None:
            # The Config API replaces the whole object: fill in what the caller left unchanged.
            current = await self._get(actor_id)
            name = current.name if name is None else name
            configuration = current.configuration if configuration is None else configuration
        body = self._kind.update_body(
            actor_id=actor_id, name=name, configuration=dict(configuration)
        )
        route = f"{self._kind.route}/update"
        written = call(self._request, route, body, self._kind.model, idempotent=False)
        return await written_once(
            named(self._kind.noun, actor_id, written),
            what=f"the {self._kind.noun} {actor_id}",
            read=f"{self._kind.route}.get({self._kind.noun}_id='{actor_id}')",
        )

    async def _delete(self, actor_id: str) -> None:
        body = self._kind.id_body(actor_id=actor_id)
        route = f"{self._kind.route}/delete"
        sent = call_no_content(self._request, route, body, idempotent=True)
        await delete_through(
            named(self._kind.noun, actor_id, sent),
            what=f"the {self._kind.noun} {actor_id}",
            read=f"{self._kind.route}.get({self._kind.noun}_id='{actor_id}')",
        )

    async def _check(self, actor_id: str) -> CheckResult:
        body = self._kind.id_body(actor_id=actor_id)
        route = f"{self._kind.route}/check_connection"
        with running_a_connector():
            checked = call(self._request, route, body, CheckResult, idempotent=True)
            return (await named(self._kind.noun, actor_id, checked))._hiding(())
