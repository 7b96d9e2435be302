"""
One HTTP exchange, and nothing else: the only module that knows aiohttp's exceptions.

:func:`send` performs one request and returns a :class:`Response`, or raises a
:class:`~airbyte_async.errors.TransportError` that says whether the server may have acted.
:func:`decode` turns a response into JSON or the matching :mod:`~airbyte_async.errors` exception;
:func:`encode` turns a request body into JSON, and :func:`loads` reads JSON with every integer
exact.
"""

from __future__ import annotations

import asyncio
import contextlib
import errno
import json
import socket
import ssl
import time
from collections.abc import Callable, Iterable, Mapping
from typing import Any

import aiohttp
import attrs
import orjson
from yarl import URL

from ._limiter import OVERLOAD_STATUSES, note_overload, note_request, note_timeout
from ._secrets import SHORTEST_QUOTED, secret_values
from .errors import (
    ConnectError,
    ConnectionLostError,
    RequestTimeoutError,
    ResponseValidationError,
    TransportError,
    error_for,
)

__all__ = [
    "ObjectHook",
    "Response",
    "closed_unanswered",
    "decode",
    "encode",
    "loads",
    "send",
    "speaks_tls",
]

#: The standard library's encoder, strict where orjson is lenient: it refuses NaN and the
#: infinities (orjson writes null), and writes integers beyond 64 bits and keys that are not
#: strings (orjson refuses them).
_strict = json.JSONEncoder(separators=(",", ":"), allow_nan=False).encode
#: Types orjson would write that the standard library refuses: refused here too.
_ORJSON_OPTIONS = (
    orjson.OPT_PASSTHROUGH_DATACLASS
    | orjson.OPT_PASSTHROUGH_DATETIME
    | orjson.OPT_PASSTHROUGH_SUBCLASS
)


def encode(body: Any) -> bytes:
    """
    *body* as compact JSON, as the standard library writes it. Raises :class:`TypeError` or
    :class:`ValueError` for what JSON cannot hold, NaN and the infinities included.
    """
    try:
        raw = orjson.dumps(body, option=_ORJSON_OPTIONS)
    except TypeError:
        return _strict(body).encode()
    # orjson writes NaN and the infinities as null: a body with a null is checked again.
    return _strict(body).encode() if b"null" in raw else raw


#: Called with each decoded JSON object; returns what stands for it.
ObjectHook = Callable[[dict[str, Any]], Any]

_JSON_HEADERS = {"Content-Type": "application/json", "Accept": "application/json"}


@attrs.frozen
class Response:
    """A complete HTTP answer: status, headers, the raw body, and the seconds from sending the
    request to the whole answer (*waited*)."""

    status: int
    headers: Mapping[str, str]
    body: bytes
    waited: float = 0.0


async def send(
    session: aiohttp.ClientSession,
    method: str,
    url: URL,
    *,
    route: str,
    body: bytes | None,
    headers: Mapping[str, str],
    timeout: aiohttp.ClientTimeout,
    proxy: URL | None = None,
) -> Response:
    """
    Send one request and read the whole answer, through *proxy* if given. A redirect is not
    followed: it is the answer (aiohttp would send a POST again as a GET, and drop the
    credentials on the way to another origin).

    Raises :class:`ConnectError` when the connection could not be made, or not within the
    connect timeout (the request never left), :class:`RequestTimeoutError` on any other timeout
    and :class:`ConnectionLostError` when the connection broke afterwards (both: the server may
    have acted). Messages name the host and the route, and why the connection failed (the name
    did not resolve, the port refused it, the TLS handshake or the server's certificate
    failed), never credentials. A TimeoutError that is
    not the request's own (a signal handler raised it while the request ran) passes as itself.
    An answer that says the server is overloaded, and a timeout, are told to the trigger slot
    the caller holds, if any (:func:`~airbyte_async._limiter.note_overload`,
    :func:`~airbyte_async._limiter.note_timeout`).
    """
    all_headers = {**_JSON_HEADERS, **headers} if body is not None else headers
    note_request()
    began = time.monotonic()
    try:
        # raise_for_status: a lent session may raise on its own; the status is read here.
        async with session.request(
            method,
            url,
            data=body,
            headers=all_headers,
            timeout=timeout,
            raise_for_status=False,
            allow_redirects=False,
            proxy=proxy,
        ) as resp:
            payload = await resp.read()
            if resp.status in OVERLOAD_STATUSES:
                note_overload()
            return Response(resp.status, resp.headers, payload, time.monotonic() - began)
    # A connect timeout is also a TimeoutError, but one from before anything was sent.
    except aiohttp.ConnectionTimeoutError as e:
        raise ConnectError(f"timed out connecting to {url.host}:{url.port}", route=route) from e
    # aiohttp's total timeout is a bare TimeoutError, not a ClientError: catch it before those.
    except TimeoutError as e:
        if not _timed_out(e, began, timeout):
            raise  # not this request's: a signal handler's (a SIGALRM timeout), the caller's
        note_timeout()
        within = f" within {timeout.total:g} s" if timeout.total is not None else ""
        timed_out = RequestTimeoutError(
            f"request timed out: no whole answer from {url.host}:{url.port}{within}", route=route
        )
        timed_out._waited = time.monotonic() - began
        raise timed_out from e
    except aiohttp.ClientConnectorError as e:
        failed = ConnectError(_cannot_connect(url, e, proxy), route=route)
        failed._lasting = _will_not_mend(e)
        raise failed from e
    except aiohttp.ClientHttpProxyError as e:
        # The proxy refused to open the tunnel: the request never reached the server.
        where = f"the proxy {proxy.host}:{proxy.port}" if proxy is not None else "the proxy"
        raise ConnectError(
            f"{where} refused to reach {url.host}:{url.port} ({e.status} {e.message})",
            route=route,
        ) from e
    except (aiohttp.ClientError, OSError) as e:
        lost = ConnectionLostError(f"connection lost: {type(e).__name__}", route=route)
        lost._waited = time.monotonic() - began
        raise lost from e


