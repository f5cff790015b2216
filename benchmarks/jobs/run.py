"""bricolage-jobs against RQ, arq, saq, dramatiq and taskiq on one private redis-server.

Figures, all on the same local Redis that this script starts (free port, temporary
folder, no persistence), each run in a fresh process:

- enqueue rate, single: jobs/s for one enqueue call per job;
- enqueue rate, bulk: jobs/s through the library's bulk API (where it has one);
- throughput: no-op jobs/s end to end for one worker process, from a full queue to empty;
- latency: enqueue-to-start p50/p99 on an idle queue, the worker in its own process:
  from the clock read just before the enqueue call (so the call's own cost counts) to
  the clock read first thing in the job, one probe every 20 ms; async libraries are
  called from inside their running event loop.

bricolage-jobs runs with its reliable delivery on (leases, fencing; it has no other
mode). Medians over ``BENCH_REPEATS`` runs (default 3); peak memory is the largest
resident set of a run. Ratios are ours / peer. Every library keeps its default settings
(poll intervals, concurrency) unless noted.

    python benchmarks/jobs/run.py                  # or: nox -s bench -- jobs
"""

from __future__ import annotations

import asyncio
import json
import os
import platform
import resource
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import redis

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import bench_tasks as tasks  # noqa: E402

LIBS = os.environ.get("BENCH_LIBS", "bricolage.jobs,rq,arq,saq,dramatiq,taskiq").split(",")
N_ENQUEUE = int(os.environ.get("BENCH_ENQUEUE", "3000"))
N_BULK = int(os.environ.get("BENCH_BULK", "10000"))
N_THROUGHPUT = int(os.environ.get("BENCH_JOBS", "3000"))
N_LATENCY = int(os.environ.get("BENCH_LATENCY", "200"))
REPEATS = int(os.environ.get("BENCH_REPEATS", "3"))
SCENARIOS = ["enqueue_single", "enqueue_bulk", "throughput", "latency"]


class Unsupported(Exception):
    """The library has no API for this scenario."""


# -- the child side: one scenario of one library ------------------------------------------


def _wait_done(n: int, timeout: float = 300.0) -> None:
    deadline = time.monotonic() + timeout
    while tasks.DONE[0] < n:
        if time.monotonic() > deadline:
            raise TimeoutError(f"only {tasks.DONE[0]} of {n} jobs ran")
        time.sleep(0.001)


async def _await_done(n: int, timeout: float = 300.0) -> None:
    deadline = time.monotonic() + timeout
    while tasks.DONE[0] < n:
        if time.monotonic() > deadline:
            raise TimeoutError(f"only {tasks.DONE[0]} of {n} jobs ran")
        await asyncio.sleep(0.001)


def child_ours(scenario: str, url: str, n: int) -> float:
    from bricolage.jobs import Call, Worker

    queue = tasks.setup_ours(url)
    noop = tasks.OURS["noop"]
    if scenario == "enqueue_single":
        start = time.perf_counter()
        for _ in range(n):
            queue.enqueue(noop)
        return n / (time.perf_counter() - start)
    if scenario == "enqueue_bulk":
        calls = [Call.of(noop) for _ in range(n)]
        start = time.perf_counter()
        for i in range(0, n, 1000):
            queue.enqueue_many(calls[i : i + 1000])
        return n / (time.perf_counter() - start)
    calls = [Call.of(noop) for _ in range(n)]
    for i in range(0, n, 1000):
        queue.enqueue_many(calls[i : i + 1000])
    start = time.perf_counter()
    Worker(queue, [tasks.QUEUE], burst=True, concurrency=64).run()
    elapsed = time.perf_counter() - start
    assert tasks.DONE[0] == n, tasks.DONE[0]
    return n / elapsed


