"""The ``bricolage-tfidf`` command line and its interactive search (REPL)."""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import TextIO

from bricolage.tfidf._report import Report
from bricolage.tfidf._search import Hit, SimilarityIndex
from bricolage.tfidf._vectorizer import TfidfVectorizer
from bricolage.tfidf.errors import ConfigurationError, TfidfError

__all__ = ["main", "run_repl"]

_HELP = """\
Type words to search. Commands:
  :k N            show N results (now {k})
  :terms DOC      the top terms of a document
  :similar DOC    the documents most like DOC
  :help           this help
  :quit           leave (or end of input)
"""


def _print_hits(hits: list[Hit], out: TextIO) -> None:
    if not hits:
        print("  no document matches", file=out)
    for hit in hits:
        print(f"{hit.rank:>3}. {hit.score:.4f}  {hit.document}", file=out)


def run_repl(
    index: SimilarityIndex,
    *,
    stdin: TextIO | None = None,
    stdout: TextIO | None = None,
    k: int = 10,
    prompt: str = "search> ",
) -> int:
    """Answer queries read line by line from ``stdin`` until ``:quit`` or end of input.

    Returns how many queries were answered.

    >>> import io
    >>> from bricolage.tfidf import SimilarityIndex, run_repl
    >>> index = SimilarityIndex.from_documents(["red apple", "green apple"], ["r", "g"])
    >>> out = io.StringIO()
    >>> run_repl(index, stdin=io.StringIO("green\\n:quit\\n"), stdout=out, prompt="")
    1
    >>> print(out.getvalue().strip())
    1. 0.8148  g
    """
    source = sys.stdin if stdin is None else stdin
    out = sys.stdout if stdout is None else stdout
    answered = 0
    while True:
        print(prompt, end="", file=out, flush=True)
        line = source.readline()
        if not line:
            print(file=out)
            return answered
        text = line.strip()
        if not text:
            continue
        command, _, argument = text.partition(" ")
        argument = argument.strip()
        try:
            if command in (":quit", ":q", ":exit"):
                return answered
            if command == ":help":
                print(_HELP.format(k=k), end="", file=out)
            elif command == ":k":
                if not argument.isdigit() or int(argument) < 1:
                    raise ConfigurationError(f":k needs a positive number, got {argument!r}")
                k = int(argument)
            elif command == ":terms":
                for term in index.top_terms(argument, k):
                    print(f"  {term.weight:.4f}  {term.term}", file=out)
            elif command == ":similar":
                _print_hits(index.similar_to(argument, k), out)
            elif command.startswith(":"):
                print(f"unknown command {command!r}; type :help", file=out)
            else:
                _print_hits(index.search(text, k), out)
                answered += 1
        except TfidfError as error:
            print(f"error: {error}", file=out)


def _read_folder(folder: Path, pattern: str) -> tuple[list[str], list[str]]:
    if not folder.is_dir():
        raise ConfigurationError(f"{str(folder)!r} is not a folder")
    paths = sorted(p for p in folder.glob(pattern) if p.is_file())
    if not paths:
        raise ConfigurationError(f"no file in {str(folder)!r} matches {pattern!r}")
    ids = [p.relative_to(folder).as_posix() for p in paths]
    texts = [p.read_text(encoding="utf-8", errors="replace") for p in paths]
    return ids, texts


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="bricolage-tfidf", description="TF-IDF indexing, reports and similarity search."
    )
    commands = parser.add_subparsers(dest="command", required=True)
    index = commands.add_parser("index", help="index a folder of text files")
    index.add_argument("folder", type=Path)
    index.add_argument("-o", "--output", type=Path, required=True, help="the index file")
    index.add_argument("--glob", default="**/*.txt", help="which files (default **/*.txt)")
    index.add_argument("--stop-words", default="english", help="'english' or 'none'")
    index.add_argument("--ngram", type=int, nargs=2, default=(1, 1), metavar=("MIN", "MAX"))
    index.add_argument("--min-df", type=int, default=1)
    index.add_argument("--sublinear-tf", action="store_true")
    for name, text in (
        ("search", "rank the documents for a query"),
        ("similar", "documents most like an indexed one"),
        ("terms", "top terms of an indexed document"),
    ):
        command = commands.add_parser(name, help=text)
        command.add_argument("index", type=Path)
        command.add_argument("text", nargs="+")
        command.add_argument("-k", type=int, default=10)
        command.add_argument("--json", action="store_true", help="print JSON")
    report = commands.add_parser("report", help="export a report (.csv, .json or .html)")
    report.add_argument("index", type=Path)
    report.add_argument("-o", "--output", type=Path, required=True)
    report.add_argument("-k", type=int, default=10)
    repl = commands.add_parser("repl", help="interactive search")
    repl.add_argument("index", type=Path)
    repl.add_argument("-k", type=int, default=10)
    return parser


def _run(args: argparse.Namespace, out: TextIO) -> int:
    if args.command == "index":
        ids, texts = _read_folder(args.folder, args.glob)
        stop = None if args.stop_words.lower() == "none" else args.stop_words
        vectorizer = TfidfVectorizer(
            stop_words=stop,
            ngram_range=tuple(args.ngram),
            min_df=args.min_df,
            sublinear_tf=args.sublinear_tf,
        )
        index = SimilarityIndex.from_documents(texts, ids, vectorizer)
        index.save(args.output)
        terms = len(vectorizer.get_feature_names_out())
        print(f"indexed {len(ids)} documents, {terms} terms -> {args.output}", file=out)
        return 0
    index = SimilarityIndex.load(args.index)
    if args.command == "repl":
        run_repl(index, stdout=out, k=args.k)
        return 0
    if args.command == "report":
        names = index.vectorizer.get_feature_names_out()
        report = Report.from_matrix(
            index.matrix, names, index.document_ids, k=args.k, title=f"TF-IDF of {args.index.name}"
        )
        print(f"wrote {report.write(args.output)}", file=out)
        return 0
    text = " ".join(args.text)
    if args.command == "terms":
        weights = index.top_terms(text, args.k)
        if args.json:
            print(json.dumps([{"term": t.term, "weight": t.weight} for t in weights]), file=out)
        else:
            for term in weights:
                print(f"{term.weight:.4f}  {term.term}", file=out)
        return 0
    hits = (
        index.search(text, args.k) if args.command == "search" else index.similar_to(text, args.k)
    )
    if args.json:
        rows = [{"rank": h.rank, "document": h.document, "score": h.score} for h in hits]
        print(json.dumps(rows), file=out)
    else:
        _print_hits(hits, out)
    return 0


def main(argv: Sequence[str] | None = None, *, stdout: TextIO | None = None) -> int:
    """Run the command line; returns the exit status (0 success, 2 bad input).

    >>> import contextlib, io, pathlib, tempfile
    >>> from bricolage.tfidf import main
    >>> with tempfile.TemporaryDirectory() as folder:
    ...     _ = pathlib.Path(folder, "a.txt").write_text("red apple")
    ...     _ = pathlib.Path(folder, "b.txt").write_text("green apple")
    ...     out = io.StringIO()
    ...     _ = main(["index", folder, "-o", f"{folder}/i.btfidf"], stdout=out)
    ...     main(["search", f"{folder}/i.btfidf", "green"], stdout=out)
    0
    >>> out.getvalue().splitlines()[-1]
    '  1. 0.8148  b.txt'
    """
    out = sys.stdout if stdout is None else stdout
    args = _parser().parse_args(argv)
    try:
        return _run(args, out)
    except (TfidfError, OSError) as error:
        print(f"bricolage-tfidf: error: {error}", file=sys.stderr)
        return 2
