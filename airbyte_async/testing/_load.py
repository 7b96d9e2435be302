"""
The trigger load model: how long ``connections/sync`` and ``connections/reset`` take to start
their job, and when the server turns them away.

A real sync trigger answers only once the job runs (API-FACTS 6.3b): a few hundred milliseconds
on a quiet server, seconds on a busy one. (A reset, and the public API's ``POST /jobs``, answer
once the job exists; it runs that much later.) The emulator models that with three settings:

- ``trigger_latency`` (seconds, default 0.2): how long a trigger takes to start its job once the
  server works on it.
- ``trigger_capacity`` (threads; by default Airbyte's 25, None = as many as asked):
  airbyte-server runs ``connections/sync``, ``connections/reset`` and ``jobs/cancel`` on one
  scheduler executor, a fixed pool of 25 threads by default (airbytehq/airbyte-platform
  ``ConnectionApiController``, ``JobsApiController``:
  ``@ExecuteOn(AirbyteTaskExecutors.SCHEDULER)``;
  ``airbyte-server/src/main/resources/application.yml``:
  ``SCHEDULER_TASK_EXECUTOR_THREADS:25``). A call waits, first come first served, for one of
  these :class:`SchedulerThreads`; until it has one it has done nothing:
  ``TemporalClient.startNewManualSync`` checks for a running sync and signals the connection's
  workflow only on that thread, so a waiting trigger has created no job and may still get a 409.
  The server starts at most ``trigger_capacity / trigger_latency`` jobs a second, and whatever
  comes faster queues. Once taken, the call runs to its end whether or not its client still
  listens.
- ``trigger_overload`` (triggers, default None = never): the most triggers the server holds at
  once, waiting or running; below ``trigger_capacity``, it is the bound that binds. One more is
  answered 503 (an ingress's HTML page, no ``Retry-After``) at once, and no job is created.

The stats count what a benchmark needs: ``max_in_flight_syncs``, ``triggers_rejected`` (the
503s) and ``trigger_timeline``, each change of the triggers in flight as ``(time, count)``;
``EmulatorStats.triggers_in_flight(bucket)`` turns it into a peak per time bucket.
"""

from __future__ import annotations

import collections
import contextlib
from collections.abc import AsyncIterator
from typing import Any

import anyio
import attrs

__all__ = ["Overloaded", "Restarted", "SchedulerThreads", "TriggerLoad"]


class Overloaded(Exception):
    """A trigger past ``trigger_overload``: answered 503 without acting."""


class Restarted(Exception):
    """A call that waited for a scheduler thread through a restart: it never acts."""


def _positive_or_none(_: object, attribute: attrs.Attribute[Any], value: int | None) -> None:
    if value is not None and value < 1:
        raise ValueError(f"{attribute.name} must be at least 1 (or None)")


@attrs.frozen(kw_only=True)
class TriggerLoad:
    """A trigger's latency, the scheduler's threads, and the bound past which triggers get 503."""

    latency: float = 0.2
    capacity: int | None = attrs.field(default=None, validator=_positive_or_none)
    overload: int | None = attrs.field(default=None, validator=_positive_or_none)

    def __attrs_post_init__(self) -> None:
        if self.latency < 0:
            raise ValueError("trigger_latency must not be negative")

    def admit(self, in_flight: int) -> None:
        """Raise :class:`Overloaded` when *in_flight* triggers (this one included) are too many."""
        if self.overload is not None and in_flight > self.overload:
            raise Overloaded


@attrs.define
class SchedulerThreads:
    """
    The scheduler executor's threads: *capacity* of them (None: one for every call), taken in
    the order the calls came.
    """

    capacity: int | None
    #: Bumped by every restart (see :meth:`restarted`).
    generation: int = attrs.field(init=False, default=0)
    _busy: int = attrs.field(init=False, default=0)
    _waiting: collections.deque[anyio.Event] = attrs.field(init=False, factory=collections.deque)

    @property
    def waiting(self) -> int:
        """Calls waiting for a thread."""
        return len(self._waiting)

    def restarted(self) -> None:
        """
        The server restarted: the calls waiting for a thread die with the executor's queue
        (the JVM that held it is gone), and raise :class:`Restarted` when their turn comes.
        """
        self.generation += 1

    @contextlib.asynccontextmanager
    async def thread(self) -> AsyncIterator[None]:
        """Hold one thread for the block, after waiting for it behind the calls before; raise
        :class:`Restarted`, having held none, when the server restarted meanwhile."""
        generation = self.generation
        await self._take()
        if self.generation != generation:
            self._give_back()
            raise Restarted
        try:
            yield
        finally:
            self._give_back()

    async def _take(self) -> None:
        if self.capacity is None:
            return
        if self._busy < self.capacity and not self._waiting:
            self._busy += 1
            return
        turn = anyio.Event()
        self._waiting.append(turn)
        try:
            await turn.wait()
        except BaseException:
            if turn.is_set():  # handed a thread while being cancelled: pass it on
                self._give_back()
            else:
                self._waiting.remove(turn)
            raise

    def _give_back(self) -> None:
        if self.capacity is None:
            return
        if self._waiting:
            self._waiting.popleft().set()  # the thread goes to the next call as it is
        else:
            self._busy -= 1
