"""Agreement with scikit-learn: the largest absolute difference for each setting.

Prints one line per combination of norm x use_idf x smooth_idf x sublinear_tf on the
whole Vaswani collection, then n-gram and min/max df settings on Cranfield, for
fit_transform and for transform of held-out documents.

    python benchmarks/tfidf/agreement.py
"""

from __future__ import annotations

import itertools
import sys
from typing import Any

import scipy.sparse as sp
from run import cranfield, iter_vaswani
from sklearn.feature_extraction.text import TfidfVectorizer as SkTfidf

from bricolage.tfidf import TfidfVectorizer


def difference(a: Any, b: Any) -> float:
    delta = abs(sp.csr_matrix(a) - sp.csr_matrix(b))
    return float(delta.max()) if delta.nnz else 0.0


def compare(fit: list[str], held_out: list[str], **params: Any) -> tuple[float, float]:
    ours, theirs = TfidfVectorizer(**params), SkTfidf(**params)
    fitted = difference(ours.fit_transform(fit), theirs.fit_transform(fit))
    assert ours.get_feature_names_out().tolist() == theirs.get_feature_names_out().tolist()
    return fitted, difference(ours.transform(held_out), theirs.transform(held_out))


def main() -> int:
    vaswani = list(iter_vaswani())
    fit, held_out = vaswani[:10_000], vaswani[10_000:]
    print(f"Vaswani: fit on {len(fit)} documents, transform {len(held_out)} held-out ones")
    print(
        f"{'norm':<6}{'use_idf':<9}{'smooth_idf':<12}{'sublinear_tf':<14}{'fit':>10}{'transform':>11}"
    )
    worst = 0.0
    for norm, use_idf, smooth, sublinear in itertools.product(
        ["l2", "l1", None], [True, False], [True, False], [True, False]
    ):
        a, b = compare(
            fit, held_out, norm=norm, use_idf=use_idf, smooth_idf=smooth, sublinear_tf=sublinear
        )
        worst = max(worst, a, b)
        print(f"{norm!s:<6}{use_idf!s:<9}{smooth!s:<12}{sublinear!s:<14}{a:>10.1e}{b:>11.1e}")
    cran = cranfield()
    print("\nCranfield: fit on 1,200 documents, transform 200 held-out ones")
    for params in (
        {"ngram_range": (1, 2)},
        {"ngram_range": (1, 3), "min_df": 2, "max_df": 0.5},
        {"ngram_range": (2, 3), "stop_words": "english", "sublinear_tf": True},
        {"min_df": 3, "max_df": 0.2, "smooth_idf": False},
        {"max_features": 500, "ngram_range": (1, 2), "stop_words": "english"},
        {"analyzer": "char_wb", "ngram_range": (2, 4), "min_df": 2},
    ):
        a, b = compare(cran[:1200], cran[1200:], **params)
        worst = max(worst, a, b)
        shown = ", ".join(f"{k}={v!r}" for k, v in params.items())
        print(f"{shown:<62}{a:>10.1e}{b:>11.1e}")
    print(f"\nlargest absolute difference overall: {worst:.1e} (bound: 1e-12)")
    return 0 if worst <= 1e-12 else 1


if __name__ == "__main__":
    sys.exit(main())
