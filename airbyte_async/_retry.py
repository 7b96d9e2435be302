"""
What is retried, how long to wait, how much retrying a client may do, and the one loop that
applies it.

The policy in one screen:

- A failure the server never saw (:class:`~airbyte_async.errors.ConnectError`, or a 429 that
  refused the request) is retried for every operation but a cancel (below).
- A failure the server may have acted on (timeout, lost connection, 500/502/503/504 and
  Cloudflare's 520 to 524, a 2xx body that is not JSON), and a 408 or 425 (the server, or a
  proxy, gave up on the request early), is retried only for operations declared idempotent.
  Triggering a sync is not; :mod:`airbyte_async.resources._reconcile` handles it instead.
- A cancel is never retried within its call, not even after a failure the server never saw:
  Airbyte stops the connection's current job whatever id is sent (API-FACTS 6.3b), and after
  a backoff that may be a newer job. :func:`resent_after_read` sends it again only after a
  read shows its job still running, up to :attr:`RetryPolicy.attempts` tries.
- Every other answer (400, 401, 403, 404, 409, 422, 423, 501, ...) is final.
- So is a connection that failed in a way waiting does not mend, before the server ever
  answered the client (``_lasting``: a certificate not trusted, a name DNS says has no
  address, TLS at an http:// URL's port or plain HTTP at an https:// one): a wrong address
  or a missing CA, told at once. Once the server has answered, the same failure may be a
  deployment under way (an ingress serving its default certificate while a secret is
  replaced, a Service re-created), and is retried as any connection that failed.
- A failure to get an access token means the call itself never left. The token request is
  retried like a read, except that a 500 from it is final until these credentials have minted
  a token (Airbyte answers wrong credentials with 400, 401 or 500; see
  :class:`~airbyte_async._auth.ClientCredentials`).
- The wait is capped exponential backoff with full jitter, unless the server sent
  ``Retry-After`` (seconds or an HTTP date), which is honoured up to a cap.
- Each attempt of a call that runs a connector (a check, a discovery: within
  :func:`running_a_connector`), its retries too, is given the client's ``connector_timeout``
  rather than its ``timeout``.
- A call stops retrying after :attr:`RetryPolicy.attempts` attempts, and before a wait that
  would end past :attr:`RetryPolicy.total_timeout`.
- A client-wide :class:`RetryBudget` stops an outage from turning into a retry storm: each retry
  spends a token, each success refills a fraction of one.
- Past one call, reads that wait for jobs (a job's :meth:`~airbyte_async.resources.jobs.Jobs.wait`,
  the orchestrator's polls) wait out an :class:`Outage`: the jobs run on while the server's API
  is away, so failures that may pass are tried again for up to ten minutes. Once a read has
  failed, the next ones make one attempt each (:meth:`Outage.attempt`): the outage's pauses
  are their retries, and the budget is left to the client's other calls.

:func:`decide` (pure) is the only place that counts attempts, watches the deadline and spends
the budget; :func:`retry_call` is the only loop that follows it. A first attempt never enters
either: the caller makes it, and hands over only once it failed in a way :func:`is_retryable`
allows. Waits are skipped in stamina's testing mode (``stamina.set_testing``), so a test suite
that switches it on for its own code runs this client's retries without waiting too.
"""

from __future__ import annotations

import contextlib
import logging
import math
import random
import time
from collections.abc import Awaitable, Callable, Iterator, Mapping
from contextvars import ContextVar
from typing import Self, TypeVar

import anyio
import attrs
import stamina

from .errors import (
    AirbyteError,
    APIError,
    InvalidArgumentError,
    RateLimitError,
    ResponseValidationError,
    ServerError,
    TransportError,
)

__all__ = [
    "MAX_RETRY_AFTER",
    "RESEND_TRIES",
    "WARN_EVERY",
    "TOKEN_ROUTE",
    "Decision",
    "Outage",
    "OutageLog",
    "RefusalLog",
    "RetryBudget",
    "RetryPolicy",
    "about",
    "decide",
    "is_ambiguous",
    "is_retryable",
    "never_reached_server",
    "one_attempt",
    "retry_call",
    "round_pause",
    "running_a_connector",
    "runs_a_connector",
    "resent_after_read",
    "waiting_out",
]

