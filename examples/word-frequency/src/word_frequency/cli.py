"""``word-frequency``: analyse a folder, export a report, search interactively.

Exit codes: 0 ok, 1 the work failed (e.g. nothing left to count), 2 usage error,
3 not found (no such folder, or no file matches), 130 interrupted.
"""

from __future__ import annotations

import os
import sys
import tempfile
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TextIO, TypeVar

import click
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

from bricolage.tfidf import ConfigurationError, SimilarityIndex, TfidfError, run_repl
from word_frequency.analysis import Analysis, analyze

T = TypeVar("T")
PROGRESS_THRESHOLD = 200  # files; below this a run is short and shows no bar
FAILED, USAGE, NOT_FOUND, INTERRUPTED = 1, 2, 3, 130


@dataclass(frozen=True, slots=True)
class Streams:
    """Where output goes: ``out`` for results, ``err`` for progress and errors."""

    out: Console
    err: Console
    stdin: TextIO
    stdout: TextIO | None


def _streams() -> Streams:
    streams = click.get_current_context().obj
    assert isinstance(streams, Streams)
    return streams


class _Bar:
    """The progress hook :func:`analyze` takes: a rich bar on a terminal, else nothing."""

    def __init__(self, console: Console, enabled: bool) -> None:
        self.console = console
        self.enabled = enabled and console.is_terminal

    def __call__(self, items: Iterable[T], label: str, total: int) -> Iterable[T]:
        if not self.enabled or total < PROGRESS_THRESHOLD:
            return items
        return self._track(items, label, total)

    def _track(self, items: Iterable[T], label: str, total: int) -> Iterator[T]:
        progress = Progress(
            TextColumn(label),
            BarColumn(),
            MofNCompleteColumn(),
            TextColumn("files"),
            console=self.console,
            transient=True,
        )
        with progress:
            yield from progress.track(items, total=total, description=label)


def _corpus_options(function: click.decorators.FC) -> click.decorators.FC:
    options = [
        click.argument("folder", type=click.Path(path_type=Path)),
        click.option("--glob", default="**/*.txt", show_default=True, help="Which files."),
        click.option(
            "--tf",
            type=click.Choice(["raw", "frequency", "log", "boolean", "augmented"]),
            default="raw",
            show_default=True,
        ),
        click.option(
            "--idf",
            type=click.Choice(["smooth", "plain", "probabilistic", "none"]),
            default="smooth",
            show_default=True,
        ),
        click.option("--stop-words", default="english", show_default=True, help="Or 'none'."),
        click.option(
            "--ngram", type=(int, int), default=(1, 1), metavar="MIN MAX", show_default=True
        ),
        click.option("--min-df", type=click.IntRange(min=1), default=1, show_default=True),
        click.option(
            "--progress/--no-progress",
            default=True,
            help="A progress bar on long runs (only ever on a terminal).",
        ),
    ]
    for option in reversed(options):
        function = option(function)
    return function


def _analysis(
    folder: Path,
    *,
    k: int,
    glob: str,
    tf: str,
    idf: str,
    stop_words: str,
    ngram: tuple[int, int],
    min_df: int,
    progress: bool,
) -> Analysis:
    return analyze(
        folder,
        pattern=glob,
        k=k,
        tf=tf,
        idf=None if idf == "none" else idf,
        stop_words=None if stop_words.lower() == "none" else stop_words,
        ngram_range=ngram,
        min_df=min_df,
        progress=_Bar(_streams().err, progress),
    )


def _print_table(analysis: Analysis, out: Console) -> None:
    for doc in analysis.documents:
        out.print(f"== {doc.document} ({doc.n_tokens} terms)", markup=False)
        tf = ", ".join(f"{t.term} {t.weight:g}" for t in doc.top_tf)
        tfidf = ", ".join(f"{t.term} {t.weight:.3f}" for t in doc.top_tfidf)
        out.print(f"   TF:     {tf}", markup=False)
        out.print(f"   TF-IDF: {tfidf}", markup=False)


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
def cli() -> None:
    """TF and TF-IDF over a folder of text files."""


@cli.command(name="analyze")
@_corpus_options
@click.option("--top", type=click.IntRange(min=1), default=10, help="Terms per document.")
@click.option(
    "--report",
    type=click.Path(dir_okay=False, path_type=Path),
    multiple=True,
    help="Write a .csv, .json or .html report (repeatable).",
)
@click.option("--quiet", is_flag=True, help="Print no table.")
def analyze_command(
    folder: Path, top: int, report: tuple[Path, ...], quiet: bool, **options: object
) -> None:
    """Top terms per document by TF and TF-IDF, and reports."""
    out = _streams().out
    analysis = _analysis(folder, k=top, **options)  # type: ignore[arg-type]
    if not quiet:
        _print_table(analysis, out)
    for path in report:
        written = analysis.report(top, f"Word frequencies of {folder.name}").write(path)
        out.print(f"wrote {written}", markup=False)
    terms = len(analysis.vectorizer.get_feature_names_out())
    out.print(f"{len(analysis.documents)} documents, {terms} terms")


