"""
The resource namespaces of :class:`~airbyte_async.AirbyteClient`: ``client.sources`` and so on.

Each is a frozen attrs class over one :class:`~airbyte_async.resources._base.Request` callable:
keyword arguments in, a model out. ``list`` methods are async iterators over every page.
"""

from .connections import Connections
from .definitions import DestinationDefinitions, SourceDefinitions
from .destinations import Destinations
from .jobs import Jobs
from .sources import Sources
from .workspaces import Workspaces

__all__ = [
    "Workspaces",
    "SourceDefinitions",
    "DestinationDefinitions",
    "Sources",
    "Destinations",
    "Connections",
    "Jobs",
]
