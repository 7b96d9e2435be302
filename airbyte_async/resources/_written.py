"""
Writes whose answer may be lost: a create, an update or a delete that reached the server, or
not, with no answer to tell.

**Creates** are made once, although a create is not idempotent. Airbyte takes no idempotency
key and names are not unique: a create sent again after its answer was lost (the client's
timeout, a connection lost, a proxy's 502, 503, 504 or 52x, a mangled body) makes a second
object of the same name. So it is never sent again; the object is looked for by its name
instead (:func:`create_once`). When the answer came from no server (a timeout, a cut, a
gateway's page) the server may still be at it, queued behind other requests: the object is
looked for again, at growing pauses, for up to :data:`CREATE_PATIENCE` seconds. When Airbyte
itself answered (a 500), it is done, and one look tells. Found, it is the create's answer; not
found, the create's error is raised with a note saying it may have been done. A create called
alone (``client.sources.create``, say) looks for nothing: its error after such a failure gets
a note saying that the object may exist, that nothing was sent again, and how to look for it
(:func:`sent_once`), so that the caller does not create it again blindly.

**Updates** are sent once too (a replay would undo a change made meanwhile); the error of one
whose answer was lost says to read the object before updating it again (:func:`written_once`).

**Deletes** are seen through (:func:`delete_through`). Deleting is not idempotent in the
client's sense (the first delete and the second answer differently), but it is in its effect:
Airbyte deletes a source or destination by marking it tombstoned, and a connection by marking
it ``deprecated``, and doing so again changes nothing (``SourceHandler.deleteSource`` and
``ConnectionHelper.deleteConnection``, airbytehq/airbyte-platform). A second delete of a
deleted object answers as the first did (the Config API's) or that the object does not exist
(the public API's); either way nothing more is done. So a delete is sent as an idempotent call,
retried as a read is (within the client's retry policy and budget) after an answer lost, and
the object's absence on a retry after such a loss is the lost attempt's success, not an error:
a caller whose delete worked is never told "not found" for it, nor left to guess whether it
worked.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Awaitable, Callable
from contextvars import ContextVar
from typing import TypeVar

import anyio

from .._retry import TOKEN_ROUTE, is_ambiguous
from ..errors import (
    AirbyteError,
    ConnectionLostError,
    LookupFailedError,
    NotFoundError,
    RequestTimeoutError,
    ServerError,
)

__all__ = ["CREATE_PATIENCE", "create_once", "delete_through", "sent_once", "written_once"]

log = logging.getLogger("airbyte_async.resources")

T = TypeVar("T")

#: Seconds a create whose answer came from no server is looked for before its error is raised.
CREATE_PATIENCE = 30.0
_FIRST_PAUSE = 0.5
_MAX_PAUSE = 8.0

#: True while :func:`create_once` awaits its create: it looks for the object itself, and its
#: own note says what it found, so :func:`sent_once` adds none.
_LOOKED_FOR: ContextVar[bool] = ContextVar("airbyte_async_create_looked_for", default=False)


async def sent_once(create: Awaitable[T], *, what: str, find: str) -> T:
    """
    What *create* (a create's call, sent once) answers. After a failure that leaves open whether
    the server acted, its error gets a note saying that *what* (``"the source 'shop'"``) may
    have been created and was not sent again, and to look for it (*find*, the call that does)
    before creating it again. Under :func:`create_once`, which looks for it itself, no note.
    """
    try:
        return await create
    except AirbyteError as e:
        if is_ambiguous(e) and not _LOOKED_FOR.get():
            e.add_note(
                f"{what} may have been created although its answer was lost, and was not sent "
                f"again: look for it ({find}) before creating it again (ensure looks for it "
                "itself)"
            )
        raise


async def written_once(update: Awaitable[T], *, what: str, read: str) -> T:
    """
    What *update* (an update's call, sent once) answers. After a failure that leaves open
    whether the server acted, its error gets a note saying that *what* (``"the source
    5f1e..."``) may have been updated and was not sent again (a replay would undo a change
    made meanwhile), and to read it (*read*, the call that does) before updating it again.
    """
    try:
        return await update
    except AirbyteError as e:
        if is_ambiguous(e):
            e.add_note(
                f"{what} may have been updated although the answer was lost, and the update "
                f"was not sent again: read it ({read}) before updating it again"
            )
        raise


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
    looking = _LOOKED_FOR.set(True)
    try:
        return await create()
    except AirbyteError as e:
        if not is_ambiguous(e):
            raise
        error = e
    finally:
        _LOOKED_FOR.reset(looking)
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


async def delete_through(delete: Awaitable[None], *, what: str, read: str) -> None:
    """
    Await *delete*, the call that deletes *what* (``"the source 5f1e..."``) sent as idempotent
    (a 403 for an object its role check finds no workspace for already read as a
    :class:`~airbyte_async.errors.NotFoundError`). A
    :class:`~airbyte_async.errors.NotFoundError` of a retry made after an attempt whose answer
    was lost means that attempt deleted it: the call returns. An error that leaves open whether
    an attempt deleted it gets a note saying so, with *read*, the call that reads it.
    """
    try:
        await delete
    except NotFoundError as e:
        if not e._after_lost or e.route == TOKEN_ROUTE:
            raise
        log.info("%s was deleted by an attempt whose answer was lost (%s)", what, e)
    except AirbyteError as e:
        if is_ambiguous(e) or e._after_lost:
            e.add_note(
                f"{what} may have been deleted although the answer was lost: read it ({read}) "
                "before deleting it again"
            )
        raise
