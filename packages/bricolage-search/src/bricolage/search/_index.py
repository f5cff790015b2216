"""The index: open or create it, write with one writer, search with many readers."""

from __future__ import annotations

import errno
import threading
import time
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from types import TracebackType
from typing import Literal

from bricolage.search._query import Query, parse_query
from bricolage.search._schema import FieldValue, KeywordField, Schema, TextField
from bricolage.search._scoring import BM25
from bricolage.search._search import evaluate, top_k
from bricolage.search._segment import AnalysedDocument, Vocabulary, analyse
from bricolage.search._segment import Segment as _Segment
from bricolage.search._snippets import Snippet, make_snippet
from bricolage.search._storage import Storage as _Storage
from bricolage.search._storage import WriteLock
from bricolage.search.errors import (
    CorruptIndexError,
    IndexLockedError,
    IndexStateError,
    QueryError,
    SchemaError,
    SearchError,
)

__all__ = ["Hit", "Index", "IndexStats", "Results", "Writer"]


@dataclass(frozen=True, slots=True)
class _SnippetSource:
    schema: Schema
    highlights: Mapping[str, set[str]]


@dataclass(frozen=True, slots=True)
class Hit:
    """One ranked document: its id, score, 1-based rank and stored fields.

    >>> index = Index.in_memory(Schema(TextField("body")))
    >>> with index.writer() as writer:
    ...     writer.add("d1", body="Neutron stars spin very fast")
    >>> hit = index.search("spin")[0]
    >>> hit.id, hit.rank, hit.fields["body"]
    ('d1', 1, 'Neutron stars spin very fast')
    >>> hit.snippet().format()
    'Neutron stars **spin** very fast'
    """

    id: str
    score: float
    rank: int
    fields: Mapping[str, object]
    _source: object = field(repr=False, compare=False)

    def snippet(self, field: str | None = None, *, max_chars: int = 200) -> Snippet:
        """The best passage of a stored text field, matches highlighted.

        ``field`` defaults to the text field with the most matched terms in this
        document (the first text field if none matched).

        >>> index = Index.in_memory(Schema(TextField("title"), TextField("body")))
        >>> with index.writer() as writer:
        ...     writer.add("d1", title="Pulsars", body="A pulsar is a neutron star.")
        >>> index.search("neutron")[0].snippet().format()
        'A pulsar is a **neutron** star.'
        """
        source = self._source
        assert isinstance(source, _SnippetSource)
        schema = source.schema
        text_fields = [f for f in schema.text_fields if f.stored]
        if field is None:
            if not text_fields:
                raise SchemaError("the schema has no stored text field to take a snippet from")
            chosen = text_fields[0]
            best = -1
            for spec in text_fields:
                value = self.fields.get(spec.name)
                terms = source.highlights.get(spec.name, set())
                if isinstance(value, str) and terms:
                    found = len(terms.intersection(spec.analyzer(value)))
                    if found > best:
                        chosen, best = spec, found
        else:
            named = schema[field]
            if not isinstance(named, TextField) or not named.stored:
                raise SchemaError(f"field {field!r} is not a stored text field; no snippet")
            chosen = named
        value = self.fields.get(chosen.name)
        text = value if isinstance(value, str) else ""
        terms = source.highlights.get(chosen.name, set())
        return make_snippet(text, chosen.analyzer, terms, max_chars)


