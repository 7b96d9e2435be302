"""
Seeded, reproducible fault injection.

A :class:`Fault` names a kind, the routes it applies to (a glob over spec paths such as
``/v1/connections/sync``; ``connections/*`` is short for ``/v1/connections/*``; ``*`` is every
route) and how often it fires. Each fault draws from its own RNG, seeded from the emulator's
seed and the fault's position, so the same requests in the same order meet the same faults.
A ``latency`` fault that fires delays the request, whichever other fault fires on it too; of
the others, the first listed that fires applies (see :meth:`FaultInjector.draw_pair`).

Kinds, and whether the server acted on the request:

- ``error``: a 5xx (``status``, default 500) with the version's JSON error body. Not acted.
- ``proxy_error``: an HTML error page from a proxy (``status``, default 502; 520 to 524 are
  Cloudflare's). Not acted.
- ``rate_limit``: 429. Not acted. It passes over the token endpoints (``applications/token``
  of either API) unless its route names them: Airbyte sheds a user's requests, and a token
  request, asked with the client's id and secret and no token, names no user
  (``PublicApiLoadShedFilter`` sheds by the request's principal; API-FACTS 7).

A 429 or a 503 of these carries ``Retry-After`` when ``retry_after`` is set.
- ``latency``: wait ``delay`` seconds, then handle normally.
- ``slow``: wait ``delay`` seconds before acting; if the client gave up meanwhile, do nothing.
  Meant to run past the client's timeout.
- ``late``: act and compute the answer now, then deliver it ``delay`` seconds later (a seeded
  uniform draw up to ``max_delay`` when set), as a loaded server or a proxy would: the answer
  is a 200 whose snapshot is as old as the request (a job it shows may have ended since). If
  the client gave up meanwhile, the connection is reset. Meant to stay within the client's
  timeout (API-FACTS 6.3b).
- ``reset_before``: reset the connection without acting.
- ``reset_after``: act (e.g. create the job), then reset the connection: the response is lost.
- ``hang_after``: act, then hold the response for ``delay`` seconds (default one hour) or until
  the client gives up, then reset: the response is lost to a client timeout.
- ``proxy_timeout``: a proxy whose read timeout is ``delay`` seconds (default 60, nginx's
  ``proxy_read_timeout``) passes the request on; an answer within that time goes back as it
  is, and otherwise the client gets nginx's HTML 504 "Gateway Time-out" page then, while the
  server works on to the end: acted, or not yet, and maybe later (a trigger queued for a
  scheduler thread starts its job once it has one). ``status`` 502 is a Google Cloud load
  balancer instead, whose backend service timeout (30 s by default) ends in an HTML 502
  (``statusDetails`` ``backend_timeout`` in its logs), 503 Azure Front Door (classic; its
  send/receive timeout is 30 s by default), and 524 Cloudflare, whose read timeout is 100 s.
  ``status`` 0 is a TCP proxy, which has no page to send: HAProxy in ``mode tcp`` cuts both
  halves of a connection idle for its ``timeout server``, and the client sees the connection
  close with no answer.
- ``truncated_json``: act, then answer 200 with the JSON body cut in half.
- ``cut_body``: act, then send the answer's status, headers (its whole ``Content-Length``) and
  the first half of its body, and reset the connection: a server or proxy that died, or a
  connection cut, while the answer was on its way. An answer with no body (a delete's 204) is
  complete with its headers, so there is nothing to cut: it goes back whole, and the fault
  does not count as injected, nor as one of its ``times``.
- ``token_expiry``: a valid minted token is revoked before use, so the request gets 401 and
  the token stays dead.
- ``restart``: every ``every`` seconds (seeded jitter of +-50%), restart the server: in-flight
  requests and idle connections are reset and, with ``downtime``, connections are refused for
  that long. State is kept. Has no route.

A page written by a proxy (``proxy_error``, ``proxy_timeout``'s page, ``rate_limit``) carries
the proxy's own ``Date``: ``date_lead`` seconds ahead of the clock that stamps jobs (negative:
behind), a proxy on another host than the one that dates the server's answers (an outer load
balancer on time, an nginx beside Airbyte whose clock drifts: the emulator's ``date_lead``).
Unset, the page is dated as the server's answers are.

Any kind but ``restart`` may be given a window on the emulator's clock, counted from when the
faults were installed (made with the emulator, or set by ``set_faults``): it applies from
``after`` seconds on, for ``lasting`` seconds (None: no end). ``{"kind": "rate_limit",
"lasting": 20}`` is Airbyte Cloud's load shedding of a user for twenty seconds (every public
API request answered 429 without ``Retry-After``, API-FACTS 7); with ``"after": 5`` it starts
five seconds in. Outside its window a fault draws nothing from its RNG. On a ``ManualClock``
the window moves only as the test advances the clock.
"""