def _cannot_connect(url: URL, error: aiohttp.ClientConnectorError, proxy: URL | None) -> str:
    """What a failed connection to *url* says: where, and why, with what to do for TLS."""
    where = f"{url.host}:{url.port}"
    if isinstance(error, aiohttp.ClientProxyConnectionError) and proxy is not None:
        return (
            f"cannot connect to the proxy {proxy.host}:{proxy.port} for {where} "
            "(from HTTPS_PROXY/HTTP_PROXY; NO_PROXY lists the hosts reached directly)"
        )
    if isinstance(error, aiohttp.ClientConnectorCertificateError):
        reason = getattr(error.certificate_error, "verify_message", "") or "refused"
        return (
            f"the TLS certificate of {where} was not trusted ({reason}): give the CA that "
            "signed it (ssl= an ssl.SSLContext, or SSL_CERT_FILE=the CA bundle)"
        )
    if isinstance(error, aiohttp.ClientConnectorSSLError):
        hint = ": does it speak plain http? use an http:// URL" if url.scheme == "https" else ""
        return f"the TLS handshake with {where} failed{hint}"
    if isinstance(error, aiohttp.ClientConnectorDNSError):
        if _will_not_mend(error):
            return f"cannot connect to {where}: the host name does not resolve"
        reason = error.os_error.strerror or "no answer"
        return f"cannot connect to {where}: the DNS lookup of the host name failed ({reason})"
    if error.os_error.errno == errno.ECONNREFUSED:
        return f"cannot connect to {where}: nothing listens there (connection refused)"
    reason = error.os_error.strerror
    return f"cannot connect to {where}" + (f": {reason}" if reason else "")


#: What OpenSSL says when the answer to its ClientHello is no TLS record: a plain HTTP server's
#: "HTTP/1.1 400" read as one (OpenSSL 1.1 and 3.0).
_PLAIN_HTTP_REASONS = frozenset({"WRONG_VERSION_NUMBER"})
#: getaddrinfo's answers that the name has no address (NXDOMAIN, or no A/AAAA record), and
#: c-ares' (aiodns, aiohttp's resolver when installed: ARES_ENODATA 1, ARES_ENOTFOUND 4).
#: A timeout or a failing DNS server (EAI_AGAIN "Temporary failure in name resolution",
#: ARES_ETIMEOUT) is no answer, and may pass.
_NAME_UNKNOWN = frozenset(
    code for code in (socket.EAI_NONAME, getattr(socket, "EAI_NODATA", None)) if code is not None
)
_ARES_NAME_UNKNOWN = frozenset({1, 4})


def _will_not_mend(error: aiohttp.ClientConnectorError) -> bool:
    """
    Whether a failed connection says something that waiting does not change: the
    certificate is not trusted, DNS answered that the name has no address, or an https URL
    reached a server that speaks plain HTTP. A refused or reset connection, a DNS server that
    did not answer, a handshake cut short: a restart may be under way.
    """
    if isinstance(error, aiohttp.ClientConnectorCertificateError):
        return True
    if isinstance(error, aiohttp.ClientConnectorSSLError):
        return getattr(error.os_error, "reason", None) in _PLAIN_HTTP_REASONS
    if isinstance(error, aiohttp.ClientConnectorDNSError):
        cause = error.os_error
        if isinstance(cause, socket.gaierror):
            return cause.errno in _NAME_UNKNOWN
        # aiohttp's AsyncResolver raises OSError(None, message) from aiodns' DNSError(code, ...).
        ares = cause.__cause__
        code = ares.args[0] if ares is not None and ares.args else None
        return type(ares).__module__.startswith("aiodns") and code in _ARES_NAME_UNKNOWN
    return False


def closed_unanswered(error: TransportError) -> bool:
    """Whether *error* is a connection the server closed without a byte of an answer."""
    return isinstance(error, ConnectionLostError) and isinstance(
        error.__cause__, aiohttp.ServerDisconnectedError
    )


