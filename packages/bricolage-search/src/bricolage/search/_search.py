"""Query evaluation over a segment: dense numpy score arrays, BM25/BM25F, phrases."""

from __future__ import annotations

import bisect
import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import numpy.typing as npt

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
)
from bricolage.search._schema import KeywordField, Schema, TextField
from bricolage.search._scoring import BM25, FloatArray
from bricolage.search._segment import FieldIndex, Segment
from bricolage.search.errors import QueryError, QueryTooBroadError, SchemaError

Mask = npt.NDArray[np.bool_]
_SHIFT = np.int64(1 << 32)


class _Void:
    """A clause that analysed to nothing (a lone stopword): left out of its parent."""


VOID = _Void()
Outcome = Mask | None | _Void  # None: "matches exactly where this clause scored"


@dataclass(slots=True)
class Evaluation:
    """What a query found: a dense score array, the match mask and terms to highlight."""

    scores: FloatArray
    match: Mask | None  # None: exactly the documents with a positive score
    highlights: dict[str, set[str]]


@dataclass(slots=True)
class _Context:
    segment: Segment
    schema: Schema
    params: BM25
    weights: dict[str, float]
    max_expansions: int
    highlights: dict[str, set[str]] = field(default_factory=dict)
    _doc_counts: dict[tuple[str, ...], int] = field(default_factory=dict)

    @property
    def n(self) -> int:
        return self.segment.n_docs

    def doc_count(self, names: tuple[str, ...]) -> int:
        found = self._doc_counts.get(names)
        if found is None:
            if len(names) == 1:
                found = self.segment.fields[names[0]].doc_count
            else:
                has = np.zeros(self.n, dtype=bool)
                for name in names:
                    has |= self.segment.fields[name].lengths > 0
                found = int(np.count_nonzero(has))
            self._doc_counts[names] = found
        return found

    def highlight(self, name: str, term: str) -> None:
        self.highlights.setdefault(name, set()).add(term)


def evaluate(
    query: Query,
    segment: Segment,
    schema: Schema,
    params: BM25,
    weights: Mapping[str, float],
    max_expansions: int,
) -> Evaluation:
    """Score every document of ``segment`` for ``query``."""
    ctx = _Context(segment, schema, params, dict(weights), max_expansions)
    scores = np.zeros(segment.n_docs, dtype=np.float64)
    outcome = _eval(query, ctx, scores, negated=False)
    if isinstance(outcome, _Void):
        return Evaluation(scores, np.zeros(segment.n_docs, dtype=bool), ctx.highlights)
    return Evaluation(scores, outcome, ctx.highlights)


def top_k(
    scores: FloatArray, match: Mask | None, limit: int | None
) -> tuple[npt.NDArray[np.int64], int]:
    """Documents ranked by descending score, ties by document order; and the total."""
    candidates = (scores > 0 if match is None else match).nonzero()[0]
    total = len(candidates)
    if limit is not None and limit < total:
        if limit <= 0:
            return np.zeros(0, dtype=np.int64), total
        values = scores[candidates]
        kth = np.partition(values, total - limit)[total - limit]
        above = candidates[values > kth]
        equal = candidates[values == kth][: limit - len(above)]
        candidates = np.concatenate([above, equal])
    order = np.lexsort((candidates, -scores[candidates]))
    return candidates[order], total


