"""The Word-Frequency Analyzer end to end, on real Cranfield abstracts."""

from __future__ import annotations

import io
import json
import os
import re
from pathlib import Path

import pytest
from word_frequency import analyze
from word_frequency.cli import PROGRESS_THRESHOLD, main

DATA = Path(
    os.environ.get("BRICOLAGE_DATA")
    or Path(__file__).resolve().parents[3].parent / "shared" / "data"
)


def _abstracts() -> list[str]:
    text = (DATA / "ir" / "cranfield" / "cran.all.1400").read_text(encoding="utf-8")
    return [record.partition(".W\n")[2] for record in text.split("\n.I ")]


@pytest.fixture(scope="module")
def abstracts() -> list[str]:
    found = _abstracts()
    assert len(found) == 1400
    return found


def _folder(root: Path, texts: list[str]) -> Path:
    folder = root / "corpus"
    folder.mkdir()
    for i, text in enumerate(texts):
        (folder / f"cran-{i + 1:04}.txt").write_text(text)
    return folder


def _run(*argv: str, stdin: str | None = None) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    status = main(list(argv), stdout=out, stderr=err)
    return status, out.getvalue(), err.getvalue()


def test_analyze_prints_tf_and_tfidf_per_document(tmp_path: Path, abstracts: list[str]) -> None:
    folder = _folder(tmp_path, abstracts[:30])
    status, out, err = _run("analyze", str(folder), "--top", "3")
    assert status == 0
    assert err == ""  # a short run shows no progress bar
    blocks = re.findall(r"== (\S+) \((\d+) terms\)\n   TF: +(.*)\n   TF-IDF: (.*)", out)
    assert len(blocks) == 30
    name, _, tf, tfidf = blocks[0]
    assert name == "cran-0001.txt"
    assert tf.startswith("slipstream 5, lift 4")  # the commonest words of abstract 1
    assert len(tfidf.split(", ")) == 3
    assert out.rstrip().endswith("terms")


def test_reports_in_three_formats(tmp_path: Path, abstracts: list[str]) -> None:
    folder = _folder(tmp_path, abstracts[:50])
    reports = [tmp_path / f"report.{suffix}" for suffix in ("csv", "json", "html")]
    argv = ["analyze", str(folder), "--quiet", "--tf", "log", "--idf", "probabilistic"]
    for path in reports:
        argv += ["--report", str(path)]
    status, out, _ = _run(*argv)
    assert status == 0
    assert out.count("wrote ") == 3
    assert reports[0].read_text().startswith("document,rank,term,weight\n")
    data = json.loads(reports[1].read_text())
    assert data["summary"]["n_documents"] == 50
    assert data["settings"]["tf"] == "'log'"
    page = reports[2].read_text()
    assert page.count("<svg") == 3
    assert "<script" not in page


def test_one_shot_search_finds_the_relevant_abstract(tmp_path: Path, abstracts: list[str]) -> None:
    folder = _folder(tmp_path, abstracts[:300])
    query = "what similarity laws must be obeyed when constructing aeroelastic models"
    status, out, _ = _run("search", str(folder), "--query", query, "--top", "3", "--no-progress")
    assert status == 0
    assert out.splitlines()[0].endswith("cran-0184.txt")  # judged relevant to query 1


def test_interactive_search(
    tmp_path: Path, abstracts: list[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    folder = _folder(tmp_path, abstracts[:40])
    monkeypatch.setattr("sys.stdin", io.StringIO("slipstream wing\n:terms cran-0001.txt\n:quit\n"))
    status, out, _ = _run("search", str(folder), "--top", "2")
    assert status == 0
    assert "40 documents indexed" in out
    assert "cran-0001.txt" in out
    assert "slipstream" in out


def test_progress_bar_on_long_runs_on_a_terminal_only(
    tmp_path: Path, abstracts: list[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    folder = _folder(tmp_path, abstracts[: PROGRESS_THRESHOLD + 10])
    # Not a terminal (a log, a pipe): no bar, no control characters, in either stream.
    status, out, err = _run("analyze", str(folder), "--quiet")
    assert status == 0
    assert err == ""
    assert "\x1b" not in out
    # A terminal (rich believes FORCE_COLOR): the bar is drawn while the work runs.
    monkeypatch.setenv("FORCE_COLOR", "1")
    status, _, err = _run("analyze", str(folder), "--quiet")
    assert status == 0
    assert "counting" in err
    assert "weighting" in err
    status, _, err = _run("analyze", str(folder), "--quiet", "--no-progress")
    assert err == ""


def test_bad_input_exits_with_the_documented_code_and_a_message(tmp_path: Path) -> None:
    status, _, err = _run("analyze", str(tmp_path / "missing"))
    assert status == 3  # not found
    assert "is not a folder" in err
    (tmp_path / "empty").mkdir()
    status, _, err = _run("analyze", str(tmp_path / "empty"))
    assert status == 3
    assert "no file in" in err
    (tmp_path / "stop").mkdir()
    (tmp_path / "stop" / "a.txt").write_text("the and of")
    status, _, err = _run("analyze", str(tmp_path / "stop"))
    assert status == 1  # the work failed: nothing left to count
    assert "vocabulary" in err
    (tmp_path / "ok").mkdir()
    (tmp_path / "ok" / "a.txt").write_text("wings and engines")
    status, _, err = _run("analyze", str(tmp_path / "ok"), "--report", str(tmp_path / "r.pdf"))
    assert status == 2  # usage: no such report format
    assert "r.pdf" in err or ".pdf" in err
    status, _, err = _run("analyze", str(tmp_path / "ok"), "--tf", "loud")
    assert status == 2
    assert "'loud'" in err
    assert "Traceback" not in err


def test_analyze_api_and_ngrams(tmp_path: Path, abstracts: list[str]) -> None:
    folder = _folder(tmp_path, abstracts[:20])
    result = analyze(folder, k=5, ngram_range=(1, 2), stop_words=None, tf="augmented")
    assert len(result.documents) == 20
    assert any(" " in t.term for doc in result.documents for t in doc.top_tf)
    assert all(t.weight <= 1.0 for t in result.documents[0].top_tfidf)
    assert result.index().search("slipstream")[0].document == "cran-0001.txt"


def test_demo_runs_on_the_whole_collection(tmp_path: Path) -> None:
    status, out, _ = _run("demo", "--out", str(tmp_path))
    assert status == 0
    assert "1400 documents" in out
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        "cranfield-report.csv",
        "cranfield-report.html",
        "cranfield-report.json",
    ]
    assert "cran-0184.txt" in out
