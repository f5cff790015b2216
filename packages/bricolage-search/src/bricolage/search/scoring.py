"""BM25 scoring and snippet building as plain functions, for tools built beside the index.

:class:`~bricolage.search.Index` uses these itself; call them directly to explain a score,
to tune ``k1`` and ``b`` on your own numbers, or to cut a snippet out of text that is not
in an index.

>>> from bricolage.search.scoring import BM25, bm25_idf, bm25_term_score
>>> idf = bm25_idf(n_docs=1000, doc_freq=10)
>>> round(bm25_term_score(tf=3, doc_len=120, avg_len=100, idf=idf, params=BM25()), 4)
3.1215

.. versionadded:: 0.2.0
   ``bm25_idf``, ``bm25_term_score`` and ``make_snippet`` lived at the top of
   :mod:`bricolage.search` before; those paths still work in 0.2 with a
   :class:`DeprecationWarning` and go away in 0.3.
"""

from __future__ import annotations

from bricolage.search._scoring import BM25, bm25_idf, bm25_term_score
from bricolage.search._snippets import make_snippet

__all__ = ["BM25", "bm25_idf", "bm25_term_score", "make_snippet"]
