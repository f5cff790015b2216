"""Full-text search: BM25(F) ranking, phrase and boolean queries, snippets, PDFs.

>>> from bricolage.search import Index, Schema, TextField
>>> index = Index.in_memory(Schema(TextField("title", weight=2.0), TextField("body")))
>>> with index.writer() as writer:
...     writer.add("1", title="Neutron stars", body="Pulsars are rotating neutron stars.")
...     writer.add("2", title="White dwarfs", body="Dwarfs are smaller than giants.")
>>> hit = index.search('"neutron stars" OR dwarf*')[0]
>>> hit.id, hit.snippet("body").format()
('1', 'Pulsars are rotating **neutron** **stars**.')
"""

from __future__ import annotations

import warnings as _warnings
from importlib.metadata import version as _version
from typing import Any as _Any

from bricolage.search._index import Hit, Index, IndexStats, Results, Writer
from bricolage.search._pdf import PdfPage, PdfResult, index_pdfs, pdf_schema, read_pdf
from bricolage.search._query import (
    And,
    Fuzzy,
    Match,
    MatchAll,
    Not,
    Or,
    Phrase,
    Prefix,
    Query,
    Term,
    parse_query,
)
from bricolage.search._schema import FieldValue, KeywordField, Schema, StoredField, TextField
from bricolage.search._scoring import BM25
from bricolage.search._snippets import Snippet
from bricolage.search.errors import (
    CorruptIndexError,
    IndexLockedError,
    IndexStateError,
    MissingExtraError,
    QueryError,
    QuerySyntaxError,
    QueryTooBroadError,
    SchemaError,
    SearchError,
)

__version__ = _version("bricolage-search")

__all__ = [
    "BM25",
    "And",
    "CorruptIndexError",
    "FieldValue",
    "Fuzzy",
    "Hit",
    "Index",
    "IndexLockedError",
    "IndexStateError",
    "IndexStats",
    "KeywordField",
    "Match",
    "MatchAll",
    "MissingExtraError",
    "Not",
    "Or",
    "PdfPage",
    "PdfResult",
    "Phrase",
    "Prefix",
    "Query",
    "QueryError",
    "QuerySyntaxError",
    "QueryTooBroadError",
    "Results",
    "Schema",
    "SchemaError",
    "SearchError",
    "Snippet",
    "StoredField",
    "Term",
    "TextField",
    "Writer",
    "__version__",
    "index_pdfs",
    "parse_query",
    "pdf_schema",
    "read_pdf",
]

# Moved to bricolage.search.scoring in 0.2.0; the old paths work until 0.3.0.
_MOVED = {"bm25_idf", "bm25_term_score", "make_snippet"}


def __getattr__(name: str) -> _Any:
    if name in _MOVED:
        _warnings.warn(
            f"bricolage.search.{name} moved to bricolage.search.scoring.{name}; "
            "the old path goes away in bricolage-search 0.3",
            DeprecationWarning,
            stacklevel=2,
        )
        from bricolage.search import scoring

        return getattr(scoring, name)
    raise AttributeError(f"module 'bricolage.search' has no attribute {name!r}")
