"""bricolage-jobs against RQ, arq, saq, dramatiq and taskiq on one private redis-server.

Every figure comes from a fresh process per library, scenario and round, all against
one local redis-server that this script starts (free port, temporary folder, no
persistence). The contenders are interleaved round by round (the order rotates each
round), so a slow minute on a shared machine hits them all alike; each figure is the
median over the rounds with its spread (min-max), and each ratio ours/peer is the median
of the per-round ratios, with their min-max.

- enqueue, single: jobs/s for one enqueue call per job (async libraries awaited from
  inside their running event loop);
- enqueue, bulk: jobs/s through the library's bulk API, where it has one;
- throughput: no-op jobs/s end to end, one worker process, from a full queue until the
  last job's body ran;
- latency: enqueue-to-start p50/p99 on an idle queue, the worker in its own process,
  one probe every 20 ms: from the clock read just before the enqueue call (so the call's
  own cost counts) to the clock read first thing in the job.

Concurrency is ``BENCH_CONCURRENCY`` (default 16) for every worker that has an
in-process setting: ours, arq ``max_jobs``, saq ``concurrency``, dramatiq
``worker_threads``, taskiq ``max_async_tasks``. RQ runs jobs one at a time per process
(its model), so it runs one ``SimpleWorker``, its fastest mode (no fork per job).

    python benchmarks/jobs/run.py            # or: python3 bootstrap.py -s bench -- jobs
    python benchmarks/jobs/run.py --quick    # 2 rounds of smaller runs
"""

from __future__ import annotations

import asyncio
import contextlib
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
import threading
import time
from pathlib import Path
from typing import Any

import redis

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import bench_tasks as tasks  # noqa: E402

QUICK = "--quick" in sys.argv or os.environ.get("BENCH_QUICK") == "1"
if QUICK:
    os.environ["BENCH_QUICK"] = "1"  # the children size their runs alike
LIBS = os.environ.get("BENCH_LIBS", "bricolage.jobs,rq,arq,saq,dramatiq,taskiq").split(",")
OURS = "bricolage.jobs"
N_ENQUEUE = int(os.environ.get("BENCH_ENQUEUE", "1000" if QUICK else "3000"))
N_BULK = int(os.environ.get("BENCH_BULK", "3000" if QUICK else "10000"))
N_THROUGHPUT = int(os.environ.get("BENCH_JOBS", "1000" if QUICK else "3000"))
N_LATENCY = int(os.environ.get("BENCH_LATENCY", "100" if QUICK else "200"))
ROUNDS = int(os.environ.get("BENCH_ROUNDS", "2" if QUICK else "5"))
SCENARIOS = ["enqueue_single", "enqueue_bulk", "throughput", "latency"]


class Unsupported(Exception):
    """The library has no API for this scenario."""


# -- the child side: one scenario of one library ------------------------------------------


async def _await_done(n: int, timeout: float = 300.0) -> float:
    """Wait on the event loop until ``n`` jobs ran; the moment they had."""
    deadline = time.monotonic() + timeout
    while tasks.DONE[0] < n:
        if time.monotonic() > deadline:
            raise TimeoutError(f"only {tasks.DONE[0]} of {n} jobs ran")
        await asyncio.sleep(0.0005)
    return time.perf_counter()


def _watch_done(n: int) -> list[float]:
    """A thread that notes the moment ``n`` jobs ran, for workers that block the caller."""
    when: list[float] = []

    def watch() -> None:
        deadline = time.monotonic() + 300
        while tasks.DONE[0] < n and time.monotonic() < deadline:
            time.sleep(0.0005)
        when.append(time.perf_counter())

    threading.Thread(target=watch, daemon=True).start()
    return when


def child_ours(scenario: str, url: str, n: int) -> float:
    from bricolage.jobs import Call

    queue = tasks.setup_ours(url)
    noop = tasks.OURS["noop"]
    if scenario == "enqueue_single":
        start = time.perf_counter()
        for _ in range(n):
            queue.enqueue(noop)
        return n / (time.perf_counter() - start)
    calls = [Call.of(noop) for _ in range(n)]
    start = time.perf_counter()
    for i in range(0, n, 1000):
        queue.enqueue_many(calls[i : i + 1000])
    if scenario == "enqueue_bulk":
        return n / (time.perf_counter() - start)
    worker = tasks.ours_worker(queue)

    async def main() -> float:
        task = asyncio.create_task(worker.serve())
        start = time.perf_counter()
        end = await _await_done(n)
        worker.stop()
        await task
        return n / (end - start)

    return asyncio.run(main())


