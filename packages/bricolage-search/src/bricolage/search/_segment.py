"""The immutable, numpy-backed index snapshot: building, merging, saving, loading."""

from __future__ import annotations

import io
import json
from array import array
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import cast

import numpy as np
import numpy.typing as npt

from bricolage.search._schema import KeywordField, Schema, TextField
from bricolage.search._scoring import FloatArray, idf_array, length_norm
from bricolage.search.errors import CorruptIndexError

FORMAT_VERSION = 1

IntArray = npt.NDArray[np.int64]
Int32Array = npt.NDArray[np.int32]


class Vocabulary(dict[str, int]):
    """Term -> id for the documents a writer analyses; a new term gets the next id.

    The empty string (a token a filter removed) maps to -1: it keeps its position in a
    document's term-id array but never becomes a posting.
    """

    def __init__(self) -> None:
        super().__init__()
        self[""] = -1

    def __missing__(self, term: str) -> int:
        value = len(self) - 1
        self[term] = value
        return value

    def terms(self) -> list[str]:
        """The terms in id order (without the empty string)."""
        return list(self)[1:]


@dataclass(slots=True)
class AnalysedDocument:
    """A document ready to be merged: stored values and, per field, its term ids.

    Entry ``i`` of a field's array is the id (in the writer's :class:`Vocabulary` of that
    field) of the term at position ``i``, or -1 where a filter removed the token.
    """

    doc_id: str
    stored: dict[str, object]
    fields: dict[str, array[int]]


@dataclass(slots=True, eq=False)
class FieldIndex:
    """Positional postings of one field, sorted by (term, document)."""

    terms: list[str]
    indptr: IntArray
    docs: Int32Array
    tfs: Int32Array
    positions: Int32Array
    lengths: Int32Array
    lookup: dict[str, int] = field(init=False)
    pos_ptr: IntArray = field(init=False)
    total_length: int = field(init=False)
    doc_count: int = field(init=False)
    _cache: dict[tuple[object, ...], FloatArray] = field(init=False)

    def __post_init__(self) -> None:
        self.lookup = {term: i for i, term in enumerate(self.terms)}
        self.pos_ptr = np.zeros(len(self.tfs) + 1, dtype=np.int64)
        np.cumsum(self.tfs, out=self.pos_ptr[1:])
        self.total_length = int(self.lengths.sum(dtype=np.int64))
        self.doc_count = int(np.count_nonzero(self.lengths))
        self._cache = {}

    @property
    def avg_length(self) -> float:
        return self.total_length / self.doc_count if self.doc_count else 0.0

    def span(self, term: str) -> tuple[int, int] | None:
        tid = self.lookup.get(term)
        if tid is None:
            return None
        return int(self.indptr[tid]), int(self.indptr[tid + 1])

    def norms(self, b: float) -> FloatArray:
        key = ("norm", b)
        found = self._cache.get(key)
        if found is None:
            found = length_norm(self.lengths, self.avg_length, b)
            self._cache[key] = found
        return found

    def weights(self, k1: float, b: float) -> FloatArray:
        """Single-field BM25 score of every posting (cached per ``(k1, b)``)."""
        key = ("bm25", k1, b)
        found = self._cache.get(key)
        if found is None:
            counts = np.diff(self.indptr)
            idf = idf_array(self.doc_count, counts)
            tf = self.tfs.astype(np.float64)
            norm = self.norms(b)[self.docs]
            found = np.repeat(idf, counts) * tf / (tf + k1 * norm)
            self._cache[key] = found
        return found

    def normalised_tf(self, b: float) -> FloatArray:
        """``tf / (1 - b + b * dl / avgdl)`` of every posting (cached per ``b``)."""
        key = ("ntf", b)
        found = self._cache.get(key)
        if found is None:
            found = self.tfs.astype(np.float64) / self.norms(b)[self.docs]
            self._cache[key] = found
        return found

    def term_positions(self, start: int, end: int) -> tuple[IntArray, IntArray]:
        """(document, position) of every occurrence of the postings ``start:end``."""
        docs = np.repeat(self.docs[start:end].astype(np.int64), self.tfs[start:end])
        pos = self.positions[self.pos_ptr[start] : self.pos_ptr[end]].astype(np.int64)
        return docs, pos


