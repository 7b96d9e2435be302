"""
The typed models airbyte-async returns: frozen attrs classes with snake_case names.

The wire format (camelCase, epoch seconds, the API's odd keys) lives in
:mod:`airbyte_async._serde` only. Enums keep values they do not know (see
:class:`~airbyte_async.models.OpenEnum`). Large, rarely used parts (catalogs, logs,
per-stream counters) are read on first use (see :class:`~airbyte_async.models.Deferred`).
"""

from ._actors import Actor, ActorStatus, CheckResult, CheckStatus
from ._catalog import (
    Catalog,
    DestinationSyncMode,
    SelectedField,
    Stream,
    StreamAndConfig,
    StreamConfig,
    SyncMode,
)
from ._common import Deferred, JsonObject, OpenEnum, StreamDescriptor
from ._connections import (
    BasicSchedule,
    Connection,
    ConnectionSettings,
    ConnectionSettingsArgs,
    ConnectionStatus,
    CronSchedule,
    NamespaceDefinition,
    NonBreakingChangesPreference,
    Schedule,
    ScheduleData,
    ScheduleType,
    StreamProgress,
    SyncProgress,
    Tag,
    TimeUnit,
    describe_schedule,
)
from ._definitions import (
    DefinitionSpecification,
    DestinationDefinition,
    ReleaseStage,
    SourceDefinition,
    SupportLevel,
)
from ._destinations import Destination
from ._ensured import EnsureAction, Ensured
from ._jobs import (
    Attempt,
    AttemptLogs,
    AttemptStats,
    AttemptStatus,
    FailureOrigin,
    FailureReason,
    FailureSummary,
    FailureType,
    Job,
    JobPage,
    JobStatus,
    JobType,
    LogEvent,
    RefreshMode,
    StreamAttemptStats,
    StreamStats,
    SynchronousJob,
)
from ._sources import DiscoveredSchema, Source
from ._workspaces import Health, InstanceConfiguration, Workspace

__all__ = [
    # workspaces and the server
    "Health",
    "InstanceConfiguration",
    "Workspace",
    # definitions
    "DefinitionSpecification",
    "DestinationDefinition",
    "ReleaseStage",
    "SourceDefinition",
    "SupportLevel",
    # sources and destinations
    "Actor",
    "ActorStatus",
    "CheckResult",
    "CheckStatus",
    "Destination",
    "DiscoveredSchema",
    "Source",
    # catalog
    "Catalog",
    "DestinationSyncMode",
    "SelectedField",
    "Stream",
    "StreamAndConfig",
    "StreamConfig",
    "SyncMode",
    # connections
    "BasicSchedule",
    "Connection",
    "ConnectionSettings",
    "ConnectionSettingsArgs",
    "ConnectionStatus",
    "CronSchedule",
    "NamespaceDefinition",
    "NonBreakingChangesPreference",
    "Schedule",
    "ScheduleData",
    "ScheduleType",
    "StreamProgress",
    "SyncProgress",
    "Tag",
    "TimeUnit",
    "describe_schedule",
    # ensure
    "EnsureAction",
    "Ensured",
    # jobs
    "Attempt",
    "AttemptLogs",
    "AttemptStats",
    "AttemptStatus",
    "FailureOrigin",
    "FailureReason",
    "FailureSummary",
    "FailureType",
    "Job",
    "JobPage",
    "JobStatus",
    "JobType",
    "LogEvent",
    "RefreshMode",
    "StreamAttemptStats",
    "StreamStats",
    "SynchronousJob",
    # building blocks
    "Deferred",
    "JsonObject",
    "OpenEnum",
    "StreamDescriptor",
]
