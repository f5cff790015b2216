"""bricolage.search against bm25s, tantivy, Whoosh, rank_bm25 and SQLite FTS5 on Vaswani.

Run with ``python3 bootstrap.py -s bench -- search`` (an environment of its own: this
folder's requirements and bricolage-search) or ``python benchmarks/search/run.py``. Every
engine runs in its own child process on the same 11,429 abstracts and 93 queries:
indexing time (documents per second), queries per second (one thread, top 10, query
analysis included), peak memory above the process's baseline (``ru_maxrss``, so native
allocations of tantivy and SQLite count too), and nDCG@10 of the top 10.

Fairness:
- Rounds: each round runs every engine once, in turn, in a fresh process, so load from
  other work on a shared machine spreads over all engines. Figures are medians over
  ``--repeats`` rounds with their spread (min-max); ratios are taken round by round
  (paired) and their median and range printed.
- bm25s is measured one query at a time and batched (all 93 queries in one
  ``tokenize`` + ``retrieve`` call, as its users run it); bricolage.search has no batch
  API, so it answers them one by one in every row.
- PyStemmer is installed for bm25s and rank_bm25; snowballstemmer, which bricolage stems
  with, would switch to it silently. The ``bricolage`` rows hide it (pure-Python
  stemming, what a user gets without it); ``bricolage + PyStemmer`` shows the gain.
- BM25 parameters k1=1.2, b=0.75 wherever the engine lets us set them (tantivy's are
  fixed at those values).
"""

from __future__ import annotations

import argparse
import json
import os
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
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

import ir

K1, B = 1.2, 0.75
Search = Callable[[str], list[str]]
Batch = Callable[[list[str]], list[list[str]]]
Build = Callable[[dict[str, str]], Search]
DIFFERS = (
    "what still differs: bm25s (batched) answers all queries in one vectorised call while "
    "bricolage runs them one by one; tantivy, SQLite and Whoosh use their own tokenisers and "
    "stemmers (Porter in SQLite), so their rankings and nDCG differ; tantivy and SQLite are "
    "native code; bm25s and rank_bm25 stem with PyStemmer's C code, the bricolage rows in "
    "pure Python unless named + PyStemmer."
)


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


def _bm25s_index(docs: dict[str, str]) -> tuple[Any, Any, list[str]]:
    import bm25s
    import Stemmer

    stemmer = Stemmer.Stemmer("english")
    corpus = bm25s.tokenize(
        list(docs.values()), stopwords="en", stemmer=stemmer, show_progress=False
    )
    retriever = bm25s.BM25(method="lucene", k1=K1, b=B)
    retriever.index(corpus, show_progress=False)
    return retriever, stemmer, list(docs)


def _bm25s_batched(docs: dict[str, str]) -> Batch:
    import bm25s

    retriever, stemmer, ids = _bm25s_index(docs)

    def search_all(queries: list[str]) -> list[list[str]]:
        tokens = bm25s.tokenize(
            queries, stopwords="en", stemmer=stemmer, return_ids=False, show_progress=False
        )
        found, scores = retriever.retrieve(
            tokens, k=min(10, len(ids)), show_progress=False, n_threads=1
        )
        return [
            [ids[i] for i, score in zip(row, row_scores, strict=True) if score > 0]
            for row, row_scores in zip(found, scores, strict=True)
        ]

    return search_all


def _bm25s(docs: dict[str, str]) -> Search:
    import bm25s

    retriever, stemmer, ids = _bm25s_index(docs)

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
    "bricolage + PyStemmer": _bricolage(on_disk=False),
    "bm25s": _bm25s,
    "tantivy": _tantivy,
    "whoosh": _whoosh,
    "rank_bm25": _rank_bm25,
    "sqlite-fts5": _sqlite,
}
BATCHED: dict[str, Callable[[dict[str, str]], Batch]] = {"bm25s (batched)": _bm25s_batched}
# Engines that must not see PyStemmer (snowballstemmer would use it without a word).
PURE_PYTHON = {"bricolage", "bricolage (on disk)"}


def _maxrss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def child(engine: str) -> dict[str, float]:
    """One round of one engine: index once, then time three passes over the queries."""
    if engine in PURE_PYTHON:
        sys.modules["Stemmer"] = None  # type: ignore[assignment]
    collection = ir.vaswani()
    docs, queries = collection.docs, list(collection.queries.items())
    baseline = _maxrss_mb()
    passes = []
    if engine in BATCHED:
        start = time.perf_counter()
        search_all = BATCHED[engine](docs)
        index_time = time.perf_counter() - start
        texts = [text for _, text in queries]
        found = search_all(texts)  # warm-up and quality
        runs = {qid: hits for (qid, _), hits in zip(queries, found, strict=True)}
        for _ in range(3):
            start = time.perf_counter()
            search_all(texts)
            passes.append(time.perf_counter() - start)
    else:
        start = time.perf_counter()
        search = ENGINES[engine](docs)
        index_time = time.perf_counter() - start
        runs = {qid: search(text) for qid, text in queries}  # warm-up and quality
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


def _spread(values: list[float]) -> str:
    return f"{min(values):,.0f}-{max(values):,.0f}"


def _paired(ours: list[float], theirs: list[float], invert: bool = False) -> str:
    ratios = [
        (t / o if invert else o / t) if t > 0 and o > 0 else float("nan")
        for o, t in zip(ours, theirs, strict=False)
    ]
    if not ratios:
        return ""
    return f"{statistics.median(ratios):.2f}x ({min(ratios):.2f}-{max(ratios):.2f})"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--only", nargs="*", help="engines to run (default: all)")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(child(args.child)))
        return
    names = args.only or [*ENGINES, *BATCHED]
    print(
        f"Vaswani: 11,429 abstracts, 93 queries; python {platform.python_version()}, "
        f"{platform.machine()}; {args.repeats} interleaved rounds; k1={K1}, b={B}; load "
        f"average {', '.join(f'{x:.2f}' for x in os.getloadavg())} on a shared machine\n"
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
    rounds = {name: runs for name, runs in rounds.items() if runs}
    ours = rounds.get("bricolage")
    header = (
        f"{'engine':22} {'index docs/s':>12} {'(spread)':>15} {'queries/s':>10} "
        f"{'(spread)':>13} {'peak MB':>8} {'nDCG@10':>8}   {'ours/peer: index':>22} "
        f"{'queries':>22} {'memory':>6}"
    )
    print(header)
    print("-" * len(header))
    for name, runs in rounds.items():
        docs = [r["docs_per_s"] for r in runs]
        qps = [r["qps"] for r in runs]
        peak = statistics.median(r["peak_mb"] for r in runs)
        ndcg = statistics.median(r["ndcg10"] for r in runs)
        ratios = ""
        if ours is not None and name != "bricolage":
            our_peak = statistics.median(r["peak_mb"] for r in ours)
            memory = our_peak / peak if peak > 0 else float("nan")
            ratios = (
                f"   {_paired([r['docs_per_s'] for r in ours], docs):>22} "
                f"{_paired([r['qps'] for r in ours], qps):>22} {memory:5.2f}x"
            )
        print(
            f"{name:22} {statistics.median(docs):12,.0f} {_spread(docs):>15} "
            f"{statistics.median(qps):10,.0f} {_spread(qps):>13} {peak:8.1f} {ndcg:8.3f}"
            f"{ratios}"
        )
    print(
        "\nratios are bricolage (in memory, pure-Python stemming) / peer, round by round: the "
        "median and (range); above 1 means faster for index and queries; below 1 means less "
        "memory."
    )
    print(DIFFERS)


if __name__ == "__main__":
    main()
