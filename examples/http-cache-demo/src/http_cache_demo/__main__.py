"""``http-cache-demo``: watch a cache answer a slow API.

Exit codes: 0 ok, 1 the demo failed (e.g. Redis unreachable), 2 usage error, 130 interrupted.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

import click
from rich.console import Console
from rich.table import Table

from http_cache_demo.api import serve
from http_cache_demo.client import WeatherClient, make_storage

INTERRUPTED = 130
STEPS: list[tuple[str, float]] = [
    ("first call", 0),
    ("again, while fresh", 0),
    ("again", 0),
    ("2.5 s later: stale, served at once and refreshed", 2.5),
    ("right after the refresh", 0),
    ("new data published; 2.5 s later", 2.5),
    ("after that refresh", 0),
]


@click.command(context_settings={"help_option_names": ["-h", "--help"]})
@click.option(
    "--storage",
    type=click.Choice(["memory", "sqlite", "redis"]),
    default="memory",
    show_default=True,
)
@click.option(
    "--path",
    type=click.Path(dir_okay=False, path_type=Path),
    default=Path("weather-cache.db"),
    show_default=True,
    help="SQLite file.",
)
@click.option("--redis-url", default="redis://127.0.0.1:6379/0", show_default=True)
@click.option(
    "--latency", type=click.FloatRange(min=0), default=0.3, show_default=True, help="Seconds."
)
def cli(storage: str, path: Path, redis_url: str, latency: float) -> None:
    """Call a slow local weather API through a caching, retrying httpx client."""
    console = Console(highlight=False, soft_wrap=True)
    cache = make_storage(storage, path=path, redis_url=redis_url)
    try:
        with serve(latency=latency) as api, WeatherClient(api.url, cache) as client:
            console.print(
                f"weather API on {api.url} answering in {latency:.1f}s; storage: {storage}",
                markup=False,
            )
            table = Table("step", "°C", "cache", "ms", title="calls, one by one")
            table.columns[1].justify = "right"
            table.columns[3].justify = "right"
            for label, pause in STEPS:
                if label.startswith("new data"):
                    api.bump()
                time.sleep(pause)
                reading = client.temperature("paris")
                client.wait_for_refreshes()
                table.add_row(
                    label,
                    str(reading.temperature),
                    reading.action,
                    f"{reading.seconds * 1000:.1f}",
                )
            console.print(table)
            snapshot = client.metrics.snapshot()
            console.print(f"\nmetrics: {snapshot}", markup=False)
            console.print(
                f"hit ratio {snapshot.hit_ratio:.0%}; "
                f"the API was called {api.calls['paris']} times"
            )
    finally:
        cache.close()


def main(argv: list[str] | None = None) -> int:
    """Run the command line and return its exit code (see the module's docstring)."""
    try:
        cli.main(args=argv, prog_name="http-cache-demo", standalone_mode=False)
    except click.ClickException as error:
        error.show()
        return error.exit_code
    except click.exceptions.Exit as done:
        return done.exit_code
    except (click.Abort, KeyboardInterrupt):
        return INTERRUPTED
    except (OSError, ConnectionError) as error:
        Console(stderr=True, highlight=False).print(
            f"http-cache-demo: error: {error}", markup=False
        )
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
