"""bricolage.search against bm25s, tantivy, Whoosh, rank_bm25 and SQLite FTS5 on Vaswani.

Run with ``nox -s bench -- search`` (or ``python benchmarks/search/run.py``). Every engine
runs in its own child process, one after the other, on the same 11,429 abstracts and 93
queries: indexing time (documents per second), queries per second (one query at a time,
one thread, top 10, query analysis included), peak memory above the process's baseline
(``ru_maxrss``, so native allocations of tantivy and SQLite count too), and nDCG@10 of
the top 10. Figures are medians over ``--repeats`` rounds; each round runs every engine
once, in turn. BM25 parameters: k1=1.2, b=0.75
wherever the engine lets us set them (tantivy's are fixed at those values).
"""

from __future__ import annotations

import argparse
import json
import platform
import re
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import ir

K1, B = 1.2, 0.75
Search = Callable[[str], list[str]]
Build = Callable[[dict[str, str]], Search]


def _bricolage(on_disk: bool) -> Build:
    from bricolage.search import Index, Match, Schema, TextField

    def build(docs: dict[str, str]) -> Search:
        schema = Schema(TextField("text", stored=False))
        if on_disk:
            folder = tempfile.mkdtemp(prefix="bench-bricolage-")
            index = Index.create(folder, schema)
        else:
            index = Index.in_memory(schema)
        with index.writer() as writer:
            for doc_id, text in docs.items():
                writer.add(doc_id, text=text)

        def search(query: str) -> list[str]:
            return index.search(Match(query), limit=10, k1=K1, b=B).ids

        return search

    return build


def _stemmed_words() -> Callable[[str], list[str]]:
    import Stemmer
    from bm25s.stopwords import STOPWORDS_EN

    stemmer = Stemmer.Stemmer("english")
    stop = set(STOPWORDS_EN)
    word = re.compile(r"(?u)\b\w\w+\b")

    def tokens(text: str) -> list[str]:
        return stemmer.stemWords([w for w in word.findall(text.lower()) if w not in stop])

    return tokens


def _bm25s(docs: dict[str, str]) -> Search:
    import bm25s
    import Stemmer

    stemmer = Stemmer.Stemmer("english")
    ids = list(docs)
    corpus = bm25s.tokenize(
        list(docs.values()), stopwords="en", stemmer=stemmer, show_progress=False
    )
    retriever = bm25s.BM25(method="lucene", k1=K1, b=B)
    retriever.index(corpus, show_progress=False)

    def search(query: str) -> list[str]:
        tokens = bm25s.tokenize([query], stopwords="en", stemmer=stemmer, show_progress=False)
        if not tokens.vocab:
            return []
        found, _ = retriever.retrieve(
            tokens, k=min(10, len(ids)), show_progress=False, n_threads=1
        )
        return [ids[i] for i in found[0]]

    return search


def _tantivy(docs: dict[str, str]) -> Search:
    import tantivy

    builder = tantivy.SchemaBuilder()
    builder.add_text_field("docno", stored=True, tokenizer_name="raw")
    builder.add_text_field("text", stored=False, tokenizer_name="en_stem")
    index = tantivy.Index(builder.build())
    writer = index.writer(heap_size=128_000_000, num_threads=1)
    for doc_id, text in docs.items():
        writer.add_document(tantivy.Document(docno=doc_id, text=text))
    writer.commit()
    writer.wait_merging_threads()
    index.reload()
    searcher = index.searcher()
    clean = re.compile(r"[^\w\s]")

    def search(query: str) -> list[str]:
        parsed = index.parse_query(clean.sub(" ", query.lower()), ["text"])
        hits = searcher.search(parsed, 10).hits
        return [searcher.doc(address)["docno"][0] for _, address in hits]

    return search


def _whoosh(docs: dict[str, str]) -> Search:
    from whoosh import qparser, scoring
    from whoosh.analysis import StemmingAnalyzer
    from whoosh.fields import ID, TEXT, Schema
    from whoosh.filedb.filestore import RamStorage

    schema = Schema(docno=ID(stored=True), text=TEXT(analyzer=StemmingAnalyzer()))
    index = RamStorage().create_index(schema)
    writer = index.writer()
    for doc_id, text in docs.items():
        writer.add_document(docno=doc_id, text=text)
    writer.commit()
    searcher = index.searcher(weighting=scoring.BM25F(B=B, K1=K1))
    parser = qparser.QueryParser("text", schema, group=qparser.OrGroup)
    clean = re.compile(r"[^\w\s]")

    def search(query: str) -> list[str]:
        parsed = parser.parse(clean.sub(" ", query.lower()))
        return [hit["docno"] for hit in searcher.search(parsed, limit=10)]

    return search


