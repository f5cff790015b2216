"""PDF ingestion (extra ``[pdf]``): page by page, one clear result per file."""

from __future__ import annotations

import importlib
import logging
import warnings
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType
from typing import Literal

from bricolage.search._index import Writer
from bricolage.search._schema import KeywordField, Schema, StoredField, TextField
from bricolage.search.errors import MissingExtraError
from bricolage.text import standard_analyzer

__all__ = ["PdfPage", "PdfResult", "index_pdfs", "pdf_schema", "read_pdf"]

logger = logging.getLogger(__name__)

PdfStatus = Literal["ok", "partial", "no_text", "needs_password", "wrong_password", "broken"]


def _pypdf() -> ModuleType:
    try:
        return importlib.import_module("pypdf")
    except ImportError as error:
        raise MissingExtraError(
            "reading PDFs needs pypdf: install the extra with pip install 'bricolage-search[pdf]'"
        ) from error


@dataclass(frozen=True, slots=True)
class PdfPage:
    """The text of one page; ``number`` counts from 1.

    >>> PdfPage(1, "Hello").has_text
    True
    """

    number: int
    text: str

    @property
    def has_text(self) -> bool:
        """Whether the page has extractable text (an image-only page has none).

        >>> PdfPage(2, "  ").has_text
        False
        """
        return bool(self.text.strip())


@dataclass(frozen=True, slots=True)
class PdfResult:
    """What reading one PDF gave: a status, its pages and a message for people.

    ``status`` is one of:

    - ``"ok"``: every page had text;
    - ``"partial"``: some pages had no text (scanned images) or failed to extract;
    - ``"no_text"``: no page had text (an image-only file: it needs OCR);
    - ``"needs_password"``: the file is encrypted and no password was given;
    - ``"wrong_password"``: the password given does not open it;
    - ``"broken"``: the file cannot be read as a PDF.

    >>> result = PdfResult(Path("a.pdf"), "ok", (PdfPage(1, "text"),), "a", "1 page")
    >>> result.ok, result.indexed_pages
    (True, 1)
    """

    path: Path
    status: PdfStatus
    pages: tuple[PdfPage, ...]
    title: str
    message: str

    @property
    def ok(self) -> bool:
        """Whether any text came out of the file (status ``ok`` or ``partial``).

        >>> PdfResult(Path("x.pdf"), "broken", (), "x", "not a PDF").ok
        False
        """
        return self.status in ("ok", "partial")

    @property
    def indexed_pages(self) -> int:
        """How many pages had text.

        >>> pages = (PdfPage(1, ""), PdfPage(2, "b"))
        >>> PdfResult(Path("x.pdf"), "partial", pages, "x", "").indexed_pages
        1
        """
        return sum(1 for page in self.pages if page.has_text)


def _clean(value: object) -> str:
    return str(value).replace("\x00", "").strip() if value is not None else ""