log = logging.getLogger("airbyte_async.http")

T = TypeVar("T")

#: The route that errors from fetching an access token carry.
TOKEN_ROUTE = "applications/token"

#: Cloudflare's answers when the origin behind it failed: an empty or unreadable answer (520),
#: a refused connection (521), one that timed out (522), an origin unreachable (523), and no
#: answer within 100 s of a request passed on (524). Its 525 and 526 (the origin's TLS) last.
_EDGE_5XX = frozenset({520, 521, 522, 523, 524})
_RETRYABLE_5XX = frozenset({500, 502, 503, 504}) | _EDGE_5XX
_RETRYABLE_TOKEN_5XX = frozenset({502, 503, 504}) | _EDGE_5XX
#: Request Timeout and Too Early: the request was given up on before it was handled.
_RETRYABLE_4XX = frozenset({408, 425})


def _from_token_request(exc: BaseException) -> bool:
    return getattr(exc, "route", None) == TOKEN_ROUTE


def never_reached_server(exc: BaseException) -> bool:
    """
    True when *exc* proves the server did not act on the request: the connection was never
    made, a 429 refused it, or it never left because no access token could be had.
    """
    if _from_token_request(exc):
        return True
    if isinstance(exc, TransportError):
        return not exc.maybe_processed
    return isinstance(exc, RateLimitError)


def is_ambiguous(exc: BaseException) -> bool:
    """True when *exc* leaves open whether the server acted on the request."""
    if never_reached_server(exc):
        return False
    if isinstance(exc, TransportError):
        return exc.maybe_processed
    if isinstance(exc, ServerError):
        return True
    return isinstance(exc, ResponseValidationError) and exc.malformed


def _may_pass(exc: BaseException, statuses: frozenset[int]) -> bool:
    """True for failures that say nothing about the request itself and may pass."""
    if isinstance(exc, TransportError | RateLimitError):
        return True
    if isinstance(exc, ServerError):
        return exc.status in statuses
    if isinstance(exc, APIError):
        return exc.status in _RETRYABLE_4XX
    return isinstance(exc, ResponseValidationError) and exc.malformed


def is_retryable(exc: BaseException, *, idempotent: bool) -> bool:
    """Whether the policy allows another attempt of an operation after *exc*."""
    if getattr(exc, "_lasting", False):
        return False
    if _from_token_request(exc):
        return getattr(exc, "_server_fault", False) or _may_pass(exc, _RETRYABLE_TOKEN_5XX)
    if never_reached_server(exc):
        return True
    return idempotent and _may_pass(exc, _RETRYABLE_5XX)


def _positive(_: object, attribute: attrs.Attribute[float], value: float) -> None:
    if not value > 0:
        raise InvalidArgumentError(f"{attribute.name} must be greater than 0, got {value!r}")


def _at_least_one(_: object, attribute: attrs.Attribute[int], value: int) -> None:
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise InvalidArgumentError(f"{attribute.name} must be an int of at least 1, got {value!r}")


#: The longest ``Retry-After`` obeyed by default (a server asking for more is waited for that
#: long at most).
MAX_RETRY_AFTER = 60.0


def round_pause(round_: int, last: AirbyteError | None = None) -> float:
    """
    Seconds to wait before round *round_* (1-based) of an operation that is not retried as a
    call is (a trigger settled by looking for its job, a cancel read back before it goes
    again): half a second, doubling up to eight, jittered; long enough for a restart to pass,
    and at least what the last answer (*last*: a 429, a 503) asked with ``Retry-After``.
    """
    if bool(stamina.is_testing()):
        return 0.0
    pause: float = min(8.0, 0.5 * 2 ** (round_ - 1)) * random.uniform(0.5, 1.0)
    asked = last.retry_after if isinstance(last, APIError) else None
    return pause if asked is None else max(pause, min(asked, MAX_RETRY_AFTER))


