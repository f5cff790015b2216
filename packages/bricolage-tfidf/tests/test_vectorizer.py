"""Behaviour of the vectorizer beyond agreement: variants, parameters, errors."""

from __future__ import annotations

import math
import re
from collections.abc import Iterator
from typing import Any

import numpy as np
import pytest
import scipy.sparse as sp

from bricolage.tfidf import (
    ENGLISH_STOP_WORDS,
    Analyzer,
    ConfigurationError,
    DocumentError,
    EmptyVocabularyError,
    NotFittedError,
    TfidfError,
    TfidfVectorizer,
    idf_weights,
    normalize_rows,
    weigh_tf,
)

DOCS = ["the cat sat on the mat", "the dog sat", "a cat and a dog and a bird"]


def _dense(matrix: sp.csr_matrix) -> np.ndarray[Any, np.dtype[np.float64]]:
    return np.asarray(matrix.toarray(), dtype=np.float64)


def _reference(docs: list[str], tf: str, idf: str | None) -> np.ndarray[Any, Any]:
    """The textbook formulas, computed densely and independently."""
    vectorizer = TfidfVectorizer(norm=None, use_idf=False)
    counts = _dense(vectorizer.fit_transform(docs))
    lengths = np.array([len(vectorizer.build_analyzer()(d)) for d in docs], dtype=float)
    present = counts > 0
    if tf == "raw":
        weights = counts
    elif tf == "frequency":
        weights = counts / lengths[:, None]
    elif tf == "log":
        weights = np.where(present, 1 + np.log(np.where(present, counts, 1)), 0)
    elif tf == "boolean":
        weights = present.astype(float)
    else:
        weights = np.where(present, 0.5 + 0.5 * counts / counts.max(axis=1, keepdims=True), 0)
    n = len(docs)
    df = present.sum(axis=0)
    if idf == "plain":
        weights = weights * (np.log(n / df) + 1)
    elif idf == "smooth":
        weights = weights * (np.log((n + 1) / (df + 1)) + 1)
    elif idf == "probabilistic":
        weights = weights * np.maximum(0, np.log((n - df) / df))
    return np.asarray(weights)


@pytest.mark.parametrize("tf", ["raw", "frequency", "log", "boolean", "augmented"])
@pytest.mark.parametrize("idf", ["plain", "smooth", "probabilistic", None])
def test_tf_and_idf_variants_follow_their_formulas(tf: str, idf: str | None) -> None:
    params: dict[str, Any] = {"norm": None, "tf": tf}
    if idf is None:
        params["use_idf"] = False
    else:
        params["idf"] = idf
    got = _dense(TfidfVectorizer(**params).fit_transform(DOCS))
    np.testing.assert_allclose(got, _reference(DOCS, tf, idf), rtol=0, atol=1e-12)


def test_frequency_counts_terms_outside_the_vocabulary_in_the_length() -> None:
    vectorizer = TfidfVectorizer(tf="frequency", use_idf=False, norm=None).fit(["cat dog"])
    assert _dense(vectorizer.transform(["cat cat unknown word"])).tolist() == [[0.5, 0.0]]


def test_tf_kind_and_idf_kind_follow_the_sklearn_flags() -> None:
    assert TfidfVectorizer().tf_kind == "raw"
    assert TfidfVectorizer(tf="log", sublinear_tf=True).tf_kind == "log"
    assert TfidfVectorizer(use_idf=False).idf_kind is None
    assert TfidfVectorizer(idf="probabilistic").idf_kind == "probabilistic"


@pytest.mark.parametrize(
    ("params", "fragment"),
    [
        ({"norm": "l3"}, "norm='l3'"),
        ({"strip_accents": "latin"}, "strip_accents='latin'"),
        ({"analyzer": "sentence"}, "analyzer='sentence'"),
        ({"ngram_range": (2, 1)}, "ngram_range=(2, 1)"),
        ({"ngram_range": [1, 2]}, "ngram_range=[1, 2]"),
        ({"ngram_range": (0, 1)}, "ngram_range=(0, 1)"),
        ({"max_df": 1.5}, "max_df=1.5"),
        ({"min_df": -1}, "min_df=-1"),
        ({"min_df": True}, "min_df=True"),
        ({"max_features": 0}, "max_features=0"),
        ({"dtype": np.int64}, "dtype="),
        ({"tf": "square"}, "tf='square'"),
        ({"tf": "raw", "sublinear_tf": True}, "contradicts"),
        ({"idf": "bm25"}, "idf='bm25'"),
        ({"idf": "smooth", "use_idf": False}, "needs use_idf"),
        ({"batch_size": 0}, "batch_size=0"),
        ({"token_pattern": "(a)(b)"}, "2 capturing groups"),
        ({"token_pattern": "(unclosed"}, "not a valid regex"),
        ({"token_pattern": 5}, "token_pattern=5"),
        ({"token_pattern": None}, "token_pattern=None needs a tokenizer"),
        ({"stop_words": "klingon"}, "stop_words='klingon'"),
        ({"stop_words": ["ok", 3]}, "must hold strings"),
        ({"vocabulary": "cat"}, "not a single str"),
        ({"vocabulary": []}, "vocabulary is empty"),
        ({"vocabulary": ["a", "a"]}, "twice"),
        ({"vocabulary": {"a": 0, "b": 0}}, "same column"),
        ({"vocabulary": {"a": 0, "b": 2}}, "does not contain column 1"),
    ],
)
def test_bad_parameters_are_refused_with_the_value(params: dict[str, Any], fragment: str) -> None:
    with pytest.raises(ConfigurationError, match=re.escape(fragment)):
        TfidfVectorizer(**params)


