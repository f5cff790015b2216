"""The embedded backend: one SQLite file in WAL mode, shared by processes on one machine."""

from __future__ import annotations

import json
import logging
import pathlib
import sqlite3
import threading
import time
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path

from bricolage.jobs._backend import Renewal
from bricolage.jobs._isolation import is_isolated
from bricolage.jobs._model import (
    CorruptRecord,
    JobRecord,
    NewJob,
    Outcome,
    QueueStats,
    check_report,
)
from bricolage.jobs._policy import Bucket, RateLimit, fence_accepts, take_tokens
from bricolage.jobs._states import Event, JobState
from bricolage.jobs.errors import (
    ConfigurationError,
    CorruptJobError,
    IllegalTransitionError,
    JobNotFoundError,
    LeaseLostError,
    StoreVersionError,
)

__all__ = ["SCHEMA_VERSION", "SQLiteBackend"]

logger = logging.getLogger("bricolage.jobs.sqlite")

#: The version of the file layout this code writes (``PRAGMA user_version``).
SCHEMA_VERSION = 2

# Version 1 (bricolage-jobs 0.1), created as it was so that old files and new ones
# take the same path to the current version.
_SCHEMA_1 = [
    """CREATE TABLE IF NOT EXISTS jobs (
    id TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    queue TEXT NOT NULL,
    state TEXT NOT NULL,
    args TEXT NOT NULL,
    priority INTEGER NOT NULL,
    seq INTEGER NOT NULL,
    attempts INTEGER NOT NULL,
    max_attempts INTEGER NOT NULL,
    deliveries INTEGER NOT NULL,
    max_deliveries INTEGER NOT NULL,
    timeout REAL,
    enqueued_at REAL NOT NULL,
    due_at REAL NOT NULL,
    started_at REAL,
    finished_at REAL,
    lease_expires_at REAL,
    token INTEGER NOT NULL,
    worker TEXT,
    result TEXT,
    error TEXT,
    traceback TEXT,
    progress TEXT,
    idempotency_key TEXT,
    meta TEXT NOT NULL,
    result_ttl REAL NOT NULL,
    cancel_requested INTEGER NOT NULL,
    expires_at REAL
)""",
    (
        "CREATE INDEX IF NOT EXISTS jobs_due ON jobs (due_at) "
        "WHERE state IN ('scheduled', 'retrying')"
    ),
    "CREATE INDEX IF NOT EXISTS jobs_lease ON jobs (lease_expires_at) WHERE state = 'running'",
    "CREATE INDEX IF NOT EXISTS jobs_state ON jobs (state, finished_at)",
    (
        "CREATE INDEX IF NOT EXISTS jobs_idem ON jobs (idempotency_key) "
        "WHERE idempotency_key IS NOT NULL"
    ),
    "CREATE INDEX IF NOT EXISTS jobs_expiry ON jobs (expires_at) WHERE expires_at IS NOT NULL",
    "CREATE TABLE IF NOT EXISTS counters (name TEXT PRIMARY KEY, value INTEGER NOT NULL)",
    "CREATE TABLE IF NOT EXISTS buckets (queue TEXT PRIMARY KEY, tokens REAL, updated REAL)",
    "CREATE TABLE IF NOT EXISTS fired (key TEXT PRIMARY KEY, expires_at REAL NOT NULL)",
]

