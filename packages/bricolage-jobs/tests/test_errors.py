"""Bad input, unreachable stores, old and new SQLite files, the missing redis extra."""

from __future__ import annotations

import logging
import socket
import sqlite3
import sys
import threading
from collections.abc import Iterator, Sequence
from pathlib import Path

import pytest

from bricolage.jobs import (
    BackendConnectionError,
    BackendTimeoutError,
    Call,
    Event,
    InvalidArgumentsError,
    JobState,
    LeaseLostError,
    LeasePolicy,
    MissingExtraError,
    NewJob,
    Outcome,
    PayloadTooLargeError,
    Queue,
    RedisBackend,
    SQLiteBackend,
    StoreVersionError,
    Worker,
    open_backend,
)
from bricolage.jobs._sqlite import SCHEMA_VERSION
from bricolage.jobs.testing import free_port


@pytest.fixture
def queue() -> Iterator[Queue]:
    with Queue("sqlite://:memory:") as made:
        yield made


def test_an_unexpected_keyword_is_named(queue: Queue) -> None:
    @queue.job()
    def add(a: int, b: int) -> int:
        return a + b

    with pytest.raises(InvalidArgumentsError, match=r"unexpected keyword argument\(s\) c=2"):
        queue.enqueue(add, 1, c=2)  # type: ignore[call-arg]
    with pytest.raises(InvalidArgumentsError, match="missing a required argument: 'b'"):
        queue.enqueue(add, 1)  # type: ignore[call-arg]


def test_strict_validation_by_default_and_coercion_on_request(queue: Queue) -> None:
    @queue.job()
    def strict(n: int) -> int:
        return n

    @queue.job(coerce=True)
    def lenient(n: int) -> int:
        return n

    for bad in ("1", True, 1.5):
        with pytest.raises(InvalidArgumentsError, match="n: "):
            queue.enqueue(strict, bad)  # type: ignore[arg-type]
    assert queue.enqueue(lenient, "1").record.args == '{"n":1}'  # type: ignore[arg-type]
    Worker(queue, burst=True).run()
    assert queue.stats().counts["default"] == {"succeeded": 1}


def test_an_argument_that_cannot_travel_as_json(queue: Queue) -> None:
    @queue.job()
    def keep(value: object) -> None: ...

    with pytest.raises(InvalidArgumentsError, match="cannot travel as JSON"):
        queue.enqueue(keep, threading.Lock())
    assert queue.stats().counts == {}


def test_a_plain_function_is_refused(queue: Queue) -> None:
    def plain(n: int) -> int:
        return n

    with pytest.raises(InvalidArgumentsError, match="not a registered job"):
        queue.enqueue(plain, 1)  # type: ignore[arg-type]
    with pytest.raises(InvalidArgumentsError, match="not a registered job"):
        Call.of(plain, 1)  # type: ignore[arg-type]


def test_the_payload_limit(tmp_path: Path) -> None:
    with Queue(SQLiteBackend(tmp_path / "jobs.db"), max_payload=1000) as queue:

        @queue.job()
        def take(text: str) -> int:
            return len(text)

        queue.enqueue(take, "x" * 900)
        with pytest.raises(PayloadTooLargeError, match="1011 bytes as JSON, over the queue's"):
            queue.enqueue(take, "x" * 1000)
        assert queue.stats().counts["default"] == {"queued": 1}
    with pytest.raises(ValueError, match="max_payload"):
        Queue("sqlite://:memory:", max_payload=0)


def test_a_refused_redis_connection_is_a_jobs_error() -> None:
    backend = RedisBackend(f"redis://127.0.0.1:{free_port()}/0")
    with pytest.raises(BackendConnectionError, match="cannot reach Redis") as caught:
        backend.claim(["default"], "w", 1, 30.0, 0.0)
    assert isinstance(caught.value, ConnectionError)
    backend.close()


def test_a_silent_redis_is_a_timeout() -> None:
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen()
        port = listener.getsockname()[1]
        backend = RedisBackend(f"redis://127.0.0.1:{port}/0?socket_timeout=0.2")
        with pytest.raises(BackendTimeoutError, match="did not answer in time") as caught:
            backend.get("a", 0.0)
        assert isinstance(caught.value, TimeoutError)
        backend.close()


