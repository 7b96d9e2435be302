"""The three steps every resource method takes: write the body, make the call, read the answer."""

from __future__ import annotations

from collections.abc import Awaitable
from typing import TypeVar

from .._serde import structure, unstructure
from ..errors import NotFoundError, PermissionDeniedError
from ._base import Request

__all__ = ["call", "call_no_content", "named", "unseen"]

T = TypeVar("T")


async def call(
    request: Request, route: str, body: object | None, cls: type[T], *, idempotent: bool
) -> T:
    """POST *body* (None: no body at all) to *route* and read the answer as a *cls*."""
    data = await request(route, None if body is None else unstructure(body), idempotent=idempotent)
    return structure(data, cls, route=route)


async def call_no_content(request: Request, route: str, body: object, *, idempotent: bool) -> None:
    """POST *body* to *route*, for routes that answer 204 (deletes)."""
    await request(route, unstructure(body), idempotent=idempotent)


async def named(kind: str, object_id: object, call: Awaitable[T]) -> T:
    """*call*, on the one *kind* *object_id*: a 403 for it raised as :func:`unseen` says."""
    try:
        return await call
    except PermissionDeniedError as e:
        raise unseen(e, kind, object_id) from e


def unseen(error: PermissionDeniedError, kind: str, object_id: object) -> NotFoundError:
    """
    The 403 a role check gives for an object it finds no workspace for, as the
    :class:`~airbyte_async.errors.NotFoundError` it may be: Airbyte answers so (the public API
    on Cloud, and from 1.x on both APIs of a server with authentication) for an object that
    does not exist as for one in a workspace these credentials hold no role in
    (``RoleResolver``); an instance admin (community's default user) gets the 404.
    """
    message = (
        f"there is no {kind} {object_id}, or these credentials lack the role it takes in its "
        f"workspace (Airbyte answers 403 for both: {error.message})"
    )
    found = NotFoundError(error.status, message, route=error.route)
    found._after_lost = error._after_lost
    return found