def child_rq(scenario: str, url: str, n: int) -> float:
    from rq import Queue, SimpleWorker

    conn = redis.Redis.from_url(url)
    q = Queue(tasks.QUEUE, connection=conn)
    if scenario == "enqueue_single":
        start = time.perf_counter()
        for _ in range(n):
            q.enqueue(tasks.rq_noop)
        return n / (time.perf_counter() - start)
    if scenario == "enqueue_bulk":
        start = time.perf_counter()
        for i in range(0, n, 1000):
            q.enqueue_many([Queue.prepare_data(tasks.rq_noop) for _ in range(min(1000, n - i))])
        return n / (time.perf_counter() - start)
    for i in range(0, n, 1000):
        q.enqueue_many([Queue.prepare_data(tasks.rq_noop) for _ in range(min(1000, n - i))])
    start = time.perf_counter()
    SimpleWorker([q], connection=conn).work(burst=True, logging_level="WARNING")
    elapsed = time.perf_counter() - start
    assert tasks.DONE[0] == n, tasks.DONE[0]
    return n / elapsed


def child_arq(scenario: str, url: str, n: int, host: str, port: int) -> float:
    from arq import create_pool
    from arq.connections import RedisSettings
    from arq.worker import Worker

    settings = RedisSettings(host=host, port=port)

    async def main() -> float:
        pool = await create_pool(settings)
        if scenario == "enqueue_bulk":
            raise Unsupported("arq has no bulk enqueue API")
        start = time.perf_counter()
        for _ in range(n):
            await pool.enqueue_job("arq_noop", _queue_name=tasks.QUEUE)
        if scenario == "enqueue_single":
            return n / (time.perf_counter() - start)
        worker = Worker(
            functions=[tasks.arq_noop],  # type: ignore[list-item]
            redis_settings=settings,
            queue_name=tasks.QUEUE,
            burst=True,
            handle_signals=False,
            max_jobs=64,
        )
        start = time.perf_counter()
        await worker.main()
        elapsed = time.perf_counter() - start
        await worker.close()
        await pool.aclose()
        assert tasks.DONE[0] == n, tasks.DONE[0]
        return n / elapsed

    return asyncio.run(main())


def child_saq(scenario: str, url: str, n: int) -> float:
    from saq import Queue, Worker

    async def main() -> float:
        queue = Queue.from_url(url, name=tasks.QUEUE)
        if hasattr(queue, "connect"):
            await queue.connect()
        if scenario == "enqueue_bulk":
            raise Unsupported("saq has no bulk enqueue API")
        start = time.perf_counter()
        for _ in range(n):
            await queue.enqueue("saq_noop")
        if scenario == "enqueue_single":
            return n / (time.perf_counter() - start)
        worker = Worker(queue, functions=[tasks.saq_noop], concurrency=64)
        start = time.perf_counter()
        runner = asyncio.create_task(worker.start())
        await _await_done(n)
        elapsed = time.perf_counter() - start
        await worker.stop()
        runner.cancel()
        return n / elapsed

    return asyncio.run(main())


def child_dramatiq(scenario: str, url: str, n: int) -> float:
    from dramatiq import Worker

    broker = tasks.setup_dramatiq(url)
    noop = tasks.DRAMATIQ["noop"]
    if scenario == "enqueue_bulk":
        raise Unsupported("dramatiq has no bulk enqueue API")
    start = time.perf_counter()
    for _ in range(n):
        noop.send()
    if scenario == "enqueue_single":
        return n / (time.perf_counter() - start)
    worker = Worker(broker, worker_threads=8)
    start = time.perf_counter()
    worker.start()
    _wait_done(n)
    elapsed = time.perf_counter() - start
    worker.stop()
    return n / elapsed


def child_taskiq(scenario: str, url: str, n: int) -> float:
    from taskiq.api import run_receiver_task

    broker = tasks.setup_taskiq(url)
    noop = tasks.TASKIQ["noop"]

    async def main() -> float:
        await broker.startup()
        if scenario == "enqueue_bulk":
            raise Unsupported("taskiq has no bulk enqueue API")
        start = time.perf_counter()
        for _ in range(n):
            await noop.kiq()
        if scenario == "enqueue_single":
            return n / (time.perf_counter() - start)
        start = time.perf_counter()
        receiver = asyncio.create_task(run_receiver_task(broker))
        await _await_done(n)
        elapsed = time.perf_counter() - start
        receiver.cancel()
        await broker.shutdown()
        return n / elapsed

    return asyncio.run(main())


