"""
A delete seen through to its end, although its answer may be lost.

Deleting is not idempotent in the client's sense (the first delete and the second answer
differently), but it is in its effect: Airbyte deletes a source or destination by marking it
tombstoned, and a connection by marking it ``deprecated``, and doing so again changes nothing
(``SourceHandler.deleteSource`` and ``ConnectionHelper.deleteConnection``, airbytehq/
airbyte-platform). A second delete of a deleted object answers as the first did (the Config
API's) or that the object does not exist (the public API's); either way nothing more is done.

So a delete whose answer was lost (the client's timeout, a connection lost, a proxy's 502, 503,
504, a mangled body) is sent again, retried as a read is, and the object's absence then is
the first delete's success, not an error: a caller whose delete worked is never told "not
found" for it, nor left to guess whether it worked.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable

from .._retry import is_ambiguous
from ..errors import AirbyteError, NotFoundError

__all__ = ["delete_through"]

log = logging.getLogger("airbyte_async.resources")


async def delete_through(send: Callable[[bool], Awaitable[None]], *, what: str) -> None:
    """
    Delete *what* (``"the source 5f1e..."``) by ``send(idempotent)``, a delete's call (a 403 for
    an object its role check finds no workspace for already read as a
    :class:`~airbyte_async.errors.NotFoundError`): sent once, then, after a failure that leaves
    open whether the server acted, sent again with retries; a
    :class:`~airbyte_async.errors.NotFoundError` then means the first one deleted it. Any other
    error of the second is raised, with a note naming the first's.
    """
    try:
        await send(False)
    except AirbyteError as e:
        if not is_ambiguous(e):
            raise
        lost = e
    else:
        return
    log.info("sending the delete of %s again: its answer was lost (%s)", what, lost)
    try:
        await send(True)
    except NotFoundError:
        log.info("%s was deleted by the delete whose answer was lost (%s)", what, lost)
        return
    except AirbyteError as e:
        e.add_note(f"the delete of {what} was sent again: the first one's answer was lost ({lost})")
        raise
