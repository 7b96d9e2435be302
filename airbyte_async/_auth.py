"""
Credentials, and the headers they put on each request.

An :class:`Auth` gives the headers for one request and, after a 401, says whether a replay with
fresh credentials may help. Static credentials never can; :class:`ClientCredentials` drops the
rejected token so the replay mints a new one. No credential ever appears in a ``repr``.

The headers of :class:`NoAuth`, :class:`BasicAuth` and :class:`BearerToken` never change: each
holds them, built once, as ``fixed_headers``, which the client reads instead of awaiting
``headers()`` (for these classes exactly: a subclass may override ``headers()``, which is then
what the client awaits).
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
from anyio.abc import TaskGroup
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

log = logging.getLogger("airbyte_async.auth")

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

    #: The headers every request gets: none.
    fixed_headers: Mapping[str, str] = attrs.field(init=False, factory=dict, repr=False, eq=False)

    async def headers(self, fetch_token: TokenFetcher) -> Mapping[str, str]:
        """No headers."""
        return self.fixed_headers

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
    #: The headers every request gets, built once (the same mapping each time).
    fixed_headers: Mapping[str, str] = attrs.field(init=False, repr=False, eq=False)

    def __attrs_post_init__(self) -> None:
        _text("BasicAuth username", self.username)
        _text("BasicAuth password", self.password, empty=True)
        if ":" in self.username:
            raise InvalidArgumentError("a BasicAuth username cannot contain ':'")
        raw = f"{self.username}:{self.password}".encode()
        value = "Basic " + base64.b64encode(raw).decode("ascii")
        object.__setattr__(self, "fixed_headers", {"Authorization": value})

    async def headers(self, fetch_token: TokenFetcher) -> Mapping[str, str]:
        """The ``Authorization: Basic`` header."""
        return self.fixed_headers

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
    #: The headers every request gets, built once (the same mapping each time).
    fixed_headers: Mapping[str, str] = attrs.field(init=False, repr=False, eq=False)

    def __attrs_post_init__(self) -> None:
        _text("BearerToken token", self.token)
        if self.token[:7].lower() == "bearer ":
            raise InvalidArgumentError(
                "BearerToken takes the token alone, not a header value starting with 'Bearer '"
            )
        object.__setattr__(self, "fixed_headers", {"Authorization": f"Bearer {self.token}"})

    async def headers(self, fetch_token: TokenFetcher) -> Mapping[str, str]:
        """The ``Authorization: Bearer`` header."""
        return self.fixed_headers

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
    when given (an absolute URL, or a path from the server's root).

    A token is renewed before it expires: after the shortest lifetime its answer gives (JWT
    ``exp``, ``expires_in``), else after *default_lifetime*, less *margin* seconds (a quarter of
    the lifetime when that is shorter). One call renews it (or a task of the batch the calls
    belong to: see :meth:`headers`) while the others go on with the current token until it
    expires; they wait for a token only then, or after a 401 rejected the token (the call is
    then replayed). "Expires"
    is the client's monotonic estimate, measured from when the token was asked for, less the
    time a request may take to arrive: the last 5 seconds of the token's life (its last
    twentieth when shorter; never more than *margin*). A renewal that fails while the token is
    still good fails no call: it is tried again after a pause (1 s, doubling up to 30 s, at
    most a quarter of the time left, at least what ``Retry-After`` asks), until the token
    expires; each try is given half the time left at most. From then on the calls that need a
    token ask for it themselves, and fail as any call whose token request fails.

    One token request runs at a time however many tasks need it (one per event loop), and
    tasks that waited for one that failed get its error rather than trying again; a task
    cancelled while it asks leaves the next task to ask again. When two requests overlap (in
    two event loops), the token that lives longer is kept.

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
    # The token's times, on time.monotonic(): when it is due for renewal; until when a request
    # may carry it (the renewal's latest time too); and when it expires, by the estimate.
    _renew_at: float = attrs.field(init=False, default=0.0, repr=False)
    _usable_until: float = attrs.field(init=False, default=0.0, repr=False)
    _expires_at: float = attrs.field(init=False, default=-math.inf, repr=False)
    #: Renewals failed in a row while the token was still good.
    _renewals_failed: int = attrs.field(init=False, default=0, repr=False)
    #: A lock and a renewal per event loop: an instance shared by threads, each running its
    #: own loop (workers of a scheduler, each task an ``asyncio.run``), must not wake one
    #: loop's waiter from another loop's thread (it would sleep on).
    _loops: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, _PerLoop] = attrs.field(
        init=False, factory=weakref.WeakKeyDictionary, repr=False
    )
    _generation: int = attrs.field(init=False, default=0, repr=False)
    _failure: Exception | None = attrs.field(init=False, default=None, repr=False)
    #: When a failing token endpoint was last warned of (:func:`time.monotonic`).
    _warned_at: float = attrs.field(init=False, default=-math.inf, repr=False)
    #: The token requests failed since one last worked, and when the first of them failed;
    #: whether a warning told of them (the one that works again then says so too).
    _failures: int = attrs.field(init=False, default=0, repr=False)
    _failing_since: float = attrs.field(init=False, default=0.0, repr=False)
    _failures_told: bool = attrs.field(init=False, default=False, repr=False)
    #: How many tokens were minted; tests and logs read it.
    refreshes: int = attrs.field(init=False, default=0)

    def __attrs_post_init__(self) -> None:
        _text("ClientCredentials client_id", self.client_id)
        _text("ClientCredentials client_secret", self.client_secret)
        for name in ("default_lifetime", "margin"):
            value = getattr(self, name)
            if _seconds(value) is None or value < 0 or (name == "default_lifetime" and not value):
                raise InvalidArgumentError(f"{name} must be a positive number of seconds")

    def _usable(self) -> bool:
        return self._token is not None and time.monotonic() < self._usable_until

    def _bearer(self) -> Mapping[str, str]:
        return {"Authorization": f"Bearer {self._token}"}

    def _per_loop(self) -> _PerLoop:
        loop = asyncio.get_running_loop()
        here = self._loops.get(loop)
        if here is None:
            here = self._loops[loop] = _PerLoop()
        return here

    async def headers(
        self, fetch_token: TokenFetcher, *, renewals: TaskGroup | None = None
    ) -> Mapping[str, str]:
        """
        A bearer header with a token good for the next request. A token due for renewal is
        renewed one at a time, while the other calls go on with it: in a task of *renewals*
        (the task group of an orchestrator's batch), or else by the call that found it due,
        which goes on with the current token if the renewal fails. A call waits for a token
        only when there is none good (none yet, expired, or rejected by a 401).
        """
        if self._token is not None and time.monotonic() < self._renew_at:
            return self._bearer()
        here = self._per_loop()
        if self._usable():
            if not here.renewing:
                here.renewing = True
                if renewals is None:
                    # This call renews, and goes on with the token it has if that fails; the
                    # others do not wait.
                    await self._renew(fetch_token, here)
                    if self._usable():
                        return self._bearer()
                else:
                    try:
                        renewals.start_soon(self._renew, fetch_token, here)
                    except RuntimeError:  # the batch is ending: its task group takes no more
                        here.renewing = False
                    return self._bearer()
            else:
                return self._bearer()
        seen = self._generation
        async with here.lock:
            if not self._usable():
                if self._generation != seen and self._failure is not None:
                    # The refresh this task waited for failed: share its outcome.
                    raise _borrowed(self._failure)
                await self._mint(fetch_token)
        return self._bearer()

    async def _renew(self, fetch_token: TokenFetcher, here: _PerLoop) -> None:
        """
        Renew a token that is due but still good, in a batch's task or in the call that found
        it due; raises nothing but cancellation. The token request is given half the time the
        token has left at most, so that another fits before it expires. A failure puts the
        next renewal off while the token is good (see the class docstring); after, the calls
        that need a token ask for it.
        """
        try:
            async with here.lock:
                left = self._usable_until - time.monotonic()
                if self._token is None or left <= 0 or time.monotonic() < self._renew_at:
                    return  # expired meanwhile (calls ask), or renewed (a 401's, another loop's)
                with anyio.move_on_after(left / 2) as attempt:
                    await self._mint(fetch_token)
                if attempt.cancelled_caught and self._usable():
                    self._put_off(None, f"no answer in {left / 2:.1f} s")
        except AirbyteError as e:
            if self._usable():
                self._put_off(e.retry_after if isinstance(e, APIError) else None, e)
        # Not an AirbyteError, a fault of this package's or of the client's state (closed):
        # raised here, it would stop the batch whose task renews. The calls that need a token
        # meet it when they ask.
        except Exception as e:
            log.warning("renewing the access token failed: %s: %s", type(e).__name__, e)
        finally:
            here.renewing = False

    def _put_off(self, asked: float | None, failure: object) -> None:
        """After a failed renewal of a token still good: the next one, in a pause."""
        self._renewals_failed += 1
        left = self._usable_until - time.monotonic()
        pause = renewal_pause(self._renewals_failed, asked, left=left)
        self._renew_at = time.monotonic() + pause
        then = f"calls go on with the current token ({left:.1f} s left), renewed in"
        self._warn(failure, f"{then} {pause:.1f} s")

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
        started, wall_started = time.monotonic(), time.time()
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
            # Counted when a request ends, not when it begins: the tasks that waited through a
            # request share its failure; those of a request cut short (cancelled) ask again.
            self._generation += 1
            if self._failure is e:
                if not self._usable():
                    self._warn(e, "requests that need a token wait and retry")
                raise
            raise self._failure from e
        # From when it was asked for: the answer may have been long on its way.
        lifetime = token_lifetime(token, answer.get("expires_in"), now=wall_started)
        lifetime = self.default_lifetime if lifetime is None else lifetime
        self.refreshes += 1
        self._generation += 1
        self._failure = None
        self._worked()
        expires_at = started + lifetime
        if self._token is not None and expires_at < self._expires_at:
            log.debug("kept the access token minted meanwhile, which lives longer")
            return
        margin = min(self.margin, lifetime / 4)
        self._token = token
        self._expires_at = expires_at
        self._renew_at = expires_at - margin
        self._usable_until = expires_at - min(_FLIGHT, lifetime / 20, margin)
        self._renewals_failed = 0
        log.debug("minted an access token valid for %.1f s", lifetime)

    def _warn(self, failure: object, then: str) -> None:
        # A failure that may pass (a server restarting): callers go on, or wait and mint again,
        # each quietly; said here once a minute, so that a long wait is not a silent one.
        now = time.monotonic()
        if not self._failures:
            self._failing_since = now
        self._failures += 1
        if now - self._warned_at >= _WARN_EVERY:
            self._warned_at = now
            self._failures_told = True
            log.warning("the token request failed (%s): %s", failure, then)
        else:
            log.debug("the token request failed (%s): %s", failure, then)

    def _worked(self) -> None:
        # The end of failures that were warned of is a warning too: a log kept to warnings
        # shows when the calls waiting for a token could go on, not only when they began to.
        if self._failures_told:
            n = self._failures
            log.warning(
                "the token request works again (it failed %d time%s over %.1f s): calls go on",
                n,
                "" if n == 1 else "s",
                time.monotonic() - self._failing_since,
            )
        self._failures, self._failures_told = 0, False

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


@attrs.define
class _PerLoop:
    """What :class:`ClientCredentials` keeps per event loop."""

    #: Held by the task that asks for a token.
    lock: anyio.Lock = attrs.field(factory=anyio.Lock)
    #: Whether a background renewal has been started and has not ended.
    renewing: bool = False


#: Seconds between warnings of a token endpoint that keeps failing.
_WARN_EVERY = 60.0
#: The end of a token's life no request is sent in: time for the request to arrive.
_FLIGHT = 5.0
#: The pause after a first failed renewal of a token still good, and the longest.
_RENEW_PAUSE = 1.0
_RENEW_PAUSE_MAX = 30.0


def renewal_pause(failures: int, asked: float | None, *, left: float) -> float:
    """
    Seconds to wait before renewing again a token still good for *left* seconds, after
    *failures* renewals failed in a row, the last answered with ``Retry-After`` *asked* (None
    without one): 1 s doubling up to 30 s, and no more than a quarter of *left*, so that more
    tries fit; at least *asked*; never past *left*, when calls wait for a token anyway.
    """
    pause = min(_RENEW_PAUSE * 2.0 ** min(failures - 1, 16), _RENEW_PAUSE_MAX, left / 4)
    if asked is not None:
        pause = max(pause, asked)
    return max(0.0, min(pause, left))


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
