"""Where crawled pages go: one Protocol, a CSV file and a SQLite table."""

from __future__ import annotations

import csv
import sqlite3
from dataclasses import asdict, dataclass, fields
from pathlib import Path
from typing import Protocol


@dataclass(frozen=True)
class Page:
    """One crawled page."""

    url: str
    status: int
    title: str
    links: int
    size: int
    from_cache: bool


class Pipeline(Protocol):
    """Receives every crawled page, in crawl order."""

    def process(self, page: Page) -> None: ...

    def close(self) -> None: ...


_COLUMNS = [f.name for f in fields(Page)]


class CsvPipeline:
    """Append pages to a CSV file with a header row."""

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        self._file = self.path.open("w", newline="", encoding="utf-8")
        self._writer = csv.DictWriter(self._file, fieldnames=_COLUMNS)
        self._writer.writeheader()

    def process(self, page: Page) -> None:
        self._writer.writerow(asdict(page))

    def close(self) -> None:
        self._file.close()


class SqlitePipeline:
    """Upsert pages into a ``pages`` table keyed by URL."""

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        self._db = sqlite3.connect(self.path)
        self._db.execute(
            "CREATE TABLE IF NOT EXISTS pages (url TEXT PRIMARY KEY, status INTEGER, "
            "title TEXT, links INTEGER, size INTEGER, from_cache INTEGER)"
        )

    def process(self, page: Page) -> None:
        with self._db:
            self._db.execute(
                "INSERT OR REPLACE INTO pages VALUES (?, ?, ?, ?, ?, ?)",
                (page.url, page.status, page.title, page.links, page.size, int(page.from_cache)),
            )

    def close(self) -> None:
        self._db.close()
