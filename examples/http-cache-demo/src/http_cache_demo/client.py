"""The API client: plain httpx underneath, caching and retries as transports."""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

from bricolage.http import (
    CacheMetrics,
    CacheStorage,
    CacheTransport,
    MemoryStorage,
    RedisStorage,
    RetryPolicy,
    RetryTransport,
    SQLiteStorage,
    cache_outcome,
)


def make_storage(
    kind: str,
    *,
    path: str | Path = "weather-cache.db",
    redis_url: str = "redis://127.0.0.1:6379/0",
) -> CacheStorage:
    """The storage named ``kind``: ``memory``, ``sqlite`` or ``redis``."""
    if kind == "memory":
        return MemoryStorage(max_bytes=8 * 1024 * 1024)
    if kind == "sqlite":
        return SQLiteStorage(path)
    if kind == "redis":
        return RedisStorage(redis_url, prefix="http-cache-demo:")
    raise ValueError(f"unknown storage {kind!r}: use memory, sqlite or redis")


@dataclass(frozen=True)
class Reading:
    """One call: what came back, what the cache did, and how long it took."""

    city: str
    temperature: int
    action: str
    seconds: float


class WeatherClient:
    """A typed client of the weather API whose caching is invisible to its callers."""

    def __init__(self, base_url: str, storage: CacheStorage) -> None:
        self.metrics = CacheMetrics()
        transport = CacheTransport(
            RetryTransport(policy=RetryPolicy(max_attempts=3, initial=0.05)),
            storage=storage,
            metrics=self.metrics,
        )
        self._transport = transport
        self._client = httpx.Client(base_url=base_url, transport=transport, timeout=10)

    def temperature(self, city: str) -> Reading:
        """The current temperature of ``city``."""
        start = time.perf_counter()
        response = self._client.get(f"/weather/{city}")
        response.raise_for_status()
        data: dict[str, Any] = response.json()
        outcome = cache_outcome(response)
        return Reading(
            city=city,
            temperature=int(data["temperature"]),
            action=outcome.action if outcome else "none",
            seconds=time.perf_counter() - start,
        )

    def wait_for_refreshes(self) -> None:
        """Wait for background revalidations to finish (for demos and tests)."""
        self._transport.wait_for_refreshes()

    def close(self) -> None:
        self._client.close()

    def __enter__(self) -> WeatherClient:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()