@attrs.frozen
class RetryPolicy:
    """
    How one call is retried.

    *attempts* counts the first try (a cancel refused before Airbyte acted is tried as often,
    each try after a read: see :func:`resent_after_read`); *total_timeout* bounds a call's
    retries and waits (seconds from the start of the call): no retry starts that could not
    begin before it, and a retried request's own timeout is cut to what is left. The first
    attempt has the client's whole ``timeout``, which may be longer (a large schema's
    discovery). Backoff before retry *n* (1-based) is uniform in
    ``[0, min(max_wait, initial_wait * 2**(n-1))]`` (full jitter); an answer with
    ``Retry-After`` waits what it asks, up to *max_retry_after*. Raises
    :class:`~airbyte_async.errors.InvalidArgumentError` for a value out of range.
    """

    attempts: int = attrs.field(default=5, validator=_at_least_one)
    total_timeout: float = attrs.field(default=120.0, validator=_positive)
    initial_wait: float = attrs.field(default=0.25, validator=_positive)
    max_wait: float = attrs.field(default=10.0, validator=_positive)
    max_retry_after: float = attrs.field(default=MAX_RETRY_AFTER, validator=_positive)

    def backoff(self, retry_number: int, exc: BaseException, rng: random.Random) -> float:
        """Seconds to wait before retry number *retry_number* (1-based) after *exc*."""
        if isinstance(exc, APIError) and (asked := exc.retry_after) is not None:
            return min(asked, self.max_retry_after)
        ceiling = min(self.max_wait, self.initial_wait * 2.0 ** min(retry_number - 1, 60))
        return rng.uniform(0.0, ceiling)


@attrs.define
class RetryBudget:
    """
    Tokens a client may spend on retries, shared by all its calls.

    Starts full at *capacity*; a retry takes one token and is refused when none is left; each
    successful call gives back *refill* of a token. With the defaults, a client that has spent
    its budget retries at most one call in five once the server answers again, and an outage
    costs at most *capacity* extra requests however many calls are waiting. Raises
    :class:`~airbyte_async.errors.InvalidArgumentError` for a value out of range.
    """

    capacity: float = 50.0
    refill: float = 0.2
    tokens: float = attrs.field(init=False)

    def __attrs_post_init__(self) -> None:
        if not self.capacity >= 1:
            raise InvalidArgumentError(f"capacity must be at least 1, got {self.capacity!r}")
        if not 0 <= self.refill <= self.capacity:
            raise InvalidArgumentError(
                f"refill must be between 0 and capacity, got {self.refill!r}"
            )
        self.tokens = self.capacity

    def try_spend(self) -> bool:
        """Take a token for one retry; False when the budget is exhausted."""
        if self.tokens < 1:
            return False
        self.tokens -= 1
        return True

    def on_success(self) -> None:
        """Give back part of a token after a successful call."""
        if self.tokens < self.capacity:
            self.tokens = min(self.capacity, self.tokens + self.refill)


#: Seconds a wait for jobs outlasts reads failing in a row on errors that may pass.
MAX_OUTAGE = 600.0
#: The longest pause between such reads by default: a server back from a restart is seen within
#: ten seconds, and one request every ten seconds for each job waited on costs a server that is
#: away nothing.
_OUTAGE_MAX_PAUSE = 10.0


#: True inside :meth:`Outage.attempt` while its outage is on.
_WAITING_OUT: ContextVar[bool] = ContextVar("airbyte_async_waiting_out", default=False)


def waiting_out() -> bool:
    """True for a call made by a read that waits out an outage already on (see
    :meth:`Outage.attempt`), or within :func:`one_attempt`: it makes one attempt, and spends
    nothing of the retry budget."""
    return _WAITING_OUT.get()


@contextlib.contextmanager
def one_attempt() -> Iterator[None]:
    """
    The calls made in this block (and in the tasks it starts) make one attempt each: their
    caller sends them again itself, when and if it should (a cancel goes again only after a
    read shows its job still running: a cancel stops whatever job the connection runs by then,
    API-FACTS 6.3b; see :func:`resent_after_read`, and a give-up's cleanup).
    """
    token = _WAITING_OUT.set(True)
    try:
        yield
    finally:
        _WAITING_OUT.reset(token)


