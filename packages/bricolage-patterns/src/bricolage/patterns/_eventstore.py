"""An append-only event store on SQLite: streams, global order, snapshots, projections."""

from __future__ import annotations

import json
import sqlite3
import time
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from os import PathLike
from types import TracebackType
from typing import Any, Self

from bricolage.patterns.errors import ConcurrencyError, StoreFormatError

__all__ = ["EventStore", "NewEvent", "Projection", "Snapshot", "StoredEvent"]

FORMAT_VERSION = 1

_SCHEMA = """
CREATE TABLE IF NOT EXISTS events (
    position INTEGER PRIMARY KEY AUTOINCREMENT,
    stream TEXT NOT NULL,
    version INTEGER NOT NULL,
    type TEXT NOT NULL,
    data TEXT NOT NULL,
    recorded_at REAL NOT NULL,
    UNIQUE (stream, version)
);
CREATE TABLE IF NOT EXISTS snapshots (
    stream TEXT PRIMARY KEY,
    version INTEGER NOT NULL,
    state TEXT NOT NULL,
    recorded_at REAL NOT NULL
);
CREATE TABLE IF NOT EXISTS projections (
    name TEXT PRIMARY KEY,
    position INTEGER NOT NULL
);
"""


@dataclass(frozen=True, slots=True)
class NewEvent:
    """An event to append: a type name and JSON-serialisable data.

    >>> NewEvent("Deposited", {"amount": 5}).type
    'Deposited'
    """

    type: str
    data: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class StoredEvent:
    """An event as stored: its global position, its stream and version within it.

    >>> e = StoredEvent(1, "account-1", 1, "Opened", {}, 0.0)
    >>> (e.position, e.stream, e.version)
    (1, 'account-1', 1)
    """

    position: int
    stream: str
    version: int
    type: str
    data: dict[str, Any]
    recorded_at: float


@dataclass(frozen=True, slots=True)
class Snapshot:
    """The state of a stream folded up to ``version``, saved to shorten replays.

    >>> Snapshot("account-1", 10, {"balance": 50}).version
    10
    """

    stream: str
    version: int
    state: dict[str, Any]


