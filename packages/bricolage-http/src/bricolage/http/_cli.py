"""The ``bricolage-http`` command: look into and tidy a SQLite cache file.

Exit codes (the same across bricolage): 0 ok, 1 the work failed, 2 usage error, 3 not found,
4 refused as unsafe, 130 interrupted.
"""

from __future__ import annotations

import datetime
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, TypeVar

import click
from rich.console import Console
from rich.table import Table

from bricolage.http._sqlite import SQLiteStorage
from bricolage.http.errors import BricolageHTTPError
from bricolage.http.rfc9111 import cache_key, current_age

__all__ = ["cli"]

OK, FAILED, USAGE, NOT_FOUND, UNSAFE, INTERRUPTED = 0, 1, 2, 3, 4, 130

_F = TypeVar("_F", bound=Callable[..., Any])


def _console() -> Console:
    # rich turns colour and control characters off by itself for a non-terminal and
    # honours NO_COLOR; COLUMNS keeps tables readable in logs and pipes.
    return Console(highlight=False, width=None if sys.stdout.isatty() else 120)


class _Exit(Exception):
    def __init__(self, code: int, message: str) -> None:
        super().__init__(message)
        self.code = code


@contextmanager
def _open(path: Path) -> Iterator[SQLiteStorage]:
    if not path.is_file():
        raise _Exit(NOT_FOUND, f"no cache file at {str(path)!r}")
    storage = SQLiteStorage(path)
    try:
        yield storage
    finally:
        storage.close()


def _guarded(function: _F) -> _F:
    """Turn expected errors into a message and an exit code, never a traceback."""

    def run(*args: Any, **kwargs: Any) -> Any:
        console = Console(stderr=True, highlight=False)
        try:
            return function(*args, **kwargs)
        except _Exit as error:
            console.print(f"error: {error}", markup=False, soft_wrap=True)
            raise SystemExit(error.code) from None
        except (BricolageHTTPError, OSError) as error:
            console.print(f"error: {error}", markup=False, soft_wrap=True)
            raise SystemExit(FAILED) from None
        except KeyboardInterrupt:
            console.print("interrupted", markup=False)
            raise SystemExit(INTERRUPTED) from None

    run.__name__ = function.__name__
    run.__doc__ = function.__doc__
    return run  # type: ignore[return-value]


def _when(timestamp: float | None) -> str:
    if timestamp is None:
        return "never (revalidated)"
    return datetime.datetime.fromtimestamp(timestamp, datetime.UTC).strftime("%Y-%m-%d %H:%M:%S")


_PATH = click.argument("path", type=click.Path(path_type=Path, dir_okay=False))


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="bricolage-http")
def cli() -> None:
    """Look into and tidy a bricolage-http SQLite cache file."""


@cli.group()
def cache() -> None:
    """Commands over a SQLite cache file (SQLiteStorage)."""


@cache.command()
@_PATH
@_guarded
def stats(path: Path) -> None:
    """How many entries PATH holds, how large, how many expired."""
    with _open(path) as storage:
        entries = storage.entries()
        version = storage.schema_version
    now = datetime.datetime.now(datetime.UTC).timestamp()
    expired = sum(1 for _, _, expires in entries if expires is not None and expires <= now)
    table = Table(title=f"cache {path}", show_header=False)
    table.add_column("what")
    table.add_column("value", justify="right")
    table.add_row("entries", str(len(entries)))
    table.add_row("expired (purge removes them)", str(expired))
    table.add_row("revalidatable forever", str(sum(1 for e in entries if e[2] is None)))
    table.add_row("stored bytes", f"{sum(size for _, size, _ in entries):,}")
    table.add_row("file bytes", f"{path.stat().st_size:,}")
    table.add_row("schema version", str(version))
    _console().print(table)


@cache.command(name="list")
@_PATH
@click.option("--limit", type=click.IntRange(min=1), default=50, show_default=True)
@_guarded
def list_(path: Path, limit: int) -> None:
    """The stored keys of PATH, with size and expiry."""
    with _open(path) as storage:
        entries = storage.entries()
    table = Table(title=f"{len(entries)} entries in {path}")
    table.add_column("key")
    table.add_column("bytes", justify="right")
    table.add_column("expires (UTC)")
    for key, size, expires in entries[:limit]:
        table.add_row(key, f"{size:,}", _when(expires))
    _console().print(table)
    if len(entries) > limit:
        _console().print(f"... and {len(entries) - limit} more (--limit)", markup=False)


@cache.command()
@_PATH
@click.argument("url")
@_guarded
def inspect(path: Path, url: str) -> None:
    """What PATH holds for URL: each stored variant, its age, freshness and header fields."""
    with _open(path) as storage:
        variants = storage.get(cache_key("GET", url))
    if not variants:
        raise _Exit(NOT_FOUND, f"nothing stored for {url!r} in {str(path)!r}")
    console = _console()
    now = datetime.datetime.now(datetime.UTC).timestamp()
    for number, entry in enumerate(variants, start=1):
        age = current_age(entry, now)
        fresh = entry.freshness_lifetime - age
        state = f"fresh for {fresh:.0f}s" if fresh > 0 else f"stale by {-fresh:.0f}s"
        table = Table(
            title=f"variant {number}/{len(variants)}: {entry.status}, {len(entry.body):,} "
            f"bytes, age {age:.0f}s, {state}",
            title_justify="left",
        )
        table.add_column("field")
        table.add_column("value")
        for name, value in entry.headers:
            table.add_row(name, value)
        for name, value in entry.vary:
            table.add_row(f"(varies on) {name}", value)
        if entry.target is not None:
            table.add_row("(governed by)", entry.target)
        console.print(table)


@cache.command()
@_PATH
@click.option("--all", "everything", is_flag=True, help="Delete every entry, not only expired.")
@click.option("--yes", is_flag=True, help="Confirm --all.")
@_guarded
def purge(path: Path, everything: bool, yes: bool) -> None:
    """Delete the expired entries of PATH (or all of them with --all --yes)."""
    if everything and not yes:
        raise _Exit(UNSAFE, "refusing to delete every entry without --yes")
    with _open(path) as storage:
        if everything:
            count = len(storage)
            storage.clear()
        else:
            count = storage.purge_expired()
    _console().print(
        f"deleted {count} entr{'y' if count == 1 else 'ies'} from {path}", markup=False
    )
