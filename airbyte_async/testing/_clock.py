"""
The emulator's one clock: what ``_state``, ``_auth``, ``_render`` and the routes read as *now*,
what every answer's ``Date`` header says, and how the routes wait (a trigger's latency).

:class:`WallClock` is real time. :class:`ManualClock` moves only when a test calls
:meth:`ManualClock.advance`: job transitions, token expiry and trigger waits follow it, so a
test advances time instead of sleeping. Faults that model the network (``latency``, ``slow``,
``late``, ``hang_after``, ``proxy_timeout``) and restarts keep real time.
"""

from __future__ import annotations

import time
from typing import Protocol

import anyio
import attrs

__all__ = ["Clock", "ManualClock", "WallClock"]


class Clock(Protocol):
    """Epoch seconds when called, and a sleep measured on the same clock."""

    def __call__(self) -> float:
        """Now, in epoch seconds."""
        ...

    async def sleep(self, seconds: float) -> None:
        """Return once *seconds* have passed on this clock."""
        ...


@attrs.frozen
class WallClock:
    """Real time: ``time.time()`` and ``anyio.sleep``."""

    def __call__(self) -> float:
        """``time.time()``."""
        return time.time()

    async def sleep(self, seconds: float) -> None:
        """``anyio.sleep(seconds)``."""
        await anyio.sleep(seconds)


@attrs.define
class ManualClock:
    """
    Epoch seconds that move only by :meth:`advance`, starting at *now* (the wall time when
    made, by default). :meth:`sleep` returns once the clock has been advanced far enough.
    """

    now: float = attrs.field(factory=time.time)
    _moved: anyio.Event | None = attrs.field(default=None, init=False, repr=False)

    def __call__(self) -> float:
        """The current reading."""
        return self.now

    def advance(self, seconds: float) -> None:
        """Move the clock forward by *seconds* (not negative), waking the sleepers."""
        if seconds < 0:
            raise ValueError("a clock only moves forward")
        self.now += seconds
        if self._moved is not None:
            self._moved.set()
            self._moved = None

    async def sleep(self, seconds: float) -> None:
        """Wait until the clock reads *seconds* later than it does now."""
        deadline = self.now + seconds
        while self.now < deadline:
            if self._moved is None:
                self._moved = anyio.Event()
            await self._moved.wait()
