"""``pdf-search``: index, search, serve, demo.

Exit codes: 0 ok, 1 the work failed, 2 usage error (a bad option or query),
3 not found (no such folder or index), 130 interrupted.
"""

from __future__ import annotations

import contextlib
import logging
import os
import tempfile
import threading
from collections.abc import Iterator, Sequence
from pathlib import Path

import click
from rich.console import Console
from rich.markup import escape
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

from bricolage.search import PdfResult, QueryError, SearchError
from pdf_search._server import serving
from pdf_search.app import create_app
from pdf_search.core import Library, pdf_files

INTERRUPTED = 130
SAMPLES = (
    Path(
        os.environ.get(
            "BRICOLAGE_DATA", Path(__file__).resolve().parents[4].parent / "shared" / "data"
        )
    )
    / "pdfs"
)
_STATUS_STYLE = {"ok": "green", "partial": "yellow"}


class NotFoundError(click.ClickException):
    """A folder or index that does not exist: exit code 3."""

    exit_code = 3


def _out() -> Console:
    return Console(highlight=False, soft_wrap=True)


def _err() -> Console:
    return Console(stderr=True, highlight=False, soft_wrap=True)


def _pairs(items: Sequence[str], option: str, value: str) -> dict[str, str]:
    out = {}
    for item in items:
        name, sep, secret = item.partition("=")
        if not sep or not name:
            raise click.BadParameter(f"must look like {value}, got {item!r}", param_hint=option)
        out[name] = secret
    return out


@contextlib.contextmanager
def _progress(total: int) -> Iterator[Progress]:
    """A bar on standard error when it is a terminal; nothing at all otherwise."""
    err = _err()
    bar = Progress(
        TextColumn("indexing"),
        BarColumn(),
        MofNCompleteColumn(),
        console=err,
        transient=True,
        disable=not err.is_terminal,
    )
    bar.add_task("indexing", total=total)
    with bar:
        yield bar


def index_folder(library: Library, folder: Path, passwords: dict[str, str]) -> list[PdfResult]:
    """Index ``folder`` into ``library``, reporting each file, with a progress bar."""
    out = _out()
    try:
        total = len(pdf_files(folder))
    except NotADirectoryError as error:
        raise NotFoundError(str(error)) from None
    with _progress(total) as bar:

        def report(result: PdfResult) -> None:
            style = _STATUS_STYLE.get(result.status, "red")
            out.print(f"[{style}]{result.status:>14}[/] ", end="")
            out.print(result.message, markup=False)
            bar.advance(bar.task_ids[0])

        return library.add_folder(folder, passwords=passwords, on_result=report)


def print_hits(library: Library, query: str, **options: float | bool | int) -> None:
    """Search and print the ranked pages with their snippets."""
    out = _out()
    try:
        total, hits = library.search(query, **options)  # type: ignore[arg-type]
    except (QueryError, SearchError) as error:
        raise click.UsageError(str(error)) from None
    out.print(f"{escape(repr(query))}: [bold]{total}[/] matching page(s)")
    for hit in hits:
        out.print(
            f"  {hit.rank}. {hit.title}  [{hit.file}, page {hit.page}]", markup=False, end=""
        )
        out.print(f"  [dim]{hit.score:.3f}[/]")
        out.print(f"     {hit.snippet_text}", markup=False)


def serve_until_interrupted(library: Library, host: str, port: int) -> None:
    """Serve the site, print its one URL, and stop on Ctrl-C (exit code 130)."""
    with serving(create_app(library), host, port) as url:
        _err().print("serving; Ctrl-C stops")
        _out().print(url, markup=False)
        try:
            threading.Event().wait()
        except KeyboardInterrupt:
            _err().print("stopped")
            raise SystemExit(INTERRUPTED) from None