#: True while a call that runs a connector is made (see :func:`running_a_connector`).
_RUNS_A_CONNECTOR: ContextVar[bool] = ContextVar("airbyte_async_runs_a_connector", default=False)


@contextlib.contextmanager
def running_a_connector() -> Iterator[None]:
    """
    Within it, the calls made run a connector (a check, a discovery): Airbyte answers them
    once the connector's pod has run, which takes minutes for a large database or an image
    not pulled yet, so each of their attempts has the client's ``connector_timeout``.
    """
    token = _RUNS_A_CONNECTOR.set(True)
    try:
        yield
    finally:
        _RUNS_A_CONNECTOR.reset(token)


def runs_a_connector() -> bool:
    """Whether the call being made runs a connector (see :func:`running_a_connector`)."""
    return _RUNS_A_CONNECTOR.get()


#: Tries of an operation sent by :func:`resent_after_read` unless told: as many as a call's
#: by default (:attr:`RetryPolicy.attempts`, 5).
RESEND_TRIES = RetryPolicy().attempts


async def resent_after_read(
    send: Callable[[], Awaitable[T]],
    read: Callable[[], Awaitable[T]],
    ended: Callable[[T], bool],
    *,
    tries: int = RESEND_TRIES,
) -> T:
    """
    The answer of *send* (a cancel), made one attempt at a time: one refused before the server
    acted (:func:`never_reached_server`: a 429, a connection never made) is sent again after a
    pause (:func:`round_pause`, at least what a ``Retry-After`` asks) and a *read* that shows it
    still needed; what the read shows *ended* is returned instead, nothing sent. After *tries*
    tries (the client's :attr:`RetryPolicy.attempts`; one: never sent again), or another
    failure, the last failure is raised (a 429 saying how many were refused). Within
    :func:`one_attempt` (a give-up's cleanup, which reads its jobs in rounds of its own) *send*
    is tried once, its failure raised to the caller. Raises
    :class:`~airbyte_async.errors.InvalidArgumentError` when *tries* is less than one.
    """
    if tries < 1:
        raise InvalidArgumentError(f"tries must be at least 1, got {tries!r}")
    if waiting_out():
        return await send()
    began, refused = time.monotonic(), 0
    for made in range(1, tries + 1):
        try:
            with one_attempt():
                return await send()
        except AirbyteError as e:
            refused += isinstance(e, RateLimitError)
            if not never_reached_server(e) or made == tries:
                if isinstance(e, RateLimitError):
                    stopped = (
                        f"all {tries} tries made, sent again only after reads"
                        if tries > 1
                        else "its one try made"
                    )
                    e.refused(refused, time.monotonic() - began, stopped)
                raise
            await anyio.sleep(round_pause(made, e))
        now = await read()
        if ended(now):
            return now
    raise AssertionError("unreachable")


def about(connection_id: str | None, job_id: int | None = None) -> dict[str, object]:
    """
    The ``extra=`` of a log record about one connection's sync (and its job, when known): the
    record gets ``connection_id`` and ``job_id`` attributes (None when not known), for a
    handler, a filter or a JSON formatter to select by.
    """
    return {"connection_id": connection_id, "job_id": job_id}


#: Seconds between two warnings of an outage that goes on.
WARN_EVERY = 60.0