def child_rq(scenario: str, url: str, n: int) -> float:
    from rq import Queue, SimpleWorker

    conn = redis.Redis.from_url(url)
    q = Queue(tasks.QUEUE, connection=conn)
    if scenario == "enqueue_single":
        start = time.perf_counter()
        for _ in range(n):
            q.enqueue(tasks.rq_noop)
        return n / (time.perf_counter() - start)
    start = time.perf_counter()
    for i in range(0, n, 1000):
        q.enqueue_many([Queue.prepare_data(tasks.rq_noop) for _ in range(min(1000, n - i))])
    if scenario == "enqueue_bulk":
        return n / (time.perf_counter() - start)
    done_at = _watch_done(n)
    start = time.perf_counter()
    SimpleWorker([q], connection=conn).work(burst=True, logging_level="WARNING")
    assert tasks.DONE[0] == n, tasks.DONE[0]
    while not done_at:
        time.sleep(0.001)
    return n / (done_at[0] - start)


def child_arq(scenario: str, n: int, host: str, port: int) -> float:
    from arq import create_pool
    from arq.connections import RedisSettings

    async def main() -> float:
        pool = await create_pool(RedisSettings(host=host, port=port))
        if scenario == "enqueue_bulk":
            raise Unsupported("arq has no bulk enqueue API")
        start = time.perf_counter()
        for _ in range(n):
            await pool.enqueue_job("arq_noop", _queue_name=tasks.QUEUE)
        if scenario == "enqueue_single":
            return n / (time.perf_counter() - start)
        worker = tasks.arq_worker(host, port, burst=True)
        start = time.perf_counter()
        runner = asyncio.create_task(worker.main())
        end = await _await_done(n)
        with contextlib.suppress(BaseException):  # measured already; stop as it may
            await runner
            await worker.close()
            await pool.aclose()
        return n / (end - start)

    return asyncio.run(main())


def child_saq(scenario: str, url: str, n: int) -> float:
    from saq import Queue

    async def main() -> float:
        queue = Queue.from_url(url, name=tasks.QUEUE)
        await queue.connect()
        if scenario == "enqueue_bulk":
            raise Unsupported("saq has no bulk enqueue API")
        start = time.perf_counter()
        for _ in range(n):
            await queue.enqueue("saq_noop")
        if scenario == "enqueue_single":
            return n / (time.perf_counter() - start)
        worker = tasks.saq_worker(queue)
        start = time.perf_counter()
        runner = asyncio.create_task(worker.start())
        end = await _await_done(n)
        with contextlib.suppress(BaseException):  # measured already; stop as it may
            await worker.stop()
            runner.cancel()
        return n / (end - start)

    return asyncio.run(main())


def child_dramatiq(scenario: str, url: str, n: int) -> float:
    broker = tasks.setup_dramatiq(url)
    noop = tasks.DRAMATIQ["noop"]
    if scenario == "enqueue_bulk":
        raise Unsupported("dramatiq has no bulk enqueue API")
    start = time.perf_counter()
    for _ in range(n):
        noop.send()
    if scenario == "enqueue_single":
        return n / (time.perf_counter() - start)
    worker = tasks.dramatiq_worker(broker)
    done_at = _watch_done(n)
    start = time.perf_counter()
    worker.start()
    while not done_at:
        time.sleep(0.001)
    worker.stop()
    assert tasks.DONE[0] >= n, tasks.DONE[0]
    return n / (done_at[0] - start)


def child_taskiq(scenario: str, url: str, n: int) -> float:
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
        receiver = asyncio.create_task(tasks.taskiq_receive(broker))
        end = await _await_done(n)
        receiver.cancel()
        with contextlib.suppress(BaseException):  # measured already; stop as it may
            await receiver
            await broker.shutdown()
        return n / (end - start)

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
        result = {"p50": statistics.median(waits), "p99": _p99(waits)}
        if lib == OURS:
            result.update(_scheduled_lateness(probe, n))
        return result
    finally:
        worker.terminate()
        try:
            worker.wait(10)
        except subprocess.TimeoutExpired:
            worker.kill()
            worker.wait()


def _p99(ordered: list[float]) -> float:
    return ordered[min(len(ordered) - 1, round(0.99 * (len(ordered) - 1)))]


