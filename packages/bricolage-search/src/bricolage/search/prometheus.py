"""Prometheus metrics of one or more indexes, read from :meth:`Index.stats` at scrape time.

Needs the extra ``[prometheus]`` (``pip install "bricolage-search[prometheus]"``).
Register a :class:`SearchCollector` with a ``prometheus_client`` registry; every scrape
calls :meth:`~bricolage.search.Index.stats` on each index, so nothing is recorded twice
and nothing is kept between scrapes.

=========================================  =======  ============================================
metric                                     type     meaning
=========================================  =======  ============================================
``bricolage_search_documents``             gauge    documents in the commit being searched
``bricolage_search_generation``            gauge    that commit's number
``bricolage_search_segments``              gauge    segment files in the folder (1 in memory)
``bricolage_search_index_size_bytes``      gauge    their size on disk (on-disk indexes only)
``bricolage_search_terms{field}``          gauge    distinct terms of a field
``bricolage_search_postings{field}``       gauge    (term, document) pairs of a field
``bricolage_search_queries_total``         counter  searches run through this ``Index`` object
``bricolage_search_query_seconds_total``   counter  time those searches took
``bricolage_search_commits_total``         counter  commits made through its writers
=========================================  =======  ============================================

Given a mapping of names to indexes, every series carries an ``index`` label.

>>> from prometheus_client import CollectorRegistry, generate_latest
>>> from bricolage.search import Index, Schema, TextField
>>> from bricolage.search.prometheus import SearchCollector
>>> index = Index.in_memory(Schema(TextField("body")))
>>> with index.writer() as writer:
...     writer.add("d1", body="red fish blue fish")
>>> registry = CollectorRegistry()
>>> registry.register(SearchCollector(index))
>>> [line for line in generate_latest(registry).decode().splitlines()
...  if line.startswith("bricolage_search_documents")]
['bricolage_search_documents 1.0']
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping

from bricolage.search._index import Index
from bricolage.search.errors import MissingExtraError

try:
    from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily
    from prometheus_client.metrics_core import Metric
except ImportError as _missing:  # pragma: no cover - exercised in a subprocess by the tests
    raise MissingExtraError(
        "bricolage.search.prometheus needs prometheus-client; install it with "
        'pip install "bricolage-search[prometheus]"'
    ) from _missing

__all__ = ["SearchCollector"]

_PREFIX = "bricolage_search"


class SearchCollector:
    """A Prometheus collector reading :meth:`Index.stats` of each index when scraped.

    Args:
        indexes: one :class:`~bricolage.search.Index`, or a mapping of names to indexes
            (each series then carries the label ``index="<name>"``).

    >>> from prometheus_client import CollectorRegistry
    >>> from bricolage.search import Index, Schema, TextField
    >>> books = Index.in_memory(Schema(TextField("body")))
    >>> papers = Index.in_memory(Schema(TextField("body")))
    >>> collector = SearchCollector({"books": books, "papers": papers})
    >>> CollectorRegistry().register(collector)
    >>> sorted(s.labels["index"] for m in collector.collect() for s in m.samples
    ...        if m.name == "bricolage_search_documents")
    ['books', 'papers']
    """

    def __init__(self, indexes: Index | Mapping[str, Index]) -> None:
        given: object = indexes
        if isinstance(given, Index):
            self._indexes: dict[str, Index] = {"": given}
            return
        pairs: list[tuple[object, object]] = (
            list(given.items()) if isinstance(given, Mapping) else [("", None)]
        )
        self._indexes = {
            name: index
            for name, index in pairs
            if isinstance(name, str) and name and isinstance(index, Index)
        }
        if not pairs or len(self._indexes) != len(pairs):
            raise TypeError(
                "SearchCollector takes an Index or a mapping of non-empty names to indexes, "
                f"got {indexes!r}"
            )

    def collect(self) -> Iterator[Metric]:
        """The metrics of every index, read now.

        >>> from bricolage.search import Index, Schema, TextField
        >>> collector = SearchCollector(Index.in_memory(Schema(TextField("body"))))
        >>> sorted(metric.name for metric in collector.collect())[:3]
        ['bricolage_search_commits', 'bricolage_search_documents', 'bricolage_search_generation']
        """
        named = any(self._indexes)
        base = ["index"] if named else []

        def gauge(
            name: str, doc: str, unit: str = "", extra: tuple[str, ...] = ()
        ) -> GaugeMetricFamily:
            return GaugeMetricFamily(f"{_PREFIX}_{name}", doc, labels=[*base, *extra], unit=unit)

        def counter(name: str, doc: str, unit: str = "") -> CounterMetricFamily:
            return CounterMetricFamily(f"{_PREFIX}_{name}", doc, labels=base, unit=unit)

        documents = gauge("documents", "Documents in the commit being searched.")
        generation = gauge("generation", "The number of the commit being searched.")
        segments = gauge("segments", "Segment files in the index folder (1 in memory).")
        size = gauge("index_size", "Size of the segment files on disk.", "bytes")
        terms = gauge("terms", "Distinct terms of a field.", extra=("field",))
        postings = gauge("postings", "(term, document) pairs of a field.", extra=("field",))
        queries = counter("queries", "Searches run through this Index object.")
        seconds = counter("query_seconds", "Time taken by those searches.")
        commits = counter("commits", "Commits made through this Index object's writers.")
        for name, index in self._indexes.items():
            stats = index.stats()
            labels = [name] if named else []
            documents.add_metric(labels, stats.documents)
            generation.add_metric(labels, stats.generation)
            segments.add_metric(labels, stats.segments)
            if stats.size_bytes is not None:
                size.add_metric(labels, stats.size_bytes)
            for field, count in stats.terms.items():
                terms.add_metric([*labels, field], count)
                postings.add_metric([*labels, field], stats.postings[field])
            queries.add_metric(labels, stats.queries)
            seconds.add_metric(labels, stats.query_seconds)
            commits.add_metric(labels, stats.commits)
        yield from (documents, generation, segments, size, terms, postings)
        yield from (queries, seconds, commits)