@attrs.define
class OutageLog:
    """
    The warnings of tries that fail through an outage and are tried again, for one loop or
    for several that read alike (every :meth:`~airbyte_async.resources.jobs.Jobs.wait` of a
    client): the first failure is warned of at once, naming its error; later ones at most once
    every *every* seconds, saying how many failed since the last warning; and the first try
    that works again says so (a warning too, so that a log kept to warnings shows the outage's
    end as well as its start), with how many failed and for how long. *what* names the tries
    (``"polling jobs"``), *nouns* one of them and several (``("poll", "polls")``). A failure
    of a try that began before the try that ended the outage began belongs to that outage, and
    is not told.

    The loops whose tries fail are counted (:meth:`joined`, :meth:`left`): when the last one
    stops while failing (cancelled, or given up), no try is left to see the outage end, and it
    is closed with a line at INFO, so that the next outage is warned of at its start.
    """

    what: str
    nouns: tuple[str, str]
    every: float = WARN_EVERY
    #: Where it is told: the logger of the concern whose tries fail (``airbyte_async.jobs``).
    logger: logging.Logger = attrs.field(default=log, kw_only=True, eq=False, repr=False)
    failures: int = attrs.field(init=False, default=0)
    _since: float = attrs.field(init=False, default=0.0)
    _warned_at: float = attrs.field(init=False, default=-math.inf)
    _unwarned: int = attrs.field(init=False, default=0)
    _ended_by: float = attrs.field(init=False, default=-math.inf)
    _failing: int = attrs.field(init=False, default=0)

    def failed(self, began: float, error: AirbyteError, *, about: str = "") -> None:
        """Tell of a try that began at monotonic *began* and failed with *error*; *about*
        names what it read, when the tries differ (``"job 12"``)."""
        if began < self._ended_by:
            return
        self.failures += 1
        self._unwarned += 1
        where = f" ({about})" if about else ""
        if self.failures == 1:
            self._since = began
            self.logger.warning("%s failed%s, trying again: %s", self.what, where, error)
        elif began - self._warned_at >= self.every:
            self.logger.warning(
                "%s still fails: %d %s failed since the last warning, %d in all for %.1f s; "
                "the last%s: %s",
                self.what,
                self._unwarned,
                self._plural(self._unwarned),
                self.failures,
                time.monotonic() - self._since,
                where,
                error,
            )
        else:
            return
        self._warned_at, self._unwarned = began, 0

    def worked(self, began: float) -> None:
        """A try that began at monotonic *began* worked: the outage, if any, is over."""
        if not self.failures or began < self._since:
            return
        self.logger.warning(
            "%s works again, after %d failed %s for %.1f s",
            self.what,
            self.failures,
            self._plural(self.failures),
            time.monotonic() - self._since,
        )
        self._reset()
        self._ended_by = began

    def joined(self) -> None:
        """A loop's tries began to fail: it counts among the failing until it :meth:`left`."""
        self._failing += 1

    def left(self) -> None:
        """
        A loop counted by :meth:`joined` stopped failing or stopped trying. When it was the
        last, an outage still on was not seen to end: it is closed, told at INFO.
        """
        self._failing -= 1
        if self._failing or not self.failures:
            return
        self.logger.info(
            "%s: the tries stopped before the outage was seen to end, after %d failed %s "
            "for %.1f s",
            self.what,
            self.failures,
            self._plural(self.failures),
            time.monotonic() - self._since,
        )
        self._reset()

    def _reset(self) -> None:
        self.failures, self._unwarned, self._warned_at = 0, 0, -math.inf

    def _plural(self, count: int) -> str:
        return self.nouns[count != 1]


@attrs.define
class RefusalLog:
    """
    The warnings of requests refused with a 429 that are sent again later, for all the loops
    of a client that send them (its sync triggers): the first refusal is warned of at once, in
    *first*; later ones at most once every *every* seconds, in *later*, with how many were
    refused since the last warning. A 429 refuses a request before the server acts (API-FACTS
    7), so a refusal changes nothing; unlike an outage's failures, refusals come and go with
    the answers that pass between them (a storm of 85 % 429s), so no end is told: the warnings
    stop when the refusals do. The messages take ``%(...)s`` fields: those :meth:`refused`
    is given, and *count* in *later*.
    """

    first: str
    later: str
    every: float = WARN_EVERY
    #: Where it is told (see :attr:`OutageLog.logger`).
    logger: logging.Logger = attrs.field(default=log, kw_only=True, eq=False, repr=False)
    refusals: int = attrs.field(init=False, default=0)
    _warned_at: float = attrs.field(init=False, default=-math.inf)
    _unwarned: int = attrs.field(init=False, default=0)

    def refused(self, *, extra: Mapping[str, object] | None = None, **fields: object) -> bool:
        """Count a refused request (or a call's refused attempts, as one), told with *fields*
        (and the record's *extra*, when warned of); True when this one was warned of."""
        self.refusals += 1
        self._unwarned += 1
        now = time.monotonic()
        if now - self._warned_at < self.every:
            return False
        message = self.first if self._warned_at == -math.inf else self.later
        self.logger.warning(message, {**fields, "count": self._unwarned}, extra=extra)
        self._warned_at, self._unwarned = now, 0
        return True


