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

An answer no Airbyte API gives also says that the URL is wrong (:func:`not_the_api`): a
redirect, or a web page for a success. Airbyte's web app is an nginx that serves its
``index.html`` for every path but ``/api/`` (``try_files $uri $uri/ /index.html``,
airbyte-webapp/nginx/default.conf.template, airbyte-platform 098539af), so that a URL under
the web app's pages gets a page, with 200, for ``GET .../health``.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

from yarl import URL

from ._secrets import redact
from .errors import NotFoundError, UnsupportedOperationError

__all__ = ["SERVED", "is_html", "not_the_api", "public_path_missing", "route_missing"]

#: Each route the resources call that some versions lack: the first version that serves it and
#: the first that no longer does (None: open-ended). Read from config-api-0.40.yaml (v0.40.32),
#: config-api-0.50.yaml (v0.50.56) and config-api-head.yaml; workspaces/list went in v1.7.0
#: (API-FACTS 2.1 and 8). Every other route they call is in all three.
SERVED: dict[str, tuple[str | None, str | None]] = {
    "applications/token": ("0.50", None),
    # 0.63 shipped refreshes (airbytehq/airbyte#38067, "platform released 0.63.0 with full
    # refreshes support"): not in v0.50.56's spec, in head's.
    "connections/refresh": ("0.63", None),
    "connections/reset/stream": ("0.50", None),
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


#: Where the client's URL says the API answers, for the messages below.
_WHERE = {
    "config": "http(s)://host[:port] of the Airbyte server (or its /api/v1)",
    "public": "http(s)://host[:port] of the Airbyte server (or its /api/public/v1; Airbyte "
    "Cloud's is https://api.airbyte.com/v1)",
}
_TITLE = re.compile(rb"<title[^>]*>([^<]{1,200})</title>", re.IGNORECASE)
_MARKUP = re.compile(rb"\s*<")
_REDIRECTS = frozenset({301, 302, 303, 307, 308})


def is_html(headers: Mapping[str, str], body: bytes) -> bool:
    """Whether an answer is a web page: its type says so, or its body opens with markup."""
    kind = headers.get("Content-Type", "").split(";")[0].strip().lower()
    return kind in ("text/html", "application/xhtml+xml") or _MARKUP.match(body) is not None


def not_the_api(
    method: str,
    url: URL,
    status: int,
    headers: Mapping[str, str],
    body: bytes,
    *,
    root: URL,
    api: str,
) -> UnsupportedOperationError | None:
    """
    The error for an answer to *method* *url* that no Airbyte API gives, or None: a redirect
    (which the client does not follow: a POST would go again as a GET, to a page that is not the
    API, or its credentials dropped or sent in the clear first), a web page for a success
    (Airbyte's web app serves its index.html for any path it does not proxy, a sign-in page of a
    proxy in front answers so), or a web page for 405 (nginx serving files refuses a POST
    so). *root* is the root of the API *api* in use (``.../api/v1/``), for the URL to pass
    instead. ``wrong_url`` is set: nothing at the URL serves the API, and the server behind it,
    if any, saw nothing.
    """
    shown = _shown(url)
    location = headers.get("Location")
    if status in _REDIRECTS and location:
        try:
            target = url.join(URL(location))
        except ValueError:
            target = None
        if target is not None and target.path == url.path and target.host:
            moved = root.with_scheme(target.scheme).with_host(target.host).with_port(target.port)
            # Airbyte Cloud's public API root (https://api.airbyte.com/v1/) is passed whole.
            server = str(moved).removesuffix(_suffix(api)).rstrip("/")
            return _wrong_url(
                f"{method} {shown} was redirected ({status}) to {_shown(target)}: the client "
                f"follows no redirect; pass {server}, where it was sent"
            )
        where = _shown(target) if target is not None else "another page"
        return _wrong_url(
            f"{method} {shown} was redirected ({status}) to {where}, not to Airbyte's API (a "
            "sign-in page of a proxy in front of Airbyte?): the client follows no redirect; "
            f"pass the URL Airbyte's API answers at, {_WHERE[api]}"
        )
    if (200 <= status < 300 or status == 405) and body and is_html(headers, body):
        found = _TITLE.search(body[:4096])
        title = found.group(1).decode("utf-8", "replace").strip() if found else ""
        called = f", titled {redact(title)!r}" if title else ""
        return _wrong_url(
            f"{method} {shown} answered {status} with a web page{called}, not Airbyte's API: is "
            "this URL the address of Airbyte's web app, another site, or a sign-in page of a "
            f"proxy in front? Pass the URL Airbyte's API answers at, {_WHERE[api]}"
        )
    return None


def _suffix(api: str) -> str:
    return "api/public/v1/" if api == "public" else "api/v1/"


def _shown(url: URL) -> str:
    """*url* for a message: no credentials, no query (a sign-in redirect carries state)."""
    return str(url.with_user(None).with_password(None).with_query(None).with_fragment(None))