def read_pdf(path: str | Path, *, password: str | None = None) -> PdfResult:
    """Extract the text of every page of ``path``; problems become a status, not a crash.

    Encrypted files are opened with ``password`` (or an empty password, which many
    "protected" files accept). Pages are read one by one, so one bad page does not lose
    the others.

    Raises:
        MissingExtraError: pypdf is not installed (``pip install 'bricolage-search[pdf]'``).

    >>> import tempfile, pathlib
    >>> with tempfile.TemporaryDirectory() as folder:
    ...     bad = pathlib.Path(folder, "bad.pdf")
    ...     _ = bad.write_bytes(b"not a pdf at all")
    ...     read_pdf(bad).status
    'broken'
    """
    pypdf = _pypdf()
    file = Path(path)
    name = file.name
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # pypdf warns about many harmless oddities
        try:
            reader = pypdf.PdfReader(file)
            encrypted = reader.is_encrypted
        except Exception as error:  # noqa: BLE001 - any parser failure means a broken file
            return PdfResult(file, "broken", (), file.stem, f"{name}: cannot be read: {error}")
        if encrypted:
            try:
                opened = reader.decrypt(password if password is not None else "")
            except Exception as error:  # noqa: BLE001 - e.g. an unsupported algorithm
                return PdfResult(
                    file, "broken", (), file.stem, f"{name}: cannot be decrypted: {error}"
                )
            if not opened:
                if password is None:
                    return PdfResult(
                        file,
                        "needs_password",
                        (),
                        file.stem,
                        f"{name}: encrypted; give its password to index it",
                    )
                return PdfResult(
                    file,
                    "wrong_password",
                    (),
                    file.stem,
                    f"{name}: the password given does not open it",
                )
        title = file.stem
        try:
            metadata = reader.metadata
            if metadata is not None and _clean(metadata.title):
                title = _clean(metadata.title)
        except Exception:  # noqa: BLE001 - unreadable metadata is not worth failing for
            logger.debug("unreadable metadata in %s", file)
        try:
            page_objects = list(reader.pages)
        except Exception as error:  # noqa: BLE001 - a damaged page tree
            return PdfResult(file, "broken", (), title, f"{name}: damaged page tree: {error}")
        pages: list[PdfPage] = []
        failed: list[int] = []
        for number, page in enumerate(page_objects, 1):
            try:
                text = _clean(page.extract_text())
            except Exception:  # noqa: BLE001 - one bad page must not lose the others
                failed.append(number)
                text = ""
            pages.append(PdfPage(number, text))
    with_text = sum(1 for p in pages if p.has_text)
    empty = [p.number for p in pages if not p.has_text and p.number not in failed]
    notes = []
    if empty:
        notes.append(f"no text on page(s) {_ranges(empty)} (images? OCR them to search them)")
    if failed:
        notes.append(f"text extraction failed on page(s) {_ranges(failed)}")
    if not pages or with_text == 0:
        status: PdfStatus = "no_text"
    elif with_text < len(pages):
        status = "partial"
    else:
        status = "ok"
    summary = f"{name}: {with_text} of {len(pages)} page(s) with text"
    return PdfResult(file, status, tuple(pages), title, "; ".join([summary, *notes]))


def _ranges(numbers: list[int]) -> str:
    parts: list[str] = []
    start = prev = numbers[0]
    for number in [*numbers[1:], None]:
        if number is not None and number == prev + 1:
            prev = number
            continue
        parts.append(str(start) if start == prev else f"{start}-{prev}")
        if number is not None:
            start = prev = number
    return ", ".join(parts)


def pdf_schema() -> Schema:
    """The schema :func:`index_pdfs` writes: one document per page.

    Fields: ``title`` (text, weight 2), ``text`` (text), ``path`` (keyword),
    ``file`` (keyword: the file name), ``page`` (stored page number).

    >>> pdf_schema().names
    ('title', 'text', 'path', 'file', 'page')
    """
    return Schema(
        TextField("title", standard_analyzer(), weight=2.0),
        TextField("text", standard_analyzer()),
        KeywordField("path"),
        KeywordField("file", lowercase=True),
        StoredField("page"),
    )


def index_pdfs(
    writer: Writer,
    paths: Iterable[str | Path],
    *,
    passwords: Mapping[str, str] | None = None,
    on_result: Callable[[PdfResult], None] | None = None,
) -> list[PdfResult]:
    """Read each PDF and add its pages to ``writer`` (schema: :func:`pdf_schema`).

    Each page becomes a document with id ``"<path>#page=<n>"``; pages of a file indexed
    before are replaced. ``passwords`` maps a file name or path to its password. A file
    that cannot be read is reported in its :class:`PdfResult` and skipped; the others
    are still indexed. Nothing is committed: call ``writer.commit()`` (or use the writer
    as a context manager).

    >>> from bricolage.search import Index
    >>> index = Index.in_memory(pdf_schema())
    >>> with index.writer() as writer:
    ...     results = index_pdfs(writer, [])
    >>> results
    []
    """
    secrets = dict(passwords or {})
    results: list[PdfResult] = []
    for raw in paths:
        path = Path(raw)
        password = secrets.get(str(path), secrets.get(path.name))
        result = read_pdf(path, password=password)
        key = str(path)
        writer.delete_by("path", key)
        for page in result.pages:
            if page.has_text:
                writer.add(
                    f"{key}#page={page.number}",
                    title=result.title,
                    text=page.text,
                    path=key,
                    file=path.name,
                    page=page.number,
                )
        results.append(result)
        if on_result is not None:
            on_result(result)
    return results
