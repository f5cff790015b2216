"""Helpers for testing code that uses bricolage.security: a clock you control.

>>> from bricolage.security.testing import FrozenClock
>>> clock = FrozenClock(100.0)
>>> clock.now(), clock.monotonic()
(100.0, 0.0)
>>> clock.advance(5)
>>> clock.now(), clock.monotonic()
(105.0, 5.0)
"""

from __future__ import annotations

import threading
import warnings

__all__ = ["FrozenClock"]


class FrozenClock:
    """A clock that stands still until told to move; thread-safe.

    Pass it wherever a ``clock`` is accepted. ``now()`` starts at ``start`` and
    ``monotonic()`` at 0.0; :meth:`advance`, :meth:`sleep` and :meth:`async_sleep` move
    both, :meth:`set` moves the wall clock only (as when NTP corrects it). Every sleep is
    recorded in :attr:`sleeps`. Calling the clock returns :meth:`now`.

    >>> from bricolage.security.testing import FrozenClock
    >>> clock = FrozenClock()
    >>> clock.set(50); clock()
    50.0
    >>> clock.sleep(2); clock.now(), clock.monotonic(), clock.sleeps
    (52.0, 2.0, [2.0])
    """

    def __init__(self, start: float = 1_700_000_000.0, **legacy: float) -> None:
        if legacy:
            if set(legacy) != {"now"}:
                raise TypeError(f"unexpected keyword arguments {sorted(legacy)}")
            warnings.warn(
                "FrozenClock(now=...) is deprecated; use FrozenClock(start=...)",
                DeprecationWarning,
                stacklevel=2,
            )
            start = legacy["now"]
        self._now = float(start)
        self._monotonic = 0.0
        self._lock = threading.Lock()
        #: Every duration passed to :meth:`sleep` or :meth:`async_sleep`, in order.
        self.sleeps: list[float] = []

    def now(self) -> float:
        """The frozen wall time, in seconds since the epoch.

        >>> from bricolage.security.testing import FrozenClock
        >>> FrozenClock(7).now()
        7.0
        """
        with self._lock:
            return self._now

    def monotonic(self) -> float:
        """The frozen monotonic counter; starts at 0.0.

        >>> from bricolage.security.testing import FrozenClock
        >>> FrozenClock().monotonic()
        0.0
        """
        with self._lock:
            return self._monotonic

    def __call__(self) -> float:
        with self._lock:
            return self._now

    def advance(self, seconds: float) -> None:
        """Move both clocks forward by ``seconds`` (negative: :class:`ValueError`).

        >>> from bricolage.security.testing import FrozenClock
        >>> c = FrozenClock(0); c.advance(1.5); c()
        1.5
        """
        if seconds < 0:
            raise ValueError(f"a clock only moves forward; got seconds={seconds!r}")
        with self._lock:
            self._now += seconds
            self._monotonic += seconds

    def set(self, now: float) -> None:
        """Set the wall clock to ``now``; the monotonic counter does not move.

        >>> from bricolage.security.testing import FrozenClock
        >>> c = FrozenClock(); c.set(7); c.now(), c.monotonic()
        (7.0, 0.0)
        """
        with self._lock:
            self._now = float(now)

    def sleep(self, seconds: float) -> None:
        """Record the sleep and advance both clocks by ``seconds``; returns at once.

        >>> from bricolage.security.testing import FrozenClock
        >>> c = FrozenClock(0); c.sleep(3); c.sleeps
        [3.0]
        """
        self.advance(seconds)
        self.sleeps.append(float(seconds))

    async def async_sleep(self, seconds: float) -> None:
        """The awaitable :meth:`sleep`.

        >>> import asyncio
        >>> from bricolage.security.testing import FrozenClock
        >>> c = FrozenClock(0); asyncio.run(c.async_sleep(1)); c.now()
        1.0
        """
        self.sleep(seconds)

    def __repr__(self) -> str:
        return f"FrozenClock(now={self._now!r}, monotonic={self._monotonic!r})"
