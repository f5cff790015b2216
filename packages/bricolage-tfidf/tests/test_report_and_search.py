"""Top terms, corpus summary, reports, similarity search, the CLI and the REPL."""

from __future__ import annotations

import csv
import io
import json
import re
import subprocess
import sys
from pathlib import Path
from xml.etree import ElementTree

import numpy as np
import pytest
import scipy.sparse as sp
from sklearn.metrics.pairwise import cosine_similarity  # type: ignore[import-untyped]

from bricolage.tfidf import (
    ConfigurationError,
    Report,
    SimilarityIndex,
    TermWeight,
    TfidfVectorizer,
    main,
    run_repl,
    summarize,
    top_terms,
)


@pytest.fixture(scope="module")
def fitted(cranfield_docs: tuple[str, ...]) -> tuple[TfidfVectorizer, sp.csr_matrix]:
    vectorizer = TfidfVectorizer(stop_words="english")
    return vectorizer, vectorizer.fit_transform(cranfield_docs[:300])


def test_top_terms_are_the_heaviest_in_order(
    fitted: tuple[TfidfVectorizer, sp.csr_matrix],
) -> None:
    vectorizer, matrix = fitted
    names = vectorizer.get_feature_names_out()
    tops = top_terms(matrix, names, k=5)
    assert len(tops) == matrix.shape[0]
    for row, top in enumerate(tops[:50]):
        dense = matrix[row].toarray().ravel()
        expected = sorted(dense[dense > 0], reverse=True)[:5]
        assert [t.weight for t in top] == pytest.approx(expected)
        assert all(dense[vectorizer.vocabulary_[t.term]] == t.weight for t in top)
    assert top_terms(sp.csr_matrix((1, 2)), ["a", "b"]) == [[]]
    tie = top_terms(sp.csr_matrix([[0.5, 0.5, 0.9]]), ["b", "a", "c"], k=2)
    assert tie == [[TermWeight("c", 0.9), TermWeight("b", 0.5)]]


def test_top_terms_and_summary_check_their_input() -> None:
    with pytest.raises(ConfigurationError, match="3 columns but 2 feature names"):
        top_terms(sp.csr_matrix((1, 3)), ["a", "b"])
    with pytest.raises(ConfigurationError, match="k=-1"):
        top_terms(sp.csr_matrix((1, 2)), ["a", "b"], k=-1)
    with pytest.raises(ConfigurationError, match="k=-1"):
        summarize(sp.csr_matrix((1, 2)), ["a", "b"], k=-1)


def test_summary_figures(fitted: tuple[TfidfVectorizer, sp.csr_matrix]) -> None:
    vectorizer, matrix = fitted
    summary = summarize(matrix, vectorizer.get_feature_names_out(), k=10)
    df = vectorizer.document_frequency_
    assert summary.n_documents == 300
    assert summary.n_terms == len(df)
    assert summary.n_nonzero == matrix.nnz
    assert [s.document_frequency for s in summary.common] == sorted(df, reverse=True)[:10]
    totals = np.asarray(matrix.sum(axis=0)).ravel()
    assert summary.distinctive[0].total_weight == pytest.approx(totals.max())
    assert sum(count for _, count in summary.df_histogram) == len(df)
    assert summary.common[0].document_share == summary.common[0].document_frequency / 300
    empty = summarize(sp.csr_matrix((0, 0)), [])
    assert (empty.n_documents, empty.density, empty.df_histogram) == (0, 0.0, ())


def test_report_exports(tmp_path: Path, fitted: tuple[TfidfVectorizer, sp.csr_matrix]) -> None:
    vectorizer, matrix = fitted
    ids = [f"doc-{i}" for i in range(matrix.shape[0])]
    report = Report.from_matrix(
        matrix, vectorizer.get_feature_names_out(), ids, k=3, settings={"stop_words": "english"}
    )
    rows = list(csv.DictReader(io.StringIO(report.write(tmp_path / "r.csv").read_text())))
    assert rows[0]["document"] == "doc-0"
    assert rows[0]["rank"] == "1"
    assert float(rows[0]["weight"]) == report.documents[0].top[0].weight
    data = json.loads(report.write(tmp_path / "r.json").read_text())
    assert data["version"] == 1
    assert data["summary"]["n_documents"] == 300
    assert data["settings"] == {"stop_words": "'english'"}
    assert len(data["documents"][5]["top_terms"]) == 3
    page = report.write(tmp_path / "r.HTML").read_text()
    assert page.count("<svg") == 3
    assert not re.search(r"<(script|link|img|iframe)\b", page)
    assert not re.search(r"(src|href)=", page)
    for svg in re.findall(r"<svg.*?</svg>", page, re.S):
        ElementTree.fromstring(svg)  # each chart is well-formed XML
    with pytest.raises(ConfigurationError, match=r"'report\.pdf'"):
        report.write("report.pdf")
    with pytest.raises(ConfigurationError, match="2 document ids"):
        Report.from_matrix(matrix, vectorizer.get_feature_names_out(), ["a", "b"])