def test_errors_inherit_the_builtins() -> None:
    assert issubclass(ConfigurationError, ValueError)
    assert issubclass(NotFittedError, AttributeError)
    assert issubclass(DocumentError, TypeError)
    assert all(issubclass(e, TfidfError) for e in (ConfigurationError, NotFittedError))


def test_not_fitted() -> None:
    vectorizer = TfidfVectorizer()
    for use in (
        lambda: vectorizer.transform(["a"]),
        lambda: vectorizer.vocabulary_,
        lambda: vectorizer.idf_,
        vectorizer.get_feature_names_out,
    ):
        with pytest.raises(NotFittedError, match="not fitted"):
            use()


def test_idf_without_use_idf_is_an_error() -> None:
    with pytest.raises(NotFittedError, match="use_idf=True"):
        _ = TfidfVectorizer(use_idf=False).fit(DOCS).idf_


def test_documents_must_be_strings() -> None:
    with pytest.raises(DocumentError, match="decode bytes first"):
        TfidfVectorizer().fit([b"bytes"])  # type: ignore[list-item]
    with pytest.raises(DocumentError, match="NoneType"):
        TfidfVectorizer(analyzer="char").fit([None])  # type: ignore[list-item]
    with pytest.raises(ConfigurationError, match="wrap it in a list"):
        TfidfVectorizer().fit("one document")


def test_empty_vocabulary_and_pruning_errors() -> None:
    with pytest.raises(EmptyVocabularyError, match="empty vocabulary"):
        TfidfVectorizer(stop_words="english").fit(["the and of", "a"])
    with pytest.raises(EmptyVocabularyError, match="removed every term"):
        TfidfVectorizer(min_df=3).fit(DOCS)
    with pytest.raises(ConfigurationError, match="fewer documents than"):
        TfidfVectorizer(min_df=3, max_df=2).fit(DOCS)
    with pytest.raises(ConfigurationError, match="fewer documents than"):
        TfidfVectorizer(min_df=0.6, max_df=0.5).fit(DOCS)


@pytest.mark.parametrize("method", ["fit", "fit_transform"])
def test_an_empty_corpus_is_named_as_such(method: str) -> None:
    vectorizer = TfidfVectorizer()
    with pytest.raises(EmptyVocabularyError, match=r"the corpus is empty: \w+\(\) got no") as info:
        getattr(vectorizer, method)([])
    assert not isinstance(info.value, NotFittedError)
    assert "fit() first" not in str(info.value)
    with pytest.raises(EmptyVocabularyError, match="corpus is empty"):
        getattr(vectorizer, method)(iter(()))


def test_min_df_above_the_corpus_size_says_pruning_removed_every_term() -> None:
    docs = ["red apple", "green apple"]
    for params in ({"min_df": 5}, {"min_df": 3, "stop_words": "english"}):
        with pytest.raises(EmptyVocabularyError) as info:
            TfidfVectorizer(**params).fit(docs)
        message = str(info.value)
        assert "pruning by document frequency removed every term" in message
        assert f"min_df={params['min_df']}" in message
        assert "the corpus has 2" in message
        assert "stop word" not in message
        assert "max_df=1.0" not in message


def test_a_max_df_that_prunes_every_term_says_so() -> None:
    docs = ["red apple", "green apple", "apple red"]
    with pytest.raises(EmptyVocabularyError) as info:
        TfidfVectorizer(max_df=0.2).fit(docs)
    message = str(info.value)
    assert "removed every term" in message
    assert "max_df=0.2" in message
    assert "stop word" not in message
    with pytest.raises(EmptyVocabularyError, match="1 to 3 documents"):
        TfidfVectorizer(min_df=0.9, max_df=0.95).fit(docs)


def test_unknown_terms_and_empty_documents_give_empty_rows() -> None:
    vectorizer = TfidfVectorizer().fit(DOCS)
    matrix = vectorizer.transform(["", "zebra quagga", "cat"])
    assert matrix.getnnz(axis=1).tolist() == [0, 0, 1]
    assert vectorizer.transform([]).shape == (0, len(vectorizer.vocabulary_))


def test_fixed_vocabulary_keeps_its_order_and_ignores_pruning() -> None:
    vectorizer = TfidfVectorizer(vocabulary=["sat", "cat", "unicorn"], min_df=3)
    matrix = vectorizer.fit_transform(DOCS)
    assert vectorizer.get_feature_names_out().tolist() == ["sat", "cat", "unicorn"]
    assert vectorizer.fixed_vocabulary_
    assert vectorizer.document_frequency_.tolist() == [2, 2, 0]
    assert matrix.shape == (3, 3)