class Results(Sequence[Hit]):
    """The hits of a search, best first, and how many documents matched in all.

    :class:`Hit` objects are made when first used; :attr:`ids` does not need them.

    >>> index = Index.in_memory(Schema(TextField("body")))
    >>> with index.writer() as writer:
    ...     for i in range(5):
    ...         writer.add(f"d{i}", body="star " * (i + 1))
    >>> results = index.search("star", limit=2)
    >>> len(results), results.total, [hit.id for hit in results]
    (2, 5, ['d4', 'd3'])
    """

    __slots__ = ("_hits", "_numbers", "_scores", "_segment", "_source", "query", "total")

    def __init__(
        self,
        numbers: list[int],
        scores: list[float],
        total: int,
        query: Query,
        segment: object,
        source: object,
    ) -> None:
        assert isinstance(segment, _Segment)
        self._numbers = numbers
        self._scores = scores
        self.total: int = total
        self.query: Query = query
        self._segment = segment
        self._source = source
        self._hits: tuple[Hit, ...] | None = None

    @property
    def hits(self) -> tuple[Hit, ...]:
        """The hits, best first.

        >>> Index.in_memory(Schema(TextField("body"))).search("x").hits
        ()
        """
        if self._hits is None:
            segment, source = self._segment, self._source
            self._hits = tuple(
                Hit(segment.ids[number], score, rank, segment.stored[number], source)
                for rank, (number, score) in enumerate(
                    zip(self._numbers, self._scores, strict=True), 1
                )
            )
        return self._hits

    def __len__(self) -> int:
        return len(self._numbers)

    def __iter__(self) -> Iterator[Hit]:
        return iter(self.hits)

    def __getitem__(self, index: int) -> Hit:  # type: ignore[override]
        return self.hits[index]

    def __repr__(self) -> str:
        return f"Results(total={self.total}, ids={self.ids!r})"

    @property
    def ids(self) -> list[str]:
        """The ids of the hits, best first.

        >>> Index.in_memory(Schema(TextField("body"))).search("x").ids
        []
        """
        ids = self._segment.ids
        return [ids[number] for number in self._numbers]


@dataclass(frozen=True, slots=True)
class IndexStats:
    """A snapshot of an index: its size, and what this :class:`Index` object has done.

    ``documents``, ``generation``, ``terms``, ``postings`` and ``average_length`` describe
    the commit the object searches. On disk, ``segments`` counts the segment files in the
    folder (the current one, and the previous one while readers may still load it) and
    ``size_bytes`` their total size; in memory they are 1 and ``None``. ``queries``,
    ``query_seconds`` and ``commits`` count the searches run through this object, the
    time they took, and the commits made through its writers, since it was opened (they
    take no part in comparing two snapshots).
    :class:`bricolage.search.prometheus.SearchCollector` exposes these to Prometheus.

    >>> index = Index.in_memory(Schema(TextField("body")))
    >>> with index.writer() as writer:
    ...     writer.add("d1", body="red fish")
    >>> _ = index.search("fish")
    >>> stats = index.stats()
    >>> stats.documents, stats.segments, stats.size_bytes, stats.queries, stats.commits
    (1, 1, None, 1, 1)
    """

    documents: int
    generation: int
    terms: Mapping[str, int]
    postings: Mapping[str, int]
    average_length: Mapping[str, float]
    path: str | None
    segments: int = 1
    size_bytes: int | None = None
    queries: int = field(default=0, compare=False)
    query_seconds: float = field(default=0.0, compare=False)
    commits: int = field(default=0, compare=False)


