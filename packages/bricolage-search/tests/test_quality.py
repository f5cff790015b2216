"""Retrieval quality on real test collections (the evaluation script has the peers)."""

from __future__ import annotations

import importlib.util
import os
import sys
from pathlib import Path
from types import ModuleType

import pytest

ROOT = Path(__file__).resolve().parents[3]
DATA = Path(os.environ.get("BRICOLAGE_DATA", ROOT.parent / "shared" / "data"))
PDFS = DATA / "pdfs"


def load_ir() -> ModuleType:
    path = ROOT / "benchmarks" / "search" / "ir.py"
    spec = importlib.util.spec_from_file_location("bricolage_bench_ir", path)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


def test_metrics_on_a_toy_ranking() -> None:
    ir = load_ir()
    assert ir.ndcg_at(["a", "x", "b"], {"a": 1, "b": 1}) == pytest.approx(
        (1 + 1 / 2) / (1 + 1 / 1.5849625007211562)
    )
    assert ir.average_precision(["a", "x", "b"], {"a": 1, "b": 1}) == pytest.approx(
        (1 + 2 / 3) / 2
    )
    assert ir.average_precision([], {}) == 0.0
    assert ir.ndcg_at(["a"], {}) == 0.0


def test_cranfield_quality() -> None:
    """Cranfield (1,400 abstracts, 225 queries): nDCG@10 and MAP at k1=1.2, b=0.75."""
    ir = load_ir()
    collection = ir.cranfield(DATA)
    assert len(collection.docs) == 1400
    assert len(collection.queries) == 225
    ndcg, ap = ir.score_run(collection, ir.bricolage_run(collection))
    assert ndcg > 0.38
    assert ap > 0.30


@pytest.mark.slow
def test_vaswani_quality() -> None:
    """Vaswani: bm25s scores nDCG@10 0.436 and tantivy 0.439 on it (see the data README)."""
    ir = load_ir()
    collection = ir.vaswani(DATA)
    ndcg, ap = ir.score_run(collection, ir.bricolage_run(collection))
    assert ndcg > 0.436 - 0.005
    assert ap > 0.28
