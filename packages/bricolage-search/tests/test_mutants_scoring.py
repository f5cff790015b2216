"""BM25's length normalisation for short average lengths.

Written for mutation testing (``nox -s "mutation(search._scoring)"``): fails for the mutant
of ``bricolage.search._scoring.length_norm`` that treats averages up to 1 as "no length".
"""

from __future__ import annotations

import numpy as np
import pytest

from bricolage.search._scoring import length_norm


def test_an_average_below_one_still_normalises() -> None:
    lengths = np.array([1, 0], dtype=np.int32)
    got = length_norm(lengths, 0.5, 0.75).tolist()
    assert got == pytest.approx([0.25 + 0.75 * 2.0, 0.25])


def test_no_average_length_means_no_normalisation() -> None:
    assert length_norm(np.array([3, 4], dtype=np.int32), 0.0, 0.75).tolist() == [1.0, 1.0]
