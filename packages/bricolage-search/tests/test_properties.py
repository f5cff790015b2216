"""Properties: results equal a brute-force scan, scores equal the BM25 formula,
incremental edits equal a rebuild, and an index survives a save/load round trip."""

from __future__ import annotations

import math
import tempfile
from collections import Counter

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bricolage.search import (
    And,
    Fuzzy,
    Index,
    Match,
    MatchAll,
    Not,
    Or,
    Phrase,
    Prefix,
    Query,
    Schema,
    Term,
    TextField,
)
from bricolage.text import simple_analyzer

WORDS = ["ax", "by", "cz", "dw", "ev"]
word = st.sampled_from(WORDS)
doc_words = st.lists(word, max_size=8)
corpus = st.lists(doc_words, min_size=1, max_size=12)
PROFILE = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def schema() -> Schema:
    return Schema(TextField("body", simple_analyzer()))


def build(docs: list[list[str]]) -> Index:
    index = Index.in_memory(schema())
    with index.writer() as writer:
        for i, words in enumerate(docs):
            writer.add(f"d{i}", body=" ".join(words))
    return index


leaf = st.one_of(
    word.map(Term),
    st.lists(word, min_size=2, max_size=3).map(lambda ws: Phrase(" ".join(ws))),
    st.sampled_from("abcdexyz").map(Prefix),
    st.builds(Fuzzy, st.sampled_from(["ax", "bx", "zz", "cw", "e"]), distance=st.integers(0, 2)),
)
queries = st.recursive(
    leaf,
    lambda inner: st.one_of(
        st.lists(inner, min_size=1, max_size=3).map(lambda qs: And(*qs)),
        st.lists(inner, min_size=1, max_size=3).map(lambda qs: Or(*qs)),
        inner.map(Not),
        st.just(MatchAll()),
    ),
    max_leaves=6,
)


def contains_phrase(words: list[str], phrase: list[str]) -> bool:
    n = len(phrase)
    return any(words[i : i + n] == phrase for i in range(len(words) - n + 1))


def levenshtein(a: str, b: str) -> int:
    previous = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        current = [i]
        for j, cb in enumerate(b, 1):
            current.append(min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (ca != cb)))
        previous = current
    return previous[-1]


def brute_match(words: list[str], query: Query) -> bool:
    if isinstance(query, Term):
        return query.text in words
    if isinstance(query, Phrase):
        return contains_phrase(words, query.text.split())
    if isinstance(query, Prefix):
        return any(w.startswith(query.prefix) for w in words)
    if isinstance(query, Fuzzy):
        return any(levenshtein(w, query.text) <= query.distance for w in words)
    if isinstance(query, And):
        return all(brute_match(words, q) for q in query.clauses)
    if isinstance(query, Or):
        return any(brute_match(words, q) for q in query.clauses)
    if isinstance(query, Not):
        return not brute_match(words, query.clause)
    assert isinstance(query, MatchAll)
    return True


@PROFILE
@given(corpus, queries)
def test_boolean_phrase_prefix_fuzzy_results_equal_a_scan(
    docs: list[list[str]], query: Query
) -> None:
    index = build(docs)
    expected = {f"d{i}" for i, words in enumerate(docs) if brute_match(words, query)}
    results = index.search(query, limit=None)
    assert set(results.ids) == expected
    assert results.total == len(expected)
    scores = [hit.score for hit in results]
    assert scores == sorted(scores, reverse=True)


def bm25_expected(
    docs: list[list[str]], terms: list[str], k1: float, b: float
) -> dict[str, float]:
    with_text = [words for words in docs if words]
    n = len(with_text)
    avg = sum(len(words) for words in with_text) / n if n else 0.0
    out: dict[str, float] = {}
    for i, words in enumerate(docs):
        counts = Counter(words)
        total = 0.0
        for term in dict.fromkeys(terms):
            tf = counts[term]
            if not tf:
                continue
            df = sum(1 for other in docs if term in other)
            idf = math.log(1 + (n - df + 0.5) / (df + 0.5))
            total += idf * tf / (tf + k1 * (1 - b + b * len(words) / avg))
        if total:
            out[f"d{i}"] = total
    return out


@PROFILE
@given(
    corpus,
    st.lists(word, min_size=1, max_size=4),
    st.floats(0.0, 3.0),
    st.floats(0.0, 1.0),
)
def test_scores_equal_the_bm25_formula(
    docs: list[list[str]], terms: list[str], k1: float, b: float
) -> None:
    index = build(docs)
    found = {
        hit.id: hit.score for hit in index.search(Match(" ".join(terms)), k1=k1, b=b, limit=None)
    }
    expected = bm25_expected(docs, terms, k1, b)
    assert found.keys() == expected.keys()
    for doc_id, score in expected.items():
        assert found[doc_id] == pytest.approx(score, rel=1e-9)


@PROFILE
@given(corpus, st.lists(word, min_size=2, max_size=3), st.floats(0.1, 3.0), st.floats(0, 1))
def test_phrase_scores_follow_the_documented_formula(
    docs: list[list[str]], phrase: list[str], k1: float, b: float
) -> None:
    index = build(docs)
    with_text = [w for w in docs if w]
    n = len(with_text)
    avg = sum(len(w) for w in with_text) / n if n else 1.0
    idf = 0.0
    for term in phrase:
        df = sum(1 for w in docs if term in w)
        idf += math.log(1 + (n - df + 0.5) / (df + 0.5))
    expected = {}
    for i, words in enumerate(docs):
        m = len(phrase)
        pf = sum(1 for j in range(len(words) - m + 1) if words[j : j + m] == phrase)
        if pf:
            expected[f"d{i}"] = idf * pf / (pf + k1 * (1 - b + b * len(words) / avg))
    found = {h.id: h.score for h in index.search(Phrase(" ".join(phrase)), k1=k1, b=b, limit=None)}
    assert found.keys() == expected.keys()
    for doc_id, score in expected.items():
        assert found[doc_id] == pytest.approx(score, rel=1e-9)


