"""Building blocks shared by every model module: open enums, opaque JSON, stream descriptors."""

from __future__ import annotations

import enum
from collections.abc import Callable
from datetime import datetime
from typing import Any, Generic, NewType, TypeVar

import attrs

__all__ = ["Deferred", "IsoDateTime", "JsonObject", "OpenEnum", "StreamDescriptor", "resolved"]

T = TypeVar("T")

JsonObject = dict[str, Any]
"""An opaque JSON object passed through untouched (connector configuration, JSON schemas)."""

IsoDateTime = NewType("IsoDateTime", datetime)
"""A datetime sent as an ISO-8601 string (jobs/list filters) rather than as epoch seconds."""


class OpenEnum(enum.StrEnum):
    """
    A string enum that keeps values it does not know instead of failing.

    ``JobStatus("queued")`` is the member; ``JobStatus("some_future_value")`` is a pseudo-member
    named ``UNKNOWN`` whose value is the raw string, so it compares equal to that string and
    unstructures back to it unchanged. Non-strings still raise :class:`ValueError`.
    """

    @classmethod
    def _missing_(cls, value: object) -> Any:
        if not isinstance(value, str):
            return None
        member = str.__new__(cls, value)
        member._name_ = "UNKNOWN"
        member._value_ = value
        return member

    @property
    def is_known(self) -> bool:
        """False for a value this version of airbyte-async has no member for."""
        return self._value_ in type(self)._value2member_map_


@attrs.frozen(kw_only=True)
class StreamDescriptor:
    """A stream's name and optional namespace."""

    name: str
    namespace: str | None = None


_UNREAD: Any = object()


class Deferred(Generic[T]):
    """
    A part of an answer kept as raw JSON and read into its model only when first used.

    Catalogs and logs are large and rarely needed when listing connections or polling jobs;
    reading them lazily keeps those calls cheap. :meth:`get` reads once and caches; it raises
    :class:`~airbyte_async.errors.ResponseValidationError` then if the raw JSON does not fit.
    *raw* is what the server sent, written back unchanged.
    """

    __slots__ = ("_read", "_value", "raw")

    def __init__(self, raw: Any, read: Callable[[Any], T]) -> None:
        self.raw = raw
        self._read = read
        self._value: T = _UNREAD

    def get(self) -> T:
        """The model, read from :attr:`raw` on the first call."""
        if self._value is _UNREAD:
            self._value = self._read(self.raw)
        return self._value

    def __repr__(self) -> str:
        return "Deferred(...)" if self._value is _UNREAD else f"Deferred({self._value!r})"

    def __reduce__(self) -> tuple[Any, ...]:
        # Copies and pickles start unread: the sentinel is not picklable as itself.
        return (type(self), (self.raw, self._read))


def resolved(value: T | Deferred[T]) -> T:
    """*value* itself, or what the :class:`Deferred` holding it reads."""
    return value.get() if isinstance(value, Deferred) else value