async def speaks_tls(url: URL, *, timeout: float) -> bool:
    """
    Whether *url*'s host and port complete a TLS handshake within *timeout* seconds (the
    certificate is not checked: only the protocol is asked). One connection, closed at once.
    """
    host, port = url.host, url.port
    if host is None or port is None:
        return False
    context = ssl.create_default_context()
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    try:
        async with asyncio.timeout(timeout):
            _, writer = await asyncio.open_connection(host, port, ssl=context, server_hostname=host)
    except (OSError, TimeoutError):
        return False
    writer.close()
    with contextlib.suppress(OSError, TimeoutError):
        async with asyncio.timeout(timeout):
            await writer.wait_closed()
    return True


def _timed_out(error: TimeoutError, began: float, timeout: aiohttp.ClientTimeout) -> bool:
    """Whether *error* is the request's own timeout: aiohttp's timer never fires early."""
    if isinstance(error, aiohttp.ServerTimeoutError):
        return True
    total = timeout.total
    return total is not None and time.monotonic() - began >= total - _TIMER_SLACK


#: How much earlier than its deadline asyncio may run a timer (its clock's resolution), with room.
_TIMER_SLACK = 0.01


def decode(
    response: Response,
    *,
    route: str,
    object_hook: ObjectHook | None = None,
    secrets: Callable[[], Iterable[str]] | None = None,
    sent: bytes | None = None,
) -> Any:
    """
    The JSON of a 2xx answer (None when empty), or raise the error the status maps to. The
    error's message masks what *secrets* returns (the client's credentials) and the secrets
    of the request's body *sent* (a connector configuration's password, say), should the
    server, its proxy or a connector's error quote them.

    *object_hook* sees every JSON object of a 2xx answer as it is decoded (see
    :func:`json.loads`); a caller that drops parts it does not need there never holds them all.
    Without one, the answer is decoded by orjson, faster, and every integer is read exact
    however long (see :func:`loads`), but in the answers of job routes (``jobs/...``), whose
    every number Airbyte types a 64-bit integer or a double.

    A 2xx body that is not JSON raises :class:`ResponseValidationError` with
    ``malformed=True``: a proxy or a broken connection mangled it, and the server may have acted.
    The error says where the body stops being JSON, and holds no part of it (a token
    endpoint's cut-off answer is a token's first half).
    """
    status, raw = response.status, response.body
    if 200 <= status < 300:
        if not raw or raw.isspace():
            return None
        try:
            if object_hook is None:
                return loads(raw, exact=not route.startswith(_JOB_ROUTES))
            return json.loads(raw, object_hook=object_hook)
        except ValueError as e:
            where = e.pos if isinstance(e, json.JSONDecodeError) else None
        # Raised out here, so not even as the context: the decoder's error keeps the whole
        # body (JSONDecodeError.doc).
        at = f" (from character {where} of {len(raw)})" if where is not None else ""
        raise ResponseValidationError(
            f"the server answered {status} with a body that is not JSON{at}",
            route=route,
            malformed=True,
        )
    try:
        body: Any = json.loads(raw) if raw.strip() else None
    except ValueError:
        body = raw.decode("utf-8", "replace")
    hide = [*secrets()] if secrets is not None else []
    hide += _secrets_of(sent)
    hide = [value for value in hide if len(value) >= SHORTEST_QUOTED]
    error = error_for(status, body, route=route, headers=response.headers, hide=hide)
    error._waited = response.waited
    raise error


def _secrets_of(sent: bytes | None) -> list[str]:
    """The secret values of a request's JSON body."""
    if not sent:
        return []
    try:
        body = loads(sent)
    except ValueError:
        return []
    return sorted(secret_values(body))


#: The answers of these routes are not looked into for integers orjson misreads: they are
#: jobs, whose numbers are all 64-bit, and which a batch's polls read by the thousand (the
#: look costs an eighth of orjson's time on a listing, two fifths with stack traces).
_JOB_ROUTES = "jobs"
#: Each digit as "0": a run of _LONG_NUMBER in a body so translated may be an integer orjson
#: reads as a float.
_DIGITS = bytes.maketrans(b"0123456789", b"0" * 10)
_LONG_NUMBER = b"0" * 19


def loads(raw: bytes, *, exact: bool = True) -> Any:
    """
    The JSON document *raw*, decoded by orjson, which reads an integer outside
    [-2**63, 2**64) as a float (``18446744073709551623`` as ``1.8446744073709552e+19``); where
    *raw* holds a run of 19 digits or more, which such an integer takes, decoded again by the
    standard library, which reads every integer exact: a connector's configuration passes
    through untouched, as Airbyte's Jackson keeps it. Not looked for when *exact* is False.
    Raises :class:`ValueError` for what is not JSON (to orjson).
    """
    data = orjson.loads(raw)
    if exact and _LONG_NUMBER in raw.translate(_DIGITS):
        return json.loads(raw)
    return data
