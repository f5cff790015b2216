"""PDF Search (Mini Index): a folder of PDFs behind a CLI and a small Flask site."""

from __future__ import annotations

from pdf_search.app import create_app
from pdf_search.core import Library, SearchHit

__all__ = ["Library", "SearchHit", "create_app"]
