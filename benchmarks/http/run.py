"""bricolage-http against hishel, requests-cache and plain httpx, on one local server.

Run with ``nox -s bench -- http`` (or ``python benchmarks/http/run.py``). Every contender
talks to the same HTTP server on 127.0.0.1 in the same process run. Printed per contender:
the median latency of a cached hit and of a miss, hits per second, the peak memory
allocated during the hit runs (tracemalloc, measured in a separate pass), and the ratio of
our hit latency to the peer's (below 1 means we are faster). A final section streams a
large download through the cache (not stored: over the body limit) and through plain httpx.

The machine may be shared, so contenders are interleaved: each repeat runs every contender
once, in a rotated order, and the medians are taken over repeats.

Environment: ``BENCH_HITS`` (hits per repeat, default 2000), ``BENCH_REPEATS`` (default 7),
``BENCH_STREAM_MIB`` (size of the streamed download, default 256; 1024 for the 1 GiB check),
``BENCH_STREAM_REPEATS`` (downloads per contender, default 9).
"""

from __future__ import annotations

import asyncio
import multiprocessing
import os
import sqlite3
import statistics
import tempfile
import threading
import time
import tracemalloc
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import hishel
import hishel.httpx
import httpx
import requests_cache

from bricolage.http import (
    AsyncCacheTransport,
    CachePolicy,
    CacheTransport,
    MemoryStorage,
    SQLiteStorage,
)

HITS = int(os.environ.get("BENCH_HITS", "2000"))
REPEATS = int(os.environ.get("BENCH_REPEATS", "7"))
MISSES = 100
STREAM_MIB = int(os.environ.get("BENCH_STREAM_MIB", "256"))
STREAM_REPEATS = int(os.environ.get("BENCH_STREAM_REPEATS", "9"))
BODY = b'{"items": [' + b",".join(b'{"id": %d, "name": "item"}' % i for i in range(60)) + b"]}"


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True  # headers and body go out in separate writes

    def log_message(self, format: str, *args: object) -> None:
        return

    def do_GET(self) -> None:
        if self.path.startswith("/stream"):
            size = int(self.path.split("=")[1])
            self.send_response(200)
            self.send_header("Content-Length", str(size))
            self.send_header("Cache-Control", "max-age=3600")
            self.end_headers()
            chunk = b"x" * (1 << 20)
            sent = 0
            while sent < size:
                part = chunk[: min(len(chunk), size - sent)]
                self.wfile.write(part)
                sent += len(part)
            return
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(BODY)))
        self.send_header("Cache-Control", "max-age=3600")
        self.send_header("ETag", '"v1"')
        self.end_headers()
        self.wfile.write(BODY)


class Server(ThreadingHTTPServer):
    daemon_threads = True


@dataclass
class Result:
    name: str
    flavour: str
    hit: float
    miss: float
    peak: int

    @property
    def per_second(self) -> float:
        return 1.0 / self.hit if self.hit else float("inf")


def rotated(items: list[Any], turn: int) -> list[Any]:
    """``items`` starting at position ``turn``: no contender always runs first or last."""
    turn %= len(items)
    return items[turn:] + items[:turn]


def peak_of(run: Callable[[], None]) -> int:
    tracemalloc.start()
    run()
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return peak


@dataclass
class SyncContender:
    name: str
    get: Callable[[str], bytes]
    close: Callable[[], None]


