"""
airbyte-async: an asyncio client for Airbyte's Config API and public REST API, and an
orchestrator for many syncs.

Start with :class:`AirbyteClient` (``async with AirbyteClient(url) as client``) and, for many
connections at once, :class:`Orchestrator`. This namespace holds what nearly every script needs;
the rest has one home each: every model in :mod:`airbyte_async.models`, every error in
:mod:`airbyte_async.errors`, the orchestrator's names in :mod:`airbyte_async.orchestrator`, the
emulator for tests in :mod:`airbyte_async.testing`.
"""

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
