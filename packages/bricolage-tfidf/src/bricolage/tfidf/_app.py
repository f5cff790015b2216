"""The ``bricolage-tfidf`` commands on click, with rich output (extra ``[cli]``)."""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TextIO

import click
from click.shell_completion import get_completion_class
from rich.console import Console
from rich.markup import escape
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from bricolage.tfidf._cli import (
    EXIT_FAILED,
    EXIT_INTERRUPTED,
    EXIT_NOT_FOUND,
    EXIT_USAGE,
    run_repl,
)
from bricolage.tfidf._report import Report
from bricolage.tfidf._search import Hit, SimilarityIndex
from bricolage.tfidf._vectorizer import TfidfVectorizer
from bricolage.tfidf.errors import ConfigurationError, TfidfError

PROG = "bricolage-tfidf"
COMPLETE_VAR = "_BRICOLAGE_TFIDF_COMPLETE"


class _NotFoundError(TfidfError):
    """No such folder, file or document."""


@dataclass
class _State:
    out: Console
    err: Console
    stdout: TextIO | None


def _console(file: TextIO | None, *, stderr: bool = False) -> Console:
    # rich honours NO_COLOR and leaves out colour and cursor control when the stream is
    # not a terminal; soft wrapping keeps long lines (JSON, paths) whole.
    return Console(file=file, stderr=stderr, soft_wrap=True, highlight=False)


def _files(folder: Path, pattern: str) -> list[Path]:
    if not folder.is_dir():
        raise _NotFoundError(f"{str(folder)!r} is not a folder")
    paths = sorted(p for p in folder.glob(pattern) if p.is_file())
    if not paths:
        raise _NotFoundError(f"no file in {str(folder)!r} matches {pattern!r}")
    return paths


def _load(path: Path) -> SimilarityIndex:
    if not path.is_file():
        raise _NotFoundError(
            f"{str(path)!r} is not an index file; make one with: {PROG} index FOLDER -o {path}"
        )
    return SimilarityIndex.load(path)


def _document(index: SimilarityIndex, words: tuple[str, ...]) -> str:
    document = " ".join(words)  # an id with spaces may come unquoted, as several words
    if document not in index.document_ids:
        raise _NotFoundError(f"no indexed document has the id {document!r}")
    return document


@click.group(context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
@click.version_option(package_name="bricolage-tfidf", prog_name=PROG)
def cli() -> None:
    """TF-IDF indexing, reports and similarity search over a folder of text files.

    Exit status: 0 ok, 1 the work failed (a damaged index file), 2 usage error,
    3 not found (no such folder, file or document), 130 interrupted.
    """


@cli.command("index")
@click.argument("folder", type=click.Path(path_type=Path))
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path), required=True,
              help="The index file to write.")  # fmt: skip
@click.option("--glob", "pattern", default="**/*.txt", show_default=True, help="Which files.")
@click.option("--stop-words", default="english", show_default=True,
              help="'english' or 'none'.")  # fmt: skip
@click.option("--ngram", type=(int, int), default=(1, 1), show_default=True,
              metavar="MIN MAX", help="The n-gram range.")  # fmt: skip
@click.option("--min-df", type=int, default=1, show_default=True,
              help="Drop terms found in fewer documents.")  # fmt: skip
@click.option("--sublinear-tf", is_flag=True, help="Use 1 + log(tf).")
@click.pass_obj
def index_command(
    state: _State,
    folder: Path,
    output: Path,
    pattern: str,
    stop_words: str,
    ngram: tuple[int, int],
    min_df: int,
    sublinear_tf: bool,
) -> None:
    """Fit TF-IDF on the text files of FOLDER and save a searchable index."""
    paths = _files(folder, pattern)
    vectorizer = TfidfVectorizer(
        stop_words=None if stop_words.lower() == "none" else stop_words,
        ngram_range=ngram,
        min_df=min_df,
        sublinear_tf=sublinear_tf,
    )
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
    with progress:
        task = progress.add_task("fitting", total=len(paths))

        def texts() -> Iterator[str]:
            # Read as the vectorizer asks: one file in memory at a time.
            for path in paths:
                yield path.read_text(encoding="utf-8", errors="replace")
                progress.advance(task)

        ids = [p.relative_to(folder).as_posix() for p in paths]
        index = SimilarityIndex.from_documents(texts(), ids, vectorizer)
        progress.update(task, description="saving")
        index.save(output)
    terms = len(vectorizer.get_feature_names_out())
    console.print(f"indexed {len(ids)} documents, {terms} terms -> {escape(str(output))}")


