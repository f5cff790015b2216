"""``scraper``: crawl a site politely into CSV and SQLite.

Exit codes: 0 ok, 1 the crawl failed, 2 usage error, 130 interrupted (Ctrl-C).
"""

from __future__ import annotations

import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

import anyio
import click
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TaskID, TextColumn

from bricolage.http import SQLiteStorage
from scraper.crawler import Crawler, CrawlStats, make_client
from scraper.pipelines import CsvPipeline, Pipeline, SqlitePipeline
from scraper.site import serve_site

INTERRUPTED = 130


@dataclass(frozen=True, slots=True)
class Options:
    """How to crawl and where to save."""

    max_pages: int
    concurrency: int
    per_host: int
    delay: float
    csv: Path
    db: Path
    cache: Path
    backend: str


class _Bar:
    """A rich progress bar on standard error when it is a terminal; nothing otherwise."""

    def __init__(self, console: Console) -> None:
        self.progress = Progress(
            TextColumn("crawling"),
            BarColumn(),
            MofNCompleteColumn(),
            TextColumn("{task.fields[detail]}"),
            console=console,
            transient=True,
            disable=not console.is_terminal,
        )
        self.task: TaskID = self.progress.add_task("crawl", total=None, detail="")

    def __call__(self, done: int, total: int, stats: CrawlStats) -> None:
        detail = f"{stats.from_cache} from cache, {stats.failed} failed"
        self.progress.update(self.task, completed=done, total=total, detail=detail)


async def crawl(options: Options, start: list[str], console: Console) -> CrawlStats:
    """Crawl from ``start`` into the CSV file and the SQLite database."""
    storage = SQLiteStorage(options.cache)
    pipelines: list[Pipeline] = [CsvPipeline(options.csv), SqlitePipeline(options.db)]
    bar = _Bar(Console(stderr=True))
    try:
        async with make_client(storage) as client:
            crawler = Crawler(
                client,
                pipelines,
                max_pages=options.max_pages,
                concurrency=options.concurrency,
                per_host=options.per_host,
                delay=options.delay,
                on_progress=bar,
            )
            with bar.progress:
                stats = await crawler.run(start)
    finally:
        for pipeline in pipelines:
            pipeline.close()
        storage.close()
    console.print(
        f"fetched {stats.fetched} pages ({stats.from_cache} from the HTTP cache), "
        f"{stats.disallowed} disallowed by robots.txt, {stats.failed} failed; "
        f"saved to {options.csv} and {options.db}",
        markup=False,
    )
    return stats


@click.command(context_settings={"help_option_names": ["-h", "--help"]})
@click.argument("start", nargs=-1)
@click.option("--demo", is_flag=True, help="Crawl a generated site on 127.0.0.1, twice.")
@click.option("--max-pages", type=click.IntRange(min=1), default=100, show_default=True)
@click.option("--concurrency", type=click.IntRange(min=1), default=8, show_default=True)
@click.option("--per-host", type=click.IntRange(min=1), default=2, show_default=True)
@click.option(
    "--delay",
    type=click.FloatRange(min=0),
    default=0.0,
    show_default=True,
    help="Seconds between requests to one host.",
)
@click.option("--csv", type=click.Path(dir_okay=False, path_type=Path), default=None)
@click.option("--db", type=click.Path(dir_okay=False, path_type=Path), default=None)
@click.option("--cache", type=click.Path(dir_okay=False, path_type=Path), default=None)
@click.option(
    "--backend", type=click.Choice(["asyncio", "trio"]), default="asyncio", show_default=True
)
def cli(
    start: tuple[str, ...],
    demo: bool,
    max_pages: int,
    concurrency: int,
    per_host: int,
    delay: float,
    csv: Path | None,
    db: Path | None,
    cache: Path | None,
    backend: str,
) -> None:
    """Crawl from START URLs (staying on their hosts) into CSV and SQLite.

    Files default to pages.csv, pages.db and http-cache.db in a new temporary folder.
    """
    if not demo and not start:
        raise click.UsageError("give start URLs or --demo")
    out = Path(tempfile.mkdtemp(prefix="scraper-")) if None in (csv, db, cache) else None
    options = Options(
        max_pages=max_pages,
        concurrency=concurrency,
        per_host=per_host,
        delay=delay,
        csv=csv or Path(str(out)) / "pages.csv",
        db=db or Path(str(out)) / "pages.db",
        cache=cache or Path(str(out)) / "http-cache.db",
        backend=backend,
    )
    console = Console(highlight=False, soft_wrap=True)
    if demo:
        with serve_site(pages=40, latency=0.05) as site:
            for run in ("first crawl", "second crawl (the HTTP cache answers)"):
                console.print(run)
                anyio.run(crawl, options, [site.url + "/"], console, backend=backend)
            console.print(f"the site saw at most {site.max_in_flight} requests at once")
    else:
        anyio.run(crawl, options, list(start), console, backend=backend)


def main(argv: list[str] | None = None) -> int:
    """Run the command line and return its exit code (see the module's docstring)."""
    try:
        cli.main(args=argv, prog_name="scraper", standalone_mode=False)
    except click.ClickException as error:
        error.show()
        return error.exit_code
    except click.exceptions.Exit as done:
        return done.exit_code
    except (click.Abort, KeyboardInterrupt):
        return INTERRUPTED
    except OSError as error:
        Console(stderr=True, highlight=False).print(f"scraper: error: {error}", markup=False)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
