"""Properties that hold for any corpus, checked with hypothesis."""

from __future__ import annotations

import re
import string
from collections import Counter
from pathlib import Path
from tempfile import TemporaryDirectory

import numpy as np
import scipy.sparse as sp
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bricolage.tfidf import TfidfVectorizer, idf_weights, load_model
from bricolage.tfidf._analysis import DEFAULT_TOKEN_PATTERN, compile_token_pattern, word_ngrams

WORDS = ["alpha", "beta", "gamma", "delta", "the", "of", "x", "Beta", "éclair", "naïve", "42"]
word = st.sampled_from(WORDS)
document = st.lists(word, max_size=12).map(" ".join)
corpus = st.lists(document, min_size=1, max_size=12).filter(
    lambda docs: any(re.search(r"\w\w", d) for d in docs)
)
ngram_ranges = st.sampled_from([(1, 1), (1, 2), (2, 2), (1, 3), (2, 3), (3, 3)])
tf_kinds = st.sampled_from(["raw", "frequency", "log", "boolean", "augmented"])
idf_kinds = st.sampled_from(["plain", "smooth", "probabilistic"])
stop_lists = st.sampled_from([None, "english", ["alpha"]])
FAST = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def _same(a: sp.csr_matrix, b: sp.csr_matrix) -> bool:
    if a.shape != b.shape:
        return False
    difference = abs(sp.csr_matrix(a) - sp.csr_matrix(b))
    return difference.nnz == 0 or float(difference.max()) <= 1e-12


def _vectorizer(**params: object) -> TfidfVectorizer:
    return TfidfVectorizer(**params)  # type: ignore[arg-type]


@FAST
@given(st.text(alphabet=string.ascii_letters + " _-'.,\n\té9", max_size=60))
def test_fast_default_pattern_finds_what_the_documented_pattern_finds(text: str) -> None:
    assert compile_token_pattern(DEFAULT_TOKEN_PATTERN)(text) == re.findall(
        DEFAULT_TOKEN_PATTERN, text
    )


@FAST
@given(corpus, ngram_ranges, stop_lists)
def test_counts_equal_the_string_analysis(
    docs: list[str], ngram_range: tuple[int, int], stop: object
) -> None:
    vectorizer = _vectorizer(ngram_range=ngram_range, stop_words=stop, norm=None, use_idf=False)
    analyze = vectorizer.build_analyzer()
    try:
        matrix = vectorizer.fit_transform(docs)
    except ValueError:
        assert all(not analyze(d) for d in docs)
        return
    names = vectorizer.get_feature_names_out().tolist()
    for row, doc in enumerate(docs):
        expected = Counter(analyze(doc))
        got = {names[c]: v for c, v in zip(matrix[row].indices, matrix[row].data, strict=True)}
        assert got == expected


@FAST
@given(corpus, st.sampled_from(["l1", "l2"]), tf_kinds, idf_kinds)
def test_rows_are_normalised(docs: list[str], norm: str, tf: str, idf: str) -> None:
    matrix = _vectorizer(norm=norm, tf=tf, idf=idf).fit_transform(docs)
    if norm == "l2":
        sizes = np.sqrt(np.asarray(matrix.multiply(matrix).sum(axis=1)).ravel())
    else:
        sizes = np.asarray(abs(matrix).sum(axis=1)).ravel()
    nonzero = np.diff(matrix.indptr) > 0
    has_weight = np.asarray(abs(matrix).sum(axis=1)).ravel() > 0
    np.testing.assert_allclose(sizes[has_weight], 1.0, atol=1e-12)
    assert (sizes[~nonzero] == 0).all()


@FAST
@given(
    st.lists(st.integers(min_value=1, max_value=500), min_size=2, max_size=30),
    st.integers(min_value=0, max_value=500),
    idf_kinds,
)
def test_idf_never_increases_with_document_frequency(
    dfs: list[int], extra: int, kind: str
) -> None:
    n = max(dfs) + extra
    order = np.argsort(dfs, kind="stable")
    weights = idf_weights(np.asarray(dfs)[order], n, kind)  # type: ignore[arg-type]
    assert (np.diff(weights) <= 1e-15).all()
    assert (weights >= 0).all()


@FAST
@given(corpus, st.integers(min_value=1, max_value=5), ngram_ranges, tf_kinds, idf_kinds)
def test_streaming_equals_in_memory(
    docs: list[str], batch_size: int, ngram_range: tuple[int, int], tf: str, idf: str
) -> None:
    params = {"ngram_range": ngram_range, "tf": tf, "idf": idf}
    memory = _vectorizer(**params)
    try:
        expected = memory.fit_transform(docs)
    except ValueError:
        return
    streamed = _vectorizer(batch_size=batch_size, **params).fit(iter(docs))
    assert streamed.vocabulary_ == memory.vocabulary_
    np.testing.assert_array_equal(streamed.idf_, memory.idf_)
    blocks = list(streamed.transform_batches(iter(docs), batch_size))
    assert _same(sp.vstack(blocks, format="csr"), expected)
    pieces = _vectorizer(**params)
    for start in range(0, len(docs), batch_size):
        pieces.partial_fit(docs[start : start + batch_size])
    assert _same(pieces.transform(docs), expected)


@FAST
@given(corpus, ngram_ranges, tf_kinds, idf_kinds, stop_lists, st.sampled_from(["l1", "l2", None]))
def test_save_and_load_round_trip(
    docs: list[str],
    ngram_range: tuple[int, int],
    tf: str,
    idf: str,
    stop: object,
    norm: str | None,
) -> None:
    vectorizer = _vectorizer(ngram_range=ngram_range, tf=tf, idf=idf, stop_words=stop, norm=norm)
    try:
        expected = vectorizer.fit_transform(docs)
    except ValueError:
        return
    with TemporaryDirectory() as folder:
        loaded = load_model(vectorizer.save(Path(folder, "model.btfidf")))
    assert loaded.vocabulary_ == vectorizer.vocabulary_
    assert loaded.get_params() == vectorizer.get_params()
    np.testing.assert_array_equal(loaded.idf_, vectorizer.idf_)
    np.testing.assert_array_equal(loaded.document_frequency_, vectorizer.document_frequency_)
    assert loaded.n_documents_ == vectorizer.n_documents_
    assert _same(loaded.transform(docs), expected)


@FAST
@given(st.lists(word, max_size=15), ngram_ranges)
def test_word_ngrams_counts(tokens: list[str], ngram_range: tuple[int, int]) -> None:
    grams = word_ngrams(tokens, ngram_range)
    low, high = ngram_range
    assert len(grams) == sum(max(len(tokens) - n + 1, 0) for n in range(low, high + 1))
