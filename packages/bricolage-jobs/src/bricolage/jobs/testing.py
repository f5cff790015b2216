"""Helpers for testing code that uses bricolage.jobs: a clock you move, a private Redis.

>>> clock = FrozenClock(100.0)
>>> clock.advance(5)
>>> clock()
105.0
"""

from __future__ import annotations

import shutil
import socket
import subprocess
import tempfile
import time
from pathlib import Path
from types import TracebackType

from bricolage.jobs.errors import ConfigurationError

__all__ = ["FrozenClock", "RedisServer", "free_port"]


class FrozenClock:
    """A clock that stands still until told to move; pass it as ``clock=``.

    >>> clock = FrozenClock()
    >>> clock(), clock.advance(1.5), clock()
    (0.0, None, 1.5)
    """

    def __init__(self, start: float = 0.0) -> None:
        self.now = start

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        """Move the clock forward by ``seconds``."""
        self.now += seconds


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
        self.url: str = f"redis://127.0.0.1:{self.port}/0"
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