class EventStore:
    """An append-only store of event streams in one SQLite file.

    Appends check an expected version (optimistic concurrency): a writer that read a
    stream at version 3 appends with ``expected_version=3`` and gets a
    :class:`~bricolage.patterns.errors.ConcurrencyError` if anyone appended since, with
    nothing stored. Every event also gets a global position; positions only grow, and a
    reader never sees a later position before an earlier one is committed, so projections
    can resume from the last position they handled. Several processes may share a file
    (WAL mode; writers take the lock in turn).

    Args:
        path: The SQLite file (created if missing).
        timeout: Seconds to wait for another writer's lock.

    Raises:
        StoreFormatError: The file holds a newer format, or is not an event store.

    >>> import tempfile, os
    >>> path = os.path.join(tempfile.mkdtemp(), "events.db")
    >>> with EventStore(path) as store:
    ...     store.append("account-1", [NewEvent("Opened"), NewEvent("Deposited", {"amount": 5})],
    ...                  expected_version=0)
    ...     [(e.version, e.type, e.data) for e in store.read("account-1")]
    2
    [(1, 'Opened', {}), (2, 'Deposited', {'amount': 5})]
    """

    def __init__(self, path: str | PathLike[str], *, timeout: float = 30.0) -> None:
        self.path = path
        self._db = sqlite3.connect(path, timeout=timeout, isolation_level=None)
        try:
            self._db.execute("PRAGMA journal_mode=WAL")
            self._db.execute("PRAGMA synchronous=NORMAL")
            self._open()
        except sqlite3.DatabaseError as exc:
            self._db.close()
            raise StoreFormatError(f"{path} is not an SQLite event store: {exc}") from exc
        except BaseException:
            self._db.close()
            raise

    def _open(self) -> None:
        found = int(self._db.execute("PRAGMA user_version").fetchone()[0])
        if found > FORMAT_VERSION:
            raise StoreFormatError(
                f"{self.path} holds event store format {found}; this version of "
                f"bricolage-patterns reads up to format {FORMAT_VERSION}: upgrade it"
            )
        if found == FORMAT_VERSION:
            return
        self._db.execute("BEGIN IMMEDIATE")  # one process creates the schema
        try:
            found = int(self._db.execute("PRAGMA user_version").fetchone()[0])
            if found == 0:
                tables = {
                    row[0]
                    for row in self._db.execute(
                        "SELECT name FROM sqlite_master WHERE type='table'"
                    )
                }
                if tables:
                    raise StoreFormatError(
                        f"{self.path} already holds the tables {sorted(tables)} and is not "
                        "an event store; give the store a file of its own"
                    )
                for statement in _SCHEMA.split(";"):
                    if statement.strip():
                        self._db.execute(statement)
                self._db.execute(f"PRAGMA user_version={FORMAT_VERSION}")
            self._db.execute("COMMIT")
        except BaseException:
            self._db.execute("ROLLBACK")
            raise

    def close(self) -> None:
        """Close the file.

        >>> import tempfile, os
        >>> EventStore(os.path.join(tempfile.mkdtemp(), "e.db")).close()
        """
        self._db.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    # -- streams ------------------------------------------------------------------------

    def append(self, stream: str, events: Iterable[NewEvent], expected_version: int | None) -> int:
        """Append ``events`` to ``stream`` if it is at ``expected_version``; return its version.

        Args:
            stream: The stream name (``"account-42"``).
            events: The events, in order.
            expected_version: The version read before deciding (0 for a new stream), or
                ``None`` to append whatever the version.

        Raises:
            ConcurrencyError: The stream is at another version; nothing is stored.
            TypeError: An event's data is not JSON-serialisable; nothing is stored.

        >>> import tempfile, os
        >>> store = EventStore(os.path.join(tempfile.mkdtemp(), "e.db"))
        >>> store.append("cart-1", [NewEvent("Created")], expected_version=0)
        1
        >>> try:
        ...     store.append("cart-1", [NewEvent("Created")], expected_version=0)
        ... except ConcurrencyError as exc:
        ...     print(exc)
        stream 'cart-1' is at version 1, not the expected version 0; read it again and retry
        >>> store.close()
        """
        rows = [(event.type, json.dumps(dict(event.data), sort_keys=True)) for event in events]
        now = time.time()
        self._db.execute("BEGIN IMMEDIATE")
        try:
            actual = self._version(stream)
            if expected_version is not None and actual != expected_version:
                raise ConcurrencyError(stream, expected_version, actual)
            self._db.executemany(
                "INSERT INTO events (stream, version, type, data, recorded_at) "
                "VALUES (?, ?, ?, ?, ?)",
                [
                    (stream, actual + index, kind, data, now)
                    for index, (kind, data) in enumerate(rows, start=1)
                ],
            )
            self._db.execute("COMMIT")
        except BaseException:
            self._db.execute("ROLLBACK")
            raise
        return actual + len(rows)

    def _version(self, stream: str) -> int:
        row = self._db.execute(
            "SELECT MAX(version) FROM events WHERE stream = ?", (stream,)
        ).fetchone()
        return int(row[0] or 0)

    def version(self, stream: str) -> int:
        """The version of ``stream``: the number of its events, 0 if it has none.

        >>> import tempfile, os
        >>> with EventStore(os.path.join(tempfile.mkdtemp(), "e.db")) as store:
        ...     store.version("nothing-yet")
        0
        """
        return self._version(stream)

    def read(self, stream: str, after_version: int = 0) -> list[StoredEvent]:
        """The events of ``stream`` with a version above ``after_version``, in order.

        >>> import tempfile, os
        >>> with EventStore(os.path.join(tempfile.mkdtemp(), "e.db")) as store:
        ...     _ = store.append("s", [NewEvent("A"), NewEvent("B")], expected_version=0)
        ...     [e.type for e in store.read("s", after_version=1)]
        ['B']
        """
        cursor = self._db.execute(
            "SELECT position, stream, version, type, data, recorded_at FROM events "
            "WHERE stream = ? AND version > ? ORDER BY version",
            (stream, after_version),
        )
        return [_event(row) for row in cursor]

    def read_all(self, after_position: int = 0, limit: int | None = None) -> list[StoredEvent]:
        """Every stream's events after ``after_position``, in global order.

        >>> import tempfile, os
        >>> with EventStore(os.path.join(tempfile.mkdtemp(), "e.db")) as store:
        ...     _ = store.append("a", [NewEvent("A1")], expected_version=0)
        ...     _ = store.append("b", [NewEvent("B1")], expected_version=0)
        ...     _ = store.append("a", [NewEvent("A2")], expected_version=1)
        ...     [(e.position, e.type) for e in store.read_all()]
        [(1, 'A1'), (2, 'B1'), (3, 'A2')]
        """
        cursor = self._db.execute(
            "SELECT position, stream, version, type, data, recorded_at FROM events "
            "WHERE position > ? ORDER BY position LIMIT ?",
            (after_position, -1 if limit is None else limit),
        )
        return [_event(row) for row in cursor]

    def streams(self) -> Iterator[str]:
        """The names of every stream, in order of their first event.

        >>> import tempfile, os
        >>> with EventStore(os.path.join(tempfile.mkdtemp(), "e.db")) as store:
        ...     _ = store.append("b", [NewEvent("X")], expected_version=0)
        ...     _ = store.append("a", [NewEvent("X")], expected_version=0)
        ...     list(store.streams())
        ['b', 'a']
        """
        cursor = self._db.execute("SELECT stream FROM events WHERE version = 1 ORDER BY position")
        for (name,) in cursor.fetchall():
            yield str(name)

    # -- snapshots ----------------------------------------------------------------------

    def save_snapshot(self, snapshot: Snapshot) -> None:
        """Store ``snapshot``, replacing an older one of the same stream.

        Raises:
            ValueError: The snapshot's version is beyond the stream's, or older than the
                stored snapshot; the stored one is kept.

        >>> import tempfile, os
        >>> with EventStore(os.path.join(tempfile.mkdtemp(), "e.db")) as store:
        ...     _ = store.append("s", [NewEvent("A")], expected_version=0)
        ...     store.save_snapshot(Snapshot("s", 1, {"count": 1}))
        ...     store.load_snapshot("s")
        Snapshot(stream='s', version=1, state={'count': 1})
        """
        state = json.dumps(snapshot.state, sort_keys=True)
        self._db.execute("BEGIN IMMEDIATE")
        try:
            current = self._version(snapshot.stream)
            if snapshot.version > current or snapshot.version < 1:
                raise ValueError(
                    f"a snapshot of stream {snapshot.stream!r} at version {snapshot.version} "
                    f"is impossible: the stream is at version {current}"
                )
            stored = self._db.execute(
                "SELECT version FROM snapshots WHERE stream = ?", (snapshot.stream,)
            ).fetchone()
            if stored is not None and int(stored[0]) > snapshot.version:
                raise ValueError(
                    f"stream {snapshot.stream!r} already has a newer snapshot (version "
                    f"{stored[0]}) than version {snapshot.version}"
                )
            self._db.execute(
                "INSERT OR REPLACE INTO snapshots (stream, version, state, recorded_at) "
                "VALUES (?, ?, ?, ?)",
                (snapshot.stream, snapshot.version, state, time.time()),
            )
            self._db.execute("COMMIT")
        except BaseException:
            self._db.execute("ROLLBACK")
            raise

    def load_snapshot(self, stream: str) -> Snapshot | None:
        """The latest snapshot of ``stream``, or ``None``.

        >>> import tempfile, os
        >>> with EventStore(os.path.join(tempfile.mkdtemp(), "e.db")) as store:
        ...     store.load_snapshot("s") is None
        True
        """
        row = self._db.execute(
            "SELECT version, state FROM snapshots WHERE stream = ?", (stream,)
        ).fetchone()
        if row is None:
            return None
        return Snapshot(stream, int(row[0]), json.loads(row[1]))

    # -- projection positions -----------------------------------------------------------

    def _position(self, name: str) -> int:
        row = self._db.execute(
            "SELECT position FROM projections WHERE name = ?", (name,)
        ).fetchone()
        return 0 if row is None else int(row[0])

    def _set_position(self, name: str, position: int) -> None:
        self._db.execute(
            "INSERT OR REPLACE INTO projections (name, position) VALUES (?, ?)", (name, position)
        )


