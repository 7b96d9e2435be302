"""
Every exception airbyte-async raises on purpose, in one tree.

::

    AirbyteError                      catch-all for this package
    ├── InvalidArgumentError          our input is wrong; no request sent (also a ValueError)
    │   └── SpecError                 a pipeline file that cannot be applied; .problems .origin
    │       └── StalePlanError        a saved plan whose objects changed on the server since
    ├── ClientStateError              the client used outside its life: not open, closed,
    │                                 or in another event loop (also a RuntimeError)
    ├── UnsupportedOperationError     the API or server in use lacks the operation
    ├── LookupFailedError             a find-by-name found nothing, or too much (a LookupError)
    │   ├── NoMatchError
    │   └── AmbiguousMatchError
    ├── TransportError                no complete HTTP response arrived
    │   ├── ConnectError              never reached the server: always safe to retry
    │   ├── RequestTimeoutError       may have been processed: retry idempotent calls only
    │   └── ConnectionLostError       reset or closed after sending: may have been processed
    ├── APIError                      non-2xx answer; .status .message .error_id .body .route
    │   ├── BadRequestError           400
    │   │   └── UnprocessableEntityError   422: the body did not fit the server's schema
    │   ├── AuthenticationError       401 (after any token refresh), or a rejected token request
    │   ├── PermissionDeniedError     403
    │   ├── NotFoundError             404, 410; the public API's 400 resource-not-found; an
    │   │                             unknown job's 500 (Config API), 403 (public)
    │   ├── ConflictError             409, 423; a 500 "Can only sync an active connection"
    │   │   └── SyncAlreadyRunningError   409 "A sync is already running for: <id>"; a trigger
    │   │                                 that met a job it did not start (.job)
    │   ├── RateLimitError            429; .retry_after in seconds when the server sent one
    │   └── ServerError               5xx
    └── ResponseValidationError       a 2xx body that does not fit the model, or is not JSON

A failed *job* is not an exception: it is a :class:`~airbyte_async.models.Job` whose status
says so. :class:`RequestTimeoutError` deliberately does not derive from the built-in
:class:`TimeoutError`, so ``except TimeoutError`` around :func:`anyio.fail_after` only ever sees
the caller's own deadline.
"""

from __future__ import annotations

import email.utils
import math
import time
from collections.abc import Iterable, Mapping
from datetime import UTC
from typing import TYPE_CHECKING, Any

from ._error_base import (
    AirbyteError,
    InvalidArgumentError,
    LookupFailedError,
    NoMatchError,
    UnsupportedOperationError,
)
from ._error_bodies import (
    is_resource_not_found,
    is_try_again_later,
    known_server_failure,
    message_of,
    problem_field,
    running_match,
)
from ._secrets import SECRET_MASK as _MASK

if TYPE_CHECKING:
    # Only for type checkers: the models import this module.
    from .models import Job

__all__ = [
    "AirbyteError",
    "InvalidArgumentError",
    "SpecError",
    "StalePlanError",
    "ClientStateError",
    "UnsupportedOperationError",
    "LookupFailedError",
    "NoMatchError",
    "AmbiguousMatchError",
    "TransportError",
    "ConnectError",
    "RequestTimeoutError",
    "ConnectionLostError",
    "APIError",
    "BadRequestError",
    "UnprocessableEntityError",
    "AuthenticationError",
    "PermissionDeniedError",
    "NotFoundError",
    "ConflictError",
    "SyncAlreadyRunningError",
    "RateLimitError",
    "ServerError",
    "ResponseValidationError",
    "error_for",
    "parse_retry_after",
]


class SpecError(InvalidArgumentError):
    """
    A pipeline file that cannot be applied: invalid, or naming what the server does not have
    (a definition, a stream), or whose source cannot be discovered.

    *problems* lists each one as ``"key.path: what is wrong"``; *origin* names the file.
    """

    def __init__(self, problems: Iterable[str], *, origin: str = "") -> None:
        self.problems = tuple(problems)
        self.origin = origin
        prefix = f"{origin}: " if origin else ""
        super().__init__("\n".join(prefix + p for p in self.problems))


class StalePlanError(SpecError):
    """
    A saved plan refused before any write: an object it read has changed on the server since
    it was made, or a value it takes from the environment is not the one it was made with.
    *problems* names each one; plan again.
    """


class ClientStateError(AirbyteError, RuntimeError):
    """
    The client was used outside its life: before ``async with`` opened it, after it closed,
    entered twice, or from another event loop than the one it opened in. Nothing was sent.
    """


class AmbiguousMatchError(LookupFailedError):
    """More than one thing matched the name looked up, and none exactly."""


class TransportError(AirbyteError):
    """
    No complete HTTP response arrived.

    *maybe_processed* tells whether the server may have acted on the request: it is false only
    when the request provably never reached it.
    """

    maybe_processed: bool = True

    def __init__(self, message: str, *, route: str = "") -> None:
        super().__init__(f"{message} ({route})" if route else message)
        self.route = route


