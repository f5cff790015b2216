"""A record that cannot be read is moved aside with its reason; the queue goes on."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from pathlib import Path

import pytest
import redis

from bricolage.jobs import (
    CorruptJobError,
    JobState,
    NewJob,
    Queue,
    RedisBackend,
    SQLiteBackend,
    Worker,
)


def _queue_with_ten(backend: SQLiteBackend | RedisBackend) -> tuple[Queue, list[str]]:
    queue = Queue(backend)

    @queue.job()
    def double(n: int) -> int:
        return 2 * n

    ids = [queue.enqueue(double, n).id for n in range(10)]
    return queue, ids


def _run_burst(queue: Queue) -> None:
    Worker(queue, burst=True, poll_interval=0.05).run()


def test_sqlite_a_row_with_invalid_meta_does_not_stop_the_queue(tmp_path: Path) -> None:
    path = tmp_path / "jobs.db"
    queue, ids = _queue_with_ten(SQLiteBackend(path))
    with sqlite3.connect(path) as conn:
        conn.execute("UPDATE jobs SET meta = '{not json' WHERE id = ?", (ids[0],))
    _run_burst(queue)
    for job_id in ids[1:]:
        assert queue.get(job_id).state is JobState.SUCCEEDED
    with pytest.raises(CorruptJobError, match="meta is not JSON") as caught:
        queue.get(ids[0])
    assert isinstance(caught.value, ValueError)
    [aside] = queue.corrupt_jobs()
    assert aside.id == ids[0]
    assert "meta is not JSON" in aside.reason
    assert aside.fields["meta"] == "{not json"
    assert queue.stats().corrupt == 1
    assert queue.stats().counts["default"] == {"succeeded": 9}
    queue.close()


@pytest.mark.parametrize(
    ("column", "value", "reason"),
    [
        ("state", "bogus", "unknown state 'bogus'"),
        ("priority", "high", "'priority' is not an integer"),
        ("meta", "[1, 2]", "meta is not an object of strings"),
    ],
)
def test_sqlite_other_bad_rows_are_moved_aside(
    tmp_path: Path, column: str, value: str, reason: str
) -> None:
    path = tmp_path / "jobs.db"
    queue, ids = _queue_with_ten(SQLiteBackend(path))
    with sqlite3.connect(path) as conn:
        conn.execute(f"UPDATE jobs SET {column} = ? WHERE id = ?", (value, ids[3]))
    # listing meets the bad row first: it is moved aside and the listing goes on
    listed = queue.jobs(JobState.QUEUED)
    assert [r.id for r in listed] == [i for i in ids if i != ids[3]] or column == "state"
    _run_burst(queue)
    with pytest.raises(CorruptJobError, match=reason):
        queue.get(ids[3])
    assert sum(queue.get(i).state is JobState.SUCCEEDED for i in ids if i != ids[3]) == 9
    assert [c.id for c in queue.corrupt_jobs()] == [ids[3]]
    queue.close()


@pytest.fixture
def redis_queue(redis_factory: Callable[[], RedisBackend]) -> tuple[Queue, list[str], str]:
    backend = redis_factory()
    queue, ids = _queue_with_ten(backend)
    return queue, ids, backend.prefix


def _client(queue: Queue) -> redis.Redis:
    backend = queue.backend
    assert isinstance(backend, RedisBackend)
    client: redis.Redis = backend._client
    return client


@pytest.mark.parametrize(
    ("damage", "reason"),
    [
        ("delete", "the job record is missing"),
        ("priority", "priority is not a number"),
        ("state", "unknown state"),
        ("meta", "meta is not JSON"),
    ],
)
def test_redis_a_bad_record_does_not_stop_the_queue(
    redis_queue: tuple[Queue, list[str], str], damage: str, reason: str
) -> None:
    queue, ids, prefix = redis_queue
    client = _client(queue)
    key = f"{prefix}:job:{ids[0]}"
    if damage == "delete":
        client.delete(key)
    elif damage == "priority":
        client.hset(key, "priority", "urgent")
    elif damage == "state":
        client.hset(key, "state", "weird")
    else:
        client.hset(key, "meta", "{oops")
    _run_burst(queue)
    for job_id in ids[1:]:
        assert queue.get(job_id).state is JobState.SUCCEEDED
    with pytest.raises(CorruptJobError, match=reason):
        queue.get(ids[0])
    [aside] = queue.corrupt_jobs()
    assert aside.id == ids[0]
    assert reason in aside.reason
    if damage != "delete":
        assert aside.fields["id"] == ids[0]  # what was stored stays visible
    stats = queue.stats()
    assert stats.corrupt == 1
    assert stats.counts["default"] == {"succeeded": 9}
    queue.close()


def test_redis_get_of_an_unreadable_record_moves_it_aside(
    redis_queue: tuple[Queue, list[str], str],
) -> None:
    queue, ids, prefix = redis_queue
    _client(queue).hset(f"{prefix}:job:{ids[5]}", "attempts", "many")
    with pytest.raises(CorruptJobError, match="attempts is not a number"):
        queue.get(ids[5])
    assert [c.id for c in queue.corrupt_jobs()] == [ids[5]]
    # listing skips it, and the others run
    assert len(queue.jobs(JobState.QUEUED)) == 9
    _run_burst(queue)
    assert queue.stats().counts["default"] == {"succeeded": 9}
    queue.close()


def test_redis_listing_moves_an_unreadable_record_aside(
    redis_queue: tuple[Queue, list[str], str],
) -> None:
    queue, ids, prefix = redis_queue
    _client(queue).hset(f"{prefix}:job:{ids[2]}", "meta", "nope")
    assert len(queue.jobs(JobState.QUEUED)) == 9
    assert [c.id for c in queue.corrupt_jobs()] == [ids[2]]
    queue.close()


def test_new_job_record_reads_back(tmp_path: Path) -> None:
    backend = SQLiteBackend(tmp_path / "jobs.db")
    [made] = backend.enqueue([NewJob(id="a", name="t", queue="q", args="{}")], 1.0)
    assert backend.get("a", 1.0) == made
    assert backend.corrupt() == []
    backend.close()
