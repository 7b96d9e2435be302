"""
Config API routes that not every Airbyte version serves, and the error for a route a server
does not serve.

Airbyte answers a path no controller serves with ``NotFoundController``'s 404, whose body is
the bare text "Object not found." (0.40 to head), while an id that names nothing gets a JSON
object (0.x ``{message, exceptionClassName, ...}``, 2.x ``{errorId}``; API-FACTS 6.2): the body
tells a missing route from a missing object on every version (see
:func:`~._error_bodies.is_object_404`). A missing route becomes
:class:`~airbyte_async.errors.UnsupportedOperationError`; a missing object stays a
:class:`~airbyte_async.errors.NotFoundError`.
"""

from __future__ import annotations

from .errors import NotFoundError, UnsupportedOperationError

__all__ = ["SERVED", "route_missing"]

#: Each route the resources call that some versions lack: the first version that serves it and
#: the first that no longer does (None: open-ended). Read from config-api-0.40.yaml (v0.40.32),
#: config-api-0.50.yaml (v0.50.56) and config-api-head.yaml; workspaces/list went in v1.7.0
#: (API-FACTS 2.1 and 8). Every other route they call is in all three.
SERVED: dict[str, tuple[str | None, str | None]] = {
    "applications/token": ("0.50", None),
    "connections/status": ("0.50", None),
    "connections/sync_progress": ("0.50", None),
    "instance_configuration": ("0.50", None),
    "jobs/get_without_logs": ("0.50", None),
    "jobs/list_for_workspaces": ("0.50", None),
    "workspaces/list_by_organization_id": ("0.50", None),
    "workspaces/list": (None, "1.7"),
}


def route_missing(
    route: str, error: NotFoundError, *, base_url: str, modelled: bool
) -> UnsupportedOperationError:
    """
    The error for *route*, which the server at *base_url* answered with *error*, a 404 for the
    route itself: the versions that serve it, for a route some lack; for a route every version
    serves (*modelled*, not in :data:`SERVED`), that the URL is not a Config API's; else (a
    route given to ``client.request``), that this server has no such route.
    """
    if route in SERVED:
        since, until = SERVED[route]
        if since is not None:
            why = f"Airbyte serves it from {since} on, so this server is older"
        else:
            why = f"Airbyte removed it in {until}, so this server is {until} or later"
        text = f"{route} is not on this server: {why}"
    elif modelled:
        text = (
            f"nothing at {base_url} serves {route}, which every Airbyte version has: this is "
            "not the URL of Airbyte's Config API; pass the server's own, http(s)://host[:port] "
            "(or its /api/v1)"
        )
    else:
        text = f"this server has no route {route}: check its spelling, and the version it needs"
    return UnsupportedOperationError(
        f"{text} (it answered {error.status} {error.message!r} for the route, not for an id)"
    )
