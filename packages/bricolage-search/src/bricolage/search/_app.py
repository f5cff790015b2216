"""The ``bricolage-search`` commands on click, with rich output (extra ``[cli]``)."""

from __future__ import annotations

import json
import logging
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TextIO

import click
from click.shell_completion import get_completion_class
from rich.console import Console
from rich.markup import escape
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from bricolage.search._cli import (
    EXIT_FAILED,
    EXIT_INTERRUPTED,
    EXIT_NOT_FOUND,
    EXIT_UNSAFE,
    EXIT_USAGE,
)
from bricolage.search._index import Index
from bricolage.search._pdf import PdfResult, index_pdfs, pdf_schema
from bricolage.search.errors import (
    IndexLockedError,
    QueryError,
    SchemaError,
    SearchError,
)

PROG = "bricolage-search"
COMPLETE_VAR = "_BRICOLAGE_SEARCH_COMPLETE"


class _NotFoundError(SearchError):
    """No index (or no folder) where the command looked."""


class _RefusedError(SearchError):
    """The command refuses to go on because it could lose or mix up data."""


@dataclass
class _State:
    out: Console
    err: Console


def _console(file: TextIO | None, *, stderr: bool = False) -> Console:
    # rich itself honours NO_COLOR and leaves out colour and cursor control when the
    # stream is not a terminal; soft wrapping keeps long lines (JSON, paths) whole.
    return Console(file=file, stderr=stderr, soft_wrap=True, highlight=False)


def _pairs(items: Sequence[str], what: str) -> dict[str, str]:
    out: dict[str, str] = {}
    for item in items:
        key, sep, value = item.partition("=")
        if not sep or not key:
            raise click.BadParameter(f"must look like NAME=VALUE, got {item!r}", param_hint=what)
        out[key] = value
    return out


def _open(path: Path) -> Index:
    if not (path / "CURRENT").is_file():
        raise _NotFoundError(f"{path} holds no index; create one with: {PROG} index {path} FOLDER")
    return Index.open(path)


@click.group(
    context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100},
)
@click.version_option(package_name="bricolage-search", prog_name=PROG)
def cli() -> None:
    """Index a folder of PDFs and search it: phrases, AND/OR/NOT, field:term, prefix*,
    fuzzy~1, ranked by BM25 with snippets and page numbers.

    Exit status: 0 ok, 1 the work failed, 2 usage error, 3 no index there, 4 refused
    as unsafe (another writer holds the index), 130 interrupted.
    """


