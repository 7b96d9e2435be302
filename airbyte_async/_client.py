"""
:class:`AirbyteClient`: settings, session ownership, and the one request path every call takes.
"""

from __future__ import annotations

import asyncio
import contextlib
import enum
import functools
import logging
import os
import random
import re
import ssl as _ssl
import time
from collections.abc import Awaitable, Callable, Iterator, Mapping, Sequence
from types import TracebackType
from typing import Any, Literal, Self

import aiohttp
import anyio
import attrs
from yarl import URL

from . import _probe, _transport
from ._auth import Auth, BasicAuth, BearerToken, ClientCredentials, NoAuth
from ._backend import SyncBackend
from ._checks import is_uuid, seconds, whole
from ._error_bodies import is_object_404
from ._proxies import Proxies
from ._retry import (
    TOKEN_ROUTE,
    RetryBudget,
    RetryPolicy,
    is_retryable,
    log_first_refusal,
    one_attempt,
    retry_call,
    runs_a_connector,
    waiting_out,
)
from ._secrets import redact
from ._serde import structure
from ._throttle import RateLimiter, ServerClock
from ._transport import ObjectHook
from ._versions import not_the_api, public_path_missing, route_missing
from .errors import (
    AirbyteError,
    BadRequestError,
    ClientStateError,
    ConnectError,
    InvalidArgumentError,
    NotFoundError,
    RequestTimeoutError,
    TransportError,
    UnsupportedOperationError,
)
from .models import Health
from .resources import (
    Connections,
    DestinationDefinitions,
    Destinations,
    Jobs,
    SourceDefinitions,
    Sources,
    Workspaces,
)
from .resources._backend import ConfigBackend
from .resources._public import (
    PublicConnections,
    PublicDestinationDefinitions,
    PublicDestinations,
    PublicJobs,
    PublicSourceDefinitions,
    PublicSources,
    PublicWorkspaces,
    config_only,
)
from .resources._public_backend import PublicBackend
from .resources._reconcile import KnownJobs
from .resources.jobs import JobTypesKnown

__all__ = ["APIS", "AirbyteClient", "ApiRoots", "auth_from_env", "normalize_url", "resolve_url"]

#: The values of ``api=`` and ``AIRBYTE_API``.
APIS = ("auto", "config", "public")
#: The API a client speaks (:attr:`AirbyteClient.api`), or that a URL names.
ApiName = Literal["config", "public"]

#: The host of Airbyte Cloud's public API, which serves no Config API.
CLOUD_API_HOST = "api.airbyte.com"
#: The host of Airbyte Cloud's web app, whose page addresses users may paste.
CLOUD_WEBAPP_HOST = "cloud.airbyte.com"
#: Where Airbyte Cloud serves the Config API (config-api-head.yaml ``servers``; API-FACTS 0, 6).
CLOUD_CONFIG_URL = "https://cloud.airbyte.com/api/v1"

log = logging.getLogger("airbyte_async.http")

_TOKEN_ROUTES = ("api/v1/applications/token", "api/public/v1/applications/token")
#: Where the credentials this package ships keep their secrets (a password, a static or minted
#: token, a client secret).
_AUTH_SECRETS = ("password", "token", "client_secret", "_token")


class _State(enum.Enum):
    UNOPENED = "unopened"
    OPEN = "open"
    CLOSED = "closed"


_CREDENTIALS_IN_URL = re.compile(r"//[^/@?#]*@")
_METHODS = frozenset({"GET", "POST", "PUT", "PATCH", "DELETE"})
#: How the JSON bodies of successes open: others are looked at for a web page.
_JSON_STARTS = (b"{", b"[")


def _safe(url: str) -> str:
    """*url* for a message, its credentials and its query's secrets (``?token=...``) hidden
    even when it does not parse."""
    shown: str = redact(_CREDENTIALS_IN_URL.sub("//***@", url))
    return shown


_EXPECTED = "the Airbyte URL must look like http(s)://host[:port][/api[/v1]]"


def _parse(url: object) -> tuple[URL, list[str], BasicAuth | None]:
    """*url*'s root (no path, no credentials), its path segments and its credentials."""
    if not isinstance(url, str):
        raise InvalidArgumentError(f"the Airbyte URL must be a str, got {type(url).__name__}")
    try:
        parsed = URL(url.strip())
        port = parsed.port
    except (TypeError, ValueError) as e:
        raise InvalidArgumentError(f"{_EXPECTED}, got {_safe(url)!r} ({e})") from None
    if parsed.scheme not in ("http", "https") or not parsed.host or port is None:
        raise InvalidArgumentError(f"{_EXPECTED}, got {_safe(url)!r}")
    if parsed.query_string or parsed.fragment:
        raise InvalidArgumentError(f"the Airbyte URL takes no query or fragment: {_safe(url)!r}")
    creds = BasicAuth(parsed.user, parsed.password or "") if parsed.user else None
    segments = [s for s in parsed.path.split("/") if s]
    root = parsed.with_user(None).with_password(None).with_query(None).with_fragment(None)
    return root.with_path("/"), segments, creds


def _webapp_page(url: str, root: URL, segments: list[str]) -> None:
    """
    Refuse the address of a page of Airbyte's web app (``.../workspaces/<id>/connections``,
    as the browser shows it; the web app's routes begin ``workspaces/:workspaceId``,
    airbyte-webapp/src/pages/routePaths.tsx), naming the URL to pass instead.
    """
    at = next(
        (i for i, s in enumerate(segments[:-1]) if s == "workspaces" and is_uuid(segments[i + 1])),
        None,
    )
    if at is None:
        return
    if root.host == CLOUD_WEBAPP_HOST:
        server = f"https://{CLOUD_API_HOST}/v1"
    else:
        server = str(_under(root, segments[:at])).rstrip("/")
    raise InvalidArgumentError(
        f"the Airbyte URL is the address of a page of Airbyte's web app, got {_safe(url)!r}: "
        f"pass the server's, {server} (the workspace's id goes to workspace_id=, or "
        "--workspace)"
    )


