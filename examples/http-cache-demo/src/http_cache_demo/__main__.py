"""``http-cache-demo``: watch a cache answer a slow API."""

from __future__ import annotations

import argparse
import time

from http_cache_demo.api import serve
from http_cache_demo.client import WeatherClient, make_storage


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--storage", choices=["memory", "sqlite", "redis"], default="memory")
    parser.add_argument("--path", default="weather-cache.db", help="SQLite file")
    parser.add_argument("--redis-url", default="redis://127.0.0.1:6379/0")
    parser.add_argument("--latency", type=float, default=0.3, help="API latency, seconds")
    args = parser.parse_args(argv)
    storage = make_storage(args.storage, path=args.path, redis_url=args.redis_url)
    with serve(latency=args.latency) as api, WeatherClient(api.url, storage) as client:
        print(
            f"weather API on {api.url} answering in {args.latency:.1f}s; storage: {args.storage}"
        )
        steps: list[tuple[str, float]] = [
            ("first call", 0),
            ("again, while fresh", 0),
            ("again", 0),
            ("2.5 s later: stale, served at once and refreshed", 2.5),
            ("right after the refresh", 0),
            ("new data published; 2.5 s later", 2.5),
            ("after that refresh", 0),
        ]
        for label, pause in steps:
            if label.startswith("new data"):
                api.bump()
            time.sleep(pause)
            reading = client.temperature("paris")
            client.wait_for_refreshes()
            print(
                f"  {label:50} {reading.temperature:3d}°C  {reading.action:24} "
                f"{reading.seconds * 1000:7.1f} ms"
            )
        snapshot = client.metrics.snapshot()
        print(f"\nmetrics: {snapshot}")
        print(f"hit ratio {snapshot.hit_ratio:.0%}; the API was called {api.calls['paris']} times")
    storage.close()


if __name__ == "__main__":
    main()