def test_report_escapes_hostile_text() -> None:
    vectorizer = TfidfVectorizer(analyzer=str.split)
    matrix = vectorizer.fit_transform(["<script>alert(1)</script> =HYPERLINK(x) ok"])
    report = Report.from_matrix(
        matrix, vectorizer.get_feature_names_out(), ['<img src=x onerror="y">'], title="<b>"
    )
    page = report.to_html()
    assert "<script>" not in page
    assert "<img" not in page
    assert "<b>" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    table = report.to_csv()
    assert "'=HYPERLINK(x)" in table
    assert json.loads(report.to_json())["documents"][0]["document"].startswith("<img")


def test_search_matches_brute_force_cosine(
    fitted: tuple[TfidfVectorizer, sp.csr_matrix], cranfield_docs: tuple[str, ...]
) -> None:
    vectorizer, matrix = fitted
    index = SimilarityIndex(vectorizer, matrix)
    query = "boundary layer transition at supersonic speed"
    expected = cosine_similarity(matrix, vectorizer.transform([query])).ravel()
    np.testing.assert_allclose(index.scores(query), expected, atol=1e-12)
    hits = index.search(query, k=10)
    assert [h.rank for h in hits] == list(range(1, 11))
    assert [h.score for h in hits] == pytest.approx(sorted(expected, reverse=True)[:10])
    assert all(hits[i].score >= hits[i + 1].score for i in range(9))
    assert index.search("zzzz qqqq") == []
    assert len(index) == 300


def test_search_cosine_holds_for_any_norm() -> None:
    docs = ["red apple", "red red wine", "green apple pie"]
    for norm in ("l1", None):
        vectorizer = TfidfVectorizer(norm=norm)
        index = SimilarityIndex(vectorizer, vectorizer.fit_transform(docs))
        assert index.search("red wine")[0].score <= 1.0 + 1e-12
        assert index.matrix.multiply(index.matrix).sum(axis=1).ravel() == pytest.approx(1.0)


def test_index_checks_its_input() -> None:
    vectorizer = TfidfVectorizer()
    matrix = vectorizer.fit_transform(["red apple", "green apple"])
    with pytest.raises(ConfigurationError, match="1 document ids"):
        SimilarityIndex(vectorizer, matrix, ["a"])
    with pytest.raises(ConfigurationError, match="unique"):
        SimilarityIndex(vectorizer, matrix, ["a", "a"])
    with pytest.raises(ConfigurationError, match="2 columns but the vectorizer has 3"):
        SimilarityIndex(vectorizer, matrix[:, :2])
    index = SimilarityIndex(vectorizer, matrix, ["r", "g"])
    for call in (
        lambda: index.search("x", k=0),
        lambda: index.similar_to("r", k=0),
        lambda: index.similar_to("missing"),
        lambda: index.top_terms("missing"),
    ):
        with pytest.raises(ConfigurationError):
            call()
    assert index.vectorizer is vectorizer
    assert index.document_ids == ["r", "g"]


@pytest.fixture
def corpus_folder(tmp_path: Path, cranfield_docs: tuple[str, ...]) -> Path:
    folder = tmp_path / "docs"
    (folder / "sub").mkdir(parents=True)
    for i, text in enumerate(cranfield_docs[:40]):
        (folder / ("sub" if i % 2 else "") / f"cran-{i:03}.txt").write_text(text)
    (folder / "ignored.md").write_text("not matched by the glob")
    return folder


def _cli(*args: str) -> tuple[int, str]:
    out = io.StringIO()
    status = main(list(args), stdout=out)
    return status, out.getvalue()