def bench_sync(contenders: list[SyncContender], base: str) -> list[Result]:
    """Hits and misses of every contender, interleaved repeat by repeat."""
    hit_url = f"{base}/hit"
    counter = iter(range(10**9))
    for c in contenders:
        assert c.get(hit_url) == BODY  # warm: the first request is a miss that stores
    hits: dict[str, list[float]] = {c.name: [] for c in contenders}
    misses: dict[str, list[float]] = {c.name: [] for c in contenders}
    for turn in range(REPEATS):
        for c in rotated(contenders, turn):
            start = time.perf_counter()
            for _ in range(HITS):
                c.get(hit_url)
            hits[c.name].append((time.perf_counter() - start) / HITS)
        for c in rotated(contenders, turn):
            start = time.perf_counter()
            for _ in range(MISSES):
                c.get(f"{base}/miss/{next(counter)}")
            misses[c.name].append((time.perf_counter() - start) / MISSES)
    results = []
    for c in contenders:

        def run(get: Callable[[str], bytes] = c.get) -> None:
            for _ in range(HITS):
                get(hit_url)

        peak = peak_of(run)
        c.close()
        results.append(
            Result(
                c.name,
                "sync",
                statistics.median(hits[c.name]),
                statistics.median(misses[c.name]),
                peak,
            )
        )
    return results


AsyncGet = Callable[[str], Awaitable[bytes]]
AsyncMaker = Callable[[], Awaitable[tuple[AsyncGet, Callable[[], Awaitable[None]]]]]


def bench_async(makers: list[tuple[str, AsyncMaker]], base: str) -> list[Result]:
    """The async contenders in one event loop, interleaved repeat by repeat."""

    async def main() -> list[Result]:
        hit_url = f"{base}/hit"
        counter = iter(range(10**9))
        made = []
        for name, make in makers:
            get, close = await make()
            assert await get(hit_url) == BODY
            made.append((name, get, close))
        hits: dict[str, list[float]] = {name: [] for name, _ in makers}
        misses: dict[str, list[float]] = {name: [] for name, _ in makers}
        for turn in range(REPEATS):
            for name, get, _ in rotated(made, turn):
                start = time.perf_counter()
                for _ in range(HITS):
                    await get(hit_url)
                hits[name].append((time.perf_counter() - start) / HITS)
            for name, get, _ in rotated(made, turn):
                start = time.perf_counter()
                for _ in range(MISSES):
                    await get(f"{base}/amiss/{next(counter)}")
                misses[name].append((time.perf_counter() - start) / MISSES)
        results = []
        for name, get, _ in made:
            tracemalloc.start()
            for _ in range(HITS):
                await get(hit_url)
            _, peak = tracemalloc.get_traced_memory()
            tracemalloc.stop()
            results.append(
                Result(
                    name,
                    "async",
                    statistics.median(hits[name]),
                    statistics.median(misses[name]),
                    peak,
                )
            )
        for _, _, close in reversed(made):  # task groups close in the reverse order
            await close()
        return results

    return asyncio.run(main())


FLOOR = "httpx floor (no I/O)"


def floor_transport(base: str) -> httpx.MockTransport:
    """Answer from memory: what any httpx client costs before a cache does anything.

    The answer is the one a hit hands back: the origin's own header fields (fetched once)
    plus ``Age``, and the body as a stream that the client reads, as from any transport.
    """
    with httpx.Client() as client:
        origin = client.get(f"{base}/hit")
    fields = [*origin.headers.raw, (b"Age", b"0")]
    body = origin.content

    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, headers=fields, stream=httpx.ByteStream(body))

    return httpx.MockTransport(handler)


def httpx_contender(name: str, client: httpx.Client) -> SyncContender:
    return SyncContender(name, lambda url: client.get(url).content, client.close)


def async_httpx_maker(
    factory: Callable[[], httpx.AsyncClient], *, enter: bool = False
) -> AsyncMaker:
    async def make() -> tuple[AsyncGet, Callable[[], Awaitable[None]]]:
        client = factory()
        if enter:  # runs the transport's task group (background refreshes)
            await client.__aenter__()

        async def get(url: str) -> bytes:
            return (await client.get(url)).content

        async def close() -> None:
            if enter:
                await client.__aexit__(None, None, None)
            else:
                await client.aclose()

        return get, close

    return make


