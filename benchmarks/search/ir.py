"""Test collections (Vaswani, Cranfield) and ranking metrics (nDCG@k, MAP).

Shared by ``evaluate.py``, ``run.py`` and the package's quality tests. The data lives in
``shared/data/ir`` next to the repository (override with ``BRICOLAGE_DATA``).
"""

from __future__ import annotations

import math
import os
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

DATA = Path(
    os.environ.get(
        "BRICOLAGE_DATA", Path(__file__).resolve().parents[2].parent / "shared" / "data"
    )
)


@dataclass(frozen=True)
class Collection:
    name: str
    docs: dict[str, str]  # doc id -> text
    queries: dict[str, str]  # query id -> text
    qrels: dict[str, dict[str, int]]  # query id -> {doc id: relevance}


def vaswani(root: Path = DATA) -> Collection:
    folder = root / "ir" / "vaswani"
    text = (folder / "doc-text.trec").read_text(encoding="utf-8")
    docs = {
        m.group(1).strip(): m.group(2).strip()
        for m in re.finditer(r"<DOCNO>(.*?)</DOCNO>(.*?)</DOC>", text, re.S)
    }
    qtext = (folder / "query-text.trec").read_text(encoding="utf-8")
    queries = {
        m.group(1).strip(): " ".join(m.group(2).split())
        for m in re.finditer(r"<num>(.*?)</num>\s*<title>(.*?)</title>", qtext, re.S)
    }
    qrels: dict[str, dict[str, int]] = {}
    for line in (folder / "qrels").read_text(encoding="utf-8").splitlines():
        parts = line.split()
        if len(parts) == 4 and int(parts[3]) > 0:
            qrels.setdefault(parts[0], {})[parts[2]] = int(parts[3])
    return Collection("vaswani", docs, queries, qrels)


def _sections(text: str) -> list[dict[str, str]]:
    records: list[dict[str, str]] = []
    current: dict[str, str] = {}
    key = ""
    for line in text.splitlines():
        if line.startswith(".I "):
            current = {"I": line[3:].strip()}
            records.append(current)
            key = ""
        elif re.fullmatch(r"\.[A-Z]", line.strip()):
            key = line.strip()[1]
            current[key] = ""
        elif key:
            current[key] += line + "\n"
    return records


def cranfield(root: Path = DATA) -> Collection:
    """Cranfield: relevance codes 1-4 count as relevant, -1 as not (binary judgements).

    Query numbers in ``cran.qry`` are not those of the judgements: the judgements use
    each query's position, 1 to 225.
    """
    folder = root / "ir" / "cranfield"
    docs = {
        r["I"]: " ".join(r.get("W", "").split())
        for r in _sections((folder / "cran.all.1400").read_text(encoding="utf-8"))
    }
    queries = {
        str(position): " ".join(r.get("W", "").split())
        for position, r in enumerate(
            _sections((folder / "cran.qry").read_text(encoding="utf-8")), 1
        )
    }
    qrels: dict[str, dict[str, int]] = {}
    for line in (folder / "cranqrel").read_text(encoding="utf-8").splitlines():
        parts = line.split()
        if len(parts) == 3 and 1 <= int(parts[2]) <= 4:
            qrels.setdefault(parts[0], {})[parts[1]] = 1
    return Collection("cranfield", docs, queries, qrels)


def ndcg_at(ranking: Sequence[str], relevant: Mapping[str, int], k: int = 10) -> float:
    """nDCG@k with binary gains (a document is relevant or not)."""
    dcg = sum(1 / math.log2(i + 2) for i, d in enumerate(ranking[:k]) if relevant.get(d, 0) > 0)
    ideal = sum(1 / math.log2(i + 2) for i in range(min(k, len(relevant))))
    return dcg / ideal if ideal else 0.0


def average_precision(ranking: Sequence[str], relevant: Mapping[str, int]) -> float:
    """Average precision of a ranking (unretrieved relevant documents count as misses)."""
    if not relevant:
        return 0.0
    hits = 0
    total = 0.0
    for i, doc in enumerate(ranking, 1):
        if relevant.get(doc, 0) > 0:
            hits += 1
            total += hits / i
    return total / len(relevant)


def score_run(collection: Collection, run: Mapping[str, Sequence[str]]) -> tuple[float, float]:
    """(mean nDCG@10, MAP) over the queries that have judgements."""
    judged = [q for q in collection.queries if collection.qrels.get(q)]
    ndcg = sum(ndcg_at(run.get(q, []), collection.qrels[q]) for q in judged) / len(judged)
    ap = sum(average_precision(run.get(q, []), collection.qrels[q]) for q in judged) / len(judged)
    return ndcg, ap


def bricolage_run(
    collection: Collection, *, k1: float = 1.2, b: float = 0.75, depth: int = 1000
) -> dict[str, list[str]]:
    """Index the collection with bricolage.search (in memory) and run every query."""
    from bricolage.search import Index, Match, Schema, TextField

    index = Index.in_memory(Schema(TextField("text", stored=False)))
    with index.writer() as writer:
        for doc_id, text in collection.docs.items():
            writer.add(doc_id, text=text)
    return {
        qid: index.search(Match(text), limit=depth, k1=k1, b=b).ids
        for qid, text in collection.queries.items()
    }
