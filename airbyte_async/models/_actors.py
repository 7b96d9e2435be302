"""What sources and destinations (Airbyte's "actors") have in common, and connection checks."""

from __future__ import annotations

from collections.abc import Collection
from datetime import datetime

import attrs

from .._secrets import masked_text, redacted_repr
from ._common import JsonObject, OpenEnum
from ._jobs import SynchronousJob

__all__ = ["ActorStatus", "CheckResult", "CheckStatus"]


class ActorStatus(OpenEnum):
    """Whether an actor has at least one active or manual connection (recent servers)."""

    ACTIVE = "active"
    INACTIVE = "inactive"


class CheckStatus(OpenEnum):
    """The outcome a connection check reports."""

    SUCCEEDED = "succeeded"
    FAILED = "failed"


@attrs.frozen(kw_only=True)
class Actor:
    """
    Fields sources and destinations share.

    *configuration* is the connector configuration exactly as the server sent it; secrets come
    back masked by the server and are also hidden from ``repr``. *definition_id* and
    *definition_name* name the connector definition; *connector_type* is the public REST API's
    ``sourceType`` / ``destinationType`` (``"postgres"``), which the Config API does not send.
    """

    workspace_id: str
    name: str
    definition_id: str
    definition_name: str | None = None
    configuration: JsonObject = attrs.field(factory=dict, repr=redacted_repr, hash=False)
    created_at: datetime | None = None
    icon: str | None = attrs.field(default=None, repr=False)
    status: ActorStatus | None = None
    num_connections: int | None = None
    last_sync: datetime | None = None
    is_version_override_applied: bool | None = None
    is_entitled: bool | None = None
    connector_type: str | None = None


@attrs.frozen(kw_only=True)
class CheckResult:
    """
    The outcome of a connection check. A failed check is a value, not an exception.

    Servers report ``status`` and ``message`` when the check job ran; when the job itself
    failed they send only the job, whose ``succeeded`` and ``failureReason`` then tell.
    """

    status: CheckStatus | None = None
    _message: str | None = attrs.field(default=None, repr=redacted_repr)
    job_info: SynchronousJob | None = attrs.field(default=None, repr=False)

    @property
    def succeeded(self) -> bool:
        """True when the connector could connect with its configuration."""
        if self.status is not None:
            return self.status is CheckStatus.SUCCEEDED
        return self.job_info is not None and self.job_info.succeeded

    @property
    def message(self) -> str | None:
        """
        The server's message, else the failure of the check job as ``origin/type: text``;
        with the password of any URL and the secret-keyed parameters it quotes masked, as in
        ``repr``: a connector's failure quotes its configuration.
        """
        if self._message:
            return masked_text(self._message)
        if self.job_info is not None and self.job_info.failure_reason is not None:
            return self.job_info.failure_reason.describe()
        return None

    def _hiding(self, secrets: Collection[str]) -> CheckResult:
        """This result with each of *secrets* its texts quote masked, and what
        :func:`~airbyte_async._secrets.masked_text` masks in any message."""
        return attrs.evolve(
            self,
            message=None if self._message is None else masked_text(self._message, secrets),
            job_info=None if self.job_info is None else self.job_info._hiding(secrets),
        )
