"""
What the emulator demands of callers, and the tokens it mints.

Three policies, chosen with the ``auth`` argument of the emulator: :class:`RequireBasic` (the
nginx proxy of docker-compose deployments), :class:`RequireBearer` (a fixed token), and
:class:`RequireClientCredentials` (an application whose id and secret buy JWT-shaped tokens at
``applications/token``). No secret appears in a ``repr``, a log line or an error body.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
import secrets
import time
from collections.abc import Callable

import attrs

__all__ = [
    "AuthPolicy",
    "RequireBasic",
    "RequireBearer",
    "RequireClientCredentials",
    "TokenMinter",
    "parse_auth",
]


def _hidden(_: object) -> str:
    return "'***'"


@attrs.frozen
class RequireBasic:
    """Require ``Authorization: Basic`` with this username and password."""

    username: str
    password: str = attrs.field(repr=_hidden)

    def accepts(self, header: str | None) -> bool:
        """True when *header* carries exactly these credentials."""
        if header is None or not header.startswith("Basic "):
            return False
        try:
            decoded = base64.b64decode(header[6:].strip(), validate=True).decode()
        except (binascii.Error, UnicodeDecodeError):
            return False
        expected = f"{self.username}:{self.password}"
        return hmac.compare_digest(decoded.encode(), expected.encode())


@attrs.frozen
class RequireBearer:
    """Require ``Authorization: Bearer`` with this fixed token."""

    token: str = attrs.field(repr=_hidden)

    def accepts(self, header: str | None) -> bool:
        """True when *header* carries this token."""
        if header is None or not header.startswith("Bearer "):
            return False
        return hmac.compare_digest(header[7:].strip().encode(), self.token.encode())


@attrs.frozen
class RequireClientCredentials:
    """
    Require bearer tokens minted by ``applications/token`` for this client id and secret.

    Tokens live *token_lifetime* seconds (the real default is 15 minutes). A token request
    with wrong credentials is answered with *reject_status*: 400 as OSS "simple" auth does,
    401 as Keycloak does, or 500 as the database-backed variant most likely does.
    """

    client_id: str
    client_secret: str = attrs.field(repr=_hidden)
    token_lifetime: float = 900.0
    reject_status: int = attrs.field(default=400)

    @reject_status.validator
    def _check_status(self, _: object, value: int) -> None:
        if value not in (400, 401, 500):
            raise ValueError("reject_status must be 400, 401 or 500")

    def matches(self, client_id: object, client_secret: object) -> bool:
        """True for this application's id and secret."""
        if not isinstance(client_id, str) or not isinstance(client_secret, str):
            return False
        same_id = hmac.compare_digest(client_id.encode(), self.client_id.encode())
        same_secret = hmac.compare_digest(client_secret.encode(), self.client_secret.encode())
        return same_id and same_secret


AuthPolicy = RequireBasic | RequireBearer | RequireClientCredentials


def parse_auth(text: str) -> AuthPolicy:
    """
    Read ``basic:USER:PASS``, ``bearer:TOKEN`` or ``credentials:ID:SECRET`` (the CLI's
    ``--auth``). Raises ValueError naming the expected forms, never echoing *text*.
    """
    kind, _, rest = text.partition(":")
    if kind == "basic" and ":" in rest:
        user, _, password = rest.partition(":")
        if user:
            return RequireBasic(user, password)
    elif kind == "bearer" and rest:
        return RequireBearer(rest)
    elif kind == "credentials" and ":" in rest:
        client_id, _, secret = rest.partition(":")
        if client_id and secret:
            return RequireClientCredentials(client_id, secret)
    raise ValueError("auth must be basic:USER:PASS, bearer:TOKEN or credentials:ID:SECRET")


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


@attrs.define
class TokenMinter:
    """Mints HS256 JWT-shaped tokens and tells valid ones from expired, revoked or forged."""

    lifetime: float
    clock: Callable[[], float] = time.time
    _key: bytes = attrs.field(factory=lambda: secrets.token_bytes(32), repr=False)
    _revoked: set[str] = attrs.field(factory=set, repr=False)
    #: Each token's place in the minting order (1 for the first).
    _serials: dict[str, int] = attrs.field(factory=dict, repr=False)
    minted: int = 0
    #: Requests accepted with a token older than the newest one minted: a client going on with
    #: its token while it renews it (or several clients, each with its own).
    older_token_uses: int = 0

    def mint(self, subject: str) -> str:
        """A new token for *subject*, expiring *lifetime* seconds from now."""
        now = self.clock()
        expires = now + self.lifetime
        claims = {
            "iss": "airbyte-emulator",
            "sub": subject,
            "iat": int(now),
            "exp": int(expires) if expires == int(expires) else round(expires, 3),
            "jti": secrets.token_hex(8),
        }
        head = _b64(json.dumps({"alg": "HS256", "typ": "JWT"}).encode())
        body = _b64(json.dumps(claims).encode())
        signature = _b64(hmac.new(self._key, f"{head}.{body}".encode(), hashlib.sha256).digest())
        self.minted += 1
        token = f"{head}.{body}.{signature}"
        self._serials[token] = self.minted
        return token

    def valid(self, token: str) -> bool:
        """True for a token this minter made that has neither expired nor been revoked."""
        parts = token.split(".")
        if len(parts) != 3 or token in self._revoked:
            return False
        expected = _b64(
            hmac.new(self._key, f"{parts[0]}.{parts[1]}".encode(), hashlib.sha256).digest()
        )
        if not hmac.compare_digest(expected.encode(), parts[2].encode()):
            return False
        try:
            claims = json.loads(base64.urlsafe_b64decode(parts[1] + "=" * (-len(parts[1]) % 4)))
        except (ValueError, binascii.Error):
            return False
        return isinstance(claims, dict) and float(claims.get("exp", 0)) > self.clock()

    def note_use(self, token: str) -> None:
        """Count a request accepted with *token* (a valid one)."""
        if self._serials.get(token, self.minted) < self.minted:
            self.older_token_uses += 1

    def revoke(self, token: str) -> None:
        """Make *token* invalid from now on (an early expiry)."""
        self._revoked.add(token)
