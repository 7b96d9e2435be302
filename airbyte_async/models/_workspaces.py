"""Workspaces, the server's health and its instance configuration."""

from __future__ import annotations

import attrs

__all__ = ["Health", "InstanceConfiguration", "Workspace"]


@attrs.frozen(kw_only=True)
class Health:
    """``GET /health``: whether the server says it is available."""

    available: bool


@attrs.frozen(kw_only=True)
class Workspace:
    """
    A workspace (``WorkspaceRead``).

    *organization_id* is set from 0.50 on (required on 1.x and later); *default_geography* exists
    on 0.x and *dataplane_group_id* on recent servers. Read from the public REST API, a
    workspace has no *slug* and carries *data_residency* instead.
    """

    workspace_id: str
    name: str
    slug: str | None = None
    customer_id: str | None = None
    organization_id: str | None = None
    email: str | None = None
    initial_setup_complete: bool | None = None
    display_setup_wizard: bool | None = None
    anonymous_data_collection: bool | None = None
    news: bool | None = None
    security_updates: bool | None = None
    first_completed_sync: bool | None = None
    feedback_done: bool | None = None
    default_geography: str | None = None
    dataplane_group_id: str | None = None
    tombstone: bool | None = None
    data_residency: str | None = None


@attrs.frozen(kw_only=True)
class InstanceConfiguration:
    """``GET /instance_configuration`` (0.50 and later): the deployment's defaults."""

    default_organization_id: str | None = None
    default_workspace_id: str | None = None
    default_user_id: str | None = None
    edition: str | None = None
    version: str | None = None
    initial_setup_complete: bool | None = None
