"""``client.workspaces``."""

from __future__ import annotations

from collections.abc import AsyncIterator
from functools import partial
from typing import ClassVar

import attrs

from .._checks import text, uuid_id
from .._diff import only_match
from .._serde import structure, wire_name
from ..errors import BadRequestError, NoMatchError, UnsupportedOperationError
from ..models import EnsureAction, Ensured, InstanceConfiguration, Workspace
from ..models import _wire as w
from ._base import Request
from ._call import call, named
from ._written import create_once, sent_once

__all__ = ["Workspaces"]

_PAGE_SIZE = 100


@attrs.define
class _Probe:
    """What this resource learnt about the server; mutable on purpose, owned by the resource."""

    list_route_gone: bool = False


@attrs.frozen
class Workspaces:
    """
    Workspaces: list, get, create, find and ensure by name, and :meth:`default`, the workspace
    to use.

    ``workspaces/list`` is gone from 1.7 on; there this resource lists the default organization's
    workspaces instead, and remembers not to try the old route again.
    """

    _request: Request
    _probe: _Probe = attrs.field(factory=_Probe, init=False, repr=False)
    #: Whether a listing may leave a workspace out (see ``Actors._listing_may_skip``).
    _listing_may_skip: ClassVar[bool] = False

    async def get(self, *, workspace_id: str) -> Workspace:
        """The workspace *workspace_id*; :class:`~airbyte_async.errors.NotFoundError` if none."""
        body = w.WorkspaceIdBody(workspace_id=workspace_id)
        read = call(self._request, "workspaces/get", body, Workspace, idempotent=True)
        return await named("workspace", workspace_id, read)

    async def get_by_slug(self, *, slug: str) -> Workspace:
        """The workspace whose slug is *slug*."""
        body = w.SlugBody(slug=slug)
        return await call(self._request, "workspaces/get_by_slug", body, Workspace, idempotent=True)

    async def create(
        self, *, name: str, organization_id: str | None = None, email: str | None = None
    ) -> Workspace:
        """
        Create a workspace. Servers from 0.63 on require *organization_id* (API-FACTS 2.1):
        without it, their bare 400 (2.x says no more than "Bad Request") says so.
        """
        body = w.WorkspaceCreate(name=name, organization_id=organization_id, email=email)
        created = call(self._request, "workspaces/create", body, Workspace, idempotent=False)
        try:
            return await sent_once(created, **_workspace_note(name, organization_id))
        except BadRequestError as e:
            said = e.message
            # 2.x says no more than "Bad Request"; 1.x names the wire field.
            wire = wire_name(w.WorkspaceCreate, "organization_id")
            if organization_id is None and (said == "Bad Request" or wire in said):
                e._reword(
                    f"{said}: servers from 0.63 on need organization_id (the instance's "
                    "default: instance_configuration().default_organization_id)"
                )
            raise

    async def find(self, *, name: str, organization_id: str | None = None) -> Workspace:
        """
        The workspace named exactly *name* (case-sensitive; names are not unique) among
        :meth:`list`'s, or the organization *organization_id*'s.

        Raises :class:`~airbyte_async.errors.NoMatchError` when there is none and
        :class:`~airbyte_async.errors.AmbiguousMatchError` (with their ids) when several share
        the name.
        """
        found = await self._named(text("name", name), _organization(organization_id))
        if found is None:
            raise NoMatchError(f"no workspace named {name!r} in {self._where(organization_id)}")
        return found

    async def ensure(self, *, name: str, organization_id: str | None = None) -> Ensured[Workspace]:
        """
        Make sure a workspace named *name* exists: the one :meth:`find` finds
        (``unchanged``), else one created (``created``), never twice for one call (a create
        whose answer was lost is looked for by its name, as ``sources.ensure`` does).

        Without *organization_id*, it is looked for among :meth:`list`'s, and created in the
        instance's default organization (``instance_configuration().default_organization_id``,
        0.50 on), which servers from 0.63 on require; a server without one (0.40) gets none.
        Raises :class:`~airbyte_async.errors.AmbiguousMatchError` when several share the name.
        """
        text("name", name)
        organization_id = _organization(organization_id)
        current = await self._named(name, organization_id)
        if current is None and self._listing_may_skip:
            current = await self._named(name, organization_id)
        if current is not None:
            return Ensured(action=EnsureAction.UNCHANGED, value=current)
        into = organization_id or await self._default_organization()
        create = partial(self.create, name=name, organization_id=into)
        look = partial(self._named, name, organization_id)
        created = await create_once(create, look, what=f"workspace {name!r}")
        return Ensured(action=EnsureAction.CREATED, value=created)

    async def list(self) -> AsyncIterator[Workspace]:
        """
        Every workspace the caller can see.

        ``workspaces/list`` on servers that have it; elsewhere the default organization's
        workspaces, page by page.
        """
        listed = await self._list_route()
        if listed is not None:
            for workspace in listed:
                yield workspace
            return
        config = await self.instance_configuration()
        if config.default_organization_id is not None:
            async for workspace in self._by_organization(config.default_organization_id):
                yield workspace

    async def default(self) -> Workspace:
        """
        The workspace to use when the caller names none.

        On 0.x the first of ``workspaces/list``. Where that route is gone, the instance's default
        organization's workspaces, preferring the instance's default workspace among them.
        Raises :class:`~airbyte_async.errors.NoMatchError` saying what was tried when nothing fits.
        """
        tried = []
        listed = await self._list_route()
        if listed:
            return listed[0]
        tried.append("workspaces/list: " + ("no workspaces" if listed is not None else "no route"))
        try:
            config = await self.instance_configuration()
        except UnsupportedOperationError as e:
            if e.wrong_url:
                raise
            tried.append("instance_configuration: no route")
            config = InstanceConfiguration()
        if config.default_organization_id is None:
            tried.append("no default organization")
        else:
            first = None
            async for workspace in self._by_organization(config.default_organization_id):
                if workspace.workspace_id == config.default_workspace_id:
                    return workspace
                first = first or workspace
            if first is not None:
                return first
            tried.append(f"organization {config.default_organization_id}: no workspaces")
        raise NoMatchError("no workspace found; tried " + "; ".join(tried))

    async def instance_configuration(self) -> InstanceConfiguration:
        """``GET instance_configuration`` (0.50 and later): the deployment's defaults."""
        route = "instance_configuration"
        data = await self._request(route, None, idempotent=True, method="GET")
        return structure(data, InstanceConfiguration, route=route)

    async def _named(self, name: str, organization_id: str | None) -> Workspace | None:
        """The workspace named *name* (see :meth:`find`), None when there is none."""
        listed = self._listed(organization_id)
        matches = [found async for found in listed if found.name == name]
        ids = [found.workspace_id for found in matches]
        return only_match(matches, name, "workspace", self._where(organization_id), ids)

    def _listed(self, organization_id: str | None) -> AsyncIterator[Workspace]:
        """The workspaces a name is looked for among."""
        return self.list() if organization_id is None else self._by_organization(organization_id)

    def _where(self, organization_id: str | None) -> str:
        return (
            "the workspaces listed"
            if organization_id is None
            else f"organization {organization_id}"
        )

    async def _default_organization(self) -> str | None:
        """The instance's default organization; None where the server names none (0.40)."""
        try:
            config = await self.instance_configuration()
        except UnsupportedOperationError as e:
            if e.wrong_url:
                raise
            return None
        return config.default_organization_id

    async def _list_route(self) -> tuple[Workspace, ...] | None:
        """``workspaces/list``, or None on servers without it (1.7+), remembered."""
        if self._probe.list_route_gone:
            return None
        try:
            page = await call(
                self._request, "workspaces/list", None, w.WorkspaceList, idempotent=True
            )
        except UnsupportedOperationError as e:
            if e.wrong_url:
                raise
            self._probe.list_route_gone = True
            return None
        return page.workspaces

    async def _by_organization(self, organization_id: str) -> AsyncIterator[Workspace]:
        route = "workspaces/list_by_organization_id"
        offset = 0
        while True:
            body = w.WorkspacesByOrganization(
                organization_id=organization_id,
                pagination=w.Pagination(page_size=_PAGE_SIZE, row_offset=offset),
            )
            page = await call(self._request, route, body, w.WorkspaceList, idempotent=True)
            for workspace in page.workspaces:
                yield workspace
            if len(page.workspaces) < _PAGE_SIZE:
                return
            offset += len(page.workspaces)


def _organization(organization_id: str | None) -> str | None:
    """*organization_id*, checked to be a UUID when given."""
    return None if organization_id is None else uuid_id("organization_id", organization_id)


def _workspace_note(name: str, organization_id: str | None) -> dict[str, str]:
    """What :func:`~._written.sent_once` names, for a workspace created as *name* in
    *organization_id* (None: the server's choice): the find names the organization too, since
    without one it looks only in the default organization where ``workspaces/list`` is gone."""
    where = "" if organization_id is None else f", organization_id={organization_id!r}"
    return {"what": f"the workspace {name!r}", "find": f"workspaces.find(name={name!r}{where})"}
