from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest
from pdf_search import Library, create_app
from pdf_search._server import serving
from pdf_search.cli import main
from playwright.sync_api import expect, sync_playwright

DATA = Path(
    os.environ.get(
        "BRICOLAGE_DATA", Path(__file__).resolve().parents[3].parent / "shared" / "data"
    )
)
PDFS = DATA / "pdfs"
SAMPLES = [
    "004-pdflatex-4-pages_pdflatex-4-pages.pdf",
    "005-libreoffice-writer-password_libreoffice-writer-password.pdf",
    "011-google-doc-document_google-doc-document.pdf",
    "019-grayscale-image_grayscale-image.pdf",
    "026-latex-multicolumn_multicolumn.pdf",
]
# An SGR sequence that sets a foreground colour (30-38, 90-97).
COLOUR = re.compile(r"\x1b\[(?:\d+;)*(?:3[0-8]|9[0-7])(?:;\d+)*m")
SECRET = "005-libreoffice-writer-password_libreoffice-writer-password.pdf=openpassword"


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    docs = tmp_path / "docs"
    docs.mkdir()
    for name in SAMPLES:
        (docs / name).symlink_to(PDFS / name)
    return docs


@pytest.fixture
def library(tmp_path: Path, folder: Path) -> Library:
    library = Library(tmp_path / "idx")
    library.add_folder(folder, passwords={SECRET.split("=")[0]: "openpassword"})
    return library