def main() -> None:
    server = Server(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    base = f"http://127.0.0.1:{server.server_address[1]}"
    folder = Path(tempfile.mkdtemp(prefix="bench-http-"))
    floor = floor_transport(base)

    # --- sync: every client with httpx's defaults; hishel in RFC mode as documented ---------
    session = requests_cache.CachedSession(backend="memory")
    session_sql = requests_cache.CachedSession(str(folder / "rc"), backend="sqlite")
    memory_db = sqlite3.connect(":memory:", check_same_thread=False)
    sync = [
        httpx_contender(
            "bricolage memory", httpx.Client(transport=CacheTransport(storage=MemoryStorage()))
        ),
        httpx_contender(
            "bricolage sqlite",
            httpx.Client(transport=CacheTransport(storage=SQLiteStorage(folder / "ours.db"))),
        ),
        httpx_contender(
            "hishel sqlite",
            httpx.Client(
                transport=hishel.httpx.CacheTransport(
                    httpx.HTTPTransport(),
                    hishel.SqliteStorage(database_path=folder / "hishel.db"),
                    rfc=True,
                )
            ),
        ),
        httpx_contender(
            "hishel sqlite :memory:",
            httpx.Client(
                transport=hishel.httpx.CacheTransport(
                    httpx.HTTPTransport(), hishel.SqliteStorage(connection=memory_db), rfc=True
                )
            ),
        ),
        SyncContender("requests-cache memory", lambda u: session.get(u).content, session.close),
        SyncContender(
            "requests-cache sqlite", lambda u: session_sql.get(u).content, session_sql.close
        ),
        httpx_contender("httpx (no cache)", httpx.Client()),
        httpx_contender(FLOOR, httpx.Client(transport=floor)),
    ]
    results = bench_sync(sync, base)

    # --- async (asyncio) --------------------------------------------------------------------
    makers: list[tuple[str, AsyncMaker]] = [
        (
            "bricolage memory",
            async_httpx_maker(
                lambda: httpx.AsyncClient(transport=AsyncCacheTransport(storage=MemoryStorage())),
                enter=True,
            ),
        ),
        (
            "bricolage sqlite",
            async_httpx_maker(
                lambda: httpx.AsyncClient(
                    transport=AsyncCacheTransport(storage=SQLiteStorage(folder / "ours-a.db"))
                ),
                enter=True,
            ),
        ),
        (
            "hishel sqlite",
            async_httpx_maker(
                lambda: httpx.AsyncClient(
                    transport=hishel.httpx.AsyncCacheTransport(
                        httpx.AsyncHTTPTransport(),
                        hishel.AsyncSqliteStorage(database_path=folder / "hishel-a.db"),
                        rfc=True,
                    )
                )
            ),
        ),
        ("httpx (no cache)", async_httpx_maker(httpx.AsyncClient)),
        (FLOOR, async_httpx_maker(lambda: httpx.AsyncClient(transport=floor))),
    ]
    results += bench_async(makers, base)

    print_table(results)
    server.shutdown()
    server.server_close()
    stream()


def print_table(results: list[Result]) -> None:
    print(
        f"\nbricolage-http benchmark: {HITS} hits x {REPEATS} repeats (median), "
        f"{MISSES} misses, body {len(BODY)} bytes, server on 127.0.0.1\n"
    )
    header = (
        f"{'flavour':7} {'contender':24} {'hit µs':>9} {'hits/s':>9} {'miss µs':>9} "
        f"{'peak KiB':>9}"
    )
    print(header)
    print("-" * len(header))
    for r in results:
        miss = "—" if r.name == FLOOR else f"{r.miss * 1e6:.1f}"  # the floor never misses
        print(
            f"{r.flavour:7} {r.name:24} {r.hit * 1e6:9.1f} {r.per_second:9.0f} "
            f"{miss:>9} {r.peak / 1024:9.1f}"
        )
    print("\nratios, hit latency ours / peer (below 1: ours is faster)\n")
    for flavour in ("sync", "async"):
        mine = [r for r in results if r.flavour == flavour and r.name.startswith("bricolage")]
        peers = [
            r
            for r in results
            if r.flavour == flavour and not r.name.startswith("bricolage") and r.name != FLOOR
        ]
        for ours in mine:
            cells = ", ".join(f"{ours.hit / p.hit:.2f} vs {p.name}" for p in peers)
            print(f"{flavour:6} {ours.name:18} {cells}")
        for ours in mine:
            cells = ", ".join(f"{ours.miss / p.miss:.2f} vs {p.name}" for p in peers)
            print(f"{flavour:6} {ours.name:18} miss: {cells}")
    print("\ncache cost of a hit above the httpx floor (hit µs - floor µs), and its ratio\n")
    for flavour in ("sync", "async"):
        floor = next(r for r in results if r.flavour == flavour and r.name == FLOOR)
        cached = [
            r
            for r in results
            if r.flavour == flavour and r.name != FLOOR and "no cache" not in r.name
        ]
        hishel = [r for r in cached if r.name.startswith("hishel")]
        best = min(hishel, key=lambda r: r.hit) if hishel else None
        for r in cached:
            extra = (r.hit - floor.hit) * 1e6
            line = f"{flavour:6} {r.name:24} {extra:8.1f} µs"
            if best is not None and r.name.startswith("bricolage"):
                line += f"   ({extra / ((best.hit - floor.hit) * 1e6):.2f} of {best.name}'s)"
            print(line)


def serve_in_child(ready: Any) -> None:
    """The same server in its own process, so the sender does not share our GIL."""
    server = Server(("127.0.0.1", 0), Handler)
    ready.put(server.server_address[1])
    server.serve_forever()


def stream() -> None:
    """A download over the body limit, plain httpx and through the cache, interleaved.

    The server runs in a child process here: a gigabyte sent from a thread of this process
    would compete for the interpreter lock with the client being measured.
    """
    context = multiprocessing.get_context("fork")
    ready = context.SimpleQueue()
    child = context.Process(target=serve_in_child, args=(ready,), daemon=True)
    child.start()
    try:
        stream_from(f"http://127.0.0.1:{ready.get()}")
    finally:
        child.terminate()
        child.join()


def stream_from(base: str) -> None:
    size = STREAM_MIB * 1024 * 1024
    url = f"{base}/stream?size={size}"

    def download(client: httpx.Client) -> tuple[float, float]:
        """Wall-clock seconds, and CPU seconds of this process (the client's own cost)."""
        wall, cpu = time.perf_counter(), time.process_time()
        total = 0
        with client.stream("GET", url) as response:
            for chunk in response.iter_raw():  # the chunks as they arrive: no re-chunking
                total += len(chunk)
        assert total == size
        return time.perf_counter() - wall, time.process_time() - cpu

    plain = httpx.Client()
    control = httpx.Client()  # a second plain client: how far apart two equal runs land
    cached = httpx.Client(transport=CacheTransport(policy=CachePolicy(max_body_size=16 << 20)))
    clients = [plain, control, cached]
    samples: dict[httpx.Client, list[tuple[float, float]]] = {client: [] for client in clients}
    for client in clients:
        download(client)  # warm the connections
    for turn in range(STREAM_REPEATS):
        for client in rotated(clients, turn):
            samples[client].append(download(client))
    tracemalloc.start()
    download(cached)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    for client in clients:
        client.close()

    print(
        f"\nstreamed download of {STREAM_MIB} MiB (not stored, over the 16 MiB body limit), "
        f"{STREAM_REPEATS} interleaved rounds, medians; the control is a second plain client"
    )
    print(f"{'':22} {'httpx':>8} {'control':>8} {'ours':>8} {'ours/httpx':>11} {'ctl/httpx':>10}")
    for index, label in ((0, "wall-clock s"), (1, "CPU s (client process)")):
        p, c, o = (statistics.median(x[index] for x in samples[client]) for client in clients)
        print(f"{label:22} {p:8.3f} {c:8.3f} {o:8.3f} {o / p:11.3f} {c / p:10.3f}")
    print(f"peak traced memory through the cache: {peak / 2**20:.1f} MiB")


if __name__ == "__main__":
    main()
