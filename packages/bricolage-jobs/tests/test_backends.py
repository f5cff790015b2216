"""One suite, run on SQLite and on a real Redis: every Backend step and its rules."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

import pytest
import redis

from bricolage.jobs import (
    Backend,
    ConfigurationError,
    Event,
    IllegalTransitionError,
    JobNotFoundError,
    JobState,
    LeaseLostError,
    NewJob,
    Outcome,
    RateLimit,
    RedisBackend,
)


def job(job_id: str, **kw: object) -> NewJob:
    values: dict[str, object] = {"name": "task", "queue": "default", "args": "{}"}
    values.update(kw)
    return NewJob(id=job_id, **values)  # type: ignore[arg-type]


def test_enqueue_then_get(backend: Backend) -> None:
    [rec] = backend.enqueue([job("a", meta={"cid": "r1"}, timeout=5.0)], 10.0)
    assert rec.state is JobState.QUEUED
    got = backend.get("a", 10.0)
    assert got is not None
    assert got.meta == {"cid": "r1"}
    assert got.timeout == 5.0
    assert got.enqueued_at == 10.0
    assert backend.get("missing", 10.0) is None


def test_duplicate_id_is_refused_and_keeps_the_first(backend: Backend) -> None:
    backend.enqueue([job("a", args='{"x": 1}')], 0.0)
    with pytest.raises(ConfigurationError, match="'a' is already taken"):
        backend.enqueue([job("a", args='{"x": 2}')], 0.0)
    got = backend.get("a", 0.0)
    assert got is not None
    assert got.args == '{"x": 1}'


def test_claim_order_priority_then_fifo_and_queue_order(backend: Backend) -> None:
    backend.enqueue(
        [
            job("low1"),
            job("high", priority=5),
            job("low2"),
            job("other", queue="second", priority=100),
        ],
        0.0,
    )
    claimed = backend.claim(["default", "second"], "w", 10, 30.0, 1.0)
    assert [r.id for r in claimed] == ["high", "low1", "low2", "other"]
    assert all(r.state is JobState.RUNNING and r.deliveries == 1 for r in claimed)
    tokens = [r.token for r in claimed]
    assert len(set(tokens)) == 4
    assert backend.claim(["default", "second"], "w", 10, 30.0, 1.0) == []


def test_claim_respects_limit(backend: Backend) -> None:
    backend.enqueue([job(f"j{i}") for i in range(5)], 0.0)
    assert len(backend.claim(["default"], "w", 2, 30.0, 0.0)) == 2
    assert len(backend.claim(["default"], "w", 10, 30.0, 0.0)) == 3


def test_scheduled_jobs_become_due(backend: Backend) -> None:
    [rec] = backend.enqueue([job("later", delay=5.0)], 100.0)
    assert rec.state is JobState.SCHEDULED
    assert rec.due_at == 105.0
    assert backend.next_wakeup(100.0) == 105.0
    assert backend.claim(["default"], "w", 1, 30.0, 104.9) == []
    [claimed] = backend.claim(["default"], "w", 1, 30.0, 105.0)
    assert claimed.id == "later"
    [at] = backend.enqueue([job("at", at=500.0)], 100.0)
    assert at.due_at == 500.0


def test_success_stores_result_and_expires(backend: Backend) -> None:
    backend.enqueue([job("a", result_ttl=10.0)], 0.0)
    [rec] = backend.claim(["default"], "w", 1, 30.0, 1.0)
    done = backend.finish("a", rec.token, Outcome(Event.SUCCEED, result="42", progress="1"), 2.0)
    assert done.state is JobState.SUCCEEDED
    assert (done.result, done.attempts, done.finished_at, done.progress) == ("42", 1, 2.0, "1")
    assert backend.get("a", 11.9) is not None
    assert backend.get("a", 12.0) is None
    stats = backend.stats(5.0)
    assert stats.counts["default"]["succeeded"] == 1
    assert stats.finished_last_minute == 1
    assert stats.wait_p50 == pytest.approx(1.0)
    assert stats.run_p50 == pytest.approx(1.0)


def test_fencing_rejects_a_stale_token(backend: Backend) -> None:
    backend.enqueue([job("a")], 0.0)
    [first] = backend.claim(["default"], "w1", 1, 10.0, 0.0)
    # the lease runs out; another worker gets the job (alone: it is a suspect now)
    assert backend.claim(["default"], "w2", 1, 10.0, 10.0) == []
    [second] = backend.claim(["default"], "w2", 1, 10.0, 10.0, alone=True)
    assert second.id == "a"
    assert second.token > first.token
    assert second.deliveries == 2
    with pytest.raises(LeaseLostError, match="no longer held"):
        backend.finish("a", first.token, Outcome(Event.SUCCEED, result="late"), 11.0)
    done = backend.finish("a", second.token, Outcome(Event.SUCCEED, result="ok"), 12.0)
    assert done.result == "ok"
    with pytest.raises(LeaseLostError):
        backend.finish("a", second.token, Outcome(Event.SUCCEED, result="again"), 13.0)
    with pytest.raises(LeaseLostError, match="gone"):
        backend.finish("nope", 1, Outcome(Event.SUCCEED), 13.0)


def test_renew_keeps_the_lease_and_reports_lost_and_cancel(backend: Backend) -> None:
    backend.enqueue([job("a"), job("b")], 0.0)
    a, b = backend.claim(["default"], "w", 2, 10.0, 0.0)
    renewal = backend.renew({"a": a.token, "b": b.token + 99}, 10.0, 8.0, {"a": '"half"'})
    assert renewal.lost == {"b"}
    assert renewal.cancel == frozenset()
    # a survives past its first expiry because it was renewed; b does not
    again = backend.claim(["default"], "w2", 5, 10.0, 12.0, alone=True)
    assert [r.id for r in again] == ["b"]
    got = backend.get("a", 12.0)
    assert got is not None
    assert got.progress == '"half"'
    assert got.lease_expires_at == 18.0
    backend.cancel("a", 13.0)
    assert backend.renew({"a": a.token}, 10.0, 13.0).cancel == {"a"}
    assert backend.renew({}, 10.0, 13.0).lost == frozenset()


def test_retry_then_bury_then_requeue_and_purge(backend: Backend) -> None:
    backend.enqueue([job("a", max_attempts=2)], 0.0)
    [r1] = backend.claim(["default"], "w", 1, 30.0, 0.0)
    retrying = backend.finish(
        "a", r1.token, Outcome(Event.RETRY, error="E: x", traceback="tb", due_at=5.0), 1.0
    )
    assert retrying.state is JobState.RETRYING
    assert retrying.due_at == 5.0
    assert retrying.attempts == 1
    assert retrying.error == "E: x"
    assert backend.list_jobs(JobState.RETRYING) == [retrying]
    assert backend.claim(["default"], "w", 1, 30.0, 4.0) == []
    [r2] = backend.claim(["default"], "w", 1, 30.0, 5.0)
    dead = backend.finish("a", r2.token, Outcome(Event.BURY, error="E: y"), 6.0)
    assert dead.state is JobState.DEAD
    assert dead.attempts == 2
    assert [r.id for r in backend.list_jobs(JobState.DEAD)] == ["a"]
    assert backend.get("a", 10.0**9) is not None  # dead jobs do not expire
    assert backend.requeue(["a"], 7.0) == 1
    again = backend.get("a", 7.0)
    assert again is not None
    assert (again.state, again.attempts, again.deliveries) == (JobState.QUEUED, 0, 0)
    [r3] = backend.claim(["default"], "w", 1, 30.0, 8.0)
    backend.finish("a", r3.token, Outcome(Event.BURY, error="E: z"), 9.0)
    assert backend.purge(["a"]) == 1
    assert backend.get("a", 9.0) is None
    assert backend.purge(None) == 0


def test_requeue_refuses_live_jobs_and_unknown_ids(backend: Backend) -> None:
    backend.enqueue([job("a")], 0.0)
    with pytest.raises(IllegalTransitionError, match="'a' is queued"):
        backend.requeue(["a"], 1.0)
    with pytest.raises(JobNotFoundError, match="'zz'"):
        backend.requeue(["zz"], 1.0)
    assert backend.requeue(None, 1.0) == 0


def test_requeue_all_and_purge_all(backend: Backend) -> None:
    backend.enqueue([job(f"d{i}", max_attempts=1) for i in range(3)], 0.0)
    for rec in backend.claim(["default"], "w", 3, 30.0, 0.0):
        backend.finish(rec.id, rec.token, Outcome(Event.BURY, error="x"), 1.0)
    assert backend.requeue(None, 2.0) == 3
    for rec in backend.claim(["default"], "w", 3, 30.0, 2.0):
        backend.finish(rec.id, rec.token, Outcome(Event.BURY, error="x"), 3.0)
    assert backend.purge(None) == 3
    assert backend.list_jobs(JobState.DEAD) == []


def test_failed_jobs_can_be_requeued(backend: Backend) -> None:
    backend.enqueue([job("a")], 0.0)
    [rec] = backend.claim(["default"], "w", 1, 30.0, 0.0)
    failed = backend.finish("a", rec.token, Outcome(Event.FAIL, error="bad"), 1.0)
    assert failed.state is JobState.FAILED
    assert [r.id for r in backend.list_jobs(JobState.FAILED)] == ["a"]
    assert backend.requeue(["a"], 2.0) == 1
    assert backend.list_jobs(JobState.FAILED) == []


def test_lease_expiry_buries_a_poison_job(backend: Backend) -> None:
    backend.enqueue([job("poison", max_deliveries=2)], 0.0)
    backend.claim(["default"], "w", 1, 1.0, 0.0, alone=True)
    [second] = backend.claim(["default"], "w", 1, 1.0, 1.0, alone=True)
    assert second.deliveries == 2
    assert second.crashes == 1
    assert backend.claim(["default"], "w", 1, 1.0, 2.0, alone=True) == []
    got = backend.get("poison", 2.0)
    assert got is not None
    assert got.state is JobState.DEAD
    assert got.crashes == 2
    assert got.error is not None
    assert "lost 2 times while the job ran alone" in got.error


def test_co_victims_are_not_charged_and_run_alone(backend: Backend) -> None:
    """Jobs whose worker died beside a poison job are suspects: never charged for it."""
    backend.enqueue([job(f"j{i}", max_deliveries=1) for i in range(4)], 0.0)
    held = backend.claim(["default"], "w1", 4, 1.0, 0.0, alone=True)
    assert [r.isolated for r in held] == [False] * 4
    # w1 dies: all four leases run out together; none is charged
    assert backend.claim(["default"], "w2", 4, 1.0, 1.0) == []  # w2 holds jobs: nothing
    stats = backend.stats(1.0)
    assert stats.counts["default"] == {"queued": 4}
    for i in range(4):
        [alone] = backend.claim(["default"], "w2", 4, 1.0, 1.0 + i, alone=True)
        assert (alone.id, alone.isolated, alone.suspect, alone.crashes) == (f"j{i}", True, True, 0)
        if i == 0:
            continue  # j0 is the poison job: it kills w2 too; its lease runs out
        done = backend.finish(alone.id, alone.token, Outcome(Event.SUCCEED), 1.5 + i)
        assert (done.state, done.suspect, done.crashes) == (JobState.SUCCEEDED, False, 0)
    # j0 ran alone when its worker was lost: charged, and buried (max_deliveries=1)
    assert backend.claim(["default"], "w3", 4, 1.0, 9.0, alone=True) == []
    dead = backend.list_jobs(JobState.DEAD)
    assert [(r.id, r.crashes) for r in dead] == [("j0", 1)]


def test_a_worker_taking_one_job_at_a_time_runs_it_alone(backend: Backend) -> None:
    backend.enqueue([job("a"), job("b")], 0.0)
    [one] = backend.claim(["default"], "w", 1, 30.0, 0.0, alone=True)
    assert one.isolated
    [two] = backend.claim(["default"], "w", 1, 30.0, 0.0)
    assert not two.isolated


def test_release_gives_the_delivery_back(backend: Backend) -> None:
    backend.enqueue([job("a", max_deliveries=1)], 0.0)
    [rec] = backend.claim(["default"], "w", 1, 30.0, 0.0)
    back = backend.finish("a", rec.token, Outcome(Event.RELEASE), 1.0)
    assert back.state is JobState.QUEUED
    assert back.deliveries == 0
    [again] = backend.claim(["default"], "w", 1, 30.0, 1.0)
    assert again.deliveries == 1


def test_cancel_in_each_state(backend: Backend) -> None:
    backend.enqueue([job("q"), job("s", delay=60.0), job("r")], 0.0)
    assert backend.cancel("q", 1.0).state is JobState.CANCELLED
    assert backend.cancel("s", 1.0).state is JobState.CANCELLED
    [running] = backend.claim(["default"], "w", 1, 30.0, 1.0)
    asked = backend.cancel("r", 2.0)
    assert asked.state is JobState.RUNNING
    assert asked.cancel_requested
    done = backend.finish("r", running.token, Outcome(Event.CANCEL, error="stopped"), 3.0)
    assert done.state is JobState.CANCELLED
    assert done.attempts == 0
    with pytest.raises(IllegalTransitionError, match="cancelled job cannot take"):
        backend.cancel("q", 4.0)
    with pytest.raises(JobNotFoundError):
        backend.cancel("zz", 4.0)
    assert backend.claim(["default"], "w", 5, 30.0, 100.0) == []


def test_workers_cannot_report_claims(backend: Backend) -> None:
    backend.enqueue([job("a")], 0.0)
    [rec] = backend.claim(["default"], "w", 1, 30.0, 0.0)
    with pytest.raises(IllegalTransitionError, match="not a report"):
        backend.finish("a", rec.token, Outcome(Event.CLAIM), 1.0)


def test_idempotency_key_returns_the_pending_job(backend: Backend) -> None:
    backend.enqueue([job("a", idempotency_key="k")], 0.0)
    [second] = backend.enqueue([job("b", idempotency_key="k")], 1.0)
    assert second.id == "a"
    assert backend.get("b", 1.0) is None
    [rec] = backend.claim(["default"], "w", 1, 30.0, 2.0)
    [third] = backend.enqueue([job("c", idempotency_key="k")], 2.0)
    assert third.id == "a"  # still running: still pending
    backend.finish("a", rec.token, Outcome(Event.SUCCEED), 3.0)
    [fourth] = backend.enqueue([job("d", idempotency_key="k")], 4.0)
    assert fourth.id == "d"  # the first one finished; a new job is made


def test_bulk_enqueue(backend: Backend) -> None:
    records = backend.enqueue([job(f"b{i}") for i in range(50)], 0.0)
    assert [r.seq for r in records] == sorted(r.seq for r in records)
    assert len(backend.list_jobs(JobState.QUEUED, limit=1000)) == 50
    assert len(backend.list_jobs(JobState.QUEUED, limit=10, offset=45)) == 5
    assert backend.stats(0.0).depth("default") == 50


def test_rate_limit_is_shared_by_claims(backend: Backend) -> None:
    backend.enqueue([job(f"r{i}") for i in range(10)], 0.0)
    limits = {"default": RateLimit(3, 1.0)}
    assert len(backend.claim(["default"], "w1", 10, 30.0, 0.0, limits)) == 3
    assert len(backend.claim(["default"], "w2", 10, 30.0, 0.0, limits)) == 0
    assert len(backend.claim(["default"], "w2", 10, 30.0, 0.5, limits)) == 1
    assert len(backend.claim(["default"], "w2", 10, 30.0, 10.0, limits)) == 3


def test_fire_once(backend: Backend) -> None:
    assert backend.fire_once("tick:1", 60.0, 0.0)
    assert not backend.fire_once("tick:1", 60.0, 1.0)
    assert backend.fire_once("tick:2", 60.0, 1.0)


def test_next_wakeup_and_wait(backend: Backend) -> None:
    assert backend.next_wakeup(0.0) is None
    backend.enqueue([job("a")], 0.0)
    backend.claim(["default"], "w", 1, 7.0, 0.0)
    assert backend.next_wakeup(0.0) == 7.0
    backend.wait(0.01)  # returns; nothing to assert beyond not hanging
    backend.wait(0.0)


def test_stats_counts_by_queue_and_state(backend: Backend) -> None:
    backend.enqueue([job("a"), job("b", queue="mail"), job("c", delay=5.0)], 0.0)
    backend.claim(["mail"], "w", 1, 30.0, 0.0)
    stats = backend.stats(0.0)
    assert stats.counts["default"] == {"queued": 1, "scheduled": 1}
    assert stats.counts["mail"] == {"running": 1}
    assert stats.depth("nothing") == 0


def test_finish_many_fences_each_report_alone(backend: Backend) -> None:
    backend.enqueue([job("a"), job("b"), job("c")], 0.0)
    a, b, c = backend.claim(["default"], "w", 3, 30.0, 0.0)
    results = backend.finish_many(
        [
            ("a", a.token, Outcome(Event.SUCCEED, result="1")),
            ("b", b.token + 1, Outcome(Event.SUCCEED)),
            ("c", c.token, Outcome(Event.RELEASE)),
        ],
        1.0,
    )
    assert results[0] is None
    assert isinstance(results[1], LeaseLostError)
    assert results[2] is None
    states = [backend.get(i, 1.0) for i in "abc"]
    assert [s.state if s else None for s in states] == [
        JobState.SUCCEEDED,
        JobState.RUNNING,
        JobState.QUEUED,
    ]
    with pytest.raises(IllegalTransitionError):
        backend.finish_many([("b", b.token, Outcome(Event.CLAIM))], 2.0)


def test_redis_keys_share_one_cluster_slot(redis_factory: Callable[[], RedisBackend]) -> None:
    from redis.crc import key_slot

    backend = redis_factory()
    backend.enqueue([job("a", idempotency_key="k"), job("b", delay=5.0), job("c")], 0.0)
    [rec, _] = backend.claim(["default"], "w", 2, 30.0, 0.0, {"default": RateLimit(5)})
    backend.finish(rec.id, rec.token, Outcome(Event.SUCCEED, result="1"), 1.0)
    backend.fire_once("tick", 60.0, 1.0)
    backend.stats(1.0)
    client = backend._client
    keys = [k.decode() for k in client.keys(backend.prefix + "*")]
    assert len(keys) >= 8
    assert all(k.startswith(backend.prefix + ":") for k in keys)
    assert len({key_slot(k.encode()) for k in keys}) == 1
    backend.close()


def _drain_wakeups(backend: RedisBackend) -> None:
    backend._client.delete(backend._key("wake"))


def test_redis_wait_and_claim_takes_the_job_it_wakes_for(
    redis_factory: Callable[[], RedisBackend],
) -> None:
    backend = redis_factory()
    sent = time.time()
    later = threading.Timer(0.2, lambda: backend.enqueue([job("a")], time.time()))
    later.start()
    try:
        [record] = backend.wait_and_claim(5.0, ["default"], "w", 4, 30.0, sent)
    finally:
        later.join()
    took = time.time() - sent
    assert record.id == "a"
    assert record.state is JobState.RUNNING
    assert record.worker == "w"
    # the claim's clock is the sender's plus the wait as the server measured it
    assert record.started_at is not None
    assert record.lease_expires_at is not None
    assert sent + 0.15 <= record.started_at <= sent + took + 0.05
    assert record.lease_expires_at == pytest.approx(record.started_at + 30.0)
    assert not backend._client.exists(backend._key("mark", "w"))
    backend.close()


def test_redis_wait_and_claim_promotes_jobs_due_during_the_wait(
    redis_factory: Callable[[], RedisBackend],
) -> None:
    backend = redis_factory()
    now = time.time()
    backend.enqueue([job("later", delay=0.3)], now)
    _drain_wakeups(backend)
    assert backend.wait_and_claim(0.05, ["default"], "w", 1, 30.0, now) == []
    # the wait times out past the due time: the claim after it sees the job as due
    [record] = backend.wait_and_claim(0.5, ["default"], "w", 1, 30.0, now)
    assert record.id == "later"
    backend.close()


def test_redis_pipelines_reload_scripts_the_server_lost(
    redis_factory: Callable[[], RedisBackend],
) -> None:
    backend = redis_factory()
    backend._client.script_flush()
    backend.enqueue([job("a"), job("b")], 0.0)
    backend._client.script_flush()
    a, b = backend.claim(["default"], "w", 2, 30.0, 0.0)
    backend._client.script_flush()
    results = backend.finish_many(
        [(a.id, a.token, Outcome(Event.SUCCEED)), (b.id, b.token + 1, Outcome(Event.SUCCEED))],
        1.0,
    )
    assert results[0] is None
    assert isinstance(results[1], LeaseLostError)
    assert backend.get("a", 1.0).state is JobState.SUCCEEDED  # type: ignore[union-attr]
    backend.enqueue([job("c")], 2.0)
    backend._client.script_flush()
    [c] = backend.wait_and_claim(1.0, ["default"], "w", 1, 30.0, 2.0)
    assert c.id == "c"
    backend.close()


def test_redis_pipelines_raise_other_errors(redis_factory: Callable[[], RedisBackend]) -> None:
    backend = redis_factory()
    backend._client.set(backend._key("seq"), "not a number")
    with pytest.raises(redis.exceptions.ResponseError):
        backend.enqueue([job("a"), job("b")], 0.0)
    assert backend.get("a", 0.0) is None
    backend.close()


@pytest.mark.anyio
@pytest.mark.parametrize("anyio_backend", ["asyncio"])
async def test_redis_await_and_claim_on_the_event_loop(
    anyio_backend: str, redis_factory: Callable[[], RedisBackend]
) -> None:
    backend = redis_factory()
    now = time.time()
    backend.enqueue([job("later", delay=0.2)], now)
    _drain_wakeups(backend)
    # the wait times out past the due time: the claim after it sees the job as due
    [record] = await backend.await_and_claim(0.4, ["default"], "w", 1, 30.0, now)
    assert record.id == "later"
    assert record.started_at is not None
    assert record.started_at >= now + 0.3
    backend.enqueue([job("a")], time.time())
    backend._client.script_flush()
    [record] = await backend.await_and_claim(5.0, ["default"], "w", 1, 30.0, time.time())
    assert record.id == "a"
    await backend.aclose_worker_connection()
    await backend.aclose_worker_connection()  # closing twice is harmless
    backend.close()


@pytest.mark.anyio
@pytest.mark.parametrize("anyio_backend", ["asyncio"])
async def test_redis_worker_calls_on_the_event_loop(
    anyio_backend: str, redis_factory: Callable[[], RedisBackend]
) -> None:
    backend = redis_factory()
    backend.enqueue([job("a"), job("b"), job("c", delay=9.0)], 0.0)
    backend._client.script_flush()
    claimed, wake = await backend.aclaim(["default"], "w", 2, 30.0, 0.0)
    assert [r.id for r in claimed] == ["a", "b"]
    assert wake == 9.0
    a, b = claimed
    backend._client.script_flush()
    results = await backend.afinish_many(
        [(a.id, a.token, Outcome(Event.SUCCEED)), (b.id, b.token + 1, Outcome(Event.SUCCEED))],
        1.0,
    )
    assert results[0] is None
    assert isinstance(results[1], LeaseLostError)
    assert backend.get("a", 1.0).state is JobState.SUCCEEDED  # type: ignore[union-attr]
    assert backend.get("b", 1.0).state is JobState.RUNNING  # type: ignore[union-attr]
    assert await backend.aclaim(["default"], "w", 2, 30.0, 1.0) == ([], 9.0)
    await backend.aclose_worker_connection()
    backend.close()