# Version 2 (0.2): poison isolation (crashes, suspect, isolated), corrupt records moved
# aside, per-(queue, state) counts kept by triggers so stats() reads no job rows.
_MIGRATE_TO_2 = [
    "ALTER TABLE jobs ADD COLUMN crashes INTEGER NOT NULL DEFAULT 0",
    "ALTER TABLE jobs ADD COLUMN suspect INTEGER NOT NULL DEFAULT 0",
    "ALTER TABLE jobs ADD COLUMN isolated INTEGER NOT NULL DEFAULT 0",
    "DROP INDEX IF EXISTS jobs_ready",
    (
        "CREATE INDEX jobs_ready ON jobs (queue, priority DESC, seq) "
        "WHERE state = 'queued' AND suspect = 0"
    ),
    "CREATE INDEX jobs_suspect ON jobs (queue, seq) WHERE state = 'queued' AND suspect = 1",
    "CREATE INDEX jobs_listing ON jobs (state, due_at, seq)",
    """CREATE TABLE corrupt (
    id TEXT PRIMARY KEY, reason TEXT NOT NULL, fields TEXT NOT NULL, moved_at REAL NOT NULL
)""",
    """CREATE TABLE tally (
    queue TEXT NOT NULL, state TEXT NOT NULL, n INTEGER NOT NULL, PRIMARY KEY (queue, state)
) WITHOUT ROWID""",
    (
        "INSERT INTO tally (queue, state, n) SELECT queue, state, COUNT(*) FROM jobs "
        "GROUP BY queue, state"
    ),
    """CREATE TRIGGER jobs_tally_insert AFTER INSERT ON jobs BEGIN
    INSERT INTO tally (queue, state, n) VALUES (new.queue, new.state, 1)
        ON CONFLICT (queue, state) DO UPDATE SET n = n + 1;
END""",
    """CREATE TRIGGER jobs_tally_delete AFTER DELETE ON jobs BEGIN
    UPDATE tally SET n = n - 1 WHERE queue = old.queue AND state = old.state;
END""",
    """CREATE TRIGGER jobs_tally_update AFTER UPDATE OF state, queue ON jobs
WHEN old.state IS NOT new.state OR old.queue IS NOT new.queue BEGIN
    UPDATE tally SET n = n - 1 WHERE queue = old.queue AND state = old.state;
    INSERT INTO tally (queue, state, n) VALUES (new.queue, new.state, 1)
        ON CONFLICT (queue, state) DO UPDATE SET n = n + 1;
END""",
]

_COLUMNS = [
    "id",
    "name",
    "queue",
    "state",
    "args",
    "priority",
    "seq",
    "attempts",
    "max_attempts",
    "deliveries",
    "max_deliveries",
    "timeout",
    "enqueued_at",
    "due_at",
    "started_at",
    "finished_at",
    "lease_expires_at",
    "token",
    "worker",
    "result",
    "error",
    "traceback",
    "progress",
    "idempotency_key",
    "meta",
    "result_ttl",
    "cancel_requested",
    "crashes",
    "suspect",
    "isolated",
]
_SELECT = f"SELECT {', '.join(_COLUMNS)} FROM jobs"  # noqa: S608 - fixed column names
_INSERT = (
    f"INSERT INTO jobs ({', '.join(_COLUMNS)}, expires_at) "  # noqa: S608
    f"VALUES ({', '.join('?' * (len(_COLUMNS) + 1))}) ON CONFLICT (id) DO UPDATE SET "
    + ", ".join(f"{c} = excluded.{c}" for c in [*_COLUMNS[1:], "expires_at"])
)
_INTS = frozenset(
    {"priority", "seq", "attempts", "max_attempts", "deliveries", "max_deliveries", "token"}
    | {"crashes"}
)
_REALS = frozenset(
    {"timeout", "enqueued_at", "due_at", "started_at", "finished_at", "lease_expires_at"}
    | {"result_ttl"}
)
_TEXTS = frozenset({"id", "name", "queue", "args"})
_FLAGS = frozenset({"cancel_requested", "suspect", "isolated"})
_SWEEP_EVERY = 1.0
_BATCH = 200


