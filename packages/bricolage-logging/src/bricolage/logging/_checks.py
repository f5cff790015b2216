"""Argument checks shared by the public constructors: clear errors for bad values."""

from __future__ import annotations

import math

from bricolage.logging.errors import ConfigurationError


def whole_number(name: str, value: object, *, minimum: int) -> int:
    """``value`` as an ``int`` of at least ``minimum``, or a :class:`ConfigurationError`."""
    if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
        raise ConfigurationError(f"{name} must be a whole number >= {minimum}, got {value!r}")
    return value


def positive_number(name: str, value: object, *, unit: str = "") -> float:
    """``value`` as a finite ``float`` above zero, or a :class:`ConfigurationError`."""
    if (
        isinstance(value, bool)
        or not isinstance(value, int | float)
        or not math.isfinite(value)
        or value <= 0
    ):
        what = f"a positive number{' of ' + unit if unit else ''}"
        raise ConfigurationError(f"{name} must be {what}, got {value!r}")
    return float(value)
