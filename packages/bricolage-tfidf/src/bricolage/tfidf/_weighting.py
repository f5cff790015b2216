"""Term weighting as pure functions over arrays: TF variants, IDF variants, row norms."""

from __future__ import annotations

from typing import Any, Literal

import numpy as np
import numpy.typing as npt
import scipy.sparse as sp

__all__ = [
    "IdfKind",
    "NormKind",
    "TfKind",
    "apply_tf",
    "as_csr",
    "idf_weights",
    "normalize_rows",
    "weigh_tf",
]

TfKind = Literal["raw", "frequency", "log", "boolean", "augmented"]
IdfKind = Literal["plain", "smooth", "probabilistic"]
NormKind = Literal["l1", "l2"]

TF_KINDS: tuple[TfKind, ...] = ("raw", "frequency", "log", "boolean", "augmented")
IDF_KINDS: tuple[IdfKind, ...] = ("plain", "smooth", "probabilistic")
FloatArray = npt.NDArray[np.floating]


def as_csr(
    matrix: Any, dtype: Any = None, *, copy: bool = False, shape: tuple[int, int] | None = None
) -> sp.csr_matrix:
    """``matrix`` (a scipy sparse matrix or array, a dense array, or CSR arrays) as CSR."""
    converted: sp.csr_matrix = sp.csr_matrix(matrix, dtype=dtype, copy=copy, shape=shape)
    return converted


def idf_weights(
    document_frequency: npt.ArrayLike,
    n_documents: int,
    kind: IdfKind = "smooth",
    dtype: type[np.floating] = np.float64,
) -> FloatArray:
    """Inverse document frequencies, one per term.

    - ``"smooth"``: ``ln((1 + n) / (1 + df)) + 1``, as if one extra document held every term;
    - ``"plain"``: ``ln(n / df) + 1``;
    - ``"probabilistic"``: ``max(0, ln((n - df) / df))``.

    ``"smooth"`` and ``"plain"`` are scikit-learn's ``smooth_idf=True`` and ``False``
    (the ``+ 1`` keeps terms found in every document). A term with ``df = 0`` (only
    possible with a given vocabulary) gets ``inf`` from ``"plain"``.

    >>> from bricolage.tfidf import idf_weights
    >>> idf_weights([1, 2, 4], 4, "plain").round(4).tolist()
    [2.3863, 1.6931, 1.0]
    >>> idf_weights([1, 2, 4], 4, "probabilistic").round(4).tolist()
    [1.0986, 0.0, 0.0]
    """
    df = np.asarray(document_frequency).astype(dtype, copy=True)
    with np.errstate(divide="ignore", invalid="ignore"):
        if kind == "smooth":
            df += 1.0
            return np.asarray(np.log((n_documents + 1) / df) + 1.0, dtype=dtype)
        if kind == "plain":
            return np.asarray(np.log(n_documents / df) + 1.0, dtype=dtype)
        weights = np.log((n_documents - df) / df)
    weights = np.where(np.isnan(weights), 0.0, weights)
    return np.asarray(np.maximum(weights, 0.0), dtype=dtype)


def _row_sizes(matrix: sp.csr_matrix) -> npt.NDArray[np.intp]:
    # Typed through an annotated local: without scipy's stubs, ``indptr`` is ``Any``.
    indptr: npt.NDArray[np.integer] = np.asarray(matrix.indptr)
    return np.diff(indptr).astype(np.intp)


def _row_reduce(function: np.ufunc, values: FloatArray, matrix: sp.csr_matrix) -> FloatArray:
    """``function`` reduced over each row's values (0 for an empty row)."""
    sizes = _row_sizes(matrix)
    out = np.zeros(matrix.shape[0], dtype=values.dtype)
    filled = np.flatnonzero(sizes)
    if len(filled):
        out[filled] = function.reduceat(values, matrix.indptr[filled])
    return out


def apply_tf(matrix: sp.csr_matrix, kind: TfKind, lengths: npt.ArrayLike | None = None) -> None:
    """Turn the raw counts held by the float CSR ``matrix`` into TF weights, in place.

    See :func:`weigh_tf` for the variants.
    """
    data = matrix.data
    if kind == "log":
        np.log(data, out=data)
        data += 1.0
    elif kind == "boolean":
        data[:] = 1.0
    elif kind == "frequency":
        totals = _row_reduce(np.add, data, matrix) if lengths is None else np.asarray(lengths)
        data /= np.repeat(totals.astype(data.dtype), _row_sizes(matrix))
    elif kind == "augmented":
        peaks = _row_reduce(np.maximum, data, matrix)
        data /= np.repeat(peaks, _row_sizes(matrix))
        data *= 0.5
        data += 0.5


def weigh_tf(
    counts: sp.csr_matrix,
    kind: TfKind,
    lengths: npt.ArrayLike | None = None,
    dtype: type[np.floating] = np.float64,
) -> sp.csr_matrix:
    """A new CSR matrix of term-frequency weights from raw ``counts``.

    - ``"raw"``: the count;
    - ``"frequency"``: the count over the document's number of terms (``lengths``, or the
      row sum when not given);
    - ``"log"``: ``1 + ln(count)`` (scikit-learn's ``sublinear_tf``);
    - ``"boolean"``: 1 for every term present;
    - ``"augmented"``: ``0.5 + 0.5 * count / max count of the document``.

    >>> import scipy.sparse as sp
    >>> from bricolage.tfidf import weigh_tf
    >>> counts = sp.csr_matrix([[1, 0, 4]])
    >>> weigh_tf(counts, "augmented").toarray().tolist()
    [[0.625, 0.0, 1.0]]
    >>> weigh_tf(counts, "frequency").toarray().tolist()
    [[0.2, 0.0, 0.8]]
    """
    weights = sp.csr_matrix(
        (counts.data.astype(dtype, copy=True), counts.indices.copy(), counts.indptr.copy()),
        shape=counts.shape,
    )
    apply_tf(weights, kind, lengths)
    return weights


def normalize_rows(matrix: sp.csr_matrix, norm: NormKind | None) -> sp.csr_matrix:
    """Scale each row of ``matrix`` in place to unit ``"l1"`` or ``"l2"`` norm.

    Empty rows stay empty; ``None`` leaves the matrix as it is.

    >>> import scipy.sparse as sp
    >>> from bricolage.tfidf import normalize_rows
    >>> normalize_rows(sp.csr_matrix([[3.0, 4.0], [0.0, 0.0]]), "l2").toarray().tolist()
    [[0.6, 0.8], [0.0, 0.0]]
    """
    if norm is None or matrix.nnz == 0:
        return matrix
    data = matrix.data
    if norm == "l2":
        totals = np.sqrt(_row_reduce(np.add, data * data, matrix))
    else:
        totals = _row_reduce(np.add, np.abs(data), matrix)
    totals[totals == 0.0] = 1.0
    data /= np.repeat(totals, _row_sizes(matrix))
    return matrix
