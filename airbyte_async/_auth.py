"""
Credentials, and the headers they put on each request.

An :class:`Auth` gives the headers for one request and, after a 401, says whether a replay with
fresh credentials may help. Static credentials never can; :class:`ClientCredentials` drops the
rejected token so the replay mints a new one. No credential ever appears in a ``repr``.
"""

from __future__ import annotations

import base64
import binascii
import json
import logging
import time
from collections.abc import Awaitable, Callable, Mapping
from typing import Any, Protocol

import anyio
import attrs

from .errors import APIError, AuthenticationError, InvalidArgumentError, TransportError

__all__ = [
    "Auth",
    "BasicAuth",
    "BearerToken",
    "ClientCredentials",
    "NoAuth",
    "TokenFetcher",
]

log = logging.getLogger("airbyte_async")

#: Fetches a token: given the JSON body for the token route, returns the decoded answer.
TokenFetcher = Callable[[Mapping[str, str], str | None], Awaitable[Any]]


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


@attrs.frozen
class BasicAuth:
    """HTTP basic auth, as self-hosted Airbyte expects (``airbyte`` / ``password`` by default)."""

    username: str
    password: str = attrs.field(repr=_hidden)
    _header: Mapping[str, str] = attrs.field(init=False, repr=False, eq=False)

    def __attrs_post_init__(self) -> None:
        if not self.username:
            raise InvalidArgumentError("BasicAuth needs a non-empty username")
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
    """A fixed bearer token (Airbyte Cloud, or a token minted elsewhere)."""

    token: str = attrs.field(repr=_hidden)
    _header: Mapping[str, str] = attrs.field(init=False, repr=False, eq=False)

    def __attrs_post_init__(self) -> None:
        if not self.token:
            raise InvalidArgumentError("BearerToken needs a non-empty token")
        object.__setattr__(self, "_header", {"Authorization": f"Bearer {self.token}"})

    async def headers(self, fetch_token: TokenFetcher) -> Mapping[str, str]:
        """The ``Authorization: Bearer`` header."""
        return self._header

    def reject(self, sent: Mapping[str, str]) -> bool:
        """Static credentials: a replay cannot help."""
        return False


def _jwt_expiry(token: str) -> float | None:
    """The ``exp`` claim of a JWT in epoch seconds, or None when *token* is not a JWT."""
    parts = token.split(".")
    if len(parts) != 3:
        return None
    try:
        padded = parts[1] + "=" * (-len(parts[1]) % 4)
        claims = json.loads(base64.urlsafe_b64decode(padded))
    except (ValueError, binascii.Error):
        return None
    exp = claims.get("exp") if isinstance(claims, dict) else None
    return float(exp) if isinstance(exp, int | float) else None


@attrs.define
class ClientCredentials:
    """
    An application's client id and secret, exchanged for short-lived bearer tokens.

    The token comes from ``applications/token`` (the Config API's ``/api/v1/applications/token``,
    else ``/api/public/v1/applications/token``, or *token_url* when given), with a JSON body.
    One refresh runs at a time however many tasks wait for it. A token is renewed *margin*
    seconds before it expires (JWT ``exp``, else ``expires_in``, else *default_lifetime*; at
    three quarters of its life when that is shorter), and
    once more after a 401. Rejected credentials raise
    :class:`~airbyte_async.errors.AuthenticationError` instead of looping.
    """

    client_id: str
    client_secret: str = attrs.field(repr=_hidden)
    token_url: str | None = None
    default_lifetime: float = 150.0
    margin: float = 30.0
    _token: str | None = attrs.field(init=False, default=None, repr=False)
    _renew_at: float = attrs.field(init=False, default=0.0, repr=False)
    _lock: anyio.Lock = attrs.field(init=False, factory=anyio.Lock, repr=False)
    #: How many tokens were minted; tests and logs read it.
    refreshes: int = attrs.field(init=False, default=0)

    def __attrs_post_init__(self) -> None:
        if not self.client_id or not self.client_secret:
            raise InvalidArgumentError("ClientCredentials needs a client_id and a client_secret")

    def _valid(self) -> bool:
        return self._token is not None and time.monotonic() < self._renew_at

    async def headers(self, fetch_token: TokenFetcher) -> Mapping[str, str]:
        """A bearer header with a valid token, minting one first when needed."""
        if not self._valid():
            async with self._lock:
                if not self._valid():
                    await self._mint(fetch_token)
        return {"Authorization": f"Bearer {self._token}"}

    def reject(self, sent: Mapping[str, str]) -> bool:
        """Forget the token a 401 rejected, so that the replay mints a new one."""
        if sent.get("Authorization") == f"Bearer {self._token}":
            self._token = None
        return True

    async def _mint(self, fetch_token: TokenFetcher) -> None:
        body = {"client_id": self.client_id, "client_secret": self.client_secret}
        try:
            answer = await fetch_token(body, self.token_url)
        except APIError as e:
            raise AuthenticationError(
                e.status,
                f"the token request was refused ({e.status}): check the client id and secret",
                route="applications/token",
            ) from e
        except TransportError:
            raise
        token = answer.get("access_token") if isinstance(answer, Mapping) else None
        if not isinstance(token, str) or not token:
            raise AuthenticationError(
                200, "the token answer has no access_token", route="applications/token"
            )
        lifetime = self.default_lifetime
        if (exp := _jwt_expiry(token)) is not None:
            lifetime = exp - time.time()
        elif isinstance(expires_in := answer.get("expires_in"), int | float):
            lifetime = float(expires_in)
        self._token = token
        # Short-lived tokens are renewed at three quarters of their life, not after it.
        self._renew_at = time.monotonic() + lifetime - min(self.margin, lifetime / 4)
        self.refreshes += 1
        log.debug("minted an access token valid for %.0f s", lifetime)
