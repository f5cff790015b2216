"""``pdf-search``: index, search, serve, demo."""

from __future__ import annotations

import argparse
import contextlib
import logging
import os
import sys
import tempfile
from collections.abc import Sequence
from pathlib import Path
from wsgiref.simple_server import make_server

from bricolage.search import PdfResult, SearchError
from pdf_search.core import Library
from pdf_search.web import SearchApp

SAMPLES = (
    Path(
        os.environ.get(
            "BRICOLAGE_DATA", Path(__file__).resolve().parents[4].parent / "shared" / "data"
        )
    )
    / "pdfs"
)


def _passwords(items: Sequence[str]) -> dict[str, str]:
    out = {}
    for item in items:
        name, sep, secret = item.partition("=")
        if not sep:
            raise SearchError(f"--password must look like FILE=PASSWORD, got {item!r}")
        out[name] = secret
    return out


def _report(result: PdfResult) -> None:
    print(f"  [{result.status:>14}] {result.message}")


def _print_hits(library: Library, query: str, **options: object) -> None:
    total, hits = library.search(query, **options)  # type: ignore[arg-type]
    print(f"{query!r}: {total} matching page(s)")
    for hit in hits:
        print(f"  {hit.rank}. {hit.title}  [{hit.file}, page {hit.page}]  {hit.score:.3f}")
        print(f"     {hit.snippet_text}")


def _serve(library: Library, host: str, port: int) -> None:
    with make_server(host, port, SearchApp(library)) as server:
        print(f"serving on http://{host}:{server.server_port}  (Ctrl-C to stop)")
        with contextlib.suppress(KeyboardInterrupt):
            server.serve_forever()


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="pdf-search", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    index = commands.add_parser("index", help="index the PDFs of a folder")
    index.add_argument("folder", type=Path)
    index.add_argument("--index", type=Path, default=Path("pdf-index"))
    index.add_argument("--password", action="append", default=[], metavar="FILE=PASSWORD")
    search = commands.add_parser("search", help="search an index")
    search.add_argument("index", type=Path)
    search.add_argument("query")
    search.add_argument("--limit", type=int, default=10)
    search.add_argument("--weight", action="append", default=[], metavar="FIELD=WEIGHT")
    search.add_argument("--all", action="store_true", help="require every word")
    serve = commands.add_parser("serve", help="serve the search page")
    serve.add_argument("index", type=Path)
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=8000)
    demo = commands.add_parser("demo", help="index the sample PDFs, search, then serve")
    demo.add_argument("--no-serve", action="store_true")
    demo.add_argument("--port", type=int, default=8000)
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.ERROR)  # pypdf is chatty about harmless oddities
    try:
        if args.command == "index":
            library = Library(args.index)
            results = library.add_folder(
                args.folder, passwords=_passwords(args.password), on_result=_report
            )
            print(f"indexed {sum(r.indexed_pages for r in results)} page(s) into {args.index}")
        elif args.command == "search":
            weights = _passwords(args.weight)
            _print_hits(
                Library(args.index),
                args.query,
                limit=args.limit,
                title_weight=float(weights.get("title", 2.0)),
                text_weight=float(weights.get("text", 1.0)),
                match_all=args.all,
            )
        elif args.command == "serve":
            _serve(Library(args.index), args.host, args.port)
        else:
            folder = Path(tempfile.mkdtemp(prefix="pdf-search-demo-"))
            library = Library(folder)
            print(f"indexing {SAMPLES} into {folder}")
            encrypted = "005-libreoffice-writer-password_libreoffice-writer-password.pdf"
            sample_password = "openpassword"  # noqa: S105 - the published test file's password
            library.add_folder(SAMPLES, passwords={encrypted: sample_password}, on_result=_report)
            for query in (
                '"lorem ipsum"',
                "topolog* AND NOT lorem",
                "title:example",
                "beatiful~1",
            ):
                _print_hits(library, query, limit=3)
            if not args.no_serve:
                _serve(library, "127.0.0.1", args.port)
    except (SearchError, OSError, ValueError) as error:
        print(f"pdf-search: error: {error}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