def _scheduled_lateness(probe: redis.Redis, n: int) -> dict[str, float]:
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
    return {"late_p50": statistics.median(late), "late_p99": _p99(late)}


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
    if lib == OURS:
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
        loop.run_until_complete(queue.connect())
        return (lambda i: queue.enqueue("saq_record", i=i)), loop
    broker = tasks.setup_taskiq(url)
    loop.run_until_complete(broker.startup())
    record = tasks.TASKIQ["record"]
    return (lambda i: record.kiq(i)), loop


def _peak_rss_mb() -> float:
    """This process's peak resident set (VmHWM: unlike ru_maxrss, not inherited over exec)."""
    with contextlib.suppress(OSError):
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def child_main(lib: str, scenario: str, url: str, host: str, port: int) -> None:
    n = {"enqueue_single": N_ENQUEUE, "enqueue_bulk": N_BULK}.get(scenario, N_THROUGHPUT)
    result: dict[str, Any]
    try:
        if scenario == "latency":
            result = child_latency(lib, url, N_LATENCY, host, port)
        elif lib == OURS:
            result = {"value": child_ours(scenario, url, n)}
        elif lib == "rq":
            result = {"value": child_rq(scenario, url, n)}
        elif lib == "arq":
            result = {"value": child_arq(scenario, n, host, port)}
        elif lib == "saq":
            result = {"value": child_saq(scenario, url, n)}
        elif lib == "dramatiq":
            result = {"value": child_dramatiq(scenario, url, n)}
        else:
            result = {"value": child_taskiq(scenario, url, n)}
    except Unsupported as exc:
        result = {"unsupported": str(exc)}
    result["maxrss_mb"] = _peak_rss_mb()
    print("RESULT " + json.dumps(result), flush=True)
    os._exit(0)  # leave at once: some peers keep non-daemon threads alive


# -- the parent side ----------------------------------------------------------------------


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def _installed(lib: str) -> str | None:
    module = {"taskiq": "taskiq_redis"}.get(lib, lib)
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


def _fmt(value: float) -> str:
    if value >= 100:
        return f"{value:,.0f}"
    return f"{value:.2f}" if value >= 1 else f"{value:.3f}"


def _spread(values: list[float]) -> str:
    """The median and the min-max over the rounds."""
    if not values:
        return "-"
    if len(values) == 1:
        return _fmt(values[0])
    return f"{_fmt(statistics.median(values))} [{_fmt(min(values))}-{_fmt(max(values))}]"


METRICS = [
    # key, label, higher is better
    ("enqueue_single", "enqueue, single (jobs/s)", True),
    ("enqueue_bulk", "enqueue, bulk (jobs/s)", True),
    ("throughput", "no-op jobs end to end (jobs/s)", True),
    ("p50", "enqueue-to-start p50 (ms)", False),
    ("p99", "enqueue-to-start p99 (ms)", False),
    ("late_p50", "delayed start after due p50 (ms)", False),
    ("late_p99", "delayed start after due p99 (ms)", False),
    ("mem", "peak memory of a run (MB)", False),
]


def _start_redis(folder: str, port: int) -> subprocess.Popen[bytes]:
    binary = shutil.which("redis-server")
    if binary is None:
        raise SystemExit("redis-server is not on PATH; the benchmark starts its own")
    args = [binary, "--port", str(port), "--bind", "127.0.0.1", "--dir", folder]
    args += ["--save", "", "--appendonly", "no"]
    return subprocess.Popen(args, stdout=subprocess.DEVNULL)


