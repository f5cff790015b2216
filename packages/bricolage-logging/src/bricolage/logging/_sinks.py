"""Where lines go: a stream, a file, a rotating file shared by several processes."""

from __future__ import annotations

import contextlib
import math
import os
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol, TextIO, runtime_checkable

from bricolage.logging._checks import positive_number, whole_number
from bricolage.logging.errors import ConfigurationError

_HAVE_FLOCK: bool = sys.platform != "win32"

if sys.platform != "win32":
    import fcntl

    def _lock(fd: int) -> None:
        fcntl.flock(fd, fcntl.LOCK_EX)

    def _unlock(fd: int) -> None:
        fcntl.flock(fd, fcntl.LOCK_UN)

else:  # pragma: no cover - Windows has no fcntl; RotatingFileSink refuses to start

    def _lock(fd: int) -> None:
        raise NotImplementedError

    _unlock = _lock

__all__ = [
    "FileSink",
    "LineSink",
    "RotatingFileSink",
    "RotationPolicy",
    "StreamSink",
    "rotation_due",
]


@runtime_checkable
class LineSink(Protocol):
    """Anything that takes finished log lines: ``write`` one line (no newline), ``close``.

    ``write`` must not raise: a sink that cannot deliver a line drops and counts it.

    >>> class Collect:
    ...     def __init__(self) -> None:
    ...         self.lines: list[str] = []
    ...     def write(self, line: str) -> None:
    ...         self.lines.append(line)
    ...     def close(self) -> None:
    ...         pass
    >>> isinstance(Collect(), LineSink)
    True
    """

    def write(self, line: str) -> None:
        """Deliver one line; the sink adds the line break."""

    def close(self) -> None:
        """Release what the sink holds (files, threads); later lines are dropped."""


class StreamSink:
    """Write each line to a text stream and flush it (stdout by default).

    >>> import io
    >>> buffer = io.StringIO()
    >>> sink = StreamSink(buffer)
    >>> sink.write('{"message":"hi"}')
    >>> buffer.getvalue()
    '{"message":"hi"}\\n'
    """

    __slots__ = ("_lock", "dropped", "stream")

    def __init__(self, stream: TextIO) -> None:
        self.stream: TextIO = stream
        self._lock = threading.Lock()
        self.dropped: int = 0

    def write(self, line: str) -> None:
        """Write ``line`` and a newline, then flush."""
        with self._lock:
            try:
                self.stream.write(line + "\n")
                self.stream.flush()
            except (OSError, ValueError):  # a closed or broken stream
                self.dropped += 1

    def close(self) -> None:
        """Flush the stream; it stays open (it belongs to the caller)."""
        with self._lock, contextlib.suppress(OSError, ValueError):
            self.stream.flush()


def _write_all(fd: int, data: bytes) -> None:
    view = memoryview(data)
    while view:
        written = os.write(fd, view)
        view = view[written:]


class FileSink:
    """Append lines to a file, each with one ``write`` on an ``O_APPEND`` descriptor.

    Several processes may append to the same file: each line lands whole.

    >>> import pathlib, tempfile
    >>> path = pathlib.Path(tempfile.mkdtemp()) / "app.log"
    >>> sink = FileSink(path)
    >>> sink.write('{"message":"hi"}')
    >>> sink.close()
    >>> path.read_text()
    '{"message":"hi"}\\n'
    """

    __slots__ = ("_fd", "dropped", "path")

    def __init__(self, path: str | os.PathLike[str]) -> None:
        self.path: Path = Path(path)
        self._fd: int | None = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
        self.dropped: int = 0

    def write(self, line: str) -> None:
        """Append ``line`` and a newline in one system call."""
        fd = self._fd
        if fd is None:
            self.dropped += 1
            return
        try:
            _write_all(fd, (line + "\n").encode())
        except OSError:
            self.dropped += 1

    def close(self) -> None:
        """Close the file; later lines are counted as dropped."""
        fd, self._fd = self._fd, None
        if fd is not None:
            os.close(fd)


@dataclass(frozen=True, slots=True)
class RotationPolicy:
    """When to start a new file: past a size, at a time boundary, or both.

    Args:
        max_bytes: start a new file before a line would push the file past this size.
        interval: seconds per period (``3600`` hourly, ``86400`` daily, UTC-aligned);
            a file holds the lines of one period.
        backup_count: how many rotated files to keep (``app.log.1`` is the newest).

    >>> RotationPolicy(max_bytes=10_000_000, backup_count=5)
    RotationPolicy(max_bytes=10000000, interval=None, backup_count=5)
    >>> RotationPolicy(max_bytes=0)
    Traceback (most recent call last):
    ...
    bricolage.logging.errors.ConfigurationError: max_bytes must be a whole number >= 1, got 0
    """

    max_bytes: int | None = None
    interval: float | None = None
    backup_count: int = 5

    def __post_init__(self) -> None:
        if self.max_bytes is not None:
            whole_number("max_bytes", self.max_bytes, minimum=1)
        if self.interval is not None:
            positive_number("interval", self.interval, unit="seconds")
        whole_number("backup_count", self.backup_count, minimum=0)
        if self.max_bytes is None and self.interval is None:
            raise ConfigurationError(
                "a RotationPolicy needs max_bytes, interval or both; for a file that never "
                "rotates use FileSink"
            )


