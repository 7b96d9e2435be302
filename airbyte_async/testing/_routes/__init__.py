"""
The Config API routes, grouped by area: which versions have each one, and what each does to
the state.

- ``core``: :class:`Api` (what handlers work on), :class:`Reply`, the route table and
  :func:`route` / :func:`add` to register a handler.
- ``instance``: health and the instance configuration.
- ``workspaces``, ``definitions``, ``actors`` (sources and destinations, written once),
  ``connections`` (with the triggers), ``jobs``, ``applications`` (tokens).

Importing this package registers every route. A new area (the public REST API, say) is a
module that registers its handlers with :func:`route` and is imported here. HTTP plumbing
(auth, faults, recording, JSON) lives in ``_app``.
"""

from __future__ import annotations

from . import actors, applications, connections, definitions, instance, jobs, workspaces
from .connections import create_job, reset_job, run_job
from .core import ROUTES, Api, Reply, Route, add, check_route, route
from .jobs import cancel

__all__ = [
    "ROUTES",
    "Api",
    "Reply",
    "Route",
    "add",
    "cancel",
    "check_route",
    "create_job",
    "route",
    "reset_job",
    "run_job",
]

_AREAS = (actors, applications, connections, definitions, instance, jobs, workspaces)
