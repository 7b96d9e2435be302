"""
:class:`AirbyteClient`: settings, session ownership, and the one request path every call takes.
"""

from __future__ import annotations

import enum
import json
import logging
import os
import random
import time
from collections.abc import Mapping
from types import TracebackType
from typing import Any, Self

import aiohttp
import stamina
from yarl import URL

from . import _transport
from ._auth import Auth, BasicAuth, BearerToken, ClientCredentials, NoAuth
from ._retry import RetryBudget, RetryPolicy, is_retryable
from ._serde import structure
from ._throttle import RateLimiter, ServerClock
from .errors import (
    AirbyteError,
    InvalidArgumentError,
    NotFoundError,
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

__all__ = ["AirbyteClient", "auth_from_env", "normalize_url"]

log = logging.getLogger("airbyte_async")

_TOKEN_ROUTES = ("api/v1/applications/token", "api/public/v1/applications/token")


class _State(enum.Enum):
    UNOPENED = "unopened"
    OPEN = "open"
    CLOSED = "closed"


def normalize_url(url: str) -> tuple[URL, BasicAuth | None]:
    """
    The ``.../api/v1/`` root for *url*, plus basic credentials if the URL carried any.

    Accepts ``http://host:8000``, ``http://host:8000/api`` and ``http://host:8000/api/v1`` (with
    or without a trailing slash). Raises :class:`InvalidArgumentError` for anything else.
    """
    try:
        parsed = URL(url.strip())
    except (TypeError, ValueError) as e:
        raise InvalidArgumentError(f"not a URL: {url!r}") from e
    if parsed.scheme not in ("http", "https") or not parsed.host:
        raise InvalidArgumentError(
            "the Airbyte URL must look like http(s)://host[:port][/api[/v1]], "
            f"got {str(parsed.with_password(None) if parsed.password else parsed)!r}"
        )
    creds = BasicAuth(parsed.user, parsed.password or "") if parsed.user else None
    path = parsed.path.rstrip("/")
    if not path.endswith("/api/v1"):
        path = path + "/v1" if path.endswith("/api") else path + "/api/v1"
    root = parsed.with_user(None).with_password(None).with_query(None).with_fragment(None)
    return root.with_path(path + "/"), creds


def auth_from_env(env: Mapping[str, str]) -> Auth | None:
    """
    Credentials named by ``AIRBYTE_TOKEN``, ``AIRBYTE_CLIENT_ID``/``AIRBYTE_CLIENT_SECRET`` or
    ``AIRBYTE_USERNAME``/``AIRBYTE_PASSWORD``; None when none are set.

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
        if not user:
            raise InvalidArgumentError("AIRBYTE_PASSWORD is set but AIRBYTE_USERNAME is not")
        return BasicAuth(user, password or "")
    return None


def _positive(name: str, value: float | None) -> None:
    if value is not None and not value > 0:
        raise InvalidArgumentError(f"{name} must be greater than 0, got {value!r}")


class AirbyteClient:
    """
    Async client for Airbyte's Config API. Use it as ``async with AirbyteClient(url) as client``.

    *url* defaults to ``AIRBYTE_URL``; *auth* defaults to what the ``AIRBYTE_*`` variables name,
    else no credentials (pass :class:`NoAuth` to ignore the environment). The client opens its
    own :class:`aiohttp.ClientSession` on entry and closes it on exit; pass *session* to lend one
    instead, which it uses but never closes (its timeouts and pool are then yours).

    *timeout* bounds one HTTP exchange and *connect_timeout* the connection; *max_connections*
    caps the pool, hence the HTTP requests in flight. *retry* and *retry_budget* shape retries
    (see :mod:`airbyte_async._retry`); *rate_limit* caps requests started per second.
    """

    def __init__(
        self,
        url: str | None = None,
        *,
        auth: Auth | None = None,
        session: aiohttp.ClientSession | None = None,
        timeout: float = 60.0,
        connect_timeout: float = 10.0,
        max_connections: int = 100,
        retry: RetryPolicy | None = None,
        retry_budget: RetryBudget | None = None,
        rate_limit: float | None = None,
        env: Mapping[str, str] | None = None,
    ) -> None:
        env = os.environ if env is None else env
        url = url or env.get("AIRBYTE_URL")
        if not url:
            raise InvalidArgumentError("no Airbyte URL: pass url= or set AIRBYTE_URL")
        _positive("timeout", timeout)
        _positive("connect_timeout", connect_timeout)
        if max_connections < 1:
            raise InvalidArgumentError(f"max_connections must be at least 1, got {max_connections}")
        self.base_url, url_creds = normalize_url(url)
        self.auth: Auth = auth or url_creds or auth_from_env(env) or NoAuth()
        self.retry = retry or RetryPolicy()
        self.retry_budget = retry_budget or RetryBudget()
        self.server_clock = ServerClock()
        self._rate = RateLimiter(rate_limit) if rate_limit is not None else None
        self._timeout = aiohttp.ClientTimeout(total=timeout, connect=connect_timeout)
        self._max_connections = max_connections
        self._session = session
        self._owns_session = False
        self._state = _State.UNOPENED
        self._base = str(self.base_url)
        self._urls: dict[str, URL] = {}
        self._rng = random.Random()

        self.workspaces = Workspaces(self._request)
        self.source_definitions = SourceDefinitions(self._request)
        self.destination_definitions = DestinationDefinitions(self._request)
        self.sources = Sources(self._request)
        self.destinations = Destinations(self._request)
        self.connections = Connections(self._request)
        self.jobs = Jobs(self._request)

    def __repr__(self) -> str:
        return f"AirbyteClient({self._base!r}, auth={self.auth!r}, state={self._state.value})"

    async def __aenter__(self) -> Self:
        if self._state is _State.CLOSED:
            raise RuntimeError("an AirbyteClient cannot be reopened once closed; create a new one")
        if self._state is _State.OPEN:
            raise RuntimeError("this AirbyteClient is already open")
        if self._session is None:
            # Here, not in __init__: aiohttp binds the session to the running loop.
            self._session = aiohttp.ClientSession(
                connector=aiohttp.TCPConnector(limit=self._max_connections),
                timeout=self._timeout,
            )
            self._owns_session = True
        self._state = _State.OPEN
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        """Close the session if this client created it; a lent session is left open."""
        if self._owns_session and self._session is not None:
            await self._session.close()
        self._session = None
        self._owns_session = False
        self._state = _State.CLOSED

    async def health(self) -> Health:
        """The server's health check (``GET /api/v1/health``)."""
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
        Call any Config API route and return its decoded JSON: the escape hatch for routes not
        modelled yet. *route* is relative to ``/api/v1`` (``"connections/status"``). Retries
        follow the same policy as modelled calls; declare *idempotent* only for calls that are
        safe to replay.
        """
        if not route or route.startswith(("/", "http:", "https:")):
            raise InvalidArgumentError(f"route must be relative to /api/v1, got {route!r}")
        return await self._request(route, body, idempotent=idempotent, method=method)

    def _url(self, route: str) -> URL:
        url = self._urls.get(route)
        if url is None:
            url = self._urls[route] = URL(self._base + route)
        return url

    async def _request(
        self,
        route: str,
        body: Mapping[str, Any] | None = None,
        *,
        idempotent: bool,
        method: str = "POST",
    ) -> Any:
        payload = None if body is None else json.dumps(body, separators=(",", ":")).encode()
        url = self._url(route)
        try:
            result = await self._exchange(method, url, route, payload, authenticated=True)
        except AirbyteError as exc:
            if not is_retryable(exc, idempotent=idempotent):
                raise
            result = await self._retry(method, url, route, payload, idempotent, exc)
        self.retry_budget.on_success()
        return result

    async def _retry(
        self,
        method: str,
        url: URL,
        route: str,
        payload: bytes | None,
        idempotent: bool,
        first: AirbyteError,
    ) -> Any:
        retries = 0
        started = time.monotonic()

        def hook(exc: Exception) -> bool | float:
            nonlocal retries
            if not isinstance(exc, AirbyteError) or not is_retryable(exc, idempotent=idempotent):
                return False
            if not self.retry_budget.try_spend():
                log.debug("not retrying %s after %s: the retry budget is spent", route, exc)
                return False
            retries += 1
            wait = self.retry.backoff(retries, exc, self._rng)
            log.debug("retry %d of %s in %.2f s after %s", retries, route, wait, exc)
            return wait

        pending: AirbyteError | None = first
        remaining = max(0.001, self.retry.total_timeout - (time.monotonic() - started))
        async for attempt in stamina.retry_context(
            on=hook, attempts=self.retry.attempts, timeout=remaining
        ):
            with attempt:
                if pending is not None:
                    # Replays the first failure inside stamina, so its hook decides the first wait.
                    exc, pending = pending, None
                    raise exc
                return await self._exchange(method, url, route, payload, authenticated=True)
        raise AssertionError("unreachable")

    async def _exchange(
        self,
        method: str,
        url: URL,
        route: str,
        payload: bytes | None,
        *,
        authenticated: bool,
    ) -> Any:
        """One request, replayed once after a 401 when the credentials can be refreshed."""
        session = self._open_session()
        headers = await self.auth.headers(self._fetch_token) if authenticated else {}
        for replay in (False, True):
            if self._rate is not None:
                await self._rate.wait()
            response = await _transport.send(
                session,
                method,
                url,
                route=route,
                body=payload,
                headers=headers,
                timeout=self._timeout,
            )
            self.server_clock.observe(response.headers.get("Date"))
            if log.isEnabledFor(logging.DEBUG):
                log.debug("%s %s -> %d", method, route, response.status)
            if (
                response.status == 401
                and authenticated
                and not replay
                and self.auth.reject(headers)
            ):
                headers = await self.auth.headers(self._fetch_token)
                continue
            return _transport.decode(response, route=route)
        raise AssertionError("unreachable")

    async def _fetch_token(self, body: Mapping[str, str], token_url: str | None) -> Any:
        payload = json.dumps(body).encode()
        root = self.base_url.with_path("/")
        if token_url is not None:
            candidates = [URL(token_url)]
        else:
            prefix = self.base_url.path[: -len("api/v1/")]
            candidates = [root.with_path(prefix + route) for route in _TOKEN_ROUTES]
        for i, url in enumerate(candidates):
            try:
                return await self._exchange(
                    "POST", url, "applications/token", payload, authenticated=False
                )
            except NotFoundError:
                if i == len(candidates) - 1:
                    raise
        raise AssertionError("unreachable")

    def _open_session(self) -> aiohttp.ClientSession:
        if self._state is not _State.OPEN or self._session is None:
            raise RuntimeError(
                "use the client inside `async with AirbyteClient(...) as client:`"
                + (" (this one is closed)" if self._state is _State.CLOSED else "")
            )
        return self._session