@PROFILE
@given(
    st.lists(st.tuples(doc_words, doc_words), min_size=1, max_size=8),
    word,
    st.floats(0.1, 4.0),
    st.floats(0.1, 4.0),
    st.floats(0.1, 2.0),
    st.floats(0, 1),
)
def test_bm25f_combines_fields_as_documented(
    docs: list[tuple[list[str], list[str]]],
    term: str,
    w_title: float,
    w_body: float,
    k1: float,
    b: float,
) -> None:
    two = Schema(TextField("title", simple_analyzer()), TextField("body", simple_analyzer()))
    index = Index.in_memory(two)
    with index.writer() as writer:
        for i, (title, body) in enumerate(docs):
            writer.add(f"d{i}", title=" ".join(title), body=" ".join(body))

    def avg(column: int) -> float:
        lengths = [len(d[column]) for d in docs if d[column]]
        return sum(lengths) / len(lengths) if lengths else 1.0

    n = sum(1 for t, bd in docs if t or bd)
    df = sum(1 for t, bd in docs if term in t or term in bd)
    expected = {}
    for i, (title, body) in enumerate(docs):
        tf = 0.0
        for column, weight, words in ((0, w_title, title), (1, w_body, body)):
            if term in words:
                tf += weight * words.count(term) / (1 - b + b * len(words) / avg(column))
        if tf:
            idf = math.log(1 + (n - df + 0.5) / (df + 0.5))
            expected[f"d{i}"] = idf * tf / (k1 + tf)
    weights = {"title": w_title, "body": w_body}
    found = {
        h.id: h.score
        for h in index.search(Term(term), k1=k1, b=b, field_weights=weights, limit=None)
    }
    assert found.keys() == expected.keys()
    for doc_id, score in expected.items():
        assert found[doc_id] == pytest.approx(score, rel=1e-9)


operation: st.SearchStrategy[tuple[str, int, list[str]]] = st.one_of(
    st.tuples(st.just("update"), st.integers(0, 6), doc_words),
    st.tuples(st.just("delete"), st.integers(0, 6), st.just([])),
    st.tuples(st.just("commit"), st.just(0), st.just([])),
)
probe_queries = [Match("ax by"), Match("cz dw ev"), Phrase("ax by"), Term("ev") & ~Term("ax")]


def snapshot(index: Index) -> list[dict[str, float]]:
    return [{h.id: h.score for h in index.search(q, limit=None)} for q in probe_queries]


def assert_same(a: list[dict[str, float]], b: list[dict[str, float]]) -> None:
    for left, right in zip(a, b, strict=True):
        assert left.keys() == right.keys()
        for key, value in left.items():
            assert right[key] == pytest.approx(value, rel=1e-12)


@PROFILE
@given(corpus, st.lists(operation, max_size=25), st.booleans())
def test_incremental_edits_score_like_a_rebuild(
    initial: list[list[str]], operations: list[tuple[str, int, list[str]]], on_disk: bool
) -> None:
    with tempfile.TemporaryDirectory() as folder:
        index = Index.create(folder, schema()) if on_disk else Index.in_memory(schema())
        state: dict[str, str] = {}
        with index.writer() as writer:
            for i, words in enumerate(initial):
                writer.add(f"k{i % 7}", body=" ".join(words)) if f"k{i % 7}" not in state else None
                state.setdefault(f"k{i % 7}", " ".join(words))
        writer = index.writer()
        for kind, key, words in operations:
            doc_id = f"k{key}"
            if kind == "update":
                writer.update(doc_id, body=" ".join(words))
                state[doc_id] = " ".join(words)
            elif kind == "delete":
                assert writer.delete(doc_id) == (doc_id in state)
                state.pop(doc_id, None)
            else:
                writer.commit()
        writer.commit()
        writer.close()
        rebuilt = Index.in_memory(schema())
        with rebuilt.writer() as fresh:
            for doc_id, text in sorted(state.items()):
                fresh.add(doc_id, body=text)
        assert sorted(index.ids()) == sorted(state)
        assert_same(snapshot(index), snapshot(rebuilt))
        if on_disk:
            assert_same(snapshot(Index.open(folder)), snapshot(rebuilt))


@PROFILE
@given(corpus, st.lists(word, max_size=3))
def test_save_and_load_round_trip(docs: list[list[str]], keywords: list[str]) -> None:
    from bricolage.search import KeywordField, StoredField

    rich = Schema(
        TextField("body", simple_analyzer(), weight=1.5),
        KeywordField("kw"),
        StoredField("meta"),
    )
    with tempfile.TemporaryDirectory() as folder:
        index = Index.create(folder, rich)
        with index.writer() as writer:
            for i, words in enumerate(docs):
                writer.add(f"d{i}", body=" ".join(words), kw=keywords, meta={"n": i, "w": words})
        loaded = Index.open(folder)
        assert loaded.schema == rich
        assert loaded.ids() == index.ids()
        assert loaded.stats() == index.stats()
        for doc_id in index.ids():
            assert loaded.get(doc_id) == index.get(doc_id)
        assert_same(snapshot(loaded), snapshot(index))
        for kw in keywords:
            assert (
                loaded.search(f"kw:{kw}", limit=None).ids
                == index.search(f"kw:{kw}", limit=None).ids
            )
