"""The ``bricolage-search`` command: index a folder of PDFs, query it, show statistics."""

from __future__ import annotations

import argparse
import json
import logging
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import TextIO

from bricolage.search._index import Index
from bricolage.search._pdf import PdfResult, index_pdfs, pdf_schema
from bricolage.search.errors import SearchError


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="bricolage-search",
        description="Index a folder of PDFs and search it: phrases, AND/OR/NOT, field:term, "
        "prefix*, fuzzy~1, ranked by BM25 with snippets and page numbers.",
    )
    commands = parser.add_subparsers(dest="command", required=True)

    index = commands.add_parser("index", help="index the PDFs of a folder (recursively)")
    index.add_argument("index", type=Path, help="the index folder (created if missing)")
    index.add_argument("folder", type=Path, help="the folder holding the PDFs")
    index.add_argument(
        "--password",
        action="append",
        default=[],
        metavar="FILE=PASSWORD",
        help="the password of an encrypted file (by file name); repeatable",
    )

    query = commands.add_parser("query", help="search the index")
    query.add_argument("index", type=Path)
    query.add_argument("query", help="e.g. '\"neutron star\" AND title:pulsar NOT draft*'")
    query.add_argument("--limit", type=int, default=10)
    query.add_argument("--k1", type=float, default=None, help="BM25 k1 (default 1.2)")
    query.add_argument("--b", type=float, default=None, help="BM25 b (default 0.75)")
    query.add_argument(
        "--weight",
        action="append",
        default=[],
        metavar="FIELD=WEIGHT",
        help="BM25F weight of a text field (title, text); repeatable",
    )
    query.add_argument(
        "--and", dest="default_and", action="store_true", help="words must all match"
    )
    query.add_argument("--json", action="store_true", help="print the hits as JSON lines")
    query.add_argument("--chars", type=int, default=200, help="snippet length")

    stats = commands.add_parser("stats", help="show index statistics")
    stats.add_argument("index", type=Path)
    return parser


def _pairs(items: Sequence[str], what: str) -> dict[str, str]:
    out: dict[str, str] = {}
    for item in items:
        key, sep, value = item.partition("=")
        if not sep or not key:
            raise SearchError(f"{what} must look like NAME=VALUE, got {item!r}")
        out[key] = value
    return out


def _index(args: argparse.Namespace, out: TextIO) -> int:
    folder: Path = args.folder
    if not folder.is_dir():
        raise SearchError(f"{folder} is not a folder")
    passwords = _pairs(args.password, "--password")
    index = Index.create(args.index, pdf_schema(), exist_ok=True)
    files = sorted(p for p in folder.rglob("*") if p.suffix.lower() == ".pdf" and p.is_file())

    def report(result: PdfResult) -> None:
        print(f"[{result.status:>14}] {result.message}", file=out)

    with index.writer() as writer:
        results = index_pdfs(writer, files, passwords=passwords, on_result=report)
    pages = sum(r.indexed_pages for r in results)
    failed = sum(1 for r in results if not r.ok)
    print(
        f"indexed {pages} page(s) from {len(results) - failed} of {len(results)} file(s) "
        f"into {args.index}",
        file=out,
    )
    return 0


def _query(args: argparse.Namespace, out: TextIO) -> int:
    index = Index.open(args.index)
    weights = {k: float(v) for k, v in _pairs(args.weight, "--weight").items()} or None
    results = index.search(
        args.query,
        limit=args.limit,
        k1=args.k1,
        b=args.b,
        field_weights=weights,
        default_operator="AND" if args.default_and else "OR",
    )
    if args.json:
        for hit in results:
            record = {
                "rank": hit.rank,
                "id": hit.id,
                "score": round(hit.score, 6),
                "path": hit.fields.get("path"),
                "page": hit.fields.get("page"),
                "title": hit.fields.get("title"),
                "snippet": hit.snippet("text", max_chars=args.chars).format(),
            }
            print(json.dumps(record, ensure_ascii=False), file=out)
        return 0
    print(f"{results.total} match(es); showing {len(results)}", file=out)
    for hit in results:
        print(
            f"\n{hit.rank:>3}. {hit.fields.get('title')}  "
            f"[{hit.fields.get('file')}, page {hit.fields.get('page')}]  score {hit.score:.3f}",
            file=out,
        )
        print(f"     {hit.snippet('text', max_chars=args.chars).format()}", file=out)
    return 0


def _stats(args: argparse.Namespace, out: TextIO) -> int:
    stats = Index.open(args.index).stats()
    print(f"index       {stats.path}", file=out)
    print(f"generation  {stats.generation}", file=out)
    print(f"documents   {stats.documents}", file=out)
    for name in stats.terms:
        print(
            f"field {name:8} {stats.terms[name]:>8} terms {stats.postings[name]:>9} postings  "
            f"avg length {stats.average_length[name]:.1f}",
            file=out,
        )
    return 0


def main(argv: Sequence[str] | None = None, *, out: TextIO | None = None) -> int:
    """Run the command line; return the exit status (0 ok, 2 on an error).

    >>> main(["stats", "/nonexistent/index"], out=None)
    2
    """
    stream = out if out is not None else sys.stdout
    args = _parser().parse_args(argv)
    # The command is an application: keep pypdf's notes on harmless oddities off the screen.
    logging.getLogger("pypdf").setLevel(logging.ERROR)
    handlers = {"index": _index, "query": _query, "stats": _stats}
    try:
        return handlers[args.command](args, stream)
    except (SearchError, ValueError, OSError) as error:
        print(f"bricolage-search: error: {error}", file=sys.stderr)
        return 2