def _library(index: Path) -> Library:
    if not index.is_dir():
        raise NotFoundError(f"no index at {index}: make one with `pdf-search index FOLDER`")
    return Library(index)


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
def cli() -> None:
    """Index a folder of PDFs, search it from here or from a small web page."""
    logging.basicConfig(level=logging.ERROR)  # pypdf is chatty about harmless oddities


@cli.command()
@click.argument("folder", type=click.Path(path_type=Path))
@click.option("--index", type=click.Path(path_type=Path), default=Path("pdf-index"))
@click.option("--password", multiple=True, metavar="FILE=PASSWORD", help="Repeatable.")
def index(folder: Path, index: Path, password: tuple[str, ...]) -> None:
    """Index the PDFs of FOLDER (recursively), one document per page."""
    passwords = _pairs(password, "--password", "FILE=PASSWORD")
    results = index_folder(Library(index), folder, passwords)
    _out().print(f"indexed {sum(r.indexed_pages for r in results)} page(s) into {index}")


@cli.command()
@click.argument("index", type=click.Path(path_type=Path))
@click.argument("query")
@click.option("--limit", type=click.IntRange(1, 1000), default=10, show_default=True)
@click.option("--weight", multiple=True, metavar="FIELD=WEIGHT", help="title=3, text=1")
@click.option("--all", "match_all", is_flag=True, help="Require every word.")
def search(index: Path, query: str, limit: int, weight: tuple[str, ...], match_all: bool) -> None:
    """Search INDEX for QUERY: phrases, AND/OR/NOT, field:word, prefix*, fuzzy~1."""
    weights = _pairs(weight, "--weight", "FIELD=WEIGHT")
    try:
        title_weight = float(weights.get("title", 2.0))
        text_weight = float(weights.get("text", 1.0))
    except ValueError:
        raise click.BadParameter(
            f"weights must be numbers, got {weights}", param_hint="--weight"
        ) from None
    print_hits(
        _library(index),
        query,
        limit=limit,
        title_weight=title_weight,
        text_weight=text_weight,
        match_all=match_all,
    )


@cli.command()
@click.argument("index", type=click.Path(path_type=Path))
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", type=click.IntRange(0, 65535), default=0, help="[default: a free one]")
def serve(index: Path, host: str, port: int) -> None:
    """Serve the search page over INDEX."""
    serve_until_interrupted(_library(index), host, port)


@cli.command()
@click.option("--serve/--no-serve", "and_serve", default=True, help="Serve after the tour.")
@click.option("--port", type=click.IntRange(0, 65535), default=0, help="[default: a free one]")
@click.option(
    "--samples",
    type=click.Path(path_type=Path),
    default=SAMPLES,
    help="The folder of PDFs to index [default: the shared sample PDFs].",
)
def demo(and_serve: bool, port: int, samples: Path) -> None:
    """Index the sample PDFs into a scratch folder, run a few searches, then serve."""
    with tempfile.TemporaryDirectory(prefix="pdf-search-demo-") as scratch:
        library = Library(scratch)
        _err().print(f"indexing {samples}", markup=False)
        encrypted = "005-libreoffice-writer-password_libreoffice-writer-password.pdf"
        sample_password = "openpassword"  # noqa: S105 - the published test file's password
        index_folder(library, samples, {encrypted: sample_password})
        for query in ('"lorem ipsum"', "topolog* AND NOT lorem", "title:example", "beatiful~1"):
            print_hits(library, query, limit=3)
        if and_serve:
            serve_until_interrupted(library, "127.0.0.1", port)


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line and return its exit code (the console script's entry)."""
    try:
        cli.main(
            args=list(argv) if argv is not None else None,
            prog_name="pdf-search",
            standalone_mode=False,
        )
    except click.ClickException as error:
        error.show()
        return error.exit_code
    except click.exceptions.Exit as done:
        return done.exit_code
    except (click.Abort, KeyboardInterrupt):
        return INTERRUPTED
    except (SearchError, OSError) as error:
        _err().print(f"pdf-search: error: {error}", markup=False)
        return 1
    return 0


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())
