"""The three steps every resource method takes: write the body, make the call, read the answer."""

from __future__ import annotations

from typing import TypeVar

from .._serde import structure, unstructure
from ._base import Request

__all__ = ["call", "call_no_content"]

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
