"""Counting terms into sparse matrices, one batch of documents at a time.

A :class:`Lexicon` keeps what the counting learns across batches: an id per token, an id
per word n-gram (built from the ids of its parts, so n-gram strings are only joined once per
distinct n-gram) and a column per feature name. Counting a batch returns a CSR matrix of
raw counts over the lexicon's columns and the number of terms the analysis produced per
document.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from itertools import repeat
from typing import Any, overload

import numpy as np
import numpy.typing as npt
import scipy.sparse as sp

from bricolage.tfidf._analysis import check_document
from bricolage.tfidf._weighting import as_csr

__all__ = ["Lexicon", "WordAnalysis"]

IntArray = npt.NDArray[np.signedinteger[Any]]
_SHIFT = np.int64(32)
_LOW = np.int64(0xFFFFFFFF)


class _IntBuffer:
    """A growable int32 array (columns, ids) with amortised O(1) appends."""

    __slots__ = ("_data", "_size")

    def __init__(self) -> None:
        self._data: npt.NDArray[np.int32] = np.empty(64, dtype=np.int32)
        self._size = 0

    def extend(self, values: IntArray) -> None:
        end = self._size + len(values)
        if end > len(self._data):
            grown = np.empty(max(end, 2 * len(self._data)), dtype=np.int32)
            grown[: self._size] = self._data[: self._size]
            self._data = grown
        self._data[self._size : end] = values
        self._size = end

    def view(self) -> npt.NDArray[np.int32]:
        return self._data[: self._size]


class WordAnalysis:
    """The word analysis split in parts: text to tokens, stop words, n-gram range."""

    __slots__ = ("ngram_range", "stop_words", "tokenize")

    def __init__(
        self,
        tokenize: Callable[[str], list[str]],
        stop_words: frozenset[str] | None,
        ngram_range: tuple[int, int],
    ) -> None:
        self.tokenize = tokenize
        self.stop_words = stop_words
        self.ngram_range = ngram_range


class _Order:
    """The ids of the word n-grams of one order n >= 2, keyed by (prefix id, last token id)."""

    __slots__ = ("columns", "ids", "names")

    def __init__(self) -> None:
        self.ids: dict[int, int] = {}
        self.names: list[str] = []
        self.columns = _IntBuffer()


class Lexicon:
    """Token ids, n-gram ids and feature columns, learnt while counting.

    With ``fixed`` columns (a given vocabulary) counting never adds a column; terms outside
    it are dropped.
    """

    def __init__(
        self,
        analysis: WordAnalysis | Callable[[str], list[str]],
        columns: dict[str, int] | None = None,
    ) -> None:
        self.analysis = analysis
        self.fixed = columns is not None
        self.columns: dict[str, int] = dict(columns) if columns is not None else {}
        self.names: list[str] = [""] * len(self.columns)
        for name, column in self.columns.items():
            self.names[column] = name
        self.tokens: dict[str, int] = {}
        self.token_names: list[str] = []
        self.token_stop = np.zeros(0, dtype=bool)
        self.token_columns = _IntBuffer()
        self.orders: list[_Order] = []
        if isinstance(analysis, WordAnalysis):
            self.orders = [_Order() for _ in range(max(analysis.ngram_range[1] - 1, 0))]

    @property
    def n_columns(self) -> int:
        """How many columns (distinct features) the lexicon holds."""
        return len(self.names)

    def columns_for(self, names: list[str], grow: bool) -> IntArray:
        """The column of each name; new names get new columns when the lexicon may grow."""
        columns = self.columns
        if grow and not self.fixed:
            new = [name for name in dict.fromkeys(names) if name not in columns]
            if new:
                start = len(self.names)
                columns.update(zip(new, range(start, start + len(new)), strict=True))
                self.names.extend(new)
            return np.fromiter(map(columns.__getitem__, names), dtype=np.int64, count=len(names))
        return np.fromiter(map(columns.get, names, repeat(-1)), dtype=np.int64, count=len(names))

    def count(self, documents: Iterable[object], *, grow: bool) -> tuple[sp.csr_matrix, IntArray]:
        """Raw counts (documents x columns) and the number of terms of each document.

        With ``grow`` new tokens, n-grams and (unless the columns are fixed) features are
        learnt; without it unknown features are dropped and the lexicon is left as it is.
        """
        if isinstance(self.analysis, WordAnalysis):
            return self._count_words(self.analysis, documents, grow)
        return self._count_terms(self.analysis, documents, grow)

    # -- any analyzer: one list of terms per document ------------------------------------

    def _count_terms(
        self, analyze: Callable[[str], list[str]], documents: Iterable[object], grow: bool
    ) -> tuple[sp.csr_matrix, IntArray]:
        local: defaultdict[str, int] = defaultdict()
        local.default_factory = local.__len__
        getter = local.__getitem__
        ids: list[int] = []
        lengths: list[int] = []
        for document in documents:
            produced: Iterable[str] = analyze(check_document(document))
            terms = produced if isinstance(produced, list) else list(produced)
            ids.extend(map(getter, terms))
            lengths.append(len(terms))
        local.default_factory = None  # break the dict -> bound method -> dict cycle
        to_column = self.columns_for(list(local), grow)
        columns = to_column[np.array(ids, dtype=np.int32)]
        lengths_array = np.asarray(lengths, dtype=np.int64)
        return self._matrix([(lengths_array, columns)], len(lengths)), lengths_array

    # -- word analysis: tokens, stop words and n-grams with integer keys -----------------

    def _count_words(
        self, analysis: WordAnalysis, documents: Iterable[object], grow: bool
    ) -> tuple[sp.csr_matrix, IntArray]:
        tokenize = analysis.tokenize
        local: defaultdict[str, int] = defaultdict()
        local.default_factory = local.__len__
        getter = local.__getitem__
        ids: list[int] = []
        extend = ids.extend
        lengths: list[int] = []
        append = lengths.append
        for document in documents:
            tokens = tokenize(check_document(document))
            extend(map(getter, tokens))
            append(len(tokens))
        n_docs = len(lengths)
        local.default_factory = None  # break the dict -> bound method -> dict cycle
        batch = _Batch(self, list(local), grow)
        local_ids = np.array(ids, dtype=np.int32)
        del ids
        doc_of = np.repeat(np.arange(n_docs, dtype=np.int32), np.asarray(lengths))
        if analysis.stop_words is not None and len(local_ids):
            keep = ~batch.local_stop[local_ids]
            local_ids = local_ids[keep]
            doc_of = doc_of[keep]
        kept = np.bincount(doc_of, minlength=n_docs).astype(np.int64)

        min_n, max_n = analysis.ngram_range
        parts: list[tuple[IntArray, IntArray]] = []
        n_terms = np.zeros(n_docs, dtype=np.int64)
        if min_n == 1:
            parts.append((kept, batch.local_columns[local_ids]))
            n_terms += kept
        token_ids = batch.global_ids[local_ids]
        del local_ids
        gram_ids = token_ids
        gram_docs = doc_of
        for n in range(2, max_n + 1):
            size = len(gram_ids) - 1
            if size <= 0:
                break
            # The n-gram starting at i is the (n-1)-gram at i followed by token i+n-1.
            valid = gram_docs[:size] == doc_of[n - 1 : n - 1 + size]
            prefix = gram_ids[:size][valid].astype(np.int64)
            last = token_ids[n - 1 : n - 1 + size][valid].astype(np.int64)
            found, columns = batch.gram_ids(n, (prefix << _SHIFT) | last)
            del prefix, last
            per_doc = np.maximum(kept - n + 1, 0)
            if n >= min_n:
                parts.append((per_doc, columns))
                n_terms += per_doc
            # Keep arrays aligned with token positions for the next order (-1: no n-gram).
            docs = gram_docs[:size][valid]
            gram_ids = np.full(size, -1, dtype=np.int32)
            gram_ids[valid] = found
            gram_docs = np.full(size, -1, dtype=np.int32)
            gram_docs[valid] = docs
        return self._matrix(parts, n_docs), n_terms

    def describe_tokens(
        self, tokens: list[str], grow: bool
    ) -> tuple[npt.NDArray[np.bool_], IntArray]:
        """Whether each token is a stop word, and its unigram column (-1: none)."""
        analysis = self.analysis
        assert isinstance(analysis, WordAnalysis)
        stop = analysis.stop_words
        if stop is None:
            stops = np.zeros(len(tokens), dtype=bool)
        else:
            stops = np.fromiter(map(stop.__contains__, tokens), dtype=bool, count=len(tokens))
        columns = np.full(len(tokens), -1, dtype=np.int64)
        if analysis.ngram_range[0] == 1:
            kept = np.flatnonzero(~stops)
            columns[kept] = self.columns_for([tokens[i] for i in kept.tolist()], grow)
        return stops, columns

    def _matrix(self, parts: list[tuple[IntArray, IntArray]], n_docs: int) -> sp.csr_matrix:
        """Counts from parts of (terms per document, column of each term in order).

        Each part lists its terms document by document, so it is a CSR matrix with
        repeated entries already; duplicates are summed and columns -1 dropped.
        """
        width = self.n_columns
        index = np.int32 if width < 2**31 else np.int64
        total: sp.csr_matrix | None = None
        for per_doc, columns in parts:
            keep = columns >= 0
            indptr = np.zeros(n_docs + 1, dtype=np.int64)
            if keep.all():
                np.cumsum(per_doc, out=indptr[1:])
            else:
                kept_so_far = np.concatenate(([0], np.cumsum(keep)))
                np.cumsum(per_doc, out=indptr[1:])
                indptr = kept_so_far[indptr]
                columns = columns[keep]
            if len(columns) >= 2**31:  # pragma: no cover - beyond any test corpus
                index = np.int64
            part = sp.csr_matrix(
                (
                    np.ones(len(columns), dtype=np.int32),
                    columns.astype(index, copy=False),
                    indptr.astype(index),
                ),
                shape=(n_docs, width),
            )
            part.sum_duplicates()
            total = part if total is None else total + part
        if total is None:
            return as_csr(np.zeros((n_docs, width), dtype=np.int32))
        return total


class _Batch:
    """The ids of one batch's tokens and n-grams: learnt ones, or temporary ones.

    When the lexicon may not grow (``transform``), a token or n-gram it does not know gets a
    temporary id past the known ones, with its name, so longer n-grams built on it still
    resolve to the right column when the vocabulary holds them.
    """

    def __init__(self, lexicon: Lexicon, tokens: list[str], grow: bool) -> None:
        self.lexicon = lexicon
        self.grow = grow
        self.gram_names: dict[int, list[str]] = {}
        table = lexicon.tokens
        self.temporary_tokens: list[str] = []
        if grow:
            new = [t for t in tokens if t not in table]
            if new:
                base = len(table)
                table.update(zip(new, range(base, base + len(new)), strict=True))
                stops, columns = lexicon.describe_tokens(new, grow=True)
                lexicon.token_names.extend(new)
                lexicon.token_stop = np.concatenate([lexicon.token_stop, stops])
                lexicon.token_columns.extend(columns)
            ids = np.fromiter(map(table.__getitem__, tokens), dtype=np.int32, count=len(tokens))
            self.local_stop = lexicon.token_stop[ids]
            self.local_columns = lexicon.token_columns.view()[ids]
            self.global_ids = ids
            return
        # Known tokens keep their ids; unknown ones get temporary ids past the known ones.
        known = len(lexicon.token_names)
        ids = np.fromiter(map(table.get, tokens, repeat(-1)), dtype=np.int32, count=len(tokens))
        unknown = np.flatnonzero(ids < 0)
        is_known = ids >= 0
        self.temporary_tokens = [tokens[i] for i in unknown.tolist()]
        stops, columns = lexicon.describe_tokens(self.temporary_tokens, grow=False)
        self.local_stop = np.empty(len(tokens), dtype=bool)
        self.local_stop[is_known] = lexicon.token_stop[ids[is_known]]
        self.local_stop[unknown] = stops
        self.local_columns = np.empty(len(tokens), dtype=np.int32)
        self.local_columns[is_known] = lexicon.token_columns.view()[ids[is_known]]
        self.local_columns[unknown] = columns
        ids[unknown] = known + np.arange(len(unknown), dtype=np.int32)
        self.global_ids = ids

    def _all_names(self, n: int) -> Sequence[str]:
        """The names of every id of order ``n`` (1: tokens), temporary ones included."""
        if n == 1:
            known, extra = self.lexicon.token_names, self.temporary_tokens
        else:
            known, extra = self.lexicon.orders[n - 2].names, self.gram_names.get(n, [])
        return _Chain(known, extra) if extra else known

    def names(self, n: int, keys: IntArray) -> list[str]:
        """The names of the n-grams with ``keys``: prefix name, a space, last token."""
        prefixes = self._all_names(n - 1)
        tokens = self._all_names(1)
        heads = map(prefixes.__getitem__, (keys >> _SHIFT).tolist())
        tails = map(tokens.__getitem__, (keys & _LOW).tolist())
        return list(map(" ".join, zip(heads, tails, strict=True)))

    def gram_ids(self, n: int, keys: IntArray) -> tuple[IntArray, IntArray]:
        """Ids and columns of the n-grams given by ``keys`` (prefix id << 32 | token id)."""
        lexicon = self.lexicon
        order = lexicon.orders[n - 2]
        unique, inverse = np.unique(keys, return_inverse=True)
        unique_list: list[int] = unique.tolist()
        table = order.ids
        known = len(order.names)
        if self.grow:
            is_new = np.fromiter(
                map(table.__contains__, unique_list), dtype=bool, count=len(unique_list)
            )
            np.logical_not(is_new, out=is_new)
            if is_new.any():
                new_keys = unique[is_new]
                table.update(
                    zip(new_keys.tolist(), range(known, known + len(new_keys)), strict=True)
                )
                names = self.names(n, new_keys)
                order.names.extend(names)
                analysis = lexicon.analysis
                assert isinstance(analysis, WordAnalysis)
                if n >= analysis.ngram_range[0]:
                    order.columns.extend(lexicon.columns_for(names, True))
                else:
                    order.columns.extend(np.full(len(names), -1, dtype=np.int64))
            ids = np.fromiter(
                map(table.__getitem__, unique_list), dtype=np.int64, count=len(unique_list)
            )
            return ids[inverse], order.columns.view()[ids][inverse]
        ids = np.fromiter(
            map(table.get, unique_list, repeat(-1)), dtype=np.int64, count=len(unique_list)
        )
        unknown = np.flatnonzero(ids < 0)
        names = self.names(n, unique[unknown])
        self.gram_names[n] = names
        ids[unknown] = known + np.arange(len(unknown), dtype=np.int64)
        columns = np.empty(len(unique_list), dtype=np.int64)
        is_known = ids < known
        columns[is_known] = order.columns.view()[ids[is_known]]
        columns[unknown] = lexicon.columns_for(names, False)
        return ids[inverse], columns[inverse]


class _Chain(Sequence[str]):
    """Two lists read as one, without copying the first (the lexicon's, possibly large)."""

    __slots__ = ("_extra", "_known", "_size")

    def __init__(self, known: list[str], extra: list[str]) -> None:
        self._known, self._extra, self._size = known, extra, len(known)

    def __len__(self) -> int:
        return self._size + len(self._extra)

    @overload
    def __getitem__(self, index: int) -> str: ...
    @overload
    def __getitem__(self, index: slice) -> Sequence[str]: ...
    def __getitem__(self, index: int | slice) -> str | Sequence[str]:
        if isinstance(index, slice):  # pragma: no cover - not used, kept for the protocol
            return [*self._known, *self._extra][index]
        if index < self._size:
            return self._known[index]
        return self._extra[index - self._size]
