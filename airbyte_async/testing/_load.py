"""
The trigger load model: how long ``connections/sync`` and ``connections/reset`` take to start
their job, and when the server turns them away.

A real sync trigger answers only once the job runs (API-FACTS 6.3b): a few hundred milliseconds
on a quiet server, seconds on a busy one. (A reset, and the public API's ``POST /jobs``, answer
once the job exists; it runs that much later.) The emulator models that with three settings:

- ``trigger_latency`` (seconds, default 0.2): how long one trigger takes on a quiet server.
- ``trigger_capacity`` (calls, default None = unbounded): how many triggers the server
  starts at once at that latency. With *n* triggers in flight beyond it, a new one takes
  ``trigger_latency * n / trigger_capacity``: the server starts at most
  ``trigger_capacity / trigger_latency`` jobs a second, and whatever comes faster queues.
  Cancels share it: airbyte-server runs ``connections/sync``, ``connections/reset`` and
  ``jobs/cancel`` on one scheduler executor, a fixed pool of 25 threads by default
  (airbytehq/airbyte-platform ``ConnectionApiController``, ``JobsApiController``:
  ``@ExecuteOn(AirbyteTaskExecutors.SCHEDULER)``; ``airbyte-server/src/main/resources/
  application.yml``: ``SCHEDULER_TASK_EXECUTOR_THREADS:25``), so the *n* counts the cancels
  waiting for their job to stop too, and a cancel's ``cancel_latency`` stretches the same way.
- ``trigger_overload`` (triggers, default None = never): the most triggers the server holds at
  once. One more is answered 503 (an ingress's HTML page, no ``Retry-After``) at once, and no
  job is created.

The stats count what a benchmark needs: ``max_in_flight_syncs``, ``triggers_rejected`` (the
503s) and ``trigger_timeline``, each change of the triggers in flight as ``(time, count)``;
``EmulatorStats.triggers_in_flight(bucket)`` turns it into a peak per time bucket.
"""

from __future__ import annotations

from typing import Any

import attrs

__all__ = ["Overloaded", "TriggerLoad"]


class Overloaded(Exception):
    """A trigger past ``trigger_overload``: answered 503 without acting."""


def _positive_or_none(_: object, attribute: attrs.Attribute[Any], value: int | None) -> None:
    if value is not None and value < 1:
        raise ValueError(f"{attribute.name} must be at least 1 (or None)")


@attrs.frozen(kw_only=True)
class TriggerLoad:
    """The latency and admission of a trigger, given how many are in flight with it."""

    latency: float = 0.2
    capacity: int | None = attrs.field(default=None, validator=_positive_or_none)
    overload: int | None = attrs.field(default=None, validator=_positive_or_none)

    def __attrs_post_init__(self) -> None:
        if self.latency < 0:
            raise ValueError("trigger_latency must not be negative")
        capacity, overload = self.capacity, self.overload
        if capacity is not None and overload is not None and overload < capacity:
            raise ValueError("trigger_overload must not be below trigger_capacity")

    def admit(self, in_flight: int, *, cancels: int = 0) -> float:
        """
        Seconds a trigger takes when *in_flight* triggers (itself included) and *cancels*
        cancels are being handled; raises :class:`Overloaded` past the overload bound (of
        triggers).
        """
        if self.overload is not None and in_flight > self.overload:
            raise Overloaded
        return self.latency * self.stretch(in_flight + cancels)

    def stretch(self, held: int) -> float:
        """How many times slower than on a quiet server a call is with *held* scheduler calls."""
        if self.capacity is None or held <= self.capacity:
            return 1.0
        return held / self.capacity