def _empty_field() -> FieldIndex:
    return FieldIndex(
        [],
        np.zeros(1, dtype=np.int64),
        np.zeros(0, dtype=np.int32),
        np.zeros(0, dtype=np.int32),
        np.zeros(0, dtype=np.int32),
        np.zeros(0, dtype=np.int32),
    )


class Segment:
    """An immutable snapshot of every committed document."""

    __slots__ = ("_id_lookup", "fields", "ids", "stored")

    def __init__(
        self, ids: list[str], stored: list[dict[str, object]], fields: dict[str, FieldIndex]
    ) -> None:
        self.ids = ids
        self.stored = stored
        self.fields = fields
        self._id_lookup: dict[str, int] | None = None

    @property
    def n_docs(self) -> int:
        return len(self.ids)

    @property
    def id_lookup(self) -> dict[str, int]:
        if self._id_lookup is None:
            self._id_lookup = {doc_id: i for i, doc_id in enumerate(self.ids)}
        return self._id_lookup

    @classmethod
    def empty(cls, schema: Schema) -> Segment:
        return cls([], [], {name: _empty_field() for name in schema.indexed_names})

    def merged(
        self,
        schema: Schema,
        deleted: Iterable[str],
        added: Sequence[AnalysedDocument],
        vocabularies: Mapping[str, Vocabulary],
    ) -> Segment:
        """A new segment: this one without ``deleted`` ids, plus ``added`` at the end."""
        lookup = self.id_lookup
        gone = sorted({lookup[d] for d in deleted if d in lookup})
        live: npt.NDArray[np.bool_] | None = None
        if gone:
            live = np.ones(self.n_docs, dtype=bool)
            live[gone] = False
        keep_ids = (
            self.ids
            if live is None
            else [d for d, keep in zip(self.ids, live, strict=True) if keep]
        )
        keep_stored = (
            self.stored
            if live is None
            else [s for s, keep in zip(self.stored, live, strict=True) if keep]
        )
        ids = keep_ids + [doc.doc_id for doc in added]
        stored = keep_stored + [doc.stored for doc in added]
        fields = {
            name: _merge_field(
                self.fields.get(name) or _empty_field(),
                live,
                name,
                added,
                vocabularies.get(name) or Vocabulary(),
            )
            for name in schema.indexed_names
        }
        return Segment(ids, stored, fields)

    # ---------------------------------------------------------------- persistence

    def to_bytes(self, schema: Schema) -> bytes:
        meta = {
            "format": FORMAT_VERSION,
            "schema": schema.to_dict(),
            "ids": self.ids,
            "stored": self.stored,
            "fields": {name: self.fields[name].terms for name in schema.indexed_names},
        }
        arrays: dict[str, npt.NDArray[np.generic]] = {
            "meta": np.frombuffer(json.dumps(meta, ensure_ascii=False).encode(), dtype=np.uint8)
        }
        for i, name in enumerate(schema.indexed_names):
            f = self.fields[name]
            arrays[f"{i}.indptr"] = f.indptr
            arrays[f"{i}.docs"] = f.docs
            arrays[f"{i}.tfs"] = f.tfs
            arrays[f"{i}.positions"] = f.positions
            arrays[f"{i}.lengths"] = f.lengths
        buffer = io.BytesIO()
        np.savez(buffer, allow_pickle=False, **arrays)
        return buffer.getvalue()

    @classmethod
    def from_bytes(cls, data: bytes, source: str) -> tuple[Schema, Segment]:
        try:
            with np.load(io.BytesIO(data), allow_pickle=False) as archive:
                arrays = {key: archive[key] for key in archive.files}
            meta = json.loads(arrays.pop("meta").tobytes().decode())
        except Exception as error:
            raise CorruptIndexError(
                f"{source} is not a readable index segment: {error}"
            ) from error
        if not isinstance(meta, dict) or meta.get("format") != FORMAT_VERSION:
            found = meta.get("format") if isinstance(meta, dict) else None
            raise CorruptIndexError(
                f"{source} has index format {found!r}; this version reads format {FORMAT_VERSION}"
            )
        schema_data = meta.get("schema")
        if not isinstance(schema_data, dict):
            raise CorruptIndexError(f"{source} carries no schema")
        schema = Schema.from_dict(schema_data)
        ids, stored, vocab = meta.get("ids"), meta.get("stored"), meta.get("fields")
        if not (isinstance(ids, list) and isinstance(stored, list) and isinstance(vocab, dict)):
            raise CorruptIndexError(f"{source} has a damaged document table")
        if len(ids) != len(stored):
            raise CorruptIndexError(f"{source}: {len(ids)} ids but {len(stored)} stored records")
        fields: dict[str, FieldIndex] = {}
        n_docs = len(ids)
        for i, name in enumerate(schema.indexed_names):
            try:
                terms = vocab[name]
                part = FieldIndex(
                    list(terms),
                    arrays[f"{i}.indptr"].astype(np.int64, copy=False),
                    arrays[f"{i}.docs"].astype(np.int32, copy=False),
                    arrays[f"{i}.tfs"].astype(np.int32, copy=False),
                    arrays[f"{i}.positions"].astype(np.int32, copy=False),
                    arrays[f"{i}.lengths"].astype(np.int32, copy=False),
                )
            except KeyError as error:
                raise CorruptIndexError(f"{source} lacks the data of field {name!r}") from error
            _check_field(part, n_docs, name, source)
            fields[name] = part
        return schema, cls(ids, stored, fields)


