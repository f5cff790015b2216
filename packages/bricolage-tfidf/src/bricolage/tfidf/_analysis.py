"""Text analysis: from a document to the terms that are counted.

The default analysis reproduces scikit-learn's ``TfidfVectorizer``: lower case, the token
pattern ``(?u)\\b\\w\\w+\\b``, optional stop words (removed before n-grams are formed) and
word n-grams joined by one space.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Iterable, Sequence
from typing import Literal, Protocol, runtime_checkable

from bricolage.tfidf._stopwords import ENGLISH_STOP_WORDS
from bricolage.tfidf.errors import ConfigurationError, DocumentError

__all__ = [
    "DEFAULT_TOKEN_PATTERN",
    "Analyzer",
    "char_ngrams",
    "char_wb_ngrams",
    "resolve_stop_words",
    "strip_accents_ascii",
    "strip_accents_unicode",
    "word_ngrams",
]

DEFAULT_TOKEN_PATTERN = r"(?u)\b\w\w+\b"  # noqa: S105 - a regex, not a secret

_WHITE_SPACES = re.compile(r"\s\s+")

AccentMode = Literal["ascii", "unicode"]
AnalyzerName = Literal["word", "char", "char_wb"]


@runtime_checkable
class Analyzer(Protocol):
    """Anything that turns a document into the list of terms to count.

    A plain function works, and so does any object with this ``__call__``; the
    analyzers of ``bricolage.text`` fit as they are.

    >>> from bricolage.tfidf import Analyzer
    >>> def words(text: str) -> list[str]:
    ...     return text.split()
    >>> isinstance(words, Analyzer)
    True
    """

    def __call__(self, text: str, /) -> list[str]:
        """The terms of ``text``, in order, repeated as often as they occur."""
        ...  # pragma: no cover


def strip_accents_ascii(text: str) -> str:
    """Decompose ``text`` and drop every character without an ASCII equivalent.

    >>> strip_accents_ascii("café naïve")
    'cafe naive'
    """
    return unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii")


def strip_accents_unicode(text: str) -> str:
    """Decompose ``text`` and drop the combining marks, keeping other characters.

    >>> strip_accents_unicode("café Ωmega")
    'cafe Ωmega'
    """
    if text.isascii():
        return text
    normalized = unicodedata.normalize("NFKD", text)
    return "".join(c for c in normalized if not unicodedata.combining(c))


def resolve_stop_words(stop_words: str | Iterable[str] | None) -> frozenset[str] | None:
    """The stop word set for the ``stop_words`` parameter.

    ``"english"`` is the built-in list; any other string is refused (a list must be given
    as a list, not as one string); an iterable of words is used as given.

    >>> len(resolve_stop_words("english") or ())
    318
    >>> sorted(resolve_stop_words(["b", "a"]) or ())
    ['a', 'b']
    >>> resolve_stop_words(None) is None
    True
    """
    if stop_words is None:
        return None
    if isinstance(stop_words, str):
        if stop_words == "english":
            return ENGLISH_STOP_WORDS
        raise ConfigurationError(
            f"stop_words={stop_words!r} is not a known list; use 'english', an iterable "
            "of words, or None"
        )
    words = frozenset(stop_words)
    for word in words:
        if not isinstance(word, str):
            raise ConfigurationError(f"stop_words must hold strings, got {word!r}")
    return words


def word_ngrams(
    tokens: Sequence[str],
    ngram_range: tuple[int, int] = (1, 1),
    stop_words: frozenset[str] | None = None,
) -> list[str]:
    """Remove stop words from ``tokens``, then form the n-grams of ``ngram_range``.

    All unigrams come first, then the bigrams, and so on, each n-gram joined by a space.

    >>> word_ngrams(["the", "cat", "sat"], (1, 2), frozenset({"the"}))
    ['cat', 'sat', 'cat sat']
    """
    if stop_words is not None:
        tokens = [t for t in tokens if t not in stop_words]
    min_n, max_n = ngram_range
    out: list[str] = list(tokens) if min_n == 1 else []
    start = max(min_n, 2)
    count = len(tokens)
    for n in range(start, min(max_n, count) + 1):
        out.extend(" ".join(tokens[i : i + n]) for i in range(count - n + 1))
    return out


def char_ngrams(text: str, ngram_range: tuple[int, int]) -> list[str]:
    """Character n-grams of ``text`` after collapsing runs of white space.

    >>> char_ngrams("ab  c", (2, 2))
    ['ab', 'b ', ' c']
    """
    text = _WHITE_SPACES.sub(" ", text)
    min_n, max_n = ngram_range
    length = len(text)
    out: list[str] = list(text) if min_n == 1 else []
    for n in range(max(min_n, 2), min(max_n, length) + 1):
        out.extend(text[i : i + n] for i in range(length - n + 1))
    return out


def char_wb_ngrams(text: str, ngram_range: tuple[int, int]) -> list[str]:
    """Character n-grams taken inside words only, each word padded with one space.

    >>> char_wb_ngrams("ab c", (2, 3))
    [' a', 'ab', 'b ', ' ab', 'ab ', ' c', 'c ', ' c ']
    """
    text = _WHITE_SPACES.sub(" ", text)
    min_n, max_n = ngram_range
    out: list[str] = []
    for word in text.split():
        padded = f" {word} "
        size = len(padded)
        for n in range(min_n, max_n + 1):
            if n >= size:
                out.append(padded)
                break
            out.extend(padded[i : i + n] for i in range(size - n + 1))
    return out


def check_document(document: object) -> str:
    """Return ``document`` if it is a ``str``, else raise :class:`DocumentError`."""
    if isinstance(document, str):
        return document
    kind = type(document).__name__
    hint = "; decode bytes first" if isinstance(document, bytes | bytearray) else ""
    raise DocumentError(f"a document must be a str, got {kind}: {document!r:.60}{hint}")


def compile_token_pattern(pattern: str) -> Callable[[str], list[str]]:
    """The ``findall`` of ``pattern``, refusing patterns with several capturing groups."""
    try:
        compiled = re.compile(pattern)
    except re.error as error:
        raise ConfigurationError(
            f"token_pattern={pattern!r} is not a valid regex: {error}"
        ) from error
    if compiled.groups > 1:
        raise ConfigurationError(
            f"token_pattern={pattern!r} has {compiled.groups} capturing groups; at most one "
            "is allowed (it then selects the token)"
        )
    if pattern == DEFAULT_TOKEN_PATTERN:
        # Maximal runs of two or more word characters: the same matches, found faster.
        return re.compile(r"\w\w+").findall
    return compiled.findall
