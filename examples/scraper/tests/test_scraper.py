"""The scraper against a generated site on 127.0.0.1."""

from __future__ import annotations

import csv
import itertools
import sqlite3
from pathlib import Path

import httpx
import pytest
from scraper import Crawler, CrawlStats, CsvPipeline, Page, SqlitePipeline, make_client
from scraper.__main__ import main
from scraper.site import serve_site

from bricolage.http import MemoryStorage, SQLiteStorage


@pytest.mark.anyio
async def test_crawl_into_csv_and_sqlite(tmp_path: Path) -> None:
    progress: list[tuple[int, int, int, int]] = []

    def on_progress(done: int, total: int, stats: CrawlStats) -> None:
        progress.append((done, total, stats.from_cache, stats.failed))

    with serve_site(pages=12, latency=0.03) as site:
        csv_out, db_out = CsvPipeline(tmp_path / "p.csv"), SqlitePipeline(tmp_path / "p.db")
        async with make_client(MemoryStorage()) as client:
            crawler = Crawler(
                client, [csv_out, db_out], concurrency=8, per_host=2, on_progress=on_progress
            )
            stats = await crawler.run([site.url + "/"])
        csv_out.close()
        db_out.close()
        # the root, every generated page and the flaky page; nothing under /private/
        assert stats.fetched == 1 + 12 + 1
        assert stats.disallowed == 1
        assert site.hits["/private/secret"] == 0
        assert site.hits["/robots.txt"] == 1
        assert site.hits["/flaky"] == 2  # a 503, retried
        assert site.max_in_flight <= 2
        assert not any("elsewhere" in url for url in site.hits)
    with (tmp_path / "p.csv").open() as file:
        rows = list(csv.DictReader(file))
    assert len(rows) == 14
    assert {row["title"] for row in rows} >= {"Page 0", "Page 5", "Flaky"}
    db = sqlite3.connect(tmp_path / "p.db")
    assert db.execute("SELECT count(*) FROM pages WHERE status = 200").fetchone() == (14,)
    db.close()
    assert progress[-1] == (15, 15, 0, 0)
    assert [done for done, *_ in progress] == sorted(done for done, *_ in progress)


@pytest.mark.anyio
async def test_second_crawl_comes_from_the_http_cache(tmp_path: Path) -> None:
    with serve_site(pages=6, latency=0.0) as site:
        for expected_from_cache in (0, 8):
            storage = SQLiteStorage(tmp_path / "cache.db")
            async with make_client(storage) as client:
                stats = await Crawler(client, per_host=4).run([site.url + "/"])
            storage.close()
            assert stats.from_cache == expected_from_cache
        assert site.hits["/page/1"] == 1


@pytest.mark.anyio
async def test_polite_delay_spaces_requests() -> None:
    times: list[float] = []

    def handler(request: httpx.Request) -> httpx.Response:
        import time

        times.append(time.monotonic())
        if request.url.path == "/":
            body = "".join(f'<a href="/{i}">x</a>' for i in range(4))
            return httpx.Response(200, headers={"Content-Type": "text/html"}, text=body)
        return httpx.Response(200, headers={"Content-Type": "text/html"}, text="leaf")

    async with make_client(transport=httpx.MockTransport(handler)) as client:
        stats = await Crawler(client, per_host=4, delay=0.05).run(["http://site.test/"])
    assert stats.fetched == 5
    page_times = times[1:]  # after robots.txt
    gaps = [b - a for a, b in itertools.pairwise(page_times)]
    assert min(gaps) >= 0.04


@pytest.mark.anyio
async def test_failures_are_counted_not_fatal() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        if request.url.path == "/":
            return httpx.Response(
                200,
                headers={"Content-Type": "text/html"},
                text='<a href="/down">x</a><a href="/gone">y</a>',
            )
        if request.url.path == "/down":
            raise httpx.ConnectError("refused")
        return httpx.Response(404)

    async with make_client(transport=httpx.MockTransport(handler)) as client:
        stats = await Crawler(client).run(["http://site.test/"])
    assert stats.fetched == 2
    assert stats.failed == 2
    assert stats.errors == ["http://site.test/down: ConnectError"]


@pytest.mark.anyio
async def test_nothing_to_crawl() -> None:
    async with make_client() as client:
        assert (await Crawler(client).run([])).fetched == 0


def test_bad_settings_are_refused() -> None:
    with pytest.raises(ValueError, match="per_host"):
        Crawler(httpx.AsyncClient(), per_host=0)


def test_pipelines_upsert(tmp_path: Path) -> None:
    pipeline = SqlitePipeline(tmp_path / "x.db")
    page = Page("http://a/", 200, "A", 1, 10, False)
    pipeline.process(page)
    pipeline.process(page)
    pipeline.close()
    db = sqlite3.connect(tmp_path / "x.db")
    assert db.execute("SELECT count(*) FROM pages").fetchone() == (1,)
    db.close()


def test_demo_runs(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    status = main(
        [
            "--demo",
            "--csv",
            str(tmp_path / "a.csv"),
            "--db",
            str(tmp_path / "a.db"),
            "--cache",
            str(tmp_path / "c.db"),
        ]
    )
    assert status == 0
    out, err = capsys.readouterr()
    assert "\x1b" not in out + err  # no progress bar or colour when not a terminal
    assert err == ""
    assert "fetched 42 pages (0 from the HTTP cache)" in out
    assert "fetched 42 pages (42 from the HTTP cache)" in out


def test_usage_errors_exit_2(capsys: pytest.CaptureFixture[str]) -> None:
    assert main([]) == 2
    assert "give start URLs or --demo" in capsys.readouterr().err
    assert main(["--per-host", "0", "http://127.0.0.1:9/"]) == 2
    assert "--per-host" in capsys.readouterr().err
