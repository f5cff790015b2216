"""bricolage-http against hishel, requests-cache and plain httpx, on one local server.

Run with ``nox -s bench -- http`` (or ``python benchmarks/http/run.py``). Every contender
talks to the same HTTP server on 127.0.0.1 in the same process run. Printed per contender:
the median latency of a cached hit and of a miss, hits per second, the peak memory
allocated during the hit runs (tracemalloc, measured in a separate pass), and the ratio of
our hit latency to the peer's (below 1 means we are faster). A final section streams a
large download through the cache (not stored: over the body limit) and through plain httpx.

Environment: ``BENCH_HITS`` (hits per repeat, default 2000), ``BENCH_REPEATS`` (default 5),
``BENCH_STREAM_MIB`` (size of the streamed download, default 256; 1024 for the 1 GiB check).
"""

from __future__ import annotations

import asyncio
import os
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
REPEATS = int(os.environ.get("BENCH_REPEATS", "5"))
MISSES = 100
STREAM_MIB = int(os.environ.get("BENCH_STREAM_MIB", "256"))
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


def median_per_call(run: Callable[[], None], count: int) -> float:
    samples = []
    for _ in range(REPEATS):
        start = time.perf_counter()
        run()
        samples.append((time.perf_counter() - start) / count)
    return statistics.median(samples)


def peak_of(run: Callable[[], None]) -> int:
    tracemalloc.start()
    run()
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return peak


def bench_sync(
    name: str, get: Callable[[str], bytes], base: str, close: Callable[[], None]
) -> Result:
    hit_url = f"{base}/hit"
    assert get(hit_url) == BODY  # warm: the first request is a miss that stores
    counter = iter(range(10**9))

    def hits() -> None:
        for _ in range(HITS):
            get(hit_url)

    def misses() -> None:
        for _ in range(MISSES):
            get(f"{base}/miss/{next(counter)}")

    hit = median_per_call(hits, HITS)
    miss = median_per_call(misses, MISSES)
    peak = peak_of(hits)
    close()
    return Result(name, "sync", hit, miss, peak)


def bench_async(
    name: str,
    make: Callable[[], Awaitable[tuple[Callable[[str], Awaitable[bytes]], Any]]],
    base: str,
) -> Result:
    async def main() -> Result:
        get, closer = await make()
        hit_url = f"{base}/hit"
        assert await get(hit_url) == BODY
        counter = iter(range(10**9))

        async def timed(kind: str) -> float:
            samples = []
            count = HITS if kind == "hit" else MISSES
            for _ in range(REPEATS):
                start = time.perf_counter()
                for _ in range(count):
                    url = hit_url if kind == "hit" else f"{base}/amiss/{next(counter)}"
                    await get(url)
                samples.append((time.perf_counter() - start) / count)
            return statistics.median(samples)

        hit = await timed("hit")
        miss = await timed("miss")
        tracemalloc.start()
        for _ in range(HITS):
            await get(hit_url)
        _, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
        await closer()
        return Result(name, "async", hit, miss, peak)

    return asyncio.run(main())


FLOOR = "httpx floor (no I/O)"
FLOOR_HEADERS = {
    "Cache-Control": "max-age=3600",
    "ETag": '"v1"',
    "Content-Type": "application/json",
}


def floor_handler(request: httpx.Request) -> httpx.Response:
    """Answer from memory: what any httpx client costs before a cache does anything."""
    return httpx.Response(200, headers=FLOOR_HEADERS, content=BODY)


def httpx_getter(client: httpx.Client) -> Callable[[str], bytes]:
    return lambda url: client.get(url).content


