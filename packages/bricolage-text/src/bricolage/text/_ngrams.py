"""Word and character n-grams."""

from __future__ import annotations

from collections.abc import Sequence

from bricolage.text.errors import ConfigurationError

__all__ = ["char_ngrams", "check_ngram_range", "ngrams"]


def check_ngram_range(min_n: int, max_n: int) -> None:
    """Raise :class:`~bricolage.text.ConfigurationError` unless ``1 <= min_n <= max_n``.

    >>> check_ngram_range(1, 2)
    """
    if min_n < 1 or max_n < min_n:
        raise ConfigurationError(
            f"n-gram range ({min_n}, {max_n}) is invalid; it needs 1 <= min_n <= max_n"
        )


def ngrams(terms: Sequence[str], min_n: int = 1, max_n: int = 2, *, sep: str = " ") -> list[str]:
    """Word n-grams of ``terms``, joined by ``sep``: all 1-grams first, then 2-grams, ...

    The order matches scikit-learn's ``ngram_range``: for each ``n`` from ``min_n`` to
    ``max_n``, the n-grams left to right.

    >>> ngrams(["new", "york", "city"], 1, 2)
    ['new', 'york', 'city', 'new york', 'york city']
    >>> ngrams(["a", "b", "c"], 3, 3)
    ['a b c']
    """
    check_ngram_range(min_n, max_n)
    count = len(terms)
    out: list[str] = list(terms) if min_n == 1 else []
    for n in range(max(min_n, 2), min(max_n, count) + 1):
        out.extend(sep.join(terms[i : i + n]) for i in range(count - n + 1))
    return out


def char_ngrams(text: str, min_n: int = 2, max_n: int = 4) -> list[str]:
    """Character n-grams of ``text``: all ``min_n``-grams first, then longer ones.

    >>> char_ngrams("word", 2, 3)
    ['wo', 'or', 'rd', 'wor', 'ord']
    """
    check_ngram_range(min_n, max_n)
    length = len(text)
    return [
        text[i : i + n]
        for n in range(min_n, min(max_n, length) + 1)
        for i in range(length - n + 1)
    ]
