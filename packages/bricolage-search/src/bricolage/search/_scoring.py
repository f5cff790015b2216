"""BM25 and BM25F as pure functions over numbers and numpy arrays."""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from bricolage.search.errors import QueryError

__all__ = ["BM25", "bm25_idf", "bm25_term_score"]

FloatArray = npt.NDArray[np.float64]


@dataclass(frozen=True, slots=True)
class BM25:
    """BM25 parameters, as Lucene defines the formula (its ``BM25Similarity``).

    For a term ``t`` in a document ``d``::

        idf(t)     = ln(1 + (N - df(t) + 0.5) / (df(t) + 0.5))
        score(t,d) = idf(t) * tf / (tf + k1 * (1 - b + b * dl / avgdl))

    As in Lucene, ``N`` counts the documents that have the field (a non-empty value),
    ``df(t)`` those containing ``t``, ``tf`` is the term's frequency in ``d``, ``dl`` the
    number of terms in ``d``'s field (removed stopwords do not count) and ``avgdl`` the
    mean of ``dl`` over the documents that have the field. The IDF never goes negative.
    Like Lucene 8 and later, the constant factor ``(k1 + 1)`` of the textbook formula is
    left out: it changes no ranking. Unlike Lucene, document lengths are exact, not
    rounded to one byte.

    Across several fields (BM25F), each field's term frequency is normalised by its own
    length and weighted, then the sum saturates once::

        tf~(t,d)   = sum over fields f of  w_f * tf_f / (1 - b + b * dl_f / avgdl_f)
        score(t,d) = idf(t) * tf~ / (k1 + tf~)

    with ``N`` counting documents that have any of those fields and ``df(t)`` those that
    contain ``t`` in any of them. With one field of weight 1 this is the formula above.

    Args:
        k1: term-frequency saturation, ``>= 0`` (Lucene's default 1.2).
        b: length normalisation between 0 (none) and 1 (full), default 0.75.

    >>> BM25(k1=1.5, b=0.75)
    BM25(k1=1.5, b=0.75)
    """

    k1: float = 1.2
    b: float = 0.75

    def __post_init__(self) -> None:
        k1: object = self.k1
        b: object = self.b
        if not (isinstance(k1, int | float) and math.isfinite(k1) and k1 >= 0):
            raise QueryError(f"BM25 k1 must be a finite number >= 0, got {self.k1!r}")
        if not (isinstance(b, int | float) and 0 <= b <= 1):
            raise QueryError(f"BM25 b must be between 0 and 1, got {self.b!r}")


def bm25_idf(n_docs: int, doc_freq: int) -> float:
    """Lucene's BM25 IDF: ``ln(1 + (N - df + 0.5) / (df + 0.5))``.

    >>> from bricolage.search.scoring import bm25_idf
    >>> round(bm25_idf(10, 1), 4)
    1.9924
    """
    return math.log1p((n_docs - doc_freq + 0.5) / (doc_freq + 0.5))


def bm25_term_score(
    tf: float, doc_len: float, avg_len: float, idf: float, params: BM25 = BM25()
) -> float:
    """One term's BM25 score in one document (see :class:`BM25`).

    >>> from bricolage.search.scoring import bm25_term_score
    >>> round(bm25_term_score(tf=2, doc_len=10, avg_len=10, idf=1.0), 4)
    0.625
    """
    norm = 1 - params.b + params.b * doc_len / avg_len
    return idf * tf / (tf + params.k1 * norm)


def idf_array(n_docs: int, doc_freq: npt.NDArray[np.int64]) -> FloatArray:
    """Vectorised :func:`bm25_idf`."""
    df = doc_freq.astype(np.float64)
    return np.log1p((n_docs - df + 0.5) / (df + 0.5))


def length_norm(lengths: npt.NDArray[np.int32], avg_len: float, b: float) -> FloatArray:
    """``1 - b + b * dl / avgdl`` for every document."""
    if avg_len <= 0:
        return np.ones(len(lengths), dtype=np.float64)
    return (1.0 - b) + b * (lengths.astype(np.float64) / avg_len)