def _under(root: URL, segments: list[str], *tail: str) -> URL:
    return root.with_path("/" + "".join(f"{s}/" for s in [*segments, *tail]))


def _past_the_root(url: str, root: URL, segments: list[str]) -> InvalidArgumentError:
    """The error for *url*, whose path goes on past an ``api`` segment: what to pass instead."""
    server = str(_under(root, segments[: segments.index("api")])).rstrip("/")
    return InvalidArgumentError(
        f"the Airbyte URL goes past the API's root, got {_safe(url)!r}: the client adds /api/v1 "
        f"(or /api/public/v1) and each route itself; pass {server}"
    )


def normalize_url(url: str) -> tuple[URL, BasicAuth | None]:
    """
    The ``.../api/v1/`` root for *url*, plus basic credentials if the URL carried any.

    Accepts ``http(s)://host[:port]``, optionally under a path prefix (a reverse proxy's
    ``/airbyte``), followed by nothing, ``/api`` or ``/api/v1``, with or without a trailing
    slash. Raises :class:`InvalidArgumentError` for anything else (another scheme, no host, a bad
    port, a query or fragment, a path reaching past ``/api/v1``); the message never shows a
    password.
    """
    root, segments, creds = _parse(url)
    _webapp_page(url, root, segments)
    if segments[-2:] == ["api", "v1"]:
        segments = segments[:-2]
    elif segments[-1:] == ["api"]:
        segments = segments[:-1]
    if "api" in segments:
        raise _past_the_root(url, root, segments)
    return _under(root, segments, "api", "v1"), creds


@attrs.frozen
class ApiRoots:
    """
    Where each API lives for one URL: the Config API's ``.../api/v1/`` root (None on Airbyte
    Cloud, which does not offer it), the public API's root, and the API the URL itself names
    (None for a bare host).
    """

    config: URL | None
    public: URL
    named: ApiName | None
    credentials: BasicAuth | None


def resolve_url(url: str) -> ApiRoots:
    """
    Both API roots for *url*.

    Besides the Config API forms of :func:`normalize_url`, accepts the public API's:
    ``https://api.airbyte.com[/v1]`` (Cloud: public only) and ``http(s)://host[:port][/prefix]
    /api/public/v1``. Raises :class:`InvalidArgumentError` for anything else.
    """
    root, segments, creds = _parse(url)
    _webapp_page(url, root, segments)
    if root.host == CLOUD_API_HOST:
        if segments not in ([], ["v1"]):
            raise InvalidArgumentError(
                f"Airbyte Cloud's public API is https://{CLOUD_API_HOST}/v1 and its Config API "
                f"{CLOUD_CONFIG_URL}, got {_safe(url)!r}"
            )
        return ApiRoots(None, _under(root, [], "v1"), "public", creds)
    named: ApiName | None = None
    if segments[-3:] == ["api", "public", "v1"]:
        segments, named = segments[:-3], "public"
    elif segments[-2:] == ["api", "v1"]:
        segments, named = segments[:-2], "config"
    elif segments[-1:] == ["api"]:
        segments = segments[:-1]
    if "api" in segments:
        raise _past_the_root(url, root, segments)
    config = _under(root, segments, "api", "v1")
    return ApiRoots(config, _under(root, segments, "api", "public", "v1"), named, creds)


def _name_the_ids(error: NotFoundError, body: Mapping[str, Any] | None) -> None:
    """
    Make *error* say which ids the request named, when the server said nothing: Airbyte 2.x
    answers a 404 with an error id only (API-FACTS 6.2), where 0.x named the missing object.
    """
    ids = [f"{key} {value}" for key, value in (body or {}).items() if is_uuid(value)]
    if error.message != "Not Found" or not ids:
        return
    error._reword(f"Not Found: the server has no object for one of {', '.join(ids)}")


def _name_the_sent_ids(error: NotFoundError, body: Mapping[str, Any] | None) -> None:
    """
    Make a public API 404 name the ids its body sent, when its message names none: the
    ``ResourceNotFoundProblem`` says only "The requested resource could not be found."
    (``POST /jobs`` for a connection that does not exist, say; API-FACTS 6.4).
    """
    ids = [(key, str(value)) for key, value in (body or {}).items() if is_uuid(value)]
    if not ids or any(value in error.message for _, value in ids):
        return
    named = ", ".join(f"{key} {value}" for key, value in ids)
    error._reword(f"{error.message.rstrip('.')}: the request named {named}")


def _explain_bare_400(error: BadRequestError, body: Mapping[str, Any] | None) -> None:
    """
    Make a 2.x bare 400 ("Bad Request" and an error id) say what it means: Airbyte sends it
    only when bean validation refuses the body, a field the route requires being absent or
    null (API-FACTS 6.2, InvalidInputExceptionHandler); and what of that the request shows.
    """
    if type(error) is not BadRequestError or error.message != "Bad Request" or not error.error_id:
        return
    if body is None:
        shown = "; the request sent no body"
    else:
        nulls = sorted(key for key, value in body.items() if value is None)
        shown = f"; the body's null fields: {', '.join(nulls)}" if nulls else ""
    error._reword(
        "Bad Request: a field the route requires is missing or null (Airbyte 2.x says no more)"
        + shown
    )


def _api_name(api: object) -> ApiName:
    """*api*, one of ``"config"`` and ``"public"`` (checked by the caller), as its type."""
    return "public" if api == "public" else "config"


def choose_api(api: object, roots: ApiRoots) -> ApiName:
    """
    ``"config"`` or ``"public"`` for ``api=`` *api*: ``"auto"`` takes the API the URL names
    (the public API on Airbyte Cloud), else the Config API until the server says otherwise
    (see :mod:`~airbyte_async._probe`). Raises :class:`InvalidArgumentError` for an unknown
    value, or for the Config API where the URL leaves none.
    """
    if api not in APIS:
        raise InvalidArgumentError(f"api must be one of {', '.join(APIS)}, got {api!r}")
    chosen: ApiName = (roots.named or "config") if api == "auto" else _api_name(api)
    if chosen == "config" and roots.config is None:
        raise InvalidArgumentError(
            f"https://{CLOUD_API_HOST} is Airbyte Cloud's public API, which has no Config API: "
            f"for api='config' pass {CLOUD_CONFIG_URL}, or use api='public'"
        )
    server = str(roots.config)[: -len("api/v1/")].rstrip("/")
    if chosen == "config" and roots.named == "public":
        raise InvalidArgumentError(
            f"this URL names the public API (/api/public/v1): for api='config' pass {server} "
            f"or {str(roots.config).rstrip('/')}, or use api='public'"
        )
    if chosen == "public" and roots.named == "config":
        raise InvalidArgumentError(
            f"this URL names the Config API (/api/v1): for api='public' pass {server} or "
            f"{str(roots.public).rstrip('/')}, or use api='config'"
        )
    return chosen


