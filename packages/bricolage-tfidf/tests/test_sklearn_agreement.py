"""Agreement with scikit-learn's TfidfVectorizer on real text, to 1e-12."""

from __future__ import annotations

import itertools
from typing import Any

import numpy as np
import pytest
import scipy.sparse as sp
from sklearn.feature_extraction.text import TfidfVectorizer as SkTfidf  # type: ignore[import-untyped]

from bricolage.tfidf import TfidfVectorizer

TOLERANCE = 1e-12
COMBINATIONS = list(
    itertools.product(["l2", "l1", None], [True, False], [True, False], [True, False])
)


def _max_difference(ours: sp.csr_matrix, theirs: sp.csr_matrix) -> float:
    assert ours.shape == theirs.shape
    difference = abs(sp.csr_matrix(ours) - sp.csr_matrix(theirs))
    return float(difference.max()) if difference.nnz else 0.0


def _compare(
    documents: tuple[str, ...], unseen: tuple[str, ...], **params: Any
) -> tuple[float, float]:
    theirs = SkTfidf(**params)
    ours = TfidfVectorizer(**params)
    expected = theirs.fit_transform(documents)
    got = ours.fit_transform(documents)
    assert type(got) is type(expected)
    assert got.dtype == expected.dtype
    assert got.indices.dtype == expected.indices.dtype
    assert ours.get_feature_names_out().tolist() == theirs.get_feature_names_out().tolist()
    assert ours.vocabulary_ == theirs.vocabulary_
    if params.get("use_idf", True):
        np.testing.assert_allclose(ours.idf_, theirs.idf_, rtol=0, atol=TOLERANCE)
    fitted = _max_difference(got, expected)
    transformed = _max_difference(ours.transform(unseen), theirs.transform(unseen))
    return fitted, transformed


@pytest.mark.parametrize(
    ("norm", "use_idf", "smooth_idf", "sublinear_tf"),
    COMBINATIONS,
    ids=[f"norm={n}-idf={u}-smooth={s}-sublinear={t}" for n, u, s, t in COMBINATIONS],
)
def test_every_weighting_combination_agrees(
    vaswani_docs: tuple[str, ...],
    norm: str | None,
    use_idf: bool,
    smooth_idf: bool,
    sublinear_tf: bool,
) -> None:
    fitted, transformed = _compare(
        vaswani_docs[:2000],
        vaswani_docs[10_000:10_400],
        norm=norm,
        use_idf=use_idf,
        smooth_idf=smooth_idf,
        sublinear_tf=sublinear_tf,
    )
    assert fitted <= TOLERANCE
    assert transformed <= TOLERANCE


@pytest.mark.parametrize(
    "params",
    [
        {"ngram_range": (1, 2)},
        {"ngram_range": (1, 3), "min_df": 2, "max_df": 0.5},
        {"ngram_range": (2, 3), "stop_words": "english", "sublinear_tf": True},
        {"ngram_range": (2, 2), "min_df": 0.001, "max_df": 40, "norm": "l1"},
        {"min_df": 3, "max_df": 0.2, "smooth_idf": False},
        {"max_features": 500, "ngram_range": (1, 2), "stop_words": "english"},
        {"max_features": 300, "binary": True, "use_idf": False},
        {"stop_words": ["the", "of", "and"], "lowercase": False},
        {"token_pattern": r"(?u)\b\w+\b", "ngram_range": (1, 2)},
        {"token_pattern": r"(\w+)ing\b"},
        {"analyzer": "char_wb", "ngram_range": (2, 4), "min_df": 2},
        {"analyzer": "char", "ngram_range": (1, 3), "max_df": 0.9},
        {"strip_accents": "unicode", "ngram_range": (1, 2)},
        {"strip_accents": "ascii"},
    ],
    ids=lambda params: ",".join(f"{k}={v}" for k, v in params.items()),
)
def test_ngrams_and_document_frequency_limits_agree(
    cranfield_docs: tuple[str, ...], params: dict[str, Any]
) -> None:
    fitted, transformed = _compare(cranfield_docs[:900], cranfield_docs[900:], **params)
    assert fitted <= TOLERANCE
    assert transformed <= TOLERANCE


def test_fixed_vocabulary_agrees(vaswani_docs: tuple[str, ...]) -> None:
    vocabulary = ["computer", "digital", "analogue computer", "zzz never", "the"]
    fitted, transformed = _compare(
        vaswani_docs[:2000], vaswani_docs[2000:2300], vocabulary=vocabulary, ngram_range=(1, 2)
    )
    assert fitted <= TOLERANCE
    assert transformed <= TOLERANCE
    mapping = {"magnetic field": 1, "electron": 0}
    fitted, transformed = _compare(
        vaswani_docs[:2000], vaswani_docs[2000:2300], vocabulary=mapping, ngram_range=(1, 2)
    )
    assert fitted <= TOLERANCE
    assert transformed <= TOLERANCE


def test_tokens_with_spaces_merge_with_ngrams_as_in_sklearn() -> None:
    def split(text: str) -> list[str]:
        return text.split("|")

    docs = ("x", "a b|a|b", "a|b|a b|a b", "b a|a b|b|a")
    for high in (2, 3):
        params = {"tokenizer": split, "ngram_range": (1, high), "token_pattern": None}
        fitted, transformed = _compare(docs, ("a b|a b|b a", "b|a"), **params)
        assert fitted <= TOLERANCE
        assert transformed <= TOLERANCE


def test_float32_output_matches_in_dtype(cranfield_docs: tuple[str, ...]) -> None:
    theirs = SkTfidf(dtype=np.float32).fit_transform(cranfield_docs)
    ours = TfidfVectorizer(dtype=np.float32).fit_transform(cranfield_docs)
    assert ours.dtype == theirs.dtype == np.float32
    assert _max_difference(ours, theirs) <= 1e-6


def test_whole_vaswani_collection_with_bigrams(vaswani_docs: tuple[str, ...]) -> None:
    fitted, transformed = _compare(
        vaswani_docs, vaswani_docs[:100], ngram_range=(1, 2), stop_words="english", min_df=2
    )
    assert fitted <= TOLERANCE
    assert transformed <= TOLERANCE
