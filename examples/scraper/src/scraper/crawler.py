"""The crawler: a pool of anyio workers, per-host limits and delays, robots.txt."""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from html.parser import HTMLParser
from urllib.robotparser import RobotFileParser

import anyio
import httpx
from anyio.streams.memory import MemoryObjectReceiveStream, MemoryObjectSendStream

from bricolage.http import (
    AsyncCacheTransport,
    AsyncRetryTransport,
    CacheStorage,
    MemoryStorage,
    RetryPolicy,
    cache_outcome,
)
from scraper.pipelines import Page, Pipeline

USER_AGENT = "bricolage-scraper/0.1"


def make_client(
    storage: CacheStorage | None = None,
    *,
    retry: RetryPolicy | None = None,
    timeout: float = 10.0,
    transport: httpx.AsyncBaseTransport | None = None,
) -> httpx.AsyncClient:
    """An async client that retries what is safe and caches what the site allows."""
    retrying = AsyncRetryTransport(
        transport, policy=retry or RetryPolicy(max_attempts=4, initial=0.05, maximum=1.0)
    )
    cache = AsyncCacheTransport(retrying, storage=MemoryStorage() if storage is None else storage)
    return httpx.AsyncClient(
        transport=cache,
        timeout=timeout,
        headers={"User-Agent": USER_AGENT},
        follow_redirects=True,
    )


class _LinkParser(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.links: list[str] = []
        self.title = ""
        self._in_title = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "a":
            href = dict(attrs).get("href")
            if href:
                self.links.append(href)
        elif tag == "title":
            self._in_title = True

    def handle_endtag(self, tag: str) -> None:
        if tag == "title":
            self._in_title = False

    def handle_data(self, data: str) -> None:
        if self._in_title:
            self.title += data


@dataclass
class CrawlStats:
    """What a crawl did."""

    fetched: int = 0
    from_cache: int = 0
    failed: int = 0
    disallowed: int = 0
    errors: list[str] = field(default_factory=list)


@dataclass
class _Host:
    limiter: anyio.CapacityLimiter
    lock: anyio.Lock = field(default_factory=anyio.Lock)
    last: float = -math.inf
    robots: RobotFileParser | None = None


class Crawler:
    """Crawl from ``start`` URLs, staying on their hosts, into the ``pipelines``.

    Args:
        client: an :class:`httpx.AsyncClient`, usually from :func:`make_client`.
        pipelines: where each crawled page goes.
        max_pages: stop queueing new pages after this many.
        concurrency: workers in flight at once, over all hosts.
        per_host: requests in flight at once to one host.
        delay: seconds between the starts of two requests to one host.
        on_progress: called as ``on_progress(done, total, stats)`` after each page (the
            command line draws its progress bar with it).
    """

    def __init__(
        self,
        client: httpx.AsyncClient,
        pipelines: Sequence[Pipeline] = (),
        *,
        max_pages: int = 100,
        concurrency: int = 8,
        per_host: int = 2,
        delay: float = 0.0,
        on_progress: Callable[[int, int, CrawlStats], None] | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        if per_host < 1 or concurrency < 1 or max_pages < 1:
            raise ValueError(
                f"per_host, concurrency and max_pages must be >= 1, got "
                f"{per_host}, {concurrency}, {max_pages}"
            )
        self.client = client
        self.pipelines = list(pipelines)
        self.max_pages = max_pages
        self.concurrency = concurrency
        self.per_host = per_host
        self.delay = delay
        self.on_progress = on_progress
        self._clock = clock
        self._hosts: dict[str, _Host] = {}
        self._seen: set[str] = set()
        self._allowed_hosts: set[str] = set()
        self._pending = 0
        self.stats = CrawlStats()

    async def run(self, start: Sequence[str]) -> CrawlStats:
        """Crawl until no page is left (or ``max_pages`` were queued)."""
        send, receive = anyio.create_memory_object_stream[str](math.inf)
        self._allowed_hosts = {httpx.URL(url).host for url in start}
        for url in start:
            self._enqueue(send, url)
        if self._pending == 0:
            await send.aclose()
        async with anyio.create_task_group() as group:
            for _ in range(self.concurrency):
                group.start_soon(self._worker, receive.clone(), send)
            receive.close()
        self._report()
        return self.stats

    def _enqueue(self, send: MemoryObjectSendStream[str], url: str) -> None:
        if url in self._seen or len(self._seen) >= self.max_pages:
            return
        self._seen.add(url)
        self._pending += 1
        send.send_nowait(url)

    async def _worker(
        self, receive: MemoryObjectReceiveStream[str], send: MemoryObjectSendStream[str]
    ) -> None:
        async with receive:
            async for url in receive:
                try:
                    await self._crawl(url, send)
                finally:
                    self._pending -= 1
                    self._report()
                    if self._pending == 0:
                        await send.aclose()

    def _host(self, url: httpx.URL) -> _Host:
        key = f"{url.scheme}://{url.netloc.decode()}"
        host = self._hosts.get(key)
        if host is None:
            host = self._hosts[key] = _Host(anyio.CapacityLimiter(self.per_host))
        return host

    async def _allowed(self, url: httpx.URL, host: _Host) -> bool:
        async with host.lock:
            if host.robots is None:
                robots = RobotFileParser()
                try:
                    response = await self.client.get(url.copy_with(path="/robots.txt", query=None))
                except httpx.HTTPError:
                    robots.parse([])
                else:
                    robots.parse(response.text.splitlines() if response.status_code == 200 else [])
                host.robots = robots
        return host.robots.can_fetch(USER_AGENT, str(url))

    async def _polite(self, host: _Host) -> None:
        async with host.lock:
            wait = host.last + self.delay - self._clock()
            if wait > 0:
                await anyio.sleep(wait)
            host.last = self._clock()

    async def _crawl(self, text: str, send: MemoryObjectSendStream[str]) -> None:
        url = httpx.URL(text)
        host = self._host(url)
        if not await self._allowed(url, host):
            self.stats.disallowed += 1
            return
        async with host.limiter:
            await self._polite(host)
            try:
                response = await self.client.get(url)
            except httpx.HTTPError as error:
                self.stats.failed += 1
                self.stats.errors.append(f"{url}: {type(error).__name__}")
                return
        outcome = cache_outcome(response)
        from_cache = outcome is not None and outcome.from_cache
        parser = _LinkParser()
        if "html" in response.headers.get("content-type", ""):
            parser.feed(response.text)
        page = Page(
            url=str(url),
            status=response.status_code,
            title=parser.title.strip(),
            links=len(parser.links),
            size=len(response.content),
            from_cache=from_cache,
        )
        self.stats.fetched += 1
        self.stats.from_cache += from_cache
        if response.status_code >= 400:
            self.stats.failed += 1
        for pipeline in self.pipelines:
            pipeline.process(page)
        for link in parser.links:
            target = url.join(link).copy_with(fragment=None)
            if target.scheme in ("http", "https") and target.host in self._allowed_hosts:
                self._enqueue(send, str(target))

    def _report(self) -> None:
        if self.on_progress is not None:
            self.on_progress(
                self.stats.fetched + self.stats.disallowed, len(self._seen), self.stats
            )
