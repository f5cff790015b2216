"""The application's model: a library of PDFs kept in a bricolage.search index."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path

from bricolage.search import Index, PdfResult, index_pdfs, pdf_schema


@dataclass(frozen=True, slots=True)
class SearchHit:
    """One ranked page."""

    rank: int
    score: float
    title: str
    file: str
    path: str
    page: int
    snippet_text: str
    snippet_html: str


def pdf_files(folder: str | Path) -> list[Path]:
    """The PDFs below ``folder`` (recursively), sorted; ``NotADirectoryError`` if no folder."""
    root = Path(folder)
    if not root.is_dir():
        raise NotADirectoryError(f"{root} is not a folder")
    return sorted(p for p in root.rglob("*") if p.is_file() and p.suffix.lower() == ".pdf")


class Library:
    """A folder-backed index of PDF pages."""

    def __init__(self, index_dir: str | Path) -> None:
        self.index = Index.create(index_dir, pdf_schema(), exist_ok=True)

    def add_folder(
        self,
        folder: str | Path,
        *,
        passwords: Mapping[str, str] | None = None,
        on_result: Callable[[PdfResult], None] | None = None,
    ) -> list[PdfResult]:
        """Index every PDF below ``folder`` (recursively); one result per file."""
        files = pdf_files(folder)
        with self.index.writer(timeout=10) as writer:
            return index_pdfs(writer, files, passwords=passwords, on_result=on_result)

    def search(
        self,
        query: str,
        *,
        limit: int = 10,
        title_weight: float = 2.0,
        text_weight: float = 1.0,
        match_all: bool = False,
    ) -> tuple[int, list[SearchHit]]:
        """Run ``query``; return the number of matching pages and the top hits."""
        self.index.refresh()
        results = self.index.search(
            query,
            limit=limit,
            field_weights={"title": title_weight, "text": text_weight},
            default_operator="AND" if match_all else "OR",
        )
        hits = []
        for hit in results:
            snippet = hit.snippet("text", max_chars=240)
            page = hit.fields.get("page")
            hits.append(
                SearchHit(
                    rank=hit.rank,
                    score=hit.score,
                    title=str(hit.fields.get("title", "")),
                    file=str(hit.fields.get("file", "")),
                    path=str(hit.fields.get("path", "")),
                    page=page if isinstance(page, int) else 0,
                    snippet_text=snippet.format(),
                    snippet_html=snippet.html(),
                )
            )
        return results.total, hits

    def stats(self) -> dict[str, int]:
        self.index.refresh()
        stats = self.index.stats()
        paths = {str((self.index.get(doc_id) or {}).get("path")) for doc_id in self.index.ids()}
        return {"pages": stats.documents, "files": len(paths), "terms": stats.terms["text"]}
