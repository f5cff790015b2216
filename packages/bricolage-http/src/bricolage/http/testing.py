"""Helpers for testing code that uses ``bricolage.http``: a clock you move by hand.

Pass a :class:`FrozenClock` as the ``clock`` of the transports and of
:class:`~bricolage.http.RetryBudget`; time passes only when the test says so, and retries
"sleep" at once, recording each delay.

>>> from bricolage.http.testing import FrozenClock
>>> clock = FrozenClock(start=1000.0)
>>> clock.advance(30); clock.now(), clock.monotonic()
(1030.0, 30.0)
"""

from __future__ import annotations

import threading

__all__ = ["FrozenClock"]


class FrozenClock:
    """A :class:`~bricolage.http.Clock` that only moves when told.

    ``now()`` starts at ``start`` and ``monotonic()`` at ``0.0``; :meth:`advance` moves both,
    :meth:`set` jumps the wall clock only. ``sleep`` and ``async_sleep`` advance both at once
    instead of waiting and append each delay to ``sleeps``. Calling the clock returns
    ``now()``, so it also fits where a plain time function is taken.

    >>> from bricolage.http.testing import FrozenClock
    >>> clock = FrozenClock()
    >>> clock.sleep(1.5); clock.now(), clock.monotonic(), clock.sleeps
    (1700000001.5, 1.5, [1.5])
    >>> clock()
    1700000001.5
    """

    def __init__(self, start: float = 1_700_000_000.0) -> None:
        self._now = float(start)
        self._monotonic = 0.0
        self._lock = threading.Lock()
        self.sleeps: list[float] = []

    def now(self) -> float:
        """Wall-clock seconds: ``start`` plus what has elapsed (and any :meth:`set`)."""
        return self._now

    def monotonic(self) -> float:
        """Seconds elapsed since the clock was made (advances and sleeps only)."""
        return self._monotonic

    def __call__(self) -> float:
        return self._now

    def advance(self, seconds: float) -> None:
        """Move both clocks forward by ``seconds``; going back is a ``ValueError``.

        >>> from bricolage.http.testing import FrozenClock
        >>> clock = FrozenClock(start=0.0); clock.advance(2); clock.now()
        2.0
        """
        if seconds < 0:
            raise ValueError(f"a clock cannot go back: advance({seconds!r})")
        with self._lock:
            self._now += seconds
            self._monotonic += seconds

    def set(self, now: float) -> None:
        """Jump the wall clock to ``now`` (either way); the monotonic clock stays.

        >>> from bricolage.http.testing import FrozenClock
        >>> clock = FrozenClock(start=100.0); clock.set(50.0); clock.now(), clock.monotonic()
        (50.0, 0.0)
        """
        with self._lock:
            self._now = float(now)

    def sleep(self, seconds: float) -> None:
        """Record ``seconds`` in ``sleeps`` and advance both clocks by it, at once.

        >>> from bricolage.http.testing import FrozenClock
        >>> clock = FrozenClock(start=0.0); clock.sleep(3); clock.sleeps
        [3]
        """
        self.sleeps.append(seconds)
        self.advance(seconds)

    async def async_sleep(self, seconds: float) -> None:
        """The awaitable flavour of :meth:`sleep`.

        >>> from bricolage.http.testing import FrozenClock
        >>> import anyio
        >>> clock = FrozenClock(start=0.0); anyio.run(clock.async_sleep, 3.0); clock.now()
        3.0
        """
        self.sleep(seconds)
