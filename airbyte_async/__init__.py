"""
airbyte-async: an asyncio client for Airbyte's Config API and public REST API, and an
orchestrator for many syncs.

Start with :class:`AirbyteClient` (``async with AirbyteClient(url) as client``) and, for many
connections at once, :class:`Orchestrator`. This namespace holds what nearly every script needs;
the rest has one home each: every model in :mod:`airbyte_async.models`, every error in
:mod:`airbyte_async.errors`, the orchestrator's names in :mod:`airbyte_async.orchestrator`, the
emulator for tests in :mod:`airbyte_async.testing`.

Importing this package imports none of that: each name is imported from its home module when
first used (``from airbyte_async import AirbyteClient``, ``airbyte_async.Orchestrator``), so a
program that needs only part of the library, the command line first, starts without the rest.
"""

from importlib import import_module
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    # The modules of _SUBMODULES, attributes of the package for type checkers too (pyright's
    # strict mode refuses ``airbyte_async.catalog`` otherwise): re-exported, as ``x as x`` says.
    from . import catalog as catalog
    from . import errors as errors
    from . import models as models
    from . import orchestrator as orchestrator
    from . import resources as resources
    from ._auth import Auth, BasicAuth, BearerToken, ClientCredentials, NoAuth
    from ._client import AirbyteClient
    from ._retry import RetryBudget, RetryPolicy
    from .errors import (
        AirbyteError,
        APIError,
        InvalidArgumentError,
        LookupFailedError,
        NotFoundError,
        ResponseValidationError,
        SyncAlreadyRunningError,
        TransportError,
    )
    from .models import (
        Connection,
        Destination,
        DestinationSyncMode,
        Job,
        JobStatus,
        JobType,
        Source,
        SyncMode,
        Workspace,
    )
    from .orchestrator import (
        EventKind,
        OnRunning,
        Orchestrator,
        Outcome,
        Selection,
        SyncEvent,
        SyncResult,
        SyncTarget,
    )

__all__ = [
    # the client
    "AirbyteClient",
    "Auth",
    "BasicAuth",
    "BearerToken",
    "ClientCredentials",
    "NoAuth",
    "RetryBudget",
    "RetryPolicy",
    # the orchestrator
    "Orchestrator",
    "OnRunning",
    "Outcome",
    "Selection",
    "SyncEvent",
    "EventKind",
    "SyncResult",
    "SyncTarget",
    # the errors callers catch (the whole tree: airbyte_async.errors)
    "AirbyteError",
    "InvalidArgumentError",
    "LookupFailedError",
    "TransportError",
    "APIError",
    "NotFoundError",
    "SyncAlreadyRunningError",
    "ResponseValidationError",
    # the models every script meets (all of them: airbyte_async.models)
    "Workspace",
    "Source",
    "Destination",
    "Connection",
    "Job",
    "JobStatus",
    "JobType",
    "SyncMode",
    "DestinationSyncMode",
]


#: The module each name of ``__all__`` is imported from (as under TYPE_CHECKING above).
_HOMES = {
    name: module
    for module, names in {
        "._auth": ("Auth", "BasicAuth", "BearerToken", "ClientCredentials", "NoAuth"),
        "._client": ("AirbyteClient",),
        "._retry": ("RetryBudget", "RetryPolicy"),
        ".errors": (
            "AirbyteError",
            "APIError",
            "InvalidArgumentError",
            "LookupFailedError",
            "NotFoundError",
            "ResponseValidationError",
            "SyncAlreadyRunningError",
            "TransportError",
        ),
        ".models": (
            "Connection",
            "Destination",
            "DestinationSyncMode",
            "Job",
            "JobStatus",
            "JobType",
            "Source",
            "SyncMode",
            "Workspace",
        ),
        ".orchestrator": (
            "EventKind",
            "OnRunning",
            "Orchestrator",
            "Outcome",
            "Selection",
            "SyncEvent",
            "SyncResult",
            "SyncTarget",
        ),
    }.items()
    for name in names
}
#: The public modules that were attributes of the package when importing it imported them all.
_SUBMODULES = ("catalog", "errors", "models", "orchestrator", "resources")


def _import_on_first_use(name: str) -> object:
    """A name of ``__all__``, or a module of ``_SUBMODULES``, imported and kept; any other name
    raises AttributeError."""
    if name in _HOMES:
        value: object = getattr(import_module(_HOMES[name], __name__), name)
    elif name in _SUBMODULES:
        value = import_module(f".{name}", __name__)
    else:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    globals()[name] = value
    return value


if not TYPE_CHECKING:
    # Hidden from type checkers, which would otherwise take any misspelt name for an object.
    __getattr__ = _import_on_first_use


def __dir__() -> list[str]:
    """What the package holds, whether imported yet or not."""
    return sorted({*globals(), *__all__, *_SUBMODULES})
