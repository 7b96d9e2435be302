"""Client-wide pacing: an optional cap on requests per second, and the server's clock."""

from __future__ import annotations

import email.utils
import time

import anyio
import attrs

__all__ = ["RateLimiter", "ServerClock"]


@attrs.define
class RateLimiter:
    """
    Spaces requests so that no more than *per_second* start in any second, in arrival order:
    each caller reserves the next free slot before it awaits, then sleeps until the slot comes.
    """

    per_second: float
    _next_slot: float = attrs.field(init=False, default=0.0)

    def __attrs_post_init__(self) -> None:
        if not self.per_second > 0:
            raise ValueError(f"rate_limit must be greater than 0, got {self.per_second!r}")

    async def wait(self) -> None:
        """Return when the caller may send its request."""
        now = time.monotonic()
        slot = max(now, self._next_slot)
        self._next_slot = slot + 1.0 / self.per_second
        if slot > now:
            await anyio.sleep(slot - now)


@attrs.define
class ServerClock:
    """
    The server's wall clock, estimated from the ``Date`` header of its answers.

    ``Date`` has a resolution of one second, so :meth:`now` may lag the server by up to a
    second: code comparing against server timestamps must allow that much overlap.
    """

    offset: float = 0.0
    observed: bool = False
    _last: str | None = attrs.field(init=False, default=None, repr=False)

    def observe(self, date_header: str | None) -> None:
        """Update the estimate from one answer's ``Date`` header (cheap when unchanged)."""
        if date_header is None or date_header == self._last:
            return
        self._last = date_header
        try:
            server = email.utils.parsedate_to_datetime(date_header).timestamp()
        except (TypeError, ValueError, IndexError):
            return
        self.offset = server - time.time()
        self.observed = True

    def now(self) -> float:
        """The server's current time in epoch seconds (the local clock until observed)."""
        return time.time() + self.offset