def _event(row: tuple[Any, ...]) -> StoredEvent:
    return StoredEvent(
        int(row[0]), str(row[1]), int(row[2]), str(row[3]), json.loads(row[4]), float(row[5])
    )


class Projection:
    """A read model fed from the store in global order, resuming where it stopped.

    :meth:`catch_up` hands every event after the stored position to ``handler`` and
    records the position after each one, in the store's file, under ``name``. A
    projection that stops (a crash, a deploy) starts again after the last event it
    recorded. Delivery is at least once: an event whose handler ran but whose position was
    not yet recorded is handled again, so make the handler idempotent or keep the read
    model in the same transaction.

    Args:
        store: The event store.
        name: The projection's name; its position is stored under it.
        handler: Called with each :class:`StoredEvent`.

    >>> import tempfile, os
    >>> store = EventStore(os.path.join(tempfile.mkdtemp(), "e.db"))
    >>> _ = store.append("a", [NewEvent("Deposited", {"amount": 5})], expected_version=0)
    >>> totals = {"sum": 0}
    >>> def add(event: StoredEvent) -> None:
    ...     totals["sum"] += event.data["amount"]
    >>> balance = Projection(store, "balance", add)
    >>> balance.catch_up()
    1
    >>> _ = store.append("a", [NewEvent("Deposited", {"amount": 7})], expected_version=1)
    >>> balance.catch_up(), totals["sum"], balance.position
    (1, 12, 2)
    >>> store.close()
    """

    def __init__(
        self, store: EventStore, name: str, handler: Callable[[StoredEvent], None]
    ) -> None:
        self.store = store
        self.name = name
        self.handler = handler

    @property
    def position(self) -> int:
        """The global position of the last event handled (0 before the first).

        >>> import tempfile, os
        >>> store = EventStore(os.path.join(tempfile.mkdtemp(), "e.db"))
        >>> Projection(store, "p", print).position
        0
        """
        return self.store._position(self.name)

    def catch_up(self, batch: int = 500) -> int:
        """Handle every event after the stored position; return how many were handled.

        If the handler raises, the position stays at the last event handled and the
        error propagates.

        >>> import tempfile, os
        >>> store = EventStore(os.path.join(tempfile.mkdtemp(), "e.db"))
        >>> Projection(store, "p", print).catch_up()
        0
        """
        handled = 0
        position = self.position
        while True:
            events = self.store.read_all(after_position=position, limit=batch)
            if not events:
                return handled
            for event in events:
                self.handler(event)
                position = event.position
                self.store._set_position(self.name, position)
                handled += 1
