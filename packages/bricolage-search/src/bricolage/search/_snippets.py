"""Snippets: the best passage of a field, with its matches highlighted by offsets."""

from __future__ import annotations

import html
import re
from collections.abc import Collection
from dataclasses import dataclass

from bricolage.text import Analyzer

__all__ = ["Snippet", "make_snippet"]

_SPACE = re.compile(r"\s+")


@dataclass(frozen=True, slots=True)
class Snippet:
    """A passage of a stored field and the spans of the query's matches in it.

    ``highlights`` are ``(start, end)`` offsets into ``text``, found by analysing
    the original text, so they cover the words as written (``Running`` for a query
    ``run``). ``start``/``end`` locate the passage in the whole field.

    >>> snippet = Snippet("the Neutron star", ((4, 11),), 0, 16, False, False)
    >>> snippet.format()
    'the **Neutron** star'
    >>> snippet.html()
    'the <mark>Neutron</mark> star'
    """

    text: str
    highlights: tuple[tuple[int, int], ...]
    start: int
    end: int
    cut_before: bool
    cut_after: bool

    def _pieces(self) -> list[tuple[str, bool]]:
        pieces: list[tuple[str, bool]] = []
        cursor = 0
        for start, end in self.highlights:
            pieces.append((self.text[cursor:start], False))
            pieces.append((self.text[start:end], True))
            cursor = end
        pieces.append((self.text[cursor:], False))
        return pieces

    def format(self, before: str = "**", after: str = "**", ellipsis: str = "…") -> str:
        """The passage as plain text with ``before``/``after`` around each match.

        Runs of white space become single spaces; ``ellipsis`` marks a cut.

        >>> Snippet("a  b\\nc", ((3, 4),), 5, 11, True, True).format("[", "]", "...")
        '...a [b] c...'
        """
        out = [
            f"{before}{text}{after}" if marked else _SPACE.sub(" ", text)
            for text, marked in self._pieces()
        ]
        joined = "".join(out)
        return f"{ellipsis if self.cut_before else ''}{joined}{ellipsis if self.cut_after else ''}"

    def html(self, tag: str = "mark") -> str:
        """The passage as HTML: text escaped, matches wrapped in ``<tag>``.

        >>> Snippet("<b> & x", ((6, 7),), 0, 7, False, False).html()
        '&lt;b&gt; &amp; <mark>x</mark>'
        """
        out = [
            f"<{tag}>{html.escape(text)}</{tag}>" if marked else html.escape(_SPACE.sub(" ", text))
            for text, marked in self._pieces()
        ]
        joined = "".join(out)
        return f"{'…' if self.cut_before else ''}{joined}{'…' if self.cut_after else ''}"

    def __str__(self) -> str:
        return self.format()


def make_snippet(
    text: str, analyzer: Analyzer, terms: Collection[str], max_chars: int = 200
) -> Snippet:
    """The passage of ``text`` (at most about ``max_chars``) holding most query terms.

    >>> from bricolage.search.scoring import make_snippet
    >>> from bricolage.text import standard_analyzer
    >>> make_snippet("Stars burn. Neutron stars spin fast.", standard_analyzer(),
    ...              {"neutron", "spin"}, max_chars=20).format()
    '…**Neutron** stars **spin**…'
    """
    max_chars = max(max_chars, 1)
    hits = [token for token in analyzer.tokens(text) if token.text in terms]
    length = len(text)
    if not hits:
        end = min(length, max_chars)
        if end < length:
            space = text.rfind(" ", 0, end + 1)
            end = space if space > 0 else end
        fragment = text[:end].rstrip()
        return Snippet(fragment, (), 0, len(fragment), False, end < length)
    hits.sort(key=lambda t: (t.start, t.end))
    best = (0, 0, 0)  # (distinct terms, count, -start index)
    best_span = (0, 0)
    j = 0
    for i in range(len(hits)):
        j = max(j, i)
        while j + 1 < len(hits) and hits[j + 1].end - hits[i].start <= max_chars:
            j += 1
        window = hits[i : j + 1]
        score = (len({t.text for t in window}), len(window), -i)
        if score > best:
            best, best_span = score, (i, j)
    first, last = hits[best_span[0]], hits[best_span[1]]
    span_start, span_end = first.start, max(last.end, first.end)
    slack = max(0, max_chars - (span_end - span_start))
    start = max(0, span_start - slack // 2)
    end = min(length, max(span_end, start + max_chars))
    start = max(0, min(start, end - max_chars, span_start))
    if start > 0:  # begin at a word boundary, never after the first match
        space = text.find(" ", start, span_start)
        start = space + 1 if space >= 0 else span_start
    if end < length:  # end at a word boundary, never before the last match
        space = text.rfind(" ", span_end, end + 1)
        end = space if space >= 0 else span_end
    highlights = tuple(
        (t.start - start, t.end - start) for t in hits if t.start >= start and t.end <= end
    )
    merged: list[tuple[int, int]] = []
    for span in highlights:  # overlapping spans (n-grams) merge into one
        if merged and span[0] < merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], span[1]))
        else:
            merged.append(span)
    return Snippet(text[start:end], tuple(merged), start, end, start > 0, end < length)
