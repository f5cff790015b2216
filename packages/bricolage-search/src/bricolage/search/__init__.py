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

from importlib.metadata import version as _version

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
from bricolage.search._scoring import BM25, bm25_idf, bm25_term_score
from bricolage.search._snippets import Snippet, make_snippet
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
    "bm25_idf",
    "bm25_term_score",
    "index_pdfs",
    "make_snippet",
    "parse_query",
    "pdf_schema",
    "read_pdf",
]
