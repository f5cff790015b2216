"""Helpers for testing code that uses bricolage.security: a clock you control.

>>> from bricolage.security.testing import FrozenClock
>>> clock = FrozenClock(100.0)
>>> clock()
100.0
>>> clock.advance(5)
>>> clock()
105.0
"""

from __future__ import annotations

import threading

__all__ = ["FrozenClock"]


class FrozenClock:
    """A clock that stands still until told to move; thread-safe.

    Pass it wherever a ``clock`` is accepted.

    >>> from bricolage.security.testing import FrozenClock
    >>> clock = FrozenClock()
    >>> clock.set(50); clock()
    50.0
    """

    def __init__(self, now: float = 1_700_000_000.0) -> None:
        self._now = float(now)
        self._lock = threading.Lock()

    def __call__(self) -> float:
        with self._lock:
            return self._now

    def advance(self, seconds: float) -> None:
        """Move the clock forward by ``seconds``.

        >>> from bricolage.security.testing import FrozenClock
        >>> c = FrozenClock(0); c.advance(1.5); c()
        1.5
        """
        if seconds < 0:
            raise ValueError(f"a clock only moves forward; got seconds={seconds!r}")
        with self._lock:
            self._now += seconds

    def set(self, now: float) -> None:
        """Set the clock to ``now``.

        >>> from bricolage.security.testing import FrozenClock
        >>> c = FrozenClock(); c.set(7); c()
        7.0
        """
        with self._lock:
            self._now = float(now)
