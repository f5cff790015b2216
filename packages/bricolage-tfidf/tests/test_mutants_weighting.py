"""Exact checks of the weighting functions: defaults, dtypes, shapes, and no aliasing.

Written for mutation testing (``nox -s "mutation(tfidf._weighting)"``): each test fails for
mutants of ``bricolage.tfidf._weighting`` that the behavioural tests let through.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
import scipy.sparse as sp

from bricolage.tfidf import idf_weights, normalize_rows, weigh_tf
from bricolage.tfidf._weighting import as_csr

KINDS = ("plain", "smooth", "probabilistic")


def test_smooth_is_the_default_idf() -> None:
    got = idf_weights([1, 2, 4], 4).tolist()
    assert got == pytest.approx([math.log(5 / 2) + 1, math.log(5 / 3) + 1, math.log(5 / 5) + 1])


@pytest.mark.parametrize("kind", KINDS)
def test_idf_keeps_the_requested_dtype(kind: str) -> None:
    weights = idf_weights([1, 2], 4, kind, np.float32)  # type: ignore[arg-type]
    assert weights.dtype == np.float32


@pytest.mark.parametrize("kind", KINDS)
def test_idf_leaves_the_caller_array_alone(kind: str) -> None:
    df = np.array([1.0, 2.0, 4.0])
    idf_weights(df, 4, kind)  # type: ignore[arg-type]
    assert df.tolist() == [1.0, 2.0, 4.0]


def test_probabilistic_idf_of_an_empty_collection_is_zero_without_warnings() -> None:
    # 0/0 inside: no RuntimeWarning (warnings are errors here), and 0 rather than nan.
    assert idf_weights([0], 0, "probabilistic").tolist() == [0.0]
    assert idf_weights([0, 3], 3, "probabilistic").tolist() == [math.inf, 0.0]


def test_frequency_tf_divides_by_the_row_sum_when_no_lengths_are_given() -> None:
    counts = sp.csr_matrix([[1, 0, 4], [0, 0, 0], [2, 2, 0]])
    got = weigh_tf(counts, "frequency").toarray().tolist()
    assert got == [[0.2, 0.0, 0.8], [0.0, 0.0, 0.0], [0.5, 0.5, 0.0]]


def test_weigh_tf_keeps_the_shape_and_leaves_the_counts_alone() -> None:
    counts = sp.csr_matrix(np.array([[2.0, 0.0, 0.0], [0.0, 0.0, 0.0]]))
    weights = weigh_tf(counts, "log")
    assert weights.shape == (2, 3)
    assert counts.toarray().tolist() == [[2.0, 0.0, 0.0], [0.0, 0.0, 0.0]]
    assert weights.toarray()[0, 0] == pytest.approx(1 + math.log(2))


def test_normalize_rows_keeps_float32() -> None:
    matrix = sp.csr_matrix(np.array([[3.0, 4.0]], dtype=np.float32))
    out = normalize_rows(matrix, "l1")
    assert out.dtype == np.float32
    assert out.toarray()[0].tolist() == pytest.approx([3 / 7, 4 / 7])


def test_as_csr_shares_unless_asked_to_copy_and_converts_dtype() -> None:
    matrix = sp.csr_matrix(np.array([[1.0, 0.0, 2.0]]))
    assert np.shares_memory(as_csr(matrix).data, matrix.data)
    assert not np.shares_memory(as_csr(matrix, copy=True).data, matrix.data)
    assert as_csr(sp.csr_matrix([[1, 0, 2]]), np.float32).dtype == np.float32