class ConnectError(TransportError):
    """The connection could not be made: the request never reached the server."""

    maybe_processed = False


class RequestTimeoutError(TransportError):
    """The request timed out: the server may or may not have processed it."""


class ConnectionLostError(TransportError):
    """The connection broke after the request was sent: the server may have processed it."""


class APIError(AirbyteError):
    """
    The server answered with a non-2xx status.

    Carries *status*, the server's *message* (0.x and 2.x bodies and RFC 9457 problems alike),
    *error_id* (2.x), the decoded *body* and the *route* called. The body is kept for inspection
    but never shown in ``str()``.
    """

    def __init__(
        self,
        status: int,
        message: str,
        *,
        route: str = "",
        error_id: str | None = None,
        body: Any = None,
        headers: Mapping[str, str] | None = None,
    ) -> None:
        self.status = status
        self.message = message
        self.route = route
        self.error_id = error_id
        self.body = body
        self.headers: Mapping[str, str] = dict(headers or {})
        super().__init__(self._text())

    def _text(self) -> str:
        route, message = self.route, self.message
        text = f"{self.status} on {route}: {message}" if route else f"{self.status}: {message}"
        return text + (f" (error id {self.error_id})" if self.error_id else "")

    def _reword(self, message: str) -> None:
        """Say *message* in place of the server's (what it said says too little)."""
        self.message = message
        self.args = (self._text(),)

    def __reduce__(self) -> tuple[Any, ...]:
        # Exception pickles its args alone; ours are keyword-only.
        state: dict[str, Any] = {"headers": self.headers}
        if "job" in self.__dict__:
            state["job"] = self.__dict__["job"]
        return (
            _rebuild,
            (type(self), self.status, self.message, self.route, self.error_id, self.body),
            state,
        )

    @property
    def title(self) -> str | None:
        """An RFC 9457 problem's ``title`` (public API errors), else None."""
        return problem_field(self.body, "title")

    @property
    def detail(self) -> str | None:
        """An RFC 9457 problem's ``detail``, else None."""
        return problem_field(self.body, "detail")

    @property
    def retry_after(self) -> float | None:
        """
        Seconds the server asked the caller to wait (``Retry-After`` in seconds or as an HTTP
        date, measured against the answer's own ``Date``), else None. Sent with 429 and 503.
        """
        return parse_retry_after(self.headers)


def _rebuild(
    cls: type[APIError], status: int, message: str, route: str, error_id: str | None, body: Any
) -> APIError:
    return cls(status, message, route=route, error_id=error_id, body=body)


class BadRequestError(APIError):
    """400: the request was wrong; fix it before trying again."""


class UnprocessableEntityError(BadRequestError):
    """422: the body did not fit the server's schema (or a connector's specification)."""


class AuthenticationError(APIError):
    """401: the credentials were rejected (after up to two token refreshes, when tokens are in
    use)."""


class PermissionDeniedError(APIError):
    """403: the credentials are valid but not allowed to do this."""


class NotFoundError(APIError):
    """404 or 410 (the public API: a 400 ``resource-not-found``): the id names nothing (or
    something deleted)."""


class ConflictError(APIError):
    """409 or 423: the request conflicts with the current state."""


class SyncAlreadyRunningError(ConflictError):
    """
    409 on a sync or reset trigger: a job is already running for *connection_id*.

    Also raised for a sync trigger that met a job it did not start, one not running yet
    (pending, queued): Airbyte answers such a trigger with that job (before head, a 200 once
    it runs), or, on head, fails it after a minute (a 500, or the public API's 409
    ``state-conflict`` "Could not fulfill request"); the public API's trigger raises it sooner,
    once a look shows that job while the trigger is still unanswered. *job* is that job when
    known (its *status* then is the answer's or the look's; one that ended within head's
    minute is named too), else None.
    """

    #: The :class:`~airbyte_async.models.Job` the trigger met, as the answer or a look showed
    #: it; None when not known.
    job: Job | None = None

    @property
    def connection_id(self) -> str | None:
        """The connection named in the server's message, when it names one."""
        match = running_match(self.message, self.body)
        return match.group(1) if match else None


