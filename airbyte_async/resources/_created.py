"""
Creating a source, destination or connection once, although a create is not idempotent.

Airbyte takes no idempotency key and names are not unique: a create sent again after its
answer was lost (the client's timeout, a connection lost, a proxy's 502, 503, 504 or 52x, a
mangled body) makes a second object of the same name. So it is never sent again; the object is
looked for by its name instead. When the answer came from no server (a timeout, a cut, a
gateway's page) the server may still be at it, queued behind other requests: the object is
looked for again, at growing pauses, for up to :data:`CREATE_PATIENCE` seconds. When Airbyte
itself answered (a 500), it is done, and one look tells. Found, it is the create's answer; not
found, the create's error is raised with a note saying it may have been done.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Awaitable, Callable
from typing import TypeVar

import anyio

from .._retry import is_ambiguous
from ..errors import (
    AirbyteError,
    ConnectionLostError,
    LookupFailedError,
    RequestTimeoutError,
    ServerError,
)

__all__ = ["CREATE_PATIENCE", "create_once"]

log = logging.getLogger("airbyte_async")

T = TypeVar("T")

#: Seconds a create whose answer came from no server is looked for before its error is raised.
CREATE_PATIENCE = 30.0
_FIRST_PAUSE = 0.5
_MAX_PAUSE = 8.0


def _may_still_act(error: AirbyteError) -> bool:
    """Whether the server may not have got to the request yet: its answer was not Airbyte's."""
    if isinstance(error, RequestTimeoutError | ConnectionLostError):
        return True
    return isinstance(error, ServerError) and error.status != 500


async def create_once(
    create: Callable[[], Awaitable[T]], look: Callable[[], Awaitable[T | None]], *, what: str
) -> T:
    """
    What *create* made, sent once: after a failure that leaves open whether the server acted,
    what *look* finds (the object of that name, None when there is none), looked for as the
    module says. *what* names the object in the note of the error raised when it is not found.
    A look that finds several raises :class:`~airbyte_async.errors.AmbiguousMatchError`.
    """
    try:
        return await create()
    except AirbyteError as e:
        if not is_ambiguous(e):
            raise
        error = e
    patience = CREATE_PATIENCE if _may_still_act(error) else 0.0
    deadline = time.monotonic() + patience
    pause = _FIRST_PAUSE
    while True:
        try:
            found = await look()
        except LookupFailedError:
            raise
        except AirbyteError as e:
            log.debug("could not look for %s, whose create's answer was lost: %s", what, e)
            found = None
        if found is not None:
            log.warning("%s was created, although its create's answer was lost (%s)", what, error)
            return found
        if time.monotonic() + pause > deadline:
            break
        await anyio.sleep(pause)
        pause = min(2 * pause, _MAX_PAUSE)
    within = f" within {patience:g} s" if patience else ""
    error.add_note(
        f"{what} may have been created (the answer was lost) but was not found by its "
        f"name{within}: look for it before creating it again"
    )
    raise error
