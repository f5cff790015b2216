"""The no-op and latency-probe jobs for every library, and their worker entry points.

Each library's objects are built lazily by ``setup_<lib>(url)`` so that importing this
module does not need every peer installed. ``CONCURRENCY`` (``BENCH_CONCURRENCY``,
default 16) is given to every worker that has an in-process concurrency setting.
"""

from __future__ import annotations

import asyncio
import os
import sys
import time
from typing import Any

import redis

DONE = [0]
LATENCY_KEY = "bench:latency"
QUEUE = "bench"
CONCURRENCY = int(os.environ.get("BENCH_CONCURRENCY", "16"))
_probe: redis.Redis | None = None


def _record(i: int) -> None:
    started = time.time()
    if _probe is None:  # RQ imports this module afresh, apart from __main__
        connect_probe(os.environ["BENCH_REDIS_URL"])
    assert _probe is not None
    _probe.hset(LATENCY_KEY, str(i), repr(started))


def connect_probe(url: str) -> None:
    global _probe
    os.environ["BENCH_REDIS_URL"] = url
    _probe = redis.Redis.from_url(url)


# -- bricolage.jobs -----------------------------------------------------------------------

OURS: dict[str, Any] = {}


def setup_ours(url: str) -> Any:
    from bricolage.jobs import Queue

    queue = Queue(url)

    @queue.job(queue=QUEUE)
    async def noop() -> None:
        DONE[0] += 1

    @queue.job(queue=QUEUE)
    async def record(i: int) -> None:
        _record(i)

    OURS.update(queue=queue, noop=noop, record=record)
    return queue


def ours_worker(queue: Any) -> Any:
    from bricolage.jobs import Worker

    return Worker(queue, [QUEUE], concurrency=CONCURRENCY)


# -- RQ -----------------------------------------------------------------------------------


def rq_noop() -> None:
    DONE[0] += 1


def rq_record(i: int) -> None:
    _record(i)


# -- arq ----------------------------------------------------------------------------------


async def arq_noop(ctx: dict[str, Any]) -> None:
    DONE[0] += 1


async def arq_record(ctx: dict[str, Any], i: int) -> None:
    _record(i)


def arq_worker(host: str, port: int, *, burst: bool) -> Any:
    from arq.connections import RedisSettings
    from arq.worker import Worker

    return Worker(
        functions=[arq_noop, arq_record],  # type: ignore[list-item]
        redis_settings=RedisSettings(host=host, port=port),
        queue_name=QUEUE,
        burst=burst,
        handle_signals=False,
        max_jobs=CONCURRENCY,
    )


# -- saq ----------------------------------------------------------------------------------


async def saq_noop(ctx: dict[str, Any]) -> None:
    DONE[0] += 1


async def saq_record(ctx: dict[str, Any], *, i: int) -> None:
    _record(i)


def saq_worker(queue: Any) -> Any:
    from saq import Worker

    return Worker(queue, functions=[saq_noop, saq_record], concurrency=CONCURRENCY)


# -- dramatiq -----------------------------------------------------------------------------

DRAMATIQ: dict[str, Any] = {}


def setup_dramatiq(url: str) -> Any:
    import dramatiq
    from dramatiq.brokers.redis import RedisBroker

    broker = RedisBroker(url=url)
    dramatiq.set_broker(broker)

    @dramatiq.actor(queue_name=QUEUE, max_retries=0)
    def dq_noop() -> None:
        DONE[0] += 1

    @dramatiq.actor(queue_name=QUEUE, max_retries=0)
    def dq_record(i: int) -> None:
        _record(i)

    DRAMATIQ.update(broker=broker, noop=dq_noop, record=dq_record)
    return broker


def dramatiq_worker(broker: Any) -> Any:
    from dramatiq import Worker

    return Worker(broker, worker_threads=CONCURRENCY)


# -- taskiq -------------------------------------------------------------------------------

TASKIQ: dict[str, Any] = {}


def setup_taskiq(url: str) -> Any:
    """taskiq's Redis stream broker: acknowledged delivery, as ours and dramatiq's."""
    from taskiq_redis import RedisStreamBroker

    broker = RedisStreamBroker(url=url, queue_name=QUEUE)

    @broker.task(task_name="tq_noop")
    async def tq_noop() -> None:
        DONE[0] += 1

    @broker.task(task_name="tq_record")
    async def tq_record(i: int) -> None:
        _record(i)

    TASKIQ.update(broker=broker, noop=tq_noop, record=tq_record)
    return broker


async def taskiq_receive(broker: Any) -> None:
    from taskiq.api import run_receiver_task

    await run_receiver_task(broker, max_async_tasks=CONCURRENCY)


# -- worker processes for the latency runs -----------------------------------------------


def run_worker(lib: str, url: str, host: str, port: int) -> None:
    connect_probe(url)
    if lib == "bricolage.jobs":
        ours_worker(setup_ours(url)).run()
    elif lib == "rq":
        from rq import Queue, SimpleWorker

        conn = redis.Redis.from_url(url)
        SimpleWorker([Queue(QUEUE, connection=conn)], connection=conn).work(
            logging_level="WARNING"
        )
    elif lib == "arq":

        async def arq_main() -> None:
            await arq_worker(host, port, burst=False).main()

        asyncio.run(arq_main())
    elif lib == "saq":
        from saq import Queue as SaqQueue

        async def saq_main() -> None:
            await saq_worker(SaqQueue.from_url(url, name=QUEUE)).start()

        asyncio.run(saq_main())
    elif lib == "dramatiq":
        dramatiq_worker(setup_dramatiq(url)).start()
        while True:
            time.sleep(1)
    elif lib == "taskiq":
        broker = setup_taskiq(url)

        async def taskiq_main() -> None:
            await broker.startup()
            await taskiq_receive(broker)

        asyncio.run(taskiq_main())
    else:
        raise SystemExit(f"unknown library {lib!r}")


if __name__ == "__main__":
    run_worker(sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4]))