def _record(row: Sequence[object]) -> JobRecord:
    """A record from a row; ``CorruptJobError`` says what is wrong with a bad one."""
    values = dict(zip(_COLUMNS, row, strict=True))
    for column, value in values.items():
        if value is None:
            if column in _INTS or column in _TEXTS or column in _FLAGS or column == "meta":
                raise CorruptJobError(f"column {column!r} is empty")
            continue
        if column in _INTS and (not isinstance(value, int) or isinstance(value, bool)):
            raise CorruptJobError(f"column {column!r} is not an integer: {value!r}")
        if column in _REALS and not isinstance(value, int | float):
            raise CorruptJobError(f"column {column!r} is not a number: {value!r}")
    try:
        values["state"] = JobState(str(values["state"]))
    except ValueError:
        raise CorruptJobError(f"unknown state {values['state']!r}") from None
    try:
        meta = json.loads(str(values["meta"]))
    except ValueError as exc:
        raise CorruptJobError(f"meta is not JSON ({exc}): {values['meta']!r}") from None
    if not isinstance(meta, dict) or not all(
        isinstance(k, str) and isinstance(v, str) for k, v in meta.items()
    ):
        raise CorruptJobError(f"meta is not an object of strings: {values['meta']!r}")
    values["meta"] = meta
    for flag in _FLAGS:
        values[flag] = bool(values[flag])
    try:
        return JobRecord(**values)  # type: ignore[arg-type]
    except (TypeError, ValueError) as exc:  # pragma: no cover - the checks above cover it
        raise CorruptJobError(str(exc)) from None


def _row(record: JobRecord) -> tuple[object, ...]:
    values: list[object] = []
    for column in _COLUMNS:
        value = getattr(record, column)
        if column == "state":
            value = value.value
        elif column == "meta":
            value = json.dumps(dict(value), sort_keys=True)
        elif column in _FLAGS:
            value = int(value)
        values.append(value)
    values.append(record.expires_at)
    return tuple(values)


