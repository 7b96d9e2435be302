"""
Credentials, and the headers they put on each request.

An :class:`Auth` gives the headers for one request and, after a 401, says whether a replay with
fresh credentials may help. Static credentials never can; :class:`ClientCredentials` drops the
rejected token so the replay mints a new one. No credential ever appears in a ``repr``.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import copy
import json
import logging
import math
import time
import weakref
from collections.abc import Awaitable, Callable, Mapping
from typing import Any, Protocol, TypeGuard

import anyio
import attrs
from yarl import URL

from .errors import (
    AirbyteError,
    APIError,
    AuthenticationError,
    InvalidArgumentError,
    NotFoundError,
    ResponseValidationError,
)

__all__ = [
    "Auth",
    "BasicAuth",
    "BearerToken",
    "ClientCredentials",
    "NoAuth",
    "TokenFetcher",
]

log = logging.getLogger("airbyte_async")

#: Fetches a token: given the JSON body for the token route and the configured token URL (None:
#: the server's own routes), returns the decoded answer. Its errors carry the token route.
TokenFetcher = Callable[[Mapping[str, str], str | None], Awaitable[Any]]

_TOKEN_ROUTE = "applications/token"


class Auth(Protocol):
    """What the client asks of credentials."""

    async def headers(self, fetch_token: TokenFetcher) -> Mapping[str, str]:
        """Headers to send with the next request."""
        ...

    def reject(self, sent: Mapping[str, str]) -> bool:
        """After a 401 for a request sent with *sent*: True when a replay may succeed."""
        ...


@attrs.frozen
class NoAuth:
    """Send no credentials (a local Airbyte with auth switched off)."""

    async def headers(self, fetch_token: TokenFetcher) -> Mapping[str, str]:
        """No headers."""
        return {}

    def reject(self, sent: Mapping[str, str]) -> bool:
        """Nothing to refresh."""
        return False


def _hidden(_: object) -> str:
    return "'***'"


def _text(name: str, value: object, *, empty: bool = False) -> str:
    """*value*, checked to be a string fit for a header; the message never shows it."""
    if not isinstance(value, str):
        raise InvalidArgumentError(f"{name} must be a str, got {type(value).__name__}")
    if not value and not empty:
        raise InvalidArgumentError(f"{name} must not be empty")
    if any(c in value for c in "\r\n\0"):
        raise InvalidArgumentError(f"{name} must not contain line breaks or NUL characters")
    return value


@attrs.frozen
class BasicAuth:
    """
    HTTP basic auth, as self-hosted Airbyte expects (``airbyte`` / ``password`` by default).

    Raises :class:`~airbyte_async.errors.InvalidArgumentError` for an empty username, one with a
    colon, or values that are not strings.
    """

    username: str
    password: str = attrs.field(repr=_hidden)
    _header: Mapping[str, str] = attrs.field(init=False, repr=False, eq=False)

    def __attrs_post_init__(self) -> None:
        _text("BasicAuth username", self.username)
        _text("BasicAuth password", self.password, empty=True)
        if ":" in self.username:
            raise InvalidArgumentError("a BasicAuth username cannot contain ':'")
        raw = f"{self.username}:{self.password}".encode()
        value = "Basic " + base64.b64encode(raw).decode("ascii")
        object.__setattr__(self, "_header", {"Authorization": value})

    async def headers(self, fetch_token: TokenFetcher) -> Mapping[str, str]:
        """The ``Authorization: Basic`` header."""
        return self._header

    def reject(self, sent: Mapping[str, str]) -> bool:
        """Static credentials: a replay cannot help."""
        return False


@attrs.frozen
class BearerToken:
    """
    A fixed bearer token (Airbyte Cloud, or a token minted elsewhere).

    Raises :class:`~airbyte_async.errors.InvalidArgumentError` for an empty token, one that
    cannot travel in a header, or a whole header value (``"Bearer eyJ..."``: pass the token
    alone).
    """

    token: str = attrs.field(repr=_hidden)
    _header: Mapping[str, str] = attrs.field(init=False, repr=False, eq=False)

    def __attrs_post_init__(self) -> None:
        _text("BearerToken token", self.token)
        if self.token[:7].lower() == "bearer ":
            raise InvalidArgumentError(
                "BearerToken takes the token alone, not a header value starting with 'Bearer '"
            )
        object.__setattr__(self, "_header", {"Authorization": f"Bearer {self.token}"})

    async def headers(self, fetch_token: TokenFetcher) -> Mapping[str, str]:
        """The ``Authorization: Bearer`` header."""
        return self._header

    def reject(self, sent: Mapping[str, str]) -> bool:
        """Static credentials: a replay cannot help."""
        return False


def _jwt_claims(token: str) -> Mapping[str, Any]:
    """The claims of a JWT, unverified (only its times are read); empty when not a JWT."""
    parts = token.split(".")
    if len(parts) != 3:
        return {}
    try:
        padded = parts[1] + "=" * (-len(parts[1]) % 4)
        claims = json.loads(base64.urlsafe_b64decode(padded))
    except (ValueError, binascii.Error):
        return {}
    return claims if isinstance(claims, dict) else {}


def _seconds(value: object) -> float | None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return float(value) if math.isfinite(value) else None


def token_lifetime(token: str, expires_in: object, *, now: float) -> float | None:
    """
    The shortest lifetime in seconds the answer gives for *token*, or None when it gives none.

    Sources: ``expires_in``, the JWT's ``exp - iat`` (both server times, so immune to clock
    skew), and ``exp`` against the local clock *now* (which catches an ``iat`` rounded down).
    A source that yields no positive time is ignored, so a skewed local clock cannot make every
    call mint a token.
    """
    claims = _jwt_claims(token)
    exp, iat = _seconds(claims.get("exp")), _seconds(claims.get("iat"))
    candidates = [_seconds(expires_in)]
    if exp is not None:
        candidates.append(exp - now)
        if iat is not None:
            candidates.append(exp - iat)
    positive = [c for c in candidates if c is not None and c > 0]
    return min(positive) if positive else None


def _token_url(value: str | None) -> str | None:
    if value is None:
        return None
    try:
        url = URL(_text("token_url", value).strip())
    except ValueError as e:
        raise InvalidArgumentError("token_url is not a URL") from e
    if url.user or url.password:
        raise InvalidArgumentError("token_url must not carry credentials")
    if url.is_absolute() and url.scheme in ("http", "https") and url.host:
        return str(url)
    if not url.is_absolute() and url.path.startswith("/"):
        return str(url)
    raise InvalidArgumentError(
        "token_url must be an http(s) URL or a path from the server's root such as "
        "'/api/public/v1/applications/token'"
    )


@attrs.define(eq=False)
class ClientCredentials:
    """
    An application's client id and secret, exchanged for short-lived bearer tokens.

    The token comes from ``applications/token`` with a JSON body (``client_id``,
    ``client_secret`` and ``grant_type: client_credentials``): the Config API's
    ``/api/v1/applications/token``, else ``/api/public/v1/applications/token``, or *token_url*
    when given (an absolute URL, or a path from the server's root). One refresh runs at a time
    however many tasks need it, and tasks that waited for a refresh that failed get its error
    rather than trying again. A token is renewed before it expires: after the shortest lifetime
    its answer gives (JWT ``exp``, ``expires_in``), else after *default_lifetime*, less *margin*
    seconds (a quarter of the lifetime when that is shorter); and once more after a 401.

    Rejected credentials raise :class:`~airbyte_async.errors.AuthenticationError` instead of
    looping; a token answer without a usable ``access_token`` raises
    :class:`~airbyte_async.errors.ResponseValidationError`. Keep one instance per server: it
    holds that server's token (threads that each run their own event loop may share it).
    """

    client_id: str
    client_secret: str = attrs.field(repr=_hidden)
    token_url: str | None = attrs.field(default=None, converter=_token_url)
    default_lifetime: float = 150.0
    margin: float = 30.0
    _token: str | None = attrs.field(init=False, default=None, repr=False)
    _renew_at: float = attrs.field(init=False, default=0.0, repr=False)
    #: One lock per event loop: an instance shared by threads, each running its own loop
    #: (workers of a scheduler, each task an ``asyncio.run``), must not wake one loop's waiter
    #: from another loop's thread (it would sleep on).
    _locks: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, anyio.Lock] = attrs.field(
        init=False, factory=weakref.WeakKeyDictionary, repr=False
    )
    _generation: int = attrs.field(init=False, default=0, repr=False)
    _failure: Exception | None = attrs.field(init=False, default=None, repr=False)
    #: When a failing token endpoint was last warned of (:func:`time.monotonic`).
    _warned_at: float = attrs.field(init=False, default=-math.inf, repr=False)
    #: How many tokens were minted; tests and logs read it.
    refreshes: int = attrs.field(init=False, default=0)

    def __attrs_post_init__(self) -> None:
        _text("ClientCredentials client_id", self.client_id)
        _text("ClientCredentials client_secret", self.client_secret)
        for name in ("default_lifetime", "margin"):
            value = getattr(self, name)
            if _seconds(value) is None or value < 0 or (name == "default_lifetime" and not value):
                raise InvalidArgumentError(f"{name} must be a positive number of seconds")

    def _valid(self) -> bool:
        return self._token is not None and time.monotonic() < self._renew_at

    async def headers(self, fetch_token: TokenFetcher) -> Mapping[str, str]:
        """A bearer header with a valid token, minting one first when needed."""
        if not self._valid():
            seen = self._generation
            loop = asyncio.get_running_loop()
            lock = self._locks.get(loop)
            if lock is None:
                lock = self._locks[loop] = anyio.Lock()
            async with lock:
                if not self._valid():
                    if self._generation != seen and self._failure is not None:
                        # The refresh this task waited for failed: share its outcome.
                        raise _borrowed(self._failure)
                    await self._mint(fetch_token)
        return {"Authorization": f"Bearer {self._token}"}

    def reject(self, sent: Mapping[str, str]) -> bool:
        """Forget the token a 401 rejected, so that the replay mints a new one."""
        if self._token is not None and sent.get("Authorization") == f"Bearer {self._token}":
            self._token = None
        return True

    async def _mint(self, fetch_token: TokenFetcher) -> None:
        # grant_type: public-api-head.yaml requires it; the Config API ignores unknown keys.
        body = {
            "client_id": self.client_id,
            "client_secret": self.client_secret,
            "grant_type": "client_credentials",
        }
        self._generation += 1
        try:
            answer = await fetch_token(body, self.token_url)
            token = self._read(answer)
        # The server's failures only: what else interrupts a mint (a signal handler's
        # exception) is the interrupted task's alone, and its waiters mint again.
        except AirbyteError as e:
            # A 500 may refuse the credentials (API-FACTS 1.1), but for ones that have minted
            # a token it is more likely the server's own failure, which may pass.
            passing = isinstance(e, APIError) and e.status == 500 and self.refreshes > 0
            e._server_fault = passing
            self._failure = _refusal(e) if _refused(e) and not passing else e
            if self._failure is e:
                self._warn(e)
                raise
            raise self._failure from e
        self._failure = None
        now = time.time()
        lifetime = token_lifetime(token, answer.get("expires_in"), now=now)
        lifetime = self.default_lifetime if lifetime is None else lifetime
        self._token = token
        self._renew_at = time.monotonic() + lifetime - min(self.margin, lifetime / 4)
        self.refreshes += 1
        log.debug("minted an access token valid for %.1f s", lifetime)

    def _warn(self, failure: AirbyteError) -> None:
        # A failure that may pass (a server restarting): callers wait and mint again, each
        # quietly; said here once a minute, so that a long wait is not a silent one.
        now = time.monotonic()
        if now - self._warned_at >= _WARN_EVERY:
            self._warned_at = now
            log.warning(
                "the token request failed (%s): requests that need a token wait and retry",
                failure,
            )

    @staticmethod
    def _read(answer: Any) -> str:
        token = answer.get("access_token") if isinstance(answer, Mapping) else None
        if not isinstance(token, str) or not token.strip():
            raise ResponseValidationError(
                "the token answer has no access_token string", route=_TOKEN_ROUTE
            )
        if any(c in token for c in "\r\n\0 "):
            raise ResponseValidationError(
                "the token answer's access_token cannot be sent in a header", route=_TOKEN_ROUTE
            )
        return token


#: Seconds between warnings of a token endpoint that keeps failing.
_WARN_EVERY = 60.0


def _borrowed(failure: Exception) -> Exception:
    """
    A copy of another task's *failure* for a task that waited for it: a traceback of its own
    (one shared object would gather every waiter's frames), and marked as sending nothing.
    """
    borrowed = copy.copy(failure)
    borrowed.__cause__ = failure.__cause__
    if isinstance(borrowed, AirbyteError):
        borrowed._borrowed = True
    return borrowed


def _refused(e: Exception) -> TypeGuard[APIError]:
    """True for answers that reject the credentials (or the route): 4xx but 429, and 500."""
    return isinstance(e, APIError) and (
        e.status == 500 or (400 <= e.status < 500 and e.status != 429)
    )


def _refusal(e: APIError) -> AuthenticationError:
    """The error for a token request the server answered with *e*."""
    if isinstance(e, NotFoundError) or e.status == 405:
        message = (
            "the server has no token endpoint there: pass ClientCredentials(token_url=...) "
            f"({e.message})"
        )
    else:
        message = f"the token request was refused: check the client id and secret ({e.message})"
    return AuthenticationError(
        e.status, message, route=_TOKEN_ROUTE, error_id=e.error_id, body=e.body, headers=e.headers
    )
