"""``scraper``: crawl a site politely into CSV and SQLite."""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

import anyio

from bricolage.http import SQLiteStorage
from scraper.crawler import Crawler, make_client
from scraper.pipelines import CsvPipeline, Pipeline, SqlitePipeline
from scraper.site import serve_site


async def crawl(args: argparse.Namespace, start: list[str]) -> None:
    storage = SQLiteStorage(args.cache)
    pipelines: list[Pipeline] = [CsvPipeline(args.csv), SqlitePipeline(args.db)]
    try:
        async with make_client(storage) as client:
            crawler = Crawler(
                client,
                pipelines,
                max_pages=args.max_pages,
                concurrency=args.concurrency,
                per_host=args.per_host,
                delay=args.delay,
                progress=sys.stderr,
            )
            stats = await crawler.run(start)
    finally:
        for pipeline in pipelines:
            pipeline.close()
        storage.close()
    print(
        f"fetched {stats.fetched} pages ({stats.from_cache} from the HTTP cache), "
        f"{stats.disallowed} disallowed by robots.txt, {stats.failed} failed; "
        f"saved to {args.csv} and {args.db}"
    )


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("start", nargs="*", help="start URLs")
    parser.add_argument("--demo", action="store_true", help="crawl a generated local site")
    parser.add_argument("--max-pages", type=int, default=100)
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument("--per-host", type=int, default=2)
    parser.add_argument(
        "--delay", type=float, default=0.0, help="seconds between requests to a host"
    )
    out = Path(tempfile.mkdtemp(prefix="scraper-"))
    parser.add_argument("--csv", default=str(out / "pages.csv"))
    parser.add_argument("--db", default=str(out / "pages.db"))
    parser.add_argument("--cache", default=str(out / "http-cache.db"))
    parser.add_argument("--backend", choices=["asyncio", "trio"], default="asyncio")
    args = parser.parse_args(argv)
    if args.demo:
        with serve_site(pages=40, latency=0.05) as site:
            for run in ("first crawl", "second crawl (the HTTP cache answers)"):
                print(run)
                anyio.run(crawl, args, [site.url + "/"], backend=args.backend)
            print(f"the site saw at most {site.max_in_flight} requests at once")
    elif args.start:
        anyio.run(crawl, args, args.start, backend=args.backend)
    else:
        parser.error("give start URLs or --demo")


if __name__ == "__main__":
    main()
