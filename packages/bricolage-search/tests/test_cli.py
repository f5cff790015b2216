from __future__ import annotations

import io
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from bricolage.search._cli import main

ROOT = Path(__file__).resolve().parents[3]
DATA = Path(os.environ.get("BRICOLAGE_DATA", ROOT.parent / "shared" / "data"))
PDFS = DATA / "pdfs"

SAMPLES = [
    "004-pdflatex-4-pages_pdflatex-4-pages.pdf",
    "005-libreoffice-writer-password_libreoffice-writer-password.pdf",
    "011-google-doc-document_google-doc-document.pdf",
    "019-grayscale-image_grayscale-image.pdf",
]


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    docs = tmp_path / "docs"
    (docs / "nested").mkdir(parents=True)
    for name in SAMPLES:
        (docs / "nested" / name).symlink_to(PDFS / name)
    (docs / "notes.txt").write_text("not a pdf")
    return docs


def run(*argv: str) -> tuple[int, str]:
    out = io.StringIO()
    code = main(list(argv), out=out)
    return code, out.getvalue()


def test_index_query_stats(tmp_path: Path, folder: Path) -> None:
    idx = str(tmp_path / "idx")
    code, text = run("index", idx, str(folder), "--password", f"{SAMPLES[1]}=openpassword")
    assert code == 0
    assert "[            ok] 004-pdflatex-4-pages" in text
    assert "[       no_text] 019-grayscale" in text
    assert "from 3 of 4 file(s)" in text
    code, text = run("query", idx, '"PDF Example"', "--limit", "3")
    assert code == 0
    assert "page 1" in text
    assert "**Example**" in text
    code, text = run("query", idx, "example", "--json", "--weight", "title=3", "--k1", "1.5")
    records = [json.loads(line) for line in text.splitlines()]
    assert records
    assert records[0]["page"] == 1
    assert records[0]["rank"] == 1
    code, text = run("query", idx, "example document", "--and", "--b", "0.5")
    assert code == 0
    code, text = run("stats", idx)
    assert code == 0
    assert "documents   " in text
    assert "field text" in text


def test_errors_exit_with_status_2(
    tmp_path: Path, folder: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    idx = str(tmp_path / "idx")
    assert run("index", idx, str(folder / "missing"))[0] == 2
    assert "is not a folder" in capsys.readouterr().err
    assert run("index", idx, str(folder), "--password", "nonsense")[0] == 2
    assert "NAME=VALUE" in capsys.readouterr().err
    assert run("index", idx, str(folder))[0] == 0
    assert run("query", idx, "a AND")[0] == 2
    assert "column 6" in capsys.readouterr().err
    assert run("query", str(tmp_path / "nothing"), "x")[0] == 2


def test_module_entry_point(tmp_path: Path) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "bricolage.search", "stats", str(tmp_path)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 2
    assert "not an index" in done.stderr