def test_a_redis_url_without_the_extra(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "redis", None)
    with pytest.raises(MissingExtraError, match=r'pip install "bricolage-jobs\[redis\]"'):
        open_backend("redis://127.0.0.1:6390/0")


def _version_one_file(path: Path) -> None:
    from bricolage.jobs._sqlite import _SCHEMA_1

    with sqlite3.connect(path) as conn:
        for statement in _SCHEMA_1:
            conn.execute(statement)
        conn.execute("CREATE INDEX jobs_ready ON jobs (queue, priority DESC, seq)")
        row = ["a", "t", "default", "queued", "{}", 0, 1, 0, 3, 0, 5, None, 1.0, 1.0]
        row += [None, None, None, 0, None, None, None, None, None, None, "{}", 86400.0, 0, None]
        conn.execute(f"INSERT INTO jobs VALUES ({', '.join('?' * len(row))})", row)


def test_a_version_one_file_is_migrated_on_open(tmp_path: Path) -> None:
    path = tmp_path / "old.db"
    _version_one_file(path)
    backend = SQLiteBackend(path)
    with sqlite3.connect(path) as conn:
        assert conn.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
    got = backend.get("a", 2.0)
    assert got is not None
    assert (got.state, got.crashes, got.suspect) == (JobState.QUEUED, 0, False)
    assert backend.stats(2.0).counts == {"default": {"queued": 1}}
    [claimed] = backend.claim(["default"], "w", 1, 30.0, 2.0)
    backend.finish("a", claimed.token, Outcome(Event.SUCCEED), 3.0)
    assert backend.stats(3.0).counts == {"default": {"succeeded": 1}}
    backend.close()
    SQLiteBackend(path).close()  # opening again changes nothing


def test_a_file_from_a_newer_version_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "new.db"
    SQLiteBackend(path).close()
    with sqlite3.connect(path) as conn:
        conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 1}")
    with pytest.raises(StoreVersionError, match="upgrade bricolage-jobs") as caught:
        SQLiteBackend(path)
    assert isinstance(caught.value, ValueError)


class _FlakyReports(SQLiteBackend):
    """A real SQLite backend whose first ``fail`` report batches raise, as a lost link."""

    def __init__(self, path: Path, fail: int) -> None:
        super().__init__(path)
        self.fail = fail
        self.calls = 0

    def finish_many(
        self, reports: Sequence[tuple[str, int, Outcome]], now: float
    ) -> list[LeaseLostError | None]:
        self.calls += 1
        if self.calls <= self.fail:
            raise ConnectionError("the store went away")
        return super().finish_many(reports, now)


def test_a_failed_report_is_logged_and_retried(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    backend = _FlakyReports(tmp_path / "jobs.db", fail=3)
    with Queue(backend) as queue:

        @queue.job()
        def one() -> int:
            return 1

        handle = queue.enqueue(one)
        with caplog.at_level(logging.ERROR, logger="bricolage.jobs.worker"):
            Worker(queue, burst=True, lease=LeasePolicy(duration=5.0)).run()
        assert handle.result() == 1
        assert backend.calls == 4
        assert caplog.text.count("reporting 1 jobs failed") == 3


def test_a_report_is_given_up_when_the_lease_runs_out(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    backend = _FlakyReports(tmp_path / "jobs.db", fail=6)
    with Queue(backend) as queue:

        @queue.job()
        def one() -> int:
            return 1

        handle = queue.enqueue(one)
        with caplog.at_level(logging.ERROR, logger="bricolage.jobs.worker"):
            Worker(queue, burst=True, lease=LeasePolicy(duration=0.6)).run()
        # the first run's report could not be stored within its lease: the job was
        # handed out again (never lost), and its second report was stored
        assert "gave up reporting job" in caplog.text
        assert handle.result() == 1
        assert handle.status().deliveries >= 2


def test_new_jobs_check_their_fields() -> None:
    with pytest.raises(ValueError, match="max_attempts and max_deliveries"):
        NewJob(id="a", name="t", queue="q", args="{}", max_deliveries=0)