def auth_from_env(env: Mapping[str, str]) -> Auth | None:
    """
    Credentials named by ``AIRBYTE_TOKEN``, ``AIRBYTE_CLIENT_ID``/``AIRBYTE_CLIENT_SECRET`` or
    ``AIRBYTE_USERNAME``/``AIRBYTE_PASSWORD``; None when none are set (empty counts as unset).

    Raises :class:`InvalidArgumentError` when several kinds are set at once, or half a pair.
    """
    token = env.get("AIRBYTE_TOKEN")
    cid, secret = env.get("AIRBYTE_CLIENT_ID"), env.get("AIRBYTE_CLIENT_SECRET")
    user, password = env.get("AIRBYTE_USERNAME"), env.get("AIRBYTE_PASSWORD")
    kinds = [
        name
        for name, present in (
            ("AIRBYTE_TOKEN", bool(token)),
            ("AIRBYTE_CLIENT_ID/AIRBYTE_CLIENT_SECRET", bool(cid or secret)),
            ("AIRBYTE_USERNAME/AIRBYTE_PASSWORD", bool(user or password)),
        )
        if present
    ]
    if len(kinds) > 1:
        raise InvalidArgumentError(
            f"conflicting credentials in the environment: {' and '.join(kinds)}; set one kind"
        )
    if token:
        return BearerToken(token)
    if cid or secret:
        if not (cid and secret):
            raise InvalidArgumentError("set both AIRBYTE_CLIENT_ID and AIRBYTE_CLIENT_SECRET")
        return ClientCredentials(cid, secret)
    if user or password:
        if not (user and password):
            raise InvalidArgumentError("set both AIRBYTE_USERNAME and AIRBYTE_PASSWORD")
        return BasicAuth(user, password)
    return None


def _check_auth(auth: object) -> Auth:
    if isinstance(auth, NoAuth | BasicAuth | BearerToken | ClientCredentials):
        return auth
    if callable(getattr(auth, "headers", None)) and callable(getattr(auth, "reject", None)):
        return auth  # type: ignore[return-value]
    hint = " (for a username and password, pass BasicAuth(user, password))"
    raise InvalidArgumentError(
        "auth must be NoAuth, BasicAuth, BearerToken, ClientCredentials or another Auth, "
        f"got {type(auth).__name__}" + (hint if isinstance(auth, tuple | list) else "")
    )


def _static_headers(auth: Auth) -> Mapping[str, str] | None:
    """
    The ``fixed_headers`` of credentials that never change (:class:`NoAuth`,
    :class:`BasicAuth`, :class:`BearerToken`, not a subclass, whose ``headers()`` may differ),
    read without awaiting their ``headers()``: two coroutines a request fewer. None for any
    other credentials, whose ``headers()`` is awaited.
    """
    if type(auth) is NoAuth or type(auth) is BasicAuth or type(auth) is BearerToken:
        return auth.fixed_headers
    return None


