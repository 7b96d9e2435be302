"""
The root of the error tree, and the errors the models and the argument checks raise: defined
here, below :mod:`airbyte_async.models`, so that :mod:`airbyte_async.errors` may name the models
in its types without an import cycle. Their one public path is :mod:`airbyte_async.errors`,
which their ``__module__`` names (in tracebacks, reprs and pickles too).
"""

from __future__ import annotations

from collections.abc import Sequence

__all__ = [
    "AirbyteError",
    "InvalidArgumentError",
    "LookupFailedError",
    "NoMatchError",
    "UnsupportedOperationError",
]


class AirbyteError(Exception):
    """Base class of every error this package raises on purpose."""

    #: True on a copy raised in a task that waited for another task's request (a token
    #: refresh) and sent nothing itself: a retry after it costs the server no extra load.
    _borrowed: bool = False
    #: True on the error of a sync or reset trigger that may have started a job no look could
    #: find (its note says so): a sync may be running although the call failed.
    job_may_exist: bool = False
    #: True on a token request's 500 for credentials that have minted a token before: more
    #: likely the server's own failure than a refusal, so it is retried like a 502.
    _server_fault: bool = False
    #: Seconds from sending the request to its failure (0 when not known): set on a timeout,
    #: a lost connection and an answer. A proxy's 504 (502, 503, 524) or a TCP proxy's cut
    #: connection after a long wait is its read timeout expiring while the server still holds
    #: the request.
    _waited: float = 0.0
    #: True on a connection that failed in a way waiting does not mend, before the server
    #: ever answered this client: its certificate not trusted, its name unknown to DNS, TLS
    #: where the URL says http or plain HTTP where it says https. Never retried (see
    #: :mod:`airbyte_async._retry`).
    _lasting: bool = False
    #: True on the error of a retry made after an attempt whose answer was lost (see
    #: :func:`~airbyte_async._retry.is_ambiguous`): the server may have acted on that one.
    _after_lost: bool = False


class InvalidArgumentError(AirbyteError, ValueError):
    """An argument given to airbyte-async is wrong; no request was sent."""


class UnsupportedOperationError(AirbyteError):
    """
    The API this client speaks (the Config API or the public REST API) has no such operation,
    and nothing was sent; or the server answered that it has no route for it (an Airbyte
    version without it, or a URL that is not the Config API's), a 404 that is then the
    ``__cause__``. The message names the alternative, or the versions that have the route.
    """

    #: True when nothing at the client's URL serves the API in use (a route every Airbyte
    #: version serves is missing too, such as ``health``): the URL is wrong, not the server's
    #: version, nor the id sent.
    wrong_url: bool = False


class LookupFailedError(AirbyteError, LookupError):
    """A lookup by name found no match or several; *candidates* lists what exists."""

    def __init__(self, message: str, *, candidates: Sequence[str] = ()) -> None:
        super().__init__(message)
        self.candidates = tuple(candidates)


class NoMatchError(LookupFailedError):
    """Nothing matched the name looked up."""


for _cls in (
    AirbyteError,
    InvalidArgumentError,
    UnsupportedOperationError,
    LookupFailedError,
    NoMatchError,
):
    _cls.__module__ = "airbyte_async.errors"
del _cls
