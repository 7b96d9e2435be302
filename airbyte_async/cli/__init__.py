"""The ``airbyte-async`` command line; :func:`main` is the console script."""

from ._app import main

__all__ = ["main"]