class AirbyteClient:
    """
    Async client for Airbyte. Use it as ``async with AirbyteClient(url) as client``.

    It speaks the Config API (``/api/v1``) or the public REST API (``https://api.airbyte.com/v1``,
    ``/api/public/v1``), as *api* says: ``"config"``, ``"public"``, or ``"auto"`` (the default,
    else ``AIRBYTE_API``): the API the URL names, the public one on Airbyte Cloud, else, for a
    bare host, the one its health routes answer to, asked once on entry (see
    :mod:`~airbyte_async._probe`; :attr:`api` tells the choice). The resources are the same
    on both; an operation the public API lacks raises
    :class:`~airbyte_async.errors.UnsupportedOperationError` without sending anything.

    *url* defaults to ``AIRBYTE_URL`` (see :func:`resolve_url`). Credentials come from *auth*,
    else from the URL's user and password, else from what the ``AIRBYTE_*`` variables name
    (:func:`auth_from_env`), else none; pass :class:`NoAuth` to ignore the environment. *env*
    replaces ``os.environ`` for all of this.

    The client opens its own :class:`aiohttp.ClientSession` on entry and closes it on exit;
    pass *session* to lend one instead, which it uses but never closes (its pool is then
    yours; *timeout* and *connect_timeout* still apply per request). A client is entered once:
    use outside ``async with`` and re-entry after exit raise :class:`RuntimeError`. Entry and
    exit may run in different tasks of the event loop the client serves (as a pytest-asyncio
    fixture's setup and teardown do): it holds no task or cancel scope open between them.

    *timeout* bounds one HTTP exchange and *connect_timeout* getting its connection, both from
    when a connection of the pool is free for it; *connector_timeout* (never less than
    *timeout*) bounds instead each exchange of a call that runs a connector, a check or a
    discovery, which Airbyte answers once the connector has run (minutes for a large database,
    or a first check that pulls the connector's image; Airbyte's own public API server gives
    these Config API calls ten minutes); *max_connections* caps the pool, hence the
    HTTP requests in flight (1000 by default, so that the pool is not what holds back an
    orchestrator's triggers, which take up to seconds each; connections open only as needed,
    each a file descriptor). *retry* and *retry_budget* shape retries (see
    :mod:`airbyte_async._retry`; the budget is shared by every call of this client);
    *rate_limit* caps requests started per second, retries included (a token request goes out in
    the turn of the call that needs it). Bad settings raise :class:`InvalidArgumentError` here,
    before any request.

    The session the client opens goes through the proxies the environment names
    (``HTTPS_PROXY``, ``HTTP_PROXY``, ``ALL_PROXY``, ``NO_PROXY``; see :mod:`._proxies`), and
    checks certificates against *ssl*: True (the system's CAs, or ``SSL_CERT_FILE``'s), an
    :class:`ssl.SSLContext` (``ssl.create_default_context(cafile=...)`` for a CA of your own),
    or False (no verification). A lent session keeps its own settings for both. No redirect is
    followed: a redirect, or a web page where the API answers JSON, raises
    :class:`~airbyte_async.errors.UnsupportedOperationError` with ``wrong_url`` set, naming the
    URL to pass when the redirect shows it.
    """

    workspaces: Workspaces
    source_definitions: SourceDefinitions
    destination_definitions: DestinationDefinitions
    sources: Sources
    destinations: Destinations
    connections: Connections
    jobs: Jobs

    def __init__(
        self,
        url: str | None = None,
        *,
        auth: Auth | None = None,
        session: aiohttp.ClientSession | None = None,
        timeout: float = 60.0,
        connect_timeout: float = 10.0,
        connector_timeout: float = 600.0,
        max_connections: int = 1000,
        retry: RetryPolicy | None = None,
        retry_budget: RetryBudget | None = None,
        rate_limit: float | None = None,
        env: Mapping[str, str] | None = None,
        api: str | None = None,
        ssl: _ssl.SSLContext | bool = True,
    ) -> None:
        if env is not None and not isinstance(env, Mapping):
            raise InvalidArgumentError(f"env must be a mapping of names to values, got {env!r}")
        env = os.environ if env is None else env
        url = url or env.get("AIRBYTE_URL")
        if not url:
            raise InvalidArgumentError("no Airbyte URL: pass url= or set AIRBYTE_URL")
        timeout = seconds("timeout", timeout)
        connect_timeout = seconds("connect_timeout", connect_timeout)
        connector_timeout = seconds("connector_timeout", connector_timeout)
        whole("max_connections", max_connections, minimum=1)
        if retry is not None and not isinstance(retry, RetryPolicy):
            raise InvalidArgumentError(f"retry must be a RetryPolicy, got {type(retry).__name__}")
        if retry_budget is not None and not isinstance(retry_budget, RetryBudget):
            raise InvalidArgumentError(
                f"retry_budget must be a RetryBudget, got {type(retry_budget).__name__}"
            )
        if session is not None and not isinstance(session, aiohttp.ClientSession):
            raise InvalidArgumentError(
                f"session must be an aiohttp.ClientSession, got {type(session).__name__}"
            )
        if not isinstance(ssl, _ssl.SSLContext | bool):
            raise InvalidArgumentError(
                "ssl must be an ssl.SSLContext (ssl.create_default_context(cafile=...) for a CA "
                f"of your own), True or False (no verification), got {type(ssl).__name__}"
            )
        if session is not None and ssl is not True:
            raise InvalidArgumentError(
                "ssl= is for the session the client opens: give the session you lend its own "
                "(aiohttp.TCPConnector(ssl=...))"
            )
        roots = resolve_url(url)
        #: ``"config"`` or ``"public"``: the API this client speaks (for a bare host with
        #: ``api="auto"``, the Config API until the server says otherwise; see ``_probe``).
        self.api: ApiName = choose_api(api or env.get("AIRBYTE_API") or "auto", roots)
        # A bare host with api="auto": the server decides (see _probe), on entry.
        self._unsettled = (api or env.get("AIRBYTE_API") or "auto") == "auto" and not roots.named
        url_creds = roots.credentials
        self.base_url = roots.config if roots.config is not None else roots.public
        self.public_url = roots.public
        if auth is not None and url_creds is not None:
            raise InvalidArgumentError("credentials are both in the URL and in auth=: give one")
        self.auth: Auth = _check_auth(auth or url_creds or auth_from_env(env) or NoAuth())
        self.retry = retry or RetryPolicy()
        self.retry_budget = retry_budget or RetryBudget()
        self._clock = ServerClock()
        self._known_jobs = KnownJobs()
        self._rate = RateLimiter(rate_limit) if rate_limit is not None else None
        self._timeout = aiohttp.ClientTimeout(total=timeout, connect=connect_timeout)
        # The first attempt's timeout, cut once here to the call's total time if that is less.
        # Not cut to retry.total_timeout, which bounds the retries: timeout= is the user's word.
        self._first_timeout = self._timeout
        # An attempt of a call that runs a connector (a check, a discovery): never shorter.
        self._connector_timeout = aiohttp.ClientTimeout(
            total=max(timeout, connector_timeout), connect=connect_timeout
        )
        self._max_connections = max_connections
        self._ssl = ssl
        # The environment's proxies, for the session the client opens (a lent session goes
        # through its own: aiohttp's trust_env). Looked up now, so that a proxy variable that
        # names no http(s) proxy is an error here, not in the first call.
        self._proxies = Proxies(env) if session is None else None
        if self._proxies is not None:
            for root in (self.base_url, self.public_url):
                self._proxies.for_url(root)
        #: A slot per HTTP request in flight, as many as the pool has connections (set on entry).
        self._requests: anyio.CapacityLimiter | None = None
        self._session = session
        self._owns_session = False
        self._state = _State.UNOPENED
        self._base = str(self.base_url)
        self._urls: dict[str, URL] = {}
        self._token_url: URL | None = None
        self._rng = random.Random()
        self._settling = anyio.Lock()
        #: What :meth:`aclose` awaits before the session goes: each batch running on this
        #: client gives itself up (see :meth:`_in_use`).
        self._users: dict[object, Callable[[], Awaitable[None]]] = {}
        #: Task groups of batches running on this client, the newest last: a ClientCredentials
        #: token due for renewal is renewed in a task of the newest while calls go on with it.
        self._renewals: list[anyio.abc.TaskGroup] = []
        self._loop: asyncio.AbstractEventLoop | None = None
        self._probes = 0
        self._silence: AirbyteError | None = None
        #: Whether the latest probe of the health routes timed out (see :meth:`_settle`).
        self._probe_timed_out = False
        #: Whether the Config API's health route has answered: the URL serves the Config API.
        self._health_answered = False
        #: Whether the public API's health route has answered: the URL serves the public API.
        self._public_health_answered = False
        #: The public API's health asked so far, and what the latest ask said (True: missing).
        self._public_health_asks = 0
        self._public_health_missing = False
        self._public_health_asked = anyio.Lock()
        #: Whether the URL's port completed a TLS handshake, asked once for an http:// URL
        #: whose connections close unanswered before the server ever answered (see
        #: :meth:`_lasting_or`); None until asked.
        self._speaks_tls: bool | None = None
        self._tls_asked = anyio.Lock()

        if self.api == "public":
            self._public_resources()
        else:
            self.workspaces = Workspaces(self._request)
            self.source_definitions = SourceDefinitions(self._request)
            self.destination_definitions = DestinationDefinitions(self._request)
            self.sources = Sources(self._request)
            self.destinations = Destinations(self._request)
            types = JobTypesKnown()
            self.connections = Connections(
                self._request, clock=self._clock, known_jobs=self._known_jobs, job_types=types
            )
            self.jobs = Jobs(self._request, cancel_tries=self._cancel_tries, types=types)

    def _public_resources(self) -> None:
        """The resources on the public API; what only the Config API has refuses to send."""
        refuse = config_only()
        call = self._public_request
        self.workspaces = PublicWorkspaces(refuse, api=call)
        self.source_definitions = PublicSourceDefinitions(refuse, api=call)
        self.destination_definitions = PublicDestinationDefinitions(refuse, api=call)
        self.sources = PublicSources(refuse, api=call)
        self.destinations = PublicDestinations(refuse, api=call)
        jobs = PublicJobs(refuse, api=call, cancel_tries=self._cancel_tries)
        self.jobs = jobs
        self.connections = PublicConnections(
            refuse, clock=self._clock, known_jobs=self._known_jobs, api=call, jobs=jobs
        )

    def _cancel_tries(self) -> int:
        """How many times the jobs resource tries a cancel refused before Airbyte acted: the
        retry policy's attempts when the cancel is made (``retry`` may be replaced)."""
        return self.retry.attempts

    def sync_backend(self) -> SyncBackend:
        """What the orchestrator drives: this client's API behind the
        :class:`~airbyte_async._backend.SyncBackend` seam."""
        if isinstance(self.connections, PublicConnections) and isinstance(self.jobs, PublicJobs):
            return PublicBackend(self.connections, self.jobs)
        return ConfigBackend(self.connections, self.jobs)

    @property
    def max_connections(self) -> int | None:
        """
        HTTP requests this client has in flight at once, at most: the size of its pool (a lent
        session's, once entered); None for a lent pool without a limit. Requests beyond it
        wait for a free connection before their timeouts start.
        """
        if self._owns_session or self._session is None:
            return self._max_connections
        limit = self._session.connector.limit if self._session.connector is not None else 0
        return limit or None

    @property
    def server_clock(self) -> ServerClock:
        """The server's clock as this client's answers tell it (shared with its resources)."""
        return self._clock

    def __repr__(self) -> str:
        base = self._base if self.api == "config" else str(self.public_url)
        return (
            f"AirbyteClient({base!r}, api={self.api!r}, auth={self.auth!r}, "
            f"state={self._state.value})"
        )

    async def __aenter__(self) -> Self:
        if self._state is _State.CLOSED:
            raise ClientStateError(
                "an AirbyteClient cannot be reopened once closed; create a new one"
            )
        if self._state is _State.OPEN:
            raise ClientStateError("this AirbyteClient is already open")
        try:
            self._loop = asyncio.get_running_loop()
        except RuntimeError:
            raise ClientStateError(
                "AirbyteClient runs on asyncio (its HTTP is aiohttp's): under anyio, use the "
                "asyncio backend"
            ) from None
        if self._session is None:
            # Here, not in __init__: aiohttp binds the session to the running loop.
            self._session = aiohttp.ClientSession(
                connector=aiohttp.TCPConnector(limit=self._max_connections, ssl=self._ssl),
                timeout=self._timeout,
            )
            # aiohttp sends a PUT or DELETE again, unasked, when a kept-alive connection breaks
            # under it: whether a call may go twice is the retry policy's to say (_retry).
            self._session._retry_connection = False
            self._owns_session = True
        elif self._session.closed:
            raise ClientStateError("the session lent to this AirbyteClient is closed")
        pool = self.max_connections
        self._requests = anyio.CapacityLimiter(pool) if pool is not None else None
        self._state = _State.OPEN
        if self._unsettled:
            try:
                await self._settle(raise_no_answer=False)
            except BaseException:
                # __aexit__ will not run: close what was opened here (cancelled or not).
                await self.aclose()
                raise
        return self

    async def _settle(self, *, raise_no_answer: bool) -> None:
        """Choose the API of a bare host with api="auto" (see :mod:`._probe`): one attempt per
        route on entry, else a call's retries, raising what kept the server from answering.
        Calls that waited for another call's probe get its error rather than probe again.
        After a probe that timed out, the next makes one attempt: it had a whole ``timeout``
        and no answer, and a call's retries would only wait that long again four times."""
        probes = self._probes
        async with self._settling:
            if not self._unsettled:
                return
            if raise_no_answer and self._probes != probes and self._silence is not None:
                raise self._silence
            self._probes += 1
            self._silence = None

            async def ask(url: URL) -> object:
                try:
                    if raise_no_answer:
                        with one_attempt() if self._probe_timed_out else contextlib.nullcontext():
                            answer = await self._call("GET", url, "health", None, idempotent=True)
                    else:
                        # The health routes are open: no token is fetched just to ask them.
                        free = not isinstance(self.auth, ClientCredentials)
                        answer = await self._exchange(
                            "GET",
                            url,
                            "health",
                            None,
                            authenticated=free,
                            timeout=self._first_timeout,
                        )
                except AirbyteError as e:
                    self._probe_timed_out = isinstance(e, RequestTimeoutError)
                    raise
                self._probe_timed_out = False
                return answer

            public_health = URL(str(self.public_url) + "health")
            try:
                chosen = await _probe.choose(
                    ask, self._url("health"), public_health, raise_no_answer=raise_no_answer
                )
            except AirbyteError as e:
                if isinstance(e, RequestTimeoutError):
                    e.add_note(
                        "api='auto' asks the health route which API this server speaks: name "
                        "it (api='config' or 'public', or a URL ending /api/v1 or "
                        "/api/public/v1) and nothing is asked"
                    )
                self._silence = e
                raise
            if chosen is None:
                log.debug(
                    "api=auto: the health routes did not say which API (no answer, or an "
                    "error such as a 401); asking again before the next call"
                )
                return
            log.debug("api=auto: the server answers to the %s API", chosen)
            self._unsettled = False
            if chosen == "public":
                self.api = "public"
                self._public_resources()

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        """
        Close the session if this client created it; a lent session is left open.

        An orchestrator's batch still running on this client (in a task its block does not
        wait for) is given up first, as leaving its ``stream`` block would: the syncs it
        started are cancelled while the session can still send the cancels.
        """
        with anyio.CancelScope(shield=True):
            while self._users:
                _, give_up = self._users.popitem()
                await give_up()
            if self._owns_session and self._session is not None:
                await self._session.close()
        self._session = None
        self._owns_session = False
        self._state = _State.CLOSED

    async def health(self) -> Health:
        """The server's health check (``GET /api/v1/health``; the public API's ``GET /health``,
        whose empty 200 means available)."""
        if self._unsettled:
            await self._settle(raise_no_answer=True)
        if self.api == "public":
            await self._public_request("GET", "health", idempotent=True)
            return Health(available=True)
        data = await self._request("health", None, idempotent=True, method="GET")
        return structure(data, Health, route="health")

    async def request(
        self,
        route: str,
        body: Mapping[str, Any] | None = None,
        *,
        idempotent: bool = False,
        method: str = "POST",
    ) -> Any:
        """
        Call any route of the API in use and return its decoded JSON (None for an empty
        answer): the escape hatch for routes not modelled yet. *route* is relative to
        ``/api/v1`` (``"connections/status"``), or to the public API's root
        (``"workspaces/<id>"``, with *method*); *body* None sends no body. Retries follow the
        same policy as modelled calls; declare *idempotent* only for calls that are safe to replay.

        Raises :class:`InvalidArgumentError` for a route, method or body that cannot be sent,
        before any request, and the :mod:`~airbyte_async.errors` tree for what the server says:
        :class:`UnsupportedOperationError` when it has no such route (a 404 for the route, not
        for an id).
        """
        if (
            not isinstance(route, str)
            or not route
            or route.startswith(("/", "http:", "https:"))
            or any(c in route for c in "?#\\ \t\r\n")
            or ".." in route.split("/")
        ):
            raise InvalidArgumentError(f"route must be relative to /api/v1, got {route!r}")
        if method not in _METHODS:
            raise InvalidArgumentError(f"method must be one of {sorted(_METHODS)}, got {method!r}")
        if body is not None and not isinstance(body, Mapping):
            raise InvalidArgumentError(f"body must be a mapping or None, got {type(body).__name__}")
        if self._unsettled:
            await self._settle(raise_no_answer=True)
        if self.api == "public":
            return await self._public_request(method, route, body=body, idempotent=idempotent)
        try:
            return await self._request(
                route, body, idempotent=idempotent, method=method, modelled=False
            )
        except BadRequestError as e:
            _explain_bare_400(e, body)
            raise

    async def _public_request(
        self,
        method: str,
        path: str,
        *,
        query: Sequence[tuple[str, str]] = (),
        body: Mapping[str, Any] | None = None,
        idempotent: bool,
    ) -> Any:
        """One public API call (see :class:`~airbyte_async.resources._public.PublicCall`)."""
        url = URL(str(self.public_url) + path)
        if query:
            url = url.with_query(list(query))
        try:
            payload = None if body is None else _transport.encode(body)
        except (TypeError, ValueError) as e:
            raise InvalidArgumentError(f"the body for {path} is not JSON: {e}") from None
        try:
            return await self._call(method, url, path, payload, idempotent=idempotent)
        except NotFoundError as e:
            if isinstance(e.body, Mapping):
                _name_the_sent_ids(e, body)
            elif await self._public_health_is_missing(path):
                raise public_path_missing(path, e, public_url=str(self.public_url)) from e
            raise

    async def _public_health_is_missing(self, path: str) -> bool:
        """
        After a 404 for *path* itself (not a problem about an id: NotFoundController's bare
        "Object not found.", or a proxy's page), whether the public API's ``health`` is missing
        at this URL too: then the URL is wrong. Asked until it answers once, as the Config
        API's is (a proxy's 404 during a deploy is not kept); calls that find it being asked
        wait for that answer, and share it. A failure other than a 404 says nothing.
        """
        if path == "health":
            return True
        if self._public_health_answered:
            return False
        asks = self._public_health_asks
        async with self._public_health_asked:
            if self._public_health_asks == asks:
                self._public_health_missing = await self._ask_public_health()
                self._public_health_asks += 1
            return self._public_health_missing

    async def _ask_public_health(self) -> bool:
        """Whether the public API's ``health`` is missing (a 404 for the path) at this URL."""
        try:
            await self._call(
                "GET", URL(str(self.public_url) + "health"), "health", None, idempotent=True
            )
        except NotFoundError as e:
            return not isinstance(e.body, Mapping)
        except AirbyteError:
            return False
        self._public_health_answered = True
        return False

    def _url(self, route: str) -> URL:
        url = self._urls.get(route)
        if url is None:
            url = self._urls[route] = URL(self._base + route)
        return url

    def _capped_timeout(self, seconds: float) -> aiohttp.ClientTimeout:
        total = self._timeout.total
        if total is None or seconds >= total:
            return self._timeout
        return aiohttp.ClientTimeout(total=max(seconds, 0.001), connect=self._timeout.connect)

    async def _request(
        self,
        route: str,
        body: Mapping[str, Any] | None = None,
        *,
        idempotent: bool,
        method: str = "POST",
        object_hook: ObjectHook | None = None,
        modelled: bool = True,
    ) -> Any:
        """
        One Config API call. A 404 for the route itself (not for an id) raises
        :class:`UnsupportedOperationError` (see :mod:`._versions`); *modelled* False for a
        route given to :meth:`request`, which the client knows nothing of.
        """
        if self._unsettled:
            await self._settle(raise_no_answer=True)
        if self.api != "config":
            raise UnsupportedOperationError(
                f"the server at {self.public_url} answers only to the public API, which this "
                "client speaks since it found out: take the resource from the client again"
            )
        try:
            payload = None if body is None else _transport.encode(body)
        except (TypeError, ValueError) as e:
            raise InvalidArgumentError(f"the body for {route} is not JSON: {e}") from None
        try:
            return await self._call(
                method,
                self._url(route),
                route,
                payload,
                idempotent=idempotent,
                object_hook=object_hook,
            )
        except NotFoundError as e:
            if not is_object_404(e.body):
                base = str(self.base_url)
                gone = route_missing(route, e, base_url=base, modelled=modelled)
                if not gone.wrong_url and await self._health_missing():
                    gone = route_missing(
                        route, e, base_url=base, modelled=modelled, health_missing=True
                    )
                raise gone from e
            _name_the_ids(e, body)
            raise

    async def _health_missing(self) -> bool:
        """
        Whether ``health``, which every Airbyte version serves, is missing at this URL too (a
        404 for the route): then a missing route says the URL is wrong, not which version the
        server is. Asked until it answers once; any other failure says nothing of the URL.
        """
        if self._health_answered:
            return False
        try:
            await self._call("GET", self._url("health"), "health", None, idempotent=True)
        except NotFoundError as e:
            return not is_object_404(e.body)
        except AirbyteError:
            return False
        self._health_answered = True
        return False

    async def _call(
        self,
        method: str,
        url: URL,
        route: str,
        payload: bytes | None,
        *,
        idempotent: bool,
        object_hook: ObjectHook | None = None,
    ) -> Any:
        """
        One call: a first attempt, then retries as :func:`~._retry.retry_call` allows; none for
        a read that waits out an outage already on (:meth:`~._retry.Outage.attempt`), nor for
        a call whose caller sends it again itself (:func:`~._retry.one_attempt`).
        """
        started = time.monotonic()
        connector = runs_a_connector()
        try:
            result = await self._exchange(
                method,
                url,
                route,
                payload,
                authenticated=True,
                timeout=self._connector_timeout if connector else self._first_timeout,
                object_hook=object_hook,
            )
        except AirbyteError as exc:
            if not is_retryable(exc, idempotent=idempotent):
                if log.isEnabledFor(logging.DEBUG):
                    log_first_refusal(f"{method} {route}", exc, idempotent=idempotent)
                raise
            if waiting_out():
                log.debug(
                    "not retrying %s %s: its caller sends it again itself; %s", method, route, exc
                )
                raise

            # A partial, not a closure: a closure's variables would be cells made on every
            # call, first attempts included (six objects a request for the collector).
            again = functools.partial(
                self._again, method, url, route, payload, object_hook, connector
            )
            result = await retry_call(
                again,
                exc,
                what=f"{method} {route}",
                idempotent=idempotent,
                started=started,
                policy=self.retry,
                budget=self.retry_budget,
                rng=self._rng,
            )
        self.retry_budget.on_success()
        return result

    async def _again(
        self,
        method: str,
        url: URL,
        route: str,
        payload: bytes | None,
        object_hook: ObjectHook | None,
        connector: bool,
        left: float,
    ) -> Any:
        """
        A retry of :meth:`_call`'s request: within the *left* seconds of the policy's total
        time, or, for a call that runs a *connector*, as long as its first attempt could (cut
        short, it would only start another run).
        """
        timeout = self._connector_timeout if connector else self._capped_timeout(left)
        return await self._exchange(
            method,
            url,
            route,
            payload,
            authenticated=True,
            timeout=timeout,
            object_hook=object_hook,
        )

    async def _exchange(
        self,
        method: str,
        url: URL,
        route: str,
        payload: bytes | None,
        *,
        authenticated: bool,
        timeout: aiohttp.ClientTimeout,
        object_hook: ObjectHook | None = None,
    ) -> Any:
        """
        One request, replayed after a 401 when the credentials can be refreshed: at most twice,
        since a fresh token can be revoked, or replaced by another call, while the replay is on
        its way. Static credentials are never replayed.
        """
        session = self._open_session()
        headers: Mapping[str, str] = {}
        for tries in range(3):
            # The token request takes no turn: the call that needs it already holds one.
            if self._rate is not None and authenticated:
                await self._rate.wait()
            # After the wait for a turn, which can outlast a token.
            if authenticated:
                static = _static_headers(self.auth)
                headers = await self._headers() if static is None else static
            response = await self._send(session, method, url, route, payload, headers, timeout)
            status = response.status
            if (300 <= status < 400 or status == 405) or (
                200 <= status < 300 and response.body[:1] not in _JSON_STARTS
            ):
                self._check_the_api_answered(method, url, response)
            # Only a success dates the server's clock: an error may be a proxy's page, dated
            # by the proxy's host (a load balancer's 504 beside an nginx whose clock drifts).
            self._clock.observe(response.headers.get("Date") if response.status < 300 else None)
            if log.isEnabledFor(logging.DEBUG):
                log.debug("%s %s -> %d", method, route, response.status)
            if response.status == 401 and authenticated and tries < 2 and self.auth.reject(headers):
                log.debug("%s %s: 401, replaying with fresh credentials", method, route)
                continue
            return _transport.decode(
                response, route=route, object_hook=object_hook, secrets=self._secrets, sent=payload
            )
        raise AssertionError("unreachable")

    def _check_the_api_answered(self, method: str, url: URL, response: _transport.Response) -> None:
        """Raise :func:`~._versions.not_the_api`'s error for an answer no Airbyte API gives
        (a redirect, a web page), with the root of the API *url* is under."""
        public = str(url).startswith(str(self.public_url))
        api = "public" if public or self.base_url == self.public_url else "config"
        root = self.public_url if api == "public" else self.base_url
        wrong = not_the_api(
            method, url, response.status, response.headers, response.body, root=root, api=api
        )
        if wrong is not None:
            raise wrong

    def _awaits_token(self) -> bool:
        """Whether the next call would wait for an access token: ClientCredentials holding
        none good (none yet, expired, or refused by a 401)."""
        return isinstance(self.auth, ClientCredentials) and not self.auth._usable()

    async def _token(self) -> None:
        """Have an access token at hand for the next call, as that call would get it; raises
        what the token request raises."""
        await self._headers()

    async def _headers(self) -> Mapping[str, str]:
        if isinstance(self.auth, ClientCredentials):
            renewals = self._renewals[-1] if self._renewals else None
            return await self.auth.headers(self._fetch_token, renewals=renewals)
        return await self.auth.headers(self._fetch_token)

    async def _send(
        self,
        session: aiohttp.ClientSession,
        method: str,
        url: URL,
        route: str,
        payload: bytes | None,
        headers: Mapping[str, str],
        timeout: aiohttp.ClientTimeout,
    ) -> _transport.Response:
        """
        One request, once a connection of the pool is free: aiohttp counts the wait for one
        against the connect timeout, and a wait behind this client's own requests is neither
        a slow server nor a reason to retry.
        """
        slots, borrower = self._requests, object()
        if slots is not None:
            try:
                # Without the loop turn acquire() takes even when a slot is free.
                slots.acquire_on_behalf_of_nowait(borrower)
            except anyio.WouldBlock:
                await slots.acquire_on_behalf_of(borrower)
        proxy = self._proxies.for_url(url) if self._proxies is not None else None
        try:
            return await _transport.send(
                session,
                method,
                url,
                route=route,
                body=payload,
                headers=headers,
                timeout=timeout,
                proxy=proxy,
            )
        except TransportError as e:
            failure = e
        finally:
            if slots is not None:
                slots.release_on_behalf_of(borrower)
        raise await self._lasting_or(failure, url, route, direct=proxy is None)

    async def _lasting_or(
        self, error: TransportError, url: URL, route: str, *, direct: bool
    ) -> TransportError:
        """
        *error*, or what it hides, as lasting or not (``_lasting``, never retried). Before the
        server ever answered this client, a failure that waiting does not mend is lasting (see
        :func:`~._transport.send`), and so is a connection closed unanswered at an http:// URL
        whose port speaks TLS (asked once per client, with a handshake of its own): that server
        cannot have read the request as one. Once the server has answered, nothing is: the
        address worked, and a deployment may be under way.
        """
        if self._clock.answered:
            error._lasting = False
            return error
        if error._lasting or url.scheme != "http" or not direct:
            return error
        if not _transport.closed_unanswered(error):
            return error
        async with self._tls_asked:
            if self._speaks_tls is None:
                wait = self._timeout.connect or self._timeout.total or 10.0
                self._speaks_tls = await _transport.speaks_tls(url, timeout=wait)
        if not self._speaks_tls:
            return error
        tls = ConnectError(
            f"{url.host}:{url.port} speaks TLS and closed the connection to an http:// URL "
            "unanswered: use an https:// URL",
            route=route,
        )
        tls._lasting = True
        tls.__cause__ = error
        return tls

    async def _fetch_token(self, body: Mapping[str, str], token_url: str | None) -> Any:
        """
        POST *body* to the token endpoint: *token_url* (absolute, or a path from the server's
        root), else the first of the Config API's and the public API's routes that exists. The
        one found is remembered. One attempt: the call that needs the token retries as a whole
        (see :mod:`~._retry`), so that retries do not nest.
        """
        payload = _transport.encode(body)
        root = self.base_url.with_path("/")
        if token_url is not None:
            url = URL(token_url)
            candidates = [url if url.is_absolute() else root.join(url)]
        elif self._token_url is not None:
            candidates = [self._token_url]
        elif self.api == "public":
            candidates = [self.public_url.join(URL("applications/token"))]
        else:
            prefix = self.base_url.path[: -len("api/v1/")]
            candidates = [root.with_path(prefix + route) for route in _TOKEN_ROUTES]
        for url in candidates:
            try:
                answer = await self._exchange(
                    "POST",
                    url,
                    TOKEN_ROUTE,
                    payload,
                    authenticated=False,
                    timeout=self._first_timeout,
                )
            except NotFoundError:
                if url is candidates[-1]:
                    raise
                log.debug("no token endpoint at %s; trying the next", url.path)
                continue
            self._token_url = url
            return answer
        raise AssertionError("unreachable")

    def _secrets(self) -> list[str]:
        """What this client holds that a server's error message must not echo."""
        held = (getattr(self.auth, name, None) for name in _AUTH_SECRETS)
        return [value for value in held if isinstance(value, str)]

    @contextlib.contextmanager
    def _in_use(self, give_up: Callable[[], Awaitable[None]]) -> Iterator[None]:
        """While the block runs, :meth:`aclose` awaits *give_up* before the session goes."""
        key = object()
        self._users[key] = give_up
        try:
            yield
        finally:
            self._users.pop(key, None)

    @contextlib.contextmanager
    def _renewing_in(self, group: anyio.abc.TaskGroup) -> Iterator[None]:
        """While the block runs, a token due for renewal is renewed in a task of *group* (a
        batch's), so that no call of the batch waits for it while the token is still good."""
        self._renewals.append(group)
        try:
            yield
        finally:
            self._renewals.remove(group)

    def _open_session(self) -> aiohttp.ClientSession:
        if self._state is not _State.OPEN or self._session is None:
            raise ClientStateError(
                "use the client inside `async with AirbyteClient(...) as client:`"
                + (" (this one is closed)" if self._state is _State.CLOSED else "")
            )
        if asyncio.get_running_loop() is not self._loop:
            raise ClientStateError(
                "this AirbyteClient was opened in another event loop, whose connections it "
                "holds: open one in each loop (each asyncio.run)"
            )
        return self._session
