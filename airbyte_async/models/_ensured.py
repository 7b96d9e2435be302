"""What an ``ensure`` call did: created the object, updated it, or found it as wanted."""

from __future__ import annotations

import enum
from typing import Generic, TypeVar

import attrs

__all__ = ["EnsureAction", "Ensured"]

T = TypeVar("T")


class EnsureAction(enum.StrEnum):
    """Which of the three things an ``ensure`` call did."""

    CREATED = "created"
    UPDATED = "updated"
    UNCHANGED = "unchanged"


@attrs.frozen(kw_only=True)
class Ensured(Generic[T]):
    """
    The result of an ``ensure`` call: *value* is the object as the server has it now.

    *changes* names what an update changed, as paths (``"configuration.port"``, ``"schedule"``,
    ``"streams[public.orders].cursor_field"``); never values, so it is safe to log.
    """

    action: EnsureAction
    value: T
    changes: tuple[str, ...] = ()

    @property
    def changed(self) -> bool:
        """True when the call created or updated the object."""
        return self.action is not EnsureAction.UNCHANGED
