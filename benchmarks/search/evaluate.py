"""Retrieval quality: nDCG@10 and MAP of bricolage.search, bm25s and tantivy.

Run with ``python benchmarks/search/evaluate.py`` (after ``pip install -r
benchmarks/search/requirements.txt``). Collections: Vaswani (11,429 abstracts, 93
queries) and Cranfield (1,400 abstracts, 225 queries), both with binary judgements.
Every engine uses BM25 with k1=1.2 and b=0.75 (tantivy's fixed values) and ranks 1,000
documents per query. "bm25s, same tokens" feeds bm25s the terms of bricolage's analyzer,
so its row differs from ours only by the scoring code.
"""

from __future__ import annotations

import argparse
import re
import sys
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import ir

K1, B, DEPTH = 1.2, 0.75, 1000
Run = dict[str, list[str]]


def bricolage(collection: ir.Collection) -> Run:
    return ir.bricolage_run(collection, k1=K1, b=B, depth=DEPTH)


def _bm25s(collection: ir.Collection, tokenize: Callable[[list[str]], object]) -> Run:
    import bm25s

    ids = list(collection.docs)
    retriever = bm25s.BM25(method="lucene", k1=K1, b=B)
    retriever.index(tokenize(list(collection.docs.values())), show_progress=False)
    out: Run = {}
    for qid, text in collection.queries.items():
        tokens = tokenize([text])
        try:
            found, _ = retriever.retrieve(tokens, k=min(DEPTH, len(ids)), show_progress=False)
        except ValueError:  # no query term in the vocabulary
            out[qid] = []
            continue
        out[qid] = [ids[i] for i in found[0]]
    return out


def bm25s_native(collection: ir.Collection) -> Run:
    import bm25s
    import Stemmer

    stemmer = Stemmer.Stemmer("english")
    return _bm25s(
        collection,
        lambda texts: bm25s.tokenize(texts, stopwords="en", stemmer=stemmer, show_progress=False),
    )


def bm25s_same_tokens(collection: ir.Collection) -> Run:
    from bricolage.text import standard_analyzer

    analyzer = standard_analyzer()
    return _bm25s(collection, lambda texts: [analyzer(t) for t in texts])


def tantivy(collection: ir.Collection) -> Run:
    import tantivy as tv

    builder = tv.SchemaBuilder()
    builder.add_text_field("docno", stored=True, tokenizer_name="raw")
    builder.add_text_field("text", stored=False, tokenizer_name="en_stem")
    index = tv.Index(builder.build())
    writer = index.writer(heap_size=128_000_000, num_threads=1)
    for doc_id, text in collection.docs.items():
        writer.add_document(tv.Document(docno=doc_id, text=text))
    writer.commit()
    writer.wait_merging_threads()
    index.reload()
    searcher = index.searcher()
    clean = re.compile(r"[^\w\s]")
    out: Run = {}
    for qid, text in collection.queries.items():
        query = index.parse_query(clean.sub(" ", text.lower()), ["text"])
        hits = searcher.search(query, DEPTH).hits
        out[qid] = [searcher.doc(address)["docno"][0] for _, address in hits]
    return out


ENGINES: dict[str, Callable[[ir.Collection], Run]] = {
    "bricolage": bricolage,
    "bm25s": bm25s_native,
    "bm25s, same tokens": bm25s_same_tokens,
    "tantivy": tantivy,
}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--collections", nargs="*", default=["vaswani", "cranfield"])
    args = parser.parse_args()
    loaders = {"vaswani": ir.vaswani, "cranfield": ir.cranfield}
    print(f"BM25 k1={K1} b={B}; MAP over the top {DEPTH}; binary relevance\n")
    print(f"{'collection':10} {'engine':20} {'nDCG@10':>8} {'MAP':>7} {'ΔnDCG vs ours':>14}")
    for name in args.collections:
        collection = loaders[name]()
        ours: float | None = None
        for engine, function in ENGINES.items():
            try:
                ndcg, ap = ir.score_run(collection, function(collection))
            except ImportError as error:
                print(f"{name:10} {engine:20} skipped ({error})")
                continue
            if ours is None:
                ours = ndcg
            print(f"{name:10} {engine:20} {ndcg:8.4f} {ap:7.4f} {ndcg - ours:+14.4f}")


if __name__ == "__main__":
    main()
