"""Injected time: every time-dependent decision takes a clock."""

from __future__ import annotations

import time
from collections.abc import Callable

#: A clock returns the current Unix time in seconds.
Clock = Callable[[], float]


def system_clock() -> float:
    """The wall clock, ``time.time()``.

    >>> from bricolage.security import system_clock
    >>> system_clock() > 1_700_000_000
    True
    """
    return time.time()
