"""Top terms per document and a summary of the corpus, as plain values."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
import scipy.sparse as sp

from bricolage.tfidf._weighting import as_csr
from bricolage.tfidf.errors import ConfigurationError

__all__ = ["CorpusSummary", "TermStat", "TermWeight", "summarize", "top_terms"]

FeatureNames = Sequence[str] | npt.NDArray[np.object_]


@dataclass(frozen=True, slots=True)
class TermWeight:
    """A term and its weight in one document (or in the whole corpus).

    >>> from bricolage.tfidf import TermWeight
    >>> TermWeight("cat", 0.5)
    TermWeight(term='cat', weight=0.5)
    """

    term: str
    weight: float


@dataclass(frozen=True, slots=True)
class TermStat:
    """A term with its document frequency, its share of documents and its total weight.

    >>> from bricolage.tfidf import TermStat
    >>> TermStat("cat", 2, 0.5, 1.25).document_share
    0.5
    """

    term: str
    document_frequency: int
    document_share: float
    total_weight: float


@dataclass(frozen=True, slots=True)
class CorpusSummary:
    """Figures about a weighted corpus: sizes, the commonest and the most distinctive terms.

    ``distinctive`` ranks terms by their total weight over the corpus (a term frequent in
    few documents ranks high); ``common`` ranks them by document frequency.
    ``df_histogram`` counts terms by document frequency in buckets (label, count).

    >>> from bricolage.tfidf import TfidfVectorizer, summarize
    >>> summary = summarize(TfidfVectorizer().fit_transform(["a cat", "a cat sat"]),
    ...                     ["cat", "sat"])
    >>> summary.n_documents, summary.n_terms, summary.common[0].term
    (2, 2, 'cat')
    """

    n_documents: int
    n_terms: int
    n_nonzero: int
    density: float
    mean_terms_per_document: float
    empty_documents: int
    common: tuple[TermStat, ...]
    distinctive: tuple[TermStat, ...]
    df_histogram: tuple[tuple[str, int], ...]


def _check(matrix: sp.spmatrix | sp.sparray, names: FeatureNames) -> sp.csr_matrix:
    csr = as_csr(matrix)
    if csr.shape[1] != len(names):
        raise ConfigurationError(
            f"the matrix has {csr.shape[1]} columns but {len(names)} feature names were given; "
            "pass the names of the vectorizer that produced the matrix"
        )
    return csr


def top_terms(
    matrix: sp.spmatrix | sp.sparray, feature_names: FeatureNames, k: int = 10
) -> list[list[TermWeight]]:
    """The ``k`` highest-weighted terms of each row, heaviest first.

    Ties are broken by column order (alphabetical for a learnt vocabulary); terms with
    weight 0 are never listed.

    >>> from bricolage.tfidf import TfidfVectorizer, top_terms
    >>> vectorizer = TfidfVectorizer()
    >>> matrix = vectorizer.fit_transform(["cat cat dog", "dog bird"])
    >>> [t.term for t in top_terms(matrix, vectorizer.get_feature_names_out(), 2)[0]]
    ['cat', 'dog']
    """
    if k < 0:
        raise ConfigurationError(f"k={k!r} must be >= 0")
    csr = _check(matrix, feature_names)
    csr.sort_indices()
    names = list(feature_names)
    result: list[list[TermWeight]] = []
    indptr, indices, data = csr.indptr, csr.indices, csr.data
    for row in range(csr.shape[0]):
        start, end = int(indptr[row]), int(indptr[row + 1])
        weights = data[start:end]
        order = np.argsort(-weights, kind="stable")[:k]
        result.append(
            [
                TermWeight(names[int(indices[start + i])], float(weights[i]))
                for i in order.tolist()
                if weights[i] != 0
            ]
        )
    return result


def _buckets(df: npt.NDArray[np.int64]) -> tuple[tuple[str, int], ...]:
    edges = [1, 2, 3, 5, 10, 20, 50, 100, 200, 500, 1000, 10_000, 100_000]
    out: list[tuple[str, int]] = []
    for low, high in zip(edges, [*edges[1:], None], strict=True):
        if high is None:
            count = int((df >= low).sum())
            label = f"{low}+"
        else:
            count = int(((df >= low) & (df < high)).sum())
            label = str(low) if high == low + 1 else f"{low}-{high - 1}"
        if count or high is None or low <= int(df.max(initial=0)):
            out.append((label, count))
    while out and out[-1][1] == 0:
        out.pop()
    return tuple(out)


def summarize(
    matrix: sp.spmatrix | sp.sparray, feature_names: FeatureNames, k: int = 20
) -> CorpusSummary:
    """Summarize a weighted document-term ``matrix`` whose columns are ``feature_names``.

    >>> from bricolage.tfidf import TfidfVectorizer, summarize
    >>> vectorizer = TfidfVectorizer()
    >>> matrix = vectorizer.fit_transform(["red apple", "green apple", "red wine"])
    >>> summary = summarize(matrix, vectorizer.get_feature_names_out(), k=2)
    >>> [(s.term, s.document_frequency) for s in summary.common]
    [('apple', 2), ('red', 2)]
    """
    if k < 0:
        raise ConfigurationError(f"k={k!r} must be >= 0")
    csr = _check(matrix, feature_names)
    n_docs, n_terms = csr.shape
    names = list(feature_names)
    present = csr.copy()
    present.eliminate_zeros()
    df = np.bincount(present.indices, minlength=n_terms).astype(np.int64)
    totals = np.asarray(abs(csr).sum(axis=0), dtype=np.float64).ravel()
    share = df / n_docs if n_docs else np.zeros(n_terms)

    def stats(order: npt.NDArray[np.intp]) -> tuple[TermStat, ...]:
        return tuple(
            TermStat(names[i], int(df[i]), float(share[i]), float(totals[i]))
            for i in order.tolist()
            if df[i] > 0
        )

    common = np.argsort(-df, kind="stable")[:k]
    distinctive = np.argsort(-totals, kind="stable")[:k]
    row_sizes = np.diff(present.indptr)
    return CorpusSummary(
        n_documents=n_docs,
        n_terms=n_terms,
        n_nonzero=int(present.nnz),
        density=float(present.nnz / (n_docs * n_terms)) if n_docs and n_terms else 0.0,
        mean_terms_per_document=float(row_sizes.mean()) if n_docs else 0.0,
        empty_documents=int((row_sizes == 0).sum()),
        common=stats(common),
        distinctive=stats(distinctive),
        df_histogram=_buckets(df),
    )