from __future__ import annotations

import fnmatch
import json
import math
import random
import time
from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from typing import Any, Literal, get_args

import attrs

__all__ = ["Fault", "FaultInjector", "FaultKind", "parse_faults"]

FaultKind = Literal[
    "error",
    "proxy_error",
    "rate_limit",
    "latency",
    "slow",
    "late",
    "reset_before",
    "reset_after",
    "hang_after",
    "proxy_timeout",
    "truncated_json",
    "cut_body",
    "token_expiry",
    "restart",
]
KINDS: tuple[str, ...] = get_args(FaultKind)
#: The kinds whose answer a proxy writes, which a fault's ``date_lead`` dates.
_PROXY_PAGES = ("proxy_error", "proxy_timeout", "rate_limit")

_TOKEN = "applications/token"
_TOKEN_ROUTES = frozenset({f"/v1/{_TOKEN}", f"/public/v1/{_TOKEN}"})


def _rate(_: object, attribute: attrs.Attribute[float], value: float) -> None:
    if not 0.0 <= value <= 1.0:
        raise ValueError(f"{attribute.name} must be between 0 and 1")


def _upper(method: str | None) -> str | None:
    # Typed as Fault's callers are told, checked as a dict's value may come (Fault.from_dict).
    if method is None:
        return None
    if not isinstance(method, str) or not method.isalpha():
        raise ValueError(f"a fault's method must be an HTTP method such as GET, got {method!r}")
    return method.upper()


