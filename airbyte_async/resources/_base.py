"""The one seam every resource depends on: a coroutine that performs one Config API call."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any, Protocol

__all__ = ["Request"]


class Request(Protocol):
    """
    Perform one Config API call and return its decoded JSON body (None for 204).

    *route* is relative to ``/api/v1`` (``"jobs/get"``). *body* None sends no body at all, as the
    spec declares for routes such as ``source_definitions/list``. *idempotent* declares whether the
    call may be replayed after an ambiguous failure (timeout, reset, 5xx); a non-idempotent call is
    replayed only when it provably never reached the server. *method* is ``"GET"`` only for the
    few routes the spec serves that way (``health``, ``instance_configuration``). *object_hook*,
    when given, sees each JSON object as it is decoded (to drop what a caller never reads).
    Raises the :mod:`airbyte_async.errors` tree.
    """

    async def __call__(
        self,
        route: str,
        body: Mapping[str, Any] | None = None,
        *,
        idempotent: bool,
        method: str = "POST",
        object_hook: Callable[[dict[str, Any]], Any] | None = None,
    ) -> Any: ...