def test_cli_index_search_similar_terms_report(corpus_folder: Path, tmp_path: Path) -> None:
    index_file = tmp_path / "cran.btfidf"
    status, text = _cli("index", str(corpus_folder), "-o", str(index_file), "--ngram", "1", "2")
    assert status == 0
    assert "indexed 40 documents" in text
    status, text = _cli("search", str(index_file), "slipstream", "wing", "-k", "3")
    assert status == 0
    rows = [line for line in text.splitlines() if line.startswith("│")]
    assert len(rows) <= 3
    assert rows[0].split("│")[3].strip() == "cran-000.txt"
    status, text = _cli("search", str(index_file), "slipstream", "--json")
    hits = json.loads(text)
    assert hits[0] == {"rank": 1, "document": "cran-000.txt", "score": hits[0]["score"]}
    status, text = _cli("similar", str(index_file), "sub/cran-001.txt", "-k", "2", "--json")
    assert status == 0
    assert len(json.loads(text)) == 2
    status, text = _cli("terms", str(index_file), "cran-000.txt", "-k", "3")
    assert status == 0
    assert len([line for line in text.splitlines() if line.startswith("│")]) == 3
    status, text = _cli("terms", str(index_file), "cran-000.txt", "--json")
    assert "slipstream" in {t["term"] for t in json.loads(text)}
    status, text = _cli("similar", str(index_file), "sub/cran-001.txt")
    assert status == 0
    assert "document" in text
    status, text = _cli("search", str(index_file), "qqqqzzz")
    assert (status, text.strip()) == (0, "no document matches")
    status, text = _cli("report", str(index_file), "-o", str(tmp_path / "r.html"))
    assert status == 0
    assert (tmp_path / "r.html").read_text().startswith("<!DOCTYPE html>")


def test_cli_errors_exit_with_the_documented_status(
    corpus_folder: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert _cli("index", str(tmp_path / "nope"), "-o", str(tmp_path / "i"))[0] == 3
    assert "is not a folder" in capsys.readouterr().err
    assert _cli("index", str(corpus_folder), "-o", str(tmp_path / "i"), "--glob", "*.pdf")[0] == 3
    assert "no file in" in capsys.readouterr().err
    (tmp_path / "bad").write_text("x")
    assert _cli("search", str(tmp_path / "bad"), "q")[0] == 1
    assert "not a ZIP archive" in capsys.readouterr().err
    assert _cli("search", str(tmp_path / "missing"), "q")[0] == 3
    assert "is not an index file" in capsys.readouterr().err
    assert _cli("search", str(tmp_path / "missing"), "q", "-k", "0")[0] == 2
    assert _cli("index", str(corpus_folder), "-o", str(tmp_path / "i"), "--min-df", "x")[0] == 2
    status = _cli("index", str(corpus_folder), "-o", str(tmp_path / "i"), "--min-df", "99")[0]
    assert status == 1
    assert "removed every term" in capsys.readouterr().err
    assert not (tmp_path / "i").exists()
    status, _ = _cli(
        "index", str(corpus_folder), "-o", str(tmp_path / "i"), "--stop-words", "none"
    )
    assert status == 0
    assert _cli("terms", str(tmp_path / "i"), "no-such.txt")[0] == 3
    assert "no indexed document has the id 'no-such.txt'" in capsys.readouterr().err
    assert _cli("similar", str(tmp_path / "i"), "no", "such")[0] == 3
    assert "'no such'" in capsys.readouterr().err


def test_repl_session(corpus_folder: Path, tmp_path: Path) -> None:
    index_file = tmp_path / "cran.btfidf"
    _cli("index", str(corpus_folder), "-o", str(index_file))
    index = SimilarityIndex.load(index_file)
    commands = "\n".join(
        [
            ":help",
            "slipstream wing",
            "",
            ":k 2",
            "boundary layer",
            ":k zero",
            ":terms cran-000.txt",
            ":similar cran-000.txt",
            ":terms nothing.txt",
            ":frobnicate",
            "qqqq",
            ":quit",
            "never read",
        ]
    )
    out = io.StringIO()
    answered = run_repl(index, stdin=io.StringIO(commands + "\n"), stdout=out, prompt="> ")
    text = out.getvalue()
    assert answered == 3
    assert "Type words to search" in text
    assert "cran-000.txt" in text
    assert "error: :k needs a positive number, got 'zero'" in text
    assert "error: no indexed document has the id 'nothing.txt'" in text
    assert "unknown command ':frobnicate'" in text
    assert "no document matches" in text
    assert "never read" not in text
    out = io.StringIO()
    assert run_repl(index, stdin=io.StringIO("wing\n"), stdout=out) == 1  # end of input


def test_python_dash_m_runs_the_cli(corpus_folder: Path, tmp_path: Path) -> None:
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "bricolage.tfidf",
            "index",
            str(corpus_folder),
            "-o",
            str(tmp_path / "i.btfidf"),
        ],
        capture_output=True,
        text=True,
        check=False,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    assert "indexed 40 documents" in result.stdout
