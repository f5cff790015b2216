"""The ``bricolage-tfidf`` entry point and the interactive search (REPL).

The commands live in ``_app`` and need click and rich (the extra ``[cli]``); this module
imports neither, so :func:`run_repl` works without them and a missing extra gives a
one-line error, not a traceback.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence
from typing import TextIO

from bricolage.tfidf._search import Hit, SimilarityIndex
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


# One table of exit statuses across the bricolage commands.
EXIT_OK = 0
EXIT_FAILED = 1
EXIT_USAGE = 2
EXIT_NOT_FOUND = 3
EXIT_UNSAFE = 4
EXIT_INTERRUPTED = 130


def main(argv: Sequence[str] | None = None, *, stdout: TextIO | None = None) -> int:
    """Run the ``bricolage-tfidf`` command line and return its exit status.

    0 ok, 1 the work failed (a damaged index file), 2 a usage error, 3 not found (no such
    folder, file or document), 130 interrupted. The commands need the extra ``[cli]``
    (click and rich); ``stdout`` replaces standard output, errors go to standard error.

    >>> import io, pathlib, tempfile
    >>> from bricolage.tfidf import main
    >>> with tempfile.TemporaryDirectory() as folder:
    ...     _ = pathlib.Path(folder, "a.txt").write_text("red apple")
    ...     _ = pathlib.Path(folder, "b.txt").write_text("green apple")
    ...     out = io.StringIO()
    ...     _ = main(["index", folder, "-o", f"{folder}/i.btfidf"], stdout=out)
    ...     main(["search", f"{folder}/i.btfidf", "green", "--json"], stdout=out)
    0
    >>> out.getvalue().splitlines()[-1]  # doctest: +ELLIPSIS
    '[{"rank": 1, "document": "b.txt", "score": 0.8148...}]'
    """
    try:
        import click  # noqa: F401
        import rich  # noqa: F401
    except ImportError as error:
        sys.stderr.write(
            f"bricolage-tfidf: the command line needs {error.name}: "
            'pip install "bricolage-tfidf[cli]"\n'
        )
        return EXIT_FAILED
    from bricolage.tfidf._app import run

    return run(argv, stdout)