def _rank_bm25(docs: dict[str, str]) -> Search:
    import numpy as np
    from rank_bm25 import BM25Okapi

    tokens = _stemmed_words()
    ids = list(docs)
    model = BM25Okapi([tokens(text) for text in docs.values()], k1=K1, b=B)

    def search(query: str) -> list[str]:
        scores = model.get_scores(tokens(query))
        top = np.argsort(-scores, kind="stable")[:10]
        return [ids[i] for i in top if scores[i] > 0]

    return search


def _sqlite(docs: dict[str, str]) -> Search:
    import sqlite3

    db = sqlite3.connect(":memory:")
    db.execute("CREATE VIRTUAL TABLE docs USING fts5(docno UNINDEXED, text, tokenize='porter')")
    with db:
        db.executemany("INSERT INTO docs VALUES (?, ?)", docs.items())
    word = re.compile(r"\w+")

    def search(query: str) -> list[str]:
        terms = word.findall(query.lower())
        if not terms:
            return []
        match = " OR ".join(f'"{t}"' for t in terms)
        rows = db.execute(
            "SELECT docno FROM docs WHERE docs MATCH ? ORDER BY bm25(docs) LIMIT 10", (match,)
        )
        return [row[0] for row in rows]

    return search


ENGINES: dict[str, Build] = {
    "bricolage": _bricolage(on_disk=False),
    "bricolage (on disk)": _bricolage(on_disk=True),
    "bm25s": _bm25s,
    "tantivy": _tantivy,
    "whoosh": _whoosh,
    "rank_bm25": _rank_bm25,
    "sqlite-fts5": _sqlite,
}


def _maxrss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def child(engine: str) -> dict[str, float]:
    """One round of one engine: index once, then time three passes over the queries."""
    collection = ir.vaswani()
    docs, queries = collection.docs, list(collection.queries.items())
    build = ENGINES[engine]
    baseline = _maxrss_mb()
    start = time.perf_counter()
    search = build(docs)
    index_time = time.perf_counter() - start
    runs = {qid: search(text) for qid, text in queries}  # warm-up and quality
    passes = []
    for _ in range(3):
        start = time.perf_counter()
        for _, text in queries:
            search(text)
        passes.append(time.perf_counter() - start)
    ndcg = sum(ir.ndcg_at(runs[q], collection.qrels.get(q, {})) for q, _ in queries) / len(queries)
    return {
        "docs_per_s": len(docs) / index_time,
        "qps": len(queries) / statistics.median(passes),
        "peak_mb": _maxrss_mb() - baseline,
        "ndcg10": ndcg,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--only", nargs="*", help="engines to run (default: all)")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(child(args.child)))
        return
    names = args.only or list(ENGINES)
    print(
        f"Vaswani: 11,429 abstracts, 93 queries; python {platform.python_version()}, "
        f"{platform.machine()}; medians of {args.repeats} rounds; k1={K1}, b={B}"
    )
    print(
        "each round runs every engine once, in turn, in a fresh process, so that load from "
        "other work on this shared machine spreads over all engines\n"
    )
    rounds: dict[str, list[dict[str, float]]] = {name: [] for name in names}
    for _ in range(args.repeats):
        for name in names:
            done = subprocess.run(
                [sys.executable, __file__, "--child", name],
                capture_output=True,
                text=True,
                check=False,
            )
            if done.returncode != 0:
                last = (done.stderr.strip().splitlines() or ["?"])[-1]
                print(f"{name}: failed ({last})")
                continue
            rounds[name].append(json.loads(done.stdout.strip().splitlines()[-1]))
    results = {
        name: {key: statistics.median(r[key] for r in runs) for key in runs[0]}
        for name, runs in rounds.items()
        if runs
    }
    ours = results.get("bricolage")
    header = (
        f"{'engine':20} {'index docs/s':>13} {'queries/s':>10} {'peak MB':>8} {'nDCG@10':>8}"
        f"   {'ours/peer: index':>16} {'queries':>8} {'memory':>7}"
    )
    print(header)
    print("-" * len(header))
    for name, r in results.items():
        ratios = ""
        if ours is not None:
            memory = ours["peak_mb"] / r["peak_mb"] if r["peak_mb"] > 0 else float("nan")
            ratios = (
                f"   {ours['docs_per_s'] / r['docs_per_s']:15.2f}x "
                f"{ours['qps'] / r['qps']:7.2f}x {memory:6.2f}x"
            )
        print(
            f"{name:20} {r['docs_per_s']:13,.0f} {r['qps']:10,.0f} {r['peak_mb']:8.1f} "
            f"{r['ndcg10']:8.3f}{ratios}"
        )
    print(
        "\nratios are bricolage (in memory) / peer: above 1 means faster for index and "
        "queries; below 1 means less memory."
    )


if __name__ == "__main__":
    main()
