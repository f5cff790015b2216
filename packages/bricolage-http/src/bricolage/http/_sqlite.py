"""A SQLite storage safe for many threads and processes."""

from __future__ import annotations

import logging
import pathlib
import sqlite3
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Sequence
from typing import TypeVar

from bricolage.http._storage import decode_entries, encode_entries
from bricolage.http.errors import CorruptEntryError, PolicyError, StorageError
from bricolage.http.rfc9111 import CachedResponse

__all__ = ["SQLiteStorage"]

_log = logging.getLogger("bricolage.http")
_T = TypeVar("_T")

#: Decoded rows kept to skip decoding a row whose bytes have not changed (bytes counted
#: twice: the row and its decoded bodies).
_MEMO_BYTES = 4 * 1024 * 1024
_MEMO_ROW_MAX = 256 * 1024

#: The version of the file's layout, kept in ``PRAGMA user_version``. 0.1 wrote the same
#: table without a version (0): such a file is stamped 1 on open.
SCHEMA_VERSION = 1

_SCHEMA = """
CREATE TABLE IF NOT EXISTS bricolage_http_cache (
    key TEXT PRIMARY KEY,
    value BLOB NOT NULL,
    expires_at REAL
) WITHOUT ROWID
"""


class SQLiteStorage:
    """A cache in one SQLite file: survives restarts, shared by threads and processes.

    The file runs in WAL mode so readers never wait for the writer; each thread gets its
    own connection, writes are single autocommit statements that wait (``busy_timeout``)
    instead of failing, and a lock error is retried. An entry that cannot be decoded is
    deleted and reported as absent. Expired rows are purged from time to time.

    Args:
        path: the database file (created with its folder if missing).
        timeout: seconds a writer waits for the lock before giving up.
        clock: wall-clock seconds, for expiry across restarts.

    >>> from bricolage.http import SQLiteStorage
    >>> import tempfile, os
    >>> from bricolage.http import CachedResponse
    >>> folder = tempfile.mkdtemp()
    >>> storage = SQLiteStorage(os.path.join(folder, "cache.db"))
    >>> storage.put("k", [CachedResponse("u", 200, (), b"hi", 0, 0, 60, 0)], ttl=60)
    >>> storage.get("k")[0].body
    b'hi'
    >>> storage.close()
    """

    blocking = True

    def __init__(
        self,
        path: str | pathlib.Path,
        *,
        timeout: float = 30.0,
        clock: Callable[[], float] = time.time,
    ) -> None:
        if not timeout > 0:
            raise PolicyError(f"timeout must be positive, got {timeout!r}")
        self.path: pathlib.Path = pathlib.Path(path)
        if self.path.is_dir():
            raise PolicyError(f"SQLiteStorage path {str(self.path)!r} is a directory, not a file")
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self.timeout = timeout
        self._clock = clock
        self._local = threading.local()
        self._connections: list[sqlite3.Connection] = []
        self._lock = threading.Lock()
        self._closed = False
        self._writes = 0
        # key -> (row bytes, decoded variants): a row read again with the same bytes is
        # not decoded again. The row is still read every time, so other processes' writes
        # are seen, and only bytes that passed the checksum are ever reused.
        self._memo: OrderedDict[str, tuple[bytes, list[CachedResponse]]] = OrderedDict()
        self._memo_size = 0
        try:
            self._retry(self._setup)
        except StorageError:
            self.close()
            raise

    def _setup(self) -> None:
        conn = self._connection()
        mode = conn.execute("PRAGMA journal_mode=WAL").fetchone()[0]
        if str(mode).lower() != "wal":  # pragma: no cover - e.g. a network filesystem
            _log.warning("SQLite cache %s runs in %s mode, not WAL", self.path, mode)
        version = int(conn.execute("PRAGMA user_version").fetchone()[0])
        if version > SCHEMA_VERSION:
            raise StorageError(
                f"SQLite cache {str(self.path)!r} has schema version {version}, newer than "
                f"this bricolage-http understands ({SCHEMA_VERSION}): upgrade bricolage-http, "
                "or delete the file to start an empty cache"
            )
        conn.execute(_SCHEMA)
        if version < SCHEMA_VERSION:
            conn.execute(f"PRAGMA user_version={SCHEMA_VERSION}")

    @property
    def schema_version(self) -> int:
        """The layout version of the file (``PRAGMA user_version``).

        >>> from bricolage.http import SQLiteStorage
        >>> import tempfile, os
        >>> storage = SQLiteStorage(os.path.join(tempfile.mkdtemp(), "c.db"))
        >>> storage.schema_version
        1
        >>> storage.close()
        """
        row = self._retry(lambda: self._connection().execute("PRAGMA user_version").fetchone())
        return int(row[0])

    def entries(self) -> list[tuple[str, int, float | None]]:
        """Every stored key with its size in bytes and expiry time (POSIX seconds or ``None``).

        >>> from bricolage.http import SQLiteStorage, CachedResponse
        >>> import tempfile, os
        >>> storage = SQLiteStorage(os.path.join(tempfile.mkdtemp(), "c.db"))
        >>> storage.put("k", [CachedResponse("u", 200, (), b"hi", 0, 0, 60, 0)], ttl=None)
        >>> [(key, expires) for key, size, expires in storage.entries()]
        [('k', None)]
        >>> storage.close()
        """
        rows = self._retry(
            lambda: (
                self._connection()
                .execute(
                    "SELECT key, length(value), expires_at FROM bricolage_http_cache ORDER BY key"
                )
                .fetchall()
            )
        )
        return [(str(key), int(size), expires) for key, size, expires in rows]

    def _connection(self) -> sqlite3.Connection:
        conn: sqlite3.Connection | None = getattr(self._local, "conn", None)
        if conn is None:
            if self._closed:
                raise StorageError(f"SQLiteStorage {str(self.path)!r} is closed")
            try:
                conn = sqlite3.connect(
                    self.path,
                    timeout=self.timeout,
                    isolation_level=None,
                    check_same_thread=False,
                )
                conn.execute(f"PRAGMA busy_timeout={int(self.timeout * 1000)}")
                conn.execute("PRAGMA synchronous=NORMAL")
            except sqlite3.Error as error:
                raise StorageError(
                    f"cannot open SQLite cache {str(self.path)!r}: {error}"
                ) from error
            self._local.conn = conn
            with self._lock:
                self._connections.append(conn)
        return conn

    def _retry(self, action: Callable[[], _T]) -> _T:
        deadline = time.monotonic() + self.timeout
        delay = 0.001
        while True:
            try:
                return action()
            except sqlite3.OperationalError as error:
                message = str(error).lower()
                if ("locked" in message or "busy" in message) and time.monotonic() < deadline:
                    time.sleep(delay)
                    delay = min(delay * 2, 0.05)
                    continue
                raise StorageError(f"SQLite cache {str(self.path)!r} failed: {error}") from error
            except sqlite3.DatabaseError as error:
                raise StorageError(f"SQLite cache {str(self.path)!r} failed: {error}") from error

    def get(self, key: str) -> list[CachedResponse]:
        """The variants under ``key``; a corrupt or expired row is deleted and gives ``[]``."""

        def read() -> tuple[bytes, float | None] | None:
            row = (
                self._connection()
                .execute(
                    "SELECT value, expires_at FROM bricolage_http_cache WHERE key = ?", (key,)
                )
                .fetchone()
            )
            return None if row is None else (bytes(row[0]), row[1])

        row = self._retry(read)
        if row is None:
            return []
        blob, expires_at = row
        if expires_at is not None and expires_at <= self._clock():
            self.delete(key)
            return []
        with self._lock:
            memo = self._memo.get(key)
            if memo is not None and memo[0] == blob:
                self._memo.move_to_end(key)
                return list(memo[1])
        try:
            variants = decode_entries(blob)
        except CorruptEntryError as error:
            _log.warning("dropping corrupt cache entry %r from %s: %s", key, self.path, error)
            self.delete(key)
            return []
        self._remember(key, blob, variants)
        return list(variants)

    def _remember(self, key: str, blob: bytes, variants: list[CachedResponse]) -> None:
        size = 2 * len(blob)
        with self._lock:
            old = self._memo.pop(key, None)
            if old is not None:
                self._memo_size -= 2 * len(old[0])
            if len(blob) > _MEMO_ROW_MAX:
                return
            self._memo[key] = (blob, variants)
            self._memo_size += size
            while self._memo_size > _MEMO_BYTES:
                _, (evicted, _) = self._memo.popitem(last=False)
                self._memo_size -= 2 * len(evicted)

    def put(self, key: str, variants: Sequence[CachedResponse], ttl: float | None) -> None:
        """Store ``variants`` under ``key`` (one atomic statement)."""
        blob = encode_entries(variants)
        expires_at = None if ttl is None else self._clock() + ttl

        def write() -> None:
            self._connection().execute(
                "INSERT OR REPLACE INTO bricolage_http_cache (key, value, expires_at) "
                "VALUES (?, ?, ?)",
                (key, blob, expires_at),
            )

        self._retry(write)
        self._writes += 1
        if self._writes % 1000 == 0:
            self.purge_expired()

    def delete(self, key: str) -> None:
        """Forget ``key``."""
        self._retry(
            lambda: self._connection().execute(
                "DELETE FROM bricolage_http_cache WHERE key = ?", (key,)
            )
        )

    def purge_expired(self) -> int:
        """Delete expired rows now; returns how many went.

        >>> from bricolage.http import SQLiteStorage
        >>> import tempfile, os
        >>> storage = SQLiteStorage(os.path.join(tempfile.mkdtemp(), "c.db"))
        >>> storage.purge_expired()
        0
        >>> storage.close()
        """
        now = self._clock()
        cursor = self._retry(
            lambda: self._connection().execute(
                "DELETE FROM bricolage_http_cache "
                "WHERE expires_at IS NOT NULL AND expires_at <= ?",
                (now,),
            )
        )
        return int(cursor.rowcount)

    def clear(self) -> None:
        """Delete every entry."""
        self._retry(lambda: self._connection().execute("DELETE FROM bricolage_http_cache"))

    def __len__(self) -> int:
        row = self._retry(
            lambda: (
                self._connection().execute("SELECT count(*) FROM bricolage_http_cache").fetchone()
            )
        )
        return int(row[0])

    def close(self) -> None:
        """Close every connection opened by any thread."""
        with self._lock:
            self._closed = True
            connections, self._connections = self._connections, []
            self._memo.clear()
            self._memo_size = 0
        for conn in connections:
            conn.close()
        self._local = threading.local()