def main() -> None:
    folder = tempfile.mkdtemp(prefix="bench-jobs-redis-")
    port = _free_port()
    server = _start_redis(folder, port)
    url = f"redis://127.0.0.1:{port}/0"
    client = redis.Redis.from_url(url)
    for _ in range(500):
        try:
            client.ping()
            break
        except redis.ConnectionError:
            time.sleep(0.01)
    from redis.utils import HIREDIS_AVAILABLE

    print(f"private redis-server {client.info()['redis_version']} on 127.0.0.1:{port}")
    print(f"python {platform.python_version()}, {os.cpu_count()} cpus, {platform.platform()}")
    print(
        f"{'quick: ' if QUICK else ''}{ROUNDS} interleaved rounds; per round: enqueue "
        f"{N_ENQUEUE} single / {N_BULK} bulk, {N_THROUGHPUT} no-op jobs, {N_LATENCY} "
        f"latency probes; concurrency {tasks.CONCURRENCY}; hiredis "
        f"{'on for every contender' if HIREDIS_AVAILABLE else 'off'}\n"
    )
    libs = [lib for lib in LIBS if not _installed(lib)]
    notes = [f"{lib}: {_installed(lib)}" for lib in LIBS if _installed(lib)]
    # results[lib][metric][round] = value (None when the run failed or is unsupported)
    results: dict[str, dict[str, list[float | None]]] = {
        lib: {key: [None] * ROUNDS for key, _, _ in METRICS} for lib in libs
    }
    failed: set[tuple[str, str]] = set()  # unsupported: not tried again
    try:
        for r in range(ROUNDS):
            order = libs[r % len(libs) :] + libs[: r % len(libs)]
            began = time.monotonic()
            for lib in order:
                mem = 0.0
                for scenario in SCENARIOS:
                    if (lib, scenario) in failed:
                        continue
                    client.flushall()
                    run = _run_child(lib, scenario, url, port)
                    if "error" in run or "unsupported" in run:
                        if "unsupported" in run:  # a failure is tried again next round
                            failed.add((lib, scenario))
                        reason = run.get("unsupported") or f"failed: {run.get('error')}"
                        notes.append(f"{lib} {scenario}: {reason}")
                        continue
                    mem = max(mem, run["maxrss_mb"])
                    keys = [k for k in ("p50", "p99", "late_p50", "late_p99") if k in run]
                    for key in keys if scenario == "latency" else [scenario]:
                        results[lib][key][r] = run[key] if scenario == "latency" else run["value"]
                results[lib]["mem"][r] = mem or None
            took = time.monotonic() - began
            print(f"  round {r + 1}/{ROUNDS} ({', '.join(order)}) took {took:.0f} s", flush=True)
    finally:
        client.close()
        server.terminate()
        server.wait(10)
        shutil.rmtree(folder, ignore_errors=True)
    _report(libs, results, notes)


def _report(
    libs: list[str], results: dict[str, dict[str, list[float | None]]], notes: list[str]
) -> None:
    def values(lib: str, key: str) -> list[float]:
        return [v for v in results[lib][key] if v is not None]

    width = 26
    print("\nmedian over the rounds [min-max]")
    header = f"{'metric':34}" + "".join(f"{lib:>{width}}" for lib in libs)
    print(header)
    print("-" * len(header))
    for key, label, _ in METRICS:
        if not any(values(lib, key) for lib in libs):
            continue
        print(f"{label:34}" + "".join(f"{_spread(values(lib, key)):>{width}}" for lib in libs))

    peers = [lib for lib in libs if lib != OURS]
    if OURS not in libs or not peers:
        return
    print(
        "\nratio ours / peer: median of the per-round ratios [min-max]; "
        "above 1 is better for rates, below 1 for latency and memory"
    )
    width = 22
    header = f"{'metric':34}" + "".join(f"{lib:>{width}}" for lib in peers)
    print(header)
    print("-" * len(header))
    for key, label, _ in METRICS:
        cells = []
        for peer in peers:
            ratios = [
                a / b
                for a, b in zip(results[OURS][key], results[peer][key], strict=True)
                if a is not None and b is not None and b > 0
            ]
            cells.append(_spread(ratios))
        if any(cell != "-" for cell in cells):
            print(f"{label:34}" + "".join(f"{cell:>{width}}" for cell in cells))

    def best_peer(key: str, higher: bool) -> tuple[str, float] | None:
        found = [(p, statistics.median(values(p, key))) for p in peers if values(p, key)]
        if not found:
            return None
        return max(found, key=lambda x: x[1]) if higher else min(found, key=lambda x: x[1])

    print("\nagainst the best peer of each figure (medians):")
    for key, label, higher in METRICS[:5]:
        best = best_peer(key, higher)
        if best is None or not values(OURS, key):
            continue
        ours = statistics.median(values(OURS, key))
        ahead = ours > best[1] if higher else ours < best[1]
        print(
            f"- {label}: ours {_fmt(ours)}, best peer {best[0]} {_fmt(best[1])}: "
            f"{ours / best[1]:.2f}x ({'ahead' if ahead else 'behind'})"
        )
    print(
        "\nwhat still differs: ours leases, fences and re-delivers every job (arq, saq, "
        "dramatiq and taskiq's stream broker re-deliver too, RQ does not); RQ runs one job "
        "at a time in one process; arq polls every 0.5 s and dramatiq backs off up to 1 s "
        "when idle (their defaults); ours, RQ and dramatiq enqueue from sync code, the "
        "others from their event loop; no Redis persistence for anyone."
    )
    for note in dict.fromkeys(notes):
        print(f"- {note}")


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "--child":
        child_main(sys.argv[2], sys.argv[3], sys.argv[4], sys.argv[5], int(sys.argv[6]))
    else:
        main()