def _eval(node: Query, ctx: _Context, out: FloatArray, *, negated: bool) -> Outcome:
    if isinstance(node, Term | Match):
        return _term_like(node.text, node.field, node.boost, ctx, out, negated=negated)
    if isinstance(node, Or):
        masks: list[Mask] = []
        seen = False
        for clause in node.clauses:
            outcome = _eval(clause, ctx, out, negated=negated)
            if isinstance(outcome, _Void):
                continue
            seen = True
            if outcome is not None:
                masks.append(outcome)
        if not seen:
            return VOID
        if not masks:
            return None
        combined = out > 0
        for mask in masks:
            combined |= mask
        return combined
    if isinstance(node, And):
        return _and(node, ctx, out, negated=negated)
    if isinstance(node, Not):
        inner = np.zeros(ctx.n, dtype=np.float64)
        outcome = _eval(node.clause, ctx, inner, negated=not negated)
        if isinstance(outcome, _Void):
            return VOID
        matched = inner > 0 if outcome is None else outcome
        return ~matched
    if isinstance(node, MatchAll):
        return np.ones(ctx.n, dtype=bool)
    if isinstance(node, Phrase):
        return _phrase(node, ctx, out, negated=negated)
    if isinstance(node, Prefix):
        return _expanded(node.prefix, node.field, node.boost, ctx, out, negated, fuzzy=None)
    if isinstance(node, Fuzzy):
        return _expanded(node.text, node.field, node.boost, ctx, out, negated, fuzzy=node.distance)
    raise QueryError(f"cannot evaluate {node!r}: not a query node")


def _and(node: And, ctx: _Context, out: FloatArray, *, negated: bool) -> Outcome:
    match: Mask | None = None
    total: FloatArray | None = None
    for clause in node.clauses:
        scores = np.zeros(ctx.n, dtype=np.float64)
        outcome = _eval(clause, ctx, scores, negated=negated)
        if isinstance(outcome, _Void):
            continue
        mask = scores > 0 if outcome is None else outcome
        match = mask if match is None else match & mask
        total = scores if total is None else total + scores
    if match is None or total is None:
        return VOID
    out += np.where(match, total, 0.0)
    return match


# ------------------------------------------------------------------ leaves


def _fields_for(name: str | None, ctx: _Context) -> list[tuple[str, float]]:
    """The (field, weight) pairs a leaf searches; an explicit field has weight 1."""
    if name is not None:
        if name not in ctx.schema:
            raise SchemaError(
                f"unknown field {name!r} in the query; fields: {', '.join(ctx.schema.names)}"
            )
        spec = ctx.schema[name]
        if not isinstance(spec, TextField | KeywordField):
            raise SchemaError(f"field {name!r} is stored only and cannot be searched")
        return [(name, 1.0)]
    return [(f, w) for f, w in ctx.weights.items()]


def _keyword_mask(fi: FieldIndex, values: list[str], n: int) -> Mask:
    mask = np.zeros(n, dtype=bool)
    for value in values:
        span = fi.span(value)
        if span is not None:
            mask[fi.docs[span[0] : span[1]]] = True
    return mask


def _keyword_value(spec: KeywordField, text: str) -> str:
    return text.lower() if spec.lowercase else text


def _term_like(
    text: str,
    name: str | None,
    boost: float,
    ctx: _Context,
    out: FloatArray,
    *,
    negated: bool,
) -> Outcome:
    fields = _fields_for(name, ctx)
    if name is not None and isinstance(spec := ctx.schema[name], KeywordField):
        return _keyword_mask(ctx.segment.fields[name], [_keyword_value(spec, text)], ctx.n)
    by_term: dict[str, list[tuple[str, float]]] = {}
    for field_name, weight in fields:
        spec = ctx.schema[field_name]
        assert isinstance(spec, TextField)
        for term in dict.fromkeys(spec.analyzer(text)):
            by_term.setdefault(term, []).append((field_name, weight))
    if not by_term:
        return VOID
    names = tuple(f for f, _ in fields)
    _score_terms(by_term, names, boost, ctx, out, negated=negated)
    return None


