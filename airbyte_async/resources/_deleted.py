"""
A delete seen through to its end, although its answer may be lost.

Deleting is not idempotent in the client's sense (the first delete and the second answer
differently), but it is in its effect: Airbyte deletes a source or destination by marking it
tombstoned, and a connection by marking it ``deprecated``, and doing so again changes nothing
(``SourceHandler.deleteSource`` and ``ConnectionHelper.deleteConnection``, airbytehq/
airbyte-platform). A second delete of a deleted object answers as the first did (the Config
API's) or that the object does not exist (the public API's); either way nothing more is done.

So a delete is sent as an idempotent call, retried as a read is (within the client's retry
policy and budget) after an answer lost (the client's timeout, a connection lost, a proxy's
502, 503, 504, a mangled body), and the object's absence on a retry after such a loss is the
lost attempt's success, not an error: a caller whose delete worked is never told "not found"
for it, nor left to guess whether it worked.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable

from .._retry import TOKEN_ROUTE, is_ambiguous
from ..errors import AirbyteError, NotFoundError

__all__ = ["delete_through"]

log = logging.getLogger("airbyte_async.resources")


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