@attrs.frozen(kw_only=True)
class Fault:
    """
    One fault rule: a request whose route matches the glob *route* (``connections/sync``,
    ``jobs/*``, ``*``) and, when given, the HTTP *method*, meets *kind* with probability *rate*
    (a seeded draw), at most *times* times in all (None: no end), and only within its window:
    from *after* seconds after it was installed, for *lasting* seconds (None: no end), on the
    emulator's clock. *status*, *retry_after*, *delay*, *max_delay*, *every*, *downtime* and
    *date_lead* are the settings some kinds read.

    The kinds are ``error``, ``proxy_error``, ``rate_limit``, ``latency``, ``slow``, ``late``,
    ``reset_before``, ``reset_after``, ``hang_after``, ``proxy_timeout``, ``truncated_json``,
    ``cut_body``, ``token_expiry`` and ``restart``: what each does, with its settings, and
    whether the server acted on the request, is in the docstring of
    :mod:`airbyte_async.testing._faults`. Raises
    ValueError for an unknown kind or a setting it lacks (a ``latency`` without *delay*, say).
    """

    kind: FaultKind = attrs.field()
    route: str = "*"
    #: The HTTP method it applies to (None: every method), e.g. ``GET`` for the public API's
    #: ``/jobs`` listings and not its ``POST /jobs`` triggers.
    method: str | None = attrs.field(default=None, converter=_upper)
    rate: float = attrs.field(default=1.0, validator=_rate)
    status: int | None = None
    retry_after: float | None = None
    delay: float | None = None
    max_delay: float | None = None
    every: float | None = None
    downtime: float = 0.0
    times: int | None = None
    after: float = 0.0
    lasting: float | None = None
    date_lead: float | None = None

    @kind.validator
    def _check(self, _: object, kind: str) -> None:
        if kind not in KINDS:
            raise ValueError(f"unknown fault kind {kind!r}; expected one of {', '.join(KINDS)}")
        if kind == "error" and self.status is not None and not 500 <= self.status <= 599:
            raise ValueError("an error fault's status must be a 5xx")
        if kind == "proxy_timeout" and self.status not in (None, 0, 502, 503, 504, 524):
            raise ValueError(
                "a proxy_timeout fault's status is 504 (nginx), 502 (Google Cloud), 503 (Azure "
                "Front Door), 524 (Cloudflare) or 0 (a TCP proxy: the connection is cut)"
            )
        if kind in ("latency", "slow", "late") and (self.delay is None or self.delay < 0):
            raise ValueError(f"a {kind} fault needs a delay in seconds")
        if self.delay is not None and self.delay < 0:
            raise ValueError("a fault's delay must not be negative")
        if self.max_delay is not None and (self.delay is None or self.max_delay < self.delay):
            raise ValueError("max_delay needs a delay no greater than it")
        if kind == "restart" and (self.every is None or self.every <= 0):
            raise ValueError("a restart fault needs every=SECONDS")
        if self.times is not None and self.times < 0:
            raise ValueError("times must not be negative")
        if self.retry_after is not None and not self.retry_after >= 0:
            raise ValueError("retry_after must be seconds, not negative")
        if not self.after >= 0 or (self.lasting is not None and not self.lasting >= 0):
            raise ValueError("after and lasting must be seconds, not negative")
        if self.date_lead is not None and kind not in _PROXY_PAGES:
            raise ValueError(f"date_lead dates a proxy's page: {', '.join(_PROXY_PAGES)} only")
        if self.date_lead is not None and not math.isfinite(self.date_lead):
            raise ValueError("date_lead must be a finite number of seconds")
        if kind == "restart" and (self.after or self.lasting is not None):
            raise ValueError("a restart fault has no window: it keeps its own schedule")

    def within(self, elapsed: float) -> bool:
        """True when *elapsed* seconds after installation fall within this fault's window."""
        if elapsed < self.after:
            return False
        return self.lasting is None or elapsed < self.after + self.lasting

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Fault:
        """A fault from its JSON form, e.g. ``{"kind": "error", "status": 503, "rate": 0.1}``."""
        known = {a.name for a in attrs.fields(cls)}
        if unknown := set(data) - known:
            raise ValueError(f"unknown fault fields: {', '.join(sorted(unknown))}")
        return cls(**data)

    def applies_to(self, route: str, method: str | None = None) -> bool:
        """
        True when *route* (a spec path such as ``/v1/jobs/get``) matches this fault's glob, and
        *method* its method, when it names one; a ``rate_limit`` matches a token endpoint only
        when its glob names ``applications/token``.
        """
        if self.method is not None and method is not None and method.upper() != self.method:
            return False
        if self.kind == "rate_limit" and route in _TOKEN_ROUTES and _TOKEN not in self.route:
            return False
        pattern = self.route
        if pattern != "*" and not pattern.startswith("/"):
            pattern = "/v1/" + pattern
        return fnmatch.fnmatchcase(route, pattern)

    def to_dict(self) -> dict[str, Any]:
        """The JSON form, leaving out fields at their defaults."""
        return {
            a.name: getattr(self, a.name)
            for a in attrs.fields(Fault)
            if getattr(self, a.name) != a.default or a.name == "kind"
        }


def parse_faults(text: str) -> list[Fault]:
    """Faults from JSON: one object or a list of them. Raises ValueError when malformed."""
    try:
        data = json.loads(text)
    except json.JSONDecodeError as e:
        raise ValueError(f"faults are not valid JSON: {e.msg}") from e
    items = data if isinstance(data, list) else [data]
    if not all(isinstance(item, dict) for item in items):
        raise ValueError("faults must be a JSON object or a list of objects")
    return [Fault.from_dict(item) for item in items]


def as_faults(faults: Sequence[Fault | Mapping[str, Any]] | None) -> list[Fault]:
    """Normalize a constructor or setter argument into faults."""
    return [f if isinstance(f, Fault) else Fault.from_dict(f) for f in faults or ()]


@attrs.define
class _Rule:
    fault: Fault
    rng: random.Random
    remaining: int | None
    delays: random.Random


def _taken(rule: _Rule) -> Fault:
    """*rule*'s fault, applied once more (one fewer of its ``times`` left)."""
    if rule.remaining is not None:
        rule.remaining -= 1
    return rule.fault


