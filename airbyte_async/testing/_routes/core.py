"""
What every route module shares: the :class:`Api` handlers work on, :class:`Reply`, and the
route table.

A handler is ``async def handler(api: Api, body: Body) -> Reply``, registered for a spec path
and the versions that have it with :func:`route` (a decorator) or :func:`add`. It gets a
validated body and raises :class:`~airbyte_async.testing._errors.ApiError` for the real
server's error answers.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from typing import Any, TypeVar

import attrs

from .._auth import AuthPolicy, TokenMinter
from .._clock import Clock, WallClock
from .._load import SchedulerThreads, TriggerLoad
from .._state import Connection, State
from .._stats import Observer
from .._versions import VERSIONS

__all__ = [
    "ALL",
    "ROUTES",
    "SINCE_050",
    "SINCE_17",
    "UNTIL_050",
    "Api",
    "Body",
    "Handler",
    "Reply",
    "Route",
    "add",
    "check_route",
    "page",
    "route",
]

ALL = VERSIONS
SINCE_050 = VERSIONS[1:]
SINCE_17 = VERSIONS[2:]
UNTIL_050 = ("0.40", "0.50")

Body = dict[str, Any]


@attrs.frozen
class Reply:
    """
    A handler's answer: a JSON body (None for 204) and its status, or the body already encoded
    as *raw* JSON bytes.
    """

    body: Any = None
    status: int = 200
    raw: bytes | None = None


@attrs.define
class Api:
    """What the handlers work on: one :class:`State`, the version served, and its settings."""

    state: State
    version: str
    observer: Observer
    log_format: str = "structured"
    auth: AuthPolicy | None = None
    minter: TokenMinter | None = None
    load: TriggerLoad = attrs.field(factory=TriggerLoad)
    #: The scheduler executor's threads, which triggers and cancels wait for (see ``_load``).
    threads: SchedulerThreads = attrs.field(
        default=attrs.Factory(lambda api: SchedulerThreads(api.load.capacity), takes_self=True)
    )
    #: Seconds a cancel takes to stop its job, as the real call waits for it (API-FACTS 6.3b).
    cancel_latency: float = 0.2
    #: Start the jobs of basic and cron schedules, as Airbyte's scheduler does (see ``_schedule``).
    scheduler: bool = False
    #: The caller holds every role on every workspace (see ``Emulator.instance_admin``).
    instance_admin: bool = True
    clock: Clock = attrs.field(factory=WallClock)
    base_url: str = ""
    #: Encoded connections by id, and encoded catalogs by object id (see ``connections``).
    encoded: dict[str, tuple[Connection, bytes]] = attrs.field(init=False, factory=dict)
    catalogs: dict[int, tuple[Mapping[str, Any], bytes]] = attrs.field(init=False, factory=dict)

    @property
    def now(self) -> float:
        """The clock's reading."""
        return self.clock()

    def catch_up(self) -> None:
        """With *scheduler*, create the scheduled jobs due by now; before any request acts."""
        if self.scheduler:
            self.state.run_schedules(latency=self.load.latency)


Handler = Callable[[Api, Body], Awaitable[Reply]]
H = TypeVar("H", bound=Handler)


@attrs.frozen
class Route:
    """A route: its spec path, HTTP method, versions, handler, and whether auth applies."""

    path: str
    method: str
    versions: tuple[str, ...]
    handler: Handler
    public: bool = False


#: Every emulated route by spec path (``/v1/...``, ``/public/v1/...``).
ROUTES: dict[str, Route] = {}


def add(
    path: str,
    handler: Handler,
    versions: tuple[str, ...] = ALL,
    *,
    method: str = "POST",
    public: bool = False,
) -> None:
    """Register *handler* for *path* in *versions*."""
    if path in ROUTES:
        raise ValueError(f"{path} is already routed")
    ROUTES[path] = Route(path, method, versions, handler, public)


def route(
    path: str, versions: tuple[str, ...] = ALL, *, method: str = "POST", public: bool = False
) -> Callable[[H], H]:
    """Register the decorated handler for *path* in *versions*."""

    def register(handler: H) -> H:
        add(path, handler, versions, method=method, public=public)
        return handler

    return register


def check_route(route_path: str, version: str) -> Route | None:
    """The route for *route_path* in *version*, or None when the version has no such route."""
    found = ROUTES.get(route_path)
    return found if found is not None and version in found.versions else None


def page(items: list[Any], pagination: Mapping[str, Any] | None, default: int) -> list[Any]:
    """The offset page of *items* that *pagination* asks for (*default* items by default)."""
    pagination = pagination or {}
    size = pagination.get("pageSize") or default
    offset = pagination.get("rowOffset") or 0
    return items[offset : offset + size]