def _score_terms(
    by_term: dict[str, list[tuple[str, float]]],
    names: tuple[str, ...],
    boost: float,
    ctx: _Context,
    out: FloatArray,
    *,
    negated: bool,
) -> None:
    """Add the BM25(F) scores of several terms (a bag of words) into ``out``."""
    if not negated:
        for term, where in by_term.items():
            for field_name, _ in where:
                ctx.highlight(field_name, term)
    single = len(names) == 1 and all(where[0][1] == 1.0 for where in by_term.values())
    if not single:
        for term, where in by_term.items():
            _score_term(term, where, names, boost, ctx, out)
        return
    # One field of weight 1: gather every term's precomputed weights, add them at once.
    fi = ctx.segment.fields[names[0]]
    weights = fi.weights(ctx.params.k1, ctx.params.b)
    spans = [span for term in by_term if (span := fi.span(term)) is not None]
    if not spans:
        return
    if len(spans) == 1:  # postings hold each document once: a fancy-indexed add works
        start, end = spans[0]
        values = weights[start:end]
        out[fi.docs[start:end]] += values * boost if boost != 1.0 else values
        return
    docs = np.concatenate([fi.docs[start:end] for start, end in spans])
    values = np.concatenate([weights[start:end] for start, end in spans])
    added = np.bincount(docs, weights=values, minlength=len(out))
    out += added * boost if boost != 1.0 else added


def _score_term(
    term: str,
    where: list[tuple[str, float]],
    names: tuple[str, ...],
    boost: float,
    ctx: _Context,
    out: FloatArray,
) -> None:
    """BM25F of one term over ``where`` (the general path; see :func:`_score_terms`)."""
    params = ctx.params
    segment = ctx.segment
    acc = np.zeros(ctx.n, dtype=np.float64)
    for field_name, weight in where:
        fi = segment.fields[field_name]
        span = fi.span(term)
        if span is None:
            continue
        start, end = span
        acc[fi.docs[start:end]] += weight * fi.normalised_tf(params.b)[start:end]
    hit = np.flatnonzero(acc)
    if not len(hit):
        return
    n_docs = ctx.doc_count(names)
    df = len(hit)
    idf = math.log1p((n_docs - df + 0.5) / (df + 0.5))
    tf = acc[hit]
    out[hit] += boost * idf * tf / (params.k1 + tf)


def _phrase(node: Phrase, ctx: _Context, out: FloatArray, *, negated: bool) -> Outcome:
    fields = _fields_for(node.field, ctx)
    if node.field is not None and isinstance(spec := ctx.schema[node.field], KeywordField):
        value = _keyword_value(spec, node.text)
        return _keyword_mask(ctx.segment.fields[node.field], [value], ctx.n)
    names = tuple(f for f, _ in fields)
    params = ctx.params
    acc = np.zeros(ctx.n, dtype=np.float64)
    analysed_any = False
    idf_terms: dict[str, list[tuple[str, float]]] = {}
    sequence: list[str] = []  # the phrase's terms, repeats included (Lucene sums each)
    for field_name, weight in fields:
        spec = ctx.schema[field_name]
        assert isinstance(spec, TextField)
        slots = spec.analyzer.positional_terms(node.text)
        items = [(term, position) for position, term in enumerate(slots) if term]
        if not items:
            continue
        if not analysed_any:
            sequence = [term for term, _ in items]
        analysed_any = True
        for term, _ in items:
            idf_terms.setdefault(term, [])
            if (field_name, weight) not in idf_terms[term]:
                idf_terms[term].append((field_name, weight))
            if not negated:
                ctx.highlight(field_name, term)
        fi = ctx.segment.fields[field_name]
        docs, freq = _phrase_frequencies(fi, items)
        if len(docs):
            acc[docs] += weight * freq / fi.norms(params.b)[docs]
    if not analysed_any:
        return VOID
    hit = np.flatnonzero(acc)
    if not len(hit):
        return None
    n_docs = ctx.doc_count(names)
    idf_of: dict[str, float] = {}
    for term, where in idf_terms.items():
        present = np.zeros(ctx.n, dtype=bool)
        for field_name, _ in where:
            fi = ctx.segment.fields[field_name]
            span = fi.span(term)
            if span is not None:
                present[fi.docs[span[0] : span[1]]] = True
        df = int(np.count_nonzero(present))
        idf_of[term] = math.log1p((n_docs - df + 0.5) / (df + 0.5))
    idf = sum(idf_of.get(term, 0.0) for term in sequence)
    tf = acc[hit]
    out[hit] += node.boost * idf * tf / (params.k1 + tf)
    return None