def _check_field(part: FieldIndex, n_docs: int, name: str, source: str) -> None:
    problems = []
    if len(part.indptr) != len(part.terms) + 1 or part.indptr[-1] != len(part.docs):
        problems.append("postings table does not match the vocabulary")
    if len(part.tfs) != len(part.docs) or part.pos_ptr[-1] != len(part.positions):
        problems.append("frequencies do not match the positions")
    if len(part.lengths) != n_docs:
        problems.append("document lengths do not match the document count")
    if len(part.docs) and (part.docs.min() < 0 or part.docs.max() >= n_docs):
        problems.append("postings point at missing documents")
    if problems:
        raise CorruptIndexError(f"{source}, field {name!r}: {'; '.join(problems)}")


def _merge_field(
    base: FieldIndex,
    live: npt.NDArray[np.bool_] | None,
    name: str,
    added: Sequence[AnalysedDocument],
    vocabulary: Vocabulary,
) -> FieldIndex:
    counts = np.diff(base.indptr)
    t_base = np.repeat(np.arange(len(base.terms), dtype=np.int64), counts)
    d_base = base.docs.astype(np.int64)
    f_base = base.tfs.astype(np.int64)
    s_base = base.pos_ptr[:-1]
    lengths_base = base.lengths
    n_base = len(base.lengths)
    if live is not None:
        keep = live[d_base]
        remap = np.cumsum(live, dtype=np.int64) - 1
        t_base, f_base, s_base = t_base[keep], f_base[keep], s_base[keep]
        d_base = remap[d_base[keep]]
        lengths_base = base.lengths[live]
        n_base = int(live.sum())

    # The new documents' tokens, all at once: drop removed ones (-1), sort by (term,
    # document, position) and cut into postings where (term, document) changes.
    parts = [doc.fields.get(name, _NO_TOKENS) for doc in added]
    slots = np.fromiter((len(ids) for ids in parts), dtype=np.int64, count=len(parts))
    t_tok = np.frombuffer(b"".join(parts), dtype=np.int32)
    d_tok = np.repeat(np.arange(n_base, n_base + len(parts), dtype=np.int32), slots)
    starts = np.zeros(len(parts), dtype=np.int32)
    if len(parts):
        np.cumsum(slots[:-1], out=starts[1:])
    p_tok = np.arange(len(t_tok), dtype=np.int32) - np.repeat(starts, slots)
    kept = t_tok >= 0
    if not kept.all():
        t_tok, d_tok, p_tok = t_tok[kept], d_tok[kept], p_tok[kept]
    lengths_new = np.bincount(d_tok - n_base, minlength=len(parts)).astype(np.int32)
    total = len(t_tok)
    order = np.lexsort((p_tok, d_tok, t_tok))
    t_tok, d_tok, p_tok = t_tok[order], d_tok[order], p_tok[order]
    change = np.ones(total, dtype=bool)
    if total:
        change[1:] = (t_tok[1:] != t_tok[:-1]) | (d_tok[1:] != d_tok[:-1])
    s_new = np.flatnonzero(change).astype(np.int64)
    f_new = np.diff(np.append(s_new, total))
    t_new_local, d_new = t_tok[s_new], d_tok[s_new]

    if not total and live is None:
        if not added:
            return base
        lengths = np.concatenate([base.lengths, lengths_new])
        return FieldIndex(base.terms, base.indptr, base.docs, base.tfs, base.positions, lengths)

    local_terms = vocabulary.terms()
    used_local = np.zeros(len(local_terms), dtype=bool)
    used_local[t_new_local] = True
    vocab = sorted(
        set(base.terms).union(t for t, u in zip(local_terms, used_local, strict=True) if u)
    )
    lookup = {term: i for i, term in enumerate(vocab)}
    base_map = np.fromiter((lookup[t] for t in base.terms), dtype=np.int64, count=len(base.terms))
    local_map = np.fromiter(
        (lookup.get(t, -1) for t in local_terms), dtype=np.int64, count=len(local_terms)
    )
    t_all = np.concatenate([base_map[t_base], local_map[t_new_local]])
    d_all = np.concatenate([d_base, d_new])
    f_all = np.concatenate([f_base, f_new])
    s_all = np.concatenate([s_base, s_new + len(base.positions)])
    source = np.concatenate([base.positions, p_tok])

    order = np.lexsort((d_all, t_all))
    t_all, d_all, f_all, s_all = t_all[order], d_all[order], f_all[order], s_all[order]
    ptr = np.zeros(len(f_all) + 1, dtype=np.int64)
    np.cumsum(f_all, out=ptr[1:])
    gather = np.repeat(s_all - ptr[:-1], f_all) + np.arange(ptr[-1], dtype=np.int64)
    positions = source[gather]

    per_term = np.bincount(t_all, minlength=len(vocab))
    used = per_term > 0
    if not used.all():
        vocab = [term for term, u in zip(vocab, used, strict=True) if u]
        per_term = per_term[used]
    indptr = np.zeros(len(vocab) + 1, dtype=np.int64)
    np.cumsum(per_term, out=indptr[1:])
    lengths = np.concatenate([lengths_base, lengths_new])
    return FieldIndex(
        vocab,
        indptr,
        d_all.astype(np.int32),
        f_all.astype(np.int32),
        positions.astype(np.int32, copy=False),
        lengths.astype(np.int32, copy=False),
    )


