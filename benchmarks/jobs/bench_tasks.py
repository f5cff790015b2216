"""The no-op and latency-probe jobs for every library, and their worker entry points.

Each library's objects are built lazily by ``setup_<lib>(url)`` so that importing this
module does not need every peer installed.
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


# -- saq ----------------------------------------------------------------------------------


async def saq_noop(ctx: dict[str, Any]) -> None:
    DONE[0] += 1


async def saq_record(ctx: dict[str, Any], *, i: int) -> None:
    _record(i)


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


# -- taskiq -------------------------------------------------------------------------------

TASKIQ: dict[str, Any] = {}


def setup_taskiq(url: str) -> Any:
    from taskiq_redis import ListQueueBroker

    broker = ListQueueBroker(url=url, queue_name=QUEUE)

    @broker.task(task_name="tq_noop")
    async def tq_noop() -> None:
        DONE[0] += 1

    @broker.task(task_name="tq_record")
    async def tq_record(i: int) -> None:
        _record(i)

    TASKIQ.update(broker=broker, noop=tq_noop, record=tq_record)
    return broker


# -- worker processes for the latency runs -----------------------------------------------


def run_worker(lib: str, url: str, host: str, port: int) -> None:
    connect_probe(url)
    if lib == "bricolage.jobs":
        from bricolage.jobs import Worker

        queue = setup_ours(url)
        Worker(queue, [QUEUE], concurrency=16).run()
    elif lib == "rq":
        from rq import Queue, SimpleWorker

        conn = redis.Redis.from_url(url)
        SimpleWorker([Queue(QUEUE, connection=conn)], connection=conn).work(
            logging_level="WARNING"
        )
    elif lib == "arq":
        from arq.connections import RedisSettings
        from arq.worker import Worker as ArqWorker

        async def main() -> None:
            worker = ArqWorker(
                functions=[arq_noop, arq_record],  # type: ignore[list-item]
                redis_settings=RedisSettings(host=host, port=port),
                queue_name=QUEUE,
                handle_signals=False,
            )
            await worker.main()

        asyncio.run(main())
    elif lib == "saq":
        from saq import Queue as SaqQueue
        from saq import Worker as SaqWorker

        async def main() -> None:
            queue = SaqQueue.from_url(url, name=QUEUE)
            worker = SaqWorker(queue, functions=[saq_noop, saq_record])
            await worker.start()

        asyncio.run(main())
    elif lib == "dramatiq":
        from dramatiq import Worker as DqWorker

        broker = setup_dramatiq(url)
        worker = DqWorker(broker, worker_threads=8)
        worker.start()
        while True:
            time.sleep(1)
    elif lib == "taskiq":
        from taskiq.api import run_receiver_task

        broker = setup_taskiq(url)

        async def main() -> None:
            await broker.startup()
            await run_receiver_task(broker)

        asyncio.run(main())
    else:
        raise SystemExit(f"unknown library {lib!r}")


if __name__ == "__main__":
    run_worker(sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4]))