class Index:
    """A full-text index: documents with fields, BM25 ranking, phrase and boolean search.

    Create one on disk with :meth:`create` (or in memory with :meth:`in_memory`), write
    through a :class:`Writer`, search with :meth:`search`. Searches see the state of the
    last commit this object loaded; :meth:`refresh` loads a newer one. Any number of
    readers, in any number of processes, may search while one writer commits.

    >>> from bricolage.search import Schema, TextField, KeywordField
    >>> index = Index.in_memory(Schema(TextField("title", weight=2.0), TextField("body"),
    ...                                KeywordField("kind")))
    >>> with index.writer() as writer:
    ...     writer.add("a", title="Neutron stars", body="Dense remnants.", kind="review")
    ...     writer.add("b", title="Dwarfs", body="White dwarfs and neutron stars.", kind="note")
    >>> [hit.id for hit in index.search('"neutron stars"')]
    ['a', 'b']
    >>> [hit.id for hit in index.search("neutron AND kind:note")]
    ['b']
    """

    def __init__(
        self,
        schema: Schema,
        segment: object,
        generation: int,
        storage: object,
        params: BM25,
    ) -> None:
        # Built by create(), open() and in_memory(); the arguments are internal objects.
        assert isinstance(segment, _Segment)
        assert storage is None or isinstance(storage, _Storage)
        self._schema = schema
        self._segment = segment
        self._generation = generation
        self._storage = storage
        self._params = params
        self._closed = False
        self._memory_lock = threading.Lock() if storage is None else None
        self._counters_lock = threading.Lock()
        self._queries = 0
        self._query_seconds = 0.0
        self._commits = 0

    # ------------------------------------------------------------------ opening

    @classmethod
    def in_memory(cls, schema: Schema, *, bm25: BM25 | None = None) -> Index:
        """An index that lives in this process only.

        >>> Index.in_memory(Schema(TextField("body"))).stats().documents
        0
        """
        return cls(schema, _Segment.empty(schema), 0, None, bm25 or BM25())

    @classmethod
    def create(
        cls, path: str | Path, schema: Schema, *, bm25: BM25 | None = None, exist_ok: bool = False
    ) -> Index:
        """Create an empty index in the folder ``path`` (made if missing).

        With ``exist_ok=True`` an existing index there is opened instead (its schema
        must equal ``schema``).

        >>> import tempfile
        >>> with tempfile.TemporaryDirectory() as folder:
        ...     index = Index.create(folder, Schema(TextField("body")))
        ...     index.stats().generation
        1
        """
        folder = Path(path)
        storage = _Storage(folder)
        if storage.exists():
            if not exist_ok:
                raise SearchError(
                    f"{folder} already holds an index; open it with Index.open() or pass "
                    "exist_ok=True"
                )
            index = cls.open(folder, bm25=bm25)
            if index.schema != schema:
                raise SchemaError(f"{folder} holds an index with another schema: {index.schema!r}")
            return index
        folder.mkdir(parents=True, exist_ok=True)
        schema.to_dict()  # fail early if the schema cannot be saved
        lock = WriteLock(folder)
        lock.acquire(0)
        try:
            if storage.exists():  # pragma: no cover - created by a racing process
                return cls.open(folder, bm25=bm25)
            segment = _Segment.empty(schema)
            storage.commit(1, schema, segment)
        finally:
            lock.release()
        return cls(schema, segment, 1, storage, bm25 or BM25())

    @classmethod
    def open(cls, path: str | Path, *, bm25: BM25 | None = None) -> Index:
        """Open the index in ``path`` at its last committed state.

        Raises :class:`~bricolage.search.CorruptIndexError` if the folder is not an
        index or its files are damaged.

        >>> import tempfile
        >>> with tempfile.TemporaryDirectory() as folder:
        ...     _ = Index.create(folder, Schema(TextField("body")))
        ...     Index.open(folder).schema.names
        ('body',)
        """
        storage = _Storage(Path(path))
        if not Path(path).is_dir():
            raise CorruptIndexError(f"{path} is not a folder holding an index")
        generation, schema, segment = storage.load()
        return cls(schema, segment, generation, storage, bm25 or BM25())

    # ------------------------------------------------------------------ state

    @property
    def schema(self) -> Schema:
        """The schema of the documents.

        >>> Index.in_memory(Schema(TextField("body"))).schema.names
        ('body',)
        """
        return self._schema

    @property
    def path(self) -> Path | None:
        """The index folder (``None`` in memory).

        >>> Index.in_memory(Schema(TextField("body"))).path is None
        True
        """
        return None if self._storage is None else self._storage.path

    @property
    def generation(self) -> int:
        """The commit this object searches (increases by one per commit).

        >>> Index.in_memory(Schema(TextField("body"))).generation
        0
        """
        return self._generation

    @property
    def bm25(self) -> BM25:
        """The default BM25 parameters of :meth:`search`.

        >>> Index.in_memory(Schema(TextField("body"))).bm25
        BM25(k1=1.2, b=0.75)
        """
        return self._params

    def __len__(self) -> int:
        return self._segment.n_docs

    def __contains__(self, doc_id: object) -> bool:
        return isinstance(doc_id, str) and doc_id in self._segment.id_lookup

    def get(self, doc_id: str) -> Mapping[str, object] | None:
        """The stored fields of document ``doc_id``, or ``None``.

        >>> index = Index.in_memory(Schema(TextField("body")))
        >>> with index.writer() as writer:
        ...     writer.add("d1", body="text")
        >>> index.get("d1"), index.get("nope")
        ({'body': 'text'}, None)
        """
        number = self._segment.id_lookup.get(doc_id)
        return None if number is None else dict(self._segment.stored[number])

    def ids(self) -> list[str]:
        """Every document id, in index order.

        >>> Index.in_memory(Schema(TextField("body"))).ids()
        []
        """
        return list(self._segment.ids)

    def refresh(self) -> bool:
        """Load the latest commit if it is newer; return whether anything changed.

        >>> Index.in_memory(Schema(TextField("body"))).refresh()
        False
        """
        self._check_open()
        if self._storage is None:
            return False
        pointer = self._storage.read_pointer()
        if pointer is None or pointer.generation == self._generation:
            return False
        generation, schema, segment = self._storage.load()
        self._schema, self._segment, self._generation = schema, segment, generation
        return True

    def stats(self) -> IndexStats:
        """Document, term and posting counts.

        >>> index = Index.in_memory(Schema(TextField("body")))
        >>> with index.writer() as writer:
        ...     writer.add("d1", body="red fish blue fish")
        >>> stats = index.stats()
        >>> stats.documents, stats.terms["body"], stats.postings["body"]
        (1, 3, 3)
        """
        fields = self._segment.fields
        segments, size = 1, None
        if self._storage is not None:
            sizes = self._storage.segment_sizes()
            segments, size = len(sizes), sum(sizes.values())
        with self._counters_lock:
            queries, seconds, commits = self._queries, self._query_seconds, self._commits
        return IndexStats(
            documents=self._segment.n_docs,
            generation=self._generation,
            terms={name: len(f.terms) for name, f in fields.items()},
            postings={name: len(f.docs) for name, f in fields.items()},
            average_length={name: f.avg_length for name, f in fields.items()},
            path=None if self._storage is None else str(self._storage.path),
            segments=segments,
            size_bytes=size,
            queries=queries,
            query_seconds=seconds,
            commits=commits,
        )

    def close(self) -> None:
        """Release the loaded snapshot; later calls raise ``IndexStateError``.

        >>> index = Index.in_memory(Schema(TextField("body")))
        >>> index.close()
        """
        self._closed = True
        self._segment = _Segment.empty(self._schema)

    def __enter__(self) -> Index:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def _check_open(self) -> None:
        if self._closed:
            raise IndexStateError("this index is closed; open it again to search")

    # ------------------------------------------------------------------ writing

    def writer(self, *, timeout: float = 0.0) -> Writer:
        """The single writer: add, update and delete documents, then commit.

        On disk, the writer holds an exclusive lock on the folder until it is closed;
        another writer waits up to ``timeout`` seconds, then raises
        :class:`~bricolage.search.IndexLockedError`. Used as a context manager it
        commits on success and rolls back on an exception.

        >>> index = Index.in_memory(Schema(TextField("body")))
        >>> with index.writer() as writer:
        ...     writer.add("d1", body="hello")
        >>> len(index)
        1
        """
        self._check_open()
        return Writer(self, timeout)

    # ------------------------------------------------------------------ searching

    def search(
        self,
        query: str | Query,
        *,
        limit: int | None = 10,
        k1: float | None = None,
        b: float | None = None,
        field_weights: Mapping[str, float] | None = None,
        default_operator: Literal["OR", "AND"] = "OR",
        max_expansions: int = 1024,
    ) -> Results:
        """Rank the documents matching ``query``, best first.

        Args:
            query: query text (see :func:`~bricolage.search.parse_query`) or a
                :class:`~bricolage.search.Query` tree.
            limit: how many hits to return (``None`` for all).
            k1: BM25 term-frequency saturation (default: the index's, 1.2).
            b: BM25 length normalisation (default: the index's, 0.75).
            field_weights: BM25F weights of the text fields searched by clauses that
                name no field; fields left out are not searched. Default: the schema's.
            default_operator: how adjacent words combine in query text.
            max_expansions: the most terms a ``prefix*`` or ``fuzzy~`` may expand to.

        >>> index = Index.in_memory(Schema(TextField("title"), TextField("body")))
        >>> with index.writer() as writer:
        ...     writer.add("a", title="Quasars", body="Distant and bright.")
        ...     writer.add("b", title="Galaxies", body="Quasars live in galaxies.")
        >>> index.search("quasars", field_weights={"title": 3.0, "body": 1.0}).ids
        ['a', 'b']
        >>> index.search("quasars", field_weights={"body": 1.0}).ids
        ['b']
        """
        self._check_open()
        started = time.perf_counter()
        segment, schema = self._segment, self._schema
        params = self._params
        if k1 is not None or b is not None:
            params = BM25(params.k1 if k1 is None else k1, params.b if b is None else b)
        if limit is not None and limit < 0:
            raise QueryError(f"limit must be >= 0 or None, got {limit!r}")
        if max_expansions < 1:
            raise QueryError(f"max_expansions must be >= 1, got {max_expansions!r}")
        weights = _weights(schema, field_weights)
        if isinstance(query, str):
            tree = parse_query(
                query, fields=schema.indexed_names, default_operator=default_operator
            )
        elif isinstance(query, Query):
            tree = query
        else:
            raise QueryError(f"a query is a string or a Query, got {type(query).__name__}")
        found = evaluate(tree, segment, schema, params, weights, max_expansions)
        order, total = top_k(found.scores, found.match, limit)
        source = _SnippetSource(schema, found.highlights)
        results = Results(
            order.tolist(), found.scores[order].tolist(), total, tree, segment, source
        )
        elapsed = time.perf_counter() - started
        with self._counters_lock:
            self._queries += 1
            self._query_seconds += elapsed
        return results


