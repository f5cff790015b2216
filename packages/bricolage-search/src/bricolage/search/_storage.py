"""The index folder: atomic commits, a pointer file, and the single-writer lock."""

from __future__ import annotations

import contextlib
import errno
import hashlib
import json
import logging
import os
import re
import secrets
import time
from dataclasses import dataclass
from pathlib import Path
from typing import IO

from bricolage.search._schema import Schema
from bricolage.search._segment import Segment
from bricolage.search.errors import CorruptIndexError, IndexLockedError, SearchError

try:
    import fcntl
except ImportError:  # pragma: no cover - not POSIX: in-memory indexes still work
    fcntl = None  # type: ignore[assignment]

logger = logging.getLogger(__name__)

CURRENT = "CURRENT"
LOCK = "LOCK"
_SEGMENT = re.compile(r"segment-(\d{8})\.npz")


@dataclass(frozen=True, slots=True)
class Pointer:
    generation: int
    file: str
    sha256: str


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _write_atomically(path: Path, data: bytes) -> None:
    """Write ``data`` to a temporary file, flush it to disk, then rename it into place."""
    tmp = path.with_name(f".{path.name}.{secrets.token_hex(6)}.tmp")
    try:
        with open(tmp, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            tmp.unlink()
        raise
    _fsync_dir(path.parent)


class Storage:
    """One index folder on disk."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def exists(self) -> bool:
        return (self.path / CURRENT).is_file()

    def read_pointer(self) -> Pointer | None:
        try:
            raw = (self.path / CURRENT).read_bytes()
        except FileNotFoundError:
            return None
        try:
            data = json.loads(raw)
            pointer = Pointer(int(data["generation"]), str(data["file"]), str(data["sha256"]))
        except (ValueError, KeyError, TypeError) as error:
            raise CorruptIndexError(
                f"{self.path / CURRENT} is damaged ({error}); restore the folder from a backup"
            ) from error
        if not _SEGMENT.fullmatch(pointer.file):
            raise CorruptIndexError(
                f"{self.path / CURRENT} names an unexpected file {pointer.file!r}"
            )
        return pointer

    def load(self) -> tuple[int, Schema, Segment]:
        """The last committed state. Retries if a commit replaced it while reading."""
        for _attempt in range(20):
            pointer = self.read_pointer()
            if pointer is None:
                raise CorruptIndexError(
                    f"{self.path} is not an index (no {CURRENT} file); create one with "
                    "Index.create()"
                )
            try:
                data = (self.path / pointer.file).read_bytes()
            except FileNotFoundError:
                if self.read_pointer() == pointer:
                    raise CorruptIndexError(
                        f"{self.path / CURRENT} names {pointer.file}, which is missing; "
                        "restore the folder from a backup"
                    ) from None
                continue  # a writer published a newer commit and removed this one
            digest = hashlib.sha256(data).hexdigest()
            if digest != pointer.sha256:
                if self.read_pointer() != pointer:
                    continue  # pragma: no cover - replaced between the two reads
                raise CorruptIndexError(
                    f"{self.path / pointer.file} does not match its checksum in {CURRENT}: "
                    "the file was damaged after it was committed"
                )
            schema, segment = Segment.from_bytes(data, str(self.path / pointer.file))
            return pointer.generation, schema, segment
        raise CorruptIndexError(  # pragma: no cover - needs 20 lost races in a row
            f"{self.path}: the committed segment kept disappearing while being read"
        )

    def commit(self, generation: int, schema: Schema, segment: Segment) -> None:
        """Publish ``segment`` as ``generation``: all or nothing, even on a crash."""
        name = f"segment-{generation:08d}.npz"
        data = segment.to_bytes(schema)
        _write_atomically(self.path / name, data)
        pointer = {
            "generation": generation,
            "file": name,
            "sha256": hashlib.sha256(data).hexdigest(),
        }
        _write_atomically(self.path / CURRENT, json.dumps(pointer).encode())
        self._collect(generation)

    def segment_sizes(self) -> dict[int, int]:
        """generation -> size in bytes of each segment file in the folder."""
        sizes: dict[int, int] = {}
        for entry in self.path.iterdir():
            match = _SEGMENT.fullmatch(entry.name)
            if match is not None:
                with contextlib.suppress(OSError):  # removed by a writer meanwhile
                    sizes[int(match.group(1))] = entry.stat().st_size
        return sizes

    def _collect(self, generation: int) -> None:
        """Remove segments older than the previous one, and leftovers of crashed writes."""
        for entry in self.path.iterdir():
            match = _SEGMENT.fullmatch(entry.name)
            stale = match is not None and int(match.group(1)) < generation - 1
            if stale or (entry.name.startswith(".") and entry.name.endswith(".tmp")):
                with contextlib.suppress(OSError):
                    entry.unlink()
                    logger.debug("removed %s", entry)


class WriteLock:
    """An exclusive ``flock`` on the folder's LOCK file, held by one writer at a time."""

    def __init__(self, path: Path) -> None:
        self.path = path / LOCK
        self._handle: IO[bytes] | None = None

    def acquire(self, timeout: float) -> None:
        if fcntl is None:  # pragma: no cover - not POSIX
            raise SearchError(
                "on-disk indexes need POSIX file locks (fcntl); use Index.in_memory() here"
            )
        handle = open(self.path, "ab")  # noqa: SIM115 - held until release()
        deadline = time.monotonic() + timeout
        while True:
            try:
                fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except OSError as error:
                if error.errno not in (errno.EAGAIN, errno.EACCES):  # pragma: no cover
                    handle.close()
                    raise
                if time.monotonic() >= deadline:
                    handle.close()
                    raise IndexLockedError(
                        errno.EAGAIN,
                        f"another writer holds {self.path}; close it first, or pass a "
                        "timeout to wait for it",
                    ) from None
                time.sleep(0.01)
        self._handle = handle

    def release(self) -> None:
        if self._handle is not None:
            fcntl.flock(self._handle.fileno(), fcntl.LOCK_UN)
            self._handle.close()
            self._handle = None