def test_callable_analyzer_plugs_in_and_receives_the_raw_document() -> None:
    seen: list[str] = []

    def shout(text: str) -> list[str]:
        seen.append(text)
        return text.upper().split()

    assert isinstance(shout, Analyzer)
    vectorizer = TfidfVectorizer(analyzer=shout)
    vectorizer.fit(["Red apple", "green Apple"])
    assert vectorizer.get_feature_names_out().tolist() == ["APPLE", "GREEN", "RED"]
    assert seen == ["Red apple", "green Apple"]
    assert vectorizer.build_analyzer()("a b") == ["A", "B"]


def test_analyzer_may_return_any_iterable() -> None:
    vectorizer = TfidfVectorizer(analyzer=lambda text: iter(text.split()))  # type: ignore[arg-type,return-value]
    assert vectorizer.fit(["b a"]).get_feature_names_out().tolist() == ["a", "b"]


def test_tokenizer_and_preprocessor_replace_their_steps() -> None:
    vectorizer = TfidfVectorizer(tokenizer=str.split, preprocessor=str.strip, lowercase=True)
    vectorizer.fit(["  Hello, World  "])
    assert vectorizer.get_feature_names_out().tolist() == ["Hello,", "World"]


def test_accents_and_case() -> None:
    ascii_only = TfidfVectorizer(strip_accents="ascii", lowercase=False).fit(["Café Noël"])
    assert ascii_only.get_feature_names_out().tolist() == ["Cafe", "Noel"]
    unicode_ = TfidfVectorizer(strip_accents="unicode", analyzer="char", ngram_range=(2, 2))
    assert "ca" in unicode_.fit(["Ça"]).vocabulary_
    kept_case = TfidfVectorizer(lowercase=False, analyzer="char_wb", ngram_range=(3, 3))
    assert " Ab" in kept_case.fit(["Ab"]).vocabulary_


def test_binary_counts_each_term_once_before_weighting() -> None:
    matrix = TfidfVectorizer(binary=True, use_idf=False, norm=None).fit_transform(["cat cat cat"])
    assert _dense(matrix).tolist() == [[1.0]]


def test_generators_are_read_once_and_in_batches() -> None:
    pulled: list[int] = []

    def stream() -> Iterator[str]:
        for i, doc in enumerate(DOCS * 10):
            pulled.append(i)
            yield doc

    vectorizer = TfidfVectorizer(batch_size=4).fit(stream())
    assert vectorizer.n_documents_ == 30
    assert pulled == list(range(30))
    with pytest.raises(ConfigurationError, match="batch_size=0"):
        list(vectorizer.transform_batches(DOCS, 0))


def test_partial_fit_adds_documents_and_refits_lazily() -> None:
    vectorizer = TfidfVectorizer(min_df=2)
    vectorizer.partial_fit(["cat dog", "cat"])
    assert vectorizer.get_feature_names_out().tolist() == ["cat"]
    vectorizer.partial_fit(["dog bird"])
    assert vectorizer.get_feature_names_out().tolist() == ["cat", "dog"]
    assert vectorizer.n_documents_ == 3
    vectorizer.fit(["new start", "new"])
    assert vectorizer.get_feature_names_out().tolist() == ["new"]


def test_max_features_keeps_the_most_frequent_terms() -> None:
    vectorizer = TfidfVectorizer(max_features=2).fit(["a1 a1 a1 b1 b1 c1", "b1 c1 d1"])
    assert vectorizer.get_feature_names_out().tolist() == ["a1", "b1"]


def test_repr_and_params() -> None:
    vectorizer = TfidfVectorizer(norm="l1", ngram_range=(1, 2))
    assert repr(vectorizer) == "TfidfVectorizer(ngram_range=(1, 2), norm='l1')"
    assert vectorizer.get_params()["ngram_range"] == (1, 2)


def test_stop_word_list_is_sklearns_size_and_lowercase() -> None:
    assert len(ENGLISH_STOP_WORDS) == 318
    assert all(word == word.lower() for word in ENGLISH_STOP_WORDS)


def test_weighting_helpers() -> None:
    counts = sp.csr_matrix([[2, 0, 1], [0, 0, 0]])
    assert _dense(weigh_tf(counts, "frequency", np.array([4, 0]))).tolist()[0] == [0.5, 0, 0.25]
    assert _dense(weigh_tf(counts, "raw", dtype=np.float32)).dtype == np.float64
    assert weigh_tf(counts, "raw", dtype=np.float32).dtype == np.float32
    l1 = normalize_rows(sp.csr_matrix([[1.0, -3.0], [0.0, 0.0]]), "l1")
    assert _dense(l1).tolist() == [[0.25, -0.75], [0.0, 0.0]]
    empty = sp.csr_matrix((2, 2))
    assert normalize_rows(empty, "l2") is empty
    assert math.isinf(float(idf_weights([0], 3, "plain")[0]))
    assert idf_weights([0, 3], 3, "probabilistic").tolist()[1] == 0.0
