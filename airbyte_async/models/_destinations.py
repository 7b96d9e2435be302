"""Destinations."""

from __future__ import annotations

import attrs

from ._actors import Actor

__all__ = ["Destination"]


@attrs.frozen(kw_only=True)
class Destination(Actor):
    """A configured destination (``DestinationRead``)."""

    destination_id: str