def _hits_out(state: _State, hits: list[Hit], as_json: bool) -> None:
    if as_json:
        rows = [{"rank": h.rank, "document": h.document, "score": h.score} for h in hits]
        state.out.file.write(json.dumps(rows) + "\n")
        return
    if not hits:
        state.out.print("no document matches")
        return
    table = Table("rank", "score", "document")
    table.columns[0].justify = table.columns[1].justify = "right"
    table.columns[1].style = "cyan"
    for hit in hits:
        table.add_row(str(hit.rank), f"{hit.score:.4f}", escape(hit.document))
    state.out.print(table)


_K = click.option("-k", type=click.IntRange(min=1), default=10, show_default=True,
                  help="How many results.")  # fmt: skip
_JSON = click.option("--json", "as_json", is_flag=True, help="Print JSON.")
_INDEX = click.argument("index", type=click.Path(dir_okay=False, path_type=Path))


@cli.command("search")
@_INDEX
@click.argument("text", nargs=-1, required=True)
@_K
@_JSON
@click.pass_obj
def search_command(
    state: _State, index: Path, text: tuple[str, ...], k: int, as_json: bool
) -> None:
    """Rank the documents of INDEX for the words TEXT."""
    _hits_out(state, _load(index).search(" ".join(text), k), as_json)


@cli.command("similar")
@_INDEX
@click.argument("document", nargs=-1, required=True)
@_K
@_JSON
@click.pass_obj
def similar_command(
    state: _State, index: Path, document: tuple[str, ...], k: int, as_json: bool
) -> None:
    """The documents of INDEX most like the indexed DOCUMENT (by its id)."""
    loaded = _load(index)
    _hits_out(state, loaded.similar_to(_document(loaded, document), k), as_json)


@cli.command("terms")
@_INDEX
@click.argument("document", nargs=-1, required=True)
@_K
@_JSON
@click.pass_obj
def terms_command(
    state: _State, index: Path, document: tuple[str, ...], k: int, as_json: bool
) -> None:
    """The heaviest terms of the indexed DOCUMENT (by its id)."""
    loaded = _load(index)
    weights = loaded.top_terms(_document(loaded, document), k)
    if as_json:
        rows = [{"term": t.term, "weight": t.weight} for t in weights]
        state.out.file.write(json.dumps(rows) + "\n")
        return
    table = Table("weight", "term")
    table.columns[0].justify = "right"
    table.columns[0].style = "cyan"
    for term in weights:
        table.add_row(f"{term.weight:.4f}", escape(term.term))
    state.out.print(table)


@cli.command("report")
@_INDEX
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path), required=True,
              help="The report: .csv, .json or .html.")  # fmt: skip
@_K
@click.pass_obj
def report_command(state: _State, index: Path, output: Path, k: int) -> None:
    """Export a report of INDEX's top terms (.csv, .json or .html)."""
    loaded = _load(index)
    names = loaded.vectorizer.get_feature_names_out()
    report = Report.from_matrix(
        loaded.matrix, names, loaded.document_ids, k=k, title=f"TF-IDF of {index.name}"
    )
    state.out.print(f"wrote {escape(str(report.write(output)))}")


@cli.command("repl")
@_INDEX
@_K
@click.pass_obj
def repl_command(state: _State, index: Path, k: int) -> None:
    """Search INDEX interactively (:help lists the commands)."""
    run_repl(_load(index), stdout=state.stdout, k=k)


@cli.command("completion")
@click.argument("shell", type=click.Choice(["bash", "zsh", "fish"]))
@click.pass_obj
def completion_command(state: _State, shell: str) -> None:
    """Print the shell completion script for SHELL.

    For bash: eval "$(bricolage-tfidf completion bash)" in ~/.bashrc.
    """
    completion = get_completion_class(shell)
    assert completion is not None  # the three choices are click's own
    state.out.file.write(completion(cli, {}, PROG, COMPLETE_VAR).source() + "\n")


def run(argv: Sequence[str] | None, stdout: TextIO | None) -> int:
    """Run the click group without letting it exit the process; map errors to statuses."""
    state = _State(_console(stdout), _console(None, stderr=True), stdout)
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
    except (TfidfError, OSError) as error:
        state.err.print(f"[bold red]{PROG}: error:[/] {escape(str(error))}")
        if isinstance(error, _NotFoundError | FileNotFoundError):
            return EXIT_NOT_FOUND
        if isinstance(error, ConfigurationError):
            return EXIT_USAGE
        return EXIT_FAILED
    return result if isinstance(result, int) else 0
