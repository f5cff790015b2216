"""Listing costs what it returns: pages are cut in the store, not after reading it all."""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path

import pytest

from bricolage.jobs import Backend, Event, JobState, NewJob, Outcome, RedisBackend, SQLiteBackend


def _fill(backend: Backend, depth: int, batch: int = 5000) -> None:
    for start in range(0, depth, batch):
        jobs = [
            NewJob(id=f"j{i:07d}", name="t", queue="default", args="{}")
            for i in range(start, min(depth, start + batch))
        ]
        backend.enqueue(jobs, 1000.0)


def _hgetall_calls(backend: RedisBackend) -> int:
    stats = backend._client.info("commandstats")
    return int(stats.get("cmdstat_hgetall", {}).get("calls", 0))


def _check_pages(backend: Backend, depth: int) -> None:
    offset = depth // 2
    page = backend.list_jobs(JobState.QUEUED, limit=100, offset=offset)
    assert [r.id for r in page] == [f"j{i:07d}" for i in range(offset, offset + 100)]
    assert [r.id for r in backend.list_jobs(JobState.QUEUED, limit=5, offset=depth - 2)] == [
        f"j{depth - 2:07d}",
        f"j{depth - 1:07d}",
    ]
    assert backend.list_jobs(JobState.QUEUED, limit=5, offset=depth) == []
    assert backend.stats(1000.0).counts == {"default": {"queued": depth}}


def _check_redis_reads_only_the_page(backend: RedisBackend, depth: int) -> None:
    before = _hgetall_calls(backend)
    backend.list_jobs(JobState.QUEUED, limit=100, offset=depth // 2)
    assert _hgetall_calls(backend) - before == 100
    # the dead-letter queue: the newest first, one record read for --limit 1
    [a, b] = backend.claim(["default"], "w", 2, 30.0, 1000.0)
    backend.finish(a.id, a.token, Outcome(Event.BURY, error="x"), 1001.0)
    backend.finish(b.id, b.token, Outcome(Event.BURY, error="x"), 1002.0)
    before = _hgetall_calls(backend)
    assert [r.id for r in backend.list_jobs(JobState.DEAD, limit=1)] == [b.id]
    assert _hgetall_calls(backend) - before == 1


def test_redis_listing_is_paginated_in_redis(redis_factory: Callable[[], RedisBackend]) -> None:
    backend = redis_factory()
    _fill(backend, 20_000)
    _check_pages(backend, 20_000)
    _check_redis_reads_only_the_page(backend, 20_000)
    backend.close()


def test_sqlite_listing_and_counts(tmp_path: Path) -> None:
    backend = SQLiteBackend(tmp_path / "jobs.db")
    _fill(backend, 20_000)
    _check_pages(backend, 20_000)
    # the counts come from the tally the triggers keep, not from counting rows
    plan = backend._conn.execute(
        "EXPLAIN QUERY PLAN SELECT queue, state, n FROM tally WHERE n != 0"
    ).fetchall()
    assert all("jobs" not in str(step) for step in plan)
    backend.close()


@pytest.mark.slow
@pytest.mark.parametrize("kind", ["sqlite", "redis"])
def test_listing_at_a_depth_of_a_million(
    kind: str, tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    depth = 1_000_000
    backend: Backend
    if kind == "sqlite":
        backend = SQLiteBackend(tmp_path / "jobs.db")
    else:
        backend = request.getfixturevalue("redis_factory")()
    _fill(backend, depth, batch=20_000)
    began = time.perf_counter()
    _check_pages(backend, depth)
    print(f"\n{kind}: pages and stats at 1M in {time.perf_counter() - began:.3f} s")
    if isinstance(backend, RedisBackend):
        _check_redis_reads_only_the_page(backend, depth)
    backend.close()
