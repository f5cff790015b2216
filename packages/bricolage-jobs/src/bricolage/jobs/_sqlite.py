"""The embedded backend: one SQLite file in WAL mode, shared by processes on one machine."""

from __future__ import annotations

import json
import pathlib
import sqlite3
import threading
import time
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path

from bricolage.jobs._backend import Renewal
from bricolage.jobs._model import JobRecord, NewJob, Outcome, QueueStats, check_report
from bricolage.jobs._policy import Bucket, RateLimit, fence_accepts, take_tokens
from bricolage.jobs._states import Event, JobState
from bricolage.jobs.errors import (
    ConfigurationError,
    IllegalTransitionError,
    JobNotFoundError,
    LeaseLostError,
)

__all__ = ["SQLiteBackend"]

_SCHEMA = """
CREATE TABLE IF NOT EXISTS jobs (
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
);
CREATE INDEX IF NOT EXISTS jobs_ready ON jobs (queue, priority DESC, seq)
    WHERE state = 'queued';
CREATE INDEX IF NOT EXISTS jobs_due ON jobs (due_at) WHERE state IN ('scheduled', 'retrying');
CREATE INDEX IF NOT EXISTS jobs_lease ON jobs (lease_expires_at) WHERE state = 'running';
CREATE INDEX IF NOT EXISTS jobs_state ON jobs (state, finished_at);
CREATE INDEX IF NOT EXISTS jobs_idem ON jobs (idempotency_key)
    WHERE idempotency_key IS NOT NULL;
CREATE INDEX IF NOT EXISTS jobs_expiry ON jobs (expires_at) WHERE expires_at IS NOT NULL;
CREATE TABLE IF NOT EXISTS counters (name TEXT PRIMARY KEY, value INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS buckets (queue TEXT PRIMARY KEY, tokens REAL, updated REAL);
CREATE TABLE IF NOT EXISTS fired (key TEXT PRIMARY KEY, expires_at REAL NOT NULL);
"""

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
]
_SELECT = f"SELECT {', '.join(_COLUMNS)} FROM jobs"  # noqa: S608 - fixed column names
_INSERT = (
    f"INSERT OR REPLACE INTO jobs ({', '.join(_COLUMNS)}, expires_at) "  # noqa: S608
    f"VALUES ({', '.join('?' * (len(_COLUMNS) + 1))})"
)
_SWEEP_EVERY = 1.0
_BATCH = 200


def _record(row: Sequence[object]) -> JobRecord:
    values = dict(zip(_COLUMNS, row, strict=True))
    values["state"] = JobState(str(values["state"]))
    values["meta"] = json.loads(str(values["meta"]))
    values["cancel_requested"] = bool(values["cancel_requested"])
    return JobRecord(**values)  # type: ignore[arg-type]


def _row(record: JobRecord) -> tuple[object, ...]:
    values: list[object] = []
    for column in _COLUMNS:
        value = getattr(record, column)
        if column == "state":
            value = value.value
        elif column == "meta":
            value = json.dumps(dict(value), sort_keys=True)
        elif column == "cancel_requested":
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
        self.path = str(path)
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
        with self._tx() as cur:
            for statement in _SCHEMA.split(";"):
                if statement.strip():
                    cur.execute(statement)
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

    @staticmethod
    def _next(cur: sqlite3.Cursor, name: str, by: int = 1) -> int:
        cur.execute(
            "INSERT INTO counters (name, value) VALUES (?, ?) "
            "ON CONFLICT(name) DO UPDATE SET value = value + excluded.value RETURNING value",
            (name, by),
        )
        return int(cur.fetchone()[0])

    @staticmethod
    def _load(cur: sqlite3.Cursor, job_id: str) -> JobRecord | None:
        cur.execute(f"{_SELECT} WHERE id = ?", (job_id,))
        row = cur.fetchone()
        return None if row is None else _record(row)

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
        for row in cur.fetchall():
            self._store(cur, _record(row).expire(now))
        cur.execute(
            f"{_SELECT} WHERE state IN ('scheduled', 'retrying') AND due_at <= ? "
            f"ORDER BY due_at LIMIT {_BATCH}",
            (now,),
        )
        for row in cur.fetchall():
            record = _record(row).promote()
            self._store(cur, record)
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
    ) -> list[JobRecord]:
        """Lease up to ``limit`` jobs; see :meth:`Backend.claim`."""
        claimed: list[JobRecord] = []
        self._changed.clear()
        with self._tx() as cur:
            self._maintain(cur, now)
            for queue in queues:
                want = limit - len(claimed)
                if want <= 0:
                    break
                cur.execute(
                    f"{_SELECT} WHERE state = 'queued' AND queue = ? "
                    "ORDER BY priority DESC, seq LIMIT ?",
                    (queue, want),
                )
                rows = cur.fetchall()
                if not rows:
                    continue
                rate = (rate_limits or {}).get(queue)
                if rate is not None:
                    cur.execute("SELECT tokens, updated FROM buckets WHERE queue = ?", (queue,))
                    found = cur.fetchone()
                    bucket = None if found is None else Bucket(found[0], found[1])
                    granted, bucket = take_tokens(bucket, rate, now, len(rows))
                    cur.execute(
                        "INSERT OR REPLACE INTO buckets (queue, tokens, updated) VALUES (?, ?, ?)",
                        (queue, bucket.tokens, bucket.updated),
                    )
                    rows = rows[:granted]
                for row in rows:
                    token = self._next(cur, "token")
                    record = _record(row).claim(worker, token, now + lease, now)
                    self._store(cur, record)
                    claimed.append(record)
        return claimed

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
        record = self._load(cur, job_id)
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
            cur = self._conn.execute(f"{_SELECT} WHERE id = ?", (job_id,))
            row = cur.fetchone()
        if row is None:
            return None
        record = _record(row)
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
        """Jobs in ``state``; see :meth:`Backend.list_jobs`."""
        order = "finished_at DESC, seq" if state is JobState.DEAD else "due_at, seq"
        with self._lock:
            cur = self._conn.execute(
                f"{_SELECT} WHERE state = ? ORDER BY {order} LIMIT ? OFFSET ?",
                (state.value, limit, offset),
            )
            rows = cur.fetchall()
        return [_record(row) for row in rows]

    def requeue(self, job_ids: Sequence[str] | None, now: float) -> int:
        """Re-queue dead or failed jobs; see :meth:`Backend.requeue`."""
        with self._tx() as cur:
            if job_ids is None:
                cur.execute(f"{_SELECT} WHERE state = 'dead' ORDER BY finished_at")
                records = [_record(row) for row in cur.fetchall()]
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
        """Counts and recent latencies; see :meth:`Backend.stats`."""
        with self._lock:
            rows = self._conn.execute(
                "SELECT queue, state, COUNT(*) FROM jobs "
                "WHERE expires_at IS NULL OR expires_at > ? GROUP BY queue, state",
                (now,),
            ).fetchall()
            recent = self._conn.execute(
                "SELECT started_at - due_at, finished_at - started_at FROM jobs "
                "WHERE state = 'succeeded' AND finished_at > ?",
                (now - 60.0,),
            ).fetchall()
        counts: dict[str, dict[str, int]] = {}
        for queue, state, count in rows:
            counts.setdefault(queue, {})[state] = count
        waits = sorted(max(0.0, w) for w, _ in recent)
        runs = sorted(r for _, r in recent)
        return QueueStats(
            counts=counts,
            finished_last_minute=len(recent),
            wait_p50=_quantile(waits, 0.5),
            wait_p99=_quantile(waits, 0.99),
            run_p50=_quantile(runs, 0.5),
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