@attrs.define
class FaultInjector:
    """
    The active faults, their RNGs and remaining counts, and how often each kind fired. *clock*
    (epoch seconds) places the faults' windows: the emulator's clock.
    """

    seed: int
    clock: Callable[[], float] = attrs.field(default=time.time, kw_only=True)
    #: The spec paths requests can have (both APIs, every version): a fault whose glob
    #: matches none of them is refused, as it could never fire (empty: no check).
    routes: frozenset[str] = attrs.field(default=frozenset(), kw_only=True)
    _rules: list[_Rule] = attrs.field(factory=list)
    counts: Counter[str] = attrs.field(factory=Counter)
    _installed: float = attrs.field(default=0.0, init=False)

    def replace(self, faults: Sequence[Fault | Mapping[str, Any]] | None) -> None:
        """Install *faults*, with fresh RNGs and counters of remaining uses; their windows
        start now. Raises ValueError for a fault whose route matches no route of
        :attr:`routes`, and installs none."""
        found = as_faults(faults)
        for fault in found:
            self._check_route(fault)
        self._installed = self.clock()
        self._rules = [
            _Rule(
                f,
                random.Random(f"faults-{self.seed}-{i}"),
                f.times,
                random.Random(f"delays-{self.seed}-{i}"),
            )
            for i, f in enumerate(found)
        ]

    def _check_route(self, fault: Fault) -> None:
        if not self.routes or any(fault.applies_to(route) for route in self.routes):
            return
        examples = "connections/sync, jobs/*, /v1/jobs/get, /public/v1/jobs*"
        raise ValueError(
            f"the route {fault.route!r} of a fault ({fault.kind}) matches no route of the "
            f"emulator, so it would never fire: a route is a glob over spec paths ({examples}; "
            "without a leading / it is under /v1/, the Config API's), case sensitive"
        )

    @property
    def faults(self) -> list[Fault]:
        """The installed faults."""
        return [rule.fault for rule in self._rules]

    def delay(self, fault: Fault) -> float:
        """
        Seconds *fault* holds a request: its ``delay``, or a seeded uniform draw between
        ``delay`` and ``max_delay`` when that is set.
        """
        low = fault.delay or 0.0
        if fault.max_delay is None:
            return low
        rule = next((r for r in self._rules if r.fault is fault), None)
        return low if rule is None else rule.delays.uniform(low, fault.max_delay)

    def draw(self, route: str, kinds: frozenset[str], method: str | None = None) -> Fault | None:
        """
        The fault to apply to a request for *route*, among *kinds*, or None: the first listed
        of those that fire (see :meth:`_fired`).
        """
        fired = self._fired(route, kinds, method)
        return _taken(fired[0]) if fired else None

    def draw_pair(
        self, route: str, kinds: frozenset[str], method: str | None = None
    ) -> tuple[Fault | None, Fault | None]:
        """
        The faults to apply to a request for *route*, among *kinds*: a ``latency`` fault that
        fires (the first listed), which delays the request, and the first listed of the
        others that fire, which then shapes its answer (see :meth:`draw`). A slow answer is
        no reason for the server not to refuse it too.
        """
        fired = self._fired(route, kinds, method)
        delay = next((r for r in fired if r.fault.kind == "latency"), None)
        answer = next((r for r in fired if r.fault.kind != "latency"), None)
        return (
            None if delay is None else _taken(delay),
            None if answer is None else _taken(answer),
        )

    def _fired(self, route: str, kinds: frozenset[str], method: str | None) -> list[_Rule]:
        """
        The rules among *kinds* that fire on a request for *route*, in the order listed, those
        used up left out. Every matching rule draws, so one rule's outcome does not shift
        another's sequence.
        """
        fired = []
        elapsed = self.clock() - self._installed
        for rule in self._rules:
            if rule.fault.kind not in kinds or not rule.fault.applies_to(route, method):
                continue
            if not rule.fault.within(elapsed):
                continue
            if rule.rng.random() < rule.fault.rate and rule.remaining != 0:
                fired.append(rule)
        return fired

    def restart_faults(self) -> list[tuple[Fault, random.Random]]:
        """The scheduled-restart faults, each with its RNG for the jitter."""
        return [(r.fault, r.rng) for r in self._rules if r.fault.kind == "restart"]

    def record(self, kind: str) -> None:
        """Count one injection of *kind*."""
        self.counts[kind] += 1

    def unfired(self, fault: Fault) -> None:
        """
        Take back a drawn and counted *fault* that found nothing to act on (a ``cut_body``
        whose answer has no body): not counted, and its use (one of its ``times``) left for a
        later request.
        """
        self.counts[fault.kind] -= 1
        if not self.counts[fault.kind]:
            del self.counts[fault.kind]
        rule = next((r for r in self._rules if r.fault is fault), None)
        if rule is not None and rule.remaining is not None:
            rule.remaining += 1
