"""Connections, their schedules and their live sync progress."""

from __future__ import annotations

from datetime import datetime
from typing import TypedDict

import attrs

from .._checks import LONG_MAX, whole
from ._catalog import Catalog
from ._common import Deferred, OpenEnum, resolved
from ._jobs import JobType

__all__ = [
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
]


class ConnectionStatus(OpenEnum):
    """A connection's status; deleting a connection makes it ``deprecated``. ``locked`` is 2.x+."""

    ACTIVE = "active"
    INACTIVE = "inactive"
    DEPRECATED = "deprecated"
    LOCKED = "locked"


class TimeUnit(OpenEnum):
    """The unit of a basic (every N units) schedule."""

    MINUTES = "minutes"
    HOURS = "hours"
    DAYS = "days"
    WEEKS = "weeks"
    MONTHS = "months"


class ScheduleType(OpenEnum):
    """How a connection is scheduled: by hand, every N units, or by a cron expression."""

    MANUAL = "manual"
    BASIC = "basic"
    CRON = "cron"


class NamespaceDefinition(OpenEnum):
    """Where synced streams land: the source's namespace, the destination's, or a custom format."""

    SOURCE = "source"
    DESTINATION = "destination"
    CUSTOM_FORMAT = "customformat"


class NonBreakingChangesPreference(OpenEnum):
    """What the server does when the source schema changes without breaking the connection."""

    IGNORE = "ignore"
    DISABLE = "disable"
    PROPAGATE_COLUMNS = "propagate_columns"
    PROPAGATE_FULLY = "propagate_fully"


@attrs.frozen(kw_only=True)
class Schedule:
    """
    The legacy schedule: every *units* *time_unit*.

    Servers still report it for basic schedules and accept it on create; ``connections/update``
    rejects it, so airbyte-async always sends schedules as *schedule_type* + *schedule_data*.
    *units* is a whole number a Long holds (int64 in the specs; the server's Jackson refuses
    a larger one with a 422).
    """

    units: int = attrs.field(validator=lambda _, __, value: _units(value))
    time_unit: TimeUnit


@attrs.frozen(kw_only=True)
class BasicSchedule:
    """Every *units* *time_unit*; *units* is a whole number a Long holds (int64)."""

    time_unit: TimeUnit
    units: int = attrs.field(validator=lambda _, __, value: _units(value))


def _units(value: object) -> None:
    whole("units", value, minimum=-LONG_MAX - 1, maximum=LONG_MAX)


@attrs.frozen(kw_only=True)
class CronSchedule:
    """A Quartz cron expression and the time zone it runs in (``"UTC"``, ``"Europe/Berlin"``)."""

    cron_expression: str
    cron_time_zone: str


@attrs.frozen(kw_only=True)
class ScheduleData:
    """The details for a basic or cron schedule; a manual schedule has none."""

    basic_schedule: BasicSchedule | None = None
    cron: CronSchedule | None = None


@attrs.frozen(kw_only=True)
class Tag:
    """A tag of a workspace, set on connections to group them (``Tag``, recent servers)."""

    tag_id: str
    name: str
    workspace_id: str | None = None
    color: str | None = None


@attrs.frozen(kw_only=True)
class ConnectionSettings:
    """
    The settings of a connection that create, update and ensure take, and a plan holds: the
    streams to sync (*sync_catalog*), the schedule, the status, where streams land, and what
    to do on a non-breaking schema change.

    None leaves a setting out: create uses the server's default (an active, manual
    connection), update and ensure leave it as it is. Only what is set goes on the wire.
    """

    sync_catalog: Catalog | None = None
    schedule_type: ScheduleType | None = None
    schedule_data: ScheduleData | None = None
    status: ConnectionStatus | None = None
    namespace_definition: NamespaceDefinition | None = None
    namespace_format: str | None = None
    prefix: str | None = None
    non_breaking_changes_preference: NonBreakingChangesPreference | None = None


class ConnectionSettingsArgs(TypedDict, total=False):
    """:class:`ConnectionSettings` as keyword arguments (``**settings`` of the resource methods)."""

    sync_catalog: Catalog | None
    schedule_type: ScheduleType | None
    schedule_data: ScheduleData | None
    status: ConnectionStatus | None
    namespace_definition: NamespaceDefinition | None
    namespace_format: str | None
    prefix: str | None
    non_breaking_changes_preference: NonBreakingChangesPreference | None


