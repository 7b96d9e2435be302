"""Sources and their discovered schemas."""

from __future__ import annotations

from collections.abc import Collection, Mapping

import attrs

from ._actors import Actor
from ._catalog import Catalog, DestinationSyncMode, SyncMode
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
    A failed discovery is a value, not an exception. *sync_modes*, when discovery was asked
    about a destination, gives each stream's allowed pairs of read and write modes toward it,
    by the stream's name (``namespace.name`` when it has a namespace); None otherwise.
    """

    catalog: Catalog | None = None
    catalog_id: str | None = None
    breaking_change: bool | None = None
    job_info: SynchronousJob | None = attrs.field(default=None, repr=False)
    sync_modes: Mapping[str, tuple[tuple[SyncMode, DestinationSyncMode], ...]] | None = attrs.field(
        default=None, hash=False
    )

    @property
    def succeeded(self) -> bool:
        """True when the server returned a catalog."""
        return self.catalog is not None

    @property
    def failure(self) -> FailureReason | None:
        """Why discovery failed, when the server said."""
        return self.job_info.failure_reason if self.job_info is not None else None

    def _hiding(self, secrets: Collection[str]) -> DiscoveredSchema:
        """This result with its failure's texts hidden as :meth:`FailureReason._hiding` does."""
        if self.job_info is None:
            return self
        return attrs.evolve(self, job_info=self.job_info._hiding(secrets))
