"""Full-text search over to-do titles and notes, kept in step with every edit.

One on-disk :class:`bricolage.search.Index` in the data directory; each document is a
to-do, with its list id as a keyword so a search only ever sees the lists its user may
read. The database stays the source of truth: a missing or damaged index is rebuilt
from it.
"""

from __future__ import annotations

import logging
import shutil
import threading
from collections.abc import Iterable
from pathlib import Path

from bricolage.search import (
    And,
    CorruptIndexError,
    Index,
    KeywordField,
    Match,
    Or,
    Query,
    Schema,
    Term,
    TextField,
)
from todo_web.models import Todo

__all__ = ["SCHEMA", "SearchHit", "TodoIndex"]

log = logging.getLogger(__name__)

SCHEMA = Schema(
    TextField("title", weight=2.0),
    TextField("notes"),
    KeywordField("list"),
)


class SearchHit:
    """A found to-do id with its HTML snippet (text escaped, matches in ``<mark>``)."""

    __slots__ = ("snippet", "todo_id")

    def __init__(self, todo_id: int, snippet: str) -> None:
        self.todo_id = todo_id
        self.snippet = snippet


class TodoIndex:
    """The search index of the to-dos, safe to share between a process's threads.

    >>> index = TodoIndex(None)
    >>> index.upsert([Todo(id=1, list_id=7, title="Buy oat milk", notes="the barista kind")])
    >>> [hit.todo_id for hit in index.search("milk", [7])], index.search("milk", [8])
    ([1], [])
    """

    def __init__(self, folder: Path | None) -> None:
        self.folder = folder
        self._lock = threading.Lock()
        if folder is None:
            self._index = Index.in_memory(SCHEMA)
            self.fresh = True
            return
        try:
            self._index = Index.create(folder, SCHEMA, exist_ok=True)
            self.fresh = len(self._index) == 0
        except CorruptIndexError:
            log.warning("search index in %s is damaged; rebuilding it", folder)
            shutil.rmtree(folder)
            self._index = Index.create(folder, SCHEMA)
            self.fresh = True

    def upsert(self, todos: Iterable[Todo]) -> None:
        """Add or replace these to-dos."""
        with self._lock, self._index.writer(timeout=10.0) as writer:
            for todo in todos:
                writer.update(
                    str(todo.id), title=todo.title, notes=todo.notes, list=str(todo.list_id)
                )

    def delete(self, todo_ids: Iterable[int]) -> None:
        """Forget these to-dos (unknown ids are ignored)."""
        with self._lock, self._index.writer(timeout=10.0) as writer:
            for todo_id in todo_ids:
                writer.delete(str(todo_id))

    def rebuild(self, todos: Iterable[Todo]) -> int:
        """Replace the whole index by these to-dos; return how many were indexed."""
        count = 0
        with self._lock, self._index.writer(timeout=30.0) as writer:
            for doc_id in self._index.ids():
                writer.delete(doc_id)
            for todo in todos:
                writer.add(
                    str(todo.id), title=todo.title, notes=todo.notes, list=str(todo.list_id)
                )
                count += 1
        self.fresh = False
        return count

    def search(self, text: str, list_ids: Iterable[int], limit: int = 50) -> list[SearchHit]:
        """The best hits for ``text`` among the to-dos of ``list_ids``, best first.

        The text is taken as plain words (no operators), so any input is a valid search.
        """
        lists = sorted(set(list_ids))
        if not text.strip() or not lists:
            return []
        scope: Query = Or(*(Term(str(list_id), field="list") for list_id in lists))
        with self._lock:
            if self.folder is not None:
                self._index.refresh()
            results = self._index.search(And(Match(text), scope), limit=limit)
            hits = []
            for hit in results:
                snippet = hit.snippet("notes", max_chars=160).html()
                if "<mark>" not in snippet:
                    snippet = hit.snippet("title", max_chars=160).html()
                hits.append(SearchHit(int(hit.id), snippet))
        return hits