@attrs.frozen(kw_only=True)
class Connection:
    """
    A connection from a source to a destination (``ConnectionRead``).

    *schedule* is the legacy form, present for basic schedules only; *schedule_type* and
    *schedule_data* are authoritative. *workspace_id* and *created_at* are absent on old servers.
    :attr:`sync_catalog` is read from the answer on first use (see
    :class:`~airbyte_async.models.Deferred`).
    """

    connection_id: str
    name: str
    source_id: str
    destination_id: str
    status: ConnectionStatus
    _sync_catalog: Catalog | Deferred[Catalog] = attrs.field(
        alias="sync_catalog", factory=Catalog, repr=False, eq=resolved
    )
    workspace_id: str | None = None
    schedule_type: ScheduleType | None = None
    schedule_data: ScheduleData | None = None
    schedule: Schedule | None = None
    namespace_definition: NamespaceDefinition | None = None
    namespace_format: str | None = None
    prefix: str | None = None
    operation_ids: tuple[str, ...] = ()
    source_catalog_id: str | None = None
    destination_catalog_id: str | None = None
    breaking_change: bool | None = None
    status_reason: str | None = None
    notify_schema_changes: bool | None = None
    non_breaking_changes_preference: NonBreakingChangesPreference | None = None
    geography: str | None = None
    dataplane_group_id: str | None = None
    created_at: datetime | None = None
    #: The connection's tags; None from a server that does not report any (before tags came).
    tags: tuple[Tag, ...] | None = None

    @property
    def sync_catalog(self) -> Catalog:
        """The streams this connection syncs and how; may raise ResponseValidationError once."""
        return resolved(self._sync_catalog)

    @property
    def effective_schedule(self) -> tuple[ScheduleType, ScheduleData | None]:
        """
        The schedule as *schedule_type* and *schedule_data*, whichever form the server sent:
        a legacy *schedule* alone reads as basic, no schedule at all as manual.
        """
        if self.schedule_type is not None:
            return self.schedule_type, self.schedule_data
        if self.schedule is not None:
            basic = BasicSchedule(time_unit=self.schedule.time_unit, units=self.schedule.units)
            return ScheduleType.BASIC, ScheduleData(basic_schedule=basic)
        return ScheduleType.MANUAL, None

    @property
    def schedule_description(self) -> str:
        """In words: ``"manual"``, ``"every 6 hours"``, ``"cron 0 0 3 * * ? (UTC)"``."""
        return describe_schedule(*self.effective_schedule)


def describe_schedule(schedule_type: ScheduleType | None, data: ScheduleData | None) -> str:
    """A schedule in words, as :attr:`Connection.schedule_description` gives it."""
    if data is not None and schedule_type is not ScheduleType.MANUAL:
        if data.basic_schedule is not None:
            units, unit = data.basic_schedule.units, str(data.basic_schedule.time_unit)
            return f"every {units} {unit.removesuffix('s') if units == 1 else unit}"
        if data.cron is not None:
            return f"cron {data.cron.cron_expression} ({data.cron.cron_time_zone})"
    return str(schedule_type or ScheduleType.MANUAL)


@attrs.frozen(kw_only=True)
class StreamProgress:
    """One stream's counters in the running sync."""

    stream_name: str
    stream_namespace: str | None = None
    records_emitted: int | None = None
    records_committed: int | None = None
    records_rejected: int | None = None
    bytes_emitted: int | None = None
    bytes_committed: int | None = None


@attrs.frozen(kw_only=True)
class SyncProgress:
    """Live counters of a connection's current sync (``ConnectionSyncProgressRead``)."""

    connection_id: str
    job_id: int | None = None
    config_type: JobType | None = None
    sync_started_at: datetime | None = None
    records_emitted: int | None = None
    records_committed: int | None = None
    records_rejected: int | None = None
    bytes_emitted: int | None = None
    bytes_committed: int | None = None
    streams: tuple[StreamProgress, ...] = ()