def child_latency(lib: str, url: str, n: int, host: str, port: int) -> dict[str, float]:
    """Start the library's worker in its own process, then probe an idle queue."""
    tasks.connect_probe(url)
    worker = subprocess.Popen(
        [sys.executable, str(HERE / "bench_tasks.py"), lib, url, host, str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        enqueue, loop = _prober(lib, url, host, port)
        probe = redis.Redis.from_url(url)
        # warm up: the worker is ready once a probe has run
        _send(enqueue, loop, [-1], 0.0)
        deadline = time.monotonic() + 60
        while not probe.hexists(tasks.LATENCY_KEY, "-1"):
            if time.monotonic() > deadline or worker.poll() is not None:
                raise RuntimeError(f"the {lib} worker did not start")
            time.sleep(0.01)
        sent = _send(enqueue, loop, list(range(n)), 0.02)
        deadline = time.monotonic() + 60
        while probe.hlen(tasks.LATENCY_KEY) < n + 1:
            if time.monotonic() > deadline:
                raise RuntimeError(f"{lib}: only {probe.hlen(tasks.LATENCY_KEY)} probes ran")
            time.sleep(0.01)
        started = {int(k): float(v) for k, v in probe.hgetall(tasks.LATENCY_KEY).items()}
        waits = sorted(max(0.0, started[i] - sent[i]) * 1000 for i in range(n))
        result = {
            "p50": statistics.median(waits),
            "p99": waits[min(n - 1, round(0.99 * (n - 1)))],
        }
        if lib == "bricolage.jobs":
            result.update(_scheduled_lateness(url, probe, n))
        return result
    finally:
        worker.terminate()
        try:
            worker.wait(10)
        except subprocess.TimeoutExpired:
            worker.kill()
            worker.wait()


def _scheduled_lateness(url: str, probe: redis.Redis, n: int) -> dict[str, float]:
    """How late delayed jobs start after their due time (ours only: ``delay=0.1``)."""
    queue = tasks.OURS["queue"]
    record = tasks.OURS["record"].options(delay=0.1)
    due: dict[int, float] = {}
    for i in range(n):
        handle = queue.enqueue(record, 100_000 + i)
        due[100_000 + i] = handle.record.due_at
        time.sleep(0.02)
    deadline = time.monotonic() + 60
    while probe.hlen(tasks.LATENCY_KEY) < 2 * n + 1:
        if time.monotonic() > deadline:
            raise RuntimeError("delayed probes did not all run")
        time.sleep(0.01)
    started = {int(k): float(v) for k, v in probe.hgetall(tasks.LATENCY_KEY).items()}
    late = sorted(max(0.0, started[i] - due[i]) * 1000 for i in due)
    return {"late_p50": statistics.median(late), "late_p99": late[round(0.99 * (n - 1))]}


def _send(
    enqueue: Any, loop: asyncio.AbstractEventLoop | None, ids: list[int], pause: float
) -> dict[int, float]:
    """Enqueue one probe per id, ``pause`` seconds apart; the clock reads just before.

    An async library's probes are sent from inside its running event loop (``await``
    and ``asyncio.sleep``), as an async application would, so that no library pays for
    an event loop started per call.
    """
    sent: dict[int, float] = {}
    if loop is None:
        for i in ids:
            sent[i] = time.time()
            enqueue(i)
            time.sleep(pause)
        return sent

    async def main() -> None:
        for i in ids:
            sent[i] = time.time()
            await enqueue(i)
            await asyncio.sleep(pause)

    loop.run_until_complete(main())
    return sent


def _prober(lib: str, url: str, host: str, port: int) -> tuple[Any, Any]:
    """One probe's enqueue call, and the event loop it runs in (None if sync)."""
    if lib == "bricolage.jobs":
        queue = tasks.setup_ours(url)
        record = tasks.OURS["record"]
        return (lambda i: queue.enqueue(record, i)), None
    if lib == "rq":
        from rq import Queue

        q = Queue(tasks.QUEUE, connection=redis.Redis.from_url(url))
        return (lambda i: q.enqueue(tasks.rq_record, i)), None
    if lib == "dramatiq":
        tasks.setup_dramatiq(url)
        record = tasks.DRAMATIQ["record"]
        return (lambda i: record.send(i)), None
    loop = asyncio.new_event_loop()
    if lib == "arq":
        from arq import create_pool
        from arq.connections import RedisSettings

        pool = loop.run_until_complete(create_pool(RedisSettings(host=host, port=port)))
        return (lambda i: pool.enqueue_job("arq_record", i, _queue_name=tasks.QUEUE)), loop
    if lib == "saq":
        from saq import Queue as SaqQueue

        queue = SaqQueue.from_url(url, name=tasks.QUEUE)
        return (lambda i: queue.enqueue("saq_record", i=i)), loop
    broker = tasks.setup_taskiq(url)
    loop.run_until_complete(broker.startup())
    record = tasks.TASKIQ["record"]
    return (lambda i: record.kiq(i)), loop


def child_main(lib: str, scenario: str, url: str, host: str, port: int) -> None:
    n = {"enqueue_single": N_ENQUEUE, "enqueue_bulk": N_BULK}.get(scenario, N_THROUGHPUT)
    result: dict[str, Any]
    try:
        if scenario == "latency":
            result = child_latency(lib, url, N_LATENCY, host, port)
        elif lib == "bricolage.jobs":
            result = {"value": child_ours(scenario, url, n)}
        elif lib == "rq":
            result = {"value": child_rq(scenario, url, n)}
        elif lib == "arq":
            result = {"value": child_arq(scenario, url, n, host, port)}
        elif lib == "saq":
            result = {"value": child_saq(scenario, url, n)}
        elif lib == "dramatiq":
            result = {"value": child_dramatiq(scenario, url, n)}
        else:
            result = {"value": child_taskiq(scenario, url, n)}
    except Unsupported as exc:
        result = {"unsupported": str(exc)}
    result["maxrss_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print("RESULT " + json.dumps(result), flush=True)
    os._exit(0)  # leave at once: some peers keep non-daemon threads alive


# -- the parent side ----------------------------------------------------------------------


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def _installed(lib: str) -> str | None:
    module = {"bricolage.jobs": "bricolage.jobs", "taskiq": "taskiq_redis"}.get(lib, lib)
    try:
        __import__(module)
    except ImportError as exc:
        return f"not installed ({exc})"
    return None


def _run_child(lib: str, scenario: str, url: str, port: int) -> dict[str, Any]:
    proc = subprocess.run(
        [sys.executable, __file__, "--child", lib, scenario, url, "127.0.0.1", str(port)],
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    for line in proc.stdout.splitlines():
        if line.startswith("RESULT "):
            return json.loads(line[len("RESULT ") :])  # type: ignore[no-any-return]
    tail = (proc.stderr or proc.stdout).strip().splitlines()[-3:]
    return {"error": " | ".join(tail) or f"exit status {proc.returncode}"}


def _fmt(value: float | None, unit: str) -> str:
    if value is None:
        return "-"
    return f"{value:,.0f} {unit}" if value >= 100 else f"{value:.2f} {unit}"


def main() -> None:
    binary = shutil.which("redis-server")
    if binary is None:
        raise SystemExit("redis-server is not on PATH; the benchmark starts its own")
    folder = tempfile.mkdtemp(prefix="bench-jobs-redis-")
    port = _free_port()
    server = subprocess.Popen(
        [
            binary,
            "--port",
            str(port),
            "--bind",
            "127.0.0.1",
            "--dir",
            folder,
            "--save",
            "",
            "--appendonly",
            "no",
        ],
        stdout=subprocess.DEVNULL,
    )
    url = f"redis://127.0.0.1:{port}/0"
    client = redis.Redis.from_url(url)
    for _ in range(500):
        try:
            client.ping()
            break
        except redis.ConnectionError:
            time.sleep(0.01)
    print(f"private redis-server {client.info()['redis_version']} on 127.0.0.1:{port}")
    print(f"python {platform.python_version()}, {os.cpu_count()} cpus, {platform.platform()}")
    print(
        f"enqueue {N_ENQUEUE} single / {N_BULK} bulk, {N_THROUGHPUT} no-op jobs, "
        f"{N_LATENCY} latency probes, median of {REPEATS} runs\n"
    )
    results: dict[str, dict[str, Any]] = {}
    notes: list[str] = []
    try:
        for lib in LIBS:
            missing = _installed(lib)
            if missing:
                notes.append(f"{lib}: {missing}")
                continue
            lib_results: dict[str, Any] = {"mem": 0.0}
            for scenario in SCENARIOS:
                runs: list[dict[str, Any]] = []
                for _ in range(REPEATS if scenario != "latency" else 1):
                    client.flushall()
                    run = _run_child(lib, scenario, url, port)
                    runs.append(run)
                    if "error" in run or "unsupported" in run:
                        break
                bad = next((r for r in runs if "error" in r or "unsupported" in r), None)
                if bad is not None:
                    reason = bad.get("unsupported") or f"failed: {bad.get('error')}"
                    lib_results[scenario] = None
                    notes.append(f"{lib} {scenario}: {reason}")
                    continue
                lib_results["mem"] = max(lib_results["mem"], *(r["maxrss_mb"] for r in runs))
                if scenario == "latency":
                    for key in ("p50", "p99", "late_p50", "late_p99"):
                        if key in runs[0]:
                            lib_results[key] = runs[0][key]
                else:
                    lib_results[scenario] = statistics.median(r["value"] for r in runs)
            results[lib] = lib_results
            print(f"  measured {lib}", flush=True)
    finally:
        client.close()
        server.terminate()
        server.wait(10)
        shutil.rmtree(folder, ignore_errors=True)

    metrics = [
        ("enqueue_single", "enqueue, single (jobs/s)", "/s", True),
        ("enqueue_bulk", "enqueue, bulk (jobs/s)", "/s", True),
        ("throughput", "no-op jobs end to end (jobs/s)", "/s", True),
        ("p50", "enqueue-to-start p50 (ms)", "ms", False),
        ("p99", "enqueue-to-start p99 (ms)", "ms", False),
        ("late_p50", "delayed job start after due p50 (ms)", "ms", False),
        ("late_p99", "delayed job start after due p99 (ms)", "ms", False),
        ("mem", "peak memory of a run (MB)", "MB", False),
    ]
    ours = results.get("bricolage.jobs", {})
    peers = [lib for lib in results if lib != "bricolage.jobs"]
    header = f"{'metric':34}" + "".join(f"{lib:>16}" for lib in results)
    print("\n" + header)
    print("-" * len(header))
    for key, label, _unit, _ in metrics:
        row = f"{label:34}"
        for lib in results:
            row += f"{_fmt(results[lib].get(key), ''):>16}"
        print(row)
    print("\nratios, ours / peer (higher is better for rates, lower for latency and memory)")
    header = f"{'metric':34}" + "".join(f"{lib:>12}" for lib in peers)
    print(header)
    print("-" * len(header))
    for key, label, _, _ in metrics:
        row = f"{label:34}"
        for lib in peers:
            a, b = ours.get(key), results[lib].get(key)
            row += f"{(a / b if a and b else float('nan')):>12.2f}" if a and b else f"{'-':>12}"
        print(row)
    rates = [results[p].get("throughput") for p in peers if results[p].get("throughput")]
    if rates and ours.get("throughput"):
        print(f"\nthroughput vs the fastest peer: {ours['throughput'] / max(rates):.2f}x")
    print(
        "\nnotes:\n- every library with its defaults; RQ uses SimpleWorker (no fork per job) "
        "and arq polls every 0.5 s by default.\n- taskiq's ListQueueBroker and RQ do not "
        "re-deliver a job whose worker died mid-run; bricolage-jobs leases and fences every job."
    )
    for note in notes:
        print(f"- {note}")


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "--child":
        child_main(sys.argv[2], sys.argv[3], sys.argv[4], sys.argv[5], int(sys.argv[6]))
    else:
        main()