def test_cli_index_and_search(
    tmp_path: Path, folder: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    idx = str(tmp_path / "cli-idx")
    assert main(["index", str(folder), "--index", idx, "--password", SECRET]) == 0
    out, err = capsys.readouterr()
    assert "       no_text 019-grayscale" in out
    assert "            ok 005-libreoffice" in out
    assert "\x1b" not in out + err  # no colour or progress codes when not a terminal
    assert main(["search", idx, '"better than"', "--weight", "title=3"]) == 0
    out = capsys.readouterr().out
    assert "011-google-doc-document_google-doc-document.pdf, page 1" in out
    assert "**better**" in out
    # Exit codes: 2 a usage error (a bad query or option), 3 not found.
    assert main(["search", idx, "a AND"]) == 2
    assert "column 6" in capsys.readouterr().err
    assert main(["index", str(folder / "nope"), "--index", idx]) == 3
    assert "nope is not a folder" in capsys.readouterr().err
    assert main(["index", str(folder), "--index", idx, "--password", "x"]) == 2
    assert "FILE=PASSWORD, got 'x'" in capsys.readouterr().err
    assert main(["search", str(tmp_path / "no-index"), "x"]) == 3
    assert main(["search", idx, "x", "--weight", "title=heavy"]) == 2
    capsys.readouterr()
    assert main(["search", idx, "[bold]lorem"]) == 0  # rich markup in a query is just text
    assert "'[bold]lorem':" in capsys.readouterr().out


def test_colours_on_a_terminal_unless_no_color(
    tmp_path: Path,
    folder: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    idx = str(tmp_path / "colour-idx")
    monkeypatch.setenv("FORCE_COLOR", "1")  # rich then treats the output as a terminal
    monkeypatch.delenv("NO_COLOR", raising=False)
    assert main(["index", str(folder), "--index", idx, "--password", SECRET]) == 0
    assert COLOUR.search(capsys.readouterr().out)  # "ok" in green
    monkeypatch.setenv("NO_COLOR", "1")
    assert main(["index", str(folder), "--index", idx, "--password", SECRET]) == 0
    out = capsys.readouterr().out
    assert "ok 005-libreoffice" in out
    assert not COLOUR.search(out)  # bold may stay; colours go


def test_search_with_phrases_boolean_and_weights(library: Library) -> None:
    total, hits = library.search('"complex is better"')
    assert total == 1
    assert hits[0].page == 1
    assert "<mark>Complex</mark>" in hits[0].snippet_html
    _, multi = library.search("lorem NOT ipsum")
    assert all("ipsum" not in h.snippet_text.lower() for h in multi)
    total_all, _ = library.search("example document", match_all=True)
    total_any, _ = library.search("example document")
    assert total_all <= total_any
    _, by_title = library.search("example", title_weight=10.0)
    assert by_title[0].title == "PDF Example Document"
    pages = {h.page for h in library.search("lorem", limit=50)[1]}
    assert pages >= {1, 2}
    assert library.stats()["files"] == 4


@pytest.fixture
def server(library: Library) -> Iterator[str]:
    with serving(create_app(library)) as url:
        yield url.rstrip("/")


def fetch(url: str) -> tuple[int, str]:
    try:
        with urllib.request.urlopen(url) as response:
            return response.status, response.read().decode()
    except urllib.error.HTTPError as error:
        with error:
            return error.code, error.read().decode()


def test_web_page_and_api(server: str) -> None:
    status, page = fetch(server + "/")
    assert status == 200
    assert "page(s) from 4 file(s) indexed" in page
    status, page = fetch(server + "/?q=%22better+than%22&title=3")
    assert status == 200
    assert "page 1" in page
    assert "<mark>better</mark>" in page
    status, page = fetch(server + "/?q=%22unclosed")
    assert status == 400
    assert "unterminated phrase" in page
    status, body = fetch(server + "/api/search?q=lorem&limit=2")
    data = json.loads(body)
    assert status == 200
    assert len(data["hits"]) == 2
    assert data["hits"][0]["page"] >= 1
    status, body = fetch(server + "/api/search?q=title:(")
    assert status == 400
    assert json.loads(body)["field"] == "q"
    status, page = fetch(server + "/?q=lorem&title=heavy")
    assert status == 400
    assert 'aria-invalid="true" aria-describedby="title-error"' in page
    assert "title weight must be a number, got &#39;heavy&#39;" in page
    status, page = fetch(server + "/missing")
    assert status == 404
    assert "no page at /missing" in page
    status, page = fetch(server + "/?q=%3Cscript%3E&all=1")
    assert "<script>" not in page
    assert "/static/style.css" in page
    status, css = fetch(server + "/static/style.css")
    assert status == 200
    assert "mark" in css


CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


def test_in_a_real_browser(server: str, tmp_path: Path) -> None:
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS
        )
        try:
            page = browser.new_page()
            page.goto(server)
            expect(page.get_by_role("status")).to_contain_text("from 4 file(s) indexed")
            # Keyboard only: the query field has focus; type and press Enter.
            page.keyboard.type('"better than"')
            page.keyboard.press("Enter")
            expect(page.locator(".hit").first).to_contain_text("page 1")
            expect(page.locator(".hit mark").first).to_have_text("better")
            # A query the parser refuses: the field is marked, the reason beside it.
            query = page.get_by_label("Query")
            query.fill('"unclosed')
            query.press("Enter")
            expect(query).to_have_attribute("aria-invalid", "true")
            expect(page.locator("#q-error")).to_contain_text("unterminated phrase")
            page.screenshot(path=str(tmp_path / "pdf-search.png"), full_page=True)
        finally:
            browser.close()
    assert (tmp_path / "pdf-search.png").stat().st_size > 1000


def test_the_demo_prints_one_url_and_stops_on_ctrl_c(folder: Path) -> None:
    process = subprocess.Popen(
        [sys.executable, "-m", "pdf_search", "demo", "--samples", str(folder)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "NO_COLOR": "1"},
    )
    lines = []
    try:
        assert process.stdout is not None
        for line in process.stdout:
            lines.append(line)
            if line.startswith("http://"):
                break
        url = lines[-1].strip()
        assert url.startswith("http://127.0.0.1:")
        status, page = fetch(url + "?q=lorem")
        assert status == 200
        assert "matching page(s)" in page
    finally:
        process.send_signal(signal.SIGINT)
        rest, err = process.communicate(timeout=30)
    assert process.returncode == 130, err
    assert rest == ""
    assert sum("http://" in line for line in lines) == 1
    assert "'\"lorem ipsum\"'" in "".join(lines)  # the tour's searches ran first
    assert "Traceback" not in err
