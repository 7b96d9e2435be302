"""
What is retried, how long to wait, and how much retrying a client may do. Pure: no I/O.

The policy in one screen:

- A failure the server never saw (:class:`~airbyte_async.errors.ConnectError`, or a 429 that
  refused the request) is retried for every operation.
- A failure the server may have acted on (timeout, lost connection, 500/502/503/504, a 2xx body
  that is not JSON) is retried only for operations declared idempotent. Triggering a sync is not;
  :mod:`airbyte_async._reconcile` handles it instead.
- Every other answer (400, 401, 403, 404, 409, 422, 423, ...) is final.
- The wait is capped exponential backoff with full jitter, unless the server sent
  ``Retry-After`` (seconds or an HTTP date), which is honoured up to a cap.
- A client-wide :class:`RetryBudget` stops an outage from turning into a retry storm: each retry
  spends a token, each success refills a fraction of one.
"""

from __future__ import annotations

import random

import attrs

from .errors import (
    AirbyteError,
    RateLimitError,
    ResponseValidationError,
    ServerError,
    TransportError,
)

__all__ = ["RetryBudget", "RetryPolicy", "is_retryable", "never_reached_server"]

_RETRYABLE_5XX = frozenset({500, 502, 503, 504})


def never_reached_server(exc: BaseException) -> bool:
    """True when *exc* proves the server did not act on the request."""
    if isinstance(exc, TransportError):
        return not exc.maybe_processed
    return isinstance(exc, RateLimitError)


def is_retryable(exc: BaseException, *, idempotent: bool) -> bool:
    """Whether the policy allows another attempt after *exc*."""
    if never_reached_server(exc):
        return True
    if not idempotent:
        return False
    if isinstance(exc, TransportError):
        return True
    if isinstance(exc, ServerError):
        return exc.status in _RETRYABLE_5XX
    return isinstance(exc, ResponseValidationError) and exc.malformed


def _positive(name: str) -> attrs._ValidatorType[float]:
    def check(_: object, __: attrs.Attribute[float], value: float) -> None:
        if not value > 0:
            raise ValueError(f"{name} must be greater than 0, got {value!r}")

    return check


@attrs.frozen
class RetryPolicy:
    """
    How one call is retried.

    *attempts* counts the first try; *total_timeout* bounds a call with all its retries (seconds).
    Backoff before retry *n* (1-based) is uniform in
    ``[0, min(max_wait, initial_wait * 2**(n-1))]``; a ``Retry-After`` answer waits what it asks,
    up to *max_retry_after*.
    """

    attempts: int = attrs.field(default=5)
    total_timeout: float = attrs.field(default=120.0, validator=_positive("total_timeout"))
    initial_wait: float = attrs.field(default=0.25, validator=_positive("initial_wait"))
    max_wait: float = attrs.field(default=10.0, validator=_positive("max_wait"))
    max_retry_after: float = attrs.field(default=60.0, validator=_positive("max_retry_after"))

    @attempts.validator
    def _check_attempts(self, _: attrs.Attribute[int], value: int) -> None:
        if value < 1:
            raise ValueError(f"attempts must be at least 1, got {value!r}")

    def backoff(self, retry_number: int, exc: AirbyteError, rng: random.Random) -> float:
        """Seconds to wait before retry number *retry_number* (1-based) after *exc*."""
        if isinstance(exc, RateLimitError) and (asked := exc.retry_after) is not None:
            return min(asked, self.max_retry_after)
        ceiling = min(self.max_wait, self.initial_wait * 2 ** (retry_number - 1))
        return rng.uniform(0.0, ceiling)


@attrs.define
class RetryBudget:
    """
    Tokens a client may spend on retries, shared by all its calls.

    Starts full at *capacity*; a retry takes one token and is refused when none is left; each
    successful call gives back *refill* of a token.
    """

    capacity: float = 50.0
    refill: float = 0.2
    tokens: float = attrs.field(init=False)

    def __attrs_post_init__(self) -> None:
        if self.capacity < 1 or self.refill < 0:
            raise ValueError("a retry budget needs capacity >= 1 and refill >= 0")
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
