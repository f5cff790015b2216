"""``word-frequency``: analyse a folder, export a report, search interactively."""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import TextIO, TypeVar

from tqdm import tqdm

from bricolage.tfidf import SimilarityIndex, TfidfError, run_repl
from word_frequency.analysis import Analysis, analyze, no_progress

T = TypeVar("T")
PROGRESS_THRESHOLD = 200  # files; below this a run is short and shows no bar


def _progress_bar(stream: TextIO) -> object:
    def progress(items: Iterable[T], label: str, total: int) -> Iterable[T]:
        if total < PROGRESS_THRESHOLD:
            return items
        return tqdm(items, desc=label, total=total, unit="file", file=stream, leave=False)

    return progress


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="word-frequency", description="TF and TF-IDF over a folder of text files."
    )
    commands = parser.add_subparsers(dest="command", required=True)

    def corpus_options(command: argparse.ArgumentParser) -> None:
        command.add_argument("folder", type=Path)
        command.add_argument("--glob", default="**/*.txt", help="which files (**/*.txt)")
        command.add_argument(
            "--tf", default="raw", choices=["raw", "frequency", "log", "boolean", "augmented"]
        )
        command.add_argument(
            "--idf", default="smooth", choices=["smooth", "plain", "probabilistic", "none"]
        )
        command.add_argument("--stop-words", default="english", help="'english' or 'none'")
        command.add_argument("--ngram", type=int, nargs=2, default=(1, 1), metavar=("MIN", "MAX"))
        command.add_argument("--min-df", type=int, default=1)
        command.add_argument("--no-progress", action="store_true", help="hide the progress bar")

    run = commands.add_parser("analyze", help="top terms per document, and a report")
    corpus_options(run)
    run.add_argument("--top", type=int, default=10, help="terms per document")
    run.add_argument(
        "--report", type=Path, action="append", default=[], help="write a .csv/.json/.html"
    )
    run.add_argument("--quiet", action="store_true", help="print no table")
    search = commands.add_parser("search", help="interactive search (or --query)")
    corpus_options(search)
    search.add_argument("--query", help="answer one query and exit")
    search.add_argument("--top", type=int, default=10, help="results per query")
    demo = commands.add_parser("demo", help="the Cranfield collection, end to end")
    demo.add_argument(
        "--out",
        type=Path,
        default=Path(tempfile.gettempdir()) / "word-frequency-demo",
        help="folder for the reports (default: word-frequency-demo in the temporary folder)",
    )
    return parser


def _analysis(args: argparse.Namespace, err: TextIO, k: int) -> Analysis:
    progress = no_progress if args.no_progress else _progress_bar(err)
    return analyze(
        args.folder,
        pattern=args.glob,
        k=k,
        tf=args.tf,
        idf=None if args.idf == "none" else args.idf,
        stop_words=None if args.stop_words.lower() == "none" else args.stop_words,
        ngram_range=tuple(args.ngram),
        min_df=args.min_df,
        progress=progress,  # type: ignore[arg-type]
    )


def _print_table(analysis: Analysis, out: TextIO) -> None:
    for doc in analysis.documents:
        print(f"== {doc.document} ({doc.n_tokens} terms)", file=out)
        tf = ", ".join(f"{t.term} {t.weight:g}" for t in doc.top_tf)
        tfidf = ", ".join(f"{t.term} {t.weight:.3f}" for t in doc.top_tfidf)
        print(f"   TF:     {tf}", file=out)
        print(f"   TF-IDF: {tfidf}", file=out)


def _demo_data() -> Path:
    override = os.environ.get("BRICOLAGE_DATA")
    root = Path(__file__).resolve().parents[4]
    data = Path(override) if override else root.parent / "shared" / "data"
    return data / "ir" / "cranfield" / "cran.all.1400"


def _demo(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    source = _demo_data()
    if not source.is_file():
        raise FileNotFoundError(f"the demo needs the Cranfield collection at {source}")
    records = source.read_text(encoding="utf-8").split("\n.I ")
    with tempfile.TemporaryDirectory() as scratch:
        folder = Path(scratch) / "cranfield"
        folder.mkdir()
        for number, record in enumerate(records, start=1):
            (folder / f"cran-{number:04}.txt").write_text(record.partition(".W\n")[2])
        target = args.out
        target.mkdir(parents=True, exist_ok=True)
        argv = ["analyze", str(folder), "--top", "5", "--quiet"]
        for suffix in ("html", "csv", "json"):
            argv += ["--report", str(target / f"cranfield-report.{suffix}")]
        status = main(argv, stdout=out, stderr=err)
        query = "what similarity laws must be obeyed when constructing aeroelastic models"
        print(f"\nsearch: {query}", file=out)
        main(
            ["search", str(folder), "--query", query, "--top", "5", "--no-progress"],
            stdout=out,
            stderr=err,
        )
        return status


def _run(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    if args.command == "demo":
        return _demo(args, out, err)
    if args.command == "analyze":
        analysis = _analysis(args, err, args.top)
        if not args.quiet:
            _print_table(analysis, out)
        for path in args.report:
            report = analysis.report(args.top, f"Word frequencies of {args.folder.name}")
            print(f"wrote {report.write(path)}", file=out)
        print(
            f"{len(analysis.documents)} documents, "
            f"{len(analysis.vectorizer.get_feature_names_out())} terms",
            file=out,
        )
        return 0
    analysis = _analysis(args, err, args.top)
    index: SimilarityIndex = analysis.index()
    if args.query is not None:
        for hit in index.search(args.query, args.top):
            print(f"{hit.rank:>3}. {hit.score:.4f}  {hit.document}", file=out)
        return 0
    print(f"{len(index)} documents indexed; type words to search, :help for commands", file=out)
    run_repl(index, stdin=sys.stdin, stdout=out, k=args.top)
    return 0


def main(
    argv: Sequence[str] | None = None,
    *,
    stdout: TextIO | None = None,
    stderr: TextIO | None = None,
) -> int:
    """Run the command line; 0 on success, 2 on bad input."""
    out = sys.stdout if stdout is None else stdout
    err = sys.stderr if stderr is None else stderr
    args = _parser().parse_args(argv)
    try:
        return _run(args, out, err)
    except (TfidfError, OSError) as error:
        print(f"word-frequency: error: {error}", file=err)
        return 2