class SQLiteBackend:
    """Jobs in one SQLite file (WAL), shared by the threads and processes of one machine.

    Every step runs in one ``BEGIN IMMEDIATE`` transaction, so a process killed halfway
    leaves nothing half done. ``durable=True`` also survives power loss
    (``synchronous=FULL``); the default survives process crashes (``NORMAL``).

    >>> backend = SQLiteBackend(":memory:")
    >>> from bricolage.jobs._model import NewJob
    >>> [job] = backend.enqueue([NewJob(id="j1", name="ping", queue="default", args="{}")], 0.0)
    >>> job.state
    <JobState.QUEUED: 'queued'>
    >>> backend.close()
    """

    def __init__(
        self,
        path: str | pathlib.Path,
        *,
        durable: bool = False,
        busy_timeout: float = 30.0,
        poll_interval: float = 0.005,
    ) -> None:
        self.path: str = str(path)
        if self.path != ":memory:":
            parent = Path(self.path).expanduser().resolve().parent
            if not parent.is_dir():
                raise ConfigurationError(
                    f"SQLite path {self.path!r}: folder {str(parent)!r} does not exist"
                )
        self._poll = poll_interval
        self._lock = threading.RLock()
        self._changed = threading.Event()
        self._conn = sqlite3.connect(
            self.path, timeout=busy_timeout, isolation_level=None, check_same_thread=False
        )
        self._conn.execute("PRAGMA journal_mode=WAL")
        self._conn.execute(f"PRAGMA synchronous={'FULL' if durable else 'NORMAL'}")
        self._conn.execute(f"PRAGMA busy_timeout={int(busy_timeout * 1000)}")
        self._migrate()
        self._last_sweep = 0.0
        self._closed = False

    def __repr__(self) -> str:
        return f"SQLiteBackend({self.path!r})"

    @contextmanager
    def _tx(self) -> Iterator[sqlite3.Cursor]:
        with self._lock:
            cur = self._conn.cursor()
            cur.execute("BEGIN IMMEDIATE")
            try:
                yield cur
            except BaseException:
                cur.execute("ROLLBACK")
                raise
            else:
                cur.execute("COMMIT")
            finally:
                cur.close()

    def _migrate(self) -> None:
        """Bring the file to :data:`SCHEMA_VERSION`, or refuse one written by a newer version."""
        with self._tx() as cur:
            version = int(cur.execute("PRAGMA user_version").fetchone()[0])
            if version > SCHEMA_VERSION:
                raise StoreVersionError(
                    f"SQLite file {self.path!r} has schema version {version}, newer than "
                    f"{SCHEMA_VERSION} which this bricolage-jobs reads; upgrade "
                    "bricolage-jobs to open it"
                )
            if version < 1:
                for statement in _SCHEMA_1:
                    cur.execute(statement)
            if version < 2:
                for statement in _MIGRATE_TO_2:
                    cur.execute(statement)
            if version != SCHEMA_VERSION:
                cur.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")

    @staticmethod
    def _next(cur: sqlite3.Cursor, name: str, by: int = 1) -> int:
        cur.execute(
            "INSERT INTO counters (name, value) VALUES (?, ?) "
            "ON CONFLICT(name) DO UPDATE SET value = value + excluded.value RETURNING value",
            (name, by),
        )
        return int(cur.fetchone()[0])

    @staticmethod
    def _move_aside(cur: sqlite3.Cursor, row: Sequence[object], reason: str, now: float) -> None:
        """Take an unreadable row out of the queue into ``corrupt``, with the reason."""
        fields = {c: None if v is None else str(v) for c, v in zip(_COLUMNS, row, strict=True)}
        cur.execute(
            "INSERT OR REPLACE INTO corrupt (id, reason, fields, moved_at) VALUES (?, ?, ?, ?)",
            (str(row[0]), reason, json.dumps(fields), now),
        )
        cur.execute("DELETE FROM jobs WHERE id = ?", (row[0],))
        logger.error("job %s is corrupt and was moved aside: %s", row[0], reason)

    def _records(
        self, cur: sqlite3.Cursor, rows: Sequence[Sequence[object]], now: float
    ) -> list[JobRecord]:
        """Records of ``rows``; unreadable ones are moved aside and left out."""
        out: list[JobRecord] = []
        for row in rows:
            try:
                out.append(_record(row))
            except CorruptJobError as exc:
                self._move_aside(cur, row, str(exc), now)
        return out

    def _load(self, cur: sqlite3.Cursor, job_id: str) -> JobRecord | None:
        """The record of ``job_id``; ``CorruptJobError`` if it is (or was moved aside as)
        unreadable."""
        cur.execute(f"{_SELECT} WHERE id = ?", (job_id,))
        row = cur.fetchone()
        if row is None:
            self._raise_if_corrupt(cur, job_id)
            return None
        try:
            return _record(row)
        except CorruptJobError as exc:
            raise CorruptJobError(f"job {job_id!r} is corrupt: {exc}") from None

    @staticmethod
    def _raise_if_corrupt(cur: sqlite3.Cursor, job_id: str) -> None:
        found = cur.execute("SELECT reason FROM corrupt WHERE id = ?", (job_id,)).fetchone()
        if found is not None:
            raise CorruptJobError(f"job {job_id!r} is corrupt and was moved aside: {found[0]}")

    @staticmethod
    def _store(cur: sqlite3.Cursor, record: JobRecord) -> None:
        cur.execute(_INSERT, _row(record))

    # -- producer side ---------------------------------------------------------------

    def enqueue(self, jobs: Sequence[NewJob], now: float) -> list[JobRecord]:
        """Store ``jobs``; see :meth:`Backend.enqueue`."""
        out: list[JobRecord] = []
        with self._tx() as cur:
            last = self._next(cur, "seq", len(jobs)) if jobs else 0
            for index, job in enumerate(jobs):
                if job.idempotency_key is not None:
                    cur.execute(
                        f"{_SELECT} WHERE idempotency_key = ? AND state NOT IN "
                        "('succeeded', 'failed', 'dead', 'cancelled') LIMIT 1",
                        (job.idempotency_key,),
                    )
                    row = cur.fetchone()
                    if row is not None:
                        out.append(_record(row))
                        continue
                existing = self._load(cur, job.id)
                if existing is not None:
                    raise ConfigurationError(
                        f"job id {job.id!r} is already taken by a {existing.state.value} job; "
                        "pass a new id"
                    )
                record = JobRecord.create(job, now, last - len(jobs) + index + 1)
                self._store(cur, record)
                out.append(record)
        self._changed.set()
        return out

    # -- worker side ------------------------------------------------------------------

    def _maintain(self, cur: sqlite3.Cursor, now: float) -> None:
        cur.execute(
            f"{_SELECT} WHERE state = 'running' AND lease_expires_at <= ? "
            f"ORDER BY lease_expires_at LIMIT {_BATCH}",
            (now,),
        )
        for record in self._records(cur, cur.fetchall(), now):
            self._store(cur, record.expire(now))
        cur.execute(
            f"{_SELECT} WHERE state IN ('scheduled', 'retrying') AND due_at <= ? "
            f"ORDER BY due_at LIMIT {_BATCH}",
            (now,),
        )
        for record in self._records(cur, cur.fetchall(), now):
            self._store(cur, record.promote())
        if now - self._last_sweep >= _SWEEP_EVERY:
            self._last_sweep = now
            cur.execute("DELETE FROM jobs WHERE expires_at <= ?", (now,))
            cur.execute("DELETE FROM fired WHERE expires_at <= ?", (now,))

    def claim(
        self,
        queues: Sequence[str],
        worker: str,
        limit: int,
        lease: float,
        now: float,
        rate_limits: Mapping[str, RateLimit] | None = None,
        *,
        alone: bool = False,
    ) -> list[JobRecord]:
        """Lease up to ``limit`` jobs; see :meth:`Backend.claim`."""
        self._changed.clear()
        with self._tx() as cur:
            self._maintain(cur, now)
            marks = ", ".join("?" * len(queues))
            suspect = cur.execute(
                f"SELECT {', '.join(_COLUMNS)} FROM jobs "  # noqa: S608
                f"WHERE state = 'queued' AND suspect = 1 AND queue IN ({marks}) "
                "ORDER BY seq LIMIT 1",
                tuple(queues),
            ).fetchall()
            if suspect:
                # Suspects of a lost worker go first, each to a worker that holds nothing
                # else; a worker holding jobs gets nothing until they are placed.
                if not alone:
                    return []
                claimed = self._records(cur, suspect, now)
                if claimed:
                    return [self._lease(cur, claimed[0], worker, lease, now, True)]
            return self._claim_ready(cur, queues, worker, limit, lease, now, rate_limits, alone)

    def _claim_ready(
        self,
        cur: sqlite3.Cursor,
        queues: Sequence[str],
        worker: str,
        limit: int,
        lease: float,
        now: float,
        rate_limits: Mapping[str, RateLimit] | None,
        alone: bool,
    ) -> list[JobRecord]:
        claimed: list[JobRecord] = []
        isolated = is_isolated(alone=alone, suspect=False, limit=limit)
        for queue in queues:
            while (want := limit - len(claimed)) > 0:
                cur.execute(
                    f"{_SELECT} WHERE state = 'queued' AND suspect = 0 "
                    "AND queue = ? ORDER BY priority DESC, seq LIMIT ?",
                    (queue, want),
                )
                rows = cur.fetchall()
                if not rows:
                    break
                records = self._records(cur, rows, now)
                rate = (rate_limits or {}).get(queue)
                if rate is not None:
                    cur.execute("SELECT tokens, updated FROM buckets WHERE queue = ?", (queue,))
                    found = cur.fetchone()
                    bucket = None if found is None else Bucket(found[0], found[1])
                    granted, bucket = take_tokens(bucket, rate, now, len(records))
                    cur.execute(
                        "INSERT OR REPLACE INTO buckets (queue, tokens, updated) VALUES (?, ?, ?)",
                        (queue, bucket.tokens, bucket.updated),
                    )
                    records = records[:granted]
                for record in records:
                    claimed.append(self._lease(cur, record, worker, lease, now, isolated))
                if rate is not None or len(records) == len(rows):
                    break  # corrupt rows were moved aside: look again for the rest
        return claimed

    def _lease(
        self,
        cur: sqlite3.Cursor,
        record: JobRecord,
        worker: str,
        lease: float,
        now: float,
        isolated: bool,
    ) -> JobRecord:
        token = self._next(cur, "token")
        claimed = record.claim(worker, token, now + lease, now, isolated=isolated)
        self._store(cur, claimed)
        return claimed

    def wait_and_claim(
        self,
        timeout: float,
        queues: Sequence[str],
        worker: str,
        limit: int,
        lease: float,
        now: float,
        rate_limits: Mapping[str, RateLimit] | None = None,
        *,
        alone: bool = False,
    ) -> list[JobRecord]:
        """:meth:`wait`, then :meth:`claim`; see :meth:`Backend.wait_and_claim`."""
        if timeout > 0:
            began = time.monotonic()
            self.wait(timeout)
            now += time.monotonic() - began
        return self.claim(queues, worker, limit, lease, now, rate_limits, alone=alone)

    def renew(
        self,
        held: Mapping[str, int],
        lease: float,
        now: float,
        progress: Mapping[str, str] | None = None,
    ) -> Renewal:
        """Extend the leases in ``held``; see :meth:`Backend.renew`."""
        lost: set[str] = set()
        cancel: set[str] = set()
        progress = progress or {}
        with self._tx() as cur:
            for job_id, token in held.items():
                cur.execute(
                    "UPDATE jobs SET lease_expires_at = ?, progress = COALESCE(?, progress) "
                    "WHERE id = ? AND state = 'running' AND token = ? "
                    "RETURNING cancel_requested",
                    (now + lease, progress.get(job_id), job_id, token),
                )
                row = cur.fetchone()
                if row is None:
                    lost.add(job_id)
                elif row[0]:
                    cancel.add(job_id)
        return Renewal(lost=frozenset(lost), cancel=frozenset(cancel))

    def _apply(
        self, cur: sqlite3.Cursor, job_id: str, token: int, outcome: Outcome, now: float
    ) -> JobRecord:
        try:
            record = self._load(cur, job_id)
        except CorruptJobError as exc:
            raise LeaseLostError(f"{exc}; the report was dropped") from None
        if record is None or not fence_accepts(record.state, record.token, token):
            state = "gone" if record is None else record.state.value
            current = None if record is None else record.token
            raise LeaseLostError(
                f"job {job_id!r}: the lease with token {token} is no longer held "
                f"(job is {state}, current token {current}); the report was dropped"
            )
        updated = record.finish(outcome, now)
        self._store(cur, updated)
        return updated

    def finish(self, job_id: str, token: int, outcome: Outcome, now: float) -> JobRecord:
        """Apply the holder's report; see :meth:`Backend.finish`."""
        check_report(outcome.event)
        with self._tx() as cur:
            updated = self._apply(cur, job_id, token, outcome, now)
        if outcome.event is Event.RELEASE:
            self._changed.set()
        return updated

    def finish_many(
        self, reports: Sequence[tuple[str, int, Outcome]], now: float
    ) -> list[LeaseLostError | None]:
        """Apply many reports in one transaction; see :meth:`Backend.finish_many`."""
        for _, _, outcome in reports:
            check_report(outcome.event)
        out: list[LeaseLostError | None] = []
        with self._tx() as cur:
            for job_id, token, outcome in reports:
                try:
                    self._apply(cur, job_id, token, outcome, now)
                    out.append(None)
                except LeaseLostError as exc:
                    out.append(exc)
        if any(outcome.event is Event.RELEASE for _, _, outcome in reports):
            self._changed.set()
        return out

    # -- inspection and administration ------------------------------------------------

    def get(self, job_id: str, now: float) -> JobRecord | None:
        """The job, or None; see :meth:`Backend.get`."""
        with self._lock:
            row = self._conn.execute(f"{_SELECT} WHERE id = ?", (job_id,)).fetchone()
            if row is None:
                self._raise_if_corrupt(self._conn.cursor(), job_id)
                return None
        try:
            record = _record(row)
        except CorruptJobError as exc:
            with self._tx() as cur:
                self._move_aside(cur, row, str(exc), now)
            raise CorruptJobError(
                f"job {job_id!r} is corrupt and was moved aside: {exc}"
            ) from None
        expires = record.expires_at
        return None if expires is not None and expires <= now else record

    def cancel(self, job_id: str, now: float) -> JobRecord:
        """Cancel a job; see :meth:`Backend.cancel`."""
        with self._tx() as cur:
            record = self._load(cur, job_id)
            if record is None:
                raise JobNotFoundError(f"no job with id {job_id!r}")
            updated = record.cancel(now)
            self._store(cur, updated)
        return updated

    def list_jobs(self, state: JobState, limit: int = 100, offset: int = 0) -> list[JobRecord]:
        """Jobs in ``state``; see :meth:`Backend.list_jobs`.

        Each order has an index (``jobs_state`` for dead jobs, ``jobs_listing`` for the
        others), so a page costs its own rows plus the rows skipped by ``offset``.
        """
        if state is JobState.DEAD:
            query = f"{_SELECT} WHERE state = ? ORDER BY finished_at DESC, seq LIMIT ? OFFSET ?"
        else:
            query = f"{_SELECT} WHERE state = ? ORDER BY due_at, seq LIMIT ? OFFSET ?"
        with self._lock:
            rows = self._conn.execute(query, (state.value, limit, offset)).fetchall()
        records: list[JobRecord] = []
        bad: list[tuple[Sequence[object], str]] = []
        for row in rows:
            try:
                records.append(_record(row))
            except CorruptJobError as exc:
                bad.append((row, str(exc)))
        if bad:
            with self._tx() as cur:
                for row, reason in bad:
                    self._move_aside(cur, row, reason, time.time())
        return records

    def corrupt(self, limit: int = 100, offset: int = 0) -> list[CorruptRecord]:
        """Records moved aside as unreadable, most recent first; see :meth:`Backend.corrupt`."""
        with self._lock:
            rows = self._conn.execute(
                "SELECT id, reason, fields, moved_at FROM corrupt "
                "ORDER BY moved_at DESC, id LIMIT ? OFFSET ?",
                (limit, offset),
            ).fetchall()
        out: list[CorruptRecord] = []
        for job_id, reason, fields, moved_at in rows:
            kept = {k: v for k, v in json.loads(fields).items() if v is not None}
            out.append(CorruptRecord(id=job_id, reason=reason, fields=kept, moved_at=moved_at))
        return out

    def requeue(self, job_ids: Sequence[str] | None, now: float) -> int:
        """Re-queue dead or failed jobs; see :meth:`Backend.requeue`."""
        with self._tx() as cur:
            if job_ids is None:
                cur.execute(f"{_SELECT} WHERE state = 'dead' ORDER BY finished_at")
                records = self._records(cur, cur.fetchall(), now)
            else:
                records = []
                for job_id in job_ids:
                    record = self._load(cur, job_id)
                    if record is None:
                        raise JobNotFoundError(f"no job with id {job_id!r}")
                    if record.state not in (JobState.DEAD, JobState.FAILED):
                        raise IllegalTransitionError(
                            f"job {job_id!r} is {record.state.value}; only dead or failed "
                            "jobs can be re-queued"
                        )
                    records.append(record)
            for record in records:
                self._store(cur, record.requeue(now, self._next(cur, "seq")))
        self._changed.set()
        return len(records)

    def purge(self, job_ids: Sequence[str] | None) -> int:
        """Delete dead jobs; see :meth:`Backend.purge`."""
        with self._tx() as cur:
            if job_ids is None:
                cur.execute("DELETE FROM jobs WHERE state = 'dead'")
            else:
                cur.executemany(
                    "DELETE FROM jobs WHERE id = ? AND state = 'dead'", [(i,) for i in job_ids]
                )
            return max(0, cur.rowcount)

    def stats(self, now: float) -> QueueStats:
        """Counts and recent latencies; see :meth:`Backend.stats`.

        Counts come from ``tally``, kept by triggers, minus finished jobs whose results
        expired but are not swept yet (an index range): no pass over the job rows.
        """
        with self._lock:
            rows = self._conn.execute("SELECT queue, state, n FROM tally WHERE n != 0").fetchall()
            stale = self._conn.execute(
                "SELECT queue, state, COUNT(*) FROM jobs WHERE expires_at <= ? "
                "GROUP BY queue, state",
                (now,),
            ).fetchall()
            recent = self._conn.execute(
                "SELECT started_at - due_at, finished_at - started_at FROM jobs "
                "WHERE state = 'succeeded' AND finished_at > ?",
                (now - 60.0,),
            ).fetchall()
            corrupt = self._conn.execute("SELECT COUNT(*) FROM corrupt").fetchone()[0]
        counts: dict[str, dict[str, int]] = {}
        for queue, state, count in rows:
            counts.setdefault(queue, {})[state] = count
        for queue, state, count in stale:
            left = counts[queue][state] - count
            if left:
                counts[queue][state] = left
            else:
                del counts[queue][state]
        waits = sorted(max(0.0, w) for w, _ in recent)
        runs = sorted(r for _, r in recent)
        return QueueStats(
            counts={queue: by_state for queue, by_state in counts.items() if by_state},
            finished_last_minute=len(recent),
            wait_p50=_quantile(waits, 0.5),
            wait_p99=_quantile(waits, 0.99),
            run_p50=_quantile(runs, 0.5),
            corrupt=int(corrupt),
        )

    def fire_once(self, key: str, ttl: float, now: float) -> bool:
        """First caller wins; see :meth:`Backend.fire_once`."""
        with self._tx() as cur:
            cur.execute("DELETE FROM fired WHERE key = ? AND expires_at <= ?", (key, now))
            cur.execute(
                "INSERT OR IGNORE INTO fired (key, expires_at) VALUES (?, ?)", (key, now + ttl)
            )
            return cur.rowcount == 1

    def next_wakeup(self, now: float) -> float | None:
        """Earliest due time or lease expiry; see :meth:`Backend.next_wakeup`."""
        with self._lock:
            row = self._conn.execute(
                "SELECT MIN(t) FROM ("
                "SELECT MIN(due_at) AS t FROM jobs WHERE state IN ('scheduled', 'retrying') "
                "UNION ALL SELECT MIN(lease_expires_at) FROM jobs WHERE state = 'running')"
            ).fetchone()
        return None if row[0] is None else float(row[0])

    def wait(self, timeout: float) -> None:
        """Poll the file's change counter until it moves or ``timeout`` passes."""
        deadline = time.monotonic() + timeout
        if self._changed.is_set():
            return
        with self._lock:
            start = self._conn.execute("PRAGMA data_version").fetchone()[0]
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                return
            if self._changed.wait(min(self._poll, left)):
                return
            with self._lock:
                if self._conn.execute("PRAGMA data_version").fetchone()[0] != start:
                    return

    def asyncio_backend(self) -> None:
        """None: SQLite calls run in worker threads; see :meth:`Backend.asyncio_backend`."""
        return

    def close(self) -> None:
        """Close the connection; safe to call twice."""
        with self._lock:
            if not self._closed:
                self._closed = True
                self._conn.close()


def _quantile(values: Sequence[float], q: float) -> float | None:
    if not values:
        return None
    index = min(len(values) - 1, max(0, round(q * (len(values) - 1))))
    return values[index]
