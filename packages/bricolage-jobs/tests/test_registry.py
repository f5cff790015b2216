"""Typed registration, argument validation, enqueue options and the producer API."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from pathlib import Path

import anyio
import pytest

from bricolage.jobs import (
    AsyncQueue,
    ConfigurationError,
    InvalidArgumentsError,
    JobNotFoundError,
    JobRegistry,
    JobState,
    Queue,
    RedisBackend,
    SQLiteBackend,
    UnknownJobError,
)
from bricolage.jobs.testing import FrozenClock


def test_registration_keeps_the_function_callable() -> None:
    registry = JobRegistry()

    @registry.job
    def bare(x: int) -> int:
        return x + 1

    assert bare(1) == 2
    assert bare.name == "bare"
    assert "bare" in registry
    assert len(registry) == 1
    assert "bare" in repr(bare)


def test_names_must_be_unique_and_known() -> None:
    registry = JobRegistry()

    @registry.job()
    def once() -> None: ...

    with pytest.raises(ConfigurationError, match="already registered as 'once'"):
        registry.job(name="once")(lambda: None)
    with pytest.raises(UnknownJobError, match="known: once"):
        registry.get("twice")


def test_signatures_that_cannot_travel_as_json_are_refused() -> None:
    registry = JobRegistry()

    def star(*args: int) -> None: ...

    def kw(**kwargs: int) -> None: ...

    def positional(x: int, /) -> None: ...

    def unresolvable(x: NotDefined) -> None: ...  # type: ignore[name-defined]  # noqa: F821

    with pytest.raises(ConfigurationError, match=r"\*args/\*\*kwargs"):
        registry.job(star)
    with pytest.raises(ConfigurationError, match=r"\*args/\*\*kwargs"):
        registry.job(kw)
    with pytest.raises(ConfigurationError, match="positional-only"):
        registry.job(positional)
    with pytest.raises(ConfigurationError, match="type hints"):
        registry.job(unresolvable)


def test_arguments_are_validated_on_both_sides() -> None:
    registry = JobRegistry()

    @registry.job()
    def resize(path: str, width: int, height: int = 10) -> tuple[int, int]:
        return (width, height)

    assert resize.encode_args("a.png", 3) == '{"path":"a.png","width":3,"height":10}'
    with pytest.raises(InvalidArgumentsError, match="missing a required argument: 'width'"):
        resize.encode_args("a.png")
    with pytest.raises(InvalidArgumentsError, match="width: Input should be a valid integer"):
        resize.encode_args("a.png", "wide")
    with pytest.raises(InvalidArgumentsError, match="Extra inputs are not permitted"):
        resize.decode_args('{"path": "a", "width": 1, "evil": 1}')
    with pytest.raises(InvalidArgumentsError, match="invalid arguments"):
        resize.decode_args("not json")
    assert resize.decode_result("[1, 2]") == (1, 2)


def test_options_build_enqueue_settings() -> None:
    registry = JobRegistry()

    @registry.job(queue="q", priority=3, max_attempts=7, timeout=9.0)
    def ping() -> None: ...

    when = dt.datetime(2030, 1, 1, tzinfo=dt.UTC)
    opts = ping.options(delay=dt.timedelta(seconds=5), at=when, key="k").enqueue_options
    assert (opts.delay, opts.at, opts.key) == (5.0, when.timestamp(), "k")
    assert ping.retry.max_attempts == 7
    assert ping.options().enqueue_options.delay == 0.0
    with pytest.raises(ConfigurationError, match="no time zone"):
        ping.options(at=dt.datetime(2030, 1, 1))


def _sqlite(tmp_path: Path) -> SQLiteBackend:
    return SQLiteBackend(tmp_path / "q.db")


def test_queue_enqueue_options_reach_the_record(tmp_path: Path) -> None:
    clock = FrozenClock(1000.0)
    queue = Queue(_sqlite(tmp_path), clock=clock)

    @queue.job(queue="mail", priority=2, timeout=4.0, result_ttl=60.0)
    def send(to: str) -> None: ...

    handle = queue.enqueue(
        send.options(at=1500.0, job_id="fixed", meta={"a": "b"}, priority=9, queue="other"),
        "x@y",
    )
    record = handle.status()
    assert (record.id, record.queue, record.priority) == ("fixed", "other", 9)
    assert (record.state, record.due_at, record.timeout) == (JobState.SCHEDULED, 1500.0, 4.0)
    assert record.meta == {"a": "b"}
    assert "fixed" in repr(handle)
    assert queue.jobs(JobState.SCHEDULED)[0].id == "fixed"
    assert queue.handle("fixed").id == "fixed"
    assert handle.cancel().state is JobState.CANCELLED
    with pytest.raises(JobNotFoundError, match="'nope'"):
        queue.get("nope")
    with pytest.raises(ConfigurationError, match="already taken"):
        queue.enqueue(send.options(job_id="fixed"), "again")
    assert "Queue(SQLiteBackend" in repr(queue)
    queue.close()


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"priority": 1000}, "priority"),
        ({"max_attempts": 0}, "max_attempts"),
        ({"timeout": -1.0}, "timeout"),
        ({"delay": -1.0}, "delay"),
        ({"key": "a{b}"}, "idempotency key"),
        ({"queue": ""}, "queue name"),
    ],
)
def test_bad_enqueue_options_are_refused_and_store_nothing(
    tmp_path: Path, kwargs: dict[str, object], message: str
) -> None:
    queue = Queue(_sqlite(tmp_path))

    @queue.job()
    def ping() -> None: ...

    with pytest.raises(ConfigurationError, match=message):
        queue.enqueue(ping.options(**kwargs))  # type: ignore[arg-type]
    assert queue.stats().counts == {}
    queue.close()


def test_bad_backend_settings(tmp_path: Path) -> None:
    with pytest.raises(ConfigurationError, match="does not exist"):
        SQLiteBackend(tmp_path / "missing" / "q.db")
    with pytest.raises(ConfigurationError, match="namespace"):
        RedisBackend("redis://127.0.0.1:1/0", namespace="a{b}")


@pytest.mark.anyio
async def test_async_queue(
    tmp_path: Path, anyio_backend: str, redis_factory: Callable[[], RedisBackend]
) -> None:
    for backend in (_sqlite(tmp_path), redis_factory()):
        queue = Queue(backend)

        @queue.job(name=f"later-{anyio_backend}")
        def later() -> None: ...

        async with AsyncQueue(queue) as aqueue:
            handle = await aqueue.enqueue(later.options(delay=100))
            assert (await aqueue.get(handle.id)).state is JobState.SCHEDULED
            assert (await aqueue.cancel(handle.id)).state is JobState.CANCELLED
            with pytest.raises(JobNotFoundError, match="'missing'"):
                await aqueue.get("missing")
            again = await aqueue.enqueue(later.options(key="k"))
            same = await aqueue.enqueue(later.options(key="k"))
            assert same.id == again.id
        await anyio.sleep(0)
        queue.close()


@pytest.mark.anyio
async def test_async_redis_needs_a_url(
    anyio_backend: str, redis_factory: Callable[[], RedisBackend]
) -> None:
    made = redis_factory()
    assert made.supports_asyncio
    given = RedisBackend(made._client, namespace="given")
    assert not given.supports_asyncio
    if anyio_backend == "asyncio":
        with pytest.raises(ConfigurationError, match="built from a URL"):
            await given.aget("x", 0.0)
    await made.aclose()  # nothing opened: a no-op
    made.close()


def test_a_handle_without_the_function_gives_plain_json(tmp_path: Path) -> None:
    from bricolage.jobs import Worker

    queue = Queue(_sqlite(tmp_path))

    @queue.job()
    def pair() -> tuple[int, int]:
        return (1, 2)

    handle = queue.enqueue(pair)
    Worker(queue, burst=True).run()
    assert handle.result() == (1, 2)
    stranger = Queue(queue.backend)  # knows no jobs
    assert stranger.handle(handle.id).result() == [1, 2]
    queue.close()
