"""``client.workspaces``."""

from __future__ import annotations

from collections.abc import AsyncIterator

import attrs

from .._serde import structure, wire_name
from ..errors import BadRequestError, NoMatchError, UnsupportedOperationError
from ..models import InstanceConfiguration, Workspace
from ..models import _wire as w
from ._base import Request
from ._call import call, named

__all__ = ["Workspaces"]

_PAGE_SIZE = 100


@attrs.define
class _Probe:
    """What this resource learnt about the server; mutable on purpose, owned by the resource."""

    list_route_gone: bool = False


@attrs.frozen
class Workspaces:
    """
    Workspaces: list, get, create, and :meth:`default`, the workspace to use.

    ``workspaces/list`` is gone from 1.7 on; there this resource lists the default organization's
    workspaces instead, and remembers not to try the old route again.
    """

    _request: Request
    _probe: _Probe = attrs.field(factory=_Probe, init=False, repr=False)

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
        Create a workspace. Servers from 1.x on require *organization_id*: without it, their
        bare 400 (2.x says no more than "Bad Request") says so.
        """
        body = w.WorkspaceCreate(name=name, organization_id=organization_id, email=email)
        try:
            return await call(self._request, "workspaces/create", body, Workspace, idempotent=False)
        except BadRequestError as e:
            said = e.message
            # 2.x says no more than "Bad Request"; 1.x names the wire field.
            wire = wire_name(w.WorkspaceCreate, "organization_id")
            if organization_id is None and (said == "Bad Request" or wire in said):
                e._reword(
                    f"{said}: servers from 1.x on need organization_id (the instance's "
                    "default: instance_configuration().default_organization_id)"
                )
            raise

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
