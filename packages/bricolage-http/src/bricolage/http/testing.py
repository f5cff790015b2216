"""Helpers for testing code that uses ``bricolage.http``: a clock you move by hand.

Inject :class:`FrozenClock` as the ``clock`` (and its :meth:`FrozenClock.sleep` as the
``sleep``) of the transports, and time passes only when the test says so.

>>> from bricolage.http.testing import FrozenClock
>>> clock = FrozenClock(1000.0)
>>> clock.advance(30); clock()
1030.0
"""

from __future__ import annotations

import threading

__all__ = ["FrozenClock"]


class FrozenClock:
    """A clock that only moves when told; usable as ``clock``, ``sleep`` and async sleep.

    ``sleep`` and ``async_sleep`` advance the clock instead of waiting and record each
    delay in ``sleeps``.

    >>> from bricolage.http.testing import FrozenClock
    >>> clock = FrozenClock()
    >>> clock.sleep(1.5); clock(), clock.sleeps
    (1.5, [1.5])
    """

    def __init__(self, start: float = 0.0) -> None:
        self._now = float(start)
        self._lock = threading.Lock()
        self.sleeps: list[float] = []

    def __call__(self) -> float:
        return self._now

    def advance(self, seconds: float) -> None:
        """Move the clock forward by ``seconds``.

        >>> from bricolage.http.testing import FrozenClock
        >>> clock = FrozenClock(); clock.advance(2); clock()
        2.0
        """
        if seconds < 0:
            raise ValueError(f"a clock cannot go back: advance({seconds!r})")
        with self._lock:
            self._now += seconds

    def sleep(self, seconds: float) -> None:
        """Record ``seconds`` and advance the clock by it, at once."""
        self.sleeps.append(seconds)
        self.advance(seconds)

    async def async_sleep(self, seconds: float) -> None:
        """The awaitable flavour of :meth:`sleep`.

        >>> from bricolage.http.testing import FrozenClock
        >>> import anyio
        >>> clock = FrozenClock(); anyio.run(clock.async_sleep, 3.0); clock()
        3.0
        """
        self.sleep(seconds)