_NO_TOKENS: array[int] = array("i")


def analyse(
    schema: Schema,
    doc_id: str,
    values: Mapping[str, object],
    raw: Mapping[str, object],
    vocabularies: dict[str, Vocabulary],
) -> AnalysedDocument:
    """Turn validated field values into an :class:`AnalysedDocument`.

    ``raw`` holds the values as the caller gave them: stored fields keep that shape.
    """
    stored: dict[str, object] = {}
    fields: dict[str, array[int]] = {}
    for spec in schema.fields:
        value = values.get(spec.name)
        if value is None:
            continue
        if isinstance(spec, TextField):
            assert isinstance(value, str)
            vocabulary = vocabularies.setdefault(spec.name, Vocabulary())
            slots = spec.analyzer.positional_terms(value)
            found = list(map(vocabulary.get, slots))
            if None in found:  # terms this writer has not seen yet
                found = [vocabulary[term] for term in slots]
            fields[spec.name] = array("i", cast("list[int]", found))
            if spec.stored:
                stored[spec.name] = value
        elif isinstance(spec, KeywordField):
            assert isinstance(value, list)
            vocabulary = vocabularies.setdefault(spec.name, Vocabulary())
            fields[spec.name] = array("i", [vocabulary[str(keyword)] for keyword in value])
            if spec.stored:
                given = raw[spec.name]
                stored[spec.name] = list(given) if isinstance(given, list | tuple) else given
        else:
            stored[spec.name] = value
    return AnalysedDocument(doc_id, stored, fields)