def main() -> None:
    server = Server(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    base = f"http://127.0.0.1:{server.server_address[1]}"
    folder = Path(tempfile.mkdtemp(prefix="bench-http-"))
    results: list[Result] = []

    # --- sync ---------------------------------------------------------------------------
    client = httpx.Client(transport=CacheTransport(storage=MemoryStorage()))
    results.append(bench_sync("bricolage memory", httpx_getter(client), base, client.close))

    storage = SQLiteStorage(folder / "ours.db")
    client = httpx.Client(transport=CacheTransport(storage=storage))
    results.append(bench_sync("bricolage sqlite", httpx_getter(client), base, client.close))

    hishel_storage = hishel.SqliteStorage(database_path=folder / "hishel.db")
    client = httpx.Client(
        transport=hishel.httpx.CacheTransport(httpx.HTTPTransport(), hishel_storage, rfc=True)
    )
    results.append(bench_sync("hishel sqlite", httpx_getter(client), base, client.close))

    session = requests_cache.CachedSession(backend="memory")
    results.append(
        bench_sync("requests-cache memory", lambda u: session.get(u).content, base, session.close)
    )
    session_sql = requests_cache.CachedSession(str(folder / "rc"), backend="sqlite")
    results.append(
        bench_sync(
            "requests-cache sqlite", lambda u: session_sql.get(u).content, base, session_sql.close
        )
    )

    client = httpx.Client()
    results.append(bench_sync("httpx (no cache)", httpx_getter(client), base, client.close))

    # The floor: httpx's own client overhead, with a transport that answers from memory.
    client = httpx.Client(transport=httpx.MockTransport(floor_handler))
    results.append(bench_sync(FLOOR, httpx_getter(client), base, client.close))

    # --- async (asyncio) ----------------------------------------------------------------
    def ours_async(storage_factory: Callable[[], Any]) -> Callable[[], Awaitable[Any]]:
        async def make() -> tuple[Callable[[str], Awaitable[bytes]], Any]:
            client = httpx.AsyncClient(transport=AsyncCacheTransport(storage=storage_factory()))
            await client.__aenter__()

            async def get(url: str) -> bytes:
                return (await client.get(url)).content

            async def close() -> None:
                await client.__aexit__(None, None, None)

            return get, close

        return make

    results.append(bench_async("bricolage memory", ours_async(MemoryStorage), base))
    results.append(
        bench_async(
            "bricolage sqlite", ours_async(lambda: SQLiteStorage(folder / "ours-a.db")), base
        )
    )

    async def make_hishel() -> tuple[Callable[[str], Awaitable[bytes]], Any]:
        transport = hishel.httpx.AsyncCacheTransport(
            httpx.AsyncHTTPTransport(),
            hishel.AsyncSqliteStorage(database_path=folder / "hishel-a.db"),
            rfc=True,
        )
        client = httpx.AsyncClient(transport=transport)

        async def get(url: str) -> bytes:
            return (await client.get(url)).content

        return get, client.aclose

    results.append(bench_async("hishel sqlite", make_hishel, base))

    async def make_plain() -> tuple[Callable[[str], Awaitable[bytes]], Any]:
        client = httpx.AsyncClient()

        async def get(url: str) -> bytes:
            return (await client.get(url)).content

        return get, client.aclose

    results.append(bench_async("httpx (no cache)", make_plain, base))

    async def make_floor() -> tuple[Callable[[str], Awaitable[bytes]], Any]:
        client = httpx.AsyncClient(transport=httpx.MockTransport(floor_handler))

        async def get(url: str) -> bytes:
            return (await client.get(url)).content

        return get, client.aclose

    results.append(bench_async(FLOOR, make_floor, base))

    print_table(results)
    stream(base)
    server.shutdown()
    server.server_close()


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
        print(
            f"{r.flavour:7} {r.name:24} {r.hit * 1e6:9.1f} {r.per_second:9.0f} "
            f"{r.miss * 1e6:9.1f} {r.peak / 1024:9.1f}"
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
        for r in cached:
            extra = (r.hit - floor.hit) * 1e6
            line = f"{flavour:6} {r.name:24} {extra:8.1f} µs"
            if hishel and r.name.startswith("bricolage"):
                line += f"   ({extra / ((hishel[0].hit - floor.hit) * 1e6):.2f} of hishel's)"
            print(line)


def stream(base: str) -> None:
    size = STREAM_MIB * 1024 * 1024
    url = f"{base}/stream?size={size}"

    def download(client: httpx.Client) -> float:
        start = time.perf_counter()
        total = 0
        with client.stream("GET", url) as response:
            for chunk in response.iter_raw(1 << 20):
                total += len(chunk)
        assert total == size
        return time.perf_counter() - start

    plain = httpx.Client()
    cached = httpx.Client(transport=CacheTransport(policy=CachePolicy(max_body_size=16 << 20)))
    plain_times = [download(plain) for _ in range(3)]
    ours_times = [download(cached) for _ in range(3)]
    tracemalloc.start()
    download(cached)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    plain.close()
    cached.close()
    p, o = statistics.median(plain_times), statistics.median(ours_times)
    print(f"\nstreamed download of {STREAM_MIB} MiB (not stored, over the 16 MiB body limit):")
    print(
        f"  httpx {p:.2f}s, bricolage cache {o:.2f}s, ratio {o / p:.3f}; "
        f"peak traced memory through the cache {peak / 2**20:.1f} MiB"
    )


if __name__ == "__main__":
    main()
