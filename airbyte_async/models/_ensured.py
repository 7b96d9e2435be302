"""What an ``ensure`` call did: created the object, updated it, or found it as wanted."""

from __future__ import annotations

import enum
from collections.abc import Sequence
from typing import Generic, TypeVar

import attrs

__all__ = ["EnsureAction", "Ensured", "secrets_note"]

T = TypeVar("T")


class EnsureAction(enum.StrEnum):
    """Which of the three things an ``ensure`` call did."""

    CREATED = "created"
    UPDATED = "updated"
    UNCHANGED = "unchanged"


def secrets_note(uncompared: Sequence[str], *, sent: bool) -> str:
    """
    What became of the secret values at the paths *uncompared* (the server masks them, so
    they cannot be compared): *sent* as given, or left as the server has them; ``""`` when
    there are none. The wording of ``ensure`` and of :mod:`airbyte_async.apply`'s plans.
    """
    if not uncompared:
        return ""
    paths = ", ".join(uncompared)
    if sent:
        return f"secret values sent: the server masks them, so they cannot be compared: {paths}"
    return f"secret values not compared, the server masks them: {paths}"


@attrs.frozen(kw_only=True)
class Ensured(Generic[T]):
    """
    The result of an ``ensure`` call: *value* is the object as the server has it now.

    *changes* names what an update changed, as paths (``"configuration.port"``, ``"schedule"``,
    ``"streams[public.orders].cursor_field"``); never values, so it is safe to log.

    *uncompared* names, as paths too, the secret values given for an existing source or
    destination that the call could not compare, the server masking them (``"**********"``):
    an update sent them as given; an object left unchanged keeps what the server has,
    whatever that is (``ensure(..., send_secrets=True)`` sends them).
    """

    action: EnsureAction
    value: T
    changes: tuple[str, ...] = ()
    uncompared: tuple[str, ...] = ()

    @property
    def changed(self) -> bool:
        """True when the call created or updated the object."""
        return self.action is not EnsureAction.UNCHANGED

    @property
    def secrets_unsent(self) -> int:
        """How many secret values the server masks were left as the server has them: those
        may differ from the ones given."""
        return 0 if self.changed else len(self.uncompared)

    def secrets_note(self) -> str:
        """What became of the secret values that could not be compared, or ``""``:
        ``"secret values not compared, the server masks them: configuration.password"``."""
        return secrets_note(self.uncompared, sent=self.changed)
