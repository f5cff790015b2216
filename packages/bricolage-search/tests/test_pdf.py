from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

from bricolage.search import (
    Index,
    MissingExtraError,
    PdfResult,
    index_pdfs,
    pdf_schema,
    read_pdf,
)

ROOT = Path(__file__).resolve().parents[3]
DATA = Path(os.environ.get("BRICOLAGE_DATA", ROOT.parent / "shared" / "data"))
PDFS = DATA / "pdfs"

ENCRYPTED = PDFS / "005-libreoffice-writer-password_libreoffice-writer-password.pdf"
IMAGES = PDFS / "007-imagemagick-images_imagemagick-images.pdf"
SCAN = PDFS / "019-grayscale-image_grayscale-image.pdf"
FOUR_PAGES = PDFS / "004-pdflatex-4-pages_pdflatex-4-pages.pdf"
BROKEN_TREE = PDFS / "017-unreadable-meta-data_unreadablemetadata.pdf"


def test_the_sample_folder_is_there() -> None:
    assert len(list(PDFS.glob("*.pdf"))) == 31, f"expected the 31 sample PDFs in {PDFS}"


def test_every_sample_pdf_ingests_with_a_clear_result() -> None:
    """All 31 real PDFs go through indexing; none raises, each reports a status."""
    index = Index.in_memory(pdf_schema())
    seen: list[PdfResult] = []
    with index.writer() as writer:
        results = index_pdfs(
            writer,
            sorted(PDFS.glob("*.pdf")),
            passwords={ENCRYPTED.name: "openpassword"},
            on_result=seen.append,
        )
    assert results == seen
    assert len(results) == 31
    by_name = {r.path.name: r for r in results}
    for result in results:
        assert result.message.startswith(result.path.name)
        if result.ok:
            assert result.indexed_pages > 0
    assert by_name[ENCRYPTED.name].status == "ok"
    assert by_name[IMAGES.name].status == "partial"
    assert "no text on page(s) 4-5" in by_name[IMAGES.name].message
    assert by_name[SCAN.name].status == "no_text"
    assert by_name[BROKEN_TREE.name].status == "broken"
    assert sum(r.indexed_pages for r in results) == len(index)
    assert sum(1 for r in results if r.ok) >= 24


def test_page_numbers_come_back_in_hits() -> None:
    index = Index.in_memory(pdf_schema())
    with index.writer() as writer:
        index_pdfs(writer, [FOUR_PAGES])
    pages = {hit.fields["page"] for hit in index.search("lorem OR ipsum OR page", limit=None)}
    assert pages <= {1, 2, 3, 4}
    assert pages
    hit = index.search("file:" + FOUR_PAGES.name.lower())[0]
    assert hit.fields["path"] == str(FOUR_PAGES)
    assert hit.id == f"{FOUR_PAGES}#page={hit.fields['page']}"


def test_reindexing_a_file_replaces_its_pages() -> None:
    index = Index.in_memory(pdf_schema())
    for _ in range(2):
        with index.writer() as writer:
            index_pdfs(writer, [FOUR_PAGES])
    assert len(index) == 4


def test_encrypted_files_need_the_right_password() -> None:
    assert read_pdf(ENCRYPTED).status == "needs_password"
    wrong = read_pdf(ENCRYPTED, password="guess")
    assert wrong.status == "wrong_password"
    assert not wrong.ok
    opened = read_pdf(ENCRYPTED, password="openpassword")
    assert opened.ok
    assert opened.pages[0].text


def test_broken_and_truncated_files(tmp_path: Path) -> None:
    fake = tmp_path / "fake.pdf"
    fake.write_bytes(b"%PDF-1.4 this is not really a pdf")
    assert read_pdf(fake).status == "broken"
    truncated = tmp_path / "truncated.pdf"
    truncated.write_bytes(FOUR_PAGES.read_bytes()[:2000])
    assert read_pdf(truncated).status in {"broken", "no_text", "partial"}
    missing = read_pdf(tmp_path / "missing.pdf")
    assert missing.status == "broken"
    assert "missing.pdf" in missing.message


def test_missing_extra_names_it(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "pypdf", None)
    with pytest.raises(MissingExtraError, match=r"bricolage-search\[pdf\]"):
        read_pdf(FOUR_PAGES)


def test_page_ranges_in_messages() -> None:
    from bricolage.search._pdf import _ranges

    assert _ranges([1, 2, 3, 5, 7, 8]) == "1-3, 5, 7-8"
    assert _ranges([4]) == "4"
