from __future__ import annotations

import json
import os
import threading
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from wsgiref.simple_server import WSGIRequestHandler, make_server

import pytest
from pdf_search import Library
from pdf_search.cli import main
from pdf_search.web import SearchApp

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
    out = capsys.readouterr().out
    assert "[       no_text] 019-grayscale" in out
    assert "[            ok] 005-libreoffice" in out
    assert main(["search", idx, '"better than"', "--weight", "title=3"]) == 0
    out = capsys.readouterr().out
    assert "011-google-doc-document_google-doc-document.pdf, page 1" in out
    assert "**better**" in out
    assert main(["search", idx, "a AND"]) == 2
    assert "column 6" in capsys.readouterr().err
    assert main(["index", str(folder / "nope"), "--index", idx]) == 2
    assert main(["index", str(folder), "--index", idx, "--password", "x"]) == 2


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
    class Quiet(WSGIRequestHandler):
        def log_message(self, format: str, *args: object) -> None:
            pass

    httpd = make_server("127.0.0.1", 0, SearchApp(library), handler_class=Quiet)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_port}"
    httpd.shutdown()
    httpd.server_close()
    thread.join()


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
    assert "error" in json.loads(body)
    assert fetch(server + "/missing")[0] == 404
    status, page = fetch(server + "/?q=%3Cscript%3E&all=1")
    assert "<script>" not in page