@cli.command()
@_corpus_options
@click.option("--query", help="Answer one query and exit.")
@click.option("--top", type=click.IntRange(min=1), default=10, help="Results per query.")
def search(folder: Path, query: str | None, top: int, **options: object) -> None:
    """Search the folder by cosine similarity: interactive, or one --query."""
    streams = _streams()
    analysis = _analysis(folder, k=top, **options)  # type: ignore[arg-type]
    index: SimilarityIndex = analysis.index()
    if query is not None:
        for hit in index.search(query, top):
            streams.out.print(f"{hit.rank:>3}. {hit.score:.4f}  {hit.document}", markup=False)
        return
    streams.out.print(f"{len(index)} documents indexed; type words to search, :help for commands")
    run_repl(index, stdin=streams.stdin, stdout=streams.stdout or sys.stdout, k=top)


def _demo_data() -> Path:
    override = os.environ.get("BRICOLAGE_DATA")
    root = Path(__file__).resolve().parents[4]
    data = Path(override) if override else root.parent / "shared" / "data"
    return data / "ir" / "cranfield" / "cran.all.1400"


@contextmanager
def _cranfield() -> Iterator[Path]:
    source = _demo_data()
    if not source.is_file():
        raise FileNotFoundError(f"the demo needs the Cranfield collection at {source}")
    records = source.read_text(encoding="utf-8").split("\n.I ")
    with tempfile.TemporaryDirectory() as scratch:
        folder = Path(scratch) / "cranfield"
        folder.mkdir()
        for number, record in enumerate(records, start=1):
            (folder / f"cran-{number:04}.txt").write_text(record.partition(".W\n")[2])
        yield folder


@cli.command()
@click.option(
    "--out",
    type=click.Path(file_okay=False, path_type=Path),
    default=Path(tempfile.gettempdir()) / "word-frequency-demo",
    help="Folder for the reports [default: word-frequency-demo in the temporary folder].",
)
@click.pass_context
def demo(ctx: click.Context, out: Path) -> None:
    """The Cranfield collection end to end: analysis, three reports, a search."""
    with _cranfield() as folder:
        out.mkdir(parents=True, exist_ok=True)
        reports = [out / f"cranfield-report.{suffix}" for suffix in ("html", "csv", "json")]
        ctx.invoke(
            analyze_command,
            folder=folder,
            top=5,
            report=tuple(reports),
            quiet=True,
            **_defaults(),
        )
        query = "what similarity laws must be obeyed when constructing aeroelastic models"
        _streams().out.print(f"\nsearch: {query}", markup=False)
        ctx.invoke(search, folder=folder, query=query, top=5, **_defaults())


def _defaults() -> dict[str, object]:
    return {
        "glob": "**/*.txt",
        "tf": "raw",
        "idf": "smooth",
        "stop_words": "english",
        "ngram": (1, 1),
        "min_df": 1,
        "progress": True,
    }


def main(
    argv: Sequence[str] | None = None,
    *,
    stdout: TextIO | None = None,
    stderr: TextIO | None = None,
) -> int:
    """Run the command line and return its exit code (see the module's docstring)."""
    streams = Streams(
        out=Console(file=stdout, highlight=False, soft_wrap=True),
        err=Console(file=stderr, stderr=stderr is None, highlight=False, soft_wrap=True),
        stdin=sys.stdin,
        stdout=stdout,
    )
    try:
        cli.main(
            args=list(argv) if argv is not None else None,
            prog_name="word-frequency",
            standalone_mode=False,
            obj=streams,
        )
    except click.ClickException as error:
        error.show(file=stderr if stderr is not None else sys.stderr)
        return error.exit_code
    except click.exceptions.Exit as done:
        return done.exit_code
    except (click.Abort, KeyboardInterrupt):
        return INTERRUPTED
    except FileNotFoundError as error:
        streams.err.print(f"word-frequency: error: {error}", markup=False)
        return NOT_FOUND
    except ConfigurationError as error:
        streams.err.print(f"word-frequency: error: {error}", markup=False)
        return USAGE
    except (TfidfError, OSError) as error:
        streams.err.print(f"word-frequency: error: {error}", markup=False)
        return FAILED
    return 0
