"""Checks of the numbers callers pass in: each failure is an InvalidArgumentError naming it."""

from __future__ import annotations

import math

from .errors import InvalidArgumentError

__all__ = ["seconds", "whole"]


def seconds(name: str, value: object) -> float:
    """*value* as a float when it is a finite number of seconds above 0."""
    if (
        isinstance(value, bool)
        or not isinstance(value, int | float)
        or not (value > 0 and math.isfinite(value))
    ):
        raise InvalidArgumentError(f"{name} must be a number of seconds above 0, got {value!r}")
    return float(value)


def whole(name: str, value: object, *, minimum: int) -> int:
    """*value* when it is a whole number (not a bool) of at least *minimum*."""
    if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
        raise InvalidArgumentError(f"{name} must be a whole number >= {minimum}, got {value!r}")
    return value
