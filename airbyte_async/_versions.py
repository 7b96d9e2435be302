"""
Config API routes that not every Airbyte version serves, and the error for a route a server
does not serve.

Airbyte answers a path no controller serves with ``NotFoundController``'s 404, whose body is
the bare text "Object not found." (0.40 to head), while an id that names nothing gets a JSON
object (0.x ``{message, exceptionClassName, ...}``, 2.x ``{errorId}``; API-FACTS 6.2): the body
tells a missing route from a missing object on every version (see
:func:`~._error_bodies.is_object_404`). A missing route becomes
:class:`~airbyte_async.errors.UnsupportedOperationError`; a missing object stays a
:class:`~airbyte_async.errors.NotFoundError`. A missing route says which version the server is
only if the server is a Config API: where a route every version serves is missing too (the
route itself, or ``health``, which the client then asks), the URL's path is at fault. The same
holds on the public API (:func:`public_path_missing`), whose ``health`` it has always served.
"""

from __future__ import annotations

from .errors import NotFoundError, UnsupportedOperationError

__all__ = ["SERVED", "public_path_missing", "route_missing"]

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
    route: str,
    error: NotFoundError,
    *,
    base_url: str,
    modelled: bool,
    health_missing: bool = False,
) -> UnsupportedOperationError:
    """
    The error for *route*, which the server at *base_url* answered with *error*, a 404 for the
    route itself. Where nothing at *base_url* serves the Config API (a route every version
    serves: *route* itself, when *modelled* and not in :data:`SERVED`, or ``health``, found
    missing too when *health_missing*), that the URL's path is wrong, with ``wrong_url`` set.
    Else the versions that serve *route*, for a route some lack, or (a route given to
    ``client.request``) that this server has no such route.
    """
    answered = f"{error.status} {error.message!r}"
    every = modelled and route not in SERVED
    if every or health_missing:
        routes = route if every else f"health, which every Airbyte version has, as for {route}"
        if every:
            routes += ", which every Airbyte version has"
        return _wrong_url(
            f"nothing at {base_url} serves the Config API (it answered {answered} for {routes}):"
            " check the URL's path; pass the server's own, http(s)://host[:port] (or its /api/v1)"
        )
    if route in SERVED:
        since, until = SERVED[route]
        if since is not None:
            why = f"Airbyte serves it from {since} on, so this server is older"
        else:
            why = f"Airbyte removed it in {until}, so this server is {until} or later"
        text = f"{route} is not on this server: {why}"
    else:
        text = f"this server has no route {route}: check its spelling, and the version it needs"
    return UnsupportedOperationError(
        f"{text} (it answered {answered} for the route, not for an id)"
    )


def public_path_missing(
    path: str, error: NotFoundError, *, public_url: str
) -> UnsupportedOperationError:
    """
    The error for *path*, which the public API at *public_url* answered with *error*, a 404 for
    the path itself, where its ``health`` (``getHealthCheck``, public-api-head.yaml) is missing
    too: nothing at *public_url* serves the public API, with ``wrong_url`` set.
    """
    routes = "health, which the public API always has"
    if path != "health":
        routes += f", as for {path}"
    return _wrong_url(
        f"nothing at {public_url} serves Airbyte's public API (it answered {error.status} "
        f"{error.message!r} for {routes}): check the URL's path; pass the server's own, "
        "http(s)://host[:port] (or its /api/public/v1; Airbyte Cloud's is "
        "https://api.airbyte.com/v1). An older self-managed Airbyte serves no public API: "
        "speak its Config API (api='config', --api config)"
    )


def _wrong_url(text: str) -> UnsupportedOperationError:
    missing = UnsupportedOperationError(text)
    missing.wrong_url = True
    return missing
