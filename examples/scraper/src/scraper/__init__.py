"""An async web scraper: per-host limits, robots.txt, retries, caching and pipelines."""

from __future__ import annotations

from scraper.crawler import Crawler, CrawlStats, make_client
from scraper.pipelines import CsvPipeline, Page, Pipeline, SqlitePipeline

__all__ = [
    "CrawlStats",
    "Crawler",
    "CsvPipeline",
    "Page",
    "Pipeline",
    "SqlitePipeline",
    "make_client",
]