def _phrase_frequencies(
    fi: FieldIndex, items: list[tuple[str, int]]
) -> tuple[npt.NDArray[np.int64], FloatArray]:
    """Documents holding the phrase and how often, from positional postings."""
    empty = (np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.float64))
    spans = []
    for term, _ in items:
        span = fi.span(term)
        if span is None:
            return empty
        spans.append(span)
    candidates: npt.NDArray[np.integer[Any]] | None = None
    for start, end in sorted(spans, key=lambda s: s[1] - s[0]):
        posting_docs = fi.docs[start:end]
        candidates = (
            posting_docs
            if candidates is None
            else np.intersect1d(candidates, posting_docs, assume_unique=True)
        )
        if not len(candidates):
            return empty
    assert candidates is not None
    anchor = items[0][1]
    keys: npt.NDArray[np.int64] | None = None
    for (_, position), (start, end) in zip(items, spans, strict=True):
        docs, pos = fi.term_positions(start, end)
        wanted = np.isin(docs, candidates)
        docs, pos = docs[wanted], pos[wanted] - (position - anchor)
        ok = pos >= 0
        key = docs[ok] * _SHIFT + pos[ok]
        keys = key if keys is None else np.intersect1d(keys, key, assume_unique=True)
        if not len(keys):
            return empty
    assert keys is not None
    found, counts = np.unique(keys // _SHIFT, return_counts=True)
    return found, counts.astype(np.float64)


def _expanded(
    text: str,
    name: str | None,
    boost: float,
    ctx: _Context,
    out: FloatArray,
    negated: bool,
    *,
    fuzzy: int | None,
) -> Outcome:
    fields = _fields_for(name, ctx)
    kind = "prefix" if fuzzy is None else "fuzzy term"
    if name is not None and isinstance(spec := ctx.schema[name], KeywordField):
        fi = ctx.segment.fields[name]
        target = _keyword_value(spec, text)
        values = _expand(fi.terms, target, fuzzy, ctx.max_expansions, kind, name)
        return _keyword_mask(fi, values, ctx.n)
    by_term: dict[str, list[tuple[str, float]]] = {}
    analysed_any = False
    for field_name, weight in fields:
        spec = ctx.schema[field_name]
        assert isinstance(spec, TextField)
        analyzer = spec.analyzer
        if fuzzy is None:
            target = analyzer.normalizer(text)
        else:
            terms = analyzer(text)
            target = terms[0] if len(terms) == 1 else analyzer.normalizer(text)
        if not target:
            continue
        analysed_any = True
        fi = ctx.segment.fields[field_name]
        for term in _expand(fi.terms, target, fuzzy, ctx.max_expansions, kind, field_name):
            by_term.setdefault(term, []).append((field_name, weight))
    if not analysed_any:
        return VOID
    names = tuple(f for f, _ in fields)
    _score_terms(by_term, names, boost, ctx, out, negated=negated)
    return None


def _expand(
    vocabulary: list[str], target: str, fuzzy: int | None, limit: int, kind: str, name: str
) -> list[str]:
    if fuzzy is None:
        first = bisect.bisect_left(vocabulary, target)
        found: list[str] = []
        for term in vocabulary[first:]:
            if not term.startswith(target):
                break
            found.append(term)
    else:
        found = [
            term
            for term in vocabulary
            if abs(len(term) - len(target)) <= fuzzy and within_distance(term, target, fuzzy)
        ]
    if len(found) > limit:
        raise QueryTooBroadError(
            f"the {kind} {target!r} matches {len(found)} terms in field {name!r}, more than "
            f"max_expansions={limit}; make it more specific or raise max_expansions"
        )
    return found


def within_distance(a: str, b: str, limit: int) -> bool:
    """Whether the Levenshtein distance between ``a`` and ``b`` is at most ``limit``."""
    if a == b:
        return True
    if limit == 0:
        return False
    if abs(len(a) - len(b)) > limit:
        return False
    previous = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        current = [i]
        best = i
        for j, cb in enumerate(b, 1):
            value = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (ca != cb))
            current.append(value)
            best = min(best, value)
        if best > limit:
            return False
        previous = current
    return previous[-1] <= limit