def rotation_due(
    policy: RotationPolicy, *, size: int, incoming: int, modified: float, now: float
) -> bool:
    """Decide whether to rotate before appending ``incoming`` bytes: a pure function.

    An empty file is never rotated, so a line longer than ``max_bytes`` still lands
    (alone in its file). A file last written in an earlier period is rotated.

    >>> policy = RotationPolicy(max_bytes=100, interval=3600)
    >>> rotation_due(policy, size=90, incoming=20, modified=0.0, now=10.0)
    True
    >>> rotation_due(policy, size=50, incoming=20, modified=3599.0, now=3600.0)
    True
    >>> rotation_due(policy, size=0, incoming=500, modified=0.0, now=7200.0)
    False
    """
    if size <= 0:
        return False
    if policy.max_bytes is not None and size + incoming > policy.max_bytes:
        return True
    return policy.interval is not None and (
        math.floor(modified / policy.interval) != math.floor(now / policy.interval)
    )


class RotatingFileSink:
    """A file that rotates by size and/or time, safe with several writing processes.

    Each line is written under an exclusive ``fcntl`` lock on ``<path>.lock``: the
    writer checks (under the lock) whether another process rotated the file, reopens
    it if so, rotates if the policy says so, then appends the whole line with one
    ``write``. No line is lost, torn or interleaved. Rotated files are
    ``<path>.1`` (newest) to ``<path>.<backup_count>``.

    >>> import pathlib, tempfile
    >>> path = pathlib.Path(tempfile.mkdtemp()) / "app.log"
    >>> sink = RotatingFileSink(path, RotationPolicy(max_bytes=30, backup_count=2))
    >>> for n in range(3):
    ...     sink.write(f'{{"n":{n},"pad":"........"}}')
    >>> sink.close()
    >>> sorted(p.name for p in path.parent.glob("app.log*"))
    ['app.log', 'app.log.1', 'app.log.2', 'app.log.lock']
    """

    def __init__(
        self,
        path: str | os.PathLike[str],
        policy: RotationPolicy,
        *,
        clock: Callable[[], float] = time.time,
    ) -> None:
        if not _HAVE_FLOCK:  # pragma: no cover - POSIX file locks are needed
            raise ConfigurationError(
                "RotatingFileSink needs POSIX file locks (fcntl), which Windows lacks; "
                "use FileSink and rotate with an external tool"
            )
        self.path: Path = Path(path)
        self.policy = policy
        self.dropped: int = 0
        self.rotations: int = 0
        self._clock = clock
        self._lock = threading.Lock()
        self._lock_fd: int | None = os.open(f"{self.path}.lock", os.O_RDWR | os.O_CREAT, 0o644)
        self._fd: int | None = None
        self._identity: tuple[int, int] = (-1, -1)

    def _open(self) -> os.stat_result:
        if self._fd is not None:
            os.close(self._fd)
        self._fd = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
        stat = os.fstat(self._fd)
        self._identity = (stat.st_dev, stat.st_ino)
        return stat

    def _rotate(self) -> None:
        count = self.policy.backup_count
        base = str(self.path)
        if count == 0:
            os.unlink(base)
            return
        for index in range(count - 1, 0, -1):
            source = f"{base}.{index}"
            if os.path.exists(source):
                os.replace(source, f"{base}.{index + 1}")
        os.replace(base, f"{base}.1")
        self.rotations += 1

    def write(self, line: str) -> None:
        """Append ``line`` under the inter-process lock, rotating first if due."""
        data = (line + "\n").encode()
        with self._lock:
            lock_fd = self._lock_fd
            if lock_fd is None:
                self.dropped += 1
                return
            try:
                _lock(lock_fd)
                try:
                    self._write_locked(data)
                finally:
                    _unlock(lock_fd)
            except OSError:
                self.dropped += 1

    def _write_locked(self, data: bytes) -> None:
        try:
            stat = os.stat(self.path)
        except FileNotFoundError:
            stat = self._open()
        else:
            if self._fd is None or (stat.st_dev, stat.st_ino) != self._identity:
                stat = self._open()  # another process rotated: follow it to the new file
        if rotation_due(
            self.policy,
            size=stat.st_size,
            incoming=len(data),
            modified=stat.st_mtime,
            now=self._clock(),
        ):
            self._rotate()
            self._open()
        assert self._fd is not None
        _write_all(self._fd, data)

    def close(self) -> None:
        """Close the file and the lock file; later lines are counted as dropped."""
        with self._lock:
            for fd in (self._fd, self._lock_fd):
                if fd is not None:
                    os.close(fd)
            self._fd = self._lock_fd = None