class RateLimitError(APIError):
    """
    429: too many requests; *retry_after* is the wait the server asked for, in seconds.

    A 429 refused the request before the server acted on it (Airbyte Cloud's load shedding
    sends one with no ``Retry-After``, API-FACTS 7), so a call that raises it did nothing.
    Raised by a call once its retries end, it says so, and how many requests were refused
    over how long: *attempts* and *seconds* (None on an error no call's retries ended).
    """

    attempts: int | None = None
    seconds: float | None = None
    _stopped: str = ""

    def refused(self, attempts: int, seconds: float, stopped: str) -> None:
        """Record that *attempts* requests of one call were refused over *seconds*, and why no
        more went (*stopped*: ``"all 5 attempts made"``)."""
        self.attempts, self.seconds, self._stopped = attempts, seconds, stopped
        self.args = (self._text(),)

    def _text(self) -> str:
        text = super()._text()
        if self.attempts is None or self.seconds is None:
            return text
        times = "once" if self.attempts == 1 else f"{self.attempts} times"
        return (
            f"{text} (refused {times} in {self.seconds:.1f} s, so nothing was done; "
            f"the call gave up: {self._stopped})"
        )

    def __reduce__(self) -> tuple[Any, ...]:
        rebuild, args, state = super().__reduce__()
        return rebuild, args, {**state, "refusals": (self.attempts, self.seconds, self._stopped)}

    def __setstate__(self, state: dict[str, Any] | None) -> None:
        state = dict(state or {})
        refusals = state.pop("refusals", (None, None, ""))
        self.__dict__.update(state)
        if refusals[0] is not None:
            self.refused(*refusals)


class ServerError(APIError):
    """5xx: the server failed."""


class ResponseValidationError(AirbyteError):
    """A 2xx answer whose body does not fit the expected model, or is not JSON at all."""

    def __init__(self, message: str, *, route: str = "", malformed: bool = False) -> None:
        super().__init__(f"{message} ({route})" if route else message)
        self.route = route
        #: True when the body was not JSON at all (a proxy page, a truncated answer): the
        #: server may have acted, as after a lost connection.
        self.malformed = malformed


_BY_STATUS: dict[int, type[APIError]] = {
    400: BadRequestError,
    401: AuthenticationError,
    403: PermissionDeniedError,
    404: NotFoundError,
    409: ConflictError,
    410: NotFoundError,
    422: UnprocessableEntityError,
    423: ConflictError,
    429: RateLimitError,
}


def error_for(
    status: int,
    body: Any,
    *,
    route: str = "",
    headers: Mapping[str, str] | None = None,
    hide: Iterable[str] = (),
) -> APIError:
    """
    Map a non-2xx answer to its exception, without raising it.

    *body* is the decoded JSON, or the text when it was not JSON. A 409 whose message (or
    problem ``data.message``) says "A sync is already running", or "Timed out waiting for a
    sync job to be created" (head's sync that met a job not running yet, should its text come
    through), or that is the public API's ``try-again-later`` problem, becomes
    :class:`SyncAlreadyRunningError` (a ``state-conflict`` says only "Could not fulfill
    request": a plain :class:`ConflictError`, which the trigger looks into); the public API's
    ``resource-not-found`` problem, a 400 on Airbyte, a :class:`NotFoundError`; a 5xx a
    :class:`ServerError`, unless its message names a cause that lasts (0.x servers: an unknown
    job id is a :class:`NotFoundError`, a sync of an inactive connection a
    :class:`ConflictError`, as the public API answers them); statuses without a class of their
    own a plain :class:`APIError`. Each of *hide* (the caller's own secrets) that the server
    echoes in its message is masked there. Pure: no I/O.
    """
    message, error_id = message_of(body, status)
    for secret in hide:
        if secret and secret in message:
            message = message.replace(secret, _MASK)
    cls: type[APIError]
    if status == 409 and (running_match(message, body) or is_try_again_later(body)):
        cls = SyncAlreadyRunningError
    elif status == 400 and is_resource_not_found(body):
        cls = NotFoundError
    elif status >= 500:
        known = known_server_failure(message)
        cls = NotFoundError if known == "not_found" else ConflictError if known else ServerError
    else:
        cls = _BY_STATUS.get(status, APIError)
    return cls(status, message, route=route, error_id=error_id, body=body, headers=headers)


def _header(headers: Mapping[str, str], name: str) -> str | None:
    value = headers.get(name)
    if value is None:
        value = next((v for k, v in headers.items() if k.lower() == name.lower()), None)
    return value


def _http_date(value: str) -> float | None:
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    if when is None:
        return None
    return (when if when.tzinfo is not None else when.replace(tzinfo=UTC)).timestamp()


def parse_retry_after(headers: Mapping[str, str], *, now: float | None = None) -> float | None:
    """
    Seconds asked for by a ``Retry-After`` header (delta seconds or HTTP date), else None.

    An HTTP date is measured against *now*, else the answer's own ``Date`` header, else the
    local clock: a server's two dates agree even when its clock and ours do not. Negative
    waits become 0; values that are not finite numbers or dates are ignored.
    """
    value = _header(headers, "Retry-After")
    if value is None:
        return None
    value = value.strip()
    try:
        seconds = float(value)
    except ValueError:
        pass
    else:
        return max(0.0, seconds) if math.isfinite(seconds) else None
    when = _http_date(value)
    if when is None:
        return None
    if now is None:
        sent = _header(headers, "Date")
        now = (_http_date(sent) if sent is not None else None) or time.time()
    return max(0.0, when - now)