@cli.command("index")
@click.argument("index", type=click.Path(file_okay=False, path_type=Path))
@click.argument("folder", type=click.Path(path_type=Path))
@click.option(
    "--password",
    "passwords",
    multiple=True,
    metavar="FILE=PASSWORD",
    help="The password of an encrypted file (by file name); repeatable.",
)
@click.pass_obj
def index_command(state: _State, index: Path, folder: Path, passwords: tuple[str, ...]) -> None:
    """Index the PDFs below FOLDER (recursively) into the index folder INDEX."""
    if not folder.is_dir():
        raise _NotFoundError(f"{folder} is not a folder")
    secrets = _pairs(passwords, "--password")
    try:
        target = Index.create(index, pdf_schema(), exist_ok=True)
    except SchemaError as error:
        raise _RefusedError(f"{error}; index into another folder") from error
    files = sorted(p for p in folder.rglob("*") if p.suffix.lower() == ".pdf" and p.is_file())
    console = state.out
    progress = Progress(
        TextColumn("[progress.description]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=console,
        transient=True,
        disable=not console.is_terminal,
    )
    styles = {"ok": "green", "encrypted": "yellow", "no_text": "yellow"}

    with progress:
        task = progress.add_task("indexing", total=len(files))

        def report(result: PdfResult) -> None:
            style = styles.get(result.status, "red")
            console.print(
                f"[{style}]\\[{escape(f'{result.status:>14}')}][/] {escape(result.message)}"
            )
            progress.advance(task)

        with target.writer() as writer:
            results = index_pdfs(writer, files, passwords=secrets, on_result=report)
            progress.update(task, description="committing")
    pages = sum(r.indexed_pages for r in results)
    failed = sum(1 for r in results if not r.ok)
    console.print(
        f"indexed {pages} page(s) from {len(results) - failed} of {len(results)} file(s) "
        f"into {escape(str(index))}"
    )


@cli.command("query")
@click.argument("index", type=click.Path(file_okay=False, path_type=Path))
@click.argument("query")
@click.option("--limit", type=click.IntRange(min=0), default=10, show_default=True)
@click.option("--k1", type=float, default=None, help="BM25 k1 (default 1.2).")
@click.option("--b", type=float, default=None, help="BM25 b (default 0.75).")
@click.option(
    "--weight",
    "weights",
    multiple=True,
    metavar="FIELD=WEIGHT",
    help="BM25F weight of a text field (title, text); repeatable.",
)
@click.option("--and", "default_and", is_flag=True, help="Words must all match.")
@click.option("--json", "as_json", is_flag=True, help="Print the hits as JSON lines.")
@click.option("--chars", type=click.IntRange(min=1), default=200, show_default=True,
              help="Snippet length.")  # fmt: skip
@click.pass_obj
def query_command(
    state: _State,
    index: Path,
    query: str,
    limit: int,
    k1: float | None,
    b: float | None,
    weights: tuple[str, ...],
    default_and: bool,
    as_json: bool,
    chars: int,
) -> None:
    """Search INDEX, e.g. '"neutron star" AND title:pulsar NOT draft*'."""
    try:
        field_weights = {k: float(v) for k, v in _pairs(weights, "--weight").items()} or None
    except ValueError as error:
        raise click.BadParameter(str(error), param_hint="--weight") from error
    found = _open(index).search(
        query,
        limit=limit,
        k1=k1,
        b=b,
        field_weights=field_weights,
        default_operator="AND" if default_and else "OR",
    )
    console = state.out
    if as_json:
        for hit in found:
            record = {
                "rank": hit.rank,
                "id": hit.id,
                "score": round(hit.score, 6),
                "path": hit.fields.get("path"),
                "page": hit.fields.get("page"),
                "title": hit.fields.get("title"),
                "snippet": hit.snippet("text", max_chars=chars).format(),
            }
            console.file.write(json.dumps(record, ensure_ascii=False) + "\n")
        return
    console.print(f"{found.total} match(es); showing {len(found)}")
    marks = ("\x02", "\x03") if console.is_terminal else ("**", "**")
    for hit in found:
        title = escape(str(hit.fields.get("title")))
        where = escape(f"[{hit.fields.get('file')}, page {hit.fields.get('page')}]")
        console.print(f"\n{hit.rank:>3}. [bold]{title}[/]  [dim]{where}[/]  score {hit.score:.3f}")
        snippet = escape(hit.snippet("text", max_chars=chars).format(*marks))
        snippet = snippet.replace("\x02", "[bold yellow]").replace("\x03", "[/]")
        console.print(f"     {snippet}")


@cli.command("stats")
@click.argument("index", type=click.Path(file_okay=False, path_type=Path))
@click.option("--json", "as_json", is_flag=True, help="Print the statistics as JSON.")
@click.pass_obj
def stats_command(state: _State, index: Path, as_json: bool) -> None:
    """Show the statistics of INDEX: documents, size, and terms per field."""
    stats = _open(index).stats()
    console = state.out
    if as_json:
        record = {
            "path": stats.path,
            "generation": stats.generation,
            "documents": stats.documents,
            "segments": stats.segments,
            "size_bytes": stats.size_bytes,
            "fields": {
                name: {
                    "terms": stats.terms[name],
                    "postings": stats.postings[name],
                    "average_length": stats.average_length[name],
                }
                for name in stats.terms
            },
        }
        console.file.write(json.dumps(record) + "\n")
        return
    summary = Table(title=escape(str(stats.path)), show_header=False, title_justify="left")
    summary.add_column("what", style="bold")
    summary.add_column("value", justify="right")
    summary.add_row("generation", str(stats.generation))
    summary.add_row("documents", f"{stats.documents:,}")
    summary.add_row("segments", str(stats.segments))
    summary.add_row("size", f"{(stats.size_bytes or 0) / 1e6:,.2f} MB")
    console.print(summary)
    fields = Table("field", "terms", "postings", "avg length")
    for column in fields.columns[1:]:
        column.justify = "right"
    for name in stats.terms:
        fields.add_row(
            name,
            f"{stats.terms[name]:,}",
            f"{stats.postings[name]:,}",
            f"{stats.average_length[name]:.1f}",
        )
    console.print(fields)


@cli.command("completion")
@click.argument("shell", type=click.Choice(["bash", "zsh", "fish"]))
@click.pass_obj
def completion_command(state: _State, shell: str) -> None:
    """Print the shell completion script for SHELL.

    For bash: eval "$(bricolage-search completion bash)" in ~/.bashrc.
    """
    completion = get_completion_class(shell)
    assert completion is not None  # the three choices are click's own
    script = completion(cli, {}, PROG, COMPLETE_VAR).source()
    state.out.file.write(script + "\n")


def _exit_code(error: SearchError) -> int:
    if isinstance(error, _NotFoundError):
        return EXIT_NOT_FOUND
    if isinstance(error, IndexLockedError | _RefusedError):
        return EXIT_UNSAFE
    if isinstance(error, QueryError | SchemaError):
        return EXIT_USAGE
    return EXIT_FAILED


def run(argv: Sequence[str] | None, out: TextIO | None) -> int:
    """Run the click group without letting it exit the process; map errors to statuses."""
    state = _State(_console(out), _console(None, stderr=True))
    # The command is an application: keep pypdf's notes on harmless oddities off the screen.
    logging.getLogger("pypdf").setLevel(logging.ERROR)
    args = list(sys.argv[1:] if argv is None else argv)
    try:
        result = cli.main(
            args=args,
            prog_name=PROG,
            complete_var=COMPLETE_VAR,
            standalone_mode=False,
            obj=state,
        )
    except click.exceptions.Abort:
        state.err.print(f"{PROG}: interrupted")
        return EXIT_INTERRUPTED
    except click.ClickException as error:
        error.show()
        return error.exit_code
    except KeyboardInterrupt:  # pragma: no cover - click turns it into Abort
        return EXIT_INTERRUPTED
    except SearchError as error:
        state.err.print(f"[bold red]{PROG}: error:[/] {escape(str(error))}")
        return _exit_code(error)
    except OSError as error:
        state.err.print(f"[bold red]{PROG}: error:[/] {escape(str(error))}")
        return EXIT_NOT_FOUND if isinstance(error, FileNotFoundError) else EXIT_FAILED
    return result if isinstance(result, int) else 0
