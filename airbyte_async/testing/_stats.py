"""
Observation: request counters, concurrency peaks, recorded requests, and the stats snapshot.

The counters cover the window since the emulator started or since the last reset. The ground
truth about jobs (which were created for which connection, their statuses, and how many ran at
once) is computed from the state when a snapshot is taken, for jobs created in that window;
faults never hide a job from it.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
from typing import Any, NamedTuple

import attrs

__all__ = ["EmulatorStats", "Observer", "RecordedRequest"]


class RecordedRequest(NamedTuple):
    """One API request as received: *route* is the spec path (``/v1/connections/sync``)."""

    method: str
    route: str
    body: Any
    had_body: bool


@attrs.frozen
class EmulatorStats:
    """
    A snapshot of what the emulator saw since it started or since the last reset.

    ``jobs_by_connection`` lists the job ids created per connection (more than one for a
    connection in one batch means a duplicate trigger; none means a miss); ``job_statuses``
    gives each of those jobs' status now; ``max_concurrent_jobs`` is the exact peak of jobs
    non-terminal at one instant; the ``max_in_flight_*`` peaks count HTTP requests and
    ``connections/sync`` triggers being handled at once, ``max_in_flight_cancels`` the cancels
    (``jobs/cancel``, the public ``DELETE /jobs/{jobId}``) waiting for their job to stop at
    once; ``triggers_rejected`` counts triggers
    answered 503 by the load model and ``trigger_timeline`` lists each change of the triggers in
    flight as ``(epoch seconds, count after it)``, starting with the count at the window's start.
    """

    total_requests: int
    requests_by_route: Mapping[str, int]
    max_in_flight_requests: int
    max_in_flight_syncs: int
    max_concurrent_jobs: int
    jobs_by_connection: Mapping[str, list[int]]
    job_statuses: Mapping[int, str]
    #: Each job's planned life in seconds (creation, when its trigger arrived, to its drawn end:
    #: the trigger's wait, any pending time, then the run), in creation order: what an ideal
    #: client's schedule is computed from.
    job_durations: Mapping[int, float]
    #: Each job's creation and final instants (epoch seconds, not rounded), in creation order.
    job_times: Mapping[int, tuple[float, float]]
    faults_injected: Mapping[str, int]
    restarts: int
    tokens_minted: int
    since: float
    triggers_rejected: int = 0
    trigger_timeline: tuple[tuple[float, int], ...] = ()
    max_in_flight_cancels: int = 0
    #: Cancels being handled when the snapshot was taken.
    cancels_in_flight: int = 0
    #: Sync triggers being handled when the snapshot was taken.
    syncs_in_flight: int = 0
    #: Requests accepted with a minted token older than the newest one (since the start, as
    #: ``tokens_minted``): a client using its current token while a renewal is under way.
    requests_on_older_tokens: int = 0
    #: TCP connections the server accepted: what a client's pool opened (each costs the client
    #: a connect, a transport and its parser, and the server a handler).
    connections_opened: int = 0

    def triggers_in_flight(self, bucket: float = 1.0) -> list[tuple[float, int]]:
        """
        The peak of triggers in flight per *bucket* seconds since the window's start, as
        ``(seconds since the start, peak)``; each bucket carries the count it opened with.
        """
        if bucket <= 0:
            raise ValueError("bucket must be positive")
        peaks: list[tuple[float, int]] = []
        current = 0
        for moment, count in self.trigger_timeline:
            index = int((moment - self.since) // bucket)
            while len(peaks) <= index:
                peaks.append((len(peaks) * bucket, current))
            start, peak = peaks[index]
            peaks[index] = (start, max(peak, count))
            current = count
        return peaks

    @property
    def jobs_created(self) -> int:
        """How many jobs were created in the window."""
        return len(self.job_statuses)

    def to_json(self) -> dict[str, Any]:
        """The snapshot as ``GET /_emulator/stats`` sends it (job ids become string keys)."""
        return {
            "total_requests": self.total_requests,
            "requests_by_route": dict(self.requests_by_route),
            "max_in_flight_requests": self.max_in_flight_requests,
            "max_in_flight_syncs": self.max_in_flight_syncs,
            "max_concurrent_jobs": self.max_concurrent_jobs,
            "jobs_created": self.jobs_created,
            "jobs_by_connection": {k: list(v) for k, v in self.jobs_by_connection.items()},
            "job_statuses": {str(k): v for k, v in self.job_statuses.items()},
            "job_durations": {str(k): v for k, v in self.job_durations.items()},
            "job_times": {str(k): list(v) for k, v in self.job_times.items()},
            "faults_injected": dict(self.faults_injected),
            "restarts": self.restarts,
            "tokens_minted": self.tokens_minted,
            "since": self.since,
            "triggers_rejected": self.triggers_rejected,
            "trigger_timeline": [list(point) for point in self.trigger_timeline],
            "max_in_flight_cancels": self.max_in_flight_cancels,
            "cancels_in_flight": self.cancels_in_flight,
            "syncs_in_flight": self.syncs_in_flight,
            "requests_on_older_tokens": self.requests_on_older_tokens,
            "connections_opened": self.connections_opened,
        }


@attrs.define
class Observer:
    """Mutable counters the HTTP layer updates for every API request."""

    record_requests: bool
    window_start: float
    requests: list[RecordedRequest] = attrs.field(factory=list)
    total: int = 0
    by_route: Counter[str] = attrs.field(factory=Counter)
    in_flight: int = 0
    max_in_flight: int = 0
    syncs_in_flight: int = 0
    max_syncs_in_flight: int = 0
    cancels_in_flight: int = 0
    max_cancels_in_flight: int = 0
    restarts: int = 0
    triggers_rejected: int = 0
    connections_opened: int = 0
    trigger_timeline: list[tuple[float, int]] = attrs.field(factory=list)

    def __attrs_post_init__(self) -> None:
        if not self.trigger_timeline:
            self.trigger_timeline.append((self.window_start, 0))

    def request_started(self, record: RecordedRequest) -> None:
        """Count a request entering the server."""
        self.total += 1
        self.by_route[record.route] += 1
        self.in_flight += 1
        self.max_in_flight = max(self.max_in_flight, self.in_flight)
        if self.record_requests:
            self.requests.append(record)

    def connection_opened(self) -> None:
        """Count a TCP connection accepted."""
        self.connections_opened += 1

    def request_finished(self) -> None:
        """Count a request leaving the server, answered or not."""
        self.in_flight -= 1

    def sync_started(self, now: float) -> int:
        """Count a trigger (sync or reset) being handled; how many are, this one included."""
        self.syncs_in_flight += 1
        self.max_syncs_in_flight = max(self.max_syncs_in_flight, self.syncs_in_flight)
        self.trigger_timeline.append((now, self.syncs_in_flight))
        return self.syncs_in_flight

    def sync_finished(self, now: float) -> None:
        """Count a trigger done, answered or turned away."""
        self.syncs_in_flight -= 1
        self.trigger_timeline.append((now, self.syncs_in_flight))

    def cancel_started(self) -> None:
        """Count a cancel being handled."""
        self.cancels_in_flight += 1
        self.max_cancels_in_flight = max(self.max_cancels_in_flight, self.cancels_in_flight)

    def cancel_finished(self) -> None:
        """Count a cancel answered (or failed)."""
        self.cancels_in_flight -= 1

    def reset(self, now: float) -> None:
        """Start a new window: counters and peaks restart from what is in flight now."""
        self.window_start = now
        self.requests.clear()
        self.total = 0
        self.by_route.clear()
        self.max_in_flight = self.in_flight
        self.max_syncs_in_flight = self.syncs_in_flight
        self.max_cancels_in_flight = self.cancels_in_flight
        self.restarts = 0
        self.triggers_rejected = 0
        self.connections_opened = 0
        self.trigger_timeline = [(now, self.syncs_in_flight)]
