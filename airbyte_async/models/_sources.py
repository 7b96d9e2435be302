"""Sources and their discovered schemas."""

from __future__ import annotations

import attrs

from ._actors import Actor
from ._catalog import Catalog
from ._jobs import FailureReason, SynchronousJob

__all__ = ["DiscoveredSchema", "Source"]


@attrs.frozen(kw_only=True)
class Source(Actor):
    """A configured source (``SourceRead``)."""

    source_id: str


@attrs.frozen(kw_only=True)
class DiscoveredSchema:
    """
    The result of a schema discovery (``SourceDiscoverSchemaRead``).

    *catalog* is None when discovery failed: :attr:`succeeded` and :attr:`failure` say why.
    A failed discovery is a value, not an exception.
    """

    catalog: Catalog | None = None
    catalog_id: str | None = None
    breaking_change: bool | None = None
    job_info: SynchronousJob | None = attrs.field(default=None, repr=False)

    @property
    def succeeded(self) -> bool:
        """True when the server returned a catalog."""
        return self.catalog is not None

    @property
    def failure(self) -> FailureReason | None:
        """Why discovery failed, when the server said."""
        return self.job_info.failure_reason if self.job_info is not None else None
