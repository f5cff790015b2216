"""Helpers for testing code that uses bricolage.jobs: a clock you move, a private Redis.

>>> clock = FrozenClock(100.0)
>>> clock.advance(5)
>>> clock.now(), clock.monotonic()
(105.0, 5.0)
"""

from __future__ import annotations

import shutil
import socket
import subprocess
import tempfile
import time
from pathlib import Path
from types import TracebackType

import anyio.lowlevel

from bricolage.jobs.errors import ConfigurationError

__all__ = ["FrozenClock", "RedisServer", "free_port"]


class FrozenClock:
    """A clock that stands still until a test moves it: a :class:`~bricolage.jobs.Clock`.

    ``now()`` starts at ``start`` (wall seconds since the epoch) and ``monotonic()`` at
    0.0; :meth:`advance`, :meth:`sleep` and :meth:`async_sleep` move both, :meth:`set`
    jumps the wall clock alone (as a system clock adjusted by NTP would). Every sleep is
    recorded in :attr:`sleeps`. Calling the clock returns ``now()``, so it also fits
    where a ``Callable[[], float]`` is taken (``Queue(url, clock=FrozenClock())``).

    >>> clock = FrozenClock()
    >>> clock.now(), clock.monotonic()
    (1700000000.0, 0.0)
    >>> clock.sleep(1.5)
    >>> clock(), clock.monotonic(), clock.sleeps
    (1700000001.5, 1.5, [1.5])
    >>> clock.set(1_800_000_000.0)
    >>> clock.now(), clock.monotonic()
    (1800000000.0, 1.5)
    """

    def __init__(self, start: float = 1_700_000_000.0) -> None:
        self._now = float(start)
        self._monotonic = 0.0
        self.sleeps: list[float] = []
        """Every :meth:`sleep` and :meth:`async_sleep`, in seconds, in order."""

    def __repr__(self) -> str:
        return f"FrozenClock(now={self._now!r}, monotonic={self._monotonic!r})"

    def now(self) -> float:
        """Wall-clock seconds since the epoch, as the test last set or moved them."""
        return self._now

    def monotonic(self) -> float:
        """Seconds since the clock was made, moved only by advancing or sleeping."""
        return self._monotonic

    def advance(self, seconds: float) -> None:
        """Move both clocks forward by ``seconds``.

        >>> FrozenClock().advance(-1)
        Traceback (most recent call last):
        ...
        ValueError: a clock cannot go back: advance(-1) needs seconds >= 0
        """
        if not seconds >= 0:  # also refuses NaN
            raise ValueError(f"a clock cannot go back: advance({seconds!r}) needs seconds >= 0")
        self._now += seconds
        self._monotonic += seconds

    def set(self, now: float) -> None:
        """Jump the wall clock to ``now`` (forward or back); ``monotonic()`` stays."""
        self._now = float(now)

    def sleep(self, seconds: float) -> None:
        """Record the sleep and advance by ``seconds``, at once."""
        self.advance(seconds)
        self.sleeps.append(seconds)

    async def async_sleep(self, seconds: float) -> None:
        """Let other tasks run once (a checkpoint), then sleep as :meth:`sleep` does.

        Cancelled at the checkpoint, it neither advances nor records anything.

        >>> import anyio
        >>> clock = FrozenClock(0.0)
        >>> anyio.run(clock.async_sleep, 2.0)
        >>> clock.now(), clock.sleeps
        (2.0, [2.0])
        """
        if not seconds >= 0:
            self.advance(seconds)  # raises the ValueError that names the value
        await anyio.lowlevel.checkpoint()
        self.sleep(seconds)

    def __call__(self) -> float:
        """The same as :meth:`now`."""
        return self._now


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nobody listens on right now.

    >>> 0 < free_port() < 65536
    True
    """
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


class RedisServer:
    """A private ``redis-server``: a free port, a temporary folder, no persistence.

    Use it as a context manager; it is stopped and its folder removed on exit. It never
    touches a server it did not start.

    >>> import shutil
    >>> if shutil.which("redis-server"):
    ...     with RedisServer() as server:
    ...         print(server.url.startswith("redis://127.0.0.1:"))
    ... else:
    ...     print(True)
    True
    """

    def __init__(self, binary: str | None = None, startup_timeout: float = 10.0) -> None:
        found = binary or shutil.which("redis-server")
        if found is None:
            raise ConfigurationError(
                "redis-server is not on PATH; install it (apt-get install redis-server)"
            )
        from bricolage.jobs._redis import _redis_module

        redis = _redis_module()
        self._folder = tempfile.TemporaryDirectory(prefix="bricolage-redis-")
        self.port: int = free_port()
        """The TCP port the server listens on, on 127.0.0.1."""
        self.url: str = f"redis://127.0.0.1:{self.port}/0"
        """The server's URL, database 0."""
        self.process: subprocess.Popen[bytes] = subprocess.Popen(  # noqa: S603 - a fixed argument list
            [
                found,
                "--port",
                str(self.port),
                "--bind",
                "127.0.0.1",
                "--dir",
                str(Path(self._folder.name)),
                "--save",
                "",
                "--appendonly",
                "no",
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + startup_timeout
        while True:
            try:
                with redis.Redis.from_url(self.url) as client:
                    client.ping()
                return
            except redis.ConnectionError:
                if time.monotonic() > deadline or self.process.poll() is not None:
                    self.stop()
                    raise
                time.sleep(0.02)

    def __enter__(self) -> RedisServer:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    def stop(self) -> None:
        """Stop the server and remove its folder; safe to call twice."""
        if self.process.poll() is None:
            self.process.terminate()
            self.process.wait(10)
        self._folder.cleanup()