@attrs.define
class Outage:
    """
    Reads of jobs failing in a row while the server's API is away (a restart, an upgrade):
    how long they have failed, and how long to pause before the next one (half a second,
    doubling up to *max_pause* seconds, jittered down by at most a quarter). After a 429 the
    pause doubles up to *max_rate_limited_pause* (ten seconds by default) whatever
    *max_pause* (a server that is up asked for fewer requests; reads bounded by a deadline of
    their own, as a give-up's are by ``cancel_grace``, pause less, so that enough of them fit
    it); not after a 429 of the token request, which Airbyte never sends (the read itself was
    not sent, and paused longer it only sees the limit end later). After an answer with
    ``Retry-After`` the pause is at least what that asks, up to
    :data:`MAX_RETRY_AFTER`. :meth:`over` once they have failed for *limit* seconds from the
    start of the first failed read. With *warnings*, failures and the end of the row are told
    there (see :class:`OutageLog`); a loop that shares them reads within ``with outage:``, so
    that leaving it while failing (cancelled, or raising) is told as well.
    """

    limit: float = MAX_OUTAGE
    max_pause: float = _OUTAGE_MAX_PAUSE
    warnings: OutageLog | None = None
    max_rate_limited_pause: float = _OUTAGE_MAX_PAUSE
    failures: int = attrs.field(init=False, default=0)
    _since: float = attrs.field(init=False, default=0.0)
    _last: AirbyteError | None = attrs.field(init=False, default=None)
    _rng: random.Random = attrs.field(init=False, factory=random.Random)

    def failed(self, began: float, error: AirbyteError | None = None, *, about: str = "") -> None:
        """Count a read that began at monotonic *began* and failed (with *error*, if given,
        told to the warnings with *about*)."""
        self.failures += 1
        self._last = error
        if self.failures == 1:
            self._since = began
            if self.warnings is not None:
                self.warnings.joined()
        if self.warnings is not None and error is not None:
            self.warnings.failed(began, error, about=about)

    def ended(self, began: float) -> None:
        """A read begun at monotonic *began* succeeded: the outage, if any, is over."""
        if self.failures and self.warnings is not None:
            self.warnings.worked(began)
            self.warnings.left()
        self.failures = 0

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc_info: object) -> None:
        """The reads stop: a loop still failing leaves the warnings (:meth:`OutageLog.left`)."""
        if self.failures and self.warnings is not None:
            self.warnings.left()
        self.failures = 0

    @contextlib.contextmanager
    def attempt(self) -> Iterator[None]:
        """
        The block of one read. While the outage is on (the last read failed), the calls made
        in it (and in the tasks it starts) make one attempt each: the outage's pauses are their
        retries, and the client's retry budget is left to its other calls, which would lose
        their retries to reads failing for minutes. The first read of a row is retried within
        its calls as any call is, so a blip is cured there.
        """
        token = _WAITING_OUT.set(bool(self.failures))
        try:
            yield
        finally:
            _WAITING_OUT.reset(token)

    @property
    def lasted(self) -> float:
        """Seconds since the first failed read of the row began (0 when none failed)."""
        return time.monotonic() - self._since if self.failures else 0.0

    def over(self) -> bool:
        """True once the reads have failed for *limit* seconds."""
        return bool(self.failures) and self.lasted >= self.limit

    def pause(self) -> float:
        """The least pause before the next read: none when the last one succeeded."""
        if not self.failures:
            return 0.0
        last = self._last
        # A 429 of the token request is no answer of Airbyte's to the read, which was never
        # sent: its load shedding keys on the request's principal, which a token request has
        # not got (PublicApiLoadShedFilter); the read pauses as for a server that is away.
        limited = isinstance(last, RateLimitError) and not _from_token_request(last)
        cap = self.max_rate_limited_pause if limited else self.max_pause
        pause = min(cap, 0.5 * 2.0 ** min(self.failures - 1, 16)) * self._rng.uniform(0.75, 1.0)
        asked = last.retry_after if isinstance(last, APIError) else None
        return pause if asked is None else max(pause, min(asked, MAX_RETRY_AFTER))


