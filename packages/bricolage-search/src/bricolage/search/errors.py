"""Errors raised by :mod:`bricolage.search`.

Every error derives from :class:`SearchError`; each specific error also inherits the
built-in exception it refines, so generic handlers still catch it::

    SearchError (Exception)
    ├── SchemaError (SearchError, ValueError)
    │       a bad schema, or a document that does not fit the schema
    ├── QueryError (SearchError, ValueError)
    │   ├── QuerySyntaxError
    │   │       the query text cannot be parsed; carries the 1-based column
    │   └── QueryTooBroadError
    │           a prefix or fuzzy term expands to too many terms
    ├── IndexStateError (SearchError, RuntimeError)
    │       the index is closed, or an operation does not fit its state
    ├── IndexLockedError (SearchError, BlockingIOError)
    │       another writer holds the index's write lock
    ├── CorruptIndexError (SearchError, OSError)
    │       the files on disk are damaged or are not an index
    └── MissingExtraError (SearchError, ImportError)
            an optional dependency (such as pypdf for ``[pdf]``) is not installed

>>> from bricolage.search import parse_query, QuerySyntaxError
>>> try:
...     parse_query('title:"open phrase')
... except QuerySyntaxError as error:
...     print(error.column)
7
"""

from __future__ import annotations

__all__ = [
    "CorruptIndexError",
    "IndexLockedError",
    "IndexStateError",
    "MissingExtraError",
    "QueryError",
    "QuerySyntaxError",
    "QueryTooBroadError",
    "SchemaError",
    "SearchError",
]


class SearchError(Exception):
    """The base of every error raised by :mod:`bricolage.search`.

    >>> from bricolage.search import SchemaError, SearchError
    >>> issubclass(SchemaError, SearchError)
    True
    """


class SchemaError(SearchError, ValueError):
    """A schema is invalid, or a document does not fit its schema.

    >>> from bricolage.search import Schema, TextField
    >>> Schema(TextField("body"), TextField("body"))  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    bricolage.search.errors.SchemaError: field 'body' is declared twice; ...
    """


class QueryError(SearchError, ValueError):
    """A query cannot be run as written.

    >>> from bricolage.search import QueryError, QuerySyntaxError
    >>> issubclass(QuerySyntaxError, QueryError)
    True
    """


class QuerySyntaxError(QueryError):
    """The query text does not parse. ``column`` is the 1-based column of the problem.

    The message quotes the query and points at the column with a caret.

    >>> from bricolage.search import parse_query
    >>> parse_query("a AND (b OR c")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    bricolage.search.errors.QuerySyntaxError: missing ')' to close the '(' at column 7 ...
    """

    def __init__(self, message: str, query: str, column: int) -> None:
        self.query = query
        self.column = column
        pointer = " " * (column - 1) + "^"
        super().__init__(f"{message} (column {column})\n  {query}\n  {pointer}")


class QueryTooBroadError(QueryError):
    """A prefix or fuzzy term matches more index terms than the allowed maximum.

    >>> from bricolage.search import QueryTooBroadError
    >>> issubclass(QueryTooBroadError, ValueError)
    True
    """


class IndexStateError(SearchError, RuntimeError):
    """The index or writer is closed, or the operation does not fit its current state.

    >>> from bricolage.search import Index, Schema, TextField
    >>> writer = Index.in_memory(Schema(TextField("body"))).writer()
    >>> writer.close()
    >>> writer.add("1", body="late")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    bricolage.search.errors.IndexStateError: this writer is closed; ...
    """


class IndexLockedError(SearchError, BlockingIOError):
    """Another writer (in this process or another) holds the index's write lock.

    >>> from bricolage.search import IndexLockedError
    >>> issubclass(IndexLockedError, OSError)
    True
    """


class CorruptIndexError(SearchError, OSError):
    """The files on disk are damaged, or the folder is not an index.

    >>> from bricolage.search import CorruptIndexError
    >>> issubclass(CorruptIndexError, OSError)
    True
    """


class MissingExtraError(SearchError, ImportError):
    """An optional dependency is missing; the message names the extra to install.

    >>> from bricolage.search import MissingExtraError
    >>> issubclass(MissingExtraError, ImportError)
    True
    """