def _weights(schema: Schema, overrides: Mapping[str, float] | None) -> dict[str, float]:
    if overrides is None:
        return {f.name: f.weight for f in schema.text_fields}
    out: dict[str, float] = {}
    for name, weight in overrides.items():
        spec = schema[name]
        if not isinstance(spec, TextField):
            raise SchemaError(f"field_weights names {name!r}, which is not a text field")
        value: object = weight
        if not (isinstance(value, int | float) and 0 < value < float("inf")):
            raise SchemaError(
                f"field weight of {name!r} must be a positive number, got {weight!r}"
            )
        out[name] = float(weight)
    return out


class Writer:
    """Adds, updates and deletes documents; :meth:`commit` publishes them atomically.

    Changes are invisible to searches until the commit. A commit writes a complete new
    snapshot and then switches a pointer file to it, so a crash at any moment leaves the
    previous commit intact.

    >>> index = Index.in_memory(Schema(TextField("body")))
    >>> writer = index.writer()
    >>> writer.add("d1", body="first")
    >>> writer.update("d1", body="second")
    >>> writer.pending
    1
    >>> writer.commit()
    1
    >>> writer.close()
    >>> index.get("d1")
    {'body': 'second'}
    """

    def __init__(self, index: Index, timeout: float) -> None:
        self._index = index
        self._schema = index.schema
        self._lock: WriteLock | None = None
        self._closed = False
        storage = index._storage
        if storage is not None:
            lock = WriteLock(storage.path)
            lock.acquire(timeout)
            self._lock = lock
            try:
                self._generation, self._schema, self._base = storage.load()
            except BaseException:
                lock.release()
                raise
        else:
            assert index._memory_lock is not None
            acquired = (
                index._memory_lock.acquire(timeout=timeout)
                if timeout > 0
                else index._memory_lock.acquire(blocking=False)
            )
            if not acquired:
                raise IndexLockedError(
                    errno.EAGAIN, "another writer of this in-memory index is open; close it first"
                )
            self._generation, self._base = index._generation, index._segment
        self._added: dict[str, AnalysedDocument] = {}
        self._deleted: set[str] = set()
        self._vocabularies: dict[str, Vocabulary] = {}

    @property
    def pending(self) -> int:
        """How many added, updated or deleted documents wait for the commit.

        >>> Index.in_memory(Schema(TextField("body"))).writer().pending
        0
        """
        return len(self._added) + len(self._deleted - self._added.keys())

    def _check(self) -> None:
        if self._closed:
            raise IndexStateError("this writer is closed; open a new one with index.writer()")

    def _exists(self, doc_id: str) -> bool:
        if doc_id in self._added:
            return True
        return doc_id in self._base.id_lookup and doc_id not in self._deleted

    def add(self, doc_id: str, /, **fields: FieldValue) -> None:
        """Add a new document; its id must not exist yet (see :meth:`update`).

        >>> writer = Index.in_memory(Schema(TextField("body"))).writer()
        >>> writer.add("d1", body="one")
        >>> writer.add("d1", body="again")  # doctest: +ELLIPSIS
        Traceback (most recent call last):
        ...
        bricolage.search.errors.SchemaError: document 'd1' already exists; ...
        """
        self._check()
        values = self._schema.validate(doc_id, fields)
        if self._exists(doc_id):
            raise SchemaError(f"document {doc_id!r} already exists; use update() to replace it")
        self._added[doc_id] = analyse(self._schema, doc_id, values, fields, self._vocabularies)

    def update(self, doc_id: str, /, **fields: FieldValue) -> None:
        """Replace document ``doc_id`` (or add it if it does not exist).

        >>> index = Index.in_memory(Schema(TextField("body")))
        >>> with index.writer() as writer:
        ...     writer.update("d1", body="created")
        ...     writer.update("d1", body="replaced")
        >>> index.get("d1")
        {'body': 'replaced'}
        """
        self._check()
        values = self._schema.validate(doc_id, fields)
        analysed = analyse(self._schema, doc_id, values, fields, self._vocabularies)
        self._added.pop(doc_id, None)
        if doc_id in self._base.id_lookup:
            self._deleted.add(doc_id)
        self._added[doc_id] = analysed

    def delete(self, doc_id: str) -> bool:
        """Delete document ``doc_id``; return whether it existed.

        >>> index = Index.in_memory(Schema(TextField("body")))
        >>> with index.writer() as writer:
        ...     writer.add("d1", body="short-lived")
        >>> with index.writer() as writer:
        ...     writer.delete("d1"), writer.delete("d1")
        (True, False)
        >>> len(index)
        0
        """
        self._check()
        existed = self._exists(doc_id)
        self._added.pop(doc_id, None)
        if doc_id in self._base.id_lookup:
            self._deleted.add(doc_id)
        return existed

    def delete_by(self, field: str, value: str) -> int:
        """Delete every document whose keyword ``field`` holds ``value``; return how many.

        >>> from bricolage.search import KeywordField
        >>> index = Index.in_memory(Schema(TextField("body"), KeywordField("file")))
        >>> with index.writer() as writer:
        ...     writer.add("a#1", body="page one", file="a.pdf")
        ...     writer.add("a#2", body="page two", file="a.pdf")
        ...     writer.add("b#1", body="other", file="b.pdf")
        >>> with index.writer() as writer:
        ...     writer.delete_by("file", "a.pdf")
        2
        >>> index.ids()
        ['b#1']
        """
        self._check()
        spec = self._schema[field]
        if not isinstance(spec, KeywordField):
            raise SchemaError(f"delete_by needs a keyword field; {field!r} is not one")
        wanted = value.lower() if spec.lowercase else value
        doomed: set[str] = set()
        fi = self._base.fields[field]
        span = fi.span(wanted)
        if span is not None:
            for number in fi.docs[span[0] : span[1]].tolist():
                doomed.add(self._base.ids[number])
        doomed -= self._deleted
        vocabulary = self._vocabularies.get(field)
        term_id = None if vocabulary is None else vocabulary.get(wanted)
        if term_id is not None:
            for doc_id, doc in self._added.items():
                if field in doc.fields and term_id in doc.fields[field]:
                    doomed.add(doc_id)
        for doc_id in doomed:
            self.delete(doc_id)
        return len(doomed)

    def commit(self) -> int:
        """Publish every pending change at once; return the new generation.

        >>> writer = Index.in_memory(Schema(TextField("body"))).writer()
        >>> writer.commit()
        1
        """
        self._check()
        segment = self._base.merged(
            self._schema, self._deleted, list(self._added.values()), self._vocabularies
        )
        generation = self._generation + 1
        storage = self._index._storage
        if storage is not None:
            storage.commit(generation, self._schema, segment)
        self._base, self._generation = segment, generation
        self._added, self._deleted, self._vocabularies = {}, set(), {}
        index = self._index
        with index._counters_lock:
            index._commits += 1
        if not index._closed:
            index._schema, index._segment, index._generation = self._schema, segment, generation
        return generation

    def rollback(self) -> None:
        """Forget every pending change.

        >>> writer = Index.in_memory(Schema(TextField("body"))).writer()
        >>> writer.add("d1", body="draft")
        >>> writer.rollback()
        >>> writer.pending
        0
        """
        self._check()
        self._added, self._deleted = {}, set()

    def close(self) -> None:
        """Release the write lock; pending changes are dropped (commit first).

        >>> Index.in_memory(Schema(TextField("body"))).writer().close()
        """
        if self._closed:
            return
        self._closed = True
        self._added, self._deleted = {}, set()
        if self._lock is not None:
            self._lock.release()
        else:
            assert self._index._memory_lock is not None
            self._index._memory_lock.release()

    def __enter__(self) -> Writer:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        try:
            if exc_type is None:
                self.commit()
        finally:
            self.close()