@attrs.frozen
class Decision:
    """Whether to retry, after how many seconds, and why (for the log line)."""

    retry: bool
    wait: float
    reason: str


def _not_retryable(idempotent: bool) -> str:
    return f"not retryable for {'an idempotent' if idempotent else 'a non-idempotent'} call"


def log_first_refusal(what: str, exc: AirbyteError, *, idempotent: bool) -> None:
    """Log, as :func:`retry_call` does, that a call's first failure gets no retry."""
    log.debug("not retrying %s: %s; %s", what, _not_retryable(idempotent), exc)


def decide(
    exc: AirbyteError,
    *,
    idempotent: bool,
    retries_done: int,
    elapsed: float,
    policy: RetryPolicy,
    budget: RetryBudget,
    rng: random.Random,
) -> Decision:
    """
    Whether the call that just failed with *exc* gets another attempt.

    *retries_done* counts the retries already made and *elapsed* the seconds since the first
    attempt began. Checks, in order: the policy for *exc*, the attempts left, the deadline, and
    last the budget, which is spent only when the answer is yes, and not for a failure this
    call only waited for (another task's token request).
    """
    if not is_retryable(exc, idempotent=idempotent):
        return Decision(False, 0.0, _not_retryable(idempotent))
    if retries_done + 1 >= policy.attempts:
        made = f"all {policy.attempts} attempts" if policy.attempts > 1 else "its one attempt"
        return Decision(False, 0.0, f"{made} made")
    wait = policy.backoff(retries_done + 1, exc, rng)
    if elapsed + wait >= policy.total_timeout:
        return Decision(False, wait, f"waiting {wait:.2f} s would pass the total timeout")
    if not exc._borrowed and not budget.try_spend():
        return Decision(False, wait, "the client's retry budget is spent")
    why = "it never reached the server" if never_reached_server(exc) else "the call is idempotent"
    return Decision(True, wait, why)


async def retry_call(
    attempt: Callable[[float], Awaitable[T]],
    first: AirbyteError,
    *,
    what: str,
    idempotent: bool,
    started: float,
    policy: RetryPolicy,
    budget: RetryBudget,
    rng: random.Random,
) -> T:
    """
    Retry a call whose first attempt, begun at monotonic *started*, failed with *first*, for as
    long as :func:`decide` allows, and return what the first successful retry returns.

    *attempt* makes one more attempt, given the seconds left of *policy*'s total timeout. Each
    retry and each refusal is logged at DEBUG, naming *what* (``"POST jobs/get"``) and the
    reason. Raises the last failure when a retry is refused, marked (``_after_lost``) when an
    attempt before it lost its answer.
    """
    exc, retries, lost = first, 0, False
    while True:
        elapsed = time.monotonic() - started
        decision = decide(
            exc,
            idempotent=idempotent,
            retries_done=retries,
            elapsed=elapsed,
            policy=policy,
            budget=budget,
            rng=rng,
        )
        if not decision.retry:
            log.debug("not retrying %s: %s; %s", what, decision.reason, exc)
            if isinstance(exc, RateLimitError):
                exc.refused(retries + 1, time.monotonic() - started, decision.reason)
            raise exc
        retries += 1
        lost = lost or is_ambiguous(exc)
        log.debug(
            "retrying %s (retry %d) in %.2f s because %s: %s",
            what,
            retries,
            decision.wait,
            decision.reason,
            exc,
        )
        if not stamina.is_testing():
            await anyio.sleep(decision.wait)
        try:
            return await attempt(policy.total_timeout - (time.monotonic() - started))
        except AirbyteError as e:
            exc = e
            exc._after_lost = lost
