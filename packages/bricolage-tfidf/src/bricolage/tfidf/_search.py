"""Similarity search: documents ranked by the cosine of their TF-IDF vectors to a query."""

import os
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import scipy.sparse as sp

from bricolage.tfidf._explain import TermWeight, top_terms
from bricolage.tfidf._vectorizer import TfidfVectorizer
from bricolage.tfidf._weighting import as_csr, normalize_rows
from bricolage.tfidf.errors import ConfigurationError

__all__ = ["Hit", "SimilarityIndex"]


@dataclass(frozen=True, slots=True)
class Hit:
    """One ranked document: its rank (from 1), its id, its position and its cosine score.

    >>> from bricolage.tfidf import Hit
    >>> Hit(1, "a.txt", 0, 0.5).score
    0.5
    """

    rank: int
    document: str
    position: int
    score: float


class SimilarityIndex:
    """Rank documents by cosine similarity to a query, over a fitted vectorizer.

    The rows are kept L2-normalised whatever the vectorizer's ``norm``, so a score is the
    cosine of the angle between the query and the document, between 0 and 1 (weights are
    never negative).

    >>> from bricolage.tfidf import SimilarityIndex
    >>> index = SimilarityIndex.from_documents(
    ...     ["the cat sat on the mat", "dogs chase cats", "stock markets fell"],
    ...     ["cat.txt", "dog.txt", "news.txt"],
    ... )
    >>> [hit.document for hit in index.search("cat on a mat")]
    ['cat.txt']
    """

    def __init__(
        self,
        vectorizer: TfidfVectorizer,
        matrix: sp.spmatrix | sp.sparray,
        document_ids: Sequence[str] | None = None,
    ) -> None:
        csr = as_csr(matrix, np.float64, copy=True)
        width = len(vectorizer.get_feature_names_out())
        if csr.shape[1] != width:
            raise ConfigurationError(
                f"the matrix has {csr.shape[1]} columns but the vectorizer has {width} terms; "
                "index the matrix that this vectorizer produced"
            )
        ids = [str(i) for i in range(csr.shape[0])] if document_ids is None else list(document_ids)
        if len(ids) != csr.shape[0]:
            raise ConfigurationError(
                f"{len(ids)} document ids were given for a matrix of {csr.shape[0]} rows"
            )
        if len(set(ids)) != len(ids):
            raise ConfigurationError("document ids must be unique")
        csr.sort_indices()
        self._matrix = normalize_rows(csr, "l2")
        self._vectorizer = vectorizer
        self._ids = ids

    @classmethod
    def from_documents(
        cls,
        documents: Iterable[str],
        document_ids: Sequence[str] | None = None,
        vectorizer: TfidfVectorizer | None = None,
    ) -> "SimilarityIndex":
        """Fit ``vectorizer`` (default: English stop words removed) and index ``documents``.

        >>> from bricolage.tfidf import SimilarityIndex
        >>> SimilarityIndex.from_documents(["alpha beta", "gamma"]).document_ids
        ['0', '1']
        """
        model = vectorizer if vectorizer is not None else TfidfVectorizer(stop_words="english")
        matrix = model.fit_transform(documents)
        return cls(model, matrix, document_ids)

    @property
    def vectorizer(self) -> TfidfVectorizer:
        """The fitted vectorizer that turns queries into vectors."""
        return self._vectorizer

    @property
    def matrix(self) -> sp.csr_matrix:
        """The L2-normalised document vectors (a copy).

        >>> from bricolage.tfidf import SimilarityIndex
        >>> SimilarityIndex.from_documents(["alpha beta", "gamma"]).matrix.shape
        (2, 3)
        """
        return self._matrix.copy()

    @property
    def document_ids(self) -> list[str]:
        """The id of each indexed document, in row order."""
        return list(self._ids)

    def __len__(self) -> int:
        return len(self._ids)

    def scores(self, query: str) -> np.ndarray[tuple[int], np.dtype[np.float64]]:
        """The cosine similarity of ``query`` to every document, in row order.

        >>> from bricolage.tfidf import SimilarityIndex
        >>> SimilarityIndex.from_documents(["alpha beta", "gamma"]).scores("gamma").tolist()
        [0.0, 1.0]
        """
        vector = normalize_rows(
            sp.csr_matrix(self._vectorizer.transform([query]), dtype=np.float64), "l2"
        )
        return np.asarray((self._matrix @ vector.T).toarray(), dtype=np.float64).ravel()

    def search(self, query: str, k: int = 10) -> list[Hit]:
        """The ``k`` documents most similar to ``query``, best first; score 0 never listed.

        Equal scores are ranked by row order.

        >>> from bricolage.tfidf import SimilarityIndex
        >>> index = SimilarityIndex.from_documents(["red apple", "green apple", "red wine"])
        >>> [(hit.rank, hit.document) for hit in index.search("red apple", k=2)]
        [(1, '0'), (2, '1')]
        """
        if k < 1:
            raise ConfigurationError(f"k={k!r} must be a positive int")
        return self._rank(self.scores(query), k)

    def similar_to(self, document: str, k: int = 10) -> list[Hit]:
        """The ``k`` documents most similar to the indexed ``document`` (itself excluded).

        >>> from bricolage.tfidf import SimilarityIndex
        >>> index = SimilarityIndex.from_documents(["red apple", "green apple", "blue sky"])
        >>> [hit.document for hit in index.similar_to("0")]
        ['1']
        """
        if k < 1:
            raise ConfigurationError(f"k={k!r} must be a positive int")
        try:
            row = self._ids.index(document)
        except ValueError:
            raise ConfigurationError(f"no indexed document has the id {document!r}") from None
        scores = np.asarray(
            (self._matrix @ self._matrix[row].T).toarray(), dtype=np.float64
        ).ravel()
        scores[row] = 0.0
        return self._rank(scores, k)

    def top_terms(self, document: str, k: int = 10) -> list[TermWeight]:
        """The ``k`` heaviest terms of the indexed ``document``.

        >>> from bricolage.tfidf import SimilarityIndex
        >>> index = SimilarityIndex.from_documents(["red red apple", "green apple"])
        >>> [t.term for t in index.top_terms("0", 1)]
        ['red']
        """
        try:
            row = self._ids.index(document)
        except ValueError:
            raise ConfigurationError(f"no indexed document has the id {document!r}") from None
        names = self._vectorizer.get_feature_names_out()
        return top_terms(self._matrix[row], names, k)[0]

    def _rank(self, scores: np.ndarray[tuple[int], np.dtype[np.float64]], k: int) -> list[Hit]:
        positive = np.flatnonzero(scores > 0)
        order = positive[np.lexsort((positive, -scores[positive]))][:k]
        return [
            Hit(rank, self._ids[i], i, float(scores[i]))
            for rank, i in enumerate(order.tolist(), start=1)
        ]

    def save(self, path: str | os.PathLike[str]) -> Path:
        """Save the vectorizer, the vectors and the ids in one model file.

        >>> from bricolage.tfidf import SimilarityIndex
        >>> import pathlib, tempfile
        >>> index = SimilarityIndex.from_documents(["red apple", "green apple"])
        >>> with tempfile.TemporaryDirectory() as folder:
        ...     path = index.save(pathlib.Path(folder, "index.btfidf"))
        ...     SimilarityIndex.load(path).search("green")[0].document
        '1'
        """
        from bricolage.tfidf._persist import save_model

        return save_model(self._vectorizer, path, index=(self._matrix, self._ids))

    @classmethod
    def load(cls, path: str | os.PathLike[str]) -> "SimilarityIndex":
        """Load an index saved by :meth:`save`; a plain model file is refused."""
        from bricolage.tfidf._persist import read_model

        vectorizer, index = read_model(path)
        if index is None:
            raise ConfigurationError(
                f"{str(path)!r} holds a vectorizer but no indexed documents; load it with "
                "load_model() or save a SimilarityIndex"
            )
        matrix, ids = index
        return cls(vectorizer, matrix, ids)
